"""The learner's countdown and its warnings.

The countdown never counts: every second the screen asks the sitting service
for the time left (computed from the clock and the stored instants) and hands
the number of seconds here to be shown. :class:`TimeWarnings` decides which
warning (10, 5, 1 minute) is due, each once; a learner who logs in with 3
minutes left sees only the 5-minute one, not all of them at once.
"""

from __future__ import annotations

from textual.widgets import Static

WARNING_MINUTES = (10, 5, 1)
REARM_SECONDS = 60
"""After an extension, a warning is given again if its moment is now more than this far ahead."""


def clock_text(seconds: int) -> str:
    """``1:29:59`` for a number of seconds (never negative)."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def duration_words(seconds: int) -> str:
    """``1 hour 52 minutes 30 seconds`` (how a learner reads an allowance)."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not parts:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


class TimeWarnings:
    """Which "N minutes left" warning to give now, each at most once."""

    def __init__(self, minutes: tuple[int, ...] = WARNING_MINUTES) -> None:
        self.thresholds = sorted(minutes, reverse=True)
        self.given: set[int] = set()

    def level(self, left_seconds: int) -> int | None:
        """The smallest threshold (in minutes) the time left is within, if any."""
        within = [m for m in self.thresholds if left_seconds <= m * 60]
        return min(within) if within else None

    def check(self, left_seconds: int) -> int | None:
        """The warning to announce now (minutes), or None. Skipped ones are never given later,
        unless an extension puts a warning's moment more than a minute ahead again."""
        self.given = {m for m in self.given if left_seconds <= m * 60 + REARM_SECONDS}
        level = self.level(left_seconds)
        if level is None or level in self.given:
            return None
        self.given.update(m for m in self.thresholds if m >= level)
        return level


class Countdown(Static):
    """``Time left 1:29:59``, or ``PAUSED 1:12:00``; styled by warning level."""

    DEFAULT_CSS = """
    Countdown { width: 23; padding: 0 1; text-style: bold; content-align: right middle; }
    """

    def __init__(self, content: str = "", **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)

    def show_time(self, left_seconds: int, *, paused: bool = False, started: bool = True,
                  level: int | None = None, finished: bool = False) -> None:
        if finished:
            text = "Finished"
        elif not started:
            text = f"Your time: {clock_text(left_seconds)}"
        elif paused:
            text = f"PAUSED · {clock_text(left_seconds)} left"
        else:
            text = f"Time left {clock_text(left_seconds)}"
        self.update(text, layout=False)  # fixed width: a new second never needs a layout pass
        self.set_class(paused, "-paused")
        for minutes in WARNING_MINUTES:
            self.set_class(level == minutes and not paused, f"-warn-{minutes}")
