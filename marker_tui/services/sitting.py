"""Running a sitting: what the invigilator's screens and the learner's terminal call.

Two classes share one database and one set of rules:

* :class:`SittingService` — the invigilator's side: create a sitting, enrol,
  open, start, pause/resume (room or one candidate), extend, end, status, log.
* :class:`LearnerService` — the learner's terminal: login (and resume), save an
  answer, flag a question, remember where they were, submit.

Time is never counted in a process: every answer is computed by
``domain/timing.py`` from the instants stored here, so any process, restarted or
not, sees the same time left.

Expiry is lazy and deterministic: whenever anything reads or writes a sitting,
the *sweep* marks every script whose time has run out as submitted with reason
"time up", at the instant the time ran out (not the instant someone noticed).
A learner whose terminal was closed therefore still ends with a submitted
script holding their last saved answers.

Rules worth knowing (each is tested):

* Saves while the room or the candidate is paused are accepted, so typing in
  flight when the invigilator pauses is not lost (the screen stops input);
  saves before the candidate's clock has started, after submission, or after
  time is up are refused with a reason and change nothing.
* Saving the same text again is not a new version (autosave is cheap).
* Each save thins the answer's older versions by the retention rule of
  ``domain/answer_history.py``, in the same transaction; the current text is
  never among them.
* Text is stored exactly, with one exception that Unicode itself forces: lone
  surrogate code points (not valid text, cannot be UTF-8) become U+FFFD, and
  the receipt says how many.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from marker_tui.domain import admission as rules
from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.timing import Interval, TimeState, time_state
from marker_tui.domain.reports import AdmissionSlip, AdmissionSlips
from marker_tui.domain.visible_text import has_controls
from marker_tui.services.audit import Actor, AuditEntry, ServiceError, entries, record
from marker_tui.services.candidates import find_candidate
from marker_tui.services.papers import StoredPaper, get_paper
from marker_tui.services.staff import resolve_actor
from marker_tui.services.terminal import Terminal, this_terminal
from marker_tui.storage.sittings import clean_code, code_taken, no_such_sitting, sitting_by_code, sitting_by_id
from marker_tui.storage import candidates as candidate_store
from marker_tui.storage import scripts as script_store
from marker_tui.storage import sittings as sitting_store
from marker_tui.storage.staff import staff_by_id
from marker_tui.storage import admission as store
from marker_tui.storage import answer_history
from marker_tui.storage.database import Database, now_text, parse_instant, read_transaction, run_write
from marker_tui.domain.roles import Permission, roles_for

INVIGILATORS = roles_for(Permission.RUN_ROOM)
MAX_EXTENSION_MINUTES = 600
_CODE_ALPHABET = "ACDEFGHJKMNPQRTVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B, U
_CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,19}$")
_SURROGATE = re.compile("[\ud800-\udfff]")


class SittingState(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    RUNNING = "running"
    ENDED = "ended"


class ScriptState(StrEnum):
    """A candidate's state in the invigilator's words."""

    NOT_LOGGED_IN = "not logged in"
    READING = "reading"
    WRITING = "writing"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    TIME_UP = "time up"
    ENDED = "ended by invigilator"
    ABSENT = "absent"

    @property
    def is_final(self) -> bool:
        return self in (ScriptState.SUBMITTED, ScriptState.TIME_UP, ScriptState.ENDED, ScriptState.ABSENT)


_FINISH_STATE = {
    "submitted": ScriptState.SUBMITTED,
    "time up": ScriptState.TIME_UP,
    "ended": ScriptState.ENDED,
    "absent": ScriptState.ABSENT,
}


# --- what the services return ------------------------------------------------------------


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


class LearnerTime(BaseModel):
    state: ScriptState
    allowed_seconds: int
    used_seconds: int
    left_seconds: int
    paused: bool
    expires_at: datetime | None
    submitted_at: datetime | None = None
    submitted_reason: str | None = None
    moved_to: str | None = None
    """Another terminal holds this script now (a takeover the invigilator approved)."""


class LearnerSession(BaseModel):
    """All a learner's terminal needs to show (or resume) a script exactly."""

    script_id: int
    sitting_code: str
    sitting_state: SittingState
    candidate_number: str
    candidate_name: str
    script_number: str
    paper: QuestionPaper
    answers: dict[str, str]
    versions: dict[str, int]
    flags: list[str]
    current_question: str | None
    time: LearnerTime
    resumed: bool
    terminal: str = ""


class LearnerIdentity(BaseModel):
    """Who is about to log in, for the learner's "Is this you?": their own name and nothing about anyone else."""

    sitting_code: str
    candidate_number: str
    candidate_name: str


class SaveReceipt(BaseModel):
    """Only ever returned after the save has been committed to disk."""

    script_id: int
    question_id: str
    version: int
    saved_at: datetime
    characters: int
    unchanged: bool = False
    replaced_invalid_characters: int = 0


class SubmissionReceipt(BaseModel):
    script_id: int
    state: ScriptState
    submitted_at: datetime
    reason: str
    questions_answered: int
    already_submitted: bool = False


class SittingError(ServiceError):
    pass


class NoSuchSitting(SittingError):
    """No sitting has the code given (a learner's terminal words this for learners)."""


class AdmissionRefused(SittingError):
    """Wrong candidate number or keycode, or this terminal is locked for a while (recorded)."""


class SittingNotOpen(SittingError):
    """The sitting exists but the invigilator has not opened it yet: the learner waits, nothing is wrong."""

    def __init__(self, code: str) -> None:
        super().__init__(f"Sitting {code} is not open yet: wait for the invigilator.")
        self.code = code


