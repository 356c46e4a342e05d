"""The learner's screens, driven with Pilot against a real database file and a fake clock.

Helpers at the top are shared with tests/test_invigilator_screen.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from textual.css.query import NoMatches
from textual.widgets import Static

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.learner import (
    ConfirmNameDialog,
    ConfirmSubmitDialog,
    ExitCodeDialog,
    LearnerLoginScreen,
    LearnerSittingScreen,
    ReviewDialog,
    WaitingToOpenScreen,
    reflow,
)
from marker_tui.interfaces.tui.widgets.contrast import HIGH_CONTRAST
from marker_tui.interfaces.tui.widgets.countdown import TimeWarnings, clock_text
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea
from marker_tui.services.centre import Centre
from marker_tui.services.room import SittingError
from marker_tui.storage.database import open_database
from sitting_fixtures import INVIGILATOR, PIN, build_room
from waiting import time_read, until

SIZE = (80, 24)


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    """Clock times on screen in UTC, so snapshots do not depend on the machine's time zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def room(tmp_path):
    built = build_room(tmp_path / "centre.db")
    yield built
    built.db.close()


def fake_monotonic(clock):
    """The autosave policy's seconds, read from the same fake clock as the services."""
    return lambda: clock.now().timestamp()


def centre_for(room) -> Centre:
    """A new connection to the room's file: what a separate terminal process would have."""
    return Centre(db=open_database(room.path), clock=room.clock)


def keycode_for(room, code: str | None, number: str | None) -> str | None:
    """The learner's keycode, as their admission slip shows it (a wrong one if they have none)."""
    if not code or not number:
        return None
    try:
        return room.keycode(code, number)
    except SittingError:  # no such sitting, or not enrolled: whatever they type is wrong
        return "WRONG-CODE"


def learner_app(room, code: str | None = None, number: str | None = None, *, centre: Centre | None = None,
                locked: bool = True, keycode: str | None = "") -> MarkerApp:
    centre = centre or centre_for(room)
    keycode = keycode_for(room, code, number) if keycode == "" else keycode
    screen = LearnerLoginScreen(code, number, keycode, locked=locked, monotonic=fake_monotonic(room.clock))
    return MarkerApp(centre, start=screen, steady=True)


async def settle(pilot, seconds: float = 30.0) -> None:
    """Let the writer thread finish and its messages reach the screen (deadline, not a fixed sleep)."""
    deadline = time.monotonic() + seconds
    await pilot.pause()
    while time.monotonic() < deadline:
        sitting = next((s for s in pilot.app.screen_stack if isinstance(s, LearnerSittingScreen)), None)
        if sitting is None or sitting.writer.idle:
            await pilot.pause()
            await pilot.pause()
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the learner's writer did not finish in time")


async def logged_in(pilot) -> LearnerSittingScreen:
    """From the login screen (code and number given): confirm the name, land on the sitting screen."""
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmNameDialog), "the name to confirm")
    await pilot.press("y")
    await until(pilot, lambda: not isinstance(pilot.app.screen, (ConfirmNameDialog, LearnerLoginScreen)),
                "the sitting screen after confirming the name")
    screen = pilot.app.screen
    assert isinstance(screen, LearnerSittingScreen), f"expected the sitting screen, got {screen!r}"
    hold_timers(screen)
    return screen


def hold_timers(screen: LearnerSittingScreen) -> None:
    """The test drives the clock, the 0.1 s check and the heartbeat itself (screen.tick() and so on).

    The screen's own timers run on real time while the fake clock stands still: on a loaded
    machine one could fire between two steps of a test and act on a moment the test did not set.
    """
    for timer in screen._clock_timers:
        timer.pause()
    screen._checks_held = True  # nor does the screen arm its own autosave check again
    if screen._check_timer is not None:
        screen._check_timer.cancel()
        screen._check_timer = None


def advance(room, seconds: float) -> None:
    room.clock.advance(timedelta(seconds=seconds))


def answer_rows(room, code: str, number: str) -> dict[str, str]:
    script = room.script_id(code, number)
    return dict(room.db.execute("SELECT question_id, text FROM answers WHERE script_id = ?", [script]).fetchall())


def versions(room, code: str, number: str, question: str) -> list[str]:
    script = room.script_id(code, number)
    return [r[0] for r in room.db.execute(
        "SELECT text FROM answer_versions WHERE script_id = ? AND question_id = ? ORDER BY version",
        [script, question]).fetchall()]


def text_of(widget) -> str:
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


def sitting_screen(app) -> LearnerSittingScreen:
    return next(s for s in app.screen_stack if isinstance(s, LearnerSittingScreen))


