import json
from pathlib import Path

from typer.testing import CliRunner

from mrp_classify.cli import app
from mrp_classify.labelset import data_hash, read_records, stats
from tests.conftest import fixture_records, write_jsonl

runner = CliRunner()


def _problems(tmp_path: Path, lines: list[str]) -> list[str]:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, problems = read_records([path])
    return [str(p) for p in problems]


def test_each_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    good = {"id": "a", "text": "E-tjänster för invånarna.", "label": "citizen_facing"}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"id": "b", "text": "x", "label": "intern effektivisering"}),
        json.dumps({"id": "c", "text": "   ", "label": "none"}),
        json.dumps({"id": "d", "text": "e-tjänster  FÖR invånarna.", "label": "citizen_facing"}),
        json.dumps({"id": "e", "text": "E-TJÄNSTER för invånarna. ", "label": "none"}),
        json.dumps({"id": "a", "text": "Annan text", "label": "none"}),
        json.dumps({"id": "f", "label": "none"}),
        json.dumps({"id": "g", "text": "y", "label": "none", "colour": "red"}),
        json.dumps({"id": "h", "text": "z", "label": "Internal_Efficiency"}),
    ]
    problems = _problems(tmp_path, lines)
    path = str(tmp_path / "bad.jsonl")
    expected = [
        f"{path}:2: invalid JSON",
        f"{path}:3: unknown label 'intern effektivisering'",
        f"{path}:4: empty text",
        f"{path}:5: duplicate text (first at {path}:1)",
        f"{path}:6: same text as {path}:1 but label 'none' vs 'citizen_facing'",
        f"{path}:7: duplicate id 'a' (first at {path}:1)",
        f"{path}:8: missing required field 'text'",
        f"{path}:9: unknown field 'colour'",
        f"{path}:10: unknown label 'Internal_Efficiency'",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert "did you mean 'internal_efficiency'" in " ".join(problems)
    assert len(problems) == len(expected)


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good" / "a.jsonl", fixture_records(3))
    result = runner.invoke(app, ["labels", "validate", str(good.parent)])
    assert result.exit_code == 0, result.output
    assert "ok: 12 labelled paragraphs" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "label": "maybe"}\n', encoding="utf-8")
    result = runner.invoke(app, ["labels", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:1: unknown label 'maybe'" in result.output


def test_stats_counts(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", fixture_records(5))
    records, problems = read_records([path])
    assert not problems
    summary = stats(records)
    assert summary["labels"] == {"none": 10, "internal_efficiency": 5, "citizen_facing": 5}
    assert summary["groups"] == 5
    result = runner.invoke(app, ["labels", "stats", str(path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["paragraphs"] == 20


def test_data_hash_ignores_order_and_whitespace(tmp_path: Path) -> None:
    records = fixture_records(4)
    first = read_records([write_jsonl(tmp_path / "a.jsonl", records)])[0]
    shuffled = list(reversed(records))
    shuffled[0] = dict(shuffled[0], text=shuffled[0]["text"] + "  ")
    second = read_records([write_jsonl(tmp_path / "b.jsonl", shuffled)])[0]
    assert data_hash(first) == data_hash(second)
    changed = [dict(records[0], label="citizen_facing")] + records[1:]
    third = read_records([write_jsonl(tmp_path / "c.jsonl", changed)])[0]
    assert data_hash(third) != data_hash(first)


def test_bundled_seed_corpus_is_valid_and_meets_its_quotas() -> None:
    records, problems = read_records([Path(__file__).parents[1] / "labels"])
    assert problems == []
    summary = stats(records)
    n = summary["paragraphs"]
    assert n >= 1500
    assert summary["labels"]["none"] / n >= 0.45
    assert summary["hard_negatives"] >= 250
    assert summary["positives_without_digital_word"] >= 150
    assert summary["tags"].get("mixed", 0) >= 100
    assert all(r.meta.get("doc_id") for r in records)


def test_stats_report_the_agreement_of_second_annotations(tmp_path: Path) -> None:
    texts = ["Fler e-tjänster för invånarna.", "Ett e-arkiv införs i förvaltningen.",
             "Simhallen renoveras.", "Nya cykelbanor byggs i centrum."]
    first = ["citizen_facing", "internal_efficiency", "none", "none"]
    second = ["citizen_facing", "internal_efficiency", "none", "internal_efficiency"]
    labels = tmp_path / "labels"
    write_jsonl(labels / "seed" / "a.jsonl", [
        {"id": f"a{i}", "text": t, "label": lab, "annotator": "a"}
        for i, (t, lab) in enumerate(zip(texts, first, strict=True))])
    write_jsonl(labels / "agreement" / "b.jsonl", [
        {"id": f"b{i}", "text": t, "label": lab, "annotator": "b"}
        for i, (t, lab) in enumerate(zip(texts, second, strict=True))])
    from mrp_classify.label_import import second_annotation_agreement

    overall, roles = second_annotation_agreement(labels)
    assert (overall.units, overall.all_agree, roles.units, roles.all_agree) == (4, 3, 4, 3)
    # p_o = 3/4; p_e = (1·1 + 1·2 + 2·1)/16 = 5/16 (citizen, internal, none) → kappa = (12/16 − 5/16)/(11/16) = 7/11
    assert abs(roles.cohen_kappa - 7 / 11) < 1e-9
    result = runner.invoke(app, ["labels", "stats", str(labels)])
    assert result.exit_code == 0, result.output
    assert "first label vs second annotation" in result.output and "3 agree" in result.output
