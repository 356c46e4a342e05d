"""The lead assessor's marker-monitoring screen and the marker's identical-answers screen, driven
with Pilot against a real database file (monitoring_fixtures: Ana lenient on Q2b against the IQA,
Ben inconsistent on identical answers to Q1)."""

from __future__ import annotations

import openpyxl
import pytest
from textual.widgets import DataTable, OptionList

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.group_marking import GroupMarkingScreen
from marker_tui.interfaces.tui.screens.home import HomeScreen
from marker_tui.interfaces.tui.screens.iqa import IqaHomeScreen
from marker_tui.interfaces.tui.screens.marking import MarkingScreen
from marker_tui.interfaces.tui.screens.monitoring import MarkerMonitoringScreen, MonitoringPapersScreen
from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen
from marker_tui.services.centre import Centre
from marker_tui.storage.assessment_files import load_library
from marker_tui.storage.database import open_database
from monitoring_fixtures import ADMIN, ANA, BEN, IVY, PIN, build_monitoring_room
from waiting import workers_done

SIZE = (120, 36)


async def settle(pilot) -> None:
    """Until every service call (thread worker) has finished and its result reached the screen."""
    await workers_done(pilot)  # until none is left, with a deadline (tests/waiting.py)


def app_for(room, screen, **kwargs) -> MarkerApp:
    return MarkerApp(Centre(db=open_database(room.db_path), clock=room.clock), start=screen, steady=True, **kwargs)


def text(app, selector: str) -> str:
    rendered = app.screen.query_one(selector).render()
    return str(getattr(rendered, "plain", rendered))


def table_rows(app, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.fixture
def marked(tmp_path):
    built = build_monitoring_room(tmp_path / "mon.db")
    built.db_path = tmp_path / "mon.db"
    yield built
    built.db.close()


@pytest.fixture
def unmarked(tmp_path):
    built = build_monitoring_room(tmp_path / "group.db", marked=False)
    built.db_path = tmp_path / "group.db"
    # Fixed script numbers (5001 is candidate 1001's ...), so the first script shown is known.
    built.db.execute("UPDATE scripts SET script_number = 'x' || id")  # out of the random numbers' way first
    built.db.execute("UPDATE scripts SET script_number = '5' || substr("
                     "(SELECT candidate_number FROM candidates c WHERE c.id = scripts.candidate_id), 2)")
    yield built
    built.db.close()


# --- marker monitoring -------------------------------------------------------------------------------


async def test_from_quality_assurance_m_shows_each_marker_and_why_one_is_flagged(marked, tmp_path, monkeypatch):
    monkeypatch.setenv("MARKER_TUI_EXPORTS", str(tmp_path / "exports"))
    app = app_for(marked, IqaHomeScreen(IVY))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MarkerMonitoringScreen)
        rows = table_rows(app, "#monitoring-markers")
        assert [r[0] for r in rows] == [ANA, BEN]
        ana = rows[0]
        assert ana[1] == "4" and ana[3] == "Q2b +2.0" and ana[5] == "3.0 min" and ana[7] == "none yet"
        assert ana[8] == "0" and ana[9] == "1 flag(s)"
        assert rows[1][8] == "1"   # Ben gave identical answers different marks
        assert "Why Ana Lopes is flagged:" in text(app, "#monitoring-flags")
        assert "gives 2.0 marks more than the IQA per answer on Q2b (3 answers compared)" in text(app, "#monitoring-flags")
        assert "reference marks: the IQA ·" in text(app, "#monitoring-info")  # whose marks, from the data
        await pilot.press("down")
        await settle(pilot)
        assert "gave different marks to identical answers: Q1 \"ladders\"" in text(app, "#monitoring-flags")
        assert "2 of 2 marker(s) flagged" in text(app, "#monitoring-info")
        await pilot.press("x")
        await settle(pilot)
        written = tmp_path / "exports" / "9999-01-101" / "9999-01-101-marker-monitoring.xlsx"
        assert f"Marker monitoring written to {written}" in text(app, "#monitoring-message")
        flags = [r[1].value for r in openpyxl.load_workbook(written)["Flags"].iter_rows(min_row=2)]
        assert "gives 2.0 marks more than the IQA per answer on Q2b (3 answers compared)" in flags


