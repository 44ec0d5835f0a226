"""Document commands: run, evaluate-docs, docset check|build."""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from mrp_classify.cli.app import (
    ModelOption,
    app,
    docset_app,
    handle_errors,
    log,
)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C: the reader processes are stopped and the finished
    documents stay stored for --resume."""
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command()
@handle_errors
def run(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH", help="Documents (PDF, DOCX, HTML, TXT) or folders, searched "
        "recursively.")],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Output folder.")],
    model: ModelOption = None,
    manifest: Annotated[Path | None, typer.Option(
        metavar="CSV", help="CSV with columns file,kommunkod,year; overrides name detection.")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in --out, "
                                         "skipping finished documents.")] = False,
    workers: Annotated[int, typer.Option(min=1, metavar="N",
                                         help="Processes reading documents.")] = 1,
    threads: Annotated[int | None, typer.Option(
        min=1, metavar="N", help="Paragraphs classified at once (default: the usable CPU cores, or "
        "MRP_CLASSIFY_THREADS).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    cache: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Share the prediction cache with other runs in this folder (a "
        "plan's repeated text is classified once, across years too). Default: beside the "
        "run's state.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Classify every unit anew.")
                        ] = False,
    no_cascade: Annotated[bool, typer.Option(
        "--no-cascade", help="Run the full model on every unit, even when the model folder "
        "has a cascade (a cheap first stage that settles clearly non-digital units as none).")
    ] = False,
    csv_dialect: Annotated[str, typer.Option(
        metavar="DIALECT", help="excel: comma and decimal point; excel-sv: semicolon and "
        "decimal comma (opens in one step in Swedish Excel). Both are UTF-8 with a "
        "byte-order mark.")] = "excel",
    ocr: Annotated[bool, typer.Option(
        "--ocr", help="Read PDF pages without a text layer with Tesseract (Debian: "
        "tesseract-ocr tesseract-ocr-swe); its confidence goes to documents.csv.")] = False,
    lang: Annotated[str, typer.Option(
        "--lang", metavar="LANG", help="Language of report.html: sv (Swedish, with 41 897 and "
        "6,2 %) or en (English).")] = "sv",
) -> None:
    """Documents in, municipality profiles out (documents.csv, paragraphs.csv,
    municipalities.csv, summary.json, report.html).

    Exit code 0 when every document was read and matched to a municipality, 1 when
    some were not (their rows in documents.csv say why; all outputs are complete),
    2 when the run could not start.
    """
    from mrp_classify.inference.ingest import Limits
    from mrp_classify.inference.run import run as run_documents
    from mrp_classify.paths import resolve_model_dir

    with terminate_as_interrupt():
        result = run_documents(paths, out, resolve_model_dir(model), manifest=manifest,
                               resume=resume, workers=workers, threads=threads, quiet=quiet,
                               limits=Limits(ocr=ocr), cache=cache, use_cache=not no_cache,
                               use_cascade=not no_cascade,
                               csv_dialect=csv_dialect, lang=lang)
    log.info("%d documents (%d resumed): %d ok, %d failed, %d not matched to a municipality and "
             "year; %d paragraphs, %d municipality profiles → %s", result.documents,
             result.resumed, result.ok, result.errors, result.unresolved, result.paragraphs,
             result.profiles, out)
    raise typer.Exit(result.exit_code)


@app.command("evaluate-docs")
@handle_errors
def evaluate_docs(
    docset: Annotated[Path, typer.Argument(metavar="DOCSET", help="A built document set "
                                           "(mrp-classify docset build).")],
    model: ModelOption = None,
    run_dir: Annotated[Path | None, typer.Option(
        "--run", metavar="DIR", help="Keep the run's outputs in this folder (default: a "
        "temporary one).")
    ] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", metavar="FILE", help="Also write every figure, per document and per tag, "
        "as JSON.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --json.")] = False,
    threads: Annotated[int | None, typer.Option(min=1, metavar="N",
                                                help="Units classified at once.")] = None,
) -> None:
    """Run the whole product over a document set and score it against the set's truth.

    Profile accuracy and confusion, digital-unit precision and recall, false digital
    units per 1,000 none units, the headline's error in inhabitants, digital units per
    10,000 words per plan, and a reliability table of profile confidence.
    """
    from mrp_classify.docset.evaluate import evaluate_docs as score
    from mrp_classify.docset.evaluate import format_scores
    from mrp_classify.io import refuse_overwrite, write_json_atomic
    from mrp_classify.paths import resolve_model_dir

    if json_out is not None:
        refuse_overwrite(json_out, force)
    scores = score(docset, resolve_model_dir(model), run_dir, threads)
    typer.echo(format_scores(scores))
    if json_out is not None:
        write_json_atomic(json_out, scores)


@docset_app.command("check")
@handle_errors
def docset_check(
    plans: Annotated[list[Path], typer.Argument(metavar="PLAN", help=".plan files or folders.")],
) -> None:
    """Parse plan sources and print each one's blocks, labels, words and profile."""
    from mrp_classify.docset.plan import parse_plan, summary

    files = [p for path in plans for p in (sorted(path.rglob("*.plan")) if path.is_dir()
                                           else [path])]
    for file in files:
        typer.echo(json.dumps(summary(parse_plan(file)), ensure_ascii=False))


@docset_app.command("build")
@handle_errors
def docset_build(
    plans: Annotated[Path, typer.Argument(metavar="PLANS", help="Folder of .plan files, e.g. "
                                          "labels/documents/test.")],
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Output folder.")],
    force: Annotated[bool, typer.Option("--force", help="Rebuild into a non-empty --out.")
                     ] = False,
) -> None:
    """Render every plan to its format, read it back as `run` does and label every unit."""
    from mrp_classify.docset.build import build_docset

    rows = build_docset(plans, out, force)
    digital = sum(int(row[11]) for row in rows)  # type: ignore[call-overload]
    units = sum(int(row[9]) for row in rows)  # type: ignore[call-overload]
    log.info("%d documents, %d units (%d digital goals) → %s", len(rows), units, digital, out)
