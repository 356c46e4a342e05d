"""``marker-tui audit verify``: check the audit log's hash chain (``domain/audit_chain.py``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from marker_tui.domain.local_time import DATE_MINUTE, local_time
from marker_tui.domain.visible_text import visible_line
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
                f"audit log broken{where}: {result.problem} (verified {result.verified} entries before it). "
                "Restore the last good backup, or keep this database for investigation.")
        since = None
        if anchor is not None:
            since = _check_and_move_anchor(db, anchor, result.head_id, result.head_hash)
    head = f"#{result.head_id} {result.head_hash}" if result.head_id is not None else "(empty log)"
    click.echo(f"verified {result.entries} entries; head {head}")
    # Entries an erasure overwrote are not checked against their content: say which, so a person can
    # confirm each erasure was real (one written by someone with the database open would also pass).
    for note in result.erasures:
        if since is not None and note.erasure_id <= since:
            continue  # seen at an earlier verify, before the anchor
        entries = ", ".join(f"#{i}" for i in note.entries)
        when = local_time(note.at, DATE_MINUTE)
        click.echo(visible_line(f"{'since the anchor: ' if since is not None else ''}entr"
                                f"{'y' if len(note.entries) == 1 else 'ies'} {entries} overwritten by the "
                                f"learner-data erasure #{note.erasure_id} ({note.actor}, {when}); not checked "
                                "against their content: confirm that erasure was made"))


def _check_and_move_anchor(db, anchor: Path, head_id: int | None, head_hash: str) -> int | None:
    """Check the anchor file and move it on to the head; the head id it held before (None if new)."""
    before = None
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
        before = int(found[1])
    if head_id is None:
        return before
    partial = anchor.with_name(anchor.name + ".partial")
    partial.write_text(f"marker-tui audit head #{head_id} {head_hash}\n", encoding="utf-8")
    os.replace(partial, anchor)
    return before
