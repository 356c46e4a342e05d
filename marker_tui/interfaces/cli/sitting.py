"""``marker-tui sitting ...``: run a sitting from the command line (invigilator or script).

Every command except ``list`` signs the staff member in first: ``--by NAME`` (or
MARKER_TUI_BY once per terminal) and their PIN, asked with no echo or read with
``--pin-stdin`` (see ``common.signed_in``); the change is recorded under that
name in the audit log. Errors are one line (or a short list), exit status 1, and change
nothing.
"""

from __future__ import annotations

from marker_tui.services.centre import Centre

import json
from datetime import datetime
from pathlib import Path

import click

from marker_tui.domain import start_time
from marker_tui.domain.clock import SystemClock
from marker_tui.domain.timing import format_duration
from marker_tui.interfaces.cli.common import (
    database,
    local_time,
    signed_in,
    staff_options,
    table,
    user_errors,
    visible,
)
from marker_tui.domain.roles import Permission, roles_for
from marker_tui.storage.database import Database, read_transaction
from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS

# Who may run the room, as the sign-in check wants it (the permission table decides).
INVIGILATORS = roles_for(Permission.RUN_ROOM)


def _json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


# --- sitting ------------------------------------------------------------------------------


def _services(db: Database):

    return Centre(db=db).sittings


def _parse_when(text: str | None) -> datetime | None:
    """--starts-at, read as the admin screen reads it (domain/start_time.py)."""
    if text is None:
        return None
    try:
        return start_time.parse_start(text, SystemClock().now())
    except start_time.StartTimeError as error:
        raise click.BadParameter(str(error), param_hint="--starts-at") from None


@click.group("sitting")
def sitting() -> None:
    """Create and run sittings: enrol, open, start, pause, resume, extend, end, status, log."""


@sitting.command("create")
@click.option("--qualification", required=True, metavar="NUMBER", help="e.g. 3818-13")
@click.option("--unit", required=True, metavar="UNIT", help="e.g. 304")
@click.option("--code", metavar="CODE", help="Choose the code learners type (default: e.g. 304-K7QM).")
@click.option("--starts-at", metavar="WHEN", help="Planned start, e.g. 2026-03-02T09:30 (local time).")
@staff_options
@click.option("--papers-dir", type=click.Path(path_type=Path), default=SHIPPED_PAPERS, hidden=True)
@click.option("--markschemes-dir", type=click.Path(path_type=Path), default=SHIPPED_MARKSCHEMES, hidden=True)
def create(qualification: str, unit: str, code: str | None, starts_at: str | None,
           papers_dir: Path, markschemes_dir: Path) -> None:
    """Create a sitting of a unit's paper and print the code learners will type."""
    from marker_tui.services.unit_of_work import authorise

    when = _parse_when(starts_at)
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        with read_transaction(db):
            actor = authorise(db, by, Permission.RUN_ROOM)
        paper = Centre(db=db).papers.ensure_paper(
            qualification, unit, papers_dir=papers_dir, markschemes_dir=markschemes_dir, actor=actor)
        created = _services(db).create_sitting(paper.id, by=by, code=code, starts_at=when)
    click.echo(
        f"Created sitting {created.code}: {created.qualification} unit {created.unit} "
        f"(paper version {created.paper_version}, {created.time_allowance_minutes} minutes)"
        + (f", planned start {local_time(created.scheduled_start, True)}" if created.scheduled_start else "")
        + ". Learners type this code:", err=True)
    click.echo(created.code)


@sitting.command("enrol")
@click.argument("code")
@click.argument("candidates", nargs=-1)
@click.option("--all", "all_candidates", is_flag=True, help="Enrol every known candidate.")
@staff_options
def enrol(code: str, candidates: tuple[str, ...], all_candidates: bool) -> None:
    """Enrol candidates (by candidate number) in a sitting; all or nothing."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        report = _services(db).enrol(code, list(candidates), all_candidates=all_candidates, by=by)
    if report.enrolled:
        click.echo(f"Enrolled in {report.code}: {', '.join(report.enrolled)}")
    if report.already_enrolled:
        click.echo(f"Already enrolled: {', '.join(report.already_enrolled)}")


def _candidate_option(help_text: str):
    return click.option("--candidate", "candidate", metavar="NUMBER", help=help_text)


@sitting.command("open")
@click.argument("code")
@click.option("--reason", metavar="TEXT", help="Optional note for the log.")
@_candidate_option("Not used: opening applies to the whole room.")
@staff_options
def open_(code: str, reason: str | None, candidate: str | None) -> None:
    """Let learners log in and read the instructions (the clock does not run yet)."""
    if candidate:
        raise click.UsageError("A sitting is opened for the whole room; leave out --candidate.")
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        summary = _services(db).open(code, by=by, reason=reason)
    click.echo(f"Sitting {summary.code} is open: learners can log in with the code {summary.code}.")


@sitting.command("start")
@click.argument("code")
@_candidate_option("Start one logged-in candidate's clock (e.g. sitting apart).")
@click.option("--reason", metavar="TEXT", help="Optional note for the log.")
@staff_options
def start(code: str, candidate: str | None, reason: str | None) -> None:
    """Start the clock for everyone logged in (latecomers get their full time from their own login)."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        summary = _services(db).start(code, by=by, candidate_number=candidate, reason=reason)
    if candidate:
        click.echo(f"Candidate {candidate.strip().upper()}'s clock started in sitting {summary.code}.")
    else:
        click.echo(f"Sitting {summary.code} started at {local_time(summary.started_at)}.")


