"""Read a City & Guilds-style qualification handbook into a test specification.

Pure: :func:`parse_handbook` takes the handbook's text (Markdown, or plain text as
exported from the PDF, or the text conventions of ``storage.handbook_files`` for
.docx) and returns a :class:`HandbookImport`: the specification-shaped data, the
:class:`TestSpecification` when nothing is missing, and every warning and gap with
the unit, outcome and handbook line where it was found.

Two rules shape everything here:

* **Nothing is silently corrected.** Figures are copied as printed; where the
  handbook disagrees with itself (a % that does not match the marks, a title that
  differs between sections) the printed value is kept and a warning says so.
* **Nothing is guessed.** A value that cannot be read (a time allowance in words we
  do not know, marks that are not a number, a unit with no section) is a *gap*: the
  caller writes nothing, or with ``--partial`` writes the gap marked for a person.

Real handbooks are inconsistent in layout, so the reader keys on *words*
("Learning outcome", "Assessment criteria", "Range", "Level:") after stripping the
markup (``**bold**``, ``<b>``, ``#`` headings), never on one heading style.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from pydantic import ValidationError

from .handbook_pages import PagedText
from .specification import TestSpecification
from .validation import WEIGHTING_TOLERANCE_POINTS

# --- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A warning or a gap, with where it was found.

    ``field`` names the key of the output (in the unit, the outcome, or the
    ``section`` for qualification-level keys) that a gap left empty, so a partial
    file can mark the exact place for a person to fill.
    """

    message: str
    line: int | None = None
    unit: str | None = None
    outcome: int | None = None
    section: str | None = None
    field: str | None = None
    page: int | None = None  # set for a paged handbook (PDF): where a person looks

    @property
    def where(self) -> str:
        if self.unit is not None:
            place = f"unit {self.unit}"
            if self.outcome is not None:
                place += f" outcome {self.outcome}"
        else:
            place = self.section or "handbook"
        if self.page is not None:
            return f"{place} (page {self.page})"
        return place if self.line is None else f"{place} (line {self.line})"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class HandbookImport:
    """What :func:`parse_handbook` found.

    ``data`` always has the shape of ``spec.yaml`` (keys in the models' order) with
    ``None`` wherever a gap left a value unknown; ``specification`` is set only when
    there are no gaps and the data validates.
    """

    data: dict[str, Any]
    warnings: list[Finding] = field(default_factory=list)
    gaps: list[Finding] = field(default_factory=list)
    specification: TestSpecification | None = None

    @property
    def complete(self) -> bool:
        return self.specification is not None


#: The closing full stop of a criteria list is punctuation of the list, not of the
#: criterion; it is dropped so every criterion reads the same way.
CRITERION_TEXT_RULE = (
    "Criterion text: the handbook's wording, capitalisation and spelling with bold/HTML "
    "markup removed and whitespace collapsed; the full stop that closes each criteria "
    'list is dropped, so no criterion ends with ".".'
)

# --- lines: markup stripped once, up front ---------------------------------------------

_INLINE_TAG = re.compile(r"</?(?:b|strong|i|em|u|a|span|font|sup|sub)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[^>]+>")
_HEADING_HASHES = re.compile(r"^\s*#{1,6}\s*")
_SPACES = re.compile(r"\s+")
_RULE_LINE = re.compile(r"^[\s\-=_|:]+$")  # "-----", "|---|---|", setext underlines
_BULLET = re.compile(r"^\s*(?:[-*+•·▪]|\d+\)|[a-z]\))\s+")
_PIPE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def clean(text: str) -> str:
    """Plain text of one line or cell: no bold/HTML markers, one space between words.

    Not a safety cleaner (those are domain/visible_text.py for screens and typed input,
    documents/text_cleaning.py for documents): this strips a handbook's mark-up while importing it."""
    text = text.replace("**", "")
    text = _INLINE_TAG.sub("", text)
    text = _ANY_TAG.sub(" ", text)  # <li>, <br>, <td>...: word boundaries
    text = html.unescape(text).replace("\u00a0", " ")
    text = _HEADING_HASHES.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _split_cells(raw: str) -> tuple[str, ...]:
    """Table cells of a row: tab-separated (the handbook's export), Markdown pipes,
    or runs of 2+ spaces (PDF text export). A line that is not a row gives ()."""
    body = raw.rstrip()
    if "\t" in body:
        parts = body.split("\t")
    elif body.lstrip().startswith("|") and body.count("|") >= 2:
        if _PIPE_SEPARATOR.match(body):
            return ()
        parts = body.strip().strip("|").split("|")
    elif re.search(r"\S {2,}\S", body):
        # An indented row's indent is layout, not an empty first cell (pdftotext -layout).
        parts = re.split(r" {2,}", body.strip())
    else:
        return ()
    return tuple(clean(p) for p in parts)


@dataclass(frozen=True)
class Line:
    no: int  # 1-based line number in the handbook text
    raw: str
    text: str  # clean(raw)
    cells: tuple[str, ...]  # () unless the line is a table row
    label: bool  # a heading or a line that opens with bold: where the structure is

    @property
    def blank(self) -> bool:
        return not self.text or bool(_RULE_LINE.match(self.raw))

    @property
    def is_row(self) -> bool:
        return len(self.cells) >= 2


def _is_label(raw: str, text: str) -> bool:
    stripped = raw.lstrip()
    if stripped.startswith("#"):
        return True
    if stripped.startswith("**") or stripped.lower().startswith(("<b>", "<strong>")):
        return True
    # Plain-text exports lose the bold: accept a bare structural word on its own line.
    return bool(_STRUCTURE_WORD.match(text)) and len(text) <= 40


def split_lines(text: str) -> list[Line]:
    lines = []
    for no, raw in enumerate(text.splitlines(), start=1):
        cleaned = clean(raw)
        lines.append(Line(no, raw, cleaned, _split_cells(raw), _is_label(raw, cleaned)))
    return lines


# --- words that carry the structure ----------------------------------------------------

_LEARNING_OUTCOME = re.compile(r"^learning outcomes?\b\s*:?\s*", re.I)
_ASSESSMENT_CRITERIA = re.compile(r"^assessment criteria\b\s*:?\s*", re.I)
_RANGE = re.compile(r"^range\b\s*:?\s*", re.I)
_STRUCTURE_WORD = re.compile(
    r"^(?:learning outcomes?|assessment criteria|range|(?:qualification )?structure|test specifications?)\s*:?\s*$",
    re.I
)
_LEARNER_WILL = re.compile(r"^the learner will\s*:?\s*", re.I)
_LEARNER_CAN = re.compile(r"^the learner can\s*:?\s*", re.I)
_UNIT_LABEL = re.compile(r"^unit\s+(?P<number>[A-Z]?\d{2,4}[A-Z]?)\b\s*[:.\u2013\u2014-]?\s*(?P<rest>.*)$", re.I)
_UNIT_FIELD = re.compile(
    r"^(?P<key>level|glh|guided learning hours|credits?|credit value)\s*:?\s*(?P<value>.*)$", re.I
)
_UNIT_FIELD_KEYS = {"level": "level", "glh": "glh", "guided learning hours": "glh",
                    "credit": "credits", "credits": "credits", "credit value": "credits"}
_TIME_ALLOWANCE = re.compile(r"(?:recommended\s+)?time\s+allow(?:ance|ed)\s*:?\s*|\bduration\s*:\s*", re.I)
_CRITERION_NUMBER = re.compile(r"(?<!\S)(?:AC\s?)?(\d+)\.(\d+)(?=\s|$)")
#: Criteria numbered "1.", "2." within each outcome (no outcome number in them).
_CRITERION_ALONE = re.compile(r"(?<!\S)(\d{1,2})\.(?=\s)")
_OUTCOME_HEADING = re.compile(r"^outcome\s+(\d{1,2})\b\s*[:.\u2013-]?\s+(\S.*)$", re.I)
_OUTCOME_NUMBER = re.compile(r"^(\d+)\s*[.)]?\s+(.*)$")
_CRITERIA_LINE = re.compile(r"^(?:the learner can\b|(?:AC\s?)?\d+\.(?:\d+)?\s)", re.I)


def _is_boundary(line: Line) -> bool:
    """A chapter heading that ends whatever unit block came before it."""
    if line.is_row or line.blank:
        return False
    named = re.match(r"^(?:appendix\b|test specifications?$|(?:\d+\s+)?units$|contents$)", line.text, re.I)
    if named and (line.label or (len(line.text) <= 60 and not line.text.endswith("."))):
        return True  # plain-text exports keep the words but lose the heading markup
    if not line.label:
        return False
    # "## 4 Assessment", "## 5 Units": numbered chapters, only as real headings
    # (a bold "**1.1** describe" must not end a unit).
    return line.raw.lstrip().startswith("#") and bool(re.match(r"^\d+\s+[A-Za-z]", line.text))


