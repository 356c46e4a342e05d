"""Marks as stored: current marks, every saved version, and per-script marking state.

One definition of "who marked a script" lives here (:func:`by_a_marker`, used by
:func:`script_markers`): anyone with a saved mark version other than an IQA adjustment, in the
order they first marked it. ``tests/test_one_definition.py`` keeps that SQL in this one place.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from marker_tui.storage.database import Database, id_chunks, parse_instant, placeholders, record_from_row


def by_a_marker(version: str) -> str:
    """SQL: the ``mark_versions`` row aliased ``version`` was saved as marking: not an IQA adjustment,
    nor a review of marking's new mark (the reviewer did not mark the script)."""
    return f"{version}.role NOT IN ('iqa', 'review')"


@dataclass(frozen=True, slots=True)
class ScriptMarker:
    """Someone who marked a script (signed in), and when they last saved a mark on it."""

    name: str
    last_marked_at: datetime


def script_markers(db: Database, *, sitting_id: int | None = None,
                   script_ids: Sequence[int] | None = None) -> dict[int, list[ScriptMarker]]:
    """Who marked each script (never as an IQA adjustment or a review of marking), first marker first.

    Give ``sitting_id`` for every script of a sitting or ``script_ids`` for some.
    """
    out: dict[int, list[ScriptMarker]] = defaultdict(list)
    select = ("SELECT v.script_id, st.name, min(v.id) AS first, max(v.marked_at) AS last FROM mark_versions v"
              " JOIN staff st ON st.id = v.marked_by")
    tail = f" AND {by_a_marker('v')} GROUP BY v.script_id, v.marked_by ORDER BY first"
    if sitting_id is not None:
        batches: Iterable[tuple[str, list]] = [(
            " JOIN scripts s ON s.id = v.script_id WHERE s.sitting_id = ?", [sitting_id])]
    else:
        batches = ((f" WHERE v.script_id IN ({placeholders(c)})", c) for c in id_chunks(script_ids or ()))
    for where, params in batches:
        for script_id, name, _first, last in db.execute(select + where + tail, params):
            out[script_id].append(ScriptMarker(name=name, last_marked_at=parse_instant(last)))
    return out


def paper_markers(db: Database, script_ids: Sequence[int]) -> dict[int, set[str]]:
    """The paper markers named in imported mark files, per script (they marked it too, on paper)."""
    out: dict[int, set[str]] = defaultdict(set)
    for chunk in id_chunks(script_ids):
        for script_id, name in db.execute(
                f"SELECT DISTINCT script_id, paper_marker FROM mark_versions WHERE script_id IN"
                f" ({placeholders(chunk)}) AND role = 'import' AND paper_marker IS NOT NULL", chunk):
            out[script_id].add(name)
    return out


@dataclass(frozen=True, slots=True)
class CurrentMark:
    """A question's mark as it stands, with who gave it and in what role."""

    script_id: int
    question_id: str
    marks_awarded: int
    comment: str | None
    marked_at: str
    role: str
    marker_name: str
    paper_marker: str | None


def sitting_marks(db: Database, sitting_id: int) -> list[CurrentMark]:
    """Every current mark on the sitting's scripts."""
    return [CurrentMark(*row) for row in db.execute(
        "SELECT m.script_id, m.question_id, m.marks_awarded, m.comment, m.marked_at, m.role,"
        " coalesce(st.name, '?'), m.paper_marker FROM marks m JOIN scripts s ON s.id = m.script_id"
        " LEFT JOIN staff st ON st.id = m.marked_by WHERE s.sitting_id = ?", [sitting_id])]


def blind_marking(db: Database, sitting_id: int) -> bool:
    """Whether the sitting is marked blind (the default until an admin turns it off)."""
    row = db.execute("SELECT blind FROM sitting_marking_settings WHERE sitting_id = ?", [sitting_id]).fetchone()
    return True if row is None else bool(row[0])


class MarkingProgress(NamedTuple):
    submitted: int
    unfinished: int
    """Of the submitted scripts, those not yet marked complete."""


