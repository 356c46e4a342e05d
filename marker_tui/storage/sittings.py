"""Sittings as stored: the one place a sitting is looked up by its code.

Reads return typed records (:class:`Sitting`, :class:`Pause`, :class:`Extension`) with
instants as datetimes, so services never index rows by column name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marker_tui.domain.sitting_states import SittingState
from marker_tui.storage.database import Database, record_from_row


class _Record:
    """Frozen record helpers: a record from a query's row (read by attribute, never by column name)."""

    @classmethod
    def _from_row(cls, row: dict[str, Any], instants: tuple[str, ...]):
        return record_from_row(cls, row, instants)


@dataclass(frozen=True)
class Sitting(_Record):
    id: int
    code: str
    paper_id: int
    state: SittingState
    scheduled_start: datetime | None
    opened_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    created_by: int | None
    created_at: datetime | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", SittingState(self.state))


@dataclass(frozen=True)
class Pause(_Record):
    """A pause of the whole room (``script_id`` None) or of one candidate; open while ``ended_at`` is None."""

    id: int
    sitting_id: int
    script_id: int | None
    started_at: datetime
    ended_at: datetime | None
    reason: str
    resume_reason: str | None
    started_by: int | None
    ended_by: int | None


@dataclass(frozen=True)
class Extension(_Record):
    id: int
    script_id: int
    minutes: int
    reason: str
    granted_by: int
    granted_by_name: str
    granted_at: datetime


_SITTING_INSTANTS = ("scheduled_start", "opened_at", "started_at", "ended_at", "created_at")


def _sitting(row: dict[str, Any] | None) -> Sitting | None:
    return None if row is None else Sitting._from_row(row, _SITTING_INSTANTS)


def clean_code(code: str | None) -> str:
    """Sitting codes are typed by people: case and surrounding spaces do not matter."""
    return (code or "").strip().upper()


def no_such_sitting(code: str | None) -> str:
    """What every route says when a code matches no sitting."""
    cleaned = clean_code(code)
    return (f"There is no sitting with code {cleaned or '(empty)'}. Check the code "
            "(marker-tui sitting status CODE shows one).")


def sitting_by_code(db: Database, code: str | None) -> Sitting | None:
    """The sitting, or None. Callers raise their own error with :func:`no_such_sitting`."""
    cleaned = clean_code(code)
    if not cleaned:
        return None
    return _sitting(next(db.query("SELECT * FROM sittings WHERE code = ?", [cleaned]), None))


def sitting_by_id(db: Database, sitting_id: int) -> Sitting | None:
    return _sitting(next(db.query("SELECT * FROM sittings WHERE id = ?", [sitting_id]), None))


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


# -- the sitting's life: its row, pauses and extensions ------------------------------------------
def all_sittings(db: Database) -> list[Sitting]:
    return [_sitting(r) for r in db.query("SELECT * FROM sittings ORDER BY id")]


def running_codes(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT code FROM sittings WHERE state = 'running'")]


def insert_sitting(db: Database, code: str, paper_id: int, *, scheduled_start: str | None, created_by: int | None,
                   created_at: str) -> int:
    return db.execute(
        "INSERT INTO sittings (code, paper_id, state, scheduled_start, created_by, created_at)"
        " VALUES (?, ?, 'scheduled', ?, ?, ?)", [code, paper_id, scheduled_start, created_by, created_at]).lastrowid


def mark_opened(db: Database, sitting_id: int, at: str) -> None:
    db.execute("UPDATE sittings SET state = 'open', opened_at = ? WHERE id = ?", [at, sitting_id])


def mark_running(db: Database, sitting_id: int, at: str) -> None:
    db.execute("UPDATE sittings SET state = 'running', started_at = ? WHERE id = ?", [at, sitting_id])


def mark_ended(db: Database, sitting_id: int, at: str, reason: str) -> None:
    db.execute("UPDATE sittings SET state = 'ended', ended_at = ?, end_reason = ? WHERE id = ?",
               [at, reason, sitting_id])


def pauses_of(db: Database, sitting_id: int, script_id: int | None = None) -> list[Pause]:
    """The sitting's pauses (room-wide and per script), oldest first; with ``script_id``, only
    the room's and that script's."""
    if script_id is None:
        rows = db.query("SELECT * FROM pauses WHERE sitting_id = ? ORDER BY started_at, id", [sitting_id])
    else:
        rows = db.query("SELECT * FROM pauses WHERE sitting_id = ? AND (script_id IS NULL OR script_id = ?)"
                        " ORDER BY started_at, id", [sitting_id, script_id])
    return [Pause._from_row(r, ("started_at", "ended_at")) for r in rows]


def room_paused(db: Database, sitting_id: int) -> bool:
    return db.execute("SELECT 1 FROM pauses WHERE sitting_id = ? AND script_id IS NULL AND ended_at IS NULL",
                      [sitting_id]).fetchone() is not None


def insert_pause(db: Database, sitting_id: int, *, script_id: int | None, at: str, reason: str,
                 by: int | None) -> None:
    db.execute("INSERT INTO pauses (sitting_id, script_id, started_at, reason, started_by) VALUES (?, ?, ?, ?, ?)",
               [sitting_id, script_id, at, reason, by])


def end_pause(db: Database, pause_id: int, *, at: str, reason: str, by: int | None) -> None:
    db.execute("UPDATE pauses SET ended_at = ?, resume_reason = ?, ended_by = ? WHERE id = ?",
               [at, reason, by, pause_id])


def end_open_pauses(db: Database, *, at: str, reason: str, sitting_id: int | None = None,
                    script_id: int | None = None, by: int | None = None) -> None:
    """Close every pause still open on the sitting (or on one script), never before it began."""
    where, key = ("script_id = ?", script_id) if script_id is not None else ("sitting_id = ?", sitting_id)
    db.execute(f"UPDATE pauses SET ended_at = max(started_at, ?), resume_reason = ?, ended_by = coalesce(?, ended_by)"
               f" WHERE {where} AND ended_at IS NULL", [at, reason, by, key])


def extensions_of(db: Database, sitting_id: int, script_id: int | None = None) -> list[Extension]:
    """Extra time granted in the sitting (or to one script), with who granted it, oldest first."""
    only = " AND s.id = ?" if script_id is not None else ""
    params = [sitting_id] + ([script_id] if script_id is not None else [])
    return [Extension._from_row(r, ("granted_at",)) for r in db.query(
        "SELECT e.*, st.name AS granted_by_name FROM extensions e JOIN scripts s ON s.id = e.script_id"
        f" JOIN staff st ON st.id = e.granted_by WHERE s.sitting_id = ?{only} ORDER BY e.id", params)]


def insert_extension(db: Database, script_id: int, minutes: int, reason: str, by: int | None, at: str) -> None:
    db.execute("INSERT INTO extensions (script_id, minutes, reason, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)",
               [script_id, minutes, reason, by, at])
