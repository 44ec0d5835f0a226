"""The report's bar charts per SKR kommungrupp, drawn in HTML and CSS.

HTML rather than SVG: text in a scaled SVG shrinks with the page (to 4–5 px on a
phone), while here the labels keep their size and move above the bars on narrow
screens (``report.css``). The bars count processed municipalities only, and the
coverage is written beside them: with few plans read, grey "not processed" bars
would otherwise hide the profiles that were found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mrp_classify.inference.aggregate import DIGITAL_LABELS, PROFILES
from mrp_classify.inference.municipalities import municipalities
from mrp_classify.inference.report_format import COLOURS, Locale, esc

# Below this share of its bar a segment is too narrow for its count (the title has it).
MIN_LABELLED_SHARE = 0.08
# The rate bars leave room for their value after the longest one.
RATE_BAR_SHARE = 0.8


def _group_rows(year: Mapping[str, Any]) -> list[tuple[str, str, dict[str, int], int, bool]]:
    """(code, name, profiled municipalities by profile, municipalities in all, is a main group)
    for the main groups A/B/C, each followed by its kommungrupper."""
    main_names = {m.huvudgrupp_code: m.huvudgrupp for m in municipalities().values()}
    rows: list[tuple[str, str, dict[str, int], int, bool]] = []
    for main in sorted(main_names):
        groups = [g for g in year["by_kommungrupp"] if g["code"].startswith(main)]
        counts = {key: sum(g["profiles"][key] for g in groups) for key in PROFILES}
        rows.append((main, main_names[main], counts,
                     sum(g["municipalities"] for g in groups), True))
        for g in groups:
            rows.append((g["code"], g["name"], dict(g["profiles"]), g["municipalities"], False))
    return rows


def _label(code: str, name: str, main: bool) -> str:
    return f'<div class="{"lab main" if main else "lab"}">{esc(code)} {esc(name)}</div>'


def _frame(cls: str, label: str, cells: Sequence[str]) -> str:
    return (f'<div class="chart {cls}" role="group" aria-label="{esc(label)}">'
            f'{"".join(cells)}</div>')


def profile_chart(year: Mapping[str, Any], loc: Locale) -> str:
    """Per group, its profiled municipalities split by profile; beside it, how many of the
    group's municipalities have a profile."""
    cells: list[str] = []
    for code, name, counts, size, main in _group_rows(year):
        total = sum(counts.values())
        cells.append(_label(code, name, main))
        if total:
            segments = []
            for key in PROFILES:
                if not counts[key]:
                    continue
                share = counts[key] / total
                title = loc.t("chart.segment", group=f"{code} {name}", profile=loc.profile(key),
                              part=counts[key], whole=total)
                text = str(counts[key]) if share >= MIN_LABELLED_SHARE else ""
                segments.append(
                    f'<span style="width:{100 * share:.2f}%;background:{COLOURS[key]}" '
                    f'title="{esc(title)}">{text}</span>'
                )
            cells.append(f'<div class="bar">{"".join(segments)}</div>')
        else:
            cells.append(f'<div class="bar empty">{loc.t("chart.none_processed")}</div>')
        cells.append(f'<div class="n">{loc.t("chart.of", part=total, whole=size)}</div>')
    ticks = "".join(f"<span>{loc.percent(share, 0)}</span>" for share in (0, 25, 50, 75, 100))
    cells.append(f'<div class="lab"></div><div class="ticks">{ticks}</div><div></div>')
    return _frame("shares", loc.t("chart.profiles.label", year=year["year"]), cells)


def rate_chart(year: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]],
               loc: Locale) -> str:
    """Digital-goal paragraphs per 10,000 words, pooled over each group's documents."""
    digital: dict[str, int] = {}
    words: dict[str, int] = {}
    counted: dict[str, int] = {}
    for p in profiles:
        if not p["words"]:
            continue
        for key in (p["kommungrupp_code"], p["huvudgrupp_code"]):
            digital[key] = digital.get(key, 0) + sum(p["counts"][label] for label in DIGITAL_LABELS)
            words[key] = words.get(key, 0) + p["words"]
            counted[key] = counted.get(key, 0) + 1
    rates = {key: digital[key] / words[key] * 10_000 for key in words}
    top = max(rates.values(), default=0.0) or 1.0
    cells: list[str] = []
    for code, name, _, _, main in _group_rows(year):
        cells.append(_label(code, name, main))
        if code in rates:
            width = 100 * RATE_BAR_SHARE * rates[code] / top
            shade = " class=main" if main else ""
            cells.append(
                f'<div class="bar rate"><span{shade} style="width:{width:.2f}%"></span>'
                f"{loc.decimal(rates[code], 1)}</div>"
                f'<div class="n">{loc.count(counted[code], "municipality")}</div>'
            )
        else:
            cells.append(f'<div class="bar empty">{loc.t("chart.none_processed")}</div>'
                         '<div class="n"></div>')
    return _frame("rates", loc.t("chart.rate.label", year=year["year"]), cells)
