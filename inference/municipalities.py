"""Sweden's 290 municipalities, and which one (and which year) a document is about.

The table joins the bundled ``kommuner.csv`` (codes, names, county, population)
with SKR's 2017 municipality groups (see ``data/SOURCES.md``).

Resolution order: the file name first (the user controls it), then the title
text of the document; when the two name different municipalities the document
is ``ambiguous``. A ``--manifest`` (``read_manifest``) overrides both.

Matching rules, and why:

* Names are compared without å/ä/ö only when the input itself has none
  ("goteborg", "orebro"); an input spelled with diacritics must match them
  exactly, so "Våra" never matches Vara. Dropping diacritics makes Habo and
  Håbo collide: that is ``ambiguous`` with both candidates, never a guess.
* In a file name any whole word (or run of words, for "Upplands Väsby") that
  is a name counts, also in the genitive ("hudiksvalls") or glued to
  kommun/stad ("goteborgsstad").
* In the title text many names are also ordinary words (Mark, Ale, Vara,
  Sala, Mora, Berg...), so a name only counts in a naming pattern: "X kommun",
  "Xs kommun", "X stad", "Xs stad" (and their genitives), "Region Gotland",
  "kommunfullmäktige i X", or a title line that holds nothing but the name,
  document words and years ("MRP 2025 Ljusnarsberg"). The name must be
  capitalised as in the table or written in capitals.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from mrp_classify.errors import MrpError

KOMMUNER_FILE = "kommuner.csv"
SKR_FILE = "skr_kommungruppsindelning_2017.csv"
N_MUNICIPALITIES = 290

SOURCE_FILENAME = "filename"
SOURCE_TEXT = "text"
SOURCE_MANIFEST = "manifest"
SOURCE_UNRESOLVED = "unresolved"
SOURCE_AMBIGUOUS = "ambiguous"
RESOLVED_SOURCES = frozenset({SOURCE_FILENAME, SOURCE_TEXT, SOURCE_MANIFEST})

# Falun's official name is "Falu kommun": its genitive is not "Faluns".
_ALIASES: Mapping[str, tuple[str, ...]] = {"2080": ("Falu",)}
# Gotland is the only municipality that is also a region ("Region Gotland");
# "Region Stockholm" or "Region Uppsala" are county regions, not municipalities.
_REGION_MUNICIPALITIES = ("0980",)

# Names that are also everyday words in file names ("vara-mal-2025-...", "mark");
# when a file name also holds another municipality's name, these give way.
_COMMON_WORD_NAMES = frozenset({"ale", "ange", "are", "berg", "mala", "mark", "vara"})

# Words that may stand beside the name on a title line without making it prose.
_TITLE_LINE_WORDS = frozenset(
    {
        "mrp", "mal", "och", "resursplan", "resursplanen", "budget", "budgeten", "plan",
        "planen", "med", "for", "samt", "ar", "ars", "arsbudget", "flerarsplan",
        "verksamhetsplan", "strategisk", "ekonomisk", "ekonomi", "forslag", "till",
        "antagen", "reviderad", "kf", "version", "detaljbudget",
    }
)
_DESIGNATIONS = (
    r"kommun|kommuns|stad|stads|kommunfullmaktige|kommunfullmaktiges"
    r"|kommunstyrelse|kommunstyrelsen|kommunstyrelsens"
)
_TEXT_SEP = r"[\s\-\u2010\u2011\u2013]+"
_FILE_SEP = r"[\s\-]*"
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_DATE_AFTER_RE = re.compile(r"[-_./](0[1-9]|1[0-2])[-_./](0[1-9]|[12]\d|3[01])(?!\d)")
_DATE_BEFORE_RE = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])[-_./](0[1-9]|1[0-2])[-_./]$")
_PLAN_WORD_RE = re.compile(r"mrp|budget|plan|mål", re.IGNORECASE)
_YEAR_AFTER_PLAN_WORD = 40
_ARS_PLAN_RE = re.compile(r"\s+års\s+\w*(?:budget|plan|mål)", re.IGNORECASE)


@dataclass(frozen=True)
class Municipality:
    kommunkod: str
    kommun: str
    lanskod: str
    lan: str
    population: int
    population_year: int
    kommungrupp: str
    kommungrupp_code: str
    huvudgrupp_code: str
    huvudgrupp: str


@dataclass(frozen=True)
class Resolution:
    """Which municipality and year a document belongs to, and how that was found."""

    kommunkod: str | None
    year: int | None
    source: str
    note: str

    @property
    def complete(self) -> bool:
        """True when the document can be counted in a municipality-year profile."""
        return self.source in RESOLVED_SOURCES and self.kommunkod is not None and (
            self.year is not None
        )


def _read_data(name: str) -> list[dict[str, str]]:
    text = resources.files("mrp_classify.inference").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@functools.lru_cache(maxsize=1)
def municipalities() -> Mapping[str, Municipality]:
    """The 290 municipalities by kommunkod, in code order."""
    groups = {row["kommunkod"]: row for row in _read_data(SKR_FILE)}
    table: dict[str, Municipality] = {}
    for row in _read_data(KOMMUNER_FILE):
        code = row["kommunkod"]
        group = groups.get(code)
        if group is None:
            raise MrpError(
                f"{SKR_FILE}: kommunkod {code} is missing; the bundled data is damaged, "
                "reinstall mrp-classify"
            )
        table[code] = Municipality(
            kommunkod=code,
            kommun=row["kommun"],
            lanskod=row["lanskod"],
            lan=row["lan"],
            population=int(row["population"]),
            population_year=int(row["population_year"]),
            kommungrupp=group["kommungrupp_2017"],
            kommungrupp_code=group["grupp"],
            huvudgrupp_code=group["huvudgrupp_kod"],
            huvudgrupp=group["huvudgrupp"],
        )
    if len(table) != N_MUNICIPALITIES or len(groups) != N_MUNICIPALITIES:
        raise MrpError(
            f"{KOMMUNER_FILE}: {len(table)} municipalities instead of {N_MUNICIPALITIES}; "
            "the bundled data is damaged, reinstall mrp-classify"
        )
    return MappingProxyType(dict(sorted(table.items())))


def describe(codes: Iterable[str]) -> str:
    """'Habo (0643), Håbo (0305)' for notes and messages."""
    table = municipalities()
    return ", ".join(f"{table[code].kommun} ({code})" for code in sorted(codes))


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 else char


def fold(text: str) -> str:
    """Drop diacritics, keeping case and length so that match positions map back."""
    return "".join(_fold_char(char) for char in text)


def _key(text: str) -> str:
    return re.sub(r"[\s\-\u2010\u2011\u2013]+", "", text).casefold()


@dataclass(frozen=True)
class _NameIndex:
    exact: Mapping[str, frozenset[str]]
    folded: Mapping[str, frozenset[str]]
    forms: Mapping[str, tuple[str, ...]]
    file_re: re.Pattern[str]
    designated_re: re.Pattern[str]
    region_re: re.Pattern[str]
    council_re: re.Pattern[str]
    name_re: re.Pattern[str]


def _alternation(forms: Iterable[str], separator: str) -> str:
    folded = {fold(form) for form in forms}
    parts = [
        separator.join(re.escape(token) for token in re.split(r"[\s\-]+", form))
        for form in sorted(folded, key=lambda form: (-len(form), form))
    ]
    return "|".join(parts)


@functools.lru_cache(maxsize=1)
def _index() -> _NameIndex:
    forms: dict[str, tuple[str, ...]] = {
        code: (m.kommun, *_ALIASES.get(code, ())) for code, m in municipalities().items()
    }
    exact: dict[str, set[str]] = {}
    folded: dict[str, set[str]] = {}
    for code, names in forms.items():
        for name in names:
            exact.setdefault(_key(name), set()).add(code)
            folded.setdefault(_key(fold(name)), set()).add(code)
    all_forms = [name for names in forms.values() for name in names]
    text_names = _alternation(all_forms, _TEXT_SEP)
    region_names = _alternation(
        [name for code in _REGION_MUNICIPALITIES for name in forms[code]], _TEXT_SEP
    )
    flags = re.IGNORECASE
    return _NameIndex(
        exact={key: frozenset(codes) for key, codes in exact.items()},
        folded={key: frozenset(codes) for key, codes in folded.items()},
        forms=forms,
        file_re=re.compile(
            rf"(?<!\w)(?P<name>{_alternation(all_forms, _FILE_SEP)})s?(?:kommun|stad)?(?!\w)",
            flags,
        ),
        designated_re=re.compile(
            rf"(?<![\w-])(?P<name>{text_names})s?\s+(?:{_DESIGNATIONS})(?![\w-])", flags
        ),
        region_re=re.compile(rf"(?<![\w-])region\s+(?P<name>{region_names})(?![\w-])", flags),
        council_re=re.compile(
            rf"(?<![\w-])(?:kommunfullmaktige|kommunstyrelsen)\s+i\s+(?P<name>{text_names})"
            rf"(?![\w-])",
            flags,
        ),
        name_re=re.compile(rf"(?<![\w-])(?P<name>{text_names})(?![\w-])", flags),
    )


def _candidates(original: str, capitalised: bool, diacritics_kept: bool) -> frozenset[str]:
    """Codes a spelling can stand for.

    A spelling with å/ä/ö must match exactly. One without them matches the
    folded names ("habo": Habo or Håbo), unless ``diacritics_kept`` (the
    surrounding text uses å/ä/ö elsewhere, so "Habo" there means Habo).
    """
    index = _index()
    key = _key(original)
    codes = index.exact.get(key) if fold(original) != original or diacritics_kept else None
    if codes is None:
        codes = frozenset() if fold(original) != original else index.folded.get(key, frozenset())
    if not capitalised:
        return codes
    spaced = re.sub(r"[\s\-\u2010\u2011\u2013]+", " ", original)
    fold_spaced = fold(spaced)
    accepted = set()
    for code in codes:
        for form in index.forms[code]:
            expected = re.sub(r"[\s\-]+", " ", form)
            if fold(expected) == fold_spaced or fold(expected).upper() == fold_spaced:
                accepted.add(code)
    return frozenset(accepted)


def _file_name_candidates(file_name: str) -> tuple[frozenset[str], str]:
    stem = unicodedata.normalize("NFC", Path(file_name).name)
    suffix = Path(stem).suffix
    if suffix and suffix[1:].isalnum() and not suffix[1:].isdigit():
        stem = stem[: -len(suffix)]
    spaced = re.sub(r"[_.\s]+", " ", stem)
    spaced = re.sub(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])", " ", spaced)
    matches: list[tuple[str, frozenset[str]]] = []
    for match in _index().file_re.finditer(fold(spaced)):
        original = spaced[match.start("name") : match.end("name")]
        codes = _candidates(original, capitalised=False, diacritics_kept=fold(stem) != stem)
        if codes:
            matches.append((_key(fold(original)), codes))
    distinct = {codes for _, codes in matches}
    note = ""
    if len(distinct) > 1:
        proper = [(key, codes) for key, codes in matches if key not in _COMMON_WORD_NAMES]
        if proper and len(proper) < len(matches):
            dropped = sorted({key for key, _ in matches if key in _COMMON_WORD_NAMES})
            note = f"read {', '.join(repr(k) for k in dropped)} in the file name as a common word"
            distinct = {codes for _, codes in proper}
    return frozenset().union(*distinct), note


def _title_line_hits(
    line: str, folded_line: str, offset: int, diacritics_kept: bool
) -> list[tuple[int, frozenset[str]]]:
    hits = []
    for match in _index().name_re.finditer(folded_line):
        rest = folded_line[: match.start()] + " " + folded_line[match.end() :]
        words = re.findall(r"[^\W\d_]+", rest)
        if all(word.casefold() in _TITLE_LINE_WORDS for word in words):
            name = line[match.start("name") : match.end("name")]
            codes = _candidates(name, capitalised=True, diacritics_kept=diacritics_kept)
            if codes:
                hits.append((offset + match.start(), codes))
    return hits


def _text_candidates(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(the municipality the title text is about, every municipality it names).

    The title text runs on into the first pages, which may name a neighbour
    ("samverkan med Nordanstigs kommun"): the name that comes first and is named
    more often than all the others together wins; otherwise there is no winner.
    """
    text = unicodedata.normalize("NFC", text)
    folded = fold(text)
    kept = folded != text
    index = _index()
    hits: list[tuple[int, frozenset[str]]] = []
    for pattern in (index.designated_re, index.region_re, index.council_re):
        for match in pattern.finditer(folded):
            name = text[match.start("name") : match.end("name")]
            codes = _candidates(name, capitalised=True, diacritics_kept=kept)
            if codes:
                hits.append((match.start(), codes))
    start = 0
    for line in text.split("\n"):
        hits += _title_line_hits(line, folded[start : start + len(line)], start, kept)
        start += len(line) + 1
    if not hits:
        return frozenset(), frozenset()
    hits.sort(key=lambda hit: hit[0])
    named = frozenset().union(*(codes for _, codes in hits))
    first = hits[0][1]
    first_count = sum(1 for _, codes in hits if codes == first)
    if first_count > len(hits) - first_count:
        return first, named
    return named, named


