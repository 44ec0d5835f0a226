"""Fitting the cascade's first stage (``inference/cascade.py``) and choosing its threshold.

The stage is fitted on the encoder's own training units (``training/data.py``: the
labelled paragraphs and the reader units of the training plans, the ``train`` part
of the split), digital (either digital label) against ``none``. It reads the text
the encoder reads, rendered by the model's input format (the prefix and, for a
context model, the headings and kind): its job is to foresee which units the
encoder will call digital, and a context model calls list items digital because of
their heading.

The threshold is chosen on built development document sets
(``mrp-classify docset build``): the highest one at which the stage still passes at
least ``target`` (99.5 %) of the units the full model calls digital there (by the
model's own unit threshold). The locked test set, when given, is only measured.

Two ways in: ``cascade_stage`` after training's evaluate stage (``cascade = true``),
and ``add_cascade`` (``mrp-classify cascade fit``), which writes an existing model
with a stage as a new version; models are never changed in place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError, require_train_extra
from mrp_classify.evaluation import model_input
from mrp_classify.inference.aggregate import NONE, ProfileDecision
from mrp_classify.inference.cascade import (
    CASCADE_FILE,
    CHAR_WB,
    TOKEN_PATTERN,
    WORD,
    Cascade,
    NgramBlock,
)
from mrp_classify.inference.model import Classifier, ModelInput
from mrp_classify.inference.model_folder import CARD_FILE, CONFIG_FILE, InputFormat, ModelFolder
from mrp_classify.labelset import Record, Schema, data_hash
from mrp_classify.registry import next_version
from mrp_classify.training.config import TrainConfig, load_config
from mrp_classify.workspace import config_in_workspace

log = logging.getLogger(__name__)

TARGET_RELATIVE_RECALL = 0.995
WORD_NGRAMS = (1, 2)
# Swedish compounds ("e-tjänsteutveckling") share character n-grams, not words.
CHAR_NGRAMS = (3, 5)
# Character n-grams seen once are mostly typos and numbers; they would only grow the file.
CHAR_MIN_DF = 2
REGULARISATION_C = 1.0
METHOD = (f"TF-IDF (word {WORD_NGRAMS[0]}-{WORD_NGRAMS[1]} grams + char_wb "
          f"{CHAR_NGRAMS[0]}-{CHAR_NGRAMS[1]} grams, sublinear tf, l2 per block) + logistic "
          f"regression (digital vs none, balanced classes, C = {REGULARISATION_C})")


def render(input_format: InputFormat, item: ModelInput) -> str:
    return input_format.render(item.text, item.heading_path, item.kind)


def fit_cascade(texts: Sequence[str], digital: Sequence[bool], seed: int = 13) -> Cascade:
    """The stage fitted on rendered texts; threshold 0 (everything passes) until chosen."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    if len(set(digital)) < 2:
        raise MrpError("the cascade's training units are all of one class (digital or none); "
                       "the labels must hold both")
    vectorizers = [
        TfidfVectorizer(analyzer=WORD, ngram_range=WORD_NGRAMS, sublinear_tf=True),
        TfidfVectorizer(analyzer=CHAR_WB, ngram_range=CHAR_NGRAMS, min_df=CHAR_MIN_DF,
                        sublinear_tf=True),
    ]
    features = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=5000,
                               random_state=seed)
    model.fit(features, np.asarray(digital, dtype=bool))
    return from_sklearn(vectorizers, model)


