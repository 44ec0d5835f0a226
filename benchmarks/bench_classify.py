"""Classification speed: mrp-classify's ONNX int8 Classifier against the transformers pipeline.

    python benchmarks/bench_classify.py            # the default model, 2,000 paragraphs, 3 runs
    python benchmarks/bench_classify.py --model DIR --checkpoint DIR --paragraphs 200 --repeats 1

Both sides classify the same paragraphs in one process, alternating, each run
timed whole (tokenisation included):

* int8: ``Classifier(model).predict_proba(texts)`` as ``mrp-classify run`` calls it
  (each window run alone, one run per usable core at a time, sliding windows over
  long paragraphs);
* PyTorch: ``transformers.pipeline("text-classification")`` with its defaults (one
  paragraph per forward pass) over the fine-tuned fp32 checkpoint the training
  wrote to the cache, the text prefix added to the texts, ``truncation=True`` and
  the model's ``max_length``.

The paragraphs are the seed labels' texts (labels/seed/*.jsonl): first those in
the model's test split, then the rest, each part in file and line order, repeated
from the start if more are asked for than exist.

Then, once, the same int8 model the way the Classifier ran it before (padded
length-sorted batches of 8 and 32, onnxruntime's threads inside each run): speed,
and how far a paragraph's probabilities move when it shares a batch (dynamic int8
takes its activation scale from the whole padded batch).

The same run measures the machine's own limit: int8 (MatMulInteger,
DynamicQuantizeMatMul) and fp32 (MatMul) products in one-node ONNX graphs run by the
same onnxruntime, a large square one with all threads inside the run, and one of the
model's shape (a paragraph's mean token count × its largest weight) run the way the
Classifier runs, one single-threaded run per core at a time. The model's operations
per paragraph are counted from the ONNX graph's MatMul shapes at each window's token
count; peak / operations is the most paragraphs per second any int8 runtime of this
model could reach here (the ceiling in the table). Prints one table and writes
benchmarks/results/bench_classify.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from hostinfo import describe_machine, print_rows

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MATMUL_SIZE = 2048
BATCHED_SIZES = (8, 32)


def checkpoint_dir(model_dir: Path) -> Path:
    """Where the training left the fp32 PyTorch checkpoint of this model folder."""
    from mrp_classify.errors import MrpError
    from mrp_classify.inference.model_folder import ModelFolder
    from mrp_classify.paths import cache_dir

    raw = ModelFolder.load(model_dir).meta.to_json()
    folder = cache_dir() / "checkpoints" / f"{raw.get('name')}-{raw.get('version')}"
    if not (folder / "checkpoint.json").is_file():
        raise MrpError(f"{folder}: no PyTorch checkpoint for {model_dir}; it is written by "
                       "'mrp-classify train' (set MRP_CLASSIFY_CACHE as during training), "
                       "or pass --checkpoint DIR")
    return folder


def benchmark_texts(model_dir: Path, n: int) -> list[str]:
    """``n`` seed paragraphs: the model's test split first, then the rest (see the module
    docstring)."""
    from mrp_classify.inference.model_folder import ModelFolder
    from mrp_classify.labelset import load_valid
    from mrp_classify.splits import group_bucket
    from mrp_classify.training.config import TrainConfig

    config = ModelFolder.load(model_dir).meta.to_json().get("config", {})
    salt = config.get("split_salt", TrainConfig.split_salt)
    fraction = config.get("test_fraction", TrainConfig.test_fraction)
    records = load_valid([ROOT / "labels" / "seed"])
    test = [r.text for r in records if group_bucket(r.group, salt) < fraction]
    rest = [r.text for r in records if group_bucket(r.group, salt) >= fraction]
    ordered = test + rest
    return [ordered[i % len(ordered)] for i in range(n)]


def hf_pipeline(checkpoint: Path) -> tuple[Any, dict[str, Any]]:
    """The fine-tuned fp32 model as a stock transformers text-classification pipeline."""
    import torch
    from transformers import (
        PretrainedConfig,
        PreTrainedModel,
        PreTrainedTokenizerFast,
        pipeline,
    )
    from transformers.modeling_outputs import SequenceClassifierOutput
    from transformers.utils import logging as hf_logging

    from mrp_classify.training.finetune import MeanPoolClassifier, load_checkpoint

    # The load report (no pooler: mean pooling needs none) and the warning that the pipeline
    # does not know this model class would bury the table.
    hf_logging.set_verbosity(hf_logging.CRITICAL)
    hf_logging.disable_progress_bar()
    classifier, info = load_checkpoint(checkpoint)
    labels = list(info["labels"])

    class MeanPoolForSequenceClassification(PreTrainedModel):
        config_class = PretrainedConfig

        def __init__(self, config: PretrainedConfig, inner: MeanPoolClassifier) -> None:
            super().__init__(config)
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                    **_: Any) -> SequenceClassifierOutput:
            if attention_mask is None:
                attention_mask = torch.ones_like(input_ids)
            return SequenceClassifierOutput(logits=self.inner(input_ids, attention_mask))

    config = PretrainedConfig(id2label=dict(enumerate(labels)),
                              label2id={label: i for i, label in enumerate(labels)},
                              problem_type="single_label_classification")
    model = MeanPoolForSequenceClassification(config, classifier).eval()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(checkpoint / "tokenizer.json"), bos_token="<s>", eos_token="</s>",
        pad_token="<pad>", unk_token="<unk>", cls_token="<s>", sep_token="</s>",
        model_max_length=int(info["max_length"]))
    return pipeline("text-classification", model=model, tokenizer=tokenizer), info


def pipeline_labels(pipe: Any, texts: Sequence[str], prefix: str, max_length: int,
                    labels: Sequence[str]) -> np.ndarray:
    """Label indices from the pipeline, one paragraph at a time (its default)."""
    outputs = pipe([prefix + text for text in texts], truncation=True, max_length=max_length)
    return np.array([labels.index(output["label"]) for output in outputs])


# ---------------------------------------------------------------------------
# Operations per paragraph, counted from the ONNX graph

@dataclass(frozen=True)
class MatMulCost:
    """Multiply-add operations (2 per MAC) of one window of L tokens: per_token·L +
    per_token_squared·L² (the second: attention scores and their product with V)."""

    per_token: int
    per_token_squared: int
    largest_weight: tuple[int, int]

    def ops(self, tokens: int) -> int:
        return self.per_token * tokens + self.per_token_squared * tokens * tokens


def matmul_cost(onnx_path: Path) -> MatMulCost:
    import onnx

    graph = onnx.load(str(onnx_path)).graph
    weights = {init.name: tuple(int(d) for d in init.dims) for init in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}

    def weight_dims(node: Any) -> tuple[int, int] | None:
        """(K, N) of a MatMul-like node whose second operand is a weight."""
        if node.op_type not in ("MatMul", "MatMulInteger", "Gemm") or len(node.input) < 2:
            return None
        dims = weights.get(node.input[1])
        if dims is None or len(dims) != 2:
            return None
        transposed = node.op_type == "Gemm" and any(
            a.name == "transB" and a.i == 1 for a in node.attribute)
        return (dims[1], dims[0]) if transposed else (dims[0], dims[1])

    def projection_width(name: str) -> int:
        """N of the weight MatMul an attention operand comes from (all heads together)."""
        seen, frontier = set(), [name]
        while frontier:
            current = frontier.pop()
            node = producer.get(current)
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            dims = weight_dims(node)
            if dims is not None:
                return dims[1]
            frontier.extend(node.input)
        raise ValueError(f"{onnx_path}: cannot trace attention operand {name} to a projection")

    per_token = per_token_squared = 0
    largest = (0, 0)
    for node in graph.node:
        dims = weight_dims(node)
        if dims is not None:
            per_token += 2 * dims[0] * dims[1]
            largest = max(largest, dims, key=lambda d: d[0] * d[1])
        elif node.op_type == "MatMul" and not any(i in weights for i in node.input):
            # Q·Kᵀ and softmax·V: L×L×H multiply-adds each, whatever the number of heads.
            per_token_squared += 2 * projection_width(node.input[1])
    return MatMulCost(per_token, per_token_squared, largest)


# ---------------------------------------------------------------------------
# The machine's limit: one-node ONNX graphs

def _session_options(threads: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def _matmul_model(kind: str, m: int, k: int, n: int, rng: np.random.Generator) -> tuple[
        bytes, dict[str, np.ndarray]]:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    a: np.ndarray
    if kind == "int8 MatMulInteger":
        a = rng.integers(0, 256, size=(m, k), dtype=np.uint8)
        inits = [numpy_helper.from_array(rng.integers(-128, 128, (k, n), dtype=np.int8), "B"),
                 numpy_helper.from_array(np.array(128, dtype=np.uint8), "a_zero"),
                 numpy_helper.from_array(np.zeros(n, dtype=np.int8), "b_zero")]
        node = helper.make_node("MatMulInteger", ["A", "B", "a_zero", "b_zero"], ["Y"])
        a_type, y_type, domain = TensorProto.UINT8, TensorProto.INT32, ""
    elif kind == "int8 DynamicQuantizeMatMul":
        # What ONNX Runtime fuses the quantised model's MatMuls into: quantise A, multiply.
        a = rng.standard_normal((m, k), dtype=np.float32)
        inits = [numpy_helper.from_array(rng.integers(-128, 128, (k, n), dtype=np.int8), "B"),
                 numpy_helper.from_array(np.full(n, 0.01, dtype=np.float32), "b_scale"),
                 numpy_helper.from_array(np.zeros(n, dtype=np.int8), "b_zero")]
        node = helper.make_node("DynamicQuantizeMatMul", ["A", "B", "b_scale", "b_zero"], ["Y"],
                                domain="com.microsoft")
        a_type, y_type, domain = TensorProto.FLOAT, TensorProto.FLOAT, "com.microsoft"
    elif kind == "fp32 MatMul":
        a = rng.standard_normal((m, k), dtype=np.float32)
        inits = [numpy_helper.from_array(rng.standard_normal((k, n), dtype=np.float32), "B")]
        node = helper.make_node("MatMul", ["A", "B"], ["Y"])
        a_type, y_type, domain = TensorProto.FLOAT, TensorProto.FLOAT, ""
    else:
        raise ValueError(kind)
    graph = helper.make_graph([node], "matmul",
                              [helper.make_tensor_value_info("A", a_type, [m, k])],
                              [helper.make_tensor_value_info("Y", y_type, [m, n])], inits)
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8)
    onnx.checker.check_model(model)
    return model.SerializeToString(), {"A": a}


def matmul_throughput(kind: str, m: int, k: int, n: int, threads: int, concurrent: bool,
                      min_seconds: float = 1.5) -> float:
    """Billions of operations (2 per multiply-add) per second, median over repeated rounds.

    ``concurrent``: ``threads`` single-threaded runs at once (how the Classifier runs);
    else one run at a time with ``threads`` threads inside it.
    """
    import onnxruntime as ort

    model, feeds = _matmul_model(kind, m, k, n, np.random.default_rng(0))
    session = ort.InferenceSession(
        model, sess_options=_session_options(1 if concurrent else threads),
        providers=["CPUExecutionProvider"])
    runs_per_round = threads if concurrent else 1
    session.run(None, feeds)
    times: list[float] = []
    with ThreadPoolExecutor(threads) as pool:
        while sum(times) < min_seconds or len(times) < 5:
            started = time.perf_counter()
            list(pool.map(lambda _: session.run(None, feeds), range(runs_per_round)))
            times.append(time.perf_counter() - started)
    return runs_per_round * 2 * m * k * n / statistics.median(times) / 1e9


# ---------------------------------------------------------------------------

def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def timed_cpu(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, this process's CPU seconds, and the result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def batched_int8(model_dir: Path, windows: Sequence[Sequence[int]], pad_id: int, n_labels: int,
                 batch_size: int, threads: int) -> tuple[float, np.ndarray]:
    """Seconds and logits of the first windows in padded, length-sorted batches (the
    Classifier's former execution), onnxruntime's ``threads`` inside each run."""
    import onnxruntime as ort

    from mrp_classify.inference.model_folder import ModelFolder

    session = ort.InferenceSession(
        str(model_dir / ModelFolder.load(model_dir).meta.onnx_file),
        sess_options=_session_options(threads), providers=["CPUExecutionProvider"])
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    logits = np.zeros((len(windows), n_labels), dtype=np.float32)
    started = time.perf_counter()
    for first in range(0, len(order), batch_size):
        batch = order[first : first + batch_size]
        width = max(len(windows[i]) for i in batch)
        ids = np.full((len(batch), width), pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, index in enumerate(batch):
            ids[row, : len(windows[index])] = windows[index]
            mask[row, : len(windows[index])] = 1
        (logits[batch],) = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
    return time.perf_counter() - started, logits


def run_benchmark(model_dir: Path, checkpoint: Path, n: int, repeats: int,
                  threads: int | None, chunk: int) -> dict[str, Any]:
    import torch

    from mrp_classify.inference.model import Classifier, pad_token_id, softmax

    texts = benchmark_texts(model_dir, n)
    load_s = [timed(lambda: Classifier(model_dir, threads))[0] for _ in range(3)]
    classifier = Classifier(model_dir, threads)
    threads = classifier.threads
    labels = list(classifier.labels)
    prefix, max_length = classifier.meta.text_prefix, classifier.meta.max_length
    pipe_load_s, (pipe, info) = timed(lambda: hf_pipeline(checkpoint))
    if list(info["labels"]) != labels:
        raise SystemExit(f"{checkpoint}: labels {info['labels']} differ from {model_dir}'s")

    windows = classifier.windows(texts)
    hf_ids = pipe.tokenizer([prefix + t for t in texts], truncation=True,
                            max_length=max_length)["input_ids"]
    same_ids = sum(1 for w, ids in zip(windows, hf_ids, strict=True) if w[0] == list(ids))

    # First calls allocate and pick kernels (seconds for torch); keep that out of the runs.
    classifier.predict_proba(texts[:8])
    pipeline_labels(pipe, texts[:8], prefix, max_length, labels)
    # Alternating chunk by chunk, so both sides see the same machine load (the machine is
    # shared); a run is the sum over the chunks.
    int8_s, torch_s, int8_cpu, torch_cpu = [], [], [], []
    int8_parts: list[np.ndarray] = []
    torch_parts: list[np.ndarray] = []
    for _ in range(repeats):
        int8_parts, torch_parts = [], []
        int8_run = torch_run = int8_busy = torch_busy = 0.0
        for start in range(0, n, chunk):
            part = texts[start : start + chunk]
            seconds, busy, probs = timed_cpu(partial(classifier.predict_proba, part))
            int8_run, int8_busy = int8_run + seconds, int8_busy + busy
            int8_parts.append(probs)
            seconds, busy, predicted = timed_cpu(
                partial(pipeline_labels, pipe, part, prefix, max_length, labels))
            torch_run, torch_busy = torch_run + seconds, torch_busy + busy
            torch_parts.append(predicted)
        int8_s.append(int8_run)
        torch_s.append(torch_run)
        int8_cpu.append(int8_busy / int8_run)
        torch_cpu.append(torch_busy / torch_run)
    int8_probs = np.concatenate(int8_parts)
    torch_labels = np.concatenate(torch_parts)
    # The pipeline truncates; for identical inputs compare it with each text's first window.
    first_windows = classifier.logits_for_ids([w[0] for w in windows])
    agreement_first_window = float((first_windows.argmax(1) == torch_labels).mean())
    single = softmax(first_windows, classifier.meta.temperature)
    batched = {}
    for batch_size in BATCHED_SIZES:
        seconds, logits = batched_int8(model_dir, [w[0] for w in windows],
                                       pad_token_id(classifier.tokenizer), len(labels),
                                       batch_size, threads)
        moved = np.abs(softmax(logits, classifier.meta.temperature) - single).max(axis=1)
        batched[str(batch_size)] = {
            "paragraphs_per_s_first_windows": n / seconds,
            "max_probability_change_vs_alone": float(moved.max()),
            "paragraphs_changed_over_0.01": int((moved > 0.01).sum()),
            "argmax_changed": int((logits.argmax(1) != first_windows.argmax(1)).sum())}
    agreement_as_run = float((int8_probs.argmax(1) == torch_labels).mean())

    cost = matmul_cost(model_dir / classifier.meta.onnx_file)
    window_lengths = [len(w) for ws in windows for w in ws]
    ops_per_paragraph = sum(cost.ops(length) for length in window_lengths) / n
    first_ops = sum(cost.ops(len(ws[0])) for ws in windows) / n
    mean_tokens = statistics.fmean(len(ws[0]) for ws in windows)
    model_m = int(round(mean_tokens))
    peaks = {}
    for kind in ("int8 MatMulInteger", "int8 DynamicQuantizeMatMul", "fp32 MatMul"):
        peaks[kind] = {
            "square": matmul_throughput(kind, MATMUL_SIZE, MATMUL_SIZE, MATMUL_SIZE, threads,
                                        concurrent=False),
            "model_shape": matmul_throughput(kind, model_m, *cost.largest_weight, threads,
                                             concurrent=True),
        }
    int8_peak = max(value for kind, shapes in peaks.items() if kind.startswith("int8")
                    for value in shapes.values())

    int8_rate = n / statistics.median(int8_s)
    torch_rate = n / statistics.median(torch_s)
    return {
        "paragraphs": n,
        "paragraph_source": "labels/seed/*.jsonl: the model's test split first, then the rest, "
                            "each in file and line order",
        "repeats": repeats,
        "threads": {"int8_concurrent_runs": threads, "torch": torch.get_num_threads()},
        "model": str(model_dir),
        "checkpoint": str(checkpoint),
        "max_length": max_length,
        "tokens": {
            "mean_first_window": mean_tokens,
            "mean_all_windows_per_paragraph": sum(window_lengths) / n,
            "paragraphs_over_max_length": sum(1 for ws in windows if len(ws) > 1),
            "first_window_ids_identical_to_hf_tokenizer": same_ids,
        },
        "alternation_chunk": chunk,
        "int8": {"seconds": int8_s, "paragraphs_per_s": int8_rate, "cpu_per_wall": int8_cpu,
                 "load_s": load_s, "load_s_median": statistics.median(load_s)},
        "pytorch_pipeline": {"seconds": torch_s, "paragraphs_per_s": torch_rate,
                             "cpu_per_wall": torch_cpu,
                             "load_s": pipe_load_s},
        "speedup": int8_rate / torch_rate,
        "int8_batched_once": batched,
        "agreement": {"first_window_vs_pipeline": agreement_first_window,
                      "as_run_with_windows_vs_pipeline": agreement_as_run},
        "ops": {"per_token_linear": cost.per_token, "per_token_squared": cost.per_token_squared,
                "largest_weight": list(cost.largest_weight),
                "per_paragraph_int8_all_windows": ops_per_paragraph,
                "per_paragraph_first_window": first_ops},
        "peak_gops": {"square_size": MATMUL_SIZE, "model_shape": [model_m, *cost.largest_weight],
                      **peaks},
        "achieved_gops": {"int8": ops_per_paragraph * int8_rate / 1e9,
                          "pytorch_pipeline": first_ops * torch_rate / 1e9},
        "ceiling": {"int8_peak_gops": int8_peak,
                    "paragraphs_per_s": int8_peak * 1e9 / ops_per_paragraph,
                    "speedup_over_pipeline": int8_peak * 1e9 / ops_per_paragraph / torch_rate},
        "machine": describe_machine(),
    }


def print_table(result: dict[str, Any]) -> None:
    peak = result["peak_gops"]
    int8_peak = result["ceiling"]["int8_peak_gops"]
    fp32_peak = max(peak["fp32 MatMul"].values())
    achieved = result["achieved_gops"]
    agreement = result["agreement"]
    tokens = result["tokens"]
    n = result["paragraphs"]
    rows = [
        ("paragraphs", f"{n} (mean {tokens['mean_first_window']:.0f} tokens, "
                       f"{tokens['paragraphs_over_max_length']} over {result['max_length']})"),
        ("int8 ONNX, paragraphs/s", f"{result['int8']['paragraphs_per_s']:.1f} "
                                    f"(median of {result['repeats']})"),
        ("PyTorch fp32 pipeline, paragraphs/s",
         f"{result['pytorch_pipeline']['paragraphs_per_s']:.1f} "
         f"(median of {result['repeats']})"),
        ("speed-up int8 / pipeline", f"{result['speedup']:.2f}x (target >= 4x)"),
        ("ceiling at the int8 peak", f"{result['ceiling']['paragraphs_per_s']:.1f} paragraphs/s = "
                                     f"{result['ceiling']['speedup_over_pipeline']:.2f}x"),
        *[(f"int8 in padded batches of {size} (old)",
           f"{row['paragraphs_per_s_first_windows']:.1f} paragraphs/s, probabilities move up to "
           f"{row['max_probability_change_vs_alone']:.3f}, {row['argmax_changed']} labels")
          for size, row in result["int8_batched_once"].items()],
        ("argmax agreement, same input", f"{agreement['first_window_vs_pipeline']:.2%} "
                                         "(target >= 99%)"),
        ("argmax agreement, windows as run", f"{agreement['as_run_with_windows_vs_pipeline']:.2%}"),
        ("int8 model load (Classifier)", f"{result['int8']['load_s_median']:.2f} s "
                                         "(median of 3, target < 2 s)"),
        ("PyTorch pipeline load", f"{result['pytorch_pipeline']['load_s']:.2f} s"),
        ("model GOP per paragraph", f"{result['ops']['per_paragraph_int8_all_windows'] / 1e9:.2f}"),
        (f"peak int8 MatMulInteger {peak['square_size']}^3",
         f"{peak['int8 MatMulInteger']['square']:.0f} GOPS "
         f"(model shape {peak['int8 MatMulInteger']['model_shape']:.0f})"),
        ("peak int8 DynamicQuantizeMatMul",
         f"{peak['int8 DynamicQuantizeMatMul']['square']:.0f} GOPS "
         f"(model shape {peak['int8 DynamicQuantizeMatMul']['model_shape']:.0f})"),
        ("peak fp32 MatMul", f"{peak['fp32 MatMul']['square']:.0f} GFLOPS "
                             f"(model shape {peak['fp32 MatMul']['model_shape']:.0f})"),
        ("int8 classifier achieves", f"{achieved['int8']:.0f} GOPS = "
                                     f"{achieved['int8'] / int8_peak:.0%} of int8 peak"),
        ("PyTorch pipeline achieves", f"{achieved['pytorch_pipeline']:.0f} GFLOPS = "
                                      f"{achieved['pytorch_pipeline'] / fp32_peak:.0%} "
                                      "of fp32 peak"),
        ("threads (int8 runs at once / torch)", f"{result['threads']['int8_concurrent_runs']} / "
                                                f"{result['threads']['torch']}"),
        ("CPU s per wall s (int8 / torch)",
         f"{statistics.median(result['int8']['cpu_per_wall']):.2f} / "
         f"{statistics.median(result['pytorch_pipeline']['cpu_per_wall']):.2f} "
         f"(of {result['threads']['torch']} cores; less: a shared machine)"),
        ("machine", f"{result['machine']['cpu']}, {result['machine']['usable_cores']} cores, "
                    f"load {result['machine']['load_average_at_start'][0]}"),
    ]
    print_rows(rows)


def main() -> None:
    from mrp_classify.io import write_json_atomic
    from mrp_classify.paths import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the "
                        "bundled default model)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="its PyTorch checkpoint (default: the one training left in the cache)")
    parser.add_argument("--paragraphs", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="int8 runs at once (default: the Classifier's, the usable cores)")
    parser.add_argument("--chunk", type=int, default=500,
                        help="paragraphs per alternation step (int8, then the pipeline)")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_classify.json")
    args = parser.parse_args()
    model_dir = args.model or default_model_dir()
    checkpoint = args.checkpoint or checkpoint_dir(model_dir)
    result = run_benchmark(model_dir, checkpoint, args.paragraphs, args.repeats, args.threads,
                           args.chunk)
    write_json_atomic(args.out, result)
    print_table(result)
    print(f"(written to {args.out})", file=sys.stderr)


if __name__ == "__main__":
    main()
