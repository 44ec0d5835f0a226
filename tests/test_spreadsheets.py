"""Run outputs open right in Swedish Excel, LibreOffice and pandas: kommunkod keeps its
leading zero, å/ä/ö survive, figures stay numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mrp_classify.inference.run import run
from mrp_classify.paths import default_model_dir

pytestmark = pytest.mark.slow

PLAN = ("Mål- och resursplan 2025 för Upplands Väsby kommun\n\n"
        "Digitalisering\n\n"
        "Invånarna ska kunna söka bygglov och förskoleplats i e-tjänster dygnet runt, och "
        "äldre ska få stöd att använda e-legitimation på biblioteken.\n\n"
        "Skolans lokaler ska rustas upp och nya förskolor byggas i Väsby entré.\n")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spreadsheets")
    docs = root / "docs"
    docs.mkdir()
    (docs / "upplands-vasby-mrp-2025.txt").write_text(PLAN, encoding="utf-8")
    out = {}
    for dialect in ("excel", "excel-sv"):
        out[dialect] = root / dialect
        result = run([docs], out[dialect], default_model_dir(), quiet=True, csv_dialect=dialect)
        assert result.exit_code == 0
    return out


def test_pandas_with_the_documented_call_keeps_the_leading_zero(runs: dict[str, Path]) -> None:
    pd = pytest.importorskip("pandas")
    # The calls README.md documents, one per dialect.
    plain = pd.read_csv(runs["excel"] / "municipalities.csv", dtype={"kommunkod": str})
    swedish = pd.read_csv(runs["excel-sv"] / "municipalities.csv", sep=";", decimal=",",
                          dtype={"kommunkod": str})
    for table in (plain, swedish):
        assert table.loc[0, "kommunkod"] == "0114"
        assert table.loc[0, "kommun"] == "Upplands Väsby"
        assert table["confidence"].dtype.kind == "f"
        assert table["population"].dtype.kind == "i"
    assert list(plain.columns) == list(swedish.columns)


def test_csvs_carry_a_bom_and_the_swedish_dialect_uses_semicolons_and_decimal_commas(
        runs: dict[str, Path]) -> None:
    for name in ("municipalities.csv", "documents.csv", "paragraphs.csv"):
        for dialect in ("excel", "excel-sv"):
            assert (runs[dialect] / name).read_bytes().startswith(b"\xef\xbb\xbf"), name
    header, row = (runs["excel-sv"] / "municipalities.csv").read_text(
        encoding="utf-8-sig").splitlines()[:2]
    assert header.startswith("kommunkod;kommun;year;profile;confidence")
    cells = row.split(";")
    assert cells[0] == "0114" and "," in cells[4] and "." not in cells[4]


def test_the_workbook_keeps_codes_as_text_and_figures_as_numbers(
        runs: dict[str, Path]) -> None:
    from openpyxl import load_workbook

    book = load_workbook(runs["excel"] / "results.xlsx", read_only=True)
    assert book.sheetnames == ["municipalities", "documents"]
    rows = list(book["municipalities"].iter_rows(values_only=True))
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:3] == ("kommunkod", "kommun", "year")
    assert first["kommunkod"] == "0114" and first["kommun"] == "Upplands Väsby"
    assert isinstance(first["confidence"], float) and isinstance(first["population"], int)
    documents = list(book["documents"].iter_rows(values_only=True))
    # read-only mode leaves out a row's trailing empty cells
    assert dict(zip(documents[0], documents[1], strict=False))["kommunkod"] == "0114"