def from_sklearn(vectorizers: Sequence[Any], model: Any) -> Cascade:
    """The stage of fitted ``TfidfVectorizer`` blocks side by side and a binary
    ``LogisticRegression`` over them; settings the NumPy transform does not implement are
    refused rather than silently read differently."""
    implemented = {"lowercase": True, "sublinear_tf": True, "norm": "l2", "use_idf": True,
                   "smooth_idf": True, "strip_accents": None, "stop_words": None,
                   "preprocessor": None, "tokenizer": None, "binary": False,
                   "token_pattern": TOKEN_PATTERN.pattern}
    if len(model.classes_) != 2:
        raise ValueError(f"the model has classes {list(model.classes_)}; the cascade needs a "
                         "binary one (digital vs none)")
    coef = np.asarray(model.coef_, dtype=np.float64).reshape(-1)
    blocks, start = [], 0
    for vectorizer in vectorizers:
        params = vectorizer.get_params()
        wrong = {k: params[k] for k, v in implemented.items() if params[k] != v}
        if wrong or params["analyzer"] not in (WORD, CHAR_WB):
            raise ValueError(f"TfidfVectorizer settings the cascade cannot reproduce: "
                             f"{wrong or params['analyzer']}")
        size = len(vectorizer.vocabulary_)
        low, high = vectorizer.ngram_range
        blocks.append(NgramBlock(
            params["analyzer"], (int(low), int(high)),
            {str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
            np.asarray(vectorizer.idf_, dtype=np.float64), coef[start:start + size]))
        start += size
    if start != len(coef):
        raise ValueError(f"the vectorizers give {start} features, the model has {len(coef)}")
    return Cascade(tuple(blocks), float(np.asarray(model.intercept_).reshape(-1)[0]), 0.0)


def choose_threshold(probabilities: np.ndarray, target: float) -> float:
    """The highest threshold that keeps at least ``target`` of ``probabilities`` (those of
    the units the full model calls digital) at or above it."""
    if not len(probabilities):
        raise MrpError("the full model calls no unit of the development plans digital; the "
                       "cascade's threshold cannot be chosen there (use other plans)")
    # The epsilon keeps a product like (1 - 0.995) * 200 = 0.99999… from allowing no miss.
    allowed_misses = math.floor((1.0 - target) * len(probabilities) + 1e-9)
    return float(np.sort(probabilities)[allowed_misses])


@dataclass(frozen=True)
class ScoredUnits:
    """The classified units of built document sets and the full model's verdict on them."""

    docsets: tuple[str, ...]
    texts: tuple[str, ...]  # as the encoder (and the stage) reads them
    full_digital: np.ndarray

    def figures(self, cascade: Cascade) -> dict[str, Any]:
        passing = cascade.passes(self.texts)
        digital = int(self.full_digital.sum())
        passed = int((passing & self.full_digital).sum())
        settled = int((~passing).sum())
        return {"docsets": list(self.docsets), "units": len(self.texts),
                "full_model_digital": digital, "passed_full_model_digital": passed,
                "relative_recall": passed / digital if digital else None,
                "settled": settled,
                "settled_share": settled / len(self.texts) if self.texts else None}


def score_docsets(folder: ModelFolder, docsets: Sequence[Path],
                  threads: int | None = None) -> ScoredUnits:
    """Every unit ``run`` classifies in the sets, and whether the full model calls it digital
    (the model's own unit threshold)."""
    from mrp_classify.docset.build import DOCUMENTS_DIR, read_truth

    items: list[ModelInput] = []
    for docset in docsets:
        if not (Path(docset) / DOCUMENTS_DIR).is_dir():
            raise MrpError(f"{docset}: not a built document set; build it with 'mrp-classify "
                           "docset build PLANS --out DIR'")
        _, units = read_truth(Path(docset))
        items += [ModelInput(u.text, u.heading_path, u.kind) for u in units if u.classify]
    classifier = Classifier(folder, threads)
    decision = ProfileDecision.from_json(folder.meta.profile_decision)
    labels = classifier.labels
    digital = [decision.unit_label(dict(zip(labels, map(float, row), strict=True))) != NONE
               for row in classifier.predict_proba(items)]
    fmt = folder.meta.input_format
    return ScoredUnits(tuple(str(d) for d in docsets), tuple(render(fmt, i) for i in items),
                       np.asarray(digital, dtype=bool))


def with_cascade(folder: ModelFolder, train: Sequence[Record], dev: Sequence[Path],
                 test: Sequence[Path] = (), target: float = TARGET_RELATIVE_RECALL,
                 seed: int = 13, threads: int | None = None,
                 training_config: str = "") -> ModelFolder:
    """``folder`` with a first stage fitted on ``train``, its threshold chosen on ``dev``
    and, only reported, its figures on ``test``."""
    if not 0 < target <= 1:
        raise MrpError(f"--recall {target}: must be in (0, 1]")
    if not dev:
        raise MrpError("the cascade needs development plans (built with 'mrp-classify docset "
                       "build') to choose its threshold on")
    fmt = folder.meta.input_format
    texts = [render(fmt, model_input(r)) for r in train]
    digital = [r.label != NONE for r in train]
    cascade = fit_cascade(texts, digital, seed)
    scored = score_docsets(folder, dev, threads)
    chosen = choose_threshold(
        cascade.digital_probability([t for t, d in zip(scored.texts, scored.full_digital,
                                                       strict=True) if d]), target)
    cascade = dataclasses.replace(cascade, threshold=chosen)
    dev_figures = scored.figures(cascade)
    block: dict[str, Any] = {
        "file": CASCADE_FILE, "threshold": chosen, "target_relative_recall": target,
        "dev_relative_recall": dev_figures["relative_recall"],
        "dev_settled_share": dev_figures["settled_share"],
    }
    figures = {"dev": dev_figures}
    unit_threshold = ProfileDecision.from_json(folder.meta.profile_decision).unit_threshold
    if test:
        figures["test"] = scored_test = score_docsets(folder, test, threads).figures(cascade)
        block |= {"test_relative_recall": scored_test["relative_recall"],
                  "test_settled_share": scored_test["settled_share"]}
    block |= {
        **figures,
        "relative_recall_of": f"the units {folder.meta.ref} calls digital (unit threshold "
                              f"{unit_threshold})",
        "method": METHOD, "input": f"the encoder's input text (input format {fmt.context!r})",
        "features": sum(len(b.vocabulary) for b in cascade.blocks),
        "settled_probabilities": "p_none = 1, the digital labels 0",
        "training": {"units": len(train), "digital": sum(digital),
                     "sha256": data_hash(train), "config": training_config},
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    for part, scores in figures.items():
        log.info("cascade, %s plans: %d of %d units settled; %d of the %d units the full model "
                 "calls digital passed on", part, scores["settled"], scores["units"],
                 scores["passed_full_model_digital"], scores["full_model_digital"])
    return folder.with_files(**cascade.files()).with_meta(cascade=block)


def cascade_stage(prep: Any, folder: ModelFolder) -> ModelFolder:
    """Training's optional stage (``cascade = true``): after evaluate, before package, on the
    split's training units and the validation plans built by prepare."""
    from mrp_classify.training.data import docset_dir

    config: TrainConfig = prep.config
    dev = [docset_dir(prep.work, "validation", n) for n in range(len(config.validation_documents))]
    test = [docset_dir(prep.work, "test", n) for n in range(len(config.style_test_documents))]
    return with_cascade(folder, prep.split.train, dev, test, seed=config.seed,
                        threads=config.threads or None, training_config="this training run")


def training_units(config: TrainConfig) -> list[Record]:
    """The ``train`` part of the split that ``config`` makes (what its encoder trained on)."""
    from mrp_classify.training.data import load_training_records, split_records

    with tempfile.TemporaryDirectory(prefix="mrp-cascade-") as work:
        records, validation_only, style_test = load_training_records(
            config, Schema.load(), Path(work))
    return split_records(records, config, validation_only, style_test).train


def add_cascade(model_dir: Path, dev: Sequence[Path], models_root: Path,
                test: Sequence[Path] = (), config_path: Path | None = None,
                target: float = TARGET_RELATIVE_RECALL, threads: int | None = None) -> Path:
    """``model_dir`` with a first stage, written as the next version of its model under
    ``models_root``."""
    require_train_extra()
    from mrp_classify.training.card import render_model_card

    model_dir = Path(model_dir)
    source = ModelFolder.load(model_dir)
    config_file = config_path or model_dir / CONFIG_FILE
    if not config_file.is_file():
        raise MrpError(f"{config_file}: not found; pass --config with the training config "
                       "whose data the cascade should be fitted on")
    # Its data folders (labels/, labels/documents/...) are the workspace's, as in training.
    config = config_in_workspace(load_config(config_file), given=())
    version = _next_version(models_root, source.meta.name, source.meta.version)
    folder = with_cascade(source.with_meta(version=version), training_units(config), dev, test,
                          target, config.seed, threads, str(config_file))
    folder = folder.with_meta(cascade={**folder.meta.cascade,
                                       "added_to": source.meta.ref})
    folder = folder.with_files(**{CARD_FILE: render_model_card(folder.meta).encode("utf-8")})
    path = folder.save(models_root / source.meta.name / version)
    log.info("%s: %s with a cascade; make it the default with 'mrp-classify models promote "
             "%s/%s'", path, source.meta.ref, source.meta.name, version)
    return path


def _next_version(root: Path, name: str, current: str) -> str:
    """The registry's next ``vN``, and never one at or below the source's own number."""
    number = int(next_version(root, name)[1:])
    if current[:1] == "v" and current[1:].isdigit():
        number = max(number, int(current[1:]) + 1)
    return f"v{number}"
