"""The bundled model on another kind of CPU, emulated: the same labels and the golden
probabilities within the golden tolerance (issue: int8 results must not depend on the CPU).

Runs only where ``qemu-x86_64`` is installed (CI installs it); emulation is slow, so only
the golden paragraphs are classified here; benchmarks/cross_cpu.py measures the rest.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmarks.cross_cpu import emulated_command
from mrp_classify.paths import default_model_dir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("qemu-x86_64") is None or platform.machine() != "x86_64",
                       reason="needs qemu-user on x86_64"),
]
GOLDEN = Path(__file__).parent / "golden" / "bundled_model_predictions.json"


@pytest.mark.parametrize("cpu", ["Haswell"])
def test_golden_predictions_hold_on_an_emulated_cpu(cpu: str, tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["tolerance"] is not None
    inputs, out = tmp_path / "inputs.json", tmp_path / "out.json"
    inputs.write_text(json.dumps({"units": [{"text": p["text"]} for p in golden["paragraphs"]]},
                                 ensure_ascii=False), encoding="utf-8")
    subprocess.run(emulated_command(cpu, default_model_dir(), inputs, out, profiles=False),
                   check=True, timeout=1200)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["cpu"]["simd"] == "avx2"  # what Haswell offers: no AVX-512, no VNNI
    probabilities = np.array(result["probabilities"])
    expected = np.array([p["probabilities"] for p in golden["paragraphs"]])
    labels = ["none", "internal_efficiency", "citizen_facing"]
    assert [labels[i] for i in probabilities.argmax(1)] == [
        p["label"] for p in golden["paragraphs"]]
    np.testing.assert_allclose(probabilities, expected, atol=golden["tolerance"]["atol"], rtol=0)
