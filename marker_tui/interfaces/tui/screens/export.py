"""The export dialog: every export of a sitting one key away from the marker, IQA and invigilator screens.

A screen offers it with two lines (``code`` and the signed-in staff member's
name are what the screen already has)::

    Binding("X", "export", "Export"),

    def action_export(self) -> None:
        self.app.push_screen(ExportScreen(self.code, by=self.staff_name))

The dialog: choose what to export (results as Excel or CSV, Word feedback for
every learner, the IQA record as Word or CSV, the audit trail), see and change
the folder (default ``~/marker-tui-exports/<CODE>/``, or under
``MARKER_TUI_EXPORTS``), press Export. The export runs in a thread worker (the
screen stays live) through :class:`~marker_tui.services.exports.ExportService`,
which reports progress to the progress bar via ``call_from_thread``. If marking
or IQA is not finished, nothing is written: the dialog lists what is missing
and the button becomes "Export anyway", an explicit second choice. When done it
lists the files written (and the learners left out). The export is recorded in
the audit log under ``by``. Dismissed with the last :class:`ExportReport` (or
None when nothing was exported).
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, RadioButton, RadioSet, Static

from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.export_location import default_export_folder
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.services.audit import ServiceError
from marker_tui.services.exports import (
    ExportIncomplete,
    ExportKind,
    ExportReport,
    default_file_name,
)
from marker_tui.storage.database import StorageError

EXPORT_CSS = "../styles/export.tcss"

#: The choices, in the order shown.
KINDS = (
    ExportKind.RESULTS_XLSX,
    ExportKind.RESULTS_CSV,
    ExportKind.FEEDBACK,
    ExportKind.IQA_DOCX,
    ExportKind.IQA_CSV,
    ExportKind.AUDIT_CSV,
    ExportKind.EVERYTHING,
)


def _plain(text: str = "", **kwargs) -> Static:
    """Text shown exactly as given (names and paths are never markup; hidden characters are shown)."""
    return Plain(text, **kwargs)


class ExportScreen(ServiceCalls, ModalScreen[ExportReport | None]):
    """Choose an export of sitting ``code``, run it in a worker with a progress bar, show where files went."""

    CSS_PATH = EXPORT_CSS
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+e", "export", "Export", show=False),
    ]

    def __init__(self, code: str, *, by: str, folder: Path | None = None, kind: ExportKind = KINDS[0]) -> None:
        super().__init__()
        self.code = code.strip().upper()
        self.by = by
        self.folder = folder or default_export_folder(self.code)
        self.kind = ExportKind(kind)
        self.report: ExportReport | None = None
        self.problems: list[str] = []
        self.running = False
        self.runs_finished = 0
        """How many exports (done, refused or warned) this dialog has finished."""
        self._anyway_for: tuple[ExportKind, str] | None = None
        """The export (kind, folder) the user may now run although it is incomplete."""

    # -- layout ------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog"):
            yield _plain(f"Export sitting {self.code}", id="export-title")
            with RadioSet(id="export-kinds"):
                for kind in KINDS:
                    yield RadioButton(kind.label, value=kind is self.kind, name=kind.value)
            yield Label("Folder")
            yield TextInput(str(self.folder), id="export-folder")
            yield _plain("", id="export-target", classes="export-hint")
            with Horizontal(id="export-buttons"):
                yield Button("Close (Esc)", id="export-close")
                yield Button("Export", id="export-run", variant="primary")
            yield ProgressBar(total=None, id="export-progress", show_eta=False)
            with VerticalScroll(id="export-messages"):
                yield _plain("", id="export-warnings")
                yield _plain("", id="export-error")
                yield _plain("", id="export-done")

    def on_mount(self) -> None:
        self.query_one("#export-progress", ProgressBar).display = False
        self._show_target()
        kinds = self.query_one("#export-kinds", RadioSet)
        # RadioSet highlights its first button on mount; start on the chosen one, so Enter or
        # Space there keeps the choice instead of switching to the first export.
        kinds._selected = KINDS.index(self.kind)
        kinds.focus()

    # -- what to export, and where -------------------------------------------------------------------

    def target(self, kind: ExportKind | None = None) -> Path:
        kind = kind or self.kind
        folder = Path(self.query_one("#export-folder", TextInput).value.strip() or str(self.folder)).expanduser()
        return folder / default_file_name(kind, self.code)

    def _show_target(self) -> None:
        where = self.target()
        text = (f"One document per learner in {where}" if self.kind is ExportKind.FEEDBACK
                else f"Every file into {where}" if self.kind is ExportKind.EVERYTHING else f"Writes {where}")
        self.query_one("#export-target", Static).update(text)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.kind = ExportKind(event.pressed.name)
        self._reset_anyway()
        self._show_target()

    def on_input_changed(self, event: TextInput.Changed) -> None:
        if event.input.id == "export-folder":
            self._reset_anyway()
            self._show_target()

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        self.action_export()

    def _reset_anyway(self) -> None:
        if self._anyway_for is not None:
            self._anyway_for = None
            self.problems = []
            self.query_one("#export-warnings", Static).update("")
            self.query_one("#export-run", Button).label = "Export"

    # -- running ---------------------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "export-run":
            self.action_export()
        elif event.button.id == "export-close":
            self.action_close()

    def action_export(self) -> None:
        if self.running:
            return
        target = self.target()
        anyway = self._anyway_for == (self.kind, str(target))
        self.running = True
        self.query_one("#export-run", Button).disabled = True
        self.query_one("#export-error", Static).update("")
        self.query_one("#export-done", Static).update("")
        bar = self.query_one("#export-progress", ProgressBar)
        bar.display = True
        bar.update(total=None, progress=0)
        self.run_export(self.kind, target, anyway)

    def run_export(self, kind: ExportKind, target: Path, allow_incomplete: bool) -> None:
        """The service does the work in a thread worker (run_service); progress comes back via call_from_thread."""
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._progress, done, total)

        def failed(error: Exception) -> None:
            if isinstance(error, ExportIncomplete):
                self._incomplete(kind, target, error.problems)
            elif isinstance(error, OSError):  # a folder that cannot be written, a full disk
                where = f" ({error.filename})" if error.filename else ""
                self._failed(f"{error.strerror or error}{where}")
            else:
                self._failed(str(error))

        self.run_service(self.app.centre.exports.export, kind, self.code, target, by=self.by,
                         allow_incomplete=allow_incomplete, progress=progress,
                         done=self._done, failed=failed, group="export", expected=(ServiceError, StorageError, OSError))

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#export-progress", ProgressBar).update(total=total, progress=done)

    def _finished(self) -> None:
        self.running = False
        self.runs_finished += 1
        self.query_one("#export-run", Button).disabled = False

    def _incomplete(self, kind: ExportKind, target: Path, problems: list[str]) -> None:
        self._finished()
        self.query_one("#export-progress", ProgressBar).display = False
        self.problems = problems
        self._anyway_for = (kind, str(target))
        lines = "\n".join(f"• {p}" for p in problems)
        self.query_one("#export-warnings", Static).update(
            f"Not finished yet, so this export would be incomplete:\n{lines}\n"
            "Nothing was written. Press \"Export anyway\" to export it as it stands.")
        button = self.query_one("#export-run", Button)
        button.label = "Export anyway"
        button.focus()
        self.query_one("#export-messages").scroll_visible()

    def _failed(self, message: str) -> None:
        self._finished()
        self.query_one("#export-progress", ProgressBar).display = False
        self.query_one("#export-error", Static).update(message)
        self.query_one("#export-messages").scroll_visible()

    def _done(self, report: ExportReport) -> None:
        self._finished()
        self.report = report
        self._anyway_for = None
        self.problems = []
        self.query_one("#export-warnings", Static).update("")
        self.query_one("#export-run", Button).label = "Export"
        self.query_one("#export-done", Static).update("\n".join(report.lines()))
        written = report.folder if report.kind is ExportKind.EVERYTHING else (
            report.paths[0].parent if report.kind is ExportKind.FEEDBACK and report.paths else (
                report.paths[0] if report.paths else None))
        self.notify(f"{report.kind.label}: written to {written}", title="Export done", markup=False)
        self.query_one("#export-close", Button).focus()
        self.query_one("#export-messages").scroll_visible()

    def action_close(self) -> None:
        if self.running:
            # Stopping half way would leave some files written and the export not in the audit log.
            self.notify("The export is still running: wait for it to finish.", severity="warning")
            return
        self.dismiss(self.report)
