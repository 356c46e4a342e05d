"""The error boundary: a real storage fault in every learner action, and what the screen then shows.

The fault: the learner process's own connection refuses every write (``PRAGMA
query_only``), which is what SQLite does with a database it cannot write (a
read-only file or mount, the state the issue reproduced with a full disk): a raw
``sqlite3.OperationalError: attempt to write a readonly database`` from the real
storage code, not a stand-in. Chmod cannot make it as root (tests run as root);
this can, and it fails every write, unlike ``PRAGMA max_page_count`` (only writes
that need a new page fail). The real-process test in test_sit_process.py uses an
operating-system fault instead (a file-size limit on the running process).

What must hold: the screen shows the calm message, no traceback, no PIN hash or
salt, no other candidate's name or number; the terminal stays locked; the details
go to the staff-only log (mode 0600, no variable values, no secrets); typed text
is kept where it can be.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import resource
import shutil
import sqlite3
import stat
import subprocess
import time

import pytest

from marker_tui.interfaces.tui.screens.fault import LEARNER_MESSAGE, LearnerFaultScreen, StaffFaultScreen
from marker_tui.interfaces.tui.screens.learner import ConfirmNameDialog, ExitCodeDialog
from marker_tui.interfaces.tui.screens.staff_sign_in import StaffPinDialog  # noqa: F401
from marker_tui.domain.clock import SystemClock
from marker_tui.services.invigilation import SittingService
from marker_tui.storage.fault_log import fault_log_path, format_fault, safe_message
from sitting_fixtures import ADMIN, INVIGILATOR, PIN
from test_sit_process import CODE, MARKER_TUI, Terminal, _answer, admitted, sitting_db, tmux_server  # noqa: F401
from marker_tui.interfaces.tui.screens.learner import LearnerLoginScreen
from test_learner_screen import (  # noqa: F401 (fixtures)
    text_of,
    SIZE,
    advance,
    answer_rows,
    centre_for,
    learner_app,
    logged_in,
    open_sitting,
    room,
    settle,
    utc,
    writing,
)

OTHERS = ("Ben Jones", "Chloé Dubois", "1002", "1003")


def _wait(condition, message: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


def _cursor_row(terminal: Terminal) -> str:
    """The terminal's cursor row: Textual puts the cursor in the focused input."""
    return terminal._tmux("display-message", "-p", "-t", terminal.name, "#{cursor_y}").strip()


def screen_text(app) -> str:
    """Every character on the terminal now (from Textual's own screenshot of it)."""
    svg = app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", svg.split("</style>")[-1])
    return html.unescape(text).replace("\xa0", " ")


def secrets_of(room) -> list[str]:
    rows = room.db.execute("SELECT pin_hash, pin_salt FROM staff").fetchall()
    return [value for row in rows for value in row]


def break_writes(centre) -> None:
    centre.db.conn.execute("PRAGMA query_only = ON")


def mend_writes(centre) -> None:
    centre.db.conn.execute("PRAGMA query_only = OFF")


async def until(pilot, condition, seconds: float = 30.0) -> None:  # budgeted for a loaded CI machine
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the screen never got there"
        await pilot.pause()
        await asyncio.sleep(0.01)


def assert_nothing_leaks(app, room) -> str:
    shown = screen_text(app)
    assert "Traceback" not in shown and "OperationalError" not in shown and "sqlite" not in shown.lower()
    for secret in secrets_of(room):
        assert secret[:12] not in shown
    assert "pin_hash" not in shown and "pin_salt" not in shown
    for other in OTHERS:
        assert other not in shown
    return shown


def assert_logged_for_staff(room) -> str:
    log = fault_log_path(room.path)
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    text = log.read_text(encoding="utf-8")
    assert "OperationalError: attempt to write a readonly database" in text
    for secret in secrets_of(room):
        assert secret not in text
    for other in ("Ben Jones", "Chloé Dubois"):
        assert other not in text
    return text


