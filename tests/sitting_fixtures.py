"""Shared set-up for the sitting-engine tests: a small paper, staff, candidates, a room.

Real SQLite files in tmp_path, a FakeClock, no mocks of our storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from marker_tui.domain.clock import FakeClock
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.services.candidates import CandidateService
from marker_tui.services.papers import PaperService, StoredPaper
from marker_tui.services.learner import LearnerService
from marker_tui.services.invigilation import SittingService
from marker_tui.services.staff import StaffService
from marker_tui.storage.database import Database, open_database

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ADMIN = "Ada Admin"
#: The evidence behind the fixtures' access arrangements (what was seen | who approved | when).
EVIDENCE = "Form 8 on file | Sam Senco | 2026-09-01"
INVIGILATOR = "Ian Invigilator"
PIN = "4826"


def small_paper(minutes: int | None = 90, version: str = "1", qualification: str = "9999-01",
                unit: str = "101", instructions: str = "Answer all questions.",
                first_question: str = "List two hazards.") -> QuestionPaper:
    return QuestionPaper.model_validate({
        "qualification": qualification,
        "unit": unit,
        "version": version,
        "title": "Test unit",
        "time_allowance_minutes": minutes,
        "instructions": instructions,
        "questions": [
            {"id": "1", "outcome": 1, "criteria": ["1.1"], "command_verb": "list", "marks": 2,
             "text": first_question},
            {"id": "2a", "outcome": 1, "criteria": ["1.2"], "command_verb": "describe", "marks": 3,
             "text": "Describe a safe isolation."},
            {"id": "2b", "outcome": 2, "criteria": ["2.1"], "command_verb": "explain", "marks": 5,
             "text": "Explain why."},
        ],
    })


def small_scheme(qualification: str = "9999-01", unit: str = "101", version: str = "1") -> MarkScheme:
    return MarkScheme.model_validate({
        "qualification": qualification,
        "unit": unit,
        "paper_version": version,
        "pass_rule": {"pass_mark": 6},
        "questions": [
            {"id": "1", "max_marks": 2, "points": [{"text": "a hazard"}, {"text": "another"}]},
            {"id": "2a", "max_marks": 3, "points": [{"text": "isolate", "marks": 3}]},
            {"id": "2b", "max_marks": 5, "points": [{"text": "because", "marks": 5}]},
        ],
    })


@dataclass
class Room:
    """A database with staff, five candidates and a stored paper, plus the services."""

    path: Path
    db: Database
    clock: FakeClock
    paper: StoredPaper

    @property
    def sittings(self) -> SittingService:
        return SittingService(self.db, self.clock)

    @property
    def learners(self) -> LearnerService:
        return LearnerService(self.db, self.clock)

    @property
    def staff(self) -> StaffService:
        return StaffService(self.db, self.clock)

    @property
    def candidates(self) -> CandidateService:
        return CandidateService(self.db, self.clock)

    def reopen(self) -> Room:
        """A new process's view: a fresh connection and fresh service objects, same file."""
        self.db.close()
        return Room(self.path, open_database(self.path), self.clock, self.paper)

    def keycode(self, code: str, number: str) -> str:
        """The candidate's keycode (issued once per sitting with a fixed seed, so tests can re-type it)."""
        from marker_tui.domain.admission import derived_keycode

        key = (code.strip().upper(), number.strip().upper())
        issued = self.__dict__.setdefault("_issued", set())
        if key not in issued:
            self.sittings.issue_keycodes(code, by=INVIGILATOR, candidate_numbers=[number], seed="tests")
            issued.add(key)
        return derived_keycode("tests", *key)

    def log_in(self, code: str, number: str, learners: LearnerService | None = None):
        """A learner logs in with their keycode (as the slip gives it)."""
        return (learners or self.learners).login(code, number, self.keycode(code, number))

    def new_sitting(self, **kwargs) -> str:
        return self.sittings.create_sitting(self.paper.id, by=INVIGILATOR, **kwargs).code

    def running_sitting(self, candidates=("1001", "1002", "1003")) -> str:
        """A sitting with candidates logged in and the clock started at START."""
        code = self.new_sitting()
        self.sittings.enrol(code, list(candidates), by=INVIGILATOR)
        self.sittings.open(code, by=INVIGILATOR)
        for number in candidates:
            self.log_in(code, number)
        self.sittings.start(code, by=INVIGILATOR)
        return code

    def script_id(self, code: str, number: str) -> int:
        status = self.sittings.status(code)
        return next(c.script_id for c in status.candidates if c.candidate_number == number)

    def candidate(self, code: str, number: str):
        return next(c for c in self.sittings.status(code).candidates if c.candidate_number == number)


