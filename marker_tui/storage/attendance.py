"""What the attendance register of a sitting reads: each enrolled candidate's arrival and departure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from marker_tui.storage.database import Database, parse_instant


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """An enrolled candidate's line of the register: who, their arrangements, when they came and went."""

    script_id: int
    candidate_number: str
    name: str
    extra_time_percent: int
    access_arrangements: str | None
    logged_in_at: datetime | None
    started_at: datetime | None
    submitted_at: datetime | None
    finish: str | None
    submitted_reason: str | None
    terminal: str | None
    """The terminal they first logged in at (the one holding the script if the log does not say)."""


def register_rows(db: Database, sitting_id: int) -> list[RegisterRow]:
    """One row per enrolled candidate, in candidate number order, with the terminal they first used."""
    rows = db.execute(
        "SELECT s.id AS script_id, c.candidate_number, c.name, s.extra_time_percent, c.access_arrangements, "
        "s.logged_in_at, s.started_at, s.submitted_at, s.finish, s.submitted_reason, "
        "(SELECT terminal FROM script_leases l WHERE l.script_id = s.id) AS lease_terminal "
        "FROM scripts s JOIN candidates c ON c.id = s.candidate_id WHERE s.sitting_id = ? "
        "ORDER BY c.candidate_number", [sitting_id]).fetchall()
    first_terminal: dict[int, str] = {}
    for script_id, details in db.execute(
            "SELECT script_id, details FROM audit_log WHERE sitting_id = ? AND action = 'candidate logged in' "
            "ORDER BY id", [sitting_id]).fetchall():
        terminal = json.loads(details or "{}").get("terminal")
        if script_id is not None and terminal and script_id not in first_terminal:
            first_terminal[script_id] = terminal
    return [RegisterRow(script_id, number, name, extra, arrangements, parse_instant(logged_in),
                        parse_instant(started), parse_instant(submitted), finish, reason,
                        first_terminal.get(script_id) or lease_terminal)
            for (script_id, number, name, extra, arrangements, logged_in, started, submitted, finish, reason,
                 lease_terminal) in rows]
