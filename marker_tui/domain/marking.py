"""The rules that turn a marker's marks into a learner's result.

Pure: no database, no clock, no screen. The caller passes the paper, its mark
scheme and the marks recorded so far; everything shown to a marker, a learner or
an IQA reviewer (totals per outcome, the overall total, the percentage, pass,
fail or a grade, and why a script failed) is computed from those every time and
never stored a second time, so it cannot drift from the marks it came from.

The rules
---------
* A mark for a question is a whole number from 0 to the question's maximum.
  Anything else (``-1``, ``max + 1``, ``2.5``, ``"3"``, ``True``) is refused
  with :class:`MarkRefused`, whose message names the question and the range.
* The marker ticks creditable points; the *suggested* mark is the sum of the
  ticked points' marks, capped at the maximum. The marker may award a different
  mark (an override): the ticks record what was credited, the mark is the
  marker's judgement.
* A script is "not yet marked" until every question on the paper has a mark.
  Until then no pass or fail is shown; the marks so far add up to a
  ``provisional_total``.
* A fully marked script passes when its total reaches the pass mark (exactly on
  the mark passes) *and* every outcome with a minimum reaches that minimum.
  Failing an outcome minimum fails the script whatever its total.
* A passing script gets the highest grade boundary its total reaches (exactly
  on a boundary gets that grade). A failing script never gets a grade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator

from .base import Identifier, Model, NonEmptyText
from .markscheme import MarkScheme, QuestionMarkScheme
from .paper import QuestionPaper

#: A script's status in users' words. A grade name (e.g. "Merit") is the fourth
#: possible status: it always means a pass.
NOT_YET_MARKED = "not yet marked"
PASS = "pass"
FAIL = "fail"


class MarkRefused(ValueError):
    """A mark the rules do not allow; ``str(error)`` is fit to show the marker."""


class SchemeMismatch(ValueError):
    """The mark scheme does not fit the paper, so no result can be trusted.

    ``marker-tui check`` reports these as errors; this is the last line of
    defence if a mismatched pair reaches marking anyway.
    """


# --- one question's mark -------------------------------------------------------------


class QuestionMark(Model):
    """The mark a marker gave one question of one script.

    Build it with :func:`mark_question`, which checks it against the mark
    scheme. The model itself only refuses what is wrong for *any* question (a
    negative or non-integer mark, a naive timestamp); the range 0..max depends
    on the question, so :func:`mark_question` and :func:`script_result` check it.
    """

    question_id: Identifier
    # strict: "3" or 2.5 must never be quietly turned into a mark.
    marks_awarded: int = Field(strict=True, ge=0)
    credited_points: tuple[Annotated[int, Field(strict=True, ge=0)], ...] = Field(
        default=(),
        description="Positions (from 0) in the scheme entry's `points` of the points ticked, "
        "sorted, each once.",
    )
    comment: str | None = Field(default=None, description="Optional comment to the learner.")
    marked_by: NonEmptyText
    marked_at: AwareDatetime

    @field_validator("comment")
    @classmethod
    def _blank_comment_is_none(cls, value: str | None) -> str | None:
        # An emptied comment box means "no comment", not a comment of spaces.
        if value is None or not value.strip():
            return None
        return value.strip()


def _range_text(entry: QuestionMarkScheme) -> str:
    return f"enter a whole number from 0 to {entry.max_marks}"


def _check_marks_value(entry: QuestionMarkScheme, marks: object) -> int:
    # bool is an int in Python; a tick box value is never a mark.
    if isinstance(marks, bool) or not isinstance(marks, int):
        shown = f'"{marks}"' if isinstance(marks, str) else str(marks)
        raise MarkRefused(
            f"Question {entry.id}: {shown} is not a whole number of marks; {_range_text(entry)}."
        )
    if not 0 <= marks <= entry.max_marks:
        raise MarkRefused(
            f"Question {entry.id}: {marks} is outside the allowed range; {_range_text(entry)}."
        )
    return marks


def _check_point_indexes(entry: QuestionMarkScheme, indexes: Iterable[object]) -> tuple[int, ...]:
    """The ticked points as a sorted tuple, each once; unknown points are refused.

    Messages number points from 1, as a screen lists them; the API uses
    positions from 0, as ``entry.points`` stores them.
    """
    count = len(entry.points)
    checked: set[int] = set()
    for index in indexes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            shown = index + 1 if isinstance(index, int) and not isinstance(index, bool) else repr(index)
            raise MarkRefused(
                f"Question {entry.id}: there is no creditable point {shown}; "
                f"its mark scheme lists points 1 to {count}."
            )
        # A point is ticked or not: ticking it twice must not credit it twice.
        checked.add(index)
    return tuple(sorted(checked))


def suggested_mark(entry: QuestionMarkScheme, credited_points: Iterable[int]) -> int:
    """The mark the ticks suggest: the ticked points' marks added up, capped at the maximum.

    Each point counts once however often it is listed. An unknown point index
    raises :class:`MarkRefused`.
    """
    indexes = _check_point_indexes(entry, credited_points)
    return min(sum(entry.points[i].marks for i in indexes), entry.max_marks)


def mark_question(
    entry: QuestionMarkScheme,
    marks_awarded: object,
    *,
    credited_points: Iterable[int] = (),
    comment: str | None = None,
    marked_by: str,
    marked_at: datetime,
) -> QuestionMark:
    """Record a mark for the question ``entry`` describes, or refuse it with :class:`MarkRefused`.

    ``marks_awarded`` need not equal :func:`suggested_mark`: the marker may
    override the ticks (see :func:`overrides_ticks`).
    """
    marks = _check_marks_value(entry, marks_awarded)
    points = _check_point_indexes(entry, credited_points)
    return QuestionMark(
        question_id=entry.id,
        marks_awarded=marks,
        credited_points=points,
        comment=comment,
        marked_by=marked_by,
        marked_at=marked_at,  # pydantic refuses a naive time: instants are UTC-aware
    )


def check_question_mark(mark: QuestionMark, entry: QuestionMarkScheme) -> None:
    """Re-check a stored mark against the scheme entry (raises :class:`MarkRefused`).

    A mark read back from storage was valid when it was given; this catches a
    mark scheme edited since, before a wrong total is shown.
    """
    if mark.question_id != entry.id:
        raise MarkRefused(
            f"A mark for question {mark.question_id} was given for question {entry.id}."
        )
    _check_marks_value(entry, mark.marks_awarded)
    _check_point_indexes(entry, mark.credited_points)


def overrides_ticks(mark: QuestionMark, entry: QuestionMarkScheme) -> bool:
    """True when the marker awarded a mark other than the one the ticks suggest.

    Worth showing to an IQA reviewer: an override is a judgement the ticks
    alone do not explain.
    """
    return mark.marks_awarded != suggested_mark(entry, mark.credited_points)


# --- a script's result ---------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeTotal:
    """One learning outcome's marks on one script."""

    outcome: int
    awarded: int
    """Marks awarded so far on this outcome's questions (final once they are all marked)."""
    available: int
    minimum: int | None
    """The pass rule's minimum for this outcome, or None when it has none."""
    questions_marked: int
    questions_total: int
    met_minimum: bool | None
    """True once ``awarded`` reaches the minimum; False once every question of the
    outcome is marked and it has not; None when there is no minimum or it is not
    known yet (marks can only add, so "reached" is final early, "missed" is not)."""

    @property
    def complete(self) -> bool:
        return self.questions_marked == self.questions_total


