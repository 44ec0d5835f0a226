"""The whole country: 290 generated plans per year through the real ``run(...)``.

A stub classifier gives fixed probabilities to marker sentences, so the profile of
every municipality, its profile probabilities and its digital-goal units are known
in advance. The truth is computed here from the generated plans and the bundled
reference tables read directly (not through ``reference.py``), and every count,
inhabitant sum, expectation and breakdown in ``summary.json`` must equal it.
2021 (SKR's 2017 groups, the 2018 term) and 2025 (the 2023 groups, the 2022 term)
differ in a known set of municipalities, which ``compare-runs`` must list exactly.
"""

from __future__ import annotations

import csv
import html.parser
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from mrp_classify.cli import app
from mrp_classify.inference import run as run_module
from mrp_classify.inference.model import ModelInput
from mrp_classify.inference.report_breakdowns import breakdowns_section
from mrp_classify.inference.report_format import Locale, esc
from mrp_classify.inference.run import run

DATA = Path(run_module.__file__).parent / "data"
LABELS = ("none", "internal_efficiency", "citizen_facing")
NO, INTERNAL, CITIZEN = PROFILES = ("no_digital_goals", "internal_only", "citizen_facing")
# The study's 41 municipalities without goals and 99 without citizen-facing ones.
COUNTS_2021 = {NO: 41, INTERNAL: 58, CITIZEN: 191}
CHANGED_IN_2025 = 37
YEARS = (2021, 2025)

# Exact in float32, so the probabilities the run reads are these numbers.
P_CITIZEN = (0.0625, 0.0625, 0.875)
P_WEAK_CITIZEN = (0.375, 0.0625, 0.5625)
P_INTERNAL = (0.0625, 0.875, 0.0625)
P_NEAR_MISS = (0.75, 0.1875, 0.0625)  # digital 0.25: under the unit threshold
P_NONE = (0.96875, 0.015625, 0.015625)

CITIZEN_UNITS = (
    "Fler e-tjänster ska göra det enklare för invånarna att söka bygglov dygnet runt.",
    "Välfärdsteknik ska ge brukarna i hemtjänsten ökad trygghet och självständighet.",
    "Bredband ska nå alla hushåll och företag på landsbygden inom planperioden.",
)
WEAK_CITIZEN_UNIT = "Biblioteken kan erbjuda stöd i digital delaktighet för äldre invånare."
INTERNAL_UNITS = (
    "Automatisering av återkommande uppgifter ska frigöra tid för handläggarna.",
    "Ett gemensamt e-arkiv ska tas i drift och pappersarkiven avvecklas stegvis.",
    "Informationssäkerheten ska stärkas genom utbildning av alla chefer och medarbetare.",
)
NEAR_MISS_UNIT = "Omvärlden digitaliseras snabbt och invånarnas förväntningar på kommunen ökar."
MARKERS = {**dict.fromkeys(CITIZEN_UNITS, P_CITIZEN), WEAK_CITIZEN_UNIT: P_WEAK_CITIZEN,
           **dict.fromkeys(INTERNAL_UNITS, P_INTERNAL), NEAR_MISS_UNIT: P_NEAR_MISS}
FILLERS = (
    "Kommunens resultat beräknas bli positivt och nämnderna ska hålla sina budgetramar.",
    "Förskolan ska erbjuda en trygg miljö där barnen utvecklas och lär sig mycket.",
    "Nämnden får i uppdrag att se över lokalförsörjningen för att minska hyreskostnaderna.",
    "Sjukfrånvaron bland medarbetarna ska sänkas genom ett bättre arbetsmiljöarbete.",
    "Gång- och cykelvägnätet ska byggas ut så att fler kan välja att cykla till jobbet.",
    "Äldreomsorgen ska ha kontinuitet så att den äldre möter samma personal varje vecka.",
    "Skolans resultat ska förbättras och fler elever ska bli behöriga till gymnasiet.",
    "Investeringarna i vatten och avlopp fortsätter enligt den antagna planen för perioden.",
    "Kommunen ska vara en attraktiv arbetsgivare som behåller och utvecklar sin personal.",
    "Föreningslivet får stöd så att barn och unga har en meningsfull fritid året om.",
    "Bostadsbyggandet ska öka och detaljplaner tas fram för nya bostäder i centralorten.",
    "Klimatutsläppen från kommunens egna fordon ska minska varje år under perioden.",
)
GARBLED = " ".join(f"qx{i % 97}zv bnrt{i % 13}k" for i in range(150))


