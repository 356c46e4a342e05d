"""Candidates (learners): add, edit, and import a class list from CSV.

CSV columns (first line is the header; order free; header case and spaces do
not matter, ``Candidate Number`` = ``candidate_number``)::

    candidate_number    required; letters, digits, "-" or "/", up to 20 (stored in capitals)
    name                required; the learner's name as it should appear on results
    extra_time_percent  optional; a whole number 0-400 (a "%" is allowed)
    access_arrangements optional; the arrangements, separated by ";", each written
                        "kind[: detail] | evidence seen | approved by | date", e.g.
                        "reader | Form 8 on file | Sam Senco | 2026-09-12"
                        (kinds: domain/arrangements.ArrangementKind; "other: TEXT"
                        for anything else). Every arrangement needs its evidence;
                        extra time needs an "extra time" arrangement, and above
                        the centre's cap (25%) an administrator, with the reason
                        written after "extra time:".

The file is UTF-8 (Excel's "CSV UTF-8" is fine). An import is all-or-nothing:
every bad row is reported with its line number and nothing is imported until
the file is clean. Re-importing the same file changes nothing; a changed row
updates that candidate (old and new values go to the audit log).

A re-import never clears what it does not mention: a column absent from the
file, or an empty cell, leaves an existing candidate's stored value alone (a
class list of just numbers and names keeps everyone's extra time and access
arrangements). To clear a value, write ``none`` in the cell (extra time 0, no
arrangements). For a new candidate an absent or empty value means none.
``preview_import`` says what an import would do, per candidate (from -> to),
before anything is written; ``import_csv(..., expect=preview)`` then writes
exactly that, or refuses if the candidates changed meanwhile.

Extra time is copied onto each enrolment when the candidate is enrolled, so a
script's allowance never changes under a learner's feet; editing a candidate
updates the copy only on scripts whose clock has not started yet (later
changes during a sitting are made with an extension, which is logged).
"""

from __future__ import annotations

import unicodedata

import contextlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from marker_tui.domain.arrangements import (
    DEFAULT_EXTRA_TIME_CAP,
    MAX_EXTRA_TIME,
    ArrangementKind,
    ArrangementsRefused,
    Evidenced,
    check_list,
    in_words,
    read_written,
    used_text,
    written,
)
from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.visible_text import has_controls
from marker_tui.domain.events.candidates import (
    CandidateAdded,
    CandidateChanged,
    EnrolmentArrangementsChanged,
    EnrolmentExtraTimeChanged,
    ExtraTimeAboveCapGranted,
    ExtraTimeCapSet,
)
from marker_tui.services.audit import ServiceError
from marker_tui.services.unit_of_work import UnitOfWork, Writing
from marker_tui.storage import csv_files
from marker_tui.storage.csv_files import RowProblem
from marker_tui.storage.file_limits import shorten
from marker_tui.storage import candidates as store
from marker_tui.storage import centre_settings as store_settings
from marker_tui.storage.database import Database, read_transaction
from marker_tui.domain.roles import Permission, Role, roles_for

#: The centre setting holding its extra-time cap (a whole percentage; 25 unless set).
EXTRA_TIME_CAP_KEY = "extra time cap"

