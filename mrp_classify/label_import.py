"""Annotators' work into label files: a filled queue CSV, a Label Studio or doccano export.

Accepted inputs (by file suffix):

* ``.csv`` (also ``.tsv``/``.txt``): the ``suggest`` queue filled in a
  spreadsheet, with or without a byte-order mark, separated by ``,``, ``;``
  (Excel with Swedish settings) or tabs; UTF-8, else Windows-1252 (Excel's
  "CSV" without UTF-8). Rows with a blank label are not annotated yet: they
  are skipped and counted. Line numbers are spreadsheet rows (header = 1).
* ``.json``: a Label Studio export of the queue's tasks, full format
  (``annotations[].result[].value.choices``; the last annotation that was not
  cancelled counts) or JSON-MIN (``label`` beside the data). Line numbers are
  task positions, from 1.
* ``.jsonl``: doccano text classification (``text`` and a ``label`` list).

Labels are matched ignoring case, spaces, ``-`` and ``_``, and a few Swedish
names are understood (``SWEDISH_LABELS``). Every row is checked first; any
invalid row stops the import before anything is written, unless
``skip_invalid``, which writes the valid rows and reports the rest.

Where the rows go: a paragraph no one has labelled yet (by normalised text,
label files and ``agreement/`` included) goes to a new file
``labels/imported/<date>-<annotator>-<source>.jsonl``; one that another
annotator already labelled is a second annotation, written to
``labels/agreement/`` under the same name, which training never reads; one
this annotator already labelled is skipped, so importing a file twice adds
nothing. Existing label files are never rewritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mrp_classify.agreement import AgreementStats, agreement_stats
from mrp_classify.errors import MrpError
from mrp_classify.io import atomic_open, iter_jsonl, locked_folder
from mrp_classify.labelset import (
    AGREEMENT_DIR,
    Problem,
    Record,
    Schema,
    default_labels_dir,
    label_files,
    normalise_text,
    read_records,
)
from mrp_classify.suggest import paragraph_id

log = logging.getLogger(__name__)

IMPORTED_DIR = "imported"
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
META_COLUMNS = ("heading_path", "kommunkod", "kommun", "year", "file", "page", "note")
UNNAMED_ANNOTATOR = "(unnamed)"
SWEDISH_LABELS = {
    "ingen": "none",
    "inget": "none",
    "intern effektivisering": "internal_efficiency",
    "medborgarnära": "citizen_facing",
    "medborgarorienterad": "citizen_facing",
    "invånarriktad": "citizen_facing",
}
_ANNOTATOR_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class Row:
    """One annotated (or not yet annotated) paragraph as read from an import file."""

    line: int
    id: str
    text: str
    label: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Annotation:
    """An existing or new label of a paragraph, with where it is written."""

    annotator: str
    label: str
    where: str
    context: str


@dataclass(frozen=True)
class Disagreement:
    text: str
    new: Annotation
    others: tuple[Annotation, ...]


@dataclass
class ImportResult:
    source: Path
    annotator: str
    new_by_label: dict[str, int]
    second_annotations: int
    already_imported: int
    skipped_blank: int
    duplicates_in_file: int
    problems: list[Problem]
    disagreements: list[Disagreement]
    agreement: AgreementStats
    written: Path | None = None
    agreement_written: Path | None = None

    @property
    def new(self) -> int:
        return sum(self.new_by_label.values())


class InvalidRowsError(MrpError):
    """Rows that cannot be imported; nothing was written."""

    def __init__(self, source: Path, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(f"{source}: {len(self.problems)} invalid row(s), nothing written; fix "
                         "them (or pass --skip-invalid to import the valid rows)")


def map_label(raw: str, labels: Sequence[str]) -> str | None:
    """The schema label meant by ``raw`` (case, spaces, '-' and '_' ignored; Swedish names
    in ``SWEDISH_LABELS``), or None."""
    key = " ".join(raw.replace("_", " ").replace("-", " ").split()).casefold()
    for label in labels:
        if key == label.replace("_", " ").casefold():
            return label
    mapped = SWEDISH_LABELS.get(key)
    return mapped if mapped in labels else None


# ---------------------------------------------------------------- reading


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated.
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.info("%s: not UTF-8, read as Windows-1252 (Excel's plain CSV)", path)
        return data.decode("cp1252", errors="replace")


def read_csv_rows(path: Path) -> list[Row]:
    text = _decode(path)
    # A paragraph can be longer than the csv module's default field limit (131,072).
    csv.field_size_limit(1 << 30)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in ("text", "label") if name not in header]
    if missing:
        raise MrpError(f"{path}: no {' or '.join(repr(m) for m in missing)} column (found: "
                       f"{', '.join(header) or 'nothing'}); import the filled queue CSV")
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = dict(zip(header, cells, strict=False))
        rows.append(Row(number, values.get("id", "").strip(), values.get("text", ""),
                        values.get("label", "").strip(),
                        {k: values[k].strip() for k in META_COLUMNS if values.get(k)}))
    return rows


def _meta(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(data[k]).strip() for k in META_COLUMNS
            if data.get(k) is not None and str(data[k]).strip()}


def _labelstudio_choice(task: dict[str, Any]) -> tuple[list[str], str]:
    """The chosen labels and note of a task's last annotation that was not cancelled."""
    annotations = task.get("annotations") or task.get("completions") or []
    for annotation in reversed(annotations):
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        choices: list[str] = []
        note = ""
        for result in annotation.get("result") or []:
            value = result.get("value") if isinstance(result, dict) else None
            if not isinstance(value, dict):
                continue
            choices.extend(str(c) for c in value.get("choices") or [])
            if value.get("text"):
                texts = value["text"]
                note = " ".join(str(t) for t in (texts if isinstance(texts, list) else [texts]))
        if choices:
            return choices, note
    return [], ""