def submitted_and_unfinished(db: Database, sitting_id: int) -> MarkingProgress:
    """(scripts submitted, of which not yet marked complete) in a sitting."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(sm.completed_at IS NULL), 0) FROM scripts s LEFT JOIN script_marking sm"
        " ON sm.script_id = s.id WHERE s.sitting_id = ? AND s.finish IS NOT NULL AND s.finish != 'absent'",
        [sitting_id]).fetchone()
    return MarkingProgress(row[0], row[1])


@dataclass(frozen=True, slots=True)
class ResultsScript:
    """A script with its candidate, completion and overall feedback (results and documents)."""

    id: int
    script_number: str
    finish: str | None
    candidate_number: str
    name: str
    completed_at: datetime | None
    completed_name: str | None
    overall_feedback: str | None
    next_steps: str | None


def sitting_scripts_for_results(db: Database, sitting_id: int) -> list[ResultsScript]:
    """The sitting's scripts with candidate, completion and overall feedback, for results and documents."""
    return [record_from_row(ResultsScript, r, ("completed_at",)) for r in db.query(
        "SELECT s.id, s.script_number, s.finish, c.candidate_number, c.name, sm.completed_at,"
        " cp.name AS completed_name, sm.overall_feedback, sm.next_steps FROM scripts s"
        " JOIN candidates c ON c.id = s.candidate_id LEFT JOIN script_marking sm ON sm.script_id = s.id"
        " LEFT JOIN staff cp ON cp.id = sm.completed_by WHERE s.sitting_id = ?", [sitting_id])]


# -- marking: scripts as markers see them ------------------------------------------------------------
# A current mark with the marker's name (a ScriptMark; the service turns it into StoredMark).
# ``m.*``: a database from before paper markers (migration 5) is read while it is upgraded.
_MARK_SELECT = "SELECT m.*, st.name AS marker_name FROM marks m JOIN staff st ON st.id = m.marked_by"

_SCRIPT_SELECT = (
    "SELECT s.id, s.sitting_id, s.script_number, s.finish, s.submitted_at, c.candidate_number, c.name,"
    " si.code, si.paper_id, si.state AS sitting_state FROM scripts s"
    " JOIN candidates c ON c.id = s.candidate_id JOIN sittings si ON si.id = s.sitting_id"
)

_MARKING_STATE = ("SELECT sm.*, st.name AS claimed_name, cp.name AS completed_name FROM script_marking sm"
                  " LEFT JOIN staff st ON st.id = sm.claimed_by LEFT JOIN staff cp ON cp.id = sm.completed_by")
_CLAIM_INSTANTS = ("claimed_at", "claim_expires_at", "completed_at")


@dataclass(frozen=True, slots=True)
class MarkingScript:
    """A script with its candidate and sitting, as the marking service needs it."""

    id: int
    sitting_id: int
    script_number: str
    finish: str | None
    submitted_at: datetime | None
    candidate_number: str
    name: str
    code: str
    paper_id: int
    sitting_state: str


def script_for_marking(db: Database, script_id: int) -> MarkingScript | None:
    """A script with its candidate and sitting, as the marking service needs it."""
    row = next(db.query(_SCRIPT_SELECT + " WHERE s.id = ?", [script_id]), None)
    return None if row is None else record_from_row(MarkingScript, row, ("submitted_at",))


def scripts_for_marking(db: Database, sitting_id: int) -> dict[str, MarkingScript]:
    """The sitting's scripts as :func:`script_for_marking` gives them, by script number."""
    return {r["script_number"]: record_from_row(MarkingScript, r, ("submitted_at",))
            for r in db.query(_SCRIPT_SELECT + " WHERE s.sitting_id = ?", [sitting_id])}


def script_id_by_number(db: Database, sitting_id: int, script_number: str) -> int | None:
    row = db.execute("SELECT id FROM scripts WHERE sitting_id = ? AND script_number = ?",
                     [sitting_id, script_number]).fetchone()
    return None if row is None else row[0]


def next_markable(db: Database, sitting_id: int, *, staff_id: int, now: str, after: str | None) -> int | None:
    """One query (it runs on every "next script"): not complete; free, lapsed or this marker's;
    theirs first, then the first after ``after``, else wrap round to the first."""
    row = db.execute(
        "SELECT s.id FROM scripts s LEFT JOIN script_marking sm ON sm.script_id = s.id"
        " WHERE s.sitting_id = :sitting AND s.finish IS NOT NULL AND s.finish != 'absent'"
        " AND sm.completed_at IS NULL AND s.script_number != coalesce(:after, '')"
        " AND (sm.claimed_by IS NULL OR sm.claim_expires_at <= :now OR sm.claimed_by = :me)"
        " ORDER BY (sm.claimed_by = :me AND sm.claim_expires_at > :now) DESC,"
        " (s.script_number > coalesce(:after, '')) DESC, s.script_number LIMIT 1",
        {"sitting": sitting_id, "now": now, "me": staff_id, "after": after}).fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True, slots=True)