COLUMNS = ("candidate_number", "name", "extra_time_percent", "access_arrangements")
REQUIRED_COLUMNS = ("candidate_number", "name")
EDITORS = roles_for(Permission.EDIT_CANDIDATES)  # for menus and the CLI; writes check Permission
_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/-]{0,19}$")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (``=cmd|' /C calc'!A0``, ``+1+1``, ``@SUM``).

    Names, arrangements and comments that reach our CSV and XLSX exports are
    refused at the door rather than defanged later: no real one starts so.
    """
    text = text.lstrip()
    if not text:
        return False
    if text[0] in "=+@":
        return True
    return text[0] == "-" and len(text) > 1 and not (text[1].isalpha() or text[1].isspace())


def refuse_formula(text: str) -> str:
    if looks_like_formula(text):
        raise ValueError(f"starts with {text.lstrip()[0]!r}, which a spreadsheet would run as a formula "
                         "(remove that first character)")
    return text


_CONTROL_NAMES = {"\t": "a tab", "\n": "a line break", "\r": "a line break", "\x1b": "an escape character (ESC)"}


def _no_control_characters(value: str, what: str) -> str:
    """``what`` names the field already ("name"), so the message says what was found, not the field again."""
    if has_controls(value):
        found = next(ch for ch in value if unicodedata.category(ch) == "Cc")
        named = _CONTROL_NAMES.get(found, f"the control character U+{ord(found):04X}")
        raise ValueError(f"holds {named}, which cannot be printed; remove it")
    return value


class CandidateDetails(BaseModel):
    """One candidate as typed or read from a CSV row, validated."""

    model_config = ConfigDict(str_strip_whitespace=True)

    candidate_number: str
    name: str
    extra_time_percent: int = Field(default=0)
    #: The written form (``domain.arrangements.written``) as typed, read into ``arrangements``.
    access_arrangements: str = ""
    arrangements: list[Evidenced] = []

    @field_validator("candidate_number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> str:
        text = str(value if value is not None else "").strip().upper()
        if not text:
            raise ValueError("is empty; every candidate needs a candidate number")
        if not _NUMBER.match(text):
            raise ValueError(
                f"{text!r} is not a candidate number: use letters, digits, '-' or '/', up to 20"
            )
        return text

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        text = " ".join(str(value if value is not None else "").split())
        if not text:
            raise ValueError("is empty; write the learner's name")
        if len(text) > 100:
            raise ValueError("is longer than 100 characters")
        return refuse_formula(_no_control_characters(text, "the name"))

    @field_validator("extra_time_percent", mode="before")
    @classmethod
    def _extra(cls, value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, bool):
            raise ValueError("must be a whole number from 0 to 400")
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip().rstrip("%").strip()
            if text == "":
                return 0
            if not re.fullmatch(r"[0-9]+", text):
                raise ValueError(
                    f"{str(value).strip()!r} is not a whole number from 0 to 400 "
                    "(write e.g. 25 for 25% extra time, or leave it empty for none)"
                )
            number = int(text)
        if not 0 <= number <= 400:
            raise ValueError(f"{number} is outside 0 to 400")
        return number

    @field_validator("access_arrangements", mode="before")
    @classmethod
    def _arrangements(cls, value: Any) -> str:
        if isinstance(value, (list, tuple)):  # the list itself (the admin form, the demo)
            return written([Evidenced.model_validate(a) for a in value])
        text = " ".join(str(value if value is not None else "").split())
        if len(text) > 2000:
            raise ValueError("is longer than 2000 characters")
        refuse_formula(_no_control_characters(text, "the arrangements"))
        read_written(text)  # refused here, with the fix, if it cannot be read
        return text

    @model_validator(mode="after")
    def _listed(self) -> "CandidateDetails":
        if self.access_arrangements and not self.arrangements:
            self.arrangements = read_written(self.access_arrangements)
        self.access_arrangements = written(self.arrangements)
        return self

    def in_words(self) -> str:
        """The arrangements as the register and the room view show them (no evidence, no extra time)."""
        return in_words(self.arrangements)


class Candidate(CandidateDetails):
    id: int
    created_at: datetime
    updated_at: datetime


class SittingUsed(BaseModel):
    """The arrangements a sitting's script carries (fixed once its clock started)."""

    sitting_code: str
    started: bool
    extra_time_percent: int
    arrangements: list[Evidenced]
    absent: bool = False
    """The sitting ended without them: their copy no longer follows changes either."""

    def used(self) -> str:
        return used_text(self.extra_time_percent, self.arrangements) or "none"

    def state(self) -> str:
        """'' once they started; "absent: did not sit" or "not started" otherwise (what the screens print)."""
        if self.started:
            return ""
        return "absent: did not sit" if self.absent else "not started"


