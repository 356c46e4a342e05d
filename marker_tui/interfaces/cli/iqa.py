"""``marker-tui iqa``: internal quality assurance from the command line, and the IQA screen.

* ``marker-tui iqa [SCOPE]``: the IQA screen (staff name and PIN with the iqa
  role asked on screen), on the reviewer's plan for SCOPE.
* ``marker-tui iqa sample SCOPE --by NAME [--seed N] [--print]``: draw (or,
  with a new seed or --redraw, draw again) the sampling plan; the old plan is
  kept in the history and the audit log.
* ``marker-tui iqa status SCOPE --by NAME``: plans, review progress, decisions, second
  marking, questions for adjudication and agreement figures.
* ``reproduce``, ``add``, ``tolerance``, ``agreement`` (``--csv`` to export),
  ``action``, ``sign-off`` and ``second assign|show|mark|complete``.
* ``marker-tui iqa second``: the second marker's blind marking screen.

Every command but the screens (which sign in on screen) and showing the
tolerances signs the staff member in first: ``--by NAME`` and their PIN (asked
with no echo, or ``--pin-stdin``; see ``common.signed_in``).

SCOPE is a sitting code (``304-K7QM``) or a unit across all its sittings as
QUALIFICATION/UNIT (``3818-13/304``). Scripts are named by the anonymous
script numbers markers see; in a unit scope as CODE/NUMBER.
"""

from __future__ import annotations

from marker_tui.domain.local_time import DATE_MINUTE, local_time

import csv
import io
import secrets
from pathlib import Path

import click

from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, table, user_errors, visible
from marker_tui.domain.roles import Permission, roles_for

# Who may do what here (the IQA service checks the same roles again).
REVIEWERS = roles_for(Permission.REVIEW_MARKING)
READERS = roles_for(Permission.READ_IQA)
SECOND_MARKERS = roles_for(Permission.SECOND_MARK)

STRATEGY_HELP = """\b
Sampling strategy (every rule adds scripts; defaults in brackets):
  --min-scripts N      at least N of each marker's scripts [3]
  --min-fraction F     ...or this share of them, whichever is greater [0.25]
  --borderline N       every script within N marks of the pass mark [2]
  --no-borderline      switch the borderline rule off
  --fails/--no-fails   every fail [on]
  --pass-and-fail/--no-pass-and-fail
                       a pass and a fail of each marker who made both [on]
  --new-marker NAME    every script of this marker (repeat for several)
Random draws use the seed, which is stored with the plan: --seed N to choose
it, --seed random for a fresh one; without it a seed is derived from the
scripts, reviewer and strategy."""


def _centre(ctx: click.Context | None = None):
    return open_centre()


def _fmt(value: float | None, places: int = 1, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:.{places}f}{suffix}"


def _script_id(centre, scope: str, number: str) -> int:
    """A script named by its number in a sitting scope, or CODE/NUMBER (any scope)."""
    number = number.strip()
    if "/" in number:
        code, _, number = number.partition("/")
    elif "/" in scope:
        raise click.UsageError(f"In a unit scope name the script as CODE/NUMBER (e.g. 304-K7QM/{number}).")
    else:
        code = scope
    return centre.marking.script_id(code, number)


