"""A self-describing model folder and its ONNX Runtime classifier.

Inference reads only the folder: ``model.onnx``, ``tokenizer.json`` and
``model.json`` (labels in order, max length, text prefix, temperature...).
The label order is taken from ``model.json`` and never re-derived.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError

log = logging.getLogger(__name__)

MODEL_JSON = "model.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MODEL_FORMAT_VERSION = 1


class ModelFolderError(MrpError):
    pass


@dataclass(frozen=True)
class ModelInfo:
    """The fields of ``model.json`` that inference depends on."""

    labels: tuple[str, ...]
    max_length: int
    text_prefix: str
    temperature: float
    window_stride: int
    onnx_file: str
    raw: dict[str, Any]

    @classmethod
    def load(cls, model_dir: Path) -> ModelInfo:
        path = Path(model_dir) / MODEL_JSON
        if not path.is_file():
            raise ModelFolderError(
                f"{path}: not found; --model must point at a model folder with model.json, "
                "model.onnx and tokenizer.json (e.g. the bundled models/ default)"
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ModelFolderError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
        if raw.get("format_version") != MODEL_FORMAT_VERSION:
            raise ModelFolderError(
                f"{path}: format_version {raw.get('format_version')!r} is not "
                f"{MODEL_FORMAT_VERSION}; re-export the model with this version of mrp-classify"
            )
        try:
            info = cls(
                labels=tuple(raw["labels"]),
                max_length=int(raw["max_length"]),
                text_prefix=str(raw.get("text_prefix", "")),
                temperature=float(raw.get("temperature", 1.0)),
                window_stride=int(raw.get("window_stride", raw["max_length"] // 4)),
                onnx_file=str(raw.get("onnx_file", ONNX_FILE)),
                raw=raw,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFolderError(f"{path}: missing or invalid field {exc}") from exc
        if info.temperature <= 0:
            raise ModelFolderError(f"{path}: temperature must be positive")
        return info


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


class Classifier:
    """Tokeniser + ONNX Runtime session over one model folder.

    ``predict_proba`` returns calibrated probabilities (logits divided by the
    folder's temperature) in the folder's label order. A text longer than
    ``max_length`` tokens is cut into overlapping windows and represented by
    its most digital window (lowest ``p_none``): a goal stated anywhere in a
    long paragraph must not be averaged away by the rest of it.

    Every window runs through the network alone, never padded into a batch:
    dynamic int8 quantisation picks its activation scales from the whole input
    tensor, so in a batch a paragraph's probabilities would depend on which
    other paragraphs (and how much padding) share it. Throughput comes from
    ``threads`` single-threaded runs at once on one session instead; on two
    cores that is as fast as the best batch size and faster than batches of 32
    (benchmarks/README.md).
    """

    def __init__(self, model_dir: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.info = ModelInfo.load(self.model_dir)
        tokenizer_path = self.model_dir / TOKENIZER_FILE
        onnx_path = self.model_dir / self.info.onnx_file
        for required in (tokenizer_path, onnx_path):
            if not required.is_file():
                raise ModelFolderError(f"{required}: not found; the model folder is incomplete")
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(
            self.info.max_length, stride=self.info.window_stride, strategy="longest_first"
        )

        self.threads = threads or _default_threads()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Each run stays on its calling thread; parallelism is across windows (see above).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(
            str(onnx_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {item.name for item in self.session.get_inputs()}

    @property
    def labels(self) -> tuple[str, ...]:
        return self.info.labels

    def windows(self, texts: Sequence[str]) -> list[list[list[int]]]:
        """Token ids of each text's windows (one window unless the text is too long)."""
        prefixed = [self.info.text_prefix + text for text in texts]
        result = []
        for encoding in self.tokenizer.encode_batch(prefixed):
            result.append([encoding.ids] + [extra.ids for extra in encoding.overflowing])
        return result

    def logits_for_ids(self, sequences: Sequence[Sequence[int]]) -> np.ndarray:
        """Raw logits for token-id sequences, each run alone, ``threads`` at a time."""
        out = np.zeros((len(sequences), len(self.labels)), dtype=np.float32)
        # Longest first, so the last runs to finish are short ones and no thread idles long.
        order = sorted(range(len(sequences)), key=lambda i: -len(sequences[i]))
        if self.threads == 1 or len(sequences) <= 1:
            for index in order:
                out[index] = self._logits_one(sequences[index])
            return out
        with ThreadPoolExecutor(self.threads) as pool:
            for index, logits in zip(order, pool.map(
                    lambda i: self._logits_one(sequences[i]), order), strict=True):
                out[index] = logits
        return out

    def _logits_one(self, sequence: Sequence[int]) -> np.ndarray:
        ids = np.asarray([sequence], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (logits,) = self.session.run(["logits"], feeds)
        return np.asarray(logits[0])

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        windows = self.windows(texts)
        flat = [window for text_windows in windows for window in text_windows]
        probs = softmax(self.logits_for_ids(flat), self.info.temperature)
        none_index = self.labels.index("none") if "none" in self.labels else 0
        result = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        start = 0
        for i, text_windows in enumerate(windows):
            block = probs[start : start + len(text_windows)]
            result[i] = block[int(np.argmin(block[:, none_index]))]
            start += len(text_windows)
        return result

    def predict(self, texts: Sequence[str]) -> list[str]:
        probs = self.predict_proba(texts)
        return [self.labels[i] for i in probs.argmax(axis=1)]


def pad_token_id(tokenizer: Any) -> int:
    """The padding id of a `tokenizers.Tokenizer` (e5/XLM-R: <pad>, BERT: [PAD])."""
    for token in ("<pad>", "[PAD]"):
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return int(token_id)
    return 0


def _default_threads() -> int:
    env = os.environ.get("MRP_CLASSIFY_THREADS")
    if env:
        return max(1, int(env))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)

