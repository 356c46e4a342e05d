"""IQA records as stored: sampling plans, their scripts, reviews and decisions, action points,
blind second marking, tolerances and sign-off; and the reads agreement is computed from.

Every function runs inside the caller's transaction. A scope is one sitting (``sitting_id``) or a
unit across its sittings (``sitting_id`` None, ``qualification`` and ``unit``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from marker_tui.storage.database import Database, first_if_table, id_chunks, now_text, parse_instant, placeholders



def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)  # as plans have always been stored


class ScopeKey(Protocol):
    """What names a scope: a sitting, or (no sitting) a unit of a qualification."""

    @property
    def sitting_id(self) -> int | None: ...
    @property
    def qualification(self) -> str: ...
    @property
    def unit(self) -> str: ...


def _scope_where(scope: ScopeKey, alias: str = "si") -> tuple[str, list[Any]]:
    if scope.sitting_id is not None:
        return f"{alias}.id = ?", [scope.sitting_id]
    return (f"{alias}.paper_id IN (SELECT id FROM papers WHERE qualification = ? AND unit = ?)",
            [scope.qualification, scope.unit])


def _plan_where(scope: ScopeKey) -> tuple[str, list[Any]]:
    if scope.sitting_id is not None:
        return "p.sitting_id = ?", [scope.sitting_id]
    return "p.sitting_id IS NULL AND p.qualification = ? AND p.unit = ?", [scope.qualification, scope.unit]


# --- scope ---------------------------------------------------------------------------------------


def unit_sitting_codes(db: Database, qualification: str, unit: str) -> list[str]:
    """The codes of every sitting of a unit (any spelling of its case), oldest first."""
    return [r[0] for r in db.execute(
        "SELECT si.code FROM sittings si JOIN papers p ON p.id = si.paper_id"
        " WHERE p.qualification = ? COLLATE NOCASE AND p.unit = ? COLLATE NOCASE ORDER BY si.id",
        [qualification, unit])]


@dataclass(frozen=True, slots=True)
class StoredUnit:
    """A unit of a qualification, spelled as the papers store it."""

    qualification: str
    unit: str


def unit_as_stored(db: Database, qualification: str, unit: str) -> StoredUnit | None:
    """The unit spelled as the papers store it (any case typed), or None."""
    row = db.execute("SELECT qualification, unit FROM papers WHERE qualification = ? COLLATE NOCASE"
                     " AND unit = ? COLLATE NOCASE LIMIT 1", [qualification, unit]).fetchone()
    return StoredUnit(row[0], row[1]) if row else None


@dataclass(frozen=True, slots=True)
class PaperSat:
    """One paper version sat in a scope."""

    paper_id: int
    version: str


def scope_papers(db: Database, scope: ScopeKey) -> list[PaperSat]:
    """Every paper version sat in the scope, oldest first."""
    where, params = _scope_where(scope)
    return [PaperSat(r[0], r[1]) for r in db.execute(
        f"SELECT DISTINCT p.id, p.version FROM sittings si JOIN papers p ON p.id = si.paper_id WHERE {where}"
        " ORDER BY p.id", params)]


@dataclass(frozen=True, slots=True)
class IqaScript:
    """A script as IQA names it: its sitting, paper and candidate number."""

    id: int
    sitting_id: int
    script_number: str
    finish: str | None
    candidate_number: str
    code: str
    paper_id: int


def script(db: Database, script_id: int) -> IqaScript | None:
    row = db.execute(
        "SELECT s.id, s.sitting_id, s.script_number, s.finish, c.candidate_number, si.code, si.paper_id"
        " FROM scripts s JOIN candidates c ON c.id = s.candidate_id JOIN sittings si ON si.id = s.sitting_id"
        " WHERE s.id = ?", [script_id]).fetchone()
    return IqaScript(*row) if row else None


def script_paper_ids(db: Database, script_ids: Sequence[int]) -> dict[int, int]:
    """The paper each script was sat on."""
    out: dict[int, int] = {}
    for chunk in id_chunks(script_ids):
        for script_id, paper_id in db.execute(
                "SELECT s.id, si.paper_id FROM scripts s JOIN sittings si ON si.id = s.sitting_id"
                f" WHERE s.id IN ({placeholders(chunk)})", chunk):
            out[script_id] = paper_id
    return out


@dataclass(frozen=True, slots=True)
class ScopeScript:
    """A handed-in script of the scope, and whether its marker has marked it complete."""

    id: int
    script_number: str
    sitting_id: int
    code: str
    paper_id: int
    candidate_number: str
    completed_at: datetime | None


def scope_scripts(db: Database, scope: ScopeKey, finishes: Sequence[str]) -> list[ScopeScript]:
    """The scope's scripts that finished one of ``finishes``, by sitting then script number."""
    where, params = _scope_where(scope)
    return [ScopeScript(*r[:6], parse_instant(r[6])) for r in db.execute(
        "SELECT s.id, s.script_number, s.sitting_id, si.code, si.paper_id, c.candidate_number,"
        " sm.completed_at FROM scripts s JOIN sittings si ON si.id = s.sitting_id"
        " JOIN candidates c ON c.id = s.candidate_id LEFT JOIN script_marking sm ON sm.script_id = s.id"
        f" WHERE {where} AND s.finish IN ({placeholders(finishes)}) ORDER BY si.id, s.script_number",
        [*params, *finishes])]


