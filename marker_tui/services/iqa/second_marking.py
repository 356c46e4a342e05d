"""Tolerances and blind second marking.

A sampled script can be given to a second marker (not one of its markers);
their view has the answers and mark scheme but no first marks, and they cannot
open the IQA review of that script until they have completed it. A question's
tolerance is how far two marks may differ and still count as agreeing.
"""

from __future__ import annotations

from marker_tui.domain.events.iqa import (
    BlindSecondMarkingCompleted,
    SecondMarkerAssigned,
    SecondMarksSaved,
    ToleranceSet,
)
from marker_tui.services.iqa.common import REVIEWING, SECOND_MARKING, IqaError, as_mark, refuse_own
from marker_tui.services.iqa.views import BlindScript, IqaViews, SecondMarkingRow
from marker_tui.services.unit_of_work import UnitOfWork, authorise
from marker_tui.storage import iqa as iqa_store


class SecondMarkingService:
    """Tolerances per question, second-marker assignments and the blind second marks themselves."""

    def __init__(self, uow: UnitOfWork, views: IqaViews) -> None:
        self.uow = uow
        self.views = views

    # == tolerances ===================================================================================

    def tolerances(self, scope: str) -> dict[str, int]:
        """Tolerance per question label of the scope (questions not listed: 0)."""
        with self.uow.read() as rx:
            return self.views.tolerances(rx.db, self.views.scope(rx.db, scope))

    def set_tolerance(self, scope: str, question_id: str, tolerance: int, *, by: str) -> dict[str, int]:
        """Marks within ``tolerance`` of each other count as agreeing on this question (every paper of the scope)."""
        if isinstance(tolerance, bool) or not isinstance(tolerance, int) or tolerance < 0:
            raise IqaError("A tolerance is a whole number of marks, 0 or more.")
        qid = str(question_id).strip()
        with self.uow.write(by=by, needs=REVIEWING, what="setting a tolerance") as tx:
            db = tx.db
            found = self.views.scope(db, scope)
            for p in iqa_store.scope_papers(db, found):
                paper, _ = self.views.paper_scheme(db, p.paper_id)
                question = paper.question(qid)
                if question is None:
                    continue
                if tolerance > question.marks:
                    raise IqaError(f"Question {qid} is worth {question.marks} marks: a tolerance of {tolerance} "
                                   "would count every pair of marks as agreeing.")
                old = iqa_store.tolerances(db, p.paper_id).get(qid, 0)
                iqa_store.set_tolerance(db, p.paper_id, qid, tolerance, by=tx.actor.staff_id, at=tx.now)
                tx.record(ToleranceSet(sitting_id=found.sitting_id, paper_version=p.version, question=qid,
                                       old=old, new=tolerance))
            if not tx.recorded:
                raise IqaError(f"Question {qid} is not on the paper of {found.label}.")
            return self.views.tolerances(db, found)

    # == assignments ==================================================================================

    def assign_second_marker(self, script_id: int, *, second_marker: str, by: str) -> SecondMarkingRow:
        """Give a sampled script to a second marker for a blind second mark."""
        with self.uow.write(by=by, needs=REVIEWING, what="assigning a second marker") as tx:
            db = tx.db
            marker = authorise(db, second_marker, SECOND_MARKING)
            script = self.views.script(db, script_id)
            refuse_own(self.views.markers(db, [script_id]).get(script_id, []), marker.label, "second-mark")
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
                                                 second_marker_id=marker.staff_id, by=tx.actor.staff_id, at=tx.now)
            tx.record(SecondMarkerAssigned(sitting_id=script.sitting_id, script_id=script_id,
                                           candidate_number=script.candidate_number,
                                           script_number=script.script_number, second_marker=marker.label))
            return self.views.second_rows(db, iqa_store.listed_second_marking(db, new))[0]

    def second_marking_queue(self, *, by: str) -> list[SecondMarkingRow]:
        """The scripts given to ``by`` for blind second marking."""
        with self.uow.read(by=by, needs=SECOND_MARKING) as rx:
            return self.views.second_rows(rx.db, iqa_store.second_markings_given_to(rx.db, rx.actor.staff_id))

    def second_markings(self, scope: str) -> list[SecondMarkingRow]:
        with self.uow.read() as rx:
            found = self.views.scope(rx.db, scope)
            return self.views.second_rows(rx.db, iqa_store.second_markings_in(rx.db, found))

    # == the second marker's own work ===================================================================

    def second_marking_view(self, script_id: int, *, by: str) -> BlindScript:
        """The second marker's blind view: no first marks, ticks, comments, totals or markers' names."""
        with self.uow.read(by=by, needs=SECOND_MARKING) as rx:
            return self.views.blind(rx.db, script_id, rx.actor)

    def record_second_mark(self, script_id: int, question_id: str, marks: object, *, by: str) -> BlindScript:
        """One blind second mark (changeable until the second marking is complete)."""
        return self.record_second_marks(script_id, {question_id: marks}, by=by)

    def record_second_marks(self, script_id: int, marks: dict[str, object], *, by: str) -> BlindScript:
        """Several blind second marks at once: all are saved, or (one refused) none."""
        with self.uow.write(by=by, needs=SECOND_MARKING, what="saving second marks") as tx:
            db = tx.db
            row, script = self.views.assignment(db, script_id, tx.actor)
            if row.completed_at:
                raise IqaError(f"Your second marking of script {script.script_number} is complete and "
                               "cannot change.")
            paper, _ = self.views.paper_scheme(db, script.paper_id)
            saved: dict[str, int] = {}
            for question_id, value in marks.items():
                qid = str(question_id).strip()
                question = paper.question(qid)
                if question is None:
                    raise IqaError(f"Question {qid} is not on this paper "
                                   f"(questions: {', '.join(q.id for q in paper.questions)}); nothing was saved.")
                saved[qid] = as_mark(value, qid, question.marks)
                iqa_store.save_second_mark(db, row.id, qid, saved[qid], at=tx.now)
            tx.record(SecondMarksSaved(sitting_id=script.sitting_id, script_id=script_id,
                                       candidate_number=script.candidate_number,
                                       script_number=script.script_number, marks=saved))
            return self.views.blind(db, script_id, tx.actor)

    def complete_second_marking(self, script_id: int, *, by: str) -> BlindScript:
        try:
            with self.uow.write(by=by, needs=SECOND_MARKING, what="completing a second marking") as tx:
                db, actor = tx.db, tx.actor
                view = self.views.blind(db, script_id, actor)
                if view.completed_at is not None:
                    raise _AlreadyComplete(view)  # nothing to write, so nothing to record
                missing = [q.id for q in view.paper.questions if q.id not in view.my_marks]
                if missing:
                    raise IqaError(f"Give a second mark for every question first: {', '.join(missing)} "
                                   f"{'has' if len(missing) == 1 else 'have'} none.")
                iqa_store.complete_second_marking(db, script_id, actor.staff_id, at=tx.now)
                script = self.views.script(db, script_id)
                tx.record(BlindSecondMarkingCompleted(sitting_id=script.sitting_id, script_id=script_id,
                                                      candidate_number=script.candidate_number,
                                                      script_number=script.script_number, marks=view.my_marks))
                return self.views.blind(db, script_id, actor)
        except _AlreadyComplete as done:
            return done.view


class _AlreadyComplete(Exception):
    """Completing twice is harmless: the block is left (and rolled back, empty) with the view as it is."""

    def __init__(self, view: BlindScript) -> None:
        super().__init__("already complete")
        self.view = view