class MarkableRef:
    """A submitted script with its claim, completion and whether anything is marked or drafted on it."""

    id: int
    script_number: str
    claimed_by: int | None
    claimed_at: datetime | None
    claim_expires_at: datetime | None
    claimed_name: str | None
    completed_at: datetime | None
    marked: bool
    drafted: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "marked", bool(self.marked))
        object.__setattr__(self, "drafted", bool(self.drafted))


def markable_refs(db: Database, sitting_id: int) -> list[MarkableRef]:
    """Submitted scripts in number order with claim, completion and whether anything is marked or drafted."""
    return [record_from_row(MarkableRef, r, _CLAIM_INSTANTS) for r in db.query(
        "SELECT s.id, s.script_number, sm.claimed_by, sm.claimed_at, sm.claim_expires_at,"
        " cl.name AS claimed_name, sm.completed_at,"
        " EXISTS (SELECT 1 FROM marks m WHERE m.script_id = s.id) AS marked,"
        " EXISTS (SELECT 1 FROM mark_drafts d WHERE d.script_id = s.id) AS drafted"
        " FROM scripts s LEFT JOIN script_marking sm ON sm.script_id = s.id"
        " LEFT JOIN staff cl ON cl.id = sm.claimed_by"
        " WHERE s.sitting_id = ? AND s.finish IS NOT NULL AND s.finish != 'absent'"
        " ORDER BY s.script_number", [sitting_id])]


@dataclass(frozen=True, slots=True)
class QueueScript:
    """A script of the marking queue with its candidate, claim and completion."""

    id: int
    script_number: str
    finish: str | None
    candidate_number: str
    name: str
    claimed_by: int | None
    claimed_at: datetime | None
    claim_expires_at: datetime | None
    claimed_name: str | None
    completed_name: str | None
    completed_at: datetime | None


def queue_rows(db: Database, sitting_id: int) -> list[QueueScript]:
    """Every script of the sitting with candidate, claim and completion, by script number."""
    return [record_from_row(QueueScript, r, _CLAIM_INSTANTS) for r in db.query(
        "SELECT s.id, s.script_number, s.finish, c.candidate_number, c.name, sm.claimed_by, sm.claimed_at,"
        " sm.claim_expires_at, cl.name AS claimed_name, cp.name AS completed_name, sm.completed_at"
        " FROM scripts s JOIN candidates c ON c.id = s.candidate_id"
        " LEFT JOIN script_marking sm ON sm.script_id = s.id LEFT JOIN staff cl ON cl.id = sm.claimed_by"
        " LEFT JOIN staff cp ON cp.id = sm.completed_by WHERE s.sitting_id = ? ORDER BY s.script_number",
        [sitting_id])]


def answers_to_question(db: Database, sitting_id: int, question_id: str) -> dict[int, str]:
    """Every script's saved answer to one question."""
    return {r[0]: r[1] for r in db.execute(
        "SELECT a.script_id, a.text FROM answers a JOIN scripts s ON s.id = a.script_id"
        " WHERE s.sitting_id = ? AND a.question_id = ?", [sitting_id, question_id])}


def script_answers(db: Database, script_id: int) -> dict[str, str]:
    return {r[0]: r[1] for r in db.execute("SELECT question_id, text FROM answers WHERE script_id = ?", [script_id])}


# -- current marks and their history --------------------------------------------------------------
def _mark_record(cls, row: dict):
    """A ScriptMark or MarkVersionRecord from a ``marks``/``mark_versions`` row with the marker's name."""
    return record_from_row(cls, {**row, "credited_points": tuple(json.loads(row["credited_points"] or "[]"))},
                           ("marked_at",))


def _script_marks(db: Database, where: str, params: list) -> list[ScriptMark]:
    return [_mark_record(ScriptMark, r) for r in db.query(_MARK_SELECT + where, params)]