def open_sitting(room, candidates=("1001", "1002", "1003"), code: str = "MON-AM") -> str:
    code = room.new_sitting(code=code)  # a fixed code: snapshots must not depend on a random one
    room.sittings.enrol(code, list(candidates), by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    return code


def start(room, code: str) -> None:
    room.sittings.start(code, by=INVIGILATOR)


async def writing(pilot, room, code: str) -> LearnerSittingScreen:
    """Log in (sitting open), have the invigilator start, and wait for the paper."""
    screen = await logged_in(pilot)
    start(room, code)
    await time_read(pilot, screen)
    await pilot.pause()
    assert screen.phase == "writing"
    return screen


# --- pure bits -------------------------------------------------------------------------------------


def test_warnings_come_once_each_and_only_the_latest_when_logging_in_late():
    warnings = TimeWarnings()
    assert warnings.check(3600) is None
    assert warnings.check(600) == 10
    assert warnings.check(599) is None
    assert warnings.check(300) == 5 and warnings.check(60) == 1 and warnings.check(10) is None
    late = TimeWarnings()
    assert late.check(180) == 5  # not 10 as well
    assert late.check(170) is None and late.check(60) == 1
    extended = TimeWarnings()
    assert extended.check(50) == 1
    assert extended.check(50 + 10 * 60) is None  # ten more minutes granted
    assert extended.check(300) == 5 and extended.check(60) == 1  # both warnings come again


def test_clock_text_and_reflowing_hard_wrapped_paper_text():
    assert clock_text(6750) == "1:52:30" and clock_text(-5) == "0:00:00"
    assert reflow("A line\nwrapped.\n\nList:\n- one\n- two\n(a) three") == "A line wrapped.\n\nList:\n- one\n- two\n(a) three"


# --- logging in ---------------------------------------------------------------------------------------


def login_problem(app) -> str | None:
    """What the login form says once the check in its worker has answered (None while it runs)."""
    screen = app.screen
    if not isinstance(screen, LearnerLoginScreen) or screen.busy or screen.checking:
        return None
    try:
        said = text_of(screen.query_one("#login-error"))
    except NoMatches:  # the form is being rebuilt to show the problem
        return None
    return said if said and said != "Checking…" else None


async def login_error(app, code: str, number: str) -> str:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: login_problem(app) is not None, "the login's answer")
        return login_problem(app)


async def test_a_wrong_code_says_so_and_stays_on_the_login_screen(room):
    open_sitting(room)
    message = await login_error(learner_app(room, "NOPE-1", "1001"), "NOPE-1", "1001")
    assert message == "There is no sitting with code NOPE-1. Check the code, or ask the invigilator."


async def test_a_number_not_on_the_list_or_a_wrong_keycode_get_one_answer_revealing_nobody(room):
    code = open_sitting(room)
    nobody = "That candidate number and keycode do not match this sitting."
    message = await login_error(learner_app(room, code, "1004"), code, "1004")
    assert message.startswith(nobody) and "1004" not in message
    message = await login_error(learner_app(room, code, "1001", keycode="AAAA-AAAA"), code, "1001")
    assert message.startswith(nobody) and "Amira" not in message
    assert room.candidate(code, "1001").logged_in_at is None


async def test_the_right_number_without_the_keycode_is_not_let_in(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001", keycode=None)  # marker-tui sit CODE --candidate 1001
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#keycode")
        await pilot.press("enter")
        await pilot.pause()
        assert text_of(app.screen.query_one("#login-error")) == "Type the keycode from your admission slip."
        await pilot.press(*"WRONG123", "enter")
        await until(pilot, lambda: "do not match" in (login_problem(app) or ""), "the refusal")
        assert isinstance(app.screen, LearnerLoginScreen)
        assert app.screen.query_one("#keycode").value == ""
    refusal = [e for e in room.sittings.log(code) if e.action == "admission refused"]
    assert [(e.candidate_number, e.details["reason"]) for e in refusal] == [("1001", "wrong keycode")]
    assert refusal[0].details["terminal"] and room.candidate(code, "1001").logged_in_at is None


async def poll_for_opening(pilot) -> None:
    """What the waiting screen's timer does every few seconds: ask, in its worker, whether the sitting opened."""
    pilot.app.screen.check_now()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_a_sitting_not_open_yet_waits_and_joins_by_itself_when_the_invigilator_opens_it(room):
    code = room.new_sitting(code="MON-AM")
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, WaitingToOpenScreen), "the waiting screen")
        assert text_of(app.screen.query_one(".form-purpose")) == "Sitting MON-AM is not open yet"
        assert "moves on by itself" in text_of(app.screen.query_one("#waiting-text"))
        await poll_for_opening(pilot)  # still scheduled: nothing changes, nothing to press
        assert isinstance(app.screen, WaitingToOpenScreen)
        room.sittings.open(code, by=INVIGILATOR)
        await poll_for_opening(pilot)
        # The keycode is checked now (another worker), then "Is this you?"
        await until(pilot, lambda: isinstance(app.screen, ConfirmNameDialog), "the name to confirm")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, LearnerSittingScreen), "the sitting screen")
        assert app.screen.phase == "waiting"
    assert room.candidate(code, "1001").logged_in_at is not None


async def test_waiting_for_the_opening_escape_goes_back_to_the_form_to_check_the_code(room):
    code = room.new_sitting(code="MON-AM")
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    app = learner_app(room, code, "1001", keycode=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*room.keycode(code, "1001"), "enter")
        await until(pilot, lambda: isinstance(app.screen, WaitingToOpenScreen), "the waiting screen")
        await pilot.press("escape")
        await until(pilot, lambda: login_problem(app) is not None, "the form again")
        assert "not open yet" in text_of(app.screen.query_one("#login-error"))
        assert app.focused is app.screen.query_one("#code")
        room.sittings.open(code, by=INVIGILATOR)
        await pilot.press("enter")  # the same code again: it is open now
        await until(pilot, lambda: isinstance(app.screen, ConfirmNameDialog), "the name to confirm")


