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


class RetentionPeriodSet(AuditEvent):
    """How many years after certification a qualification's records are kept."""

    action: ClassVar[Action] = Action.RETENTION_PERIOD_SET
    qualification: str
    years: int
    was: int


class LearnerDataErased(AuditEvent):
    """A learner's personal data was erased; results stay as statistics under a pseudonym.

    Holds nothing that was erased: the pseudonym, why, which audit entries were
    overwritten (so the chain can still be checked), and how many rows changed.
    """

    action: ClassVar[Action] = Action.LEARNER_DATA_ERASED
    reason: str
    erased_entries: list[int]
    rows: dict[str, int]
    early: bool
