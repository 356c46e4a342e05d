"""Admission rows: keycodes, script leases, takeover requests, per-terminal tries.

Plain reads and writes, called inside the services' transactions (they never
BEGIN or COMMIT); the rules live in ``domain/admission.py`` and
``services/admission.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marker_tui.storage.database import Database, now_text, parse_instant


@dataclass(frozen=True)
class StoredKeycode:
    script_id: int
    keycode_hash: str
    keycode_salt: str
    issued_at: datetime


@dataclass(frozen=True)
class Lease:
    script_id: int
    terminal: str
    acquired_at: datetime
    renewed_at: datetime
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True)
class TakeoverRequest:
    script_id: int
    terminal: str
    requested_at: datetime
    asked_at: datetime  # the last time that terminal asked (requested_at in a file from before m0014)


@dataclass(frozen=True)
class TerminalTries:
    place: str
    kind: str
    sitting_id: int | None
    terminal: str
    failures: int
    last_failure_at: datetime | None
    locked_until: datetime | None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


# --- keycodes --------------------------------------------------------------------------------

def keycode_of(db: Database, script_id: int) -> StoredKeycode | None:
    row = db.conn.execute("SELECT script_id, keycode_hash, keycode_salt, issued_at FROM admission_keycodes"
                          " WHERE script_id = ?", [script_id]).fetchone()
    return None if row is None else StoredKeycode(row[0], row[1], row[2], parse_instant(row[3]))


def put_keycode(db: Database, script_id: int, keycode_hash: str, salt_hex: str, at: datetime,
                by: int | None) -> None:
    db.execute("INSERT INTO admission_keycodes (script_id, keycode_hash, keycode_salt, issued_at, issued_by)"
               " VALUES (?, ?, ?, ?, ?) ON CONFLICT (script_id) DO UPDATE SET keycode_hash = excluded.keycode_hash,"
               " keycode_salt = excluded.keycode_salt, issued_at = excluded.issued_at, issued_by = excluded.issued_by",
               [script_id, keycode_hash, salt_hex, now_text(at), by])


# --- leases ----------------------------------------------------------------------------------

def _lease(row) -> Lease:
    return Lease(row[0], row[1], parse_instant(row[2]), parse_instant(row[3]), parse_instant(row[4]))


def lease_of(db: Database, script_id: int) -> Lease | None:
    row = db.conn.execute("SELECT script_id, terminal, acquired_at, renewed_at, expires_at FROM script_leases"
                          " WHERE script_id = ?", [script_id]).fetchone()
    return None if row is None else _lease(row)


def leases_in_sitting(db: Database, sitting_id: int) -> dict[int, Lease]:
    rows = db.conn.execute("SELECT l.script_id, l.terminal, l.acquired_at, l.renewed_at, l.expires_at"
                           " FROM script_leases l JOIN scripts s ON s.id = l.script_id WHERE s.sitting_id = ?",
                           [sitting_id]).fetchall()
    return {r[0]: _lease(r) for r in rows}


def put_lease(db: Database, script_id: int, terminal: str, now: datetime, expires: datetime) -> None:
    db.execute("INSERT INTO script_leases (script_id, terminal, acquired_at, renewed_at, expires_at)"
               " VALUES (?, ?, ?, ?, ?) ON CONFLICT (script_id) DO UPDATE SET terminal = excluded.terminal,"
               " acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at,"
               " expires_at = excluded.expires_at",
               [script_id, terminal, now_text(now), now_text(now), now_text(expires)])


def renew_lease(db: Database, script_id: int, terminal: str, now: datetime, expires: datetime) -> bool:
    """Renew the lease if this terminal still holds it; False if another terminal does."""
    return db.execute("UPDATE script_leases SET renewed_at = ?, expires_at = ? WHERE script_id = ? AND terminal = ?",
                      [now_text(now), now_text(expires), script_id, terminal]).rowcount == 1


def lease_terminal(db: Database, script_id: int) -> str | None:
    row = db.conn.execute("SELECT terminal FROM script_leases WHERE script_id = ?", [script_id]).fetchone()
    return None if row is None else row[0]


# --- takeover requests ----------------------------------------------------------------------------

def _request(row) -> TakeoverRequest:
    return TakeoverRequest(row[0], row[1], parse_instant(row[2]), parse_instant(row[3] or row[2]))


def request_of(db: Database, script_id: int) -> TakeoverRequest | None:
    row = db.conn.execute("SELECT script_id, terminal, requested_at, asked_at FROM takeover_requests"
                          " WHERE script_id = ?", [script_id]).fetchone()
    return None if row is None else _request(row)


def requests_in_sitting(db: Database, sitting_id: int) -> dict[int, TakeoverRequest]:
    rows = db.conn.execute("SELECT t.script_id, t.terminal, t.requested_at, t.asked_at FROM takeover_requests t"
                           " JOIN scripts s ON s.id = t.script_id WHERE s.sitting_id = ?", [sitting_id]).fetchall()
    return {r[0]: _request(r) for r in rows}


def put_request(db: Database, script_id: int, terminal: str, now: datetime) -> None:
    # The newest asking terminal is the one the invigilator approves.
    db.execute("INSERT INTO takeover_requests (script_id, terminal, requested_at, asked_at) VALUES (?, ?, ?, ?)"
               " ON CONFLICT (script_id) DO UPDATE SET terminal = excluded.terminal,"
               " requested_at = excluded.requested_at, asked_at = excluded.asked_at",
               [script_id, terminal, now_text(now), now_text(now)])


def still_asked(db: Database, script_id: int, now: datetime) -> None:
    """The terminal asking for the script asked again (it is still there)."""
    db.execute("UPDATE takeover_requests SET asked_at = ? WHERE script_id = ?", [now_text(now), script_id])


def drop_request(db: Database, script_id: int) -> None:
    db.execute("DELETE FROM takeover_requests WHERE script_id = ?", [script_id])


# --- per-terminal tries ---------------------------------------------------------------------------

def _tries(row) -> TerminalTries:
    return TerminalTries(row[0], row[1], row[2], row[3], row[4], parse_instant(row[5]), parse_instant(row[6]))


_TRIES = "SELECT place, kind, sitting_id, terminal, failures, last_failure_at, locked_until FROM terminal_tries"


def tries_of(db: Database, place: str, kind: str) -> TerminalTries | None:
    row = db.conn.execute(_TRIES + " WHERE place = ? AND kind = ?", [place, kind]).fetchone()
    return None if row is None else _tries(row)


def put_tries(db: Database, place: str, kind: str, *, sitting_id: int | None, terminal: str, failures: int,
              at: datetime, locked_until: datetime | None) -> None:
    db.execute("INSERT INTO terminal_tries (place, kind, sitting_id, terminal, failures, last_failure_at,"
               " locked_until) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (place, kind) DO UPDATE SET"
               " sitting_id = excluded.sitting_id, terminal = excluded.terminal, failures = excluded.failures,"
               " last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
               [place, kind, sitting_id, terminal, failures, now_text(at),
                now_text(locked_until) if locked_until else None])


def clear_tries(db: Database, place: str, kind: str) -> None:
    db.execute("DELETE FROM terminal_tries WHERE place = ? AND kind = ?", [place, kind])


def tries_in_sitting(db: Database, sitting_id: int) -> list[TerminalTries]:
    return [_tries(r) for r in db.conn.execute(_TRIES + " WHERE sitting_id = ? ORDER BY last_failure_at",
                                               [sitting_id]).fetchall()]


# --- exit codes -----------------------------------------------------------------------------------

def exit_code_of(db: Database, sitting_id: int) -> str | None:
    row = db.conn.execute("SELECT exit_code FROM sittings WHERE id = ?", [sitting_id]).fetchone()
    return None if row is None else row[0]


def set_exit_code(db: Database, sitting_id: int, code: str) -> None:
    db.execute("UPDATE sittings SET exit_code = ? WHERE id = ?", [code, sitting_id])


def centre_name(db: Database) -> str | None:
    """The centre's stored name, for the slips (None if none is set)."""
    from marker_tui.storage.centre_settings import CENTRE_NAME_KEY, read_setting

    return read_setting(db, CENTRE_NAME_KEY)
