"""The states a sitting and a candidate's script go through, and which changes each allows.

One table per machine says, for every change an invigilator or learner can ask for, the
states it may start from and the state it leads to. :func:`sitting_after` and
:func:`script_after` are the one place a bad change is refused, with a message that says
what is wrong and what to do instead; services call them before they write anything.

A room pause is not a sitting state: a paused room is still running (its candidates' clocks
stop, see ``timing.py``). A candidate's own pause is a script state.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from marker_tui.domain.local_time import local_time


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
        return self in FINAL_SCRIPT_STATES


FINAL_SCRIPT_STATES = frozenset({ScriptState.SUBMITTED, ScriptState.TIME_UP, ScriptState.ENDED, ScriptState.ABSENT})

#: The stored ``scripts.finish`` word for each final state.
FINISH_STATE = {
    "submitted": ScriptState.SUBMITTED,
    "time up": ScriptState.TIME_UP,
    "ended": ScriptState.ENDED,
    "absent": ScriptState.ABSENT,
}


class SittingChange(StrEnum):
    OPEN = "open"
    START = "start"
    START_CANDIDATE = "start one candidate"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    EVERY_SCRIPT_FINISHED = "every script finished"
    ENROL = "enrol"
    ISSUE_KEYCODES = "issue keycodes"
    LOG_IN = "log in"


class ScriptChange(StrEnum):
    LOG_IN = "log in"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    END = "end"
    END_NOT_STARTED = "end before it started"
    TIME_RUNS_OUT = "time runs out"
    SUBMIT = "submit"
    SAVE = "save"
    MOVE_TERMINAL = "move terminal"


class TransitionRefused(ValueError):
    """A change the state does not allow; the message says why, in the invigilator's words."""


_S = SittingState
_SITTING: dict[SittingChange, dict[SittingState, SittingState]] = {
    SittingChange.OPEN: {_S.SCHEDULED: _S.OPEN},
    SittingChange.START: {_S.OPEN: _S.RUNNING},
    SittingChange.START_CANDIDATE: {_S.OPEN: _S.OPEN, _S.RUNNING: _S.RUNNING},
    SittingChange.PAUSE: {_S.RUNNING: _S.RUNNING},
    SittingChange.RESUME: {_S.RUNNING: _S.RUNNING},
    SittingChange.END: {_S.SCHEDULED: _S.ENDED, _S.OPEN: _S.ENDED, _S.RUNNING: _S.ENDED},
    SittingChange.EVERY_SCRIPT_FINISHED: {_S.RUNNING: _S.ENDED},
    SittingChange.ENROL: {_S.SCHEDULED: _S.SCHEDULED, _S.OPEN: _S.OPEN, _S.RUNNING: _S.RUNNING},
    SittingChange.ISSUE_KEYCODES: {_S.SCHEDULED: _S.SCHEDULED, _S.OPEN: _S.OPEN, _S.RUNNING: _S.RUNNING},
    SittingChange.LOG_IN: {_S.OPEN: _S.OPEN, _S.RUNNING: _S.RUNNING},
}

_C = ScriptState
_LIVE = (_C.WRITING, _C.PAUSED)
_NOT_FINAL = (_C.NOT_LOGGED_IN, _C.READING, _C.WRITING, _C.PAUSED)
_SCRIPT: dict[ScriptChange, dict[ScriptState, ScriptState]] = {
    # Logging in again (after a crash) keeps the state; a late starter's clock starts with START.
    ScriptChange.LOG_IN: {_C.NOT_LOGGED_IN: _C.READING, _C.READING: _C.READING, _C.WRITING: _C.WRITING,
                          _C.PAUSED: _C.PAUSED},
    ScriptChange.START: {_C.READING: _C.WRITING},
    ScriptChange.PAUSE: {_C.WRITING: _C.PAUSED},
    ScriptChange.RESUME: {_C.PAUSED: _C.WRITING},
    ScriptChange.EXTEND: {s: s for s in _NOT_FINAL},
    ScriptChange.END: {_C.WRITING: _C.ENDED, _C.PAUSED: _C.ENDED},
    ScriptChange.END_NOT_STARTED: {_C.NOT_LOGGED_IN: _C.ABSENT, _C.READING: _C.ABSENT},
    ScriptChange.TIME_RUNS_OUT: {_C.WRITING: _C.TIME_UP, _C.PAUSED: _C.TIME_UP},
    ScriptChange.SUBMIT: {_C.WRITING: _C.SUBMITTED, _C.PAUSED: _C.SUBMITTED},
    # Saves while paused are kept: typing in flight when the invigilator pauses is not lost.
    ScriptChange.SAVE: {_C.WRITING: _C.WRITING, _C.PAUSED: _C.PAUSED},
    ScriptChange.MOVE_TERMINAL: {s: s for s in _NOT_FINAL},
}


