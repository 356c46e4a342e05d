"""Standardisation screens (issue 18.1, 18.2).

* :class:`LeadAssessorScreen` (IQA home, ``s``): per paper, the standardisation scripts with their
  definitive marks, every marker's standing (to qualify, qualified, approved, suspended) and what
  needs the lead assessor now (a suspended marker). ``c`` chooses a script, ``a`` approves the
  highlighted marker and ``r`` reinstates them, each with a reason. Definitive marks are recorded
  with ``marker-tui standardise marks`` (a YAML or CSV file, so the rationale can be written with care).
* :class:`StandardisationScreen` (the marking queue, ``s``): a marker's practice and qualification
  scripts; :class:`StandardisationMarkScreen` marks one (blind to the definitive marks) and
  :class:`StandardisationResultScreen` shows how it compared, with the definitive marks and their
  rationale question by question for a practice script or one out of tolerance.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from marker_tui.domain.standardisation import Kind, Standing
from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.dialogs import ReasonDialog
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.tui.widgets.marking_dialogs import MARKING_CSS
from marker_tui.interfaces.tui.widgets.tables import highlighted_key
from marker_tui.services.standardisation import PaperStandardisation, ScriptToMark, Submitted


class _Said(ServiceCalls, Screen):
    """A message line, and errors from services shown on it."""

    CSS_PATH = MARKING_CSS

    def say(self, message: str, error: bool = False) -> None:
        line = self.query_one("#std-message", Static)
        line.update(Content(visible(message)))
        line.set_class(error, "error")

    def service_failed(self, error: Exception) -> None:
        self.say(str(error), error=True)

    def action_back(self) -> None:
        self.app.pop_screen()


# --- the lead assessor ------------------------------------------------------------------------------


class LeadAssessorScreen(_Said):
    BINDINGS = [
        Binding("c", "choose", "Choose script"),
        Binding("a", "approve", "Approve marker"),
        Binding("r", "reinstate", "Reinstate"),
        Binding("p", "next_paper", "Next paper"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, by: str, paper: str | None = None) -> None:
        super().__init__()
        self.by = by
        self.paper = paper
        self.papers: list[str] = []
        self.view: PaperStandardisation | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"marker-tui · Standardisation · lead assessor {self.by}", id="std-title", classes="title-bar")
        yield Static("", id="std-alerts", classes="message-line error")
        yield Static("", id="std-paper", classes="info-line")
        yield DataTable(id="std-scripts", cursor_type="row", zebra_stripes=True)
        yield Static("Markers · a: approve (with a reason) · r: reinstate a suspended marker", classes="info-line")
        yield DataTable(id="std-markers", cursor_type="row", zebra_stripes=True)
        yield Static("", id="std-message", classes="message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#std-scripts", DataTable).add_columns("Script", "Sat in", "Number", "Definitive", "Total")
        self.query_one("#std-markers", DataTable).add_columns("Marker", "Standing", "Control failures in a row",
                                                               "Lead assessor's decision")
        self.query_one("#std-markers", DataTable).focus()
        self.run_service(self.app.centre.standardisation.papers, done=self._papers)

    def _papers(self, papers: list[str]) -> None:
        self.papers = papers
        if self.paper is None and papers:
            self.paper = papers[0]
        self.reload()

    def reload(self) -> None:
        if self.paper is None:
            self.say("No paper has been sat yet: standardisation scripts are chosen from sittings of a paper.")
            return
        self.run_service(self.app.centre.standardisation.overview, self.paper, done=self._show)

    def _show(self, view: PaperStandardisation) -> None:
        self.view = view
        t, c = view.tolerance, view.control
        self.query_one("#std-paper", Static).update(Content(
            f"Paper {view.paper} · tolerance {t.per_question} per question, {t.total} on the total · control "
            f"scripts about 1 in {c.one_in}, {c.suspend_after} out of tolerance in a row suspend · p: next paper"))
        self.query_one("#std-alerts", Static).update(Content(visible(" ".join(view.alerts))))
        scripts = self.query_one("#std-scripts", DataTable)
        scripts.clear()
        for s in view.scripts:
            done = f"{len(s.definitive)}/{len(s.questions)} questions"
            scripts.add_row(s.label, s.sitting_code, s.script_number, done,
                            str(s.definitive_total) if s.complete else "-", key=str(s.id))
        markers = self.query_one("#std-markers", DataTable)
        keep = highlighted_key(markers)
        markers.clear()
        for m in view.markers:
            markers.add_row(Text(visible_line(m.marker)), m.qualification.standing.value,
                            str(m.control_failures_in_a_row), Text(visible_line(m.decision or "-")), key=m.marker)
        if keep is not None and keep in {m.marker for m in view.markers}:
            markers.move_cursor(row=markers.get_row_index(keep), animate=False)

    def action_next_paper(self) -> None:
        if self.papers and self.paper in self.papers:
            self.paper = self.papers[(self.papers.index(self.paper) + 1) % len(self.papers)]
            self.reload()

    def _marker(self) -> str | None:
        return highlighted_key(self.query_one("#std-markers", DataTable))

    def action_approve(self) -> None:
        self._decide(self.app.centre.standardisation.approve, "Approve {m} to mark live scripts of {p}?",
                     "e.g. went through both qualification scripts with me", "approve with this reason",
                     "{m} may now mark {p}.")

    def action_reinstate(self) -> None:
        self._decide(self.app.centre.standardisation.reinstate, "Reinstate {m} for live marking of {p}?",
                     "e.g. discussed the control scripts; re-read the scheme", "reinstate with this reason",
                     "{m} is reinstated for {p}.")

    def _decide(self, call, question: str, placeholder: str, save_hint: str, done: str) -> None:
        """The lead assessor's decision about the highlighted marker, always with a reason."""
        marker = self._marker()
        if marker is None or self.paper is None:
            return
        paper = self.paper

        def decided(reason: str | None) -> None:
            if reason:
                self.run_service(call, paper, marker, reason, by=self.by,
                                 done=lambda _: (self.say(done.format(m=marker, p=paper)), self.reload()))

        self.app.push_screen(ReasonDialog(question.format(m=marker, p=paper), placeholder=placeholder,
                                          save_hint=save_hint), decided)

    def action_choose(self) -> None:
        def chosen(text: str | None) -> None:
            if not text:
                return
            parts = text.split()
            if len(parts) != 3:
                self.say("Type the sitting, the script number and the kind, e.g. 305-DEMO 4821 qualification.",
                         error=True)
                return
            code, number, kind = parts
            self.run_service(self.app.centre.standardisation.choose, code, number, kind, by=self.by,
                             done=lambda s: (self.say(f"Script {s.script_number} of {s.sitting_code} is now {s.label}; "
                                                      "record its definitive marks with marker-tui standardise "
                                                      "marks."), self.reload()))

        self.app.push_screen(ReasonDialog("Choose a script for standardisation",
                                          label="Sitting, script number and kind (practice, qualification or control):",
                                          placeholder="e.g. 305-DEMO 4821 qualification", save_hint="choose it"),
                             chosen)


