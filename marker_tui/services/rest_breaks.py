"""Supervised rest breaks in the room: asked for at the learner's terminal, confirmed by the invigilator.

A break is a pause of that candidate (``InvigilationService.pause``, in the same
transaction), so the clock stops and every second is given back; the learner's
terminal hides and locks the paper while it lasts. Who asked, who allowed it,
when it began and ended are kept (``storage/rest_breaks.py``) and audited.
"""

from __future__ import annotations

from marker_tui.domain.local_time import HOUR_MINUTE, local_time


from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.rest_breaks import (
    RestBreakAskedFor,
    RestBreakDeclined,
    RestBreakEnded,
    RestBreakStarted,
)
from marker_tui.domain.rest_breaks import (
    REST_BREAK_REASON,
    RestBreakRecord,
    RestBreakState,
    allows_rest_breaks,
)
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.database import Database, now_text

RUN_ROOM = Permission.RUN_ROOM


class RestBreakError(ServiceError):
    pass


class RestBreakService:
    def __init__(self, db: Database, clock: Clock | None = None, *, invigilation) -> None:  # noqa: ANN001
        """``invigilation``: the room's service (it pauses and resumes the candidate's clock), or a
        function giving it, so a learner's terminal that only asks never loads it."""
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)
        self._invigilation = invigilation

    @property
    def invigilation(self):  # noqa: ANN201
        return self._invigilation() if callable(self._invigilation) else self._invigilation

    # -- the learner's terminal ---------------------------------------------------------------------
    def ask(self, script_id: int) -> RestBreakState:
        """The learner asks for a break (their terminal's key); the invigilator is shown it at once."""
        with self.uow.read() as rx:
            sitting_id = rx.scripts.sitting_of_script(script_id)
            [script] = rx.scripts.scripts_of(sitting_id, script_id) if sitting_id else [None]
        if script is None:
            raise RestBreakError("This script is not in a sitting.")
        with self.uow.write(by=Actor.candidate(script.candidate_number), needs=None,
                            what="asking for a rest break") as tx:
            # The list copied onto this script, not the candidate's current one: what applied on the day.
            if not allows_rest_breaks(tx.candidates.script_arrangements(script_id)):
                raise RestBreakError("Rest breaks are not one of your access arrangements: "
                                     "raise your hand and ask the invigilator.")
            [now_script] = tx.scripts.scripts_of(sitting_id, script_id)
            if now_script.final or now_script.started_at is None:
                raise RestBreakError("A rest break can only be taken while you are writing.")
            held = tx.rest_breaks.open_break(script_id)
            if held is not None:
                return _state(held)
            tx.rest_breaks.insert_asked(sitting_id, script_id, tx.now)
            tx.record(RestBreakAskedFor(sitting_id=sitting_id, script_id=script_id,
                                        candidate_number=script.candidate_number))
            return RestBreakState(candidate_number=script.candidate_number, asked_at=tx.now)

    def learner_break(self, script_id: int) -> RestBreakState | None:
        """The break asked for or under way for this learner (None: none)."""
        with self.uow.read() as rx:
            held = rx.rest_breaks.open_break(script_id)
        return None if held is None else _state(held)

    # -- the room -------------------------------------------------------------------------------------
    def room(self, code: str) -> dict[str, RestBreakState]:
        """Candidate number → their break asked for or under way, for the room view."""
        with self.uow.read() as rx:
            sitting = self._sitting(rx, code)
            rows = rx.rest_breaks.breaks_in_sitting(sitting.id)
        return {b.candidate_number: _state(b) for b in rows if b.asked or b.on_break}

    def history(self, code: str) -> list[RestBreakRecord]:
        """Every break taken in the sitting, oldest first (attendance register, reports)."""
        with self.uow.read() as rx:
            sitting = self._sitting(rx, code)
            rows = rx.rest_breaks.breaks_in_sitting(sitting.id)
        return [RestBreakRecord(candidate_number=b.candidate_number, started_at=b.started_at,
                                ended_at=b.finished_at, allowed_by=b.allowed_by, asked=b.asked_at is not None)
                for b in rows if b.started_at is not None]

    def start(self, code: str, candidate_number: str, *, by: str) -> RestBreakState:
        """Begin a break for the candidate: the one they asked for, or at the invigilator's decision."""
        with self.uow.write(by=by, needs=RUN_ROOM, what="starting a rest break") as tx:
            sitting = self._sitting(tx, code)
            script_id = self._script(tx, sitting, candidate_number)
            held = tx.rest_breaks.open_break(script_id)
            if held is not None and held.on_break:
                raise RestBreakError(f"Candidate {held.candidate_number} is already on a rest break "
                                     f"(since {local_time(held.started_at, HOUR_MINUTE)}).")
            # The candidate's pause, inside this same transaction: both happen or neither does.
            self.invigilation.pause(code, reason=REST_BREAK_REASON, by=by, candidate_number=candidate_number)
            pause_id = tx.rest_breaks.open_pause_id(script_id)
            if held is not None:
                tx.rest_breaks.mark_started(held.id, pause_id, tx.now, tx.actor.staff_id)
            else:
                tx.rest_breaks.insert_started(sitting.id, script_id, pause_id, tx.now, tx.actor.staff_id)
            number = held.candidate_number if held else candidate_number.strip().upper()
            tx.record(RestBreakStarted(sitting_id=sitting.id, script_id=script_id, candidate_number=number,
                                       asked=held is not None, started_at=now_text(tx.now)))
            return RestBreakState(candidate_number=number, asked_at=held.asked_at if held else None,
                                  started_at=tx.now)

    def end(self, code: str, candidate_number: str, *, by: str) -> int:
        """End the candidate's break: their clock runs again. Returns the seconds given back."""
        with self.uow.write(by=by, needs=RUN_ROOM, what="ending a rest break") as tx:
            sitting = self._sitting(tx, code)
            script_id = self._script(tx, sitting, candidate_number)
            held = tx.rest_breaks.open_break(script_id)
            if held is None or not held.on_break:
                raise RestBreakError(f"Candidate {candidate_number.strip().upper()} is not on a rest break.")
            self.invigilation.resume(code, reason="rest break over", by=by, candidate_number=candidate_number)
            tx.rest_breaks.mark_ended(held.id, tx.now, tx.actor.staff_id)
            seconds = int((tx.now - held.started_at).total_seconds())
            tx.record(RestBreakEnded(sitting_id=sitting.id, script_id=script_id,
                                     candidate_number=held.candidate_number, started_at=now_text(held.started_at),
                                     ended_at=now_text(tx.now), break_seconds=seconds))
            return seconds

    def decline(self, code: str, candidate_number: str, *, reason: str, by: str) -> None:
        why = " ".join((reason or "").split())
        if not why:
            raise RestBreakError("Say why the break is declined (the learner's record keeps it).")
        with self.uow.write(by=by, needs=RUN_ROOM, what="declining a rest break") as tx:
            sitting = self._sitting(tx, code)
            script_id = self._script(tx, sitting, candidate_number)
            held = tx.rest_breaks.open_break(script_id)
            if held is None or not held.asked:
                raise RestBreakError(f"Candidate {candidate_number.strip().upper()} has not asked for a rest break.")
            tx.rest_breaks.mark_declined(held.id, tx.now, tx.actor.staff_id)
            tx.record(RestBreakDeclined(sitting_id=sitting.id, script_id=script_id,
                                        candidate_number=held.candidate_number, reason=why))

    # -- lookups ----------------------------------------------------------------------------------------
    @staticmethod
    def _sitting(rx, code: str):  # noqa: ANN001, ANN205 - a read or write block; a storage Sitting
        sitting = rx.sittings.sitting_by_code(code)
        if sitting is None:
            raise RestBreakError(rx.sittings.no_such_sitting(code))
        return sitting

    @staticmethod
    def _script(rx, sitting, candidate_number: str) -> int:  # noqa: ANN001
        script_id = rx.sittings.script_id_by_candidate_number(sitting.id, (candidate_number or "").strip())
        if script_id is None:
            raise RestBreakError(f"Candidate {(candidate_number or '').strip().upper()} is not enrolled in "
                                 f"sitting {sitting.code}.")
        return script_id


def _state(row) -> RestBreakState:  # noqa: ANN001 - storage RestBreakRow
    return RestBreakState(candidate_number=row.candidate_number, asked_at=row.asked_at,
                          started_at=row.started_at if row.on_break else None)
