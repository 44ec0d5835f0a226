"""Hostile and awkward inputs: no silent wrong result, bounded resources, clean processes."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mrp_classify.errors import MrpError
from mrp_classify.inference import run as run_module
from mrp_classify.inference.ingest import DocumentError, Limits, read_document
from mrp_classify.inference.run import extract_document, run
from tests.docfactory import mrp_docx
from tests.test_run import CITIZEN, FILLER, INTERNAL, FakeClassifier, plan

pytestmark = pytest.mark.filterwarnings("ignore")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def quiet_report(monkeypatch: pytest.MonkeyPatch) -> None:
    def write(out_dir: Path, *_: object) -> Path:
        (out_dir / "report.html").write_text("<html></html>", encoding="utf-8")
        return out_dir / "report.html"

    monkeypatch.setattr(run_module, "write_report", write)


def test_the_same_plan_in_two_formats_counts_once(docs: Path, model_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_report(monkeypatch)
    body = plan("Hudiksvalls kommun", FILLER, CITIZEN, INTERNAL)
    (docs / "hudiksvall-2025.txt").write_text(body, encoding="utf-8")
    html = "".join(f"<p>{part}</p>" for part in body.split("\n\n"))
    (docs / "hudiksvall-2025.html").write_text(f"<html><body>{html}</body></html>",
                                               encoding="utf-8")
    out = docs.parent / "out"
    run([docs], out, model_dir, classifier=FakeClassifier())
    documents = {row["file"]: row for row in rows(out / "documents.csv")}
    assert documents["docs/hudiksvall-2025.txt"]["duplicate_of"] == "docs/hudiksvall-2025.html"
    (profile,) = rows(out / "municipalities.csv")
    assert (profile["n_citizen_facing"], profile["n_internal_efficiency"]) == ("1", "1")
    assert int(profile["words"]) == int(documents["docs/hudiksvall-2025.html"]["words"])


def test_binary_and_bomless_wide_text(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage-pitea-2025.txt"
    garbage.write_bytes(bytes(range(256)) * 800)
    with pytest.raises(DocumentError, match="binary data, not text"):
        read_document(garbage)
    nul_laced = tmp_path / "nul-2025.txt"
    text = (FILLER * 20).encode("utf-8")
    nul_laced.write_bytes(b"\x00".join(text[i:i + 8] for i in range(0, len(text), 8)))
    with pytest.raises(DocumentError, match="binary"):
        read_document(nul_laced)
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le"):
        wide = tmp_path / f"{codec}-2025.txt"
        wide.write_bytes(f"{FILLER}\n\n{CITIZEN}\n".encode(codec))
        assert [b.text for b in read_document(wide).blocks] == [FILLER, CITIZEN], codec


def test_a_docx_that_lies_about_its_sizes_is_stopped_while_inflating(tmp_path: Path) -> None:
    from tests.docfactory import lying_docx

    source = mrp_docx(tmp_path / "plan.docx", [("p", FILLER)])
    # inflates far past what it declares
    bomb = lying_docx(source, tmp_path / "bomb.docx", 60_000_000, 50_000)
    started = time.perf_counter()
    with pytest.raises(DocumentError, match="would decompress to more than"):
        read_document(bomb, Limits(max_docx_part_bytes=5_000_000))
    assert time.perf_counter() - started < 10


def test_a_file_replaced_while_it_is_read_is_an_error(tmp_path: Path) -> None:
    from mrp_classify.io import sha256_file

    path = tmp_path / "hudiksvall-2025.txt"
    path.write_text(plan("Hudiksvalls kommun", FILLER), encoding="utf-8")
    before = sha256_file(path)
    path.write_text(plan("Hudiksvalls kommun", CITIZEN), encoding="utf-8")
    result = extract_document(str(path), Limits(), before)
    assert isinstance(result, str) and "changed while it was read" in result


def test_units_and_their_length_are_bounded(docs: Path, model_dir: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_report(monkeypatch)
    huge = " ".join(["Kommunens ekonomi är stabil."] * 4000)  # one 112,000-character paragraph
    many = "\n\n".join(f"Stycke {n}: förskolan ska erbjuda en trygg miljö." for n in range(60))
    (docs / "hudiksvall-2025.txt").write_text(plan("Hudiksvalls kommun", huge, many),
                                              encoding="utf-8")
    out = docs.parent / "out"
    classifier = FakeClassifier()
    run([docs], out, model_dir, classifier=classifier,
        limits=Limits(max_unit_chars=20_000, max_units=40))
    (row,) = rows(out / "documents.csv")
    assert "units past the limits of 40 units" in row["overflow"]
    assert int(row["classified_paragraphs"]) == 40
    assert all(len(p["text"]) <= 20_000 for p in rows(out / "paragraphs.csv"))


FORMULAS = ("=HYPERLINK(\"http://x\";\"klicka\")", "+1+1", "@SUM(A1)")


def test_formula_cells_are_neutralised(docs: Path, model_dir: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_report(monkeypatch)
    (docs / "=cmd-hudiksvall-2025.txt").write_text(
        plan("Hudiksvalls kommun", *(f"{start} och kommunen ska hålla sina budgetramar under "
                                     "hela planperioden." for start in FORMULAS)),
        encoding="utf-8")
    out = docs.parent / "out"
    run([docs], out, model_dir, classifier=FakeClassifier())
    texts = [p["text"] for p in rows(out / "paragraphs.csv")]
    assert sum(t.startswith(tuple(f" {f}" for f in FORMULAS)) for t in texts) == 3
    assert rows(out / "documents.csv")[0]["file"] == "docs/=cmd-hudiksvall-2025.txt"
    assert all(not cell.startswith(("=", "+", "@")) for row in rows(out / "documents.csv")
               for cell in row.values())
    from mrp_classify.inference.outputs import RunOutputs

    back = [p.text for p in RunOutputs(out).read_paragraphs()]
    assert sum(t.startswith(FORMULAS) for t in back) == 3  # the reader restores the text


def test_a_second_run_into_the_same_folder_is_refused(docs: Path, model_dir: Path) -> None:
    from mrp_classify.inference.outputs import RunOutputs

    (docs / "hudiksvall-2025.txt").write_text(plan("Hudiksvalls kommun", FILLER),
                                              encoding="utf-8")
    out = docs.parent / "out"
    with RunOutputs(out).lock(), pytest.raises(MrpError, match="another mrp-classify run"):
        run([docs], out, model_dir, classifier=FakeClassifier(), resume=True)


def test_leftover_temporary_files_are_removed(docs: Path, model_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_report(monkeypatch)
    (docs / "hudiksvall-2025.txt").write_text(plan("Hudiksvalls kommun", FILLER),
                                              encoding="utf-8")
    out = docs.parent / "out"
    (out / ".state" / "abc").mkdir(parents=True)
    leftovers = [out / ".paragraphs.csv.x1.tmp", out / ".state" / "abc" / ".1234.json.y.tmp"]
    for leftover in leftovers:
        leftover.write_text("half", encoding="utf-8")
    run([docs], out, model_dir, classifier=FakeClassifier(), resume=True)
    assert not any(p.exists() for p in leftovers)


def test_every_file_is_accounted_for(docs: Path, model_dir: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_report(monkeypatch)
    (docs / "hudiksvall-2025.txt").write_text(plan("Hudiksvalls kommun", FILLER),
                                              encoding="utf-8")
    (docs / "budget.xlsx").write_bytes(b"PK")
    (docs / "gone.txt").symlink_to(docs / "nowhere.txt")
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    out = docs.parent / "out"
    result = run([docs], out, model_dir, classifier=FakeClassifier())
    found = {row["file"]: row for row in rows(out / "documents.csv")}
    assert found["docs/budget.xlsx"]["status"] == "skipped"
    assert "unsupported file type '.xlsx'" in found["docs/budget.xlsx"]["error"]
    assert "broken link" in found["docs/gone.txt"]["error"]
    assert "link loop" in found["docs/loop"]["error"]
    assert result.exit_code == 0  # skipped files are listed, not failures


def test_write_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    from mrp_classify.io import write_text_atomic

    with pytest.raises(MrpError, match=r"x{300}.*cannot write .*shorter file"):
        write_text_atomic(tmp_path / ("x" * 300), "text")


def test_label_import_survives_odd_exports(tmp_path: Path) -> None:
    from mrp_classify.label_import import read_doccano_rows, read_labelstudio_rows, read_rows

    long_text = "Ett långt stycke. " * 10_000  # 180,000 characters: over csv's default limit
    queue = tmp_path / "queue.csv"
    queue.write_text(f"id,text,label\nq1,\"{long_text}\",none\n", encoding="utf-8")
    (row,), _ = read_rows(queue)
    assert row.text == long_text
    tsv = tmp_path / "excel.txt.csv"
    tsv.write_bytes("id\ttext\tlabel\nq1\tFler e-tjänster\tcitizen_facing\n".encode("utf-16"))
    (row,), _ = read_rows(tsv)
    assert (row.text, row.label) == ("Fler e-tjänster", "citizen_facing")
    doccano = tmp_path / "doccano.jsonl"
    doccano.write_text("\n".join([
        json.dumps({"text": "a", "label": ["none"], "meta": "not an object"}),
        "[" * 100_000 + "]" * 100_000,
    ]) + "\n", encoding="utf-8")
    found, problems = read_doccano_rows(doccano)
    assert not found and [p.line for p in problems] == [1, 2]
    studio = tmp_path / "studio.json"
    studio.write_text(json.dumps([{"data": {"text": ["a", "list"]}, "annotations": []}]),
                      encoding="utf-8")
    found, problems = read_labelstudio_rows(studio)
    assert not found and "not a string" in problems[0].reason


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM])
def test_reader_processes_do_not_outlive_the_run(tmp_path: Path, tiny_model: Path,
                                                 signum: int) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for n in range(30):
        (docs / f"hudiksvall-{n}-2025.txt").write_text("\n\n".join(
            f"Stycke {n}.{k}: kommunen ska införa e-tjänster och minska kostnaderna."
            for k in range(600)), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "mrp_classify", "run", str(docs), "--out", str(tmp_path / "o"),
         "--workers", "2", "--model", str(tiny_model)], start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: list[str] = []
    for _ in range(100):
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True,
                                  text=True).stdout.split()
        if len(children) >= 2:
            break
        time.sleep(0.2)
    assert len(children) >= 2, "the run did not start its reader processes"
    os.kill(process.pid, signum)
    process.wait(timeout=60)
    deadline = time.time() + 15
    alive = children
    while alive and time.time() < deadline:
        time.sleep(0.3)
        alive = [pid for pid in children if Path(f"/proc/{pid}").exists()
                 and "zombie" not in Path(f"/proc/{pid}/status").read_text()
                 and "(Z" not in Path(f"/proc/{pid}/stat").read_text()]
    assert not alive, f"processes left behind: {[Path(f'/proc/{p}/cmdline').read_bytes()[:80] for p in alive]}"


SCANNED = [["Mål- och resursplan 2025", "Hudiksvalls kommun", "",
            "Kommunens ekonomi är stabil och nämnderna ska hålla sina budgetramar."],
           ["Digitalisering", "Under 2025 ska kommunen införa fler e-tjänster så att invånarna",
            "kan söka bygglov och förskoleplats dygnet runt.", "",
            "Ett e-arkiv införs under planperioden så att pappersarkiven",
            "kan avvecklas och handläggarna sparar tid."],
           ["Samhällsbyggnad", "Bostadsbyggandet ska öka och nya detaljplaner tas fram."]]


def scanned_pdf(path: Path) -> Path:
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 34)
    except OSError:
        font = ImageFont.load_default(34)
    pdf = FPDF(unit="pt", format="A4")
    for n, lines in enumerate(SCANNED):
        image = Image.new("L", (1654, 2339), 255)
        draw = ImageDraw.Draw(image)
        for k, line in enumerate(lines):
            draw.text((150, 150 + 60 * k), line, fill=0, font=font)
        png = path.with_name(f"page{n}.png")
        image.save(png)
        pdf.add_page()
        pdf.image(str(png), x=0, y=0, w=595, h=842)
    pdf.output(str(path))
    return path


@pytest.mark.skipif(shutil.which("tesseract") is None,
                    reason="Tesseract is not installed (apt-get install tesseract-ocr "
                           "tesseract-ocr-swe); .ci/run installs it")
def test_a_scanned_plan_is_read_with_ocr(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "hudiksvall-2025.pdf")
    with pytest.raises(DocumentError, match="no text layer"):
        read_document(path)
    document = read_document(path, Limits(ocr=True))
    texts = [block.text for block in document.blocks]
    assert any("e-tjänster" in t and "dygnet runt" in t for t in texts), texts
    assert any("e-arkiv" in t for t in texts)
    assert all(block.ocr for block in document.blocks)
    assert [page for page, _ in document.health.ocr_confidence] == [1, 2, 3]
    assert all(confidence > 50 for _, confidence in document.health.ocr_confidence)


def test_ocr_without_tesseract_names_the_packages(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = scanned_pdf(tmp_path / "hudiksvall-2025.pdf")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(DocumentError, match="tesseract-ocr tesseract-ocr-swe"):
        read_document(path, Limits(ocr=True))