# --- the marker ----------------------------------------------------------------------------------------


class StandardisationScreen(_Said):
    """A marker's practice and qualification scripts of one paper."""

    BINDINGS = [
        Binding("enter", "open", "Mark script"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, paper: str, marker: str) -> None:
        super().__init__()
        self.paper = paper
        self.marker = marker

    def compose(self) -> ComposeResult:
        yield Static(f"marker-tui · Standardisation {self.paper} · {self.marker}", classes="title-bar")
        yield Static("", id="std-standing", classes="info-line")
        yield DataTable(id="std-items", cursor_type="row", zebra_stripes=True)
        yield Static("", id="std-message", classes="message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#std-items", DataTable)
        table.add_columns("Script", "Marked", "Last time")
        table.focus()
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        std = self.app.centre.standardisation
        self.run_service(lambda: (std.standing(self.paper, self.marker), std.to_mark(self.paper, self.marker)),
                         done=self._show)

    def _show(self, found) -> None:
        standing, items = found
        self.standing = standing.qualification
        self.query_one("#std-standing", Static).update(Content(visible(self.standing.message)))
        table = self.query_one("#std-items", DataTable)
        table.clear()
        for item in items:
            last = "-" if item.last_within is None else ("within tolerance" if item.last_within else "out of tolerance")
            table.add_row(item.label, str(item.marked), last, key=str(item.std_id))
        nxt = self.standing.next_script
        if nxt is not None and str(nxt) in {str(i.std_id) for i in items}:
            table.move_cursor(row=table.get_row_index(str(nxt)), animate=False)
        if not items:
            self.say(f"{self.paper} has no practice or qualification scripts with definitive marks yet.")

    def action_open(self) -> None:
        key = highlighted_key(self.query_one("#std-items", DataTable))
        if key is None:
            return
        self.run_service(self.app.centre.standardisation.open, int(key), by=self.marker,
                         done=lambda script: self.app.push_screen(StandardisationMarkScreen(script, self.marker)))

    @on(DataTable.RowSelected, "#std-items")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()


class StandardisationMarkScreen(_Said):
    """Mark every question of a practice or qualification script, then submit (ctrl+s)."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit marks"),
        Binding("escape", "back", "Back (nothing kept)"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, script: ScriptToMark, marker: str) -> None:
        super().__init__()
        self.script = script
        self.marker = marker

    def compose(self) -> ComposeResult:
        s = self.script
        yield Static(f"marker-tui · {s.label} · {self.marker} · type each mark, then ctrl+s", classes="title-bar")
        with VerticalScroll(id="std-questions"):
            for q in s.paper.questions:
                entry = s.scheme.question(q.id)
                points = "; ".join(p.text for p in entry.points) if entry else ""
                yield Static(Content(visible(f"Question {q.id} ({q.marks} mark{'s' if q.marks != 1 else ''}): "
                                             f"{' '.join(q.text.split())}")), classes="pane-label")
                yield Static(Content(visible("Answer: " + (s.answers.get(q.id) or "(no answer)"))))
                yield Static(Content(visible(f"Mark scheme: {points}")), classes="info-line")
                # Not restricted to digits: "1.5" quietly became 15, "-1" became 1. What is typed is checked
                # on ctrl+s and refused in words.
                yield TextInput(id=f"mark-{q.id}", max_length=4,
                                placeholder=f"0-{entry.max_marks if entry else q.marks}")
        yield Static("", id="std-message", classes="message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        first = self.script.paper.questions[0].id
        self.query_one(f"#mark-{first}", TextInput).focus()

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_submit(self) -> None:
        marks: dict[str, int] = {}
        for q in self.script.paper.questions:
            text = self.query_one(f"#mark-{q.id}", TextInput).value.strip()
            if not text:
                self.say(f"Question {q.id} has no mark: mark every question, then ctrl+s.", error=True)
                self.query_one(f"#mark-{q.id}", TextInput).focus()
                return
            entry = self.script.scheme.question(q.id)
            top = entry.max_marks if entry else q.marks
            if not text.isdigit() or int(text) > top:
                self.say(f'Question {q.id}: "{visible_line(text)}" is not a mark from 0 to {top}; enter a whole '
                         "number of marks.", error=True)
                self.query_one(f"#mark-{q.id}", TextInput).focus()
                return
            marks[q.id] = int(text)
        self.run_service(self.app.centre.standardisation.submit, self.script.std_id, marks, by=self.marker,
                         done=lambda result: self.app.switch_screen(StandardisationResultScreen(self.script, result)))


class StandardisationResultScreen(_Said):
    BINDINGS = [Binding("escape,enter", "back", "Back to the list"), Binding("f1", "app.show_keys", "Keys")]

    def __init__(self, script: ScriptToMark, result: Submitted) -> None:
        super().__init__()
        self.script = script
        self.result = result

    def compose(self) -> ComposeResult:
        r = self.result
        yield Static(f"marker-tui · {self.script.label}: how your marks compare", classes="title-bar")
        yield Static(Content(visible(f"{r.comparison.summary().capitalize()} (yours {r.comparison.given_total}, "
                                     f"definitive {r.comparison.definitive_total}).")), id="std-summary",
                     classes="info-line")
        yield DataTable(id="std-compare", cursor_type="row", zebra_stripes=True)
        after = r.standing
        if after.standing in (Standing.QUALIFIED, Standing.APPROVED):
            nxt = "You may now mark live scripts of this paper."
        elif r.kind is Kind.QUALIFICATION and after.next_script is not None:
            nxt = "Read the definitive marks and rationale, then take the next qualification script."
        else:
            nxt = after.message
        yield Static(Content(visible(nxt)), id="std-next", classes="info-line")
        yield Static("", id="std-message", classes="message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#std-compare", DataTable)
        if not self.result.show_definitive:
            table.display = False
            return
        table.add_columns("Question", "Yours", "Definitive", "", "Rationale")
        for q in self.result.comparison.questions:
            table.add_row(q.question_id, str(q.given), str(q.definitive), "ok" if q.within else "out",
                          Text(visible_line(q.rationale)))
        table.focus()
