"""Question papers: what a learner sees and answers."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from .base import Identifier, Model, NonEmptyText


DEFAULT_MAX_ANSWER_CHARACTERS = 30_000
"""A generous bound on one answer (3,000 words is ~18,000 characters); a paper may set its own."""


class Question(Model):
    id: Identifier = Field(description='Shown to the learner: "1", "2a", "2b"...')
    outcome: PositiveInt = Field(description="The learning outcome this question assesses.")
    criteria: list[Identifier] = Field(
        default_factory=list, description='Assessment criteria covered, e.g. ["1.1", "1.2"].'
    )
    command_verb: NonEmptyText = Field(description="describe, explain, list, identify...")
    marks: int
    context: str | None = Field(
        default=None, description="Optional scenario shown above the question text."
    )
    text: NonEmptyText
    max_answer_characters: PositiveInt | None = Field(
        default=None, le=200_000,
        description="Longest answer a learner may type; defaults to the paper's, else 30,000.")

    def answer_limit(self, paper_default: int | None = None) -> int:
        return self.max_answer_characters or paper_default or DEFAULT_MAX_ANSWER_CHARACTERS


class QuestionPaper(Model):
    qualification: Identifier
    unit: Identifier
    version: Identifier
    title: str | None = Field(default=None, description="Defaults to the unit's title.")
    time_allowance_minutes: PositiveInt | None = Field(
        default=None, description="Defaults to the specification's time allowance."
    )
    instructions: NonEmptyText
    max_answer_characters: PositiveInt | None = Field(
        default=None, le=200_000,
        description="Longest answer to any question of this paper (a question may set its own); default 30,000.")
    questions: list[Question]

    def answer_limit(self, question_id: str) -> int:
        """The most characters a learner may save for this question (README: Question paper)."""
        question = self.question(question_id)
        if question is None:
            return self.max_answer_characters or DEFAULT_MAX_ANSWER_CHARACTERS
        return question.answer_limit(self.max_answer_characters)

    @property
    def total_marks(self) -> int:
        return sum(q.marks for q in self.questions)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == str(question_id)), None)

    def marks_per_outcome(self) -> dict[int, int]:
        totals: dict[int, int] = {}
        for q in self.questions:
            totals[q.outcome] = totals.get(q.outcome, 0) + q.marks
        return totals
