"""``marker-tui sit`` and ``marker-tui invigilate``: open the app straight onto a sitting's screens.

* ``marker-tui sit [CODE] [--candidate NUMBER]``: a learner's terminal. Locked
  down from the first screen: leaving needs an invigilator's name and PIN.
* ``marker-tui invigilate CODE``: the room view, after a staff sign-in (name and
  PIN are asked on screen, never taken as arguments).

Textual and the screens are imported only when a command runs.
"""

from __future__ import annotations

import click

from marker_tui.interfaces.cli.common import open_centre, user_errors


def _centre(ctx: click.Context):
    return open_centre()


@click.command("sit")
@click.argument("code", required=False, metavar="[CODE]")
@click.option("--candidate", "candidate", metavar="NUMBER", help="The learner's candidate number.")
@click.pass_context
def sit(ctx: click.Context, code: str | None, candidate: str | None) -> None:
    """Sit a paper: a learner's terminal for sitting CODE (locked until an invigilator's PIN)."""
    from marker_tui.interfaces.cli.process_memory import give_back_large_blocks
    from marker_tui.interfaces.tui.launch import run_learner_terminal

    give_back_large_blocks()
    centre = _centre(ctx)
    try:
        run_learner_terminal(centre, code, candidate)
    finally:
        centre.close()


@click.command("invigilate")
@click.argument("code", metavar="CODE")
@click.pass_context
def invigilate(ctx: click.Context, code: str) -> None:
    """Run the room for sitting CODE: live status and actions (staff name and PIN asked on screen)."""
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.launch import run_app
    from marker_tui.interfaces.tui.screens.invigilator import invigilator_sign_in

    centre = _centre(ctx)
    try:
        with user_errors():
            summary = centre.sittings.summary(code)
        run_app(MarkerApp(centre, start=invigilator_sign_in(summary.code)))
    finally:
        centre.close()
