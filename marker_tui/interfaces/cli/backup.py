"""``marker-tui backup`` and ``marker-tui restore``."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.clock import SystemClock
from marker_tui.interfaces.cli.common import database, user_errors
from marker_tui.services.audit import Actor, record
from marker_tui.storage.backup import backup_database, restore_database
from marker_tui.storage.database import open_database, run_write


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
def backup(file: Path, overwrite: bool) -> None:
    """Copy the database safely, even while a sitting is running."""
    db = database(create=False)
    with user_errors():
        report = backup_database(db, file, overwrite=overwrite)
    click.echo(f"Backed up {report.source} to {report.target} ({report.bytes:,} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database with a backup (the current one is kept beside it)."""
    from marker_tui.interfaces.cli.main import CliContext

    target = click.get_current_context().find_object(CliContext).db_path
    if not yes:
        click.confirm(
            f"Replace {target} with {file}? Everything saved since that backup is set aside "
            "(kept in a safety copy)", abort=True)
    with user_errors():
        safety = restore_database(file, target)
        db = open_database(target)
        run_write(db, lambda d: record(d, at=SystemClock().now(), actor=Actor.system(), action="database restored",
                                       details={"from": str(file), "safety_copy": str(safety) if safety else None}))
    click.echo(f"Restored {target} from {file}.")
    if safety:
        click.echo(f"The database as it was is kept at {safety}.")
