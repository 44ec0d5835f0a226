"""The `mrp-classify` command line (``app``), assembled from its command modules."""

from __future__ import annotations

from mrp_classify.cli import (  # noqa: F401
    cascade,
    compare,
    documents,
    labels,
    models,
    paragraphs,
    training,
    workspace,
)
from mrp_classify.cli.app import app, handle_errors


def main() -> None:
    app()


__all__ = ["app", "handle_errors", "main"]
