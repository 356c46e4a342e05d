"""What the parts of marking share: errors, what they return, the text rules, the common reads."""

from __future__ import annotations

from marker_tui.domain.local_time import DAY, HOUR_MINUTE, local_time

from collections.abc import Callable
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.marking import MarkRefused, QuestionMark, SchemeMismatch, ScriptResult, script_result
from marker_tui.domain.markscheme import MarkScheme, QuestionMarkScheme
from marker_tui.domain.paper import Question, QuestionPaper
from marker_tui.domain.visible_text import has_controls, typed_line
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.papers import StoredPaper, get_paper
from marker_tui.services.staff import find_staff
from marker_tui.storage import iqa as iqa_store, marks as mark_store, reviews as review_store
from marker_tui.storage.sittings import Sitting, no_such_sitting, sitting_by_code, sitting_by_id
from marker_tui.storage.papers import latest_scheme, latest_scheme_id
from marker_tui.storage.database import Database, now_text, read_transaction
from marker_tui.domain.roles import Permission
from marker_tui.services.unit_of_work import UnitOfWork

CLAIM_MINUTES = 15
CLAIM_TIMEOUT = timedelta(minutes=CLAIM_MINUTES)
MAX_COMMENT_CHARS = 2000
MAX_REASON_CHARS = 500
#: Finishes whose scripts are marked; "absent" scripts have nothing to mark.
MARKABLE_FINISHES = ("submitted", "time up", "ended")



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
    #: Why a written answer earned 0 (``domain/not_attempted.ZERO_REASONS``), where the marker gave one.
    reason_code: str | None = None

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
    return local_time(instant, HOUR_MINUTE) if instant else "-"


def _clean_code(code: str) -> str:
    return (code or "").strip().upper()


def _no_controls(text: str, what: str, *, newlines: bool = True) -> str:
    allowed = "\n\t" if newlines else ""
    if has_controls(text, allow=allowed):
        raise MarkingError(f"{what} cannot contain control characters; type plain text.")
    return text


def clean_comment(text: str | None) -> str | None:
    # Not typed_line: a comment to the learner keeps its line breaks (typed_line makes one line).
    if text is None:
        return None
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    if len(text) > MAX_COMMENT_CHARS:
        raise MarkingError(f"A comment can be at most {MAX_COMMENT_CHARS} characters (this one has {len(text)}).")
    return _no_controls(text, "A comment")


def clean_reason(text: str | None) -> str | None:
    return typed_line(text, what="A reason", limit=MAX_REASON_CHARS, refuse=MarkingError)


def _points(text: str | None) -> tuple[int, ...]:
    return tuple(json.loads(text or "[]"))


