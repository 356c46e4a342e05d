"""Standardisation and control scripts as stored (migration m0011): every SQL of the area.

A paper here is a qualification and unit (any version, any sitting). Nothing in these tables is a
learner's mark: results and exports read ``marks``, never these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marker_tui.storage.database import Database, now_text, parse_instant, record_from_row


@dataclass(frozen=True, slots=True)
class ScriptWithPaper:
    """A live script with its sitting and paper (qualification, unit)."""

    id: int
    script_number: str
    finish: str | None
    sitting_id: int
    sitting_code: str
    paper_id: int
    qualification: str
    unit: str


@dataclass(frozen=True, slots=True)
class StdScript:
    """A practice, qualification or control script chosen by the lead assessor, with its source."""

    id: int
    qualification: str
    unit: str
    script_id: int
    kind: str
    position: int
    script_number: str
    finish: str | None
    sitting_code: str
    paper_id: int
    chosen_by_name: str
    chosen_at: datetime
    definitive_count: int
    question_count: int | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """A marker's marks of a standardisation script (a control script's too), compared when saved."""

    id: int
    std_script_id: int
    staff_id: int
    marker: str
    kind: str
    control_id: int | None
    marks: dict[str, int]
    given_total: int
    definitive_total: int
    within: bool
    summary: str
    marked_at: datetime
    script_number: str
    control_number: str | None
    control_sitting: str | None


@dataclass(frozen=True, slots=True)
class Decision:
    """The lead assessor's (or the automatic) decision on a marker and a paper."""

    id: int
    decision: str
    reason: str
    decided_at: datetime
    after_attempt: int
    decided_by_name: str | None


@dataclass(frozen=True, slots=True)
class PaperMarker:
    """A staff member who marks, or has marked, a paper."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Control:
    """A control script in a marker's queue of a live sitting."""

    id: int
    sitting_id: int
    staff_id: int
    std_script_id: int
    script_number: str
    assigned_at: datetime
    completed_at: datetime | None
    source_script_id: int
    sitting_code: str
    sitting_paper_id: int
    marker: str
    claimed_until: datetime | None = None  # held open by its marker until then (as a live script's claim)


@dataclass(frozen=True, slots=True)
class ControlMark:
    """A marker's mark of one question of a control script."""

    question_id: str
    marks_awarded: int
    credited_points: tuple[int, ...]
    comment: str | None
    version: int
    marked_at: datetime

_STD_SELECT = (
    "SELECT t.id, t.qualification, t.unit, t.script_id, t.kind, t.position, s.script_number, s.finish,"
    " si.code AS sitting_code, si.paper_id, st.name AS chosen_by_name, t.chosen_at,"
    " (SELECT count(*) FROM std_definitive_marks d WHERE d.std_script_id = t.id) AS definitive_count,"
    " json_array_length(pp.paper_json, '$.questions') AS question_count"
    " FROM std_scripts t JOIN scripts s ON s.id = t.script_id JOIN sittings si ON si.id = s.sitting_id"
    " JOIN papers pp ON pp.id = si.paper_id"
    " JOIN staff st ON st.id = t.chosen_by")


def script_with_paper(db: Database, script_id: int) -> ScriptWithPaper | None:
    """A script with its sitting and paper (qualification, unit)."""
    row = next(db.query(
        "SELECT s.id, s.script_number, s.finish, s.sitting_id, si.code AS sitting_code, si.paper_id,"
        " p.qualification, p.unit FROM scripts s JOIN sittings si ON si.id = s.sitting_id"
        " JOIN papers p ON p.id = si.paper_id WHERE s.id = ?", [script_id]), None)
    return None if row is None else record_from_row(ScriptWithPaper, row)


def sitting_paper(db: Database, sitting_id: int) -> tuple[str, str]:
    row = db.execute("SELECT p.qualification, p.unit FROM sittings si JOIN papers p ON p.id = si.paper_id"
                     " WHERE si.id = ?", [sitting_id]).fetchone()
    return (row[0], row[1])


