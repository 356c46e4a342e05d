"""``marker-tui register CODE [-o DIR]``: a sitting's attendance register and seating plan.

Present, late (minutes) or absent, arrival and finishing times, the terminal each
candidate sat at, and their access arrangements, as ``attendance-CODE.docx`` (to
print and sign) and ``attendance-CODE.csv``. For invigilators and admins; audited.
"""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, user_errors, visible


@click.command("register")
@click.argument("code")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="The folder to write the register into.")
@staff_options
def register(code: str, out_dir: Path) -> None:
    """Write a sitting's attendance register and seating plan (.docx and .csv)."""
    centre = open_centre()
    by = signed_in(centre.db, *roles_for(Permission.RUN_ROOM)).name
    with user_errors():
        paths = centre.attendance.export_register(code, out_dir, by=by)
    for path in paths:
        click.echo(visible(f"Wrote {path}"))
