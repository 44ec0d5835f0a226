"""Pure arithmetic that training uses, kept apart from torch so it is tested without it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def wilson_lower_bound(successes: int, trials: int, z: float = 1.96) -> float:
    """Lower end of the Wilson score interval: what agreement rate we can vouch for."""
    if trials == 0:
        return 0.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - margin) / (1 + z * z / trials)


def class_weight_values(y: Sequence[int], n_labels: int, power: float = 1.0) -> np.ndarray:
    """Loss weights ∝ (1 / class frequency) ** power; 1 balances the classes."""
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_labels).astype(np.float64)
    return (len(y) / (n_labels * np.maximum(counts, 1.0))) ** power


def evenly_spread(total: int, count: int) -> list[int]:
    """``count`` of ``total`` layer indices, evenly spaced, ending with the last."""
    if not 1 <= count <= total:
        raise ValueError(f"encoder_layers {count}: the base model has {total} layers")
    return [round((i + 1) * total / count) - 1 for i in range(count)]
