"""The one rule for codes typed on a learner's terminal: count wrong tries, lock the terminal for a while.

The keycode at login and the exit code that closes a terminal follow the same rule with
different limits (``domain/admission.py``): a terminal already locked is refused at once;
a right code clears its count; a wrong one adds to it, and the last allowed wrong try locks
that terminal (only that one: the real candidate at their own desk is never locked out by a
stranger elsewhere). The caller records what happened, in its own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from marker_tui.services.terminal import Terminal
from marker_tui.storage import admission as store
from marker_tui.storage.database import Database


@dataclass(frozen=True)
class Attempt:
    """How one typed code went."""

    admitted: bool
    already_locked_until: datetime | None = None
    """Set when the terminal was locked before this try (the code was not even checked)."""
    failures: int = 0
    """Wrong tries in a row on this terminal, this one included."""
    locked_until: datetime | None = None
    """Set when this wrong try locked the terminal."""


def try_code(db: Database, terminal: Terminal, kind: str, *, sitting_id: int, now: datetime, tries: int,
             lock_for: timedelta, check: Callable[[], bool]) -> Attempt:
    """Check a code typed on ``terminal`` (``check()`` says if it matches), counting wrong tries of ``kind``.

    Call inside a write block: the count is written in the caller's transaction.
    """
    before = store.tries_of(db, terminal.place, kind)
    if before is not None and before.locked(now):
        return Attempt(admitted=False, already_locked_until=before.locked_until)
    if check():
        if before is not None:
            store.clear_tries(db, terminal.place, kind)
        return Attempt(admitted=True)
    failures = (before.failures if before is not None else 0) + 1
    locked_until = now + lock_for if failures >= tries else None
    store.put_tries(db, terminal.place, kind, sitting_id=sitting_id, terminal=terminal.label,
                    failures=0 if locked_until else failures, at=now, locked_until=locked_until)
    return Attempt(admitted=False, failures=failures, locked_until=locked_until)
