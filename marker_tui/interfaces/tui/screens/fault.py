"""What a screen shows after an unexpected error (see ``MarkerApp._handle_exception``).

Both are full screens, not dialogs: nothing of the screen underneath (a typed
PIN, another dialog) shows through. The details are in the staff-only error log
(storage/fault_log.py), never here.

* :class:`LearnerFaultScreen`: a calm message and nothing else about the error.
  The terminal stays locked: leaving still needs an invigilator's PIN. The
  invigilator can press ctrl+t to start the learner's terminal again (the
  learner logs in and carries on with their saved answers).
* :class:`StaffFaultScreen`: a short message and where the log is; Enter closes
  marker-tui (what was open may be half-drawn, so it is not offered again).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen

from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.widgets.plain import Plain

LEARNER_MESSAGE = "Something went wrong; your saved answers are safe; call the invigilator."
RESTART = "restart"
"""The app's result when the invigilator asks for the learner's terminal to start again."""

_CSS = """
FaultScreen { align: center middle; }
FaultScreen .fault-box { width: 66; max-width: 100%; height: auto; border: round $error; padding: 1 2; }
FaultScreen .fault-title { text-style: bold; }
FaultScreen .fault-hint { margin-top: 1; color: $text-muted; }
"""


class FaultScreen(Screen):
    DEFAULT_CSS = _CSS
    ALLOWED_IN_LOCKDOWN = True


class LearnerFaultScreen(FaultScreen):
    BINDINGS = [
        Binding("ctrl+t", "restart", "Invigilator: start again"),
        Binding("ctrl+q", "app.quit", "Quit", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Center():
            with Vertical(classes="fault-box", id="fault"):
                yield Plain(LEARNER_MESSAGE, classes="fault-title", id="fault-message")
                yield Plain("Please stay seated; there is nothing you need to do.")
                yield Plain("Invigilator: ctrl+t starts this terminal again (the learner logs in and "
                            "carries on with their saved answers); the staff error log has the details.",
                            classes="fault-hint")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if not self.app.locked_down:  # a terminal started again after a fault: locked from the start
            self.app.lock_down(self, self.request_release)

    def request_release(self) -> None:
        from marker_tui.interfaces.tui.screens.staff_sign_in import StaffPinDialog

        if isinstance(self.app.screen, StaffPinDialog):
            return

        def released(member) -> None:
            if member is not None:
                self.app.lift_lockdown()
                self.app.exit()

        self.app.push_screen(StaffPinDialog("An invigilator's name and PIN are needed to close this terminal"),
                             released)

    def action_restart(self) -> None:
        self.app.exit(RESTART)


class StaffFaultScreen(FaultScreen):
    BINDINGS = [
        Binding("enter,escape,ctrl+q", "close", "Close marker-tui", priority=True),
    ]

    def __init__(self, log_path: Path | None) -> None:
        super().__init__()
        self.log_path = log_path

    def compose(self) -> ComposeResult:
        where = (f"The details are in the staff error log: {self.log_path}" if self.log_path is not None
                 else "The details could not be written to the error log (is the disk full?).")
        with Center():
            with Vertical(classes="fault-box", id="fault"):
                yield Plain("Something went wrong, and marker-tui has to close.", classes="fault-title",
                            id="fault-message")
                yield Plain("Anything already saved is safe; a change that was being made when this "
                            "happened was either saved whole or not at all.")
                yield Plain(where, id="fault-log")
                yield Plain("Enter: close marker-tui", classes="fault-hint")
        yield Footer(show_command_palette=False)

    def action_close(self) -> None:
        self.app.exit(return_code=1)