class MarkerClassifier:
    """The probabilities of the marker sentence a unit holds; clear none otherwise."""

    labels = LABELS

    def predict_proba(self, items: Sequence[ModelInput]) -> np.ndarray:
        return np.array([next((p for marker, p in MARKERS.items() if marker in item.text),
                              P_NONE) for item in items], dtype=np.float32)


@dataclass(frozen=True)
class Plan:
    code: str
    year: int
    profile: str
    units: tuple[str, ...]  # the digital-goal units
    near_miss: bool
    fillers: int

    def text(self, kommun: str) -> str:
        paragraphs = [f"{kommun} kommun", f"Mål- och resursplan {self.year}",
                      *FILLERS[:self.fillers], *self.units,
                      *([NEAR_MISS_UNIT] if self.near_miss else [])]
        return "\n\n".join(paragraphs) + "\n"

    def probabilities(self) -> dict[str, float]:
        """The profile distribution of aggregate.py's docstring: the strongest unit
        decides; the other two profiles share the rest by their raw confidence."""
        units = [MARKERS[u] for u in self.units] + ([P_NEAR_MISS] if self.near_miss else [])
        best_digital = max((p[1] + p[2] for p in units), default=0.0)
        best_citizen = max((p[2] for p in units), default=0.0)
        raw = {NO: 1 - best_digital, INTERNAL: best_digital * (1 - best_citizen),
               CITIZEN: best_citizen}
        others = [name for name in PROFILES if name != self.profile]
        weight = sum(raw[name] for name in others)
        return {name: raw[name] if name == self.profile else
                (1 - raw[self.profile]) * raw[name] / weight for name in PROFILES}


def draw_plan(rng: random.Random, code: str, year: int, profile: str) -> Plan:
    units: list[str] = []
    if profile == CITIZEN:
        if rng.random() < 0.3:
            units.append(WEAK_CITIZEN_UNIT)
        else:
            units += rng.sample(CITIZEN_UNITS, rng.randint(1, 3))
        units += rng.sample(INTERNAL_UNITS, rng.randint(0, 2))
    elif profile == INTERNAL:
        units += rng.sample(INTERNAL_UNITS, rng.randint(1, 3))
    return Plan(code, year, profile, tuple(units), profile == NO, rng.randint(3, 12))


