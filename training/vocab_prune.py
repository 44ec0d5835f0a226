"""Shrink a Unigram tokenizer's vocabulary, and the encoder's embedding matrix with it.

multilingual-e5-small spends 96 M of its 118 M parameters on 250 k word pieces,
most of them for scripts Swedish municipal text never uses. Pruning keeps:

1. the special and added tokens;
2. every single character of Latin-1 text and common typographic punctuation
   (bare and with the word-start marker), so any Swedish text stays encodable:
   a word whose pieces were dropped is split into smaller ones;
3. the pieces the project's own text uses, most frequent first;
4. then the highest-scoring remaining pieces made only of Latin letters and
   digits, up to ``max_pieces``.

The Unigram model is rebuilt with the kept pieces and their original scores, in
their original order, so ids are remapped densely and the specials keep theirs.
A text whose pieces were all kept is tokenised exactly as before: its best
segmentation is still available and nothing better was added.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError

log = logging.getLogger(__name__)

METASPACE = "\u2581"

# Characters Swedish text (and the PDFs it comes from) is written with. They pass through
# the tokenizer's normaliser before use, so e.g. "½" contributes "1", "⁄" and "2".
_TEXT_CHAR_RANGES = (
    (0x0021, 0x007E),  # printable ASCII
    (0x00A1, 0x00FF),  # Latin-1 letters and signs
    (0x2010, 0x2027),  # dashes, quotes, bullets, ellipsis
    (0x2030, 0x205E),  # per mille, primes, fraction slash
)
_TEXT_CHARS_EXTRA = "€−≈≠≤≥±→←↑↓™№"
_LATIN_LETTERS = frozenset(
    [chr(c) for c in range(ord("a"), ord("z") + 1)]
    + [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    + [chr(c) for c in range(ord("0"), ord("9") + 1)]
    + [chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)]
)


def text_characters(normalizer: Any | None) -> set[str]:
    """The characters to keep as pieces, after the tokenizer's own normalisation."""
    chars = [chr(c) for lo, hi in _TEXT_CHAR_RANGES for c in range(lo, hi + 1)]
    chars += list(_TEXT_CHARS_EXTRA)
    result: set[str] = set()
    for char in chars:
        normalised = normalizer.normalize_str(char) if normalizer is not None else char
        result.update(normalised)
    result.discard(" ")
    return result


def _load_json(tokenizer_json: dict[str, Any] | str | Path) -> dict[str, Any]:
    if isinstance(tokenizer_json, dict):
        return json.loads(json.dumps(tokenizer_json))
    if isinstance(tokenizer_json, Path):
        return json.loads(tokenizer_json.read_text(encoding="utf-8"))
    return json.loads(tokenizer_json)


def _remap_post_processor(processor: dict[str, Any] | None,
                          new_id: dict[int, int]) -> dict[str, Any] | None:
    if processor is None:
        return None
    kind = processor.get("type")
    if kind == "TemplateProcessing":
        for token in processor["special_tokens"].values():
            token["ids"] = [new_id[i] for i in token["ids"]]
    elif kind in ("BertProcessing", "RobertaProcessing"):
        for key in ("sep", "cls"):
            processor[key] = [processor[key][0], new_id[processor[key][1]]]
    elif kind == "Sequence":
        processor["processors"] = [_remap_post_processor(p, new_id)
                                   for p in processor["processors"]]
    elif kind != "ByteLevel":
        raise ValueError(f"post-processor {kind!r} is not supported by vocabulary pruning")
    return processor


def prune_vocabulary(tokenizer_json: dict[str, Any] | str | Path, embeddings: Any,
                     texts: Iterable[str], max_pieces: int,
                     ) -> tuple[dict[str, Any], np.ndarray]:
    """Keep at most `max_pieces` pieces of a Unigram tokenizer; see the module docstring.

    `tokenizer_json` is a tokenizer.json as a dict, JSON text or a path; `embeddings` the
    matching word-embedding matrix (NumPy or torch; only its row count is used, to catch a
    tokenizer/model mix-up). Returns the new tokenizer.json and the kept old ids in new-id
    order; the caller slices the embedding rows with them.
    """
    from tokenizers import Tokenizer

    data = _load_json(tokenizer_json)
    model = data.get("model", {})
    if model.get("type") != "Unigram":
        raise ValueError(f"vocabulary pruning needs a Unigram tokenizer, not {model.get('type')}")
    vocab: list[list[Any]] = model["vocab"]
    if int(embeddings.shape[0]) < len(vocab):
        raise ValueError(f"the embedding matrix has {int(embeddings.shape[0])} rows but the "
                         f"tokenizer has {len(vocab)} pieces: they do not belong together")

    tokenizer = Tokenizer.from_str(json.dumps(data))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    mandatory: set[int] = {int(t["id"]) for t in data.get("added_tokens", [])}
    if model.get("unk_id") is not None:
        mandatory.add(int(model["unk_id"]))
    piece_ids = {piece: i for i, (piece, _score) in enumerate(vocab)}
    for char in text_characters(tokenizer.normalizer):
        for piece in (char, METASPACE + char):
            if piece in piece_ids:
                mandatory.add(piece_ids[piece])
    if METASPACE in piece_ids:
        mandatory.add(piece_ids[METASPACE])
    if model.get("byte_fallback"):
        mandatory.update(piece_ids[f"<0x{b:02X}>"] for b in range(256)
                         if f"<0x{b:02X}>" in piece_ids)
    if len(mandatory) > max_pieces:
        raise MrpError(f"vocabulary pruning: the special tokens and single characters alone "
                       f"need {len(mandatory)} pieces; raise max_pieces above that (or 0 to "
                       "switch pruning off)")

    usage: Counter[int] = Counter()
    for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        usage.update(encoding.ids)
    kept = set(mandatory)
    for piece_id, _count in sorted(usage.items(), key=lambda item: (-item[1], item[0])):
        if len(kept) >= max_pieces:
            break
        kept.add(piece_id)
    used_dropped = sum(1 for i in usage if i not in kept)
    if used_dropped:
        log.warning("vocabulary pruning: %d of the %d pieces the text uses did not fit into %d; "
                    "the rarest are split into smaller pieces", used_dropped, len(usage),
                    max_pieces)
    fill = sorted((i for i, (piece, _s) in enumerate(vocab)
                   if i not in kept and _is_latin_word_piece(piece)),
                  key=lambda i: (-float(vocab[i][1]), i))
    kept.update(fill[:max(0, max_pieces - len(kept))])

    kept_old_ids = np.array(sorted(kept), dtype=np.int64)
    new_id = {int(old): new for new, old in enumerate(kept_old_ids)}
    model["vocab"] = [vocab[int(i)] for i in kept_old_ids]
    if model.get("unk_id") is not None:
        model["unk_id"] = new_id[int(model["unk_id"])]
    for token in data.get("added_tokens", []):
        token["id"] = new_id[int(token["id"])]
    data["post_processor"] = _remap_post_processor(data.get("post_processor"), new_id)
    log.info("vocabulary pruned from %d to %d pieces (%d mandatory, %d used by the text)",
             len(vocab), len(kept_old_ids), len(mandatory), len(usage))
    return data, kept_old_ids


