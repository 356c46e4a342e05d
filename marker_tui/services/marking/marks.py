"""Recording and changing marks (every version kept), completion, feedback and the comment bank."""

from __future__ import annotations

import json
from collections.abc import Iterable


from marker_tui.domain.marking import MarkRefused, mark_question, suggested_mark
from marker_tui.domain.markscheme import QuestionMarkScheme
from marker_tui.services.audit import Actor
from marker_tui.domain.not_attempted import check_zero_reason
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import now_text, read_transaction
from marker_tui.domain.events.marking import (
    CommentBankEntryAdded,
    MarkAdjustedByIqa,
    MarkChanged,
    MarkGiven,
    MarkImported,
    ScriptFeedbackChanged,
    ScriptMarkingCompleted,
    SittingMarkingCompleted,
)
from marker_tui.domain.events import AuditEvent
from marker_tui.domain.roles import Permission
from marker_tui.services.unit_of_work import Writing
from marker_tui.services.marking.common import (
    NothingWritten,
    BankComment,
    CLAIM_TIMEOUT,
    Completion,
    MarkSaved,
    MarkVersion,
    MarkingError,
    ReasonRequired,
    ScriptForMarking,
    StaleMark,
    StoredMark,
    _clock,
    _mark_value,
    _stored,
    clean_comment,
    clean_reason,
)
from marker_tui.services.marking.claims import CLAIM_REFRESH, Claims


