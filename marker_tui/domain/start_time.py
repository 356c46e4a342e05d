"""The one reading of a sitting's start time as typed (issue 17.5): the admin screen and the
``marker-tui sitting create --starts-at`` option accept the same forms.

Accepted: ``2026-03-02 09:30``, ``2026-03-02T09:30`` (local time), either with an offset
(``2026-03-02T09:30+00:00``), or ``09:30`` alone for today; empty means no start time.
"""

from __future__ import annotations

from datetime import datetime

ACCEPTED = ("write it like 2026-03-02 09:30 (local time; 2026-03-02T09:30+00:00 with an offset), "
            "or just 09:30 for today")


class StartTimeError(ValueError):
    """What was typed is not a start time; the message says how to write one."""


def parse_start(text: str | None, now: datetime) -> datetime | None:
    """``text`` as a timezone-aware instant (None if empty); ``now`` gives "today" for ``09:30``."""
    text = " ".join((text or "").split())
    if not text:
        return None
    local_now = now.astimezone()
    try:
        if len(text) <= 5 and ":" in text:
            hours, minutes = (int(p) for p in text.split(":"))
            when = local_now.replace(hour=hours, minute=minutes, second=0, microsecond=0)
        else:
            when = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise StartTimeError(f"{text!r} is not a date and time: {ACCEPTED}.") from None
    return when if when.tzinfo is not None else when.astimezone()
