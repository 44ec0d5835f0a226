"""The report's section on the breakdowns of ``summary.json`` (``breakdowns.py``), in Swedish.

``breakdowns_section(summary)`` returns one self-contained ``<section>``: per year the
reference data used, the study's table (or why there is none), big cities against
rural municipalities, and per kommungrupp, main group, governing bloc and tax
quartile the coverage, the profiles as hard counts with their probability-weighted
expectation and 95 % interval, and digital-goal units per 10,000 words. Every string
from the summary is escaped; no styles or scripts of its own (the page's CSS styles
the class names), nothing fetched.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

PROFILE_ORDER = ("no_digital_goals", "internal_only", "citizen_facing")
PROFILE_NAMES = {
    "no_digital_goals": "Inga digitaliseringsmål",
    "internal_only": "Bara interna mål",
    "citizen_facing": "Mål för invånarna",
}
NO_OR_INTERNAL = "no_or_internal_only"
DIMENSION_TITLES = {
    "huvudgrupp": "Huvudgrupp (SKR)",
    "kommungrupp": "Kommungrupp (SKR)",
    "bloc": "Styre",
    "tax_quartile": "Skattesats",
}
NBSP = "\u00a0"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _int(value: float) -> str:
    """12 345 with a no-break space, as Swedish writes it."""
    return f"{round(value):,}".replace(",", NBSP)


def _dec(value: float, decimals: int = 1) -> str:
    return f"{value:,.{decimals}f}".replace(",", NBSP).replace(".", ",")


def _span(interval: Sequence[float | None] | None, decimals: int | None = None) -> str:
    if not interval:
        return ""
    low, high = interval
    shown = [("obegränsat" if x is None else _int(x) if decimals is None else _dec(x, decimals))
             for x in (low, high)]
    return f"{shown[0]}–{shown[1]}"


def _figure(figures: Mapping[str, Any], unit: str) -> str:
    """Hard count, then the expectation and its interval in a muted span."""
    hard = figures[unit]
    expected = figures[f"expected_{unit}"]
    interval = figures[f"{unit}_interval"]
    expected_text = _dec(expected) if unit == "municipalities" else _int(expected)
    return (f"{_esc(_int(hard))} <span class=\"muted\">förv. {_esc(expected_text)} "
            f"(95 %: {_esc(_span(interval))})</span>")


def _density(entry: Mapping[str, Any]) -> str:
    mean = entry.get("mean")
    if mean is None:
        return '<span class="muted">–</span>'
    interval = entry.get("interval")
    detail = (f"95 %: {_span(interval, 1)}" if interval
              else f"för få planer för intervall ({entry.get('municipalities', 0)})")
    return f"{_esc(_dec(mean))} <span class=\"muted\">({_esc(detail)})</span>"


def _coverage(group: Mapping[str, Any]) -> str:
    share = group.get("inhabitant_coverage")
    text = f"{_int(group['counted'])} av {_int(group['municipalities'])}"
    if share is not None:
        text += f" ({_dec(100 * share, 0)} % av invånarna)"
    return _esc(text)


def _table(dimension: str, entry: Mapping[str, Any]) -> str:
    head = "".join(f"<th scope=\"col\">{_esc(PROFILE_NAMES[name])}</th>" for name in PROFILE_ORDER)
    rows = []
    for group in entry.get("groups", ()):
        label = f"<th scope=\"row\">{_esc(group['key'])} {_esc(group['name'])}</th>"
        if not group["counted"]:
            empty = '<td><span class="muted">–</span></td>' * (len(PROFILE_ORDER) + 2)
            rows.append(f"<tr>{label}<td>{_coverage(group)}</td>{empty}</tr>")
            continue
        cells = "".join(f"<td>{_figure(group['profiles'][name], 'municipalities')}</td>"
                        for name in PROFILE_ORDER)
        rows.append(
            f"<tr>{label}<td>{_coverage(group)}</td>{cells}"
            f"<td>{_figure(group[NO_OR_INTERNAL], 'inhabitants')}</td>"
            f"<td>{_density(group['digital_per_10k_words'])}</td></tr>")
    source = entry.get("edition") or entry.get("definition") or ""
    return (
        f"<h4>{_esc(DIMENSION_TITLES.get(dimension, dimension))}</h4>"
        + (f"<p class=\"muted\">{_esc(source)}</p>" if source else "")
        + "<div class=\"table-scroll\"><table class=\"breakdown\"><thead><tr>"
        "<th scope=\"col\">Grupp</th><th scope=\"col\">Räknade kommuner</th>"
        f"{head}<th scope=\"col\">Invånare utan mål eller med bara interna</th>"
        "<th scope=\"col\">Digitala mål per 10 000 ord</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>")


def _study(year: int, table: Mapping[str, Any], national: Mapping[str, Any]) -> str:
    if not table.get("complete"):
        share = national.get("inhabitant_coverage") or 0.0
        return (
            f"<p class=\"study incomplete\">{_esc(year)}: bara {_esc(_int(national['counted']))}"
            f" av 290 kommuner har en läsbar plan ({_esc(_dec(100 * share))} % av "
            "invånarna). Studiens nationella siffror kräver alla 290 kommuner och visas "
            "därför inte; tabellerna nedan gäller bara de bearbetade kommunerna.</p>")
    rows = "".join(
        f"<tr><th scope=\"row\">{_esc(title)}</th>"
        f"<td>{_figure(table[key], 'municipalities')}</td>"
        f"<td>{_figure(table[key], 'inhabitants')}</td></tr>"
        for key, title in (("no_digital_goals", "Inga digitaliseringsmål"),
                           ("internal_only", "Bara mål om intern effektivitet"),
                           (NO_OR_INTERNAL, "Inga mål eller bara interna")))
    return (
        f"<p class=\"study complete\">{_esc(year)}: alla 290 kommuner räknade, i studiens "
        "termer (Göteborgs universitet 2021):</p>"
        "<div class=\"table-scroll\"><table class=\"breakdown study\"><thead><tr>"
        "<th scope=\"col\"></th><th scope=\"col\">Kommuner</th><th scope=\"col\">Invånare</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></div>")


def _ratio(ratio: Mapping[str, Any]) -> str:
    means = ratio.get("means", {})
    counts = ratio.get("municipalities", {})
    value = ratio.get("ratio")
    if value is None:
        text = "kan inte beräknas (för få planer eller inga digitala mål på landsbygden)"
    else:
        interval = ratio.get("interval")
        text = f"{_dec(value, 2)}" + (f" (95 %: {_span(interval, 2)})" if interval
                                      else " (för få planer för intervall)")
    detail = ", ".join(
        f"{label}: {_dec(means[side]) if means.get(side) is not None else '–'} per 10 000 ord "
        f"i {_int(counts.get(side, 0))} planer"
        for side, label in (("big_cities", "storstäder och storstadsnära"),
                            ("rural", "landsbygdskommuner")))
    groups = "; ".join(" ".join(ratio.get("groups", {}).get(side, []))
                       for side in ("big_cities", "rural"))
    return (f"<p class=\"ratio\">Storstäder mot landsbygd (digitala mål per 10 000 ord): "
            f"<strong>{_esc(text)}</strong>. <span class=\"muted\">{_esc(detail)}. Grupper: "
            f"{_esc(groups)}.</span></p>")


def _reference(reference: Mapping[str, Any]) -> str:
    term = reference.get("governing_term")
    parts = [f"Kommungrupper: {reference.get('kommungrupp', '')}",
             f"styre: valet {reference['governing_election']} (mandatperioden {term}), "
             "block enligt SKR:s definition 2022" if term else "styre: uppgift saknas",
             f"skattesats {reference.get('tax_rate_year', '')} (kommun och region)",
             f"befolkning 31 december {reference.get('population_year', '')} (SCB)"]
    return f"<p class=\"muted reference\">{_esc('; '.join(parts))}.</p>"


def _year(year: Mapping[str, Any]) -> str:
    breakdowns = year.get("breakdowns")
    title = f"<h3>{_esc(year['year'])}</h3>"
    if not breakdowns:
        return title + ("<p class=\"muted\">Ingen fördelning i denna summary.json (skriven av "
                        "en äldre version); kör mrp-classify run igen.</p>")
    dimensions = breakdowns["dimensions"]
    return (title + _reference(year.get("reference", {}))
            + _study(year["year"], year.get("study_table", {}), breakdowns["national"])
            + _ratio(breakdowns["big_cities_vs_rural"])
            + "".join(_table(name, dimensions[name]) for name in DIMENSION_TITLES
                      if name in dimensions))


def breakdowns_section(summary: Mapping[str, Any]) -> str:
    """The breakdowns of every year in ``summary`` as one HTML section."""
    model = summary.get("model", {})
    model_name = " ".join(str(model[k]) for k in ("name", "version") if model.get(k))
    years = summary.get("years", [])
    intro = (
        "<p>Siffran först är kommuner (eller invånare) vars mest sannolika profil det är. "
        "<span class=\"muted\">förv.</span> är det förväntade antalet när varje kommuns "
        "profil vägs med sin kalibrerade säkerhet, och intervallet det som 95 % av "
        f"dragningarna av alla profiler hamnar i ({_esc(model_name or 'modellen')}). "
        "Intervallet täcker modellens osäkerhet om varje plan, inte ett fel som alla planer "
        "delar, och inte kommuner som inte bearbetats. Digitala mål per 10 000 ord är "
        "medelvärdet över planerna, med bootstrapintervall över kommunerna.</p>")
    body = "".join(_year(year) for year in years) or "<p>Inga profiler.</p>"
    return (f"<section class=\"breakdowns\" id=\"breakdowns\"><h2>Fördelningar per grupp</h2>"
            f"{intro}{body}</section>")
