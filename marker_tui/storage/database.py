"""Opening the one SQLite database, and writing to it safely from many processes.

* ``open_database(path)`` makes the folder, turns on WAL (readers never wait for
  the writer), ``synchronous=FULL`` (a commit that has returned survives a power
  cut or a killed process), foreign keys, a busy timeout, then brings the schema
  up to date (see ``migrations.py``). A file written by a newer marker-tui is
  refused with :class:`DatabaseTooNew` rather than misread.
* ``write_transaction(db)`` is the only way the services write: ``BEGIN
  IMMEDIATE`` (take the write lock up front, so a transaction never fails half
  way with "database is locked"), retried with exponential backoff and jitter
  while another process holds the lock. ``run_write(db, fn)`` additionally
  re-runs the whole unit of work if a lock error escapes from inside it, so no
  lock error reaches a user unless the database stays locked for
  :data:`LOCK_GIVE_UP_SECONDS`.
* Instants are stored as UTC ISO-8601 text with microseconds
  (``2026-03-02T09:00:00.000000+00:00``): fixed width, so text order is time
  order, and readable in any SQLite browser.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

#: How long SQLite itself waits for a lock on ordinary statements (ms).
BUSY_TIMEOUT_MS = 5000
#: After this long waiting for the write lock, give up and tell the user. Long on
#: purpose: a learner's save that waits is better than one that fails.
LOCK_GIVE_UP_SECONDS = 60.0
# Waiting for the write lock is done by our own loop, not SQLite's busy handler:
# SQLite sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries, so
# a save that just misses the lock can sleep through several free windows (the
# bench showed p99 > 100 ms with 100 writers). Short jittered sleeps growing from
# 0.5 ms to 8 ms keep the tail low (a failed try costs microseconds); after
# _PATIENT_AFTER of waiting the machine is overloaded, and sleeps grow to 50 ms
# so that waiting processes stop taking CPU from the one holding the lock.
_BACKOFF_FIRST = 0.0005
_BACKOFF_MAX = 0.008
_PATIENT_AFTER = 0.25
_BACKOFF_PATIENT_MAX = 0.05

T = TypeVar("T")


EngineError = sqlite3.Error
"""Any fault the SQLite engine itself raises (disk full, read-only file, corruption): screens and the
CLI catch it by this name, so nothing outside storage/ imports sqlite3."""


class StorageError(Exception):
    """A storage problem with a message fit to show a user as it is."""


class DatabaseTooNew(StorageError):
    pass


class NotADatabase(StorageError):
    pass


class DatabaseMissing(StorageError):
    pass


class DatabaseBusy(StorageError):
    pass


class Database(sqlite_utils.Database):
    """A sqlite-utils database that knows its file and serialises threads' transactions."""

    path: Path
    lock: threading.RLock


def now_text(instant: datetime) -> str:
    """How an instant is stored: UTC, ISO-8601, microseconds always present."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_instant(text: str | datetime | None) -> datetime | None:
    if text is None or isinstance(text, datetime):  # typed records already hold datetimes
        return text
    return datetime.fromisoformat(text)


def is_lock_error(error: BaseException) -> bool:
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return True
    message = str(error).lower()
    return "database is locked" in message or "database is busy" in message or "is locked" in message


def _backoff_sleeps(deadline: float) -> Iterator[None]:
    """Exponential backoff with jitter, until the deadline passes (see _BACKOFF_FIRST)."""
    delay = _BACKOFF_FIRST
    patient_from = time.monotonic() + _PATIENT_AFTER
    while time.monotonic() < deadline:
        time.sleep(random.uniform(delay / 2, delay))
        cap = _BACKOFF_MAX if time.monotonic() < patient_from else _BACKOFF_PATIENT_MAX
        delay = min(delay * 2, cap)
        yield


def _busy(db: Database, what: str) -> DatabaseBusy:
    return DatabaseBusy(
        f"The database {db.path} stayed locked by another program for "
        f"{LOCK_GIVE_UP_SECONDS:.0f} seconds while {what}; nothing was changed. Try again; "
        "if it keeps happening, check that no other program has the file open."
    )


@contextlib.contextmanager
def write_transaction(db: Database, what: str = "saving") -> Iterator[Database]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, waiting politely for the write lock.

    Everything inside either all happens or none of it does. When this block
    exits normally the commit has returned, and with ``synchronous=FULL`` the
    data is on disk.
    """
    conn = db.conn
    with db.lock:
        if conn.in_transaction:
            # Nested use: join the caller's transaction (a savepoint keeps
            # "all or nothing" for the inner part).
            with db.atomic():
                yield db
            return
        deadline = time.monotonic() + LOCK_GIVE_UP_SECONDS
        sleeps = _backoff_sleeps(deadline)
        conn.execute("PRAGMA busy_timeout = 0")  # we do the waiting (see _BACKOFF_FIRST)
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as error:
                    if not is_lock_error(error) or next(sleeps, StopIteration) is StopIteration:
                        if is_lock_error(error):
                            raise _busy(db, what) from error
                        raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            yield db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        while True:
            try:
                conn.execute("COMMIT")
                return
            except sqlite3.OperationalError as error:
                # A busy COMMIT leaves the transaction open: retry it.
                if not is_lock_error(error) or next(sleeps, StopIteration) is StopIteration:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    if is_lock_error(error):
                        raise _busy(db, what) from error
                    raise


