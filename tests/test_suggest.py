"""The annotation queue: ranking, near-duplicates, spread, and the three output files."""

from __future__ import annotations

import csv
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from mrp_classify import suggest as suggest_module
from mrp_classify.errors import MrpError, OutputExistsError
from mrp_classify.label_import import import_labels, map_label
from mrp_classify.labelset import Schema
from mrp_classify.suggest import (
    BASE_COLUMNS,
    NearDuplicateIndex,
    choice_name,
    jaccard,
    paragraph_id,
    queue_paths,
    shingle_hashes,
    spread,
    suggest,
    uncertainty_order,
)
from tests.conftest import write_jsonl

RUN_MODEL = "mrp-test/v3"
RUN_HEADER = ["file", "kommunkod", "year", "page", "index", "heading_path", "kind", "text",
              "label", "p_none", "p_internal_efficiency", "p_citizen_facing"]
BOILERPLATE = ("Kommunen ska under planperioden införa fler e-tjänster så att invånarna i {} "
               "kan sköta sina ärenden digitalt dygnet runt, och handläggningstiderna för bygglov "
               "och serveringstillstånd ska halveras jämfört med nivån år 2023.")
LABELLED = "Alla elever ska få en egen dator senast 2026."
AGREED = "Ett e-arkiv införs och pappersarkivet avvecklas stegvis under planperioden."


