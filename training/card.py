"""The model card (README.md of a model folder), generated from model.json."""

from __future__ import annotations

from typing import Any

from mrp_classify.metrics import format_report


def _f(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def render_model_card(info: dict[str, Any]) -> str:
    metrics = info["metrics"]
    test, baseline = metrics["test"], metrics["baseline_tfidf_logreg"]
    export, data = info["export"], info["training_data"]
    quant, pruning = export["quantization"], export["pruning"]
    labels = info["labels"]
    lines = [
        f"# {info['name']} {info['version']}",
        "",
        "Classifies paragraphs of Swedish municipalities' mål- och resursplaner as "
        + ", ".join(f"`{label}`" for label in labels)
        + " (specification: ANNOTATION.md; schema: labels/schema.json).",
        "",
        "## How it was made",
        "",
        f"- Base model: `{info['base_model']['name']}` ({info['base_model']['resolved']}), "
        f"encoder layers {info['base_model'].get('layers_kept', 'all')}, "
        f"mean pooling, max length {info['max_length']} tokens; longer paragraphs are read in "
        f"windows (stride {info['window_stride']}) and represented by their most digital window.",
        f"- Text prefix: `{info['text_prefix']!r}` (applied in training and inference alike).",
        f"- Training data: {data['paragraphs']} paragraphs, sha256 `{data['sha256'][:16]}…`; "
        f"files: {', '.join(data['files'])}.",
        f"- Split: {data['split_method']}.",
        "",
        "| split | paragraphs | groups | " + " | ".join(labels) + " |",
        "|---|---:|---:|" + "---:|" * len(labels),
    ]
    for name, part in data["split"].items():
        lines.append(f"| {name} | {part['paragraphs']} | {part['groups']} | "
                     + " | ".join(str(part[label]) for label in labels) + " |")
    lines += [
        "",
        "- Reproduce: `mrp-classify train --config train-config.toml --set version=NEW` with "
        "this folder's resolved configuration, on the same label files "
        f"(best epoch {metrics['best_epoch']}, fine-tuning "
        f"{info['timing']['fine_tune_s']} s, whole pipeline {info['timing']['total_s']} s).",
        "",
        "## Test split (the shipped int8 model, calibrated)",
        "",
        "| model | macro-F1 | accuracy | " + " | ".join(f"F1 {label}" for label in labels) + " |",
        "|---|---:|---:|" + "---:|" * len(labels),
    ]
    for title, report in (("this model (ONNX int8)", test),
                          ("same, fp32 ONNX", metrics["test_fp32_onnx"]),
                          ("before vocabulary pruning (PyTorch)", metrics["test_unpruned_torch"]),
                          ("TF-IDF + logistic regression", baseline)):
        lines.append(f"| {title} | {_f(report['macro_f1'])} | {_f(report['accuracy'])} | "
                     + " | ".join(_f(report["per_class"][label]["f1"]) for label in labels)
                     + " |")
    lines += [
        "",
        "```",
        format_report(test, "this model"),
        "",
        format_report(baseline, "TF-IDF + logistic regression baseline"),
        "```",
        "",
        "## Calibration",
        "",
        f"Temperature scaling on the validation split: T = {info['temperature']:.3f}. Expected "
        f"calibration error on the test split: {metrics['test_uncalibrated_ece']:.3f} before, "
        f"{test['ece']:.3f} after.",
        "",
        "## Export",
        "",
        f"- ONNX opset {export['opset']}; ONNX Runtime vs PyTorch on untraced shapes "
        f"{[(s['batch'], s['sequence']) for s in export['parity']['shapes']]}: max abs "
        f"difference {export['parity']['max_abs_diff']:.2e}, argmax agreement "
        f"{export['parity']['argmax_agreement']:.3f}.",
        f"- Dynamic int8 quantisation (per-channel: {quant['per_channel']}); kept in fp32, "
        f"chosen by sensitivity on the validation split (one group at a time until the 95 % lower "
        f"bound of the agreement reaches the target): {', '.join(quant['fp32_groups'])} "
        f"({len(quant['excluded_nodes'])} nodes). Argmax agreement with fp32: "
        f"{quant['agreement']:.4f} on the {quant['agreement_paragraphs']} training and "
        f"validation paragraphs (95 % lower bound {quant['agreement_lower_bound']:.4f}), "
        f"{quant['argmax_agreement_vs_fp32_test']:.4f} on the test split (target "
        f"{info['config']['min_int8_agreement']}, met on test: {quant['meets_target']}).",
    ]
    if pruning.get("applied"):
        lines.append(
            f"- Vocabulary pruned from {pruning['original_pieces']} to {pruning['kept_pieces']} "
            f"pieces (kept: pieces used by the training text, single characters, then the "
            f"highest-scoring Latin-script pieces). Macro-F1 before pruning "
            f"{_f(metrics['test_unpruned_torch']['macro_f1'])}, after (int8) "
            f"{_f(test['macro_f1'])}.")
    lines += [
        f"- Files: model.onnx {export['onnx_bytes'] / 1e6:.1f} MB; whole folder "
        f"{export['folder_bytes'] / 1e6:.1f} MB.",
        "",
        "## Limits",
        "",
        "- Trained on a synthetic seed corpus written for this project in the MRP genre "
        "(see labels/README.md) plus whatever annotators added; scores on real documents "
        "may be lower. Retrain as real labelled paragraphs are added.",
        "- One paragraph at a time: context outside the paragraph (heading path) is not used.",
        "",
        "## Versions",
        "",
        ", ".join(f"{k} {v}" for k, v in info["library_versions"].items())
        + f". Created {info['created']}.",
        "",
    ]
    return "\n".join(lines)
