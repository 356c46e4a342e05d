"""Supervised rest breaks: asked for by the learner, begun and ended by the invigilator, every second given back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marker_tui.domain.rest_breaks import has_rest_break_arrangement
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.rest_breaks import RestBreakService
from sitting_fixtures import ADMIN, INVIGILATOR, room  # noqa: F401  (the fixture)


def _breaks(room):
    return RestBreakService(room.db, room.clock, invigilation=room.sittings)


@pytest.fixture
def running(room):
    room.candidates.edit("1003", access_arrangements="extra time: specialist assessor's report | Form 8 on file | "
                         "Sam Senco | 2026-09-01; supervised rest breaks | Form 8 on file | Sam Senco | 2026-09-01",
                         by=ADMIN)
    return room.running_sitting()


def test_the_arrangement_is_read_from_the_candidate_s_access_arrangements():
    assert has_rest_break_arrangement("reader; Rest breaks")
    assert has_rest_break_arrangement("supervised rest-break")
    assert not has_rest_break_arrangement("reader") and not has_rest_break_arrangement(None)


def test_a_break_gives_back_exactly_its_length(room, running):
    breaks = _breaks(room)
    room.clock.advance(timedelta(minutes=10))
    before = room.candidate(running, "1003")
    script = room.script_id(running, "1003")
    breaks.ask(script)
    room.clock.advance(timedelta(seconds=20))  # the invigilator walks over: the clock still runs
    breaks.start(running, "1003", by=INVIGILATOR)
    assert room.candidate(running, "1003").state.value == "paused"
    room.clock.advance(timedelta(minutes=7, seconds=13))
    assert breaks.end(running, "1003", by=INVIGILATOR) == 433
    after = room.candidate(running, "1003")
    assert after.allowed_seconds == before.allowed_seconds
    assert after.left_seconds == before.left_seconds - 20  # only the walk over counted, not the break
    assert after.state.value == "writing"


def test_the_room_sees_the_request_then_the_break_and_the_learner_sees_their_own(room, running):
    breaks = _breaks(room)
    script = room.script_id(running, "1003")
    assert breaks.room(running) == {} and breaks.learner_break(script) is None
    breaks.ask(script)
    asked = breaks.room(running)["1003"]
    assert asked.asked_at is not None and not asked.on_break
    breaks.start(running, "1003", by=INVIGILATOR)
    room.clock.advance(timedelta(minutes=4))
    on = breaks.learner_break(script)
    assert on.on_break and on.minutes(room.clock.now()) == 4
    breaks.end(running, "1003", by=INVIGILATOR)
    assert breaks.room(running) == {}
    [record] = breaks.history(running)
    assert record.asked and record.allowed_by == INVIGILATOR and record.seconds(room.clock.now()) == 240


def test_only_a_candidate_with_the_arrangement_asks_but_the_invigilator_may_give_anyone_a_break(room, running):
    breaks = _breaks(room)
    with pytest.raises(ServiceError, match="not one of your access arrangements"):
        breaks.ask(room.script_id(running, "1001"))
    breaks.start(running, "1001", by=INVIGILATOR)
    with pytest.raises(ServiceError, match="already on a rest break"):
        breaks.start(running, "1001", by=INVIGILATOR)
    with pytest.raises(ServiceError, match="1002 is not on a rest break"):
        breaks.end(running, "1002", by=INVIGILATOR)


def test_a_request_can_be_declined_with_a_reason_and_only_staff_who_run_the_room_decide(room, running):
    breaks = _breaks(room)
    room.staff.add("Mo Marker", ["marker"], "4826", by=ADMIN)
    breaks.ask(room.script_id(running, "1003"))
    with pytest.raises(ServiceError, match="Mo Marker cannot do this"):
        breaks.start(running, "1003", by="Mo Marker")
    with pytest.raises(ServiceError, match="Say why"):
        breaks.decline(running, "1003", reason=" ", by=INVIGILATOR)
    breaks.decline(running, "1003", reason="five minutes left: finish first", by=INVIGILATOR)
    assert breaks.room(running) == {}


def test_every_step_is_in_the_sitting_s_audit_trail(room, running):
    breaks = _breaks(room)
    breaks.ask(room.script_id(running, "1003"))
    breaks.start(running, "1003", by=INVIGILATOR)
    room.clock.advance(timedelta(minutes=5))
    breaks.end(running, "1003", by=INVIGILATOR)
    log = [(e.action, e.actor) for e in entries(room.db) if "rest break" in e.action]
    assert log == [("rest break asked for", "candidate 1003"), ("rest break started", INVIGILATOR),
                   ("rest break ended", INVIGILATOR)]
    ended = next(e for e in entries(room.db) if e.action == "rest break ended")
    assert ended.details["break_seconds"] == 300 and ended.candidate_number == "1003"
    paused = next(e for e in entries(room.db) if e.action == "candidate paused")
    assert paused.details["reason"] == "supervised rest break"


REST_BREAKS = "supervised rest breaks | Form 8 on file | Sam Senco | 2026-09-01"


def test_arrangements_changed_after_the_clock_started_do_not_change_who_may_ask_for_a_break(room, running):
    """What applied when the clock started stands (issue 19: the list in force is copied onto the script)."""
    breaks = _breaks(room)
    room.candidates.edit("1003", access_arrangements="extra time: specialist assessor's report | Form 8 on file | "
                         "Sam Senco | 2026-09-01; reader | Form 8 on file | Sam Senco | 2026-09-01", by=ADMIN)
    room.candidates.edit("1001", access_arrangements=REST_BREAKS, by=ADMIN)
    assert breaks.ask(room.script_id(running, "1003")).candidate_number == "1003"  # had them at the start
    with pytest.raises(ServiceError, match="not one of your access arrangements"):
        breaks.ask(room.script_id(running, "1001"))  # given them only after the start
    # The terminals agree: 1003's still offers the key, 1001's does not.
    assert room.learners.session(room.script_id(running, "1003")).rest_breaks
    assert not room.learners.session(room.script_id(running, "1001")).rest_breaks


def test_arrangements_changed_before_the_clock_started_apply_to_that_sitting(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    room.candidates.edit("1001", access_arrangements=REST_BREAKS, by=ADMIN)  # the enrolment follows
    room.sittings.open(code, by=INVIGILATOR)
    session = room.log_in(code, "1001")
    room.sittings.start(code, by=INVIGILATOR)
    assert session.rest_breaks
    assert _breaks(room).ask(session.script_id).candidate_number == "1001"
