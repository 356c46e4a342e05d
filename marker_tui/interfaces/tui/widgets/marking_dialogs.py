"""The marking screen's dialogs: comment bank and feedback.

Each is a small modal that returns its answer with ``dismiss``; none of them
writes marks itself (the comment bank adds to the bank through the service,
which is not a mark). Yes/no and "why?" are the shared kit's (widgets/dialogs.py),
re-exported here for the marking screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog, ReasonDialog  # noqa: F401 (re-exported)
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.service_calls import ServiceCalls

MARKING_CSS = "../styles/marking.tcss"


class CommentBankDialog(ServiceCalls, ModalScreen[str | None]):
    """The question's comment bank: pick one (Enter or its number), or add the current comment."""

    CSS_PATH = MARKING_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("a", "add", "Add current comment"),
        *[Binding(str(n), f"pick({n})", f"Pick {n}", show=False) for n in range(1, 10)],
    ]

    def __init__(self, code: str, question_id: str, marker: str, current_comment: str) -> None:
        super().__init__()
        self.code = code
        self.question_id = question_id
        self.marker = marker
        self.current_comment = current_comment.strip()
        self.texts: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="mk-dialog bank-dialog"):
            yield Static(f"Comment bank · question {self.question_id}", classes="mk-dialog-title")
            yield OptionList(id="bank-list")
            yield Static("", id="bank-message", classes="mk-dialog-hint")
            yield Static("Enter or 1-9: use    a: add the comment you typed    Esc: close", classes="mk-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self._reload()
        self.query_one("#bank-list", OptionList).focus()

    def _reload(self, highlight: str | None = None) -> None:
        self.run_service(self.app.centre.marking.comments, self.code, self.question_id,
                         done=lambda comments: self._show(comments, highlight), failed=self._refused)

    def _refused(self, error: Exception) -> None:
        self.query_one("#bank-message", Static).update(Content(visible(str(error))))

    def _show(self, comments: list, highlight: str | None) -> None:
        self.texts = [c.text for c in comments]
        options = self.query_one("#bank-list", OptionList)
        options.clear_options()
        for n, comment in enumerate(comments, start=1):
            label = f"{n}. " if n <= 9 else "   "
            options.add_option(Option(Content(visible_line(f"{label}{comment.text}  ({comment.added_by})"))))
        message = self.query_one("#bank-message", Static)
        if not comments:
            message.update("No comments for this question yet. Type a comment on the marking screen, "
                           "then press b and a to add it here.")
        if highlight in self.texts:
            options.highlighted = self.texts.index(highlight)
        elif comments:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.texts[event.option_index])

    def action_pick(self, number: int) -> None:
        if number <= len(self.texts):
            self.dismiss(self.texts[number - 1])
        else:
            self.app.bell()

    def action_add(self) -> None:
        message = self.query_one("#bank-message", Static)
        if not self.current_comment:
            message.update("Type a comment on the marking screen first (c), then add it here.")
            return

        def added(comment) -> None:
            self._reload(highlight=comment.text)
            message.update("Added to the bank for this question: Enter uses it now.")

        self.run_service(self.app.centre.marking.add_comment, self.code, self.question_id, self.current_comment,
                         by=self.marker, done=added, failed=self._refused)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FeedbackDialog(ModalScreen[tuple[str, str] | None]):
    """Overall feedback and next steps for the learner (Ctrl+S: keep, Esc: cancel)."""

    CSS_PATH = MARKING_CSS
    BINDINGS = [
        Binding("ctrl+s", "keep", "Save feedback"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, script_number: str, overall: str | None, next_steps: str | None) -> None:
        super().__init__()
        self.script_number = script_number
        # Stored feedback, hidden characters made visible (what is saved back is what the marker saw).
        self.overall = visible(overall or "")
        self.next_steps = visible(next_steps or "")

    def compose(self) -> ComposeResult:
        with Vertical(classes="mk-dialog feedback-dialog"):
            yield Static(f"Feedback to the learner · script {self.script_number}", classes="mk-dialog-title")
            yield Label("Overall feedback")
            yield PlainTextArea(self.overall, id="overall")
            yield Label("Next steps")
            yield PlainTextArea(self.next_steps, id="next-steps")
            yield Static("Tab: next box    Ctrl+S: save    Esc: cancel", classes="mk-dialog-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#overall", PlainTextArea).focus()

    def action_keep(self) -> None:
        self.dismiss((self.query_one("#overall", PlainTextArea).text,
                      self.query_one("#next-steps", PlainTextArea).text))

    def action_cancel(self) -> None:
        self.dismiss(None)
