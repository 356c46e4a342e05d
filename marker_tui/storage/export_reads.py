"""Reads the document exports need beyond marks: learners' answers, IQA changes, centre number.

Kept here so the export service holds no SQL for them. Each function runs inside the
caller's read transaction (``read_transaction``), so one export sees one moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from marker_tui.storage.centre_settings import CENTRE_NUMBER_KEY, read_setting
from marker_tui.storage.database import Database, id_chunks, placeholders


@dataclass(frozen=True, slots=True)
class IqaChange:
    """A question whose current mark IQA gave: what the marker had given before, and why."""

    marker_mark: int
    reason: str | None


def answers_of(db: Database, script_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """The learners' saved answers, keyed by (script id, question id)."""
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


def iqa_changes(db: Database, sitting_id: int) -> dict[tuple[int, str], IqaChange]:
    """Questions of the sitting whose current mark is an IQA adjustment, with the marker's last mark."""
    changes: dict[tuple[int, str], IqaChange] = {}
    for script_id, question_id, reason, marker_mark in db.execute(
        "SELECT m.script_id, m.question_id,"
        " (SELECT v.reason FROM mark_versions v WHERE v.script_id = m.script_id AND v.question_id = m.question_id"
        "  AND v.version = m.version),"
        " (SELECT w.marks_awarded FROM mark_versions w WHERE w.script_id = m.script_id"
        "  AND w.question_id = m.question_id AND w.role != 'iqa' ORDER BY w.version DESC LIMIT 1)"
        " FROM marks m JOIN scripts s ON s.id = m.script_id WHERE s.sitting_id = ? AND m.role = 'iqa'",
        [sitting_id],
    ):
        if marker_mark is not None:
            changes[(script_id, question_id)] = IqaChange(marker_mark=marker_mark, reason=reason)
    return changes


def stored_centre_number(db: Database) -> str | None:
    """The centre's awarding-body number, as the admin set it (``centre_settings``), or None."""
    return read_setting(db, CENTRE_NUMBER_KEY)