def year_from_file_name(file_name: str) -> int | None:
    """The first 19xx/20xx in the file name that is not part of a date."""
    stem = Path(file_name).name
    for match in _YEAR_RE.finditer(stem):
        if not _in_date(stem, match.start(), match.end()):
            return int(match.group(1))
    return None


def _in_date(text: str, start: int, end: int) -> bool:
    return bool(_DATE_AFTER_RE.match(text, end) or _DATE_BEFORE_RE.search(text[:start]))


def year_from_title(text: str) -> int | None:
    """The first year that follows an MRP/budget/plan word closely ("Budget 2025 med plan
    2026–2027" → 2025) or reads "2025 års budget"; dates (2024-11-25) are skipped."""
    plan_word_ends = [match.end() for match in _PLAN_WORD_RE.finditer(text)]
    for match in _YEAR_RE.finditer(text):
        if _in_date(text, match.start(), match.end()):
            continue
        near_word = any(
            0 <= match.start() - end <= _YEAR_AFTER_PLAN_WORD for end in plan_word_ends
        )
        if near_word or _ARS_PLAN_RE.match(text, match.end()):
            return int(match.group(1))
    return None


def resolve(file_name: str, title_text: str) -> Resolution:
    """Municipality and year of a document from its file name, then its title text."""
    from_file, file_note = _file_name_candidates(file_name)
    from_text, named = _text_candidates(title_text)
    year = year_from_file_name(file_name)
    if year is None:
        year = year_from_title(title_text)
    notes = [file_note] if file_note else []

    code: str | None = None
    source = SOURCE_UNRESOLVED
    if len(from_file) == 1:
        (code,) = from_file
        source = SOURCE_FILENAME
        if named and code not in named:
            notes.append(
                f"file name names {describe(from_file)} but the title names {describe(named)}"
            )
            code, source = None, SOURCE_AMBIGUOUS
        elif named - from_file:
            notes.append(f"title also names {describe(named - from_file)}")
    elif from_file:
        narrowed = from_file & from_text or from_file & named
        if len(narrowed) == 1:
            (code,) = narrowed
            source = SOURCE_TEXT
            notes.append(f"file name fits {describe(from_file)}; the title narrows it down")
        else:
            source = SOURCE_AMBIGUOUS
            notes.append(f"file name fits {describe(from_file)} (å/ä/ö missing?)")
    elif len(from_text) == 1:
        (code,) = from_text
        source = SOURCE_TEXT
        if named - from_text:
            notes.append(f"title also names {describe(named - from_text)}")
    elif from_text:
        source = SOURCE_AMBIGUOUS
        notes.append(f"title names {describe(from_text)}")
    else:
        notes.append("no municipality name in the file name or title")

    if code is not None:
        where = "file name" if source == SOURCE_FILENAME else "title"
        notes.insert(0, f"{describe([code])} from the {where}")
    if source in (SOURCE_AMBIGUOUS, SOURCE_UNRESOLVED):
        notes.append("put the municipality in the file name or pass --manifest")
    elif year is None:
        notes.append("no year found; put it in the file name or pass --manifest")
    return Resolution(code, year, source, "; ".join(notes))