def build_room(path: Path, *, minutes: int = 90, instructions: str = "Answer all questions.",
               first_question: str = "List two hazards.") -> Room:
    clock = FakeClock(START)
    db = open_database(path)
    staff = StaffService(db, clock)
    staff.add(ADMIN, ["admin"], PIN, by=None)
    staff.add(INVIGILATOR, ["invigilator"], PIN, by=ADMIN)
    candidates = CandidateService(db, clock)
    candidates.add("1001", "Amira Khan", by=ADMIN)
    candidates.add("1002", "Ben Jones", 25, f"extra time | {EVIDENCE}; reader | {EVIDENCE}", by=ADMIN)
    candidates.add("1003", "Chloé Dubois", 50,
                   f"extra time: specialist assessor's report recommends 50% | {EVIDENCE}", by=ADMIN)
    candidates.add("1004", "Dan Late", by=ADMIN)
    candidates.add("1005", "Eve Absent", by=ADMIN)
    paper = PaperService(db, clock).store(small_paper(minutes, instructions=instructions, first_question=first_question), small_scheme())
    return Room(path, db, clock, paper)


@pytest.fixture
def room(tmp_path: Path) -> Room:
    built = build_room(tmp_path / "marker.db")
    yield built
    built.db.close()


def old_schema(monkeypatch, version: int) -> None:
    """Make new databases stop at schema ``version``, plus the admission tables (m0007) that today's
    learner logins need, the rest-break table (m0009) today's room view reads and the arrangements (m0010); :func:`strip_admission` then removes those again, leaving a file as a
    centre's marker-tui of that version wrote it (apart from what m0005 added)."""
    from marker_tui.storage import migrations

    def today_s_room_tables(db: Database) -> None:  # one slot, so the schema number stays the old one + 1
        migrations.m0007_admission(db)
        migrations.m0009_rest_breaks(db)
        migrations.m0010_arrangements(db)
        migrations.m0011_standardisation(db)  # every claim asks whether the marker is standardised
        migrations.m0013_control_claims(db)  # ...and the marker's control scripts, held or not
        migrations.m0014_takeover_asked(db)  # a second login asks for the script

    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:version] + [today_s_room_tables])
    # Slips print the centre's name (m0004): give an older file the table, dropped again below.
    if version < 4:
        monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS + [migrations.m0004_centre_settings])
        monkeypatch.setattr(migrations, "SCHEMA_VERSION", version + 2)
        return
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", version + 1)


def strip_admission(db: Database, version: int) -> None:
    for table in ("admission_keycodes", "script_leases", "takeover_requests", "terminal_tries", "rest_breaks",
                  "std_attempts", "std_decisions", "std_control_marks", "std_controls", "std_definitive_marks",
                  "std_scripts"):
        db.conn.execute(f"DROP TABLE {table}")
    db.conn.execute("ALTER TABLE sittings DROP COLUMN exit_code")
    db.conn.execute("ALTER TABLE candidates DROP COLUMN arrangements")
    db.conn.execute("ALTER TABLE scripts DROP COLUMN arrangements")
    if version < 4:
        db.conn.execute("DROP TABLE centre_settings")
    db.conn.execute("DELETE FROM schema_migrations WHERE version > ?", [version])
    db.conn.execute(f"PRAGMA user_version = {version}")
    db.conn.commit()
