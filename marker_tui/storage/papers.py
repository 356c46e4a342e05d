"""Papers and mark schemes as stored: every query about them lives here.

A paper row never changes (scripts point at the exact version their
candidates sat); a corrected mark scheme is a new row, newest last.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel

from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.storage.database import Database, now_text, parse_instant


class StoredPaper(BaseModel):
    id: int
    qualification: str
    unit: str
    version: str
    title: str | None
    time_allowance_minutes: int
    content_hash: str
    loaded_at: datetime
    paper: QuestionPaper


class StoredScheme(BaseModel):
    """The mark scheme in force for a paper: its row id (a correction is a new id) and content."""

    id: int
    scheme: MarkScheme


class NoSuchPaper(LookupError):
    pass


def canonical_json(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)


def _stored(row: dict) -> StoredPaper:
    return StoredPaper(
        id=row["id"],
        qualification=row["qualification"],
        unit=row["unit"],
        version=row["version"],
        title=row["title"],
        time_allowance_minutes=row["time_allowance_minutes"],
        content_hash=row["content_hash"],
        loaded_at=parse_instant(row["loaded_at"]),
        paper=QuestionPaper.model_validate_json(row["paper_json"]),
    )


def paper_by_id(db: Database, paper_id: int) -> StoredPaper:
    row = next(db.query("SELECT * FROM papers WHERE id = ?", [paper_id]), None)
    if row is None:
        raise NoSuchPaper(f"There is no paper with id {paper_id}.")
    return _stored(row)


def paper_by_hash(db: Database, digest: str) -> StoredPaper | None:
    row = next(db.query("SELECT * FROM papers WHERE content_hash = ?", [digest]), None)
    return _stored(row) if row else None


def latest_paper(db: Database, qualification: str, unit: str) -> StoredPaper | None:
    row = next(db.query("SELECT * FROM papers WHERE qualification = ? AND unit = ? ORDER BY id DESC LIMIT 1",
                        [str(qualification).strip(), str(unit).strip()]), None)
    return _stored(row) if row else None


def insert_paper(db: Database, paper: QuestionPaper, *, digest: str, source: str | None, at: datetime) -> int:
    return db.execute(
        "INSERT INTO papers (qualification, unit, version, title, time_allowance_minutes,"
        " content_hash, paper_json, source, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [paper.qualification, paper.unit, paper.version, paper.title, paper.time_allowance_minutes,
         digest, canonical_json(paper), source, now_text(at)],
    ).lastrowid


def latest_scheme(db: Database, paper_id: int) -> StoredScheme | None:
    """The mark scheme in force for ``paper_id`` (the newest loaded), or None."""
    row = db.execute("SELECT id, mark_scheme_json FROM mark_schemes WHERE paper_id = ? ORDER BY id DESC LIMIT 1",
                     [paper_id]).fetchone()
    return StoredScheme(id=row[0], scheme=MarkScheme.model_validate_json(row[1])) if row else None


def latest_scheme_id(db: Database, paper_id: int) -> int | None:
    """Just the row id of the scheme in force: enough to know whether a cached copy is current."""
    row = db.execute("SELECT id FROM mark_schemes WHERE paper_id = ? ORDER BY id DESC LIMIT 1", [paper_id]).fetchone()
    return row[0] if row else None


def scheme_exists(db: Database, paper_id: int, digest: str) -> bool:
    return db.execute("SELECT 1 FROM mark_schemes WHERE paper_id = ? AND content_hash = ?",
                      [paper_id, digest]).fetchone() is not None


def insert_scheme(db: Database, paper_id: int, scheme: MarkScheme, *, digest: str, at: datetime) -> None:
    db.execute("INSERT INTO mark_schemes (paper_id, content_hash, mark_scheme_json, source, loaded_at)"
               " VALUES (?, ?, ?, ?, ?)", [paper_id, digest, canonical_json(scheme), None, now_text(at)])


def scheme_counts(db: Database) -> dict[int, int]:
    """How many mark schemes each paper has had loaded."""
    return {r[0]: r[1] for r in db.execute("SELECT paper_id, count(*) FROM mark_schemes GROUP BY paper_id")}


def paper_unit(db: Database, paper_id: int) -> tuple[str, str]:
    """(qualification, unit) of a paper, without reading its questions."""
    row = db.execute("SELECT qualification, unit FROM papers WHERE id = ?", [paper_id]).fetchone()
    if row is None:
        raise NoSuchPaper(f"There is no paper with id {paper_id}.")
    return row[0], row[1]


class PaperVersion(BaseModel):
    """One stored version of a paper, without its questions (lists and comparisons need no more)."""

    id: int
    qualification: str
    unit: str
    version: str
    content_hash: str


def _version(row) -> PaperVersion:
    return PaperVersion(id=row[0], qualification=row[1], unit=row[2], version=row[3], content_hash=row[4])


_VERSION_COLUMNS = "id, qualification, unit, version, content_hash"


def paper_count(db: Database) -> int:
    return db.execute("SELECT count(*) FROM papers").fetchone()[0]


def qualifications(db: Database) -> set[str]:
    """The qualification numbers of every paper loaded."""
    return {r[0] for r in db.execute("SELECT DISTINCT qualification FROM papers")}


def paper_ids(db: Database) -> set[int]:
    return {r[0] for r in db.execute("SELECT id FROM papers")}


def newest_versions(db: Database) -> dict[tuple[str, str], PaperVersion]:
    """The newest stored version of every (qualification, unit)."""
    rows = db.execute(
        f"SELECT {_VERSION_COLUMNS} FROM papers p WHERE p.id = (SELECT max(id) FROM papers q"
        " WHERE q.qualification = p.qualification AND q.unit = p.unit)")
    return {(v.qualification, v.unit): v for v in map(_version, rows)}


def versions_of(db: Database, qualification: str, unit: str) -> list[PaperVersion]:
    """Every stored version of a unit's paper, oldest first."""
    rows = db.execute(f"SELECT {_VERSION_COLUMNS} FROM papers WHERE qualification = ? AND unit = ? ORDER BY id",
                      [qualification, unit])
    return [_version(r) for r in rows]


def sittings_on_other_versions(db: Database, qualification: str, unit: str, paper_id: int) -> int:
    """Sittings that use a version of this unit's paper other than ``paper_id``."""
    return db.execute("SELECT count(*) FROM sittings WHERE paper_id IN "
                      "(SELECT id FROM papers WHERE qualification = ? AND unit = ? AND id != ?)",
                      [qualification, unit, paper_id]).fetchone()[0]
