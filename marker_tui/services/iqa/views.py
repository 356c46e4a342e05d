"""IQA's read models (what screens, commands and exports are shown) and the one place they are built.

:class:`IqaViews` resolves a scope, caches papers and mark schemes, and builds
plan, review and blind second-marking views inside whatever read or write block
its caller holds (it takes the connection, never opens a transaction). The
other IQA services are handed it by ``Centre``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from marker_tui.domain.agreement import AgreementFigures, Discrepancy, MarkPair
from marker_tui.domain.marking import NOT_YET_MARKED, QuestionMark, ScriptResult, script_result
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.ordering import items_in_question_order
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.reports import ScriptDecision
from marker_tui.domain.sampling import (
    ExcludedScript,
    MarkedScript,
    MarkerCoverage,
    SamplingPlan,
    SamplingStrategy,
    natural_key,
    person_key,
)
from marker_tui.services.audit import Actor
from marker_tui.services.iqa.common import IqaError, refuse_own
from marker_tui.services.marking import MARKABLE_FINISHES, MarkingService, StoredMark
from marker_tui.services.papers import get_paper
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import Database
from marker_tui.storage.papers import latest_scheme, latest_scheme_id, paper_unit
from marker_tui.storage.sittings import no_such_sitting, sitting_by_code, sitting_by_id

ReviewState = Literal["not started", "in progress", "awaiting confirmation", "confirmed"]
Source = Literal["all", "iqa", "second"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


class Scope(_View):
    """One sitting, or a unit across its sittings."""

    sitting_id: int | None
    code: str | None
    qualification: str
    unit: str
    sitting_codes: tuple[str, ...]

    @property
    def is_unit(self) -> bool:
        return self.sitting_id is None

    @property
    def label(self) -> str:
        if self.code:
            return f"sitting {self.code}"
        n = len(self.sitting_codes)
        return f"unit {self.qualification}/{self.unit} ({n} sitting{'s' if n != 1 else ''})"

    @property
    def key(self) -> str:
        """What a user types for this scope: the sitting code or QUALIFICATION/UNIT."""
        return self.code or f"{self.qualification}/{self.unit}"


class ActionPointView(_View):
    id: int
    text: str
    owner: str | None
    due: date | None
    script_number: str | None
    added_by: str
    added_at: datetime


class ActionPointIn(_View):
    """An action point as given to :meth:`ReviewService.decide` or :meth:`ReviewService.add_action_point`."""

    text: str
    owner: str | None = None
    due: date | None = None


class PlanScript(_View):
    """One sampled script, why it is there, and how far its review has got."""

    script_id: int
    script_ref: str
    script_number: str
    sitting_code: str
    candidate_number: str
    markers: tuple[str, ...]
    total: int | None
    pass_mark: int
    status: str
    reasons: tuple[str, ...]
    review_state: ReviewState
    round: int | None
    decision: ScriptDecision | None
    second_marker: str | None
    second_marking_complete: bool
    reviewer_marked: bool = False
    """The reviewer has marked part of it since it was sampled: they cannot review it (another reviewer must)."""
    total_now: int | None = None
    """The total from the marks as they are now (an IQA adjustment changes it; ``total`` is as sampled)."""
    status_now: str | None = None


class SignOff(_View):
    reviewer: str
    signed_at: datetime
    statement: str | None


class PlanView(_View):
    id: int
    scope: Scope
    reviewer: str
    strategy: SamplingStrategy
    strategy_text: str
    seed: int
    seed_source: str
    scripts_marked: int
    created_at: datetime
    created_by: str
    reason: str | None
    superseded_at: datetime | None
    superseded_by: int | None
    scripts: tuple[PlanScript, ...]
    excluded: tuple[ExcludedScript, ...]
    coverage: tuple[MarkerCoverage, ...]
    notes: tuple[str, ...]
    action_points: tuple[ActionPointView, ...]
    sign_off: SignOff | None

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("not started", "in progress", "awaiting confirmation", "confirmed")}
        for script in self.scripts:
            out[script.review_state] += 1
        return out

    def script(self, script_id: int) -> PlanScript | None:
        return next((s for s in self.scripts if s.script_id == script_id), None)

    def by_number(self, number: str) -> list[PlanScript]:
        number = number.strip()
        return [s for s in self.scripts if number in (s.script_number, s.script_ref)]


class PlanSummary(_View):
    id: int
    scope_key: str
    reviewer: str
    seed: int
    created_at: datetime
    created_by: str
    reason: str | None
    superseded_at: datetime | None
    superseded_by: int | None
    scripts: int


class Reproduction(_View):
    """A stored plan drawn again from its own inputs and seed."""

    plan_id: int
    seed: int
    same: bool
    stored: tuple[str, ...]
    redrawn: tuple[str, ...]
    differences: tuple[str, ...]


class QuestionJudgement(_View):
    question_id: str
    marker_mark: int
    marker: str
    mark_version: int
    agree: bool
    reviewer_mark: int | None
    reason: str | None
    recorded_at: datetime
    stale: bool
    """The stored mark changed after the reviewer judged it: judge it again."""

    @property
    def final_mark(self) -> int:
        return self.marker_mark if self.agree or self.reviewer_mark is None else self.reviewer_mark


class MarkChange(_View):
    """A mark a confirmed "marks adjusted" decision changes (or changed)."""

    question_id: str
    max_marks: int
    old: int
    new: int
    reason: str


class ReviewRecord(_View):
    id: int
    plan_id: int
    round: int
    state: ReviewState
    decision: ScriptDecision | None
    decision_reason: str | None
    feedback_to_marker: str | None
    started_at: datetime
    decided_at: datetime | None
    confirmed_at: datetime | None
    questions: dict[str, QuestionJudgement]
    action_points: tuple[ActionPointView, ...]

    @property
    def differences(self) -> list[QuestionJudgement]:
        return [q for q in self.questions.values() if not q.agree]


class ReviewView(_View):
    """Everything the review screen shows for one sampled script."""

    script_id: int
    script_number: str
    sitting_code: str
    candidate_number: str
    reviewer: str
    plan_id: int
    reasons: tuple[str, ...]
    paper: QuestionPaper
    scheme: MarkScheme
    answers: dict[str, str]
    marks: dict[str, StoredMark]
    markers: tuple[str, ...]
    review: ReviewRecord | None
    earlier_rounds: tuple[ReviewRecord, ...]
    second_marker: str | None
    second_marks: dict[str, int]
    """A completed blind second marking's marks (empty if none)."""
    tolerances: dict[str, int]
    result_now: ScriptResult
    result_after: ScriptResult
    """The result if the reviewer's different marks were applied."""

    @property
    def state(self) -> ReviewState:
        return self.review.state if self.review else "not started"

    @property
    def unjudged(self) -> list[str]:
        done = self.review.questions if self.review else {}
        return [q.id for q in self.paper.questions if q.id not in done]

    @property
    def stale(self) -> list[str]:
        return [q.question_id for q in (self.review.questions.values() if self.review else ()) if q.stale]

    def pending_changes(self) -> list[MarkChange]:
        """What "marks adjusted" would apply: each different mark, old to new, with its reason."""
        if self.review is None:
            return []
        out = []
        for q in self.paper.questions:
            j = self.review.questions.get(q.id)
            if j is not None and not j.agree and j.reviewer_mark is not None:
                out.append(MarkChange(question_id=q.id, max_marks=q.marks, old=j.marker_mark,
                                      new=j.reviewer_mark, reason=j.reason or ""))
        return out

    @property
    def can_rereview(self) -> bool:
        return (self.review is not None and self.review.state == "confirmed"
                and self.review.decision is ScriptDecision.REFER_BACK)


