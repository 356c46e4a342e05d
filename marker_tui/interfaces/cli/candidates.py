"""``marker-tui candidates ...``: import a class list, add or edit one learner, list them."""

from __future__ import annotations

from marker_tui.services.centre import Centre

from pathlib import Path

import click

from marker_tui.interfaces.cli.common import database, signed_in, staff_options, table, user_errors, visible
from marker_tui.domain.arrangements import EXAMPLE, WRITTEN_FORM, ArrangementKind
from marker_tui.domain.roles import Permission, roles_for
from marker_tui.services.candidates import COLUMNS, EDITORS

_ARRANGEMENT_HELP = (f"An access arrangement, written {WRITTEN_FORM!r}, e.g. {EXAMPLE!r}; repeat for each "
                     "(kinds: " + ", ".join(k.value for k in ArrangementKind) + "). Extra time above the "
                     "centre's cap needs an admin, with the reason after 'extra time:'.")


def _listed(arrangement: tuple[str, ...], arrangements: str | None) -> str | None:
    """--arrangement (repeated) and --arrangements (one ';'-separated text) as one written list."""
    if not arrangement and arrangements is None:
        return None
    return "; ".join([*arrangement, *([arrangements] if arrangements else [])])


@click.group("candidates")
def candidates() -> None:
    """Learners: import from CSV, add, edit, list."""


@candidates.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change, and write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Import without asking (for scripts); the preview is still shown.")
@staff_options
def import_(csv_file: Path, dry_run: bool, yes: bool) -> None:
    """Import candidates from a CSV file; all or nothing, after a preview.

    \b
    Columns (header on the first line, any order):
      candidate_number     required; letters, digits, - or /, up to 20
      name                 required
      extra_time_percent   optional whole number 0-400
      access_arrangements  optional; separated by ";", each written
                           kind[: detail] | evidence seen | approved by | date
                           e.g. "reader | Form 8 on file | Sam Senco | 2026-09-12"
    For a candidate already stored, a column the file leaves out, or an empty
    cell, keeps the stored value; write none in a cell to clear it.
    What would change (per candidate, from -> to) is shown first, then you are
    asked to confirm; --yes imports without asking, --dry-run only shows.
    Every bad row is reported by line number and nothing is imported until the
    file is clean. Importing the same file again changes nothing.
    """
    db = database(create=False)
    by = signed_in(db, *EDITORS).name
    service = Centre(db=db).candidates
    with user_errors():
        preview = service.preview_import(csv_file, by=by)
    for line in preview.lines():
        click.echo(visible(line))
    if preview.writes_nothing:
        click.echo("Nothing to change; nothing was written.")
        return
    if dry_run:
        click.echo("Dry run: nothing was written.")
        return
    if not yes and not click.confirm("Import these changes?", default=False):
        click.echo("Not imported; nothing was written.")
        return
    with user_errors():
        report = service.import_csv(csv_file, by=by, expect=preview)
    click.echo(f"Imported {csv_file}: {len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged.")


@candidates.command("add")
@click.argument("candidate_number")
@click.argument("name")
@click.option("--extra-time", "extra_time", default="0", metavar="PERCENT", help="Extra time %, e.g. 25.")
@click.option("--arrangement", "arrangement", multiple=True, metavar="TEXT", help=_ARRANGEMENT_HELP)
@click.option("--arrangements", default=None, metavar="TEXT", help="Several arrangements, separated by ';'.")
@staff_options
def add(candidate_number: str, name: str, extra_time: str, arrangement: tuple[str, ...],
        arrangements: str | None) -> None:
    """Add one candidate (each access arrangement with its evidence)."""
    db = database(create=False)
    by = signed_in(db, *EDITORS).name
    with user_errors():
        added = Centre(db=db).candidates.add(candidate_number, name, extra_time,
                                                        _listed(arrangement, arrangements) or "", by=by)
    click.echo(visible(f"Added candidate {added.candidate_number} {added.name}"
                       + (f" (+{added.extra_time_percent}% time)" if added.extra_time_percent else "") + "."))


