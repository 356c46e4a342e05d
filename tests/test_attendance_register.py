"""The attendance register and seating plan: present, late or absent, where, with what arrangements."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from docx import Document

from marker_tui.domain.attendance import Attendance, attendance_of
from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.centre import Centre
from marker_tui.services.demo import build_demo

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
START = datetime(2026, 3, 9, 9, 30, tzinfo=timezone.utc)


def test_the_rules_of_the_register():
    assert attendance_of(START - timedelta(minutes=5), START) == (Attendance.PRESENT, None)
    assert attendance_of(START, START) == (Attendance.PRESENT, None)
    assert attendance_of(START + timedelta(seconds=61), START) == (Attendance.LATE, 2)  # whole minutes, rounded up
    assert attendance_of(None, START) == (Attendance.ABSENT, None)
    assert attendance_of(None, None) == (Attendance.NOT_YET, None)
    assert attendance_of(START, None) == (Attendance.PRESENT, None)


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    centre = Centre.open(path, clock=FakeClock(NOW), create=False)
    yield centre
    centre.close()


def test_the_demo_sitting_s_register_says_who_was_late_and_who_was_absent(demo):
    register = demo.attendance.register("305-demo", by="Iris Invigilator")
    lines = {line.candidate_number: line for line in register.lines}
    late = [n for n, line in lines.items() if line.attendance is Attendance.LATE]
    absent = [n for n, line in lines.items() if line.attendance is Attendance.ABSENT]
    assert len(late) == 1 and lines[late[0]].minutes_late > 0
    assert len(absent) == 1 and lines[absent[0]].finished_at is None and lines[absent[0]].terminal is None
    assert all(line.terminal for line in lines.values() if line.attendance is not Attendance.ABSENT)
    assert any("extra time" in line.arrangements for line in lines.values())
    assert [line.candidate_number for line in register.lines] == sorted(lines)
    # The demo's candidate with the rest-break arrangement took one supervised break of six minutes.
    assert lines["1005"].rest_breaks_text == "1 rest break (6 min)"
    assert [n for n, line in lines.items() if line.rest_breaks] == ["1005"]


def test_the_open_sitting_has_nobody_absent_before_it_starts(demo):
    register = demo.attendance.register("304-DEMO", by="Iris Invigilator")
    assert register.room_started_at is None
    assert {line.attendance for line in register.lines} <= {Attendance.PRESENT, Attendance.NOT_YET}


def test_the_exported_register_reads_back_in_word_and_csv_and_is_audited(demo, tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(demo.path), "register", "305-DEMO", "-o", str(tmp_path / "out"),
                                      "--by", "Iris Invigilator", "--pin-stdin"], input="1111\n")
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "attendance-305-DEMO.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    register = demo.attendance.register("305-DEMO", by="Iris Invigilator")
    assert [r["Candidate number"] for r in rows] == [line.candidate_number for line in register.lines]
    assert {r["Attendance"] for r in rows} == {"present", "late", "absent"}
    doc = Document(str(tmp_path / "out" / "attendance-305-DEMO.docx"))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "Invigilator's signature" in cells and "Seating plan" in [p.text for p in doc.paragraphs]
    assert any(c.startswith("late (") for c in cells)
    [entry] = [e for e in entries(demo.db) if e.action == "attendance register exported"]
    assert entry.actor == "Iris Invigilator" and entry.details["late"] == 1 and entry.details["absent"] == 1


def test_a_marker_cannot_read_the_register_and_an_unknown_sitting_is_named(demo):
    with pytest.raises(ServiceError, match="Mo Marker cannot do this"):
        demo.attendance.register("305-DEMO", by="Mo Marker")
    with pytest.raises(ServiceError, match="NOPE"):
        demo.attendance.register("NOPE", by="Iris Invigilator")
