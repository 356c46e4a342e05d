"""``marker-tui staff ...``: add staff, list them, reset a PIN.

Every command signs the admin in first (name and PIN, see
``common.signed_in``), except adding the very first staff member of an empty
database. A PIN is read from a hidden prompt (a new PIN typed twice) or, for
scripts, from standard input with ``--pin-stdin``: one PIN per line, in the
order they would be asked (yours first, then the new one); never from an
argument, where it would sit in the shell history and the process list.
"""

from __future__ import annotations

from marker_tui.services.centre import Centre

import sys

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import (
    database,
    read_pin_line,
    signed_in,
    staff_options,
    table,
    user_errors,
    visible,
)
from marker_tui.services.staff import check_pin_format, normalise_roles
from marker_tui.storage.migrations import ROLES


def _read_pin(whose: str) -> str:
    """The new PIN: the next line of standard input with --pin-stdin, else asked twice, hidden."""
    piped = click.get_current_context().meta.get("marker_tui.sign_in", {}).get("pin_stdin")
    if piped and not sys.stdin.isatty():  # at a terminal, --pin-stdin would echo it: ask hidden instead
        pin = read_pin_line(f"the new PIN for {whose}")
    else:
        pin = click.prompt(f"New PIN for {visible(whose)} (4-12 digits)", hide_input=True,
                           confirmation_prompt=True)
    with user_errors():
        return check_pin_format(pin)


@click.group("staff")
def staff() -> None:
    """Centre staff: invigilators, markers, IQA reviewers, admins."""


@staff.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(ROLES, case_sensitive=False), help="Repeat for several roles.")
@staff_options
def add(name: str, roles: tuple[str, ...]) -> None:
    """Add a staff member (signed in as an admin). The first one (an admin) needs no --by.

    \b
    With --pin-stdin, standard input holds your PIN on the first line and the
    new member's PIN on the next (the first admin: just the new PIN).
    """
    with user_errors():
        normalise_roles(list(roles))
    db = database(create=True)
    with user_errors():
        service = Centre(db=db).staff
        by = None if not service.members() else signed_in(db, *roles_for(Permission.ADMINISTER)).name
    pin = _read_pin(name.strip())
    with user_errors():
        member = service.add(name, list(roles), pin, by=by)
    click.echo(visible(f"Added {member.name} ({', '.join(member.roles)})."))


@staff.command("reset-pin")
@click.argument("name")
@staff_options
def reset_pin(name: str) -> None:
    """Give a staff member a new PIN (also lifts a lock-out); signed in as an admin.

    With --pin-stdin: your PIN on the first line, the new PIN on the next.
    """
    db = database(create=False)
    by = signed_in(db, *roles_for(Permission.ADMINISTER)).name
    pin = _read_pin(name.strip())
    with user_errors():
        Centre(db=db).staff.reset_pin(name, pin, by=by)
    click.echo(visible(f"New PIN set for {name.strip()}."))


@staff.command("list")
@staff_options
def list_() -> None:
    """Every staff member and their roles (any staff member, signed in)."""
    db = database(create=False)
    with user_errors():
        service = Centre(db=db).staff
        if not service.members():
            click.echo("No staff yet: add the first admin with marker-tui staff add NAME --role admin")
            return
    signed_in(db)
    with user_errors():
        members = service.members()
    click.echo(table(["Name", "Roles"], [[visible(m.name), ", ".join(m.roles)] for m in members]))
