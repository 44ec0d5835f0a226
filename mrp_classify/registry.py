"""The model registry: list versions, compare two on the same test split, promote one.

A registry is ``models_root()``: ``<name>/<version>/`` model folders and a
``DEFAULT`` file naming the default as ``name/version``. Training adds
versions and only sets ``DEFAULT`` when there is none; ``promote`` is the one
way to change it, and it rewrites the file atomically.

Comparisons and promotions evaluate the models now, on the current labels
(``labels/``, not ``agreement/``), never with the figures copied into
``model.json``: both models see the same test paragraphs, those whose group
(municipality, else document) the stable hash puts in the test split of the
reference model's training config (``split_salt``, ``test_fraction``), i.e.
``splits.SplitSpec``, which needs no training extra. ``compare``
uses model A's split, ``promote`` the candidate's, so the model that claims
to be better is never scored on its own training data.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mrp_classify.errors import MrpError
from mrp_classify.evaluation import RecordEvaluation, evaluate_records
from mrp_classify.inference.model_folder import MODEL_JSON, ModelFolder
from mrp_classify.inference.outputs import DOCUMENTS_FILE, RunOutputs
from mrp_classify.labelset import Record, default_labels_dir, load_valid
from mrp_classify.paths import (
    DEFAULT_POINTER,
    models_root,
    read_default_pointer,
    write_default_pointer,
)
from mrp_classify.splits import SplitSpec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelVersion:
    """One model folder of the registry, as its model.json describes it."""

    name: str
    version: str
    path: Path
    default: bool
    created: str
    data_hash: str
    size_bytes: int
    test_macro_f1: float | None

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"


def _version_key(version: str) -> tuple[int, int | str]:
    return (0, int(version[1:])) if version[:1] == "v" and version[1:].isdigit() else (1, version)


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def default_ref(root: Path | None = None) -> str | None:
    """The ``name/version`` in ``DEFAULT``, or None when no default is set."""
    return read_default_pointer(root or models_root())


def next_version(root: Path, name: str) -> str:
    """The next free ``vN`` of model ``name``: a new version never reuses a number."""
    numbers = [int(p.name[1:]) for p in (root / name).glob("v*") if p.name[1:].isdigit()]
    return f"v{max(numbers, default=0) + 1}"


def list_versions(root: Path | None = None) -> list[ModelVersion]:
    """Every ``<name>/<version>/model.json`` under the registry, by name and version."""
    root = root or models_root()
    current = default_ref(root)
    versions = []
    for info_path in root.glob(f"*/*/{MODEL_JSON}"):
        folder = info_path.parent
        if folder.name.startswith(".") or folder.parent.name.startswith("."):
            continue  # a model still being written by training
        meta = ModelFolder.load(folder).meta
        versions.append(ModelVersion(
            name=folder.parent.name, version=folder.name, path=folder,
            default=f"{folder.parent.name}/{folder.name}" == current,
            created=meta.created,
            data_hash=str(meta.training_data.get("sha256", "")),
            size_bytes=_folder_bytes(folder),
            test_macro_f1=meta.test_macro_f1()))
    return sorted(versions, key=lambda v: (v.name, _version_key(v.version)))


def format_versions(versions: Sequence[ModelVersion], root: Path) -> str:
    if not versions:
        return f"no models under {root}; train one with 'mrp-classify train'"
    width = max(len(v.ref) for v in versions) + 2
    lines = [f"  {'model':<{width}}{'created':<27}{'data':<14}{'size MB':>8}"
             f"{'test macro-F1 (at training)':>29}"]
    for v in versions:
        f1 = "" if v.test_macro_f1 is None else f"{v.test_macro_f1:.3f}"
        lines.append(f"{'*' if v.default else ' '} {v.ref:<{width}}{v.created:<27}"
                     f"{v.data_hash[:12]:<14}{v.size_bytes / 1e6:>8.1f}{f1:>29}")
    lines.append("* = default (DEFAULT); change it with 'mrp-classify models promote'")
    return "\n".join(lines)


def resolve_model(spec: str, root: Path | None = None) -> Path:
    """A model folder from ``name/version``, a version alone when only one model has it,
    or a folder path."""
    root = root or models_root()
    if (root / spec / MODEL_JSON).is_file():
        return root / spec
    if (Path(spec) / MODEL_JSON).is_file():
        return Path(spec)
    matches = [v.path for v in list_versions(root) if v.version == spec]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(v.ref for v in list_versions(root)) or "none"
    reason = "names several models" if matches else "is not a model"
    raise MrpError(f"{spec}: {reason}; give name/version or a model folder (registry {root}: "
                   f"{known})")


def registry_ref(folder: Path, root: Path) -> str:
    """``name/version`` of a folder inside the registry (what DEFAULT holds)."""
    try:
        parts = folder.resolve().relative_to(root.resolve()).parts
    except ValueError:
        parts = ()
    if len(parts) != 2:
        raise MrpError(f"{folder}: not a model of the registry {root}; copy it to "
                       f"{root}/<name>/<version>/ first")
    return "/".join(parts)


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class HeldOutSplit:
    salt: str
    test_fraction: float
    records: tuple[Record, ...]

    def describe(self) -> str:
        groups = len({r.group for r in self.records})
        return (f"{len(self.records)} test paragraphs in {groups} groups "
                f"(split_salt {self.salt!r}, test_fraction {self.test_fraction})")


def _split_config(model_dir: Path) -> tuple[str, float]:
    spec = SplitSpec.from_config(ModelFolder.load(model_dir).meta.config,
                                 str(model_dir / MODEL_JSON))
    return spec.salt, spec.test_fraction


def held_out_split(model_dir: Path, labels: Path | None = None) -> HeldOutSplit:
    """The current labels whose group falls in the test split of ``model_dir``'s config."""
    salt, fraction = _split_config(model_dir)
    spec = SplitSpec(salt, fraction)
    records = load_valid([labels or default_labels_dir()])
    test = tuple(r for r in records if spec.in_test(r))
    if not test:
        raise MrpError(f"{labels or default_labels_dir()}: no labelled paragraph falls in the "
                       f"test split of {model_dir}; label paragraphs of more municipalities")
    return HeldOutSplit(salt, fraction, test)


