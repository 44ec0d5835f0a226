"""The report's shared vocabulary: profile colours, the language, and HTML formatting.

Every string that came from a document or a file name goes through :func:`esc`.
Numbers are formatted by :class:`Locale`: Swedish writes 41 897 and 6,2 %, English
41,897 and 6.2%.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from mrp_classify.errors import MrpError
from mrp_classify.inference.aggregate import (
    CITIZEN_PROFILE,
    INTERNAL_ONLY,
    NO_DIGITAL_GOALS,
)
from mrp_classify.inference.report_text import LANGUAGES, TEXTS

MISSING = "missing"
DEFAULT_LANG = "sv"
# A no-break space: a number never breaks across lines, and Swedish Excel reads it as the
# thousands separator when a figure is copied from the page.
NBSP = "\u00a0"

# Paul Tol's "bright" scheme: distinguishable with the common colour-vision deficiencies.
COLOURS = {
    NO_DIGITAL_GOALS: "#EE6677",
    INTERNAL_ONLY: "#CCBB44",
    CITIZEN_PROFILE: "#4477AA",
    MISSING: "#BBBBBB",
}


@dataclass(frozen=True)
class Locale:
    """The page's language: its strings and number formats."""

    lang: str = DEFAULT_LANG

    def __post_init__(self) -> None:
        if self.lang not in TEXTS:
            raise MrpError(f"--lang {self.lang}: choose one of {', '.join(LANGUAGES)}")

    def t(self, key: str, **fields: object) -> str:
        """The string ``key``, filled with ``fields`` (already escaped and formatted)."""
        text = TEXTS[self.lang][key]
        return text.format(**fields) if fields else text

    def whole(self, value: float) -> str:
        grouped = f"{round(value):,}"
        return grouped.replace(",", NBSP) if self.lang == "sv" else grouped

    def decimal(self, value: float, decimals: int) -> str:
        text = f"{value:.{decimals}f}"
        return text.replace(".", ",") if self.lang == "sv" else text

    def percent(self, value: float, decimals: int = 1) -> str:
        """``value`` in per cent (6.2 → "6,2 %")."""
        number = self.decimal(value, decimals)
        return f"{number}{NBSP}%" if self.lang == "sv" else f"{number}%"

    def pct(self, part: float, whole: float) -> str:
        return self.percent(100 * part / whole) if whole else "–"

    def optional(self, value: float | None, decimals: int) -> str:
        return "–" if value is None else self.decimal(value, decimals)

    def count(self, n: int, noun: str) -> str:
        """``n`` and the noun in singular or plural: "1 kommun", "2 kommuner"."""
        return f"{self.whole(n)}{NBSP}{self.t(f'{noun}.one' if n == 1 else f'{noun}.other')}"

    def profile(self, key: str) -> str:
        return self.t(f"profile.{key}")

    def label(self, key: str) -> str:
        return TEXTS[self.lang].get(f"label.{key}", key)


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def swatch(key: str) -> str:
    return f'<span class="sw" style="background:{COLOURS[key]}"></span>'


def profile_cell(profile: str, loc: Locale) -> str:
    return f"<span class=nw>{swatch(profile)}{esc(loc.profile(profile))}</span>"


def anchor(kommunkod: str, year: int) -> str:
    return f"ev-{kommunkod}-{year}"


def td(text: str, sort: object | None = None, cls: str = "") -> str:
    attributes = f' data-v="{esc(sort)}"' if sort is not None else ""
    attributes += f' class="{cls}"' if cls else ""
    return f"<td{attributes}>{text}</td>"
