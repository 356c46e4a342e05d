"""Scripts as stored: a candidate's script in a sitting, its answers and flags.

The learner's save path (answer_of, put_answer, save_fingerprint) uses the raw connection:
it runs on every keystroke pause of every learner, and sqlite-utils' wrapper adds nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from marker_tui.storage.database import Database, id_chunks, parse_instant, placeholders
from marker_tui.storage.sittings import _Record


@dataclass(frozen=True)
class Script(_Record):
    """A candidate's script in a sitting, with the candidate's number and name."""

    id: int
    sitting_id: int
    candidate_id: int
    candidate_number: str
    candidate_name: str
    script_number: str
    extra_time_percent: int
    enrolled_at: datetime | None
    logged_in_at: datetime | None
    last_login_at: datetime | None
    started_at: datetime | None
    submitted_at: datetime | None
    finish: str | None
    """'submitted', 'time up', 'ended' or 'absent' once final (``domain/sitting_states.FINISH_STATE``)."""
    submitted_reason: str | None
    current_question: str | None

    @property
    def final(self) -> bool:
        return self.submitted_at is not None

    def finished(self, *, at: datetime, finish: str, reason: str) -> "Script":
        return replace(self, submitted_at=at, finish=finish, submitted_reason=reason)


_SCRIPT_INSTANTS = ("enrolled_at", "logged_in_at", "last_login_at", "started_at", "submitted_at")


def scripts_of(db: Database, sitting_id: int, script_id: int | None = None) -> list[Script]:
    """The sitting's scripts (or one) with the candidate's number and name, by candidate number."""
    only = " AND s.id = ?" if script_id is not None else ""
    params = [sitting_id] + ([script_id] if script_id is not None else [])
    return [Script._from_row(r, _SCRIPT_INSTANTS) for r in db.query(
        "SELECT s.*, c.candidate_number AS candidate_number, c.name AS candidate_name FROM scripts s"
        f" JOIN candidates c ON c.id = s.candidate_id WHERE s.sitting_id = ?{only} ORDER BY c.candidate_number",
        params)]


def sitting_of_script(db: Database, script_id: int) -> int | None:
    row = db.execute("SELECT sitting_id FROM scripts WHERE id = ?", [script_id]).fetchone()
    return None if row is None else row[0]


def script_numbers(db: Database, sitting_id: int) -> set[str]:
    return {r[0] for r in db.execute("SELECT script_number FROM scripts WHERE sitting_id = ?", [sitting_id])}


def insert_script(db: Database, sitting_id: int, candidate_id: int, script_number: str, extra_time_percent: int,
                  *, at: str, by: int | None) -> int:
    return db.execute(
        "INSERT INTO scripts (sitting_id, candidate_id, script_number, extra_time_percent, enrolled_at, enrolled_by)"
        " VALUES (?, ?, ?, ?, ?, ?)", [sitting_id, candidate_id, script_number, extra_time_percent, at, by]).lastrowid


def set_finished(db: Database, script_id: int, *, at: str, finish: str, reason: str) -> None:
    db.execute("UPDATE scripts SET submitted_at = ?, finish = ?, submitted_reason = ? WHERE id = ?",
               [at, finish, reason, script_id])


def set_started(db: Database, script_id: int, at: str) -> None:
    db.execute("UPDATE scripts SET started_at = ? WHERE id = ?", [at, script_id])


def set_logged_in(db: Database, script_id: int, at: str) -> None:
    db.execute("UPDATE scripts SET logged_in_at = coalesce(logged_in_at, ?), last_login_at = ? WHERE id = ?",
               [at, at, script_id])


def set_current_question(db: Database, script_id: int, question_id: str) -> None:
    db.execute("UPDATE scripts SET current_question = ? WHERE id = ?", [question_id, script_id])


class FinishCounts(NamedTuple):
    scripts: int
    unfinished: int
    last_finished_at: str | None
    """As stored (the sitting's end is written with exactly this text)."""


def finish_counts(db: Database, sitting_id: int) -> FinishCounts:
    """(scripts, still unfinished, last finished at) in a sitting."""
    return FinishCounts._make(db.execute(
        "SELECT count(*), coalesce(sum(submitted_at IS NULL), 0), max(submitted_at) FROM scripts"
        " WHERE sitting_id = ?", [sitting_id]).fetchone())


# -- answers and flags -------------------------------------------------------------------------------
def answered_count(db: Database, script_id: int) -> int:
    """Questions with a non-blank saved answer."""
    return db.execute("SELECT count(*) FROM answers WHERE script_id = ? AND trim(text) != ''",
                      [script_id]).fetchone()[0]


@dataclass(frozen=True)
class Progress:
    answered: int
    last_save: datetime | None


def answer_progress(db: Database, sitting_id: int) -> dict[int, Progress]:
    """Per script of the sitting: questions answered and the last save time (the room view)."""
    return {script_id: Progress(answered or 0, parse_instant(last)) for script_id, answered, last in db.execute(
        "SELECT a.script_id, sum(trim(a.text) != ''), max(a.updated_at)"
        " FROM answers a JOIN scripts s ON s.id = a.script_id WHERE s.sitting_id = ? GROUP BY a.script_id",
        [sitting_id])}


class SavedAnswer(NamedTuple):
    """A saved answer's text and how many times it has been saved (a tuple: the save path is hot)."""

    text: str
    version: int


def answers_of_script(db: Database, script_id: int) -> dict[str, SavedAnswer]:
    """{question id: (text, version)} of a script's saved answers."""
    return {q: SavedAnswer(text, version) for q, text, version in db.execute(
        "SELECT question_id, text, version FROM answers WHERE script_id = ?", [script_id])}


def answers_of(db: Database, script_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """The learners' saved answers to several scripts, keyed by (script id, question id)."""
    found: dict[tuple[int, str], str] = {}
    for chunk in id_chunks(script_ids):
        for script_id, question_id, text in db.execute(
                f"SELECT script_id, question_id, text FROM answers WHERE script_id IN ({placeholders(chunk)})", chunk):
            found[(script_id, question_id)] = text or ""
    return found


def answered_questions(db: Database, sitting_id: int) -> set[tuple[int, str]]:
    """(script id, question id) of every answer with text in it: the rest were not attempted."""
    return {(r[0], r[1]) for r in db.execute(
        "SELECT a.script_id, a.question_id FROM answers a JOIN scripts s ON s.id = a.script_id"
        " WHERE s.sitting_id = ? AND length(trim(a.text)) > 0", [sitting_id])}


def answer_of(db: Database, script_id: int, question_id: str) -> SavedAnswer | None:
    """(text, version) of one saved answer, or None."""
    row = db.conn.execute("SELECT text, version FROM answers WHERE script_id = ? AND question_id = ?",
                     [script_id, question_id]).fetchone()
    return None if row is None else SavedAnswer(row[0], row[1])


def put_answer(db: Database, script_id: int, question_id: str, text: str, version: int, at: str) -> None:
    db.conn.execute("INSERT INTO answers (script_id, question_id, text, version, updated_at) VALUES (?, ?, ?, ?, ?)"
               " ON CONFLICT (script_id, question_id) DO UPDATE SET text = excluded.text,"
               " version = excluded.version, updated_at = excluded.updated_at",
               [script_id, question_id, text, version, at])


def save_fingerprint(db: Database, script_id: int, question_id: str) -> tuple | None:
    """Everything a save decision rests on, in one query (cheap enough to run under the write lock):
    script state, sitting state, pauses, extensions, the answer's version and the terminal holding it."""
    return db.conn.execute(
        "SELECT s.submitted_at, s.started_at, s.extra_time_percent, st.state,"
        " (SELECT count(*) || '/' || coalesce(max(p.id), 0) || '/' || count(p.ended_at) FROM pauses p"
        "   WHERE p.sitting_id = s.sitting_id AND (p.script_id IS NULL OR p.script_id = s.id)),"
        " (SELECT count(*) || '/' || coalesce(sum(e.minutes), 0) FROM extensions e WHERE e.script_id = s.id),"
        " (SELECT a.version FROM answers a WHERE a.script_id = s.id AND a.question_id = ?),"
        " (SELECT l.terminal FROM script_leases l WHERE l.script_id = s.id)"
        " FROM scripts s JOIN sittings st ON st.id = s.sitting_id WHERE s.id = ?",
        [question_id, script_id]).fetchone()


def flags_of(db: Database, script_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT question_id FROM flags WHERE script_id = ?", [script_id])]


def set_flag(db: Database, script_id: int, question_id: str, flagged: bool, at: str) -> bool:
    """Flag (or clear) a question; True if that changed anything."""
    if flagged:
        return db.execute("INSERT OR IGNORE INTO flags (script_id, question_id, flagged_at) VALUES (?, ?, ?)",
                          [script_id, question_id, at]).rowcount > 0
    return db.execute("DELETE FROM flags WHERE script_id = ? AND question_id = ?",
                      [script_id, question_id]).rowcount > 0
