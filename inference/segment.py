"""Turn a document's text blocks into the paragraphs that are classified.

The unit follows the labelling guide: running text, one bullet-list item
together with its lead-in sentence, or one row of a goal table. Headings become the
heading path of the paragraphs under them; headings and budget rows that hold
only figures are kept for context but not sent to the model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mrp_classify.inference.ingest import (
    HEADING,
    LIST_ITEM,
    TABLE_ROW,
    ExtractedDocument,
    TextBlock,
)

KIND_TEXT = "text"
KIND_LIST = "list"
KIND_TABLE_GOAL = "table_goal"
KIND_TABLE_NUMERIC = "table_numeric"
KIND_HEADING = "heading"

# A preceding paragraph is a list's lead-in when it ends in a colon or is short.
LEAD_IN_MAX_WORDS = 40
# A heading this long states something ("Mål 2: Fler invånare ska använda
# e-tjänster") and is classified; shorter ones only name a section.
MIN_STATEMENT_HEADING_WORDS = 6

# Only a short label with no goal or digital word makes a row "figures only": a
# goal row with a target ("Fler e-tjänster | 40") or money for a digital aim
# ("E-tjänster bygglov | 5,0") must still reach the model.
MAX_BUDGET_LABEL_WORDS = 6
_GOAL_OR_DIGITAL_RE = re.compile(
    r"\b(?:ska|skall|öka\w*|minska\w*|fler|färre|bättre|högre|lägre|kortare|snabbare|"
    r"andel\w*|nöjd\w*|mål\w*)\b|digital|e-tjänst|e-arkiv|välfärdstekn|bredband|automatis|"
    r"robot|\bai\b|öppna data|självservice",
    re.IGNORECASE,
)

_NUMBER = r"[-+\u2212\u2013(]?\d[\d\u00a0 ]*(?:[.,]\d+)?\)?\s*(?:%|procent|mnkr|mkr|tkr|kr)?"
_NUMBER_RE = re.compile(rf"^{_NUMBER}$", re.IGNORECASE)
_EMPTY_CELLS = frozenset({"", "-", "\u2013", "\u2014", "..", "\u2026", "x"})
# "IT-kostnader 12,4 14,1 15,0": a label without figures, then two or more figures.
_NUMERIC_LINE_RE = re.compile(
    rf"^(?P<label>[^\d]{{0,80}}?)\s*(?P<figures>(?:{_NUMBER}\s+){{1,}}{_NUMBER})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Paragraph:
    page: int
    index: int  # 0-based order in the document
    heading_path: tuple[str, ...]  # enclosing headings, outermost first
    text: str
    kind: str  # "text" | "list" | "table_goal" | "table_numeric" | "heading"
    classify: bool  # False for number-only budget rows and bare headings
    words: int  # the unit's words, a repeated lead-in not counted again
    ocr: bool = False  # read by OCR from a page without a text layer


# A unit longer than this is cut (at a space) into pieces of at most this length.
MAX_UNIT_CHARS = 20_000


def segment(doc: ExtractedDocument, max_unit_chars: int = MAX_UNIT_CHARS) -> list[Paragraph]:
    """Paragraphs of a document in reading order, each with its heading path and page."""
    drafts: list[tuple[int, tuple[str, ...], str, str]] = []  # page, path, text, kind
    ocr: set[int] = set()  # drafts read by OCR
    # A lead-in repeated in each of its items counts once in the document's words.
    repeated_words: dict[int, int] = {}
    path: list[tuple[int, str]] = []
    blocks = doc.blocks
    i = 0
    while i < len(blocks):
        block = blocks[i]
        if block.kind == HEADING:
            while path and path[-1][0] >= block.level:
                path.pop()
            drafts.append((block.page, tuple(text for _, text in path), block.text, KIND_HEADING))
            path.append((block.level, block.text))
            i += 1
            continue
        headings = tuple(text for _, text in path)
        if block.kind == LIST_ITEM:
            end = i
            while end < len(blocks) and blocks[end].kind == LIST_ITEM:
                end += 1
            # Every block before a list made exactly one draft, so drafts[-1] is the
            # block just before it. Each item is a unit of its own, read with its lead-in
            # (labels/GUIDE.md): one digital item among eight must not make, or hide in, a
            # unit of the whole list.
            lead = None
            if drafts and _is_lead_in(drafts[-1], headings):
                lead = drafts.pop()[2]
            for n, item in enumerate(blocks[i:end]):
                text = f"{lead}\n{item.text}" if lead else item.text
                if lead and n:
                    repeated_words[len(drafts)] = len(lead.split())
                drafts.append((item.page, headings, text, KIND_LIST))
            i = end
        else:
            for piece in _pieces(block.text, max_unit_chars):
                if block.ocr:
                    ocr.add(len(drafts))
                drafts.append((block.page, headings, piece, _kind(block)))
            i += 1
    return [
        Paragraph(page, index, headings, text, kind, _classify(kind),
                  len(text.split()) - repeated_words.get(index, 0), index in ocr)
        for index, (page, headings, text, kind) in enumerate(drafts)
    ]


def _pieces(text: str, limit: int) -> list[str]:
    """The text in pieces of at most ``limit`` characters, cut at spaces where possible."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    pieces.append(text)
    return pieces


def _is_lead_in(draft: tuple[int, tuple[str, ...], str, str], headings: tuple[str, ...]) -> bool:
    _, draft_headings, text, kind = draft
    return (kind == KIND_TEXT and draft_headings == headings
            and (text.endswith(":") or len(text.split()) <= LEAD_IN_MAX_WORDS))


def _kind(block: TextBlock) -> str:
    if block.kind == TABLE_ROW:
        return KIND_TABLE_NUMERIC if is_numeric_row(block.cells) else KIND_TABLE_GOAL
    if is_numeric_line(block.text):
        return KIND_TABLE_NUMERIC
    return KIND_TEXT


def _classify(kind: str) -> bool:
    # Headings are none by the specification (labels/GUIDE.md), even one that reads like a
    # goal: they are the context of the units under them, never a unit to classify.
    return kind not in (KIND_TABLE_NUMERIC, KIND_HEADING)


def _budget_label(label: str) -> bool:
    return (len(label.split()) <= MAX_BUDGET_LABEL_WORDS
            and not _GOAL_OR_DIGITAL_RE.search(label))


def is_numeric_row(cells: Sequence[str]) -> bool:
    """Figures only, apart from a budget label: "IT-kostnader | 12,4 | 14,1 | 15,0"."""
    if len(cells) < 2:
        return is_numeric_line(cells[0] if cells else "")
    figures = [cell.strip() for cell in cells[1:] if cell.strip() not in _EMPTY_CELLS]
    return (bool(figures) and all(_NUMBER_RE.match(value) for value in figures)
            and _budget_label(cells[0]))


def is_numeric_line(text: str) -> bool:
    """A budget line flattened to text ("IT-kostnader 12,4 14,1 15,0"), or no letters at all."""
    if not any(ch.isalpha() for ch in text):
        return bool(text.strip())
    match = _NUMERIC_LINE_RE.match(text.strip())
    return match is not None and _budget_label(match.group("label"))