class Marks(Claims):
    """Saving, adjusting and completing marks; the history of each."""

    # == marks ====================================================================================

    def save_mark(
        self,
        script_id: int,
        question_id: str,
        marks: object,
        *,
        ticks: Iterable[int] = (),
        comment: str | None = None,
        by: str,
        expected_version: int,
        reason: str | None = None,
        hold: bool = True,
        zero_reason: str | None = None,
    ) -> MarkSaved:
        """Save a marker's mark for one question (the only way a marker changes a mark).

        ``marks`` must be a whole number 0..max (``MarkingError`` with the
        domain's message otherwise); ``ticks`` are the credited points' positions
        from 0. ``expected_version`` is the version the marker saw (0 = no mark
        yet): if the stored mark moved on since, :class:`StaleMark` says who
        changed it and when. Refused with :class:`ClaimRefused` if another marker
        holds the script, and with :class:`ReasonRequired` if the script is
        complete and no ``reason`` is given. ``hold=False`` (marking by
        question) saves without leaving a claim behind. Saving the values
        already stored changes nothing and is not an error. ``zero_reason`` (one of
        ``domain.not_attempted.ZERO_REASONS``) says why a written answer earned 0; a blank
        answer needs none: it is "not attempted".
        """
        return self._save(script_id, str(question_id), marks, ticks=ticks, comment=comment, by=by,
                          needs=Permission.MARK, role="marker", expected_version=expected_version, reason=reason,
                          hold=hold, zero_reason=zero_reason)

    def adjust_mark(
        self,
        script_id: int,
        question_id: str,
        marks: object,
        *,
        by: str,
        reason: str,
        expected_version: int,
        ticks: Iterable[int] | None = None,
        comment: str | None = None,
        keep_comment: bool = True,
    ) -> MarkSaved:
        """An IQA reviewer's adjusted mark (role ``iqa``), through the same checked, audited path.

        A ``reason`` is always required. ``ticks=None`` keeps the marker's ticks;
        ``keep_comment`` (the default) keeps the marker's comment unless a new
        ``comment`` is given. Refused like :meth:`save_mark` when stale or while a
        marker holds the script. Recorded with role ``"iqa"`` and audit action
        "mark adjusted by IQA". Leaves no claim.
        """
        if not clean_reason(reason):
            raise ReasonRequired("An IQA adjustment needs a reason (it is shown in the IQA record).")
        return self._save(script_id, str(question_id), marks, ticks=ticks, comment=comment, by=by,
                          needs=Permission.REVIEW_MARKING, role="iqa", expected_version=expected_version, reason=reason,
                          hold=False, keep_comment=keep_comment and comment is None)

    def complete(self, script_id: int, *, by: str) -> Completion:
        """A marker signs a fully marked script off as complete (then changes need a reason)."""
        def work(tx: Writing) -> Completion:
            db, actor, now = tx.db, tx.actor, tx.now
            script = self._script(db, script_id)
            self._check_markable(script)
            state = self._marking_row(db, script_id)
            self._check_not_held_by_other(db, script, state, actor, now)
            loaded = self._load(db, script, actor.staff_id, now)
            result = loaded.result
            if loaded.is_complete:
                raise NothingWritten(Completion(script_id, script.script_number, result, True,
                                     self._marking_complete(db, self._sitting_by_id(db, script.sitting_id))))
            if not result.is_complete:
                missing = ", ".join(result.unmarked_questions)
                plural = "s" if len(result.unmarked_questions) != 1 else ""
                raise MarkingError(f"Script {script.script_number} cannot be complete yet: question{plural} "
                                   f"{missing} {'have' if plural else 'has'} no mark.")
            self._ensure_marking_row(db, script_id)
            mark_store.set_complete(db, script_id, actor.staff_id, now_text(now))
            tx.record(ScriptMarkingCompleted(
                sitting_id=script.sitting_id, script_id=script_id, candidate_number=script.candidate_number,
                script_number=script.script_number, total=result.total, available=result.available,
                result=result.status, fail_reasons=list(result.fail_reasons)))
            sitting = self._sitting_by_id(db, script.sitting_id)
            finished = self._marking_complete(db, sitting)
            if finished:
                tx.record(SittingMarkingCompleted(sitting_id=sitting.id, code=sitting.code))
            return Completion(script_id, script.script_number, result, False, finished)

        return self._write(work, by=by, needs=Permission.MARK, what="completing a script")

    def set_feedback(self, script_id: int, *, overall_feedback: str | None, next_steps: str | None,
                     by: str) -> ScriptForMarking:
        """The marker's overall feedback and next steps for the learner (audited, old and new)."""
        overall = clean_comment(overall_feedback)
        steps = clean_comment(next_steps)
        def work(tx: Writing) -> ScriptForMarking:
            db, actor, now = tx.db, tx.actor, tx.now
            script = self._script(db, script_id)
            self._check_markable(script)
            state = self._marking_row(db, script_id)
            self._check_not_held_by_other(db, script, state, actor, now)
            old = {"overall_feedback": state.overall_feedback if state else None,
                   "next_steps": state.next_steps if state else None}
            new = {"overall_feedback": overall, "next_steps": steps}
            if old == new:
                raise NothingWritten(self._load(db, script, actor.staff_id, now))
            self._ensure_marking_row(db, script_id)
            mark_store.set_overall_feedback(db, script_id, overall, steps)
            tx.record(ScriptFeedbackChanged(sitting_id=script.sitting_id, script_id=script_id,
                                            candidate_number=script.candidate_number,
                                            script_number=script.script_number, old=old, new=new))
            return self._load(db, script, actor.staff_id, now)

        return self._write(work, by=by, needs=Permission.MARK, what="saving feedback")

    def history(self, script_id: int, question_id: str | None = None) -> list[MarkVersion]:
        """Every saved value of the script's marks (one question, or all), oldest first."""
        with read_transaction(self.db):
            rows = mark_store.mark_versions(self.db, script_id, None if question_id is None else str(question_id))
            return [MarkVersion(**_stored(r).model_dump(), reason=r.reason) for r in rows]


    # == comment bank and settings ===================================================================

    def add_comment(self, code: str, question_id: str, text: str, *, by: str) -> BankComment:
        """Add a reusable comment for a question (the same text twice is kept once)."""
        cleaned = clean_comment(text)
        if cleaned is None:
            raise MarkingError("Type the comment first: an empty comment cannot go in the bank.")
        if len(cleaned) > 500:
            raise MarkingError("A comment-bank entry can be at most 500 characters.")
        def work(tx: Writing) -> BankComment:
            db, actor, now = tx.db, tx.actor, tx.now
            sitting = self._sitting(db, code)
            paper, _ = self._paper_scheme(db, sitting.paper_id)
            if paper.question(question_id) is None:
                raise MarkingError(f"Question {question_id} is not on this paper.")
            def entry() -> BankComment:
                return next(c for c in self._bank(db, sitting.paper_id, str(question_id)) if c.text == cleaned)

            if mark_store.bank_has(db, sitting.paper_id, str(question_id), cleaned):
                raise NothingWritten(entry())  # the same text twice is kept once
            mark_store.add_to_bank(db, sitting.paper_id, str(question_id), cleaned, actor.staff_id,
                                   now_text(now))
            tx.record(CommentBankEntryAdded(sitting_id=sitting.id, paper_id=sitting.paper_id,
                                            question=str(question_id), text=cleaned))
            return entry()

        return self._write(work, by=by, needs=Permission.MARK, what="adding to the comment bank")


    def _save(self, script_id: int, question_id: str, marks: object, *, ticks: Iterable[int] | None,
              comment: str | None, by: str, needs: Permission, role: str, expected_version: int,
              reason: str | None, hold: bool, keep_comment: bool = False,
              zero_reason: str | None = None) -> MarkSaved:
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
            raise MarkingError("expected_version must be the version of the mark you read (0 for no mark yet).")
        why = clean_reason(reason)
        new_comment = clean_comment(comment)
        tick_list = None if ticks is None else list(ticks)

        def work(tx: Writing) -> MarkSaved:
            db, actor, now = tx.db, tx.actor, tx.now
            script = self._script(db, script_id)
            self._check_markable(script)
            if role == "marker":
                self._check_cleared(db, script.sitting_id, actor)
            paper, scheme = self._paper_scheme(db, script.paper_id)
            entry = scheme.question(question_id)
            if paper.question(question_id) is None or entry is None:
                raise MarkingError(f"Question {question_id} is not on this paper "
                                   f"(questions: {', '.join(q.id for q in paper.questions)}).")
            marks_now = self._marks(db, script_id)
            old = marks_now.get(question_id)
            points = tick_list if tick_list is not None else (old.credited_points if old else ())
            text = (old.comment if old else None) if keep_comment else new_comment
            try:
                mark = mark_question(entry, marks, credited_points=points, comment=text,
                                     marked_by=actor.label, marked_at=now)
            except MarkRefused as error:
                raise MarkingError(str(error)) from None
            try:  # the answer is read only when a reason for 0 is given
                code = check_zero_reason(zero_reason, mark.marks_awarded, None if not zero_reason else
                                         mark_store.script_answers(db, script_id).get(question_id))
            except ValueError as error:
                raise MarkingError(f"Question {question_id}: {error}") from None
            state = self._marking_row(db, script_id)
            self._check_not_held_by_other(db, script, state, actor, now)
            if role == "marker" and (settled := self._settled_for_markers(db, script)):
                raise MarkingError(f"Script {script.script_number}: {settled}. Nothing was saved.")
            same = old is not None and (old.marks_awarded, old.credited_points, old.comment, old.reason_code) == (
                mark.marks_awarded, mark.credited_points, mark.comment, code)
            if same:
                if hold:
                    self._take_claim(tx, script)
                mark_store.drop_draft(db, script_id, question_id, actor.staff_id)
                return MarkSaved(old, False, self._result(paper, scheme, marks_now, script))
            current_version = old.version if old else 0
            if current_version != expected_version:
                if old is None:
                    raise MarkingError(f"Question {question_id} of script {script.script_number} has no mark "
                                       f"yet, not version {expected_version}: reload the script.")
                raise StaleMark(
                    f"Question {question_id} of script {script.script_number}: {old.marked_by} changed this "
                    f"mark at {_clock(old.marked_at)} after you opened it — reload to see it. "
                    "Nothing was saved.", old)
            if state and state.completed_at and not why:
                raise ReasonRequired(
                    f"Script {script.script_number} was marked complete by {state.completed_name} at "
                    f"{_clock(state.completed_at)}: give a reason for changing its marks. "
                    "Nothing was saved.")
            if hold:
                self._take_claim(tx, script)
            elif state and self._active_claim(state, now) is not None:
                # Holding it already (e.g. from marking by script): activity refreshes the claim.
                tx.marks.extend_claim(script_id, now_text(now + CLAIM_TIMEOUT))
            new = self._write_mark(tx, script, question_id, mark.marks_awarded, mark.credited_points, mark.comment,
                                   old, role=role, reason=why, reason_code=code)
            marks_now[question_id] = new
            return MarkSaved(new, True, self._result(paper, scheme, marks_now, script))

        # Saving the values already stored changes no mark: it may only keep the claim alive and
        # drop the draft (housekeeping, not audited).
        return self._write(work, by=by, needs=needs, what="saving a mark",
                           housekeeping=f"{CLAIM_REFRESH} or a draft dropped")

    def _write_mark(self, tx: Writing, script: mark_store.MarkingScript, question_id: str, marks: int,
                    ticks: Iterable[int], comment: str | None, old: StoredMark | None, *,
                    role: str, reason: str | None, actor: Actor | None = None, audit_actor: Actor | None = None,
                    source: str | None = None, paper_marker: str | None = None,
                    reason_code: str | None = None) -> StoredMark:
        """One new version of a mark, as ``actor`` (the one acting unless given), audited in ``tx``."""
        db, now = tx.db, tx.now
        actor = actor or tx.actor
        version = (old.version if old else 0) + 1
        points = json.dumps(sorted(ticks))
        mark_store.put_mark(db, script.id, question_id, marks=marks, points_json=points, comment=comment,
                            staff_id=actor.staff_id, at=now_text(now), role=role, version=version, reason=reason,
                            paper_marker=paper_marker, reason_code=reason_code,
                            had_reason_code=old is not None and old.reason_code is not None,
                            had_paper_marker=old is not None and old.paper_marker is not None)
        mark_store.drop_draft(db, script.id, question_id, actor.staff_id)
        new = StoredMark(script_id=script.id, question_id=question_id, marks_awarded=marks,
                         credited_points=tuple(sorted(ticks)), comment=comment, marked_by=actor.label,
                         marked_by_id=actor.staff_id, marked_at=now, role=role, version=version,
                         paper_marker=paper_marker, reason_code=reason_code)
        fields = dict(sitting_id=script.sitting_id, script_id=script.id,
                      candidate_number=script.candidate_number, script_number=script.script_number,
                      question=question_id, old=_mark_value(old), new=_mark_value(new), reason=reason, role=role,
                      from_file=source or None, paper_marker=paper_marker or None)
        if role == "iqa":
            event: AuditEvent = MarkAdjustedByIqa(**fields)
        elif role == "import":
            event = MarkImported(**fields)
        else:
            event = MarkGiven(**fields) if old is None else MarkChanged(**fields)
        tx.record(event, by=audit_actor)
        return new


def suggested(entry: QuestionMarkScheme, ticks: Iterable[int]) -> int:
    """The mark the ticks suggest (the domain rule, re-exported for the screen)."""
    return suggested_mark(entry, ticks)


