"""``marker-tui eqa ...``: what the external quality assurer samples on a visit.

* ``marker-tui eqa propose CODE [--size N]``: the scripts marker-tui suggests
  (across markers, results and access arrangements), with why.
* ``marker-tui eqa pack CODE [-o DIR] [--candidate N ...] [--names] [--zip]``: the
  sample pack folder (cover sheet with checksums, paper and mark scheme, IQA
  record, each sampled script's answers, marks and feedback). Learners appear
  by candidate number unless an admin adds ``--names``.

Both need the IQA or admin role and your PIN.
"""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.roles import Permission, Role, roles_for
from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, table, user_errors, visible


@click.group("eqa")
def eqa() -> None:
    """The external quality assurer's sample: propose it, export the pack."""


@eqa.command("propose")
@click.argument("code")
@click.option("--size", type=click.IntRange(min=1), default=None, help="How many scripts (default: about √n, at least 3).")
@staff_options
def propose(code: str, size: int | None) -> None:
    """Show the sample marker-tui proposes, and why each script is in it."""
    centre = open_centre()
    by = signed_in(centre.db, *roles_for(Permission.READ_IQA)).name
    with user_errors():
        picks = centre.eqa.propose(code, by=by, size=size)
    click.echo(visible(table(["Candidate", "Why"], [[p.candidate_number, "; ".join(p.reasons)] for p in picks])))


@eqa.command("pack")
@click.argument("code")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True, help="Where to put the pack's folder.")
@click.option("--candidate", "candidates", multiple=True, metavar="NUMBER",
              help="A script to include (repeat it); without it, the proposed sample.")
@click.option("--size", type=click.IntRange(min=1), default=None, help="Size of the proposed sample.")
@click.option("--names", is_flag=True, help="Include learners' names (admin only); otherwise candidate numbers only.")
@click.option("--zip", "zip_it", is_flag=True, help="Also write the folder as one .zip file.")
@click.option("--reviewer", default=None, metavar="NAME",
              help="Whose IQA record goes in, when several reviewers have sampling plans for the sitting.")
@staff_options
def pack(code: str, out_dir: Path, candidates: tuple[str, ...], size: int | None, names: bool, zip_it: bool,
         reviewer: str | None) -> None:
    """Write the EQA sample pack for a sitting."""
    centre = open_centre()
    member = signed_in(centre.db, *roles_for(Permission.READ_IQA))
    if names and not member.has_any(Role.ADMIN.value):
        raise click.ClickException("Only an admin can put learners' names in an EQA pack; leave out --names "
                                   "to identify them by candidate number.")
    with user_errors():
        report = centre.eqa.export_pack(code, out_dir, by=member.name, candidates=list(candidates) or None,
                                        names=names, zip_it=zip_it, size=size, reviewer=reviewer)
    click.echo(visible(f"Wrote the EQA pack for {len(report.scripts)} scripts: {report.folder}"))
    for path in report.files:
        click.echo(visible(f"  {path.relative_to(report.folder)}"))
    if report.zip_file:
        click.echo(visible(f"and {report.zip_file}"))
