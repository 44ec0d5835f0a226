"""The `.plan` source format of the document evaluation set (labels/documents/FORMAT.md).

A plan is a header of ``%% key: value`` lines and one labelled block per line.
Parsing is strict: every problem is reported as ``file:line: reason`` so an
author can fix the source, and a plan whose labels contradict its declared
profile is an error, not a warning.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mrp_classify.errors import MrpError

LABEL_LETTERS = {"N": "none", "I": "internal_efficiency", "C": "citizen_facing"}
PROFILES = ("no_digital_goals", "internal_only", "citizen_facing")
FORMATS = ("pdf", "docx", "html", "txt")
LAYOUTS = frozenset({"two-column", "hyphenate", "justify", "large-type", "landscape-tables",
                     "no-cover", "numbered-headings"})
TAGS = frozenset({
    "trend", "existing", "potential", "instruction", "market", "mention", "history", "orgit",
    "nondigital", "itbudget", "generic", "furniture", "mixed", "nodigit", "noben", "continues",
    "money",
})
REQUIRED_META = ("kommun", "kommunkod", "year", "title", "format", "expected_profile", "author")
OPTIONAL_META = ("subtitle", "layout")

# Block kinds. Labelled kinds need a label in the source; furniture kinds are `none`.
HEADING = "heading"
TEXT = "text"
BULLET = "bullet"
NUMBERED = "numbered"
BOX = "box"
TABLE_HEADER = "table_header"
TABLE_ROW = "table_row"
CAPTION = "caption"
GLOSSARY = "glossary"
FURNITURE = "furniture"
TOC = "toc"
PAGEBREAK = "pagebreak"
SCANNED = "scanned"
LIST_KINDS = frozenset({BULLET, NUMBERED})

_LABEL_RE = re.compile(r"^\[(?P<letter>[NIC])(?P<ambiguous>\?)?(?P<tags>(?:\s+[a-z_]+)*)\s*\]\s*")
_NUMBERED_RE = re.compile(r"^\d{1,3}[.)]\s+")
_META_RE = re.compile(r"^%%\s*(?P<key>[a-z_]+)\s*:\s*(?P<value>.*)$")


class PlanError(MrpError):
    pass


@dataclass(frozen=True)
class Block:
    kind: str
    text: str
    line: int
    label: str = "none"
    level: int = 0
    cells: tuple[str, ...] = ()
    ambiguous: bool = False
    tags: tuple[str, ...] = ()

    @property
    def digital(self) -> bool:
        return self.label != "none"


@dataclass(frozen=True)
class Plan:
    path: Path
    meta: dict[str, str]
    blocks: tuple[Block, ...] = field(repr=False)

    @property
    def kommunkod(self) -> str:
        return self.meta["kommunkod"]

    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @property
    def format(self) -> str:
        return self.meta["format"]

    @property
    def layout(self) -> frozenset[str]:
        return frozenset(self.meta.get("layout", "").split())

    @property
    def expected_profile(self) -> str:
        return self.meta["expected_profile"]

    @property
    def name(self) -> str:
        return self.path.stem

    def labelled_profile(self) -> str:
        labels = {block.label for block in self.blocks}
        if "citizen_facing" in labels:
            return "citizen_facing"
        if "internal_efficiency" in labels:
            return "internal_only"
        return "no_digital_goals"


def _label(rest: str, where: str) -> tuple[str, bool, tuple[str, ...], str]:
    match = _LABEL_RE.match(rest)
    if match is None:
        raise PlanError(f"{where}: expected a label [N], [I] or [C] (optionally with ? and "
                        f"tags, e.g. [N existing]) at the start of: {rest[:60]!r}")
    tags = tuple(match.group("tags").split())
    unknown = [tag for tag in tags if tag not in TAGS]
    if unknown:
        raise PlanError(f"{where}: unknown tag(s) {unknown}; allowed: {', '.join(sorted(TAGS))}")
    text = rest[match.end():].strip()
    if not text:
        raise PlanError(f"{where}: a labelled block needs text after the label")
    return LABEL_LETTERS[match.group("letter")], bool(match.group("ambiguous")), tags, text


def _optional_label(rest: str, where: str) -> tuple[str, bool, tuple[str, ...], str]:
    if _LABEL_RE.match(rest):
        return _label(rest, where)
    return "none", False, (), rest.strip()


def _cells(text: str) -> tuple[str, ...]:
    return tuple(cell.strip() for cell in text.split("|"))


def _parse_block(line: str, where: str, number: int) -> Block:
    if line.startswith("@"):
        word, _, rest = line[1:].partition(" ")
        if word == "toc":
            return Block(TOC, "", number)
        if word == "pagebreak":
            return Block(PAGEBREAK, "", number)
        if word == "scanned":
            if not rest.strip():
                raise PlanError(f"{where}: @scanned needs the text that the picture shows")
            return Block(SCANNED, rest.strip(), number)
        raise PlanError(f"{where}: unknown directive @{word} (known: @toc, @pagebreak, @scanned)")
    heading = re.match(r"^(#{1,3})\s+", line)
    if heading:
        if _LABEL_RE.match(line[heading.end():]):
            raise PlanError(f"{where}: a heading takes no label — headings are none "
                            "(labels/GUIDE.md); write a goal as a paragraph under it")
        return Block(HEADING, line[heading.end():].strip(), number, level=len(heading.group(1)))
    if line.startswith("||"):
        cells = _cells(line[2:])
        return Block(TABLE_HEADER, " | ".join(cells), number, cells=cells)
    if line.startswith("|"):
        label, ambiguous, tags, text = _label(line[1:].strip(), where)
        cells = _cells(text)
        return Block(TABLE_ROW, " | ".join(cells), number, label, cells=cells,
                     ambiguous=ambiguous, tags=tags)
    if line.startswith("- "):
        label, ambiguous, tags, text = _label(line[2:].strip(), where)
        return Block(BULLET, text, number, label, ambiguous=ambiguous, tags=tags)
    numbered = _NUMBERED_RE.match(line)
    if numbered:
        label, ambiguous, tags, text = _label(line[numbered.end():], where)
        return Block(NUMBERED, text, number, label, ambiguous=ambiguous, tags=tags)
    if line.startswith(">"):
        label, ambiguous, tags, text = _label(line[1:].strip(), where)
        return Block(BOX, text, number, label, ambiguous=ambiguous, tags=tags)
    if line.startswith("~"):
        return Block(CAPTION, line[1:].strip(), number)
    if line.startswith("="):
        label, ambiguous, tags, text = _optional_label(line[1:].strip(), where)
        term, sep, definition = text.partition("|")
        if not sep or not term.strip() or not definition.strip():
            raise PlanError(f"{where}: a glossary entry is '= term | definition'")
        cells = (term.strip(), definition.strip())
        return Block(GLOSSARY, " – ".join(cells), number, label, cells=cells,
                     ambiguous=ambiguous, tags=tags)
    if line.startswith("!"):
        return Block(FURNITURE, line[1:].strip(), number)
    label, ambiguous, tags, text = _label(line, where)
    return Block(TEXT, text, number, label, ambiguous=ambiguous, tags=tags)


def parse_plan(path: Path, text: str | None = None) -> Plan:
    """Parse one plan; the first problem is raised as ``PlanError`` naming file and line."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise PlanError(f"{path}: not UTF-8 ({exc.reason}); save it as UTF-8") from exc
    meta: dict[str, str] = {}
    blocks: list[Block] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{path}:{number}"
        if not line or line.startswith("//"):
            continue
        meta_match = _META_RE.match(line)
        if meta_match:
            if blocks:
                raise PlanError(f"{where}: header lines (%%) must come before the first block")
            key = meta_match.group("key")
            if key not in REQUIRED_META + OPTIONAL_META:
                raise PlanError(f"{where}: unknown header key '{key}' "
                                f"(known: {', '.join(REQUIRED_META + OPTIONAL_META)})")
            meta[key] = meta_match.group("value").strip()
            continue
        blocks.append(_parse_block(line, where, number))
    plan = Plan(path, meta, tuple(blocks))
    _check_plan(plan)
    return plan


