"""Labelled paragraphs: the schema, loading, validation and statistics.

Label files are JSONL as specified in labels/GUIDE.md. Validation reports every
problem as ``file:line: reason`` so annotators can jump straight to it.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError
from mrp_classify.io import iter_jsonl
from mrp_classify.paths import bundled_path, workspace

SCHEMA_FILE = "schema.json"
# Second annotations of already-labelled paragraphs: read by the agreement statistics,
# never by training (a paragraph must have one label there).
AGREEMENT_DIR = "agreement"
_TYPES: dict[str, type | tuple[type, ...]] = {"str": str, "int": int, "bool": bool, "list": list}


def default_labels_dir() -> Path:
    """The workspace's labels folder: what commands read, and where imports are written."""
    return workspace() / "labels"


def schema_file() -> Path:
    """The workspace's own ``labels/schema.json``, else the one shipped with the package."""
    own = default_labels_dir() / SCHEMA_FILE
    return own if own.is_file() else bundled_path(f"labels/{SCHEMA_FILE}")


@dataclass(frozen=True)
class Schema:
    labels: tuple[str, ...]
    required_fields: tuple[str, ...]
    optional_fields: dict[str, str]
    tags: frozenset[str]

    @classmethod
    def load(cls, path: Path | None = None) -> Schema:
        path = path or schema_file()
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise MrpError(f"{path}: label schema not found; copy mrp-classify's "
                           "labels/schema.json there, or reinstall the package") from exc
        return cls(
            labels=tuple(item["name"] for item in raw["labels"]),
            required_fields=tuple(raw["required_fields"]),
            optional_fields=dict(raw["optional_fields"]),
            tags=frozenset(raw.get("tags", [])),
        )


