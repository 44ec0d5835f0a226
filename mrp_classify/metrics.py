"""Classification metrics in plain numpy, so that `evaluate` needs no training extra."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion_matrix(y_true: Sequence[int], y_pred: Sequence[int], n_labels: int) -> np.ndarray:
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    for truth, pred in zip(y_true, y_pred, strict=True):
        matrix[truth, pred] += 1
    return matrix


def per_class_scores(matrix: np.ndarray, labels: Sequence[str]) -> dict[str, dict[str, float]]:
    scores = {}
    for i, label in enumerate(labels):
        tp = float(matrix[i, i])
        predicted = float(matrix[:, i].sum())
        actual = float(matrix[i, :].sum())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(actual)}
    return scores


def expected_calibration_error(probs: np.ndarray, y_true: Sequence[int], bins: int = 15) -> float:
    """ECE over equal-width confidence bins of the top-class probability."""
    if len(probs) == 0:
        return 0.0
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(y_true)).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def classification_report(y_true: Sequence[int], probs: np.ndarray,
                          labels: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro-F1, accuracy, confusion matrix and ECE."""
    y_pred = [int(i) for i in probs.argmax(axis=1)] if len(probs) else []
    matrix = confusion_matrix(y_true, y_pred, len(labels))
    per_class = per_class_scores(matrix, labels)
    total = int(matrix.sum())
    return {
        "n": total,
        "accuracy": float(np.trace(matrix) / total) if total else 0.0,
        "macro_f1": float(np.mean([s["f1"] for s in per_class.values()])),
        "per_class": per_class,
        "confusion_matrix": {"labels": list(labels), "rows_true_cols_pred": matrix.tolist()},
        "ece": expected_calibration_error(probs, y_true),
    }


def format_report(report: dict[str, Any], title: str = "") -> str:
    """A readable table of a classification_report."""
    labels = report["confusion_matrix"]["labels"]
    width = max(len(label) for label in labels) + 2
    lines = [title] if title else []
    lines.append(f"{'label':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
    for label in labels:
        s = report["per_class"][label]
        lines.append(f"{label:<{width}}{s['precision']:>10.3f}{s['recall']:>10.3f}"
                     f"{s['f1']:>10.3f}{s['support']:>10d}")
    lines.append(f"{'macro-F1':<{width}}{report['macro_f1']:>30.3f}")
    lines.append(f"{'accuracy':<{width}}{report['accuracy']:>30.3f}   ECE {report['ece']:.3f}")
    lines.append("confusion (rows = true, columns = predicted):")
    lines.append(" " * width + "".join(f"{label[:12]:>14}" for label in labels))
    for label, row in zip(labels, report["confusion_matrix"]["rows_true_cols_pred"], strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{value:>14d}" for value in row))
    return "\n".join(lines)
