"""End-to-end speed and memory of ``mrp-classify run`` against a straightforward implementation.

    python benchmarks/bench_end_to_end.py --parts run              # about 10 min on 2 cores
    python benchmarks/bench_end_to_end.py --parts split,baseline   # about 10 min
    python benchmarks/bench_end_to_end.py --parts scaling          # about 7 min
    python benchmarks/bench_end_to_end.py --parts workers          # about 6 min
    python benchmarks/bench_end_to_end.py --model DIR --documents 3 --min-pages 4 --max-pages 6
    python benchmarks/bench_end_to_end.py --source plans --parts run   # real density

The corpus (benchmarks/corpus.py; default 30 documents of 40-150 pages, two in
three PDF) is generated once into --corpus, outside the repository; run outputs go
to the folder beside it named ``<corpus>-runs``. ``--source plans`` uses the
real-density corpus instead (benchmarks/corpus_plans.py: default 60 documents from
the labelled plans, a few per cent digital goals; --min-pages/--max-pages do not
apply), in its own folder and results file, so both sources' figures are kept.
Parts:

* ``run``: the library function ``run`` over the whole corpus in a subprocess
  (``--workers 1``, its default): wall time, pages/s, paragraphs/s, peak RSS (see
  ``measure_run``) and CPU time.
* ``split``: the same documents through the pieces ``run`` calls, each timed:
  reading (``read_document``), segmentation (``segment``), tokenisation
  (``Classifier.windows``), model (``Classifier.logits_for_ids``); then
  aggregation and outputs as a resumed ``run`` over the ``run`` part's state files
  (hashing, state files, profiles, CSVs, report).
* ``baseline`` (runs ``split`` too): a straightforward implementation: the same
  paragraphs, after the same reading and segmentation, through the transformers
  text-classification pipeline in PyTorch fp32 with its defaults (one paragraph per
  forward pass; see bench_classify.py). Timed on an evenly spaced subset of
  --baseline-paragraphs paragraphs and extrapolated per paragraph to all of them.
* ``scaling``: ``run`` in a subprocess over the first 1 and 10 documents (30: the
  ``run`` part) and over a second corpus of 100 smaller documents (--scaling-pages,
  default 8-12: 100 full-size documents would take about half an hour): time per
  page and peak RSS.
* ``workers``: ``run`` with ``--workers 1`` and ``--workers 2`` (reading in a process
  pool, ahead of the model) over the first --workers-documents documents.

Results of earlier invocations for the same corpus and model are kept, so the parts
can be run one at a time. Prints one table and writes
benchmarks/results/bench_end_to_end.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench_classify import checkpoint_dir, hf_pipeline, pipeline_labels, timed
from corpus import CorpusSpec, PlansSpec, build_corpus, build_source
from hostinfo import describe_machine, print_rows

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PARTS = ("run", "split", "baseline", "scaling", "workers")
DEFAULT_PARTS = ("run", "split", "baseline")
SCALING_POINTS = (1, 10, 30, 100)
RESULT_FORMAT = 2


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants now (the reader pool's processes with --workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
    tree, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        tree.append(pid)
        frontier.extend(children.get(pid, []))
    return tree


def _status_kb(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure_run(files: Sequence[Path], model_dir: Path, out_dir: Path, workers: int = 1,
                use_cascade: bool = True) -> dict[str, Any]:
    """``run`` over ``files`` in a fresh Python process: its wall time as the child measured
    it (model load included, interpreter start and imports not), its peak RSS and its CPU time.

    Peak RSS is the child's own VmHWM (/proc/self/status at its end) and, for the reader
    processes of --workers, the largest sum of VmRSS over the process tree, sampled every
    0.2 s. Not ru_maxrss: Linux carries the forking parent's RSS (this process, with torch
    loaded) over into the child's ru_maxrss at exec.
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    list_file = out_dir.with_suffix(".files.json")
    list_file.write_text(json.dumps([str(f) for f in files]), encoding="utf-8")
    log_path = out_dir.with_suffix(".log")
    peak_tree_kb = 0
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, __file__, "_child", str(list_file), str(out_dir), str(model_dir),
             str(workers), str(int(use_cascade))],
            stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
        assert process.stdout is not None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak_tree_kb = max(peak_tree_kb, sum(_status_kb(p, "VmRSS")
                                                 for p in _process_tree(process.pid)))
            time.sleep(0.2)
        process.returncode = os.waitstatus_to_exitcode(status)
        output = process.stdout.read()
    if process.returncode != 0:
        raise SystemExit(f"run failed (exit {process.returncode}); see {log_path}")
    result = json.loads(output.splitlines()[-1])
    result.update(_documents_summary(out_dir))
    main_mb = result.pop("vm_hwm_kb") / 1024
    result.update(
        peak_rss_main_process_mb=main_mb, peak_rss_tree_sampled_mb=peak_tree_kb / 1024,
        peak_rss_mb=max(main_mb, peak_tree_kb / 1024), cpu_s=usage.ru_utime + usage.ru_stime,
        workers=workers, cascade=use_cascade, pages_per_s=result["pages"] / result["run_s"],
        paragraphs_per_s=result["paragraphs"] / result["run_s"],
    )
    return result


