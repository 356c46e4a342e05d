"""Exports: what leaves marker-tui for the centre, the learners and the external quality assurer.

This service reads one sitting from the database, fills the report models of
``domain/reports.py`` and hands them to the writers in ``documents``
(which never read the database). The CLI (``marker-tui export ...``) and the
export dialog of the marker, IQA and invigilator screens both call it.

What every export does, in this order
-------------------------------------
1. **Reads one snapshot** of the sitting (one read transaction: marks, scripts,
   feedback, IQA and audit rows all as of the same instant), after the sitting
   engine's sweep (a candidate whose time ran out counts as submitted).
2. **Refuses, writing nothing** (:class:`ExportRefused`), when the sitting does
   not exist, ``by`` is not a staff member, the candidate asked for is not in
   the sitting, the output is not of the right kind, or the data cannot make a
   consistent document; and when ``by`` is only a marker while the sitting is
   still marked blind (exports name every candidate: see ``_check_blind``).
3. **Checks completeness** and raises :class:`ExportIncomplete` (also writing
   nothing) listing what is missing: candidates still writing, scripts not
   marked or partly marked, scripts with every mark but not marked complete, and
   for IQA: no sampling plan drawn, sampled scripts whose review is not
   confirmed, scripts referred back to their marker, plans not signed off (one
   learner's feedback needs only their own script's review confirmed). The IQA
   record checks the IQA part only. ``allow_incomplete=True`` exports anyway;
   the report then carries those problems as ``warnings``. The audit trail has
   no completeness check: it is always exported as it stands.
4. **Builds every model before writing any file**, so a problem in candidate 57
   of 200 refuses the whole batch instead of leaving 56 files.
5. **Writes** each file atomically (``text_cleaning.atomic_output``), calling
   ``progress(done, total)`` as it goes (from the calling thread; the export
   dialog runs this in a worker thread and forwards it with ``call_from_thread``).
6. **Records the export in the audit log** ("results exported", "feedback
   exported", "IQA record exported", "audit trail exported") as the staff member
   ``by``, with the format, where the files went and how many: exports carry
   learners' personal data, so the centre must be able to say who took what,
   when. The row is written *after* the files (a failed export records nothing);
   so the audit CSV never contains its own export row, only earlier ones. If the
   audit row cannot be written the files stay and the report says so.

Figures
-------
Marks are the *current* marks: after any IQA adjustment (``marks.role = 'iqa'``),
exactly what the marking screens show. Totals, outcome totals, percentages,
results and fail reasons are computed by ``domain.marking.script_result`` from
those marks, never stored. "Marker(s)" are the people who gave marks as markers
(on screen or by CSV import), in the order they first marked the script; an IQA
reviewer who adjusted a mark is not listed as a marker (their decision is in
the IQA columns). Blind marking does not apply to what exports show: they are
for the centre and name every candidate. It does apply to who may export: a
staff member who is only a marker cannot export a sitting still marked blind.

IQA (``services/iqa.py``): a script is "sampled" when a current plan of the
sitting (or a unit-wide plan) holds it; its decision is the latest review
round's, once confirmed (a decision awaiting confirmation is not yet a
decision). The learner's feedback carries the reviewer, date and decision of a
confirmed review. The IQA record shows the sitting's plan (with several
reviewers' plans, ``reviewer`` chooses), confirmed reviews only, the agreement
figures of ``AgreementService.agreement`` and the plan's and reviews' action points.

Rows are one per enrolled candidate, in candidate-number order (natural order:
"C2" before "C10"). A script not yet marked shows ``not marked`` marks and the
result "not yet marked"; an absent candidate the result "absent" and empty mark
cells (there is nothing to mark); one still writing "not submitted", with empty cells too. A script
with every mark whose marker has not marked it complete shows its result with
"(provisional: marking not signed off)".

Names and places
----------------
* The centre's name: ``centre_name`` given to the service (``--centre-name``, or
  ``MARKER_TUI_CENTRE_NAME`` read by the interface), else the name stored in the database
  (``marker-tui export centre-name "..." --by ADMIN``; table ``centre_settings``,
  migration m0004), else "Training centre".
* Qualification, unit and outcome titles come from the qualification's
  ``spec.yaml`` in the papers folder; without it, the paper's own title and
  "Outcome N" are used.
* The sitting date is the local date the sitting started (else its scheduled
  start, else the day it was opened, else created).
* Where files go is the interface's choice (CLI option, TUI dialog; their default
  root comes from marker_tui/interfaces/export_location.py): this service never
  reads environment variables or the home folder. :func:`export_folder` gives the
  ``<root>/<CODE>/`` folder under a root it is handed.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.marking import (
    NOT_YET_MARKED,
    MarkRefused,
    SchemeMismatch,
    ScriptResult,
    mark_giver,
    markers_of,
    script_result,
)
from marker_tui.domain.centre_identity import CentreIdentityError, clean_centre_name, clean_centre_number
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.reports import (
    AuditEntry as ReportAuditEntry,
)
from marker_tui.domain.reports import (
    IqaMarkChange,
    IqaRecord,
    IqaSignOff,
    LearnerFeedback,
    OutcomeColumn,
    OutcomeFeedback,
    QuestionColumn,
    QuestionFeedback,
    ResultRow,
    ResultsSheet,
    ScriptDecision,
    criteria_evidence,
)
from marker_tui.domain.sampling import natural_key
from marker_tui.domain.specification import TestSpecification
from marker_tui.services import audit as audit_service
from marker_tui.domain.arrangements import used_text
from marker_tui.domain.events import AuditEvent
from marker_tui.domain.events.centre import CentreNameChanged, CentreNumberChanged
from marker_tui.domain.events.exports import (
    AuditTrailExported,
    FeedbackExported,
    IqaRecordExported,
    ResultsExported,
)
from marker_tui.domain.roles import Permission, may
from marker_tui.services.audit import ServiceError
from marker_tui.services.papers import get_paper, latest_mark_scheme
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage import candidates as candidate_store
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage import marks as mark_store
from marker_tui.storage.sittings import Sitting, sitting_by_code
from marker_tui.storage.database import (
    Database,
    StorageError,
    parse_instant,
    read_transaction,
)
from marker_tui.storage.centre_settings import CENTRE_NAME_KEY, read_setting, write_setting
from marker_tui.storage.centre_settings import CENTRE_NUMBER_KEY, stored_centre_number
from marker_tui.storage.marks import iqa_changes
from marker_tui.storage.scripts import answered_questions, answers_of
from marker_tui.storage import reviews as review_store
from marker_tui.storage.locations import SHIPPED_PAPERS

DEFAULT_CENTRE_NAME = "Training centre"
PROVISIONAL = " (provisional: marking not signed off)"
ABSENT = "absent"
NOT_SUBMITTED = "not submitted"

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as an export goes (0 of total first, total of total last)."""


if TYPE_CHECKING:
    from marker_tui.services.iqa import Iqa

# --- errors and reports -------------------------------------------------------------------------


class ExportRefused(ServiceError):
    """The export cannot be made; nothing was written."""


class ExportIncomplete(ServiceError):
    """Marking or IQA of the sitting is not finished; nothing was written.

    ``problems`` lists what is missing, one line each. Ask again with
    ``allow_incomplete=True`` (``--allow-incomplete``) to export anyway.
    """

    def __init__(self, code: str, what: str, problems: list[str]) -> None:
        self.code = code
        self.what = what
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"Sitting {code} is not finished, so the {what} would be incomplete:\n{lines}\n"
            "Nothing was written. Export anyway with --allow-incomplete (or \"Export anyway\" on screen)."
        )