def _unit_label(line: Line) -> re.Match[str] | None:
    """``Unit 304`` / ``Unit 304: Title`` as a heading (not a contents row, not prose)."""
    if line.blank:
        return None
    if line.is_row:
        # "Unit 201      Health and safety in ..." in PDF text: the heading and its title
        # printed as two columns. Table rows ("201 | Title | 3") do not start with "Unit".
        cells = [c for c in line.cells if c]
        if len(cells) != 2 or not re.fullmatch(r"unit\s+[A-Z]?\d{2,4}[A-Z]?", cells[0], re.I) \
                or cells[1].endswith(".") or re.search(r"\d$", cells[1]):
            return None
        return _UNIT_LABEL.match(" ".join(cells))
    match = _UNIT_LABEL.match(line.text)
    if not match:
        return None
    if line.label:
        return match
    # Plain text has no heading markup: accept "Unit 304", "Unit 304: ..." or
    # "Unit 304 Title Words", but not prose such as "Unit 5 of the Act applies."
    rest = match["rest"]
    plain_heading = not rest or bool(re.match(r"^unit\s+\S+?\s*:", line.text, re.I)) or (
        rest[:1].isupper() and not line.text.endswith(".") and len(line.text) <= 120
    )
    return match if plain_heading else None


# --- joined text that remembers its lines ---------------------------------------------