def _documents_summary(out_dir: Path) -> dict[str, int]:
    """Documents, pages, the largest document's pages and errors, from a run's documents.csv."""
    with open(out_dir / "documents.csv", encoding="utf-8", newline="") as handle:
        documents = list(csv.DictReader(handle))
    pages = [int(row["pages"] or 0) for row in documents]
    return {"documents": len(documents), "pages": sum(pages),
            "largest_document_pages": max(pages, default=0),
            "errors": sum(1 for row in documents if row["status"] != "ok")}


def _child(list_file: Path, out_dir: Path, model_dir: Path, workers: int,
           use_cascade: bool) -> None:
    started = time.perf_counter()
    from mrp_classify.inference.run import run

    imported = time.perf_counter()
    files = [Path(f) for f in json.loads(list_file.read_text(encoding="utf-8"))]
    result = run(files, out_dir, model_dir, workers=workers, quiet=True,
                 use_cascade=use_cascade)
    done = time.perf_counter()
    print(json.dumps({"run_s": done - imported, "import_s": imported - started,
                      "paragraphs": result.paragraphs, "exit_code": result.exit_code,
                      "vm_hwm_kb": _status_kb("self", "VmHWM")}))


def measure_split(files: Sequence[Path], model_dir: Path, run_out: Path
                  ) -> tuple[dict[str, Any], list[str]]:
    """Seconds per piece of ``run``, and the classified paragraphs' texts in order."""
    from mrp_classify.inference.ingest import Limits, read_document
    from mrp_classify.inference.model import Classifier
    from mrp_classify.inference.run import run
    from mrp_classify.inference.segment import segment

    seconds = dict.fromkeys(("model_load", "reading", "segmentation", "tokenisation", "model",
                             "aggregation_and_outputs"), 0.0)
    clock = time.perf_counter
    started = clock()
    classifier = Classifier(model_dir)
    seconds["model_load"] = clock() - started
    texts: list[str] = []
    tokens = windows_total = 0
    for file in files:
        started = clock()
        document = read_document(file, Limits())
        read = clock()
        paragraphs = segment(document)
        segmented = clock()
        doc_texts = [p.text for p in paragraphs if p.classify]
        windows = classifier.windows(doc_texts)
        tokenised = clock()
        flat = [w for text_windows in windows for w in text_windows]
        classifier.logits_for_ids(flat)
        seconds["reading"] += read - started
        seconds["segmentation"] += segmented - read
        seconds["tokenisation"] += tokenised - segmented
        seconds["model"] += clock() - tokenised
        texts.extend(doc_texts)
        tokens += sum(len(w) for w in flat)
        windows_total += len(flat)
    started = clock()
    run(files, run_out, model_dir, resume=True, quiet=True, classifier=classifier)
    seconds["aggregation_and_outputs"] = clock() - started
    split = {"seconds": seconds, "total_s": sum(seconds.values()), "paragraphs": len(texts),
             "windows": windows_total, "mean_tokens_per_window": tokens / max(windows_total, 1),
             "threads": classifier.threads}
    return split, texts


