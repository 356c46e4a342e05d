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
