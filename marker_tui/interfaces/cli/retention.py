"""``marker-tui retention ...``: how long learners' records are kept, and erasing them when due.

* ``marker-tui retention [--all]``: learners whose records are due for erasure
  (``--all``: everyone, with the date each is due).
* ``marker-tui retention set QUALIFICATION YEARS``: the period for a
  qualification (years after the learner's last sitting of it; 3 by default).
* ``marker-tui retention erase NUMBER --reason TEXT [--early] [--yes]``: erase one
  learner's personal data (name, arrangements, answers, comments, feedback, what
  the audit log says about them); marks and times stay as statistics under a
  pseudonym. ``--early`` for an erasure request before the period is over.

Admin only, with your PIN; every change is audited.
"""

from __future__ import annotations

from marker_tui.domain.local_time import DAY, local_time

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, table, user_errors, visible

ADMINS = roles_for(Permission.ADMINISTER)


@click.group("retention", invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Everyone, not only those due.")
@staff_options
@click.pass_context
def retention(ctx: click.Context, show_all: bool) -> None:
    """Learners' records due for erasure, retention periods, and erasure."""
    if ctx.invoked_subcommand is not None:
        return
    centre = open_centre()
    by = signed_in(centre.db, *ADMINS).name
    with user_errors():
        statuses = centre.retention.statuses(by=by)
        periods = centre.retention.periods(by=by)
    shown = statuses if show_all else [s for s in statuses if s.due]
    click.echo(visible("Retention periods: " + (", ".join(f"{q} {y} years" for q, y in sorted(periods.items()))
                                                or "none set") + " (others: 3 years)."))
    if not shown:
        click.echo("No learner's records are due for erasure." if not show_all else "No learners.")
        return
    click.echo(visible(table(
        ["Candidate", "Name", "Qualifications", "Last sat", "Due", "Status"],
        [[s.candidate_number, s.name, ", ".join(s.qualifications) or "-",
          local_time(s.last_sat, DAY) if s.last_sat else "never sat",
          local_time(s.due_at, DAY), s.blocked or ("due" if s.due else "kept")]
         for s in shown])))


@retention.command("set")
@click.argument("qualification")
@click.argument("years", type=int)
@staff_options
def set_(qualification: str, years: int) -> None:
    """Keep a qualification's records YEARS years after the learner's last sitting of it."""
    centre = open_centre()
    by = signed_in(centre.db, *ADMINS).name
    with user_errors():
        centre.retention.set_period(qualification, years, by=by)
    click.echo(visible(f"Records of {qualification.strip()} are now kept {years} years after the last sitting."))


@retention.command("erase")
@click.argument("candidate_number")
@click.option("--reason", required=True, help="Why (the retention period is over, or the learner's request).")
@click.option("--early", is_flag=True, help="Erase before the retention period is over (an erasure request).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask to confirm (for scripts).")
@staff_options
def erase(candidate_number: str, reason: str, early: bool, yes: bool) -> None:
    """Erase one learner's personal data (results stay as statistics)."""
    centre = open_centre()
    by = signed_in(centre.db, *ADMINS).name
    with user_errors():  # refused now (unknown number, not due, no reason) rather than after the prompt
        centre.retention.check_erasure(candidate_number, reason=reason, by=by, early=early)
    if not yes:
        typed = click.prompt(f"This cannot be undone. Type the candidate number {visible(candidate_number)} "
                             "again to erase", default="", show_default=False)
        if typed.strip().lower() != candidate_number.strip().lower():
            raise click.ClickException("The numbers do not match: nothing was erased.")
    with user_errors():
        report = centre.retention.erase(candidate_number, reason=reason, by=by, early=early)
    click.echo(visible(f"Erased: the learner is now {report.pseudonym}; {report.audit_entries} audit entries and "
                       + ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(report.rows.items()))
                       + " rows changed. Check the log with: marker-tui audit verify"))