def read_labelstudio_rows(path: Path) -> tuple[list[Row], list[Problem]]:
    try:
        tasks = json.loads(_decode(path))
    except json.JSONDecodeError as exc:
        raise MrpError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); export the Label "
                       "Studio project as JSON") from exc
    except RecursionError:
        raise MrpError(f"{path}: JSON nested too deeply to be a Label Studio export; export "
                       "the project as JSON again") from None
    if not isinstance(tasks, list):
        raise MrpError(f"{path}: not a Label Studio export (expected a list of tasks)")
    rows, problems = [], []
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            problems.append(Problem(str(path), number, "task is not a JSON object"))
            continue
        if isinstance(task.get("data"), dict):
            data = task["data"]
            choices, note = _labelstudio_choice(task)
        else:  # JSON-MIN: the data and the chosen label side by side
            data = task
            value = task.get("label")
            if isinstance(value, dict):
                value = value.get("choices")
            choices = [str(v) for v in value] if isinstance(value, list) else (
                [str(value)] if value else [])
            note = str(task.get("note") or "")
        meta = _meta(data)
        if note.strip():
            meta["note"] = note.strip()
        if not isinstance(data.get("text", ""), str):
            problems.append(Problem(str(path), number, "'text' is not a string (a list or an "
                                    "object); export the tasks' text field as text"))
            continue
        if len(choices) > 1:
            problems.append(Problem(str(path), number, f"several labels chosen {choices}; "
                                    "choose one"))
            continue
        rows.append(Row(number, str(data.get("id") or "").strip(), str(data.get("text") or ""),
                        choices[0].strip() if choices else "", meta))
    return rows, problems


def read_doccano_rows(path: Path) -> tuple[list[Row], list[Problem]]:
    rows, problems = [], []
    for number, record, problem in iter_jsonl(_decode(path).splitlines()):
        if record is None:
            problems.append(Problem(str(path), number, problem))
            continue
        value = record.get("label", record.get("labels"))
        labels = value if isinstance(value, list) else ([value] if value else [])
        if not all(isinstance(v, str) for v in labels):
            problems.append(Problem(str(path), number, "label must be a list of label names "
                                    "(export the doccano project as text classification)"))
            continue
        if len(labels) > 1:
            problems.append(Problem(str(path), number, f"several labels {labels}; keep one"))
            continue
        extra = record.get("meta") or {}
        if not isinstance(extra, dict):
            problems.append(Problem(str(path), number, "'meta' is not an object; export the "
                                    "doccano project again"))
            continue
        if not isinstance(record.get("text", ""), str):
            problems.append(Problem(str(path), number, "'text' is not a string"))
            continue
        meta = {**_meta(extra), **_meta(record)}
        # doccano's own ids are database integers; only a queue id (a string) is kept.
        record_id = record.get("id") if isinstance(record.get("id"), str) else ""
        rows.append(Row(number, str(record_id).strip(), str(record.get("text") or ""),
                        labels[0].strip() if labels else "", meta))
    return rows, problems


