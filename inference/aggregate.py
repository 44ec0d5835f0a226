"""From unit predictions to municipality-year profiles.

The profile rule is labels/GUIDE.md's: ``citizen_facing`` if any unit is a
citizen-facing digital goal, else ``internal_only`` if any is an internal one,
else ``no_digital_goals``. What decides that a unit *is* a goal, and how sure
the profile is, is the model's ``ProfileDecision`` (``model.json``), chosen on
the style-disjoint validation documents when the model was trained:

* A unit is a digital goal when its digital probability (internal + citizen)
  reaches ``unit_threshold``; it is citizen-facing when its citizen probability is
  at least its internal one (the tie rule).
* Evidence is never compounded: the raw confidence rests on the single strongest
  unit — for ``citizen_facing`` the best citizen probability, for
  ``internal_only`` the best digital probability times the chance that no unit is
  citizen-facing, for ``no_digital_goals`` one minus the best digital probability.
  Three weak units (p ≈ 0.55) give a profile of confidence ≈ 0.55, not 0.9: in
  real plans such units are correlated (boilerplate, one style), not independent.
* The raw confidence is mapped through the decision's calibration (fitted on
  documents: how often a profile given that raw confidence was right), and a
  profile below ``review_threshold`` says ``needs_review``.
* Units whose text is the same once case, digits and punctuation are ignored count
  once per municipality-year, and a document whose units are mostly those of an
  earlier document (the same plan as PDF and DOCX) is counted as its duplicate.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

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

# A unit whose digital probability stays under this can never decide a profile or be its
# evidence; a national run keeps only its count in memory.
NOISE_FLOOR = 0.05
DUPLICATE_SHARE = 0.8
MAX_EVIDENCE = 5
_KEY_RE = re.compile(r"[\W\d_]+")


def unit_key(text: str) -> int:
    """Identity of a unit's text up to case, digits, punctuation and spacing."""
    folded = _KEY_RE.sub(" ", text.casefold()).strip()
    return int.from_bytes(hashlib.blake2b(folded.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class ProfileDecision:
    unit_threshold: float = 0.5
    review_threshold: float = 0.8
    # (raw confidence, share of profiles right), increasing in both; empty: no mapping.
    calibration: tuple[tuple[float, float], ...] = ()
    # The same per predicted profile: the raw confidence of "no goals" (one minus the best
    # digital probability) and of "citizen-facing" (the best citizen probability) are not
    # on one scale, so one mapping for all would be wrong for each. Falls back to
    # ``calibration`` for a profile it lacks.
    by_profile: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.unit_threshold < 1:
            raise MrpError(f"profile decision: unit_threshold {self.unit_threshold} must be "
                           "in (0, 1)")

    def unit_label(self, probabilities: Mapping[str, float]) -> str:
        digital = probabilities[INTERNAL] + probabilities[CITIZEN]
        if digital < self.unit_threshold:
            return NONE
        return CITIZEN if probabilities[CITIZEN] >= probabilities[INTERNAL] else INTERNAL

    def calibrate(self, raw: float, profile: str | None = None) -> float:
        points = self.by_profile.get(profile, self.calibration) if profile else \
            self.calibration
        if not points:
            return raw
        xs, ys = zip(*points, strict=True)
        return float(np.interp(raw, xs, ys))

    def to_json(self) -> dict[str, Any]:
        return {"unit_threshold": self.unit_threshold,
                "review_threshold": self.review_threshold,
                "calibration": [list(point) for point in self.calibration],
                "calibration_by_profile": {profile: [list(point) for point in points]
                                           for profile, points in self.by_profile.items()},
                "method": "strongest unit; confidence mapped by isotonic regression fitted on "
                          "validation documents, per predicted profile"}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ProfileDecision:
        if not raw:
            return cls()
        return cls(float(raw.get("unit_threshold", 0.5)),
                   float(raw.get("review_threshold", 0.8)),
                   _points(raw.get("calibration", [])),
                   {str(profile): _points(points)
                    for profile, points in raw.get("calibration_by_profile", {}).items()})


def _points(raw: Sequence[Sequence[float]]) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in raw)


DEFAULT_DECISION = ProfileDecision()


@dataclass(frozen=True)
class ParagraphPrediction:
    """One classified unit: where it is, its label and probabilities (``build_profile``
    decides the label again from the probabilities with its own decision)."""

    file: str
    page: int
    index: int
    heading_path: tuple[str, ...]
    text: str
    label: str
    probabilities: Mapping[str, float]

    @property
    def digital(self) -> float:
        return self.probabilities[INTERNAL] + self.probabilities[CITIZEN]


@dataclass(frozen=True)
class DocumentPredictions:
    """One document's contribution to its municipality-year.

    ``unit_keys`` are the keys of all its classified units (``unit_key``); units left out
    by ``without_clear_none`` keep only their key, which is all a count needs.
    """

    file: str
    sha256: str
    kommunkod: str
    year: int
    words: int
    paragraphs: Sequence[ParagraphPrediction]
    unit_keys: frozenset[int] = frozenset()
    omitted_below: float = 0.0
    health_flag: str = ""  # the reader's doubt about the text (scanned, garbled)

    def keys(self) -> frozenset[int]:
        return self.unit_keys or frozenset(unit_key(p.text) for p in self.paragraphs)

    def without_clear_none(self, noise_floor: float = NOISE_FLOOR) -> DocumentPredictions:
        """The same contribution without the units that cannot move a profile."""
        kept = [p for p in self.paragraphs if p.digital >= noise_floor]
        return replace(self, paragraphs=kept, unit_keys=self.keys(),
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
    raw_confidence: float
    needs_review: bool
    probabilities: Mapping[str, float]
    files: tuple[str, ...]
    counts: Mapping[str, int]
    words: int
    evidence: tuple[Evidence, ...]
    duplicates: Mapping[str, str] = field(default_factory=dict)
    # A document whose text the reader doubts makes the profile unreliable: it needs
    # review and is left out of the headline and the counts (summary.py).
    health_flags: tuple[str, ...] = ()

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
    """The profile rules need exactly the three labels of labels/GUIDE.md."""
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


def profile_strength(units: Iterable[Mapping[str, float]]) -> tuple[float, float]:
    """(best digital probability, best citizen probability) over the units."""
    best_digital = best_citizen = 0.0
    for probabilities in units:
        best_digital = max(best_digital, probabilities[INTERNAL] + probabilities[CITIZEN])
        best_citizen = max(best_citizen, probabilities[CITIZEN])
    return min(best_digital, 1.0), best_citizen


def raw_confidences(best_digital: float, best_citizen: float) -> dict[str, float]:
    """The strongest-unit confidence of each profile (see the module docstring)."""
    return {NO_DIGITAL_GOALS: 1.0 - best_digital,
            INTERNAL_ONLY: best_digital * (1.0 - best_citizen),
            CITIZEN_PROFILE: best_citizen}


def profile_probabilities(profile: str, confidence: float,
                          raw: Mapping[str, float]) -> dict[str, float]:
    """A distribution over the three profiles: the calibrated confidence for the chosen
    one, the rest shared by the others in proportion to their raw confidence."""
    others = [name for name in PROFILES if name != profile]
    weight = sum(raw[name] for name in others)
    rest = 1.0 - confidence
    result = {profile: confidence}
    for name in others:
        result[name] = rest * (raw[name] / weight if weight > 0 else 0.5)
    return {name: result[name] for name in PROFILES}


def _duplicates(documents: Sequence[DocumentPredictions]) -> dict[str, str]:
    """file → the earlier file whose units it mostly repeats (same plan, another format)."""
    duplicates: dict[str, str] = {}
    kept: list[tuple[str, frozenset[int]]] = []
    for document in documents:
        keys = document.keys()
        best, share = "", 0.0
        for file, earlier in kept:
            overlap = len(keys & earlier) / len(keys) if keys else 0.0
            if overlap > share:
                best, share = file, overlap
        if keys and share >= DUPLICATE_SHARE:
            duplicates[document.file] = best
        else:
            kept.append((document.file, keys))
    return duplicates


def build_profile(municipality: Municipality, year: int,
                  documents: Sequence[DocumentPredictions],
                  decision: ProfileDecision = DEFAULT_DECISION) -> MunicipalityProfile:
    """One municipality-year from all its documents (repeated files and units count once)."""
    ordered, seen_sha = [], set()
    for document in sorted(documents, key=lambda d: d.file):
        if document.sha256 not in seen_sha:
            seen_sha.add(document.sha256)
            ordered.append(document)
        if document.omitted_below > NOISE_FLOOR:
            raise ValueError(f"{document.file}: units below {document.omitted_below} were left "
                             f"out; they could decide a profile under the noise floor")
    duplicates = _duplicates(ordered)
    counted = [d for d in ordered if d.file not in duplicates]
    units: dict[int, ParagraphPrediction] = {}
    all_keys: set[int] = set()
    for document in counted:
        all_keys |= document.keys()
        for paragraph in document.paragraphs:
            key = unit_key(paragraph.text)
            if key not in units or paragraph.digital > units[key].digital:
                units[key] = paragraph
    counts = {label: 0 for label in LABELS}
    decided = {key: decision.unit_label(p.probabilities) for key, p in units.items()}
    units = {key: replace(p, label=decided[key]) for key, p in units.items()}
    for label in decided.values():
        counts[label] += 1
    counts[NONE] += len(all_keys - units.keys())
    profile = profile_from_labels(label for label, n in counts.items() if n)
    best_digital, best_citizen = profile_strength(p.probabilities for p in units.values())
    raw = raw_confidences(best_digital, best_citizen)
    confidence = decision.calibrate(raw[profile], profile)
    flags = tuple(f"{d.file}: {d.health_flag}" for d in counted if d.health_flag)
    return MunicipalityProfile(
        municipality=municipality, year=year, profile=profile, confidence=confidence,
        raw_confidence=raw[profile],
        needs_review=confidence < decision.review_threshold or bool(flags),
        probabilities=profile_probabilities(profile, confidence, raw),
        files=tuple(d.file for d in ordered),
        counts=counts, words=sum(d.words for d in counted),
        evidence=_evidence(profile, list(units.values())), duplicates=duplicates,
        health_flags=flags)


def _evidence(profile: str, units: Sequence[ParagraphPrediction]) -> tuple[Evidence, ...]:
    if profile == NO_DIGITAL_GOALS:
        chosen = [(p.digital, p) for p in units if p.digital >= NOISE_FLOOR]
    else:
        label = CITIZEN if profile == CITIZEN_PROFILE else INTERNAL
        chosen = [(p.probabilities[label], p) for p in units if p.label == label]
    chosen.sort(key=lambda item: (-item[0], item[1].file, item[1].page, item[1].index))
    return tuple(Evidence(p.file, p.page, p.heading_path, p.text, p.label, score)
                 for score, p in chosen[:MAX_EVIDENCE])


def aggregate(documents: Iterable[DocumentPredictions],
              decision: ProfileDecision = DEFAULT_DECISION) -> list[MunicipalityProfile]:
    """Profiles of every municipality-year that has documents, by kommunkod then year."""
    table = municipalities()
    groups: dict[tuple[str, int], list[DocumentPredictions]] = defaultdict(list)
    for document in documents:
        groups[(document.kommunkod, document.year)].append(document)
    return [build_profile(table[code], year, groups[(code, year)], decision)
            for code, year in sorted(groups)]
