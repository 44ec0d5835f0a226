"""The cascade's first stage: a cheap model that settles the clearly non-digital units.

Real plans are 95–98 % non-digital units and the encoder is most of a run's time, so
a TF-IDF + logistic regression model (digital vs none, fitted by
``training/cascade.py``) reads every unit first; a unit whose digital probability
is below the stage's threshold is settled as ``none`` and never reaches the
encoder, the rest go on as before. The threshold is chosen so that the stage passes
at least 99.5 % of the development plans' units that the full model calls digital.

Storage, no pickle: ``model.json``'s ``cascade`` block names the stage's file and
holds its threshold; ``cascade.json`` holds the analyzer settings, the n-gram
vocabularies in column order and the intercept; ``cascade.npy`` the idf and the
coefficients (float64, rows idf and coefficient, one column per n-gram). The
transform is scikit-learn's ``TfidfVectorizer`` (lower case, the word token pattern
or ``char_wb`` n-grams, sublinear tf, smooth idf, l2 per block, blocks side by side
as in a ``FeatureUnion``) written out in Python and NumPy, so inference needs
neither scikit-learn nor torch; ``tests/test_cascade.py`` proves it equal to
scikit-learn's.

A settled unit gets exactly ``p_none = 1`` and 0 for the digital labels. The
stage's score is on another scale than the encoder's: put into the outputs, it would
mix into the profile confidence (1 − the strongest digital unit) and its calibration,
which were fitted on encoder probabilities. An exact 1/0/0 stays below any unit
threshold, keeps the settled units out of the evidence and, the strongest digital
unit being one the encoder read, leaves the confidences as the full model gives them.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError
from mrp_classify.inference.model import NONE_LABEL, ModelInput
from mrp_classify.inference.model_folder import InputFormat, ModelFolder

log = logging.getLogger(__name__)

CASCADE_FILE = "cascade.json"
WEIGHTS_FILE = "cascade.npy"
CASCADE_FORMAT = 1
WORD = "word"
CHAR_WB = "char_wb"
ANALYZERS = (WORD, CHAR_WB)
# scikit-learn's defaults, which the fitting keeps: words of two or more word characters,
# and runs of whitespace made one before char_wb n-grams.
TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")
_WHITE_SPACES = re.compile(r"\s\s+")


def _word_ngrams(text: str, low: int, high: int) -> list[str]:
    tokens = TOKEN_PATTERN.findall(text)
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return grams


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i:i + n] for i in range(max(1, len(padded) - n + 1)))
            if len(padded) <= n:  # a word shorter than n counts once, as scikit-learn does
                break
    return grams


@dataclass(frozen=True)
class NgramBlock:
    """One TF-IDF vectorizer's part: its n-grams, idf and share of the coefficients."""

    analyzer: str
    ngram_range: tuple[int, int]
    vocabulary: Mapping[str, int]
    idf: np.ndarray
    coef: np.ndarray

    def __post_init__(self) -> None:
        if self.analyzer not in ANALYZERS:
            raise ValueError(f"analyzer {self.analyzer!r} is not one of {ANALYZERS}")
        if not len(self.vocabulary) == len(self.idf) == len(self.coef):
            raise ValueError(f"{self.analyzer} block: {len(self.vocabulary)} n-grams, "
                             f"{len(self.idf)} idf values, {len(self.coef)} coefficients")

    def ngrams(self, text: str) -> list[str]:
        low, high = self.ngram_range
        lowered = text.lower()
        if self.analyzer == WORD:
            return _word_ngrams(lowered, low, high)
        return _char_wb_ngrams(lowered, low, high)

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of the text's l2-normalised sublinear tf-idf row, by column."""
        counts = Counter(column for column in map(self.vocabulary.get, self.ngrams(text))
                         if column is not None)
        columns = np.array(sorted(counts), dtype=np.int64)
        tf = np.array([counts[c] for c in columns], dtype=np.float64)
        values = (np.log(tf) + 1.0) * self.idf[columns]
        norm = np.sqrt(np.dot(values, values))
        return columns, values / norm if norm > 0 else values

    def score(self, text: str) -> float:
        columns, values = self.features(text)
        return float(np.dot(values, self.coef[columns]))


