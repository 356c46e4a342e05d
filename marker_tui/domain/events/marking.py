"""What markers and admins do to marking: marks, claims, completion, feedback, the comment bank,
blind marking.

A claim taken or let go is recorded (who held which script, when); a claim kept alive by a
marker's activity is not (it is the unit of work's named housekeeping, "claim refresh").
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


class _MarkRecorded(AuditEvent):
    """A mark saved: the old and new value (None for no mark yet), why, and how it was recorded."""

    script_number: str
    question: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    reason: str | None
    role: str
    from_file: str | None = Field(default=None, serialization_alias="from file")
    paper_marker: str | None = Field(default=None, serialization_alias="paper marker")

    def details(self) -> dict[str, Any]:
        # "old" and "reason" are kept even when None; the file and paper marker only when given.
        out = super().details()
        for key in ("from file", "paper marker"):
            if not out.get(key):
                out.pop(key, None)
        return out


class MarkGiven(_MarkRecorded):
    action: ClassVar[Action] = Action.MARK_GIVEN


class MarkChanged(_MarkRecorded):
    action: ClassVar[Action] = Action.MARK_CHANGED


class MarkAdjustedByIqa(_MarkRecorded):
    action: ClassVar[Action] = Action.MARK_ADJUSTED_BY_IQA


class MarkImported(_MarkRecorded):
    action: ClassVar[Action] = Action.MARK_IMPORTED


class LapsedMarkingClaimTakenOver(AuditEvent):
    """A marker opened a script whose claim by someone else had lapsed."""

    action: ClassVar[Action] = Action.LAPSED_MARKING_CLAIM_TAKEN_OVER
    script_number: str
    previous_holder: str = Field(serialization_alias="previous holder")
    lapsed_at: str = Field(serialization_alias="lapsed at")


class MarkingClaimTaken(AuditEvent):
    """A marker began holding a script (nobody held it, or their own claim had lapsed)."""

    action: ClassVar[Action] = Action.MARKING_CLAIM_TAKEN
    script_number: str
    lapses_at: str = Field(serialization_alias="lapses at")


class MarkingClaimReleased(AuditEvent):
    """A marker let go of a script they held, before their claim lapsed."""

    action: ClassVar[Action] = Action.MARKING_CLAIM_RELEASED
    script_number: str
