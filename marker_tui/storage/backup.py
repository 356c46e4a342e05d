"""Backing up and restoring the centre's database.

Backup: SQLite's online backup copies a consistent snapshot page by page while
learners keep saving, so a backup can be taken in the middle of a sitting (a
plain file copy of a WAL database can miss the last commits).

Restore is built so that it cannot lose or forge history:

1. :func:`inspect_backup` checks the file before anything is replaced: SQLite's
   integrity check, a schema version this marker-tui knows, every table, index
   and trigger exactly as marker-tui's migrations make them (so a dropped or
   neutered append-only trigger is refused), and its audit chain verifies.
2. The backup is copied to a staging file beside the database and upgraded there.
3. :func:`restore_database` then replaces the live database's content *inside one
   write transaction on the live file* (``BEGIN IMMEDIATE``): it compares the two
   (what the live database holds that the backup does not: answers, submissions,
   marks, audit entries; whether the backup's audit log is the live log's own
   history), lets the caller refuse, takes the safety copy, swaps every table and
   appends the restore's audit entry, then commits. Nobody can write in between,
   and a process killed at any moment leaves the old database or the new one,
   never a mixture (SQLite rolls an unfinished transaction back). Processes that
   have the file open simply see the new content, as with any other commit.

Audit ids are never given twice: the restore's own entry takes the id after the
highest the live log had given out, and names the ids it set aside (they stay in
the safety copy), which ``domain/audit_chain.verify`` accepts as the one allowed gap.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from marker_tui.domain.audit_chain import verify

from . import audit_log
from .database import Database, StorageError, create_private_file, open_database, write_transaction
from .migrations import AUDIT_CHAIN_VERSION, MIGRATIONS, SCHEMA_VERSION


class BackupReport(BaseModel):
    source: str
    target: str
    bytes: int
    schema_version: int
    sha256: str
    audit_head_id: int | None
    audit_head_hash: str


class BackupCheck(BaseModel):
    """What :func:`inspect_backup` found in a good backup."""

    path: str
    sha256: str
    schema_version: int
    audit_entries: int
    audit_head_id: int | None
    audit_head_hash: str | None
    #: False for a backup from before the chain: its entries are chained when it is restored.
    chained: bool


class LostCandidate(BaseModel):
    candidate_number: str
    name: str
    answers: int
    submitted: bool = False

    def words(self) -> str:
        what = f"{self.answers} saved answer{'s' * (self.answers != 1)}" if self.answers else ""
        if self.submitted:
            what = f"{what} and the submission" if what else "the submission"
        return f"{self.candidate_number} {self.name} ({what})"


class RestorePlan(BaseModel):
    """What replacing the live database with the backup would do, found under the write lock."""

    backup: BackupCheck
    live_exists: bool
    open_sittings: list[str] = []
    lost: list[LostCandidate] = []
    lost_marks: int = 0
    replaced_head_id: int | None = None
    replaced_head_hash: str | None = None
    set_aside_ids: tuple[int, int] | None = None
    history_mismatch: str | None = None
    restore_entry_id: int = 1
    safety_copy: str | None = None
    safety_sha256: str | None = None

    @property
    def lost_answers(self) -> int:
        return sum(c.answers for c in self.lost)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy(source: sqlite3.Connection, target_path: Path,
          progress: Callable[[int, int], None] | None = None) -> None:
    partial = target_path.with_name(target_path.name + ".partial")
    partial.unlink(missing_ok=True)
    create_private_file(partial)  # a backup is a copy of every answer
    target = sqlite3.connect(str(partial))
    try:
        if progress is None:
            source.backup(target)
        else:
            source.backup(target, pages=256, progress=lambda _s, remaining, total: progress(total - remaining, total))
        # The backup is one self-contained file, readable without its -wal file.
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
    os.replace(partial, target_path)


def backup_database(db: Database, target: str | Path, *, overwrite: bool = False) -> BackupReport:
    """Write a consistent copy of ``db`` to ``target`` (never a half-written file)."""
    target = Path(target).expanduser()
    if target.exists() and not overwrite:
        raise StorageError(f"{target} already exists; choose another file name (nothing was written).")
    if target.resolve() == Path(db.path).resolve():
        raise StorageError("The backup cannot be the database itself; choose another file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(db.conn, target)
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        copy = Database(conn)
        head_id, head_hash = audit_log.head(copy) if version >= AUDIT_CHAIN_VERSION else (None, "")
    finally:
        conn.close()
    return BackupReport(source=str(db.path), target=str(target), bytes=target.stat().st_size,
                        schema_version=version, sha256=file_sha256(target),
                        audit_head_id=head_id, audit_head_hash=head_hash)


def _normal(sql: str | None) -> str:
    return re.sub(r"\s+", " ", sql or "").strip()


def expected_schema(version: int) -> dict[tuple[str, str], str]:
    """(type, name) -> SQL of every object marker-tui's first ``version`` migrations make."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db = Database(conn, execute_plugins=False)
        db.path = Path(":memory:")
        db.lock = threading.RLock()
        for migration in MIGRATIONS[:version]:
            migration(db)
        return _schema(conn, "main")
    finally:
        conn.close()


