"""The cascade's first stage: speed of ``mrp-classify run`` with and without it, and what it costs.

    python benchmarks/bench_cascade.py                      # about 6 min on 2 cores
    python benchmarks/bench_cascade.py --model models/NAME/vN --dev DOCSET --test DOCSET

On the development and the locked test document sets (``mrp-classify docset build``;
built from labels/documents/dev and labels/documents/test into a temporary folder
unless given), ``run`` goes over every document twice per repeat, in turns: with the
model folder's cascade and with ``--no-cascade``. Each run starts cold (a fresh
``--out``, so the prediction cache holds nothing yet) and is timed whole (reading,
classification, outputs); the faster of the repeats counts. Reported per set:

* units/s of each run and the speed-up;
* relative recall: the share of the units the full run calls digital that the
  cascaded run calls digital too (a passed unit gets the encoder's own answer, so
  this is the share of them the first stage passed on);
* the share of units settled by the first stage (computed by the stage itself on
  the run's units), and its own time per unit;
* profile agreement: municipality-years whose profile is the same in both runs, and
  the largest change of confidence;
* both runs scored against the set's truth (``docset.evaluate.score_run``).

``--model`` (default: models/DEFAULT) must have a cascade; without one, one is fitted
first (``mrp-classify cascade fit`` on the model's own training config and the dev
set) into a temporary registry. Prints one table and writes
benchmarks/results/bench_cascade.json with the machine (CPU, SIMD level, cores, load).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hostinfo import describe_machine

from mrp_classify.docset.build import DOCUMENTS_DIR, MANIFEST_FILE, build_docset
from mrp_classify.docset.evaluate import score_run
from mrp_classify.inference.cascade import Cascade
from mrp_classify.inference.model_folder import ModelFolder
from mrp_classify.inference.outputs import MUNICIPALITIES_FILE, RunOutputs
from mrp_classify.inference.run import run
from mrp_classify.io import write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MODES = ("full", "cascade")


def timed_run(docset: Path, model: Path, out: Path, cascade: bool,
              threads: int | None) -> float:
    started = time.perf_counter()
    run([docset / DOCUMENTS_DIR], out, model, manifest=docset / MANIFEST_FILE, quiet=True,
        threads=threads, display_root=docset, use_cascade=cascade)
    return time.perf_counter() - started


def compare_runs(docset: Path, folder: ModelFolder, full: Path, cascaded: Path
                 ) -> dict[str, Any]:
    labels = folder.meta.labels
    stage = Cascade.from_folder(folder)
    assert stage is not None
    rows_full = list(RunOutputs(full).read_paragraphs(labels, need_probabilities=True))
    rows_cascade = list(RunOutputs(cascaded).read_paragraphs(labels, need_probabilities=True))
    assert [(r.file, r.index) for r in rows_full] == [(r.file, r.index) for r in rows_cascade]
    fmt = folder.meta.input_format
    texts = [fmt.render(r.text, r.heading_path, r.kind) for r in rows_full]
    started = time.perf_counter()
    passes = stage.passes(texts)
    stage_seconds = time.perf_counter() - started
    digital = [r.label != "none" for r in rows_full]
    kept = sum(1 for r, d in zip(rows_cascade, digital, strict=True) if d and r.label != "none")
    profiles = [{(row["kommunkod"], row["year"]): row
                 for row in RunOutputs(path).read_table(MUNICIPALITIES_FILE)}
                for path in (full, cascaded)]
    agree = sum(profiles[0][key]["profile"] == profiles[1].get(key, {}).get("profile")
                for key in profiles[0])
    confidence_change = max((abs(float(profiles[0][k]["confidence"])
                                 - float(profiles[1][k]["confidence"]))
                             for k in profiles[0] if k in profiles[1]), default=0.0)
    truth = {mode: score_run(docset, path) for mode, path in zip(MODES, (full, cascaded),
                                                                  strict=True)}
    return {
        "units": len(rows_full), "full_model_digital": sum(digital),
        "kept_digital": kept, "relative_recall": kept / sum(digital) if any(digital) else None,
        "settled": int((~passes).sum()), "settled_share": float((~passes).mean()),
        "stage_ms_per_unit": round(1000 * stage_seconds / max(1, len(texts)), 4),
        "profiles": len(profiles[0]), "profiles_agree": agree,
        "max_confidence_change": round(confidence_change, 4),
        "against_truth": {mode: {
            "profiles_right": scores["documents"]["right"],
            "digital_recall": scores["units"]["digital_recall"],
            "digital_precision": scores["units"]["digital_precision"],
            "false_digital_per_1000_none": scores["units"]["false_digital_per_1000_none"]}
            for mode, scores in truth.items()},
    }


def bench_docset(name: str, docset: Path, model: Path, work: Path, repeats: int,
                 threads: int | None) -> dict[str, Any]:
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    for repeat in range(repeats):
        for mode in MODES:
            out = work / f"{name}-{mode}-{repeat}"
            seconds[mode].append(timed_run(docset, model, out, mode == "cascade", threads))
            print(f"{name} {mode} run {repeat + 1}: {seconds[mode][-1]:.1f} s", file=sys.stderr)
    result = compare_runs(docset, ModelFolder.load(model), work / f"{name}-full-0",
                          work / f"{name}-cascade-0")
    best = {mode: min(values) for mode, values in seconds.items()}
    result |= {"docset": str(docset), "seconds": {m: [round(s, 2) for s in v]
                                                  for m, v in seconds.items()},
               "units_per_s": {m: round(result["units"] / s, 2) for m, s in best.items()},
               "speedup": round(best["full"] / best["cascade"], 3)}
    return result


def ensure_cascade(model: Path, dev: Path, work: Path, threads: int | None) -> Path:
    if ModelFolder.load(model).meta.cascade:
        return model
    from mrp_classify.training.cascade import add_cascade

    print(f"{model} has no cascade: fitting one on the dev set", file=sys.stderr)
    return add_cascade(model, [dev], work / "models", threads=threads)


def table(results: dict[str, Any]) -> str:
    lines = [f"{'set':<6}{'units':>7}{'full u/s':>10}{'cascade u/s':>13}{'speed-up':>10}"
             f"{'settled':>9}{'rel. recall':>13}{'profiles same':>15}"]
    for name, r in results["docsets"].items():
        lines.append(f"{name:<6}{r['units']:>7}{r['units_per_s']['full']:>10}"
                     f"{r['units_per_s']['cascade']:>13}{r['speedup']:>9}×"
                     f"{100 * r['settled_share']:>8.1f}%{r['relative_recall']:>13.4f}"
                     f"{r['profiles_agree']:>8}/{r['profiles']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--dev", type=Path, default=None, help="built dev document set")
    parser.add_argument("--test", type=Path, default=None, help="built locked test set")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_cascade.json")
    args = parser.parse_args(argv)
    from mrp_classify.paths import default_model_dir

    machine = describe_machine()
    with tempfile.TemporaryDirectory(prefix="mrp-bench-cascade-") as tmp:
        work = Path(tmp)
        sets = {}
        for name, given in (("dev", args.dev), ("test", args.test)):
            sets[name] = given or work / f"docset-{name}"
            if given is None:
                build_docset(ROOT / "labels" / "documents" / name, sets[name])
        model = ensure_cascade(args.model or default_model_dir(), sets["dev"], work,
                               args.threads)
        folder = ModelFolder.load(model)
        results = {
            "machine": machine,
            "model": {"path": str(args.model or default_model_dir()), "ref": folder.meta.ref,
                      "cascade_fitted_by_this_benchmark": model != (args.model
                                                                    or default_model_dir()),
                      "cascade": {k: v for k, v in folder.meta.cascade.items()
                                  if not isinstance(v, dict)}},
            "repeats": args.repeats, "threads": args.threads,
            "docsets": {name: bench_docset(name, docset, model, work, args.repeats, args.threads)
                        for name, docset in sets.items()},
        }
    write_json_atomic(args.out, results)
    print(table(results))
    print(f"(written to {args.out})", file=sys.stderr)


if __name__ == "__main__":
    main()
