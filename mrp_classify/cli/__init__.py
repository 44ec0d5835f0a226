"""The `mrp-classify` command line (``app``), assembled from its command modules."""

from __future__ import annotations

from mrp_classify.cli import documents, labels, models, paragraphs, training  # noqa: F401
from mrp_classify.cli.app import app, handle_errors


def main() -> None:
    app()


__all__ = ["app", "handle_errors", "main"]
