"""The real-density benchmark corpus: the document evaluation set's plans, and more made
from them, rendered by the project's own docset renderer.

    python benchmarks/corpus.py /tmp/mrp-bench-plans --source plans --documents 60

The seed corpus (corpus.py) draws its paragraphs from the seed labels, which were written
to be about half digital; a real plan has a few per cent digital goals, and repeats most
of its text from year to year and much of its boilerplate from other municipalities. This
corpus starts from the 48 labelled plans (labels/documents/{train,dev,test}/*.plan), each
rendered in its own format and layout by ``mrp_classify.docset.build.render``, and adds
documents derived from them, cycling over four kinds:

* ``next_year`` / ``third_year``: the same municipality one or two years later; a share
  of the labelled blocks is rewritten each year (a sentence appended or figures changed),
  the rest repeats word for word;
* ``other``: another municipality's plan made from a base plan (the name replaced), with
  the corpus's shared boilerplate in it: one KF decision, one glossary and one
  internal-control section, taken from the plans and the same in every such document;
* ``other_next_year``: that plan a year later.

Labels never change (appended sentences and figures are neutral), so every document's
labelled-unit counts, and the corpus's digital share, come from its plan's block labels.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mrp_classify.docset.build import SUFFIX, render
from mrp_classify.docset.plan import (
    BOX,
    BULLET,
    FORMATS,
    HEADING,
    NUMBERED,
    PAGEBREAK,
    TABLE_ROW,
    TEXT,
    Block,
    Plan,
    load_plans,
)

ROOT = Path(__file__).resolve().parents[1]
PLANS_DIR = ROOT / "labels" / "documents"
SPLITS = ("train", "dev", "test")
KOMMUNER_CSV = ROOT / "inference" / "data" / "kommuner.csv"
SOURCE = "plans"
CORPUS_VERSION = 1
# The block kinds whose label the source must give (FORMAT.md): the units `run` classifies.
# Headings, captions, glossary entries and furniture are `none` by the format, so counting
# them would only dilute the share with units that are never in question.
LABELLED = frozenset({TEXT, BULLET, NUMBERED, BOX, TABLE_ROW})
DIGITAL = ("internal_efficiency", "citizen_facing")
KINDS = ("next_year", "third_year", "other", "other_next_year")
# Neutral follow-up wording, as a revised plan adds it: it changes no block's label.
REVISIONS = (
    "Målet har reviderats inför det nya budgetåret och följs upp i delårsrapporten.",
    "Nämnden redovisar utfallet i årsredovisningen.",
    "Inriktningen gäller oförändrad under planperioden, med justerade nivåer.",
    "Uppdraget har förlängts med ett år efter dialog med kommunstyrelsen.",
)
# Sections every `other` document shares, found by heading in the plans.
BOILERPLATE = {
    "decision": re.compile(r"^(beslut i kommunfullmäktige|kommunfullmäktiges beslut)", re.I),
    "glossary": re.compile(r"ordlista|begrepp\b", re.I),
    "internal_control": re.compile(r"intern kontroll", re.I),
}
_YEAR_RE = re.compile(r"\b(19|20)(\d\d)\b")
_NUMBER_RE = re.compile(r"\d+(?:,\d+)?")


@dataclass(frozen=True)
class PlansSpec:
    documents: int = 60
    seed: int = 2025
    rewritten: float = 0.15  # share of labelled blocks rewritten per later year


@dataclass(frozen=True)
class PlanDocument:
    file: str
    format: str
    kind: str  # "plan" (a source plan as it is) or one of KINDS
    source_plan: str  # labels/documents/<split>/<name>.plan it was made from
    kommunkod: str
    year: int
    pages: int  # PDF: counted; other formats: 1 + the plan's page breaks
    labelled_units: dict[str, int]
    sha256: str
    by_word: bool = False  # what bench_end_to_end summarises for the seed corpus


@dataclass(frozen=True)
class Planned:
    plan: Plan
    kind: str
    source: Plan


def source_plans() -> list[Plan]:
    return [plan for split in SPLITS for plan in load_plans(PLANS_DIR / split)]


def labelled_units(plan: Plan) -> dict[str, int]:
    counts = Counter(block.label for block in plan.blocks if block.kind in LABELLED)
    return {label: counts[label] for label in ("none", *DIGITAL)}


def digital_share(counts: Iterable[Mapping[str, int]]) -> float:
    total = Counter[str]()
    for item in counts:
        total.update(item)
    return sum(total[label] for label in DIGITAL) / max(sum(total.values()), 1)


def _renumbered(plan: Plan, blocks: Sequence[Block], **meta: str) -> Plan:
    # Renderers key headings by block line, so inserted blocks need lines of their own.
    return replace(plan, meta={**plan.meta, **meta},
                   blocks=tuple(replace(b, line=i + 1) for i, b in enumerate(blocks)))


def _shift_years(text: str, years: int) -> str:
    return _YEAR_RE.sub(lambda m: str(int(m.group(0)) + years), text)


def _new_figures(text: str, rng: random.Random) -> str:
    """Numbers moved as next year's figures move; years one on."""
    def one(match: re.Match[str]) -> str:
        value = match.group(0)
        if _YEAR_RE.fullmatch(value):
            return str(int(value) + 1)
        decimals = len(value.partition(",")[2])
        new = float(value.replace(",", ".")) * rng.uniform(0.85, 1.2)
        return f"{new:.{decimals}f}".replace(".", ",")
    return _NUMBER_RE.sub(one, text)


