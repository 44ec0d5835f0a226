"""What every renderer of a plan shares: headings numbered alike, the table of
contents, the furniture a real document adds around the author's blocks, and a
deterministic choice of style per plan."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from mrp_classify.docset.plan import HEADING, Block, Plan

FIXED_DATE = dt.datetime(2024, 11, 20, 9, 0, tzinfo=dt.UTC)

# Characters outside Windows-1252 (the PDF core fonts' encoding) and their stand-ins.
_CP1252_FALLBACK = str.maketrans({
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2264": "<=", "\u2265": ">=", "\u2192": "->",
    "\u2190": "<-", "\u2248": "~", "\u2713": "x", "\u2714": "x", "\u25cf": "\u2022",
    "\u25aa": "\u2022", "\u2023": "\u2022", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    "\u2002": " ", "\u2003": " ", "\u2032": "'", "\u2033": '"', "\u2044": "/", "\u2215": "/",
    "\u00ad": "",
})


def cp1252(text: str) -> str:
    """The text as the PDF core fonts can draw it (unknown characters become '?')."""
    return text.translate(_CP1252_FALLBACK).encode("cp1252", "replace").decode("cp1252")


def choice(plan: Plan, what: str, options: Sequence[str]) -> str:
    """One of ``options``, fixed by the plan's name: a plan always renders the same way,
    different plans differently."""
    digest = hashlib.sha256(f"{plan.name}:{what}".encode()).digest()
    return options[digest[0] % len(options)]


@dataclass(frozen=True)
class Heading:
    block: Block
    number: str  # "2.3", or "" when headings are not numbered by the renderer
    title: str  # the text as printed


def numbered_headings(plan: Plan) -> dict[int, Heading]:
    """Headings by block line, numbered when the layout asks for it and the author did not."""
    number = plan.layout and "numbered-headings" in plan.layout
    counters = [0, 0, 0]
    result = {}
    for block in plan.blocks:
        if block.kind != HEADING:
            continue
        level = block.level
        counters[level - 1] += 1
        for deeper in range(level, 3):
            counters[deeper] = 0
        label = ".".join(str(c) for c in counters[:level])
        already = block.text[:1].isdigit()
        title = f"{label} {block.text}" if number and not already else block.text
        result[block.line] = Heading(block, label if number and not already else "", title)
    return result


def toc_entries(plan: Plan, pages: dict[int, int] | None = None) -> list[tuple[int, str, str]]:
    """(level, title, page) for the contents list: levels 1 and 2, page numbers when known."""
    entries = []
    for heading in numbered_headings(plan).values():
        if heading.block.level > 2:
            continue
        page = str(pages.get(heading.block.line, "")) if pages else ""
        entries.append((heading.block.level, heading.title, page))
    return entries


def cover_lines(plan: Plan) -> list[str]:
    lines = [plan.meta["title"]]
    if plan.meta.get("subtitle"):
        lines.append(plan.meta["subtitle"])
    lines.append(choice(plan, "cover-name", (f"{plan.meta['kommun']} kommun",
                                            f"{plan.meta['kommun']}s kommun",
                                            plan.meta["kommun"])))
    return lines


def running_header(plan: Plan) -> str:
    title = plan.meta["title"]
    return choice(plan, "header", (title, f"{plan.meta['kommun']} – {title}", title[:60]))


def footer_template(plan: Plan) -> str:
    """A page footer with ``{page}`` (and ``{pages}``) for the numbers."""
    return choice(plan, "footer", ("Sida {page} av {pages}", "{page}", "{page} ({pages})",
                                   f"{plan.meta['kommun']} kommun | {{page}}"))
