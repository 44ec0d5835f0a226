"""The run's tables and summary from municipality profiles.

``municipality_row`` is one ``municipalities.csv`` row, ``profile_record`` a
profile in ``summary.json``, ``summarize`` the whole summary: per year the
profiles in municipalities and inhabitants, the headline, profiles per SKR
kommungrupp and the municipalities not processed (listed as missing, never
counted as having no goals). Kommungrupp, governing bloc and tax rate are those of
each plan's year (``reference``); the breakdowns and the study's table are
``breakdowns``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mrp_classify.inference.aggregate import (
    CITIZEN,
    DEFAULT_DECISION,
    INTERNAL,
    INTERNAL_ONLY,
    NO_DIGITAL_GOALS,
    NONE,
    PROFILES,
    DocumentOutcome,
    MunicipalityProfile,
    ProfileDecision,
)
from mrp_classify.inference.breakdowns import study_table, year_breakdowns
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.reference import (
    MunicipalityYear,
    editions,
    kommungrupp_edition,
    year_reference,
)

HEADLINE = "inhabitants in municipalities with no digitalisation goals or internal-only ones"

MUNICIPALITY_COLUMNS = (
    "kommunkod", "kommun", "year", "profile", "confidence", "needs_review", "documents",
    "paragraphs", "n_none", "n_internal_efficiency", "n_citizen_facing", "words",
    "digital_per_10k_words", "citizen_share", "population", "population_year", "kommungrupp",
    "kommungrupp_code", "lan", "kommungrupp_edition", "governing_bloc", "tax_rate_2025",
)


def _number(value: float | None, decimals: int) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def _reference(profile: MunicipalityProfile) -> MunicipalityYear:
    return year_reference(profile.year)[profile.municipality.kommunkod]


def municipality_row(profile: MunicipalityProfile) -> list[str | int]:
    """One ``municipalities.csv`` row, in ``MUNICIPALITY_COLUMNS`` order."""
    m = profile.municipality
    ref = _reference(profile)
    return [
        m.kommunkod, m.kommun, profile.year, profile.profile, f"{profile.confidence:.4f}",
        "true" if profile.needs_review else "false", len(profile.files), profile.paragraphs,
        profile.counts[NONE], profile.counts[INTERNAL], profile.counts[CITIZEN], profile.words,
        _number(profile.digital_per_10k_words, 2), _number(profile.citizen_share, 4),
        m.population, m.population_year, ref.kommungrupp.name, ref.kommungrupp.key, m.lan,
        kommungrupp_edition(profile.year), ref.bloc, f"{ref.tax_rate:.2f}",
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def profile_record(profile: MunicipalityProfile) -> dict[str, Any]:
    """A profile as JSON-ready data (the summary's ``profiles`` entries)."""
    m = profile.municipality
    ref = _reference(profile)
    return {
        "kommunkod": m.kommunkod,
        "kommun": m.kommun,
        "year": profile.year,
        "profile": profile.profile,
        "confidence": round(profile.confidence, 4),
        "needs_review": profile.needs_review,
        "raw_confidence": round(profile.raw_confidence, 4),
        "profile_probabilities": {k: round(v, 4) for k, v in profile.probabilities.items()},
        "health_flags": list(profile.health_flags),
        "duplicates": [{"file": file, "duplicate_of": of}
                       for file, of in sorted(profile.duplicates.items())],
        "documents": len(profile.files),
        "files": list(profile.files),
        "paragraphs": profile.paragraphs,
        "counts": dict(profile.counts),
        "words": profile.words,
        "digital_per_10k_words": _rounded(profile.digital_per_10k_words),
        "citizen_share": _rounded(profile.citizen_share),
        "population": m.population,
        "population_year": m.population_year,
        "kommungrupp": ref.kommungrupp.name,
        "kommungrupp_code": ref.kommungrupp.key,
        "huvudgrupp_code": ref.huvudgrupp.key,
        "kommungrupp_edition": kommungrupp_edition(profile.year),
        "lan": m.lan,
        "governing_parties": ref.governing_parties,
        "governing_bloc": ref.bloc,
        "tax_rate": ref.tax_rate,
        "evidence": [
            {
                "file": e.file,
                "page": e.page,
                "heading_path": list(e.heading_path),
                "text": e.text,
                "label": e.label,
                "probability": round(e.probability, 4),
            }
            for e in profile.evidence
        ],
    }


def _year_summary(year: int, profiles: Sequence[MunicipalityProfile]) -> dict[str, Any]:
    table = municipalities()
    reference = year_reference(year)
    by_profile: dict[str, dict[str, int]] = {
        name: {"municipalities": 0, "inhabitants": 0, "needs_review": 0} for name in PROFILES
    }
    groups: dict[str, dict[str, Any]] = {}
    for code in table:
        group = reference[code].kommungrupp
        groups.setdefault(
            group.key,
            {"code": group.key, "name": group.name, "municipalities": 0,
             "profiles": {name: 0 for name in PROFILES}, "missing": 0},
        )["municipalities"] += 1
    processed = set()
    unreadable = [p for p in profiles if p.health_flags]
    for p in profiles:
        processed.add(p.municipality.kommunkod)
        if p.health_flags:
            continue  # text that may not be the plan's: listed, never counted
        entry = by_profile[p.profile]
        entry["municipalities"] += 1
        entry["inhabitants"] += p.municipality.population
        entry["needs_review"] += int(p.needs_review)
        groups[reference[p.municipality.kommunkod].kommungrupp.key]["profiles"][p.profile] += 1
    missing = [m for code, m in table.items() if code not in processed]
    for m in missing:
        groups[reference[m.kommunkod].kommungrupp.key]["missing"] += 1
    headline_profiles = (NO_DIGITAL_GOALS, INTERNAL_ONLY)
    breakdowns = year_breakdowns(year, profiles)
    return {
        "year": year,
        "reference": editions(year),
        "municipalities_processed": len(processed),
        "inhabitants_processed": sum(table[code].population for code in processed),
        "profiles": by_profile,
        "headline": {
            "text": HEADLINE,
            "inhabitants": sum(by_profile[name]["inhabitants"] for name in headline_profiles),
            "municipalities": sum(by_profile[name]["municipalities"] for name in headline_profiles),
            "needs_review": sum(by_profile[name]["needs_review"] for name in headline_profiles),
        },
        "by_kommungrupp": [groups[code] for code in sorted(groups)],
        "excluded_unreadable": {
            "municipalities": len(unreadable),
            "inhabitants": sum(p.municipality.population for p in unreadable),
            "list": [{"kommunkod": p.municipality.kommunkod, "kommun": p.municipality.kommun,
                      "health_flags": list(p.health_flags)} for p in unreadable],
        },
        "missing": {
            "municipalities": len(missing),
            "inhabitants": sum(m.population for m in missing),
            "list": [{"kommunkod": m.kommunkod, "kommun": m.kommun} for m in missing],
        },
        "study_table": study_table(year, breakdowns["national"]),
        "breakdowns": breakdowns,
    }


def _by_edition(years: Sequence[int]) -> dict[int, list[int]]:
    editions_used: dict[int, list[int]] = {}
    for year in years:
        editions_used.setdefault(kommungrupp_edition(year), []).append(year)
    return editions_used


def summarize(profiles: Sequence[MunicipalityProfile], documents: Sequence[DocumentOutcome],
              decision: ProfileDecision = DEFAULT_DECISION) -> dict[str, Any]:
    """The run summary: per year, profiles → municipalities and inhabitants, the headline,
    profiles per SKR kommungrupp, the municipalities not processed (missing, not counted as
    having no goals); the documents; and every profile with its evidence."""
    errors = [d for d in documents if d.status == "error"]
    skipped = [d for d in documents if d.status == "skipped"]
    unresolved = [d for d in documents if d.status == "ok" and not d.aggregated]
    years = sorted({p.year for p in profiles})
    population_years = sorted({m.population_year for m in municipalities().values()})
    return {
        "method": {
            "profile_decision": decision.to_json(),
            "population_year": population_years[-1],
            "kommungrupp_edition": "; ".join(
                f"SKR kommungruppsindelning {edition} ({', '.join(map(str, of))})"
                for edition, of in _by_edition(years).items()) or "none (no profiles)",
            "reference_by_year": "kommungrupp: SKR's 2017 edition for plan years before "
                                 "2023, the 2023 edition from 2023; governing term: the "
                                 "2014 election for 2015–2018, 2018 for 2019–2022, 2022 "
                                 "from 2023 (years[].reference)",
        },
        "documents": {
            "total": len(documents),
            "ok": len(documents) - len(errors) - len(unresolved) - len(skipped),
            "error": len(errors),
            "skipped": len(skipped),
            "skipped_files": [{"file": d.file, "reason": d.error} for d in skipped],
            "unresolved": len(unresolved),
            "errors": [{"file": d.file, "error": d.error} for d in errors],
            "unresolved_files": [
                {"file": d.file, "source": d.municipality_source, "note": d.municipality_note}
                for d in unresolved
            ],
        },
        "years": [_year_summary(year, [p for p in profiles if p.year == year]) for year in years],
        "profiles": [profile_record(p) for p in profiles],
    }
