"""Backups and restores as staff actions: admin only, checked, audited (storage in ``storage/backup.py``).

A backup is a full copy of every answer and mark, so it is an admin's action and
is recorded in the live audit log: who, when, which file, its SHA-256 and the
audit head it contains (an anchor outside the copy).

A restore is refused, unless forced with a reason, when it would silently drop
what the live database holds: a sitting open or running (learners may be saving
right now), saved answers or submissions (said per candidate), marks, or a
backup whose audit log is not this database's own history. The restore's audit
entry (in the restored database, in the same transaction) records who, the
backup and its checksum, the head it replaced, the ids set aside, the safety
copy and its checksum, and everything that was forced past.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.exports import DatabaseBackedUp, DatabaseRestored
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.backup import BackupReport, RestorePlan, backup_database, restore_database
from marker_tui.storage.database import Database


def take_backup(db: Database, target: str | Path, *, by: Actor, overwrite: bool = False,
                clock: Clock | None = None) -> BackupReport:
    """Copy the database to ``target`` and record it in the live audit log (file removed if that fails)."""
    report = backup_database(db, target, overwrite=overwrite)
    try:
        # ``by`` was checked by the caller (an admin signed in): the entry is written as them.
        with UnitOfWork(db, clock or SystemClock()).write(by=by, needs=None, what="recording the backup") as tx:
            tx.record(DatabaseBackedUp(
                file=str(Path(report.target).resolve()), bytes=report.bytes, sha256=report.sha256,
                schema_version=report.schema_version, audit_head_id=report.audit_head_id,
                audit_head_hash=report.audit_head_hash))
    except BaseException:
        Path(report.target).unlink(missing_ok=True)  # an unrecorded copy of every answer must not stay behind
        raise
    return report


def refusals(plan: RestorePlan) -> list[str]:
    """Why this restore needs --force, in words (empty: it may go ahead)."""
    reasons = []
    if plan.open_sittings:
        reasons.append(f"sitting {', '.join(plan.open_sittings)} is open or running: learners may be saving now "
                       "(end it first)")
    if plan.lost:
        whose = "; ".join(c.words() for c in plan.lost)
        reasons.append(f"{plan.lost_answers} saved answer(s) of {len(plan.lost)} candidate(s) would be lost: {whose}")
    if plan.lost_marks:
        reasons.append(f"{plan.lost_marks} saved mark(s) would be lost")
    if plan.history_mismatch:
        reasons.append(plan.history_mismatch)
    return reasons


class _WouldRestore(Exception):
    """check_restore's way out once the restore has been found possible (nothing was changed)."""


def _refuse_unless_forced(plan: RestorePlan, force: bool) -> None:
    problems = refusals(plan)
    if problems and not force:
        raise ServiceError(
            f"Not restored (nothing changed): {'; '.join(problems)}. The restore would set these aside "
            "(kept in its safety copy); to go ahead anyway, add --force --reason TEXT.")


def check_restore(backup: str | Path, db_path: str | Path, *, force: bool = False, reason: str | None = None) -> None:
    """Refuse now, as :func:`restore_backup` would, changing nothing: before anyone is asked to confirm
    (a backup of another centre was refused only after the admin had said yes)."""
    if force and not (reason or "").strip():
        raise ServiceError("--force needs --reason TEXT: say why (it is kept in the audit log).")

    def check(plan: RestorePlan) -> None:
        _refuse_unless_forced(plan, force)
        raise _WouldRestore()

    try:
        restore_database(backup, db_path, check=check, write_entry=lambda db, plan: None)
    except _WouldRestore:
        return


def restore_backup(backup: str | Path, db_path: str | Path, *, by: Actor, force: bool = False,
                   reason: str | None = None, clock: Clock | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> RestorePlan:
    """Replace the database with ``backup``; refused (nothing changed) unless safe or forced with a reason."""
    reason = (reason or "").strip() or None
    if force and not reason:
        raise ServiceError("--force needs --reason TEXT: say why (it is kept in the audit log).")
    clock = clock or SystemClock()

    def check(plan: RestorePlan) -> None:
        _refuse_unless_forced(plan, force)

    def write_entry(db: Database, plan: RestorePlan) -> None:
        # Inside the restore's own transaction (a unit of work on the restored database joins it).
        # ``by`` is the admin the caller signed in, of the live database or of the backup itself.
        forced_past = refusals(plan)
        event = DatabaseRestored(
            backup=str(Path(plan.backup.path).resolve()), backup_sha256=plan.backup.sha256,
            backup_schema_version=plan.backup.schema_version,
            backup_head_id=plan.backup.audit_head_id, backup_head_hash=plan.backup.audit_head_hash,
            replaced_head_id=plan.replaced_head_id, replaced_head_hash=plan.replaced_head_hash,
            safety_copy=plan.safety_copy, safety_sha256=plan.safety_sha256,
            forced=bool(force and forced_past), reason=reason,
            set_aside_ids=list(plan.set_aside_ids) if plan.set_aside_ids else None,
            forced_past=forced_past or None,
            lost_answers={c.candidate_number: c.answers for c in plan.lost} if forced_past else None)
        actor = by if isinstance(by, Actor) else Actor(label=str(by))
        with UnitOfWork(db, clock).write(by=actor, needs=None, what="restoring") as tx:
            tx.record(event, entry_id=plan.restore_entry_id)

    return restore_database(backup, db_path, check=check, write_entry=write_entry, progress=progress)
