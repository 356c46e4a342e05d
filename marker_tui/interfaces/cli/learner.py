"""``marker-tui learner ...``: a learner's rights over the data held about them.

* ``marker-tui learner export NUMBER [-o DIR] --by ADMIN``: a subject access
  export, everything held about one learner as a readable Word document and a
  machine-readable JSON file (``subject-access-NUMBER-DATE.docx`` / ``.json``).
  Only an administrator may run it; the request is in the audit log.
"""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, user_errors, visible


@click.group("learner")
def learner() -> None:
    """A learner's personal data: subject access exports."""


@learner.command("export")
@click.argument("candidate_number")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="The folder to write the two files into.")
@staff_options
def export(candidate_number: str, out_dir: Path) -> None:
    """Write everything held about one learner (a subject access request)."""
    centre = open_centre()
    by = signed_in(centre.db, *roles_for(Permission.ADMINISTER)).name
    with user_errors():
        paths = centre.data_protection.export_subject_access(candidate_number, out_dir, by=by)
    for path in paths:
        click.echo(visible(f"Wrote {path}"))
