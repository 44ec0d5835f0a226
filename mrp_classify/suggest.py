"""Which paragraphs of a run are worth an annotator's time: the annotation queue.

Selection, in order:

1. Uncertainty, from the calibrated probabilities already in ``paragraphs.csv``
   (or from ``model_dir`` when given, to rank with a newer model without a new
   run): smallest margin between the two most probable labels first; equal
   margins go to the higher entropy, then to file, page and index order.
2. Already-labelled paragraphs never come back: a text whose normalised form
   (``labelset.normalise_text``) is in any label file under the labels folder,
   ``agreement/`` included, or that is a near-duplicate of one, is skipped.
3. Near-duplicates (the same boilerplate in many municipalities' plans) are
   asked once: a paragraph whose character 5-gram Jaccard similarity to an
   earlier kept paragraph is at least 0.8 is skipped. Candidates are found by
   MinHash locality-sensitive hashing (64 minima in 16 bands of 4), so each
   paragraph is compared with a handful of others, never with all of them.
4. Spread: from the ``pool_factor * n`` most uncertain distinct paragraphs,
   the queue takes turns over SKR kommungrupper and, within a group, over
   municipalities, each turn taking that municipality's most uncertain
   paragraph. So the queue covers many kinds of municipalities without
   spending slots on confident paragraphs.

The queue is written three ways: ``QUEUE.csv`` for a spreadsheet (UTF-8 with a
byte-order mark; ``label`` and ``note`` blank for the annotator),
``QUEUE.labelstudio.json`` (Label Studio tasks) and ``QUEUE.labelstudio.xml``
(the matching labelling config). ``labels import`` reads each of them back.

Each Label Studio task carries the model's guess as a pre-annotation
(``predictions``: the most probable label, its probability as the score, the
model's name/version), so the annotator sees it and accepts or changes it. The
config shows each label by a readable name (``Citizen facing``) and, through the
choice's ``alias``, exports the schema's label (``citizen_facing``), which is what
Label Studio puts in annotations and matches predictions against.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from mrp_classify.errors import MrpError
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.outputs import HEADING_SEPARATOR, ParagraphRow, RunOutputs
from mrp_classify.io import (
    atomic_open,
    iter_jsonl,
    refuse_overwrite,
    spreadsheet_safe,
    write_json_atomic,
    write_text_atomic,
)
from mrp_classify.labelset import Schema, default_labels_dir, normalise_text

log = logging.getLogger(__name__)

BASE_COLUMNS = ("id", "text", "label", "heading_path", "kommunkod", "kommun", "year", "file",
                "page")
NOTE_COLUMN = "note"
UNKNOWN_GROUP = "unknown"

SHINGLE_CHARS = 5
NUM_HASHES = 64
BANDS = 16
ROWS_PER_BAND = NUM_HASHES // BANDS
JACCARD_THRESHOLD = 0.8
# Kept paragraphs compared per LSH bucket: buckets only hold paragraphs that are not
# near-duplicates of each other, so a cap bounds the work without losing real matches.
BUCKET_CAP = 8
_RANGE_SHIFT = np.uint64(64 - 6)  # NUM_HASHES = 2**6 ranges, by the top 6 bits
_RANGE_IDS = np.arange(NUM_HASHES, dtype=np.uint64)
_RANGE_STARTS = _RANGE_IDS << _RANGE_SHIFT
_EMPTY_RANGE = np.uint64(2**64 - 1)
# Odd multipliers that fold a band's minima into one bucket key.
_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                      0xD6E8FEB86659FD93], dtype=np.uint64)


@dataclass(frozen=True)
class QueuePaths:
    csv: Path
    labelstudio_json: Path
    labelstudio_xml: Path

    def all(self) -> tuple[Path, Path, Path]:
        return (self.csv, self.labelstudio_json, self.labelstudio_xml)


@dataclass(frozen=True)
class SuggestResult:
    paths: QueuePaths
    queued: int
    paragraphs: int
    already_labelled: int  # the same text as a labelled paragraph, or a near-duplicate of one
    near_duplicates: int
    municipalities: int
    kommungrupper: int


def queue_paths(out: Path) -> QueuePaths:
    """``QUEUE.csv``, ``QUEUE.labelstudio.json`` and ``QUEUE.labelstudio.xml`` (``QUEUE.csv``
    given as --out names the same queue)."""
    out = Path(out)
    if out.suffix.lower() == ".csv":
        out = out.with_suffix("")
    return QueuePaths(out.with_name(out.name + ".csv"),
                      out.with_name(out.name + ".labelstudio.json"),
                      out.with_name(out.name + ".labelstudio.xml"))


def read_run_paragraphs(run_dir: Path, labels: Sequence[str], need_probabilities: bool
                        ) -> tuple[list[ParagraphRow], np.ndarray]:
    """The units of a run and their ``p_<label>`` columns in ``labels`` order (no columns
    unless ``need_probabilities``)."""
    paragraphs = list(RunOutputs(run_dir).read_paragraphs(labels, need_probabilities))
    width = len(labels) if need_probabilities else 0
    probabilities = np.asarray([p.probabilities for p in paragraphs], dtype=np.float64)
    return paragraphs, probabilities.reshape(len(paragraphs), width)


def labelled_texts(labels_dir: Path) -> set[str]:
    """Normalised texts of every label file under ``labels_dir``, ``agreement/`` included.

    Read leniently: a record that `labels validate` would reject still marks its
    paragraph as taken by an annotator.
    """
    labels_dir = Path(labels_dir)
    if not labels_dir.is_dir():
        raise MrpError(f"{labels_dir}: no such labels folder; pass --labels DIR")
    texts: set[str] = set()
    for path in sorted(labels_dir.rglob("*.jsonl")):
        if any(part.startswith(".") for part in path.relative_to(labels_dir).parts):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            for _, record, _ in iter_jsonl(handle):
                if record is not None and isinstance(record.get("text"), str):
                    texts.add(normalise_text(record["text"]))
    return texts


def uncertainty_order(probabilities: np.ndarray) -> np.ndarray:
    """Row indices, most uncertain first: smallest top-two margin, then highest entropy,
    then row order."""
    if len(probabilities) == 0:
        return np.zeros(0, dtype=np.int64)
    ordered = np.sort(probabilities, axis=1)
    # Rounded so that float noise (0.45 - 0.40 < 0.40 - 0.35) does not break ties.
    margin = np.round(ordered[:, -1] - (ordered[:, -2] if probabilities.shape[1] > 1 else 0.0), 6)
    clipped = np.clip(probabilities, 1e-12, 1.0)
    entropy = -(probabilities * np.log(clipped)).sum(axis=1)
    rows = np.arange(len(probabilities))
    return np.lexsort((rows, -entropy, margin))


def shingle_hashes(normalised: str) -> np.ndarray:
    """Sorted unique 64-bit hashes of the character 5-grams of a normalised text.

    A polynomial hash of the code points, then the splitmix64 finaliser: a bijection
    that spreads the values evenly, which the one-permutation MinHash relies on.
    """
    codes = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < SHINGLE_CHARS:
        codes = np.concatenate([codes, np.zeros(SHINGLE_CHARS - len(codes), dtype=np.uint64)])
    count = len(codes) - SHINGLE_CHARS + 1
    # Array arithmetic on uint64 wraps around modulo 2**64, which these hashes rely on.
    x = codes[:count].copy()
    for offset in range(1, SHINGLE_CHARS):
        x = x * np.uint64(1_000_003) + codes[offset:offset + count]
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    x.sort()
    distinct = np.ones(len(x), dtype=bool)
    distinct[1:] = x[1:] != x[:-1]
    return x[distinct]


def minhash(shingles: np.ndarray) -> np.ndarray:
    """One-permutation MinHash: the smallest hash in each of NUM_HASHES equal ranges.

    One pass over the shingles instead of one per hash function; a range with no
    shingle (short texts) gets a fixed filler, which may only add candidates, and
    every candidate is checked against the exact Jaccard similarity.
    """
    positions = np.searchsorted(shingles, _RANGE_STARTS)
    clipped = np.minimum(positions, len(shingles) - 1)
    values = shingles[clipped]
    inside = (positions < len(shingles)) & ((values >> _RANGE_SHIFT) == _RANGE_IDS)
    return np.where(inside, values, _EMPTY_RANGE)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays."""
    positions = np.minimum(np.searchsorted(b, a), b.size - 1)
    shared = int(np.count_nonzero(b[positions] == a))
    return shared / (a.size + b.size - shared)