def read_manifest(path: Path) -> dict[Path, tuple[str, int | None]]:
    """``file,kommunkod,year`` rows → {absolute file path: (kommunkod, year or None)}.

    Paths are relative to the manifest's folder unless absolute. A 3-digit code is
    taken as a 4-digit one whose leading zero a spreadsheet dropped. An empty year
    means: detect it from the file name or title. ``;`` separators (Swedish Excel)
    are accepted.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MrpError(f"{path}: manifest not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MrpError(f"{path}: cannot read the manifest ({exc})") from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [column for column in ("file", "kommunkod") if column not in header]
    if missing:
        raise MrpError(
            f"{path}:1: missing column(s) {', '.join(missing)}; the header must be "
            "file,kommunkod,year"
        )
    table = municipalities()
    entries: dict[Path, tuple[str, int | None]] = {}
    first_seen: dict[Path, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        # A short row leaves its last cells empty; extra cells are ignored.
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        file_cell = cells.get("file", "")
        if not file_cell:
            raise MrpError(f"{path}:{line}: empty file")
        file_path = Path(file_cell)
        if not file_path.is_absolute():
            file_path = path.parent / file_path
        file_path = file_path.resolve()
        code = cells.get("kommunkod", "")
        if code.isdigit() and len(code) == 3:
            code = "0" + code
        if code not in table:
            raise MrpError(
                f"{path}:{line}: unknown kommunkod {code!r}; use the 4-digit code "
                "(e.g. 0180 for Stockholm)"
            )
        year_cell = cells.get("year", "")
        year: int | None = None
        if year_cell:
            if not (year_cell.isdigit() and 1900 <= int(year_cell) <= 2099):
                raise MrpError(f"{path}:{line}: year {year_cell!r} is not a year like 2025")
            year = int(year_cell)
        if file_path in first_seen:
            raise MrpError(
                f"{path}:{line}: {file_cell} is listed again (first at line "
                f"{first_seen[file_path]})"
            )
        first_seen[file_path] = line
        entries[file_path] = (code, year)
    return entries
