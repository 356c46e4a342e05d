"""Database growth per learner-hour: answer history with its retention rule, against keeping every save.

One learner types a 3,000-word answer (18,000 characters) evenly over one hour
of *simulated* time (a FakeClock; nothing waits), and autosave saves it at its
continuous-typing cadence (``domain/autosave.MAX_UNSAVED_SECONDS``, the
cadence that keeps the 2-second crash-loss guarantee): 2,400 saves through the
real ``LearnerService.save_answer`` into a real SQLite file (WAL, fsync, audit
row, history). The file's size (database + WAL after a TRUNCATE checkpoint)
minus its size before the first save is the growth.

Baseline, in the same run and the same way: the same saves with the history's
retention rule switched off (``storage.answer_history.thin`` does nothing), which
is what every save did before the rule: the whole answer kept again each time.

Target (issue 14.6): < 20 MB per learner-hour with the rule.

Runnable alone::

    .venv/bin/python bench/bench_growth.py
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORDS = 3000
CHARACTERS = 18_000
HOUR = timedelta(hours=1)
TARGET_MB = 20.0
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _answer() -> str:
    words = ("the learner describes each step of a safe isolation procedure, why it matters and what "
             "could go wrong — prüfen, vérifier").split()
    return " ".join(words[i % len(words)] for i in range(WORDS))[:CHARACTERS]


def _room(path: Path):
    """A real centre database: an admin, one candidate, a stored paper, a running sitting, logged in."""
    from marker_tui.domain.admission import derived_keycode
    from marker_tui.domain.clock import FakeClock
    from marker_tui.domain.markscheme import MarkScheme
    from marker_tui.domain.paper import QuestionPaper
    from marker_tui.services.candidates import CandidateService
    from marker_tui.services.papers import PaperService
    from marker_tui.services.learner import LearnerService
    from marker_tui.services.invigilation import SittingService
    from marker_tui.services.staff import StaffService
    from marker_tui.storage.database import open_database

    clock = FakeClock(START)
    db = open_database(path)
    StaffService(db, clock).add("Bench Admin", ["admin", "invigilator"], "1234", by=None)
    paper = QuestionPaper.model_validate({
        "qualification": "BENCH", "unit": "1", "version": "1", "time_allowance_minutes": 90,
        "instructions": "Answer all questions.",
        "questions": [{"id": "1", "outcome": 1, "command_verb": "describe", "marks": 3, "text": "Describe it."}],
    })
    scheme = MarkScheme.model_validate({
        "qualification": "BENCH", "unit": "1", "paper_version": "1", "pass_rule": {"pass_mark": 2},
        "questions": [{"id": "1", "max_marks": 3, "points": [{"text": "x", "marks": 3}]}],
    })
    stored = PaperService(db, clock).store(paper, scheme)
    CandidateService(db, clock).add("B0001", "Bench learner", by="Bench Admin")
    sittings = SittingService(db, clock)
    code = sittings.create_sitting(stored.id, by="Bench Admin").code
    sittings.enrol(code, all_candidates=True, by="Bench Admin")
    sittings.open(code, by="Bench Admin")
    sittings.issue_keycodes(code, by="Bench Admin", candidate_numbers=["B0001"], seed="bench")
    learners = LearnerService(db, clock)
    script = learners.login(code, "B0001", derived_keycode("bench", code, "B0001")).script_id
    sittings.start(code, by="Bench Admin")
    return db, clock, learners, script


def _size(db, path: Path) -> int:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = Path(f"{path}-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


@contextlib.contextmanager
def _without_thinning():
    from marker_tui.storage import answer_history

    kept = answer_history.thin
    answer_history.thin = lambda *args, **kwargs: 0
    try:
        yield
    finally:
        answer_history.thin = kept


def learner_hour(folder: Path, name: str, *, thinning: bool = True) -> dict:
    """Type the answer for an hour of simulated time; return growth (bytes), versions held, seconds per save."""
    from marker_tui.domain.autosave import MAX_UNSAVED_SECONDS

    cadence = timedelta(seconds=MAX_UNSAVED_SECONDS)
    saves = int(HOUR / cadence)
    text = _answer()
    path = folder / name
    db, clock, learners, script = _room(path)
    try:
        before = _size(db, path)
        with contextlib.nullcontext() if thinning else _without_thinning():
            started = time.perf_counter()
            for k in range(1, saves + 1):
                clock.advance(cadence)
                learners.save_answer(script, "1", text[: round(len(text) * k / saves)])
            spent = time.perf_counter() - started
        (current,) = db.execute("SELECT text FROM answers WHERE script_id = ?", [script]).fetchone()
        if current != text:
            raise AssertionError("the saved answer is not what was typed")
        held = db.execute("SELECT count(*) FROM answer_versions WHERE script_id = ?", [script]).fetchone()[0]
        return {"growth": _size(db, path) - before, "versions": held, "saves": saves,
                "seconds_per_save": spent / saves}
    finally:
        db.close()


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        ruled = learner_hour(Path(folder), "ruled.db")
        everything = learner_hour(Path(folder), "everything.db", thinning=False)
    mb, base_mb = ruled["growth"] / 1e6, everything["growth"] / 1e6
    return [
        {"name": f"growth per learner-hour ({WORDS:,}-word answer, {ruled['saves']:,} autosaves)",
         "value": mb, "unit": "MB", "baseline_name": "every save kept whole (no retention rule)",
         "baseline": base_mb, "target": f"< {TARGET_MB:g} MB", "ok": mb < TARGET_MB},
        {"name": "answer history versions held after the hour", "value": ruled["versions"], "unit": "versions",
         "baseline_name": "every save kept", "baseline": everything["versions"]},
        {"name": "save time with the retention rule (mean)", "value": ruled["seconds_per_save"] * 1000,
         "unit": "ms", "baseline_name": "same saves without the rule",
         "baseline": everything["seconds_per_save"] * 1000},
    ]


if __name__ == "__main__":
    from bench.run import normalise, table

    print(table([normalise(r, "bench_growth") for r in run()]))