def read_rows(path: Path) -> tuple[list[Row], list[Problem]]:
    """The rows of an import file and the problems found while reading it."""
    path = Path(path)
    if not path.is_file():
        raise MrpError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_csv_rows(path), []
    if suffix == ".json":
        return read_labelstudio_rows(path)
    if suffix == ".jsonl":
        return read_doccano_rows(path)
    raise MrpError(f"{path}: unknown format; give a .csv (filled queue), .json (Label Studio "
                   "export) or .jsonl (doccano export)")


# ---------------------------------------------------------------- checking


def _int_field(value: str) -> int | None:
    """A whole number as a spreadsheet may show it ("12" or "12.0"), else None."""
    match = re.fullmatch(r"(\d+)(?:[.,]0+)?", value.strip())
    return int(match.group(1)) if match else None


class _InvalidRow(Exception):
    """A reason why one row cannot be imported."""


def _record(row: Row, label: str, annotator: str, source: str) -> dict[str, Any]:
    """The label record of a row; raises _InvalidRow with the reason it cannot be one."""
    meta = row.meta
    code = meta.get("kommunkod", "")
    if code.isdigit() and len(code) < 4:
        code = code.zfill(4)  # a spreadsheet drops the leading zero of "0180"
    if code and not re.fullmatch(r"\d{4}", code):
        raise _InvalidRow(f"kommunkod '{meta['kommunkod']}' is not four digits")
    numbers: dict[str, int] = {}
    for name in ("year", "page"):
        if meta.get(name):
            number = _int_field(meta[name])
            if number is None:
                raise _InvalidRow(f"{name} '{meta[name]}' is not a whole number")
            numbers[name] = number
    year = numbers.get("year")
    text = row.text.strip()
    record: dict[str, Any] = {
        "id": row.id or paragraph_id(code, str(year or ""), text),
        "text": text,
        "label": label,
        "municipality_code": code,
        "municipality": meta.get("kommun"),
        "year": year,
        "doc_id": f"{code}-{year}" if code and year else meta.get("file"),
        "file": meta.get("file"),
        "page": numbers.get("page"),
        "heading_path": meta.get("heading_path"),
        "annotator": annotator,
        "source": source,
        "note": meta.get("note"),
    }
    return {k: v for k, v in record.items() if v is not None and v != ""}


def _context(meta: dict[str, Any]) -> str:
    parts = [str(meta[k]) for k in ("municipality_code", "municipality", "year", "file")
             if meta.get(k)]
    if meta.get("page"):
        parts.append(f"p. {meta['page']}")
    return " ".join(parts)


def _existing(labels_dir: Path, schema: Schema) -> tuple[list[Record], list[Record]]:
    """The records of the label files and of ``agreement/`` under ``labels_dir``."""
    def read(path: Path) -> list[Record]:
        try:
            label_files([path])
        except MrpError:
            return []  # no label files yet
        records, problems = read_records([path], schema)
        if problems:
            log.warning("%s: %d problem(s) in existing labels; run 'mrp-classify labels "
                        "validate'", path, len(problems))
        return records

    agreement_dir = labels_dir / AGREEMENT_DIR
    return read(labels_dir), read(agreement_dir) if agreement_dir.is_dir() else []


def _output_name(labels_dir: Path, annotator: str, source: Path, today: dt.date) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", source.stem).strip("-.") or "import"
    base = f"{today.isoformat()}-{annotator}-{stem}"
    counter = 1
    while True:
        name = f"{base}.jsonl" if counter == 1 else f"{base}-{counter}.jsonl"
        if not any((labels_dir / folder / name).exists() for folder in (IMPORTED_DIR,
                                                                         AGREEMENT_DIR)):
            return name
        counter += 1


def _write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> None:
    with atomic_open(path) as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