def run_write(db: Database, work: Callable[[Database], T], what: str = "saving") -> T:
    """Run ``work(db)`` in a write transaction; re-run it if a lock error escapes.

    ``work`` must only touch the database (it may run more than once, but only
    one run is ever committed).
    """
    deadline = time.monotonic() + LOCK_GIVE_UP_SECONDS
    sleeps = _backoff_sleeps(deadline)
    while True:
        try:
            with write_transaction(db, what):
                return work(db)
        except sqlite3.OperationalError as error:
            if not is_lock_error(error) or db.conn.in_transaction:
                raise
            if next(sleeps, StopIteration) is StopIteration:
                raise _busy(db, what) from error


@contextlib.contextmanager
def read_transaction(db: Database) -> Iterator[Database]:
    """One consistent snapshot for several SELECTs (WAL: never waits for writers)."""
    conn = db.conn
    with db.lock:
        if conn.in_transaction:
            yield db
            return
        conn.execute("BEGIN")
        try:
            yield db
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so Python never
    # opens a hidden DEFERRED transaction that could fail to upgrade to a write.
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _with_lock_retry(db_path: Path, fn: Callable[[], T]) -> T:
    deadline = time.monotonic() + LOCK_GIVE_UP_SECONDS
    sleeps = _backoff_sleeps(deadline)
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as error:
            if not is_lock_error(error) or next(sleeps, StopIteration) is StopIteration:
                raise


def create_private_file(path: str | Path) -> None:
    """Create an empty file only its owner can read (every answer, mark and keycode hash is in a
    database; SQLite gives its -wal and -shm files the database's mode). Staff share it through a
    group by making it 0660 themselves (README, Running a real room). An existing file is left as it is."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
    except FileExistsError:
        pass


def open_database(path: str | Path, *, create: bool = True) -> Database:
    """Open (and if needed create and upgrade) the marker-tui database at ``path``."""
    from marker_tui.storage import migrations

    path = Path(path).expanduser()
    if not path.exists():
        if not create:
            raise DatabaseMissing(f"There is no marker-tui database at {path}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private_file(path)
    conn = _connect(path)
    try:
        journal = _with_lock_retry(
            path, lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        )
    except sqlite3.DatabaseError as error:
        conn.close()
        if is_lock_error(error):
            raise DatabaseBusy(f"The database {path} is locked by another program.") from error
        raise NotADatabase(
            f"{path} is not a marker-tui database (SQLite says: {error}). "
            "Check the --db option or the MARKER_TUI_DB variable."
        ) from error
    if str(journal).lower() != "wal":
        conn.close()
        raise StorageError(
            f"Could not switch {path} to WAL mode (it stayed in {journal!r} mode); "
            "is it on a network drive? Keep the database on a local disk."
        )
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    db = Database(conn, execute_plugins=False)
    db.path = path
    db.lock = threading.RLock()
    try:
        migrations.upgrade(db)
    except BaseException:
        conn.close()
        raise
    return db


def database_path(db: Database) -> Path:
    """The file the connection has open."""
    return Path(db.conn.execute("PRAGMA database_list").fetchone()[2])


def without_waiting_for_disk(db: Database) -> None:
    """For a scratch file that is copied into place when complete: commits need not reach the disk."""
    db.conn.execute("PRAGMA synchronous = OFF")


def holds_centre_data(db: Database) -> bool:
    """True if the database holds anything a centre made (staff, candidates or sittings)."""
    return any(db.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]
               for table in ("staff", "candidates", "sittings"))


def copy_into(db: Database, target: Path) -> None:
    """Write a consistent copy of the open database to ``target`` (SQLite's online backup)."""
    create_private_file(target)
    out = sqlite3.connect(str(target))
    try:
        db.conn.backup(out)
    finally:
        out.close()


def copy_file(source: Path, target: Path) -> None:
    """A consistent copy of one database file to another (safe while others write to it)."""
    src = sqlite3.connect(str(source))
    try:
        create_private_file(target)
        out = sqlite3.connect(str(target))
        try:
            src.backup(out)
        finally:
            out.close()
    finally:
        src.close()


IN_LIST_SIZE = 500  # SQLite's parameter limit (999 on old builds), with room to spare


def id_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """Distinct ids, sorted, in lists short enough for one ``IN (...)``."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_LIST_SIZE):
        yield ordered[start:start + IN_LIST_SIZE]


def placeholders(values: Sequence[Any]) -> str:
    """``?,?,?`` for an ``IN (...)`` of these values."""
    return ",".join("?" * len(values))


R = TypeVar("R")


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def first_if_table(db: Database, sql: str, params: Sequence[Any], make: Callable[[Any], R]) -> R | None:
    """``make`` of the query's first row; None without one, or when its table does not exist yet (a file
    from an older schema, used while it is being upgraded: the tests build such files)."""
    try:
        row = db.execute(sql, list(params)).fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
        return None
    return None if row is None else make(row)


def record_from_row(cls: type[R], row: dict[str, Any], instants: Sequence[str] = ()) -> R:
    """A typed record from a query's row: columns the record does not name are left out, and
    the named instant columns become datetimes (reads return records, never rows)."""
    names = _field_names(cls)
    return cls(**{k: (parse_instant(v) if k in instants else v) for k, v in row.items() if k in names})
