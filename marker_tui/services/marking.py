"""Marking: what the marker's screen, ``marker-tui marks ...`` and the IQA screens call.

The rules of a mark and of a result live in ``domain/marking.py`` (pure); this
module stores marks and enforces who may change them, when, and how:

* **Every change is kept.** A mark is one row of ``marks`` (the current value,
  with a ``version`` that counts its saves) plus one row of ``mark_versions``
  per save (append-only), and one audit-log row with the old and new value, who
  and when, written in the same transaction. Totals and results are never
  stored: :meth:`MarkingService.result` and every row shown are computed from
  the marks each time.
* **No silent overwrites.** Opening a script *claims* it for one marker
  (:data:`CLAIM_MINUTES` minutes, refreshed by every save and by activity). A
  save on a script someone else holds is refused (:class:`ClaimRefused`), and so
  is a save that names an older version of the mark than the one stored
  (:class:`StaleMark`: "Ana Lopes changed this mark at 10:42 after you opened
  it — reload to see it").
* **Complete means signed off.** A marker marks a script complete once every
  question has a mark; changing a mark after that needs a reason
  (:class:`ReasonRequired`), which is kept with the new version and in the audit
  log.
* **Blind by default.** Rows and scripts carry the anonymous script number only;
  the candidate number and name are filled in once marking of the whole sitting
  is complete (the sitting has ended and every submitted script is complete), or
  when an admin has turned blind marking off for that sitting (logged).
* **Nothing typed is lost.** What a marker has typed but not yet saved can be
  kept as a *draft* (:meth:`MarkingService.save_draft`); a draft is not a mark
  (never counted, never audited) and is deleted when the mark is saved.

Who may do what: marking (claim, save, complete, feedback, comment bank, CSV
import) needs the ``marker`` role; :meth:`MarkingService.adjust_mark` needs
``iqa``; turning blind marking on or off needs ``admin``.

``marks.role`` says how a mark was recorded: ``"marker"`` (on screen),
``"import"`` (from a CSV of marks given on paper) or ``"iqa"`` (an IQA
adjustment with a reason).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.marking import (
    MarkRefused,
    QuestionMark,
    SchemeMismatch,
    ScriptResult,
    mark_giver,
    mark_question,
    markers_of,
    script_result,
    suggested_mark,
)
from marker_tui.domain.markscheme import MarkScheme, QuestionMarkScheme
from marker_tui.domain.paper import Question, QuestionPaper
from marker_tui.domain.visible_text import has_controls, has_hidden
from marker_tui.services.audit import Actor, ServiceError, record
from marker_tui.services.candidates import CsvImportError, RowProblem, looks_like_formula, read_csv_text
from marker_tui.services.papers import StoredPaper, get_paper
from marker_tui.services.staff import find_staff, resolve_actor
from marker_tui.storage import marks as mark_store
from marker_tui.storage.sittings import no_such_sitting, sitting_by_code, sitting_by_id
from marker_tui.storage.papers import latest_scheme, latest_scheme_id
from marker_tui.storage.database import Database, now_text, parse_instant, read_transaction, run_write
from marker_tui.domain.roles import Permission, roles_for

#: A claim lapses after this many minutes without a save or other activity.
CLAIM_MINUTES = 15
CLAIM_TIMEOUT = timedelta(minutes=CLAIM_MINUTES)
MARKERS = roles_for(Permission.MARK)
REVIEWERS = roles_for(Permission.REVIEW_MARKING)
SETTINGS_ROLES = roles_for(Permission.ADMINISTER)
MAX_COMMENT_CHARS = 2000
MAX_REASON_CHARS = 500
#: Finishes whose scripts are marked; "absent" scripts have nothing to mark.
MARKABLE_FINISHES = ("submitted", "time up", "ended")

CSV_COLUMNS = ("script", "question", "marks", "comment", "marker")
CSV_REQUIRED = ("script", "question", "marks")
_CSV_ALIASES = {
    "script_number": "script", "script_no": "script", "question_id": "question", "q": "question",
    "mark": "marks", "marks_awarded": "marks", "comments": "comment", "marked_by": "marker",
}


# --- errors ---------------------------------------------------------------------------------


class MarkingError(ServiceError):
    """A marking request refused; nothing was changed."""


class ClaimRefused(MarkingError):
    """Another marker holds the script."""

    def __init__(self, message: str, held_by: str) -> None:
        super().__init__(message)
        self.held_by = held_by


class StaleMark(MarkingError):
    """The mark changed after the caller read it; ``current`` is what is stored now."""

    def __init__(self, message: str, current: StoredMark) -> None:
        super().__init__(message)
        self.current = current


class ReasonRequired(MarkingError):
    """The script is complete (or the change is an IQA adjustment): give a reason."""


# --- what the service returns ---------------------------------------------------------------


class MarkState(StrEnum):
    UNMARKED = "unmarked"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"


class StoredMark(BaseModel):
    """The current mark of one question of one script."""

    model_config = ConfigDict(frozen=True)

    script_id: int
    question_id: str
    marks_awarded: int
    credited_points: tuple[int, ...]
    comment: str | None
    marked_by: str
    marked_by_id: int
    marked_at: datetime
    role: str
    version: int
    #: An imported mark: who marked it on paper, as the file named them (``marked_by`` is the importer).
    paper_marker: str | None = None

    def question_mark(self) -> QuestionMark:
        """As the domain rules take it (stored values were checked when saved)."""
        return QuestionMark.model_construct(
            question_id=self.question_id, marks_awarded=self.marks_awarded,
            credited_points=self.credited_points, comment=self.comment,
            marked_by=self.marked_by, marked_at=self.marked_at,
        )


class MarkVersion(StoredMark):
    """One saved value of a mark (``history``); ``reason`` where one was required or given."""

    reason: str | None = None


class MarkDraft(BaseModel):
    """What one marker typed for a question but has not saved (so a dead terminal loses nothing)."""

    question_id: str
    marks_text: str
    credited_points: tuple[int, ...]
    comment: str
    base_version: int
    updated_at: datetime


class Claim(BaseModel):
    held_by: str
    staff_id: int
    claimed_at: datetime
    expires_at: datetime


class QueueRow(BaseModel):
    """One script in the marking queue (blind: candidate fields are None until revealed)."""

    script_id: int
    script_number: str
    state: MarkState
    held_by: str | None
    claim_expires_at: datetime | None
    questions_marked: int
    questions_total: int
    provisional_total: int
    available: int
    result: str
    markers: list[str]
    completed_by: str | None
    completed_at: datetime | None
    finish: str
    candidate_number: str | None = None
    candidate_name: str | None = None


class ScriptRef(BaseModel):
    """A markable script's place in the queue, without its totals (see ``script_refs``)."""

    script_id: int
    script_number: str
    state: MarkState
    held_by: str | None


