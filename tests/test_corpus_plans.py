"""The real-density benchmark corpus (benchmarks/corpus_plans.py) built small: no model,
a few seconds."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.corpus import MANIFEST, build_plans
from benchmarks.corpus_plans import PlansSpec
from mrp_classify.inference.ingest import read_document
from mrp_classify.inference.municipalities import resolve
from mrp_classify.inference.segment import segment

SPEC = PlansSpec(documents=5)


def _units(path: Path) -> list[str]:
    return [unit.text for unit in segment(read_document(path)) if unit.classify]


def test_plans_corpus_is_deterministic_and_real_density(tmp_path: Path) -> None:
    first = build_plans(tmp_path / "a", SPEC)
    second = build_plans(tmp_path / "b", SPEC)
    assert len(first) == SPEC.documents
    assert [d.sha256 for d in first] == [d.sha256 for d in second]
    # Formats take turns, so even five documents hold every format the plans come in.
    assert {d.format for d in first} == {"pdf", "docx", "html", "txt"}

    manifest = json.loads((tmp_path / "a" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["source"] == "plans"
    assert manifest["spec"]["documents"] == SPEC.documents
    assert 0.02 <= manifest["digital_share"] <= 0.05
    assert all(entry["source_plan"].endswith(".plan") for entry in manifest["documents"])

    # `run` resolves every file's municipality and year from its name alone.
    for document in first:
        resolution = resolve(document.file, "")
        assert (resolution.kommunkod, resolution.year) == (document.kommunkod, document.year)

    # Year two repeats most of year one's units word for word, and is not a copy.
    later = next(d for d in first if d.kind == "next_year")
    base = next(d for d in first if d.kind == "plan" and d.source_plan == later.source_plan)
    assert later.year == base.year + 1 and later.kommunkod == base.kommunkod
    year_one = set(_units(tmp_path / "a" / base.file))
    year_two = _units(tmp_path / "a" / later.file)
    shared = sum(text in year_one for text in year_two) / len(year_two)
    assert 0.7 <= shared < 1.0


def test_plans_corpus_reused_while_spec_unchanged(tmp_path: Path) -> None:
    spec = PlansSpec(documents=2)
    built = build_plans(tmp_path, spec)
    stamps = [(tmp_path / d.file).stat().st_mtime_ns for d in built]
    assert build_plans(tmp_path, spec) == built
    assert [(tmp_path / d.file).stat().st_mtime_ns for d in built] == stamps
