"""``marker-tui sit`` and ``marker-tui invigilate``: open the app straight onto a sitting's screens.

* ``marker-tui sit [CODE] [--candidate NUMBER]``: a learner's terminal. Locked
  down from the first screen: leaving needs an invigilator's name and PIN.
* ``marker-tui invigilate CODE``: the room view, after a staff sign-in (name and
  PIN are asked on screen, never taken as arguments).

Textual and the screens are imported only when a command runs.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import click

from marker_tui.interfaces.cli.sitting import user_errors


class SittingTerminalCentre:
    """The part of :class:`~marker_tui.services.centre.Centre` a sitting's terminals use.

    ``services.centre`` imports every service (marking, IQA, exports...) when it
    is imported; a learner's terminal needs three of them, and loading the rest
    cost its launch about a third of a second and several MB
    (``bench/bench_learner.py``). Same attributes and ``open()`` as Centre, so a
    screen cannot tell the difference; anything else is handed to a full Centre
    on the same database, built on first use.
    """

    def __init__(self, db, clock) -> None:
        self.db = db
        self.clock = clock

    @classmethod
    def open(cls, path: str | Path, *, clock=None, create: bool = True) -> "SittingTerminalCentre":
        from marker_tui.domain.clock import SystemClock
        from marker_tui.storage.database import open_database

        return cls(open_database(path, create=create), clock or SystemClock())

    @property
    def path(self) -> Path:
        return Path(self.db.conn.execute("PRAGMA database_list").fetchone()[2])

    @cached_property
    def sittings(self):
        from marker_tui.services.sitting import SittingService

        return SittingService(self.db, self.clock)

    @cached_property
    def learners(self):
        from marker_tui.services.sitting import LearnerService

        return LearnerService(self.db, self.clock)

    @cached_property
    def staff(self):
        from marker_tui.services.staff import StaffService

        return StaffService(self.db, self.clock)

    @cached_property
    def _full(self):
        from marker_tui.services.centre import Centre

        return Centre(db=self.db, clock=self.clock)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._full, name)

    def close(self) -> None:
        self.db.close()


def _centre(ctx: click.Context) -> SittingTerminalCentre:
    from marker_tui.interfaces.cli.main import CliContext
    from marker_tui.storage.locations import database_path

    obj = ctx.find_object(CliContext)
    path = obj.db_path if obj is not None else database_path(None)
    with user_errors():
        return SittingTerminalCentre.open(path, create=False)


@click.command("sit")
@click.argument("code", required=False, metavar="[CODE]")
@click.option("--candidate", "candidate", metavar="NUMBER", help="The learner's candidate number.")
@click.pass_context
def sit(ctx: click.Context, code: str | None, candidate: str | None) -> None:
    """Sit a paper: a learner's terminal for sitting CODE (locked until an invigilator's PIN)."""
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.screens.learner import LearnerLoginScreen

    centre = _centre(ctx)
    try:
        MarkerApp(centre, start=LearnerLoginScreen(code, candidate, locked=True)).run()
    finally:
        centre.close()


@click.command("invigilate")
@click.argument("code", metavar="CODE")
@click.pass_context
def invigilate(ctx: click.Context, code: str) -> None:
    """Run the room for sitting CODE: live status and actions (staff name and PIN asked on screen)."""
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.screens.invigilator import invigilator_sign_in

    centre = _centre(ctx)
    try:
        with user_errors():
            summary = centre.sittings.summary(code)
        MarkerApp(centre, start=invigilator_sign_in(summary.code)).run()
    finally:
        centre.close()
