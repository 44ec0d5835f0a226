"""Render a plan as a PDF the way office suites and print shops set real plans.

One or two columns, running header and footer, a cover, a contents list with dot
leaders and page numbers (two passes), ruled tables that repeat their header on a
new page, fact boxes, captions, hyphenated or justified text, landscape pages
for wide tables, and scanned pages that are pictures only. The core fonts are
used, so the text is drawn in Windows-1252 (``cp1252``).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from mrp_classify.docset.plan import (
    BOX,
    BULLET,
    CAPTION,
    FURNITURE,
    GLOSSARY,
    HEADING,
    NUMBERED,
    PAGEBREAK,
    SCANNED,
    TABLE_HEADER,
    TABLE_ROW,
    TEXT,
    TOC,
    Block,
    Plan,
)
from mrp_classify.docset.render_common import (
    FIXED_DATE,
    choice,
    cover_lines,
    cp1252,
    footer_template,
    numbered_headings,
    running_header,
    toc_entries,
)

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM, GUTTER = 56.0, 64.0, 64.0, 20.0
_VOWELS = set("aeiouyåäöéAEIOUYÅÄÖÉ")


class _Pdf(FPDF):
    def __init__(self, header_text: str, footer_text: str) -> None:
        super().__init__(unit="pt", format="A4")
        self.header_text = header_text
        self.footer_text = footer_text
        self.core_fonts_encoding = "windows-1252"
        self.plain_pages: set[int] = set()

    def header(self) -> None:
        if self.page_no() in self.plain_pages:
            return
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(90, 90, 90)
        self.set_xy(MARGIN_X, 30)
        self.cell(self.w - 2 * MARGIN_X, 10, cp1252(self.header_text))
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        if self.page_no() in self.plain_pages:
            return
        self.set_font("Helvetica", "", 7.5)
        self.set_xy(MARGIN_X, self.h - 40)
        text = self.footer_text.format(page=self.page_no(), pages="{nb}")
        self.cell(self.w - 2 * MARGIN_X, 10, cp1252(text), align="R")


@dataclass
class _Style:
    family: str
    body: float
    two_column: bool
    hyphenate: bool
    justify: bool
    landscape_tables: bool

    @property
    def leading(self) -> float:
        return self.body * 1.38


def split_word(word: str, fits: float, width_of: Callable[[str], float]) -> tuple[str, str] | None:
    """Hyphenate ``word`` so that its head plus "-" fits in ``fits`` points: the longest
    head that ends before a consonant followed by a vowel (a Swedish syllable break,
    "digi-tali-sering"), keeping three letters on each side."""
    if len(word) < 7 or not word.isalpha():
        return None
    for cut in range(len(word) - 3, 2, -1):
        if word[cut] in _VOWELS or word[cut + 1] not in _VOWELS:
            continue
        head = word[:cut]
        if any(ch in _VOWELS for ch in head) and width_of(head + "-") <= fits:
            return head + "-", word[cut:]
    return None


class _Writer:
    """A flow of lines into columns and pages."""

    def __init__(self, plan: Plan, pdf: _Pdf, style: _Style) -> None:
        self.plan, self.pdf, self.style = plan, pdf, style
        self.column = 0
        self.heading_pages: dict[int, int] = {}
        self.landscape = False

    # ------------------------------------------------------------ geometry
    @property
    def columns(self) -> int:
        return 2 if self.style.two_column and not self.landscape else 1

    @property
    def column_width(self) -> float:
        full = self.pdf.w - 2 * MARGIN_X
        return (full - GUTTER) / 2 if self.columns == 2 else full

    @property
    def x(self) -> float:
        return MARGIN_X + self.column * (self.column_width + GUTTER)

    @property
    def bottom(self) -> float:
        return self.pdf.h - MARGIN_BOTTOM

    def new_page(self, orientation: str = "P") -> None:
        self.landscape = orientation == "L"
        self.pdf.add_page(orientation=orientation)
        self.pdf.set_y(MARGIN_TOP)
        self.column = 0

    def ensure(self, height: float) -> None:
        if self.pdf.get_y() + height <= self.bottom:
            return
        if self.column + 1 < self.columns:
            self.column += 1
            self.pdf.set_y(MARGIN_TOP)
        else:
            self.new_page("L" if self.landscape else "P")

    # ------------------------------------------------------------ text
    def font(self, style: str = "", size: float | None = None) -> None:
        self.pdf.set_font(self.style.family, style, size or self.style.body)

    def wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        current = ""
        measure = self.pdf.get_string_width
        for word in cp1252(text).split():
            candidate = f"{current} {word}" if current else word
            if measure(candidate) <= width:
                current = candidate
                continue
            if self.style.hyphenate and current:
                room = width - measure(current + " ")
                pieces = split_word(word, room, measure)
                if pieces:
                    lines.append(f"{current} {pieces[0]}")
                    current = pieces[1]
                    continue
            if current:
                lines.append(current)
            current = word
        if current:
            lines.append(current)
        return lines

    def write_lines(self, lines: Sequence[str], indent: float = 0.0, justify: bool = False,
                    leading: float | None = None) -> None:
        leading = leading or self.style.leading
        width = self.column_width - indent
        for i, line in enumerate(lines):
            self.ensure(leading)
            y = self.pdf.get_y()
            words = line.split(" ")
            last = i == len(lines) - 1
            if justify and not last and len(words) > 1:
                # Word by word, as exporters write justified text.
                natural = sum(self.pdf.get_string_width(w) for w in words)
                gap = (width - natural) / (len(words) - 1)
                x = self.x + indent
                for word in words:
                    self.pdf.set_xy(x, y)
                    self.pdf.cell(self.pdf.get_string_width(word), leading, word)
                    x += self.pdf.get_string_width(word) + gap
            else:
                self.pdf.set_xy(self.x + indent, y)
                self.pdf.cell(width, leading, line)
            self.pdf.set_y(y + leading)

    def paragraph(self, text: str, style: str = "", size: float | None = None,
                  indent: float = 0.0, after: float | None = None) -> None:
        self.font(style, size)
        leading = (size or self.style.body) * 1.38
        self.write_lines(self.wrap(text, self.column_width - indent), indent,
                         self.style.justify and not style, leading)
        self.pdf.set_y(self.pdf.get_y() + (leading * 0.55 if after is None else after))

    def heading(self, block: Block, title: str) -> None:
        size = {1: self.style.body + 7, 2: self.style.body + 3.5}.get(block.level,
                                                                      self.style.body + 1)
        self.ensure(size * 1.4 + 3 * self.style.leading)
        self.pdf.set_y(self.pdf.get_y() + size * 0.5)
        self.heading_pages[block.line] = self.pdf.page_no()
        self.font("B", size)
        self.write_lines(self.wrap(title, self.column_width), leading=size * 1.3)
        self.pdf.set_y(self.pdf.get_y() + size * 0.35)

    def item(self, marker: str, text: str) -> None:
        self.font()
        lines = self.wrap(text, self.column_width - 16)
        self.ensure(self.style.leading)
        y = self.pdf.get_y()
        self.pdf.set_xy(self.x + 4, y)
        self.pdf.cell(12, self.style.leading, marker)
        self.pdf.set_y(y)
        self.write_lines(lines, indent=16)
        self.pdf.set_y(self.pdf.get_y() + 2)

    def box(self, text: str) -> None:
        self.font("I")
        lines = self.wrap(text, self.column_width - 16)
        height = len(lines) * self.style.leading + 12
        if height < self.bottom - MARGIN_TOP:
            self.ensure(height)
        top = self.pdf.get_y()
        self.pdf.set_fill_color(232, 238, 244)
        self.pdf.rect(self.x, top, self.column_width, min(height, self.bottom - top), style="F")
        self.pdf.set_y(top + 6)
        self.write_lines(lines, indent=8)
        self.pdf.set_y(self.pdf.get_y() + 12)

    # ------------------------------------------------------------ tables
    def table(self, header: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> None:
        ncols = max([len(header or ())] + [len(r) for r in rows])
        wide = ncols >= 4 and self.style.landscape_tables
        if wide:
            self.new_page("L")
        size = self.style.body - 1.5
        leading = size * 1.3
        self.font("", size)
        all_rows = ([header] if header else []) + list(rows)
        column = [[cells[i] if i < len(cells) else "" for cells in all_rows] for i in range(ncols)]
        # Each column at least as wide as its longest word; the rest shared by text length.
        floor = [max(self.pdf.get_string_width(w) for c in col for w in cp1252(c).split() or [""])
                 + 12 for col in column]
        lengths = [max(4, min(60, max(len(c) for c in col))) for col in column]
        spare = max(0.0, self.column_width - sum(floor))
        widths = [f + spare * n / sum(lengths) for f, n in zip(floor, lengths, strict=True)]
        scale = min(1.0, self.column_width / sum(widths))
        widths = [w * scale for w in widths]

        def draw(cells: Sequence[str], bold: bool) -> None:
            self.font("B" if bold else "", size)
            wrapped = [self.wrap(cells[i] if i < len(cells) else "", widths[i] - 10)
                       for i in range(ncols)]
            height = max(len(w) for w in wrapped) * leading + 8
            if self.pdf.get_y() + height > self.bottom:
                self.ensure(height)
                if header and not bold:
                    draw(header, True)
                    self.font("", size)
            top, x = self.pdf.get_y(), self.x
            if bold:
                self.pdf.set_fill_color(220, 226, 232)
                self.pdf.rect(x, top, sum(widths), height, style="F")
            for lines, width in zip(wrapped, widths, strict=True):
                for j, line in enumerate(lines):
                    self.pdf.set_xy(x + 5, top + 4 + j * leading)
                    self.pdf.cell(width - 10, leading, line)
                x += width
            self.pdf.line(self.x, top + height, self.x + sum(widths), top + height)
            self.pdf.set_y(top + height)

        if header:
            self.ensure(3 * leading)
            draw(header, True)
        for cells in rows:
            draw(cells, False)
        self.pdf.set_y(self.pdf.get_y() + self.style.leading * 0.7)
        if wide:
            self.new_page("P")

    # ------------------------------------------------------------ special pages
    def toc(self, pages: dict[int, int]) -> None:
        two_column, self.style.two_column = self.style.two_column, False
        try:
            self._toc(pages)
        finally:
            self.style.two_column = two_column

    def _toc(self, pages: dict[int, int]) -> None:
        self.paragraph("Innehåll", "B", self.style.body + 6, after=8)
        self.font()
        width = self.column_width
        for level, title, page in toc_entries(self.plan, pages):
            self.ensure(self.style.leading)
            indent = 0 if level == 1 else 14
            self.font("B" if level == 1 else "")
            text = cp1252(title)
            while self.pdf.get_string_width(text) > width - indent - 40:
                text = text[:-2]
            dots_room = width - indent - self.pdf.get_string_width(text) \
                - self.pdf.get_string_width(page or "00") - 8
            dots = "." * max(3, int(dots_room / max(0.1, self.pdf.get_string_width("."))))
            y = self.pdf.get_y()
            self.pdf.set_xy(self.x + indent, y)
            self.pdf.cell(width - indent, self.style.leading, f"{text} {dots}"[: 400])
            self.pdf.set_xy(self.x, y)
            self.pdf.cell(width, self.style.leading, page or "00", align="R")
            self.pdf.set_y(y + self.style.leading)

    def scanned(self, text: str) -> None:
        from PIL import Image, ImageDraw

        self.new_page()
        image = Image.new("L", (620, 877), 246)
        draw = ImageDraw.Draw(image)
        y = 60
        for line in text.split("  ") or [text]:
            for start in range(0, len(line), 70):
                draw.text((50, y), line[start:start + 70], fill=30)
                y += 22
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        self.pdf.image(buffer, x=20, y=20, w=self.pdf.w - 40)
        self.new_page()

    def cover(self) -> None:
        self.pdf.plain_pages.add(self.pdf.page_no())
        lines = cover_lines(self.plan)
        self.pdf.set_y(220)
        self.paragraph(lines[0], "B", 24, after=18)
        for line in lines[1:]:
            self.paragraph(line, "", 12, after=6)


def _style(plan: Plan) -> _Style:
    layout = plan.layout
    body = 12.5 if "large-type" in layout else float(choice(plan, "size", ("10", "10.5", "9.5")))
    return _Style(family=choice(plan, "family", ("Helvetica", "Times", "Helvetica")),
                  body=body, two_column="two-column" in layout, hyphenate="hyphenate" in layout,
                  justify="justify" in layout, landscape_tables="landscape-tables" in layout)


def _render(plan: Plan, pages: dict[int, int]) -> tuple[_Pdf, dict[int, int]]:
    pdf = _Pdf(running_header(plan), footer_template(plan))
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(plan.meta["title"])
    pdf.set_author(f"{plan.meta['kommun']} kommun")
    writer = _Writer(plan, pdf, _style(plan))
    headings = numbered_headings(plan)
    writer.new_page()
    if "no-cover" not in plan.layout:
        writer.cover()
        writer.new_page()
    blocks = plan.blocks
    i = 0
    number = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == HEADING:
            writer.heading(block, headings[block.line].title)
        elif block.kind == TEXT:
            writer.paragraph(block.text)
        elif block.kind in (BULLET, NUMBERED):
            number = number + 1 if i > 0 and blocks[i - 1].kind == NUMBERED else 1
            writer.item("\u2022" if block.kind == BULLET else f"{number}.", block.text)
            if i + 1 == len(blocks) or blocks[i + 1].kind not in (BULLET, NUMBERED):
                writer.pdf.set_y(writer.pdf.get_y() + writer.style.leading * 0.5)
        elif block.kind == BOX:
            writer.box(block.text)
        elif block.kind in (TABLE_HEADER, TABLE_ROW):
            header = list(block.cells) if block.kind == TABLE_HEADER else None
            j = i + 1 if header else i
            rows = []
            while j < len(blocks) and blocks[j].kind == TABLE_ROW:
                rows.append(list(blocks[j].cells))
                j += 1
            writer.table(header, rows)
            i = j
            continue
        elif block.kind == GLOSSARY:
            j = i
            while j < len(blocks) and blocks[j].kind == GLOSSARY:
                j += 1
            entries = [list(b.cells) for b in blocks[i:j]]
            if choice(plan, "glossary", ("table", "lines")) == "table":
                writer.table(None, entries)
            else:
                for term, definition in entries:
                    writer.paragraph(f"{term} – {definition}")
            i = j
            continue
        elif block.kind == CAPTION:
            writer.paragraph(block.text, "I", writer.style.body - 2)
        elif block.kind == FURNITURE:
            writer.paragraph(block.text, "", writer.style.body - 2)
        elif block.kind == TOC:
            writer.toc(pages)
            writer.new_page()
        elif block.kind == PAGEBREAK:
            writer.new_page()
        elif block.kind == SCANNED:
            writer.scanned(block.text)
        i += 1
    return pdf, writer.heading_pages


def render_pdf(plan: Plan, path: Path) -> Path:
    """Write ``plan`` as a PDF at ``path``; the contents list gets the real page numbers."""
    _, pages = _render(plan, {})
    pdf, second = _render(plan, pages)
    if second != pages:  # the contents list moved the pages: settle in a third pass
        pdf, _ = _render(plan, second)
    pdf.output(str(path))
    return path