def read_data(name: str) -> dict[str, dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return {row["kommunkod"]: row for row in csv.DictReader(handle)}


KOMMUNER = read_data("kommuner.csv")
POPULATION = {code: int(row["population"]) for code, row in KOMMUNER.items()}
SKR_2017 = read_data("skr_kommungruppsindelning_2017.csv")
SKR_2023 = read_data("skr_kommungruppsindelning_2023.csv")
STYREN = read_data("styren_2014_2018_2022.csv")
TAX = {code: float(row["total_exkl_kyrka_begr"])
       for code, row in read_data("kommunalskatt_2025.csv").items()}
CUTS = np.quantile(sorted(TAX.values()), [0.25, 0.5, 0.75])


def group_of(dimension: str, year: int) -> Callable[[str], tuple[str, str]]:
    """kommunkod → (group key, group name) as the bundled tables say for ``year``."""
    if dimension in ("kommungrupp", "huvudgrupp"):
        def skr(code: str) -> tuple[str, str]:
            if year < 2023:
                row = SKR_2017[code]
                key, name, main = row["grupp"], row["kommungrupp_2017"], row["huvudgrupp"]
            else:
                row = SKR_2023[code]
                key, name, main = row["gruppkod"], row["kommungrupp_2023"], row["huvudgrupp"]
            return (key, name) if dimension == "kommungrupp" else (key[0], main)
        return skr
    if dimension == "bloc":
        column = "bloc_2018_skrdef2022" if year < 2023 else "bloc_2022_skrdef2022"
        return lambda code: (STYREN[code][column], "")
    return lambda code: (f"Q{1 + int(sum(TAX[code] > cut for cut in CUTS))}", "")


@dataclass(frozen=True)
class National:
    plans: Mapping[int, Mapping[str, Plan]]
    runs: Mapping[int, Path]
    root: Path

    def summary(self, year: int) -> dict[str, Any]:
        return json.loads((self.runs[year] / "summary.json").read_text(encoding="utf-8"))


def write_plans(folder: Path, plans: Mapping[str, Plan]) -> None:
    folder.mkdir(parents=True)
    for code, plan in plans.items():
        kommun = KOMMUNER[code]["kommun"]
        (folder / f"{kommun}-mrp-{plan.year}.txt").write_text(plan.text(kommun), encoding="utf-8")


def run_folder(docs: Path, out: Path, model: Path, root: Path) -> int:
    return run([docs], out, model, classifier=MarkerClassifier(), quiet=True,
               display_root=root).exit_code


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    (folder / "model.json").write_text(json.dumps({
        "format_version": 1, "name": "stub", "version": "v1", "labels": list(LABELS),
        "max_length": 64}), encoding="utf-8")
    (folder / "model.onnx").write_bytes(b"not a real model")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    return folder


@pytest.fixture(scope="module", autouse=True)
def no_report() -> Any:
    """The page has its own tests; this one checks the numbers."""
    def write(out_dir: Path, *_: object) -> Path:
        path = out_dir / "report.html"
        path.write_text("<html></html>", encoding="utf-8")
        return path

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run_module, "write_report", write)
        yield


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory, model_folder: Path) -> National:
    rng = random.Random(2021)
    codes = sorted(KOMMUNER)
    shuffled = rng.sample(codes, len(codes))
    profile_2021: dict[str, str] = {}
    for name, count in COUNTS_2021.items():
        for code in shuffled[len(profile_2021):len(profile_2021) + count]:
            profile_2021[code] = name
    changed = set(rng.sample(codes, CHANGED_IN_2025))
    profile_2025 = {code: rng.choice([p for p in PROFILES if p != profile]) if code in changed
                    else profile for code, profile in profile_2021.items()}
    plans = {year: {code: draw_plan(rng, code, year, profiles[code]) for code in codes}
             for year, profiles in ((2021, profile_2021), (2025, profile_2025))}
    root = tmp_path_factory.mktemp("national")
    runs = {}
    for year in YEARS:
        write_plans(root / f"plans-{year}", plans[year])
        runs[year] = root / f"run-{year}"
        assert run_folder(root / f"plans-{year}", runs[year], model_folder, root) == 0
    return National(plans, runs, root)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def words(plan: Plan) -> int:
    return len(plan.text(KOMMUNER[plan.code]["kommun"]).split())


def density(plan: Plan) -> float:
    return len(plan.units) / words(plan) * 10_000


def expected_figures(plans: Sequence[Plan], kinds: Sequence[str]) -> dict[str, float]:
    hard = [p for p in plans if p.profile in kinds]
    weights = [sum(p.probabilities()[k] for k in kinds) for p in plans]
    return {"municipalities": len(hard),
            "inhabitants": sum(POPULATION[p.code] for p in hard),
            "expected_municipalities": sum(weights),
            "expected_inhabitants": sum(w * POPULATION[p.code] for w, p in zip(weights, plans,
                                                                                strict=True))}


def check_figures(got: Mapping[str, Any], plans: Sequence[Plan], kinds: Sequence[str]) -> None:
    truth = expected_figures(plans, kinds)
    assert got["municipalities"] == truth["municipalities"]
    assert got["inhabitants"] == truth["inhabitants"]
    assert got["expected_municipalities"] == pytest.approx(truth["expected_municipalities"],
                                                           abs=6e-5)
    assert got["expected_inhabitants"] == pytest.approx(truth["expected_inhabitants"], abs=0.06)
    low, high = got["municipalities_interval"]
    assert low <= truth["expected_municipalities"] <= high
    low, high = got["inhabitants_interval"]
    assert low <= truth["expected_inhabitants"] <= high


