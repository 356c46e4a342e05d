"""The marker's screens driven with Pilot: both modes, ticks, overrides, digits, comment bank,
totals, moving on saves (checked in the database), stale saves, reasons, resuming after a restart;
and snapshots at 80x24 and 160x48."""

from __future__ import annotations

import asyncio
import time

import pytest

from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.marking import MarkingQueueScreen, MarkingScreen, reflow
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.tui.widgets.marking_dialogs import CommentBankDialog, ConfirmDialog, ReasonDialog
from marker_tui.interfaces.tui.widgets.marking_points import PointsList
from marker_tui.services.centre import Centre
from marker_tui.services.marking import MarkState
from marker_tui.storage.database import open_database
from marking_fixtures import ANA, BEN, MarkingRoom, build_marking_room

NUMBERS = {"1001": "4101", "1002": "4102", "1003": "4103", "1005": "4105"}


def fix_script_numbers(built) -> None:
    """NUMBERS for those candidates; the others 49xx. All moved out of the way of the random numbers
    first: SQLite checks uniqueness row by row, so a random 4102 could clash mid-renumbering."""
    built.db.execute("UPDATE scripts SET script_number = 'x' || id")
    for candidate, number in NUMBERS.items():
        built.db.execute("UPDATE scripts SET script_number = ? WHERE id = ?", [number, built.script(candidate)])
    built.db.execute("UPDATE scripts SET script_number = '49' || substr('0' || id, -2) WHERE script_number LIKE 'x%'")


@pytest.fixture
def mroom(tmp_path):
    """The marking room with fixed script numbers (4101 is candidate 1001's...), for snapshots."""
    built = build_marking_room(tmp_path / "marker.db")
    fix_script_numbers(built)
    yield built
    built.room.db.close()


def app_for(m: MarkingRoom, screen=None, *, marker: str = ANA, centre: Centre | None = None) -> MarkerApp:
    centre = centre or Centre(db=m.db, clock=m.clock)
    return MarkerApp(centre, start=screen or MarkingQueueScreen(m.code, marker, resume=False), steady=True)


