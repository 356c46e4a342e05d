"""The audit trail: who did what, when, to which sitting and script.

Every service writes its audit row inside the same transaction as the change
it describes, so the log can never disagree with the data. The table is
append-only (SQLite triggers refuse UPDATE and DELETE, see
``storage/migrations.py``).

Also home of :class:`ServiceError`, the one exception type whose message every
interface may show a user as it is.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from marker_tui.storage.database import Database, now_text, parse_instant, read_transaction

SYSTEM = "system"


class ServiceError(Exception):
    """A refusal or a mistake in the input, with a message fit to show a user.

    Raised before anything is written, or after the transaction rolled back:
    when you see one, nothing changed (except where a subclass says otherwise).
    """


class Actor(BaseModel):
    """Who is acting: a staff member, a candidate at a terminal, or the engine itself."""

    model_config = ConfigDict(frozen=True)

    label: str
    staff_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(label=SYSTEM)

    @classmethod
    def candidate(cls, candidate_number: str) -> Actor:
        return cls(label=f"candidate {candidate_number}")


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    sitting_id: int | None = None
    script_id: int | None = None
    candidate_number: str | None = None
    details: dict[str, Any]


def record(
    db: Database,
    *,
    at: datetime,
    actor: Actor | str,
    action: str,
    sitting_id: int | None = None,
    script_id: int | None = None,
    candidate_number: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row (call it inside the transaction that makes the change)."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, sitting_id, script_id, candidate_number, details)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            now_text(at),
            actor.label if isinstance(actor, Actor) else actor,
            action,
            sitting_id,
            script_id,
            candidate_number,
            json.dumps(details or {}, ensure_ascii=False, default=str, sort_keys=True),
        ],
    )


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=parse_instant(row["at"]),
        actor=row["actor"],
        action=row["action"],
        sitting_id=row["sitting_id"],
        script_id=row["script_id"],
        candidate_number=row["candidate_number"],
        details=json.loads(row["details"]),
    )


def entries(db: Database, *, sitting_id: int | None = None) -> list[AuditEntry]:
    """The audit trail, oldest first (everything, or one sitting's)."""
    with read_transaction(db):
        if sitting_id is None:
            rows = db.query("SELECT * FROM audit_log ORDER BY id")
        else:
            rows = db.query("SELECT * FROM audit_log WHERE sitting_id = ? ORDER BY id", [sitting_id])
        return [_entry(r) for r in rows]
