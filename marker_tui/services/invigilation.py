"""The invigilator's side of a sitting: what the room view and ``marker-tui sitting ...`` call.

Create a sitting, enrol, issue admission slips, open, start, pause/resume (the room or one
candidate), extend, end, approve a terminal takeover; the room's status and its log. Every
change goes through the unit of work (``unit_of_work.py``) as someone who may run the room,
and every state change is checked by the state machine in ``domain/sitting_states.py``.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel

from marker_tui.domain import admission as rules
from marker_tui.domain.local_time import CLOCK, local_time
from marker_tui.domain.events.sitting import (
    AdmissionKeycodesIssued,
    CandidateEnrolled,
    CandidatePaused,
    CandidateResumed,
    CandidateStarted,
    ExtensionGranted,
    SittingCreated,
    SittingEnded,
    SittingOpened,
    SittingPaused,
    SittingResumed,
    SittingStarted,
    TerminalTakeoverApproved,
)
from marker_tui.domain.reports import AdmissionSlip, AdmissionSlips
from marker_tui.domain.roles import Permission
from marker_tui.domain.sitting_states import ScriptChange, ScriptState, SittingChange, SittingState
from marker_tui.services.audit import AuditEntry, entries
from marker_tui.services.candidates import find_candidate
from marker_tui.services.room import (
    NoSuchSitting,
    Room,
    RoomScript,
    RoomService,
    SittingError,
    clean_reason,
    clock_text,
    require_script,
    require_sitting,
)
from marker_tui.services.unchanged import Unchanged
from marker_tui.services.unit_of_work import Writing
from marker_tui.storage import rest_breaks as rest_break_store
from marker_tui.storage import admission as store
from marker_tui.storage import candidates as candidate_store
from marker_tui.storage import scripts as script_store
from marker_tui.storage import sittings as sitting_store
from marker_tui.storage.database import Database, now_text, read_transaction
from marker_tui.storage.sittings import Sitting, clean_code, code_taken
from marker_tui.storage.staff import staff_by_id

__all__ = ["InvigilationService", "SittingService", "SittingError", "NoSuchSitting"]

RUN_ROOM = Permission.RUN_ROOM
MAX_EXTENSION_MINUTES = 600
_CODE_ALPHABET = "ACDEFGHJKMNPQRTVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U
_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")


# --- what the room view is shown -------------------------------------------------------------


class Extension(BaseModel):
    minutes: int
    reason: str
    granted_by: str
    granted_at: datetime


class CandidateStatus(BaseModel):
    """One row of the invigilator's room view."""

    candidate_number: str
    name: str
    script_id: int
    script_number: str
    state: ScriptState
    extra_time_percent: int
    extensions: list[Extension]
    allowed_seconds: int
    used_seconds: int
    left_seconds: int
    questions_answered: int
    questions_total: int
    last_save_at: datetime | None
    logged_in_at: datetime | None
    started_at: datetime | None
    late_by_seconds: int | None
    """How long after the room started this candidate's own clock started (late starters)."""
    expires_at: datetime | None
    """When their time runs out if nothing is paused (None when paused, not started or finished)."""
    submitted_at: datetime | None
    submitted_reason: str | None
    terminal: str | None = None
    """The terminal holding this script (its lease), live or lapsed."""
    terminal_live: bool = False
    takeover_terminal: str | None = None
    """A second terminal asking for this script (the invigilator may approve the move)."""
    takeover_requested_at: datetime | None = None
    rest_break_since: datetime | None = None
    """On a supervised rest break since then (their clock is paused)."""
    rest_break_asked_at: datetime | None = None
    """Asked for a rest break at their terminal, not yet answered."""

    @property
    def time_allowed(self) -> timedelta:
        return timedelta(seconds=self.allowed_seconds)

    @property
    def time_used(self) -> timedelta:
        return timedelta(seconds=self.used_seconds)

    @property
    def time_left(self) -> timedelta:
        return timedelta(seconds=self.left_seconds)


class SittingSummary(BaseModel):
    id: int
    code: str
    state: SittingState
    qualification: str
    unit: str
    paper_id: int
    paper_version: str
    paper_title: str | None
    time_allowance_minutes: int
    scheduled_start: datetime | None
    opened_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    created_by: str
    room_paused: bool = False


