"""The whole annotation loop on tiny models, through the command line:

run → suggest → an annotator fills the CSV → labels import (a bad label first) → a second
annotator's Label Studio export → labels validate → train v2 → compare → promote, and a
worse model whose promotion is refused until --force.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mrp_classify import cli
from mrp_classify.agreement import cohen_kappa
from mrp_classify.labelset import normalise_text
from mrp_classify.registry import evaluate, held_out_split
from tests.conftest import CITIZEN_TEXTS, INTERNAL_TEXTS, NONE_TEXTS, fixture_records, write_jsonl

runner = CliRunner()

SWEDISH = {"none": "ingen", "internal_efficiency": "intern effektivisering",
           "citizen_facing": "medborgarnära"}
# file name stem → the place named in the plan's paragraphs
MUNICIPALITIES = {"hudiksvall": "Hudiksvall", "goteborg": "Göteborg", "kiruna": "Kiruna",
                  "orebro": "Örebro", "stockholm": "Stockholm"}
BOILERPLATE = ("Kommunen ska under planperioden införa fler e-tjänster så att invånarna i {} kan "
               "sköta sina ärenden digitalt dygnet runt, och väntetiderna ska halveras.")


def invoke(*args: object) -> tuple[int, str]:
    result = runner.invoke(cli.app, [str(a) for a in args])
    return result.exit_code, result.output


def write_plans(folder: Path) -> dict[str, str]:
    """One TXT plan per municipality; returns the true label of every paragraph."""
    truth: dict[str, str] = {}
    pools = [("none", NONE_TEXTS[:7]), ("internal_efficiency", INTERNAL_TEXTS),
             ("citizen_facing", CITIZEN_TEXTS)]
    folder.mkdir(parents=True)
    for number, (stem, place) in enumerate(MUNICIPALITIES.items()):
        paragraphs = []
        for label, pool in pools:
            for i, template in enumerate(pool[number % 2::2]):
                text = template.format(y=2025, n=10 + i + number, k=place)
                truth[normalise_text(text)] = label
                paragraphs.append(text)
        boilerplate = BOILERPLATE.format(place)
        truth[normalise_text(boilerplate)] = "citizen_facing"
        paragraphs.append(boilerplate)
        title = f"{place}s kommun" if place != "Göteborg" else "Göteborgs Stad"
        (folder / f"{stem}-2025.txt").write_text(
            "\n\n".join([title, "Mål- och resursplan 2025", *paragraphs]) + "\n",
            encoding="utf-8")
    # A paragraph that is already labelled, written differently: never suggested.
    labelled = fixture_records()[0]["text"]
    with open(folder / "hudiksvall-2025.txt", "a", encoding="utf-8") as handle:
        handle.write("\n" + labelled.upper() + "\n")
    return truth


def read_queue(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def save_like_swedish_excel(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";",
                                lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def train(labels: Path, models: Path, base: Path, epochs: int) -> Path:
    from mrp_classify.training.config import TrainConfig
    from mrp_classify.training.pipeline import train_and_package

    config = TrainConfig(labels=(str(labels),), base_model=str(base), max_length=48,
                         window_stride=16, epochs=epochs, batch_size=8, learning_rate=2e-3,
                         head_learning_rate=5e-3, freeze_embeddings=False, prune_max_pieces=300,
                         name="tiny", threads=1)
    return train_and_package(config, models)


def test_the_annotation_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             tiny_models_root: Path, tiny_labels: Path, tiny_base: Path) -> None:
    from mrp_classify.inference.run import run

    models = tmp_path / "models"
    shutil.copytree(tiny_models_root, models)
    monkeypatch.setenv("MRP_CLASSIFY_MODELS", str(models))
    labels = tmp_path / "labels"
    shutil.copytree(tiny_labels, labels)
    monkeypatch.chdir(tmp_path)

    # A run of the default model over five municipalities' plans.
    truth = write_plans(tmp_path / "docs")
    run([tmp_path / "docs"], tmp_path / "run", models / "tiny" / "v1", quiet=True)

    # suggest
    code, output = invoke("suggest", "run", "--n", 8, "--out", "queue/batch-1",
                          "--labels", labels)
    assert code == 0, output
    assert "8 paragraphs from" in output
    queue = read_queue(tmp_path / "queue" / "batch-1.csv")
    texts = [normalise_text(row["text"]) for row in queue]
    assert len(queue) == 8 and len(set(texts)) == 8
    assert normalise_text(fixture_records()[0]["text"]) not in texts
    assert sum(1 for t in texts if "dygnet runt, och väntetiderna" in t) <= 1
    assert len({row["kommunkod"] for row in queue}) >= 4
    code, output = invoke("suggest", "run", "--n", 8, "--out", "queue/batch-1",
                          "--labels", labels)
    assert code == 2 and "already exists; pass --force" in output

    # The annotator: a Swedish label name, a typo, one left for later, the rest in English.
    filled = [dict(row, label=truth[normalise_text(row["text"])]) for row in queue]
    filled[0]["label"] = SWEDISH[filled[0]["label"]]
    filled[1]["label"] = "kanske"
    filled[2]["label"] = ""
    sheet = tmp_path / "batch-1-ab.csv"
    save_like_swedish_excel(sheet, filled)
    code, output = invoke("labels", "import", sheet, "--annotator", "ab", "--labels", labels)
    assert code == 2
    assert f"{sheet}:3: unknown label 'kanske'" in output and "nothing written" in output
    assert not (labels / "imported").exists()

    filled[1]["label"] = truth[normalise_text(filled[1]["text"])]
    save_like_swedish_excel(sheet, filled)
    code, output = invoke("labels", "import", sheet, "--annotator", "ab", "--labels", labels)
    assert code == 0, output
    assert "7 new paragraph(s)" in output and "1 without a label yet" in output
    (imported,) = (labels / "imported").iterdir()
    assert imported.name.endswith("-ab-batch-1-ab.jsonl")
    records = [json.loads(line) for line in imported.read_text(encoding="utf-8").splitlines()]
    assert records[0]["label"] == truth[normalise_text(queue[0]["text"])]
    assert {r["annotator"] for r in records} == {"ab"}
    assert all(r["municipality_code"] == q["kommunkod"] and r["doc_id"] == f"{q['kommunkod']}-2025"
               for r, q in zip(records, [queue[0], queue[1], *queue[3:]], strict=True))

    code, output = invoke("labels", "import", sheet, "--annotator", "ab", "--labels", labels)
    assert code == 0 and "0 new paragraphs, 0 second annotations: nothing written" in output
    assert "7 already imported by ab" in output

    # A second annotator in Label Studio: the first four tasks, the first one labelled
    # differently.
    tasks = json.loads((tmp_path / "queue" / "batch-1.labelstudio.json").read_text("utf-8"))
    cd_labels = [truth[normalise_text(task["data"]["text"])] for task in tasks[:4]]
    cd_labels[0] = next(label for label in SWEDISH if label != cd_labels[0])
    for task, label in zip(tasks, cd_labels, strict=False):
        task["annotations"] = [{"was_cancelled": False, "result": [
            {"from_name": "label", "to_name": "text", "type": "choices",
             "value": {"choices": [label]}}]}]
    export = tmp_path / "project-1-at-2025.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    code, output = invoke("labels", "import", export, "--annotator", "cd", "--labels", labels)
    assert code == 0, output
    assert "1 new paragraph(s)" in output and "3 second annotation(s)" in output
    assert "1 paragraph(s) labelled differently" in output
    ab_labels = [truth[normalise_text(queue[i]["text"])] for i in (0, 1, 3)]
    kappa = cohen_kappa(list(zip(ab_labels, [cd_labels[i] for i in (0, 1, 3)], strict=True)))
    assert f"Cohen's kappa {kappa:.3f}" in output

    code, output = invoke("labels", "validate", labels)
    assert code == 0 and f"ok: {len(fixture_records()) + 8} labelled paragraphs" in output

    # Retrain on the grown labels; training leaves the default alone.
    v2 = train(labels, models, tiny_base, epochs=6)
    assert v2 == models / "tiny" / "v2"
    assert (models / "DEFAULT").read_text(encoding="utf-8").strip() == "tiny/v1"
    shuffled = [dict(r) for r in fixture_records()]
    wrong = [r["label"] for r in shuffled]
    random.Random(0).shuffle(wrong)
    for record, label in zip(shuffled, wrong, strict=True):
        record["label"] = label
    write_jsonl(tmp_path / "shuffled" / "labels.jsonl", shuffled)
    v3 = train(tmp_path / "shuffled", models, tiny_base, epochs=1)

    code, output = invoke("models", "list")
    assert code == 0 and "* tiny/v1" in output and "  tiny/v2" in output and "  tiny/v3" in output

    code, output = invoke("models", "compare", "tiny/v1", "tiny/v2", "--labels", labels,
                          "--run", "run")
    assert code == 0, output
    assert "macro-F1" in output and "F1 citizen_facing" in output
    assert "municipality-year profiles change" in output

    # Both evaluated now on v2's test split. With 16 test paragraphs a tiny model's
    # macro-F1 moves a lot between trainings, so this promotion allows a wide margin.
    split = held_out_split(v2, labels)
    v1_f1, v2_f1 = (evaluate(models / "tiny" / v, split.records).report["macro_f1"]
                    for v in ("v1", "v2"))
    code, output = invoke("models", "promote", "tiny/v2", "--labels", labels,
                          "--tolerance", "0.5")
    assert code == 0, output
    assert (f"tiny/v2 is now the default (was tiny/v1); test macro-F1 {v2_f1:.3f} vs "
            f"{v1_f1:.3f} on {split.describe()}") in output
    assert (models / "DEFAULT").read_text(encoding="utf-8") == "tiny/v2\n"

    v3_f1 = evaluate(v3, held_out_split(v3, labels).records).report["macro_f1"]
    code, output = invoke("models", "promote", v3.name, "--labels", labels)
    assert code == 2
    assert f"tiny/v3: test macro-F1 {v3_f1:.3f} is below the default tiny/v2's" in output
    assert (models / "DEFAULT").read_text(encoding="utf-8") == "tiny/v2\n"
    code, output = invoke("models", "promote", "tiny/v3", "--force")
    assert code == 0 and "tiny/v3 is now the default" in output
    assert (models / "DEFAULT").read_text(encoding="utf-8") == "tiny/v3\n"


@pytest.mark.parametrize("command", [
    ["suggest"], ["labels", "import"], ["models"], ["models", "list"], ["models", "compare"],
    ["models", "promote"],
])
def test_help(command: list[str]) -> None:
    result = runner.invoke(cli.app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
