"""``marker-tui sit`` as a real process in a terminal (tmux): type, SIGKILL, relaunch, resume.

The real clock runs here, so times are checked within a window, and every wait
polls (the screen or the database) against a deadline instead of sleeping a
fixed time.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marker_tui.domain.admission import derived_keycode
from marker_tui.domain.clock import SystemClock
from marker_tui.services.learner import LearnerService
from marker_tui.services.invigilation import SittingService
from marker_tui.storage.database import open_database
from sitting_fixtures import INVIGILATOR, build_room

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]

MARKER_TUI = Path(sys.executable).with_name("marker-tui")
CODE = "PTY-1"


class Terminal:
    """One tmux pane running one command, on a private tmux server."""

    def __init__(self, socket: str, name: str, command: list[str]) -> None:
        self.socket, self.name = socket, name
        line = "exec " + " ".join(_quote(part) for part in command)
        self._tmux("new-session", "-d", "-s", name, "-x", "80", "-y", "24", line)
        self.pid = int(self._tmux("display-message", "-p", "-t", name, "#{pane_pid}").strip())

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True,
                              text=True).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, *texts: str, deadline: float = 60.0) -> str:  # a new process on a loaded machine: it all takes a while
        """Until the screen shows one of ``texts``."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            shown = self.screen()
            if any(text in shown for text in texts):
                return shown
            time.sleep(0.05)
        raise AssertionError(f"{' or '.join(map(repr, texts))} never appeared; the screen shows:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        for ch in text:  # one key at a time, as a person types (a burst would arrive as a paste)
            self._tmux("send-keys", "-t", self.name, "-l", ch)


def _quote(part: str) -> str:
    return "'" + part.replace("'", "'\\''") + "'"


def _answer(path: Path) -> str | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT a.text FROM answers a JOIN scripts s ON s.id = a.script_id "
                           "JOIN candidates c ON c.id = s.candidate_id "
                           "WHERE c.candidate_number = '1001' AND a.question_id = '1'").fetchone()
    return row[0] if row else None


def _seconds(clock: str) -> int:
    h, m, s = (int(x) for x in clock.split(":"))
    return h * 3600 + m * 60 + s


@pytest.fixture
def sitting_db(tmp_path):
    room = build_room(tmp_path / "centre.db")  # staff, candidates, a 90-minute paper
    room.db.close()
    db = open_database(tmp_path / "centre.db")
    sittings = SittingService(db, SystemClock())  # the real clock from here on: the process uses it
    sittings.create_sitting(room.paper.id, by=INVIGILATOR, code=CODE)
    sittings.enrol(CODE, ["1001"], by=INVIGILATOR)
    sittings.issue_keycodes(CODE, by=INVIGILATOR, seed="pty")
    sittings.open(CODE, by=INVIGILATOR)
    sittings.start(CODE, by=INVIGILATOR)
    yield tmp_path / "centre.db", db
    db.close()


@pytest.fixture
def tmux_server():
    socket = f"marker-test-{os.getpid()}-{time.monotonic_ns()}"
    yield socket
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


KEYCODE = derived_keycode("pty", CODE, "1001")


def admitted(terminal: Terminal) -> None:
    """The learner types the keycode from their slip (the form opens on it) and confirms their name."""
    terminal.wait_for("Keycode (on your admission slip)")
    terminal.type(KEYCODE)
    terminal.keys("Enter")
    terminal.wait_for("Is this you?")


def test_an_answer_survives_sigkill_and_the_time_left_is_right_after_relaunch(sitting_db, tmux_server):
    path, db = sitting_db
    began = time.monotonic()  # the sitting started just before (sitting_db)
    command = [str(MARKER_TUI), "--db", str(path), "sit", CODE, "--candidate", "1001"]
    first = Terminal(tmux_server, "first", command)
    admitted(first)
    first.keys("y")
    first.wait_for("Question 1")
    first.type("a trailing cable")
    end = time.monotonic() + 30  # autosave: 1 s after the last key (poll the database, do not guess)
    while _answer(path) != "a trailing cable":
        assert time.monotonic() < end, f"the answer never reached the database: {_answer(path)!r}"
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 30  # gone once tmux has reaped it, later on a loaded machine
    while True:
        try:
            os.kill(first.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the learner's process did not die"
        time.sleep(0.02)

    again = Terminal(tmux_server, "again", command)
    admitted(again)
    again.keys("y")
    # The killed terminal's lease (LEASE_SECONDS, real time) has usually not lapsed yet: then the
    # invigilator approves the move. On a loaded machine the relaunch can outlast it: then it opens at once.
    if "open on another terminal" in again.wait_for("open on another terminal", "a trailing cable"):
        SittingService(db, SystemClock()).approve_takeover(CODE, "1001", by=INVIGILATOR)
    shown = again.wait_for("a trailing cable")
    assert "Question 1" in shown and "3 words" in shown
    script_id = next(c.script_id for c in SittingService(db, SystemClock()).status(CODE).candidates)
    # The screen's clock against the service's answer, read again until they meet: on a loaded machine
    # one capture can predate the screen's next tick by more than the tolerance.
    end = time.monotonic() + 30
    while True:
        shown = again.screen()
        expected = LearnerService(db, SystemClock()).time_left(script_id).left_seconds
        on_screen = _seconds(re.search(r"Time left (\d+:\d\d:\d\d)", shown).group(1))
        if abs(on_screen - expected) <= 3:  # the service's answer, give or take the seconds in between
            break
        assert time.monotonic() < end, f"the screen shows {on_screen} s left, the service says {expected} s"
        time.sleep(0.2)
    # The time ran on while the terminal was dead, and no more than this test has taken.
    assert 90 * 60 - (time.monotonic() - began) - 5 < on_screen < 90 * 60


def test_a_second_terminal_is_refused_until_the_invigilator_moves_the_script_and_then_the_first_stops(
        sitting_db, tmux_server):
    path, db = sitting_db
    command = [str(MARKER_TUI), "--db", str(path), "sit", CODE, "--candidate", "1001"]
    first = Terminal(tmux_server, "desk-1", command)
    admitted(first)
    first.keys("y")
    first.wait_for("Question 1")
    first.type("typed at desk one")
    end = time.monotonic() + 30
    while _answer(path) != "typed at desk one":
        assert time.monotonic() < end, f"the answer never reached the database: {_answer(path)!r}"
        time.sleep(0.05)

    second = Terminal(tmux_server, "desk-2", command)
    admitted(second)
    second.keys("y")
    second.wait_for("open on another terminal")
    sittings = SittingService(db, SystemClock())
    row = next(c for c in sittings.status(CODE).candidates if c.candidate_number == "1001")
    assert row.takeover_terminal and row.terminal_live and row.takeover_terminal != row.terminal
    refused = [e for e in sittings.log(CODE) if e.action == "second login refused"]
    assert len(refused) == 1 and refused[0].details["live terminal"] == row.terminal

    sittings.approve_takeover(CODE, "1001", by=INVIGILATOR)
    second.wait_for("typed at desk one")  # the saved answer opens on the new desk
    first.type(" and more")  # the old desk's next save is refused, and its screen says why
    first.wait_for("now open on another terminal")
    assert _answer(path) == "typed at desk one"
    moved = [e for e in sittings.log(CODE) if e.action == "terminal takeover approved"]
    assert moved[0].details["from terminal"] == row.terminal
    assert moved[0].details["to terminal"] == row.takeover_terminal
