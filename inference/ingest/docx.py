"""DOCX: Word styles, lists, tables and page breaks."""

from __future__ import annotations

import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mrp_classify.inference.ingest.common import (
    HEADING,
    LIST_ITEM,
    TEXT,
    DocumentError,
    Limits,
    TextBlock,
    _check_chars,
    _check_pages,
    _implicit_level,
    _mb,
    _page_chars,
    _Raw,
    _table_blocks,
    _title_from_blocks,
    clean_text,
)

log = logging.getLogger(__name__)


_DOCX_HEADING_STYLE_RE = re.compile(r"^(?:heading|rubrik)\s*([1-9])$", re.IGNORECASE)
_DOCX_TITLE_STYLES = frozenset({"title", "rubrik"})
_DOCX_LIST_STYLE_RE = re.compile(r"list|lista|punkt|numrer", re.IGNORECASE)
_DOCX_TOC_STYLE_RE = re.compile(r"^(?:toc|innehållsförteckning|innehåll)\b", re.IGNORECASE)
_DOCX_BOLD_HEADING_MAX_WORDS = 15


def _unreadable_docx(path: Path) -> DocumentError:
    return DocumentError(path, "not a readable DOCX (corrupt, or not a Word file)",
                         "open it in Word or LibreOffice and save it as .docx again")


def _check_docx_zip(path: Path, limits: Limits) -> None:
    """Refuse a DOCX whose parts inflate to more than the limits allow.

    The sizes a zip declares can lie, so every compressed part is inflated here as a
    stream, a chunk at a time, and counted: a part that passes the limit stops the
    read at once (memory stays at one chunk), before python-docx touches the file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise _unreadable_docx(path) from None
    declared = max((m for m in members), key=lambda m: m.file_size, default=None)
    if declared is not None and declared.file_size > limits.max_docx_part_bytes:
        raise DocumentError(
            path, f"DOCX part '{declared.filename}' would decompress to "
            f"{_mb(declared.file_size)}, over the limit of {_mb(limits.max_docx_part_bytes)}",
            "the file may be a zip bomb; if it is genuine, save it again from Word")
    try:
        with open(path, "rb") as handle:
            total = 0
            for member in members:
                size = _inflated_size(handle, member, limits.max_docx_part_bytes)
                if size > limits.max_docx_part_bytes:
                    raise DocumentError(
                        path, f"DOCX part '{member.filename}' would decompress to more than "
                        f"{_mb(limits.max_docx_part_bytes)} (it declares "
                        f"{_mb(member.file_size)})",
                        "the file may be a zip bomb; if it is genuine, save it again from "
                        "Word, or raise the limit")
                total += size
                if total > limits.max_file_bytes:
                    raise DocumentError(
                        path, f"DOCX would decompress to more than "
                        f"{_mb(limits.max_file_bytes)}",
                        "the file may be a zip bomb; if it is genuine, split the document")
    except (zipfile.BadZipFile, zlib.error, OSError, struct.error):
        raise _unreadable_docx(path) from None


_INFLATE_CHUNK = 1 << 16


def _inflated_size(handle: Any, member: zipfile.ZipInfo, limit: int) -> int:
    """Bytes the member really inflates to, counting no further than just past ``limit``."""
    handle.seek(member.header_offset)
    header = handle.read(30)
    if header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"no local header for {member.filename}")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(member.header_offset + 30 + name_length + extra_length)
    if member.compress_type == zipfile.ZIP_STORED:
        return member.compress_size
    if member.compress_type != zipfile.ZIP_DEFLATED:
        raise zipfile.BadZipFile(f"unsupported compression in {member.filename}")
    inflater = zlib.decompressobj(-15)
    remaining, size = member.compress_size, 0
    while remaining > 0 and size <= limit:
        chunk = handle.read(min(_INFLATE_CHUNK, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
        data = inflater.decompress(chunk, _INFLATE_CHUNK)
        size += len(data)
        while inflater.unconsumed_tail and size <= limit:
            size += len(inflater.decompress(inflater.unconsumed_tail, _INFLATE_CHUNK))
    return size


class _DocxPages:
    """Page estimate from Word's rendered page breaks, else from hard page breaks."""

    def __init__(self, body: Any) -> None:
        from docx.oxml.ns import qn

        self._rendered = qn("w:lastRenderedPageBreak")
        self._br = qn("w:br")
        self._type = qn("w:type")
        self._val = qn("w:val")
        self._t = qn("w:t")
        self._before = qn("w:pageBreakBefore")
        # Word records where pages broke when it last saved; hard breaks are a
        # fallback for files written by other programs.
        self._use_rendered = next(body.iter(self._rendered), None) is not None
        self.page = 1

    def _is_break(self, node: Any) -> bool:
        if self._use_rendered:
            return bool(node.tag == self._rendered)
        if node.tag == self._br:
            return bool(node.get(self._type) == "page")
        return bool(node.tag == self._before and node.get(self._val) not in ("0", "false"))

    def advance(self, element: Any) -> int:
        """Page on which `element` (a paragraph or table row) starts; moves past its breaks."""
        before = after = 0
        text_seen = False
        for node in element.iter(self._rendered, self._br, self._t, self._before):
            if node.tag == self._t:
                text_seen = text_seen or bool(node.text)
            elif self._is_break(node):
                if text_seen:
                    after += 1
                else:
                    before += 1
        self.page += before
        start = self.page
        self.page += after
        return start


