"""One marker's marking with control scripts mixed in (issue 18.2).

:class:`ControlDesk` is the marking service as one marker's screens see it: the same calls, but
the queue, the script order and "next script" also hold the control scripts given to this
marker, under script numbers of the live sitting, and every call on a control script (open,
save a mark, complete …) is answered here from the standardisation tables instead of the
learners' marks. The screens cannot tell the two apart, and neither can the marker.

A control script is held while its marker has it open (a claim, as a live script has), and counts in
the marker's own line of ``marks status`` as a live one does: nothing there tells the two apart.

A control script's id on screen is negative (``-control id``): live script ids are positive, so
the two can never collide, and nothing outside this module looks at the sign.

Limits: control scripts are marked by script (marking by question lists live scripts only), they
keep no drafts, and none are given while a sitting's names are shown (blind marking off), where a
script without a candidate would stand out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from marker_tui.domain.events.standardisation import ControlScriptMarked, ControlScriptMarkSaved, MarkerSuspended
from marker_tui.domain.marking import MarkRefused, mark_question, markers_of
from marker_tui.domain.roles import Permission
from marker_tui.domain.standardisation import Kind, Standing, ToleranceError, check, control_settings_of, tolerance_of
from marker_tui.services.marking import (
    Claim,
    Completion,
    MarkingError,
    MarkingQueue,
    MarkingService,
    MarkSaved,
    MarkState,
    QueueRow,
    ReasonRequired,
    ScriptForMarking,
    ScriptRef,
    StoredMark,
)
from marker_tui.services.marking.common import (
    CLAIM_TIMEOUT,
    MarkerProgress,
    MarkingStatus,
    NothingWritten,
    clean_comment,
)
from marker_tui.services.papers import get_paper
from marker_tui.services.standardisation import (
    StandardisationService,
    _paper_scheme,
    _scheme,
    control_failures,
    paper_label,
    standing_of,
)
from marker_tui.storage import standardisation as store
from marker_tui.storage.database import Database
from marker_tui.storage.sittings import sitting_by_code


def is_control(script_id: int) -> bool:
    return script_id < 0


class ControlDesk:
    """The marking service for one marker, control scripts included (see the module)."""

    def __init__(self, marking: MarkingService, standardisation: StandardisationService, marker: str) -> None:
        self.marking = marking
        self.std = standardisation
        self.marker = marker
        self._codes: dict[int, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.marking, name)

    # == the queue ===================================================================================

    def queue(self, code: str) -> MarkingQueue:
        live = self.marking.queue(code)
        return self._with(live, [self._row(c, loaded) for c, loaded in self._controls(live.sitting_id)])

    @staticmethod
    def _with(live: MarkingQueue, control_rows: list[QueueRow]) -> MarkingQueue:
        """The live queue with the marker's control scripts among its rows, in script-number order."""
        return live.model_copy(update={"rows": sorted(live.rows + control_rows, key=lambda r: r.script_number)})

    def status(self, code: str) -> MarkingStatus:
        """``marks status`` as this marker's queue shows the sitting: their control scripts counted in,
        in the queue and in their own line (questions marked, scripts marked, completed, holding)."""
        live = self.marking.status(code)
        controls = [(c, self._row(c, loaded), loaded) for c, loaded in self._controls(live.queue.sitting_id)]
        queue = self._with(live.queue, [row for _, row, _ in controls])
        if not controls:
            return live.model_copy(update={"queue": queue})
        markers = {p.name: p for p in live.markers}
        mine = markers.get(self.marker) or MarkerProgress(name=self.marker, questions_marked=0, scripts_marked=0,
                                                          scripts_completed=0, holding=[])
        marked = [loaded for _, _, loaded in controls if loaded.marks]
        markers[self.marker] = mine.model_copy(update={
            "questions_marked": mine.questions_marked + sum(len(loaded.marks) for loaded in marked),
            "scripts_marked": mine.scripts_marked + len(marked),
            "scripts_completed": mine.scripts_completed + sum(1 for c, _, _ in controls if c.completed_at),
            "holding": sorted(mine.holding + [row.script_number for _, row, _ in controls if row.held_by]),
        })
        ordered = sorted(markers.values(), key=lambda p: p.name.lower())
        return live.model_copy(update={"queue": queue, "markers": ordered})

    def script_refs(self, code: str) -> list[ScriptRef]:
        refs = self.marking.script_refs(code)
        sitting_id = self._sitting_id(code)
        for c, loaded in self._controls(sitting_id):
            row = self._row(c, loaded)
            refs.append(ScriptRef(script_id=row.script_id, script_number=row.script_number, state=row.state,
                                  held_by=row.held_by))
        return sorted(refs, key=lambda r: r.script_number)

    def next_script(self, code: str, *, by: str, after: str | None = None) -> int | None:
        open_ones = [c for c, _ in self._controls(self._sitting_id(code)) if c.completed_at is None
                     and c.script_number != (str(after) if after is not None else None)]
        if open_ones:
            return -open_ones[0].id
        return self.marking.next_script(code, by=by, after=after)

    # == one script =================================================================================

    def open_script(self, script_id: int, *, by: str) -> ScriptForMarking:
        if not is_control(script_id):
            loaded = self.marking.open_script(script_id, by=by)
            self._codes[script_id] = loaded.sitting_code
            return loaded
        self._refuse_if_not_cleared(script_id)
        return self._script(script_id)

    def view_script(self, script_id: int, *, by: str | None = None) -> ScriptForMarking:
        if not is_control(script_id):
            loaded = self.marking.view_script(script_id, by=by)
            self._codes[script_id] = loaded.sitting_code
            return loaded
        return self._script(script_id)

    def result(self, script_id: int):
        return self.view_script(script_id).result

    def claim(self, script_id: int, *, by: str) -> Claim:
        if not is_control(script_id):
            return self.marking.claim(script_id, by=by)
        self._refuse_if_not_cleared(script_id)
        # Held while open, as a live script is: `marks status` shows both alike. Not audited (a claim on a
        # script that is not a learner's would stand out in the log), so upkeep by name.
        with self.std.uow.write(by=by, needs=Permission.MARK, housekeeping="a control script held open") as tx:
            c = self._own(tx.db, -script_id, tx.actor.staff_id)
            if not c.completed_at:
                tx.standardisation.hold_control(c.id, tx.now + CLAIM_TIMEOUT)
        assert (claim := self._script(script_id).claim) is not None
        return claim

    def release(self, script_id: int, *, by: str) -> None:
        if not is_control(script_id):
            self.marking.release(script_id, by=by)
            return
        with self.std.uow.read() as rx:
            c = store.control(rx.db, -script_id)
        if c is None or c.claimed_until is None:
            return  # not held: no write at all
        with self.std.uow.write(by=by, needs=Permission.SIGN_IN, housekeeping="a control script let go") as tx:
            c = self._own(tx.db, -script_id, tx.actor.staff_id)
            tx.standardisation.hold_control(c.id, None)

    def save_draft(self, script_id: int, question_id: str, **kwargs: Any) -> None:
        if not is_control(script_id):
            self.marking.save_draft(script_id, question_id, **kwargs)

    def discard_draft(self, script_id: int, question_id: str, *, by: str) -> None:
        if not is_control(script_id):
            self.marking.discard_draft(script_id, question_id, by=by)

    def set_feedback(self, script_id: int, **kwargs: Any) -> ScriptForMarking:
        if not is_control(script_id):
            return self.marking.set_feedback(script_id, **kwargs)
        return self._script(script_id)

    def history(self, script_id: int, question_id: str | None = None) -> list:
        return [] if is_control(script_id) else self.marking.history(script_id, question_id)

    def save_mark(self, script_id: int, question_id: str, marks: object, *, ticks: Iterable[int] = (),
                  comment: str | None = None, by: str, expected_version: int, reason: str | None = None,
                  hold: bool = True, **more: Any) -> MarkSaved:
        # ``more``: what the live save grows (e.g. zero_reason); a control script's mark keeps only the mark.
        if not is_control(script_id):
            return self.marking.save_mark(script_id, question_id, marks, ticks=ticks, comment=comment, by=by,
                                          expected_version=expected_version, reason=reason, hold=hold, **more)
        try:
            return self._save_control(-script_id, str(question_id), marks, ticks=ticks, comment=comment, by=by,
                                      reason=reason)
        except NothingWritten as nothing:
            return nothing.result

    def _save_control(self, control_id: int, question_id: str, marks: object, *, ticks: Iterable[int],
                      comment: str | None, by: str, reason: str | None) -> MarkSaved:
        text = clean_comment(comment)
        with self.std.uow.write(by=by, needs=Permission.MARK, what="saving a mark") as tx:
            c = self._own(tx.db, control_id, tx.actor.staff_id)
            self._refuse_suspended(tx.db, c)
            loaded = self._load(tx.db, c, tx.now)
            entry = loaded.scheme.question(question_id)
            if entry is None or loaded.paper.question(question_id) is None:
                raise MarkingError(f"Question {question_id} is not on this paper.")
            try:
                mark = mark_question(entry, marks, credited_points=list(ticks), comment=text,
                                     marked_by=tx.actor.label, marked_at=tx.now)
            except MarkRefused as error:
                raise MarkingError(str(error)) from None
            old = loaded.marks.get(question_id)
            if old is not None and (old.marks_awarded, old.credited_points, old.comment) == (
                    mark.marks_awarded, mark.credited_points, mark.comment):
                raise NothingWritten(MarkSaved(old, False, loaded.result))
            if c.completed_at and not (reason or "").strip():
                raise ReasonRequired(f"Script {c.script_number} was marked complete by {tx.actor.label}: give a "
                                     "reason for changing its marks. Nothing was saved.")
            tx.standardisation.save_control_mark(c.id, question_id, mark.marks_awarded,
                                                 list(mark.credited_points), mark.comment, at=tx.now)
            if not c.completed_at:  # a save keeps the script held, as a live save refreshes its claim
                tx.standardisation.hold_control(c.id, tx.now + CLAIM_TIMEOUT)
            tx.record(ControlScriptMarkSaved(sitting=c.sitting_code, marker=tx.actor.label,
                                             script_number=c.script_number, question=question_id,
                                             marks=mark.marks_awarded))
            after = self._load(tx.db, c, tx.now)
            return MarkSaved(after.marks[question_id], True, after.result)

    def complete(self, script_id: int, *, by: str) -> Completion:
        if not is_control(script_id):
            done = self.marking.complete(script_id, by=by)
            if not done.already_complete:
                code = self._codes.get(script_id) or self.marking.view_script(script_id).sitting_code
                self.std.maybe_give_control(code, by)
            return done
        try:
            return self._complete_control(-script_id, by=by)
        except NothingWritten as nothing:
            return nothing.result

    # == internals ===================================================================================

    def _complete_control(self, control_id: int, *, by: str) -> Completion:
        with self.std.uow.write(by=by, needs=Permission.MARK, what="completing a script") as tx:
            c = self._own(tx.db, control_id, tx.actor.staff_id)
            loaded = self._load(tx.db, c, tx.now)
            result = loaded.result
            if c.completed_at:
                raise NothingWritten(Completion(-control_id, c.script_number, result, True, False))
            if not result.is_complete:
                missing = ", ".join(result.unmarked_questions)
                plural = "s" if len(result.unmarked_questions) != 1 else ""
                raise MarkingError(f"Script {c.script_number} cannot be complete yet: question{plural} "
                                   f"{missing} {'have' if plural else 'has'} no mark.")
            std = tx.standardisation.std_script(c.std_script_id)
            q_code, unit = std.qualification, std.unit
            paper_scheme = _paper_scheme(tx.db, q_code, unit)
            given = {q: m.marks_awarded for q, m in loaded.marks.items()}
            try:
                comparison = check(given, tx.standardisation.definitive(std.id), tolerance_of(paper_scheme))
            except ToleranceError as error:
                raise MarkingError(str(error)) from None
            tx.standardisation.insert_attempt(
                std.id, tx.actor.staff_id, Kind.CONTROL.value, given, given_total=comparison.given_total,
                definitive_total=comparison.definitive_total, within=comparison.within,
                summary=comparison.summary(), at=tx.now, control_id=control_id)
            tx.standardisation.complete_control(control_id, tx.now)
            paper = paper_label(q_code, unit)
            tx.record(ControlScriptMarked(
                paper=paper, sitting=c.sitting_code, marker=tx.actor.label, script_number=c.script_number,
                given_total=comparison.given_total, definitive_total=comparison.definitive_total,
                within_tolerance=comparison.within, summary=comparison.summary()))
            failures = control_failures(tx.db, q_code, unit, tx.actor.staff_id)
            settings = control_settings_of(paper_scheme)
            if failures >= settings.suspend_after and \
                    standing_of(tx.db, q_code, unit, tx.actor.staff_id).standing is not Standing.SUSPENDED:
                why = (f"{failures} control scripts in a row out of tolerance (the last: "
                       f"{comparison.summary()})")
                tx.standardisation.insert_decision(q_code, unit, tx.actor.staff_id, "suspended", why,
                                                   decided_by=None, at=tx.now)
                released = tx.standardisation.release_open_claims(q_code, unit, tx.actor.staff_id)
                tx.record(MarkerSuspended(paper=paper, marker=tx.actor.label, reason=why,
                                          claims_released=released))
            return Completion(-control_id, c.script_number, result, False, False)

    def _sitting_id(self, code: str) -> int:
        with self.std.uow.read() as rx:
            found = sitting_by_code(rx.db, code)
        if found is None:
            raise MarkingError(f"There is no sitting {code!r}.")
        return found.id

    def _controls(self, sitting_id: int) -> list[tuple[store.Control, ScriptForMarking]]:
        """The marker's control scripts in the sitting, each with its script as loaded for marking."""
        with self.std.uow.read() as rx:
            from marker_tui.services.staff import find_staff

            member = find_staff(rx.db, self.marker)
            if member is None:
                return []
            return [(c, self._load(rx.db, c, self.std.clock.now()))
                    for c in store.controls_of(rx.db, sitting_id, member.id)]

    def _row(self, c: store.Control, loaded: ScriptForMarking) -> QueueRow:
        result = loaded.result
        state = MarkState.COMPLETE if c.completed_at else (
            MarkState.IN_PROGRESS if loaded.marks else MarkState.UNMARKED)
        held = not c.completed_at and c.claimed_until is not None and c.claimed_until > self.std.clock.now()
        return QueueRow(
            script_id=-c.id, script_number=c.script_number, state=state,
            held_by=c.marker if held else None,
            claim_expires_at=c.claimed_until if held else None,
            questions_marked=result.questions_marked, questions_total=result.questions_total,
            provisional_total=result.provisional_total, available=result.available, result=result.status,
            markers=markers_of([c.marker] if loaded.marks else []), completed_by=loaded.completed_by,
            completed_at=loaded.completed_at, finish="submitted")

    def _script(self, script_id: int) -> ScriptForMarking:
        with self.std.uow.read() as rx:
            c = store.control(rx.db, -script_id)
            if c is None:
                raise MarkingError(f"There is no script with id {script_id}.")
            return self._load(rx.db, c, self.std.clock.now())

    @staticmethod
    def _own(db: Database, control_id: int, staff_id: int | None) -> store.Control:
        c = store.control(db, control_id)
        if c is None or c.staff_id != staff_id:
            raise MarkingError(f"There is no script with id {-control_id} for you to mark.")
        return c

    def _refuse_if_not_cleared(self, script_id: int) -> None:
        with self.std.uow.read() as rx:
            c = store.control(rx.db, -script_id)
            if c is not None:
                self._refuse_suspended(rx.db, c)

    @staticmethod
    def _refuse_suspended(db: Database, c: store.Control) -> None:
        q_code, unit = store.sitting_paper(db, c.sitting_id)
        standing = standing_of(db, q_code, unit, c.staff_id)
        if standing.standing is Standing.SUSPENDED:
            raise MarkingError(standing.message + " Nothing was changed.")

    @staticmethod
    def _load(db: Database, c: store.Control, now: datetime) -> ScriptForMarking:
        source = store.script_with_paper(db, c.source_script_id)
        stored = get_paper(db, source.paper_id)
        scheme = _scheme(db, source.paper_id)
        marks = {
            r.question_id: StoredMark(
                script_id=-c.id, question_id=r.question_id, marks_awarded=r.marks_awarded,
                credited_points=r.credited_points, comment=r.comment,
                marked_by=c.marker, marked_by_id=c.staff_id, marked_at=r.marked_at,
                role="marker", version=r.version)
            for r in store.control_marks(db, c.id)}
        completed = c.completed_at
        claim = None if completed else Claim(held_by=c.marker, staff_id=c.staff_id,
                                             claimed_at=c.assigned_at, expires_at=now + CLAIM_TIMEOUT)
        return ScriptForMarking(
            script_id=-c.id, script_number=c.script_number, sitting_id=c.sitting_id,
            sitting_code=c.sitting_code, paper_id=source.paper_id, paper=stored.paper, scheme=scheme,
            answers=store.answers(db, c.source_script_id), marks=marks, drafts={}, claim=claim,
            completed_by=c.marker if completed else None, completed_at=completed, overall_feedback=None,
            next_steps=None, finish="submitted")