def write_run(folder: Path, rows: list[tuple[str, str, tuple[float, float, float]]]) -> Path:
    """paragraphs.csv as `mrp-classify run` writes it, from (kommunkod, text, probabilities),
    and the model in summary.json."""
    folder.mkdir(parents=True, exist_ok=True)
    name, version = RUN_MODEL.split("/")
    (folder / "summary.json").write_text(json.dumps({"model": {"name": name,
                                                               "version": version}}),
                                         encoding="utf-8")
    with open(folder / "paragraphs.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(RUN_HEADER)
        for index, (code, text, probs) in enumerate(rows):
            label = ("none", "internal_efficiency", "citizen_facing")[int(np.argmax(probs))]
            writer.writerow([f"docs/{code or 'okand'}-2025.pdf", code, "2025" if code else "",
                             index + 1, index, "Mål > Digitalisering", "text", text, label,
                             *(f"{p:.4f}" for p in probs)])
    return folder


# (kommunkod, text, probabilities); the comments give the top-two margin.
ROWS = [
    ("0180", "  ALLA elever ska få en egen   dator senast 2026. ", (0.34, 0.33, 0.33)),  # labelled
    ("1480", AGREED, (0.35, 0.33, 0.32)),  # labelled, in agreement/
    ("0180", BOILERPLATE.format("Stockholm"), (0.36, 0.34, 0.30)),  # c: .02
    ("1480", BOILERPLATE.format("Göteborg"), (0.37, 0.34, 0.29)),  # near-duplicate of c
    ("2584", BOILERPLATE.format("Kiruna"), (0.38, 0.34, 0.28)),  # near-duplicate of c
    ("0180", "- Informationssäkerheten ska stärkas i alla förvaltningar.", (0.40, 0.35, 0.25)),
    ("0180", "Medarbetarna ska få utbildning i de nya verksamhetssystemen.", (0.42, 0.36, 0.22)),
    ("2584", "Bredband ska nå alla hushåll i byarna längs Torneälven.", (0.45, 0.38, 0.17)),
    ("1880", "=Välfärdsteknik ska ge brukarna ökad trygghet i hemtjänsten.", (0.50, 0.40, 0.10)),
    ("1880", "Kommunens resultat beräknas till 120 mnkr.", (0.98, 0.01, 0.01)),
    ("", "Biblioteken ska hjälpa äldre att använda e-legitimation.", (0.55, 0.40, 0.05)),
]
C, F, G, H, FORMULA, J, K = 2, 5, 6, 7, 8, 9, 10  # rows that can be queued


@pytest.fixture
def labels_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "labels"
    write_jsonl(folder / "a.jsonl", [{"id": "x1", "text": LABELLED, "label": "citizen_facing"}])
    write_jsonl(folder / "agreement" / "b.jsonl",
                [{"id": "x2", "text": AGREED, "label": "internal_efficiency"}])
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_run(tmp_path / "run", ROWS)


def queued_texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [row["text"].strip() for row in csv.DictReader(handle)]


def test_uncertainty_order_margin_then_entropy_then_row() -> None:
    probs = np.array([
        [0.50, 0.30, 0.20],  # margin 0.20
        [0.40, 0.35, 0.25],  # margin 0.05, entropy 1.081
        [0.45, 0.40, 0.15],  # margin 0.05, entropy 1.000: after row 1
        [0.40, 0.35, 0.25],  # same as row 1: after it by row order
        [1.00, 0.00, 0.00],  # certain
    ])
    assert uncertainty_order(probs).tolist() == [1, 3, 2, 0, 4]


def test_near_duplicates_by_normalised_text_and_5gram_jaccard() -> None:
    index = NearDuplicateIndex()
    assert index.add(BOILERPLATE.format("Stockholm")) is None
    stockholm = shingle_hashes(BOILERPLATE.format("Stockholm").casefold())
    goteborg = shingle_hashes(BOILERPLATE.format("Göteborg").casefold())
    assert jaccard(stockholm, goteborg) >= 0.8
    assert index.add(BOILERPLATE.format("Göteborg")) == 0
    assert index.add("  " + BOILERPLATE.format("STOCKHOLM").upper()) == 0
    # Same opening, different goal: similar, but below the threshold.
    other = ("Kommunen ska under planperioden införa fler e-tjänster. Därutöver ska "
             "skolornas lokaler renoveras och två nya idrottshallar byggas i centralorten.")
    assert jaccard(stockholm, shingle_hashes(other.casefold())) < 0.8
    assert index.add(other) is None
    assert index.add("Kort.") is None and index.add("kort.") == 2
    assert len(index) == 3


def test_near_duplicate_lookup_is_not_all_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    syllables = ["ka", "mu", "ne", "rå", "dig", "ita", "lis", "er", "ing", "än", "sk", "ol"]
    texts = [" ".join("".join(rng.choice(syllables) for _ in range(3)) for _ in range(30))
             for _ in range(2000)]
    calls = []
    real = suggest_module.jaccard

    def counted(a: np.ndarray, b: np.ndarray) -> float:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(suggest_module, "jaccard", counted)
    index = NearDuplicateIndex()
    assert all(index.add(text) is None for text in texts)
    words = texts[1234].split()
    words[7] = "annorlunda"
    assert index.add(" ".join(words)) == 1234
    # All pairs would be about two million comparisons.
    assert len(calls) < 2000


def test_spread_takes_turns_over_groups_then_municipalities() -> None:
    group_of = ["A1", "A1", "A1", "C6", "B3", "B3", "A1"]
    municipality_of = ["0180", "0180", "1480", "2584", "1880", "1880", "0180"]
    pool = [0, 1, 2, 3, 4, 5, 6]  # most uncertain first
    # Round 1: A1/0180 (0), C6/2584 (3), B3/1880 (4); round 2: A1/1480 (2), B3/1880 (5);
    # round 3: A1/0180 (1); round 4: A1/0180 (6).
    assert spread(pool, group_of, municipality_of, 7) == [0, 3, 4, 2, 5, 1, 6]
    assert spread(pool, group_of, municipality_of, 2) == [0, 3]
    assert spread([], group_of, municipality_of, 3) == []


def test_suggest_writes_the_queue(run_dir: Path, labels_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "queue" / "batch-1"
    result = suggest(run_dir, 4, out, labels_dir=labels_dir, pool_factor=10)
    assert result.queued == 4 and result.paragraphs == len(ROWS)
    assert result.already_labelled == 2 and result.near_duplicates == 2
    # Pool by margin: c f g h i k j; groups A1 (c), C6 (h), B3 (i), unknown (k) take turns.
    assert queued_texts(result.paths.csv) == [ROWS[i][1] for i in (C, H, FORMULA, K)]
    assert (result.municipalities, result.kommungrupper) == (4, 4)

    raw = result.paths.csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(result.paths.csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    labels = Schema.load().labels
    assert list(rows[0]) == [*BASE_COLUMNS, *(f"p_{label}" for label in labels), "note"]
    first = rows[0]
    assert first["id"] == paragraph_id("0180", "2025", ROWS[C][1])
    assert first["id"].startswith("0180-2025-")
    assert (first["kommunkod"], first["kommun"], first["year"], first["page"]) == (
        "0180", "Stockholm", "2025", "3")
    assert (first["label"], first["note"]) == ("", "")
    assert (first["p_none"], first["p_internal_efficiency"], first["p_citizen_facing"]) == (
        "0.3600", "0.3400", "0.3000")
    # A text that starts like a formula is kept as text by a leading space.
    assert rows[2]["text"] == " " + ROWS[FORMULA][1]
    assert rows[3]["kommunkod"] == "" and rows[3]["kommun"] == ""

    tasks = json.loads(result.paths.labelstudio_json.read_text(encoding="utf-8"))
    assert [task["data"]["text"] for task in tasks] == [ROWS[i][1] for i in (C, H, FORMULA, K)]
    assert tasks[0]["data"]["id"] == first["id"] and "label" not in tasks[0]["data"]
    # The model's guess as a pre-annotation: the most probable label and its probability.
    assert tasks[0]["predictions"] == [{
        "model_version": RUN_MODEL, "score": 0.36,
        "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                    "value": {"choices": ["none"]}}]}]
    assert [(t["predictions"][0]["result"][0]["value"]["choices"], t["predictions"][0]["score"])
            for t in tasks[1:]] == [(["none"], 0.45), (["none"], 0.5), (["none"], 0.55)]
    config = ET.fromstring(result.paths.labelstudio_xml.read_text(encoding="utf-8"))
    choices = config.find("Choices")
    assert choices is not None and choices.get("name") == "label"
    assert choices.get("toName") == "text"
    # Shown by readable names, exported (alias) as the labels.
    assert [(c.get("value"), c.get("alias")) for c in choices.iter("Choice")] == [
        ("None", "none"), ("Internal efficiency", "internal_efficiency"),
        ("Citizen facing", "citizen_facing")]
    assert [choice_name(label) for label in labels] == [c.get("value") for c in
                                                        choices.iter("Choice")]


def test_the_pool_keeps_confident_paragraphs_out(run_dir: Path, labels_dir: Path,
                                                 tmp_path: Path) -> None:
    result = suggest(run_dir, 2, tmp_path / "q", labels_dir=labels_dir, pool_factor=1)
    # The two most uncertain distinct paragraphs are both Stockholm's: spread cannot reach
    # further down the ranking than the pool.
    assert queued_texts(result.paths.csv) == [ROWS[C][1], ROWS[F][1].lstrip()]
    everything = suggest(run_dir, 50, tmp_path / "all", labels_dir=labels_dir)
    assert everything.queued == 7
    assert queued_texts(everything.paths.csv) == [ROWS[i][1] for i in (C, H, FORMULA, K, F, J, G)]


def test_queue_files_are_not_overwritten(run_dir: Path, labels_dir: Path,
                                         tmp_path: Path) -> None:
    paths = queue_paths(tmp_path / "q.csv")
    assert paths.csv == tmp_path / "q.csv"
    assert paths.labelstudio_xml == tmp_path / "q.labelstudio.xml"
    paths.labelstudio_xml.write_text("mine", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="q.labelstudio.xml"):
        suggest(run_dir, 3, tmp_path / "q.csv", labels_dir=labels_dir)
    assert not paths.csv.exists()
    suggest(run_dir, 3, tmp_path / "q", labels_dir=labels_dir, force=True)
    assert paths.labelstudio_xml.read_text(encoding="utf-8").startswith("<View>")


def test_semicolon_queue_for_swedish_excel(run_dir: Path, labels_dir: Path,
                                           tmp_path: Path) -> None:
    result = suggest(run_dir, 2, tmp_path / "q", labels_dir=labels_dir, delimiter=";")
    header = result.paths.csv.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("id;text;label;heading_path;kommunkod")
    with pytest.raises(MrpError, match="--delimiter"):
        suggest(run_dir, 2, tmp_path / "r", labels_dir=labels_dir, delimiter="|")


def test_suggest_errors(tmp_path: Path, labels_dir: Path) -> None:
    with pytest.raises(MrpError, match="paragraphs.csv: not found"):
        suggest(tmp_path / "nothing", 5, tmp_path / "q", labels_dir=labels_dir)
    run = tmp_path / "run"
    run.mkdir()
    (run / "paragraphs.csv").write_text("file,kommunkod,year,page,index,heading_path,text\n",
                                        encoding="utf-8")
    with pytest.raises(MrpError, match="p_none.*pass --model"):
        suggest(run, 5, tmp_path / "q", labels_dir=labels_dir)
    with pytest.raises(MrpError, match="no such labels folder"):
        suggest(run, 5, tmp_path / "q", labels_dir=tmp_path / "typo")
    with pytest.raises(MrpError, match="--n 0"):
        suggest(run, 0, tmp_path / "q", labels_dir=labels_dir)


def test_model_option_ranks_with_that_model(run_dir: Path, labels_dir: Path, tmp_path: Path,
                                            tiny_model: Path) -> None:
    from mrp_classify.inference.model import Classifier

    result = suggest(run_dir, 3, tmp_path / "q", labels_dir=labels_dir, model_dir=tiny_model)
    with open(result.paths.csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # Scored as one batch, as suggest does: int8 activations are quantised per batch.
    texts = [text for _, text, _ in ROWS]
    scores = dict(zip(texts, Classifier(tiny_model).predict_proba(texts), strict=True))
    labels = Schema.load().labels
    for row in rows:
        expected = scores[row["text"][1:] if row["text"].startswith(" ") else row["text"]]
        assert [float(row[f"p_{label}"]) for label in labels] == pytest.approx(
            expected.tolist(), abs=1e-4)
    assert {row["text"].strip() for row in rows}.isdisjoint({LABELLED, AGREED})
    tasks = json.loads(result.paths.labelstudio_json.read_text(encoding="utf-8"))
    tiny = Classifier(tiny_model).meta.ref
    assert {task["predictions"][0]["model_version"] for task in tasks} == {tiny}


def accept_every_prediction(config_xml: str, tasks: list[dict]) -> list[dict]:
    """A Label Studio JSON export of ``tasks`` after an annotator accepted each
    pre-annotation: Label Studio selects the choice whose result value (its alias, else its
    value) is the predicted one, and exports that result value."""
    config = ET.fromstring(config_xml)
    controls = config.find("Choices")
    assert controls is not None
    result_values = [c.get("alias") or c.get("value") for c in controls.iter("Choice")]
    export = []
    for number, task in enumerate(tasks, start=1):
        (prediction,) = task["predictions"]
        results = []
        for result in prediction["result"]:
            assert (result["from_name"], result["to_name"], result["type"]) == (
                controls.get("name"), controls.get("toName"), "choices")
            selected = [v for v in result_values if v in result["value"]["choices"]]
            assert len(selected) == 1, f"no choice of the config matches {result['value']}"
            results.append({**result, "id": f"r{number}", "value": {"choices": selected}})
        export.append({"id": number, "data": task["data"], "predictions": [number],
                       "annotations": [{"id": number, "completed_by": 1,
                                        "was_cancelled": False, "result": results}]})
    return export


def test_labelstudio_predictions_round_trip_through_labels_import(
        tmp_path: Path, labels_dir: Path) -> None:
    from typer.testing import CliRunner

    from mrp_classify.cli import app

    run = write_run(tmp_path / "run", [
        ("0180", "Fler e-tjänster ska göra det enkelt att söka bygglov.", (0.20, 0.30, 0.50)),
        ("1480", "Ett nytt ärendehanteringssystem införs i förvaltningen.", (0.25, 0.45, 0.30)),
        ("2584", "Kommunens resultat beräknas till 120 mnkr under året.", (0.40, 0.35, 0.25)),
        ("1880", "Välfärdsteknik ska ge brukarna trygghet i hemtjänsten.", (0.30, 0.32, 0.38)),
    ])
    runner = CliRunner()
    queue = tmp_path / "queue" / "q"
    result = runner.invoke(app, ["suggest", str(run), "--n", "4", "--out", str(queue),
                                 "--labels", str(labels_dir)])
    assert result.exit_code == 0, result.output
    paths = queue_paths(queue)
    tasks = json.loads(paths.labelstudio_json.read_text(encoding="utf-8"))
    guesses = {task["data"]["text"]: task["predictions"][0]["result"][0]["value"]["choices"][0]
               for task in tasks}
    assert sorted(guesses.values()) == sorted(
        ["citizen_facing", "internal_efficiency", "none", "citizen_facing"])

    export = tmp_path / "project-7-at-2025-03-01.json"
    export.write_text(json.dumps(accept_every_prediction(
        paths.labelstudio_xml.read_text(encoding="utf-8"), tasks), ensure_ascii=False),
        encoding="utf-8")
    result = runner.invoke(app, ["labels", "import", str(export), "--annotator", "ls",
                                 "--labels", str(labels_dir)])
    assert result.exit_code == 0, result.output
    assert "4 new paragraph(s)" in result.output
    (written,) = (labels_dir / "imported").iterdir()
    records = [json.loads(line) for line in written.read_text(encoding="utf-8").splitlines()]
    assert {r["text"]: r["label"] for r in records} == guesses
    assert {r["id"] for r in records} == {task["data"]["id"] for task in tasks}


def test_readable_choice_names_map_back_to_the_labels() -> None:
    # A project whose config lost the aliases exports the readable names: still imported.
    labels = Schema.load().labels
    assert [map_label(choice_name(label), labels) for label in labels] == list(labels)


def test_a_task_file_without_annotations_imports_nothing(run_dir: Path, labels_dir: Path,
                                                         tmp_path: Path) -> None:
    # The predictions are the model's guesses, never an annotator's label.
    result = suggest(run_dir, 3, tmp_path / "q", labels_dir=labels_dir)
    imported = import_labels(result.paths.labelstudio_json, "ab", labels_dir)
    assert imported.new == 0 and imported.skipped_blank == 3 and imported.written is None


def test_suggest_needs_the_runs_model(run_dir: Path, labels_dir: Path, tmp_path: Path) -> None:
    (run_dir / "summary.json").unlink()
    with pytest.raises(MrpError, match="summary.json: not found"):
        suggest(run_dir, 3, tmp_path / "q", labels_dir=labels_dir)