def marks_on_question(db: Database, sitting_id: int, question_id: str) -> dict[int, ScriptMark]:
    return {m.script_id: m for m in _script_marks(
        db, " JOIN scripts s ON s.id = m.script_id WHERE s.sitting_id = ? AND m.question_id = ?",
        [sitting_id, question_id])}


def marks_in_sitting(db: Database, sitting_id: int) -> dict[tuple[int, str], ScriptMark]:
    return {(m.script_id, m.question_id): m for m in _script_marks(
        db, " JOIN scripts s ON s.id = m.script_id WHERE s.sitting_id = ?", [sitting_id])}


def marks_of_script(db: Database, script_id: int) -> dict[str, ScriptMark]:
    return {m.question_id: m for m in _script_marks(db, " WHERE m.script_id = ?", [script_id])}


class LightMark(NamedTuple):
    """A current mark as the queue of 500 scripts needs it fast: credited points still JSON text."""

    script_id: int
    question_id: str
    marks_awarded: int
    credited_points: str
    marker_name: str
    role: str
    paper_marker: str | None


class MarkGiven(NamedTuple):
    marker_name: str
    script_id: int


def light_marks(db: Database, sitting_id: int) -> list[LightMark]:
    """Every current mark of the sitting (a named tuple each: cheap, as the queue needs)."""
    return [LightMark._make(r) for r in db.execute(
        "SELECT m.script_id, m.question_id, m.marks_awarded, m.credited_points, st.name, m.role, m.paper_marker"
        " FROM marks m JOIN staff st ON st.id = m.marked_by JOIN scripts s ON s.id = m.script_id"
        " WHERE s.sitting_id = ?", [sitting_id])]


def marker_question_counts(db: Database, sitting_id: int) -> list[MarkGiven]:
    """(marker name, script id) of every current mark in the sitting."""
    return [MarkGiven._make(r) for r in db.execute(
        "SELECT st.name, m.script_id FROM marks m JOIN staff st ON st.id = m.marked_by"
        " JOIN scripts s ON s.id = m.script_id WHERE s.sitting_id = ?", [sitting_id])]


def marked_per_question(db: Database, sitting_id: int) -> dict[str, int]:
    return dict(db.execute("SELECT m.question_id, count(*) FROM marks m JOIN scripts s ON s.id = m.script_id"
                           " WHERE s.sitting_id = ? GROUP BY m.question_id", [sitting_id]).fetchall())


@dataclass(frozen=True, slots=True)
class MarkVersionRecord:
    """One saved value of a question's mark, with the marker's name and the reason given."""

    script_id: int
    question_id: str
    marks_awarded: int
    version: int
    credited_points: tuple[int, ...]
    comment: str | None
    marked_by: int
    marked_at: datetime
    role: str
    marker_name: str
    reason: str | None
    paper_marker: str | None = None
    reason_code: str | None = None  # why a written answer earned 0 (domain/not_attempted.py)


def mark_versions(db: Database, script_id: int, question_id: str | None = None) -> list[MarkVersionRecord]:
    """Every saved value of a script's marks (one question, or all), oldest first."""
    where, params = "v.script_id = ?", [script_id]
    if question_id is not None:
        where += " AND v.question_id = ?"
        params.append(question_id)
    return [_mark_record(MarkVersionRecord, r) for r in db.query(
        "SELECT v.*, st.name AS marker_name FROM mark_versions v JOIN staff st"
        f" ON st.id = v.marked_by WHERE {where} ORDER BY v.id", params)]


