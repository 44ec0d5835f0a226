"""The main job: documents in; paragraph predictions, municipality profiles and a report out.

Each finished document is stored at once, atomically, as one JSON file under
``OUT/.state/<model fingerprint>/<sha256 of the file>.json``; the CSVs and the
summary are always rebuilt from those files at the end. So a run killed at any
point loses at most the document in progress, ``resume=True`` skips what is
done, and an interrupted-then-resumed run writes the same bytes as an
uninterrupted one. Failed documents are not stored: a resumed run tries them
again.

Outputs (all written atomically): ``documents.csv``, ``paragraphs.csv``,
``municipalities.csv``, ``summary.json`` and ``report.html``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import csv
import hashlib
import json
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Generator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from mrp_classify.errors import MrpError
from mrp_classify.inference import aggregate
from mrp_classify.inference.ingest import SUPPORTED_SUFFIXES, Limits, read_document
from mrp_classify.inference.model import MODEL_JSON, Classifier, ModelFolderError, ModelInfo
from mrp_classify.inference.municipalities import (
    SOURCE_MANIFEST,
    Resolution,
    municipalities,
    read_manifest,
    resolve,
)
from mrp_classify.inference.report import write_report
from mrp_classify.inference.segment import segment
from mrp_classify.io import atomic_open, sha256_file, write_csv_atomic, write_json_atomic

log = logging.getLogger(__name__)

STATE_DIR = ".state"
STATE_VERSION = 1
SUMMARY_VERSION = 1
HEADING_SEPARATOR = " > "

DOCUMENT_COLUMNS = (
    "file", "status", "error", "sha256", "format", "kommunkod", "kommun", "year",
    "municipality_source", "municipality_note", "pages", "paragraphs", "classified_paragraphs",
    "words", "chars_per_page", "empty_pages", "health_flag",
)
PARAGRAPH_COLUMNS = (
    "file", "kommunkod", "year", "page", "index", "heading_path", "kind", "text", "label",
)


class ClassifierLike(Protocol):
    """What the run needs of a classifier (``model.Classifier``, or a fake in tests)."""

    @property
    def labels(self) -> tuple[str, ...]: ...

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class RunResult:
    documents: int
    ok: int
    errors: int
    unresolved: int
    resumed: int
    paragraphs: int
    profiles: int
    report: Path | None
    exit_code: int


@dataclass(frozen=True)
class Extraction:
    """What the model and the outputs need of a read and segmented document."""

    format: str
    title_text: str
    pages: int
    chars_per_page: float
    empty_pages: int
    health_flag: str | None
    paragraphs: int
    words: int
    to_classify: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class _Input:
    path: Path
    file: str


def display_path(path: Path) -> str:
    """The path relative to the current folder when it lies inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_posix()


def collect_documents(paths: Sequence[Path], exclude: Path | None = None) -> list[Path]:
    """Files as named, plus the supported files found recursively in folders; hidden files
    and folders, Office lock files (``~$x.docx``) and anything under ``exclude`` skipped.
    Sorted by display path, each file once."""
    found: dict[Path, Path] = {}
    excluded = Path(os.path.abspath(exclude)) if exclude is not None else None
    for given in paths:
        given = Path(given)
        if given.is_file():
            found.setdefault(Path(os.path.abspath(given)), given)
        elif given.is_dir():
            for candidate in given.rglob("*"):
                relative = candidate.relative_to(given).parts
                absolute = Path(os.path.abspath(candidate))
                if (
                    candidate.is_file()
                    and candidate.suffix.lower() in SUPPORTED_SUFFIXES
                    and not any(part.startswith(".") for part in relative)
                    and not candidate.name.startswith("~$")
                    and not (excluded and absolute.is_relative_to(excluded))
                ):
                    found.setdefault(absolute, candidate)
        else:
            raise MrpError(f"{given}: no such file or folder")
    if not found:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise MrpError(
            f"{', '.join(str(p) for p in paths)}: no documents found (supported: {supported})"
        )
    return sorted(found.values(), key=display_path)