class _Joined:
    """Several lines joined with spaces, able to say which line an offset came from.

    Inline forms ("The learner can: 1.1 ... 1.2 ...") and list forms ("- 1.1 ...")
    become the same text, so one splitter serves both.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._starts: list[int] = []
        self._lines: list[int] = []
        self._length = 0

    def add(self, text: str, line_no: int) -> None:
        if not text:
            return
        if self._parts:
            self._length += 1  # the joining space
        self._starts.append(self._length)
        self._lines.append(line_no)
        self._parts.append(text)
        self._length += len(text)

    @property
    def text(self) -> str:
        return " ".join(self._parts)

    @property
    def first_line(self) -> int | None:
        return self._lines[0] if self._lines else None

    def line_at(self, offset: int) -> int | None:
        if not self._lines:
            return None
        index = bisect.bisect_right(self._starts, offset) - 1
        return self._lines[max(index, 0)]


# --- durations -------------------------------------------------------------------------

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75}
_DURATION = re.compile(
    r"^(?:(?P<hours>\d+(?:\.\d+)?|\d*[½¼¾]|\d+\s+\d/\d|" + "|".join(_NUMBER_WORDS) + r")"
    r"\s*(?:hours?|hrs?|h)\b)?"
    r"\s*(?:and\s+)?"
    r"(?:(?P<minutes>\d+)\s*(?:minutes?|mins?|m)\b)?\s*\.?$",
    re.I,
)


def parse_duration(text: str) -> int | None:
    """Minutes in "1 hour 30 minutes", "1½ hours", "90 mins", "2.5 hours"; else None."""
    match = _DURATION.match(text.strip())
    if not match or not (match["hours"] or match["minutes"]):
        return None
    minutes = float(match["minutes"] or 0)
    hours_text = (match["hours"] or "").strip().lower()
    if hours_text:
        if hours_text in _NUMBER_WORDS:
            hours = float(_NUMBER_WORDS[hours_text])
        elif hours_text[-1] in _FRACTIONS:
            hours = float(hours_text[:-1] or 0) + _FRACTIONS[hours_text[-1]]
        elif "/" in hours_text:
            whole, fraction = hours_text.split()
            top, bottom = fraction.split("/")
            hours = int(whole) + int(top) / int(bottom)
        else:
            hours = float(hours_text)
        minutes += hours * 60
    return int(minutes) if minutes.is_integer() and minutes > 0 else None


def _number(text: str) -> int | float | None:
    """A figure as printed: 40 -> 40, "33.3%" -> 33.3; anything else -> None."""
    value = text.strip().rstrip("%").strip()
    if re.fullmatch(r"\d+", value):
        return int(value)
    if re.fullmatch(r"\d+\.\d+", value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return None


def _q(text: object) -> str:
    """Quote handbook words in a message the same way whatever they contain."""
    return f'"{text}"'


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _same_words(a: str | None, b: str | None) -> bool:
    """Titles agree if they differ only in case, spacing or a closing full stop."""
    def norm(s: str | None) -> str:
        return _SPACES.sub(" ", (s or "").strip().rstrip(".")).casefold()
    return norm(a) == norm(b)


# --- what each part of the handbook gives ----------------------------------------------


@dataclass
class _Outcome:
    """One outcome row of a test specification table."""

    number: int
    title: str
    marks: int | None
    percent: int | float | None
    line: int


@dataclass
class _TestSpec:
    number: str
    title: str
    line: int
    minutes: int | None = None
    outcomes: list[_Outcome] = field(default_factory=list)
    total_marks: int | None = None
    total_percent: int | float | None = None
    total_line: int | None = None
    test_number: str | None = None  # the test's own number where it differs from the unit's
    figures: str = "marks"  # or "questions": what the table counts


@dataclass
class _SectionOutcome:
    number: int | None
    title: str
    line: int
    criteria: list[tuple[str, str, int]] = field(default_factory=list)  # (number, text, line)
    criteria_line: int | None = None


@dataclass
class _UnitSection:
    number: str | None  # None: no "Unit N" heading (found by a second "Level:" row)
    title: str | None
    line: int
    title_line: int | None = None
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (value, line)
    outcomes: list[_SectionOutcome] = field(default_factory=list)


@dataclass
class _StructureUnit:
    number: str
    title: str
    level: str | None
    credits: str | None
    line: int


@dataclass
class _Group:
    name: str
    line: int
    units: list[_StructureUnit] = field(default_factory=list)
    min_credits: int | None = None
    max_credits: int | None = None

    @property
    def mandatory(self) -> bool:
        return "mandatory" in self.name.lower()


class _Report:
    """Collects warnings and gaps in the order they are found."""

    def __init__(self) -> None:
        self.warnings: list[Finding] = []
        self.gaps: list[Finding] = []

    def warn(self, message: str, **where: Any) -> None:
        self.warnings.append(Finding(message, **where))

    def gap(self, message: str, **where: Any) -> None:
        self.gaps.append(Finding(message, **where))


# --- qualification ----------------------------------------------------------------------


def _column(header: tuple[str, ...], *words: str, avoid: str | None = None) -> int | None:
    for index, cell in enumerate(header):
        name = cell.lower()
        if any(w in name for w in words) and not (avoid and avoid in name):
            return index
    return None


def _read_qualification(lines: list[Line], report: _Report) -> dict[str, Any]:
    """Title, number, level, GLH, TQT from the "Title and level | GLH | TQT" tables.

    Handbooks print this table more than once (at a glance, and under TQT); the
    first is used and the others are compared with it.
    """
    found: dict[str, Any] = {}
    lines_of: dict[str, int] = {}
    for index, line in enumerate(lines):
        header = line.cells
        # "Title and level", not a units table's "Unit title".
        if not (line.is_row and _column(header, "title", avoid="unit") is not None
                and _column(header, "glh", "guided learning") is not None):
            continue
        row, after = _qualification_row(lines, index + 1)
        if row is None:
            continue
        columns = {
            "title": _column(header, "title", avoid="unit"),
            # "City & / Guilds / number": a header cell wrapped over lines keeps only its first words here.
            "number": _column(header, "number", "city", "c&g", avoid="accreditation"),
            "glh": _column(header, "glh", "guided learning"),
            "tqt": _column(header, "tqt", "total qualification"),
            "accreditation_number": _column(header, "accreditation"),
        }
        for key, col in columns.items():
            if col is None or col >= len(row.cells) or not row.cells[col]:
                continue
            value = row.cells[col]
            if key == "title":
                # "Level 2 Diploma in" / "Electrical Installation" / "(Buildings and" / "Structures)"
                value = " ".join([value, *after]).strip(" ,;")
            elif key == "number":
                value = re.sub(r"\s*-\s*", "-", value)  # "2365 - 02" as PDF text spaces it
            if key not in found:
                found[key], lines_of[key] = value, row.no
            elif value != found[key]:
                report.warn(f"{key.upper() if key in ('glh', 'tqt') else key} is {value} here but "
                            f"{found[key]} at line {lines_of[key]}; the first is kept",
                            section="qualification", line=row.no)
    title_line = next((l for l in lines if l.raw.lstrip().startswith("# ") and l.text), None)
    if "number" not in found and title_line:
        # Fall back on the cover title, "Level 3 in ... (3818-13)".
        match = re.search(r"\((\d{3,4}-\d{2,3})\)", title_line.text)
        if match:
            found["number"], lines_of["number"] = match[1], title_line.no
    data: dict[str, Any] = {}
    data["number"] = found.get("number")
    data["title"] = found.get("title")
    level = re.search(r"\blevel\s+(\d+)\b", found.get("title", ""), re.I)
    data["level"] = int(level[1]) if level else None
    for key in ("glh", "tqt"):
        data[key] = _number(found[key]) if key in found else None
        if key in found and not (isinstance(data[key], int) and data[key] > 0):
            report.gap(f"{key.upper()} {_q(found[key])} is not a positive whole number",
                       section="qualification", line=lines_of[key], field=key)
            data[key] = None
    data["accreditation_number"] = found.get("accreditation_number")
    for key, what in (("number", "City & Guilds number"), ("title", "title"), ("level", "level"),
                      ("glh", "GLH"), ("tqt", "TQT")):
        if data[key] is None and not any(g.field == key and g.section == "qualification" for g in report.gaps):
            report.gap(f"no {what} found (looked for a \"Title and level | ... | GLH | TQT\" table)",
                       section="qualification", field=key)
    return data


def _qualification_row(lines: list[Line], start: int) -> tuple[Line | None, list[str]]:
    """The row of figures under a "Title and level" header, and the lines its title wraps
    onto. Lines without a digit right under the header are its cells wrapped ("Guilds",
    "number"); text lines under the row continue the title."""
    index = start
    while index < len(lines) and index < start + 4 and (lines[index].blank or not re.search(r"\d", lines[index].text)):
        index += 1
    if index >= len(lines) or index >= start + 4 or not lines[index].is_row:
        return None, []
    after = []
    for line in lines[index + 1:index + 6]:
        if line.blank or line.is_row:
            break
        after.append(line.text)
    return lines[index], after


# --- structure (rules of combination) --------------------------------------------------

_UNIT_NUMBER_CELL = re.compile(r"^[A-Z]?\d{2,4}[A-Z]?$")
_UNIT_LIST = re.compile(
    r"(?<![\d/])\d{3}(?:\s*[-\u2013]\s*\d{3})?"
    r"(?:\s*(?:,|\bor\b|\band\b|&)\s*\d{3}(?:\s*[-\u2013]\s*\d{3})?)*(?!\s*credits?)(?!\d)",
    re.I,
)


def _structure_rows(lines: list[Line], start: int, end: int) -> list[Line]:
    return [l for l in lines[start:end] if l.is_row and _UNIT_NUMBER_CELL.match(l.cells[0])]


def _read_structure(lines: list[Line], report: _Report) -> dict[str, Any]:
    """The "Structure" section: the sentence of rules, and the unit tables per group."""
    start = next((i for i, l in enumerate(lines)
                  if l.label and re.fullmatch(r"(?:\d+(?:\.\d+)?\s+)?(?:qualification\s+)?structure", l.text,
                                              re.I)), None)
    if start is None:
        report.gap("no \"Structure\" section found (rules of combination)",
                   section="rules of combination", field="groups")
        return {"credits_required": None, "description": None, "groups": []}
    groups, first_group = _read_groups(lines, start, report)
    description = _rules_sentence(lines, start + 1, first_group if first_group is not None else len(lines))
    data: dict[str, Any] = {"credits_required": None, "description": None, "groups": []}
    if description is None:
        report.gap("no sentence stating the credits required found in the \"Structure\" section",
                   section="rules of combination", line=lines[start].no, field="credits_required")
    else:
        text, line_no = description
        data["description"] = text
        credits = re.search(r"(?:must (?:complete|achieve|gain|obtain)|total of|minimum of)\s+(\d+)\s+credits?",
                            text, re.I) or re.search(r"(\d+)\s+credits?", text, re.I)
        if credits:
            data["credits_required"] = int(credits[1])
        else:
            report.gap("the rules of combination do not say how many credits are required",
                       section="rules of combination", line=line_no, field="credits_required")
        _apply_group_credits(text, line_no, groups, report)
    if not groups:
        report.gap("no unit groups (Mandatory / Optional ...) with unit rows found in \"Structure\"",
                   section="rules of combination", line=lines[start].no, field="groups")
    data["groups"] = groups
    return data


_GROUP_HEADING = re.compile(r"^(?:mandatory|optional|group)\b", re.I)


#: A unit's accreditation number (UAN) printed in a column before its number.
_UAN_CELL = re.compile(r"^[A-Z]/\d{3}/\d{4}$")


def _unit_row_cells(line: Line) -> tuple[str, ...]:
    cells = tuple(c for c in line.cells if c) if line.is_row else ()
    return cells[1:] if len(cells) > 2 and _UAN_CELL.match(cells[0]) else cells


def _is_unit_row(line: Line) -> bool:
    cells = _unit_row_cells(line)
    return len(cells) >= 2 and bool(_UNIT_NUMBER_CELL.match(cells[0]))


def _read_groups(lines: list[Line], start: int, report: _Report) -> tuple[list[_Group], int | None]:
    """The unit tables of "Structure": a group heading ("Mandatory", "Optional Group A")
    followed by one row per unit. Column headers and rule lines between are skipped.

    The section ends at the first line after the groups that is neither a unit row
    nor a group heading, so it ends the same way whether headings keep their "#"
    (Markdown) or not (plain text from a PDF).
    """
    groups: list[_Group] = []
    first: int | None = None
    header: tuple[str, ...] = ()
    wraps = False  # the line above was a unit row or its wrapped title
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line.blank:
            continue
        if line.is_row:
            if not _is_unit_row(line):
                if _column(line.cells, "title") is not None:
                    header = tuple(c for c in line.cells if c)
                wraps = False
                continue  # "Unit number | Unit title | Level | Credit"
            if not groups:
                report.warn('unit rows with no group heading before them are taken as one group "Units"',
                            section="rules of combination", line=line.no)
                groups.append(_Group("Units", line.no))
                first = index
            groups[-1].units.append(_structure_unit(line, header))
            wraps = True
            continue
        if wraps and groups and groups[-1].units and re.match(r"^[a-z(]", line.text):
            unit = groups[-1].units[-1]  # "Health and safety in building" / "services engineering"
            groups[-1].units[-1] = replace(unit, title=f"{unit.title} {line.text}")
            continue
        wraps = False
        heading = line.label or (_GROUP_HEADING.match(line.text) and len(line.text) <= 60
                                 and not line.text.endswith("."))
        if heading and _rows_follow(lines, index + 1):
            groups.append(_Group(line.text.rstrip(":"), line.no))
            first = index if first is None else first
        elif groups or _is_boundary(line) or _STRUCTURE_WORD.match(line.text) or _heading_level(line) and \
                _heading_level(line) <= _heading_level(lines[start]):
            break  # prose or another heading after the groups, or the next section: the structure is over
    return groups, first


def _heading_level(line: Line) -> int:
    """1 for "# ...", 2 for "## ..."; 0 for a line that is not a Markdown heading."""
    match = re.match(r"\s*(#{1,6})\s", line.raw)
    return len(match[1]) if match else 0


def _rows_follow(lines: list[Line], index: int) -> bool:
    for line in lines[index:]:
        if line.blank or (line.is_row and not _is_unit_row(line)):
            continue
        return _is_unit_row(line)
    return False


def _structure_unit(row: Line, header: tuple[str, ...] = ()) -> _StructureUnit:
    cells = _unit_row_cells(row)
    filled = tuple(c for c in row.cells if c)
    credit, level = _column(header, "credit"), _column(header, "level")
    if header and len(filled) == len(header) - 1:
        # A title printed one space from its credit figure ("Principles of electrical science 10").
        for i, cell in enumerate(filled[1:-1], start=1):
            split = re.fullmatch(r"(.*\D)\s(\d{1,3})", cell)
            if split:
                filled = (*filled[:i], split[1], split[2], *filled[i + 1:])
                cells = _split_title(cells, cell, split)
                break
    if header and len(header) == len(filled) and credit is not None and level is not None:
        # The header names the columns ("Unit accreditation number | ... | Credit value | Level | GLH").
        return _StructureUnit(number=cells[0], title=cells[1] if len(cells) > 1 else "",
                              level=filled[level], credits=filled[credit], line=row.no)
    return _StructureUnit(
        number=cells[0],
        title=cells[1] if len(cells) > 1 else "",
        level=cells[2] if len(cells) > 3 else None,
        credits=cells[-1] if len(cells) > 2 else None,
        line=row.no,
    )


def _split_title(cells: tuple[str, ...], cell: str, split: re.Match[str]) -> tuple[str, ...]:
    i = cells.index(cell)
    return (*cells[:i], split[1], split[2], *cells[i + 1:])


def _rules_sentence(lines: list[Line], start: int, end: int) -> tuple[str, int] | None:
    """The first paragraph mentioning credits, e.g. "To achieve ... learners must complete 10 credits"."""
    paragraph = _Joined()
    for line in lines[start:end]:
        if line.blank or line.is_row or line.label and not line.raw.lstrip().startswith(("**", "<b>")):
            if "credit" in paragraph.text.lower():
                break
            paragraph = _Joined()
            continue
        paragraph.add(line.text, line.no)
    if "credit" in paragraph.text.lower() and paragraph.first_line is not None:
        return paragraph.text, paragraph.first_line
    return None


def _expand_units(expression: str) -> set[int]:
    units: set[int] = set()
    for part in re.split(r",|\bor\b|\band\b|&", expression):
        bounds = [int(n) for n in re.findall(r"\d{3}", part)]
        if len(bounds) == 2:
            units.update(range(bounds[0], bounds[1] + 1))
        elif bounds:
            units.add(bounds[0])
    return units


def _apply_group_credits(text: str, line_no: int, groups: list[_Group], report: _Report) -> None:
    """Read "3 credits to be taken from (304-306), a maximum of 2 credits from (307 or 312)".

    Each unit list in the sentence is matched to the group with exactly those units;
    the words before it give the credits: "a maximum of N" -> max_credits, "a
    minimum of N" / "at least N" / plain "N credits" -> min_credits, "the remaining
    credits" -> no figure.
    """
    previous_end = 0
    for match in _UNIT_LIST.finditer(text):
        phrase = text[previous_end:match.start()]
        previous_end = match.end()
        phrase = re.split(r"\.\s", phrase)[-1]  # only the words of this clause
        wanted = _expand_units(match[0])
        group = next((g for g in groups
                      if {int(u.number) for u in g.units if u.number.isdigit()} == wanted), None)
        if group is None:
            if groups:
                report.warn(f"the rules name units ({match[0]}) that match no group of the structure table",
                            section="rules of combination", line=line_no)
            continue
        maximum = re.search(r"(?:maximum of|up to|no more than)\s+(\d+)", phrase, re.I)
        minimum = re.search(r"(?:minimum of|at least)\s+(\d+)", phrase, re.I)
        exact = re.search(r"(\d+)\s+credits?", phrase, re.I)
        if maximum:
            group.max_credits = int(maximum[1])
        elif minimum:
            group.min_credits = int(minimum[1])
        elif exact:
            group.min_credits = int(exact[1])


# --- unit blocks -----------------------------------------------------------------------


@dataclass
class _Block:
    number: str | None
    rest: str
    start: int  # index of the "Unit N" line (or of the first line, for a headingless block)
    end: int  # index one past the last line
    test: str | None = None  # "Test: Unit 601 ...": the test's own number


#: Test headings that are not "Unit N": "Test: Unit 601 Title", "Test : Unit 309",
#: "Unit: NETK3-01: Title", "5357-001: Title".
_TEST_HEADING = re.compile(
    r"^(?:test\s*:\s*unit\s*:?\s*(?P<test>[A-Z]{0,6}\d{1,4}[A-Z]?(?:-\d{1,3})?)\b\s*[:.\u2013\u2014-]?"
    r"|unit\s*:\s*(?P<code>[A-Z]{0,6}\d{1,4}[A-Z]?(?:-\d{1,3})?)\s*[:.\u2013\u2014-]"
    r"|(?P<numbered>\d{3,4}-\d{2,3})\s*:)\s*(?P<rest>.*)$", re.I)


def _test_heading(line: Line) -> tuple[str, str | None, str] | None:
    """(number, test number, rest) of a test heading in one of the forms above."""
    if line.is_row and not line.text.lower().startswith(("test", "unit")) or line.blank:
        return None
    match = _TEST_HEADING.match(line.text)
    if not match:
        return None
    if match["test"]:
        return match["test"], match["test"], match["rest"].strip()
    return (match["code"] or match["numbered"]), None, match["rest"].strip()


def _unit_blocks(lines: list[Line]) -> list[_Block]:
    """Every stretch from a "Unit N" heading to the next one (or a chapter heading)."""
    blocks: list[_Block] = []
    current: _Block | None = None
    for index, line in enumerate(lines):
        test = _test_heading(line)
        match = None if test else _unit_label(line)
        if match and current and current.test is None and current.number == match["number"] \
                and _unit_section_goes_on(lines, current, index):
            continue  # the unit's running head on each of its pages: its section goes on
        if test or match or _is_boundary(line):
            if current:
                current.end = index
                blocks.append(current)
                current = None
            if test:
                current = _Block(test[0], test[2], index, len(lines), test=test[1])
            elif match:
                current = _Block(match["number"], match["rest"].strip(), index, len(lines))
    if current:
        blocks.append(current)
    return blocks


def _unit_section_goes_on(lines: list[Line], block: _Block, index: int) -> bool:
    """A second "Unit 601 ..." heading inside unit 601's section, its pages' running head,
    when the section so far has its fields (Level:, Credit value:)."""
    return any(_unit_field(l) for l in lines[block.start:index])


_FIGURE_WORD = re.compile(r"\b(?:marks?|questions?)\b", re.I)
_TABLE_HEAD = re.compile(r"^(?:unit(?:\s+number)?\s+)?(?:learning\s+)?outcomes?\b", re.I)


def _has_marks_table(lines: list[Line], block: _Block) -> int | None:
    """The header line of the outcome table: "Outcome" (after an optional "Unit"
    column) with "marks" or "questions" on it or on one of the next two lines, as
    headers split over lines ("No. of" / "questions") print."""
    for i in range(block.start, block.end):
        line = lines[i]
        if line.blank or not _TABLE_HEAD.match(_row_text(line)):
            continue
        if line.label and _LEARNING_OUTCOME.match(line.text) and not line.is_row:
            continue  # a unit section's "Learning outcome" heading
        if _OUTCOME_HEADING.match(line.text):
            continue  # "Outcome 5   Measure and mark out ...": a unit section's outcome, not a header
        head = line.text
        for below in lines[i + 1:min(i + 3, block.end)]:
            if below.blank or len(below.text) > 25:
                break
            head += " " + below.text  # "No. of" / "questions": a header cell wrapped
        if _FIGURE_WORD.search(head):
            return i
    return None


def _unit_field(line: Line) -> tuple[str, str] | None:
    """("level", "3") from "<b>Level:</b>\t3" or "Level: 3"."""
    if line.is_row:
        key = line.cells[0].rstrip(":").strip().lower()
        if key in _UNIT_FIELD_KEYS and len(line.cells) >= 2:
            return _UNIT_FIELD_KEYS[key], re.sub(r"^level\s+(?=\d+$)", "", line.cells[1], flags=re.I)
        return None
    match = _UNIT_FIELD.match(line.text)
    if match and ":" in line.text:
        value = re.sub(r"^level\s+", "", match["value"].strip(), flags=re.I)  # "Level: Level 2"
        if re.fullmatch(r"\d+", value):
            return _UNIT_FIELD_KEYS[match["key"].lower()], value
    return None


# --- test specifications ---------------------------------------------------------------


_DURATION_LABEL = re.compile(
    r"^(?:(?:recommended\s+)?time\s+allowance|time\s+allowed|duration|test\s+duration)\s*:?\s*", re.I)
#: "Grade boundaries: ...", "Conditions: ...": the key-value lines of a test that end its title.
_KEY_LINE = re.compile(r"^[A-Z][A-Za-z ]{2,30}:\s")


def _read_test_spec(lines: list[Line], block: _Block, table_at: int | None, report: _Report) -> _TestSpec:
    """The heading ("Unit 304: Title", "Test: Unit 601 Title"), the duration before or
    after the table, and the outcome table. Nothing is read past the block, so a
    duration can never come from the next test."""
    end = table_at if table_at is not None else block.end
    title = _Joined()
    title.add(block.rest, lines[block.start].no)
    duration: tuple[str, int] | None = None
    in_title = True
    for line in lines[block.start + 1:end]:
        if line.blank or line.is_row and not _DURATION_LABEL.match(line.text):
            in_title = in_title and not title.text  # a blank line ends a title already begun
            continue
        label = _DURATION_LABEL.match(line.text)
        if label:
            in_title = False
            if duration is None:
                duration = (line.text[label.end():].strip(), line.no)
            continue
        if _KEY_LINE.match(line.text):
            in_title = False
        if in_title:
            title.add(line.text, line.no)
    spec = _TestSpec(block.number or "?", title.text.strip(), lines[block.start].no, test_number=block.test)
    where = {"unit": spec.number}
    if table_at is None:
        report.gap("no outcome table (Outcome | No. of marks or questions | %) found in its test specification",
                   line=spec.line, field="outcomes", **where)
    else:
        after = _read_marks_table(lines, table_at, block.end, spec, report)
        if duration is None:
            for line in lines[after:block.end]:
                label = _DURATION_LABEL.match(line.text)
                if label:
                    duration = (line.text[label.end():].strip(), line.no)
                    break
    if duration is None:
        report.gap("no duration or time allowance found in its test specification",
                   line=spec.line, field="time_allowance_minutes", **where)
    else:
        value, value_line = duration
        value = re.split(r"\s{2,}|\t|\s[-–(]\s?", value)[0].strip() if value else value
        spec.minutes = parse_duration(value)
        if spec.minutes is None:
            report.gap(f"time allowance {_q(value)} is not a duration I can read "
                       '(e.g. "1 hour 30 minutes", "45 minutes", "1½ hours", "90 mins", "2.5 hours")',
                       line=value_line, field="time_allowance_minutes", **where)
    return spec


def _row_text(line: Line) -> str:
    """A row's text with its cells two spaces apart, whatever the source's separators."""
    return "  ".join(c for c in line.cells if c) if line.is_row else line.text


_UNIT_CODE = re.compile(r"[A-Z]{0,6}\d{2,4}[A-Z]?(?:-\d{1,3})?")
_FIGURE = re.compile(r"^(?:\d+(?:\.\d+)?\s*%?|n/?a|-|–)$", re.I)
_ROW_NUMBER = re.compile(r"^(?:LO\s*|outcome\s+)?(\d{1,2}(?:\.\d{1,2}){0,2})\s*[.):]?(?:\s+|$)(.*)$", re.I)
_NOT_TESTED = re.compile(r"\b(?:assessed by|assignment|n/a|not (?:tested|assessed))\b", re.I)


def _split_figures(text: str, wanted: int) -> tuple[str, list[str]]:
    """A row's words and its figures: up to ``wanted`` figure cells at its right end,
    each a cell of its own (two spaces, a tab or a pipe away from the words)."""
    cells = [c for c in re.split(r"\s{2,}", text.strip()) if c]
    figures: list[str] = []
    while cells and len(figures) < wanted and _FIGURE.match(cells[-1]):
        figures.insert(0, cells.pop())
    if len(figures) < wanted and cells:
        # Two figures a single space apart ("7 17.5") in a narrow column.
        last = cells[-1].split(" ")
        while len(last) > 1 and len(figures) < wanted and _FIGURE.match(last[-1]) and \
                len(last) - 1 >= 1 and not _FIGURE.match(" ".join(last[:-1])) and figures:
            figures.insert(0, last.pop())
        cells[-1] = " ".join(last)
    return "  ".join(cells), figures


def _read_marks_table(lines: list[Line], header_at: int, end: int, spec: _TestSpec, report: _Report) -> int:
    """Read the outcome rows up to the Total row; returns the index after the table.

    A row is the outcome's number (after an optional unit column), its title and its
    figures at the right; a line with no number and no figures continues the title
    above it (titles wrap, most of all in PDF text). Rows that do not reach a Total
    row, or figures that do not add up to it, are gaps: nothing may be lost quietly.
    """
    where = {"unit": spec.number}
    index = header_at
    header: list[str] = []
    while index < end and not lines[index].blank and (index == header_at or not _data_row(lines[index])):
        header.append(_row_text(lines[index]).lower())
        index += 1
        if len(header) == 3:
            break
    head = " ".join(header)
    spec.figures = "questions" if re.search(r"\bquestions?\b", head) else "marks"
    has_percent = bool(re.search(r"%|percent|weight", head))
    wanted = 2 if has_percent else 1
    codes = {spec.number, spec.test_number} - {None}
    current: _Outcome | None = None
    after_blank = False
    for index in range(index, end):
        line = lines[index]
        if line.blank:
            after_blank = True
            continue
        text = _row_text(line)
        first = text.split("  ", 1)
        if len(first) == 2 and (first[0] in codes or _UNIT_CODE.fullmatch(first[0])) and \
                _ROW_NUMBER.match(first[1].strip()):
            text = first[1].strip()  # the unit number column of the first row
        if "\t" in line.raw or line.raw.lstrip().startswith("|"):
            # Cells the source marks itself (tabs, pipes): the figures are the last
            # columns, read or not ("ten" is a figure that is not a number).
            cells = [c for c in line.cells]
            while cells and not cells[0]:
                cells.pop(0)
            if cells and (cells[0] in codes or _UNIT_CODE.fullmatch(cells[0])) and len(cells) > wanted + 1:
                cells.pop(0)
            figures = [c for c in cells[-wanted:] if c] if len(cells) > wanted else []
            words = "  ".join(cells[:-wanted] if len(cells) > wanted else cells)
        else:
            words, figures = _split_figures(text, wanted)
        if re.match(r"^total\b", words, re.I):
            if figures:
                spec.total_marks = _number(figures[0]) if isinstance(_number(figures[0]), int) else None
                spec.total_percent = _number(figures[1]) if len(figures) > 1 else None
            spec.total_line = line.no
            _reconcile(spec, report)
            return index + 1
        match = _ROW_NUMBER.match(words)
        # A numbered line starts an outcome if it has figures, or if the outcome above is
        # complete and this number comes after it (figures printed lower down the row).
        starts = match is not None and (
            figures or _NOT_TESTED.search(match[2]) or current is None
            or (current.marks is not None and int(match[1].split(".")[0]) > current.number))
        if starts:
            number_text, title = match[1], match[2].strip()
            if "." in number_text.strip(".") and spec.outcomes and \
                    int(number_text.split(".")[0]) == spec.outcomes[-1].number:
                current = None  # a sub-row (07.01.01) breaking down the outcome above: not an outcome
                after_blank = False
                continue
            number = int(number_text.split(".")[0])
            if not figures and _NOT_TESTED.search(title):
                report.warn(f"outcome {number} is not in the test ({_q(title[:60])}); left out",
                            line=line.no, outcome=number, **where)
                current = None
                after_blank = False
                continue
            current = _Outcome(number, title, None, None, line.no)
            _set_figures(current, figures, has_percent, spec, report, line)
            spec.outcomes.append(current)
        elif current is not None and not after_blank and (not figures or current.marks is None) \
                and not _DURATION_LABEL.match(words):
            current.title = f"{current.title} {words}".strip()  # a wrapped title
            if figures:  # the row's figures printed beside a later line of its title
                _set_figures(current, figures, has_percent, spec, report, line)
        else:
            break
        after_blank = False
    last = spec.outcomes[-1].line if spec.outcomes else lines[header_at].no
    if not spec.outcomes:
        report.gap("the outcome table has no outcome rows", line=lines[header_at].no, field="outcomes", **where)
    else:
        report.gap(f"the outcome table stops at line {last} without reaching a Total row, so rows may be "
                   "missing; check the table in the handbook (each outcome row needs its figures, and the "
                   "table must end with its Total row)", line=last, field="outcomes", **where)
    return index


def _data_row(line: Line) -> bool:
    text = _row_text(line)
    words, figures = _split_figures(text, 2)
    return bool(figures) or bool(re.match(r"^(?:\S+\s{2,})?\d{1,2}[.)]?\s+\S", text))


def _set_figures(outcome: _Outcome, figures: list[str], has_percent: bool, spec: _TestSpec,
                 report: _Report, line: Line) -> None:
    where = {"unit": spec.number, "outcome": outcome.number}
    if not figures:
        return
    marks = _number(figures[0])
    if not isinstance(marks, int):
        report.gap(f"{spec.figures} {_q(figures[0])} are not a whole number", line=line.no, field="marks",
                   **where)
    else:
        outcome.marks = marks
    if has_percent:
        percent = _number(figures[1]) if len(figures) > 1 else None
        if percent is None:
            report.gap(f"% weighting {_q(figures[1] if len(figures) > 1 else '')} is not a number",
                       line=line.no, field="weighting_percent", **where)
        outcome.percent = percent


def _reconcile(spec: _TestSpec, report: _Report) -> None:
    """Every row has its figure, and the figures add up to the Total row's."""
    where = {"unit": spec.number}
    missing = [o for o in spec.outcomes if o.marks is None]
    for o in missing:
        if not any(g.unit == spec.number and g.outcome == o.number for g in report.gaps):
            report.gap(f"outcome {o.number} has no {spec.figures} figure in the table", line=o.line,
                       outcome=o.number, field="marks", **where)
    if missing or spec.total_marks is None:
        if spec.total_marks is None:
            report.gap("the Total row gives no total to check the rows against", line=spec.total_line,
                       field="outcomes", **where)
        return
    found = sum(o.marks for o in spec.outcomes if o.marks is not None)
    if found != spec.total_marks:
        report.gap(f"the outcome rows add up to {found} {spec.figures} but the Total row states "
                   f"{spec.total_marks}: a row was not read whole or is missing; check the table "
                   "(a title or figure split over lines)", line=spec.total_line, field="outcomes", **where)


