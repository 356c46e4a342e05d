"""Marks given on paper, imported from a spreadsheet (all-or-nothing, every bad row by line)."""

from __future__ import annotations

import re
from pathlib import Path


from marker_tui.domain.marking import MarkRefused, QuestionMark, mark_question
from marker_tui.domain.markscheme import QuestionMarkScheme
from marker_tui.domain.visible_text import has_hidden
from marker_tui.storage import marks as mark_store
from marker_tui.domain.roles import Permission
from marker_tui.services.unit_of_work import Writing
from marker_tui.services.marking.common import (
    NothingWritten,
    MarkingError,
    MarksImportReport,
    StoredMark,
    _stored,
    clean_comment,
    clean_reason,
)
from marker_tui.services.marking.marks import Marks
from marker_tui.services.audit import ServiceError
from marker_tui.services.candidates import CsvImportError, looks_like_formula
from marker_tui.storage import csv_files
from marker_tui.storage.csv_files import RowProblem


CSV_COLUMNS = ("script", "question", "marks", "comment", "marker")
CSV_REQUIRED = ("script", "question", "marks")
_CSV_ALIASES = {
    "script_number": "script", "script_no": "script", "question_id": "question", "q": "question",
    "mark": "marks", "marks_awarded": "marks", "comments": "comment", "marked_by": "marker",
}


class MarksImport(Marks):
    """Importing a CSV of marks."""

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
        with self.uow.read(by=by, needs=Permission.MARK) as rx:  # fail fast, before reading a big file
            self._sitting(rx.db, code)
        rows, shape_problems = _read_marks_csv(path)
        self._sweep(code)

        def work(tx: Writing) -> MarksImportReport:
            db, actor, now = tx.db, tx.actor, tx.now
            sitting = self._sitting(db, code)
            paper, scheme = self._paper_scheme(db, sitting.paper_id)
            scripts = mark_store.scripts_for_marking(db, sitting.id)
            states = mark_store.marking_states(db, sitting.id)
            settled_of: dict[int, str | None] = {}
            current = {key: _stored(r) for key, r in mark_store.marks_in_sitting(db, sitting.id).items()}
            problems: list[RowProblem] = list(shape_problems)
            planned: list[tuple[mark_store.MarkingScript, QuestionMarkScheme, QuestionMark, StoredMark | None,
                                str | None]] = []
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
                elif script.finish is None:
                    problem("script", f"script {number} has not been submitted yet; it cannot be marked")
                elif script.finish == "absent":
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
                old = current.get((script.id, qid))
                if old is not None and (old.marks_awarded, old.comment) == (mark.marks_awarded, mark.comment):
                    planned.append((script, entry, mark, old, paper_marker))  # unchanged
                    continue
                state = states.get(script.id)
                if state and state.claimed_by is not None and state.claim_expires_at > now \
                        and state.claimed_by != actor.staff_id:
                    problem("script", f"script {number} is being marked on screen by {state.claimed_name}; "
                                      "import its marks when they have finished")
                    continue
                if script.id not in settled_of:  # once per script, not per row (a sheet has a row per question)
                    settled_of[script.id] = self._settled_for_markers(db, script)
                settled = settled_of[script.id]
                if settled:
                    problem("script", f"script {number}: {settled}")
                    continue
                if old is not None and not replace:
                    problem("marks", f"script {number} question {qid} already has {old.marks_awarded} "
                                     f"mark{'s' if old.marks_awarded != 1 else ''} from {old.marked_by}; "
                                     "use --replace to overwrite it (the old mark stays in the audit log)")
                    continue
                if state and state.completed_at and not why:
                    problem("marks", f"script {number} was marked complete by {state.completed_name}; "
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
                self._write_mark(tx, script, mark.question_id, mark.marks_awarded, ticks, mark.comment,
                                 old, role="import", reason=why, actor=actor, source=str(path),
                                 paper_marker=paper_marker)
                touched.add(script.script_number)
                if old is None:
                    report.added += 1
                else:
                    report.changed += 1
            report.scripts = sorted(touched)
            if not touched:
                raise NothingWritten(report)  # every row as stored already: nothing to write or audit
            return report

        return self._write(work, by=by, needs=Permission.MARK, what="importing marks")


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


MARKS_CSV = csv_files.CsvLayout(
    columns=CSV_COLUMNS, required=CSV_REQUIRED, aliases=_CSV_ALIASES, header_example=CSV_COLUMNS[:4],
    expected_note="(comment and marker are optional)", quoted_thing="comment")


def _read_marks_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """Read the file (the one CSV reader): its rows, and the rows whose shape is wrong (reported
    with the rest). A file that cannot be read, or whose header is wrong, is refused at once."""
    try:
        read = csv_files.read_csv_rows(path, MARKS_CSV)
    except csv_files.CsvRefused as refused:
        raise CsvImportError(path, refused.problems) from None
    except csv_files.CsvUnreadable as unreadable:
        raise ServiceError(str(unreadable)) from None
    rows: list[tuple[int, dict[str, str]]] = []
    problems = list(read.problems)
    for line, fields in read.rows:
        values = {k: v.strip() for k, v in fields.items()}
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
