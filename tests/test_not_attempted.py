"""'Not attempted' is not zero (issue 18.5): a blank answer is shown as not attempted, a worthless one as 0.

The export tests' sitting, with candidate 1003 leaving question 2b blank (spaces only) and marked
2 + 3 + 0; 1001's question 1 is a written answer given 0 with a reason code.
"""

from __future__ import annotations

from pathlib import Path

import docx
import openpyxl
import pytest

from marker_tui.domain.not_attempted import ZERO_REASONS, is_not_attempted, shown_mark
from marker_tui.services.marking import MarkingError
import test_export_service as base
from test_export_service import ADMIN, ANA, read_csv


@pytest.fixture
def room(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(base.ANSWERS, "1003", {"1": "Fire; noise", "2a": "Isolate and prove dead", "2b": "   "})
    built = base.build_export_room(tmp_path / "marker.db", tmp_path / "papers")
    s3 = built.script("1003")
    for question, value in (("1", 2), ("2a", 3), ("2b", 0)):
        built.marking.save_mark(s3, question, value, by=ANA, expected_version=0)
    built.marking.complete(s3, by=ANA)
    yield built
    built.db.close()


def test_the_rule():
    assert is_not_attempted("") and is_not_attempted("  \n ") and is_not_attempted(None)
    assert not is_not_attempted("no idea")
    assert shown_mark("", 0) == "not attempted" and shown_mark("wrong", 0) == 0 and shown_mark("", None) == "not attempted"


def test_results_and_facility_figures_tell_not_attempted_from_zero(room, tmp_path):
    csv_path = tmp_path / "results.csv"
    room.exports.export_results(room.code, csv_path, by=ADMIN, allow_incomplete=True)
    rows = read_csv(csv_path)
    by_number = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_number["1003"]["Q2b (5)"] == "not attempted"
    assert by_number["1003"]["Total (10)"] == "5"  # counts 0 towards the total
    xlsx = tmp_path / "results.xlsx"
    room.exports.export_results(room.code, xlsx, by=ADMIN, allow_incomplete=True)
    wb = openpyxl.load_workbook(xlsx)
    results = [[c.value for c in r] for r in wb["Results"].iter_rows()]
    head = results[0]
    row = next(r for r in results if r[0] == "1003")
    assert row[head.index("Q2b (5)")] == "not attempted" and row[head.index("Q1 (2)")] == 2
    summary = [[c.value for c in r] for r in wb["Summary"].iter_rows()]
    header = next(r for r in summary if r[0] == "Question")
    q2b = next(r for r in summary if r[0] == "Q2b")
    q1 = next(r for r in summary if r[0] == "Q1")
    assert q2b[header.index("Not attempted")] == 1 and q1[header.index("Not attempted")] == 0


def test_the_feedback_document_says_not_attempted(room, tmp_path):
    room.exports.export_feedback(room.code, tmp_path / "fb", by=ADMIN, candidate="1003", allow_incomplete=True)
    [path] = list((tmp_path / "fb").rglob("*.docx"))
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "Not attempted" in text
    assert "0 of 5 marks" not in text


def test_a_written_answer_given_zero_takes_a_reason_code(room):
    m = room.marking
    s4 = room.script("1004")
    saved = m.save_mark(s4, "2a", 0, by=ANA, expected_version=0, zero_reason=ZERO_REASONS[1])
    assert saved.mark.reason_code == "irrelevant to the question"
    assert m.history(s4, "2a")[-1].reason_code == "irrelevant to the question"
    with pytest.raises(MarkingError, match="is not a reason for 0; choose one of"):
        m.save_mark(s4, "2b", 0, by=ANA, expected_version=0, zero_reason="lazy")
    with pytest.raises(MarkingError, match="goes with a mark of 0"):
        m.save_mark(s4, "2b", 2, by=ANA, expected_version=0, zero_reason=ZERO_REASONS[0])


async def test_the_marker_gives_a_reason_for_zero_with_z(tmp_path):
    from test_marking_screen import app_for, build_marking_room, fix_script_numbers, open_first_script, text_of, until

    m = build_marking_room(tmp_path / "marker.db")
    fix_script_numbers(m)
    try:
        app = app_for(m)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_first_script(pilot)
            await pilot.press("z")
            await until(pilot, lambda: "save a mark of 0 first" in text_of(app, "#message"))
            await pilot.press("0", "ctrl+s")
            await until(pilot, lambda: "1" in screen.script.marks)
            await pilot.press("z")
            await until(pilot, lambda: "because: no creditable point" in text_of(app, "#message"))
            await pilot.press("z")
            await until(pilot, lambda: "because: irrelevant to the question" in text_of(app, "#message"))
        row = m.db.execute("SELECT marks_awarded, reason_code FROM marks WHERE script_id = ? AND question_id = '1'",
                           [m.script("1001")]).fetchone()
        assert tuple(row) == (0, "irrelevant to the question")
    finally:
        m.room.db.close()


def test_the_iqa_record_tells_not_attempted_from_zero(room, tmp_path):
    iqa, s3 = room.iqa, room.script("1003")
    iqa.plans.add_to_plan(room.code, room.script_number("1003"), by=base.IVY, reason="a blank answer")
    for q in ("1", "2a", "2b"):
        iqa.reviews.record_question(s3, q, reviewer=base.IVY, agree=True)
    iqa.reviews.decide(s3, reviewer=base.IVY, decision="marking upheld", feedback="Fair", confirm=True)
    out = tmp_path / "iqa.csv"
    room.exports.export_iqa(room.code, out, by=base.IVY, allow_incomplete=True)
    rows = read_csv(out)
    head = rows[0]
    mine = {r[head.index("Question")]: r for r in rows[1:] if r[0] == "review" and r[3] == "1003"}
    assert mine["2b"][head.index("Marker's mark")] == "not attempted"
    assert mine["1"][head.index("Marker's mark")] == "2"


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
async def test_the_not_attempted_label_is_shown_whole_on_the_marking_screen(tmp_path, monkeypatch, size):
    import marking_fixtures
    from test_marking_screen import app_for, build_marking_room, open_first_script

    for answers in marking_fixtures.ANSWERS.values():  # whichever script opens first
        monkeypatch.setitem(answers, "1", "")
    m = build_marking_room(tmp_path / "blank.db")
    try:
        app = app_for(m)
        async with app.run_test(size=size) as pilot:
            screen = await open_first_script(pilot)
            await pilot.pause()
            assert screen.question_id == "1"
            label = screen.query_one("#answer-label")
            # It was one row high, so "(0, shown as not attempted)" was cut off in a narrow pane.
            shown = " ".join(line.text.strip() for line in label.render_lines(label.region.reset_offset))
            assert "Not attempted: the learner wrote nothing (0, shown as not attempted)" in " ".join(shown.split())
    finally:
        m.room.db.close()
