"""The learner server and the relay survive bad and slow clients (review20): a client that hangs up
early, stays silent, trickles, sends too much or no terminal costs only that client; a learner's
terminal notices a resize and a closed terminal by itself once the server has stopped; the client
never waits long for the server, and Ctrl+C while it waits prints no traceback.

Real processes on real ptys and sockets; every wait polls against a deadline."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from marker_tui.domain.admission import derived_keycode
from marker_tui.interfaces.cli.entry import socket_path
from marker_tui.interfaces.cli.learner_server import PENDING_LIMIT, terminal_environment
from learner_processes import gone, saved_answer, started_sitting

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and a pty")]

MARKER_TUI = Path(sys.executable).with_name("marker-tui")
CODE = "CLI-1"
KEYCODE = derived_keycode("cli", CODE, "1001")


class Screen:
    """What a pty's master has received so far."""

    def __init__(self, master: int) -> None:
        self.master, self.seen = master, b""

    def wait_for(self, wanted: bytes, seconds: float = 30) -> None:
        end = time.monotonic() + seconds
        while wanted not in self.seen:
            assert time.monotonic() < end, f"{wanted!r} never appeared:\n{self.seen.decode(errors='replace')[-2000:]}"
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:
                    break




def _wait_gone(pid: int, what: str, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not gone(pid):
        assert time.monotonic() < end, what
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]




def _take_terminal() -> None:
    # In the new session, this terminal becomes the controlling one, as sshd makes it: Ctrl+C is SIGINT.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.fixture
def room(tmp_path):
    """A started sitting for candidate 1001 and the environment its processes run in."""
    db_path = tmp_path / "centre.db"
    started_sitting(db_path, CODE, seed="cli")
    env = {k: v for k, v in os.environ.items() if k not in ("MARKER_TUI_BY", "MARKER_TUI_ERROR_LOG")}
    env.update(TERM="xterm-256color")
    return db_path, env


class Learners:
    """A learner server for the room's database and the learners' processes this test started."""

    def __init__(self, db_path: Path, env: dict[str, str]) -> None:
        self.db_path, self.env = db_path, env
        self.server: subprocess.Popen | None = None
        self.processes: list[subprocess.Popen] = []
        self.masters: list[int] = []
        self.forked: list[int] = []
        self.log = b""

    def start_server(self, *options: str) -> subprocess.Popen:
        self.server = subprocess.Popen([str(MARKER_TUI), "--db", str(self.db_path), "learner-server", *options],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       env=self.env)
        assert b"listening on" in self.server.stderr.readline()
        return self.server

    def stop_server(self) -> None:
        self.server.terminate()
        self.server.wait(30)
        self.log += self.server.stderr.read()
        self.server.stderr.close()

    def sit(self, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Screen]:
        master, slave = pty.openpty()
        fcntl.ioctl(master, termios.TIOCSWINSZ, b"\x1e\x00\x64\x00\x00\x00\x00\x00")  # 100 x 30
        process = subprocess.Popen([str(MARKER_TUI), "--db", str(self.db_path), "sit", CODE, "--candidate", "1001"],
                                   stdin=slave, stdout=slave, stderr=slave, env=env or self.env,
                                   start_new_session=True, preexec_fn=_take_terminal)
        os.close(slave)
        self.processes.append(process)
        self.masters.append(master)
        return process, Screen(master)

    def terminal_of(self, process: subprocess.Popen) -> int | None:
        """The forked terminal's pid if ``process`` became the relay, else None (it runs the terminal itself)."""
        argv = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        if len(argv) > 5 and argv[3].endswith(b"relay.py"):
            self.forked.append(int(argv[5]))
            return int(argv[5])
        return None

    def close(self) -> None:
        for master in self.masters:
            try:
                os.close(master)
            except OSError:
                pass
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.server is not None and self.server.poll() is None:
            self.stop_server()
        for pid in self.forked:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def learners(room):
    made = Learners(*room)
    yield made
    made.close()


