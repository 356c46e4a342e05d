"""Identical answers marked once (from the marking screen, g): the groups of scripts whose answers
to the current question are the same once normalised, and one mark given to a whole group.

Blind like the rest of marking: script numbers only. Each script still gets its own mark; scripts
someone else is marking, scripts marked complete and marks changed meanwhile are left out, and the
message says which and why.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from marker_tui.domain.visible_text import visible_line
from marker_tui.interfaces.tui.kit import say
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.tables import highlighted_key

CSS = "../styles/iqa.tcss"


class GroupMarkingScreen(ServiceCalls, Screen[bool]):
    """The groups of identical answers to one question; digits then Enter mark the highlighted group.

    Dismissed with True when something was marked (the marking screen then reloads)."""

    CSS_PATH = CSS
    DEFAULT_CSS = """
    GroupMarkingScreen #group-table { height: 1fr; }
    GroupMarkingScreen #group-scripts { height: auto; max-height: 8; padding: 0 1; }
    GroupMarkingScreen #group-entry { height: 1; padding: 0 1; }
    """
    BINDINGS = [
        Binding("0", "digit(0)", "Mark", key_display="0-9"),
        *[Binding(str(n), f"digit({n})", f"Mark {n}", show=False) for n in range(1, 10)],
        Binding("backspace", "clear", "Clear", show=False),
        Binding("enter", "save", "Mark the group", priority=True),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, code: str, question_id: str, marker: str) -> None:
        super().__init__()
        self.code = code
        self.question_id = question_id
        self.marker = marker
        self.groups: list = []
        self.typed = ""
        self.marked_any = False

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Identical answers · {self.code} · Q{self.question_id}", classes="iqa-title-bar")
        yield Plain("Scripts whose answers are the same once case, spacing and end punctuation are ignored. "
                    "Type a mark, Enter gives it to every script of the highlighted group (each keeps its own "
                    "mark and history).", classes="iqa-info-line")
        yield DataTable(id="group-table", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="group-scripts")
        yield Static("", id="group-entry")
        yield Plain("", id="group-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#group-table", DataTable)
        table.add_columns("Answer", "Scripts", "Marks given so far")
        self.action_refresh()
        table.focus()

    @property
    def service(self):
        return self.app.centre.marking

    def say(self, message: str, *, error: bool = False) -> None:
        say(self.query_one("#group-message", Plain), message, error=error)

    def service_failed(self, error: Exception) -> None:
        self.say(visible_line(str(error)) or "That did not work; try again.", error=True)

    def action_refresh(self) -> None:
        self.run_service(self.service.identical_answers, self.code, self.question_id, by=self.marker,
                         done=self._show)

    def _show(self, groups) -> None:
        self.groups = groups
        table = self.query_one("#group-table", DataTable)
        at = table.cursor_row
        table.clear()
        for g in groups:
            given = ", ".join(str(m) for m in g.marks_given) or "none"
            style = "bold red" if len(g.marks_given) > 1 else ""
            table.add_row(Text(visible_line(g.shown)[:60]), str(len(g.scripts)), Text(given, style=style),
                          key=g.answer)
        if groups:
            table.move_cursor(row=min(at, len(groups) - 1))
        else:
            self.say(f"No two scripts give the same answer to question {self.question_id}.")
        self._show_group()

    def _group(self):
        key = highlighted_key(self.query_one("#group-table", DataTable))
        return next((g for g in self.groups if g.answer == key), None)

    @on(DataTable.RowHighlighted, "#group-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_group()

    def _show_group(self) -> None:
        group = self._group()
        if group is None:
            self.query_one("#group-scripts", Plain).update("")
        else:
            lines = []
            for s in group.scripts:
                mark = "no mark" if s.mark is None else f"{s.mark.marks_awarded} from {s.mark.marked_by}"
                held = f" · being marked by {s.held_by}" if s.held_by and s.held_by.lower() != self.marker.lower() else ""
                lines.append(f"Script {s.script_number}: {mark} · {s.state.value}{held}")
            self.query_one("#group-scripts", Plain).update("\n".join(lines))
        self._show_entry()

    def _show_entry(self) -> None:
        text = Text()
        text.append("Mark for this group: ", style="bold")
        if self.typed:
            text.append(f"{self.typed}_", style="bold reverse")
            text.append("  Enter: give it to every script listed")
        else:
            text.append("-  type 0-9")
        self.query_one("#group-entry", Static).update(text)

    def action_digit(self, digit: int) -> None:
        self.typed = (self.typed + str(digit))[-2:].lstrip("0") or "0"
        self._show_entry()

    def action_clear(self) -> None:
        self.typed = ""
        self._show_entry()

    def action_save(self) -> None:
        group = self._group()
        if group is None:
            return
        if not self.typed:
            self.say("Type the mark first (0-9), then Enter.", error=True)
            return
        marks = int(self.typed)
        self.run_service(self.service.mark_group, self.code, self.question_id, group.answer, marks,
                         by=self.marker, versions=group.versions, done=self._marked)

    def _marked(self, done) -> None:
        self.typed = ""
        self.marked_any = self.marked_any or bool(done.marked)
        self.say(done.message, error=not done.marked)
        self.action_refresh()

    def action_back(self) -> None:
        self.dismiss(self.marked_any)
