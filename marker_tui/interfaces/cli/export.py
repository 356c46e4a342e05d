"""``marker-tui export ...``: the files that leave marker-tui.

* ``marker-tui export results CODE [--format csv|xlsx] [-o FILE]``: one row per
  candidate (marks per question and outcome, total, %, result, markers, IQA).
* ``marker-tui export feedback CODE [-o DIR] [--candidate N]``: one Word document
  per fully marked learner.
* ``marker-tui export iqa CODE [--format docx|csv] [-o FILE] [--reviewer NAME]``: the
  IQA record (sampling plan and reasons, reviews, agreement, action points, sign-off).
* ``marker-tui export audit CODE [-o FILE.csv]``: the sitting's complete audit trail.
* ``marker-tui export centre-number [NUMBER --by ADMIN]``: show, or set, the centre's
  awarding-body number printed on feedback, the IQA record and results.
* ``marker-tui export centre-name ["NAME" --by ADMIN]``: show, or set, the centre's
  name printed on every document (stored in the database, audited).

Every export signs the staff member in first (``--by NAME`` or MARKER_TUI_BY,
any role, and their PIN asked with no echo or read with ``--pin-stdin``; see
``common.signed_in``) and is recorded in the audit log under that name with
where the files went. Without ``-o`` files go to ``~/marker-tui-exports/<CODE>/`` (or the
folder in MARKER_TUI_EXPORTS). An unknown sitting, staff member or candidate is
refused and nothing is written (exit status 1). When marking or IQA is not
finished the export is refused with the list of what is missing (exit status 1,
nothing written) unless ``--allow-incomplete`` is given; then it is written and
the list is printed as a warning. The centre's name on every document is
``--centre-name``, else MARKER_TUI_CENTRE_NAME, else the name set with
``export centre-name``, else "Training centre".
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import database, signed_in, staff_options, user_errors, visible
from marker_tui.storage.locations import SHIPPED_PAPERS


def _service(papers_dir: Path | None, centre_name: str | None):
    from marker_tui.domain.clock import SystemClock
    from marker_tui.services.centre import Centre

    return Centre(db=database(create=False), clock=SystemClock(), papers_dir=papers_dir or SHIPPED_PAPERS,
                  centre_name=centre_name).exports  # click reads MARKER_TUI_CENTRE_NAME


def _common(function):
    """Options every export takes."""
    function = click.option(
        "--papers-dir", type=click.Path(path_type=Path, file_okay=False), default=None, hidden=True,
        help="Where the qualification's spec.yaml is (titles of qualification, unit and outcomes).")(function)
    function = click.option(
        "--centre-name", metavar="NAME", envvar="MARKER_TUI_CENTRE_NAME",
        help="The centre's name on the documents (or set MARKER_TUI_CENTRE_NAME).")(function)
    function = staff_options(function)
    return function


def _allow_incomplete(function):
    return click.option(
        "--allow-incomplete", is_flag=True,
        help="Export even though marking or IQA is not finished (what is missing is printed).")(function)


class _Progress:
    """``done/total`` on stderr while a long export runs, only when stderr is a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if self.shown and total > 1:
            click.echo(f"\r{self.label} {done}/{total}", nl=done >= total, err=True)


def _default(code: str, kind) -> Path:
    from marker_tui.interfaces.export_location import default_export_folder
    from marker_tui.services.exports import default_file_name

    return default_export_folder(code) / default_file_name(kind, code)


@click.group("export")
def export() -> None:
    """Export results, learners' Word feedback, the IQA record and the audit trail of a sitting."""


@export.command("results")
@click.argument("code")
@click.option("--format", "format_", type=click.Choice(["csv", "xlsx"], case_sensitive=False), default=None,
              help="csv or xlsx (default: from the file name; xlsx without -o).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help="The file to write (default: ~/marker-tui-exports/CODE/CODE-results.xlsx).")
@_allow_incomplete
@_common
def results(code: str, format_: str | None, output: Path | None, allow_incomplete: bool,
            centre_name: str | None, papers_dir: Path | None) -> None:
    """The results and mark sheet of sitting CODE: one row per candidate, never an answer."""
    from marker_tui.services.exports import ExportKind

    if output is None:
        output = _default(code, ExportKind.RESULTS_CSV if (format_ or "xlsx").lower() == "csv"
                          else ExportKind.RESULTS_XLSX)
    service = _service(papers_dir, centre_name)
    by = _signed_in(service)
    _finish(service, lambda: service.export_results(code, output, by=by, format=format_,
                                                    allow_incomplete=allow_incomplete))


@export.command("feedback")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="The folder for the documents, created if needed (default: ~/marker-tui-exports/CODE/feedback).")
@click.option("--candidate", metavar="N", default=None, help="Only this candidate's feedback.")
@click.option("--answers/--no-answers", "include_answers", default=True, show_default=True,
              help="Print each learner's own answers under the questions (leave out for copies filed elsewhere).")