# --- unit sections ---------------------------------------------------------------------


def _read_unit_sections(lines: list[Line], block: _Block, report: _Report) -> list[_UnitSection]:
    """One unit section, or more if a second "Level:" row shows a unit without a heading.

    Reads the unit's fields (Level, GLH, Credits) and, per learning outcome, the
    criteria between "Assessment criteria" and the next "Range", "Learning outcome"
    or heading. Range text is not needed and is skipped.
    """
    heading = lines[block.start].no
    sections = [_UnitSection(block.number, block.rest or None, heading, heading if block.rest else None)]
    section = sections[0]
    mode = "title" if not block.rest else "fields"
    outcome: _SectionOutcome | None = None
    collected = _Joined()

    def finish() -> None:
        # Turn the text collected for the current part into an outcome or criteria.
        nonlocal collected
        if outcome is not None and mode == "outcome":
            _set_outcome_title(outcome, collected)
        elif outcome is not None and mode == "criteria":
            _split_criteria(outcome, collected, section.number, report)
        collected = _Joined()

    for line in lines[block.start + 1:block.end]:
        if line.blank:
            continue
        again = _unit_label(line)
        if again and again["number"] == block.number:
            finish()  # the unit's heading again (running head, "Supporting information")
            mode = "heading"
            continue
        if mode in ("fields", "heading") and not section.fields and not section.outcomes and section.title \
                and not line.is_row and re.match(r"^[a-z(]", line.text) and len(line.text) <= 80:
            # The heading's title wrapped: "Unit 601   Understanding ... legislation," /
            # "practices and procedures (installing and" / "equipment) (ELTK 01)".
            section.title = f"{section.title} {line.text}"
            continue
        if mode == "heading" and not line.is_row and re.match(r"^[a-z(]", line.text):
            continue  # the wrapped title of a running head
        outcome_heading = _OUTCOME_HEADING.match(line.text)
        if outcome_heading and (line.label or line.is_row or mode in ("heading", "other")):
            # "Outcome 1      Understand how relevant ..." heading a page of criteria.
            finish()
            outcome = _SectionOutcome(None, "", line.no)
            section.outcomes.append(outcome)
            mode = "outcome"
            collected.add(f"{outcome_heading[1]} {outcome_heading[2]}", line.no)
            continue
        if re.fullmatch(r"guided learning hours", line.text, re.I):
            finish()
            mode = "glh"
            continue
        if mode == "glh":
            # "It is recommended that 54 hours should be allocated for this unit ..."
            hours = re.search(r"\b(\d+)\s+hours\b", line.text, re.I)
            if hours and "glh" not in section.fields:
                section.fields["glh"] = (hours[1], line.no)
            mode = "other"
            continue
        unit_field = _unit_field(line)
        if unit_field:
            finish()
            key, value = unit_field
            if key in section.fields:
                # A second Level/GLH/Credits row: the next unit's section began
                # without its "Unit N" heading (the handbook's unit 309).
                section = _UnitSection(None, None, line.no)
                sections.append(section)
                outcome = None
            section.fields[key] = (value, line.no)
            mode = "fields"
            continue
        if mode == "title":
            # The title is the heading's own words or the next line ("## Unit 304" /
            # "## Working in operational delivery"); plain-text exports lose the "#".
            mode = "fields"
            if not (line.is_row or _STRUCTURE_WORD.match(line.text) or _LEARNING_OUTCOME.match(line.text)):
                section.title, section.title_line = line.text, line.no
                continue
        if line.label and _LEARNING_OUTCOME.match(line.text):
            finish()
            outcome = _SectionOutcome(None, "", line.no)
            section.outcomes.append(outcome)
            mode = "outcome"
            collected.add(_LEARNING_OUTCOME.sub("", line.text, count=1), line.no)
        elif line.label and _ASSESSMENT_CRITERIA.match(line.text):
            finish()
            if outcome is None:
                report.warn("assessment criteria with no learning outcome before them are left out",
                            unit=section.number, line=line.no)
            elif outcome.criteria_line is None:
                outcome.criteria_line = line.no
            mode = "criteria"
            collected.add(_ASSESSMENT_CRITERIA.sub("", line.text, count=1), line.no)
        elif line.label and (_RANGE.match(line.text) or not re.match(r"^(?:\d|the learner)", line.text, re.I)):
            finish()
            mode = "other"  # Range, or any other heading: not needed
        elif mode == "criteria":
            body = _BULLET.sub("", line.text, count=1)
            if collected.text.endswith(".") and not _CRITERIA_LINE.match(body):
                # The list closed with its full stop and this line starts no criterion:
                # range or guidance text whose heading was lost (plain-text exports).
                finish()
                mode = "other"
            else:
                collected.add(body, line.no)
        elif mode == "outcome":
            collected.add(line.text, line.no)
    finish()
    return sections


