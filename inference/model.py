"""The ONNX Runtime classifier over one model folder.

Inference reads only the folder (``model_folder.ModelFolder``): the network,
the tokenizer and ``model.json``. Labels come in the folder's order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mrp_classify.inference.model_folder import (
    ONNX_INPUTS,
    ONNX_OUTPUT,
    ModelFolder,
    ModelMeta,
)

log = logging.getLogger(__name__)

NONE_LABEL = "none"


@dataclass(frozen=True)
class ModelInput:
    """A unit as the model reads it: its text and where it stands in the document."""

    text: str
    heading_path: tuple[str, ...] = ()
    kind: str = ""


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def make_session(network: Path | bytes, threads: int = 1, optimization: str = "basic") -> Any:
    """The one way this project opens an ONNX model.

    ``basic`` optimisation (constant folding, no fused transformer kernels) keeps the
    float operations between the integer products the same ones on every CPU, which
    holds the cross-CPU spread down (docs/int8.md); it is as fast as ``all`` here.
    """
    import onnxruntime as ort

    levels = {"disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
              "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
              "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
              "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
    options = ort.SessionOptions()
    options.graph_optimization_level = levels[optimization]
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    model = network if isinstance(network, bytes) else str(network)
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


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

    def __init__(self, model: ModelFolder | Path, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        self.folder = model if isinstance(model, ModelFolder) else ModelFolder.load(Path(model))
        self.meta: ModelMeta = self.folder.meta
        self.tokenizer = Tokenizer.from_str(self.folder.tokenizer_json)
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(
            self.meta.max_length, stride=self.meta.window_stride, strategy="longest_first")
        self.threads = threads or default_threads()
        self.session = make_session(self.folder.network, 1, self.meta.graph_optimization)
        self.needs_token_types = "token_type_ids" in {i.name for i in self.session.get_inputs()}

    @property
    def labels(self) -> tuple[str, ...]:
        return self.meta.labels

    def render(self, items: Sequence[str | ModelInput]) -> list[str]:
        """The model's input texts (prefix and, for a context model, headings and kind)."""
        fmt = self.meta.input_format
        return [fmt.render(item) if isinstance(item, str)
                else fmt.render(item.text, item.heading_path, item.kind) for item in items]

    def windows(self, items: Sequence[str | ModelInput]) -> list[list[list[int]]]:
        """Token ids of each text's windows (one window unless the text is too long)."""
        result = []
        for encoding in self.tokenizer.encode_batch(self.render(items)):
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
        input_ids, attention_mask = ONNX_INPUTS
        feeds = {input_ids: ids, attention_mask: np.ones_like(ids)}
        if self.needs_token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (logits,) = self.session.run([ONNX_OUTPUT], feeds)
        return np.asarray(logits[0])

    def predict_proba(self, items: Sequence[str | ModelInput]) -> np.ndarray:
        if not items:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        windows = self.windows(items)
        flat = [window for text_windows in windows for window in text_windows]
        probs = softmax(self.logits_for_ids(flat), self.meta.temperature)
        none_index = self.labels.index(NONE_LABEL) if NONE_LABEL in self.labels else 0
        result = np.zeros((len(items), len(self.labels)), dtype=np.float32)
        start = 0
        for i, text_windows in enumerate(windows):
            block = probs[start : start + len(text_windows)]
            result[i] = block[int(np.argmin(block[:, none_index]))]
            start += len(text_windows)
        return result

    def predict(self, items: Sequence[str | ModelInput]) -> list[str]:
        probs = self.predict_proba(items)
        return [self.labels[i] for i in probs.argmax(axis=1)]


def pad_token_id(tokenizer: Any) -> int:
    """The padding id of a `tokenizers.Tokenizer` (e5/XLM-R: <pad>, BERT: [PAD])."""
    for token in ("<pad>", "[PAD]"):
        token_id = tokenizer.token_to_id(token)
        if token_id is not None:
            return int(token_id)
    return 0


def default_threads() -> int:
    env = os.environ.get("MRP_CLASSIFY_THREADS")
    if env:
        return max(1, int(env))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