class _Sorter:
    """Sorts the rows of one import into new paragraphs, second annotations of paragraphs
    that others labelled, and repeats; invalid rows become problems."""

    def __init__(self, source: Path, annotator: str, labels: Sequence[str],
                 main: Sequence[Record], second: Sequence[Record]) -> None:
        self.source = source
        self.annotator = annotator
        self.labels = labels
        self.earlier: dict[str, list[tuple[Annotation, Record]]] = {}
        for record in (*main, *second):
            annotation = Annotation(str(record.meta.get("annotator") or UNNAMED_ANNOTATOR),
                                    record.label, f"{record.file}:{record.line}",
                                    _context(record.meta))
            self.earlier.setdefault(normalise_text(record.text), []).append((annotation, record))
        self.text_of_label_id = {record.id: normalise_text(record.text) for record in main}
        self.in_file: dict[str, tuple[int, str]] = {}  # normalised text → (line, label)
        self.ids_in_file: dict[str, tuple[int, str]] = {}  # id → (line, normalised text)
        self.new: list[dict[str, Any]] = []
        self.second: list[dict[str, Any]] = []
        self.disagreements: list[Disagreement] = []
        self.problems: list[Problem] = []
        self.counts: Counter[str] = Counter()

    def add(self, row: Row) -> None:
        if not row.label:
            self.counts["blank"] += 1
            return
        try:
            self._place(row)
        except _InvalidRow as exc:
            self.problems.append(Problem(str(self.source), row.line, str(exc)))

    def _place(self, row: Row) -> None:
        label = map_label(row.label, self.labels)
        if label is None:
            raise _InvalidRow(f"unknown label '{row.label}' (expected one of "
                              f"{', '.join(self.labels)}, or a Swedish name: "
                              f"{', '.join(SWEDISH_LABELS)})")
        if not row.text.strip():
            raise _InvalidRow("empty text")
        record = _record(row, label, self.annotator, self.source.name)
        key = normalise_text(record["text"])
        if key in self.in_file:
            first_line, first_label = self.in_file[key]
            if first_label != label:
                raise _InvalidRow(f"same text as line {first_line} but label '{label}' vs "
                                  f"'{first_label}'; keep one")
            self.counts["duplicate"] += 1
            return
        self.in_file[key] = (row.line, label)
        other_line, other_text = self.ids_in_file.setdefault(record["id"], (row.line, key))
        if other_text != key:
            raise _InvalidRow(f"id '{record['id']}' is also used on line {other_line} for "
                              "another text; clear one of the ids")
        earlier = self.earlier.get(key, [])
        mine = [annotation for annotation, _ in earlier if annotation.annotator == self.annotator]
        if mine:
            if any(annotation.label != label for annotation in mine):
                raise _InvalidRow(f"you labelled this paragraph '{mine[0].label}' in "
                                  f"{mine[0].where}; to change it, edit that line")
            self.counts["already"] += 1
        elif earlier:
            # The paragraph keeps the id it has in the label files.
            record["id"] = earlier[0][1].id
            self.second.append(record)
            others = tuple(annotation for annotation, _ in earlier)
            if any(annotation.label != label for annotation in others):
                new = Annotation(self.annotator, label, f"{self.source}:{row.line}",
                                 _context(record))
                self.disagreements.append(Disagreement(record["text"], new, others))
        elif self.text_of_label_id.get(record["id"], key) != key:
            raise _InvalidRow(f"id '{record['id']}' is already used for another paragraph in "
                              "the labels; clear the id cell to get a new one")
        else:
            self.new.append(record)