class _IqaGroup(click.Group):
    """``marker-tui iqa [SCOPE]`` opens the screen; ``marker-tui iqa COMMAND ...`` runs a command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            ctx.meta["iqa_scope"] = args[0]
            if len(args) > 1:
                raise click.UsageError(f"Unexpected {' '.join(args[1:])!r}: to open the IQA screen give only a "
                                       f"sitting code or unit; commands are {', '.join(self.commands)}.", ctx)
            args = []
        return super().parse_args(ctx, args)


@click.group("iqa", cls=_IqaGroup, invoke_without_command=True, subcommand_metavar="[SCOPE] | COMMAND [ARGS]...")
@click.pass_context
def iqa(ctx: click.Context) -> None:
    """Internal quality assurance: sample marked scripts, review them, record decisions, see agreement.

    With no command: the IQA screen (sign in with a staff name and PIN with the
    iqa role), on your plan for SCOPE if given. SCOPE is a sitting code or a
    unit across its sittings as QUALIFICATION/UNIT (e.g. 3818-13/304).
    """
    if ctx.invoked_subcommand is not None:
        return
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.launch import run_app
    from marker_tui.interfaces.tui.screens.iqa import iqa_sign_in

    scope = ctx.meta.get("iqa_scope")
    centre = _centre(ctx)
    try:
        if scope:
            with user_errors():
                scope = centre.iqa.plans.scope(scope).key
        run_app(MarkerApp(centre, start=iqa_sign_in(scope)))
    finally:
        centre.close()


def _seed(text: str | None) -> int | None:
    if text is None:
        return None
    if text.strip().lower() == "random":
        return secrets.randbelow(2**32)
    try:
        value = int(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a whole number (or 'random').", param_hint="--seed") from None
    if value < 0:
        raise click.BadParameter("a seed is 0 or more.", param_hint="--seed")
    return value


def _fraction(text: str) -> float:
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a fraction (0.25) or a percentage (25%).",
                                 param_hint="--min-fraction") from None
    if not 0 <= value <= 1:
        raise click.BadParameter("give a fraction from 0 to 1 (or 0% to 100%).", param_hint="--min-fraction")
    return value


def _scope_arg(scope: str | None, unit: str | None) -> str:
    if scope and unit:
        raise click.UsageError("Give a sitting code or --unit, not both.")
    if not scope and not unit:
        raise click.UsageError("Name the sitting code (or --unit QUALIFICATION/UNIT).")
    if unit and "/" not in unit:
        raise click.BadParameter("write the unit as QUALIFICATION/UNIT, e.g. 3818-13/304.", param_hint="--unit")
    return (scope or unit).strip()


def _total_text(s) -> str:
    """The total as it is now, and as sampled when an IQA adjustment has changed it since: "7 (was 9)"."""
    if s.total_now is None:
        return "-" if s.total is None else str(s.total)
    if s.total is not None and s.total_now != s.total:
        return f"{s.total_now} (was {s.total})"
    return str(s.total_now)


def _result_text(s) -> str:
    if s.status_now and s.status_now != s.status:
        return f"{s.status_now} (was {s.status})"
    return s.status


def print_plan(plan, *, full: bool = True) -> None:
    click.echo(visible(f"Plan {plan.id} · {plan.scope.label} · reviewer {plan.reviewer} · drawn by "
                       f"{plan.created_by} at {local_time(plan.created_at, DATE_MINUTE)}"))
    click.echo(visible(f"Strategy: {plan.strategy_text}"))
    click.echo(f"Seed: {plan.seed} ({plan.seed_source}) · {len(plan.scripts)} of {plan.scripts_marked} marked "
               "script(s) sampled")
    if plan.reason:
        click.echo(visible(f"Drawn again because: {plan.reason}"))
    if not full:
        return
    if plan.scripts:
        click.echo("")
        rows = [[s.script_ref, ", ".join(s.markers), _total_text(s), _result_text(s),
                 "; ".join(s.reasons), s.review_state if not s.decision else f"{s.review_state}: {s.decision}"]
                for s in plan.scripts]
        click.echo(visible(table(["Script", "Marker(s)", "Total", "Result", "Why sampled", "Review"], rows)))
    if plan.coverage:
        click.echo("")
        click.echo(visible(table(["Marker", "Marked", "Required", "Sampled", "Offerable"],
                                 [[c.marker, str(c.marked), str(c.required), str(c.chosen), str(c.offerable)]
                                  for c in plan.coverage])))
    if plan.excluded:
        click.echo("")
        click.echo("Not in the sample:")
        for e in plan.excluded:
            click.echo(visible(f"  {e.script_ref} ({', '.join(e.markers)}): {e.reason}"))
    for note in plan.notes:
        click.echo(visible(f"Note: {note}"))


@iqa.command("sample", epilog=STRATEGY_HELP)
@click.argument("scope", required=False, metavar="[CODE]")
@click.option("--unit", metavar="QUALIFICATION/UNIT", help="Sample a unit across all its sittings.")
@click.option("--seed", "seed_text", metavar="N|random", help="The random seed (stored with the plan).")
@click.option("--print", "print_", is_flag=True, help="Print the plan: every script with why it is sampled.")
@click.option("--min-scripts", type=click.IntRange(min=0), default=3, show_default=True,
              help="At least this many of each marker's scripts.")
@click.option("--min-fraction", default="0.25", show_default=True, metavar="F",
              help="...or this share of them (0.25 or 25%), whichever is greater.")
@click.option("--borderline", type=click.IntRange(min=0), default=2, show_default=True, metavar="N",
              help="Every script within N marks of the pass mark.")
@click.option("--no-borderline", is_flag=True, help="Switch the borderline rule off.")
@click.option("--fails/--no-fails", default=True, show_default=True, help="Every fail.")
@click.option("--pass-and-fail/--no-pass-and-fail", "pass_and_fail", default=True, show_default=True,
              help="A pass and a fail of each marker who made both (in the sample at all).")
@click.option("--new-marker", "new_markers", multiple=True, metavar="NAME",
              help="Every script of this marker (repeat for several).")
@click.option("--reviewer", metavar="NAME", help="Whose plan it is (default: --by).")
@click.option("--redraw", is_flag=True, help="Draw again even without a new seed (the old plan is kept).")
@click.option("--reason", metavar="TEXT", help="Why the plan is drawn again (needed once reviews have started).")
@click.option("--dry-run", is_flag=True, help="Show the plan that would be drawn; store nothing.")
@staff_options
def sample(scope: str | None, unit: str | None, seed_text: str | None, print_: bool, min_scripts: int,
           min_fraction: str, borderline: int, no_borderline: bool, fails: bool, pass_and_fail: bool, new_markers: tuple[str, ...],
           reviewer: str | None, redraw: bool, reason: str | None, dry_run: bool) -> None:
    """Draw the IQA sampling plan of sitting CODE (or --unit) and store it with its seed.

    Scripts the reviewer marked are never in their plan. A sitting that already
    has a plan for this reviewer is drawn again only with a new --seed (or
    --redraw); the old plan stays in the history and the audit log.
    """
    from marker_tui.domain.sampling import SamplingStrategy

    target = _scope_arg(scope, unit)
    seed = _seed(seed_text)
    try:
        strategy = SamplingStrategy(min_scripts_per_marker=min_scripts, min_fraction_per_marker=_fraction(min_fraction),
                                    borderline_marks=None if no_borderline else borderline, include_fails=fails,
                                    cover_decisions=pass_and_fail, new_markers=frozenset(new_markers))
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    centre = _centre()
    try:
        by = signed_in(centre.db, *REVIEWERS).name
        with user_errors():
            if dry_run:
                plan = centre.iqa.plans.preview_plan(target, strategy=strategy, reviewer=reviewer or by, seed=seed)
                click.echo(visible(f"Dry run (nothing stored): {len(plan.chosen)} script(s), seed {plan.seed} "
                                   f"({plan.seed_source})"))
                for s in plan.chosen:
                    click.echo(visible(f"  {s.script_ref}: {'; '.join(s.reasons)}"))
                for note in plan.notes:
                    click.echo(visible(f"Note: {note}"))
                return
            stored = centre.iqa.plans.create_plan(target, strategy=strategy, by=by, reviewer=reviewer, seed=seed,
                                            redraw=redraw or seed is not None, reason=reason)
        replaced = [h for h in centre.iqa.plans.history(target) if h.superseded_by == stored.id]
        if replaced:
            click.echo(f"Drawn again: plan {replaced[0].id} is superseded and kept "
                       f"(marker-tui iqa status {stored.scope.key}).")
        print_plan(stored, full=print_)
        if not print_:
            click.echo(f"Use --print to see every script and why it is sampled, or: marker-tui iqa status "
                       f"{stored.scope.key}")
    finally:
        centre.close()


@iqa.command("reproduce")
@click.argument("scope", metavar="SCOPE")
@click.option("--plan", "plan_id", type=int, help="A plan id (default: every current plan of SCOPE).")
@staff_options
def reproduce(scope: str, plan_id: int | None) -> None:
    """Draw stored plans again from their stored scripts, strategy and seed, and compare."""
    centre = _centre()
    try:
        signed_in(centre.db, *READERS)
        with user_errors():
            ids = [plan_id] if plan_id else [p.id for p in centre.iqa.plans.current_plans(scope)]
            if not ids:
                raise click.ClickException(f"There is no sampling plan for {scope} yet.")
            failed = False
            for i in ids:
                result = centre.iqa.plans.reproduce(i)
                if result.same:
                    click.echo(f"Plan {i}: drawn again with seed {result.seed}: the same "
                               f"{len(result.stored)} script(s).")
                else:
                    failed = True
                    click.echo(visible(f"Plan {i}: drawn again with seed {result.seed}: DIFFERENT: "
                                       + "; ".join(result.differences)))
        if failed:
            raise SystemExit(1)
    finally:
        centre.close()


@iqa.command("add")
@click.argument("scope", metavar="SCOPE")
@click.argument("script", metavar="SCRIPT")
@click.option("--reason", required=True, metavar="TEXT", help="Why this script is added to the sample.")
@staff_options
def add(scope: str, script: str, reason: str) -> None:
    """Add a marked script to your plan for SCOPE, with your reason."""
    centre = _centre()
    try:
        by = signed_in(centre.db, *REVIEWERS).name
        with user_errors():
            plan = centre.iqa.plans.add_to_plan(scope, script, by=by, reason=reason)
        click.echo(visible(f"Added {script} to plan {plan.id}: now {len(plan.scripts)} script(s)."))
    finally:
        centre.close()


def _agreement_rows(report) -> list[tuple[str, str, object]]:
    rows = [("all markers", "All markers", report.overall)]
    rows += [("marker", name, f) for name, f in report.by_marker.items()]
    rows += [("question", f"Q{q}", f) for q, f in report.by_question.items()]
    return rows


def print_agreement(report) -> None:
    tolerances = ", ".join(f"Q{q} {t}" for q, t in report.tolerance.items() if t) or "0 for every question"
    source = {"all": "reviewers' judgements and blind second marks", "iqa": "reviewers' judgements",
              "second": "blind second marks"}[report.source]
    click.echo(visible(f"Agreement ({source}); tolerance: {tolerances}"))
    if not report.pairs:
        click.echo("No marks have been compared yet.")
        return
    rows = [[label, str(f.n_pairs), _fmt(f.exact_agreement_percent, 1, "%"), _fmt(f.within_tolerance_percent, 1, "%"),
             _fmt(f.mean_abs_difference, 2), "n/a" if f.max_abs_difference is None else str(f.max_abs_difference),
             _fmt(f.weighted_kappa, 2) if f.weighted_kappa is not None else f"n/a ({f.kappa_note})"]
            for _, label, f in _agreement_rows(report)]
    click.echo(visible(table(["Group", "Pairs", "Exact", "Within tol.", "Mean diff", "Max diff",
                              "Weighted kappa"], rows)))


def agreement_csv(report) -> bytes:
    from marker_tui.documents.text_cleaning import csv_text

    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["Scope", "Pairs compared", "Group", "Name", "Pairs", "Exact agreement %",
                     "Within tolerance %", "Mean absolute difference", "Largest absolute difference",
                     "Weighted kappa", "Kappa weights", "Kappa note"])
    source = {"all": "all", "iqa": "IQA reviews", "second": "blind second marks"}[report.source]
    for kind, label, f in _agreement_rows(report):
        writer.writerow([csv_text(report.scope.key), source, kind, csv_text(label), f.n_pairs,
                         "" if f.exact_agreement_percent is None else f"{f.exact_agreement_percent:.1f}",
                         "" if f.within_tolerance_percent is None else f"{f.within_tolerance_percent:.1f}",
                         "" if f.mean_abs_difference is None else f"{f.mean_abs_difference:.2f}",
                         "" if f.max_abs_difference is None else f.max_abs_difference,
                         "" if f.weighted_kappa is None else f"{f.weighted_kappa:.3f}", f.kappa_weights,
                         csv_text(f.kappa_note or "")])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@iqa.command("agreement")
@click.argument("scope", metavar="SCOPE")
@click.option("--source", type=click.Choice(["all", "iqa", "second"]), default="all", show_default=True,
              help="Compare the marker's marks with reviewers' judgements, blind second marks, or both.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE.csv",
              help="Also write the figures to a CSV file.")
@staff_options
def agreement(scope: str, source: str, csv_path: Path | None) -> None:
    """Agreement per marker and per question: exact %, within tolerance %, differences, weighted kappa."""
    centre = _centre()
    try:
        signed_in(centre.db, *READERS)
        with user_errors():
            report = centre.iqa.agreement.agreement(scope, source=source)
            print_agreement(report)
            if csv_path is not None:
                from marker_tui.documents.text_cleaning import atomic_output

                with atomic_output(csv_path) as stream:
                    stream.write(agreement_csv(report))
                click.echo(f"Written: {csv_path}")
    finally:
        centre.close()


@iqa.command("tolerance")
@click.argument("scope", metavar="SCOPE")
@click.argument("question", required=False)
@click.argument("marks", required=False, type=click.IntRange(min=0))
@staff_options
def tolerance(scope: str, question: str | None, marks: int | None) -> None:
    """Show the tolerance per question, or set QUESTION's to MARKS (marks this close count as agreeing)."""
    centre = _centre()
    try:
        with user_errors():
            if question is None:
                values = centre.iqa.second_marking.tolerances(scope)
            else:
                if marks is None:
                    raise click.UsageError("Give the tolerance in marks after the question, e.g. 2b 1.")
                by = signed_in(centre.db, *REVIEWERS).name
                values = centre.iqa.second_marking.set_tolerance(scope, question, marks, by=by)
        click.echo(visible(table(["Question", "Tolerance"], [[f"Q{q}", str(t)] for q, t in values.items()])))
    finally:
        centre.close()


