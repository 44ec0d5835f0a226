"""Read an MRP document (PDF, DOCX, HTML, TXT) into ordered text blocks with page numbers.

Each reader yields the same thing: blocks in reading order, each a heading, a
run of text, a list item or a table row, with the page it starts on. Running
headers and footers, page numbers, navigation and other page furniture are left
out; `segment.py` turns the blocks into the paragraphs that are classified.

PDF layout is rebuilt from pdfium's text objects (one per text-showing
operator, so a handful of calls per line rather than per character): objects on
one baseline become lines, a vertical gutter that content order confirms splits
columns, vertical gaps, indentation and font changes split paragraphs.
"""

from __future__ import annotations

import ctypes
import logging
import math
import re
import statistics
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from itertools import count, pairwise
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".pdf", ".docx", ".html", ".htm", ".txt"})

HEADING = "heading"
TEXT = "text"
LIST_ITEM = "list_item"
TABLE_ROW = "table_row"

# A page with fewer visible characters than this (after headers and footers are
# removed) counts as empty: a scanned page often carries only a stamped page number.
EMPTY_PAGE_CHARS = 10
# Characters of running text in `title_text` for formats without real pages.
TITLE_CHARS = 5000
TITLE_PAGES = 2


@dataclass(frozen=True)
class TextBlock:
    page: int  # 1-based; DOCX: estimated from page breaks; HTML: 1; TXT: form feeds
    text: str
    kind: str  # "heading" | "text" | "list_item" | "table_row"
    level: int = 0  # heading level (1 = top) for headings, else 0
    cells: tuple[str, ...] = ()  # table rows: the cell texts, without header labels


@dataclass(frozen=True)
class ExtractionHealth:
    pages: int
    chars_per_page: float
    empty_pages: int
    flag: str | None  # None when healthy, else a short reason


@dataclass(frozen=True)
class ExtractedDocument:
    path: Path
    format: str  # "pdf" | "docx" | "html" | "txt"
    blocks: list[TextBlock]
    health: ExtractionHealth
    title_text: str  # metadata title + the first pages' lines (municipality and year detection)


@dataclass(frozen=True)
class Limits:
    """Safety limits; exceeding one raises a DocumentError.

    ``max_file_bytes`` also bounds the summed decompressed size of a DOCX, which
    python-docx loads into memory whole.
    """

    max_pages: int = 2000
    max_chars: int = 20_000_000
    max_docx_part_bytes: int = 200_000_000
    max_file_bytes: int = 500_000_000


class DocumentError(MrpError):
    """A document that cannot be read; the message names the file, the reason and the fix."""

    def __init__(self, path: Path, reason: str, fix: str) -> None:
        super().__init__(f"{path}: {reason} — {fix}")
        self.path = path
        self.reason = reason