def put_mark(db: Database, script_id: int, question_id: str, *, marks: int, points_json: str, comment: str | None,
             staff_id: int | None, at: str, role: str, version: int, reason: str | None,
             paper_marker: str | None, had_paper_marker: bool, reason_code: str | None = None,
             had_reason_code: bool = False) -> None:
    """Write a question's current mark and append the version to its history, in the caller's transaction."""
    db.execute(
        "INSERT INTO marks (script_id, question_id, marks_awarded, credited_points, comment, marked_by,"
        " marked_at, role, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (script_id, question_id) DO UPDATE SET marks_awarded = excluded.marks_awarded,"
        " credited_points = excluded.credited_points, comment = excluded.comment,"
        " marked_by = excluded.marked_by, marked_at = excluded.marked_at, role = excluded.role,"
        " version = excluded.version",
        [script_id, question_id, marks, points_json, comment, staff_id, at, role, version])
    if reason_code is not None or had_reason_code:  # the reason for a 0 (m0012), like the paper marker
        db.execute("UPDATE marks SET reason_code = ? WHERE script_id = ? AND question_id = ?",
                   [reason_code, script_id, question_id])
    # The paper marker columns (migration 5) are written only by imports and what replaces an
    # imported mark, so marking on screen writes exactly what it did before they existed; the
    # reason for a 0 (migration m0012) only where one is given.
    extras = {k: v for k, v in (("paper_marker", paper_marker), ("reason_code", reason_code)) if v is not None}
    names = "".join(f", {k}" for k in extras)
    db.execute(
        "INSERT INTO mark_versions (script_id, question_id, version, marks_awarded, credited_points, comment,"
        f" marked_by, marked_at, role, reason{names}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?{', ?' * len(extras)})",
        [script_id, question_id, version, marks, points_json, comment, staff_id, at, role, reason,
         *extras.values()])
    if paper_marker is not None or had_paper_marker:
        db.execute("UPDATE marks SET paper_marker = ? WHERE script_id = ? AND question_id = ?",
                   [paper_marker, script_id, question_id])


# -- drafts --------------------------------------------------------------------------------------------
def put_draft(db: Database, script_id: int, question_id: str, staff_id: int, *, marks_text: str, points_json: str,
              comment: str, base_version: int, at: str) -> None:
    db.execute(
        "INSERT INTO mark_drafts (script_id, question_id, staff_id, marks_text, credited_points, comment,"
        " base_version, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (script_id, question_id, staff_id) DO UPDATE SET marks_text = excluded.marks_text,"
        " credited_points = excluded.credited_points, comment = excluded.comment,"
        " base_version = excluded.base_version, updated_at = excluded.updated_at",
        [script_id, question_id, staff_id, marks_text, points_json, comment, base_version, at])


def drop_draft(db: Database, script_id: int, question_id: str, staff_id: int | None) -> None:
    db.execute("DELETE FROM mark_drafts WHERE script_id = ? AND question_id = ? AND staff_id = ?",
               [script_id, question_id, staff_id])


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """What one marker typed for a question but has not saved."""

    question_id: str
    marks_text: str
    credited_points: tuple[int, ...]
    comment: str
    base_version: int
    updated_at: datetime


def drafts_of(db: Database, script_id: int, staff_id: int) -> list[DraftRecord]:
    return [DraftRecord(r["question_id"], r["marks_text"], tuple(json.loads(r["credited_points"] or "[]")),
                        r["comment"], r["base_version"], parse_instant(r["updated_at"]))
            for r in db.query("SELECT * FROM mark_drafts WHERE script_id = ? AND staff_id = ?", [script_id, staff_id])]


def scripts_with_drafts(db: Database, sitting_id: int) -> set[int]:
    return {r[0] for r in db.execute("SELECT DISTINCT d.script_id FROM mark_drafts d JOIN scripts s"
                                     " ON s.id = d.script_id WHERE s.sitting_id = ?", [sitting_id])}


# -- per-script marking state: claims, completion, overall feedback -----------------------------------
@dataclass(frozen=True, slots=True)
class MarkingState:
    """A script's claim (who holds it, until when), completion and overall feedback."""

    script_id: int
    claimed_by: int | None
    claimed_at: datetime | None
    claim_expires_at: datetime | None
    claimed_name: str | None
    completed_by: int | None
    completed_at: datetime | None
    completed_name: str | None
    overall_feedback: str | None
    next_steps: str | None


def marking_state(db: Database, script_id: int) -> MarkingState | None:
    row = next(db.query(_MARKING_STATE + " WHERE sm.script_id = ?", [script_id]), None)
    return None if row is None else record_from_row(MarkingState, row, _CLAIM_INSTANTS)


def marking_states(db: Database, sitting_id: int) -> dict[int, MarkingState]:
    return {r["script_id"]: record_from_row(MarkingState, r, _CLAIM_INSTANTS) for r in db.query(
        "SELECT sm.*, st.name AS claimed_name, cp.name AS completed_name FROM script_marking sm"
        " JOIN scripts s ON s.id = sm.script_id LEFT JOIN staff st ON st.id = sm.claimed_by"
        " LEFT JOIN staff cp ON cp.id = sm.completed_by WHERE s.sitting_id = ?", [sitting_id])}


