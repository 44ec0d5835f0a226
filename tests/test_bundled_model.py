"""The bundled default model: complete, small, and right on clear cases and the examples."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mrp_classify.inference.ingest import Limits
from mrp_classify.inference.model import Classifier
from mrp_classify.paths import REPO_ROOT, default_model_dir

pytestmark = pytest.mark.slow

CLEAR = {
    "none": [
        "Kommunens resultat för 2025 budgeteras till 24 mnkr, vilket motsvarar 1,8 procent av "
        "skatter och generella statsbidrag.",
        "Förskolans barngrupper ska minska och andelen legitimerade förskollärare ska öka.",
        "Under året renoverades simhallen och två nya förskolor togs i bruk.",
    ],
    "internal_efficiency": [
        "Robotiserad processautomatisering ska införas i ekonomiadministrationen för att "
        "frigöra tid för handläggarna och minska kostnaderna för fakturahanteringen.",
        "Alla medarbetare ska genomgå utbildning i informationssäkerhet och kommunens "
        "IT-infrastruktur ska konsolideras till en gemensam driftplattform.",
        "Ett e-arkiv införs under planperioden så att pappersarkiven kan avvecklas.",
    ],
    "citizen_facing": [
        "Invånarna ska kunna söka bygglov, förskoleplats och försörjningsstöd via e-tjänster "
        "dygnet runt, och fler e-tjänster ska utvecklas tillsammans med användarna.",
        "Välfärdsteknik som digital nattillsyn och läkemedelsrobotar ska ge brukarna i "
        "hemtjänsten ökad trygghet och självständighet.",
        "Biblioteken ska erbjuda stöd i digital delaktighet så att äldre invånare kan använda "
        "e-legitimation och kommunens digitala tjänster.",
    ],
}
EXPECTED_PROFILES = {
    "1480": "citizen_facing",   # Göteborg: inclusion at libraries, e-services, open data
    "1864": "no_digital_goals",  # Ljusnarsberg: trend text and a passing mention only
    "2080": "citizen_facing",   # Falun: welfare technology, pupils' devices, e-services
    "2184": "internal_only",    # Hudiksvall: invoices, e-archive, staff skills
    "2584": "citizen_facing",   # Kiruna: broadband for households and firms (+ e-archive)
}
GOLDEN = Path(__file__).parent / "golden" / "bundled_model_predictions.json"


@pytest.fixture(scope="module")
def bundled() -> Path:
    return default_model_dir()


def test_bundled_model_folder_is_complete_and_small(bundled: Path) -> None:
    assert {"model.onnx", "tokenizer.json", "model.json", "README.md"} <= {
        p.name for p in bundled.iterdir()}
    size = sum(p.stat().st_size for p in bundled.iterdir() if p.is_file())
    assert size <= 60 * 1024 * 1024
    info = json.loads((bundled / "model.json").read_text(encoding="utf-8"))
    assert info["labels"] == ["none", "internal_efficiency", "citizen_facing"]
    assert info["input_format"]["text_prefix"] == "passage: "
    assert info["export"]["pruning"]["applied"]
    # The int8 scheme that computes the same integers on every CPU (docs/int8.md).
    quantization = info["export"]["quantization"]
    assert quantization["reduce_range"] and quantization["weight_ranges"]["weight_range"] == [
        -64, 64]
    assert quantization["weight_ranges"]["max_pair_sum"] < 32767
    assert quantization["integer_reference"]["max_abs_diff_onnxruntime_vs_exact"] == 0


def test_clear_paragraphs_get_their_label(bundled: Path) -> None:
    classifier = Classifier(bundled)
    for label, texts in CLEAR.items():
        assert classifier.predict(texts) == [label] * len(texts), label


def golden_tolerance(golden: dict) -> float:
    assert golden["tolerance"] is not None, (
        "the golden file has no cross-CPU tolerance: run benchmarks/cross_cpu.py, then "
        "tests/golden/make_golden.py")
    tolerance = float(golden["tolerance"]["atol"])
    assert tolerance <= 0.01  # the bound docs/int8.md promises
    return tolerance


def test_golden_predictions_are_unchanged(bundled: Path) -> None:
    """Guards the tokenizer, windowing and ONNX path on any CPU: the same labels, and
    probabilities within the spread measured between kinds of CPU."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["model"] == str(bundled.relative_to(REPO_ROOT / "models"))
    classifier = Classifier(bundled)
    probs = classifier.predict_proba([item["text"] for item in golden["paragraphs"]])
    expected = np.array([item["probabilities"] for item in golden["paragraphs"]])
    assert [classifier.labels[i] for i in probs.argmax(1)] == [
        item["label"] for item in golden["paragraphs"]]
    np.testing.assert_allclose(probs, expected, atol=golden_tolerance(golden), rtol=0)


