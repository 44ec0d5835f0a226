"""The machine a benchmark ran on: what a reader needs to compare figures across machines."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any


def _cpuinfo_field(name: str) -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def describe_machine() -> dict[str, Any]:
    """CPU, cores, SIMD flags, load at the start, Python and library versions."""
    versions = {}
    for package in ("onnxruntime", "torch", "transformers", "tokenizers", "numpy"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            continue
    from mrp_classify.inference.cpu import simd_level

    flags = _cpuinfo_field("flags").split()
    return {
        "simd_level": simd_level(),
        "cpu": _cpuinfo_field("model name") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "simd": sorted(f for f in flags if f.startswith(("avx", "amx")) or "vnni" in f),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        **versions,
    }


def print_rows(rows: Sequence[tuple[str, object]]) -> None:
    """A benchmark's result as two aligned columns on stdout (the JSON has every figure)."""
    width = max(len(name) for name, _ in rows) + 2
    print(f"{'measure':<{width}}value")
    for name, value in rows:
        print(f"{name:<{width}}{value}")
