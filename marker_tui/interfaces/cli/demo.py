"""``marker-tui demo``: build the demo centre (staff, candidates, an open sitting, a sat one)."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.interfaces.cli.common import user_errors

#: Who builds the demo's EQA pack: the demo centre's IQA lead.
DEMO_IQA = "Quinn Quality"


def demo_eqa_pack(path: Path) -> Path:
    """The finished EQA sample pack for sitting 305-DEMO, beside the demo database (issue 19.5):
    what the external quality assurer would be handed, candidate numbers only. The demo database
    itself holds no files; this is the interface's choice of folder, as every export's is."""
    from marker_tui.services.centre import Centre
    from marker_tui.services.demo import SAT_CODE

    base = path.with_name(f"{path.stem}-exports")
    folder, n = base, 1
    while folder.exists():  # a rebuilt demo never writes over an earlier pack
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    centre = Centre.open(path, create=False)
    try:
        return Path(centre.eqa.export_pack(SAT_CODE, folder, by=DEMO_IQA, names=False).folder)
    finally:
        centre.close()


@click.command("demo")
@click.option("--db", "db_option", metavar="PATH",
              help="Where to build the demo database (default: the database marker-tui uses, see --help).")
@click.option("--force", is_flag=True,
              help="Replace a database that already holds staff, candidates or sittings "
                   "(a safety copy of it is kept beside it).")
@click.option("--if-missing", is_flag=True,
              help="Build only if there is no database there yet; otherwise say so and do nothing.")
@click.pass_context
def demo(ctx: click.Context, db_option: str | None, force: bool, if_missing: bool) -> None:
    """Build a demo centre to try every role: staff with PINs, 12 candidates, sittings of units 304 and 305.

    \b
    Sitting 304-DEMO is open and ready to start; 305-DEMO was sat yesterday and
    is partly marked. The demo staff and their PINs are printed at the end.
    A database that already holds a centre's data is never replaced without --force.
    """
    from marker_tui.interfaces.cli.main import CliContext
    from marker_tui.services.demo import build_demo
    from marker_tui.storage.locations import database_path

    obj = ctx.find_object(CliContext)
    path = database_path(db_option) if db_option else (obj.db_path if obj is not None else database_path(None))
    path = Path(path)
    if if_missing and path.exists() and path.stat().st_size > 0:
        click.echo(f"A database already exists at {path}; the demo was not built.")
        return
    with user_errors():
        report = build_demo(path, force=force)
        pack = demo_eqa_pack(path)
    for line in report.lines():
        click.echo(line)
    click.echo(f"The EQA sample pack for {report.sat_code}, as the external quality assurer gets it: {pack}")
