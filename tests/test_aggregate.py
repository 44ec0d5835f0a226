"""Aggregation rules on hand-made predictions: the profile decision of ANNOTATION.md,
strongest-unit confidence, duplicates counted once."""

from __future__ import annotations

import pytest

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import (
    DEFAULT_DECISION,
    DocumentOutcome,
    DocumentPredictions,
    ParagraphPrediction,
    ProfileDecision,
    aggregate,
    check_labels,
)
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.summary import MUNICIPALITY_COLUMNS, municipality_row, summarize

LABELS = ("none", "internal_efficiency", "citizen_facing")
CLEAR_NONE = (0.99, 0.005, 0.005)


def para(probs: tuple[float, float, float], index: int = 0, page: int = 1,
         file: str = "a.pdf", text: str = "") -> ParagraphPrediction:
    probabilities = dict(zip(LABELS, probs, strict=True))
    label = ProfileDecision().unit_label(probabilities)
    return ParagraphPrediction(file, page, index, ("Mål",), text or f"stycke {_word(index)}",
                               label, probabilities)


def _word(n: int) -> str:
    """Distinct texts whose digits do not count (units differing only in digits are one)."""
    letters = "abcdefghij"
    return "".join(letters[int(d)] for d in str(n))


def doc(paragraphs: list[ParagraphPrediction], code: str = "2184", year: int = 2025,
        words: int = 10_000, file: str = "a.pdf", sha: str = "") -> DocumentPredictions:
    return DocumentPredictions(file, sha or file, code, year, words, paragraphs)


def nones(n: int, start: int = 0) -> list[ParagraphPrediction]:
    return [para(CLEAR_NONE, index=start + i) for i in range(n)]


def one_profile(paragraphs: list[ParagraphPrediction],
                decision: ProfileDecision = DEFAULT_DECISION):
    (profile,) = aggregate([doc(paragraphs)], decision)
    return profile


def test_profile_rules_from_predicted_labels() -> None:
    assert one_profile(nones(5)).profile == "no_digital_goals"
    assert one_profile(nones(5) + [para((0.1, 0.85, 0.05), 9)]).profile == "internal_only"
    assert one_profile(
        nones(5) + [para((0.1, 0.85, 0.05), 9), para((0.05, 0.05, 0.9), 10)]
    ).profile == "citizen_facing"


def test_profile_probabilities_sum_to_one() -> None:
    profile = one_profile(nones(5) + [para((0.2, 0.5, 0.3), 9), para((0.6, 0.3, 0.1), 10)])
    assert sum(profile.probabilities.values()) == pytest.approx(1.0)
    assert profile.probabilities[profile.profile] == pytest.approx(profile.confidence)


def test_one_borderline_paragraph_decides_with_its_own_confidence() -> None:
    profile = one_profile(nones(200) + [para((0.45, 0.0, 0.55), 500)])
    assert profile.profile == "citizen_facing"
    assert profile.confidence == pytest.approx(0.55)
    assert profile.needs_review


def test_weak_units_do_not_add_up_to_a_confident_profile() -> None:
    """Three 0.55 units in one plan are not three independent witnesses: no 0.9."""
    weak = [para((0.45, 0.55, 0.0), 500 + i) for i in range(3)]
    profile = one_profile(nones(900) + weak)
    assert profile.profile == "internal_only"
    assert profile.confidence == pytest.approx(0.55, abs=0.01)
    assert profile.needs_review


def test_clear_none_paragraphs_do_not_accumulate() -> None:
    quiet = [para((0.96, 0.02, 0.02), i) for i in range(5000)]
    profile = one_profile(quiet)
    assert profile.profile == "no_digital_goals"
    assert profile.confidence == pytest.approx(0.96)
    assert not profile.needs_review


def test_uncertain_paragraph_among_999_none_is_flagged_not_silently_flipped() -> None:
    leaning_citizen = one_profile(nones(999) + [para((0.45, 0.05, 0.50), 999)])
    assert leaning_citizen.profile == "citizen_facing"
    assert leaning_citizen.needs_review
    leaning_none = one_profile(nones(999) + [para((0.55, 0.05, 0.40), 999)])
    assert leaning_none.profile == "no_digital_goals"
    assert leaning_none.confidence == pytest.approx(0.55)
    assert leaning_none.needs_review
    assert leaning_none.evidence[0].text == "stycke jjj"


def test_confident_profiles_need_no_review() -> None:
    profile = one_profile(nones(500) + [para((0.02, 0.03, 0.95), 7)])
    assert profile.confidence == pytest.approx(0.95)
    assert not profile.needs_review
    assert one_profile(nones(10), ProfileDecision(review_threshold=1.1)).needs_review


def test_internal_only_confidence_includes_the_chance_of_a_hidden_citizen_paragraph() -> None:
    profile = one_profile(nones(50) + [para((0.05, 0.70, 0.25), 1), para((0.05, 0.70, 0.25), 2)])
    assert profile.profile == "internal_only"
    # The strongest digital unit (0.95) times no citizen-facing unit (1 − 0.25).
    assert profile.confidence == pytest.approx(0.95 * 0.75)
    assert profile.needs_review
    sure = one_profile(nones(50) + [para((0.02, 0.96, 0.02), 1)])
    assert sure.confidence == pytest.approx(0.98 * 0.98)


