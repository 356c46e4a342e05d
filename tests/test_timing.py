"""Every learner gets exactly the time they are entitled to.

First the pure rules (domain/timing.py), then the same rules through the
services with a fake clock: pause/resume, extensions, late start, expiry and a
restart (a new engine object on the same file gives the same time left).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from marker_tui.domain.timing import Interval, allowance, format_duration, time_state
from marker_tui.services.learner import SaveRefused
from marker_tui.domain.sitting_states import ScriptState
from marker_tui.services.room import SittingError
from sitting_fixtures import INVIGILATOR, START, room  # noqa: F401  (fixture)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def state(now_min: float, **kwargs):
    kwargs.setdefault("paper_minutes", 90)
    kwargs.setdefault("own_start", T0)
    return time_state(now=at(now_min), **kwargs)


# --- allowance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "percent", "extensions", "seconds"),
    [
        (90, 0, [], 5400),
        (90, 25, [], 6750),  # 112.5 minutes exactly
        (45, 33, [], 3591),  # 2700 * 1.33, exact
        (7, 15, [], 483),
        (1, 33, [], 80),  # 79.8 s rounds up: the candidate never loses a fraction of a second
        (90, 50, [10, 5], 8100 + 900),
        (60, 100, [], 7200),
    ],
)
def test_allowance_is_paper_time_plus_extra_time_plus_extensions_rounded_up(minutes, percent, extensions, seconds):
    assert allowance(minutes, percent, extensions) == timedelta(seconds=seconds)


def test_allowance_refuses_nonsense():
    with pytest.raises(ValueError):
        allowance(0)
    with pytest.raises(ValueError):
        allowance(90, -10)


# --- the clock itself ------------------------------------------------------------------------


def test_before_their_own_start_no_time_is_used():
    s = state(30, own_start=None)
    assert (s.used, s.remaining, s.started, s.is_running) == (timedelta(0), timedelta(minutes=90), False, False)


def test_time_runs_from_their_own_start():
    s = state(30)
    assert s.used == timedelta(minutes=30)
    assert s.remaining == timedelta(minutes=60)
    assert s.is_running and not s.is_paused and not s.is_time_up
    assert s.expires_at == at(90)


def test_paused_time_never_counts():
    pauses = [Interval(at(10), at(25))]
    s = state(40, room_pauses=pauses)
    assert s.used == timedelta(minutes=25)
    assert s.expires_at == at(105)


def test_while_paused_the_clock_stands_still():
    pauses = [Interval(at(10), None)]
    first, later = state(15, room_pauses=pauses), state(500, room_pauses=pauses)
    assert first.is_paused and later.is_paused
    assert first.remaining == later.remaining == timedelta(minutes=80)
    assert later.expires_at is None and not later.is_time_up


def test_overlapping_room_and_candidate_pauses_count_once():
    s = state(60, room_pauses=[Interval(at(10), at(30))], candidate_pauses=[Interval(at(20), at(40))])
    assert s.used == timedelta(minutes=30)  # 60 minus the 30 minutes from 10 to 40


def test_a_pause_inside_another_counts_once():
    s = state(60, room_pauses=[Interval(at(10), at(40))], candidate_pauses=[Interval(at(20), at(30))])
    assert s.used == timedelta(minutes=30)


def test_a_late_starter_is_not_charged_for_pauses_before_they_started():
    s = state(50, own_start=at(20), room_pauses=[Interval(at(5), at(15)), Interval(at(30), at(35))])
    assert s.used == timedelta(minutes=25)
    assert s.remaining == timedelta(minutes=65)


def test_time_up_exactly_at_the_allowance_and_never_negative():
    just_before, exactly, long_after = state(89.99), state(90), state(400)
    assert not just_before.is_time_up
    assert exactly.is_time_up and exactly.remaining == timedelta(0)
    assert long_after.is_time_up and long_after.remaining == timedelta(0) and long_after.used == timedelta(minutes=90)
    assert long_after.expires_at == at(90)  # the instant it ran out, however late we look


def test_a_pause_that_begins_after_time_ran_out_does_not_bring_time_back():
    s = state(120, room_pauses=[Interval(at(100), None)])
    assert s.is_time_up and s.expires_at == at(90)


def test_submission_freezes_time_used():
    s = state(80, submitted_at=at(45))
    assert s.used == timedelta(minutes=45) and not s.is_running and not s.is_time_up


def test_extra_time_and_extensions_move_the_deadline():
    s = state(100, extra_time_percent=25, extension_minutes=[5])
    assert s.allowed == timedelta(minutes=117.5)
    assert s.expires_at == at(117.5) and not s.is_time_up


def test_a_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        state(60, room_pauses=[Interval(at(30), at(20))])


def test_durations_read_as_hours_minutes_seconds():
    assert format_duration(timedelta(seconds=6750)) == "1:52:30"
    assert format_duration(timedelta(seconds=-5)) == "0:00:00"


# --- the same rules through the services, with a fake clock ------------------------------------


def left(room, code, number) -> timedelta:
    return room.candidate(code, number).time_left


def test_extra_time_candidates_get_their_percentage(room):
    code = room.running_sitting()
    room.clock.advance(minutes=10)
    assert left(room, code, "1001") == timedelta(minutes=80)
    assert left(room, code, "1002") == timedelta(minutes=102.5)  # +25 %
    assert left(room, code, "1003") == timedelta(minutes=125)  # +50 %


def test_room_pause_and_resume_through_the_service(room):
    code = room.running_sitting()
    room.clock.advance(minutes=30)
    room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
    assert room.candidate(code, "1001").state is ScriptState.PAUSED
    room.clock.advance(minutes=20)
    assert left(room, code, "1001") == timedelta(minutes=60)
    room.sittings.resume(code, reason="all clear", by=INVIGILATOR)
    room.clock.advance(minutes=10)
    assert left(room, code, "1001") == timedelta(minutes=50)
    assert room.candidate(code, "1001").state is ScriptState.WRITING


def test_one_candidate_paused_while_the_others_continue(room):
    code = room.running_sitting()
    room.clock.advance(minutes=10)
    room.sittings.pause(code, candidate_number="1001", reason="unwell", by=INVIGILATOR)
    room.clock.advance(minutes=15)
    assert left(room, code, "1001") == timedelta(minutes=80)
    assert left(room, code, "1002") == timedelta(minutes=112.5 - 25)
    room.sittings.resume(code, candidate_number="1001", reason="feeling better", by=INVIGILATOR)
    room.clock.advance(minutes=5)
    assert left(room, code, "1001") == timedelta(minutes=75)


def test_room_and_candidate_pause_overlapping_count_once_through_the_service(room):
    code = room.running_sitting()
    room.clock.advance(minutes=10)
    room.sittings.pause(code, candidate_number="1001", reason="unwell", by=INVIGILATOR)  # 10..40
    room.clock.advance(minutes=10)
    room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)  # 20..30
    room.clock.advance(minutes=10)
    room.sittings.resume(code, reason="all clear", by=INVIGILATOR)
    # The room is running again but 1001 is still paused on their own.
    assert room.candidate(code, "1001").state is ScriptState.PAUSED
    room.clock.advance(minutes=10)
    room.sittings.resume(code, candidate_number="1001", reason="better", by=INVIGILATOR)
    room.clock.advance(minutes=20)  # now 09:60
    assert left(room, code, "1001") == timedelta(minutes=90 - 30)
    assert left(room, code, "1002") == timedelta(minutes=112.5 - 50)


def test_an_extension_adds_minutes_and_is_kept_with_reason_who_and_when(room):
    code = room.running_sitting()
    room.clock.advance(minutes=60)
    status = room.sittings.extend(code, candidate_number="1001", minutes=10, reason="fire drill ran over",
                                  by=INVIGILATOR)
    assert status.time_left == timedelta(minutes=40)
    (ext,) = status.extensions
    assert (ext.minutes, ext.reason, ext.granted_by, ext.granted_at) == (10, "fire drill ran over", INVIGILATOR,
                                                                         START + timedelta(minutes=60))


def test_a_late_starter_gets_their_full_allowance_from_their_own_start_and_it_is_logged(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001", "1004"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    room.log_in(code, "1001")
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=10)
    room.sittings.pause(code, reason="noise", by=INVIGILATOR)
    room.clock.advance(minutes=5)
    room.sittings.resume(code, reason="quiet", by=INVIGILATOR)
    room.clock.advance(minutes=5)  # 20 minutes after the start
    session = room.log_in(code, "1004")
    assert session.time.left_seconds == 90 * 60
    room.clock.advance(minutes=30)
    assert left(room, code, "1004") == timedelta(minutes=60)
    assert left(room, code, "1001") == timedelta(minutes=90 - 45)
    late = [e for e in room.sittings.log(code) if e.action == "late start"]
    assert len(late) == 1 and late[0].candidate_number == "1004"
    assert late[0].details["late_by_seconds"] == 20 * 60
    assert room.candidate(code, "1004").late_by_seconds == 20 * 60


def test_when_time_is_up_the_last_saved_answers_become_the_script_even_with_the_terminal_closed(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.clock.advance(minutes=30)
    room.learners.save_answer(script, "1", "my final answer")
    # The learner's terminal is closed; nobody touches anything for hours.
    room.clock.advance(hours=5)
    row = room.candidate(code, "1001")
    assert row.state is ScriptState.TIME_UP
    assert row.submitted_at == START + timedelta(minutes=90)  # when time ran out, not when we looked
    assert row.submitted_reason == "time up"
    assert room.learners.session(script).answers == {"1": "my final answer"}


def test_a_late_save_is_refused_with_a_clear_reason_and_the_saved_answer_stays(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "2a", "kept")
    room.clock.advance(minutes=90)
    with pytest.raises(SaveRefused) as refused:
        room.learners.save_answer(script, "2a", "typed after time")
    assert refused.value.reason == "time up"
    assert "Time is up" in str(refused.value) and "not saved" in str(refused.value)
    session = room.learners.session(script)
    assert session.answers["2a"] == "kept" and session.versions["2a"] == 1
    assert session.time.state is ScriptState.TIME_UP


def test_a_script_past_its_time_cannot_be_extended_even_if_nobody_looked(room):
    code = room.running_sitting()
    room.clock.advance(minutes=91)
    with pytest.raises(SittingError, match="cannot be extended"):
        room.sittings.extend(code, candidate_number="1001", minutes=5, reason="late request", by=INVIGILATOR)
    assert room.candidate(code, "1001").extensions == []


def test_a_restarted_engine_computes_the_same_time_left(room):
    code = room.running_sitting()
    room.clock.advance(minutes=20)
    room.sittings.pause(code, candidate_number="1002", reason="unwell", by=INVIGILATOR)
    room.clock.advance(minutes=7)
    room.sittings.extend(code, candidate_number="1003", minutes=3, reason="late paper", by=INVIGILATOR)
    room.clock.advance(seconds=37)
    before = {c.candidate_number: (c.left_seconds, c.state) for c in room.sittings.status(code).candidates}
    reopened = room.reopen()  # a new connection and new service objects: a process restart
    after = {c.candidate_number: (c.left_seconds, c.state) for c in reopened.sittings.status(code).candidates}
    assert before == after
    assert after["1002"][1] is ScriptState.PAUSED
    # and it keeps agreeing as time moves on
    reopened.clock.advance(minutes=200)
    states = {c.candidate_number: c.state for c in reopened.sittings.status(code).candidates}
    assert states == {"1001": ScriptState.TIME_UP, "1002": ScriptState.PAUSED, "1003": ScriptState.TIME_UP}


def test_two_engines_on_the_same_file_agree(room):
    code = room.running_sitting()
    room.clock.advance(minutes=33)
    from marker_tui.services.invigilation import SittingService
    from marker_tui.storage.database import open_database

    second = open_database(room.path)
    try:
        assert SittingService(second, room.clock).status(code).candidates == room.sittings.status(code).candidates
    finally:
        second.close()


def test_instructions_for_a_learner_state_their_own_time():
    from marker_tui.domain.timing import instructions_for

    def words(seconds: int) -> str:
        return f"<{seconds}>"

    text = "You have 1 hour 30 minutes. Read for 10 minutes. Or: 90 minutes; 1½ hours; 1 hour and 30 mins."
    assert instructions_for(text, 5400, 6750, words) == (
        "You have <6750>. Read for 10 minutes. Or: <6750>; <6750>; <6750>.")
    assert instructions_for(text, 5400, 5400, words) == text  # the standard time: as printed
    assert instructions_for(text, None, 6750, words) == text  # no stated allowance to compare
    assert instructions_for("2.5 hours, 2 hours", 9000, 9900, words) == "<9900>, 2 hours"
