"""Standardisation before live marking, and control scripts during it (issue 18.1, 18.2).

The lead assessor (:data:`Permission.LEAD_MARKING`: IQA or admin) chooses scripts of any sitting
of a paper (qualification + unit; an earlier sitting is the usual case) as *practice*,
*qualification* or *control* scripts and records their definitive marks per question with a
rationale. A marker marks the qualification scripts, blind to those marks, before claiming live
scripts of the paper (:func:`clearance_refusal` is what the marking service asks on every claim).
During live marking, control scripts come into a marker's queue now and then
(:mod:`marker_tui.services.control_desk`); a run of them out of tolerance suspends the marker from
live marking of the paper until the lead assessor reinstates them.

Nothing here is a learner's mark: standardisation and control marks live in their own tables
(``storage/standardisation.py``) and no result or export reads them; the one report that does is
:meth:`StandardisationService.control_record`, for the marker-quality (monitoring) screen.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.standardisation import (
    ControlScriptGiven,
    DefinitiveMarksRecorded,
    MarkerApprovedByLeadAssessor,
    MarkerQualified,
    MarkerReinstated,
    StandardisationScriptChosen,
    StandardisationScriptMarked,
)
from marker_tui.domain.markscheme import ControlScripts, MarkScheme, Tolerance
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.roles import Permission
from marker_tui.domain.standardisation import (
    Chooser,
    Comparison,
    Kind,
    Qualification,
    Standing,
    ToleranceError,
    check,
    control_due,
    control_settings_of,
    failures_in_a_row,
    qualification,
    seeded_chooser,
    tolerance_of,
)
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.papers import get_paper
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage import standardisation as store
from marker_tui.storage.database import Database
from marker_tui.storage.papers import latest_scheme
from marker_tui.storage.sittings import sitting_by_code

MAX_RATIONALE_CHARS = 1000


class StandardisationError(ServiceError):
    """A standardisation request refused; nothing was changed."""


def paper_label(qualification_code: str, unit: str) -> str:
    return f"{qualification_code}/{unit}"


def parse_paper(paper: str) -> tuple[str, str]:
    """ "3818-13/305" → ("3818-13", "305")."""
    q, sep, u = (paper or "").strip().partition("/")
    if not sep or not q.strip() or not u.strip():
        raise StandardisationError(f"{paper!r} is not a paper: write qualification/unit, e.g. 3818-13/305.")
    return q.strip(), u.strip()


# --- what the service returns -----------------------------------------------------------------


@dataclass(frozen=True)
class StandardisationScript:
    id: int
    paper: str
    kind: Kind
    position: int
    script_id: int
    script_number: str
    sitting_code: str
    paper_id: int
    definitive: dict[str, tuple[int, str]]
    """Question → (marks, rationale); complete once every question of the paper has one."""
    questions: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return bool(self.questions) and all(q in self.definitive for q in self.questions)

    @property
    def label(self) -> str:
        return f"{self.kind.value.capitalize()} {self.position}"

    @property
    def definitive_total(self) -> int:
        return sum(m for m, _ in self.definitive.values())


@dataclass(frozen=True)
class MarkerStanding:
    marker: str
    staff_id: int
    qualification: Qualification
    decision: str | None
    """The lead assessor's latest decision and reason, in words (None if none)."""
    control_failures_in_a_row: int


@dataclass(frozen=True)
class PaperStandardisation:
    """The lead assessor's view of one paper."""

    paper: str
    tolerance: Tolerance
    control: ControlScripts
    scripts: list[StandardisationScript]
    markers: list[MarkerStanding]

    @property
    def alerts(self) -> list[str]:
        """What needs the lead assessor now: suspended markers."""
        return [f"{m.marker} is suspended from live marking of {self.paper} ({m.decision}): r reinstates, "
                "with a reason." for m in self.markers if m.qualification.standing is Standing.SUSPENDED]


