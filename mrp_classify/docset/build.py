"""Build a document evaluation set: plans → rendered documents → labelled reader units.

``build_docset(plans_dir, out_dir)`` writes

* ``documents/<plan>.<pdf|docx|html|txt>`` — the rendered plans;
* ``truth/units.jsonl`` — every unit the reader emits from them (what ``mrp-classify
  run`` sees), with the label of the source blocks it came from;
* ``truth/documents.csv`` — per document its municipality, year, expected profile,
  format, author, word and unit counts;
* ``manifest.csv`` — ``file,kommunkod,year`` for ``mrp-classify run --manifest``.

Rendering is deterministic, so the same plans always give the same bytes, and the
truth always follows the current reader: when the reader changes, a rebuild labels
its new units from the same source blocks.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mrp_classify.docset.align import Aligner, Source
from mrp_classify.docset.plan import (
    FURNITURE,
    GLOSSARY,
    PAGEBREAK,
    SCANNED,
    TABLE_HEADER,
    TABLE_ROW,
    TOC,
    Plan,
    load_plans,
)
from mrp_classify.docset.render_common import (
    cover_lines,
    footer_template,
    numbered_headings,
    running_header,
    toc_entries,
)
from mrp_classify.errors import MrpError
from mrp_classify.io import write_csv_atomic, write_text_atomic

log = logging.getLogger(__name__)

DOCUMENTS_DIR = "documents"
TRUTH_DIR = "truth"
UNITS_FILE = "units.jsonl"
DOCUMENTS_FILE = "documents.csv"
MANIFEST_FILE = "manifest.csv"
DOCUMENT_COLUMNS = ("file", "plan", "kommunkod", "kommun", "year", "expected_profile", "format",
                    "layout", "author", "units", "classified_units", "digital_units", "words",
                    "unmatched_units")
SUFFIX = {"pdf": ".pdf", "docx": ".docx", "html": ".html", "txt": ".txt"}


@dataclass(frozen=True)
class TruthUnit:
    file: str
    index: int
    page: int
    kind: str
    classify: bool
    heading_path: tuple[str, ...]
    text: str
    label: str
    ambiguous: bool
    tags: tuple[str, ...]
    match: str
    plan_lines: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["heading_path"] = list(self.heading_path)
        data["tags"] = list(self.tags)
        data["plan_lines"] = list(self.plan_lines)
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TruthUnit:
        return cls(str(raw["file"]), int(raw["index"]), int(raw["page"]), str(raw["kind"]),
                   bool(raw["classify"]), tuple(raw.get("heading_path") or ()), str(raw["text"]),
                   str(raw["label"]), bool(raw.get("ambiguous")), tuple(raw.get("tags") or ()),
                   str(raw.get("match", "")), tuple(raw.get("plan_lines") or ()))


def render(plan: Plan, path: Path) -> Path:
    from mrp_classify.docset.render_office import render_docx, render_html, render_txt
    from mrp_classify.docset.render_pdf import render_pdf

    renderer = {"pdf": render_pdf, "docx": render_docx, "html": render_html,
                "txt": render_txt}[plan.format]
    return renderer(plan, path)


def sources(plan: Plan) -> list[Source]:
    """The plan's blocks and the furniture every renderer may add, as alignment sources."""
    from mrp_classify.docset.render_office import html_chrome

    headings = numbered_headings(plan)
    result = []
    for text in cover_lines(plan) + [running_header(plan),
                                     footer_template(plan).format(page="1", pages="1")]:
        result.append(Source(text, "none", 0, FURNITURE))
    for block in plan.blocks:
        if block.kind in (PAGEBREAK, SCANNED):
            continue
        if block.kind == TOC:
            for title in ("Innehåll", "Innehållsförteckning"):
                result.append(Source(title, "none", block.line, TOC))
            for _, title, _ in toc_entries(plan):
                result.append(Source(title, "none", block.line, TOC))
            continue
        text = headings[block.line].title if block.line in headings else block.text
        if block.kind in (TABLE_HEADER, TABLE_ROW, GLOSSARY):
            text = " ".join(block.cells)
        result.append(Source(text, block.label, block.line, block.kind, block.ambiguous,
                             block.tags))
        if block.kind == GLOSSARY:  # a web page sets term and definition apart (<dt>, <dd>)
            result.extend(Source(cell, "none", block.line, GLOSSARY) for cell in block.cells)
    before, after = html_chrome(plan)
    result.extend(Source(text, "none", 0, FURNITURE) for text in before + after)
    return result


