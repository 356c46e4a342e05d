"""The audit_log table: appending chained rows, reading them back for verification.

The chain itself (what is hashed, how links are made) is ``domain/audit_chain.py``.
:func:`append` must run inside the caller's write transaction (``BEGIN
IMMEDIATE``): the previous row's hash is read under the same write lock as the
insert, so many learner processes saving at once still make one straight chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from marker_tui.domain.audit_chain import GENESIS, ChainRow, content_digest, link

from .database import Database, record_from_row, write_transaction

_COLUMNS = "id, at, actor, action, sitting_id, script_id, candidate_number, details, content_digest, chain_hash"


def is_chained(db: Database) -> bool:
    """Whether this database's audit log has the chain columns (schema with the chain migration)."""
    from .migrations import AUDIT_CHAIN_VERSION

    return int(db.conn.execute("PRAGMA user_version").fetchone()[0]) >= AUDIT_CHAIN_VERSION


def head(db: Database, schema: str = "main") -> tuple[int | None, str]:
    """The last entry's id and chain hash (None and GENESIS for an empty log)."""
    row = db.conn.execute(f"SELECT id, chain_hash FROM {schema}.audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (None, GENESIS) if row is None else (row[0], row[1] or GENESIS)


def issued_up_to(db: Database, schema: str = "main") -> int:
    """The highest id ever given out (SQLite's AUTOINCREMENT counter, or the last row's id)."""
    row = db.conn.execute(f"SELECT seq FROM {schema}.sqlite_sequence WHERE name = 'audit_log'").fetchone()
    last = db.conn.execute(f"SELECT max(id) FROM {schema}.audit_log").fetchone()[0] or 0
    return max(int(row[0]) if row else 0, last)


def append(db: Database, at: str, actor: str, action: str, sitting_id: int | None, script_id: int | None,
           candidate_number: str | None, details: str, *, entry_id: int | None = None) -> int:
    """Append one chained row; returns its id. ``entry_id`` skips ids (used by restore only)."""
    if not db.conn.in_transaction:
        with write_transaction(db, "writing the audit log"):
            return append(db, at, actor, action, sitting_id, script_id, candidate_number, details,
                          entry_id=entry_id)
    if not is_chained(db):  # an old schema being upgraded: no chain columns yet
        cursor = db.conn.execute(
            "INSERT INTO audit_log (at, actor, action, sitting_id, script_id, candidate_number, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", [at, actor, action, sitting_id, script_id, candidate_number, details])
        return int(cursor.lastrowid)
    _last_id, previous = head(db)
    new_id = max(issued_up_to(db) + 1, entry_id or 0)
    content = content_digest(at, actor, action, sitting_id, script_id, candidate_number, details)
    db.conn.execute(
        f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [new_id, at, actor, action, sitting_id, script_id, candidate_number, details, content,
         link(previous, new_id, content)])
    return new_id


def chain_rows(db: Database, schema: str = "main") -> Iterator[ChainRow]:
    """Every row, oldest first, as the chain sees it (read inside a read transaction)."""
    for r in db.conn.execute(f"SELECT {_COLUMNS} FROM {schema}.audit_log ORDER BY id"):
        yield ChainRow(*r)


def erased_entry_ids(db: Database, schema: str = "main") -> frozenset[int]:
    """The ids of entries an erasure overwrote (their content no longer matches their digest)."""
    from marker_tui.domain.audit_chain import ERASED, erased_ids

    return erased_ids(db.conn.execute(f"SELECT id, details FROM {schema}.audit_log WHERE action = ? ORDER BY id",
                                      [ERASED]).fetchall())


def seal_existing_rows(db: Database) -> int:
    """Chain every row of a log written before the chain existed (the migration's work)."""
    previous, count = GENESIS, 0
    rows = db.conn.execute(
        "SELECT id, at, actor, action, sitting_id, script_id, candidate_number, details FROM audit_log ORDER BY id"
    ).fetchall()
    for r in rows:
        content = content_digest(*r[1:])
        previous = link(previous, r[0], content)
        db.conn.execute("UPDATE audit_log SET content_digest = ?, chain_hash = ? WHERE id = ?",
                        [content, previous, r[0]])
        count += 1
    return count


# -- reading for people and checks ----------------------------------------------------------

PROTECTING_TRIGGERS = frozenset({"audit_log_no_update", "audit_log_no_delete", "audit_log_chained"})


def entry_count(db: Database) -> int:
    return db.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def missing_triggers(db: Database) -> list[str]:
    """The append-only triggers this database lacks (none, when it is protected)."""
    present = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    return sorted(PROTECTING_TRIGGERS - present)


def chain_hash_of(db: Database, entry_id: int) -> str | None:
    """Entry ``entry_id``'s chain hash, or None when there is no such entry."""
    row = db.conn.execute("SELECT chain_hash FROM audit_log WHERE id = ?", [entry_id]).fetchone()
    return None if row is None else row[0]


def chain_hash_in_copy(path: str, entry_id: int) -> str | None:
    """The same, read from another database file (a restore's safety copy), opened read-only."""
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT chain_hash FROM audit_log WHERE id = ?", [entry_id]).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if found is None else found[0]


class ActionDetails(NamedTuple):
    id: int
    details: str
    """JSON text, as stored."""


def details_of_action(db: Database, action: str) -> list[ActionDetails]:
    """(id, details JSON) of every entry of one kind, oldest first."""
    return [ActionDetails._make(r) for r in db.conn.execute(
        "SELECT id, details FROM audit_log WHERE action = ? ORDER BY id", [action])]


class Erasure(NamedTuple):
    """A learner-data erasure entry: when, by whom, and the earlier entries it overwrote."""

    id: int
    at: str
    actor: str
    erased_entries: tuple[int, ...]


def erasures(db: Database) -> list[Erasure]:
    """Every erasure entry, oldest first (the entries they name are the only ones whose content changed)."""
    from marker_tui.domain.audit_chain import ERASED, erased_ids

    found = []
    for entry_id, at, actor, details in db.conn.execute(
            "SELECT id, at, actor, details FROM audit_log WHERE action = ? ORDER BY id", [ERASED]):
        found.append(Erasure(entry_id, at, actor, tuple(sorted(erased_ids([(entry_id, details)])))))
    return found


def _previous(db: Database) -> str:
    # The previous entry's chain hash, so a part of the log (one sitting's) can still be checked link by link.
    if not is_chained(db):
        return ""
    return (", (SELECT chain_hash FROM audit_log p WHERE p.id < a.id ORDER BY p.id DESC LIMIT 1)"
            " AS previous_hash")


@dataclass(frozen=True)
class StoredEntry(ChainRow):
    """An audit log row as stored and hashed (:class:`ChainRow`: ``at`` and ``details`` unparsed),
    with the previous entry's chain hash. The chain columns are None in a log from before the chain."""

    previous_hash: str | None = None


def all_rows(db: Database) -> list[StoredEntry]:
    return [record_from_row(StoredEntry, r)
            for r in db.query(f"SELECT *{_previous(db)} FROM audit_log a ORDER BY id")]


def sitting_rows(db: Database, sitting_id: int) -> list[StoredEntry]:
    """A sitting's entries, with those about one of its scripts written without the sitting id."""
    return [record_from_row(StoredEntry, r) for r in db.query(
        f"SELECT *{_previous(db)} FROM audit_log a WHERE sitting_id = ?"
        " OR (sitting_id IS NULL AND script_id IN (SELECT id FROM scripts WHERE sitting_id = ?)) ORDER BY id",
        [sitting_id, sitting_id])]
