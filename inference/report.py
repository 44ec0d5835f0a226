"""``report.html``: one self-contained page that presents a run's outputs.

Built from ``summary.json`` (profiles, evidence, per-year summaries) and
``documents.csv`` (the per-document table), in Swedish unless asked for English.
The page makes no requests: CSS, the map (SVG) and the charts (HTML) are inline,
and the little JavaScript it has only sorts tables and opens a municipality's
evidence when the map links to it, so the page reads the same without it. Every
string that came from a document or a file name is HTML-escaped. The output
depends only on the input files and the run's date, so the same run gives the same
bytes.

The map is drawn by ``report_map``, the charts by ``report_charts``, the breakdowns
by group (with their intervals, and the study's table) by ``report_breakdowns``;
colours, numbers and escaping are ``report_format``'s, the words ``report_text``'s;
the page's CSS and script are ``data/report.css`` and ``data/report.js``.
"""

from __future__ import annotations

import datetime
import functools
import logging
import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mrp_classify import __version__
from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import CITIZEN, INTERNAL, NO_DIGITAL_GOALS, PROFILES
from mrp_classify.inference.municipalities import N_MUNICIPALITIES
from mrp_classify.inference.outputs import DOCUMENTS_FILE, REPORT_FILE, RunOutputs
from mrp_classify.inference.report_breakdowns import breakdowns_section
from mrp_classify.inference.report_charts import profile_chart, rate_chart
from mrp_classify.inference.report_format import (
    DEFAULT_LANG,
    MISSING,
    Locale,
    anchor,
    esc,
    profile_cell,
    swatch,
    td,
)
from mrp_classify.inference.report_map import MapGeometry, map_defs, map_geometry, profile_map
from mrp_classify.io import write_text_atomic

log = logging.getLogger(__name__)

# Evidence paragraphs are shown whole up to this length; paragraphs.csv has every text in full.
MAX_EVIDENCE_CHARS = 1000
REQUIRED_KEYS = ("model", "method", "documents", "years", "profiles")
DOCUMENT_FIELDS = (
    "file", "status", "error", "kommunkod", "kommun", "year", "municipality_note", "pages",
    "paragraphs", "health_flag",
)


def run_date() -> str:
    """Now as an ISO 8601 time, or ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention)
    where it is set, so that a rerun can give the same report bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    try:
        moment = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
    except (ValueError, OverflowError) as exc:
        raise MrpError(f"SOURCE_DATE_EPOCH={epoch}: not a time in whole seconds") from exc
    return moment.isoformat(timespec="seconds")


def write_report(out_dir: Path, summary: dict[str, Any] | None = None,
                 documents: Sequence[Mapping[str, str]] | None = None,
                 lang: str = DEFAULT_LANG, created: str | None = None) -> Path:
    """Write ``out_dir/report.html`` from the run's summary and documents table (read from
    ``out_dir`` unless given, as ``run`` does with what it has just written), in ``lang``;
    ``created``: the run's ISO 8601 time, shown in the header."""
    outputs = RunOutputs(Path(out_dir))
    if summary is None:
        summary = outputs.read_summary(REQUIRED_KEYS)
    if documents is None:
        documents = outputs.read_table(DOCUMENTS_FILE, DOCUMENT_FIELDS)
    path = outputs.path(REPORT_FILE)
    write_text_atomic(path, render(summary, list(documents), lang, created))
    log.info("%s: report written", path)
    return path


# ---------------------------------------------------------------- header


def _run_fact(created: str | None, loc: Locale) -> str:
    if not created:
        return loc.t("run.without_date", version=esc(__version__))
    try:
        shown = datetime.datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        shown = created
    return loc.t("run.with_date", date=f'<time datetime="{esc(created)}">{esc(shown)}</time>',
                 version=esc(__version__))


