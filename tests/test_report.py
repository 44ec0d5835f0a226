"""report.html from an output folder built with the real aggregation code."""

from __future__ import annotations

import csv
import datetime
import json
import re
import shutil
from pathlib import Path

import pytest

from mrp_classify import __version__
from mrp_classify.errors import MrpError
from mrp_classify.inference import run as run_module
from mrp_classify.inference.aggregate import (
    DocumentOutcome,
    DocumentPredictions,
    ParagraphPrediction,
    aggregate,
)
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.reference import BLOCS, QUARTILES
from mrp_classify.inference.report import MAX_EVIDENCE_CHARS, run_date, write_report
from mrp_classify.inference.report_format import COLOURS, MISSING, NBSP, Locale
from mrp_classify.inference.report_text import TEXTS
from mrp_classify.inference.summary import summarize
from tests.test_run import CITIZEN as CITIZEN_TEXT
from tests.test_run import FILLER, FakeClassifier, plan

LABELS = ("none", "internal_efficiency", "citizen_facing")
NONE = (0.98, 0.01, 0.01)
INTERNAL = (0.05, 0.9, 0.05)
CITIZEN = (0.03, 0.07, 0.9)
BORDERLINE_INTERNAL = (0.4, 0.55, 0.05)
# The columns run.py writes to documents.csv.
DOCUMENT_COLUMNS = (
    "file", "status", "error", "sha256", "format", "kommunkod", "kommun", "year",
    "municipality_source", "municipality_note", "pages", "paragraphs", "classified_paragraphs",
    "words", "chars_per_page", "empty_pages", "health_flag",
)
HOSTILE = "<script>alert('x')</script> & <b>fet</b>"
SCANNED_FLAG = "12 of 40 pages have no text — scanned pages? run OCR first"


def document(code: str, year: int, probs: list[tuple[float, float, float]],
             text: str = "Stycke", words: int = 20_000) -> DocumentPredictions:
    file = f"in/{code}-{year}.pdf"
    paragraphs = []
    for index, row in enumerate(probs):
        probabilities = dict(zip(LABELS, row, strict=True))
        label = max(LABELS, key=probabilities.__getitem__)
        paragraphs.append(ParagraphPrediction(
            file, 1 + index // 10, index, ("Mål", "Digitalisering"),
            f"{text} {''.join('abcdefghij'[int(d)] for d in str(index))}", label,
            probabilities,
        ))
    return DocumentPredictions(file, f"sha-{code}-{year}", code, year, words, paragraphs)


