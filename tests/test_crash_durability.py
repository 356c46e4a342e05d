"""A learner's terminal killed mid-save: every save that had returned is still there.

A separate process saves answers in a loop and prints a line only after
``save_answer`` has returned. We SIGKILL it at an arbitrary moment (several
times, continuing the same script), reopen the database and check that every
printed save is stored with exactly its text.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from marker_tui.services.learner import LearnerService
from marker_tui.storage.database import open_database
from marker_tui.services.terminal import this_terminal
from sitting_fixtures import START, build_room

def _terminal_env() -> dict[str, str]:
    me = this_terminal()
    return {**os.environ, "TEST_TERMINAL": f"{me.place}|{me.process}|{me.tty or ''}"}


pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]

SAVER = r"""
import os, sys
from datetime import datetime
from marker_tui.domain.clock import FakeClock
from marker_tui.services.learner import LearnerService
from marker_tui.storage.database import open_database

path, script, start, first = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3]), int(sys.argv[4])
# The terminal that logged in (the test's own process): only it may write to the script.
from marker_tui.services.terminal import Terminal
learner = LearnerService(open_database(path), FakeClock(start), Terminal(*os.environ["TEST_TERMINAL"].split("|")))
questions = ["1", "2a", "2b"]
i = first
while True:
    text = f"save {i} 🙂\t" + "x" * ((i % 5) * 7_000)   # small and large saves (up to the 30,000 limit)
    receipt = learner.save_answer(script, questions[i % 3], text)
    sys.stdout.write(f"{questions[i % 3]}\t{receipt.version}\t{i}\n")
    sys.stdout.flush()
    i += 1
"""


def text_of(i: int) -> str:
    return f"save {i} 🙂\t" + "x" * ((i % 5) * 7_000)


def test_every_save_that_returned_survives_sigkill(tmp_path: Path):
    room = build_room(tmp_path / "crash.db")
    code = room.running_sitting(candidates=("1001",))
    script = room.script_id(code, "1001")
    room.db.close()
    rng = random.Random(1234)
    confirmed: list[tuple[str, int, int]] = []
    next_i = 0
    for _round in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(room.path), str(script), START.isoformat(), str(next_i)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=_terminal_env(),
        )
        kill_after = rng.randint(15, 60)
        seen = 0
        lines: list[str] = []
        while seen < kill_after:
            line = child.stdout.readline()
            assert line, f"the saver stopped early: {child.stderr.read()}"
            lines.append(line)
            seen += 1
        os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate()
        assert child.returncode == -signal.SIGKILL
        lines += rest.splitlines(keepends=True)
        for line in lines:
            if not line.endswith("\n"):
                continue  # cut off mid-print: that save is not "confirmed"
            q, version, i = line.rstrip("\n").split("\t")
            confirmed.append((q, int(version), int(i)))
        next_i = confirmed[-1][2] + 1 + 1000  # leave a gap: the kill may have cut a save after its print

    db = open_database(room.path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for q, version, i in confirmed:
            row = db.execute(
                "SELECT text FROM answer_versions WHERE script_id = ? AND question_id = ? AND version = ?",
                [script, q, version]).fetchone()
            assert row is not None, f"save {i} (question {q} version {version}) returned but is missing"
            assert row[0] == text_of(i)
        current = LearnerService(db, room.clock).session(script)
        for q in ("1", "2a", "2b"):
            newest = max(v for qq, v, _ in confirmed if qq == q)
            assert current.versions[q] >= newest
            stored = db.execute("SELECT count(*) FROM answer_versions WHERE script_id = ? AND question_id = ?",
                                [script, q]).fetchone()[0]
            assert stored == current.versions[q]  # versions are 1..n with no gaps
    finally:
        db.close()
    assert len(confirmed) >= 45