def evaluate(model_dir: Path, records: Sequence[Record]) -> RecordEvaluation:
    """Metrics of a model on labelled records, through the inference code path."""
    return evaluate_records(model_dir, records)


# ---------------------------------------------------------------- compare


@dataclass(frozen=True)
class ProfileChange:
    kommunkod: str
    year: int
    kommun: str
    profile_a: str
    confidence_a: float
    profile_b: str
    confidence_b: float


@dataclass(frozen=True)
class RunComparison:
    run_dir: Path
    paragraphs: int
    paragraphs_changed: int
    profiles: int
    changes: tuple[ProfileChange, ...]


@dataclass(frozen=True)
class Comparison:
    a: str
    b: str
    split: HeldOutSplit
    split_note: str
    a_eval: RecordEvaluation
    b_eval: RecordEvaluation
    run: RunComparison | None

    @property
    def changed(self) -> Counter[tuple[str, str]]:
        return Counter((x, y) for x, y in zip(self.a_eval.predicted, self.b_eval.predicted,
                                              strict=True) if x != y)


def compare(a: Path, b: Path, labels: Path | None = None, run_dir: Path | None = None
            ) -> Comparison:
    """Both models on model A's test split and, with ``run_dir``, on that run's paragraphs."""
    split = held_out_split(a, labels)
    note = ""
    if _split_config(b) != (split.salt, split.test_fraction):
        salt, fraction = _split_config(b)
        note = (f"B was trained with another split (split_salt {salt!r}, test_fraction "
                f"{fraction}): some of these test paragraphs may be in B's training data")
    run = compare_on_run(a, b, run_dir) if run_dir is not None else None
    return Comparison(str(a), str(b), split, note, evaluate(a, split.records),
                      evaluate(b, split.records), run)


def compare_on_run(a: Path, b: Path, run_dir: Path) -> RunComparison:
    """Re-classify a run's units with both models and compare the municipality profiles
    that the run's aggregation rules give."""
    from mrp_classify.inference import aggregate
    from mrp_classify.inference.model import Classifier, ModelInput

    outputs = RunOutputs(Path(run_dir))
    paragraphs = list(outputs.read_paragraphs())
    documents = {row["file"]: (row.get("sha256") or row["file"], int(row.get("words") or 0))
                 for row in outputs.read_documents()} if outputs.path(
                     DOCUMENTS_FILE).is_file() else {}
    items = [ModelInput(p.text, p.heading_path, p.kind) for p in paragraphs]
    profiles = []
    predicted: list[list[str]] = []
    for model_dir in (a, b):
        classifier = Classifier(model_dir)
        aggregate.check_labels(classifier.labels)
        decision = aggregate.ProfileDecision.from_json(classifier.meta.profile_decision)
        probs = classifier.predict_proba(items)
        labels = classifier.labels
        unit_labels = [decision.unit_label(dict(zip(labels, row, strict=True))) for row in probs]
        predicted.append(unit_labels)
        by_file: dict[str, list[aggregate.ParagraphPrediction]] = defaultdict(list)
        for paragraph, row, label in zip(paragraphs, probs, unit_labels, strict=True):
            if not (paragraph.kommunkod and paragraph.year):
                continue  # not matched to a municipality-year: not in any profile
            by_file[paragraph.file].append(aggregate.ParagraphPrediction(
                paragraph.file, paragraph.page, paragraph.index, paragraph.heading_path,
                paragraph.text, label,
                {name: float(p) for name, p in zip(labels, row, strict=True)}))
        first = {p.file: p for p in paragraphs}
        predictions = []
        for file, units in by_file.items():
            sha256, words = documents.get(file, (file, 0))
            predictions.append(aggregate.DocumentPredictions(
                file=file, sha256=sha256, kommunkod=first[file].kommunkod,
                year=int(first[file].year), words=words, paragraphs=units))
        profiles.append({(profile.municipality.kommunkod, profile.year): profile
                         for profile in aggregate.aggregate(predictions, decision)})
    changes = []
    for key in sorted(profiles[0]):
        before, after = profiles[0][key], profiles[1][key]
        if before.profile != after.profile:
            changes.append(ProfileChange(*key, before.municipality.kommun, before.profile,
                                         before.confidence, after.profile, after.confidence))
    changed = sum(1 for x, y in zip(*predicted, strict=True) if x != y)
    return RunComparison(Path(run_dir), len(paragraphs), changed, len(profiles[0]),
                         tuple(changes))


