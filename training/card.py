"""The model card (README.md of a model folder), generated from ``model.json``.

Written the way Hugging Face model cards are: a YAML header (language, licence,
base model, pipeline tag, model-index with the test metrics), intended and
out-of-scope use, how it was made, every figure of the training run side by side
(seed test split, style-disjoint fold, document-level scores), limitations and
how to use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mrp_classify.inference.model_folder import ModelMeta
from mrp_classify.metrics import format_report


def _f(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _yaml_header(meta: ModelMeta) -> list[str]:
    test = meta.metrics.get("test", {})
    style = meta.metrics.get("validation_style_disjoint", {})
    docs = (meta.metrics.get("documents_test") or {}).get("documents", {})
    lines = ["---", "language:", "- sv", "license: mit", "library_name: onnxruntime",
             "pipeline_tag: text-classification", "tags:", "- swedish", "- public-sector",
             "- municipal-plans", "- onnx", "- int8",
             f"base_model: {meta.base_model.get('resolved', meta.base_model.get('name', ''))}",
             "model-index:", f"- name: {meta.ref}", "  results:"]

    def result(dataset: str, metrics: Mapping[str, Any]) -> None:
        present = {k: v for k, v in metrics.items() if v is not None}
        if not present:
            return
        lines.extend(["  - task:", "      type: text-classification", "    dataset:",
                      f"      name: {dataset}", "      type: mrp-classify", "    metrics:"])
        for name, value in present.items():
            lines.extend([f"    - type: {name}", f"      value: {round(float(value), 4)}"])

    result("seed test split (municipalities never trained on)",
           {"f1_macro": test.get("macro_f1"), "accuracy": test.get("accuracy")})
    result("style-disjoint validation fold", {"f1_macro": style.get("macro_f1"),
                                              "ece": style.get("ece")})
    result("locked document test set (profiles)", {"accuracy": docs.get("accuracy")})
    lines.append("---")
    return lines


def _report_row(title: str, report: Mapping[str, Any], labels: tuple[str, ...]) -> str:
    return (f"| {title} | {report.get('n', '–')} | {_f(report.get('macro_f1'))} | "
            f"{_f(report.get('accuracy'))} | {_f(report.get('ece'))} | "
            + " | ".join(_f(report["per_class"][label]["f1"]) for label in labels) + " |")


def _documents_section(meta: ModelMeta) -> list[str]:
    rows = []
    for key, title in (("documents_validation", "validation plans (threshold chosen here)"),
                       ("documents_test", "locked test plans (never used for a choice)")):
        scored = meta.metrics.get(key)
        if not scored:
            continue
        docs, units = scored["documents"], scored["units"]
        rows.append(
            f"| {title} | {docs['right']}/{docs['documents']} ({_pct(docs['accuracy'])}) | "
            f"{docs['wrong_with_confidence_at_least_0.9']} | {_pct(units['digital_recall'])} | "
            f"{_pct(units['digital_precision'])} | "
            f"{_f(units['false_digital_per_1000_none'], 2)} | "
            f"{docs['density_within_30pct']}/{docs['documents']} | "
            f"{docs['headline_inhabitants']['error']:+,} |")
    if not rows:
        return []
    return ["", "## Whole documents (`mrp-classify evaluate-docs`)", "",
            "Plans written for this project by authors independent of the training text, "
            "rendered to PDF, DOCX, HTML and TXT and read by the same reader as `run`.", "",
            "| plans | profiles right | wrong with confidence ≥ 0.9 | digital-unit recall | "
            "precision | false digital per 1,000 none | density within ±30 % | headline "
            "error (inhabitants) |", "|---|---:|---:|---:|---:|---:|---:|---:|", *rows]


def _cascade_section(meta: ModelMeta) -> list[str]:
    cascade = meta.cascade
    if not cascade:
        return []
    rows = []
    for part, title in (("dev", "development plans (threshold chosen here)"),
                        ("test", "locked test plans (only measured)")):
        scores = cascade.get(part)
        if scores:
            rows.append(f"| {title} | {scores['units']} | {_pct(scores['settled_share'])} | "
                        f"{scores['passed_full_model_digital']} of "
                        f"{scores['full_model_digital']} ({_pct(scores['relative_recall'])}) |")
    return ["", "## Cascade", "",
            f"A first stage, {cascade.get('method')}, reads every unit first: a unit whose "
            f"digital probability is below {cascade['threshold']:.4g} is settled as `none` "
            "(p_none = 1) and never reaches the encoder (`mrp-classify run --no-cascade` sends "
            "every unit to the encoder).", "",
            "| plans | units | settled | passed of the units the full model calls digital |",
            "|---|---:|---:|---:|", *rows]


def render_model_card(meta: ModelMeta) -> str:
    metrics, labels = meta.metrics, meta.labels
    export, data = meta.export, meta.training_data
    quant, pruning = export.get("quantization", {}), export.get("pruning", {})
    decision = meta.profile_decision
    lines = _yaml_header(meta) + [
        "", f"# {meta.name} {meta.version}", "",
        "Classifies units (paragraphs, list items with their lead-in, table rows) of Swedish "
        "municipalities' mål- och resursplaner as " + ", ".join(f"`{x}`" for x in labels)
        + " — does the text set a digitalisation goal, and is it aimed at the organisation "
        "itself or at residents, pupils, care recipients and businesses (specification: "
        "`labels/GUIDE.md`).", "",
        "## Intended use", "",
        "- Finding and typing digitalisation goals in municipal plans and budgets, and the "
        "municipality profile built on them (`mrp-classify run`), for research and analysis of "
        "many plans at once, with every profile's evidence and confidence to check.",
        "- Not for: judging a single municipality without reading its evidence; text that is "
        "not Swedish municipal planning text; deciding anything about people.", "",
        "## How to use", "", "```sh", "pip install mrp-classify",
        "mrp-classify run plans/ --out runs/2025 --model <this folder>",
        "mrp-classify predict paragraphs.jsonl --out predictions.jsonl --model <this folder>",
        "```", "", "```python", "from mrp_classify.inference.model import Classifier",
        "classifier = Classifier(\"<this folder>\")",
        "classifier.predict([\"Fler e-tjänster ska införas för invånarna under 2026.\"])",
        "```", "",
        "## How it was made", "",
        f"- Base model `{meta.base_model.get('name')}` ({meta.base_model.get('resolved')}), "
        f"layers {meta.base_model.get('layers_kept', 'all')}, mean pooling, at most "
        f"{meta.max_length} tokens; longer units are read in windows (stride "
        f"{meta.window_stride}) and represented by their most digital window.",
        f"- Input: prefix `{meta.input_format.text_prefix!r}`, context "
        f"`{meta.input_format.context}` (applied alike in training and inference).",
        f"- Training data: {data.get('paragraphs')} labelled units, sha256 "
        f"`{str(data.get('sha256', ''))[:16]}…`, from {', '.join(data.get('files', []))} and "
        f"the reader units of the plans in {', '.join(data.get('documents', [])) or 'none'}.",
        f"- Split: {data.get('split_method')}. Style-disjoint fold: annotators "
        f"{', '.join(data.get('validation_annotators', [])) or '–'} and plans in "
        f"{', '.join(data.get('validation_documents', [])) or '–'}.", "",
        "| split | units | groups | " + " | ".join(labels) + " |",
        "|---|---:|---:|" + "---:|" * len(labels),
    ]
    for name, part in data.get("split", {}).items():
        lines.append(f"| {name} | {part['paragraphs']} | {part['groups']} | "
                     + " | ".join(str(part[label]) for label in labels) + " |")
    lines += [
        "", f"- Reproduce: `mrp-classify train --config train-config.toml --set version=NEW` "
        f"(best epoch {metrics.get('best_epoch')}, fine-tuning {meta.timing.get('fine_tune_s')} "
        f"s, whole pipeline {meta.timing.get('total_s')} s).", "",
        "## Scores (units)", "",
        "| model, split | units | macro-F1 | accuracy | ECE | "
        + " | ".join(f"F1 {label}" for label in labels) + " |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(labels),
    ]
    for key, title in (("test", "int8, calibrated — seed test split"),
                       ("test_text_only", "same, text alone (no headings)"),
                       ("test_fp32_onnx", "fp32 ONNX — seed test split"),
                       ("test_unpruned_torch", "PyTorch before pruning — seed test split"),
                       ("baseline_tfidf_logreg", "TF-IDF + logistic regression — seed test"),
                       ("validation_style_disjoint", "int8 — style-disjoint fold (T and "
                        "threshold chosen here)"),
                       ("style_test_units", "int8 — locked test plans' units"),
                       ("style_test_units_text_only", "same, text alone")):
        if key in metrics:
            lines.append(_report_row(title, metrics[key], labels))
    lines += _documents_section(meta)
    lines += _cascade_section(meta)
    lines += [
        "", "```", format_report(metrics["test"], "this model, seed test split"), "```", "",
        "## Calibration and the profile decision", "",
        f"Temperature scaling: T = {meta.temperature:.3f}, chosen on the style-disjoint fold (ECE "
        f"there {_f(metrics.get('validation_style_disjoint_uncalibrated_ece'))} before, "
        f"{_f(metrics.get('validation_style_disjoint', {}).get('ece'))} after). A unit is a "
        f"digital goal when its internal + citizen probability is at least "
        f"{decision.get('unit_threshold')}; the profile confidence rests on the strongest unit "
        f"and is calibrated on {metrics.get('profile_decision', {}).get('calibration_documents')}"
        " validation documents (plans and pseudo-documents drawn from the fold's units), "
        "with one isotonic mapping per predicted profile ("
        + ", ".join(f"{profile} {count}" for profile, count in metrics.get(
            "profile_decision", {}).get("calibration_documents_by_profile", {}).items())
        + " documents).",
        "", "## Export", "",
        f"- ONNX opset {export.get('opset')}; ONNX Runtime vs PyTorch on untraced shapes: max "
        f"abs difference {_f(export.get('parity', {}).get('max_abs_diff'), 6)}.",
        f"- int8 scheme: {quant.get('scheme')}. Kept in fp32: "
        f"{', '.join(quant.get('fp32_groups', []))}. Argmax agreement with fp32 "
        f"{_f(quant.get('agreement'), 4)} on {quant.get('agreement_paragraphs')} training and "
        f"validation units (95 % lower bound {_f(quant.get('agreement_lower_bound'), 4)}), "
        f"{_f(quant.get('argmax_agreement_vs_fp32_test'), 4)} on the test split.",
    ]
    ranges = quant.get("weight_ranges")
    reference = quant.get("integer_reference")
    if ranges and reference:
        lines.append(
            f"- Same integers on every CPU: {ranges['integer_matmuls']} integer products, "
            f"weights in {ranges['weight_range']}, largest pair sum {ranges['max_pair_sum']} "
            f"< 32,767 (no AVX2 saturation); on {reference['inputs']} test inputs ONNX "
            f"Runtime's int32 products equal NumPy's exact ones (max difference "
            f"{reference['max_abs_diff_onnxruntime_vs_exact']}), and a saturating kernel would "
            f"get {reference['saturating_kernel_wrong_products']} wrong (docs/int8.md).")
    if pruning.get("applied"):
        lines.append(f"- Vocabulary pruned from {pruning['original_pieces']} to "
                     f"{pruning['kept_pieces']} pieces.")
    lines += [
        f"- model.onnx {export.get('onnx_bytes', 0) / 1e6:.1f} MB.", "",
        "## Limitations and risks", "",
        "- Trained on text written for this project (seed corpora, whole plans) and whatever "
        "annotators added, not on a sample of real plans: expect lower scores on real "
        "documents than on the seed test split; the style-disjoint and document-level rows "
        "above are the better guide. Retrain as real labelled paragraphs are added.",
        "- A profile rests on few units; read the evidence of any profile that matters, above "
        "all those marked `needs_review`.",
        "- Probabilities can differ in the third decimal between CPU kinds (float rounding "
        "between the integer products; docs/int8.md); labels and profiles of the golden set do "
        "not.", "",
        "## Versions", "",
        ", ".join(f"{k} {v}" for k, v in meta.library_versions.items())
        + f". Created {meta.created}.", "",
    ]
    return "\n".join(lines)
