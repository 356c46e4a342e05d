"""Start the application (kept apart so the CLI imports Textual only when needed).

Every command that opens a screen goes through :func:`run_app` (staff) or
:func:`run_learner_terminal` (``marker-tui sit``), so an unexpected error always
ends the same way: never a traceback; staff get one line saying where the error
log is; a learner's terminal never falls back to whatever started it.
"""

from __future__ import annotations

from pathlib import Path

import click


_MAX_RESTARTS = 20  # an error at every start (a dead terminal) must not loop for ever


def fault_line(app) -> str:
    where = (f"the details are in the staff error log: {app.fault_log}" if app.fault_log is not None
             else "the details could not be written to the error log (is the disk full?)")
    return f"marker-tui stopped after an unexpected error; {where}"


def run_app(app) -> None:
    """Run a staff app; after an unexpected error, one line and exit status 1."""
    app.run()
    if app.faulted:
        raise click.ClickException(fault_line(app))


def run_learner_terminal(centre, code: str | None, candidate: str | None) -> None:
    """A learner's terminal, locked until an invigilator's PIN, even through an unexpected error.

    The error boundary keeps the app up under its calm fault screen; if the app
    stopped anyway (an error in its own machinery), or the invigilator pressed
    ctrl+t there, a new app starts, on the fault screen or the login for the same
    learner. Only the invigilator's release ends this loop.
    """
    import sys

    from .app import MarkerApp
    from .hangup import HANGUP, is_terminal, terminal_hung_up
    from .screens.fault import RESTART, LearnerFaultScreen
    from .screens.learner import LearnerLoginScreen

    output = sys.__stdout__.fileno() if sys.__stdout__ is not None else None
    on_a_terminal = is_terminal(output)
    start = LearnerLoginScreen(code, candidate, locked=True)
    faults = 0
    while True:
        app = MarkerApp(centre, start=start)
        app.learner_terminal = True
        result = app.run()
        if result == HANGUP or (on_a_terminal and (not is_terminal(output) or terminal_hung_up(output))):
            # Nobody is there any more (whatever the app ended with: a new app on a dead terminal
            # would read end-of-input for ever); the terminal's lease lapses (domain/admission.py).
            return
        if result == RESTART:
            login = app.learner_login or (code, candidate)
            start = LearnerLoginScreen(*login, locked=True)
        elif app.faulted and app.locked_down and faults < _MAX_RESTARTS:
            # Stopped by an error, not by the invigilator's release: still the learner's terminal.
            faults += 1
            start = LearnerFaultScreen()
        else:
            return


def open_app(db_path: Path, *, welcome: str | None = None) -> None:
    from marker_tui.interfaces.export_location import centre_name_from_environment
    from marker_tui.services.centre import Centre
    from marker_tui.storage.database import StorageError

    from .app import MarkerApp

    try:
        centre = Centre.open(db_path, centre_name=centre_name_from_environment())
    except StorageError as error:
        # A database from a newer version, not a database, locked...: one clear line, no traceback.
        raise click.ClickException(str(error)) from None
    try:
        run_app(MarkerApp(centre, welcome=welcome))
    finally:
        centre.close()
