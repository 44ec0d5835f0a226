"""Vocabulary pruning on a tiny Unigram tokenizer trained here and a tiny random BERT."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pytest

from mrp_classify.errors import MrpError
from mrp_classify.training.vocab_prune import (
    METASPACE,
    prune_embeddings_in_place,
    prune_model_vocabulary,
    prune_vocabulary,
    tokenisation_agreement,
)

TRAIN_TEXTS = [
    "Kommunen ska öka andelen e-tjänster till 60 procent under planperioden.",
    "IT-infrastrukturen moderniseras och nya verksamhetssystem upphandlas.",
    "Invånarna ska kunna söka bygglov och förskoleplats digitalt dygnet runt.",
    "Budgeten för digitalisering uppgår till 12,3 mnkr år 2025.",
    "Välfärdsteknik, t.ex. digital nattillsyn, erbjuds brukarna i hemtjänsten.",
    "Automatisering med RPA frigör tid för handläggarna inom ekonomiavdelningen.",
    "Sjukfrånvaron ska minska till 6,5 % genom ett bättre arbetsmiljöarbete.",
    "Bredband ska nå 98 % av hushållen på landsbygden senast 2026.",
    "Nämnden ansvarar för förskola, grundskola, fritidshem och gymnasieskola.",
    "Ett gemensamt e-arkiv tas i drift och pappersarkiven gallras stegvis.",
    "Kundcenter besvarar 90 % av samtalen inom två minuter.",
    "Äldreomsorgens kvalitet följs upp i brukarundersökningen varje år.",
    "Informationssäkerheten stärks och alla medarbetare utbildas i IT-säkerhet.",
    "Elevernas resultat i matematik förbättrades jämfört med föregående år.",
    "Kommunens webbplats ska uppfylla kraven på digital tillgänglighet.",
    "Ärendehanteringssystemet ersätter tre äldre system och sänker licenskostnaderna.",
    'Tekniska nämnden ska införa ett digitalt system för felanmälan med kartfunktion.',
    'Alla nya verksamhetssystem ska kunna integreras via öppna API:er.',
    'Hyresgästerna i det kommunala bostadsbolaget kan boka tvättstuga via app.',
    'Målet ”Fler i egen försörjning” mäts med andelen hushåll med långvarigt ekonomiskt bistånd.',
    'IT-avdelningen har flyttat serverhallen till ett gemensamt datacenter (Tier III).',
    'En ny intranätplattform lanseras för att förbättra den interna kommunikationen.',
    'Vi ser en fortsatt ökning av antalet ärenden om orosanmälningar (+18 %).',
    'Utvecklingen av välfärdsteknik finansieras delvis med statsbidrag från Socialstyrelsen.',
    'Mål 3: Kommunens service ska upplevas som snabb, enkel och tillgänglig.',
    'Indikator: andel invånare som får svar på e-post inom två arbetsdagar (mål ≥ 90 %).',
    'Öppettiderna på medborgarkontoret förlängs till kl. 18.00 på torsdagar.',
    'Ett pilotprojekt med AI-stöd för journalsammanfattningar startar i hemsjukvården hösten 2025.',
    'Kommunens lokaler ska vara tillgängliga och trygga för alla; se bilaga 2.',
    'Verksamhetsmål 2.1: Minst 95 % av alla ekonomiska biståndsansökningar görs digitalt.',
    'Den nya skolplattformen ersätter tre äldre system och minskar licenskostnaderna med 0,9 mnkr.',
    'Ett digitalt kommunarkiv gör det lättare för forskare och invånare att ta del '
    'av allmänna handlingar.',
    'Åtgärder för ökad digital delaktighet riktas främst till invånare över 75 år.',
    'Öka andelen digitala ansökningar om bygglov – från 40 % 2023 till 90 % 2026.',
    'Förskolan ska använda digitala verktyg som stöd för barnens lärande, enligt '
    'läroplanen Lpfö 18.',
    'Gymnasieskolan erbjuder en-till-en-datorer till samtliga elever.',
    'Digital signering av avtal och beslut ska vara standard i hela organisationen.',
    'Alla ärenden till kommunstyrelsen hanteras i ett digitalt mötessystem för förtroendevalda.',
    'Folkhälsoarbetet inriktas på barn och ungas psykiska hälsa samt fysisk aktivitet.',
    'Planen omfattar åtgärder för klimatanpassning, t.ex. skyfallskartering och '
    'dagvattenhantering.',
    'Kommunens totala lånebehov beräknas till 850 mnkr vid utgången av 2026.',
    'Vi fortsätter arbetet med ”Digitalt först” – det digitala ska vara förstahandsvalet.',
    'Uppföljning sker i tertialrapport 1 (T1), delårsrapport (T2) och årsredovisning.',
    'Kommunen har ca 2 300 anställda, varav 78 % kvinnor och 22 % män.',
    'Medelåldern bland medarbetarna är 46,3 år; pensionsavgångarna ökar de kommande åren.',
    'IT-supporten nås via självserviceportalen eller på telefon 0910-73 50 00.',
    'E-posten ska skickas krypterad när den innehåller känsliga personuppgifter.',
    'Ett nytt lås- och passersystem med digitala nycklar installeras i hemtjänsten.',
    'Fakturahanteringen automatiseras så att leverantörsfakturor under 5 000 kr '
    'attesteras automatiskt.',
    'Landsbygdsutvecklingen stöds genom servicepunkter med digital myndighetsservice.',
    'Vi arbetar med agila metoder (Scrum/Kanban) i utvecklingsprojekten.',
    'Målgruppen för e-tjänsten är främst småföretagare som behöver serveringstillstånd.',
    'Skolbiblioteken erbjuder e-böcker och ljudböcker via appen Biblio.',
    'Kommunens ledningsgrupp (KLG) följer upp digitaliseringsarbetet kvartalsvis.',
    'Nettokostnadsavvikelsen för LSS-verksamheten uppgår till +14 % enligt Kolada.',
    'Styrmodellen bygger på tillit, dialog och uppföljning av resultat.',
    'Under perioden 2024–2027 ska alla papperbaserade processer kartläggas och prioriteras.',
    'Kommunens digitala tjänster har i genomsnitt betyget 4,2 av 5 i användarenkäten.',
    'Kostnaderna för licenser har ökat kraftigt, bl.a. på grund av valutakursen (USD/SEK).',
    'Förändringsarbetet leds av en programledare för digitalisering på kommunledningskontoret.',
]
# The pruning "project text": a few of the training texts.
SELECTION = TRAIN_TEXTS[:16:2]
UNSEEN = [
    "Överförmyndarnämnden inför en e-tjänst för årsräkningar.",
    "Åtgärder för ökad digital delaktighet riktas till äldre.",
    "Zebra quiz: ÆØÅ æøå ü é ß ½ – “citat” … 100 %",
    "漢字 och 😀 saknas i ordförrådet.",
]


def _train_tokenizer(vocab_size: int = 600) -> Any:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import UnigramTrainer

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    # Every Latin-1 letter appears in the training text, as in a real multilingual vocabulary.
    alphabet = "".join(chr(c) for c in range(0x21, 0x7F)) + "".join(
        chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7))
    trainer = UnigramTrainer(vocab_size=vocab_size, special_tokens=["<s>", "<pad>", "</s>",
                                                                    "<unk>"],
                             unk_token="<unk>", initial_alphabet=list(alphabet))
    tokenizer.train_from_iterator(TRAIN_TEXTS, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return _train_tokenizer()


def _tiny_bert(vocab_size: int) -> Any:
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                        pad_token_id=1)
    return BertModel(config, add_pooling_layer=False).eval()


def _pieces(tok: Any, text: str) -> list[str]:
    return [tok.id_to_token(i) for i in tok.encode(text, add_special_tokens=False).ids]


def _rebuild(data: dict[str, Any]) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(json.dumps(data))


def test_pruned_vocabulary_keeps_specials_characters_and_used_pieces(tokenizer: Any) -> None:
    original = tokenizer.get_vocab_size()
    embeddings = np.zeros((original, 4), dtype=np.float32)
    max_pieces = original * 2 // 3
    data, kept = prune_vocabulary(tokenizer.to_str(), embeddings, SELECTION, max_pieces)
    new = _rebuild(data)

    assert len(kept) == new.get_vocab_size() <= max_pieces < original
    assert list(kept) == sorted(set(kept.tolist()))
    for token, token_id in (("<s>", 0), ("<pad>", 1), ("</s>", 2), ("<unk>", 3)):
        assert new.token_to_id(token) == token_id
    assert data["model"]["unk_id"] == 3
    assert [new.id_to_token(i) for i in range(len(kept))] == [
        tokenizer.id_to_token(int(i)) for i in kept]
    for char in "åäöÅÄÖéü0123456789%-,.":
        assert new.token_to_id(char) is not None, char
    for text in SELECTION:
        assert _pieces(new, text) == _pieces(tokenizer, text)
        assert new.encode(text).ids[0] == 0 and new.encode(text).ids[-1] == 2


def test_texts_whose_pieces_were_kept_tokenise_identically(tokenizer: Any) -> None:
    data, kept = prune_vocabulary(tokenizer.to_str(), np.zeros((tokenizer.get_vocab_size(), 2)),
                                  SELECTION, tokenizer.get_vocab_size() * 2 // 3)
    new = _rebuild(data)
    kept_pieces = {tokenizer.id_to_token(int(i)) for i in kept}
    covered = [t for t in TRAIN_TEXTS + UNSEEN if set(_pieces(tokenizer, t)) <= kept_pieces]
    assert len(covered) > len(SELECTION)
    for text in covered:
        assert _pieces(new, text) == _pieces(tokenizer, text)
    changed = [t for t in TRAIN_TEXTS if t not in covered]
    assert changed, "the budget should force some unseen text into smaller pieces"
    for text in changed:
        assert len(_pieces(new, text)) > len(_pieces(tokenizer, text))


def test_any_text_still_encodes_without_new_unknowns(tokenizer: Any) -> None:
    data, _ = prune_vocabulary(tokenizer.to_str(), np.zeros((tokenizer.get_vocab_size(), 2)),
                               SELECTION[:2], 230)
    new = _rebuild(data)
    for text in UNSEEN + TRAIN_TEXTS + ["", "   ", "a"]:
        ids = new.encode(text).ids
        assert all(0 <= i < new.get_vocab_size() for i in ids)
        old_unknowns = tokenizer.encode(text, add_special_tokens=False).ids.count(3)
        assert new.encode(text, add_special_tokens=False).ids.count(3) <= old_unknowns, text


def test_fill_tops_up_with_latin_pieces_by_score(tokenizer: Any) -> None:
    original = tokenizer.get_vocab_size()
    small, _ = prune_vocabulary(tokenizer.to_str(), np.zeros((original, 2)), SELECTION[:1], 210)
    large, kept = prune_vocabulary(tokenizer.to_str(), np.zeros((original, 2)), SELECTION[:1],
                                   280)
    assert len(kept) == 280
    small_pieces = {p for p, _ in small["model"]["vocab"]}
    added = [(p, s) for p, s in large["model"]["vocab"] if p not in small_pieces]
    assert added
    for piece, _score in added:
        body = piece.removeprefix(METASPACE)
        assert body and all(c.isalnum() and ord(c) < 0x100 for c in body), piece
    dropped = [s for p, s in tokenizer_vocab(tokenizer) if p not in
               {q for q, _ in large["model"]["vocab"]} and p.removeprefix(METASPACE).isalpha()
               and all(ord(c) < 0x100 for c in p.removeprefix(METASPACE))]
    assert max(dropped) <= min(s for _, s in added)


def tokenizer_vocab(tok: Any) -> list[tuple[str, float]]:
    return [(p, s) for p, s in json.loads(tok.to_str())["model"]["vocab"]]


def test_tight_budget_keeps_the_most_frequent_used_pieces(tokenizer: Any,
                                                          caplog: pytest.LogCaptureFixture,
                                                          ) -> None:
    texts = TRAIN_TEXTS + ["digitalisering digitalisering digitalisering"] * 20
    with caplog.at_level(logging.WARNING):
        data, kept = prune_vocabulary(tokenizer.to_str(),
                                      np.zeros((tokenizer.get_vocab_size(), 2)), texts, 230)
    assert len(kept) == 230
    assert "did not fit" in caplog.text
    new = _rebuild(data)
    assert _pieces(new, "digitalisering") == _pieces(tokenizer, "digitalisering")


def test_budget_below_the_mandatory_pieces_is_an_error(tokenizer: Any) -> None:
    with pytest.raises(MrpError, match="raise max_pieces"):
        prune_vocabulary(tokenizer.to_str(), np.zeros((tokenizer.get_vocab_size(), 2)),
                         SELECTION, 20)


def test_embedding_matrix_of_another_model_is_rejected(tokenizer: Any) -> None:
    with pytest.raises(ValueError, match="do not belong together"):
        prune_vocabulary(tokenizer.to_str(), np.zeros((10, 2)), SELECTION, 200)


def test_prune_model_vocabulary_slices_embedding_rows(tokenizer: Any) -> None:
    import torch

    model = _tiny_bert(tokenizer.get_vocab_size())
    old_weight = model.get_input_embeddings().weight.detach().clone()
    result = prune_model_vocabulary(model, tokenizer, SELECTION, 300, held_out=UNSEEN)
    assert result is not None
    new, report = result
    assert report["original_pieces"] == tokenizer.get_vocab_size()
    assert report["kept_pieces"] == new.get_vocab_size() == 300
    assert report["selection_text"]["identical_fraction"] == 1.0
    assert report["held_out"]["texts"] == len(UNSEEN)
    assert report["held_out"]["token_increase"] >= 0

    embedding = model.get_input_embeddings()
    assert embedding.num_embeddings == model.config.vocab_size == 300
    assert embedding.padding_idx == model.config.pad_token_id == 1
    for new_id in range(new.get_vocab_size()):
        old_id = tokenizer.token_to_id(new.id_to_token(new_id))
        assert torch.equal(embedding.weight[new_id], old_weight[old_id])
    ids = torch.tensor([new.encode(UNSEEN[2]).ids])
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
    assert out.shape == (1, ids.shape[1], 16)


def test_prune_model_vocabulary_skips_when_nothing_to_do(tokenizer: Any) -> None:
    from tokenizers import Tokenizer, models

    model = _tiny_bert(tokenizer.get_vocab_size())
    assert prune_model_vocabulary(model, tokenizer, SELECTION, 10_000) is None
    wordpiece = Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    assert prune_model_vocabulary(_tiny_bert(2), wordpiece, SELECTION, 1) is None
    assert model.get_input_embeddings().num_embeddings == tokenizer.get_vocab_size()


def test_prune_embeddings_keeps_rows_in_the_given_order() -> None:
    import torch

    model = _tiny_bert(12)
    before = model.get_input_embeddings().weight.detach().clone()
    prune_embeddings_in_place(model, np.array([0, 1, 2, 5, 9]))
    after = model.get_input_embeddings().weight
    assert torch.equal(after, before[[0, 1, 2, 5, 9]])
    assert after.requires_grad


def test_agreement_counts_identical_texts_and_extra_tokens(tokenizer: Any) -> None:
    same = tokenisation_agreement(tokenizer, tokenizer, TRAIN_TEXTS)
    assert same["identical_fraction"] == 1.0 and same["token_increase"] == 0.0
    data, _ = prune_vocabulary(tokenizer.to_str(), np.zeros((tokenizer.get_vocab_size(), 2)),
                               SELECTION[:1], 210)
    pruned = tokenisation_agreement(tokenizer, _rebuild(data), TRAIN_TEXTS)
    assert pruned["identical_fraction"] < 1.0 and pruned["token_increase"] > 0.0
