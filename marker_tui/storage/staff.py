"""Staff as stored: names, roles and PIN hashes. Every query about staff lives here.

A row's ``pin_hash``/``pin_salt`` never leave this module and the staff service:
:class:`StaffRow` is what a sign-in check needs, :func:`roles_of` what a screen needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marker_tui.storage.database import Database, now_text, parse_instant


@dataclass(frozen=True)
class StaffRow:
    id: int
    name: str
    created_at: datetime
    locked_until: datetime | None
    failed_attempts: int
    pin_hash: str
    pin_salt: str
    pin_params: str = ""
    """How the hash was made (e.g. ``scrypt:n=16384,r=8,p=1``): a PIN is checked the way it was hashed."""

    def __repr__(self) -> str:  # never print the hash, even in a log
        return f"StaffRow(id={self.id}, name={self.name!r})"


def _row(row: dict | None) -> StaffRow | None:
    if row is None:
        return None
    return StaffRow(id=row["id"], name=row["name"], created_at=parse_instant(row["created_at"]),
                    locked_until=parse_instant(row["locked_until"]), failed_attempts=row["failed_attempts"],
                    pin_hash=row["pin_hash"], pin_salt=row["pin_salt"], pin_params=row.get("pin_params") or "")


def staff_by_name(db: Database, name: str) -> StaffRow | None:
    """Names match whatever their case (``COLLATE NOCASE``)."""
    return _row(next(db.query("SELECT * FROM staff WHERE name = ? COLLATE NOCASE", [name]), None))


def staff_by_id(db: Database, staff_id: int) -> StaffRow | None:
    return _row(next(db.query("SELECT * FROM staff WHERE id = ?", [staff_id]), None))


def all_staff(db: Database) -> list[StaffRow]:
    return [_row(r) for r in db.query("SELECT * FROM staff ORDER BY name")]


def roles_of(db: Database, staff_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT role FROM staff_roles WHERE staff_id = ?", [staff_id])]


def staff_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM staff").fetchone()[0]


def insert_staff(db: Database, name: str, *, pin_hash: str, pin_salt: str, pin_params: str, at: datetime) -> int:
    return db.execute("INSERT INTO staff (name, pin_hash, pin_salt, pin_params, created_at) VALUES (?, ?, ?, ?, ?)",
                      [name, pin_hash, pin_salt, pin_params, now_text(at)]).lastrowid


def replace_roles(db: Database, staff_id: int, roles: list[str]) -> None:
    db.execute("DELETE FROM staff_roles WHERE staff_id = ?", [staff_id])
    for role in roles:
        db.execute("INSERT INTO staff_roles (staff_id, role) VALUES (?, ?)", [staff_id, role])


def set_pin(db: Database, staff_id: int, *, pin_hash: str, pin_salt: str, pin_params: str) -> None:
    """A new PIN also clears wrong-PIN counts and any lock-out."""
    db.execute("UPDATE staff SET pin_hash = ?, pin_salt = ?, pin_params = ?, failed_attempts = 0,"
               " locked_until = NULL WHERE id = ?", [pin_hash, pin_salt, pin_params, staff_id])


def set_failures(db: Database, staff_id: int, failures: int, *, locked_until: datetime | None = None) -> None:
    db.execute("UPDATE staff SET failed_attempts = ?, locked_until = ? WHERE id = ?",
               [failures, now_text(locked_until) if locked_until else None, staff_id])


def admin_names(db: Database) -> list[str]:
    """Admins' names, the first added first."""
    return [r[0] for r in db.execute("SELECT s.name FROM staff s JOIN staff_roles r ON r.staff_id = s.id"
                                     " WHERE r.role = 'admin' ORDER BY s.id")]


def role_holder_count(db: Database, role: str) -> int:
    """How many people hold ``role``."""
    return db.execute("SELECT count(*) FROM staff_roles WHERE role = ?", [role]).fetchone()[0]