class CandidateRecord(BaseModel):
    candidate: Candidate
    sittings: list[SittingUsed]


class CsvImportError(ServiceError):
    def __init__(self, path: Path, problems: list[RowProblem]) -> None:
        self.path = path
        self.problems = problems
        if len(problems) == 1:  # one problem: one line, file and place first
            super().__init__(f"{path}: {shorten(problems[0])}; nothing was imported (fix it and import again)")
            return
        shown = "\n".join(f"  {shorten(p)}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(
            f"{path}: {len(problems)} problems; nothing was imported. Fix the file and "
            f"import it again.\n{shown}{more}"
        )


CLEAR = "none"
"""The cell value that clears an optional column on re-import (an empty cell keeps what is stored)."""
OPTIONAL_COLUMNS = ("extra_time_percent", "access_arrangements")


class FieldChange(BaseModel):
    column: str
    old: str | int
    new: str | int

    def describe(self) -> str:
        def shown(value: str | int) -> str:
            if self.column == "extra_time_percent":
                return f"{value}%"
            return repr(value) if value else "(none)"
        label = {"name": "name", "extra_time_percent": "extra time",
                 "access_arrangements": "access arrangements"}.get(self.column, self.column)
        return f"{label} {shown(self.old)} -> {shown(self.new)}"


class CandidateChange(BaseModel):
    candidate_number: str
    name: str
    changes: list[FieldChange]

    def describe(self) -> str:
        return f"{self.candidate_number} {self.name}: " + "; ".join(c.describe() for c in self.changes)


class ImportPreview(BaseModel):
    """What importing a file would do, before anything is written."""

    file: str
    added: list[CandidateDetails] = []
    changed: list[CandidateChange] = []
    unchanged: list[str] = []

    @property
    def writes_nothing(self) -> bool:
        return not self.added and not self.changed

    def lines(self) -> list[str]:
        out = [f"{self.file}: {len(self.added)} new, {len(self.changed)} changed, "
               f"{len(self.unchanged)} unchanged."]
        for details in self.added:
            extra = [f"+{details.extra_time_percent}% time"] if details.extra_time_percent else []
            extra += [details.access_arrangements] if details.access_arrangements else []
            out.append(f"  new      {details.candidate_number} {details.name}"
                       + (f" ({'; '.join(extra)})" if extra else ""))
        for change in self.changed:
            out.append(f"  changed  {change.describe()}")
        return out


class ImportReport(BaseModel):
    file: str
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []


def _candidate(row: store.CandidateRow) -> Candidate:
    # Stored rows were validated when written; ``access_arrangements`` is the written form of the list.
    values = dict(row.__dict__, arrangements=list(row.arrangements), access_arrangements=written(list(row.arrangements)))
    return Candidate.model_construct(**values)


def find_candidate(db: Database, candidate_number: str) -> Candidate | None:
    number = str(candidate_number).strip().upper()
    row = store.candidate_by_number(db, number)
    return _candidate(row) if row else None


def _without_extra_time_if_none(arrangements: list[Evidenced], extra_time_percent: int) -> list[Evidenced]:
    """Clearing the extra time (0%) while keeping the other arrangements drops its arrangement too."""
    if extra_time_percent:
        return list(arrangements)
    return [a for a in arrangements if a.kind is not ArrangementKind.EXTRA_TIME]


def extra_time_cap(db: Database) -> int:
    """The centre's cap on extra time without an administrator (25% unless set)."""
    stored = store_settings.read_setting(db, EXTRA_TIME_CAP_KEY)
    return int(stored) if stored and stored.isdigit() else DEFAULT_EXTRA_TIME_CAP


def _by_admin(db: Database, actor_name: str) -> bool:
    from marker_tui.services.staff import find_staff

    member = find_staff(db, actor_name)
    return member is not None and Role.ADMIN.value in member.roles


