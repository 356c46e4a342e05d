"""The UI thread never waits on the database (issue 17.4).

Each screen here calls its services through ServiceCalls.run_service (a thread worker). While
another program holds SQLite's write lock (``BEGIN IMMEDIATE`` on a second connection, as a busy
room's saves would), a screen whose call must write keeps answering keys, and the result arrives
once the lock is released. And no screen module hand-rolls its own thread workers.
"""

from __future__ import annotations

import ast
import threading
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
from marker_tui.interfaces.tui.screens.reviews import ReviewScreen
from marker_tui.interfaces.tui.widgets.admin_forms import AddStaffForm, ReportDialog
from marker_tui.services.centre import Centre
from marker_tui.services.exports import ExportKind
from marker_tui.storage.assessment_files import load_library
from marker_tui.storage.database import open_database
from sitting_fixtures import INVIGILATOR, build_room
from test_export_service import ADMIN as EXPORT_ADMIN, build_export_room
from waiting import time_read, until, workers_done

SCREENS = Path(__file__).resolve().parents[1] / "marker_tui" / "interfaces" / "tui" / "screens"
WIDGETS = SCREENS.parent / "widgets"
SIZE = (100, 32)


async def settle(pilot) -> None:
    await workers_done(pilot)  # until none is left, with a deadline (tests/waiting.py)


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
            await until(pilot, lambda: "Checking" in str(screen.query_one("#pin-error").render()), "Checking…")
            await pilot.press("shift+tab")
            await until(pilot, lambda: app.focused.id == "staff-name", "the key handled while the sign-in waits")
            assert app.screen is screen
        await settle(pilot)
        assert isinstance(app.screen, SittingChooserScreen)
        assert app.screen.member.name == INVIGILATOR  # the room is run as them (the terminal signs out on leaving)
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
            await until(pilot, lambda: app.screen is login, "back on the login")
            await pilot.press("shift+tab")
            await until(pilot, lambda: app.focused.id == "candidate", "the key handled while the log-in waits")
        await settle(pilot)
        assert isinstance(app.screen, LearnerSittingScreen)
    centre.close()


# --- the learner's clock ----------------------------------------------------------------------------------


async def test_the_learners_clock_reads_the_time_off_the_ui_thread_so_typing_never_waits_for_the_disk(room):
    """A stalled disk (here: the read of the time left held until the test lets it go) must not freeze the
    learner's screen. The clock read each second used to run on the UI thread: every key waited for it."""
    from test_learner_screen import learner_app, logged_in, start

    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    app = learner_app(room, code, "1001")
    released, reads = threading.Event(), []
    async with app.run_test(size=SIZE) as pilot:
        screen = await logged_in(pilot)
        start(room, code)
        await time_read(pilot, screen)
        assert screen.phase == "writing"
        real = app.centre.learners.time_left

        def stalled(*args, **kwargs):
            reads.append(threading.current_thread() is threading.main_thread())
            released.wait(20)  # a disk that does not answer (a deadlock guard, not a timing)
            reads.append("answered")
            return real(*args, **kwargs)

        app.centre.learners.time_left = stalled
        try:
            shown = screen.time_reads
            screen.tick()  # what the one-second timer does
            await until(pilot, lambda: reads, "the clock's read under way")
            await pilot.press(*"fire exit")
            await until(pilot, lambda: screen.editor.text == "fire exit", "the keys typed while the read waits")
            assert reads == [False], "the time was read on the UI thread, or the keys waited for the read"
            assert screen.time_reads == shown
        finally:
            released.set()
        await until(pilot, lambda: screen.time_reads > shown, "the clock, once the disk answers")
        assert screen.save_problem is None


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
            await until(pilot, lambda: screen.active_tab == "staff", "the key handled while the reload waits")
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
    app.NOTIFICATION_TIMEOUT = 600  # toasts expire in real time: kept until the test has read them
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        with write_lock_held(built.room.path):
            screen.action_export()  # the export is recorded in the audit log: it waits for the lock
            await pilot.pause()
            await pilot.press("escape")  # Close: refused while it runs, and said so at once
            await until(pilot, lambda: any("still running" in n.message for n in app._notifications), "the refusal")
            assert app.screen is screen and screen.running
        await settle(pilot)
        assert screen.runs_finished == 1 and not screen.running
        assert "Export done" in [n.title for n in app._notifications]
    assert (folder / f"{built.code}-audit.csv").exists() or any(folder.rglob("*.csv"))
    built.db.close()


# --- an admin form's save --------------------------------------------------------------------------------


