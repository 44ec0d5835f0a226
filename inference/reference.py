"""Reference data by plan year: the SKR kommungrupp edition, who governs, the tax rate.

A plan is compared with the groups and the government of its own year
(``data/SOURCES.md`` names the sources):

* **Kommungrupp**: SKR's 2017 edition for plan years before 2023, the 2023 edition
  (``skr_kommungruppsindelning_2023.csv``: 33 municipalities moved group) from 2023.
* **Governing term**: a plan for 2015–2018 was adopted by the councils elected in 2014,
  2019–2022 by those of 2018, from 2023 by those of 2022 (a plan for year N is adopted
  in the autumn of N-1, after the September election). Before 2015 there are no data.
* **Bloc**: SKR's 2022 rules for every term, so that years compare: borgerligt (only
  M, C, L, KD), borgerligt_SD (those with SD), vanster (only S, V, MP — MP counts
  left), blockoverskridande (parties of both), SD_ovrigt, lokalt_ovrigt (local parties
  only). SKR's own bloc columns are used for the 2018 and 2022 terms; for the 2014 term
  the same rules are applied to the governing parties (``bloc_from_parties``, which
  reproduces SKR's columns for all 289 municipalities whose parties are listed in
  2018 and in 2022). ``okant``: no data (Dorotea 2014).
* **Tax rate**: 2025 rates for every year (the only edition bundled): the municipal
  plus regional rate an inhabitant pays, without church and burial fees. The sum, not
  the municipal rate alone: Gotland has one combined rate, and the counties split tasks
  (and rates) between municipality and region differently.
* **Population**: ``kommuner.csv``'s (31 December 2024) for every year.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np

from mrp_classify.errors import MrpError
from mrp_classify.inference.municipalities import municipalities

KOMMUNGRUPP_FILES = {2017: "skr_kommungruppsindelning_2017.csv",
                     2023: "skr_kommungruppsindelning_2023.csv"}
STYREN_FILE = "styren_2014_2018_2022.csv"
TAX_FILE = "kommunalskatt_2025.csv"
TAX_YEAR = 2025
TAX_COLUMN = "total_exkl_kyrka_begr"

BORGERLIGT = "borgerligt"
BORGERLIGT_SD = "borgerligt_SD"
BLOCKOVERSKRIDANDE = "blockoverskridande"
VANSTER = "vanster"
SD_OVRIGT = "SD_ovrigt"
LOKALT_OVRIGT = "lokalt_ovrigt"
UNKNOWN_BLOC = "okant"
BLOCS = (BORGERLIGT, BORGERLIGT_SD, BLOCKOVERSKRIDANDE, VANSTER, SD_OVRIGT, LOKALT_OVRIGT,
         UNKNOWN_BLOC)
BLOC_NAMES = {
    BORGERLIGT: "Borgerligt styre (M, C, L, KD)",
    BORGERLIGT_SD: "Borgerligt styre med SD",
    BLOCKOVERSKRIDANDE: "Blocköverskridande styre",
    VANSTER: "Vänsterstyre (S, V, MP)",
    SD_OVRIGT: "SD och övriga",
    LOKALT_OVRIGT: "Lokala partier och övriga",
    UNKNOWN_BLOC: "Uppgift saknas",
}
BLOC_DEFINITION = ("SKR's 2022 bloc rules (MP counts with the left) for every term: SKR's "
                   "columns for the 2018 and 2022 terms, the same rules applied to the "
                   "governing parties for the 2014 term")
_RIGHT = frozenset({"M", "C", "L", "KD"})
_LEFT = frozenset({"S", "V", "MP"})
_BLOC_COLUMNS = {2018: "bloc_2018_skrdef2022", 2022: "bloc_2022_skrdef2022"}

QUARTILES = ("Q1", "Q2", "Q3", "Q4")
DIMENSIONS = ("kommungrupp", "huvudgrupp", "bloc", "tax_quartile")


def governing_election(year: int) -> int | None:
    """The election whose councils adopted a plan for ``year``; None before 2015."""
    if year < 2015:
        return None
    return 2014 if year <= 2018 else 2018 if year <= 2022 else 2022


def kommungrupp_edition(year: int) -> int:
    return 2017 if year < 2023 else 2023


def bloc_from_parties(parties: str) -> str:
    """SKR's 2022 bloc of a government given as its riksdag parties ("S+V+MP")."""
    names = frozenset(p for p in parties.split("+") if p)
    right, left = names & _RIGHT, names & _LEFT
    if not names:
        return UNKNOWN_BLOC
    if right and left:
        return BLOCKOVERSKRIDANDE
    if "SD" in names:
        return BORGERLIGT_SD if right else SD_OVRIGT
    return BORGERLIGT if right else VANSTER


