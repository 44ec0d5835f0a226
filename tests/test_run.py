"""The main job on tiny TXT/HTML documents with a fake classifier."""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mrp_classify.errors import MrpError
from mrp_classify.inference import run as run_module
from mrp_classify.inference.ingest import Limits
from mrp_classify.inference.inputs import collect_documents, display_path
from mrp_classify.inference.model import ModelInput
from mrp_classify.inference.run import (
    Extraction,
    extract_document,
    read_documents,
    run,
)

LABELS = ("none", "internal_efficiency", "citizen_facing")
OUTPUTS = ("documents.csv", "paragraphs.csv", "municipalities.csv", "summary.json")

FILLER = ("Kommunens resultat för året beräknas bli positivt och nämnderna ska hålla sina "
          "budgetramar under hela planperioden enligt den senaste prognosen.")
CITIZEN = ("Fler e-tjänster ska göra det enkelt för invånarna att söka bygglov och "
           "förskoleplats dygnet runt, även på helger.")
INTERNAL = ("Automatisering av återkommande administrativa uppgifter ska frigöra tid för "
            "handläggarna och sänka kostnaderna under planperioden.")


class FakeClassifier:
    """Keyword rules instead of a model; can be told to fail on its n-th call."""

    labels = LABELS

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.fail_on_call = fail_on_call
        self.calls: list[int] = []

    def predict_proba(self, items: Sequence[ModelInput]) -> np.ndarray:
        self.calls.append(len(items))
        if self.fail_on_call == len(self.calls):
            raise RuntimeError("simulated crash")
        rows = []
        for text in (item.text for item in items):
            if "e-tjänst" in text:
                rows.append((0.05, 0.05, 0.90))
            elif "Automatisering" in text:
                rows.append((0.10, 0.85, 0.05))
            else:
                rows.append((0.97, 0.02, 0.01))
        return np.array(rows, dtype=np.float32)


def plan(title: str, *paragraphs: str) -> str:
    return "\n\n".join([title, "Mål- och resursplan 2025", *paragraphs]) + "\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of documents, the current folder so that paths in the outputs are relative."""
    monkeypatch.chdir(tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "hudiksvall-2025.txt").write_text(
        plan("Hudiksvalls kommun", FILLER, CITIZEN, INTERNAL), encoding="utf-8")
    (docs / "goteborg-2025.txt").write_text(
        plan("Göteborgs Stad", FILLER, INTERNAL), encoding="utf-8")
    (docs / "mark-2025.html").write_text(
        "<html><head><title>Marks kommun budget 2025</title></head><body>"
        f"<h1>Budget 2025</h1><p>{FILLER}</p><p>{FILLER} Andra stycket.</p></body></html>",
        encoding="utf-8")
    (docs / "sub").mkdir()
    (docs / "sub" / "hudiksvall-2025-bilaga.txt").write_text(
        plan("Bilaga", FILLER + " Bilagan."), encoding="utf-8")
    return docs


