"""Wall time and peak memory of retraining the default model on the seed corpus.

Runs the exact command of the bundled model's card in a subprocess:

    python benchmarks/train_time.py                    # into a temporary registry
    python benchmarks/train_time.py --models-dir models  # (re)produce the bundled model

Prints one table and writes benchmarks/results/train_time.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hostinfo import describe_machine

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="registry to write into (default: a temporary folder)")
    parser.add_argument("--config", type=Path, default=ROOT / "training" / "default.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                        "train_time.json")
    args, extra = parser.parse_known_args()
    host = describe_machine()
    with tempfile.TemporaryDirectory() as scratch:
        models_dir = args.models_dir or Path(scratch)
        command = [sys.executable, "-m", "mrp_classify", "train", "--config", str(args.config),
                   "--models-dir", str(models_dir), *extra]
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                   check=True)
        seconds = time.perf_counter() - started
        folder = Path(completed.stdout.strip().splitlines()[-1])
        info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {
        "command": " ".join(["mrp-classify", *command[3:]]),
        "wall_s": round(seconds, 1),
        "fine_tune_s": info["timing"]["fine_tune_s"],
        "peak_rss_mb": round(peak_kb / 1024),
        "paragraphs": info["training_data"]["paragraphs"],
        "best_epoch": info["metrics"]["best_epoch"],
        "epochs_run": len(info["metrics"]["history"]),
        "test_macro_f1": round(info["metrics"]["test"]["macro_f1"], 4),
        "baseline_macro_f1": round(info["metrics"]["baseline_tfidf_logreg"]["macro_f1"], 4),
        "model_folder": str(folder) if args.models_dir else "(temporary)",
        "machine": host,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"{'what':<22}value")
    for key in ("wall_s", "fine_tune_s", "peak_rss_mb", "paragraphs", "epochs_run",
                "best_epoch", "test_macro_f1", "baseline_macro_f1"):
        print(f"{key:<22}{result[key]}")
    print(f"{'machine':<22}{result['machine']['cpu']} ({result['machine']['cores']} cores)")


if __name__ == "__main__":
    main()
