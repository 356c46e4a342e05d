"""What every IQA service shares: its refusals, the text and mark checks, and who is asking."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from marker_tui.domain.roles import Permission
from marker_tui.domain.sampling import OwnMarkingRefused, check_reviewer_may_review
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.marking import clean_comment, clean_reason
from marker_tui.storage.database import Database

REVIEWING = Permission.REVIEW_MARKING
SECOND_MARKING = Permission.SECOND_MARK
MAX_ACTION_CHARS = 500


class IqaError(ServiceError):
    """An IQA request refused; nothing was changed."""


class OwnMarking(IqaError):
    """The reviewer (or would-be second marker) marked this script: the domain's message, as it is."""


def clean_text(text: str | None, what: str, limit: int = 2000) -> str | None:
    try:
        return clean_comment(text) if limit >= 2000 else clean_reason(text)
    except ServiceError as error:
        raise IqaError(str(error).replace("A comment", what)) from None


def first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def refuse_own(markers: Iterable[str], person: str, doing: str = "review") -> None:
    try:
        check_reviewer_may_review(list(markers), person)
    except OwnMarkingRefused as error:
        message = str(error)
        if doing != "review":
            message = message.replace("cannot review it", f"cannot {doing} it")
        raise OwnMarking(message) from None


def as_mark(value: object, question_id: str, maximum: int) -> int:
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise IqaError(f"Question {question_id}: {value!r} is not a whole number of marks; "
                       f"enter a whole number from 0 to {maximum}.")
    if not 0 <= value <= maximum:
        raise IqaError(f"Question {question_id}: {value} is outside the allowed range; "
                       f"enter a whole number from 0 to {maximum}.")
    return value


def staff_member(db: Database, name: str | None) -> Actor:
    """Any member of staff by name (reads that only need to know whose plans to show)."""
    from marker_tui.services.staff import find_staff

    if not name or not name.strip():
        raise ServiceError("Say who is doing this with --by NAME (a staff member's name).")
    member = find_staff(db, name)
    if member is None:
        raise ServiceError(
            f"There is no staff member called {name.strip()!r}. "
            "Check the spelling, or add them with: marker-tui staff add NAME --role ROLE --by ADMIN")
    return Actor(label=member.name, staff_id=member.id)
