"""From paragraph predictions to municipality-year profiles and the run summary.

Profile (ANNOTATION.md), from the predicted labels (argmax of the calibrated
probabilities): ``citizen_facing`` if any paragraph is citizen_facing, else
``internal_only`` if any is internal_efficiency, else ``no_digital_goals``.

Confidence, the probability of that profile under the model:

* Paragraphs are treated as independent, each with its calibrated
  probabilities. An internal_efficiency or citizen_facing probability below
  the noise floor (0.05) counts as 0 (it moves to ``none``): the calibration
  noise of thousands of clearly-none paragraphs must not add up to a goal.
* P(citizen_facing) = 1 − Π(1 − c_i) and P(no_digital_goals) = Π(1 − c_i − e_i)
  over all paragraphs, c_i / e_i their floored citizen / internal probabilities;
  P(internal_only) = Π(1 − c_i) − Π(1 − c_i − e_i): at least one internal
  paragraph and none really citizen_facing. The three sum to 1.
* confidence = the probability of the predicted profile; ``needs_review``
  when it is below 0.8. A profile that rests on one borderline paragraph
  (p ≈ 0.55) gets ≈ 0.55; one uncertain paragraph among 999 confident none
  ones gives no_digital_goals (or the flipped profile) a confidence near that
  paragraph's own probability, so it is flagged, never silently flipped.

Evidence: the paragraphs that decided the profile, most probable first
(citizen_facing / internal_efficiency paragraphs), or, for no_digital_goals,
the paragraphs that came closest to being a digital goal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.inference.municipalities import Municipality, municipalities

NONE = "none"
INTERNAL = "internal_efficiency"
CITIZEN = "citizen_facing"
LABELS = (NONE, INTERNAL, CITIZEN)
DIGITAL_LABELS = (INTERNAL, CITIZEN)

NO_DIGITAL_GOALS = "no_digital_goals"
INTERNAL_ONLY = "internal_only"
CITIZEN_PROFILE = "citizen_facing"
PROFILES = (NO_DIGITAL_GOALS, INTERNAL_ONLY, CITIZEN_PROFILE)

NOISE_FLOOR = 0.05
REVIEW_THRESHOLD = 0.8
MAX_EVIDENCE = 5
HEADLINE = "inhabitants in municipalities with no digitalisation goals or internal-only ones"

MUNICIPALITY_COLUMNS = (
    "kommunkod", "kommun", "year", "profile", "confidence", "needs_review", "documents",
    "paragraphs", "n_none", "n_internal_efficiency", "n_citizen_facing", "words",
    "digital_per_10k_words", "citizen_share", "population", "population_year", "kommungrupp",
    "kommungrupp_code", "lan",
)


@dataclass(frozen=True)
class ParagraphPrediction:
    """One classified paragraph: where it is, its predicted label and probabilities."""

    file: str
    page: int
    index: int
    heading_path: tuple[str, ...]
    text: str
    label: str
    probabilities: Mapping[str, float]


@dataclass(frozen=True)
class DocumentPredictions:
    """One document's contribution to its municipality-year.

    ``omitted_none`` counts clearly-none paragraphs left out of ``paragraphs`` by
    ``without_clear_none``; they can only add to the none count (see there).
    """

    file: str
    sha256: str
    kommunkod: str
    year: int
    words: int
    paragraphs: Sequence[ParagraphPrediction]
    omitted_none: int = 0
    omitted_below: float = 0.0

    def without_clear_none(self, noise_floor: float = NOISE_FLOOR) -> DocumentPredictions:
        """The same contribution without the paragraphs that cannot move a profile.

        A paragraph labelled none whose digital probabilities are all below the noise
        floor counts as 0 in every product of the confidence and is never evidence; only
        its none count matters. A national run keeps just the others in memory, so the
        memory of aggregation follows the digital paragraphs, not the documents' length.
        """
        kept = [p for p in self.paragraphs
                if p.label != NONE or any(p.probabilities[label] >= noise_floor
                                          for label in DIGITAL_LABELS)]
        return replace(self, paragraphs=kept,
                       omitted_none=self.omitted_none + len(self.paragraphs) - len(kept),
                       omitted_below=max(self.omitted_below, noise_floor))


@dataclass(frozen=True)
class DocumentOutcome:
    """How a document fared, for the summary: status ``ok`` or ``error``; ``aggregated``
    is False when it could not be matched to a municipality and year."""

    file: str
    status: str
    error: str
    aggregated: bool
    municipality_source: str
    municipality_note: str


@dataclass(frozen=True)
class Evidence:
    file: str
    page: int
    heading_path: tuple[str, ...]
    text: str
    label: str
    probability: float


@dataclass(frozen=True)
class MunicipalityProfile:
    municipality: Municipality
    year: int
    profile: str
    confidence: float
    needs_review: bool
    probabilities: Mapping[str, float]
    files: tuple[str, ...]
    counts: Mapping[str, int]
    words: int
    evidence: tuple[Evidence, ...]

    @property
    def paragraphs(self) -> int:
        return sum(self.counts.values())

    @property
    def digital(self) -> int:
        return sum(self.counts[label] for label in DIGITAL_LABELS)

    @property
    def digital_per_10k_words(self) -> float | None:
        return self.digital / self.words * 10_000 if self.words else None

    @property
    def citizen_share(self) -> float | None:
        return self.counts[CITIZEN] / self.digital if self.digital else None


def check_labels(labels: Sequence[str]) -> None:
    """The profile rules need exactly the three labels of ANNOTATION.md."""
    if sorted(labels) != sorted(LABELS):
        raise MrpError(
            f"the model's labels {list(labels)} are not {list(LABELS)}; "
            "profiles can only be built with a model trained on these labels"
        )


def profile_from_labels(labels: Iterable[str]) -> str:
    seen = set(labels)
    if CITIZEN in seen:
        return CITIZEN_PROFILE
    if INTERNAL in seen:
        return INTERNAL_ONLY
    return NO_DIGITAL_GOALS


def _floored(probability: float, noise_floor: float) -> float:
    return probability if probability >= noise_floor else 0.0


def profile_probabilities(
    paragraphs: Iterable[Mapping[str, float]], noise_floor: float = NOISE_FLOOR
) -> dict[str, float]:
    """P(profile) for each profile, paragraphs independent (see the module docstring)."""
    no_citizen = 1.0
    no_digital = 1.0
    for probabilities in paragraphs:
        citizen = _floored(probabilities[CITIZEN], noise_floor)
        internal = _floored(probabilities[INTERNAL], noise_floor)
        no_citizen *= max(0.0, 1.0 - citizen)
        no_digital *= max(0.0, 1.0 - citizen - internal)
    return {
        NO_DIGITAL_GOALS: no_digital,
        INTERNAL_ONLY: max(0.0, no_citizen - no_digital),
        CITIZEN_PROFILE: 1.0 - no_citizen,
    }


def _evidence(
    profile: str, paragraphs: Sequence[ParagraphPrediction], noise_floor: float
) -> tuple[Evidence, ...]:
    if profile == NO_DIGITAL_GOALS:
        scores = [
            sum(_floored(p.probabilities[label], noise_floor) for label in DIGITAL_LABELS)
            for p in paragraphs
        ]
        chosen = [(score, p) for score, p in zip(scores, paragraphs, strict=True) if score > 0]
    else:
        label = CITIZEN if profile == CITIZEN_PROFILE else INTERNAL
        chosen = [(p.probabilities[label], p) for p in paragraphs if p.label == label]
    chosen.sort(key=lambda item: (-item[0], item[1].file, item[1].page, item[1].index))
    return tuple(
        Evidence(p.file, p.page, p.heading_path, p.text, p.label, p.probabilities[p.label])
        for _, p in chosen[:MAX_EVIDENCE]
    )


def build_profile(
    municipality: Municipality,
    year: int,
    documents: Sequence[DocumentPredictions],
    noise_floor: float = NOISE_FLOOR,
    review_threshold: float = REVIEW_THRESHOLD,
) -> MunicipalityProfile:
    """One municipality-year from all its documents (a repeated identical file counts once)."""
    paragraphs: list[ParagraphPrediction] = []
    files: list[str] = []
    words = 0
    counts = {label: 0 for label in LABELS}
    seen: set[str] = set()
    for document in sorted(documents, key=lambda d: d.file):
        if document.sha256 in seen:
            continue
        if document.omitted_below > noise_floor:
            raise ValueError(f"{document.file}: paragraphs below {document.omitted_below} were "
                             f"left out; they would count under the noise floor {noise_floor}")
        seen.add(document.sha256)
        files.append(document.file)
        words += document.words
        paragraphs.extend(document.paragraphs)
        counts[NONE] += document.omitted_none
    profile = profile_from_labels(p.label for p in paragraphs)
    probabilities = profile_probabilities((p.probabilities for p in paragraphs), noise_floor)
    confidence = probabilities[profile]
    for paragraph in paragraphs:
        counts[paragraph.label] += 1
    return MunicipalityProfile(
        municipality=municipality,
        year=year,
        profile=profile,
        confidence=confidence,
        needs_review=confidence < review_threshold,
        probabilities=probabilities,
        files=tuple(files),
        counts=counts,
        words=words,
        evidence=_evidence(profile, paragraphs, noise_floor),
    )


def aggregate(
    documents: Iterable[DocumentPredictions],
    noise_floor: float = NOISE_FLOOR,
    review_threshold: float = REVIEW_THRESHOLD,
) -> list[MunicipalityProfile]:
    """Profiles of every municipality-year that has documents, by kommunkod then year."""
    table = municipalities()
    groups: dict[tuple[str, int], list[DocumentPredictions]] = defaultdict(list)
    for document in documents:
        groups[(document.kommunkod, document.year)].append(document)
    return [
        build_profile(table[code], year, groups[(code, year)], noise_floor, review_threshold)
        for code, year in sorted(groups)
    ]


def _number(value: float | None, decimals: int) -> str:
    return "" if value is None else f"{value:.{decimals}f}"


def municipality_row(profile: MunicipalityProfile) -> list[str | int]:
    """One ``municipalities.csv`` row, in ``MUNICIPALITY_COLUMNS`` order."""
    m = profile.municipality
    return [
        m.kommunkod, m.kommun, profile.year, profile.profile, f"{profile.confidence:.4f}",
        "true" if profile.needs_review else "false", len(profile.files), profile.paragraphs,
        profile.counts[NONE], profile.counts[INTERNAL], profile.counts[CITIZEN], profile.words,
        _number(profile.digital_per_10k_words, 2), _number(profile.citizen_share, 4),
        m.population, m.population_year, m.kommungrupp, m.kommungrupp_code, m.lan,
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def profile_record(profile: MunicipalityProfile) -> dict[str, Any]:
    """A profile as JSON-ready data (the summary's ``profiles`` entries)."""
    m = profile.municipality
    return {
        "kommunkod": m.kommunkod,
        "kommun": m.kommun,
        "year": profile.year,
        "profile": profile.profile,
        "confidence": round(profile.confidence, 4),
        "needs_review": profile.needs_review,
        "profile_probabilities": {k: round(v, 4) for k, v in profile.probabilities.items()},
        "documents": len(profile.files),
        "files": list(profile.files),
        "paragraphs": profile.paragraphs,
        "counts": dict(profile.counts),
        "words": profile.words,
        "digital_per_10k_words": _rounded(profile.digital_per_10k_words),
        "citizen_share": _rounded(profile.citizen_share),
        "population": m.population,
        "population_year": m.population_year,
        "kommungrupp": m.kommungrupp,
        "kommungrupp_code": m.kommungrupp_code,
        "huvudgrupp_code": m.huvudgrupp_code,
        "lan": m.lan,
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
    by_profile: dict[str, dict[str, int]] = {
        name: {"municipalities": 0, "inhabitants": 0, "needs_review": 0} for name in PROFILES
    }
    groups: dict[str, dict[str, Any]] = {}
    for m in table.values():
        groups.setdefault(
            m.kommungrupp_code,
            {"code": m.kommungrupp_code, "name": m.kommungrupp, "municipalities": 0,
             "profiles": {name: 0 for name in PROFILES}, "missing": 0},
        )["municipalities"] += 1
    processed = set()
    for p in profiles:
        processed.add(p.municipality.kommunkod)
        entry = by_profile[p.profile]
        entry["municipalities"] += 1
        entry["inhabitants"] += p.municipality.population
        entry["needs_review"] += int(p.needs_review)
        groups[p.municipality.kommungrupp_code]["profiles"][p.profile] += 1
    missing = [m for code, m in table.items() if code not in processed]
    for m in missing:
        groups[m.kommungrupp_code]["missing"] += 1
    headline_profiles = (NO_DIGITAL_GOALS, INTERNAL_ONLY)
    return {
        "year": year,
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
        "missing": {
            "municipalities": len(missing),
            "inhabitants": sum(m.population for m in missing),
            "list": [{"kommunkod": m.kommunkod, "kommun": m.kommun} for m in missing],
        },
    }


def summarize(
    profiles: Sequence[MunicipalityProfile],
    documents: Sequence[DocumentOutcome],
    noise_floor: float = NOISE_FLOOR,
    review_threshold: float = REVIEW_THRESHOLD,
) -> dict[str, Any]:
    """The run summary: per year, profiles → municipalities and inhabitants, the headline,
    profiles per SKR kommungrupp, the municipalities not processed (missing, not counted as
    having no goals); the documents; and every profile with its evidence."""
    errors = [d for d in documents if d.status != "ok"]
    unresolved = [d for d in documents if d.status == "ok" and not d.aggregated]
    years = sorted({p.year for p in profiles})
    population_years = sorted({m.population_year for m in municipalities().values()})
    return {
        "method": {
            "noise_floor": noise_floor,
            "review_threshold": review_threshold,
            "population_year": population_years[-1],
            "kommungrupp_edition": "SKR kommungruppsindelning 2017",
        },
        "documents": {
            "total": len(documents),
            "ok": len(documents) - len(errors) - len(unresolved),
            "error": len(errors),
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