async def test_typing_the_code_and_number_by_hand_and_saying_no_to_the_name_logs_nobody_in(room):
    code = open_sitting(room)
    app = learner_app(room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*code.lower(), "enter", "1", "0", "0", "1", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmNameDialog)  # no name before the keycode
        await pilot.press(*room.keycode(code, "1001").lower(), "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmNameDialog), "the name to confirm")
        assert text_of(app.screen.query_one("#confirm-name-text")) == "Amira Khan"
        await pilot.press("n")
        await until(pilot, lambda: login_problem(app) is not None, "the form again")
        assert "Check your candidate number" in text_of(app.screen.query_one("#login-error"))
        # That keycode belongs to someone else: it does not stay on the screen for whoever comes next.
        assert app.screen.query_one("#keycode").value == ""
    assert room.candidate(code, "1001").logged_in_at is None


async def test_before_the_start_the_learner_sees_instructions_questions_marks_and_their_time(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1002")  # 25 % extra time
    async with app.run_test(size=SIZE) as pilot:
        screen = await logged_in(pilot)
        assert screen.phase == "waiting"
        facts = text_of(screen.query_one("#paper-facts"))
        assert "3 questions · 10 marks in total" in facts
        assert "Your time: 1 hour 52 minutes 30 seconds (includes 22 minutes 30 seconds extra time)" in facts
        assert "Answer all questions." in text_of(screen.query_one("#waiting-instructions"))
        assert not screen.query_one("#paper").display  # no question visible yet
        assert not screen.check_action("next", ())
        room.clock.advance(minutes=5)
        await time_read(pilot, screen)
        assert screen.phase == "waiting"
        start(room, code)
        await time_read(pilot, screen)
        await pilot.pause()
        assert screen.phase == "writing"
        assert "Question 1" in text_of(screen.query_one("#question-heading"))
        assert text_of(screen.query_one("#countdown")) == "Time left 1:52:30"


# --- writing and saving -------------------------------------------------------------------------------


async def test_answers_save_after_one_idle_second_not_before(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"two hazards")
        screen.autosave_check()  # the 0.1 s timer: live word count, no save yet
        await pilot.pause()
        assert text_of(screen.query_one("#word-count")) == "2 words"
        assert "Saving…" in text_of(screen.query_one("#saved-state"))
        advance(room, 0.9)
        screen.autosave_check()
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {}
        advance(room, 0.1)
        screen.autosave_check()
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {"1": "two hazards"}
        screen.autosave_check()  # the next 0.1 s check sees the save done
        await pilot.pause()
        assert text_of(screen.query_one("#saved-state")) == "✓ Saved"


async def test_the_save_check_runs_only_when_due_and_sleeps_once_all_is_saved(room):
    """The autosave check runs when a save falls due or the label can turn to "✓ Saved", not every
    0.1 s (each wake-up costs every learner's process CPU), and not at all while everything is saved;
    typing after that is still saved, and the label still comes back."""
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        screen._checks_held = False  # the screen's own timers run from here (the fake clock still decides)
        for timer in screen._clock_timers:
            timer.resume()
        saved_state = screen.query_one("#saved-state")
        checks = []
        real_check = screen.autosave_check
        screen.autosave_check = lambda: (checks.append(screen.monotonic()), real_check())
        start = screen.monotonic()
        await pilot.press(*"first")
        # Armed for the moment the save falls due: one second after the last keystroke.
        assert screen._check_timer is not None and screen._check_at == pytest.approx(start + 1.0)
        advance(room, 1.1)
        await until(pilot, lambda: answer_rows(room, code, "1001") == {"1": "first"}, "the first save")
        await until(pilot, lambda: text_of(saved_state) == "✓ Saved" and screen._check_timer is None,
                    "the check asleep, with everything saved")
        assert len(checks) <= 3, f"the check ran {len(checks)} times for one save"
        advance(room, 60)  # a minute of thinking: nothing to do
        await pilot.press(*" then more")
        assert "Saving…" in text_of(saved_state)
        advance(room, 1.1)
        await until(pilot, lambda: answer_rows(room, code, "1001") == {"1": "first then more"},
                    "the save after the check woke")
        await until(pilot, lambda: text_of(saved_state) == "✓ Saved", "the label back at saved")


async def test_a_check_armed_for_a_moment_already_past_still_runs_and_saves(room):
    """Found in the room bench (one learner in 30 lost the end of an answer): a Textual one-shot timer whose
    moment has already passed never fires (with a delay of 0 its task dies), so the check stayed armed and
    nothing more was saved until the terminal closed. The check is now armed on the event loop itself."""
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"late words")
        screen._checks_held = False
        advance(room, 2)  # the save fell due a second ago: armed now, the wait is 0
        screen._arm_check()
        await until(pilot, lambda: answer_rows(room, code, "1001") == {"1": "late words"}, "the save, at once")


async def test_continuous_typing_is_saved_within_one_and_a_half_seconds(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        typed = ""
        for ch in "abcdefghijklmnop":  # a key every 0.1 s: never idle
            await pilot.press(ch)
            typed += ch
            advance(room, 0.1)
            screen.autosave_check()
            await settle(pilot)
            if answer_rows(room, code, "1001"):
                break
        assert 1.4 <= len(typed) * 0.1 <= 1.6  # saved once 1.5 s of typing was unsaved
        assert answer_rows(room, code, "1001") == {"1": typed}


async def test_moving_between_questions_saves_at_once_and_remembers_the_place(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"fire")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {"1": "fire"}
        assert screen.current == "2a"
        await pilot.press(*"isolate")
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {"1": "fire", "2a": "isolate"}
        assert screen.query_one("#answer").text == "fire"
        # Jump: ctrl+g moves to the list, Enter on a question opens it.
        await pilot.press("ctrl+g", "down", "down", "enter")
        await settle(pilot)
        assert screen.current == "2b" and screen.focused is screen.query_one("#answer")
        script = room.script_id(code, "1001")
        assert room.db.execute("SELECT current_question FROM scripts WHERE id = ?", [script]).fetchone()[0] == "2b"
        labels = [str(o.prompt) for o in screen.query_one("#question-list").options]
        assert labels[0].startswith("1    [2] ✓") and labels[2].startswith("2b   [5] ·")


async def test_a_long_sitting_does_not_keep_old_footer_keys_alive(room):
    # Every change of focus rebuilds the footer; Textual 8.2.8 would keep every key it ever built
    # (Textualize/textual#6666), so a terminal used for a whole sitting grew without bound.
    import gc

    from textual.widgets._footer import FooterKey

    def footer_keys() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, FooterKey))

    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await writing(pilot, room, code)
        await pilot.press("ctrl+g", "escape", "ctrl+n")
        await settle(pilot)
        before = footer_keys()
        for _ in range(8):
            await pilot.press("ctrl+g", "escape", "ctrl+n")
            await pilot.pause()
        await settle(pilot)
        assert footer_keys() == before, "the footer keys removed while moving around are still in memory"


