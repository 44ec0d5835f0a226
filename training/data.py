"""Splitting labelled paragraphs into train / validation / test.

The test split is decided by a hash of each group (municipality, else
document), so it stays put when annotators add labels: a group never moves
between test and the rest. Validation is drawn from the remaining groups with
a label-stratified group split, seeded, so early stopping sees every class.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mrp_classify.errors import MrpError
from mrp_classify.labelset import Record


@dataclass(frozen=True)
class Split:
    train: list[Record]
    validation: list[Record]
    test: list[Record]

    def summary(self, labels: Sequence[str]) -> dict[str, dict[str, int]]:
        result = {}
        for name, part in (("train", self.train), ("validation", self.validation),
                           ("test", self.test)):
            counts = Counter(r.label for r in part)
            result[name] = {"paragraphs": len(part), "groups": len({r.group for r in part}),
                            **{label: counts.get(label, 0) for label in labels}}
        return result


def group_bucket(group: str, salt: str) -> float:
    """A number in [0, 1) fixed by the group name alone."""
    digest = hashlib.sha256(f"{salt}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_records(records: Sequence[Record], test_fraction: float, validation_fraction: float,
                  salt: str, seed: int) -> Split:
    from sklearn.model_selection import StratifiedGroupKFold

    test = [r for r in records if group_bucket(r.group, salt) < test_fraction]
    rest = [r for r in records if group_bucket(r.group, salt) >= test_fraction]
    groups = sorted({r.group for r in rest})
    if len(groups) < 3 or not test:
        raise MrpError(f"only {len(groups) + len({r.group for r in test})} groups "
                       "(municipalities/documents): need more to split train/validation/test")
    n_folds = max(2, round(1 / (validation_fraction / (1 - test_fraction))))
    n_folds = min(n_folds, len(groups))
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    train_idx, val_idx = next(splitter.split(
        [r.text for r in rest], [r.label for r in rest], [r.group for r in rest]))
    return Split(train=[rest[i] for i in train_idx], validation=[rest[i] for i in val_idx],
                 test=test)
