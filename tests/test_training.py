"""The real train → export → quantise → predict path on a tiny random BERT."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from mrp_classify.cli import app
from mrp_classify.errors import MissingExtraError, MrpError, require_train_extra
from mrp_classify.inference.model import Classifier, pad_token_id
from mrp_classify.labelset import read_records
from mrp_classify.training.config import load_config
from tests.conftest import fixture_records, write_jsonl

runner = CliRunner()


def test_model_folder_describes_itself(tiny_model: Path, tiny_labels: Path) -> None:
    assert sorted(p.name for p in tiny_model.iterdir()) == [
        "README.md", "model.json", "model.onnx", "tokenizer.json", "train-config.toml"]
    info = json.loads((tiny_model / "model.json").read_text())
    assert info["labels"] == ["none", "internal_efficiency", "citizen_facing"]
    assert info["max_length"] == 48 and info["temperature"] > 0
    records, _ = read_records([tiny_labels])
    from mrp_classify.labelset import data_hash
    assert info["training_data"]["sha256"] == data_hash(records)
    for key in ("test", "test_fp32_onnx", "test_unpruned_torch", "baseline_tfidf_logreg"):
        assert 0.0 <= info["metrics"][key]["macro_f1"] <= 1.0
    assert info["export"]["parity"]["max_abs_diff"] < 2e-3
    assert 0.0 <= info["export"]["quantization"]["argmax_agreement_vs_fp32_test"] <= 1.0
    assert info["export"]["pruning"]["applied"] is True
    assert info["export"]["pruning"]["kept_pieces"] <= 300
    assert {"torch", "onnxruntime", "tokenizers"} <= set(info["library_versions"])
    assert load_config(tiny_model / "train-config.toml").to_dict() == info["config"]
    card = (tiny_model / "README.md").read_text()
    assert "macro-F1" in card and "TF-IDF" in card and "Temperature scaling" in card


def test_overfit_model_reloads_and_predicts_its_training_data(tiny_model: Path) -> None:
    """spaCy-style overfit → save → reload: the folder alone reproduces what was learnt."""
    records = fixture_records()
    classifier = Classifier(tiny_model)
    predicted = classifier.predict([r["text"] for r in records])
    accuracy = np.mean([p == r["label"] for p, r in zip(predicted, records, strict=True)])
    assert accuracy >= 0.9
    probs = classifier.predict_proba([r["text"] for r in records[:5]])
    assert probs.shape == (5, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_long_paragraph_is_read_in_windows_not_truncated(tiny_model: Path) -> None:
    from mrp_classify.inference.model import softmax

    classifier = Classifier(tiny_model)
    filler = " ".join(["Budgeten för förskolan ökar med tre procent."] * 12)
    text = filler + " Fler e-tjänster ska göra det enkelt att söka bygglov dygnet runt."
    (windows,) = classifier.windows([text])
    assert len(windows) > 1
    assert all(len(w) <= 48 for w in windows)
    # The end of the paragraph is read, not cut off.
    assert "bygglov" in classifier.tokenizer.decode(windows[-1]).replace(" ", "")
    window_probs = softmax(classifier.logits_for_ids(windows), classifier.meta.temperature)
    most_digital = window_probs[window_probs[:, 0].argmin()]
    np.testing.assert_allclose(classifier.predict_proba([text])[0], most_digital, rtol=1e-5)


def test_a_paragraphs_probabilities_do_not_depend_on_its_neighbours(tiny_model: Path) -> None:
    # Dynamic int8 takes activation scales from the whole input; padded into a batch with
    # longer paragraphs, a borderline paragraph's probability used to move.
    target = "Kommunen ska erbjuda fler e-tjänster."
    long_neighbour = " ".join(["Skolans lokaler rustas upp under planperioden."] * 5)
    alone = Classifier(tiny_model, threads=1).predict_proba([target])[0]
    crowded = Classifier(tiny_model, threads=3).predict_proba(
        [long_neighbour, "IT-kostnader 2,5 mnkr.", target, long_neighbour + " Mer text."])[2]
    np.testing.assert_array_equal(alone, crowded)


def test_predict_command_streams_and_refuses_to_overwrite(tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"x{i}", "text": r["text"]}) + "\n"
                              for i, r in enumerate(fixture_records(2))), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    args = ["predict", str(source), "--out", str(out), "--model", str(tiny_model)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"x{i}" for i in range(8)]
    assert set(rows[0]) == {"id", "label", "p_none", "p_internal_efficiency", "p_citizen_facing"}
    assert runner.invoke(app, args).exit_code == 2
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0


def test_predict_reports_bad_input_line(tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n', encoding="utf-8")
    result = runner.invoke(app, ["predict", str(source), "--out", str(tmp_path / "o.jsonl"),
                                 "--model", str(tiny_model)])
    assert result.exit_code == 2
    assert f"{source}:2: each record needs 'id' and 'text'" in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_evaluate_command(tiny_model: Path, tiny_labels: Path, tmp_path: Path) -> None:
    out = tmp_path / "metrics.json"
    result = runner.invoke(app, ["evaluate", str(tiny_labels), "--model", str(tiny_model),
                                 "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "confusion" in result.output
    report = json.loads(out.read_text())
    assert report["n"] == 120 and report["macro_f1"] > 0.8


def test_train_command_writes_a_new_version_each_time(tiny_base: Path, tiny_labels: Path,
                                                      tmp_path: Path) -> None:
    args = ["train", "--labels", str(tiny_labels), "--base-model", str(tiny_base),
            "--models-dir", str(tmp_path), "--epochs", "1", "--set", "max_length=32", "--set", "window_stride=8",
            "--set", "prune_max_pieces=0", "--set", "name=cli", "--set", "threads=1"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == ["v1", "v2"]
    taken = runner.invoke(app, [*args, "--set", "version=v1"])
    assert taken.exit_code == 2 and "already exists" in taken.output


def test_bad_training_override_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--set", "epochz=3"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        result.output.strip().splitlines()[0]]
    assert "unknown setting" in result.output


def test_onnx_that_disagrees_with_pytorch_is_an_error(tiny_base: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModel

    from mrp_classify.training.export import ExportError, export_onnx, verify_onnx
    from mrp_classify.training.finetune import MeanPoolClassifier

    model = MeanPoolClassifier(AutoModel.from_pretrained(tiny_base), 3, 0.0)
    export_onnx(model, tmp_path / "m.onnx", pad_id=1)
    report = verify_onnx(model, tmp_path / "m.onnx", 1, 1e-4, 512)
    assert report["max_abs_diff"] < 1e-4 and report["argmax_agreement"] == 1.0
    with torch.no_grad():
        model.head.bias += 0.5
    with pytest.raises(ExportError, match="max abs"):
        verify_onnx(model, tmp_path / "m.onnx", 1, 1e-4, 512)


def test_missing_training_extra_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(MissingExtraError, match=r"pip install 'mrp-classify\[train\]'"):
        require_train_extra()


def test_inference_never_imports_torch(tiny_model: Path) -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from mrp_classify.cli import app\n"
        "from mrp_classify.inference.model import Classifier\n"
        f"Classifier({str(tiny_model)!r}).predict(['E-tjänster för invånarna.'])\n"
        "CliRunner().invoke(app, ['--help'])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_invalid_labels_stop_training_with_file_and_line(tmp_path: Path, tiny_base: Path) -> None:
    from mrp_classify.training.config import TrainConfig
    from mrp_classify.training.pipeline import train_and_package

    records = fixture_records(6)
    records[3]["label"] = "citizen"
    path = write_jsonl(tmp_path / "l.jsonl", records)
    config = TrainConfig(labels=(str(path),), base_model=str(tiny_base))
    with pytest.raises(MrpError, match=rf"{path}:4: unknown label 'citizen'"):
        train_and_package(config, tmp_path / "models")


def test_pytorch_checkpoint_matches_the_shipped_model(tiny_model: Path) -> None:
    """The checkpoint kept for benchmarks is the network that was exported."""
    import torch

    from mrp_classify.paths import cache_dir
    from mrp_classify.training.finetune import load_checkpoint, pad_batch

    model, info = load_checkpoint(cache_dir() / "checkpoints" / "tiny-v1")
    assert info["labels"] == ["none", "internal_efficiency", "citizen_facing"]
    classifier = Classifier(tiny_model)
    texts = [r["text"] for r in fixture_records(5)]
    ids = [w[0] for w in classifier.windows(texts)]
    with torch.no_grad():
        logits = model(*pad_batch(ids, pad_token_id(classifier.tokenizer))).numpy()
    onnx_logits = classifier.logits_for_ids(ids)
    assert (logits.argmax(1) == onnx_logits.argmax(1)).mean() >= 0.9
    assert np.abs(logits - onnx_logits).max() < 0.5


def test_quantisation_keeps_the_most_sensitive_groups_in_fp32(tiny_base: Path,
                                                              tmp_path: Path) -> None:
    import onnx
    from transformers import AutoModel

    from mrp_classify.inference.model import make_session, softmax
    from mrp_classify.training.export import (
        FidelityProbe,
        _sample_batch,
        export_onnx,
        quantizable_groups,
        quantize_with_fidelity,
    )
    from mrp_classify.training.finetune import MeanPoolClassifier

    model = MeanPoolClassifier(AutoModel.from_pretrained(tiny_base), 3, 0.0)
    fp32, int8 = tmp_path / "fp32.onnx", tmp_path / "int8.onnx"
    export_onnx(model, fp32, pad_id=1)
    ids, mask = _sample_batch(16, 30, model.encoder.config.vocab_size, 1,
                              np.random.default_rng(3))

    def probs(path: Path) -> np.ndarray:
        (logits,) = make_session(path).run(["logits"], {"input_ids": ids.numpy(),
                                                        "attention_mask": mask.numpy()})
        return softmax(logits)

    groups = quantizable_groups(fp32)
    assert {"layer.00", "layer.01", "embeddings", "head"} <= set(groups)
    # An unreachable target forces the whole search: head first, then two more groups.
    probe = FidelityProbe(lambda: probs(int8), probs(fp32))
    report = quantize_with_fidelity(fp32, int8, True, 1.01, 2, probe, probe)
    assert report["fp32_groups"][0] == "head" and len(report["fp32_groups"]) == 3
    assert [len(step["fp32_groups"]) for step in report["search"]] == [1, 2, 3]
    nodes = {node.name: node.op_type for node in onnx.load(str(int8)).graph.node}
    kept_fp32 = [name for name in report["excluded_nodes"] if name in nodes]
    assert kept_fp32 and all(nodes[name] in ("MatMul", "Gather") for name in kept_fp32)
    assert not any(name.startswith("/model/head/") and op == "MatMulInteger"
                   for name, op in nodes.items())
    assert "MatMulInteger" in nodes.values()

    # A size budget that leaves no room for another fp32 group: the search skips them all
    # and the file on disk is the head-only configuration again.
    quantize_with_fidelity(fp32, int8, True, 0.0, 0, probe, probe)
    head_only = int8.stat().st_size
    report = quantize_with_fidelity(fp32, int8, True, 1.01, 3, probe, probe,
                                    max_bytes=head_only + 16)
    assert report["fp32_groups"] == ["head"] and int8.stat().st_size == head_only


def test_wilson_lower_bound_matches_hand_computation() -> None:
    from mrp_classify.numeric import wilson_lower_bound

    # 99/100: p=.99, z=1.96 → (0.99 + 0.019208 − 1.96·√(0.000099 + 0.00009604)) / 1.038416
    assert wilson_lower_bound(99, 100) == pytest.approx(0.94554, abs=1e-4)
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(1000, 1000) < 1.0


def test_keep_layers_keeps_evenly_spread_layers_with_their_weights(tiny_base: Path) -> None:
    import torch
    from transformers import AutoModel

    from mrp_classify.training.finetune import keep_layers

    encoder = AutoModel.from_pretrained(tiny_base)
    last = encoder.encoder.layer[1]
    assert keep_layers(encoder, 1) == [1]
    assert encoder.encoder.layer[0] is last and encoder.config.num_hidden_layers == 1
    ids = torch.tensor([[0, 5, 6, 2]])
    assert encoder(input_ids=ids).last_hidden_state.shape == (1, 4, 32)
    with pytest.raises(ValueError, match="has 1 layers"):
        keep_layers(encoder, 2)


def test_kept_layers_spread_over_the_depth_and_end_with_the_last() -> None:
    from mrp_classify.numeric import evenly_spread

    assert evenly_spread(12, 6) == [1, 3, 5, 7, 9, 11]
    assert evenly_spread(12, 4) == [2, 5, 8, 11]
    assert evenly_spread(12, 12) == list(range(12))
    with pytest.raises(ValueError, match="has 12 layers"):
        evenly_spread(12, 13)


def test_the_decision_is_chosen_again_into_a_new_folder(tiny_model: Path, tmp_path: Path) -> None:
    from mrp_classify.inference.model_folder import ModelFolder
    from mrp_classify.training.rechoose_decision import rechoose_decision

    out = rechoose_decision(tiny_model, tmp_path / "renamed" / "v9", "renamed", "v9")
    before, after = ModelFolder.load(tiny_model), ModelFolder.load(out)
    assert (after.meta.name, after.meta.version) == ("renamed", "v9")
    assert after.meta.config["name"] == "renamed"
    assert "calibration_by_profile" in after.meta.profile_decision
    assert after.meta.temperature == before.meta.temperature
    assert (out / "model.onnx").read_bytes() == (tiny_model / "model.onnx").read_bytes()
    assert "renamed" in (out / "README.md").read_text(encoding="utf-8")
    with pytest.raises(Exception, match="already exists"):
        rechoose_decision(tiny_model, out)
