"""Supervised rest breaks: asked for, begun, ended, declined."""

from __future__ import annotations

from typing import ClassVar

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class RestBreakAskedFor(AuditEvent):
    action: ClassVar[Action] = Action.REST_BREAK_ASKED_FOR


class RestBreakStarted(AuditEvent):
    action: ClassVar[Action] = Action.REST_BREAK_STARTED
    #: Whether the learner asked for it (else the invigilator began it).
    asked: bool
    started_at: str


class RestBreakEnded(AuditEvent):
    action: ClassVar[Action] = Action.REST_BREAK_ENDED
    started_at: str
    ended_at: str
    #: Exactly the time given back to the candidate.
    break_seconds: int


class RestBreakDeclined(AuditEvent):
    action: ClassVar[Action] = Action.REST_BREAK_DECLINED
    reason: str