def read_document(path: Path, limits: Limits = Limits()) -> ExtractedDocument:
    """Read one document into blocks; raise DocumentError when it cannot be used."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            path, f"unsupported file type '{suffix or '(none)'}'",
            "convert it to PDF, DOCX, HTML or TXT",
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError(path, "file not found", "check the path") from None
    if not path.is_file():
        raise DocumentError(path, "not a file", "give the path of a document")
    if size == 0:
        raise DocumentError(path, "empty file (0 bytes)", "download or export it again")
    if size > limits.max_file_bytes:
        raise DocumentError(
            path, f"file is {_mb(size)}, over the limit of {_mb(limits.max_file_bytes)}",
            "split the document into smaller parts",
        )
    reader = {".pdf": _read_pdf, ".docx": _read_docx, ".html": _read_html, ".htm": _read_html,
              ".txt": _read_txt}[suffix]
    try:
        raw = reader(path, limits)
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})",
                            "check that the file is readable") from None
    if not any(block.text for block in raw.blocks):
        raise DocumentError(path, "no text found", "check that the file holds the plan's text")
    health = _health(raw)
    if health.flag:
        log.warning("%s: %s", path, health.flag)
    fmt = "html" if suffix == ".htm" else suffix[1:]
    return ExtractedDocument(path, fmt, raw.blocks, health, raw.title_text)


@dataclass
class _Raw:
    """What a reader returns: blocks, characters per page, and the title text."""

    blocks: list[TextBlock]
    page_chars: list[int]
    title_text: str


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.0f} MB" if n >= 1_000_000 else f"{n:,} bytes"


# ---------------------------------------------------------------------------
# Shared text handling

_WS_RE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_HYPHENS = "-\u00ad\u2010\u2011"
_SENTENCE_END = ".!?:;"
# After a line-end hyphen these words mean the hyphen is a real one ("vård- och omsorg").
_CONJUNCTIONS = frozenset({"och", "eller", "samt", "respektive", "resp.", "till"})
_LETTER_RUN_BEFORE_HYPHEN = re.compile(r"([^\W\d_]+)[-\u00ad\u2010\u2011]$")
# Bullet glyphs (with the private-use ones Word's Symbol and Wingdings bullets
# come out as), "1." / "1)" and "a)".
_MARKER = (r"(?:[\u2022\u25cf\u25aa\u25a0\u25e6\u25cb\u00b7\u2023\u2043\u2219*\-\u2013\u2014"
           r"\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0a8]|\d{1,2}[.)]|[a-zA-Z][)])")
_BULLET_RE = re.compile(rf"^{_MARKER}\s+(?=\S)")
# A bullet or a heading number ("3.2") standing apart from its text, a tab stop away.
_LABEL_ONLY_RE = re.compile(rf"^(?:{_MARKER}|\d{{1,2}}(?:\.\d{{1,2}})*\.?)$")
_NUMBERED_HEADING_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,4})\.?\s+[^\W\d_]")
_MULTI_LEVEL_NUMBER_RE = re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,4}\.?\s+[^\W\d_]")
_NUMBER_CELL_RE = re.compile(
    r"^[-+\u2212\u2013(]?\s*\d[\d\s\u00a0]*(?:[.,]\d+)?\s*\)?\s*"
    r"(?:%|procent|mnkr|mkr|tkr|kr|st|år)?$",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"^(?:19|20)\d\d$")


def clean_text(text: str) -> str:
    """NFKC (ligatures, non-breaking spaces), no soft hyphens or zero-width marks, one space."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _WS_RE.sub(" ", text).strip()


def join_lines(first: str, second: str) -> str:
    """Join two lines of one paragraph, undoing end-of-line hyphenation.

    "digitali-" + "seringen" → "digitaliseringen", but "e-" + "tjänster" →
    "e-tjänster", "IT-" + "stöd" → "IT-stöd" and "vård-" + "och omsorg" →
    "vård- och omsorg": the hyphen is dropped only after a lower-case letter run
    of three or more letters when the next line goes on in lower case.
    """
    first, second = first.rstrip(), second.lstrip()
    if not first or not second:
        return first or second
    if first[-1] == "\u00ad":
        return first[:-1] + second
    if first[-1] not in _HYPHENS:
        return f"{first} {second}"
    fragment = _LETTER_RUN_BEFORE_HYPHEN.search(first)
    if fragment is None:
        # "2024-" + "2026" stays "2024-2026"; a dash after a space separates words.
        return f"{first} {second}" if first[-2:-1].isspace() else first + second
    next_word = second.split(None, 1)[0].lower()
    if next_word in _CONJUNCTIONS:
        return f"{first} {second}"
    letters = fragment.group(1)
    if second[0].islower() and len(letters) > 2 and not letters.isupper():
        return first[:-1] + second
    return first + second


def strip_bullet(text: str) -> str:
    """Drop a bullet glyph; keep a number or letter ("1.", "a)"), which carries order."""
    match = _BULLET_RE.match(text)
    if match and not text[0].isalnum():
        return text[match.end():]
    return text


def _heading_number_depth(text: str) -> int:
    match = _NUMBERED_HEADING_RE.match(text)
    return match.group(1).count(".") + 1 if match else 0


def _is_number_cell(cell: str) -> bool:
    return bool(_NUMBER_CELL_RE.match(cell.strip()))


def looks_like_header(cells: Sequence[str]) -> bool:
    """A table header row: short labels ("Mål", "Indikator", "Budget 2025"), no figures."""
    filled = [cell for cell in cells if cell]
    if len(filled) < 2:
        return False
    for cell in filled:
        words = cell.split()
        if len(words) > 4 or len(cell) > 40 or cell.endswith("."):
            return False
        if any(_is_number_cell(word) and not _YEAR_RE.match(word) for word in words):
            return False
    return any(any(ch.isalpha() for ch in cell) for cell in filled)


