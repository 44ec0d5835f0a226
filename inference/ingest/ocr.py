"""Optional OCR of PDF pages without a text layer (``mrp-classify run --ocr``).

Pages are rendered with pdfium at 300 dpi and read by Tesseract with its Swedish
model (Debian: ``tesseract-ocr`` and ``tesseract-ocr-swe``). Tesseract's own word
confidences are kept: the mean per page goes to ``documents.csv`` and every unit
read this way is marked ``ocr`` in ``paragraphs.csv``, so a reader can weigh what
came from a picture. Without ``--ocr`` a scanned plan stays an error that says
how to OCR it.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from mrp_classify.inference.ingest.common import (
    TEXT,
    DocumentError,
    TextBlock,
    clean_text,
    join_lines,
)

DPI = 300
LANGUAGE = "swe"
TIMEOUT_S = 300
HEADING_WORDS = 5
INSTALL = "install Tesseract with Swedish: apt-get install tesseract-ocr tesseract-ocr-swe"


def tesseract(path: Path) -> str:
    """The tesseract executable, or an error naming the packages to install."""
    program = shutil.which("tesseract")
    if program is None:
        raise DocumentError(path, "OCR was asked for (--ocr) but Tesseract is not installed",
                            INSTALL)
    languages = subprocess.run([program, "--list-langs"], capture_output=True, text=True,
                               timeout=60).stdout.split()
    if LANGUAGE not in languages:
        raise DocumentError(path, "OCR was asked for (--ocr) but Tesseract has no Swedish "
                            "language data", INSTALL)
    return program


def ocr_page(path: Path, page: Any, program: str) -> tuple[list[TextBlock], float]:
    """The page's paragraphs as Tesseract reads them, and its mean word confidence."""
    image = page.render(scale=DPI / 72).to_pil()
    with tempfile.TemporaryDirectory(prefix="mrp-ocr-") as tmp:
        png = Path(tmp) / "page.png"
        image.save(png)
        try:
            result = subprocess.run([program, str(png), "stdout", "-l", LANGUAGE, "tsv"],
                                    capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise DocumentError(path, f"OCR of a page took over {TIMEOUT_S} s",
                                "OCR the file first (e.g. ocrmypdf -l swe)") from None
    if result.returncode != 0:
        raise DocumentError(path, f"Tesseract failed ({result.stderr.strip()[:200]})",
                            "OCR the file first (e.g. ocrmypdf -l swe)")
    return parse_tsv(result.stdout)


def parse_tsv(tsv: str, page_number: int = 0) -> tuple[list[TextBlock], float]:
    """Tesseract's TSV (level 5 rows are words) into text blocks, one per paragraph.

    Tesseract's own paragraphs are too eager on evenly spaced scans, so its lines are
    joined again: a paragraph ends after a line that ends a sentence, a short line
    without an end mark before a capital is a heading line of its own, and a line that
    goes on in lower case continues the paragraph even across Tesseract's blocks.
    """
    lines: dict[tuple[int, int, int], list[str]] = defaultdict(list)
    confidences = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5" or not (row.get("text") or "").strip():
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines[key].append(row["text"])
        confidence = float(row.get("conf") or -1)
        if confidence >= 0:
            confidences.append(confidence)
    paragraphs: list[list[str]] = []
    previous_block = None
    for key in sorted(lines):
        line = clean_text(" ".join(lines[key]))
        if not line:
            continue
        last = paragraphs[-1][-1] if paragraphs else ""
        new = (not paragraphs or last.endswith((".", "!", "?", ":"))
               or (len(last.split()) <= HEADING_WORDS and line[:1].isupper())
               or (key[0] != previous_block and not line[:1].islower()))
        if new:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
        previous_block = key[0]
    blocks = []
    for paragraph in paragraphs:
        text = paragraph[0]
        for line in paragraph[1:]:
            text = join_lines(text, line)
        blocks.append(TextBlock(page_number, text, TEXT, ocr=True))
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return blocks, mean