@dataclass(frozen=True)
class Record:
    """One labelled paragraph and where it came from."""

    id: str
    text: str
    label: str
    file: str
    line: int
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def group(self) -> str:
        """The unit kept on one side of a split: municipality, else document, else the id."""
        return str(self.meta.get("municipality_code") or self.meta.get("doc_id") or self.id)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def normalise_text(text: str) -> str:
    """Key for duplicate detection: case and whitespace differences do not count."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def label_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(
                p for p in path.rglob("*.jsonl")
                if not p.name.startswith(".")
                and AGREEMENT_DIR not in p.relative_to(path).parts[:-1]))
        elif path.is_file():
            files.append(path)
        else:
            raise MrpError(f"{path}: no such file or folder")
    if not files:
        raise MrpError(f"{', '.join(map(str, paths))}: no .jsonl label files found")
    return files


def _check_record(raw: Any, schema: Schema, where: tuple[str, int]) -> list[Problem]:
    file, line = where
    if not isinstance(raw, dict):
        return [Problem(file, line, "not a JSON object")]
    problems = []
    for name in schema.required_fields:
        if name not in raw:
            problems.append(Problem(file, line, f"missing required field '{name}'"))
    for name, value in raw.items():
        if name in schema.required_fields:
            if not isinstance(value, str):
                problems.append(Problem(file, line, f"field '{name}' must be a string"))
            continue
        expected = schema.optional_fields.get(name)
        if expected is None:
            allowed = ", ".join(list(schema.required_fields) + sorted(schema.optional_fields))
            problems.append(Problem(file, line, f"unknown field '{name}' (allowed: {allowed})"))
        elif value is not None and (not isinstance(value, _TYPES[expected])
                                    or (expected == "int" and isinstance(value, bool))):
            problems.append(Problem(file, line, f"field '{name}' must be {expected}"))
    label = raw.get("label")
    if isinstance(label, str) and label not in schema.labels:
        hint = ""
        folded = label.strip().lower().replace(" ", "_").replace("-", "_")
        if folded in schema.labels:
            hint = f"; did you mean '{folded}'?"
        problems.append(Problem(file, line, f"unknown label '{label}' "
                                f"(expected one of {', '.join(schema.labels)}){hint}"))
    text = raw.get("text")
    if isinstance(text, str) and not text.strip():
        problems.append(Problem(file, line, "empty text"))
    tags = raw.get("tags")
    if isinstance(tags, list):
        unknown = [t for t in tags if t not in schema.tags]
        if unknown:
            problems.append(Problem(file, line, f"unknown tag(s) {unknown}"))
    return problems


def read_records(paths: Sequence[Path], schema: Schema | None = None
                 ) -> tuple[list[Record], list[Problem]]:
    """Read every label file; return the valid records and all problems found."""
    schema = schema or Schema.load()
    records: list[Record] = []
    problems: list[Problem] = []
    for path in label_files(paths):
        with open(path, encoding="utf-8") as handle:
            for line_number, raw, problem in iter_jsonl(handle):
                if raw is None:
                    problems.append(Problem(str(path), line_number, problem))
                    continue
                found = _check_record(raw, schema, (str(path), line_number))
                if found:
                    problems.extend(found)
                    continue
                meta = {k: v for k, v in raw.items() if k not in ("id", "text", "label")}
                records.append(Record(raw["id"], raw["text"], raw["label"], str(path),
                                      line_number, meta))
    second = [r for r in records if AGREEMENT_DIR in Path(r.file).parts]
    problems.extend(find_conflicts([r for r in records if AGREEMENT_DIR not in
                                    Path(r.file).parts]))
    problems.extend(_second_annotation_conflicts(second))
    return records, problems


def _second_annotation_conflicts(records: Iterable[Record]) -> list[Problem]:
    """Second annotations share ids and texts by design (several annotators label the same
    paragraph, and may disagree): only the same annotator twice on one id is a problem."""
    problems = []
    first: dict[tuple[str, str], Record] = {}
    for record in records:
        key = (record.id, str(record.meta.get("annotator", "")))
        seen = first.setdefault(key, record)
        if seen is not record:
            problems.append(Problem(record.file, record.line, f"'{key[1]}' labelled id "
                                    f"'{record.id}' twice (first at {seen.file}:{seen.line}); "
                                    "keep one"))
    return problems


def find_conflicts(records: Iterable[Record]) -> list[Problem]:
    """Duplicate ids, duplicate texts, and the same text with different labels."""
    problems = []
    first_by_id: dict[str, Record] = {}
    first_by_text: dict[str, Record] = {}
    for record in records:
        seen = first_by_id.get(record.id)
        if seen is not None:
            problems.append(Problem(record.file, record.line, f"duplicate id '{record.id}' "
                                    f"(first at {seen.file}:{seen.line})"))
        else:
            first_by_id[record.id] = record
        key = normalise_text(record.text)
        seen = first_by_text.get(key)
        if seen is None:
            first_by_text[key] = record
        elif seen.label != record.label:
            problems.append(Problem(
                record.file, record.line,
                f"same text as {seen.file}:{seen.line} but label '{record.label}' vs "
                f"'{seen.label}'; agree on one label and delete the other line"))
        else:
            problems.append(Problem(record.file, record.line, "duplicate text (first at "
                                    f"{seen.file}:{seen.line}); delete it"))
    return problems


def load_valid(paths: Sequence[Path], schema: Schema | None = None) -> list[Record]:
    """Records for training; any validation problem is an error listing the first few."""
    records, problems = read_records(paths, schema)
    if problems:
        shown = "; ".join(str(p) for p in problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise MrpError(f"{shown}{more} — run 'mrp-classify labels validate' for the full list")
    return records


def data_hash(records: Iterable[Record]) -> str:
    """Content hash of the training data: ids, normalised texts and labels, order-free."""
    lines = sorted(f"{r.id}\t{normalise_text(r.text)}\t{r.label}" for r in records)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _length_summary(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"min": ordered[0], "median": statistics.median(ordered),
            "p90": ordered[int(0.9 * (len(ordered) - 1))], "max": ordered[-1]}


def stats(records: Sequence[Record], schema: Schema | None = None) -> dict[str, Any]:
    """Counts per label, source, annotator, tag, and length in words."""
    schema = schema or Schema.load()
    per_label = Counter(r.label for r in records)
    words = [len(r.text.split()) for r in records]
    digital_word = re.compile(r"digital", re.IGNORECASE)
    positives = [r for r in records if r.label != "none"]
    return {
        "paragraphs": len(records),
        "labels": {label: per_label.get(label, 0) for label in schema.labels},
        "label_share": {label: round(per_label.get(label, 0) / max(1, len(records)), 4)
                        for label in schema.labels},
        "sources": dict(Counter(str(r.meta.get("source", "?")) for r in records).most_common()),
        "annotators": dict(Counter(str(r.meta.get("annotator", "?")) for r in records)
                           .most_common()),
        "tags": dict(sorted(Counter(t for r in records for t in r.meta.get("tags", [])).items())),
        "hard_negatives": sum(1 for r in records if r.label == "none"
                              and any(t.startswith("hn_") for t in r.meta.get("tags", []))),
        "positives_without_digital_word": sum(1 for r in positives
                                              if not digital_word.search(r.text)),
        "ambiguous": sum(1 for r in records if r.meta.get("ambiguous")),
        "documents": len({r.meta.get("doc_id") for r in records if r.meta.get("doc_id")}),
        "groups": len({r.group for r in records}),
        "words": _length_summary(words),
        "words_per_label": {label: _length_summary([len(r.text.split()) for r in records
                                                    if r.label == label])
                            for label in schema.labels},
    }
