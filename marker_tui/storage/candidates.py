"""Candidates as stored, and the enrolments that follow a change to their extra time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marker_tui.storage.database import Database, now_text, parse_instant


@dataclass(frozen=True)
class CandidateRow:
    id: int
    candidate_number: str
    name: str
    extra_time_percent: int
    access_arrangements: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class UnstartedScript:
    id: int
    sitting_id: int
    extra_time_percent: int


def _row(row: dict) -> CandidateRow:
    return CandidateRow(id=row["id"], candidate_number=row["candidate_number"], name=row["name"],
                        extra_time_percent=row["extra_time_percent"], access_arrangements=row["access_arrangements"],
                        created_at=parse_instant(row["created_at"]), updated_at=parse_instant(row["updated_at"]))


def candidate_by_number(db: Database, number: str) -> CandidateRow | None:
    """Candidate numbers match whatever their case."""
    row = next(db.query("SELECT * FROM candidates WHERE candidate_number = ? COLLATE NOCASE", [number]), None)
    return _row(row) if row else None


def all_candidates(db: Database) -> list[CandidateRow]:
    return [_row(r) for r in db.query("SELECT * FROM candidates ORDER BY candidate_number")]


def insert_candidate(db: Database, number: str, name: str, extra_time_percent: int,
                     access_arrangements: str | None, *, at: datetime) -> None:
    db.execute("INSERT INTO candidates (candidate_number, name, extra_time_percent, access_arrangements,"
               " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
               [number, name, extra_time_percent, access_arrangements, now_text(at), now_text(at)])


def update_candidate(db: Database, candidate_id: int, name: str, extra_time_percent: int,
                     access_arrangements: str | None, *, at: datetime) -> None:
    db.execute("UPDATE candidates SET name = ?, extra_time_percent = ?, access_arrangements = ?, updated_at = ?"
               " WHERE id = ?", [name, extra_time_percent, access_arrangements, now_text(at), candidate_id])


def unstarted_scripts(db: Database, candidate_id: int) -> list[UnstartedScript]:
    """The candidate's scripts whose clock has not started (only they follow a change of extra time)."""
    return [UnstartedScript(r[0], r[1], r[2]) for r in db.execute(
        "SELECT id, sitting_id, extra_time_percent FROM scripts WHERE candidate_id = ?"
        " AND started_at IS NULL AND submitted_at IS NULL", [candidate_id]).fetchall()]


def set_script_extra_time(db: Database, script_id: int, percent: int) -> None:
    db.execute("UPDATE scripts SET extra_time_percent = ? WHERE id = ?", [percent, script_id])