class NearDuplicateIndex:
    """Kept texts; a new text that equals one after normalisation, or has a 5-gram Jaccard
    similarity of at least ``threshold`` with one, is reported instead of kept."""

    def __init__(self, threshold: float = JACCARD_THRESHOLD) -> None:
        self.threshold = threshold
        self._exact: dict[str, int] = {}
        self._shingles: list[np.ndarray] = []
        self._buckets: dict[tuple[int, int], list[int]] = {}

    def __len__(self) -> int:
        return len(self._shingles)

    def add(self, text: str) -> int | None:
        """Keep ``text`` and return None, or return the position of the kept text it
        duplicates."""
        key = normalise_text(text)
        if key in self._exact:
            return self._exact[key]
        shingles = shingle_hashes(key)
        signature = minhash(shingles)
        band_keys = (signature.reshape(BANDS, ROWS_PER_BAND) * _BAND_MIX).sum(axis=1)
        bands = list(enumerate(band_keys.tolist()))
        checked: set[int] = set()
        for band in bands:
            for other in self._buckets.get(band, ()):
                if other in checked:
                    continue
                checked.add(other)
                if jaccard(shingles, self._shingles[other]) >= self.threshold:
                    return other
        position = len(self._shingles)
        self._shingles.append(shingles)
        self._exact[key] = position
        for band in bands:
            bucket = self._buckets.setdefault(band, [])
            if len(bucket) < BUCKET_CAP:
                bucket.append(position)
        return None