def _rewritten(block: Block, rng: random.Random) -> Block:
    if block.kind == TABLE_ROW:  # a row's figures change; a sentence would not fit a cell
        cells = tuple(_new_figures(cell, rng) for cell in block.cells)
        return replace(block, cells=cells, text=" | ".join(cells))
    if any(ch.isdigit() for ch in block.text) and rng.random() < 0.5:
        return replace(block, text=_new_figures(block.text, rng))
    return replace(block, text=f"{block.text} {rng.choice(REVISIONS)}")


def later_year(plan: Plan, share: float, seed: str) -> Plan:
    """The plan a year on: the title's years shifted, ``share`` of its labelled blocks
    rewritten; the same name, so the renderers keep the municipality's house style."""
    rng = random.Random(seed)
    blocks = [_rewritten(b, rng) if b.kind in LABELLED and rng.random() < share else b
              for b in plan.blocks]
    meta = {key: _shift_years(plan.meta[key], 1) for key in ("title", "subtitle")
            if key in plan.meta}
    return _renumbered(plan, blocks, year=str(plan.year + 1), **meta)


def _sections(plan: Plan, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """(start, end) block indexes of each section whose heading matches ``pattern``."""
    found = []
    for start, block in enumerate(plan.blocks):
        if block.kind == HEADING and pattern.search(block.text):
            end = start + 1
            while end < len(plan.blocks) and not (
                    plan.blocks[end].kind == HEADING and plan.blocks[end].level <= block.level):
                end += 1
            found.append((start, end))
    return found


def _all_none(blocks: Sequence[Block]) -> bool:
    return not any(block.digital for block in blocks)


def shared_boilerplate(plans: Sequence[Plan], seed: int) -> dict[str, tuple[str, list[Block]]]:
    """Per kind of boilerplate, one all-`none` section from the plans (seeded), with the
    name of the municipality it came from."""
    rng = random.Random(f"{seed}:boilerplate")
    chosen = {}
    for kind, pattern in BOILERPLATE.items():
        candidates = [(plan.meta["kommun"], list(plan.blocks[start:end])) for plan in plans
                      for start, end in _sections(plan, pattern)
                      if _all_none(plan.blocks[start:end]) and end - start > 2]
        chosen[kind] = rng.choice(candidates)
    return chosen


def _renamer(old: str, new: str) -> Callable[[str], str]:
    # Whole names only (with a genitive s): a name such as Vara or Eda is also part of words.
    pattern = re.compile(rf"(?<![\w-]){re.escape(old)}(?=s?\b)")
    return lambda text: pattern.sub(new, text)


def _named(blocks: Iterable[Block], old: str, new: str) -> list[Block]:
    rename = _renamer(old, new)
    return [replace(b, text=rename(b.text), cells=tuple(rename(c) for c in b.cells))
            for b in blocks]


def other_municipality(plan: Plan, code: str, name: str,
                       boilerplate: dict[str, tuple[str, list[Block]]]) -> Plan:
    """``plan`` as municipality ``name``'s, its own decision, glossary and internal-control
    sections (when all `none`) replaced by the shared ones, or the shared ones added."""
    blocks = _named(plan.blocks, plan.meta["kommun"], name)
    for kind, (donor, section) in boilerplate.items():
        shared = _named(section, donor, name)
        own = [(s, e) for s, e in _sections(replace(plan, blocks=tuple(blocks)),
                                           BOILERPLATE[kind]) if _all_none(blocks[s:e])]
        if own:
            start, end = own[0]
            blocks[start:end] = shared
        elif kind == "decision":  # a decision comes first, after the cover and contents
            first = next((i for i, b in enumerate(blocks) if b.kind == HEADING), 0)
            blocks[first:first] = [*shared, Block(PAGEBREAK, "", 0)]
        else:
            blocks.extend(shared)
    rename = _renamer(plan.meta["kommun"], name)
    meta = {key: rename(plan.meta[key]) for key in ("title", "subtitle") if key in plan.meta}
    named = replace(plan, path=plan.path.with_name(f"{code}-{name}-{plan.year}.plan"))
    return _renumbered(named, blocks, kommun=name, kommunkod=code, **meta)


def _municipalities(exclude: set[str], seed: int) -> list[tuple[str, str]]:
    """(kommunkod, name) not among the plans', in seeded order, each resolvable from a
    file name alone (as corpus.py's)."""
    from mrp_classify.inference.municipalities import resolve

    with open(KOMMUNER_CSV, encoding="utf-8", newline="") as handle:
        rows = [(row["kommunkod"], row["kommun"]) for row in csv.DictReader(handle)]
    random.Random(f"{seed}:municipalities").shuffle(rows)
    return [(code, name) for code, name in rows if code not in exclude
            and resolve(file_name(0, name, 2025, "pdf"), "").kommunkod == code]


def file_name(index: int, kommun: str, year: int, fmt: str) -> str:
    return f"{index:03d}_{kommun.replace(' ', '_')}_mrp_{year}{SUFFIX[fmt]}"


def _originals(plans: Sequence[Plan], seed: int) -> list[Plan]:
    """The plans, formats taking turns (so a few documents already hold every format);
    at each turn the plan of that format that keeps the running digital share nearest the
    whole set's (so a small corpus has real density too), ties in seeded order."""
    target = digital_share(labelled_units(p) for p in plans)
    by_format = {fmt: sorted((p for p in plans if p.format == fmt), key=lambda p: p.name)
                 for fmt in FORMATS}
    for fmt, group in by_format.items():
        random.Random(f"{seed}:originals:{fmt}").shuffle(group)
    ordered: list[Plan] = []
    running = Counter[str]()
    while any(by_format.values()):
        for group in by_format.values():
            if not group:
                continue
            def gap(plan: Plan) -> float:
                return abs(digital_share([running, labelled_units(plan)]) - target)
            best = min(group, key=gap)  # min keeps the first of equal ones: seeded order
            group.remove(best)
            ordered.append(best)
            running.update(labelled_units(best))
    return ordered


def plan_corpus(spec: PlansSpec, plans: Sequence[Plan] | None = None) -> list[Planned]:
    """The corpus's plans in order, nothing rendered: all source plans once there are
    enough documents (with fewer, two in three), then derived ones."""
    plans = list(plans) if plans is not None else source_plans()
    originals = _originals(plans, spec.seed)
    if spec.documents < len(originals):
        originals = originals[:max(1, spec.documents - spec.documents // 3)]
    result = [Planned(plan, "plan", plan) for plan in originals]
    boilerplate = shared_boilerplate(plans, spec.seed)
    places = _municipalities({p.kommunkod for p in plans}, spec.seed)
    j = 0
    while len(result) < spec.documents:
        turn, kind = divmod(j, len(KINDS))
        base = originals[turn % len(originals)]
        cycle = turn // len(originals)  # beyond one turn per plan: later years, new places
        if kind in (0, 1):
            plan = base
            for k in range(1, 2 * cycle + kind + 2):
                plan = later_year(plan, spec.rewritten, f"{spec.seed}:{base.name}:{k}")
        else:
            code, name = places[turn % len(places)]
            plan = other_municipality(base, code, name, boilerplate)
            if kind == 3:
                plan = later_year(plan, spec.rewritten, f"{spec.seed}:{plan.name}:1")
        result.append(Planned(plan, KINDS[kind], base))
        j += 1
    return result


def _pages(plan: Plan, path: Path) -> int:
    if plan.format == "pdf":
        import pypdfium2

        document = pypdfium2.PdfDocument(path)
        try:
            return len(document)
        finally:
            document.close()
    return 1 + sum(block.kind == PAGEBREAK for block in plan.blocks)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_intact(folder: Path, documents: Iterable[Any]) -> bool:
    """Every document (``.file``, ``.sha256``) of an earlier build is still there unchanged:
    both corpora reuse a build only then."""
    return all((folder / d.file).is_file() and file_sha256(folder / d.file) == d.sha256
               for d in documents)


def plans_fingerprint() -> str:
    """The source plans' bytes: a corpus built from other plans is not reused."""
    digest = hashlib.sha256()
    for split in SPLITS:
        for path in sorted((PLANS_DIR / split).glob("*.plan")):
            digest.update(f"{split}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def manifest_documents(manifest: dict[str, Any], folder: Path,
                       spec: PlansSpec) -> list[PlanDocument] | None:
    """The documents of an earlier build with this spec, if all are still there intact."""
    if (manifest.get("source") != SOURCE or manifest.get("version") != CORPUS_VERSION
            or manifest.get("spec") != asdict(spec)
            or manifest.get("plans_sha256") != plans_fingerprint()):
        return None
    documents = [PlanDocument(**entry) for entry in manifest["documents"]]
    return documents if all_intact(folder, documents) else None


def build_plans_corpus(folder: Path, spec: PlansSpec) -> tuple[list[PlanDocument], dict[str, Any]]:
    """Render the corpus of ``spec`` into ``folder``; the documents and the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.suffix in SUFFIX.values():
            stale.unlink()
    documents = []
    for index, item in enumerate(plan_corpus(spec)):
        plan = item.plan
        path = folder / file_name(index, plan.meta["kommun"], plan.year, plan.format)
        render(plan, path)
        documents.append(PlanDocument(
            path.name, plan.format, item.kind,
            str(item.source.path.relative_to(ROOT)), plan.kommunkod, plan.year,
            _pages(plan, path), labelled_units(plan), file_sha256(path)))
    counts = [d.labelled_units for d in documents]
    totals = {label: sum(c[label] for c in counts) for label in ("none", *DIGITAL)}
    manifest = {"version": CORPUS_VERSION, "source": SOURCE, "spec": asdict(spec),
                "plans_sha256": plans_fingerprint(),
                "labelled_units": totals, "digital_share": round(digital_share(counts), 5),
                "documents": [asdict(d) for d in documents]}
    return documents, manifest