async def until(pilot, check, timeout: float = 30.0) -> None:
    """Let the app work (saves run in threads) until ``check()`` holds (a deadline budgeted for a
    loaded 2-core CI machine running three test workers: 5 s was not enough there)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the screen did not get there in time")
        await asyncio.sleep(0.02)


def text_of(app, selector: str) -> str:
    widget = app.screen.query_one(selector)
    rendered = widget.render()
    return str(getattr(rendered, "plain", rendered))


def showing_a_question(app) -> bool:
    """The marking screen has loaded and shows a question: it is pushed with its script, and picks
    the question once its first service call has answered (a moment later on a loaded machine)."""
    return isinstance(app.screen, MarkingScreen) and app.screen.script is not None \
        and app.screen.question_id is not None


def marking(app) -> MarkingScreen:
    assert isinstance(app.screen, MarkingScreen)
    return app.screen


def mark_row(m: MarkingRoom, candidate: str, question: str):
    return m.db.execute("SELECT marks_awarded, credited_points, comment, version FROM marks WHERE script_id = ?"
                        " AND question_id = ?", [m.script(candidate), question]).fetchone()


async def open_first_script(pilot) -> MarkingScreen:
    await until(pilot, lambda: pilot.app.screen.query_one("#queue").row_count == 3)
    await pilot.press("enter")
    await until(pilot, lambda: showing_a_question(pilot.app))
    return pilot.app.screen


# --- the queue --------------------------------------------------------------------------------


async def test_the_queue_is_blind_and_shows_state_and_who_holds_each_script(mroom):
    mroom.marking.open_script(mroom.script("1002"), by=BEN)
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 3)
        table = app.screen.query_one("#queue")
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[0] for r in rows] == ["4101", "4102", "4103"]
        assert rows[1][1:3] == ["in progress", BEN] and rows[0][1] == "unmarked"
        summary = text_of(app, "#queue-summary")
        assert "3 scripts: 0 complete · 1 in progress · 2 unmarked · 1 absent" in summary
        assert "blind" in summary
        screen_text = " ".join(" ".join(r) for r in rows)
        assert "Amira" not in screen_text and "1001" not in screen_text


async def test_a_script_another_marker_holds_cannot_be_opened(mroom):
    mroom.marking.open_script(mroom.script("1001"), by=BEN)
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 3)
        await pilot.press("enter")  # 4101, Ben's
        await until(pilot, lambda: "being marked by Ben Okafor" in text_of(app, "#queue-message"))
        assert isinstance(app.screen, MarkingQueueScreen)
        await pilot.press("n")  # next to mark: not Ben's
        await until(pilot, lambda: showing_a_question(app))
        assert marking(app).script.script_number == "4102"


# --- marking by script ---------------------------------------------------------------------------


async def test_ticking_points_moves_the_suggested_mark_and_moving_on_saves(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        assert screen.question_id == "1" and screen.script.script_number == "4101"
        assert screen.query_one("#answer").text == "Trailing cables\nwet floors"  # exactly as typed
        await pilot.press("space")
        await until(pilot, lambda: screen.query_one("#mark-input", TextInput).value == "1")
        await pilot.press("down", "space")
        await until(pilot, lambda: screen.query_one("#mark-input", TextInput).value == "2")
        assert "ticks 2" in text_of(app, "#mark-hint") and "unsaved" in text_of(app, "#mark-hint")
        assert mark_row(mroom, "1001", "1") is None  # nothing saved yet
        await pilot.press("n")
        await until(pilot, lambda: screen.question_id == "2a")
        assert mark_row(mroom, "1001", "1") == (2, "[0, 1]", None, 1)
        assert "Saved question 1: 2 marks." in text_of(app, "#message")


async def test_digits_enter_and_override_the_mark_and_out_of_range_is_refused(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("space")  # tick point 1: suggests 1
        await until(pilot, lambda: screen.edit.mark_text == "1")
        await pilot.press("2")  # the marker's judgement: 2
        await until(pilot, lambda: "override" in text_of(app, "#mark-hint"))
        await pilot.press("7")
        await until(pilot, lambda: "7 is outside the allowed range" in text_of(app, "#message"))
        assert screen.edit.mark_text == "2" and screen.query_one("#mark-input", TextInput).value == "2"
        await pilot.press("space")  # unticking does not move an override
        await until(pilot, lambda: screen.edit.ticks == set())
        assert screen.edit.mark_text == "2"
        await pilot.press("a")  # use the ticks' mark
        await until(pilot, lambda: screen.edit.mark_text == "0")
        await pilot.press("1", "n")
        await until(pilot, lambda: screen.question_id == "2a")
        assert mark_row(mroom, "1001", "1")[0] == 1


async def test_a_typed_mark_out_of_range_blocks_moving_on_with_the_rules_message(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        screen.query_one("#mark-input", TextInput).focus()
        await pilot.press("9", "enter", "n")
        await until(pilot, lambda: "Question 1: 9 is outside the allowed range; enter a whole number from 0 to 2."
                    in text_of(app, "#message"))
        assert screen.question_id == "1" and mark_row(mroom, "1001", "1") is None
        assert "0-2 only" in text_of(app, "#mark-hint")


@pytest.mark.parametrize("typed", ["1.5", "-1"])
async def test_a_mark_that_is_not_a_whole_number_is_refused_in_words_not_turned_into_another(mroom, typed):
    # The box took digits only: "1.5" quietly became 15 and "-1" became 1 (a mark, on a question worth that).
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        screen.query_one("#mark-input", TextInput).focus()
        await pilot.press(*typed, "enter", "n")
        await until(pilot, lambda: f'Question 1: "{typed}" is not a whole number of marks' in text_of(app, "#message"))
        assert screen.question_id == "1" and mark_row(mroom, "1001", "1") is None


async def test_a_draft_typed_over_a_mark_changed_since_is_said_and_dropped_not_replayed(mroom):
    # Two screens on one script: the second's typed mark was refused as a clash, but kept as a draft; at
    # every later visit it was restored over the saved mark and refused again, with the old clash's time.
    script = mroom.script("1001")
    mroom.marking.save_mark(script, "1", 2, by=ANA, expected_version=0, hold=False)  # the first screen's
    # The second screen, opened before that save, kept its typed 1 as a draft over version 0.
    mroom.marking.save_draft(script, "1", by=ANA, marks_text="1", ticks=[], comment="", base_version=0)
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        assert screen.question_id == "1" and screen.edit.mark_text == "2"  # the saved mark, not the draft
        await until(pilot, lambda: "What you typed for question 1 earlier (1) was not saved" in text_of(app, "#message"))
        assert f"it is now 2 from {ANA}" in text_of(app, "#message")
        await until(pilot, lambda: "1" not in mroom.marking.view_script(script, by=ANA).drafts)
        await pilot.press("n")  # moving on is not refused by an old clash
        await until(pilot, lambda: screen.question_id == "2a")


async def test_totals_per_outcome_and_the_result_follow_every_change(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("2")
        await until(pilot, lambda: "O1 2/5" in text_of(app, "#totals"))
        assert "2/10 so far" in text_of(app, "#totals") and "includes unsaved" in text_of(app, "#totals")
        await pilot.press("n", "3", "n", "1")
        await until(pilot, lambda: "Total 6/10 (60.0%) PASS" in text_of(app, "#totals"))
        assert "O1 5/5 O2 1/5" in text_of(app, "#totals")
        await pilot.press("backspace")  # not a mark key: nothing changes
        await pilot.press("0")
        await until(pilot, lambda: "FAIL" in text_of(app, "#totals"))
        assert "total 5 is below the pass mark 6" in text_of(app, "#totals")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: mark_row(mroom, "1001", "2b") is not None)
        assert mroom.marking.result(mroom.script("1001")).status == "fail"


async def test_comment_box_and_comment_bank(mroom):
    mroom.marking.add_comment(mroom.code, "1", "Name two distinct hazards.", by=BEN)
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("1", "c")
        await pilot.press(*"Only one")
        await pilot.press("enter")  # back to the points
        assert screen.edit.comment == "Only one"
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, CommentBankDialog))
        await pilot.press("a")  # add "Only one" to the bank
        await until(pilot, lambda: len(mroom.marking.comments(mroom.code, "1")) == 2)
        await pilot.press("1")  # pick the first bank comment
        await until(pilot, lambda: isinstance(app.screen, MarkingScreen))
        assert screen.edit.comment == "Only one Name two distinct hazards."
        await pilot.press("n")
        await until(pilot, lambda: screen.question_id == "2a")
        assert mark_row(mroom, "1001", "1")[2] == "Only one Name two distinct hazards."


async def test_the_comment_box_does_not_eat_digits_or_letters_meant_for_it(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("c", "2", " ", "n", "d")
        assert screen.edit.comment == "2 nd" and screen.edit.mark_text == ""
        assert screen.question_id == "1"
        await pilot.press("escape")  # leaves the box, not the screen
        assert isinstance(app.screen, MarkingScreen)


async def test_complete_asks_for_confirmation_then_opens_the_next_script(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("d")
        await until(pilot, lambda: "cannot be complete yet" in text_of(app, "#message"))
        await pilot.press("2", "n", "3", "n", "4", "d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MarkingScreen) and screen.script.script_number == "4102")
        row = mroom.marking.queue(mroom.code).row(mroom.script("1001"))
        assert row.state is MarkState.COMPLETE and row.completed_by == ANA and row.provisional_total == 9
        assert "Script 4101 complete: 9/10, pass. Now script 4102." in text_of(app, "#message")


async def test_changing_a_completed_script_asks_for_a_reason(mroom):
    script = mroom.script("1001")
    for q, v in (("1", 2), ("2a", 3), ("2b", 4)):
        mroom.marking.save_mark(script, q, v, by=ANA, expected_version=0)
    mroom.marking.complete(script, by=ANA)
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        assert "complete (Ana Lopes): changes need a reason" in text_of(app, "#totals")
        await pilot.press("1", "n")
        await until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press("escape")  # cancelled: nothing saved, still on question 1
        await until(pilot, lambda: "only with a reason" in text_of(app, "#message"))
        assert mark_row(mroom, "1001", "1")[0] == 2 and screen.question_id == "1"
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"second look", "enter")
        await until(pilot, lambda: screen.question_id == "2a")
        assert mark_row(mroom, "1001", "1")[0] == 1
        assert mroom.marking.history(script, "1")[-1].reason == "second look"


async def test_a_stale_save_is_refused_on_screen_and_reload_shows_the_other_change(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        # Ana again, in a second terminal (her own claim does not stop her): she gives 1 there.
        other = mroom.other_engine()
        other.save_mark(mroom.script("1001"), "1", 1, by=ANA, expected_version=0)
        await pilot.press("2", "n")
        await until(pilot, lambda: "changed this mark at" in text_of(app, "#message"))
        assert "reload to see it" in text_of(app, "#message") and screen.question_id == "1"
        assert mark_row(mroom, "1001", "1")[0] == 1
        await pilot.press("r")
        await until(pilot, lambda: "Reloaded: question 1 has 1 mark from Ana Lopes (your 2 was not saved)."
                    in text_of(app, "#message"))
        assert screen.edit.mark_text == "1" and screen.edit.base_version == 1
        other.db.close()


def drafts_of(m: MarkingRoom, candidate: str) -> dict:
    return m.marking.view_script(m.script(candidate), by=ANA).drafts


async def type_mark_then_escape(pilot, mroom, mark: str, *, in_the_box: bool = False) -> ConfirmDialog:
    """Type a mark (its half-second draft stored), then Esc: the question about it. Typed in the
    mark box, the first Esc leaves the box and the second the question."""
    screen = await open_first_script(pilot)
    if in_the_box:
        screen.query_one("#mark-input", TextInput).focus()
    await pilot.press(*mark)
    await until(pilot, lambda: drafts_of(mroom, "1001").get("1") is not None)
    if in_the_box:
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(pilot.app.focused, TextInput))
        assert isinstance(pilot.app.screen, MarkingScreen)
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmDialog))
    assert screen.question_id == "1"
    return pilot.app.screen


async def test_escape_with_a_typed_mark_asks_and_discard_stores_nothing(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await type_mark_then_escape(pilot, mroom, "2")
        assert text_of(app, "#confirm-question") == "Save the mark of 2 for Q1 before leaving?"
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MarkingQueueScreen))
        await until(pilot, lambda: "was discarded" in text_of(app, "#queue-message"))
        assert text_of(app, "#queue-message") == "Not saved: your mark of 2 for question 1 was discarded."
        assert dialog not in app.screen_stack
    assert mark_row(mroom, "1001", "1") is None and drafts_of(mroom, "1001") == {}
    assert mroom.audit("mark given") == []
    assert mroom.marking.queue(mroom.code).row(mroom.script("1001")).held_by is None  # released


async def test_escape_with_a_typed_mark_then_save_stores_it_audited_and_says_so(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_mark_then_escape(pilot, mroom, "2", in_the_box=True)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MarkingQueueScreen))
        await until(pilot, lambda: "Saved question 1" in text_of(app, "#queue-message"))
        assert text_of(app, "#queue-message") == "Saved question 1: 2 marks."
    assert mark_row(mroom, "1001", "1")[0] == 2 and drafts_of(mroom, "1001") == {}
    [given] = mroom.audit("mark given")
    assert given.actor == ANA and given.details["question"] == "1" and given.details["new"]["marks"] == 2


async def test_escape_twice_stays_on_the_question_with_the_mark_unsaved(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_mark_then_escape(pilot, mroom, "2")
        await pilot.press("escape")  # stay
        await until(pilot, lambda: isinstance(app.screen, MarkingScreen))
        await until(pilot, lambda: "Still on question 1" in text_of(app, "#message"))
        assert marking(app).edit.mark_text == "2"
    assert mark_row(mroom, "1001", "1") is None and mroom.audit("mark given") == []


async def test_saving_a_refused_mark_on_leaving_stays_and_says_why(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_mark_then_escape(pilot, mroom, "5", in_the_box=True)  # question 1 is out of 4
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, MarkingScreen) and "5" in text_of(app, "#message"))
        assert marking(app).edit.mark_text == "5"
        assert mark_row(mroom, "1001", "1") is None
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MarkingQueueScreen))
    assert mark_row(mroom, "1001", "1") is None and drafts_of(mroom, "1001") == {}


async def test_escape_with_nothing_typed_leaves_without_asking(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_script(pilot)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MarkingQueueScreen))


# --- marking by question ---------------------------------------------------------------------------


async def test_by_question_escape_with_a_typed_mark_asks_before_leaving_too(mroom):
    app = app_for(mroom, MarkingScreen(mroom.code, ANA, mode="question", script=None, question_id="2b"))
    app.NOTIFICATION_TIMEOUT = 600  # toasts expire in real time: kept until the test has read them
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: marking(app).script is not None)
        await pilot.press("4", "escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert text_of(app, "#confirm-question") == "Save the mark of 4 for Q2b before leaving?"
        await pilot.press("y")
        await until(pilot, lambda: any(n.message == "Saved question 2b: 4 marks." for n in app._notifications))
    assert mark_row(mroom, "1001", "2b")[0] == 4
    assert [e.details["question"] for e in mroom.audit("mark given")] == ["2b"]


async def test_marking_by_question_goes_across_scripts_and_saves_without_claiming(mroom):
    mroom.marking.open_script(mroom.script("1002"), by=BEN)  # Ben holds 4102
    app = app_for(mroom, MarkingScreen(mroom.code, ANA, mode="question", script=None, question_id="2b"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: marking(app).script is not None)
        screen = marking(app)
        assert screen.question_id == "2b" and screen.script.script_number == "4101"
        await pilot.press("4", "n")
        await until(pilot, lambda: screen.script.script_number == "4102")
        assert mark_row(mroom, "1001", "2b")[0] == 4
        assert mroom.marking.queue(mroom.code).row(mroom.script("1001")).held_by is None
        # 4102 is Ben's: readable, not changeable.
        assert screen.read_only and screen.query_one("#answer").text == "  spaces kept   exactly  \n\n\tand tabs"
        await pilot.press("3")
        await until(pilot, lambda: "being marked by Ben Okafor" in text_of(app, "#message"))
        assert screen.edit.mark_text == ""
        await pilot.press("n", "5", "right_square_bracket")  # 4103 gets 5; 2b is the last question
        await until(pilot, lambda: "No more questions that way" in text_of(app, "#message"))
        assert mark_row(mroom, "1003", "2b")[0] == 5
        await pilot.press("left_square_bracket")  # question 2a, from its first unmarked script
        await until(pilot, lambda: screen.question_id == "2a")
        assert screen.script.script_number == "4101"


async def test_marking_by_question_skips_completed_scripts_and_never_asks_for_a_reason(mroom):
    done = mroom.script("1002")
    for q, v in (("1", 2), ("2a", 3), ("2b", 4)):
        mroom.marking.save_mark(done, q, v, by=ANA, expected_version=0)
    mroom.marking.complete(done, by=ANA)
    app = app_for(mroom, MarkingScreen(mroom.code, ANA, mode="question", script=None, question_id="1"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: marking(app).script is not None)
        screen = marking(app)
        assert screen.script.script_number == "4101"
        await pilot.press("n")  # 4102 is complete: straight on to 4103
        await until(pilot, lambda: screen.script.script_number == "4103")
        await pilot.press("p")
        await until(pilot, lambda: screen.script.script_number == "4101")
        # Reached another way (switching mode on it), a completed script is read-only by question.
        await screen._load(done, claim=False, question_id="1")
        await pilot.pause()
        assert "complete (Ana Lopes): read-only when marking by question" in text_of(app, "#message")
        await pilot.press("1")
        await pilot.pause()
        assert not isinstance(app.screen, ReasonDialog)
        assert screen.edit.mark_text == "2"
    assert mark_row(mroom, "1002", "1")[0] == 2


async def test_marking_by_question_starts_on_the_first_unfinished_script_not_a_completed_first_one(mroom):
    done = mroom.script("1001")
    for q, v in (("1", 2), ("2a", 3), ("2b", 4)):
        mroom.marking.save_mark(done, q, v, by=ANA, expected_version=0)
    mroom.marking.complete(done, by=ANA)
    app = app_for(mroom, MarkingScreen(mroom.code, ANA, mode="question", script=None, question_id="1"))
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: marking(app).script is not None)
        screen = marking(app)
        assert screen.script.script_number == "4102" and screen.read_only is None
        await pilot.press("p")  # 4101 is complete: there is nothing before 4102 to mark
        await pilot.pause()
        assert screen.script.script_number == "4102"
        assert "No earlier script to mark for this question" in text_of(app, "#message")


async def test_a_long_answer_scrolls_from_the_marking_keys_whatever_has_focus(tmp_path, monkeypatch):
    import marking_fixtures

    long_answer = "\n".join(f"line {n} of a long answer" for n in range(1, 61))
    for answers in marking_fixtures.ANSWERS.values():  # whichever script opens first
        monkeypatch.setitem(answers, "1", long_answer)
    room = build_marking_room(tmp_path / "long.db")
    app = app_for(room)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_first_script(pilot)
        area = screen.query_one("#answer")
        assert screen.question_id == "1" and area.scroll_y == 0 and not area.has_focus
        assert "line 1 of a long answer" in area.text
        assert "PgUp/PgDn scroll" in text_of(app, "#answer-label")
        await pilot.press("pagedown")  # focus on the points list
        await pilot.pause()
        first = area.scroll_y
        assert first > 0
        await pilot.press("c", *"ok", "ctrl+down")  # typing a comment: still scrolls the answer
        await pilot.pause()
        assert area.scroll_y > first and screen.query_one("#comment").value == "ok"
        await pilot.press("pageup", "pageup", "pageup", "pageup")
        await pilot.pause()
        assert area.scroll_y == 0
    room.room.db.close()


async def test_switching_modes_keeps_the_place_and_claims_only_by_script(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("n")  # question 2a of 4101
        await until(pilot, lambda: screen.question_id == "2a")
        await pilot.press("m")
        await until(pilot, lambda: screen.mode == "question")
        assert (screen.question_id, screen.script.script_number) == ("2a", "4101")
        assert mroom.marking.queue(mroom.code).row(mroom.script("1001")).held_by is None
        assert "By question" in text_of(app, "#mark-title")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Next script" in titles and "Next question" in titles
        await pilot.press("n")  # by question, n is the next script
        await until(pilot, lambda: screen.script.script_number == "4102")
        await pilot.press("m")
        await until(pilot, lambda: screen.mode == "script")
        assert mroom.marking.queue(mroom.code).row(mroom.script("1002")).held_by == ANA


# --- resuming ----------------------------------------------------------------------------------------


async def test_after_a_restart_the_marker_is_back_on_their_script_with_what_they_typed(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("2", "n", "1", "c", *"half way")
        await until(pilot, lambda: mroom.marking.view_script(mroom.script("1001"), by=ANA).drafts["2a"].comment
                    == "half way")
    # The terminal died: a new process, a new connection, the same file.
    db = open_database(mroom.room.path)
    centre = Centre(db=db, clock=FakeClock(mroom.clock.now()))
    again = MarkerApp(centre, start=MarkingQueueScreen(mroom.code, ANA), steady=True)
    async with again.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: showing_a_question(again))
        screen = again.screen
        assert screen.script.script_number == "4101" and screen.question_id == "2a"
        assert (screen.edit.mark_text, screen.edit.comment) == ("1", "half way")
        assert "Restored what you had typed" in text_of(again, "#message")
        assert screen.script.marks["1"].marks_awarded == 2  # the saved mark is there too
        await pilot.press("n")
        await until(pilot, lambda: screen.question_id == "2b")
        assert mark_row(mroom, "1001", "2a") == (1, "[]", "half way", 1)
    db.close()


async def test_every_key_of_the_marking_screen_is_in_the_command_palette(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_script(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Mark", "Next question", "Next script", "Comment", "Bank", "Complete", "Mode", "Back",
                "Feedback", "Reload", "Save", "Use ticks' mark"} <= titles


async def test_points_are_shown_whole_and_ticked_from_the_saved_mark(mroom):
    mroom.marking.save_mark(mroom.script("1001"), "1", 1, ticks=[1], by=ANA, expected_version=0)
    app = app_for(mroom)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_first_script(pilot)
        await pilot.press("p")
        await until(pilot, lambda: screen.question_id == "1")
        points = screen.query_one("#points", PointsList)
        assert points.ticked == {1} and screen.edit.mark_text == "1"


def test_paper_text_is_reflowed_but_paragraphs_and_lists_kept():
    assert reflow("one\ntwo\n\n- a\n- b\nc") == "one two\n\n- a\n- b c"


# --- snapshots ---------------------------------------------------------------------------------------


async def _open_and_tick(pilot) -> None:
    await open_first_script(pilot)
    await pilot.press("space")
    await until(pilot, lambda: pilot.app.screen.edit.mark_text == "1")
    await pilot.pause()


def test_queue_snapshot_80x24(mroom, snap_compare):
    mroom.marking.save_mark(mroom.script("1002"), "1", 1, by=BEN, expected_version=0)

    async def settle(pilot):
        await until(pilot, lambda: pilot.app.screen.query_one("#queue").row_count == 3)

    assert snap_compare(app_for(mroom), terminal_size=(80, 24), run_before=settle)


def test_marking_screen_snapshot_80x24(mroom, snap_compare):
    assert snap_compare(app_for(mroom), terminal_size=(80, 24), run_before=_open_and_tick)


def test_marking_screen_snapshot_160x48(mroom, snap_compare):
    assert snap_compare(app_for(mroom), terminal_size=(160, 48), run_before=_open_and_tick)


async def test_two_digits_typed_together_make_a_mark_of_ten_or_more(tmp_path):
    from marker_tui.domain.markscheme import MarkScheme
    from marker_tui.domain.paper import QuestionPaper
    from marker_tui.services.papers import PaperService
    from sitting_fixtures import ADMIN, INVIGILATOR, PIN, build_room

    room = build_room(tmp_path / "long.db")
    room.staff.add(ANA, ["marker"], PIN, by=ADMIN)
    paper = QuestionPaper.model_validate({
        "qualification": "9999-01", "unit": "102", "version": "1", "time_allowance_minutes": 60,
        "instructions": "Answer.", "questions": [{"id": "1", "outcome": 1, "command_verb": "discuss",
                                                  "marks": 12, "text": "Discuss."}]})
    scheme = MarkScheme.model_validate({
        "qualification": "9999-01", "unit": "102", "paper_version": "1", "pass_rule": {"pass_mark": 6},
        "questions": [{"id": "1", "max_marks": 12, "points": [{"text": "a point", "marks": 4}]}]})
    stored = PaperService(room.db, room.clock).store(paper, scheme)
    code = room.sittings.create_sitting(stored.id, by=INVIGILATOR, code="LONG-1").code
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    room.log_in(code, "1001")
    room.sittings.start(code, by=INVIGILATOR)
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "1", "A long answer.")
    room.learners.submit(script)
    app = MarkerApp(Centre(db=room.db, clock=room.clock), start=MarkingQueueScreen(code, ANA), steady=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 1)
        await pilot.press("enter")
        await until(pilot, lambda: showing_a_question(app))
        screen = app.screen
        typing = [100.0]
        screen.monotonic = lambda: typing[0]  # keys come together unless the test says otherwise
        await pilot.press("1", "2")
        await until(pilot, lambda: screen.edit.mark_text == "12")
        await pilot.press("5")  # 125 is no mark: a new entry of 5
        await until(pilot, lambda: screen.edit.mark_text == "5")
        await pilot.press("1")
        await until(pilot, lambda: screen.edit.mark_text == "1")
        typing[0] += 5  # the marker paused: the next digit starts a new mark
        await pilot.press("0")
        await until(pilot, lambda: screen.edit.mark_text == "0")
        await pilot.press("1", "0", "ctrl+s")
        await until(pilot, lambda: room.db.execute("SELECT marks_awarded FROM marks").fetchone() == (10,))
    room.db.close()


async def test_mark_by_question_from_the_queue_starts_at_the_first_question_not_fully_marked(mroom):
    for candidate in ("1001", "1002", "1003"):
        mroom.marking.save_mark(mroom.script(candidate), "1", 1, by=BEN, expected_version=0, hold=False)
    assert mroom.marking.marked_counts(mroom.code) == {"1": 3, "2a": 0, "2b": 0}
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 3)
        await pilot.press("m")
        await until(pilot, lambda: type(app.screen).__name__ == "QuestionPicker")
        await pilot.press("enter")
        await until(pilot, lambda: showing_a_question(app))
        assert app.screen.mode == "question" and app.screen.question_id == "2a"


async def test_overall_feedback_and_next_steps_from_the_marking_screen(mroom):
    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_first_script(pilot)
        await pilot.press("f")
        await until(pilot, lambda: type(app.screen).__name__ == "FeedbackDialog")
        await pilot.press(*"Clear and safe.", "tab", *"Cite the regulations.", "ctrl+s")
        await until(pilot, lambda: "Feedback saved." in text_of(app, "#message"))
        loaded = mroom.marking.view_script(mroom.script("1001"))
        assert (loaded.overall_feedback, loaded.next_steps) == ("Clear and safe.", "Cite the regulations.")


async def test_the_marking_list_answers_keys_while_another_process_holds_the_database(mroom):
    """Opening a script is a write; while another program holds the write lock it waits on a
    worker thread, and the marking list keeps answering keys meanwhile."""
    import sqlite3

    app = app_for(mroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 3)
        table = app.screen.query_one("#queue")
        assert table.cursor_row == 0
        blocker = sqlite3.connect(mroom.room.path)
        blocker.execute("BEGIN IMMEDIATE")  # another terminal saving
        try:
            await pilot.press("enter")  # claims script 4101: must wait for the lock
            await pilot.pause()
            await pilot.press("down")
            await pilot.pause()
            assert table.cursor_row == 1  # the key was handled while the claim waits
            assert isinstance(app.screen, MarkingQueueScreen)
        finally:
            blocker.rollback()
            blocker.close()
        # The claim, then the script's load: two calls, each in its worker.
        await until(pilot, lambda: showing_a_question(app))
        assert app.screen.script.script_number == "4101"