def format_row(cells: Sequence[str], header: Sequence[str] | None) -> str:
    """One table row as text: "Mål: … | Indikator: … | Målvärde: …" when the header fits."""
    if header and len(header) == len(cells):
        parts = [f"{name}: {cell}" if name else cell
                 for name, cell in zip(header, cells, strict=True) if cell]
    else:
        parts = [cell for cell in cells if cell]
    return " | ".join(parts)


def _table_blocks(rows: Sequence[tuple[int, list[str]]], header: bool | None) -> list[TextBlock]:
    """Blocks for one table; `header` True/False when the format says so, None to guess.

    The header row becomes the labels of the following rows instead of a block;
    a header repeated on a later page is dropped.
    """
    rows = [(page, cells) for page, cells in rows if any(cells)]
    if not rows:
        return []
    names: tuple[str, ...] | None = None
    first_cells = rows[0][1]
    if header or (header is None and len(rows) > 1 and looks_like_header(first_cells)):
        names = tuple(first_cells)
        rows = rows[1:]
    blocks = []
    for page, cells in rows:
        if names is not None and tuple(cells) == names:
            continue
        blocks.append(TextBlock(page, format_row(cells, names), TABLE_ROW, 0, tuple(cells)))
    return blocks


def _implicit_level(explicit_level: int) -> int:
    """Level for a heading known only by its look: one below the last styled heading."""
    return min(explicit_level + 1, 6)


