"""Sittings as stored: the one place a sitting is looked up by its code."""

from __future__ import annotations

from typing import Any

from marker_tui.storage.database import Database


def clean_code(code: str | None) -> str:
    """Sitting codes are typed by people: case and surrounding spaces do not matter."""
    return (code or "").strip().upper()


def no_such_sitting(code: str | None) -> str:
    """What every route says when a code matches no sitting."""
    cleaned = clean_code(code)
    return (f"There is no sitting with code {cleaned or '(empty)'}. Check the code "
            "(marker-tui sitting status CODE shows one).")


def sitting_by_code(db: Database, code: str | None) -> dict[str, Any] | None:
    """The sitting's row, or None. Callers raise their own error with :func:`no_such_sitting`."""
    cleaned = clean_code(code)
    if not cleaned:
        return None
    return next(db.query("SELECT * FROM sittings WHERE code = ?", [cleaned]), None)


def sitting_by_id(db: Database, sitting_id: int) -> dict[str, Any] | None:
    return next(db.query("SELECT * FROM sittings WHERE id = ?", [sitting_id]), None)


def code_taken(db: Database, code: str) -> bool:
    return db.execute("SELECT 1 FROM sittings WHERE code = ?", [clean_code(code)]).fetchone() is not None


def enrolment_counts(db: Database) -> dict[int, int]:
    """Candidates enrolled per sitting id, in one query (the sittings list shows every sitting)."""
    return {r[0]: r[1] for r in db.execute("SELECT sitting_id, count(*) FROM scripts GROUP BY sitting_id")}


def enrolled_script_id(db: Database, sitting_id: int, candidate_id: int) -> int | None:
    """The candidate's script in the sitting, or None when they are not enrolled in it."""
    row = db.execute("SELECT id FROM scripts WHERE sitting_id = ? AND candidate_id = ?",
                     [sitting_id, candidate_id]).fetchone()
    return None if row is None else row[0]


def script_id_by_candidate_number(db: Database, sitting_id: int, candidate_number: str) -> int | None:
    """The script of the candidate with this number (any case) in the sitting, or None."""
    row = db.execute("SELECT s.id FROM scripts s JOIN candidates c ON c.id = s.candidate_id"
                     " WHERE s.sitting_id = ? AND upper(c.candidate_number) = ?",
                     [sitting_id, candidate_number.strip().upper()]).fetchone()
    return None if row is None else row[0]
