"""Identical answers marked once (issue 18.6): where several scripts of a sitting give the same
answer to a question (the same once normalised: ``domain.marker_monitoring.normalise_answer``),
the marker can give them one mark together.

Each script still gets its own mark version (and its own "mark given"/"mark changed" entry), in
one transaction with an "identical answers marked as a group" entry that ties them together. The
rules of marking one script hold for each: blind (script numbers only), a script someone else
holds is left out with who holds it, and so is a script marked complete (a change to it needs its
own reason) or one whose mark changed since the group was shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from marker_tui.domain.events.monitoring import IdenticalAnswersMarkedAsGroup
from marker_tui.domain.marker_monitoring import normalise_answer
from marker_tui.domain.marking import MarkRefused, mark_question
from marker_tui.domain.roles import Permission
from marker_tui.services.marking.common import (
    CLAIM_TIMEOUT,
    MarkingError,
    NothingWritten,
    QuestionScript,
    _clock,
    clean_comment,
)
from marker_tui.services.marking.marks import Marks
from marker_tui.services.unit_of_work import Writing
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import now_text

#: Fewest scripts sharing an answer for it to be offered as a group.
MIN_GROUP = 2


@dataclass(frozen=True)
class AnswerGroup:
    """Scripts of one sitting whose answers to a question are the same once normalised."""

    question_id: str
    answer: str
    """The normalised answer (what "the same" means)."""
    shown: str
    """The answer as most of them typed it (the first such, in script order)."""
    scripts: tuple[QuestionScript, ...]

    @property
    def versions(self) -> dict[int, int]:
        """The mark version each script had when the group was read (0: no mark yet)."""
        return {s.script_id: s.mark.version if s.mark else 0 for s in self.scripts}

    @property
    def marks_given(self) -> list[int]:
        return sorted({s.mark.marks_awarded for s in self.scripts if s.mark})


@dataclass(frozen=True)
class GroupMarked:
    question_id: str
    marks: int
    marked: tuple[str, ...]
    """Script numbers given the mark now."""
    unchanged: tuple[str, ...]
    """Script numbers that had this mark already."""
    left_out: dict[str, str] = field(default_factory=dict)
    """Script number: why it was not marked with the group."""

    @property
    def message(self) -> str:
        n = len(self.marked)
        parts = [f"Question {self.question_id}: {self.marks} mark{'s' if self.marks != 1 else ''} given to "
                 f"{n} script{'s' if n != 1 else ''}" + (f" ({', '.join(self.marked)})" if n else "")]
        if self.unchanged:
            parts.append(f"already had it: {', '.join(self.unchanged)}")
        if self.left_out:
            parts.append("left out: " + "; ".join(f"{k} ({v})" for k, v in self.left_out.items()))
        return ". ".join(parts) + "."


class GroupMarking(Marks):
    """Finding identical answers to a question, and marking them together."""

    def identical_answers(self, code: str, question_id: str, *, by: str) -> list[AnswerGroup]:
        """Groups of 2+ scripts giving the same (non-blank) answer to the question, largest first."""
        self.uow.require(by=by, needs=Permission.MARK)
        rows = self.scripts_for_question(code, str(question_id))
        groups: dict[str, list[QuestionScript]] = {}
        for row in rows:
            key = normalise_answer(row.answer)
            if key:
                groups.setdefault(key, []).append(row)
        found = [AnswerGroup(question_id=str(question_id), answer=key,
                             shown=Counter(r.answer.strip() for r in group).most_common(1)[0][0], scripts=tuple(group))
                 for key, group in groups.items() if len(group) >= MIN_GROUP]
        return sorted(found, key=lambda g: (-len(g.scripts), g.answer))

    def mark_group(self, code: str, question_id: str, answer: str, marks: object, *, by: str,
                   versions: Mapping[int, int], ticks: Iterable[int] = (), comment: str | None = None) -> GroupMarked:
        """Give ``marks`` (with ``ticks`` and ``comment``) to each script in ``versions`` whose answer
        to the question normalises to ``answer``; ``versions`` is each script's mark version as shown
        (from :attr:`AnswerGroup.versions`). Scripts that cannot be marked now are left out, each with
        the reason, and the rest are marked in one transaction."""
        question_id = str(question_id)
        key = normalise_answer(answer)
        if not key:
            raise MarkingError("A blank answer is not marked as a group: mark each script on its own.")
        text = clean_comment(comment)
        tick_list = sorted(set(ticks))
        self._sweep(code)

        def work(tx: Writing) -> GroupMarked:
            db, actor, now = tx.db, tx.actor, tx.now
            sitting = self._sitting(db, code)
            self._check_cleared(db, sitting.id, actor)  # standardised first (issue 18.1)
            paper, scheme = self._paper_scheme(db, sitting.paper_id)
            entry = scheme.question(question_id)
            if paper.question(question_id) is None or entry is None:
                raise MarkingError(f"Question {question_id} is not on this paper "
                                   f"(questions: {', '.join(q.id for q in paper.questions)}).")
            try:
                mark = mark_question(entry, marks, credited_points=tick_list, comment=text,
                                     marked_by=actor.label, marked_at=now)
            except MarkRefused as error:
                raise MarkingError(str(error)) from None
            answers = mark_store.answers_to_question(db, sitting.id, question_id)
            marked: list[str] = []
            unchanged: list[str] = []
            left_out: dict[str, str] = {}
            for script_id in sorted(versions, key=lambda s: s):
                script = mark_store.script_for_marking(db, script_id)
                if script is None or script.sitting_id != sitting.id:
                    raise MarkingError(f"Script id {script_id} is not in sitting {sitting.code}.")
                number = script.script_number
                why = self._why_left_out(db, script, question_id, key, answers, versions[script_id], actor, now)
                if why:
                    left_out[number] = why
                    continue
                old = self._marks(db, script_id).get(question_id)
                if old is not None and (old.marks_awarded, old.credited_points, old.comment) == (
                        mark.marks_awarded, mark.credited_points, mark.comment):
                    unchanged.append(number)
                    continue
                state = self._marking_row(db, script_id)
                if state and self._active_claim(state, now) is not None:  # theirs: activity refreshes it
                    mark_store.extend_claim(db, script_id, now_text(now + CLAIM_TIMEOUT))
                self._write_mark(tx, script, question_id, mark.marks_awarded, mark.credited_points, mark.comment,
                                 old, role="marker", reason=None)
                marked.append(number)
            result = GroupMarked(question_id=question_id, marks=mark.marks_awarded, marked=tuple(sorted(marked)),
                                 unchanged=tuple(sorted(unchanged)), left_out=dict(sorted(left_out.items())))
            if not marked:
                raise NothingWritten(result)
            tx.record(IdenticalAnswersMarkedAsGroup(
                sitting_id=sitting.id, code=sitting.code, question=question_id, answer=key,
                marks=mark.marks_awarded, scripts=list(result.marked), left_out=result.left_out))
            return result

        return self._write(work, by=by, needs=Permission.MARK, what="marking identical answers")

    def _why_left_out(self, db, script, question_id: str, key: str, answers: Mapping[int, str], version: int,
                      actor, now) -> str | None:
        """Why this script cannot take the group's mark now, in a few words; None if it can."""
        if script.finish in (None, "absent"):
            return "not submitted"
        if normalise_answer(answers.get(script.id)) != key:
            return "its answer is not the same"
        state = self._marking_row(db, script.id)
        claim = self._active_claim(state, now)
        if claim is not None and claim.staff_id != actor.staff_id:
            return f"being marked by {claim.held_by} since {_clock(claim.claimed_at)}"
        settled = self._settled_for_markers(db, script)
        if settled:
            return settled
        if state and state.completed_at:
            return f"marked complete by {state.completed_name}: change it on its own, with a reason"
        current = self._marks(db, script.id).get(question_id)
        if (current.version if current else 0) != version:
            who = f"{current.marks_awarded} from {current.marked_by}" if current else "no mark"
            return f"its mark changed since the list was shown (now {who})"
        return None


__all__ = ["AnswerGroup", "GroupMarked", "GroupMarking", "MIN_GROUP"]
