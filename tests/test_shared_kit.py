"""One kit (issue 17.5): each shared piece is used everywhere its copies were, and does its job.

leave and say (interfaces/tui/kit.py), the yes/no dialog with buttons, the local-time formatter
(domain/local_time.py), the start-time parser (domain/start_time.py), the question-text reflow
(domain/question_text.py) and the typed-line cleaner (domain/visible_text.typed_line).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import click
import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from marker_tui.domain import start_time
from marker_tui.domain.local_time import CLOCK, DATE_CLOCK, DATE_MINUTE, HOUR_MINUTE, local_time
from marker_tui.domain.question_text import reflow
from marker_tui.domain.visible_text import typed_line
from marker_tui.interfaces.tui.kit import leave, say
from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog, ReasonDialog

SUMMER = datetime(2026, 7, 1, 8, 5, 9, tzinfo=timezone.utc)  # 09:05:09 in London (BST)


@pytest.fixture
def london(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# --- local time -----------------------------------------------------------------------------------------


def test_local_time_shows_the_instant_in_this_computers_zone(london):
    assert local_time(SUMMER) == "09:05:09"
    assert local_time(SUMMER, HOUR_MINUTE) == "09:05"
    assert local_time(SUMMER, DATE_MINUTE) == "2026-07-01 09:05"
    assert local_time(SUMMER, DATE_CLOCK) == "2026-07-01 09:05:09"
    assert local_time(None) == "-" and local_time(None, missing="") == ""


def test_every_former_copy_now_formats_through_the_one_formatter(london):
    from marker_tui.documents import attendance
    from marker_tui.domain import sitting_states
    from marker_tui.interfaces.cli import common
    from marker_tui.interfaces.tui.screens import invigilator, learner
    from marker_tui.services import room

    for shown in (learner._local_time, invigilator._local, room.clock_text, sitting_states._clock,
                  common.local_time):
        assert shown(SUMMER) == local_time(SUMMER, CLOCK) == "09:05:09"
        assert shown(None) == "-"
    assert common.local_time(SUMMER, with_date=True) == "2026-07-01 09:05:09"
    assert attendance._time(SUMMER) == "09:05" and attendance._time(None) == ""


# --- the start time -----------------------------------------------------------------------------------


NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("typed", ["2026-03-09 09:30", "2026-03-09T09:30", "  2026-03-09   09:30 ",
                                   "2026-03-09T09:30+00:00", "2026-03-09 09:30+00:00", "09:30"])
def test_the_admin_screen_and_the_cli_accept_the_same_start_times(london, typed):
    from marker_tui.interfaces.cli.sitting import _parse_when
    from marker_tui.interfaces.tui.widgets.admin_forms import parse_start

    screen = parse_start(typed, NOW)
    assert screen == start_time.parse_start(typed, NOW)
    if typed != "09:30":  # "today" is the CLI's own clock's today
        assert _parse_when(typed) == screen
    assert screen.tzinfo is not None
    expected_day = NOW.date() if typed == "09:30" else datetime(2026, 3, 9).date()
    assert (screen.astimezone().date(), screen.astimezone().strftime("%H:%M")) == (expected_day, "09:30")


def test_a_bad_start_time_is_refused_in_the_same_words_on_both(london):
    from marker_tui.interfaces.cli.sitting import _parse_when
    from marker_tui.interfaces.tui.widgets.admin_forms import FormProblem, parse_start

    with pytest.raises(FormProblem) as on_screen:
        parse_start("next tuesday", NOW)
    with pytest.raises(click.BadParameter) as on_cli:
        _parse_when("next tuesday")
    assert start_time.ACCEPTED in str(on_screen.value) and start_time.ACCEPTED in on_cli.value.message
    assert start_time.parse_start("   ", NOW) is None and parse_start("", NOW) is None


def test_today_is_the_given_nows_day_in_local_time(london):
    late = datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc)  # already 1 July in London
    assert start_time.parse_start("10:00", late) == datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
    assert start_time.parse_start("10:00", late).astimezone().utcoffset() == timedelta(hours=1)


# --- question text ------------------------------------------------------------------------------------


def test_the_learner_the_marker_and_the_reviewer_reflow_question_text_the_same_way():
    from marker_tui.interfaces.tui.screens import iqa, learner, marking

    assert learner.reflow is marking.reflow is iqa.reflow is reflow
    text = "Describe a safe\nisolation.\n\nInclude:\n- the proving unit\n- a lock\n(a) first\nb) second\n1. third"
    assert reflow(text) == ("Describe a safe isolation.\n\nInclude:\n- the proving unit\n- a lock\n(a) first\n"
                            "b) second\n1. third")
    assert reflow("  one\n   \n\n two\nthree ") == "one\n\ntwo three"


def test_word_feedback_keeps_the_same_list_lines():
    from marker_tui.documents.feedback import text_blocks

    text = "Describe a safe\nisolation.\n\nInclude:\n- the proving unit\n(a) a lock"
    assert text_blocks(text, reflow=True) == reflow(text).split("\n\n")


# --- typed lines --------------------------------------------------------------------------------------


class Refused(Exception):
    pass


def test_typed_line_collapses_spaces_and_refuses_in_the_callers_words():
    assert typed_line("  Ada \t  Admin\n", what="A name", limit=20) == "Ada Admin"
    assert typed_line("   ", what="A reason", limit=20) is None
    with pytest.raises(Refused, match="^Type a name.$"):
        typed_line(" ", what="A name", limit=20, empty="Type a name.", refuse=Refused)
    with pytest.raises(Refused, match="A name can be at most 5 characters."):
        typed_line("abcdef", what="A name", limit=5, refuse=Refused)
    with pytest.raises(Refused, match="A name cannot contain control characters; type plain text."):
        typed_line("a\x1b[2Jb", what="A name", limit=20, refuse=Refused)
    assert typed_line("a\u202eb", what="A name", limit=20) == "a\u202eb"  # not a control character...
    with pytest.raises(Refused):
        typed_line("a\u202eb", what="A name", limit=20, hidden=True, refuse=Refused)  # ...but hidden


def test_the_services_refuse_typed_text_through_the_one_cleaner():
    from marker_tui.domain.centre_identity import CentreIdentityError, clean_centre_name
    from marker_tui.services.audit import ServiceError
    from marker_tui.services.incidents import IncidentError, _clean_note
    from marker_tui.services.room import SittingError, clean_reason
    from marker_tui.services.staff import _clean_name

    assert _clean_name("  Ian   Invigilator ") == "Ian Invigilator"
    with pytest.raises(ServiceError, match="A staff name cannot contain control characters."):
        _clean_name("Ian\x07")
    with pytest.raises(IncidentError, match="cannot be empty"):
        _clean_note("  ")
    with pytest.raises(SittingError, match='A reason is required to pause: add --reason'):
        clean_reason("", "pause")
    assert clean_reason("", "pause", required=False) is None
    with pytest.raises(CentreIdentityError, match="at most"):
        clean_centre_name("x" * 500)


# --- leave, say and the yes/no buttons ------------------------------------------------------------------


class Lower(Screen):
    def compose(self) -> ComposeResult:
        yield Static("lower", id="line")


class Upper(Screen):
    def compose(self) -> ComposeResult:
        yield Static("", id="line")


class Host(App):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list = []

    def on_mount(self) -> None:
        self.push_screen(Lower())


async def test_leave_goes_back_a_screen_and_quits_from_the_first():
    app = Host()
    app.animation_level = "none"
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        app.push_screen(Upper())
        await pilot.pause()
        leave(app.screen)
        await pilot.pause()
        assert isinstance(app.screen, Lower) and app.is_running
        leave(app.screen)
        await pilot.pause()
    assert not app.is_running


async def test_say_shows_the_message_as_typed_and_marks_errors():
    app = Host()
    app.animation_level = "none"
    async with app.run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        line = app.screen.query_one("#line", Static)
        say(line, "Saved [bold]Q1[/bold]\x1b")
        await pilot.pause()
        assert str(line.render()) == "Saved [bold]Q1[/bold]␛" and not line.has_class("error")
        say(line, "Refused.", error=True)
        await pilot.pause()
        assert str(line.render()) == "Refused." and line.has_class("error")


class ButtonsQuestion(ConfirmDialog):
    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog"):
            yield Static(self.question)
            with Horizontal():
                yield Button("No (N)", id="no")
                yield Button("Yes (Y)", id="yes")


async def test_the_yes_and_no_buttons_answer_like_y_and_n():
    for button, expected in (("#yes", [True]), ("#no", [False])):
        app = Host()
        app.animation_level = "none"
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.push_screen(ButtonsQuestion("Is this you?"), app.answers.append)
            await pilot.pause()
            await pilot.click(button)
            await pilot.pause()
            assert app.answers == expected


def test_the_screens_use_the_kit_dialogs_not_copies():
    from marker_tui.interfaces.tui.screens import iqa, learner
    from marker_tui.interfaces.tui.widgets import iqa_dialogs, marking_dialogs

    assert marking_dialogs.ConfirmDialog is ConfirmDialog and marking_dialogs.ReasonDialog is ReasonDialog
    assert iqa.ConfirmDialog is ConfirmDialog and not hasattr(iqa_dialogs, "YesNoDialog")
    assert issubclass(learner.ConfirmNameDialog, ConfirmDialog)
    assert issubclass(learner.ConfirmSubmitDialog, ConfirmDialog)
    assert not hasattr(learner, "_YesNoDialog")


def test_instants_are_formatted_for_people_only_through_domain_local_time():
    """A time shown to a person is ``local_time(instant, FORMAT)``: an inline ``astimezone()`` format
    elsewhere is a seventh formatter in the making (issue 17.5)."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "marker_tui"
    inline = re.compile(r"\.astimezone\(\)(:%|\.strftime\()")
    found = [f"{p.relative_to(package)}:{n}" for p in sorted(package.rglob("*.py"))
             if p.name != "local_time.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if inline.search(line)]
    assert found == []


async def test_a_paste_of_several_lines_into_a_one_line_box_keeps_every_line():
    # Textual keeps only a paste's first line in a one-line box, silently: a three-line incident note
    # was stored as "line one". The lines are joined with spaces instead.
    from textual import events

    from marker_tui.interfaces.tui.widgets.inputs import TextInput

    class OneBox(App):
        def compose(self) -> ComposeResult:
            yield TextInput(id="note")

    app = OneBox()
    async with app.run_test() as pilot:
        box = app.query_one("#note", TextInput)
        box.focus()
        box.post_message(events.Paste("line one\nline two\n\n  line three  "))
        await pilot.pause()
        assert box.value == "line one line two line three"
        box.post_message(events.Paste(" and one more"))
        await pilot.pause()
        assert box.value == "line one line two line three and one more"
