"""The marking rules: what a marker may enter, and how marks become a learner's result.

The paper below is small enough to work every total by hand:

    question  outcome  max  creditable points (marks)
    1         1        3    1, 1, 2   (4 creditable: the cap matters)
    2         1        4    2, 2
    3         2        5    1, 1, 1, 1, 1
    4         2        3    1, 1, 1
    outcome 1 = 7 marks, outcome 2 = 8 marks, total 15

Pass rule: pass mark 8, outcome 2 needs at least 4, Merit from 10, Distinction from 13
(listed Distinction first, as the shipped schemes do, so order must not matter).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pydantic
import pytest

from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.marking import (
    FAIL,
    NOT_YET_MARKED,
    PASS,
    MarkRefused,
    QuestionMark,
    SchemeMismatch,
    mark_question,
    overrides_ticks,
    percent_one_decimal,
    script_result,
    suggested_mark,
)
from marker_tui.domain.paper import QuestionPaper

WHEN = datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc)

PAPER = QuestionPaper.model_validate(
    {
        "qualification": "9999-01",
        "unit": "101",
        "version": "1",
        "instructions": "Answer all questions.",
        "questions": [
            {"id": "1", "outcome": 1, "command_verb": "list", "marks": 3, "text": "List three."},
            {"id": "2", "outcome": 1, "command_verb": "explain", "marks": 4, "text": "Explain."},
            {"id": "3", "outcome": 2, "command_verb": "describe", "marks": 5, "text": "Describe."},
            {"id": "4", "outcome": 2, "command_verb": "identify", "marks": 3, "text": "Identify."},
        ],
    }
)


def _scheme(**pass_rule: object) -> MarkScheme:
    rule = {
        "pass_mark": 8,
        "outcome_minimums": [{"outcome": 2, "min_marks": 4}],
        "grade_boundaries": [
            {"name": "Distinction", "min_marks": 13},
            {"name": "Merit", "min_marks": 10},
        ],
    }
    rule.update(pass_rule)
    return MarkScheme.model_validate(
        {
            "qualification": "9999-01",
            "unit": "101",
            "paper_version": "1",
            "pass_rule": rule,
            "questions": [
                {"id": "1", "max_marks": 3,
                 "points": [{"text": "a"}, {"text": "b"}, {"text": "c", "marks": 2}]},
                {"id": "2", "max_marks": 4,
                 "points": [{"text": "a", "marks": 2}, {"text": "b", "marks": 2}]},
                {"id": "3", "max_marks": 5, "points": [{"text": t} for t in "abcde"]},
                {"id": "4", "max_marks": 3, "points": [{"text": t} for t in "abc"]},
            ],
        }
    )


SCHEME = _scheme()


def entry(qid: str):
    found = SCHEME.question(qid)
    assert found is not None
    return found


def mark(qid: str, marks: object, **kwargs: object) -> QuestionMark:
    return mark_question(entry(qid), marks, marked_by="Ana Lopes", marked_at=WHEN, **kwargs)


def marks(q1: int | None, q2: int | None, q3: int | None, q4: int | None) -> dict[str, QuestionMark]:
    given = {"1": q1, "2": q2, "3": q3, "4": q4}
    return {qid: mark(qid, m) for qid, m in given.items() if m is not None}


def result(q1: int | None, q2: int | None, q3: int | None, q4: int | None, scheme: MarkScheme = SCHEME):
    return script_result(PAPER, scheme, marks(q1, q2, q3, q4))


# --- what a marker may enter ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-1, "-1 is outside the allowed range"), (4, "4 is outside the allowed range"),
     (2.5, "2.5 is not a whole number"), ("3", '"3" is not a whole number'),
     (True, "True is not a whole number"), (3.0, "3.0 is not a whole number")],
)
def test_a_mark_outside_0_to_max_or_not_a_whole_number_is_refused_with_the_question_and_range(value, shown):
    with pytest.raises(MarkRefused) as refused:
        mark("1", value)
    message = str(refused.value)
    assert message.startswith("Question 1: ")
    assert shown in message
    assert message.endswith("enter a whole number from 0 to 3.")


@pytest.mark.parametrize("value", [0, 3])
def test_zero_and_the_maximum_are_accepted(value):
    given = mark("1", value, comment="  See the scenario again.  ")
    assert given.marks_awarded == value
    assert given.question_id == "1"
    assert given.marked_by == "Ana Lopes" and given.marked_at == WHEN
    assert given.comment == "See the scenario again."


def test_an_empty_comment_is_no_comment():
    assert mark("1", 2, comment="   ").comment is None


def test_a_mark_built_by_hand_cannot_smuggle_in_text_or_a_naive_time():
    with pytest.raises(pydantic.ValidationError):
        QuestionMark(question_id="1", marks_awarded="3", marked_by="Ana Lopes", marked_at=WHEN)
    with pytest.raises(pydantic.ValidationError):
        QuestionMark(question_id="1", marks_awarded=3, marked_by="Ana Lopes",
                     marked_at=datetime(2026, 3, 2, 14, 30))
    with pytest.raises(pydantic.ValidationError):
        QuestionMark(question_id="1", marks_awarded=3, credited_points=["1"], marked_by="Ana Lopes",
                     marked_at=WHEN)


@pytest.mark.parametrize("index", [3, -1, 99])
def test_ticking_a_point_the_scheme_does_not_have_is_refused(index):
    with pytest.raises(MarkRefused, match=r"Question 1: there is no creditable point .*points 1 to 3"):
        mark("1", 1, credited_points=[0, index])
    with pytest.raises(MarkRefused, match="no creditable point"):
        suggested_mark(entry("1"), [index])


def test_the_suggested_mark_follows_the_ticks_and_is_capped_at_the_maximum():
    q1 = entry("1")  # points worth 1, 1, 2; max 3
    assert suggested_mark(q1, []) == 0
    assert suggested_mark(q1, [0]) == 1
    assert suggested_mark(q1, [0, 2]) == 3
    assert suggested_mark(q1, [0, 1, 2]) == 3  # 4 creditable, capped at 3
    assert suggested_mark(q1, [1, 1, 1]) == 1  # a point ticked twice counts once


def test_the_marker_can_override_the_suggested_mark_and_the_ticks_are_kept():
    given = mark("2", 3, credited_points=[1, 0, 1])  # ticks suggest 4
    assert given.marks_awarded == 3
    assert given.credited_points == (0, 1)
    assert overrides_ticks(given, entry("2"))
    assert not overrides_ticks(mark("2", 4, credited_points=[0, 1]), entry("2"))


# --- totals and the result ------------------------------------------------------------


def test_totals_per_outcome_and_overall_come_from_the_marks():
    r = result(2, 3, 4, 1)
    o1, o2 = r.outcomes
    assert (o1.outcome, o1.awarded, o1.available, o1.minimum, o1.met_minimum) == (1, 5, 7, None, None)
    assert (o2.outcome, o2.awarded, o2.available, o2.minimum, o2.met_minimum) == (2, 5, 8, 4, True)
    assert (r.total, r.provisional_total, r.available) == (10, 10, 15)
    assert (r.questions_marked, r.questions_total) == (4, 4)
    assert r.percentage == 66.7  # 10 / 15 = 66.66...


def test_exactly_on_the_pass_mark_passes():
    r = result(2, 2, 3, 1)  # 8, outcome 2 has 4 = its minimum
    assert (r.total, r.status, r.passed, r.grade, r.fail_reasons) == (8, PASS, True, None, ())
    assert r.percentage == 53.3


def test_one_below_the_pass_mark_fails_and_says_why():
    r = result(2, 1, 3, 1)  # 7
    assert (r.total, r.status, r.passed) == (7, FAIL, False)
    assert r.fail_reasons == ("total 7 is below the pass mark 8",)


def test_missing_an_outcome_minimum_fails_even_with_a_merit_total_and_gets_no_grade():
    r = result(3, 4, 3, 0)  # 10 overall would be Merit, but outcome 2 has 3 of the 4 needed
    assert r.total == 10
    assert (r.status, r.grade, r.passed) == (FAIL, None, False)
    assert r.fail_reasons == ("outcome 2: 3 marks is below the minimum of 4",)
    assert r.outcome(2).met_minimum is False


def test_every_reason_for_a_fail_is_listed():
    r = result(2, 2, 1, 0)  # 5 overall, outcome 2 has 1
    assert r.fail_reasons == (
        "total 5 is below the pass mark 8",
        "outcome 2: 1 mark is below the minimum of 4",
    )


@pytest.mark.parametrize(
    ("scores", "total", "status"),
    [
        ((2, 3, 3, 1), 9, PASS),            # just below Merit (10)
        ((2, 4, 3, 1), 10, "Merit"),        # exactly on Merit
        ((3, 4, 4, 1), 12, "Merit"),        # above Merit, just below Distinction (13)
        ((3, 4, 4, 2), 13, "Distinction"),  # exactly on Distinction
        ((3, 4, 5, 3), 15, "Distinction"),  # full marks
    ],
)
def test_grade_boundaries_give_the_highest_grade_reached(scores, total, status):
    r = result(*scores)
    assert r.total == total
    assert r.status == status
    assert r.passed is True
    assert r.grade == (None if status == PASS else status)


def test_without_grade_boundaries_or_minimums_a_pass_is_just_a_pass():
    plain = _scheme(outcome_minimums=[], grade_boundaries=[])
    assert result(3, 4, 0, 1, scheme=plain).status == PASS  # outcome 2 has 1: no minimum now
    assert result(3, 4, 5, 3, scheme=plain).status == PASS


def test_not_yet_marked_until_the_last_question_has_a_mark():
    r = result(3, 4, 5, None)  # 12 so far, already above the pass mark
    assert r.status == NOT_YET_MARKED
    assert (r.passed, r.total, r.percentage, r.grade, r.fail_reasons) == (None, None, None, None, ())
    assert r.provisional_total == 12
    assert (r.questions_marked, r.questions_total, r.unmarked_questions) == (3, 4, ("4",))
    assert r.outcome(2).met_minimum is True  # 5 already reaches 4: marks only add

    low = result(1, None, 1, None)
    assert low.status == NOT_YET_MARKED and low.fail_reasons == ()  # no fail shown yet
    assert low.unmarked_questions == ("2", "4")
    assert low.outcome(2).met_minimum is None  # 1 of 4 so far, question 4 still to come

    nothing = result(None, None, None, None)
    assert (nothing.status, nothing.provisional_total, nothing.questions_marked) == (NOT_YET_MARKED, 0, 0)

    assert result(3, 4, 5, 0).status == "Merit"  # the last mark settles it


def test_a_zero_is_a_mark_not_a_missing_mark():
    r = result(0, 0, 0, 0)
    assert (r.status, r.total, r.percentage) == (FAIL, 0, 0.0)


def test_percentages_show_one_decimal_with_halves_rounded_up():
    assert percent_one_decimal(1, 16) == 6.3   # 6.25: round() would give 6.2
    assert percent_one_decimal(1, 8) == 12.5
    assert percent_one_decimal(2, 3) == 66.7
    assert percent_one_decimal(1, 3) == 33.3
    assert percent_one_decimal(27, 45) == 60.0
    assert percent_one_decimal(45, 45) == 100.0


def test_a_stored_mark_the_scheme_no_longer_allows_is_refused_not_totalled():
    too_high = QuestionMark(question_id="1", marks_awarded=5, marked_by="Ana Lopes", marked_at=WHEN)
    with pytest.raises(MarkRefused, match="Question 1: 5 is outside the allowed range"):
        script_result(PAPER, SCHEME, {"1": too_high})


def test_a_mark_for_a_question_not_on_the_paper_or_filed_under_another_is_refused():
    stray = QuestionMark(question_id="9", marks_awarded=1, marked_by="Ana Lopes", marked_at=WHEN)
    with pytest.raises(MarkRefused, match="Question 9 is not on this paper"):
        script_result(PAPER, SCHEME, {"9": stray})
    with pytest.raises(MarkRefused, match="filed under question 2"):
        script_result(PAPER, SCHEME, {"2": mark("1", 1)})


def test_a_scheme_that_does_not_fit_the_paper_gives_no_result():
    data = SCHEME.model_dump()
    data["questions"][0]["max_marks"] = 4
    with pytest.raises(SchemeMismatch, match="question 1: the mark scheme's maximum is 4"):
        script_result(PAPER, MarkScheme.model_validate(data), {})
    with pytest.raises(SchemeMismatch, match="outcome 3"):
        script_result(PAPER, _scheme(outcome_minimums=[{"outcome": 3, "min_marks": 1}]), {})
