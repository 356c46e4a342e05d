"""Where the time left is computed: every timing rule of a sitting, in one place.

Pure: no clock, no database. The caller passes the instants it stored (when the
room started, when this candidate's own clock started, every pause, every
extension, when the script was submitted) and ``now``; the answer depends on
nothing else, so a restarted process, or a second terminal, computes exactly the
same time left from the same rows.

The rules
---------
* Allowance: the paper's time allowance × (1 + extra time %) + every extension.
  Computed in whole seconds, rounded *up* (in the candidate's favour):
  90 min at 25 % = 5400 s × 125 / 100 = 6750 s exactly; 45 min at 33 % =
  2700 × 133 / 100 = 3591 s exactly; 7 min at 15 % = 420 × 1.15 = 483 s.
* A candidate's clock runs from *their own* start (the room's start if they had
  logged in by then, otherwise the moment they logged in: a late starter gets
  their full allowance).
* Paused time never counts. A room pause and a candidate pause that overlap
  count once (the union of the intervals is removed). An open pause (no end yet)
  stops the clock until it is resumed.
* Time used stops growing at submission; time left is never negative.
* The instant time runs out (``expires_at``) is derived from the same intervals,
  so a script whose terminal was closed is submitted "at the instant their time
  ran out", however late someone looks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from math import ceil

ZERO = timedelta(0)


@dataclass(frozen=True)
class Interval:
    """A pause: ``end`` is None while it is still going on."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True)
class TimeState:
    allowed: timedelta
    used: timedelta
    remaining: timedelta
    is_running: bool
    """The candidate's clock is ticking right now (started, not paused, not over)."""
    is_paused: bool
    is_time_up: bool
    expires_at: datetime | None
    """When the allowance runs out if nothing else is paused (in the past once time is up);
    None while paused, before the own start, and after submission."""
    started: bool


def allowance(
    paper_minutes: int, extra_time_percent: float = 0, extension_minutes: Iterable[int] = ()
) -> timedelta:
    """The candidate's whole allowance, rounded up to a whole second (see module rules)."""
    if paper_minutes <= 0:
        raise ValueError("a paper's time allowance must be positive")
    if extra_time_percent < 0:
        raise ValueError("extra time cannot be negative")
    base = Fraction(paper_minutes * 60) * (1 + Fraction(str(extra_time_percent)) / 100)
    extra = sum(extension_minutes, 0) * 60
    if extra < 0:
        raise ValueError("extensions cannot add up to a negative time")
    return timedelta(seconds=ceil(base) + extra)


def merge_pauses(pauses: Iterable[Interval]) -> list[tuple[datetime, datetime | None]]:
    """The union of the pause intervals, sorted; an open pause swallows everything after it."""
    items = sorted(pauses, key=lambda p: p.start)
    merged: list[tuple[datetime, datetime | None]] = []
    for p in items:
        end = p.end
        if end is not None and end < p.start:
            raise ValueError(f"a pause cannot end ({end}) before it starts ({p.start})")
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # already paused "until further notice"
            if p.start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((p.start, end))
    return merged


def active_time(
    start: datetime, until: datetime, pauses: Sequence[tuple[datetime, datetime | None]]
) -> timedelta:
    """Time in [start, until] not covered by the (merged) pauses."""
    if until <= start:
        return ZERO
    total = until - start
    for p_start, p_end in pauses:
        lo = max(p_start, start)
        hi = until if p_end is None else min(p_end, until)
        if hi > lo:
            total -= hi - lo
    return total


def expiry_instant(
    start: datetime, allowed: timedelta, pauses: Sequence[tuple[datetime, datetime | None]]
) -> datetime | None:
    """The wall-clock instant the allowance runs out, or None if an open pause comes first."""
    cursor, budget = start, allowed
    for p_start, p_end in pauses:
        if p_end is not None and p_end <= cursor:
            continue
        if p_start > cursor:
            gap = p_start - cursor
            if budget <= gap:
                return cursor + budget
            budget -= gap
        if p_end is None:
            return None
        cursor = max(cursor, p_end)
    return cursor + budget


def time_state(
    *,
    now: datetime,
    paper_minutes: int,
    extra_time_percent: float = 0,
    extension_minutes: Iterable[int] = (),
    own_start: datetime | None,
    room_pauses: Iterable[Interval] = (),
    candidate_pauses: Iterable[Interval] = (),
    submitted_at: datetime | None = None,
) -> TimeState:
    """Everything a screen or a status line needs to know about one candidate's time."""
    allowed = allowance(paper_minutes, extra_time_percent, extension_minutes)
    if own_start is None:
        return TimeState(
            allowed=allowed, used=ZERO, remaining=allowed, is_running=False, is_paused=False,
            is_time_up=False, expires_at=None, started=False,
        )
    # Pauses after submission are irrelevant; those before the own start are
    # clipped by active_time/expiry_instant.
    horizon = submitted_at if submitted_at is not None and submitted_at < now else now
    pauses = merge_pauses(p for p in (*room_pauses, *candidate_pauses) if p.start <= horizon)
    expires_at = expiry_instant(own_start, allowed, pauses)
    used = min(active_time(own_start, horizon, pauses), allowed)
    is_time_up = submitted_at is None and expires_at is not None and expires_at <= now
    if is_time_up:
        used = allowed
    paused_now = bool(pauses) and pauses[-1][1] is None and pauses[-1][0] <= now
    finished = submitted_at is not None or is_time_up
    return TimeState(
        allowed=allowed,
        used=used,
        remaining=max(allowed - used, ZERO),
        is_running=not finished and not paused_now and now >= own_start,
        is_paused=paused_now and not finished,
        is_time_up=is_time_up or (submitted_at is not None and used >= allowed),
        expires_at=None if submitted_at is not None else expires_at,
        started=True,
    )


def format_duration(delta: timedelta) -> str:
    """``1:52:30`` / ``0:04:05``: how an invigilator reads a duration (never negative)."""
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


# A time as papers write it: "1 hour 30 minutes", "1 hour and 30 minutes", "90 minutes", "2 hours",
# "1½ hours", "1.5 hours".
_STATED_TIME = re.compile(
    r"\b(?:(?P<h>\d+(?:\.\d+)?|\d*½)\s*hours?(?:\s*(?:and\s*)?(?P<hm>\d+)\s*min(?:ute)?s?)?"
    r"|(?P<m>\d+)\s*min(?:ute)?s?)\b",
    re.IGNORECASE,
)


def _stated_seconds(match: re.Match[str]) -> float:
    if match.group("m"):
        return int(match.group("m")) * 60
    value = float(match.group("h").replace("½", ".5"))  # "1½" → 1.5, "½" → 0.5
    return value * 3600 + int(match.group("hm") or 0) * 60


def instructions_for(instructions: str, base_seconds: int | None, allowed_seconds: int,
                     words: Callable[[int], str]) -> str:
    """The paper's instructions as this learner should read them: their own time, not the paper's.

    Where the instructions state the paper's standard time ("You have 1 hour 30 minutes")
    and the learner's allowance differs (extra time, an extension), that phrase becomes the
    learner's own allowance in ``words`` ("1 hour 52 minutes 30 seconds"), so the
    instructions never contradict the clock. Other times in the text are left alone.
    """
    if not base_seconds or allowed_seconds == base_seconds:
        return instructions

    def own(match: re.Match[str]) -> str:
        return words(allowed_seconds) if abs(_stated_seconds(match) - base_seconds) < 1 else match.group(0)

    return _STATED_TIME.sub(own, instructions)
