"""PDF: lines into blocks (paragraphs, headings, list items, table rows) by spacing,
indentation and font, then the document read page by page."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from mrp_classify.inference.ingest.common import (
    _BULLET_RE,
    _HYPHENS,
    _LABEL_ONLY_RE,
    _MULTI_LEVEL_NUMBER_RE,
    _SENTENCE_END,
    EMPTY_PAGE_CHARS,
    HEADING,
    LIST_ITEM,
    TABLE_ROW,
    TEXT,
    TITLE_PAGES,
    DocumentError,
    Limits,
    TextBlock,
    _check_chars,
    _check_pages,
    _heading_number_depth,
    _Raw,
    _table_blocks,
    _visible_chars,
    clean_text,
    join_lines,
    strip_bullet,
)
from mrp_classify.inference.ingest.pdf_text import (
    HEADING_SIZE_RATIO,
    MAX_HEADING_WORDS,
    _body_size,
    _display_matrix,
    _Frag,
    _Line,
    _merge_touching,
    _order_region,
    _PdfTextReader,
    _remove_furniture,
)

log = logging.getLogger(__name__)


@dataclass
class _PdfBlock:
    page: int
    kind: str
    text: str
    first_x0: float
    size: float
    bold: bool
    starts_region: bool
    cells: list[list[Any]] = field(default_factory=list)  # [x0, text] per table cell
    lines: int = 1
    level: int = 0


@dataclass(frozen=True)
class _Typography:
    body_size: float
    leading: float


def _typography(pages: Sequence[Sequence[_Line]]) -> _Typography:
    """Body font size (most characters) and its line spacing (median baseline step)."""
    body = _body_size(cell for lines in pages for line in lines for cell in line.cells)
    steps = []
    for lines in pages:
        for prev, line in pairwise(lines):
            step = prev.base - line.base
            if (prev.region == line.region and abs(line.size - body) < 0.6
                    and 0.8 * body < step < 3 * body):
                steps.append(step)
    leading = statistics.median(steps) if steps else 1.2 * body
    return _Typography(body, leading)


def _marker_cells(line: _Line) -> list[_Frag]:
    """A bullet or heading number set apart from its text belongs to it, not to a table cell."""
    cells = line.cells
    if len(cells) >= 2 and _LABEL_ONLY_RE.match(cells[0].text):
        head, nxt = cells[0], cells[1]
        merged = _Frag(head.x0, nxt.x1, nxt.base, nxt.size, nxt.bold,
                       f"{head.text} {nxt.text}", head.order)
        return [merged, *cells[2:]]
    return cells


def _heading_styled(size: float, bold: bool, typo: _Typography) -> bool:
    """Larger than body text, or bold at body size."""
    return size >= typo.body_size * HEADING_SIZE_RATIO or (bold and size >= typo.body_size * 0.95)


def _pdf_blocks(pages: Sequence[Sequence[_Line]], typo: _Typography) -> list[_PdfBlock]:
    blocks: list[_PdfBlock] = []
    for page_no, lines in enumerate(pages, start=1):
        current: _PdfBlock | None = None
        prev: _Line | None = None
        for line in lines:
            line.cells = _marker_cells(line)
            if current is not None and prev is not None and _continues(current, prev, line, typo):
                _extend(current, line)
            else:
                starts_region = prev is None or prev.region != line.region
                current = _start_block(page_no, line, typo, starts_region)
                blocks.append(current)
            prev = line
    return blocks


def _start_block(page: int, line: _Line, typo: _Typography, starts_region: bool) -> _PdfBlock:
    if len(line.cells) >= 2:
        kind = TABLE_ROW
    elif _BULLET_RE.match(line.text) and not _heading_styled(line.size, line.bold, typo):
        kind = LIST_ITEM
    else:
        kind = TEXT
    return _PdfBlock(page, kind, line.text, line.x0, line.size, line.bold, starts_region,
                     [[cell.x0, cell.text] for cell in line.cells])


def _continues(block: _PdfBlock, prev: _Line, line: _Line, typo: _Typography) -> bool:
    """Whether `line` goes on with the block that `prev` ended."""
    if prev.region != line.region:
        return False
    step = prev.base - line.base
    size = max(prev.size, line.size)
    if step <= 0 or step > max(typo.leading, 1.1 * size) + 0.35 * size:
        return False
    if block.kind == TABLE_ROW:
        return _continues_row(block, line)
    if len(line.cells) >= 2 or abs(line.size - block.size) > 0.5 or line.bold != block.bold:
        return False
    if _BULLET_RE.match(line.text) and not _heading_styled(line.size, line.bold, typo):
        return False
    if block.kind == LIST_ITEM:
        return line.x0 >= block.first_x0 - 1
    indent = 0.8 * line.size
    if line.x0 - line.left >= indent and prev.x0 - prev.left < indent / 2:
        return False  # first-line indent starts a paragraph
    short = prev.x1 < prev.right - 0.3 * (prev.right - prev.left)
    return not (short and prev.text.endswith((".", "!", "?", ":")))


def _continues_row(block: _PdfBlock, line: _Line) -> bool:
    """Wrapped table cells: every piece sits under a cell of the row, and either the first
    column is empty on this line (a row starts with its label; "Utfall" over "2022") or
    every piece goes on in lower case."""
    pieces = []
    for piece in line.cells:
        cell = next((c for c in block.cells if abs(c[0] - piece.x0) <= 4), None)
        if cell is None:
            return False
        pieces.append((piece, cell))
    if all(cell is not block.cells[0] for _, cell in pieces):
        return True
    return all(piece.text[:1].islower() or cell[1].endswith(("-", ","))
               for piece, cell in pieces)


def _extend(block: _PdfBlock, line: _Line) -> None:
    if block.kind == TABLE_ROW:
        for piece in line.cells:
            cell = next(c for c in block.cells if abs(c[0] - piece.x0) <= 4)
            cell[1] = join_lines(cell[1], piece.text)
    else:
        block.text = join_lines(block.text, line.text)
    block.lines += 1


def _classify_pdf_blocks(blocks: Sequence[_PdfBlock], typo: _Typography) -> None:
    """Mark headings and give them levels: numbering first, else rank of the look."""
    candidates = []
    for block in blocks:
        if block.kind != TEXT:
            continue
        words = len(block.text.split())
        if (words > MAX_HEADING_WORDS or block.lines > 3
                or block.text.endswith((".", ":", ";", ","))
                or not any(ch.isalpha() for ch in block.text)):
            continue
        if _heading_styled(block.size, block.bold, typo) or (
                _MULTI_LEVEL_NUMBER_RE.match(block.text) and words <= 10):
            candidates.append(block)
    looks = sorted({_look(b) for b in candidates}, key=lambda look: (-look[0], not look[1]))
    rank = {look: i + 1 for i, look in enumerate(looks)}
    for block in candidates:
        block.kind = HEADING
        block.level = min(_heading_number_depth(block.text) or rank[_look(block)], 6)


def _look(block: _PdfBlock) -> tuple[float, bool]:
    return round(block.size * 2) / 2, block.bold


def _merge_across_breaks(blocks: list[_PdfBlock]) -> list[_PdfBlock]:
    """Join a paragraph cut by a column or page break: no sentence end, lower-case go-on."""
    merged: list[_PdfBlock] = []
    for block in blocks:
        prev = merged[-1] if merged else None
        if (prev is not None and block.starts_region and block.kind == TEXT
                and prev.kind in (TEXT, LIST_ITEM) and prev.text
                and (prev.text[-1] in _HYPHENS
                     or (prev.text[-1] not in _SENTENCE_END and block.text[:1].islower()))):
            prev.text = join_lines(prev.text, block.text)
            continue
        merged.append(block)
    return merged


def _same_table(prev: _PdfBlock, row: _PdfBlock) -> bool:
    """Rows of one table share their cell positions; a bold row after plain ones heads a new one."""
    if len(prev.cells) != len(row.cells) or (row.bold and not prev.bold):
        return False
    return all(abs(a[0] - b[0]) <= 4 for a, b in zip(prev.cells, row.cells, strict=True))


def _pdf_to_text_blocks(blocks: Sequence[_PdfBlock]) -> list[TextBlock]:
    out: list[TextBlock] = []
    table: list[_PdfBlock] = []

    def flush_table() -> None:
        if table:
            rows = [(row.page, [clean_text(text) for _, text in row.cells]) for row in table]
            bold_head = table[0].bold and not any(row.bold for row in table[1:])
            out.extend(_table_blocks(rows, True if bold_head and len(table) > 1 else None))
            table.clear()

    for block in blocks:
        if block.kind == TABLE_ROW:
            if table and not _same_table(table[-1], block):
                flush_table()
            table.append(block)
            continue
        flush_table()
        text = clean_text(block.text)
        out.append(TextBlock(block.page, strip_bullet(text) if block.kind == LIST_ITEM else text,
                             block.kind, block.level))
    flush_table()
    return out


def _pdf_segments(path: Path, pdf: Any, limits: Limits) -> tuple[list[list[_Frag]], list[float]]:
    """Each page's text segments, and each page's height as displayed."""
    n_pages = len(pdf)
    _check_pages(path, n_pages, limits)
    reader = _PdfTextReader()
    page_segments: list[list[_Frag]] = []
    heights: list[float] = []
    total = 0
    for index in range(n_pages):
        page = pdf[index]
        textpage = page.get_textpage()
        try:
            box = page.get_cropbox()
            rotation = page.get_rotation()
            frags = reader.fragments(page.raw, textpage.raw, _display_matrix(rotation, box))
        finally:
            textpage.close()
            page.close()
        heights.append(box[2] - box[0] if rotation in (90, 270) else box[3] - box[1])
        segments = _merge_touching(frags)
        total += sum(len(s.text) for s in segments)
        _check_chars(path, total, limits)
        page_segments.append(segments)
    return page_segments, heights


def _read_pdf(path: Path, limits: Limits) -> _Raw:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise DocumentError(
                path, "encrypted (needs a password to open)",
                "remove the password, e.g. qpdf --decrypt --password=PASSWORD in.pdf out.pdf",
            ) from None
        if exc.err_code == pdfium_c.FPDF_ERR_SUCCESS:
            # PDFium refuses a well-formed file only when it has no pages.
            raise DocumentError(path, "a PDF with no pages",
                                "export the plan again; the file holds no page") from None
        raise DocumentError(path, "not a readable PDF (corrupt or truncated)",
                            "download or export it again") from None
    try:
        meta_title = clean_text(pdf.get_metadata_value("Title") or "")
        page_segments, heights = _pdf_segments(path, pdf, limits)
        raw = _layout(page_segments, heights, meta_title)
        if limits.ocr:
            _ocr_empty_pages(path, pdf, raw)
    finally:
        pdf.close()
    if all(chars < EMPTY_PAGE_CHARS for chars in raw.page_chars):
        raise DocumentError(path, "no text layer", "run OCR first (e.g. ocrmypdf), or "
                            "read it with --ocr")
    return raw


def _ocr_empty_pages(path: Path, pdf: Any, raw: _Raw) -> None:
    """Read the pages without a text layer with Tesseract, in page order with the rest."""
    from mrp_classify.inference.ingest.ocr import ocr_page, tesseract

    empty = [n for n, chars in enumerate(raw.page_chars, start=1) if chars < EMPTY_PAGE_CHARS]
    if not empty:
        return
    program = tesseract(path)
    for number in empty:
        blocks, confidence = ocr_page(path, pdf[number - 1], program)
        raw.blocks.extend(replace(block, page=number) for block in blocks)
        raw.page_chars[number - 1] = sum(_visible_chars(block.text) for block in blocks)
        raw.ocr_pages[number] = round(confidence, 1)
    raw.blocks.sort(key=lambda block: block.page)  # stable: text-layer order kept


def _layout(page_segments: list[list[_Frag]], heights: list[float], meta_title: str) -> _Raw:
    n_pages = len(page_segments)
    furniture = _remove_furniture(page_segments, heights)
    page_lines = [_order_region(segments) for segments in page_segments]
    # A running header often names the municipality and the year: keep it in the title.
    title_lines = [meta_title] if meta_title else []
    for removed, lines in zip(furniture[:TITLE_PAGES], page_lines, strict=False):
        title_lines.extend(removed)
        title_lines.extend(line.text for line in lines)
    typo = _typography(page_lines)
    pdf_blocks = _pdf_blocks(page_lines, typo)
    _classify_pdf_blocks(pdf_blocks, typo)
    page_chars = [0] * n_pages
    for block in pdf_blocks:
        page_chars[block.page - 1] += _visible_chars(block.text)
    blocks = _pdf_to_text_blocks(_merge_across_breaks(pdf_blocks))
    return _Raw(blocks, page_chars, "\n".join(title_lines))


