"""A learner's ``marker-tui sit`` through the learner server: the terminal works as it would on its
own, and the process the SSH session waits on is only a bare interpreter passing signals on."""

from __future__ import annotations

import os
import pty
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marker_tui.domain.admission import derived_keycode
from marker_tui.interfaces.cli.entry import socket_path
from learner_processes import gone, read_until, saved_answer, started_sitting

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and a pty")]

MARKER_TUI = Path(sys.executable).with_name("marker-tui")
CODE = "SRV-1"








@pytest.fixture
def served(tmp_path):
    """A started sitting for candidate 1001 and a learner server for its database."""
    db_path = tmp_path / "centre.db"
    started_sitting(db_path, CODE, seed="srv")
    env = {k: v for k, v in os.environ.items() if k != "MARKER_TUI_BY"}
    server = subprocess.Popen([str(MARKER_TUI), "--db", str(db_path), "learner-server"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    forked: list[int] = []
    try:
        assert b"listening on" in server.stderr.readline()
        yield db_path, env, forked, server.pid
    finally:
        server.terminate()
        server.wait(10)
        for pid in forked:  # learners outlive a stopped server by design
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_a_learner_types_through_the_server_and_closing_the_session_ends_the_terminal(served):
    db_path, env, forked, _ = served
    master, slave = pty.openpty()
    env = {**env, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    # Its own session with this terminal as its controlling one: closing the terminal sends SIGHUP, as SSH does.
    sit = subprocess.Popen([str(MARKER_TUI), "--db", str(db_path), "sit", CODE, "--candidate", "1001"],
                           stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    try:
        read_until(master, b"Keycode")
        # The session's process is now the relay alone, in a bare interpreter (no site-packages loaded).
        argv = Path(f"/proc/{sit.pid}/cmdline").read_bytes().split(b"\0")
        assert argv[1:3] == [b"-I", b"-S"] and argv[3].endswith(b"relay.py"), argv
        assert b"site-packages" not in Path(f"/proc/{sit.pid}/maps").read_bytes()
        terminal = int(argv[5])
        forked.append(terminal)
        assert terminal != sit.pid and not gone(terminal)
        os.write(master, derived_keycode("srv", CODE, "1001").encode() + b"\r")
        read_until(master, b"Is this you?")
        os.write(master, b"y")
        read_until(master, b"Question 1")
        os.write(master, b"fire exit")
        read_until(master, b"fire exit")
        os.close(master)  # the SSH session ends before the one-second autosave
        master = None
        sit.wait(timeout=30)
        end = time.monotonic() + 30
        while not gone(terminal):
            assert time.monotonic() < end, "the learner's terminal kept running after its session closed"
            time.sleep(0.1)
        assert saved_answer(db_path) == "fire exit"
    finally:
        if master is not None:
            os.close(master)
        if sit.poll() is None:
            sit.kill()
            sit.wait()


def test_a_request_that_is_not_a_learners_terminal_is_refused_and_the_server_carries_on(served):
    db_path, env, forked, server = served
    counts = []
    for request, fds in ((b'{"args": []}\n', []), (b"not json at all\n", [0, 1, 2]), (b"[1]\n", [0, 1, 2])):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(socket_path(db_path))
            socket.send_fds(connection, [request], fds)
            connection.settimeout(10)
            assert connection.recv(100) == b"", "the server answered a request it should refuse"
        counts.append(len(os.listdir(f"/proc/{server}/fd")))
    assert counts[1:] == counts[:1] * 2, "the server kept a refused request's terminal open"
    # Still serving: a real learner's sit gets a terminal.
    master, slave = pty.openpty()
    sit = subprocess.Popen([str(MARKER_TUI), "--db", str(db_path), "sit", CODE, "--candidate", "1001"],
                           stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
                           start_new_session=True)
    os.close(slave)
    try:
        read_until(master, b"Keycode")
        forked.append(int(Path(f"/proc/{sit.pid}/cmdline").read_bytes().split(b"\0")[5]))
    finally:
        os.close(master)
        sit.wait(timeout=30)
