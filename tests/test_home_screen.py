"""The home screen: a read-only browser of the loaded qualifications and units."""

from __future__ import annotations

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.widgets.specification_browser import UnitDetail
from marker_tui.storage.assessment_files import load_library


def make_app(mini) -> MarkerApp:
    return MarkerApp(library=load_library(paths=mini.folders), steady=True)


def detail_text(app: MarkerApp) -> str:
    return str(app.screen.query_one(UnitDetail).render())


async def test_home_lists_the_qualification_and_its_units(mini):
    app = make_app(mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        status = str(app.screen.query_one("#library-status").render())
        assert status == "1 qualification(s), 1 question paper(s) loaded"
        # Qualification overview first: credits and groups.
        text = detail_text(app)
        assert "9999-01 Level 3 Test Qualification" in text
        assert "Learners must complete 1 credits." in text
        assert "101  Testing the tests" in text


async def test_moving_to_a_unit_shows_its_outcomes_marks_and_time(mini):
    app = make_app(mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("down")
        await pilot.pause()
        text = detail_text(app)
        assert "Unit 101: Testing the tests" in text
        assert "time allowance 1 h" in text
        assert "10 marks" in text
        assert "Outcome 1  6 marks (60%)" in text
        assert "1.2 explain why tests fail" in text
        assert "Question paper version 1: 3 questions, 10 marks." in text


async def test_file_errors_are_announced_on_the_home_screen(mini):
    mini.edit(mini.scheme, "pass_mark: 6", "pass_mark: 11")
    app = make_app(mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#library-status")
        assert "1 file error(s): run `marker-tui check`" in str(status.render())
        assert status.has_class("error")


async def test_every_footer_action_is_in_the_command_palette(mini):
    app = make_app(mini)
    async with app.run_test(size=(100, 30)) as pilot:
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Quit" in titles and "Keys" in titles


async def test_quit_key_leaves_the_app(mini):
    app = make_app(mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def test_home_screen_snapshot(mini, snap_compare):
    assert snap_compare(make_app(mini), terminal_size=(100, 30), press=["down"])