def _header(summary: Mapping[str, Any], document_rows: Sequence[Mapping[str, str]],
            created: str | None, loc: Locale) -> str:
    model = summary["model"]
    method = summary["method"]
    documents = summary["documents"]
    years = [entry["year"] for entry in summary["years"]]
    model_name = " ".join(str(part) for part in (model.get("name"), model.get("version")) if part)
    fingerprint = str(model.get("fingerprint") or "")[:12]
    year_text = ", ".join(str(y) for y in years) if years else loc.t("years.none")
    skipped = documents.get("skipped", 0)
    document_text = loc.t(
        "documents.facts", total=loc.whole(documents["total"]), ok=loc.whole(documents["ok"]),
        error=loc.whole(documents["error"]), unresolved=loc.whole(documents["unresolved"]),
    ) + (loc.t("documents.skipped", skipped=loc.whole(skipped)) if skipped else "")
    facts = [
        (loc.t("fact.run"), _run_fact(created, loc)),
        (loc.t("fact.model"), esc(model_name or loc.t("model.unnamed"))
         + (f' <span class="muted">({loc.t("model.fingerprint", fingerprint=esc(fingerprint))})'
            "</span>" if fingerprint else "")),
        (loc.t("fact.documents"), document_text),
        (loc.t("fact.years"), esc(year_text)),
        (loc.t("fact.reference"), loc.t(
            "reference", year=esc(method.get("population_year", "")),
            edition=esc(method.get("kommungrupp_edition", "")))),
    ]
    rows = "".join(f"<tr><th>{key}</th><td>{value}</td></tr>" for key, value in facts)
    return "\n".join([
        "<header>",
        f"<h1>{loc.t('h1')}</h1>",
        f'<table class="facts">{rows}</table>',
        _caveats(summary, document_rows, loc),
        "</header>",
    ])


def _caveats(summary: Mapping[str, Any], document_rows: Sequence[Mapping[str, str]],
             loc: Locale) -> str:
    documents = summary["documents"]
    threshold = summary["method"].get("profile_decision", {}).get("review_threshold")
    items = []
    flagged = sum(1 for d in document_rows if d["status"] == "ok" and d["health_flag"])
    if documents["error"]:
        files = "".join(
            f"<li><code>{esc(d['file'])}</code>: {esc(d['error'])}</li>"
            for d in documents["errors"]
        )
        items.append(f"<p>{loc.t('caveat.errors', n=documents['error'])}</p><ul>{files}</ul>")
    if documents["unresolved"]:
        files = "".join(
            f"<li><code>{esc(d['file'])}</code>: {esc(d['note'] or d['source'])}</li>"
            for d in documents["unresolved_files"]
        )
        items.append(
            f"<p>{loc.t('caveat.unresolved', n=documents['unresolved'])}</p><ul>{files}</ul>")
    if flagged:
        items.append(f"<p>{loc.t('caveat.flagged', n=flagged)}</p>")
    warning = (
        f'<div class="caveat warn">{"".join(items)}<p>{loc.t("caveat.see_documents")}</p></div>'
        if items else ""
    )
    review = (loc.t("caveat.review_below", threshold=loc.decimal(threshold, 2))
              if isinstance(threshold, int | float) else "")
    return f'{warning}<div class="caveat"><p>{loc.t("caveat.model", review=review)}</p></div>'


# ---------------------------------------------------------------- a year's summary


def _profiled(year: Mapping[str, Any]) -> tuple[int, int]:
    """Municipalities and inhabitants with a profile: every share's denominator."""
    entries = [year["profiles"][name] for name in PROFILES]
    return (sum(e["municipalities"] for e in entries), sum(e["inhabitants"] for e in entries))


def _excluded(year: Mapping[str, Any], key: str, loc: Locale) -> str:
    entry = year["missing"] if key == "missing" else year["excluded_unreadable"]
    if not entry["municipalities"]:
        return ""
    return loc.t(f"headline.{key}", municipalities=loc.count(entry["municipalities"],
                                                             "municipality"),
                 inhabitants=loc.whole(entry["inhabitants"]))


def _headline(year: Mapping[str, Any], loc: Locale) -> str:
    headline = year["headline"]
    _, inhabitants = _profiled(year)
    review = (loc.t("headline.review", n=headline["needs_review"])
              if headline["needs_review"] else "")
    text = loc.t(
        "headline", municipalities=loc.count(headline["municipalities"], "municipality"),
        review=review, share=loc.pct(headline["inhabitants"], inhabitants),
        excluded=_excluded(year, "missing", loc) + _excluded(year, "unreadable", loc),
    )
    return (f'<div class="headline"><p class="big">{loc.whole(headline["inhabitants"])}</p>'
            f"<p>{text}</p></div>")


