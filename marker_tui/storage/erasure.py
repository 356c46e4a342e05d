"""Erasing one learner's personal data, inside the caller's write transaction (UK GDPR erasure).

The tables that protect the centre's records (append-only audit log, answer
history, mark history, answers frozen after submission) refuse these changes by
trigger. Erasure is the one lawful exception, so this module lifts exactly
those triggers for the length of its transaction and puts each back from its
own stored SQL before returning: if anything fails, the rollback restores the
triggers with the data. Nothing else in marker-tui may do this.

What is kept is what a centre needs as statistics: each script's marks per
question (numbers and credited points), its times, and the IQA's decisions about
the marking (which name scripts by their blind script number, not the learner).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marker_tui.storage.database import Database, now_text, parse_instant, placeholders

#: The protections lifted for the length of one erasure (and only those).
LIFTED = ("audit_log_no_update", "answers_frozen_after_submission_update",
          "answer_versions_thinned_by_rule_only", "mark_versions_no_update",
          # A finished review of marking keeps its decisions, but not the learner's words (m0012).
          "marking_reviews_frozen", "marking_review_questions_frozen_update")

ERASED_NAME = "Erased learner"


def _lifted(db: Database) -> list[str]:
    rows = db.execute(f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({placeholders(LIFTED)})",
                      list(LIFTED)).fetchall()
    for name in LIFTED:
        db.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    return [r[0] for r in rows]


def _naming(number: str, name: str) -> re.Pattern[str]:
    """The learner's number as a whole token, or their full name (any case)."""
    parts = [rf"(?<![\w-]){re.escape(number)}(?![\w-])"] + ([re.escape(name)] if name.strip() else [])
    return re.compile("|".join(parts), re.IGNORECASE)


def _scrub(value: Any, naming: re.Pattern[str], number: str, pseudonym: str) -> Any:
    """``value`` (from an entry's details) with every string naming the learner replaced."""
    if isinstance(value, dict):
        return {k: _scrub(v, naming, number, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, naming, number, pseudonym) for v in value]
    if isinstance(value, str) and naming.search(value):
        return pseudonym if value.strip().lower() == number.lower() else "(erased)"
    return value


def erase_learner(db: Database, *, candidate_id: int, number: str, name: str, pseudonym: str,
                  at: datetime) -> tuple[list[int], dict[str, int]]:
    """Erase the learner's personal data; returns (audit entry ids overwritten, rows changed per table).

    Must run inside a write transaction, before the erasure's own audit entry is written.
    """
    triggers = _lifted(db)
    changed: dict[str, int] = {}
    script_ids = [r[0] for r in db.execute("SELECT id FROM scripts WHERE candidate_id = ?", [candidate_id])]
    marks = placeholders(script_ids) if script_ids else "NULL"

    def run(table: str, sql: str, params: list[Any]) -> None:
        changed[table] = changed.get(table, 0) + db.execute(sql, params).rowcount

    run("candidates", "UPDATE candidates SET candidate_number = ?, name = ?, access_arrangements = '', "
        "extra_time_percent = 0, updated_at = ? WHERE id = ?", [pseudonym, ERASED_NAME, now_text(at), candidate_id])
    if script_ids:
        run("answers", f"UPDATE answers SET text = '' WHERE script_id IN ({marks})", script_ids)
        run("answer_versions", f"DELETE FROM answer_versions WHERE script_id IN ({marks})", script_ids)
        run("marks", f"UPDATE marks SET comment = '' WHERE script_id IN ({marks}) AND comment <> ''", script_ids)
        run("mark_versions", f"UPDATE mark_versions SET comment = '', reason = NULL WHERE script_id IN ({marks}) "
            "AND (coalesce(comment, '') <> '' OR reason IS NOT NULL)", script_ids)
        run("script_marking", f"UPDATE script_marking SET overall_feedback = NULL, next_steps = NULL "
            f"WHERE script_id IN ({marks})", script_ids)
        for table in ("mark_drafts", "admission_keycodes", "script_leases", "takeover_requests"):
            run(table, f"DELETE FROM {table} WHERE script_id IN ({marks})", script_ids)
        run("pauses", f"UPDATE pauses SET reason = '(erased)', resume_reason = NULL WHERE script_id IN ({marks})",
            script_ids)
        run("extensions", f"UPDATE extensions SET reason = '(erased)' WHERE script_id IN ({marks})", script_ids)
        run("marking_reviews", f"UPDATE marking_reviews SET reason = '(erased)' WHERE script_id IN ({marks})",
            script_ids)
        run("marking_review_questions", "UPDATE marking_review_questions SET reason = '(erased)' WHERE review_id IN"
            f" (SELECT id FROM marking_reviews WHERE script_id IN ({marks}))", script_ids)
    erased = _erase_from_audit_log(db, number=number, name=name, pseudonym=pseudonym, script_ids=script_ids)
    changed["audit_log"] = len(erased)
    for sql in triggers:
        db.execute(sql)
    return erased, {k: v for k, v in changed.items() if v}