def format_comparison(c: Comparison) -> str:
    labels = c.a_eval.report["confusion_matrix"]["labels"]
    ra, rb = c.a_eval.report, c.b_eval.report
    width = max(len(label) for label in labels) + 2
    lines = [f"A = {c.a}", f"B = {c.b}", f"test split of A: {c.split.describe()}"]
    if c.split_note:
        lines.append(f"note: {c.split_note}")
    lines.append(f"{'':<{width}}{'A':>8}{'B':>8}{'B - A':>9}")
    lines.append(f"{'macro-F1':<{width}}{ra['macro_f1']:>8.3f}{rb['macro_f1']:>8.3f}"
                 f"{rb['macro_f1'] - ra['macro_f1']:>+9.3f}")
    for label in labels:
        fa, fb = ra["per_class"][label]["f1"], rb["per_class"][label]["f1"]
        lines.append(f"{'F1 ' + label:<{width}}{fa:>8.3f}{fb:>8.3f}{fb - fa:>+9.3f}")
    changed = c.changed
    lines.append(f"test paragraphs whose label changes: {sum(changed.values())} of "
                 f"{len(c.split.records)}")
    for (x, y), count in sorted(changed.items()):
        lines.append(f"  {x} → {y}: {count}")
    if c.run is not None:
        run = c.run
        lines.append(f"{run.run_dir / 'paragraphs.csv'}: {run.paragraphs_changed} of "
                     f"{run.paragraphs} paragraphs change label; {len(run.changes)} of "
                     f"{run.profiles} municipality-year profiles change")
        for ch in run.changes:
            lines.append(f"  {ch.kommunkod} {ch.kommun} {ch.year}: {ch.profile_a} "
                         f"({ch.confidence_a:.2f}) → {ch.profile_b} ({ch.confidence_b:.2f})")
    return "\n".join(lines)


# ---------------------------------------------------------------- promote


@dataclass(frozen=True)
class Promotion:
    ref: str
    previous: str | None
    candidate_f1: float | None
    default_f1: float | None
    split: HeldOutSplit | None

    def describe(self) -> str:
        if self.previous == self.ref:
            return f"{self.ref} is already the default; nothing changed"
        text = f"{self.ref} is now the default (was {self.previous or 'none'})"
        if self.split is not None and self.candidate_f1 is not None:
            text += f"; test macro-F1 {self.candidate_f1:.3f}"
            if self.default_f1 is not None:
                text += f" vs {self.default_f1:.3f}"
            text += f" on {self.split.describe()}"
        elif self.previous is not None:
            text += "; not evaluated (--force)"
        return text


def promote(spec: str, root: Path | None = None, labels: Path | None = None,
            tolerance: float = 0.01, force: bool = False) -> Promotion:
    """Make a version the default unless its test macro-F1, evaluated now on its own test
    split, is below the current default's by more than ``tolerance`` (``force`` skips
    the evaluation)."""
    if tolerance < 0:
        raise MrpError(f"--tolerance {tolerance}: must be 0 or more")
    root = root or models_root()
    candidate = resolve_model(spec, root)
    ref = registry_ref(candidate, root)
    previous = default_ref(root)
    if previous == ref:
        return Promotion(ref, previous, None, None, None)
    candidate_f1 = default_f1 = None
    split = None
    if not force:
        split = held_out_split(candidate, labels)
        candidate_f1 = evaluate(candidate, split.records).report["macro_f1"]
        if previous is not None and (root / previous / MODEL_JSON).is_file():
            default_f1 = evaluate(root / previous, split.records).report["macro_f1"]
            if candidate_f1 < default_f1 - tolerance:
                raise MrpError(
                    f"{ref}: test macro-F1 {candidate_f1:.3f} is below the default {previous}'s "
                    f"{default_f1:.3f} by {default_f1 - candidate_f1:.3f} (more than the "
                    f"tolerance {tolerance}) on {split.describe()}; not promoted (--force to "
                    "promote it anyway)")
    write_default_pointer(root, ref)
    log.debug("%s → %s", root / DEFAULT_POINTER, ref)
    return Promotion(ref, previous, candidate_f1, default_f1, split)

