"""``marker-tui import-handbook``: a qualification handbook to a ``spec.yaml``."""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.handbook import HandbookImport, parse_handbook, summary, unit_summaries
from marker_tui.storage.handbook_files import HandbookReadError
from marker_tui.storage.handbook_pdf import read_handbook
from marker_tui.storage.spec_writer import (
    GAP_MARKER,
    import_header,
    specification_yaml,
    write_text_file,
)


def _say(kind: str, where: str, message: str) -> None:
    click.echo(f"{kind}: {where}: {message}", err=True)


@click.command("import-handbook")
@click.argument("handbook", type=click.Path(dir_okay=True, path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
    help="Write the specification here (default: print it).",
)
@click.option(
    "--partial", is_flag=True,
    help=f"Write what could be read even if some values could not; each gap is marked {GAP_MARKER}.",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists already.")
def import_handbook(handbook: Path, output: Path | None, partial: bool, force: bool) -> None:
    """Read a qualification HANDBOOK (.pdf, .md, .txt or .docx) and write its test specification.

    Every inconsistency in the handbook is kept as stated and reported as a warning.
    If anything cannot be read, nothing is written (unless --partial is given).
    An existing output file is never replaced without --force, and the handbook itself never.
    """
    if output is not None:
        try:
            same = output.exists() and handbook.exists() and output.resolve() == handbook.resolve()
        except OSError:
            same = False
        if same:
            click.echo(f"error: nothing written: {output} is the handbook being read; choose another file for "
                       "the specification (e.g. spec.yaml)", err=True)
            raise SystemExit(1)
        if output.exists() and not force:
            click.echo(f"error: nothing written: {output} already exists; choose another name, or add --force "
                       "to replace it", err=True)
            raise SystemExit(1)
    try:
        text, pages = read_handbook(handbook)
        result = parse_handbook(text, pages)
        _report(result, partial)
        if result.gaps and not partial:
            count = len(result.gaps)
            click.echo(
                f"error: nothing written: {count} thing{'s' if count != 1 else ''} could not be read "
                f"from {handbook.name}; correct the handbook text, or use --partial to write a file "
                f"with each gap marked {GAP_MARKER}",
                err=True,
            )
            raise SystemExit(1)
        body = specification_yaml(
            result.specification if result.specification is not None else result.data,
            header=import_header(result, handbook.name),
            gaps=result.gaps,
        )
        if output is None:
            click.echo(body, nl=False)
        else:
            if not output.parent.is_dir():
                click.echo(f"error: cannot write {output}: folder {output.parent} does not exist", err=True)
                raise SystemExit(1)
            write_text_file(output, body)
        done = "written" if result.complete else f"written INCOMPLETE ({len(result.gaps)} marked {GAP_MARKER})"
        target = output if output is not None else "standard output"
        click.echo(
            f"{target}: {done}: {summary(result)}, {len(result.warnings)} "
            f"warning{'s' if len(result.warnings) != 1 else ''}",
            err=True,
        )
    except HandbookReadError as error:
        click.echo(f"error: {error}", err=True)
        raise SystemExit(1) from None
    except OSError as error:
        click.echo(f"error: cannot write {output}: {error.strerror or error}", err=True)
        raise SystemExit(1) from None
    except (SystemExit, click.exceptions.Exit, click.ClickException):
        raise
    except Exception as error:  # a bug in the reader: say so plainly, never a traceback
        click.echo(
            f"error: the import failed unexpectedly ({type(error).__name__}: {error}); "
            "nothing was written. Please report this with the handbook file.",
            err=True,
        )
        raise SystemExit(1) from None


def _report(result: HandbookImport, partial: bool) -> None:
    # What was read, unit by unit, before what is wrong with it: a person checks these
    # figures against the handbook's tables.
    for line in unit_summaries(result):
        click.echo(f"read: {line}", err=True)
    for finding in result.warnings:
        _say("warning", finding.where, finding.message)
    for finding in result.gaps:
        _say("gap" if partial else "error", finding.where, finding.message)