def _set_outcome_title(outcome: _SectionOutcome, collected: _Joined) -> None:
    text = _LEARNER_WILL.sub("", collected.text.strip(), count=1)
    match = _OUTCOME_NUMBER.match(text)
    if match:
        outcome.number, outcome.title = int(match[1]), match[2].strip()
        outcome.line = collected.first_line or outcome.line
    else:
        outcome.title = text


def _split_criteria(outcome: _SectionOutcome, collected: _Joined, unit: str | None,
                    report: _Report) -> None:
    """Split "1.1 describe ... 1.2 explain ... ." into numbered criteria.

    A criterion number starts a new criterion only if it continues the sequence
    (same outcome, higher number), so figures such as "Equality Act 2010" or a
    stray "3.5" in an earlier outcome's wording cannot cut a criterion in two.
    """
    text = collected.text
    body = _LEARNER_CAN.sub("", text, count=1)
    offset = len(text) - len(body)
    starts: list[tuple[int, int, re.Match[str]]] = []
    for match in _CRITERION_NUMBER.finditer(body):
        major, minor = int(match[1]), int(match[2])
        if not starts:
            if body[:match.start()].strip():
                report.warn(f"text before the first criterion number is left out: "
                            f"{_q(body[:match.start()].strip())}", unit=unit, outcome=outcome.number,
                            line=collected.line_at(offset))
            starts.append((major, minor, match))
        elif major == starts[-1][0] and minor > starts[-1][1]:
            if minor != starts[-1][1] + 1:
                report.warn(f"criteria jump from {major}.{starts[-1][1]} to {major}.{minor}",
                            unit=unit, outcome=outcome.number, line=collected.line_at(offset + match.start()))
            starts.append((major, minor, match))
    if not starts and outcome.number is not None:
        # "1.", "2." within the outcome: numbered here as outcome.n (1.1, 1.2), in sequence only.
        for match in _CRITERION_ALONE.finditer(body):
            minor = int(match[1])
            if (not starts and minor == 1 and not body[:match.start()].strip()) or \
                    (starts and minor == starts[-1][1] + 1):
                starts.append((outcome.number, minor, match))
    if not starts and body.strip():
        report.warn(f"assessment criteria without numbers are left out: {_q(body.strip()[:60])}",
                    unit=unit, outcome=outcome.number, line=collected.line_at(offset))
    for k, (major, minor, match) in enumerate(starts):
        end = starts[k + 1][2].start() if k + 1 < len(starts) else len(body)
        words = _SPACES.sub(" ", body[match.end():end]).strip()
        words = re.sub(r"\s*\.$", "", words)  # the list's closing full stop (see CRITERION_TEXT_RULE)
        outcome.criteria.append((f"{major}.{minor}", words, collected.line_at(offset + match.start()) or 0))


