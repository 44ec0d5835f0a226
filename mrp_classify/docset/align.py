"""Give every unit the reader emits the label of the source blocks it came from.

The reader may join, split or reorder what the renderer drew (a lead-in with
its item, a paragraph cut by a page break, a running header left in), so units
are matched to source blocks by word trigrams, not by position: a source block
belongs to a unit when the unit holds most of the block's trigrams, or the unit
lies mostly inside the block. Among equally good blocks the one nearest in
reading order wins (a contents line and its heading share their words). A unit
made of several blocks takes the most specific label among them
(citizen_facing, then internal_efficiency, then none), as the tie rule reads a
paragraph with both aims.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

LABEL_PRIORITY = {"none": 0, "internal_efficiency": 1, "citizen_facing": 2}
CONTAINS = 0.5  # share of a block's trigrams a unit must hold to contain it
INSIDE = 0.5  # share of a unit's trigrams a block must hold to contain the unit

_WORD_RE = re.compile(r"\w+")
# A contents line's dot leader and the page number after it are not words of its heading.
_LEADER_RE = re.compile(r"(?:\s?\.){3,}\s*\d*")


@dataclass(frozen=True)
class Source:
    """A piece of rendered text whose label is known: an author's block or furniture the
    renderer added (cover, running header, contents lines, web page chrome)."""

    text: str
    label: str
    line: int  # the plan line, 0 for renderer furniture
    kind: str
    ambiguous: bool = False
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    label: str
    sources: tuple[int, ...]  # indices into the source list
    kind: str  # exact | merged | fragment | unmatched
    ambiguous: bool
    tags: tuple[str, ...]


def words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u00ad", "")
    folded = _LEADER_RE.sub(" ", folded)
    return _WORD_RE.findall(folded)


_HEADER_LABEL_RE = re.compile(r"^([^:|]{1,60}):\s+")


def strip_header_labels(text: str) -> str:
    """A table row as the reader writes it ("Mål: … | Indikator: …") without the header
    names, so its words run as the row's cells do."""
    cells = []
    for cell in text.split(" | "):
        label = _HEADER_LABEL_RE.match(cell)
        if label and len(label.group(1).split()) <= 6:
            cell = cell[label.end():]
        cells.append(cell)
    return " ".join(cells)


def shingles(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    if len(tokens) < 3:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}


class Aligner:
    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = list(sources)
        self.sets = [shingles(words(s.text)) for s in self.sources]
        self.index: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, grams in enumerate(self.sets):
            for gram in grams:
                self.index[gram].append(i)
        self.position = 0

    def match(self, text: str, kind: str = "") -> Match:
        if kind.startswith("table"):
            text = strip_header_labels(text)
        unit = shingles(words(text))
        overlap: dict[int, int] = defaultdict(int)
        for gram in unit:
            for i in self.index.get(gram, ()):
                overlap[i] += 1
        if not unit:
            return Match("none", (), "unmatched", False, ())
        contained = [i for i, n in overlap.items() if n / len(self.sets[i]) >= CONTAINS]
        inside = [i for i, n in overlap.items() if n / len(unit) >= INSIDE]
        chosen = self._pick(contained) if contained else []
        if not chosen and inside:
            best = max(overlap[i] / len(unit) for i in inside)
            near_best = [i for i in inside if overlap[i] / len(unit) >= best - 0.05]
            chosen = [min(near_best, key=lambda i: abs(i - self.position))]
        if not chosen:
            chosen = self._by_words(text)
        if not chosen:
            return Match("none", (), "unmatched", False, ())
        self.position = max(chosen) + 1
        picked = [self.sources[i] for i in chosen]
        label = max((s.label for s in picked), key=LABEL_PRIORITY.__getitem__)
        if len(chosen) > 1:
            kind = "merged"
        elif overlap[chosen[0]] / len(self.sets[chosen[0]]) >= 0.9:
            kind = "exact"
        else:
            kind = "fragment"
        ambiguous = any(s.ambiguous for s in picked if s.label == label)
        tags = tuple(sorted({t for s in picked for t in s.tags}))
        return Match(label, tuple(chosen), kind, ambiguous, tags)

    def _by_words(self, text: str) -> list[int]:
        """Short blocks the reader ran together (contents lines, a header and a page number):
        the blocks whose words all occur in the unit, when together they make up most of it."""
        unit = set(words(text))
        if not unit:
            return []
        found = [i for i, source in enumerate(self.sources)
                 if (tokens := set(words(source.text))) and tokens <= unit]
        covered = set().union(*(words(self.sources[i].text) for i in found)) if found else set()
        if len(covered) < 0.8 * len(unit):
            return []
        return self._pick(found)

    def _pick(self, contained: list[int]) -> list[int]:
        """Blocks a unit contains; a block whose text repeats elsewhere (a heading and its
        contents line) counts once, at the copy nearest in reading order."""
        by_text: dict[frozenset[tuple[str, ...]], list[int]] = defaultdict(list)
        for i in contained:
            by_text[frozenset(self.sets[i])].append(i)
        return sorted(min(group, key=lambda i: abs(i - self.position))
                      for group in by_text.values())
