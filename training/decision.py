"""Choosing the profile decision on the style-disjoint validation fold.

The unit threshold and the confidence calibration are fitted on documents:
the validation plans themselves (real layouts, real furniture) and
pseudo-documents drawn from the validation units (many, so the calibration
has enough documents to rest on). Nothing here sees the test plans. Plain
NumPy: no training extra is needed to test it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mrp_classify.inference.aggregate import (
    CITIZEN,
    INTERNAL,
    NONE,
    PROFILES,
    ProfileDecision,
    profile_from_labels,
    raw_confidences,
)

# Below 0.5 a unit could be a goal while "none" is its most probable label. Plans hold
# hundreds of non-goal units and one false goal flips a profile, so the grid reaches
# 0.99; the unit F1 in the score keeps the choice from trading recall away for nothing.
THRESHOLDS = (*(round(t, 2) for t in np.arange(0.50, 0.901, 0.05)), 0.93, 0.95, 0.97, 0.98,
              0.99)
# Weight of the validation units' digital-goal F1 in the choice, next to profile accuracy.
UNIT_F1_WEIGHT = 0.25
PSEUDO_DOCUMENTS = 600
MAX_CALIBRATION_POINTS = 40
# Fewer documents predicted with a profile than this: that profile uses the shared mapping.
MIN_PROFILE_DOCUMENTS = 30


@dataclass(frozen=True)
class ScoredDocument:
    """A document's unit probabilities (columns none, internal, citizen) and true profile."""

    probabilities: np.ndarray
    profile: str


def _unit_labels(probabilities: np.ndarray, threshold: float) -> list[str]:
    digital = probabilities[:, 1] + probabilities[:, 2]
    citizen = probabilities[:, 2] >= probabilities[:, 1]
    return [NONE if d < threshold else (CITIZEN if c else INTERNAL)
            for d, c in zip(digital, citizen, strict=True)]


def predict_profile(document: ScoredDocument, threshold: float) -> tuple[str, float]:
    """(profile, raw confidence) under ``threshold``, as ``aggregate.build_profile`` decides."""
    probs = document.probabilities
    profile = profile_from_labels(_unit_labels(probs, threshold))
    if len(probs) == 0:
        return profile, 1.0
    best_digital = float(min(1.0, (probs[:, 1] + probs[:, 2]).max()))
    best_citizen = float(probs[:, 2].max())
    return profile, raw_confidences(best_digital, best_citizen)[profile]


def pseudo_documents(probabilities: np.ndarray, labels: Sequence[str], seed: int,
                     count: int = PSEUDO_DOCUMENTS,
                     none_pool: np.ndarray | None = None) -> list[ScoredDocument]:
    """Documents assembled from labelled units: 80–600 ``none`` units and, for a third each,
    no digital goal, 1–5 internal ones, or 1–4 citizen-facing ones (plus 0–4 internal).

    ``none_pool`` (indices) limits the ``none`` units to those of whole plans: a corpus
    written to be full of traps would make every document far harder than a real plan."""
    rng = np.random.default_rng(seed)
    pools = {name: np.flatnonzero(np.asarray(labels) == name) for name in (NONE, INTERNAL,
                                                                            CITIZEN)}
    if none_pool is not None and len(none_pool):
        pools[NONE] = np.intersect1d(pools[NONE], none_pool)
    if any(len(pool) == 0 for pool in pools.values()):
        return []
    documents = []
    for n in range(count):
        kind = n % 3
        picked = [rng.choice(pools[NONE], int(rng.integers(80, 601)))]
        if kind >= 1:
            picked.append(rng.choice(pools[INTERNAL], int(rng.integers(1, 6) if kind == 1
                                                          else rng.integers(0, 5))))
        if kind == 2:
            picked.append(rng.choice(pools[CITIZEN], int(rng.integers(1, 5))))
        index = np.concatenate(picked)
        truth = profile_from_labels(labels[i] for i in index)
        documents.append(ScoredDocument(probabilities[index], truth))
    return documents


