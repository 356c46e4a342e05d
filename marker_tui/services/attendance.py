"""The attendance register and seating plan of a sitting (issue 19.3): read, and exported for the records."""

from __future__ import annotations

import os
from pathlib import Path

from marker_tui.domain.attendance import (
    Attendance,
    AttendanceRegister,
    RegisterLine,
    arrangements_text,
    attendance_of,
)
from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.data_protection import AttendanceRegisterExported
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import ServiceError
from marker_tui.services.exports import safe_folder_name
from marker_tui.services.settings import identity_in
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.database import Database

#: Who keeps the register: the room's staff and the centre's admin.
KEEPERS = (Permission.RUN_ROOM,)


class AttendanceService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def register(self, code: str, *, by: str) -> AttendanceRegister:
        from marker_tui.services.papers import get_paper

        with self.uow.read(by=by, needs=KEEPERS) as rx:
            sitting = rx.sittings.sitting_by_code(code)
            if sitting is None:
                raise ServiceError(rx.sittings.no_such_sitting(code))
            rows = rx.attendance.register_rows(sitting.id)
            breaks = [b for b in rx.rest_breaks.breaks_in_sitting(sitting.id) if b.started_at is not None]
            paper = get_paper(rx.db, sitting.paper_id)
            centre = identity_in(rx.db)
        started = sitting.started_at
        now = self.clock.now()
        taken: dict[int, list[int]] = {}
        for b in breaks:
            taken.setdefault(b.script_id, []).append(int(((b.finished_at or now) - b.started_at).total_seconds()))
        lines = []
        for row in rows:
            arrived = row.logged_in_at
            attendance, late = attendance_of(arrived, started)
            lines.append(RegisterLine(
                candidate_number=row.candidate_number, name=row.name, attendance=attendance,
                minutes_late=late, arrived_at=arrived, started_at=row.started_at,
                finished_at=row.submitted_at if arrived else None, terminal=row.terminal,
                arrangements=arrangements_text(row.extra_time_percent, row.access_arrangements),
                rest_breaks=len(taken.get(row.script_id, [])),
                rest_break_minutes=sum(taken.get(row.script_id, [])) // 60))
        return AttendanceRegister(
            centre=centre.name, sitting_code=sitting.code,
            paper=f"{paper.qualification} unit {paper.unit}: {paper.title or paper.paper.title or ''}".rstrip(": "),
            room_started_at=started, room_ended_at=sitting.ended_at, lines=lines)

    def export_register(self, code: str, folder: str | os.PathLike[str], *, by: str) -> list[Path]:
        """Write ``attendance-CODE.docx`` and ``.csv`` into ``folder``; audited."""
        from marker_tui.documents.attendance import write_register_csv, write_register_docx

        register = self.register(code, by=by)
        folder = Path(folder).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        safe = safe_folder_name(register.sitting_code)
        docx, table = folder / f"attendance-{safe}.docx", folder / f"attendance-{safe}.csv"
        write_register_docx(register, docx)
        write_register_csv(register, table)
        with self.uow.write(by=by, needs=KEEPERS, what="recording the register export") as tx:
            sitting = tx.sittings.sitting_by_code(code)
            tx.record(AttendanceRegisterExported(
                sitting_id=sitting.id, files=[str(docx), str(table)],
                present=register.count(Attendance.PRESENT), late=register.count(Attendance.LATE),
                absent=register.count(Attendance.ABSENT)))
        return [docx, table]