@dataclass(frozen=True, slots=True)
class SampleableSitting:
    """A sitting with scripts marked complete, so there is something to sample."""

    code: str
    marked_complete: int
    handed_in: int


def sampleable_sittings(db: Database, finishes: Sequence[str]) -> list[SampleableSitting]:
    """Every sitting with scripts marked complete, newest first."""
    return [SampleableSitting(r[0], r[1], r[2]) for r in db.execute(
        "SELECT si.code, sum(sm.completed_at IS NOT NULL), count(s.id) FROM sittings si"
        " JOIN scripts s ON s.sitting_id = si.id LEFT JOIN script_marking sm ON sm.script_id = s.id"
        f" WHERE s.finish IN ({placeholders(finishes)}) GROUP BY si.id ORDER BY si.id DESC", list(finishes))
        if r[1]]


# --- plans ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """A sampling plan as drawn (JSON columns as stored: the domain models read them)."""

    id: int
    sitting_id: int | None
    qualification: str | None
    unit: str | None
    reviewer_id: int
    reviewer: str
    strategy_json: str
    strategy_text: str
    seed: int
    seed_source: str
    inputs_json: str
    plan_json: str
    scripts_marked: int
    created_at: datetime
    created_by: int
    creator: str
    reason: str | None
    superseded_at: datetime | None
    superseded_by: int | None


_PLAN = ("SELECT p.id, p.sitting_id, p.qualification, p.unit, p.reviewer_id, rv.name, p.strategy_json,"
         " p.strategy_text, p.seed, p.seed_source, p.inputs_json, p.plan_json, p.scripts_marked, p.created_at,"
         " p.created_by, cr.name, p.reason, p.superseded_at, p.superseded_by")
_PLAN_FROM = " FROM iqa_plans p JOIN staff rv ON rv.id = p.reviewer_id JOIN staff cr ON cr.id = p.created_by"


def _plan(row: Sequence[Any]) -> StoredPlan:
    values = list(row[:19])
    values[13] = parse_instant(values[13])
    values[17] = parse_instant(values[17])
    return StoredPlan(*values)


def plan(db: Database, plan_id: int) -> StoredPlan | None:
    row = db.execute(_PLAN + _PLAN_FROM + " WHERE p.id = ?", [plan_id]).fetchone()
    return _plan(row) if row else None


def current_plan(db: Database, scope: ScopeKey, reviewer_id: int) -> StoredPlan | None:
    """The reviewer's plan for the scope that has not been superseded, if any."""
    where, params = _plan_where(scope)
    row = db.execute(_PLAN + _PLAN_FROM + f" WHERE {where} AND p.reviewer_id = ? AND p.superseded_at IS NULL",
                     [*params, reviewer_id]).fetchone()
    return _plan(row) if row else None


def current_plan_ids(db: Database, scope: ScopeKey) -> list[int]:
    """Every reviewer's current plan for the scope, in reviewer name order."""
    where, params = _plan_where(scope)
    return [r[0] for r in db.execute(
        f"SELECT p.id FROM iqa_plans p JOIN staff st ON st.id = p.reviewer_id WHERE {where}"
        " AND p.superseded_at IS NULL ORDER BY st.name", params)]