class ExportKind(StrEnum):
    RESULTS_CSV = "results-csv"
    RESULTS_XLSX = "results-xlsx"
    FEEDBACK = "feedback"
    IQA_DOCX = "iqa-docx"
    IQA_CSV = "iqa-csv"
    AUDIT_CSV = "audit-csv"
    EVERYTHING = "everything"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def suffix(self) -> str:
        return {"results-csv": ".csv", "results-xlsx": ".xlsx", "feedback": "", "iqa-docx": ".docx",
                "iqa-csv": ".csv", "audit-csv": ".csv", "everything": ""}[self.value]


_KIND_LABELS = {
    ExportKind.RESULTS_CSV: "Results and mark sheet (CSV)",
    ExportKind.RESULTS_XLSX: "Results and mark sheet (Excel)",
    ExportKind.FEEDBACK: "Word feedback for every learner",
    ExportKind.IQA_DOCX: "IQA record (Word)",
    ExportKind.IQA_CSV: "IQA record (CSV)",
    ExportKind.AUDIT_CSV: "Audit trail (CSV)",
    ExportKind.EVERYTHING: "Everything for this sitting, in one folder",
}


@dataclass
class ExportReport:
    """What an export wrote, what it left out and what it exported past."""

    kind: ExportKind
    code: str
    paths: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """Candidates left out, with why (feedback: not fully marked, absent...)."""
    warnings: list[str] = field(default_factory=list)
    """The incompleteness exported past with ``allow_incomplete``, and any audit-log failure."""
    rows: int = 0
    """Candidates in the results, documents written, reviews in the IQA record or audit rows."""
    folder: Path | None = None
    """Where "everything" was written."""

    def lines(self) -> list[str]:
        """The report in words, for the CLI and the export dialog."""
        out = []
        if self.kind is ExportKind.EVERYTHING:
            out.append(f"{len(self.paths)} file(s) written to {self.folder}:")
            out += [f"  {p.relative_to(self.folder) if self.folder else p}" for p in self.paths]
        elif self.kind is ExportKind.FEEDBACK:
            folder = self.paths[0].parent if self.paths else None
            out.append(f"{self.rows} feedback document(s) written" + (f" to {folder}" if folder else "") + ":")
            out += [f"  {p.name}" for p in self.paths]
        else:
            out += [f"{self.kind.label} written to {p}" for p in self.paths]
        if self.skipped:
            out.append(f"Left out ({len(self.skipped)}):")
            out += [f"  {s}" for s in self.skipped]
        if self.warnings:
            out.append("Warning: exported although not finished:")
            out += [f"  {w}" for w in self.warnings]
        return out


# --- where things go ------------------------------------------------------------------------------


_UNSAFE_PATH = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


def safe_folder_name(text: str) -> str:
    """A sitting code as a folder name that works on Windows, macOS and Linux."""
    cleaned = _UNSAFE_PATH.sub("-", unicodedata.normalize("NFC", text)).strip(" .-")
    return cleaned[:60] or "sitting"


def export_folder(root: str | os.PathLike[str], code: str) -> Path:
    """``<root>/<CODE>/``: one sitting's folder under the root the interface chose."""
    return Path(root) / safe_folder_name(code.strip().upper())


def default_file_name(kind: ExportKind, code: str) -> str:
    """``<CODE>-results.xlsx`` and the like; feedback goes in a ``feedback`` folder."""
    stem = safe_folder_name(code.strip().upper())
    return {
        ExportKind.RESULTS_CSV: f"{stem}-results.csv",
        ExportKind.RESULTS_XLSX: f"{stem}-results.xlsx",
        ExportKind.FEEDBACK: "feedback",
        ExportKind.IQA_DOCX: f"{stem}-iqa-record.docx",
        ExportKind.IQA_CSV: f"{stem}-iqa-record.csv",
        ExportKind.AUDIT_CSV: f"{stem}-audit.csv",
        ExportKind.EVERYTHING: "",  # the folder itself
    }[kind]


MAX_CENTRE_NAME = 120


def stored_centre_name(db: Database) -> str | None:
    """The centre's name as set with ``marker-tui export centre-name`` (table ``centre_settings``)."""
    return _clean_name(read_setting(db, CENTRE_NAME_KEY)) or None


def _checked_centre_name(name: str) -> str:
    """The one rule for centre names (domain/centre_identity.py), in the service's error type."""
    try:
        return clean_centre_name(name)  # type: ignore[return-value]  # required: never None
    except CentreIdentityError as error:
        raise ServiceError(str(error)) from None


def _checked_centre_number(number: str) -> str:
    """The one rule for centre numbers (domain/centre_identity.py): first-run set-up uses it too."""
    try:
        return clean_centre_number(number)  # type: ignore[return-value]
    except CentreIdentityError as error:
        raise ServiceError(str(error)) from None


# --- the snapshot -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Mark:
    """One current mark as read for an export; also what ``script_result`` reads of a mark.

    ``domain.marking.script_result`` only reads ``question_id``, ``marks_awarded``
    and ``credited_points`` of each mark (and re-checks them against the scheme), so
    this plain object stands in for a ``QuestionMark``: building 18,000 pydantic
    models took longer than the rest of a 1,000-candidate results export. The
    export tests check the results equal ``MarkingService.result`` script by script.
    """

    question_id: str
    marks_awarded: int
    comment: str | None
    by: str
    at_text: str
    role: str
    credited_points: tuple[int, ...] = ()

    @property
    def marks(self) -> int:
        return self.marks_awarded

    @property
    def at(self) -> datetime:
        return parse_instant(self.at_text)


@dataclass
class _Script:
    id: int
    script_number: str
    candidate_number: str
    name: str
    finish: str | None
    marks: dict[str, _Mark]
    result: ScriptResult | None
    """None for a script that was never submitted (absent, or still writing)."""
    markers: list[str]
    """Who marked it (not IQA), in the order they first marked: the feedback's "marked by"."""
    marks_from: list[str]
    """Whose marks stand now, as ``marks status`` names them: the results' Marker(s) column."""
    last_marked_at: datetime | None
    completed_by: str | None
    completed_at: datetime | None
    overall_feedback: str | None
    next_steps: str | None
    arrangements_used: str = ""
    """The access arrangements in force for this script (its copy, taken when enrolled)."""

    @property
    def markable(self) -> bool:
        return self.finish is not None and self.finish != ABSENT

    @property
    def fully_marked(self) -> bool:
        return self.result is not None and self.result.is_complete


@dataclass
class _IqaScript:
    sampled: bool = False
    reasons: list[str] = field(default_factory=list)
    review_state: str = "not started"
    """The latest review round's state: not started, in progress, awaiting confirmation, confirmed."""
    decision: ScriptDecision | None = None
    """The decision of the latest review round, once confirmed."""
    reviewer: str | None = None
    reviewed_on: date | None = None


@dataclass
class _Iqa:
    """What the exports need to know of IQA for one sitting (``services/iqa.py``)."""

    plans: list[Any] = field(default_factory=list)
    """The current plans (``iqa.PlanView``) sampling this sitting: its own, and unit-wide ones."""
    by_script: dict[int, _IqaScript] = field(default_factory=dict)

    @property
    def plan_exists(self) -> bool:
        return bool(self.plans)

    @property
    def signed_off(self) -> bool:
        return bool(self.plans) and all(p.sign_off is not None for p in self.plans)

    def of(self, script_id: int) -> _IqaScript:
        return self.by_script.get(script_id) or _IqaScript()


