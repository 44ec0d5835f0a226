"""Build MRP-like test documents in code (fpdf2, python-docx, pypdf): nothing is downloaded.

Tests, benchmarks and `examples/build_examples.py` share these builders. PDFs use
fpdf2's core font Helvetica in Windows-1252, which covers å, ä, ö, "–" and "•".
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

FIXED_DATE = dt.datetime(2024, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(0), "UTC"))
MADE_UP = "Påhittat exempeldokument — inte en verklig kommuns plan"

FILLER = [
    "Kommunens ekonomi är stabil men marginalerna minskar när kostnaderna för äldreomsorgen "
    "ökar snabbare än skatteintäkterna under planperioden.",
    "Förskolan ska erbjuda en trygg och lärande miljö där alla barn utvecklas, och "
    "barngruppernas storlek ska följas upp varje termin.",
    "Bostadsbyggandet ska öka i hela kommunen och detaljplaner tas fram för nya områden "
    "nära kollektivtrafiken.",
    "Sjukfrånvaron bland medarbetarna ska minska genom ett systematiskt arbetsmiljöarbete "
    "och ett närmare ledarskap.",
    "Näringslivet ska ges goda förutsättningar att växa genom snabb handläggning och en "
    "nära dialog med företagen.",
    "Miljöarbetet inriktas på minskade utsläpp från transporter och en fossilfri "
    "fordonsflotta i kommunens verksamheter.",
]


class _Fpdf(FPDF):
    def __init__(self, header_text: str | None, footer_text: str | None) -> None:
        super().__init__(unit="pt", format="A4")
        self.header_text = header_text
        self.footer_text = footer_text
        self.core_fonts_encoding = "windows-1252"

    def header(self) -> None:
        if self.header_text:
            self.set_font("Helvetica", "", 8)
            self.set_xy(self.l_margin, 28)
            self.cell(0, 10, self.header_text)
            self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        if self.footer_text:
            self.set_font("Helvetica", "", 8)
            self.set_xy(self.l_margin, self.h - 36)
            self.cell(0, 10, self.footer_text.format(page=self.page_no()), align="R")


class MrpPdf:
    """An A4 PDF written like an MRP: running header and footer, headings, text, lists, tables."""

    MARGIN = 56.0
    BODY = 10.0
    LEADING = 14.0
    GAP = 8.0

    def __init__(self, header: str | None = None, footer: str | None = "Sida {page} av {{nb}}",
                 title: str = "") -> None:
        self.pdf = _Fpdf(header, footer)
        self.pdf.set_margins(self.MARGIN, 60, self.MARGIN)
        self.pdf.set_auto_page_break(True, margin=60)
        self.pdf.set_creation_date(FIXED_DATE)
        self.pdf.set_compression(False)
        if title:
            self.pdf.set_title(title)
        self.pdf.set_author("mrp-classify testdokument")

    @property
    def width(self) -> float:
        return float(self.pdf.w - 2 * self.MARGIN)

    def page(self) -> MrpPdf:
        self.pdf.add_page()
        return self

    def title(self, text: str, subtitle: str = "") -> MrpPdf:
        self.pdf.set_font("Helvetica", "B", 22)
        self.pdf.multi_cell(0, 28, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.pdf.set_font("Helvetica", "", 12)
            self.pdf.multi_cell(0, 16, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(self.GAP * 2)
        return self

    def heading(self, text: str, level: int = 1) -> MrpPdf:
        size = {1: 16, 2: 13}.get(level, self.BODY)
        self.pdf.ln(self.GAP / 2)
        self.pdf.set_font("Helvetica", "B", size)
        self.pdf.multi_cell(0, size * 1.3, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(self.GAP / 2)
        return self

    def paragraph(self, text: str) -> MrpPdf:
        self.pdf.set_font("Helvetica", "", self.BODY)
        self.pdf.multi_cell(0, self.LEADING, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(self.GAP)
        return self

    def paragraph_by_word(self, text: str) -> MrpPdf:
        """A paragraph drawn one word per text object, as some exporters (Word among them)
        write justified text."""
        self.pdf.set_font("Helvetica", "", self.BODY)
        space = self.pdf.get_string_width(" ")
        x, right = self.MARGIN, self.MARGIN + self.width
        for word in text.split():
            width = self.pdf.get_string_width(word)
            if x + width > right:
                self.pdf.ln(self.LEADING)
                x = self.MARGIN
            self.pdf.set_x(x)
            self.pdf.cell(width, self.LEADING, word)
            x += width + space
        self.pdf.ln(self.LEADING + self.GAP)
        return self

    def lines(self, lines: Sequence[str]) -> MrpPdf:
        """One paragraph given line by line, as typeset (for end-of-line hyphenation)."""
        self.pdf.set_font("Helvetica", "", self.BODY)
        for line in lines:
            self.pdf.cell(0, self.LEADING, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(self.GAP)
        return self

    def bullets(self, lead: str, items: Sequence[str]) -> MrpPdf:
        self.pdf.set_font("Helvetica", "", self.BODY)
        self.pdf.multi_cell(0, self.LEADING, lead, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for item in items:
            # Bullet and text a tab stop apart, as Word sets them.
            self.pdf.set_x(self.MARGIN + 12)
            self.pdf.cell(24, self.LEADING, "•")
            self.pdf.multi_cell(0, self.LEADING, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(self.GAP)
        return self

    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[float],
              header: bool = True) -> MrpPdf:
        """Ruled rows, the first bold when `header`; "\n" in a cell wraps it onto more lines."""
        line_height = 12.0
        for i, row in enumerate(rows):
            self.pdf.set_font("Helvetica", "B" if header and i == 0 else "", 9)
            top = self.pdf.get_y()
            height = line_height * max(len(cell.split("\n")) for cell in row) + 4
            x = self.MARGIN
            for cell, width in zip(row, widths, strict=True):
                for j, line in enumerate(cell.split("\n")):
                    self.pdf.set_xy(x, top + 2 + j * line_height)
                    self.pdf.cell(width, line_height, line)
                x += width
            self.pdf.line(self.MARGIN, top + height, x, top + height)
            self.pdf.set_xy(self.MARGIN, top + height)
        self.pdf.ln(self.GAP)
        return self

    def two_columns(self, left: Sequence[str], right: Sequence[str],
                    right_first: bool = False) -> MrpPdf:
        """Two columns of paragraphs from the current y; `right_first` writes the right
        column first in the content stream, so only geometry gives the reading order."""
        gutter = 24.0
        column = (self.width - gutter) / 2
        top = self.pdf.get_y()
        self.pdf.set_auto_page_break(False)
        bottoms = []
        order = [(self.MARGIN + column + gutter, right), (self.MARGIN, left)]
        for x, paragraphs in order if right_first else reversed(order):
            self.pdf.set_xy(x, top)
            for text in paragraphs:
                self.pdf.set_font("Helvetica", "", self.BODY)
                self.pdf.set_x(x)
                self.pdf.multi_cell(column, self.LEADING, text, new_x=XPos.LEFT, new_y=YPos.NEXT)
                self.pdf.ln(self.GAP)
            bottoms.append(self.pdf.get_y())
        self.pdf.set_auto_page_break(True, margin=60)
        self.pdf.set_xy(self.MARGIN, max(bottoms))
        return self

    def margin_label(self, text: str) -> MrpPdf:
        """Text running up the left margin, as on some title pages and tabs."""
        self.pdf.set_font("Helvetica", "", 8)
        with self.pdf.rotation(90, 30, 500):
            self.pdf.text(30, 500, text)
        return self

    def rectangle(self) -> MrpPdf:
        """A filled box and no text: what a scanned page looks like to a text extractor."""
        self.pdf.set_fill_color(200, 200, 200)
        self.pdf.rect(80, 120, 400, 500, style="F")
        return self

    def save(self, path: Path) -> Path:
        self.pdf.output(str(path))
        return path


def rotated_page_pdf(source: Path, target: Path, rotation: int) -> Path:
    """The first page of `source` with its content turned against /Rotate `rotation`, so it
    still shows upright: how some tools store landscape or scanned-and-turned pages."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(source)
    dst = pdfium.PdfDocument.new()
    width, height = src.get_page_size(0)
    # /Rotate turns the page clockwise when shown; turn the content back counter-clockwise.
    shift = {90: (height, 0.0), 180: (width, height), 270: (0.0, width)}[rotation]
    size = (width, height) if rotation == 180 else (height, width)
    page = dst.new_page(*size)
    form = src.page_as_xobject(0, dst).as_pageobject()
    form.transform(pdfium.PdfMatrix().rotate(rotation, ccw=True).translate(*shift))
    page.insert_obj(form)
    page.gen_content()
    page.set_rotation(rotation)
    dst.save(target)
    for document in (dst, src):
        document.close()
    return target