def insert_std_script(db: Database, qualification: str, unit: str, script_id: int, kind: str, *,
                      staff_id: int, at: datetime) -> int:
    position = db.execute("SELECT coalesce(max(position), 0) + 1 FROM std_scripts WHERE qualification = ?"
                          " AND unit = ? AND kind = ?", [qualification, unit, kind]).fetchone()[0]
    cursor = db.execute("INSERT INTO std_scripts (qualification, unit, script_id, kind, position, chosen_by,"
                        " chosen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [qualification, unit, script_id, kind, position, staff_id, now_text(at)])
    return cursor.lastrowid


def _std_script(row: dict[str, Any]) -> StdScript:
    return record_from_row(StdScript, row, ("chosen_at",))


def std_script(db: Database, std_id: int) -> StdScript | None:
    row = next(db.query(_STD_SELECT + " WHERE t.id = ?", [std_id]), None)
    return None if row is None else _std_script(row)


def std_script_for(db: Database, script_id: int) -> StdScript | None:
    row = next(db.query(_STD_SELECT + " WHERE t.script_id = ?", [script_id]), None)
    return None if row is None else _std_script(row)


def std_scripts(db: Database, qualification: str, unit: str, kind: str | None = None) -> list[StdScript]:
    """The paper's standardisation scripts, by kind then the lead assessor's order."""
    where, params = " WHERE t.qualification = ? AND t.unit = ?", [qualification, unit]
    if kind is not None:
        where, params = where + " AND t.kind = ?", params + [kind]
    return [_std_script(r) for r in db.query(_STD_SELECT + where + " ORDER BY t.kind, t.position", params)]


def set_definitive(db: Database, std_id: int, question_id: str, marks: int, rationale: str, *,
                   staff_id: int, at: datetime) -> None:
    db.execute("INSERT INTO std_definitive_marks (std_script_id, question_id, marks, rationale, set_by, set_at)"
               " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (std_script_id, question_id) DO UPDATE SET"
               " marks = excluded.marks, rationale = excluded.rationale, set_by = excluded.set_by,"
               " set_at = excluded.set_at", [std_id, question_id, marks, rationale, staff_id, now_text(at)])


def definitive(db: Database, std_id: int) -> dict[str, tuple[int, str]]:
    return {q: (m, r) for q, m, r in db.execute(
        "SELECT question_id, marks, rationale FROM std_definitive_marks WHERE std_script_id = ?", [std_id])}


def answers(db: Database, script_id: int) -> dict[str, str]:
    return {q: t for q, t in db.execute("SELECT question_id, text FROM answers WHERE script_id = ?", [script_id])}


# --- markers' marks of standardisation scripts ------------------------------------------------


def insert_attempt(db: Database, std_id: int, staff_id: int, kind: str, marks: dict[str, int], *,
                   given_total: int, definitive_total: int, within: bool, summary: str, at: datetime,
                   control_id: int | None = None) -> int:
    cursor = db.execute(
        "INSERT INTO std_attempts (std_script_id, staff_id, kind, control_id, marks_json, given_total,"
        " definitive_total, within, summary, marked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [std_id, staff_id, kind, control_id, json.dumps(marks), given_total, definitive_total, int(within),
         summary, now_text(at)])
    return cursor.lastrowid


def attempts(db: Database, qualification: str, unit: str, *, staff_id: int | None = None,
             kind: str | None = None, after_id: int = 0) -> list[Attempt]:
    """Marked standardisation scripts of the paper, oldest first (``after_id``: newer than that)."""
    where = " WHERE t.qualification = ? AND t.unit = ? AND a.id > ?"
    params: list[Any] = [qualification, unit, after_id]
    if staff_id is not None:
        where, params = where + " AND a.staff_id = ?", params + [staff_id]
    if kind is not None:
        where, params = where + " AND a.kind = ?", params + [kind]
    rows = db.query(
        "SELECT a.id, a.std_script_id, a.staff_id, st.name AS marker, a.kind, a.control_id, a.marks_json,"
        " a.given_total, a.definitive_total, a.within, a.summary, a.marked_at, s.script_number,"
        " c.script_number AS control_number, cs.code AS control_sitting"
        " FROM std_attempts a JOIN std_scripts t ON t.id = a.std_script_id JOIN scripts s ON s.id = t.script_id"
        " JOIN staff st ON st.id = a.staff_id LEFT JOIN std_controls c ON c.id = a.control_id"
        " LEFT JOIN sittings cs ON cs.id = c.sitting_id" + where + " ORDER BY a.id", params)
    return [record_from_row(Attempt, {**r, "marks": json.loads(r["marks_json"]), "within": bool(r["within"])},
                            ("marked_at",)) for r in rows]


# --- the lead assessor's decisions --------------------------------------------------------------


