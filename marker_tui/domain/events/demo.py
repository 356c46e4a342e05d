"""The demo centre's own entry (its other entries are the real actions it imitates)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


class DemoCentreBuilt(AuditEvent):
    """The database is the demonstration centre: its PINs and codes are public."""

    action: ClassVar[Action] = Action.DEMO_CENTRE_BUILT
    note: str
    open_sitting: str = Field(serialization_alias="open sitting")
    sat_sitting: str = Field(serialization_alias="sat sitting")