def page_as_form_pdf(source: Path, target: Path, scale: float = 0.7) -> Path:
    """The first page of `source` drawn, shrunk, as a Form XObject on a new page (n-up style)."""
    import pypdfium2 as pdfium

    src = pdfium.PdfDocument(source)
    dst = pdfium.PdfDocument.new()
    width, height = src.get_page_size(0)
    page = dst.new_page(width, height)
    form = src.page_as_xobject(0, dst).as_pageobject()
    form.transform(pdfium.PdfMatrix().scale(scale, scale).translate(40, 40))
    page.insert_obj(form)
    page.gen_content()
    dst.save(target)
    for document in (dst, src):
        document.close()
    return target


def image_only_pdf(path: Path, pages: int = 2) -> Path:
    doc = MrpPdf(header=None, footer=None)
    for _ in range(pages):
        doc.page().rectangle()
    return doc.save(path)


def encrypt_pdf(source: Path, target: Path, password: str = "hemligt") -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=source)
    writer.encrypt(password, algorithm="RC4-128")
    with open(target, "wb") as handle:
        writer.write(handle)
    return target


def long_mrp_pdf(path: Path, pages: int = 100, municipality: str = "Hudiksvalls kommun",
                 by_word: bool = False) -> Path:
    """A realistic long MRP: every page has headings, paragraphs, a list, a table; every
    fifth page two columns. `by_word` draws the paragraphs one word per text object."""
    doc = MrpPdf(header=f"{municipality} · Mål och resursplan 2025", title="Mål och resursplan")
    doc.page().title(f"Mål och resursplan 2025–2027 för {municipality}", MADE_UP)
    for i in range(1, pages):
        doc.page()
        doc.heading(f"{i} Verksamhetsområde {i}")
        if i % 5 == 0:
            doc.two_columns([FILLER[j % 6] + " " + FILLER[(j + 1) % 6] for j in range(i, i + 3)],
                            [FILLER[j % 6] + " " + FILLER[(j + 1) % 6] for j in range(i + 3, i + 6)],
                            right_first=True)
            continue
        doc.heading(f"{i}.1 Inriktning", level=2)
        for j in range(3):
            text = " ".join(FILLER[(i + j + k) % 6] for k in range(3))
            if by_word:
                doc.paragraph_by_word(text)
            else:
                doc.paragraph(text)
        doc.bullets("Nämnden ska under perioden:", [
            "korta handläggningstiderna för bygglov med hjälp av e-tjänster,",
            "införa automatiserad fakturahantering för att frigöra tid,",
            "följa upp måluppfyllelsen varje tertial.",
        ])
        doc.table([["Mål", "Indikator", "Målvärde"],
                   ["Fler e-tjänster för invånarna", "Antal e-tjänster", "40"],
                   ["Kortare handläggningstid", "Dagar till beslut", "21"]], [200, 180, 80])
        doc.table([["Mnkr", "Budget 2025", "Plan 2026", "Plan 2027"],
                   ["IT-kostnader", "12,4", "14,1", "15,0"],
                   ["Lokalkostnader", "88,0", "90,2", "91,7"]], [180, 100, 100, 100])
    return doc.save(path)