@candidates.command("edit")
@click.argument("candidate_number")
@click.option("--name", metavar="NAME")
@click.option("--extra-time", "extra_time", metavar="PERCENT")
@click.option("--arrangement", "arrangement", multiple=True, metavar="TEXT",
              help=_ARRANGEMENT_HELP + " Replaces the candidate's list.")
@click.option("--arrangements", metavar="TEXT", help="The whole list, separated by ';' (none: no arrangements).")
@staff_options
def edit(candidate_number: str, name: str | None, extra_time: str | None, arrangement: tuple[str, ...],
         arrangements: str | None) -> None:
    """Change a candidate's name, extra time or access arrangements (the whole list)."""
    listed = _listed(arrangement, "" if (arrangements or "").strip().lower() == "none" else arrangements)
    if name is None and extra_time is None and listed is None:
        raise click.UsageError("Say what to change: --name, --extra-time, --arrangement or --arrangements.")
    db = database(create=False)
    by = signed_in(db, *EDITORS).name
    with user_errors():
        changed = Centre(db=db).candidates.edit(
            candidate_number, name=name, extra_time_percent=extra_time, access_arrangements=listed, by=by)
    click.echo(visible(f"Candidate {changed.candidate_number}: {changed.name}, "
                       f"extra time {changed.extra_time_percent}%."))


@candidates.command("list")
@staff_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """Every candidate (signed in as an admin or invigilator)."""
    db = database(create=False)
    signed_in(db, *EDITORS)
    with user_errors():
        everyone = Centre(db=db).candidates.all()
    if as_json:
        click.echo("[" + ",".join(c.model_dump_json() for c in everyone) + "]")
        return
    if not everyone:
        click.echo(f"No candidates yet. Import a CSV with columns {','.join(COLUMNS)}.")
        return
    click.echo(table(["Candidate", "Name", "Extra time", "Access arrangements"],
                     [[c.candidate_number, visible(c.name), f"{c.extra_time_percent}%",
                       visible(c.in_words()) or "-"] for c in everyone]))


@candidates.command("show")
@click.argument("candidate_number")
@staff_options
def show(candidate_number: str) -> None:
    """One candidate: each access arrangement with its evidence, and what applied in each sitting."""
    db = database(create=False)
    by = signed_in(db, *EDITORS).name
    with user_errors():
        found = Centre(db=db).candidates.record(candidate_number, by=by)
    c = found.candidate
    click.echo(visible(f"{c.candidate_number} {c.name}, extra time {c.extra_time_percent}%"))
    if not c.arrangements:
        click.echo("No access arrangements.")
    else:
        click.echo(table(["Arrangement", "Evidence"],
                         [[visible(a.text()), visible(a.evidence_text())] for a in c.arrangements]))
    for s in found.sittings:
        # Only a script not yet started (nor ended) follows a change to the candidate.
        state = s.state()
        if state == "not started":
            state += ": follows changes"
        click.echo(visible(f"Sitting {s.sitting_code}{f' ({state})' if state else ''}: {s.used()}"))


@candidates.command("extra-time-cap")
@click.argument("percent", required=False)
@staff_options
def extra_time_cap(percent: str | None) -> None:
    """Show the centre's cap on extra time, or (an admin) set it; above it only an admin may grant, with a reason."""
    db = database(create=False)
    if percent is None:
        signed_in(db, *EDITORS)
        click.echo(f"Extra time cap: {Centre(db=db).candidates.extra_time_cap()}%")
        return
    by = signed_in(db, *roles_for(Permission.ADMINISTER)).name
    with user_errors():
        new = Centre(db=db).candidates.set_extra_time_cap(percent, by=by)
    click.echo(f"Extra time cap set to {new}%.")
