"""Document-level evaluation: ``mrp-classify evaluate-docs DOCSET``.

Runs the whole product (``mrp-classify run``: reading, segmentation, the model,
the profile decision) over a built document set and scores it against the
set's truth: profile accuracy and confusion, digital-unit precision and
recall, false digital units per 1,000 ``none`` units, the headline's error in
inhabitants, digital units per 10,000 words per plan, and a reliability table of
profile confidence (how often a profile given with confidence ≥ x is right).
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mrp_classify.docset.build import DOCUMENTS_DIR, MANIFEST_FILE, TruthUnit, read_truth
from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import (
    INTERNAL_ONLY,
    LABELS,
    NO_DIGITAL_GOALS,
    NONE,
    profile_from_labels,
    unit_key,
)
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.outputs import MUNICIPALITIES_FILE, RunOutputs
from mrp_classify.metrics import confusion_matrix, per_class_scores

log = logging.getLogger(__name__)

RELIABILITY_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95)
DENSITY_TOLERANCE = 0.30


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def score_run(docset_dir: Path, run_dir: Path) -> dict[str, Any]:
    """Compare a finished run over the set's documents with the set's truth."""
    documents, truth = read_truth(docset_dir)
    outputs = RunOutputs(run_dir)
    predicted_units = {(p.file, p.index): p for p in outputs.read_paragraphs()}
    profiles = {row["kommunkod"]: row for row in outputs.read_table(MUNICIPALITIES_FILE)}
    words = {row["file"]: int(row["words"] or 0) for row in outputs.read_documents()}

    unit_rows = _unit_scores(truth, predicted_units)
    doc_rows = []
    for doc in documents:
        file, code = doc["file"], doc["kommunkod"]
        row = profiles.get(code)
        units = [u for u in truth if u.file == file]
        truth_digital = {unit_key(u.text) for u in units if u.classify and u.label != NONE}
        expected = doc["expected_profile"]
        found = row["profile"] if row else "missing"
        truth_density = len(truth_digital) / words[file] * 10_000 if words.get(file) else 0.0
        predicted_density = float(row["digital_per_10k_words"] or 0) if row else 0.0
        doc_rows.append({
            "file": file, "kommunkod": code, "kommun": doc["kommun"], "format": doc["format"],
            "expected": expected, "predicted": found, "right": found == expected,
            "confidence": float(row["confidence"]) if row else 0.0,
            "needs_review": bool(row and row["needs_review"] == "true"),
            "truth_profile_from_units": profile_from_labels(u.label for u in units),
            "digital_per_10k_truth": round(truth_density, 3),
            "digital_per_10k_predicted": round(predicted_density, 3),
            "density_within_30pct": (abs(predicted_density - truth_density)
                                     <= DENSITY_TOLERANCE * truth_density
                                     if truth_density else predicted_density == 0.0),
        })
    return {"documents": _document_scores(doc_rows), "units": unit_rows,
            "per_document": doc_rows}


def _unit_scores(truth: Sequence[TruthUnit], predicted: dict[tuple[str, int], Any]
                 ) -> dict[str, Any]:
    y_true, y_pred = [], []
    by_tag: dict[str, Counter[str]] = defaultdict(Counter)
    tables = Counter[str]()
    for unit in truth:
        row = predicted.get((unit.file, unit.index))
        if unit.classify and (row is None or row.text != unit.text):
            raise MrpError(f"{unit.file}: unit {unit.index} of the truth is not the run's unit "
                           f"{unit.index}; the reader changed since the set was built — rebuild "
                           "it with 'mrp-classify docset build'")
        label = row.label if unit.classify and row is not None else NONE
        y_true.append(LABELS.index(unit.label))
        y_pred.append(LABELS.index(label))
        right = (label != NONE) == (unit.label != NONE)
        for tag in unit.tags or (("untagged",) if unit.label == NONE else ()):
            by_tag[tag]["right" if right else "wrong"] += 1
        if unit.label != NONE and unit.kind.startswith("table"):
            tables["found" if label != NONE else "missed"] += 1
    matrix = confusion_matrix(y_true, y_pred, len(LABELS))
    digital_true = [t != 0 for t in y_true]
    digital_pred = [p != 0 for p in y_pred]
    tp = sum(t and p for t, p in zip(digital_true, digital_pred, strict=True))
    fp = sum(p and not t for t, p in zip(digital_true, digital_pred, strict=True))
    fn = sum(t and not p for t, p in zip(digital_true, digital_pred, strict=True))
    n_none = sum(not t for t in digital_true)
    per_class = per_class_scores(matrix, LABELS)
    return {
        "units": len(truth), "none_units": n_none, "digital_units": tp + fn,
        "digital_precision": _ratio(tp, tp + fp), "digital_recall": _ratio(tp, tp + fn),
        "false_digital_per_1000_none": _ratio(1000 * fp, n_none),
        "false_digital": fp, "missed_digital": fn,
        "macro_f1": sum(s["f1"] for s in per_class.values()) / len(LABELS),
        "per_class": per_class,
        "confusion_matrix": {"labels": list(LABELS), "rows_true_cols_pred": matrix.tolist()},
        "digital_table_rows": dict(tables),
        "by_tag": {tag: {**counts, "accuracy": counts["right"] / sum(counts.values())}
                   for tag, counts in sorted(by_tag.items())},
    }


def _document_scores(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    table = municipalities()
    profiles = (NO_DIGITAL_GOALS, INTERNAL_ONLY, "citizen_facing")
    matrix = [[sum(1 for r in rows if r["expected"] == e and r["predicted"] == p)
               for p in profiles] for e in profiles]
    headline = {NO_DIGITAL_GOALS, INTERNAL_ONLY}
    truth_inhabitants = sum(table[r["kommunkod"]].population for r in rows
                            if r["expected"] in headline)
    predicted_inhabitants = sum(table[r["kommunkod"]].population for r in rows
                                if r["predicted"] in headline)
    reliability = []
    for level in RELIABILITY_LEVELS:
        chosen = [r for r in rows if r["confidence"] >= level]
        reliability.append({"confidence_at_least": level, "profiles": len(chosen),
                            "right": sum(r["right"] for r in chosen),
                            "accuracy": _ratio(sum(r["right"] for r in chosen), len(chosen))})
    return {
        "documents": len(rows), "right": sum(r["right"] for r in rows),
        "accuracy": _ratio(sum(r["right"] for r in rows), len(rows)),
        "confusion": {"profiles": list(profiles), "rows_expected_cols_predicted": matrix},
        "wrong": [{k: r[k] for k in ("file", "expected", "predicted", "confidence",
                                     "needs_review")} for r in rows if not r["right"]],
        "wrong_with_confidence_at_least_0.9": sum(
            1 for r in rows if not r["right"] and r["confidence"] >= 0.9),
        "wrong_without_review": sum(1 for r in rows if not r["right"] and not r["needs_review"]),
        "headline_inhabitants": {"truth": truth_inhabitants, "predicted": predicted_inhabitants,
                                 "error": predicted_inhabitants - truth_inhabitants},
        "density_within_30pct": sum(r["density_within_30pct"] for r in rows),
        "reliability": reliability,
    }


def evaluate_docs(docset_dir: Path, model_dir: Path, run_dir: Path | None = None,
                  threads: int | None = None) -> dict[str, Any]:
    """Run the model over the set's documents (into ``run_dir``, or a temporary folder)
    and score the run."""
    from mrp_classify.inference.run import run

    docset_dir = Path(docset_dir)
    if not (docset_dir / DOCUMENTS_DIR).is_dir():
        raise MrpError(f"{docset_dir}: no {DOCUMENTS_DIR}/ folder; build the set first with "
                       "'mrp-classify docset build PLANS --out DIR'")
    with tempfile.TemporaryDirectory(prefix="mrp-evaluate-docs-") as tmp:
        out = Path(run_dir) if run_dir is not None else Path(tmp) / "run"
        result = run([docset_dir / DOCUMENTS_DIR], out, Path(model_dir),
                     manifest=docset_dir / MANIFEST_FILE, threads=threads, quiet=True,
                     display_root=docset_dir)
        if result.errors:
            log.warning("%d documents of %s could not be read", result.errors, docset_dir)
        scores = score_run(docset_dir, out)
    scores["model"] = str(model_dir)
    scores["docset"] = str(docset_dir)
    return scores


def format_scores(scores: dict[str, Any]) -> str:
    docs, units = scores["documents"], scores["units"]

    def pct(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:.1f} %"

    lines = [
        f"profiles right: {docs['right']} of {docs['documents']} ({pct(docs['accuracy'])}); "
        f"wrong with confidence ≥ 0.9: {docs['wrong_with_confidence_at_least_0.9']}; "
        f"wrong without needs_review: {docs['wrong_without_review']}",
        f"digital units: precision {pct(units['digital_precision'])}, recall "
        f"{pct(units['digital_recall'])}; false digital per 1,000 none units: "
        + ("–" if units["false_digital_per_1000_none"] is None
           else f"{units['false_digital_per_1000_none']:.2f}")
        + f" ({units['false_digital']} of {units['none_units']}); unit macro-F1 "
        f"{units['macro_f1']:.3f}",
        f"headline inhabitants: truth {docs['headline_inhabitants']['truth']:,}, predicted "
        f"{docs['headline_inhabitants']['predicted']:,}",
        f"digital units per 10,000 words within ±30 %: {docs['density_within_30pct']} of "
        f"{docs['documents']}",
        "reliability: " + "; ".join(
            f"≥{r['confidence_at_least']}: {r['right']}/{r['profiles']}"
            for r in docs["reliability"]),
    ]
    for wrong in docs["wrong"]:
        review = ", needs review" if wrong["needs_review"] else ""
        lines.append(f"  wrong: {wrong['file']}: {wrong['expected']} → {wrong['predicted']} "
                     f"({wrong['confidence']:.2f}{review})")
    return "\n".join(lines)

