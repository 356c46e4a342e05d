"""``marker-tui review ...``: reviews of marking (learners' queries and appeals).

* ``review open CODE SCRIPT --reason TEXT --deadline YYYY-MM-DD --reviewer NAME``: the lead
  assessor (IQA or admin) puts a script (script or candidate number) under review.
* ``review list [CODE]``: reviews, with their deadline and "overdue" past it.
* ``review show ID``: the script under review, its original marks and annotations, the decisions.
* ``review decide ID QUESTION --reason TEXT [--mark N]``: uphold (no ``--mark``) or change a mark.
* ``review finish ID``: the outcome; changed marks become new mark versions.
* ``review letter ID -o FILE.docx``: the outcome letter to the learner.
"""

from __future__ import annotations

from pathlib import Path

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, table, user_errors, visible
from marker_tui.services.review_of_marking import REVIEWER_PERMISSIONS, ReviewOfMarkingService, ReviewView

ANYONE = tuple(dict.fromkeys(r for p in (*REVIEWER_PERMISSIONS, Permission.LEAD_MARKING) for r in roles_for(p)))


def _service(centre) -> ReviewOfMarkingService:
    return centre.reviews_of_marking


def _print(view: ReviewView) -> None:
    r = view.record
    state = (f"finished: {r.outcome}" if view.finished
             else f"due {r.deadline.isoformat()}" + (" (OVERDUE)" if view.overdue else ""))
    whose = f" (candidate {r.candidate_number})" if r.candidate_number else ""  # none while marking is blind
    click.echo(visible(f"Review {r.id}: sitting {r.code}, script {r.script_number}{whose}, "
                       f"reviewer {r.reviewer}, {state}"))
    click.echo(visible(f"Asked: {r.reason}"))
    rows = []
    for q in view.questions:
        d = q.decision
        original = "not attempted" if q.not_attempted and not q.original_mark else f"{q.original_mark}/{q.available}"
        rows.append([q.question_id, original, q.marked_by or "-", "; ".join(q.ticked_points) or "-",
                     q.comment or "-", d.decision if d else "to decide",
                     "" if d is None or d.new_mark is None else str(d.new_mark), d.reason if d else ""])
    click.echo(visible(table(["Q", "Original", "Marked by", "Ticked", "Comment", "Decision", "New", "Reason"], rows)))


@click.group("review")
def review() -> None:
    """Reviews of marking: open one, decide it question by question, finish it, write the letter."""


@review.command("open")
@click.argument("code")
@click.argument("script")
@click.option("--reason", required=True, help="The learner's query or appeal, in a sentence.")
@click.option("--deadline", required=True, metavar="YYYY-MM-DD", help="When the review is due.")
@click.option("--reviewer", required=True, metavar="NAME", help="Who reviews: not its marker nor its IQA reviewer.")
@staff_options
def open_(code: str, script: str, reason: str, deadline: str, reviewer: str) -> None:
    """Put a learner's script under review: SCRIPT is a script or candidate number ('script 5512' or 'candidate 1003' where one number is both)."""
    centre = open_centre()
    by = signed_in(centre.db, *roles_for(Permission.LEAD_MARKING)).name
    with user_errors():
        _print(_service(centre).open(code, script, reason=reason, deadline=deadline, reviewer=reviewer, by=by))


@review.command("list")
@click.argument("code", required=False)
@staff_options
def list_(code: str | None) -> None:
    """Reviews of marking, newest first (yours, or all for the lead assessor)."""
    centre = open_centre()
    by = signed_in(centre.db, *ANYONE).name
    with user_errors():
        found = _service(centre).reviews(code, by=by)
    if not found:
        click.echo("No review of marking yet.")
        return
    click.echo(visible(table(["Review", "Sitting", "Script", "Candidate", "Reviewer", "Deadline", "State"], [
        [str(s.record.id), s.record.code, s.record.script_number, s.record.candidate_number or "-", s.record.reviewer,
         s.record.deadline.isoformat(), s.state] for s in found])))


@review.command("show")
@click.argument("review_id", type=int)
@staff_options
def show(review_id: int) -> None:
    """The script under review: original marks, annotations, decisions so far."""
    centre = open_centre()
    by = signed_in(centre.db, *ANYONE).name
    with user_errors():
        _print(_service(centre).view(review_id, by=by))


@review.command("decide")
@click.argument("review_id", type=int)
@click.argument("question")
@click.option("--mark", "new_mark", type=int, default=None, help="The new mark; leave out to uphold.")
@click.option("--reason", required=True, help="Why (shown in the letter to the learner).")
@staff_options
def decide(review_id: int, question: str, new_mark: int | None, reason: str) -> None:
    """Uphold a question's mark, or give a new one."""
    centre = open_centre()
    by = signed_in(centre.db, *ANYONE).name
    with user_errors():
        _print(_service(centre).decide(review_id, question, new_mark=new_mark, reason=reason, by=by))


@review.command("finish")
@click.argument("review_id", type=int)
@staff_options
def finish(review_id: int) -> None:
    """Finish the review: the outcome, and changed marks saved as new versions."""
    centre = open_centre()
    by = signed_in(centre.db, *ANYONE).name
    with user_errors():
        view = _service(centre).complete(review_id, by=by)
    _print(view)
    click.echo(visible(f"Outcome: {view.record.outcome}."))


@review.command("letter")
@click.argument("review_id", type=int)
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The .docx file to write.")
@staff_options
def letter(review_id: int, out: Path) -> None:
    """Write the outcome letter to the learner (.docx)."""
    centre = open_centre()
    by = signed_in(centre.db, *roles_for(Permission.LEAD_MARKING)).name
    with user_errors():
        path = _service(centre).export_letter(review_id, out, by=by)
    click.echo(visible(f"Wrote {path}"))