def test_example_profiles_are_exactly_the_golden_ones(bundled: Path, tmp_path: Path) -> None:
    """Municipality profiles are the product: on every CPU the bundled examples get
    exactly the recorded profiles and review flags."""
    from mrp_classify.inference.run import run

    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    tolerance = golden_tolerance(golden)
    run([REPO_ROOT / "examples"], tmp_path / "out", bundled, quiet=True)
    with open(tmp_path / "out" / "municipalities.csv", encoding="utf-8-sig") as handle:
        rows = {row["kommunkod"]: row for row in csv.DictReader(handle)}
    expected = golden["example_profiles"]
    assert {code: (row["profile"], row["needs_review"] == "true") for code, row in
            rows.items()} == {code: (e["profile"], e["needs_review"]) for code, e in
                              expected.items()}
    for code, row in rows.items():
        assert abs(float(row["confidence"]) - expected[code]["confidence"]) <= tolerance + 1e-3


def test_examples_get_the_profiles_they_were_written_for(bundled: Path, tmp_path: Path) -> None:
    from mrp_classify.inference.run import run

    result = run([REPO_ROOT / "examples"], tmp_path / "out", bundled, quiet=True)
    assert result.exit_code == 0 and result.errors == 0
    with open(tmp_path / "out" / "municipalities.csv", encoding="utf-8-sig") as handle:
        rows = {row["kommunkod"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(EXPECTED_PROFILES)
    for code, expected in EXPECTED_PROFILES.items():
        row = rows[code]
        # A wrong profile is tolerated only when the run says so itself (needs_review):
        # the contract is that a municipality is never flipped silently.
        if row["profile"] != expected:
            assert row["needs_review"] == "true", (code, row["profile"], row["confidence"])
    right = sum(rows[c]["profile"] == p for c, p in EXPECTED_PROFILES.items())
    assert right >= 4


@pytest.mark.skipif(shutil.which("tesseract") is None,
                    reason="Tesseract is not installed (apt-get install tesseract-ocr "
                           "tesseract-ocr-swe); .ci/run installs it")
def test_a_scanned_plan_gets_its_profile_with_ocr(bundled: Path, tmp_path: Path) -> None:
    """Three scanned pages, a citizen-facing and an internal goal: --ocr reads them and the
    profile is the plan's; without OCR the plan is an error, never a profile."""
    from mrp_classify.inference.run import run
    from tests.test_hostile import scanned_pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    scanned_pdf(docs / "hudiksvall-2025.pdf")
    result = run([docs], tmp_path / "plain", bundled, quiet=True)
    assert result.errors == 1 and result.profiles == 0
    result = run([docs], tmp_path / "ocr", bundled, quiet=True, limits=Limits(ocr=True))
    assert result.errors == 0
    with open(tmp_path / "ocr" / "municipalities.csv", encoding="utf-8-sig") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["kommunkod"], row["profile"]) == ("2184", "citizen_facing")
    assert row["n_citizen_facing"] == "1" and row["n_internal_efficiency"] == "1"
