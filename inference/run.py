"""The main job: documents in; paragraph predictions, municipality profiles and a report out.

Each finished document is stored at once, atomically, as one JSON file under
``OUT/.state/<model fingerprint>/<sha256 of the bytes read>.json``
(``outputs.RunOutputs``); the CSVs and the summary are always rebuilt from those
files at the end. So a run killed at any
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
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Generator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm

from mrp_classify.errors import MrpError
from mrp_classify.inference import aggregate, summary
from mrp_classify.inference.aggregate import ProfileDecision, unit_key
from mrp_classify.inference.cache import CACHE_FILE, PredictionCache
from mrp_classify.inference.cascade import Cascade, CascadeClassifier
from mrp_classify.inference.cpu import cpu_info
from mrp_classify.inference.ingest import Limits, read_document
from mrp_classify.inference.inputs import display_path, scan_inputs
from mrp_classify.inference.model import Classifier, ModelInput
from mrp_classify.inference.model_folder import ModelFolder, ModelMeta
from mrp_classify.inference.municipalities import (
    SOURCE_MANIFEST,
    Resolution,
    municipalities,
    read_manifest,
    resolve,
)
from mrp_classify.inference.outputs import (
    DOCUMENT_COLUMNS,
    MUNICIPALITIES_FILE,
    STATE_DIR,
    XLSX_FILE,
    ClassifiedUnit,
    DocumentFacts,
    DocumentState,
    ParagraphRow,
    RunOutputs,
    write_workbook,
)
from mrp_classify.inference.report import run_date, write_report
from mrp_classify.inference.report_format import DEFAULT_LANG, Locale
from mrp_classify.inference.segment import Paragraph, segment
from mrp_classify.io import sha256_file

log = logging.getLogger(__name__)

SUMMARY_VERSION = 3  # 3: reference data by plan year, breakdowns, study table


class ClassifierLike(Protocol):
    """What the run needs of a classifier (``model.Classifier``, or a fake in tests)."""

    @property
    def labels(self) -> tuple[str, ...]: ...

    def predict_proba(self, items: Sequence[ModelInput]) -> np.ndarray: ...


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


@dataclass(frozen=True, kw_only=True)
class Extraction(DocumentFacts):
    """What the model and the outputs need of a read and segmented document."""

    to_classify: tuple[Paragraph, ...]


@dataclass(frozen=True)
class _Input:
    path: Path
    file: str


def model_fingerprint(model_dir: Path) -> str:
    """sha256 over the network and model.json: a new export never reuses old results."""
    return ModelFolder.load(Path(model_dir)).fingerprint()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def extract_document(path: str, limits: Limits, expected_sha256: str = "") -> Extraction | str:
    """Read and segment one document; a failure comes back as its one-line message.

    With ``expected_sha256`` the file is hashed again after reading: a file replaced
    while it was read is an error, so results are never stored under another file's hash.
    Runs in a worker process: it returns plain data, never raises.
    """
    try:
        document = read_document(Path(path), limits)
        paragraphs = segment(document, limits.max_unit_chars)
        if expected_sha256 and sha256_file(Path(path)) != expected_sha256:
            return f"{path}: the file changed while it was read; run again when it is complete"
    except MrpError as exc:
        return _one_line(str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the batch
        log.debug("%s: unexpected error", path, exc_info=True)
        return _one_line(f"{path}: cannot read ({type(exc).__name__}: {exc})")
    health = document.health
    to_classify = [p for p in paragraphs if p.classify]
    overflow = ""
    kept, chars = 0, 0
    for unit in to_classify[:limits.max_units]:
        if chars + len(unit.text) > limits.max_classified_chars:
            break
        kept, chars = kept + 1, chars + len(unit.text)
    if kept < len(to_classify):
        overflow = (f"{len(to_classify) - kept} units past the limits of {limits.max_units:,} "
                    f"units or {limits.max_classified_chars:,} characters were not classified")
        to_classify = to_classify[:kept]
    return Extraction(
        format=document.format,
        title_text=document.title_text,
        pages=health.pages,
        chars_per_page=health.chars_per_page,
        empty_pages=health.empty_pages,
        health_flag=health.flag,
        paragraphs=len(paragraphs),
        words=sum(p.words for p in paragraphs),
        to_classify=tuple(to_classify),
        overflow=overflow,
        ocr_confidence=health.ocr_confidence,
    )


def die_with_parent(parent: int) -> None:
    """In a reader process: end when the run's process ends, even by ``kill -9``.

    Linux delivers SIGKILL to the worker when its parent dies (``PR_SET_PDEATHSIG``);
    elsewhere a watchdog thread notices that the parent is gone. Either way no reader
    outlives its run, and with the workers gone the resource tracker ends too.
    """
    import threading
    import time

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the run ended while this process was starting
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


Reader = Callable[[str, Limits, str], Extraction | str]


def read_documents(
    files: Sequence[str], limits: Limits, workers: int = 1, reader: Reader = extract_document,
    hashes: dict[str, str] | None = None,
) -> Generator[tuple[str, Extraction | str], None, None]:
    """(file, extraction or error) in input order; with ``workers`` > 1 the reading runs in a
    process pool, ahead of the consumer, so it overlaps with the model.

    A worker that dies (a file that crashes a parser library) breaks the pool: the
    files that were in flight are then retried one at a time in a fresh pool, so
    only the culprit is reported as an error.
    """
    if workers <= 1 or len(files) <= 1:
        for file in files:
            yield file, reader(file, limits, (hashes or {}).get(file, ""))
        return
    queue = collections.deque(files)
    isolate: set[str] = set()
    in_flight: collections.deque[tuple[str, concurrent.futures.Future[Extraction | str]]]
    in_flight = collections.deque()
    context = multiprocessing.get_context("spawn")  # no fork of a threaded ONNX process
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                  initializer=die_with_parent,
                                                  initargs=(os.getpid(),))
    try:
        while queue or in_flight:
            while queue and len(in_flight) < 2 * workers:
                alone = queue[0] in isolate or any(f in isolate for f, _ in in_flight)
                if alone and in_flight:
                    break
                file = queue.popleft()
                in_flight.append((file, pool.submit(reader, file, limits,
                                                    (hashes or {}).get(file, ""))))
            file, future = in_flight.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=workers, mp_context=context, initializer=die_with_parent,
                    initargs=(os.getpid(),))
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


def _state(sha256: str, fingerprint: str, labels: Sequence[str], extraction: Extraction,
           probabilities: np.ndarray) -> DocumentState:
    return DocumentState(
        sha256=sha256, model_fingerprint=fingerprint, labels=tuple(labels),
        **extraction.facts(),
        classified=tuple(
            ClassifiedUnit(p.page, p.index, p.heading_path, p.kind, p.text,
                           tuple(float(x) for x in row), p.ocr)
            for p, row in zip(extraction.to_classify, probabilities, strict=True)))


def _check_out_dir(out_dir: Path, resume: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise MrpError(f"{out_dir}: not a folder; choose another --out")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not resume:
        raise MrpError(f"{out_dir}: not empty; pass --resume to continue or choose another --out")
    if not RunOutputs(out_dir).holds_run():
        raise MrpError(f"{out_dir}: not empty and no run to resume (no {STATE_DIR}/ folder); "
                       "give --resume the --out of the interrupted run, or choose an empty or "
                       "new --out")


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
    display_root: Path | None = None,
    cache: Path | None = None,
    use_cache: bool = True,
    use_cascade: bool = True,
    csv_dialect: str = "excel",
    lang: str = DEFAULT_LANG,
) -> RunResult:
    """Classify every document under ``paths`` and write the outputs to ``out_dir``.

    ``classifier`` defaults to ``Classifier(model_dir, threads)``; the model folder is always
    read for its fingerprint, name and version. File names in the outputs are relative to
    ``display_root`` (default: the current folder) when inside it. ``lang``: the report's
    language (sv or en). Exit code 0 when every document was read and matched to a
    municipality and year and the report was written, else 1.
    """
    if workers < 1:
        raise MrpError(f"--workers {workers}: must be at least 1")
    if threads is not None and threads < 1:
        raise MrpError(f"--threads {threads}: must be at least 1")
    Locale(lang)  # an unknown language stops the run before any work, not at the report
    limits = limits or Limits()
    out_dir = Path(out_dir)
    model_dir = Path(model_dir)
    _check_out_dir(out_dir, resume)
    scanned = scan_inputs(paths, exclude=out_dir, manifest=manifest)
    files = scanned.documents
    manifest_entries = read_manifest(manifest) if manifest is not None else {}
    folder = ModelFolder.load(model_dir)
    # Results read with OCR, or through the cascade's first stage, are other results: they
    # are stored apart and never resumed into a run without it (or the other way round).
    cascade = Cascade.from_folder(folder) if use_cascade else None
    fingerprint = (folder.fingerprint() + ("-ocr" if limits.ocr else "")
                   + ("-cascade" if cascade is not None else ""))
    if classifier is None:
        classifier = Classifier(folder, threads)
    labels = tuple(classifier.labels)
    aggregate.check_labels(labels)
    outputs = RunOutputs(out_dir, csv_dialect)
    if use_cache and hasattr(classifier, "render"):
        # Beside the run's state, or one file per model in a folder many runs share.
        cache_file = (Path(cache) / f"{fingerprint}.sqlite" if cache is not None
                      else outputs.state_path(fingerprint, "x").parent / CACHE_FILE)
        classifier = PredictionCache(classifier, cache_file, fingerprint)
    if cascade is not None:
        # In front of the cache, which so holds only what the encoder computed.
        classifier = CascadeClassifier(cascade, classifier, folder.meta.input_format)
    with outputs.lock():
        return _run(files, scanned.skipped, outputs, display_root, manifest,
                    manifest_entries, folder, fingerprint, classifier, labels, limits, workers,
                    quiet, lang)


def _run(files: Sequence[Path], skipped: Sequence[tuple[Path, str]], outputs: RunOutputs,
         display_root: Path | None,
         manifest: Path | None, manifest_entries: dict[Path, tuple[str, int | None]],
         folder: ModelFolder, fingerprint: str, classifier: ClassifierLike,
         labels: tuple[str, ...], limits: Limits, workers: int, quiet: bool,
         lang: str) -> RunResult:
    info = folder.meta
    inputs = [_Input(path, display_path(path, display_root)) for path in files]
    not_read = [_Input(path, display_path(path, display_root)) for path, _ in skipped]
    if manifest_entries:
        known = {path.resolve() for path in files}
        for listed in sorted(set(manifest_entries) - known):
            log.warning("%s: listed in %s but not among the inputs", listed, manifest)

    path_of = {item.file: item.path for item in inputs}
    files_by_path = {str(item.path): item.file for item in inputs}
    sha: dict[str, str] = {}
    errors: dict[str, str] = {}  # by sha256, or by file when it cannot be hashed
    # documents.csv and the report name the file beside its error: the message is the
    # reason alone.
    skipped_reasons = {item.file: reason
                       for item, (_, reason) in zip(not_read, skipped, strict=True)}
    todo: dict[str, str] = {}  # sha256 → the first file with that content
    resumed = 0
    for item in inputs:
        try:
            digest = sha[item.file] = sha256_file(item.path)
        except OSError as exc:
            errors[item.file] = _one_line(f"cannot read ({exc.strerror or exc})")
            continue
        if digest in todo:
            continue
        if outputs.load_state(fingerprint, digest, labels) is None:
            todo[digest] = item.file
        else:
            resumed += 1
    if resumed:
        log.info("resuming: %d of %d documents already done", resumed, len(inputs))

    with tqdm(
        total=len(inputs), initial=len(inputs) - len(todo), unit="doc", file=sys.stderr,
        disable=quiet or not sys.stderr.isatty(), dynamic_ncols=True,
    ) as bar, contextlib.closing(read_documents(
            [str(path_of[file]) for file in todo.values()], limits, workers,
            hashes={str(path_of[file]): digest for digest, file in todo.items()})) as docs:
        # closing(): a crash in the model stops the reader processes at once.
        for path, extraction in docs:
            file = files_by_path[path]
            if isinstance(extraction, str):
                # The reader's message starts with the path it opened; the log names the
                # file as shown.
                reason = extraction.removeprefix(f"{path}: ")
                log.warning("%s: %s", file, reason)
                errors[sha[file]] = reason
            else:
                items = [ModelInput(p.text, p.heading_path, p.kind)
                         for p in extraction.to_classify]
                probabilities = (
                    classifier.predict_proba(items)
                    if items
                    else np.zeros((0, len(labels)), dtype=np.float32)
                )
                outputs.save_state(_state(sha[file], fingerprint, labels, extraction,
                                          probabilities))
                bar.set_postfix_str(f"{Path(file).name}: {len(items)} paragraphs")
            bar.update()

    return _write_outputs(
        [*inputs, *not_read], outputs, fingerprint, info, labels, sha, errors, skipped_reasons,
        manifest_entries,
        manifest.name if manifest is not None else "", resumed, lang,
    )


def _write_outputs(
    inputs: Sequence[_Input], outputs: RunOutputs, fingerprint: str, info: ModelMeta,
    labels: tuple[str, ...], sha: dict[str, str], errors: dict[str, str],
    skipped: dict[str, str], manifest: dict[Path, tuple[str, int | None]], manifest_name: str,
    resumed: int, lang: str,
) -> RunResult:
    decision = ProfileDecision.from_json(info.profile_decision)
    # paragraphs.csv is written document by document and only units that can move a
    # profile stay in memory: a national run's memory follows its digital units, not the
    # length of its documents.
    with outputs.paragraph_writer(labels) as write_paragraph:
        paragraph_count, document_rows, predictions, outcomes = _stream_documents(
            inputs, outputs, fingerprint, labels, sha, errors, skipped, manifest, manifest_name,
            decision, write_paragraph)
    profiles = aggregate.aggregate(predictions, decision)
    duplicates = {file: of for p in profiles for file, of in p.duplicates.items()}
    for row in document_rows:
        row[DOCUMENT_COLUMNS.index("duplicate_of")] = duplicates.get(str(row[0]), "")
    run_summary = {
        "format_version": SUMMARY_VERSION,
        "model": {"name": info.name, "version": info.version, "labels": list(info.labels),
                  "fingerprint": fingerprint},
        "cpu": cpu_info(),
        "csv_dialect": outputs.dialect,
        **summary.summarize(profiles, outcomes, decision),
    }
    municipality_rows = [summary.municipality_row(profile) for profile in profiles]
    outputs.write_table("documents.csv", DOCUMENT_COLUMNS, document_rows)
    outputs.write_table(MUNICIPALITIES_FILE, summary.MUNICIPALITY_COLUMNS, municipality_rows)
    write_workbook(outputs.path(XLSX_FILE), [
        ("municipalities", summary.MUNICIPALITY_COLUMNS, municipality_rows),
        ("documents", DOCUMENT_COLUMNS, document_rows)])
    outputs.write_summary(run_summary)

    report: Path | None = None
    try:
        report = write_report(outputs.dir, run_summary, [
            {name: "" if cell is None else str(cell)
             for name, cell in zip(DOCUMENT_COLUMNS, row, strict=True)}
            for row in document_rows], lang, run_date())
    except Exception as exc:  # noqa: BLE001 - the CSVs are written; report the failure
        log.error("%s: the report could not be written (%s: %s); the CSVs and summary.json "
                  "are complete", outputs.dir / "report.html", type(exc).__name__, exc)
        log.debug("report failure", exc_info=True)

    documents = run_summary["documents"]
    complete = documents["error"] == 0 and documents["unresolved"] == 0 and report is not None
    return RunResult(
        documents=len(inputs), ok=documents["ok"], errors=documents["error"],
        unresolved=documents["unresolved"], resumed=resumed, paragraphs=paragraph_count,
        profiles=len(profiles), report=report, exit_code=0 if complete else 1,
    )


def _stream_documents(
    inputs: Sequence[_Input], outputs: RunOutputs, fingerprint: str, labels: tuple[str, ...],
    sha: dict[str, str], errors: dict[str, str], skipped: dict[str, str],
    manifest: dict[Path, tuple[str, int | None]],
    manifest_name: str, decision: ProfileDecision, write_paragraph: Callable[[ParagraphRow], None],
) -> tuple[int, list[list[object]], list[aggregate.DocumentPredictions],
           list[aggregate.DocumentOutcome]]:
    """Read each document's state file: write its paragraphs.csv rows at once; return the
    paragraph count, documents.csv rows, outcomes and predictions without clear-none units."""
    table = municipalities()
    paragraph_count = 0
    document_rows: list[list[object]] = []
    predictions: list[aggregate.DocumentPredictions] = []
    outcomes: list[aggregate.DocumentOutcome] = []
    for item in inputs:
        if item.file in skipped:
            document_rows.append([item.file, "skipped", skipped[item.file],
                                  *[""] * (len(DOCUMENT_COLUMNS) - 3)])
            outcomes.append(aggregate.DocumentOutcome(
                item.file, "skipped", skipped[item.file], False, "", ""))
            continue
        state = None
        error = errors.get(sha.get(item.file, item.file), "")
        if not error:
            state = outputs.load_state(fingerprint, sha[item.file], labels)
            if state is None:
                error = (f"result missing from {outputs.state_path(fingerprint, sha[item.file])}; "
                         "run again")
        resolution = _resolution(item.path, state.title_text if state else "", manifest,
                                 manifest_name)
        code, year = resolution.kommunkod, resolution.year
        municipality = [code, table[code].kommun if code else "", year, resolution.source,
                        resolution.note]
        if state is None:
            document_rows.append([item.file, "error", error, sha.get(item.file, ""), "",
                                  *municipality, *[""] * (len(DOCUMENT_COLUMNS) - 10)])
            outcomes.append(aggregate.DocumentOutcome(
                item.file, "error", error, False, resolution.source, resolution.note))
            continue
        document_rows.append(
            [item.file, "ok", "", sha[item.file], state.format, *municipality, state.pages,
             state.paragraphs, len(state.classified), state.words,
             f"{state.chars_per_page:.1f}", state.empty_pages, state.health_flag, "",
             state.overflow, " ".join(f"p{page}:{conf:.1f}" for page, conf in
                                      state.ocr_confidence)])
        paragraphs = []
        for unit in state.classified:
            probabilities = dict(zip(labels, unit.probabilities, strict=True))
            label = decision.unit_label(probabilities)
            write_paragraph(ParagraphRow(
                item.file, "" if code is None else code, "" if year is None else str(year),
                unit.page, unit.index, unit.heading_path, unit.kind, unit.text, label,
                unit.probabilities, unit.ocr))
            paragraph_count += 1
            paragraphs.append(aggregate.ParagraphPrediction(
                item.file, unit.page, unit.index, unit.heading_path, unit.text, label,
                probabilities))
        outcomes.append(aggregate.DocumentOutcome(
            item.file, "ok", "", resolution.complete, resolution.source, resolution.note))
        if resolution.complete and code is not None and year is not None:
            predictions.append(aggregate.DocumentPredictions(
                item.file, sha[item.file], code, year, state.words, paragraphs,
                frozenset(unit_key(u.text) for u in state.classified),
                health_flag=state.health_flag or "").without_clear_none())
        else:
            log.warning("%s: not counted in a profile: %s", item.file, resolution.note)
    return paragraph_count, document_rows, predictions, outcomes