def import_labels(source: Path, annotator: str, labels_dir: Path | None = None,
                  skip_invalid: bool = False, today: dt.date | None = None) -> ImportResult:
    """Check every row of ``source``, then write its new paragraphs and second annotations
    (see the module docstring). Raises InvalidRowsError, writing nothing, when a row is
    invalid and not ``skip_invalid``."""
    source = Path(source)
    if not _ANNOTATOR_RE.fullmatch(annotator):
        raise MrpError(f"--annotator {annotator!r}: use letters, digits, '.', '-' or '_' "
                       "(it becomes part of a file name)")
    labels_dir = Path(labels_dir) if labels_dir else default_labels_dir()
    if not labels_dir.is_dir():
        raise MrpError(f"{labels_dir}: no such labels folder; pass --labels DIR")
    schema = Schema.load()
    rows, problems = read_rows(source)
    main, second = _existing(labels_dir, schema)
    sorter = _Sorter(source, annotator, schema.labels, main, second)
    for row in rows:
        sorter.add(row)
    problems += sorter.problems
    if problems and not skip_invalid:
        raise InvalidRowsError(source, problems)
    result = ImportResult(
        source=source, annotator=annotator,
        new_by_label={label: sum(1 for r in sorter.new if r["label"] == label)
                      for label in schema.labels},
        second_annotations=len(sorter.second), already_imported=sorter.counts["already"],
        skipped_blank=sorter.counts["blank"], duplicates_in_file=sorter.counts["duplicate"],
        problems=problems, disagreements=sorter.disagreements,
        agreement=_agreement([*main, *second], [*sorter.new, *sorter.second]))
    if sorter.new or sorter.second:
        with locked_folder(labels_dir, (f"{IMPORTED_DIR}/.*.tmp", f"{AGREEMENT_DIR}/.*.tmp"),
                           "another 'labels import' is writing here; wait for it"):
            name = _output_name(labels_dir, annotator, source, today or dt.date.today())
            if sorter.new:
                result.written = labels_dir / IMPORTED_DIR / name
                _write_jsonl(result.written, sorter.new)
            if sorter.second:
                result.agreement_written = labels_dir / AGREEMENT_DIR / name
                _write_jsonl(result.agreement_written, sorter.second)
    return result


def _agreement(existing: Sequence[Record], added: Sequence[dict[str, Any]]) -> AgreementStats:
    units: dict[str, dict[str, str]] = {}
    for record in existing:
        annotator = str(record.meta.get("annotator") or UNNAMED_ANNOTATOR)
        units.setdefault(normalise_text(record.text), {})[annotator] = record.label
    for raw in added:
        units.setdefault(normalise_text(raw["text"]), {})[raw["annotator"]] = raw["label"]
    return agreement_stats(units)


def format_result(result: ImportResult) -> str:
    """The import report for the terminal."""
    lines = []
    if result.written:
        per_label = ", ".join(f"{label} {count}" for label, count in result.new_by_label.items())
        lines.append(f"{result.new} new paragraph(s) → {result.written} ({per_label})")
    if result.agreement_written:
        lines.append(f"{result.second_annotations} second annotation(s) of paragraphs labelled "
                     f"by others → {result.agreement_written}")
    if not (result.written or result.agreement_written):
        lines.append("0 new paragraphs, 0 second annotations: nothing written")
    skipped = [f"{result.already_imported} already imported by {result.annotator}",
               f"{result.skipped_blank} without a label yet",
               f"{result.duplicates_in_file} repeated in the file"]
    lines.append("skipped: " + ", ".join(skipped))
    if result.problems:
        lines.append(f"{len(result.problems)} invalid row(s) left out (--skip-invalid)")
    if result.disagreements:
        lines.append(f"{len(result.disagreements)} paragraph(s) labelled differently by "
                     "another annotator; review them (correct a wrong label in its line of the "
                     "label file, not in agreement/):")
        for item in result.disagreements:
            excerpt = " ".join(item.text.split())
            excerpt = excerpt if len(excerpt) <= 100 else excerpt[:97] + "..."
            lines.append(f"  \"{excerpt}\"")
            for annotation in (item.new, *item.others):
                context = f"; {annotation.context}" if annotation.context else ""
                lines.append(f"    {annotation.annotator}: {annotation.label}  "
                             f"({annotation.where}{context})")
    lines.append(result.agreement.describe())
    return "\n".join(lines)


def second_annotation_agreement(labels_dir: Path) -> tuple[AgreementStats, AgreementStats]:
    """Agreement of the second annotations in ``labels_dir/agreement/`` with the labels
    they re-annotate: over all annotators (Krippendorff's alpha), and as two fixed roles,
    first label against second (Cohen's kappa)."""
    agreement_dir = labels_dir / AGREEMENT_DIR
    existing, _ = read_records([labels_dir])
    second, _ = read_records(sorted(agreement_dir.glob("*.jsonl"))) if agreement_dir.is_dir() \
        else ([], [])
    first = {normalise_text(r.text): r.label for r in existing}
    added = [{"text": r.text, "label": r.label,
              "annotator": str(r.meta.get("annotator") or UNNAMED_ANNOTATOR)}
             for r in second if normalise_text(r.text) in first]
    roles = {normalise_text(raw["text"]): {"first": first[normalise_text(raw["text"])],
                                           "second": raw["label"]} for raw in added}
    return _agreement(existing, added), agreement_stats(roles)