def spread(pool: Sequence[int], group_of: Sequence[str], municipality_of: Sequence[str],
           n: int) -> list[int]:
    """Up to ``n`` items of ``pool`` (most uncertain first), taking turns over groups and,
    within a group, over municipalities; groups and municipalities take their first turn
    in the order of their most uncertain item."""
    groups: dict[str, dict[str, deque[int]]] = {}
    for item in pool:
        groups.setdefault(group_of[item], {}).setdefault(municipality_of[item], deque())
        groups[group_of[item]][municipality_of[item]].append(item)
    rotations = [deque(members.values()) for members in groups.values()]
    picked: list[int] = []
    while len(picked) < n and rotations:
        for rotation in rotations:
            if len(picked) >= n:
                break
            municipality = rotation.popleft()
            picked.append(municipality.popleft())
            if municipality:
                rotation.append(municipality)
        rotations = [rotation for rotation in rotations if rotation]
    return picked


def paragraph_id(kommunkod: str, year: str, text: str) -> str:
    """Stable across runs and queues: municipality, year and a hash of the normalised text."""
    digest = hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:10]
    return f"{kommunkod or 'unknown'}-{year or 'unknown'}-{digest}"


def choice_name(label: str) -> str:
    """What Label Studio shows for a label: ``citizen_facing`` → ``Citizen facing``."""
    return label.replace("_", " ").capitalize()


def labelstudio_config(labels: Sequence[str]) -> str:
    """A Label Studio labelling config: the paragraph, its context, one choice per label
    (shown by its readable name, exported as the label)."""
    choices = "\n".join(f"    <Choice value={quoteattr(choice_name(label))} "
                        f"alias={quoteattr(label)}/>" for label in labels)
    return (
        "<View>\n"
        '  <Header value="$kommun ($kommunkod) $year: $file, page $page"/>\n'
        '  <Text name="heading_path" value="$heading_path"/>\n'
        '  <Text name="text" value="$text"/>\n'
        '  <Choices name="label" toName="text" choice="single-radio" showInline="true" '
        'required="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        '  <TextArea name="note" toName="text" placeholder="note (optional)" '
        'maxSubmissions="1" editable="true"/>\n'
        "</View>\n"
    )


