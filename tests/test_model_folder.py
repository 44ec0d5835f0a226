"""The model folder's typed owner: save and load are each other's inverse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mrp_classify.inference.model import Classifier, ModelInput
from mrp_classify.inference.model_folder import (
    InputFormat,
    ModelFolder,
    ModelFolderError,
    ModelMeta,
)


def test_a_written_folder_reads_back_the_same(tiny_model: Path, tmp_path: Path) -> None:
    folder = ModelFolder.load(tiny_model)
    changed = folder.with_meta(temperature=1.25, version="v9",
                               profile_decision={"unit_threshold": 0.6})
    copy = ModelFolder.load(changed.save(tmp_path / "copy"))
    assert copy.meta == changed.meta
    assert copy.tokenizer_json == folder.tokenizer_json
    assert copy.network_bytes() == folder.network_bytes()
    assert copy.files == folder.files
    assert json.loads((tmp_path / "copy" / "model.json").read_text()) == changed.meta.to_json()
    # Same bytes, same fingerprint, whether on disk or in memory.
    assert copy.fingerprint() == changed.with_network(folder.network_bytes()).fingerprint()


def test_a_version_is_never_overwritten(tiny_model: Path) -> None:
    with pytest.raises(ModelFolderError, match="never overwritten"):
        ModelFolder.load(tiny_model).save(tiny_model)


def test_an_in_memory_variant_classifies_without_files(tiny_model: Path) -> None:
    folder = ModelFolder.load(tiny_model)
    hot = Classifier(folder.with_meta(temperature=folder.meta.temperature / 4))
    cold = Classifier(folder)
    text = ["Fler e-tjänster ska göra det enkelt för invånarna att söka bygglov."]
    assert hot.predict_proba(text).max() >= cold.predict_proba(text).max()


def test_format_1_folders_still_load(tiny_model: Path, tmp_path: Path) -> None:
    raw = ModelFolder.load(tiny_model).meta.to_json()
    raw.update(format_version=1, text_prefix="passage: ")
    del raw["input_format"], raw["graph_optimization"]
    old = tmp_path / "old"
    ModelFolder.load(tiny_model).save(old)
    (old / "model.json").write_text(json.dumps(raw), encoding="utf-8")
    meta = ModelFolder.load(old).meta
    assert meta.input_format == InputFormat("passage: ", "text")
    assert meta.graph_optimization == "all"


@pytest.mark.parametrize("change, message", [
    ({"format_version": 7}, "format_version"),
    ({"temperature": 0}, "temperature"),
    ({"labels": []}, "labels"),
    ({"input_format": {"context": "everything"}}, "context"),
])
def test_invalid_model_json_names_the_field(tiny_model: Path, tmp_path: Path,
                                            change: dict, message: str) -> None:
    folder = tmp_path / "bad"
    ModelFolder.load(tiny_model).save(folder)
    raw = json.loads((folder / "model.json").read_text())
    raw.update(change)
    (folder / "model.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ModelFolderError, match=message):
        ModelFolder.load(folder)


def test_context_input_format() -> None:
    text_only = InputFormat("passage: ")
    assert text_only.render("Mål", ("Kap 1", "Digitalisering"), "list") == "passage: Mål"
    context = InputFormat("passage: ", "heading+kind")
    assert context.render("Mål", ("Kap 1", "2 Ekonomi", "2.1 Digitalisering"), "list") == (
        "passage: [Punkt | 2 Ekonomi > 2.1 Digitalisering]\nMål")
    assert context.render("Mål") == "passage: Mål"


def test_context_reaches_the_network(tiny_model: Path) -> None:
    folder = ModelFolder.load(tiny_model)
    meta = folder.meta
    context = Classifier(folder.with_meta(input_format=InputFormat(meta.text_prefix,
                                                                   "heading+kind")))
    item = ModelInput("E-arkiv införs.", ("Digitalisering",), "list")
    assert context.render([item]) != Classifier(folder).render([item])
    assert isinstance(meta, ModelMeta)
