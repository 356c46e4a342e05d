"""Reviews of sampled scripts: per-question judgements, the decision, its confirmation, action points.

Per question the reviewer agrees or gives a different mark with a reason
(:meth:`ReviewService.record_question`); then a decision for the script with
feedback to the marker and action points (:meth:`ReviewService.decide`), which
changes nothing until :meth:`ReviewService.confirm`. Confirming applies "marks
adjusted" changes through :meth:`MarkingService.adjust_mark` (role ``iqa``,
audited with old and new values and the reason) **in the same transaction** as
the confirmation: if any change is refused nothing is applied and the review
stays pending. A confirmed review is frozen (database triggers). "Refer back to
marker" applies nothing; after the marker re-marks, :meth:`ReviewService.rereview`
starts round 2. A reviewer never reviews a script they marked any part of.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from marker_tui.domain.events.iqa import (
    ActionPointAdded,
    DecisionConfirmed,
    DecisionRecorded,
    DecisionWithdrawn,
    QuestionReviewed,
    ReviewStarted,
)
from marker_tui.domain.reports import ScriptDecision
from marker_tui.domain.sampling import natural_key, person_key
from marker_tui.services.iqa.common import REVIEWING, IqaError, as_mark, clean_text
from marker_tui.services.iqa.views import (
    ActionPointIn,
    Confirmation,
    IqaViews,
    MarkChange,
    PlanView,
    ReviewSummary,
    ReviewView,
)
from marker_tui.services.marking import MarkingService, StoredMark
from marker_tui.services.unit_of_work import UnitOfWork, Writing
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage import marks as mark_store


class ReviewService:
    """What an internal quality assurer records about one sampled script (and the sample)."""

    def __init__(self, uow: UnitOfWork, views: IqaViews, marking: MarkingService) -> None:
        self.uow = uow
        self.views = views
        self.marking = marking

    # == reading ======================================================================================

    def review_view(self, script_id: int, *, reviewer: str) -> ReviewView:
        """One sampled script for review: answers, the marks (ticks, comments), mark scheme, the review so far.

        Refused (:class:`OwnMarking`) if the reviewer marked any part of the script.
        """
        with self.uow.read(by=reviewer, needs=REVIEWING) as rx:
            return self.views.review(rx.db, script_id, rx.actor)

    def reviews(self, scope: str, *, confirmed_only: bool = False) -> list[ReviewSummary]:
        """Every review round of every script of ``scope``, by script then reviewer then round.

        Read-only and not limited to one reviewer: what the IQA record exports.
        (Identities are included; the record is written after marking.)
        """
        with self.uow.read() as rx:
            db = rx.db
            found = self.views.scope(db, scope)
            rows = iqa_store.reviewed_scripts(db, found)
            ids = sorted({r.script_id for r in rows})
            markers = self.views.markers(db, ids)
            current = mark_store.current_marks(db, ids)
            out = []
            for r in rows:
                paper, _ = self.views.paper_scheme(db, r.paper_id)
                marks = {q: StoredMark(script_id=r.script_id, question_id=q, marks_awarded=m.marks_awarded,
                                       credited_points=m.credited_points, comment=m.comment,
                                       marked_by=m.marker_name, marked_by_id=m.marked_by,
                                       marked_at=m.marked_at, role=m.role, version=m.version)
                         for q, m in current.get(r.script_id, {}).items()}
                ref = self.views.ref(found, r.script_number, r.code)
                for review in self.views.review_records(db, r.script_id, r.reviewer_id, marks):
                    if confirmed_only and review.state != "confirmed":
                        continue
                    out.append(ReviewSummary(
                        script_id=r.script_id, script_ref=ref, sitting_code=r.code,
                        candidate_number=r.candidate_number, candidate_name=r.candidate_name, reviewer=r.reviewer,
                        markers=tuple(markers.get(r.script_id, [])),
                        max_marks={q.id: q.marks for q in paper.questions}, review=review))
        out.sort(key=lambda x: (natural_key(x.script_ref), person_key(x.reviewer), x.review.round))
        return out

    # == judging ======================================================================================

    def _open_review(self, tx: Writing, script: iqa_store.IqaScript, plan_id: int) -> iqa_store.StoredReview:
        """The latest round, started if there is none; refused once confirmed."""
        row = iqa_store.latest_review(tx.db, script.id, tx.actor.staff_id)
        if row is None:
            review_id = iqa_store.start_review(tx.db, plan_id=plan_id, script_id=script.id,
                                               reviewer_id=tx.actor.staff_id, round=1, at=tx.now)
            tx.record(ReviewStarted(sitting_id=script.sitting_id, script_id=script.id,
                                    candidate_number=script.candidate_number, script_number=script.script_number,
                                    plan=plan_id, round=1))
            return iqa_store.review(tx.db, review_id)
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
        why = clean_text(reason, "A reason", limit=500)
        with self.uow.write(by=reviewer, needs=REVIEWING, what="recording a review") as tx:
            db, actor = tx.db, tx.actor
            script, _, plan = self.views.review_context(db, script_id, actor)
            paper, _ = self.views.paper_scheme(db, script.paper_id)
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
                value = as_mark(mark, question_id, question.marks)
                if value == current.marks_awarded:
                    agreed, value = True, None
                elif not why:
                    raise IqaError(f"Question {question_id}: give a reason for the different mark "
                                   f"({current.marks_awarded} → {value}); it goes to the marker and the IQA "
                                   "record. Nothing was saved.")
            review = self._open_review(tx, script, plan.plan_id)
            where = dict(sitting_id=script.sitting_id, script_id=script_id, candidate_number=script.candidate_number)
            if review.state == "awaiting confirmation":
                iqa_store.withdraw_decision(db, review.id)
                tx.record(DecisionWithdrawn(**where, script_number=script.script_number, decision=review.decision,
                                            because=f"question {question_id} was judged again"))
            iqa_store.save_judgement(
                db, review.id, question_id, marker_mark=current.marks_awarded, marker_id=current.marked_by,
                mark_version=current.version, agree=agreed, reviewer_mark=value, reason=None if agreed else why,
                at=tx.now)
            tx.record(QuestionReviewed(**where, script_number=script.script_number, question=question_id,
                                       markers_mark=current.marks_awarded, marked_by=current.marker_name,
                                       agree=agreed, reviewers_mark=value, reason=None if agreed else why,
                                       round=review.round))
            return self.views.review(db, script_id, actor)

    def agree_all(self, script_id: int, *, reviewer: str) -> ReviewView:
        """Agree with every question not judged yet (questions already judged are left as they are)."""
        view = self.review_view(script_id, reviewer=reviewer)
        for qid in view.unjudged:
            view = self.record_question(script_id, qid, reviewer=reviewer, agree=True)
        return view

    # == deciding =====================================================================================

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
        note = clean_text(feedback, "Feedback to the marker")
        why = clean_text(decision_reason, "A reason", limit=500)
        points = []
        for point in action_points:
            item = ActionPointIn(text=point) if isinstance(point, str) else point
            text = clean_text(item.text, "An action point", limit=500)
            if text:
                points.append(item.model_copy(update={"text": text,
                                                      "owner": clean_text(item.owner, "An owner", limit=500)}))
        with self.uow.write(by=reviewer, needs=REVIEWING, what="recording a decision") as tx:
            db, actor = tx.db, tx.actor
            script, _, plan = self.views.review_context(db, script_id, actor)
            view = self.views.review(db, script_id, actor)
            if view.review is None or view.unjudged:
                missing = ", ".join(view.unjudged)
                raise IqaError(f"Judge every question before deciding: question(s) {missing} of script "
                               f"{script.script_number} have no agree or different mark yet.")
            if view.review.state == "confirmed":
                self._open_review(tx, script, plan.plan_id)  # raises with the right words
            if view.stale:
                raise IqaError(_stale_message(view))
            differs = view.review.differences
            if chosen is ScriptDecision.ADJUSTED and not differs:
                raise IqaError("You agreed with every mark: 'marks adjusted' needs at least one different mark. "
                               "Choose 'marking upheld', or give a different mark with a reason first.")
            if chosen is ScriptDecision.REFER_BACK and not note:
                raise IqaError("'Refer back to marker' needs feedback to the marker saying what to look at again.")
            iqa_store.record_decision(db, view.review.id, decision=chosen.value, reason=why, feedback=note,
                                      at=tx.now)
            iqa_store.delete_review_action_points(db, view.review.id)
            for item in points:
                iqa_store.insert_action_point(db, plan_id=plan.plan_id, review_id=view.review.id, text=item.text,
                                              owner=item.owner, due=item.due, by=actor.staff_id, at=tx.now)
            changes = view.pending_changes() if chosen is ScriptDecision.ADJUSTED else []
            tx.record(DecisionRecorded(
                sitting_id=script.sitting_id, script_id=script_id, candidate_number=script.candidate_number,
                script_number=script.script_number, decision=chosen.value, reason=why, feedback_to_marker=note,
                action_points=[p.text for p in points],
                changes_on_confirmation=[c.model_dump() for c in changes], round=view.review.round))
            if confirm:
                return self._confirm(tx, script_id).review
            return self.views.review(db, script_id, actor)

    def confirm(self, script_id: int, *, reviewer: str) -> Confirmation:
        """Confirm the pending decision: apply "marks adjusted" changes through the marking engine.

        One transaction: every change goes through :meth:`MarkingService.adjust_mark`
        (role ``iqa``, the reason kept with the new mark version and in the
        audit log with old and new values), then the review is marked
        confirmed. If any change is refused, none is applied.
        """
        with self.uow.write(by=reviewer, needs=REVIEWING, what="confirming a decision") as tx:
            return self._confirm(tx, script_id)

    def _confirm(self, tx: Writing, script_id: int) -> Confirmation:
        db, actor = tx.db, tx.actor
        script, _, plan = self.views.review_context(db, script_id, actor)
        view = self.views.review(db, script_id, actor)
        review = view.review
        if review is None or review.state == "in progress":
            raise IqaError(f"There is no decision on script {script.script_number} to confirm yet: "
                           "record one first (d on the review screen).")
        if review.state == "confirmed":
            self._open_review(tx, script, plan.plan_id)  # raises
        if view.stale:
            raise IqaError(_stale_message(view))
        decision = review.decision
        assert decision is not None
        before = view.result_now.total
        applied: list[MarkChange] = []
        if decision is ScriptDecision.ADJUSTED:
            for change in view.pending_changes():
                j = review.questions[change.question_id]
                # Nested in this transaction (a savepoint): a refusal here undoes every change.
                self.marking.adjust_mark(script_id, change.question_id, change.new, by=actor.label,
                                         reason=f"IQA review: {change.reason}", expected_version=j.mark_version)
                applied.append(change)
        iqa_store.confirm_review(db, review.id, at=tx.now)
        after_view = self.views.review(db, script_id, actor)
        tx.record(DecisionConfirmed(
            sitting_id=script.sitting_id, script_id=script_id, candidate_number=script.candidate_number,
            script_number=script.script_number, decision=decision.value,
            changes=[c.model_dump() for c in applied], total_before=before,
            total_after=after_view.result_now.total, result_after=after_view.result_now.status,
            feedback_to_marker=review.feedback_to_marker, round=review.round,
            questions={q: {"marker": j.marker_mark, "agree": j.agree, "reviewer": j.reviewer_mark,
                           "reason": j.reason} for q, j in review.questions.items()}))
        return Confirmation(review=after_view, decision=decision, applied=tuple(applied), total_before=before,
                            total_after=after_view.result_now.total)

    def rereview(self, script_id: int, *, reviewer: str) -> ReviewView:
        """Start a new round of review after the script was referred back to its marker."""
        with self.uow.write(by=reviewer, needs=REVIEWING, what="starting a new review round") as tx:
            db, actor = tx.db, tx.actor
            script, _, plan = self.views.review_context(db, script_id, actor)
            last = iqa_store.latest_review(db, script_id, actor.staff_id)
            if last is None or last.state != "confirmed" or last.decision != ScriptDecision.REFER_BACK:
                raise IqaError(f"Script {script.script_number} was not referred back to its marker: "
                               "there is no new round to start.")
            iqa_store.start_review(db, plan_id=plan.plan_id, script_id=script_id, reviewer_id=actor.staff_id,
                                   round=last.round + 1, at=tx.now)
            tx.record(ReviewStarted(sitting_id=script.sitting_id, script_id=script_id,
                                    candidate_number=script.candidate_number, script_number=script.script_number,
                                    plan=plan.plan_id, round=last.round + 1, after="referred back to the marker"))
            return self.views.review(db, script_id, actor)

    # == action points for the sample ===================================================================

    def add_action_point(self, scope: str, text: str, *, by: str, owner: str | None = None,
                         due: date | None = None) -> PlanView:
        """An action point for the whole sample (e.g. "standardisation meeting on question 3")."""
        cleaned = clean_text(text, "An action point", limit=500)
        if not cleaned:
            raise IqaError("An action point needs some text.")
        who = clean_text(owner, "An owner", limit=500)
        with self.uow.write(by=by, needs=REVIEWING, what="adding an action point") as tx:
            db, actor = tx.db, tx.actor
            found = self.views.scope(db, scope)
            plan = iqa_store.current_plan(db, found, actor.staff_id)
            if plan is None:
                raise IqaError(f"{actor.label} has no sampling plan for {found.label}: draw one first.")
            iqa_store.insert_action_point(db, plan_id=plan.id, review_id=None, text=cleaned, owner=who, due=due,
                                          by=actor.staff_id, at=tx.now)
            tx.record(ActionPointAdded(sitting_id=found.sitting_id, plan=plan.id, text=cleaned, owner=who,
                                       due=due.isoformat() if due else None))
            return self.views.plan(db, plan.id)


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
