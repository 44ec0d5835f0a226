"""Importing annotators' files: formats, validation, where the rows go, re-imports."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from mrp_classify.errors import MrpError
from mrp_classify.label_import import (
    InvalidRowsError,
    format_result,
    import_labels,
    map_label,
)
from mrp_classify.labelset import Schema, load_valid, read_records
from tests.conftest import write_jsonl

DAY = dt.date(2025, 3, 1)
HEADER = ["id", "text", "label", "heading_path", "kommunkod", "kommun", "year", "file", "page",
          "p_none", "p_internal_efficiency", "p_citizen_facing", "note"]
TEXTS = [
    "Fler e-tjänster ska göra det enkelt att söka bygglov dygnet runt.",
    "Ett nytt ärendehanteringssystem införs för att effektivisera handläggningen.",
    "Kommunens resultat beräknas till 120 mnkr.",
    "Välfärdsteknik ska ge brukarna ökad trygghet i hemtjänsten.",
]
SEEDED = "Alla elever ska få en egen dator senast 2026."


def queue_row(i: int, label: str, text: str | None = None, **changes: str) -> list[str]:
    row = {"id": f"0180-2025-q{i}", "text": TEXTS[i] if text is None else text, "label": label,
           "heading_path": "Mål > Digitalisering", "kommunkod": "0180", "kommun": "Stockholm",
           "year": "2025", "file": "docs/stockholm-2025.pdf", "page": str(10 + i),
           "p_none": "0.4", "p_internal_efficiency": "0.3", "p_citizen_facing": "0.3", "note": ""}
    row.update(changes)
    return [row[column] for column in HEADER]


def write_queue_csv(path: Path, rows: list[list[str]], delimiter: str = ",",
                    encoding: str = "utf-8-sig") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def labels_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "labels"
    write_jsonl(folder / "seed.jsonl", [
        {"id": "seed-1", "text": SEEDED, "label": "citizen_facing", "annotator": "seed",
         "municipality_code": "1480", "page": 3},
    ])
    return folder


def read_jsonl(path: Path | None) -> list[dict]:
    assert path is not None, "nothing was written"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_map_label() -> None:
    labels = Schema.load().labels
    assert map_label("Internal_Efficiency", labels) == "internal_efficiency"
    assert map_label(" internal efficiency ", labels) == "internal_efficiency"
    assert map_label("CITIZEN-FACING", labels) == "citizen_facing"
    assert map_label("intern effektivisering", labels) == "internal_efficiency"
    assert map_label("Medborgarnära", labels) == "citizen_facing"
    assert map_label("medborgarorienterad", labels) == "citizen_facing"
    assert map_label("invånarriktad", labels) == "citizen_facing"
    assert map_label("Ingen", labels) == "none"
    assert map_label("inget", labels) == "none"
    assert map_label("kanske", labels) is None
    assert map_label("", labels) is None


def test_swedish_excel_csv_is_imported(tmp_path: Path, labels_dir: Path) -> None:
    source = write_queue_csv(tmp_path / "batch-1.csv", [
        queue_row(0, "medborgarnära", kommunkod="180"),  # Excel dropped the leading zero
        queue_row(1, "Internal_Efficiency", note="osäker, gäller handläggarna"),
        queue_row(2, ""),  # not annotated yet
        queue_row(3, "citizen_facing", page="14.0"),
    ], delimiter=";")
    result = import_labels(source, "ab", labels_dir, today=DAY)
    assert result.written == labels_dir / "imported" / "2025-03-01-ab-batch-1.jsonl"
    assert result.agreement_written is None
    assert result.new_by_label == {"none": 0, "internal_efficiency": 1, "citizen_facing": 2}
    assert result.skipped_blank == 1 and result.already_imported == 0
    records = read_jsonl(result.written)
    assert records[0] == {
        "id": "0180-2025-q0", "text": TEXTS[0], "label": "citizen_facing",
        "municipality_code": "0180", "municipality": "Stockholm", "year": 2025,
        "doc_id": "0180-2025", "file": "docs/stockholm-2025.pdf", "page": 10,
        "heading_path": "Mål > Digitalisering", "annotator": "ab", "source": "batch-1.csv",
    }
    assert records[1]["note"] == "osäker, gäller handläggarna"
    assert records[2]["page"] == 14
    # The new file passes the project's own validation, with the existing labels.
    loaded, problems = read_records([labels_dir])
    assert problems == [] and len(loaded) == 4
    report = format_result(result)
    assert "3 new paragraph(s)" in report and "1 without a label yet" in report


def test_invalid_rows_stop_the_import(tmp_path: Path, labels_dir: Path) -> None:
    source = write_queue_csv(tmp_path / "batch.csv", [
        queue_row(0, "citizen_facing"),
        queue_row(1, "kanske"),
        queue_row(2, "none", text="   "),
        queue_row(3, "none", year="tjugo"),
        queue_row(0, "none", id="other"),  # row 2's text again with another label
    ])
    with pytest.raises(InvalidRowsError) as caught:
        import_labels(source, "ab", labels_dir, today=DAY)
    reasons = [str(p) for p in caught.value.problems]
    assert reasons[0].startswith(f"{source}:3: unknown label 'kanske'")
    assert reasons[1] == f"{source}:4: empty text"
    assert reasons[2] == f"{source}:5: year 'tjugo' is not a whole number"
    assert reasons[3].startswith(f"{source}:6: same text as line 2")
    assert "nothing written" in str(caught.value)
    assert not (labels_dir / "imported").exists()

    result = import_labels(source, "ab", labels_dir, skip_invalid=True, today=DAY)
    assert result.new == 1 and len(result.problems) == 4
    assert "4 invalid row(s) left out" in format_result(result)


def test_importing_the_same_file_twice_adds_nothing(tmp_path: Path, labels_dir: Path) -> None:
    source = write_queue_csv(tmp_path / "batch.csv",
                             [queue_row(0, "citizen_facing"), queue_row(1, "none")])
    first = import_labels(source, "ab", labels_dir, today=DAY)
    assert first.new == 2
    again = import_labels(source, "ab", labels_dir, today=DAY)
    assert (again.new, again.second_annotations, again.already_imported) == (0, 0, 2)
    assert again.written is None and again.agreement_written is None
    assert "nothing written" in format_result(again)
    assert sorted(p.name for p in (labels_dir / "imported").iterdir()) == [
        "2025-03-01-ab-batch.jsonl"]
    # Changing one's own label on a re-import is refused: edit the label file instead.
    changed = write_queue_csv(tmp_path / "batch.csv",
                              [queue_row(0, "internal_efficiency"), queue_row(2, "none")])
    with pytest.raises(InvalidRowsError) as caught:
        import_labels(changed, "ab", labels_dir, today=DAY)
    (problem,) = caught.value.problems
    assert "you labelled this paragraph 'citizen_facing' in" in problem.reason
    assert "2025-03-01-ab-batch.jsonl:1" in problem.reason


def labelstudio_export(path: Path, tasks: list[tuple[str, str, list[str]]]) -> Path:
    """A Label Studio JSON export: (queue id, text, chosen labels) per task."""
    exported = []
    for number, (task_id, text, choices) in enumerate(tasks, start=1):
        result = [{"from_name": "label", "to_name": "text", "type": "choices",
                   "value": {"choices": choices}}] if choices else []
        exported.append({
            "id": 100 + number,
            "data": {"id": task_id, "text": text, "kommunkod": "0180", "kommun": "Stockholm",
                     "year": 2025, "file": "docs/stockholm-2025.pdf", "page": 10 + number},
            "annotations": [{"was_cancelled": True, "result": []},
                            {"was_cancelled": False, "result": result}] if choices else [],
        })
    path.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    return path


def test_second_annotations_go_to_agreement(tmp_path: Path, labels_dir: Path) -> None:
    import_labels(write_queue_csv(tmp_path / "batch.csv", [
        queue_row(0, "citizen_facing"), queue_row(1, "internal_efficiency"),
        queue_row(2, "none")]), "ab", labels_dir, today=DAY)
    export = labelstudio_export(tmp_path / "project-3.json", [
        ("0180-2025-q0", TEXTS[0], ["citizen_facing"]),
        ("0180-2025-q1", TEXTS[1], ["citizen_facing"]),  # ab said internal_efficiency
        ("0180-2025-q2", TEXTS[2], ["none"]),
        ("x", SEEDED.upper(), ["Ingen"]),  # the seed says citizen_facing
        ("0180-2025-q3", TEXTS[3], ["citizen_facing"]),  # nobody labelled it yet
        ("0180-2025-q9", "Inte annoterad än.", []),
    ])
    result = import_labels(export, "cd", labels_dir, today=DAY)
    assert result.new == 1 and result.second_annotations == 4 and result.skipped_blank == 1
    assert result.agreement_written == labels_dir / "agreement" / "2025-03-01-cd-project-3.jsonl"
    second = read_jsonl(result.agreement_written)
    assert [r["id"] for r in second] == ["0180-2025-q0", "0180-2025-q1", "0180-2025-q2", "seed-1"]
    assert {r["annotator"] for r in second} == {"cd"}
    assert second[0]["page"] == 11 and second[0]["source"] == "project-3.json"

    assert [(d.new.label, [o.label for o in d.others]) for d in result.disagreements] == [
        ("citizen_facing", ["internal_efficiency"]), ("none", ["citizen_facing"])]
    report = format_result(result)
    assert "2 paragraph(s) labelled differently" in report
    assert f"cd: citizen_facing  ({export}:2; 0180 Stockholm 2025" in report
    assert "ab: internal_efficiency  (" in report and "2025-03-01-ab-batch.jsonl:2" in report
    assert "seed: citizen_facing  (" in report and "seed.jsonl:1; 1480 p. 3)" in report
    # Agreement over the 4 paragraphs labelled twice, by 3 annotators: alpha, no kappa.
    # Units (ab|seed, cd): (c, c), (i, c), (n, n), (c, n). Totals c 4, i 1, n 3; n = 8.
    # Disagreeing ordered pairs: 2 + 2 = 4. alpha = 1 - 7 * 4 / (64 - 16 - 1 - 9) = 1 - 28/38.
    assert result.agreement.units == 4 and result.agreement.cohen_kappa is None
    assert result.agreement.krippendorff_alpha == pytest.approx(1 - 28 / 38)
    # Training never reads agreement/: the labels still load, each paragraph once.
    assert len(load_valid([labels_dir])) == 5


def test_two_annotators_get_cohens_kappa(tmp_path: Path, labels_dir: Path) -> None:
    import_labels(write_queue_csv(tmp_path / "a.csv", [
        queue_row(0, "citizen_facing"), queue_row(1, "internal_efficiency"),
        queue_row(2, "none"), queue_row(3, "citizen_facing")]), "ab", labels_dir, today=DAY)
    result = import_labels(write_queue_csv(tmp_path / "b.csv", [
        queue_row(0, "citizen_facing"), queue_row(1, "citizen_facing"),
        queue_row(2, "none"), queue_row(3, "citizen_facing")]), "cd", labels_dir, today=DAY)
    # Pairs (ab, cd): (c, c), (i, c), (n, n), (c, c): p_o = 3/4.
    # Marginals ab: c 2, i 1, n 1; cd: c 3, n 1. p_e = (2*3 + 1*0 + 1*1) / 16 = 7/16.
    # kappa = (12/16 - 7/16) / (9/16) = 5/9.
    assert result.agreement.annotators == ("ab", "cd")
    assert result.agreement.cohen_kappa == pytest.approx(5 / 9)
    assert "Cohen's kappa 0.556" in format_result(result)


def test_doccano_jsonl_and_labelstudio_min(tmp_path: Path, labels_dir: Path) -> None:
    doccano = tmp_path / "doccano.jsonl"
    doccano.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in [
        {"id": 1, "text": TEXTS[0], "label": ["citizen_facing"], "kommunkod": "1480",
         "year": 2024},
        {"id": 2, "text": TEXTS[1], "label": []},
        {"id": 3, "text": TEXTS[2], "label": ["none", "citizen_facing"]},
        {"id": 4, "text": TEXTS[3], "label": ["Medborgarorienterad"], "meta": {"page": 7}},
    ]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidRowsError) as caught:
        import_labels(doccano, "ef", labels_dir, today=DAY)
    assert [str(p) for p in caught.value.problems] == [
        f"{doccano}:3: several labels ['none', 'citizen_facing']; keep one"]
    result = import_labels(doccano, "ef", labels_dir, skip_invalid=True, today=DAY)
    assert result.new == 2 and result.skipped_blank == 1
    first, second = read_jsonl(result.written)
    # doccano's integer ids are its own: the id is made from municipality, year and text.
    assert first["id"].startswith("1480-2024-") and first["doc_id"] == "1480-2024"
    assert second["page"] == 7 and second["id"].startswith("unknown-unknown-")

    minimal = tmp_path / "min.json"
    minimal.write_text(json.dumps([{"id": "m1", "text": "Öppna data ska publiceras.",
                                    "label": "citizen_facing", "kommunkod": "0180"}]),
                       encoding="utf-8")
    (record,) = read_jsonl(import_labels(minimal, "ef", labels_dir, today=DAY).written)
    assert (record["id"], record["label"], record["municipality_code"]) == (
        "m1", "citizen_facing", "0180")


def test_windows_1252_csv_and_name_collisions(tmp_path: Path, labels_dir: Path) -> None:
    first = write_queue_csv(tmp_path / "one" / "batch.csv", [queue_row(0, "medborgarnära")],
                            encoding="cp1252")
    result = import_labels(first, "ab", labels_dir, today=DAY)
    assert read_jsonl(result.written)[0]["text"] == TEXTS[0]
    second = write_queue_csv(tmp_path / "two" / "batch.csv", [queue_row(1, "ingen")])
    result = import_labels(second, "ab", labels_dir, today=DAY)
    assert result.written is not None and result.written.name == "2025-03-01-ab-batch-2.jsonl"


def test_id_collisions_are_invalid(tmp_path: Path, labels_dir: Path) -> None:
    source = write_queue_csv(tmp_path / "batch.csv", [
        queue_row(0, "none", id="seed-1"),  # the seed's id, another text
        queue_row(1, "none", id="same"), queue_row(2, "none", id="same"),
        queue_row(3, "none"), queue_row(3, "none"),  # repeated: counted once
    ])
    with pytest.raises(InvalidRowsError) as caught:
        import_labels(source, "ab", labels_dir, today=DAY)
    reasons = [str(p) for p in caught.value.problems]
    assert reasons == [
        f"{source}:2: id 'seed-1' is already used for another paragraph in the labels; clear "
        "the id cell to get a new one",
        f"{source}:4: id 'same' is also used on line 3 for another text; clear one of the ids",
    ]
    result = import_labels(source, "ab", labels_dir, skip_invalid=True, today=DAY)
    assert result.new == 2 and result.duplicates_in_file == 1


def test_bad_inputs(tmp_path: Path, labels_dir: Path) -> None:
    source = write_queue_csv(tmp_path / "batch.csv", [queue_row(0, "none")])
    with pytest.raises(MrpError, match="--annotator"):
        import_labels(source, "a b/c", labels_dir)
    with pytest.raises(MrpError, match="no such labels folder"):
        import_labels(source, "ab", tmp_path / "typo")
    with pytest.raises(MrpError, match="unknown format"):
        import_labels(write_queue_csv(tmp_path / "batch.xlsx", []), "ab", labels_dir)
    no_label = tmp_path / "nolabel.csv"
    no_label.write_text("id,text\n1,hej\n", encoding="utf-8")
    with pytest.raises(MrpError, match="no 'label' column"):
        import_labels(no_label, "ab", labels_dir)
    with pytest.raises(MrpError, match="no such file"):
        import_labels(tmp_path / "missing.csv", "ab", labels_dir)
