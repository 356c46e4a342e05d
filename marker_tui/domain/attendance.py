"""The attendance register of a sitting: who was present, late or absent, where, and with what arrangements.

Rules, as an invigilator keeps them on paper:

- *present*: logged in at their terminal by the time the room started;
- *late*: logged in after the room started (minutes late counted from the room's start);
- *absent*: never logged in (once the room has started; before then, "not yet arrived").
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Attendance(StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    NOT_YET = "not yet arrived"


class RegisterLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    candidate_number: str
    name: str
    attendance: Attendance
    minutes_late: int | None = None
    arrived_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    terminal: str | None = None
    arrangements: str = ""
    #: Supervised rest breaks taken, and their minutes in all (given back to the candidate).
    rest_breaks: int = 0
    rest_break_minutes: int = 0

    @property
    def rest_breaks_text(self) -> str:
        if not self.rest_breaks:
            return ""
        return f"{self.rest_breaks} rest break{'s' if self.rest_breaks != 1 else ''} ({self.rest_break_minutes} min)"


class AttendanceRegister(BaseModel):
    centre: str
    sitting_code: str
    paper: str
    room_started_at: datetime | None
    room_ended_at: datetime | None
    lines: list[RegisterLine]

    def count(self, attendance: Attendance) -> int:
        return sum(1 for line in self.lines if line.attendance is attendance)


def attendance_of(arrived_at: datetime | None, room_started_at: datetime | None) -> tuple[Attendance, int | None]:
    """Present, late (with whole minutes late, rounded up) or absent, by the rules above."""
    if arrived_at is None:
        return (Attendance.ABSENT if room_started_at is not None else Attendance.NOT_YET), None
    if room_started_at is None or arrived_at <= room_started_at:
        return Attendance.PRESENT, None
    return Attendance.LATE, math.ceil((arrived_at - room_started_at).total_seconds() / 60)


def arrangements_text(extra_time_percent: int | None, other: str | None) -> str:
    parts = [f"{extra_time_percent}% extra time"] if extra_time_percent else []
    if (other or "").strip():
        parts.append(other.strip())
    return ", ".join(parts)
