"""The reviewer's screens (issue 18.4), driven with Pilot on a real database file and a fake clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from textual.widgets import DataTable, Input

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.reviews import ReviewScreen, ReviewsScreen
from marker_tui.services.centre import Centre
from marker_tui.services.review_of_marking import ReviewOfMarkingService
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, PIN
from test_export_service import build_export_room
from waiting import workers_done

CARA = "Cara Checker"


@pytest.fixture
def room(tmp_path):
    built = build_export_room(tmp_path / "marker.db", tmp_path / "papers")
    built.room.staff.add(CARA, ["marker"], PIN, by=ADMIN)
    built.exports.export_results(built.code, tmp_path / "results.csv", by=ADMIN, allow_incomplete=True)
    review = ReviewOfMarkingService(built.db, built.clock).open(
        built.code, "1002", reason="Q2b deserved more", deadline=date(2026, 3, 2) + timedelta(days=3),
        reviewer=CARA, by=ADMIN)
    built.review_id = review.id
    yield built
    built.db.close()


def app_for(room, screen) -> MarkerApp:
    return MarkerApp(Centre(db=open_database(room.room.path), clock=room.clock), start=screen, steady=True)


async def settle(pilot) -> None:
    """The screens call their services on thread workers: wait for the results to be shown."""
    await workers_done(pilot)  # until none is left, with a deadline (tests/waiting.py)


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_the_reviewer_decides_each_question_and_finishes(room):
    app = app_for(room, ReviewsScreen(CARA))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#reviews", DataTable)
        assert table.row_count == 1 and "open" in [str(c) for c in table.get_row_at(0)]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "Q2b deserved more" in text(app, "#review-about")
        questions = app.screen.query_one("#review-questions", DataTable)
        assert [str(c) for c in questions.get_row_at(0)][:4] == ["1", "2/2", "Ben Okafor", "to decide"]
        assert "Answer: Ladders and ladders" in text(app, "#review-detail")
        # Finishing too early is refused with the questions still to decide.
        await pilot.press("f")
        await settle(pilot)
        assert "decide questions 1, 2a, 2b first" in text(app, "#review-message")
        for mark, reason in (("", "fair"), ("", "fair"), ("3", "two reasons explained")):
            await pilot.press("d")
            app.screen.query_one("#review-mark", Input).value = mark
            app.screen.query_one("#review-reason", Input).focus()
            app.screen.query_one("#review-reason", Input).value = reason
            await pilot.press("enter")
            await settle(pilot)
        rows = [[str(c) for c in questions.get_row_at(i)] for i in range(questions.row_count)]
        assert [r[3] for r in rows] == ["upheld", "upheld", "changed"] and rows[2][4] == "3"
        await pilot.press("f")
        await settle(pilot)
        assert "finished: mark changed, grade changed" in text(app, "#review-about")
        await pilot.press("escape")
        await settle(pilot)
        assert "mark changed, grade changed" in [str(c) for c in app.screen.query_one("#reviews", DataTable).get_row_at(0)]


async def test_an_overdue_review_says_so(room):
    room.clock.advance(days=4)
    app = app_for(room, ReviewsScreen(ADMIN))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "OVERDUE" in [str(c) for c in app.screen.query_one("#reviews", DataTable).get_row_at(0)]
        await pilot.press("enter")
        await settle(pilot)
        assert "OVERDUE" in text(app, "#review-about")


async def test_the_lead_assessor_reaches_the_reviews_from_marker_monitoring(room):
    from marker_tui.interfaces.tui.screens.monitoring import MonitoringPapersScreen

    app = app_for(room, MonitoringPapersScreen(ADMIN))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ReviewsScreen)
        assert app.screen.query_one("#reviews", DataTable).row_count == 1