def test_unit_threshold_decides_what_is_a_goal() -> None:
    units = nones(20) + [para((0.35, 0.40, 0.25), 30)]
    assert one_profile(units).profile == "internal_only"
    assert one_profile(units, ProfileDecision(unit_threshold=0.7)).profile == "no_digital_goals"


def test_calibration_maps_the_raw_confidence() -> None:
    decision = ProfileDecision(calibration=((0.0, 0.2), (0.9, 0.6), (1.0, 0.99)))
    profile = one_profile(nones(20) + [para((0.05, 0.05, 0.9), 30)], decision)
    assert profile.raw_confidence == pytest.approx(0.9)
    assert profile.confidence == pytest.approx(0.6)
    assert profile.needs_review


def test_identical_units_count_once() -> None:
    same = [para((0.1, 0.8, 0.1), i, text="Ett e-arkiv införs 2025.") for i in range(3)]
    profile = one_profile(nones(4) + same + [para((0.1, 0.8, 0.1), 9,
                                                   text="Ett e-arkiv införs 2026.")])
    assert dict(profile.counts) == {"none": 4, "internal_efficiency": 1, "citizen_facing": 0}


def test_the_same_plan_in_two_formats_counts_once() -> None:
    units = nones(40) + [para((0.4, 0.0, 0.6), 90)]
    profiles = aggregate([doc(units, file="plan.docx", words=5000),
                          doc(units, file="plan.pdf", words=5100)])
    (profile,) = profiles
    assert profile.duplicates == {"plan.pdf": "plan.docx"}
    assert profile.words == 5000
    assert profile.confidence == pytest.approx(0.6)
    assert profile.counts["none"] == 40


def test_counts_words_density_and_citizen_share() -> None:
    paragraphs = nones(6) + [para((0.1, 0.8, 0.1), 10), para((0.1, 0.8, 0.1), 11),
                             para((0.1, 0.1, 0.8), 12)]
    profile = one_profile(paragraphs)
    assert dict(profile.counts) == {"none": 6, "internal_efficiency": 2, "citizen_facing": 1}
    assert profile.paragraphs == 9
    assert profile.words == 10_000
    assert profile.digital_per_10k_words == pytest.approx(3.0)
    assert profile.citizen_share == pytest.approx(1 / 3)


def test_citizen_share_empty_without_digital_paragraphs() -> None:
    profile = one_profile(nones(3))
    assert profile.citizen_share is None
    row = dict(zip(MUNICIPALITY_COLUMNS, municipality_row(profile), strict=True))
    assert row["citizen_share"] == ""
    assert row["digital_per_10k_words"] == "0.00"


def test_evidence_is_the_deciding_paragraphs_by_probability() -> None:
    citizen = [para((0.1, 0.1, p), i, page=i) for i, p in enumerate(
        [0.6, 0.9, 0.7, 0.8, 0.65, 0.75])]
    profile = one_profile(nones(3, start=100) + [para((0.05, 0.9, 0.05), 50)] + citizen)
    assert [e.probability for e in profile.evidence] == [0.9, 0.8, 0.75, 0.7, 0.65]
    assert {e.label for e in profile.evidence} == {"citizen_facing"}
    first = profile.evidence[0]
    assert (first.file, first.page, first.heading_path, first.text) == (
        "a.pdf", 1, ("Mål",), "stycke b")
    internal = one_profile(nones(3) + [para((0.05, 0.9, 0.05), 50), para((0.3, 0.6, 0.1), 51)])
    assert [(e.label, e.probability) for e in internal.evidence] == [
        ("internal_efficiency", 0.9), ("internal_efficiency", 0.6)]
    assert one_profile(nones(3)).evidence == ()


def test_documents_of_one_municipality_year_are_combined() -> None:
    profiles = aggregate([
        doc(nones(2), words=4000, file="b.pdf"),
        doc([para((0.1, 0.1, 0.8), 1, file="a.pdf", text="Invånarna får fler e-tjänster.")],
            words=1000, file="a.pdf"),
        doc(nones(2), words=4000, file="b-copy.pdf", sha="b.pdf"),
        doc(nones(1), year=2024, file="old.pdf"),
        doc(nones(1), code="0180", file="sthlm.pdf"),
    ])
    assert [(p.municipality.kommunkod, p.year) for p in profiles] == [
        ("0180", 2025), ("2184", 2024), ("2184", 2025)]
    combined = profiles[2]
    # The identical copy counts once; the first file name in sort order represents it.
    assert combined.files == ("a.pdf", "b-copy.pdf")
    assert combined.words == 5000
    assert combined.profile == "citizen_facing"
    assert combined.paragraphs == 3


