"""How far the bundled model's results move between kinds of CPU.

ONNX Runtime picks its int8 and float kernels by the CPU's instruction set. This
script runs the same inputs natively and under QEMU's user-mode emulation of
other CPU models (``qemu-x86_64 -cpu Haswell`` has AVX2 but no AVX-512 or VNNI;
``SandyBridge`` has AVX only, so ONNX Runtime falls back to its SSE kernels),
so the cross-CPU spread is measured on one machine:

* the golden paragraphs (``tests/golden``) and every unit of the bundled examples:
  largest probability difference and label agreement against the native run;
* the bundled examples' municipality profiles, which must be identical.

    python benchmarks/cross_cpu.py [--model DIR] [--cpus Haswell,EPYC-Milan,SandyBridge]

Writes ``benchmarks/results/cross_cpu.json``. Needs ``qemu-user`` (Debian:
``apt-get install qemu-user``); emulation is slow (about a paragraph a second).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hostinfo import describe_machine  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "cross_cpu.json"
GOLDEN = ROOT / "tests" / "golden" / "bundled_model_predictions.json"
DEFAULT_CPUS = ("Haswell", "EPYC-Milan", "SandyBridge")


def example_units() -> list[dict[str, Any]]:
    """Every classified unit of the bundled examples, as the run reads them."""
    from mrp_classify.inference.ingest import read_document
    from mrp_classify.inference.segment import segment

    units = []
    for path in sorted((ROOT / "examples").iterdir()):
        if path.suffix.lower() not in (".pdf", ".docx", ".html", ".txt"):
            continue
        for paragraph in segment(read_document(path)):
            if paragraph.classify:
                units.append({"file": path.name, "text": paragraph.text,
                              "heading_path": list(paragraph.heading_path),
                              "kind": paragraph.kind})
    return units


def worker(model: Path, inputs: Path, out: Path, profiles: bool = True) -> None:
    """Classify the inputs (and build the examples' profiles) on whatever CPU this runs on."""
    from mrp_classify.inference.cpu import cpu_info
    from mrp_classify.inference.model import Classifier, ModelInput
    from mrp_classify.inference.run import run

    data = json.loads(inputs.read_text(encoding="utf-8"))
    classifier = Classifier(model, threads=1)
    items = [ModelInput(u["text"], tuple(u.get("heading_path", ())), u.get("kind", ""))
             for u in data["units"]]
    probabilities = classifier.predict_proba(items)
    found: dict[str, list[Any]] = {}
    if profiles:
        with tempfile.TemporaryDirectory() as tmp:
            run([ROOT / "examples"], Path(tmp) / "out", model, threads=1, quiet=True)
            with open(Path(tmp) / "out" / "municipalities.csv", encoding="utf-8-sig") as handle:
                found = {row["kommunkod"]: [row["profile"], float(row["confidence"])]
                         for row in csv.DictReader(handle)}
    out.write_text(json.dumps({"cpu": cpu_info(), "probabilities": probabilities.tolist(),
                               "profiles": found}), encoding="utf-8")


def emulated_command(cpu: str, model: Path, inputs: Path, out: Path,
                     profiles: bool = True) -> list[str]:
    """The command that runs :func:`worker` under ``qemu-x86_64 -cpu <cpu>``."""
    qemu = shutil.which("qemu-x86_64")
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--model",
               str(model), "--inputs", str(inputs), "--out", str(out)]
    if not profiles:
        command.append("--no-profiles")
    if cpu == "native":
        return command
    if qemu is None:
        raise SystemExit("qemu-x86_64 not found: apt-get install qemu-user")
    return [qemu, "-cpu", cpu, *command]


def measure(model: Path, cpus: list[str]) -> dict[str, Any]:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    units = [{"text": p["text"]} for p in golden["paragraphs"]] + example_units()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "inputs.json"
        inputs.write_text(json.dumps({"units": units}, ensure_ascii=False), encoding="utf-8")
        # Each emulated run is single-threaded and takes minutes: all of them at once.
        runs = {cpu: subprocess.Popen(emulated_command(cpu, model, inputs,
                                                       Path(tmp) / f"{cpu}.json"),
                                      stderr=subprocess.DEVNULL)
                for cpu in ["native", *cpus]}
        for cpu, process in runs.items():
            if process.wait() != 0:
                raise SystemExit(f"{cpu}: the run failed (exit {process.returncode})")
            results[cpu] = json.loads((Path(tmp) / f"{cpu}.json").read_text(encoding="utf-8"))
    native = np.array(results["native"]["probabilities"])
    comparisons = {}
    native_profiles = results["native"]["profiles"]
    for cpu in cpus:
        other = np.array(results[cpu]["probabilities"])
        diff = np.abs(other - native)
        changed = {code: [native_profiles.get(code), row] for code, row in
                   results[cpu]["profiles"].items()
                   if row[0] != native_profiles.get(code, [None])[0]}
        comparisons[cpu] = {
            "simd": results[cpu]["cpu"]["simd"],
            "max_abs_diff": float(diff.max()), "mean_abs_diff": float(diff.mean()),
            "max_abs_diff_golden": float(diff[:len(golden["paragraphs"])].max()),
            "labels_equal": int((other.argmax(1) == native.argmax(1)).sum()),
            "profiles_equal": not changed and set(results[cpu]["profiles"]) == set(
                native_profiles),
            "profiles_changed": changed,
            "profiles": results[cpu]["profiles"],
        }
    return {"model": str(model.relative_to(ROOT) if model.is_relative_to(ROOT) else model),
            "host": describe_machine(), "native_simd": results["native"]["cpu"]["simd"],
            "units": len(units), "golden_units": len(golden["paragraphs"]),
            "native_profiles": native_profiles, "emulated": comparisons}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--cpus", default=",".join(DEFAULT_CPUS))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-profiles", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from mrp_classify.paths import default_model_dir

    model = args.model or default_model_dir()
    if args.worker:
        worker(model, args.inputs, args.out, profiles=not args.no_profiles)
        return
    report = measure(model, [c for c in args.cpus.split(",") if c])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                       encoding="utf-8")
    for cpu, result in report["emulated"].items():
        print(f"{cpu} ({result['simd']}) vs native ({report['native_simd']}): max |Δp| "
              f"{result['max_abs_diff']:.2e} (golden {result['max_abs_diff_golden']:.2e}), "
              f"labels equal {result['labels_equal']}/{report['units']}, profiles equal: "
              f"{result['profiles_equal']}")


if __name__ == "__main__":
    main()
