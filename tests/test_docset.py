"""The document evaluation set: plan sources → rendered documents → labelled reader units."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mrp_classify.cli import app
from mrp_classify.docset.build import build_docset, read_truth
from mrp_classify.docset.plan import PlanError, parse_plan

runner = CliRunner()

BODY = """\
! Antagen av kommunfullmäktige 2024-11-21, § 98
@toc
# Inledning
[N] Kommunens ekonomi är stabil men marginalerna minskar när kostnaderna för äldreomsorgen ökar snabbare än skatteintäkterna under planperioden.
[N trend] Digitaliseringen förändrar samhället och invånarnas förväntningar på att kunna nå kommunen dygnet runt ökar för varje år.
# Digitalisering
[N existing] Sedan 2021 kan invånarna ansöka om bygglov via kommunens e-tjänst, och de flesta ansökningar kommer nu in den vägen.
[N] Kommunstyrelsen ges i uppdrag att under planperioden:
- [C] utveckla fler e-tjänster så att invånarna kan söka förskoleplats och bostadsanpassning dygnet runt,
- [N] minska sjukfrånvaron bland medarbetarna i förvaltningen med två procentenheter,
- [I] införa ett e-arkiv så att pappersarkiven kan avvecklas.
|| Mål | Indikator | Målvärde 2026
| [N] Sjukfrånvaron ska minska | Sjukfrånvaro, procent | 6,5
| [C nodigit] Fler ärenden ska kunna startas via e-tjänst | Andel ärenden via e-tjänst, procent | 60
~ Tabell 1. Mål och indikatorer för kommunstyrelsen
> [I noben] Automatiserad fakturahantering ska frigöra tid motsvarande tre årsarbetare.
@pagebreak
# Ordlista
= Balanskrav | Kommunens intäkter ska överstiga kostnaderna varje år.
= E-tjänst | En tjänst som invånarna kan använda via webben.
! Anna Andersson, kommunstyrelsens ordförande
"""


def plan_text(fmt: str, layout: str = "", profile: str = "citizen_facing") -> str:
    header = (f"%% kommun: Lysekil\n%% kommunkod: 1484\n%% year: 2025\n"
              f"%% title: Mål- och resursplan 2025\n%% format: {fmt}\n"
              f"%% expected_profile: {profile}\n%% author: test\n")
    if layout:
        header += f"%% layout: {layout}\n"
    return header + BODY


VARIANTS = [("pdf", ""), ("pdf", "two-column hyphenate justify"),
            ("pdf", "numbered-headings landscape-tables large-type"), ("docx", ""),
            ("docx", "numbered-headings"), ("html", ""), ("txt", "")]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plans = tmp_path_factory.mktemp("plans")
    for n, (fmt, layout) in enumerate(VARIANTS):
        (plans / f"{n}-{fmt}.plan").write_text(plan_text(fmt, layout), encoding="utf-8")
    out = tmp_path_factory.mktemp("docset")
    build_docset(plans, out, force=True)
    return out


def test_every_format_gives_every_goal_its_own_unit(built: Path) -> None:
    documents, units = read_truth(built)
    assert len(documents) == len(VARIANTS)
    for doc in documents:
        mine = [u for u in units if u.file == doc["file"]]
        digital = [u for u in mine if u.label != "none"]
        labels = sorted(u.label for u in digital)
        assert labels == ["citizen_facing", "citizen_facing", "internal_efficiency",
                          "internal_efficiency"], (doc["file"], [u.text for u in digital])
        assert all(u.classify for u in digital), doc["file"]
        assert doc["unmatched_units"] == "0", (doc["file"], [u.text for u in mine
                                                             if u.match == "unmatched"])
        # Each list item with its lead-in, not the whole list as one unit.
        items = [u for u in mine if u.kind == "list"]
        assert len(items) == 3 and all(u.text.startswith("Kommunstyrelsen") for u in items)


def test_traps_and_furniture_stay_none(built: Path) -> None:
    _, units = read_truth(built)
    for unit in units:
        if "existing" in unit.tags or "trend" in unit.tags or "E-tjänst" in unit.text[:9]:
            assert unit.label == "none", unit.text
    assert any("existing" in u.tags for u in units)


def test_builds_repeat_byte_for_byte(built: Path, tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    for n, (fmt, layout) in enumerate(VARIANTS):
        (plans / f"{n}-{fmt}.plan").write_text(plan_text(fmt, layout), encoding="utf-8")
    build_docset(plans, tmp_path / "again")
    for path in sorted((built / "documents").iterdir()):
        assert (tmp_path / "again" / "documents" / path.name).read_bytes() == path.read_bytes()
    assert (tmp_path / "again" / "truth" / "units.jsonl").read_bytes() == (
        built / "truth" / "units.jsonl").read_bytes()


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("[N] Kommunens ekonomi", "Kommunens ekonomi"), ":11: expected a label"),
    (lambda t: t.replace("[N trend]", "[N trendy]"), "unknown tag"),
    (lambda t: t.replace("citizen_facing", "internal_only"), "give profile citizen_facing"),
    (lambda t: t.replace("%% year: 2025\n", ""), "missing header"),
    (lambda t: t.replace("@toc", "@contents"), "unknown directive"),
])
def test_plan_errors_name_the_line_and_the_fix(tmp_path: Path, change, message: str) -> None:
    path = tmp_path / "bad.plan"
    path.write_text(change(plan_text("pdf")), encoding="utf-8")
    with pytest.raises(PlanError, match=message):
        parse_plan(path)


def test_evaluate_docs_scores_the_whole_product(built: Path, tiny_model: Path,
                                                tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["evaluate-docs", str(built), "--model", str(tiny_model),
                                 "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "profiles right:" in result.output and "false digital per 1,000" in result.output
    scores = json.loads(out.read_text())
    docs, units = scores["documents"], scores["units"]
    assert docs["documents"] == len(VARIANTS)
    assert units["digital_units"] == 4 * len(VARIANTS)
    assert 0 <= units["digital_recall"] <= 1
    matrix = units["confusion_matrix"]["rows_true_cols_pred"]
    assert sum(map(sum, matrix)) == units["units"]
    assert [r["confidence_at_least"] for r in docs["reliability"]] == [0.5, 0.7, 0.8, 0.9, 0.95]


def test_docset_commands(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "a.plan").write_text(plan_text("txt"), encoding="utf-8")
    checked = runner.invoke(app, ["docset", "check", str(plans)])
    assert checked.exit_code == 0 and '"profile": "citizen_facing"' in checked.output
    built = runner.invoke(app, ["docset", "build", str(plans), "--out", str(tmp_path / "o")])
    assert built.exit_code == 0, built.output
    again = runner.invoke(app, ["docset", "build", str(plans), "--out", str(tmp_path / "o")])
    assert again.exit_code == 2 and "--force" in again.output