def test_population_group_and_county_are_joined() -> None:
    profile = one_profile(nones(1))
    row = dict(zip(MUNICIPALITY_COLUMNS, municipality_row(profile), strict=True))
    hudiksvall = municipalities()["2184"]
    assert row["kommun"] == "Hudiksvall"
    assert row["population"] == hudiksvall.population
    assert row["kommungrupp_code"] == hudiksvall.kommungrupp_code
    assert row["lan"] == "Gävleborgs län"
    assert row["needs_review"] == "false"
    assert row["confidence"] == "0.9900"


def test_check_labels() -> None:
    check_labels(("citizen_facing", "none", "internal_efficiency"))
    with pytest.raises(MrpError, match="not"):
        check_labels(("none", "digital"))


def outcome(file: str, status: str = "ok", aggregated: bool = True) -> DocumentOutcome:
    source = "filename" if aggregated else "unresolved"
    return DocumentOutcome(file, status, "" if status == "ok" else "boom", aggregated, source,
                           "")


def test_summary_inhabitants_headline_groups_and_missing() -> None:
    table = municipalities()
    profiles = aggregate([
        doc(nones(3), code="0180", file="sthlm.pdf"),                          # no goals
        doc([para((0.1, 0.8, 0.1))], code="1480", file="gbg.pdf"),             # internal
        doc([para((0.1, 0.1, 0.8))], code="1280", file="malmo.pdf"),           # citizen
        doc([para((0.1, 0.1, 0.8), file="hud.pdf")], code="2184", file="hud.pdf"),  # citizen
        doc(nones(1), code="2184", year=2024, file="hud-2024.pdf"),
    ])
    documents = [outcome(f) for f in ("sthlm.pdf", "gbg.pdf", "malmo.pdf", "hud.pdf",
                                       "hud-2024.pdf")]
    documents += [outcome("broken.pdf", status="error"), outcome("x.pdf", aggregated=False)]
    summary = summarize(profiles, documents)

    assert summary["documents"] | {"errors": None, "unresolved_files": None,
                                   "skipped_files": None} == {
        "total": 7, "ok": 5, "error": 1, "unresolved": 1, "skipped": 0, "errors": None,
        "unresolved_files": None, "skipped_files": None}
    assert summary["documents"]["errors"] == [{"file": "broken.pdf", "error": "boom"}]
    assert summary["documents"]["unresolved_files"][0]["file"] == "x.pdf"

    y2024, y2025 = summary["years"]
    assert y2024["year"] == 2024 and y2024["municipalities_processed"] == 1
    assert y2025["municipalities_processed"] == 4
    by_profile = y2025["profiles"]
    assert by_profile["no_digital_goals"]["inhabitants"] == table["0180"].population
    assert by_profile["internal_only"]["inhabitants"] == table["1480"].population
    assert by_profile["citizen_facing"]["municipalities"] == 2
    assert by_profile["citizen_facing"]["inhabitants"] == (
        table["1280"].population + table["2184"].population)
    headline = y2025["headline"]
    assert headline["inhabitants"] == table["0180"].population + table["1480"].population
    assert headline["municipalities"] == 2
    assert "no digitalisation goals or internal-only" in headline["text"]

    missing = y2025["missing"]
    assert missing["municipalities"] == 286
    assert {"kommunkod": "0114", "kommun": "Upplands Väsby"} in missing["list"]
    assert all(m["kommunkod"] not in {"0180", "1480", "1280", "2184"} for m in missing["list"])
    assert missing["inhabitants"] + y2025["inhabitants_processed"] == 10_587_710

    groups = {g["code"]: g for g in y2025["by_kommungrupp"]}
    assert groups["A1"]["profiles"] == {"no_digital_goals": 1, "internal_only": 1,
                                        "citizen_facing": 1}
    assert groups["A1"]["missing"] == 0
    assert sum(g["municipalities"] for g in groups.values()) == 290

    record = summary["profiles"][0]
    assert record["kommunkod"] == "0180" and record["profile"] == "no_digital_goals"
    assert set(record["profile_probabilities"]) == {"no_digital_goals", "internal_only",
                                                    "citizen_facing"}
    hud = next(p for p in summary["profiles"] if p["kommunkod"] == "2184" and p["year"] == 2025)
    assert hud["evidence"] == [{"file": "hud.pdf", "page": 1, "heading_path": ["Mål"],
                                "text": "stycke a", "label": "citizen_facing",
                                "probability": 0.8}]


@pytest.mark.parametrize("extra", [
    [],                                                    # no digital goals: near misses
    [para((0.3, 0.6, 0.1), 900)],                          # internal only
    [para((0.3, 0.6, 0.1), 900), para((0.2, 0.1, 0.7), 901)],
])
def test_leaving_out_clear_none_paragraphs_changes_no_profile(extra) -> None:
    near_misses = [para((0.9, 0.07, 0.03), 800), para((0.93, 0.01, 0.06), 801)]
    paragraphs = nones(300) + near_misses + extra
    full = aggregate([doc(paragraphs)])
    compact_doc = doc(paragraphs).without_clear_none()
    assert len(compact_doc.paragraphs) == len(near_misses) + len(extra)
    assert len(compact_doc.unit_keys) == len(paragraphs)
    assert aggregate([compact_doc]) == full