@dataclass
class _Snapshot:
    sitting: Sitting
    code: str
    paper: QuestionPaper
    paper_id: int
    scheme: MarkScheme
    centre_name: str
    qualification_title: str
    unit_title: str
    outcome_titles: dict[int, str]
    sitting_date: date
    scripts: list[_Script]
    iqa: _Iqa
    actor_name: str
    centre_number: str | None = None
    iqa_changes: dict[tuple[int, str], Any] = field(default_factory=dict)
    """(script id, question id) → ``storage.marks.IqaChange`` where IQA's mark stands."""
    answers: dict[tuple[int, str], str] | None = None
    """The learners' answers, read only for feedback that includes them."""
    criteria_texts: dict[str, str] = field(default_factory=dict)
    answered: set[tuple[int, str]] = field(default_factory=set)
    """(script id, question id) answered with some text; the rest were not attempted."""
    reviews: dict[int, Any] = field(default_factory=dict)
    """Script id → its latest review of marking (``storage/reviews.ReviewRecord``)."""

    def not_attempted(self, script: "_Script") -> list[str]:
        """Questions left blank and given 0 (``domain/not_attempted.py``): shown as not attempted."""
        return [q for q, m in script.marks.items() if (script.id, q) not in self.answered and m.marks == 0]

    def review_text(self, script_id: int) -> str | None:
        found = self.reviews.get(script_id)
        if found is None:
            return None
        return found.outcome or f"under review (due {found.deadline.isoformat()})"


def _local_date(instant: datetime) -> date:
    return instant.astimezone().date()


def _clean_name(text: str | None) -> str:
    return " ".join((text or "").split())


# --- the service ---------------------------------------------------------------------------------