@dataclass(frozen=True)
class ItemToMark:
    """A practice or qualification script as the marker sees it in their list (no definitive marks)."""

    std_id: int
    kind: Kind
    label: str
    marked: int
    """How many times this marker has marked it."""
    last_within: bool | None


@dataclass(frozen=True)
class ScriptToMark:
    std_id: int
    kind: Kind
    label: str
    paper: QuestionPaper
    scheme: MarkScheme
    answers: dict[str, str]


@dataclass(frozen=True)
class Submitted:
    kind: Kind
    comparison: Comparison
    standing: Qualification
    show_definitive: bool
    """Practice scripts always; qualification scripts when out of tolerance (to learn from)."""


@dataclass(frozen=True)
class ControlEntry:
    sitting: str
    script_number: str
    marked_at: datetime
    given_total: int
    definitive_total: int
    within: bool
    summary: str


@dataclass(frozen=True)
class ControlRecord:
    """One marker's control scripts on one paper, for the marker-quality report.

    ``entries`` oldest first; ``given`` counts every control script put in their queues (marked or
    not); ``failures_in_a_row`` counts since the lead assessor's last decision (approval or
    reinstatement); ``suspended`` is their standing now.
    """

    paper: str
    marker: str
    given: int
    entries: list[ControlEntry] = field(default_factory=list)
    failures_in_a_row: int = 0
    suspended: bool = False

    @property
    def marked(self) -> int:
        return len(self.entries)

    @property
    def within(self) -> int:
        return sum(1 for e in self.entries if e.within)

    @property
    def out_of_tolerance(self) -> int:
        return self.marked - self.within


# --- the gate every live claim passes --------------------------------------------------------------


def standing_of(db: Database, qualification_code: str, unit: str, staff_id: int) -> Qualification:
    """Where a marker stands on a paper (inside the caller's transaction)."""
    decision = store.latest_decision(db, qualification_code, unit, staff_id)
    # Asked on every live claim and save: counts from one query, no paper parsed.
    scripts = [r.id for r in store.std_scripts(db, qualification_code, unit, Kind.QUALIFICATION.value)
               if r.question_count and r.definitive_count >= r.question_count]
    ids = set(scripts)
    tried = [(a.std_script_id, a.within) for a in store.attempts(
        db, qualification_code, unit, staff_id=staff_id, kind=Kind.QUALIFICATION.value) if a.std_script_id in ids]
    kind = decision.decision if decision else None
    return qualification(paper_label(qualification_code, unit), scripts, tried,
                         approved=kind in ("approved", "reinstated"), suspended=kind == "suspended")


def clearance_refusal(db: Database, sitting_id: int, staff_id: int | None) -> str | None:
    """Why this marker may not claim live scripts of the sitting's paper (None: they may)."""
    if staff_id is None:
        return None
    qualification_code, unit = store.sitting_paper(db, sitting_id)
    standing = standing_of(db, qualification_code, unit, staff_id)
    if standing.cleared:
        return None
    return standing.message + " Nothing was changed."


def _scripts(db: Database, qualification_code: str, unit: str, kind: Kind | None = None
             ) -> list[StandardisationScript]:
    return [_script(db, r) for r in store.std_scripts(db, qualification_code, unit, kind.value if kind else None)]


def _script(db: Database, row: store.StdScript) -> StandardisationScript:
    paper = get_paper(db, row.paper_id).paper
    return StandardisationScript(
        id=row.id, paper=paper_label(row.qualification, row.unit), kind=Kind(row.kind),
        position=row.position, script_id=row.script_id, script_number=row.script_number,
        sitting_code=row.sitting_code, paper_id=row.paper_id, definitive=store.definitive(db, row.id),
        questions=tuple(q.id for q in paper.questions))


def _scheme(db: Database, paper_id: int) -> MarkScheme:
    found = latest_scheme(db, paper_id)
    if found is None:
        raise StandardisationError("No mark scheme is loaded for this paper: load it first (marker-tui check).")
    return found.scheme


