from __future__ import annotations

from pathlib import Path

import pytest

from mrp_classify.errors import MrpError
from mrp_classify.inference.municipalities import (
    fold,
    municipalities,
    read_manifest,
    resolve,
    year_from_file_name,
    year_from_title,
)


def test_table_joins_population_and_skr_groups() -> None:
    table = municipalities()
    assert len(table) == 290
    assert list(table) == sorted(table)
    stockholm = table["0180"]
    assert (stockholm.kommun, stockholm.lan) == ("Stockholm", "Stockholms län")
    assert (stockholm.kommungrupp_code, stockholm.huvudgrupp_code) == ("A1", "A")
    assert stockholm.kommungrupp == "Storstäder"
    assert stockholm.population_year == 2024
    assert sum(m.population for m in table.values()) == 10_587_710
    assert {m.kommungrupp_code for m in table.values()} == {
        "A1", "A2", "B3", "B4", "B5", "C6", "C7", "C8", "C9"
    }


def test_fold_keeps_case_and_length() -> None:
    assert fold("Göteborgs Stad, ÅRE") == "Goteborgs Stad, ARE"
    assert len(fold("Malung-Sälen")) == len("Malung-Sälen")


@pytest.mark.parametrize(
    ("file_name", "code", "year"),
    [
        ("Göteborgs Stad budget 2025.pdf", "1480", 2025),
        ("Hudiksvalls kommun MRP 2024.docx", "2184", 2024),
        ("MRP 2025 Ljusnarsberg.pdf", "1864", 2025),
        ("mal-och-resursplan-2024-hudiksvall.pdf", "2184", 2024),
        ("goteborg_2025.pdf", "1480", 2025),
        ("orebro-mrp-2023.pdf", "1880", 2023),
        ("malmo_budget_2025.html", "1280", 2025),
        ("Upplands Väsby 2025.pdf", "0114", 2025),
        ("upplands-vasby-2025.pdf", "0114", 2025),
        ("upplandsvasby2025.pdf", "0114", 2025),
        ("Upplands-Bro_MRP_2025.pdf", "0139", 2025),
        ("malung-salen-budget-2025.pdf", "2023", 2025),
        ("Dals-Ed 2025.pdf", "1438", 2025),
        ("falu-kommun-2025.pdf", "2080", 2025),
        ("region-gotland-budget-2024.pdf", "0980", 2024),
        ("STOCKHOLMS STAD 2025.PDF", "0180", 2025),
        ("goteborgsstad_2025.pdf", "1480", 2025),
        ("MRP2025Mark.pdf", "1463", 2025),
        ("håbo-2025.pdf", "0305", 2025),
        ("Mål och budget Habo 2025.pdf", "0643", 2025),
    ],
)
def test_file_name_forms(file_name: str, code: str, year: int) -> None:
    resolution = resolve(file_name, "")
    assert (resolution.kommunkod, resolution.year, resolution.source) == (code, year, "filename")
    assert resolution.complete


def test_missing_diacritics_collision_is_ambiguous_with_candidates() -> None:
    resolution = resolve("habo-2025.pdf", "")
    assert resolution.source == "ambiguous"
    assert resolution.kommunkod is None
    assert "Habo (0643)" in resolution.note and "Håbo (0305)" in resolution.note
    assert "--manifest" in resolution.note
    assert not resolution.complete


def test_title_narrows_a_file_name_collision() -> None:
    resolution = resolve("habo-2025.pdf", "Håbo kommun\nMål och budget 2025")
    assert (resolution.kommunkod, resolution.source) == ("0305", "text")


def test_ascii_only_title_collision_is_ambiguous() -> None:
    assert resolve("mrp.pdf", "Habo kommun\nBudget 2025").source == "ambiguous"


def test_file_name_with_common_word_defers_to_the_real_name() -> None:
    resolution = resolve("vara-mal-goteborg-2025.pdf", "")
    assert resolution.kommunkod == "1480"
    assert "'vara'" in resolution.note


def test_two_real_names_in_file_name_are_ambiguous() -> None:
    resolution = resolve("goteborg-vs-malmo-2025.pdf", "")
    assert resolution.source == "ambiguous"
    assert "Göteborg (1480)" in resolution.note and "Malmö (1280)" in resolution.note


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("Göteborgs Stad\nBudget 2025", "1480"),
        ("Stockholms stad\nBudget 2025 med plan 2026–2027", "0180"),
        ("Region Gotland\nStrategisk plan och budget 2025", "0980"),
        ("Falu kommun\nMål- och resursplan 2025–2027", "2080"),
        ("HUDIKSVALLS KOMMUN\nMÅL- OCH RESURSPLAN 2025", "2184"),
        ("Mål- och resursplan 2025\nAntagen av kommunfullmäktige i Ljusnarsberg", "1864"),
        ("MRP 2025 Ljusnarsberg", "1864"),
        ("Hudiksvall\nMål- och resursplan 2025", "2184"),
        ("Marks kommun\nBudget 2025", "1463"),
        ("Ale kommun – Budget 2025", "1440"),
        ("Upplands Väsby kommun\nBudget 2025", "0114"),
        ("Upplands-Bros kommun\nBudget 2025", "0139"),
        ("Malung-Sälens kommun\nBudget 2025", "2023"),
        ("Dals-Eds kommun\nBudget 2025", "1438"),
        ("Lilla Edets kommuns budget 2025", "1462"),
        ("Borås Stad\nBudget 2025", "1490"),
        ("Goteborgs Stad\nBudget 2025", "1480"),
    ],
)
def test_title_naming_patterns(title: str, code: str) -> None:
    resolution = resolve("document.pdf", title)
    assert (resolution.kommunkod, resolution.year, resolution.source) == (code, 2025, "text")