async def test_a_storage_fault_at_login_shows_the_calm_message_and_never_the_room(room):
    code = open_sitting(room)
    centre = centre_for(room)
    app = learner_app(room, code, "1001", centre=centre)
    with pytest.raises(sqlite3.OperationalError):
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ConfirmNameDialog))
            break_writes(centre)  # the name is shown (a read); logging in writes
            await pilot.press("y")
            await until(pilot, lambda: isinstance(app.screen, LearnerFaultScreen))
            shown = assert_nothing_leaks(app, room)
            assert LEARNER_MESSAGE in " ".join(shown.split())
            # Still locked: quitting asks for an invigilator's PIN instead of leaving.
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, StaffPinDialog))
            assert app.is_running
    assert app.return_value is None  # never left by itself
    log = assert_logged_for_staff(room)
    assert "learner terminal" in log and "in login" in log


async def test_a_database_locked_at_login_shows_the_calm_message_and_not_the_database_path(room, monkeypatch):
    code = open_sitting(room)
    app = learner_app(room, code, "1001")  # the keycode slip is issued before the lock is taken
    monkeypatch.setattr("marker_tui.storage.database.LOCK_GIVE_UP_SECONDS", 0.2)  # give up soon, not after 60 s
    holder = sqlite3.connect(room.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock: checking the keycode cannot write
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: bool(app.screen.query("#login-error"))
                        and text_of(app.screen.query_one("#login-error")) not in ("", "Checking…"))
            assert isinstance(app.screen, LearnerLoginScreen)
            assert text_of(app.screen.query_one("#login-error")) == LEARNER_MESSAGE
            shown = " ".join(assert_nothing_leaks(app, room).split())
            assert room.path.name not in shown and str(room.path.parent) not in shown
            assert "locked" not in shown.lower()
    finally:
        holder.rollback()
        holder.close()
    log = fault_log_path(room.path).read_text(encoding="utf-8")
    assert "DatabaseBusy" in log and "learner login" in log  # the details are for staff


async def test_a_storage_fault_while_typing_keeps_the_text_and_saves_it_once_mended(room):
    code = open_sitting(room)
    centre = centre_for(room)
    app = learner_app(room, code, "1001", centre=centre)
    async with app.run_test(size=SIZE) as pilot:
        screen = await writing(pilot, room, code)
        screen.writer._service_factory = lambda: centre.learners  # the writer uses the faulty connection too
        break_writes(centre)
        await pilot.press(*"a trailing cable")
        advance(room, 1.1)
        screen.autosave_check()
        await until(pilot, lambda: screen.save_problem == "✗ NOT SAVED")
        shown = assert_nothing_leaks(app, room)
        assert "NOT SAVED" in shown and "a trailing cable" in shown
        assert "readonly" not in shown  # the error's own words are for staff
        assert answer_rows(room, code, "1001") == {}
        mend_writes(centre)  # the writer tries again by itself
        await until(pilot, lambda: answer_rows(room, code, "1001") == {"1": "a trailing cable"}, 10)
        await settle(pilot)
    assert_logged_for_staff(room)


async def test_a_storage_fault_in_the_exit_dialog_shows_no_pin_hash_and_stays_locked(room):
    code = open_sitting(room)
    centre = centre_for(room)
    app = learner_app(room, code, "1001", centre=centre)
    with pytest.raises(sqlite3.OperationalError):
        async with app.run_test(size=SIZE) as pilot:
            screen = await writing(pilot, room, code)
            await pilot.press(*"isolate first")
            advance(room, 1.1)
            screen.autosave_check()
            await settle(pilot)
            break_writes(centre)
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ExitCodeDialog))
            exit_code = room.sittings.status(code).exit_code
            await pilot.press(*exit_code, "enter")  # checking the exit code records the close: a write
            await until(pilot, lambda: isinstance(app.screen, LearnerFaultScreen))
            assert_nothing_leaks(app, room)
            assert app.locked_down and app.is_running
    assert answer_rows(room, code, "1001") == {"1": "isolate first"}
    assert_logged_for_staff(room)