def ensure_marking_state(db: Database, script_id: int) -> None:
    db.execute("INSERT OR IGNORE INTO script_marking (script_id) VALUES (?)", [script_id])


def set_claim(db: Database, script_id: int, staff_id: int | None, *, claimed_at: str, expires_at: str) -> None:
    db.execute("UPDATE script_marking SET claimed_by = ?, claimed_at = ?, claim_expires_at = ? WHERE script_id = ?",
               [staff_id, claimed_at, expires_at, script_id])


def extend_claim(db: Database, script_id: int, expires_at: str) -> None:
    db.execute("UPDATE script_marking SET claim_expires_at = ? WHERE script_id = ?", [expires_at, script_id])


def release_claim(db: Database, script_id: int, staff_id: int) -> None:
    db.execute("UPDATE script_marking SET claimed_by = NULL, claimed_at = NULL, claim_expires_at = NULL"
               " WHERE script_id = ? AND claimed_by = ?", [script_id, staff_id])


def set_complete(db: Database, script_id: int, staff_id: int | None, at: str) -> None:
    """Marked complete: the claim ends with it."""
    db.execute("UPDATE script_marking SET completed_by = ?, completed_at = ?, claimed_by = NULL,"
               " claimed_at = NULL, claim_expires_at = NULL WHERE script_id = ?", [staff_id, at, script_id])


def set_overall_feedback(db: Database, script_id: int, overall: str | None, next_steps: str | None) -> None:
    db.execute("UPDATE script_marking SET overall_feedback = ?, next_steps = ? WHERE script_id = ?",
               [overall, next_steps, script_id])


# -- comment bank and blind marking ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BankEntry:
    """One reusable comment of a question's bank, with who added it and when."""

    id: int
    question_id: str
    text: str
    added_by: str
    added_at: datetime


def bank_comments(db: Database, paper_id: int, question_id: str) -> list[BankEntry]:
    return [BankEntry(r["id"], r["question_id"], r["text"], r["name"], parse_instant(r["added_at"]))
            for r in db.query("SELECT b.*, st.name FROM comment_bank b JOIN staff st ON st.id = b.added_by"
                              " WHERE b.paper_id = ? AND b.question_id = ? ORDER BY b.id", [paper_id, question_id])]


def bank_has(db: Database, paper_id: int, question_id: str, text: str) -> bool:
    return db.execute("SELECT 1 FROM comment_bank WHERE paper_id = ? AND question_id = ? AND text = ?",
                      [paper_id, question_id, text]).fetchone() is not None


def add_to_bank(db: Database, paper_id: int, question_id: str, text: str, staff_id: int | None, at: str) -> None:
    db.execute("INSERT INTO comment_bank (paper_id, question_id, text, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
               [paper_id, question_id, text, staff_id, at])


@dataclass(frozen=True, slots=True)
class BlindSettingRecord:
    blind: bool
    changed_by: str
    changed_at: datetime


def blind_setting_row(db: Database, sitting_id: int) -> BlindSettingRecord | None:
    """The sitting's blind-marking setting with who last changed it, or None (never changed: blind)."""
    row = next(db.query("SELECT m.*, st.name FROM sitting_marking_settings m JOIN staff st ON st.id = m.changed_by"
                        " WHERE m.sitting_id = ?", [sitting_id]), None)
    return None if row is None else BlindSettingRecord(bool(row["blind"]), row["name"], parse_instant(row["changed_at"]))


def set_blind_marking(db: Database, sitting_id: int, blind: bool, staff_id: int | None, at: str) -> None:
    db.execute(
        "INSERT INTO sitting_marking_settings (sitting_id, blind, changed_by, changed_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (sitting_id) DO UPDATE SET blind = excluded.blind, changed_by = excluded.changed_by,"
        " changed_at = excluded.changed_at", [sitting_id, int(bool(blind)), staff_id, at])