@sitting.command("pause")
@click.argument("code")
@_candidate_option("Pause only this candidate.")
@click.option("--reason", metavar="TEXT", help="Why (required).")
@staff_options
def pause(code: str, candidate: str | None, reason: str | None) -> None:
    """Stop the clock for the room or one candidate (paused time never counts)."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        summary = _services(db).pause(code, reason=reason or "", by=by, candidate_number=candidate)
    who = f"candidate {candidate.strip().upper()}" if candidate else "the whole room"
    click.echo(f"Paused {who} in sitting {summary.code}.")


@sitting.command("resume")
@click.argument("code")
@_candidate_option("Resume only this candidate.")
@click.option("--reason", metavar="TEXT", help="Why (required).")
@staff_options
def resume(code: str, candidate: str | None, reason: str | None) -> None:
    """Restart the clock after a pause."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        summary = _services(db).resume(code, reason=reason or "", by=by, candidate_number=candidate)
    who = f"candidate {candidate.strip().upper()}" if candidate else "the whole room"
    click.echo(f"Resumed {who} in sitting {summary.code}.")


@sitting.command("extend")
@click.argument("code")
@click.option("--candidate", required=True, metavar="NUMBER", help="Whose time to extend.")
@click.option("--minutes", required=True, type=int, metavar="M", help="Extra minutes (a positive whole number).")
@click.option("--reason", metavar="TEXT", help="Why (required).")
@staff_options
def extend(code: str, candidate: str, minutes: int, reason: str | None) -> None:
    """Give one candidate extra minutes (recorded with reason, who and when)."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        status = _services(db).extend(code, candidate_number=candidate, minutes=minutes,
                                      reason=reason or "", by=by)
    click.echo(f"Candidate {status.candidate_number} now has {format_duration(status.time_allowed)} in all, "
               f"{format_duration(status.time_left)} left.")


@sitting.command("end")
@click.argument("code")
@_candidate_option("End only this candidate's assessment.")
@click.option("--reason", metavar="TEXT", help="Why (required while anyone still has time).")
@staff_options
def end(code: str, candidate: str | None, reason: str | None) -> None:
    """End the sitting for everyone, or one candidate: their saved answers are submitted."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        summary = _services(db).end(code, by=by, reason=reason, candidate_number=candidate)
    if candidate:
        click.echo(f"Ended candidate {candidate.strip().upper()}'s assessment in sitting {summary.code}.")
    else:
        click.echo(f"Sitting {summary.code} ended at {local_time(summary.ended_at)}.")


@sitting.command("status")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@staff_options
def status(code: str, as_json: bool) -> None:
    """Per candidate: state, time allowed, used and left, questions answered, last save."""
    db = database(create=False)
    signed_in(db, *INVIGILATORS)
    with user_errors():
        report = _services(db).status(code)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    head = (f"Sitting {report.code}: {report.qualification} unit {report.unit}"
            + (f" {report.paper_title!r}" if report.paper_title else "")
            + f", paper version {report.paper_version}, {report.time_allowance_minutes} minutes")
    state = report.state.value + (" (room paused)" if report.room_paused else "")
    if report.started_at:
        state += f", started {local_time(report.started_at)}"
    if report.ended_at:
        state += f", ended {local_time(report.ended_at)}"
        if report.end_reason:
            state += f" ({report.end_reason})"
    click.echo(visible(head))
    click.echo(visible(f"State: {state}. As of {local_time(report.as_of)}."))
    if not report.candidates:
        click.echo("Nobody is enrolled yet (marker-tui sitting enrol CODE CANDIDATE... --by NAME).")
        return
    rows = []
    for c in report.candidates:
        extra = f"+{c.extra_time_percent}%" if c.extra_time_percent else ""
        ext = sum(e.minutes for e in c.extensions)
        if ext:
            extra = (extra + " " if extra else "") + f"+{ext}m"
        rows.append([
            c.candidate_number, visible(c.name), c.state.value, format_duration(c.time_allowed),
            format_duration(c.time_used), format_duration(c.time_left),
            f"{c.questions_answered}/{c.questions_total}", local_time(c.last_save_at), extra or "-",
        ])
    click.echo(table(["Candidate", "Name", "State", "Allowed", "Used", "Left", "Answered", "Last save",
                      "Extra"], rows))


