"""Staff name and PIN: signing in to invigilate, and releasing a learner's locked terminal.

The PIN is checked by :meth:`StaffService.verify_pin` (wrong PINs and the
lock-out after three of them are its rules, and are audited there); the role is
checked only after the PIN matched, so the form never reveals who holds which
role to someone who does not know the PIN.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.contrast import toggle_high_contrast
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.services.staff import StaffMember
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.domain.roles import Permission, roles_for

STAFF_CSS = "../styles/learner.tcss"
INVIGILATOR_ROLES = roles_for(Permission.RUN_ROOM)


class StaffPinForm(ServiceCalls, Vertical):
    """Name, PIN, and the service's answer. Posts :class:`StaffPinForm.Verified`.

    The PIN is checked through ``run_service`` (a thread worker): the check writes (sign-in or wrong
    PIN, audited), so it may wait for the write lock, and the form answers keys meanwhile.
    """

    class Verified(Message):
        def __init__(self, member: StaffMember) -> None:
            super().__init__()
            self.member = member

    def __init__(self, purpose: str, roles: tuple[str, ...] = INVIGILATOR_ROLES, **kwargs) -> None:
        super().__init__(**kwargs)
        self.purpose = purpose
        self.roles = roles
        self.checking = False

    def compose(self) -> ComposeResult:
        yield Plain(self.purpose, classes="form-purpose")
        yield Label("Staff name")
        yield TextInput(id="staff-name", placeholder="e.g. Ian Invigilator", enter_moves_to="#staff-pin")
        yield Label("PIN")
        yield TextInput(id="staff-pin", password=True, restrict=r"[0-9]*", max_length=12,
                        placeholder="4 to 12 digits")
        yield Plain("", id="pin-error", classes="form-error")
        yield Plain("Enter: continue", classes="form-hint")

    def on_mount(self) -> None:
        self.query_one("#staff-name", TextInput).focus()

    def show_error(self, message: str) -> None:
        self.query_one("#pin-error", Static).update(message)

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        name_box = self.query_one("#staff-name", TextInput)
        pin_box = self.query_one("#staff-pin", TextInput)
        if not name_box.value.strip():
            self.show_error("Type your name.")
            name_box.focus()
            return
        if not pin_box.value:
            if event.input is name_box:
                self.show_error("")
            else:
                self.show_error("Type your PIN.")
            pin_box.focus()
            return
        self.verify(name_box.value, pin_box.value)

    def verify(self, name: str, pin: str) -> None:
        if self.checking:  # Enter again while the first check waits: one check is enough
            return
        self.checking = True
        self.show_error("Checking…")
        self.run_service(self.app.centre.staff.verify_pin, name, pin, done=self._verified, failed=self._refused,
                         group="sign-in")

    def _refused(self, error: Exception) -> None:
        self.checking = False
        pin_box = self.query_one("#staff-pin", TextInput)
        self.show_error(str(error))  # a refusal (wrong PIN, locked out) or a storage problem, in words
        pin_box.value = ""
        pin_box.focus()

    def _verified(self, member: StaffMember) -> None:
        self.checking = False
        pin_box = self.query_one("#staff-pin", TextInput)
        if not member.has_any(*self.roles):
            self.show_error(f"{member.name} cannot do this: it needs the role {' or '.join(self.roles)}.")
            pin_box.value = ""
            return
        self.show_error("")
        self.post_message(self.Verified(member))


class StaffSignInScreen(Screen):
    """A full screen asking for a staff name and PIN; then ``then(member)`` replaces it."""

    CSS_PATH = STAFF_CSS
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f2", "toggle_contrast", "High contrast"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def __init__(self, title: str, then: Callable[[StaffMember], Screen],
                 roles: tuple[str, ...] = INVIGILATOR_ROLES) -> None:
        super().__init__()
        self.heading = title
        self.then = then
        self.roles = roles

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · {self.heading}", classes="title-bar")
        with Center(classes="form-centre"):
            yield StaffPinForm(f"{self.heading}: sign in with your staff name and PIN.", self.roles,
                               classes="form-box")
        yield Footer()

    def on_staff_pin_form_verified(self, message: StaffPinForm.Verified) -> None:
        self.app.switch_screen(self.then(message.member))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Back only where there is somewhere to go back to (the home screen that opened it);
        # ``marker-tui mark`` and the like open straight onto this screen.
        if action == "back":
            return self._below() is not None
        return True

    def _below(self) -> Screen | None:
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        return None if below is None or below.id == "_default" else below  # Textual's blank first screen

    def action_back(self) -> None:
        if self._below() is not None:
            self.app.pop_screen()

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)


class StaffPinDialog(ModalScreen[StaffMember | None]):
    """Asks for an invigilator's name and PIN over the current screen (Escape cancels)."""

    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = STAFF_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, purpose: str, roles: tuple[str, ...] = INVIGILATOR_ROLES) -> None:
        super().__init__()
        self.purpose = purpose
        self.roles = roles

    def compose(self) -> ComposeResult:
        yield StaffPinForm(self.purpose + " (Escape: cancel)", self.roles, classes="dialog form-box",
                           id="pin-dialog")

    def on_staff_pin_form_verified(self, message: StaffPinForm.Verified) -> None:
        self.dismiss(message.member)

    def action_cancel(self) -> None:
        self.dismiss(None)
