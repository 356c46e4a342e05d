"""``marker-tui mark`` (the marker's screen) and ``marker-tui marks ...`` (paper marking, progress).

* ``marker-tui mark [CODE]``: sign in with a staff name and PIN (marker role),
  then the marking queue of sitting CODE (or a list of sittings to choose from).
* ``marker-tui marks import CODE FILE.csv --by NAME``: marks given on paper,
  all-or-nothing, every bad row reported by line; recorded as entered by the
  signed-in importer, the CSV's ``marker`` column kept as the paper marker.
* ``marker-tui marks status CODE --by NAME``: marked/unmarked per script and per marker.
* ``marker-tui marks complete CODE [SCRIPT ...] --by NAME``: sign fully marked
  scripts off as complete (after an import, for instance).
* ``marker-tui marks blind CODE --off/--on --by ADMIN``: blind marking for one
  sitting (on by default; every change is logged).

Every command but ``mark`` (which signs in on screen) and showing the blind
setting signs the staff member in first: ``--by NAME`` and their PIN (asked with
no echo, or ``--pin-stdin``; see ``common.signed_in``).

Script numbers are the anonymous ones markers see; candidate numbers and names
appear only where the sitting is not (or no longer) blind.
"""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.clock import SystemClock
from marker_tui.interfaces.cli.common import (
    database,
    local_time,
    open_centre,
    signed_in,
    staff_options,
    table,
    user_errors,
    visible,
)
from marker_tui.domain.roles import Permission, may, roles_for

# Who may do what here (the marking service checks the same roles again).
MARKERS = roles_for(Permission.MARK)
READERS = roles_for(Permission.READ_MARKS)
ADMINS = roles_for(Permission.ADMINISTER)


def _service(db):
    from marker_tui.services.centre import Centre

    return Centre(db=db, clock=SystemClock()).marking


def _centre(ctx: click.Context):
    return open_centre()


@click.command("mark")
@click.argument("code", required=False, metavar="[CODE]")
@click.pass_context
def mark(ctx: click.Context, code: str | None) -> None:
    """Mark scripts of sitting CODE on screen (staff name and PIN with the marker role asked on screen)."""
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.launch import run_app
    from marker_tui.interfaces.tui.screens.marking import marker_sign_in

    centre = _centre(ctx)
    try:
        if code:
            with user_errors():
                code = centre.sittings.summary(code).code
        run_app(MarkerApp(centre, start=marker_sign_in(code)))
    finally:
        centre.close()


@click.group("marks")
def marks() -> None:
    """Marks: import marks given on paper, marking progress, completion, blind marking."""


@marks.command("import")
@click.argument("code")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite marks already given (old values stay in the audit log).")
@click.option("--reason", metavar="TEXT", help="Why marks of scripts already marked complete are changed.")
@staff_options
def import_(code: str, csv_file: Path, replace: bool, reason: str | None) -> None:
    """Import marks for sitting CODE from a CSV file; all or nothing.

    \b
    Columns (header on the first line, any order, case ignored):
      script    required; the script number markers see (e.g. 4821)
      question  required; the question as the paper numbers it (e.g. 2a)
      marks     required; a whole number from 0 to the question's maximum
      comment   optional; comment to the learner
      marker    optional; who marked it on paper (kept as data: the marks are
                recorded as entered by you, the signed-in importer)
    Every bad row is reported by line and nothing is imported until the file is
    clean. Importing the same file again changes nothing; a row that would change
    a mark already given needs --replace.
    """
    db = database(create=False)
    by = signed_in(db, *MARKERS).name
    with user_errors():
        report = _service(db).import_marks_csv(code, csv_file, by=by, replace=replace, reason=reason)
    click.echo(f"Imported {csv_file} into sitting {report.code}: {report.added} mark(s) added, "
               f"{report.changed} changed, {report.unchanged} unchanged.")
    if report.scripts:
        click.echo(f"Scripts changed: {', '.join(report.scripts)}")


