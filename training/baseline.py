"""TF-IDF + logistic regression: the baseline every fine-tuned model must beat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mrp_classify.labelset import Record
from mrp_classify.metrics import classification_report


def tfidf_baseline(train: Sequence[Record], test: Sequence[Record], labels: Sequence[str],
                   seed: int) -> dict[str, Any]:
    """Fit on the training split, report on the test split (same metrics as the model)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion([
        ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)),
        # Swedish compounds ("e-tjänsteutveckling") share character n-grams, not words.
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2,
                                  sublinear_tf=True)),
    ])
    classifier = LogisticRegression(max_iter=2000, C=10.0, class_weight="balanced",
                                    random_state=seed)
    pipeline = make_pipeline(features, classifier)
    label_index = {label: i for i, label in enumerate(labels)}
    pipeline.fit([r.text for r in train], [label_index[r.label] for r in train])
    probs = np.zeros((len(test), len(labels)))
    if test:
        probs[:, pipeline.classes_] = pipeline.predict_proba([r.text for r in test])
    report = classification_report([label_index[r.label] for r in test], probs, labels)
    report["method"] = "TF-IDF (word 1-2 + char_wb 3-5 grams) + logistic regression, balanced"
    return report