def _paper_scheme(db: Database, qualification_code: str, unit: str) -> MarkScheme | None:
    paper_id = store.latest_paper_id(db, qualification_code, unit)
    found = latest_scheme(db, paper_id) if paper_id is not None else None
    return found.scheme if found else None


def _clean_reason(reason: str | None, what: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise StandardisationError(f"{what} needs a reason (it is kept in the audit log). Nothing was changed.")
    if len(text) > MAX_RATIONALE_CHARS:
        raise StandardisationError(f"A reason can be at most {MAX_RATIONALE_CHARS} characters.")
    return text


class StandardisationService:
    def __init__(self, db: Database, clock: Clock | None = None, *, chooser: Chooser | None = None,
                 numbers: random.Random | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)
        #: Where in each block of live scripts a control comes (None: seeded by sitting and marker).
        self.chooser = chooser
        self._numbers = numbers or random.SystemRandom()

    # == the lead assessor ==========================================================================

    def controls_in(self, code: str, *, by: str) -> list[store.Control]:
        """The control scripts given to markers in sitting ``code`` (``marks status`` for the lead assessor)."""
        with self.uow.read(by=by, needs=Permission.LEAD_MARKING) as rx:
            sitting = rx.sittings.sitting_by_code(code)
            if sitting is None:
                raise StandardisationError(f"There is no sitting {code!r}.")
            return rx.standardisation.controls_in_sitting(sitting.id)

    def choose(self, code: str, script_number: str, kind: Kind | str, *, by: str) -> StandardisationScript:
        """Make script ``script_number`` of sitting ``code`` a practice, qualification or control script."""
        try:
            kind = Kind(str(kind).strip().lower())
        except ValueError:
            raise StandardisationError(f"{kind!r} is not a kind of standardisation script: practice, "
                                       "qualification or control.") from None
        with self.uow.write(by=by, needs=Permission.LEAD_MARKING, what="choosing a standardisation script") as tx:
            sitting = tx.sittings.sitting_by_code(code)
            if sitting is None:
                raise StandardisationError(f"There is no sitting {code!r}.")
            sitting_id = sitting.id
            script_id = tx.standardisation.script_id_by_number(sitting_id, str(script_number).strip())
            if script_id is None:
                raise StandardisationError(f"Sitting {code} has no script {script_number}.")
            row = tx.standardisation.script_with_paper(script_id)
            if row.finish in (None, "absent"):
                raise StandardisationError(f"Script {script_number} has no submitted answers to mark.")
            existing = tx.standardisation.std_script_for(script_id)
            if existing is not None:
                raise StandardisationError(f"Script {script_number} of {code} is already {existing.kind} "
                                           f"script {existing.position}.")
            std_id = tx.standardisation.insert_std_script(row.qualification, row.unit, script_id, kind.value,
                                                         staff_id=tx.actor.staff_id, at=tx.now)
            tx.record(StandardisationScriptChosen(
                paper=paper_label(row.qualification, row.unit), kind=kind.value,
                script_number=row.script_number, from_sitting=row.sitting_code))
            return _script(tx.db, tx.standardisation.std_script(std_id))

    def set_definitive(self, std_id: int, marks: Mapping[str, tuple[int, str]], *, by: str) -> StandardisationScript:
        """Record definitive marks with a rationale for some or all questions (0..max of each)."""
        with self.uow.write(by=by, needs=Permission.LEAD_MARKING, what="recording definitive marks") as tx:
            row = tx.standardisation.std_script(std_id)
            if row is None:
                raise StandardisationError(f"There is no standardisation script {std_id}.")
            scheme = _scheme(tx.db, row.paper_id)
            for question_id, (value, rationale) in marks.items():
                entry = scheme.question(str(question_id))
                if entry is None:
                    raise StandardisationError(f"Question {question_id} is not on this paper (questions: "
                                               f"{', '.join(q.id for q in scheme.questions)}).")
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= entry.max_marks:
                    raise StandardisationError(f"Question {question_id}: a definitive mark is a whole number from 0 "
                                               f"to {entry.max_marks}, not {value!r}.")
                why = " ".join(str(rationale or "").split())
                if not why:
                    raise StandardisationError(f"Question {question_id}: give the rationale for the definitive mark "
                                               "(markers who disagree are shown it).")
                if len(why) > MAX_RATIONALE_CHARS:
                    raise StandardisationError(f"Question {question_id}: a rationale can be at most "
                                               f"{MAX_RATIONALE_CHARS} characters.")
                tx.standardisation.set_definitive(std_id, str(question_id), value, why, staff_id=tx.actor.staff_id,
                                                  at=tx.now)
            found = _script(tx.db, tx.standardisation.std_script(std_id))
            tx.record(DefinitiveMarksRecorded(
                paper=found.paper, kind=found.kind.value, script_number=found.script_number,
                marks={q: m for q, (m, _) in found.definitive.items()}, total=found.definitive_total))
            return found

    def approve(self, paper: str, marker: str, reason: str, *, by: str) -> MarkerStanding:
        """The lead assessor clears a marker to mark live scripts of the paper (a reason is required)."""
        return self._decide(paper, marker, reason, "approved", by=by)

    def reinstate(self, paper: str, marker: str, reason: str, *, by: str) -> MarkerStanding:
        """The lead assessor lifts a suspension (a reason is required)."""
        return self._decide(paper, marker, reason, "reinstated", by=by)

    def _decide(self, paper: str, marker: str, reason: str, decision: str, *, by: str) -> MarkerStanding:
        qualification_code, unit = parse_paper(paper)
        why = _clean_reason(reason, "Approving a marker" if decision == "approved" else "Reinstating a marker")
        with self.uow.write(by=by, needs=Permission.LEAD_MARKING, what="recording the decision") as tx:
            staff_id = self._staff_id(tx.db, marker)
            before = standing_of(tx.db, qualification_code, unit, staff_id)
            if decision == "reinstated" and before.standing is not Standing.SUSPENDED:
                raise StandardisationError(f"{marker} is not suspended from {paper} ({before.standing.value}).")
            tx.standardisation.insert_decision(qualification_code, unit, staff_id, decision, why,
                                               decided_by=tx.actor.staff_id, at=tx.now)
            label = paper_label(qualification_code, unit)
            name = self._name(tx.db, staff_id)
            tx.record(MarkerApprovedByLeadAssessor(paper=label, marker=name, reason=why) if decision == "approved"
                      else MarkerReinstated(paper=label, marker=name, reason=why))
            return self._standing(tx.db, qualification_code, unit, staff_id, self._name(tx.db, staff_id))

    def overview(self, paper: str) -> PaperStandardisation:
        qualification_code, unit = parse_paper(paper)
        with self.uow.read() as rx:
            scheme = _paper_scheme(rx.db, qualification_code, unit)
            markers = [self._standing(rx.db, qualification_code, unit, m.id, m.name)
                       for m in store.markers_of_paper(rx.db, qualification_code, unit)]
            return PaperStandardisation(
                paper=paper_label(qualification_code, unit), tolerance=tolerance_of(scheme),
                control=control_settings_of(scheme), scripts=_scripts(rx.db, qualification_code, unit),
                markers=markers)

    def papers(self) -> list[str]:
        """Every paper that has been sat (standardisation scripts come from its sittings)."""
        with self.uow.read() as rx:
            return [paper_label(q, u) for q, u in store.papers_with_scripts(rx.db)]

    def script(self, std_id: int) -> StandardisationScript:
        with self.uow.read() as rx:
            row = store.std_script(rx.db, std_id)
            if row is None:
                raise StandardisationError(f"There is no standardisation script {std_id}.")
            return _script(rx.db, row)

    # == the marker ==================================================================================

    def standing(self, paper: str, marker: str) -> MarkerStanding:
        qualification_code, unit = parse_paper(paper)
        with self.uow.read() as rx:
            staff_id = self._staff_id(rx.db, marker)
            return self._standing(rx.db, qualification_code, unit, staff_id, self._name(rx.db, staff_id))

    def paper_of_sitting(self, code: str) -> str:
        with self.uow.read() as rx:
            sitting = sitting_by_code(rx.db, code)
            if sitting is None:
                raise StandardisationError(f"There is no sitting {code!r}.")
            return paper_label(*store.sitting_paper(rx.db, sitting.id))

    def to_mark(self, paper: str, marker: str) -> list[ItemToMark]:
        """The practice and qualification scripts (with definitive marks) this marker can mark, in order."""
        qualification_code, unit = parse_paper(paper)
        with self.uow.read() as rx:
            staff_id = self._staff_id(rx.db, marker)
            tried = store.attempts(rx.db, qualification_code, unit, staff_id=staff_id)
            out = []
            for kind in (Kind.PRACTICE, Kind.QUALIFICATION):
                for s in _scripts(rx.db, qualification_code, unit, kind):
                    if not s.complete:
                        continue
                    mine = [a for a in tried if a.std_script_id == s.id]
                    out.append(ItemToMark(std_id=s.id, kind=s.kind, label=s.label, marked=len(mine),
                                          last_within=mine[-1].within if mine else None))
            return out

    def open(self, std_id: int, *, by: str) -> ScriptToMark:
        """A practice or qualification script to mark: answers, paper and scheme (never its definitive marks)."""
        with self.uow.read(by=by, needs=Permission.MARK) as rx:
            row = store.std_script(rx.db, std_id)
            if row is None or row.kind == Kind.CONTROL.value:
                raise StandardisationError(f"There is no practice or qualification script {std_id}.")
            found = _script(rx.db, row)
            # Refused when opened, not after every mark has been typed.
            self._check_may_mark(rx.db, std_id, row, found, rx.actor.staff_id)
            return ScriptToMark(std_id=std_id, kind=found.kind, label=found.label,
                                paper=get_paper(rx.db, row.paper_id).paper, scheme=_scheme(rx.db, row.paper_id),
                                answers=store.answers(rx.db, row.script_id))

    @staticmethod
    def _check_may_mark(db: Database, std_id: int, row, found, staff_id: int):
        """The marker may mark this script now: it has definitive marks and, for a qualification
        script, the marker is not cleared yet and it is the next one; their standing so far."""
        if not found.complete:
            raise StandardisationError(f"{found.label} has no definitive marks yet: the lead assessor records them.")
        before = standing_of(db, row.qualification, row.unit, staff_id)
        if found.kind is Kind.QUALIFICATION:
            if before.cleared:
                raise StandardisationError(f"You are already {before.standing.value} to mark {found.paper}: "
                                           "there is no need to mark qualification scripts.")
            if before.next_script != std_id:
                raise StandardisationError(
                    "Qualification scripts are marked once each, in order: " + (
                        "mark the next one (highlighted)." if before.next_script else before.message))
        return before

    def submit(self, std_id: int, marks: Mapping[str, int], *, by: str) -> Submitted:
        """A marker's marks of a practice or qualification script, compared with the definitive marks."""
        with self.uow.write(by=by, needs=Permission.MARK, what="submitting standardisation marks") as tx:
            row = tx.standardisation.std_script(std_id)
            if row is None or row.kind == Kind.CONTROL.value:
                raise StandardisationError(f"There is no practice or qualification script {std_id}.")
            found = _script(tx.db, row)
            q_code, unit = row.qualification, row.unit
            staff_id = tx.actor.staff_id
            before = self._check_may_mark(tx.db, std_id, row, found, staff_id)
            scheme = _scheme(tx.db, row.paper_id)
            given = self._checked_marks(scheme, found.questions, marks)
            try:
                comparison = check(given, found.definitive, tolerance_of(_paper_scheme(tx.db, q_code, unit)))
            except ToleranceError as error:
                raise StandardisationError(str(error)) from None
            tx.standardisation.insert_attempt(
                std_id, staff_id, found.kind.value, given, given_total=comparison.given_total,
                definitive_total=comparison.definitive_total, within=comparison.within, summary=comparison.summary(),
                at=tx.now)
            tx.record(StandardisationScriptMarked(
                paper=found.paper, kind=found.kind.value, script_number=found.script_number, marker=tx.actor.label,
                given_total=comparison.given_total, definitive_total=comparison.definitive_total,
                within_tolerance=comparison.within, summary=comparison.summary()))
            after = standing_of(tx.db, q_code, unit, staff_id)
            if after.standing is Standing.QUALIFIED and before.standing is not Standing.QUALIFIED:
                tx.record(MarkerQualified(paper=found.paper, marker=tx.actor.label,
                                          passes_in_a_row=after.passes_in_a_row))
            return Submitted(kind=found.kind, comparison=comparison, standing=after,
                             show_definitive=found.kind is Kind.PRACTICE or not comparison.within)

    @staticmethod
    def _checked_marks(scheme: MarkScheme, questions: tuple[str, ...], marks: Mapping[str, int]) -> dict[str, int]:
        given: dict[str, int] = {}
        for question_id in questions:
            entry = scheme.question(question_id)
            value = marks.get(question_id)
            if value is None:
                raise StandardisationError(f"Question {question_id} has no mark: mark every question, then submit.")
            if isinstance(value, bool) or not isinstance(value, int) or entry is None \
                    or not 0 <= value <= entry.max_marks:
                top = entry.max_marks if entry else "?"
                raise StandardisationError(f"Question {question_id}: a mark is a whole number from 0 to {top}.")
            given[question_id] = value
        return given

    # == control scripts ===============================================================================

    def give_control(self, code: str, marker: str, *, by: str | Actor, force: bool = False) -> str | None:
        """Put a control script into ``marker``'s queue of sitting ``code`` when one is due (``force``: now).

        Returns the script number it has there, or None (not due, none left, or the marker is not
        cleared). ``by`` is the marker (after completing a live script) or the system (the demo).
        """
        try:
            return self._give_control(code, marker, by=by, force=force)
        except _NothingDue:
            return None

    def _give_control(self, code: str, marker: str, *, by: str | Actor, force: bool) -> str:
        needs = None if isinstance(by, Actor) else Permission.MARK
        with self.uow.write(by=by, needs=needs, what="giving a control script") as tx:
            sitting = tx.sittings.sitting_by_code(code)
            if sitting is None:
                raise StandardisationError(f"There is no sitting {code!r}.")
            sitting_id = sitting.id
            staff_id = self._staff_id(tx.db, marker)
            q_code, unit = tx.standardisation.sitting_paper(sitting_id)
            standing = standing_of(tx.db, q_code, unit, staff_id)
            given = tx.standardisation.controls_of(sitting_id, staff_id)
            settings = control_settings_of(_paper_scheme(tx.db, q_code, unit))
            choose = self.chooser or seeded_chooser(f"{sitting_id}:{staff_id}")
            done = tx.standardisation.live_completed_by(sitting_id, staff_id)
            due = force or control_due(done, len(given), settings, choose)
            open_one = any(c.completed_at is None for c in given)
            used = tx.standardisation.control_std_ids_marked_by(staff_id)
            candidates = [s for s in _scripts(tx.db, q_code, unit, Kind.CONTROL) if s.complete and s.id not in used]
            # Names shown (blind marking off): a script without a candidate would stand out.
            names_shown = not tx.marks.blind_marking(sitting_id)
            if not due or open_one or not candidates or names_shown or \
                    standing.standing in (Standing.SUSPENDED, Standing.TO_QUALIFY):
                raise _NothingDue()
            taken = tx.standardisation.script_numbers_in_use(sitting_id)
            number = next(n for n in (str(self._numbers.randrange(1000, 10000)) for _ in range(100000))
                          if n not in taken)
            chosen = candidates[0]
            tx.standardisation.insert_control(sitting_id, staff_id, chosen.id, number, at=tx.now)
            tx.record(ControlScriptGiven(paper=paper_label(q_code, unit), sitting=code.strip().upper(),
                                         marker=self._name(tx.db, staff_id), script_number=number,
                                         control_of=f"{chosen.label} ({chosen.sitting_code} {chosen.script_number})"))
            return number

    def maybe_give_control(self, code: str, marker: str) -> str | None:
        """:meth:`give_control` when due, never an error (called after a marker completes a live script)."""
        try:
            return self.give_control(code, marker, by=marker)
        except ServiceError:
            return None

    def control_record(self, paper: str, marker: str) -> ControlRecord:
        """The marker's control scripts on ``paper`` (see :class:`ControlRecord`)."""
        qualification_code, unit = parse_paper(paper)
        with self.uow.read() as rx:
            found = control_record_in(rx.db, qualification_code, unit, marker)
        if found is None:
            raise StandardisationError(f"There is no staff member called {marker!r}.")
        return found

    # == internals ===================================================================================

    @staticmethod
    def _staff_id(db: Database, name: str) -> int:
        from marker_tui.services.staff import find_staff

        member = find_staff(db, name)
        if member is None:
            raise StandardisationError(f"There is no staff member called {name!r}.")
        return member.id

    @staticmethod
    def _name(db: Database, staff_id: int) -> str:
        from marker_tui.storage.staff import staff_by_id

        row = staff_by_id(db, staff_id)
        return row.name if row else f"staff {staff_id}"

    def _standing(self, db: Database, qualification_code: str, unit: str, staff_id: int, name: str) -> MarkerStanding:
        decision = store.latest_decision(db, qualification_code, unit, staff_id)
        words = None
        if decision:
            who = f" by {decision.decided_by_name}" if decision.decided_by_name else " automatically"
            words = f"{decision.decision}{who} at {decision.decided_at:%d %b %H:%M}: {decision.reason}"
        return MarkerStanding(marker=name, staff_id=staff_id,
                              qualification=standing_of(db, qualification_code, unit, staff_id), decision=words,
                              control_failures_in_a_row=control_failures(db, qualification_code, unit, staff_id))


class _NothingDue(Exception):
    """No control script is due (the write block is left without writing)."""


def control_failures(db: Database, qualification_code: str, unit: str, staff_id: int) -> int:
    """Control scripts out of tolerance in a row since the lead assessor last approved or reinstated the marker."""
    decision = store.latest_decision(db, qualification_code, unit, staff_id, kinds=("approved", "reinstated"))
    after = decision.after_attempt if decision else 0
    rows = store.attempts(db, qualification_code, unit, staff_id=staff_id, kind=Kind.CONTROL.value, after_id=after)
    return failures_in_a_row([r.within for r in rows])


def control_record_in(db: Database, qualification_code: str, unit: str, marker: str) -> ControlRecord | None:
    """:meth:`StandardisationService.control_record` inside the caller's read (None: no such staff member)."""
    from marker_tui.services.staff import find_staff

    member = find_staff(db, marker)
    if member is None:
        return None
    rows = store.attempts(db, qualification_code, unit, staff_id=member.id, kind=Kind.CONTROL.value)
    entries = [ControlEntry(sitting=r.control_sitting or "", script_number=r.control_number or "",
                            marked_at=r.marked_at, given_total=r.given_total,
                            definitive_total=r.definitive_total, within=r.within, summary=r.summary)
               for r in rows]
    standing = standing_of(db, qualification_code, unit, member.id)
    return ControlRecord(paper=paper_label(qualification_code, unit), marker=member.name,
                         given=store.controls_on_paper(db, qualification_code, unit, member.id), entries=entries,
                         failures_in_a_row=control_failures(db, qualification_code, unit, member.id),
                         suspended=standing.standing is Standing.SUSPENDED)