def measure_baseline(texts: Sequence[str], model_dir: Path, checkpoint: Path, sample: int,
                     split: dict[str, Any]) -> dict[str, Any]:
    """The transformers pipeline on an evenly spaced sample, extrapolated to all texts."""
    from mrp_classify.inference.model import Classifier

    step = max(1, len(texts) // sample)
    subset = list(texts[::step][:sample])
    load_s, (pipe, info) = timed(lambda: hf_pipeline(checkpoint))
    prefix, max_length = info["text_prefix"], int(info["max_length"])
    labels = list(info["labels"])
    pipeline_labels(pipe, subset[:8], prefix, max_length, labels)  # warm-up, as in bench_classify
    seconds, torch_labels = timed(
        lambda: pipeline_labels(pipe, subset, prefix, max_length, labels))
    per_paragraph = seconds / len(subset)
    classifier = Classifier(model_dir)
    first = classifier.logits_for_ids([w[0] for w in classifier.windows(subset)])
    parts = split["seconds"]
    pipeline_all = per_paragraph * len(texts)
    total = (load_s + parts["reading"] + parts["segmentation"] + pipeline_all
             + parts["aggregation_and_outputs"])
    return {
        "sample_paragraphs": len(subset), "sample_every": step, "sample_s": seconds,
        "s_per_paragraph": per_paragraph, "pipeline_load_s": load_s,
        "pipeline_all_paragraphs_s_extrapolated": pipeline_all,
        "total_s_extrapolated": total,
        "total_s_composition": "pipeline load + reading + segmentation (split part) + "
                               "pipeline × paragraphs + aggregation (split part)",
        "agreement_first_window_int8_vs_pipeline": float(
            (first.argmax(1) == torch_labels).mean()),
    }


def measure_scaling(files: Sequence[Path], model_dir: Path, work: Path,
                    main_run: dict[str, Any] | None, large: Sequence[Path], large_note: str
                    ) -> list[dict[str, Any]]:
    """Points of SCALING_POINTS: the first documents of the main corpus, the main run itself,
    and the larger corpus for the point beyond it."""
    points = []
    for count in SCALING_POINTS:
        if count < len(files):
            point = measure_run(files[:count], model_dir, work / f"scaling-{count}")
            point["corpus"] = "main corpus, first documents"
        elif count == len(files):
            point = dict(main_run or measure_run(files, model_dir, work / "run"),
                         corpus="main corpus (the run part)")
            point.update(_documents_summary(work / "run"))
        elif count == len(large):
            point = measure_run(large, model_dir, work / f"scaling-{count}")
            point["corpus"] = large_note
        else:
            continue
        points.append(point)
    return points


def _load_previous(path: Path, key: dict[str, Any]) -> dict[str, Any]:
    if not path.is_file():
        return {}
    previous: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return previous if previous.get("key") == key else {}


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.1f} s"


