"""How long a learner's records are kept, and when they are due for erasure (pure rules).

A centre keeps assessment records for a period after certification that it sets
per qualification (3 years unless it says otherwise). marker-tui takes the end
of the learner's last sitting of that qualification as the date the result was
certified (it does not see the awarding body's certificate). A learner is due
when every qualification they sat is past its period; a learner who never sat
is due that long after their record was made.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

DEFAULT_RETENTION_YEARS = 3
MAX_RETENTION_YEARS = 50


class RetentionStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    candidate_number: str
    name: str
    qualifications: tuple[str, ...]
    last_sat: datetime | None
    due_at: datetime
    due: bool
    #: Why it cannot be erased yet, whatever the date (e.g. a sitting not over).
    blocked: str | None = None


def years_later(instant: datetime, years: int) -> datetime:
    try:
        return instant.replace(year=instant.year + years)
    except ValueError:  # 29 February in a year that has none
        return instant.replace(year=instant.year + years, day=28)


def check_years(years: int) -> int:
    if not 1 <= years <= MAX_RETENTION_YEARS:
        raise ValueError(f"A retention period is 1 to {MAX_RETENTION_YEARS} years.")
    return years


def retention_status(*, candidate_number: str, name: str, created_at: datetime,
                     sittings: list[tuple[str, str, datetime | None]], periods: dict[str, int],
                     now: datetime) -> RetentionStatus:
    """``sittings``: (qualification, sitting code, ended at or None while not over) for each script."""
    blocked = next((f"sitting {code} is not over" for _q, code, ended in sittings if ended is None), None)
    ends: dict[str, datetime] = {}
    for qualification, _code, ended in sittings:
        if ended is not None and (qualification not in ends or ended > ends[qualification]):
            ends[qualification] = ended
    if ends:
        due_at = max(years_later(end, periods.get(q, DEFAULT_RETENTION_YEARS)) for q, end in ends.items())
    else:
        due_at = years_later(created_at, DEFAULT_RETENTION_YEARS)
    return RetentionStatus(candidate_number=candidate_number, name=name, qualifications=tuple(sorted(ends)),
                           last_sat=max(ends.values()) if ends else None, due_at=due_at,
                           due=blocked is None and due_at <= now, blocked=blocked)
