"""The export service end to end: a real sitting in a real SQLite file, every export read back.

The sitting (built through the real services, FakeClock) has five candidates:

* 1001 answered with emoji, right-to-left text, a tab and the control characters
  NUL, BEL and ESC; fully marked (9, Merit), a marker comment and overall
  feedback holding the same characters; marked complete. Sampled for IQA (added
  by the reviewer): marks adjusted, question 2b 4 -> 3, so now 8 (a pass).
* 1002 fully marked and complete, total at the pass mark but outcome 2 below its
  minimum: a fail whatever the total. Sampled for IQA (a fail): marking upheld.
* 1003 submitted, not marked at all.
* 1004 submitted, partly marked (question 1 only).
* 1005 absent.

The IQA plan is not signed off (so IQA is "incomplete") unless a test signs it.
Figures are asserted against the database (the ``marks`` table, the IQA
service's plan), not against the export service's own models.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest

from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.sampling import SamplingStrategy
from marker_tui.documents.feedback import WINDOWS_RESERVED
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.centre import Centre
from marker_tui.services.iqa import Iqa
from marker_tui.services.exports import (
    DEFAULT_CENTRE_NAME,
    ExportIncomplete,
    ExportKind,
    ExportRefused,
    ExportService,
    export_folder,
    unique_feedback_names,
)
from marker_tui.services.marking import MarkingService
from marker_tui.services.papers import PaperService
from conftest import MINI_SPEC
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, Room, build_room, small_paper

ANA = "Ana Lopes"
BEN = "Ben Okafor"
IVY = "Ivy Reviewer"
CENTRE_NAME = "Glanmor Training Centre 👍"

NASTY = "Good 👍 مرحبا بالعالم\tend\x00\x07\x1b"
CLEANED = "Good 👍 مرحبا بالعالم\tend"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ANSWERS = {
    "1001": {"1": "Trailing cables 👍 " + NASTY, "2a": "مرحبا بالعالم: isolate it", "2b": "Secret answer \x07 one"},
    "1002": {"1": "Ladders and ladders", "2a": "turn it off at the wall", "2b": "Secret answer two"},
    "1003": {"1": "Fire; noise", "2a": "Isolate and prove dead", "2b": "Secret answer three"},
    "1004": {"1": "Dust and fumes", "2a": "Lock off the supply", "2b": "Secret answer four"},
}
MARKS = {"1001": {"1": 2, "2a": 3, "2b": 4}, "1002": {"1": 2, "2a": 3, "2b": 1}, "1004": {"1": 1}}
QUESTIONS = [("1", 1, 2), ("2a", 1, 3), ("2b", 2, 5)]  # id, outcome, maximum


def scheme_with_minimum() -> MarkScheme:
    return MarkScheme.model_validate({
        "qualification": "9999-01", "unit": "101", "paper_version": "2",
        "pass_rule": {"pass_mark": 6, "outcome_minimums": [{"outcome": 2, "min_marks": 3}],
                      "grade_boundaries": [{"name": "Merit", "min_marks": 9}]},
        "questions": [
            {"id": "1", "max_marks": 2, "points": [{"text": "a hazard"}, {"text": "another"}]},
            {"id": "2a", "max_marks": 3, "points": [{"text": "isolate", "marks": 3}]},
            {"id": "2b", "max_marks": 5, "points": [{"text": "because", "marks": 5}]},
        ],
    })


@dataclass
class ExportRoom:
    room: Room
    code: str
    papers_dir: Path

    @property
    def db(self):
        return self.room.db

    @property
    def clock(self):
        return self.room.clock

    @property
    def centre(self) -> Centre:
        return Centre(db=self.room.db, clock=self.room.clock, papers_dir=self.papers_dir)

    @property
    def exports(self) -> ExportService:
        return Centre(db=self.room.db, clock=self.room.clock, papers_dir=self.papers_dir, centre_name=CENTRE_NAME).exports

    @property
    def marking(self) -> MarkingService:
        return Centre(db=self.room.db, clock=self.room.clock).marking

    @property
    def iqa(self) -> Iqa:
        return Centre(db=self.room.db, clock=self.room.clock).iqa

    def script_number(self, number: str) -> str:
        return self.room.candidate(self.code, number).script_number

    def script(self, number: str) -> int:
        return self.room.script_id(self.code, number)

    def db_marks(self) -> dict[str, dict[str, int]]:
        """candidate number -> question -> marks, straight from the marks table."""
        out: dict[str, dict[str, int]] = {}
        for number, question, marks in self.db.execute(
            "SELECT c.candidate_number, m.question_id, m.marks_awarded FROM marks m"
            " JOIN scripts s ON s.id = m.script_id JOIN candidates c ON c.id = s.candidate_id"
            " JOIN sittings si ON si.id = s.sitting_id WHERE si.code = ?", [self.code]):
            out.setdefault(number, {})[question] = marks
        return out

    def audit_rows(self) -> list:
        sitting_id = self.db.execute("SELECT id FROM sittings WHERE code = ?", [self.code]).fetchone()[0]
        return entries(self.db, sitting_id=sitting_id)


FAILS_ONLY = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=None)
IQA_ADJUSTED = {"1001": {"2b": 3}}


def build_export_room(path: Path, papers_dir: Path, *, mark: bool = True, iqa: bool = True) -> ExportRoom:
    (papers_dir / "9999-01").mkdir(parents=True, exist_ok=True)
    (papers_dir / "9999-01" / "spec.yaml").write_text(MINI_SPEC, encoding="utf-8")
    room = build_room(path)
    for name, roles in ((ANA, ["marker"]), (BEN, ["marker"]), (IVY, ["iqa"])):
        room.staff.add(name, roles, PIN, by=ADMIN)
    paper = PaperService(room.db, room.clock).store(small_paper(version="2"), scheme_with_minimum())
    code = room.sittings.create_sitting(paper.id, by=INVIGILATOR, code="EXP-1").code
    room.sittings.enrol(code, ["1001", "1002", "1003", "1004", "1005"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    for number in ANSWERS:
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=5)
    for number, answers in ANSWERS.items():
        script = room.script_id(code, number)
        for question, text in answers.items():
            room.learners.save_answer(script, question, text)
        room.learners.submit(script)
    room.sittings.end(code, by=INVIGILATOR, reason="everyone present has finished")
    room.clock.advance(minutes=30)
    built = ExportRoom(room, code, papers_dir)
    if mark:
        mark_the_sitting(built)
        if iqa:
            iqa_the_sitting(built)
    return built


def mark_the_sitting(r: ExportRoom) -> None:
    m = r.marking
    s1, s2, s4 = r.script("1001"), r.script("1002"), r.script("1004")
    for question, value in MARKS["1001"].items():
        comment = "Good 👍 مرحبا بالعالم\tend" if question == "1" else None
        m.save_mark(s1, question, value, comment=comment, by=ANA, expected_version=0)
    m.set_feedback(s1, overall_feedback="Well done 👍\n\nمرحبا بالعالم", next_steps="Read chapter 3.", by=ANA)
    # The marking service refuses control characters in what a marker types; an older
    # database or a direct edit could still hold them, and the export must not crash.
    r.db.execute("UPDATE marks SET comment = ? WHERE script_id = ? AND question_id = '1'", [NASTY, s1])
    r.db.execute("UPDATE script_marking SET overall_feedback = overall_feedback || ? WHERE script_id = ?",
                 ["\x00\x1b", s1])
    r.clock.advance(minutes=1)
    m.complete(s1, by=ANA)
    for question, value in MARKS["1002"].items():
        m.save_mark(s2, question, value, comment="Check outcome 2" if question == "2b" else None, by=BEN,
                    expected_version=0)
    m.complete(s2, by=BEN)
    m.save_mark(s4, "1", MARKS["1004"]["1"], by=ANA, expected_version=0)
    m.release(s4, by=ANA)
    r.clock.advance(minutes=1)


def iqa_the_sitting(r: ExportRoom) -> None:
    """A plan sampling the fail (1002) and, by hand, 1001; both reviewed and confirmed; not signed off."""
    iqa = r.iqa
    iqa.plans.create_plan(r.code, strategy=FAILS_ONLY, by=IVY, seed=7)
    iqa.plans.add_to_plan(r.code, r.script_number("1001"), by=IVY, reason="a Merit: check the top of the range")
    s1, s2 = r.script("1001"), r.script("1002")
    iqa.reviews.record_question(s1, "1", reviewer=IVY, agree=True)
    iqa.reviews.record_question(s1, "2a", reviewer=IVY, agree=True)
    iqa.reviews.record_question(s1, "2b", reviewer=IVY, agree=False, mark=IQA_ADJUSTED["1001"]["2b"],
                        reason="Only one reason is explained")
    iqa.reviews.decide(s1, reviewer=IVY, decision="marks adjusted", feedback="Credit explained reasons only",
               decision_reason="Q2b over-credited", action_points=["Re-read the Q2b guidance"], confirm=True)
    for q in ("1", "2a", "2b"):
        iqa.reviews.record_question(s2, q, reviewer=IVY, agree=True)
    iqa.reviews.decide(s2, reviewer=IVY, decision="marking upheld", feedback="Fair marking", confirm=True)
    iqa.reviews.add_action_point(r.code, "Standardisation meeting on outcome 2", by=IVY, owner=ANA, due=date(2026, 3, 20))
    r.clock.advance(minutes=1)


def sign_off(r: ExportRoom) -> None:
    r.iqa.plans.sign_off(r.code, by=IVY, statement="Sample reviewed; marking consistent after one adjustment.")


@pytest.fixture
def xroom(tmp_path: Path) -> ExportRoom:
    built = build_export_room(tmp_path / "marker.db", tmp_path / "papers")
    yield built
    built.db.close()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def sampled_numbers(r: ExportRoom) -> set[str]:
    """Candidates in the IQA plan, as the IQA service stores it."""
    [plan] = r.iqa.plans.current_plans(r.code)
    return {s.candidate_number for s in plan.scripts}


def secret_pieces() -> list[str]:
    """Distinctive pieces of every answer: none may appear in a results file."""
    return ["Trailing cables", "isolate it", "Secret answer", "Ladders and ladders", "turn it off at the wall",
            "Fire; noise", "prove dead", "Dust and fumes", "Lock off the supply"]


# --- results ------------------------------------------------------------------------------------


def expected_row(r: ExportRoom, number: str) -> dict:
    marks = r.db_marks().get(number, {})
    outcome = {1: None, 2: None}
    for o in (1, 2):
        ids = [q for q, oo, _ in QUESTIONS if oo == o]
        if all(q in marks for q in ids):
            outcome[o] = sum(marks[q] for q in ids)
    total = sum(marks.values()) if len(marks) == 3 else None
    return {"marks": marks, "outcome": outcome, "total": total}


def test_results_csv_has_one_row_per_candidate_with_the_database_figures(xroom, tmp_path):
    out = tmp_path / "out" / "results.csv"
    report = xroom.exports.export_results(xroom.code, out, by=ADMIN, allow_incomplete=True)
    assert report.paths == [out.resolve()] and report.rows == 5
    rows = read_csv(out)
    assert rows[0] == ["Candidate number", "Name", "Unit", "Sitting date", "Q1 (2)", "Q2a (3)", "Q2b (5)",
                       "Outcome 1 (5)", "Outcome 2 (5)", "Total (10)", "%", "Result", "Marker(s)", "IQA sampled",
                       "IQA decision", "Arrangements used", "Fail reasons"]
    by_number = {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert by_number["1002"]["Arrangements used"] == "25% extra time; reader"
    assert by_number["1001"]["Arrangements used"] == ""
    assert list(by_number) == ["1001", "1002", "1003", "1004", "1005"]
    for number in ("1001", "1002", "1004"):
        want = expected_row(xroom, number)
        got = by_number[number]
        for q, _, maximum in QUESTIONS:
            assert got[f"Q{q} ({maximum})"] == (str(want["marks"][q]) if q in want["marks"] else "not marked")
        assert got["Outcome 1 (5)"] == ("not marked" if want["outcome"][1] is None else str(want["outcome"][1]))
        assert got["Outcome 2 (5)"] == ("not marked" if want["outcome"][2] is None else str(want["outcome"][2]))
        assert got["Total (10)"] == ("not marked" if want["total"] is None else str(want["total"]))
    # 1001 after the IQA adjustment (2b: 4 -> 3): 8 of 10, a pass below the Merit boundary of 9.
    assert by_number["1001"]["Total (10)"] == "8" and by_number["1001"]["Q2b (5)"] == "3"
    assert by_number["1001"]["%"] == "80.0" and by_number["1001"]["Result"] == "pass"
    # The reviewer who adjusted a mark is not a marker.
    assert by_number["1001"]["Marker(s)"] == f"{ANA}; {IVY} (IQA)" and by_number["1002"]["Marker(s)"] == BEN
    assert (by_number["1001"]["IQA sampled"], by_number["1001"]["IQA decision"]) == ("yes", "marks adjusted")
    assert (by_number["1002"]["IQA sampled"], by_number["1002"]["IQA decision"]) == ("yes", "marking upheld")
    # A fail on an outcome minimum, though the total reaches the pass mark, and why.
    assert by_number["1002"]["Total (10)"] == "6" and by_number["1002"]["Result"] == "fail"
    assert by_number["1002"]["Fail reasons"] == "outcome 2: 1 mark is below the minimum of 3"
    # Unmarked scripts are "not marked", never 0; partly marked ones show what is there.
    for cell in ("Q1 (2)", "Q2a (3)", "Q2b (5)", "Outcome 1 (5)", "Outcome 2 (5)", "Total (10)", "%"):
        assert by_number["1003"][cell] == "not marked"
    assert by_number["1003"]["Result"] == "not yet marked" and by_number["1004"]["Result"] == "not yet marked"
    assert by_number["1004"]["Q1 (2)"] == "1" and by_number["1004"]["Outcome 1 (5)"] == "not marked"
    assert by_number["1005"]["Result"] == "absent"
    assert {row["Unit"] for row in by_number.values()} == {"101"}
    assert {row["Sitting date"] for row in by_number.values()} == {"2026-03-02"}
    assert {n for n, row in by_number.items() if row["IQA sampled"] == "yes"} == sampled_numbers(xroom)
    text = out.read_text(encoding="utf-8-sig")
    assert "0" not in [by_number["1003"][c] for c in ("Q1 (2)", "Total (10)")]
    for piece in secret_pieces():
        assert piece not in text


def test_results_xlsx_is_a_real_spreadsheet_with_a_summary_from_the_marked_scripts(xroom, tmp_path):
    out = tmp_path / "results.xlsx"
    xroom.exports.export_results(xroom.code, out, by=ADMIN, allow_incomplete=True)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Results", "Summary"]
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Candidate number", "Name", "Unit", "Sitting date"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "C2"
    assert all((ws.column_dimensions[chr(ord("A") + i)].width or 0) >= 8 for i in range(len(header)))
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["1001", "1002", "1003", "1004", "1005"]
    db = xroom.db_marks()
    for number, marks in db.items():
        for q, _, maximum in QUESTIONS:
            if q in marks:
                value = rows[number][f"Q{q} ({maximum})"]
                assert isinstance(value, int) and value == marks[q]
    assert rows["1001"]["Total (10)"] == 8 and isinstance(rows["1001"]["%"], float)
    assert rows["1001"]["%"] == pytest.approx(0.8)
    assert rows["1001"]["Sitting date"].date() == date(2026, 3, 2)
    assert rows["1003"]["Total (10)"] == "not marked" and rows["1003"]["Q1 (2)"] == "not marked"
    assert rows["1002"]["Outcome 2 (5)"] == 1
    # Summary: mean, facility and number marked per question from the marked scripts only.
    summary = wb["Summary"]
    found = {r[0]: r for r in summary.iter_rows(values_only=True) if r and r[0]}
    for q, _, maximum in QUESTIONS:
        given = [marks[q] for marks in db.values() if q in marks]
        label, _, max_marks, number_marked, mean, facility = found[f"Q{q}"][:6]
        assert (max_marks, number_marked) == (maximum, len(given))
        assert mean == pytest.approx(sum(given) / len(given))
        assert facility == pytest.approx(sum(given) / len(given) / maximum)
    assert found["Outcome 2"][3] == 2 and found["Outcome 2"][4] == pytest.approx((3 + 1) / 2)
    assert found["Total"][3] == 2 and found["Total"][4] == pytest.approx((8 + 6) / 2)
    # No learner answer anywhere in the workbook's XML.
    with zipfile.ZipFile(out) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    for piece in secret_pieces():
        assert piece not in xml


def test_an_absent_candidate_reads_absent_with_empty_mark_cells_in_csv_and_xlsx(xroom, tmp_path):
    # 1005 never logged in and the sitting ended: nothing to mark, so no cell may say "not marked".
    figures = [f"Q{q} ({maximum})" for q, _, maximum in QUESTIONS] + ["Outcome 1 (5)", "Outcome 2 (5)",
                                                                       "Total (10)", "%"]
    csv_out, xlsx_out = tmp_path / "results.csv", tmp_path / "results.xlsx"
    xroom.exports.export_results(xroom.code, csv_out, by=ADMIN, allow_incomplete=True)
    xroom.exports.export_results(xroom.code, xlsx_out, by=ADMIN, allow_incomplete=True)
    header, *rows = read_csv(csv_out)
    absent = dict(zip(header, {r[0]: r for r in rows}["1005"]))
    assert absent["Result"] == "absent"
    assert [absent[c] for c in figures] == [""] * len(figures)
    assert "not marked" not in {r[0]: r for r in rows}["1005"]
    ws = openpyxl.load_workbook(xlsx_out)["Results"]
    head = [c.value for c in ws[1]]
    row = {r[0]: dict(zip(head, r)) for r in ws.iter_rows(min_row=2, values_only=True)}["1005"]
    assert row["Result"] == "absent"
    assert [row[c] for c in figures] == [None] * len(figures)
    # A script handed in but not marked still says so.
    assert dict(zip(header, {r[0]: r for r in rows}["1003"]))["Total (10)"] == "not marked"


def test_results_use_the_marks_after_an_iqa_adjustment_and_do_not_list_the_reviewer_as_marker(xroom, tmp_path):
    role, marks = xroom.db.execute("SELECT role, marks_awarded FROM marks WHERE script_id = ? AND question_id = '2b'",
                                   [xroom.script("1001")]).fetchone()
    assert (role, marks) == ("iqa", IQA_ADJUSTED["1001"]["2b"])
    # A later IQA adjustment is also what the results show.
    xroom.marking.adjust_mark(xroom.script("1001"), "2b", 2, by=IVY, reason="Second look", expected_version=2)
    out = tmp_path / "results.csv"
    xroom.exports.export_results(xroom.code, out, by=IVY, allow_incomplete=True)
    header, *rows = read_csv(out)
    got = dict(zip(header, {r[0]: r for r in rows}["1001"]))
    assert got["Q2b (5)"] == "2" and got["Total (10)"] == "7" and got["Result"] == "fail"
    assert got["Fail reasons"] == "outcome 2: 2 marks is below the minimum of 3"
    # The reviewer is named, as IQA, beside the marker: as `marks status` names them.
    assert got["Marker(s)"] == f"{ANA}; {IVY} (IQA)"
    status = {r.script_number: r.markers for r in xroom.marking.status(xroom.code).queue.rows}
    assert status[xroom.script_number("1001")] == [ANA, f"{IVY} (IQA)"]


def test_results_marker_column_agrees_with_marks_status_for_every_script(xroom):
    xroom.marking.save_mark(xroom.script("1004"), "2a", 1, by=BEN, expected_version=0, hold=False)
    status = {r.script_number: r.markers for r in xroom.marking.status(xroom.code).queue.rows}
    sheet = xroom.exports.results_sheet(xroom.code)
    for row in sheet.rows:
        if row.result in ("absent", "not submitted"):
            continue
        assert row.markers == status[xroom.script_number(row.candidate_number)], row.candidate_number
    assert {r.candidate_number: r.markers for r in sheet.rows}["1004"] == sorted([ANA, BEN])


def test_every_figure_equals_what_the_marking_service_computes_for_the_script(xroom):
    sheet = xroom.exports.results_sheet(xroom.code)
    for row in sheet.rows:
        if row.result == "absent":
            continue
        result = xroom.marking.result(xroom.script(row.candidate_number))
        assert row.total == result.total and row.percentage == result.percentage
        assert row.fail_reasons == list(result.fail_reasons)
        assert row.result.split(" (")[0] == result.status
        for o in result.outcomes:
            assert row.outcome_marks[o.outcome] == (o.awarded if o.complete else None)


def test_a_fully_marked_script_not_signed_off_is_shown_as_provisional(xroom, tmp_path):
    s3 = xroom.script("1003")
    for q, value in (("1", 1), ("2a", 2), ("2b", 3)):
        xroom.marking.save_mark(s3, q, value, by=BEN, expected_version=0)
    out = tmp_path / "r.csv"
    xroom.exports.export_results(xroom.code, out, by=ADMIN, allow_incomplete=True)
    got = dict(zip(read_csv(out)[0], {r[0]: r for r in read_csv(out)[1:]}["1003"]))
    assert got["Result"] == "pass (provisional: marking not signed off)" and got["Total (10)"] == "6"


# --- completeness -------------------------------------------------------------------------------------


def test_incomplete_marking_is_refused_with_what_is_missing_and_nothing_is_written(xroom, tmp_path):
    out = tmp_path / "out"
    before = len(xroom.audit_rows())
    with pytest.raises(ExportIncomplete) as caught:
        xroom.exports.export_results(xroom.code, out / "results.xlsx", by=ADMIN)
    assert caught.value.problems == [
        "1 script not marked: candidate 1003",
        "candidate 1004: partly marked (no mark for questions 2a, 2b)",
        "the IQA sampling plan of Ivy Reviewer (plan 1) is not signed off yet",
    ]
    assert "--allow-incomplete" in str(caught.value) and "Nothing was written" in str(caught.value)
    with pytest.raises(ExportIncomplete):
        xroom.exports.export_feedback(xroom.code, out / "feedback", by=ADMIN)
    assert files_under(tmp_path / "out") == [] and not out.exists()
    assert len(xroom.audit_rows()) == before


def test_allow_incomplete_exports_and_says_what_was_not_finished(xroom, tmp_path):
    report = xroom.exports.export_results(xroom.code, tmp_path / "r.csv", by=ADMIN, allow_incomplete=True)
    assert report.warnings == xroom.exports.problems(xroom.code, ExportKind.RESULTS_CSV)
    [row] = [e for e in xroom.audit_rows() if e.action == "results exported"]
    assert row.actor == ADMIN and row.details["exported although not finished"] == report.warnings
    assert row.details["path"] == str((tmp_path / "r.csv").resolve()) and row.details["candidates"] == 5


def test_a_sitting_still_running_warns_about_candidates_still_writing(tmp_path):
    r = build_export_room(tmp_path / "m.db", tmp_path / "papers", mark=False)
    code = r.room.sittings.create_sitting(r.room.paper.id, by=INVIGILATOR, code="RUN-1").code
    r.room.sittings.enrol(code, ["1001", "1002"], by=INVIGILATOR)
    r.room.sittings.open(code, by=INVIGILATOR)
    r.room.log_in(code, "1001")
    r.room.sittings.start(code, by=INVIGILATOR)
    problems = r.exports.problems(code, "results-csv")
    assert problems[0] == "2 candidates not submitted yet (still writing or not started): 1001, 1002"
    report = r.exports.export_results(code, tmp_path / "run.csv", by=INVIGILATOR, allow_incomplete=True)
    header, *rows = read_csv(tmp_path / "run.csv")
    rows = {row[0]: dict(zip(header, row)) for row in rows}
    assert report.rows == 2
    # Nothing to mark yet: empty cells, not "not marked" (that would read as marking left to do).
    figures = header[header.index("Sitting date") + 1:header.index("Result")]
    for number in ("1001", "1002"):
        assert rows[number]["Result"] == "not submitted"
        assert [rows[number][c] for c in figures] == [""] * len(figures), number


def test_a_complete_sitting_exports_without_warnings(xroom, tmp_path):
    for number in ("1003", "1004"):
        script = xroom.script(number)
        have = xroom.db_marks().get(number, {})
        for q, _, _ in QUESTIONS:
            if q not in have:
                xroom.marking.save_mark(script, q, 1, by=BEN, expected_version=0)
        xroom.marking.complete(script, by=BEN)
    assert xroom.exports.problems(xroom.code, "results-xlsx") == [
        "the IQA sampling plan of Ivy Reviewer (plan 1) is not signed off yet"]
    sign_off(xroom)
    assert xroom.exports.problems(xroom.code, "results-xlsx") == []
    report = xroom.exports.export_results(xroom.code, tmp_path / "r.xlsx", by=ADMIN)
    assert report.warnings == [] and report.rows == 5
    feedback = xroom.exports.export_feedback(xroom.code, tmp_path / "fb", by=ADMIN)
    assert feedback.rows == 4 and feedback.skipped == ["candidate 1005: absent"]


# --- blind marking ------------------------------------------------------------------------------------


def test_a_marker_cannot_export_a_sitting_still_marked_blind(xroom, tmp_path):
    for kind in ExportKind:
        target = tmp_path / "out" / ("feedback" if kind is ExportKind.FEEDBACK else f"x{kind.suffix}")
        with pytest.raises(ExportRefused, match="is being marked blind and its marking is not finished"):
            xroom.exports.export(kind, xroom.code, target, by=ANA, allow_incomplete=True)
    assert not (tmp_path / "out").exists()
    # Admin, IQA and invigilator staff can; so can the marker once blind marking is off...
    for who in (ADMIN, IVY, INVIGILATOR):
        xroom.exports.export_audit(xroom.code, tmp_path / f"{who}.csv", by=who)
    xroom.marking.set_blind(xroom.code, False, by=ADMIN)
    xroom.exports.export_results(xroom.code, tmp_path / "ana.csv", by=ANA, allow_incomplete=True)


def test_a_marker_can_export_once_marking_of_the_sitting_is_complete(xroom, tmp_path):
    for number in ("1003", "1004"):
        script = xroom.script(number)
        have = xroom.db_marks().get(number, {})
        for q, _, _ in QUESTIONS:
            if q not in have:
                xroom.marking.save_mark(script, q, 1, by=BEN, expected_version=0)
        xroom.marking.complete(script, by=BEN)
    report = xroom.exports.export_feedback(xroom.code, tmp_path / "fb", by=BEN, allow_incomplete=True)
    assert report.rows == 4


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ExportKind))
def test_an_unknown_sitting_is_refused_for_every_export_and_nothing_is_written(xroom, tmp_path, kind):
    out = tmp_path / "out"
    target = out / ("feedback" if kind is ExportKind.FEEDBACK else f"x{kind.suffix}")
    before = len(entries(xroom.db))
    with pytest.raises(ExportRefused, match="There is no sitting with code NOPE-9: nothing was exported"):
        xroom.exports.export(kind, "nope-9", target, by=ADMIN, allow_incomplete=True)
    assert not out.exists()
    assert len(entries(xroom.db)) == before


def test_an_unknown_staff_member_or_candidate_is_refused_and_nothing_is_written(xroom, tmp_path):
    with pytest.raises(ExportRefused, match="There is no staff member called 'Nobody'"):
        xroom.exports.export_audit(xroom.code, tmp_path / "o" / "a.csv", by="Nobody")
    with pytest.raises(ExportRefused, match="Candidate 9999 is not enrolled in sitting EXP-1"):
        xroom.exports.export_feedback(xroom.code, tmp_path / "o", by=ADMIN, candidate="9999")
    with pytest.raises(ExportRefused, match="ends .csv but the format asked for is xlsx"):
        xroom.exports.export_results(xroom.code, tmp_path / "o" / "r.csv", by=ADMIN, format="xlsx",
                                     allow_incomplete=True)
    with pytest.raises(ExportRefused, match="written as .csv or .xlsx"):
        xroom.exports.export_results(xroom.code, tmp_path / "o" / "r.txt", by=ADMIN, allow_incomplete=True)
    assert not (tmp_path / "o").exists()


def test_feedback_for_a_candidate_not_yet_marked_is_refused_even_when_incomplete_is_allowed(xroom, tmp_path):
    with pytest.raises(ExportIncomplete, match="1 script not marked: candidate 1003"):
        xroom.exports.export_feedback(xroom.code, tmp_path / "fb", by=ADMIN, candidate="1003")
    with pytest.raises(ExportRefused, match="candidate 1003: not fully marked"):
        xroom.exports.export_feedback(xroom.code, tmp_path / "fb", by=ADMIN, candidate="1003", allow_incomplete=True)
    assert not (tmp_path / "fb").exists()


# --- feedback --------------------------------------------------------------------------------------


def test_feedback_writes_one_document_per_fully_marked_learner_and_says_who_was_left_out(xroom, tmp_path):
    calls = []
    out = tmp_path / "feedback"
    report = xroom.exports.export_feedback(xroom.code, out, by=ADMIN, allow_incomplete=True,
                                           progress=lambda done, total: calls.append((done, total)))
    assert [p.name for p in report.paths] == ["1001_unit-101_feedback.docx", "1002_unit-101_feedback.docx"]
    assert files_under(out) == sorted(report.paths)
    assert report.skipped == [
        "candidate 1003: not fully marked (no mark for 3 of 3 questions)",
        "candidate 1004: not fully marked (no mark for 2 of 3 questions)",
        "candidate 1005: absent",
    ]
    assert calls == [(0, 2), (1, 2), (2, 2)]
    [row] = [e for e in xroom.audit_rows() if e.action == "feedback exported"]
    assert row.details["documents"] == 2 and row.details["left out"] == report.skipped


def test_a_learners_feedback_document_matches_the_database_and_keeps_emoji_and_rtl(xroom, tmp_path):
    report = xroom.exports.export_feedback(xroom.code, tmp_path, by=ADMIN, candidate="1001")
    [path] = report.paths
    document = docx.Document(str(path))
    text = docx_text(path)
    assert not CONTROL.search(text.replace("\t", "").replace("\n", ""))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Your result", "Marks by outcome", "Assessment criteria", "Feedback on each question",
                        "Question 1", "Question 2a", "Question 2b", "Overall feedback", "Next steps", "Sign-off",
                        "How to query your result", "Signatures"]
    # Each criterion the paper covers, from the questions' marks in the database (IQA's 3 for 2b).
    criteria = [[c.text for c in row.cells] for row in document.tables[2].rows]
    assert [r[0] for r in criteria] == ["Criterion", "1.1", "1.2", "2.1"]
    assert [(r[2], r[3], r[4]) for r in criteria[1:]] == [("1", "2 of 2", "Met"), ("2a", "3 of 3", "Met"),
                                                         ("2b", "3 of 5", "Partly met")]
    details = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert details["Centre"] == CENTRE_NAME
    assert details["Qualification"] == "9999-01 Level 3 Test Qualification"
    assert details["Unit"] == "101 Test unit" and details["Sitting date"] == "2 March 2026"
    assert details["Candidate"] == "Amira Khan (1001)"
    # Outcome table: achieved per outcome is the sum of that outcome's marks in the database.
    marks = xroom.db_marks()["1001"]
    outcome_table = document.tables[1]
    assert [c.text for c in outcome_table.rows[0].cells] == ["Outcome", "Marks achieved", "Marks available",
                                                             "Minimum to pass"]
    assert [[c.text for c in row.cells] for row in outcome_table.rows[1:]] == [
        ["1. Understand tests", str(marks["1"] + marks["2a"]), "5", ""],
        ["2. Know how to write tests", str(marks["2b"]), "5", "3"],
        ["Total", str(sum(marks.values())), "10", "6"],
    ]
    assert "Pass: 8 of 10 marks (80.0%). The pass mark is 6." in text
    for q, _, maximum in QUESTIONS:
        assert f"{marks[q]} of {maximum} marks" in text
    assert "List two hazards." in text
    # The marker's comment: control characters gone, emoji, Arabic and the tab kept.
    body = document.element.body.xml
    assert "Good 👍 مرحبا بالعالم" in text and "<w:tab/>" in body
    assert "\x00" not in body and "\x07" not in body and "\x1b" not in body
    assert "Well done 👍" in text and "مرحبا بالعالم" in text and "Read chapter 3." in text
    # The Arabic paragraph of the overall feedback is laid out right to left.
    [arabic] = [p for p in document.paragraphs if p.text == "مرحبا بالعالم"]
    assert arabic._p.pPr is not None and arabic._p.pPr.find(f"{W}bidi") is not None
    # The learner's own answers (on by default), and nobody else's.
    assert "Your answer: Trailing cables 👍 Good 👍 مرحبا بالعالم" in text
    assert "Secret answer  one" in text or "Secret answer one" in text
    for piece in secret_pieces()[3:]:
        assert piece not in text
    # IQA changed question 2b: the learner is told from what, to what and why.
    assert ("Changed on review: the marker gave 4 of 5 marks; internal quality assurance changed it to 3: "
            "Only one reason is explained.") in text
    assert "changed the mark for question 2b; the marks in this document are the final ones." in text
    signatures = document.tables[-1]
    assert [[c.text for c in row.cells] for row in signatures.rows] == [
        ["", "Name", "Signature", "Date"], ["Assessor", ANA, "", ""], ["Learner", "Amira Khan", "", ""],
        ["Internal quality assurer", IVY, "", ""]]
    signed = {row.cells[0].text: row.cells[1].text for row in document.tables[-2].rows}
    assert signed == {"Marked by": ANA, "Date marked": "2 March 2026",
                      "Internal quality assurance": f"Sampled and reviewed by {IVY}",
                      "Date reviewed": "2 March 2026", "IQA decision": "Marks adjusted"}
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert document.tables[1].rows[0]._tr.trPr is not None  # header row repeats on every page


def test_feedback_without_answers_leaves_every_answer_out_and_says_so_in_the_audit(xroom, tmp_path):
    report = xroom.exports.export_feedback(xroom.code, tmp_path, by=ADMIN, candidate="1001", include_answers=False)
    text = docx_text(report.paths[0])
    assert "Your answer" not in text
    for piece in secret_pieces():
        assert piece not in text
    [row] = [e for e in xroom.audit_rows() if e.action == "feedback exported"]
    assert row.details["learners' answers included"] is False


def test_feedback_of_an_outcome_minimum_fail_says_why(xroom, tmp_path):
    report = xroom.exports.export_feedback(xroom.code, tmp_path, by=ADMIN, candidate="1002")
    text = docx_text(report.paths[0])
    assert "Fail: 6 of 10 marks (60.0%). The pass mark is 6." in text
    assert "Why: outcome 2: 1 mark is below the minimum of 3." in text
    assert "Overall feedback" not in text and "Next steps" not in text  # not given: no empty sections
    assert "Check outcome 2" in text
    assert "Marking upheld" in text


def test_feedback_file_names_are_safe_and_unique_in_a_batch(tmp_path):
    r = build_export_room(tmp_path / "m.db", tmp_path / "papers", mark=False)
    for number, name in (("CON", "Reserved Name"), ("12/34", "Slash Name"), ("12-34", "Dash Name")):
        r.room.candidates.add(number, name, by=ADMIN)
    # Candidate numbers are upper-case ASCII and unique ignoring case in the database, so a
    # case-only clash cannot reach an export from there; unique_feedback_names guards it anyway
    # (see the next test). Here: names that sanitising could make equal, and a device name.
    code = r.room.sittings.create_sitting(r.room.paper.id, by=INVIGILATOR, code="CASE-1").code
    numbers = ["CON", "12/34", "12-34"]
    r.room.sittings.enrol(code, numbers, by=INVIGILATOR)
    r.room.sittings.open(code, by=INVIGILATOR)
    for n in numbers:
        r.room.log_in(code, n)
    r.room.sittings.start(code, by=INVIGILATOR)
    for n in numbers:
        script = r.room.script_id(code, n)
        r.room.learners.save_answer(script, "1", "x")
        r.room.learners.submit(script)
        for q in ("1", "2a", "2b"):
            r.marking.save_mark(script, q, 1, by=ANA, expected_version=0)
        r.marking.complete(script, by=ANA)
    report = r.exports.export_feedback(code, tmp_path / "fb", by=ADMIN, allow_incomplete=True)
    names = [p.name for p in report.paths]
    assert len(names) == 3 and len({n.casefold() for n in names}) == 3
    assert "12-34_unit-101_feedback.docx" in names and "CON_unit-101_feedback.docx" in names
    for name in names:
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
        assert name.split(".")[0].upper() not in WINDOWS_RESERVED
    assert files_under(tmp_path / "fb") == sorted(report.paths)
    # Each document is the right learner's.
    for path in report.paths:
        assert docx.Document(str(path)).tables[0].rows[-1].cells[1].text.endswith(")")


def test_unique_feedback_names_disambiguate_case_and_normalisation_clashes():
    names = unique_feedback_names([("é1", "101"), ("É1", "101"), ("e\u03011", "101"), ("A1", "101")])
    assert names[0] == "é1_unit-101_feedback.docx"
    assert names[1] == "É1_unit-101_feedback-2.docx"
    assert len({n.casefold() for n in names}) == 4


# --- IQA record --------------------------------------------------------------------------------------


def table_rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_iqa_record_docx_has_the_plan_reasons_reviews_agreement_actions_and_sign_off(xroom, tmp_path):
    [plan] = xroom.iqa.plans.current_plans(xroom.code)
    agreement = xroom.iqa.agreement.agreement(xroom.code)
    with pytest.raises(ExportIncomplete, match="not signed off yet"):
        xroom.exports.export_iqa(xroom.code, tmp_path / "iqa.docx", by=IVY)
    assert not (tmp_path / "iqa.docx").exists()
    sign_off(xroom)
    report = xroom.exports.export_iqa(xroom.code, tmp_path / "iqa.docx", by=IVY)
    assert report.warnings == [] and report.rows == 2
    document = docx.Document(str(tmp_path / "iqa.docx"))
    text = docx_text(tmp_path / "iqa.docx")
    details = dict(table_rows(document.tables[0]))
    assert details["Centre"] == CENTRE_NAME and details["Sitting"] == "EXP-1"
    assert details["Scripts sampled"] == str(len(plan.scripts)) == "2"
    assert details["Scripts reviewed"] == "2" and details["Scripts marked"] == str(plan.scripts_marked)
    assert f"Strategy: {plan.strategy_text}" in text and f"Random seed: {plan.seed} " in text
    sampled = {row[0].split()[0]: row for row in table_rows(document.tables[1])[1:]}
    for ps in plan.scripts:
        row = sampled[ps.candidate_number]
        assert row[1] == "; ".join(ps.markers) and row[2] == str(ps.total)
        assert row[3] == "; ".join(ps.reasons) and row[4] == "yes"
    assert sampled["1001"][3] == f"added by {IVY}: a Merit: check the top of the range"
    # The adjusted review: per question marks, the different one with its reason.
    assert f"Candidate 1001 Amira Khan (marked by {ANA})" in text
    assert "Decision: Marks adjusted." in text and "Reason: Q2b over-credited" in text
    assert f"Reviewed by: {IVY}, 2 March 2026." in text
    assert "Marks: 9 by the marker, 8 after review (of the 10 marks reviewed)." in text
    review_table = next(t for t in document.tables if table_rows(t)[0][:2] == ["Question", "Maximum"])
    assert table_rows(review_table)[1:] == [
        ["1", "2", "2", "2", "agree", ""],
        ["2a", "3", "3", "3", "agree", ""],
        ["2b", "5", "4", "3", "different", "Only one reason is explained"],
    ]
    assert "Feedback to marker: Credit explained reasons only" in text
    assert "Decision: Marking upheld." in text and "Feedback to marker: Fair marking" in text
    # Agreement figures are the IQA service's, computed from the stored judgements.
    overall = next(t for t in document.tables if table_rows(t)[0][0] == "Group")
    row = table_rows(overall)[1]
    assert row[0] == "All markers" and row[1] == str(agreement.overall.n_pairs) == "6"
    assert row[2] == f"{agreement.overall.exact_agreement_percent:.1f}%" == "83.3%"
    by_marker = next(t for t in document.tables if table_rows(t)[0][0] == "Marker" and "Pairs" in table_rows(t)[0])
    assert [r[0] for r in table_rows(by_marker)[1:]] == sorted(agreement.by_marker)
    # Action points: the plan's and the review's.
    actions = next(t for t in document.tables if table_rows(t)[0] == ["Action", "Owner", "Due"])
    assert table_rows(actions)[1:] == [
        ["Standardisation meeting on outcome 2", ANA, "20 March 2026"],
        ["Candidate 1001: Re-read the Q2b guidance", "", ""],
    ]
    signed = dict(table_rows(document.tables[-2]))
    assert signed["Reviewer"] == IVY and signed["Role"] == "Internal quality assurer"
    # Lines to sign: the reviewer, then each assessor whose scripts were sampled.
    assert [r[:2] for r in table_rows(document.tables[-1])] == [
        ["", "Name"], ["Internal quality assurer", IVY], ["Assessor", ANA], ["Assessor", BEN]]
    assert "Sample reviewed; marking consistent after one adjustment." in text
    [row] = [e for e in xroom.audit_rows() if e.action == "IQA record exported"]
    assert row.actor == IVY and row.details["sampled"] == 2 and row.details["reviews"] == 2


def test_iqa_record_csv_has_a_plan_row_per_sampled_script_and_a_review_row_per_question(xroom, tmp_path):
    out = tmp_path / "iqa.csv"
    xroom.exports.export_iqa(xroom.code, out, by=IVY, allow_incomplete=True)
    header, *rows = read_csv(out)
    records = [dict(zip(header, r)) for r in rows]
    plan_rows = [r for r in records if r["Section"] == "plan"]
    review_rows = [r for r in records if r["Section"] == "review"]
    assert [r["Candidate number"] for r in plan_rows] == ["1001", "1002"]
    assert {r["Candidate number"]: r["Script decision"] for r in plan_rows} == {
        "1001": "marks adjusted", "1002": "marking upheld"}
    assert len(review_rows) == 6
    changed = [r for r in review_rows if r["Agreement"] == "different"]
    assert [(r["Candidate number"], r["Question"], r["Marker's mark"], r["IQA mark"]) for r in changed] == [
        ("1001", "2b", "4", "3")]
    assert all(r["Reviewer"] == IVY and r["Reviewed on"] == "2026-03-02" for r in review_rows)
    for piece in secret_pieces():
        assert piece not in out.read_text(encoding="utf-8-sig")


def test_an_unreviewed_sampled_script_and_a_missing_plan_are_iqa_incomplete(tmp_path):
    r = build_export_room(tmp_path / "m.db", tmp_path / "papers", iqa=False)
    assert r.exports.problems(r.code, "iqa-docx") == [
        "no IQA sampling plan has been drawn for this sitting yet (marker-tui iqa sample EXP-1)"]
    report = r.exports.export_iqa(r.code, tmp_path / "none.docx", by=IVY, allow_incomplete=True)
    assert "No IQA sampling plan has been drawn for this sitting yet." in docx_text(tmp_path / "none.docx")
    assert report.warnings and report.rows == 0
    r.iqa.plans.create_plan(r.code, strategy=FAILS_ONLY, by=IVY, seed=1)
    r.iqa.reviews.record_question(r.script("1002"), "1", reviewer=IVY, agree=True)
    assert r.exports.problems(r.code, "iqa-csv") == [
        "sampled for IQA, review not yet confirmed: candidate 1002 (in progress)",
        "the IQA sampling plan of Ivy Reviewer (plan 1) is not signed off yet",
    ]
    # One learner's feedback needs their own review confirmed, not the whole sample signed off.
    assert r.exports.problems(r.code, "feedback", candidate="1001") == []
    with pytest.raises(ExportIncomplete, match=r"candidate 1002 \(in progress\)"):
        r.exports.export_feedback(r.code, tmp_path / "fb", by=ADMIN, candidate="1002")
    sheet = r.exports.results_sheet(r.code)
    row = next(x for x in sheet.rows if x.candidate_number == "1002")
    assert row.iqa_sampled and row.iqa_decision is None
    r.db.close()


def test_two_reviewers_plans_need_a_choice_of_reviewer(xroom, tmp_path):
    xroom.room.staff.add("Rae Reviewer", ["iqa"], PIN, by=ADMIN)
    xroom.iqa.plans.create_plan(xroom.code, strategy=FAILS_ONLY, by="Rae Reviewer", seed=3)
    with pytest.raises(ExportRefused, match=r"more than one current IQA sampling plan \(Ivy Reviewer, Rae Reviewer\)"):
        xroom.exports.export_iqa(xroom.code, tmp_path / "i.docx", by=IVY, allow_incomplete=True)
    xroom.exports.export_iqa(xroom.code, tmp_path / "i.docx", by=IVY, reviewer="ivy  reviewer",
                             allow_incomplete=True)
    assert "Candidate 1001 Amira Khan" in docx_text(tmp_path / "i.docx")
    assert not (tmp_path / "none").exists()
    # The record says whose plan it is: with two reviewers' plans, one without a name could be either.
    header = {r.cells[0].text: r.cells[1].text for r in docx.Document(str(tmp_path / "i.docx")).tables[0].rows}
    assert header["Internal quality assurer"] == IVY and header["Sample drawn"]
    assert "Rae Reviewer" not in docx_text(tmp_path / "i.docx")
    # Everything at once: refused before any file is written or any export audited (it wrote the results
    # and feedback first, audited them as shared, then said "Nothing was written"); --reviewer chooses.
    exported = len(xroom.audit_rows())
    with pytest.raises(ExportRefused, match="more than one current IQA sampling plan.*Nothing was written"):
        xroom.exports.export_everything(xroom.code, tmp_path / "all", by=ADMIN, allow_incomplete=True)
    assert not (tmp_path / "all").exists() and len(xroom.audit_rows()) == exported
    reports = xroom.exports.export_everything(xroom.code, tmp_path / "all", by=ADMIN, allow_incomplete=True,
                                              reviewer="Ivy Reviewer")
    assert "Candidate 1001 Amira Khan" in docx_text(next(p for r in reports for p in r.paths if p.suffix == ".docx"
                                                         and "iqa" in p.name.lower()))


# --- audit ------------------------------------------------------------------------------------------


def test_audit_csv_is_every_audit_row_of_the_sitting_oldest_first(xroom, tmp_path):
    expected = xroom.audit_rows()
    out = tmp_path / "audit.csv"
    report = xroom.exports.export_audit(xroom.code, out, by=INVIGILATOR)
    rows = read_csv(out)
    assert rows[0] == ["Sequence", "At (UTC)", "Actor", "Action", "Sitting", "Candidate number", "Script",
                       "What changed", "From", "To", "Reason", "Details (raw JSON)",
                       "Hashed content", "Content digest (SHA-256)", "Previous link", "Link (SHA-256)"]
    assert report.rows == len(expected) == len(rows) - 1
    # An outside reviewer can check every row with plain SHA-256, and the last link is in the whole log.
    for r in rows[1:]:
        assert hashlib.sha256(r[12].encode()).hexdigest() == r[13]
        assert hashlib.sha256(f"{r[14]}:{r[0]}:{r[13]}".encode()).hexdigest() == r[15]
        assert json.loads(r[12])[2] == r[3] and json.loads(json.loads(r[12])[6]) == json.loads(r[11])
    assert [int(r[0]) for r in rows[1:]] == [e.id for e in expected]
    assert [r[0] for r in rows[1:]] == sorted((r[0] for r in rows[1:]), key=int)
    assert [(r[2], r[3], r[5]) for r in rows[1:]] == [(e.actor, e.action, e.candidate_number or "") for e in expected]
    assert {r[4] for r in rows[1:]} == {"EXP-1"}
    # The export itself is recorded after the file was written (so not in this file).
    assert xroom.audit_rows()[-1].action == "audit trail exported"
    assert xroom.audit_rows()[-1].details["rows"] == len(expected)


# --- odds and ends -------------------------------------------------------------------------------------


def test_the_centre_hands_out_the_export_service_and_the_centre_name_falls_back(xroom):
    import dataclasses

    service = xroom.centre.exports
    assert isinstance(service, ExportService) and service.centre_name == DEFAULT_CENTRE_NAME
    named = dataclasses.replace(xroom.centre, centre_name="  Glanmor   College ")  # as the TUI launcher does
    assert named.exports.centre_name == "Glanmor College"
    assert service.results_sheet(xroom.code).qualification_title == "Level 3 Test Qualification"


def test_the_centre_name_is_stored_by_an_admin_audited_and_printed_on_every_export(xroom, tmp_path, monkeypatch):
    monkeypatch.delenv("MARKER_TUI_CENTRE_NAME", raising=False)
    service = Centre(db=xroom.db, clock=xroom.clock, papers_dir=xroom.papers_dir).exports
    with pytest.raises(ServiceError, match="needs the role admin"):
        service.set_centre_name("Glanmor College", by=ANA)
    with pytest.raises(ServiceError, match="control characters"):
        service.set_centre_name("Glanmor\x07College", by=ADMIN)
    assert service.set_centre_name("  Glanmor   College 👍 ", by=ADMIN) == "Glanmor College 👍"
    service.set_centre_name("Glanmor College 👍", by=ADMIN)  # the same again: no change, no audit row
    [row] = [e for e in entries(xroom.db) if e.action == "centre name changed"]
    assert row.actor == ADMIN and row.details == {"old": None, "new": "Glanmor College 👍"}
    assert service.centre_name == "Glanmor College 👍"
    report = service.export_feedback(xroom.code, tmp_path, by=ADMIN, candidate="1001")
    assert "Glanmor College 👍" in docx_text(report.paths[0])
    assert Centre(db=xroom.db, clock=xroom.clock, centre_name="Given").exports.centre_name == "Given"


def test_a_database_made_before_centre_settings_is_upgraded_and_keeps_its_sittings(tmp_path, monkeypatch):
    from marker_tui.storage import migrations
    from marker_tui.storage.database import open_database

    from sitting_fixtures import old_schema, strip_admission

    before = migrations.MIGRATIONS.index(migrations.m0004_centre_settings)
    old_schema(monkeypatch, before)
    old = build_export_room(tmp_path / "old.db", tmp_path / "papers", iqa=False)
    strip_admission(old.db, before)
    assert "centre_settings" not in old.db.table_names()
    old.db.close()
    monkeypatch.undo()
    db = open_database(tmp_path / "old.db")
    try:
        assert db.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
        assert "centre_settings" in db.table_names()
        service = Centre(db=db, papers_dir=tmp_path / "papers", centre_name="X").exports
        assert len(service.results_sheet("EXP-1").rows) == 5
    finally:
        db.close()


def test_without_a_specification_titles_fall_back_to_the_paper(xroom, tmp_path):
    service = Centre(db=xroom.db, clock=xroom.clock, papers_dir=tmp_path / "nowhere").exports
    sheet = service.results_sheet(xroom.code)
    assert sheet.qualification_title == "Qualification 9999-01" and sheet.unit_title == "Test unit"
    assert [o.title for o in sheet.outcomes] == ["Outcome 1", "Outcome 2"]


def test_a_sittings_folder_is_under_the_root_it_is_given(tmp_path):
    assert export_folder(tmp_path, "exp-1") == tmp_path / "EXP-1"
    assert export_folder(tmp_path, "a/b:c") == tmp_path / "A-B-C"


def test_the_default_folder_comes_from_the_interface_not_the_service(monkeypatch, tmp_path):
    from marker_tui.interfaces.export_location import default_export_folder

    monkeypatch.setenv("MARKER_TUI_EXPORTS", str(tmp_path))
    assert default_export_folder("exp-1") == tmp_path / "EXP-1"
    source = (Path(__file__).parents[1] / "marker_tui" / "services" / "exports.py").read_text()
    assert "os.environ" not in source and "Path.home" not in source


def test_the_service_ignores_the_centre_name_environment_variable(xroom, monkeypatch):
    monkeypatch.setenv("MARKER_TUI_CENTRE_NAME", "From the environment")
    assert Centre(db=xroom.db, clock=xroom.clock).exports.centre_name == DEFAULT_CENTRE_NAME
    assert Centre(db=xroom.db, clock=xroom.clock, centre_name="Given").exports.centre_name == "Given"
