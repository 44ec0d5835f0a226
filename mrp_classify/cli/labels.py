"""Label commands: labels validate|stats|import, and suggest (the annotation queue)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from mrp_classify.cli.app import (
    LabelsOption,
    app,
    fail,
    handle_errors,
    labels_app,
)


@labels_app.command("validate")
@handle_errors
def labels_validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Files or folders (default: the workspace's labels/).")] = None,
) -> None:
    """Check schema, labels, empty/duplicate texts and conflicting labels (file:line: reason)."""
    from mrp_classify.labelset import default_labels_dir, read_records

    records, problems = read_records(paths or [default_labels_dir()])
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise fail(f"{len(problems)} problem(s) in {len(records) + len(problems)} records", 1)
    typer.echo(f"ok: {len(records)} labelled paragraphs")


@labels_app.command("stats")
@handle_errors
def labels_stats(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Files or folders (default: the workspace's labels/).")] = None,
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
    labels_dir = (paths or [default_labels_dir()])[0]
    if not paths or len(paths) == 1 and labels_dir.is_dir():
        from mrp_classify.label_import import second_annotation_agreement

        overall, roles = second_annotation_agreement(labels_dir)
        if overall.units:
            typer.echo(f"second annotations (agreement/): {overall.describe()}")
            typer.echo(f"first label vs second annotation: {roles.describe()}")


@app.command("suggest")
@handle_errors
def suggest(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR",
                                            help="Output folder of 'mrp-classify run'.")],
    out: Annotated[Path, typer.Option("--out", metavar="QUEUE", help="Queue name: writes "
                                      "QUEUE.csv, QUEUE.labelstudio.json and "
                                      "QUEUE.labelstudio.xml.")],
    n: Annotated[int, typer.Option("--n", min=1, metavar="N", help="Paragraphs to queue.")
                 ] = 200,
    model: Annotated[Path | None, typer.Option(
        "--model", metavar="DIR", help="Rank by this model's probabilities instead of the "
        "run's.")] = None,
    labels: LabelsOption = None,
    delimiter: Annotated[str, typer.Option(
        metavar="CHAR", help="CSV separator: ',' or ';' (Excel with Swedish settings splits "
        "on ';' when the file is double-clicked).")] = ",",
    pool_factor: Annotated[int, typer.Option(
        min=1, metavar="N", help="Spread the queue over the n × this most uncertain "
        "paragraphs.")] = 5,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the queue files.")] = False,
) -> None:
    """Queue the paragraphs of a run that are most worth labelling.

    Most uncertain first (smallest margin between the two most probable labels).

    Labelled paragraphs and near-duplicates are left out.

    The queue is spread over SKR kommungrupper and municipalities.
    """
    from mrp_classify.suggest import suggest as write_suggestions

    result = write_suggestions(run_dir, n, out, labels_dir=labels, model_dir=model, force=force,
                               pool_factor=pool_factor, delimiter=delimiter)
    typer.echo(f"{result.queued} paragraphs from {result.municipalities} municipalities in "
               f"{result.kommungrupper} kommungrupper (of {result.paragraphs} in the run; "
               f"skipped {result.already_labelled} labelled or near-identical to a labelled one, "
               f"{result.near_duplicates} near-duplicates)")
    for path in result.paths.all():
        typer.echo(f"  {path}")


@labels_app.command("import")
@handle_errors
def labels_import(
    source: Annotated[Path, typer.Argument(metavar="FILE", help="Filled queue CSV, Label "
                                           "Studio JSON export or doccano JSONL export.")],
    annotator: Annotated[str, typer.Option(
        "--annotator", metavar="NAME", help="Who labelled the file (letters, digits, '.', '-', "
        "'_').")],
    labels: LabelsOption = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Write the valid rows even when some are invalid.")] = False,
) -> None:
    """Import annotated paragraphs into a new dated file in the workspace's labels/imported/.

    Paragraphs that others labelled already go to labels/agreement/ (second annotations).

    Every row is checked first (file:line: reason); an invalid row stops the import.

    Exit code 2 and nothing written when a row is invalid; 1 with --skip-invalid.
    """
    from mrp_classify.label_import import InvalidRowsError, format_result, import_labels

    try:
        result = import_labels(source, annotator, labels, skip_invalid=skip_invalid)
    except InvalidRowsError as exc:
        for problem in exc.problems:
            typer.echo(str(problem))
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for problem in result.problems:
        typer.echo(str(problem))
    typer.echo(format_result(result))
    if result.problems:
        raise typer.Exit(1)