def check_group(entry: Mapping[str, Any], members: Sequence[str], plans: Mapping[str, Plan],
                unreadable: frozenset[str] = frozenset()) -> None:
    counted = [plans[c] for c in members if c in plans and c not in unreadable]
    assert entry["municipalities"] == len(members)
    assert entry["processed"] == sum(1 for c in members if c in plans)
    assert entry["counted"] == len(counted)
    assert entry["coverage"] == round(len(counted) / len(members), 4)
    assert entry["inhabitants"] == sum(POPULATION[c] for c in members)
    assert entry["inhabitants_counted"] == sum(POPULATION[p.code] for p in counted)
    for name in PROFILES:
        check_figures(entry["profiles"][name], counted, [name])
    check_figures(entry["no_or_internal_only"], counted, [NO, INTERNAL])
    rates = entry["digital_per_10k_words"]
    assert rates["municipalities"] == len(counted)
    if counted:
        mean = sum(density(p) for p in counted) / len(counted)
        assert rates["mean"] == pytest.approx(mean, abs=6e-5)
    if len(counted) >= 5:
        low, high = rates["interval"]
        assert low <= rates["mean"] <= high
    else:
        assert rates["interval"] is None


@pytest.mark.parametrize("year", YEARS)
def test_every_profile_count_and_inhabitant_sum(national: National, year: int) -> None:
    plans = national.plans[year]
    summary = national.summary(year)
    assert summary["documents"] | {"errors": [], "unresolved_files": [], "skipped_files": []} \
        == {"total": 290, "ok": 290, "error": 0, "skipped": 0, "unresolved": 0, "errors": [],
            "unresolved_files": [], "skipped_files": []}
    rows = read_csv(national.runs[year] / "municipalities.csv")
    assert {r["kommunkod"]: r["profile"] for r in rows} == {c: p.profile for c, p in plans.items()}
    for row in rows:
        plan = plans[row["kommunkod"]]
        assert int(row["words"]) == words(plan)
        assert int(row["n_internal_efficiency"]) + int(row["n_citizen_facing"]) == len(plan.units)
        assert row["kommungrupp_code"] == group_of("kommungrupp", year)(plan.code)[0]
        assert row["governing_bloc"] == group_of("bloc", year)(plan.code)[0]
    (entry,) = summary["years"]
    assert entry["year"] == year and entry["municipalities_processed"] == 290
    for name in PROFILES:
        members = [c for c, p in plans.items() if p.profile == name]
        assert entry["profiles"][name]["municipalities"] == len(members)
        assert entry["profiles"][name]["inhabitants"] == sum(POPULATION[c] for c in members)
    headline = [c for c, p in plans.items() if p.profile != CITIZEN]
    assert entry["headline"]["municipalities"] == len(headline)
    assert entry["headline"]["inhabitants"] == sum(POPULATION[c] for c in headline)
    kommungrupp = group_of("kommungrupp", year)
    for group in entry["by_kommungrupp"]:
        members = [c for c in plans if kommungrupp(c)[0] == group["code"]]
        assert group["name"] == kommungrupp(members[0])[1]
        assert group["profiles"] == {name: sum(1 for c in members if plans[c].profile == name)
                                     for name in PROFILES}


def test_reference_editions_follow_the_plan_year(national: National) -> None:
    first, second = (national.summary(year)["years"][0]["reference"] for year in YEARS)
    assert (first["kommungrupp_edition"], first["governing_election"]) == (2017, 2018)
    assert (second["kommungrupp_edition"], second["governing_election"]) == (2023, 2022)
    assert "2022" in first["bloc_definition"] and first["tax_rate_year"] == 2025
    assert first["population_year"] == second["population_year"] == 2024
    # 33 municipalities moved group between the editions; each year uses its own.
    moved = [c for c in KOMMUNER if SKR_2017[c]["grupp"] != SKR_2023[c]["gruppkod"]]
    assert len(moved) == 33
    for year in YEARS:
        records = {p["kommunkod"]: p for p in national.summary(year)["profiles"]}
        for code in moved:
            assert records[code]["kommungrupp_code"] == group_of("kommungrupp", year)(code)[0]