@dataclass(frozen=True)
class Cascade:
    """The first stage: ``digital_probability`` of rendered unit texts, and its threshold."""

    blocks: tuple[NgramBlock, ...]
    intercept: float
    threshold: float

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The logistic regression's score (log-odds of digital) of each text."""
        return np.array([self.intercept + sum(block.score(text) for block in self.blocks)
                         for text in texts], dtype=np.float64)

    def digital_probability(self, texts: Sequence[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(texts)))

    def passes(self, texts: Sequence[str]) -> np.ndarray:
        """True for the texts the encoder must read."""
        return self.digital_probability(texts) >= self.threshold

    def files(self) -> dict[str, bytes]:
        """``cascade.json`` and ``cascade.npy`` (the threshold lives in model.json)."""
        spec = {
            "format": CASCADE_FORMAT, "weights": WEIGHTS_FILE, "intercept": self.intercept,
            "blocks": [{"analyzer": b.analyzer, "ngram_range": list(b.ngram_range),
                        "lowercase": True, "sublinear_tf": True, "norm": "l2",
                        # Column order: the n-gram of column i is vocabulary[i].
                        "vocabulary": sorted(b.vocabulary, key=b.vocabulary.__getitem__)}
                       for b in self.blocks],
        }
        weights = np.vstack([np.concatenate([b.idf for b in self.blocks]),
                             np.concatenate([b.coef for b in self.blocks])])
        buffer = io.BytesIO()
        np.save(buffer, weights.astype(np.float64), allow_pickle=False)
        return {CASCADE_FILE: (json.dumps(spec, ensure_ascii=False) + "\n").encode("utf-8"),
                WEIGHTS_FILE: buffer.getvalue()}

    @classmethod
    def from_files(cls, files: Mapping[str, bytes], name: str, threshold: float,
                   where: str) -> Cascade:
        """The stage from its files; ``where`` is the model folder, for messages."""
        fix = "refit it with 'mrp-classify cascade fit', or run with --no-cascade"
        if name not in files:
            raise MrpError(f"{where}/{name}: not found, yet model.json names it as the "
                           f"cascade; {fix}")
        try:
            spec = json.loads(files[name].decode("utf-8"))
            if spec.get("format") != CASCADE_FORMAT:
                raise ValueError(f"format {spec.get('format')!r} is not {CASCADE_FORMAT}")
            weights_name = str(spec["weights"])
            if weights_name not in files:
                raise MrpError(f"{where}/{weights_name}: not found, yet {name} names it; {fix}")
            weights = np.load(io.BytesIO(files[weights_name]), allow_pickle=False)
            sizes = [len(block["vocabulary"]) for block in spec["blocks"]]
            if weights.shape != (2, sum(sizes)):
                raise ValueError(f"{weights_name} has shape {weights.shape}, the vocabularies "
                                 f"{sum(sizes)} n-grams")
            blocks, start = [], 0
            for raw, size in zip(spec["blocks"], sizes, strict=True):
                low, high = (int(n) for n in raw["ngram_range"])
                blocks.append(NgramBlock(
                    str(raw["analyzer"]), (low, high),
                    {gram: i for i, gram in enumerate(raw["vocabulary"])},
                    weights[0, start:start + size], weights[1, start:start + size]))
                start += size
            return cls(tuple(blocks), float(spec["intercept"]), float(threshold))
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            raise MrpError(f"{where}/{name}: invalid cascade ({exc}); {fix}") from exc

    @classmethod
    def from_folder(cls, folder: ModelFolder) -> Cascade | None:
        """The folder's first stage, or None when it has none."""
        block: Mapping[str, Any] = folder.meta.cascade
        if not block:
            return None
        where = str(folder.path or folder.meta.ref)
        try:
            threshold = float(block["threshold"])
        except (KeyError, TypeError, ValueError) as exc:
            raise MrpError(f"{where}/model.json: the cascade block has no valid threshold "
                           f"({exc}); refit it with 'mrp-classify cascade fit'") from exc
        return cls.from_files(folder.files, str(block.get("file", CASCADE_FILE)), threshold,
                              where)


class CascadeClassifier:
    """``predict_proba`` through the first stage: settled units get p_none = 1, the rest
    the encoder's (``classifier``, usually behind the prediction cache) probabilities."""

    def __init__(self, cascade: Cascade, classifier: Any, input_format: InputFormat) -> None:
        self.cascade = cascade
        self.classifier = classifier
        self.input_format = input_format

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.classifier.labels)

    def predict_proba(self, items: Sequence[ModelInput]) -> np.ndarray:
        # The stage reads what the encoder reads: a context model may call a list item
        # digital because of its heading, and the stage must see that heading too.
        texts = [self.input_format.render(i.text, i.heading_path, i.kind) for i in items]
        passing = np.flatnonzero(self.cascade.passes(texts)).tolist()
        labels = self.labels
        result = np.zeros((len(items), len(labels)), dtype=np.float32)
        result[:, labels.index(NONE_LABEL)] = 1.0
        if passing:
            result[passing] = self.classifier.predict_proba([items[i] for i in passing])
        log.debug("cascade: %d of %d units settled as none", len(items) - len(passing),
                  len(items))
        return result