@pytest.mark.parametrize(
    "title",
    [
        # Common words that are also municipality names, outside a naming pattern.
        "Budget 2025\nKommunen äger mark i centrum. Vara nöjd. Sala, Mora och Tanum nämns.",
        "Budget 2025\nexploatering av mark kommunen äger",
        "Budget 2025\nVåra kommuner samverkar",
        "Budget 2025\nÖster-Malma och Sala-vägen",
        "Budget 2025\nHudiksvall är en kommun vid kusten",
        # County regions are not municipalities.
        "Region Stockholm\nBudget 2025",
        "Region Uppsala\nBudget 2025",
        "Mål och budget 2025",
        "",
    ],
)
def test_no_false_hits_in_running_text(title: str) -> None:
    resolution = resolve("document-2025.pdf", title)
    assert (resolution.kommunkod, resolution.source) == (None, "unresolved")
    assert resolution.year == 2025


def test_file_name_and_title_disagree_is_ambiguous() -> None:
    resolution = resolve("hudiksvall-2025.pdf", "Nordanstigs kommun\nBudget 2025")
    assert resolution.source == "ambiguous"
    assert "Hudiksvall (2184)" in resolution.note and "Nordanstig (2132)" in resolution.note


def test_file_name_and_title_agree() -> None:
    resolution = resolve("hudiksvall-2025.pdf", "Hudiksvalls kommun\nBudget 2025")
    assert (resolution.kommunkod, resolution.source) == ("2184", "filename")


def test_title_naming_two_municipalities_is_ambiguous() -> None:
    resolution = resolve("mrp.pdf", "Hudiksvalls kommun och Nordanstigs kommun\nBudget 2025")
    assert resolution.source == "ambiguous"


def test_title_text_naming_a_neighbour_keeps_its_own_municipality() -> None:
    title = ("Hudiksvalls kommun\nBudget 2025\nHudiksvalls kommun växer. Räddningstjänsten "
             "delas med Nordanstigs kommun.")
    resolution = resolve("budget.pdf", title)
    assert (resolution.kommunkod, resolution.source) == ("2184", "text")
    assert "also names Nordanstig (2132)" in resolution.note
    from_file = resolve("hudiksvall-2025.pdf", "Vi samverkar med Nordanstigs kommun och "
                        "Hudiksvalls kommun.")
    assert (from_file.kommunkod, from_file.source) == ("2184", "filename")


def test_no_year_is_incomplete() -> None:
    resolution = resolve("hudiksvall.pdf", "Hudiksvalls kommun")
    assert resolution.kommunkod == "2184" and resolution.year is None
    assert not resolution.complete
    assert "no year" in resolution.note


@pytest.mark.parametrize(
    ("file_name", "year"),
    [
        ("mrp-2025-2027.pdf", 2025),
        ("budget2024.pdf", 2024),
        ("2023-11-20_mrp_2024.pdf", 2024),
        ("20231120.pdf", None),
        ("mrp-hudiksvall.pdf", None),
        ("plan 1999.pdf", 1999),
    ],
)
def test_year_from_file_name(file_name: str, year: int | None) -> None:
    assert year_from_file_name(file_name) == year


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("MRP 2025–2027", 2025),
        ("Budget 2025 med plan 2026–2027", 2025),
        ("Mål- och resursplan\n2025-2027", 2025),
        ("2025 års budget", 2025),
        ("Årsredovisning 2023\nKommunen växer", None),
        ("Antagen av kommunfullmäktige 2024-11-25\nBudget 2025", 2025),
        ("Mål och budget för år 2026", 2026),
    ],
)
def test_year_from_title(title: str, year: int | None) -> None:
    assert year_from_title(title) == year


def test_file_name_year_wins_over_title() -> None:
    assert resolve("hudiksvall-2024.pdf", "Budget 2025").year == 2024


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_manifest(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    outside = tmp_path / "elsewhere.pdf"
    manifest = write(
        tmp_path / "manifest.csv",
        f"file,kommunkod,year\ndocs/a.pdf,0180,2025\n\n{outside},180,\n",
    )
    assert read_manifest(manifest) == {
        (tmp_path / "docs" / "a.pdf").resolve(): ("0180", 2025),
        outside.resolve(): ("0180", None),
    }


def test_read_manifest_semicolons_and_bom(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_bytes("\ufefffile;kommunkod;year\r\na.pdf;2184;2024\r\n".encode())
    assert read_manifest(manifest) == {(tmp_path / "a.pdf").resolve(): ("2184", 2024)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("file,year\na.pdf,2025\n", "m.csv:1: missing column(s) kommunkod"),
        ("file,kommunkod,year\na.pdf,0180,2025\nb.pdf,9999,2025\n",
         "m.csv:3: unknown kommunkod '9999'"),
        ("file,kommunkod,year\na.pdf,0180,25\n", "m.csv:2: year '25'"),
        ("file,kommunkod,year\n,0180,2025\n", "m.csv:2: empty file"),
        ("file,kommunkod,year\na.pdf,0180,2025\n./a.pdf,2184,2025\n",
         "m.csv:3: ./a.pdf is listed again (first at line 2)"),
    ],
)
def test_read_manifest_errors(tmp_path: Path, content: str, message: str) -> None:
    manifest = write(tmp_path / "m.csv", content)
    with pytest.raises(MrpError) as error:
        read_manifest(manifest)
    assert str(error.value).startswith(f"{manifest.parent}/{message}")


def test_read_manifest_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MrpError, match="manifest not found"):
        read_manifest(tmp_path / "nope.csv")
