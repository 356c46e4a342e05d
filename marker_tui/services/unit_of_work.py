"""The one door every change goes through: who is acting, may they, and what is recorded.

A service says what it needs and who is asking::

    with self.uow.write(by=by, needs=Permission.RUN_ROOM, what="recording the incident") as tx:
        sitting = tx.sittings.sitting_by_code(code)
        ...
        tx.record(IncidentNoted(sitting_id=sitting.id, note=note))

and the unit of work

- takes the write lock first (``BEGIN IMMEDIATE``, waiting politely with backoff), so the block runs
  once, on data no other writer can change under it;
- resolves ``by`` to a staff member and checks them against the one permission table
  (``domain/roles.py``), inside the same transaction, so a role removed a moment ago counts;
- gives the block the repositories (each ``storage`` module with the connection bound), the clock
  and one "now" for every row it writes;
- writes each typed audit event (``domain/events``) in the same transaction as the change, and
  refuses to commit a change that recorded none: every write is audited, by construction.

Housekeeping is the one, named exception: upkeep that changes nobody's work and that the centre
has never audited (a claim's expiry pushed on, a marker's unsaved draft kept, a learner's terminal
lease renewed, where a learner is in the paper). Such a write says so, in words::

    with self.uow.write(by=by, needs=Permission.MARK, housekeeping="keeping a draft") as tx:
        tx.marks.put_draft(...)

and may then commit without an event (it may still record one, e.g. a claim taken where a
claim refreshed needs none). A write that names neither an event nor its housekeeping is
still refused (:class:`UnauditedWrite`).

``read`` is its twin for a consistent snapshot of several reads. ``run`` keeps the older
"may run twice on lock" form for work that is safe to repeat.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
from datetime import datetime
from types import ModuleType
from typing import Any, Callable, Iterator, TypeVar

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events import AuditEvent
from marker_tui.domain.roles import Permission, may
from marker_tui.services.audit import Actor, ServiceError, record
from marker_tui.storage.database import (
    Database,
    DatabaseBusy,
    is_lock_error,
    read_transaction,
    run_write,
    write_transaction,
)

T = TypeVar("T")

Needs = Permission | tuple[Permission, ...] | None


class UnauditedWrite(RuntimeError):
    """A write block finished without recording what it did (a programming slip the tests catch)."""


class Repositories:
    """``storage`` modules with the connection bound: ``repos.sittings.sitting_by_code(code)``.

    Every storage function takes the database first; binding it here means a service cannot
    reach past its transaction to another connection. Modules are imported on first use so a
    learner's terminal never loads marking or IQA storage.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def __getattr__(self, name: str) -> "_Bound":
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            module = importlib.import_module(f"marker_tui.storage.{name}")
        except ModuleNotFoundError as error:
            raise AttributeError(f"there is no storage module {name!r}") from error
        bound = _Bound(module, self._db)
        setattr(self, name, bound)
        return bound


class _Bound:
    def __init__(self, module: ModuleType, db: Database) -> None:
        self._module = module
        self._db = db

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if inspect.isfunction(value) and _takes_database_first(value):
            value = functools.partial(value, self._db)
        setattr(self, name, value)
        return value


