"""Marker monitoring (issue 18.3): for a paper (a qualification's unit, across its sittings), how
each marker is marking, with outliers flagged in plain English; on screen and as CSV or XLSX.

The rules are in ``domain/marker_monitoring.py``; this module gathers what they read, in one
snapshot, and writes the export (audited). Two things are gathered in exactly one place each so
they can grow without touching the rest:

* :func:`reference_marks`: the mark each answer *should* have had. Today that is the IQA's mark
  (from IQA reviews). Definitive marks of control and standardisation scripts join here.
* :func:`control_script_record`: a marker's record on control scripts. There are none yet, so it
  says "none yet".

Which marks are a marker's: for each answer, the latest mark given as marking (never an IQA
adjustment); answers whose latest such mark was imported from a paper mark sheet are left out
(no one marked them on screen, so there are no times to read either).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from marker_tui.domain import marker_monitoring as rules
from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.monitoring import MarkerMonitoringExported
from marker_tui.domain.marker_monitoring import MarkedAnswer, MarkerFigures, MarkSave, normalise_answer
from marker_tui.domain.roles import Permission
from marker_tui.domain.sampling import natural_key
from marker_tui.services.audit import ServiceError
from marker_tui.services.papers import get_paper
from marker_tui.services.unit_of_work import Reading, UnitOfWork
from marker_tui.storage.database import Database
from marker_tui.storage.marker_monitoring import MarkedUnit, MonitoredUnit

CONTROL_SCRIPTS_NONE = "none yet"


class MonitoringError(ServiceError):
    """A monitoring request refused; nothing was changed."""


@dataclass(frozen=True)
class Reference:
    """The mark an answer should have had, and whose it is (as the flags name it)."""

    marks: int
    by: str


@dataclass(frozen=True)
class MarkerRow:
    figures: MarkerFigures
    control_scripts: str


@dataclass(frozen=True)
class MonitoringReport:
    paper: str
    """What a user types for the paper: QUALIFICATION/UNIT."""
    title: str | None
    sitting_codes: tuple[str, ...]
    questions: tuple[str, ...]
    markers: tuple[MarkerRow, ...]
    made_at: datetime
    reference_by: tuple[str, ...] = ()
    """Whose marks the figures were compared with ("the IQA", "the definitive marks"); empty: none yet."""

    @property
    def reference_words(self) -> str:
        """``reference marks: the definitive marks and the IQA``, as a header says it."""
        if not self.reference_by:
            return "no reference marks yet"
        return "reference marks: " + " and ".join(self.reference_by)

    @property
    def flagged(self) -> list[MarkerRow]:
        return [m for m in self.markers if m.figures.flagged]

    def marker(self, name: str) -> MarkerRow | None:
        key = " ".join(name.split()).casefold()
        return next((m for m in self.markers if m.figures.marker.casefold() == key), None)


# --- the two places the integrator extends ----------------------------------------------------------


def reference_marks(rx: Reading, unit: MonitoredUnit) -> dict[tuple[int, str], Reference]:
    """The reference mark of each answer that has one, by (script id, question id).

    The IQA's marks (the latest review round of each script), and the lead assessor's definitive
    marks where a script has them (standardisation and control scripts, issue 18.1/18.2): those win,
    being the agreed standard the IQA's judgement is itself held to.
    """
    found = {key: Reference(marks, "the IQA")
             for key, marks in rx.marker_monitoring.iqa_marks(unit.qualification, unit.unit).items()}
    found.update({key: Reference(marks, "the definitive marks")
                  for key, marks in rx.marker_monitoring.definitive_marks(unit.qualification, unit.unit).items()})
    return found


def control_script_record(rx: Reading, unit: MonitoredUnit, marker: str) -> str:
    """A marker's record on control scripts of the paper, in a few words."""
    from marker_tui.services.standardisation import control_record_in

    record = control_record_in(rx.db, unit.qualification, unit.unit, marker)
    if record is None or not record.marked:
        return CONTROL_SCRIPTS_NONE
    return (f"{record.within} of {record.marked} within tolerance"
            + (f"; {record.failures_in_a_row} out in a row" if record.failures_in_a_row else "")
            + ("; suspended" if record.suspended else ""))


# --- the service ----------------------------------------------------------------------------------


