"""Inter-annotator agreement: Cohen's kappa and Krippendorff's alpha (nominal).

Plain Python, so that `labels import` reports agreement on the base install.
Both statistics are ``nan`` when undefined: every annotation is the same
label, so chance agreement is already perfect and nothing can be measured.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass


def cohen_kappa(pairs: Sequence[tuple[Hashable, Hashable]]) -> float:
    """Cohen's kappa of two annotators, one (first, second) label pair per item.

    kappa = (p_o - p_e) / (1 - p_e): p_o the share of items with equal labels,
    p_e the agreement expected from each annotator's own label frequencies.
    """
    if not pairs:
        raise ValueError("cohen_kappa needs at least one labelled pair")
    n = len(pairs)
    observed = sum(1 for first, second in pairs if first == second) / n
    first_counts = Counter(first for first, _ in pairs)
    second_counts = Counter(second for _, second in pairs)
    expected = sum(first_counts[label] * second_counts[label] for label in first_counts) / n**2
    if expected == 1.0:
        return math.nan
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha_nominal(units: Iterable[Iterable[Hashable | None]]) -> float:
    """Krippendorff's alpha for nominal labels, any number of annotators, missing allowed.

    Each unit lists the labels its annotators gave (``None`` = not annotated).
    Units with fewer than two labels carry no pairs and are left out, as in
    Krippendorff (2011), "Computing Krippendorff's alpha-reliability".
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k, from the
    coincidence matrix o (each unit's ordered pairs weighted 1 / (m_u - 1)).
    """
    disagreeing = 0.0
    totals: Counter[Hashable] = Counter()
    for unit in units:
        values = [value for value in unit if value is not None]
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        # Ordered pairs of different labels in this unit, weighted 1/(m-1); every value
        # contributes (m - 1) pairs * 1/(m - 1) = 1 to its label's marginal n_c.
        disagreeing += (m * m - sum(c * c for c in counts.values())) / (m - 1)
        totals.update(counts)
    n = sum(totals.values())
    if n == 0:
        raise ValueError("krippendorff_alpha_nominal needs a unit with at least two labels")
    expected_pairs = n * n - sum(c * c for c in totals.values())
    if expected_pairs == 0:
        return math.nan
    return 1.0 - (n - 1) * disagreeing / expected_pairs


@dataclass(frozen=True)
class AgreementStats:
    """Agreement over the paragraphs that more than one annotator labelled."""

    units: int
    annotators: tuple[str, ...]
    all_agree: int
    cohen_kappa: float | None
    krippendorff_alpha: float | None

    def describe(self) -> str:
        if not self.units:
            return "agreement: no paragraph is labelled by more than one annotator yet"
        parts = [f"agreement over {self.units} paragraph(s) labelled by more than one of "
                 f"{len(self.annotators)} annotators ({', '.join(self.annotators)}): "
                 f"{self.all_agree} agree"]
        if self.cohen_kappa is not None:
            parts.append(f"Cohen's kappa {_number(self.cohen_kappa)}")
        if self.krippendorff_alpha is not None:
            parts.append(f"Krippendorff's alpha (nominal) {_number(self.krippendorff_alpha)}")
        return "; ".join(parts)


def _number(value: float) -> str:
    return "undefined (a single label throughout)" if math.isnan(value) else f"{value:.3f}"


def agreement_stats(annotations: Mapping[str, Mapping[str, str]]) -> AgreementStats:
    """Statistics over ``{paragraph key: {annotator: label}}``.

    Cohen's kappa when exactly two annotators share paragraphs (it is defined for
    a fixed pair); Krippendorff's alpha in every case, since it takes any number
    of annotators and paragraphs that only some of them labelled.
    """
    units = [labels for labels in annotations.values() if len(labels) >= 2]
    if not units:
        return AgreementStats(0, (), 0, None, None)
    annotators = tuple(sorted({name for labels in units for name in labels}))
    kappa = None
    if len(annotators) == 2:
        first, second = annotators
        kappa = cohen_kappa([(labels[first], labels[second]) for labels in units])
    alpha = krippendorff_alpha_nominal(list(labels.values()) for labels in units)
    all_agree = sum(1 for labels in units if len(set(labels.values())) == 1)
    return AgreementStats(len(units), annotators, all_agree, kappa, alpha)