def print_table(result: dict[str, Any]) -> None:
    rows: list[tuple[str, str]] = []
    corpus = result["corpus"]
    formats = ", ".join(f"{corpus[fmt]} {fmt.upper()}" for fmt in ("pdf", "docx", "html", "txt")
                        if corpus.get(fmt))
    rows.append(("corpus", f"{corpus['documents']} documents ({formats}), "
                           f"{corpus['pages']} pages, source {corpus.get('source', 'seed')}"))
    if "digital_share" in corpus:
        rows.append(("  digital share of labelled units", f"{corpus['digital_share']:.2%}"))
    main = result.get("run")
    if main:
        rows += [
            ("mrp-classify run, wall", f"{_fmt_s(main['run_s'])} ({main['paragraphs']} "
                                       "paragraphs classified)"),
            ("  pages/s | paragraphs/s", f"{main['pages_per_s']:.1f} | "
                                         f"{main['paragraphs_per_s']:.1f}"),
            ("  peak RSS | CPU time", f"{main['peak_rss_mb']:.0f} MB | {_fmt_s(main['cpu_s'])}"),
        ]
    plain = result.get("run_no_cascade")
    if plain:
        rows.append(("  the same with --no-cascade", f"{_fmt_s(plain['run_s'])} "
                     f"({plain['paragraphs_per_s']:.1f} paragraphs/s, "
                     f"{plain['peak_rss_mb']:.0f} MB)"))
    split = result.get("split")
    if split:
        total = split["total_s"]
        for name, seconds in split["seconds"].items():
            rows.append((f"  split: {name}", f"{_fmt_s(seconds)} ({seconds / total:.0%})"))
    baseline = result.get("baseline")
    if baseline and main:
        rows += [
            ("straightforward (pipeline), wall",
             f"{_fmt_s(baseline['total_s_extrapolated'])} (pipeline on "
             f"{baseline['sample_paragraphs']} paragraphs, extrapolated)"),
            ("  pipeline s/paragraph", f"{baseline['s_per_paragraph'] * 1000:.1f} ms"),
            ("  pages/s", f"{corpus['pages'] / baseline['total_s_extrapolated']:.1f}"),
            ("speed-up end to end", f"{baseline['total_s_extrapolated'] / main['run_s']:.2f}x "
                                    "(target >= 10x)"),
            ("  int8 vs pipeline agreement",
             f"{baseline['agreement_first_window_int8_vs_pipeline']:.2%} (sample, same input)"),
        ]
    workers = result.get("workers")
    if workers:
        for name in ("workers_1", "workers_2"):
            point = workers[name]
            rows.append((f"run --workers {point['workers']}, first {workers['documents']} docs",
                         f"{_fmt_s(point['run_s'])} ({point['pages_per_s']:.1f} pages/s, "
                         f"CPU {_fmt_s(point['cpu_s'])}, peak RSS of all processes "
                         f"{point['peak_rss_mb']:.0f} MB)"))
    for point in result.get("scaling", []):
        rows.append((f"scaling: {point['documents']} documents",
                     f"{point['pages']} pages (largest {point['largest_document_pages']}), "
                     f"{_fmt_s(point['run_s'])}, "
                     f"{point['run_s'] / point['pages'] * 1000:.0f} ms/page, "
                     f"peak RSS {point['peak_rss_mb']:.0f} MB"))
    info = result["machine"]
    rows.append(("machine", f"{info['cpu']}, {info['usable_cores']} cores, "
                            f"onnxruntime {info.get('onnxruntime')}, torch {info.get('torch')}"))
    print_rows(rows)


