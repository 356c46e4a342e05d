"""What every ``marker-tui`` sub-command shares: the database, errors, tables, signing staff in."""

from __future__ import annotations

import contextlib
import getpass
import os
import sys
from collections.abc import Iterator
from datetime import datetime

import click

from marker_tui.domain.local_time import CLOCK, DATE_CLOCK, local_time as shown_local
from marker_tui.domain.visible_text import visible  # noqa: F401  (re-exported for every command)
from marker_tui.services.audit import ServiceError
from marker_tui.storage.database import Database, EngineError, StorageError, open_database
from marker_tui.storage.locations import database_path

BY_ENV = "MARKER_TUI_BY"


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn every expected failure into a one-line message and exit status 1 (no traceback)."""
    try:
        yield
    except (ServiceError, StorageError) as error:
        raise click.ClickException(visible(str(error))) from None
    except EngineError as error:
        raise click.ClickException(visible(f"database problem: {error}; nothing was changed.")) from None
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise click.ClickException(visible(f"{error.strerror or error}{where}")) from None


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


def local_time(instant: datetime | None, with_date: bool = False) -> str:
    return shown_local(instant, DATE_CLOCK if with_date else CLOCK)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


_SIGN_IN = "marker_tui.sign_in"


def staff_options(function):
    """Add ``--by NAME`` (or MARKER_TUI_BY) and ``--pin-stdin`` to a command.

    The command itself then calls :func:`signed_in` to get the authenticated
    staff member; the options are not passed to the command's function.
    """
    def remember(ctx: click.Context, param: click.Parameter, value):
        ctx.meta.setdefault(_SIGN_IN, {})[param.name] = value
        return value

    function = click.option(
        "--pin-stdin", "pin_stdin", is_flag=True, expose_value=False, callback=remember,
        help="Read your PIN from the first line of standard input (for scripts; "
             "otherwise it is asked for, hidden).")(function)
    function = click.option(
        "--by", "by", metavar="NAME", envvar=BY_ENV, expose_value=False, callback=remember,
        help=f"Who you are: a staff member's name (or set {BY_ENV}); your PIN is asked too.")(function)
    return function


def terminal_label() -> str:
    """Where a command came from, for the audit log: ``cli``, the terminal and the account."""
    where = "no terminal"
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                where = os.ttyname(fd)
                break
        except OSError:
            continue
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = None
    return f"cli {where}" + (f" (user {user})" if user else "")


def read_pin_line(what: str) -> str:
    """The next line of standard input, for ``--pin-stdin`` (never a command-line argument)."""
    line = sys.stdin.readline()
    pin = line.rstrip("\r\n")
    if not pin:
        raise click.ClickException(f"--pin-stdin: expected {what} on the next line of standard input.")
    return pin


def signed_in(db: Database, *roles: str, clock=None):
    """The staff member running this command, authenticated: name, PIN, then role.

    Call it from a command decorated with :func:`staff_options`, before doing
    anything, e.g. ``member = signed_in(db, "invigilator", "admin")``; then pass
    ``by=member.name`` to the services. The name comes from ``--by`` or
    MARKER_TUI_BY (asked for when missing at a terminal). The PIN is read from
    the next line of standard input with ``--pin-stdin``, else asked for with
    no echo when standard input is a terminal, else refused: it is never a
    command-line argument. The PIN is checked by ``StaffService.verify_pin``,
    so the TUI's rules hold (three wrong in a row lock the name for a minute).
    With ``roles``, the member must hold one of them. Every refusal (no PIN,
    wrong PIN, locked out, wrong role) is in the audit log with the command and
    :func:`terminal_label`; a refusal ends the command with a one-line message
    and exit status 1, having changed nothing else.
    """
    from marker_tui.services.centre import Centre

    ctx = click.get_current_context()
    options = ctx.meta.get(_SIGN_IN, {})
    name = options.get("by")
    # --pin-stdin typed at a terminal (nothing piped in) would echo the PIN: ask for it hidden instead.
    interactive = sys.stdin.isatty()
    pin_stdin = bool(options.get("pin_stdin")) and not interactive
    if not (name or "").strip():
        if not interactive:
            raise click.UsageError(f"Say who you are with --by NAME (a staff member's name; or set {BY_ENV}).")
        name = click.prompt("Your name (staff)")
    staff = (Centre(db=db, clock=clock) if clock is not None else Centre(db=db)).staff
    where = terminal_label()
    command = ctx.command_path
    with user_errors():
        if pin_stdin:
            pin = sys.stdin.readline().rstrip("\r\n")
        elif interactive:
            pin = click.prompt(f"PIN for {visible(name.strip())}", hide_input=True, default="",
                               show_default=False)
        else:
            pin = ""
        if not pin:
            staff.refuse(name, "no PIN given", terminal=where, command=command)
            raise click.ClickException(
                f"{command} needs your PIN: type it when asked at a terminal, or pipe it in with "
                "--pin-stdin (never as an argument).")
        member = staff.verify_pin(name, pin, terminal=where, command=command)
        if roles and not member.has_any(*roles):
            staff.refuse(member.name, "wrong role", terminal=where, command=command, needs=list(roles))
            raise click.ClickException(
                f"{member.name} cannot do this: it needs the role {' or '.join(roles)}, "
                f"and {member.name} has {', '.join(member.roles)}.")
    return member


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
