"""Text from the database is made visible, never obeyed: the rule, then every screen and the CLI.

The screens are driven on a real demo centre whose database was then edited directly (as an
older version or a hand edit could leave it): a candidate name, an answer, a marker's comment and
an incident note hold terminal escape sequences, a C1 CSI, DEL and a right-to-left override.
"""

from __future__ import annotations

import json

import os
import sqlite3
import subprocess
import sys
import unicodedata
from datetime import datetime, timezone

import pytest
from textual.widgets import DataTable

from marker_tui.domain.clock import FakeClock
from marker_tui.domain.sampling import SamplingStrategy
from marker_tui.domain.visible_text import has_controls, has_hidden, placeholder, visible, visible_line
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.widgets.plain import Plain
from waiting import workers_done

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
NASTY = "A\x1b[2JB\x1b]0;title\x07C\x9bD\x7fE\u202eF"
SHOWN = "A␛[2JB␛]0;title␇C⟨U+009B⟩D␡E⟨U+202E⟩F"
SHOWN_START = SHOWN[:-2]  # what fits on one line of a narrow pane
RAW = ("\x1b", "\x07", "\x9b", "\x7f", "\u202e")
NOTHING = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=None,
                           include_fails=False, cover_decisions=False)
SIZE = (120, 40)


# --- the rule --------------------------------------------------------------------------------------


async def settle(pilot) -> None:
    """Let the screen's readers (thread workers) finish and their results reach the screen."""
    await workers_done(pilot)  # until none is left, with a deadline (tests/waiting.py)


def test_controls_become_pictures_and_invisible_characters_their_code_point():
    assert visible(NASTY) == SHOWN
    assert visible("\x00\x1f") == "␀␟"
    assert visible("zero\u200bwidth \ufeffbom \u2066isolate\u2069") == (
        "zero⟨U+200B⟩width ⟨U+FEFF⟩bom ⟨U+2066⟩isolate⟨U+2069⟩")
    assert visible("\x85 next line, \u2028 line separator") == "⟨U+0085⟩ next line, ⟨U+2028⟩ line separator"


def test_multi_line_text_keeps_newlines_and_tabs_one_line_text_shows_them():
    assert visible("line 1\n\tline 2\r\n") == "line 1\n\tline 2␍\n"
    assert visible_line("line 1\n\tline 2") == "line 1␊␉line 2"


def test_ordinary_text_is_unchanged_including_other_scripts_and_emoji():
    for text in ["Plain English.", "café, naïve, Ångström", "עברית — العربية", "🙂🔥✅", "[bold]not markup[/]", ""]:
        assert visible(text) == text and visible_line(text) == text
    assert visible(None) == "" and visible_line(42) == "42"


def test_every_hidden_character_in_unicode_is_replaced_by_something_visible():
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            shown = visible_line(ch)
            assert shown == placeholder(ch) and all(unicodedata.category(c)[0] not in "CZ" for c in shown), hex(code)


def test_the_checks_typed_text_uses():
    assert has_controls("a\x1bb") and has_controls("a\x9b") and not has_controls("tab\there\n", allow="\t\n")
    assert not has_controls("\u202e")  # a format character, not a control: names may hold it
    assert has_hidden("\u202e") and has_hidden("a\x00") and not has_hidden("a\tb\nc") and has_hidden("a\tb", allow="")


async def test_plain_text_shows_markup_literally_and_controls_as_pictures():
    from textual.app import App

    class One(App):
        def compose(self):
            yield Plain(f"[bold]{NASTY}[/bold]", id="one")

    app = One()
    async with app.run_test(size=(80, 5)) as pilot:
        await settle(pilot)
        shown = "\n".join(lines(app))
        assert f"[bold]{SHOWN}[/bold]" in shown and not any(ch in shown for ch in RAW)


# --- a hostile demo centre -------------------------------------------------------------------------


