"""The sitting and script state machines (domain/sitting_states.py): every change from every state."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from marker_tui.domain.sitting_states import (
    ScriptChange,
    ScriptState,
    SittingChange,
    SittingState,
    TransitionRefused,
    script_after,
    script_changes,
    sitting_after,
    sitting_changes,
)

S, C = SittingState, ScriptState
AT = datetime(2026, 6, 1, 9, 30, tzinfo=timezone.utc)

# What a centre expects, written out once more by hand: a change of the tables must change this too.
SITTING_ALLOWED = {
    SittingChange.OPEN: {S.SCHEDULED: S.OPEN},
    SittingChange.START: {S.OPEN: S.RUNNING},
    SittingChange.START_CANDIDATE: {S.OPEN: S.OPEN, S.RUNNING: S.RUNNING},
    SittingChange.PAUSE: {S.RUNNING: S.RUNNING},
    SittingChange.RESUME: {S.RUNNING: S.RUNNING},
    SittingChange.END: {S.SCHEDULED: S.ENDED, S.OPEN: S.ENDED, S.RUNNING: S.ENDED},
    SittingChange.EVERY_SCRIPT_FINISHED: {S.RUNNING: S.ENDED},
    SittingChange.ENROL: {S.SCHEDULED: S.SCHEDULED, S.OPEN: S.OPEN, S.RUNNING: S.RUNNING},
    SittingChange.ISSUE_KEYCODES: {S.SCHEDULED: S.SCHEDULED, S.OPEN: S.OPEN, S.RUNNING: S.RUNNING},
    SittingChange.LOG_IN: {S.OPEN: S.OPEN, S.RUNNING: S.RUNNING},
}
_NOT_FINAL = {C.NOT_LOGGED_IN, C.READING, C.WRITING, C.PAUSED}
SCRIPT_ALLOWED = {
    ScriptChange.LOG_IN: {C.NOT_LOGGED_IN: C.READING, C.READING: C.READING, C.WRITING: C.WRITING,
                          C.PAUSED: C.PAUSED},
    ScriptChange.START: {C.READING: C.WRITING},
    ScriptChange.PAUSE: {C.WRITING: C.PAUSED},
    ScriptChange.RESUME: {C.PAUSED: C.WRITING},
    ScriptChange.EXTEND: {s: s for s in _NOT_FINAL},
    ScriptChange.END: {C.WRITING: C.ENDED, C.PAUSED: C.ENDED},
    ScriptChange.END_NOT_STARTED: {C.NOT_LOGGED_IN: C.ABSENT, C.READING: C.ABSENT},
    ScriptChange.TIME_RUNS_OUT: {C.WRITING: C.TIME_UP, C.PAUSED: C.TIME_UP},
    ScriptChange.SUBMIT: {C.WRITING: C.SUBMITTED, C.PAUSED: C.SUBMITTED},
    ScriptChange.SAVE: {C.WRITING: C.WRITING, C.PAUSED: C.PAUSED},
    ScriptChange.MOVE_TERMINAL: {s: s for s in _NOT_FINAL},
}


def test_the_tables_are_the_ones_the_centre_expects():
    assert sitting_changes() == SITTING_ALLOWED
    assert script_changes() == SCRIPT_ALLOWED


@pytest.mark.parametrize("change,state", [(c, s) for c in SittingChange for s in SittingState])
def test_every_sitting_change_from_every_state(change, state):
    allowed = SITTING_ALLOWED[change]
    if state in allowed:
        assert sitting_after(change, state, code="304-K7QM") is allowed[state]
    else:
        with pytest.raises(TransitionRefused) as refused:
            sitting_after(change, state, code="304-K7QM", started_at=AT, ended_at=AT)
        assert "304-K7QM" in str(refused.value)


@pytest.mark.parametrize("change,state", [(c, s) for c in ScriptChange for s in ScriptState])
def test_every_script_change_from_every_state(change, state):
    allowed = SCRIPT_ALLOWED[change]
    if state in allowed:
        assert script_after(change, state, number="1001") is allowed[state]
    else:
        with pytest.raises(TransitionRefused) as refused:
            script_after(change, state, number="1001", reason="time up", submitted_at=AT, started_at=AT)
        message = str(refused.value)
        assert message.endswith(".") and ("1001" in message or "not started" in message)


def test_a_finished_script_can_change_no_more():
    for state in (C.SUBMITTED, C.TIME_UP, C.ENDED, C.ABSENT):
        assert state.is_final
        for change in ScriptChange:
            with pytest.raises(TransitionRefused):
                script_after(change, state, number="1001", reason="submitted by learner")


def test_refusals_say_what_to_do_instead():
    with pytest.raises(TransitionRefused, match=r"Open sitting X-1 first \(marker-tui sitting open X-1 --by NAME\)"):
        sitting_after(SittingChange.START, S.SCHEDULED, code="X-1")
    with pytest.raises(TransitionRefused, match="only a scheduled sitting can be opened"):
        sitting_after(SittingChange.OPEN, S.RUNNING, code="X-1")
    with pytest.raises(TransitionRefused, match="an ended sitting cannot be started again"):
        sitting_after(SittingChange.START, S.ENDED, code="X-1", ended_at=AT)
    with pytest.raises(TransitionRefused, match="nobody can be enrolled"):
        sitting_after(SittingChange.ENROL, S.ENDED, code="X-1")
    with pytest.raises(TransitionRefused, match="has not logged in yet; their clock starts when they log in"):
        script_after(ScriptChange.START, C.NOT_LOGGED_IN, number="1001")
    with pytest.raises(TransitionRefused, match=r"script was already submitted at .* \(time up\); a submitted"):
        script_after(ScriptChange.EXTEND, C.TIME_UP, number="1001", reason="time up", submitted_at=AT)
    with pytest.raises(TransitionRefused, match="Candidate 1001 is already paused"):
        script_after(ScriptChange.PAUSE, C.PAUSED, number="1001")


def test_states_are_the_stored_words():
    assert [s.value for s in SittingState] == ["scheduled", "open", "running", "ended"]
    assert sitting_after(SittingChange.OPEN, "scheduled", code="X-1") == "open"
