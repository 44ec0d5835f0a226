"""Export to ONNX, verify against PyTorch, quantise to int8.

Verification runs ONNX Runtime and PyTorch on batch and sequence sizes other
than the traced ones; a difference above the tolerance is an error, never a
warning, and names the largest difference found.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mrp_classify.errors import MrpError
from mrp_classify.inference.model import make_session
from mrp_classify.inference.model_folder import ONNX_INPUTS, ONNX_OUTPUT
from mrp_classify.numeric import wilson_lower_bound
from mrp_classify.training.finetune import MeanPoolClassifier, pad_batch

log = logging.getLogger(__name__)

OPSET = 17
TRACE_SHAPE = (2, 16)
VERIFY_SHAPES = ((1, 7), (3, 41), (5, 128), (4, 250))


class ExportError(MrpError):
    pass


class _LogitsOnly(torch.nn.Module):
    def __init__(self, model: MeanPoolClassifier) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids, attention_mask)


def _sample_batch(batch: int, length: int, vocab: int, pad_id: int,
                  rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids with rows of different lengths, so padding is exercised."""
    sequences = []
    for row in range(batch):
        n = length if row == 0 else int(rng.integers(max(2, length // 3), length + 1))
        sequences.append(rng.integers(4, vocab, size=n).tolist())
    return pad_batch(sequences, pad_id)


def export_onnx(model: MeanPoolClassifier, path: Path, pad_id: int) -> None:
    model.eval()
    encoder = model.encoder
    if hasattr(encoder, "set_attn_implementation"):
        # SDPA traces into ops that the legacy exporter handles poorly; eager attention exports
        # into plain MatMul/Softmax, which ONNX Runtime fuses and quantises well.
        encoder.set_attn_implementation("eager")
    vocab = encoder.get_input_embeddings().num_embeddings
    ids, mask = _sample_batch(*TRACE_SHAPE, vocab=vocab, pad_id=pad_id,
                              rng=np.random.default_rng(0))
    # The exporter restores the wrapper's mode afterwards; a fresh module is in training mode,
    # which would leave dropout switched on in the model being verified.
    wrapper = _LogitsOnly(model).eval()
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (ids, mask), str(path), dynamo=False, opset_version=OPSET,
            input_names=list(ONNX_INPUTS), output_names=[ONNX_OUTPUT],
            dynamic_axes={**{name: {0: "batch", 1: "sequence"} for name in ONNX_INPUTS},
                          ONNX_OUTPUT: {0: "batch"}},
        )
    model.eval()


def verify_onnx(model: MeanPoolClassifier, path: Path, pad_id: int, tolerance: float,
                max_positions: int) -> dict[str, Any]:
    """Compare ONNX Runtime with PyTorch on untraced shapes; raise on any excess difference."""
    session = make_session(path, threads=0)
    vocab = model.encoder.get_input_embeddings().num_embeddings
    rng = np.random.default_rng(1)
    worst, agree, total, checked = 0.0, 0, 0, []
    for batch, length in VERIFY_SHAPES:
        length = min(length, max_positions)
        ids, mask = _sample_batch(batch, length, vocab, pad_id, rng)
        with torch.no_grad():
            expected = model(ids, mask).numpy()
        (actual,) = session.run([ONNX_OUTPUT], dict(zip(ONNX_INPUTS, (ids.numpy(), mask.numpy()),
                                                          strict=True)))
        diff = float(np.abs(expected - actual).max())
        worst = max(worst, diff)
        agree += int((expected.argmax(1) == actual.argmax(1)).sum())
        total += batch
        checked.append({"batch": batch, "sequence": length, "max_abs_diff": diff})
        if diff > tolerance:
            raise ExportError(
                f"{path}: ONNX Runtime differs from PyTorch by max abs {diff:.3g} at batch "
                f"{batch}, sequence {length} (tolerance {tolerance}); the export is wrong")
    result = {"shapes": checked, "max_abs_diff": worst, "argmax_agreement": agree / total,
              "traced_shape": list(TRACE_SHAPE), "tolerance": tolerance}
    log.info("ONNX parity: max abs diff %.2e over %d shapes, argmax agreement %.3f",
             worst, len(checked), agree / total)
    return result


def quantize_int8(fp32_path: Path, int8_path: Path, per_channel: bool,
                  exclude_nodes: Sequence[str] = (),
                  only_nodes: Sequence[str] | None = None, reduce_range: bool = True) -> None:
    """Dynamic int8: symmetric int8 weights (7-bit with ``reduce_range``, see
    ``int8_exact``), uint8 activations quantised at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8,
                     per_channel=per_channel, reduce_range=reduce_range,
                     nodes_to_exclude=list(exclude_nodes),
                     nodes_to_quantize=list(only_nodes) if only_nodes is not None else None)


_LAYER = re.compile(r"layer\.(\d+)/")


def quantizable_groups(path: Path) -> dict[str, list[str]]:
    """Weight-bearing nodes grouped by where they sit: each encoder layer, embeddings, head."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    groups: dict[str, list[str]] = {}
    for node in graph.node:
        if node.op_type not in ("MatMul", "Gemm", "Gather") or not any(
                i in weights for i in node.input):
            continue
        match = _LAYER.search(node.name)
        group = (f"layer.{int(match.group(1)):02d}" if match
                 else "head" if "head" in node.name else "embeddings")
        groups.setdefault(group, []).append(node.name)
        if node.op_type == "Gemm":
            # The quantiser first rewrites a Gemm into "<name>_MatMul" + Add, and matches
            # exclusions against the rewritten name.
            groups[group].append(f"{node.name}_MatMul")
    return groups




@dataclass(frozen=True)
class FidelityProbe:
    """Paragraphs on which int8 is compared with fp32: `probs()` runs the current int8 file."""

    probs: Callable[[], np.ndarray]
    reference: np.ndarray


def quantize_with_fidelity(fp32_path: Path, int8_path: Path, per_channel: bool, target: float,
                           max_fp32_groups: int, agreement_probe: FidelityProbe,
                           sensitivity_probe: FidelityProbe, max_bytes: int = 0,
                           reduce_range: bool = True) -> dict[str, Any]:
    """Dynamic int8 quantisation that keeps the most sensitive node groups in fp32.

    The classification head always stays fp32 (a few kilobytes, and its error moves the
    argmax directly). Argmax agreement with fp32 is measured on `agreement_probe`; the
    quantisation is accepted once the lower 95 % Wilson bound of that agreement reaches
    `target`, so a lucky small sample does not pass. Until then the groups are ranked by
    their sensitivity (mean probability change when only that group is quantised, on
    `sensitivity_probe`) and kept in fp32 one at a time, up to `max_fp32_groups`; a group
    that would push the file over `max_bytes` (when set) is skipped.
    """
    groups = quantizable_groups(fp32_path)
    excluded = list(groups.get("head", []))

    def agreement() -> tuple[float, float]:
        agree = agreement_probe.probs().argmax(1) == agreement_probe.reference.argmax(1)
        return float(agree.mean()), wilson_lower_bound(int(agree.sum()), len(agree))

    def quantize(exclude: Sequence[str] = (), only: Sequence[str] | None = None) -> None:
        quantize_int8(fp32_path, int8_path, per_channel, exclude, only, reduce_range)

    quantize(excluded)
    achieved, lower = agreement()
    kept_fp32 = ["head"]
    trail = [{"fp32_groups": list(kept_fp32), "agreement": achieved, "lower_bound": lower}]
    if lower < target:
        sensitivity = {}
        for name, nodes in groups.items():
            if name == "head":
                continue
            quantize(only=nodes)
            change = np.abs(sensitivity_probe.probs() - sensitivity_probe.reference)
            sensitivity[name] = float(change.mean())
        ranked = sorted(sensitivity, key=lambda name: -sensitivity[name])
        log.info("int8 agreement %.4f (lower bound %.4f) < %.3f; sensitivity by group: %s",
                 achieved, lower, target, {name: round(sensitivity[name], 5) for name in ranked})
        for name in ranked:
            if len(kept_fp32) > max_fp32_groups:
                break
            quantize(excluded + groups[name])
            if max_bytes and int8_path.stat().st_size > max_bytes:
                log.info("keeping %s in fp32 would exceed %d bytes; skipped", name, max_bytes)
                continue
            excluded += groups[name]
            kept_fp32.append(name)
            achieved, lower = agreement()
            trail.append({"fp32_groups": list(kept_fp32), "agreement": achieved,
                          "lower_bound": lower})
            if lower >= target:
                break
        # The file on disk must be the last accepted configuration, not a skipped trial.
        quantize(excluded)
    return {"weight_type": "int8 (dynamic)", "per_channel": per_channel,
            "scheme": ("symmetric int8 weights in [-64, 64] (reduce_range), per "
                       f"{'channel' if per_channel else 'tensor'}; uint8 activations quantised "
                       "per tensor at run time; int32 accumulation" if reduce_range else
                       "symmetric int8 weights in [-127, 127]; uint8 activations at run time"),
            "reduce_range": reduce_range,
            "fp32_groups": kept_fp32, "excluded_nodes": excluded,
            "agreement_paragraphs": len(agreement_probe.reference),
            "agreement": achieved, "agreement_lower_bound": lower, "search": trail}