async def test_an_admin_finds_marker_monitoring_on_the_home_menu_and_a_marker_does_not(marked, mini):
    app = app_for(marked, None, library=load_library(paths=mini.folders))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        menu = app.screen.query_one("#home-menu", OptionList)
        assert "Marker monitoring" not in [str(o.prompt) for o in menu.options]   # not before sign-in
        await pilot.press("m")   # Mark: sign in as a marker
        await pilot.pause()
        assert isinstance(app.screen, StaffSignInScreen)
        await sign_in(pilot, ANA)
        await pilot.press("escape")   # back home: signed out, the whole menu again
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)

        def choose_monitoring() -> None:
            menu = app.screen.query_one("#home-menu", OptionList)
            menu.highlighted = next(i for i, o in enumerate(menu.options) if "Marker monitoring" in str(o.prompt))

        choose_monitoring()
        await pilot.press("enter")
        await sign_in(pilot, ANA)   # a marker is refused it and stays signed in on the home screen
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        menu = app.screen.query_one("#home-menu", OptionList)
        assert not any("Marker monitoring" in str(o.prompt) for o in menu.options)
        await pilot.press("o")   # sign out; the admin signs in for it
        await pilot.pause()
        choose_monitoring()
        await pilot.press("enter")
        await sign_in(pilot, ADMIN)
        await settle(pilot)
        assert isinstance(app.screen, MonitoringPapersScreen)
        assert table_rows(app, "#monitoring-papers")[0][:5] == ["9999-01/101", "Test unit", "1", "2", "8"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MarkerMonitoringScreen)
        assert [r[0] for r in table_rows(app, "#monitoring-markers")] == [ANA, BEN]


async def sign_in(pilot, name: str) -> None:
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, StaffSignInScreen)
    screen.query_one("#staff-name").value = name
    screen.query_one("#staff-pin").value = PIN
    screen.query_one("#staff-pin").focus()
    await pilot.press("enter")
    await settle(pilot)


# --- identical answers marked once --------------------------------------------------------------


async def test_g_on_the_marking_screen_marks_identical_answers_at_once_leaving_out_a_held_script(unmarked):
    marking = unmarked.centre().marking
    marking.open_script(unmarked.script("1006"), by=BEN)   # Ben is marking " LADDERS "
    app = app_for(unmarked, MarkingScreen(unmarked.code, ANA, mode="question", script=None, question_id="1"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GroupMarkingScreen)
        assert table_rows(app, "#group-table") == [["Ladders", "4", "none"]]
        assert f"being marked by {BEN}" in text(app, "#group-scripts")
        await pilot.press("2")
        assert "2_" in text(app, "#group-entry")
        await pilot.press("enter")
        await settle(pilot)
        message = text(app, "#group-message")
        held = unmarked.number("1006")
        assert message.startswith("Question 1: 2 marks given to 3 scripts")
        assert f"left out: {held} (being marked by {BEN}" in message
        assert table_rows(app, "#group-table") == [["Ladders", "4", "2"]]
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MarkingScreen)
        # Back on the script being marked (5001, one of the group): the group's mark is shown.
        assert screen.script.script_number == "5001" and screen.script.marks["1"].marks_awarded == 2
    for number in ("1001", "1002", "1005"):
        assert [v.marks_awarded for v in marking.history(unmarked.script(number), "1")] == [2]
    assert marking.history(unmarked.script("1006"), "1") == []


async def test_a_question_with_no_identical_answers_says_so(unmarked):
    app = app_for(unmarked, GroupMarkingScreen(unmarked.code, "2b", ANA))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No two scripts give the same answer to question 2b." in text(app, "#group-message")