async def test_a_new_version_is_kept_for_each_save_of_changed_text(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"one")
        advance(room, 1)
        screen.autosave_check()
        await settle(pilot)
        await pilot.press("space", *"two")
        advance(room, 1)
        screen.autosave_check()
        await settle(pilot)
        await pilot.press("ctrl+n")  # unchanged: no new version
        await settle(pilot)
    assert versions(room, code, "1001", "1") == ["one", "one two"]


async def test_flags_show_in_the_list_and_are_stored(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press("ctrl+f")
        await settle(pilot)
        script = room.script_id(code, "1001")
        flags = lambda: [r[0] for r in room.db.execute("SELECT question_id FROM flags WHERE script_id = ?", [script])]  # noqa: E731
        assert flags() == ["1"]
        assert "⚑" in str(screen.query_one("#question-list").options[0].prompt)
        assert "⚑ flagged" in text_of(screen.query_one("#question-heading"))
        await pilot.press("ctrl+f")
        await settle(pilot)
        assert flags() == []


async def test_logging_in_again_after_a_crash_resumes_answers_place_flags_and_time(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"first answer", "ctrl+n", *"second", "ctrl+f")
        advance(room, 1.0)
        screen.autosave_check()
        await settle(pilot)
    room.clock.advance(minutes=10)  # the terminal was dead for ten minutes: the clock kept running
    again = learner_app(room, code, "1001")
    async with again.run_test(size=SIZE) as pilot:
        screen = await logged_in(pilot)
        assert screen.phase == "writing" and screen.current == "2a"
        assert screen.query_one("#answer").text == "second"
        assert screen.answers["1"] == "first answer" and screen.flags == {"2a"}
        assert text_of(screen.query_one("#countdown")) == "Time left 1:19:59"
        # 90 min allowed, 10 min 1 s gone (1 s of typing before the crash).


# --- pause, warnings, time up ---------------------------------------------------------------------------


async def test_a_pause_locks_the_editor_stops_the_time_and_lifts_by_itself(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"before")
        room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
        await time_read(pilot, screen)
        await settle(pilot)
        editor = screen.query_one("#answer")
        assert editor.read_only and screen.query_one("#pause-notice").display
        assert answer_rows(room, code, "1001") == {"1": "before"}  # saved when the pause was seen
        # The paper is out of sight while the clock is stopped (reading time no one else had), and the
        # learner cannot move through it.
        assert not screen.query_one("#question-scroll").display and not screen.query_one("#answer").display
        assert not screen.query_one("#question-nav").display
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.current == "1"
        await pilot.press(*"xyz")
        assert editor.text == "before"
        room.clock.advance(minutes=20)
        await time_read(pilot, screen)
        assert text_of(screen.query_one("#countdown")) == "PAUSED · 1:30:00 left"
        room.sittings.resume(code, reason="all clear", by=INVIGILATOR)
        await time_read(pilot, screen)
        await pilot.pause()
        assert not editor.read_only and not screen.query_one("#pause-notice").display
        assert screen.query_one("#question-scroll").display and editor.display and screen.focused is editor
        await pilot.press(*" after")
        assert editor.text == "before after"


async def test_pausing_one_candidate_locks_only_them(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        room.sittings.pause(code, reason="unwell", by=INVIGILATOR, candidate_number="1001")
        await time_read(pilot, screen)
        await pilot.pause()
        assert screen.query_one("#answer").read_only
        room.sittings.resume(code, reason="better", by=INVIGILATOR, candidate_number="1001")
        await time_read(pilot, screen)
        assert not screen.query_one("#answer").read_only


async def test_warnings_at_ten_five_and_one_minute_change_the_clock(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        clock = screen.query_one("#countdown")
        notes = lambda: [n.message for n in app._notifications]  # noqa: E731
        room.clock.advance(minutes=80)
        await time_read(pilot, screen)
        await pilot.pause()
        assert any(m.startswith("10 minutes left.") for m in notes()) and clock.has_class("-warn-10")
        count = len(notes())
        await time_read(pilot, screen)
        await pilot.pause()
        assert len(notes()) == count  # once
        room.clock.advance(minutes=5)
        await time_read(pilot, screen)
        await pilot.pause()
        assert any(m.startswith("5 minutes left.") for m in notes()) and clock.has_class("-warn-5")
        room.clock.advance(minutes=4)
        await time_read(pilot, screen)
        await pilot.pause()
        assert any(m.startswith("1 minute left.") for m in notes()) and clock.has_class("-warn-1")


async def test_logging_in_with_three_minutes_left_gives_only_the_five_minute_warning(room):
    code = open_sitting(room)
    room.log_in(code, "1001")
    start(room, code)
    room.clock.advance(minutes=87)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await logged_in(pilot)
        messages = [n.message for n in app._notifications]
        assert [m for m in messages if "left" in m] == [
            "Less than 5 minutes left (0:03:00). Your answers are submitted automatically when time runs out."]


async def test_when_time_runs_out_the_script_is_submitted_and_the_learner_is_told(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"last words")
        room.clock.advance(minutes=90) 
        await time_read(pilot, screen)
        await settle(pilot)
        assert screen.phase == "finished"
        assert text_of(screen.query_one("#finished-title")) == "Time is up. Your answers were submitted."
        assert "submitted automatically at 10:30:00" in text_of(screen.query_one("#finished-text"))
        assert screen.query_one("#answer").read_only
        await pilot.press(*"more")  # nothing can be typed any more, and nothing crashes
    status = room.candidate(code, "1001")
    assert status.state.value == "time up" and status.submitted_reason == "time up"


async def test_the_last_seconds_are_saved_before_time_runs_out(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        room.clock.advance(seconds=90 * 60 - 4)
        await time_read(pilot, screen)
        await pilot.press(*"just in time")
        screen.autosave_check()  # in the final seconds every check saves (no idle wait)
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {"1": "just in time"}


async def test_the_invigilator_ending_the_assessment_takes_over_the_screen(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        room.sittings.end(code, by=INVIGILATOR, reason="fire", candidate_number="1001")
        await time_read(pilot, screen)
        await pilot.pause()
        assert screen.phase == "finished"
        assert "The invigilator has ended your assessment" in text_of(screen.query_one("#finished-title"))


async def test_words_typed_just_before_the_invigilator_ends_the_paper_are_named_as_not_saved(room):
    """The end reached the database before the learner's last save: the save is refused (a submitted
    script never changes), but the learner's screen said only "Your saved answers are kept". It now names
    the question typed here but not saved, and the attempt is in the audit log (length and digest)."""
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"First sentence.")
        screen.autosave_check()
        advance(room, 1.1)
        screen.autosave_check()
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {"1": "First sentence."}
        await pilot.press(*" Second, just before the end.")
        room.sittings.end(code, by=INVIGILATOR, reason="time called", candidate_number="1001")
        await time_read(pilot, screen)
        await settle(pilot)
        assert screen.phase == "finished"
        shown = text_of(screen.query_one("#finished-text"))
        assert "Typed here but NOT saved (the end came before the save): question 1." in shown
        assert answer_rows(room, code, "1001") == {"1": "First sentence."}
        refused = [e for e in room.sittings.log(code) if e.action == "change refused"]
        assert refused and refused[-1].details["characters"] == len("First sentence. Second, just before the end.")


async def test_capital_y_and_n_answer_the_learners_questions_as_with_caps_lock_on(room):
    # With Caps Lock on, "Y" and "N" did nothing: a learner was stuck at "Is this you?".
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmNameDialog), "the name to confirm")
        await pilot.press("Y")
        await until(pilot, lambda: isinstance(pilot.app.screen, LearnerSittingScreen), "the paper after a capital Y")
        screen = pilot.app.screen
        hold_timers(screen)
        start(room, code)
        await time_read(pilot, screen)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press("S")
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmSubmitDialog), "are you sure")
        await pilot.press("N")
        await until(pilot, lambda: pilot.app.screen is screen, "back to the paper after a capital N")
        assert screen.phase == "writing"


