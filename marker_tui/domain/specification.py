"""Test specifications: the qualification, its units and their learning outcomes.

These are the awarding body's facts (from the qualification handbook): what a
unit's paper must assess, how many marks each outcome carries, and how long a
learner has. Everything here is read-only data; no I/O.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from .base import Identifier, Model, NonEmptyText


class AssessmentCriterion(Model):
    """One assessment criterion, e.g. 1.1 "describe the scope of ..."."""

    number: Identifier
    text: NonEmptyText


class LearningOutcome(Model):
    number: PositiveInt
    title: NonEmptyText
    marks: int = Field(description="The test specification's figure for this outcome: its marks, or its "
                       "number of questions where the unit's ``figures`` are questions.")
    weighting_percent: float | None = Field(
        default=None,
        description="The % weighting as the handbook states it (kept even where it disagrees "
        "with marks ÷ total; validation warns instead of correcting). None: the handbook prints no %.",
    )
    criteria: list[AssessmentCriterion] = Field(default_factory=list)

    def criterion(self, number: str) -> AssessmentCriterion | None:
        return next((c for c in self.criteria if c.number == number), None)


class Unit(Model):
    number: Identifier
    title: NonEmptyText
    title_in_unit_section: str | None = Field(
        default=None,
        description="Set only where the handbook's unit section names the unit differently "
        "from its test specification.",
    )
    level: PositiveInt
    credits: PositiveInt
    glh: PositiveInt
    time_allowance_minutes: PositiveInt
    figures: Literal["marks", "questions"] = Field(
        default="marks",
        description="What the outcomes' figures count: marks (short-answer papers) or questions "
        "(tests whose specification gives a number of questions per outcome).",
    )
    test_number: str | None = Field(
        default=None,
        description='Set only where the test has its own number, e.g. test 601 assesses unit 201.',
    )
    outcomes: list[LearningOutcome]

    @property
    def total_marks(self) -> int:
        return sum(o.marks for o in self.outcomes)

    def outcome(self, number: int) -> LearningOutcome | None:
        return next((o for o in self.outcomes if o.number == number), None)

    def all_criteria(self) -> list[AssessmentCriterion]:
        return [c for o in self.outcomes for c in o.criteria]


class UnitGroup(Model):
    """A group in the rules of combination (mandatory or optional)."""

    name: NonEmptyText
    mandatory: bool = False
    units: list[Identifier]
    min_credits: int | None = None
    max_credits: int | None = None


class RulesOfCombination(Model):
    credits_required: PositiveInt
    description: str | None = None
    groups: list[UnitGroup]


class Qualification(Model):
    number: Identifier = Field(description='City & Guilds number, e.g. "3818-13".')
    title: NonEmptyText
    level: PositiveInt
    glh: PositiveInt
    tqt: PositiveInt
    accreditation_number: str | None = None


class TestSpecification(Model):
    """The whole ``spec.yaml`` of one qualification."""

    __test__ = False  # not a pytest test class, despite the name

    qualification: Qualification
    rules_of_combination: RulesOfCombination
    units: list[Unit]

    def unit(self, number: str) -> Unit | None:
        return next((u for u in self.units if u.number == str(number)), None)