@dataclass(frozen=True)
class ScriptResult:
    """A script's totals and result, derived from its marks (see module docstring)."""

    status: str
    """``"not yet marked"``, ``"pass"``, ``"fail"`` or a grade name (a grade implies a pass)."""
    outcomes: tuple[OutcomeTotal, ...]
    """In outcome number order."""
    provisional_total: int
    """Marks awarded so far; equals ``total`` once every question has a mark."""
    available: int
    pass_mark: int
    questions_marked: int
    questions_total: int
    unmarked_questions: tuple[str, ...]
    """Question ids without a mark, in paper order."""
    fail_reasons: tuple[str, ...]
    """Why a fully marked script failed, e.g. ``"total 20 is below the pass mark 27"``."""
    grade: str | None
    """The grade reached by a passing script, if the pass rule has grade boundaries."""

    @property
    def is_complete(self) -> bool:
        """Every question on the paper has a mark."""
        return self.questions_marked == self.questions_total

    @property
    def total(self) -> int | None:
        """The overall total; None until every question has a mark."""
        return self.provisional_total if self.is_complete else None

    @property
    def passed(self) -> bool | None:
        """True (pass or a grade), False (fail), or None while not yet marked."""
        if not self.is_complete:
            return None
        return not self.fail_reasons

    @property
    def percentage(self) -> float | None:
        """Total as a % of the marks available, one decimal (halves round up); None until marked."""
        if not self.is_complete:
            return None
        return percent_one_decimal(self.provisional_total, self.available)

    def outcome(self, number: int) -> OutcomeTotal | None:
        return next((o for o in self.outcomes if o.outcome == number), None)


def percent_one_decimal(part: int, whole: int) -> float:
    """``part`` as a % of ``whole`` to one decimal place, halves rounded up.

    Decimal, not ``round()``: 1 of 16 is 6.25 %, which a learner expects to see
    as 6.3, while ``round(6.25, 1)`` gives 6.2.
    """
    if whole <= 0:
        raise ValueError("a percentage needs a positive whole")
    exact = Decimal(part) * 100 / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _marks_word(n: int) -> str:
    return f"{n} mark" if n == 1 else f"{n} marks"