def main() -> None:
    from mrp_classify.inference.run import model_fingerprint
    from mrp_classify.io import write_json_atomic
    from mrp_classify.paths import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder (default: the bundled default model)")
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="its PyTorch checkpoint (default: the one training left in the cache)")
    parser.add_argument("--source", choices=("seed", "plans"), default="seed",
                        help="the corpus: seed-label paragraphs in generated plans (about "
                             "half digital) or the labelled plans and plans made from them")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="its folder (default: mrp-bench-corpus, or mrp-bench-plans for "
                             "--source plans, in the temporary folder)")
    parser.add_argument("--documents", type=int, default=None,
                        help=f"default {CorpusSpec.documents} (seed), "
                             f"{PlansSpec.documents} (plans)")
    parser.add_argument("--min-pages", type=int, default=CorpusSpec.min_pages)
    parser.add_argument("--max-pages", type=int, default=CorpusSpec.max_pages)
    parser.add_argument("--parts", default=",".join(DEFAULT_PARTS),
                        help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--baseline-paragraphs", type=int, default=400)
    parser.add_argument("--scaling-pages", default="8-12",
                        help="MIN-MAX pages of the 100-document scaling corpus")
    parser.add_argument("--workers-documents", type=int, default=10,
                        help="documents for the workers part (the first of the corpus)")
    parser.add_argument("--no-cascade", action="store_true",
                        help="the run part without the model folder's cascade (as run "
                             "--no-cascade)")
    parser.add_argument("--out", type=Path, default=None,
                        help="default results/bench_end_to_end.json, or "
                             "bench_end_to_end_plans.json for --source plans")
    args = parser.parse_args()
    plans = args.source == "plans"
    if args.corpus is None:
        args.corpus = Path(tempfile.gettempdir()) / ("mrp-bench-plans" if plans
                                                     else "mrp-bench-corpus")
    if args.documents is None:
        args.documents = PlansSpec.documents if plans else CorpusSpec.documents
    if args.out is None:
        args.out = RESULTS / ("bench_end_to_end_plans.json" if plans
                              else "bench_end_to_end.json")
    parts = [p for p in args.parts.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")

    model_dir = args.model or default_model_dir()
    spec = (PlansSpec(args.documents) if plans
            else CorpusSpec(args.documents, args.min_pages, args.max_pages))
    documents = build_source(args.corpus, args.source, args.documents, args.min_pages,
                             args.max_pages, spec.seed)
    files = [args.corpus / d.file for d in documents]
    # The source is part of the key: figures of one corpus never mix with the other's.
    key = {"format": RESULT_FORMAT, "model_fingerprint": model_fingerprint(model_dir),
           "source": args.source, "corpus": asdict(spec)}
    result = _load_previous(args.out, key)
    corpus: dict[str, Any] = {
        "source": args.source, "folder": str(args.corpus), "documents": len(documents),
        **{fmt: sum(1 for d in documents if d.format == fmt)
           for fmt in ("pdf", "docx", "html", "txt")},
        "pdf_drawn_per_word": sum(1 for d in documents if d.by_word),
        "pages": sum(d.pages for d in documents)}
    if plans:  # what makes this corpus: the density of digital goals, from the plan labels
        manifest = json.loads((args.corpus / "corpus.json").read_text(encoding="utf-8"))
        corpus.update(digital_share=manifest["digital_share"],
                      labelled_units=manifest["labelled_units"])
    result.update(key=key, model=str(model_dir), machine=describe_machine(), corpus=corpus)

    work = args.corpus.with_name(f"{args.corpus.name}-runs")
    run_out = work / "run"
    if "run" in parts:
        if args.no_cascade:  # kept beside the cascaded run, whose folder the split resumes
            result["run_no_cascade"] = measure_run(files, model_dir, work / "run-no-cascade",
                                                   use_cascade=False)
        else:
            result["run"] = measure_run(files, model_dir, run_out)
    texts: list[str] = []
    if "split" in parts or "baseline" in parts:
        if not (run_out / "documents.csv").is_file() or "run" not in result:
            raise SystemExit(f"{run_out}: no finished run part for this corpus and model; "
                             "run with --parts run first (the split part's aggregation "
                             "resumes from its state files)")
        result["split"], texts = measure_split(files, model_dir, run_out)
    if "baseline" in parts:
        checkpoint = args.checkpoint or checkpoint_dir(model_dir)
        result["baseline"] = measure_baseline(texts, model_dir, checkpoint,
                                              args.baseline_paragraphs, result["split"])
        result["baseline"]["split_paragraphs"] = result["split"]["paragraphs"]
    if "workers" in parts:
        subset = files[: args.workers_documents]
        result["workers"] = {
            "documents": len(subset),
            "workers_1": measure_run(subset, model_dir, work / "workers-1", workers=1),
            "workers_2": measure_run(subset, model_dir, work / "workers-2", workers=2),
        }
    if "scaling" in parts:
        low, high = (int(x) for x in args.scaling_pages.split("-"))
        # Always seed-source: only generated documents can be held to a page count.
        large_spec = CorpusSpec(SCALING_POINTS[-1], low, high, spec.seed + 1)
        large_folder = args.corpus.with_name(f"{args.corpus.name}-{large_spec.documents}"
                                             f"x{low}-{high}")
        large = [large_folder / d.file for d in build_corpus(large_folder, large_spec)]
        note = f"second corpus: {large_spec.documents} documents of {low}-{high} pages"
        result["scaling"] = measure_scaling(files, model_dir, work, result.get("run"), large,
                                            note)
    write_json_atomic(args.out, result)
    print_table(result)
    print(f"(written to {args.out})", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "_child":
        _child(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]),
               sys.argv[6] == "1")
    else:
        main()
