"""A marked sitting for marker monitoring and group marking, built through the real services.

Paper 9999-01/101 (Q1 /2, Q2a /3, Q2b /5). Sitting MON-1, eight candidates, everyone submitted:

    candidate  Q1 answer          marker  marks (1, 2a, 2b)
    1001       "Ladders"          Ana     2 3 5
    1002       "ladders."         Ana     2 3 5
    1003       "Wet floors"       Ana     1 2 5
    1004       "Trailing cables"  Ana     2 3 4
    1005       "Ladders"          Ben     2 2 3
    1006       " LADDERS "        Ben     0 2 3     <- same answer as 1005, a different mark
    1007       "Noise"            Ben     1 2 2
    1008       "Dust"             Ben     1 1 2

Each marker marks their scripts in candidate order, one question a minute (so every script takes
3 minutes, the first 2). Ivy (IQA) reviews 1001-1003 and 1005-1007 and thinks Q2b deserves 3 on
Ana's three (Ana 2 marks more each time) and agrees with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from marker_tui.domain.sampling import SamplingStrategy
from marker_tui.services.centre import Centre
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, Room, build_room

ANA = "Ana Lopes"
BEN = "Ben Okafor"
IVY = "Ivy Reviewer"
QUESTIONS = ("1", "2a", "2b")
Q1 = {"1001": "Ladders", "1002": "ladders.", "1003": "Wet floors", "1004": "Trailing cables",
      "1005": "Ladders", "1006": " LADDERS ", "1007": "Noise", "1008": "Dust"}
MARKS = {"1001": (ANA, (2, 3, 5)), "1002": (ANA, (2, 3, 5)), "1003": (ANA, (1, 2, 5)), "1004": (ANA, (2, 3, 4)),
         "1005": (BEN, (2, 2, 3)), "1006": (BEN, (0, 2, 3)), "1007": (BEN, (1, 2, 2)), "1008": (BEN, (1, 1, 2))}
NOTHING = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=None,
                           include_fails=False, cover_decisions=False)


@dataclass
class MonitoringRoom:
    room: Room
    code: str

    @property
    def db(self):
        return self.room.db

    @property
    def clock(self):
        return self.room.clock

    def centre(self) -> Centre:
        return Centre(db=self.room.db, clock=self.room.clock)

    def script(self, candidate: str) -> int:
        return self.room.script_id(self.code, candidate)

    def number(self, candidate: str) -> str:
        return self.room.candidate(self.code, candidate).script_number

    def audit(self, action: str | None = None) -> list:
        from marker_tui.services.audit import entries

        return [e for e in entries(self.db) if action is None or e.action == action]


def build_monitoring_room(path: Path, *, marked: bool = True, reviewed: bool = True) -> MonitoringRoom:
    """The sitting above; ``marked`` False stops after submission (for group marking)."""
    room = build_room(path)
    for name, roles in ((ANA, ["marker"]), (BEN, ["marker"]), (IVY, ["iqa"])):
        room.staff.add(name, roles, PIN, by=ADMIN)
    for n in range(1006, 1009):
        room.candidates.add(str(n), f"Learner {n}", by=ADMIN)
    code = room.new_sitting(code="MON-1")
    room.sittings.enrol(code, list(MARKS), by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    for number in MARKS:
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=5)
    for number in MARKS:
        script = room.script_id(code, number)
        room.learners.save_answer(script, "1", Q1[number])
        room.learners.save_answer(script, "2a", f"Isolate, lock off, prove dead ({number}).")
        room.learners.save_answer(script, "2b", f"Because of reason {number}.")
        room.learners.submit(script)
    if room.sittings.summary(code).state != "ended":
        room.sittings.end(code, by=INVIGILATOR, reason="everyone has finished")
    room.clock.advance(minutes=30)
    built = MonitoringRoom(room, code)
    if not marked:
        return built
    centre = built.centre()
    for marker in (ANA, BEN):
        for number, (who, values) in MARKS.items():
            if who != marker:
                continue
            script = room.script_id(code, number)
            for question, value in zip(QUESTIONS, values):
                room.clock.advance(minutes=1)
                centre.marking.save_mark(script, question, value, by=marker, expected_version=0)
            centre.marking.complete(script, by=marker)
        room.clock.advance(minutes=30)  # a break between the two markers' sessions
    if reviewed:
        iqa = centre.iqa
        iqa.plans.create_plan(code, strategy=NOTHING, by=IVY)
        for number in ("1001", "1002", "1003", "1005", "1006", "1007"):
            iqa.plans.add_to_plan(code, built.number(number), by=IVY, reason="monitoring test")
            script = room.script_id(code, number)
            for question in QUESTIONS:
                if question == "2b" and MARKS[number][0] == ANA:
                    iqa.reviews.record_question(script, question, reviewer=IVY, agree=False, mark=3,
                                                reason="the explanation is thin")
                else:
                    iqa.reviews.record_question(script, question, reviewer=IVY, agree=True)
    return built


@pytest.fixture
def monroom(tmp_path: Path) -> MonitoringRoom:
    built = build_monitoring_room(tmp_path / "monitoring.db")
    yield built
    built.db.close()


__all__ = ["ANA", "BEN", "IVY", "ADMIN", "PIN", "MARKS", "Q1", "MonitoringRoom", "build_monitoring_room", "monroom"]