def _mark_value(mark: StoredMark | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {"marks": mark.marks_awarded, "credited_points": [p + 1 for p in mark.credited_points],
            "comment": mark.comment, "by": mark.marked_by, "at": now_text(mark.marked_at),
            "version": mark.version, **({"reason for 0": mark.reason_code} if mark.reason_code else {})}


def _stored(row: mark_store.ScriptMark | mark_store.MarkVersionRecord) -> StoredMark:
    return StoredMark(
        script_id=row.script_id, question_id=row.question_id, marks_awarded=row.marks_awarded,
        credited_points=row.credited_points, comment=row.comment,
        marked_by=row.marker_name, marked_by_id=row.marked_by, marked_at=row.marked_at,
        role=row.role, version=row.version, paper_marker=row.paper_marker, reason_code=row.reason_code,
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



class NothingWritten(Exception):
    """Leaves a write block that found nothing to change (rolled back, nothing audited);
    ``result`` is what the call returns then."""

    def __init__(self, result: Any = None) -> None:
        super().__init__("nothing to write")
        self.result = result


class MarkingBase:
    """What every part of marking shares: the database, the clock, papers and schemes read once,
    and the small reads and checks each part makes."""

    def __init__(self, db: Database, clock: Clock | None = None, *, sweep: Callable[[str], None]) -> None:
        """``sweep(code)``: the sitting service's expiry sweep, as Centre wires it (marking never
        builds the sitting service itself)."""
        self.db = db
        self.clock = clock or SystemClock()
        self._papers: dict[int, StoredPaper] = {}
        self._schemes: dict[int, MarkScheme] = {}
        self._sweeper = sweep
        self.uow = UnitOfWork(db, self.clock)

    # == internals ===================================================================================

    def _write(self, work: Callable[[Any], Any], *, by: str, needs: Permission, what: str,
               housekeeping: str | None = None) -> Any:
        """``work(tx)`` in one audited write block; a block that found nothing to change leaves with
        :class:`NothingWritten`, is rolled back and audits nothing. ``housekeeping`` as for
        ``UnitOfWork.write`` (a claim kept alive, a draft kept)."""
        try:
            with self.uow.write(by=by, needs=needs, what=what, housekeeping=housekeeping) as tx:
                return work(tx)
        except NothingWritten as nothing:
            return nothing.result

    def _sweep(self, code: str) -> None:
        # A script whose time ran out counts as submitted even if nobody has looked since.
        with read_transaction(self.db):
            row = sitting_by_code(self.db, code)
        if row is None or row.state in ("ended", "scheduled"):
            return  # unknown (the caller says so, in marking words) or nothing can have run out
        try:
            self._sweeper(code)
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
    def _sitting(db: Database, code: str) -> Sitting:
        row = sitting_by_code(db, code)
        if row is None:
            raise MarkingError(no_such_sitting(code))
        return row

    @staticmethod
    def _sitting_by_id(db: Database, sitting_id: int) -> Sitting:
        return sitting_by_id(db, sitting_id)

    @staticmethod
    def _script(db: Database, script_id: int) -> mark_store.MarkingScript:
        row = mark_store.script_for_marking(db, script_id)
        if row is None:
            raise MarkingError(f"There is no script with id {script_id}.")
        return row

    @staticmethod
    def _settled_for_markers(db: Database, script: mark_store.MarkingScript) -> str | None:
        """Why a marker may not change this script's marks any more (None if they may), in a few words.

        Once IQA has confirmed a script's marks (upheld or adjusted), or while a review of marking is
        open on it, its marks are settled elsewhere: a marker changing them afterwards left the IQA
        record, the review and the results saying different things. (A completed script may still be
        changed by a marker, with a reason: the marking issue's rule.)
        """
        review = review_store.latest_review_of(db, script.id)
        if review is not None and review.completed_at is None:
            return (f"it is under a review of marking (opened {local_time(review.opened_at, DAY)} by {review.opened_by}); "
                    "its marks are decided in the review")
        if review is not None:
            return (f"its review of marking finished on {local_time(review.completed_at, DAY)} ({review.outcome}); its "
                    "marks can change now only through a new review")
        settled = iqa_store.settling_decision(db, script.id)
        if settled is not None:
            return (f"{settled.reviewer} confirmed its marks in the IQA review ({settled.decision}, "
                    f"{local_time(settled.confirmed_at, DAY)}); they can change now only through a review of marking")
        return None

    @staticmethod
    def _check_markable(script: mark_store.MarkingScript) -> None:
        if script.finish is None:
            raise MarkingError(f"Script {script.script_number} has not been submitted yet "
                               "(the candidate may still be writing); it cannot be marked.")
        if script.finish == "absent":
            raise MarkingError(f"Script {script.script_number} is recorded as absent: there is nothing to mark.")

    @staticmethod
    def _blind(db: Database, sitting_id: int) -> bool:
        return mark_store.blind_marking(db, sitting_id)

    @staticmethod
    def _marking_complete(db: Database, sitting: Sitting) -> bool:
        """The sitting has ended and every submitted script is complete."""
        if sitting.state != "ended":
            return False
        total, unfinished = mark_store.submitted_and_unfinished(db, sitting.id)
        return bool(total) and not unfinished

    def _revealed(self, db: Database, sitting: Sitting) -> bool:
        return not self._blind(db, sitting.id) or self._marking_complete(db, sitting)

    @staticmethod
    def _marking_row(db: Database, script_id: int) -> mark_store.MarkingState | None:
        return mark_store.marking_state(db, script_id)

    @staticmethod
    def _ensure_marking_row(db: Database, script_id: int) -> None:
        mark_store.ensure_marking_state(db, script_id)

    @staticmethod
    def _active_claim(state: mark_store.MarkingState | mark_store.MarkableRef | mark_store.QueueScript | None,
                      now: datetime) -> Claim | None:
        if not state or state.claimed_by is None:
            return None
        expires = state.claim_expires_at
        if expires <= now:
            return None
        return Claim(held_by=state.claimed_name, staff_id=state.claimed_by,
                     claimed_at=state.claimed_at, expires_at=expires)

    @staticmethod
    def _check_cleared(db: Database, sitting_id: int, actor: Actor) -> None:
        """A marker still to qualify on the paper, or suspended from it, claims no live script."""
        from marker_tui.services.standardisation import clearance_refusal

        refusal = clearance_refusal(db, sitting_id, actor.staff_id)
        if refusal:
            raise MarkingError(refusal)

    def _check_not_held_by_other(self, db: Database, script: mark_store.MarkingScript,
                                 state: mark_store.MarkingState | None,
                                 actor: Actor, now: datetime) -> None:
        claim = self._active_claim(state, now)
        if claim is not None and claim.staff_id != actor.staff_id:
            raise ClaimRefused(
                f"Script {script.script_number} is being marked by {claim.held_by} (since "
                f"{_clock(claim.claimed_at)}; their claim lapses at {_clock(claim.expires_at)} if they stop). "
                "Nothing was changed; choose another script.", claim.held_by)

    def _marks(self, db: Database, script_id: int) -> dict[str, StoredMark]:
        return {q: _stored(r) for q, r in mark_store.marks_of_script(db, script_id).items()}

    def _bank(self, db: Database, paper_id: int, question_id: str) -> list[BankComment]:
        return [BankComment(id=b.id, question_id=b.question_id, text=b.text, added_by=b.added_by,
                            added_at=b.added_at)
                for b in mark_store.bank_comments(db, paper_id, question_id)]

    def _load(self, db: Database, script: mark_store.MarkingScript, staff_id: int | None,
              now: datetime) -> ScriptForMarking:
        paper, scheme = self._paper_scheme(db, script.paper_id)
        answers = mark_store.script_answers(db, script.id)
        drafts: dict[str, MarkDraft] = {}
        if staff_id is not None:
            for d in mark_store.drafts_of(db, script.id, staff_id):
                drafts[d.question_id] = MarkDraft(
                    question_id=d.question_id, marks_text=d.marks_text, credited_points=d.credited_points,
                    comment=d.comment, base_version=d.base_version, updated_at=d.updated_at)
        state = self._marking_row(db, script.id)
        revealed = self._revealed(db, self._sitting_by_id(db, script.sitting_id))
        return ScriptForMarking(
            script_id=script.id, script_number=script.script_number, sitting_id=script.sitting_id,
            sitting_code=script.code, paper_id=script.paper_id, paper=paper, scheme=scheme,
            answers=answers, marks=self._marks(db, script.id), drafts=drafts,
            claim=self._active_claim(state, now),
            completed_by=state.completed_name if state else None,
            completed_at=state.completed_at if state else None,
            overall_feedback=state.overall_feedback if state else None,
            next_steps=state.next_steps if state else None,
            finish=script.finish or "",
            candidate_number=script.candidate_number if revealed else None,
            candidate_name=script.name if revealed else None,
        )


    @staticmethod
    def _result(paper: QuestionPaper, scheme: MarkScheme, marks: dict[str, StoredMark],
                script: mark_store.MarkingScript) -> ScriptResult:
        try:
            return script_result(paper, scheme, {q: m.question_mark() for q, m in marks.items()})
        except (MarkRefused, SchemeMismatch) as error:
            raise MarkingError(f"Script {script.script_number}: {error}") from None