def sitting_changes() -> dict[SittingChange, dict[SittingState, SittingState]]:
    """The sitting's table (a copy): change -> {from state: to state}."""
    return {c: dict(m) for c, m in _SITTING.items()}


def script_changes() -> dict[ScriptChange, dict[ScriptState, ScriptState]]:
    """The script's table (a copy): change -> {from state: to state}."""
    return {c: dict(m) for c, m in _SCRIPT.items()}


def _clock(instant: datetime | None) -> str:
    return local_time(instant)


def sitting_after(change: SittingChange, state: SittingState | str, *, code: str,
                  started_at: datetime | None = None, ended_at: datetime | None = None) -> SittingState:
    """The sitting's state after ``change``; TransitionRefused (saying why) if ``state`` does not allow it."""
    state = SittingState(state)
    allowed = _SITTING[change]
    if state in allowed:
        return allowed[state]
    raise TransitionRefused(_sitting_refusal(change, state, code, started_at, ended_at))


def _sitting_refusal(change: SittingChange, state: SittingState, code: str,
                     started_at: datetime | None, ended_at: datetime | None) -> str:
    C = SittingChange
    if change is C.OPEN:
        return f"Sitting {code} is already {state}; only a scheduled sitting can be opened."
    if change in (C.START, C.START_CANDIDATE) and state is _S.ENDED:
        return f"Sitting {code} ended at {_clock(ended_at)}; an ended sitting cannot be started again."
    if change is C.START and state is _S.RUNNING:
        return f"Sitting {code} has been running since {_clock(started_at)}."
    if change is C.START:
        return (f"Open sitting {code} first (marker-tui sitting open {code} --by NAME) so candidates can "
                "log in and read the instructions; then start it.")
    if change is C.START_CANDIDATE:
        return f"Open sitting {code} first, so the candidate can log in."
    if change is C.PAUSE:
        return f"Sitting {code} is {state}; only a running sitting can be paused."
    if change is C.RESUME:
        return f"Sitting {code} is {state}; nothing to resume."
    if change is C.END:
        return f"Sitting {code} already ended at {_clock(ended_at)}."
    if change is C.EVERY_SCRIPT_FINISHED:
        return f"Sitting {code} is {state}; only a running sitting ends when every script is finished."
    if change is C.ENROL:
        return f"Sitting {code} has ended; nobody can be enrolled in it."
    if change is C.ISSUE_KEYCODES:
        return f"Sitting {code} has ended; there is nobody left to admit."
    if state is _S.SCHEDULED:  # LOG_IN
        return f"Sitting {code} is not open yet: wait for the invigilator."
    return f"Sitting {code} has ended."


def script_after(change: ScriptChange, state: ScriptState | str, *, number: str, reason: str | None = None,
                 submitted_at: datetime | None = None, started_at: datetime | None = None) -> ScriptState:
    """The script's state after ``change``; TransitionRefused (saying why) if ``state`` does not allow it.

    ``number`` is the candidate number; ``reason`` the stored reason a final script finished.
    """
    state = ScriptState(state)
    allowed = _SCRIPT[change]
    if state in allowed:
        return allowed[state]
    raise TransitionRefused(_script_refusal(change, state, number, reason, submitted_at, started_at))


def _script_refusal(change: ScriptChange, state: ScriptState, number: str, reason: str | None,
                    submitted_at: datetime | None, started_at: datetime | None) -> str:
    C = ScriptChange
    who = f"Candidate {number}"
    if state.is_final:
        if change is C.START:
            return f"{who}'s script is already finished ({reason})."
        if change is C.PAUSE:
            return f"{who}'s script is finished ({reason}); it cannot be paused."
        if change is C.EXTEND:
            return (f"{who}'s script was already submitted at {_clock(submitted_at)} ({reason}); "
                    "a submitted script cannot be extended. Nothing was changed.")
        if change in (C.END, C.END_NOT_STARTED):
            return f"{who}'s script is already finished ({reason})."
        if change is C.MOVE_TERMINAL:
            return f"{who}'s script is finished ({reason}); it cannot move terminal."
        return f"{who}'s script is finished ({reason})."
    if change is C.START:
        if state is _C.NOT_LOGGED_IN:
            return f"{who} has not logged in yet; their clock starts when they log in."
        return f"{who}'s clock already started at {_clock(started_at)}."
    if change is C.PAUSE:
        if state is _C.PAUSED:
            return f"{who} is already paused."
        return f"{who} has not started yet; they cannot be paused."
    if change is C.RESUME:
        return f"{who} is not paused."
    if change is C.END:
        return f"{who} has not started yet; end them as absent."
    if change is C.END_NOT_STARTED:
        return f"{who} has already started; end their assessment instead."
    # TIME_RUNS_OUT, SUBMIT, SAVE before the clock started
    return "The assessment has not started yet: wait for the invigilator."
