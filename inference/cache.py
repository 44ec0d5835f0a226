"""A prediction cache: a unit the model has read once is never read again.

Plans repeat their boilerplate within a year and most of their text from one year
to the next, so the probabilities of a unit are stored under the model's
fingerprint and the exact text the network reads (prefix, context and unit, with
runs of whitespace made one space). A hit returns the stored probabilities, which
are bit for bit what the network gave, because each window runs alone (no batch
effects): a cached run writes the same bytes as an uncached one.

The cache is one SQLite file: beside the run's state by default, or shared by
many runs with ``mrp-classify run --cache DIR`` (one file per model there).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mrp_classify.errors import MrpError
from mrp_classify.inference.model import ModelInput

CACHE_FILE = "predictions.sqlite"
_SPACE_RE = re.compile(r"\s+")


class PredictionCache:
    """``predict_proba`` through a classifier, reading what is cached and storing the rest."""

    def __init__(self, classifier: object, path: Path, fingerprint: str) -> None:
        self.classifier = classifier
        self.labels: tuple[str, ...] = classifier.labels  # type: ignore[attr-defined]
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.hits = self.misses = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS predictions "
                            "(key BLOB PRIMARY KEY, probabilities BLOB NOT NULL)")
        except sqlite3.Error as exc:
            raise MrpError(f"{self.path}: cannot use the prediction cache ({exc}); remove "
                           "the file or choose another --cache") from exc

    def _key(self, rendered: str) -> bytes:
        text = _SPACE_RE.sub(" ", rendered).strip()
        return hashlib.sha256(f"{self.fingerprint}\0{text}".encode()).digest()

    def predict_proba(self, items: Sequence[ModelInput]) -> np.ndarray:
        render = self.classifier.render  # type: ignore[attr-defined]
        keys = [self._key(text) for text in render(list(items))]
        found: dict[bytes, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self.db.execute(
                    f"SELECT key, probabilities FROM predictions WHERE key IN ({marks})",
                    chunk):
                found[key] = np.array(struct.unpack(f"<{len(self.labels)}f", blob),
                                      dtype=np.float32)
        first: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key not in found:
                first.setdefault(key, i)  # repeated boilerplate is read once
        if first:
            fresh = self.classifier.predict_proba(  # type: ignore[attr-defined]
                [items[i] for i in first.values()])
            rows = []
            for key, row in zip(first, fresh, strict=True):
                found[key] = np.asarray(row, dtype=np.float32)
                rows.append((key, struct.pack(f"<{len(self.labels)}f", *map(float, row))))
            self.db.executemany("INSERT OR REPLACE INTO predictions VALUES (?, ?)", rows)
        self.misses += len(first)
        self.hits += len(keys) - len(first)
        result = np.zeros((len(items), len(self.labels)), dtype=np.float32)
        for i, key in enumerate(keys):
            result[i] = found[key]
        return result

    def close(self) -> None:
        self.db.close()
