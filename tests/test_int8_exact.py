"""The int8 scheme computes the same integers on every CPU: proven on this one.

A NumPy reference of every integer product of the quantised graph is compared
with ONNX Runtime, and with an emulation of the saturating ``vpmaddubsw``
kernel that x86 CPUs without VNNI use: with 7-bit weights the emulation is exact,
with full-range weights it is not (the cause of the cross-CPU difference).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mrp_classify.training.int8_exact import (
    Int8ExactnessError,
    check_weight_ranges,
    exact_product,
    integer_reference,
    saturating_product,
)

pytestmark = pytest.mark.filterwarnings("ignore")


def test_the_saturating_emulation_clips_pair_sums() -> None:
    a = np.array([[255, 255, 1, 1]], dtype=np.uint8)
    w = np.array([[127], [127], [1], [1]], dtype=np.int8)
    # Exact: 2·255·127 + 2 = 64,772; the kernel clips the first pair at 32,767.
    assert exact_product(a, 0, w, np.zeros(1, np.int8))[0, 0] == 64772
    assert saturating_product(a, 0, w)[0, 0] == 32767 + 2
    seven_bit = np.array([[64], [64], [1], [1]], dtype=np.int8)
    assert saturating_product(a, 0, seven_bit)[0, 0] == exact_product(
        a, 0, seven_bit, np.zeros(1, np.int8))[0, 0]


@pytest.fixture(scope="module")
def quantised(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import torch
    from transformers import AutoModel

    from mrp_classify.training.export import export_onnx, quantizable_groups, quantize_int8
    from mrp_classify.training.finetune import MeanPoolClassifier

    torch.manual_seed(0)
    model = MeanPoolClassifier(AutoModel.from_pretrained(tiny_base), 3, 0.0)
    with torch.no_grad():  # large weights and activations, so full-range products clip
        for parameter in model.encoder.parameters():
            parameter.mul_(8)
    folder = tmp_path_factory.mktemp("int8")
    fp32 = folder / "fp32.onnx"
    export_onnx(model, fp32, pad_id=1)
    head = quantizable_groups(fp32)["head"]
    paths = {"seven_bit": folder / "seven.onnx", "full_range": folder / "full.onnx"}
    quantize_int8(fp32, paths["seven_bit"], True, head, reduce_range=True)
    quantize_int8(fp32, paths["full_range"], True, head, reduce_range=False)
    return paths


def feeds(n: int = 3) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(5)
    out = []
    for length in (9, 30, 47)[:n]:
        ids = rng.integers(4, 300, size=(1, length))
        out.append({"input_ids": ids, "attention_mask": np.ones_like(ids)})
    return out


def test_seven_bit_weights_are_exact_on_every_kernel(quantised: dict[str, Path]) -> None:
    ranges = check_weight_ranges(quantised["seven_bit"])
    assert ranges["integer_matmuls"] > 0 and ranges["max_pair_sum"] <= 32767
    report = integer_reference(quantised["seven_bit"], feeds())
    assert report["integer_products"] > 0
    assert report["max_abs_diff_onnxruntime_vs_exact"] == 0
    assert report["saturating_kernel_wrong_products"] == 0


def test_full_range_weights_would_differ_between_cpus(quantised: dict[str, Path]) -> None:
    with pytest.raises(Int8ExactnessError, match="reduce_range"):
        check_weight_ranges(quantised["full_range"])
    report = integer_reference(quantised["full_range"], feeds())
    assert report["saturating_kernel_wrong_products"] > 0
