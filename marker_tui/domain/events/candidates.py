"""What happens to the candidates list (added by hand or from a class list, changed)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class CandidateAdded(AuditEvent):
    """A learner added to the candidates list (``from file``: the class list it came from)."""

    action: ClassVar[Action] = Action.CANDIDATE_ADDED
    omit_empty: ClassVar[bool] = True
    # The details have always repeated the number beside the entry's own column.
    number: str = Field(serialization_alias="candidate_number")
    name: str
    extra_time_percent: int
    access_arrangements: str
    #: The list with its evidence (kind, detail, evidence, approved_by, approved_on).
    arrangements: list[dict[str, str]] = []
    from_file: str | None = Field(default=None, serialization_alias="from file")


class CandidateChanged(AuditEvent):
    """A candidate's details changed: ``changes`` is {column: {"old": ..., "new": ...}}."""

    action: ClassVar[Action] = Action.CANDIDATE_CHANGED
    omit_empty: ClassVar[bool] = True
    changes: dict[str, dict[str, Any]]
    from_file: str | None = Field(default=None, serialization_alias="from file")


class EnrolmentExtraTimeChanged(AuditEvent):
    """An unstarted script's extra time followed its candidate's new extra time."""

    action: ClassVar[Action] = Action.ENROLMENT_EXTRA_TIME_CHANGED
    old: int
    new: int


class EnrolmentArrangementsChanged(AuditEvent):
    """An unstarted script's copy of the arrangements followed its candidate's new list (written form)."""

    action: ClassVar[Action] = Action.ENROLMENT_ARRANGEMENTS_CHANGED
    old: str
    new: str


class ExtraTimeAboveCapGranted(AuditEvent):
    """An administrator recorded extra time above the centre's cap, with their written reason."""

    action: ClassVar[Action] = Action.EXTRA_TIME_ABOVE_CAP_GRANTED
    percent: int
    cap: int
    reason: str


class ExtraTimeCapSet(AuditEvent):
    """An administrator set the centre's cap on extra time (above it, only an administrator may grant)."""

    action: ClassVar[Action] = Action.EXTRA_TIME_CAP_SET
    old: int
    new: int
