"""``marker-tui staff ...``: add staff, list them, reset a PIN.

A PIN is read from a hidden prompt (typed twice) or, for scripts, from the first
line of standard input with ``--pin-stdin``; never from an argument, where it
would sit in the shell history and the process list.
"""

from __future__ import annotations

import sys

import click

from marker_tui.domain.clock import SystemClock
from marker_tui.interfaces.cli.common import by_option, database, table, user_errors, visible
from marker_tui.services.staff import StaffService, check_pin_format, normalise_roles
from marker_tui.storage.migrations import ROLES


def _read_pin(pin_stdin: bool) -> str:
    if pin_stdin:
        line = sys.stdin.readline()
        pin = line.rstrip("\r\n")
        if not pin:
            raise click.ClickException("--pin-stdin: expected the PIN on the first line of standard input.")
    else:
        pin = click.prompt("PIN (4-12 digits)", hide_input=True, confirmation_prompt=True)
    with user_errors():
        return check_pin_format(pin)


@click.group("staff")
def staff() -> None:
    """Centre staff: invigilators, markers, IQA reviewers, admins."""


@staff.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(ROLES, case_sensitive=False), help="Repeat for several roles.")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from the first line of standard input.")
@by_option(required=False)
def add(name: str, roles: tuple[str, ...], pin_stdin: bool, by: str | None) -> None:
    """Add a staff member. The first one (an admin) needs no --by."""
    with user_errors():
        normalise_roles(list(roles))
    pin = _read_pin(pin_stdin)
    db = database(create=True)
    with user_errors():
        member = StaffService(db, SystemClock()).add(name, list(roles), pin, by=by)
    click.echo(visible(f"Added {member.name} ({', '.join(member.roles)})."))


@staff.command("reset-pin")
@click.argument("name")
@click.option("--pin-stdin", is_flag=True, help="Read the new PIN from the first line of standard input.")
@by_option()
def reset_pin(name: str, pin_stdin: bool, by: str) -> None:
    """Give a staff member a new PIN (also lifts a lock-out)."""
    pin = _read_pin(pin_stdin)
    db = database(create=False)
    with user_errors():
        StaffService(db, SystemClock()).reset_pin(name, pin, by=by)
    click.echo(visible(f"New PIN set for {name.strip()}."))


@staff.command("list")
def list_() -> None:
    """Every staff member and their roles."""
    db = database(create=False)
    with user_errors():
        members = StaffService(db, SystemClock()).members()
    if not members:
        click.echo("No staff yet: add the first admin with marker-tui staff add NAME --role admin")
        return
    click.echo(table(["Name", "Roles"], [[visible(m.name), ", ".join(m.roles)] for m in members]))
