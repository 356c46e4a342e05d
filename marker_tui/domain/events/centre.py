"""Changes to the centre itself, as the audit log records them: staff, sign-in, papers, its name and number."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


def _alias(name: str, default: Any = ...) -> Any:
    return Field(default, serialization_alias=name)


# -- staff -----------------------------------------------------------------------------------------
class StaffAdded(AuditEvent):
    action: ClassVar[Action] = Action.STAFF_ADDED
    omit_empty: ClassVar[bool] = True
    name: str
    roles: list[str]
    first_staff_member: bool = _alias("first staff member")
    first_admin: bool | None = _alias("first admin", None)
    how: str | None = None


class StaffRolesChanged(AuditEvent):
    action: ClassVar[Action] = Action.STAFF_ROLES_CHANGED
    name: str
    old: list[str]
    new: list[str]


class StaffPinReset(AuditEvent):
    action: ClassVar[Action] = Action.STAFF_PIN_RESET
    name: str


class _WhereTyped(AuditEvent):
    """Where a PIN was typed (a terminal label) and for which command, when known."""

    omit_empty: ClassVar[bool] = True
    terminal: str | None = None
    command: str | None = None


class StaffSignedIn(_WhereTyped):
    action: ClassVar[Action] = Action.STAFF_SIGNED_IN


class WrongPinTyped(_WhereTyped):
    """A wrong PIN for a staff member (counted), or a name typed that is nobody's."""

    action: ClassVar[Action] = Action.WRONG_PIN
    wrong_pins: int | None = _alias("wrong PINs in a row", None)
    name_typed: str | None = _alias("name typed", None)
    no_such_staff_member: bool | None = _alias("no such staff member", None)


class StaffLockedOut(_WhereTyped):
    action: ClassVar[Action] = Action.STAFF_LOCKED_OUT
    wrong_pins: int = _alias("wrong PINs in a row")
    locked_until: str = _alias("locked until")


class StaffRefused(_WhereTyped):
    """A sign-in or command refused: no PIN given, locked out, or the wrong role."""

    action: ClassVar[Action] = Action.STAFF_REFUSED
    reason: str
    needs_role: list[str] | None = _alias("needs role", None)
    locked_until: str | None = _alias("locked until", None)
    name_typed: str | None = _alias("name typed", None)


# -- papers and the centre's details ---------------------------------------------------------------
class PaperLoaded(AuditEvent):
    action: ClassVar[Action] = Action.PAPER_LOADED
    paper_id: int
    qualification: str
    unit: str
    version: str
    content_hash: str
    source: str | None


class MarkSchemeLoaded(AuditEvent):
    action: ClassVar[Action] = Action.MARK_SCHEME_LOADED
    paper_id: int
    content_hash: str


class CentreDetailsChanged(AuditEvent):
    """The centre's name or number, from -> to (``changes``), and how when not by an admin's form."""

    action: ClassVar[Action] = Action.CENTRE_DETAILS_CHANGED
    omit_empty: ClassVar[bool] = True
    changes: dict[str, dict[str, str | None]]
    how: str | None = None


class CentreNameChanged(AuditEvent):
    """An admin set the centre's name on the documents (old is None the first time)."""

    action: ClassVar[Action] = Action.CENTRE_NAME_CHANGED
    old: str | None
    new: str


class CentreNumberChanged(AuditEvent):
    """An admin set the centre's awarding-body number (old is None the first time)."""

    action: ClassVar[Action] = Action.CENTRE_NUMBER_CHANGED
    old: str | None
    new: str