def insert_decision(db: Database, qualification: str, unit: str, staff_id: int, decision: str, reason: str, *,
                    decided_by: int | None, at: datetime) -> int:
    return db.execute("INSERT INTO std_decisions (qualification, unit, staff_id, decision, reason, decided_by,"
                      " decided_at, after_attempt) VALUES (?, ?, ?, ?, ?, ?, ?,"
                      " (SELECT coalesce(max(id), 0) FROM std_attempts))",
                      [qualification, unit, staff_id, decision, reason, decided_by, now_text(at)]).lastrowid


def latest_decision(db: Database, qualification: str, unit: str, staff_id: int, *,
                    kinds: tuple[str, ...] = ("approved", "suspended", "reinstated")) -> Decision | None:
    row = next(db.query(
        "SELECT d.id, d.decision, d.reason, d.decided_at, d.after_attempt, st.name AS decided_by_name"
        " FROM std_decisions d LEFT JOIN staff st ON st.id = d.decided_by WHERE d.qualification = ? AND d.unit = ?"
        f" AND d.staff_id = ? AND d.decision IN ({', '.join('?' for _ in kinds)}) ORDER BY d.id DESC LIMIT 1",
        [qualification, unit, staff_id, *kinds]), None)
    return None if row is None else record_from_row(Decision, row, ("decided_at",))


def markers_of_paper(db: Database, qualification: str, unit: str) -> list[PaperMarker]:
    """Staff with the marker role, and anyone with an attempt or decision on the paper."""
    return [record_from_row(PaperMarker, r) for r in db.query(
        "SELECT DISTINCT st.id, st.name FROM staff st WHERE st.id IN (SELECT staff_id FROM staff_roles WHERE"
        " role = 'marker') OR st.id IN (SELECT a.staff_id FROM std_attempts a JOIN std_scripts t ON"
        " t.id = a.std_script_id WHERE t.qualification = ? AND t.unit = ?) OR st.id IN (SELECT staff_id FROM"
        " std_decisions WHERE qualification = ? AND unit = ?) ORDER BY st.name COLLATE NOCASE",
        [qualification, unit, qualification, unit])]


# --- control scripts in live queues -----------------------------------------------------------------


def insert_control(db: Database, sitting_id: int, staff_id: int, std_id: int, script_number: str, *,
                   at: datetime) -> int:
    return db.execute("INSERT INTO std_controls (sitting_id, staff_id, std_script_id, script_number, assigned_at)"
                      " VALUES (?, ?, ?, ?, ?)",
                      [sitting_id, staff_id, std_id, script_number, now_text(at)]).lastrowid


_CONTROL_SELECT = (
    "SELECT c.id, c.sitting_id, c.staff_id, c.std_script_id, c.script_number, c.assigned_at, c.completed_at,"
    " c.claimed_until, t.script_id AS source_script_id, si.code AS sitting_code, si.paper_id AS sitting_paper_id,"
    " st.name AS marker FROM std_controls c JOIN std_scripts t ON t.id = c.std_script_id"
    " JOIN sittings si ON si.id = c.sitting_id JOIN staff st ON st.id = c.staff_id")


def _control(row: dict[str, Any]) -> Control:
    return record_from_row(Control, row, ("assigned_at", "completed_at", "claimed_until"))


def control(db: Database, control_id: int) -> Control | None:
    row = next(db.query(_CONTROL_SELECT + " WHERE c.id = ?", [control_id]), None)
    return None if row is None else _control(row)


def controls_of(db: Database, sitting_id: int, staff_id: int) -> list[Control]:
    return [_control(r) for r in db.query(_CONTROL_SELECT + " WHERE c.sitting_id = ? AND c.staff_id = ?"
                                          " ORDER BY c.id", [sitting_id, staff_id])]


def controls_in_sitting(db: Database, sitting_id: int) -> list[Control]:
    """Every marker's control scripts in the sitting (what the lead assessor is told; never a marker)."""
    return [_control(r) for r in db.query(_CONTROL_SELECT + " WHERE c.sitting_id = ? ORDER BY c.id", [sitting_id])]


def control_std_ids_marked_by(db: Database, staff_id: int) -> set[int]:
    return {r[0] for r in db.execute("SELECT std_script_id FROM std_controls WHERE staff_id = ?", [staff_id])}


def complete_control(db: Database, control_id: int, at: datetime) -> None:
    db.execute("UPDATE std_controls SET completed_at = ?, claimed_until = NULL WHERE id = ?",
               [now_text(at), control_id])


def hold_control(db: Database, control_id: int, until: datetime | None) -> None:
    """Held open by its marker until ``until`` (None: let go)."""
    db.execute("UPDATE std_controls SET claimed_until = ? WHERE id = ?",
               [None if until is None else now_text(until), control_id])


