"""Reference data by plan year: editions, governing terms, blocs, tax quartiles."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from mrp_classify.inference import reference
from mrp_classify.inference.reference import (
    UNKNOWN_BLOC,
    bloc_from_parties,
    governing_election,
    kommungrupp_edition,
    tax_quartile,
    tax_rates,
    year_reference,
)

DATA = Path(reference.__file__).parent / "data"


@pytest.mark.parametrize(("year", "election", "edition"), [
    (2014, None, 2017), (2015, 2014, 2017), (2018, 2014, 2017), (2019, 2018, 2017),
    (2021, 2018, 2017), (2022, 2018, 2017), (2023, 2022, 2023), (2030, 2022, 2023)])
def test_plan_year_chooses_term_and_edition(year: int, election: int | None,
                                            edition: int) -> None:
    assert governing_election(year) == election
    assert kommungrupp_edition(year) == edition
    assert reference.editions(year)["governing_election"] == election


def test_bloc_rule_reproduces_skrs_columns() -> None:
    """The rule used for the 2014 term gives SKR's own blocs for 2018 and 2022."""
    with open(DATA / "styren_2014_2018_2022.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for term in (2018, 2022):
        listed = [r for r in rows if r[f"styre_{term}"]]
        assert len(listed) == 289
        assert all(bloc_from_parties(r[f"styre_{term}"]) == r[f"bloc_{term}_skrdef2022"]
                   for r in listed)
    assert bloc_from_parties("M+C+KD+L+MP") == "blockoverskridande"
    assert bloc_from_parties("M+KD+SD") == "borgerligt_SD"
    assert bloc_from_parties("") == UNKNOWN_BLOC


def test_year_reference_per_term() -> None:
    assert Counter(m.bloc for m in year_reference(2016).values()) == {
        "blockoverskridande": 127, "vanster": 99, "borgerligt": 63, UNKNOWN_BLOC: 1}
    assert year_reference(2016)["2425"].bloc == UNKNOWN_BLOC  # Dorotea: no 2014 data
    assert Counter(m.bloc for m in year_reference(2025).values())["borgerligt_SD"] == 39
    assert year_reference(2021)["0180"].governing_parties == "M+C+KD+L+MP"
    assert {m.bloc for m in year_reference(2010).values()} == {UNKNOWN_BLOC}
    assert year_reference(2022)["0980"].kommungrupp.key == "C6"
    assert year_reference(2025)["0180"].huvudgrupp.name == "Storstäder och storstadsnära kommuner"


def test_tax_quartiles_are_fixed_and_keep_ties_together() -> None:
    rates = tax_rates()
    assert rates["0980"] == 33.6  # Gotland: one combined rate
    quartiles = Counter(tax_quartile(rate) for rate in rates.values())
    assert quartiles == {"Q1": 73, "Q2": 72, "Q3": 72, "Q4": 73}
    by_rate: dict[float, set[str]] = {}
    for rate in rates.values():
        by_rate.setdefault(rate, set()).add(tax_quartile(rate))
    assert all(len(q) == 1 for q in by_rate.values())
