"""Marker monitoring and marking identical answers as a group (issue 18.3 and 18.6)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class IdenticalAnswersMarkedAsGroup(AuditEvent):
    """A marker gave one mark to several scripts' identical answers to a question at once.

    Each script also has its own "mark given"/"mark changed" entry (its own mark version); this
    entry ties them together and says which scripts were left out and why.
    """

    action: ClassVar[Action] = Action.IDENTICAL_ANSWERS_MARKED_AS_GROUP
    code: str
    question: str
    answer: str = Field(description="The normalised answer the scripts share.")
    marks: int
    scripts: list[str] = Field(description="Script numbers marked.")
    left_out: dict[str, str] = Field(serialization_alias="left out",
                                     description="Script number: why it was not marked with the group.")


class MarkerMonitoringExported(AuditEvent):
    """The marker monitoring figures of a paper were written to a file."""

    action: ClassVar[Action] = Action.MARKER_MONITORING_EXPORTED
    paper: str
    format: str
    path: str
    markers: int
    flagged: int
