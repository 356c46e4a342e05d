"""The history of an answer's saved versions (``answer_versions``): append, thin, read.

Every save appends the new version and, in the same transaction, thins the
older ones by the retention rule of ``domain/answer_history.py`` (every version
of the last minutes, one per minute before, always the first and the current).
The database refuses any other deletion (``migrations.m0008_answer_history``).

A database written before that rule thins lazily: the next save of an answer
thins that answer's history; a submitted script's history is never thinned.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    """Drop the versions the retention rule no longer keeps; return how many (inside the caller's write).

    Only versions up to the end of the minute the recent window starts in are
    read: every later one is in the window (kept by the rule anyway) and in a
    later minute, so it cannot change what the rule decides for the earlier ones
    (the newest of those read is the last of its minute, kept either way). So a
    save reads ~one row per older minute plus one minute's saves, not the whole
    window (stored instants are UTC text of one format: text order is time order).
    """
    before = now_text(rule.minute_of(now - rule.RECENT) + timedelta(minutes=1))
    saved = [(v, parse_instant(at)) for v, at in db.conn.execute(
        "SELECT version, saved_at FROM answer_versions WHERE script_id = ? AND question_id = ? AND saved_at < ?",
        [script_id, question_id, before])]
    drop = rule.versions_to_drop(saved, now)
    if not drop:
        return 0
    # Thinning must never cost the save it rides on: if the database refuses a deletion (its
    # trigger is the last word on what may go), keep the history whole this time and save.
    db.conn.execute("SAVEPOINT answer_history_thin")
    try:
        db.conn.executemany("DELETE FROM answer_versions WHERE script_id = ? AND question_id = ? AND version = ?",
                            [(script_id, question_id, v) for v in drop])
    except sqlite3.IntegrityError:
        db.conn.execute("ROLLBACK TO answer_history_thin")
        db.conn.execute("RELEASE answer_history_thin")
        return 0
    db.conn.execute("RELEASE answer_history_thin")
    return len(drop)


def versions(db: Database, script_id: int, question_id: str) -> list[AnswerVersion]:
    """The versions the history holds for one answer, oldest first."""
    return [AnswerVersion(version=v, text=t, saved_at=parse_instant(at)) for v, t, at in db.conn.execute(
        "SELECT version, text, saved_at FROM answer_versions WHERE script_id = ? AND question_id = ?"
        " ORDER BY version", [script_id, question_id])]
