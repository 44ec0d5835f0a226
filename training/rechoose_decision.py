"""Re-choose a trained model's profile decision with the current ``training/decision.py``.

The network, tokenizer and temperature stay as they are; the unit threshold and the
profile calibration are chosen again on the model's own style-disjoint validation fold
(never the test plans), the validation and locked test plans are scored again, and the
folder is written anew, optionally under another name and version:

    python -m mrp_classify.training.rechoose_decision MODEL_DIR OUT_DIR \
        [--name mrp-e5-small --version v2]

This is how ``mrp-e5-small/v2`` got its decision: its network was trained when the
threshold grid stopped at 0.9 and the calibration was shared by all profiles, and
``mrp-classify train`` now makes the same choice itself (``pipeline.decide``).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import tempfile
from pathlib import Path

from mrp_classify.evaluation import evaluate_records
from mrp_classify.inference.model import Classifier
from mrp_classify.inference.model_folder import CARD_FILE, CONFIG_FILE, ModelFolder
from mrp_classify.training import pipeline
from mrp_classify.training.card import render_model_card
from mrp_classify.training.config import TrainConfig, config_to_toml

log = logging.getLogger(__name__)


def rechoose_decision(source: Path, target: Path, name: str | None = None,
                      version: str | None = None) -> Path:
    folder = ModelFolder.load(source)
    settings = dict(folder.meta.config)
    if name:
        settings["name"] = name
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{key: (tuple(value) if isinstance(value, list) else value)
                            for key, value in settings.items() if key in known})
    with tempfile.TemporaryDirectory(prefix="mrp-decision-") as work:
        prep = pipeline.prepare(config, Path(work))
        validation = evaluate_records(Classifier(folder), prep.split.validation)
        decision, report = pipeline.decide(prep, validation.probabilities)
        log.info("unit threshold %s", decision.unit_threshold)
        folder = folder.with_meta(
            profile_decision=decision.to_json(), config=settings,
            metrics={**folder.meta.metrics, "profile_decision": report},
            **({"name": name} if name else {}), **({"version": version} if version else {}))
        folder = pipeline.score_documents(prep, folder)
    folder = folder.with_files(**{CONFIG_FILE: config_to_toml(config).encode("utf-8")})
    folder = folder.with_files(**{CARD_FILE: render_model_card(folder.meta).encode("utf-8")})
    return folder.save(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path, help="a new folder; never the model's own")
    parser.add_argument("--name")
    parser.add_argument("--version")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info("%s", rechoose_decision(args.model, args.out, args.name, args.version))


if __name__ == "__main__":
    main()