# --- putting it together ---------------------------------------------------------------


def parse_handbook(text: str, pages: PagedText | None = None) -> HandbookImport:
    """Read the handbook's text; see the module docstring for what is read and reported.

    ``pages``: the text's pages (``handbook_pages``), so findings name the page."""
    result = _parse(text)
    if pages is not None:
        result.warnings = [replace(f, page=pages.page(f.line)) for f in result.warnings]
        result.gaps = [replace(f, page=pages.page(f.line)) for f in result.gaps]
    return result


def _parse(text: str) -> HandbookImport:
    lines = split_lines(text)
    report = _Report()
    qualification = _read_qualification(lines, report)
    structure = _read_structure(lines, report)
    test_specs: list[_TestSpec] = []
    sections: list[_UnitSection] = []
    for block in _unit_blocks(lines):
        table_at = _has_marks_table(lines, block)
        block_lines = lines[block.start:block.end]
        is_section = any(_unit_field(l) or (l.label and _LEARNING_OUTCOME.match(l.text)) for l in block_lines)
        if table_at is not None or (not is_section and any(_TIME_ALLOWANCE.search(l.text) for l in block_lines)):
            test_specs.append(_read_test_spec(lines, block, table_at, report))
        if is_section:
            sections.extend(_read_unit_sections(lines, block, report))
    _tests_to_units(lines, test_specs, sections, report)
    _number_headingless_sections(sections, [t.number for t in test_specs], report)
    units = _assemble_units(test_specs, sections, structure["groups"], report, lines)
    data = {
        "qualification": qualification,
        "rules_of_combination": {
            "credits_required": structure["credits_required"],
            "description": structure["description"],
            "groups": [
                {"name": g.name, "mandatory": g.mandatory, "units": [u.number for u in g.units],
                 "min_credits": g.min_credits, "max_credits": g.max_credits}
                for g in structure["groups"]
            ],
        },
        "units": units,
    }
    # Report in reading order: qualification and structure first, then unit by unit.
    position = {u["number"]: i for i, u in enumerate(units)}
    def order(f: Finding) -> tuple[int, int]:
        return (position.get(f.unit, len(units)) if f.unit is not None else -1, f.line or 0)
    result = HandbookImport(data=data, warnings=sorted(report.warnings, key=order),
                            gaps=sorted(report.gaps, key=order))
    if not result.gaps:
        try:
            result.specification = TestSpecification.model_validate(data)
        except ValidationError as error:  # e.g. a printed level of 0: a gap, not a crash
            for detail in error.errors():
                result.gaps.append(_validation_gap(data, detail))
    return result


