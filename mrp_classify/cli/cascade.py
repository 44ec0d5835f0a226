"""Cascade command: cascade fit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mrp_classify.cli.app import ModelsDirOption, cascade_app, handle_errors


@cascade_app.command("fit")
@handle_errors
def fit(
    model: Annotated[Path, typer.Option(
        "--model", metavar="DIR", help="The model folder to add a cascade to (it is not "
        "changed: the result is a new version).")],
    dev: Annotated[list[Path], typer.Option(
        "--dev", metavar="DOCSET", help="Built development document set(s) (mrp-classify "
        "docset build labels/documents/dev --out DIR): the threshold is chosen there.")],
    test: Annotated[list[Path] | None, typer.Option(
        "--test", metavar="DOCSET", help="Built locked test set(s): only measured and recorded "
        "in model.json, never used for a choice.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", metavar="TOML", help="Training config whose training units the first "
        "stage is fitted on (default: the model's own train-config.toml).")] = None,
    recall: Annotated[float, typer.Option(
        "--recall", metavar="SHARE", help="Share of the development units the full model calls "
        "digital that the first stage must pass on.")] = 0.995,
    models_dir: ModelsDirOption = None,
    threads: Annotated[int | None, typer.Option(
        min=1, metavar="N", help="Units the full model classifies at once.")] = None,
) -> None:
    """Fit a cheap first stage (TF-IDF + logistic regression) that settles clearly non-digital
    units before the encoder, and write the model with it as its next version."""
    from mrp_classify.paths import models_root
    from mrp_classify.training.cascade import add_cascade

    path = add_cascade(model, dev, models_dir or models_root(), test or [], config, recall,
                       threads)
    typer.echo(str(path))
