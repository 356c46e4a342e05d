"""The marker's standardisation flow and the lead assessor's screen, driven with Pilot."""

from __future__ import annotations

import asyncio
import time

from marker_tui.domain.standardisation import Standing
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.marking import MarkingQueueScreen, MarkingScreen, SittingPickerScreen
from marker_tui.interfaces.tui.screens.standardisation import (
    LeadAssessorScreen,
    StandardisationMarkScreen,
    StandardisationResultScreen,
    StandardisationScreen,
)
from marker_tui.interfaces.tui.widgets.dialogs import ReasonDialog
from standardisation_fixtures import ANA, BEN, LEAD, PAPER, give_control, sroom, suspend  # noqa: F401 - sroom is a fixture


async def until(pilot, check, timeout: float = 30.0) -> None:  # budgeted for a loaded CI machine
    """Let the app work (service calls run in threads) until ``check()`` holds."""
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
    rendered = app.screen.query_one(selector).render()
    return str(getattr(rendered, "plain", rendered))


async def mark_and_submit(pilot, values: tuple[int, int, int]) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, StandardisationMarkScreen))
    for value in values:
        await pilot.press(str(value), "enter")
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, StandardisationResultScreen))


async def test_a_marker_qualifies_on_screen_before_claiming_live_scripts(sroom):
    sroom.standard_set()
    app = MarkerApp(sroom.centre, start=MarkingQueueScreen(sroom.live, ANA, resume=False), steady=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 4)
        await pilot.press("enter")
        await until(pilot, lambda: "qualification scripts" in text_of(app, "#queue-message"))
        assert "s on the marking queue opens standardisation" in text_of(app, "#queue-message")
        assert not isinstance(app.screen, MarkingScreen)

        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StandardisationScreen)
                    and app.screen.query_one("#std-items").row_count == 3)
        assert "mark its qualification scripts" in text_of(app, "#std-standing")
        # A practice script first: its definitive marks and rationale are shown after it, question by question.
        app.screen.query_one("#std-items").move_cursor(row=0)
        await pilot.press("enter")
        await mark_and_submit(pilot, (0, 1, 3))
        assert text_of(app, "#std-summary").startswith("Out of tolerance: question 1 (2 marks under")
        table = app.screen.query_one("#std-compare")
        assert [str(c) for c in table.get_row_at(0)] == ["1", "0", "2", "out", "why 1 earns 2"]
        await pilot.press("escape")

        # The two qualification scripts, within tolerance: qualified.
        for values in ((2, 3, 4), (1, 2, 3)):
            await until(pilot, lambda: isinstance(app.screen, StandardisationScreen)
                        and app.screen.standing.next_script is not None)
            await pilot.press("enter")
            await mark_and_submit(pilot, values)
            assert text_of(app, "#std-summary").startswith("Within tolerance")
            assert not app.screen.query_one("#std-compare").display  # blind: nothing to learn from here
            if values == (1, 2, 3):
                assert text_of(app, "#std-next") == "You may now mark live scripts of this paper."
            await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, StandardisationScreen)
                    and "Qualified to mark 9999-01/101" in text_of(app, "#std-standing"))
        await pilot.press("escape")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MarkingScreen) and app.screen.script is not None)


async def test_the_lead_assessor_sees_a_suspended_marker_and_reinstates_them_with_a_reason(sroom):
    suspend(sroom)
    app = MarkerApp(sroom.centre, start=LeadAssessorScreen(LEAD), steady=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#std-markers").row_count == 2)
        assert text_of(app, "#std-alerts").startswith(f"{ANA} is suspended from live marking of {PAPER}")
        markers = app.screen.query_one("#std-markers")
        assert [str(c) for c in markers.get_row_at(0)[:3]] == [ANA, "suspended", "2"]
        assert app.screen.query_one("#std-scripts").row_count == 2  # the two control scripts
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press("enter")  # no reason: refused in the dialog
        assert isinstance(app.screen, ReasonDialog)
        for key in "talked it through":
            await pilot.press("space" if key == " " else key)
        await pilot.press("enter")
        await until(pilot, lambda: "reinstated" in text_of(app, "#std-message"))
        await until(pilot, lambda: text_of(app, "#std-alerts") == "")
        assert sroom.std.standing(PAPER, ANA).qualification.cleared

        # Choosing a script for standardisation from the screen.
        number = sroom.number(sroom.old, "1001")
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ReasonDialog))
        for key in f"OLD-1 {number} qualification":
            await pilot.press("space" if key == " " else ("minus" if key == "-" else key))
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query_one("#std-scripts").row_count == 3)
        assert "Qualification 1" in text_of(app, "#std-message")
    assert sroom.std.standing(PAPER, BEN).qualification.standing is Standing.NO_STANDARDISATION


async def test_the_sitting_list_counts_the_scripts_the_marker_s_queue_shows_control_script_included(sroom):
    # The list counted without the marker's control script (4) while their queue showed 5 rows: a
    # marker comparing the two could tell a control script was among them.
    sroom.pick("1004", "control")
    give_control(sroom)
    for marker, expected in ((ANA, "5"), (BEN, "4")):
        app = MarkerApp(sroom.centre, start=SittingPickerScreen(marker), steady=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: app.screen.query_one("#sittings").row_count >= 1)
            table = app.screen.query_one("#sittings")
            row = [str(c) for c in table.get_row(sroom.live)]
            # As many as the marker's queue holds (test_standardisation: 5 rows for Ana, 4 for Ben).
            assert row[4] == expected == str(len(sroom.centre.marking_for(marker).queue(sroom.live).rows)), row


async def test_a_mark_that_is_not_a_whole_number_is_refused_in_words(sroom):
    # The boxes took digits only: "1.5" quietly became 15, "-1" became 1, and was submitted as that.
    sroom.standard_set()
    app = MarkerApp(sroom.centre, start=MarkingQueueScreen(sroom.live, ANA, resume=False), steady=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.screen.query_one("#queue").row_count == 4)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, StandardisationScreen)
                    and app.screen.query_one("#std-items").row_count == 3)
        app.screen.query_one("#std-items").move_cursor(row=0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, StandardisationMarkScreen))
        await pilot.press("1", ".", "5", "enter", "2", "enter", "3", "enter", "ctrl+s")
        await until(pilot, lambda: '"1.5" is not a mark from 0 to' in text_of(app, "#std-message"))
        assert isinstance(app.screen, StandardisationMarkScreen)