def _check_scheme_fits_paper(paper: QuestionPaper, scheme: MarkScheme) -> None:
    # Only what would make the result wrong; `marker-tui check` reports the rest.
    for question in paper.questions:
        entry = scheme.question(question.id)
        if entry is None:
            raise SchemeMismatch(f"question {question.id} of the paper has no mark scheme entry")
        if entry.max_marks != question.marks:
            raise SchemeMismatch(
                f"question {question.id}: the mark scheme's maximum is {entry.max_marks}, "
                f"the paper gives {question.marks} marks"
            )
    assessed = paper.marks_per_outcome()
    for minimum in scheme.pass_rule.outcome_minimums:
        if minimum.outcome not in assessed:
            raise SchemeMismatch(
                f"a minimum is set for outcome {minimum.outcome}, which no question assesses"
            )


def script_result(
    paper: QuestionPaper, scheme: MarkScheme, marks: Mapping[str, QuestionMark]
) -> ScriptResult:
    """Apply the mark scheme's pass rule to the marks recorded so far on one script.

    ``marks`` maps question id to that question's mark; questions without an
    entry are unmarked. A mark for a question not on the paper, or outside the
    scheme's range, raises :class:`MarkRefused`; a scheme that does not fit the
    paper raises :class:`SchemeMismatch`.
    """
    _check_scheme_fits_paper(paper, scheme)
    on_paper = {q.id for q in paper.questions}
    for key, mark in marks.items():
        if str(key) != mark.question_id:
            raise MarkRefused(f"A mark for question {mark.question_id} was filed under question {key}.")
        if mark.question_id not in on_paper:
            raise MarkRefused(f"Question {mark.question_id} is not on this paper.")
        entry = scheme.question(mark.question_id)
        assert entry is not None  # every paper question has one (checked above)
        check_question_mark(mark, entry)

    rule = scheme.pass_rule
    minimums = {m.outcome: m.min_marks for m in rule.outcome_minimums}
    outcome_numbers = sorted({q.outcome for q in paper.questions})
    outcomes: list[OutcomeTotal] = []
    for number in outcome_numbers:
        questions = [q for q in paper.questions if q.outcome == number]
        given = [marks[q.id] for q in questions if q.id in marks]
        awarded = sum(m.marks_awarded for m in given)
        minimum = minimums.get(number)
        complete = len(given) == len(questions)
        if minimum is None:
            met: bool | None = None
        elif awarded >= minimum:
            met = True
        else:
            met = False if complete else None
        outcomes.append(
            OutcomeTotal(
                outcome=number,
                awarded=awarded,
                available=sum(q.marks for q in questions),
                minimum=minimum,
                questions_marked=len(given),
                questions_total=len(questions),
                met_minimum=met,
            )
        )

    unmarked = tuple(q.id for q in paper.questions if q.id not in marks)
    provisional_total = sum(o.awarded for o in outcomes)
    fail_reasons: list[str] = []
    grade: str | None = None
    if unmarked:
        status = NOT_YET_MARKED
    else:
        if provisional_total < rule.pass_mark:
            fail_reasons.append(
                f"total {provisional_total} is below the pass mark {rule.pass_mark}"
            )
        for o in outcomes:
            if o.met_minimum is False:
                assert o.minimum is not None
                fail_reasons.append(
                    f"outcome {o.outcome}: {_marks_word(o.awarded)} is below the minimum of {o.minimum}"
                )
        if fail_reasons:
            status = FAIL
        else:
            grade = grade_for_total(scheme, provisional_total)
            status = grade if grade is not None else PASS

    return ScriptResult(
        status=status,
        outcomes=tuple(outcomes),
        provisional_total=provisional_total,
        available=paper.total_marks,
        pass_mark=rule.pass_mark,
        questions_marked=len(paper.questions) - len(unmarked),
        questions_total=len(paper.questions),
        unmarked_questions=unmarked,
        fail_reasons=tuple(fail_reasons),
        grade=grade,
    )


def grade_for_total(scheme: MarkScheme, total: int) -> str | None:
    """The highest grade boundary ``total`` reaches, or None.

    Only meaningful for a script that has passed; :func:`script_result` never
    grades a fail. Boundaries with the same minimum: the first listed wins.
    """
    reached = [b for b in scheme.pass_rule.grade_boundaries if total >= b.min_marks]
    if not reached:
        return None
    # max() keeps the first of equal keys, so ties go to the first listed.
    return max(reached, key=lambda b: b.min_marks).name


def mark_giver(name: str, role: str | None, paper_marker: str | None = None) -> str:
    """Who a current mark is from, as results and ``marks status`` both name them.

    A mark imported from paper is the paper marker's (the CSV's ``marker`` column,
    where given); an IQA adjustment is the reviewer's, marked "(IQA)".
    """
    if role == "import" and paper_marker and paper_marker.strip():
        return " ".join(paper_marker.split())
    if role == "review":  # a review of marking's changed mark (services/review_of_marking.py)
        return f"{name} (review)"
    return f"{name} (IQA)" if role == "iqa" else name


def markers_of(givers: Iterable[str]) -> list[str]:
    """Everyone whose marks stand on a script, each once, in alphabetical order."""
    return sorted(set(givers), key=str.casefold)