def lines(app) -> list[str]:
    """Every line of the terminal as drawn (what reaches the terminal, without colour)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def assert_safe(app, *expected: str) -> str:
    shown = "\n".join(lines(app))
    for text in expected:
        assert text in shown, f"{text!r} not on screen:\n{shown}"
    leaked = sorted({hex(ord(ch)) for ch in shown if ch in RAW})
    assert not leaked, f"raw control characters reached the screen: {leaked}"
    return shown


def _with_triggers_lifted(con: sqlite3.Connection, table: str, statement: str, params: list) -> None:
    """Edit a frozen table as an old version or a hand edit could have: drop its triggers, edit, restore."""
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                           [table]).fetchall()
    for name, _ in triggers:
        con.execute(f"DROP TRIGGER {name}")
    con.execute(statement, params)
    for _, sql in triggers:
        con.execute(sql)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from marker_tui.services.audit import record
    from marker_tui.services.centre import Centre
    from marker_tui.services.demo import build_demo
    from marker_tui.storage.database import write_transaction

    path = tmp_path_factory.mktemp("visible") / "demo.db"
    build_demo(path, FakeClock(NOW))
    con = sqlite3.connect(path, isolation_level=None)
    script = con.execute("SELECT s.id FROM scripts s JOIN candidates c ON c.id = s.candidate_id JOIN sittings t"
                         " ON t.id = s.sitting_id WHERE t.code = '305-DEMO' AND c.candidate_number = '1001'"
                         ).fetchone()[0]
    con.execute("UPDATE candidates SET name = ?, access_arrangements = ?, arrangements = ?"
                " WHERE candidate_number = '1001'",
                ["Amy " + NASTY, "reader " + NASTY, json.dumps([{"kind": "other", "detail": "reader " + NASTY}])])
    _with_triggers_lifted(con, "answers", "UPDATE answers SET text = ? WHERE script_id = ? AND question_id = '1'",
                          ["Answer " + NASTY + "\nsecond line", script])
    con.execute("UPDATE marks SET comment = ? WHERE script_id = ? AND question_id = '1'", ["Comment " + NASTY, script])
    con.close()
    centre = Centre.open(path, clock=FakeClock(NOW), create=False)
    sitting = centre.db.execute("SELECT id FROM sittings WHERE code = '304-DEMO'").fetchone()[0]
    with write_transaction(centre.db) as db:
        # An incident note as an older version stored it (today's service refuses control characters).
        record(db, at=NOW, actor="Iris Invigilator", action="incident", sitting_id=sitting,
               details={"note": "Incident " + NASTY})
    centre.script_1001 = script
    centre.file = path
    yield centre
    centre.close()


async def test_the_marker_sees_the_answer_and_comment_with_placeholders(hostile):
    from marker_tui.interfaces.tui.screens.marking import MarkingScreen

    script = hostile.marking.view_script(hostile.script_1001, by="Mo Marker")
    app = MarkerApp(hostile, start=MarkingScreen("305-DEMO", "Mo Marker", mode="script", script=script,
                                                  question_id="1"), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await settle(pilot)
        shown = assert_safe(app, SHOWN_START, "Comment " + SHOWN)
        assert "unsaved" not in shown  # only looking at an odd comment is not a change to save


async def test_the_iqa_reviewer_sees_the_answer_and_comment_with_placeholders(hostile):
    from marker_tui.interfaces.tui.screens.iqa import IqaPlanScreen, IqaReviewScreen

    number = hostile.db.execute("SELECT script_number FROM scripts WHERE id = ?", [hostile.script_1001]).fetchone()[0]
    hostile.iqa.plans.create_plan("305-DEMO", strategy=NOTHING, by="Quinn Quality")
    hostile.iqa.plans.add_to_plan("305-DEMO", number, by="Quinn Quality", reason="chosen " + "\u202e")
    app = MarkerApp(hostile, start=IqaPlanScreen("305-DEMO", "Quinn Quality"), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert_safe(app, "chosen ⟨U+202E⟩")
        table = app.screen.query_one("#iqa-plan-scripts", DataTable)
        keys = [r.value for r in table.rows]
        table.move_cursor(row=keys.index(str(hostile.script_1001)))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IqaReviewScreen)
        assert_safe(app, "Answer " + SHOWN, "Comment: Comment " + SHOWN)


async def test_the_invigilator_sees_names_and_incidents_with_placeholders(hostile):
    from marker_tui.interfaces.tui.screens.invigilator import AuditLogScreen, InvigilatorRoomScreen

    app = MarkerApp(hostile, start=InvigilatorRoomScreen("304-DEMO", "Iris Invigilator"), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert_safe(app, "Amy A␛[2JB␛]0;t")  # the name column is cut to fit
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, AuditLogScreen)
        assert_safe(app, "Incident " + SHOWN)


async def test_the_admin_sees_candidates_with_placeholders(hostile):
    from marker_tui.interfaces.tui.screens.admin import AdminScreen

    admin = next(m for m in hostile.staff.members() if m.name == "Ada Admin")
    app = MarkerApp(hostile, start=AdminScreen(admin), steady=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")  # Candidates
        await settle(pilot)
        assert_safe(app, "Amy " + SHOWN, "reader " + SHOWN)
        await pilot.press("5")  # Audit log
        await settle(pilot)
        await settle(pilot)
        assert_safe(app, "Incident " + SHOWN[:20])


def test_the_cli_never_echoes_escape_or_c1_from_the_database(hostile):
    env = {**os.environ, "MARKER_TUI_DB": str(hostile.file), "MARKER_TUI_BY": "Iris Invigilator"}
    done = subprocess.run([sys.executable, "-m", "marker_tui", "sitting", "status", "304-DEMO", "--pin-stdin"],
                          input=b"1111\n", capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout
    assert "Amy A␛[2JB".encode() in out
    assert b"\x1b" not in out and "\x9b".encode() not in out and b"\x7f" not in out and b"\x07" not in out


async def test_a_notification_quoting_stored_text_shows_placeholders(hostile):
    from marker_tui.interfaces.tui.screens.home import HomeScreen

    app = MarkerApp(hostile, start=HomeScreen(), steady=True)
    app.NOTIFICATION_TIMEOUT = 600  # toasts expire in real time: kept until the test has read them
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.notify(f"Saved candidate 1001 Amy {NASTY}.", title=f"Done {NASTY}", markup=False)
        await settle(pilot)
        (toast,) = list(app._notifications)  # what the toast will draw
        assert (toast.message, toast.title) == (f"Saved candidate 1001 Amy {SHOWN}.", f"Done {SHOWN}")
