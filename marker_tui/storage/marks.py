"""Marks as stored: current marks, every saved version, and per-script marking state.

One definition of "who marked a script" lives here (:func:`script_markers`): anyone with a
saved mark version other than an IQA adjustment, in the order they first marked it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marker_tui.storage.database import Database, parse_instant

_CHUNK = 500  # SQLite's parameter limit, with room to spare


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


@dataclass(frozen=True, slots=True)
class ScriptMarker:
    """Someone who marked a script (signed in), and when they last saved a mark on it."""

    name: str
    last_marked_at: datetime


def script_markers(db: Database, *, sitting_id: int | None = None,
                   script_ids: Sequence[int] | None = None) -> dict[int, list[ScriptMarker]]:
    """Who marked each script (never as an IQA adjustment), first marker first.

    Give ``sitting_id`` for every script of a sitting or ``script_ids`` for some.
    """
    out: dict[int, list[ScriptMarker]] = defaultdict(list)
    select = ("SELECT v.script_id, st.name, min(v.id) AS first, max(v.marked_at) AS last FROM mark_versions v"
              " JOIN staff st ON st.id = v.marked_by")
    tail = " AND v.role != 'iqa' GROUP BY v.script_id, v.marked_by ORDER BY first"
    if sitting_id is not None:
        batches: Iterable[tuple[str, list]] = [(
            " JOIN scripts s ON s.id = v.script_id WHERE s.sitting_id = ?", [sitting_id])]
    else:
        batches = ((f" WHERE v.script_id IN ({','.join('?' * len(c))})", c) for c in _chunks(script_ids or ()))
    for where, params in batches:
        for script_id, name, _first, last in db.execute(select + where + tail, params):
            out[script_id].append(ScriptMarker(name=name, last_marked_at=parse_instant(last)))
    return out


def paper_markers(db: Database, script_ids: Sequence[int]) -> dict[int, set[str]]:
    """The paper markers named in imported mark files, per script (they marked it too, on paper)."""
    out: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(script_ids):
        for script_id, name in db.execute(
                f"SELECT DISTINCT script_id, paper_marker FROM mark_versions WHERE script_id IN"
                f" ({','.join('?' * len(chunk))}) AND role = 'import' AND paper_marker IS NOT NULL", chunk):
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


def submitted_and_unfinished(db: Database, sitting_id: int) -> tuple[int, int]:
    """(scripts submitted, of which not yet marked complete) in a sitting."""
    row = db.execute(
        "SELECT count(*), coalesce(sum(sm.completed_at IS NULL), 0) FROM scripts s LEFT JOIN script_marking sm"
        " ON sm.script_id = s.id WHERE s.sitting_id = ? AND s.finish IS NOT NULL AND s.finish != 'absent'",
        [sitting_id]).fetchone()
    return row[0], row[1]


def sitting_scripts_for_results(db: Database, sitting_id: int) -> list[dict[str, Any]]:
    """The sitting's scripts with candidate, completion and overall feedback, for results and documents."""
    return list(db.query(
        "SELECT s.id, s.script_number, s.finish, c.candidate_number, c.name, sm.completed_at,"
        " cp.name AS completed_name, sm.overall_feedback, sm.next_steps FROM scripts s"
        " JOIN candidates c ON c.id = s.candidate_id LEFT JOIN script_marking sm ON sm.script_id = s.id"
        " LEFT JOIN staff cp ON cp.id = sm.completed_by WHERE s.sitting_id = ?", [sitting_id]))