def write_output(out: Path, docs: list[DocumentPredictions], failed: bool = True,
                 unresolved: bool = True, scanned: str = "") -> Path:
    """summary.json and documents.csv as run.py writes them; ``scanned``: the kommunkod of a
    document with a text-extraction flag."""
    table = municipalities()
    outcomes = [DocumentOutcome(d.file, "ok", "", True, "filename", "") for d in docs]
    rows = [
        [d.file, "ok", "", d.sha256, "pdf", d.kommunkod, table[d.kommunkod].kommun, d.year,
         "filename", "", 40, len(d.paragraphs), len(d.paragraphs), d.words, "2000.0", 0,
         SCANNED_FLAG if d.kommunkod == scanned else ""]
        for d in docs
    ]
    if failed:
        error = f"in/{HOSTILE}.pdf: not a PDF file; re-download it"
        outcomes.append(DocumentOutcome(f"in/{HOSTILE}.pdf", "error", error, False,
                                        "unresolved", ""))
        rows.append([f"in/{HOSTILE}.pdf", "error", error, "", "", "", "", "", "unresolved", "",
                     "", "", "", "", "", "", ""])
    if unresolved:
        note = "no municipality in the file name or title; use --manifest"
        outcomes.append(DocumentOutcome("in/budget.docx", "ok", "", False, "unresolved", note))
        rows.append(["in/budget.docx", "ok", "", "sha-x", "docx", "", "", 2025, "unresolved",
                     note, 10, 50, 40, 3000, "1500.0", 0, ""])
    summary = {
        "format_version": 1,
        "model": {"name": "mrp-bert", "version": "v2", "labels": list(LABELS),
                  "fingerprint": "ab" * 32},
        **summarize(aggregate(docs), outcomes),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    with open(out / "documents.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DOCUMENT_COLUMNS)
        writer.writerows(rows)
    return out


def standard_docs() -> list[DocumentPredictions]:
    return [
        document("0180", 2025, [NONE] * 20 + [CITIZEN, INTERNAL], text=f"Stockholm {HOSTILE}"),
        document("1480", 2025, [NONE] * 30 + [INTERNAL, INTERNAL]),
        document("2584", 2025, [NONE] * 25),
        document("1280", 2025, [NONE] * 25 + [BORDERLINE_INTERNAL]),
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = write_output(tmp_path_factory.mktemp("out"), standard_docs(), scanned="2584")
    return write_report(out).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = write_output(tmp_path_factory.mktemp("out"), standard_docs(), scanned="2584")
    return write_report(out, lang="en").read_text(encoding="utf-8")


SV = Locale("sv")
EN = Locale("en")


def fills(page: str) -> dict[str, set[str]]:
    """kommunkod → the fills its outline is drawn with (main map and insets)."""
    found: dict[str, set[str]] = {}
    for code, fill in re.findall(r'<use href="#k(\d{4})" fill="(#[0-9A-Fa-f]{6})"/>', page):
        found.setdefault(code, set()).add(fill)
    return found


def section(page: str, start: str, end: str) -> str:
    begin = page.index(start)
    return page[begin:page.index(end, begin)]


def test_report_path_and_self_contained(tmp_path: Path) -> None:
    out = write_output(tmp_path, standard_docs())
    path = write_report(out)
    assert path == out / "report.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"<link\b|@import|url\(\s*['\"]?(?:https?:)?//", page, re.I)
    assert not re.search(r"<(?:img|iframe|object|embed)\b", page, re.I)
    assert not list(out.glob(".report.html.*"))  # no temporary file left behind


def test_a_path_for_each_municipality(report: str) -> None:
    codes = re.findall(r'<path id="k(\d{4})" d="M[-\d lz M]+"/>', report)
    assert sorted(codes) == sorted(municipalities())
    assert set(fills(report)) == set(municipalities())


def test_colours_match_profiles(report: str) -> None:
    found = fills(report)
    assert found["0180"] == {COLOURS["citizen_facing"]}
    assert found["1480"] == {COLOURS["internal_only"]}
    assert found["2584"] == {COLOURS["no_digital_goals"]}
    assert found["1280"] == {COLOURS["internal_only"]}
    assert len(set(COLOURS.values())) == len(COLOURS)


def test_needs_review_is_hatched(report: str) -> None:
    assert '<use href="#k1280" fill="url(#hatch)"/>' in report
    assert '<use href="#k1480" fill="url(#hatch)"/>' not in report
    assert "behöver granskas" in report


def test_missing_municipalities_grey_and_listed(report: str) -> None:
    found = fills(report)
    processed = {"0180", "1480", "2584", "1280"}
    for code, kommun in [("0114", "Upplands Väsby"), ("2418", "Malå")]:
        assert found[code] == {COLOURS[MISSING]}
        assert f"{kommun} ({code}): ej behandlad" in report
    assert sum(1 for code, f in found.items() if f == {COLOURS[MISSING]}) == 290 - len(processed)
    listed = re.search(rf"Ej behandlade 2025: (\d+){NBSP}kommuner</summary><p>(.*?)</p>", report)
    assert listed is not None and listed.group(1) == "286"
    assert "Upplands Väsby" in listed.group(2) and "Stockholm" not in listed.group(2)
    # Not processed is its own row of the profile table, never counted as having no goals.
    rows = {
        key: re.search(rf"{SV.profile(key)}</span></td><td class=n>(\d+)</td>", report)
        for key in COLOURS
    }
    counts = {key: match.group(1) for key, match in rows.items() if match}
    assert counts == {"no_digital_goals": "1", "internal_only": "2", "citizen_facing": "1",
                      MISSING: "286"}


def test_swedish_by_default(report: str) -> None:
    assert '<html lang="sv">' in report
    for name in ("Inga digitaliseringsmål", "Endast intern effektivisering",
                 "Medborgarinriktade mål", "Ej behandlad", "behöver granskas"):
        assert name in report
    # Stockholm's population with a no-break space between thousands, shares with a comma.
    assert f"<td class=n>995{NBSP}574</td><td class=n>50,0{NBSP}%</td>" in report
    assert "säkerhet 0,90" in report
    # No English grouping (33,595 %: the tax quartiles' middle cut point, a decimal).
    assert not re.search(r"\d,\d{3}\b", report.replace("0,90", "").replace("33,595", ""))


def test_english_on_request(english: str) -> None:
    assert '<html lang="en">' in english
    assert "<td class=n>995,574</td><td class=n>50.0%</td>" in english
    assert "No digitalisation goals" in english and "Inga digitaliseringsmål" not in english
    assert "Upplands Väsby (0114): not processed" in english
    assert "confidence 0.90" in english


def test_every_language_has_every_string() -> None:
    assert TEXTS["sv"].keys() == TEXTS["en"].keys()
    # The breakdowns name blocs and tax quartiles by their keys in summary.json.
    assert {f"bd.bloc.{key}" for key in BLOCS} | {f"bd.tax_quartile.{q}" for q in QUARTILES} \
        <= TEXTS["sv"].keys()
    with pytest.raises(MrpError, match="--lang fr: choose one of sv, en"):
        Locale("fr")


def test_numbers_and_plurals() -> None:
    assert (SV.whole(41897), EN.whole(41897)) == (f"41{NBSP}897", "41,897")
    assert (SV.pct(62, 1000), EN.pct(62, 1000)) == (f"6,2{NBSP}%", "6.2%")
    assert SV.count(1, "municipality") == f"1{NBSP}kommun"
    assert SV.count(2, "municipality") == f"2{NBSP}kommuner"
    assert EN.count(1, "municipality") == f"1{NBSP}municipality"
    assert EN.count(1_234, "municipality") == f"1,234{NBSP}municipalities"


def test_no_wrong_plural(report: str, english: str) -> None:
    assert f"1{NBSP}kommun<" in report  # the rate chart's Kiruna group
    assert f"(1{NBSP}plan, inget intervall)" in report  # the breakdowns' C6 Mindre stad/tätort
    assert not re.search(rf"\b1{NBSP}(?:kommuner|planer)\b", report)
    assert not re.search(rf"\b1{NBSP}(?:municipalities|plans)\b", english)


def test_one_denominator_for_every_share(report: str) -> None:
    # Profiled: Stockholm 995 574, Göteborg 608 993, Malmö 365 644, Kiruna 22 426.
    profiled = 995_574 + 608_993 + 365_644 + 22_426
    headline = 608_993 + 365_644 + 22_426
    summary = section(report, '<section id="summary">', "</section>")
    assert f'<p class="big">{SV.whole(headline)}</p>' in summary
    share = SV.pct(headline, profiled)
    assert f"Det är {share} av invånarna i kommunerna med en profil" in summary
    table = section(summary, "<table class=profiles>", "</table>")
    row_shares = re.findall(rf"<td class=n>([\d,]+){NBSP}%</td>", table)
    assert row_shares == ["1,1", "48,9", "50,0", "100,0"]  # profiles and their total only
    assert f"1,1{NBSP}%" == SV.pct(22_426, profiled)
    assert f"Andelarna gäller invånarna i kommunerna med en profil: {SV.whole(profiled)} " \
           f"invånare i 4{NBSP}kommuner." in summary


def test_unreadable_profiles_are_listed_but_not_in_the_shares(tmp_path: Path) -> None:
    docs = standard_docs()
    docs[2] = DocumentPredictions(docs[2].file, docs[2].sha256, docs[2].kommunkod,
                                  docs[2].year, docs[2].words, docs[2].paragraphs,
                                  health_flag=SCANNED_FLAG)
    page = write_report(write_output(tmp_path, docs)).read_text(encoding="utf-8")
    table = section(page, "<table class=profiles>", "</table>")
    assert f"Oläsbar text (ej räknad)</td><td class=n>1</td><td class=n>22{NBSP}426</td>" in table
    assert f"Med profil</td><td class=n>3</td><td class=n>1{NBSP}970{NBSP}211</td>" in table
    assert "Oläsbar text, inte medräknade: 1" in page


def test_charts_count_processed_municipalities_only(report: str) -> None:
    chart = section(report, '<div class="chart shares"', '<div class="chart rates"')
    assert COLOURS[MISSING] not in chart  # no grey "not processed" bars
    assert "A1 Storstäder</div><div class=\"bar\">" in chart
    assert "3 av 3</div>" in chart and "0 av 43</div>" in chart
    assert "ingen kommun behandlad" in chart
    assert "Totalt har 4 av 290 kommuner en profil." in report
    assert "<svg class=\"chart" not in report  # HTML, so the text keeps its size on a phone


def test_breakdowns_after_the_summary_in_the_pages_language(report: str, english: str
                                                            ) -> None:
    for page, loc in ((report, SV), (english, EN)):
        assert f'<nav><a href="#summary">{loc.t("nav.summary")}</a><a href="#breakdowns">' in page
        assert (page.index('<section id="summary">') < page.index('<section id="breakdowns">')
                < page.index('<section id="municipalities">'))
        assert "{" not in section(page, '<section id="breakdowns">', "</section>")
    swedish = section(report, '<section id="breakdowns">', "</section>")
    english = section(english, '<section id="breakdowns">', "</section>")
    assert "2025 har bara 4 av 290 kommuner en läsbar plan" in swedish
    assert "In 2025 only 4 of 290 municipalities have a readable plan" in english
    assert "Studiens nationella siffror kräver alla 290" in swedish and "breakdown study" not in swedish
    assert "kan inte beräknas, ingen plan på ena sidan" in swedish  # no plan in C8 or C9
    assert "cannot be computed, no plan on one side" in english

    # A1 Storstäder, all three processed: Stockholm citizen-facing, Göteborg and Malmö
    # internal only, each under its column's name (the phone's cards show it).
    a1 = section(swedish, '<th scope="row">A1 Storstäder</th>', "</tr>")
    assert f'<td data-label="Kommuner med läsbar plan">3 av 3<span class="exp">100,0{NBSP}% av ' \
           "invånarna</span></td>" in a1
    assert '<td data-label="Endast intern effektivisering" class="n">2<span class="exp">förv. ' in a1
    assert '<td data-label="Medborgarinriktade mål" class="n">1<span class="exp">förv. ' in a1
    assert f"(3{NBSP}planer, inget intervall)" in a1
    a1 = section(english, '<th scope="row">A1 Storstäder</th>', "</tr>")
    assert '<td data-label="Internal efficiency only" class="n">2<span class="exp">exp. ' in a1
    assert f"(3{NBSP}plans, no interval)" in a1
    # A group without a plan says so once, never as zeros.
    assert ('<th scope="row">A2 Pendlingskommun nära storstad</th><td data-label="Kommuner med '
            'läsbar plan">0 av 43</td><td colspan="5" class="muted">ingen läsbar plan</td></tr>'
            ) in swedish
    # Blocs and quartiles in the page's language; SKR's names as SKR writes them.
    assert "Vänsterstyre (S, V, MP)" in swedish and "Q4, högst" in swedish
    assert "Left (S, V, MP)" in english and "Q4, highest" in english
    assert "Vänsterstyre" not in english and "fjärdedel" not in english
    assert "C6 Mindre stad/tätort" in english


def test_breakdown_group_names_are_escaped(tmp_path: Path) -> None:
    out = write_output(tmp_path, standard_docs())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # SKR's names are shown as they are; blocs and quartiles by their names in report_text.
    for dimension in ("kommungrupp", "huvudgrupp"):
        for group in summary["years"][0]["breakdowns"]["dimensions"][dimension]["groups"]:
            group["key"], group["name"] = HOSTILE, HOSTILE
    summary["years"][0]["breakdowns"]["big_cities_vs_rural"]["groups"]["rural"] = [HOSTILE]
    for lang in ("sv", "en"):
        page = write_report(out, summary, lang=lang)
        breakdowns = section(page.read_text(encoding="utf-8"), '<section id="breakdowns">',
                             "</section>")
        assert "<script" not in breakdowns and "<b>" not in breakdowns
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" \
            in breakdowns


def test_run_date_tool_and_model_versions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    out = write_output(tmp_path, standard_docs())
    page = write_report(out, created="2025-03-14T09:30:00+01:00").read_text(encoding="utf-8")
    assert ('<time datetime="2025-03-14T09:30:00+01:00">2025-03-14 09:30</time>, '
            f"mrp-classify{NBSP}{__version__}") in page
    assert "mrp-bert v2" in page and "fingeravtryck abababababab" in page
    assert "körningens datum okänt" in write_report(out).read_text(encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1741941000")
    assert run_date() == "2025-03-14T08:30:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(MrpError, match="SOURCE_DATE_EPOCH=soon"):
        run_date()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run_date().startswith(str(datetime.date.today().year))


def test_run_threads_the_language_and_date(tmp_path: Path, model_dir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1741941000")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "hudiksvall-2025.txt").write_text(
        plan("Hudiksvalls kommun", FILLER, CITIZEN_TEXT), encoding="utf-8")
    with pytest.raises(MrpError, match="--lang fr"):
        run_module.run([tmp_path / "docs"], tmp_path / "fr", model_dir, lang="fr",
                       classifier=FakeClassifier())
    assert not (tmp_path / "fr").exists()
    result = run_module.run([tmp_path / "docs"], tmp_path / "out", model_dir, lang="en",
                            classifier=FakeClassifier())
    assert result.report is not None
    page = result.report.read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Hudiksvall" in page
    assert '<time datetime="2025-03-14T08:30:00+00:00">' in page
    # The date is the report's: summary.json stays the same bytes for the same inputs.
    assert "2025-03-14" not in (tmp_path / "out" / "summary.json").read_text(encoding="utf-8")


def test_run_help_offers_the_language() -> None:
    from typer.testing import CliRunner

    from mrp_classify.cli import app

    result = CliRunner().invoke(app, ["run", "--help"], terminal_width=200)
    assert result.exit_code == 0 and "--lang" in result.output


def test_map_links_open_their_evidence(report: str) -> None:
    assert '<a href="#ev-0180-2025"><title>' in report
    script = report[report.rindex("<script>"):]
    assert "hashchange" in script and "target.open = true" in script


def test_untrusted_text_is_escaped(report: str) -> None:
    assert report.count("<script") == 1  # the page's own script
    assert "<b>fet</b>" not in report
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" in report


def test_header_caveats_name_failed_and_unmatched_documents(report: str, english: str
                                                            ) -> None:
    assert "Dokument som inte kunde läsas: 1." in report
    assert "Dokument som inte kunde kopplas till en kommun och ett år: 1." in report
    assert "in/budget.docx" in report
    assert "Dokument med problem vid textutvinningen: 1" in report
    assert "mrp-bert v2" in report
    assert "förutsägelser från en språkmodell" in report
    assert "säkerhet under 0,80 markeras" in report
    assert "Documents that could not be read: 1." in english
    assert "predictions of a language model" in english
    assert "confidence below 0.80 are marked" in english


def test_evidence_and_tables(report: str) -> None:
    assert re.search(r'<details id="ev-0180-2025">.*?Stockholm &lt;script&gt;', report, re.S)
    assert '<a href="#ev-1480-2025">Göteborg</a>' in report
    stockholm = section(report, '<details id="ev-0180-2025">', "</details>")
    assert "medborgarinriktat</span> p = 0,90 · sida 3, under ”Mål › Digitalisering”" in stockholm
    documents = report[report.index('<section id="documents">'):]
    assert documents.count("<tr><td>") == 6
    assert ">kunde inte läsas</td>" in documents and ">ej kopplat</td>" in documents
    assert f'<td class="warn">{SCANNED_FLAG}</td>' in documents


def test_same_inputs_same_bytes(tmp_path: Path) -> None:
    first = write_output(tmp_path / "a", standard_docs())
    second = tmp_path / "b"
    shutil.copytree(first, second)
    assert write_report(first).read_bytes() == write_report(second).read_bytes()
    before = (first / "report.html").read_bytes()
    assert write_report(first).read_bytes() == before
    created = "2025-03-14T09:30:00+01:00"
    assert (write_report(first, created=created).read_bytes()
            == write_report(second, created=created).read_bytes())


def test_size_stays_small_for_all_municipalities(tmp_path: Path) -> None:
    long_text = "Fler e-tjänster ska göra det enkelt för invånarna att söka bygglov. " * 6
    docs = [
        document(code, 2025, [NONE] * 40 + [CITIZEN] * 3 + [INTERNAL] * 3, text=long_text)
        for code in municipalities()
    ]
    page = write_report(write_output(tmp_path, docs)).read_bytes()
    assert len(page) < 1_500_000
    text = page.decode("utf-8")
    assert "Alla kommuner har behandlats." in text
    # Every plan has a citizen-facing goal: the study's table says none have no goals.
    study = section(text, '<table class="breakdown study">', "</table>")
    assert "2025 har alla 290 kommuner en läsbar plan." in text
    assert f'{SV.profile("no_digital_goals")}</th><td data-label="Kommuner" class="n">0<' in study


def test_long_evidence_is_shortened(tmp_path: Path) -> None:
    text = "Digitaliseringen ska ge invånarna e-tjänster dygnet runt. " * 60
    out = write_output(tmp_path, [document("0180", 2025, [CITIZEN], text=text)])
    page = write_report(out).read_text(encoding="utf-8")
    quoted = re.search(r"<blockquote>(.*?)</blockquote>", page, re.S)
    assert quoted is not None and "förkortat; hela texten finns i paragraphs.csv" in quoted.group(1)
    assert len(quoted.group(1)) < MAX_EVIDENCE_CHARS + 200


def test_several_years_latest_first(tmp_path: Path) -> None:
    docs = [document("0180", 2024, [NONE] * 5), document("0180", 2025, [NONE, CITIZEN])]
    page = write_report(write_output(tmp_path, docs)).read_text(encoding="utf-8")
    assert page.index("Sammanfattning 2025") < page.index("Sammanfattning 2024")
    assert "Tidigare år (2024)" in page
    assert f"(behandlade: 1{NBSP}kommun)" in page
    # The breakdowns too: the latest year open, the earlier folded.
    breakdowns = section(page, '<section id="breakdowns">', "</section>")
    assert breakdowns.index("<h3>2025</h3>") < breakdowns.index(
        f"<details class=year><summary><h3>2024</h3> (med läsbar plan: 1{NBSP}kommun)</summary>")
    assert 'id="ev-0180-2024"' in page and 'id="ev-0180-2025"' in page
    assert page.count('<svg viewBox="0 0 ') == 2  # one map per year, sharing the outlines
    assert page.count('<path id="k0180"') == 1


def test_no_profiles_at_all(tmp_path: Path) -> None:
    out = write_output(tmp_path, [], failed=True, unresolved=False)
    page = write_report(out).read_text(encoding="utf-8")
    assert "Ingen kommunprofil kunde tas fram" in page
    assert '<section id="breakdowns"><h2>Fördelningar per grupp</h2><p>Ingen profil att ' \
           "fördela.</p></section>" in page
    assert "Dokument som inte kunde läsas: 1." in page


def test_missing_or_foreign_inputs_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(MrpError, match="summary.json: not found"):
        write_report(tmp_path)
    out = write_output(tmp_path / "out", standard_docs())
    (out / "documents.csv").write_text("file,status\nx.pdf,ok\n", encoding="utf-8")
    with pytest.raises(MrpError, match=r"documents\.csv: no column error"):
        write_report(out)
    (out / "summary.json").write_text('{"years": []}', encoding="utf-8")
    with pytest.raises(MrpError, match="summary.json: no model"):
        write_report(out)
    with pytest.raises(MrpError, match="--lang de"):
        write_report(write_output(tmp_path / "de", standard_docs()), lang="de")
