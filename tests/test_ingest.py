"""Document reading on documents built in the test: layout, furniture, errors, limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docfactory import (
    FILLER,
    MrpPdf,
    declare_member_size,
    encrypt_pdf,
    image_only_pdf,
    long_mrp_pdf,
    mrp_docx,
    page_as_form_pdf,
    rotated_page_pdf,
)

from mrp_classify.inference.ingest import (
    HEADING,
    LIST_ITEM,
    TABLE_ROW,
    TEXT,
    DocumentError,
    ExtractedDocument,
    Limits,
    join_lines,
    looks_like_header,
    read_document,
)

HEADER = "Hudiksvalls kommun · Mål och resursplan 2025"
LEFT = ["Vänsterspalten börjar här med en mening om förskolans lokaler och barngruppernas "
        "storlek under hela planperioden.",
        "Vänsterspaltens andra stycke handlar om skolans resultat och om elevhälsans arbete "
        "med närvaron."]
RIGHT = ["Högerspalten tar upp äldreomsorgen och hur hemtjänsten ska planeras när antalet "
         "äldre ökar i kommunen.",
         "Högerspaltens andra stycke gäller kultur och fritid med nya öppettider på "
         "biblioteken i kransorterna."]


def texts(doc: ExtractedDocument, kind: str | None = None) -> list[str]:
    return [b.text for b in doc.blocks if kind is None or b.kind == kind]


def index_of(doc: ExtractedDocument, start: str) -> int:
    return next(i for i, b in enumerate(doc.blocks) if b.text.startswith(start))


# ---------------------------------------------------------------------------
# PDF layout


@pytest.fixture(scope="module")
def layout_pdf(tmp_path_factory: pytest.TempPathFactory) -> ExtractedDocument:
    """Four pages with a running header and footer; page 2 in two columns written
    right column first; page 3 ends mid-sentence and page 4 goes on."""
    doc = MrpPdf(header=HEADER, title="Mål och resursplan 2025")
    doc.page().title("Mål och resursplan 2025", "Hudiksvalls kommun")
    doc.heading("1 Inledning").paragraph(FILLER[0] + " " + FILLER[1])
    doc.heading("1.1 Digitalisering", level=2)
    doc.lines(["Kommunen ska fortsätta arbetet med digitali-",
               "seringen av välfärden och erbjuda fler e-",
               "tjänster och ett bättre IT-",
               "stöd inom vård- ",
               "och omsorgsförvaltningen."])
    doc.page().heading("2 Verksamhet")
    doc.two_columns(LEFT, RIGHT, right_first=True)
    doc.page().heading("3 Ekonomi").paragraph(FILLER[2])
    doc.pdf.set_y(doc.pdf.h - 100)
    doc.lines(["Resultatet för planperioden beräknas bli positivt men"])
    doc.page().lines(["marginalerna är små och kräver fortsatt kostnadskontroll."])
    path = doc.save(tmp_path_factory.mktemp("pdf") / "mal-och-resursplan-2025-hudiksvall.pdf")
    return read_document(path)


def test_two_columns_read_left_column_first(layout_pdf: ExtractedDocument) -> None:
    order = [index_of(layout_pdf, text[:25]) for text in LEFT + RIGHT]
    assert order == sorted(order)
    for text in LEFT + RIGHT:
        assert text in texts(layout_pdf), text  # each paragraph whole, no text from the other column
    assert all(b.page == 2 for b in layout_pdf.blocks if b.text in LEFT + RIGHT)


def test_running_header_footer_and_page_numbers_removed(layout_pdf: ExtractedDocument) -> None:
    everything = " ".join(texts(layout_pdf))
    assert "Hudiksvalls kommun · Mål" not in everything
    assert not re.search(r"Sida \d", everything)
    # ...but the header still tells who wrote the plan, for municipality detection.
    assert HEADER in layout_pdf.title_text
    assert "Mål och resursplan 2025" in layout_pdf.title_text.splitlines()


def test_columns_then_full_width_lead_in_list_and_table(tmp_path: Path) -> None:
    doc = MrpPdf(header=None).page().heading("Mål")
    doc.two_columns(LEFT, RIGHT)  # written left column first, as most generators do
    doc.bullets("Under planperioden ska förvaltningarna:", [
        "ersätta de gamla verksamhetssystemen inom ekonomi och personal med ett gemensamt system,",
        "minska lokalkostnaderna med fem procent."])
    doc.table([["Mål", "Indikator", "Målvärde"],
               ["Effektivare administration", "Antal automatiserade processer", "8"]],
              [170, 230, 80])
    result = read_document(doc.save(tmp_path / "columns-then-list.pdf"))
    assert texts(result) == ["Mål", *LEFT, *RIGHT, "Under planperioden ska förvaltningarna:",
                             "ersätta de gamla verksamhetssystemen inom ekonomi och personal med "
                             "ett gemensamt system,",
                             "minska lokalkostnaderna med fem procent.",
                             "Mål: Effektivare administration | Indikator: Antal automatiserade "
                             "processer | Målvärde: 8"]


def test_paragraph_cut_by_column_break_is_joined(tmp_path: Path) -> None:
    doc = MrpPdf(header=None).page().heading("Ekonomi")
    doc.two_columns([LEFT[0], "Skatteintäkterna ökar under perioden men inte lika"],
                    ["snabbt som kostnaderna för omsorgen.", RIGHT[1]], right_first=True)
    assert texts(read_document(doc.save(tmp_path / "flow.pdf"))) == [
        "Ekonomi", LEFT[0], "Skatteintäkterna ökar under perioden men inte lika snabbt som "
        "kostnaderna för omsorgen.", RIGHT[1]]


def test_line_end_hyphens_joined_real_hyphens_kept(layout_pdf: ExtractedDocument) -> None:
    (text,) = [t for t in texts(layout_pdf) if t.startswith("Kommunen ska fortsätta")]
    assert text == ("Kommunen ska fortsätta arbetet med digitaliseringen av välfärden och "
                    "erbjuda fler e-tjänster och ett bättre IT-stöd inom vård- och "
                    "omsorgsförvaltningen.")


@pytest.mark.parametrize(("first", "second", "joined"), [
    ("digitali-", "seringen ökar", "digitaliseringen ökar"),
    ("digitali\u00ad", "seringen", "digitaliseringen"),
    ("", "rad", "rad"),
    ("Digitali-", "seringen", "Digitaliseringen"),
    ("fler e-", "tjänster", "fler e-tjänster"),
    ("bättre IT-", "stöd", "bättre IT-stöd"),
    ("inom vård-", "och omsorg", "inom vård- och omsorg"),
    ("åren 2024-", "2026", "åren 2024-2026"),
    ("planen -", "och budgeten", "planen - och budgeten"),
    ("ett e-tjänste-", "utbud", "ett e-tjänsteutbud"),
    ("vanlig", "rad", "vanlig rad"),
])
def test_join_lines(first: str, second: str, joined: str) -> None:
    assert join_lines(first, second) == joined


@pytest.mark.parametrize(("cells", "header"), [
    (("Mål", "Indikator", "Målvärde 2025"), True),
    (("Mnkr", "Budget 2025", "Plan 2026"), True),
    (("IT-kostnader", "12,4", "14,1"), False),
    (("Fler e-tjänster ska erbjudas invånarna", "Antal"), False),
    (("Mål.", "Indikator"), False),
    (("Mål",), False),
    (("2025", "2026"), False),
])
def test_looks_like_header(cells: tuple[str, ...], header: bool) -> None:
    assert looks_like_header(cells) is header


def test_headings_have_levels_and_pages(layout_pdf: ExtractedDocument) -> None:
    headings = {b.text: (b.level, b.page) for b in layout_pdf.blocks if b.kind == HEADING}
    assert headings["1 Inledning"] == (1, 1)
    assert headings["1.1 Digitalisering"] == (2, 1)
    assert headings["2 Verksamhet"] == (1, 2)
    assert headings["3 Ekonomi"] == (1, 3)


def test_paragraph_cut_by_page_break_is_joined(layout_pdf: ExtractedDocument) -> None:
    block = next(b for b in layout_pdf.blocks if b.text.startswith("Resultatet för"))
    assert block.text.endswith("kräver fortsatt kostnadskontroll.")
    assert block.page == 3
    assert layout_pdf.health.pages == 4
    assert layout_pdf.health.flag is None


def test_bullets_tables_and_bold_header(tmp_path: Path) -> None:
    doc = MrpPdf(header=None)
    doc.page().heading("Mål")
    wrapped = ("införa fler e-tjänster för invånarna och företagen så att fler ärenden kan "
               "startas och följas digitalt, även på kvällar och helger,")
    doc.bullets("Nämnden ska under perioden:", [wrapped, "minska pappersarbetet i verksamheten."])
    doc.table([["Mål", "Indikator", "Målvärde"],
               ["Fler e-tjänster för invånarna", "Antal e-tjänster", "40"],
               ["Kortare handläggningstid", "Dagar till beslut", "21"]], [200, 180, 80])
    doc.table([["Mnkr", "Budget 2025", "Plan 2026"],
               ["IT-kostnader", "12,4", "14,1"]], [200, 100, 100])
    doc.paragraph(FILLER[3])
    result = read_document(doc.save(tmp_path / "t.pdf"))
    assert texts(result, LIST_ITEM) == [wrapped, "minska pappersarbetet i verksamheten."]
    assert "Nämnden ska under perioden:" in texts(result, TEXT)
    rows = [b for b in result.blocks if b.kind == TABLE_ROW]
    assert [r.text for r in rows] == [
        "Mål: Fler e-tjänster för invånarna | Indikator: Antal e-tjänster | Målvärde: 40",
        "Mål: Kortare handläggningstid | Indikator: Dagar till beslut | Målvärde: 21",
        "Mnkr: IT-kostnader | Budget 2025: 12,4 | Plan 2026: 14,1",
    ]
    assert rows[2].cells == ("IT-kostnader", "12,4", "14,1")
    assert texts(result)[-1] == FILLER[3]


def test_words_drawn_one_by_one_make_one_paragraph(tmp_path: Path) -> None:
    text = " ".join(FILLER[:3])
    doc = MrpPdf(header=None).page().paragraph_by_word(text).paragraph(FILLER[4])
    assert texts(read_document(doc.save(tmp_path / "words.pdf"))) == [text, FILLER[4]]


def test_heading_number_a_tab_stop_from_its_text(tmp_path: Path) -> None:
    doc = MrpPdf(header=None).page()
    for number, title, size in (("3", "Verksamhet", 16), ("3.2", "Digitalisering", 13)):
        doc.pdf.set_font("Helvetica", "B", size)
        doc.pdf.cell(40, size * 1.5, number)
        doc.pdf.cell(0, size * 1.5, title, new_x="LMARGIN", new_y="NEXT")
    doc.paragraph(FILLER[0])
    result = read_document(doc.save(tmp_path / "numbered.pdf"))
    assert [(b.kind, b.level, b.text) for b in result.blocks] == [
        (HEADING, 1, "3 Verksamhet"), (HEADING, 2, "3.2 Digitalisering"), (TEXT, 0, FILLER[0])]


def test_long_document_same_blocks_however_the_words_are_drawn(tmp_path: Path) -> None:
    by_line = read_document(long_mrp_pdf(tmp_path / "lines.pdf", pages=6))
    by_word = read_document(long_mrp_pdf(tmp_path / "words.pdf", pages=6, by_word=True))
    assert by_line.blocks == by_word.blocks
    assert by_line.health.pages == 6
    headings = [(b.page, b.text) for b in by_line.blocks if b.kind == HEADING and b.level == 1]
    assert headings[1:] == [(i + 1, f"{i} Verksamhetsområde {i}") for i in range(1, 6)]
    assert not any("Hudiksvalls kommun · Mål" in b.text for b in by_line.blocks)


def test_goal_table_is_not_taken_for_two_columns(tmp_path: Path) -> None:
    goals = [["Fler invånare använder e-tjänster", "Andel ärenden som startas digitalt"],
             ["Kortare väntetid till förskola", "Antal dagar från ansökan till plats"],
             ["Ökad trygghet i hemtjänsten", "Andel brukare som\nkänner sig trygga"],
             ["Minskad sjukfrånvaro bland\npersonalen", "Sjukfrånvaro i procent"]]
    doc = MrpPdf(header=None).page().heading("Mål för perioden")
    doc.table([["Mål", "Indikator"], *goals], [240, 240]).paragraph(FILLER[0])
    result = read_document(doc.save(tmp_path / "goals.pdf"))
    assert texts(result, TABLE_ROW) == [
        f"Mål: {goal.replace(chr(10), ' ')} | Indikator: {indicator.replace(chr(10), ' ')}"
        for goal, indicator in goals]
    assert texts(result)[-1] == FILLER[0]


def test_text_inside_form_xobject(tmp_path: Path) -> None:
    doc = MrpPdf(header=None, footer=None)
    doc.page().heading("Digitalisering").paragraph(FILLER[0])
    source = doc.save(tmp_path / "source.pdf")
    result = read_document(page_as_form_pdf(source, tmp_path / "nup.pdf"))
    assert [(b.kind, b.text) for b in result.blocks] == [(HEADING, "Digitalisering"),
                                                       (TEXT, FILLER[0])]


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_turned_page_read_upright_margin_text_skipped(tmp_path: Path, rotation: int) -> None:
    doc = MrpPdf(header=None, footer=None).page().heading("Investeringar")
    doc.paragraph(FILLER[0]).margin_label("Diarienummer KS 2024/123")
    source = doc.save(tmp_path / "upright.pdf")
    result = read_document(rotated_page_pdf(source, tmp_path / "turned.pdf", rotation))
    assert texts(result) == ["Investeringar", FILLER[0]]


def test_paragraphs_without_spacing(tmp_path: Path) -> None:
    """Paragraphs told apart by a first-line indent, or by a short line ending a sentence."""
    doc = MrpPdf(header=None, footer=None).page()
    pdf = doc.pdf
    pdf.set_font("Helvetica", "", 10)
    rows = [(0, "Nämnden ska hålla sin budget och redovisa avvikelser i varje tertialrapport"),
            (0, "till kommunstyrelsen."),
            (20, "Skolan ska förbättra resultaten och minska skillnaderna mellan skolorna i"),
            (0, "kommunen genom tidiga insatser och ett nära samarbete med elevhälsan och"),
            (0, "vårdnadshavarna."),
            (0, "Lokalerna ska användas effektivt.")]
    for indent, line in rows:
        pdf.set_x(doc.MARGIN + indent)
        pdf.cell(0, doc.LEADING, line, new_x="LMARGIN", new_y="NEXT")
    assert texts(read_document(doc.save(tmp_path / "dense.pdf"))) == [
        "Nämnden ska hålla sin budget och redovisa avvikelser i varje tertialrapport till "
        "kommunstyrelsen.",
        "Skolan ska förbättra resultaten och minska skillnaderna mellan skolorna i kommunen "
        "genom tidiga insatser och ett nära samarbete med elevhälsan och vårdnadshavarna.",
        "Lokalerna ska användas effektivt."]


def test_overprinted_and_very_long_text_objects(tmp_path: Path) -> None:
    doc = MrpPdf(header=None, footer=None).page()
    doc.pdf.set_font("Helvetica", "B", 10)
    for _ in range(2):  # drawn twice on one spot, as fake bold is
        doc.pdf.set_xy(doc.MARGIN, 100)
        doc.pdf.cell(0, 14, "Fetstil genom dubbeltryck")
    long_line = " ".join(["Mycket lång rad"] * 700)  # more characters than the first buffer
    doc.pdf.set_font("Helvetica", "", 10)
    doc.pdf.set_xy(doc.MARGIN, 140)
    doc.pdf.cell(0, 14, long_line)
    assert texts(read_document(doc.save(tmp_path / "odd.pdf"))) == [
        "Fetstil genom dubbeltryck", long_line]


def test_mostly_empty_pages_flagged(tmp_path: Path) -> None:
    doc = MrpPdf(header=None, footer=None)
    doc.page().paragraph(FILLER[0])
    for _ in range(3):
        doc.page().rectangle()
    result = read_document(doc.save(tmp_path / "half-scanned.pdf"))
    assert result.health.empty_pages == 3
    assert result.health.flag is not None and "3 of 4 pages have no text" in result.health.flag


# ---------------------------------------------------------------------------
# Errors and limits


def test_image_only_pdf_needs_ocr(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"scan\.pdf: no text layer — run OCR first"):
        read_document(image_only_pdf(tmp_path / "scan.pdf"))


def test_encrypted_pdf(tmp_path: Path) -> None:
    plain = MrpPdf().page().paragraph(FILLER[0]).save(tmp_path / "plain.pdf")
    with pytest.raises(DocumentError, match="encrypted .* remove the password"):
        read_document(encrypt_pdf(plain, tmp_path / "locked.pdf"))


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj garbage", "not a readable PDF"),
    ("broken.docx", b"PK\x03\x04 not really a zip", "not a readable DOCX"),
    ("empty.pdf", b"", r"empty file \(0 bytes\)"),
    ("empty.txt", b"", r"empty file \(0 bytes\)"),
    ("blank.txt", b"  \n\n\t \n", "no text found"),
    ("plan.doc", b"\xd0\xcf\x11\xe0", "unsupported file type '.doc'"),
])
def test_unreadable_files(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=rf"^{re.escape(str(path))}: {reason}[^—]* — \S"):
        read_document(path)


def test_truncated_pdf(tmp_path: Path) -> None:
    whole = MrpPdf().page().paragraph(FILLER[0]).save(tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: len(whole) // 3])
    with pytest.raises(DocumentError, match="not a readable PDF"):
        read_document(path)


def test_missing_file_or_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="file not found"):
        read_document(tmp_path / "nowhere.pdf")
    (tmp_path / "folder.pdf").mkdir()
    with pytest.raises(DocumentError, match="not a file"):
        read_document(tmp_path / "folder.pdf")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(FILLER[0], encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(DocumentError, match=r"cannot be read \(Permission denied\)"):
        read_document(path)


def test_zip_that_is_not_a_word_document(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "notes.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "inte ett Word-dokument")
    with pytest.raises(DocumentError, match="not a readable DOCX"):
        read_document(path)


def test_max_pages(tmp_path: Path) -> None:
    doc = MrpPdf()
    for text in FILLER[:3]:
        doc.page().paragraph(text)
    path = doc.save(tmp_path / "three.pdf")
    assert read_document(path, Limits(max_pages=3)).health.pages == 3
    with pytest.raises(DocumentError, match="3 pages, over the limit of 2 — split"):
        read_document(path, Limits(max_pages=2))


def test_max_chars_and_file_size(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(FILLER[0] * 10, encoding="utf-8")
    with pytest.raises(DocumentError, match="more than 100 characters"):
        read_document(path, Limits(max_chars=100))
    with pytest.raises(DocumentError, match="over the limit of 50 bytes"):
        read_document(path, Limits(max_file_bytes=50))


def test_docx_zip_bomb_refused_before_decompressing(tmp_path: Path) -> None:
    path = mrp_docx(tmp_path / "bomb.docx", [("p", FILLER[0])])
    declare_member_size(path, "word/document.xml", 3_000_000_000)
    with pytest.raises(DocumentError, match=r"'word/document\.xml' would decompress to "
                                            r"3,000 MB, over the limit of 200 MB.*zip bomb"):
        read_document(path)


def test_docx_limits_apply_to_real_sizes(tmp_path: Path) -> None:
    path = mrp_docx(tmp_path / "plan.docx", [("p", FILLER[0])])
    assert texts(read_document(path)) == [FILLER[0]]
    with pytest.raises(DocumentError, match="part '.*' would decompress to"):
        read_document(path, Limits(max_docx_part_bytes=1000))
    size = path.stat().st_size
    with pytest.raises(DocumentError, match="DOCX would decompress to .* zip bomb"):
        read_document(path, Limits(max_file_bytes=size + 1))


# ---------------------------------------------------------------------------
# DOCX


def test_docx_structure(tmp_path: Path) -> None:
    import docx

    path = mrp_docx(tmp_path / "Falu kommun MRP 2024.docx", [
        ("h1", "Mål och resursplan 2024"),
        ("p", "Påhittat exempeldokument — inte en verklig kommuns plan."),
        ("h2", "Digitalisering"),
        ("p", "Nämnden ska:"),
        ("bullets", ["införa e-arkiv,", "automatisera fakturahanteringen."]),
        ("numbers", ["Första numrerade målet."]),
        ("bold", "Ekonomiska ramar"),
        ("header_table", [["Mål", "Indikator", "Målvärde"],
                          ["Fler e-tjänster", "Antal e-tjänster", "40"]]),
        ("table", [["Mnkr", "Budget 2024", "Plan 2025"], ["IT-kostnader", "12,4", "14,1"]]),
        ("table", [["Faktaruta: en tabell med en kolumn är en ram runt vanlig text."]]),
        ("page", None),
        ("p", "Text på sidan två."),
        ("p", "Text på sidan tre."),
    ], title="MRP 2024 Falu kommun")
    document = docx.Document(str(path))
    document.paragraphs[-1].paragraph_format.page_break_before = True
    document.save(str(path))
    result = read_document(path)
    assert [(b.kind, b.level, b.text, b.page) for b in result.blocks] == [
        (HEADING, 1, "Mål och resursplan 2024", 1),
        (TEXT, 0, "Påhittat exempeldokument — inte en verklig kommuns plan.", 1),
        (HEADING, 2, "Digitalisering", 1),
        (TEXT, 0, "Nämnden ska:", 1),
        (LIST_ITEM, 0, "införa e-arkiv,", 1),
        (LIST_ITEM, 0, "automatisera fakturahanteringen.", 1),
        (LIST_ITEM, 0, "Första numrerade målet.", 1),
        (HEADING, 3, "Ekonomiska ramar", 1),
        (TABLE_ROW, 0, "Mål: Fler e-tjänster | Indikator: Antal e-tjänster | Målvärde: 40", 1),
        (TABLE_ROW, 0, "Mnkr: IT-kostnader | Budget 2024: 12,4 | Plan 2025: 14,1", 1),
        (TEXT, 0, "Faktaruta: en tabell med en kolumn är en ram runt vanlig text.", 1),
        (TEXT, 0, "Text på sidan två.", 2),
        (TEXT, 0, "Text på sidan tre.", 3),
    ]
    assert result.format == "docx"
    assert result.health.pages == 3
    assert result.title_text.splitlines()[0] == "MRP 2024 Falu kommun"


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def test_docx_rendered_page_breaks_outline_levels_and_repeated_header(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    path = mrp_docx(tmp_path / "plan.docx", [
        ("title", "Budget 2025"),
        ("p", "Första sidan."),
        ("p", "Andra sidan börjar här."),
        ("p", "Stycket som bryts över sidan."),
        ("page", None),
        ("p", "Fortfarande tredje sidan."),
        ("p", "Egen rubriknivå"),
        ("table", [["Mål", "Indikator"], ["Fler e-tjänster", "Antal"],
                   ["Mål", "Indikator"], ["Kortare väntetid", "Dagar"]]),
    ])
    document = docx.Document(str(path))
    paragraphs = document.paragraphs
    # Where Word broke the pages when it last saved: before the text of paragraph 2,
    # inside paragraph 3. The hard page break is then not counted again.
    rendered = f'<w:lastRenderedPageBreak xmlns:w="{W_NS}"/>'
    paragraphs[2].runs[0]._r.insert(0, parse_xml(rendered))
    paragraphs[3].runs[0]._r.append(parse_xml(rendered))
    outline = parse_xml(f'<w:pPr xmlns:w="{W_NS}"><w:outlineLvl w:val="1"/></w:pPr>')
    paragraphs[6]._p.insert(0, outline)
    document.add_paragraph("Innehåll", style="TOC Heading")
    document.save(str(path))
    result = read_document(path)
    assert [(b.kind, b.level, b.text, b.page) for b in result.blocks] == [
        (HEADING, 1, "Budget 2025", 1),
        (TEXT, 0, "Första sidan.", 1),
        (TEXT, 0, "Andra sidan börjar här.", 2),
        (TEXT, 0, "Stycket som bryts över sidan.", 2),
        (TEXT, 0, "Fortfarande tredje sidan.", 3),
        (HEADING, 2, "Egen rubriknivå", 3),
        (TABLE_ROW, 0, "Mål: Fler e-tjänster | Indikator: Antal", 3),
        (TABLE_ROW, 0, "Mål: Kortare väntetid | Indikator: Dagar", 3),
    ]


def test_docx_table_of_contents_skipped(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    path = mrp_docx(tmp_path / "toc.docx", [("h1", "Inledning"), ("p", FILLER[0])])
    document = docx.Document(str(path))
    toc = parse_xml(
        '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/></w:docPartObj>'
        '</w:sdtPr><w:sdtContent><w:p><w:r><w:t>Inledning ........ 3</w:t></w:r></w:p>'
        '</w:sdtContent></w:sdt>')
    box = parse_xml(
        '<w:sdt xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:sdtContent><w:p><w:r><w:t>Text i en innehållskontroll.</w:t></w:r></w:p>'
        '</w:sdtContent></w:sdt>')
    document.element.body.insert(0, toc)
    document.element.body.insert(1, box)
    document.save(str(path))
    assert texts(read_document(path)) == ["Text i en innehållskontroll.", "Inledning", FILLER[0]]


# ---------------------------------------------------------------------------
# HTML

PAGE = """<!DOCTYPE html>
<html><head><meta charset="windows-1252"><title>Göteborgs Stad – Budget 2025</title>
<style>p { color: red }</style><script>var meny = "Startsida";</script></head>
<body>
<header><a href="/">Göteborgs Stad</a></header>
<nav><ul><li>Startsida</li><li>Kontakt</li></ul></nav>
<div role="navigation">Brödsmulor</div>
<main>
<h1>Budget 2025</h1>
<p>Påhittat exempeldokument &mdash; inte en verklig kommuns plan.</p>
<h2>Digitalisering</h2>
<p>Staden ska:</p>
<ul><li>öppna fler <b>e-tjänster</b>,</li><li>stärka den digitala delaktigheten.</li></ul>
<p hidden>Dold text.</p><p style="display: none">Också dold.</p>
<table>
<tr><th>Mål</th><th>Indikator</th></tr>
<tr><td>Fler e-tjänster</td><td><p>Antal</p><p>e-tjänster</p></td></tr>
</table>
<p>Rad ett<br>rad två</p>
</main>
<footer>Kontakta oss</footer>
</body></html>
"""


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "goteborgs-stad-budget-2025.html"
    path.write_bytes(PAGE.encode("cp1252"))
    result = read_document(path)
    assert [(b.kind, b.level, b.text) for b in result.blocks] == [
        (HEADING, 1, "Budget 2025"),
        (TEXT, 0, "Påhittat exempeldokument — inte en verklig kommuns plan."),
        (HEADING, 2, "Digitalisering"),
        (TEXT, 0, "Staden ska:"),
        (LIST_ITEM, 0, "öppna fler e-tjänster,"),
        (LIST_ITEM, 0, "stärka den digitala delaktigheten."),
        (TABLE_ROW, 0, "Mål: Fler e-tjänster | Indikator: Antal e-tjänster"),
        (TEXT, 0, "Rad ett"),
        (TEXT, 0, "rad två"),
    ]
    assert result.format == "html"
    assert result.title_text.splitlines()[0] == "Göteborgs Stad – Budget 2025"


def test_html_odd_markup(tmp_path: Path) -> None:
    path = tmp_path / "sida.htm"
    path.write_bytes((
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
        '</head><body><nav><nav>Meny</nav>Mer meny</nav>'
        '<h2>Budget<br/>2025 – plan</h2>'
        '<ul><li>ett<br>mål</li></ul>'
        '<p>Rad<br/>ny rad</p>'
        '<table><td>Utan rad</td><td>Inre <table><tr><td>tabell</td></tr></table></td></table>'
        '<svg><title>Ikon</title></svg></body></html>').encode("cp1252"))
    result = read_document(path)
    assert [(b.kind, b.text) for b in result.blocks] == [
        (HEADING, "Budget 2025 – plan"),
        (LIST_ITEM, "ett mål"),
        (TEXT, "Rad"),
        (TEXT, "ny rad"),
        (TABLE_ROW, "Utan rad | Inre tabell"),
    ]
    assert result.format == "html"


def test_html_section_header_kept_and_unclosed_head(tmp_path: Path) -> None:
    path = tmp_path / "sida.html"
    path.write_text(
        "<html><head><title>Budget</title><body><header>Kommunens logga</header>"
        "<main><article><header><h1>Budget 2025</h1></header><p>Text.</p>"
        "<footer>Publicerad 2024-11-21</footer></article></main>"
        "<footer>Kontakt</footer></body></html>", encoding="utf-8")
    assert [(b.kind, b.text) for b in read_document(path).blocks] == [
        (HEADING, "Budget 2025"), (TEXT, "Text."), (TEXT, "Publicerad 2024-11-21")]


@pytest.mark.parametrize(("meta", "encoding"), [
    ('<meta charset="shift_jis">', "utf-8"),  # valid UTF-8 wins over a wrong declaration
    ('<meta charset="windows-1252">', "utf-8-sig"),  # and so does a byte order mark
    ('<meta charset="iso-2022-jp">', "cp1252"),  # the declared charset fails
    ('<meta charset="x-unknown-charset">', "cp1252"),
    ("", "cp1252"),
])
def test_html_charsets(tmp_path: Path, meta: str, encoding: str) -> None:
    path = tmp_path / "sida.html"
    path.write_bytes(f"{meta}<p>Målet är nått.</p>".encode(encoding))
    assert texts(read_document(path)) == ["Målet är nått."]


# ---------------------------------------------------------------------------
# TXT

TXT = """Mål och resursplan 2025