class MarkerMonitoringService:
    """The lead assessor's view of every marker of a paper (needs Permission.LEAD_MARKING)."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)
        self._max: dict[tuple[int, str], int] = {}

    def papers(self, *, by: str) -> list[MarkedUnit]:
        """The papers (units) with marks given on screen, to choose one to monitor."""
        with self.uow.read(by=by, needs=Permission.LEAD_MARKING) as rx:
            return rx.marker_monitoring.units_with_marking()

    def report(self, paper: str, *, by: str) -> MonitoringReport:
        """Figures and flags per marker for ``paper`` (QUALIFICATION/UNIT, or any sitting code of it)."""
        with self.uow.read(by=by, needs=Permission.LEAD_MARKING) as rx:
            return self._report(rx, paper)

    def export(self, paper: str, path: str | os.PathLike[str], *, by: str,
               format: str | None = None) -> Path:
        """Write the figures as .csv or .xlsx (from ``format`` or the file's ending); audited."""
        kind = _format(path, format)
        target = Path(path).expanduser()
        if target.is_dir():
            raise MonitoringError(f"{target} is a folder: give a file name. Nothing was written.")
        report = self.report(paper, by=by)
        from marker_tui.documents.marker_monitoring import write_monitoring_csv, write_monitoring_xlsx

        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            (write_monitoring_xlsx if kind == "xlsx" else write_monitoring_csv)(report, target)
        except OSError as error:
            raise MonitoringError(f"Could not write {target}: {error.strerror or error}. Nothing was written.") from None
        with self.uow.write(by=by, needs=Permission.LEAD_MARKING, what="recording the export") as tx:
            tx.record(MarkerMonitoringExported(paper=report.paper, format=kind, path=str(target.resolve()),
                                               markers=len(report.markers), flagged=len(report.flagged)))
        return target.resolve()

    # -- gathering ---------------------------------------------------------------------------------

    def _unit(self, rx: Reading, paper: str) -> MonitoredUnit:
        text = (paper or "").strip()
        if not text:
            raise MonitoringError("Name the paper as QUALIFICATION/UNIT (e.g. 3818-13/305) or give a sitting code.")
        if "/" in text:
            qualification, _, unit = (p.strip() for p in text.partition("/"))
        else:
            found = rx.marker_monitoring.unit_of_sitting(text)
            if found is None:
                raise MonitoringError(f"There is no sitting {text.upper()}: name the paper as QUALIFICATION/UNIT "
                                      "(e.g. 3818-13/305) or give a sitting code.")
            qualification, unit = found
        stored = rx.marker_monitoring.unit_of(qualification, unit)
        if stored is None or not stored.sitting_codes:
            raise MonitoringError(f"There is no sitting of unit {unit} of qualification {qualification}. "
                                  "Name the paper as QUALIFICATION/UNIT, e.g. 3818-13/305.")
        return stored

    def _max_marks(self, db: Database, paper_id: int, question_id: str) -> int:
        key = (paper_id, question_id)
        if key not in self._max:
            question = get_paper(db, paper_id).paper.question(question_id)
            self._max[key] = question.marks if question else 0
        return self._max[key]

    def _report(self, rx: Reading, paper: str) -> MonitoringReport:
        unit = self._unit(rx, paper)
        saved = rx.marker_monitoring.saved_marks(unit.qualification, unit.unit)
        typed = rx.marker_monitoring.answers(unit.qualification, unit.unit)
        references = reference_marks(rx, unit)

        latest: dict[tuple[int, str], object] = {}
        first_on_script: dict[tuple[str, int], datetime] = {}
        saves: list[MarkSave] = []
        for s in saved:  # oldest first: the last one seen per answer is the latest
            latest[(s.script_id, s.question_id)] = s
            if s.role == "marker":
                saves.append(MarkSave(marker=s.marker, script_id=s.script_id, at=s.marked_at))
                first_on_script.setdefault((s.marker, s.script_id), s.marked_at)
        answers: list[MarkedAnswer] = []
        for (script_id, question_id), s in latest.items():
            if s.role != "marker":
                continue
            maximum = self._max_marks(rx.db, s.paper_id, question_id)
            if maximum < 1:
                continue  # a question no longer on the paper (a corrected version): nothing to compare
            ref = references.get((script_id, question_id))
            answers.append(MarkedAnswer(
                marker=s.marker, script_id=script_id, script_ref=f"{s.code} {s.script_number}",
                question_id=question_id, max_marks=maximum, mark=min(s.marks, maximum),
                reference=None if ref is None else min(ref.marks, maximum), reference_by=ref.by if ref else None,
                answer_key=normalise_answer(typed.get((script_id, question_id))),
                first_marked_at=first_on_script[(s.marker, script_id)]))
        figures = rules.monitor(answers, saves)
        questions = tuple(sorted({a.question_id for a in answers}, key=natural_key))
        return MonitoringReport(
            paper=f"{unit.qualification}/{unit.unit}", title=unit.title, sitting_codes=unit.sitting_codes,
            questions=questions,
            markers=tuple(MarkerRow(f, control_script_record(rx, unit, f.marker)) for f in figures),
            made_at=rx.clock.now(),
            reference_by=tuple(sorted({a.reference_by for a in answers if a.reference_by})))


def _format(path: str | os.PathLike[str], format: str | None) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    chosen = (format or "").strip().lower().lstrip(".") or suffix
    if chosen not in ("csv", "xlsx"):
        raise MonitoringError(f"Marker monitoring is written as .csv or .xlsx: name the file with one of those "
                              f"endings, not {str(path)!r}. Nothing was written.")
    if suffix != chosen:
        raise MonitoringError(f"The file name {Path(path).name!r} should end .{chosen}. Nothing was written.")
    return chosen


__all__ = ["CONTROL_SCRIPTS_NONE", "MarkerMonitoringService", "MarkerRow", "MonitoringError", "MonitoringReport",
           "Reference", "control_script_record", "reference_marks"]
