"""Errors that the CLI reports as one line; each names the file and the fix."""

from __future__ import annotations

from pathlib import Path


class MrpError(Exception):
    """An error the user can fix; its message is printed as one line by the CLI."""


class MissingExtraError(MrpError):
    """A command needs an optional extra that is not installed."""

    def __init__(self, extra: str, module: str) -> None:
        super().__init__(
            f"this command needs the '{extra}' extra (module '{module}' is missing): "
            f"pip install 'mrp-classify[{extra}]'  (from a clone: pip install -e '.[{extra}]')"
        )


class OutputExistsError(MrpError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: already exists; pass --force to overwrite it")


def require_train_extra() -> None:
    """Fail with an install hint when the training dependencies are missing."""
    import importlib.util

    for module in ("torch", "transformers", "sklearn", "onnx", "safetensors"):
        if importlib.util.find_spec(module) is None:
            raise MissingExtraError("train", module)
