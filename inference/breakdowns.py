"""One year's profiles broken down by group, with their uncertainty.

``year_breakdowns`` gives, per SKR kommungrupp and main group (the edition of the
plan's year), governing bloc and tax-rate quartile (``reference``), and nationally:

* **coverage**: municipalities in the group, processed, counted (processed with a
  readable plan; summary.py keeps unreadable ones out of every count) and their share;
* per profile, **hard counts** (municipalities and inhabitants whose predicted profile
  it is) and **expectations** weighted by each municipality's profile probabilities
  (``MunicipalityProfile.probabilities``: the calibrated confidence for the predicted
  profile, the rest shared by the other two). Their 95 % intervals come from drawing
  every counted municipality's profile from its probabilities ``DRAWS`` times: they
  cover the model's doubt about each plan taken as independent, not a bias shared by
  all plans, and not the municipalities that were not processed;
* **digital-goal units per 10,000 words**: the mean over the group's plans (each plan
  weighs the same, however long), with a bootstrap interval over municipalities;
* **big cities against rural municipalities**: that mean in SKR's main group
  "Storstäder och storstadsnära kommuner" divided by the mean in its groups named
  "Landsbygdskommun…" (the names of the year's edition decide), with a stratified
  bootstrap interval.

Every random draw uses a generator seeded from ``SEED``, the year and the municipality
(profile draws) or the group (bootstraps), so the same profiles give the same bytes. A
bootstrap interval needs ``MIN_BOOTSTRAP`` plans (on each side, for the ratio); with
fewer it is ``null`` and says so.

``study_table`` is the headline in the terms of the 2021 study (municipalities and
inhabitants with no goals, with internal-only goals, both): only for a year in which
all 290 municipalities have a readable plan; otherwise a statement, never a figure
that would look national.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from mrp_classify.inference.aggregate import (
    INTERNAL_ONLY,
    NO_DIGITAL_GOALS,
    PROFILES,
    MunicipalityProfile,
)
from mrp_classify.inference.municipalities import N_MUNICIPALITIES, municipalities
from mrp_classify.inference.reference import (
    BLOCS,
    DIMENSIONS,
    Group,
    editions,
    tax_quartile_cutpoints,
    year_reference,
)

SEED = 20210615  # the study's press release; any fixed number would do
DRAWS = 2000
LEVEL = 0.95
MIN_BOOTSTRAP = 5
BIG_CITY_MAIN_GROUP = "Storstäder och storstadsnära kommuner"
RURAL_GROUP_PREFIX = "Landsbygdskommun"
NO_OR_INTERNAL = "no_or_internal_only"
_TAILS = ((1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2)


def _rng(year: int, label: str) -> np.random.Generator:
    return np.random.default_rng([SEED, year, zlib.crc32(label.encode("utf-8"))])


def _interval(samples: np.ndarray) -> list[float]:
    low, high = np.quantile(samples, _TAILS, method="inverted_cdf")
    return [float(low), float(high)]


class _Year:
    """The counted municipalities of one year as arrays, and their profile draws."""

    def __init__(self, year: int, profiles: Sequence[MunicipalityProfile]) -> None:
        self.year = year
        self.processed = frozenset(p.municipality.kommunkod for p in profiles)
        counted = sorted((p for p in profiles if not p.health_flags),
                         key=lambda p: p.municipality.kommunkod)
        self.codes = [p.municipality.kommunkod for p in counted]
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.population = np.array([p.municipality.population for p in counted], dtype=np.int64)
        self.profile = np.array([PROFILES.index(p.profile) for p in counted], dtype=np.int64)
        self.probabilities = np.array(
            [[p.probabilities[name] for name in PROFILES] for p in counted],
            dtype=np.float64).reshape(len(counted), len(PROFILES))
        self.density = {p.municipality.kommunkod: p.digital_per_10k_words for p in counted}
        # One draw of every municipality's profile per row: 0, 1 or 2 (PROFILES order). Each
        # municipality has its own stream, so its draws do not depend on who else was run.
        uniform = np.array([_rng(year, code).random(DRAWS) for code in self.codes],
                           dtype=np.float64).reshape(len(counted), DRAWS).T
        thresholds = np.cumsum(self.probabilities, axis=1)[:, :-1]
        self.draws = (uniform[:, :, None] >= thresholds[None, :, :]).sum(axis=2)

    def mask(self, codes: Sequence[str]) -> np.ndarray:
        mask = np.zeros(len(self.codes), dtype=bool)
        mask[[self.index[c] for c in codes if c in self.index]] = True
        return mask

    def profile_figures(self, mask: np.ndarray, kinds: Sequence[int]) -> dict[str, Any]:
        """Hard and expected municipalities and inhabitants in the profiles ``kinds``."""
        hard = mask & np.isin(self.profile, kinds)
        drawn = np.isin(self.draws[:, mask], kinds)
        population = self.population[mask]
        weights = self.probabilities[mask][:, list(kinds)].sum(axis=1)
        return {
            "municipalities": int(hard.sum()),
            "inhabitants": int(self.population[hard].sum()),
            "expected_municipalities": round(float(weights.sum()), 4),
            "municipalities_interval": [int(x) for x in _interval(drawn.sum(axis=1))],
            "expected_inhabitants": round(float((weights * population).sum()), 1),
            "inhabitants_interval": [int(x) for x in _interval(drawn @ population)],
        }


def _mean_interval(year: int, label: str, values: Sequence[float]) -> dict[str, Any]:
    """Mean of the plans' densities with a bootstrap interval over municipalities."""
    data = np.array(values, dtype=np.float64)
    result: dict[str, Any] = {"mean": round(float(data.mean()), 4) if len(data) else None,
                              "municipalities": len(data), "interval": None}
    if len(data) >= MIN_BOOTSTRAP:
        picks = _rng(year, label).integers(0, len(data), (DRAWS, len(data)))
        result["interval"] = [round(x, 4) for x in _interval(data[picks].mean(axis=1))]
    else:
        result["note"] = f"fewer than {MIN_BOOTSTRAP} plans: no interval"
    return result


