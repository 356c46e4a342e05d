"""The one confirmation dialog and the one reason dialog every screen uses (issue 17.5).

Each carries its own DEFAULT_CSS so it looks the same wherever it is pushed, whatever
stylesheet the pushing screen has. Both return their answer with ``dismiss``; neither writes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from marker_tui.domain.visible_text import visible
from marker_tui.interfaces.tui.widgets.inputs import TextInput

_DIALOG_CSS = """
    {name} {{ align: center middle; }}
    {name} > .kit-dialog {{
        width: 76; max-width: 96%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 2;
    }}
    {name} .kit-dialog-title {{ text-style: bold; margin: 1 0; }}
    {name} .kit-dialog-detail {{ margin-bottom: 1; }}
    {name} .kit-dialog-error {{ color: $error; }}
    {name} .kit-dialog-hint {{ color: $text-muted; margin: 1 0; }}
"""


class ConfirmDialog(ModalScreen[bool | None]):
    """A yes/no question: y = yes, n or Escape = no (and buttons with ids ``yes`` / ``no``, where a
    subclass composes them, as the learner's large dialogs do).

    With ``escape_stays`` it is a question with a way back: y and n answer (``yes`` / ``no`` name
    what each does, e.g. save / discard) and Escape answers None, meaning "neither: stay".
    """

    DEFAULT_CSS = _DIALOG_CSS.format(name="ConfirmDialog")
    # Enter does not say yes: a stray Enter must not complete, delete or hand in anything.
    BINDINGS = [
        Binding("y,Y", "answer(True)", "Yes"),
        Binding("n,N", "answer(False)", "No"),
        Binding("escape", "escape", "No"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "yes", no: str = "no",
                 escape_stays: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes, self.no = yes, no
        self.escape_stays = escape_stays  # what Escape does instead of "no" (e.g. "stay"), or None

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog"):
            yield Static(Content(visible(self.question)), classes="kit-dialog-title", id="confirm-question")
            if self.detail:
                yield Static(Content(visible(self.detail)), classes="kit-dialog-detail", id="confirm-detail")
            keys = (f"y: {self.yes}    n: {self.no}    Esc: {self.escape_stays}" if self.escape_stays
                    else f"y: {self.yes}    n / Esc: {self.no}")
            yield Static(Content(keys), classes="kit-dialog-hint")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("yes", "no"):
            event.stop()
            self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_escape(self) -> None:
        self.dismiss(None if self.escape_stays else False)


class ReasonDialog(ModalScreen[str | None]):
    """Asks why (Enter: keep the reason, Esc: cancel). The reason comes back on one line, or None."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="ReasonDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, why_needed: str, *, label: str = "Reason (kept in the audit log):",
                 suggestion: str = "", placeholder: str = "", save_hint: str = "save with this reason") -> None:
        super().__init__()
        self.why_needed = why_needed
        self.label = label
        self.suggestion = suggestion
        self.placeholder = placeholder
        self.save_hint = save_hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="kit-dialog"):
            yield Static(Content(visible(self.why_needed)), classes="kit-dialog-title", id="reason-why")
            yield Label(self.label)
            yield TextInput(self.suggestion, id="reason", placeholder=self.placeholder)
            yield Static("", id="reason-error", classes="kit-dialog-error")
            yield Static(f"Enter: {self.save_hint}    Esc: cancel (nothing saved)", classes="kit-dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#reason", TextInput).focus()

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        text = " ".join(event.value.split())
        if not text:
            self.query_one("#reason-error", Static).update("Type a reason, or press Esc to cancel.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
