"""Workspaces: the folder of a user's own labels, models and runs (``paths.workspace``).

``init_workspace`` makes one; ``config_in_workspace`` reads a training config's data
folders there.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from mrp_classify.errors import MrpError
from mrp_classify.io import write_text_atomic
from mrp_classify.paths import WORKSPACE_MARKER, bundled_path, workspace

if TYPE_CHECKING:
    from mrp_classify.training.config import TrainConfig

# Copied into a new workspace's labels/: the schema that validation and training read, and
# the annotators' guide that refers to it.
SHIPPED_LABEL_FILES = ("schema.json", "GUIDE.md")
MARKER_TEXT = """\
# An mrp-classify workspace. Commands run in this folder, or given it with --workspace DIR
# or MRP_CLASSIFY_WORKSPACE, use its labels/ (label files; 'labels import' writes to
# labels/imported/) and models/ (versions trained here; models/DEFAULT names the default,
# and while it names none the model bundled with mrp-classify is used).
"""
# Training config fields that name folders: a config file gives them relative to the workspace.
DATA_FIELDS = ("labels", "documents", "validation_documents", "style_test_documents")


def init_workspace(folder: Path) -> list[Path]:
    """Make ``folder`` a workspace: ``labels/`` with the schema and the guide, ``models/``
    and the marker file. Writes nothing if one of those files exists; returns them."""
    labels = folder / "labels"
    copies = {labels / name: bundled_path(f"labels/{name}") for name in SHIPPED_LABEL_FILES}
    marker = folder / WORKSPACE_MARKER
    existing = [path for path in [*copies, marker] if path.exists()]
    if existing:
        raise MrpError(f"{existing[0]}: already exists, and 'mrp-classify init' never "
                       "overwrites a file; this folder is a workspace already, or pick another")
    labels.mkdir(parents=True, exist_ok=True)
    (folder / "models").mkdir(exist_ok=True)
    for target, source in copies.items():
        shutil.copyfile(source, target)
    write_text_atomic(marker, MARKER_TEXT)
    return [*copies, marker]


def config_in_workspace(config: TrainConfig, given: Collection[str]) -> TrainConfig:
    """``config`` with its relative data folders (``labels``, ``labels/documents/...``) in the
    workspace rather than the current folder; the fields in ``given`` came from the command
    line and stay as typed. Unchanged when the workspace is the current folder, so the
    config saved into the model stays relative."""
    root = workspace()
    if root.resolve() == Path.cwd().resolve():
        return config
    changes = {name: tuple(path if Path(path).is_absolute() else str(root / path)
                           for path in getattr(config, name))
               for name in DATA_FIELDS if name not in given}
    return dataclasses.replace(config, **changes)