def reviewer_plan_ids(db: Database, reviewer_id: int) -> list[int]:
    """A reviewer's current plans, newest first."""
    return [r[0] for r in db.execute(
        "SELECT id FROM iqa_plans WHERE reviewer_id = ? AND superseded_at IS NULL ORDER BY id DESC", [reviewer_id])]


@dataclass(frozen=True, slots=True)
class PlanInHistory:
    """A plan ever drawn for a scope (current or superseded) and how many scripts it sampled."""

    plan: StoredPlan
    scripts: int


def plan_history(db: Database, scope: ScopeKey) -> list[PlanInHistory]:
    """Every plan ever drawn for the scope with its number of scripts, oldest first."""
    where, params = _plan_where(scope)
    return [PlanInHistory(_plan(r), r[19]) for r in db.execute(
        _PLAN + ", (SELECT count(*) FROM iqa_plan_scripts ps WHERE ps.plan_id = p.id)" + _PLAN_FROM
        + f" WHERE {where} ORDER BY p.id", params)]


@dataclass(frozen=True, slots=True)
class ReviewedUnderPlan:
    """A script of a plan whose review the reviewer has started (it is carried into a redrawn plan)."""

    script_id: int
    script_ref: str


def scripts_reviewed_under(db: Database, plan_id: int, reviewer_id: int) -> list[ReviewedUnderPlan]:
    """The plan's scripts whose review the reviewer has started."""
    return [ReviewedUnderPlan(r[0], r[1]) for r in db.execute(
        "SELECT DISTINCT r.script_id, ps.script_ref FROM iqa_reviews r JOIN iqa_plan_scripts ps"
        " ON ps.plan_id = ? AND ps.script_id = r.script_id WHERE r.reviewer_id = ?", [plan_id, reviewer_id])]


def next_plan_id(db: Database) -> int:
    return db.execute("SELECT coalesce(max(id), 0) + 1 FROM iqa_plans").fetchone()[0]


def supersede_plan(db: Database, plan_id: int, *, by_plan: int, at: datetime) -> None:
    """Mark a plan superseded by ``by_plan``, which the caller inserts later in this transaction."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    db.execute("UPDATE iqa_plans SET superseded_at = ?, superseded_by = ? WHERE id = ?",
               [now_text(at), by_plan, plan_id])


def insert_plan(db: Database, *, plan_id: int, sitting_id: int | None, qualification: str | None,
                unit: str | None, reviewer_id: int, strategy_json: str, strategy_text: str, seed: int,
                seed_source: str, inputs_json: str, plan_json: str, scripts_marked: int, at: datetime,
                by: int, reason: str | None) -> None:
    db.execute(
        "INSERT INTO iqa_plans (id, sitting_id, qualification, unit, reviewer_id, strategy_json,"
        " strategy_text, seed, seed_source, inputs_json, plan_json, scripts_marked, created_at, created_by,"
        " reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [plan_id, sitting_id, qualification, unit, reviewer_id, strategy_json, strategy_text, seed, seed_source,
         inputs_json, plan_json, scripts_marked, now_text(at), by, reason])


def insert_plan_script(db: Database, *, plan_id: int, script_id: int, ref: str, reasons: Sequence[str],
                       markers: Iterable[str], total: int | None, pass_mark: int, status: str, by: int,
                       at: datetime) -> None:
    db.execute(
        "INSERT INTO iqa_plan_scripts (plan_id, script_id, script_ref, reasons, markers, total, pass_mark,"
        " status, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [plan_id, script_id, ref, _json(list(reasons)), _json(list(markers)), total, pass_mark, status,
         now_text(at), by])


def plan_has_script(db: Database, plan_id: int, script_id: int) -> bool:
    return db.execute("SELECT 1 FROM iqa_plan_scripts WHERE plan_id = ? AND script_id = ?",
                      [plan_id, script_id]).fetchone() is not None


@dataclass(frozen=True, slots=True)
class StoredPlanScript:
    """A sampled script as it was when sampled, with its sitting and candidate."""

    script_id: int
    script_ref: str
    reasons: tuple[str, ...]
    markers: tuple[str, ...]
    total: int | None
    pass_mark: int
    status: str
    script_number: str
    code: str
    candidate_number: str


def plan_scripts(db: Database, plan_id: int) -> list[StoredPlanScript]:
    """The plan's scripts (in no particular order)."""
    return [StoredPlanScript(r[0], r[1], tuple(json.loads(r[2])), tuple(json.loads(r[3])), *r[4:])
            for r in db.execute(
                "SELECT ps.script_id, ps.script_ref, ps.reasons, ps.markers, ps.total, ps.pass_mark, ps.status,"
                " s.script_number, si.code, c.candidate_number FROM iqa_plan_scripts ps"
                " JOIN scripts s ON s.id = ps.script_id JOIN sittings si ON si.id = s.sitting_id"
                " JOIN candidates c ON c.id = s.candidate_id WHERE ps.plan_id = ?", [plan_id])]