def _decode_text(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252, else Latin-1: never mojibake."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # Five byte values are undefined in Windows-1252; Latin-1 maps every byte.
        return data.decode("latin-1")


def _check_chars(path: Path, total: int, limits: Limits) -> None:
    if total > limits.max_chars:
        raise DocumentError(
            path, f"more than {limits.max_chars:,} characters of text",
            "split the document into smaller parts",
        )


def _check_pages(path: Path, pages: int, limits: Limits) -> None:
    if pages > limits.max_pages:
        raise DocumentError(
            path, f"{pages:,} pages, over the limit of {limits.max_pages:,}",
            "split the document into smaller parts",
        )


# Swedish function words make up about a third of running text; a text layer
# built from a font without a usable character map has almost none of them.
_SWEDISH_COMMON = frozenset({
    "och", "att", "i", "som", "för", "av", "på", "med", "en", "ett", "det", "till", "är", "ska",
    "de", "har", "inom", "den", "om", "kommunen", "under", "kommer", "samt", "även", "vid", "kan",
})
_GARBLED_MIN_WORDS = 200
_GARBLED_MAX_SHARE = 0.05


def _health(raw: _Raw) -> ExtractionHealth:
    pages = max(len(raw.page_chars), 1)
    total = sum(raw.page_chars)
    empty = sum(1 for chars in raw.page_chars if chars < EMPTY_PAGE_CHARS)
    flag = None
    if empty * 2 > pages:
        flag = (f"{empty} of {pages} pages have no text — scanned pages? "
                "run OCR (e.g. ocrmypdf --skip-text)")
    else:
        words = [word.strip(".,:;()!?\"'").lower() for block in raw.blocks
                 if block.kind in (TEXT, LIST_ITEM) for word in block.text.split()]
        if len(words) >= _GARBLED_MIN_WORDS:
            share = sum(1 for w in words if w in _SWEDISH_COMMON) / len(words)
            if share < _GARBLED_MAX_SHARE:
                flag = (f"text looks garbled (only {share:.0%} common Swedish words) — "
                        "run OCR (e.g. ocrmypdf --force-ocr)")
    return ExtractionHealth(len(raw.page_chars), total / pages, empty, flag)


def _page_chars(blocks: Sequence[TextBlock], pages: int) -> list[int]:
    counts = [0] * pages
    for block in blocks:
        counts[block.page - 1] += _visible_chars(block.text)
    return counts


def _visible_chars(text: str) -> int:
    """Characters other than spaces in cleaned text (which has no other whitespace)."""
    return len(text) - text.count(" ")


def _title_from_blocks(meta_title: str, blocks: Sequence[TextBlock]) -> str:
    lines = [meta_title] if meta_title else []
    used = 0
    for block in blocks:
        if used >= TITLE_CHARS:
            break
        lines.append(block.text)
        used += len(block.text)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# PDF

# Fragments on one baseline closer than this (in font sizes) are one run of
# text; wider gaps separate table cells or columns.
CELL_GAP_EM = 1.0
# A gap wider than this (in font sizes) between two fragments gets a space.
SPACE_GAP_EM = 0.15
# Justified text drawn word by word: at least this many words, gaps within this spread.
JUSTIFIED_MIN_WORDS = 4
JUSTIFIED_GAP_SPREAD_EM = 0.4
# Running headers and footers live in these top and bottom shares of the page.
FURNITURE_BAND = 0.12
MIN_SPLIT_WIDTH_PT = 200.0
MAX_COLUMN_DEPTH = 3
HEADING_SIZE_RATIO = 1.15
MAX_HEADING_WORDS = 20
_FORCE_BOLD_FLAG = 1 << 18
_BOLD_NAME_RE = re.compile(r"bold|black|heavy|semibold|demibold|extrabold|fett", re.IGNORECASE)
_PAGE_NUMBER_RE = re.compile(
    r"^(?:(?:sida|sid\.?|s\.|page)\s*)?\d{1,4}(?:\s*(?:\(|av|/|of)\s*\d{1,4}\s*\)?)?$",
    re.IGNORECASE,
)
_MAX_FORM_DEPTH = 8
_TEXT_OBJECT = 1
_FORM_OBJECT = 5

_Matrix = tuple[float, float, float, float, float, float]


@dataclass(slots=True)
class _Frag:
    """A run of text on one baseline: a text object, or several merged."""

    x0: float
    x1: float
    base: float
    size: float
    bold: bool
    text: str
    order: int  # position in the content stream: generators write columns one after another


@dataclass(slots=True)
class _Line:
    cells: list[_Frag]  # left to right; more than one for a table row
    region: int
    left: float  # bounds of the column the line is in
    right: float

    @property
    def x0(self) -> float:
        return self.cells[0].x0

    @property
    def x1(self) -> float:
        return self.cells[-1].x1

    @property
    def base(self) -> float:
        return self.cells[0].base

    @property
    def size(self) -> float:
        return max(self.cells, key=lambda c: len(c.text)).size

    @property
    def bold(self) -> bool:
        return all(cell.bold for cell in self.cells)

    @property
    def text(self) -> str:
        return " ".join(cell.text for cell in self.cells)


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    """The matrix that applies `inner`, then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    oa, ob, oc, od, oe, of = outer
    return (a * oa + b * oc, a * ob + b * od, c * oa + d * oc, c * ob + d * od,
            e * oa + f * oc + oe, e * ob + f * od + of)


def _apply(m: _Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def _display_matrix(rotation: int, box: tuple[float, float, float, float]) -> _Matrix:
    """User space → displayed page (origin bottom left), honouring /Rotate."""
    x0, y0, x1, y1 = box
    if rotation == 90:
        return (0.0, -1.0, 1.0, 0.0, -y0, x1)
    if rotation == 180:
        return (-1.0, 0.0, 0.0, -1.0, x1, y1)
    if rotation == 270:
        return (0.0, 1.0, -1.0, 0.0, y1, -x0)
    return (1.0, 0.0, 0.0, 1.0, -x0, -y0)


class _PdfTextReader:
    """Text objects of one PDF page, in content order, in display coordinates."""

    def __init__(self) -> None:
        import pypdfium2.raw as pdfium_c

        self._c = pdfium_c
        self._bounds = [ctypes.c_float() for _ in range(4)]
        self._matrix = pdfium_c.FS_MATRIX()
        self._size = ctypes.c_float()
        self._buffer, self._pointer = self._new_buffer(1 << 14)
        self._bold_by_font: dict[int | None, bool] = {}

    def _new_buffer(self, size: int) -> tuple[Any, Any]:
        buffer = ctypes.create_string_buffer(size)
        return buffer, ctypes.cast(buffer, ctypes.POINTER(self._c.FPDF_WCHAR))

    def fragments(self, page: Any, textpage: Any, root: _Matrix) -> list[_Frag]:
        frags: list[_Frag] = []
        c = self._c
        # Font handles belong to the page and may be reused after it closes.
        self._bold_by_font.clear()
        n_objects = c.FPDFPage_CountObjects(page)
        objects = (c.FPDFPage_GetObject(page, i) for i in range(n_objects))
        self._walk(objects, root, textpage, frags, 0)
        return frags

    def _walk(self, objects: Iterator[Any], outer: _Matrix, textpage: Any,
              frags: list[_Frag], depth: int) -> None:
        c = self._c
        for obj in objects:
            kind = c.FPDFPageObj_GetType(obj)
            if kind == _TEXT_OBJECT:
                frag = self._fragment(obj, outer, textpage, len(frags))
                if frag is not None:
                    frags.append(frag)
            elif kind == _FORM_OBJECT and depth < _MAX_FORM_DEPTH:
                c.FPDFPageObj_GetMatrix(obj, self._matrix)
                m = self._matrix
                inner = _compose((m.a, m.b, m.c, m.d, m.e, m.f), outer)
                n_children = c.FPDFFormObj_CountObjects(obj)
                children = (c.FPDFFormObj_GetObject(obj, i) for i in range(n_children))
                self._walk(children, inner, textpage, frags, depth + 1)

    def _fragment(self, obj: Any, outer: _Matrix, textpage: Any, order: int) -> _Frag | None:
        c = self._c
        c.FPDFPageObj_GetMatrix(obj, self._matrix)
        m = self._matrix
        a, b, cc, d, e, f = _compose((m.a, m.b, m.c, m.d, m.e, m.f), outer)
        if abs(b) > abs(a) * 0.1 or a <= 0:
            # Vertical or upside-down text: margin labels and the like, not running text.
            return None
        text = self._text(obj, textpage)
        if not text.strip():
            return None
        left, bottom, right, top = self._bounds
        c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
        if outer[:4] == (1.0, 0.0, 0.0, 1.0):
            x0, x1 = left.value + outer[4], right.value + outer[4]
        else:
            xs = [_apply(outer, x, y)[0] for x in (left.value, right.value)
                  for y in (bottom.value, top.value)]
            x0, x1 = min(xs), max(xs)
        c.FPDFTextObj_GetFontSize(obj, self._size)
        size = self._size.value * math.sqrt(abs(a * d - b * cc))
        return _Frag(x0, x1, f, size, self._is_bold(obj), text, order)

    def _text(self, obj: Any, textpage: Any) -> str:
        c = self._c
        needed = c.FPDFTextObj_GetText(obj, textpage, self._pointer, len(self._buffer))
        if needed > len(self._buffer):
            self._buffer, self._pointer = self._new_buffer(needed)
            needed = c.FPDFTextObj_GetText(obj, textpage, self._pointer, len(self._buffer))
        # `needed` counts the terminating NUL (two bytes).
        text = ctypes.string_at(self._buffer, max(needed - 2, 0)).decode(
            "utf-16-le", errors="replace")
        # pdfium reports a hyphen that ends a line as U+0002.
        return text.replace("\x02", "-").replace("\r", " ").replace("\n", " ")

    def _is_bold(self, obj: Any) -> bool:
        c = self._c
        font = c.FPDFTextObj_GetFont(obj)
        key = ctypes.cast(font, ctypes.c_void_p).value
        cached = self._bold_by_font.get(key)
        if cached is None:
            name = ctypes.create_string_buffer(256)
            length = c.FPDFFont_GetBaseFontName(font, name, len(name))
            base_name = name.raw[: max(length - 1, 0)].decode("latin-1")
            weight = c.FPDFFont_GetWeight(font)
            cached = (bool(_BOLD_NAME_RE.search(base_name)) or weight >= 600
                      or bool(c.FPDFFont_GetFlags(font) & _FORCE_BOLD_FLAG))
            self._bold_by_font[key] = cached
        return cached


def _group_baselines(items: Sequence[_Frag]) -> list[list[_Frag]]:
    """Items sharing a baseline, top line first, each line left to right."""
    lines: list[list[_Frag]] = []
    current: list[_Frag] = []
    for item in sorted(items, key=lambda f: (-f.base, f.x0)):
        if current and abs(current[0].base - item.base) > 0.35 * min(item.size, current[0].size):
            lines.append(sorted(current, key=lambda f: f.x0))
            current = []
        current.append(item)
    if current:
        lines.append(sorted(current, key=lambda f: f.x0))
    return lines


def _merge_touching(frags: Sequence[_Frag]) -> list[_Frag]:
    """Fragments on one baseline that touch become one segment; wide gaps stay apart."""
    segments: list[_Frag] = []
    for line in _group_baselines(frags):
        line_start = len(segments)
        current: _Frag | None = None
        weight = 0
        for frag in line:
            if current is None:
                current, weight = replace(frag), len(frag.text)
                continue
            gap = frag.x0 - current.x1
            size = max(current.size, frag.size)
            if gap >= CELL_GAP_EM * size:
                segments.append(current)
                current, weight = replace(frag), len(frag.text)
                continue
            spaced = gap > SPACE_GAP_EM * size and not (
                current.text[-1:].isspace() or frag.text[:1].isspace())
            current.text = current.text + (" " if spaced else "") + frag.text
            current.x1 = max(current.x1, frag.x1)
            current.bold = current.bold and frag.bold
            current.order = min(current.order, frag.order)
            if len(frag.text) > weight:
                current.size, weight = frag.size, len(frag.text)
        if current is not None:
            segments.append(current)
        if _justified(segments[line_start:]):
            joined = segments[line_start]
            for piece in segments[line_start + 1:]:
                joined.text = f"{joined.text} {piece.text}"
                joined.x1 = max(joined.x1, piece.x1)
                joined.bold = joined.bold and piece.bold
            del segments[line_start + 1:]
    for segment in segments:
        segment.text = clean_text(segment.text)
    return [segment for segment in segments if segment.text]


def _justified(line: Sequence[_Frag]) -> bool:
    """Words of a justified line set one by one: four or more single words, mostly letters,
    spaced alike — a table row's cells are neither all single words nor evenly spaced."""
    if len(line) < JUSTIFIED_MIN_WORDS:
        return False
    if any(" " in piece.text.strip() for piece in line):
        return False
    if sum(any(ch.isalpha() for ch in piece.text) for piece in line) < 0.75 * len(line):
        return False
    gaps = [b.x0 - a.x1 for a, b in pairwise(line)]
    size = max(piece.size for piece in line)
    return max(gaps) - min(gaps) <= JUSTIFIED_GAP_SPREAD_EM * size


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower())


