"""Shared set-up for the marking tests: a sitting whose scripts have been submitted.

Built through the real services (enrol, open, log in, start, save answers,
submit) on a real SQLite file with a FakeClock, as a centre would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from marker_tui.domain.clock import FakeClock
from marker_tui.services.centre import Centre
from marker_tui.services.marking import MarkingService
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, Room, build_room

ANA = "Ana Lopes"
BEN = "Ben Okafor"
IVY = "Ivy Reviewer"

ANSWERS = {
    "1001": {"1": "Trailing cables\nwet floors", "2a": "Switch off, lock off, test dead.",
             "2b": "So nobody gets a shock."},
    "1002": {"1": "Ladders", "2a": "turn it off", "2b": "  spaces kept   exactly  \n\n\tand tabs"},
    "1003": {"1": "Fire; noise", "2a": "Isolate and prove dead with an approved tester",
             "2b": "Because electricity can kill and the law (EAWR 1989) requires it."},
}


@dataclass
class MarkingRoom:
    room: Room
    code: str

    @property
    def db(self):
        return self.room.db

    @property
    def clock(self) -> FakeClock:
        return self.room.clock

    @property
    def marking(self) -> MarkingService:
        return Centre(db=self.room.db, clock=self.room.clock).marking

    def other_engine(self) -> MarkingService:
        """A second process's view: its own connection to the same file."""
        return Centre(db=open_database(self.room.path), clock=self.room.clock).marking

    def centre(self) -> Centre:
        return Centre(db=self.room.db, clock=self.room.clock)

    def script(self, number: str) -> int:
        """Script id of candidate ``number`` (tests know who is who; markers do not)."""
        return self.room.script_id(self.code, number)

    def script_number(self, candidate: str) -> str:
        return self.room.candidate(self.code, candidate).script_number

    def audit(self, action: str | None = None) -> list:
        from marker_tui.services.audit import entries

        found = entries(self.db)
        return [e for e in found if action is None or e.action == action]


def build_marking_room(path: Path, *, absent: bool = True, writing: tuple[str, ...] = ()) -> MarkingRoom:
    """1001-1003 submitted; 1005 absent (the sitting ended) unless ``absent`` is False; ``writing``
    candidates log in and are still writing (the sitting keeps running)."""
    room = build_room(path)
    for name, roles in ((ANA, ["marker"]), (BEN, ["marker"]), (IVY, ["iqa"])):
        room.staff.add(name, roles, PIN, by=ADMIN)
    candidates = ("1001", "1002", "1003") + tuple(writing) + (("1005",) if absent else ())
    code = room.new_sitting(code="MARK-1")
    room.sittings.enrol(code, list(candidates), by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    for number in (*ANSWERS, *writing):
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=5)
    for number, answers in ANSWERS.items():
        script = room.script_id(code, number)
        for question, text in answers.items():
            room.learners.save_answer(script, question, text)
        room.learners.submit(script)
    if absent and not writing:
        room.sittings.end(code, by=INVIGILATOR, reason="everyone present has finished")  # 1005 never logged in: absent
    room.clock.advance(minutes=30)
    return MarkingRoom(room, code)


@pytest.fixture
def mroom(tmp_path: Path) -> MarkingRoom:
    built = build_marking_room(tmp_path / "marker.db")
    yield built
    built.room.db.close()


__all__ = ["ANA", "BEN", "IVY", "ADMIN", "INVIGILATOR", "PIN", "MarkingRoom", "build_marking_room", "mroom",
           "timedelta"]
