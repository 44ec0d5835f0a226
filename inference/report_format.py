"""The report's shared vocabulary: profile colours and names, and HTML formatting.

Every string that came from a document or a file name goes through :func:`esc`.
"""

from __future__ import annotations

import html

from mrp_classify.inference.aggregate import (
    CITIZEN,
    CITIZEN_PROFILE,
    INTERNAL,
    INTERNAL_ONLY,
    NO_DIGITAL_GOALS,
    NONE,
)

MISSING = "missing"

# Paul Tol's "bright" scheme: distinguishable with the common colour-vision deficiencies.
COLOURS = {
    NO_DIGITAL_GOALS: "#EE6677",
    INTERNAL_ONLY: "#CCBB44",
    CITIZEN_PROFILE: "#4477AA",
    MISSING: "#BBBBBB",
}
PROFILE_NAMES = {
    NO_DIGITAL_GOALS: "No digitalisation goals",
    INTERNAL_ONLY: "Internal efficiency only",
    CITIZEN_PROFILE: "Citizen-facing goals",
    MISSING: "Not processed",
}
LABEL_NAMES = {NONE: "none", INTERNAL: "internal efficiency", CITIZEN: "citizen-facing"}



def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def whole(value: int | float) -> str:
    return f"{round(value):,}"


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def optional(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def swatch(key: str) -> str:
    return f'<span class="sw" style="background:{COLOURS[key]}"></span>'


def profile_cell(profile: str) -> str:
    return f'<span class=nw>{swatch(profile)}{esc(PROFILE_NAMES.get(profile, profile))}</span>'


def anchor(kommunkod: str, year: int) -> str:
    return f"ev-{kommunkod}-{year}"


def td(text: str, sort: object | None = None, cls: str = "") -> str:
    attributes = f' data-v="{esc(sort)}"' if sort is not None else ""
    attributes += f' class="{cls}"' if cls else ""
    return f"<td{attributes}>{text}</td>"

