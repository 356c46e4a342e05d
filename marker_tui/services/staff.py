"""Centre staff: who may invigilate, mark, quality-assure or administer, and their PINs.

PINs are never stored: only a salted scrypt hash (16 random bytes of salt per
PIN), compared in constant time. Three wrong PINs in a row lock that name for a
minute; every failure and lock-out is in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.local_time import local_time
from marker_tui.domain.visible_text import typed_line
from marker_tui.domain.events.centre import (
    StaffAdded,
    StaffLockedOut,
    StaffPinReset,
    StaffRefused,
    StaffRolesChanged,
    StaffSignedIn,
    WrongPinTyped,
)
from marker_tui.domain.roles import ROLE_NAMES as ROLES
from marker_tui.domain.roles import Permission, Role
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.unchanged import Unchanged, write_or_unchanged
from marker_tui.services.unit_of_work import UnitOfWork, Writing
from marker_tui.storage import staff as store
from marker_tui.storage.database import Database, now_text, read_transaction

MAX_FAILED_PINS = 3
LOCKOUT = timedelta(minutes=1)
PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
#: The scrypt cost of a new PIN hash. Kept beside each hash (``pin_params``) and read back to check
#: a PIN, so raising it later never locks anyone out. The test suite lowers it for the hashes it
#: makes in-process (tests/conftest.py): 30 ms a hash was half the time of the service tests.
PIN_COST = {"n": 2**14, "r": 8, "p": 1}
PRODUCTION_PIN_COST = dict(PIN_COST)


def pin_label(cost: dict[str, int]) -> str:
    return "scrypt:" + ",".join(f"{k}={cost[k]}" for k in ("n", "r", "p"))


def _cost_of(label: str) -> dict[str, int]:
    """The cost a stored hash was made with (a hash from before labels were read: today's)."""
    kind, _, params = (label or "").partition(":")
    if kind != "scrypt":
        return dict(PRODUCTION_PIN_COST)
    try:
        cost = {k: int(v) for k, v in (part.split("=", 1) for part in params.split(","))}
    except ValueError:
        return dict(PRODUCTION_PIN_COST)
    return cost if set(cost) == {"n", "r", "p"} else dict(PRODUCTION_PIN_COST)


class StaffMember(BaseModel):
    id: int
    name: str
    roles: list[str]
    created_at: datetime
    locked_until: datetime | None = None

    def has_any(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class WrongPin(ServiceError):
    """The PIN did not match (the failure *is* recorded)."""


class LockedOut(ServiceError):
    """Too many wrong PINs; try again after ``until``."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


def hash_pin(pin: str, salt: bytes, cost: dict[str, int] | None = None) -> str:
    cost = cost or PIN_COST
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, dklen=32, **cost).hex()


def check_pin_format(pin: str) -> str:
    if not PIN_PATTERN.match(pin or ""):
        raise ServiceError("A PIN must be 4 to 12 digits (0-9), nothing else.")
    return pin


def normalise_roles(roles: list[str] | tuple[str, ...]) -> list[str]:
    cleaned = []
    for role in roles:
        r = role.strip().lower()
        if r == "iqa reviewer":
            r = "iqa"
        if r not in ROLES:
            raise ServiceError(f"Unknown role {role!r}: choose from {', '.join(ROLES)}.")
        if r not in cleaned:
            cleaned.append(r)
    if not cleaned:
        raise ServiceError(f"Give at least one role ({', '.join(ROLES)}).")
    return cleaned


def _clean_name(name: str) -> str:
    return typed_line(name, what="A staff name", limit=100, empty="A staff member needs a name.",
                      controls="A staff name cannot contain control characters.", refuse=ServiceError)


def _member(db: Database, row: store.StaffRow) -> StaffMember:
    return StaffMember(id=row.id, name=row.name, roles=sorted(store.roles_of(db, row.id), key=ROLES.index),
                       created_at=row.created_at, locked_until=row.locked_until)


def find_staff(db: Database, name: str) -> StaffMember | None:
    row = store.staff_by_name(db, _clean_name(name))
    return _member(db, row) if row else None


class StaffService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    # -- reading ----------------------------------------------------------------
    def get(self, name: str) -> StaffMember:
        with read_transaction(self.db):
            member = find_staff(self.db, name)
        if member is None:
            raise ServiceError(f"There is no staff member called {name.strip()!r}.")
        return member

    def members(self) -> list[StaffMember]:
        with read_transaction(self.db):
            return [_member(self.db, r) for r in store.all_staff(self.db)]

    # -- changing -----------------------------------------------------------------
    def add(self, name: str, roles: list[str], pin: str, *, by: str | None) -> StaffMember:
        """Add a staff member. The very first one may be added without ``by`` (bootstrap)."""
        name = _clean_name(name)
        roles = normalise_roles(roles)
        check_pin_format(pin)
        salt = secrets.token_bytes(16)
        pin_hash = hash_pin(pin, salt)  # slow on purpose: outside the write lock

        def insert(tx: Writing, first: bool, actor: Actor | None) -> StaffMember:
            if find_staff(tx.db, name) is not None:
                raise ServiceError(f"There is already a staff member called {name!r}.")
            staff_id = store.insert_staff(tx.db, name, pin_hash=pin_hash, pin_salt=salt.hex(),
                                          pin_params=pin_label(PIN_COST), at=tx.now)
            store.replace_roles(tx.db, staff_id, roles)
            tx.record(StaffAdded(name=name, roles=roles, first_staff_member=first),
                      by=actor or Actor(label=name, staff_id=staff_id))
            return find_staff(tx.db, name)

        if by is None:
            # The very first staff member adds themself; anyone later needs an admin's name.
            with self.uow.write(by=Actor.system(), needs=None, what="adding the first staff member") as tx:
                if store.staff_count(tx.db) != 0:
                    raise ServiceError("Say who is doing this with --by NAME (a staff member's name).")
                if Role.ADMIN.value not in roles:
                    raise ServiceError(
                        "The first staff member must be an admin (add --role admin), "
                        "so that someone can add the others."
                    )
                return insert(tx, True, None)
        with self.uow.write(by=by, needs=Permission.ADMINISTER, what="adding the staff member") as tx:
            return insert(tx, store.staff_count(tx.db) == 0, tx.actor)

    def set_roles(self, name: str, roles: list[str], *, by: str) -> StaffMember:
        roles = normalise_roles(roles)
        with self.uow.write(by=by, needs=Permission.ADMINISTER, what="changing the roles") as tx:
            member = find_staff(tx.db, name)
            if member is None:
                raise ServiceError(f"There is no staff member called {name.strip()!r}.")
            if member.id == tx.actor.staff_id and Role.ADMIN.value not in roles:
                raise ServiceError("You cannot remove your own admin role; ask another admin.")
            store.replace_roles(tx.db, member.id, roles)
            tx.record(StaffRolesChanged(name=member.name, old=member.roles, new=roles))
            return find_staff(tx.db, member.name)

    def reset_pin(self, name: str, new_pin: str, *, by: str) -> None:
        check_pin_format(new_pin)
        salt = secrets.token_bytes(16)
        pin_hash = hash_pin(new_pin, salt)
        with self.uow.write(by=by, needs=Permission.ADMINISTER, what="resetting the PIN") as tx:
            member = find_staff(tx.db, name)
            if member is None:
                raise ServiceError(f"There is no staff member called {name.strip()!r}.")
            store.set_pin(tx.db, member.id, pin_hash=pin_hash, pin_salt=salt.hex(), pin_params=pin_label(PIN_COST))
            tx.record(StaffPinReset(name=member.name))

    def verify_pin(self, name: str, pin: str, *, terminal: str | None = None,
                   command: str | None = None) -> StaffMember:
        """Check a PIN. Raises WrongPin or LockedOut (both recorded); returns the member.

        ``terminal`` is a short label of where the PIN was typed (e.g. ``cli
        /dev/pts/3``) and ``command`` what it was typed for; both go into the
        audit details of the sign-in or refusal.
        """
        now = self.clock.now()
        where = {"terminal": terminal or None, "command": command or None}
        with read_transaction(self.db):
            row = store.staff_by_name(self.db, _clean_name(name))
        # Same message for unknown names and wrong PINs: do not reveal who exists.
        wrong = "That name and PIN do not match."
        if row is None:
            # Burn the same time as a real check, so timing does not reveal names either.
            hash_pin(pin or "", b"\0" * 16)
            if terminal:
                # Only where a terminal is named (the CLI): the name typed is kept for the log.
                self.uow.record_refusal(WrongPinTyped(name_typed=_clean_name(name), **where, no_such_staff_member=True),
                                        by=Actor.system(), what="recording the wrong PIN")
            raise WrongPin(wrong)
        locked_until = row.locked_until
        if locked_until is not None and now < locked_until:
            if terminal:
                self.refuse(row.name, "locked out", terminal=terminal, command=command, locked_until=locked_until)
            raise LockedOut(self._locked_message(row.name, locked_until), locked_until)
        matches = hmac.compare_digest(hash_pin(pin or "", bytes.fromhex(row.pin_salt), _cost_of(row.pin_params)),
                                      row.pin_hash)

        def work(tx: Writing) -> tuple[str, datetime | None]:
            db = tx.db
            current = store.staff_by_id(db, row.id)
            until = current.locked_until
            if until is not None and now < until:
                raise Unchanged(("locked", until))  # locked meanwhile (another terminal): nothing to record
            actor = Actor(label=current.name, staff_id=current.id)
            if matches:
                store.set_failures(db, row.id, 0)
                tx.record(StaffSignedIn(**where), by=actor)
                return "ok", None
            failures = current.failed_attempts + 1
            if failures >= MAX_FAILED_PINS:
                until = now + LOCKOUT
                store.set_failures(db, row.id, 0, locked_until=until)
                tx.record(StaffLockedOut(wrong_pins=failures, locked_until=now_text(until), **where), by=actor)
                return "locked", until
            store.set_failures(db, row.id, failures)
            tx.record(WrongPinTyped(wrong_pins=failures, **where), by=actor)
            return "wrong", None

        # Not yet known who is signing in: the block opens as the engine, each entry names the member.
        outcome, until = write_or_unchanged(self.uow, work, by=Actor.system(), needs=None,
                                            what="checking the PIN", at=now)
        if outcome == "locked":
            raise LockedOut(self._locked_message(row.name, until), until)
        if outcome == "wrong":
            raise WrongPin(wrong)
        return self.get(row.name)

    def refuse(self, name: str, reason: str, *, terminal: str | None = None, command: str | None = None,
               needs: list[str] | None = None, locked_until: datetime | None = None) -> None:
        """Record a refused sign-in or command (no PIN, locked out, wrong role) in the audit log.

        The actor is the staff member named, when there is one (else ``system``,
        with the name typed): the log then shows every refusal against that name.
        """
        with self.uow.write(by=Actor.system(), needs=None, what="recording the refusal") as tx:
            member = find_staff(tx.db, name) if (name or "").strip() else None
            tx.record(StaffRefused(
                reason=reason, terminal=terminal or None, command=command or None, needs_role=needs or None,
                locked_until=now_text(locked_until) if locked_until else None,
                name_typed=None if member else " ".join((name or "").split())[:100]),
                by=Actor(label=member.name, staff_id=member.id) if member else Actor.system())

    @staticmethod
    def _locked_message(name: str, until: datetime) -> str:
        return (
            f"Too many wrong PINs: {name} is locked out until "
            f"{local_time(until)}. Wait a minute, or ask an admin to reset the PIN."
        )
