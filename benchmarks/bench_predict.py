"""Whole-process speed of ``mrp-classify predict`` against the transformers pipeline.

    python benchmarks/bench_predict.py                     # 1,000 distinct paragraphs, 3 repeats
    python benchmarks/bench_predict.py --model DIR --checkpoint DIR --paragraphs 300 --repeats 1

bench_classify.py times both sides inside one warm process; a user pays for more: the
interpreter, the imports, loading the model, reading the input and writing the output.
Here each side is one fresh process over the same JSONL file of distinct paragraphs
(seed labels, deduplicated, so the prediction cache saves nothing), timed whole, the
two alternating so that both see the same machine load; the fastest repeat counts:

* ``mrp-classify predict IN --out OUT`` (int8 ONNX, no torch);
* the straightforward script: Python importing torch and transformers, loading the
  fine-tuned fp32 checkpoint into ``pipeline("text-classification")`` with its defaults
  (one paragraph per forward pass), classifying every paragraph and writing id, label
  and probabilities as JSONL (this file with ``--pipeline-worker``).

Both outputs are compared label by label. Writes results/bench_predict.json with the
machine (CPU, SIMD level, cores).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hostinfo import describe_machine, print_rows

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_predict.json"
CLI = Path(sys.executable).with_name("mrp-classify")


def distinct_texts(model_dir: Path, n: int) -> list[str]:
    """The first ``n`` seed paragraphs that differ after normalising case and spaces (as
    the prediction cache keys them), so neither side is spared any work."""
    from bench_classify import benchmark_texts

    firsts: dict[str, str] = {}
    for text in benchmark_texts(model_dir, 100_000):
        firsts.setdefault(" ".join(text.split()).lower(), text)
        if len(firsts) == n:
            return list(firsts.values())
    raise SystemExit(f"only {len(firsts)} distinct seed paragraphs; ask for fewer")


def pipeline_worker(source: Path, target: Path, checkpoint: Path, model_dir: Path) -> None:
    """The straightforward implementation, run as its own process."""
    from bench_classify import hf_pipeline

    from mrp_classify.inference.model_folder import ModelFolder

    meta = ModelFolder.load(model_dir).meta
    pipe, info = hf_pipeline(checkpoint)
    records = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    outputs = pipe([meta.text_prefix + r["text"] for r in records], truncation=True,
                   max_length=meta.max_length, top_k=None)
    with target.open("w", encoding="utf-8") as handle:
        for record, scores in zip(records, outputs, strict=True):
            best = max(scores, key=lambda s: s["score"])
            row = {"id": record["id"], "label": best["label"],
                   **{f"p_{s['label']}": s["score"] for s in scores}}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def timed_process(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def labels_of(path: Path) -> dict[str, str]:
    return {row["id"]: row["label"] for row in map(json.loads, path.read_text(
        encoding="utf-8").splitlines())}


def run_benchmark(model_dir: Path, checkpoint: Path, n: int, repeats: int) -> dict[str, Any]:
    texts = distinct_texts(model_dir, n)
    with tempfile.TemporaryDirectory(prefix="mrp-bench-predict-") as tmp:
        folder = Path(tmp)
        source = folder / "paragraphs.jsonl"
        source.write_text("".join(json.dumps({"id": f"p{i:05d}", "text": t},
                                             ensure_ascii=False) + "\n"
                                  for i, t in enumerate(texts)), encoding="utf-8")
        ours, theirs = folder / "predict.jsonl", folder / "pipeline.jsonl"
        predict = [str(CLI), "predict", str(source), "--out", str(ours), "--model",
                   str(model_dir), "--force", "--quiet"]
        straightforward = [sys.executable, str(Path(__file__).resolve()), "--pipeline-worker",
                           str(source), str(theirs), "--checkpoint", str(checkpoint),
                           "--model", str(model_dir)]
        predict_s, pipeline_s = [], []
        for _ in range(repeats):
            predict_s.append(timed_process(predict))
            pipeline_s.append(timed_process(straightforward))
        a, b = labels_of(ours), labels_of(theirs)
    agreement = sum(a[k] == b[k] for k in a) / len(a)
    best_predict, best_pipeline = min(predict_s), min(pipeline_s)
    return {
        "paragraphs": n, "repeats": repeats, "model": str(model_dir),
        "checkpoint": str(checkpoint),
        "predict_s": [round(s, 2) for s in predict_s],
        "pipeline_s": [round(s, 2) for s in pipeline_s],
        "predict_paragraphs_per_s": round(n / best_predict, 1),
        "pipeline_paragraphs_per_s": round(n / best_pipeline, 1),
        "speed_up": round(best_pipeline / best_predict, 2),
        "label_agreement": round(agreement, 4),
        "machine": describe_machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model folder (default: models/DEFAULT)")
    parser.add_argument("--checkpoint", type=Path,
                        help="its PyTorch checkpoint (default: the one training left in the "
                             "cache)")
    parser.add_argument("--paragraphs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--pipeline-worker", nargs=2, type=Path, metavar=("IN", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from mrp_classify.paths import default_model_dir

    model_dir = (args.model or default_model_dir()).resolve()
    if args.pipeline_worker:
        pipeline_worker(*args.pipeline_worker, args.checkpoint, model_dir)
        return
    from bench_classify import checkpoint_dir

    checkpoint = (args.checkpoint or checkpoint_dir(model_dir)).resolve()
    result = run_benchmark(model_dir, checkpoint, args.paragraphs, args.repeats)
    print_rows([
        ("paragraphs (distinct)", str(result["paragraphs"])),
        ("mrp-classify predict, whole process", f"{min(result['predict_s'])} s "
         f"({result['predict_paragraphs_per_s']} paragraphs/s)"),
        ("transformers pipeline, whole process", f"{min(result['pipeline_s'])} s "
         f"({result['pipeline_paragraphs_per_s']} paragraphs/s)"),
        ("speed-up", f"{result['speed_up']}x (target >= 4x)"),
        ("label agreement", f"{result['label_agreement']:.2%}"),
        ("machine", f"{result['machine'].get('cpu')} ({result['machine'].get('simd_level')})"),
    ])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"(written to {args.out})")


if __name__ == "__main__":
    main()