def _staff_added(centre: Centre) -> int:
    return list(centre.db.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'staff added'"))[0]["n"]


async def test_an_admin_form_waits_for_its_save_and_saves_once(admin_centre):
    before = _staff_added(admin_centre)
    app = MarkerApp(admin_centre, start=AdminScreen(admin_centre.staff.get("Ada Admin")), steady=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")  # the staff tab
        await settle(pilot)
        await pilot.press("a")  # add a staff member
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddStaffForm)
        form.query_one("#name").value = "Mo Marker"
        form.query_one("#role-marker").value = True
        form.query_one("#pin").value = "2468"
        again = form.query_one("#pin-again")
        again.value = "2468"
        again.focus()
        await pilot.pause()
        with write_lock_held(admin_centre.path):
            await pilot.press("enter")  # adding a member is an audited write: it waits for the lock
            await pilot.pause()
            await pilot.press("enter")  # a double Enter while the first save waits
            await pilot.pause()
            assert app.screen is form  # the form waits for its save's result before closing
            assert "Saving" in str(form.query_one("#form-error").render())
            await pilot.press("shift+tab")
            await until(pilot, lambda: app.focused.id == "pin", "the key handled while the save waits")
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
    assert [m.name for m in admin_centre.staff.members()].count("Mo Marker") == 1
    assert _staff_added(admin_centre) == before + 1  # the double Enter saved once


# --- the reviewer's screen ---------------------------------------------------------------------------------


async def test_the_review_screen_answers_keys_while_a_decision_waits_for_the_database(tmp_path):
    from datetime import date, timedelta

    from marker_tui.services.review_of_marking import ReviewOfMarkingService
    from sitting_fixtures import ADMIN, PIN

    built = build_export_room(tmp_path / "centre.db", tmp_path / "papers")
    built.room.staff.add("Cara Checker", ["marker"], PIN, by=ADMIN)
    built.exports.export_results(built.code, tmp_path / "results.csv", by=ADMIN, allow_incomplete=True)
    review = ReviewOfMarkingService(built.db, built.clock).open(
        built.code, "1002", reason="Q2b deserved more", deadline=date(2026, 3, 2) + timedelta(days=3),
        reviewer="Cara Checker", by=ADMIN)
    centre = Centre(db=open_database(built.room.path), clock=built.clock)
    screen = ReviewScreen(review.id, "Cara Checker")
    app = MarkerApp(centre, start=screen, steady=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "Q2b deserved more" in str(screen.query_one("#review-about").render())
        reason = screen.query_one("#review-reason")
        reason.focus()
        reason.value = "fair"
        await pilot.pause()
        with write_lock_held(built.room.path):
            await pilot.press("enter")  # the decision is an audited write: it waits for the lock
            await pilot.pause()
            await pilot.press("enter")  # a double Enter: still one decision
            await until(pilot, lambda: "saving" in str(screen.query_one("#review-message").render()), "saving…")
            await pilot.press("shift+tab")  # the key was handled while the decision waits
            await until(pilot, lambda: app.focused.id == "review-mark", "the key")
        await settle(pilot)
        questions = screen.query_one("#review-questions")
        assert [str(c) for c in questions.get_row_at(0)][3] == "upheld"
        assert [str(c) for c in questions.get_row_at(1)][3] == "to decide"
    centre.close()
    built.db.close()


# --- no service called on the UI thread -----------------------------------------------------------------------


def _direct_calls(source: str) -> list[str]:
    """Calls of ``self.app.centre.<service>.<method>(...)`` not handed to run_service (or a worker's function).

    A call inside a lambda, a nested function or a method handed to run_service by name is not
    counted: those are what the screens hand to run_service (they run on its worker). A reference
    without a call (``run_service(centre.x.y, ...)``) is no call at all. Not seen: a service first
    kept in a variable (``service = self.app.centre.x; service.y()``) or reached through a helper.
    """
    found: list[str] = []

    def centre_call(node: ast.Call) -> str | None:
        f = node.func  # self.app.centre.<service>.<method>
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute)):
            return None
        c = f.value.value
        if (isinstance(c, ast.Attribute) and c.attr == "centre" and isinstance(c.value, ast.Attribute)
                and c.value.attr == "app"):
            return f"{f.value.attr}.{f.attr}"
        return None

    tree = ast.parse(source)
    # Methods handed by name to run_service (``self.run_service(self._read, ...)``) run on its worker,
    # and those handed to a TimeReader (``TimeReader(self._read_time, ...)``) on its thread.
    def runs_off_the_ui_thread(call: ast.AST) -> bool:
        if not isinstance(call, ast.Call):
            return False
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        return name in ("run_service", "TimeReader")

    on_worker = {call.args[0].attr for call in ast.walk(tree)
                 if runs_off_the_ui_thread(call) and call.args and isinstance(call.args[0], ast.Attribute)
                 and isinstance(call.args[0].value, ast.Name) and call.args[0].value.id == "self"}

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            inner = nested or isinstance(child, ast.Lambda) or (function and (
                isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or child.name in on_worker))
            if isinstance(child, ast.Call) and not inner:
                name = centre_call(child)
                if name and name not in ON_THE_UI_THREAD:
                    found.append(f"{child.lineno}: {name}")
            visit(child, inner)

    visit(tree, False)
    return found


ON_THE_UI_THREAD = {
    "clock.now",  # the injected clock, no database
    "marking_for",  # builds a service object for one marker, no query
}


def test_no_screen_or_widget_calls_a_service_on_the_ui_thread():
    modules = sorted(SCREENS.glob("*.py")) + sorted(WIDGETS.glob("*.py"))
    offenders = {p.name: _direct_calls(p.read_text(encoding="utf-8")) for p in modules}
    offenders = {name: found for name, found in offenders.items() if found}
    assert not offenders, f"call services through ServiceCalls.run_service instead: {offenders}"


def test_the_call_finder_skips_what_run_service_runs():
    sample = ("class S:\n"
              "    def a(self): self.app.centre.staff.add(1)\n"
              "    def b(self): self.run_service(self.app.centre.staff.add, 1, done=print)\n"
              "    def c(self): self.run_service(lambda: self.app.centre.staff.add(1), done=print)\n"
              "    def d(self):\n"
              "        def work(): return self.app.centre.staff.add(1)\n"
              "        self.run_service(work, done=print)\n"
              "    def e(self): return self.app.centre.clock.now()\n"
              "    def f(self): self.run_service(self._read, done=print)\n"
              "    def _read(self): return self.app.centre.sittings.sittings()\n"
              "    def g(self): self.reader = TimeReader(self._time, print)\n"
              "    def _time(self): return self.app.centre.learners.time_left(1)\n"
              "    def h(self): return self.app.centre.learners.time_left(1)\n")
    assert _direct_calls(sample) == ["2: staff.add", "13: learners.time_left"]
