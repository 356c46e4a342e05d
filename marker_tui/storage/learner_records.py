"""Everything the database holds about one learner, table by table (subject access requests).

The tables are found from the schema, not listed by hand: any table with a
``candidate_id`` or ``script_id`` column holds rows about a learner, and so do
the tables hung off those (IQA question reviews and action points off a review,
second marks off a second marking). A table added later is therefore in the
next subject access export without anyone remembering to add it.

Secrets are never copied out: admission keycodes' hashes and salts are left out
(the learner gets when a keycode was issued and by whom).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marker_tui.storage.database import Database, placeholders

#: Columns that are secrets, not information about the learner.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "admission_keycodes": frozenset({"keycode_hash", "keycode_salt"}),
}

#: Tables keyed by another table's id, not by the script: (table, its column, parent table).
CHILD_TABLES: tuple[tuple[str, str, str], ...] = (
    ("iqa_question_reviews", "review_id", "iqa_reviews"),
    ("iqa_action_points", "review_id", "iqa_reviews"),
    ("iqa_second_marks", "second_marking_id", "iqa_second_markings"),
    ("marking_review_questions", "review_id", "marking_reviews"),  # reviews of marking (m0012)
)

#: Staff-only bookkeeping that names no learner (kept out so the export is about the person).
NOT_ABOUT_LEARNERS = frozenset({"audit_log", "sqlite_sequence", "schema_migrations", "terminal_tries"})


def _columns(db: Database, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA table_info("{table}")').fetchall()]


def tables_about_learners(db: Database) -> dict[str, str]:
    """Each table holding rows about a learner → the column that says whose (candidate_id or script_id)."""
    found: dict[str, str] = {}
    for table in db.table_names():
        if table in NOT_ABOUT_LEARNERS:
            continue
        columns = _columns(db, table)
        if table == "candidates":
            found[table] = "id"
        elif "candidate_id" in columns:
            found[table] = "candidate_id"
        elif "script_id" in columns:
            found[table] = "script_id"
    for table, column, parent in CHILD_TABLES:
        if table in db.table_names():
            found[table] = column
    return found


def _select(db: Database, table: str, column: str, ids: list[Any]) -> list[dict[str, Any]]:
    if not ids:
        return []
    hidden = SECRET_COLUMNS.get(table, frozenset())
    shown = [c for c in _columns(db, table) if c not in hidden]
    names = ", ".join(f'"{c}"' for c in shown)
    # Some tables are WITHOUT ROWID: order by id, else by the leading columns (their key).
    order = '"id"' if "id" in shown else ", ".join(str(i + 1) for i in range(min(3, len(shown))))
    cursor = db.execute(f'SELECT {names} FROM "{table}" WHERE "{column}" IN ({placeholders(ids)}) ORDER BY {order}',
                        ids)
    return [dict(zip(shown, row)) for row in cursor.fetchall()]


def learner_rows(db: Database, candidate_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the candidate, by table (tables with none are present and empty).

    Rows stay column → value mappings here, not records: the columns come from the schema, so a
    table or column added later is in the next subject access export without anyone adding it."""
    tables = tables_about_learners(db)
    rows: dict[str, list[dict[str, Any]]] = {"candidates": _select(db, "candidates", "id", [candidate_id])}
    scripts = _select(db, "scripts", "candidate_id", [candidate_id])
    rows["scripts"] = scripts
    script_ids = [s["id"] for s in scripts]
    for table, column in tables.items():
        if table in rows or column not in ("script_id", "candidate_id"):
            continue
        rows[table] = _select(db, table, column, script_ids if column == "script_id" else [candidate_id])
    for table, column, parent in CHILD_TABLES:
        if table in tables:
            rows[table] = _select(db, table, column, [r["id"] for r in rows.get(parent, [])])
    return rows


@dataclass(frozen=True, slots=True)
class SittingLabel:
    """Which exam a sitting was: its code and paper."""

    code: str
    qualification: str
    unit: str
    paper_version: str
    title: str | None


def sitting_labels(db: Database, sitting_ids: list[int]) -> dict[int, SittingLabel]:
    """Code and paper of each sitting (to say which exam a script was)."""
    if not sitting_ids:
        return {}
    cursor = db.execute(
        "SELECT s.id, s.code, p.qualification, p.unit, p.version, p.title FROM sittings s "
        f"JOIN papers p ON p.id = s.paper_id WHERE s.id IN ({placeholders(sitting_ids)})", sitting_ids)
    return {r[0]: SittingLabel(*r[1:]) for r in cursor.fetchall()}


@dataclass(frozen=True, slots=True)
class LearnerAuditRow:
    """An audit log entry naming the learner, as stored (``details`` still JSON text)."""

    id: int
    at: str
    actor: str
    action: str
    sitting_id: int | None
    script_id: int | None
    candidate_number: str | None
    details: str | None


def audit_rows_about(db: Database, candidate_number: str, script_ids: list[int]) -> list[LearnerAuditRow]:
    """Audit entries that name the candidate (by number, or by one of their scripts), oldest first."""
    params: list[Any] = [candidate_number]
    where = "candidate_number = ?"
    if script_ids:
        where += f" OR script_id IN ({placeholders(script_ids)})"
        params += script_ids
    cursor = db.execute(f"SELECT id, at, actor, action, sitting_id, script_id, candidate_number, details "
                        f"FROM audit_log WHERE {where} ORDER BY id", params)
    return [LearnerAuditRow(*row) for row in cursor.fetchall()]