@iqa.command("action")
@click.argument("scope", metavar="SCOPE")
@click.argument("text")
@click.option("--owner", metavar="NAME", help="Who is to do it.")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD", help="By when.")
@staff_options
def action(scope: str, text: str, owner: str | None, due) -> None:
    """Add an action point for the whole sample (per-script ones are given with the decision)."""
    centre = _centre()
    try:
        by = signed_in(centre.db, *REVIEWERS).name
        with user_errors():
            plan = centre.iqa.reviews.add_action_point(scope, text, by=by, owner=owner, due=due.date() if due else None)
        click.echo(f"Action point added to plan {plan.id} ({len(plan.action_points)} in all).")
    finally:
        centre.close()


@iqa.command("sign-off")
@click.argument("scope", metavar="SCOPE")
@click.option("--statement", metavar="TEXT", help="e.g. 'Marking is consistent with the mark scheme.'")
@staff_options
def sign_off(scope: str, statement: str | None) -> None:
    """Sign your plan for SCOPE off (every sampled script reviewed and confirmed)."""
    centre = _centre()
    try:
        by = signed_in(centre.db, *REVIEWERS).name
        with user_errors():
            plan = centre.iqa.plans.sign_off(scope, by=by, statement=statement)
        click.echo(visible(f"Plan {plan.id} signed off by {plan.sign_off.reviewer} at "
                           f"{local_time(plan.sign_off.signed_at, DATE_MINUTE)}."))
    finally:
        centre.close()


