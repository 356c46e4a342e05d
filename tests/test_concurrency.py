"""Many learners saving at once against one database file: no lost save, no lock error.

A scaled-down version of the bench (bench/bench_saves.py runs 100 processes):
a handful of learner processes start together and save as fast as they can,
each printing a receipt only after ``save_answer`` returned. Every receipt must
be in the database, nothing else may be, and no process may see an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marker_tui.services.audit import verify_log
from marker_tui.domain.sitting_states import ScriptState
from marker_tui.services.invigilation import SittingService
from marker_tui.storage.database import open_database
from marker_tui.services.terminal import this_terminal
from sitting_fixtures import ADMIN, START, build_room

def _terminal_env() -> dict[str, str]:
    me = this_terminal()
    return {**os.environ, "TEST_TERMINAL": f"{me.place}|{me.process}|{me.tty or ''}"}


pytestmark = pytest.mark.slow

PROCESSES = 8
SAVES_EACH = 40

LEARNER = r"""
import os, random, sys, time
from datetime import datetime
from pathlib import Path
from marker_tui.domain.clock import FakeClock
from marker_tui.services.learner import LearnerService
from marker_tui.storage.database import open_database

path, script, start, go, saves = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
# The terminal that logged in (the test's own process): only it may write to the script.
from marker_tui.services.terminal import Terminal
learner = LearnerService(open_database(path), FakeClock(start), Terminal(*os.environ["TEST_TERMINAL"].split("|")))
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
for i in range(saves):
    question = ["1", "2a", "2b"][i % 3]
    receipt = learner.save_answer(script, question, f"script {script} save {i} " + "é" * random.randint(0, 2000))
    print(f"{question}\t{receipt.version}\t{i}", flush=True)
"""


def test_many_learner_processes_saving_at_once_lose_nothing(tmp_path: Path):
    room = build_room(tmp_path / "busy.db")
    numbers = [f"{2000 + n}" for n in range(PROCESSES)]
    for number in numbers:
        room.candidates.add(number, f"Learner {number}", by=ADMIN)
    code = room.running_sitting(candidates=tuple(numbers))
    scripts = {number: room.script_id(code, number) for number in numbers}
    room.db.close()
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", LEARNER, str(room.path), str(script), START.isoformat(), str(go),
             str(SAVES_EACH)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_terminal_env(),
        )
        for script in scripts.values()
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
    go.touch()  # everybody starts saving at the same moment
    outputs = []
    deadline = time.monotonic() + 120
    for child in children:
        out, err = child.communicate(timeout=max(deadline - time.monotonic(), 1))
        assert child.returncode == 0 and err == "", err  # no lock error (or any other) reached a learner
        outputs.append(out)

    db = open_database(room.path)
    try:
        for script, out in zip(scripts.values(), outputs):
            receipts = [line.split("\t") for line in out.splitlines()]
            assert len(receipts) == SAVES_EACH
            for question, version, i in receipts:
                text = db.execute(
                    "SELECT text FROM answer_versions WHERE script_id = ? AND question_id = ? AND version = ?",
                    [script, question, int(version)]).fetchone()
                assert text is not None and text[0].startswith(f"script {script} save {i} ")
            stored = db.execute("SELECT count(*) FROM answer_versions WHERE script_id = ?", [script]).fetchone()[0]
            assert stored == SAVES_EACH
        states = {c.state for c in SittingService(db, room.clock).status(code).candidates}
        assert states == {ScriptState.WRITING}
        audit = db.execute("SELECT count(*) FROM audit_log WHERE action = 'answer saved'").fetchone()[0]
        assert audit == PROCESSES * SAVES_EACH
        # Every process chained its audit rows to the one before, under the write lock: one straight chain.
        chain = verify_log(db)
        assert chain.ok, chain.problem
        assert chain.entries == db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        db.close()
