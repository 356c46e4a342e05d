"""What an internal quality assurer (and a blind second marker) did, as it goes into the audit log.

Field names are the ``details`` keys entries have always had; a key with spaces
or an apostrophe is a field with that serialization alias (the chain hashes the
keys, and exports read them, so they never change).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class SamplingPlanDrawn(AuditEvent):
    """A sampling plan drawn (or drawn again, superseding the current one)."""

    action: ClassVar[Action] = Action.IQA_SAMPLING_PLAN_DRAWN
    plan: int
    scope: str
    reviewer: str
    strategy: str
    seed: int
    seed_source: str = Field(serialization_alias="seed source")
    scripts: list[str]
    carried_from_the_old_plan: list[str] = Field(serialization_alias="carried from the old plan")
    excluded: dict[str, str]
    notes: list[str]
    supersedes: int | None
    reason: str | None


class ScriptAddedToPlan(AuditEvent):
    action: ClassVar[Action] = Action.IQA_SCRIPT_ADDED_TO_PLAN
    plan: int
    script: str
    reason: str


class PlanSignedOff(AuditEvent):
    action: ClassVar[Action] = Action.IQA_PLAN_SIGNED_OFF
    plan: int
    scope: str
    statement: str | None
    decisions: dict[str, str | None]


class ActionPointAdded(AuditEvent):
    """An action point for the whole sample."""

    action: ClassVar[Action] = Action.IQA_ACTION_POINT_ADDED
    plan: int
    text: str
    owner: str | None
    due: str | None


class ReviewStarted(AuditEvent):
    """A reviewer opened round 1 of a review, or a new round after referring the script back."""

    action: ClassVar[Action] = Action.IQA_REVIEW_STARTED
    omit_empty: ClassVar[bool] = True  # round 1 entries never had "after"
    script_number: str
    plan: int
    round: int
    after: str | None = None


class QuestionReviewed(AuditEvent):
    action: ClassVar[Action] = Action.IQA_QUESTION_REVIEWED
    script_number: str
    question: str
    markers_mark: int = Field(serialization_alias="marker's mark")
    marked_by: str | None = Field(serialization_alias="marked by")
    agree: bool
    reviewers_mark: int | None = Field(serialization_alias="reviewer's mark")
    reason: str | None
    round: int


class DecisionWithdrawn(AuditEvent):
    """A decision waiting for confirmation, withdrawn because a question was judged again."""

    action: ClassVar[Action] = Action.IQA_DECISION_WITHDRAWN
    script_number: str
    decision: str | None
    because: str


class DecisionRecorded(AuditEvent):
    action: ClassVar[Action] = Action.IQA_DECISION_RECORDED
    script_number: str
    decision: str
    reason: str | None
    feedback_to_marker: str | None = Field(serialization_alias="feedback to marker")
    action_points: list[str] = Field(serialization_alias="action points")
    changes_on_confirmation: list[dict[str, Any]] = Field(serialization_alias="changes on confirmation")
    round: int


class DecisionConfirmed(AuditEvent):
    """A decision confirmed: "marks adjusted" changes were applied in the same transaction."""

    action: ClassVar[Action] = Action.IQA_DECISION_CONFIRMED
    script_number: str
    decision: str
    changes: list[dict[str, Any]]
    total_before: int | None = Field(serialization_alias="total before")
    total_after: int | None = Field(serialization_alias="total after")
    result_after: str = Field(serialization_alias="result after")
    feedback_to_marker: str | None = Field(serialization_alias="feedback to marker")
    round: int
    questions: dict[str, dict[str, Any]]


class ToleranceSet(AuditEvent):
    action: ClassVar[Action] = Action.IQA_TOLERANCE_SET
    paper_version: str = Field(serialization_alias="paper version")
    question: str
    old: int
    new: int


class SecondMarkerAssigned(AuditEvent):
    action: ClassVar[Action] = Action.IQA_SECOND_MARKER_ASSIGNED
    script_number: str
    second_marker: str = Field(serialization_alias="second marker")
    blind: bool = True


class SecondMarksSaved(AuditEvent):
    """Blind second marks saved (changeable until the second marking is complete)."""

    action: ClassVar[Action] = Action.IQA_SECOND_MARKS_SAVED
    script_number: str
    marks: dict[str, int]


class BlindSecondMarkingCompleted(AuditEvent):
    action: ClassVar[Action] = Action.IQA_BLIND_SECOND_MARKING_COMPLETE
    script_number: str
    marks: dict[str, int]
