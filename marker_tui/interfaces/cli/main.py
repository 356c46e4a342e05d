"""The ``marker-tui`` command.

Sub-commands are imported only when used, so ``marker-tui sit`` (a learner's
terminal) does not pay for loading the exporters or the marking screens.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from marker_tui import __version__
from marker_tui.storage.locations import DB_ENV, database_path, default_database_path

# name -> "module:attribute" of a click command or group.  Order is the order in --help.
COMMANDS: dict[str, str] = {
    "check": "marker_tui.interfaces.cli.check:check",
    "import-handbook": "marker_tui.interfaces.cli.handbook:import_handbook",
    "sitting": "marker_tui.interfaces.cli.sitting:sitting",
    "candidates": "marker_tui.interfaces.cli.candidates:candidates",
    "staff": "marker_tui.interfaces.cli.staff:staff",
    "learner": "marker_tui.interfaces.cli.learner:learner",
    "retention": "marker_tui.interfaces.cli.retention:retention",
    "mark": "marker_tui.interfaces.cli.marking:mark",
    "marks": "marker_tui.interfaces.cli.marking:marks",
    "iqa": "marker_tui.interfaces.cli.iqa:iqa",
    "standardise": "marker_tui.interfaces.cli.standardise:standardise",
    "eqa": "marker_tui.interfaces.cli.eqa:eqa",
    "review": "marker_tui.interfaces.cli.review:review",
    "sit": "marker_tui.interfaces.cli.sitting_screens:sit",
    "invigilate": "marker_tui.interfaces.cli.sitting_screens:invigilate",
    "learner-server": "marker_tui.interfaces.cli.learner_server:learner_server",
    "register": "marker_tui.interfaces.cli.register:register",
    "export": "marker_tui.interfaces.cli.export:export",
    "backup": "marker_tui.interfaces.cli.backup:backup",
    "restore": "marker_tui.interfaces.cli.backup:restore",
    "audit": "marker_tui.interfaces.cli.audit:audit",
    "demo": "marker_tui.interfaces.cli.demo:demo",
}


@dataclass
class CliContext:
    """What every sub-command gets through ``click.pass_obj``."""

    db_option: str | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return database_path(self.db_option)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + sorted(set(super().list_commands(ctx)) - set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return super().get_command(ctx, name)
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


def _help_text() -> str:
    return (
        "Run short-answer assessments end to end: sit, invigilate, mark, quality-assure, export.\n\n"
        "With no command, opens the application.\n\n"
        f"The database is chosen by --db, else the {DB_ENV} environment variable, "
        f"else the default: {default_database_path()}"
    )


@click.group(cls=LazyGroup, invoke_without_command=True, help=_help_text())
@click.option(
    "--db",
    "db_option",
    metavar="PATH",
    envvar=DB_ENV,
    help=f"SQLite database file (or set {DB_ENV}).",
)
@click.option(
    "--demo-if-new",
    is_flag=True,
    help="If the database does not exist yet, build the demo centre there first (what `make run` does).",
)
@click.version_option(__version__, prog_name="marker-tui")
@click.pass_context
def cli(ctx: click.Context, db_option: str | None, demo_if_new: bool) -> None:
    global _chosen_db
    ctx.obj = CliContext(db_option=db_option)
    _chosen_db = ctx.obj.db_path
    if ctx.invoked_subcommand is None:
        from marker_tui.interfaces.tui.launch import open_app

        welcome = None
        if demo_if_new and not ctx.obj.db_path.exists():
            welcome = _build_demo(ctx.obj.db_path)
        open_app(ctx.obj.db_path, welcome=welcome)


def _build_demo(path: Path) -> str:
    from marker_tui.interfaces.cli.common import user_errors
    from marker_tui.interfaces.cli.demo import demo_eqa_pack
    from marker_tui.services.demo import build_demo

    with user_errors():
        report = build_demo(path)
        pack = demo_eqa_pack(path)
    click.echo("\n".join(report.lines()))
    click.echo(f"The EQA sample pack for {report.sat_code}: {pack}")
    pins = ", ".join(f"{s.name} {s.pin}" for s in report.staff)
    return (f"No database existed yet, so this is the demo centre ({path}). "
            f"Staff PINs: {pins}. Learners: sitting {report.open_code}, candidates 1001-1012. "
            f"The EQA pack for {report.sat_code} is in {pack}.")


_chosen_db: Path | None = None  # for the error log of an error no command expected


def main() -> None:
    try:
        cli(prog_name="marker-tui")
    except Exception as error:
        # Expected failures are one-line ClickExceptions already (common.user_errors); anything
        # else is a bug or a fault nobody foresaw: one line here, the details in the staff log.
        from marker_tui.storage.fault_log import record_fault

        logged = record_fault(error, where="command " + " ".join(sys.argv[1:3]), db_path=_chosen_db)
        where = (f"the details are in the staff error log: {logged}" if logged is not None
                 else "the details could not be written to the error log (is the disk full?)")
        click.echo(f"Error: marker-tui stopped after an unexpected error ({type(error).__name__}); "
                   f"a change being made was either saved whole or not at all; {where}", err=True)
        sys.exit(1)
