"""``marker-tui audit verify``: check the audit log's hash chain (``domain/audit_chain.py``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from marker_tui.interfaces.cli.common import database, user_errors
from marker_tui.services.audit import check_anchor, verify_log

_ANCHOR = re.compile(r"^marker-tui audit head #(\d+) ([0-9a-f]{64})$")


@click.group("audit")
def audit() -> None:
    """The audit log: check that its history was not rewritten."""


@audit.command("verify")
@click.option("--anchor", "anchor", type=click.Path(path_type=Path), metavar="FILE",
              help="A file outside the database holding the head last verified: checked, then "
                   "moved on to the new head (created if missing). Catches a log rewritten from "
                   "its first entry or cut short.")
def verify(anchor: Path | None) -> None:
    """Check every audit entry's hash and link; report the first broken one (exit status 1).

    Prints "verified N entries" and the head (the last entry's id and chain hash):
    keep the head somewhere else (or use --anchor) to detect a whole rewrite later.
    """
    db = database(create=False)
    with user_errors():
        result = verify_log(db)
        if not result.ok:
            where = f" at entry #{result.broken_at}" if result.broken_at is not None else ""
            raise click.ClickException(
                f"audit log broken{where}: {result.problem} (verified {result.entries - 1 if where else result.entries}"
                " entries before it). Restore the last good backup, or keep this database for investigation.")
        if anchor is not None:
            _check_and_move_anchor(db, anchor, result.head_id, result.head_hash)
    head = f"#{result.head_id} {result.head_hash}" if result.head_id is not None else "(empty log)"
    click.echo(f"verified {result.entries} entries; head {head}")


def _check_and_move_anchor(db, anchor: Path, head_id: int | None, head_hash: str) -> None:
    if anchor.exists():
        text = anchor.read_text(encoding="utf-8", errors="replace").strip()
        found = _ANCHOR.match(text)
        if found is None:
            raise click.ClickException(
                f"{anchor}: line 1: not an anchor written by marker-tui audit verify "
                "(fix: give another file, or delete this one to start a new anchor).")
        problem = check_anchor(db, int(found[1]), found[2])
        if problem:
            raise click.ClickException(f"audit log does not continue the anchor {anchor}: {problem}.")
    if head_id is None:
        return
    partial = anchor.with_name(anchor.name + ".partial")
    partial.write_text(f"marker-tui audit head #{head_id} {head_hash}\n", encoding="utf-8")
    os.replace(partial, anchor)