def pool_adjacent_violators(x: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """Isotonic (non-decreasing) regression of ``y`` on ``x``: the step points, each
    shrunk towards one half by its number of documents."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order].astype(float), y[order].astype(float)
    blocks: list[list[float]] = []  # [sum y, count, min x, max x]
    for xv, yv in zip(xs, ys, strict=True):
        blocks.append([yv, 1.0, xv, xv])
        # Ties pool too: a run of right documents is one step resting on all of them.
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            total, n, low, high = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += n
            blocks[-1][3] = high
    # Each step is the share right with one right and one wrong document added (Laplace),
    # so a step resting on few documents never claims certainty; the running maximum
    # keeps the steps non-decreasing after that shrinkage.
    points = []
    floor = 0.0
    for total, n, low, high in blocks:
        value = max(floor, (total + 1.0) / (n + 2.0))
        floor = value
        points.append((low, value))
        if high > low:
            points.append((high, value))
    return points


def _thin(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    if len(points) > MAX_CALIBRATION_POINTS:
        keep = np.linspace(0, len(points) - 1, MAX_CALIBRATION_POINTS).round().astype(int)
        points = [points[i] for i in sorted(set(keep))]
    return tuple((round(x, 4), round(y, 4)) for x, y in points)


def choose_decision(unit_probabilities: np.ndarray, unit_labels: Sequence[str],
                    documents: Sequence[ScoredDocument], seed: int,
                    document_units: np.ndarray | None = None
                    ) -> tuple[ProfileDecision, dict[str, Any]]:
    """The unit threshold that gets the most profiles right (pseudo-documents and validation
    plans weighted alike) plus a quarter of the digital-goal F1 of the plans' units
    (``document_units``, indices), ties to the higher threshold; then the calibration of
    the raw confidence at that threshold."""
    pseudo = pseudo_documents(unit_probabilities, unit_labels, seed, none_pool=document_units)
    units = document_units if document_units is not None and len(document_units) else \
        np.arange(len(unit_labels))
    truth = np.asarray(unit_labels)[units] != NONE
    trail = []
    best: tuple[float, float] | None = None
    for threshold in THRESHOLDS:
        scores = [float(np.mean([predict_profile(d, threshold)[0] == d.profile for d in part]))
                  for part in (pseudo, documents) if part]
        accuracy = float(np.mean(scores)) if scores else 0.0
        found = np.asarray(_unit_labels(unit_probabilities[units], threshold)) != NONE
        tp, fp = int((found & truth).sum()), int((found & ~truth).sum())
        fn = int((~found & truth).sum())
        f1 = 2 * tp / max(1, 2 * tp + fp + fn)
        score = accuracy + UNIT_F1_WEIGHT * f1
        trail.append({"unit_threshold": threshold, "profile_accuracy": round(accuracy, 4),
                      "plan_unit_digital_f1": round(f1, 4),
                      "false_digital_per_1000_none": round(1000 * fp / max(1, int(
                          (~truth).sum())), 2), "digital_recall": round(tp / max(1, tp + fn), 4)})
        if best is None or score >= best[1] - 1e-9:
            best = (threshold, score)
    assert best is not None
    threshold = best[0]
    scored = [predict_profile(d, threshold) + (d.profile,) for d in list(pseudo) + list(documents)]
    raw = np.array([confidence for _, confidence, _ in scored])
    right = np.array([float(profile == truth) for profile, _, truth in scored])
    calibration = _thin(pool_adjacent_violators(raw, right)) if len(raw) else ()
    predicted = np.array([profile for profile, _, _ in scored])
    by_profile = {}
    for profile in PROFILES:
        mine = predicted == profile
        if mine.sum() >= MIN_PROFILE_DOCUMENTS:
            by_profile[profile] = _thin(pool_adjacent_violators(raw[mine], right[mine]))
    decision = ProfileDecision(unit_threshold=threshold, calibration=calibration,
                               by_profile=by_profile)
    report = {"unit_threshold": threshold, "search": trail,
              "pseudo_documents": len(pseudo), "validation_documents": len(documents),
              "calibration_documents": len(raw),
              "calibration_documents_by_profile": {
                  profile: int((predicted == profile).sum()) for profile in PROFILES}}
    return decision, report
