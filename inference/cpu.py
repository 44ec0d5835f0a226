"""The CPU's SIMD level, as ONNX Runtime's int8 kernels see it.

Recorded with every run (``summary.json``) and every speed figure, so a
difference between two machines can be traced to the kernels they used.
Detected through NumPy's runtime CPU dispatch, which reads CPUID itself (an
emulated CPU reports its emulated features).
"""

from __future__ import annotations

import platform
from typing import Any

# Most capable first: the kernel family ONNX Runtime's int8 matrix products use.
_LEVELS = (
    ("amx", ("AMX_INT8",)),
    ("avx512_vnni", ("AVX512F", "AVX512VNNI")),
    ("avx_vnni", ("AVX2", "AVX_VNNI")),
    ("avx512", ("AVX512F", "AVX512BW")),
    ("avx2", ("AVX2",)),
    ("avx", ("AVX",)),
    ("sse4.1", ("SSE41",)),
    ("neon_dotprod", ("ASIMDDP",)),
    ("neon", ("ASIMD",)),
)


def cpu_features() -> dict[str, bool]:
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_features__  # type: ignore[no-redef]
    return {str(k): bool(v) for k, v in __cpu_features__.items()}


def simd_level(features: dict[str, bool] | None = None) -> str:
    features = cpu_features() if features is None else features
    for level, needed in _LEVELS:
        if all(features.get(name) for name in needed):
            return level
    return "baseline"


def cpu_info() -> dict[str, Any]:
    import onnxruntime

    features = cpu_features()
    return {"simd": simd_level(features), "machine": platform.machine(),
            "processor": _model_name(),
            "int8_relevant_features": sorted(name for name, on in features.items() if on and any(
                name.startswith(prefix) for prefix in ("AVX", "AMX", "SSE4", "ASIMD"))),
            "onnxruntime": onnxruntime.__version__}


def _model_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
