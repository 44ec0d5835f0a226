"""The run folder: one reader and one writer for each file ``mrp-classify run`` makes.

* ``.state/<model fingerprint>/<sha256>.json`` — one finished document
  (``DocumentState``), written the moment it is done;
* ``paragraphs.csv`` — every classified unit (``ParagraphRow``);
* ``documents.csv`` — one row per input file;
* ``municipalities.csv``, ``summary.json`` — the profiles and the summary;
* ``report.html`` — written by ``report`` from the summary and the documents table.

Every file is written atomically. The CSVs are UTF-8 with a byte-order mark (so
Excel shows å, ä, ö), in the ``excel`` dialect (comma, decimal point) or
``excel-sv`` (semicolon, decimal comma: what Swedish Excel opens in one step);
``results.xlsx`` holds the municipalities and documents tables with kommunkod as
text. CSV cells that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) get a leading space, which the readers
here take off again. pandas: ``pd.read_csv(path, dtype={"kommunkod": str})`` (add
``sep=";", decimal=","`` for ``excel-sv``).
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.io import (
    atomic_open,
    from_spreadsheet,
    locked_folder,
    spreadsheet_safe,
    write_json_atomic,
)

log = logging.getLogger(__name__)

STATE_DIR = ".state"
LOCK_FILE = ".lock"  # kept in the folder by io.locked_folder
STATE_VERSION = 2
PARAGRAPHS_FILE = "paragraphs.csv"
DOCUMENTS_FILE = "documents.csv"
MUNICIPALITIES_FILE = "municipalities.csv"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.html"
HEADING_SEPARATOR = " > "
XLSX_FILE = "results.xlsx"
# name → (separator, decimal mark)
DIALECTS = {"excel": (",", "."), "excel-sv": (";", ",")}
_DECIMAL_RE = re.compile(r"^-?\d+\.\d+$")

DOCUMENT_COLUMNS = (
    "file", "status", "error", "sha256", "format", "kommunkod", "kommun", "year",
    "municipality_source", "municipality_note", "pages", "paragraphs", "classified_paragraphs",
    "words", "chars_per_page", "empty_pages", "health_flag", "duplicate_of", "overflow",
    "ocr_confidence",
)
PARAGRAPH_COLUMNS = (
    "file", "kommunkod", "year", "page", "index", "heading_path", "kind", "text", "label",
)
# After the probability columns: "true" for a unit read by OCR (run --ocr).
OCR_COLUMN = "ocr"


@dataclass(frozen=True)
class ClassifiedUnit:
    page: int
    index: int
    heading_path: tuple[str, ...]
    kind: str
    text: str
    probabilities: tuple[float, ...]
    ocr: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "index": self.index, "heading_path": list(self.heading_path),
                "kind": self.kind, "text": self.text, "probabilities": list(self.probabilities),
                "ocr": self.ocr}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ClassifiedUnit:
        return cls(int(raw["page"]), int(raw["index"]), tuple(raw["heading_path"]),
                   str(raw["kind"]), str(raw["text"]),
                   tuple(float(p) for p in raw["probabilities"]), bool(raw.get("ocr")))


@dataclass(frozen=True, kw_only=True)
class DocumentFacts:
    """What reading and segmenting found out about a document, before the model."""

    format: str
    title_text: str
    pages: int
    chars_per_page: float
    empty_pages: int
    health_flag: str | None
    paragraphs: int
    words: int
    overflow: str = ""
    ocr_confidence: tuple[tuple[int, float], ...] = ()

    def facts(self) -> dict[str, Any]:
        """The fields of :class:`DocumentFacts` alone, to build a subclass from another."""
        return {f.name: getattr(self, f.name) for f in fields(DocumentFacts)}


@dataclass(frozen=True, kw_only=True)
class DocumentState(DocumentFacts):
    """One read, segmented and classified document, keyed by its bytes and the model."""

    sha256: str
    model_fingerprint: str
    labels: tuple[str, ...]
    classified: tuple[ClassifiedUnit, ...]

    def to_json(self) -> dict[str, Any]:
        return {"state_version": STATE_VERSION, "sha256": self.sha256,
                "model_fingerprint": self.model_fingerprint, "labels": list(self.labels),
                **self.facts(),
                "ocr_confidence": [list(pair) for pair in self.ocr_confidence],
                "classified": [u.to_json() for u in self.classified]}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> DocumentState:
        return cls(sha256=str(raw["sha256"]), model_fingerprint=str(raw["model_fingerprint"]),
                   labels=tuple(raw["labels"]), format=str(raw["format"]),
                   title_text=str(raw["title_text"]), pages=int(raw["pages"]),
                   chars_per_page=float(raw["chars_per_page"]),
                   empty_pages=int(raw["empty_pages"]), health_flag=raw["health_flag"],
                   paragraphs=int(raw["paragraphs"]), words=int(raw["words"]),
                   classified=tuple(ClassifiedUnit.from_json(u) for u in raw["classified"]),
                   overflow=str(raw.get("overflow", "")),
                   ocr_confidence=tuple((int(p), float(c))
                                        for p, c in raw.get("ocr_confidence", [])))


@dataclass(frozen=True)
class ParagraphRow:
    """One row of ``paragraphs.csv``; ``probabilities`` in the run's label order."""

    file: str
    kommunkod: str
    year: str
    page: int
    index: int
    heading_path: tuple[str, ...]
    kind: str
    text: str
    label: str
    probabilities: tuple[float, ...]
    ocr: bool = False


