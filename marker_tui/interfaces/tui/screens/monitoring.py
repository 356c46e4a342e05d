"""Marker monitoring for the lead assessor (IQA or admin): the papers, then one paper's markers.

* :class:`MonitoringPapersScreen`: every paper (qualification unit) with marks given on screen;
  Enter opens one.
* :class:`MarkerMonitoringScreen`: one row per marker (scripts, mean mark, the largest difference
  from the reference marks, kappa, time per script, drift, control scripts, flags) and, under it,
  why the highlighted marker is flagged, in plain words. c / x write the figures as CSV / XLSX
  to the export folder.

Reached from Quality assurance (m) and, for an admin, from the home menu.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable

from marker_tui.domain.visible_text import visible_line
from marker_tui.interfaces.tui.kit import leave as _leave, say
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.tables import highlighted_key

CSS = "../styles/iqa.tcss"


class _Messages(ServiceCalls):
    def service_failed(self, error: Exception) -> None:
        self.say(visible_line(str(error)) or "That did not work; try again.", error=True)

    def say(self, message: str, *, error: bool = False) -> None:
        say(self.query_one("#monitoring-message", Plain), message, error=error)  # type: ignore[attr-defined]


class MonitoringPapersScreen(_Messages, Screen):
    """The papers with marking to monitor."""

    CSS_PATH = CSS
    DEFAULT_CSS = "MonitoringPapersScreen DataTable { height: 1fr; }"
    BINDINGS = [
        Binding("enter", "open", "Open", priority=True),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
        # The lead assessor's reviews of marking (issue 18.4); hidden from the footer, in F1's list.
        Binding("v", "reviews_of_marking", "Reviews of marking", show=False),
    ]

    def action_reviews_of_marking(self) -> None:
        from marker_tui.interfaces.tui.screens.reviews import ReviewsScreen

        self.app.push_screen(ReviewsScreen(self.lead))

    def __init__(self, lead: str) -> None:
        super().__init__()
        self.lead = lead

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Marker monitoring · {self.lead}", classes="iqa-title-bar")
        yield Plain("Papers with marking (every sitting of a unit together); Enter opens one.",
                    classes="iqa-info-line")
        yield DataTable(id="monitoring-papers", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="monitoring-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#monitoring-papers", DataTable)
        table.add_columns("Paper", "Title", "Sittings", "Markers", "Scripts marked")
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        self.run_service(self.app.centre.monitoring.papers, by=self.lead, done=self._show)

    def _show(self, papers) -> None:
        table = self.query_one("#monitoring-papers", DataTable)
        table.clear()
        for p in papers:
            key = f"{p.qualification}/{p.unit}"
            table.add_row(Text(key), Text(visible_line(p.title or "")), str(p.sittings), str(p.markers),
                          str(p.scripts_marked), key=key)
        if not papers:
            self.say("No marks have been given on screen yet: there is nothing to monitor.")

    def action_open(self) -> None:
        key = highlighted_key(self.query_one("#monitoring-papers", DataTable))
        if key is not None:
            self.app.push_screen(MarkerMonitoringScreen(key, self.lead))

    @on(DataTable.RowSelected, "#monitoring-papers")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_back(self) -> None:
        _leave(self)


def _number(value: float | None, places: int, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:.{places}f}{suffix}"


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def _largest_difference(figures) -> str:
    compared = [q for q in figures.questions if q.mean_difference is not None]
    if not compared:
        return "none yet"
    q = max(compared, key=lambda q: abs(q.mean_difference))
    return f"Q{q.question_id} {q.mean_difference:+.1f}"


class MarkerMonitoringScreen(_Messages, Screen):
    """One paper's markers, with why each flagged one is flagged."""

    CSS_PATH = CSS
    DEFAULT_CSS = "MarkerMonitoringScreen DataTable { height: 1fr; } #monitoring-flags { max-height: 10; }"
    BINDINGS = [
        Binding("c", "export('csv')", "Export CSV"),
        Binding("x", "export('xlsx')", "Export XLSX"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, paper: str, lead: str) -> None:
        super().__init__()
        self.paper = paper
        self.lead = lead
        self.report = None

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Marker monitoring · {self.paper}", id="monitoring-title",
                    classes="iqa-title-bar")
        yield Plain("", id="monitoring-info", classes="iqa-info-line")
        yield DataTable(id="monitoring-markers", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="monitoring-flags", classes="iqa-notes-line")
        yield Plain("", id="monitoring-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#monitoring-markers", DataTable)
        table.add_columns("Marker", "Scripts", "Mean mark", "Vs reference", "Kappa", "Time/script", "Drift",
                          "Control scripts", "Same answer, other mark", "Flags")
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        self.run_service(self.app.centre.monitoring.report, self.paper, by=self.lead, done=self._show)

    def _show(self, report) -> None:
        self.report = report
        self.paper = report.paper  # a sitting code opens its paper: from here on, the paper's name
        self.query_one("#monitoring-title", Plain).update(
            f"marker-tui · Marker monitoring · {report.paper}" + (f" · {report.title}" if report.title else ""))
        self.query_one("#monitoring-info", Plain).update(
            f"Sittings: {', '.join(report.sitting_codes)} · {report.reference_words} · "
            f"{len(report.flagged)} of {len(report.markers)} marker(s) flagged · c/x: export CSV/XLSX")
        table = self.query_one("#monitoring-markers", DataTable)
        table.clear()
        for row in report.markers:
            f = row.figures
            drift = "n/a" if f.drift is None else f"{f.drift.change:+.0f} pts"
            flags = Text(f"{len(f.flags)} flag(s)", style="bold red") if f.flags else Text("none")
            table.add_row(Text(visible_line(f.marker)), str(f.scripts_marked), _number(f.mean_mark_percent, 0, "%"),
                          _largest_difference(f), _number(f.agreement.weighted_kappa, 2),
                          _time(f.median_seconds_per_script), drift, row.control_scripts,
                          Text(str(len(f.inconsistent)), style="bold red" if f.inconsistent else ""), flags,
                          key=f.marker)
        if not report.markers:
            self.say("No marks have been given on screen for this paper yet.")
        self._show_flags()

    @on(DataTable.RowHighlighted, "#monitoring-markers")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_flags()

    def _show_flags(self) -> None:
        if self.report is None:
            return
        key = highlighted_key(self.query_one("#monitoring-markers", DataTable))
        row = self.report.marker(key) if key else None
        out = self.query_one("#monitoring-flags", Plain)
        if row is None:
            out.update("")
        elif row.figures.flags:
            out.update(f"Why {row.figures.marker} is flagged:\n" + "\n".join(f"  • {r}" for r in row.figures.flags))
        else:
            out.update(f"{row.figures.marker}: nothing to flag.")

    def action_export(self, kind: str) -> None:
        from marker_tui.interfaces.export_location import default_export_folder

        name = self.paper.replace("/", "-")
        target = default_export_folder(name) / f"{name}-marker-monitoring.{kind}"
        self.run_service(self.app.centre.monitoring.export, self.paper, target, by=self.lead,
                         done=lambda path: self.say(f"Marker monitoring written to {path}"))

    def action_back(self) -> None:
        _leave(self)
