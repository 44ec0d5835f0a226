"""The report's section on the breakdowns of ``summary.json`` (``breakdowns.py``).

``breakdowns_section(summary, loc)`` returns one ``<section>``: per year the study's
table (or why there is none), big cities against rural municipalities, and for the
whole country and per SKR main group, kommungrupp, governing bloc and tax quartile
the coverage, the profiles as hard counts with their probability-weighted expectation
and 95 % interval, and digital-goal paragraphs per 10,000 words. The latest year is
open and earlier ones are folded, as in the summary above it.

The words are ``report_text``'s and the numbers ``Locale``'s. Bloc and quartile names
come from ``report_text`` by their keys, so they follow the language; SKR's group
names are proper names and stay as the summary has them. Every string from the
summary is escaped. Narrower than the group tables need (``report.css``: up to
1100 px, so phones and tablets), each table row becomes a card whose cells carry
their column's name (``data-label``); wider, a table that still does not fit (a
zoomed page) scrolls inside its own container.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mrp_classify.inference.aggregate import INTERNAL_ONLY, NO_DIGITAL_GOALS, PROFILES
from mrp_classify.inference.breakdowns import LEVEL, MIN_BOOTSTRAP, NO_OR_INTERNAL
from mrp_classify.inference.municipalities import N_MUNICIPALITIES
from mrp_classify.inference.report_format import Locale, esc, swatch

# Coarse to fine, then the two that cut across SKR's groups.
DIMENSIONS = ("huvudgrupp", "kommungrupp", "bloc", "tax_quartile")
# Their group names from report_text by key; SKR's groups keep their (Swedish) names.
TRANSLATED = ("bloc", "tax_quartile")
EMPTY = '<span class="muted">–</span>'


def _cell(label: str, content: str, cls: str = "") -> str:
    """A cell that names its column, for the phone's cards; ``label`` is report_text's
    (trusted: plain words and entities such as &shy;, which an attribute decodes too)."""
    attributes = f' class="{cls}"' if cls else ""
    return f'<td data-label="{label}"{attributes}>{content}</td>'


def _span(interval: Sequence[float | None], loc: Locale, decimals: int) -> str:
    """low–high; an upper bound of None is unbounded (a ratio over resamples with 0 below)."""
    return "–".join(loc.t("bd.unbounded") if x is None else
                    loc.whole(x) if decimals == 0 else loc.decimal(x, decimals)
                    for x in interval)


def _figure(figures: Mapping[str, Any], unit: str, loc: Locale) -> str:
    """The hard count, and below it the expectation with its interval."""
    expected = figures[f"expected_{unit}"]
    shown = loc.decimal(expected, 1) if unit == "municipalities" else loc.whole(expected)
    detail = loc.t("bd.expected", value=shown, interval=_span(figures[f"{unit}_interval"], loc, 0))
    return f'{loc.whole(figures[unit])}<span class="exp">{detail}</span>'


def _density(entry: Mapping[str, Any], loc: Locale) -> str:
    if entry["mean"] is None:
        return EMPTY
    if entry["interval"]:
        detail = loc.t("bd.interval", level=_level(loc), interval=_span(entry["interval"], loc, 1))
    else:
        detail = loc.t("bd.too_few", plans=loc.count(entry["municipalities"], "plan"))
    return f'{loc.decimal(entry["mean"], 1)}<span class="exp">{detail}</span>'


def _level(loc: Locale) -> str:
    return loc.percent(100 * LEVEL, 0)


def _coverage(group: Mapping[str, Any], loc: Locale) -> str:
    text = loc.t("bd.coverage", counted=loc.whole(group["counted"]),
                 all=loc.whole(group["municipalities"]))
    if group["counted"]:  # one decimal: a small municipality of a large group is not 0 %
        text += '<span class="exp">' + loc.t(
            "bd.coverage.inhabitants", share=loc.percent(100 * group["inhabitant_coverage"])
        ) + "</span>"
    return text


def _group_name(dimension: str, group: Mapping[str, Any], loc: Locale) -> str:
    if dimension in TRANSLATED:
        return loc.t(f"bd.{dimension}.{group['key']}")
    return f"{esc(group['key'])} {esc(group['name'])}"


def _columns(loc: Locale) -> list[str]:
    return [loc.t("bd.col.group"), loc.t("bd.col.counted"),
            *(loc.profile(name) for name in PROFILES), loc.t("bd.col.headline"),
            loc.t("bd.col.density")]


def _row(name: str, group: Mapping[str, Any], labels: Sequence[str], loc: Locale) -> str:
    cells = [_cell(labels[1], _coverage(group, loc))]
    if group["counted"]:
        cells += [_cell(label, _figure(group["profiles"][name], "municipalities", loc), "n")
                  for label, name in zip(labels[2:2 + len(PROFILES)], PROFILES, strict=True)]
        cells.append(_cell(labels[-2], _figure(group[NO_OR_INTERNAL], "inhabitants", loc), "n"))
        cells.append(_cell(labels[-1], _density(group["digital_per_10k_words"], loc), "n"))
    else:  # nothing to count: said once, never as zeros that would read as "no goals"
        cells.append(f'<td colspan="{len(labels) - 2}" class="muted">{loc.t("bd.no_plan")}</td>')
    return f'<tr><th scope="row">{name}</th>{"".join(cells)}</tr>'


def _source(dimension: str, reference: Mapping[str, Any], cutpoints: Sequence[float],
            loc: Locale) -> str:
    if dimension in ("huvudgrupp", "kommungrupp"):
        return loc.t("bd.source.skr", edition=esc(reference["kommungrupp_edition"]))
    if dimension == "bloc":
        if not reference["governing_term"]:
            return loc.t("bd.source.bloc_unknown", unknown=loc.t("bd.bloc.okant"))
        return loc.t("bd.source.bloc", election=esc(reference["governing_election"]),
                     term=esc(reference["governing_term"]))
    q1, q2, q3 = (loc.decimal(cut, 2 if round(cut, 2) == cut else 3) for cut in cutpoints)
    return loc.t("bd.source.tax", year=esc(reference["tax_rate_year"]),
                 all=N_MUNICIPALITIES, q1=q1, q2=q2, q3=q3)


def _table(title: str, source: str, rows: Sequence[tuple[str, Mapping[str, Any]]],
           loc: Locale) -> str:
    labels = _columns(loc)
    swatches = ["", "", *(swatch(name) for name in PROFILES), "", ""]
    head = "".join(f'<th scope="col">{mark}{label}</th>'
                   for mark, label in zip(swatches, labels, strict=True))
    body = "".join(_row(name, group, labels, loc) for name, group in rows)
    note = f"<p class=note>{source}</p>" if source else ""
    return (f"<h4>{title}</h4>{note}"
            f'<div class="scroll"><table class="breakdown groups"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _study(year: int, table: Mapping[str, Any], national: Mapping[str, Any],
           loc: Locale) -> str:
    if not table["complete"]:
        return "<p class=note>" + loc.t(
            "bd.study.incomplete", year=year, counted=loc.whole(national["counted"]),
            all=N_MUNICIPALITIES, share=loc.percent(100 * national["inhabitant_coverage"])
        ) + "</p>"
    labels = [loc.t("table.profile"), loc.t("table.municipalities"), loc.t("table.inhabitants")]
    rows = "".join(
        f'<tr><th scope="row">{swatch(key) if key in PROFILES else ""}{title}</th>'
        + _cell(labels[1], _figure(table[key], "municipalities", loc), "n")
        + _cell(labels[2], _figure(table[key], "inhabitants", loc), "n") + "</tr>"
        for key, title in ((NO_DIGITAL_GOALS, loc.profile(NO_DIGITAL_GOALS)),
                           (INTERNAL_ONLY, loc.profile(INTERNAL_ONLY)),
                           (NO_OR_INTERNAL, loc.t("bd.no_or_internal"))))
    head = "".join(f'<th scope="col">{label}</th>' for label in labels)
    return (f"<p>{loc.t('bd.study.complete', year=year, all=N_MUNICIPALITIES)}</p>"
            f'<div class="scroll"><table class="breakdown study"><thead><tr>{head}</tr>'
            f"</thead><tbody>{rows}</tbody></table></div>")


def _ratio(ratio: Mapping[str, Any], loc: Locale) -> str:
    means, counts, value = ratio["means"], ratio["municipalities"], ratio["ratio"]
    if value is not None:
        shown = f"<strong>{loc.decimal(value, 2)}</strong> " + (
            loc.t("bd.interval", level=_level(loc), interval=_span(ratio["interval"], loc, 2))
            if ratio["interval"] else loc.t("bd.ratio.too_few", min=MIN_BOOTSTRAP))
    elif means["big_cities"] is None or means["rural"] is None:
        shown = loc.t("bd.ratio.no_plans")
    else:  # plans on both sides, none of the rural ones with a digital goal
        shown = loc.t("bd.ratio.no_rural_goals")
    sides = {side: {"mean": loc.optional(means[side], 1),
                    "plans": loc.count(counts[side], "plan"),
                    "groups": esc(", ".join(ratio["groups"][side]))}
             for side in ("big_cities", "rural")}
    return "<p>" + loc.t(
        "bd.ratio", ratio=shown, big_mean=sides["big_cities"]["mean"],
        big_plans=sides["big_cities"]["plans"], big_groups=sides["big_cities"]["groups"],
        rural_mean=sides["rural"]["mean"], rural_plans=sides["rural"]["plans"],
        rural_groups=sides["rural"]["groups"]) + "</p>"


def _year(year: Mapping[str, Any], loc: Locale) -> str:
    breakdowns = year["breakdowns"]
    national = breakdowns["national"]
    tables = [_table(loc.t("bd.national"), "", [(loc.t("table.all"), national)], loc)]
    for name in DIMENSIONS:
        entry = breakdowns["dimensions"][name]
        rows = [(_group_name(name, group, loc), group) for group in entry["groups"]]
        source = _source(name, year["reference"], entry.get("cutpoints", ()), loc)
        tables.append(_table(loc.t(f"bd.dim.{name}"), source, rows, loc))
    return (_study(year["year"], year["study_table"], national, loc)
            + _ratio(breakdowns["big_cities_vs_rural"], loc) + "".join(tables))


def breakdowns_section(summary: Mapping[str, Any], loc: Locale) -> str:
    """The breakdowns of every year in ``summary`` as one HTML section, latest year first."""
    model = summary["model"]
    model_name = " ".join(str(model[k]) for k in ("name", "version") if model.get(k))
    intro = loc.t("bd.intro", model=esc(model_name or loc.t("model.unnamed")), level=_level(loc),
                  min=MIN_BOOTSTRAP)
    parts = [f'<section id="breakdowns"><h2>{loc.t("bd.heading")}</h2>']
    years = sorted(summary["years"], key=lambda entry: entry["year"], reverse=True)
    if not years:
        return "".join([*parts, f"<p>{loc.t('bd.none')}</p></section>"])
    parts.append(f"<p class=note>{intro}</p><h3>{esc(years[0]['year'])}</h3>"
                 + _year(years[0], loc))
    for year in years[1:]:
        counted = loc.count(year["breakdowns"]["national"]["counted"], "municipality")
        parts.append(f"<details class=year><summary><h3>{esc(year['year'])}</h3> "
                     f"{loc.t('bd.earlier', counted=counted)}</summary>{_year(year, loc)}"
                     "</details>")
    parts.append("</section>")
    return "".join(parts)
