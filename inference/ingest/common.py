"""What every reader shares: blocks, limits, errors, text clean-up, tables, health.

Read an MRP document (PDF, DOCX, HTML, TXT) into ordered text blocks with page numbers.

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

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    ocr: bool = False  # read by OCR from a page without a text layer


@dataclass(frozen=True)
class ExtractionHealth:
    pages: int
    chars_per_page: float
    empty_pages: int
    flag: str | None  # None when healthy, else a short reason
    ocr_confidence: tuple[tuple[int, float], ...] = ()  # (page, Tesseract's mean confidence)


@dataclass(frozen=True)
class ExtractedDocument:
    path: Path
    format: str  # "pdf" | "docx" | "html" | "txt"
    blocks: list[TextBlock]
    health: ExtractionHealth
    title_text: str  # metadata title + the first pages' lines (municipality and year detection)


@dataclass(frozen=True)
class Limits:
    """Safety limits; exceeding one of the first four raises a DocumentError.

    ``max_file_bytes`` also bounds the summed decompressed size of a DOCX, which
    python-docx loads into memory whole.
    """

    max_pages: int = 2000
    max_chars: int = 20_000_000
    max_docx_part_bytes: int = 200_000_000
    max_file_bytes: int = 500_000_000
    # Bounds on the model's work per document: a longer unit is cut into pieces of at most
    # this many characters (about 20 windows of the model), and units past the count are
    # not classified; documents.csv says so in its `overflow` column.
    max_unit_chars: int = 20_000
    max_units: int = 50_000
    max_classified_chars: int = 3_000_000  # about 3,000 windows: a few minutes of model time
    # Read PDF pages without a text layer with Tesseract (ocr.py) instead of failing.
    ocr: bool = False


class DocumentError(MrpError):
    """A document that cannot be read; the message names the file, the reason and the fix."""

    def __init__(self, path: Path, reason: str, fix: str) -> None:
        super().__init__(f"{path}: {reason} — {fix}")
        self.path = path
        self.reason = reason




@dataclass
class _Raw:
    """What a reader returns: blocks, characters per page, and the title text."""

    blocks: list[TextBlock]
    page_chars: list[int]
    title_text: str
    ocr_pages: dict[int, float] = field(default_factory=dict)  # page → OCR confidence


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


# Controls other than tab, line feed, form feed and carriage return, and replacement
# characters: a share above this is binary data, not text.
_BINARY_SHARE = 0.01
_BINARY_MIN_CHARS = 16
_TEXT_CONTROLS = frozenset("\t\n\f\r")


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' / 'utf-32-le' / 'utf-32-be' when the NUL bytes fall where a
    BOM-less UTF-16 or UTF-32 text of mostly Latin script puts them, else None."""
    sample = data[:65536]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    quads = len(sample) // 4
    zeros = b"\x00\x00\x00"
    if sum(sample[4 * i + 1:4 * i + 4] == zeros for i in range(quads)) > 0.6 * quads:
        return "utf-32-le"
    if sum(sample[4 * i:4 * i + 3] == zeros for i in range(quads)) > 0.6 * quads:
        return "utf-32-be"
    pairs = len(sample) // 2
    odd = sum(sample[i] == 0 for i in range(1, 2 * pairs, 2))
    even = sum(sample[i] == 0 for i in range(0, 2 * pairs, 2))
    if odd > 0.6 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > 0.6 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _decode_text(data: bytes, path: Path | None = None) -> str:
    """UTF-8 (BOM or not), UTF-16/32 with or without BOM, else Windows-1252, else Latin-1:
    never mojibake. Binary data (many control characters) is an error, not a plan."""
    text: str | None = None
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"),
                       (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            break
    if text is None:
        wide = _utf16_without_bom(data)
        if wide is not None:
            text = data.decode(wide, errors="replace")
    if text is None:
        for codec in ("utf-8", "cp1252", "latin-1"):
            # Five byte values are undefined in Windows-1252; Latin-1 maps every byte.
            try:
                text = data.decode(codec)
                break
            except UnicodeDecodeError:
                continue
    assert text is not None
    sample = text[:200_000]
    odd = sum(1 for ch in sample if (ord(ch) < 32 and ch not in _TEXT_CONTROLS)
              or 127 <= ord(ch) < 160 or ch == "\ufffd")
    if path is not None and odd >= _BINARY_MIN_CHARS and odd > _BINARY_SHARE * len(sample):
        raise DocumentError(path, f"binary data, not text ({odd / len(sample):.0%} control "
                            "characters)", "give the plan as text, PDF, DOCX or HTML")
    return text


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
    return ExtractionHealth(len(raw.page_chars), total / pages, empty, flag,
                            tuple(sorted(raw.ocr_pages.items())))


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