async def test_a_fault_on_a_staff_screen_says_where_the_log_is_and_closes_with_status_1(room, tmp_path):
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen

    centre = centre_for(room)
    app = MarkerApp(centre, start=StaffSignInScreen("Invigilate", lambda member: StaffSignInScreen(
        "again", lambda m: None)), steady=True)
    with pytest.raises(sqlite3.OperationalError):
        async with app.run_test(size=SIZE) as pilot:
            break_writes(centre)
            await pilot.press(*INVIGILATOR, "enter", *PIN, "enter")
            await until(pilot, lambda: isinstance(app.screen, StaffFaultScreen))
            shown = " ".join(screen_text(app).split())
            assert "Something went wrong" in shown and "Traceback" not in shown
            assert str(fault_log_path(room.path).name) in shown
            await pilot.press("enter")
            await until(pilot, lambda: not app.is_running)
    assert app.return_code == 1


def test_the_log_entry_has_no_variable_values_and_no_hex_secrets():
    secret_hash = "9f" * 32

    def check(pin_hash: str) -> None:
        raise ValueError(f"mismatch for {pin_hash}")

    try:
        check(secret_hash)
    except ValueError as error:
        entry = format_fault(error, where="test")
    assert secret_hash not in entry and "[hex removed]" in entry
    assert "in check" in entry and "pin_hash" not in entry.split("\n")[1]  # frames, never locals
    assert len(safe_message(RuntimeError("x" * 5000))) <= 300


# --- a real learner process, hit by a real operating-system fault --------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork") or shutil.which("tmux") is None, reason="needs tmux")
def test_a_learner_process_whose_disk_fills_shows_the_calm_message_and_keeps_the_answer(sitting_db, tmux_server):
    """The fault: the running process's file-size limit (``prlimit RLIMIT_FSIZE``) is set to the size its
    write-ahead log has reached, so every further write fails in the kernel (EFBIG), as on a full disk:
    SQLite reports a disk I/O error. It works as root (the limit binds root too) and needs no mount."""
    path, db = sitting_db
    command = [str(MARKER_TUI), "--db", str(path), "sit", CODE, "--candidate", "1001"]
    learner = Terminal(tmux_server, "full", command)
    admitted(learner)
    learner.keys("y")
    learner.wait_for("Question 1")
    learner.type("before the fault")
    _wait(lambda: _answer(path) == "before the fault", "the first answer was never saved")
    wal = path.with_name(path.name + "-wal")
    limit = wal.stat().st_size
    hard = resource.prlimit(learner.pid, resource.RLIMIT_FSIZE)[1]
    resource.prlimit(learner.pid, resource.RLIMIT_FSIZE, (limit, hard))
    try:
        learner.type(" and after")
        learner.wait_for("NOT SAVED")
        learner.keys("C-q")
        learner.wait_for("Exit code (the invigilator has it)")
        exit_code = SittingService(db, SystemClock()).status(CODE).exit_code
        learner.type(exit_code)
        learner.keys("Enter")  # closing the terminal is recorded: that write fails too
        shown = " ".join(re.sub("[│╭╮╰╯─]", " ", learner.wait_for("Something went wrong")).split())
        assert "your saved answers are safe" in shown and "call the invigilator" in shown
        assert "Traceback" not in shown and "Error" not in shown and "pin_" not in shown
    finally:
        resource.prlimit(learner.pid, resource.RLIMIT_FSIZE, (hard, hard))
    assert _answer(path) == "before the fault"
    learner.keys("C-t")  # the invigilator starts the terminal again: the learner carries on
    admitted(learner)
    learner.keys("y")
    learner.wait_for("before the fault and after")
    log = fault_log_path(path).read_text(encoding="utf-8")
    assert "disk I/O error" in log or "database or disk is full" in log


def test_a_command_hit_by_an_unexpected_error_prints_one_line_and_no_traceback(room):
    """A stored paper damaged outside marker-tui: no command expects it, so the boundary in main() answers."""
    code = open_sitting(room)
    room.db.execute("UPDATE papers SET paper_json = '{\"questions\": \"not a list\"}'")
    done = subprocess.run([str(MARKER_TUI), "--db", str(room.path), "sitting", "status", code, "--by", ADMIN,
                           "--pin-stdin"], input=PIN + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unexpected error" in lines[0]
    assert str(fault_log_path(room.path)) in lines[0]
    log = fault_log_path(room.path).read_text(encoding="utf-8")
    assert "ValidationError" in log and "not a list" not in log  # pydantic's input values stay out
