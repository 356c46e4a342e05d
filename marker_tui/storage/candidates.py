"""Candidates as stored, and the enrolments that follow a change to their extra time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import json

from marker_tui.domain.arrangements import Evidenced
from marker_tui.storage.database import Database, now_text, parse_instant


def arrangements_from(stored: str | None) -> list[Evidenced]:
    """The JSON list kept in candidates.arrangements and scripts.arrangements."""
    return [Evidenced(**a) for a in json.loads(stored or "[]")]


def arrangements_json(arrangements: list[Evidenced]) -> str:
    return json.dumps([a.model_dump(mode="json") for a in arrangements], ensure_ascii=False)


@dataclass(frozen=True)
class CandidateRow:
    id: int
    candidate_number: str
    name: str
    extra_time_percent: int
    access_arrangements: str | None
    created_at: datetime
    updated_at: datetime
    arrangements: tuple[Evidenced, ...] = ()


@dataclass(frozen=True)
class UnstartedScript:
    id: int
    sitting_id: int
    extra_time_percent: int


def _row(row: dict) -> CandidateRow:
    return CandidateRow(id=row["id"], candidate_number=row["candidate_number"], name=row["name"],
                        extra_time_percent=row["extra_time_percent"], access_arrangements=row["access_arrangements"],
                        created_at=parse_instant(row["created_at"]), updated_at=parse_instant(row["updated_at"]),
                        arrangements=tuple(arrangements_from(row["arrangements"])))


def candidate_by_number(db: Database, number: str) -> CandidateRow | None:
    """Candidate numbers match whatever their case."""
    row = next(db.query("SELECT * FROM candidates WHERE candidate_number = ? COLLATE NOCASE", [number]), None)
    return _row(row) if row else None


def all_candidates(db: Database) -> list[CandidateRow]:
    return [_row(r) for r in db.query("SELECT * FROM candidates ORDER BY candidate_number")]


def insert_candidate(db: Database, number: str, name: str, extra_time_percent: int,
                     access_arrangements: str | None, *, at: datetime,
                     arrangements: list[Evidenced] | tuple[Evidenced, ...] = ()) -> None:
    """``access_arrangements``: the arrangements in words (what the register shows); ``arrangements``: the list."""
    db.execute("INSERT INTO candidates (candidate_number, name, extra_time_percent, access_arrangements,"
               " arrangements, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               [number, name, extra_time_percent, access_arrangements, arrangements_json(list(arrangements)),
                now_text(at), now_text(at)])


def update_candidate(db: Database, candidate_id: int, name: str, extra_time_percent: int,
                     access_arrangements: str | None, *, at: datetime,
                     arrangements: list[Evidenced] | tuple[Evidenced, ...] = ()) -> None:
    db.execute("UPDATE candidates SET name = ?, extra_time_percent = ?, access_arrangements = ?, arrangements = ?,"
               " updated_at = ? WHERE id = ?", [name, extra_time_percent, access_arrangements,
                                                arrangements_json(list(arrangements)), now_text(at), candidate_id])


def unstarted_scripts(db: Database, candidate_id: int) -> list[UnstartedScript]:
    """The candidate's scripts whose clock has not started (only they follow a change of extra time)."""
    return [UnstartedScript(r[0], r[1], r[2]) for r in db.execute(
        "SELECT id, sitting_id, extra_time_percent FROM scripts WHERE candidate_id = ?"
        " AND started_at IS NULL AND submitted_at IS NULL", [candidate_id]).fetchall()]


def set_script_extra_time(db: Database, script_id: int, percent: int) -> None:
    db.execute("UPDATE scripts SET extra_time_percent = ? WHERE id = ?", [percent, script_id])


def set_script_arrangements(db: Database, script_id: int, arrangements: list[Evidenced]) -> None:
    """An unstarted script follows its candidate's list; once started, its copy is what applied."""
    db.execute("UPDATE scripts SET arrangements = ? WHERE id = ?", [arrangements_json(arrangements), script_id])


def script_arrangements(db: Database, script_id: int) -> list[Evidenced]:
    """The arrangements in force for that script (copied from the candidate when enrolled)."""
    row = db.execute("SELECT arrangements FROM scripts WHERE id = ?", [script_id]).fetchone()
    return arrangements_from(row[0]) if row else []


def arrangements_by_script(db: Database, sitting_id: int) -> dict[int, tuple[int, list[Evidenced]]]:
    """Each script of the sitting: (its extra time %, its copy of the arrangements)."""
    return {r[0]: (r[1] or 0, arrangements_from(r[2])) for r in db.execute(
        "SELECT id, extra_time_percent, arrangements FROM scripts WHERE sitting_id = ?", [sitting_id])}


@dataclass(frozen=True)
class SittingArrangements:
    """What applied to the candidate in one sitting (the script's copy)."""

    sitting_code: str
    started_at: str | None
    extra_time_percent: int
    arrangements: tuple[Evidenced, ...]
    finish: str | None = None
    """How the script ended ('absent' when the sitting ended without them), None while it has not."""


def arrangements_in_each_sitting(db: Database, candidate_id: int) -> list[SittingArrangements]:
    return [SittingArrangements(r[0], r[1], r[2] or 0, tuple(arrangements_from(r[3])), r[4]) for r in db.execute(
        "SELECT st.code, s.started_at, s.extra_time_percent, s.arrangements, s.finish FROM scripts s"
        " JOIN sittings st ON st.id = s.sitting_id WHERE s.candidate_id = ? ORDER BY s.enrolled_at, s.id",
        [candidate_id])]
