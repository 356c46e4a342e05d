"""Mark schemes: what a marker may credit, and how a total becomes a result."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from .base import Identifier, Model, NonEmptyText


class CreditablePoint(Model):
    """One point of indicative content a marker can tick."""

    text: NonEmptyText
    marks: int = 1
    alternatives: list[str] = Field(
        default_factory=list, description="Other wordings that earn the same credit."
    )


class QuestionMarkScheme(Model):
    id: Identifier
    max_marks: int
    points: list[CreditablePoint] = Field(min_length=1)
    guidance: str | None = None
    do_not_credit: list[str] = Field(default_factory=list)

    @property
    def creditable_total(self) -> int:
        return sum(p.marks for p in self.points)


class OutcomeMinimum(Model):
    outcome: PositiveInt
    min_marks: int


class GradeBoundary(Model):
    name: NonEmptyText
    min_marks: int


class PassRule(Model):
    pass_mark: int = Field(description="Lowest total that passes.")
    outcome_minimums: list[OutcomeMinimum] = Field(
        default_factory=list, description="Optional: a learner must also reach these per outcome."
    )
    grade_boundaries: list[GradeBoundary] = Field(
        default_factory=list,
        description="Optional named grades above the pass mark, e.g. Merit, Distinction.",
    )


class Tolerance(Model):
    """How far a marker's marks may sit from the definitive marks of a standardisation or control
    script and still agree (both limits apply)."""

    # Defaults: one mark either way on a question is an honest difference of judgement on a short
    # answer; two on the whole script still leaves the result the same for all but borderline
    # scripts, while a marker who is consistently out by a mark on several questions is caught.
    per_question: int = Field(1, ge=0, description="Most marks any one question may differ by.")
    total: int = Field(2, ge=0, description="Most marks the script's total may differ by.")


class ControlScripts(Model):
    """Control (seed) scripts during live marking."""

    # One in ten checks a marker often enough to catch drift within a day's marking without
    # doubling their work; two failures in a row is a pattern, one could be a slip.
    one_in: int = Field(10, ge=2, le=100, description="About one script in this many is a control script.")
    suspend_after: int = Field(2, ge=1, le=10, description="Control scripts out of tolerance in a row that "
                                                           "suspend a marker from live marking of the paper.")


class MarkScheme(Model):
    qualification: Identifier
    unit: Identifier
    paper_version: Identifier
    pass_rule: PassRule
    questions: list[QuestionMarkScheme]
    #: Optional (left out: the defaults of :class:`Tolerance` and :class:`ControlScripts`).
    tolerance: Tolerance | None = None
    control_scripts: ControlScripts | None = None

    def question(self, question_id: str) -> QuestionMarkScheme | None:
        return next((q for q in self.questions if q.id == str(question_id)), None)
