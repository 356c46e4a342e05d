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

from marker_tui.domain.audit_actions import is_listed
from marker_tui.domain.audit_chain import ChainReport, verify
from marker_tui.storage import audit_log
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
    content_digest: str | None = None
    chain_hash: str | None = None
    #: The chain hash of the entry before this one in the whole log (for checking a part of it).
    previous_hash: str | None = None
    #: The exact text the content digest is the SHA-256 of.
    hashed_content: str | None = None


class ErasureNote(BaseModel):
    """Earlier entries a learner-data erasure overwrote: their content is not checked (it was changed on
    purpose), so whoever verifies the log is told which, by whom and when, to confirm the erasure was real."""

    erasure_id: int
    at: datetime
    actor: str
    entries: list[int]


class LogVerification(BaseModel):
    """The result of checking the whole audit chain (``marker-tui audit verify``)."""

    entries: int
    head_id: int | None
    head_hash: str
    broken_at: int | None = None
    problem: str | None = None
    #: Entries checked and found good before the break (all of them when there is none).
    verified: int = 0
    erasures: list[ErasureNote] = []

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_log(db: Database) -> LogVerification:
    """Check every entry's digest and link, that no id after the last was given out, and the triggers."""
    with read_transaction(db):
        if not audit_log.is_chained(db):
            count = audit_log.entry_count(db)
            return LogVerification(entries=count, head_id=None, head_hash="", problem=(
                "this database's audit log predates the hash chain; open it with this marker-tui to upgrade it"))
        report: ChainReport = verify(audit_log.chain_rows(db), erased=audit_log.erased_entry_ids(db))
        issued = audit_log.issued_up_to(db)
        missing = audit_log.missing_triggers(db)
        erasures = [ErasureNote(erasure_id=e.id, at=parse_instant(e.at), actor=e.actor, entries=list(e.erased_entries))
                    for e in audit_log.erasures(db) if e.erased_entries]
    result = LogVerification(entries=report.entries, head_id=report.head_id, head_hash=report.head_hash,
                             verified=report.entries, erasures=erasures)
    if report.broken is not None:
        return result.model_copy(update={"broken_at": report.broken.entry_id, "problem": report.broken.reason,
                                         "verified": report.entries - 1})
    if report.head_id is not None and issued > report.head_id:
        return result.model_copy(update={"broken_at": report.head_id + 1, "problem": (
            f"entries after #{report.head_id} were removed (ids up to #{issued} were given out)")})
    if missing:
        return result.model_copy(update={"problem": (
            f"the audit log's append-only protection is missing (trigger {', '.join(missing)})")})
    return result


def check_anchor(db: Database, anchor_id: int, anchor_hash: str) -> str | None:
    """Whether the log still holds a head seen earlier (an anchor kept outside the database).

    Returns None when entry ``anchor_id`` is still there with ``anchor_hash``, or
    when a restore entry says it set that entry aside (the head it replaced, or an
    id in its set-aside range found with that hash in its safety copy); otherwise
    what is wrong, in words.
    """
    from marker_tui.domain.audit_chain import RESTORED, SET_ASIDE

    with read_transaction(db):
        row = audit_log.chain_hash_of(db, anchor_id)
        if row is not None and row == anchor_hash:
            return None
        restores = audit_log.details_of_action(db, RESTORED)
    for restore_id, details in restores:
        d = json.loads(details)
        first, last = d.get(SET_ASIDE) or (0, -1)
        if d.get("replaced_head_id") == anchor_id and d.get("replaced_head_hash") == anchor_hash or (
                row is None and first <= anchor_id <= last and _in_safety_copy(d, anchor_id, anchor_hash)):
            return None if row is None else (
                f"entry #{anchor_id} was set aside by the restore at #{restore_id}, but an entry #{anchor_id} "
                "is back in the log: ids were reused")
    if row is None:
        return (f"the log no longer has entry #{anchor_id} (the anchor's head): entries were removed "
                "or an older copy of the database was put in its place")
    return (f"entry #{anchor_id} is not the one the anchor saw (its chain hash differs): "
            "the log was rewritten up to there")


def _in_safety_copy(details: dict[str, Any], anchor_id: int, anchor_hash: str) -> bool:
    """Whether a restore's safety copy (which holds the entries it set aside) has the anchor's entry."""
    from pathlib import Path

    path = Path(details.get("safety_copy") or "")
    if not details.get("safety_copy") or not path.is_file():
        return False
    return audit_log.chain_hash_in_copy(str(path), anchor_id) == anchor_hash


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
    entry_id: int | None = None,
) -> None:
    """Append one audit row (call it inside the transaction that makes the change).

    Services do not call this: they record typed events through the unit of work
    (``services/unit_of_work.py``), which calls it. ``entry_id`` is for a restore only.

    The row is chained to the one before it (``domain/audit_chain.py``), read
    under the same write lock as the insert.
    """
    if not is_listed(action):  # a programming slip, caught by the tests before it ships
        raise ValueError(f"{action!r} is not an audit action: add it to marker_tui/domain/audit_actions.py")
    audit_log.append(
        db,
        now_text(at),
        actor.label if isinstance(actor, Actor) else actor,
        action,
        sitting_id,
        script_id,
        candidate_number,
        json.dumps(details or {}, ensure_ascii=False, default=str, sort_keys=True),
        entry_id=entry_id,
    )


def _entry(row: audit_log.StoredEntry) -> AuditEntry:
    from marker_tui.domain.audit_chain import GENESIS, canonical_content

    return AuditEntry(
        content_digest=row.content_digest,
        chain_hash=row.chain_hash,
        previous_hash=row.previous_hash or (GENESIS if row.chain_hash else None),
        hashed_content=canonical_content(row.at, row.actor, row.action, row.sitting_id,
                                         row.script_id, row.candidate_number, row.details),
        id=row.id,
        at=parse_instant(row.at),
        actor=row.actor,
        action=row.action,
        sitting_id=row.sitting_id,
        script_id=row.script_id,
        candidate_number=row.candidate_number,
        details=json.loads(row.details),
    )


def entries(db: Database, *, sitting_id: int | None = None) -> list[AuditEntry]:
    """The audit trail, oldest first: everything, or one sitting's (with entries about its scripts)."""
    with read_transaction(db):
        rows = audit_log.all_rows(db) if sitting_id is None else audit_log.sitting_rows(db, sitting_id)
        return [_entry(r) for r in rows]