@iqa.command("status")
@click.argument("scope", metavar="SCOPE")
@staff_options
def status(scope: str) -> None:
    """Plans, review progress and decisions, second marking, adjudication and agreement for SCOPE."""
    centre = _centre()
    try:
        signed_in(centre.db, *READERS)
        with user_errors():
            report = centre.iqa.agreement.status(scope)
            history = centre.iqa.plans.history(scope)
        click.echo(visible(f"IQA · {report.scope.label}"))
        if not report.plans:
            click.echo(f"No sampling plan yet: marker-tui iqa sample {report.scope.key} --by NAME")
        for progress in report.plans:
            plan = progress.plan
            click.echo("")
            print_plan(plan)
            c = progress.counts
            click.echo(f"Reviews: {c['confirmed']} confirmed, {c['awaiting confirmation']} awaiting confirmation, "
                       f"{c['in progress']} in progress, {c['not started']} not started")
            decided = ", ".join(f"{n} {d}" for d, n in progress.decisions.items() if n) or "none yet"
            click.echo(f"Decisions: {decided}")
            if plan.action_points:
                click.echo("Action points for the sample:")
                for a in plan.action_points:
                    extra = "".join([f" (owner {a.owner})" if a.owner else "", f" by {a.due:%Y-%m-%d}" if a.due else ""])
                    click.echo(visible(f"  - {a.text}{extra}"))
            if plan.sign_off:
                click.echo(visible(f"Signed off by {plan.sign_off.reviewer} at "
                                   f"{local_time(plan.sign_off.signed_at, DATE_MINUTE)}"
                                   + (f": {plan.sign_off.statement}" if plan.sign_off.statement else "")))
        earlier = [h for h in history if h.superseded_at]
        if earlier:
            click.echo("")
            click.echo("Earlier plans (kept):")
            for h in earlier:
                click.echo(visible(f"  plan {h.id}: {h.reviewer}, seed {h.seed}, {h.scripts} script(s), drawn "
                                   f"{local_time(h.created_at, DATE_MINUTE)}, superseded "
                                   f"{local_time(h.superseded_at, DATE_MINUTE)}"))
        if report.second_marking:
            click.echo("")
            click.echo(visible(table(
                ["Script", "Second marker", "Marked", "Complete"],
                [[r.script_number if "/" not in report.scope.key else f"{r.sitting_code}/{r.script_number}",
                  r.second_marker, f"{r.questions_marked}/{r.questions_total}",
                  "yes" if r.completed_at else "no"] for r in report.second_marking])))
        if report.adjudication:
            click.echo("")
            click.echo("Out of tolerance, for adjudication:")
            for item in report.adjudication:
                done = " (judged in the IQA review)" if item.resolved_by_review else ""
                click.echo(visible(f"  {item.discrepancy.message}; second marker {item.second_marker}{done}"))
        click.echo("")
        print_agreement(report.agreement)
    finally:
        centre.close()


