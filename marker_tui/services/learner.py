"""The learner's terminal: log in (and resume), save an answer, flag a question, remember where
they were, submit, and close the terminal with the sitting's exit code.

Rules worth knowing (each is tested):

* Saves while the room or the candidate is paused are accepted, so typing in flight when the
  invigilator pauses is not lost (the screen stops input); saves before the candidate's clock has
  started, after submission, or after time is up are refused with a reason and change nothing.
* Saving the same text again is not a new version (autosave is cheap).
* Each save thins the answer's older versions by the retention rule of
  ``domain/answer_history.py``, in the same transaction; the current text is never among them.
* Text is stored exactly, with one exception that Unicode itself forces: lone surrogate code
  points (not valid text, cannot be UTF-8) become U+FFFD, and the receipt says how many.

Admission (issue 13): the sitting code, the candidate number *and* the keycode on the learner's
admission slip. Nothing about a candidate (name, script number, arrangements, whether the number
exists) is returned before the keycode matches; wrong tries are counted per terminal
(``services/admission.py``). A script is held by one terminal at a time (a lease the terminal
renews); every learner change is refused from a terminal that no longer holds it.

This module is all a learner's process loads of the sitting code: not the invigilator's side.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from marker_tui.domain import admission as rules
from marker_tui.domain.clock import Clock
from marker_tui.domain.events.incidents import LearnerTerminalClosed
from marker_tui.domain.events.sitting import (
    AdmissionRefused as AdmissionRefusedEvent,
    AnswerSaved,
    CandidateLoggedIn,
    CandidateLoggedInAgain,
    ChangeRefused,
    ExitCodeRefused,
    FlagCleared,
    LateStart,
    QuestionFlagged,
    SecondLoginRefused,
)
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.arrangements import offers_high_contrast, offers_larger_text
from marker_tui.domain.rest_breaks import allows_rest_breaks
from marker_tui.domain.sitting_states import (
    FINISH_STATE,
    ScriptChange,
    ScriptState,
    SittingChange,
    SittingState,
)
from marker_tui.services.admission import try_code
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.room import (
    NoSuchSitting,
    Room,
    RoomScript,
    RoomService,
    SittingError,
    clock_text,
    require_script,
    require_sitting,
)
from marker_tui.services.terminal import Terminal, this_terminal
from marker_tui.services.unchanged import Unchanged, kept
from marker_tui.services.unit_of_work import Writing
from marker_tui.storage import admission as store
from marker_tui.storage import answer_history
from marker_tui.storage import candidates as candidate_store
from marker_tui.storage import rest_breaks as rest_break_store
from marker_tui.storage import scripts as script_store
from marker_tui.storage import sittings as sitting_store
from marker_tui.storage.database import Database, now_text, read_transaction
from marker_tui.storage.sittings import Sitting

__all__ = ["LearnerService", "NoSuchSitting", "SittingError"]

_SURROGATE = re.compile("[\ud800-\udfff]")


# --- what the learner's screen is given ---------------------------------------------------------


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
    rest_break_asked: bool = False
    """The learner asked for a rest break and the invigilator has not answered yet."""
    rest_break_since: datetime | None = None
    """On a supervised rest break since then: the paper is hidden and the clock stopped."""


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
    rest_breaks: bool = False
    """The learner has the rest-break arrangement: their terminal offers to ask for one."""
    offer_high_contrast: bool = False
    """The script's arrangements include a coloured overlay / high contrast: offered before the paper starts."""
    offer_larger_text: bool = False
    """The script's arrangements include larger text: offered before the paper starts."""


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


#: How a script finished, in the words the learner's own terminal is given. Never the stored reason:
#: an invigilator's reason for ending or closing ("suspected malpractice") is a staff record (the
#: room's view, the audit log), not for the learner's screen.
_FINISHED_FOR_LEARNER = {
    "time up": "time up",
    "submitted": "submitted by learner",
    "ended": "ended by the invigilator",
    "absent": "closed by the invigilator",
}


