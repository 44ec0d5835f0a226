"""Proof that the int8 model computes the same integers on every CPU.

Dynamic int8 in ONNX Runtime multiplies uint8 activations (0..255, from
``DynamicQuantizeLinear``) by int8 weights. The x86 kernels without VNNI (AVX2,
AVX-512 without VNNI, and the AVX2 path of any CPU) multiply with
``vpmaddubsw``: adjacent pairs of u8×s8 products are added into a *saturating*
int16, so ``a0·w0 + a1·w1`` is clipped to [-32768, 32767]. VNNI, AMX, the SSE
kernels and ARM's dot-product instructions accumulate in int32 and never clip.
With full-range int8 weights the pair sum reaches 2·255·127 = 64,770, so the two
kinds of CPU compute different numbers (issue: "one model, one answer").

The scheme used here keeps the weights in 7 bits, [-64, 64] (ONNX Runtime's
``reduce_range``): a pair sum is at most 2·255·64 = 32,640 < 32,767, so no pair
can clip, and an int32 sum of K ≤ 4096 such products (|sum| ≤ 4096·255·64 ≈ 6.7e7)
cannot overflow either. Every kernel then returns the exact integer product, and
what can still differ between CPUs is float rounding in the fp32 operations
between the matrix products.

``check_weight_ranges`` verifies the bound on the exported file;
``integer_reference`` runs ONNX Runtime with every integer product exposed and
compares it with NumPy's exact product and with an emulation of the saturating
kernel — on any CPU, so the property is proven without owning every CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError

SAFE_WEIGHT_MIN, SAFE_WEIGHT_MAX = -64, 64
INT16_MAX = 32767
# |sum| <= K * 255 * 64 must stay below 2**31.
MAX_SAFE_K = (2**31 - 1) // (255 * 64)


class Int8ExactnessError(MrpError):
    pass


@dataclass(frozen=True)
class IntegerMatMul:
    node: str
    activation: str  # the uint8 input computed at run time
    activation_zero_point: str
    weight: np.ndarray  # int8 [K, N]
    weight_zero_point: np.ndarray
    output: str


def integer_matmuls(model: Any) -> list[IntegerMatMul]:
    """Every MatMulInteger whose second input is a constant weight."""
    from onnx import numpy_helper

    constants = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    found = []
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        a, b, a_zp, b_zp = (list(node.input) + ["", "", "", ""])[:4]
        if b not in constants:
            raise Int8ExactnessError(f"{node.name}: MatMulInteger without a constant weight; "
                                     "only weight matrices may be quantised")
        zero = constants.get(b_zp, np.zeros(1, dtype=constants[b].dtype))
        found.append(IntegerMatMul(node.name, a, a_zp, constants[b], zero, node.output[0]))
    return found


def check_weight_ranges(path: Path) -> dict[str, Any]:
    """Raise unless every quantised weight lies in [-64, 64] with zero point 0 and K is safe."""
    import onnx

    matmuls = integer_matmuls(onnx.load(str(path)))
    worst_k = 0
    for mm in matmuls:
        if mm.weight.dtype != np.int8:
            raise Int8ExactnessError(f"{path}: {mm.node} has {mm.weight.dtype} weights; the "
                                     "scheme needs int8 weights (QuantType.QInt8)")
        low, high = int(mm.weight.min()), int(mm.weight.max())
        if low < SAFE_WEIGHT_MIN or high > SAFE_WEIGHT_MAX:
            raise Int8ExactnessError(
                f"{path}: {mm.node} has weights in [{low}, {high}], outside [-64, 64]; "
                "quantise with reduce_range=True so AVX2 kernels cannot saturate")
        if np.any(mm.weight_zero_point != 0):
            raise Int8ExactnessError(f"{path}: {mm.node} has a non-zero weight zero point; "
                                     "the scheme needs symmetric weights")
        worst_k = max(worst_k, int(mm.weight.shape[0]))
    if worst_k > MAX_SAFE_K:
        raise Int8ExactnessError(f"{path}: inner dimension {worst_k} > {MAX_SAFE_K} could "
                                 "overflow an int32 sum")
    return {"integer_matmuls": len(matmuls), "weight_range": [SAFE_WEIGHT_MIN, SAFE_WEIGHT_MAX],
            "max_inner_dimension": worst_k,
            "max_pair_sum": 2 * 255 * max(-SAFE_WEIGHT_MIN, SAFE_WEIGHT_MAX)}


def exact_product(a: np.ndarray, a_zero_point: int, weight: np.ndarray,
                  weight_zero_point: np.ndarray) -> np.ndarray:
    """(A − zpA)·(W − zpW) in int64: what MatMulInteger means."""
    return (a.astype(np.int64) - int(a_zero_point)) @ (
        weight.astype(np.int64) - weight_zero_point.astype(np.int64))


def saturating_product(a: np.ndarray, a_zero_point: int, weight: np.ndarray,
                       chunk: int = 16) -> np.ndarray:
    """The u8×s8 product as a ``vpmaddubsw`` kernel computes it (symmetric weights).

    Raw uint8 activations times int8 weights, adjacent K pairs summed into a saturating
    int16, the pair sums added in int32, then the activation zero point taken off with
    the weights' column sums — the order MLAS's AVX2 kernel uses.
    """
    rows = a.reshape(-1, a.shape[-1]).astype(np.int32)
    k = rows.shape[1]
    padded_k = -(-k // 2) * 2
    w = np.zeros((padded_k, weight.shape[1]), dtype=np.int32)
    w[:k] = weight
    x = np.zeros((rows.shape[0], padded_k), dtype=np.int32)
    x[:, :k] = rows
    out = np.zeros((rows.shape[0], weight.shape[1]), dtype=np.int64)
    for start in range(0, rows.shape[0], chunk):
        block = x[start:start + chunk]
        pairs = (block[:, 0::2, None] * w[None, 0::2] + block[:, 1::2, None] * w[None, 1::2])
        out[start:start + chunk] = np.clip(pairs, -INT16_MAX - 1, INT16_MAX).sum(axis=1)
    out -= int(a_zero_point) * w.sum(axis=0).astype(np.int64)
    return out.reshape(*a.shape[:-1], weight.shape[1])


def integer_reference(path: Path, feeds: list[dict[str, np.ndarray]]) -> dict[str, Any]:
    """Run ONNX Runtime with every integer product exposed; compare with exact NumPy.

    Returns the largest difference between ONNX Runtime's int32 outputs and the exact
    product (0 means this CPU's kernel is exact), and how many products a saturating
    (AVX2-style) kernel would get wrong on the same inputs (0 means no CPU can differ).
    """
    import onnx
    import onnxruntime as ort
    from onnx import helper

    model = onnx.load(str(path))
    matmuls = integer_matmuls(model)
    wanted = {name for mm in matmuls
              for name in (mm.activation, mm.activation_zero_point, mm.output)}
    present = {output.name for output in model.graph.output}
    for name in sorted(wanted - present):
        model.graph.output.append(helper.make_empty_tensor_value_info(name))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    ort_vs_exact, saturating_wrong, products = 0, 0, 0
    for feed in feeds:
        values = dict(zip(names, session.run(names, feed), strict=True))
        for mm in matmuls:
            a, zp = values[mm.activation], int(values[mm.activation_zero_point])
            exact = exact_product(a, zp, mm.weight, mm.weight_zero_point)
            ort_vs_exact = max(ort_vs_exact, int(np.abs(values[mm.output] - exact).max()))
            emulated = saturating_product(a, zp, mm.weight)
            saturating_wrong += int(np.count_nonzero(emulated != exact))
            products += exact.size
    return {"inputs": len(feeds), "integer_products": products,
            "max_abs_diff_onnxruntime_vs_exact": ort_vs_exact,
            "saturating_kernel_wrong_products": saturating_wrong}
