"""Internal quality assurance: sampling plans, reviews and decisions, blind second marking, agreement.

What the IQA screen and ``marker-tui iqa ...`` call. The rules are pure and
live elsewhere: which scripts are sampled and why in ``domain/sampling.py``,
agreement figures and the out-of-tolerance list in ``domain/agreement.py``,
totals and results in ``domain/marking.py``. This module stores what an
internal quality assurer did and enforces who may do it:

* **Scope.** A plan samples one sitting (``"MARK-1"``) or a unit across all its
  sittings (``"3818-13/304"``, qualification/unit). Every method taking
  ``scope`` accepts either.
* **Plans are kept.** A plan stores its strategy, its seed (and where the seed
  came from) and the marked scripts it was drawn from, so :meth:`reproduce`
  draws it again and checks it comes out the same. Drawing again supersedes the
  current plan (kept, and audited with the reason); scripts already reviewed
  under the old plan are carried into the new one so no review is orphaned.
  Only scripts their marker has marked complete are sampled.
* **Own marking.** A script marked (any part of it, at any time) by the
  reviewer is never offered to them, and every review method refuses it
  (:func:`domain.sampling.check_reviewer_may_review`), whoever asks and however.
  IQA adjustments (``marks.role = 'iqa'``) do not make the reviewer a marker.
* **Reviews.** Per question the reviewer agrees or gives a different mark with a
  reason (:meth:`record_question`); then a decision for the script with
  feedback to the marker and action points (:meth:`decide`), which changes
  nothing until :meth:`confirm`. Confirming applies "marks adjusted" changes
  through :meth:`MarkingService.adjust_mark` (role ``iqa``, audited with old
  and new values and the reason) **in the same transaction** as the
  confirmation: if any change is refused (the marker changed the mark since,
  or is holding the script) nothing is applied and the review stays pending.
  A confirmed review is frozen (database triggers). "Refer back to marker"
  applies nothing; after the marker re-marks, :meth:`rereview` starts round 2.
* **Blind second marking.** A sampled script can be given to a second marker
  (not one of its markers); their view (:meth:`second_marking_view`) has the
  answers and mark scheme but no first marks, and they cannot open the IQA
  review of that script until they have completed it. Once complete, questions
  whose two marks differ by more than the question's tolerance are listed for
  adjudication (:meth:`adjudication`); the reviewer adjudicates in the review.
* **Agreement** (:meth:`agreement`) is computed from (marker's mark, second
  mark) pairs every time, never stored: from the reviewer's judgements (the
  first round of each review, i.e. the marking as first signed off) and from
  completed blind second marks.

Roles: plans, reviews, tolerances, second-marker assignments and sign-off need
``iqa``; blind second marks need ``marker`` or ``iqa``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from marker_tui.domain import agreement as agreement_rules
from marker_tui.domain.agreement import AgreementFigures, Discrepancy, MarkPair
from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.marking import NOT_YET_MARKED, QuestionMark, ScriptResult, script_result
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.ordering import items_in_question_order
from marker_tui.domain.reports import ScriptDecision
from marker_tui.domain.sampling import (
    ExcludedScript,
    MarkedScript,
    MarkerCoverage,
    OwnMarkingRefused,
    SamplingPlan,
    SamplingStrategy,
    build_sample,
    check_reviewer_may_review,
    natural_key,
    person_key,
)
from marker_tui.services.audit import Actor, ServiceError, record
from marker_tui.services.marking import (
    MARKABLE_FINISHES,
    MarkingService,
    StoredMark,
    clean_comment,
    clean_reason,
)
from marker_tui.services.papers import get_paper
from marker_tui.services.staff import resolve_actor
from marker_tui.storage.papers import latest_scheme, latest_scheme_id, paper_unit
from marker_tui.storage.sittings import no_such_sitting, sitting_by_code, sitting_by_id
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import Database, read_transaction, run_write
from marker_tui.domain.roles import Permission, roles_for

REVIEWERS = roles_for(Permission.REVIEW_MARKING)
SECOND_MARKERS = roles_for(Permission.SECOND_MARK)
MAX_ACTION_CHARS = 500

ReviewState = Literal["not started", "in progress", "awaiting confirmation", "confirmed"]
Source = Literal["all", "iqa", "second"]


class IqaError(ServiceError):
    """An IQA request refused; nothing was changed."""


class OwnMarking(IqaError):
    """The reviewer (or would-be second marker) marked this script: the domain's message, as it is."""


# --- what the service returns ---------------------------------------------------------------


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
    """An action point as given to :meth:`IqaService.decide` or :meth:`IqaService.add_action_point`."""

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
    """One review round of one script, for the IQA record (``IqaService.reviews``)."""

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
    """What :meth:`IqaService.confirm` did."""

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


# --- helpers --------------------------------------------------------------------------------


def _clean_text(text: str | None, what: str, limit: int = 2000) -> str | None:
    try:
        return clean_comment(text) if limit >= 2000 else clean_reason(text)
    except ServiceError as error:
        raise IqaError(str(error).replace("A comment", what)) from None


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _refuse_own(markers: Iterable[str], person: str, doing: str = "review") -> None:
    try:
        check_reviewer_may_review(list(markers), person)
    except OwnMarkingRefused as error:
        message = str(error)
        if doing != "review":
            message = message.replace("cannot review it", f"cannot {doing} it")
        raise OwnMarking(message) from None


def _as_mark(value: object, question_id: str, maximum: int) -> int:
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise IqaError(f"Question {question_id}: {value!r} is not a whole number of marks; "
                       f"enter a whole number from 0 to {maximum}.")
    if not 0 <= value <= maximum:
        raise IqaError(f"Question {question_id}: {value} is outside the allowed range; "
                       f"enter a whole number from 0 to {maximum}.")
    return value