def model_fingerprint(model_dir: Path) -> str:
    """sha256 over the ONNX file and model.json: a new export never reuses old results."""
    model_dir = Path(model_dir)
    info = ModelInfo.load(model_dir)
    digest = hashlib.sha256()
    for name in (info.onnx_file, MODEL_JSON):
        path = model_dir / name
        if not path.is_file():
            raise ModelFolderError(f"{path}: not found; the model folder is incomplete")
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def extract_document(path: str, limits: Limits) -> Extraction | str:
    """Read and segment one document; a failure comes back as its one-line message.

    Runs in a worker process: it returns plain data, never raises.
    """
    try:
        document = read_document(Path(path), limits)
        paragraphs = segment(document)
    except MrpError as exc:
        return _one_line(str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the batch
        log.debug("%s: unexpected error", path, exc_info=True)
        return _one_line(f"{path}: cannot read ({type(exc).__name__}: {exc})")
    health = document.health
    return Extraction(
        format=document.format,
        title_text=document.title_text,
        pages=health.pages,
        chars_per_page=health.chars_per_page,
        empty_pages=health.empty_pages,
        health_flag=health.flag,
        paragraphs=len(paragraphs),
        words=sum(p.words for p in paragraphs),
        to_classify=tuple(
            {"page": p.page, "index": p.index, "heading_path": list(p.heading_path),
             "kind": p.kind, "text": p.text}
            for p in paragraphs
            if p.classify
        ),
    )


Reader = Callable[[str, Limits], Extraction | str]


def read_documents(
    files: Sequence[str], limits: Limits, workers: int = 1, reader: Reader = extract_document
) -> Generator[tuple[str, Extraction | str], None, None]:
    """(file, extraction or error) in input order; with ``workers`` > 1 the reading runs in a
    process pool, ahead of the consumer, so it overlaps with the model.

    A worker that dies (a file that crashes a parser library) breaks the pool: the
    files that were in flight are then retried one at a time in a fresh pool, so
    only the culprit is reported as an error.
    """
    if workers <= 1 or len(files) <= 1:
        for file in files:
            yield file, reader(file, limits)
        return
    queue = collections.deque(files)
    isolate: set[str] = set()
    in_flight: collections.deque[tuple[str, concurrent.futures.Future[Extraction | str]]]
    in_flight = collections.deque()
    context = multiprocessing.get_context("spawn")  # no fork of a threaded ONNX process
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        while queue or in_flight:
            while queue and len(in_flight) < 2 * workers:
                alone = queue[0] in isolate or any(f in isolate for f, _ in in_flight)
                if alone and in_flight:
                    break
                file = queue.popleft()
                in_flight.append((file, pool.submit(reader, file, limits)))
            file, future = in_flight.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=workers, mp_context=context
                )
                if file in isolate:
                    yield file, f"{file}: the reader process crashed on this file"
                    continue
                retry = [file] + [f for f, _ in in_flight]
                in_flight.clear()
                isolate.update(retry)
                queue.extendleft(reversed(retry))
                continue
            yield file, result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _state_path(out_dir: Path, fingerprint: str, sha256: str) -> Path:
    return out_dir / STATE_DIR / fingerprint / f"{sha256}.json"


def _load_state(
    path: Path, sha256: str, fingerprint: str, labels: Sequence[str]
) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        log.warning("%s: unreadable state file, the document is processed again (%s)", path, exc)
        return None
    if (
        not isinstance(state, dict)
        or state.get("state_version") != STATE_VERSION
        or state.get("sha256") != sha256
        or state.get("model_fingerprint") != fingerprint
        or state.get("labels") != list(labels)
    ):
        log.warning("%s: state file from another version, the document is processed again", path)
        return None
    return state


def _state(
    sha256: str, fingerprint: str, labels: Sequence[str], extraction: Extraction,
    probabilities: np.ndarray,
) -> dict[str, Any]:
    classified = [
        dict(paragraph, probabilities=[float(p) for p in row])
        for paragraph, row in zip(extraction.to_classify, probabilities, strict=True)
    ]
    return {
        "state_version": STATE_VERSION,
        "sha256": sha256,
        "model_fingerprint": fingerprint,
        "labels": list(labels),
        "format": extraction.format,
        "title_text": extraction.title_text,
        "pages": extraction.pages,
        "chars_per_page": extraction.chars_per_page,
        "empty_pages": extraction.empty_pages,
        "health_flag": extraction.health_flag,
        "paragraphs": extraction.paragraphs,
        "words": extraction.words,
        "classified": classified,
    }