@dataclass(frozen=True, slots=True)
class PlanHolding:
    """The plan a script is sampled in, and why it was sampled."""

    plan_id: int
    reasons: tuple[str, ...]


def reviewer_plan_holding(db: Database, reviewer_id: int, script_id: int) -> PlanHolding | None:
    """The reviewer's newest current plan holding the script, if any."""
    row = db.execute(
        "SELECT p.id, ps.reasons FROM iqa_plans p JOIN iqa_plan_scripts ps ON ps.plan_id = p.id"
        " WHERE p.reviewer_id = ? AND p.superseded_at IS NULL AND ps.script_id = ? ORDER BY p.id DESC",
        [reviewer_id, script_id]).fetchone()
    return PlanHolding(row[0], tuple(json.loads(row[1]))) if row else None


def current_plan_holding(db: Database, script_id: int) -> int | None:
    """The newest current plan (any reviewer's) that samples the script."""
    row = db.execute("SELECT ps.plan_id FROM iqa_plan_scripts ps JOIN iqa_plans p ON p.id = ps.plan_id"
                     " WHERE ps.script_id = ? AND p.superseded_at IS NULL ORDER BY p.id DESC LIMIT 1",
                     [script_id]).fetchone()
    return row[0] if row else None


@dataclass(frozen=True, slots=True)
class StoredSignOff:
    reviewer: str
    signed_at: datetime
    statement: str | None


def sign_off(db: Database, plan_id: int) -> StoredSignOff | None:
    row = db.execute("SELECT st.name, so.signed_at, so.statement FROM iqa_sign_off so JOIN staff st"
                     " ON st.id = so.reviewer_id WHERE so.plan_id = ?", [plan_id]).fetchone()
    return StoredSignOff(row[0], parse_instant(row[1]), row[2]) if row else None


def insert_sign_off(db: Database, plan_id: int, reviewer_id: int, *, at: datetime, statement: str | None) -> None:
    db.execute("INSERT INTO iqa_sign_off (plan_id, reviewer_id, signed_at, statement) VALUES (?, ?, ?, ?)",
               [plan_id, reviewer_id, now_text(at), statement])


# --- action points -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredActionPoint:
    id: int
    text: str
    owner: str | None
    due: date | None
    script_number: str | None
    added_by: str
    added_at: datetime


def action_points(db: Database, *, plan_id: int | None = None, review_id: int | None = None) -> list[StoredActionPoint]:
    """A review's action points (``review_id``), or a plan's for the whole sample (``plan_id``)."""
    if review_id is not None:
        where, params = "ap.review_id = ?", [review_id]
    else:
        where, params = "ap.plan_id = ? AND ap.review_id IS NULL", [plan_id]
    return [StoredActionPoint(r[0], r[1], r[2], date.fromisoformat(r[3]) if r[3] else None, r[4], r[5],
                              parse_instant(r[6]))
            for r in db.execute(
                "SELECT ap.id, ap.text, ap.owner, ap.due, s.script_number, st.name, ap.added_at"
                " FROM iqa_action_points ap JOIN staff st ON st.id = ap.added_by"
                " LEFT JOIN iqa_reviews r ON r.id = ap.review_id LEFT JOIN scripts s ON s.id = r.script_id"
                f" WHERE {where} ORDER BY ap.id", params)]