def _validation_gap(data: dict[str, Any], detail: Any) -> Finding:
    loc = list(detail["loc"])
    unit = outcome = None
    if loc[:1] == ["units"] and len(loc) > 1:
        unit = data["units"][loc[1]]["number"]
        if len(loc) > 3 and loc[2] == "outcomes":
            outcome = data["units"][loc[1]]["outcomes"][loc[3]]["number"]
    section = None if unit else str(loc[0]).replace("_", " ")
    return Finding(f"{'.'.join(str(p) for p in loc[-1:])}: {detail['msg']} (read {_q(detail.get('input'))})",
                   unit=unit, outcome=outcome, section=section, field=str(loc[-1]))


def _tests_to_units(lines: list[Line], test_specs: list[_TestSpec], sections: list[_UnitSection],
                    report: _Report) -> None:
    """A test with its own number ("Test: Unit 601") assesses the unit whose section
    names it ("assessed by ... (601) online test"): the spec becomes that unit's, the
    test number kept beside it. With no such unit, or more than one, it stays as read."""
    have = {s.number for s in sections if s.number}
    starts: dict[str, int] = {}
    for section in sections:
        if section.number:
            starts.setdefault(section.number, section.line)
    for spec in test_specs:
        if spec.test_number is None or spec.number in have:
            continue
        # "(601) online test", "test 601", and with the qualification's number before it:
        # "test (2357-301)", "2357-305 (online multiple-choice test)".
        number = rf"(?:\d{{4}}\s*-\s*)?{re.escape(spec.test_number)}"
        cited = re.compile(rf"\(\s*{number}\s*\)|\btest\s+{number}\b|\b\d{{4}}\s*-\s*{re.escape(spec.test_number)}"
                           rf"\s*\([^)]*\btest\b", re.I)
        owners: dict[str, int] = {}
        for index, line in enumerate(lines):
            if not (cited.search(line.text) and re.search(r"\btest\b", line.text, re.I)):
                continue
            # The unit is the one whose heading comes last before the sentence.
            heading = next((l for l in reversed(lines[:index]) if _unit_label(l)), None)
            number = _unit_label(heading)["number"] if heading is not None else None
            # A unit's own pages (from its section on), not a contents or assessment table row.
            if number in starts and starts[number] <= heading.no:
                owners.setdefault(number, line.no)
        taken = {t.number for t in test_specs}
        if len(owners) == 1:
            unit, line_no = next(iter(owners.items()))
            if unit in taken:
                continue
            spec.number = unit
            report.warn(f"test {spec.test_number} is taken as the test of unit {unit}: unit {unit}'s section "
                        f"names test {spec.test_number} (line {line_no})", unit=unit, line=spec.line)


def _number_headingless_sections(sections: list[_UnitSection], order: list[str], report: _Report) -> None:
    """Give a unit section found without its heading the one number that fits.

    The handbook's unit 309 section follows unit 308's with no "Unit 309" heading.
    Its number is the only unit of the test specifications that lies between the
    numbered sections before and after it and has no section of its own; if there
    is not exactly one such unit, it is a gap.
    """
    have = {s.number for s in sections if s.number}
    for index, section in enumerate(sections):
        if section.number is not None:
            continue
        before = next((s.number for s in reversed(sections[:index]) if s.number), None)
        after = next((s.number for s in sections[index + 1:] if s.number), None)
        low = order.index(before) + 1 if before in order else 0
        high = order.index(after) if after in order else len(order)
        candidates = [n for n in order[low:high] if n not in have]
        if len(candidates) == 1:
            section.number = candidates[0]
            have.add(section.number)
            between = " and ".join(f"unit {n}" for n in (before, after) if n)
            report.warn(f"no \"Unit {section.number}\" heading: the unit section starting at line "
                        f"{section.line} is taken as unit {section.number}, the only unit without a section "
                        f"between {between}", unit=section.number, line=section.line)
        else:
            report.gap(f"a unit section starts without a \"Unit\" heading and its unit number cannot be "
                       f"worked out (could be {', '.join(candidates) or 'none'})", line=section.line,
                       section="unit sections")


_NOT_A_TEST = re.compile(r"\b(assignments?|portfolio|observation|practical activit(?:y|ies)|professional discussion"
                         r"|assessed at an? (?:approved )?[\w ]{0,20}?centre)\b", re.I)


def _assessed_otherwise(lines: list[Line], number: str) -> tuple[str, int] | None:
    """Where the handbook says a unit is assessed by something other than a test: a row of its
    assessment table that starts with the unit's number and names an assignment (or portfolio,
    observation...) and no test, e.g. "204  Installation of wiring  Practical Assignment".
    Returns (what, line number), or None."""
    starts = re.compile(rf"^\s*(?:unit\s+)?{re.escape(number)}\b", re.I)
    next_row = re.compile(r"^\s*(?:unit\s+)?[A-Z]?\d{3}\b", re.I)
    for index, line in enumerate(lines):
        if not starts.match(line.raw):
            continue
        # The row goes on over the lines below it (a wrapped cell) until the next unit's row.
        row = [line]
        for more in lines[index + 1:index + 16]:
            if next_row.match(more.raw) or not more.raw.strip():
                break
            row.append(more)
        text = " ".join(l.text for l in row)
        found = _NOT_A_TEST.search(text)
        if found and not re.search(r"\b(test|exam|examination)\b", text, re.I):
            what = found.group(0).lower()
            # "must be assessed at an approved NET centre" (an AM2-style practical elsewhere): said as such.
            return ("an assessment at an approved centre" if what.startswith("assessed at") else what), line.no
    return None


def _assemble_units(test_specs: list[_TestSpec], sections: list[_UnitSection], groups: list[_Group],
                    report: _Report, lines: list[Line] | None = None) -> list[dict[str, Any]]:
    structure_units = {u.number: u for g in groups for u in g.units}
    section_of: dict[str, _UnitSection] = {}
    for section in sections:
        if section.number is None:
            continue
        if section.number in section_of:
            report.warn(f"a second section for unit {section.number} is ignored", unit=section.number,
                        line=section.line)
        else:
            section_of[section.number] = section
    spec_of: dict[str, _TestSpec] = {}
    for spec in test_specs:
        if spec.number in spec_of:
            report.warn("a second test specification for this unit is ignored", unit=spec.number, line=spec.line)
        else:
            spec_of[spec.number] = spec
    numbers = list(spec_of) + [n for n in structure_units if n not in spec_of] + \
        [n for n in section_of if n not in spec_of and n not in structure_units]
    units = []
    for n in numbers:
        otherwise = _assessed_otherwise(lines or [], n) if n not in spec_of else None
        if otherwise is not None:
            # A unit assessed by assignment has no test to write: leaving it out is not a gap,
            # but it is said, so a reader checking against the handbook sees why it is missing.
            report.warn(f"no test specification: the handbook assesses this unit by {otherwise[0]} "
                        f"(line {otherwise[1]}), so it is left out of the specification", unit=n,
                        line=otherwise[1])
            continue
        units.append(_assemble_unit(n, spec_of.get(n), section_of.get(n), structure_units.get(n), report))
    return units