def labelstudio_prediction(row: dict[str, Any], labels: Sequence[str],
                           model_version: str) -> dict[str, Any]:
    """The model's guess for a queue row as a Label Studio pre-annotation: its most
    probable label, scored by that label's probability."""
    scores = {label: float(row[f"p_{label}"]) for label in labels}
    guess = max(labels, key=scores.__getitem__)
    return {"model_version": model_version, "score": scores[guess],
            "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                        "value": {"choices": [guess]}}]}


def write_queue(paths: QueuePaths, rows: Sequence[dict[str, Any]], labels: Sequence[str],
                model_version: str, delimiter: str = ",") -> None:
    """The queue as CSV (BOM; blank label and note), Label Studio tasks with the model's
    guesses (``model_version``: name/version) and the config."""
    probability_columns = [f"p_{label}" for label in labels]
    header = (*BASE_COLUMNS, *probability_columns, NOTE_COLUMN)
    text_columns = {"text", "heading_path", "file", "kommun"}
    table = [[spreadsheet_safe(str(row.get(column, ""))) if column in text_columns
              else row.get(column, "") for column in header] for row in rows]
    with atomic_open(paths.csv, encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
    tasks = [{"data": {column: row.get(column, "") for column in header
                       if column not in ("label", NOTE_COLUMN)},
              "predictions": [labelstudio_prediction(row, labels, model_version)]}
             for row in rows]
    write_json_atomic(paths.labelstudio_json, tasks)
    write_text_atomic(paths.labelstudio_xml, labelstudio_config(labels))


def suggest(run_dir: Path, n: int, out: Path, labels_dir: Path | None = None,
            model_dir: Path | None = None, force: bool = False, pool_factor: int = 5,
            delimiter: str = ",") -> SuggestResult:
    """Write an annotation queue of up to ``n`` paragraphs of ``run_dir`` (see the module
    docstring for how they are chosen)."""
    if n < 1:
        raise MrpError(f"--n {n}: must be at least 1")
    if pool_factor < 1:
        raise MrpError(f"--pool-factor {pool_factor}: must be at least 1")
    if delimiter not in (",", ";"):
        raise MrpError(f"--delimiter {delimiter!r}: use ',' or ';'")
    paths = queue_paths(out)
    for path in paths.all():
        refuse_overwrite(path, force)
    labels = Schema.load().labels
    labelled = labelled_texts(Path(labels_dir) if labels_dir else default_labels_dir())
    paragraphs, stored = read_run_paragraphs(Path(run_dir), labels,
                                             need_probabilities=model_dir is None)
    if model_dir is None:
        probabilities, model_version = stored, run_model(Path(run_dir))
    else:
        probabilities, model_version = _score(model_dir, paragraphs, labels)

    index = NearDuplicateIndex()
    for text in sorted(labelled):
        index.add(text)
    n_labelled = len(index)
    pool: list[int] = []
    already_labelled = near_duplicates = 0
    for row in uncertainty_order(probabilities):
        paragraph = paragraphs[int(row)]
        if not paragraph.text.strip():
            continue
        match = index.add(paragraph.text)
        if match is None:
            pool.append(int(row))
            if len(pool) >= pool_factor * n:
                break
        elif match < n_labelled:
            already_labelled += 1
        else:
            near_duplicates += 1

    table = municipalities()
    group_of = [table[p.kommunkod].kommungrupp_code if p.kommunkod in table else UNKNOWN_GROUP
                for p in paragraphs]
    municipality_of = [p.kommunkod or f"file:{p.file}" for p in paragraphs]
    picked = spread(pool, group_of, municipality_of, n)
    if len(picked) < n:
        log.warning("only %d paragraphs to suggest (asked for %d)", len(picked), n)
    rows = []
    for item in picked:
        paragraph = paragraphs[item]
        municipality = table.get(paragraph.kommunkod)
        rows.append({
            "id": paragraph_id(paragraph.kommunkod, paragraph.year, paragraph.text),
            "text": paragraph.text, "label": "",
            "heading_path": HEADING_SEPARATOR.join(paragraph.heading_path),
            "kommunkod": paragraph.kommunkod,
            "kommun": municipality.kommun if municipality else "", "year": paragraph.year,
            "file": paragraph.file, "page": paragraph.page, NOTE_COLUMN: "",
            **{f"p_{label}": f"{float(p):.4f}"
               for label, p in zip(labels, probabilities[item], strict=True)},
        })
    write_queue(paths, rows, labels, model_version, delimiter)
    return SuggestResult(
        paths=paths, queued=len(rows), paragraphs=len(paragraphs),
        already_labelled=already_labelled, near_duplicates=near_duplicates,
        municipalities=len({municipality_of[i] for i in picked}),
        kommungrupper=len({group_of[i] for i in picked}))


def run_model(run_dir: Path) -> str:
    """The name/version of the model that classified a run (from its summary.json)."""
    model = RunOutputs(run_dir).read_summary(("model",))["model"]
    return f"{model['name']}/{model['version']}"


def _score(model_dir: Path, paragraphs: Sequence[ParagraphRow], labels: Sequence[str]
           ) -> tuple[np.ndarray, str]:
    """The paragraphs' probabilities by ``model_dir`` in ``labels`` order, and its
    name/version."""
    from mrp_classify.inference.model import Classifier, ModelInput

    classifier = Classifier(model_dir)
    if sorted(classifier.labels) != sorted(labels):
        raise MrpError(f"{model_dir}: the model's labels {list(classifier.labels)} are not the "
                       f"schema's {list(labels)}")
    probabilities = classifier.predict_proba(
        [ModelInput(p.text, p.heading_path, p.kind) for p in paragraphs])
    order = [classifier.labels.index(label) for label in labels]
    return np.asarray(probabilities[:, order], dtype=np.float64), classifier.meta.ref