@dataclass(frozen=True, slots=True)
class ScriptMark:
    """A question's current mark on a script, with the marker's id and name (for review and results)."""

    script_id: int
    question_id: str
    marks_awarded: int
    version: int
    credited_points: tuple[int, ...]
    comment: str | None
    marked_by: int
    marked_at: datetime
    role: str
    marker_name: str
    paper_marker: str | None = None
    reason_code: str | None = None  # why a written answer earned 0 (domain/not_attempted.py)


def current_marks(db: Database, script_ids: Sequence[int]) -> dict[int, dict[str, ScriptMark]]:
    """Each script's current marks by question id."""
    out: dict[int, dict[str, ScriptMark]] = defaultdict(dict)
    for chunk in id_chunks(script_ids):
        for (script_id, question_id, awarded, version, points, comment, by, at, role, name) in db.execute(
                "SELECT m.script_id, m.question_id, m.marks_awarded, m.version, m.credited_points, m.comment,"
                " m.marked_by, m.marked_at, m.role, st.name FROM marks m JOIN staff st ON st.id = m.marked_by"
                f" WHERE m.script_id IN ({placeholders(chunk)})", chunk):
            out[script_id][question_id] = ScriptMark(
                script_id=script_id, question_id=question_id, marks_awarded=awarded, version=version,
                credited_points=tuple(json.loads(points)), comment=comment, marked_by=by,
                marked_at=parse_instant(at), role=role, marker_name=name)
    return out


@dataclass(frozen=True, slots=True)
class MarkerMark:
    """A question's latest mark given as marking (never an IQA adjustment), and who gave it."""

    marks_awarded: int
    marker_name: str


def marker_marks(db: Database, script_ids: Sequence[int]) -> dict[int, dict[str, MarkerMark]]:
    """Each script's latest marker's mark per question (what a blind second mark is compared with)."""
    out: dict[int, dict[str, MarkerMark]] = defaultdict(dict)
    for chunk in id_chunks(script_ids):
        for script_id, question_id, value, name in db.execute(
                "SELECT v.script_id, v.question_id, v.marks_awarded, st.name FROM mark_versions v"
                f" JOIN staff st ON st.id = v.marked_by WHERE v.script_id IN ({placeholders(chunk)})"
                f" AND {by_a_marker('v')} AND v.version = (SELECT max(w.version) FROM mark_versions w"
                f" WHERE w.script_id = v.script_id AND w.question_id = v.question_id AND {by_a_marker('w')})",
                chunk):
            out[script_id][question_id] = MarkerMark(marks_awarded=value, marker_name=name)
    return out


def everyone_who_marked(db: Database, script_ids: Sequence[int]) -> dict[int, list[str]]:
    """Signed-in markers and named paper markers of each script, in name order (who may not review it)."""
    signed_in = script_markers(db, script_ids=script_ids)
    on_paper = paper_markers(db, script_ids)
    out: dict[int, list[str]] = {}
    for script_id in set(signed_in) | set(on_paper):
        # sorted() on str is SQLite's BINARY order: the order plans have always stored.
        out[script_id] = sorted({m.name for m in signed_in.get(script_id, ())} | on_paper.get(script_id, set()))
    return out


@dataclass(frozen=True, slots=True)
class IqaChange:
    """A question whose current mark IQA gave: what the marker had given before, and why."""

    marker_mark: int
    reason: str | None


def iqa_changes(db: Database, sitting_id: int) -> dict[tuple[int, str], IqaChange]:
    """Questions of the sitting whose current mark is an IQA adjustment, with the marker's last mark."""
    changes: dict[tuple[int, str], IqaChange] = {}
    for script_id, question_id, reason, marker_mark in db.execute(
        "SELECT m.script_id, m.question_id,"
        " (SELECT v.reason FROM mark_versions v WHERE v.script_id = m.script_id AND v.question_id = m.question_id"
        "  AND v.version = m.version),"
        " (SELECT w.marks_awarded FROM mark_versions w WHERE w.script_id = m.script_id"
        f"  AND w.question_id = m.question_id AND {by_a_marker('w')} ORDER BY w.version DESC LIMIT 1)"
        " FROM marks m JOIN scripts s ON s.id = m.script_id WHERE s.sitting_id = ? AND m.role = 'iqa'",
        [sitting_id],
    ):
        if marker_mark is not None:
            changes[(script_id, question_id)] = IqaChange(marker_mark=marker_mark, reason=reason)
    return changes