def _check_out_dir(out_dir: Path, resume: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise MrpError(f"{out_dir}: not a folder; choose another --out")
    if not resume and out_dir.is_dir() and any(out_dir.iterdir()):
        raise MrpError(f"{out_dir}: not empty; pass --resume to continue or choose another --out")


def _resolution(
    path: Path, title_text: str, manifest: dict[Path, tuple[str, int | None]], manifest_name: str,
) -> Resolution:
    detected = resolve(path.name, title_text)
    entry = manifest.get(path.resolve())
    if entry is None:
        return detected
    code, year = entry
    note = f"from {manifest_name}"
    if year is None:
        year = detected.year
        note += "" if year is not None else "; no year in the manifest, file name or title"
    return Resolution(code, year, SOURCE_MANIFEST, note)


def _empty(value: object) -> object:
    return "" if value is None else value


def run(
    paths: Sequence[Path],
    out_dir: Path,
    model_dir: Path,
    manifest: Path | None = None,
    resume: bool = False,
    workers: int = 1,
    threads: int | None = None,
    quiet: bool = False,
    limits: Limits | None = None,
    classifier: ClassifierLike | None = None,
) -> RunResult:
    """Classify every document under ``paths`` and write the outputs to ``out_dir``.

    ``classifier`` defaults to ``Classifier(model_dir, threads)``; the model folder is always
    read for its fingerprint, name and version. Exit code 0 when every document was
    read and matched to a municipality and year and the report was written, else 1.
    """
    if workers < 1:
        raise MrpError(f"--workers {workers}: must be at least 1")
    if threads is not None and threads < 1:
        raise MrpError(f"--threads {threads}: must be at least 1")
    limits = limits or Limits()
    out_dir = Path(out_dir)
    model_dir = Path(model_dir)
    _check_out_dir(out_dir, resume)
    files = collect_documents(paths, exclude=out_dir)
    manifest_entries = read_manifest(manifest) if manifest is not None else {}
    info = ModelInfo.load(model_dir)
    fingerprint = model_fingerprint(model_dir)
    if classifier is None:
        classifier = Classifier(model_dir, threads)
    labels = tuple(classifier.labels)
    aggregate.check_labels(labels)
    out_dir.mkdir(parents=True, exist_ok=True)

    inputs = [_Input(path, display_path(path)) for path in files]
    if manifest_entries:
        known = {path.resolve() for path in files}
        for listed in sorted(set(manifest_entries) - known):
            log.warning("%s: listed in %s but not among the inputs", listed, manifest)

    sha: dict[str, str] = {}
    errors: dict[str, str] = {}  # by sha256, or by file when it cannot be hashed
    todo: dict[str, str] = {}  # sha256 → the first file with that content
    resumed = 0
    for item in inputs:
        try:
            digest = sha[item.file] = sha256_file(item.path)
        except OSError as exc:
            errors[item.file] = _one_line(f"{item.file}: cannot read ({exc.strerror or exc})")
            continue
        state_path = _state_path(out_dir, fingerprint, digest)
        if digest in todo:
            continue
        if _load_state(state_path, digest, fingerprint, labels) is None:
            todo[digest] = item.file
        else:
            resumed += 1
    if resumed:
        log.info("resuming: %d of %d documents already done", resumed, len(inputs))

    with tqdm(
        total=len(inputs), initial=len(inputs) - len(todo), unit="doc", file=sys.stderr,
        disable=quiet or not sys.stderr.isatty(), dynamic_ncols=True,
    ) as bar, contextlib.closing(read_documents(list(todo.values()), limits, workers)) as docs:
        # closing(): a crash in the model stops the reader processes at once.
        for file, extraction in docs:
            if isinstance(extraction, str):
                log.warning("%s", extraction)
                errors[sha[file]] = extraction
            else:
                texts = [paragraph["text"] for paragraph in extraction.to_classify]
                probabilities = (
                    classifier.predict_proba(texts)
                    if texts
                    else np.zeros((0, len(labels)), dtype=np.float32)
                )
                write_json_atomic(
                    _state_path(out_dir, fingerprint, sha[file]),
                    _state(sha[file], fingerprint, labels, extraction, probabilities),
                )
                bar.set_postfix_str(f"{Path(file).name}: {len(texts)} paragraphs")
            bar.update()

    return _write_outputs(
        inputs, out_dir, fingerprint, info, labels, sha, errors, manifest_entries,
        manifest.name if manifest is not None else "", resumed,
    )


def _write_outputs(
    inputs: Sequence[_Input], out_dir: Path, fingerprint: str, info: ModelInfo,
    labels: tuple[str, ...], sha: dict[str, str], errors: dict[str, str],
    manifest: dict[Path, tuple[str, int | None]], manifest_name: str, resumed: int,
) -> RunResult:
    # paragraphs.csv is written document by document and only paragraphs that can move a
    # profile stay in memory: a national run's memory follows its digital paragraphs, not
    # the length of its documents.
    with atomic_open(out_dir / "paragraphs.csv", newline="") as handle:
        paragraph_csv = csv.writer(handle, lineterminator="\n")
        paragraph_csv.writerow((*PARAGRAPH_COLUMNS, *(f"p_{label}" for label in labels)))
        paragraph_count, document_rows, predictions, outcomes = _stream_documents(
            inputs, out_dir, fingerprint, labels, sha, errors, manifest, manifest_name,
            paragraph_csv)
    profiles = aggregate.aggregate(predictions)
    summary = {
        "format_version": SUMMARY_VERSION,
        "model": {
            "name": info.raw.get("name"),
            "version": info.raw.get("version"),
            "labels": list(info.labels),
            "fingerprint": fingerprint,
        },
        **aggregate.summarize(profiles, outcomes),
    }
    write_csv_atomic(out_dir / "documents.csv", DOCUMENT_COLUMNS, document_rows)
    write_csv_atomic(
        out_dir / "municipalities.csv",
        aggregate.MUNICIPALITY_COLUMNS,
        (aggregate.municipality_row(profile) for profile in profiles),
    )
    write_json_atomic(out_dir / "summary.json", summary)

    report: Path | None = None
    try:
        report = write_report(out_dir)
    except Exception as exc:  # noqa: BLE001 - the CSVs are written; report the failure
        log.error("%s: the report could not be written (%s: %s); the CSVs and summary.json "
                  "are complete", out_dir / "report.html", type(exc).__name__, exc)
        log.debug("report failure", exc_info=True)

    documents = summary["documents"]
    complete = documents["error"] == 0 and documents["unresolved"] == 0 and report is not None
    return RunResult(
        documents=len(inputs),
        ok=documents["ok"],
        errors=documents["error"],
        unresolved=documents["unresolved"],
        resumed=resumed,
        paragraphs=paragraph_count,
        profiles=len(profiles),
        report=report,
        exit_code=0 if complete else 1,
    )


def _stream_documents(
    inputs: Sequence[_Input], out_dir: Path, fingerprint: str, labels: tuple[str, ...],
    sha: dict[str, str], errors: dict[str, str], manifest: dict[Path, tuple[str, int | None]],
    manifest_name: str, paragraph_csv: Any,
) -> tuple[int, list[list[object]], list[aggregate.DocumentPredictions],
           list[aggregate.DocumentOutcome]]:
    """Read each document's state file: write its paragraphs.csv rows at once; return the
    paragraph count, documents.csv rows, outcomes and predictions without clear-none
    paragraphs."""
    table = municipalities()
    paragraph_count = 0
    document_rows: list[list[object]] = []
    predictions: list[aggregate.DocumentPredictions] = []
    outcomes: list[aggregate.DocumentOutcome] = []
    for item in inputs:
        state = None
        error = errors.get(sha.get(item.file, item.file), "")
        if not error:
            state_path = _state_path(out_dir, fingerprint, sha[item.file])
            state = _load_state(state_path, sha[item.file], fingerprint, labels)
            if state is None:
                error = f"{item.file}: result missing from {state_path}; run again"
        title_text = state["title_text"] if state else ""
        resolution = _resolution(item.path, title_text, manifest, manifest_name)
        code, year = resolution.kommunkod, resolution.year
        kommun = table[code].kommun if code else ""
        municipality = [
            _empty(code), kommun, _empty(year), resolution.source, resolution.note,
        ]
        if state is None:
            document_rows.append(
                [item.file, "error", error, sha.get(item.file, ""), "",
                 *municipality, "", "", "", "", "", "", ""]
            )
            outcomes.append(aggregate.DocumentOutcome(
                item.file, "error", error, False, resolution.source, resolution.note
            ))
            continue
        classified = state["classified"]
        document_rows.append(
            [item.file, "ok", "", sha[item.file], state["format"], *municipality,
             state["pages"], state["paragraphs"], len(classified), state["words"],
             f"{state['chars_per_page']:.1f}", state["empty_pages"],
             _empty(state["health_flag"])]
        )
        paragraphs = []
        for entry in classified:
            probs = entry["probabilities"]
            label = labels[max(range(len(labels)), key=probs.__getitem__)]
            paragraph_csv.writerow(
                [item.file, _empty(code), _empty(year), entry["page"], entry["index"],
                 HEADING_SEPARATOR.join(entry["heading_path"]), entry["kind"], entry["text"],
                 label, *(f"{p:.4f}" for p in probs)]
            )
            paragraph_count += 1
            paragraphs.append(aggregate.ParagraphPrediction(
                item.file, entry["page"], entry["index"], tuple(entry["heading_path"]),
                entry["text"], label, dict(zip(labels, probs, strict=True)),
            ))
        outcomes.append(aggregate.DocumentOutcome(
            item.file, "ok", "", resolution.complete, resolution.source, resolution.note
        ))
        if resolution.complete and code is not None and year is not None:
            predictions.append(aggregate.DocumentPredictions(
                item.file, sha[item.file], code, year, state["words"], paragraphs
            ).without_clear_none())
        else:
            log.warning("%s: not counted in a profile: %s", item.file, resolution.note)
    return paragraph_count, document_rows, predictions, outcomes
