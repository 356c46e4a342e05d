"""The one confirmation dialog and the one reason dialog (issue 17.5), driven as a user would."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Static

from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog, ReasonDialog


class Host(App):
    def __init__(self, dialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.answers: list = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.answers.append)


def host(dialog) -> Host:
    app = Host(dialog)
    app.animation_level = "none"
    return app


def shown(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_confirm_says_yes_with_y_and_no_with_n_or_escape_but_not_enter():
    for key, expected in (("y", [True]), ("n", [False]), ("escape", [False])):
        app = host(ConfirmDialog("Hand in the script?", "You cannot change answers afterwards."))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Hand in the script?" in shown(app, "#confirm-question")
            assert "cannot change answers" in shown(app, "#confirm-detail")
            await pilot.press("enter")
            await pilot.pause()
            assert app.answers == [] and isinstance(app.screen, ConfirmDialog)
            await pilot.press(key)
            await pilot.pause()
            assert app.answers == expected


async def test_a_question_with_a_way_back_names_its_answers_and_escape_stays():
    for key, expected in (("y", [True]), ("n", [False]), ("escape", [None])):
        app = host(ConfirmDialog("Save the mark of 2 for Q1 before leaving?", yes="save it", no="discard it",
                                 escape_stays="stay"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "y: save it    n: discard it    Esc: stay" in str(app.screen.query_one(".kit-dialog-hint").render())
            await pilot.press(key)
            await pilot.pause()
            assert app.answers == expected


async def test_reason_needs_text_and_comes_back_on_one_line():
    app = host(ReasonDialog("Why change a completed mark?"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert "Type a reason" in shown(app, "#reason-error") and app.answers == []
        await pilot.press(*"second  reading")
        await pilot.press("enter")
        await pilot.pause()
        assert app.answers == ["second reading"]


async def test_reason_escape_cancels_with_nothing_kept():
    app = host(ReasonDialog("Why?", suggestion="draft"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.answers == [None]
