"""What an invigilator writes down during a sitting."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class IncidentNoted(AuditEvent):
    """An incident in the room, or about one candidate, in the invigilator's words."""

    action: ClassVar[Action] = Action.INCIDENT
    note: str


class LearnerTerminalClosed(AuditEvent):
    """An invigilator's PIN closed a learner's locked terminal."""

    action: ClassVar[Action] = Action.LEARNER_TERMINAL_CLOSED
    # The details key has always been this phrase; the chain hashes it, so it stays.
    screen: str = Field(serialization_alias="learner's screen")