class TerminalAlert(BaseModel):
    """A terminal with wrong keycodes or exit codes, for the room view."""

    terminal: str
    place: str
    kind: str
    failures: int
    last_failure_at: datetime | None
    locked_until: datetime | None


class SittingStatus(SittingSummary):
    as_of: datetime
    candidates: list[CandidateStatus]
    exit_code: str | None = None
    """For the invigilator's eyes only: closes a learner's terminal in this sitting."""
    terminal_alerts: list[TerminalAlert] = []


class EnrolmentReport(BaseModel):
    code: str
    enrolled: list[str] = []
    already_enrolled: list[str] = []


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


class InvigilationService(RoomService):
    """What the invigilator's screens and ``marker-tui sitting ...`` call."""

    # -- reading --------------------------------------------------------------------------------
    def summary(self, code: str) -> SittingSummary:
        with read_transaction(self.db):
            return self._summary(self.db, self._sitting_row(self.db, code))

    def sittings(self) -> list[SittingSummary]:
        with read_transaction(self.db):
            return [self._summary(self.db, r) for r in sitting_store.all_sittings(self.db)]

    def status(self, code: str) -> SittingStatus:
        """The room view: per candidate state, time allowed/used/left, answers, last save."""
        room, now = self._fresh_room(code=code)
        with read_transaction(self.db):
            counts = script_store.answer_progress(self.db, room.sitting.id)
            summary = self._summary(self.db, room.sitting)
            leases = store.leases_in_sitting(self.db, room.sitting.id)
            requests = store.requests_in_sitting(self.db, room.sitting.id)
            alerts = [TerminalAlert(terminal=t.terminal, place=t.place, kind=t.kind, failures=t.failures,
                                    last_failure_at=t.last_failure_at, locked_until=t.locked_until)
                      for t in store.tries_in_sitting(self.db, room.sitting.id)
                      if t.locked(now) or t.failures]
            exit_code = store.exit_code_of(self.db, room.sitting.id)
            breaks = {b.script_id: b for b in rest_break_store.breaks_in_sitting(self.db, room.sitting.id)
                      if b.asked or b.on_break}
        room_start = room.sitting.started_at
        candidates = []
        for script in room.scripts:
            time = room.time(script, now)
            started = script.started_at
            late = _seconds(started - room_start) if started and room_start and started > room_start else None
            progress = counts.get(script.id)
            candidates.append(CandidateStatus(
                candidate_number=script.candidate_number,
                name=script.name,
                script_id=script.id,
                script_number=script.record.script_number,
                state=room.state_of(script, time),
                extra_time_percent=script.record.extra_time_percent,
                extensions=[
                    Extension(minutes=e.minutes, reason=e.reason, granted_by=e.granted_by_name,
                              granted_at=e.granted_at)
                    for e in room.extensions.get(script.id, [])
                ],
                allowed_seconds=_seconds(time.allowed),
                used_seconds=_seconds(time.used),
                left_seconds=_seconds(time.remaining),
                questions_answered=progress.answered if progress else 0,
                questions_total=len(room.paper.paper.questions),
                last_save_at=progress.last_save if progress else None,
                logged_in_at=script.record.logged_in_at,
                started_at=started,
                late_by_seconds=late,
                expires_at=time.expires_at,
                submitted_at=script.record.submitted_at,
                submitted_reason=script.record.submitted_reason,
                terminal=leases[script.id].terminal if script.id in leases else None,
                terminal_live=script.id in leases and leases[script.id].live(now) and not script.final,
                takeover_terminal=requests[script.id].terminal
                if script.id in requests and rules.still_asking(requests[script.id].asked_at, now) else None,
                takeover_requested_at=requests[script.id].requested_at if script.id in requests else None,
                rest_break_since=breaks[script.id].started_at if script.id in breaks and breaks[script.id].on_break
                else None,
                rest_break_asked_at=breaks[script.id].asked_at if script.id in breaks and breaks[script.id].asked
                else None,
            ))
        return SittingStatus(**summary.model_dump(), as_of=now, candidates=candidates, exit_code=exit_code,
                             terminal_alerts=alerts)

    def log(self, code: str) -> list[AuditEntry]:
        """The sitting's audit trail, oldest first."""
        with read_transaction(self.db):
            sitting = self._sitting_row(self.db, code)
        return entries(self.db, sitting_id=sitting.id)

    def sweep(self, code: str) -> None:
        """Submit any script whose time has run out (status and every write do this too)."""
        self._fresh_room(code=code)

    def sweep_all(self) -> None:
        """Sweep every sitting that is not over yet (for readers that span sittings, e.g. exports)."""
        with read_transaction(self.db):
            codes = sitting_store.running_codes(self.db)
        for code in codes:
            self._fresh_room(code=code)

    # -- creating and enrolling ------------------------------------------------------------------
    def create_sitting(self, paper_id: int, *, by: str, code: str | None = None,
                       starts_at: datetime | None = None) -> SittingSummary:
        if starts_at is not None and starts_at.tzinfo is None:
            raise SittingError("The start time needs a time zone (or use local time via the CLI).")
        wanted = clean_code(code) if code else None
        if wanted is not None and not _CODE_PATTERN.match(wanted):
            raise SittingError(
                f"{code!r} cannot be a sitting code: use 3 to 20 letters, digits or '-', starting "
                "with a letter or digit (e.g. 304-K7QM)."
            )
        with self.uow.write(by=by, needs=RUN_ROOM, what="creating the sitting") as tx:
            paper = self._paper(tx.db, paper_id)
            if wanted is not None:
                if code_taken(tx.db, wanted):
                    raise SittingError(f"There is already a sitting with code {wanted}; choose another.")
                new_code = wanted
            else:
                prefix = re.sub(r"[^A-Z0-9]", "", paper.unit.upper())[:8] or "S"
                while True:
                    new_code = f"{prefix}-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))
                    if not code_taken(tx.db, new_code):
                        break
            scheduled = now_text(starts_at) if starts_at else None
            # No exit code yet: the first admission slips make it (issue_keycodes), with the keycodes.
            sitting_id = sitting_store.insert_sitting(
                tx.db, new_code, paper.id, scheduled_start=scheduled, created_by=tx.actor.staff_id,
                created_at=now_text(tx.now))
            tx.record(SittingCreated(sitting_id=sitting_id, code=new_code, paper_id=paper.id,
                                     qualification=paper.qualification, unit=paper.unit,
                                     paper_version=paper.version, content_hash=paper.content_hash,
                                     time_allowance_minutes=paper.time_allowance_minutes,
                                     scheduled_start=scheduled))
            return self._summary(tx.db, self._sitting_row(tx.db, new_code))

    def enrol(self, code: str, candidate_numbers: list[str] | None = None, *, all_candidates: bool = False,
              by: str) -> EnrolmentReport:
        """Enrol candidates (or every known candidate); all-or-nothing."""
        if not all_candidates and not candidate_numbers:
            raise SittingError("Name the candidates to enrol (candidate numbers), or use --all.")
        if all_candidates and candidate_numbers:
            raise SittingError("Give candidate numbers or --all, not both.")

        def work(tx: Writing) -> EnrolmentReport:
            db = tx.db
            sitting = self._sitting_row(db, code)
            require_sitting(SittingChange.ENROL, sitting)
            if all_candidates:
                candidates = candidate_store.all_candidates(db)
                if not candidates:
                    raise SittingError("There are no candidates yet: import them with "
                                       "marker-tui candidates import FILE.csv")
            else:
                candidates, unknown = [], []
                for number in dict.fromkeys(n.strip().upper() for n in candidate_numbers):
                    found = find_candidate(db, number)
                    (candidates.append(found) if found else unknown.append(number))
                if unknown:
                    raise SittingError(
                        f"Unknown candidate number{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                        "Nobody was enrolled; add them first (marker-tui candidates import FILE.csv)."
                    )
            report = EnrolmentReport(code=sitting.code)
            used = script_store.script_numbers(db, sitting.id)
            rng = secrets.SystemRandom()
            for candidate in candidates:
                if sitting_store.enrolled_script_id(db, sitting.id, candidate.id) is not None:
                    report.already_enrolled.append(candidate.candidate_number)
                    continue
                free = [n for n in range(1000, 10000) if str(n) not in used] if len(used) > 4000 else None
                while True:
                    number = str(rng.choice(free) if free else rng.randrange(1000, 10000))
                    if number not in used:
                        break
                used.add(number)
                script_id = script_store.insert_script(db, sitting.id, candidate.id, number,
                                                       candidate.extra_time_percent, at=now_text(tx.now),
                                                       by=tx.actor.staff_id)
                tx.record(CandidateEnrolled(sitting_id=sitting.id, script_id=script_id,
                                            candidate_number=candidate.candidate_number, script_number=number,
                                            extra_time_percent=candidate.extra_time_percent,
                                            sitting_state=sitting.state.value))
                report.enrolled.append(candidate.candidate_number)
            if not report.enrolled:
                raise Unchanged(report)  # everyone named was enrolled already
            return report

        return self._write(work, by=by, needs=RUN_ROOM, what="enrolling")

    # -- admission (issue 13) -----------------------------------------------------------------
    def issue_keycodes(self, code: str, *, by: str, candidate_numbers: list[str] | None = None,
                       seed: str | None = None) -> AdmissionSlips:
        """New keycodes for every candidate still to sit (or the ones named): the slips to hand out.

        Keycodes are stored only hashed, so they can never be shown again: issuing again makes
        new ones and the old ones stop working (a learner already logged in keeps working; only a
        new login needs the new code). ``seed`` fixes the codes (the demo centre only).
        """
        wanted = None if not candidate_numbers else {n.strip().upper() for n in candidate_numbers}
        with self.uow.write(by=by, needs=RUN_ROOM, what="issuing keycodes") as tx:
            db, now = tx.db, tx.now
            sitting = self._sitting_row(db, code)
            require_sitting(SittingChange.ISSUE_KEYCODES, sitting)
            room = self._room(db, sitting)
            if wanted is not None:
                known = {s.candidate_number.upper() for s in room.scripts}
                missing = sorted(wanted - known)
                if missing:
                    raise SittingError(f"Not enrolled in sitting {sitting.code}: {', '.join(missing)}. "
                                       "No keycodes were issued.")
            chosen = [s for s in room.scripts if not s.final
                      and (wanted is None or s.candidate_number.upper() in wanted)]
            if not chosen:
                raise SittingError(f"Nobody in sitting {sitting.code} is still to sit: no keycodes were issued.")
            rng = secrets.SystemRandom()
            slips = []
            for script in chosen:
                keycode = (rules.derived_keycode(seed, sitting.code, script.candidate_number) if seed
                           else rules.new_keycode(rng))
                salt = secrets.token_bytes(16)
                store.put_keycode(db, script.id, rules.hash_keycode(keycode, salt), salt.hex(), now,
                                  tx.actor.staff_id)
                slips.append(AdmissionSlip(candidate_number=script.candidate_number, name=script.name,
                                           keycode=rules.format_keycode(keycode)))
            exit_code = store.exit_code_of(db, sitting.id)
            if not exit_code:
                exit_code = rules.new_exit_code(rng)
                store.set_exit_code(db, sitting.id, exit_code)
            tx.record(AdmissionKeycodesIssued(sitting_id=sitting.id, candidates=[s.candidate_number for s in slips],
                                              count=len(slips)))
            summary = self._summary(db, sitting)
            return AdmissionSlips(centre=store.centre_name(db), sitting_code=sitting.code,
                                  qualification=summary.qualification, unit=summary.unit,
                                  paper_title=summary.paper_title, issued_at=now, issued_by=tx.actor.label,
                                  exit_code=exit_code, slips=slips)

    def approve_takeover(self, code: str, candidate_number: str, *, by: str) -> CandidateStatus:
        """Move a script to the terminal asking for it (desk move, crashed terminal).

        The lease passes to the new terminal at once, so the old one's next save is refused
        and its screen says where the script went. Audited with both terminals named.
        """
        with self.uow.write(by=by, needs=RUN_ROOM, what="moving the script") as tx:
            db, now = tx.db, tx.now
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(tx, room)
            script = self._enrolled(db, room, candidate_number)
            request = store.request_of(db, script.id)
            if request is None:
                raise SittingError(f"No other terminal is asking for candidate {script.candidate_number}'s "
                                   "script, so there is nothing to approve.")
            if not rules.still_asking(request.asked_at, now):
                # Moved there, the learner's working terminal would stop with nobody at the other one.
                raise SittingError(
                    f"Terminal {request.terminal} stopped asking for candidate {script.candidate_number}'s script at "
                    f"{local_time(request.asked_at, CLOCK)} (closed, or the learner left it): nothing was "
                    "changed. If the learner is there, they log in again and the request comes back.")
            require_script(ScriptChange.MOVE_TERMINAL, room.own_state(script), script)
            lease = store.lease_of(db, script.id)
            store.put_lease(db, script.id, request.terminal, now, now + rules.lease_expiry_seconds())
            store.drop_request(db, script.id)
            tx.record(TerminalTakeoverApproved(
                sitting_id=room.sitting.id, script_id=script.id, candidate_number=script.candidate_number,
                from_terminal=lease.terminal if lease else None,
                from_terminal_was="live" if lease and lease.live(now) else "lapsed",
                to_terminal=request.terminal, requested_at=now_text(request.requested_at)))
        number = candidate_number.strip().upper()
        return next(c for c in self.status(code).candidates if c.candidate_number.upper() == number)

    # -- the sitting's life ------------------------------------------------------------------------
    def open(self, code: str, *, by: str, reason: str | None = None) -> SittingSummary:
        """Scheduled -> open: learners may log in and read the instructions; no clock runs."""
        why = clean_reason(reason, "open", required=False)
        with self.uow.write(by=by, needs=RUN_ROOM, what="opening the sitting") as tx:
            sitting = self._sitting_row(tx.db, code)
            require_sitting(SittingChange.OPEN, sitting)
            sitting_store.mark_opened(tx.db, sitting.id, now_text(tx.now))
            tx.record(SittingOpened(sitting_id=sitting.id, reason=why))
            return self._summary(tx.db, self._sitting_row(tx.db, code))

    def start(self, code: str, *, by: str, candidate_number: str | None = None,
              reason: str | None = None) -> SittingSummary:
        """Open -> running: every logged-in candidate's clock starts now.

        With ``candidate_number``: start that one candidate's clock now (they must
        have logged in; e.g. a candidate sitting apart who begins separately).
        """
        why = clean_reason(reason, "start", required=False)
        with self.uow.write(by=by, needs=RUN_ROOM, what="starting the sitting") as tx:
            db, now = tx.db, tx.now
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(tx, room)
            sitting = room.sitting
            if candidate_number is not None:
                if sitting.state == SittingState.ENDED:
                    require_sitting(SittingChange.START_CANDIDATE, sitting)
                script = self._enrolled(db, room, candidate_number)
                require_sitting(SittingChange.START_CANDIDATE, sitting)
                require_script(ScriptChange.START, room.own_state(script), script)
                script_store.set_started(db, script.id, now_text(now))
                tx.record(CandidateStarted(sitting_id=sitting.id, script_id=script.id,
                                           candidate_number=script.candidate_number, started_at=now_text(now),
                                           reason=why, allowed_seconds=_seconds(room.time(script, now).allowed)))
                return self._summary(db, sitting)
            require_sitting(SittingChange.START, sitting)
            sitting_store.mark_running(db, sitting.id, now_text(now))
            started = []
            for script in room.scripts:
                if not script.final and script.record.logged_in_at is not None and script.started_at is None:
                    script_store.set_started(db, script.id, now_text(now))
                    started.append(script.candidate_number)
            tx.record(SittingStarted(sitting_id=sitting.id, started_at=now_text(now), candidates_started=started,
                                     not_logged_in_yet=[s.candidate_number for s in room.scripts
                                                        if not s.final and s.record.logged_in_at is None],
                                     reason=why))
            return self._summary(db, self._sitting_row(db, code))

    def pause(self, code: str, *, reason: str, by: str, candidate_number: str | None = None) -> SittingSummary:
        """Stop the clock for the whole room, or for one candidate. Paused time never counts."""
        why = clean_reason(reason, "pause")
        with self.uow.write(by=by, needs=RUN_ROOM, what="pausing") as tx:
            db, now = tx.db, tx.now
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(tx, room)
            sitting = room.sitting
            require_sitting(SittingChange.PAUSE, sitting)
            if candidate_number is None:
                if room.open_room_pause():
                    raise SittingError(f"Sitting {sitting.code} is already paused (since "
                                       f"{clock_text(room.open_room_pause().started_at)}).")
                sitting_store.insert_pause(db, sitting.id, script_id=None, at=now_text(now), reason=why,
                                           by=tx.actor.staff_id)
                tx.record(SittingPaused(sitting_id=sitting.id, reason=why, paused_at=now_text(now)))
            else:
                script = self._enrolled(db, room, candidate_number)
                require_script(ScriptChange.PAUSE, room.own_state(script), script)
                sitting_store.insert_pause(db, sitting.id, script_id=script.id, at=now_text(now), reason=why,
                                           by=tx.actor.staff_id)
                tx.record(CandidatePaused(sitting_id=sitting.id, script_id=script.id,
                                          candidate_number=script.candidate_number, reason=why,
                                          paused_at=now_text(now),
                                          left_seconds=_seconds(room.time(script, now).remaining)))
            return self._summary(db, sitting)

    def resume(self, code: str, *, reason: str, by: str, candidate_number: str | None = None) -> SittingSummary:
        why = clean_reason(reason, "resume")
        with self.uow.write(by=by, needs=RUN_ROOM, what="resuming") as tx:
            db, now = tx.db, tx.now
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(tx, room)
            sitting = room.sitting
            require_sitting(SittingChange.RESUME, sitting)
            if candidate_number is None:
                pause = room.open_room_pause()
                if pause is None:
                    raise SittingError(f"Sitting {sitting.code} is not paused.")
                script = None
            else:
                script = self._enrolled(db, room, candidate_number)
                pause = room.open_script_pause(script.id)
                if pause is None and not script.final and room.open_room_pause():
                    raise SittingError(f"Candidate {script.candidate_number} is not paused "
                                       "(the whole room is paused: resume the room).")
                require_script(ScriptChange.RESUME, room.own_state(script), script)
            sitting_store.end_pause(db, pause.id, at=now_text(now), reason=why, by=tx.actor.staff_id)
            fields = dict(sitting_id=sitting.id, reason=why, paused_at=now_text(pause.started_at),
                          resumed_at=now_text(now), paused_seconds=_seconds(now - pause.started_at),
                          pause_reason=pause.reason)
            tx.record(SittingResumed(**fields) if script is None else
                      CandidateResumed(**fields, script_id=script.id, candidate_number=script.candidate_number))
            return self._summary(db, sitting)

    def extend(self, code: str, *, candidate_number: str, minutes: int, reason: str, by: str) -> CandidateStatus:
        """Grant extra minutes to one candidate (minutes, reason, who and when are kept)."""
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise SittingError(f"Minutes must be a whole number (got {minutes!r}).")
        if minutes <= 0:
            raise SittingError(f"An extension must be a positive number of minutes (got {minutes}); "
                               "time already granted cannot be taken back. Nothing was changed.")
        if minutes > MAX_EXTENSION_MINUTES:
            raise SittingError(f"An extension can be at most {MAX_EXTENSION_MINUTES} minutes (got {minutes}).")
        why = clean_reason(reason, "extend")
        with self.uow.write(by=by, needs=RUN_ROOM, what="granting extra time") as tx:
            db, now = tx.db, tx.now
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(tx, room)
            script = self._enrolled(db, room, candidate_number)
            require_script(ScriptChange.EXTEND, room.own_state(script), script)
            before = _seconds(room.time(script, now).allowed)
            sitting_store.insert_extension(db, script.id, minutes, why, tx.actor.staff_id, now_text(now))
            tx.record(ExtensionGranted(sitting_id=room.sitting.id, script_id=script.id,
                                       candidate_number=script.candidate_number, minutes=minutes, reason=why,
                                       old_allowed_seconds=before, new_allowed_seconds=before + minutes * 60))
        status = self.status(code)
        number = candidate_number.strip().upper()
        return next(c for c in status.candidates if c.candidate_number.upper() == number)

    def end(self, code: str, *, by: str, reason: str | None = None,
            candidate_number: str | None = None) -> SittingSummary:
        """End the sitting for everyone, or for one candidate. A reason is required to end early.

        Candidates still writing are submitted now ("ended by invigilator: reason");
        candidates whose clock never started are recorded as absent.
        """
        with self.uow.write(by=by, needs=RUN_ROOM, what="ending") as tx:
            db, now = tx.db, tx.now
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(tx, room)
            sitting = room.sitting
            if candidate_number is not None:
                script = self._enrolled(db, room, candidate_number)
                if sitting.state == SittingState.ENDED or script.final:
                    raise SittingError(
                        f"Candidate {script.candidate_number}'s script is already finished"
                        + (f" ({script.record.submitted_reason})." if script.final else "."))
                why = clean_reason(reason, f"end candidate {script.candidate_number}'s assessment early")
                self._end_script(tx, room, script, why)
                self._maybe_auto_end(tx, room)
                return self._summary(db, self._sitting_row(db, code))
            require_sitting(SittingChange.END, sitting)
            active = [s for s in room.scripts if not s.final]
            why = clean_reason(reason, "end the sitting while candidates still have time", required=bool(active))
            for script in active:
                self._end_script(tx, room, script, why)
            sitting_store.end_open_pauses(db, at=now_text(now), reason="sitting ended", sitting_id=sitting.id,
                                          by=tx.actor.staff_id)
            sitting_store.mark_ended(db, sitting.id, now_text(now), why)
            tx.record(SittingEnded(sitting_id=sitting.id, reason=why, ended_at=now_text(now),
                                   state_before=sitting.state.value,
                                   scripts_ended_early=[s.candidate_number for s in active]))
            return self._summary(db, self._sitting_row(db, code))

    # -- helpers ------------------------------------------------------------------------------
    def _end_script(self, tx: Writing, room: Room, script: RoomScript, why: str | None) -> None:
        if script.started_at is None:
            require_script(ScriptChange.END_NOT_STARTED, room.own_state(script), script)
            self._finish(tx, room, script, finish="absent",
                         reason=f"did not start; ended by invigilator: {why or 'sitting ended'}",
                         at=tx.now, actor=tx.actor)
        else:
            require_script(ScriptChange.END, room.own_state(script), script)
            self._finish(tx, room, script, finish="ended", reason=f"ended by invigilator: {why}",
                         at=tx.now, actor=tx.actor, left_seconds=_seconds(room.time(script, tx.now).remaining))

    @staticmethod
    def _enrolled(db: Database, room: Room, candidate_number: str) -> RoomScript:
        number = str(candidate_number).strip().upper()
        script = next((s for s in room.scripts if s.candidate_number.upper() == number), None)
        if script is None:
            if find_candidate(db, number) is None:
                raise SittingError(f"There is no candidate {number}.")
            raise SittingError(f"Candidate {number} is not enrolled in sitting {room.sitting.code} "
                               f"(enrol them with: marker-tui sitting enrol {room.sitting.code} {number}).")
        return script

    def _summary(self, db: Database, sitting: Sitting) -> SittingSummary:
        paper = self._paper(db, sitting.paper_id)
        creator = staff_by_id(db, sitting.created_by) if sitting.created_by is not None else None
        paused = sitting_store.room_paused(db, sitting.id)
        return SittingSummary(
            id=sitting.id, code=sitting.code, state=sitting.state,
            qualification=paper.qualification, unit=paper.unit, paper_id=paper.id,
            paper_version=paper.version, paper_title=paper.title,
            time_allowance_minutes=paper.time_allowance_minutes,
            scheduled_start=sitting.scheduled_start, opened_at=sitting.opened_at, started_at=sitting.started_at,
            ended_at=sitting.ended_at, end_reason=sitting.end_reason,
            created_by=creator.name if creator else "?", room_paused=bool(paused),
        )


#: The name the room's service has always had (``centre.sittings``).
SittingService = InvigilationService