@pytest.fixture(autouse=True)
def fake_report(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Stand in for the HTML report, which has its own tests."""
    calls: list[Path] = []

    def write(out_dir: Path, *_: object) -> Path:
        calls.append(out_dir)
        path = out_dir / "report.html"
        path.write_text("<html></html>", encoding="utf-8")
        return path

    monkeypatch.setattr(run_module, "write_report", write)
    return calls


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def outputs(out_dir: Path) -> dict[str, bytes]:
    return {name: (out_dir / name).read_bytes() for name in OUTPUTS}


def test_run_writes_all_outputs(workdir: Path, model_dir: Path, fake_report: list[Path]) -> None:
    out = workdir.parent / "out"
    result = run([workdir], out, model_dir, classifier=FakeClassifier())
    assert result.exit_code == 0
    assert (result.documents, result.ok, result.errors, result.unresolved) == (4, 4, 0, 0)
    assert fake_report == [out] and result.report == out / "report.html"

    documents = read_csv(out / "documents.csv")
    assert [d["file"] for d in documents] == [
        "docs/goteborg-2025.txt", "docs/hudiksvall-2025.txt", "docs/mark-2025.html",
        "docs/sub/hudiksvall-2025-bilaga.txt"]
    hud = documents[1]
    assert (hud["status"], hud["kommunkod"], hud["kommun"], hud["year"]) == (
        "ok", "2184", "Hudiksvall", "2025")
    assert hud["municipality_source"] == "filename" and hud["format"] == "txt"
    assert int(hud["classified_paragraphs"]) >= 3
    assert int(hud["words"]) > 40
    assert len(hud["sha256"]) == 64

    paragraphs = read_csv(out / "paragraphs.csv")
    assert list(paragraphs[0]) == [
        "file", "kommunkod", "year", "page", "index", "heading_path", "kind", "text", "label",
        "p_none", "p_internal_efficiency", "p_citizen_facing", "ocr"]
    citizen = [p for p in paragraphs if p["label"] == "citizen_facing"]
    assert len(citizen) == 1
    assert citizen[0]["p_citizen_facing"] == "0.9000"
    assert citizen[0]["file"] == "docs/hudiksvall-2025.txt"
    assert len(paragraphs) == sum(int(d["classified_paragraphs"]) for d in documents)

    rows = {(m["kommunkod"], m["year"]): m for m in read_csv(out / "municipalities.csv")}
    assert set(rows) == {("1480", "2025"), ("1463", "2025"), ("2184", "2025")}
    assert rows[("2184", "2025")]["profile"] == "citizen_facing"
    assert rows[("2184", "2025")]["documents"] == "2"  # the plan and its annex combined
    assert rows[("1480", "2025")]["profile"] == "internal_only"
    assert rows[("1463", "2025")]["profile"] == "no_digital_goals"
    assert rows[("1463", "2025")]["citizen_share"] == ""

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["model"]["name"] == "fake" and summary["model"]["labels"] == list(LABELS)
    assert summary["documents"]["ok"] == 4
    hud_profile = next(p for p in summary["profiles"] if p["kommunkod"] == "2184")
    assert hud_profile["evidence"][0]["file"] == "docs/hudiksvall-2025.txt"
    assert hud_profile["evidence"][0]["text"].startswith("Fler e-tjänster")


def test_same_inputs_give_byte_identical_outputs(workdir: Path, model_dir: Path) -> None:
    first = run([workdir], workdir.parent / "a", model_dir, classifier=FakeClassifier())
    second = run([workdir], workdir.parent / "b", model_dir, classifier=FakeClassifier())
    assert first.exit_code == second.exit_code == 0
    assert outputs(workdir.parent / "a") == outputs(workdir.parent / "b")


def test_crash_mid_run_then_resume_matches_an_uninterrupted_run(
    workdir: Path, model_dir: Path
) -> None:
    reference = workdir.parent / "reference"
    run([workdir], reference, model_dir, classifier=FakeClassifier())

    out = workdir.parent / "out"
    with pytest.raises(RuntimeError, match="simulated crash"):
        run([workdir], out, model_dir, classifier=FakeClassifier(fail_on_call=3))
    states = list((out / ".state").rglob("*.json"))
    assert len(states) == 2
    assert not (out / "documents.csv").exists()

    with pytest.raises(MrpError, match="not empty; pass --resume"):
        run([workdir], out, model_dir, classifier=FakeClassifier())
    resumed_classifier = FakeClassifier()
    result = run([workdir], out, model_dir, resume=True, classifier=resumed_classifier)
    assert len(resumed_classifier.calls) == 2  # only the two unfinished documents
    assert result.resumed == 2 and result.exit_code == 0
    assert outputs(out) == outputs(reference)

    again = FakeClassifier()
    run([workdir], out, model_dir, resume=True, classifier=again)
    assert again.calls == []
    assert outputs(out) == outputs(reference)


def test_a_new_model_does_not_reuse_old_results(workdir: Path, model_dir: Path) -> None:
    out = workdir.parent / "out"
    run([workdir], out, model_dir, classifier=FakeClassifier())
    (model_dir / "model.onnx").write_bytes(b"another export")
    classifier = FakeClassifier()
    run([workdir], out, model_dir, resume=True, classifier=classifier)
    assert len(classifier.calls) == 4


def test_broken_documents_do_not_stop_the_batch(
    workdir: Path, model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (workdir / "broken-2025.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    (workdir / "empty-2025.txt").write_bytes(b"")
    out = workdir.parent / "out"
    with caplog.at_level(logging.WARNING):
        result = run([workdir], out, model_dir, classifier=FakeClassifier())
    assert result.exit_code == 1
    assert (result.ok, result.errors) == (4, 2)
    documents = {d["file"]: d for d in read_csv(out / "documents.csv")}
    for name in ("docs/broken-2025.pdf", "docs/empty-2025.txt"):
        row = documents[name]
        assert row["status"] == "error"
        assert "\n" not in row["error"]
        assert row["paragraphs"] == ""
    # The file is named once: beside its error (documents.csv, the report), in the log line.
    assert documents["docs/broken-2025.pdf"]["error"] == (
        "not a readable PDF (corrupt or truncated) — download or export it again")
    assert documents["docs/empty-2025.txt"]["error"] == (
        "empty file (0 bytes) — download or export it again")
    assert documents["docs/empty-2025.txt"]["kommunkod"] == ""  # "empty" is no municipality
    assert len(read_csv(out / "municipalities.csv")) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(e["file"], e["error"]) for e in summary["documents"]["errors"]] == [
        (name, documents[name]["error"]) for name in ("docs/broken-2025.pdf",
                                                      "docs/empty-2025.txt")]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING][:2] == [
        "docs/broken-2025.pdf: not a readable PDF (corrupt or truncated) — download or export "
        "it again", "docs/empty-2025.txt: empty file (0 bytes) — download or export it again"]

    # A resumed run tries failed documents again; the finished ones are kept.
    (workdir / "empty-2025.txt").unlink()
    (workdir / "broken-2025.pdf").unlink()
    classifier = FakeClassifier()
    assert run([workdir], out, model_dir, resume=True, classifier=classifier).exit_code == 0
    assert classifier.calls == []


def test_unresolved_document_is_classified_but_not_aggregated(
    workdir: Path, model_dir: Path
) -> None:
    (workdir / "notes.txt").write_text(plan("Anteckningar", FILLER, CITIZEN), encoding="utf-8")
    out = workdir.parent / "out"
    result = run([workdir], out, model_dir, classifier=FakeClassifier())
    assert result.exit_code == 1 and result.unresolved == 1
    row = next(d for d in read_csv(out / "documents.csv") if d["file"] == "docs/notes.txt")
    assert (row["status"], row["municipality_source"], row["kommunkod"]) == (
        "ok", "unresolved", "")
    notes = [p for p in read_csv(out / "paragraphs.csv") if p["file"] == "docs/notes.txt"]
    assert notes and all(p["kommunkod"] == "" for p in notes)
    assert len(read_csv(out / "municipalities.csv")) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["documents"]["unresolved_files"][0]["file"] == "docs/notes.txt"


def test_manifest_overrides_detection(workdir: Path, model_dir: Path) -> None:
    (workdir / "notes.txt").write_text(plan("Anteckningar", FILLER, CITIZEN), encoding="utf-8")
    manifest = workdir / "manifest.csv"
    manifest.write_text("file,kommunkod,year\nnotes.txt,0180,2024\n", encoding="utf-8")
    out = workdir.parent / "out"
    result = run([workdir], out, model_dir, manifest=manifest, classifier=FakeClassifier())
    assert result.exit_code == 0
    row = next(d for d in read_csv(out / "documents.csv") if d["file"] == "docs/notes.txt")
    assert (row["kommunkod"], row["kommun"], row["year"], row["municipality_source"]) == (
        "0180", "Stockholm", "2024", "manifest")
    stockholm = next(m for m in read_csv(out / "municipalities.csv") if m["kommunkod"] == "0180")
    assert (stockholm["year"], stockholm["profile"]) == ("2024", "citizen_facing")


def test_report_failure_keeps_the_outputs(
    workdir: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(out_dir: Path, *_: object) -> Path:
        raise ValueError("template missing")

    monkeypatch.setattr(run_module, "write_report", broken)
    out = workdir.parent / "out"
    with caplog.at_level(logging.ERROR):
        result = run([workdir], out, model_dir, classifier=FakeClassifier())
    assert result.exit_code == 1 and result.report is None
    assert all((out / name).is_file() for name in OUTPUTS)
    assert "template missing" in caplog.text


def test_out_dir_checks(workdir: Path, model_dir: Path) -> None:
    out = workdir.parent / "out"
    out.mkdir()
    (out / "old.txt").write_text("x", encoding="utf-8")
    with pytest.raises(MrpError, match="out: not empty; pass --resume to continue or choose "
                                       "another --out"):
        run([workdir], out, model_dir, classifier=FakeClassifier())
    with pytest.raises(MrpError, match="not a folder"):
        run([workdir], out / "old.txt", model_dir, classifier=FakeClassifier())
    empty = workdir.parent / "empty"
    empty.mkdir()
    assert run([workdir], empty, model_dir, classifier=FakeClassifier()).exit_code == 0


def test_resume_only_into_a_run(workdir: Path, model_dir: Path) -> None:
    unrelated = workdir.parent / "notes"
    unrelated.mkdir()
    (unrelated / "todo.txt").write_text("x", encoding="utf-8")
    with pytest.raises(MrpError, match=r"notes: not empty and no run to resume \(no \.state/ "
                                       r"folder\); give --resume the --out of the interrupted "
                                       r"run, or choose an empty or new --out"):
        run([workdir], unrelated, model_dir, resume=True, classifier=FakeClassifier())
    assert [p.name for p in unrelated.iterdir()] == ["todo.txt"]
    # A new or empty folder, or a run stopped before its first document (only its lock).
    for name in ("new", "empty", "stopped-early"):
        out = workdir.parent / name
        if name != "new":
            out.mkdir()
        if name == "stopped-early":
            (out / ".lock").touch()
        result = run([workdir], out, model_dir, resume=True, classifier=FakeClassifier(),
                     use_cache=False)
        assert result.exit_code == 0 and result.resumed == 0


def test_skipped_files_are_named_once(workdir: Path, model_dir: Path) -> None:
    (workdir / "budget-2025.xlsx").write_bytes(b"PK")
    out = workdir.parent / "out"
    run([workdir], out, model_dir, classifier=FakeClassifier())
    row = next(d for d in read_csv(out / "documents.csv") if d["file"] == "docs/budget-2025.xlsx")
    assert (row["status"], row["error"]) == (
        "skipped", "unsupported file type '.xlsx' — convert it to PDF, DOCX, HTML or TXT")


def test_bad_arguments(workdir: Path, model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(MrpError, match="must be at least 1"):
        run([workdir], tmp_path / "o", model_dir, workers=0, classifier=FakeClassifier())
    with pytest.raises(MrpError, match="model.json: not found"):
        run([workdir], tmp_path / "o", tmp_path / "nomodel", classifier=FakeClassifier())
    assert not (tmp_path / "o").exists()  # nothing is created before the inputs are checked

    class Digital(FakeClassifier):
        labels = ("none", "digital")

    with pytest.raises(MrpError, match="labels"):
        run([workdir], tmp_path / "o", model_dir, classifier=Digital())


def test_collect_documents(workdir: Path) -> None:
    (workdir / ".hidden.txt").write_text("x", encoding="utf-8")
    (workdir / ".git").mkdir()
    (workdir / ".git" / "x.txt").write_text("x", encoding="utf-8")
    (workdir / "~$plan.docx").write_text("x", encoding="utf-8")
    (workdir / "image.png").write_bytes(b"x")
    (workdir / "UPPER.TXT").write_text("x", encoding="utf-8")
    out = workdir / "out"
    out.mkdir()
    (out / "report.html").write_text("x", encoding="utf-8")
    named = workdir / "hudiksvall-2025.txt"
    found = collect_documents([workdir, named], exclude=out)
    assert [display_path(p) for p in found] == [
        "docs/UPPER.TXT", "docs/goteborg-2025.txt", "docs/hudiksvall-2025.txt",
        "docs/mark-2025.html", "docs/sub/hudiksvall-2025-bilaga.txt"]
    with pytest.raises(MrpError, match="nowhere: no such file or folder"):
        collect_documents([Path("nowhere")])
    (workdir.parent / "nothing").mkdir()
    with pytest.raises(MrpError, match="no documents found"):
        collect_documents([workdir.parent / "nothing"])


def test_paths_outside_the_current_folder_are_absolute(
    workdir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    os.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert display_path(workdir / "a.txt") == (workdir / "a.txt").as_posix()


def test_worker_processes_give_the_same_outputs(workdir: Path, model_dir: Path) -> None:
    run([workdir], workdir.parent / "one", model_dir, classifier=FakeClassifier())
    result = run([workdir], workdir.parent / "two", model_dir, workers=2,
                 classifier=FakeClassifier())
    assert result.exit_code == 0
    assert outputs(workdir.parent / "one") == outputs(workdir.parent / "two")


def crashing_reader(path: str, limits: Limits, sha256: str = "") -> Extraction | str:
    """Kills its worker process on 'crash' files, like a parser library that segfaults."""
    if Path(path).name.startswith("crash-"):
        os._exit(1)
    return extract_document(path, limits)


def test_a_worker_crash_is_blamed_on_its_file_only(workdir: Path) -> None:
    folder = workdir / "crashing"
    folder.mkdir()
    for name in ("a-2025.txt", "crash-2025.txt", "b-2025.txt"):
        (folder / name).write_text(plan("Plan", FILLER), encoding="utf-8")
    files = [display_path(p) for p in collect_documents([folder])]
    results = dict(read_documents(files, Limits(), workers=2, reader=crashing_reader))
    assert list(results) == files
    assert results["docs/crashing/crash-2025.txt"] == (
        "docs/crashing/crash-2025.txt: the reader process crashed on this file")
    assert all(isinstance(results[f], Extraction) for f in files if "crash-" not in f)


@pytest.mark.slow
def test_run_with_a_real_model(workdir: Path, tiny_model: Path) -> None:
    from mrp_classify.inference.aggregate import ProfileDecision
    from mrp_classify.inference.model_folder import ModelFolder

    decision = ProfileDecision.from_json(ModelFolder.load(tiny_model).meta.profile_decision)
    out = workdir.parent / "out"
    result = run([workdir], out, tiny_model, quiet=True)
    assert result.exit_code == 0
    paragraphs = read_csv(out / "paragraphs.csv")
    assert len(paragraphs) == result.paragraphs > 0
    for row in paragraphs:
        probabilities = {name[2:]: float(value) for name, value in row.items()
                         if name.startswith("p_")}
        assert set(probabilities) == set(LABELS)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        # The label is the profile decision's: a digital goal when internal + citizen
        # reach the model's unit threshold, citizen-facing when that share is the larger.
        assert row["label"] == decision.unit_label(probabilities)
    assert len(read_csv(out / "municipalities.csv")) == 3


@pytest.mark.slow
def test_a_shared_cache_reads_each_text_once_and_changes_no_byte(
        workdir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mrp_classify.inference import cache as cache_module

    cache = workdir.parent / "cache"
    run([workdir], workdir.parent / "a", tiny_model, quiet=True, use_cache=False)
    calls: list[int] = []
    real = cache_module.PredictionCache.predict_proba

    def counting(self, items):  # type: ignore[no-untyped-def]
        result = real(self, items)
        calls.append(self.misses)
        return result

    monkeypatch.setattr(cache_module.PredictionCache, "predict_proba", counting)
    run([workdir], workdir.parent / "b", tiny_model, quiet=True, cache=cache)
    first = sum(calls)
    calls.clear()
    run([workdir], workdir.parent / "c", tiny_model, quiet=True, cache=cache)
    assert first > 0 and calls and calls[-1] == 0  # the second run read nothing anew
    for name in ("paragraphs.csv", "municipalities.csv", "documents.csv"):
        assert (workdir.parent / "b" / name).read_bytes() == (
            workdir.parent / "a" / name).read_bytes() == (workdir.parent / "c" / name
                                                           ).read_bytes()