def _read(name: str, columns: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """A bundled table by kommunkod; it must cover exactly the 290 municipalities."""
    text = resources.files("mrp_classify.inference").joinpath("data", name).read_text("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("kommunkod", *columns) if c not in (reader.fieldnames or ())]
    rows = {row["kommunkod"]: row for row in reader}
    if missing or set(rows) != set(municipalities()):
        what = f"no column {', '.join(missing)}" if missing else (
            f"{len(rows)} municipalities, not the 290 of kommuner.csv")
        raise MrpError(f"{name}: {what}; the bundled data is damaged, reinstall mrp-classify")
    return rows


@dataclass(frozen=True)
class Group:
    key: str
    name: str


@functools.lru_cache(maxsize=2)
def _kommungrupper(edition: int) -> Mapping[str, tuple[Group, Group]]:
    """kommunkod → (kommungrupp, huvudgrupp) in one SKR edition."""
    if edition == 2017:
        rows = _read(KOMMUNGRUPP_FILES[2017], ("grupp", "kommungrupp_2017", "huvudgrupp"))
        pairs = {code: (row["grupp"], row["kommungrupp_2017"], row["huvudgrupp"])
                 for code, row in rows.items()}
    else:
        rows = _read(KOMMUNGRUPP_FILES[2023], ("gruppkod", "kommungrupp_2023", "huvudgrupp"))
        pairs = {code: (row["gruppkod"], row["kommungrupp_2023"], row["huvudgrupp"])
                 for code, row in rows.items()}
    # The main group is the group code's letter (A1 → A) in both editions.
    return MappingProxyType({code: (Group(key, name), Group(key[0], main))
                             for code, (key, name, main) in pairs.items()})


@functools.lru_cache(maxsize=1)
def _styren() -> Mapping[str, dict[str, str]]:
    columns = tuple(f"styre_{e}" for e in (2014, 2018, 2022)) + tuple(_BLOC_COLUMNS.values())
    return MappingProxyType(_read(STYREN_FILE, columns))


@functools.lru_cache(maxsize=1)
def tax_rates() -> Mapping[str, float]:
    """kommunkod → 2025 municipal plus regional tax rate, in per cent."""
    rows = _read(TAX_FILE, (TAX_COLUMN,))
    try:
        return MappingProxyType({code: float(row[TAX_COLUMN]) for code, row in rows.items()})
    except ValueError as exc:
        raise MrpError(f"{TAX_FILE}: a rate is not a number ({exc}); the bundled data is "
                       "damaged, reinstall mrp-classify") from exc


@functools.lru_cache(maxsize=1)
def tax_quartile_cutpoints() -> tuple[float, float, float]:
    """The 25th, 50th and 75th percentiles of the 290 rates: fixed, whatever a run covers."""
    q1, q2, q3 = np.quantile(sorted(tax_rates().values()), [0.25, 0.5, 0.75])
    return round(float(q1), 4), round(float(q2), 4), round(float(q3), 4)


def tax_quartile(rate: float) -> str:
    """Q1 for rates up to the 25th percentile, … Q4 above the 75th (ties stay together)."""
    return QUARTILES[sum(rate > cut for cut in tax_quartile_cutpoints())]


@dataclass(frozen=True)
class MunicipalityYear:
    """What the reference data say about one municipality for a plan of one year."""

    kommungrupp: Group
    huvudgrupp: Group
    governing_parties: str
    bloc: str
    tax_rate: float

    def group(self, dimension: str) -> Group:
        """The municipality's group in one of ``DIMENSIONS``."""
        if dimension == "kommungrupp":
            return self.kommungrupp
        if dimension == "huvudgrupp":
            return self.huvudgrupp
        if dimension == "bloc":
            return Group(self.bloc, BLOC_NAMES[self.bloc])
        if dimension == "tax_quartile":
            quartile = tax_quartile(self.tax_rate)
            return Group(quartile, _quartile_name(quartile))
        raise ValueError(f"unknown breakdown {dimension!r}; use one of {', '.join(DIMENSIONS)}")


@functools.lru_cache(maxsize=4)
def _quartile_name(quartile: str) -> str:
    rates = [r for r in tax_rates().values() if tax_quartile(r) == quartile]
    position = {"Q1": "lägst", "Q2": "näst lägst", "Q3": "näst högst", "Q4": "högst"}[quartile]
    span = f"{min(rates):.2f}–{max(rates):.2f}".replace(".", ",")
    return f"Skattesats {TAX_YEAR} {span} % ({position} fjärdedel)"


@functools.lru_cache(maxsize=32)
def year_reference(year: int) -> Mapping[str, MunicipalityYear]:
    """kommunkod → its reference data for a plan of ``year``."""
    groups = _kommungrupper(kommungrupp_edition(year))
    election = governing_election(year)
    styren = _styren()
    rates = tax_rates()
    table: dict[str, MunicipalityYear] = {}
    for code in municipalities():
        parties = styren[code][f"styre_{election}"] if election else ""
        if election in _BLOC_COLUMNS:
            bloc = styren[code][_BLOC_COLUMNS[election]] or UNKNOWN_BLOC
        else:
            bloc = bloc_from_parties(parties)
        if bloc not in BLOC_NAMES:
            raise MrpError(f"{STYREN_FILE}: kommunkod {code}: unknown bloc {bloc!r}; the "
                           "bundled data is damaged, reinstall mrp-classify")
        kommungrupp, huvudgrupp = groups[code]
        table[code] = MunicipalityYear(kommungrupp, huvudgrupp, parties, bloc, rates[code])
    return MappingProxyType(table)


def editions(year: int) -> dict[str, Any]:
    """Which editions of the reference data a plan of ``year`` is compared with."""
    election = governing_election(year)
    population_years = sorted({m.population_year for m in municipalities().values()})
    return {
        "kommungrupp": f"SKR kommungruppsindelning {kommungrupp_edition(year)}",
        "kommungrupp_edition": kommungrupp_edition(year),
        "governing_election": election,
        "governing_term": f"{election}–{election + 4}" if election else None,
        "governing_note": ("" if election else
                           "no governing data for plan years before 2015: bloc 'okant'"),
        "bloc_definition": BLOC_DEFINITION,
        "tax_rate": f"{TAX_YEAR} municipal plus regional rate (Skatteverket), for every year",
        "tax_rate_year": TAX_YEAR,
        "population": f"SCB, 31 December {population_years[-1]}, for every year",
        "population_year": population_years[-1],
    }