def _assemble_unit(number: str, spec: _TestSpec | None, section: _UnitSection | None,
                   listed: _StructureUnit | None, report: _Report) -> dict[str, Any]:
    where = {"unit": number}
    if spec is None:
        report.gap("has no test specification (title, time allowance, outcome marks)",
                   line=(section.line if section else listed.line if listed else None),
                   field="time_allowance_minutes", **where)
    if section is None:
        report.gap("has no unit section (level, GLH, credits, assessment criteria)",
                   line=spec.line if spec else None, field="glh", **where)
    # "Test: Unit 301" may print no title: the unit section's (or the structure table's) is the unit's.
    title = (spec.title if spec else None) or (section.title if section and section.title else None) \
        or (listed.title if listed else None)
    unit: dict[str, Any] = {"number": number, "title": title or None, "title_in_unit_section": None}
    if not title:
        report.gap("no unit title: neither the test specification nor a unit section or structure table "
                   "gives one", line=spec.line if spec else None, field="title", **where)
    if spec and spec.title and section and section.title and not _same_words(section.title, spec.title):
        unit["title_in_unit_section"] = section.title
        report.warn(f"title differs between test specification and unit section: test specification "
                    f"(line {spec.line}) {_q(spec.title)}, unit section {_q(section.title)}",
                    line=section.title_line or section.line, **where)
    if listed and title and listed.title and not _same_words(listed.title, title):
        report.warn(f"title differs between test specification and structure table: structure table "
                    f"{_q(listed.title)}", line=listed.line, **where)
    for key in ("level", "credits", "glh"):
        unit[key] = _unit_figure(key, section, listed, report, where)
    unit["time_allowance_minutes"] = spec.minutes if spec else None
    unit["figures"] = spec.figures if spec else "marks"
    unit["test_number"] = spec.test_number if spec and spec.test_number != number else None
    unit["outcomes"] = _assemble_outcomes(spec, section, report, where) if spec else []
    return unit


def _unit_figure(key: str, section: _UnitSection | None, listed: _StructureUnit | None,
                 report: _Report, where: dict[str, Any]) -> int | None:
    """Level, credits or GLH from the unit section; the structure table is a cross-check
    (and the fallback for level and credits, with a warning)."""
    name = {"glh": "GLH", "level": "level", "credits": "credits"}[key]
    listed_value = getattr(listed, key, None) if listed and key != "glh" else None
    stated = section.fields.get(key) if section else None
    if stated is not None:
        value = _number(stated[0])
        if not isinstance(value, int) or value <= 0:
            report.gap(f"{name} {_q(stated[0])} is not a positive whole number", line=stated[1], field=key,
                       **where)
            return None
        if listed_value is not None and _number(listed_value) != value:
            report.warn(f"{name} is {value} in the unit section but {listed_value} in the structure table "
                        f"(line {listed.line}); the unit section's is kept", line=stated[1], **where)
        return value
    if listed_value is not None and isinstance(_number(listed_value), int):
        if section is not None:
            report.warn(f"the unit section states no {name}; taken from the structure table",
                        line=listed.line, **where)
        return _number(listed_value)
    if section is not None:
        report.gap(f"no {name} found in the unit section", line=section.line, field=key, **where)
    return None


def _assemble_outcomes(spec: _TestSpec, section: _UnitSection | None, report: _Report,
                       where: dict[str, Any]) -> list[dict[str, Any]]:
    _check_marks(spec, report, where)
    _check_repeated_titles(spec, report, where)
    in_section = {o.number: o for o in section.outcomes if o.number is not None} if section else {}
    if section:
        for o in section.outcomes:
            if o.number is None:
                report.warn(f"a learning outcome without a number is left out: {_q(o.title[:60])}",
                            line=o.line, **where)
            elif o.number not in {s.number for s in spec.outcomes}:
                report.warn("the unit section has this learning outcome but the test specification does not; "
                            "its criteria are left out", outcome=o.number, line=o.line, **where)
    outcomes = []
    for row in spec.outcomes:
        found = in_section.get(row.number)
        at = {**where, "outcome": row.number}
        if found is None:
            if section is not None:
                report.gap("no learning outcome with this number in the unit section, so no assessment criteria",
                           line=row.line, field="criteria", **at)
        else:
            if not _same_words(found.title, row.title):
                report.warn(f"outcome title differs between test specification ({_q(row.title)}) and unit "
                            f"section ({_q(found.title)}); the test specification's is kept",
                            line=found.line, **at)
            if not found.criteria:
                report.gap("no assessment criteria found", line=found.criteria_line or found.line,
                           field="criteria", **at)
            for number, text, line in found.criteria:
                if not number.startswith(f"{row.number}."):
                    report.warn(f"criterion {number} is numbered for another outcome", line=line, **at)
                if not text:
                    report.gap(f"criterion {number} has no text", line=line, field="criteria", **at)
        outcomes.append({
            "number": row.number,
            "title": row.title,
            "marks": row.marks,
            "weighting_percent": row.percent,
            "criteria": [{"number": n, "text": t} for n, t, _ in (found.criteria if found else [])],
        })
    return outcomes


def _check_marks(spec: _TestSpec, report: _Report, where: dict[str, Any]) -> None:
    """Warn (never correct) where the printed % or totals disagree with the marks.

    A % is reported when it is more than WEIGHTING_TOLERANCE_POINTS away from
    marks ÷ total (the validator's threshold: handbooks round to whole numbers).
    """
    marks = [o.marks for o in spec.outcomes]
    if any(m is None for m in marks) or not marks:
        return
    total = sum(marks)  # type: ignore[arg-type]
    for o in spec.outcomes:
        if o.percent is None or not total:
            continue
        actual = 100.0 * o.marks / total  # type: ignore[operator]
        if abs(actual - o.percent) > WEIGHTING_TOLERANCE_POINTS:
            report.warn(f"{o.marks} of {total} {spec.figures} is {actual:.0f}%, the handbook states {_fmt(o.percent)}%",
                        outcome=o.number, line=o.line, **where)
    line = spec.total_line or (spec.outcomes[-1].line if spec.outcomes else spec.line)
    # Figures that do not add up to the Total row are a gap (see _reconcile), not a warning.
    percents = [o.percent for o in spec.outcomes]
    if all(p is not None for p in percents):
        stated = sum(percents)  # type: ignore[arg-type]
        if abs(stated - 100) > 1e-9:
            also = f", the Total row states {_fmt(spec.total_percent)}" if spec.total_percent is not None else ""
            report.warn(f"% weightings sum to {_fmt(round(stated, 6))}{also}", line=line, **where)
        elif spec.total_percent is not None and abs(spec.total_percent - 100) > 1e-9:
            report.warn(f"the Total row states {_fmt(spec.total_percent)}%", line=line, **where)


def _check_repeated_titles(spec: _TestSpec, report: _Report, where: dict[str, Any]) -> None:
    seen: dict[str, list[_Outcome]] = {}
    for o in spec.outcomes:
        seen.setdefault(_SPACES.sub(" ", o.title).casefold(), []).append(o)
    for same in seen.values():
        if len(same) > 1:
            numbers = [str(o.number) for o in same]
            listed = ", ".join(numbers[:-1]) + " and " + numbers[-1]
            report.warn(f"outcomes {listed} have the same title {_q(same[0].title)}", line=same[1].line, **where)


def summary(result: HandbookImport) -> str:
    """"13 units, 38 outcomes, 177 assessment criteria" for messages."""
    units = result.data.get("units", [])
    outcomes = [o for u in units for o in u.get("outcomes", [])]
    criteria = [c for o in outcomes for c in o.get("criteria", [])]
    return (f"{len(units)} unit{'s' if len(units) != 1 else ''}, {len(outcomes)} outcome"
            f"{'s' if len(outcomes) != 1 else ''}, {len(criteria)} assessment criteri"
            f"{'a' if len(criteria) != 1 else 'on'}")


def unit_summaries(result: HandbookImport) -> list[str]:
    """One line per unit to check against the handbook at a glance: "unit 201 (test 601):
    4 outcomes (1, 2, 3, 4), 40 minutes; questions 4 + 6 + 7 + 8 = 25; % 16 + 24 + 28 + 32 = 100".
    A value that could not be read shows as "?"."""
    def shown(value: object) -> str:
        return "?" if value is None else _fmt(value) if isinstance(value, (int, float)) else str(value)

    lines = []
    for unit in result.data.get("units", []):
        name = f"unit {unit['number']}" + (f" (test {unit['test_number']})" if unit.get("test_number") else "")
        outcomes = unit.get("outcomes") or []
        if not outcomes:
            minutes = unit.get("time_allowance_minutes")
            lines.append(f"{name}: no outcome table read" + (f", {minutes} minutes" if minutes else ""))
            continue
        marks = [o.get("marks") for o in outcomes]
        percents = [o.get("weighting_percent") for o in outcomes]
        total = shown(sum(marks)) if None not in marks else "?"
        line = (f"{name}: {len(outcomes)} outcome{'s' if len(outcomes) != 1 else ''} "
                f"({', '.join(str(o['number']) for o in outcomes)}), "
                f"{shown(unit.get('time_allowance_minutes'))} minutes; {unit.get('figures', 'marks')} "
                f"{' + '.join(shown(m) for m in marks)} = {total}")
        if any(p is not None for p in percents):
            whole = shown(round(sum(percents), 6)) if None not in percents else "?"
            line += f"; % {' + '.join(shown(p) for p in percents)} = {whole}"
        lines.append(line)
    return lines


def iter_findings(result: HandbookImport) -> Iterable[tuple[str, Finding]]:
    for finding in result.warnings:
        yield "warning", finding
    for finding in result.gaps:
        yield "gap", finding
