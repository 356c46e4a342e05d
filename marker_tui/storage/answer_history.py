"""The history of an answer's saved versions (``answer_versions``): append, thin, read.

Every save appends the new version and, in the same transaction, thins the
older ones by the retention rule of ``domain/answer_history.py`` (every version
of the last minutes, one per minute before, always the first and the current).
The database refuses any other deletion (``migrations.m0008_answer_history``).

A database written before that rule thins lazily: the next save of an answer
thins that answer's history; a submitted script's history is never thinned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marker_tui.domain import answer_history as rule
from marker_tui.storage.database import Database, now_text, parse_instant


@dataclass(frozen=True)
class AnswerVersion:
    version: int
    text: str
    saved_at: datetime


def append(db: Database, script_id: int, question_id: str, version: int, text: str, saved_at: datetime) -> None:
    db.conn.execute("INSERT INTO answer_versions (script_id, question_id, version, text, saved_at)"
                    " VALUES (?, ?, ?, ?, ?)", [script_id, question_id, version, text, now_text(saved_at)])


def thin(db: Database, script_id: int, question_id: str, now: datetime) -> int:
    """Drop the versions the retention rule no longer keeps; return how many (inside the caller's write)."""
    saved = [(v, parse_instant(at)) for v, at in db.conn.execute(
        "SELECT version, saved_at FROM answer_versions WHERE script_id = ? AND question_id = ?",
        [script_id, question_id])]
    drop = rule.versions_to_drop(saved, now)
    if drop:
        db.conn.executemany("DELETE FROM answer_versions WHERE script_id = ? AND question_id = ? AND version = ?",
                            [(script_id, question_id, v) for v in drop])
    return len(drop)


def versions(db: Database, script_id: int, question_id: str) -> list[AnswerVersion]:
    """The versions the history holds for one answer, oldest first."""
    return [AnswerVersion(version=v, text=t, saved_at=parse_instant(at)) for v, t, at in db.conn.execute(
        "SELECT version, text, saved_at FROM answer_versions WHERE script_id = ? AND question_id = ?"
        " ORDER BY version", [script_id, question_id])]
