"""Workspace command: init."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mrp_classify.cli.app import app, handle_errors, log


@app.command("init")
@handle_errors
def init(
    folder: Annotated[Path | None, typer.Argument(
        metavar="[DIR]", help="Folder to make a workspace (default: --workspace, "
        "$MRP_CLASSIFY_WORKSPACE or the current folder).")] = None,
) -> None:
    """Make a workspace: labels/ (with the schema and the annotators' guide), models/ and
    mrp-classify.toml. Never overwrites a file."""
    from mrp_classify.paths import requested_workspace
    from mrp_classify.workspace import init_workspace

    target = folder or requested_workspace() or Path.cwd()
    written = init_workspace(target)
    log.info("workspace %s: wrote %s; commands use the bundled model until models/DEFAULT "
             "names another", target, ", ".join(str(path.relative_to(target)) for path in written))
