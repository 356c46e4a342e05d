"""Blind second marking reached from the Mark and Quality assurance screens (not only `iqa second`).

Driven with Pilot on the demo centre (305-DEMO: twelve questions, so Q10 and after show the order).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import pytest
from textual.widgets import DataTable

from marker_tui.domain.clock import FakeClock
from marker_tui.domain.sampling import SamplingStrategy
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.iqa import (
    BlindMarkingScreen,
    IqaAgreementScreen,
    IqaHomeScreen,
    SecondMarkingQueueScreen,
)
from marker_tui.interfaces.tui.screens.marking import SittingPickerScreen
from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog
from marker_tui.services.centre import Centre
from marker_tui.services.demo import build_demo
from test_iqa_screen import settle

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
SIZE = (80, 24)
QUINN, MAYA, MO = "Quinn Quality", "Maya Marker", "Mo Marker"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, FakeClock(NOW))
    return path


@pytest.fixture
def centre(demo_file, tmp_path):
    path = tmp_path / "centre.db"
    shutil.copyfile(demo_file, path)
    opened = Centre.open(path, clock=FakeClock(NOW), create=False)
    yield opened
    opened.close()


def app_for(centre: Centre, screen) -> MarkerApp:
    return MarkerApp(Centre.open(centre.path, clock=centre.clock, create=False), start=screen, steady=True)


def text(app: MarkerApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def give_maya_a_script_mo_marked(centre: Centre) -> str:
    """Quinn samples 305-DEMO and gives one of Mo's scripts to Maya; Maya marks every question but Q12."""
    plan = centre.iqa.plans.create_plan("305-DEMO", strategy=SamplingStrategy(), by=QUINN)
    script = next(s for s in plan.scripts if s.markers == (MO,))
    centre.iqa.second_marking.assign_second_marker(script.script_id, second_marker=MAYA, by=QUINN)
    questions = [str(n) for n in range(1, 12)]
    centre.iqa.second_marking.record_second_marks(script.script_id, {q: 1 for q in questions}, by=MAYA)
    return script.script_number


async def test_a_marker_presses_2_on_the_mark_screen_and_second_marks_with_questions_in_natural_order(centre):
    number = give_maya_a_script_mo_marked(centre)
    app = app_for(centre, SittingPickerScreen(MAYA))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "2: scripts given to you for a blind second mark" in text(app, "#picker-help")
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, SecondMarkingQueueScreen)
        table = app.screen.query_one("#iqa-second-queue", DataTable)
        assert [str(c) for c in table.get_row_at(0)][:3] == [number, "305-DEMO", "11/12"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BlindMarkingScreen)
        while app.screen.question_id != "12":
            await pilot.press("n")
        await pilot.press("0", "enter")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        marks = ", ".join(f"Q{n} 1" for n in range(1, 12)) + ", Q12 0"
        assert app.screen.detail == f"Your marks: {marks}. After this they cannot change."
        await pilot.press("y")
        await settle(pilot)
        assert "Second marking complete" in text(app, "#iqa-message")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SecondMarkingQueueScreen)
        assert str(app.screen.query_one("#iqa-second-queue", DataTable).get_row_at(0)[3]) == "yes"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SittingPickerScreen)


async def test_the_quality_assurance_home_reaches_second_marking_and_agreement(centre):
    give_maya_a_script_mo_marked(centre)
    app = app_for(centre, IqaHomeScreen(QUINN))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, SecondMarkingQueueScreen)
        assert "No script has been given to you for second marking." in text(app, "#iqa-message")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IqaHomeScreen)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, IqaAgreementScreen)
        assert app.screen.scope == "305-DEMO"


async def test_the_question_strip_wraps_at_80_columns_between_questions_never_inside_one(centre):
    give_maya_a_script_mo_marked(centre)
    app = app_for(centre, SecondMarkingQueueScreen(MAYA))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        strip = app.screen.query_one("#iqa-question-strip")
        lines = [strip.render_line(y).text for y in range(strip.size.height)]
        assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
        for line in lines:  # each line holds whole questions: label then mark
            words = line.split()
            assert len(words) % 2 == 0 and all(w.startswith("Q") for w in words[::2]), line
        labels = " ".join(lines).split()[::2]
        assert labels == [f"Q{n}" for n in range(1, 13)]  # all twelve, in order, none cut off
