"""The profile decision chosen on validation documents (training/decision.py)."""

from __future__ import annotations

import numpy as np

from mrp_classify.inference.aggregate import CITIZEN, INTERNAL, NONE
from mrp_classify.training.decision import (
    THRESHOLDS,
    ScoredDocument,
    choose_decision,
    pool_adjacent_violators,
    predict_profile,
    pseudo_documents,
)


def probs(*rows: tuple[float, float, float]) -> np.ndarray:
    return np.array(rows, dtype=float)


def test_isotonic_steps_never_decrease_and_pool_violators() -> None:
    x = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    points = pool_adjacent_violators(x, y)
    values = [value for _, value in points]
    assert values == sorted(values)
    # 0.2 and 0.3 (1 then 0) violate the order and are pooled: (1 + 1) / (2 + 2)
    assert (0.2, 0.5) in points and (0.3, 0.5) in points
    # one wrong document: (0 + 1) / (1 + 2); three right ones: (3 + 1) / (3 + 2)
    assert points[0] == (0.1, 1 / 3) and points[-1] == (0.6, 0.8)
    assert all(0 < value < 1 for value in values)


def test_a_profile_rests_on_the_strongest_unit_above_the_threshold() -> None:
    document = ScoredDocument(probs((0.9, 0.05, 0.05), (0.3, 0.1, 0.6), (0.45, 0.5, 0.05)),
                              CITIZEN)
    assert predict_profile(document, 0.5)[0] == CITIZEN
    # Digital probabilities are 0.7 and 0.55: at 0.75 no unit is a goal.
    assert predict_profile(document, 0.75)[0] == "no_digital_goals"
    profile, confidence = predict_profile(document, 0.5)
    assert abs(confidence - 0.6) < 1e-9  # the best citizen probability, not compounded


def test_pseudo_documents_have_the_profile_of_their_units() -> None:
    labels = [NONE] * 50 + [INTERNAL] * 10 + [CITIZEN] * 10
    probabilities = np.tile([0.8, 0.1, 0.1], (len(labels), 1))
    documents = pseudo_documents(probabilities, labels, seed=3, count=30)
    assert len(documents) == 30
    assert {d.profile for d in documents} == {"no_digital_goals", "internal_only",
                                               "citizen_facing"}
    assert all(80 <= len(d.probabilities) <= 600 + 9 for d in documents)


def test_the_threshold_that_keeps_false_goals_out_is_chosen() -> None:
    # Goals score 0.985; a few non-goal units score 0.92: any threshold up to 0.9 lets
    # them flip no-goal plans, 0.93–0.98 keeps them out and every goal in.
    rng = np.random.default_rng(0)
    labels, rows = [], []
    for _ in range(400):
        labels.append(NONE)
        rows.append((0.99, 0.005, 0.005))
    for _ in range(6):
        labels.append(NONE)
        rows.append((0.08, 0.9, 0.02))
    for label in (INTERNAL, CITIZEN):
        for _ in range(30):
            labels.append(label)
            rows.append((0.015, 0.985, 0.0) if label == INTERNAL else (0.015, 0.0, 0.985))
    order = rng.permutation(len(labels))
    probabilities = np.array(rows)[order]
    labels = [labels[i] for i in order]
    decision, report = choose_decision(probabilities, labels, [], seed=1)
    assert 0.93 <= decision.unit_threshold <= 0.98
    assert [row["unit_threshold"] for row in report["search"]] == list(THRESHOLDS)
    calibration = [value for _, value in decision.calibration]
    assert calibration == sorted(calibration)


def test_each_profile_gets_its_own_calibration() -> None:
    """No-goal plans whose strongest non-goal unit sits just under the threshold are right
    although their raw confidence (1 − best digital) is small: a mapping of their own
    says so, where one shared with the citizen-facing plans would not."""
    from mrp_classify.inference.aggregate import ProfileDecision

    labels, rows = [], []
    for _ in range(500):
        labels.append(NONE)
        rows.append((0.2, 0.78, 0.02))  # digital 0.8: under a 0.9 threshold
    for label in (INTERNAL, CITIZEN):
        for _ in range(40):
            labels.append(label)
            rows.append((0.01, 0.98, 0.01) if label == INTERNAL else (0.01, 0.01, 0.98))
    decision, report = choose_decision(np.array(rows), labels, [], seed=2)
    assert decision.unit_threshold >= 0.85
    assert set(decision.by_profile) == {"no_digital_goals", "internal_only", "citizen_facing"}
    # raw 0.2 for "no goals" is always right here
    assert decision.calibrate(0.2, "no_digital_goals") > 0.9
    assert sum(report["calibration_documents_by_profile"].values()) == report[
        "calibration_documents"]
    again = ProfileDecision.from_json(decision.to_json())
    assert again == decision