def _erase_from_audit_log(db: Database, *, number: str, name: str, pseudonym: str,
                          script_ids: list[int]) -> list[int]:
    """Overwrite, keeping their digests and links, the entries about the learner or naming them."""
    from marker_tui.domain.audit_chain import ERASED

    naming = _naming(number, name)
    about = {r[0] for r in db.execute(
        "SELECT id FROM audit_log WHERE candidate_number = ? COLLATE NOCASE"
        + (f" OR script_id IN ({placeholders(script_ids)})" if script_ids else ""),
        [number, *script_ids])}
    erased = []
    for entry_id, actor, candidate_number, details, action in db.execute(
            "SELECT id, actor, candidate_number, details, action FROM audit_log ORDER BY id").fetchall():
        if action == ERASED:
            continue  # an earlier erasure's own record stays exactly as written
        mentions = bool(naming.search(details or "") or naming.search(actor))
        if entry_id not in about and not mentions:
            continue
        if entry_id in about:
            new_details = {"erased": "personal data erased"}
        else:
            new_details = _scrub(json.loads(details or "{}"), naming, number, pseudonym)
        new_actor = f"candidate {pseudonym}" if actor.lower() == f"candidate {number.lower()}" else (
            "(erased)" if naming.search(actor) else actor)
        new_number = pseudonym if (candidate_number or "").lower() == number.lower() else candidate_number
        db.execute("UPDATE audit_log SET actor = ?, candidate_number = ?, details = ? WHERE id = ?",
                   [new_actor, new_number, json.dumps(new_details, ensure_ascii=False, sort_keys=True), entry_id])
        erased.append(entry_id)
    return erased


@dataclass(frozen=True, slots=True)
class RetentionRow:
    """A candidate with one sitting they were enrolled in (sitting fields None when they sat none)."""

    candidate_id: int
    candidate_number: str
    name: str
    created_at: datetime | None
    qualification: str | None
    state: str | None
    ended_at: datetime | None
    code: str | None


def retention_rows(db: Database) -> list[RetentionRow]:
    """Each candidate with the qualifications they sat and when each of those sittings ended."""
    rows = db.execute(
        "SELECT c.id, c.candidate_number, c.name, c.created_at, p.qualification, t.state, t.ended_at, t.code "
        "FROM candidates c LEFT JOIN scripts s ON s.candidate_id = c.id "
        "LEFT JOIN sittings t ON t.id = s.sitting_id LEFT JOIN papers p ON p.id = t.paper_id "
        "ORDER BY c.candidate_number, t.ended_at").fetchall()
    return [RetentionRow(cid, number, name, parse_instant(created), qualification, state, parse_instant(ended), code)
            for cid, number, name, created, qualification, state, ended, code in rows]