def _densities(data: _Year, codes: Sequence[str]) -> list[float]:
    return [d for c in codes if c in data.density and (d := data.density[c]) is not None]


def _group_entry(data: _Year, group: Group, codes: Sequence[str], label: str) -> dict[str, Any]:
    table = municipalities()
    mask = data.mask(codes)
    counted = [c for c in codes if c in data.index]
    inhabitants = sum(table[c].population for c in codes)
    counted_inhabitants = sum(table[c].population for c in counted)
    return {
        "key": group.key,
        "name": group.name,
        "municipalities": len(codes),
        "processed": sum(1 for c in codes if c in data.processed),
        "counted": len(counted),
        "coverage": round(len(counted) / len(codes), 4) if codes else None,
        "inhabitants": inhabitants,
        "inhabitants_counted": counted_inhabitants,
        "inhabitant_coverage": round(counted_inhabitants / inhabitants, 4) if inhabitants
        else None,
        "profiles": {name: data.profile_figures(mask, [k]) for k, name in enumerate(PROFILES)},
        NO_OR_INTERNAL: data.profile_figures(
            mask, [PROFILES.index(NO_DIGITAL_GOALS), PROFILES.index(INTERNAL_ONLY)]),
        "digital_per_10k_words": _mean_interval(data.year, label, _densities(data, counted)),
    }


def _members(year: int, dimension: str) -> dict[Group, list[str]]:
    members: dict[Group, list[str]] = {}
    for code, entry in year_reference(year).items():
        members.setdefault(entry.group(dimension), []).append(code)
    order = (lambda g: BLOCS.index(g.key)) if dimension == "bloc" else (lambda g: g.key)
    return {group: members[group] for group in sorted(members, key=order)}