class ReviewSummary(_View):
    """One review round of one script, for the IQA record (``ReviewService.reviews``)."""

    script_id: int
    script_ref: str
    sitting_code: str
    candidate_number: str
    candidate_name: str
    reviewer: str
    markers: tuple[str, ...]
    max_marks: dict[str, int]
    review: ReviewRecord


class Confirmation(_View):
    """What :meth:`ReviewService.confirm` did."""

    review: ReviewView
    decision: ScriptDecision
    applied: tuple[MarkChange, ...]
    total_before: int | None
    total_after: int | None


class BlindScript(_View):
    """A second marker's view: answers and mark scheme, their own marks, never the first marks."""

    script_id: int
    script_number: str
    sitting_code: str
    second_marker: str
    paper: QuestionPaper
    scheme: MarkScheme
    answers: dict[str, str]
    my_marks: dict[str, int]
    completed_at: datetime | None


class SecondMarkingRow(_View):
    script_id: int
    script_number: str
    sitting_code: str
    second_marker: str
    assigned_by: str
    assigned_at: datetime
    questions_marked: int
    questions_total: int
    completed_at: datetime | None


class AdjudicationItem(_View):
    discrepancy: Discrepancy
    script_id: int
    second_marker: str
    resolved_by_review: bool
    """The IQA review of the script has judged this question."""


