"""What markers and admins do to marking: completion, feedback, the comment bank, blind marking.

(Marks themselves and claims are still written through the older door; their events follow.)
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class ScriptMarkingCompleted(AuditEvent):
    """A marker signed a fully marked script off as complete."""

    action: ClassVar[Action] = Action.SCRIPT_MARKING_COMPLETE
    script_number: str
    total: int
    available: int
    result: str
    fail_reasons: list[str]


class SittingMarkingCompleted(AuditEvent):
    """The last script of an ended sitting was completed: identities are now shown to markers."""

    action: ClassVar[Action] = Action.SITTING_MARKING_COMPLETE
    code: str
    identities_shown: bool = Field(default=True, serialization_alias="identities now shown to markers")


class ScriptFeedbackChanged(AuditEvent):
    """The overall feedback or next steps of a script changed (old and new of both)."""

    action: ClassVar[Action] = Action.SCRIPT_FEEDBACK_CHANGED
    script_number: str
    old: dict[str, Any]
    new: dict[str, Any]


class CommentBankEntryAdded(AuditEvent):
    """A reusable comment added to a question's bank."""

    action: ClassVar[Action] = Action.COMMENT_BANK_ENTRY_ADDED
    paper_id: int
    question: str
    text: str


class BlindMarkingTurnedOn(AuditEvent):
    action: ClassVar[Action] = Action.BLIND_MARKING_TURNED_ON
    code: str
    old: bool
    new: bool


class BlindMarkingTurnedOff(AuditEvent):
    action: ClassVar[Action] = Action.BLIND_MARKING_TURNED_OFF
    code: str
    old: bool
    new: bool
