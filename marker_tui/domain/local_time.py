"""The one way an instant is shown as a time people read (issue 17.5).

Instants are stored timezone-aware (UTC); people read them in this computer's time zone, so every
screen, document and command line formats them here. The formats are named so that the same kind
of time looks the same everywhere.
"""

from __future__ import annotations

from datetime import datetime

CLOCK = "%H:%M:%S"
"""A time today, to the second: the room view, the learner's screen, the CLI."""
HOUR_MINUTE = "%H:%M"
DATE = "%Y-%m-%d"
DATE_MINUTE = "%Y-%m-%d %H:%M"
DATE_CLOCK = "%Y-%m-%d %H:%M:%S"
"""An audit entry's moment."""
DAY_MINUTE = "%d %b %Y %H:%M"
"""In a document for a person (e.g. a subject access copy): 02 Mar 2026 09:05."""
LONG_DAY = "%A %d %B %Y"
"""A day at the head of a document: Monday 02 March 2026."""
DAY = "%d %b %Y"
"""A day for a person: 02 Mar 2026."""
DAY_CLOCK = "%d %b %Y %H:%M:%S"
"""An audit entry for a person: 02 Mar 2026 09:05:31."""


def local_time(instant: datetime | None, fmt: str = CLOCK, *, missing: str = "-") -> str:
    """``instant`` in local time as ``fmt`` (strftime); ``missing`` when there is none.

    A naive instant is taken as already local (as ``datetime.astimezone`` does)."""
    if instant is None:
        return missing
    return instant.astimezone().strftime(fmt).strip()  # strip: %Z is empty where no zone name is known
