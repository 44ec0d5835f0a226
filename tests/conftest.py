"""Tiny, real models for fast tests: nothing is downloaded.

A Unigram tokenizer is trained on fixture text and a 2-layer BERT with random
weights is built from a config; the real training pipeline turns them into a
model folder once per test session.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

NONE_TEXTS = [
    "Kommunens resultat för {y} beräknas till {n} mnkr, vilket motsvarar två procent av skatteintäkterna.",
    "Förskolan ska erbjuda en trygg miljö där barnen utvecklas, och barngrupperna ska minska till {n} barn.",
    "Nämnden får i uppdrag att se över lokalförsörjningen i {k} för att minska hyreskostnaderna.",
    "Omvärlden digitaliseras snabbt och invånarnas förväntningar förändras, visar rapporter från {y}.",
    "Ansökan om plats görs via kommunens webbplats eller på medborgarkontoret i {k}.",
    "Sjukfrånvaron bland medarbetarna ska sänkas till {n} procent genom ett bättre arbetsmiljöarbete.",
    "Under {y} byggdes tre nya förskolor och gång- och cykelvägnätet förlängdes med {n} kilometer.",
    "IT-kostnader {n},4 mnkr, licenser {n},1 mnkr.",
]
INTERNAL_TEXTS = [
    "Automatisering med RPA ska frigöra tid för handläggarna i {k} och sänka kostnaderna med {n} mnkr.",
    "Informationssäkerheten ska stärkas och alla medarbetare ska genomgå utbildning i IT-säkerhet {y}.",
    "Ett nytt ärendehanteringssystem införs {y} för att effektivisera de interna arbetsprocesserna.",
    "Digitaliseringen av verksamheten ska ge en effektivare organisation med {n} procent lägre kostnad.",
    "E-arkiv införs under {y} och pappersarkiven i {k} avvecklas stegvis.",
]
CITIZEN_TEXTS = [
    "Fler e-tjänster ska göra det enkelt för invånarna i {k} att söka bygglov dygnet runt.",
    "Välfärdsteknik som nattkameror ger brukarna ökad trygghet och självständighet under {y}.",
    "Alla elever får en egen lärplatta och den digitala undervisningen stärks i {k}.",
    "Bredband ska nå {n} procent av hushållen och företagen på landsbygden senast {y}.",
    "Digital delaktighet: biblioteken ska hjälpa äldre invånare att använda e-legitimation.",
]
PLACES = ["Ale", "Bjuv", "Gnosjö", "Kiruna", "Lund", "Mora", "Sala", "Tanum", "Umeå", "Vara",
          "Åmål", "Ödeshög"]


def fixture_records(n_groups: int = 30, seed: int = 0) -> list[dict]:
    """Labelled paragraphs in many municipality groups, so every split gets some."""
    rng = random.Random(seed)
    records = []
    for group in range(n_groups):
        code = f"{1000 + group:04d}"
        for label, pool in (("none", NONE_TEXTS), ("none", NONE_TEXTS),
                            ("internal_efficiency", INTERNAL_TEXTS),
                            ("citizen_facing", CITIZEN_TEXTS)):
            template = rng.choice(pool)
            text = template.format(y=2018 + group % 8, n=rng.randint(2, 99),
                                   k=rng.choice(PLACES)) + f" (avsnitt {group}.{len(records)})"
            records.append({"id": f"t-{len(records):04d}", "text": text, "label": label,
                            "municipality_code": code, "doc_id": f"doc-{code}"})
    return records


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")
    return path


def build_tiny_base(folder: Path, texts: list[str]) -> Path:
    """A 2-layer random BERT and a Unigram tokenizer trained on `texts`, as a HF folder."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import UnigramTrainer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = UnigramTrainer(vocab_size=600, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                             unk_token="<unk>")
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>",
                                   pad_token="<pad>", unk_token="<unk>", cls_token="<s>",
                                   sep_token="</s>", model_max_length=512)
    fast.save_pretrained(folder)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), hidden_size=32,
                        num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                        max_position_embeddings=512, pad_token_id=1)
    torch.manual_seed(0)  # the same random BERT every session: test outcomes stay put
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    return folder


def pytest_configure(config: pytest.Config) -> None:
    # Converted base models and checkpoints go to a throwaway cache, never the user's.
    import os
    import tempfile

    os.environ.setdefault("MRP_CLASSIFY_CACHE", tempfile.mkdtemp(prefix="mrp-test-cache-"))


@pytest.fixture(scope="session")
def tiny_labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("labels")
    write_jsonl(folder / "fixture.jsonl", fixture_records())
    return folder


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = [r["text"] for r in fixture_records(60, seed=1)]
    return build_tiny_base(tmp_path_factory.mktemp("tiny-base"), texts)


@pytest.fixture(scope="session")
def tiny_models_root(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path,
                     tiny_labels: Path) -> Path:
    """A model registry holding one model trained by the real pipeline on the tiny base."""
    from mrp_classify.training.config import TrainConfig
    from mrp_classify.training.pipeline import train_and_package

    root = tmp_path_factory.mktemp("models")
    config = TrainConfig(labels=(str(tiny_labels),), base_model=str(tiny_base), max_length=48,
                         window_stride=16, epochs=6, batch_size=8, learning_rate=2e-3,
                         head_learning_rate=5e-3, freeze_embeddings=False, prune_max_pieces=300,
                         name="tiny", threads=1)
    train_and_package(config, root)
    return root


@pytest.fixture(scope="session")
def tiny_model(tiny_models_root: Path) -> Path:
    return tiny_models_root / "tiny" / "v1"


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A model folder for runs with a fake classifier: model.json and placeholders."""
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({
        "format_version": 1, "name": "fake", "version": "v1",
        "labels": ["none", "internal_efficiency", "citizen_facing"],
        "max_length": 64,
    }), encoding="utf-8")
    (folder / "model.onnx").write_bytes(b"not a real model")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    return folder
