"""The IQA screens' dialogs: a different mark with its reason, the decision, the confirmation, sign-off, plan.

Each returns its answer with ``dismiss`` and writes nothing itself: the
screen passes the answer to the IQA services (``centre.iqa``), and
shows the service's refusal, if any, without closing what the reviewer typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.content import Content
from textual.widgets import Label, RadioButton, RadioSet, Static

from marker_tui.domain.reports import ScriptDecision
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea, TextInput
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.services.iqa.views import ActionPointIn, MarkChange

IQA_CSS = "../styles/iqa.tcss"

DECISIONS = (ScriptDecision.UPHELD, ScriptDecision.ADJUSTED, ScriptDecision.REFER_BACK)


CHOSEN = "(•)"
NOT_CHOSEN = "( )"


class ChoiceButton(RadioButton):
    """One of the decisions: "(•)" when chosen, "( )" when not. Textual draws the same dot for both,
    changing only its colour, so every choice looked chosen (and on a monochrome terminal, they were)."""

    @property
    def _button(self) -> Content:
        return Content.styled(CHOSEN if self.value else NOT_CHOSEN, self.get_visual_style("toggle--button"))


class DifferentMarkDialog(ModalScreen[tuple[int, str] | None]):
    """The reviewer's mark for one question and why it differs (Enter: next box / record; Esc: cancel)."""

    CSS_PATH = IQA_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question_id: str, max_marks: int, marker_mark: int, marker: str,
                 mark: int | None = None, reason: str | None = None, error: str = "") -> None:
        super().__init__()
        self.first_error = error
        self.question_id = question_id
        self.max_marks = max_marks
        self.marker_mark = marker_mark
        self.marker = marker
        self.mark = mark
        self.reason = reason or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="iqa-dialog"):
            yield Plain(f"Q{self.question_id}: {self.marker} gave {self.marker_mark} of {self.max_marks}. "
                        "Your mark:", classes="iqa-dialog-title")
            with Horizontal(classes="iqa-dialog-row"):
                yield Label("Mark ", classes="iqa-dialog-label")
                yield TextInput("" if self.mark is None else str(self.mark), id="iqa-mark", max_length=3,
                                restrict=r"[0-9]*", placeholder=f"0-{self.max_marks}", enter_moves_to="#iqa-reason")
            yield Label("Reason (to the marker and in the IQA record):", classes="iqa-dialog-wrap")
            yield TextInput(self.reason, id="iqa-reason", placeholder="e.g. point 2 is made in the last paragraph")
            yield Plain("", id="iqa-dialog-error", classes="iqa-dialog-error")
            yield Static("Enter: next box, then record    Esc: cancel (nothing recorded)", classes="iqa-dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#iqa-mark", TextInput).focus()
        if self.first_error:
            self.error(self.first_error)

    def error(self, message: str) -> None:
        self.query_one("#iqa-dialog-error", Plain).update(message)

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        mark_box = self.query_one("#iqa-mark", TextInput)
        reason_box = self.query_one("#iqa-reason", TextInput)
        if not mark_box.value.strip():
            self.error(f"Type your mark, 0 to {self.max_marks}.")
            mark_box.focus()
            return
        value = int(mark_box.value)
        if value > self.max_marks:
            self.error(f"Q{self.question_id} is worth {self.max_marks}: type a mark from 0 to {self.max_marks}.")
            mark_box.focus()
            return
        if event.input is mark_box and not reason_box.value.strip():
            self.error("")
            reason_box.focus()
            return
        if value != self.marker_mark and not reason_box.value.strip():
            self.error("A different mark needs a reason: type it, or press Esc to cancel.")
            reason_box.focus()
            return
        self.dismiss((value, " ".join(reason_box.value.split())))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class DecisionInput:
    decision: ScriptDecision
    feedback: str
    reason: str
    action_points: list[ActionPointIn] = field(default_factory=list)


