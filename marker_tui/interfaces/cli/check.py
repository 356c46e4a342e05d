"""``marker-tui check``: validate specifications, papers and mark schemes together."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.storage.assessment_files import load_library
from marker_tui.storage.file_limits import FileRefused, check_openable
from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print errors only, not warnings.")
def check(paths: tuple[Path, ...], quiet: bool) -> None:
    """Validate papers and mark schemes against their specification."""
    targets = list(paths) or [SHIPPED_PAPERS, SHIPPED_MARKSCHEMES]
    for target in targets:
        if not target.is_dir():
            try:
                check_openable(target, what="YAML file")
            except FileRefused as refused:
                raise click.ClickException(str(refused)) from None
    library = load_library(paths=targets)
    for finding in library.findings:
        if quiet and finding.severity != "error":
            continue
        click.echo(str(finding), err=finding.severity == "error")
    checked = len([f for f in library.files if f.path.exists()])
    errors, warnings = len(library.errors), len(library.warnings)
    summary = f"checked {checked} file{'s' if checked != 1 else ''}: {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
    click.echo(summary)
    if errors:
        raise SystemExit(1)
