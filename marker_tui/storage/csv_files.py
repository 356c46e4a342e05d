"""Reading a CSV file a person hands us (class lists, marks given on paper): the one reader.

Both imports read the same way: within the size and row limits of ``file_limits``, UTF-8 with or
without a byte-order mark, a header whose names are matched without case or spaces (with
aliases), every row's line number (where a quoted value spans lines, the line the row starts
on), and one clear "file, line, fix" message for each thing wrong. What a row *means* is the
caller's business: this module only hands back its values by column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from marker_tui.storage.file_limits import CSV_MAX_BYTES, CSV_MAX_ROWS, FileRefused, located_text, read_bounded

FIX_ENCODING = "save the file as 'CSV UTF-8 (comma delimited)' and import it again"


class RowProblem(BaseModel):
    """One thing wrong with a file: the line (1 = the header), the column if one, and the fix."""

    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


class CsvRefused(ValueError):
    """The file's rows cannot be used: every problem found, by line."""

    def __init__(self, path: Path, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.path = path
        self.problems = problems


class CsvUnreadable(ValueError):
    """The file cannot be read at all (missing, too large, too many lines): one line saying so."""


@dataclass(frozen=True)
class CsvLayout:
    """What one kind of CSV file looks like, and the words its messages use."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: The columns named in "the first line must be the header: ..." for an empty file.
    header_example: tuple[str, ...] | None = None
    #: Added after "Expected columns: ..." (e.g. which columns are optional).
    expected_note: str = ""
    #: What a comma inside a cell usually is, for the wrong-number-of-values hint.
    quoted_thing: str = "value"


@dataclass
class CsvRows:
    """The usable rows (line, values by column) and the rows whose shape was wrong."""

    rows: list[tuple[int, dict[str, str]]]
    problems: list[RowProblem]


def read_csv_text(path: Path) -> str:
    """A CSV file's text, refused if too large, binary, not UTF-8 or too long."""
    try:
        data = read_bounded(path, CSV_MAX_BYTES, what="CSV file")
        text = located_text(path, data, fix_encoding=FIX_ENCODING)
    except FileRefused as refused:
        if refused.line is not None:  # bad bytes: reported by line, like every other row problem
            raise CsvRefused(path, [RowProblem(line=refused.line, field=None,
                                               message=f"{refused.reason}; {refused.fix}")]) from None
        if refused.reason == "no such file":
            raise CsvUnreadable(f"There is no file {path}.") from None
        raise CsvUnreadable(str(refused)) from None
    lines = text.count("\n")
    if lines > CSV_MAX_ROWS:
        raise CsvUnreadable(f"{path}: has {lines:,} lines, more than the {CSV_MAX_ROWS:,} one import may have "
                            "(fix: split it into smaller files)")
    return text


def header_key(name: str, aliases: Mapping[str, str] | None = None) -> str:
    """A header cell as a column name: ``Candidate Number`` = ``candidate-number`` = ``candidate_number``."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())
    return (aliases or {}).get(key, key)


def read_csv_rows(path: Path, layout: CsvLayout) -> CsvRows:
    """The file's rows by column. A file that cannot be read, or whose header is wrong, is refused
    at once (:class:`CsvRefused` / :class:`CsvUnreadable`); a row of the wrong shape is a problem
    reported with the rest, so a person fixes everything in one go."""
    text = read_csv_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # strict: an unclosed quote is an error, not the rest of the file in one value
    try:
        header = next(reader)
    except StopIteration:
        example = ",".join(layout.header_example or layout.columns)
        raise CsvRefused(path, [RowProblem(line=1, field=None, message="the file is empty; "
                                           f"the first line must be the header: {example}")]) from None
    keys = [header_key(h, layout.aliases) for h in header]
    _check_header(path, header, keys, layout)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[RowProblem] = []
    while True:
        line = reader.line_num + 1  # a quoted field may span lines: report where the row starts
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(RowProblem(line=line, field=None, message=f"is not valid CSV ({error})"))
            break
        if not any(f.strip() for f in fields):
            continue  # blank lines are harmless
        if len(fields) != len(keys):
            problems.append(RowProblem(line=line, field=None, message=(
                f"has {len(fields)} values but the header has {len(keys)} columns "
                f"(a comma inside a {layout.quoted_thing} needs the {layout.quoted_thing} in double quotes)")))
            continue
        rows.append((line, dict(zip(keys, fields))))
    return CsvRows(rows, problems)


def _check_header(path: Path, header: Sequence[str], keys: Sequence[str], layout: CsvLayout) -> None:
    unknown = [h for h, k in zip(header, keys) if k not in layout.columns]
    missing = [c for c in layout.required if c not in keys]
    duplicated = sorted({k for k in keys if keys.count(k) > 1 and k in layout.columns})
    if not (unknown or missing or duplicated):
        return
    if len(header) == 1 and ";" in header[0]:
        raise CsvRefused(path, [RowProblem(line=1, field=None, message="the file uses ';' between columns: "
                                           "save it as 'CSV UTF-8 (comma delimited)' and import it again")])
    hints = []
    if missing:
        hints.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        hints.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
    if duplicated:
        hints.append(f"column(s) given twice: {', '.join(duplicated)}")
    raise CsvRefused(path, [RowProblem(line=1, field=None, message="header has " + "; ".join(hints)
                                       + f". Expected columns: {','.join(layout.columns)}"
                                       + (f" {layout.expected_note}" if layout.expected_note else ""))])