def insert_action_point(db: Database, *, plan_id: int, review_id: int | None, text: str, owner: str | None,
                        due: date | None, by: int, at: datetime) -> None:
    db.execute("INSERT INTO iqa_action_points (plan_id, review_id, text, owner, due, added_by, added_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)",
               [plan_id, review_id, text, owner, due.isoformat() if due else None, by, now_text(at)])


def delete_review_action_points(db: Database, review_id: int) -> None:
    db.execute("DELETE FROM iqa_action_points WHERE review_id = ?", [review_id])


# --- reviews -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredReview:
    """One round of one reviewer's review of one script."""

    id: int
    plan_id: int
    script_id: int
    reviewer_id: int
    round: int
    state: str
    decision: str | None
    decision_reason: str | None
    feedback_to_marker: str | None
    started_at: datetime
    decided_at: datetime | None
    confirmed_at: datetime | None


_REVIEW = ("SELECT id, plan_id, script_id, reviewer_id, round, state, decision, decision_reason,"
           " feedback_to_marker, started_at, decided_at, confirmed_at FROM iqa_reviews")


def _review(row: Sequence[Any]) -> StoredReview:
    return StoredReview(*row[:9], parse_instant(row[9]), parse_instant(row[10]), parse_instant(row[11]))


def review(db: Database, review_id: int) -> StoredReview | None:
    row = db.execute(_REVIEW + " WHERE id = ?", [review_id]).fetchone()
    return _review(row) if row else None


def reviews_of(db: Database, script_id: int, reviewer_id: int) -> list[StoredReview]:
    """Every round of the reviewer's review of the script, first round first."""
    return [_review(r) for r in db.execute(_REVIEW + " WHERE script_id = ? AND reviewer_id = ? ORDER BY round",
                                           [script_id, reviewer_id])]


def latest_review(db: Database, script_id: int, reviewer_id: int) -> StoredReview | None:
    row = db.execute(_REVIEW + " WHERE script_id = ? AND reviewer_id = ? ORDER BY round DESC LIMIT 1",
                     [script_id, reviewer_id]).fetchone()
    return _review(row) if row else None


def latest_reviews(db: Database, script_ids: Sequence[int], reviewer_id: int) -> dict[int, StoredReview]:
    """The reviewer's latest round for each script that has one."""
    out: dict[int, StoredReview] = {}
    for chunk in id_chunks(script_ids):
        for r in db.execute(_REVIEW + f" WHERE reviewer_id = ? AND script_id IN ({placeholders(chunk)}) ORDER BY round",
                            [reviewer_id, *chunk]):
            out[r[2]] = _review(r)
    return out


def has_review(db: Database, script_id: int, reviewer_id: int) -> bool:
    """Whether the person has opened a review of the script (and so has seen its marks)."""
    return db.execute("SELECT 1 FROM iqa_reviews WHERE script_id = ? AND reviewer_id = ?",
                      [script_id, reviewer_id]).fetchone() is not None


def start_review(db: Database, *, plan_id: int, script_id: int, reviewer_id: int, round: int,
                 at: datetime) -> int:
    return db.execute(
        "INSERT INTO iqa_reviews (plan_id, script_id, reviewer_id, round, state, started_at)"
        " VALUES (?, ?, ?, ?, 'in progress', ?)", [plan_id, script_id, reviewer_id, round, now_text(at)]).lastrowid


def withdraw_decision(db: Database, review_id: int) -> None:
    db.execute("UPDATE iqa_reviews SET state = 'in progress', decision = NULL, decided_at = NULL WHERE id = ?",
               [review_id])


def record_decision(db: Database, review_id: int, *, decision: str, reason: str | None, feedback: str | None,
                    at: datetime) -> None:
    db.execute("UPDATE iqa_reviews SET state = 'awaiting confirmation', decision = ?, decision_reason = ?,"
               " feedback_to_marker = ?, decided_at = ? WHERE id = ?",
               [decision, reason, feedback, now_text(at), review_id])


def confirm_review(db: Database, review_id: int, *, at: datetime) -> None:
    db.execute("UPDATE iqa_reviews SET state = 'confirmed', confirmed_at = ? WHERE id = ?",
               [now_text(at), review_id])