def _table_row(first: str, municipalities: int, inhabitants: str, share: str, review: str,
               cls: str = "") -> str:
    attributes = f" class={cls}" if cls else ""
    return (f"<tr{attributes}><td>{first}</td><td class=n>{municipalities}</td>"
            f"<td class=n>{inhabitants}</td><td class=n>{share}</td>"
            f"<td class=n>{review}</td></tr>")


def _profile_table(year: Mapping[str, Any], loc: Locale) -> str:
    municipalities, inhabitants = _profiled(year)
    rows = []
    for name in PROFILES:
        entry = year["profiles"][name]
        rows.append(_table_row(profile_cell(name, loc), entry["municipalities"],
                               loc.whole(entry["inhabitants"]),
                               loc.pct(entry["inhabitants"], inhabitants),
                               str(entry["needs_review"])))
    review = sum(year["profiles"][name]["needs_review"] for name in PROFILES)
    rows.append(_table_row(loc.t("table.with_profile"), municipalities, loc.whole(inhabitants),
                           loc.pct(inhabitants, inhabitants), str(review), "sub"))
    missing = year["missing"]
    rows.append(_table_row(profile_cell(MISSING, loc), missing["municipalities"],
                           loc.whole(missing["inhabitants"]), "–", "–"))
    unreadable = year["excluded_unreadable"]
    if unreadable["municipalities"]:
        rows.append(_table_row(loc.t("table.unreadable"), unreadable["municipalities"],
                               loc.whole(unreadable["inhabitants"]), "–", "–"))
    population = inhabitants + missing["inhabitants"] + unreadable["inhabitants"]
    rows.append(_table_row(loc.t("table.all"), N_MUNICIPALITIES, loc.whole(population), "", "",
                           "total"))
    header = "".join(f"<th>{loc.t(f'table.{key}')}</th>" for key in (
        "profile", "municipalities", "inhabitants", "share", "needs_review"))
    denominator = loc.t("denominator", inhabitants=loc.whole(inhabitants),
                        municipalities=loc.count(municipalities, "municipality"))
    return (
        f'<div class="scroll"><table class=profiles><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div><p class=note>{denominator}</p>"
    )


def _missing_list(year: Mapping[str, Any], loc: Locale) -> str:
    missing = year["missing"]
    if not missing["municipalities"]:
        return f"<p>{loc.t('missing.all_processed')}</p>"
    names = ", ".join(
        f"{esc(m['kommun'])} <span class=muted>{esc(m['kommunkod'])}</span>"
        for m in missing["list"]
    )
    summary = loc.t("missing.summary", year=year["year"],
                    municipalities=loc.count(missing["municipalities"], "municipality"))
    return (f"<details class=missing><summary>{swatch(MISSING)}{summary}</summary>"
            f"<p>{names}</p></details>")


def _year_section(year: Mapping[str, Any], profiles: Sequence[Mapping[str, Any]],
                  geometry: MapGeometry, loc: Locale) -> str:
    label = year["year"]
    municipalities, _ = _profiled(year)
    coverage = loc.t("chart.profiles.note", profiled=municipalities, all=N_MUNICIPALITIES)
    return "\n".join([
        _headline(year, loc),
        '<div class="overview">',
        profile_map(year, profiles, geometry, loc),
        '<div class="side">',
        f"<h3>{loc.t('table.heading', year=label)}</h3>",
        _profile_table(year, loc),
        _missing_list(year, loc),
        f"<h3>{loc.t('chart.profiles.heading', year=label)}</h3>",
        f"<p class=note>{coverage}</p>",
        profile_chart(year, loc),
        f"<h3>{loc.t('chart.rate.heading', year=label)}</h3>",
        f"<p class=note>{loc.t('chart.rate.note')}</p>",
        rate_chart(year, profiles, loc),
        "</div></div>",
    ])


