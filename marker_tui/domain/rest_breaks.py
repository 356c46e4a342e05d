"""Supervised rest breaks (an access arrangement, JCQ "supervised rest breaks").

A learner with the arrangement may ask for a break from their terminal; the
invigilator confirms it (or starts one for any candidate, at their decision).
During a break the learner's paper and answers are hidden and locked and their
clock is stopped: the break is a pause of that candidate, so every second of it
is given back exactly (``domain/timing.py`` never counts paused time).
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from marker_tui.domain.arrangements import Evidenced, in_words

#: What in a candidate's access arrangements means "supervised rest breaks".
_REST_BREAKS = re.compile(r"\brest[\s-]*breaks?\b", re.IGNORECASE)

#: The pause reason a rest break's pause carries (shown in the room's log and the audit trail).
REST_BREAK_REASON = "supervised rest break"


def has_rest_break_arrangement(arrangements: str | None) -> bool:
    return bool(_REST_BREAKS.search(arrangements or ""))


def allows_rest_breaks(in_force: list[Evidenced]) -> bool:
    """``in_force``: the script's copy of the arrangements, what applied when its clock started
    (a change made after that is for the next sitting, as with extra time)."""
    return has_rest_break_arrangement(in_words(in_force))


class RestBreakState(BaseModel):
    """A break asked for or under way, as the room view and the learner's terminal show it."""

    model_config = ConfigDict(frozen=True)

    candidate_number: str
    asked_at: datetime | None = None
    started_at: datetime | None = None

    @property
    def on_break(self) -> bool:
        return self.started_at is not None

    def minutes(self, now: datetime) -> int:
        """Whole minutes on the break so far (0 while only asked for)."""
        if self.started_at is None:
            return 0
        return max(0, int((now - self.started_at).total_seconds() // 60))


class RestBreakRecord(BaseModel):
    """One break that happened (for the attendance register and the audit export)."""

    model_config = ConfigDict(frozen=True)

    candidate_number: str
    started_at: datetime
    ended_at: datetime | None
    allowed_by: str | None
    asked: bool

    def seconds(self, now: datetime) -> int:
        return int(((self.ended_at or now) - self.started_at).total_seconds())