class IqaService:
    """IQA over one database: plans, reviews, decisions, second marking, agreement, sign-off."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self._papers: dict[int, QuestionPaper] = {}
        self._schemes: dict[int, MarkScheme] = {}

    # == scope ======================================================================================

    def scope(self, scope: str) -> Scope:
        """A sitting code, or QUALIFICATION/UNIT for a unit across its sittings."""
        with read_transaction(self.db):
            return self._scope(self.db, scope)

    def _scope(self, db: Database, text: str) -> Scope:
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
            return Scope(sitting_id=None, code=None, qualification=stored[0], unit=stored[1],
                         sitting_codes=tuple(codes))
        row = sitting_by_code(db, cleaned)
        if row is None:
            raise IqaError(no_such_sitting(cleaned)[:-1] + ", or name a unit as QUALIFICATION/UNIT.")
        qualification, unit = paper_unit(db, row.paper_id)
        return Scope(sitting_id=row.id, code=row.code, qualification=qualification, unit=unit,
                     sitting_codes=(row.code,))

    # == reading helpers ==============================================================================

    def _paper_scheme(self, db: Database, paper_id: int) -> tuple[QuestionPaper, MarkScheme]:
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
    def _script(db: Database, script_id: int) -> iqa_store.IqaScript:
        row = iqa_store.script(db, script_id)
        if row is None:
            raise IqaError(f"There is no script with id {script_id}.")
        return row

    @staticmethod
    def _markers(db: Database, script_ids: Sequence[int]) -> dict[int, list[str]]:
        """Everyone who gave any mark to each script, at any time, other than as an IQA adjustment.

        An imported mark counts for both the importer (who entered it, signed in)
        and the paper marker the file named: neither may review that script.
        """
        return mark_store.everyone_who_marked(db, script_ids)

    @staticmethod
    def _given(marks: dict[str, mark_store.ScriptMark]) -> dict[str, QuestionMark]:
        return {q: QuestionMark.model_construct(question_id=q, marks_awarded=m.marks_awarded,
                                                credited_points=m.credited_points, comment=m.comment,
                                                marked_by=m.marker_name, marked_at=m.marked_at)
                for q, m in marks.items()}

    def _results_now(self, db: Database, script_ids: Sequence[int]) -> dict[int, ScriptResult]:
        """Each script's result from its current marks (after any IQA adjustment)."""
        if not script_ids:
            return {}
        current = mark_store.current_marks(db, script_ids)
        out: dict[int, ScriptResult] = {}
        for sid, paper_id in iqa_store.script_paper_ids(db, script_ids).items():
            paper, scheme = self._paper_scheme(db, paper_id)
            out[sid] = script_result(paper, scheme, self._given(current.get(sid, {})))
        return out

    def _ref(self, scope: Scope, row: iqa_store.ScopeScript) -> str:
        return row.script_number if scope.sitting_id is not None else f"{row.code}/{row.script_number}"

    def _marked_scripts(self, db: Database, scope: Scope) -> tuple[list[MarkedScript], dict[str, iqa_store.ScopeScript]]:
        """The sampling rules' view of the scope: every script with at least one mark.

        A script counts as marked once its marker has marked it complete; until
        then it is passed as "not yet marked" (the rules list it as excluded).
        Scripts with no mark at all have no marker and are left out.
        """
        rows = iqa_store.scope_scripts(db, scope, MARKABLE_FINISHES)
        ids = [r.id for r in rows]
        markers = self._markers(db, ids)
        current = mark_store.current_marks(db, ids)
        out: list[MarkedScript] = []
        by_ref: dict[str, iqa_store.ScopeScript] = {}
        for r in rows:
            if not markers.get(r.id):
                continue
            paper, scheme = self._paper_scheme(db, r.paper_id)
            result = script_result(paper, scheme, self._given(current.get(r.id, {})))
            complete = r.completed_at is not None and result.is_complete
            ref = self._ref(scope, r)
            out.append(MarkedScript(
                script_ref=ref, markers=tuple(markers[r.id]),
                total=result.total if complete else None, pass_mark=result.pass_mark,
                status=result.status if complete else NOT_YET_MARKED))
            by_ref[ref] = r
        return out, by_ref

    # == plans ======================================================================================

    def preview_plan(self, scope: str, *, strategy: SamplingStrategy, reviewer: str,
                     seed: int | None = None) -> SamplingPlan:
        """The plan that :meth:`create_plan` would draw now, without storing anything."""
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            actor = resolve_actor(self.db, reviewer, *REVIEWERS)
            inputs, _ = self._marked_scripts(self.db, found)
        return build_sample(inputs, strategy, actor.label, seed)

    def create_plan(self, scope: str, *, strategy: SamplingStrategy, by: str, reviewer: str | None = None,
                    seed: int | None = None, redraw: bool = False, reason: str | None = None) -> PlanView:
        """Draw and store the sampling plan of ``scope`` for ``reviewer`` (default: ``by``).

        If the reviewer already has a current plan for this scope, ``redraw``
        must be True: the old plan is superseded (kept) and, once any review
        has started under it, a ``reason`` is required. Scripts already
        reviewed are carried into the new plan.
        """
        why = _clean_text(reason, "A reason", limit=500)
        if isinstance(seed, bool) or (seed is not None and not isinstance(seed, int)):
            raise IqaError("A seed is a whole number.")
        now = self.clock.now()

        def work(db: Database) -> int:
            actor = resolve_actor(db, by, *REVIEWERS)
            who = resolve_actor(db, reviewer or by, *REVIEWERS)
            found = self._scope(db, scope)
            inputs, by_ref = self._marked_scripts(db, found)
            plan = build_sample(inputs, strategy, who.label, seed)
            old = iqa_store.current_plan(db, found, who.staff_id)
            carried: list[tuple[int, str]] = []
            if old is not None:
                if not redraw:
                    raise IqaError(
                        f"{_first_up(found.label)} already has a sampling plan for {who.label} (plan {old.id}, "
                        f"seed {old.seed}, drawn {old.created_at.astimezone():%Y-%m-%d %H:%M}). "
                        "To draw it again, give a new seed (marker-tui iqa sample ... --seed N).")
                started = iqa_store.scripts_reviewed_under(db, old.id, who.staff_id)
                if started and not why:
                    raise IqaError(f"Reviews have started under plan {old.id} ({len(started)} script(s)): "
                                   "give a reason for drawing the plan again (it is kept in the audit log).")
                carried = [(sid, ref) for sid, ref in started]
            new_id = iqa_store.next_plan_id(db)
            if old is not None:
                # The new row is inserted below, in this same transaction.
                iqa_store.supersede_plan(db, old.id, by_plan=new_id, at=now)
            strategy_json = strategy.model_dump(mode="json")
            strategy_json["new_markers"] = sorted(strategy.new_markers, key=person_key)
            iqa_store.insert_plan(
                db, plan_id=new_id, sitting_id=found.sitting_id,
                qualification=None if found.sitting_id else found.qualification,
                unit=None if found.sitting_id else found.unit, reviewer_id=who.staff_id,
                strategy_json=_json(strategy_json), strategy_text=strategy.describe(), seed=plan.seed,
                seed_source=plan.seed_source, inputs_json=_json([s.model_dump(mode="json") for s in inputs]),
                plan_json=plan.model_dump_json(), scripts_marked=sum(1 for s in inputs if s.is_marked), at=now,
                by=actor.staff_id, reason=why)
            chosen_ids = set()
            for sampled in plan.chosen:
                row = by_ref[sampled.script_ref]
                chosen_ids.add(row.id)
                self._add_plan_script(db, new_id, row.id, sampled.script_ref, list(sampled.reasons),
                                      sampled.markers, sampled.total, sampled.pass_mark, sampled.status, actor, now)
            for sid, ref in carried:
                if sid in chosen_ids:
                    continue
                entry = next((s for s in inputs if s.script_ref == ref), None)
                self._add_plan_script(
                    db, new_id, sid, ref, [f"reviewed under plan {old.id}: carried into this plan"],
                    entry.markers if entry else (), entry.total if entry else None,
                    entry.pass_mark if entry else 0, entry.status if entry else NOT_YET_MARKED, actor, now)
            record(db, at=now, actor=actor, action="IQA sampling plan drawn", sitting_id=found.sitting_id,
                   details={"plan": new_id, "scope": found.key, "reviewer": who.label,
                            "strategy": strategy.describe(), "seed": plan.seed, "seed source": plan.seed_source,
                            "scripts": list(plan.script_refs),
                            "carried from the old plan": [ref for sid, ref in carried if sid not in chosen_ids],
                            "excluded": {e.script_ref: e.reason for e in plan.excluded},
                            "notes": list(plan.notes), "supersedes": old.id if old else None, "reason": why})
            return new_id

        plan_id = run_write(self.db, work, "drawing a sampling plan")
        return self.plan(plan_id)

    @staticmethod
    def _add_plan_script(db: Database, plan_id: int, script_id: int, ref: str, reasons: list[str],
                         markers: Iterable[str], total: int | None, pass_mark: int, status: str, actor: Actor,
                         now: datetime) -> None:
        iqa_store.insert_plan_script(db, plan_id=plan_id, script_id=script_id, ref=ref, reasons=reasons,
                                     markers=markers, total=total, pass_mark=pass_mark, status=status,
                                     by=actor.staff_id, at=now)

    def add_to_plan(self, scope: str, script_number: str, *, by: str, reason: str) -> PlanView:
        """Add one more script to the reviewer's current plan, with the reviewer's reason."""
        why = _clean_text(reason, "A reason", limit=500)
        if not why:
            raise IqaError("Say why this script is added to the sample.")
        now = self.clock.now()

        def work(db: Database) -> int:
            actor = resolve_actor(db, by, *REVIEWERS)
            found = self._scope(db, scope)
            plan = self._current_plan_row(db, found, actor.staff_id)
            if plan is None:
                raise IqaError(f"{actor.label} has no sampling plan for {found.label} yet: draw one first.")
            inputs, by_ref = self._marked_scripts(db, found)
            wanted = script_number.strip()
            entry = next((s for s in inputs if s.script_ref == wanted or by_ref[s.script_ref].script_number == wanted),
                         None)
            if entry is None:
                raise IqaError(f"{_first_up(found.label)} has no marked script {wanted}.")
            _refuse_own(entry.markers, actor.label)
            if not entry.is_marked:
                raise IqaError(f"Script {wanted} is not marked complete yet: only marked scripts are sampled.")
            row = by_ref[entry.script_ref]
            if iqa_store.plan_has_script(db, plan.id, row.id):
                raise IqaError(f"Script {entry.script_ref} is already in plan {plan.id}.")
            self._add_plan_script(db, plan.id, row.id, entry.script_ref, [f"added by {actor.label}: {why}"],
                                  entry.markers, entry.total, entry.pass_mark, entry.status, actor, now)
            record(db, at=now, actor=actor, action="IQA script added to plan", sitting_id=row.sitting_id,
                   script_id=row.id, candidate_number=row.candidate_number,
                   details={"plan": plan.id, "script": entry.script_ref, "reason": why})
            return plan.id

        return self.plan(run_write(self.db, work, "adding a script to the plan"))

    @staticmethod
    def _current_plan_row(db: Database, scope: Scope, reviewer_id: int) -> iqa_store.StoredPlan | None:
        return iqa_store.current_plan(db, scope, reviewer_id)

    def current_plan(self, scope: str, *, reviewer: str) -> PlanView | None:
        """The reviewer's current plan for ``scope``, or None."""
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            who = resolve_actor(self.db, reviewer)
            row = self._current_plan_row(self.db, found, who.staff_id)
            return self._plan_view(self.db, row.id) if row else None

    def current_plans(self, scope: str) -> list[PlanView]:
        """Every reviewer's current plan for ``scope`` (reviewer name order)."""
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            ids = iqa_store.current_plan_ids(self.db, found)
            return [self._plan_view(self.db, i) for i in ids]

    def plans_for(self, reviewer: str) -> list[PlanView]:
        """A reviewer's current plans, newest first (the screen's list when no scope is given)."""
        with read_transaction(self.db):
            who = resolve_actor(self.db, reviewer)
            ids = iqa_store.reviewer_plan_ids(self.db, who.staff_id)
            return [self._plan_view(self.db, i) for i in ids]

    def plan(self, plan_id: int) -> PlanView:
        with read_transaction(self.db):
            return self._plan_view(self.db, plan_id)

    def history(self, scope: str) -> list[PlanSummary]:
        """Every plan ever drawn for ``scope`` (current and superseded), oldest first."""
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            return [
                PlanSummary(id=r.id, scope_key=found.key, reviewer=r.reviewer, seed=r.seed,
                            created_at=r.created_at, created_by=r.creator, reason=r.reason,
                            superseded_at=r.superseded_at, superseded_by=r.superseded_by, scripts=n)
                for r, n in iqa_store.plan_history(self.db, found)
            ]

    def reproduce(self, plan_id: int) -> Reproduction:
        """Draw a stored plan again from its stored inputs, strategy and seed; say whether it matches."""
        with read_transaction(self.db):
            row = iqa_store.plan(self.db, plan_id)
        if row is None:
            raise IqaError(f"There is no IQA plan {plan_id}.")
        inputs = [MarkedScript.model_validate(s) for s in json.loads(row.inputs_json)]
        strategy = SamplingStrategy.model_validate(json.loads(row.strategy_json))
        stored = SamplingPlan.model_validate_json(row.plan_json)
        again = build_sample(inputs, strategy, row.reviewer, seed=row.seed)
        differences = []
        if again.chosen != stored.chosen:
            lost = sorted(set(stored.script_refs) - set(again.script_refs), key=natural_key)
            extra = sorted(set(again.script_refs) - set(stored.script_refs), key=natural_key)
            differences.append(f"scripts differ: stored only {', '.join(lost) or '-'}; "
                               f"redrawn only {', '.join(extra) or '-'}; or their reasons differ")
        if again.excluded != stored.excluded:
            differences.append("excluded scripts differ")
        if again.markers != stored.markers:
            differences.append("marker coverage differs")
        return Reproduction(plan_id=plan_id, seed=row.seed, same=not differences,
                            stored=stored.script_refs, redrawn=again.script_refs, differences=tuple(differences))

    def _plan_view(self, db: Database, plan_id: int) -> PlanView:
        row = iqa_store.plan(db, plan_id)
        if row is None:
            raise IqaError(f"There is no IQA plan {plan_id}.")
        if row.sitting_id is not None:
            found = self._scope(db, sitting_by_id(db, row.sitting_id).code)
        else:
            found = self._scope(db, f"{row.qualification}/{row.unit}")
        stored = SamplingPlan.model_validate_json(row.plan_json)
        scripts = []
        rows = iqa_store.plan_scripts(db, plan_id)
        rows.sort(key=lambda r: natural_key(r.script_ref))
        ids = [r.script_id for r in rows]
        latest = iqa_store.latest_reviews(db, ids, row.reviewer_id)
        seconds = iqa_store.second_markings_of(db, ids)
        markers_now = self._markers(db, ids)
        results_now = self._results_now(db, ids)
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
            action_points=tuple(self._action_points(iqa_store.action_points(db, plan_id=plan_id))),
            sign_off=SignOff(reviewer=sign.reviewer, signed_at=sign.signed_at,
                             statement=sign.statement) if sign else None)

    @staticmethod
    def _action_points(points: list[iqa_store.StoredActionPoint]) -> list[ActionPointView]:
        return [ActionPointView(id=p.id, text=p.text, owner=p.owner, due=p.due, script_number=p.script_number,
                                added_by=p.added_by, added_at=p.added_at) for p in points]

    # == reviewing ===================================================================================

    def _review_context(self, db: Database, script_id: int,
                        actor: Actor) -> tuple[iqa_store.IqaScript, list[str], iqa_store.PlanHolding]:
        """The script, its markers and the reviewer's plan row holding it; refuses what may not be reviewed."""
        script = self._script(db, script_id)
        markers = self._markers(db, [script_id]).get(script_id, [])
        # First: whatever else is true, a reviewer never reviews their own marking.
        _refuse_own(markers, actor.label)
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

    def _reviews(self, db: Database, script_id: int, reviewer_id: int, marks: dict[str, StoredMark]) -> list[ReviewRecord]:
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
                action_points=tuple(self._action_points(iqa_store.action_points(db, review_id=r.id)))))
        return out

    def _view(self, db: Database, script_id: int, actor: Actor) -> ReviewView:
        script, markers, plan = self._review_context(db, script_id, actor)
        loaded = MarkingService(db, self.clock).view_script(script_id)
        reviews = self._reviews(db, script_id, actor.staff_id, loaded.marks)
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

    def review_view(self, script_id: int, *, reviewer: str) -> ReviewView:
        """One sampled script for review: answers, the marks (ticks, comments), mark scheme, the review so far.

        Refused (:class:`OwnMarking`) if the reviewer marked any part of the script.
        """
        with read_transaction(self.db):
            actor = resolve_actor(self.db, reviewer, *REVIEWERS)
            return self._view(self.db, script_id, actor)

    def _open_review(self, db: Database, script: iqa_store.IqaScript, plan_id: int, actor: Actor,
                     now: datetime) -> iqa_store.StoredReview:
        """The latest round, started if there is none; refused once confirmed."""
        row = iqa_store.latest_review(db, script.id, actor.staff_id)
        if row is None:
            review_id = iqa_store.start_review(db, plan_id=plan_id, script_id=script.id, reviewer_id=actor.staff_id,
                                               round=1, at=now)
            record(db, at=now, actor=actor, action="IQA review started", sitting_id=script.sitting_id,
                   script_id=script.id, candidate_number=script.candidate_number,
                   details={"script_number": script.script_number, "plan": plan_id, "round": 1})
            return iqa_store.review(db, review_id)
        if row.state == "confirmed":
            extra = (" It was referred back to the marker: start a new round (R on the review screen) "
                     "once they have re-marked it." if row.decision == ScriptDecision.REFER_BACK else "")
            raise IqaError(f"Your review of script {script.script_number} was confirmed "
                           f"({row.decision}) and cannot change.{extra}")
        return row

    def record_question(self, script_id: int, question_id: str, *, reviewer: str, agree: bool = True,
                        mark: object = None, reason: str | None = None) -> ReviewView:
        """The reviewer agrees with the marker's mark for one question, or gives a different mark with a reason.

        A different mark equal to the marker's is recorded as agreement. Judging
        a question again replaces the earlier judgement; if a decision was
        waiting for confirmation it is withdrawn (the changes it listed are no
        longer the ones the reviewer sees).
        """
        question_id = str(question_id).strip()
        why = _clean_text(reason, "A reason", limit=500)
        now = self.clock.now()

        def work(db: Database) -> ReviewView:
            actor = resolve_actor(db, reviewer, *REVIEWERS)
            script, _, plan = self._review_context(db, script_id, actor)
            paper, _ = self._paper_scheme(db, script.paper_id)
            question = paper.question(question_id)
            if question is None:
                raise IqaError(f"Question {question_id} is not on this paper "
                               f"(questions: {', '.join(q.id for q in paper.questions)}).")
            current = mark_store.current_marks(db, [script_id]).get(script_id, {}).get(question_id)
            if current is None:
                raise IqaError(f"Question {question_id} of script {script.script_number} has no mark to review.")
            agreed = agree
            value: int | None = None
            if not agree:
                value = _as_mark(mark, question_id, question.marks)
                if value == current.marks_awarded:
                    agreed, value = True, None
                elif not why:
                    raise IqaError(f"Question {question_id}: give a reason for the different mark "
                                   f"({current.marks_awarded} → {value}); it goes to the marker and the IQA "
                                   "record. Nothing was saved.")
            review = self._open_review(db, script, plan.plan_id, actor, now)
            if review.state == "awaiting confirmation":
                iqa_store.withdraw_decision(db, review.id)
                record(db, at=now, actor=actor, action="IQA decision withdrawn", sitting_id=script.sitting_id,
                       script_id=script_id, candidate_number=script.candidate_number,
                       details={"script_number": script.script_number, "decision": review.decision,
                                "because": f"question {question_id} was judged again"})
            iqa_store.save_judgement(
                db, review.id, question_id, marker_mark=current.marks_awarded, marker_id=current.marked_by,
                mark_version=current.version, agree=agreed, reviewer_mark=value, reason=None if agreed else why,
                at=now)
            record(db, at=now, actor=actor, action="IQA question reviewed", sitting_id=script.sitting_id,
                   script_id=script_id, candidate_number=script.candidate_number,
                   details={"script_number": script.script_number, "question": question_id,
                            "marker's mark": current.marks_awarded, "marked by": current.marker_name,
                            "agree": agreed, "reviewer's mark": value, "reason": None if agreed else why,
                            "round": review.round})
            return self._view(db, script_id, actor)

        return run_write(self.db, work, "recording a review")

    def agree_all(self, script_id: int, *, reviewer: str) -> ReviewView:
        """Agree with every question not judged yet (questions already judged are left as they are)."""
        view = self.review_view(script_id, reviewer=reviewer)
        for qid in view.unjudged:
            view = self.record_question(script_id, qid, reviewer=reviewer, agree=True)
        return view

    def decide(self, script_id: int, *, reviewer: str, decision: ScriptDecision | str,
               feedback: str | None = None, decision_reason: str | None = None,
               action_points: Iterable[ActionPointIn | str] = (), confirm: bool = False) -> ReviewView:
        """The reviewer's decision for the script, with feedback to the marker and action points.

        Nothing changes in the marks until :meth:`confirm` (or ``confirm=True``
        here, which is the same as calling it straight after). Every question
        must be judged first. "marks adjusted" needs at least one different
        mark; "refer back to marker" needs feedback telling the marker what to
        look at again. Deciding again before confirming replaces the decision.
        """
        try:
            chosen = ScriptDecision(decision if isinstance(decision, ScriptDecision) else str(decision).strip().lower())
        except ValueError:
            raise IqaError(f"Unknown decision {decision!r}: choose one of "
                           f"{', '.join(repr(d.value) for d in ScriptDecision)}.") from None
        note = _clean_text(feedback, "Feedback to the marker")
        why = _clean_text(decision_reason, "A reason", limit=500)
        points = []
        for point in action_points:
            item = ActionPointIn(text=point) if isinstance(point, str) else point
            text = _clean_text(item.text, "An action point", limit=500)
            if text:
                points.append(item.model_copy(update={"text": text,
                                                      "owner": _clean_text(item.owner, "An owner", limit=500)}))
        now = self.clock.now()

        def work(db: Database) -> ReviewView:
            actor = resolve_actor(db, reviewer, *REVIEWERS)
            script, _, plan = self._review_context(db, script_id, actor)
            view = self._view(db, script_id, actor)
            if view.review is None or view.unjudged:
                missing = ", ".join(view.unjudged)
                raise IqaError(f"Judge every question before deciding: question(s) {missing} of script "
                               f"{script.script_number} have no agree or different mark yet.")
            if view.review.state == "confirmed":
                self._open_review(db, script, plan.plan_id, actor, now)  # raises with the right words
            if view.stale:
                raise IqaError(self._stale_message(view))
            differs = view.review.differences
            if chosen is ScriptDecision.ADJUSTED and not differs:
                raise IqaError("You agreed with every mark: 'marks adjusted' needs at least one different mark. "
                               "Choose 'marking upheld', or give a different mark with a reason first.")
            if chosen is ScriptDecision.REFER_BACK and not note:
                raise IqaError("'Refer back to marker' needs feedback to the marker saying what to look at again.")
            iqa_store.record_decision(db, view.review.id, decision=chosen.value, reason=why, feedback=note, at=now)
            iqa_store.delete_review_action_points(db, view.review.id)
            for item in points:
                iqa_store.insert_action_point(db, plan_id=plan.plan_id, review_id=view.review.id, text=item.text,
                                              owner=item.owner, due=item.due, by=actor.staff_id, at=now)
            changes = view.pending_changes() if chosen is ScriptDecision.ADJUSTED else []
            record(db, at=now, actor=actor, action="IQA decision recorded", sitting_id=script.sitting_id,
                   script_id=script_id, candidate_number=script.candidate_number,
                   details={"script_number": script.script_number, "decision": chosen.value,
                            "reason": why, "feedback to marker": note,
                            "action points": [p.text for p in points],
                            "changes on confirmation": [c.model_dump() for c in changes],
                            "round": view.review.round})
            if confirm:
                return self._confirm(db, script_id, actor, now).review
            return self._view(db, script_id, actor)

        return run_write(self.db, work, "recording a decision")

    @staticmethod
    def _stale_message(view: ReviewView) -> str:
        parts = []
        for qid in view.stale:
            j = view.review.questions[qid]
            now = view.marks.get(qid)
            if now is None:
                parts.append(f"question {qid}")
            else:
                parts.append(f"question {qid} (you saw {j.marker_mark}; {now.marked_by} has since made it "
                             f"{now.marks_awarded})")
        return (f"The marks changed after you reviewed them: {'; '.join(parts)}. Review "
                f"{'that question' if len(parts) == 1 else 'those questions'} again; nothing was applied.")

    def confirm(self, script_id: int, *, reviewer: str) -> Confirmation:
        """Confirm the pending decision: apply "marks adjusted" changes through the marking engine.

        One transaction: every change goes through :meth:`MarkingService.adjust_mark`
        (role ``iqa``, the reason kept with the new mark version and in the
        audit log with old and new values), then the review is marked
        confirmed. If any change is refused, none is applied.
        """
        now = self.clock.now()

        def work(db: Database) -> Confirmation:
            actor = resolve_actor(db, reviewer, *REVIEWERS)
            return self._confirm(db, script_id, actor, now)

        return run_write(self.db, work, "confirming a decision")

    def _confirm(self, db: Database, script_id: int, actor: Actor, now: datetime) -> Confirmation:
        script, _, plan = self._review_context(db, script_id, actor)
        view = self._view(db, script_id, actor)
        review = view.review
        if review is None or review.state == "in progress":
            raise IqaError(f"There is no decision on script {script.script_number} to confirm yet: "
                           "record one first (d on the review screen).")
        if review.state == "confirmed":
            self._open_review(db, script, plan.plan_id, actor, now)  # raises
        if view.stale:
            raise IqaError(self._stale_message(view))
        decision = review.decision
        assert decision is not None
        before = view.result_now.total
        applied: list[MarkChange] = []
        if decision is ScriptDecision.ADJUSTED:
            marking = MarkingService(db, self.clock)
            for change in view.pending_changes():
                j = review.questions[change.question_id]
                # Nested in this transaction (a savepoint): a refusal here undoes every change.
                marking.adjust_mark(script_id, change.question_id, change.new, by=actor.label,
                                    reason=f"IQA review: {change.reason}", expected_version=j.mark_version)
                applied.append(change)
        iqa_store.confirm_review(db, review.id, at=now)
        after_view = self._view(db, script_id, actor)
        record(db, at=now, actor=actor, action="IQA decision confirmed", sitting_id=script.sitting_id,
               script_id=script_id, candidate_number=script.candidate_number,
               details={"script_number": script.script_number, "decision": decision.value,
                        "changes": [c.model_dump() for c in applied], "total before": before,
                        "total after": after_view.result_now.total, "result after": after_view.result_now.status,
                        "feedback to marker": review.feedback_to_marker, "round": review.round,
                        "questions": {q: {"marker": j.marker_mark, "agree": j.agree, "reviewer": j.reviewer_mark,
                                          "reason": j.reason} for q, j in review.questions.items()}})
        return Confirmation(review=after_view, decision=decision, applied=tuple(applied), total_before=before,
                            total_after=after_view.result_now.total)

    def rereview(self, script_id: int, *, reviewer: str) -> ReviewView:
        """Start a new round of review after the script was referred back to its marker."""
        now = self.clock.now()

        def work(db: Database) -> ReviewView:
            actor = resolve_actor(db, reviewer, *REVIEWERS)
            script, _, plan = self._review_context(db, script_id, actor)
            last = iqa_store.latest_review(db, script_id, actor.staff_id)
            if last is None or last.state != "confirmed" or last.decision != ScriptDecision.REFER_BACK:
                raise IqaError(f"Script {script.script_number} was not referred back to its marker: "
                               "there is no new round to start.")
            iqa_store.start_review(db, plan_id=plan.plan_id, script_id=script_id, reviewer_id=actor.staff_id,
                                   round=last.round + 1, at=now)
            record(db, at=now, actor=actor, action="IQA review started", sitting_id=script.sitting_id,
                   script_id=script_id, candidate_number=script.candidate_number,
                   details={"script_number": script.script_number, "plan": plan.plan_id,
                            "round": last.round + 1, "after": "referred back to the marker"})
            return self._view(db, script_id, actor)

        return run_write(self.db, work, "starting a new review round")

    def reviews(self, scope: str, *, confirmed_only: bool = False) -> list[ReviewSummary]:
        """Every review round of every script of ``scope``, by script then reviewer then round.

        Read-only and not limited to one reviewer: what the IQA record exports.
        (Identities are included; the record is written after marking.)
        """
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            rows = iqa_store.reviewed_scripts(self.db, found)
            ids = sorted({r.script_id for r in rows})
            markers = self._markers(self.db, ids)
            current = mark_store.current_marks(self.db, ids)
            out = []
            for r in rows:
                paper, _ = self._paper_scheme(self.db, r.paper_id)
                marks = {q: StoredMark(script_id=r.script_id, question_id=q, marks_awarded=m.marks_awarded,
                                       credited_points=m.credited_points, comment=m.comment,
                                       marked_by=m.marker_name, marked_by_id=m.marked_by,
                                       marked_at=m.marked_at, role=m.role, version=m.version)
                         for q, m in current.get(r.script_id, {}).items()}
                ref = r.script_number if found.sitting_id else f"{r.code}/{r.script_number}"
                for review in self._reviews(self.db, r.script_id, r.reviewer_id, marks):
                    if confirmed_only and review.state != "confirmed":
                        continue
                    out.append(ReviewSummary(
                        script_id=r.script_id, script_ref=ref, sitting_code=r.code,
                        candidate_number=r.candidate_number, candidate_name=r.candidate_name, reviewer=r.reviewer,
                        markers=tuple(markers.get(r.script_id, [])),
                        max_marks={q.id: q.marks for q in paper.questions}, review=review))
        out.sort(key=lambda x: (natural_key(x.script_ref), person_key(x.reviewer), x.review.round))
        return out

    # == action points and sign-off =====================================================================

    def add_action_point(self, scope: str, text: str, *, by: str, owner: str | None = None,
                         due: date | None = None) -> PlanView:
        """An action point for the whole sample (e.g. "standardisation meeting on question 3")."""
        cleaned = _clean_text(text, "An action point", limit=500)
        if not cleaned:
            raise IqaError("An action point needs some text.")
        who = _clean_text(owner, "An owner", limit=500)
        now = self.clock.now()

        def work(db: Database) -> int:
            actor = resolve_actor(db, by, *REVIEWERS)
            found = self._scope(db, scope)
            plan = self._current_plan_row(db, found, actor.staff_id)
            if plan is None:
                raise IqaError(f"{actor.label} has no sampling plan for {found.label}: draw one first.")
            iqa_store.insert_action_point(db, plan_id=plan.id, review_id=None, text=cleaned, owner=who, due=due,
                                          by=actor.staff_id, at=now)
            record(db, at=now, actor=actor, action="IQA action point added", sitting_id=found.sitting_id,
                   details={"plan": plan.id, "text": cleaned, "owner": who,
                            "due": due.isoformat() if due else None})
            return plan.id

        return self.plan(run_write(self.db, work, "adding an action point"))

    def sign_off(self, scope: str, *, by: str, statement: str | None = None) -> PlanView:
        """The reviewer signs their plan for ``scope`` off: every sampled script reviewed and confirmed."""
        text = _clean_text(statement, "A statement")
        now = self.clock.now()

        def work(db: Database) -> int:
            actor = resolve_actor(db, by, *REVIEWERS)
            found = self._scope(db, scope)
            row = self._current_plan_row(db, found, actor.staff_id)
            if row is None:
                raise IqaError(f"{actor.label} has no sampling plan for {found.label} to sign off.")
            plan = self._plan_view(db, row.id)
            if plan.sign_off is not None:
                raise IqaError(f"Plan {plan.id} was signed off by {plan.sign_off.reviewer} on "
                               f"{plan.sign_off.signed_at.astimezone():%Y-%m-%d}.")
            problems = []
            open_ = [s.script_ref for s in plan.scripts if s.review_state != "confirmed"]
            if open_:
                problems.append(f"not yet confirmed: {', '.join(open_)}")
            referred = [s.script_ref for s in plan.scripts if s.decision is ScriptDecision.REFER_BACK]
            if referred:
                problems.append(f"referred back and not yet reviewed again: {', '.join(referred)}")
            seconds = [s.script_ref for s in plan.scripts if s.second_marker and not s.second_marking_complete]
            if seconds:
                problems.append(f"blind second marking not complete: {', '.join(seconds)}")
            if problems:
                raise IqaError("The plan cannot be signed off yet: " + "; ".join(problems) + ".")
            iqa_store.insert_sign_off(db, plan.id, actor.staff_id, at=now, statement=text)
            record(db, at=now, actor=actor, action="IQA plan signed off", sitting_id=found.sitting_id,
                   details={"plan": plan.id, "scope": found.key, "statement": text,
                            "decisions": {s.script_ref: s.decision.value if s.decision else None
                                          for s in plan.scripts}})
            return plan.id

        return self.plan(run_write(self.db, work, "signing off"))

    # == tolerances ==================================================================================

    def tolerances(self, scope: str) -> dict[str, int]:
        """Tolerance per question label of the scope (questions not listed: 0)."""
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            papers = iqa_store.scope_papers(self.db, found)
            out: dict[str, int] = {}
            for paper_id, version in papers:
                paper, _ = self._paper_scheme(self.db, paper_id)
                stored = iqa_store.tolerances(self.db, paper_id)
                for q in paper.questions:
                    out[self._qlabel(q.id, version, len(papers))] = stored.get(q.id, 0)
            return out

    @staticmethod
    def _qlabel(question_id: str, version: str, papers: int) -> str:
        return question_id if papers <= 1 else f"{question_id} (v{version})"

    def set_tolerance(self, scope: str, question_id: str, tolerance: int, *, by: str) -> dict[str, int]:
        """Marks within ``tolerance`` of each other count as agreeing on this question (every paper of the scope)."""
        if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
            raise IqaError("A tolerance is a whole number of marks, 0 or more.")
        qid = str(question_id).strip()
        now = self.clock.now()

        def work(db: Database) -> None:
            actor = resolve_actor(db, by, *REVIEWERS)
            found = self._scope(db, scope)
            touched = 0
            for paper_id, version in iqa_store.scope_papers(db, found):
                paper, _ = self._paper_scheme(db, paper_id)
                question = paper.question(qid)
                if question is None:
                    continue
                if tolerance > question.marks:
                    raise IqaError(f"Question {qid} is worth {question.marks} marks: a tolerance of {tolerance} "
                                   "would count every pair of marks as agreeing.")
                old = iqa_store.tolerances(db, paper_id).get(qid, 0)
                iqa_store.set_tolerance(db, paper_id, qid, tolerance, by=actor.staff_id, at=now)
                record(db, at=now, actor=actor, action="IQA tolerance set", sitting_id=found.sitting_id,
                       details={"paper version": version, "question": qid, "old": old, "new": tolerance})
                touched += 1
            if not touched:
                raise IqaError(f"Question {qid} is not on the paper of {found.label}.")

        run_write(self.db, work, "setting a tolerance")
        return self.tolerances(scope)

    # == blind second marking ===========================================================================

    def assign_second_marker(self, script_id: int, *, second_marker: str, by: str) -> SecondMarkingRow:
        """Give a sampled script to a second marker for a blind second mark."""
        now = self.clock.now()

        def work(db: Database) -> int:
            actor = resolve_actor(db, by, *REVIEWERS)
            marker = resolve_actor(db, second_marker, *SECOND_MARKERS)
            script = self._script(db, script_id)
            _refuse_own(self._markers(db, [script_id]).get(script_id, []), marker.label, "second-mark")
            plan_id = iqa_store.current_plan_holding(db, script_id)
            if plan_id is None:
                raise IqaError(f"Script {script.script_number} is not in a current sampling plan: only sampled "
                               "scripts are second-marked.")
            if iqa_store.has_review(db, script_id, marker.staff_id):
                raise IqaError(f"{marker.label} has already opened the review of script {script.script_number} "
                               "and has seen its marks: a blind second mark must come from someone who has not.")
            holder = iqa_store.second_marker_holding(db, script_id)
            if holder is not None:
                raise IqaError(f"Script {script.script_number} is already given to {holder} for second marking.")
            new = iqa_store.assign_second_marker(db, plan_id=plan_id, script_id=script_id,
                                                 second_marker_id=marker.staff_id, by=actor.staff_id, at=now)
            record(db, at=now, actor=actor, action="IQA second marker assigned", sitting_id=script.sitting_id,
                   script_id=script_id, candidate_number=script.candidate_number,
                   details={"script_number": script.script_number, "second marker": marker.label, "blind": True})
            return new

        new_id = run_write(self.db, work, "assigning a second marker")
        with read_transaction(self.db):
            return self._second_rows(self.db, iqa_store.listed_second_marking(self.db, new_id))[0]

    def _second_rows(self, db: Database, rows: list[iqa_store.SecondMarkingListed]) -> list[SecondMarkingRow]:
        out = []
        for r in rows:
            paper, _ = self._paper_scheme(db, r.paper_id)
            out.append(SecondMarkingRow(
                script_id=r.script_id, script_number=r.script_number, sitting_code=r.code,
                second_marker=r.second_marker, assigned_by=r.assigned_by, assigned_at=r.assigned_at,
                questions_marked=r.questions_marked, questions_total=len(paper.questions),
                completed_at=r.completed_at))
        return out

    def second_marking_queue(self, *, by: str) -> list[SecondMarkingRow]:
        """The scripts given to ``by`` for blind second marking."""
        with read_transaction(self.db):
            actor = resolve_actor(self.db, by, *SECOND_MARKERS)
            return self._second_rows(self.db, iqa_store.second_markings_given_to(self.db, actor.staff_id))

    def second_markings(self, scope: str) -> list[SecondMarkingRow]:
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            return self._second_rows(self.db, iqa_store.second_markings_in(self.db, found))

    def _assignment(self, db: Database, script_id: int,
                    actor: Actor) -> tuple[iqa_store.StoredSecondMarking, iqa_store.IqaScript]:
        script = self._script(db, script_id)
        _refuse_own(self._markers(db, [script_id]).get(script_id, []), actor.label, "second-mark")
        row = iqa_store.second_marking(db, script_id, actor.staff_id)
        if row is None:
            raise IqaError(f"Script {script.script_number} is not given to {actor.label} for second marking.")
        return row, script

    def second_marking_view(self, script_id: int, *, by: str) -> BlindScript:
        """The second marker's blind view: no first marks, ticks, comments, totals or markers' names."""
        with read_transaction(self.db):
            actor = resolve_actor(self.db, by, *SECOND_MARKERS)
            return self._blind(self.db, script_id, actor)

    def _blind(self, db: Database, script_id: int, actor: Actor) -> BlindScript:
        row, script = self._assignment(db, script_id, actor)
        paper, scheme = self._paper_scheme(db, script.paper_id)
        answers = mark_store.script_answers(db, script_id)
        mine = dict(items_in_question_order(iqa_store.second_marks(db, row.id)))
        return BlindScript(script_id=script_id, script_number=script.script_number, sitting_code=script.code,
                           second_marker=actor.label, paper=paper, scheme=scheme, answers=answers, my_marks=mine,
                           completed_at=row.completed_at)

    def record_second_mark(self, script_id: int, question_id: str, marks: object, *, by: str) -> BlindScript:
        """One blind second mark (changeable until the second marking is complete)."""
        return self.record_second_marks(script_id, {question_id: marks}, by=by)

    def record_second_marks(self, script_id: int, marks: dict[str, object], *, by: str) -> BlindScript:
        """Several blind second marks at once: all are saved, or (one refused) none."""
        now = self.clock.now()

        def work(db: Database) -> BlindScript:
            actor = resolve_actor(db, by, *SECOND_MARKERS)
            row, script = self._assignment(db, script_id, actor)
            if row.completed_at:
                raise IqaError(f"Your second marking of script {script.script_number} is complete and "
                               "cannot change.")
            paper, _ = self._paper_scheme(db, script.paper_id)
            for question_id, value in marks.items():
                qid = str(question_id).strip()
                question = paper.question(qid)
                if question is None:
                    raise IqaError(f"Question {qid} is not on this paper "
                                   f"(questions: {', '.join(q.id for q in paper.questions)}); nothing was saved.")
                checked = _as_mark(value, qid, question.marks)
                iqa_store.save_second_mark(db, row.id, qid, checked, at=now)
            return self._blind(db, script_id, actor)

        return run_write(self.db, work, "saving second marks")

    def complete_second_marking(self, script_id: int, *, by: str) -> BlindScript:
        now = self.clock.now()

        def work(db: Database) -> BlindScript:
            actor = resolve_actor(db, by, *SECOND_MARKERS)
            view = self._blind(db, script_id, actor)
            if view.completed_at is not None:
                return view
            missing = [q.id for q in view.paper.questions if q.id not in view.my_marks]
            if missing:
                raise IqaError(f"Give a second mark for every question first: {', '.join(missing)} "
                               f"{'has' if len(missing) == 1 else 'have'} none.")
            iqa_store.complete_second_marking(db, script_id, actor.staff_id, at=now)
            script = self._script(db, script_id)
            record(db, at=now, actor=actor, action="IQA blind second marking complete",
                   sitting_id=script.sitting_id, script_id=script_id, candidate_number=script.candidate_number,
                   details={"script_number": script.script_number, "marks": view.my_marks})
            return self._blind(db, script_id, actor)

        return run_write(self.db, work, "completing a second marking")

    # == agreement ====================================================================================

    def _pairs(self, db: Database, scope: Scope, source: Source) -> tuple[list[MarkPair], dict[str, int], dict]:
        """(pairs, tolerance by question label, pair index -> (script_id, second marker)) for the scope."""
        papers = iqa_store.scope_papers(db, scope)
        versions = dict(papers)
        tolerance: dict[str, int] = {}
        for paper_id, version in papers:
            paper, _ = self._paper_scheme(db, paper_id)
            stored = iqa_store.tolerances(db, paper_id)
            for q in paper.questions:
                tolerance[self._qlabel(q.id, version, len(papers))] = stored.get(q.id, 0)
        pairs: list[MarkPair] = []
        origin: dict[int, tuple[int, str]] = {}

        def max_marks(paper_id: int, qid: str) -> int:
            paper, _ = self._paper_scheme(db, paper_id)
            question = paper.question(qid)
            return question.marks if question else 0

        if source in ("all", "iqa"):
            # The first round of each reviewer's review: the marking as it was signed off.
            for j in iqa_store.first_round_judgements(db, scope):
                maximum = max_marks(j.paper_id, j.question_id)
                if maximum < 1:
                    continue
                second = j.marker_mark if j.agree else j.reviewer_mark
                pairs.append(MarkPair(
                    question_id=self._qlabel(j.question_id, versions[j.paper_id], len(papers)),
                    max_marks=maximum, first_mark=j.marker_mark, second_mark=second, marker=j.marker,
                    script_ref=j.script_number if scope.sitting_id else f"{j.code}/{j.script_number}"))
        if source in ("all", "second"):
            rows = iqa_store.completed_second_marks(db, scope)
            firsts = mark_store.marker_marks(db, sorted({r.script_id for r in rows}))
            for r in rows:
                first = firsts.get(r.script_id, {}).get(r.question_id)
                maximum = max_marks(r.paper_id, r.question_id)
                if first is None or maximum < 1:
                    continue
                origin[len(pairs)] = (r.script_id, r.second_marker)
                pairs.append(MarkPair(
                    question_id=self._qlabel(r.question_id, versions[r.paper_id], len(papers)),
                    max_marks=maximum, first_mark=first.marks_awarded, second_mark=r.marks,
                    marker=first.marker_name,
                    script_ref=r.script_number if scope.sitting_id else f"{r.code}/{r.script_number}"))
        return pairs, tolerance, origin

    def agreement(self, scope: str, *, source: Source = "all") -> AgreementReport:
        """Agreement figures for ``scope``: overall, per marker and per question.

        ``source``: "iqa" (reviewers' judgements, first round), "second"
        (completed blind second marks) or "all" (both).
        """
        if source not in ("all", "iqa", "second"):
            raise IqaError("Choose the pairs to compare: all, iqa or second.")
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            pairs, tolerance, _ = self._pairs(self.db, found, source)
        return AgreementReport(
            scope=found, source=source, pairs=tuple(pairs), tolerance=tolerance,
            overall=agreement_rules.agreement(pairs, tolerance),
            by_marker=agreement_rules.by_marker(pairs, tolerance),
            by_question=agreement_rules.by_question(pairs, tolerance))

    def adjudication(self, scope: str) -> list[AdjudicationItem]:
        """Blind second marks out of tolerance with the marker's: the questions a reviewer adjudicates."""
        with read_transaction(self.db):
            found = self._scope(self.db, scope)
            pairs, tolerance, origin = self._pairs(self.db, found, "second")
            index = {(p.script_ref, p.question_id): origin[i] for i, p in enumerate(pairs)}
            judged = iqa_store.judged_questions(self.db)
            out = []
            for d in agreement_rules.out_of_tolerance(pairs, tolerance):
                script_id, second = index[(d.script_ref, d.question_id)]
                qid = d.question_id.split(" (v")[0]
                out.append(AdjudicationItem(discrepancy=d, script_id=script_id, second_marker=second,
                                            resolved_by_review=(script_id, qid) in judged))
            return out

    # == status =======================================================================================

    def status(self, scope: str) -> IqaStatus:
        """Plans, review progress and decisions, second marking, adjudication and agreement for ``scope``."""
        plans = self.current_plans(scope)
        progress = []
        for plan in plans:
            decisions: dict[str, int] = {d.value: 0 for d in ScriptDecision}
            for s in plan.scripts:
                if s.decision is not None and s.review_state == "confirmed":
                    decisions[s.decision.value] += 1
            progress.append(ReviewerProgress(plan=plan, counts=plan.counts(), decisions=decisions))
        return IqaStatus(scope=self.scope(scope), plans=tuple(progress),
                         second_marking=tuple(self.second_markings(scope)),
                         adjudication=tuple(self.adjudication(scope)), agreement=self.agreement(scope))

    def sampleable_scopes(self) -> list[tuple[str, int, int]]:
        """Sittings with scripts marked complete: (code, marked complete, submitted), newest first."""
        with read_transaction(self.db):
            return iqa_store.sampleable_sittings(self.db, MARKABLE_FINISHES)
