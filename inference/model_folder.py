"""The model folder: one typed owner of ``model.json`` and the files beside it.

A model folder holds ``model.onnx`` (the network), ``tokenizer.json``,
``model.json`` (``ModelMeta`` below), the resolved ``train-config.toml`` and a
generated ``README.md`` card. ``ModelFolder.load`` and ``ModelFolder.save``
sit side by side and are each other's inverse; training builds a folder in
memory (``with_network``, ``with_meta``) and evaluates it before anything is
written, and inference reads nothing else.

The label order comes from ``model.json`` and is never re-derived.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError

MODEL_JSON = "model.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CARD_FILE = "README.md"
CONFIG_FILE = "train-config.toml"
FORMAT_VERSION = 2
READABLE_FORMATS = (1, 2)

# The network's signature: export writes it, the export check and the classifier feed it.
ONNX_INPUTS = ("input_ids", "attention_mask")
ONNX_OUTPUT = "logits"

CONTEXT_TEXT = "text"
CONTEXT_HEADING_KIND = "heading+kind"
CONTEXTS = (CONTEXT_TEXT, CONTEXT_HEADING_KIND)
# Only the nearest headings carry meaning for a unit; a long path would eat the window.
CONTEXT_HEADINGS = 2
CONTEXT_MAX_WORDS = 24
_KIND_WORDS = {"list": "Punkt", "table_row": "Tabellrad", "table_goal": "Tabellrad",
               "heading": "Rubrik", "toc": "Innehåll"}


class ModelFolderError(MrpError):
    pass


@dataclass(frozen=True)
class InputFormat:
    """How a unit becomes the model's input text (applied alike in training and inference).

    ``text``: the prefix and the unit's text. ``heading+kind``: the prefix, the nearest
    headings and the kind of unit ("Punkt", "Tabellrad"…) on a line of their own, then
    the text; a unit without headings or kind gets the text alone.
    """

    text_prefix: str = ""
    context: str = CONTEXT_TEXT

    def render(self, text: str, heading_path: Sequence[str] = (), kind: str = "") -> str:
        if self.context == CONTEXT_TEXT:
            return self.text_prefix + text
        parts = []
        kind_word = _KIND_WORDS.get(kind)
        if kind_word:
            parts.append(kind_word)
        headings = [h for h in heading_path if h][-CONTEXT_HEADINGS:]
        if headings:
            words = " > ".join(headings).split()
            parts.append(" ".join(words[-CONTEXT_MAX_WORDS:]))
        if not parts:
            return self.text_prefix + text
        return f"{self.text_prefix}[{' | '.join(parts)}]\n{text}"

    def to_json(self) -> dict[str, Any]:
        return {"text_prefix": self.text_prefix, "context": self.context}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> InputFormat:
        context = str(raw.get("context", CONTEXT_TEXT))
        if context not in CONTEXTS:
            raise ValueError(f"input_format.context {context!r} is not one of {CONTEXTS}")
        return cls(str(raw.get("text_prefix", "")), context)


@dataclass(frozen=True)
class ModelMeta:
    """``model.json``: what inference needs (top block) and how the model was made."""

    name: str
    version: str
    labels: tuple[str, ...]
    max_length: int
    window_stride: int
    input_format: InputFormat
    temperature: float = 1.0
    onnx_file: str = ONNX_FILE
    onnx_inputs: tuple[str, ...] = ONNX_INPUTS
    onnx_output: str = ONNX_OUTPUT
    graph_optimization: str = "basic"
    pooling: str = "mean over all tokens (in the ONNX graph)"
    label_definitions: Mapping[str, str] = field(default_factory=dict)
    profile_decision: Mapping[str, Any] = field(default_factory=dict)
    cascade: Mapping[str, Any] = field(default_factory=dict)
    base_model: Mapping[str, Any] = field(default_factory=dict)
    training_data: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    export: Mapping[str, Any] = field(default_factory=dict)
    timing: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    library_versions: Mapping[str, str] = field(default_factory=dict)
    created: str = ""
    format_version: int = FORMAT_VERSION

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def text_prefix(self) -> str:
        return self.input_format.text_prefix

    def test_macro_f1(self) -> float | None:
        value = (self.metrics.get("test") or {}).get("macro_f1")
        return float(value) if value is not None else None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format_version": self.format_version}
        for item in dataclasses.fields(self):
            if item.name == "format_version":
                continue
            value = getattr(self, item.name)
            if isinstance(value, InputFormat):
                value = value.to_json()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = _plain(value)
            data[item.name] = value
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, raw: Any, source: str = MODEL_JSON) -> ModelMeta:
        if not isinstance(raw, dict):
            raise ModelFolderError(f"{source}: not a JSON object")
        version = raw.get("format_version")
        if version not in READABLE_FORMATS:
            raise ModelFolderError(
                f"{source}: format_version {version!r} is not one of {READABLE_FORMATS}; "
                "re-export the model with this version of mrp-classify")
        try:
            if version == 1:
                input_format = InputFormat(str(raw.get("text_prefix", "")))
            else:
                input_format = InputFormat.from_json(raw["input_format"])
            meta = cls(
                name=str(raw.get("name", "")), version=str(raw.get("version", "")),
                labels=tuple(str(label) for label in raw["labels"]),
                max_length=int(raw["max_length"]),
                window_stride=int(raw.get("window_stride", int(raw["max_length"]) // 4)),
                input_format=input_format,
                temperature=float(raw.get("temperature", 1.0)),
                onnx_file=str(raw.get("onnx_file", ONNX_FILE)),
                onnx_inputs=tuple(raw.get("onnx_inputs", ONNX_INPUTS)),
                onnx_output=str(raw.get("onnx_output", ONNX_OUTPUT)),
                graph_optimization=str(raw.get("graph_optimization",
                                               "all" if version == 1 else "basic")),
                pooling=str(raw.get("pooling", "")),
                **{name: dict(raw.get(name) or {}) for name in _MAPPINGS},
                created=str(raw.get("created", "")),
                format_version=FORMAT_VERSION,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFolderError(f"{source}: missing or invalid field ({exc})") from exc
        if meta.temperature <= 0:
            raise ModelFolderError(f"{source}: temperature must be positive")
        if not meta.labels:
            raise ModelFolderError(f"{source}: 'labels' is empty")
        if meta.graph_optimization not in GRAPH_OPTIMIZATIONS:
            raise ModelFolderError(f"{source}: graph_optimization must be one of "
                                   f"{', '.join(GRAPH_OPTIMIZATIONS)}")
        return meta


GRAPH_OPTIMIZATIONS = ("disabled", "basic", "extended", "all")
_MAPPINGS = ("label_definitions", "profile_decision", "cascade", "base_model", "training_data",
             "metrics", "export", "timing", "config", "library_versions")


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ModelFolder:
    """A model folder, on disk (``path``) or in memory.

    ``network`` is the ONNX model as a file or as bytes; ``files`` holds the other
    files by name (the card, the resolved config, a cascade stage...).
    """

    meta: ModelMeta
    tokenizer_json: str
    network: Path | bytes
    files: Mapping[str, bytes] = field(default_factory=dict)
    path: Path | None = None

    @classmethod
    def load(cls, path: Path) -> ModelFolder:
        path = Path(path)
        meta_path = path / MODEL_JSON
        if not meta_path.is_file():
            raise ModelFolderError(
                f"{meta_path}: not found; --model must point at a model folder with model.json, "
                "model.onnx and tokenizer.json (e.g. the bundled models/ default)")
        try:
            raw = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ModelFolderError(f"{meta_path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
        meta = ModelMeta.from_json(raw, str(meta_path))
        tokenizer_path = path / TOKENIZER_FILE
        network = path / meta.onnx_file
        for required in (tokenizer_path, network):
            if not required.is_file():
                raise ModelFolderError(f"{required}: not found; the model folder is incomplete")
        known = {MODEL_JSON, TOKENIZER_FILE, meta.onnx_file}
        files = {p.name: p.read_bytes() for p in sorted(path.iterdir())
                 if p.is_file() and p.name not in known and not p.name.startswith(".")}
        return cls(meta, tokenizer_path.read_text(encoding="utf-8"), network, files, path)

    def network_bytes(self) -> bytes:
        return self.network if isinstance(self.network, bytes) else Path(self.network).read_bytes()

    def save(self, path: Path) -> Path:
        """Write the folder at ``path``, which must not exist: built beside it, then renamed."""
        path = Path(path)
        if path.exists():
            raise ModelFolderError(f"{path}: already exists; a model version is never "
                                   "overwritten (choose another version)")
        path.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
        try:
            work.chmod(0o755)
            (work / MODEL_JSON).write_text(self.meta.dumps(), encoding="utf-8")
            (work / TOKENIZER_FILE).write_text(self.tokenizer_json, encoding="utf-8")
            if isinstance(self.network, bytes):
                (work / self.meta.onnx_file).write_bytes(self.network)
            else:
                shutil.copyfile(self.network, work / self.meta.onnx_file)
            for name, content in self.files.items():
                (work / name).write_bytes(content)
            os.replace(work, path)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return path

    # A changed folder is no longer the one on disk: it lives in memory until saved.
    def with_meta(self, **changes: Any) -> ModelFolder:
        return dataclasses.replace(self, meta=dataclasses.replace(self.meta, **changes),
                                   path=None)

    def with_network(self, network: Path | bytes) -> ModelFolder:
        return dataclasses.replace(self, network=network, path=None)

    def with_files(self, **files: bytes) -> ModelFolder:
        return dataclasses.replace(self, files={**self.files, **files}, path=None)

    def fingerprint(self) -> str:
        """sha256 over the network and model.json: a new export never reuses old results."""
        digest = hashlib.sha256()
        if isinstance(self.network, bytes):
            digest.update(self.network)
        else:
            with open(self.network, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        if self.path is not None and (self.path / MODEL_JSON).is_file():
            digest.update((self.path / MODEL_JSON).read_bytes())
        else:
            digest.update(self.meta.dumps().encode("utf-8"))
        for name in sorted(self.files):
            if name not in (CARD_FILE, CONFIG_FILE):
                digest.update(name.encode("utf-8"))
                digest.update(self.files[name])
        return digest.hexdigest()
