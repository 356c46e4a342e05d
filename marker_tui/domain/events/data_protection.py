"""What the centre does with a learner's personal data as UK GDPR asks (subject access, erasure)."""

from __future__ import annotations

from typing import ClassVar

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class SubjectAccessExported(AuditEvent):
    """Everything held about one learner was written out for them (a subject access request)."""

    action: ClassVar[Action] = Action.SUBJECT_ACCESS_EXPORTED
    files: list[str]
    #: How many rows of each table went into the export (what was disclosed, not the data itself).
    rows: dict[str, int]


class EqaSamplePackExported(AuditEvent):
    """The scripts an external quality assurer will sample, with everything they need, went out."""

    action: ClassVar[Action] = Action.EQA_SAMPLE_PACK_EXPORTED
    folder: str
    scripts: list[str]
    names_included: bool
    files: int
    proposed: bool


class AttendanceRegisterExported(AuditEvent):
    """The sitting's attendance register and seating plan went out (Word and CSV)."""

    action: ClassVar[Action] = Action.ATTENDANCE_REGISTER_EXPORTED
    files: list[str]
    present: int
    late: int
    absent: int