def everything_shown(app) -> str:
    """Every line the learner's terminal shows: each screen's text and every notification."""
    texts = [text_of(w) for screen in app.screen_stack for w in screen.query(Static)]
    return "\n".join(texts + [n.message for n in app._notifications])


@pytest.mark.parametrize("whole_sitting", [False, True], ids=["one candidate", "the whole sitting"])
async def test_an_end_for_suspected_malpractice_says_so_calmly_and_never_the_reason(room, whole_sitting):
    """The invigilator's reason is a staff record: the learner is told only that their sitting ended."""
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"my answer", "ctrl+n")  # saved: the answers the message says are kept
        await settle(pilot)
        room.sittings.end(code, by=INVIGILATOR, reason="suspected malpractice",
                          candidate_number=None if whole_sitting else "1001")
        await pilot.press(*"more")  # the refused save and the clock both bring the finished screen
        await time_read(pilot, screen)
        await settle(pilot)
        assert screen.phase == "finished"
        shown = everything_shown(app)
        assert "malpractice" not in shown.lower()
        assert text_of(screen.query_one("#finished-title")) == (
            "The invigilator has ended your assessment. Your answers were submitted.")
        finished = text_of(screen.query_one("#finished-text"))
        assert "Your saved answers are kept." in finished
        assert "Please stay seated and wait for the invigilator." in finished
    # The reason is kept for staff: the room's view and the stored script say it.
    assert room.candidate(code, "1001").submitted_reason == "ended by invigilator: suspected malpractice"