def _request(env: dict[str, str] | None = None) -> bytes:
    return json.dumps({"args": [CODE, "--candidate", "1001"], "env": env or {"TERM": "xterm"}}).encode() + b"\n"


def _a_terminal() -> tuple[int, int]:
    master, slave = pty.openpty()
    return master, slave


def test_clients_that_hang_up_before_or_just_after_the_reply_leave_the_server_serving_and_no_terminal_behind(learners):
    server = learners.start_server()
    masters = []
    try:
        for early in (True, False) * 4:
            master, slave = _a_terminal()
            masters.append(master)  # the terminal stays open: only the closed connection may end its process
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.connect(socket_path(learners.db_path))
                socket.send_fds(connection, [_request()], [slave, slave, slave])
                os.close(slave)
                if not early:  # the SSH session ends just as its terminal starts
                    connection.settimeout(30)
                    assert connection.recv(64).startswith(b"pid ")
        end = time.monotonic() + 30
        while server.poll() is None and _children(server.pid):
            assert time.monotonic() < end, f"terminals kept running after their clients hung up: {_children(server.pid)}"
            time.sleep(0.1)
        assert server.poll() is None, "the learner server stopped because a client hung up"
        process, screen = learners.sit()
        screen.wait_for(b"Keycode")
        assert learners.terminal_of(process) is not None, "the learner was not served by the server"
    finally:
        for master in masters:
            os.close(master)


def test_silent_clients_and_a_trickling_one_do_not_hold_up_a_learner(learners):
    learners.start_server()
    path = socket_path(learners.db_path)
    silent = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(PENDING_LIMIT + 6)]
    for connection in silent:  # more than the server reads at once
        connection.connect(path)
    trickle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    trickle.connect(path)
    stop = threading.Event()

    def drip() -> None:  # one byte at a time, never the end of a request, for as long as the test runs
        try:
            trickle.send(b"{")
            while not stop.wait(0.5):
                trickle.send(b" ")
        except OSError:
            pass  # refused: the server closed it

    dripping = threading.Thread(target=drip)
    dripping.start()
    try:
        process, screen = learners.sit()
        screen.wait_for(b"Keycode")
        assert learners.terminal_of(process) is not None, "the learner was not served by the server"
        assert learners.server.poll() is None
    finally:
        stop.set()
        dripping.join()
        for connection in silent:
            connection.close()
        trickle.close()
    learners.stop_server()
    assert b"refused" in learners.log  # each one said in a line of its own on the server's stderr


def test_too_big_a_request_or_one_without_a_terminal_is_refused_and_the_server_stays_small(learners):
    server = learners.start_server()
    path = socket_path(learners.db_path)
    sent, chunk = 0, b"x" * (1 << 20)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as huge:
        huge.connect(path)
        huge.settimeout(30)
        try:
            while sent < 64 << 20:
                sent += huge.send(chunk)
        except OSError:
            pass
    assert sent < 64 << 20, "the server took a 64 MB request"
    null = os.open(os.devnull, os.O_RDWR)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            socket.send_fds(connection, [_request()], [null, null, null])
            connection.settimeout(30)
            assert connection.recv(64) == b"", "a request with /dev/null for a terminal was served"
    finally:
        os.close(null)
    assert _children(server.pid) == []
    rss_kb = int(next(line for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                      if line.startswith("VmRSS")).split()[1])
    assert rss_kb < 200_000, f"the server grew to {rss_kb} kB"
    learners.stop_server()
    assert b"did not hand over a terminal" in learners.log and b"more than" in learners.log


def test_beyond_the_servers_limit_a_learner_sits_in_their_own_process(learners):
    learners.start_server("--max-learners", "1")
    first, first_screen = learners.sit()
    first_screen.wait_for(b"Keycode")
    assert learners.terminal_of(first) is not None
    second, second_screen = learners.sit()
    second_screen.wait_for(b"Keycode")
    assert learners.terminal_of(second) is None, "the server served beyond its limit"
    learners.stop_server()
    assert b"already serving 1 learners" in learners.log