# --- blind second marking ---------------------------------------------------------------------


@iqa.group("second", invoke_without_command=True)
@click.pass_context
def second(ctx: click.Context) -> None:
    """Blind second marking of sampled scripts (the second marker never sees the first marks).

    With no command: the second marker's screen (staff name and PIN with the
    marker or iqa role asked on screen), listing the scripts given to them.
    """
    if ctx.invoked_subcommand is not None:
        return
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.launch import run_app
    from marker_tui.interfaces.tui.screens.iqa import second_marking_sign_in

    centre = _centre(ctx)
    try:
        run_app(MarkerApp(centre, start=second_marking_sign_in()))
    finally:
        centre.close()


@second.command("assign")
@click.argument("scope", metavar="SCOPE")
@click.argument("script", metavar="SCRIPT")
@click.option("--to", "to", required=True, metavar="NAME", help="The second marker (not one of the script's markers).")
@staff_options
def second_assign(scope: str, script: str, to: str) -> None:
    """Give a sampled script to a second marker."""
    centre = _centre()
    try:
        by = signed_in(centre.db, *REVIEWERS).name
        with user_errors():
            row = centre.iqa.second_marking.assign_second_marker(_script_id(centre, scope, script), second_marker=to, by=by)
        click.echo(visible(f"Script {row.script_number} given to {row.second_marker} for a blind second mark."))
    finally:
        centre.close()