@dataclass(frozen=True, slots=True)
class StoredJudgement:
    """The reviewer's judgement of one question: the mark they saw, and agree or their own mark."""

    question_id: str
    marker_mark: int
    marker: str
    mark_version: int
    agree: bool
    reviewer_mark: int | None
    reason: str | None
    recorded_at: datetime


def judgements(db: Database, review_id: int) -> list[StoredJudgement]:
    return [StoredJudgement(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], parse_instant(r[7]))
            for r in db.execute(
                "SELECT qr.question_id, qr.marker_mark, st.name, qr.mark_version, qr.agree, qr.reviewer_mark,"
                " qr.reason, qr.recorded_at FROM iqa_question_reviews qr JOIN staff st ON st.id = qr.marker_id"
                " WHERE qr.review_id = ?", [review_id])]


def save_judgement(db: Database, review_id: int, question_id: str, *, marker_mark: int, marker_id: int,
                   mark_version: int, agree: bool, reviewer_mark: int | None, reason: str | None,
                   at: datetime) -> None:
    """Record (or replace) the judgement of one question in a review round."""
    db.execute(
        "INSERT INTO iqa_question_reviews (review_id, question_id, marker_mark, marker_id, mark_version,"
        " agree, reviewer_mark, reason, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (review_id, question_id) DO UPDATE SET marker_mark = excluded.marker_mark,"
        " marker_id = excluded.marker_id, mark_version = excluded.mark_version, agree = excluded.agree,"
        " reviewer_mark = excluded.reviewer_mark, reason = excluded.reason, recorded_at = excluded.recorded_at",
        [review_id, question_id, marker_mark, marker_id, mark_version, int(agree), reviewer_mark, reason,
         now_text(at)])


def judged_questions(db: Database) -> set[tuple[int, str]]:
    """(script id, question id) of every question any reviewer has judged."""
    return {(r[0], r[1]) for r in db.execute(
        "SELECT rv.script_id, qr.question_id FROM iqa_question_reviews qr JOIN iqa_reviews rv ON rv.id = qr.review_id")}


@dataclass(frozen=True, slots=True)
class ReviewedScript:
    """A script of the scope that a reviewer has reviewed (one row per script and reviewer)."""

    script_id: int
    reviewer_id: int
    reviewer: str
    script_number: str
    code: str
    paper_id: int
    candidate_number: str
    candidate_name: str


def reviewed_scripts(db: Database, scope: ScopeKey) -> list[ReviewedScript]:
    where, params = _scope_where(scope)
    return [ReviewedScript(*r) for r in db.execute(
        "SELECT DISTINCT rv.script_id, rv.reviewer_id, st.name, s.script_number, si.code,"
        " si.paper_id, c.candidate_number, c.name FROM iqa_reviews rv JOIN scripts s ON s.id = rv.script_id"
        " JOIN sittings si ON si.id = s.sitting_id JOIN candidates c ON c.id = s.candidate_id"
        f" JOIN staff st ON st.id = rv.reviewer_id WHERE {where}", params)]


@dataclass(frozen=True, slots=True)
class SettlingDecision:
    """The IQA decision that settled a script's marks: upheld, or adjusted, and confirmed."""

    decision: str
    reviewer: str
    confirmed_at: datetime


def settling_decision(db: Database, script_id: int) -> SettlingDecision | None:
    """The latest confirmed IQA decision on the script, if it settles the marks (not a referral back)."""
    latest = first_if_table(
        db, "SELECT r.decision, st.name, r.confirmed_at FROM iqa_reviews r JOIN staff st ON st.id = r.reviewer_id"
            " WHERE r.script_id = ? AND r.state = 'confirmed' ORDER BY r.confirmed_at DESC, r.id DESC LIMIT 1",
        [script_id], lambda row: SettlingDecision(row[0], row[1], parse_instant(row[2])))
    return None if latest is None or latest.decision == "refer back to marker" else latest


def confirmed_reviews(db: Database, script_ids: Sequence[int]) -> dict[tuple[int, str], datetime]:
    """When each reviewer confirmed their review of each script: {(script id, reviewer): at}."""
    out: dict[tuple[int, str], datetime] = {}
    for chunk in id_chunks(script_ids):
        for script_id, name, at in db.execute(
                "SELECT r.script_id, st.name, r.confirmed_at FROM iqa_reviews r JOIN staff st ON st.id = r.reviewer_id"
                f" WHERE r.state = 'confirmed' AND r.script_id IN ({placeholders(chunk)}) ORDER BY r.round",
                chunk):
            out[(script_id, name)] = parse_instant(at)
    return out