def _years(summary: Mapping[str, Any], geometry: MapGeometry, loc: Locale) -> str:
    years = sorted(summary["years"], key=lambda entry: entry["year"], reverse=True)
    if not years:
        return (f'<section id="summary"><h2>{loc.t("nav.summary")}</h2>'
                f'<p class="caveat warn">{loc.t("summary.none")}</p></section>')
    by_year: dict[int, list[Mapping[str, Any]]] = {}
    for p in summary["profiles"]:
        by_year.setdefault(p["year"], []).append(p)
    latest = years[0]
    parts = [f'<section id="summary"><h2>{loc.t("summary.heading", year=latest["year"])}</h2>']
    if len(years) > 1:
        earlier = ", ".join(str(entry["year"]) for entry in years[1:])
        note = loc.t("summary.several_years", year=latest["year"], earlier=esc(earlier))
        parts.append(f"<p class=note>{note}</p>")
    parts.append(_year_section(latest, by_year.get(latest["year"], []), geometry, loc))
    for entry in years[1:]:
        processed = loc.count(entry["municipalities_processed"], "municipality")
        parts.append(
            f"<details class=year><summary><h2>{loc.t('summary.heading', year=entry['year'])}"
            f"</h2> {loc.t('summary.earlier', processed=processed)}</summary>"
            f"{_year_section(entry, by_year.get(entry['year'], []), geometry, loc)}</details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


# ---------------------------------------------------------------- tables and evidence


def _municipality_table(summary: Mapping[str, Any], loc: Locale) -> str:
    rows = []
    for p in summary["profiles"]:
        counts = p["counts"]
        review = loc.t("municipalities.yes") if p["needs_review"] else ""
        citizen_share = p["citizen_share"]
        rows.append(
            "<tr>"
            + td(f'<a href="#{anchor(p["kommunkod"], p["year"])}">{esc(p["kommun"])}</a>',
                 p["kommun"])
            + td(esc(p["kommunkod"]))
            + td(esc(p["year"]), cls="n")
            + td(profile_cell(p["profile"], loc), PROFILES.index(p["profile"]))
            + td(loc.decimal(p["confidence"], 2), p["confidence"], "n")
            + td(review, int(p["needs_review"]), "review" if review else "")
            + td(loc.whole(p["paragraphs"]), p["paragraphs"], "n")
            + td(loc.whole(counts[INTERNAL]), counts[INTERNAL], "n")
            + td(loc.whole(counts[CITIZEN]), counts[CITIZEN], "n")
            + td(loc.whole(p["words"]), p["words"], "n")
            + td(loc.optional(p["digital_per_10k_words"], 1),
                 _sort_number(p["digital_per_10k_words"]), "n")
            + td("–" if citizen_share is None else loc.percent(100 * citizen_share, 0),
                 _sort_number(citizen_share), "n")
            + td(loc.whole(p["population"]), p["population"], "n")
            + td(f'{esc(p["kommungrupp_code"])} {esc(p["kommungrupp"])}', p["kommungrupp_code"],
                 "kg")
            + "</tr>"
        )
    header = "".join(
        f"<th>{loc.t(f'col.{name}')}</th>"
        for name in ("kommun", "code", "year", "profile", "confidence", "needs_review",
                     "paragraphs", "internal", "citizen", "words", "rate", "citizen_share",
                     "population", "kommungrupp")
    )
    note = loc.t("municipalities.note", rows=loc.count(len(rows), "row"))
    return (
        f'<section id="municipalities"><h2>{loc.t("municipalities.heading")}</h2>'
        f"<p class=note>{note}</p>"
        f'<div class="scroll"><table class="sortable data"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _sort_number(value: float | None) -> float:
    return -1.0 if value is None else value


def _evidence_item(item: Mapping[str, Any], show_file: bool, loc: Locale) -> str:
    text = item["text"]
    truncated = len(text) > MAX_EVIDENCE_CHARS
    if truncated:
        text = text[:MAX_EVIDENCE_CHARS].rstrip() + "…"
    heading = " › ".join(item["heading_path"])
    source = f"<code>{esc(item['file'])}</code>, " if show_file else ""
    source += loc.t("evidence.page", page=esc(item["page"]))
    if heading:
        source += loc.t("evidence.under", heading=esc(heading))
    note = f" <span class=muted>{loc.t('evidence.shortened')}</span>" if truncated else ""
    label = item["label"]
    return (
        f'<li><p class=meta><span class="label {esc(label)}">{esc(loc.label(label))}</span> '
        f"p = {loc.decimal(item['probability'], 2)} · {source}</p>"
        f"<blockquote>{esc(text)}{note}</blockquote></li>"
    )


def _evidence(summary: Mapping[str, Any], loc: Locale) -> str:
    blocks = []
    for p in summary["profiles"]:
        review = (f' · <span class="review">{loc.t("evidence.review")}</span>'
                  if p["needs_review"] else "")
        probabilities = ", ".join(
            f"{esc(loc.profile(key).lower())} {loc.decimal(value, 2)}"
            for key, value in p["profile_probabilities"].items()
            if key in PROFILES
        )
        files = ", ".join(f"<code>{esc(f)}</code>" for f in p["files"])
        if p["profile"] == NO_DIGITAL_GOALS:
            intro = loc.t("evidence.none_close" if p["evidence"] else "evidence.none")
        else:
            intro = loc.t("evidence.deciding")
        items = "".join(_evidence_item(item, len(p["files"]) > 1, loc) for item in p["evidence"])
        confidence = loc.t("evidence.confidence", confidence=loc.decimal(p["confidence"], 2))
        blocks.append(
            f'<details id="{anchor(p["kommunkod"], p["year"])}"><summary>'
            f'<strong>{esc(p["kommun"])}</strong> {esc(p["kommunkod"])} · {esc(p["year"])} · '
            f'{profile_cell(p["profile"], loc)} · {confidence}{review}</summary>'
            f"<p class=meta>{loc.t('evidence.meta', files=files, probabilities=probabilities)}"
            f"</p><p>{intro}</p><ol class=evidence>{items}</ol></details>"
        )
    return (
        f'<section id="evidence"><h2>{loc.t("evidence.heading")}</h2>'
        f"<p class=note>{loc.t('evidence.note')}</p>{''.join(blocks)}</section>"
    )


def _documents(summary: Mapping[str, Any], documents: Sequence[Mapping[str, str]],
               loc: Locale) -> str:
    unresolved = {d["file"] for d in summary["documents"]["unresolved_files"]}
    rows = []
    for d in documents:
        if d["status"] in ("error", "skipped"):
            status, cls = loc.t(f"status.{d['status']}"), "bad" if d["status"] == "error" else ""
        elif d["file"] in unresolved:
            status, cls = loc.t("status.unresolved"), "warn"
        else:
            status, cls = loc.t("status.ok"), ""
        municipality = " ".join(part for part in (d["kommun"], d["kommunkod"]) if part)
        message = d["error"] or (d["municipality_note"] if d["file"] in unresolved else "")
        rows.append(
            "<tr>"
            + td(f"<code>{esc(d['file'])}</code>")
            + td(esc(status), cls=cls)
            + td(esc(message))
            + td(esc(municipality))
            + td(esc(d["year"]), cls="n")
            + td(esc(d["pages"]), _int_or(d["pages"]), "n")
            + td(esc(d["paragraphs"]), _int_or(d["paragraphs"]), "n")
            + td(esc(d["health_flag"]), cls="warn" if d["health_flag"] else "")
            + "</tr>"
        )
    header = "".join(
        f"<th>{loc.t(f'doc.{name}')}</th>"
        for name in ("file", "status", "message", "municipality", "year", "pages", "paragraphs",
                     "extraction")
    )
    return (
        f'<section id="documents"><h2>{loc.t("documents.heading")}</h2>'
        f'<div class="scroll"><table class="sortable data"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _int_or(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return -1


def render(summary: Mapping[str, Any], documents: Sequence[Mapping[str, str]],
           lang: str = DEFAULT_LANG, created: str | None = None) -> str:
    """The whole page as a string."""
    loc = Locale(lang)
    geometry = map_geometry()
    model = summary["model"]
    title = loc.t("page.title")
    if model.get("name"):
        title += f" – {model['name']}"
    nav = "".join(f'<a href="#{key}">{loc.t(f"nav.{key}")}</a>' for key in (
        "summary", "breakdowns", "municipalities", "evidence", "documents"))
    body = [
        _header(summary, documents, created, loc),
        f"<nav>{nav}</nav>",
        map_defs(geometry),
        _years(summary, geometry, loc),
        breakdowns_section(summary, loc),
        _municipality_table(summary, loc),
        _evidence(summary, loc),
        _documents(summary, documents, loc),
    ]
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_asset('report.css')}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n<script>{_asset('report.js')}</script>\n</body>\n</html>\n"
    )


@functools.cache
def _asset(name: str) -> str:
    return resources.files("mrp_classify.inference").joinpath("data", name).read_text(
        encoding="utf-8")
