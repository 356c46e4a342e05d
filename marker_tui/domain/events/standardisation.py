"""Standardisation and control scripts (issue 18.1, 18.2).

Control-script entries carry no ``sitting_id``: a sitting's audit-trail export must not show which
scripts in a marker's queue were controls (the lead assessor reads them on their own screen).
"""

from __future__ import annotations

from typing import ClassVar

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class StandardisationScriptChosen(AuditEvent):
    action: ClassVar[Action] = Action.STANDARDISATION_SCRIPT_CHOSEN
    paper: str
    kind: str
    script_number: str
    from_sitting: str


class DefinitiveMarksRecorded(AuditEvent):
    action: ClassVar[Action] = Action.DEFINITIVE_MARKS_RECORDED
    paper: str
    kind: str
    script_number: str
    marks: dict[str, int]
    total: int


class StandardisationScriptMarked(AuditEvent):
    """A marker marked a practice or qualification script (their marks are not the learner's)."""

    action: ClassVar[Action] = Action.STANDARDISATION_SCRIPT_MARKED
    paper: str
    kind: str
    script_number: str
    marker: str
    given_total: int
    definitive_total: int
    within_tolerance: bool
    summary: str


class MarkerQualified(AuditEvent):
    action: ClassVar[Action] = Action.MARKER_QUALIFIED
    paper: str
    marker: str
    passes_in_a_row: int


class MarkerApprovedByLeadAssessor(AuditEvent):
    action: ClassVar[Action] = Action.MARKER_APPROVED_BY_LEAD_ASSESSOR
    paper: str
    marker: str
    reason: str


class ControlScriptGiven(AuditEvent):
    action: ClassVar[Action] = Action.CONTROL_SCRIPT_GIVEN
    paper: str
    sitting: str
    marker: str
    script_number: str
    control_of: str


class ControlScriptMarkSaved(AuditEvent):
    """One question of a control script marked (kept like a live mark, so a dead terminal loses nothing)."""

    action: ClassVar[Action] = Action.CONTROL_SCRIPT_MARK_SAVED
    sitting: str
    marker: str
    script_number: str
    question: str
    marks: int


class ControlScriptMarked(AuditEvent):
    action: ClassVar[Action] = Action.CONTROL_SCRIPT_MARKED
    paper: str
    sitting: str
    marker: str
    script_number: str
    given_total: int
    definitive_total: int
    within_tolerance: bool
    summary: str


class MarkerSuspended(AuditEvent):
    action: ClassVar[Action] = Action.MARKER_SUSPENDED
    paper: str
    marker: str
    reason: str
    claims_released: list[str]


class MarkerReinstated(AuditEvent):
    action: ClassVar[Action] = Action.MARKER_REINSTATED
    paper: str
    marker: str
    reason: str
