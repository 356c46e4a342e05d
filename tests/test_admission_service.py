"""Admission, leases and exit codes at the service level (issue 13), on a real database file."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marker_tui.domain.admission import EXIT_TRIES, KEYCODE_TRIES, LEASE_SECONDS
from marker_tui.services.learner import AdmissionRefused, ExitRefused, LearnerService, ScriptInUse
from marker_tui.services.terminal import Terminal
from sitting_fixtures import build_room
from test_learner_screen import open_sitting


@pytest.fixture
def room(tmp_path):
    built = build_room(tmp_path / "centre.db")
    yield built
    built.db.close()


def desk(room, place: str) -> LearnerService:
    return LearnerService(room.db, room.clock, Terminal.named(place, place[-4:]))


def actions(room, code: str) -> list:
    return [e for e in room.sittings.log(code)]


def test_wrong_keycodes_lock_that_terminal_only_and_the_real_candidate_still_gets_in(room):
    code = open_sitting(room)
    right = room.keycode(code, "1001")
    guesser, real = desk(room, "desk-guess"), desk(room, "desk-real")
    for _ in range(KEYCODE_TRIES):
        with pytest.raises(AdmissionRefused):
            guesser.login(code, "1001", "WRNG-CODE")
    with pytest.raises(AdmissionRefused, match="(?i)wait|locked|try again"):
        guesser.login(code, "1001", right)  # locked: even the right code is not tried from here
    session = real.login(code, "1001", right)  # the candidate at their own terminal is not locked out
    assert session.candidate_number == "1001"
    refusals = [e for e in actions(room, code) if e.details.get("terminal", "").startswith("desk-guess")
                or "desk-guess" in str(e.details)]
    assert len(refusals) >= KEYCODE_TRIES  # every refusal is audited with the terminal


def test_a_lapsed_lease_resumes_with_the_same_keycode_and_a_live_one_does_not(room):
    code = open_sitting(room)
    right = room.keycode(code, "1002")
    first, second = desk(room, "desk-one1"), desk(room, "desk-two2")
    first.login(code, "1002", right)
    with pytest.raises(ScriptInUse):
        second.login(code, "1002", right)
    room.clock.advance(timedelta(seconds=LEASE_SECONDS + 1))  # desk one crashed: nothing renews its lease
    session = second.login(code, "1002", right)
    assert session.candidate_number == "1002"
    status = {c.candidate_number: c for c in room.sittings.status(code).candidates}
    assert status["1002"].terminal.startswith("desk-two2") and status["1002"].terminal_live


def test_wrong_exit_codes_lock_that_terminals_dialog_and_the_room_view_is_told(room):
    code = open_sitting(room)
    learner = desk(room, "desk-exit")
    learner.login(code, "1003", room.keycode(code, "1003"))
    for _ in range(EXIT_TRIES):
        with pytest.raises(ExitRefused):
            learner.release_terminal(code, "000000", candidate_number="1003")
    alerts = room.sittings.status(code).terminal_alerts
    assert any(a.terminal.startswith("desk-exit") and a.kind == "exit code" and a.locked_until for a in alerts)
    exit_code = room.sittings.status(code).exit_code
    with pytest.raises(ExitRefused):  # locked: the right code waits too
        learner.release_terminal(code, exit_code, candidate_number="1003")
    # No staff member is locked out anywhere: the invigilator still signs in with their PIN.
    from sitting_fixtures import INVIGILATOR, PIN
    assert room.staff.verify_pin(INVIGILATOR, PIN).name == INVIGILATOR


def test_a_move_is_never_approved_to_a_terminal_that_has_stopped_asking(room):
    """A second login leaves a request; closed, that terminal stops asking. Approved anyway, the move cut
    the learner's working terminal off with nobody at the other one to carry on."""
    from marker_tui.domain.admission import TAKEOVER_ASK_SECONDS
    from marker_tui.services.invigilation import SittingError
    from sitting_fixtures import INVIGILATOR

    code = open_sitting(room)
    room.sittings.start(code, by=INVIGILATOR)
    a, b = desk(room, "desk-aaaa"), desk(room, "desk-bbbb")
    script = a.login(code, "1001", room.keycode(code, "1001")).script_id
    with pytest.raises(ScriptInUse):
        b.login(code, "1001", room.keycode(code, "1001"))
    [candidate] = [c for c in room.sittings.status(code).candidates if c.candidate_number == "1001"]
    assert candidate.takeover_terminal == b.terminal.label
    # Desk B is closed: it asks no more. Desk A carries on typing (its saves keep its lease).
    for _ in range(3):
        room.clock.advance(timedelta(seconds=TAKEOVER_ASK_SECONDS / 2))
        a.save_answer(script, "1", "still writing at desk A")
    [candidate] = [c for c in room.sittings.status(code).candidates if c.candidate_number == "1001"]
    assert candidate.takeover_terminal is None  # the room view no longer offers the move
    with pytest.raises(SittingError, match="stopped asking .* nothing was changed"):
        room.sittings.approve_takeover(code, "1001", by=INVIGILATOR)
    a.save_answer(script, "1", "desk A still has it")  # not cut off
    # A terminal still there asks again every few seconds while its learner waits: that move is approved.
    with pytest.raises(ScriptInUse):
        b.login(code, "1001", room.keycode(code, "1001"))
    room.clock.advance(timedelta(seconds=TAKEOVER_ASK_SECONDS - 1))
    with pytest.raises(ScriptInUse):
        b.login(code, "1001", room.keycode(code, "1001"))  # asking again: still there
    room.clock.advance(timedelta(seconds=TAKEOVER_ASK_SECONDS - 1))
    room.sittings.approve_takeover(code, "1001", by=INVIGILATOR)
    assert b.login(code, "1001", room.keycode(code, "1001")).script_id == script
