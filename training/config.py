"""Training configuration: a frozen, validated dataclass loaded from TOML.

Precedence: defaults < TOML file < command-line overrides. The resolved
configuration is saved into the model folder's model.json.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError


@dataclass(frozen=True)
class TrainConfig:
    # data
    labels: tuple[str, ...] = ("labels",)
    # Plan folders (labels/documents/...): their reader units join training, form the
    # style-disjoint validation fold, or are only reported (the locked test set).
    documents: tuple[str, ...] = ()
    validation_documents: tuple[str, ...] = ()
    style_test_documents: tuple[str, ...] = ()
    # Annotators whose paragraphs form the style-disjoint validation fold (empty: a
    # label-stratified group fold of the training groups).
    validation_annotators: tuple[str, ...] = ()
    test_fraction: float = 0.15
    validation_fraction: float = 0.15
    split_salt: str = "mrp-split-v1"
    # model
    base_model: str = "e5-small-offline"
    max_length: int = 256
    train_max_length: int = 0
    window_stride: int = 64
    encoder_layers: int = 0
    # "text": the unit's text alone; "heading+kind": its nearest headings and kind too.
    input_context: str = "text"
    # Share of training units shown without their context, so the model also reads
    # paragraphs that come without headings (predict on bare JSONL).
    context_dropout: float = 0.3
    # optimisation
    epochs: int = 6
    patience: int = 2
    batch_size: int = 16
    learning_rate: float = 6e-5
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    dropout: float = 0.1
    class_weights: bool = True
    # Class weights ∝ (1 / frequency) ** power: 1 balances the classes, 0.5 halves the push
    # toward rare labels (fewer false goals among thousands of none units).
    class_weight_power: float = 1.0
    freeze_embeddings: bool = True
    freeze_layers: int = 0
    seed: int = 13
    threads: int = 0
    # export
    prune_max_pieces: int = 50000
    quantize_per_channel: bool = True
    # 7-bit weights: no x86 kernel can saturate, so every CPU computes the same integers.
    quantize_reduce_range: bool = True
    graph_optimization: str = "basic"
    parity_tolerance: float = 2e-3
    min_int8_agreement: float = 0.99
    max_fp32_groups: int = 4
    max_onnx_mb: float = 56.0
    # A cheap first stage (TF-IDF + logistic regression) that settles clear none units before
    # the encoder, its threshold chosen on the validation plans (training/cascade.py).
    cascade: bool = False
    # output
    name: str = "mrp-e5-small"
    version: str = ""

    def __post_init__(self) -> None:
        checks = [
            (0 < self.test_fraction < 0.5, "test_fraction must be in (0, 0.5)"),
            (0 < self.validation_fraction < 0.5, "validation_fraction must be in (0, 0.5)"),
            (16 <= self.max_length <= 512, "max_length must be in [16, 512]"),
            (0 <= self.window_stride < self.max_length, "window_stride must be < max_length"),
            (0 <= self.train_max_length <= self.max_length,
             "train_max_length must be in [0, max_length] (0 = max_length)"),
            (self.freeze_layers >= 0, "freeze_layers must be >= 0"),
            (self.encoder_layers >= 0, "encoder_layers must be >= 0 (0 = all of the base "
             "model's layers)"),
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.patience >= 1, "patience must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.learning_rate > 0 and self.head_learning_rate > 0, "learning rates must be > 0"),
            (0 <= self.warmup_ratio < 1, "warmup_ratio must be in [0, 1)"),
            (0 <= self.dropout < 1, "dropout must be in [0, 1)"),
            (self.prune_max_pieces >= 0, "prune_max_pieces must be >= 0 (0 = no pruning)"),
            (0 < self.min_int8_agreement <= 1, "min_int8_agreement must be in (0, 1]"),
            (self.input_context in ("text", "heading+kind"),
             "input_context must be 'text' or 'heading+kind'"),
            (0 <= self.context_dropout <= 1, "context_dropout must be in [0, 1]"),
            (self.graph_optimization in ("disabled", "basic", "extended", "all"),
             "graph_optimization must be disabled, basic, extended or all"),
            (bool(self.name.strip()) and "/" not in self.name, "name must be a non-empty word"),
            (not self.cascade or bool(self.validation_documents),
             "cascade = true needs validation_documents: its threshold is chosen on those plans"),
        ]
        for ok, message in checks:
            if not ok:
                raise MrpError(f"training config: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}


def _coerce(name: str, value: Any, source: str) -> Any:
    default: Any = {f.name: f.default for f in fields(TrainConfig)}[name]
    if isinstance(default, tuple):
        if isinstance(value, str):
            value = [part for part in value.split(",") if part]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise MrpError(f"{source}: '{name}' must be a list of strings")
        return tuple(value)
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        if not isinstance(value, bool):
            raise MrpError(f"{source}: '{name}' must be true or false")
        return value
    try:
        return type(default)(value)
    except (TypeError, ValueError) as exc:
        expected = type(default).__name__
        raise MrpError(f"{source}: '{name}' must be {expected}, got {value!r}") from exc


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the TOML file (its [train] table or top level), then overrides."""
    known = {f.name for f in fields(TrainConfig)}
    values: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise MrpError(f"{path}: config file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise MrpError(f"{path}: invalid TOML ({exc})") from exc
        table = raw.get("train", raw)
        for key, value in table.items():
            if key not in known:
                raise MrpError(f"{path}: unknown setting '{key}' "
                               f"(known: {', '.join(sorted(known))})")
            values[key] = _coerce(key, value, str(path))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in known:
            raise MrpError(f"--set {key}: unknown setting (known: {', '.join(sorted(known))})")
        values[key] = _coerce(key, value, f"--set {key}")
    return TrainConfig(**values)


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``key=value`` strings from repeated ``--set`` options."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MrpError(f"--set {pair}: expected KEY=VALUE")
        result[key.strip()] = value.strip()
    return result


def config_to_toml(config: TrainConfig) -> str:
    """The resolved config as a TOML file that `load_config` reads back to the same object."""
    lines = ["# Resolved training configuration of this model.", "[train]"]
    for key, value in config.to_dict().items():
        if isinstance(value, list):
            rendered = "[" + ", ".join(json.dumps(v) for v in value) + "]"
        elif isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, str):
            rendered = json.dumps(value)
        else:
            rendered = repr(value)
        lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"
