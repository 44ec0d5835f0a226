"""A batch of every hostile input at once, run as a user would run it.

Builds a folder with a good plan and, beside it, a truncated PDF, an encrypted
PDF, an image-only PDF, a PDF with no pages, random bytes named like a plan,
BOM-less UTF-16 text, a DOCX that lies about its sizes, an 18 MB single-paragraph
HTML page, the same plan as TXT and HTML, a file name that looks like a formula,
an .xlsx, a broken link and a link loop; runs ``mrp-classify run --workers 2``
in a child process, and checks what the issue asks of it: every file accounted
for in documents.csv, peak RSS under 1 GB, no process left behind, no temporary
file left, and no profile counted from unreadable text.

    python benchmarks/hostile_batch.py [--model DIR]

Writes ``benchmarks/results/hostile_batch.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hostinfo import describe_machine  # noqa: E402
from tests.docfactory import (  # noqa: E402
    MrpPdf,
    encrypt_pdf,
    image_only_pdf,
    lying_docx,
    mrp_docx,
)

RESULTS = ROOT / "benchmarks" / "results" / "hostile_batch.json"
PLAN = ("Mål- och resursplan 2025\n\nHudiksvalls kommun\n\n"
        "Kommunens ekonomi är stabil och nämnderna ska hålla sina budgetramar.\n\n"
        "Under 2025 ska kommunen införa fler e-tjänster så att invånarna kan söka bygglov "
        "dygnet runt.\n")


def build(folder: Path) -> list[str]:
    (folder / "hudiksvall-2025.txt").write_text(PLAN, encoding="utf-8")
    paragraphs = "".join(f"<p>{p}</p>" for p in PLAN.split("\n\n"))
    (folder / "hudiksvall-2025.html").write_text(f"<html><body>{paragraphs}</body></html>",
                                                 encoding="utf-8")
    good = MrpPdf().page().heading("Falu kommun MRP 2025").paragraph(PLAN.replace("\n", " "))
    pdf = good.save(folder / "falun-2025.pdf")
    (folder / "truncated-falun-2025.pdf").write_bytes(pdf.read_bytes()[:2000])
    encrypt_pdf(pdf, folder / "encrypted-falun-2025.pdf")
    image_only_pdf(folder / "scanned-falun-2025.pdf")
    (folder / "empty-falun-2025.pdf").write_bytes(
        b"%PDF-1.3\n1 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        b"2 0 obj<</Type/Catalog/Pages 1 0 R>>endobj\ntrailer<</Root 2 0 R>>\n%%EOF\n")
    (folder / "garbage-pitea-2025.txt").write_bytes(os.urandom(200_000))
    (folder / "kiruna-utf16-2025.txt").write_bytes(PLAN.replace("Hudiksvalls", "Kiruna")
                                                   .encode("utf-16-le"))
    source = mrp_docx(folder / "ljusnarsberg-2025.docx", [("p", PLAN)])
    lying_docx(source, folder / "bomb-mora-2025.docx", 300_000_000, 50_000)
    source.unlink()
    (folder / "huge-gavle-2025.html").write_text(
        "<html><body><p>" + "Kommunen ska hålla budgeten. " * 640_000 + "</p></body></html>",
        encoding="utf-8")
    (folder / "=HYPERLINK(x)-umea-2025.txt").write_text(PLAN.replace("Hudiksvalls", "Umeå"),
                                                        encoding="utf-8")
    (folder / "budget-2025.xlsx").write_bytes(b"PK\x03\x04")
    (folder / "gone-2025.txt").symlink_to(folder / "nowhere.txt")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    return sorted(p.name for p in folder.iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    from mrp_classify.paths import default_model_dir

    model = args.model or default_model_dir()
    with tempfile.TemporaryDirectory(prefix="mrp-hostile-") as tmp:
        docs, out = Path(tmp) / "docs", Path(tmp) / "out"
        docs.mkdir()
        names = build(docs)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "mrp_classify", "run", str(docs), "--out", str(out),
             "--workers", "2", "--model", str(model), "--quiet"], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, stderr = process.communicate(timeout=3600)
        seconds = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        time.sleep(2)
        leftover = subprocess.run(["pgrep", "-f", f"{tmp}"], capture_output=True,
                                  text=True).stdout.split()
        with open(out / "documents.csv", encoding="utf-8-sig") as handle:
            documents = list(csv.DictReader(handle))
        with open(out / "municipalities.csv", encoding="utf-8-sig") as handle:
            profiles = list(csv.DictReader(handle))
        temps = [str(p.relative_to(out)) for p in out.rglob("*.tmp")]
        listed = {Path(row["file"]).name for row in documents}
        report = {
            "machine": describe_machine(), "model": str(model), "exit_code": process.returncode,
            "seconds": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024, 1),
            "files": len(names), "accounted_for": sorted(listed),
            "missing_from_documents_csv": sorted(set(names) - listed),
            "status": {row["file"].split("/")[-1]: [row["status"], row["error"][:140] or
                                                    row["overflow"][:140]]
                       for row in documents},
            "profiles": {row["kommun"]: [row["profile"], row["needs_review"]]
                         for row in profiles},
            "processes_left": leftover, "temporary_files_left": temps,
            "stderr_tail": stderr[-500:],
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("exit_code", "seconds", "peak_rss_mb",
                                             "missing_from_documents_csv", "processes_left",
                                             "temporary_files_left", "profiles")},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
