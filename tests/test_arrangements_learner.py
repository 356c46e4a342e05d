"""The learner's terminal offers high contrast and larger text before the paper starts, to a
learner whose arrangements (in force for this sitting) include them."""

from __future__ import annotations

from marker_tui.interfaces.tui.widgets.contrast import HIGH_CONTRAST
from sitting_fixtures import ADMIN, EVIDENCE
from test_learner_screen import SIZE, learner_app, logged_in, open_sitting, room, start, text_of  # noqa: F401
from test_learner_screen import settle
from waiting import time_read


def _overlay_and_larger_text(room) -> None:
    room.candidates.edit("1001", by=ADMIN, access_arrangements=(
        f"coloured overlay / high contrast | {EVIDENCE}; larger text | {EVIDENCE}"))


async def test_the_choice_is_offered_before_the_start_and_changes_what_the_learner_sees(room):
    _overlay_and_larger_text(room)
    code = open_sitting(room)
    app = learner_app(room, code, "1001")
    async with app.run_test(size=SIZE) as pilot:
        screen = await logged_in(pilot)
        assert screen.phase == "waiting"
        offer = text_of(screen.query_one("#arrangement-offer"))
        assert "[ ] F2  High contrast" in offer and "[ ] F4  Larger text" in offer
        # One key for the one theme: the footer offered "f2 Contrast" and "f3 High contrast" side by side.
        keys = {k: b.binding.description for k, b in screen.active_bindings.items() if b.binding.show and b.enabled}
        assert keys.get("f2") == "Contrast" and "f3" not in keys and keys.get("f4") == "Larger text"
        question_text = screen.query_one("#waiting-instructions")
        assert not question_text.rich_style.bold
        await pilot.press("f2")
        await pilot.press("f4")
        await pilot.pause()
        assert app.theme == HIGH_CONTRAST and screen.has_class("larger-text")
        offer = text_of(screen.query_one("#arrangement-offer"))
        assert "[x] F2  High contrast" in offer and "[x] F4  Larger text" in offer
        assert question_text.rich_style.bold  # the look of the paper changed, before it starts
        start(room, code)
        await time_read(pilot, screen)
        await settle(pilot)
        assert screen.phase == "writing"
        assert screen.query_one("#question-text").rich_style.bold and app.theme == HIGH_CONTRAST
        # Once the paper has started the choice is no longer offered (F2 still switches contrast).
        assert screen.check_action("choose_larger_text", ()) is False


async def test_a_learner_without_the_arrangements_is_not_offered_them(room):
    code = open_sitting(room)
    app = learner_app(room, code, "1002")  # extra time and a reader only
    async with app.run_test(size=SIZE) as pilot:
        screen = await logged_in(pilot)
        assert not screen.query("#arrangement-offer")
        await pilot.press("f4")
        await pilot.pause()
        assert not screen.has_class("larger-text")
