"""Paragraph commands: predict, evaluate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mrp_classify.cli.app import (
    ModelOption,
    app,
    handle_errors,
    log,
    quiet_logging,
)


@app.command()
@handle_errors
def predict(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl",
                                               help="JSONL records with 'id' and 'text'.")],
    out: Annotated[Path, typer.Option("--out", metavar="OUT.jsonl", help="Output JSONL.")],
    model: ModelOption = None,
    threads: Annotated[int | None, typer.Option(
        min=1, metavar="N", help="Paragraphs classified at once (default: the usable CPU cores, or "
        "MRP_CLASSIFY_THREADS).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress bar and no summary line; warnings and errors only.")
    ] = False,
) -> None:
    """Classify paragraphs: writes id, label and one probability per label (p_<label>)."""
    from mrp_classify.paragraphs import predict_jsonl
    from mrp_classify.paths import resolve_model_dir

    if quiet:
        quiet_logging()

    count = predict_jsonl(input_path, out, resolve_model_dir(model), threads=threads,
                          force=force, progress=not quiet)
    log.info("%d paragraphs classified → %s", count, out)


@app.command()
@handle_errors
def evaluate(
    labels_path: Annotated[Path, typer.Argument(metavar="LABELS.jsonl",
                                                help="Labelled paragraphs (JSONL or a folder).")],
    model: ModelOption = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", metavar="FILE", help="Also write the metrics as JSON to this file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --json.")] = False,
) -> None:
    """Per-class precision/recall/F1, macro-F1, confusion matrix and ECE of a model."""
    from mrp_classify.metrics import format_report
    from mrp_classify.paragraphs import evaluate_labels
    from mrp_classify.paths import resolve_model_dir

    report = evaluate_labels(labels_path, resolve_model_dir(model), json_out, force)
    typer.echo(format_report(report, f"{labels_path} ({report['n']} paragraphs)"))
