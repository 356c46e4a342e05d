"""The attendance register and seating plan of a sitting, as Word and CSV, for the centre's records."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime

from marker_tui.domain.attendance import Attendance, AttendanceRegister
from marker_tui.domain.local_time import HOUR_MINUTE, LONG_DAY, local_time
from marker_tui.documents.feedback import WordDocument
from marker_tui.documents.text_cleaning import atomic_output, csv_text

CSV_HEADERS = ["Candidate number", "Name", "Attendance", "Minutes late", "Arrived", "Started", "Finished",
               "Terminal", "Access arrangements", "Rest breaks"]


def _time(instant: datetime | None) -> str:
    return local_time(instant, HOUR_MINUTE, missing="")


def _cells(register: AttendanceRegister) -> list[list[str]]:
    return [[line.candidate_number, line.name, line.attendance.value,
             "" if line.minutes_late is None else str(line.minutes_late), _time(line.arrived_at),
             _time(line.started_at), _time(line.finished_at), line.terminal or "", line.arrangements,
             line.rest_breaks_text]
            for line in register.lines]


def write_register_csv(register: AttendanceRegister, path: str | os.PathLike[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS)
    for row in _cells(register):
        writer.writerow([csv_text(c) for c in row])
    with atomic_output(path) as stream:
        stream.write(("\ufeff" + buffer.getvalue()).encode("utf-8"))  # with a BOM, for Excel


def write_register_docx(register: AttendanceRegister, path: str | os.PathLike[str]) -> None:
    title = f"Attendance register: sitting {register.sitting_code}"
    doc = WordDocument(title=title, author=register.centre, footer=f"{register.centre}: {title}")
    doc.title(title)
    day = register.room_started_at or register.room_ended_at
    doc.paragraph(f"{register.centre}. {register.paper}."
                  + (f" {local_time(day, LONG_DAY)}, room started {_time(register.room_started_at)}"
                     f"{', ended ' + _time(register.room_ended_at) if register.room_ended_at else ''}." if day else
                     " The room has not started yet."))
    doc.paragraph(f"{register.count(Attendance.PRESENT)} present, {register.count(Attendance.LATE)} late, "
                  f"{register.count(Attendance.ABSENT)} absent"
                  + (f", {register.count(Attendance.NOT_YET)} not yet arrived" if register.count(Attendance.NOT_YET)
                     else "") + f" of {len(register.lines)} entered.", bold_lead="Attendance: ")
    rows = [[c[0], c[1], c[2] + (f" ({c[3]} min)" if c[3] else ""), c[4], c[6], c[7],
             "; ".join(p for p in (c[8], c[9]) if p)] for c in _cells(register)]
    doc.table(["Candidate", "Name", "Attendance", "Arrived", "Finished", "Terminal (seat)", "Arrangements"], rows,
              widths_mm=[18, 32, 24, 15, 17, 28, 36])
    doc.heading("Seating plan", 2)
    by_terminal: dict[str, list[str]] = {}
    for line in register.lines:
        if line.terminal:
            by_terminal.setdefault(line.terminal, []).append(f"{line.candidate_number} {line.name}")
    doc.table(["Terminal", "Candidate"], [[t, "; ".join(c)] for t, c in sorted(by_terminal.items())]
              or [["-", "no candidate has logged in yet"]], widths_mm=[50, 120])
    doc.paragraph("")
    doc.table(None, [["Invigilator's signature", ""], ["Date", ""]], widths_mm=[50, 120], bold_first_column=True,
              row_height_mm=12, keep_together=True)
    doc.save(path)
