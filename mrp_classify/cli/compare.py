"""compare-runs: what changed between two runs, or two years."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mrp_classify.cli.app import app, handle_errors, log


@app.command("compare-runs")
@handle_errors
def compare_runs(
    run_a: Annotated[Path, typer.Argument(metavar="RUN_A", help="A run's --out folder (the "
                                          "earlier side).")],
    run_b: Annotated[Path, typer.Argument(metavar="RUN_B", help="A run's --out folder (the "
                                          "later side); may be RUN_A with another year.")],
    out: Annotated[Path, typer.Option("--out", metavar="DIR",
                                      help="Folder for changes.csv and changes.json.")],
    year_a: Annotated[int | None, typer.Option(metavar="YEAR", help="Year of RUN_A to compare "
                                               "(default: its latest).")] = None,
    year_b: Annotated[int | None, typer.Option(metavar="YEAR", help="Year of RUN_B to compare "
                                               "(default: its latest).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite changes.csv and "
                                        "changes.json in --out.")] = False,
    csv_dialect: Annotated[str, typer.Option(
        metavar="DIALECT",
        help="excel: comma and decimal point; excel-sv: semicolon and decimal comma.")
    ] = "excel",
) -> None:
    """Per municipality the profile on each side, what changed, the digital-goal units
    that appeared or disappeared, and the movements nationally and per group
    (changes.csv, changes.json)."""
    from mrp_classify.inference.compare import PROFILE_CHANGED, compare_runs, write_changes

    comparison = compare_runs(run_a, run_b, year_a, year_b)
    csv_path, _ = write_changes(comparison, out, force=force, csv_dialect=csv_dialect)
    changed = sum(1 for e in comparison.municipalities if e["change"] == PROFILE_CHANGED)
    log.info("%d municipalities compared (%s %d → %s %d): %d changed profile → %s",
             len(comparison.municipalities), run_a, comparison.a.year, run_b, comparison.b.year,
             changed, csv_path.parent)