class ExportService:
    """Results, feedback, IQA record and audit exports of one sitting (see the module docstring)."""

    def __init__(self, db: Database, clock: Clock | None = None, *, iqa: "Iqa", sweep: Callable[[str], None],
                 papers_dir: Path = SHIPPED_PAPERS, centre_name: str | None = None) -> None:
        """``iqa`` (the IQA services) and ``sweep(code)`` (the sitting service's expiry sweep) are
        wired by Centre: exports never build a sibling service themselves."""
        self.db = db
        self._iqa_services = iqa
        self._sweep = sweep
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)
        self.papers_dir = Path(papers_dir)
        self._centre_name = centre_name
        self._specs: dict[str, TestSpecification | None] = {}

    def _iqa_wired(self) -> "Iqa":
        """The IQA services Centre handed in."""
        return self._iqa_services

    # == reading ====================================================================================

    @property
    def centre_name(self) -> str:
        """The name on every document: given to the service (``--centre-name`` or the interface's
        ``MARKER_TUI_CENTRE_NAME``), else the name stored in the database, else "Training centre"."""
        with read_transaction(self.db):
            return self._centre_name_now()

    def _centre_name_now(self) -> str:
        return _clean_name(self._centre_name) or stored_centre_name(self.db) or DEFAULT_CENTRE_NAME

    def set_centre_name(self, name: str, *, by: str) -> str:
        """Store the centre's name for every export from this database (admin; audited, old and new)."""
        return self.set_centre_details(name=name, by=by)[0]

    def set_centre_details(self, *, name: str | None = None, number: str | None = None,
                           by: str) -> tuple[str | None, str | None]:
        """Store the centre's name and/or number in one transaction (admin; each change audited).

        Both are checked before anything is written, so a bad number never leaves a new name behind.
        """
        cleaned_name = _checked_centre_name(name) if name is not None else None
        cleaned_number = _checked_centre_number(number) if number is not None else None
        try:
            with self.uow.write(by=by, needs=Permission.ADMINISTER, what="saving the centre's details") as tx:
                old_name, old_number = stored_centre_name(tx.db), stored_centre_number(tx.db)
                if cleaned_name is not None and cleaned_name != old_name:
                    write_setting(tx.db, CENTRE_NAME_KEY, cleaned_name, staff_id=tx.actor.staff_id, at=tx.now)
                    tx.record(CentreNameChanged(old=old_name, new=cleaned_name))
                if cleaned_number is not None and cleaned_number != old_number:
                    write_setting(tx.db, CENTRE_NUMBER_KEY, cleaned_number, staff_id=tx.actor.staff_id, at=tx.now)
                    tx.record(CentreNumberChanged(old=old_number, new=cleaned_number))
                if not tx.recorded:
                    raise _Unchanged
        except _Unchanged:
            pass  # the details as stored already: nothing written, nothing audited
        return cleaned_name, cleaned_number

    @property
    def stored_centre_name(self) -> str | None:
        """The name an admin set (None until then), without the environment or the default."""
        with read_transaction(self.db):
            return stored_centre_name(self.db)

    @property
    def centre_number(self) -> str | None:
        """The centre's awarding-body number on the documents, or None until an admin sets it."""
        with read_transaction(self.db):
            return stored_centre_number(self.db)

    def set_centre_number(self, number: str, *, by: str) -> str:
        """Store the centre's number for every export (admin; audited, old and new)."""
        return self.set_centre_details(number=number, by=by)[1]

    def problems(self, code: str, kind: ExportKind | str, *, candidate: str | None = None) -> list[str]:
        """What is not finished for this export (empty: complete). Refuses an unknown sitting."""
        kind = ExportKind(kind)
        snap = self._snapshot(code, by=None)
        return self._problems(snap, kind, self._select(snap, candidate) if candidate else None)

    def results_sheet(self, code: str) -> ResultsSheet:
        """The results and mark sheet of the sitting as it stands (no completeness check)."""
        return self._results(self._snapshot(code, by=None))

    def learner_feedback(self, code: str, *, candidate: str | None = None,
                         include_answers: bool = True) -> tuple[list[LearnerFeedback], list[str]]:
        """Feedback models for the fully marked scripts, and the candidates left out with why."""
        snap = self._snapshot(code, by=None, with_answers=include_answers)
        scripts = self._select(snap, candidate) if candidate else snap.scripts
        return self._feedback(snap, scripts)

    def iqa_record(self, code: str, *, reviewer: str | None = None) -> IqaRecord:
        """The IQA record of the sitting as it stands (no completeness check)."""
        snap = self._snapshot(code, by=None)
        return self._iqa_record(snap, reviewer)

    def audit_entries(self, code: str) -> list[ReportAuditEntry]:
        """The sitting's audit trail, oldest first, as exported."""
        snap = self._snapshot(code, by=None)
        return self._audit(snap)

    # == exporting ================================================================================

    def export_results(self, code: str, path: str | os.PathLike[str], *, by: str, format: str | None = None,
                       allow_incomplete: bool = False, progress: Progress | None = None) -> ExportReport:
        """The results and mark sheet as CSV or XLSX (``format``, else from the file name)."""
        from marker_tui.documents.results import write_results_csv, write_results_xlsx

        kind = _file_kind(path, format, {"csv": ExportKind.RESULTS_CSV, "xlsx": ExportKind.RESULTS_XLSX},
                          "results")
        step = _stepper(progress, 3)
        snap = self._snapshot(code, by=by)
        warnings = self._check(snap, kind, None, allow_incomplete, "results")
        sheet = self._guard(lambda: self._results(snap), snap.code)
        step()
        target = _prepare_file(path)
        step()
        (write_results_xlsx if kind is ExportKind.RESULTS_XLSX else write_results_csv)(sheet, target)
        step()
        report = ExportReport(kind, snap.code, [target], warnings=warnings, rows=len(sheet.rows))
        self._audit_export(report, ResultsExported(sitting_id=snap.sitting.id, format=kind.suffix.lstrip("."),
                                                   path=str(target), candidates=len(sheet.rows)), snap)
        return report

    def export_feedback(self, code: str, out_dir: str | os.PathLike[str], *, by: str, candidate: str | None = None,
                        allow_incomplete: bool = False, progress: Progress | None = None,
                        include_answers: bool = True) -> ExportReport:
        """One Word document per fully marked learner (or one learner) in ``out_dir`` (created if needed).

        ``include_answers`` (the default, as feedback is for the learner) prints each
        learner's own answer under its question; turn it off for feedback filed or
        shared where the answers should not travel.

        Scripts not fully marked have no feedback: without ``allow_incomplete`` they
        stop the export (:class:`ExportIncomplete`); with it they are left out and
        listed in ``report.skipped``. Absent candidates are always left out (listed).
        """
        from marker_tui.documents.feedback import write_feedback_docx

        snap = self._snapshot(code, by=by, with_answers=include_answers)
        scripts = self._select(snap, candidate) if candidate else snap.scripts
        warnings = self._check(snap, ExportKind.FEEDBACK, scripts if candidate else None, allow_incomplete,
                               "feedback")
        models, skipped = self._guard(lambda: self._feedback(snap, scripts), snap.code)
        if not models:
            why = "; ".join(skipped) if skipped else "no candidates are enrolled"
            raise ExportRefused(f"No feedback can be written for sitting {snap.code}: {why}. Nothing was written.")
        names = unique_feedback_names([(m.candidate_number, m.unit_number) for m in models])
        folder = _prepare_folder(out_dir)
        total = len(models)
        _call(progress, 0, total)
        paths = []
        for done, (model, name) in enumerate(zip(models, names), start=1):
            target = folder / name
            write_feedback_docx(model, target)
            paths.append(target)
            _call(progress, done, total)
        report = ExportReport(ExportKind.FEEDBACK, snap.code, paths, skipped=skipped, warnings=warnings,
                              rows=len(paths))
        self._audit_export(report, FeedbackExported(
            sitting_id=snap.sitting.id, format="docx", folder=str(folder), documents=len(paths),
            answers_included=include_answers, candidate=models[0].candidate_number if candidate else None,
            left_out=list(skipped) or None), snap)
        return report

    def export_iqa(self, code: str, path: str | os.PathLike[str], *, by: str, format: str | None = None,
                   reviewer: str | None = None, allow_incomplete: bool = False,
                   progress: Progress | None = None) -> ExportReport:
        """The IQA record as Word or CSV (``format``, else from the file name).

        The record shows the sitting's current sampling plan (or a unit-wide plan
        sampling it): why each script was chosen, each confirmed review's decision
        and per-question judgements, marker agreement, action points and sign-off.
        If several reviewers have plans for the sitting, ``reviewer`` chooses one.
        """
        from marker_tui.documents.iqa_record import write_iqa_csv, write_iqa_docx

        kind = _file_kind(path, format, {"docx": ExportKind.IQA_DOCX, "csv": ExportKind.IQA_CSV}, "IQA record")
        step = _stepper(progress, 3)
        snap = self._snapshot(code, by=by)
        warnings = self._check(snap, kind, None, allow_incomplete, "IQA record")
        record_model = self._guard(lambda: self._iqa_record(snap, reviewer), snap.code)
        step()
        target = _prepare_file(path)
        step()
        (write_iqa_docx if kind is ExportKind.IQA_DOCX else write_iqa_csv)(record_model, target)
        step()
        report = ExportReport(kind, snap.code, [target], warnings=warnings, rows=len(record_model.reviews))
        self._audit_export(report, IqaRecordExported(
            sitting_id=snap.sitting.id, format=kind.suffix.lstrip("."), path=str(target),
            sampled=len(record_model.sampled), reviews=len(record_model.reviews)), snap)
        return report

    def export_audit(self, code: str, path: str | os.PathLike[str], *, by: str,
                     progress: Progress | None = None) -> ExportReport:
        """The sitting's complete audit trail as CSV, oldest first (never refused as incomplete)."""
        from marker_tui.documents.audit import write_audit_csv

        _file_kind(path, "csv", {"csv": ExportKind.AUDIT_CSV}, "audit trail")
        step = _stepper(progress, 3)
        snap = self._snapshot(code, by=by)
        rows = self._audit(snap)
        step()
        target = _prepare_file(path)
        step()
        write_audit_csv(rows, target)
        step()
        report = ExportReport(ExportKind.AUDIT_CSV, snap.code, [target], rows=len(rows))
        self._audit_export(report, AuditTrailExported(sitting_id=snap.sitting.id, format="csv", path=str(target),
                                                      rows=len(rows)), snap)
        return report

    def export(self, kind: ExportKind | str, code: str, target: str | os.PathLike[str], *, by: str,
               allow_incomplete: bool = False, progress: Progress | None = None,
               candidate: str | None = None, reviewer: str | None = None) -> ExportReport:
        """Any export by kind (what the export dialog calls)."""
        kind = ExportKind(kind)
        if kind in (ExportKind.RESULTS_CSV, ExportKind.RESULTS_XLSX):
            return self.export_results(code, target, by=by, format=kind.suffix.lstrip("."),
                                       allow_incomplete=allow_incomplete, progress=progress)
        if kind is ExportKind.FEEDBACK:
            return self.export_feedback(code, target, by=by, candidate=candidate,
                                        allow_incomplete=allow_incomplete, progress=progress)
        if kind in (ExportKind.IQA_DOCX, ExportKind.IQA_CSV):
            return self.export_iqa(code, target, by=by, format=kind.suffix.lstrip("."), reviewer=reviewer,
                                   allow_incomplete=allow_incomplete, progress=progress)
        if kind is ExportKind.EVERYTHING:
            reports = self.export_everything(code, target, by=by, allow_incomplete=allow_incomplete,
                                             progress=progress, reviewer=reviewer)
            warnings = list(dict.fromkeys(w for r in reports for w in r.warnings))
            paths = [p for r in reports for p in r.paths]
            return ExportReport(kind, reports[0].code, paths,
                                skipped=[s for r in reports for s in r.skipped], warnings=warnings,
                                rows=len(paths), folder=Path(target).expanduser().resolve())
        return self.export_audit(code, target, by=by, progress=progress)

    def export_everything(self, code: str, folder: str | os.PathLike[str], *, by: str,
                          allow_incomplete: bool = False, include_answers: bool = True,
                          progress: Progress | None = None, reviewer: str | None = None) -> list[ExportReport]:
        """Every export of the sitting into one folder: results (CSV and XLSX), feedback per learner,
        the IQA record (Word and CSV) and the audit trail.

        What is unfinished is checked for every kind first: without ``allow_incomplete`` nothing
        is written at all when any is incomplete (one :class:`ExportIncomplete` listing it all),
        so a folder never holds half a set. Each file is audited as its own export. Whose IQA record
        (``reviewer``, when several reviewers have plans) is settled first too, for the same reason.
        """
        kinds = [k for k in ExportKind if k is not ExportKind.EVERYTHING]
        snap = self._snapshot(code, by=by)  # an unknown sitting, or a marker while marking is blind: refused here
        self._guard(lambda: self._record_plan(snap, reviewer), snap.code)  # before any file is written
        if not allow_incomplete:
            missing: list[str] = []
            for kind in kinds:  # one reading of the sitting for every kind's check
                missing += [p for p in self._problems(snap, kind, None) if p not in missing]
            if missing:
                raise ExportIncomplete(code.strip().upper(), "exports", missing)
        base = _prepare_folder(folder)
        reports = []
        for done, kind in enumerate(kinds):
            _call(progress, done, len(kinds))
            target = base / default_file_name(kind, code)
            if kind is ExportKind.FEEDBACK:
                reports.append(self.export_feedback(code, target, by=by, allow_incomplete=allow_incomplete,
                                                    include_answers=include_answers))
            else:
                reports.append(self.export(kind, code, target, by=by, allow_incomplete=allow_incomplete,
                                           reviewer=reviewer))
        _call(progress, len(kinds), len(kinds))
        return reports

    # == internals: reading ==========================================================================

    def _spec(self, qualification: str) -> TestSpecification | None:
        if qualification not in self._specs:
            from marker_tui.storage.assessment_files import AssessmentFileError, load_specification

            path = self.papers_dir / qualification / "spec.yaml"
            spec = None
            if path.is_file():
                try:
                    spec = load_specification(path)
                except (AssessmentFileError, OSError, ValueError):
                    spec = None  # the titles fall back to the paper's; `marker-tui check` reports the file
            self._specs[qualification] = spec
        return self._specs[qualification]

    def _snapshot(self, code: str, *, by: str | None, with_answers: bool = False) -> _Snapshot:
        cleaned = (code or "").strip().upper()
        if not cleaned:
            raise ExportRefused("Say which sitting to export (its code). Nothing was written.")
        try:
            self._sweep(cleaned)  # time-up scripts count as submitted
        except ServiceError:
            pass  # an unknown code is refused below, in export words
        with read_transaction(self.db):
            sitting = sitting_by_code(self.db, cleaned)
            if sitting is None:
                raise ExportRefused(
                    f"There is no sitting with code {cleaned}: nothing was exported or written. "
                    "Check the code (marker-tui sitting status CODE shows one).")
            actor_name = ""
            if by is not None:
                try:
                    actor_name = self.uow.require(by=by, needs=Permission.SIGN_IN).label
                except ServiceError as error:
                    raise ExportRefused(f"{error} Nothing was written.") from None
                self._check_blind(sitting, by)
            stored = get_paper(self.db, sitting.paper_id)
            scheme = latest_mark_scheme(self.db, sitting.paper_id)
            if scheme is None:
                raise ExportRefused(
                    f"No mark scheme is loaded for {stored.qualification} unit {stored.unit} version "
                    f"{stored.version}, so sitting {sitting.code} has no results to export. Nothing was written.")
            scripts = self._scripts(sitting, stored.paper, scheme)
            iqa = self._iqa(sitting, stored.paper, scripts)
            changes = iqa_changes(self.db, sitting.id)
            answers = answers_of(self.db, (s.id for s in scripts)) if with_answers else None
            centre_number = stored_centre_number(self.db)
            answered = answered_questions(self.db, sitting.id)
            reviews = review_store.latest_outcomes(self.db, [s.id for s in scripts])
        paper = stored.paper
        spec = self._spec(paper.qualification)
        unit = spec.unit(paper.unit) if spec else None
        outcomes = sorted({q.outcome for q in paper.questions})
        titles = {}
        for number in outcomes:
            found = unit.outcome(number) if unit else None
            titles[number] = found.title if found else f"Outcome {number}"
        when = next((getattr(sitting, k) for k in ("started_at", "scheduled_start", "opened_at", "created_at")
                     if getattr(sitting, k)), None)
        return _Snapshot(
            sitting=sitting, code=sitting.code, paper=paper, paper_id=stored.id, scheme=scheme,
            centre_name=self._centre_name_now(),
            qualification_title=(spec.qualification.title if spec else None) or f"Qualification {paper.qualification}",
            unit_title=_clean_name(stored.title) or (unit.title if unit else "") or f"Unit {paper.unit}",
            outcome_titles=titles, sitting_date=_local_date(when or self.clock.now()),
            scripts=scripts, iqa=iqa, actor_name=actor_name, centre_number=centre_number,
            iqa_changes=changes, answers=answers, answered=answered, reviews=reviews,
            criteria_texts={c.number: c.text for o in (unit.outcomes if unit else []) for c in o.criteria},
        )

    def _check_blind(self, sitting: Sitting, by: str) -> None:
        """While a sitting is marked blind, a marker (with no other role) cannot export it.

        Every export names the candidates (results, feedback, the IQA record, and the
        audit trail, whose mark rows carry candidate numbers), so a marker-only user
        exporting mid-marking would undo blind marking. Admin, IQA and invigilator
        staff can always export; markers can once marking of the sitting is complete
        (the sitting has ended and every submitted script is marked complete) or an
        admin has turned blind marking off, as on the marking screens.
        """
        from marker_tui.services.staff import find_staff

        member = find_staff(self.db, by)
        if member is None or may(member.roles, Permission.EXPORT_WHILE_BLIND):
            return
        if not mark_store.blind_marking(self.db, sitting.id):
            return
        submitted, unfinished = mark_store.submitted_and_unfinished(self.db, sitting.id)
        complete = sitting.state == "ended" and bool(submitted) and not unfinished
        if not complete:
            raise ExportRefused(
                f"Sitting {sitting.code} is being marked blind and its marking is not finished: exports name "
                f"every candidate, so {member.name} (a marker) cannot export it until marking is complete or an "
                "admin turns blind marking off. Admin, IQA and invigilator staff can export it now. "
                "Nothing was written.")

    def _scripts(self, sitting: Sitting, paper: QuestionPaper, scheme: MarkScheme) -> list[_Script]:
        db, sid = self.db, sitting.id
        marks: dict[int, dict[str, _Mark]] = defaultdict(dict)
        givers: dict[int, list[str]] = defaultdict(list)
        for m in mark_store.sitting_marks(db, sid):
            marks[m.script_id][m.question_id] = _Mark(m.question_id, m.marks_awarded, m.comment, m.marker_name,
                                                      m.marked_at, m.role)
            givers[m.script_id].append(mark_giver(m.marker_name, m.role, m.paper_marker))
        markers: dict[int, list[str]] = defaultdict(list)
        last_marked: dict[int, datetime] = {}
        for script_id, who in mark_store.script_markers(db, sitting_id=sid).items():
            markers[script_id] = [m.name for m in who]
            last_marked[script_id] = max(m.last_marked_at for m in who)
        scripts = []
        used = {script_id: used_text(extra, listed)
                for script_id, (extra, listed) in candidate_store.arrangements_by_script(db, sid).items()}
        for r in mark_store.sitting_scripts_for_results(db, sid):
            given = marks.get(r.id, {})
            result = None
            if r.finish is not None and r.finish != ABSENT:
                try:
                    result = script_result(paper, scheme, given)  # type: ignore[arg-type]  # see _Mark
                except (MarkRefused, SchemeMismatch) as error:
                    raise ExportRefused(
                        f"Candidate {r.candidate_number} (script {r.script_number}): {error}. "
                        "Fix the mark scheme or the marks first (marker-tui check); nothing was written.") from None
            scripts.append(_Script(
                id=r.id, script_number=r.script_number, candidate_number=r.candidate_number,
                name=r.name, finish=r.finish, marks=given, result=result,
                markers=markers.get(r.id, []), last_marked_at=last_marked.get(r.id),
                marks_from=markers_of(givers.get(r.id, ())),
                completed_by=r.completed_name, completed_at=r.completed_at,
                overall_feedback=r.overall_feedback, next_steps=r.next_steps,
                arrangements_used=used.get(r.id, ""),
            ))
        scripts.sort(key=lambda s: natural_key(s.candidate_number))
        return scripts

    def _iqa(self, sitting: Sitting, paper: QuestionPaper, scripts: list[_Script]) -> _Iqa:
        """IQA state of the sitting: current plans sampling it, each sampled script's review and decision."""
        from marker_tui.services.iqa import IqaError

        service = self._iqa_wired()
        ids = {s.id for s in scripts}
        plans = []
        for scope in (sitting.code, f"{paper.qualification}/{paper.unit}"):
            try:
                found = service.plans.current_plans(scope)
            except IqaError:
                continue
            plans += [p for p in found if p.scope.sitting_id == sitting.id
                      or any(ps.script_id in ids for ps in p.scripts)]
        state = _Iqa(plans=plans)
        confirmed: dict[tuple[int, str], date] = {}
        if ids:
            for key, at in iqa_store.confirmed_reviews(self.db, sorted(ids)).items():
                confirmed[key] = _local_date(at)
        for plan in plans:
            for ps in plan.scripts:
                if ps.script_id not in ids:
                    continue
                entry = state.by_script.setdefault(ps.script_id, _IqaScript())
                entry.sampled = True
                entry.reasons += [r for r in ps.reasons if r not in entry.reasons]
                if entry.decision is not None and ps.review_state != "confirmed":
                    continue  # another reviewer's confirmed decision stands
                entry.review_state = ps.review_state
                if ps.review_state == "confirmed" and ps.decision is not None:
                    entry.decision = ps.decision
                    entry.reviewer = plan.reviewer
                    entry.reviewed_on = confirmed.get((ps.script_id, plan.reviewer))
        return state

    # == internals: checks ===========================================================================

    @staticmethod
    def _select(snap: _Snapshot, candidate: str) -> list[_Script]:
        wanted = _clean_name(candidate).casefold()
        found = [s for s in snap.scripts if s.candidate_number.casefold() == wanted]
        if not found:
            raise ExportRefused(
                f"Candidate {_clean_name(candidate) or '(empty)'} is not enrolled in sitting {snap.code}. "
                "Nothing was written.")
        return found

    def _problems(self, snap: _Snapshot, kind: ExportKind, only: list[_Script] | None) -> list[str]:
        if kind is ExportKind.AUDIT_CSV:
            return []
        problems: list[str] = []
        scripts = snap.scripts if only is None else only
        if kind not in (ExportKind.IQA_DOCX, ExportKind.IQA_CSV):
            writing = [s.candidate_number for s in scripts if s.finish is None]
            if writing:
                problems.append(f"{_count(writing, 'candidate')} not submitted yet (still writing or not started): "
                                f"{', '.join(writing)}")
            unmarked = [s for s in scripts if s.markable and not s.marks]
            if unmarked:
                problems.append(f"{_count(unmarked, 'script')} not marked: "
                                + ", ".join(f"candidate {s.candidate_number}" for s in unmarked))
            for s in scripts:
                if s.markable and s.marks and not s.fully_marked:
                    missing = s.result.unmarked_questions if s.result else ()
                    problems.append(f"candidate {s.candidate_number}: partly marked (no mark for question"
                                    f"{'s' if len(missing) != 1 else ''} {', '.join(missing)})")
            signed = [s.candidate_number for s in scripts if s.fully_marked and s.completed_at is None]
            if signed:
                problems.append(f"{_count(signed, 'script')} fully marked but not marked complete by the marker: "
                                + ", ".join(f"candidate {c}" for c in signed))
        problems += self._iqa_problems(snap, kind, scripts, whole_sitting=only is None)
        return problems

    def _iqa_problems(self, snap: _Snapshot, kind: ExportKind, scripts: list[_Script], *,
                      whole_sitting: bool) -> list[str]:
        """No plan; sampled scripts whose review is not confirmed; referred back; plans not signed off.

        For one learner's feedback only that learner's script counts (and a plan must exist):
        the sign-off of the whole sample is not needed to send them their feedback.
        """
        iqa = snap.iqa
        if not iqa.plan_exists:
            return [f"no IQA sampling plan has been drawn for this sitting yet (marker-tui iqa sample {snap.code})"]
        problems = []
        waiting = [f"candidate {s.candidate_number} ({iqa.of(s.id).review_state})" for s in scripts
                   if iqa.of(s.id).sampled and iqa.of(s.id).review_state != "confirmed"]
        if waiting:
            problems.append(f"sampled for IQA, review not yet confirmed: {', '.join(waiting)}")
        referred = [f"candidate {s.candidate_number}" for s in scripts
                    if iqa.of(s.id).decision is ScriptDecision.REFER_BACK]
        if referred:
            problems.append(f"referred back to the marker by IQA, not yet reviewed again: {', '.join(referred)}")
        for plan in iqa.plans if whole_sitting else ():
            if plan.sign_off is None:
                problems.append(f"the IQA sampling plan of {plan.reviewer} (plan {plan.id}) is not signed off yet")
        return problems

    def _check(self, snap: _Snapshot, kind: ExportKind, only: list[_Script] | None, allow_incomplete: bool,
               what: str) -> list[str]:
        problems = self._problems(snap, kind, only)
        if problems and not allow_incomplete:
            raise ExportIncomplete(snap.code, what, problems)
        return problems

    @staticmethod
    def _guard(build: Callable[[], Any], code: str) -> Any:
        try:
            return build()
        except ValidationError as error:
            first = error.errors()[0]
            raise ExportRefused(
                f"Sitting {code}: the stored figures do not make a consistent document "
                f"({first.get('msg', error)}); nothing was written.") from None

    # == internals: models ===========================================================================

    def _results(self, snap: _Snapshot) -> ResultsSheet:
        paper = snap.paper
        questions = [QuestionColumn(id=q.id, max_marks=q.marks, outcome=q.outcome) for q in paper.questions]
        maxima = paper.marks_per_outcome()
        outcomes = [OutcomeColumn(number=n, title=snap.outcome_titles[n], max_marks=maxima[n])
                    for n in sorted(maxima)]
        rows = []
        for s in snap.scripts:
            iqa = snap.iqa.of(s.id)
            question_marks: dict[str, int | None] = {q.id: None for q in paper.questions}
            outcome_marks: dict[int, int | None] = {n: None for n in maxima}
            total = percentage = None
            fail_reasons: list[str] = []
            if s.finish is None:
                result = NOT_SUBMITTED
            elif s.finish == ABSENT:
                result = ABSENT
            else:
                r = s.result
                assert r is not None
                for q, m in s.marks.items():
                    question_marks[q] = m.marks
                for o in r.outcomes:
                    outcome_marks[o.outcome] = o.awarded if o.complete else None
                total, percentage = r.total, r.percentage
                fail_reasons = list(r.fail_reasons)
                if not r.is_complete:
                    result = NOT_YET_MARKED
                else:
                    result = r.status + ("" if s.completed_at else PROVISIONAL)
            rows.append(ResultRow(
                candidate_number=s.candidate_number, name=s.name, question_marks=question_marks,
                outcome_marks=outcome_marks, total=total, percentage=percentage, result=result,
                fail_reasons=fail_reasons, markers=s.marks_from, iqa_sampled=iqa.sampled,
                iqa_decision=iqa.decision if iqa.sampled else None,
                not_attempted=snap.not_attempted(s) if s.markable else [],
                review_of_marking=snap.review_text(s.id),
                arrangements_used=s.arrangements_used,
                nothing_to_mark=s.finish is None or s.finish == ABSENT,
            ))
        return ResultsSheet(
            centre_name=snap.centre_name, centre_number=snap.centre_number, qualification_number=paper.qualification,
            qualification_title=snap.qualification_title, unit_number=paper.unit, unit_title=snap.unit_title,
            sitting_code=snap.code, sitting_date=snap.sitting_date, questions=questions, outcomes=outcomes,
            rows=rows,
        )

    def _feedback(self, snap: _Snapshot, scripts: Iterable[_Script]) -> tuple[list[LearnerFeedback], list[str]]:
        paper = snap.paper
        models, skipped = [], []
        for s in scripts:
            if s.finish == ABSENT:
                skipped.append(f"candidate {s.candidate_number}: absent")
                continue
            if s.finish is None:
                skipped.append(f"candidate {s.candidate_number}: not submitted yet")
                continue
            if not s.fully_marked:
                missing = s.result.unmarked_questions if s.result else ()
                skipped.append(f"candidate {s.candidate_number}: not fully marked "
                               f"(no mark for {len(missing)} of {len(paper.questions)} questions)")
                continue
            r = s.result
            assert r is not None and r.total is not None and r.percentage is not None
            iqa = snap.iqa.of(s.id)
            sign_off = None
            if iqa.sampled and iqa.decision is not None and iqa.reviewer and iqa.reviewed_on:
                sign_off = IqaSignOff(reviewer=iqa.reviewer, signed_on=iqa.reviewed_on, decision=iqa.decision)
            marker = s.completed_by or ", ".join(s.markers) or ", ".join(sorted({m.by for m in s.marks.values()}))
            marked_at = s.completed_at or s.last_marked_at or max(m.at for m in s.marks.values())
            questions = []
            blank = set(snap.not_attempted(s))
            for q in paper.questions:
                change = snap.iqa_changes.get((s.id, q.id))
                questions.append(QuestionFeedback(
                    id=q.id, text=q.text, awarded=s.marks[q.id].marks, available=q.marks,
                    comment=s.marks[q.id].comment, criteria=list(q.criteria),
                    answer=None if snap.answers is None else snap.answers.get((s.id, q.id), ""),
                    not_attempted=q.id in blank,
                    iqa_change=None if change is None else IqaMarkChange(
                        marker_mark=change.marker_mark,
                        # services/iqa.py stores "IQA review: why"; the document already says it was IQA
                        reason=re.sub(r"^\s*IQA review:\s*", "", change.reason or "") or None)))
            models.append(LearnerFeedback(
                centre_name=snap.centre_name, centre_number=snap.centre_number,
                qualification_number=paper.qualification,
                qualification_title=snap.qualification_title, unit_number=paper.unit, unit_title=snap.unit_title,
                sitting_code=snap.code, sitting_date=snap.sitting_date, candidate_number=s.candidate_number,
                candidate_name=s.name, result=r.status, total=r.total, available=r.available,
                percentage=r.percentage, pass_mark=r.pass_mark, fail_reasons=list(r.fail_reasons),
                outcomes=[OutcomeFeedback(number=o.outcome, title=snap.outcome_titles[o.outcome], achieved=o.awarded,
                                          available=o.available, minimum=o.minimum) for o in r.outcomes],
                questions=questions,
                criteria=criteria_evidence(questions, {q.id: q.outcome for q in paper.questions},
                                           snap.criteria_texts),
                answers_included=snap.answers is not None,
                overall_feedback=s.overall_feedback, next_steps=s.next_steps,
                marker_name=marker, marked_date=_local_date(marked_at), iqa=sign_off,
                arrangements_used=s.arrangements_used,
            ))
        return models, skipped

    def _record_plan(self, snap: _Snapshot, reviewer: str | None) -> Any:
        """The plan the IQA record shows: the sitting's own (or a unit-wide one); refuses an ambiguous choice."""
        from marker_tui.domain.sampling import person_key

        plans = snap.iqa.plans
        if reviewer:
            plans = [p for p in plans if person_key(p.reviewer) == person_key(reviewer)]
            if not plans:
                raise ExportRefused(f"{_clean_name(reviewer)} has no current IQA sampling plan covering sitting "
                                    f"{snap.code}. Nothing was written.")
        own = [p for p in plans if p.scope.sitting_id == snap.sitting.id]
        chosen = own or plans
        if len(chosen) > 1:
            names = ", ".join(sorted(p.reviewer for p in chosen))
            raise ExportRefused(f"Sitting {snap.code} has more than one current IQA sampling plan ({names}): "
                                "choose whose record to export with --reviewer NAME. Nothing was written.")
        return chosen[0] if chosen else None

    def _iqa_record(self, snap: _Snapshot, reviewer: str | None = None) -> IqaRecord:
        from marker_tui.domain.reports import (
            ActionPoint,
            AgreementFigure,
            ExcludedScript,
            IqaRecordSignOff,
            MarkerCoverage,
            QuestionReview,
            SampledScript,
            ScriptReview,
        )
        from marker_tui.services.iqa import IqaError

        identity = dict(
            centre_name=snap.centre_name, centre_number=snap.centre_number, qualification_number=snap.paper.qualification,
            qualification_title=snap.qualification_title, unit_number=snap.paper.unit, unit_title=snap.unit_title,
            sitting_code=snap.code, sitting_date=snap.sitting_date)
        marked = sum(1 for s in snap.scripts if s.fully_marked and s.completed_at is not None)
        plan = self._record_plan(snap, reviewer)
        if plan is None:
            return IqaRecord(**identity, scripts_marked=marked,
                             strategy="No IQA sampling plan has been drawn for this sitting yet.")
        service = self._iqa_wired()
        by_number = {s.script_number: s for s in snap.scripts}
        by_id = {s.id: s for s in snap.scripts}
        mine = sorted((ps for ps in plan.scripts if ps.script_id in by_id),
                      key=lambda ps: natural_key(ps.candidate_number))
        notes = list(plan.notes)
        if plan.scope.sitting_id is None:
            notes.insert(0, f"The sample was drawn across unit {plan.scope.key} ({len(plan.scope.sitting_codes)} "
                            f"sittings); this record shows the scripts of sitting {snap.code}, and the agreement "
                            "figures are for the whole unit.")
        if plan.reason:
            notes.append(f"The plan was drawn again: {plan.reason}")
        sampled = [
            SampledScript(candidate_number=ps.candidate_number, candidate_name=by_id[ps.script_id].name,
                          markers=list(ps.markers) or by_id[ps.script_id].markers or ["(not recorded)"],
                          total=ps.total, reasons=list(ps.reasons))
            for ps in mine
        ]
        excluded = []
        for e in plan.excluded:
            number = e.script_ref.rsplit("/", 1)[-1]
            script = by_number.get(number)
            if script is not None and (plan.scope.sitting_id is not None or e.script_ref.startswith(f"{snap.code}/")):
                excluded.append(ExcludedScript(candidate_number=script.candidate_number, markers=list(e.markers),
                                               reason=e.reason))
        reviews, points = [], []
        questions = {q.id: q for q in snap.paper.questions}
        for ps in mine:
            if ps.review_state != "confirmed":
                continue
            try:
                view = service.reviews.review_view(ps.script_id, reviewer=plan.reviewer)
            except IqaError as error:
                notes.append(f"The review of candidate {ps.candidate_number} could not be read: {error}")
                continue
            review = view.review
            if review is None or review.decision is None or review.confirmed_at is None:
                continue
            why = review.decision_reason
            if review.round > 1:
                why = f"Round {review.round}, after the script was referred back to its marker." + (
                    f" {why}" if why else "")
            reviews.append(ScriptReview(
                candidate_number=ps.candidate_number, markers=list(view.markers or ps.markers) or ["(not recorded)"],
                reviewer=plan.reviewer, reviewed_on=_local_date(review.confirmed_at), decision=review.decision,
                decision_reason=why,
                questions=[QuestionReview(question_id=qid, max_marks=questions[qid].marks, marker_mark=j.marker_mark,
                                          iqa_mark=None if j.agree else j.reviewer_mark, reason=j.reason,
                                          not_attempted=j.marker_mark == 0
                                          and (ps.script_id, qid) not in snap.answered)
                           for qid, j in sorted(review.questions.items(),
                                                key=lambda kv: list(questions).index(kv[0])
                                                if kv[0] in questions else len(questions))
                           if qid in questions],
                feedback_to_marker=review.feedback_to_marker,
            ))
            points += [ActionPoint(text=f"Candidate {ps.candidate_number}: {a.text}", owner=a.owner, due=a.due)
                       for a in review.action_points]
        points = [ActionPoint(text=a.text, owner=a.owner, due=a.due) for a in plan.action_points] + points
        report = service.agreement.agreement(plan.scope.key)

        def figure(label: str, f: Any) -> AgreementFigure:
            return AgreementFigure(
                label=label, n_pairs=f.n_pairs, exact_agreement_percent=f.exact_agreement_percent,
                within_tolerance_percent=f.within_tolerance_percent, mean_abs_difference=f.mean_abs_difference,
                max_abs_difference=f.max_abs_difference, weighted_kappa=f.weighted_kappa,
                kappa_weights=f.kappa_weights, kappa_note=f.kappa_note)

        tolerances = service.second_marking.tolerances(plan.scope.key)
        values = set(tolerances.values())
        tolerance: int | dict[str, int] = values.pop() if len(values) == 1 else (
            {q: t for q, t in tolerances.items() if t} if values else 0)
        sign = plan.sign_off
        return IqaRecord(
            **identity,
            scripts_marked=max(plan.scripts_marked if plan.scope.sitting_id else marked, len(sampled)),
            reviewer=plan.reviewer, drawn_on=_local_date(plan.created_at),
            strategy=plan.strategy_text, seed=plan.seed, tolerance=tolerance,
            sampled=sampled, excluded=excluded,
            coverage=[MarkerCoverage(marker=c.marker, marked=c.marked, required=c.required, chosen=c.chosen)
                      for c in plan.coverage],
            plan_notes=notes, reviews=reviews,
            agreement_overall=figure("All markers", report.overall) if report.pairs else None,
            agreement_by_marker=[figure(name, f) for name, f in report.by_marker.items()],
            agreement_by_question=[figure(f"Q{qid}", f) for qid, f in report.by_question.items()],
            action_points=points,
            sign_off=IqaRecordSignOff(reviewer=sign.reviewer, role="Internal quality assurer",
                                      signed_on=_local_date(sign.signed_at), statement=sign.statement)
            if sign else None,
        )

    def _audit(self, snap: _Snapshot) -> list[ReportAuditEntry]:
        sid = snap.sitting.id
        numbers = {s.id: s.script_number for s in snap.scripts}
        with read_transaction(self.db):
            rows = audit_service.entries(self.db, sitting_id=sid)
        return [
            ReportAuditEntry(
                id=e.id, at=e.at, actor=e.actor or "?", action=e.action or "?", sitting_code=snap.code,
                candidate_number=e.candidate_number,
                script_ref=numbers.get(e.script_id, str(e.script_id)) if e.script_id is not None else None,
                details=e.details, content_digest=e.content_digest, chain_hash=e.chain_hash,
                previous_hash=e.previous_hash, hashed_content=e.hashed_content,
            )
            for e in rows
        ]

    # == internals: the audit row of an export ============================================================

    def _audit_export(self, report: ExportReport, event: AuditEvent, snap: _Snapshot) -> None:
        """Record the export that was just written (and what was unfinished, if exported anyway)."""
        if report.warnings:
            event = event.model_copy(update={"not_finished": list(report.warnings)})
        try:
            with self.uow.write(by=snap.actor_name, needs=Permission.SIGN_IN, what="recording the export") as tx:
                tx.record(event)
        except (ServiceError, StorageError) as error:
            report.warnings.append(f"the export was written but could not be recorded in the audit log: {error}")