@functools.cache
def _takes_database_first(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and params[0].name in ("db", "database", "conn")


class Reading(Repositories):
    """What a read block is given: the repositories, the clock and who is reading."""

    def __init__(self, db: Database, clock: Clock, actor: Actor | None) -> None:
        super().__init__(db)
        self.db = db
        self.clock = clock
        self.actor = actor


class Writing(Reading):
    """What a write block is given: a :class:`Reading` plus one ``now`` and ``record``."""

    def __init__(self, db: Database, clock: Clock, actor: Actor, now: datetime) -> None:
        super().__init__(db, clock, actor)
        self.actor: Actor = actor
        self.now = now
        self.recorded: list[AuditEvent] = []

    def record(self, event: AuditEvent, *, by: Actor | None = None, entry_id: int | None = None) -> None:
        """Write ``event`` to the audit log in this transaction (as ``by``, or the one acting).

        ``entry_id`` is for a restore only: its entry takes an id above both databases' histories.
        """
        record(self.db, at=self.now, actor=by or self.actor, action=event.action.value,
               sitting_id=event.sitting_id, script_id=event.script_id,
               candidate_number=event.candidate_number, details=event.details(), entry_id=entry_id)
        self.recorded.append(event)


class UnitOfWork:
    """Hands out write and read blocks on one database with one clock (built once per service)."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    # -- who is acting ----------------------------------------------------------
    def _actor(self, db: Database, by: str | Actor | None, needs: Needs) -> Actor:
        if isinstance(by, Actor):
            if needs is not None and by.staff_id is None:
                raise ServiceError("This needs a member of staff; sign in first.")
            if needs is None:
                return by
            by = by.label
        if needs is None:
            raise TypeError("a staff member's write must say which Permission it needs")
        return authorise(db, by, needs)

    # -- blocks -------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self, *, by: str | Actor | None, needs: Needs, what: str = "saving",
              at: datetime | None = None, housekeeping: str | None = None) -> Iterator[Writing]:
        """One transaction that changes something and records what it did (see the module).

        ``housekeeping`` names upkeep that is not audited (see the module); only then may the
        block commit without recording an event.
        """
        _check_housekeeping(housekeeping)
        with self._translating_lock_errors(what):
            with write_transaction(self.db, what):
                actor = self._actor(self.db, by, needs)
                tx = Writing(self.db, self.clock, actor, at or self.clock.now())
                yield tx
                _check_audited(tx, what, housekeeping)

    @contextlib.contextmanager
    def read(self, *, by: str | Actor | None = None, needs: Needs = None) -> Iterator[Reading]:
        """One consistent snapshot (WAL: never waits for writers); checks ``needs`` when given."""
        with read_transaction(self.db):
            actor = None if by is None and needs is None else self._actor(self.db, by, needs)
            yield Reading(self.db, self.clock, actor)

    def require(self, *, by: str | Actor | None, needs: Needs) -> Actor:
        """Who is acting, checked against ``needs``, before a use case reads or writes anything."""
        with self.read(by=by, needs=needs) as rx:
            return rx.actor

    def run(self, work: Callable[[Writing], T], *, by: str | Actor | None, needs: Needs,
            what: str = "saving", at: datetime | None = None, housekeeping: str | None = None) -> T:
        """``work(tx)`` in a write block, run again if a lock error escapes it (so it must be
        safe to repeat: only database work; only the last run is committed). ``housekeeping``
        as for :meth:`write`."""
        _check_housekeeping(housekeeping)
        now = at or self.clock.now()

        def attempt(db: Database) -> T:
            actor = self._actor(db, by, needs)
            tx = Writing(db, self.clock, actor, now)
            result = work(tx)
            _check_audited(tx, what, housekeeping)
            return result

        return run_write(self.db, attempt, what)

    def record_refusal(self, event: AuditEvent, *, by: str | Actor | None, what: str = "recording a refusal") -> None:
        """Record a refusal in its own transaction, after the refused change rolled back.

        ``by`` is who asked; when it names nobody on the staff list the entry is written as
        that name (a refusal must be recorded even for a stranger).
        """
        with write_transaction(self.db, what):
            actor = by if isinstance(by, Actor) else _actor_or_name(self.db, by)
            Writing(self.db, self.clock, actor, self.clock.now()).record(event)

    @contextlib.contextmanager
    def _translating_lock_errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except Exception as error:  # noqa: BLE001 - only lock errors are translated, the rest re-raised
            if is_lock_error(error):
                raise DatabaseBusy(
                    f"The database {self.db.path} was locked by another program while {what}; "
                    "nothing was changed. Try again.") from error
            raise


def _check_housekeeping(housekeeping: str | None) -> None:
    if housekeeping is not None and (not isinstance(housekeeping, str) or not housekeeping.strip()):
        raise TypeError("housekeeping must say, in words, what upkeep the write is (e.g. \"claim refresh\")")


def _check_audited(tx: Writing, what: str, housekeeping: str | None) -> None:
    if not tx.recorded and housekeeping is None:
        raise UnauditedWrite(f"a write ({what}) finished without recording an audit event "
                             "(record one, or name the write's housekeeping if it is upkeep nobody audits)")


def authorise(db: Database, name: str | None, needs: Permission | tuple[Permission, ...]) -> Actor:
    """The staff member called ``name``, checked against the permission table for ``needs``."""
    from marker_tui.services.staff import find_staff

    wanted = needs if isinstance(needs, tuple) else (needs,)
    if not name or not name.strip():
        raise ServiceError("Say who is doing this with --by NAME (a staff member's name).")
    member = find_staff(db, name)
    if member is None:
        raise ServiceError(
            f"There is no staff member called {name.strip()!r}. "
            "Check the spelling, or add them with: marker-tui staff add NAME --role ROLE --by ADMIN")
    if not any(may(member.roles, p) for p in wanted):
        from marker_tui.domain.roles import Role, roles_for

        allowed = {r for p in wanted for r in roles_for(p)}
        roles = [r.value for r in Role if r.value in allowed]
        raise ServiceError(
            f"{member.name} cannot do this: it needs the role {' or '.join(roles)}, "
            f"and {member.name} has {', '.join(member.roles)}.")
    return Actor(label=member.name, staff_id=member.id)


def _actor_or_name(db: Database, name: str | None) -> Actor:
    from marker_tui.services.staff import find_staff

    try:
        member = find_staff(db, name or "")
    except ServiceError:
        member = None
    if member is None:
        return Actor(label=(name or "").strip() or "unknown")
    return Actor(label=member.name, staff_id=member.id)
