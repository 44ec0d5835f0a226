"""Where the workspace, the bundled files, models and caches live.

The workspace is the folder of a user's own data: ``labels/``, ``models/`` (versions
trained there and a ``DEFAULT`` pointer) and runs. It is, in this order: the
``--workspace`` option, ``$MRP_CLASSIFY_WORKSPACE``, the current folder when it has
``labels/``, ``models/`` or ``mrp-classify.toml``, the source checkout (so the
repository's own commands and tests work from any of its folders), the current folder.

The files the package ships (the default model, the label schema) are inside the
installed package, where the wheel build puts them (``setup.py``), or, in a source
checkout, in the repository's ``models/`` and ``labels/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from mrp_classify.errors import MrpError

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
DEFAULT_POINTER = "DEFAULT"
WORKSPACE_ENV = "MRP_CLASSIFY_WORKSPACE"
WORKSPACE_MARKER = "mrp-classify.toml"

_explicit_workspace: Path | None = None


def use_workspace(folder: Path | None) -> None:
    """The ``--workspace`` option: the workspace of this process (None: resolve it)."""
    global _explicit_workspace
    _explicit_workspace = folder


def requested_workspace() -> Path | None:
    """The workspace named by ``--workspace``, else by ``$MRP_CLASSIFY_WORKSPACE``."""
    if _explicit_workspace is not None:
        return _explicit_workspace
    named = os.environ.get(WORKSPACE_ENV)
    return Path(named) if named else None


def looks_like_workspace(folder: Path) -> bool:
    return ((folder / "labels").is_dir() or (folder / "models").is_dir()
            or (folder / WORKSPACE_MARKER).is_file())


def source_checkout() -> Path | None:
    """The repository root when the package runs from one (an editable install); an
    installed package has no pyproject.toml beside it."""
    return REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() else None


def workspace() -> Path:
    """The folder whose ``labels/`` and ``models/`` commands read and write (module docstring)."""
    requested = requested_workspace()
    if requested is not None:
        if not requested.is_dir():
            raise MrpError(f"{requested}: workspace folder not found; create it with "
                           f"'mrp-classify init {requested}'")
        return requested
    here = Path.cwd()
    if looks_like_workspace(here):
        return here
    return source_checkout() or here


def bundled_path(relative: str) -> Path:
    """A file or folder shipped with the package, e.g. ``models`` or ``labels/schema.json``."""
    if BUNDLED_DIR.is_dir() or source_checkout() is None:
        return BUNDLED_DIR / relative
    return REPO_ROOT / relative


def models_root() -> Path:
    """The workspace's model registry: ``models/<name>/<version>/`` plus a ``DEFAULT``
    pointer file (``$MRP_CLASSIFY_MODELS`` moves it)."""
    explicit = os.environ.get("MRP_CLASSIFY_MODELS")
    return Path(explicit) if explicit else workspace() / "models"


def cache_dir() -> Path:
    """Converted base models and other regenerable files; never inside the repository."""
    explicit = os.environ.get("MRP_CLASSIFY_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mrp-classify"


def read_default_pointer(root: Path) -> str | None:
    """The ``name/version`` in ``root/DEFAULT``, or None when no default is set."""
    pointer = root / DEFAULT_POINTER
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def write_default_pointer(root: Path, ref: str) -> None:
    """Make ``name/version`` the default of the registry ``root`` (atomically)."""
    from mrp_classify.io import write_text_atomic

    write_text_atomic(root / DEFAULT_POINTER, ref + "\n")


def default_model_dir(root: Path | None = None) -> Path:
    """The model the registry's ``DEFAULT`` names (default: the workspace's), else, while it
    names none, the model bundled with the package."""
    pointer = (root or models_root()) / DEFAULT_POINTER
    ref = read_default_pointer(pointer.parent)
    if ref is None:
        bundled = bundled_path("models")
        ref = read_default_pointer(bundled)
        if ref is None:
            raise MrpError(
                f"{pointer}: no default model is set and this installation bundles none; "
                "pass --model DIR or run 'mrp-classify models promote NAME/VERSION'")
        pointer = bundled / DEFAULT_POINTER
    target = pointer.parent / ref
    if not (target / "model.json").is_file():
        raise MrpError(f"{pointer}: points at {target}, which has no model.json; "
                       "promote another version")
    return target


def resolve_model_dir(model: Path | None) -> Path:
    return Path(model) if model is not None else default_model_dir()