def _remove_furniture(pages: list[list[_Frag]], heights: list[float]) -> list[list[str]]:
    """Drop running headers, footers and page numbers, in place; return their lines per page.

    Furniture is what sits at the top or bottom edge of a page, no larger than
    body text, and either recurs on several pages (digits aside: "Sida 3 av 40")
    or is a bare page number. Reading inward from each edge stops at the first
    line that is not furniture, so a chapter heading or text at the top of a
    page is never taken for a running header.
    """
    body = _body_size(segment for segments in pages for segment in segments)
    edges: list[list[tuple[tuple[str, str], list[_Frag]]]] = []
    counts: Counter[tuple[str, str]] = Counter()
    for segments, height in zip(pages, heights, strict=True):
        lines = _group_baselines(segments)
        top = [(("top", _furniture_key(_text_of(line))), line) for line in lines
               if line[0].base > height * (1 - FURNITURE_BAND)]
        bottom = [(("bottom", _furniture_key(_text_of(line))), line) for line in reversed(lines)
                  if line[0].base < height * FURNITURE_BAND]
        edges.append(top + bottom)
        counts.update({key for key, _ in top + bottom})
    min_repeats = 2 if len(pages) <= 3 else 3
    removed: list[list[str]] = []
    for segments, entries in zip(pages, edges, strict=True):
        drop: set[int] = set()
        texts = []
        stopped: set[str] = set()
        for key, line in entries:
            band = key[0]
            if band in stopped:
                continue
            text = _text_of(line)
            small = max(segment.size for segment in line) <= body * 1.1
            if small and (counts[key] >= min_repeats or _PAGE_NUMBER_RE.match(text)):
                drop.update(id(segment) for segment in line)
                texts.append(text)
            else:
                stopped.add(band)
        if drop:
            segments[:] = [s for s in segments if id(s) not in drop]
        removed.append(texts)
    return removed


