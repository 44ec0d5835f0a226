"""A deterministic benchmark corpus of long MRP-like PDFs and DOCX files, built in code.

    python benchmarks/corpus.py /tmp/mrp-bench-corpus --documents 30

The paragraph texts are the seed labels' (labels/seed/*.jsonl), so paragraph
lengths and vocabulary are those of real plans; the structure comes from
tests/docfactory.py's builders: a title page, chapter and section headings,
running text, bullet lists with a lead-in, goal tables, budget tables, two-column
pages, a running header and a page-number footer. Two documents in three are PDFs;
one PDF in three draws its text one word per text object, as Word's PDF export
does with justified text. Every document is named after a real municipality and a
year (``007_Hudiksvall_mrp_2024.pdf``), so a run resolves every one.

Documents are written once per spec: ``corpus.json`` in the folder records the spec
and each file's sha256, and a later call with the same spec reuses the files.

``--source plans`` builds the real-density corpus instead (corpus_plans.py): the
document evaluation set's plans and documents derived from them, rendered by the
docset renderer, a few per cent digital goals as in real plans.

    python benchmarks/corpus.py /tmp/mrp-bench-plans --source plans --documents 60
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # benchmarks.corpus_plans, also when run from benchmarks/

from docfactory import MADE_UP, MrpPdf, mrp_docx  # noqa: E402

from benchmarks.corpus_plans import (  # noqa: E402
    PlanDocument,
    PlansSpec,
    all_intact,
    build_plans_corpus,
    file_sha256,
    manifest_documents,
)

MANIFEST = "corpus.json"
CORPUS_VERSION = 1
# The package's own copy: the one `run` resolves file names with.
KOMMUNER_CSV = ROOT / "inference" / "data" / "kommuner.csv"
# Word counts a DOCX page holds in Word's default layout (11 pt Calibri, A4):
# about 450 words of running text; tables and lists take more room per word.
DOCX_WORDS_PER_PAGE = 420
AREAS = ["Utbildning", "Vård och omsorg", "Samhällsbyggnad", "Kultur och fritid",
         "Individ- och familjeomsorg", "Kommunstyrelsen", "Miljö och hälsoskydd",
         "Räddningstjänst", "Arbetsmarknad och integration", "Ekonomi och styrning"]
SUBSECTIONS = ["Inriktning", "Mål och indikatorer", "Uppdrag", "Ekonomiska förutsättningar",
               "Verksamhetens utveckling", "Uppföljning"]
INDICATORS = ["Andel nöjda invånare", "Antal e-tjänster", "Handläggningstid i dagar",
              "Kostnad per invånare", "Andel digitala ärenden", "Sjukfrånvaro i procent"]
BUDGET_ROWS = ["Intäkter", "Personalkostnader", "Lokalkostnader", "IT-kostnader",
               "Övriga kostnader", "Kapitalkostnader"]


@dataclass(frozen=True)
class CorpusSpec:
    documents: int = 30
    min_pages: int = 40
    max_pages: int = 150
    seed: int = 2025


@dataclass(frozen=True)
class Document:
    file: str
    format: str
    pages: int
    by_word: bool
    kommunkod: str
    year: int
    sha256: str


def seed_texts() -> list[str]:
    """The seed labels' paragraph texts in file and line order."""
    texts = []
    for path in sorted((ROOT / "labels" / "seed").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    return texts


def _cp1252(text: str) -> str:
    # fpdf2's core fonts are Windows-1252; the seed texts' few other characters (U+2212
    # minus) would stop the PDF build.
    return text.replace("\u2212", "-").encode("cp1252", errors="replace").decode("cp1252")


def _sentences(texts: Sequence[str]) -> list[str]:
    """Sentences of 6-25 words: list items and goal-table cells."""
    found = []
    for text in texts:
        for sentence in text.replace("\n", " ").split(". "):
            words = sentence.split()
            if 6 <= len(words) <= 25:
                found.append(sentence.rstrip(".") + ".")
    return found


def _municipalities(count: int, seed: int) -> list[tuple[str, str]]:
    """(kommunkod, name) pairs, distinct while there are enough, each resolvable from a
    file name alone (names that are also common words are skipped)."""
    from mrp_classify.inference.municipalities import resolve

    with open(KOMMUNER_CSV, encoding="utf-8", newline="") as handle:
        rows = [(row["kommunkod"], row["kommun"]) for row in csv.DictReader(handle)]
    random.Random(seed).shuffle(rows)
    usable = [(code, name) for code, name in rows
              if resolve(f"{name.replace(' ', '_')}_mrp_2024.pdf", "").kommunkod == code]
    return [usable[i % len(usable)] for i in range(count)]


class _Content:
    """Draws the pieces of a document from the seed texts with one seeded generator."""

    def __init__(self, rng: random.Random, texts: Sequence[str], sentences: Sequence[str]):
        self.rng = rng
        self.texts = texts
        self.short = [t for t in texts if len(t.split()) <= 60]
        self.sentences = sentences

    def paragraph(self) -> str:
        return self.rng.choice(self.texts)

    def short_paragraph(self) -> str:
        return self.rng.choice(self.short)

    def items(self) -> list[str]:
        return [s[:-1] + "," for s in self.rng.sample(self.sentences, self.rng.randint(3, 5))]

    def goal_rows(self) -> list[list[str]]:
        rows = [["Mål", "Indikator", "Målvärde"]]
        for _ in range(self.rng.randint(2, 4)):
            goal = " ".join(self.rng.choice(self.sentences).split()[:7])
            rows.append([goal, self.rng.choice(INDICATORS), str(self.rng.randint(5, 95))])
        return rows

    def budget_rows(self, year: int) -> list[list[str]]:
        rows = [["Mnkr", f"Budget {year}", f"Plan {year + 1}", f"Plan {year + 2}"]]
        for label in self.rng.sample(BUDGET_ROWS, 3):
            base = self.rng.uniform(5, 400)
            rows.append([label] + [f"{base * (1 + 0.02 * k):.1f}".replace(".", ",")
                                   for k in range(3)])
        return rows


def _wrap_goal_rows(rows: list[list[str]]) -> list[list[str]]:
    """Goal cells wrapped onto two lines so they fit a 200 pt column."""
    wrapped = [rows[0]]
    for goal, *rest in rows[1:]:
        words = goal.split()
        wrapped.append([" ".join(words[:4]) + "\n" + " ".join(words[4:]), *rest])
    return wrapped


def _table(doc: MrpPdf, rows: list[list[str]], widths: list[float]) -> None:
    """A table on a new page when it would cross the page end: the builder's ruled rows
    do not break across pages."""
    height = sum(12.0 * max(len(cell.split("\n")) for cell in row) + 4 for row in rows)
    if doc.pdf.get_y() + height > doc.pdf.page_break_trigger:
        doc.page()
    doc.table(rows, widths)


def build_pdf(path: Path, pages: int, municipality: str, year: int, content: _Content,
              by_word: bool) -> int:
    """Chapters of sections until the PDF has ``pages`` pages; returns the page count."""
    rng = content.rng
    doc = MrpPdf(header=f"{municipality} kommun · Mål och resursplan {year}",
                 title=f"Mål och resursplan {year}")
    doc.page().title(_cp1252(f"Mål och resursplan {year}–{year + 2} för {municipality} kommun"),
                     MADE_UP)
    chapter = section = 0
    while doc.pdf.page_no() < pages:
        if section % 4 == 0:
            chapter += 1
            doc.page().heading(f"{chapter} {AREAS[chapter % len(AREAS)]}")
            if chapter % 3 == 0:
                doc.two_columns([_cp1252(content.short_paragraph()) for _ in range(2)],
                                [_cp1252(content.short_paragraph()) for _ in range(2)],
                                right_first=True)
        section += 1
        doc.heading(f"{chapter}.{section % 4 + 1} {rng.choice(SUBSECTIONS)}", level=2)
        for _ in range(rng.randint(2, 4)):
            text = _cp1252(content.paragraph())
            (doc.paragraph_by_word if by_word else doc.paragraph)(text)
        if rng.random() < 0.6:
            doc.bullets("Nämnden ska under perioden:", [_cp1252(s) for s in content.items()])
        if rng.random() < 0.5:
            rows = [[_cp1252(cell) for cell in row] for row in content.goal_rows()]
            _table(doc, _wrap_goal_rows(rows), [200, 180, 80])
        if rng.random() < 0.3:
            _table(doc, content.budget_rows(year), [180, 100, 100, 100])
    doc.save(path)
    return int(doc.pdf.page_no())


def build_docx(path: Path, pages: int, municipality: str, year: int,
               content: _Content) -> int:
    """The same kinds of content as `build_pdf`, a hard page break every
    DOCX_WORDS_PER_PAGE words; returns the page count."""
    rng = content.rng
    blocks: list[tuple[str, object]] = [
        ("title", f"Mål och resursplan {year}–{year + 2} för {municipality} kommun"),
        ("p", MADE_UP), ("page", None)]
    page, words = 2, 0
    chapter = section = 0

    def add(kind: str, value: object, n_words: int) -> None:
        nonlocal page, words
        blocks.append((kind, value))
        words += n_words
        if words >= DOCX_WORDS_PER_PAGE and page < pages:
            blocks.append(("page", None))
            page, words = page + 1, 0

    while page < pages or words < DOCX_WORDS_PER_PAGE // 2:
        if section % 4 == 0:
            chapter += 1
            add("h1", f"{chapter} {AREAS[chapter % len(AREAS)]}", 20)
        section += 1
        add("h2", f"{chapter}.{section % 4 + 1} {rng.choice(SUBSECTIONS)}", 15)
        for _ in range(rng.randint(2, 4)):
            text = content.paragraph()
            add("p", text, len(text.split()))
        if rng.random() < 0.6:
            add("p", "Nämnden ska under perioden:", 8)
            items = content.items()
            add("bullets", items, sum(len(item.split()) + 5 for item in items))
        if rng.random() < 0.5:
            rows = content.goal_rows()
            add("header_table", rows, 25 * len(rows))
        if rng.random() < 0.3:
            add("header_table", content.budget_rows(year), 80)
    mrp_docx(path, blocks, title=f"Mål och resursplan {year}")
    return page


def _read_manifest(folder: Path, spec: CorpusSpec) -> list[Document] | None:
    """The documents of an earlier build with this spec, if all are still there intact."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("version") != CORPUS_VERSION or manifest.get("spec") != asdict(spec):
        return None
    documents = [Document(**entry) for entry in manifest["documents"]]
    return documents if all_intact(folder, documents) else None


def build_corpus(folder: Path, spec: CorpusSpec) -> list[Document]:
    """Write the corpus of ``spec`` into ``folder`` (or reuse it); the documents in order."""
    folder = Path(folder)
    existing = _read_manifest(folder, spec)
    if existing is not None:
        return existing
    from mrp_classify.io import write_json_atomic

    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.iterdir():
        if stale.suffix in (".pdf", ".docx") or stale.name == MANIFEST:
            stale.unlink()
    texts = seed_texts()
    sentences = _sentences(texts)
    places = _municipalities(spec.documents, spec.seed)
    documents = []
    for i, (code, name) in enumerate(places):
        rng = random.Random(f"{spec.seed}:{i}")
        target = rng.randint(spec.min_pages, spec.max_pages)
        fmt = "docx" if i % 3 == 2 else "pdf"
        by_word = fmt == "pdf" and i % 6 == 1
        year = 2019 + i % 7
        path = folder / f"{i:03d}_{name.replace(' ', '_')}_mrp_{year}.{fmt}"
        content = _Content(rng, texts, sentences)
        if fmt == "pdf":
            pages = build_pdf(path, target, name, year, content, by_word)
        else:
            pages = build_docx(path, target, name, year, content)
        documents.append(Document(path.name, fmt, pages, by_word, code, year, file_sha256(path)))
    write_json_atomic(folder / MANIFEST, {
        "version": CORPUS_VERSION, "spec": asdict(spec),
        "documents": [asdict(document) for document in documents]})
    return documents


def build_plans(folder: Path, spec: PlansSpec) -> list[PlanDocument]:
    """Write the real-density corpus of ``spec`` into ``folder`` (or reuse it)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if path.is_file():
        existing = manifest_documents(json.loads(path.read_text(encoding="utf-8")), folder, spec)
        if existing is not None:
            return existing
    from mrp_classify.io import write_json_atomic

    documents, manifest = build_plans_corpus(folder, spec)
    if path.is_file():
        path.unlink()
    write_json_atomic(path, manifest)
    return documents


def build_source(folder: Path, source: str, documents: int, min_pages: int, max_pages: int,
                 seed: int) -> list[Document] | list[PlanDocument]:
    """The corpus of ``source`` ("seed" or "plans"); pages only matter to the seed corpus,
    whose documents are generated to a page count."""
    if source == "plans":
        return build_plans(folder, PlansSpec(documents, seed))
    return build_corpus(folder, CorpusSpec(documents, min_pages, max_pages, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="where to write (outside the repository)")
    parser.add_argument("--source", choices=("seed", "plans"), default="seed",
                        help="seed: seed-label paragraphs in generated plans (about half "
                             "digital); plans: the labelled plans and plans derived from "
                             "them (real density)")
    parser.add_argument("--documents", type=int, default=CorpusSpec.documents)
    parser.add_argument("--min-pages", type=int, default=CorpusSpec.min_pages)
    parser.add_argument("--max-pages", type=int, default=CorpusSpec.max_pages)
    parser.add_argument("--seed", type=int, default=CorpusSpec.seed)
    args = parser.parse_args()
    documents = build_source(args.folder, args.source, args.documents, args.min_pages,
                             args.max_pages, args.seed)
    if args.source == "seed":
        pdfs = sum(1 for d in documents if d.format == "pdf")
        print(f"{len(documents)} documents ({pdfs} PDF, {len(documents) - pdfs} DOCX), "
              f"{sum(d.pages for d in documents)} pages in {args.folder}")
    else:
        formats = Counter(d.format for d in documents)
        print(f"{len(documents)} documents ("
              + ", ".join(f"{n} {fmt.upper()}" for fmt, n in sorted(formats.items()))
              + f"), {sum(d.pages for d in documents)} pages in {args.folder}")
        manifest = json.loads((args.folder / MANIFEST).read_text(encoding="utf-8"))
        print(f"digital share of labelled units: {manifest['digital_share']:.2%} "
              f"({manifest['labelled_units']})")


if __name__ == "__main__":
    main()
