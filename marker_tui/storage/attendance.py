"""What the attendance register of a sitting reads: each enrolled candidate's arrival and departure."""

from __future__ import annotations

import json
from typing import Any

from marker_tui.domain.arrangements import in_words
from marker_tui.storage.candidates import arrangements_from
from marker_tui.storage.database import Database


def register_rows(db: Database, sitting_id: int) -> list[dict[str, Any]]:
    """One row per enrolled candidate, in candidate number order, with the terminal they first used."""
    rows = db.execute(
        "SELECT s.id AS script_id, c.candidate_number, c.name, s.extra_time_percent, s.arrangements, "
        "s.logged_in_at, s.started_at, s.submitted_at, s.finish, s.submitted_reason, "
        "(SELECT terminal FROM script_leases l WHERE l.script_id = s.id) AS lease_terminal "
        "FROM scripts s JOIN candidates c ON c.id = s.candidate_id WHERE s.sitting_id = ? "
        "ORDER BY c.candidate_number", [sitting_id]).fetchall()
    names = ["script_id", "candidate_number", "name", "extra_time_percent", "access_arrangements",
             "logged_in_at", "started_at", "submitted_at", "finish", "submitted_reason", "lease_terminal"]
    found = [dict(zip(names, r)) for r in rows]
    for row in found:  # the arrangements that applied in this sitting (the script's copy), in words
        row["access_arrangements"] = in_words(arrangements_from(row["access_arrangements"]))
    first_terminal: dict[int, str] = {}
    for script_id, details in db.execute(
            "SELECT script_id, details FROM audit_log WHERE sitting_id = ? AND action = 'candidate logged in' "
            "ORDER BY id", [sitting_id]).fetchall():
        terminal = json.loads(details or "{}").get("terminal")
        if script_id is not None and terminal and script_id not in first_terminal:
            first_terminal[script_id] = terminal
    for row in found:
        row["terminal"] = first_terminal.get(row["script_id"]) or row.pop("lease_terminal")
        row.pop("lease_terminal", None)
    return found