def _text_of(line: Sequence[_Frag]) -> str:
    return " ".join(segment.text for segment in line)


def _body_size(frags: Iterable[_Frag]) -> float:
    """The font size that most characters are set in."""
    sizes: Counter[float] = Counter()
    for frag in frags:
        sizes[round(frag.size * 2) / 2] += len(frag.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _find_gutter(segments: Sequence[_Frag]) -> float | None:
    """x of a column gutter in this region, or None.

    The gutter is the widest vertical strip in the middle of the region that
    the fewest segments cross (full-width headings may cross it). It counts
    only when some stretch of the page really has columns there (`_bands`).
    """
    x_min = min(s.x0 for s in segments)
    x_max = max(s.x1 for s in segments)
    width = x_max - x_min
    if width < MIN_SPLIT_WIDTH_PT:
        return None
    n = int(width) + 2
    delta = np.zeros(n + 1, dtype=np.int32)
    np.add.at(delta, np.array([int(s.x0 - x_min) for s in segments]), 1)
    np.add.at(delta, np.array([math.ceil(s.x1 - x_min) + 1 for s in segments]), -1)
    coverage = np.cumsum(delta)[:n]
    lo, hi = int(width * 0.2), int(width * 0.8)
    window = coverage[lo:hi]
    low = window == window.min()
    edges = np.flatnonzero(np.diff(np.concatenate(([0], low.astype(np.int8), [0]))))
    starts, ends = edges[0::2], edges[1::2]
    best = int(np.argmax(ends - starts))
    gutter = float(x_min + lo + (starts[best] + ends[best]) / 2)
    return gutter if any(split for split, _ in _bands(segments, gutter)) else None


def _crosses(segment: _Frag, gutter: float) -> bool:
    return segment.x0 < gutter < segment.x1


def _is_columns(run: Sequence[_Frag], gutter: float) -> bool:
    """Text on both sides of the gutter, read one side after the other.

    Generators write a column at a time, but a table row by row: when the
    content stream keeps switching sides, the run is a table, not columns.
    """
    left = [s for s in run if s.x1 <= gutter]
    right = [s for s in run if s.x1 > gutter]
    for side in (left, right):
        if len({round(s.base) for s in side}) < 2 or sum(len(s.text) for s in side) < 30:
            return False
    sides = [s.x1 <= gutter for s in sorted(run, key=lambda s: s.order)]
    switches = sum(1 for a, b in pairwise(sides) if a != b)
    # One switch between the columns, one more for a short heading over them that
    # was written first; a two-row table already switches three times.
    return switches <= 2 + 0.1 * len(sides)


def _bands(segments: Sequence[_Frag], gutter: float) -> list[tuple[bool, list[_Frag]]]:
    """Top-down stretches of the region, each (has columns, segments).

    Segments crossing the gutter (full-width text) separate the stretches; a
    stretch without columns, such as the short last line of a full-width
    paragraph or a table, joins the full-width flow around it.
    """
    runs: list[list[_Frag]] = []
    for segment in sorted(segments, key=lambda s: -s.base):
        if runs and _crosses(runs[-1][0], gutter) == _crosses(segment, gutter):
            runs[-1].append(segment)
        else:
            runs.append([segment])
    bands: list[tuple[bool, list[_Frag]]] = []
    for run in runs:
        split = not _crosses(run[0], gutter) and _is_columns(run, gutter)
        pieces = _split_tail(run, gutter) if split else [(False, run)]
        for piece_split, piece in pieces:
            if bands and not piece_split and not bands[-1][0]:
                bands[-1][1].extend(piece)
            else:
                bands.append((piece_split, piece))
    return bands


def _split_tail(run: list[_Frag], gutter: float) -> list[tuple[bool, list[_Frag]]]:
    """Columns, then what was written below both of them after both were done.

    A short paragraph right under the columns (a lead-in to a full-width list)
    would otherwise read as the end of a column. Only text written after the
    other column, on the side written first, and lower than the other column,
    counts: the tail of a column that is simply longer is written before.
    """
    left = [s for s in run if s.x1 <= gutter]
    right = [s for s in run if s.x1 > gutter]
    # The median, not the first segment: a heading over the columns may come first.
    first_left = statistics.median(s.order for s in left) < statistics.median(
        s.order for s in right)
    other = right if first_left else left
    other_bottom = min(s.base for s in other)
    last_other = max(s.order for s in other)
    tail = [s for s in (left if first_left else right)
            if s.order > last_other and s.base < other_bottom]
    if not tail:
        return [(True, run)]
    taken = {id(s) for s in tail}
    return [(True, [s for s in run if id(s) not in taken]), (False, tail)]


def _order_region(segments: Sequence[_Frag], regions: Iterator[int] | None = None,
                  depth: int = 0) -> list[_Line]:
    """Lines of a region in reading order: each column top to bottom, left column first.

    Each line carries the id of the column it is in; `regions` hands out the ids.
    """
    regions = regions if regions is not None else count()
    if not segments:
        return []
    gutter = _find_gutter(segments) if depth < MAX_COLUMN_DEPTH else None
    if gutter is None:
        region = next(regions)
        left = min(s.x0 for s in segments)
        right = max(s.x1 for s in segments)
        return [_Line(line, region, left, right) for line in _group_baselines(segments)]
    lines: list[_Line] = []
    for split, band in _bands(segments, gutter):
        parts = ([s for s in band if s.x1 <= gutter], [s for s in band if s.x1 > gutter]) if (
            split) else (band,)
        for part in parts:
            lines.extend(_order_region(part, regions, depth + 1))
    return lines


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
        raise DocumentError(path, "not a readable PDF (corrupt or truncated)",
                            "download or export it again") from None
    try:
        meta_title = clean_text(pdf.get_metadata_value("Title") or "")
        page_segments, heights = _pdf_segments(path, pdf, limits)
    finally:
        pdf.close()
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
    if all(chars < EMPTY_PAGE_CHARS for chars in page_chars):
        raise DocumentError(path, "no text layer", "run OCR first (e.g. ocrmypdf)")
    blocks = _pdf_to_text_blocks(_merge_across_breaks(pdf_blocks))
    return _Raw(blocks, page_chars, "\n".join(title_lines))


# ---------------------------------------------------------------------------
# DOCX

_DOCX_HEADING_STYLE_RE = re.compile(r"^(?:heading|rubrik)\s*([1-9])$", re.IGNORECASE)
_DOCX_TITLE_STYLES = frozenset({"title", "rubrik"})
_DOCX_LIST_STYLE_RE = re.compile(r"list|lista|punkt|numrer", re.IGNORECASE)
_DOCX_TOC_STYLE_RE = re.compile(r"^(?:toc|innehållsförteckning|innehåll)\b", re.IGNORECASE)
_DOCX_BOLD_HEADING_MAX_WORDS = 15


def _unreadable_docx(path: Path) -> DocumentError:
    return DocumentError(path, "not a readable DOCX (corrupt, or not a Word file)",
                         "open it in Word or LibreOffice and save it as .docx again")


def _check_docx_zip(path: Path, limits: Limits) -> None:
    """Refuse a DOCX whose parts declare more decompressed bytes than the limits allow.

    Python's zipfile never inflates a member past its declared size, so
    checking the declarations first bounds what python-docx can decompress.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise _unreadable_docx(path) from None
    for member in members:
        if member.file_size > limits.max_docx_part_bytes:
            raise DocumentError(
                path, f"DOCX part '{member.filename}' would decompress to "
                f"{_mb(member.file_size)}, over the limit of {_mb(limits.max_docx_part_bytes)}",
                "the file may be a zip bomb; if it is genuine, save it again from Word",
            )
    total = sum(member.file_size for member in members)
    if total > limits.max_file_bytes:
        raise DocumentError(
            path, f"DOCX would decompress to {_mb(total)}, over the limit of "
            f"{_mb(limits.max_file_bytes)}",
            "the file may be a zip bomb; if it is genuine, split the document",
        )


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


# ---------------------------------------------------------------------------
# HTML

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


# ---------------------------------------------------------------------------
# TXT

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
    text = _decode_text(path.read_bytes())
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
