"""The cascade: its NumPy transform against scikit-learn's, its place in `run`, its command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from mrp_classify.cli import app
from mrp_classify.inference.cascade import CASCADE_FILE, WEIGHTS_FILE, Cascade
from mrp_classify.inference.model import ModelInput
from mrp_classify.inference.model_folder import ModelFolder
from mrp_classify.inference.outputs import RunOutputs
from tests.conftest import CITIZEN_TEXTS, INTERNAL_TEXTS, NONE_TEXTS, fixture_records

runner = CliRunner()
LABELS = ("none", "internal_efficiency", "citizen_facing")

# Texts the vectorizers never saw, with what tokenisation can trip over: case, å/ä/ö,
# one-letter and two-letter words, runs of whitespace, digits, punctuation, nothing at all.
PROBES = [r["text"] for r in fixture_records(8, seed=7)] + [
    "", "   ", "x", "a b c", "E-TJÄNSTER  för\tinvånarna\n\ni Åmål, Ödeshög och Umeå!",
    "IT 12,4 mnkr (2025) — RPA; e-arkiv/e-legitimation…", "Ärendehanteringssystem" * 3,
]


def fitted_sklearn(texts: list[str], digital: list[bool]) -> tuple[list[Any], Any]:
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizers = [TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2,
                                   sublinear_tf=True)]
    features = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(
        features, digital)
    return vectorizers, model


def test_numpy_transform_equals_scikit_learn() -> None:
    from scipy.sparse import hstack

    from mrp_classify.training.cascade import from_sklearn

    records = fixture_records(30)
    vectorizers, model = fitted_sklearn([r["text"] for r in records],
                                        [r["label"] != "none" for r in records])
    cascade = from_sklearn(vectorizers, model)
    for block, vectorizer in zip(cascade.blocks, vectorizers, strict=True):
        expected = vectorizer.transform(PROBES).toarray()
        for text, row in zip(PROBES, expected, strict=True):
            columns, values = block.features(text)
            assert columns.tolist() == np.flatnonzero(row).tolist(), (block.analyzer, text)
            np.testing.assert_allclose(values, row[columns], rtol=0, atol=1e-15)
    sklearn_scores = model.decision_function(
        hstack([v.transform(PROBES) for v in vectorizers]).tocsr())
    np.testing.assert_allclose(cascade.decision(PROBES), sklearn_scores, rtol=0, atol=1e-12)
    # Through its files (JSON + .npy, no pickle) it reads every text the same, bit for bit.
    again = Cascade.from_files(cascade.files(), CASCADE_FILE, 0.5, "fixture")
    assert np.array_equal(again.decision(PROBES), cascade.decision(PROBES))


def test_unimplemented_settings_are_refused() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from mrp_classify.training.cascade import from_sklearn

    texts = ["digitala tjänster", "budget och ekonomi"]
    vectorizer = TfidfVectorizer(sublinear_tf=False).fit(texts)
    model = LogisticRegression().fit(vectorizer.transform(texts), [True, False])
    with pytest.raises(ValueError, match="sublinear_tf"):
        from_sklearn([vectorizer], model)


def test_a_broken_cascade_names_the_file_and_the_fix(tmp_path: Path) -> None:
    from mrp_classify.errors import MrpError
    from mrp_classify.training.cascade import fit_cascade

    records = fixture_records(5)
    cascade = fit_cascade([r["text"] for r in records], [r["label"] != "none" for r in records])
    files = cascade.files()
    with pytest.raises(MrpError, match=f"m/{WEIGHTS_FILE}: not found.*--no-cascade"):
        Cascade.from_files({CASCADE_FILE: files[CASCADE_FILE]}, CASCADE_FILE, 0.5, "m")
    with pytest.raises(MrpError, match=f"m/{CASCADE_FILE}: invalid cascade"):
        Cascade.from_files({**files, CASCADE_FILE: b"{}"}, CASCADE_FILE, 0.5, "m")


def plan_of_fixture_sentences() -> str:
    lines = ["%% kommun: Lysekil", "%% kommunkod: 1484", "%% year: 2025",
             "%% title: Mål- och resursplan 2025", "%% format: txt",
             "%% expected_profile: citizen_facing", "%% author: test", "# Inledning"]
    for n, (tag, pool) in enumerate([("N", NONE_TEXTS), ("I", INTERNAL_TEXTS),
                                     ("C", CITIZEN_TEXTS)] * 2):
        for template in pool:
            text = template.format(y=2020 + n, n=10 + n, k="Lysekil")
            lines.append(f"[{tag}] {text} Avsnitt {n}.")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def dev_plans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plans = tmp_path_factory.mktemp("cascade-plans")
    (plans / "1484-lysekil-2025.plan").write_text(plan_of_fixture_sentences(), encoding="utf-8")
    return plans


@pytest.fixture(scope="module")
def dev_docset(tmp_path_factory: pytest.TempPathFactory, dev_plans: Path) -> Path:
    from mrp_classify.docset.build import build_docset

    out = tmp_path_factory.mktemp("cascade-docset")
    build_docset(dev_plans, out, force=True)
    return out


@pytest.mark.slow
def test_fit_writes_a_new_version_and_model_json_says_so(
        tiny_model: Path, dev_docset: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    before = (tiny_model / "model.json").read_bytes()
    result = runner.invoke(app, ["cascade", "fit", "--model", str(tiny_model), "--dev",
                                 str(dev_docset), "--test", str(dev_docset), "--models-dir",
                                 str(root)])
    assert result.exit_code == 0, result.output
    written = root / "tiny" / "v2"
    assert result.output.strip().splitlines()[-1] == str(written)
    assert (tiny_model / "model.json").read_bytes() == before  # never changed in place
    meta = ModelFolder.load(written).meta
    assert meta.version == "v2"
    block = meta.cascade
    assert block["file"] == CASCADE_FILE and block["added_to"] == "tiny/v1"
    assert block["dev_relative_recall"] >= 0.995
    assert 0 <= block["dev_settled_share"] <= 1
    assert block["dev"]["docsets"] == [str(dev_docset)]
    assert "test_relative_recall" in block and "test_settled_share" in block
    assert {CASCADE_FILE, WEIGHTS_FILE} <= {p.name for p in written.iterdir()}
    assert Cascade.from_folder(ModelFolder.load(written)) is not None
    assert "## Cascade" in (written / "README.md").read_text(encoding="utf-8")
    assert ModelFolder.load(written).fingerprint() != ModelFolder.load(tiny_model).fingerprint()
    again = runner.invoke(app, ["cascade", "fit", "--model", str(written), "--dev",
                                str(dev_docset), "--models-dir", str(root)])
    assert again.exit_code == 0, again.output
    assert ModelFolder.load(root / "tiny" / "v3").meta.version == "v3"


def write_documents(folder: Path) -> Path:
    folder.mkdir()
    for name, title in (("hudiksvall-2025.txt", "Hudiksvalls kommun"),
                        ("goteborg-2025.txt", "Göteborgs Stad")):
        texts = [t.format(y=2025, n=12, k="Mora") for t in
                 NONE_TEXTS + INTERNAL_TEXTS[:2] + CITIZEN_TEXTS[:2]]
        (folder / name).write_text("\n\n".join([title, "Mål- och resursplan 2025", *texts])
                                   + "\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_fixture_cascade_drives_run_and_no_cascade_turns_it_off(
        tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mrp_classify.training.cascade import fit_cascade, render

    monkeypatch.chdir(tmp_path)
    docs = write_documents(tmp_path / "docs")
    full = runner.invoke(app, ["run", "docs", "--out", "full", "--model", str(tiny_model),
                               "--quiet"])
    assert full.exit_code == 0, full.output
    rows = list(RunOutputs(tmp_path / "full").read_paragraphs(LABELS, need_probabilities=True))

    source = ModelFolder.load(tiny_model)
    records = fixture_records(30)
    cascade = fit_cascade([r["text"] for r in records], [r["label"] != "none" for r in records])
    fmt = source.meta.input_format
    probabilities = cascade.digital_probability(
        [render(fmt, ModelInput(r.text, r.heading_path, r.kind)) for r in rows])
    threshold = float(np.median(probabilities))  # about half the units settle
    cascaded = source.with_files(**cascade.files()).with_meta(
        version="v2", cascade={"file": CASCADE_FILE, "threshold": threshold}).save(
        tmp_path / "cascaded")

    with_cascade = runner.invoke(app, ["run", str(docs), "--out", "with", "--model",
                                       str(cascaded), "--quiet", "--cache", "shared"])
    without = runner.invoke(app, ["run", str(docs), "--out", "without", "--model",
                                  str(cascaded), "--quiet", "--no-cascade", "--cache", "shared"])
    assert with_cascade.exit_code == 0 and without.exit_code == 0, with_cascade.output
    settled = probabilities < threshold
    assert 0 < settled.sum() < len(rows)
    cascaded_rows = RunOutputs(tmp_path / "with").read_paragraphs(LABELS, need_probabilities=True)
    for row, full_row, is_settled in zip(cascaded_rows, rows, settled, strict=True):
        assert row.text == full_row.text
        if is_settled:  # settled by the first stage: exactly none
            assert row.label == "none" and row.probabilities == (1.0, 0.0, 0.0)
        else:  # passed on: the encoder's own answer
            assert (row.label, row.probabilities) == (full_row.label, full_row.probabilities)
    # --no-cascade is the full model, unit for unit, though the cache is shared.
    assert (tmp_path / "without" / "paragraphs.csv").read_bytes() == (
        tmp_path / "full" / "paragraphs.csv").read_bytes()
    fingerprints = [json.loads((tmp_path / run / "summary.json").read_text())["model"]
                    ["fingerprint"] for run in ("with", "without")]
    assert fingerprints[0] == fingerprints[1] + "-cascade"


def test_the_training_stage_needs_validation_plans() -> None:
    from mrp_classify.errors import MrpError
    from mrp_classify.training.config import TrainConfig

    with pytest.raises(MrpError, match="cascade = true needs validation_documents"):
        TrainConfig(cascade=True)


@pytest.mark.slow
def test_training_with_cascade_true_ships_the_stage(
        tiny_base: Path, tiny_labels: Path, dev_plans: Path, tmp_path: Path) -> None:
    from mrp_classify.training.config import TrainConfig
    from mrp_classify.training.pipeline import train_and_package

    config = TrainConfig(labels=(str(tiny_labels),), validation_documents=(str(dev_plans),),
                         base_model=str(tiny_base), max_length=48, window_stride=16, epochs=2,
                         batch_size=8, learning_rate=2e-3, head_learning_rate=5e-3,
                         freeze_embeddings=False, prune_max_pieces=300, name="tiny", threads=1,
                         cascade=True)
    folder = ModelFolder.load(train_and_package(config, tmp_path / "models"))
    assert folder.meta.cascade["dev_relative_recall"] >= 0.995
    assert folder.meta.cascade["training"]["units"] == folder.meta.training_data["split"][
        "train"]["paragraphs"]
    assert Cascade.from_folder(folder) is not None


@pytest.mark.slow
def test_a_cascaded_run_imports_neither_scikit_learn_nor_torch(
        tiny_model: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from mrp_classify.training.cascade import fit_cascade

    records = fixture_records(30)
    cascade = fit_cascade([r["text"] for r in records], [r["label"] != "none" for r in records])
    cascaded = ModelFolder.load(tiny_model).with_files(**cascade.files()).with_meta(
        cascade={"file": CASCADE_FILE, "threshold": 0.5}).save(tmp_path / "cascaded")
    docs = write_documents(tmp_path / "docs")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mrp_classify.inference.run import run\n"
        f"run([Path({str(docs)!r})], Path({str(tmp_path / 'out')!r}), "
        f"Path({str(cascaded)!r}), quiet=True)\n"
        "for name in ('sklearn', 'scipy', 'torch'):\n"
        "    assert name not in sys.modules, f'{name} was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
