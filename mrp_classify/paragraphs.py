"""Paragraph-level commands: classify a JSONL stream, evaluate on labelled paragraphs."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from mrp_classify.errors import MrpError
from mrp_classify.evaluation import evaluate_records
from mrp_classify.inference.model import Classifier
from mrp_classify.io import atomic_open, iter_jsonl, refuse_overwrite, write_json_atomic
from mrp_classify.labelset import load_valid

log = logging.getLogger(__name__)

CHUNK = 512


def _read_chunks(handle: IO[str], path: Path) -> Iterator[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    for line_number, record, problem in iter_jsonl(handle):
        if record is None:
            raise MrpError(f"{path}:{line_number}: {problem}")
        if "text" not in record or "id" not in record:
            raise MrpError(f"{path}:{line_number}: each record needs 'id' and 'text'")
        if not isinstance(record["text"], str):
            raise MrpError(f"{path}:{line_number}: 'text' must be a string")
        chunk.append((str(record["id"]), record["text"]))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def predict_jsonl(input_path: Path, out_path: Path, model_dir: Path, threads: int | None = None,
                  force: bool = False, progress: bool = True) -> int:
    """Stream records with id/text through the model; the output appears only when complete."""
    if not Path(input_path).is_file():
        raise MrpError(f"{input_path}: no such file")
    refuse_overwrite(out_path, force)
    classifier = Classifier(model_dir, threads)
    labels = classifier.labels
    count = 0
    bar = tqdm(desc="paragraphs", unit="par", file=sys.stderr,
               disable=not (progress and sys.stderr.isatty()))
    with open(input_path, encoding="utf-8") as source, atomic_open(out_path) as sink:
        for chunk in _read_chunks(source, Path(input_path)):
            probs = classifier.predict_proba([text for _, text in chunk])
            for (record_id, _), row in zip(chunk, probs, strict=True):
                result: dict[str, Any] = {"id": record_id, "label": labels[int(row.argmax())]}
                result.update({f"p_{label}": round(float(p), 6)
                               for label, p in zip(labels, row, strict=True)})
                sink.write(json.dumps(result, ensure_ascii=False) + "\n")
            count += len(chunk)
            bar.update(len(chunk))
    bar.close()
    return count


def evaluate_labels(labels_path: Path, model_dir: Path, json_out: Path | None = None,
                    force: bool = False) -> dict[str, Any]:
    """Metrics of the model on labelled paragraphs; labels unknown to the model are an error."""
    if json_out is not None:
        refuse_overwrite(json_out, force)
    records = load_valid([Path(labels_path)])
    try:
        report = evaluate_records(Path(model_dir), records).report
    except MrpError as exc:
        raise MrpError(f"{labels_path}: {exc}") from None
    report["model"] = str(model_dir)
    if json_out is not None:
        write_json_atomic(json_out, report)
    return report
