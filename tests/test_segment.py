"""Blocks → paragraphs: heading paths, lists with lead-ins, goal and budget rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from docfactory import FILLER, MrpPdf, mrp_docx

from mrp_classify.inference.ingest import (
    ExtractedDocument,
    ExtractionHealth,
    TextBlock,
    read_document,
)
from mrp_classify.inference.segment import (
    KIND_HEADING,
    KIND_LIST,
    KIND_TABLE_GOAL,
    KIND_TABLE_NUMERIC,
    KIND_TEXT,
    Paragraph,
    is_numeric_line,
    is_numeric_row,
    segment,
)


def document(*blocks: TextBlock) -> ExtractedDocument:
    health = ExtractionHealth(pages=1, chars_per_page=100.0, empty_pages=0, flag=None)
    return ExtractedDocument(Path("plan.pdf"), "pdf", list(blocks), health, "")


def heading(text: str, level: int, page: int = 1) -> TextBlock:
    return TextBlock(page, text, "heading", level)


def text(value: str, page: int = 1) -> TextBlock:
    return TextBlock(page, value, "text")


def item(value: str, page: int = 1) -> TextBlock:
    return TextBlock(page, value, "list_item")


def row(*cells: str) -> TextBlock:
    return TextBlock(1, " | ".join(cells), "table_row", 0, cells)


def test_heading_paths_follow_levels() -> None:
    paragraphs = segment(document(
        heading("Mål och resursplan 2025", 1),
        heading("Kommunstyrelsen", 2),
        heading("Digitalisering", 3),
        text("E-arkivet införs under året."),
        heading("Socialnämnden", 2),
        text("Välfärdstekniken byggs ut.", page=2),
        heading("Bilagor", 1),
        text("Driftbudget per nämnd."),
    ))
    assert [(p.heading_path, p.text) for p in paragraphs if p.kind == KIND_TEXT] == [
        (("Mål och resursplan 2025", "Kommunstyrelsen", "Digitalisering"),
         "E-arkivet införs under året."),
        (("Mål och resursplan 2025", "Socialnämnden"), "Välfärdstekniken byggs ut."),
        (("Bilagor",), "Driftbudget per nämnd."),
    ]
    socialnamnden = next(p for p in paragraphs if p.text == "Socialnämnden")
    assert socialnamnden.heading_path == ("Mål och resursplan 2025",)
    assert [p.index for p in paragraphs] == list(range(len(paragraphs)))
    assert next(p for p in paragraphs if p.text.startswith("Välfärds")).page == 2


def test_headings_are_never_classified_even_statement_headings() -> None:
    paragraphs = segment(document(
        heading("Digitalisering", 2),
        heading("Mål 2: Fler invånare ska kunna använda e-tjänster", 3),
        text("Arbetet följs upp varje tertial."),
    ))
    # ANNOTATION.md: headings are none; the goal is stated in the units under them.
    assert [(p.kind, p.classify) for p in paragraphs] == [
        (KIND_HEADING, False), (KIND_HEADING, False), (KIND_TEXT, True)]


def test_each_list_item_is_a_unit_with_its_lead_in() -> None:
    paragraphs = segment(document(
        heading("Digitalisering", 2),
        text(FILLER[0]),
        text("Nämnden ska under perioden:", page=3),
        item("införa fler e-tjänster,", page=3),
        item("automatisera fakturahanteringen.", page=4),
        text(FILLER[1], page=4),
    ))
    assert [(p.kind, p.page, p.text) for p in paragraphs[1:]] == [
        (KIND_TEXT, 1, FILLER[0]),
        (KIND_LIST, 3, "Nämnden ska under perioden:\ninföra fler e-tjänster,"),
        (KIND_LIST, 4, "Nämnden ska under perioden:\nautomatisera fakturahanteringen."),
        (KIND_TEXT, 4, FILLER[1]),
    ]
    # The lead-in's words count once in the document.
    assert [p.words for p in paragraphs[2:4]] == [7, 2]
    assert paragraphs[2].heading_path == paragraphs[3].heading_path == ("Digitalisering",)


def test_list_without_lead_in() -> None:
    long_paragraph = " ".join(FILLER)  # too long, and no colon: not a lead-in
    paragraphs = segment(document(
        heading("Prioriteringar", 2),
        item("trygghet,"),
        item("digital delaktighet."),
        text(long_paragraph),
        item("ett tredje mål."),
    ))
    assert [(p.kind, p.text) for p in paragraphs] == [
        (KIND_HEADING, "Prioriteringar"),
        (KIND_LIST, "trygghet,"),
        (KIND_LIST, "digital delaktighet."),
        (KIND_TEXT, long_paragraph),
        (KIND_LIST, "ett tredje mål."),
    ]


def test_goal_rows_classified_numeric_rows_not() -> None:
    paragraphs = segment(document(
        row("Fler e-tjänster för invånarna", "Antal e-tjänster", "40"),
        row("IT-kostnader", "12,4", "14,1", "15,0"),
        row("Lokaler", "-", "88 000", "12 %"),
        text("IT-kostnader 12,4 14,1 15,0"),
        text("2025 2026 2027"),
        text("IT-kostnaderna ökar med 12,4 mnkr till 2026."),
    ))
    assert [(p.kind, p.classify) for p in paragraphs] == [
        (KIND_TABLE_GOAL, True),
        (KIND_TABLE_NUMERIC, False),
        (KIND_TABLE_NUMERIC, False),
        (KIND_TABLE_NUMERIC, False),
        (KIND_TABLE_NUMERIC, False),
        (KIND_TEXT, True),
    ]


@pytest.mark.parametrize(("cells", "numeric"), [
    (("IT-kostnader", "12,4", "14,1"), True),
    (("Nettokostnad (mnkr)", "(3,2)", "−1,5", "–"), True),
    (("", "12,4", "14,1"), True),
    (("Skatteintäkter och generella statsbidrag", "2 712,4"), True),
    (("Andel nöjda brukare", "Öka"), False),
    (("Fler e-tjänster", "40"), False),  # a goal with its target value
    (("Invånarna ska kunna följa sina ärenden", "90 %"), False),
    (("E-tjänster inom bygglov", "5,0", "5,0"), False),  # money for a digital aim
    (("Mål", "Indikator"), False),
    (("Kommunstyrelsen", "", ""), False),
    (("IT-kostnader 12,4 14,1",), True),
])
def test_is_numeric_row(cells: tuple[str, ...], numeric: bool) -> None:
    assert is_numeric_row(cells) is numeric


@pytest.mark.parametrize(("line", "numeric"), [
    ("IT-kostnader 12,4 14,1 15,0", True),
    ("Summa 1 250,5 1 300,0", True),
    ("12 345", True),
    ("Kostnaden är 12,4 mnkr", False),
    ("Digitaliseringsfond 5,0 5,0", False),
    ("Tre nya förskolor byggs 2025", False),
])
def test_is_numeric_line(line: str, numeric: bool) -> None:
    assert is_numeric_line(line) is numeric


def _by_text(paragraphs: list[Paragraph], start: str) -> Paragraph:
    return next(p for p in paragraphs if p.text.startswith(start))


def test_pdf_end_to_end(tmp_path: Path) -> None:
    doc = MrpPdf(header="Falu kommun · MRP 2024")
    doc.page().heading("3 Kommunstyrelsen").heading("3.2 Digitalisering", level=2)
    doc.paragraph(FILLER[0])
    doc.bullets("Kommunstyrelsen ska:", ["införa e-arkiv under 2024,",
                                         "erbjuda fler e-tjänster för företagen."])
    doc.table([["Mål", "Indikator", "Målvärde"],
               ["Fler e-tjänster", "Antal e-tjänster", "40"]], [200, 180, 80])
    doc.table([["Mnkr", "Budget 2024", "Plan 2025"], ["IT-kostnader", "12,4", "14,1"]],
              [200, 100, 100])
    doc.page().heading("4 Socialnämnden").paragraph(FILLER[1])
    paragraphs = segment(read_document(doc.save(tmp_path / "falu-mrp-2024.pdf")))

    items = [p for p in paragraphs if p.text.startswith("Kommunstyrelsen ska:")]
    assert [(p.kind, p.text) for p in items] == [
        (KIND_LIST, "Kommunstyrelsen ska:\ninföra e-arkiv under 2024,"),
        (KIND_LIST, "Kommunstyrelsen ska:\nerbjuda fler e-tjänster för företagen.")]
    assert items[0].heading_path == ("3 Kommunstyrelsen", "3.2 Digitalisering")
    goal = _by_text(paragraphs, "Mål: Fler e-tjänster")
    assert (goal.kind, goal.classify) == (KIND_TABLE_GOAL, True)
    budget = _by_text(paragraphs, "Mnkr: IT-kostnader")
    assert (budget.kind, budget.classify) == (KIND_TABLE_NUMERIC, False)
    last = _by_text(paragraphs, FILLER[1][:20])
    assert (last.page, last.heading_path) == (2, ("4 Socialnämnden",))
    assert all(p.text != "Falu kommun · MRP 2024" for p in paragraphs)


def test_docx_end_to_end(tmp_path: Path) -> None:
    path = mrp_docx(tmp_path / "plan.docx", [
        ("h1", "Barn- och utbildningsnämnden"),
        ("p", "Alla elever ska ha tillgång till digitala lärverktyg:"),
        ("bullets", ["en egen dator från årskurs 4,", "stöd i att använda den."]),
        ("table", [["Mål", "Indikator"], ["Ökad digital kompetens hos eleverna", "Enkät"]]),
    ])
    paragraphs = segment(read_document(path))
    assert [(p.kind, p.text) for p in paragraphs] == [
        (KIND_HEADING, "Barn- och utbildningsnämnden"),
        (KIND_LIST, "Alla elever ska ha tillgång till digitala lärverktyg:\n"
                    "en egen dator från årskurs 4,"),
        (KIND_LIST, "Alla elever ska ha tillgång till digitala lärverktyg:\n"
                    "stöd i att använda den."),
        (KIND_TABLE_GOAL, "Mål: Ökad digital kompetens hos eleverna | Indikator: Enkät"),
    ]
