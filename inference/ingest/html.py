"""HTML: the visible text of a web page."""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from mrp_classify.inference.ingest.common import (
    HEADING,
    LIST_ITEM,
    TEXT,
    Limits,
    TextBlock,
    _check_chars,
    _decode_text,
    _page_chars,
    _Raw,
    _table_blocks,
    _title_from_blocks,
    clean_text,
)

log = logging.getLogger(__name__)


_HTML_SKIP = frozenset({"script", "style", "nav", "noscript", "template", "svg", "head",
                        "button", "select", "iframe", "object", "canvas"})
# <header> and <footer> are page chrome unless they head a section of the content.
_HTML_CHROME = frozenset({"header", "footer"})
_HTML_SECTIONING = frozenset({"main", "article", "section", "aside"})
_HTML_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
_HTML_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                        "meta", "param", "source", "track", "wbr"})
_HTML_BLOCK = frozenset({"p", "div", "section", "article", "main", "aside", "blockquote", "pre",
                         "dd", "dt", "dl", "ul", "ol", "li", "table", "caption", "figure",
                         "figcaption", "form", "fieldset", "address", "hr", "br", "h1", "h2",
                         "h3", "h4", "h5", "h6", "tr", "details", "summary"})
_HTML_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)


class _HtmlBlocks(HTMLParser):
    """Visible text of an HTML page as blocks; script, navigation and page chrome skipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[TextBlock] = []
        self.title: list[str] = []
        self._buffer: list[str] = []
        self._skip: list[Any] = []  # [tag, depth] of the outermost skipped element
        self._in_title = False
        self._sectioning = 0
        self._heading = 0
        self._list_depth = 0
        self._table_depth = 0
        self._rows: list[tuple[int, list[str]]] = []
        self._header_row: list[bool] = []
        self._row: list[str] | None = None
        self._row_all_th = True
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and (not self._skip or self._skip[0] == "head"):
            # The page title sits in <head>, which is otherwise skipped; an <svg>'s is not it.
            self._in_title = True
            return
        if tag == "body" and self._skip and self._skip[0] == "head":
            self._skip = []  # a <head> left open ends where the body begins
        if self._skip:
            if tag == self._skip[0] and tag not in _HTML_VOID:
                self._skip[1] += 1
            return
        values = dict(attrs)
        if (tag in _HTML_SKIP or (tag in _HTML_CHROME and not self._sectioning)
                or "hidden" in values or values.get("aria-hidden") == "true"
                or (values.get("role") or "") in _HTML_SKIP_ROLES
                or _HIDDEN_STYLE_RE.search(values.get("style") or "")):
            if tag not in _HTML_VOID:
                self._skip = [tag, 1]
            return
        if tag in _HTML_SECTIONING:
            self._sectioning += 1
        self._structure(tag, start=True)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip:
            self._structure(tag, start=True)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            return
        if self._skip:
            if tag == self._skip[0]:
                self._skip[1] -= 1
                if self._skip[1] == 0:
                    self._skip = []
            return
        if tag in _HTML_SECTIONING:
            self._sectioning = max(self._sectioning - 1, 0)
        self._structure(tag, start=False)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        elif self._skip:
            return
        elif self._cell is not None:
            self._cell.append(data)
        else:
            self._buffer.append(data)

    def _structure(self, tag: str, start: bool) -> None:
        if tag == "table":
            self._table(start)
        elif self._table_depth == 1 and tag in ("tr", "td", "th"):
            self._table_part(tag, start)
        elif self._cell is not None:
            self._cell.append(" ")
        elif tag == "br" and (self._heading or self._list_depth):
            self._buffer.append(" ")
        elif tag in _HTML_BLOCK or tag in _HTML_HEADINGS:
            self.flush()
            if tag in _HTML_HEADINGS:
                self._heading = _HTML_HEADINGS[tag] if start else 0
            elif tag == "li":
                self._list_depth += 1 if start else -1
                self._list_depth = max(self._list_depth, 0)

    def _table(self, start: bool) -> None:
        if self._cell is not None and (self._table_depth > 1 or start):
            self._cell.append(" ")
        if start:
            self._table_depth += 1
            if self._table_depth == 1:
                self.flush()
                self._rows, self._header_row = [], []
            return
        self._table_depth = max(self._table_depth - 1, 0)
        if self._table_depth == 0:
            self._end_row()
            header = bool(self._header_row and self._header_row[0]) or None
            self.blocks.extend(_table_blocks(self._rows, header))
            self._rows, self._header_row = [], []

    def _table_part(self, tag: str, start: bool) -> None:
        if tag == "tr":
            self._end_row()
            if start:
                self._row, self._row_all_th = [], True
            return
        if self._row is None:
            self._row, self._row_all_th = [], True
        if start:
            self._end_cell()
            self._cell = []
            self._row_all_th = self._row_all_th and tag == "th"
        else:
            self._end_cell()

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(clean_text("".join(self._cell)))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row:
            self._rows.append((1, self._row))
            self._header_row.append(self._row_all_th)
        self._row = None

    def flush(self) -> None:
        text = clean_text("".join(self._buffer))
        self._buffer = []
        if not text:
            return
        if self._heading:
            self.blocks.append(TextBlock(1, text, HEADING, self._heading))
        else:
            self.blocks.append(TextBlock(1, text, LIST_ITEM if self._list_depth else TEXT))


def _html_charset(data: bytes) -> str | None:
    import codecs

    match = _CHARSET_RE.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", errors="ignore").lower()
    # Browsers read a Latin-1 declaration as Windows-1252 (the HTML standard says so).
    if name in ("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"):
        return "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode_html(data: bytes) -> str:
    """A BOM, else valid UTF-8, else the declared charset, else as plain text.

    Valid UTF-8 wins over a declaration because pages are often re-saved as
    UTF-8 with the old meta tag left in; other bytes are rarely valid UTF-8.
    """
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return _decode_text(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    charset = _html_charset(data)
    if charset:
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            pass
    return _decode_text(data)


def _read_html(path: Path, limits: Limits) -> _Raw:
    text = _decode_html(path.read_bytes())
    _check_chars(path, len(text), limits)
    parser = _HtmlBlocks()
    parser.feed(text)
    parser.close()
    parser.flush()
    blocks = parser.blocks
    title = clean_text("".join(parser.title))
    return _Raw(blocks, _page_chars(blocks, 1), _title_from_blocks(title, blocks))


