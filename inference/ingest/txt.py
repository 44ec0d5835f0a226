"""TXT: plain text in UTF-8, UTF-16 or Windows-1252."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from mrp_classify.inference.ingest.common import (
    _BULLET_RE,
    _NUMBERED_HEADING_RE,
    HEADING,
    LIST_ITEM,
    TEXT,
    Limits,
    TextBlock,
    _check_chars,
    _check_pages,
    _decode_text,
    _heading_number_depth,
    _implicit_level,
    _is_number_cell,
    _page_chars,
    _Raw,
    _table_blocks,
    _title_from_blocks,
    clean_text,
    join_lines,
    strip_bullet,
)

log = logging.getLogger(__name__)


_TXT_CELL_SPLIT_RE = re.compile(r"\t+| {2,}")
_TXT_MARKDOWN_HEADING_RE = re.compile(r"^(#{1,6})\s+(\S.*)$")
_TXT_MAX_HEADING_WORDS = 12
_TXT_MAX_HEADING_CHARS = 100


def _txt_cells(line: str) -> list[str]:
    """Cells of a table line (tab or two-plus spaces apart); [] for prose."""
    parts = [part.strip() for part in _TXT_CELL_SPLIT_RE.split(line.strip())]
    if len(parts) < 2:
        return []
    # Two spaces after a full stop are typewriter habit, not a column break.
    if all(part.endswith((".", "!", "?")) for part in parts[:-1]):
        return []
    return parts


def _txt_paragraph_blocks(page: int, lines: list[str]) -> list[TextBlock]:
    """Blocks of one blank-line-separated paragraph: lead-in text, list items, table rows."""
    blocks: list[TextBlock] = []
    parts: list[str] = []
    kind = TEXT
    table: list[tuple[int, list[str]]] = []

    def flush_text() -> None:
        if parts:
            text = clean_text(_join_all(parts))
            blocks.append(TextBlock(page, strip_bullet(text) if kind == LIST_ITEM else text, kind))
            parts.clear()

    for raw_line in lines:
        line = raw_line.strip()
        bullet = bool(_BULLET_RE.match(line))
        cells = [] if bullet else _txt_cells(raw_line)
        if cells:
            flush_text()
            kind = TEXT
            table.append((page, cells))
            continue
        if table:
            blocks.extend(_table_blocks(table, None))
            table = []
        if bullet:
            flush_text()
            kind = LIST_ITEM
        parts.append(line)
    flush_text()
    blocks.extend(_table_blocks(table, None))
    return blocks


def _join_all(lines: Sequence[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        text = join_lines(text, line)
    return text


def _txt_heading_candidate(lines: list[str]) -> bool:
    if len(lines) != 1:
        return False
    line = lines[0].strip()
    if _TXT_MARKDOWN_HEADING_RE.match(line):
        return True
    words = line.split()
    return (len(words) <= _TXT_MAX_HEADING_WORDS and len(line) <= _TXT_MAX_HEADING_CHARS
            and line[-1] not in ".,;:!?" and any(ch.isalpha() for ch in line)
            and not _txt_cells(lines[0])
            and not (_BULLET_RE.match(line) and not _NUMBERED_HEADING_RE.match(line))
            and sum(1 for word in words if _is_number_cell(word)) < 2)


def _read_txt(path: Path, limits: Limits) -> _Raw:
    text = _decode_text(path.read_bytes(), path)
    _check_chars(path, len(text), limits)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = text.split("\f")
    _check_pages(path, len(pages), limits)
    paragraphs: list[tuple[int, list[str]]] = []
    for page_no, page_text in enumerate(pages, start=1):
        for chunk in re.split(r"\n[ \t]*\n", page_text):
            lines = [line for line in chunk.split("\n") if line.strip()]
            if lines:
                paragraphs.append((page_no, lines))
    # A short line standing alone is a heading when text (perhaps after more
    # headings) follows it; at the end of the document it is just text.
    is_heading = [False] * len(paragraphs)
    text_follows = False
    for i in range(len(paragraphs) - 1, -1, -1):
        if _txt_heading_candidate(paragraphs[i][1]):
            is_heading[i] = text_follows
        else:
            text_follows = True
    blocks: list[TextBlock] = []
    explicit_level = 0
    for (page_no, lines), heading in zip(paragraphs, is_heading, strict=True):
        if not heading:
            blocks.extend(_txt_paragraph_blocks(page_no, lines))
            continue
        line = lines[0].strip()
        markdown = _TXT_MARKDOWN_HEADING_RE.match(line)
        depth = len(markdown.group(1)) if markdown else _heading_number_depth(line)
        if markdown:
            line = markdown.group(2)
        if depth:
            explicit_level = level = min(depth, 6)
        else:
            level = _implicit_level(explicit_level)
        blocks.append(TextBlock(page_no, clean_text(line), HEADING, level))
    return _Raw(blocks, _page_chars(blocks, len(pages)), _title_from_blocks("", blocks))