def _check(db: Database, actor_name: str, details: CandidateDetails) -> str | None:
    """Refuse arrangements without evidence, or extra time without its arrangement or above the cap
    unless an administrator gives the reason; return that reason (above the cap) or None."""
    return check_list(details.arrangements, details.extra_time_percent, cap=extra_time_cap(db),
                      by_admin=_by_admin(db, actor_name))


def _plan(db: Database, path: Path, rows: list[CsvRow], actor_name: str, found: list[RowProblem]
          ) -> tuple[ImportPreview, dict[str, tuple[Candidate, CandidateDetails]]]:
    """The preview, and for each changed candidate (stored, new values): absent, empty = keep.

    Arrangements that cannot be recorded (no evidence, extra time above the cap...) are refused
    here, every row at once, with its line, before anything is shown or written.
    """
    preview = ImportPreview(file=str(path))
    merged: dict[str, tuple[Candidate, CandidateDetails]] = {}
    problems: list[RowProblem] = list(found)  # the file's own problems, reported with these

    def checked(line: int, details: CandidateDetails) -> None:
        try:
            _check(db, actor_name, details)
        except ArrangementsRefused as refused:
            problems.append(RowProblem(line=line, field="access_arrangements", message=str(refused)))

    for row in rows:
        details = row.details
        current = find_candidate(db, details.candidate_number)
        if current is None:
            checked(row.line, details)
            preview.added.append(details)
            continue
        keep = {column: getattr(current, column) for column in OPTIONAL_COLUMNS
                if column not in row.given and column not in row.cleared}
        if "access_arrangements" in keep:
            keep["arrangements"] = _without_extra_time_if_none(current.arrangements, details.extra_time_percent
                                                              if "extra_time_percent" not in keep else
                                                              current.extra_time_percent)
            keep["access_arrangements"] = written(keep["arrangements"])
        new = details.model_copy(update=keep)
        if (new.extra_time_percent, new.arrangements) != (current.extra_time_percent, current.arrangements):
            checked(row.line, new)
        changes = [FieldChange(column=column, old=getattr(current, column), new=getattr(new, column))
                   for column in COLUMNS if getattr(current, column) != getattr(new, column)]
        if changes:
            preview.changed.append(CandidateChange(candidate_number=current.candidate_number,
                                                   name=current.name, changes=changes))
            merged[current.candidate_number] = (current, new)
        else:
            preview.unchanged.append(current.candidate_number)
    if problems:
        raise CsvImportError(path, sorted(problems, key=lambda p: p.line))
    return preview, merged


def read_csv_text(path: Path) -> str:
    """A CSV file's text through the one reader (storage/csv_files), refused in service words."""
    with _refusals(path):
        return csv_files.read_csv_text(path)


@contextlib.contextmanager
def _refusals(path: Path) -> Iterator[None]:
    """The CSV reader's refusals as this layer's errors (same messages)."""
    try:
        yield
    except csv_files.CsvRefused as refused:
        raise CsvImportError(path, refused.problems) from None
    except csv_files.CsvUnreadable as unreadable:
        raise ServiceError(str(unreadable)) from None


CANDIDATES_CSV = csv_files.CsvLayout(columns=COLUMNS, required=REQUIRED_COLUMNS)


class CsvRow(BaseModel):
    """One valid row: its line, the values, and which optional values the row gives (not absent,
    not empty) or clears (``none``)."""

    line: int
    details: CandidateDetails
    given: frozenset[str]
    cleared: frozenset[str]


def parse_candidates_csv(path: Path) -> list[CsvRow]:
    """Read and validate the whole file; raise CsvImportError listing every bad row."""
    rows, problems = _parse(path)
    if problems:
        raise CsvImportError(path, problems)
    return rows


