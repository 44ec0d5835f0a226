"""Scoring a model on labelled paragraphs: the one place that does it.

Used by ``mrp-classify evaluate``, the registry's ``compare``/``promote`` and
training (on in-memory model folders), always through the inference code path,
with each record's heading path and kind when it has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError
from mrp_classify.inference.model import Classifier, ModelInput
from mrp_classify.inference.model_folder import ModelFolder
from mrp_classify.labelset import Record
from mrp_classify.metrics import classification_report

HEADING_SEPARATOR = " > "
# Kinds an annotator may give that the reader never emits: the model sees no kind word.
_READER_KINDS = {"text": "text", "list": "list", "table_row": "table_row",
                 "table_goal": "table_row", "heading": "heading"}


def model_input(record: Record, with_context: bool = True) -> ModelInput:
    if not with_context:
        return ModelInput(record.text)
    path = record.meta.get("heading_path") or ""
    headings = (tuple(str(h) for h in path) if isinstance(path, (list, tuple))
                else tuple(h for h in str(path).split(HEADING_SEPARATOR) if h))
    return ModelInput(record.text, headings, _READER_KINDS.get(str(record.meta.get("kind")), ""))


@dataclass(frozen=True)
class RecordEvaluation:
    report: dict[str, Any]
    probabilities: np.ndarray
    predicted: tuple[str, ...]


def evaluate_records(model: Classifier | ModelFolder | Path, records: Sequence[Record],
                     with_context: bool = True) -> RecordEvaluation:
    """Metrics of a model on labelled records; a label the model does not know is an error."""
    classifier = model if isinstance(model, Classifier) else Classifier(model)
    labels = list(classifier.labels)
    unknown = sorted({r.label for r in records} - set(labels))
    if unknown:
        raise MrpError(f"labels {unknown} of the paragraphs are not among the model's {labels}")
    probabilities = classifier.predict_proba([model_input(r, with_context) for r in records])
    report = classification_report([labels.index(r.label) for r in records], probabilities,
                                   labels)
    predicted = tuple(labels[i] for i in probabilities.argmax(axis=1)) if len(records) else ()
    return RecordEvaluation(report, probabilities, predicted)