# ---------------------------------------------------------------------------
# DOCX


def mrp_docx(path: Path, blocks: Sequence[tuple[str, object]], title: str = "") -> Path:
    """A DOCX from (kind, value) pairs; kind is "title", "h1"-"h3", "p", "bold", "bullets",
    "numbers", "table", "header_table" or "page".

    "bullets"/"numbers": a list of item texts (List Bullet / List Number style);
    "table": rows of cells, "header_table": the same with the first row marked as
    repeated header; "bold": a paragraph formatted bold by hand, no heading style.
    """
    import docx
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement
    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.created = FIXED_DATE.replace(tzinfo=None)
    document.core_properties.modified = FIXED_DATE.replace(tzinfo=None)
    document.core_properties.last_modified_by = "mrp-classify"
    document.core_properties.author = "mrp-classify"
    document.core_properties.revision = 1
    for kind, value in blocks:
        if kind == "title":
            document.add_heading(str(value), level=0)
        elif kind in ("h1", "h2", "h3"):
            document.add_heading(str(value), level=int(kind[1]))
        elif kind == "p":
            document.add_paragraph(str(value))
        elif kind == "bold":
            document.add_paragraph().add_run(str(value)).bold = True
        elif kind in ("bullets", "numbers"):
            style = "List Bullet" if kind == "bullets" else "List Number"
            for item in value:  # type: ignore[attr-defined]
                document.add_paragraph(str(item), style=style)
        elif kind in ("table", "header_table"):
            rows = [list(row) for row in value]  # type: ignore[attr-defined]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, text in enumerate(row):
                    table.cell(r, c).text = str(text)
            if kind == "header_table":
                tr_pr = table.rows[0]._tr.get_or_add_trPr()
                tr_pr.append(OxmlElement("w:tblHeader"))
        elif kind == "page":
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    document.save(str(path))
    return _fix_zip_times(path)


def _fix_zip_times(path: Path) -> Path:
    """python-docx stamps zip members with the current time; a fixed one makes builds repeat."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(fixed, data)
    return path


def declare_member_size(path: Path, member: str, size: int) -> Path:
    """Rewrite the zip's central directory so `member` claims `size` uncompressed bytes.

    That is all a zip bomb check can see before decompressing, so this stands in
    for a real bomb without making one.
    """
    data = bytearray(path.read_bytes())
    name = member.encode()
    start = 0
    while True:
        entry = data.find(b"PK\x01\x02", start)
        if entry < 0:
            raise ValueError(f"{member} not in {path}")
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if bytes(data[entry + 46: entry + 46 + name_length]) == name:
            struct.pack_into("<I", data, entry + 24, size)
            break
        start = entry + 4
    path.write_bytes(bytes(data))
    return path


def lying_docx(source: Path, target: Path, padding: int, declared: int) -> Path:
    """A copy of ``source`` whose document part inflates ``padding`` bytes beyond its text
    while the zip directory declares only ``declared``: a bomb that lies about its size."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w",
                                                              zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "word/document.xml":
                data += b" " * padding
            out.writestr(info.filename, data)
    return declare_member_size(target, "word/document.xml", declared)
