"""What changed between two runs, or between two years: ``mrp-classify compare-runs``.

Each side is one year of one run folder (by default the run's latest year; a run
holding several years can be compared with itself, ``--year-a 2021 --year-b 2025``).
Per municipality: its profile on each side, whether it changed, and the digital-goal
units (paragraphs.csv, identified by ``aggregate.unit_key``: the same sentence with a
new year in it is the same unit) that appeared, disappeared or changed label. Then the
movements between profiles, nationally and per group of side B's year (kommungrupp,
main group, governing bloc, tax quartile; ``reference``). A municipality whose plan was
unreadable on either side is listed but, as in the summary, kept out of the movements.

The run folders are read through ``outputs.RunOutputs``; ``write_changes`` writes
``changes.csv`` and ``changes.json`` atomically and never over existing files
without ``force``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import DIGITAL_LABELS, PROFILES, unit_key
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.outputs import SUMMARY_FILE, RunOutputs
from mrp_classify.inference.reference import DIMENSIONS, Group, year_reference
from mrp_classify.io import refuse_overwrite, write_json_atomic

log = logging.getLogger(__name__)

CHANGES_CSV = "changes.csv"
CHANGES_JSON = "changes.json"
FORMAT_VERSION = 1
PROFILE_CHANGED = "profile_changed"
SAME_PROFILE = "same_profile"
ONLY_IN_A = "only_in_a"
ONLY_IN_B = "only_in_b"
CHANGES = (PROFILE_CHANGED, SAME_PROFILE, ONLY_IN_A, ONLY_IN_B)
# changes.csv names the strongest few units; changes.json lists them all.
CSV_UNITS = 3
CSV_TEXT_CHARS = 200

CHANGE_COLUMNS = (
    "kommunkod", "kommun", "change", "year_a", "profile_a", "confidence_a", "needs_review_a",
    "year_b", "profile_b", "confidence_b", "needs_review_b", "unreadable", "units_appeared",
    "units_disappeared", "units_relabelled", "evidence_appeared", "evidence_disappeared",
    "kommungrupp_code", "governing_bloc",
)


@dataclass(frozen=True)
class Unit:
    """A digital-goal unit of one municipality-year (its strongest occurrence)."""

    text: str
    label: str
    probability: float
    file: str
    page: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "label": self.label, "probability": self.probability,
                "file": self.file, "page": self.page}


@dataclass(frozen=True)
class RunYear:
    """One side of a comparison: one year of one run folder."""

    dir: Path
    year: int
    model: Mapping[str, Any]
    profiles: Mapping[str, Mapping[str, Any]]  # kommunkod → summary.json profile record
    units: Mapping[str, Mapping[int, Unit]]  # kommunkod → unit key → digital unit

    def describe(self) -> dict[str, Any]:
        return {"run": self.dir.as_posix(), "year": self.year,
                "model": {k: self.model.get(k) for k in ("name", "version", "fingerprint")}}


def load_run_year(run_dir: Path, year: int | None = None) -> RunYear:
    """The profiles and digital-goal units of ``year`` (default: the latest) in a run."""
    outputs = RunOutputs(Path(run_dir))
    summary = outputs.read_summary(required=("model", "years", "profiles"))
    years = sorted(int(entry["year"]) for entry in summary["years"])
    if not years:
        raise MrpError(f"{outputs.path(SUMMARY_FILE)}: no municipality profiles; the run "
                       "matched no document to a municipality and year")
    year = years[-1] if year is None else year
    if year not in years:
        raise MrpError(f"{outputs.path(SUMMARY_FILE)}: no profiles for {year}; the run has "
                       f"{', '.join(map(str, years))}: pass one of them (--year-a / --year-b)")
    labels = tuple(summary["model"].get("labels") or ())
    profiles = {str(p["kommunkod"]): p for p in summary["profiles"] if p["year"] == year}
    units: dict[str, dict[int, Unit]] = {}
    for row in outputs.read_paragraphs(labels, need_probabilities=True):
        if row.year != str(year) or row.kommunkod not in profiles:
            continue
        if row.label not in DIGITAL_LABELS:
            continue
        unit = Unit(row.text, row.label, row.probabilities[labels.index(row.label)], row.file,
                    row.page)
        found = units.setdefault(row.kommunkod, {})
        key = unit_key(row.text)
        if key not in found or unit.probability > found[key].probability:
            found[key] = unit
    return RunYear(Path(run_dir), year, summary["model"], profiles, units)


def _ranked(units: Iterable[Unit]) -> list[Unit]:
    return sorted(units, key=lambda u: (-u.probability, u.text, u.file, u.page))


def _side(record: Mapping[str, Any] | None, year: int) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"year": year, "profile": record["profile"], "confidence": record["confidence"],
            "needs_review": record["needs_review"],
            "unreadable": bool(record.get("health_flags"))}


def _municipality(code: str, a: RunYear, b: RunYear) -> dict[str, Any]:
    side_a, side_b = _side(a.profiles.get(code), a.year), _side(b.profiles.get(code), b.year)
    if side_a is None or side_b is None:
        change = ONLY_IN_B if side_a is None else ONLY_IN_A
    else:
        change = SAME_PROFILE if side_a["profile"] == side_b["profile"] else PROFILE_CHANGED
    units_a, units_b = a.units.get(code, {}), b.units.get(code, {})
    return {
        "kommunkod": code,
        "kommun": municipalities()[code].kommun,
        "change": change,
        "unreadable": any(s is not None and s["unreadable"] for s in (side_a, side_b)),
        "a": side_a,
        "b": side_b,
        "appeared": [u.to_json() for u in _ranked(units_b[k] for k in units_b.keys() - units_a)],
        "disappeared": [u.to_json() for u in
                        _ranked(units_a[k] for k in units_a.keys() - units_b)],
        "relabelled": [{"text": units_b[k].text, "label_a": units_a[k].label,
                        "label_b": units_b[k].label}
                       for k in sorted(units_a.keys() & units_b.keys(),
                                       key=lambda k: units_b[k].text)
                       if units_a[k].label != units_b[k].label],
    }


def _movements(group: Group, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How the profiles of the group's municipalities moved from side A to side B."""
    table = municipalities()
    both = [e for e in entries if e["a"] and e["b"] and not e["unreadable"]]
    matrix = {(f, t): [0, 0] for f in PROFILES for t in PROFILES}
    for entry in both:
        cell = matrix[(entry["a"]["profile"], entry["b"]["profile"])]
        cell[0] += 1
        cell[1] += table[entry["kommunkod"]].population
    net = {name: sum(matrix[(f, name)][0] - matrix[(name, f)][0] for f in PROFILES)
           for name in PROFILES}
    net_inhabitants = {name: sum(matrix[(f, name)][1] - matrix[(name, f)][1] for f in PROFILES)
                       for name in PROFILES}
    return {
        "key": group.key,
        "name": group.name,
        "compared": len(both),
        **{change: sum(1 for e in entries if e["change"] == change) for change in CHANGES},
        "unreadable": sum(1 for e in entries if e["unreadable"]),
        "transitions": [{"from": f, "to": t, "municipalities": n, "inhabitants": inhabitants}
                        for (f, t), (n, inhabitants) in matrix.items() if n],
        "net_municipalities": net,
        "net_inhabitants": net_inhabitants,
    }