def _parse(path: Path) -> tuple[list[CsvRow], list[RowProblem]]:
    """The valid rows and the problems of the others (in file order)."""
    with _refusals(path):
        read = csv_files.read_csv_rows(path, CANDIDATES_CSV)
    problems: list[RowProblem] = list(read.problems)
    rows: list[CsvRow] = []
    first_line_of: dict[str, int] = {}
    for line, values in read.rows:
        cleared = frozenset(k for k in OPTIONAL_COLUMNS if values.get(k, "").strip().lower() == CLEAR)
        given = frozenset(k for k in OPTIONAL_COLUMNS if values.get(k, "").strip() and k not in cleared)
        for column in cleared:
            values[column] = ""
        try:
            details = CandidateDetails(**values)
        except ValidationError as error:
            for e in error.errors():
                field = str(e["loc"][0]) if e["loc"] else None
                message = e["msg"].removeprefix("Value error, ")
                problems.append(RowProblem(line=line, field=field, message=message))
            continue
        earlier = first_line_of.get(details.candidate_number)
        if earlier is not None:
            problems.append(RowProblem(
                line=line, field="candidate_number",
                message=f"{details.candidate_number} already appears on line {earlier}"))
            continue
        first_line_of[details.candidate_number] = line
        rows.append(CsvRow(line=line, details=details, given=given, cleared=cleared))
    problems.sort(key=lambda p: p.line)  # shape and value problems in file order
    return rows, problems


class _NothingWritten(Exception):
    """Leaves a write block that found nothing to change (rolled back, nothing audited)."""

    def __init__(self, result: Any) -> None:
        super().__init__("nothing to write")
        self.result = result


