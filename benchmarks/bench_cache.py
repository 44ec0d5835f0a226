"""Year two with the prediction cache: a municipality's next plan repeats most of its text.

Builds "year one" from the locked test plans (`mrp-classify docset build`), as plain-text
plans of their reader units, and "year two" from the same plans one year later with a
share of their units rewritten (a new sentence appended, as a revised goal would be).
Then times `mrp-classify run` on year two three ways: with the cache year one filled
(`--cache DIR`), and with no cache. Writes results/bench_cache.json with the machine.

    python benchmarks/bench_cache.py [--changed 0.1] [--docset DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hostinfo import describe_machine, print_rows  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "bench_cache.json"
REVISION = "Målet har reviderats inför det nya budgetåret och följs upp i delårsrapporten."


def plans_as_text(docset: Path, out: Path, year_shift: int, changed: float,
                  seed: int) -> dict[str, int]:
    """One TXT plan per document of ``docset``: its units in order, ``changed`` of them
    rewritten; the file name carries the municipality and the (shifted) year."""
    rng = random.Random(seed)
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(docset / "truth" / "units.jsonl", encoding="utf-8") as handle:
        for line in handle:
            unit = json.loads(line)
            units[unit["file"]].append(unit)
    out.mkdir(parents=True)
    rewritten = 0
    for file, items in units.items():
        plan = Path(file).stem  # e.g. 0139-upplands-bro-2024
        code_name, year = plan.rsplit("-", 1)
        lines = []
        for unit in items:
            text = unit["text"]
            if unit["classify"] and rng.random() < changed:
                text, rewritten = f"{text} {REVISION}", rewritten + 1
            lines.append(text)
        (out / f"{code_name}-{int(year) + year_shift}.txt").write_text(
            "\n\n".join(lines) + "\n", encoding="utf-8")
    return {"plans": len(units), "rewritten_units": rewritten}


def timed_run(docs: Path, out: Path, cache: Path | None) -> float:
    command = [sys.executable, "-m", "mrp_classify", "run", str(docs), "--out", str(out),
               "--quiet"]
    command += ["--cache", str(cache)] if cache else ["--no-cache"]
    started = time.perf_counter()
    subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", type=float, default=0.1,
                        help="share of classified units rewritten in year two")
    parser.add_argument("--docset", type=Path, default=None,
                        help="a built document set (default: build labels/documents/test)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mrp-bench-cache-") as tmp:
        work = Path(tmp)
        docset = args.docset
        if docset is None:
            docset = work / "docset"
            subprocess.run([sys.executable, "-m", "mrp_classify", "docset", "build",
                            str(ROOT / "labels" / "documents" / "test"), "--out", str(docset)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        year_one = plans_as_text(docset, work / "year1", 0, 0.0, seed=1)
        year_two = plans_as_text(docset, work / "year2", 1, args.changed, seed=2)
        cache = work / "cache"
        seconds = {
            "year_one_filling_the_cache": timed_run(work / "year1", work / "run1", cache),
            "year_two_without_cache": timed_run(work / "year2", work / "run2-plain", None),
            "year_two_with_cache": timed_run(work / "year2", work / "run2-cached", cache),
        }
        plain = (work / "run2-plain" / "municipalities.csv").read_bytes()
        same = plain == (work / "run2-cached" / "municipalities.csv").read_bytes()
        profiles = len(plain.decode("utf-8-sig").splitlines()) - 1
    report = {"machine": describe_machine(), "changed_share": args.changed,
              "year_one": year_one, "year_two": year_two,
              "seconds": {k: round(v, 2) for k, v in seconds.items()},
              "speedup_year_two": round(seconds["year_two_without_cache"]
                                        / seconds["year_two_with_cache"], 2),
              "same_profiles_with_and_without_cache": same, "profiles": profiles}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n",
                       encoding="utf-8")
    print_rows([(name, f"{value:.1f} s") for name, value in seconds.items()] + [
        ("speed-up of year two with the cache", f"{report['speedup_year_two']}x"),
        ("same municipalities.csv with and without", f"{same} ({profiles} profiles)"),
        ("machine", f"{report['machine']['cpu']}, {report['machine']['simd_level']}")])


if __name__ == "__main__":
    main()