def _is_latin_word_piece(piece: str) -> bool:
    body = piece[1:] if piece.startswith(METASPACE) else piece
    return bool(body) and all(c in _LATIN_LETTERS for c in body)


def prune_embeddings_in_place(model: Any, kept_old_ids: np.ndarray) -> None:
    """Keep only the rows `kept_old_ids` of a transformers model's word embeddings."""
    import torch

    if model.get_output_embeddings() is not None:
        raise ValueError("the model has an output layer tied to the vocabulary; prune the "
                         "encoder (e.g. BertModel) instead")
    old = model.get_input_embeddings()
    index = torch.as_tensor(np.asarray(kept_old_ids), dtype=torch.long, device=old.weight.device)
    new_id = {int(old_id): new for new, old_id in enumerate(kept_old_ids)}
    padding_idx = new_id.get(old.padding_idx) if old.padding_idx is not None else None
    new = torch.nn.Embedding(len(index), old.embedding_dim, padding_idx=padding_idx,
                             device=old.weight.device, dtype=old.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(old.weight.index_select(0, index))
    new.weight.requires_grad_(old.weight.requires_grad)
    model.set_input_embeddings(new)
    model.config.vocab_size = len(index)
    for attribute in ("pad_token_id", "bos_token_id", "eos_token_id"):
        value = getattr(model.config, attribute, None)
        if value is not None:
            setattr(model.config, attribute, new_id.get(int(value)))


def tokenisation_agreement(old: Any, new: Any, texts: Sequence[str]) -> dict[str, Any]:
    """How `new` (a pruned `tokenizers.Tokenizer`) tokenises `texts` compared with `old`."""
    old_pieces = _pieces(old, texts)
    new_pieces = _pieces(new, texts)
    before = sum(len(p) for p in old_pieces)
    after = sum(len(p) for p in new_pieces)
    same = sum(a == b for a, b in zip(old_pieces, new_pieces, strict=True))
    return {
        "texts": len(texts),
        "identical_fraction": same / len(texts) if texts else 1.0,
        "tokens_before": before,
        "tokens_after": after,
        "token_increase": (after - before) / before if before else 0.0,
    }


def _pieces(tokenizer: Any, texts: Sequence[str]) -> list[list[str | None]]:
    from tokenizers import Tokenizer

    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return [[copy.id_to_token(i) for i in e.ids]
            for e in copy.encode_batch(list(texts), add_special_tokens=False)]


def prune_model_vocabulary(encoder: Any, tokenizer: Any, texts: Sequence[str], max_pieces: int,
                           held_out: Sequence[str] = ()) -> tuple[Any, dict[str, Any]] | None:
    """Prune `tokenizer` (a `tokenizers.Tokenizer`) and `encoder`'s embeddings in place.

    Returns the new tokenizer and a report, or None when there is nothing to do: the
    vocabulary is not Unigram (e.g. a WordPiece BERT) or already has at most `max_pieces`.
    `held_out` texts, if given, measure how much tokenisation changes on unseen text.
    """
    from tokenizers import Tokenizer

    data = json.loads(tokenizer.to_str())
    kind = data.get("model", {}).get("type")
    original = tokenizer.get_vocab_size(with_added_tokens=False)
    if kind != "Unigram":
        log.info("vocabulary pruning skipped: the tokenizer is %s, not Unigram", kind)
        return None
    if original <= max_pieces:
        log.info("vocabulary pruning skipped: %d pieces <= %d", original, max_pieces)
        return None
    new_json, kept_old_ids = prune_vocabulary(
        data, encoder.get_input_embeddings().weight, texts, max_pieces)
    prune_embeddings_in_place(encoder, kept_old_ids)
    pruned = Tokenizer.from_str(json.dumps(new_json))
    report: dict[str, Any] = {
        "original_pieces": original,
        "kept_pieces": int(len(kept_old_ids)),
        "max_pieces": max_pieces,
        "selection_text": tokenisation_agreement(tokenizer, pruned, texts),
    }
    if held_out:
        report["held_out"] = tokenisation_agreement(tokenizer, pruned, held_out)
    return pruned, report