def truth_units(plan: Plan, document: Path, file: str) -> list[TruthUnit]:
    """Read the rendered document as ``run`` does and label every unit it emits."""
    from mrp_classify.inference.ingest import read_document
    from mrp_classify.inference.segment import segment

    aligner = Aligner(sources(plan))
    units = []
    for paragraph in segment(read_document(document)):
        match = aligner.match(paragraph.text, paragraph.kind)
        units.append(TruthUnit(
            file=file, index=paragraph.index, page=paragraph.page, kind=paragraph.kind,
            classify=paragraph.classify, heading_path=paragraph.heading_path,
            text=paragraph.text, label=match.label, ambiguous=match.ambiguous, tags=match.tags,
            match=match.kind,
            plan_lines=tuple(aligner.sources[i].line for i in match.sources)))
    lost = {b.line for b in plan.blocks if b.digital} - {
        line for u in units if u.label != "none" for line in u.plan_lines}
    if lost:
        log.warning("%s: digital blocks on plan lines %s reached no unit of %s",
                    plan.path, sorted(lost), document)
    return units


def _document_row(plan: Plan, file: str, units: Sequence[TruthUnit]) -> list[object]:
    counts = Counter(u.label for u in units if u.classify)
    return [file, plan.name, plan.kommunkod, plan.meta["kommun"], plan.year,
            plan.expected_profile, plan.format, " ".join(sorted(plan.layout)),
            plan.meta["author"], len(units), sum(u.classify for u in units),
            counts["internal_efficiency"] + counts["citizen_facing"],
            sum(len(u.text.split()) for u in units), sum(u.match == "unmatched" for u in units)]


def build_docset(plans_dir: Path, out_dir: Path, force: bool = False) -> list[list[object]]:
    """Render, read back and label every plan under ``plans_dir`` into ``out_dir``."""
    plans = load_plans(plans_dir)
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise MrpError(f"{out_dir}: not empty; pass --force to rebuild into it")
    (out_dir / DOCUMENTS_DIR).mkdir(parents=True, exist_ok=True)
    rows: list[list[object]] = []
    manifest: list[list[object]] = []
    lines: list[str] = []
    for plan in plans:
        document = out_dir / DOCUMENTS_DIR / f"{plan.name}{SUFFIX[plan.format]}"
        render(plan, document)
        file = f"{DOCUMENTS_DIR}/{document.name}"
        units = truth_units(plan, document, file)
        lines.extend(json.dumps(u.to_json(), ensure_ascii=False) for u in units)
        rows.append(_document_row(plan, file, units))
        manifest.append([file, plan.kommunkod, plan.year])
        log.info("%s: %d units (%d digital)", document.name, len(units), rows[-1][11])
    write_text_atomic(out_dir / TRUTH_DIR / UNITS_FILE, "\n".join(lines) + "\n")
    write_csv_atomic(out_dir / TRUTH_DIR / DOCUMENTS_FILE, DOCUMENT_COLUMNS, rows)
    write_csv_atomic(out_dir / MANIFEST_FILE, ("file", "kommunkod", "year"), manifest)
    return rows


def read_truth(docset_dir: Path) -> tuple[list[dict[str, str]], list[TruthUnit]]:
    """A built set's documents.csv rows and units (the one reader of the truth files)."""
    truth = Path(docset_dir) / TRUTH_DIR
    if not (truth / UNITS_FILE).is_file():
        raise MrpError(f"{truth / UNITS_FILE}: not found; build the set first with "
                       "'mrp-classify docset build PLANS --out DIR'")
    with open(truth / DOCUMENTS_FILE, encoding="utf-8", newline="") as handle:
        documents = list(csv.DictReader(handle))
    with open(truth / UNITS_FILE, encoding="utf-8") as handle:
        units = [TruthUnit.from_json(json.loads(line)) for line in handle if line.strip()]
    return documents, units
