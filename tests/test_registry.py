"""The model registry on copies of the tiny model: list, resolve, compare, promote."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import profile_from_labels
from mrp_classify.inference.model import Classifier
from mrp_classify.registry import (
    compare,
    default_ref,
    evaluate,
    format_comparison,
    format_versions,
    held_out_split,
    list_versions,
    promote,
    resolve_model,
)
from mrp_classify.splits import group_bucket


def variant(root: Path, version: str, **changes: object) -> Path:
    """A copy of tiny/v1 under another version, with model.json fields changed."""
    folder = root / "tiny" / version
    shutil.copytree(root / "tiny" / "v1", folder)
    info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    info.update(version=version, **changes)
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    return folder


@pytest.fixture
def registry(tmp_path: Path, tiny_models_root: Path) -> Path:
    """tiny/v1 (default), tiny/v2 (the same model), tiny/bad (its labels permuted, so
    every prediction is wrong)."""
    root = tmp_path / "models"
    shutil.copytree(tiny_models_root, root)
    variant(root, "v2", created="2030-01-01T00:00:00+00:00")
    variant(root, "bad", labels=["internal_efficiency", "citizen_facing", "none"])
    return root


def test_list_versions(registry: Path) -> None:
    variant(registry, "v10")
    hidden = registry / "tiny" / ".v11.tmp"
    shutil.copytree(registry / "tiny" / "v1", hidden)  # training writes here, then renames
    versions = list_versions(registry)
    assert [v.ref for v in versions] == ["tiny/v1", "tiny/v2", "tiny/v10", "tiny/bad"]
    v1 = versions[0]
    info = json.loads((v1.path / "model.json").read_text(encoding="utf-8"))
    assert v1.default and not any(v.default for v in versions[1:])
    assert v1.created == info["created"] and v1.data_hash == info["training_data"]["sha256"]
    assert v1.test_macro_f1 == info["metrics"]["test"]["macro_f1"]
    assert v1.size_bytes == sum(p.stat().st_size for p in v1.path.iterdir())
    table = format_versions(versions, registry)
    assert "* tiny/v1 " in table and "  tiny/v2 " in table
    assert info["training_data"]["sha256"][:12] in table
    assert "no models under" in format_versions([], registry)


def test_resolve_model(registry: Path, tmp_path: Path) -> None:
    assert resolve_model("tiny/v2", registry) == registry / "tiny" / "v2"
    assert resolve_model("v2", registry) == registry / "tiny" / "v2"
    assert resolve_model(str(registry / "tiny" / "bad"), registry) == registry / "tiny" / "bad"
    shutil.copytree(registry / "tiny" / "v1", registry / "other" / "v2")
    with pytest.raises(MrpError, match="v2: names several models"):
        resolve_model("v2", registry)
    with pytest.raises(MrpError, match="nope: is not a model.*tiny/v1"):
        resolve_model("nope", registry)


def test_held_out_split_is_the_training_test_split(registry: Path, tiny_labels: Path) -> None:
    v1 = registry / "tiny" / "v1"
    info = json.loads((v1 / "model.json").read_text(encoding="utf-8"))
    split = held_out_split(v1, tiny_labels)
    # The same paragraphs that training held out for its test metrics.
    assert len(split.records) == info["training_data"]["split"]["test"]["paragraphs"]
    assert all(group_bucket(r.group, split.salt) < split.test_fraction for r in split.records)
    assert (split.salt, split.test_fraction) == (info["config"]["split_salt"],
                                                 info["config"]["test_fraction"])


def test_compare_same_model_and_worse_model(registry: Path, tiny_labels: Path) -> None:
    v1, v2, bad = (registry / "tiny" / v for v in ("v1", "v2", "bad"))
    same = compare(v1, v2, tiny_labels)
    assert same.a_eval.report == same.b_eval.report and sum(same.changed.values()) == 0
    assert same.split_note == ""
    worse = compare(v1, bad, tiny_labels)
    n = len(worse.split.records)
    assert worse.b_eval.report["macro_f1"] < worse.a_eval.report["macro_f1"]
    texts = [r.text for r in worse.split.records]
    pairs = list(zip(Classifier(v1).predict(texts), Classifier(bad).predict(texts), strict=True))
    assert worse.changed == Counter((x, y) for x, y in pairs if x != y)
    assert sum(worse.changed.values()) > n // 2  # permuted labels: most labels change
    text = format_comparison(worse)
    delta = worse.b_eval.report["macro_f1"] - worse.a_eval.report["macro_f1"]
    assert f"{delta:+.3f}" in text
    assert f"label changes: {sum(worse.changed.values())} of {n}" in text
    assert "none → internal_efficiency" in text
    moved = variant(registry, "moved", config={**json.loads(
        (v1 / "model.json").read_text(encoding="utf-8"))["config"], "split_salt": "other"})
    assert "another split" in compare(v1, moved, tiny_labels).split_note


def test_compare_on_a_run_counts_profile_changes(registry: Path, tiny_labels: Path,
                                                 tmp_path: Path) -> None:
    from tests.conftest import CITIZEN_TEXTS, INTERNAL_TEXTS, NONE_TEXTS

    run = tmp_path / "run"
    run.mkdir()
    documents = {"0180": NONE_TEXTS[:3], "1480": NONE_TEXTS[:2] + INTERNAL_TEXTS[:1],
                 "2584": NONE_TEXTS[:1] + CITIZEN_TEXTS[:2]}
    rows = []
    for code, templates in documents.items():
        for index, template in enumerate(templates):
            text = template.format(y=2025, n=12, k="Ale")
            rows.append([f"{code}.txt", code, "2025", "1", str(index), "", "text", text, "none",
                         "1.0", "0.0", "0.0"])
    with open(run / "paragraphs.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "kommunkod", "year", "page", "index", "heading_path", "kind",
                         "text", "label", "p_none", "p_internal_efficiency", "p_citizen_facing"])
        writer.writerows(rows)
    v1, bad = registry / "tiny" / "v1", registry / "tiny" / "bad"
    result = compare(v1, bad, tiny_labels, run_dir=run).run
    assert result is not None

    # The expected counts, from the models' labels and the profile rule directly.
    texts = [row[7] for row in rows]
    expected_profiles = []
    predicted = []
    for model in (v1, bad):
        labels = Classifier(model).predict(texts)
        predicted.append(labels)
        expected_profiles.append({
            code: profile_from_labels(label for label, row in zip(labels, rows, strict=True)
                                      if row[1] == code) for code in documents})
    changed = sorted(code for code in documents
                     if expected_profiles[0][code] != expected_profiles[1][code])
    assert changed and result.profiles == 3 and result.paragraphs == len(rows)
    assert [change.kommunkod for change in result.changes] == changed
    assert result.paragraphs_changed == sum(x != y for x, y in zip(*predicted, strict=True))
    for change in result.changes:
        assert (change.profile_a, change.profile_b) == (expected_profiles[0][change.kommunkod],
                                                        expected_profiles[1][change.kommunkod])
    assert f"{len(changed)} of 3 municipality-year profiles change" in format_comparison(
        compare(v1, bad, tiny_labels, run_dir=run))


def test_promote(registry: Path, tiny_labels: Path, tmp_path: Path) -> None:
    accepted = promote("tiny/v2", registry, tiny_labels)
    assert (registry / "DEFAULT").read_text(encoding="utf-8") == "tiny/v2\n"
    assert accepted.candidate_f1 == accepted.default_f1
    assert "tiny/v2 is now the default (was tiny/v1); test macro-F1" in accepted.describe()

    with pytest.raises(MrpError) as refused:
        promote("bad", registry, tiny_labels)
    message = str(refused.value)
    # Both evaluated now on the candidate's split (the same config as v2's here).
    split = held_out_split(registry / "tiny" / "bad", tiny_labels)
    bad_f1, v2_f1 = (evaluate(registry / "tiny" / v, split.records).report["macro_f1"]
                     for v in ("bad", "v2"))
    assert bad_f1 < v2_f1 - 0.01
    assert f"tiny/bad: test macro-F1 {bad_f1:.3f} is below the default tiny/v2's {v2_f1:.3f}" \
        in message
    assert split.describe() in message and "--force" in message
    assert default_ref(registry) == "tiny/v2"

    forced = promote("bad", registry, tiny_labels, force=True)
    assert default_ref(registry) == "tiny/bad" and "not evaluated (--force)" in forced.describe()
    assert "already the default" in promote("tiny/bad", registry, tiny_labels).describe()
    # A wide enough tolerance accepts a worse model.
    promote("v1", registry, tiny_labels, force=True)
    promote("bad", registry, tiny_labels, tolerance=1.0)
    assert default_ref(registry) == "tiny/bad"

    outside = tmp_path / "elsewhere"
    shutil.copytree(registry / "tiny" / "v1", outside)
    with pytest.raises(MrpError, match="not a model of the registry"):
        promote(str(outside), registry, tiny_labels)
    with pytest.raises(MrpError, match="--tolerance"):
        promote("v1", registry, tiny_labels, tolerance=-0.1)


def test_first_promotion_needs_no_default(registry: Path, tiny_labels: Path) -> None:
    (registry / "DEFAULT").unlink()
    promotion = promote("v2", registry, tiny_labels)
    assert default_ref(registry) == "tiny/v2"
    assert promotion.previous is None and promotion.default_f1 is None
    assert "(was none)" in promotion.describe()