async def test_a_learner_closed_before_starting_is_not_told_the_reason(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await logged_in(pilot)  # logged in, the sitting not started yet
        room.sittings.end(code, by=INVIGILATOR, reason="suspected malpractice", candidate_number="1001")
        await time_read(pilot, screen)
        await settle(pilot)
        assert screen.phase == "finished"
        assert "malpractice" not in everything_shown(app).lower()
        assert text_of(screen.query_one("#finished-title")) == "The invigilator has closed this assessment for you."


async def test_a_refused_save_is_shown_and_the_finished_screen_follows(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"typed")
        room.sittings.end(code, by=INVIGILATOR, reason="malpractice", candidate_number="1001")
        await pilot.press("ctrl+n")  # the save is refused by the engine
        await settle(pilot)
        assert screen.phase == "finished"
        assert any("can no longer be changed" in n.message or "ended your assessment" in n.message
                   for n in app._notifications)


# --- review and submit -------------------------------------------------------------------------------


async def test_review_lists_unanswered_and_flagged_and_submit_needs_confirmation(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(*"answer one", "ctrl+n", "ctrl+f", "ctrl+r")
        await pilot.pause()
        review = app.screen
        assert isinstance(review, ReviewDialog)
        assert text_of(review.query_one("#review-unanswered")) == "Not answered: 2a, 2b"
        assert text_of(review.query_one("#review-flagged")) == "Flagged for review: 2a"
        await pilot.press("enter")  # the first listed question: go back to it
        await pilot.pause()
        assert app.screen is screen and screen.current == "2a"
        await pilot.press("ctrl+r", "s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSubmitDialog)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen and screen.phase == "writing"
        assert room.candidate(code, "1001").submitted_at is None
        await pilot.press("ctrl+r", "s", "y")
        await settle(pilot)
        assert screen.phase == "finished"
        assert text_of(screen.query_one("#finished-title")) == "Your answers have been submitted."
    status = room.candidate(code, "1001")
    assert status.state.value == "submitted" and answer_rows(room, code, "1001") == {"1": "answer one"}


# --- lockdown -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c"])
async def test_quitting_asks_for_the_sittings_exit_code(room, key):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ExitCodeDialog)
        assert not app.screen.query("#staff-name")  # no staff name or PIN is ever typed on a learner's terminal
        # In the middle of the screen, as every dialog is (it was drawn over the top-left corner, on the
        # learner's name and the clock).
        box = app.screen.query_one("#exit-dialog").region
        assert abs((box.x + box.width / 2) - SIZE[0] / 2) <= 2 and abs((box.y + box.height / 2) - SIZE[1] / 2) <= 2
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and app.is_running


async def test_wrong_exit_codes_lock_only_this_terminals_dialog_and_never_a_staff_member(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await writing(pilot, room, code)
        await pilot.press("ctrl+q")
        await pilot.pause()
        dialog = app.screen
        said = lambda: text_of(dialog.query_one("#exit-error"))  # noqa: E731
        for _ in range(2):
            await pilot.press(*"000000", "enter")  # checked in a worker
            await until(pilot, lambda: not dialog.checking and said(), "the exit code's answer")
            assert said() == "That is not this sitting's exit code."
            dialog.query_one("#exit-error").update("")
        await pilot.press(*"000000", "enter")
        await until(pilot, lambda: not dialog.checking and said(), "the exit code's answer")
        assert "this terminal's exit is locked until" in said()
        assert dialog.query_one("#exit-code").disabled
        assert app.is_running and app.screen is dialog
    # The invigilator's room view shows the locked terminal; every staff member can still sign in anywhere.
    alerts = room.sittings.status(code).terminal_alerts
    assert [(a.kind, a.locked_until is not None) for a in alerts] == [("exit code", True)]
    assert room.staff.verify_pin(INVIGILATOR, PIN).name == INVIGILATOR
    refused = [e for e in room.sittings.log(code) if e.action == "exit code refused"]
    assert len(refused) == 3 and all(e.details["terminal"] for e in refused)


async def test_the_right_exit_code_saves_and_closes_the_terminal(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await writing(pilot, room, code)
        await pilot.press(*"unsaved words", "ctrl+q")
        await pilot.pause()
        await pilot.press(*room.sittings.status(code).exit_code, "enter")
        await until(pilot, lambda: app.return_code is not None, "the terminal closing")  # checked in a worker
    assert not app.is_running
    assert answer_rows(room, code, "1001") == {"1": "unsaved words"}
    log = room.sittings.log(code)
    assert log[-1].action == "learner terminal closed" and log[-1].candidate_number == "1001"
    assert log[-1].details["with"] == "the sitting's exit code" and log[-1].details["terminal"]


async def test_no_other_screen_and_only_the_learners_own_actions_in_the_palette(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Next", "Prev", "Flag", "Submit…", "Contrast"} <= titles
        assert not titles & {"Theme", "Screenshot", "Keys", "Maximize", "Minimize"}
        from textual.screen import Screen

        await app.push_screen(Screen())
        assert app.screen is screen  # refused
        app.pop_screen()
        await pilot.pause()
        assert app.screen is screen  # the sitting screen cannot be popped off
        app.switch_screen(Screen())
        await pilot.pause()
        assert app.screen is screen


async def test_login_screen_is_locked_too_when_launched_by_marker_tui_sit(room):
    open_sitting(room)
    app = learner_app(room)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.locked_down
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.locked_down and app.is_running  # no sitting typed yet: nothing to take an exit code for
        assert "type the sitting code first" in text_of(app.screen.query_one("#login-error"))
        await pilot.press(*"MON-AM", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ExitCodeDialog)


async def test_high_contrast_switches_on_and_off(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await writing(pilot, room, code)
        before = app.theme
        await pilot.press("f2")
        assert app.theme == HIGH_CONTRAST
        await pilot.press("f2")
        assert app.theme == before


async def test_the_layout_grows_with_a_bigger_terminal(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await writing(pilot, room, code)
        editor = screen.query_one("#answer")
        assert editor.size.width > 120 and editor.size.height > 25


# --- snapshots at 80x24 ---------------------------------------------------------------------------------


# The login's check runs in a worker: each picture waits for its answer, not for one idle moment.


def test_snapshot_login_error(room, snap_compare):
    open_sitting(room)

    async def run_before(pilot):
        await until(pilot, lambda: login_problem(pilot.app) is not None, "the login's answer")

    assert snap_compare(learner_app(room, "WRONG-1", "1001"), terminal_size=SIZE, run_before=run_before)


def test_snapshot_waiting_for_the_sitting_to_open(room, snap_compare):
    code = room.new_sitting(code="MON-AM")
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)

    async def run_before(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, WaitingToOpenScreen), "the waiting screen")

    assert snap_compare(learner_app(room, code, "1001"), terminal_size=SIZE, run_before=run_before)


def test_snapshot_confirm_name(room, snap_compare):
    code = open_sitting(room)

    async def run_before(pilot):
        await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmNameDialog), "the name to confirm")

    assert snap_compare(learner_app(room, code, "1003"), terminal_size=SIZE, run_before=run_before)


def test_snapshot_waiting_for_the_start_with_extra_time(room, snap_compare):
    code = open_sitting(room)

    async def run_before(pilot):
        await logged_in(pilot)

    assert snap_compare(learner_app(room, code, "1002"), terminal_size=SIZE, run_before=run_before)


def writing_snapshot(room, *, contrast: bool = False, then=None):
    code = open_sitting(room)

    async def run_before(pilot):
        screen = await writing(pilot, room, code)
        await pilot.press(*"A trailing cable", "ctrl+f", "ctrl+n", *"Switch off and lock off")
        room.clock.advance(minutes=12, seconds=30)
        await time_read(pilot, screen)
        screen.autosave_check()
        await settle(pilot)
        screen.autosave_check()  # the next 0.1 s check: "✓ Saved"
        if contrast:
            await pilot.press("f2")
        pilot.app.clear_notifications()
        await pilot.pause()
        if then is not None:
            await then(pilot, screen, code)
        pilot.app.clear_notifications()  # toasts expire in real time: not part of a stable picture
        await pilot.pause()

    return learner_app(room, code, "1001"), run_before


def test_snapshot_writing(room, snap_compare):
    app, run_before = writing_snapshot(room)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_writing_high_contrast(room, snap_compare):
    app, run_before = writing_snapshot(room, contrast=True)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_paused(room, snap_compare):
    async def pause(pilot, screen, code):
        room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
        await time_read(pilot, screen)
        await settle(pilot)

    app, run_before = writing_snapshot(room, then=pause)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_review(room, snap_compare):
    async def review(pilot, screen, code):
        await pilot.press("ctrl+r")

    app, run_before = writing_snapshot(room, then=review)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_time_up(room, snap_compare):
    async def time_up(pilot, screen, code):
        room.clock.advance(hours=2)
        await time_read(pilot, screen)
        await settle(pilot)

    app, run_before = writing_snapshot(room, then=time_up)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_quit_asks_for_the_exit_code(room, snap_compare):
    async def quit_(pilot, screen, code):
        await pilot.press("ctrl+q")

    app, run_before = writing_snapshot(room, then=quit_)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def test_from_another_screen_the_login_can_go_back_until_the_learner_logs_in(room):
    """How the home screen uses it: LearnerLoginScreen() pushed, unlocked; locked from the login on."""
    from textual.screen import Screen

    code = open_sitting(room)
    base = Screen()
    app = MarkerApp(centre_for(room), start=base, steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.push_screen(LearnerLoginScreen(monotonic=fake_monotonic(room.clock)))
        await pilot.pause()
        assert not app.locked_down
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is base
        await app.push_screen(LearnerLoginScreen(monotonic=fake_monotonic(room.clock)))
        await pilot.pause()
        await pilot.press(*code, "enter", *"1001", "enter", *room.keycode(code, "1001"), "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmNameDialog), "the name to confirm")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, LearnerSittingScreen), "the sitting screen")
        hold_timers(app.screen)
        assert app.locked_down
        await pilot.press("escape")
        app.pop_screen()
        await pilot.pause()
        assert isinstance(app.screen, LearnerSittingScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ExitCodeDialog)


async def test_while_typing_the_clock_moves_on_with_the_next_keystroke(room):
    """A new second is painted in a keystroke's frame (or at most CLOCK_DEFER_SECONDS later)."""
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        clock = screen.query_one("#countdown")
        room.clock.advance(seconds=1)  # the service's time moves on...
        await pilot.press("a")  # ...and the learner is typing
        await time_read(pilot, screen)
        assert text_of(clock) == "Time left 1:30:00" and screen._clock_timer is not None
        await pilot.press("b")
        assert text_of(clock) == "Time left 1:29:59" and screen._clock_timer is None
        room.clock.advance(seconds=5)  # not typing: painted at once
        await time_read(pilot, screen)
        assert text_of(clock) == "Time left 1:29:54"


# --- centre-ready details (issue 15) ------------------------------------------------------------------


async def test_the_instructions_give_the_learner_their_own_time_and_a_late_arrival_reads_them_first(tmp_path):
    room = build_room(tmp_path / "centre.db", instructions="You have 1 hour 30 minutes for this paper.\n"
                                                          "Spend about 10 minutes reading first.")
    try:
        code = open_sitting(room)
        # 1002 has 25% extra time: 1 h 52 m 30 s, and the instructions say so.
        app = learner_app(room, code, "1002")
        async with app.run_test(size=SIZE) as pilot:
            screen = await logged_in(pilot)
            shown = text_of(screen.query_one("#waiting-instructions"))
            assert "You have 1 hour 52 minutes 30 seconds for this paper." in shown
            assert "about 10 minutes reading" in shown  # other times are left alone
        # 1001 arrives after the start: the instructions are above the first question, with the time
        # left, and the answer box has the keyboard at once.
        start(room, code)
        room.clock.advance(minutes=20)
        app = learner_app(room, code, "1001")
        async with app.run_test(size=SIZE) as pilot:
            screen = await logged_in(pilot)
            assert screen.phase == "writing"
            text = text_of(screen.query_one("#question-text"))
            assert text.startswith("Instructions (ctrl+o shows them again)")
            assert "You have 1 hour 30 minutes for this paper." in text  # no extra time: as printed
            # The late-start rule gives the full allowance from their own start.
            assert "The assessment has started: you have 1 hour 30 minutes left." in text
            assert text.endswith("List two hazards.")
            await pilot.press(*"late words")
            await pilot.pause()
            assert screen.query_one("#answer").text == "late words"
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert not text_of(screen.query_one("#question-text")).startswith("Instructions")
    finally:
        room.db.close()


async def test_shift_s_submits_from_the_review_as_the_button_says(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await writing(pilot, room, code)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ReviewDialog)
        assert "Submit… (S)" in str(app.screen.query_one("#submit").label)
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmSubmitDialog)




async def test_the_command_palette_lists_each_command_once_with_its_key(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        await writing(pilot, room, code)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert len(titles) == len(set(titles))
        assert {"Next", "Prev", "Flag", "Submit…", "Instructions", "Contrast"} <= set(titles)
        assert not {"Scroll Up", "Focus Next", "Page Down"} & set(titles)  # not commands a learner gives
        assert all(c.help.startswith("key: ") and c.title not in c.help for c in commands)


async def test_a_long_question_on_a_small_terminal_scrolls_from_the_answer_box(tmp_path):
    long_question = " ".join(f"Sentence {i} of a long scenario about the benefit centre." for i in range(1, 30))
    room = build_room(tmp_path / "centre.db", first_question=long_question + " List two hazards.")
    try:
        code = open_sitting(room)
        app = learner_app(room, code, "1001")
        async with app.run_test(size=(60, 20)) as pilot:
            screen = await writing(pilot, room, code)
            await pilot.pause()
            hint = text_of(screen.query_one("#answer-hint"))
            assert hint == "More of the question below: ctrl+↓ / ctrl+↑ scroll it"
            box = screen.query_one("#question-scroll")
            await pilot.press(*"my answer")
            while box.scroll_y < box.max_scroll_y:
                before = box.scroll_y
                await pilot.press("ctrl+down")
                await pilot.pause()
                assert box.scroll_y > before
            assert text_of(screen.query_one("#answer-hint")) == "More of the question above: ctrl+↓ / ctrl+↑ scroll it"
            await pilot.press(*" still typing")
            assert screen.query_one("#answer").has_focus  # the answer kept the keyboard throughout
            assert screen.query_one("#answer").text == "my answer still typing"
            await pilot.press("ctrl+up")
            await pilot.pause()
            assert box.scroll_y < box.max_scroll_y
    finally:
        room.db.close()


async def test_the_clock_never_waits_for_the_database_when_time_runs_out(room):
    """The learner's 1-second clock only reads (a snapshot never waits for writers): when time runs
    out while another process holds the write lock, the screen says so at once, and the submission
    is recorded off the screen's thread as soon as the lock is free."""
    import sqlite3

    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        blocker = sqlite3.connect(room.path)
        blocker.execute("BEGIN IMMEDIATE")  # another process writing, e.g. a busy room's saves
        try:
            room.clock.advance(minutes=90)
            await time_read(pilot, screen)
            await pilot.pause()
            assert screen.phase == "finished"
            assert text_of(screen.query_one("#finished-title")) == "Time is up. Your answers were submitted."
            assert "submitted automatically at 10:30:00" in text_of(screen.query_one("#finished-text"))
        finally:
            blocker.rollback()
            blocker.close()
        await app.workers.wait_for_complete()
        await settle(pilot)
    rows = room.db.execute("SELECT finish, submitted_reason FROM scripts WHERE id = ?",
                           [room.script_id(code, "1001")]).fetchall()
    assert rows == [("time up", "time up")]


async def test_a_candidate_number_tab_and_keycode_typed_as_one_burst_each_land_in_their_own_box(room):
    """Fast typing or a slow link: every key after Tab reaches the keycode box, none the number box."""
    from key_bursts import press_burst

    code = open_sitting(room)
    keycode = room.keycode(code, "1001")
    app = learner_app(room, code, None, keycode=None)  # marker-tui sit CODE: the form opens on the number
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is app.screen.query_one("#candidate")
        await press_burst(pilot, *"1001", "tab", *keycode)
        assert (app.screen.query_one("#candidate").value, app.screen.query_one("#keycode").value) == (
            "1001", keycode)
        await press_burst(pilot, "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmNameDialog)  # let in: "Is this you?"


async def test_an_answer_typed_as_one_burst_with_corrections_saves_as_typed(room):
    """Backspace and the arrows act where they were typed, not after the keys that followed them."""
    from key_bursts import press_burst

    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        assert app.focused is screen.query_one("#answer")
        await press_burst(pilot, *"two hazzr", "backspace", "backspace", *"ards", "space", *"wet",
                          "home", *"List ", "end", "backspace", "backspace", "backspace", *"floor")
        assert screen.query_one("#answer").text == "List two hazards floor"
        advance(room, 1)
        screen.autosave_check()
        await settle(pilot)
        assert answer_rows(room, code, "1001") == {"1": "List two hazards floor"}


async def test_the_answer_box_cursor_is_steady_even_where_the_app_lets_cursors_blink(room):
    # A blinking cursor repaints every learner's answer box twice a second: a room on one host pays
    # that in CPU (bench/bench_room.py). Here the app allows blinking (as on a real terminal).
    code = open_sitting(room)
    screen = LearnerLoginScreen(code, "1001", keycode_for(room, code, "1001"), locked=True,
                                monotonic=fake_monotonic(room.clock))
    app = MarkerApp(centre_for(room), start=screen)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        sitting = await writing(pilot, room, code)
        editor = sitting.query_one("#answer", PlainTextArea)
        assert app.cursor_blink  # the app would let it blink
        assert editor.has_focus and not editor.cursor_blink
        await pilot.press(*"steady")
        await pilot.pause()
        assert editor._cursor_visible and not editor.blink_timer._active.is_set()  # shown, and no blink timer running