@sitting.command("log")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@staff_options
def log(code: str, as_json: bool) -> None:
    """The sitting's audit trail, oldest first."""
    db = database(create=False)
    signed_in(db, *INVIGILATORS)
    with user_errors():
        entries = _services(db).log(code)
    if as_json:
        _json([e.model_dump(mode="json") for e in entries])
        return
    for e in entries:
        who = e.actor + (f" [candidate {e.candidate_number}]" if e.candidate_number and
                         not e.actor.startswith("candidate") else "")
        details = "; ".join(f"{k}: {v}" for k, v in e.details.items() if v not in (None, [], ""))
        click.echo(visible(f"{local_time(e.at, True)}  {who}  {e.action}" + (f"  ({details})" if details else "")))


@sitting.command("list")
def list_() -> None:
    """Every sitting, newest last (codes and states only: no sign-in needed)."""
    db = database(create=False)
    with user_errors():
        summaries = _services(db).sittings()
    if not summaries:
        click.echo("No sittings yet.")
        return
    click.echo(table(
        ["Code", "Qualification", "Unit", "State", "Planned", "Started", "Ended"],
        [[s.code, s.qualification, s.unit, s.state.value, local_time(s.scheduled_start, True),
          local_time(s.started_at, True), local_time(s.ended_at, True)] for s in summaries]))



@sitting.command("slips")
@click.argument("code")
@click.option("-o", "--output", "output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE", help="FILE.csv (one row per candidate) or FILE.txt (printable slips); '-' prints them.")
@click.option("--candidate", "candidates", multiple=True, metavar="NUMBER",
              help="Only this candidate (a lost slip); repeat for more. Default: everyone still to sit.")
@staff_options
def slips(code: str, output: Path, candidates: tuple[str, ...]) -> None:
    """Issue admission slips: a new keycode per candidate (earlier keycodes stop working)."""
    from marker_tui.documents.admission_slips import slips_text, write_slips

    if str(output) != "-" and output.suffix.lower() not in (".csv", ".txt"):
        # Anything else was written as plain text under that name: a ".docx" Word could not open.
        raise click.ClickException(f"Write the slips to FILE.csv (one row per candidate) or FILE.txt (printable "
                                   f"slips), or '-' to print them; {output.name!r} is neither. No keycodes were "
                                   "issued.")
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    if str(output) != "-":
        try:  # before issuing: codes issued into a file that cannot be written would be lost
            output.parent.mkdir(parents=True, exist_ok=True)
            output.with_name(output.name + ".partial").touch()
        except OSError as error:
            raise click.ClickException(f"Cannot write {output}: {error.strerror or error}. "
                                       "No keycodes were issued.") from None
    with user_errors():
        try:
            issued = _services(db).issue_keycodes(code, by=by, candidate_numbers=list(candidates) or None)
        except BaseException:
            if str(output) != "-":
                output.with_name(output.name + ".partial").unlink(missing_ok=True)
            raise
    if str(output) == "-":
        click.echo(slips_text(issued), nl=False)
        return
    try:
        write_slips(issued, output)
    except OSError as error:
        raise click.ClickException(
            f"Cannot write {output}: {error.strerror or error}. The keycodes were issued but not saved: "
            "run the command again with another file (that issues new keycodes).") from None
    click.echo(f"{len(issued.slips)} admission slip(s) for sitting {issued.sitting_code} written to {output}. "
               "Earlier keycodes for them no longer work.")


@sitting.command("approve-move")
@click.argument("code")
@click.option("--candidate", required=True, metavar="NUMBER", help="Whose script moves terminal.")
@staff_options
def approve_move(code: str, candidate: str) -> None:
    """Let the terminal asking for a candidate's script take it over (desk move, crashed terminal)."""
    db = database(create=False)
    by = signed_in(db, *INVIGILATORS).name
    with user_errors():
        status = _services(db).approve_takeover(code, candidate, by=by)
    click.echo(visible(f"Candidate {status.candidate_number}'s script moved to terminal {status.terminal}; "
                       "the old terminal can no longer save."))
