"""Model registry commands: models list|compare|promote."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mrp_classify.cli.app import (
    LabelsOption,
    ModelsDirOption,
    handle_errors,
    models_app,
)


@models_app.command("list")
@handle_errors
def models_list(models_dir: ModelsDirOption = None) -> None:
    """List the model versions: default, created, data hash, size, test macro-F1."""
    from mrp_classify.paths import DEFAULT_POINTER, bundled_path, default_model_dir, models_root
    from mrp_classify.registry import default_ref, format_versions, list_versions

    root = models_dir or models_root()
    typer.echo(format_versions(list_versions(root), root))
    if default_ref(root) is None and default_ref(bundled_path("models")) is not None:
        typer.echo(f"{root / DEFAULT_POINTER} names no model, so commands use the bundled "
                   f"{default_model_dir(root)}")


@models_app.command("compare")
@handle_errors
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


@models_app.command("promote")
@handle_errors
def models_promote(
    version: Annotated[str, typer.Argument(metavar="VERSION", help="name/version (or a "
                                           "version that only one model has).")],
    tolerance: Annotated[float, typer.Option(
        min=0.0, metavar="F1", help="Largest macro-F1 drop against the current default that "
        "is accepted.")] = 0.01,
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
