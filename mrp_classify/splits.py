"""The stable test split, shared by training and the model registry (no training extra).

A group (municipality, else document, else paragraph id) is in the test split
when the hash of ``salt:group`` falls below ``test_fraction``: adding labels
never moves a group between test and the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.labelset import Record


def group_bucket(group: str, salt: str) -> float:
    """A number in [0, 1) fixed by the group name alone."""
    digest = hashlib.sha256(f"{salt}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass(frozen=True)
class SplitSpec:
    salt: str
    test_fraction: float

    def in_test(self, record: Record) -> bool:
        return group_bucket(record.group, self.salt) < self.test_fraction

    @classmethod
    def from_config(cls, config: Mapping[str, Any], source: str) -> SplitSpec:
        """The spec recorded in a model's resolved training configuration."""
        try:
            return cls(str(config["split_salt"]), float(config["test_fraction"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise MrpError(f"{source}: no split_salt/test_fraction in 'config'; cannot tell "
                           "its test split (retrain it with this version)") from exc