# --- blind second marking ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredSecondMarking:
    """A script given to a second marker for a blind second mark."""

    id: int
    plan_id: int
    script_id: int
    second_marker_id: int
    second_marker: str
    assigned_at: datetime
    completed_at: datetime | None


_SECOND = ("SELECT sm.id, sm.plan_id, sm.script_id, sm.second_marker_id, st.name, sm.assigned_at, sm.completed_at"
           " FROM iqa_second_markings sm JOIN staff st ON st.id = sm.second_marker_id")


def _second(row: Sequence[Any]) -> StoredSecondMarking:
    return StoredSecondMarking(*row[:5], parse_instant(row[5]), parse_instant(row[6]))


def second_markings_of(db: Database, script_ids: Sequence[int]) -> dict[int, StoredSecondMarking]:
    """Each script's (newest) second marking, if it has one."""
    out: dict[int, StoredSecondMarking] = {}
    for chunk in id_chunks(script_ids):
        rows = [_second(r) for r in db.execute(_SECOND + f" WHERE sm.script_id IN ({placeholders(chunk)})", chunk)]
        for r in sorted(rows, key=lambda m: m.id):
            out[r.script_id] = r
    return out


def second_marking(db: Database, script_id: int, second_marker_id: int) -> StoredSecondMarking | None:
    row = db.execute(_SECOND + " WHERE sm.script_id = ? AND sm.second_marker_id = ?",
                     [script_id, second_marker_id]).fetchone()
    return _second(row) if row else None


def completed_second_marking(db: Database, script_id: int) -> StoredSecondMarking | None:
    """The script's newest completed second marking."""
    row = db.execute(_SECOND + " WHERE sm.script_id = ? AND sm.completed_at IS NOT NULL ORDER BY sm.id DESC LIMIT 1",
                     [script_id]).fetchone()
    return _second(row) if row else None


def second_marker_holding(db: Database, script_id: int) -> str | None:
    """Who the script is given to for second marking, if anyone."""
    row = db.execute(_SECOND + " WHERE sm.script_id = ? ORDER BY sm.id LIMIT 1", [script_id]).fetchone()
    return row[4] if row else None


def assign_second_marker(db: Database, *, plan_id: int, script_id: int, second_marker_id: int, by: int,
                         at: datetime) -> int:
    return db.execute("INSERT INTO iqa_second_markings (plan_id, script_id, second_marker_id, assigned_by,"
                      " assigned_at) VALUES (?, ?, ?, ?, ?)",
                      [plan_id, script_id, second_marker_id, by, now_text(at)]).lastrowid


def complete_second_marking(db: Database, script_id: int, second_marker_id: int, *, at: datetime) -> None:
    db.execute("UPDATE iqa_second_markings SET completed_at = ? WHERE script_id = ? AND second_marker_id = ?",
               [now_text(at), script_id, second_marker_id])


def second_marks(db: Database, second_marking_id: int) -> dict[str, int]:
    """The blind second marks given so far, by question id."""
    return {q: m for q, m in db.execute(
        "SELECT question_id, marks FROM iqa_second_marks WHERE second_marking_id = ?", [second_marking_id])}


def save_second_mark(db: Database, second_marking_id: int, question_id: str, marks: int, *, at: datetime) -> None:
    db.execute("INSERT INTO iqa_second_marks (second_marking_id, question_id, marks, recorded_at)"
               " VALUES (?, ?, ?, ?) ON CONFLICT (second_marking_id, question_id) DO UPDATE SET"
               " marks = excluded.marks, recorded_at = excluded.recorded_at",
               [second_marking_id, question_id, marks, now_text(at)])


@dataclass(frozen=True, slots=True)
class SecondMarkingListed:
    """A second marking as listed: script, who, who gave it, how many questions are marked."""

    script_id: int
    script_number: str
    code: str
    paper_id: int
    second_marker: str
    assigned_by: str
    assigned_at: datetime
    questions_marked: int
    completed_at: datetime | None