class RunOutputs:
    """The files of one run folder, in one CSV dialect (``DIALECTS``)."""

    def __init__(self, out_dir: Path, dialect: str = "excel") -> None:
        if dialect not in DIALECTS:
            raise MrpError(f"--csv-dialect {dialect}: use one of {', '.join(DIALECTS)}")
        self.dir = Path(out_dir)
        self.dialect = dialect
        self.separator, self.decimal = DIALECTS[dialect]

    def _cell(self, value: object) -> str:
        text = "" if value is None else str(value)
        if self.decimal != "." and (isinstance(value, float) or _DECIMAL_RE.match(text)):
            text = text.replace(".", self.decimal)
        return spreadsheet_safe(text)

    def path(self, name: str) -> Path:
        return self.dir / name

    def lock(self) -> contextlib.AbstractContextManager[None]:
        """Hold the folder for one run; temporary files of an earlier, killed run go."""
        return locked_folder(self.dir, (".*.tmp", f"{STATE_DIR}/*/.*.tmp"),
                             "another mrp-classify run is writing here; wait for it to "
                             "finish or choose another --out")

    # ------------------------------------------------------------ state
    def holds_run(self) -> bool:
        """Whether the folder holds a run to resume: its state, or only the lock of a run
        stopped before its first document was stored."""
        names = {path.name for path in self.dir.iterdir()} if self.dir.is_dir() else set()
        return STATE_DIR in names or names <= {LOCK_FILE}

    def state_path(self, fingerprint: str, sha256: str) -> Path:
        return self.dir / STATE_DIR / fingerprint / f"{sha256}.json"

    def load_state(self, fingerprint: str, sha256: str,
                   labels: Sequence[str]) -> DocumentState | None:
        """The stored result of a document, or None when there is none usable."""
        path = self.state_path(fingerprint, sha256)
        if not path.is_file():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict) or raw.get("state_version") != STATE_VERSION:
                raise ValueError("another version")
            state = DocumentState.from_json(raw)
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: state file unusable (%s); the document is processed again", path,
                        exc)
            return None
        if (state.sha256, state.model_fingerprint, state.labels) != (sha256, fingerprint,
                                                                      tuple(labels)):
            log.warning("%s: state file of another document or model; processed again", path)
            return None
        return state

    def save_state(self, state: DocumentState) -> None:
        write_json_atomic(self.state_path(state.model_fingerprint, state.sha256),
                          state.to_json())

    # ------------------------------------------------------------ paragraphs.csv
    @contextlib.contextmanager
    def paragraph_writer(self, labels: Sequence[str]) -> Iterator[Any]:
        """A function that writes one ``ParagraphRow``; the file appears when complete."""
        with atomic_open(self.path(PARAGRAPHS_FILE), encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=self.separator, lineterminator="\n")
            writer.writerow((*PARAGRAPH_COLUMNS, *(f"p_{label}" for label in labels),
                             OCR_COLUMN))

            def write(row: ParagraphRow) -> None:
                writer.writerow(self._cell(cell) for cell in (
                    row.file, row.kommunkod, row.year, row.page, row.index,
                    HEADING_SEPARATOR.join(row.heading_path), row.kind, row.text, row.label,
                    *(f"{p:.4f}" for p in row.probabilities), "true" if row.ocr else ""))

            yield write

    def read_paragraphs(self, labels: Sequence[str] = (),
                        need_probabilities: bool = False) -> Iterator[ParagraphRow]:
        """The rows of ``paragraphs.csv``; ``p_<label>`` columns in ``labels`` order."""
        path = self.path(PARAGRAPHS_FILE)
        if not path.is_file():
            raise MrpError(f"{path}: not found; give the --out folder of 'mrp-classify run'")
        csv.field_size_limit(1 << 30)
        with open(path, encoding="utf-8-sig", newline="") as handle:
            separator, decimal = _sniff(handle)
            reader = csv.DictReader(handle, delimiter=separator)
            columns = set(reader.fieldnames or ())
            wanted = [c for c in PARAGRAPH_COLUMNS if c not in ("kind", "label")]
            if need_probabilities:
                wanted += [f"p_{label}" for label in labels]
            missing = [column for column in wanted if column not in columns]
            if missing:
                fix = ("pass --model to score the paragraphs" if
                       all(c.startswith("p_") for c in missing)
                       else "is it a run's paragraphs.csv?")
                raise MrpError(f"{path}: missing column(s) {', '.join(missing)}; {fix}")
            for number, raw in enumerate(reader, start=2):
                row = {k: from_spreadsheet(v or "") for k, v in raw.items() if k}
                try:
                    probabilities = tuple(float(row[f"p_{label}"].replace(decimal, "."))
                                          for label in labels) if need_probabilities else ()
                    yield ParagraphRow(
                        row["file"], row["kommunkod"], row["year"], int(row["page"] or 0),
                        int(row["index"] or 0),
                        tuple(h for h in row["heading_path"].split(HEADING_SEPARATOR) if h),
                        row.get("kind", ""), row["text"], row.get("label", ""), probabilities,
                        row.get(OCR_COLUMN) == "true")
                except (TypeError, ValueError) as exc:
                    raise MrpError(f"{path}:{number}: not a number where one belongs ({exc}); "
                                   "rewrite the file with 'mrp-classify run'") from exc

    # ------------------------------------------------------------ tables and summary
    def write_table(self, name: str, header: Sequence[str],
                    rows: Iterable[Sequence[object]]) -> None:
        with atomic_open(self.path(name), encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=self.separator, lineterminator="\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(self._cell(cell) for cell in row)

    def read_table(self, name: str, required: Sequence[str] = ()) -> list[dict[str, str]]:
        path = self.path(name)
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                separator, decimal = _sniff(handle)
                reader = csv.DictReader(handle, delimiter=separator)
                rows = [{k: _from_cell(v or "", decimal) for k, v in row.items() if k}
                        for row in reader]
                fields = reader.fieldnames or []
        except FileNotFoundError:
            raise MrpError(f"{path}: not found; run `mrp-classify run` to create it") from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise MrpError(f"{path}: unreadable ({exc}); run `mrp-classify run` again") from None
        missing = [name for name in required if name not in fields]
        if missing:
            raise MrpError(f"{path}: no column {', '.join(missing)}; it was not written by this "
                           "version of mrp-classify, run `mrp-classify run` again")
        return rows

    def read_documents(self) -> list[dict[str, str]]:
        return self.read_table(DOCUMENTS_FILE, ("file", "status", "error"))

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json_atomic(self.path(SUMMARY_FILE), summary)

    def read_summary(self, required: Sequence[str] = ()) -> dict[str, Any]:
        path = self.path(SUMMARY_FILE)
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MrpError(f"{path}: not found; run `mrp-classify run` to create it") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MrpError(f"{path}: unreadable ({exc}); run `mrp-classify run` again") from None
        missing = [key for key in required if not isinstance(summary, dict) or key not in summary]
        if missing:
            raise MrpError(f"{path}: no {', '.join(missing)}; it was not written by this version "
                           "of mrp-classify, run `mrp-classify run` again")
        return summary


def _sniff(handle: Any) -> tuple[str, str]:
    """The dialect of a run CSV, from its header line (then rewound)."""
    header = handle.readline()
    handle.seek(0)
    return DIALECTS["excel-sv"] if ";" in header and "," not in header else DIALECTS["excel"]


def _from_cell(value: str, decimal: str) -> str:
    value = from_spreadsheet(value)
    if decimal != "." and re.fullmatch(r"-?\d+,\d+", value):
        return value.replace(",", ".")
    return value


def write_workbook(path: Path, sheets: Sequence[tuple[str, Sequence[str],
                                                      Iterable[Sequence[object]]]]) -> None:
    """An .xlsx with one sheet per table: kommunkod and other codes as text, figures as
    numbers, so Excel and LibreOffice open it in one step without losing a leading zero."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append([_typed(name, cell) for name, cell in zip(header, row, strict=True)])
    with atomic_open(path, "wb") as handle:
        book.save(handle)


_TEXT_COLUMNS = frozenset({"kommunkod", "kommun", "file", "sha256", "lan", "kommungrupp",
                           "kommungrupp_code", "heading_path", "text", "error"})


def _typed(name: str, cell: object) -> object:
    if cell is None or cell == "":
        return None
    if name in _TEXT_COLUMNS or not isinstance(cell, (str, int, float)):
        return spreadsheet_safe(str(cell))
    if isinstance(cell, (int, float)):
        return cell
    try:
        return int(cell) if cell.lstrip("-").isdigit() else float(cell)
    except ValueError:
        return cell