class CandidateService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def get(self, candidate_number: str) -> Candidate:
        with read_transaction(self.db):
            found = find_candidate(self.db, candidate_number)
        if found is None:
            raise ServiceError(f"There is no candidate with number {str(candidate_number).strip()}.")
        return found

    def all(self) -> list[Candidate]:
        with read_transaction(self.db):
            return [_candidate(r) for r in store.all_candidates(self.db)]

    def add(
        self,
        candidate_number: str,
        name: str,
        extra_time_percent: int | str = 0,
        access_arrangements: str | list[Evidenced] = "",
        *,
        by: str,
    ) -> Candidate:
        """``access_arrangements``: the list, or its written form (see the module docstring)."""
        details = self._validated(
            candidate_number=candidate_number, name=name,
            extra_time_percent=extra_time_percent, access_arrangements=access_arrangements,
        )

        with self.uow.write(by=by, needs=Permission.EDIT_CANDIDATES, what="adding a candidate") as tx:
            if find_candidate(tx.db, details.candidate_number) is not None:
                raise ServiceError(
                    f"Candidate {details.candidate_number} already exists; use edit to change them."
                )
            self._refused_unless_recordable(tx, details)
            self._insert(tx, details)
            return find_candidate(tx.db, details.candidate_number)

    def edit(
        self,
        candidate_number: str,
        *,
        name: str | None = None,
        extra_time_percent: int | str | None = None,
        access_arrangements: str | list[Evidenced] | None = None,
        by: str,
    ) -> Candidate:
        try:
            return self._edit(candidate_number, name=name, extra_time_percent=extra_time_percent,
                              access_arrangements=access_arrangements, by=by)
        except _NothingWritten as unchanged:  # the same values again: nothing to write or audit
            return unchanged.result

    def _edit(self, candidate_number: str, *, name: str | None, extra_time_percent: int | str | None,
              access_arrangements: str | list[Evidenced] | None, by: str) -> Candidate:
        with self.uow.write(by=by, needs=Permission.EDIT_CANDIDATES, what="changing a candidate") as tx:
            current = find_candidate(tx.db, candidate_number)
            if current is None:
                raise ServiceError(f"There is no candidate with number {str(candidate_number).strip()}.")
            new = self._validated(
                candidate_number=current.candidate_number,
                name=current.name if name is None else name,
                extra_time_percent=current.extra_time_percent if extra_time_percent is None else extra_time_percent,
                access_arrangements=current.arrangements if access_arrangements is None else access_arrangements,
            )
            if access_arrangements is None:
                new = new.model_copy(update={"arrangements": _without_extra_time_if_none(
                    current.arrangements, new.extra_time_percent)})
                new = new.model_copy(update={"access_arrangements": written(new.arrangements)})
            if (new.extra_time_percent, new.arrangements) != (current.extra_time_percent, current.arrangements):
                self._refused_unless_recordable(tx, new)
            if not self._update(tx, current, new):
                raise _NothingWritten(current)
            return find_candidate(tx.db, current.candidate_number)

    def record(self, candidate_number: str, *, by: str) -> CandidateRecord:
        """The candidate with their arrangements (and evidence) and what applied in each sitting."""
        with self.uow.read(by=by, needs=Permission.EDIT_CANDIDATES) as rx:
            found = find_candidate(rx.db, candidate_number)
            if found is None:
                raise ServiceError(f"There is no candidate with number {str(candidate_number).strip()}.")
            sittings = [SittingUsed(sitting_code=s.sitting_code, started=s.started_at is not None,
                                    extra_time_percent=s.extra_time_percent, arrangements=list(s.arrangements),
                                    absent=s.finish == "absent")
                        for s in store.arrangements_in_each_sitting(rx.db, found.id)]
        return CandidateRecord(candidate=found, sittings=sittings)

    def extra_time_cap(self) -> int:
        with self.uow.read() as rx:
            return extra_time_cap(rx.db)

    def set_extra_time_cap(self, percent: int | str, *, by: str) -> int:
        """The centre's cap on extra time (an administrator's decision; above it only they may grant)."""
        text = str(percent).strip().rstrip("%").strip()
        if not text.isdigit() or not 0 <= int(text) <= MAX_EXTRA_TIME:
            raise ServiceError(f"The extra time cap is a whole percentage from 0 to {MAX_EXTRA_TIME} "
                               f"(e.g. {DEFAULT_EXTRA_TIME_CAP}), not {str(percent).strip()!r}.")
        with self.uow.write(by=by, needs=Permission.ADMINISTER, what="setting the extra time cap") as tx:
            old = extra_time_cap(tx.db)
            store_settings.write_setting(tx.db, EXTRA_TIME_CAP_KEY, text, staff_id=tx.actor.staff_id, at=tx.now)
            tx.record(ExtraTimeCapSet(old=old, new=int(text)))
        return int(text)

    def preview_import(self, path: str | Path, *, by: str) -> ImportPreview:
        """What importing the file would change, per candidate; writes nothing."""
        path = Path(path)
        with self.uow.read(by=by, needs=Permission.EDIT_CANDIDATES):  # fail fast, before reading a big file
            pass
        rows, problems = _parse(path)
        with self.uow.read() as rx:
            return _plan(rx.db, path, rows, by, problems)[0]

    def import_csv(self, path: str | Path, *, by: str, expect: ImportPreview | None = None) -> ImportReport:
        """Import a class list; all-or-nothing (see the module docstring for the columns).

        With ``expect`` (the preview the person confirmed) nothing is written unless the
        import would do exactly that: someone may have edited a candidate in between.
        """
        path = Path(path)
        with self.uow.read(by=by, needs=Permission.EDIT_CANDIDATES):  # fail fast, before reading a big file
            pass
        rows, problems = _parse(path)
        try:
            return self._import(path, rows, problems, by=by, expect=expect)
        except _NothingWritten as unchanged:  # every row as stored already: nothing to write or audit
            return unchanged.result

    def _import(self, path: Path, rows: list[CsvRow], problems: list[RowProblem], *, by: str,
                expect: ImportPreview | None) -> ImportReport:
        with self.uow.write(by=by, needs=Permission.EDIT_CANDIDATES, what="importing candidates") as tx:
            preview, merged = _plan(tx.db, path, rows, tx.actor.label, problems)
            if expect is not None and preview != expect:
                raise ServiceError(f"{path}: the candidates changed since the preview was shown; nothing was "
                                   "imported. Import again to see the new preview.")
            report = ImportReport(file=str(path), unchanged=list(preview.unchanged))
            for details in preview.added:
                self._insert(tx, details, source=str(path))
                report.added.append(details.candidate_number)
            for change in preview.changed:
                current, new = merged[change.candidate_number]
                self._update(tx, current, new, source=str(path))
                report.updated.append(change.candidate_number)
            if preview.writes_nothing:
                raise _NothingWritten(report)
            return report

    # -- helpers --------------------------------------------------------------------
    @staticmethod
    def _validated(**values: Any) -> CandidateDetails:
        try:
            return CandidateDetails(**values)
        except ValidationError as error:
            first = error.errors()[0]
            field = first["loc"][0] if first["loc"] else "value"
            raise ServiceError(f"{field} {first['msg'].removeprefix('Value error, ')}.") from None

    @staticmethod
    def _refused_unless_recordable(tx: Writing, details: CandidateDetails) -> None:
        try:
            _check(tx.db, tx.actor.label, details)
        except ArrangementsRefused as refused:
            raise ServiceError(f"Candidate {details.candidate_number}: {refused}; nothing was changed.") from None

    @staticmethod
    def _above_cap(tx: Writing, details: CandidateDetails) -> None:
        """Extra time above the cap was checked already: audit the administrator's reason."""
        reason = _check(tx.db, tx.actor.label, details)
        if reason is not None:
            tx.record(ExtraTimeAboveCapGranted(candidate_number=details.candidate_number,
                                               percent=details.extra_time_percent, cap=extra_time_cap(tx.db),
                                               reason=reason))

    @classmethod
    def _insert(cls, tx: Writing, details: CandidateDetails, source: str | None = None) -> None:
        store.insert_candidate(tx.db, details.candidate_number, details.name, details.extra_time_percent,
                               details.in_words(), at=tx.now, arrangements=details.arrangements)
        tx.record(CandidateAdded(candidate_number=details.candidate_number, number=details.candidate_number,
                                 name=details.name, extra_time_percent=details.extra_time_percent,
                                 access_arrangements=details.access_arrangements,
                                 arrangements=[a.model_dump(mode="json") for a in details.arrangements],
                                 from_file=source))
        cls._above_cap(tx, details)

    @classmethod
    def _update(cls, tx: Writing, current: Candidate, new: CandidateDetails, source: str | None = None) -> bool:
        """Write the changed values (and the unstarted scripts' extra time); False if nothing differed."""
        old_values = current.model_dump(include=set(COLUMNS))
        new_values = new.model_dump()
        changed = {k: {"old": old_values[k], "new": new_values[k]} for k in COLUMNS if old_values[k] != new_values[k]}
        if not changed:
            return False
        store.update_candidate(tx.db, current.id, new.name, new.extra_time_percent, new.in_words(),
                               at=tx.now, arrangements=new.arrangements)
        tx.record(CandidateChanged(candidate_number=current.candidate_number, changes=changed, from_file=source))
        if changed.keys() & {"extra_time_percent", "access_arrangements"}:
            cls._above_cap(tx, new)
        if "access_arrangements" in changed:
            # Like extra time, only scripts whose clock has not started follow: a started one keeps what applied.
            for script in store.unstarted_scripts(tx.db, current.id):
                store.set_script_arrangements(tx.db, script.id, new.arrangements)
                tx.record(EnrolmentArrangementsChanged(
                    sitting_id=script.sitting_id, script_id=script.id, candidate_number=current.candidate_number,
                    old=current.access_arrangements, new=new.access_arrangements))
        if "extra_time_percent" in changed:
            # Only scripts whose clock has not started follow the change.
            for script in store.unstarted_scripts(tx.db, current.id):
                store.set_script_extra_time(tx.db, script.id, new.extra_time_percent)
                tx.record(EnrolmentExtraTimeChanged(sitting_id=script.sitting_id, script_id=script.id,
                                                    candidate_number=current.candidate_number,
                                                    old=script.extra_time_percent, new=new.extra_time_percent))
        return True
