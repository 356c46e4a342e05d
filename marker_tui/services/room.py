"""One sitting's stored instants, the time they give, and the sweep: shared by both sides of a sitting.

The invigilator's side (``invigilation.py``) and the learner's terminal (``learner.py``) read
the same rows and apply the same rules, so they live here once.

Time is never counted in a process: every answer is computed by ``domain/timing.py`` from
the instants stored here, so any process, restarted or not, sees the same time left.

Expiry is lazy and deterministic: whenever anything reads or writes a sitting, the *sweep*
marks every script whose time has run out as submitted with reason "time up", at the instant
the time ran out (not the instant someone noticed). A learner whose terminal was closed
therefore still ends with a submitted script holding their last saved answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, TypeVar

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.sitting import ScriptAbsent, ScriptSubmitted, SittingEnded
from marker_tui.domain.local_time import local_time
from marker_tui.domain.sitting_states import (
    FINISH_STATE,
    ScriptChange,
    ScriptState,
    SittingChange,
    SittingState,
    TransitionRefused,
    script_after,
    sitting_after,
)
from marker_tui.domain.timing import Interval, TimeState, time_state
from marker_tui.domain.visible_text import typed_line
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.papers import StoredPaper, get_paper
from marker_tui.services.unchanged import Unchanged, write_or_unchanged
from marker_tui.services.unit_of_work import Needs, UnitOfWork, Writing
from marker_tui.storage import scripts as script_store
from marker_tui.storage import sittings as sitting_store
from marker_tui.storage.database import Database, now_text, parse_instant, read_transaction
from marker_tui.storage.scripts import Script
from marker_tui.storage.sittings import Extension, Pause, Sitting, no_such_sitting, sitting_by_code, sitting_by_id

T = TypeVar("T")


class SittingError(ServiceError):
    pass


class NoSuchSitting(SittingError):
    """No sitting has the code given (a learner's terminal words this for learners)."""


def require_sitting(change: SittingChange, sitting: Sitting) -> SittingState:
    """The sitting's state after ``change``, or SittingError saying why it cannot happen now."""
    try:
        return sitting_after(change, sitting.state, code=sitting.code, started_at=sitting.started_at,
                             ended_at=sitting.ended_at)
    except TransitionRefused as refused:
        raise SittingError(str(refused)) from None


def require_script(change: ScriptChange, state: ScriptState, script: "RoomScript") -> ScriptState:
    """The script's state after ``change``, or SittingError saying why it cannot happen now."""
    try:
        return script_after(change, state, number=script.candidate_number, reason=script.record.submitted_reason,
                            submitted_at=script.record.submitted_at, started_at=script.started_at)
    except TransitionRefused as refused:
        raise SittingError(str(refused)) from None


# --- loading the stored instants ------------------------------------------------------------


@dataclass
class RoomScript:
    """A script as one read or write block sees it (updated in place when the block finishes it)."""

    record: Script

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def candidate_number(self) -> str:
        return self.record.candidate_number

    @property
    def name(self) -> str:
        return self.record.candidate_name

    @property
    def final(self) -> bool:
        return self.record.final

    @property
    def started_at(self) -> datetime | None:
        return self.record.started_at


@dataclass
class Room:
    """One sitting's stored instants, loaded in a handful of queries."""

    sitting: Sitting
    paper: StoredPaper
    scripts: list[RoomScript]
    room_pauses: list[Pause]
    script_pauses: dict[int, list[Pause]]
    extensions: dict[int, list[Extension]]

    def open_room_pause(self) -> Pause | None:
        return next((p for p in self.room_pauses if p.ended_at is None), None)

    def open_script_pause(self, script_id: int) -> Pause | None:
        return next((p for p in self.script_pauses.get(script_id, []) if p.ended_at is None), None)

    def time(self, script: RoomScript, now: datetime) -> TimeState:
        return time_state(
            now=now,
            paper_minutes=self.paper.time_allowance_minutes,
            extra_time_percent=script.record.extra_time_percent,
            extension_minutes=[e.minutes for e in self.extensions.get(script.id, [])],
            own_start=script.started_at,
            room_pauses=_intervals(self.room_pauses),
            candidate_pauses=_intervals(self.script_pauses.get(script.id, [])),
            submitted_at=script.record.submitted_at,
        )

    def state_of(self, script: RoomScript, time: TimeState) -> ScriptState:
        """What the room view shows: paused when the room or the candidate is paused."""
        if script.final:
            return FINISH_STATE[script.record.finish]
        if time.is_time_up:
            return ScriptState.TIME_UP
        if script.record.logged_in_at is None and script.started_at is None:
            return ScriptState.NOT_LOGGED_IN
        if not time.started:
            return ScriptState.READING
        return ScriptState.PAUSED if time.is_paused else ScriptState.WRITING

    def own_state(self, script: RoomScript) -> ScriptState:
        """The script's own state for the state machine (after a sweep): paused only by its own pause."""
        if script.final:
            return FINISH_STATE[script.record.finish]
        if script.record.logged_in_at is None and script.started_at is None:
            return ScriptState.NOT_LOGGED_IN
        if script.started_at is None:
            return ScriptState.READING
        return ScriptState.PAUSED if self.open_script_pause(script.id) else ScriptState.WRITING


def _intervals(pauses: list[Pause]) -> list[Interval]:
    return [Interval(p.started_at, p.ended_at) for p in pauses]


def clean_reason(text: str | None, doing: str, *, required: bool = True) -> str | None:
    return typed_line(text, what="A reason", limit=500, refuse=SittingError,
                      empty=f"A reason is required to {doing}: add --reason \"...\". Nothing was changed."
                      if required else None)


def clock_text(instant: datetime | None) -> str:
    return local_time(instant)


class RoomService:
    """What both sides of a sitting share: loading a room, its time, the sweep, finishing a script."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)
        self._papers: dict[int, StoredPaper] = {}  # paper rows never change: safe to cache

    # -- writing --------------------------------------------------------------------------------
    def _write(self, work: Callable[[Writing], T], *, by: str | Actor, needs: Needs, what: str = "saving",
               at: datetime | None = None, housekeeping: str | None = None) -> T:
        """``work(tx)`` in one write block; ``raise Unchanged(result)`` inside it when there was nothing to
        write (so nothing to audit): the block rolls back and ``result`` is returned."""
        return write_or_unchanged(self.uow, work, by=by, needs=needs, what=what, at=at, housekeeping=housekeeping)

    # -- loading --------------------------------------------------------------------------
    def _paper(self, db: Database, paper_id: int) -> StoredPaper:
        if paper_id not in self._papers:
            self._papers[paper_id] = get_paper(db, paper_id)
        return self._papers[paper_id]

    def _sitting_row(self, db: Database, code: str) -> Sitting:
        sitting = sitting_by_code(db, code)
        if sitting is None:
            raise NoSuchSitting(no_such_sitting(code))
        return sitting

    def _room(self, db: Database, sitting: Sitting, script_id: int | None = None) -> Room:
        """Everything timing needs for the whole room, or for one script of it."""
        scripts = [RoomScript(record) for record in script_store.scripts_of(db, sitting.id, script_id)]
        pauses = sitting_store.pauses_of(db, sitting.id, script_id)
        script_pauses: dict[int, list[Pause]] = defaultdict(list)
        for p in pauses:
            if p.script_id is not None:
                script_pauses[p.script_id].append(p)
        extensions: dict[int, list[Extension]] = defaultdict(list)
        for e in sitting_store.extensions_of(db, sitting.id, script_id):
            extensions[e.script_id].append(e)
        return Room(
            sitting=sitting,
            paper=self._paper(db, sitting.paper_id),
            scripts=scripts,
            room_pauses=[p for p in pauses if p.script_id is None],
            script_pauses=dict(script_pauses),
            extensions=dict(extensions),
        )

    def _script_room(self, db: Database, script_id: int) -> tuple[Room, RoomScript]:
        sitting_id = script_store.sitting_of_script(db, script_id)
        if sitting_id is None:
            raise SittingError(f"There is no script {script_id}; log in again.")
        room = self._room(db, sitting_by_id(db, sitting_id), script_id)
        return room, room.scripts[0]

    # -- the sweep ------------------------------------------------------------------------
    def _sweep(self, tx: Writing, room: Room) -> bool:
        """Submit every script whose time has run out, at the instant it ran out (inside a write block).

        Returns True if anything changed.
        """
        now = tx.now
        changed = False
        for script in room.scripts:
            if script.final:
                continue
            time = room.time(script, now)
            if time.is_time_up:
                # Submitted at the instant the time ran out, not when someone noticed.
                ran_out = time.expires_at if time.expires_at is not None and time.expires_at <= now else now
                self._finish(tx, room, script, finish="time up", reason="time up", at=ran_out, actor=Actor.system())
                changed = True
        if changed:
            self._maybe_auto_end(tx, room)
        return changed

    def _finish(self, tx: Writing, room: Room, script: RoomScript, *, finish: str, reason: str, at: datetime,
                actor: Actor, left_seconds: int | None = None) -> None:
        script_store.set_finished(tx.db, script.id, at=now_text(at), finish=finish, reason=reason)
        # A pause left open on a finished script would be noise in every report.
        sitting_store.end_open_pauses(tx.db, at=now_text(at), reason=f"script {finish}", script_id=script.id)
        answered = script_store.answered_count(tx.db, script.id)
        fields = dict(sitting_id=room.sitting.id, script_id=script.id, candidate_number=script.candidate_number,
                      finish=finish, reason=reason, submitted_at=now_text(at), questions_answered=answered,
                      left_seconds=left_seconds)
        tx.record(ScriptAbsent(**fields) if finish == "absent" else ScriptSubmitted(**fields), by=actor)
        script.record = script.record.finished(at=at, finish=finish, reason=reason)

    def _maybe_auto_end(self, tx: Writing, room: Room) -> None:
        """Once every script of a running sitting is finished, the sitting has ended."""
        if room.sitting.state != SittingState.RUNNING:
            return
        total, active, last = script_store.finish_counts(tx.db, room.sitting.id)
        if total and not active:
            state = require_sitting(SittingChange.EVERY_SCRIPT_FINISHED, room.sitting)
            sitting_store.mark_ended(tx.db, room.sitting.id, last, "every script finished")
            sitting_store.end_open_pauses(tx.db, at=last, reason="sitting ended", sitting_id=room.sitting.id)
            tx.record(SittingEnded(sitting_id=room.sitting.id, reason="every script finished", ended_at=last),
                      by=Actor.system())
            room.sitting = replace(room.sitting, state=state, ended_at=parse_instant(last))

    def _needs_sweep(self, room: Room, now: datetime) -> bool:
        return any(not s.final and room.time(s, now).is_time_up for s in room.scripts)

    def _fresh_room(self, code: str | None = None, script_id: int | None = None) -> tuple[Room, datetime]:
        """Read a room (or one script), sweeping first if any time has run out."""
        now = self.clock.now()
        with read_transaction(self.db):
            if script_id is not None:
                room, _ = self._script_room(self.db, script_id)
            else:
                room = self._room(self.db, self._sitting_row(self.db, code))
            stale = self._needs_sweep(room, now)
        if stale:
            def work(tx: Writing) -> Room:
                if script_id is not None:
                    fresh, _ = self._script_room(tx.db, script_id)
                else:
                    fresh = self._room(tx.db, self._sitting_row(tx.db, code))
                if not self._sweep(tx, fresh):
                    raise Unchanged(fresh)  # another process swept it a moment ago
                return fresh

            room = self._write(work, by=Actor.system(), needs=None, what="submitting scripts whose time is up",
                               at=now)
        return room, now
