"""Fine-tuning a BERT-style encoder with a mean-pooling classification head.

Mean pooling over all tokens (special tokens included) matches how e5 was
trained; its checkpoint has no pooler. torch is imported here only: this
module is loaded by training commands, never by inference.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from mrp_classify.metrics import classification_report
from mrp_classify.numeric import class_weight_values, evenly_spread
from mrp_classify.training.config import TrainConfig

log = logging.getLogger(__name__)


class MeanPoolClassifier(nn.Module):
    def __init__(self, encoder: Any, n_labels: int, dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(int(encoder.config.hidden_size), n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))




def keep_layers(encoder: Any, count: int) -> list[int]:
    """Keep ``count`` of the encoder's layers, evenly spread and the last included; return
    their original indices.

    A smaller network for speed: every other layer of a 12-layer model (as DistilBERT
    is initialised) keeps most of what fine-tuning needs at half the operations.
    """
    layers = encoder.encoder.layer
    chosen = evenly_spread(len(layers), count)
    encoder.encoder.layer = nn.ModuleList(layers[i] for i in chosen)
    encoder.config.num_hidden_layers = count
    return chosen


CHECKPOINT_JSON = "checkpoint.json"
HEAD_FILE = "head.safetensors"


def save_checkpoint(model: MeanPoolClassifier, tokenizer_json: str, folder: Path,
                    info: dict[str, Any]) -> None:
    """The fine-tuned PyTorch model, for comparisons with the ONNX path (benchmarks).

    Written to the cache, not the model folder: it is four times the size of the int8
    model and inference never needs it.
    """
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(folder / "encoder")
    save_file({k: v.contiguous() for k, v in model.head.state_dict().items()},
              str(folder / HEAD_FILE))
    (folder / "tokenizer.json").write_text(tokenizer_json, encoding="utf-8")
    (folder / CHECKPOINT_JSON).write_text(json.dumps(info, indent=2), encoding="utf-8")


def load_checkpoint(folder: Path) -> tuple[MeanPoolClassifier, dict[str, Any]]:
    from safetensors.torch import load_file
    from transformers import AutoModel

    info = json.loads((folder / CHECKPOINT_JSON).read_text(encoding="utf-8"))
    model = MeanPoolClassifier(AutoModel.from_pretrained(folder / "encoder"),
                               len(info["labels"]), 0.0)
    model.head.load_state_dict(load_file(str(folder / HEAD_FILE)))
    return model.eval(), info


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pad_batch(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def length_grouped_batches(lengths: Sequence[int], batch_size: int,
                           rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: less padding, still a random order of batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 32
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def predict_logits(model: MeanPoolClassifier, sequences: Sequence[Sequence[int]], pad_id: int,
                   batch_size: int = 64) -> np.ndarray:
    model.eval()
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    out = np.zeros((len(sequences), int(model.head.out_features)), dtype=np.float32)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        ids, mask = pad_batch([sequences[i] for i in batch], pad_id)
        out[batch] = model(ids, mask).float().numpy()
    return out


def class_weights(y: Sequence[int], n_labels: int, power: float = 1.0) -> torch.Tensor:
    return torch.tensor(class_weight_values(y, n_labels, power), dtype=torch.float32)


@dataclass
class FitResult:
    model: MeanPoolClassifier
    best_epoch: int
    history: list[dict[str, Any]]
    seconds: float


def fit(model: MeanPoolClassifier, train_ids: Sequence[Sequence[int]], train_y: Sequence[int],
        val_ids: Sequence[Sequence[int]], val_y: Sequence[int], labels: Sequence[str],
        pad_id: int, config: TrainConfig,
        on_epoch: Callable[[dict[str, Any]], None] | None = None) -> FitResult:
    """AdamW with linear warm-up/decay; keeps the epoch with the best validation macro-F1."""
    seed_everything(config.seed)
    if config.freeze_embeddings or config.freeze_layers:
        # The embedding matrix is most of the parameters; freezing it roughly doubles speed on
        # a CPU and keeps pieces unseen in training aligned with the pre-trained space.
        for parameter in model.encoder.embeddings.parameters():
            parameter.requires_grad = False
    # Frozen bottom layers need no backward pass: the cheapest way to fit the 2-core budget.
    for layer in model.encoder.encoder.layer[: config.freeze_layers]:
        for parameter in layer.parameters():
            parameter.requires_grad = False
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW([
        {"params": encoder_params, "lr": config.learning_rate},
        {"params": list(model.head.parameters()), "lr": config.head_learning_rate},
    ], weight_decay=config.weight_decay)
    rng = random.Random(config.seed)
    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup_ratio * total_steps))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    loss_fn = nn.CrossEntropyLoss(
        weight=class_weights(train_y, len(labels), config.class_weight_power)
        if config.class_weights else None)
    lengths = [len(s) for s in train_ids]
    best_f1, best_epoch, best_state = -1.0, 0, copy.deepcopy(model.state_dict())
    history: list[dict[str, Any]] = []
    started = time.perf_counter()
    progress = tqdm(total=total_steps, desc="training", unit="step", file=sys.stderr,
                    disable=not sys.stderr.isatty(), dynamic_ncols=True)
    # Without a terminal (CI, nohup, a benchmark) the bar is off: log progress instead.
    log_every = max(1, total_steps // 20) if progress.disable else 0
    step = 0
    epochs_without_gain = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        running = 0.0
        batches = length_grouped_batches(lengths, config.batch_size, rng)
        for n, batch in enumerate(batches, start=1):
            ids, mask = pad_batch([train_ids[i] for i in batch], pad_id)
            target = torch.tensor([train_y[i] for i in batch], dtype=torch.long)
            loss = loss_fn(model(ids, mask), target)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += float(loss.detach())
            progress.update(1)
            progress.set_postfix(epoch=epoch, loss=f"{running / n:.4f}")
            step += 1
            if log_every and step % log_every == 0:
                elapsed = time.perf_counter() - started
                log.info("step %d/%d, epoch %d, loss %.4f, %.0f s elapsed, ETA %.0f s (all "
                         "epochs)", step, total_steps, epoch, running / n, elapsed,
                         elapsed / step * (total_steps - step))
        val_logits = predict_logits(model, val_ids, pad_id)
        report = classification_report(val_y, val_logits, labels)
        entry = {"epoch": epoch, "train_loss": running / max(1, len(batches)),
                 "val_macro_f1": report["macro_f1"],
                 "elapsed_s": round(time.perf_counter() - started, 1)}
        history.append(entry)
        log.info("epoch %d: train loss %.4f, validation macro-F1 %.4f (%.0f s)", epoch,
                 entry["train_loss"], entry["val_macro_f1"], entry["elapsed_s"])
        if on_epoch:
            on_epoch(entry)
        if report["macro_f1"] > best_f1:
            best_f1, best_epoch = report["macro_f1"], epoch
            best_state = copy.deepcopy(model.state_dict())
            epochs_without_gain = 0
        else:
            epochs_without_gain += 1
            if epochs_without_gain >= config.patience:
                log.info("early stopping: no validation gain for %d epochs", config.patience)
                break
    progress.close()
    model.load_state_dict(best_state)
    model.eval()
    return FitResult(model, best_epoch, history, time.perf_counter() - started)
