"""Shared set-up for the standardisation tests: an earlier sitting to choose scripts from and a live one."""

from __future__ import annotations

from pathlib import Path

import pytest

from marker_tui.services.audit import entries
from marker_tui.services.centre import Centre
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, build_room

ANA = "Ana Lopes"
BEN = "Ben Okafor"
LEAD = "Lena Lead"
PAPER = "9999-01/101"
ANSWER = {"1": "wet floors; cables", "2a": "isolate, lock off, prove dead", "2b": "electricity can kill"}
#: Definitive marks of the earlier sitting's scripts, by candidate: (1, 2a, 2b).
DEFINITIVE = {"1001": (2, 3, 4), "1002": (1, 2, 2), "1003": (2, 1, 3), "1004": (0, 1, 1)}


def sat(room, code: str, numbers: tuple[str, ...]) -> None:
    """Sitting ``code``: ``numbers`` sat it and submitted, then it ended."""
    room.sittings.enrol(code, list(numbers), by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    for number in numbers:
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=5)
    for number in numbers:
        script = room.script_id(code, number)
        for question, text in ANSWER.items():
            room.learners.save_answer(script, question, f"{text} ({code} {number})")
        room.learners.submit(script)
    # Everyone submitted: the sitting ends by itself.


class StdRoom:
    def __init__(self, path: Path) -> None:
        self.room = build_room(path)
        for name, roles in ((ANA, ["marker"]), (BEN, ["marker"]), (LEAD, ["iqa"])):
            self.room.staff.add(name, roles, PIN, by=ADMIN)
        self.old = self.room.new_sitting(code="OLD-1")
        sat(self.room, self.old, ("1001", "1002", "1003", "1004"))
        self.live = self.room.new_sitting(code="LIVE-1")
        sat(self.room, self.live, ("1001", "1002", "1003", "1005"))
        self.centre = Centre(db=self.room.db, clock=self.room.clock)
        self.std = self.centre.standardisation

    def number(self, code: str, candidate: str) -> str:
        return self.room.candidate(code, candidate).script_number

    def script(self, code: str, candidate: str) -> int:
        return self.room.script_id(code, candidate)

    def pick(self, candidate: str, kind: str):
        chosen = self.std.choose(self.old, self.number(self.old, candidate), kind, by=LEAD)
        marks = dict(zip(("1", "2a", "2b"), DEFINITIVE[candidate]))
        return self.std.set_definitive(chosen.id, {q: (m, f"why {q} earns {m}") for q, m in marks.items()}, by=LEAD)

    def standard_set(self):
        """Practice 1003; qualification 1001, 1002; control 1004."""
        return {"practice": self.pick("1003", "practice"), "q1": self.pick("1001", "qualification"),
                "q2": self.pick("1002", "qualification"), "control": self.pick("1004", "control")}

    def actions(self, action: str) -> list:
        return [e for e in entries(self.room.db) if e.action == action]


@pytest.fixture
def sroom(tmp_path):
    built = StdRoom(tmp_path / "std.db")
    yield built
    built.room.db.close()


def give_control(sroom, marker=ANA) -> int:
    from marker_tui.services.audit import Actor

    number = sroom.std.give_control(sroom.live, marker, by=Actor.system(), force=True)
    desk = sroom.centre.marking_for(marker)
    return next(r.script_id for r in desk.queue(sroom.live).rows if r.script_number == number)


def mark_all(desk, script_id: int, values: tuple[int, int, int], by=ANA) -> None:
    for q, m in zip(("1", "2a", "2b"), values):
        desk.save_mark(script_id, q, m, by=by, expected_version=desk.view_script(script_id).version(q))
    desk.complete(script_id, by=by)


def suspend(sroom, marker=ANA) -> None:
    """Approve ``marker``, then two control scripts far out of tolerance: suspended."""
    sroom.std.approve(PAPER, marker, "experienced marker", by=LEAD)
    sroom.pick("1004", "control")
    extra = sroom.std.choose(sroom.live, sroom.number(sroom.live, "1002"), "control", by=LEAD)
    sroom.std.set_definitive(extra.id, {"1": (0, "x"), "2a": (0, "y"), "2b": (0, "z")}, by=LEAD)
    desk = sroom.centre.marking_for(marker)
    for _ in range(2):
        mark_all(desk, give_control(sroom, marker), (2, 3, 5), by=marker)