class MarkingQueue(BaseModel):
    code: str
    sitting_id: int
    sitting_state: str
    paper_id: int
    qualification: str
    unit: str
    paper_version: str
    paper_title: str | None
    blind: bool
    """The sitting's setting: True unless an admin turned blind marking off."""
    revealed: bool
    """Candidate numbers and names are shown (blind is off, or marking of the sitting is complete)."""
    marking_complete: bool
    rows: list[QueueRow]
    absent: int
    still_writing: int

    def counts(self) -> dict[MarkState, int]:
        out = {state: 0 for state in MarkState}
        for row in self.rows:
            out[row.state] += 1
        return out

    def row(self, script_id: int) -> QueueRow | None:
        return next((r for r in self.rows if r.script_id == script_id), None)


class ScriptForMarking(BaseModel):
    """Everything the marking screen needs for one script, as stored now."""

    script_id: int
    script_number: str
    sitting_id: int
    sitting_code: str
    paper_id: int
    paper: QuestionPaper
    scheme: MarkScheme
    answers: dict[str, str]
    marks: dict[str, StoredMark]
    drafts: dict[str, MarkDraft]
    """The viewing marker's own unsaved drafts, by question id."""
    claim: Claim | None
    completed_by: str | None
    completed_at: datetime | None
    overall_feedback: str | None
    next_steps: str | None
    finish: str
    candidate_number: str | None = None
    candidate_name: str | None = None

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None

    @property
    def result(self) -> ScriptResult:
        """Derived from the marks now; a stored mark the current scheme no longer allows (a corrected
        scheme with a lower maximum) is a MarkingError naming it, not a wrong total."""
        try:
            return script_result(self.paper, self.scheme, {q: m.question_mark() for q, m in self.marks.items()})
        except (MarkRefused, SchemeMismatch) as error:
            raise MarkingError(f"Script {self.script_number}: {error}") from None

    def version(self, question_id: str) -> int:
        mark = self.marks.get(question_id)
        return mark.version if mark else 0

    def entry(self, question_id: str) -> QuestionMarkScheme:
        found = self.scheme.question(question_id)
        if found is None:
            raise MarkingError(f"Question {question_id} has no mark scheme entry.")
        return found

    def question(self, question_id: str) -> Question:
        found = self.paper.question(question_id)
        if found is None:
            raise MarkingError(f"Question {question_id} is not on this paper.")
        return found


class QuestionScript(BaseModel):
    """One script's answer to one question (marking by question)."""

    script_id: int
    script_number: str
    answer: str
    mark: StoredMark | None
    state: MarkState
    held_by: str | None


@dataclass(frozen=True)
class MarkSaved:
    """Returned only after the save is committed; ``changed`` is False when nothing differed."""

    mark: StoredMark
    changed: bool
    result: ScriptResult


@dataclass(frozen=True)
class Completion:
    script_id: int
    script_number: str
    result: ScriptResult
    already_complete: bool
    sitting_marking_complete: bool


class BankComment(BaseModel):
    id: int
    question_id: str
    text: str
    added_by: str
    added_at: datetime


class BlindSetting(BaseModel):
    code: str
    blind: bool
    changed_by: str | None
    changed_at: datetime | None


class MarkerProgress(BaseModel):
    name: str
    questions_marked: int
    """Current marks (question of a script) last given by this person."""
    scripts_marked: int
    """Scripts with at least one current mark from this person."""
    scripts_completed: int
    holding: list[str]
    """Script numbers this person holds a claim on now."""


class MarkingStatus(BaseModel):
    queue: MarkingQueue
    markers: list[MarkerProgress]


class MarksImportReport(BaseModel):
    file: str
    code: str
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    scripts: list[str] = []


# --- helpers ----------------------------------------------------------------------------------


def _clock(instant: datetime | None) -> str:
    return instant.astimezone().strftime("%H:%M") if instant else "-"


def _clean_code(code: str) -> str:
    return (code or "").strip().upper()


def _no_controls(text: str, what: str, *, newlines: bool = True) -> str:
    allowed = "\n\t" if newlines else ""
    if has_controls(text, allow=allowed):
        raise MarkingError(f"{what} cannot contain control characters; type plain text.")
    return text


