"""Temperature scaling: one scalar that makes softmax probabilities honest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mrp_classify.inference.model import softmax


def negative_log_likelihood(logits: np.ndarray, y_true: Sequence[int], temperature: float) -> float:
    probs = softmax(logits.astype(np.float64), temperature)
    picked = probs[np.arange(len(probs)), np.asarray(y_true)]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def fit_temperature(logits: np.ndarray, y_true: Sequence[int]) -> float:
    """The temperature minimising validation NLL (coarse grid in log space, then refined)."""
    if len(logits) == 0:
        return 1.0
    best_log_t = 0.0
    span = 3.0
    for _ in range(4):
        grid = np.linspace(best_log_t - span, best_log_t + span, 61)
        losses = [negative_log_likelihood(logits, y_true, float(np.exp(g))) for g in grid]
        best_log_t = float(grid[int(np.argmin(losses))])
        span /= 10
    return float(np.exp(best_log_t))
