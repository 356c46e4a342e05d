"""Shared fixtures: a tiny, valid qualification on disk that tests can break one rule at a time."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

# Each Pilot test builds and drops a whole Textual app: millions of short-lived objects. At Python's
# default (a collection every 700 new objects) the cycle collector took about a sixth of the suite's
# CPU; collecting less often keeps the suite inside its 5 minutes on 2 cores. Nothing here relies on
# when a cycle is collected: connections and files are closed explicitly.
gc.set_threshold(50_000, 20, 100)

REPO = Path(__file__).resolve().parents[1]

MINI_SPEC = """\
qualification:
  number: 9999-01
  title: Level 3 Test Qualification
  level: 3
  glh: 20
  tqt: 30
rules_of_combination:
  credits_required: 1
  groups:
    - name: Mandatory
      mandatory: true
      units: ["101"]
      min_credits: 1
units:
  - number: "101"
    title: Testing the tests
    level: 3
    credits: 1
    glh: 10
    time_allowance_minutes: 60
    outcomes:
      - number: 1
        title: Understand tests
        marks: 6
        weighting_percent: 60
        criteria:
          - number: "1.1"
            text: describe a test
          - number: "1.2"
            text: explain why tests fail
      - number: 2
        title: Know how to write tests
        marks: 4
        weighting_percent: 40
        criteria:
          - number: "2.1"
            text: identify a good test
"""

MINI_PAPER = """\
qualification: 9999-01
unit: "101"
version: "1"
instructions: Answer all questions.
questions:
  - id: "1"
    outcome: 1
    criteria: ["1.1"]
    command_verb: describe
    marks: 2
    text: Describe a test.
  - id: "2a"
    outcome: 1
    criteria: ["1.2"]
    command_verb: explain
    marks: 4
    text: Explain why tests fail.
  - id: "2b"
    outcome: 2
    criteria: ["2.1"]
    command_verb: identify
    marks: 4
    text: Identify four features of a good test.
"""

MINI_SCHEME = """\
qualification: 9999-01
unit: "101"
paper_version: "1"
pass_rule:
  pass_mark: 6
questions:
  - id: "1"
    max_marks: 2
    points:
      - text: it checks behaviour
      - text: it can fail
  - id: "2a"
    max_marks: 4
    points:
      - text: the code is wrong
        marks: 2
      - text: the test is wrong
        marks: 2
  - id: "2b"
    max_marks: 4
    points:
      - text: fast
      - text: repeatable
      - text: readable
      - text: asserts behaviour
"""


class MiniQualification:
    """papers/ and markschemes/ folders in tmp_path holding the mini files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spec = root / "papers" / "9999-01" / "spec.yaml"
        self.paper = root / "papers" / "9999-01" / "101.yaml"
        self.scheme = root / "markschemes" / "9999-01" / "101.yaml"
        for path, text in ((self.spec, MINI_SPEC), (self.paper, MINI_PAPER), (self.scheme, MINI_SCHEME)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    def edit(self, path: Path, old: str, new: str, count: int = 1) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture text not found: {old!r}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    @property
    def folders(self) -> list[Path]:
        return [self.root / "papers", self.root / "markschemes"]


@pytest.fixture
def mini(tmp_path: Path) -> MiniQualification:
    return MiniQualification(tmp_path)


@pytest.fixture(autouse=True, scope="session")
def _cheap_pin_hashes_in_this_process():
    """PINs hashed inside the test process use a low scrypt cost: at the real cost (30 ms a hash)
    hashing was half the time of the service tests. Each hash stores its cost and is checked with
    it, so files made here and PINs typed into real ``marker-tui`` processes (which hash at the
    real cost, see test_staff_candidates.py) still match either way."""
    from marker_tui.services import staff

    real = dict(staff.PIN_COST)
    staff.PIN_COST.update(n=2**8)
    yield
    staff.PIN_COST.clear()
    staff.PIN_COST.update(real)