def _ratio(data: _Year) -> dict[str, Any]:
    reference = year_reference(data.year)
    big = [c for c, r in reference.items() if r.huvudgrupp.name == BIG_CITY_MAIN_GROUP]
    rural = [c for c, r in reference.items()
             if r.kommungrupp.name.startswith(RURAL_GROUP_PREFIX)]
    values = {"big_cities": np.array(_densities(data, big)),
              "rural": np.array(_densities(data, rural))}
    means = {side: round(float(v.mean()), 4) if len(v) else None for side, v in values.items()}
    result: dict[str, Any] = {
        "measure": "mean digital-goal units per 10,000 words, big cities / rural",
        "groups": {
            "big_cities": sorted({f"{reference[c].huvudgrupp.key} {reference[c].huvudgrupp.name}"
                                  for c in big}),
            "rural": sorted({f"{reference[c].kommungrupp.key} {reference[c].kommungrupp.name}"
                             for c in rural})},
        "municipalities": {side: len(v) for side, v in values.items()},
        "means": means,
        "ratio": (round(float(values["big_cities"].mean() / values["rural"].mean()), 4)
                  if means["big_cities"] is not None and means["rural"] else None),
        "interval": None,
    }
    if min(len(v) for v in values.values()) < MIN_BOOTSTRAP:
        result["note"] = f"fewer than {MIN_BOOTSTRAP} plans on a side: no interval"
        return result
    rng = _rng(data.year, "big_cities/rural")
    big_means, rural_means = (v[rng.integers(0, len(v), (DRAWS, len(v)))].mean(axis=1)
                              for v in values.values())
    # A resample without rural units has an unbounded ratio (inf), one without units on
    # either side none at all (left out and counted).
    ratios = np.full(DRAWS, np.inf)
    np.divide(big_means, rural_means, out=ratios, where=rural_means > 0)
    undefined = (big_means == 0) & (rural_means == 0)
    if undefined.all():
        result["note"] = "no digital-goal units on either side: no ratio"
        return result
    low, high = _interval(ratios[~undefined])
    result["interval"] = [round(low, 4), None if np.isinf(high) else round(high, 4)]
    if np.isinf(high) or undefined.any():
        result["note"] = (f"{int(undefined.sum())} of {DRAWS} resamples without units on "
                          "either side left out; an upper bound of null is unbounded")
    return result


def year_breakdowns(year: int, profiles: Sequence[MunicipalityProfile]) -> dict[str, Any]:
    """The year's breakdowns (see the module docstring); ``profiles``: that year's."""
    data = _Year(year, profiles)
    dimensions: dict[str, Any] = {}
    for dimension in DIMENSIONS:
        dimensions[dimension] = {"groups": [
            _group_entry(data, group, codes, f"{dimension}/{group.key}")
            for group, codes in _members(year, dimension).items()]}
    reference = editions(year)
    dimensions["kommungrupp"]["edition"] = dimensions["huvudgrupp"]["edition"] = (
        reference["kommungrupp"])
    dimensions["bloc"]["definition"] = reference["bloc_definition"]
    dimensions["bloc"]["governing_term"] = reference["governing_term"]
    dimensions["tax_quartile"]["definition"] = reference["tax_rate"]
    dimensions["tax_quartile"]["cutpoints"] = list(tax_quartile_cutpoints())
    return {
        "method": {
            "expected": "sum over counted municipalities of each profile's probability "
                        "(the calibrated confidence for the predicted profile)",
            "intervals": f"{LEVEL:.0%}; profiles drawn {DRAWS} times from their "
                         "probabilities, independently per municipality; densities and the "
                         f"ratio: bootstrap over municipalities, {DRAWS} resamples",
            "seed": SEED,
            "digital_per_10k_words": "mean over plans of digital-goal units per 10,000 words",
        },
        "national": _group_entry(data, Group("SE", "Hela landet"), list(municipalities()),
                                 "national"),
        "dimensions": dimensions,
        "big_cities_vs_rural": _ratio(data),
    }


def study_table(year: int, national: dict[str, Any]) -> dict[str, Any]:
    """The study's headline for a year with every municipality counted; else a statement.

    ``national`` is ``year_breakdowns(...)["national"]``.
    """
    counted, processed = national["counted"], national["processed"]
    if counted < N_MUNICIPALITIES:
        unreadable = processed - counted
        return {
            "complete": False,
            "statement": (
                f"{year}: {counted} of {N_MUNICIPALITIES} municipalities have a readable plan "
                f"({national['inhabitant_coverage']:.1%} of inhabitants); "
                f"{N_MUNICIPALITIES - processed} not processed"
                + (f", {unreadable} unreadable" if unreadable else "")
                + ". The study's national figures need all 290, so none are given here; the "
                "counts in this year's summary cover the processed municipalities only."),
        }
    figures = {name: national["profiles"][name] for name in (NO_DIGITAL_GOALS, INTERNAL_ONLY)}
    return {
        "complete": True,
        "statement": (f"{year}: all {N_MUNICIPALITIES} municipalities counted; "
                      f"{national[NO_OR_INTERNAL]['municipalities']} have no digitalisation "
                      f"goals or internal-only ones "
                      f"({national[NO_OR_INTERNAL]['inhabitants']:,} inhabitants), "
                      f"{figures[NO_DIGITAL_GOALS]['municipalities']} none at all "
                      f"({figures[NO_DIGITAL_GOALS]['inhabitants']:,} inhabitants)"),
        **figures,
        NO_OR_INTERNAL: national[NO_OR_INTERNAL],
    }