def _check_plan(plan: Plan) -> None:
    path = plan.path
    missing = [key for key in REQUIRED_META if not plan.meta.get(key)]
    if missing:
        raise PlanError(f"{path}:1: missing header line(s) {', '.join('%% ' + k for k in missing)}")
    if not re.fullmatch(r"\d{4}", plan.kommunkod):
        raise PlanError(f"{path}: kommunkod must be 4 digits, got {plan.kommunkod!r}")
    if not re.fullmatch(r"20\d\d", plan.meta["year"]):
        raise PlanError(f"{path}: year must be a year like 2025, got {plan.meta['year']!r}")
    if plan.format not in FORMATS:
        raise PlanError(f"{path}: format must be one of {', '.join(FORMATS)}")
    unknown = plan.layout - LAYOUTS
    if unknown:
        raise PlanError(f"{path}: unknown layout word(s) {sorted(unknown)}; "
                        f"known: {', '.join(sorted(LAYOUTS))}")
    if plan.expected_profile not in PROFILES:
        raise PlanError(f"{path}: expected_profile must be one of {', '.join(PROFILES)}")
    if plan.labelled_profile() != plan.expected_profile:
        raise PlanError(f"{path}: the block labels give profile {plan.labelled_profile()} but "
                        f"the header says {plan.expected_profile}; fix a label or the header")
    if not any(block.kind == TEXT for block in plan.blocks):
        raise PlanError(f"{path}: no paragraph blocks")
    for previous, block in zip(plan.blocks, plan.blocks[1:], strict=False):
        if block.kind == TABLE_HEADER and previous.kind == TABLE_HEADER:
            raise PlanError(f"{path}:{block.line}: two header rows in a row; a table has one")


def load_plans(folder: Path) -> list[Plan]:
    """Every ``*.plan`` under ``folder`` (sorted), each parsed and checked."""
    paths = sorted(Path(folder).rglob("*.plan"))
    if not paths:
        raise PlanError(f"{folder}: no .plan files found")
    return [parse_plan(path) for path in paths]


def summary(plan: Plan) -> dict[str, object]:
    kinds = Counter(block.kind for block in plan.blocks)
    labels = Counter(block.label for block in plan.blocks
                     if block.kind not in (HEADING, TOC, PAGEBREAK, SCANNED))
    words = sum(len(block.text.split()) for block in plan.blocks)
    return {"plan": str(plan.path), "format": plan.format, "layout": sorted(plan.layout),
            "profile": plan.labelled_profile(), "words": words, "blocks": dict(kinds),
            "labels": dict(labels),
            "tags": dict(Counter(tag for block in plan.blocks for tag in block.tags))}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mrp_classify.docset.plan FILE...``: check plans and print their summary."""
    import json

    status = 0
    for name in argv if argv is not None else sys.argv[1:]:
        try:
            plan = parse_plan(Path(name))
        except PlanError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        print(json.dumps(summary(plan), ensure_ascii=False))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