Påhittat exempeldokument — inte en verklig kommuns plan.

1 Inledning

Kommunens ekonomi är stabil. Skatteintäkterna ökar något
under perioden och kostnaderna för äldreomsorgen väntas öka.

1.1 Digitalisering

Nämnden ska under året:
- införa e-tjänster för bygglov,
- erbjuda stöd till äldre som vill
  lära sig använda e-legitimation.

Ekonomi i korthet

Mnkr\tBudget 2025\tPlan 2026
IT-kostnader\t12,4\t14,1
\fSidan två börjar här.
"""


def test_txt_cp1252_headings_lists_tables_pages(tmp_path: Path) -> None:
    path = tmp_path / "MRP 2025 Ljusnarsberg.txt"
    path.write_bytes(TXT.encode("cp1252"))
    result = read_document(path)
    assert [(b.kind, b.level, b.text, b.page) for b in result.blocks] == [
        (HEADING, 1, "Mål och resursplan 2025", 1),
        (TEXT, 0, "Påhittat exempeldokument — inte en verklig kommuns plan.", 1),
        (HEADING, 1, "1 Inledning", 1),
        (TEXT, 0, "Kommunens ekonomi är stabil. Skatteintäkterna ökar något under perioden "
                  "och kostnaderna för äldreomsorgen väntas öka.", 1),
        (HEADING, 2, "1.1 Digitalisering", 1),
        (TEXT, 0, "Nämnden ska under året:", 1),
        (LIST_ITEM, 0, "införa e-tjänster för bygglov,", 1),
        (LIST_ITEM, 0, "erbjuda stöd till äldre som vill lära sig använda e-legitimation.", 1),
        (HEADING, 3, "Ekonomi i korthet", 1),  # unnumbered: one below the last numbered
        (TABLE_ROW, 0, "Mnkr: IT-kostnader | Budget 2025: 12,4 | Plan 2026: 14,1", 1),
        (TEXT, 0, "Sidan två börjar här.", 2),
    ]
    assert result.health.pages == 2


def test_txt_markdown_headings_typewriter_spaces_and_plain_tables(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(
        "# Budget 2025\n\n## Skola\n\nMålen nås.  Resultaten förbättras.\n\n"
        "Skola\t12 400\nOmsorg\t8 100\nDetta följs upp varje tertial.\n"
        "1. Öka närvaron.\n", encoding="utf-8")
    result = read_document(path)
    assert [(b.kind, b.level, b.text) for b in result.blocks] == [
        (HEADING, 1, "Budget 2025"),
        (HEADING, 2, "Skola"),
        (TEXT, 0, "Målen nås. Resultaten förbättras."),
        (TABLE_ROW, 0, "Skola | 12 400"),  # no header row: cells as they are
        (TABLE_ROW, 0, "Omsorg | 8 100"),
        (TEXT, 0, "Detta följs upp varje tertial."),
        (LIST_ITEM, 0, "1. Öka närvaron."),
    ]


def test_title_text_is_the_beginning(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text("\n\n".join(f"{i} {FILLER[i % 6]}" for i in range(200)), encoding="utf-8")
    lines = read_document(path).title_text.splitlines()
    assert lines[0].startswith("0 Kommunens ekonomi")
    assert 30 < len(lines) < 50


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_txt_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes("Målet är att öka tryggheten – för alla.\n".encode(encoding))
    assert texts(read_document(path)) == ["Målet är att öka tryggheten – för alla."]


def test_txt_neither_utf8_nor_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes("Målet är nått".encode("cp1252") + b" \x81")  # 0x81: not in cp1252
    assert texts(read_document(path)) == ["Målet är nått \x81"]


def test_garbled_text_flagged(tmp_path: Path) -> None:
    path = tmp_path / "garbled.txt"
    path.write_text(" ".join(f"Xqz{i % 7}wv Kpl Ttrm" for i in range(100)) + ".",
                    encoding="utf-8")
    flag = read_document(path).health.flag
    assert flag is not None and flag.startswith("text looks garbled")
    path.write_text(" ".join([FILLER[0]] * 20), encoding="utf-8")
    assert read_document(path).health.flag is None


# ---------------------------------------------------------------------------
# Examples

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _build_examples(folder: Path) -> list[Path]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_examples",
                                                  EXAMPLES / "build_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built: list[Path] = module.build(folder)
    return built


def test_examples_are_current_and_say_they_are_made_up(tmp_path: Path) -> None:
    built = _build_examples(tmp_path)
    assert len(built) == 5
    for fresh in built:
        committed = read_document(EXAMPLES / fresh.name)
        assert committed.blocks == read_document(fresh).blocks, f"rebuild {fresh.name}"
        assert committed.health.flag is None
        first_page = " ".join(b.text for b in committed.blocks if b.page == 1)
        assert "Påhittat exempeldokument — inte en verklig kommuns plan" in first_page