def parse_action_points(text: str) -> list[ActionPointIn]:
    """One action point a line: ``text | owner | YYYY-MM-DD`` (owner and date optional)."""
    points = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > 3:
            raise ValueError(f"action point line {n}: at most 'text | owner | date'")
        due = None
        if len(parts) == 3 and parts[2]:
            try:
                due = date.fromisoformat(parts[2])
            except ValueError:
                raise ValueError(f"action point line {n}: {parts[2]!r} is not a date; write it as YYYY-MM-DD, "
                                 "e.g. 2026-04-30") from None
        if not parts[0]:
            raise ValueError(f"action point line {n}: the action itself is empty")
        points.append(ActionPointIn(text=parts[0], owner=(parts[1] if len(parts) > 1 and parts[1] else None),
                                    due=due))
    return points


class DecisionDialog(ModalScreen[DecisionInput | None]):
    """The decision for the script, feedback to the marker and action points (Ctrl+S: record).

    The decision is a radio list, first in the Tab order: arrow keys move, Space or
    Enter chooses (function keys are not relied on: terminals and multiplexers eat them).
    """

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("ctrl+s", "keep", "Record decision"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, script_number: str, changes: list[MarkChange], *, decision: ScriptDecision | None = None,
                 feedback: str | None = None, reason: str | None = None, action_points: str = "",
                 error: str = "") -> None:
        super().__init__()
        self.first_error = error
        self.script_number = script_number
        self.changes = changes
        self.decision = decision or (ScriptDecision.ADJUSTED if changes else ScriptDecision.UPHELD)
        self.feedback = feedback or ""
        self.reason = reason or ""
        self.points_text = action_points

    def compose(self) -> ComposeResult:
        with Vertical(classes="iqa-dialog iqa-decision-dialog"):
            yield Plain(f"Decision on script {self.script_number} · {self._changes_text()}",
                        classes="iqa-dialog-title")
            with RadioSet(id="iqa-decision-choice"):
                for decision in DECISIONS:
                    yield ChoiceButton(decision.value, value=decision is self.decision)
            yield Plain(f"Chosen: {self.decision.value}", id="iqa-decision-now")
            yield Label("Feedback to the marker", classes="iqa-dialog-wrap")
            yield PlainTextArea(self.feedback, id="iqa-feedback")
            yield Label("Action points, one a line: action | owner | YYYY-MM-DD", classes="iqa-dialog-wrap")
            yield PlainTextArea(self.points_text, id="iqa-action-points")
            with Horizontal(classes="iqa-dialog-row"):
                yield Label("Why (optional) ", classes="iqa-dialog-label")
                yield TextInput(self.reason, id="iqa-decision-reason")
            yield Plain("", id="iqa-dialog-error", classes="iqa-dialog-error")
            yield Static("↑↓ space: decision   Tab: next box   Ctrl+S: record   Esc: cancel",
                         classes="iqa-dialog-hint")
        yield Footer(compact=True)

    def _changes_text(self) -> str:
        if not self.changes:
            return "you agreed with every mark"
        return "your marks: " + ", ".join(f"Q{c.question_id} {c.old}→{c.new}" for c in self.changes)

    def on_mount(self) -> None:
        self.query_one("#iqa-decision-choice", RadioSet).focus()
        if self.first_error:
            self.error(self.first_error)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        self.decision = DECISIONS[event.index]
        self.query_one("#iqa-decision-now", Plain).update(f"Chosen: {self.decision.value}")
        self.error("")

    def error(self, message: str) -> None:
        self.query_one("#iqa-dialog-error", Plain).update(message)

    def action_keep(self) -> None:
        try:
            points = parse_action_points(self.query_one("#iqa-action-points", PlainTextArea).text)
        except ValueError as error:
            self.error(str(error))
            self.query_one("#iqa-action-points", PlainTextArea).focus()
            return
        feedback = self.query_one("#iqa-feedback", PlainTextArea).text
        if self.decision is ScriptDecision.ADJUSTED and not self.changes:
            self.error("'marks adjusted' needs a different mark: choose 'marking upheld', or Esc and give one (m).")
            self.query_one("#iqa-decision-choice", RadioSet).focus()
            return
        if self.decision is ScriptDecision.REFER_BACK and not feedback.strip():
            self.error("Referring back needs feedback telling the marker what to look at again.")
            self.query_one("#iqa-feedback", PlainTextArea).focus()
            return
        self.dismiss(DecisionInput(self.decision, feedback,
                                   self.query_one("#iqa-decision-reason", TextInput).value, points))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDecisionDialog(ModalScreen[bool]):
    """The explicit last step: what will change, then y (apply) or n (not now)."""

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("y,Y", "answer(True)", "Confirm"),
        Binding("n,N,escape", "answer(False)", "Not now"),
    ]

    def __init__(self, script_number: str, decision: ScriptDecision, changes: list[MarkChange],
                 before: str, after: str) -> None:
        super().__init__()
        self.script_number = script_number
        self.decision = decision
        self.changes = changes
        self.before = before
        self.after = after

    def compose(self) -> ComposeResult:
        with Vertical(classes="iqa-dialog"):
            yield Plain(f"Confirm '{self.decision.value}' for script {self.script_number}?", classes="iqa-dialog-title")
            with VerticalScroll(classes="iqa-dialog-body"):
                yield Plain(self._body(), classes="iqa-dialog-detail")
            yield Static("y: confirm (final)    n / Esc: not now (the decision waits; c confirms it later)",
                         classes="iqa-dialog-hint")

    def _body(self) -> str:
        if self.decision is ScriptDecision.ADJUSTED:
            lines = ["These marks will change (through the marking engine, with your reasons, in the audit log):"]
            lines += [f"  Q{c.question_id}: {c.old} → {c.new} of {c.max_marks} · {c.reason}" for c in self.changes]
            lines += ["", f"Total: {self.before} → {self.after}"]
        elif self.changes:
            lines = ["No marks change. Your different marks are recorded for agreement figures, not applied:"]
            lines += [f"  Q{c.question_id}: {c.old} (yours {c.new})" for c in self.changes]
            lines += ["", f"Total stays {self.before}"]
        else:
            lines = ["No marks change.", f"Total stays {self.before}"]
        if self.decision is ScriptDecision.REFER_BACK:
            lines += ["", "Your feedback goes to the marker; once they have re-marked, R on the review screen "
                      "starts a new round."]
        lines += ["", "Once confirmed the review cannot be changed."]
        return "\n".join(lines)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class StatementDialog(ServiceCalls, ModalScreen[str | None]):
    """One line of text: a sign-off statement, a second marker's name (Enter: go ahead, Esc: cancel).

    With ``attempt``, Enter hands the text to it first, on a thread worker (it
    calls a service, which may wait for the database): a refusal (the message it
    returns) is shown here and the dialog stays open with the text as typed, so a
    reviewer who signs off too early does not lose their statement.
    """

    CSS_PATH = IQA_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, heading: str, label: str, placeholder: str = "", *, value: str = "",
                 attempt: Callable[[str], str | None] | None = None) -> None:
        super().__init__()
        self.heading = heading
        self.label = label
        self.placeholder = placeholder
        self.value = value
        self.attempt = attempt
        self.typed = value
        """What is in the box when the dialog closes (Esc included), for the screen to keep as a draft."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="iqa-dialog"):
            yield Plain(self.heading, classes="iqa-dialog-title")
            yield Label(self.label, classes="iqa-dialog-wrap")
            yield TextInput(self.value, id="iqa-statement", placeholder=self.placeholder)
            yield Plain("", id="iqa-dialog-error", classes="iqa-dialog-error")
            yield Static("Enter: go ahead    Esc: cancel", classes="iqa-dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#iqa-statement", TextInput).focus()

    def on_input_changed(self, event: TextInput.Changed) -> None:
        self.typed = event.value

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        if self.attempt is None:
            self.dismiss(event.value)
            return
        value = event.value

        def tried(refused: str | None) -> None:
            if refused:
                self.query_one("#iqa-dialog-error", Plain).update(refused)
            else:
                self.dismiss(value)

        self.run_service(self.attempt, value, done=tried,
                         failed=lambda error: tried(str(error) or "That did not work; try again."))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class PlanInput:
    min_scripts: int
    min_fraction: float
    borderline: int | None
    include_fails: bool
    new_markers: list[str]
    seed: int | None
    reason: str


class DrawPlanDialog(ModalScreen[PlanInput | None]):
    """The sampling strategy, seed and (when drawing again) the reason. Ctrl+S: draw."""

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("ctrl+s", "keep", "Draw plan"),
        Binding("escape", "cancel", "Cancel"),
    ]

    FIELDS = (
        ("iqa-min-scripts", "At least this many scripts per marker", "3", r"[0-9]*"),
        ("iqa-min-percent", "...or this % of them, whichever is greater", "25", r"[0-9.]*"),
        ("iqa-borderline", "Every script within N marks of the pass mark (blank: off)", "2", r"[0-9]*"),
        ("iqa-fails", "Every fail (y/n)", "y", r"[ynYN]?"),
        ("iqa-new-markers", "New markers (all their scripts)", "", None),
        ("iqa-seed", "Seed (blank: derived from the scripts)", "", r"[0-9]*"),
    )

    def __init__(self, heading: str, *, redraw: bool, reason_required: bool = False) -> None:
        super().__init__()
        self.heading = heading
        self.redraw = redraw
        self.reason_required = reason_required

    def compose(self) -> ComposeResult:
        with Vertical(classes="iqa-dialog"):
            yield Plain(self.heading, classes="iqa-dialog-title")
            with VerticalScroll(classes="iqa-dialog-body"):
                for key, label, default, restrict in self.FIELDS:
                    with Horizontal(classes="iqa-dialog-row"):
                        yield Label(label, classes="iqa-field-label")
                        yield TextInput(default, id=key, restrict=restrict,
                                        placeholder="names, comma between" if key == "iqa-new-markers" else "",
                                        classes="iqa-field-input" + (" wide" if key == "iqa-new-markers" else ""))
                if self.redraw:
                    yield Label("Why draw it again (kept in the audit log)"
                                + (": needed, reviews have started" if self.reason_required else ""),
                                classes="iqa-dialog-wrap")
                    yield TextInput(id="iqa-reason")
            yield Plain("", id="iqa-dialog-error", classes="iqa-dialog-error")
            yield Static("Tab: next box    Ctrl+S: draw the plan    Esc: cancel", classes="iqa-dialog-hint")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#iqa-min-scripts", TextInput).focus()

    def _value(self, key: str) -> str:
        return self.query_one(f"#iqa-{key}", TextInput).value.strip()

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_keep(self) -> None:
        error = self.query_one("#iqa-dialog-error", Plain)
        try:
            percent = float(self._value("min-percent") or 0)
        except ValueError:
            error.update("The percentage is a number, e.g. 25.")
            return
        if not 0 <= percent <= 100:
            error.update("The percentage is from 0 to 100.")
            return
        if self.reason_required and not self._value("reason"):
            error.update("Reviews have started under this plan: say why you are drawing it again.")
            self.query_one("#iqa-reason", TextInput).focus()
            return
        seed = self._value("seed")
        self.dismiss(PlanInput(
            min_scripts=int(self._value("min-scripts") or 0), min_fraction=percent / 100,
            borderline=int(self._value("borderline")) if self._value("borderline") else None,
            include_fails=self._value("fails").lower() != "n",
            new_markers=[n.strip() for n in self._value("new-markers").split(",") if n.strip()],
            seed=int(seed) if seed else None,
            reason=self._value("reason") if self.redraw else ""))

    def action_cancel(self) -> None:
        self.dismiss(None)
