"""The ``rest_breaks`` table (migration m0009): which candidate pauses were supervised rest breaks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marker_tui.storage.database import Database, now_text, parse_instant

_COLUMNS = ("r.id, r.script_id, c.candidate_number, r.asked_at, r.started_at, r.ended_at, r.declined_at, "
            "r.pause_id, p.ended_at, a.name, e.name")


@dataclass(frozen=True)
class RestBreakRow:
    id: int
    script_id: int
    candidate_number: str
    asked_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    declined_at: datetime | None
    pause_id: int | None
    pause_ended_at: datetime | None
    allowed_by: str | None
    ended_by: str | None

    @property
    def on_break(self) -> bool:
        """Under way: begun, not ended, and its pause still stopping the clock."""
        return (self.started_at is not None and self.ended_at is None and self.declined_at is None
                and self.pause_ended_at is None)

    @property
    def asked(self) -> bool:
        """Asked for by the learner and neither allowed nor declined yet."""
        return self.started_at is None and self.declined_at is None and self.ended_at is None

    @property
    def finished_at(self) -> datetime | None:
        """When the break ended (its own end, or its pause's if that was resumed another way)."""
        return self.ended_at or self.pause_ended_at


def _row(r: tuple) -> RestBreakRow:
    return RestBreakRow(r[0], r[1], r[2], parse_instant(r[3]), parse_instant(r[4]), parse_instant(r[5]),
                        parse_instant(r[6]), r[7], parse_instant(r[8]), r[9], r[10])


def _select(where: str) -> str:
    return (f"SELECT {_COLUMNS} FROM rest_breaks r JOIN scripts s ON s.id = r.script_id "
            "JOIN candidates c ON c.id = s.candidate_id LEFT JOIN pauses p ON p.id = r.pause_id "
            "LEFT JOIN staff a ON a.id = r.allowed_by LEFT JOIN staff e ON e.id = r.ended_by "
            f"WHERE {where} ORDER BY r.id")


def breaks_in_sitting(db: Database, sitting_id: int) -> list[RestBreakRow]:
    return [_row(r) for r in db.execute(_select("r.sitting_id = ?"), [sitting_id]).fetchall()]


def breaks_of_script(db: Database, script_id: int) -> list[RestBreakRow]:
    return [_row(r) for r in db.execute(_select("r.script_id = ?"), [script_id]).fetchall()]


def open_break(db: Database, script_id: int) -> RestBreakRow | None:
    """The break asked for or under way for this script, if any."""
    found = [b for b in breaks_of_script(db, script_id) if b.asked or b.on_break]
    return found[-1] if found else None


def insert_asked(db: Database, sitting_id: int, script_id: int, at: datetime) -> int:
    return db.execute("INSERT INTO rest_breaks (sitting_id, script_id, asked_at) VALUES (?, ?, ?)",
                      [sitting_id, script_id, now_text(at)]).lastrowid


def insert_started(db: Database, sitting_id: int, script_id: int, pause_id: int, at: datetime,
                   by: int | None) -> int:
    return db.execute("INSERT INTO rest_breaks (sitting_id, script_id, started_at, allowed_by, pause_id) "
                      "VALUES (?, ?, ?, ?, ?)", [sitting_id, script_id, now_text(at), by, pause_id]).lastrowid


def mark_started(db: Database, break_id: int, pause_id: int, at: datetime, by: int | None) -> None:
    db.execute("UPDATE rest_breaks SET started_at = ?, allowed_by = ?, pause_id = ? WHERE id = ?",
               [now_text(at), by, pause_id, break_id])


def mark_ended(db: Database, break_id: int, at: datetime, by: int | None) -> None:
    db.execute("UPDATE rest_breaks SET ended_at = ?, ended_by = ? WHERE id = ?", [now_text(at), by, break_id])


def mark_declined(db: Database, break_id: int, at: datetime, by: int | None) -> None:
    db.execute("UPDATE rest_breaks SET declined_at = ?, declined_by = ? WHERE id = ?", [now_text(at), by, break_id])


def open_pause_id(db: Database, script_id: int) -> int | None:
    row = db.execute("SELECT id FROM pauses WHERE script_id = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
                     [script_id]).fetchone()
    return row[0] if row else None
