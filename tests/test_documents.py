"""The document writers: every export is written into tmp_path and read back.

Report models are built by hand (the database-reading export service comes
later); the figures asserted below are worked out by hand from those models.
Nasty text throughout: emoji, Arabic (right to left), a tab and the control
characters NUL, BEL and ESC, which XML cannot hold.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import re
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree
from pydantic import ValidationError

from marker_tui.domain.reports import (
    AuditEntry,
    IqaRecord,
    LearnerFeedback,
    QuestionReview,
    ResultsSheet,
    ScriptDecision,
    ScriptReview,
)
from marker_tui.documents import audit as audit_writer
from marker_tui.documents import feedback as feedback_writer
from marker_tui.documents import iqa_record as iqa_writer
from marker_tui.documents import results as results_writer
from marker_tui.documents.audit import write_audit_csv
from marker_tui.documents.feedback import (
    WINDOWS_RESERVED,
    feedback_filename,
    text_blocks,
    write_feedback_docx,
)
from marker_tui.documents.iqa_record import write_iqa_csv, write_iqa_docx
from marker_tui.documents.results import write_results_csv, write_results_xlsx
from marker_tui.documents.text_cleaning import atomic_output, clean_text, csv_text

NASTY = "Good 👍 مرحبا\tend\x00\x07\x1b"
CLEANED = "Good 👍 مرحبا\tend"
RTL_NAME = "مرحبا Amal"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --------------------------------------------------------------------------------------
# Models built by hand
# --------------------------------------------------------------------------------------

QUESTIONS = [
    {"id": "1", "max_marks": 4, "outcome": 1},
    {"id": "2a", "max_marks": 2, "outcome": 1},
    {"id": "2b", "max_marks": 4, "outcome": 2},
]
OUTCOMES = [
    {"number": 1, "title": "Understand tests", "max_marks": 6},
    {"number": 2, "title": "Know how to write tests", "max_marks": 4},
]


def row(number: str, name: str, q1, q2a, q2b, result: str, **extra) -> dict:
    o1 = None if q1 is None or q2a is None else q1 + q2a
    o2 = q2b
    total = None if o1 is None or o2 is None else o1 + o2
    return {
        "candidate_number": number,
        "name": name,
        "question_marks": {"1": q1, "2a": q2a, "2b": q2b},
        "outcome_marks": {1: o1, 2: o2},
        "total": total,
        "percentage": None if total is None else round(100 * total / 10, 1),
        "result": result,
        **extra,
    }


def make_sheet(rows: list[dict] | None = None) -> ResultsSheet:
    if rows is None:
        rows = [
            row("0001", "Ann Jones", 4, 1, 3, "pass", markers=["Jo Marker"], iqa_sampled=True, iqa_decision="marking upheld"),
            row("0002", NASTY, 2, 2, 1, "fail", markers=["Jo Marker", "Al Marker"],
                fail_reasons=["total 5 is below the pass mark 6", "outcome 2: 1 mark, below the minimum 2"]),
            row("0003", "=HYPERLINK(\"http://x\")", 3, None, None, "not yet marked", markers=["Al Marker"], iqa_sampled=True),
            row("0004", RTL_NAME, 0, 0, 0, "fail", markers=["Al Marker"]),
        ]
    return ResultsSheet(
        centre_name="Glanmor Training Centre",
        qualification_number="3818-13",
        qualification_title="Level 3 Diploma in Operational Delivery",
        unit_number="304",
        unit_title="Working in operational delivery",
        sitting_code="304-2026-03-A",
        sitting_date=date(2026, 3, 2),
        questions=QUESTIONS,
        outcomes=OUTCOMES,
        rows=rows,
    )


def make_feedback(**changes) -> LearnerFeedback:
    data = {
        "centre_name": "Glanmor Training Centre",
        "qualification_number": "3818-13",
        "qualification_title": "Level 3 Diploma in Operational Delivery",
        "unit_number": "304",
        "unit_title": "Working in operational delivery",
        "sitting_date": date(2026, 3, 2),
        "candidate_number": "0002",
        "candidate_name": RTL_NAME,
        "result": "pass",
        "total": 7,
        "available": 10,
        "percentage": 70.0,
        "pass_mark": 6,
        "outcomes": [
            {"number": 1, "title": "Understand tests", "achieved": 5, "available": 6},
            {"number": 2, "title": "Know how to write tests", "achieved": 2, "available": 4},
        ],
        "questions": [
            {
                "id": "1",
                "text": "Describe a test. Include what it checks\nand when it runs.\n\n- one example\n- another",
                "criteria": ["1.1"],
                "awarded": 3,
                "available": 4,
                "comment": NASTY,
            },
            {"id": "2a", "text": "Explain why tests fail.", "criteria": ["1.2"], "awarded": 2, "available": 2, "comment": "\x00\x07\x1b"},
            {"id": "2b", "text": "Identify four features of a good test.", "criteria": ["2.1"], "awarded": 2, "available": 4,
             "comment": "مرحبا، أحسنت"},
        ],
        "criteria": [
            {"number": "1.1", "outcome": 1, "text": "Describe what a test checks", "questions": ["1"], "achieved": 3, "available": 4},
            {"number": "1.2", "outcome": 1, "questions": ["2a"], "achieved": 2, "available": 2},
            {"number": "2.1", "outcome": 2, "text": "Identify features of good tests", "questions": ["2b"], "achieved": 2, "available": 4},
        ],
        "overall_feedback": "A sound script.\n\nWork on explaining, not listing.",
        "next_steps": None,
        "marker_name": "Jo Marker",
        "marked_date": date(2026, 3, 5),
        "iqa": {"reviewer": "Sam Reviewer", "signed_on": date(2026, 3, 9), "decision": "marks adjusted"},
    }
    data.update(changes)
    return LearnerFeedback(**data)


def make_iqa(**changes) -> IqaRecord:
    data = {
        "centre_name": "Glanmor Training Centre",
        "qualification_number": "3818-13",
        "qualification_title": "Level 3 Diploma in Operational Delivery",
        "unit_number": "304",
        "unit_title": "Working in operational delivery",
        "sitting_code": "304-2026-03-A",
        "sitting_date": date(2026, 3, 2),
        "scripts_marked": 12,
        "strategy": "10% random sample, plus the first three scripts of every new marker, plus borderline totals.",
        "seed": 4172,
        "tolerance": 1,
        "sampled": [
            {"candidate_number": "0001", "markers": ["Jo Marker"], "total": 8, "reasons": ["random (seed 4172)"]},
            {"candidate_number": "0002", "candidate_name": RTL_NAME, "markers": ["Al Marker"], "total": 5,
             "reasons": ["new marker", "borderline: 5 of 10, pass mark 6"]},
            {"candidate_number": "0003", "markers": ["Al Marker", "Jo Marker"], "total": 6, "reasons": ["new marker"]},
        ],
        "excluded": [{"candidate_number": "0009", "markers": ["Sam Reviewer"], "reason": "the reviewer marked it"}],
        "coverage": [
            {"marker": "Al Marker", "marked": 5, "required": 3, "chosen": 2},
            {"marker": "Jo Marker", "marked": 6, "required": 3, "chosen": 3},
        ],
        "plan_notes": ["Al Marker's minimum of 3 cannot be met by this reviewer: another reviewer must sample 1."],
        "reviews": [
            {
                "candidate_number": "0002",
                "markers": ["Al Marker"],
                "reviewer": "Sam Reviewer",
                "reviewed_on": date(2026, 3, 9),
                "decision": "marks adjusted",
                "decision_reason": "One answer credited twice.",
                "questions": [
                    {"question_id": "1", "max_marks": 4, "marker_mark": 2},
                    {"question_id": "2a", "max_marks": 2, "marker_mark": 2, "iqa_mark": 1, "reason": NASTY},
                    {"question_id": "2b", "max_marks": 4, "marker_mark": 1, "iqa_mark": 1},
                ],
                "feedback_to_marker": "Check for double credit.",
            },
            {
                "candidate_number": "0001",
                "markers": ["Jo Marker"],
                "reviewer": "Sam Reviewer",
                "reviewed_on": date(2026, 3, 10),
                "decision": "marking upheld",
                "questions": [
                    {"question_id": "1", "max_marks": 4, "marker_mark": 4},
                    {"question_id": "2a", "max_marks": 2, "marker_mark": 1},
                    {"question_id": "2b", "max_marks": 4, "marker_mark": 3},
                ],
            },
        ],
        "agreement_overall": {"label": "All markers", "n_pairs": 6, "exact_agreement_percent": 100 * 5 / 6,
             "within_tolerance_percent": 100.0, "mean_abs_difference": 1 / 6, "max_abs_difference": 1,
             "weighted_kappa": None, "kappa_weights": "linear", "kappa_note": "needs at least 10 pairs; there are 6"},
        "agreement_by_marker": [
            {"label": "Al Marker", "n_pairs": 3, "exact_agreement_percent": 200 / 3, "within_tolerance_percent": 100.0,
             "mean_abs_difference": 1 / 3, "max_abs_difference": 1, "weighted_kappa": None,
             "kappa_weights": "linear", "kappa_note": "needs at least 10 pairs; there are 3"},
            {"label": "Jo Marker", "n_pairs": 3, "exact_agreement_percent": 100.0, "within_tolerance_percent": 100.0,
             "mean_abs_difference": 0.0, "max_abs_difference": 0, "weighted_kappa": 1.0, "kappa_weights": "linear"},
        ],
        "agreement_by_question": [
            {"label": "Q2a", "n_pairs": 2, "exact_agreement_percent": 50.0, "within_tolerance_percent": 100.0,
             "mean_abs_difference": 0.5, "max_abs_difference": 1, "weighted_kappa": 0.42, "kappa_weights": "linear"},
        ],
        "action_points": [{"text": "Standardisation session on Q2a", "owner": "Al Marker", "due": date(2026, 4, 1)}],
        "sign_off": {"reviewer": "Sam Reviewer", "role": "Lead IQA", "signed_on": date(2026, 3, 12),
                     "statement": "I confirm this sample was reviewed as planned."},
    }  # fmt: skip
    data.update(changes)
    return IqaRecord(**data)


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def make_audit() -> list[AuditEntry]:
    return [
        AuditEntry(id=3, at=T0 + timedelta(minutes=30), actor="candidate 0002", action="answer.saved",
                   sitting_code="304-2026-03-A", candidate_number="0002", script_ref="17",
                   details={"question": "2a", "text": NASTY}),
        AuditEntry(id=1, at=T0, actor="Jo Marker", action="sitting.opened", sitting_code="304-2026-03-A"),
        AuditEntry(id=2, at=T0 + timedelta(minutes=5), actor="=cmd|' /C calc'!A0", action="script.started",
                   sitting_code="304-2026-03-A", candidate_number="0002", script_ref="17", details={"n": 1}),
        AuditEntry(id=4, at=T0 + timedelta(minutes=31), actor="Iris Invigilator", action="extra time changed",
                   sitting_code="304-2026-03-A", candidate_number="0002", script_ref="17",
                   details={"old_allowed_seconds": 5400, "new_allowed_seconds": 6750,
                            "reason": "25% extra time (access arrangement)"}),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------
# Text cleaning
# --------------------------------------------------------------------------------------


def test_clean_text_removes_what_xml_cannot_hold_and_keeps_the_rest():
    assert clean_text(NASTY) == CLEANED
    assert clean_text("a\nb\r\nc\td") == "a\nb\r\nc\td"
    assert clean_text("x\ufffe\uffffy") == "xy"
    assert clean_text("lone \ud800 half \udc00") == "lone  half "
    assert clean_text("pair \ud83d\udc4d") == "pair 👍"  # an emoji split into UTF-16 halves is rejoined
    assert clean_text("שלום مرحبا 👍🏽 \u200f\u0085 é") == "שלום مرحبا 👍🏽 \u200f\u0085 é"
    text = "nothing to do"
    assert clean_text(text) is text


def test_csv_text_stops_formulas():
    assert csv_text("=1+2") == "'=1+2"
    assert csv_text("+44 1234") == "'+44 1234"
    assert csv_text("-see Q3") == "'-see Q3"
    assert csv_text("@SUM(A1)") == "'@SUM(A1)"
    assert csv_text("\x00=1") == "'=1"  # cleaned first, then guarded
    assert csv_text("Ann = Jo") == "Ann = Jo"


def test_text_blocks_reflow_question_text_but_keep_comment_lines():
    assert text_blocks("Describe a test\nin detail.\n\n- one\n- two", reflow=True) == [
        "Describe a test in detail.",
        "- one\n- two",
    ]
    assert text_blocks("line one\nline two\n  \n\nnext", reflow=False) == ["line one\nline two", "next"]
    assert text_blocks("\x00\x07  \n\t") == []
    assert text_blocks(None) == []


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


def test_results_summary_is_from_marked_scripts_only():
    summary = make_sheet().summary()
    q1, q2a, q2b = summary.questions
    # Q1 marks 4, 2, 3, 0: all four marked.
    assert (q1.label, q1.number_marked, q1.mean, q1.facility) == ("Q1", 4, 2.25, 2.25 / 4)
    # Q2a 1, 2, (unmarked), 0: three marked; the unmarked script is not a zero.
    assert (q2a.number_marked, q2a.mean, q2a.facility) == (3, 1.0, 0.5)
    assert (q2b.number_marked, q2b.mean, q2b.facility) == (3, pytest.approx(4 / 3), pytest.approx(1 / 3))
    o1, o2 = summary.outcomes
    assert (o1.label, o1.title, o1.max_marks, o1.number_marked, o1.mean, o1.facility) == (
        "Outcome 1", "Understand tests", 6, 3, 3.0, 0.5,
    )  # fmt: skip
    assert (o2.number_marked, o2.mean) == (3, pytest.approx(4 / 3))
    total = summary.total
    assert (total.max_marks, total.number_marked, total.mean, total.facility) == (
        10, 3, pytest.approx(13 / 3), pytest.approx(13 / 30),
    )  # fmt: skip


def test_summary_of_nothing_marked_is_none_not_zero():
    summary = make_sheet([row("0003", "Ann", None, None, None, "not yet marked")]).summary()
    assert all(s.number_marked == 0 and s.mean is None and s.facility is None for s in summary.questions)
    assert summary.total.mean is None


@pytest.mark.parametrize(
    "bad, message",
    [
        ({**row("9", "X", 1, 1, 1, "fail"), "total": 4, "percentage": 40.0}, "not the sum"),
        (row("9", "X", 5, 1, 1, "pass"), "more than its maximum"),
        (row("9", "X", -1, 1, 1, "fail"), "greater than or equal to 0"),
        ({**row("9", "X", 1, 1, 1, "fail"), "percentage": 33.0}, "percentage"),
        ({**row("9", "X", 1, None, 1, "fail"), "outcome_marks": {1: 1, 2: 1}}, "outcome 1"),
        ({**row("9", "X", 1, 1, 1, "fail"), "question_marks": {"1": 1, "2a": 1}}, "every question"),
        (row("9", "X", 1, 1, 1, "fail", iqa_decision="marking upheld"), "without the script being sampled"),
        ({**row("9", "X", 1, 1, 1, "fail"), "answers": {"1": "my answer"}}, "answers"),
    ],
)
def test_results_sheet_refuses_figures_that_disagree(bad, message):
    with pytest.raises(ValidationError, match=message):
        make_sheet([bad])


def test_results_sheet_refuses_outcome_maximum_that_is_not_its_questions():
    with pytest.raises(ValidationError, match="outcome 1 maximum"):
        ResultsSheet(**{**make_sheet().model_dump(), "outcomes": [{**OUTCOMES[0], "max_marks": 7}, OUTCOMES[1]]})


def test_feedback_and_iqa_models_refuse_inconsistent_figures():
    with pytest.raises(ValidationError, match="total"):
        make_feedback(total=8, percentage=80.0)
    with pytest.raises(ValidationError, match="percentage"):
        make_feedback(percentage=75.0)
    with pytest.raises(ValidationError, match="needs a reason"):
        QuestionReview(question_id="1", max_marks=4, marker_mark=2, iqa_mark=3)
    with pytest.raises(ValidationError, match="no question has a different mark"):
        ScriptReview(
            candidate_number="1", markers=["M"], reviewer="R", reviewed_on=date(2026, 3, 9),
            decision=ScriptDecision.ADJUSTED, questions=[{"question_id": "1", "max_marks": 4, "marker_mark": 2}],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="not in the sample"):
        make_iqa(sampled=[])
    assert make_feedback(next_steps="   \n").next_steps is None  # blank text is absent text


# --------------------------------------------------------------------------------------
# Results CSV
# --------------------------------------------------------------------------------------

EXPECTED_HEADERS = [
    "Candidate number", "Name", "Unit", "Sitting date", "Q1 (4)", "Q2a (2)", "Q2b (4)",
    "Outcome 1 (6)", "Outcome 2 (4)", "Total (10)", "%", "Result", "Marker(s)", "IQA sampled", "IQA decision",
    "Arrangements used", "Fail reasons",
]  # fmt: skip


def test_results_csv_reads_back(tmp_path: Path):
    path = tmp_path / "results.csv"
    write_results_csv(make_sheet(), path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM so Excel reads UTF-8
    assert b"\r\n" in raw
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == EXPECTED_HEADERS
    assert rows[1] == ["0001", "Ann Jones", "304", "2026-03-02", "4", "1", "3", "5", "3", "8", "80.0", "pass",
                       "Jo Marker", "yes", "marking upheld", "", ""]  # fmt: skip
    assert rows[2] == ["0002", CLEANED, "304", "2026-03-02", "2", "2", "1", "4", "1", "5", "50.0", "fail",
                       "Jo Marker; Al Marker", "no", "", "",
                       "total 5 is below the pass mark 6; outcome 2: 1 mark, below the minimum 2"]  # fmt: skip
    # Unmarked is "not marked", never 0; sampled but not reviewed says so; the formula is defused.
    assert rows[3] == ["0003", "'=HYPERLINK(\"http://x\")", "304", "2026-03-02", "3", "not marked", "not marked",
                       "not marked", "not marked", "not marked", "not marked", "not yet marked", "Al Marker",
                       "yes", "not yet reviewed", "", ""]  # fmt: skip
    # A real zero is a zero.
    assert rows[4] == ["0004", RTL_NAME, "304", "2026-03-02", "0", "0", "0", "0", "0", "0", "0.0", "fail",
                       "Al Marker", "no", "", "", ""]  # fmt: skip
    assert len(rows) == 5
    assert not CONTROL.search(raw.decode("utf-8-sig").replace("\t", ""))


# --------------------------------------------------------------------------------------
# Results XLSX
# --------------------------------------------------------------------------------------


def test_results_xlsx_reads_back(tmp_path: Path):
    path = tmp_path / "results.xlsx"
    write_results_xlsx(make_sheet(), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Results", "Summary"]
    ws = wb["Results"]
    assert ws.freeze_panes == "C2"  # below the header, right of the name column
    header = [c.value for c in ws[1]]
    assert header == EXPECTED_HEADERS
    assert all(c.font.b for c in ws[1])
    for i, title in enumerate(header, start=1):
        width = ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width
        assert len(title) <= width <= (102 if title == "Fail reasons" else 50), title
    assert ws.auto_filter.ref == "A1:Q5"
    assert ws.max_row == 5

    values = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert values[0][:4] == ["0001", "Ann Jones", "304", datetime(2026, 3, 2)]
    assert values[0][4:10] == [4, 1, 3, 5, 3, 8]
    assert all(type(v) is int for v in values[0][4:10])  # numbers as numbers
    pct = ws.cell(row=2, column=11)
    assert pct.value == pytest.approx(0.8) and pct.number_format == "0.0%" and pct.data_type == "n"
    assert ws.cell(row=2, column=4).number_format == "dd/mm/yyyy"
    assert values[0][11:] == ["pass", "Jo Marker", "yes", "marking upheld", None, None]
    assert values[1][16] == "total 5 is below the pass mark 6; outcome 2: 1 mark, below the minimum 2"
    assert values[1][1] == CLEANED
    assert values[1][14] is None  # not sampled: no decision
    # Unmarked: the text "not marked", never 0 or blank.
    assert values[2][4:11] == [3] + ["not marked"] * 6
    assert values[2][14] == "not yet reviewed"
    formula_cell = ws.cell(row=4, column=2)
    assert formula_cell.value == '=HYPERLINK("http://x")' and formula_cell.data_type == "s"
    # A real zero stays a number.
    assert values[3][4:10] == [0, 0, 0, 0, 0, 0] and values[3][10] == 0
    assert values[3][1] == RTL_NAME


def test_results_xlsx_summary_sheet(tmp_path: Path):
    path = tmp_path / "results.xlsx"
    write_results_xlsx(make_sheet(), path)
    ws = openpyxl.load_workbook(path)["Summary"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    facts = {r[0]: r[1] for r in rows[1:8]}
    assert facts == {
        "Centre": "Glanmor Training Centre",
        "Qualification": "3818-13 Level 3 Diploma in Operational Delivery",
        "Unit": "304 Working in operational delivery",
        "Sitting": "304-2026-03-A",
        "Sitting date": datetime(2026, 3, 2),
        "Candidates": 4,
        "Fully marked": 3,
    }
    start = next(i for i, r in enumerate(rows) if r[0] == "Question")
    assert rows[start] == ["Question", "Outcome", "Maximum", "Number marked", "Mean mark", "Facility", "Not attempted"]
    by_label = {r[0]: r for r in rows[start + 1:] if r[0]}
    assert by_label["Q1"][1:] == ["Outcome 1", 4, 4, 2.25, 0.5625, 0]
    assert by_label["Q2a"][1:] == ["Outcome 2" if False else "Outcome 1", 2, 3, 1, 0.5, 0]
    assert by_label["Q2b"][2:4] == [4, 3]
    assert by_label["Q2b"][4:] == [pytest.approx(4 / 3), pytest.approx(1 / 3), 0]
    assert by_label["Outcome 1"][1:] == ["Understand tests", 6, 3, 3, 0.5, 0]
    assert by_label["Outcome 2"][1:4] == ["Know how to write tests", 4, 3]
    assert by_label["Total"][1:4] == ["Whole paper", 10, 3]
    assert by_label["Total"][4:] == [pytest.approx(13 / 3), pytest.approx(13 / 30), 0]
    assert ws.cell(row=start + 2, column=6).number_format == "0.00"


def test_results_xlsx_prints_on_a4_one_page_wide_with_a_title_and_the_header_on_every_page(tmp_path: Path):
    long_reason = "outcome 2: 1 mark is below the minimum of 2, " * 3
    sheet = make_sheet([row("0001", "Bartholomew Fitzwilliam-Montgomery-Smythe " * 2, 1, 1, 1, "fail",
                            markers=["Jo Marker"], fail_reasons=[long_reason.strip()])])
    sheet = sheet.model_copy(update={"centre_number": "123456"})
    path = tmp_path / "results.xlsx"
    write_results_xlsx(sheet, path)
    wb = openpyxl.load_workbook(path)
    for name, orientation, last in (("Results", "landscape", "$Q$2"), ("Summary", "portrait", None)):
        ws = wb[name]
        assert ws.page_setup.orientation == orientation and int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0  # as many pages long as it needs
        title = ws.oddHeader.center.text
        assert "Glanmor Training Centre (centre 123456)" in title and "3818-13" in title
        assert "Unit 304 Working in operational delivery" in title and "Sitting 304-2026-03-A" in title
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert ws.print_area.startswith("'%s'!$A$1:" % name)
        if last:
            assert ws.print_area.endswith(last)
    results = wb["Results"]
    assert results.print_title_rows.replace("$", "") == "1:1"  # the header row on every page
    # Long text: the name wraps in its capped column; the last column is wide enough for the reason.
    assert results["B2"].alignment.wrap_text and not results["A2"].alignment.wrap_text
    assert results.column_dimensions["Q"].width >= len(long_reason.strip()) + 2 or results["Q2"].alignment.wrap_text
    summary = wb["Summary"]
    rows = [[c.value for c in r] for r in summary.iter_rows()]
    assert ["Centre number", "123456"] == rows[2][:2]
    # The note under the figures is short lines, none longer than the printed width of the table.
    notes = [r[0] for r in rows if r[0] and str(r[0]).startswith(("Mean mark and", "Scripts not marked"))]
    assert len(notes) == 2 and all(len(n) <= 108 for n in notes)
    assert summary.print_area.endswith(f"$G${len(rows)}")  # G: not attempted (issue 18.5)


def test_results_xlsx_with_nothing_marked_says_not_marked(tmp_path: Path):
    path = tmp_path / "results.xlsx"
    write_results_xlsx(make_sheet([row("0003", "Ann", None, None, None, "not yet marked")]), path)
    summary = [[c.value for c in r] for r in openpyxl.load_workbook(path)["Summary"].iter_rows()]
    q1 = next(r for r in summary if r[0] == "Q1")
    assert q1[3:] == [0, "not marked", "not marked", 0]


# --------------------------------------------------------------------------------------
# Word feedback
# --------------------------------------------------------------------------------------


def body_items(document) -> list[tuple[str, int, str]]:
    """(kind, heading level or 0, text) for each paragraph and table of the body, in order."""
    items = []
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            items.append(("table", 0, "table"))
            continue
        style = block.style.name
        level = 1 if style == "Heading 1" else 2 if style == "Heading 2" else 0
        items.append(("heading" if level else "para", level, block.text))
    return items


def assert_no_empty_sections(document) -> None:
    items = body_items(document)
    for i, (kind, level, text) in enumerate(items):
        if kind != "heading":
            continue
        assert text.strip(), "a heading with no text"
        content = False
        for kind2, level2, text2 in items[i + 1:]:
            if kind2 == "heading" and level2 <= level:
                break
            if kind2 == "table" or (kind2 == "para" and text2.strip()):
                content = True
                break
        assert content, f"heading {text!r} has nothing under it"


def xml_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.endswith(".xml")}


def test_feedback_docx_reads_back(tmp_path: Path):
    path = tmp_path / feedback_filename("0002", "304")
    write_feedback_docx(make_feedback(), path)
    document = docx.Document(str(path))
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    texts = [t for _, t in paragraphs]
    headings = [(s, t) for s, t in paragraphs if s.startswith("Heading") or s == "Title"]
    assert headings == [
        ("Title", "Assessment feedback"),
        ("Heading 1", "Your result"),
        ("Heading 1", "Marks by outcome"),
        ("Heading 1", "Assessment criteria"),
        ("Heading 1", "Feedback on each question"),
        ("Heading 2", "Question 1"),
        ("Heading 2", "Question 2a"),
        ("Heading 2", "Question 2b"),
        ("Heading 1", "Overall feedback"),  # no "Next steps": the marker gave none
        ("Heading 1", "Sign-off"),
        ("Heading 1", "How to query your result"),
        ("Heading 1", "Signatures"),
    ]
    assert "Pass: 7 of 10 marks (70.0%). The pass mark is 6." in texts
    assert not any(t.startswith("Why") for t in texts)
    assert "Describe a test. Include what it checks and when it runs." in texts  # reflowed
    assert "- one example\n- another" in texts
    assert "3 of 4 marks" in texts and "2 of 2 marks" in texts and "2 of 4 marks" in texts
    assert f"Marker's comment: {CLEANED}" in texts  # control characters gone, emoji/RTL/tab kept
    q2b = texts.index("Question 2b")
    assert texts[q2b + 4:q2b + 6] == ["Marker's comment:", "مرحبا، أحسنت"]
    # Q2a's comment was only control characters: no comment paragraph at all.
    q2a = texts.index("Question 2a")
    assert texts[q2a + 1:q2a + 4] == ["Explain why tests fail.", "Assessment criteria: 1.2", "2 of 2 marks"]
    assert texts[q2a + 4] == "Question 2b"
    # Answers are left out unless the export includes them.
    assert not any(t.startswith("Your answer") for t in texts)
    query = texts[texts.index("How to query your result") + 1]
    assert "candidate number 0002" in query and "within 10 working days" in query
    assert "A sound script." in texts and "Work on explaining, not listing." in texts
    assert_no_empty_sections(document)

    details, outcomes, criteria, sign_off, signatures = document.tables
    assert [[c.text for c in r.cells] for r in criteria.rows] == [
        ["Criterion", "What it covers", "Questions", "Marks", "Met?"],
        ["1.1", "Describe what a test checks", "1", "3 of 4", "Partly met"],
        ["1.2", "", "2a", "2 of 2", "Met"],
        ["2.1", "Identify features of good tests", "2b", "2 of 4", "Partly met"],
    ]
    assert [[c.text for c in r.cells] for r in signatures.rows] == [
        ["", "Name", "Signature", "Date"],
        ["Assessor", "Jo Marker", "", ""],
        ["Learner", RTL_NAME, "", ""],
        ["Internal quality assurer", "Sam Reviewer", "", ""],
    ]
    heights = [r._tr.find(f"{W}trPr/{W}trHeight") for r in signatures.rows[1:]]
    assert all(h is not None and int(h.get(f"{W}val")) >= 600 for h in heights)  # room to sign
    assert [[c.text for c in r.cells] for r in details.rows] == [
        ["Centre", "Glanmor Training Centre"],
        ["Qualification", "3818-13 Level 3 Diploma in Operational Delivery"],
        ["Unit", "304 Working in operational delivery"],
        ["Sitting date", "2 March 2026"],
        ["Candidate", f"{RTL_NAME} (0002)"],
    ]
    assert [[c.text for c in r.cells] for r in outcomes.rows] == [
        ["Outcome", "Marks achieved", "Marks available"],
        ["1. Understand tests", "5", "6"],
        ["2. Know how to write tests", "2", "4"],
        ["Total", "7", "10"],
    ]
    assert outcomes.style.name == "Table Grid"
    header_flags = [r._tr.find(f"{W}trPr/{W}tblHeader") is not None for r in outcomes.rows]
    assert header_flags == [True, False, False, False]
    assert [[c.text for c in r.cells] for r in sign_off.rows] == [
        ["Marked by", "Jo Marker"],
        ["Date marked", "5 March 2026"],
        ["Internal quality assurance", "Sampled and reviewed by Sam Reviewer"],
        ["Date reviewed", "9 March 2026"],
        ["IQA decision", "Marks adjusted"],
    ]


def test_feedback_docx_structure(tmp_path: Path):
    path = tmp_path / "f.docx"
    write_feedback_docx(make_feedback(), path)
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    footer = section.footer._element
    instructions = [f.get(f"{W}instr").split()[0] for f in footer.iter(f"{W}fldSimple")]
    assert instructions == ["PAGE", "NUMPAGES"]
    assert "Candidate 0002" in "".join(t.text for t in footer.iter(f"{W}t"))
    normal = document.styles["Normal"]
    assert normal.font.name == "Arial" and normal.font.size.pt == 11
    props = document.core_properties
    assert props.author == "Glanmor Training Centre" and "python-docx" not in (props.comments + props.title)
    # Right-to-left paragraphs are marked as such; left-to-right ones are not.
    bidi = {p.text: p._p.find(f"{W}pPr/{W}bidi") is not None for p in document.paragraphs if p.text}
    assert bidi["مرحبا، أحسنت"] is True  # an Arabic comment: its own right-to-left paragraph,
    assert bidi["Marker's comment:"] is False  # under the label
    assert bidi[f"Marker's comment: {CLEANED}"] is False  # English first: left to right
    cells = {c.text: c.paragraphs[0]._p.find(f"{W}pPr/{W}bidi") is not None for t in document.tables for r in t.rows for c in r.cells}
    assert cells[f"{RTL_NAME} (0002)"] is True and cells["Glanmor Training Centre"] is False
    # Every XML part parses strictly and holds no control characters.
    for name, data in xml_parts(path).items():
        etree.fromstring(data)
        assert not CONTROL.search(data.decode("utf-8")), name
    document_xml = xml_parts(path)["word/document.xml"].decode("utf-8")
    assert "👍" in document_xml and "مرحبا" in document_xml


def test_feedback_without_iqa_or_comments_has_no_empty_sections(tmp_path: Path):
    feedback = make_feedback(
        iqa=None,
        overall_feedback="\x00 \x07",
        next_steps="Revise outcome 2.",
        questions=[{**q, "comment": None} for q in make_feedback().model_dump()["questions"]],
    )
    path = tmp_path / "f.docx"
    write_feedback_docx(feedback, path)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert "Overall feedback" not in texts  # only control characters: no section
    assert "Next steps" in texts and "Revise outcome 2." in texts
    assert not any(t.startswith("Marker's comment") for t in texts)
    assert_no_empty_sections(document)
    sign_off, signatures = document.tables[-2:]
    assert [[c.text for c in r.cells] for r in sign_off.rows] == [
        ["Marked by", "Jo Marker"],
        ["Date marked", "5 March 2026"],
    ]
    assert [c.text for c in signatures.rows[3].cells] == ["Internal quality assurer", "", "", ""]  # not sampled
    assert "IQA" not in xml_parts(path)["word/document.xml"].decode("utf-8")


def test_feedback_line_breaks_and_tabs_are_word_breaks_and_tabs(tmp_path: Path):
    questions = make_feedback().model_dump()["questions"]
    questions[0]["comment"] = "Point one.\r\nPoint two.\n\n\tIndented after a blank line."
    path = tmp_path / "f.docx"
    write_feedback_docx(make_feedback(questions=questions, overall_feedback=NASTY), path)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert "Marker's comment: Point one.\nPoint two." in texts
    assert CLEANED in texts
    assert "Indented after a blank line." in texts  # a new paragraph; leading white space trimmed
    body = xml_parts(path)["word/document.xml"].decode("utf-8")
    assert "<w:br/>" in body and "<w:tab/>" in body


def test_feedback_for_a_fail_on_an_outcome_minimum_says_why(tmp_path: Path):
    feedback = make_feedback(
        result="fail",
        fail_reasons=["outcome 2: 2 marks, below the minimum 3"],
        outcomes=[
            {"number": 1, "title": "Understand tests", "achieved": 5, "available": 6},
            {"number": 2, "title": "Know how to write tests", "achieved": 2, "available": 4, "minimum": 3},
        ],
    )
    path = tmp_path / "f.docx"
    write_feedback_docx(feedback, path)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    assert "Fail: 7 of 10 marks (70.0%). The pass mark is 6." in texts
    assert "Why: outcome 2: 2 marks, below the minimum 3." in texts
    assert cells_of(table_with(document, "Outcome")) == [
        ["Outcome", "Marks achieved", "Marks available", "Minimum to pass"],
        ["1. Understand tests", "5", "6", ""],
        ["2. Know how to write tests", "2", "4", "3"],
        ["Total", "7", "10", "6"],
    ]


@pytest.mark.parametrize(
    "candidate",
    ["CON", "con", "NUL", "COM1", "LPT9", "12/34:5", "12:34/5", 'a<b>c"d|e?f*g\\h', " trailing. ", "...",
     "", "x" * 300, "👍مرحبا", "tab\there\x00", "AUX.txt", ".hidden"],
)  # fmt: skip
def test_feedback_filename_is_safe_everywhere(tmp_path: Path, candidate: str):
    name = feedback_filename(candidate, "304")
    assert name.endswith("_feedback.docx")
    assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
    assert name == name.strip(" .") and not name.startswith(".")
    assert name.split(".")[0].upper() not in WINDOWS_RESERVED
    assert len(name) <= 120
    write_feedback_docx(make_feedback(), tmp_path / name)  # and it really is a usable file name here
    assert (tmp_path / name).is_file()


def test_feedback_filenames_stay_distinct_and_readable():
    assert feedback_filename("0002", "304") == "0002_unit-304_feedback.docx"
    assert feedback_filename("12/34", "304") != feedback_filename("12:34", "304")
    assert feedback_filename("12/34", "304").startswith("12-34-")
    assert feedback_filename("x" * 300, "304") != feedback_filename("x" * 299, "304")


# --------------------------------------------------------------------------------------
# IQA record
# --------------------------------------------------------------------------------------


def cells_of(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def table_with(document, *header_start: str):
    """The one table whose first row starts with ``header_start``."""
    found = [t for t in document.tables if [c.text for c in t.rows[0].cells][: len(header_start)] == list(header_start)]
    assert len(found) == 1, (header_start, len(found))
    return found[0]


def test_iqa_docx_reads_back(tmp_path: Path):
    path = tmp_path / "iqa.docx"
    write_iqa_docx(make_iqa(), path)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs if p.text]
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "Sampling plan", "Minimum per marker", "Scripts not offered for sampling", "Reviews",
        "Candidate 0001 (marked by Jo Marker)", f"Candidate 0002 {RTL_NAME} (marked by Al Marker)",
        "Marker agreement", "All markers", "By marker", "By question", "Action points", "Sign-off", "Signatures",
    ]  # fmt: skip
    assert_no_empty_sections(document)
    assert "Random seed: 4172 (drawing the sample again with this seed gives the same scripts)." in texts
    assert "Not yet reviewed: 0003." in texts
    assert "Decision: Marks adjusted." in texts and "Decision: Marking upheld." in texts
    assert "Reason: One answer credited twice." in texts
    assert "Marks: 5 by the marker, 4 after review (of the 10 marks reviewed)." in texts
    assert "Feedback to marker: Check for double credit." in texts
    assert "I confirm this sample was reviewed as planned." in texts

    plan = cells_of(table_with(document, "Candidate", "Marker(s)", "Marker's total"))
    assert plan == [
        ["Candidate", "Marker(s)", "Marker's total", "Why chosen", "Reviewed"],
        ["0001", "Jo Marker", "8", "random (seed 4172)", "yes"],
        [f"0002 {RTL_NAME}", "Al Marker", "5", "new marker; borderline: 5 of 10, pass mark 6", "yes"],
        ["0003", "Al Marker; Jo Marker", "6", "new marker", "not yet"],
    ]
    assert cells_of(table_with(document, "Marker", "Scripts marked")) == [
        ["Marker", "Scripts marked", "Minimum", "In the sample", "Short by"],
        ["Al Marker", "5", "3", "2", "1"],
        ["Jo Marker", "6", "3", "3", "0"],
    ]
    assert cells_of(table_with(document, "Candidate", "Marker(s)", "Why not")) == [
        ["Candidate", "Marker(s)", "Why not"],
        ["0009", "Sam Reviewer", "the reviewer marked it"],
    ]
    assert "Note: Al Marker's minimum of 3 cannot be met by this reviewer: another reviewer must sample 1." in texts
    assert (
        "A pair is the marker's and the reviewer's marks for one question of one sampled script. "
        "Within tolerance means the two marks differ by at most 1 mark. Kappa uses linear weights."
    ) in texts
    review_tables = [t for t in document.tables if t.rows[0].cells[0].text == "Question" and len(t.columns) == 6]
    assert [[c.text for c in r.cells] for r in review_tables[1].rows] == [
        ["Question", "Maximum", "Marker's mark", "IQA mark", "Agreement", "Reason"],
        ["1", "4", "2", "2", "agree", ""],
        ["2a", "2", "2", "1", "different", CLEANED],
        ["2b", "4", "1", "1", "agree", ""],
    ]
    overall = cells_of(table_with(document, "Group"))
    assert overall == [
        ["Group", "Pairs", "Exact agreement", "Within tolerance", "Mean abs. difference", "Largest difference",
         "Weighted kappa"],
        ["All markers", "6", "83.3%", "100.0%", "0.17", "1", "n/a *"],
    ]  # fmt: skip
    assert "* Weighted kappa, All markers: needs at least 10 pairs; there are 6." in texts
    by_marker = cells_of(table_with(document, "Marker", "Pairs"))
    assert by_marker[1] == ["Al Marker", "3", "66.7%", "100.0%", "0.33", "1", "n/a *"]
    assert "* Weighted kappa, Al Marker: needs at least 10 pairs; there are 3." in texts
    assert by_marker[2] == ["Jo Marker", "3", "100.0%", "100.0%", "0.00", "0", "1.00"]
    by_question = cells_of(table_with(document, "Question", "Pairs"))
    assert by_question[1:] == [["Q2a", "2", "50.0%", "100.0%", "0.50", "1", "0.42"]]
    # Signature lines as on the recording forms: the IQA and every assessor in the sample.
    signatures = cells_of(document.tables[-1])
    assert signatures == [
        ["", "Name", "Signature", "Date"],
        ["Internal quality assurer", "Sam Reviewer", "", ""],
        ["Assessor", "Al Marker", "", ""],
        ["Assessor", "Jo Marker", "", ""],
    ]
    assert any("confirms that the sample above was reviewed" in t for t in texts)
    assert cells_of(table_with(document, "Action")) == [
        ["Action", "Owner", "Due"],
        ["Standardisation session on Q2a", "Al Marker", "1 April 2026"],
    ]
    assert cells_of(table_with(document, "Reviewer")) == [
        ["Reviewer", "Sam Reviewer"], ["Role", "Lead IQA"], ["Date", "12 March 2026"],
    ]  # fmt: skip
    for t in document.tables:
        if t.rows[0].cells[0].text in ("Candidate", "Question", "Marker", "Group", "Action"):
            assert t.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    footer = document.sections[0].footer._element
    assert [f.get(f"{W}instr").split()[0] for f in footer.iter(f"{W}fldSimple")] == ["PAGE", "NUMPAGES"]


@pytest.mark.parametrize(
    "tolerance, sentence",
    [
        (0, "Within tolerance means the two marks are the same (no tolerance was set)."),
        (2, "Within tolerance means the two marks differ by at most 2 marks."),
        ({"1": 1, "5": 2}, "Within tolerance means the two marks differ by at most the question's tolerance: "
                          "Q1 1 mark, Q5 2 marks; 0 for any other question."),
    ],
)  # fmt: skip
def test_iqa_tolerance_in_words(tolerance, sentence):
    assert iqa_writer.tolerance_text(make_iqa(tolerance=tolerance).tolerance) == sentence


def test_iqa_docx_before_any_review_says_so(tmp_path: Path):
    record = make_iqa(
        reviews=[], agreement_overall=None, agreement_by_marker=[], agreement_by_question=[], action_points=[],
        sign_off=None, seed=None, coverage=[], excluded=[], plan_notes=[],
    )
    path = tmp_path / "iqa.docx"
    write_iqa_docx(record, path)
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs if p.text]
    assert "No sampled script has been reviewed yet." in texts
    assert "No agreement figures yet: no reviewed marks to compare." in texts
    assert "No action points were raised." in texts
    assert "Not yet signed off." in texts
    assert not any(t.startswith("Random seed") for t in texts)
    assert_no_empty_sections(document)


def test_iqa_csv_reads_back(tmp_path: Path):
    path = tmp_path / "iqa.csv"
    write_iqa_csv(make_iqa(), path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == iqa_writer.CSV_HEADERS
    plan = [r for r in rows if r["Section"] == "plan"]
    review = [r for r in rows if r["Section"] == "review"]
    assert len(rows) == 3 + 6
    assert [(r["Candidate number"], r["Marker(s)"], r["Marker's total"], r["Why sampled"], r["Script decision"]) for r in plan] == [
        ("0001", "Jo Marker", "8", "random (seed 4172)", "marking upheld"),
        ("0002", "Al Marker", "5", "new marker; borderline: 5 of 10, pass mark 6", "marks adjusted"),
        ("0003", "Al Marker; Jo Marker", "6", "new marker", "not yet reviewed"),
    ]
    assert plan[1]["Candidate name"] == RTL_NAME
    adjusted = [r for r in review if r["Candidate number"] == "0002"]
    assert [(r["Question"], r["Maximum"], r["Marker's mark"], r["IQA mark"], r["Agreement"], r["Reason"]) for r in adjusted] == [
        ("1", "4", "2", "2", "agree", ""),
        ("2a", "2", "2", "1", "different", CLEANED),
        ("2b", "4", "1", "1", "agree", ""),
    ]
    # The script's decision, reviewer and feedback are repeated on every question row.
    assert {(r["Script decision"], r["Decision reason"], r["Reviewer"], r["Reviewed on"], r["Feedback to marker"]) for r in adjusted} == {
        ("marks adjusted", "One answer credited twice.", "Sam Reviewer", "2026-03-09", "Check for double credit.")
    }
    assert {r["Script decision"] for r in review if r["Candidate number"] == "0001"} == {"marking upheld"}


# --------------------------------------------------------------------------------------
# Audit
# --------------------------------------------------------------------------------------


def test_audit_csv_oldest_first_readable_with_raw_json_last(tmp_path: Path):
    path = tmp_path / "audit.csv"
    entries = make_audit()
    write_audit_csv(entries, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == audit_writer.CSV_HEADERS
    assert rows[0][7:12] == ["What changed", "From", "To", "Reason", "Details (raw JSON)"]
    assert rows[0][12:] == ["Hashed content", "Content digest (SHA-256)", "Previous link", "Link (SHA-256)"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
    assert rows[1] == ["1", "2026-03-02T09:00:00.000000+00:00", "Jo Marker", "sitting.opened", "304-2026-03-A", "", "",
                       "", "", "", "", "{}", "", "", "", ""]
    assert rows[2][2] == "'=cmd|' /C calc'!A0"  # formula defused
    assert rows[3][1:7] == ["2026-03-02T09:30:00.000000+00:00", "candidate 0002", "answer.saved", "304-2026-03-A", "0002", "17"]
    # The learner's answer survives exactly in the raw column: JSON escapes the control characters.
    assert json.loads(rows[3][11]) == {"question": "2a", "text": NASTY}
    assert "👍 مرحبا" in rows[3][11] and "\x00" not in rows[3][11]
    assert not CONTROL.search(rows[3][7]) and "question: 2a" in rows[3][7]
    # A change reads as what, from, to and why; seconds read as hours and minutes.
    assert rows[4][7:11] == ["allowed time", "1 h 30 m", "1 h 52 m 30 s", "25% extra time (access arrangement)"]


def test_audit_csv_same_instant_keeps_given_order_and_converts_to_utc(tmp_path: Path):
    bst = timezone(timedelta(hours=1))
    entries = [
        AuditEntry(id=7, at=T0, actor="a", action="first"),
        AuditEntry(id=8, at=T0.astimezone(bst), actor="b", action="second"),
    ]
    path = tmp_path / "audit.csv"
    write_audit_csv(entries, path)
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [(r[1], r[3]) for r in rows[1:]] == [
        ("2026-03-02T09:00:00.000000+00:00", "first"),
        ("2026-03-02T09:00:00.000000+00:00", "second"),
    ]


def test_empty_audit_is_a_header_only(tmp_path: Path):
    path = tmp_path / "audit.csv"
    write_audit_csv([], path)
    assert path.read_bytes() == b"\xef\xbb\xbf" + ",".join(audit_writer.CSV_HEADERS).encode() + b"\r\n"


# --------------------------------------------------------------------------------------
# Atomic writes and hostile text
# --------------------------------------------------------------------------------------

WRITERS = {
    "results csv": (lambda p: write_results_csv(make_sheet(), p), results_writer, "results.csv"),
    "results xlsx": (lambda p: write_results_xlsx(make_sheet(), p), results_writer, "results.xlsx"),
    "feedback docx": (lambda p: write_feedback_docx(make_feedback(), p), feedback_writer, "f.docx"),
    "iqa docx": (lambda p: write_iqa_docx(make_iqa(), p), feedback_writer, "iqa.docx"),
    "iqa csv": (lambda p: write_iqa_csv(make_iqa(), p), iqa_writer, "iqa.csv"),
    "audit csv": (lambda p: write_audit_csv(make_audit(), p), audit_writer, "audit.csv"),
}


class DiskFillsUp:
    """A stream that takes the first ``limit`` bytes, then fails like a full disk."""

    def __init__(self, stream, limit: int) -> None:  # noqa: ANN001
        self._stream, self._left = stream, limit

    def write(self, data) -> int:  # noqa: ANN001
        if len(data) > self._left:
            self._stream.write(bytes(data[: self._left]))
            self._left = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(data)
        return self._stream.write(data)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@pytest.mark.parametrize("name", list(WRITERS))
def test_a_writer_failing_midway_leaves_no_file_and_keeps_the_old_one(tmp_path: Path, monkeypatch, name: str):
    write, module, filename = WRITERS[name]
    real = module.atomic_output

    @contextlib.contextmanager
    def filling_up(path):  # noqa: ANN001
        with real(path) as stream:
            yield DiskFillsUp(stream, limit=100)

    monkeypatch.setattr(module, "atomic_output", filling_up)

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with pytest.raises(OSError, match="No space"):
        write(fresh / filename)
    assert list(fresh.iterdir()) == []  # no file, no temporary left behind

    old = tmp_path / "old"
    old.mkdir()
    (old / filename).write_bytes(b"the previous export")
    with pytest.raises(OSError, match="No space"):
        write(old / filename)
    assert [p.name for p in old.iterdir()] == [filename]
    assert (old / filename).read_bytes() == b"the previous export"


@pytest.mark.parametrize("name", list(WRITERS))
def test_writers_replace_an_existing_file_and_leave_no_temporary(tmp_path: Path, name: str):
    write, _, filename = WRITERS[name]
    (tmp_path / filename).write_bytes(b"old")
    write(tmp_path / filename)
    assert [p.name for p in tmp_path.iterdir()] == [filename]
    assert (tmp_path / filename).read_bytes() != b"old"
    mode = (tmp_path / filename).stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # an ordinary file, not a private temporary


def test_writing_into_a_missing_folder_fails_cleanly(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_results_csv(make_sheet(), tmp_path / "nope" / "results.csv")


def test_atomic_output_cleans_up_on_keyboard_interrupt(tmp_path: Path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(tmp_path / "x.bin") as stream:
            stream.write(b"partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_refuses_files_is_reported_with_the_file_asked_for_not_a_temporary_name(tmp_path: Path):
    # "/proc/nope.csv" said "No such file or directory (/proc/.nope.csv.a234666a.tmp)".
    with pytest.raises(OSError) as refused:
        with atomic_output(Path("/proc/nope.csv")) as stream:
            stream.write(b"x")
    assert refused.value.filename == "/proc/nope.csv" and ".tmp" not in str(refused.value)


def test_lone_surrogates_are_refused_in_required_text_and_cleaned_in_free_text(tmp_path: Path):
    with pytest.raises(ValidationError, match="unicode"):
        make_sheet([row("0001", "bad \ud800 half", 1, 1, 1, "fail")])
    # Plain optional text keeps the Python string as given; the writer cleans it.
    feedback = make_feedback(overall_feedback="bad \udc00 half \ud83d\udc4d")
    write_feedback_docx(feedback, tmp_path / "f.docx")
    assert "bad  half 👍" in [p.text for p in docx.Document(str(tmp_path / "f.docx")).paragraphs]


def test_hostile_characters_do_not_crash_any_writer(tmp_path: Path):
    hostile = "bad \x0b\x0c half \ufffe\uffff\x1f end"
    sheet = make_sheet([row("0001", hostile, 1, 1, 1, hostile, markers=[hostile])])
    write_results_csv(sheet, tmp_path / "r.csv")
    write_results_xlsx(sheet, tmp_path / "r.xlsx")
    feedback = make_feedback(candidate_name=hostile, overall_feedback=hostile, marker_name=hostile)
    write_feedback_docx(feedback, tmp_path / feedback_filename(hostile, hostile))
    record = make_iqa(strategy=hostile, reviews=[])
    write_iqa_docx(record, tmp_path / "i.docx")
    write_iqa_csv(record, tmp_path / "i.csv")
    # Details are free-form Python values: a lone surrogate can reach the writer there.
    details = {"text": hostile + " \ud800 \ud83d\udc4d"}
    write_audit_csv([AuditEntry(at=T0, actor=hostile, action=hostile, details=details)], tmp_path / "a.csv")
    assert openpyxl.load_workbook(tmp_path / "r.xlsx")["Results"]["B2"].value == "bad  half  end"
    assert "bad  half  end" in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    texts = [p.text for p in docx.Document(str(tmp_path / feedback_filename(hostile, hostile))).paragraphs]
    assert "bad  half  end" in texts
    with (tmp_path / "a.csv").open(encoding="utf-8-sig", newline="") as f:
        audit_row = list(csv.reader(f))[1]
    assert json.loads(audit_row[11]) == {"text": "bad \x0b\x0c half \x1f end  👍"}
    assert audit_row[7] == "text: bad half end 👍"  # in words: cleaned, spaces joined
