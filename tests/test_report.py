"""report.html from an output folder built with the real aggregation code."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import (
    DocumentOutcome,
    DocumentPredictions,
    ParagraphPrediction,
    aggregate,
)
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.report import (
    COLOURS,
    MAX_EVIDENCE_CHARS,
    MISSING,
    PROFILE_NAMES,
    write_report,
)
from mrp_classify.inference.summary import summarize

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


def fills(page: str) -> dict[str, set[str]]:
    """kommunkod → the fills its outline is drawn with (main map and insets)."""
    found: dict[str, set[str]] = {}
    for code, fill in re.findall(r'<use href="#k(\d{4})" fill="(#[0-9A-Fa-f]{6})"/>', page):
        found.setdefault(code, set()).add(fill)
    return found


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
    assert "needs review" in report


def test_missing_municipalities_grey_and_listed(report: str) -> None:
    found = fills(report)
    processed = {"0180", "1480", "2584", "1280"}
    for code, kommun in [("0114", "Upplands Väsby"), ("2418", "Malå")]:
        assert found[code] == {COLOURS[MISSING]}
        assert f"{kommun} ({code}): not processed" in report
    assert sum(1 for code, f in found.items() if f == {COLOURS[MISSING]}) == 290 - len(processed)
    listed = re.search(r"Not processed in 2025: (\d+) municipalities</summary><p>(.*?)</p>",
                       report)
    assert listed is not None and listed.group(1) == "286"
    assert "Upplands Väsby" in listed.group(2) and "Stockholm" not in listed.group(2)
    # Not processed is its own row of the profile table, never counted as having no goals.
    rows = {
        key: re.search(rf"{PROFILE_NAMES[key]}</span></td><td class=n>(\d+)</td>", report)
        for key in COLOURS
    }
    counts = {key: match.group(1) for key, match in rows.items() if match}
    assert counts == {"no_digital_goals": "1", "internal_only": "2", "citizen_facing": "1",
                      MISSING: "286"}


def test_untrusted_text_is_escaped(report: str) -> None:
    assert report.count("<script") == 1  # the page's own sorting script
    assert "<b>fet</b>" not in report
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" in report


def test_header_caveats_name_failed_and_unmatched_documents(report: str) -> None:
    assert "Documents that could not be read: 1." in report
    assert "Documents that could not be matched to a municipality and year: 1." in report
    assert "in/budget.docx" in report
    assert "Documents with text-extraction problems: 1" in report
    assert "mrp-bert v2" in report
    assert "predictions of a language model" in report


def test_evidence_and_tables(report: str) -> None:
    assert re.search(r'<details id="ev-0180-2025">.*?Stockholm &lt;script&gt;', report, re.S)
    assert '<a href="#ev-1480-2025">Göteborg</a>' in report
    stockholm = report[report.index('<details id="ev-0180-2025">'):]
    stockholm = stockholm[:stockholm.index("</details>")]
    assert "citizen-facing</span> p = 0.90 · page 3, under “Mål › Digitalisering”" in stockholm
    documents = report[report.index('<section id="documents">'):]
    assert documents.count("<tr><td>") == 6
    assert ">failed</td>" in documents and ">not matched</td>" in documents
    assert f'<td class="warn">{SCANNED_FLAG}</td>' in documents


def test_same_inputs_same_bytes(tmp_path: Path) -> None:
    first = write_output(tmp_path / "a", standard_docs())
    second = tmp_path / "b"
    shutil.copytree(first, second)
    assert write_report(first).read_bytes() == write_report(second).read_bytes()
    before = (first / "report.html").read_bytes()
    assert write_report(first).read_bytes() == before


def test_size_stays_small_for_all_municipalities(tmp_path: Path) -> None:
    long_text = "Fler e-tjänster ska göra det enkelt för invånarna att söka bygglov. " * 6
    docs = [
        document(code, 2025, [NONE] * 40 + [CITIZEN] * 3 + [INTERNAL] * 3, text=long_text)
        for code in municipalities()
    ]
    page = write_report(write_output(tmp_path, docs)).read_bytes()
    assert len(page) < 1_500_000
    assert "Every municipality was processed." in page.decode("utf-8")


def test_long_evidence_is_shortened(tmp_path: Path) -> None:
    text = "Digitaliseringen ska ge invånarna e-tjänster dygnet runt. " * 60
    out = write_output(tmp_path, [document("0180", 2025, [CITIZEN], text=text)])
    page = write_report(out).read_text(encoding="utf-8")
    quoted = re.search(r"<blockquote>(.*?)</blockquote>", page, re.S)
    assert quoted is not None and "shortened; full text in paragraphs.csv" in quoted.group(1)
    assert len(quoted.group(1)) < MAX_EVIDENCE_CHARS + 200


def test_several_years_latest_first(tmp_path: Path) -> None:
    docs = [document("0180", 2024, [NONE] * 5), document("0180", 2025, [NONE, CITIZEN])]
    page = write_report(write_output(tmp_path, docs)).read_text(encoding="utf-8")
    assert page.index("Summary 2025") < page.index("Summary 2024")
    assert "Earlier years (2024)" in page
    assert 'id="ev-0180-2024"' in page and 'id="ev-0180-2025"' in page
    assert page.count('<svg viewBox="0 0 ') == 2  # one map per year, sharing the outlines
    assert page.count('<path id="k0180"') == 1


def test_no_profiles_at_all(tmp_path: Path) -> None:
    out = write_output(tmp_path, [], failed=True, unresolved=False)
    page = write_report(out).read_text(encoding="utf-8")
    assert "No municipality profile could be built" in page
    assert "Documents that could not be read: 1." in page


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
