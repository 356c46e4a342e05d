"""A learner's terminal, as a real ``marker-tui sit`` process in a pseudo-terminal, loads only what a
learner needs: no marking, IQA, export or document code (their memory and start-up are the room's)."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from marker_tui.services.demo import build_demo

ROOT = Path(__file__).resolve().parents[1]

# The real entry point with the real arguments; on SIGUSR1 it writes the names of every module
# it has loaded so far (the test asks once the learner's first screen is showing).
_CHILD = """
import os, signal, sys
def dump(*_):
    with open(os.environ["MODULES_OUT"], "w") as f:
        f.write("\\n".join(sorted(sys.modules)))
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["marker-tui", *sys.argv[1:]]
from marker_tui.interfaces.cli.main import main
main()
"""

UNWANTED = ("docx", "openpyxl", "pypdfium2", "marker_tui.services.marking", "marker_tui.services.iqa",
            "marker_tui.services.exports", "marker_tui.documents", "marker_tui.interfaces.tui.screens.marking",
            "marker_tui.interfaces.tui.screens.iqa", "marker_tui.interfaces.tui.screens.admin")


def _read_until(fd: int, wanted: bytes, seconds: float) -> bytes:
    seen, end = b"", time.monotonic() + seconds
    while wanted not in seen.lower():
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{wanted!r} never appeared; the terminal shows:\n{seen.decode(errors='replace')}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError(f"the process ended before {wanted!r}:\n{seen.decode(errors='replace')}")
            seen += chunk
    return seen


@pytest.mark.slow
def test_marker_tui_sit_in_a_terminal_loads_no_marking_iqa_or_document_code(tmp_path):
    db = tmp_path / "demo.db"
    build_demo(db)
    out = tmp_path / "modules.txt"
    env = {**os.environ, "MODULES_OUT": str(out), "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("MARKER_TUI_BY", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once
        os.execve(sys.executable, [sys.executable, "-c", _CHILD, "--db", str(db), "sit", "304-DEMO",
                                   "--candidate", "1001"], env)
    try:
        _read_until(fd, b"keycode", 60)
        os.kill(pid, signal.SIGUSR1)
        end = time.monotonic() + 30
        while not (out.exists() and out.read_text()) and time.monotonic() < end:
            select.select([fd], [], [], 0.1)
            try:
                os.read(fd, 65536)  # keep the terminal drained so the app never blocks writing
            except OSError:
                break
        loaded = set(out.read_text().split())
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    assert "marker_tui.interfaces.tui.screens.learner" in loaded  # it really is the learner's screen
    assert "textual" in loaded
    unwanted = sorted(m for m in loaded if m.startswith(UNWANTED))
    assert not unwanted, unwanted
