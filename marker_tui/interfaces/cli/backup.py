"""``marker-tui backup`` and ``marker-tui restore``: an admin's actions, checked and audited."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import (
    chosen_database_path, database, signed_in, staff_options, user_errors, visible,
)
from marker_tui.services.audit import Actor
from marker_tui.services.backup import check_restore, restore_backup, take_backup
from marker_tui.storage.backup import inspect_backup
from marker_tui.storage.database import open_database


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@staff_options
def backup(file: Path, overwrite: bool) -> None:
    """Copy the database safely, even while a sitting is running (admin; recorded in the audit log)."""
    db = database(create=False)
    member = signed_in(db, *roles_for(Permission.ADMINISTER))
    with user_errors():
        report = take_backup(db, file, by=Actor(label=member.name, staff_id=member.id), overwrite=overwrite)
    click.echo(f"Backed up {report.source} to {report.target} ({report.bytes:,} bytes, sha256 {report.sha256}).")
    if report.audit_head_id is not None:
        click.echo(f"Its audit log ends at #{report.audit_head_id} {report.audit_head_hash}.")


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="Restore even though sittings are open or running, saved answers or marks would be set "
                   "aside, or the backup's history differs (needs --reason).")
@click.option("--reason", metavar="TEXT", help="Why the restore is forced (kept in the audit log).")
@staff_options
def restore(file: Path, yes: bool, force: bool, reason: str | None) -> None:
    """Replace the database with a checked backup (admin; the current one is kept beside it).

    Refused while a sitting is open or running, or when answers, submissions or marks saved
    since the backup would be lost (it says how many and whose), unless --force --reason.
    """
    target = chosen_database_path()
    with user_errors():
        inspect_backup(file)  # a bad backup is refused before anyone is asked for anything
    scratch = None
    try:
        if target.exists():
            db = database(create=False)
            try:
                member = signed_in(db, *roles_for(Permission.ADMINISTER))
            finally:
                db.close()
            source = file
        else:
            # No database yet (a new machine): the person must be an admin of the backup itself. They
            # sign in on a scratch copy, so the backup file is never written to.
            scratch = Path(tempfile.mkdtemp(prefix=".restore-", dir=target.parent if target.parent.exists() else None))
            source = scratch / "backup.db"
            shutil.copyfile(file, source)
            with user_errors():
                copy = open_database(source)
            try:
                member = signed_in(copy, *roles_for(Permission.ADMINISTER))
            finally:
                copy.close()
        if not yes:
            with user_errors():  # what would be refused is refused before the admin is asked
                check_restore(source, target, force=force, reason=reason)
            click.confirm(f"Replace {target} with {file}? The database as it is now is kept in a safety copy",
                          abort=True)
        with user_errors():
            plan = restore_backup(source, target, by=Actor(label=member.name, staff_id=member.id),
                                  force=force, reason=reason, progress=_progress)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    click.echo(f"Restored {target} from {file} (sha256 {plan.backup.sha256}).")
    if plan.safety_copy:
        click.echo(f"The database as it was is kept at {plan.safety_copy}.")
    for line in _forced(plan):
        click.echo(visible(line))


def _forced(plan) -> list[str]:
    from marker_tui.services.backup import refusals

    return [f"Forced past: {r}." for r in refusals(plan)] if plan.live_exists else []


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty() and total:
        click.echo(f"\r{stage}: {100 * done // total}%", nl=False, err=True)
        if done == total:
            click.echo("", err=True)
