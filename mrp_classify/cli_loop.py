"""Commands of the annotation loop: suggest, labels import, models list/compare/promote.

``register(app, labels_app)`` adds them to the main typer app; the functions
here are thin wrappers over ``suggest``, ``label_import`` and ``registry``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

LabelsOption = Annotated[Path | None, typer.Option(
    "--labels", help="Labels folder (default: labels/).")]
ModelsDirOption = Annotated[Path | None, typer.Option(
    "--models-dir", help="Model registry root (default: models/, or $MRP_CLASSIFY_MODELS).")]


def suggest(
    run_dir: Annotated[Path, typer.Argument(metavar="RUN_DIR",
                                            help="Output folder of 'mrp-classify run'.")],
    out: Annotated[Path, typer.Option("--out", metavar="QUEUE", help="Queue name: writes "
                                      "QUEUE.csv, QUEUE.labelstudio.json and "
                                      "QUEUE.labelstudio.xml.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Paragraphs to queue.")] = 200,
    model: Annotated[Path | None, typer.Option(
        "--model", help="Rank by this model's probabilities instead of the run's.")] = None,
    labels: LabelsOption = None,
    delimiter: Annotated[str, typer.Option(
        help="CSV separator: ',' or ';' (Excel with Swedish settings splits on ';' when "
             "the file is double-clicked).")] = ",",
    pool_factor: Annotated[int, typer.Option(
        min=1, help="Spread the queue over the n × this most uncertain paragraphs.")] = 5,
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


def labels_import(
    source: Annotated[Path, typer.Argument(metavar="FILE", help="Filled queue CSV, Label "
                                           "Studio JSON export or doccano JSONL export.")],
    annotator: Annotated[str, typer.Option("--annotator", help="Who labelled the file "
                                           "(letters, digits, '.', '-', '_').")],
    labels: LabelsOption = None,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Write the valid rows even when some are invalid.")] = False,
) -> None:
    """Import annotated paragraphs into a new dated file under labels/imported/.

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


def models_list(models_dir: ModelsDirOption = None) -> None:
    """List the model versions: default, created, data hash, size, test macro-F1."""
    from mrp_classify.paths import models_root
    from mrp_classify.registry import format_versions, list_versions

    root = models_dir or models_root()
    typer.echo(format_versions(list_versions(root), root))


def models_compare(
    a: Annotated[str, typer.Argument(metavar="A", help="name/version or model folder.")],
    b: Annotated[str, typer.Argument(metavar="B", help="name/version or model folder.")],
    labels: LabelsOption = None,
    run: Annotated[Path | None, typer.Option(
        "--run", metavar="RUN_DIR", help="Also re-classify this run's paragraphs with both "
        "models and count the municipality profiles that change.")] = None,
    models_dir: ModelsDirOption = None,
) -> None:
    """Evaluate two models now on the same test paragraphs.

    The test split is A's stable hash split of the current labels.

    Shows macro-F1, per-class F1 and how many test paragraphs change label.
    """
    from mrp_classify.paths import models_root
    from mrp_classify.registry import compare, format_comparison, resolve_model

    root = models_dir or models_root()
    comparison = compare(resolve_model(a, root), resolve_model(b, root), labels, run)
    typer.echo(format_comparison(comparison))


def models_promote(
    version: Annotated[str, typer.Argument(metavar="VERSION", help="name/version (or a "
                                           "version that only one model has).")],
    tolerance: Annotated[float, typer.Option(
        min=0.0, help="Largest macro-F1 drop against the current default that is accepted.")
    ] = 0.01,
    force: Annotated[bool, typer.Option(
        "--force", help="Promote without evaluating against the current default.")] = False,
    labels: LabelsOption = None,
    models_dir: ModelsDirOption = None,
) -> None:
    """Make a model version the default (rewrites models/DEFAULT atomically).

    Both models are evaluated now on the candidate's stable test split of the labels.

    Refused when its macro-F1 is below the default's by more than --tolerance (--force).
    """
    from mrp_classify.paths import models_root
    from mrp_classify.registry import promote

    promotion = promote(version, models_dir or models_root(), labels, tolerance, force)
    typer.echo(promotion.describe())


def register(app: typer.Typer, labels_app: typer.Typer) -> None:
    """Add ``suggest``, ``labels import`` and ``models list|compare|promote`` to the CLI."""
    # Imported here: mrp_classify.cli calls register() while it is being imported.
    from mrp_classify.cli import handle_errors

    app.command("suggest")(handle_errors(suggest))
    labels_app.command("import")(handle_errors(labels_import))
    models_app = typer.Typer(no_args_is_help=True,
                             help="List, compare and promote model versions.")
    models_app.command("list")(handle_errors(models_list))
    models_app.command("compare")(handle_errors(models_compare))
    models_app.command("promote")(handle_errors(models_promote))
    app.add_typer(models_app, name="models")