class ScriptInUse(SittingError):
    """The script is live on another terminal; a takeover request was left for the invigilator."""

    def __init__(self, message: str, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


class ExitRefused(ServiceError):
    """The exit code was wrong, or this terminal's exit dialog is locked for a while (recorded)."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


class SaveRefused(ServiceError):
    """A learner's change was refused; the stored answer is exactly as it was."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- loading the stored instants ------------------------------------------------------------


@dataclass
class _Script:
    row: dict[str, Any]
    candidate_number: str
    name: str

    @property
    def id(self) -> int:
        return self.row["id"]

    @property
    def final(self) -> bool:
        return self.row["submitted_at"] is not None

    @property
    def started_at(self) -> datetime | None:
        return parse_instant(self.row["started_at"])


@dataclass
class _Room:
    """One sitting's stored instants, loaded in a handful of queries."""

    sitting: dict[str, Any]
    paper: StoredPaper
    scripts: list[_Script]
    room_pauses: list[dict[str, Any]]
    script_pauses: dict[int, list[dict[str, Any]]]
    extensions: dict[int, list[dict[str, Any]]]

    def open_room_pause(self) -> dict[str, Any] | None:
        return next((p for p in self.room_pauses if p["ended_at"] is None), None)

    def open_script_pause(self, script_id: int) -> dict[str, Any] | None:
        return next((p for p in self.script_pauses.get(script_id, []) if p["ended_at"] is None), None)

    def time(self, script: _Script, now: datetime) -> TimeState:
        return time_state(
            now=now,
            paper_minutes=self.paper.time_allowance_minutes,
            extra_time_percent=script.row["extra_time_percent"],
            extension_minutes=[e["minutes"] for e in self.extensions.get(script.id, [])],
            own_start=script.started_at,
            room_pauses=_intervals(self.room_pauses),
            candidate_pauses=_intervals(self.script_pauses.get(script.id, [])),
            submitted_at=parse_instant(script.row["submitted_at"]),
        )

    def state_of(self, script: _Script, time: TimeState) -> ScriptState:
        if script.final:
            return _FINISH_STATE[script.row["finish"]]
        if time.is_time_up:
            return ScriptState.TIME_UP
        if script.row["logged_in_at"] is None and script.started_at is None:
            return ScriptState.NOT_LOGGED_IN
        if not time.started:
            return ScriptState.READING
        return ScriptState.PAUSED if time.is_paused else ScriptState.WRITING


def _intervals(rows: list[dict[str, Any]]) -> list[Interval]:
    return [Interval(parse_instant(r["started_at"]), parse_instant(r["ended_at"])) for r in rows]


_clean_code = clean_code


def _reason(text: str | None, doing: str, *, required: bool = True) -> str | None:
    cleaned = " ".join((text or "").split())
    if required and not cleaned:
        raise SittingError(f"A reason is required to {doing}: add --reason \"...\". Nothing was changed.")
    if len(cleaned) > 500:
        raise SittingError("A reason can be at most 500 characters.")
    if has_controls(cleaned):
        raise SittingError("A reason cannot contain control characters; type plain text.")
    return cleaned or None


def _clock_text(instant: datetime | None) -> str:
    return instant.astimezone().strftime("%H:%M:%S") if instant else "-"


def _storable(text: str) -> tuple[str, int]:
    replaced = len(_SURROGATE.findall(text))
    return (_SURROGATE.sub("\ufffd", text), replaced) if replaced else (text, 0)


class _Base:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self._papers: dict[int, StoredPaper] = {}  # paper rows never change: safe to cache

    # -- loading --------------------------------------------------------------------------
    def _paper(self, db: Database, paper_id: int) -> StoredPaper:
        if paper_id not in self._papers:
            self._papers[paper_id] = get_paper(db, paper_id)
        return self._papers[paper_id]

    def _sitting_row(self, db: Database, code: str) -> dict[str, Any]:
        row = sitting_by_code(db, code)
        if row is None:
            raise NoSuchSitting(no_such_sitting(code))
        return row

    def _room(self, db: Database, sitting: dict[str, Any], script_id: int | None = None) -> _Room:
        """Everything timing needs for the whole room, or for one script of it."""
        scripts = [
            _Script(row=row, candidate_number=row.pop("c_number"), name=row.pop("c_name"))
            for row in script_store.scripts_of(db, sitting["id"], script_id)
        ]
        pauses = sitting_store.pauses_of(db, sitting["id"], script_id)
        script_pauses: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for p in pauses:
            if p["script_id"] is not None:
                script_pauses[p["script_id"]].append(p)
        extensions: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for e in sitting_store.extensions_of(db, sitting["id"], script_id):
            extensions[e["script_id"]].append(e)
        return _Room(
            sitting=sitting,
            paper=self._paper(db, sitting["paper_id"]),
            scripts=scripts,
            room_pauses=[p for p in pauses if p["script_id"] is None],
            script_pauses=dict(script_pauses),
            extensions=dict(extensions),
        )

    def _script_room(self, db: Database, script_id: int) -> tuple[_Room, _Script]:
        sitting_id = script_store.sitting_of_script(db, script_id)
        if sitting_id is None:
            raise SittingError(f"There is no script {script_id}; log in again.")
        sitting = sitting_by_id(db, sitting_id)
        room = self._room(db, sitting, script_id)
        return room, room.scripts[0]

    # -- the sweep ------------------------------------------------------------------------
    def _sweep(self, db: Database, room: _Room, now: datetime) -> bool:
        """Submit every script whose time has run out, at the instant it ran out.

        Call inside a write transaction. Returns True if anything changed.
        """
        changed = False
        for script in room.scripts:
            if script.final:
                continue
            time = room.time(script, now)
            if time.is_time_up:
                # Submitted at the instant the time ran out, not when someone noticed.
                ran_out = time.expires_at if time.expires_at is not None and time.expires_at <= now else now
                self._finish(db, room, script, finish="time up", reason="time up",
                             at=ran_out, actor=Actor.system(), now=now)
                changed = True
        if changed:
            self._maybe_auto_end(db, room, now)
        return changed

    def _finish(self, db: Database, room: _Room, script: _Script, *, finish: str, reason: str,
                at: datetime, actor: Actor, now: datetime, details: dict[str, Any] | None = None) -> None:
        script_store.set_finished(db, script.id, at=now_text(at), finish=finish, reason=reason)
        # A pause left open on a finished script would be noise in every report.
        sitting_store.end_open_pauses(db, at=now_text(at), reason=f"script {finish}", script_id=script.id)
        answered = script_store.answered_count(db, script.id)
        record(db, at=now, actor=actor, action="script absent" if finish == "absent" else "script submitted",
               sitting_id=room.sitting["id"], script_id=script.id, candidate_number=script.candidate_number,
               details={"finish": finish, "reason": reason, "submitted_at": now_text(at),
                        "questions_answered": answered, **(details or {})})
        script.row.update(submitted_at=now_text(at), finish=finish, submitted_reason=reason)

    def _maybe_auto_end(self, db: Database, room: _Room, now: datetime) -> None:
        """Once every script of a running sitting is finished, the sitting has ended."""
        if room.sitting["state"] != SittingState.RUNNING:
            return
        total, active, last = script_store.finish_counts(db, room.sitting["id"])
        if total and not active:
            sitting_store.mark_ended(db, room.sitting["id"], last, "every script finished")
            sitting_store.end_open_pauses(db, at=last, reason="sitting ended", sitting_id=room.sitting["id"])
            record(db, at=now, actor=Actor.system(), action="sitting ended", sitting_id=room.sitting["id"],
                   details={"reason": "every script finished", "ended_at": last})
            room.sitting = {**room.sitting, "state": "ended", "ended_at": last}

    def _needs_sweep(self, room: _Room, now: datetime) -> bool:
        return any(not s.final and room.time(s, now).is_time_up for s in room.scripts)

    def _fresh_room(self, code: str | None = None, script_id: int | None = None) -> tuple[_Room, datetime]:
        """Read a room (or one script), sweeping first if any time has run out."""
        now = self.clock.now()
        with read_transaction(self.db):
            if script_id is not None:
                room, _ = self._script_room(self.db, script_id)
            else:
                room = self._room(self.db, self._sitting_row(self.db, code))
            stale = self._needs_sweep(room, now)
        if stale:
            def work(db: Database) -> _Room:
                if script_id is not None:
                    fresh, _ = self._script_room(db, script_id)
                else:
                    fresh = self._room(db, self._sitting_row(db, code))
                self._sweep(db, fresh, now)
                return fresh

            room = run_write(self.db, work)
        return room, now


# --- the invigilator's side -------------------------------------------------------------------


class SittingService(_Base):
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
            counts = script_store.answer_progress(self.db, room.sitting["id"])
            summary = self._summary(self.db, room.sitting)
            leases = store.leases_in_sitting(self.db, room.sitting["id"])
            requests = store.requests_in_sitting(self.db, room.sitting["id"])
            alerts = [TerminalAlert(terminal=t.terminal, place=t.place, kind=t.kind, failures=t.failures,
                                    last_failure_at=t.last_failure_at, locked_until=t.locked_until)
                      for t in store.tries_in_sitting(self.db, room.sitting["id"])
                      if t.locked(now) or t.failures]
            exit_code = store.exit_code_of(self.db, room.sitting["id"])
        room_start = parse_instant(room.sitting["started_at"])
        candidates = []
        for script in room.scripts:
            time = room.time(script, now)
            started = script.started_at
            late = (
                int((started - room_start).total_seconds())
                if started and room_start and started > room_start else None
            )
            agg = counts.get(script.id, {})
            candidates.append(CandidateStatus(
                candidate_number=script.candidate_number,
                name=script.name,
                script_id=script.id,
                script_number=script.row["script_number"],
                state=room.state_of(script, time),
                extra_time_percent=script.row["extra_time_percent"],
                extensions=[
                    Extension(minutes=e["minutes"], reason=e["reason"], granted_by=e["granted_by_name"],
                              granted_at=parse_instant(e["granted_at"]))
                    for e in room.extensions.get(script.id, [])
                ],
                allowed_seconds=int(time.allowed.total_seconds()),
                used_seconds=int(time.used.total_seconds()),
                left_seconds=int(time.remaining.total_seconds()),
                questions_answered=agg.get("answered") or 0,
                questions_total=len(room.paper.paper.questions),
                last_save_at=parse_instant(agg.get("last_save")),
                logged_in_at=parse_instant(script.row["logged_in_at"]),
                started_at=started,
                late_by_seconds=late,
                expires_at=time.expires_at,
                submitted_at=parse_instant(script.row["submitted_at"]),
                submitted_reason=script.row["submitted_reason"],
                terminal=leases[script.id].terminal if script.id in leases else None,
                terminal_live=script.id in leases and leases[script.id].live(now) and not script.final,
                takeover_terminal=requests[script.id].terminal if script.id in requests else None,
                takeover_requested_at=requests[script.id].requested_at if script.id in requests else None,
            ))
        return SittingStatus(**summary.model_dump(), as_of=now, candidates=candidates, exit_code=exit_code,
                             terminal_alerts=alerts)

    def log(self, code: str) -> list[AuditEntry]:
        """The sitting's audit trail, oldest first."""
        with read_transaction(self.db):
            sitting = self._sitting_row(self.db, code)
        return entries(self.db, sitting_id=sitting["id"])

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
        wanted = _clean_code(code) if code else None
        if wanted is not None and not _CODE_PATTERN.match(wanted):
            raise SittingError(
                f"{code!r} cannot be a sitting code: use 3 to 20 letters, digits or '-', starting "
                "with a letter or digit (e.g. 304-K7QM)."
            )
        now = self.clock.now()

        def work(db: Database) -> SittingSummary:
            actor = resolve_actor(db, by, *INVIGILATORS)
            paper = self._paper(db, paper_id)
            if wanted is not None:
                if code_taken(db, wanted):
                    raise SittingError(f"There is already a sitting with code {wanted}; choose another.")
                new_code = wanted
            else:
                prefix = re.sub(r"[^A-Z0-9]", "", paper.unit.upper())[:8] or "S"
                while True:
                    new_code = f"{prefix}-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))
                    if not code_taken(db, new_code):
                        break
            # No exit code yet: the first admission slips make it (issue_keycodes), with the keycodes.
            sitting_id = sitting_store.insert_sitting(
                db, new_code, paper.id, scheduled_start=now_text(starts_at) if starts_at else None,
                created_by=actor.staff_id, created_at=now_text(now))
            record(db, at=now, actor=actor, action="sitting created", sitting_id=sitting_id,
                   details={"code": new_code, "paper_id": paper.id, "qualification": paper.qualification,
                            "unit": paper.unit, "paper_version": paper.version,
                            "content_hash": paper.content_hash,
                            "time_allowance_minutes": paper.time_allowance_minutes,
                            "scheduled_start": now_text(starts_at) if starts_at else None})
            return self._summary(db, self._sitting_row(db, new_code))

        return run_write(self.db, work)

    def enrol(self, code: str, candidate_numbers: list[str] | None = None, *, all_candidates: bool = False,
              by: str) -> EnrolmentReport:
        """Enrol candidates (or every known candidate); all-or-nothing."""
        if not all_candidates and not candidate_numbers:
            raise SittingError("Name the candidates to enrol (candidate numbers), or use --all.")
        if all_candidates and candidate_numbers:
            raise SittingError("Give candidate numbers or --all, not both.")
        now = self.clock.now()

        def work(db: Database) -> EnrolmentReport:
            actor = resolve_actor(db, by, *INVIGILATORS)
            sitting = self._sitting_row(db, code)
            if sitting["state"] == SittingState.ENDED:
                raise SittingError(f"Sitting {sitting['code']} has ended; nobody can be enrolled in it.")
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
            report = EnrolmentReport(code=sitting["code"])
            used = script_store.script_numbers(db, sitting["id"])
            rng = secrets.SystemRandom()
            for candidate in candidates:
                if sitting_store.enrolled_script_id(db, sitting["id"], candidate.id) is not None:
                    report.already_enrolled.append(candidate.candidate_number)
                    continue
                free = [n for n in range(1000, 10000) if str(n) not in used] if len(used) > 4000 else None
                while True:
                    number = str(rng.choice(free) if free else rng.randrange(1000, 10000))
                    if number not in used:
                        break
                used.add(number)
                script_id = script_store.insert_script(db, sitting["id"], candidate.id, number,
                                                       candidate.extra_time_percent, at=now_text(now),
                                                       by=actor.staff_id)
                record(db, at=now, actor=actor, action="candidate enrolled", sitting_id=sitting["id"],
                       script_id=script_id, candidate_number=candidate.candidate_number,
                       details={"script_number": number, "extra_time_percent": candidate.extra_time_percent,
                                "sitting state": sitting["state"]})
                report.enrolled.append(candidate.candidate_number)
            return report

        return run_write(self.db, work)

    # -- admission (issue 13) -----------------------------------------------------------------
    def issue_keycodes(self, code: str, *, by: str, candidate_numbers: list[str] | None = None,
                       seed: str | None = None) -> AdmissionSlips:
        """New keycodes for every candidate still to sit (or the ones named): the slips to hand out.

        Keycodes are stored only hashed, so they can never be shown again: issuing again makes
        new ones and the old ones stop working (a learner already logged in keeps working; only a
        new login needs the new code). ``seed`` fixes the codes (the demo centre only).
        """
        now = self.clock.now()
        wanted = None if not candidate_numbers else {n.strip().upper() for n in candidate_numbers}

        def work(db: Database) -> AdmissionSlips:
            actor = resolve_actor(db, by, *INVIGILATORS)
            sitting = self._sitting_row(db, code)
            if sitting["state"] == SittingState.ENDED:
                raise SittingError(f"Sitting {sitting['code']} has ended; there is nobody left to admit.")
            room = self._room(db, sitting)
            if wanted is not None:
                known = {s.candidate_number.upper() for s in room.scripts}
                missing = sorted(wanted - known)
                if missing:
                    raise SittingError(f"Not enrolled in sitting {sitting['code']}: {', '.join(missing)}. "
                                       "No keycodes were issued.")
            chosen = [s for s in room.scripts if not s.final
                      and (wanted is None or s.candidate_number.upper() in wanted)]
            if not chosen:
                raise SittingError(f"Nobody in sitting {sitting['code']} is still to sit: no keycodes were issued.")
            rng = secrets.SystemRandom()
            slips = []
            for script in chosen:
                keycode = (rules.derived_keycode(seed, sitting["code"], script.candidate_number) if seed
                           else rules.new_keycode(rng))
                salt = secrets.token_bytes(16)
                store.put_keycode(db, script.id, rules.hash_keycode(keycode, salt), salt.hex(), now,
                                  actor.staff_id)
                slips.append(AdmissionSlip(candidate_number=script.candidate_number, name=script.name,
                                           keycode=rules.format_keycode(keycode)))
            exit_code = store.exit_code_of(db, sitting["id"])
            if not exit_code:
                exit_code = rules.new_exit_code(rng)
                store.set_exit_code(db, sitting["id"], exit_code)
            record(db, at=now, actor=actor, action="admission keycodes issued", sitting_id=sitting["id"],
                   details={"candidates": [s.candidate_number for s in slips], "count": len(slips),
                            "earlier keycodes": "no longer work"})
            summary = self._summary(db, sitting)
            return AdmissionSlips(centre=store.centre_name(db), sitting_code=sitting["code"],
                                  qualification=summary.qualification, unit=summary.unit,
                                  paper_title=summary.paper_title, issued_at=now, issued_by=actor.label,
                                  exit_code=exit_code, slips=slips)

        return run_write(self.db, work, "issuing keycodes")

    def approve_takeover(self, code: str, candidate_number: str, *, by: str) -> CandidateStatus:
        """Move a script to the terminal asking for it (desk move, crashed terminal).

        The lease passes to the new terminal at once, so the old one's next save is refused
        and its screen says where the script went. Audited with both terminals named.
        """
        now = self.clock.now()

        def work(db: Database) -> None:
            actor = resolve_actor(db, by, *INVIGILATORS)
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(db, room, now)
            script = self._enrolled(db, room, candidate_number)
            request = store.request_of(db, script.id)
            if request is None:
                raise SittingError(f"No other terminal is asking for candidate {script.candidate_number}'s "
                                   "script, so there is nothing to approve.")
            if script.final:
                store.drop_request(db, script.id)
                raise SittingError(f"Candidate {script.candidate_number}'s script is finished "
                                   f"({script.row['submitted_reason']}); it cannot move terminal.")
            lease = store.lease_of(db, script.id)
            store.put_lease(db, script.id, request.terminal, now, now + rules.lease_expiry_seconds())
            store.drop_request(db, script.id)
            record(db, at=now, actor=actor, action="terminal takeover approved", sitting_id=room.sitting["id"],
                   script_id=script.id, candidate_number=script.candidate_number,
                   details={"from terminal": lease.terminal if lease else None,
                            "from terminal was": ("live" if lease and lease.live(now) else "lapsed"),
                            "to terminal": request.terminal, "requested at": now_text(request.requested_at)})

        run_write(self.db, work, "moving the script")
        number = candidate_number.strip().upper()
        return next(c for c in self.status(code).candidates if c.candidate_number.upper() == number)

    # -- the sitting's life ------------------------------------------------------------------------
    def open(self, code: str, *, by: str, reason: str | None = None) -> SittingSummary:
        """Scheduled -> open: learners may log in and read the instructions; no clock runs."""
        now = self.clock.now()

        def work(db: Database) -> SittingSummary:
            actor = resolve_actor(db, by, *INVIGILATORS)
            sitting = self._sitting_row(db, code)
            if sitting["state"] != SittingState.SCHEDULED:
                raise SittingError(f"Sitting {sitting['code']} is already {sitting['state']}; "
                                   "only a scheduled sitting can be opened.")
            sitting_store.mark_opened(db, sitting["id"], now_text(now))
            record(db, at=now, actor=actor, action="sitting opened", sitting_id=sitting["id"],
                   details={"reason": _reason(reason, "open", required=False)})
            return self._summary(db, self._sitting_row(db, code))

        return run_write(self.db, work)

    def start(self, code: str, *, by: str, candidate_number: str | None = None,
              reason: str | None = None) -> SittingSummary:
        """Open -> running: every logged-in candidate's clock starts now.

        With ``candidate_number``: start that one candidate's clock now (they must
        have logged in; e.g. a candidate sitting apart who begins separately).
        """
        now = self.clock.now()

        def work(db: Database) -> SittingSummary:
            actor = resolve_actor(db, by, *INVIGILATORS)
            sitting = self._sitting_row(db, code)
            room = self._room(db, sitting)
            self._sweep(db, room, now)
            sitting = room.sitting
            if sitting["state"] == SittingState.ENDED:
                raise SittingError(f"Sitting {sitting['code']} ended at {_clock_text(parse_instant(sitting['ended_at']))}; "
                                   "an ended sitting cannot be started again.")
            if candidate_number is not None:
                script = self._enrolled(db, room, candidate_number)
                if sitting["state"] == SittingState.SCHEDULED:
                    raise SittingError(f"Open sitting {sitting['code']} first, so the candidate can log in.")
                if script.final:
                    raise SittingError(f"Candidate {script.candidate_number}'s script is already finished "
                                       f"({script.row['submitted_reason']}).")
                if script.started_at is not None:
                    raise SittingError(f"Candidate {script.candidate_number}'s clock already started at "
                                       f"{_clock_text(script.started_at)}.")
                if script.row["logged_in_at"] is None:
                    raise SittingError(f"Candidate {script.candidate_number} has not logged in yet; "
                                       "their clock starts when they log in.")
                script_store.set_started(db, script.id, now_text(now))
                record(db, at=now, actor=actor, action="candidate started", sitting_id=sitting["id"],
                       script_id=script.id, candidate_number=script.candidate_number,
                       details={"started_at": now_text(now), "reason": _reason(reason, "start", required=False),
                                "allowed_seconds": int(room.time(script, now).allowed.total_seconds())})
                return self._summary(db, sitting)
            if sitting["state"] == SittingState.RUNNING:
                raise SittingError(f"Sitting {sitting['code']} has been running since "
                                   f"{_clock_text(parse_instant(sitting['started_at']))}.")
            if sitting["state"] == SittingState.SCHEDULED:
                raise SittingError(f"Open sitting {sitting['code']} first (marker-tui sitting open "
                                   f"{sitting['code']} --by NAME) so candidates can log in and read the "
                                   "instructions; then start it.")
            sitting_store.mark_running(db, sitting["id"], now_text(now))
            started = []
            for script in room.scripts:
                if not script.final and script.row["logged_in_at"] is not None and script.started_at is None:
                    script_store.set_started(db, script.id, now_text(now))
                    started.append(script.candidate_number)
            record(db, at=now, actor=actor, action="sitting started", sitting_id=sitting["id"],
                   details={"started_at": now_text(now), "candidates started": started,
                            "not logged in yet": [s.candidate_number for s in room.scripts
                                                  if not s.final and s.row["logged_in_at"] is None],
                            "reason": _reason(reason, "start", required=False)})
            return self._summary(db, self._sitting_row(db, code))

        return run_write(self.db, work)

    def pause(self, code: str, *, reason: str, by: str, candidate_number: str | None = None) -> SittingSummary:
        """Stop the clock for the whole room, or for one candidate. Paused time never counts."""
        why = _reason(reason, "pause")
        now = self.clock.now()

        def work(db: Database) -> SittingSummary:
            actor = resolve_actor(db, by, *INVIGILATORS)
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(db, room, now)
            sitting = room.sitting
            if sitting["state"] != SittingState.RUNNING:
                raise SittingError(f"Sitting {sitting['code']} is {sitting['state']}; only a running "
                                   "sitting can be paused.")
            if candidate_number is None:
                if room.open_room_pause():
                    raise SittingError(f"Sitting {sitting['code']} is already paused (since "
                                       f"{_clock_text(parse_instant(room.open_room_pause()['started_at']))}).")
                sitting_store.insert_pause(db, sitting["id"], script_id=None, at=now_text(now), reason=why,
                                           by=actor.staff_id)
                record(db, at=now, actor=actor, action="sitting paused", sitting_id=sitting["id"],
                       details={"reason": why, "paused_at": now_text(now)})
            else:
                script = self._enrolled(db, room, candidate_number)
                self._require_writing(script, "paused")
                if room.open_script_pause(script.id):
                    raise SittingError(f"Candidate {script.candidate_number} is already paused.")
                sitting_store.insert_pause(db, sitting["id"], script_id=script.id, at=now_text(now), reason=why,
                                           by=actor.staff_id)
                record(db, at=now, actor=actor, action="candidate paused", sitting_id=sitting["id"],
                       script_id=script.id, candidate_number=script.candidate_number,
                       details={"reason": why, "paused_at": now_text(now),
                                "left_seconds": int(room.time(script, now).remaining.total_seconds())})
            return self._summary(db, sitting)

        return run_write(self.db, work)

    def resume(self, code: str, *, reason: str, by: str, candidate_number: str | None = None) -> SittingSummary:
        why = _reason(reason, "resume")
        now = self.clock.now()

        def work(db: Database) -> SittingSummary:
            actor = resolve_actor(db, by, *INVIGILATORS)
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(db, room, now)
            sitting = room.sitting
            if sitting["state"] != SittingState.RUNNING:
                raise SittingError(f"Sitting {sitting['code']} is {sitting['state']}; nothing to resume.")
            if candidate_number is None:
                pause = room.open_room_pause()
                if pause is None:
                    raise SittingError(f"Sitting {sitting['code']} is not paused.")
                script_id, who = None, None
            else:
                script = self._enrolled(db, room, candidate_number)
                pause = room.open_script_pause(script.id)
                if pause is None:
                    if script.final:
                        raise SittingError(f"Candidate {script.candidate_number}'s script is finished "
                                           f"({script.row['submitted_reason']}).")
                    hint = " (the whole room is paused: resume the room)" if room.open_room_pause() else ""
                    raise SittingError(f"Candidate {script.candidate_number} is not paused{hint}.")
                script_id, who = script.id, script.candidate_number
            sitting_store.end_pause(db, pause["id"], at=now_text(now), reason=why, by=actor.staff_id)
            paused_for = now - parse_instant(pause["started_at"])
            record(db, at=now, actor=actor, action="candidate resumed" if who else "sitting resumed",
                   sitting_id=sitting["id"], script_id=script_id, candidate_number=who,
                   details={"reason": why, "paused_at": pause["started_at"], "resumed_at": now_text(now),
                            "paused_seconds": int(paused_for.total_seconds()),
                            "pause reason": pause["reason"]})
            return self._summary(db, sitting)

        return run_write(self.db, work)

    def extend(self, code: str, *, candidate_number: str, minutes: int, reason: str, by: str) -> CandidateStatus:
        """Grant extra minutes to one candidate (minutes, reason, who and when are kept)."""
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise SittingError(f"Minutes must be a whole number (got {minutes!r}).")
        if minutes <= 0:
            raise SittingError(f"An extension must be a positive number of minutes (got {minutes}); "
                               "time already granted cannot be taken back. Nothing was changed.")
        if minutes > MAX_EXTENSION_MINUTES:
            raise SittingError(f"An extension can be at most {MAX_EXTENSION_MINUTES} minutes (got {minutes}).")
        why = _reason(reason, "extend")
        now = self.clock.now()

        def work(db: Database) -> None:
            actor = resolve_actor(db, by, *INVIGILATORS)
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(db, room, now)
            script = self._enrolled(db, room, candidate_number)
            if script.final:
                raise SittingError(
                    f"Candidate {script.candidate_number}'s script was already submitted at "
                    f"{_clock_text(parse_instant(script.row['submitted_at']))} ({script.row['submitted_reason']}); "
                    "a submitted script cannot be extended. Nothing was changed.")
            before = room.time(script, now)
            sitting_store.insert_extension(db, script.id, minutes, why, actor.staff_id, now_text(now))
            record(db, at=now, actor=actor, action="extension granted", sitting_id=room.sitting["id"],
                   script_id=script.id, candidate_number=script.candidate_number,
                   details={"minutes": minutes, "reason": why,
                            "old_allowed_seconds": int(before.allowed.total_seconds()),
                            "new_allowed_seconds": int(before.allowed.total_seconds()) + minutes * 60})

        run_write(self.db, work)
        status = self.status(code)
        number = candidate_number.strip().upper()
        return next(c for c in status.candidates if c.candidate_number.upper() == number)

    def end(self, code: str, *, by: str, reason: str | None = None,
            candidate_number: str | None = None) -> SittingSummary:
        """End the sitting for everyone, or for one candidate. A reason is required to end early.

        Candidates still writing are submitted now ("ended by invigilator: reason");
        candidates whose clock never started are recorded as absent.
        """
        now = self.clock.now()

        def work(db: Database) -> SittingSummary:
            actor = resolve_actor(db, by, *INVIGILATORS)
            room = self._room(db, self._sitting_row(db, code))
            self._sweep(db, room, now)
            sitting = room.sitting
            if candidate_number is not None:
                script = self._enrolled(db, room, candidate_number)
                if sitting["state"] == SittingState.ENDED or script.final:
                    raise SittingError(
                        f"Candidate {script.candidate_number}'s script is already finished"
                        + (f" ({script.row['submitted_reason']})." if script.final else "."))
                why = _reason(reason, f"end candidate {script.candidate_number}'s assessment early")
                self._end_script(db, room, script, why, actor, now)
                self._maybe_auto_end(db, room, now)
                return self._summary(db, self._sitting_row(db, code))
            if sitting["state"] == SittingState.ENDED:
                raise SittingError(f"Sitting {sitting['code']} already ended at "
                                   f"{_clock_text(parse_instant(sitting['ended_at']))}.")
            active = [s for s in room.scripts if not s.final]
            why = _reason(reason, "end the sitting while candidates still have time", required=bool(active))
            for script in active:
                self._end_script(db, room, script, why, actor, now)
            sitting_store.end_open_pauses(db, at=now_text(now), reason="sitting ended", sitting_id=sitting["id"],
                                          by=actor.staff_id)
            sitting_store.mark_ended(db, sitting["id"], now_text(now), why)
            record(db, at=now, actor=actor, action="sitting ended", sitting_id=sitting["id"],
                   details={"reason": why, "ended_at": now_text(now), "state before": sitting["state"],
                            "scripts ended early": [s.candidate_number for s in active]})
            return self._summary(db, self._sitting_row(db, code))

        return run_write(self.db, work)

    # -- helpers ------------------------------------------------------------------------------
    def _end_script(self, db: Database, room: _Room, script: _Script, why: str | None,
                    actor: Actor, now: datetime) -> None:
        if script.started_at is None:
            self._finish(db, room, script, finish="absent",
                         reason=f"did not start; ended by invigilator: {why or 'sitting ended'}",
                         at=now, actor=actor, now=now)
        else:
            time = room.time(script, now)
            self._finish(db, room, script, finish="ended", reason=f"ended by invigilator: {why}",
                         at=now, actor=actor, now=now,
                         details={"left_seconds": int(time.remaining.total_seconds())})

    @staticmethod
    def _enrolled(db: Database, room: _Room, candidate_number: str) -> _Script:
        number = str(candidate_number).strip().upper()
        script = next((s for s in room.scripts if s.candidate_number.upper() == number), None)
        if script is None:
            if find_candidate(db, number) is None:
                raise SittingError(f"There is no candidate {number}.")
            raise SittingError(f"Candidate {number} is not enrolled in sitting {room.sitting['code']} "
                               f"(enrol them with: marker-tui sitting enrol {room.sitting['code']} {number}).")
        return script

    @staticmethod
    def _require_writing(script: _Script, doing: str) -> None:
        if script.final:
            raise SittingError(f"Candidate {script.candidate_number}'s script is finished "
                               f"({script.row['submitted_reason']}); it cannot be {doing}.")
        if script.started_at is None:
            raise SittingError(f"Candidate {script.candidate_number} has not started yet; "
                               f"they cannot be {doing}.")

    def _summary(self, db: Database, sitting: dict[str, Any]) -> SittingSummary:
        paper = self._paper(db, sitting["paper_id"])
        creator = staff_by_id(db, sitting["created_by"]) if sitting["created_by"] is not None else None
        paused = sitting_store.room_paused(db, sitting["id"])
        return SittingSummary(
            id=sitting["id"], code=sitting["code"], state=SittingState(sitting["state"]),
            qualification=paper.qualification, unit=paper.unit, paper_id=paper.id,
            paper_version=paper.version, paper_title=paper.title,
            time_allowance_minutes=paper.time_allowance_minutes,
            scheduled_start=parse_instant(sitting["scheduled_start"]),
            opened_at=parse_instant(sitting["opened_at"]), started_at=parse_instant(sitting["started_at"]),
            ended_at=parse_instant(sitting["ended_at"]), end_reason=sitting["end_reason"],
            created_by=creator.name if creator else "?", room_paused=bool(paused),
        )


# --- the learner's side ------------------------------------------------------------------------


def _clean_number(candidate_number: str) -> str:
    number = str(candidate_number or "").strip().upper()
    if not number:
        raise SittingError("Type your candidate number.")
    return number


class LearnerService(_Base):
    """What a learner's terminal calls. ``script_id`` comes from :meth:`login`.

    Admission (issue 13): the sitting code, the candidate number *and* the keycode
    on the learner's admission slip. Nothing about a candidate (name, script
    number, arrangements, whether the number exists) is returned before the
    keycode matches; wrong tries are counted per terminal. A script is held by one
    terminal at a time (a lease the terminal renews); every learner change is
    refused from a terminal that no longer holds it.
    """

    def __init__(self, db: Database, clock: Clock | None = None, terminal: Terminal | None = None) -> None:
        super().__init__(db, clock)
        self.terminal = terminal or this_terminal()

    # -- admission -------------------------------------------------------------------------------
    def _admit(self, db: Database, code: str, number: str, keycode: str | None,
               now: datetime) -> tuple[dict[str, Any], int] | AdmissionRefused:
        """The script the keycode admits to, or the refusal (recorded). Call inside a write."""
        sitting = self._sitting_row(db, code)
        if sitting["state"] == SittingState.SCHEDULED:
            return SittingNotOpen(sitting["code"])
        me = self.terminal
        base = {"terminal": me.label, "candidate number typed": number}
        tries = store.tries_of(db, me.place, "keycode")
        if tries is not None and tries.locked(now):
            record(db, at=now, actor=self._terminal_actor(), action="admission refused", sitting_id=sitting["id"],
                   details={**base, "reason": "terminal locked after wrong keycodes",
                            "locked until": now_text(tries.locked_until)})
            return AdmissionRefused(
                f"Too many wrong keycodes on this terminal: it is locked until "
                f"{_clock_text(tries.locked_until)}. Ask the invigilator to check your admission slip.")
        found = sitting_store.script_id_by_candidate_number(db, sitting["id"], number)
        stored = store.keycode_of(db, found) if found is not None else None
        typed = rules.normalise_keycode(keycode)
        if stored is None:
            rules.hash_keycode(typed, b"\0" * 16)  # the same time as a real check: timing reveals nobody
            matches = False
        else:
            matches = bool(typed) and rules.keycode_matches(typed, stored.keycode_hash, stored.keycode_salt)
        if matches:
            if tries is not None:
                store.clear_tries(db, me.place, "keycode")
            return sitting, found
        failures = (tries.failures if tries is not None else 0) + 1
        locked_until = now + rules.KEYCODE_LOCK if failures >= rules.KEYCODE_TRIES else None
        store.put_tries(db, me.place, "keycode", sitting_id=sitting["id"], terminal=me.label,
                        failures=0 if locked_until else failures, at=now, locked_until=locked_until)
        why = ("no keycode typed" if not typed else "wrong keycode") if found is not None else "candidate number not enrolled"
        record(db, at=now, actor=self._terminal_actor(), action="admission refused", sitting_id=sitting["id"],
               script_id=found, candidate_number=number if found is not None else None,
               details={**base, "reason": why, "wrong tries on this terminal": failures,
                        **({"terminal locked until": now_text(locked_until)} if locked_until else {})})
        # One message whatever was wrong: it must not tell a stranger which numbers exist.
        message = ("That candidate number and keycode do not match this sitting. Check both on your "
                   "admission slip, or ask the invigilator.")
        if locked_until:
            message += f" This terminal is now locked until {_clock_text(locked_until)}."
        return AdmissionRefused(message)

    def sitting_state(self, code: str) -> SittingState:
        """Only the sitting's state (scheduled, open, running, ended), for a learner waiting to log in.

        Says nothing about any candidate, so it needs no keycode; raises NoSuchSitting for an unknown code.
        """
        with read_transaction(self.db):
            return SittingState(self._sitting_row(self.db, code)["state"])

    def _terminal_actor(self) -> Actor:
        return Actor(label=f"terminal {self.terminal.label}")

    def identify(self, code: str, candidate_number: str, keycode: str | None = None) -> LearnerIdentity:
        """Whose script the keycode admits to, for the learner's "Is this you?"; nothing is logged in yet.

        Raises AdmissionRefused (wrong number or keycode: counted for this terminal, and recorded)
        or SittingError as :meth:`login` would. Only this learner's own name comes back.
        """
        number = _clean_number(candidate_number)
        now = self.clock.now()

        def work(db: Database) -> LearnerIdentity | SittingError:
            admitted = self._admit(db, code, number, keycode, now)
            if isinstance(admitted, SittingError):
                return admitted
            sitting, script_id = admitted
            room = self._room(db, sitting, script_id)
            try:
                script = self._may_log_in(room, number)
            except SittingError as error:
                return error
            return LearnerIdentity(sitting_code=sitting["code"], candidate_number=script.candidate_number,
                                   candidate_name=script.name)

        outcome = run_write(self.db, work, "checking your admission")
        if isinstance(outcome, SittingError):
            raise outcome
        return outcome

    def _may_log_in(self, room: _Room, number: str) -> _Script:
        """The candidate's script, if they may log in; otherwise SittingError saying why not.

        (Read without a sweep, a time that ran out a moment ago is not final yet: login() then says so.)
        """
        sitting = room.sitting
        script = next((s for s in room.scripts if s.candidate_number.upper() == number), None)
        if script is None:
            raise SittingError(
                f"Candidate number {number} is not on the list for sitting {sitting['code']}. "
                "Check both numbers, or ask the invigilator.")
        if script.final:
            raise SittingError(self._finished_message(script))
        if sitting["state"] == SittingState.SCHEDULED:
            raise SittingNotOpen(sitting["code"])
        if sitting["state"] == SittingState.ENDED:
            raise SittingError(f"Sitting {sitting['code']} has ended.")
        return script

    def login(self, code: str, candidate_number: str, keycode: str | None = None) -> LearnerSession:
        """Log a learner in (or back in, after a crash) and return everything to resume exactly.

        Needs the keycode. Takes the script's lease for this terminal; if another terminal's lease
        is live, raises ScriptInUse and leaves a takeover request for the invigilator (calling again
        after they approve logs in). Only this script's rows are read: nobody else's pass through here.
        """
        number = _clean_number(candidate_number)
        now = self.clock.now()
        me = self.terminal.label

        def work(db: Database) -> int | SittingError:
            admitted = self._admit(db, code, number, keycode, now)
            if isinstance(admitted, SittingError):
                return admitted
            sitting, script_id = admitted
            room = self._room(db, sitting, script_id)
            self._sweep(db, room, now)
            sitting = room.sitting
            try:
                script = self._may_log_in(room, number)
            except SittingError as error:
                return error
            actor = Actor.candidate(script.candidate_number)
            lease = store.lease_of(db, script.id)
            if lease is not None and lease.terminal != me and lease.live(now):
                pending = store.request_of(db, script.id)
                if pending is None or pending.terminal != me:
                    store.put_request(db, script.id, me, now)
                    record(db, at=now, actor=actor, action="second login refused", sitting_id=sitting["id"],
                           script_id=script.id, candidate_number=script.candidate_number,
                           details={"terminal": me, "live terminal": lease.terminal,
                                    "takeover": "waiting for the invigilator's approval"})
                return ScriptInUse(
                    "Your script is open on another terminal. If you have moved desk or your terminal "
                    "stopped working, tell the invigilator: once they approve the move on their screen, "
                    "your paper opens here by itself with your saved answers.", lease.terminal)
            store.put_lease(db, script.id, me, now, now + rules.lease_expiry_seconds())
            pending = store.request_of(db, script.id)
            if pending is not None and pending.terminal == me:
                store.drop_request(db, script.id)
            first = script.row["logged_in_at"] is None
            script_store.set_logged_in(db, script.id, now_text(now))
            details: dict[str, Any] = {"sitting state": sitting["state"], "terminal": me}
            if lease is not None and lease.terminal != me:
                details["previous terminal"] = lease.terminal
                details["previous lease"] = ("moved here by the invigilator" if pending is None
                                             else f"lapsed at {now_text(lease.expires_at)}")
            record(db, at=now, actor=actor, action="candidate logged in" if first else "candidate logged in again",
                   sitting_id=sitting["id"], script_id=script.id, candidate_number=script.candidate_number,
                   details=details)
            if sitting["state"] == SittingState.RUNNING and script.started_at is None:
                room_start = parse_instant(sitting["started_at"])
                script_store.set_started(db, script.id, now_text(now))
                allowed = room.time(script, now).allowed
                record(db, at=now, actor=actor, action="late start", sitting_id=sitting["id"],
                       script_id=script.id, candidate_number=script.candidate_number,
                       details={"started_at": now_text(now), "room started_at": sitting["started_at"],
                                "late_by_seconds": int((now - room_start).total_seconds()),
                                "allowed_seconds": int(allowed.total_seconds()),
                                "rule": "full allowance from the candidate's own start"})
            return script.id

        outcome = run_write(self.db, work, "logging in")
        if isinstance(outcome, SittingError):
            raise outcome
        return self.session(outcome, resumed=None)

    def heartbeat(self, script_id: int) -> None:
        """Renew this terminal's lease; SaveRefused("moved") once another terminal holds the script."""
        now = self.clock.now()
        me = self.terminal.label

        def work(db: Database) -> SaveRefused | None:
            if store.renew_lease(db, script_id, me, now, now + rules.lease_expiry_seconds()):
                return None
            holder = store.lease_terminal(db, script_id)
            if holder is None:  # nobody holds it (e.g. made before leases): this terminal takes it
                store.put_lease(db, script_id, me, now, now + rules.lease_expiry_seconds())
                return None
            return SaveRefused(self._moved_message(holder), "moved")

        outcome = run_write(self.db, work, "keeping your terminal connected")
        if outcome is not None:
            raise outcome

    @staticmethod
    def _moved_message(holder: str) -> str:
        return (f"Your script is now open on another terminal ({holder}): the invigilator moved it there. "
                "Everything saved before the move is kept there. Nothing typed here since can be saved: "
                "tell the invigilator now.")

    def release_terminal(self, code: str, exit_code: str, *, candidate_number: str | None = None,
                         state: str = "") -> None:
        """The invigilator typed the sitting's exit code on this learner's terminal; raises ExitRefused.

        Wrong codes count for this terminal only (EXIT_TRIES, then its exit dialog is locked for
        EXIT_LOCK): no staff member's PIN is ever typed on a learner's terminal, so none can be
        guessed or locked out from one.
        """
        now = self.clock.now()
        me = self.terminal
        typed = "".join(ch for ch in (exit_code or "") if not ch.isspace())

        def work(db: Database) -> ExitRefused | None:
            sitting = self._sitting_row(db, code)
            script_id = None
            if candidate_number:
                script_id = sitting_store.script_id_by_candidate_number(db, sitting["id"], candidate_number)
            where = {"sitting_id": sitting["id"], "script_id": script_id,
                     "candidate_number": candidate_number if script_id else None}
            tries = store.tries_of(db, me.place, "exit code")
            if tries is not None and tries.locked(now):
                record(db, at=now, actor=self._terminal_actor(), action="exit code refused", **where,
                       details={"terminal": me.label, "reason": "exit dialog locked",
                                "locked until": now_text(tries.locked_until)})
                return ExitRefused(self._exit_locked_message(tries.locked_until), tries.locked_until)
            expected = store.exit_code_of(db, sitting["id"]) or ""
            if expected and hmac.compare_digest(typed.encode(), expected.encode()):
                if tries is not None:
                    store.clear_tries(db, me.place, "exit code")
                record(db, at=now, actor=self._terminal_actor(), action="learner terminal closed", **where,
                       details={"terminal": me.label, "with": "the sitting's exit code",
                                "learner's screen": state})
                return None
            failures = (tries.failures if tries is not None else 0) + 1
            locked_until = now + rules.EXIT_LOCK if failures >= rules.EXIT_TRIES else None
            store.put_tries(db, me.place, "exit code", sitting_id=sitting["id"], terminal=me.label,
                            failures=0 if locked_until else failures, at=now, locked_until=locked_until)
            record(db, at=now, actor=self._terminal_actor(), action="exit code refused", **where,
                   details={"terminal": me.label, "reason": "wrong exit code", "wrong tries on this terminal": failures,
                            **({"exit dialog locked until": now_text(locked_until)} if locked_until else {})})
            if locked_until:
                return ExitRefused(self._exit_locked_message(locked_until), locked_until)
            return ExitRefused("That is not this sitting's exit code.")

        outcome = run_write(self.db, work, "checking the exit code")
        if outcome is not None:
            raise outcome

    @staticmethod
    def _exit_locked_message(until: datetime | None) -> str:
        return (f"Too many wrong exit codes: this terminal's exit is locked until {_clock_text(until)}. "
                "The invigilator's room view shows it.")

    def session(self, script_id: int, *, resumed: bool | None = None) -> LearnerSession:
        """The script as it stands: answers, flags, current question, time."""
        room, now = self._fresh_room(script_id=script_id)
        with read_transaction(self.db):
            script_row, script = room.scripts[0].row, room.scripts[0]
            answers = script_store.answers_of_script(self.db, script_id)
            flags = script_store.flags_of(self.db, script_id)
        order = {q.id: i for i, q in enumerate(room.paper.paper.questions)}
        flags.sort(key=lambda q: order.get(q, len(order)))
        return LearnerSession(
            script_id=script_id, sitting_code=room.sitting["code"], sitting_state=SittingState(room.sitting["state"]),
            candidate_number=script.candidate_number, candidate_name=script.name,
            script_number=script_row["script_number"], paper=room.paper.paper,
            answers={q: text for q, (text, _) in answers.items()},
            versions={q: version for q, (_, version) in answers.items()},
            flags=flags, current_question=script_row["current_question"],
            time=self._learner_time(room, script, now),
            resumed=bool(answers or script_row["current_question"]) if resumed is None else resumed,
            terminal=self.terminal.label,
        )

    def time_left(self, script_id: int) -> LearnerTime:
        """For the clock on the learner's screen; also submits the script once time is up."""
        room, now = self._fresh_room(script_id=script_id)
        time = self._learner_time(room, room.scripts[0], now)
        with read_transaction(self.db):
            holder = store.lease_terminal(self.db, script_id)
        if holder is not None and holder != self.terminal.label:
            time.moved_to = holder
        return time

    def save_answer(self, script_id: int, question_id: str, text: str) -> SaveReceipt:
        """Save one answer. Returns only once it is committed (durable); raises SaveRefused otherwise.

        Optimistic: everything is read and decided *before* taking the write lock,
        and under the lock one query checks that nothing the decision rested on
        has changed (script state, pauses, extensions, the answer's version).
        The lock is then held only for the writes (and the history's thinning) and the commit, so 100
        learners saving at once do not queue behind each other's Python work.
        If anything changed, or the save must be refused or the script swept,
        the careful path below does it all under the lock.
        """
        if not isinstance(text, str):
            raise TypeError("an answer is text")
        question_id = str(question_id)
        text, replaced = _storable(text)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        now = self.clock.now()

        def write(db: Database, room: _Room, script: _Script, current_version: int) -> SaveReceipt:
            version = current_version + 1
            stamp = now_text(now)
            script_store.put_answer(db, script_id, question_id, text, version, stamp)
            answer_history.append(db, script_id, question_id, version, text, now)
            thinned = answer_history.thin(db, script_id, question_id, now)  # same transaction as the save
            paused = room.time(script, now).is_paused
            record(db, at=now, actor=Actor.candidate(script.candidate_number), action="answer saved",
                   sitting_id=room.sitting["id"], script_id=script_id, candidate_number=script.candidate_number,
                   details={"question": question_id, "version": version, "characters": len(text),
                            "sha256": digest,
                            **({"while paused": True} if paused else {}),
                            **({"invalid characters replaced": replaced} if replaced else {}),
                            **({"older versions thinned": thinned} if thinned else {})})
            return SaveReceipt(script_id=script_id, question_id=question_id, version=version, saved_at=now,
                               characters=len(text), replaced_invalid_characters=replaced)

        # 1. The fast path: decide on a snapshot, re-check one fingerprint under the lock.
        with read_transaction(self.db):
            room, script = self._script_room(self.db, script_id)
            seen = self._fingerprint(self.db, script_id, question_id)
            current = script_store.answer_of(self.db, script_id, question_id)
        me = self.terminal.label
        plain = (
            seen is not None and seen[-1] in (None, me)  # this terminal (still) holds the script
            and room.paper.paper.question(question_id) is not None
            and not script.final
            and script.started_at is not None
            and not room.time(script, now).is_time_up
            and len(text) <= room.paper.paper.answer_limit(question_id)
        )
        if plain and current is not None and current[0] == text:
            return SaveReceipt(script_id=script_id, question_id=question_id, version=current[1], saved_at=now,
                               characters=len(text), unchanged=True, replaced_invalid_characters=replaced)
        if plain:
            def fast(db: Database) -> SaveReceipt | None:
                if self._fingerprint(db, script_id, question_id) != seen:
                    return None  # something changed meanwhile: take the careful path
                return write(db, room, script, current[1] if current else 0)

            receipt = run_write(self.db, fast)
            if receipt is not None:
                return receipt

        # 2. The careful path: everything under the write lock (refusals, sweeps, races).
        def work(db: Database) -> SaveReceipt | SaveRefused:
            room, script = self._script_room(db, script_id)
            refusal = self._refusal(db, room, script, now, "saved", question_id, text)
            if refusal is not None:
                return refusal
            limit = room.paper.paper.answer_limit(question_id)
            if len(text) > limit:
                return self._refuse(db, room, script, now, "too long", question_id, text,
                                    f"This answer is too long to save ({len(text):,} characters; the limit is "
                                    f"{limit:,}). Your last saved answer is kept.")
            current = script_store.answer_of(db, script_id, question_id)
            if current is not None and current[0] == text:
                return SaveReceipt(script_id=script_id, question_id=question_id, version=current[1],
                                   saved_at=now, characters=len(text), unchanged=True,
                                   replaced_invalid_characters=replaced)
            return write(db, room, script, current[1] if current else 0)

        outcome = run_write(self.db, work)
        if isinstance(outcome, SaveRefused):
            raise outcome
        return outcome

    @staticmethod
    def _fingerprint(db: Database, script_id: int, question_id: str) -> tuple | None:
        """Everything a save decision rests on, in one query (cheap enough to run under the lock)."""
        return script_store.save_fingerprint(db, script_id, question_id)

    def set_flag(self, script_id: int, question_id: str, flagged: bool = True) -> None:
        """Flag a question to come back to (or clear the flag)."""
        question_id = str(question_id)
        now = self.clock.now()

        def work(db: Database) -> SaveRefused | None:
            room, script = self._script_room(db, script_id)
            refusal = self._refusal(db, room, script, now, "flagged", question_id, None)
            if refusal is not None:
                return refusal
            changed = script_store.set_flag(db, script_id, question_id, flagged, now_text(now))
            if changed:
                record(db, at=now, actor=Actor.candidate(script.candidate_number),
                       action="question flagged" if flagged else "flag cleared", sitting_id=room.sitting["id"],
                       script_id=script_id, candidate_number=script.candidate_number,
                       details={"question": question_id})
            return None

        outcome = run_write(self.db, work)
        if isinstance(outcome, SaveRefused):
            raise outcome

    def set_current_question(self, script_id: int, question_id: str) -> None:
        """Remember where the learner is, so a resumed session lands on the same question.

        Not audited: it is navigation, not a change to the script.
        """
        question_id = str(question_id)
        now = self.clock.now()

        def work(db: Database) -> SaveRefused | None:
            room, script = self._script_room(db, script_id)
            if room.paper.paper.question(question_id) is None:
                return SaveRefused(f"There is no question {question_id} on this paper.", "unknown question")
            self._sweep(db, room, now)
            if script.final:
                return SaveRefused(self._finished_message(script), _FINISH_STATE[script.row["finish"]].value)
            holder = store.lease_terminal(db, script_id)
            if holder is not None and holder != self.terminal.label:
                return SaveRefused(self._moved_message(holder), "moved to another terminal")
            script_store.set_current_question(db, script_id, question_id)
            return None

        outcome = run_write(self.db, work)
        if isinstance(outcome, SaveRefused):
            raise outcome

    def submit(self, script_id: int) -> SubmissionReceipt:
        """The learner hands in their script. Pressing it twice is harmless."""
        now = self.clock.now()

        def work(db: Database) -> SubmissionReceipt | SaveRefused:
            room, script = self._script_room(db, script_id)
            self._sweep(db, room, now)
            already = script.final
            if not already:
                moved = self._moved_refusal(db, room, script, now, None, None)
                if moved is not None:
                    return moved
                if script.started_at is None:
                    return SaveRefused("The assessment has not started yet, so there is nothing to submit.",
                                       "not started")
                self._finish(db, room, script, finish="submitted", reason="submitted by learner", at=now,
                             actor=Actor.candidate(script.candidate_number), now=now)
                self._maybe_auto_end(db, room, now)
            answered = script_store.answered_count(db, script_id)
            return SubmissionReceipt(
                script_id=script_id, state=_FINISH_STATE[script.row["finish"]],
                submitted_at=parse_instant(script.row["submitted_at"]), reason=script.row["submitted_reason"],
                questions_answered=answered, already_submitted=already)

        outcome = run_write(self.db, work)
        if isinstance(outcome, SaveRefused):
            raise outcome
        return outcome

    # -- helpers ------------------------------------------------------------------------------
    def _refusal(self, db: Database, room: _Room, script: _Script, now: datetime, doing: str,
                 question_id: str, text: str | None) -> SaveRefused | None:
        """Why this learner change cannot be made now (None if it can). Sweeps first."""
        if room.paper.paper.question(question_id) is None:
            return SaveRefused(f"There is no question {question_id} on this paper; nothing was {doing}.",
                               "unknown question")
        self._sweep(db, room, now)
        if script.final:
            return self._refuse(db, room, script, now, _FINISH_STATE[script.row["finish"]].value, question_id,
                                text, self._finished_message(script) + f" This change was not {doing}.")
        if script.started_at is None:
            return self._refuse(db, room, script, now, "not started", question_id, text,
                                "The assessment has not started yet: wait for the invigilator. "
                                f"This change was not {doing}.")
        return self._moved_refusal(db, room, script, now, question_id, text)

    def _moved_refusal(self, db: Database, room: _Room, script: _Script, now: datetime, question_id: str | None,
                       text: str | None) -> SaveRefused | None:
        """Refused (and recorded, naming both terminals) when another terminal holds the script."""
        holder = store.lease_terminal(db, script.id)
        if holder is None or holder == self.terminal.label:
            return None
        return self._refuse(db, room, script, now, "moved to another terminal", question_id or "-", text,
                            self._moved_message(holder), terminal=self.terminal.label, holder=holder)

    def _refuse(self, db: Database, room: _Room, script: _Script, now: datetime, reason: str, question_id: str,
                text: str | None, message: str, *, terminal: str | None = None,
                holder: str | None = None) -> SaveRefused:
        # Recorded for appeals: what was attempted, and why it was refused (not the text itself).
        details: dict[str, Any] = {"question": question_id, "reason": reason,
                                   "terminal": terminal or self.terminal.label}
        if holder is not None:
            details["terminal holding the script"] = holder
        if text is not None:
            details.update(characters=len(text), sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
        record(db, at=now, actor=Actor.candidate(script.candidate_number), action="change refused",
               sitting_id=room.sitting["id"], script_id=script.id, candidate_number=script.candidate_number,
               details=details)
        return SaveRefused(message, reason)

    @staticmethod
    def _finished_message(script: _Script) -> str:
        at = _clock_text(parse_instant(script.row["submitted_at"]))
        finish = script.row["finish"]
        if finish == "time up":
            return f"Time is up: your answers were submitted at {at}."
        if finish == "submitted":
            return f"Your script was submitted at {at} and can no longer be changed."
        if finish == "absent":
            return "The invigilator has closed this assessment for you."
        return f"The invigilator ended your assessment at {at}; your answers were submitted."

    def _learner_time(self, room: _Room, script: _Script, now: datetime) -> LearnerTime:
        time = room.time(script, now)
        return LearnerTime(
            state=room.state_of(script, time),
            allowed_seconds=int(time.allowed.total_seconds()),
            used_seconds=int(time.used.total_seconds()),
            left_seconds=int(time.remaining.total_seconds()),
            paused=time.is_paused,
            expires_at=time.expires_at,
            submitted_at=parse_instant(script.row["submitted_at"]),
            submitted_reason=script.row["submitted_reason"],
        )