@marks.command("status")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@staff_options
def status(code: str, as_json: bool) -> None:
    """Marking progress of sitting CODE: per script and per marker (a marker, IQA reviewer or admin)."""
    from marker_tui.services.centre import Centre

    db = database(create=False)
    member = signed_in(db, *READERS)
    # The lead assessor sees control scripts counted apart; a marker sees their queue as their screen does,
    # control scripts mixed in and unmarked as such (counted without them, 9 against the queue's 10 told
    # the marker one was there).
    lead = may(member.roles, Permission.LEAD_MARKING)
    centre = Centre(db=db, clock=SystemClock())
    with user_errors():
        report = (centre.marking if lead else centre.marking_for(member.name)).status(code)
        controls = centre.standardisation.controls_in(code, by=member.name) if lead else []
    if as_json:
        # A control script's id is negative (services/control_desk.py): a marker is not shown ids.
        click.echo(report.model_dump_json(indent=2, exclude=None if lead else {
            "queue": {"rows": {"__all__": {"script_id"}}}}))
        return
    queue = report.queue
    counts = queue.counts()
    if queue.revealed:
        blind = "blind marking off" if not queue.blind else "blind marking (marking complete: names shown)"
    else:
        blind = "blind marking: candidate names shown once every script is complete"
    click.echo(visible(f"Sitting {queue.code} · {queue.qualification} unit {queue.unit} version "
                       f"{queue.paper_version} · sitting {queue.sitting_state} · {blind}"))
    click.echo(f"{len(queue.rows)} script(s) to mark: {counts['complete']} complete, "
               f"{counts['in progress']} in progress, {counts['unmarked']} unmarked"
               f" · {queue.absent} absent · {queue.still_writing} still writing")
    if controls:
        done = sum(1 for c in controls if c.completed_at is not None)
        given = ", ".join(dict.fromkeys(c.marker for c in controls))
        click.echo(visible(f"Control scripts (not counted above, not learners' scripts): {len(controls)}, "
                           f"{done} complete · given to {given}"))
    if queue.rows:
        headers = ["Script"] + (["Candidate", "Name"] if queue.revealed else []) + [
            "State", "Marked", "Total", "Result", "Held by", "Marked by"]
        rows = []
        for r in queue.rows:
            total = f"{r.provisional_total}/{r.available}"
            rows.append([r.script_number] + ([r.candidate_number or "", r.candidate_name or ""]
                                             if queue.revealed else []) + [
                str(r.state), f"{r.questions_marked}/{r.questions_total}", total, r.result,
                r.held_by or "-", ", ".join(r.markers) or "-"])
        click.echo("")
        click.echo(visible(table(headers, rows)))
    if report.markers:
        click.echo("")
        click.echo(visible(table(
            ["Marker", "Questions marked", "Scripts marked", "Completed", "Holding now"],
            [[p.name, str(p.questions_marked), str(p.scripts_marked), str(p.scripts_completed),
              ", ".join(p.holding) or "-"] for p in report.markers])))


@marks.command("complete")
@click.argument("code")
@click.argument("scripts", nargs=-1, metavar="[SCRIPT ...]")
@click.option("--all", "all_marked", is_flag=True, help="Every fully marked script not yet complete.")
@staff_options
def complete(code: str, scripts: tuple[str, ...], all_marked: bool) -> None:
    """Sign scripts of sitting CODE off as complete (each must have a mark for every question)."""
    if not scripts and not all_marked:
        raise click.UsageError("Name the script numbers to complete, or give --all.")
    db = database(create=False)
    by = signed_in(db, *MARKERS).name
    service = _service(db)
    with user_errors():
        queue = service.queue(code)
        if all_marked:
            targets = [r for r in queue.rows if r.state != "complete" and r.questions_marked == r.questions_total]
        else:
            by_number = {r.script_number: r for r in queue.rows}
            unknown = [s for s in scripts if s not in by_number]
            if unknown:
                raise click.ClickException(f"Sitting {queue.code} has no script {', '.join(unknown)}; nothing "
                                           "was completed.")
            targets = [by_number[s] for s in scripts]
        done = []
        for row in targets:
            result = service.complete(row.script_id, by=by)
            done.append(f"{row.script_number} ({result.result.total}/{result.result.available} "
                        f"{result.result.status})")
    if done:
        click.echo(f"Complete: {', '.join(done)}.")
    else:
        click.echo("No fully marked script was waiting to be completed.")


@marks.command("blind")
@click.argument("code")
@click.option("--on/--off", "blind", default=None, help="Hide (on, the default) or show candidates' names.")
@staff_options
def blind(code: str, blind: bool | None) -> None:
    """Show or change blind marking for sitting CODE (changing it needs an admin, and is logged)."""
    db = database(create=False)
    service = _service(db)
    with user_errors():
        if blind is None:
            setting = service.blind_setting(code)
        else:
            setting = service.set_blind(code, blind, by=signed_in(db, *ADMINS).name)
    state = "on: markers see script numbers only" if setting.blind else "off: markers see candidates' names"
    since = (f" (set by {setting.changed_by} at {local_time(setting.changed_at, with_date=True)})"
             if setting.changed_by else " (the default)")
    click.echo(visible(f"Blind marking for sitting {setting.code} is {state}{since}."))
