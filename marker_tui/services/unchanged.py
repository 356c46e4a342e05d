"""Leaving a unit-of-work write block that turned out to have nothing to change.

Every write block must record an audit event (``unit_of_work.py``). Some only find out inside
the lock that there is nothing to do (a paper already stored, a sweep another process just
made, a candidate already enrolled): they ``raise Unchanged(result)``, the block rolls back
(it wrote nothing) and :func:`write_or_unchanged` returns ``result``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, TypeVar

from marker_tui.services.audit import Actor
from marker_tui.services.unit_of_work import Needs, UnitOfWork, Writing

T = TypeVar("T")


class Unchanged(Exception):
    """Nothing was changed, so nothing is recorded; ``result`` is the answer to give."""

    def __init__(self, result: Any = None) -> None:
        super().__init__("nothing to change")
        self.result = result


def write_or_unchanged(uow: UnitOfWork, work: Callable[[Writing], T], *, by: str | Actor | None, needs: Needs,
                       what: str = "saving", at: datetime | None = None, housekeeping: str | None = None) -> T:
    """``work(tx)`` in one write block of ``uow``; what it raised ``Unchanged`` with, if it did."""
    try:
        with uow.write(by=by, needs=needs, what=what, at=at, housekeeping=housekeeping) as tx:
            return work(tx)
    except Unchanged as nothing:
        return nothing.result


def kept(tx: Writing, result: T) -> T:
    """``result``, committing what the block recorded; with nothing recorded, nothing is written."""
    if not tx.recorded:
        raise Unchanged(result)
    return result