def control_marks(db: Database, control_id: int) -> list[ControlMark]:
    return [ControlMark(question_id=r["question_id"], marks_awarded=r["marks_awarded"],
                        credited_points=tuple(json.loads(r["credited_points"] or "[]")), comment=r["comment"],
                        version=r["version"], marked_at=parse_instant(r["marked_at"]))
            for r in db.query("SELECT question_id, marks_awarded, credited_points, comment, version, marked_at"
                              " FROM std_control_marks WHERE control_id = ?", [control_id])]


def save_control_mark(db: Database, control_id: int, question_id: str, marks: int, points: list[int],
                      comment: str | None, *, at: datetime) -> int:
    """Store the mark; its new version."""
    row = db.execute("SELECT version FROM std_control_marks WHERE control_id = ? AND question_id = ?",
                     [control_id, question_id]).fetchone()
    version = (row[0] if row else 0) + 1
    db.execute("INSERT INTO std_control_marks (control_id, question_id, marks_awarded, credited_points, comment,"
               " version, marked_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (control_id, question_id) DO UPDATE"
               " SET marks_awarded = excluded.marks_awarded, credited_points = excluded.credited_points,"
               " comment = excluded.comment, version = excluded.version, marked_at = excluded.marked_at",
               [control_id, question_id, marks, json.dumps(points), comment, version, now_text(at)])
    return version


def script_numbers_in_use(db: Database, sitting_id: int) -> set[str]:
    """Live scripts' and control scripts' numbers in the sitting (a control takes a free one)."""
    return {r[0] for r in db.execute("SELECT script_number FROM scripts WHERE sitting_id = ? UNION"
                                     " SELECT script_number FROM std_controls WHERE sitting_id = ?",
                                     [sitting_id, sitting_id])}


def live_completed_by(db: Database, sitting_id: int, staff_id: int) -> int:
    """Live scripts of the sitting this marker marked complete."""
    return db.execute("SELECT count(*) FROM script_marking sm JOIN scripts s ON s.id = sm.script_id"
                      " WHERE s.sitting_id = ? AND sm.completed_by = ?", [sitting_id, staff_id]).fetchone()[0]


def release_open_claims(db: Database, qualification: str, unit: str, staff_id: int) -> list[str]:
    """Release the marker's claims on unfinished live scripts of the paper; their sittings' script numbers."""
    rows = db.execute(
        "SELECT sm.script_id, si.code, s.script_number FROM script_marking sm JOIN scripts s ON s.id = sm.script_id"
        " JOIN sittings si ON si.id = s.sitting_id JOIN papers p ON p.id = si.paper_id"
        " WHERE sm.claimed_by = ? AND sm.completed_at IS NULL AND p.qualification = ? AND p.unit = ?",
        [staff_id, qualification, unit]).fetchall()
    for script_id, _, _ in rows:
        db.execute("UPDATE script_marking SET claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL"
                   " WHERE script_id = ?", [script_id])
    return [f"{code} {number}" for _, code, number in rows]


def latest_paper_id(db: Database, qualification: str, unit: str) -> int | None:
    row = db.execute("SELECT id FROM papers WHERE qualification = ? AND unit = ? ORDER BY id DESC LIMIT 1",
                     [qualification, unit]).fetchone()
    return row[0] if row else None


def papers_with_scripts(db: Database) -> list[tuple[str, str]]:
    """(qualification, unit) of every paper that has been sat."""
    return [(q, u) for q, u in db.execute(
        "SELECT DISTINCT p.qualification, p.unit FROM sittings si JOIN papers p ON p.id = si.paper_id"
        " ORDER BY p.qualification, p.unit")]


def script_id_by_number(db: Database, sitting_id: int, script_number: str) -> int | None:
    row = db.execute("SELECT id FROM scripts WHERE sitting_id = ? AND script_number = ?",
                     [sitting_id, script_number]).fetchone()
    return row[0] if row else None


def controls_on_paper(db: Database, qualification: str, unit: str, staff_id: int) -> int:
    """Control scripts ever put in this marker's queues of sittings of the paper."""
    return db.execute("SELECT count(*) FROM std_controls c JOIN std_scripts t ON t.id = c.std_script_id"
                      " WHERE c.staff_id = ? AND t.qualification = ? AND t.unit = ?",
                      [staff_id, qualification, unit]).fetchone()[0]