def _style_chain(style: Any) -> Iterator[Any]:
    """A paragraph style and the styles it is based on; a broken file may make them loop."""
    seen = 0
    while style is not None and seen < 10:
        yield style
        style = style.base_style
        seen += 1


def _docx_outline_level(element: Any) -> int | None:
    from docx.oxml.ns import qn

    ppr = element.find(qn("w:pPr"))
    if ppr is None:
        return None
    outline = ppr.find(qn("w:outlineLvl"))
    if outline is None:
        return None
    value = int(outline.get(qn("w:val"), "9"))
    return value + 1 if value < 9 else None


def _docx_kind(paragraph: Any) -> tuple[str, int]:
    """(kind, heading level) from the paragraph's style chain and numbering."""
    from docx.oxml.ns import qn

    level = _docx_outline_level(paragraph._p)
    is_list = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None
    for style in _style_chain(paragraph.style):
        name = (style.name or "").strip()
        match = _DOCX_HEADING_STYLE_RE.match(name)
        if level is None and match:
            level = int(match.group(1))
        elif level is None and name.lower() in _DOCX_TITLE_STYLES:
            level = 1
        if level is None:
            level = _docx_outline_level(style.element)
        if _DOCX_TOC_STYLE_RE.match(name):
            return "toc", 0
        if _DOCX_LIST_STYLE_RE.search(name) or style.element.find(
                f"{qn('w:pPr')}/{qn('w:numPr')}") is not None:
            is_list = True
    if level is not None:
        return HEADING, min(level, 6)
    return (LIST_ITEM if is_list else TEXT), 0


def _docx_all_bold(paragraph: Any) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    style_bold = any(style.font.bold for style in _style_chain(paragraph.style))
    return bool(runs) and all(run.bold or (run.bold is None and (
        style_bold or (run.style is not None and run.style.font.bold))) for run in runs)


class _DocxReader:
    def __init__(self, path: Path, limits: Limits, body: Any) -> None:
        self.path = path
        self.limits = limits
        self.pages = _DocxPages(body)
        self.blocks: list[TextBlock] = []
        self.style_level = 0
        self.chars = 0

    def read_container(self, container: Any, parent: Any) -> None:
        from docx.oxml.ns import qn
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        for child in container.iterchildren():
            if child.tag == qn("w:p"):
                self.paragraph(Paragraph(child, parent))
            elif child.tag == qn("w:tbl"):
                self.table(Table(child, parent))
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None and not self._is_toc(child):
                    self.read_container(content, parent)

    @staticmethod
    def _is_toc(sdt: Any) -> bool:
        from docx.oxml.ns import qn

        gallery = sdt.find(f"{qn('w:sdtPr')}/{qn('w:docPartObj')}/{qn('w:docPartGallery')}")
        return gallery is not None and "contents" in (gallery.get(qn("w:val")) or "").lower()

    def paragraph(self, paragraph: Any) -> None:
        page = self.pages.advance(paragraph._p)
        text = clean_text(paragraph.text)
        if not text:
            return
        kind, level = _docx_kind(paragraph)
        if kind == "toc":
            return
        if kind == HEADING:
            self.style_level = level
        elif (kind == TEXT and len(text.split()) <= _DOCX_BOLD_HEADING_MAX_WORDS
              and not text.endswith((".", ":", ";", ",")) and _docx_all_bold(paragraph)):
            kind, level = HEADING, _implicit_level(self.style_level)
        self._add(TextBlock(page, text, kind, level))

    def table(self, table: Any) -> None:
        from docx.oxml.ns import qn
        from docx.text.paragraph import Paragraph

        rows = [_unique_cells(row) for row in table.rows]
        if max((len(cells) for cells in rows), default=0) <= 1:
            # One-column tables are boxes around ordinary text ("faktarutor").
            for cells in rows:
                for cell in cells:
                    self.read_container(cell._tc, cell)
            return
        texts: list[tuple[int, list[str]]] = []
        for row, cells in zip(table.rows, rows, strict=True):
            page = self.pages.advance(row._tr)
            texts.append((page, [clean_text(" ".join(
                Paragraph(p, cell).text for p in cell._tc.iter(qn("w:p")))) for cell in cells]))
        first = table.rows[0]._tr.find(qn("w:trPr"))
        marked = first is not None and first.find(qn("w:tblHeader")) is not None
        for block in _table_blocks(texts, True if marked else None):
            self._add(block)

    def _add(self, block: TextBlock) -> None:
        self.chars += len(block.text)
        _check_chars(self.path, self.chars, self.limits)
        _check_pages(self.path, block.page, self.limits)
        self.blocks.append(block)


def _unique_cells(row: Any) -> list[Any]:
    """The row's cells once each: a merged cell repeats once per grid column it spans."""
    seen: set[int] = set()
    cells = []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            cells.append(cell)
    return cells


def _read_docx(path: Path, limits: Limits) -> _Raw:
    _check_docx_zip(path, limits)
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile,
            etree.XMLSyntaxError):
        raise _unreadable_docx(path) from None
    reader = _DocxReader(path, limits, document.element.body)
    reader.read_container(document.element.body, document)
    pages = max([reader.pages.page] + [block.page for block in reader.blocks])
    meta_title = clean_text(document.core_properties.title or "")
    blocks = reader.blocks
    return _Raw(blocks, _page_chars(blocks, pages), _title_from_blocks(meta_title, blocks))