class AgreementReport(_View):
    scope: Scope
    source: str
    pairs: tuple[MarkPair, ...]
    tolerance: dict[str, int]
    overall: AgreementFigures
    by_marker: dict[str, AgreementFigures]
    by_question: dict[str, AgreementFigures]


class ReviewerProgress(_View):
    plan: PlanView
    counts: dict[str, int]
    decisions: dict[str, int]


class IqaStatus(_View):
    scope: Scope
    plans: tuple[ReviewerProgress, ...]
    second_marking: tuple[SecondMarkingRow, ...]
    adjudication: tuple[AdjudicationItem, ...]
    agreement: AgreementReport



class IqaViews:
    """Builds the read models above on the connection it is given (inside the caller's block)."""

    def __init__(self, marking: MarkingService) -> None:
        self.marking = marking
        self._papers: dict[int, QuestionPaper] = {}
        self._schemes: dict[int, MarkScheme] = {}

    # == scope ======================================================================================

    def scope(self, db: Database, text: str) -> Scope:
        """A sitting code, or QUALIFICATION/UNIT for a unit across its sittings."""
        cleaned = (text or "").strip()
        if not cleaned:
            raise IqaError("Name a sitting code (e.g. 304-K7QM) or a unit as QUALIFICATION/UNIT (e.g. 3818-13/304).")
        if "/" in cleaned:
            qualification, _, unit = (p.strip() for p in cleaned.partition("/"))
            codes = iqa_store.unit_sitting_codes(db, qualification, unit)
            if not codes:
                raise IqaError(f"There is no sitting of unit {unit} of qualification {qualification}. "
                               "Write the unit as QUALIFICATION/UNIT, e.g. 3818-13/304.")
            stored = iqa_store.unit_as_stored(db, qualification, unit)
            assert stored is not None  # a unit with sittings has papers
            return Scope(sitting_id=None, code=None, qualification=stored.qualification, unit=stored.unit,
                         sitting_codes=tuple(codes))
        row = sitting_by_code(db, cleaned)
        if row is None:
            raise IqaError(no_such_sitting(cleaned)[:-1] + ", or name a unit as QUALIFICATION/UNIT.")
        qualification, unit = paper_unit(db, row.paper_id)
        return Scope(sitting_id=row.id, code=row.code, qualification=qualification, unit=unit,
                     sitting_codes=(row.code,))

    # == papers, scripts, markers =====================================================================

    def paper_scheme(self, db: Database, paper_id: int) -> tuple[QuestionPaper, MarkScheme]:
        if paper_id not in self._papers:
            self._papers[paper_id] = get_paper(db, paper_id).paper
        in_force = latest_scheme_id(db, paper_id)
        if in_force is None:
            paper = self._papers[paper_id]
            raise IqaError(f"No mark scheme is loaded for {paper.qualification} unit {paper.unit} version "
                           f"{paper.version}: scripts of it cannot be reviewed.")
        if in_force not in self._schemes:  # a corrected scheme is a new row: cached by row id
            self._schemes[in_force] = latest_scheme(db, paper_id).scheme
        return self._papers[paper_id], self._schemes[in_force]

    @staticmethod
    def script(db: Database, script_id: int) -> iqa_store.IqaScript:
        row = iqa_store.script(db, script_id)
        if row is None:
            raise IqaError(f"There is no script with id {script_id}.")
        return row

    @staticmethod
    def markers(db: Database, script_ids: Sequence[int]) -> dict[int, list[str]]:
        """Everyone who gave any mark to each script, at any time, other than as an IQA adjustment.

        An imported mark counts for both the importer (who entered it, signed in)
        and the paper marker the file named: neither may review that script.
        """
        return mark_store.everyone_who_marked(db, script_ids)

    @staticmethod
    def given(marks: dict[str, mark_store.ScriptMark]) -> dict[str, QuestionMark]:
        return {q: QuestionMark.model_construct(question_id=q, marks_awarded=m.marks_awarded,
                                                credited_points=m.credited_points, comment=m.comment,
                                                marked_by=m.marker_name, marked_at=m.marked_at)
                for q, m in marks.items()}

    def results_now(self, db: Database, script_ids: Sequence[int]) -> dict[int, ScriptResult]:
        """Each script's result from its current marks (after any IQA adjustment)."""
        if not script_ids:
            return {}
        current = mark_store.current_marks(db, script_ids)
        out: dict[int, ScriptResult] = {}
        for sid, paper_id in iqa_store.script_paper_ids(db, script_ids).items():
            paper, scheme = self.paper_scheme(db, paper_id)
            out[sid] = script_result(paper, scheme, self.given(current.get(sid, {})))
        return out

    @staticmethod
    def ref(scope: Scope, script_number: str, code: str) -> str:
        """How a script is named in a scope: its number in a sitting, CODE/NUMBER across a unit."""
        return script_number if scope.sitting_id is not None else f"{code}/{script_number}"

    @staticmethod
    def qlabel(question_id: str, version: str, papers: int) -> str:
        return question_id if papers <= 1 else f"{question_id} (v{version})"

    def marked_scripts(self, db: Database, scope: Scope) -> tuple[list[MarkedScript], dict[str, iqa_store.ScopeScript]]:
        """The sampling rules' view of the scope: every script with at least one mark.

        A script counts as marked once its marker has marked it complete; until
        then it is passed as "not yet marked" (the rules list it as excluded).
        Scripts with no mark at all have no marker and are left out.
        """
        rows = iqa_store.scope_scripts(db, scope, MARKABLE_FINISHES)
        ids = [r.id for r in rows]
        markers = self.markers(db, ids)
        current = mark_store.current_marks(db, ids)
        out: list[MarkedScript] = []
        by_ref: dict[str, iqa_store.ScopeScript] = {}
        for r in rows:
            if not markers.get(r.id):
                continue
            paper, scheme = self.paper_scheme(db, r.paper_id)
            result = script_result(paper, scheme, self.given(current.get(r.id, {})))
            complete = r.completed_at is not None and result.is_complete
            ref = self.ref(scope, r.script_number, r.code)
            out.append(MarkedScript(
                script_ref=ref, markers=tuple(markers[r.id]),
                total=result.total if complete else None, pass_mark=result.pass_mark,
                status=result.status if complete else NOT_YET_MARKED))
            by_ref[ref] = r
        return out, by_ref

    def tolerances(self, db: Database, scope: Scope) -> dict[str, int]:
        """Tolerance per question label of the scope (questions not listed: 0)."""
        papers = iqa_store.scope_papers(db, scope)
        out: dict[str, int] = {}
        for p in papers:
            paper, _ = self.paper_scheme(db, p.paper_id)
            stored = iqa_store.tolerances(db, p.paper_id)
            for q in paper.questions:
                out[self.qlabel(q.id, p.version, len(papers))] = stored.get(q.id, 0)
        return out

    # == plans ========================================================================================

    def plan(self, db: Database, plan_id: int) -> PlanView:
        row = iqa_store.plan(db, plan_id)
        if row is None:
            raise IqaError(f"There is no IQA plan {plan_id}.")
        if row.sitting_id is not None:
            found = self.scope(db, sitting_by_id(db, row.sitting_id).code)
        else:
            found = self.scope(db, f"{row.qualification}/{row.unit}")
        stored = SamplingPlan.model_validate_json(row.plan_json)
        scripts = []
        rows = iqa_store.plan_scripts(db, plan_id)
        rows.sort(key=lambda r: natural_key(r.script_ref))
        ids = [r.script_id for r in rows]
        latest = iqa_store.latest_reviews(db, ids, row.reviewer_id)
        seconds = iqa_store.second_markings_of(db, ids)
        markers_now = self.markers(db, ids)
        results_now = self.results_now(db, ids)
        for r in rows:
            review = latest.get(r.script_id)
            second = seconds.get(r.script_id)
            scripts.append(PlanScript(
                script_id=r.script_id, script_ref=r.script_ref, script_number=r.script_number,
                sitting_code=r.code, candidate_number=r.candidate_number,
                markers=r.markers, total=r.total, pass_mark=r.pass_mark,
                status=r.status, reasons=r.reasons,
                review_state=review.state if review else "not started",
                round=review.round if review else None,
                decision=ScriptDecision(review.decision) if review and review.decision else None,
                second_marker=second.second_marker if second else None,
                second_marking_complete=bool(second and second.completed_at),
                total_now=results_now[r.script_id].total if r.script_id in results_now else r.total,
                status_now=results_now[r.script_id].status if r.script_id in results_now else r.status,
                reviewer_marked=person_key(row.reviewer) in {person_key(m) for m in markers_now.get(r.script_id, [])}))
        sign = iqa_store.sign_off(db, plan_id)
        return PlanView(
            id=row.id, scope=found, reviewer=row.reviewer,
            strategy=SamplingStrategy.model_validate(json.loads(row.strategy_json)),
            strategy_text=row.strategy_text, seed=row.seed, seed_source=row.seed_source,
            scripts_marked=row.scripts_marked, created_at=row.created_at,
            created_by=row.creator, reason=row.reason, superseded_at=row.superseded_at,
            superseded_by=row.superseded_by, scripts=tuple(scripts), excluded=stored.excluded,
            coverage=stored.markers, notes=stored.notes,
            action_points=tuple(self.action_points(iqa_store.action_points(db, plan_id=plan_id))),
            sign_off=SignOff(reviewer=sign.reviewer, signed_at=sign.signed_at,
                             statement=sign.statement) if sign else None)

    def current_plans(self, db: Database, scope: Scope) -> list[PlanView]:
        """Every reviewer's current plan for ``scope`` (reviewer name order)."""
        return [self.plan(db, i) for i in iqa_store.current_plan_ids(db, scope)]

    @staticmethod
    def action_points(points: list[iqa_store.StoredActionPoint]) -> list[ActionPointView]:
        return [ActionPointView(id=p.id, text=p.text, owner=p.owner, due=p.due, script_number=p.script_number,
                                added_by=p.added_by, added_at=p.added_at) for p in points]

    # == reviews ======================================================================================

    def review_context(self, db: Database, script_id: int,
                       actor: Actor) -> tuple[iqa_store.IqaScript, list[str], iqa_store.PlanHolding]:
        """The script, its markers and the reviewer's plan row holding it; refuses what may not be reviewed."""
        script = self.script(db, script_id)
        markers = self.markers(db, [script_id]).get(script_id, [])
        # First: whatever else is true, a reviewer never reviews their own marking.
        refuse_own(markers, actor.label)
        if script.finish not in MARKABLE_FINISHES:
            raise IqaError(f"Script {script.script_number} has nothing to review (it was not submitted).")
        plan = iqa_store.reviewer_plan_holding(db, actor.staff_id, script_id)
        if plan is None:
            raise IqaError(f"Script {script.script_number} of sitting {script.code} is not in a sampling "
                           f"plan of {actor.label}: only sampled scripts are reviewed "
                           "(add it with marker-tui iqa add CODE SCRIPT --reason ...).")
        blind = iqa_store.second_marking(db, script_id, actor.staff_id)
        if blind is not None and blind.completed_at is None:
            raise IqaError(f"You are second-marking script {script.script_number} blind: complete your second "
                           "marking before you open its review (the review shows the first marks).")
        return script, markers, plan

    def review_records(self, db: Database, script_id: int, reviewer_id: int,
                       marks: dict[str, StoredMark]) -> list[ReviewRecord]:
        out = []
        for r in iqa_store.reviews_of(db, script_id, reviewer_id):
            questions = {}
            for q in iqa_store.judgements(db, r.id):
                current = marks.get(q.question_id)
                stale = r.state != "confirmed" and (current is None or current.version != q.mark_version)
                questions[q.question_id] = QuestionJudgement(
                    question_id=q.question_id, marker_mark=q.marker_mark, marker=q.marker,
                    mark_version=q.mark_version, agree=q.agree, reviewer_mark=q.reviewer_mark,
                    reason=q.reason, recorded_at=q.recorded_at, stale=stale)
            out.append(ReviewRecord(
                id=r.id, plan_id=r.plan_id, round=r.round, state=r.state,
                decision=ScriptDecision(r.decision) if r.decision else None,
                decision_reason=r.decision_reason, feedback_to_marker=r.feedback_to_marker,
                started_at=r.started_at, decided_at=r.decided_at,
                confirmed_at=r.confirmed_at, questions=dict(items_in_question_order(questions)),
                action_points=tuple(self.action_points(iqa_store.action_points(db, review_id=r.id)))))
        return out

    def review(self, db: Database, script_id: int, actor: Actor) -> ReviewView:
        script, markers, plan = self.review_context(db, script_id, actor)
        loaded = self.marking.view_script(script_id)
        reviews = self.review_records(db, script_id, actor.staff_id, loaded.marks)
        latest = reviews[-1] if reviews else None
        second = iqa_store.completed_second_marking(db, script_id)
        second_marks = iqa_store.second_marks(db, second.id) if second is not None else {}
        current = {q: m.question_mark() for q, m in loaded.marks.items()}
        after = dict(current)
        if latest is not None and latest.state != "confirmed":
            for j in latest.differences:
                if j.question_id in after and j.reviewer_mark is not None:
                    after[j.question_id] = after[j.question_id].model_copy(update={"marks_awarded": j.reviewer_mark})
        return ReviewView(
            script_id=script_id, script_number=script.script_number, sitting_code=script.code,
            candidate_number=script.candidate_number, reviewer=actor.label, plan_id=plan.plan_id,
            reasons=plan.reasons, paper=loaded.paper, scheme=loaded.scheme,
            answers=loaded.answers, marks=loaded.marks, markers=tuple(markers), review=latest,
            earlier_rounds=tuple(reviews[:-1]), second_marker=second.second_marker if second else None,
            second_marks=second_marks, tolerances=iqa_store.tolerances(db, loaded.paper_id),
            result_now=script_result(loaded.paper, loaded.scheme, current),
            result_after=script_result(loaded.paper, loaded.scheme, after))

    # == blind second marking =========================================================================

    def second_rows(self, db: Database, rows: list[iqa_store.SecondMarkingListed]) -> list[SecondMarkingRow]:
        out = []
        for r in rows:
            paper, _ = self.paper_scheme(db, r.paper_id)
            out.append(SecondMarkingRow(
                script_id=r.script_id, script_number=r.script_number, sitting_code=r.code,
                second_marker=r.second_marker, assigned_by=r.assigned_by, assigned_at=r.assigned_at,
                questions_marked=r.questions_marked, questions_total=len(paper.questions),
                completed_at=r.completed_at))
        return out

    def assignment(self, db: Database, script_id: int,
                   actor: Actor) -> tuple[iqa_store.StoredSecondMarking, iqa_store.IqaScript]:
        script = self.script(db, script_id)
        refuse_own(self.markers(db, [script_id]).get(script_id, []), actor.label, "second-mark")
        row = iqa_store.second_marking(db, script_id, actor.staff_id)
        if row is None:
            raise IqaError(f"Script {script.script_number} is not given to {actor.label} for second marking.")
        return row, script

    def blind(self, db: Database, script_id: int, actor: Actor) -> BlindScript:
        row, script = self.assignment(db, script_id, actor)
        paper, scheme = self.paper_scheme(db, script.paper_id)
        answers = mark_store.script_answers(db, script_id)
        mine = dict(items_in_question_order(iqa_store.second_marks(db, row.id)))
        return BlindScript(script_id=script_id, script_number=script.script_number, sitting_code=script.code,
                           second_marker=actor.label, paper=paper, scheme=scheme, answers=answers, my_marks=mine,
                           completed_at=row.completed_at)