def test_study_table_in_the_studys_terms(national: National) -> None:
    plans = national.plans[2021]
    table = national.summary(2021)["years"][0]["study_table"]
    assert table["complete"] is True
    none = [c for c, p in plans.items() if p.profile == NO]
    internal = [c for c, p in plans.items() if p.profile == INTERNAL]
    assert table[NO]["municipalities"] == 41 and table[INTERNAL]["municipalities"] == 58
    assert table["no_or_internal_only"]["municipalities"] == 99
    assert table[NO]["inhabitants"] == sum(POPULATION[c] for c in none)
    assert table[INTERNAL]["inhabitants"] == sum(POPULATION[c] for c in internal)
    assert table["no_or_internal_only"]["inhabitants"] == sum(
        POPULATION[c] for c in none + internal)
    check_figures(table["no_or_internal_only"], list(plans.values()), [NO, INTERNAL])
    assert "all 290" in table["statement"] and "99" in table["statement"]


@pytest.mark.parametrize("year", YEARS)
def test_breakdowns_equal_the_generated_truth(national: National, year: int) -> None:
    plans = national.plans[year]
    breakdowns = national.summary(year)["years"][0]["breakdowns"]
    check_group(breakdowns["national"], sorted(KOMMUNER), plans)
    for dimension, entry in breakdowns["dimensions"].items():
        group = group_of(dimension, year)
        truth: dict[str, list[str]] = {}
        for code in sorted(KOMMUNER):
            truth.setdefault(group(code)[0], []).append(code)
        assert sorted(g["key"] for g in entry["groups"]) == sorted(truth)
        for got in entry["groups"]:
            check_group(got, truth[got["key"]], plans)
            if dimension in ("kommungrupp", "huvudgrupp"):
                assert got["name"] == group(truth[got["key"]][0])[1]
    assert breakdowns["dimensions"]["kommungrupp"]["edition"] == (
        f"SKR kommungruppsindelning {2017 if year < 2023 else 2023}")
    assert breakdowns["dimensions"]["tax_quartile"]["cutpoints"] == [
        round(float(c), 4) for c in CUTS]


@pytest.mark.parametrize("year", YEARS)
def test_big_cities_against_rural_municipalities(national: National, year: int) -> None:
    plans = national.plans[year]
    main, kommungrupp = group_of("huvudgrupp", year), group_of("kommungrupp", year)
    big = [plans[c] for c in plans if main(c)[1] == "Storstäder och storstadsnära kommuner"]
    rural = [plans[c] for c in plans if kommungrupp(c)[1].startswith("Landsbygdskommun")]
    assert len(big) == 46 and len(rural) == (55 if year < 2023 else 56)
    big_mean = sum(map(density, big)) / len(big)
    rural_mean = sum(map(density, rural)) / len(rural)
    ratio = national.summary(year)["years"][0]["breakdowns"]["big_cities_vs_rural"]
    assert ratio["municipalities"] == {"big_cities": len(big), "rural": len(rural)}
    assert ratio["means"]["big_cities"] == pytest.approx(big_mean, abs=6e-5)
    assert ratio["ratio"] == pytest.approx(big_mean / rural_mean, abs=6e-5)
    low, high = ratio["interval"]
    assert low < ratio["ratio"] < high
    assert ratio["groups"]["rural"] == ["C8 Landsbygdskommun",
                                        "C9 Landsbygdskommun med besöksnäring"]