def _second_list(db: Database, where: str, params: list[Any]) -> list[SecondMarkingListed]:
    return [SecondMarkingListed(*r[:6], parse_instant(r[6]), r[7], parse_instant(r[8])) for r in db.execute(
        "SELECT sm.script_id, s.script_number, si.code, si.paper_id, st.name, ab.name, sm.assigned_at,"
        " (SELECT count(*) FROM iqa_second_marks m WHERE m.second_marking_id = sm.id), sm.completed_at"
        " FROM iqa_second_markings sm JOIN scripts s ON s.id = sm.script_id JOIN sittings si"
        " ON si.id = s.sitting_id JOIN staff st ON st.id = sm.second_marker_id JOIN staff ab"
        f" ON ab.id = sm.assigned_by WHERE {where} ORDER BY si.id, s.script_number", params)]


def listed_second_marking(db: Database, second_marking_id: int) -> list[SecondMarkingListed]:
    return _second_list(db, "sm.id = ?", [second_marking_id])


def second_markings_given_to(db: Database, second_marker_id: int) -> list[SecondMarkingListed]:
    return _second_list(db, "sm.second_marker_id = ?", [second_marker_id])


def second_markings_in(db: Database, scope: ScopeKey) -> list[SecondMarkingListed]:
    return _second_list(db, *_scope_where(scope))


# --- tolerances and agreement --------------------------------------------------------------------


def tolerances(db: Database, paper_id: int) -> dict[str, int]:
    """Tolerance per question of a paper version (questions not listed: 0)."""
    return {q: t for q, t in db.execute("SELECT question_id, tolerance FROM iqa_tolerances WHERE paper_id = ?",
                                        [paper_id])}


def set_tolerance(db: Database, paper_id: int, question_id: str, tolerance: int, *, by: int, at: datetime) -> None:
    db.execute("INSERT INTO iqa_tolerances (paper_id, question_id, tolerance, set_by, set_at)"
               " VALUES (?, ?, ?, ?, ?) ON CONFLICT (paper_id, question_id) DO UPDATE SET"
               " tolerance = excluded.tolerance, set_by = excluded.set_by, set_at = excluded.set_at",
               [paper_id, question_id, tolerance, by, now_text(at)])


@dataclass(frozen=True, slots=True)
class FirstRoundJudgement:
    """A question judged in the first round of a review: the marker's mark against the reviewer's view."""

    question_id: str
    marker_mark: int
    agree: bool
    reviewer_mark: int | None
    marker: str
    script_number: str
    code: str
    paper_id: int


def first_round_judgements(db: Database, scope: ScopeKey) -> list[FirstRoundJudgement]:
    """Every question judged in the first round of any review in the scope (the marking as first signed off)."""
    where, params = _scope_where(scope)
    return [FirstRoundJudgement(r[0], r[1], bool(r[2]), *r[3:]) for r in db.execute(
        "SELECT qr.question_id, qr.marker_mark, qr.agree, qr.reviewer_mark, st.name, s.script_number, si.code,"
        " si.paper_id FROM iqa_question_reviews qr JOIN iqa_reviews rv ON rv.id = qr.review_id"
        " JOIN scripts s ON s.id = rv.script_id JOIN sittings si ON si.id = s.sitting_id"
        f" JOIN staff st ON st.id = qr.marker_id WHERE rv.round = 1 AND {where}", params)]


@dataclass(frozen=True, slots=True)
class CompletedSecondMark:
    """One blind second mark from a completed second marking."""

    question_id: str
    marks: int
    script_id: int
    second_marker: str
    script_number: str
    code: str
    paper_id: int


def completed_second_marks(db: Database, scope: ScopeKey) -> list[CompletedSecondMark]:
    """Every blind second mark of a completed second marking in the scope."""
    where, params = _scope_where(scope)
    return [CompletedSecondMark(*r) for r in db.execute(
        "SELECT m.question_id, m.marks, sm.script_id, st.name, s.script_number, si.code,"
        " si.paper_id FROM iqa_second_marks m JOIN iqa_second_markings sm ON sm.id = m.second_marking_id"
        " JOIN scripts s ON s.id = sm.script_id JOIN sittings si ON si.id = s.sitting_id"
        f" JOIN staff st ON st.id = sm.second_marker_id WHERE sm.completed_at IS NOT NULL AND {where}", params)]
