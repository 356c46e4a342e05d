"""Reviews of marking (learners' queries and appeals): opened, decided per question, completed."""

from __future__ import annotations

from typing import Any, ClassVar

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class ReviewOfMarkingOpened(AuditEvent):
    action: ClassVar[Action] = Action.REVIEW_OF_MARKING_OPENED
    review: int
    script_number: str
    reason: str
    deadline: str
    reviewer: str


class ReviewOfMarkingRefused(AuditEvent):
    """A reviewer refused (not independent, results not shared, ...): who asked is the entry's actor."""

    action: ClassVar[Action] = Action.REVIEW_OF_MARKING_REFUSED
    script_number: str
    reviewer: str | None
    why: str


class ReviewQuestionDecided(AuditEvent):
    action: ClassVar[Action] = Action.REVIEW_OF_MARKING_QUESTION_DECIDED
    review: int
    question: str
    decision: str
    original_mark: int
    new_mark: int | None
    reason: str


class MarkChangedByReview(AuditEvent):
    """The new mark version a review wrote; the original stays in the mark's history."""

    action: ClassVar[Action] = Action.MARK_CHANGED_BY_REVIEW
    review: int
    script_number: str
    question: str
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str


class ReviewOfMarkingCompleted(AuditEvent):
    action: ClassVar[Action] = Action.REVIEW_OF_MARKING_COMPLETED
    review: int
    script_number: str
    outcome: str
    total_before: int
    total_after: int
    result_before: str
    result_after: str
    changed_questions: list[str]


class ReviewLetterExported(AuditEvent):
    action: ClassVar[Action] = Action.REVIEW_LETTER_EXPORTED
    review: int
    path: str
