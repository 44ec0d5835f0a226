"""The training data: labelled paragraphs, reader units of whole plans, and their split.

Sources: every label file under the configured ``labels`` folders, plus the
units the reader emits from the plans under ``documents`` (rendered and read
exactly as ``mrp-classify run`` reads documents, so headings, contents lines,
glossary entries and table rows are in training as they appear at inference).

Split:

* **test** — groups (municipality, else document) whose stable hash falls under
  ``test_fraction``: the split stays put when labels are added.
* **validation** — the *style-disjoint* fold: paragraphs of the annotators named in
  ``validation_annotators`` and the units of the plans under
  ``validation_documents``, whose authors training never sees. Early stopping, the
  temperature and the profile decision are chosen on it. Without those settings a
  label-stratified group fold of the rest is used instead.
* **train** — the rest.

``style_test_documents`` (the locked document test set) is never trained on or
used for a choice; its units are only reported.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mrp_classify.errors import MrpError
from mrp_classify.labelset import Record, Schema, load_valid, normalise_text
from mrp_classify.splits import SplitSpec
from mrp_classify.training.config import TrainConfig

log = logging.getLogger(__name__)

HEADING_SEPARATOR = " > "


@dataclass(frozen=True)
class Split:
    train: list[Record]
    validation: list[Record]
    test: list[Record]
    style_test: list[Record]

    def parts(self) -> tuple[tuple[str, list[Record]], ...]:
        return (("train", self.train), ("validation", self.validation), ("test", self.test),
                ("style_test", self.style_test))

    def summary(self, labels: Sequence[str]) -> dict[str, dict[str, int]]:
        result = {}
        for name, part in self.parts():
            counts = Counter(r.label for r in part)
            result[name] = {"paragraphs": len(part), "groups": len({r.group for r in part}),
                            **{label: counts.get(label, 0) for label in labels}}
        return result


def heading_path(record: Record) -> tuple[str, ...]:
    value = record.meta.get("heading_path") or ""
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return tuple(part for part in str(value).split(HEADING_SEPARATOR) if part)


def document_records(plans: Path, work: Path, source: str) -> list[Record]:
    """The units the reader emits from the plans under ``plans``, as labelled records.

    Units the model never sees (bare headings, figure-only rows) are left out, and a text
    that occurs twice (a running header the reader kept) is kept once; the same text
    with two labels is dropped, and said.
    """
    from mrp_classify.docset.build import build_docset, read_truth

    build_docset(plans, work)
    documents, units = read_truth(work)
    by_file = {row["file"]: row for row in documents}
    records: dict[str, Record] = {}
    conflicting: set[str] = set()
    for unit in units:
        if not unit.classify:
            continue
        key = normalise_text(unit.text)
        doc = by_file[unit.file]
        record = Record(
            id=f"{doc['plan']}-u{unit.index:04d}", text=unit.text, label=unit.label,
            file=str(plans / f"{doc['plan']}.plan"), line=unit.plan_lines[0]
            if unit.plan_lines else 0,
            meta={"municipality_code": doc["kommunkod"], "municipality": doc["kommun"],
                  "year": int(doc["year"]), "doc_id": doc["plan"], "source": source,
                  "annotator": doc["author"], "ambiguous": unit.ambiguous,
                  "expected_profile": doc["expected_profile"],
                  "tags": list(unit.tags), "kind": unit.kind,
                  "heading_path": HEADING_SEPARATOR.join(unit.heading_path)})
        seen = records.get(key)
        if seen is None:
            records[key] = record
        elif seen.label != record.label:
            conflicting.add(key)
    if conflicting:
        log.warning("%s: %d unit texts occur with two labels and are left out", plans,
                    len(conflicting))
    return [r for key, r in records.items() if key not in conflicting]


def docset_dir(work: Path, part: str, n: int) -> Path:
    """Where the ``n``-th plan folder of a part (train, validation, test) is built."""
    return work / f"docset-{part}-{n}"


def load_training_records(config: TrainConfig, schema: Schema, work: Path
                          ) -> tuple[list[Record], list[Record], list[Record]]:
    """(records to split, validation-only records, style-test records); the plan folders are
    built under ``work`` (``docset_dir``)."""
    records = load_valid([Path(p) for p in config.labels], schema)

    def units(folders: Sequence[str], part: str) -> list[Record]:
        found: list[Record] = []
        for n, folder in enumerate(folders):
            found += document_records(Path(folder), docset_dir(work, part, n),
                                      f"docset:{Path(folder).name}")
        return found

    records += units(config.documents, "train")
    validation = units(config.validation_documents, "validation")
    style_test = units(config.style_test_documents, "test")
    known = {normalise_text(r.text) for r in records}
    # A paragraph text already labelled elsewhere must not sit on both sides of a split.
    validation = [r for r in validation if normalise_text(r.text) not in known]
    known |= {normalise_text(r.text) for r in validation}
    style_test = [r for r in style_test if normalise_text(r.text) not in known]
    return records, validation, style_test


def split_records(records: Sequence[Record], config: TrainConfig,
                  validation_only: Sequence[Record] = (),
                  style_test: Sequence[Record] = ()) -> Split:
    spec = SplitSpec(config.split_salt, config.test_fraction)
    held_out = set(config.validation_annotators)
    test = [r for r in records if spec.in_test(r)]
    rest = [r for r in records if not spec.in_test(r)]
    if not test:
        raise MrpError("no group falls in the test split: label paragraphs of more "
                       "municipalities or raise test_fraction")
    if held_out or validation_only:
        validation = [r for r in rest if r.meta.get("annotator") in held_out]
        validation += list(validation_only)
        train = [r for r in rest if r.meta.get("annotator") not in held_out]
        missing = held_out - {str(r.meta.get("annotator")) for r in records}
        if missing:
            raise MrpError(f"training config: validation_annotators {sorted(missing)} have no "
                           "labelled paragraphs")
    else:
        train, validation = _stratified_group_fold(rest, config)
    if not train or not validation:
        raise MrpError("the split left train or validation empty; check validation_annotators "
                       "and validation_documents")
    return Split(train=train, validation=validation, test=test, style_test=list(style_test))


def _stratified_group_fold(rest: Sequence[Record], config: TrainConfig
                           ) -> tuple[list[Record], list[Record]]:
    from sklearn.model_selection import StratifiedGroupKFold

    groups = sorted({r.group for r in rest})
    if len(groups) < 2:
        raise MrpError(f"only {len(groups)} groups (municipalities/documents) outside the test "
                       "split: need more to split train/validation")
    n_folds = max(2, round(1 / (config.validation_fraction / (1 - config.test_fraction))))
    n_folds = min(n_folds, len(groups))
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=config.seed)
    train_idx, val_idx = next(splitter.split(
        [r.text for r in rest], [r.label for r in rest], [r.group for r in rest]))
    return [rest[i] for i in train_idx], [rest[i] for i in val_idx]