def test_compare_runs_lists_exactly_the_changed_municipalities(national: National) -> None:
    before, after = national.plans[2021], national.plans[2025]
    out = national.root / "changes"
    runner = CliRunner()
    arguments = ["compare-runs", str(national.runs[2021]), str(national.runs[2025]),
                 "--out", str(out)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    rows = {r["kommunkod"]: r for r in read_csv(out / "changes.csv")}
    assert len(rows) == 290
    changed = {c for c in before if before[c].profile != after[c].profile}
    assert len(changed) == CHANGED_IN_2025
    assert {c for c, r in rows.items() if r["change"] == "profile_changed"} == changed
    assert {r["change"] for c, r in rows.items() if c not in changed} == {"same_profile"}
    for code, row in rows.items():
        assert (row["profile_a"], row["profile_b"]) == (before[code].profile,
                                                        after[code].profile)
        assert int(row["units_appeared"]) == len(set(after[code].units) - set(before[code].units))
        assert int(row["units_disappeared"]) == len(
            set(before[code].units) - set(after[code].units))

    changes = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    assert (changes["a"]["year"], changes["b"]["year"], changes["same_model"]) == (
        2021, 2025, True)
    national_moves = changes["national"]
    assert national_moves["profile_changed"] == CHANGED_IN_2025
    assert national_moves["compared"] == 290
    transitions = {(t["from"], t["to"]): t for t in national_moves["transitions"]}
    for (source, target), moved in transitions.items():
        codes = [c for c in before if (before[c].profile, after[c].profile) == (source, target)]
        assert moved["municipalities"] == len(codes)
        assert moved["inhabitants"] == sum(POPULATION[c] for c in codes)
    for name in PROFILES:
        net = (sum(1 for p in after.values() if p.profile == name)
               - sum(1 for p in before.values() if p.profile == name))
        assert national_moves["net_municipalities"][name] == net
    kommungrupp = group_of("kommungrupp", 2025)
    for group in changes["by_group"]["kommungrupp"]:
        members = [c for c in before if kommungrupp(c)[0] == group["key"]]
        assert group["profile_changed"] == len(changed & set(members))
    entry = next(m for m in changes["municipalities"] if m["kommunkod"] in changed)
    assert {u["text"] for u in entry["appeared"]} == (
        set(after[entry["kommunkod"]].units) - set(before[entry["kommunkod"]].units))

    # Never over existing files silently.
    (out / "changes.json").write_text("{}", encoding="utf-8")
    again = runner.invoke(app, arguments)
    assert again.exit_code == 2 and "--force" in again.output
    assert (out / "changes.json").read_text(encoding="utf-8") == "{}"
    assert runner.invoke(app, [*arguments, "--force"]).exit_code == 0
    assert json.loads((out / "changes.json").read_text(encoding="utf-8")) == changes


def test_same_inputs_give_byte_identical_breakdowns(national: National,
                                                    model_folder: Path) -> None:
    again = national.root / "run-2025-again"
    assert run_folder(national.root / "plans-2025", again, model_folder, national.root) == 0
    for name in ("summary.json", "municipalities.csv"):
        assert (again / name).read_bytes() == (national.runs[2025] / name).read_bytes()


def test_incomplete_coverage_gives_a_statement_not_a_national_figure(
        national: National, model_folder: Path) -> None:
    chosen = dict(list(national.plans[2025].items())[::10])  # 29 municipalities
    docs = national.root / "plans-partial"
    write_plans(docs, chosen)
    garbled = next(c for c in sorted(KOMMUNER) if c not in chosen)
    kommun = KOMMUNER[garbled]["kommun"]
    (docs / f"{kommun}-mrp-2025.txt").write_text(
        f"{kommun} kommun\n\nMål- och resursplan 2025\n\n{GARBLED}\n", encoding="utf-8")
    out = national.root / "run-partial"
    assert run_folder(docs, out, model_folder, national.root) == 0
    (entry,) = json.loads((out / "summary.json").read_text(encoding="utf-8"))["years"]
    table = entry["study_table"]
    assert table["complete"] is False and set(table) == {"complete", "statement"}
    assert "29 of 290" in table["statement"] and "1 unreadable" in table["statement"]
    processed = {**chosen, garbled: national.plans[2025][garbled]}
    breakdowns = entry["breakdowns"]
    check_group(breakdowns["national"], sorted(KOMMUNER), processed, frozenset({garbled}))
    kommungrupp = group_of("kommungrupp", 2025)
    for got in breakdowns["dimensions"]["kommungrupp"]["groups"]:
        members = [c for c in sorted(KOMMUNER) if kommungrupp(c)[0] == got["key"]]
        check_group(got, members, processed, frozenset({garbled}))

    # Against the full run: the other 260 are only in B; the unreadable plan is listed but
    # kept out of the movements, as it is kept out of the summary's counts.
    changes_dir = national.root / "changes-partial"
    result = CliRunner().invoke(app, ["compare-runs", str(out), str(national.runs[2025]),
                                      "--out", str(changes_dir)])
    assert result.exit_code == 0, result.output
    rows = {r["kommunkod"]: r for r in read_csv(changes_dir / "changes.csv")}
    assert sum(1 for r in rows.values() if r["change"] == "only_in_b") == 260
    assert {c for c, r in rows.items() if r["change"] == "same_profile"} == set(chosen)
    assert {c for c, r in rows.items() if r["unreadable"] == "true"} == {garbled}
    moves = json.loads((changes_dir / "changes.json").read_text(encoding="utf-8"))["national"]
    assert (moves["compared"], moves["unreadable"], moves["only_in_b"]) == (29, 1, 260)


def test_compare_runs_names_a_missing_year(national: National) -> None:
    result = CliRunner().invoke(app, ["compare-runs", str(national.runs[2021]),
                                      str(national.runs[2021]), "--year-a", "2019", "--out",
                                      str(national.root / "nowhere")])
    assert result.exit_code == 2
    assert "summary.json: no profiles for 2019; the run has 2021" in result.output
    assert not (national.root / "nowhere").exists()


class _Tags(html.parser.HTMLParser):
    VOID = frozenset({"br", "img", "meta", "link", "hr", "input", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.add(tag)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open.pop() == tag, tag


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_breakdowns_section_renders_the_national_summary(national: National,
                                                             lang: str) -> None:
    summary = national.summary(2021)
    loc = Locale(lang)
    page = breakdowns_section(summary, loc)
    parser = _Tags()
    parser.feed(page)
    assert parser.open == [] and "script" not in parser.seen and "style" not in parser.seen
    assert page.startswith('<section id="breakdowns">') and "http" not in page
    assert "{" not in page  # every template filled
    (year,) = summary["years"]
    breakdowns = year["breakdowns"]

    # All 290 counted: the study's table, its hard counts the generated 41, 58 and 99.
    assert loc.t("bd.study.complete", year=2021, all=290) in page
    study = page[page.index('<table class="breakdown study">'):]
    study = study[:study.index("</table>")]
    for key, count in ((NO, 41), (INTERNAL, 58), ("no_or_internal_only", 99)):
        figures = year["study_table"][key]
        assert figures["municipalities"] == count
        expected = loc.t("bd.expected", value=loc.decimal(figures["expected_municipalities"], 1),
                         interval="–".join(map(loc.whole, figures["municipalities_interval"])))
        assert f'{count}<span class="exp">{expected}</span>' in study
        assert f"{loc.whole(figures['inhabitants'])}<span" in study

    ratio = breakdowns["big_cities_vs_rural"]
    interval = "–".join(loc.decimal(x, 2) for x in ratio["interval"])
    assert f"<strong>{loc.decimal(ratio['ratio'], 2)}</strong> " in page
    assert interval in page

    # A row per group, each with its coverage: SKR's names as they are, blocs and tax
    # quartiles in the page's language; and the reference data of the plan year.
    counted = loc.t("bd.col.counted")
    for dimension, entry in breakdowns["dimensions"].items():
        for group in entry["groups"]:
            name = (f"{group['key']} {group['name']}" if dimension in ("kommungrupp", "huvudgrupp")
                    else loc.t(f"bd.{dimension}.{group['key']}"))
            coverage = loc.t("bd.coverage", counted=group["counted"], all=group["municipalities"])
            assert f'<tr><th scope="row">{esc(name)}</th><td data-label="{counted}">{coverage}' in page
    assert "Pendlingskommun nära storstad" in page
    if lang == "sv":
        assert "Borgerligt styre (M, C, L, KD)" in page and "Q1, lägst" in page
        assert "SKR:s kommungruppsindelning 2017" in page
        assert "efter valet 2018 (mandatperioden 2018–2022)" in page
        assert "gränserna 32,70, 33,595 och 34,13\u00a0%" in page
        assert "290 av 290" in page
    else:
        assert "Centre-right (M, C, L, KD)" in page and "Borgerligt" not in page
        assert "SKR's kommungruppsindelning 2017" in page
        assert "after the 2018 election (term 2018–2022)" in page
        assert "cut at 32.70, 33.595 and 34.13%" in page
        assert "290 of 290" in page and "Inga digitaliseringsmål" not in page

    hostile = json.loads(json.dumps(summary, ensure_ascii=False).replace(
        "Pendlingskommun nära storstad", "<script>alert(1)</script>"))
    page = breakdowns_section(hostile, loc)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
