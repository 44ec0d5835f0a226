"""PDF text layer: pdfium's text objects as positioned fragments, merged into lines,
with running headers and footers removed and columns put in reading order."""

from __future__ import annotations

import ctypes
import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import count, pairwise
from typing import Any

import numpy as np

from mrp_classify.inference.ingest.common import (
    clean_text,
)

log = logging.getLogger(__name__)


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


