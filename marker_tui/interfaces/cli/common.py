"""What every ``marker-tui`` sub-command shares: the database, errors, tables, ``--by``."""

from __future__ import annotations

import contextlib
import sqlite3
import unicodedata
from collections.abc import Iterator
from datetime import datetime

import click

from marker_tui.services.audit import ServiceError
from marker_tui.storage.database import Database, StorageError, open_database
from marker_tui.storage.locations import database_path

BY_ENV = "MARKER_TUI_BY"


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn every expected failure into a one-line message and exit status 1 (no traceback)."""
    try:
        yield
    except (ServiceError, StorageError) as error:
        raise click.ClickException(str(error)) from None
    except sqlite3.Error as error:
        raise click.ClickException(f"database problem: {error}; nothing was changed.") from None
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise click.ClickException(f"{error.strerror or error}{where}") from None


def database(*, create: bool) -> Database:
    """The database chosen by --db / MARKER_TUI_DB / the default."""
    path = chosen_database_path()
    try:
        with user_errors():
            return open_database(path, create=create)
    except click.ClickException as error:
        if not path.exists():
            error.message += (" Start by adding the first staff member (an admin): "
                              "marker-tui staff add NAME --role admin")
        raise


def visible(text: object) -> str:
    """Make control characters visible, so stored text can never drive the terminal."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch) == "Cc" and ch not in "\n":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def local_time(instant: datetime | None, with_date: bool = False) -> str:
    if instant is None:
        return "-"
    return instant.astimezone().strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def by_option(required: bool = True):
    return click.option(
        "--by", "by", metavar="NAME", envvar=BY_ENV, required=required,
        help=f"The staff member doing this (recorded in the audit log; or set {BY_ENV}).",
    )


def chosen_database_path():
    """The path chosen by --db / MARKER_TUI_DB / the default."""
    from marker_tui.interfaces.cli.main import CliContext

    obj = click.get_current_context().find_object(CliContext)
    return obj.db_path if obj is not None else database_path(None)


def open_centre(*, create: bool = False, centre_class=None):
    """A :class:`~marker_tui.services.centre.Centre` on the chosen database (for the screens' commands)."""
    from marker_tui.services.centre import Centre

    with user_errors():
        return (centre_class or Centre).open(chosen_database_path(), create=create)
