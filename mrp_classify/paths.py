"""Where models and caches live."""

from __future__ import annotations

import os
from pathlib import Path

from mrp_classify.errors import MrpError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POINTER = "DEFAULT"


def models_root() -> Path:
    """The model registry: ``models/<name>/<version>/`` plus a ``DEFAULT`` pointer file."""
    return Path(os.environ.get("MRP_CLASSIFY_MODELS", REPO_ROOT / "models"))


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


def default_model_dir() -> Path:
    root = models_root()
    pointer = root / DEFAULT_POINTER
    ref = read_default_pointer(root)
    if ref is None:
        raise MrpError(
            f"{pointer}: no default model is set; pass --model DIR or run "
            "'mrp-classify models promote NAME/VERSION'"
        )
    target = root / ref
    if not (target / "model.json").is_file():
        raise MrpError(f"{pointer}: points at {target}, which has no model.json; "
                       "promote another version")
    return target


def resolve_model_dir(model: Path | None) -> Path:
    return Path(model) if model is not None else default_model_dir()