@dataclass(frozen=True)
class Comparison:
    a: RunYear
    b: RunYear
    municipalities: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        reference = year_reference(self.b.year)
        by_group: dict[str, list[dict[str, Any]]] = {}
        for dimension in DIMENSIONS:
            members: dict[Group, list[dict[str, Any]]] = {}
            for entry in self.municipalities:
                group = reference[entry["kommunkod"]].group(dimension)
                members.setdefault(group, []).append(entry)
            by_group[dimension] = [_movements(group, members[group])
                                   for group in sorted(members, key=lambda g: g.key)]
        same_model = self.a.model.get("fingerprint") == self.b.model.get("fingerprint")
        return {
            "format_version": FORMAT_VERSION,
            "a": self.a.describe(),
            "b": self.b.describe(),
            "same_model": same_model,
            "note": "" if same_model else (
                "the runs used different models: changes mix the plans' and the models'"),
            "groups_of": f"side B's year ({self.b.year})",
            "national": _movements(Group("SE", "Hela landet"), self.municipalities),
            "by_group": by_group,
            "municipalities": list(self.municipalities),
        }

    def rows(self) -> list[list[object]]:
        """``changes.csv``, in ``CHANGE_COLUMNS`` order."""
        reference = year_reference(self.b.year)
        rows: list[list[object]] = []
        for e in self.municipalities:
            a, b = e["a"] or {}, e["b"] or {}
            ref = reference[e["kommunkod"]]
            rows.append([
                e["kommunkod"], e["kommun"], e["change"],
                a.get("year", ""), a.get("profile", ""), _confidence(a), _flag(a),
                b.get("year", ""), b.get("profile", ""), _confidence(b), _flag(b),
                "true" if e["unreadable"] else "false", len(e["appeared"]),
                len(e["disappeared"]), len(e["relabelled"]), _texts(e["appeared"]),
                _texts(e["disappeared"]), ref.kommungrupp.key, ref.bloc])
        return rows


def _confidence(side: Mapping[str, Any]) -> str:
    return f"{side['confidence']:.4f}" if side else ""


def _flag(side: Mapping[str, Any]) -> str:
    return ("true" if side["needs_review"] else "false") if side else ""


def _texts(units: Sequence[Mapping[str, Any]]) -> str:
    def short(text: str) -> str:
        text = " ".join(text.split())  # a list item's lead-in keeps its line break
        return text if len(text) <= CSV_TEXT_CHARS else text[:CSV_TEXT_CHARS - 1] + "…"

    return " | ".join(short(u["text"]) for u in units[:CSV_UNITS])


def compare_runs(run_a: Path, run_b: Path, year_a: int | None = None,
                 year_b: int | None = None) -> Comparison:
    """Side A (a year of ``run_a``) against side B (a year of ``run_b``)."""
    a, b = load_run_year(run_a, year_a), load_run_year(run_b, year_b)
    if a.model.get("fingerprint") != b.model.get("fingerprint"):
        log.warning("%s and %s were run with different models; the changes mix the plans' and "
                    "the models' differences", run_a, run_b)
    codes = sorted(set(a.profiles) | set(b.profiles))
    return Comparison(a, b, tuple(_municipality(code, a, b) for code in codes))


def write_changes(comparison: Comparison, out_dir: Path, force: bool = False,
                  csv_dialect: str = "excel") -> tuple[Path, Path]:
    """``changes.csv`` and ``changes.json`` in ``out_dir``; neither is replaced without
    ``force``, and neither is written when one of them would be refused."""
    outputs = RunOutputs(Path(out_dir), csv_dialect)
    csv_path, json_path = outputs.path(CHANGES_CSV), outputs.path(CHANGES_JSON)
    for path in (csv_path, json_path):
        refuse_overwrite(path, force)
    outputs.write_table(CHANGES_CSV, CHANGE_COLUMNS, comparison.rows())
    write_json_atomic(json_path, comparison.to_json())
    return csv_path, json_path
