"""Backing up and restoring the centre's database with SQLite's online backup.

The online backup copies a consistent snapshot page by page while learners keep
saving, so a backup can be taken in the middle of a sitting. A plain file copy of
a WAL database can miss the last commits or catch a half-written page.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel

from .database import Database, StorageError
from .migrations import SCHEMA_VERSION


class BackupReport(BaseModel):
    source: str
    target: str
    bytes: int
    schema_version: int


def _copy(source: sqlite3.Connection, target_path: Path) -> None:
    partial = target_path.with_name(target_path.name + ".partial")
    partial.unlink(missing_ok=True)
    target = sqlite3.connect(str(partial))
    try:
        source.backup(target)
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
    return BackupReport(source=str(db.path), target=str(target), bytes=target.stat().st_size,
                        schema_version=int(db.conn.execute("PRAGMA user_version").fetchone()[0]))


def check_backup(path: str | Path) -> int:
    """The schema version of a backup file, refusing anything that is not a usable backup."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise StorageError(f"There is no backup file at {path}.")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise StorageError(f"{path} is not a marker-tui backup (SQLite says: {error}).") from None
    if version == 0 or "audit_log" not in tables:
        raise StorageError(f"{path} is not a marker-tui backup (it has no marker-tui tables).")
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{path} was written by a newer marker-tui (schema {version}, this one knows {SCHEMA_VERSION}); "
            "upgrade marker-tui before restoring it."
        )
    return version


def restore_database(backup: str | Path, db_path: str | Path) -> Path | None:
    """Replace the database at ``db_path`` with ``backup``.

    The current database is first saved beside it as
    ``<name>.before-restore-<time>.db``, so a restore can itself be undone.
    Returns that safety copy's path (None when there was no database yet).
    """
    backup, db_path = Path(backup).expanduser(), Path(db_path).expanduser()
    check_backup(backup)
    if backup.resolve() == db_path.resolve():
        raise StorageError("The backup and the database are the same file; nothing to restore.")
    safety = None
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if db_path.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        safety = db_path.with_name(f"{db_path.stem}.before-restore-{stamp}{db_path.suffix or '.db'}")
        current = sqlite3.connect(str(db_path))
        try:
            _copy(current, safety)
        finally:
            current.close()
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    target = sqlite3.connect(str(db_path))
    try:
        # Page-by-page into the live file: processes that have it open see the restored data.
        source.backup(target)
    finally:
        source.close()
        target.close()
    return safety