def _schema(conn: sqlite3.Connection, schema: str) -> dict[tuple[str, str], str]:
    rows = conn.execute(f"SELECT type, name, sql FROM {schema}.sqlite_master WHERE sql IS NOT NULL "
                        "AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'")
    return {(t, n): _normal(s) for t, n, s in rows}


def inspect_backup(path: str | Path) -> BackupCheck:
    """Check a backup file before it may replace anything; raise StorageError saying what is wrong."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise StorageError(f"There is no backup file at {path}.")
    refuse = f"{path} cannot be restored: "
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.DatabaseError as error:
        raise StorageError(f"{path} is not a marker-tui backup (SQLite says: {error}).") from None
    try:
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise StorageError(f"{path} is not a marker-tui backup (SQLite says: {error}).") from None
        if version == 0 or "audit_log" not in tables:
            raise StorageError(f"{path} is not a marker-tui backup (it has no marker-tui tables).")
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{path} was written by a newer marker-tui (schema {version}, this one knows {SCHEMA_VERSION}); "
                "upgrade marker-tui before restoring it.")
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise StorageError(refuse + f"SQLite's integrity check fails ({'; '.join(problems)}). "
                               "Use an earlier backup.")
        found, expected = _schema(conn, "main"), expected_schema(version)
        for key in sorted(expected):
            kind, name = key
            if key not in found:
                raise StorageError(refuse + f"its {kind} {name} is missing (marker-tui makes it; "
                                   "the file was altered). Use another backup.")
            if found[key] != expected[key]:
                raise StorageError(refuse + f"its {kind} {name} is not the one marker-tui makes "
                                   "(the file was altered). Use another backup.")
        extra = sorted(set(found) - set(expected))
        if extra:
            raise StorageError(refuse + f"it has a {extra[0][0]} {extra[0][1]} marker-tui does not make "
                               "(the file was altered). Use another backup.")
        copy = Database(conn)
        count = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        chained = version >= AUDIT_CHAIN_VERSION
        head_id, head_hash = None, None
        if chained:
            report = verify(audit_log.chain_rows(copy), erased=audit_log.erased_entry_ids(copy))
            if report.broken is not None:
                raise StorageError(refuse + f"its audit log is broken at entry #{report.broken.entry_id}: "
                                   f"{report.broken.reason}. Use another backup.")
            issued = audit_log.issued_up_to(copy)
            if report.head_id is not None and issued > report.head_id:
                raise StorageError(refuse + f"entries after #{report.head_id} were removed from its audit log "
                                   f"(ids up to #{issued} were given out). Use another backup.")
            head_id, head_hash = report.head_id, report.head_hash
        else:
            head_id = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise StorageError(refuse + f"SQLite says: {error}.") from None
    finally:
        conn.close()
    return BackupCheck(path=str(path), sha256=file_sha256(path), schema_version=version, audit_entries=count,
                       audit_head_id=head_id, audit_head_hash=head_hash, chained=chained)


def _plan(live: Database, check: BackupCheck) -> RestorePlan:
    """Compare the live database (main) with the staged backup (restored), under the write lock."""
    q = live.conn.execute
    plan = RestorePlan(backup=check, live_exists=True)
    plan.open_sittings = [f"{c} ({s})" for c, s in q(
        "SELECT code, state FROM main.sittings WHERE state IN ('open', 'running') ORDER BY code")]
    lost: dict[str, LostCandidate] = {}
    for number, name, answers in q(
            """SELECT c.candidate_number, c.name, count(*) FROM main.answers a
               JOIN main.scripts s ON s.id = a.script_id JOIN main.candidates c ON c.id = s.candidate_id
               LEFT JOIN restored.answers b ON b.script_id = a.script_id AND b.question_id = a.question_id
               WHERE b.version IS NULL OR b.version < a.version
               GROUP BY c.id ORDER BY c.candidate_number"""):
        lost[number] = LostCandidate(candidate_number=number, name=name, answers=answers)
    for number, name in q(
            """SELECT c.candidate_number, c.name FROM main.scripts s JOIN main.candidates c ON c.id = s.candidate_id
               LEFT JOIN restored.scripts r ON r.id = s.id
               WHERE s.submitted_at IS NOT NULL AND r.submitted_at IS NULL ORDER BY c.candidate_number"""):
        lost.setdefault(number, LostCandidate(candidate_number=number, name=name, answers=0)).submitted = True
    plan.lost = sorted(lost.values(), key=lambda c: c.candidate_number)
    plan.lost_marks = q("""SELECT count(*) FROM main.mark_versions m
                           WHERE m.id NOT IN (SELECT id FROM restored.mark_versions)""").fetchone()[0]
    chained_live = audit_log.is_chained(live)
    plan.replaced_head_id, plan.replaced_head_hash = audit_log.head(live) if chained_live else (None, None)
    live_issued, staged_issued = audit_log.issued_up_to(live), audit_log.issued_up_to(live, "restored")
    if live_issued > staged_issued:
        plan.set_aside_ids = (staged_issued + 1, live_issued)
    plan.restore_entry_id = max(live_issued, staged_issued) + 1
    # The backup's audit log must be the live log's own history: the same entries under the same ids.
    upto = check.audit_head_id or 0
    differs = q("""SELECT r.id FROM restored.audit_log r LEFT JOIN main.audit_log m ON m.id = r.id
                   WHERE r.id <= ? AND (m.id IS NULL OR m.at IS NOT r.at OR m.actor IS NOT r.actor
                     OR m.action IS NOT r.action OR m.details IS NOT r.details)
                   ORDER BY r.id LIMIT 1""", [upto]).fetchone()
    missing = q("""SELECT m.id FROM main.audit_log m LEFT JOIN restored.audit_log r ON r.id = m.id
                   WHERE m.id <= ? AND r.id IS NULL ORDER BY m.id LIMIT 1""", [upto]).fetchone()
    if differs:
        plan.history_mismatch = (f"its audit entry #{differs[0]} is not this database's entry #{differs[0]}: "
                                 "the backup is not a copy of this database's history")
    elif missing:
        plan.history_mismatch = (f"this database's audit entry #{missing[0]} is missing from the backup: "
                                 "the backup's history was cut")
    return plan


def _replace_content(conn: sqlite3.Connection, progress: Callable[[int, int], None] | None) -> None:
    """Inside the open transaction: make main's schema and rows exactly those of ``restored``."""
    old = conn.execute("SELECT type, name FROM main.sqlite_master WHERE sql IS NOT NULL "
                       "AND name NOT LIKE 'sqlite_%'").fetchall()
    for kind in ("trigger", "view", "index", "table"):
        for t, name in old:
            if t == kind:
                conn.execute(f'DROP {kind.upper()} IF EXISTS main."{name}"')
    new = conn.execute("SELECT type, name, sql FROM restored.sqlite_master WHERE sql IS NOT NULL "
                       "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()
    tables = [(n, s) for t, n, s in new if t == "table"]
    for done, (name, sql) in enumerate(tables, 1):
        conn.execute(sql)
        conn.execute(f'INSERT INTO main."{name}" SELECT * FROM restored."{name}"')
        if progress:
            progress(done, len(tables))
    conn.execute("DELETE FROM main.sqlite_sequence")
    conn.execute("INSERT INTO main.sqlite_sequence SELECT * FROM restored.sqlite_sequence")
    # Triggers last: the data copied in is already what they guard (e.g. submitted answers).
    for kind in ("index", "view", "trigger"):
        for t, _name, sql in new:
            if t == kind:
                conn.execute(sql)
    version = conn.execute("PRAGMA restored.user_version").fetchone()[0]
    conn.execute(f"PRAGMA main.user_version = {int(version)}")


def _stage(backup: Path, db_path: Path, progress: Callable[[int, int], None] | None) -> Path:
    """Copy the backup beside the database and bring it to this marker-tui's schema."""
    staging = db_path.with_name(f".{db_path.name}.restoring")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{staging}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _copy(source, staging, progress)
    finally:
        source.close()
    open_database(staging).close()
    return staging


def restore_database(
    backup: str | Path,
    db_path: str | Path,
    *,
    check: Callable[[RestorePlan], None],
    write_entry: Callable[[Database, RestorePlan], None],
    progress: Callable[[str, int, int], None] | None = None,
) -> RestorePlan:
    """Replace the database at ``db_path`` with ``backup`` (see the module docstring).

    ``check(plan)`` may raise to refuse (nothing changed then); ``write_entry(db,
    plan)`` appends the restore's audit entry, in the same transaction as the
    replacement (use ``plan.restore_entry_id``). ``progress(stage, done, total)``
    reports the copy ("staging") and the replacement ("replacing").
    Returns the plan, with the safety copy's path and checksum.
    """
    backup, db_path = Path(backup).expanduser(), Path(db_path).expanduser()
    found = inspect_backup(backup)
    if backup.resolve() == db_path.resolve():
        raise StorageError("The backup and the database are the same file; nothing to restore.")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staging = _stage(backup, db_path, (lambda d, t: progress("staging", d, t)) if progress else None)
    try:
        if not db_path.exists():
            plan = RestorePlan(backup=found, live_exists=False)
            staged = open_database(staging)
            try:
                plan.restore_entry_id = audit_log.issued_up_to(staged) + 1
                check(plan)
                with write_transaction(staged, "restoring"):
                    write_entry(staged, plan)
            finally:
                staged.close()
            os.replace(staging, db_path)
            return plan
        live = open_database(db_path)
        conn = live.conn
        try:
            conn.execute("ATTACH DATABASE ? AS restored", [str(staging)])
            conn.execute("PRAGMA foreign_keys = OFF")  # tables are dropped and refilled in any order
            try:
                with write_transaction(live, "restoring"):
                    plan = _plan(live, found)
                    check(plan)
                    plan.safety_copy, plan.safety_sha256 = _safety_copy(db_path)
                    _replace_content(conn, (lambda d, t: progress("replacing", d, t)) if progress else None)
                    write_entry(live, plan)
            finally:
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("DETACH DATABASE restored")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
        return plan
    finally:
        for suffix in ("", "-wal", "-shm", ".partial"):
            Path(f"{staging}{suffix}").unlink(missing_ok=True)


def _safety_copy(db_path: Path) -> tuple[str, str]:
    """The live database as it is, beside it (read by a second connection: the write lock is ours)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    safety = db_path.with_name(f"{db_path.stem}.before-restore-{stamp}{db_path.suffix or '.db'}")
    current = sqlite3.connect(str(db_path))
    try:
        _copy(current, safety)
    finally:
        current.close()
    return str(safety), file_sha256(safety)
