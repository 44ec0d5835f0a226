"""Agreement statistics against hand-computed values and published examples."""

from __future__ import annotations

import math

import pytest

from mrp_classify.agreement import agreement_stats, cohen_kappa, krippendorff_alpha_nominal

# Ten paragraphs, two annotators; n = none, i = internal_efficiency, c = citizen_facing.
TEN = [("n", "n"), ("n", "n"), ("n", "n"), ("n", "n"), ("n", "i"),
       ("i", "i"), ("i", "i"), ("i", "c"), ("c", "c"), ("c", "c")]


def test_cohen_kappa_by_hand() -> None:
    # Observed agreement p_o = 8/10 = 0.8 (items 5 and 8 differ).
    # Marginals: first n5 i3 c2, second n4 i3 c3.
    # p_e = (5*4 + 3*3 + 2*3) / 10**2 = 35/100 = 0.35.
    # kappa = (0.8 - 0.35) / (1 - 0.35) = 0.45 / 0.65 = 0.692307...
    assert cohen_kappa(TEN) == pytest.approx(0.45 / 0.65)
    assert cohen_kappa(TEN) == pytest.approx(0.6923077, abs=1e-7)


def test_cohen_kappa_textbook_example() -> None:
    # Wikipedia "Cohen's kappa": 50 grant proposals, yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15: p_o = 35/50 = 0.7, p_e = 0.5*0.6 + 0.5*0.4 = 0.5, kappa = 0.2/0.5 = 0.4.
    pairs = [("y", "y")] * 20 + [("y", "n")] * 5 + [("n", "y")] * 10 + [("n", "n")] * 15
    assert cohen_kappa(pairs) == pytest.approx(0.4)


def test_cohen_kappa_edge_cases() -> None:
    assert cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    # p_o = 0, p_e = (1*1 + 1*1)/4 = 0.5: kappa = -0.5/0.5 = -1.
    assert cohen_kappa([("a", "b"), ("b", "a")]) == pytest.approx(-1.0)
    # One label throughout: p_e = 1, chance explains everything.
    assert math.isnan(cohen_kappa([("a", "a"), ("a", "a")]))
    with pytest.raises(ValueError):
        cohen_kappa([])


def test_krippendorff_alpha_two_coders_by_hand() -> None:
    # The ten pairs above. Every unit has m = 2 values, so each ordered pair weighs 1/(m-1) = 1.
    # Value totals: n 5+4 = 9, i 3+3 = 6, c 2+3 = 5; n = 20.
    # Disagreeing ordered pairs: units 5 and 8, two each = 4.
    # sum_{c!=k} n_c n_k = 20**2 - (81 + 36 + 25) = 258.
    # alpha = 1 - (n - 1) * 4 / 258 = 1 - 76/258 = 0.705426...
    assert krippendorff_alpha_nominal(TEN) == pytest.approx(1 - 76 / 258)


def test_krippendorff_alpha_three_coders_with_missing_by_hand() -> None:
    units = [("a", "a", "a"), ("a", "b", None), ("b", "b", "b"), ("a", None, None)]
    # The last unit has one value: no pairs, left out.
    # Totals over pairable values: a = 3 + 1 = 4, b = 1 + 3 = 4; n = 8.
    # Disagreement: only unit 2, (m^2 - sum c^2) / (m - 1) = (4 - 2) / 1 = 2.
    # sum_{c!=k} n_c n_k = 64 - (16 + 16) = 32. alpha = 1 - 7 * 2 / 32 = 0.5625.
    assert krippendorff_alpha_nominal(units) == pytest.approx(0.5625)
    # A unit (a, a, b): m = 3, ordered disagreeing pairs 2*1 + 1*2 = 4, weight 1/2 -> 2.
    # With (b, b) beside it: totals a 2, b 3, n = 5; 25 - (4 + 9) = 12;
    # alpha = 1 - 4 * 2 / 12 = 1/3.
    assert krippendorff_alpha_nominal([("a", "a", "b"), ("b", "b")]) == pytest.approx(1 / 3)


def test_krippendorff_2011_nominal_example() -> None:
    """Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C:
    4 observers, 12 units, missing values; nominal alpha = 0.743."""
    N = None
    observer_a = [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N]
    observer_b = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3]
    observer_c = [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N]
    observer_d = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N]
    alpha = krippendorff_alpha_nominal(zip(observer_a, observer_b, observer_c, observer_d,
                                           strict=True))
    assert round(alpha, 3) == 0.743


def test_krippendorff_alpha_edge_cases() -> None:
    assert krippendorff_alpha_nominal([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    assert math.isnan(krippendorff_alpha_nominal([("a", "a"), ("a", "a", "a")]))
    with pytest.raises(ValueError):
        krippendorff_alpha_nominal([("a",), (None, "b")])


def test_agreement_stats_two_annotators_gives_kappa_and_alpha() -> None:
    units = {f"p{i}": {"ab": first, "cd": second} for i, (first, second) in enumerate(TEN)}
    units["single"] = {"ab": "n"}  # labelled once: not a unit of agreement
    stats = agreement_stats(units)
    assert stats.units == 10 and stats.all_agree == 8
    assert stats.annotators == ("ab", "cd")
    assert stats.cohen_kappa == pytest.approx(0.45 / 0.65)
    assert stats.krippendorff_alpha == pytest.approx(1 - 76 / 258)
    assert "Cohen's kappa 0.692" in stats.describe()
    assert "Krippendorff's alpha (nominal) 0.705" in stats.describe()


def test_agreement_stats_more_annotators_gives_alpha_only() -> None:
    units = {"p1": {"x": "a", "y": "a", "z": "a"}, "p2": {"x": "a", "y": "b"},
             "p3": {"y": "b", "z": "b", "x": "b"}}
    stats = agreement_stats(units)
    assert stats.cohen_kappa is None
    assert stats.krippendorff_alpha == pytest.approx(0.5625)  # as computed above
    assert "kappa" not in stats.describe()
    assert agreement_stats({"p": {"x": "a"}}).describe().startswith(
        "agreement: no paragraph is labelled by more than one annotator")