def clean_comment(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if len(text) > MAX_COMMENT_CHARS:
        raise MarkingError(f"A comment can be at most {MAX_COMMENT_CHARS} characters (this one has {len(text)}).")
    return _no_controls(text, "A comment")


def clean_reason(text: str | None) -> str | None:
    cleaned = " ".join((text or "").split())
    if len(cleaned) > MAX_REASON_CHARS:
        raise MarkingError(f"A reason can be at most {MAX_REASON_CHARS} characters.")
    return _no_controls(cleaned, "A reason", newlines=False) or None


def _points(text: str | None) -> tuple[int, ...]:
    return tuple(json.loads(text or "[]"))


def _mark_value(mark: StoredMark | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {"marks": mark.marks_awarded, "credited_points": [p + 1 for p in mark.credited_points],
            "comment": mark.comment, "by": mark.marked_by, "at": now_text(mark.marked_at),
            "version": mark.version}


def _stored(row: dict[str, Any]) -> StoredMark:
    return StoredMark(
        script_id=row["script_id"], question_id=row["question_id"], marks_awarded=row["marks_awarded"],
        credited_points=_points(row["credited_points"]), comment=row["comment"],
        marked_by=row["marker_name"], marked_by_id=row["marked_by"], marked_at=parse_instant(row["marked_at"]),
        role=row["role"], version=row["version"], paper_marker=row.get("paper_marker"),
    )


class _LightMark(NamedTuple):
    """What the result rules read of a stored mark, without building a pydantic model each time
    (the queue reads thousands; stored values were checked when they were saved, and the rules
    check them again)."""

    question_id: str
    marks_awarded: int
    credited_points: tuple[int, ...]
    comment: str | None
    marked_by: str
    marked_at: datetime


class MarkingService:
    """Marks, claims, completion, blind display, comment bank and CSV import over one database."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self._papers: dict[int, StoredPaper] = {}
        self._schemes: dict[int, MarkScheme] = {}

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
                if r["completed_at"]:
                    state = MarkState.COMPLETE
                elif r["marked"] or r["drafted"] or claim is not None:
                    state = MarkState.IN_PROGRESS
                else:
                    state = MarkState.UNMARKED
                refs.append(ScriptRef(script_id=r["id"], script_number=r["script_number"], state=state,
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

    def history(self, script_id: int, question_id: str | None = None) -> list[MarkVersion]:
        """Every saved value of the script's marks (one question, or all), oldest first."""
        with read_transaction(self.db):
            rows = mark_store.mark_versions(self.db, script_id, None if question_id is None else str(question_id))
            return [MarkVersion(**_stored(r).model_dump(), reason=r["reason"]) for r in rows]

    def blind_setting(self, code: str) -> BlindSetting:
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            row = mark_store.blind_setting_row(self.db, sitting.id)
        if row is None:
            return BlindSetting(code=sitting.code, blind=True, changed_by=None, changed_at=None)
        return BlindSetting(code=sitting.code, blind=bool(row["blind"]), changed_by=row["name"],
                            changed_at=parse_instant(row["changed_at"]))

    def comments(self, code: str, question_id: str) -> list[BankComment]:
        """The comment bank for one question of the sitting's paper, oldest first."""
        with read_transaction(self.db):
            sitting = self._sitting(self.db, code)
            return self._bank(self.db, sitting.paper_id, str(question_id))

    # == claims ===================================================================================

    def open_script(self, script_id: int, *, by: str) -> ScriptForMarking:
        """Claim the script for ``by`` and return it (refused if another marker holds it)."""
        now = self.clock.now()

        def work(db: Database) -> ScriptForMarking:
            actor = resolve_actor(db, by, *MARKERS)
            script = self._script(db, script_id)
            self._check_markable(script)
            self._take_claim(db, script, actor, now)
            return self._load(db, script, actor.staff_id, now)

        return run_write(self.db, work, "opening a script")

    def claim(self, script_id: int, *, by: str) -> Claim:
        """Claim (or keep holding) a script; refused with who holds it if someone else does."""
        now = self.clock.now()

        def work(db: Database) -> Claim:
            actor = resolve_actor(db, by, *MARKERS)
            script = self._script(db, script_id)
            self._check_markable(script)
            return self._take_claim(db, script, actor, now)

        return run_write(self.db, work, "claiming a script")

    def release(self, script_id: int, *, by: str) -> None:
        """Let go of a script this marker holds (nothing happens if they do not hold it)."""
        def work(db: Database) -> None:
            member = find_staff(db, by)
            if member is None:
                return
            mark_store.release_claim(db, script_id, member.id)

        run_write(self.db, work, "releasing a script")

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
        already stored changes nothing and is not an error.
        """
        return self._save(script_id, str(question_id), marks, ticks=ticks, comment=comment, by=by,
                          roles=MARKERS, role="marker", expected_version=expected_version, reason=reason,
                          hold=hold)

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
                          roles=REVIEWERS, role="iqa", expected_version=expected_version, reason=reason,
                          hold=False, keep_comment=keep_comment and comment is None)

    def complete(self, script_id: int, *, by: str) -> Completion:
        """A marker signs a fully marked script off as complete (then changes need a reason)."""
        now = self.clock.now()

        def work(db: Database) -> Completion:
            actor = resolve_actor(db, by, *MARKERS)
            script = self._script(db, script_id)
            self._check_markable(script)
            state = self._marking_row(db, script_id)
            self._check_not_held_by_other(db, script, state, actor, now)
            loaded = self._load(db, script, actor.staff_id, now)
            result = loaded.result
            if loaded.is_complete:
                return Completion(script_id, script["script_number"], result, True,
                                  self._marking_complete(db, self._sitting_by_id(db, script["sitting_id"])))
            if not result.is_complete:
                missing = ", ".join(result.unmarked_questions)
                plural = "s" if len(result.unmarked_questions) != 1 else ""
                raise MarkingError(f"Script {script['script_number']} cannot be complete yet: question{plural} "
                                   f"{missing} {'have' if plural else 'has'} no mark.")
            self._ensure_marking_row(db, script_id)
            mark_store.set_complete(db, script_id, actor.staff_id, now_text(now))
            record(db, at=now, actor=actor, action="script marking complete", sitting_id=script["sitting_id"],
                   script_id=script_id, candidate_number=script["candidate_number"],
                   details={"script_number": script["script_number"], "total": result.total,
                            "available": result.available, "result": result.status,
                            "fail_reasons": list(result.fail_reasons)})
            sitting = self._sitting_by_id(db, script["sitting_id"])
            finished = self._marking_complete(db, sitting)
            if finished:
                record(db, at=now, actor=actor, action="sitting marking complete", sitting_id=sitting.id,
                       details={"code": sitting.code, "identities now shown to markers": True})
            return Completion(script_id, script["script_number"], result, False, finished)

        return run_write(self.db, work, "completing a script")

    def set_feedback(self, script_id: int, *, overall_feedback: str | None, next_steps: str | None,
                     by: str) -> ScriptForMarking:
        """The marker's overall feedback and next steps for the learner (audited, old and new)."""
        overall = clean_comment(overall_feedback)
        steps = clean_comment(next_steps)
        now = self.clock.now()

        def work(db: Database) -> ScriptForMarking:
            actor = resolve_actor(db, by, *MARKERS)
            script = self._script(db, script_id)
            self._check_markable(script)
            state = self._marking_row(db, script_id)
            self._check_not_held_by_other(db, script, state, actor, now)
            old = {"overall_feedback": state["overall_feedback"] if state else None,
                   "next_steps": state["next_steps"] if state else None}
            new = {"overall_feedback": overall, "next_steps": steps}
            if old != new:
                self._ensure_marking_row(db, script_id)
                mark_store.set_overall_feedback(db, script_id, overall, steps)
                record(db, at=now, actor=actor, action="script feedback changed", sitting_id=script["sitting_id"],
                       script_id=script_id, candidate_number=script["candidate_number"],
                       details={"script_number": script["script_number"], "old": old, "new": new})
            return self._load(db, script, actor.staff_id, now)

        return run_write(self.db, work)

    # == drafts =====================================================================================

    def save_draft(self, script_id: int, question_id: str, *, by: str, marks_text: str,
                   ticks: Iterable[int], comment: str, base_version: int) -> None:
        """Keep what a marker has typed but not saved (not a mark: not counted, not audited)."""
        points = sorted({int(t) for t in ticks})
        marks_text = (marks_text or "")[:20]
        comment = (comment or "")[:MAX_COMMENT_CHARS]
        now = self.clock.now()

        def work(db: Database) -> None:
            member = find_staff(db, by)
            if member is None:
                raise MarkingError(f"There is no staff member called {by!r}.")
            mark_store.put_draft(db, script_id, str(question_id), member.id, marks_text=marks_text,
                                 points_json=json.dumps(points), comment=comment, base_version=int(base_version),
                                 at=now_text(now))

        run_write(self.db, work, "keeping a draft")

    def discard_draft(self, script_id: int, question_id: str, *, by: str) -> None:
        def work(db: Database) -> None:
            member = find_staff(db, by)
            if member is not None:
                mark_store.drop_draft(db, script_id, str(question_id), member.id)

        run_write(self.db, work, "discarding a draft")

    # == comment bank and settings ===================================================================

    def add_comment(self, code: str, question_id: str, text: str, *, by: str) -> BankComment:
        """Add a reusable comment for a question (the same text twice is kept once)."""
        cleaned = clean_comment(text)
        if cleaned is None:
            raise MarkingError("Type the comment first: an empty comment cannot go in the bank.")
        if len(cleaned) > 500:
            raise MarkingError("A comment-bank entry can be at most 500 characters.")
        now = self.clock.now()

        def work(db: Database) -> BankComment:
            actor = resolve_actor(db, by, *MARKERS)
            sitting = self._sitting(db, code)
            paper, _ = self._paper_scheme(db, sitting.paper_id)
            if paper.question(question_id) is None:
                raise MarkingError(f"Question {question_id} is not on this paper.")
            if not mark_store.bank_has(db, sitting.paper_id, str(question_id), cleaned):
                mark_store.add_to_bank(db, sitting.paper_id, str(question_id), cleaned, actor.staff_id,
                                       now_text(now))
                record(db, at=now, actor=actor, action="comment bank entry added", sitting_id=sitting.id,
                       details={"paper_id": sitting.paper_id, "question": str(question_id), "text": cleaned})
            return next(c for c in self._bank(db, sitting.paper_id, str(question_id)) if c.text == cleaned)

        return run_write(self.db, work)

    def set_blind(self, code: str, blind: bool, *, by: str) -> BlindSetting:
        """Turn blind marking on or off for one sitting (admin; the change is logged)."""
        now = self.clock.now()

        def work(db: Database) -> None:
            actor = resolve_actor(db, by, *SETTINGS_ROLES)
            sitting = self._sitting(db, code)
            current = self._blind(db, sitting.id)
            if current == bool(blind):
                return
            mark_store.set_blind_marking(db, sitting.id, bool(blind), actor.staff_id, now_text(now))
            record(db, at=now, actor=actor, action="blind marking turned on" if blind else "blind marking turned off",
                   sitting_id=sitting.id, details={"code": sitting.code, "old": current, "new": bool(blind)})

        run_write(self.db, work)
        return self.blind_setting(code)

    # == CSV import ==================================================================================

    def import_marks_csv(self, code: str, path: str | Path, *, by: str, replace: bool = False,
                         reason: str | None = None) -> MarksImportReport:
        """Marks given on paper, from a spreadsheet; all-or-nothing, every bad row reported by line.

        Columns (header first, any order, case and spaces ignored): ``script``
        (the anonymous script number), ``question``, ``marks``, optional
        ``comment`` and ``marker`` (who marked it on paper). Every mark is
        recorded as given by ``by``, the importer (who must have the marker
        role): the ``marker`` column is kept as data (``paper_marker``), never
        taken as the person acting, so the own-marking rule of IQA sees the
        importer. A row that would change an existing,
        different mark needs ``replace``; a row changing a complete script's mark
        needs ``reason``; rows for scripts another marker holds on screen are
        refused. Rows equal to the stored mark change nothing.
        """
        path = Path(path)
        why = clean_reason(reason)
        with read_transaction(self.db):
            resolve_actor(self.db, by, *MARKERS)
            self._sitting(self.db, code)
        rows, shape_problems = _read_marks_csv(path)
        self._sweep(code)
        now = self.clock.now()

        def work(db: Database) -> MarksImportReport:
            actor = resolve_actor(db, by, *MARKERS)
            sitting = self._sitting(db, code)
            paper, scheme = self._paper_scheme(db, sitting.paper_id)
            scripts = mark_store.scripts_for_marking(db, sitting.id)
            states = mark_store.marking_states(db, sitting.id)
            current = {key: _stored(r) for key, r in mark_store.marks_in_sitting(db, sitting.id).items()}
            problems: list[RowProblem] = list(shape_problems)
            planned: list[tuple[dict, QuestionMarkScheme, QuestionMark, StoredMark | None, str | None]] = []
            seen: dict[tuple[str, str], int] = {}
            questions = ", ".join(q.id for q in paper.questions)
            for line, values in rows:
                number, qid = values["script"], values["question"]
                bad = len(problems)

                def problem(field: str | None, message: str) -> None:
                    problems.append(RowProblem(line=line, field=field, message=message))

                script = scripts.get(number)
                if not number:
                    problem("script", "is empty; write the script number (e.g. 4821)")
                elif script is None:
                    problem("script", f"{number} is not a script of sitting {sitting.code}")
                elif script["finish"] is None:
                    problem("script", f"script {number} has not been submitted yet; it cannot be marked")
                elif script["finish"] == "absent":
                    problem("script", f"script {number} is recorded as absent; there is nothing to mark")
                entry = scheme.question(qid) if qid else None
                if not qid:
                    problem("question", "is empty; write the question number (e.g. 2a)")
                elif paper.question(qid) is None or entry is None:
                    problem("question", f"{qid} is not on the paper (its questions are {questions})")
                paper_marker, marker_problem = _paper_marker(values.get("marker"))
                if marker_problem:
                    problem("marker", marker_problem)
                try:
                    comment = clean_comment(values.get("comment"))
                except MarkingError as error:
                    problem("comment", str(error))
                    comment = None
                raw = values["marks"]
                mark: QuestionMark | None = None
                if entry is not None:
                    if not raw:
                        problem("marks", f"is empty; write a whole number from 0 to {entry.max_marks}")
                    else:
                        value: object = int(raw) if re.fullmatch(r"[+-]?[0-9]+", raw) else raw
                        try:
                            mark = mark_question(entry, value, comment=comment, marked_by=actor.label,
                                                 marked_at=now)
                        except MarkRefused as error:
                            problem("marks", str(error))
                if number and qid:
                    earlier = seen.get((number, qid))
                    if earlier is not None:
                        problem(None, f"script {number} question {qid} already appears on line {earlier}")
                    else:
                        seen[(number, qid)] = line
                if len(problems) > bad or script is None or mark is None:
                    continue
                old = current.get((script["id"], qid))
                if old is not None and (old.marks_awarded, old.comment) == (mark.marks_awarded, mark.comment):
                    planned.append((script, entry, mark, old, paper_marker))  # unchanged
                    continue
                state = states.get(script["id"])
                if state and state["claimed_by"] is not None and parse_instant(state["claim_expires_at"]) > now \
                        and state["claimed_by"] != actor.staff_id:
                    problem("script", f"script {number} is being marked on screen by {state['claimed_name']}; "
                                      "import its marks when they have finished")
                    continue
                if old is not None and not replace:
                    problem("marks", f"script {number} question {qid} already has {old.marks_awarded} "
                                     f"mark{'s' if old.marks_awarded != 1 else ''} from {old.marked_by}; "
                                     "use --replace to overwrite it (the old mark stays in the audit log)")
                    continue
                if state and state["completed_at"] and not why:
                    problem("marks", f"script {number} was marked complete by {state['completed_name']}; "
                                     "give --reason to change its marks")
                    continue
                planned.append((script, entry, mark, old, paper_marker))
            if problems:
                problems.sort(key=lambda p: p.line)
                raise CsvImportError(path, problems)
            report = MarksImportReport(file=str(path), code=sitting.code)
            touched: set[str] = set()
            for script, entry, mark, old, paper_marker in planned:
                if old is not None and (old.marks_awarded, old.comment) == (mark.marks_awarded, mark.comment):
                    report.unchanged += 1
                    continue
                ticks = old.credited_points if old is not None and old.marks_awarded == mark.marks_awarded else ()
                self._write_mark(db, script, mark.question_id, mark.marks_awarded, ticks, mark.comment,
                                 actor, old, role="import", reason=why, now=now, source=str(path),
                                 paper_marker=paper_marker)
                touched.add(script["script_number"])
                if old is None:
                    report.added += 1
                else:
                    report.changed += 1
            report.scripts = sorted(touched)
            return report

        return run_write(self.db, work, "importing marks")

    # == internals ===================================================================================

    def _sweep(self, code: str) -> None:
        # A script whose time ran out counts as submitted even if nobody has looked since.
        from marker_tui.services.sitting import SittingService

        with read_transaction(self.db):
            row = sitting_by_code(self.db, code)
        if row is None or row.state in ("ended", "scheduled"):
            return  # unknown (the caller says so, in marking words) or nothing can have run out
        try:
            SittingService(self.db, self.clock).sweep(code)
        except ServiceError:
            pass

    def _member(self, name: str):
        with read_transaction(self.db):
            member = find_staff(self.db, name)
        if member is None:
            raise MarkingError(f"There is no staff member called {name!r}.")
        return member

    def _paper_scheme(self, db: Database, paper_id: int) -> tuple[QuestionPaper, MarkScheme]:
        if paper_id not in self._papers:
            self._papers[paper_id] = get_paper(db, paper_id)
        in_force = latest_scheme_id(db, paper_id)
        if in_force is None:
            paper = self._papers[paper_id]
            raise MarkingError(f"No mark scheme is loaded for {paper.qualification} unit {paper.unit} version "
                               f"{paper.version}: load it before marking (marker-tui check shows what is missing).")
        if in_force not in self._schemes:  # a corrected scheme is a new row: cached by row id
            self._schemes[in_force] = latest_scheme(db, paper_id).scheme
        return self._papers[paper_id].paper, self._schemes[in_force]

    @staticmethod
    def _sitting(db: Database, code: str) -> dict[str, Any]:
        row = sitting_by_code(db, code)
        if row is None:
            raise MarkingError(no_such_sitting(code))
        return row

    @staticmethod
    def _sitting_by_id(db: Database, sitting_id: int) -> dict[str, Any]:
        return sitting_by_id(db, sitting_id)

    @staticmethod
    def _script(db: Database, script_id: int) -> dict[str, Any]:
        row = mark_store.script_for_marking(db, script_id)
        if row is None:
            raise MarkingError(f"There is no script with id {script_id}.")
        return row

    @staticmethod
    def _check_markable(script: dict[str, Any]) -> None:
        if script["finish"] is None:
            raise MarkingError(f"Script {script['script_number']} has not been submitted yet "
                               "(the candidate may still be writing); it cannot be marked.")
        if script["finish"] == "absent":
            raise MarkingError(f"Script {script['script_number']} is recorded as absent: there is nothing to mark.")

    @staticmethod
    def _blind(db: Database, sitting_id: int) -> bool:
        return mark_store.blind_marking(db, sitting_id)

    @staticmethod
    def _marking_complete(db: Database, sitting: dict[str, Any]) -> bool:
        """The sitting has ended and every submitted script is complete."""
        if sitting.state != "ended":
            return False
        total, unfinished = mark_store.submitted_and_unfinished(db, sitting.id)
        return bool(total) and not unfinished

    def _revealed(self, db: Database, sitting: dict[str, Any]) -> bool:
        return not self._blind(db, sitting.id) or self._marking_complete(db, sitting)

    @staticmethod
    def _marking_row(db: Database, script_id: int) -> dict[str, Any] | None:
        return mark_store.marking_state(db, script_id)

    @staticmethod
    def _ensure_marking_row(db: Database, script_id: int) -> None:
        mark_store.ensure_marking_state(db, script_id)

    @staticmethod
    def _active_claim(state: dict[str, Any] | None, now: datetime) -> Claim | None:
        if not state or state["claimed_by"] is None:
            return None
        expires = parse_instant(state["claim_expires_at"])
        if expires <= now:
            return None
        return Claim(held_by=state["claimed_name"], staff_id=state["claimed_by"],
                     claimed_at=parse_instant(state["claimed_at"]), expires_at=expires)

    def _check_not_held_by_other(self, db: Database, script: dict[str, Any], state: dict[str, Any] | None,
                                 actor: Actor, now: datetime) -> None:
        claim = self._active_claim(state, now)
        if claim is not None and claim.staff_id != actor.staff_id:
            raise ClaimRefused(
                f"Script {script['script_number']} is being marked by {claim.held_by} (since "
                f"{_clock(claim.claimed_at)}; their claim lapses at {_clock(claim.expires_at)} if they stop). "
                "Nothing was changed; choose another script.", claim.held_by)

    def _take_claim(self, db: Database, script: dict[str, Any], actor: Actor, now: datetime) -> Claim:
        state = self._marking_row(db, script["id"])
        self._check_not_held_by_other(db, script, state, actor, now)
        previous = self._active_claim(state, now)
        lapsed_holder = state["claimed_name"] if state and state["claimed_by"] not in (None, actor.staff_id) else None
        claimed_at = previous.claimed_at if previous is not None else now
        self._ensure_marking_row(db, script["id"])
        mark_store.set_claim(db, script["id"], actor.staff_id, claimed_at=now_text(claimed_at),
                             expires_at=now_text(now + CLAIM_TIMEOUT))
        if lapsed_holder:
            # Someone else's lapsed claim taken over: worth a line in the trail.
            record(db, at=now, actor=actor, action="lapsed marking claim taken over", sitting_id=script["sitting_id"],
                   script_id=script["id"], candidate_number=script["candidate_number"],
                   details={"script_number": script["script_number"], "previous holder": lapsed_holder,
                            "lapsed at": state["claim_expires_at"]})
        return Claim(held_by=actor.label, staff_id=actor.staff_id, claimed_at=claimed_at,
                     expires_at=now + CLAIM_TIMEOUT)

    def _marks(self, db: Database, script_id: int) -> dict[str, StoredMark]:
        return {q: _stored(r) for q, r in mark_store.marks_of_script(db, script_id).items()}

    def _bank(self, db: Database, paper_id: int, question_id: str) -> list[BankComment]:
        return [BankComment(id=r["id"], question_id=r["question_id"], text=r["text"], added_by=r["name"],
                            added_at=parse_instant(r["added_at"]))
                for r in mark_store.bank_comments(db, paper_id, question_id)]

    def _load(self, db: Database, script: dict[str, Any], staff_id: int | None, now: datetime) -> ScriptForMarking:
        paper, scheme = self._paper_scheme(db, script["paper_id"])
        answers = mark_store.script_answers(db, script["id"])
        drafts: dict[str, MarkDraft] = {}
        if staff_id is not None:
            for r in mark_store.drafts_of(db, script["id"], staff_id):
                drafts[r["question_id"]] = MarkDraft(
                    question_id=r["question_id"], marks_text=r["marks_text"],
                    credited_points=_points(r["credited_points"]), comment=r["comment"],
                    base_version=r["base_version"], updated_at=parse_instant(r["updated_at"]))
        state = self._marking_row(db, script["id"])
        revealed = self._revealed(db, self._sitting_by_id(db, script["sitting_id"]))
        return ScriptForMarking(
            script_id=script["id"], script_number=script["script_number"], sitting_id=script["sitting_id"],
            sitting_code=script["code"], paper_id=script["paper_id"], paper=paper, scheme=scheme,
            answers=answers, marks=self._marks(db, script["id"]), drafts=drafts,
            claim=self._active_claim(state, now),
            completed_by=state["completed_name"] if state else None,
            completed_at=parse_instant(state["completed_at"]) if state else None,
            overall_feedback=state["overall_feedback"] if state else None,
            next_steps=state["next_steps"] if state else None,
            finish=script["finish"] or "",
            candidate_number=script["candidate_number"] if revealed else None,
            candidate_name=script["name"] if revealed else None,
        )

    def _queue(self, db: Database, sitting: dict[str, Any], now: datetime) -> MarkingQueue:
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
            if r["finish"] is None:
                writing += 1
                continue
            if r["finish"] == "absent":
                absent += 1
                continue
            claim = self._active_claim(r, now)
            given = marks.get(r["id"], {})
            result = row_result(given) if given else nothing
            if r["completed_at"]:
                state = MarkState.COMPLETE
            elif given or claim is not None or r["id"] in drafts:
                state = MarkState.IN_PROGRESS
            else:
                state = MarkState.UNMARKED
            rows.append(QueueRow(
                script_id=r["id"], script_number=r["script_number"], state=state,
                held_by=claim.held_by if claim else None, claim_expires_at=claim.expires_at if claim else None,
                questions_marked=result.questions_marked, questions_total=result.questions_total,
                provisional_total=result.provisional_total, available=result.available,
                result=result.status, markers=markers_of(givers.get(r["id"], ())),
                completed_by=r["completed_name"], completed_at=parse_instant(r["completed_at"]),
                finish=r["finish"],
                candidate_number=r["candidate_number"] if revealed else None,
                candidate_name=r["name"] if revealed else None,
            ))
        return MarkingQueue(
            code=sitting.code, sitting_id=sitting.id, sitting_state=sitting.state,
            paper_id=sitting.paper_id, qualification=stored.qualification, unit=stored.unit,
            paper_version=stored.version, paper_title=stored.title, blind=self._blind(db, sitting.id),
            revealed=revealed, marking_complete=self._marking_complete(db, sitting), rows=rows,
            absent=absent, still_writing=writing,
        )

    def _save(self, script_id: int, question_id: str, marks: object, *, ticks: Iterable[int] | None,
              comment: str | None, by: str, roles: tuple[str, ...], role: str, expected_version: int,
              reason: str | None, hold: bool, keep_comment: bool = False) -> MarkSaved:
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) or expected_version < 0:
            raise MarkingError("expected_version must be the version of the mark you read (0 for no mark yet).")
        why = clean_reason(reason)
        new_comment = clean_comment(comment)
        tick_list = None if ticks is None else list(ticks)
        now = self.clock.now()

        def work(db: Database) -> MarkSaved:
            actor = resolve_actor(db, by, *roles)
            script = self._script(db, script_id)
            self._check_markable(script)
            paper, scheme = self._paper_scheme(db, script["paper_id"])
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
            state = self._marking_row(db, script_id)
            self._check_not_held_by_other(db, script, state, actor, now)
            same = old is not None and (old.marks_awarded, old.credited_points, old.comment) == (
                mark.marks_awarded, mark.credited_points, mark.comment)
            if same:
                if hold:
                    self._take_claim(db, script, actor, now)
                mark_store.drop_draft(db, script_id, question_id, actor.staff_id)
                return MarkSaved(old, False, self._result(paper, scheme, marks_now, script))
            current_version = old.version if old else 0
            if current_version != expected_version:
                if old is None:
                    raise MarkingError(f"Question {question_id} of script {script['script_number']} has no mark "
                                       f"yet, not version {expected_version}: reload the script.")
                raise StaleMark(
                    f"Question {question_id} of script {script['script_number']}: {old.marked_by} changed this "
                    f"mark at {_clock(old.marked_at)} after you opened it — reload to see it. "
                    "Nothing was saved.", old)
            if state and state["completed_at"] and not why:
                raise ReasonRequired(
                    f"Script {script['script_number']} was marked complete by {state['completed_name']} at "
                    f"{_clock(parse_instant(state['completed_at']))}: give a reason for changing its marks. "
                    "Nothing was saved.")
            if hold:
                self._take_claim(db, script, actor, now)
            elif state and self._active_claim(state, now) is not None:
                # Holding it already (e.g. from marking by script): activity refreshes the claim.
                mark_store.extend_claim(db, script_id, now_text(now + CLAIM_TIMEOUT))
            new = self._write_mark(db, script, question_id, mark.marks_awarded, mark.credited_points, mark.comment,
                                   actor, old, role=role, reason=why, now=now)
            marks_now[question_id] = new
            return MarkSaved(new, True, self._result(paper, scheme, marks_now, script))

        return run_write(self.db, work, "saving a mark")

    @staticmethod
    def _result(paper: QuestionPaper, scheme: MarkScheme, marks: dict[str, StoredMark],
                script: dict[str, Any]) -> ScriptResult:
        try:
            return script_result(paper, scheme, {q: m.question_mark() for q, m in marks.items()})
        except (MarkRefused, SchemeMismatch) as error:
            raise MarkingError(f"Script {script['script_number']}: {error}") from None

    def _write_mark(self, db: Database, script: dict[str, Any], question_id: str, marks: int,
                    ticks: Iterable[int], comment: str | None, actor: Actor, old: StoredMark | None, *,
                    role: str, reason: str | None, now: datetime, audit_actor: Actor | None = None,
                    source: str | None = None, paper_marker: str | None = None) -> StoredMark:
        version = (old.version if old else 0) + 1
        points = json.dumps(sorted(ticks))
        mark_store.put_mark(db, script["id"], question_id, marks=marks, points_json=points, comment=comment,
                            staff_id=actor.staff_id, at=now_text(now), role=role, version=version, reason=reason,
                            paper_marker=paper_marker,
                            had_paper_marker=old is not None and old.paper_marker is not None)
        mark_store.drop_draft(db, script["id"], question_id, actor.staff_id)
        new = StoredMark(script_id=script["id"], question_id=question_id, marks_awarded=marks,
                         credited_points=tuple(sorted(ticks)), comment=comment, marked_by=actor.label,
                         marked_by_id=actor.staff_id, marked_at=now, role=role, version=version,
                         paper_marker=paper_marker)
        if role == "iqa":
            action = "mark adjusted by IQA"
        elif role == "import":
            action = "mark imported"
        else:
            action = "mark given" if old is None else "mark changed"
        details: dict[str, Any] = {"script_number": script["script_number"], "question": question_id,
                                   "old": _mark_value(old), "new": _mark_value(new), "reason": reason,
                                   "role": role}
        if source:
            details["from file"] = source
        if paper_marker:
            details["paper marker"] = paper_marker
        record(db, at=now, actor=audit_actor or actor, action=action, sitting_id=script["sitting_id"],
               script_id=script["id"], candidate_number=script["candidate_number"], details=details)
        return new


def suggested(entry: QuestionMarkScheme, ticks: Iterable[int]) -> int:
    """The mark the ticks suggest (the domain rule, re-exported for the screen)."""
    return suggested_mark(entry, ticks)


def _paper_marker(raw: str | None) -> tuple[str | None, str | None]:
    """The CSV's ``marker`` cell as kept data: (name or None, problem or None)."""
    name = " ".join((raw or "").split())
    if not name:
        return None, None
    if len(name) > 100:
        return None, "is longer than 100 characters; shorten the name"
    if has_hidden(name, allow=""):
        return None, "contains control characters; type the name as plain text"
    return name, None


def _header_key(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())
    return _CSV_ALIASES.get(key, key)


def _read_marks_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """Read the file: its rows, and the rows whose shape is wrong (reported with the rest).

    A file that cannot be read, or whose header is wrong, is refused at once.
    """
    text = read_csv_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)  # strict: an unclosed quote is an error, not the rest of the file in one value
    try:
        header = next(reader)
    except StopIteration:
        raise CsvImportError(path, [RowProblem(line=1, field=None, message="the file is empty; the first line "
                                               f"must be the header: {','.join(CSV_COLUMNS[:4])}")]) from None
    keys = [_header_key(h) for h in header]
    if len(header) == 1 and ";" in header[0]:
        raise CsvImportError(path, [RowProblem(line=1, field=None, message="the file uses ';' between columns: "
                                               "save it as 'CSV UTF-8 (comma delimited)' and import it again")])
    unknown = [h for h, k in zip(header, keys) if k not in CSV_COLUMNS]
    missing = [c for c in CSV_REQUIRED if c not in keys]
    duplicated = sorted({k for k in keys if keys.count(k) > 1 and k in CSV_COLUMNS})
    if unknown or missing or duplicated:
        hints = []
        if missing:
            hints.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            hints.append(f"unknown column(s) {', '.join(repr(u) for u in unknown)}")
        if duplicated:
            hints.append(f"column(s) given twice: {', '.join(duplicated)}")
        raise CsvImportError(path, [RowProblem(line=1, field=None, message="header has " + "; ".join(hints)
                                               + f". Expected columns: {','.join(CSV_COLUMNS)} "
                                               "(comment and marker are optional)")])
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[RowProblem] = []
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(RowProblem(line=line, field=None, message=f"is not valid CSV ({error})"))
            break
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(keys):
            problems.append(RowProblem(line=line, field=None, message=(
                f"has {len(fields)} values but the header has {len(keys)} columns "
                "(a comma inside a comment needs the comment in double quotes)")))
            continue
        values = {k: v.strip() for k, v in zip(keys, fields)}
        values.setdefault("comment", "")
        values.setdefault("marker", "")
        formula = next((k for k in ("comment", "marker") if looks_like_formula(values[k])), None)
        if formula is not None:
            problems.append(RowProblem(line=line, field=formula, message=(
                f"starts with {values[formula].lstrip()[0]!r}, which a spreadsheet would run as a formula "
                "(remove that first character)")))
            continue
        rows.append((line, values))
    if not rows and not problems:
        raise CsvImportError(path, [RowProblem(line=2, field=None, message="the file has a header but no marks")])
    return rows, problems