@_allow_incomplete
@_common
def feedback(code: str, output: Path | None, candidate: str | None, include_answers: bool, allow_incomplete: bool,
             centre_name: str | None, papers_dir: Path | None) -> None:
    """One Word feedback document per fully marked learner of sitting CODE.

    Each has the marks by outcome and assessment criterion, the marker's comments, the
    learner's own answers (unless --no-answers), how to query the result and signature
    lines. With --allow-incomplete, scripts not fully marked are left out and listed.
    """
    from marker_tui.services.exports import ExportKind

    output = output if output is not None else _default(code, ExportKind.FEEDBACK)
    service = _service(papers_dir, centre_name)
    by = _signed_in(service)
    _finish(service, lambda: service.export_feedback(code, output, by=by, candidate=candidate,
                                                     allow_incomplete=allow_incomplete,
                                                     include_answers=include_answers,
                                                     progress=_Progress("Feedback documents")))


@export.command("iqa")
@click.argument("code")
@click.option("--format", "format_", type=click.Choice(["docx", "csv"], case_sensitive=False), default=None,
              help="docx or csv (default: from the file name; docx without -o).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE",
              help="The file to write (default: ~/marker-tui-exports/CODE/CODE-iqa-record.docx).")
@click.option("--reviewer", metavar="NAME", default=None,
              help="Whose plan, when several reviewers have sampled the sitting.")
@_allow_incomplete
@_common
def iqa(code: str, format_: str | None, output: Path | None, reviewer: str | None, allow_incomplete: bool,
        centre_name: str | None, papers_dir: Path | None) -> None:
    """The IQA record of sitting CODE: sampling plan and reasons, reviews, agreement, actions, sign-off."""
    from marker_tui.services.exports import ExportKind

    if output is None:
        output = _default(code, ExportKind.IQA_CSV if (format_ or "docx").lower() == "csv" else ExportKind.IQA_DOCX)
    service = _service(papers_dir, centre_name)
    by = _signed_in(service)
    _finish(service, lambda: service.export_iqa(code, output, by=by, format=format_, reviewer=reviewer,
                                                allow_incomplete=allow_incomplete))


@export.command("audit")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, metavar="FILE.csv",
              help="The file to write (default: ~/marker-tui-exports/CODE/CODE-audit.csv).")
@_common
def audit(code: str, output: Path | None, centre_name: str | None, papers_dir: Path | None) -> None:
    """The complete audit trail of sitting CODE, oldest first, as CSV."""
    from marker_tui.services.exports import ExportKind

    output = output if output is not None else _default(code, ExportKind.AUDIT_CSV)
    service = _service(papers_dir, centre_name)
    by = _signed_in(service)
    _finish(service, lambda: service.export_audit(code, output, by=by))


def _signed_in(service, *roles: str) -> str:
    """The signed-in staff member's name (the database is closed if they are refused)."""
    try:
        return signed_in(service.db, *roles).name
    except BaseException:
        service.db.close()
        raise


def _finish(service, export) -> None:
    """Run the export, print where the files went (and what was left out), close the database."""
    try:
        with user_errors():
            report = export()
    finally:
        service.db.close()
    for line in report.lines():
        click.echo(visible(line))


@export.command("all")
@click.argument("code")
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), default=None, metavar="DIR",
              help="The folder for every file, created if needed (default: ~/marker-tui-exports/CODE).")
@click.option("--answers/--no-answers", "include_answers", default=True, show_default=True,
              help="Learners' own answers in their feedback documents.")
@click.option("--reviewer", default=None, metavar="NAME",
              help="Whose IQA record to export, when several reviewers have sampling plans for the sitting.")
@_allow_incomplete
@_common
def everything(code: str, output: Path | None, include_answers: bool, allow_incomplete: bool,
               reviewer: str | None, centre_name: str | None, papers_dir: Path | None) -> None:
    """Everything for sitting CODE in one folder: results (CSV and XLSX), feedback per learner,
    IQA record (Word and CSV) and audit trail. Nothing is written if any is unfinished,
    unless --allow-incomplete."""
    from marker_tui.interfaces.export_location import default_export_folder

    folder = output if output is not None else default_export_folder(code)
    service = _service(papers_dir, centre_name)
    by = _signed_in(service)
    try:
        with user_errors():
            reports = service.export_everything(code, folder, by=by, allow_incomplete=allow_incomplete,
                                                include_answers=include_answers, reviewer=reviewer,
                                                progress=_Progress("Exports"))
    finally:
        service.db.close()
    for report in reports:
        for line in report.lines():
            click.echo(visible(line))


@export.command("centre-name")
@click.argument("name", required=False)
@staff_options
def centre_name(name: str | None) -> None:
    """Show the centre's name on exported documents, or set it (NAME, with --by an admin)."""
    service = _service(None, None)
    try:
        with user_errors():
            if name is None:
                click.echo(visible(service.centre_name))
                return
            by = signed_in(service.db, *roles_for(Permission.ADMINISTER)).name
            click.echo(f"Centre name set: {visible(service.set_centre_name(name, by=by))}")
    finally:
        service.db.close()


@export.command("centre-number")
@click.argument("number", required=False)
@staff_options
def centre_number(number: str | None) -> None:
    """Show the centre's number on exported documents, or set it (NUMBER, with --by an admin)."""
    service = _service(None, None)
    try:
        with user_errors():
            if number is None:
                click.echo(visible(service.centre_number or "(not set: marker-tui export centre-number NUMBER)"))
                return
            by = signed_in(service.db, *roles_for(Permission.ADMINISTER)).name
            click.echo(f"Centre number set: {visible(service.set_centre_number(number, by=by))}")
    finally:
        service.db.close()
