"""What to mark next and how far marking has got: the queue, progress, one script's view, blind display."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace
from typing import Any


from marker_tui.domain.marking import (
    MarkRefused,
    SchemeMismatch,
    ScriptResult,
    mark_giver,
    markers_of,
    script_result,
)
from marker_tui.services.papers import get_paper
from marker_tui.services.staff import find_staff
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import Database, now_text, read_transaction
from marker_tui.storage.sittings import Sitting
from marker_tui.domain.events.marking import BlindMarkingTurnedOff, BlindMarkingTurnedOn
from marker_tui.domain.roles import Permission
from marker_tui.services.marking.common import (
    NothingWritten,
    BankComment,
    BlindSetting,
    MarkState,
    MarkerProgress,
    MarkingBase,
    MarkingError,
    MarkingQueue,
    MarkingStatus,
    QuestionScript,
    QueueRow,
    ScriptForMarking,
    ScriptRef,
    _LightMark,
    _points,
    _stored,
)


class QueueReads(MarkingBase):
    """The marking queue and the reads around it (nothing here changes a mark)."""

    # == reading ==================================================================================

    def queue(self, code: str) -> MarkingQueue:
        """The scripts of a sitting to mark, in script-number order, with state and holder."""
        self._sweep(code)
        now = self.clock.now()
        with read_transaction(self.db):
            return self._queue(self.db, self._sitting(self.db, code), now)

    def status(self, code: str) -> MarkingStatus:
        """The queue plus progress per marker (``marker-tui marks status``)."""
        self._sweep(code)
        now = self.clock.now()
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            queue = self._queue(self.db, sitting, now)
            progress: dict[str, dict[str, Any]] = {}

            def entry(name: str) -> dict[str, Any]:
                return progress.setdefault(name, {"questions": 0, "scripts": set(), "completed": 0, "holding": []})

            for name, script_id in mark_store.marker_question_counts(self.db, sitting.id):
                e = entry(name)
                e["questions"] += 1
                e["scripts"].add(script_id)
            for row in queue.rows:
                if row.completed_by:
                    entry(row.completed_by)["completed"] += 1
                if row.held_by:
                    entry(row.held_by)["holding"].append(row.script_number)
        markers = [
            MarkerProgress(name=name, questions_marked=e["questions"], scripts_marked=len(e["scripts"]),
                           scripts_completed=e["completed"], holding=e["holding"])
            for name, e in sorted(progress.items(), key=lambda kv: kv[0].lower())
        ]
        return MarkingStatus(queue=queue, markers=markers)

    def view_script(self, script_id: int, *, by: str | None = None) -> ScriptForMarking:
        """A script as stored now, without claiming it (``by``: whose drafts to include)."""
        now = self.clock.now()
        with read_transaction(self.db):
            staff_id = None
            if by:
                member = find_staff(self.db, by)
                staff_id = member.id if member else None
            return self._load(self.db, self._script(self.db, script_id), staff_id, now)

    def result(self, script_id: int) -> ScriptResult:
        """The script's totals and result under its mark scheme's pass rule (derived, never stored)."""
        return self.view_script(script_id).result

    def script_id(self, code: str, script_number: str) -> int:
        """The script of sitting ``code`` with anonymous number ``script_number``."""
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            found = mark_store.script_id_by_number(self.db, sitting.id, str(script_number).strip())
        if found is None:
            raise MarkingError(f"Sitting {sitting.code} has no script {str(script_number).strip()}.")
        return found

    def next_script(self, code: str, *, by: str, after: str | None = None) -> int | None:
        """The next script to mark after script number ``after`` (wrapping round), or None.

        Never ``after`` itself. Scripts this marker already holds come first; then,
        in number order, scripts that are not complete and that nobody else holds.
        """
        self._sweep(code)
        now = now_text(self.clock.now())
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            member = find_staff(self.db, by)
            if member is None:
                raise MarkingError(f"There is no staff member called {by!r}.")
            return mark_store.next_markable(self.db, sitting.id, staff_id=member.id, now=now, after=after)

    def script_refs(self, code: str) -> list[ScriptRef]:
        """The markable scripts in number order with state and holder only: the queue without
        totals and results, cheap enough to call on every move (500 scripts in a few ms)."""
        self._sweep(code)
        now = self.clock.now()
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            refs = []
            for r in mark_store.markable_refs(self.db, sitting.id):
                claim = self._active_claim(r, now)
                if r.completed_at:
                    state = MarkState.COMPLETE
                elif r.marked or r.drafted or claim is not None:
                    state = MarkState.IN_PROGRESS
                else:
                    state = MarkState.UNMARKED
                refs.append(ScriptRef(script_id=r.id, script_number=r.script_number, state=state,
                                      held_by=claim.held_by if claim else None))
        return refs

    def scripts_for_question(self, code: str, question_id: str) -> list[QuestionScript]:
        """Every markable script's answer and mark for one question (marking by question)."""
        now = self.clock.now()
        self._sweep(code)
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            paper, _ = self._paper_scheme(self.db, sitting.paper_id)
            if paper.question(question_id) is None:
                raise MarkingError(f"Question {question_id} is not on this paper "
                                   f"(questions: {', '.join(q.id for q in paper.questions)}).")
            queue = self._queue(self.db, sitting, now)
            answers = mark_store.answers_to_question(self.db, sitting.id, str(question_id))
            marks = {sid: _stored(r) for sid, r in
                     mark_store.marks_on_question(self.db, sitting.id, str(question_id)).items()}
        return [
            QuestionScript(script_id=r.script_id, script_number=r.script_number,
                           answer=answers.get(r.script_id, ""), mark=marks.get(r.script_id),
                           state=r.state, held_by=r.held_by)
            for r in queue.rows
        ]

    def marked_counts(self, code: str) -> dict[str, int]:
        """How many markable scripts have a mark for each question of the paper (paper order)."""
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            paper, _ = self._paper_scheme(self.db, sitting.paper_id)
            counts = mark_store.marked_per_question(self.db, sitting.id)
        return {q.id: counts.get(q.id, 0) for q in paper.questions}

    def blind_setting(self, code: str) -> BlindSetting:
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            row = mark_store.blind_setting_row(self.db, sitting.id)
        if row is None:
            return BlindSetting(code=sitting.code, blind=True, changed_by=None, changed_at=None)
        return BlindSetting(code=sitting.code, blind=row.blind, changed_by=row.changed_by,
                            changed_at=row.changed_at)

    def comments(self, code: str, question_id: str) -> list[BankComment]:
        """The comment bank for one question of the sitting's paper, oldest first."""
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            return self._bank(self.db, sitting.paper_id, str(question_id))


    def set_blind(self, code: str, blind: bool, *, by: str) -> BlindSetting:
        """Turn blind marking on or off for one sitting (admin; the change is logged)."""
        try:
            with self.uow.write(by=by, needs=Permission.ADMINISTER, what="changing blind marking") as tx:
                sitting = self._sitting(tx.db, code)
                current = self._blind(tx.db, sitting.id)
                if current == bool(blind):
                    raise NothingWritten()
                mark_store.set_blind_marking(tx.db, sitting.id, bool(blind), tx.actor.staff_id, now_text(tx.now))
                where = {"sitting_id": sitting.id, "code": sitting.code, "old": current, "new": bool(blind)}
                tx.record(BlindMarkingTurnedOn(**where) if blind else BlindMarkingTurnedOff(**where))
        except NothingWritten:
            pass
        return self.blind_setting(code)


    def _queue(self, db: Database, sitting: Sitting, now: datetime) -> MarkingQueue:
        stored = self._papers.get(sitting.paper_id) or get_paper(db, sitting.paper_id)
        paper, scheme = self._paper_scheme(db, sitting.paper_id)
        revealed = self._revealed(db, sitting)
        # Raw rows and a light mark object: 500 scripts of 18 questions in well under 100 ms.
        marks: dict[int, dict[str, _LightMark]] = defaultdict(dict)
        givers: dict[int, list[str]] = defaultdict(list)
        for script_id, question_id, awarded, points, name, role, paper_marker in mark_store.light_marks(
                db, sitting.id):
            marks[script_id][question_id] = _LightMark(question_id, awarded, _points(points), None, name, now)
            givers[script_id].append(mark_giver(name, role, paper_marker))

        def row_result(given: dict[str, _LightMark]):
            try:
                return script_result(paper, scheme, given)  # type: ignore[arg-type]
            except (MarkRefused, SchemeMismatch) as error:
                # A scheme that does not fit (a corrected scheme, a mark it no longer allows): say so
                # on the row and keep the queue usable for everyone.
                return SimpleNamespace(
                    questions_marked=len(given), questions_total=len(paper.questions),
                    provisional_total=sum(m.marks_awarded for m in given.values()),
                    available=paper.total_marks, status=f"check marks: {error}")

        nothing = row_result({})
        drafts = mark_store.scripts_with_drafts(db, sitting.id)
        rows: list[QueueRow] = []
        absent = writing = 0
        for r in mark_store.queue_rows(db, sitting.id):
            if r.finish is None:
                writing += 1
                continue
            if r.finish == "absent":
                absent += 1
                continue
            claim = self._active_claim(r, now)
            given = marks.get(r.id, {})
            result = row_result(given) if given else nothing
            if r.completed_at:
                state = MarkState.COMPLETE
            elif given or claim is not None or r.id in drafts:
                state = MarkState.IN_PROGRESS
            else:
                state = MarkState.UNMARKED
            rows.append(QueueRow(
                script_id=r.id, script_number=r.script_number, state=state,
                held_by=claim.held_by if claim else None, claim_expires_at=claim.expires_at if claim else None,
                questions_marked=result.questions_marked, questions_total=result.questions_total,
                provisional_total=result.provisional_total, available=result.available,
                result=result.status, markers=markers_of(givers.get(r.id, ())),
                completed_by=r.completed_name, completed_at=r.completed_at,
                finish=r.finish,
                candidate_number=r.candidate_number if revealed else None,
                candidate_name=r.name if revealed else None,
            ))
        return MarkingQueue(
            code=sitting.code, sitting_id=sitting.id, sitting_state=sitting.state,
            paper_id=sitting.paper_id, qualification=stored.qualification, unit=stored.unit,
            paper_version=stored.version, paper_title=stored.title, blind=self._blind(db, sitting.id),
            revealed=revealed, marking_complete=self._marking_complete(db, sitting), rows=rows,
            absent=absent, still_writing=writing,
        )

