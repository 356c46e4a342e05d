"""The UI thread never waits on the database (issue 17.4).

Each screen here calls its services through ServiceCalls.run_service (a thread worker). While
another program holds SQLite's write lock (``BEGIN IMMEDIATE`` on a second connection, as a busy
room's saves would), a screen whose call must write keeps answering keys, and the result arrives
once the lock is released. And no screen module hand-rolls its own thread workers.
"""

from __future__ import annotations

import ast
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.admin import AdminScreen
from marker_tui.interfaces.tui.screens.export import ExportScreen
from marker_tui.interfaces.tui.screens.home import SittingChooserScreen
from marker_tui.interfaces.tui.screens.learner import (
    ConfirmNameDialog,
    LearnerLoginScreen,
    LearnerSittingScreen,
)
from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen
from marker_tui.interfaces.tui.widgets.admin_forms import ReportDialog
from marker_tui.services.centre import Centre
from marker_tui.services.exports import ExportKind
from marker_tui.storage.assessment_files import load_library
from marker_tui.storage.database import open_database
from sitting_fixtures import INVIGILATOR, build_room
from test_export_service import ADMIN as EXPORT_ADMIN, build_export_room

SCREENS = Path(__file__).resolve().parents[1] / "marker_tui" / "interfaces" / "tui" / "screens"
SIZE = (100, 32)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@contextmanager
def write_lock_held(path: Path):
    """Another process writing: holds SQLite's write lock until the block ends."""
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


# --- no hand-rolled thread workers in screens ---------------------------------------------------------


def _own_threads(source: str) -> list[str]:
    """``asyncio.to_thread(...)``, ``@work(thread=True)`` and ``run_worker(..., thread=True)`` in a module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        threaded = any(k.arg == "thread" and isinstance(k.value, ast.Constant) and k.value.value is True
                       for k in node.keywords)
        if name == "to_thread" or (name in ("work", "run_worker") and threaded):
            found.append((node.lineno, name))
    return [f"{line}: {name}" for line, name in sorted(found)]


def test_no_screen_starts_its_own_threads():
    offenders = {p.name: _own_threads(p.read_text(encoding="utf-8")) for p in sorted(SCREENS.glob("*.py"))}
    offenders = {name: found for name, found in offenders.items() if found}
    assert not offenders, f"call services through ServiceCalls.run_service instead: {offenders}"


def test_the_thread_finder_finds_each_kind():
    sample = ("import asyncio\nfrom textual import work\n"
              "@work(thread=True)\ndef a(self): pass\n"
              "async def b(self): await asyncio.to_thread(f)\n"
              "def c(self): self.run_worker(f, thread=True)\n"
              "def d(self): self.run_worker(f())\n")
    assert [line.split(": ")[1] for line in _own_threads(sample)] == ["work", "to_thread", "run_worker"]


# --- home: a member of staff signing in -------------------------------------------------------------------


@pytest.fixture
def room(tmp_path):
    built = build_room(tmp_path / "centre.db")
    yield built
    built.db.close()


async def test_staff_sign_in_answers_keys_while_the_database_is_busy(room):
    """Signing in writes (audited), so it waits for the lock: the form keeps taking keys meanwhile."""
    centre = Centre(db=open_database(room.path), clock=room.clock)
    app = MarkerApp(centre, library=load_library(paths=[]), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")  # Invigilate: sign in first
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StaffSignInScreen)
        screen.query_one("#staff-name").value = INVIGILATOR
        pin = screen.query_one("#staff-pin")
        pin.value = "4826"
        pin.focus()
        await pilot.pause()
        with write_lock_held(room.path):
            await pilot.press("enter")
            await pilot.pause()
            assert "Checking" in str(screen.query_one("#pin-error").render())
            await pilot.press("shift+tab")
            await pilot.pause()
            assert app.focused.id == "staff-name"  # the key was handled while the sign-in waits
            assert app.screen is screen
        await settle(pilot)
        assert isinstance(app.screen, SittingChooserScreen)
        assert app.staff_member.name == INVIGILATOR
    centre.close()


# --- the learner's log-in ----------------------------------------------------------------------------------


async def test_learner_log_in_answers_keys_while_the_database_is_busy(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    keycode = room.keycode(code, "1001")
    centre = Centre(db=open_database(room.path), clock=room.clock)
    app = MarkerApp(centre, start=LearnerLoginScreen(code, "1001", locked=True), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        login = app.screen
        assert app.focused.id == "keycode"
        app.focused.value = keycode
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmNameDialog)
        with write_lock_held(room.path):
            await pilot.press("y")  # logging in writes the script's claim: it waits for the lock
            await pilot.pause()
            assert app.screen is login
            await pilot.press("shift+tab")
            await pilot.pause()
            assert app.focused.id == "candidate"  # the key was handled while the log-in waits
        await settle(pilot)
        assert isinstance(app.screen, LearnerSittingScreen)
    centre.close()


# --- the admin screen --------------------------------------------------------------------------------------


@pytest.fixture
def admin_centre(tmp_path: Path, mini) -> Centre:
    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.setup import create_first_admin

    built = Centre(db=open_database(tmp_path / "centre.db"), clock=FakeClock(),
                   papers_dir=mini.root / "papers", markschemes_dir=mini.root / "markschemes")
    create_first_admin(built, "Ada Admin", "4826", "4826")
    yield built
    built.close()


async def test_the_admin_screen_answers_keys_while_a_reload_waits_for_the_database(admin_centre):
    app = MarkerApp(admin_centre, start=AdminScreen(admin_centre.staff.get("Ada Admin")), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        with write_lock_held(admin_centre.path):
            await pilot.press("r")  # reload the files into the database: a write
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
            assert screen.active_tab == "staff"  # the key was handled while the reload waits
            assert "Reloading" in str(screen.query_one("#papers-status").render())
        await settle(pilot)
        assert isinstance(app.screen, ReportDialog)
    rows = list(admin_centre.db.query("SELECT COUNT(*) AS n FROM papers"))
    assert rows[0]["n"] == 1


# --- the export dialog -------------------------------------------------------------------------------------


async def test_the_export_dialog_answers_keys_while_the_export_waits_for_the_database(tmp_path):
    built = build_export_room(tmp_path / "centre.db", tmp_path / "papers")
    folder = tmp_path / "exports"
    screen = ExportScreen(built.code, by=EXPORT_ADMIN, folder=folder, kind=ExportKind.AUDIT_CSV)
    app = MarkerApp(built.centre, library=load_library(paths=[]), start=screen, steady=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        with write_lock_held(built.room.path):
            screen.action_export()  # the export is recorded in the audit log: it waits for the lock
            await pilot.pause()
            await pilot.press("escape")  # Close: refused while it runs, and said so at once
            await pilot.pause()
            assert app.screen is screen and screen.running
            assert any("still running" in n.message for n in app._notifications)
        await settle(pilot)
        assert screen.runs_finished == 1 and not screen.running
        assert "Export done" in [n.title for n in app._notifications]
    assert (folder / f"{built.code}-audit.csv").exists() or any(folder.rglob("*.csv"))
    built.db.close()
