"""Read an MRP document (PDF, DOCX, HTML, TXT) into ordered text blocks with page numbers.

One module per format (``pdf``, ``docx``, ``html``, ``txt``), each returning the
same thing: blocks in reading order with the page they start on; ``common`` holds
the blocks, limits, errors, text clean-up, table handling and the health checks.
``read_document`` picks the reader by the file's suffix.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mrp_classify.inference.ingest.common import (
    HEADING,
    LIST_ITEM,
    SUPPORTED_SUFFIXES,
    TABLE_ROW,
    TEXT,
    DocumentError,
    ExtractedDocument,
    ExtractionHealth,
    Limits,
    TextBlock,
    _health,
    _mb,
    clean_text,
    format_row,
    join_lines,
    looks_like_header,
    strip_bullet,
)
from mrp_classify.inference.ingest.docx import _read_docx
from mrp_classify.inference.ingest.html import _read_html
from mrp_classify.inference.ingest.pdf import _read_pdf
from mrp_classify.inference.ingest.txt import _read_txt

log = logging.getLogger(__name__)


def read_document(path: Path, limits: Limits | None = None) -> ExtractedDocument:
    """Read one document into blocks; raise DocumentError when it cannot be used."""
    path = Path(path)
    limits = limits or Limits()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            path, f"unsupported file type '{suffix or '(none)'}'",
            "convert it to PDF, DOCX, HTML or TXT",
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DocumentError(path, "file not found", "check the path") from None
    if not path.is_file():
        raise DocumentError(path, "not a file", "give the path of a document")
    if size == 0:
        raise DocumentError(path, "empty file (0 bytes)", "download or export it again")
    if size > limits.max_file_bytes:
        raise DocumentError(
            path, f"file is {_mb(size)}, over the limit of {_mb(limits.max_file_bytes)}",
            "split the document into smaller parts",
        )
    reader = {".pdf": _read_pdf, ".docx": _read_docx, ".html": _read_html, ".htm": _read_html,
              ".txt": _read_txt}[suffix]
    try:
        raw = reader(path, limits)
    except OSError as exc:
        raise DocumentError(path, f"cannot be read ({exc.strerror or exc})",
                            "check that the file is readable") from None
    if not any(block.text for block in raw.blocks):
        raise DocumentError(path, "no text found", "check that the file holds the plan's text")
    health = _health(raw)
    if health.flag:
        log.warning("%s: %s", path, health.flag)
    fmt = "html" if suffix == ".htm" else suffix[1:]
    return ExtractedDocument(path, fmt, raw.blocks, health, raw.title_text)


__all__ = [
    "HEADING", "LIST_ITEM", "SUPPORTED_SUFFIXES", "TABLE_ROW", "TEXT", "DocumentError",
    "ExtractedDocument", "ExtractionHealth", "Limits", "TextBlock", "clean_text", "format_row",
    "join_lines", "looks_like_header", "read_document", "strip_bullet",
]
