"""Reviews of marking as stored (migration m0012): the review, its per-question decisions, and the
facts independence and "results shared" are decided from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from marker_tui.storage.database import Database, first_if_table, id_chunks, parse_instant, placeholders

#: What sharing results with learners looks like in the audit log (see domain/review_of_marking.py).
SHARED_ACTIONS = ("results exported", "feedback exported")


def results_shared_at(db: Database, sitting_id: int) -> datetime | None:
    """When the sitting's results (or a learner's feedback) were first exported, or None."""
    placeholders_ = ", ".join("?" for _ in SHARED_ACTIONS)
    row = db.execute(f"SELECT min(at) FROM audit_log WHERE sitting_id = ? AND action IN ({placeholders_})",
                     [sitting_id, *SHARED_ACTIONS]).fetchone()
    return parse_instant(row[0]) if row and row[0] else None


def everyone_who_marked(db: Database, script_id: int) -> set[str]:
    """Every name on any mark version of the script: who saved it (any role) and any paper marker."""
    rows = db.execute(
        "SELECT st.name, v.paper_marker FROM mark_versions v JOIN staff st ON st.id = v.marked_by"
        " WHERE v.script_id = ?", [script_id]).fetchall()
    return {name for name, _ in rows} | {paper for _, paper in rows if paper}


def iqa_reviewers(db: Database, script_id: int) -> set[str]:
    """Everyone who reviewed the script for IQA or second-marked it blind."""
    return {r[0] for r in db.execute(
        "SELECT st.name FROM iqa_reviews r JOIN staff st ON st.id = r.reviewer_id WHERE r.script_id = ?"
        " UNION SELECT st.name FROM iqa_second_markings m JOIN staff st ON st.id = m.second_marker_id"
        " WHERE m.script_id = ?", [script_id, script_id])}


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: int
    script_id: int
    sitting_id: int
    code: str
    script_number: str
    candidate_number: str
    candidate_name: str
    reason: str
    deadline: date
    reviewer: str
    reviewer_id: int
    opened_by: str
    opened_at: datetime
    completed_at: datetime | None
    outcome: str | None
    total_before: int | None
    total_after: int | None
    result_before: str | None
    result_after: str | None


_SELECT = (
    "SELECT r.id, r.script_id, s.sitting_id, si.code, s.script_number, c.candidate_number, c.name, r.reason,"
    " r.deadline, rv.name, r.reviewer_id, ob.name, r.opened_at, r.completed_at, r.outcome, r.total_before,"
    " r.total_after, r.result_before, r.result_after FROM marking_reviews r"
    " JOIN scripts s ON s.id = r.script_id JOIN sittings si ON si.id = s.sitting_id"
    " JOIN candidates c ON c.id = s.candidate_id JOIN staff rv ON rv.id = r.reviewer_id"
    " JOIN staff ob ON ob.id = r.opened_by"
)


def _record(row: tuple) -> ReviewRecord:
    values = list(row)
    values[8] = date.fromisoformat(values[8])
    values[12] = parse_instant(values[12])
    values[13] = parse_instant(values[13])
    return ReviewRecord(*values)


def review(db: Database, review_id: int) -> ReviewRecord | None:
    row = db.execute(_SELECT + " WHERE r.id = ?", [review_id]).fetchone()
    return None if row is None else _record(row)


def open_review_of(db: Database, script_id: int) -> ReviewRecord | None:
    row = db.execute(_SELECT + " WHERE r.script_id = ? AND r.completed_at IS NULL", [script_id]).fetchone()
    return None if row is None else _record(row)


def latest_review_of(db: Database, script_id: int) -> ReviewRecord | None:
    """The script's latest review of marking, open or finished."""
    return first_if_table(db, _SELECT + " WHERE r.script_id = ? ORDER BY r.id DESC LIMIT 1", [script_id], _record)


def reviews(db: Database, *, sitting_id: int | None = None, reviewer_id: int | None = None) -> list[ReviewRecord]:
    """Reviews, newest first; of one sitting and/or one reviewer when given."""
    where, params = [], []
    if sitting_id is not None:
        where.append("s.sitting_id = ?")
        params.append(sitting_id)
    if reviewer_id is not None:
        where.append("r.reviewer_id = ?")
        params.append(reviewer_id)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    return [_record(r) for r in db.execute(_SELECT + clause + " ORDER BY r.id DESC", params)]


def latest_outcomes(db: Database, script_ids: Sequence[int]) -> dict[int, ReviewRecord]:
    """Each script's latest review (open or finished), for the results export's column."""
    out: dict[int, ReviewRecord] = {}
    for chunk in id_chunks(script_ids):
        for row in db.execute(_SELECT + f" WHERE r.script_id IN ({placeholders(chunk)}) ORDER BY r.id", chunk):
            record = _record(row)
            out[record.script_id] = record
    return out


def insert_review(db: Database, *, script_id: int, reason: str, deadline: date, reviewer_id: int,
                  opened_by: int | None, at: str) -> int:
    cursor = db.execute(
        "INSERT INTO marking_reviews (script_id, reason, deadline, reviewer_id, opened_by, opened_at)"
        " VALUES (?, ?, ?, ?, ?, ?)", [script_id, reason, deadline.isoformat(), reviewer_id, opened_by, at])
    return int(cursor.lastrowid)


@dataclass(frozen=True, slots=True)
class QuestionDecisionRecord:
    question_id: str
    original_mark: int
    original_version: int
    decision: str
    new_mark: int | None
    reason: str
    decided_at: datetime


def decisions(db: Database, review_id: int) -> dict[str, QuestionDecisionRecord]:
    return {r[0]: QuestionDecisionRecord(*r[:6], parse_instant(r[6])) for r in db.execute(
        "SELECT question_id, original_mark, original_version, decision, new_mark, reason, decided_at"
        " FROM marking_review_questions WHERE review_id = ?", [review_id])}


def put_decision(db: Database, review_id: int, question_id: str, *, original_mark: int, original_version: int,
                 decision: str, new_mark: int | None, reason: str, at: str) -> None:
    db.execute(
        "INSERT INTO marking_review_questions (review_id, question_id, original_mark, original_version, decision,"
        " new_mark, reason, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (review_id, question_id)"
        " DO UPDATE SET original_mark = excluded.original_mark, original_version = excluded.original_version,"
        " decision = excluded.decision, new_mark = excluded.new_mark, reason = excluded.reason,"
        " decided_at = excluded.decided_at",
        [review_id, question_id, original_mark, original_version, decision, new_mark, reason, at])


def finish_review(db: Database, review_id: int, *, at: str, outcome: str, total_before: int, total_after: int,
                  result_before: str, result_after: str) -> None:
    db.execute(
        "UPDATE marking_reviews SET completed_at = ?, outcome = ?, total_before = ?, total_after = ?,"
        " result_before = ?, result_after = ? WHERE id = ?",
        [at, outcome, total_before, total_after, result_before, result_after, review_id])
