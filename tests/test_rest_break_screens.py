"""Rest breaks on both screens: the learner asks with F6, the invigilator starts and ends it with b,
and the learner's paper is hidden and locked for the length of the break."""

from __future__ import annotations

from datetime import timedelta

from marker_tui.domain.rest_breaks import REST_BREAK_REASON
from marker_tui.domain.sitting_states import ScriptState
from test_invigilator_screen import cells, confirm, room_app, settle  # noqa: F401
from test_learner_screen import SIZE, advance, learner_app, open_sitting, room, start, text_of, writing  # noqa: F401
from test_learner_screen import settle as learner_settle
from waiting import time_read, until
from sitting_fixtures import ADMIN, EVIDENCE as E, INVIGILATOR


def _with_arrangement(room) -> None:
    room.candidates.edit("1003", by=ADMIN, access_arrangements=(
        f"extra time: specialist assessor's report | {E}; supervised rest breaks | {E}"))


async def test_the_learner_asks_and_while_on_the_break_their_paper_is_hidden(room):
    _with_arrangement(room)
    code = open_sitting(room)
    app = learner_app(room, code, "1003")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"gloves")
        assert screen.check_action("rest_break", ()) is True
        assert "gloves" in app.export_screenshot()
        await pilot.press("f6")  # asked in a worker
        await until(pilot, lambda: room.sittings.status(code).candidates[2].rest_break_asked_at is not None,
                    "the request for a break")
        assert not screen.check_action("rest_break", ())  # asked once; the invigilator answers
        app.centre.rest_breaks.start(code, "1003", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        assert screen.query_one("#paper").display is False and screen.query_one("#rest-break").display is True
        assert screen.query_one("#answer").read_only
        shown = app.export_screenshot()
        assert "gloves" not in shown and "hazards" not in shown  # answers and paper hidden
        assert "supervised rest break since" in text_of(screen.query_one("#rest-break-text"))
        assert room.learners.session(screen.script_id).answers["1"] == "gloves"  # kept, on disk
        advance(room, 600)
        app.centre.rest_breaks.end(code, "1003", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        assert screen.query_one("#paper").display is True and screen.query_one("#rest-break").display is False
        assert not screen.query_one("#answer").read_only
        assert "gloves" in app.export_screenshot()


async def test_a_declined_break_is_said_to_the_learner_and_f6_is_offered_again(room):
    # Declined, the learner's screen said nothing and the F6 key had gone from the footer.
    _with_arrangement(room)
    code = open_sitting(room)
    app = learner_app(room, code, "1003")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press("f6")
        await until(pilot, lambda: room.sittings.status(code).candidates[2].rest_break_asked_at is not None,
                    "the request for a break")
        await time_read(pilot, screen)
        assert not screen.check_action("rest_break", ())
        app.centre.rest_breaks.decline(code, "1003", reason="five minutes left", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        assert any("has not started a rest break for now" in n.message for n in app._notifications)
        assert "five minutes left" not in " ".join(n.message for n in app._notifications)  # a staff record
        assert screen.check_action("rest_break", ()) is True


async def test_a_learner_without_the_arrangement_is_not_offered_the_key(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        assert screen.check_action("rest_break", ()) is False
        await pilot.press("f6")
        await app.workers.wait_for_complete()
        assert room.sittings.status(code).candidates[0].rest_break_asked_at is None


async def test_the_room_view_shows_the_request_and_starts_and_ends_the_break(room):
    _with_arrangement(room)
    code = room.running_sitting()
    from marker_tui.services.rest_breaks import RestBreakService

    RestBreakService(room.db, room.clock, invigilation=room.sittings).ask(room.script_id(code, "1003"))
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert cells(screen, "1003")["state"] == "asks break"
        assert "1003: asks for a rest break" in text_of(screen.query_one("#room-summary"))
        await pilot.press("b")  # the highlighted candidate (1001) is not the one asking: the dialog names 1001
        await settle(pilot)
        assert "candidate 1001" in text_of(app.screen.query_one(".inv-dialog-title"))
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("down", "down")  # 1003
        await pilot.press("b")
        await settle(pilot)
        assert "Start a supervised rest break for candidate 1003" in text_of(app.screen.query_one(".inv-dialog-title"))
        await confirm(pilot)
        assert cells(screen, "1003")["state"] == "break 0m"
        left = room.candidate(code, "1003").left_seconds
        room.clock.advance(timedelta(minutes=6))
        screen.refresh_status()
        await settle(pilot)
        assert cells(screen, "1003")["state"] == "break 6m"
        await pilot.press("b")
        await settle(pilot)
        assert "End candidate 1003's rest break" in text_of(app.screen.query_one(".inv-dialog-title"))
        await confirm(pilot)
        assert cells(screen, "1003")["state"] == "writing"
        assert room.candidate(code, "1003").left_seconds == left  # the six minutes were given back
    paused = [e for e in room.sittings.log(code) if e.action == "candidate paused"]
    assert paused[-1].details["reason"] == REST_BREAK_REASON


async def test_at_80_columns_the_learner_s_footer_still_shows_the_break_key_and_every_other(room):
    _with_arrangement(room)
    code = open_sitting(room)
    app = learner_app(room, code, "1003")
    async with app.run_test(size=(80, 24)) as pilot:
        await writing(pilot, room, code)
        shown = lambda: app.export_screenshot().replace("&#160;", " ")  # noqa: E731
        labels = ("f6", "Break", "Submit", "Instructions", "Contrast")
        # The footer is rebuilt for the writing keys after the start, a few frames later.
        await until(pilot, lambda: "f6" in shown(), "the writing keys in the footer")
        for label in labels:
            assert label in shown(), label


async def test_the_room_summary_says_who_is_on_a_break_and_how_to_end_it(room):
    _with_arrangement(room)
    code = room.running_sitting()
    from marker_tui.services.rest_breaks import RestBreakService

    RestBreakService(room.db, room.clock, invigilation=room.sittings).start(code, "1002", by=INVIGILATOR)
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        summary = text_of(app.screen.query_one("#room-summary"))
        assert "1002: on a rest break since" in summary and "b: end it" in summary
        assert cells(app.screen, "1002")["state"] == "break 0m"


async def test_the_learner_is_told_their_rest_break_started_not_that_the_room_was_paused(room):
    _with_arrangement(room)
    code = open_sitting(room)
    app = learner_app(room, code, "1003")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        app.clear_notifications()
        app.centre.rest_breaks.start(code, "1003", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        notes = [(n.title, n.message) for n in app._notifications]
        assert ("Rest break", "Your rest break has started: your time has stopped.") in notes
        assert "Paused" not in [title for title, _ in notes]  # it said the invigilator paused the assessment
        app.clear_notifications()
        app.centre.rest_breaks.end(code, "1003", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        notes = [(n.title, n.message) for n in app._notifications]
        assert notes == [("Rest break", "Your rest break is over: your time is running again.")]
        # A break ended while the whole room is paused: the clock does not run again yet.
        app.centre.rest_breaks.start(code, "1003", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
        app.clear_notifications()
        app.centre.rest_breaks.end(code, "1003", by=INVIGILATOR)
        await time_read(pilot, screen)
        await learner_settle(pilot)
        assert [n.message for n in app._notifications] == [
            "Your rest break is over. The assessment is paused, so your time stays stopped until the "
            "invigilator resumes it."]
        assert screen.query_one("#answer").read_only


async def test_a_break_ended_while_the_room_is_paused_says_the_clock_stays_stopped(room):
    _with_arrangement(room)
    code = room.running_sitting()
    from marker_tui.services.rest_breaks import RestBreakService

    RestBreakService(room.db, room.clock, invigilation=room.sittings).start(code, "1003", by=INVIGILATOR)
    room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "1 on a break" in text_of(screen.query_one("#room-summary"))
        await pilot.press("down", "down")  # 1003
        await pilot.press("b")
        await settle(pilot)
        body = text_of(app.screen.query_one(".inv-dialog-body"))
        assert "their clock stays stopped until you resume the room" in body and "runs again" not in body
        await confirm(pilot)
        assert room.candidate(code, "1003").state is ScriptState.PAUSED  # the room's pause still holds them
        left = room.candidate(code, "1003").left_seconds
        room.clock.advance(timedelta(minutes=2))
        assert room.candidate(code, "1003").left_seconds == left
        room.sittings.resume(code, reason="all clear", by=INVIGILATOR)
        screen.refresh_status()
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert "Start a supervised rest break for candidate 1003" in text_of(app.screen.query_one(".inv-dialog-title"))
        await confirm(pilot)
        message = text_of(screen.query_one("#room-message"))
        assert message == ("Rest break started for candidate 1003 (Chloé Dubois): their clock is stopped "
                           "until you end the break (b).")
