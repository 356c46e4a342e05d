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


class MarkScheme(Model):
    qualification: Identifier
    unit: Identifier
    paper_version: Identifier
    pass_rule: PassRule
    questions: list[QuestionMarkScheme]

    def question(self, question_id: str) -> QuestionMarkScheme | None:
        return next((q for q in self.questions if q.id == str(question_id)), None)
