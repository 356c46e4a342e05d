"""The ``centre_settings`` table (migration m0004): centre-wide key/value text.

Every function runs inside the caller's transaction (``run_write`` or
``read_transaction``), so a setting changes together with its audit row.
"""

from __future__ import annotations

from datetime import datetime

from marker_tui.storage.database import Database, now_text

CENTRE_NAME_KEY = "centre name"
CENTRE_NUMBER_KEY = "centre number"


def read_setting(db: Database, key: str) -> str | None:
    """The stored value (spaces collapsed), or None when unset or blank."""
    row = db.execute("SELECT value FROM centre_settings WHERE key = ?", [key]).fetchone()
    value = " ".join((row[0] or "").split()) if row else ""
    return value or None


def stored_centre_number(db: Database) -> str | None:
    """The centre's awarding-body number, as the admin set it, or None."""
    return read_setting(db, CENTRE_NUMBER_KEY)


def write_setting(db: Database, key: str, value: str | None, *, staff_id: int, at: datetime) -> None:
    """Store ``value`` under ``key`` (None removes it)."""
    if value is None:
        db.execute("DELETE FROM centre_settings WHERE key = ?", [key])
        return
    db.execute("INSERT INTO centre_settings (key, value, changed_by, changed_at) VALUES (?, ?, ?, ?)"
               " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
               " changed_by = excluded.changed_by, changed_at = excluded.changed_at",
               [key, value, staff_id, now_text(at)])


RETENTION_KEY_PREFIX = "retention years: "


def settings_starting(db: Database, prefix: str) -> dict[str, str]:
    """Every setting whose key starts with ``prefix``: the rest of the key → value."""
    rows = db.execute("SELECT key, value FROM centre_settings WHERE substr(key, 1, ?) = ?",
                      [len(prefix), prefix]).fetchall()
    return {key[len(prefix):]: value for key, value in rows}