@second.command("show")
@click.argument("scope", metavar="SCOPE")
@click.argument("script", metavar="SCRIPT")
@staff_options
def second_show(scope: str, script: str) -> None:
    """Print a script for blind second marking: questions, answers and mark scheme, no first marks."""
    centre = _centre()
    try:
        by = signed_in(centre.db, *SECOND_MARKERS).name
        with user_errors():
            view = centre.iqa.second_marking.second_marking_view(_script_id(centre, scope, script), by=by)
        click.echo(visible(f"Script {view.script_number} · sitting {view.sitting_code} · second marker "
                           f"{view.second_marker}" + (" · complete" if view.completed_at else "")))
        for q in view.paper.questions:
            entry = view.scheme.question(q.id)
            click.echo("")
            mine = view.my_marks.get(q.id)
            click.echo(visible(f"Q{q.id} ({q.marks} marks){'' if mine is None else f' · your mark {mine}'}: {q.text}"))
            click.echo(visible("Answer: " + (view.answers.get(q.id) or "(no answer)")))
            if entry is not None:
                for n, point in enumerate(entry.points, start=1):
                    click.echo(visible(f"  {n}. {point.text} ({point.marks})"))
    finally:
        centre.close()


@second.command("mark")
@click.argument("scope", metavar="SCOPE")
@click.argument("script", metavar="SCRIPT")
@click.argument("marks", nargs=-1, required=True, metavar="QUESTION=MARKS...")
@click.option("--complete", is_flag=True, help="Then mark the second marking complete.")
@staff_options
def second_mark(scope: str, script: str, marks: tuple[str, ...], complete: bool) -> None:
    """Record blind second marks, e.g. 1=2 2a=1 2b=3 (all or nothing; changeable until complete)."""
    pairs = []
    for item in marks:
        question, sep, value = item.partition("=")
        if not sep or not question.strip():
            raise click.BadParameter(f"{item!r}: write QUESTION=MARKS, e.g. 2a=1.", param_hint="MARKS")
        pairs.append((question.strip(), value.strip()))
    centre = _centre()
    try:
        by = signed_in(centre.db, *SECOND_MARKERS).name
        with user_errors():
            script_id = _script_id(centre, scope, script)
            view = centre.iqa.second_marking.record_second_marks(script_id, dict(pairs), by=by)
            if complete:
                view = centre.iqa.second_marking.complete_second_marking(script_id, by=by)
        done = len(view.my_marks)
        click.echo(f"Script {view.script_number}: {done} of {len(view.paper.questions)} question(s) second-marked"
                   + (", complete." if view.completed_at else "."))
    finally:
        centre.close()


@second.command("complete")
@click.argument("scope", metavar="SCOPE")
@click.argument("script", metavar="SCRIPT")
@staff_options
def second_complete(scope: str, script: str) -> None:
    """Mark your blind second marking of a script complete (then it is compared with the first marks)."""
    centre = _centre()
    try:
        by = signed_in(centre.db, *SECOND_MARKERS).name
        with user_errors():
            view = centre.iqa.second_marking.complete_second_marking(_script_id(centre, scope, script), by=by)
        click.echo(f"Second marking of script {view.script_number} complete.")
    finally:
        centre.close()
