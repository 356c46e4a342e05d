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
    """A learner's locked terminal was closed: on the invigilator's word (incidents), or with the
    sitting's exit code typed on it (then also which terminal, and with what)."""

    action: ClassVar[Action] = Action.LEARNER_TERMINAL_CLOSED
    omit_empty: ClassVar[bool] = True
    terminal: str | None = None
    with_: str | None = Field(None, serialization_alias="with")
    # The details key has always been this phrase; the chain hashes it, so it stays.
    screen: str = Field(serialization_alias="learner's screen")