def _learner_reason(finish: str | None) -> str | None:
    return None if finish is None else _FINISHED_FOR_LEARNER.get(finish, "finished")


def _storable(text: str) -> tuple[str, int]:
    replaced = len(_SURROGATE.findall(text))
    return (_SURROGATE.sub("\ufffd", text), replaced) if replaced else (text, 0)


def _clean_number(candidate_number: str) -> str:
    number = str(candidate_number or "").strip().upper()
    if not number:
        raise SittingError("Type your candidate number.")
    return number


class LearnerService(RoomService):
    """What a learner's terminal calls. ``script_id`` comes from :meth:`login`."""

    def __init__(self, db: Database, clock: Clock | None = None, terminal: Terminal | None = None) -> None:
        super().__init__(db, clock)
        self.terminal = terminal or this_terminal()

    def _terminal_actor(self) -> Actor:
        return Actor(label=f"terminal {self.terminal.label}")

    # -- admission -------------------------------------------------------------------------------
    def _admit(self, tx: Writing, code: str, number: str, keycode: str | None) -> tuple[Sitting, int] | SittingError:
        """The script the keycode admits to, or the refusal (recorded). Call inside a write."""
        db, now = tx.db, tx.now
        sitting = self._sitting_row(db, code)
        if sitting.state == SittingState.SCHEDULED:
            return SittingNotOpen(sitting.code)
        me = self.terminal
        found = sitting_store.script_id_by_candidate_number(db, sitting.id, number)
        typed = rules.normalise_keycode(keycode)

        def matches() -> bool:
            stored = store.keycode_of(db, found) if found is not None else None
            if stored is None:
                rules.hash_keycode(typed, b"\0" * 16)  # the same time as a real check: timing reveals nobody
                return False
            return bool(typed) and rules.keycode_matches(typed, stored.keycode_hash, stored.keycode_salt)

        attempt = try_code(db, me, "keycode", sitting_id=sitting.id, now=now, tries=rules.KEYCODE_TRIES,
                           lock_for=rules.KEYCODE_LOCK, check=matches)
        if attempt.admitted:
            return sitting, found
        if attempt.already_locked_until is not None:
            tx.record(AdmissionRefusedEvent(sitting_id=sitting.id, terminal=me.label, candidate_number_typed=number,
                                            reason="terminal locked after wrong keycodes",
                                            locked_until=now_text(attempt.already_locked_until)))
            return AdmissionRefused(
                f"Too many wrong keycodes on this terminal: it is locked until "
                f"{clock_text(attempt.already_locked_until)}. Ask the invigilator to check your admission slip.")
        why = ("no keycode typed" if not typed else "wrong keycode") if found is not None else "candidate number not enrolled"
        locked_until = attempt.locked_until
        tx.record(AdmissionRefusedEvent(
            sitting_id=sitting.id, script_id=found, candidate_number=number if found is not None else None,
            terminal=me.label, candidate_number_typed=number, reason=why, wrong_tries=attempt.failures,
            terminal_locked_until=now_text(locked_until) if locked_until else None))
        # One message whatever was wrong: it must not tell a stranger which numbers exist.
        message = ("That candidate number and keycode do not match this sitting. Check both on your "
                   "admission slip, or ask the invigilator.")
        if locked_until:
            message += f" This terminal is now locked until {clock_text(locked_until)}."
        return AdmissionRefused(message)

    def sitting_state(self, code: str) -> SittingState:
        """Only the sitting's state (scheduled, open, running, ended), for a learner waiting to log in.

        Says nothing about any candidate, so it needs no keycode; raises NoSuchSitting for an unknown code.
        """
        with read_transaction(self.db):
            return self._sitting_row(self.db, code).state

    def identify(self, code: str, candidate_number: str, keycode: str | None = None) -> LearnerIdentity:
        """Whose script the keycode admits to, for the learner's "Is this you?"; nothing is logged in yet.

        Raises AdmissionRefused (wrong number or keycode: counted for this terminal, and recorded)
        or SittingError as :meth:`login` would. Only this learner's own name comes back.
        """
        number = _clean_number(candidate_number)

        def work(tx: Writing) -> LearnerIdentity | SittingError:
            admitted = self._admit(tx, code, number, keycode)
            if isinstance(admitted, SittingError):
                return kept(tx, admitted)
            sitting, script_id = admitted
            room = self._room(tx.db, sitting, script_id)
            try:
                script = self._may_log_in(room, number)
            except SittingError as error:
                return kept(tx, error)
            # Only an answer: a right keycode's cleared count is written when they log in.
            raise Unchanged(LearnerIdentity(sitting_code=sitting.code, candidate_number=script.candidate_number,
                                             candidate_name=script.name))

        outcome = self._write(work, by=self._terminal_actor(), needs=None, what="checking your admission")
        if isinstance(outcome, SittingError):
            raise outcome
        return outcome

    def _may_log_in(self, room: Room, number: str) -> RoomScript:
        """The candidate's script, if they may log in; otherwise SittingError saying why not.

        (Read without a sweep, a time that ran out a moment ago is not final yet: login() then says so.)
        """
        sitting = room.sitting
        script = next((s for s in room.scripts if s.candidate_number.upper() == number), None)
        if script is None:
            raise SittingError(
                f"Candidate number {number} is not on the list for sitting {sitting.code}. "
                "Check both numbers, or ask the invigilator.")
        if script.final:
            raise SittingError(self._finished_message(script))
        if sitting.state == SittingState.SCHEDULED:
            raise SittingNotOpen(sitting.code)
        require_sitting(SittingChange.LOG_IN, sitting)
        return script

    def login(self, code: str, candidate_number: str, keycode: str | None = None) -> LearnerSession:
        """Log a learner in (or back in, after a crash) and return everything to resume exactly.

        Needs the keycode. Takes the script's lease for this terminal; if another terminal's lease
        is live, raises ScriptInUse and leaves a takeover request for the invigilator (calling again
        after they approve logs in). Only this script's rows are read: nobody else's pass through here.
        """
        number = _clean_number(candidate_number)
        me = self.terminal.label

        def work(tx: Writing) -> int | SittingError:
            db, now = tx.db, tx.now
            admitted = self._admit(tx, code, number, keycode)
            if isinstance(admitted, SittingError):
                return kept(tx, admitted)
            sitting, script_id = admitted
            room = self._room(db, sitting, script_id)
            self._sweep(tx, room)
            sitting = room.sitting
            try:
                script = self._may_log_in(room, number)
            except SittingError as error:
                return kept(tx, error)
            actor = Actor.candidate(script.candidate_number)
            where = {"sitting_id": sitting.id, "script_id": script.id, "candidate_number": script.candidate_number}
            lease = store.lease_of(db, script.id)
            if lease is not None and lease.terminal != me and lease.live(now):
                pending = store.request_of(db, script.id)
                in_use = ScriptInUse(
                    "Your script is open on another terminal. If you have moved desk or your terminal "
                    "stopped working, tell the invigilator: once they approve the move on their screen, "
                    "your paper opens here by itself with your saved answers.", lease.terminal)
                if pending is None or pending.terminal != me:
                    store.put_request(db, script.id, me, now)
                    tx.record(SecondLoginRefused(**where, terminal=me, live_terminal=lease.terminal), by=actor)
                    return kept(tx, in_use)
                store.still_asked(db, script.id, now)  # asking again: still there (upkeep, not audited)
                return in_use
            require_script(ScriptChange.LOG_IN, room.own_state(script), script)
            store.put_lease(db, script.id, me, now, now + rules.lease_expiry_seconds())
            pending = store.request_of(db, script.id)
            if pending is not None and pending.terminal == me:
                store.drop_request(db, script.id)
            first = script.record.logged_in_at is None
            script_store.set_logged_in(db, script.id, now_text(now))
            previous = {}
            if lease is not None and lease.terminal != me:
                previous = {"previous_terminal": lease.terminal,
                            "previous_lease": ("moved here by the invigilator" if pending is None
                                               else f"lapsed at {now_text(lease.expires_at)}")}
            fields = dict(where, sitting_state=sitting.state.value, terminal=me, **previous)
            tx.record(CandidateLoggedIn(**fields) if first else CandidateLoggedInAgain(**fields), by=actor)
            if sitting.state == SittingState.RUNNING and script.started_at is None:
                # A late starter gets their full allowance from their own start.
                script_store.set_started(db, script.id, now_text(now))
                allowed = room.time(script, now).allowed
                tx.record(LateStart(**where, started_at=now_text(now), room_started_at=now_text(sitting.started_at),
                                    late_by_seconds=int((now - sitting.started_at).total_seconds()),
                                    allowed_seconds=int(allowed.total_seconds())), by=actor)
            return script.id

        outcome = self._write(work, by=self._terminal_actor(), needs=None, what="logging in",
                              housekeeping="a terminal still asking for its script")
        if isinstance(outcome, SittingError):
            raise outcome
        return self.session(outcome, resumed=None)

    def heartbeat(self, script_id: int) -> None:
        """Renew this terminal's lease; SaveRefused("moved") once another terminal holds the script.

        Lease upkeep is not a change to the script and is not audited: the unit of work's named
        housekeeping (safe to repeat, so run again if it meets a lock).
        """
        now = self.clock.now()
        me = self.terminal.label

        def work(tx: Writing) -> SaveRefused | None:
            db = tx.db
            if store.renew_lease(db, script_id, me, now, now + rules.lease_expiry_seconds()):
                return None
            holder = store.lease_terminal(db, script_id)
            if holder is None:  # nobody holds it (e.g. made before leases): this terminal takes it
                store.put_lease(db, script_id, me, now, now + rules.lease_expiry_seconds())
                return None
            return SaveRefused(self._moved_message(holder), "moved")

        outcome = self.uow.run(work, by=self._terminal_actor(), needs=None, what="keeping your terminal connected",
                               housekeeping="a terminal's lease renewed")
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
        me = self.terminal
        typed = "".join(ch for ch in (exit_code or "") if not ch.isspace())

        def work(tx: Writing) -> ExitRefused | None:
            db, now = tx.db, tx.now
            sitting = self._sitting_row(db, code)
            script_id = None
            if candidate_number:
                script_id = sitting_store.script_id_by_candidate_number(db, sitting.id, candidate_number)
            where = {"sitting_id": sitting.id, "script_id": script_id,
                     "candidate_number": candidate_number if script_id else None}
            expected = store.exit_code_of(db, sitting.id) or ""
            attempt = try_code(db, me, "exit code", sitting_id=sitting.id, now=now, tries=rules.EXIT_TRIES,
                               lock_for=rules.EXIT_LOCK,
                               check=lambda: bool(expected) and hmac.compare_digest(typed.encode(), expected.encode()))
            if attempt.already_locked_until is not None:
                tx.record(ExitCodeRefused(**where, terminal=me.label, reason="exit dialog locked",
                                          locked_until=now_text(attempt.already_locked_until)))
                return ExitRefused(self._exit_locked_message(attempt.already_locked_until),
                                   attempt.already_locked_until)
            if attempt.admitted:
                tx.record(LearnerTerminalClosed(**where, terminal=me.label, with_="the sitting's exit code",
                                                screen=state))
                return None
            locked_until = attempt.locked_until
            tx.record(ExitCodeRefused(**where, terminal=me.label, reason="wrong exit code",
                                      wrong_tries=attempt.failures,
                                      exit_dialog_locked_until=now_text(locked_until) if locked_until else None))
            if locked_until:
                return ExitRefused(self._exit_locked_message(locked_until), locked_until)
            return ExitRefused("That is not this sitting's exit code.")

        outcome = self._write(work, by=self._terminal_actor(), needs=None, what="checking the exit code")
        if outcome is not None:
            raise outcome

    @staticmethod
    def _exit_locked_message(until: datetime | None) -> str:
        return (f"Too many wrong exit codes: this terminal's exit is locked until {clock_text(until)}. "
                "The invigilator's room view shows it.")

    # -- the script --------------------------------------------------------------------------------
    def session(self, script_id: int, *, resumed: bool | None = None) -> LearnerSession:
        """The script as it stands: answers, flags, current question, time."""
        room, now = self._fresh_room(script_id=script_id)
        with read_transaction(self.db):
            script = room.scripts[0]
            answers = script_store.answers_of_script(self.db, script_id)
            flags = script_store.flags_of(self.db, script_id)
            time = self._with_break(self._learner_time(room, script, now), script_id)
            in_force = candidate_store.script_arrangements(self.db, script_id)  # this sitting's own copy
        order = {q.id: i for i, q in enumerate(room.paper.paper.questions)}
        flags.sort(key=lambda q: order.get(q, len(order)))
        current = script.record.current_question
        return LearnerSession(
            script_id=script_id, sitting_code=room.sitting.code, sitting_state=room.sitting.state,
            candidate_number=script.candidate_number, candidate_name=script.name,
            script_number=script.record.script_number, paper=room.paper.paper,
            answers={q: a.text for q, a in answers.items()},
            versions={q: a.version for q, a in answers.items()},
            flags=flags, current_question=current,
            time=time,
            resumed=bool(answers or current) if resumed is None else resumed,
            terminal=self.terminal.label,
            rest_breaks=allows_rest_breaks(in_force),
            offer_high_contrast=offers_high_contrast(in_force), offer_larger_text=offers_larger_text(in_force),
        )

    def time_left(self, script_id: int, *, sweep: bool = True) -> LearnerTime:
        """For the clock on the learner's screen; also submits the script once time is up.

        With ``sweep=False`` it only reads (a snapshot never waits for writers, so the screen's
        clock can ask on the UI thread): a time that has run out is shown as the submission the
        sweep will record, at the instant it ran out; the caller has the sweep done off the UI thread.
        """
        if sweep:
            room, now = self._fresh_room(script_id=script_id)
        with read_transaction(self.db):  # one snapshot: every learner's screen asks this every second
            if not sweep:
                now = self.clock.now()
                room, _ = self._script_room(self.db, script_id)
            holder = store.lease_terminal(self.db, script_id)
            time = self._with_break(self._learner_time(room, room.scripts[0], now), script_id)
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

        def write(tx: Writing, room: Room, script: RoomScript, current_version: int) -> SaveReceipt:
            db = tx.db
            version = current_version + 1
            script_store.put_answer(db, script_id, question_id, text, version, now_text(now))
            answer_history.append(db, script_id, question_id, version, text, now)
            thinned = answer_history.thin(db, script_id, question_id, now)  # same transaction as the save
            # A save shows the terminal is alive as well as a heartbeat does: the lease is renewed with it
            # (only if this terminal holds it), so a learner who is typing needs no separate heartbeats.
            store.renew_lease(db, script_id, self.terminal.label, now, now + rules.lease_expiry_seconds())
            paused = room.time(script, now).is_paused
            tx.record(AnswerSaved(sitting_id=room.sitting.id, script_id=script_id,
                                  candidate_number=script.candidate_number, question=question_id, version=version,
                                  characters=len(text), sha256=digest, while_paused=True if paused else None,
                                  invalid_characters_replaced=replaced or None,
                                  older_versions_thinned=thinned or None))
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
        if plain and current is not None and current.text == text:
            return SaveReceipt(script_id=script_id, question_id=question_id, version=current.version, saved_at=now,
                               characters=len(text), unchanged=True, replaced_invalid_characters=replaced)
        candidate = Actor.candidate(script.candidate_number)
        if plain:
            def fast(tx: Writing) -> SaveReceipt | None:
                if self._fingerprint(tx.db, script_id, question_id) != seen:
                    raise Unchanged(None)  # something changed meanwhile: take the careful path
                return write(tx, room, script, current.version if current else 0)

            receipt = self._write(fast, by=candidate, needs=None, what="saving your answer", at=now)
            if receipt is not None:
                return receipt

        # 2. The careful path: everything under the write lock (refusals, sweeps, races).
        def work(tx: Writing) -> SaveReceipt | SaveRefused:
            room, script = self._script_room(tx.db, script_id)
            refusal = self._refusal(tx, room, script, "saved", question_id, text)
            if refusal is not None:
                return kept(tx, refusal)
            limit = room.paper.paper.answer_limit(question_id)
            if len(text) > limit:
                return self._refuse(tx, room, script, "too long", question_id, text,
                                    f"This answer is too long to save ({len(text):,} characters; the limit is "
                                    f"{limit:,}). Your last saved answer is kept.")
            current = script_store.answer_of(tx.db, script_id, question_id)
            if current is not None and current.text == text:
                return kept(tx, SaveReceipt(script_id=script_id, question_id=question_id, version=current.version,
                                             saved_at=now, characters=len(text), unchanged=True,
                                             replaced_invalid_characters=replaced))
            return write(tx, room, script, current.version if current else 0)

        outcome = self._write(work, by=candidate, needs=None, what="saving your answer", at=now)
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

        def work(tx: Writing) -> SaveRefused | None:
            room, script = self._script_room(tx.db, script_id)
            refusal = self._refusal(tx, room, script, "flagged", question_id, None)
            if refusal is not None:
                return kept(tx, refusal)
            if script_store.set_flag(tx.db, script_id, question_id, flagged, now_text(tx.now)):
                fields = dict(sitting_id=room.sitting.id, script_id=script_id,
                              candidate_number=script.candidate_number, question=question_id)
                tx.record(QuestionFlagged(**fields) if flagged else FlagCleared(**fields),
                          by=Actor.candidate(script.candidate_number))
            return kept(tx, None)

        outcome = self._write(work, by=self._terminal_actor(), needs=None, what="saving your flag")
        if isinstance(outcome, SaveRefused):
            raise outcome

    def set_current_question(self, script_id: int, question_id: str) -> None:
        """Remember where the learner is, so a resumed session lands on the same question.

        Not audited: it is navigation, not a change to the script (the unit of work's named
        housekeeping; the sweep before it is an audited write, in its own transaction).
        """
        question_id = str(question_id)
        room, now = self._fresh_room(script_id=script_id)
        if room.paper.paper.question(question_id) is None:
            raise SaveRefused(f"There is no question {question_id} on this paper.", "unknown question")

        def work(tx: Writing) -> SaveRefused | None:
            db = tx.db
            room, script = self._script_room(db, script_id)
            if script.final:
                return SaveRefused(self._finished_message(script), FINISH_STATE[script.record.finish].value)
            holder = store.lease_terminal(db, script_id)
            if holder is not None and holder != self.terminal.label:
                return SaveRefused(self._moved_message(holder), "moved to another terminal")
            script_store.set_current_question(db, script_id, question_id)
            return None

        outcome = self.uow.run(work, by=self._terminal_actor(), needs=None, what="saving",
                               housekeeping="where the learner is in the paper")
        if isinstance(outcome, SaveRefused):
            raise outcome

    def submit(self, script_id: int) -> SubmissionReceipt:
        """The learner hands in their script. Pressing it twice is harmless."""

        def work(tx: Writing) -> SubmissionReceipt | SaveRefused:
            room, script = self._script_room(tx.db, script_id)
            self._sweep(tx, room)
            already = script.final
            if not already:
                moved = self._moved_refusal(tx, room, script, None, None)
                if moved is not None:
                    return moved
                if room.own_state(script) not in (ScriptState.WRITING, ScriptState.PAUSED):
                    return kept(tx, SaveRefused("The assessment has not started yet, so there is nothing to "
                                                 "submit.", "not started"))
                require_script(ScriptChange.SUBMIT, room.own_state(script), script)
                self._finish(tx, room, script, finish="submitted", reason="submitted by learner", at=tx.now,
                             actor=Actor.candidate(script.candidate_number))
                self._maybe_auto_end(tx, room)
            answered = script_store.answered_count(tx.db, script_id)
            return kept(tx, SubmissionReceipt(
                script_id=script_id, state=FINISH_STATE[script.record.finish],
                submitted_at=script.record.submitted_at, reason=_learner_reason(script.record.finish),
                questions_answered=answered, already_submitted=already))

        outcome = self._write(work, by=self._terminal_actor(), needs=None, what="handing in your script")
        if isinstance(outcome, SaveRefused):
            raise outcome
        return outcome

    # -- helpers ------------------------------------------------------------------------------
    def _refusal(self, tx: Writing, room: Room, script: RoomScript, doing: str,
                 question_id: str, text: str | None) -> SaveRefused | None:
        """Why this learner change cannot be made now (None if it can). Sweeps first."""
        if room.paper.paper.question(question_id) is None:
            return SaveRefused(f"There is no question {question_id} on this paper; nothing was {doing}.",
                               "unknown question")
        self._sweep(tx, room)
        state = room.own_state(script)
        if state.is_final:
            return self._refuse(tx, room, script, state.value, question_id,
                                text, self._finished_message(script) + f" This change was not {doing}.")
        if state not in (ScriptState.WRITING, ScriptState.PAUSED):
            return self._refuse(tx, room, script, "not started", question_id, text,
                                "The assessment has not started yet: wait for the invigilator. "
                                f"This change was not {doing}.")
        return self._moved_refusal(tx, room, script, question_id, text)

    def _moved_refusal(self, tx: Writing, room: Room, script: RoomScript, question_id: str | None,
                       text: str | None) -> SaveRefused | None:
        """Refused (and recorded, naming both terminals) when another terminal holds the script."""
        holder = store.lease_terminal(tx.db, script.id)
        if holder is None or holder == self.terminal.label:
            return None
        return self._refuse(tx, room, script, "moved to another terminal", question_id or "-", text,
                            self._moved_message(holder), holder=holder)

    def _refuse(self, tx: Writing, room: Room, script: RoomScript, reason: str, question_id: str,
                text: str | None, message: str, *, holder: str | None = None) -> SaveRefused:
        # Recorded for appeals: what was attempted, and why it was refused (not the text itself).
        extra: dict[str, Any] = {}
        if text is not None:
            extra = {"characters": len(text), "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
        tx.record(ChangeRefused(sitting_id=room.sitting.id, script_id=script.id,
                                candidate_number=script.candidate_number, question=question_id, reason=reason,
                                terminal=self.terminal.label, holder=holder, **extra),
                  by=Actor.candidate(script.candidate_number))
        return SaveRefused(message, reason)

    @staticmethod
    def _finished_message(script: RoomScript) -> str:
        at = clock_text(script.record.submitted_at)
        finish = script.record.finish
        if finish == "time up":
            return f"Time is up: your answers were submitted at {at}."
        if finish == "submitted":
            return f"Your script was submitted at {at} and can no longer be changed."
        if finish == "absent":
            return "The invigilator has closed this assessment for you."
        return f"The invigilator ended your assessment at {at}; your answers were submitted."

    def _with_break(self, time: LearnerTime, script_id: int) -> LearnerTime:
        """Add the learner's rest break asked for or under way (inside a read transaction)."""
        held = rest_break_store.open_break(self.db, script_id)
        if held is not None:
            time.rest_break_asked = held.asked
            time.rest_break_since = held.started_at if held.on_break else None
        return time

    def _learner_time(self, room: Room, script: RoomScript, now: datetime) -> LearnerTime:
        time = room.time(script, now)
        submitted_at, reason = script.record.submitted_at, _learner_reason(script.record.finish)
        if not script.final and time.is_time_up:  # not swept yet: what the sweep will store
            submitted_at = time.expires_at if time.expires_at is not None and time.expires_at <= now else now
            reason = "time up"
        return LearnerTime(
            state=room.state_of(script, time),
            allowed_seconds=int(time.allowed.total_seconds()),
            used_seconds=int(time.used.total_seconds()),
            left_seconds=int(time.remaining.total_seconds()),
            paused=time.is_paused,
            expires_at=time.expires_at,
            submitted_at=submitted_at,
            submitted_reason=reason,
        )
