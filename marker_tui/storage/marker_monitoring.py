"""The reads marker monitoring and group marking are computed from (every function runs inside the
caller's transaction). A paper is a unit of a qualification: every version, every sitting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marker_tui.storage.database import Database, parse_instant
from marker_tui.storage.marks import by_a_marker

_UNIT_SCRIPTS = ("JOIN scripts s ON s.id = {alias}.script_id JOIN sittings si ON si.id = s.sitting_id"
                 " JOIN papers p ON p.id = si.paper_id")
_UNIT_WHERE = "p.qualification = ? AND p.unit = ?"


@dataclass(frozen=True, slots=True)
class MonitoredUnit:
    qualification: str
    unit: str
    title: str | None
    sitting_codes: tuple[str, ...]


def unit_of(db: Database, qualification: str, unit: str) -> MonitoredUnit | None:
    """The unit as the papers spell it (any case typed), with its sittings oldest first; None if unknown."""
    row = db.execute("SELECT qualification, unit, title FROM papers WHERE qualification = ? COLLATE NOCASE"
                     " AND unit = ? COLLATE NOCASE ORDER BY id DESC LIMIT 1", [qualification, unit]).fetchone()
    if row is None:
        return None
    codes = tuple(r[0] for r in db.execute(
        "SELECT si.code FROM sittings si JOIN papers p ON p.id = si.paper_id"
        f" WHERE {_UNIT_WHERE} ORDER BY si.id", [row[0], row[1]]))
    return MonitoredUnit(row[0], row[1], row[2], codes)


def unit_of_sitting(db: Database, code: str) -> tuple[str, str] | None:
    row = db.execute("SELECT p.qualification, p.unit FROM sittings si JOIN papers p ON p.id = si.paper_id"
                     " WHERE si.code = ? COLLATE NOCASE", [code.strip()]).fetchone()
    return (row[0], row[1]) if row else None


@dataclass(frozen=True, slots=True)
class MarkedUnit:
    """A unit with marks given on screen, for the list a lead assessor chooses from."""

    qualification: str
    unit: str
    title: str | None
    sittings: int
    markers: int
    scripts_marked: int


def units_with_marking(db: Database) -> list[MarkedUnit]:
    return [MarkedUnit(*r) for r in db.execute(
        "SELECT p.qualification, p.unit, max(p.title), count(DISTINCT si.id), count(DISTINCT v.marked_by),"
        " count(DISTINCT v.script_id) FROM mark_versions v " + _UNIT_SCRIPTS.format(alias="v") +
        " WHERE v.role = 'marker' GROUP BY p.qualification, p.unit ORDER BY p.qualification, p.unit")]


@dataclass(frozen=True, slots=True)
class SavedMark:
    """One saved version of a mark (never an IQA adjustment or a review's mark) on a script of the unit."""

    script_id: int
    question_id: str
    version: int
    marks: int
    role: str
    marker: str
    marked_at: datetime
    paper_id: int
    code: str
    script_number: str


def saved_marks(db: Database, qualification: str, unit: str) -> list[SavedMark]:
    """Every marker's and importer's saved mark on the unit's scripts, oldest first."""
    return [SavedMark(r[0], r[1], r[2], r[3], r[4], r[5], parse_instant(r[6]), r[7], r[8], r[9]) for r in db.execute(
        "SELECT v.script_id, v.question_id, v.version, v.marks_awarded, v.role, st.name, v.marked_at, si.paper_id,"
        " si.code, s.script_number FROM mark_versions v " + _UNIT_SCRIPTS.format(alias="v") +
        f" JOIN staff st ON st.id = v.marked_by WHERE {by_a_marker('v')} AND {_UNIT_WHERE} ORDER BY v.id",
        [qualification, unit])]


def answers(db: Database, qualification: str, unit: str) -> dict[tuple[int, str], str]:
    """Every answer typed on the unit's scripts, by (script id, question id)."""
    return {(r[0], r[1]): r[2] for r in db.execute(
        "SELECT a.script_id, a.question_id, a.text FROM answers a " + _UNIT_SCRIPTS.format(alias="a") +
        f" WHERE {_UNIT_WHERE}", [qualification, unit])}


def definitive_marks(db: Database, qualification: str, unit: str) -> dict[tuple[int, str], int]:
    """The lead assessor's definitive mark for each answer of the paper's standardisation and control
    scripts (issue 18.1/18.2), by (script id, question id)."""
    return {(r[0], r[1]): r[2] for r in db.execute(
        "SELECT ss.script_id, dm.question_id, dm.marks FROM std_definitive_marks dm"
        " JOIN std_scripts ss ON ss.id = dm.std_script_id WHERE ss.qualification = ? AND ss.unit = ?",
        [qualification, unit])}


def iqa_marks(db: Database, qualification: str, unit: str) -> dict[tuple[int, str], int]:
    """The IQA's mark for each answer it judged: the marker's mark where the reviewer agreed, the
    reviewer's own where not; from the latest round of the latest review of each script."""
    out: dict[tuple[int, str], int] = {}
    for script_id, question_id, marker_mark, agree, reviewer_mark in db.execute(
            "SELECT rv.script_id, qr.question_id, qr.marker_mark, qr.agree, qr.reviewer_mark"
            " FROM iqa_question_reviews qr JOIN iqa_reviews rv ON rv.id = qr.review_id "
            + _UNIT_SCRIPTS.format(alias="rv") + f" WHERE {_UNIT_WHERE} ORDER BY rv.round, rv.id",
            [qualification, unit]):
        out[(script_id, question_id)] = marker_mark if agree else reviewer_mark  # later rounds win
    return out
