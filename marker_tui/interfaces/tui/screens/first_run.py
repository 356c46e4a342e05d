"""First run on an empty database: load the shipped papers, then create the first admin.

Push it with a callback (``app.push_screen(FirstRunScreen(), on_done)``): it
dismisses with the new admin (a :class:`StaffMember`), or with None when the
centre already had an admin and only the papers needed loading.

What it does, in order, with everything visible on screen:

1. loads the papers and mark schemes from the centre's ``papers/`` and
   ``markschemes/`` folders (:func:`load_shipped_papers`: loading them again
   changes nothing) and lists what was loaded, and any file errors;
2. if nobody is an admin yet, asks for the centre's name and awarding-body number
   (printed on every document) and the admin's name and a PIN typed twice
   (:func:`create_first_admin`, which refuses once an admin exists and stores the
   centre's details in the same transaction), with the service's words for every mistake.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label

from marker_tui.domain.centre_identity import (
    MAX_CENTRE_NAME,
    NUMBER_HELP,
    CentreIdentityError,
    clean_centre_name,
    clean_centre_number,
)
from marker_tui.interfaces.tui.widgets.admin_forms import ADMIN_CSS
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.services.audit import ServiceError
from marker_tui.services.setup import ReloadReport, create_first_admin, load_shipped_papers, needs_admin
from marker_tui.services.staff import StaffMember, check_pin_format
from marker_tui.interfaces.tui.widgets.footer import Footer


def report_text(report: ReloadReport) -> Text:
    """What loading the files did, for a person setting up a centre."""
    text = Text()
    if not report.loaded and not report.skipped:
        text.append("No question papers were found in the papers folder. You can add them later and load "
                    "them from Administer → Papers → Reload files.\n", style="yellow")
    for loaded in report.loaded:
        state = {"new": "loaded", "new version": "loaded as a new version"}.get(loaded.status, "already loaded")
        text.append("  ✓ ", style="green")
        text.append(f"{loaded.qualification} unit {loaded.unit} (version {loaded.version}): {state}\n")
    for skipped in report.skipped:
        text.append("  ✗ ", style="bold red")
        text.append(f"{skipped.qualification} unit {skipped.unit}: not loaded, {skipped.reason}\n")
    if report.errors:
        text.append(f"\n{len(report.errors)} problem(s) in the files (run `marker-tui check` for the list; "
                    "the papers they affect can be loaded later, once fixed):\n", style="bold red")
        for line in report.errors[:10]:
            text.append(f"  {line}\n", style="red")
        if len(report.errors) > 10:
            text.append(f"  … and {len(report.errors) - 10} more\n", style="red")
    if report.warnings:
        text.append(f"{len(report.warnings)} warning(s) from `marker-tui check` (the papers can still be used).\n",
                    style="yellow")
    return text


class FirstRunScreen(ServiceCalls, Screen[StaffMember | None]):
    """Welcome, papers loaded, first admin. Dismisses with the admin made (or None).

    Loading the papers, the check for an admin and creating the admin run through ``run_service``
    (a thread worker), so the screen answers keys while the database is busy.
    """

    CSS_PATH = ADMIN_CSS
    BINDINGS = [
        Binding("enter", "continue", "Continue"),
        Binding("f1", "app.show_keys", "Keys"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: ReloadReport | None = None
        self.admin_needed = True
        """Until the database says otherwise (a centre restored without staff, say): the form is shown."""
        self._creating = False

    def compose(self) -> ComposeResult:
        centre = self.app.centre
        yield Plain("marker-tui · First-time set-up", classes="admin-title")
        with VerticalScroll(id="first-run-body"):
            yield Plain(self._welcome(centre.path), id="first-run-welcome")
            yield Plain("Loading the papers and mark schemes…", id="papers-loaded")
            with Vertical(classes="first-run-box", id="admin-form"):
                yield Plain("Your centre (printed on every document)", classes="admin-dialog-title")
                yield Label("Centre name")
                yield TextInput(id="centre-name", placeholder="e.g. Glanmor College", max_length=MAX_CENTRE_NAME)
                yield Label("Centre number (from your awarding body, e.g. 123456 or 123456A)")
                yield TextInput(id="centre-number", placeholder="e.g. 123456", max_length=20)
                yield Plain("Create the first admin", classes="admin-dialog-title")
                yield Label("Your name (what you will type to sign in)")
                yield TextInput(id="admin-name", placeholder="e.g. Ada Admin", max_length=100)
                yield Label("PIN (4 to 12 digits; keep it to yourself)")
                yield TextInput(id="admin-pin", password=True, restrict=r"[0-9]*", max_length=12,
                                placeholder="digits only")
                yield Label("PIN again")
                yield TextInput(id="admin-pin-again", password=True, restrict=r"[0-9]*", max_length=12,
                                placeholder="the same digits again")
                yield Plain("", id="first-run-error", classes="first-run-error")
                yield Plain("Enter: next box, then create the admin    Ctrl+Q: quit", classes="admin-hint")
            yield Plain("Press Enter to continue.", id="first-run-continue", classes="admin-hint")
        yield Footer()

    def _welcome(self, path) -> str:
        return (f"Welcome. This centre's database is new ({path}).\n"
                "First the question papers and mark schemes that came with marker-tui are loaded; "
                + ("then you create the first admin, who can add the other staff, the candidates and the "
                   "sittings." if self.admin_needed else "this centre already has an admin."))

    def on_mount(self) -> None:
        self.query_one("#first-run-continue").display = False
        self.query_one("#centre-name", TextInput).focus()
        self.run_service(needs_admin, self.app.centre, done=self._admin_checked)
        # Paint the screen first, then load (a second or so on a slow disk).
        self.call_after_refresh(self.load_papers)

    def _admin_checked(self, needed: bool) -> None:
        self.admin_needed = needed
        if not needed:
            self.query_one("#admin-form").remove()
            self.query_one("#first-run-continue").display = True
            self.query_one("#first-run-welcome", Plain).update(self._welcome(self.app.centre.path))
            self.set_focus(None)
        self.refresh_bindings()

    def load_papers(self) -> None:
        self.run_service(load_shipped_papers, self.app.centre, done=self._papers_loaded,
                         failed=self._papers_failed)

    def _papers_failed(self, error: Exception) -> None:
        self.query_one("#papers-loaded", Plain).update(Text(
            f"The papers could not be loaded: {error}\nYou can load them later from "
            "Administer → Papers → Reload files.", style="bold red"))

    def _papers_loaded(self, report: ReloadReport) -> None:
        self.report = report
        shown = self.query_one("#papers-loaded", Plain)
        heading = Text("Papers and mark schemes\n", style="bold")
        shown.update(heading + report_text(self.report))
        focused = self.focused
        if focused is not None:
            self.call_after_refresh(lambda: focused.scroll_visible(animate=False))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "continue":
            return not self.admin_needed
        return True

    def action_continue(self) -> None:
        self.dismiss(None)

    # -- the first admin ---------------------------------------------------------------------------
    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one("#first-run-error", Plain)
        error.update(Text(message, style="bold red") if message else "")
        if field:
            self.query_one(f"#{field}", TextInput).focus()
        if message:  # on a small terminal the whole form, message included, scrolls into view
            self.call_after_refresh(lambda: self.query_one("#admin-form").scroll_visible(animate=False))

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        centre_name = self.query_one("#centre-name", TextInput)
        centre_number = self.query_one("#centre-number", TextInput)
        try:
            clean_centre_name(centre_name.value)
        except CentreIdentityError as error:
            self.show_error(str(error), "centre-name")
            return
        if not centre_number.value.strip():
            # Enter in the centre name box just moves on, as in the boxes below.
            self.show_error("" if event.input is centre_name else f"Type the centre number. {NUMBER_HELP}",
                            "centre-number")
            return
        try:
            clean_centre_number(centre_number.value)
        except CentreIdentityError as error:
            self.show_error(str(error), "centre-number")
            return
        name = self.query_one("#admin-name", TextInput)
        pin = self.query_one("#admin-pin", TextInput)
        again = self.query_one("#admin-pin-again", TextInput)
        if not name.value.strip():
            self.show_error("" if event.input in (centre_name, centre_number) else "Type your name.", "admin-name")
            return
        if not pin.value:
            # Enter in the name box just moves on; Enter further down says what is missing.
            self.show_error("" if event.input is name else "Choose a PIN of 4 to 12 digits.", "admin-pin")
            return
        try:
            check_pin_format(pin.value)
        except ServiceError as error:
            self.show_error(str(error), "admin-pin")
            return
        if not again.value:
            self.show_error("" if event.input is not again else "Type the PIN again, to be sure it is right.",
                            "admin-pin-again")
            return
        if self._creating:
            return
        self._creating = True

        def refused(error: Exception) -> None:
            self._creating = False
            if pin.value != again.value:
                again.value = ""
                self.show_error(str(error), "admin-pin-again")
            else:
                self.show_error(str(error))

        self.run_service(create_first_admin, self.app.centre, name.value, pin.value, again.value,
                         centre_name=centre_name.value, centre_number=centre_number.value,
                         done=self._admin_created, failed=refused)

    def _admin_created(self, member: StaffMember) -> None:
        self._creating = False
        self.show_error("")
        self.notify(f"{member.name} is the admin. Sign in with that name and PIN to set up the centre.")
        self.dismiss(member)
