"""Typed audit events: one class per kind of entry in the audit log.

Each class names one :class:`~marker_tui.domain.audit_actions.Action` (the list
of names stays in that one module) and declares, as typed fields, what its
entry's ``details`` hold. Services build an event and hand it to the unit of
work (``services/unit_of_work.py``), so an entry's shape is checked where it is
made, not discovered when an export reads it back.

The classes live in one module per area (``sitting``, ``marking``, ``iqa`` …)
and are all imported here, so :func:`event_class` knows every one of them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from marker_tui.domain.audit_actions import Action

_BY_ACTION: dict[Action, type["AuditEvent"]] = {}

#: Fields every entry has as its own columns, never inside ``details``.
WHERE = ("sitting_id", "script_id", "candidate_number")


class AuditEvent(BaseModel):
    """One thing that happened, as it goes into the audit log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ClassVar[Action]
    #: Leave fields that are None out of ``details`` (for entries that never had those keys).
    omit_empty: ClassVar[bool] = False
    sitting_id: int | None = None
    script_id: int | None = None
    candidate_number: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        action = cls.__dict__.get("action")
        if action is None:  # an abstract grouping class
            return
        if not isinstance(action, Action):
            raise TypeError(f"{cls.__name__}.action must be an Action, not {action!r}")
        if action in _BY_ACTION and _BY_ACTION[action].__qualname__ != cls.__qualname__:
            raise TypeError(f"{cls.__name__} and {_BY_ACTION[action].__name__} both record {action.value!r}")
        _BY_ACTION[action] = cls

    def details(self) -> dict[str, Any]:
        """What goes into the entry's ``details`` (everything but the columns in :data:`WHERE`)."""
        # Python values, not JSON ones: the audit writer turns them into text exactly as it always
        # has (json.dumps with default=str), so typed and older entries read back alike.
        return self.model_dump(exclude=set(WHERE), exclude_none=self.omit_empty, by_alias=True)


def event_class(action: Action | str) -> type[AuditEvent] | None:
    """The event class that records ``action`` (None while an area is still to be typed)."""
    _load_all()
    return _BY_ACTION.get(Action(action))


def event_classes() -> dict[Action, type[AuditEvent]]:
    _load_all()
    return dict(_BY_ACTION)


def _load_all() -> None:
    # Importing the area modules registers their classes (__init_subclass__).
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