def test_a_server_that_never_answers_costs_the_learner_a_few_seconds_and_ctrl_c_there_prints_no_traceback(learners):
    # A socket that takes connections but never answers (a server stuck or stopped with SIGSTOP).
    path = socket_path(learners.db_path)
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.bind(path)
    os.chmod(path, 0o660)
    stuck.listen()
    stuck.settimeout(30)
    env = {**learners.env, "MARKER_TUI_ERROR_LOG": "/tmp/chosen-by-the-client.log", "SSH_CONNECTION": "10.0.0.7 5 6 22",
           "LC_ALL": "C.UTF-8"}
    try:
        process, screen = learners.sit(env)
        connection, _ = stuck.accept()
        message, fds, _, _ = socket.recv_fds(connection, 65536, 3)
        for fd in fds:
            os.close(fd)
        request = json.loads(message)
        # Only what describes the learner's terminal is sent: not the client's folder, not where to log.
        assert set(request) == {"args", "env"}
        sent = request["env"]
        assert sent["TERM"] == "xterm-256color" and sent["SSH_CONNECTION"] == "10.0.0.7 5 6 22" and sent["LC_ALL"] == "C.UTF-8"
        terminal = {"TERM", "COLORTERM", "LANG", "LANGUAGE", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"}
        assert all(name in terminal or name.startswith("LC_") for name in sent), sent
        os.write(screen.master, b"\x03\x1c\x1a")  # Ctrl+C, Ctrl+\, Ctrl+Z on a screen still blank
        screen.wait_for(b"Keycode")
        assert process.poll() is None and learners.terminal_of(process) is None
        assert b"Traceback" not in screen.seen and b"KeyboardInterrupt" not in screen.seen
        connection.close()
    finally:
        stuck.close()
        os.unlink(path)


def test_the_learners_terminal_takes_only_the_terminals_environment_from_the_client(learners, tmp_path):
    learners.start_server()
    chosen = tmp_path / "chosen-by-the-client.log"
    env = {**learners.env, "MARKER_TUI_ERROR_LOG": str(chosen), "SSH_CONNECTION": "10.0.0.7 5 6 22"}
    # A client writing its own request (not entry.py) asks for the error log and a folder of its choosing.
    master, slave = _a_terminal()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(socket_path(learners.db_path))
            request = json.dumps({"args": [CODE, "--candidate", "1001"], "env": env, "cwd": str(tmp_path)}).encode()
            socket.send_fds(connection, [request + b"\n"], [slave, slave, slave])
            os.close(slave)
            connection.settimeout(30)
            pid = int(connection.recv(64).split()[1])
            learners.forked.append(pid)
            screen = Screen(master)
            screen.wait_for(b"Keycode")
            assert os.readlink(f"/proc/{pid}/cwd") == "/"
            os.write(master, b"WRONGONE\r")  # a wrong keycode counts against the terminal's place
            end = time.monotonic() + 30
            while True:
                with sqlite3.connect(f"file:{learners.db_path}?mode=ro", uri=True) as conn:
                    places = [row[0] for row in conn.execute("SELECT place FROM terminal_tries")]
                if places:
                    break
                assert time.monotonic() < end, "the wrong keycode was never counted"
                time.sleep(0.1)
            assert places == ["10.0.0.7"]  # the SSH session's address names the desk
    finally:
        os.close(master)
    _wait_gone(pid, "the terminal kept running after its terminal closed")
    assert not chosen.exists()


def test_only_the_terminals_variables_are_taken_from_a_request():
    own = {"PATH": "/usr/bin", "HOME": "/srv/marker", "MARKER_TUI_ERROR_LOG": "/srv/marker/errors.log",
           "SSH_CONNECTION": "192.168.0.1 1 2 22", "LANG": "en_GB.UTF-8", "COLUMNS": "80", "LINES": "24"}
    asked = {"PATH": "/tmp/evil", "PYTHONPATH": "/tmp/evil", "MARKER_TUI_ERROR_LOG": "/tmp/evil.log",
             "HOME": "/tmp", "TERM": "xterm-256color", "COLORTERM": "truecolor", "LC_ALL": "C.UTF-8",
             "SSH_CONNECTION": "10.0.0.7 5 6 22", "SSH_TTY": "/dev/pts/4", "COLUMNS": "100", "BAD\0": "x",
             "SSH_CLIENT": 5}
    assert terminal_environment(own, asked) == {
        "PATH": "/usr/bin", "HOME": "/srv/marker", "MARKER_TUI_ERROR_LOG": "/srv/marker/errors.log",
        "TERM": "xterm-256color", "COLORTERM": "truecolor", "LC_ALL": "C.UTF-8", "SSH_CONNECTION": "10.0.0.7 5 6 22",
        "SSH_TTY": "/dev/pts/4"}
    assert terminal_environment(own, ["not", "a", "dict"]) == {"PATH": "/usr/bin", "HOME": "/srv/marker",
                                                               "MARKER_TUI_ERROR_LOG": "/srv/marker/errors.log"}


@pytest.mark.parametrize("where", ["login", "sitting"])
def test_with_the_server_stopped_a_closed_terminal_ends_its_learner_without_a_fault(learners, where):
    learners.start_server()
    process, screen = learners.sit()
    screen.wait_for(b"Keycode")
    terminal = learners.terminal_of(process)
    assert terminal is not None
    if where == "sitting":
        os.write(screen.master, KEYCODE.encode() + b"\r")
        screen.wait_for(b"Is this you?")
        os.write(screen.master, b"y")
        screen.wait_for(b"Question 1")
        for ch in "fire exit":
            os.write(screen.master, ch.encode())
        screen.wait_for(b"fire exit")
    learners.stop_server()
    assert not gone(terminal), "stopping the server closed a learner's terminal"
    os.close(learners.masters.pop())  # the SSH session drops
    _wait_gone(terminal, "the learner's terminal kept running on a closed terminal")
    if where == "sitting":
        assert saved_answer(learners.db_path) == "fire exit"
    errors = learners.db_path.with_name("centre-errors.log")
    assert not errors.exists() or errors.read_text() == "", errors.read_text()


def _left_edge(screen: str) -> int:
    """The column of the login box's top-left corner (it is centred)."""
    return next((line.index("╭") for line in screen.splitlines() if "╭" in line), 999)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_with_the_server_stopped_a_learner_still_notices_a_resize(learners):
    # A shell may export its size: the server started from it must not pass it on to learners.
    learners.env = {**learners.env, "COLUMNS": "100", "LINES": "30"}
    learners.start_server()
    tmux = f"marker-test-{os.getpid()}-{time.monotonic_ns()}"

    def run(*args: str) -> str:
        return subprocess.run(["tmux", "-L", tmux, *args], check=True, capture_output=True, text=True,
                              env=learners.env).stdout

    def wait_for(test, what: str) -> str:
        end = time.monotonic() + 30
        while not test(shown := run("capture-pane", "-p", "-t", "L1")):
            assert time.monotonic() < end, f"{what}; the screen shows:\n{shown}"
            time.sleep(0.1)
        return shown

    command = " ".join(f"'{part}'" for part in [str(MARKER_TUI), "--db", str(learners.db_path), "sit", CODE,
                                                 "--candidate", "1001"])
    try:
        run("new-session", "-d", "-s", "L1", "-x", "100", "-y", "30", "exec " + command)
        shown = wait_for(lambda s: "Keycode" in s, "the login never appeared")
        corner = _left_edge(shown)
        relay = int(run("display-message", "-p", "-t", "L1", "#{pane_pid}").strip())
        argv = Path(f"/proc/{relay}/cmdline").read_bytes().split(b"\0")
        assert argv[3].endswith(b"relay.py")
        learners.forked.append(int(argv[5]))
        learners.stop_server()
        run("resize-window", "-t", "L1", "-x", "60", "-y", "20")
        # Laid out again for 60 columns: the box is centred anew, not left where it was and cut off.
        wait_for(lambda s: _left_edge(s) < corner,
                 "the screen was not laid out again for its new size")
    finally:
        subprocess.run(["tmux", "-L", tmux, "kill-server"], capture_output=True)