# --- helpers ------------------------------------------------------------------------------------------


class _Unchanged(Exception):
    """Leaves a write block that found nothing to change (rolled back, nothing audited)."""



def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _call(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _stepper(progress: Progress | None, total: int) -> Callable[[], None]:
    done = 0
    _call(progress, 0, total)

    def step() -> None:
        nonlocal done
        done += 1
        _call(progress, done, total)

    return step


def _file_kind(path: str | os.PathLike[str], format: str | None, kinds: dict[str, ExportKind],
               what: str) -> ExportKind:
    """The export kind from ``format`` or the file's extension; refuses a mismatch."""
    suffix = Path(path).suffix.lower().lstrip(".")
    chosen = (format or "").strip().lower().lstrip(".") or suffix
    allowed = " or ".join(f".{k}" for k in kinds)
    if chosen not in kinds:
        raise ExportRefused(
            f"The {what} is written as {allowed}: name the file with one of those endings"
            + (" (or choose the format)" if len(kinds) > 1 else "") + f", not {str(path)!r}. Nothing was written.")
    if suffix and suffix != chosen:
        raise ExportRefused(
            f"The file name {Path(path).name!r} ends .{suffix} but the format asked for is {chosen}: "
            "make them agree. Nothing was written.")
    if not suffix:
        raise ExportRefused(f"Give the file name its ending (.{chosen}): {str(path)!r}. Nothing was written.")
    return kinds[chosen]


def _prepare_file(path: str | os.PathLike[str]) -> Path:
    target = Path(path).expanduser()
    if target.is_dir():
        raise ExportRefused(f"{target} is a folder: give a file name. Nothing was written.")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target.resolve()


def _prepare_folder(path: str | os.PathLike[str]) -> Path:
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ExportRefused(f"{folder} is a file, not a folder: give a folder for the feedback documents. "
                            "Nothing was written.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def unique_feedback_names(pairs: list[tuple[str, str]]) -> list[str]:
    """``feedback_filename`` for each (candidate number, unit), unique on every file system.

    Windows and macOS do not tell ``é1`` from ``É1`` (nor composed from decomposed
    accents on macOS): names are compared after NFC normalisation and case folding,
    and a later name that clashes with an earlier one gets ``-2``, ``-3``... before
    ``.docx``. Deterministic for the same list in the same order.
    """
    from marker_tui.documents.feedback import feedback_filename

    seen: set[str] = set()
    names = []
    for number, unit in pairs:
        name = feedback_filename(number, unit)
        stem = name[: -len(".docx")]
        n = 1
        while unicodedata.normalize("NFC", name).casefold() in seen:
            n += 1
            name = f"{stem}-{n}.docx"
        seen.add(unicodedata.normalize("NFC", name).casefold())
        names.append(name)
    return names
