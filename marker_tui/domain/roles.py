"""Who may do what: the one permission table.

Services ask for a :class:`Permission`, not for role names, so "who may run the
room" or "who may review marking" is decided here once, and the menus, the
sign-in screens and the services cannot disagree about it.
"""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """A staff role, in the order people see them listed."""

    INVIGILATOR = "invigilator"
    MARKER = "marker"
    IQA = "iqa"
    ADMIN = "admin"


ROLE_NAMES: tuple[str, ...] = tuple(r.value for r in Role)


class Permission(Enum):
    """Something a member of staff does, named as the centre would say it."""

    RUN_ROOM = "run the room (open, start, pause, extra time, incidents, end)"
    EDIT_CANDIDATES = "add and change candidates"
    MARK = "mark scripts"
    SECOND_MARK = "blind second marking"
    REVIEW_MARKING = "internal quality assurance"
    ADMINISTER = "administer the centre (staff, papers, settings, backup and restore)"
    READ_MARKS = "see marking progress and marks"
    READ_IQA = "see IQA plans, reviews and agreement"
    SIGN_IN = "sign in as staff"
    EXPORT_WHILE_BLIND = "export marks before blind marking of a sitting is over"
    LEAD_MARKING = "lead the marking: standardisation, control scripts, marker monitoring, reviews of marking"


_MAY: dict[Permission, frozenset[Role]] = {
    Permission.RUN_ROOM: frozenset({Role.INVIGILATOR, Role.ADMIN}),
    Permission.EDIT_CANDIDATES: frozenset({Role.ADMIN, Role.INVIGILATOR}),
    Permission.MARK: frozenset({Role.MARKER}),
    Permission.SECOND_MARK: frozenset({Role.MARKER, Role.IQA}),
    Permission.REVIEW_MARKING: frozenset({Role.IQA}),
    Permission.ADMINISTER: frozenset({Role.ADMIN}),
    Permission.READ_MARKS: frozenset({Role.MARKER, Role.IQA, Role.ADMIN}),
    Permission.READ_IQA: frozenset({Role.IQA, Role.ADMIN}),
    Permission.SIGN_IN: frozenset(Role),
    # Markers export only once marking is over, or blind marking is off (services/exports.py).
    Permission.EXPORT_WHILE_BLIND: frozenset({Role.ADMIN, Role.IQA, Role.INVIGILATOR}),
    # The lead assessor: in a small centre the IQA or the centre's administrator.
    Permission.LEAD_MARKING: frozenset({Role.IQA, Role.ADMIN}),
}


def roles_for(permission: Permission) -> tuple[str, ...]:
    """The role names that carry ``permission``, in :class:`Role` order."""
    allowed = _MAY[permission]
    return tuple(r.value for r in Role if r in allowed)


def may(roles: object, permission: Permission) -> bool:
    """Whether someone holding ``roles`` (names or :class:`Role`) may do ``permission``."""
    held = {Role(r) for r in roles if str(getattr(r, "value", r)) in ROLE_NAMES}  # type: ignore[union-attr]
    return bool(held & _MAY[permission])
