"""What the tests of real learner processes (ptys, the learner server, hang-ups) share."""

from __future__ import annotations

import os
import select
import sqlite3
import time
from pathlib import Path

from marker_tui.domain.clock import SystemClock
from marker_tui.services.invigilation import SittingService
from marker_tui.storage.database import open_database
from sitting_fixtures import INVIGILATOR, build_room


def started_sitting(db_path: Path, code: str, *, seed: str) -> None:
    """A database with a started sitting ``code`` for candidate 1001 (keycodes derived from ``seed``)."""
    room = build_room(db_path)
    room.db.close()
    db = open_database(db_path)
    try:
        sittings = SittingService(db, SystemClock())
        sittings.create_sitting(room.paper.id, by=INVIGILATOR, code=code)
        sittings.enrol(code, ["1001"], by=INVIGILATOR)
        sittings.issue_keycodes(code, by=INVIGILATOR, seed=seed)
        sittings.open(code, by=INVIGILATOR)
        sittings.start(code, by=INVIGILATOR)
    finally:
        db.close()


def read_until(fd: int, wanted: bytes, seconds: float = 30) -> None:
    """Read the terminal on ``fd`` until ``wanted`` has appeared (a deadline, budgeted for a loaded machine)."""
    seen, end = b"", time.monotonic() + seconds
    while wanted not in seen:
        assert time.monotonic() < end, f"{wanted!r} never appeared:\n{seen.decode(errors='replace')[-2000:]}"
        if select.select([fd], [], [], 0.2)[0]:
            seen += os.read(fd, 65536)


def saved_answer(path: Path) -> str | None:
    """Question 1's answer as the database holds it."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT a.text FROM answers a JOIN scripts s ON s.id = a.script_id "
                           "WHERE a.question_id = '1'").fetchone()
    return row[0] if row else None


def gone(pid: int) -> bool:
    """Whether the process has ended (a zombie not yet reaped counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
