"""A learner's terminal that closes without a SIGHUP (the connection dropped, the process was not
the terminal's session leader) must not spin on the dead terminal: the app notices the hang-up,
keeps what was typed, and ends."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marker_tui.domain.admission import derived_keycode
from learner_processes import read_until, saved_answer, started_sitting

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")]

MARKER_TUI = Path(sys.executable).with_name("marker-tui")
CODE = "HUP-1"




def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")




def test_a_terminal_closed_without_sighup_keeps_the_answer_and_the_process_ends(tmp_path):
    started_sitting(tmp_path / "centre.db", CODE, seed="hup")

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("MARKER_TUI_BY", None)
    # Not a session leader with this terminal as its controlling one: closing the terminal sends no SIGHUP.
    child = subprocess.Popen([str(MARKER_TUI), "--db", str(tmp_path / "centre.db"), "sit", CODE,
                              "--candidate", "1001"], stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    try:
        read_until(master, b"Keycode")
        os.write(master, derived_keycode("hup", CODE, "1001").encode() + b"\r")
        read_until(master, b"Is this you?")
        os.write(master, b"y")
        read_until(master, b"Question 1")
        for ch in "fire exit":
            os.write(master, ch.encode())
        read_until(master, b"fire exit")
        os.close(master)  # the connection drops before the one-second autosave
        master = None
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spent = _cpu_seconds(child.pid)
            time.sleep(1)
            pytest.fail(f"the learner's process is still running on a closed terminal, using "
                        f"{_cpu_seconds(child.pid) - spent:.1f} s of CPU a second")
        assert saved_answer(tmp_path / "centre.db") == "fire exit"
    finally:
        if master is not None:
            os.close(master)
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_screen_writer_that_dies_on_a_closed_terminal_never_blocks_the_app():
    """The writer thread dies of EIO when the terminal goes; the app's next frames must not wait for it
    (Textual queues 30 frames), or the hang-up check that closes the app never comes."""
    import threading

    from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

    from marker_tui.interfaces.tui.app import MarkerApp

    master, slave = pty.openpty()
    os.close(master)  # the SSH session has gone: the terminal hangs up

    class Gone:
        def write(self, text):
            raise OSError(5, "Input/output error")

        def flush(self):
            pass

    app = MarkerApp(None)
    app._terminal_fd = slave
    previous = threading.excepthook
    threading.excepthook = app._thread_failed
    try:
        writer = WriterThread(Gone())
        writer.start()

        def frames():
            for n in range(MAX_QUEUED_WRITES * 3):
                writer.write(f"frame {n}")
            writer.stop()

        painter = threading.Thread(target=frames, daemon=True)
        painter.start()
        painter.join(30)  # a deadlock guard, not a timing: it ends at once or never
        assert not painter.is_alive(), "the app blocked on a dead terminal's writer"
    finally:
        threading.excepthook = previous
        os.close(slave)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_learner_stopped_by_a_signal_keeps_what_they_typed_and_gets_their_terminal_back(tmp_path, signum):
    """SIGTERM (a shutdown, kill, the relay passing one on) and SIGHUP (an SSH session closed) used to end
    the process at once: the words typed since the last autosave were lost, and the terminal was left in
    the full-screen mode, unusable until reset."""
    started_sitting(tmp_path / "centre.db", CODE, seed="sig")
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    env.pop("MARKER_TUI_BY", None)
    child = subprocess.Popen([str(MARKER_TUI), "--db", str(tmp_path / "centre.db"), "sit", CODE,
                              "--candidate", "1001"], stdin=slave, stdout=slave, stderr=slave, env=env,
                             start_new_session=True)
    os.close(slave)
    try:
        read_until(master, b"Keycode")
        os.write(master, derived_keycode("sig", CODE, "1001").encode() + b"\r")
        read_until(master, b"Is this you?")
        os.write(master, b"y")
        read_until(master, b"Question 1")
        os.write(master, b"fire exit")
        read_until(master, b"fire exit")
        child.send_signal(signum)  # before the autosave: only the app's own closing can save it
        seen = b""
        end = time.monotonic() + 30
        while True:
            assert time.monotonic() < end, "the learner's process did not end after the signal"
            if select.select([master], [], [], 0.2)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # every end of the terminal closed
                    chunk = b""
                seen += chunk
                if chunk:
                    continue
            if child.poll() is not None:
                break
        assert child.returncode == 0, f"ended by the signal itself (status {child.returncode})"
        assert saved_answer(tmp_path / "centre.db") == "fire exit"
        assert seen.rfind(b"\x1b[?1049l") > seen.rfind(b"\x1b[?1049h"), "the terminal was left full-screen"
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
            child.wait()
