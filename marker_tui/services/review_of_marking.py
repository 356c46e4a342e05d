"""Review of marking: a learner's query or appeal, looked at again by someone independent.

The lead assessor (``Permission.LEAD_MARKING``) puts a learner's script under review, once the
sitting's results have been shared (exported: ``domain/review_of_marking.py`` says why that is the
rule), with the learner's reason, a deadline and a reviewer who neither marked nor IQA-reviewed
the script (refused otherwise, and the refusal is audited). The reviewer sees the script, its
original marks and their annotations (ticked points, comments), and per question upholds the mark
or gives a new one, each with a reason. Completing the review writes each changed mark as a new
mark version (role ``review``, its reason quoting the review), so the original marks stay in the
mark's history and in the audit log; the outcome (upheld / mark changed, grade changed or not)
goes into the results export and a letter to the learner (:meth:`export_letter`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.reviews import (
    MarkChangedByReview,
    ReviewLetterExported,
    ReviewOfMarkingCompleted,
    ReviewOfMarkingOpened,
    ReviewOfMarkingRefused,
    ReviewQuestionDecided,
)
from marker_tui.domain.marking import QuestionMark, script_result
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.not_attempted import NOT_ATTEMPTED, is_not_attempted
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.review_of_marking import (
    LetterQuestion,
    QuestionDecision,
    ReviewLetter,
    ReviewRefused,
    check_deadline,
    check_reason,
    independence_problem,
    is_overdue,
    outcome,
)
from marker_tui.domain.roles import Permission, may
from marker_tui.services.audit import ServiceError
from marker_tui.services.papers import get_paper
from marker_tui.services.unit_of_work import Reading, UnitOfWork
from marker_tui.storage.database import Database, now_text
from marker_tui.storage.marks import MarkingScript
from marker_tui.storage.reviews import QuestionDecisionRecord, ReviewRecord

#: Who may be chosen as reviewer: staff who mark or do IQA (the independence rule then applies).
REVIEWER_PERMISSIONS = (Permission.MARK, Permission.REVIEW_MARKING)
REVIEW_REASON_PREFIX = "Review of marking"


class ReviewError(ServiceError):
    """A review of marking request refused; nothing was changed."""


@dataclass(frozen=True)
class ReviewQuestion:
    """One question as the reviewer sees it: the answer, the original mark and its annotations."""

    question_id: str
    text: str
    available: int
    answer: str
    not_attempted: bool
    original_mark: int | None
    original_version: int
    marked_by: str | None
    ticked_points: tuple[str, ...]
    comment: str | None
    decision: QuestionDecisionRecord | None


@dataclass(frozen=True)
class ReviewView:
    record: ReviewRecord
    questions: tuple[ReviewQuestion, ...]
    overdue: bool
    history: tuple[dict, ...] = field(default_factory=tuple)
    """Every mark version of the script, oldest first (marks, who, role, reason)."""

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def finished(self) -> bool:
        return self.record.completed_at is not None

    @property
    def undecided(self) -> list[str]:
        return [q.question_id for q in self.questions if q.decision is None]


@dataclass(frozen=True)
class ReviewSummary:
    record: ReviewRecord
    overdue: bool

    @property
    def state(self) -> str:
        if self.record.completed_at is not None:
            return self.record.outcome or "finished"
        return "overdue" if self.overdue else "open"


def _deadline(value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ReviewError(f"The deadline {str(value).strip()!r} is not a date: write it as YYYY-MM-DD, "
                          "e.g. 2026-03-20.") from None


class ReviewOfMarkingService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def _today(self) -> date:
        return self.clock.now().astimezone().date()

    # -- reading ------------------------------------------------------------------------------------
    def _script(self, rx: Reading, code: str, script: str) -> MarkingScript:
        sitting = rx.sittings.sitting_by_code(code)
        if sitting is None:
            raise ReviewError(rx.sittings.no_such_sitting(code))
        wanted = " ".join(str(script or "").split())
        by_number = rx.marks.scripts_for_marking(sitting.id)
        kind, _, number = wanted.partition(" ")
        if kind.casefold() in ("script", "candidate") and number:
            wanted = number
        else:
            kind = ""
        as_script = by_number.get(wanted) if kind.casefold() != "candidate" else None
        as_candidate = None if kind.casefold() == "script" else next(
            (r for r in by_number.values() if r.candidate_number.casefold() == wanted.casefold()), None)
        # Script numbers are random and candidate numbers are often in the same range: a number
        # that is one learner's script and another learner's candidate number is never guessed.
        if as_script is not None and as_candidate is not None and as_script.id != as_candidate.id:
            raise ReviewError(
                f"In sitting {sitting.code}, {wanted} is script {wanted} (candidate {as_script.candidate_number}) "
                f"and also candidate {wanted}'s number (script {as_candidate.script_number}): write "
                f"'script {wanted}' or 'candidate {wanted}'.")
        found = as_script or as_candidate
        if found is None:
            raise ReviewError(f"Sitting {sitting.code} has no script or candidate {wanted or '(empty)'}: "
                              "give the script number or the candidate number.")
        return found

    @staticmethod
    def _paper_scheme(rx: Reading, paper_id: int) -> tuple[QuestionPaper, MarkScheme]:
        stored = get_paper(rx.db, paper_id)
        scheme = rx.papers.latest_scheme(paper_id)
        if scheme is None:
            raise ReviewError(f"No mark scheme is loaded for {stored.qualification} unit {stored.unit}.")
        return stored.paper, scheme.scheme

    @staticmethod
    def _result(paper: QuestionPaper, scheme: MarkScheme, marks: dict[str, int]) -> str:
        given = {q: QuestionMark.model_construct(question_id=q, marks_awarded=v, credited_points=(), comment=None)
                 for q, v in marks.items()}
        return script_result(paper, scheme, given).status

    def _review(self, rx: Reading, review_id: int) -> ReviewRecord:
        found = rx.reviews.review(review_id)
        if found is None:
            raise ReviewError(f"There is no review of marking number {review_id} (marker-tui review list shows them).")
        return found

    def _view(self, rx: Reading, record: ReviewRecord) -> ReviewView:
        script = rx.marks.script_for_marking(record.script_id)
        paper, scheme = self._paper_scheme(rx, script.paper_id)
        answers = rx.marks.script_answers(record.script_id)
        marks = rx.marks.marks_of_script(record.script_id)
        decided = rx.reviews.decisions(record.id)
        questions = []
        for q in paper.questions:
            entry = scheme.question(q.id)
            mark = marks.get(q.id)
            ticks = list(mark.credited_points) if mark else []
            points = tuple(entry.points[i].text for i in ticks if entry and i < len(entry.points))
            answer = answers.get(q.id, "")
            questions.append(ReviewQuestion(
                question_id=q.id, text=q.text, available=q.marks, answer=answer,
                not_attempted=is_not_attempted(answer),
                original_mark=None if mark is None else mark.marks_awarded,
                original_version=0 if mark is None else mark.version,
                marked_by=None if mark is None else mark.marker_name, ticked_points=points,
                comment=None if mark is None else mark.comment, decision=decided.get(q.id)))
        history = tuple({"question": v.question_id, "version": v.version, "marks": v.marks_awarded,
                         "by": v.marker_name, "role": v.role, "reason": v.reason, "at": now_text(v.marked_at)}
                        for v in rx.marks.mark_versions(record.script_id))
        return ReviewView(record=self._as_seen(rx, record), questions=tuple(questions), history=history,
                          overdue=is_overdue(record.deadline, self._today(), finished=record.completed_at is not None))

    def view(self, review_id: int, *, by: str) -> ReviewView:
        """The script under review as its reviewer (or the lead assessor) sees it."""
        with self.uow.read(by=by, needs=(*REVIEWER_PERMISSIONS, Permission.LEAD_MARKING)) as rx:
            record = self._review(rx, review_id)
            self._check_may_see(rx, record)
            return self._view(rx, record)

    def reviews(self, code: str | None = None, *, by: str) -> list[ReviewSummary]:
        """Reviews (of one sitting), newest first: the lead assessor sees all, a reviewer their own."""
        with self.uow.read(by=by, needs=(*REVIEWER_PERMISSIONS, Permission.LEAD_MARKING)) as rx:
            sitting_id = None
            if code:
                sitting = rx.sittings.sitting_by_code(code)
                if sitting is None:
                    raise ReviewError(rx.sittings.no_such_sitting(code))
                sitting_id = sitting.id
            lead = self._is_lead(rx)
            found = rx.reviews.reviews(sitting_id=sitting_id, reviewer_id=None if lead else rx.actor.staff_id)
            today = self._today()
            return [ReviewSummary(self._as_seen(rx, r, lead=lead),
                                  is_overdue(r.deadline, today, finished=r.completed_at is not None)) for r in found]

    def _as_seen(self, rx: Reading, record: ReviewRecord, *, lead: bool | None = None) -> ReviewRecord:
        """The review as the one reading it may see it: a reviewer who is not the lead assessor is not told
        whose script it is while the sitting is still marked blind (script numbers only, as in marking).
        ``lead``: whether the reader is the lead assessor, when already known."""
        if (self._is_lead(rx) if lead is None else lead) or not rx.marks.blind_marking(record.sitting_id):
            return record
        sitting = rx.sittings.sitting_by_id(record.sitting_id)
        total, unfinished = rx.marks.submitted_and_unfinished(record.sitting_id)
        if sitting.state == "ended" and total and not unfinished:
            return record  # marking is complete: names are shown everywhere now
        return replace(record, candidate_number="", candidate_name="")

    @staticmethod
    def _is_lead(rx: Reading) -> bool:
        member = rx.staff.staff_by_name(rx.actor.label)
        return may(rx.staff.roles_of(member.id), Permission.LEAD_MARKING)

    def _check_may_see(self, rx: Reading, record: ReviewRecord) -> None:
        if record.reviewer_id != rx.actor.staff_id and not self._is_lead(rx):
            raise ReviewError(f"Review {record.id} is {record.reviewer}'s to do: only they and the lead assessor "
                              "can see it.")

    # -- opening ------------------------------------------------------------------------------------
    def open(self, code: str, script: str, *, reason: str, deadline: date | str, reviewer: str,
             by: str) -> ReviewView:
        """Put a learner's script (script or candidate number) under review by ``reviewer``."""
        try:
            why = check_reason(reason, "the reason for the review (the learner's query or appeal)")
            due = check_deadline(_deadline(deadline), self._today())
        except ReviewRefused as error:
            raise ReviewError(str(error)) from None
        try:
            with self.uow.write(by=by, needs=Permission.LEAD_MARKING, what="opening a review of marking") as tx:
                row = self._script(tx, code, script)
                self._check_reviewable(tx, row)
                member = tx.staff.staff_by_name(" ".join((reviewer or "").split()))
                if member is None:
                    raise ReviewError(f"There is no staff member called {reviewer.strip()!r} to review it.")
                if not any(may(tx.staff.roles_of(member.id), p) for p in REVIEWER_PERMISSIONS):
                    raise ReviewError(f"{member.name} cannot review marking: the reviewer must be a marker or "
                                      "an IQA reviewer.")
                problem = independence_problem(
                    member.name, markers=tx.reviews.everyone_who_marked(row.id),
                    iqa_reviewers=tx.reviews.iqa_reviewers(row.id), script=row.script_number)
                if problem:
                    raise _Refused(problem, row, member.name)
                review_id = tx.reviews.insert_review(script_id=row.id, reason=why, deadline=due,
                                                     reviewer_id=member.id, opened_by=tx.actor.staff_id,
                                                     at=now_text(tx.now))
                tx.record(ReviewOfMarkingOpened(
                    sitting_id=row.sitting_id, script_id=row.id, candidate_number=row.candidate_number,
                    review=review_id, script_number=row.script_number, reason=why, deadline=due.isoformat(),
                    reviewer=member.name))
                return self._view(tx, self._review(tx, review_id))
        except _Refused as refused:
            self.uow.record_refusal(ReviewOfMarkingRefused(
                sitting_id=refused.row.sitting_id, script_id=refused.row.id,
                candidate_number=refused.row.candidate_number, script_number=refused.row.script_number,
                reviewer=refused.reviewer, why=str(refused)), by=by)
            raise ReviewError(str(refused)) from None

    def _check_reviewable(self, rx: Reading, row: MarkingScript) -> None:
        number = row.script_number
        if row.finish in (None, "absent"):
            raise ReviewError(f"Script {number} was not submitted: there is no marking to review.")
        if rx.reviews.results_shared_at(row.sitting_id) is None:
            raise ReviewError(
                f"The results of sitting {row.code} have not been shared yet (no results or feedback export): "
                "a review of marking is for results the learner has had. Export the results first.")
        state = rx.marks.marking_state(row.id)
        if state is None or state.completed_at is None:
            raise ReviewError(f"Script {number} is not marked complete yet: finish its marking before a review.")
        existing = rx.reviews.open_review_of(row.id)
        if existing is not None:
            raise ReviewError(f"Script {number} is already under review (review {existing.id}, by "
                              f"{existing.reviewer}, due {existing.deadline.isoformat()}).")

    # -- deciding -----------------------------------------------------------------------------------
    def decide(self, review_id: int, question_id: str, *, reason: str, new_mark: int | None = None,
               by: str) -> ReviewView:
        """Uphold a question's mark (``new_mark`` None) or give a new one, with a reason."""
        try:
            why = check_reason(reason, "a reason for your decision")
        except ReviewRefused as error:
            raise ReviewError(str(error)) from None
        with self.uow.write(by=by, needs=REVIEWER_PERMISSIONS, what="recording a review decision") as tx:
            record = self._open_for_reviewer(tx, review_id)
            view = self._view(tx, record)
            question = next((q for q in view.questions if q.question_id == str(question_id)), None)
            if question is None:
                raise ReviewError(f"Question {question_id} is not on this paper "
                                  f"(questions: {', '.join(q.question_id for q in view.questions)}).")
            if question.original_mark is None:
                raise ReviewError(f"Question {question_id} has no mark to review.")
            if new_mark is not None:
                if isinstance(new_mark, bool) or not isinstance(new_mark, int) or not 0 <= new_mark <= question.available:
                    raise ReviewError(f"Question {question_id}: {new_mark} is not a mark; enter a whole number "
                                      f"from 0 to {question.available}.")
                if new_mark == question.original_mark:
                    new_mark = None  # the same mark is upholding it
            decision = QuestionDecision.UPHOLD if new_mark is None else QuestionDecision.CHANGE
            tx.reviews.put_decision(review_id, question.question_id, original_mark=question.original_mark,
                                    original_version=question.original_version, decision=decision.value,
                                    new_mark=new_mark, reason=why, at=now_text(tx.now))
            tx.record(ReviewQuestionDecided(
                sitting_id=record.sitting_id, script_id=record.script_id, candidate_number=record.candidate_number,
                review=review_id, question=question.question_id, decision=decision.value,
                original_mark=question.original_mark, new_mark=new_mark, reason=why))
            return self._view(tx, self._review(tx, review_id))

    def _open_for_reviewer(self, rx: Reading, review_id: int) -> ReviewRecord:
        record = self._review(rx, review_id)
        if record.reviewer_id != rx.actor.staff_id:
            raise ReviewError(f"Review {review_id} was given to {record.reviewer}: only they can decide it.")
        if record.completed_at is not None:
            raise ReviewError(f"Review {review_id} is finished ({record.outcome}): it cannot be changed.")
        return record

    def complete(self, review_id: int, *, by: str) -> ReviewView:
        """Finish the review: changed marks become new mark versions; the outcome is recorded."""
        with self.uow.write(by=by, needs=REVIEWER_PERMISSIONS, what="completing a review of marking") as tx:
            record = self._open_for_reviewer(tx, review_id)
            view = self._view(tx, record)
            if view.undecided:
                raise ReviewError(f"Review {review_id} is not finished: decide question"
                                  f"{'s' if len(view.undecided) != 1 else ''} {', '.join(view.undecided)} first.")
            script = tx.marks.script_for_marking(record.script_id)
            paper, scheme = self._paper_scheme(tx, script.paper_id)
            stored = tx.marks.marks_of_script(record.script_id)
            original = {q: m.marks_awarded for q, m in stored.items()}
            decided = {q.question_id: q.decision.new_mark for q in view.questions}
            for q in view.questions:
                if stored[q.question_id].version != q.decision.original_version:
                    raise ReviewError(f"Question {q.question_id}'s mark changed after you decided it: decide it "
                                      "again. Nothing was saved.")
            after = {**original, **{q: v for q, v in decided.items() if v is not None}}
            found = outcome(original, decided, result_before=self._result(paper, scheme, original),
                            result_after=self._result(paper, scheme, after))
            by_id = {x.question_id: x for x in view.questions}
            for q in found.changed_questions:
                old = stored[q]
                why = f"{REVIEW_REASON_PREFIX} {review_id}: {by_id[q].decision.reason}"
                tx.marks.put_mark(record.script_id, q, marks=decided[q], points_json=json.dumps(sorted(old.credited_points)),
                                  comment=old.comment, staff_id=tx.actor.staff_id, at=now_text(tx.now),
                                  role="review", version=old.version + 1, reason=why, paper_marker=None,
                                  had_paper_marker=old.paper_marker is not None,
                                  had_reason_code=old.reason_code is not None)
                tx.record(MarkChangedByReview(
                    sitting_id=record.sitting_id, script_id=record.script_id,
                    candidate_number=record.candidate_number, review=review_id,
                    script_number=record.script_number, question=q,
                    old={"marks": old.marks_awarded, "by": old.marker_name, "version": old.version},
                    new={"marks": decided[q], "by": tx.actor.label, "version": old.version + 1}, reason=why))
            tx.reviews.finish_review(review_id, at=now_text(tx.now), outcome=found.text,
                                     total_before=found.total_before, total_after=found.total_after,
                                     result_before=found.result_before, result_after=found.result_after)
            tx.record(ReviewOfMarkingCompleted(
                sitting_id=record.sitting_id, script_id=record.script_id, candidate_number=record.candidate_number,
                review=review_id, script_number=record.script_number, outcome=found.text,
                total_before=found.total_before, total_after=found.total_after,
                result_before=found.result_before, result_after=found.result_after,
                changed_questions=list(found.changed_questions)))
            return self._view(tx, self._review(tx, review_id))

    # -- the letter ---------------------------------------------------------------------------------
    def letter(self, review_id: int, *, by: str, centre_name: str | None = None) -> ReviewLetter:
        with self.uow.read(by=by, needs=Permission.LEAD_MARKING) as rx:
            record = self._review(rx, review_id)
            if record.completed_at is None:
                raise ReviewError(f"Review {review_id} is not finished yet: the letter gives its outcome.")
            view = self._view(rx, record)
            script = rx.marks.script_for_marking(record.script_id)
            stored = get_paper(rx.db, script.paper_id)
            centre = centre_name
            if centre is None:
                from marker_tui.services.exports import DEFAULT_CENTRE_NAME, stored_centre_name

                centre = stored_centre_name(rx.db) or DEFAULT_CENTRE_NAME

            def shown(mark: int | None, q: ReviewQuestion) -> int | str:
                return NOT_ATTEMPTED if q.not_attempted and not mark else (mark or 0)

            questions = tuple(LetterQuestion(
                question_id=q.question_id, available=q.available,
                original_mark=shown(q.decision.original_mark, q),
                new_mark=shown(q.decision.original_mark if q.decision.new_mark is None else q.decision.new_mark, q),
                decision=q.decision.decision, reason=q.decision.reason) for q in view.questions)
            return ReviewLetter(
                centre_name=centre, candidate_name=record.candidate_name, candidate_number=record.candidate_number,
                qualification=stored.qualification, unit=f"{stored.unit} {stored.title or ''}".strip(),
                sitting_code=record.code, written_on=self._today(), request_reason=record.reason,
                reviewer=record.reviewer, outcome=record.outcome or "", total_before=record.total_before or 0,
                total_after=record.total_after or 0, available=stored.paper.total_marks,
                result_before=record.result_before or "", result_after=record.result_after or "",
                questions=questions)

    def export_letter(self, review_id: int, path: str | os.PathLike[str], *, by: str,
                      centre_name: str | None = None) -> Path:
        """Write the outcome letter (.docx) and record that it was written."""
        from marker_tui.documents.review_letter import write_review_letter_docx

        letter = self.letter(review_id, by=by, centre_name=centre_name)
        target = Path(path)
        if target.suffix.lower() != ".docx":
            raise ReviewError(f"{target}: the letter is a Word document; give a file name ending .docx.")
        try:
            write_review_letter_docx(letter, target)
        except OSError as error:
            raise ReviewError(f"Could not write the letter to {target}: {error.strerror or error}. "
                              "Check the folder exists and you may write there.") from None
        with self.uow.write(by=by, needs=Permission.LEAD_MARKING, what="recording the letter") as tx:
            record = self._review(tx, review_id)
            tx.record(ReviewLetterExported(sitting_id=record.sitting_id, script_id=record.script_id,
                                           candidate_number=record.candidate_number, review=review_id,
                                           path=str(target)))
        return target


class _Refused(Exception):
    """Independence refused inside the write block: rolled back, then recorded on its own."""

    def __init__(self, message: str, row: dict, reviewer: str) -> None:
        super().__init__(message)
        self.row = row
        self.reviewer = reviewer
