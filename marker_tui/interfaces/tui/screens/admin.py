"""Administer: the centre's set-up, for a signed-in admin.

Five sections (keys 1-5, or the tab bar): **Papers** (browse qualifications,
units, papers and mark schemes with the ``marker-tui check`` findings; reload
the files after editing them), **Candidates** (add, edit, import a CSV),
**Staff** (add, change roles, reset a PIN), **Sittings** (create one for a
unit, enrol candidates) and the **Audit log** (filter by sitting, person and
action; newest or oldest first).

Every change goes through the services with the signed-in admin as ``by``, so
each is checked, written in one transaction and recorded in the audit log. The
screen holds nothing the database does not: after every change the section is
read again.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Input, TabbedContent, TabPane, Tabs

from marker_tui.domain.visible_text import visible_line
from marker_tui.domain.local_time import DATE, DATE_CLOCK, DATE_MINUTE, HOUR_MINUTE, local_time
from marker_tui.interfaces.tui.widgets.admin_forms import (
    ADMIN_CSS,
    AddStaffForm,
    CandidateForm,
    CentreDetailsForm,
    CreateSittingForm,
    EnrolForm,
    ImportCandidatesForm,
    ReportDialog,
    ResetPinForm,
    RolesForm,
)
from marker_tui.interfaces.tui.kit import leave
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.specification_browser import SpecificationBrowser
from marker_tui.services.audit import AuditEntry, entries
from marker_tui.services.setup import centre_library, enrolment_counts, paper_file_status, reload_files
from marker_tui.services.staff import StaffMember
from marker_tui.interfaces.tui.widgets.footer import Footer

TABS = ("papers", "candidates", "staff", "sittings", "audit")
TAB_TITLES = {
    "papers": "1 Papers",
    "candidates": "2 Candidates",
    "staff": "3 Staff",
    "sittings": "4 Sittings",
    "audit": "5 Audit log",
}
#: action -> the tab it belongs to (shown in the footer and palette only there).
TAB_ACTIONS = {
    "reload_files": "papers",
    "centre_details": "papers",
    "add_candidate": "candidates",
    "edit_candidate": "candidates",
    "import_candidates": "candidates",
    "add_staff": "staff",
    "change_roles": "staff",
    "reset_pin": "staff",
    "create_sitting": "sittings",
    "enrol": "sittings",
    "filter_audit": "audit",
    "toggle_order": "audit",
    "clear_filters": "audit",
}
AUDIT_ROWS_SHOWN = 500
FILTER_DELAY = 0.2
"""Seconds after the last key in a filter box before the log is filtered again."""


def details_text(details: dict[str, Any], limit: int = 160) -> str:
    """An audit entry's details on one line: ``key: value; ...`` (long values cut)."""
    parts = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        if key in ("sha256", "content_hash") and isinstance(value, str):
            shown = value[:12] + "…"
        parts.append(f"{key}: {shown}")
    text = visible_line("; ".join(parts))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reload_text(report) -> Text:
    """What reloading the files did, for the report dialog."""
    body = Text()
    body.append(report.summary() + "\n\n", style="bold")
    for loaded in report.loaded:
        style = "bold green" if loaded.status in ("new", "new version") or loaded.mark_scheme == "new" else ""
        body.append("• " + visible_line(loaded.describe()) + "\n", style=style)
    for skipped in report.skipped:
        body.append("• " + visible_line(skipped.describe()) + "\n", style="bold red")
    if report.errors:
        body.append("\nFile errors (fix them, then reload):\n", style="bold red")
        for line in report.errors:
            body.append(f"  {visible_line(line)}\n", style="red")
    if report.warnings:
        body.append("\nWarnings:\n", style="bold yellow")
        for line in report.warnings:
            body.append(f"  {visible_line(line)}\n", style="yellow")
    return body


class AdminScreen(ServiceCalls, Screen):
    """The admin's screen. ``member`` is the signed-in admin; every change is made as them.

    Every read and write goes through ``run_service`` (a thread worker): a call waiting for the
    write lock never freezes the screen, and a failure is shown by ``_service_error``.
    """

    CSS_PATH = ADMIN_CSS
    BINDINGS = [
        *[Binding(str(n), f"show_tab('{tab}')", TAB_TITLES[tab].split(" ", 1)[1], show=False)
          for n, tab in enumerate(TABS, start=1)],
        Binding("escape", "sign_out", "Sign out"),
        Binding("f1", "app.show_keys", "Keys"),
        Binding("question_mark", "app.show_keys", "Keys", show=False),
        Binding("r", "reload_files", "Reload files"),
        Binding("c", "centre_details", "Centre name/number"),
        Binding("a", "add_candidate", "Add candidate"),
        Binding("e", "edit_candidate", "Edit"),
        Binding("i", "import_candidates", "Import CSV"),
        Binding("a", "add_staff", "Add staff"),
        Binding("e", "change_roles", "Change roles"),
        Binding("p", "reset_pin", "Reset PIN"),
        Binding("a", "create_sitting", "Create sitting"),
        Binding("e", "enrol", "Enrol candidates"),
        Binding("slash", "filter_audit", "Filter"),
        Binding("o", "toggle_order", "Newest/oldest first"),
        Binding("x", "clear_filters", "Clear filters"),
    ]

    def __init__(self, member: StaffMember) -> None:
        super().__init__()
        self.member = member
        self.library = None
        self._reading = False
        self._filter_timer = None
        self._tab = "papers"
        self.newest_first = True
        self._audit: list[AuditEntry] | None = None
        self._sitting_codes: dict[int, str] = {}
        self._candidates: dict[str, Any] = {}
        self._staff: dict[str, StaffMember] = {}
        self._sittings: dict[str, Any] = {}

    @property
    def by(self) -> str:
        return self.member.name

    @property
    def centre(self):
        return self.app.centre

    # == layout ==================================================================================

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Administer · {self.member.name} · 1-5: sections · Esc: sign out",
                    classes="admin-title")
        with TabbedContent(id="admin-tabs", initial="papers"):
            with TabPane(TAB_TITLES["papers"], id="papers"):
                yield Plain("", id="papers-status", classes="admin-status")
                yield Vertical(id="papers-browser-box")
                with Horizontal(id="papers-lower"):
                    yield DataTable(id="paper-files", cursor_type="row", zebra_stripes=True)
                    with VerticalScroll(id="paper-findings-box"):
                        yield Plain("", id="paper-findings")
            with TabPane(TAB_TITLES["candidates"], id="candidates"):
                yield Plain("", id="candidates-status", classes="admin-status")
                yield DataTable(id="candidates-table", cursor_type="row", zebra_stripes=True)
            with TabPane(TAB_TITLES["staff"], id="staff"):
                yield Plain("", id="staff-status", classes="admin-status")
                yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
            with TabPane(TAB_TITLES["sittings"], id="sittings"):
                yield Plain("", id="sittings-status", classes="admin-status")
                yield DataTable(id="sittings-table", cursor_type="row", zebra_stripes=True)
            with TabPane(TAB_TITLES["audit"], id="audit"):
                with Horizontal(id="audit-filters"):
                    yield TextInput(id="filter-sitting", placeholder="sitting code")
                    yield TextInput(id="filter-actor", placeholder="who")
                    yield TextInput(id="filter-action", placeholder="action contains…")
                yield Plain("", id="audit-status", classes="admin-status")
                yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#paper-files", DataTable).add_columns("Unit", "Version", "In the database")
        self.query_one("#candidates-table", DataTable).add_columns(
            "Number", "Name", "Extra time", "Access arrangements")
        self.query_one("#staff-table", DataTable).add_columns("Name", "Roles", "Sign-in", "Added")
        self.query_one("#sittings-table", DataTable).add_columns(
            "Code", "Unit", "Paper", "State", "Enrolled", "Starts", "Created by")
        self.query_one("#audit-table", DataTable).add_columns(
            "When", "Who", "Action", "Sitting", "Candidate", "Details")
        self.read_files()
        self.load_candidates()
        self.load_staff()
        self.load_sittings()

    # == sections ================================================================================

    @property
    def active_tab(self) -> str:
        """The section shown (kept here: the tab bar only catches up after a refresh)."""
        return self._tab

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = TAB_ACTIONS.get(action)
        return True if tab is None else self._tab == tab

    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one("#admin-tabs", TabbedContent)
        if tabs.active != tab:
            tabs.active = tab  # TabActivated follows; it finds the section already entered
        self._entered(tab)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        tab = event.pane.id or "papers"
        if tab != self._tab:  # chosen on the tab bar (mouse, or arrows on the bar)
            self._entered(tab)

    def _entered(self, tab: str) -> None:
        self._tab = tab
        self.refresh_bindings()
        if tab == "audit":
            self.load_audit()
        elif tab == "sittings":
            self.load_sittings()
        main = {
            "papers": "#spec-tree",
            "candidates": "#candidates-table",
            "staff": "#staff-table",
            "sittings": "#sittings-table",
            "audit": "#audit-table",
        }[tab]
        found = self.query(main)
        if found:
            found.first().focus()

    def action_sign_out(self) -> None:
        if isinstance(self.focused, Input):  # Esc in a filter box leaves the box first
            self.query_one("#audit-table", DataTable).focus()
            return
        # Signing out here signs the admin out of this terminal, not just out of this screen.
        if getattr(self.app, "staff_member", None) is not None:
            self.app.staff_member = None
        leave(self)

    def _refuse(self, message: str) -> None:
        self.app.bell()
        self.notify(message, severity="warning")

    def _service_error(self, error: Exception) -> None:
        self.notify(visible_line(str(error)) or "That did not work; try again.", title="Not done",
                    severity="error", timeout=10, markup=False)

    service_failed = _service_error  # run_service's one error path on this screen

    # == papers ==================================================================================

    # Reading the files takes a second or two (every YAML file is parsed and checked), so it
    # happens in a thread: the other sections can be used meanwhile.

    def read_files(self, *, reload: bool = False) -> None:
        """Read (and with ``reload``, load into the database) the centre's files, in a thread."""
        if self._reading:
            self.notify("Still reading the files: a moment…")
            return
        self._reading = True
        self.query_one("#papers-status", Plain).update(
            "Reloading the files into the database…" if reload else "Reading the papers and mark schemes…")
        self._files_worker(reload)

    def _files_worker(self, reload: bool) -> None:
        def read() -> tuple[Any, Any, Any]:
            library = centre_library(self.centre)
            report = reload_files(self.centre, by=self.by, library=library) if reload else None
            return library, paper_file_status(self.centre, library), report

        self.run_service(read, done=lambda found: self._files_read(*found), failed=self._files_failed,
                         group="files")

    def _files_failed(self, error: Exception) -> None:
        self._reading = False
        self.query_one("#papers-status", Plain).update(Text(f"The files could not be read: {error}",
                                                            style="bold red"))
        self._service_error(error)

    def _files_read(self, library, statuses, report) -> None:
        self._reading = False
        self.show_papers(library, statuses)
        if report is not None:
            self.app.push_screen(ReportDialog("Files reloaded", reload_text(report)))

    def show_papers(self, library, statuses) -> None:
        self.library = library
        self.call_later(self._show_browser, self.library)
        table = self.query_one("#paper-files", DataTable)
        table.clear()
        style = {"loaded": "green", "changed": "bold yellow", "not loaded": "yellow", "errors": "bold red"}
        for status in statuses:
            note = status.note + (f" · {status.versions_stored} versions stored" if status.versions_stored > 1 else "")
            table.add_row(Text(f"{status.qualification} {status.unit}"), Text(status.version),
                          Text(visible_line(note), style=style.get(status.state, "")))
        errors, warnings = self.library.errors, self.library.warnings
        findings = Text()
        if not errors and not warnings:
            findings.append("marker-tui check: no problems found.", style="green")
        for finding in errors + warnings:
            findings.append(f"{visible_line(finding)}\n", style="red" if finding in errors else "yellow")
        self.query_one("#paper-findings", Plain).update(findings)
        changed = sum(1 for s in statuses if s.state in ("changed", "not loaded"))
        status = (f"{len(self.library.specifications)} qualification(s) · {len(self.library.papers)} paper file(s) · "
                  f"{len(errors)} file error(s) · {len(warnings)} warning(s)")
        if changed:
            status += f" · {changed} file(s) not in the database yet: press r to reload"
        self.query_one("#papers-status", Plain).update(
            Text(status, style="bold red" if errors else ("bold yellow" if changed else "")))

    async def _show_browser(self, library) -> None:
        box = self.query_one("#papers-browser-box", Vertical)
        await box.remove_children()
        await box.mount(SpecificationBrowser(library, show_papers=True, focus_tree=False, id="admin-browser"))
        # Focus the tree if the admin is looking at this section and not busy elsewhere on it.
        focused = self.focused
        if self._tab == "papers" and (focused is None or isinstance(focused, Tabs) or not focused.display
                                      or "papers" in {a.id for a in focused.ancestors}):
            self.query_one("#spec-tree").focus()

    def action_reload_files(self) -> None:
        self.read_files(reload=True)


    # == candidates ==============================================================================

    def load_candidates(self, highlight: str | None = None) -> None:
        self.run_service(self.centre.candidates.all, done=lambda everyone: self._show_candidates(everyone, highlight),
                         group="candidates")

    def _show_candidates(self, everyone, highlight: str | None) -> None:
        self._candidates = {c.candidate_number: c for c in everyone}
        table = self.query_one("#candidates-table", DataTable)
        table.clear()
        for c in everyone:
            table.add_row(Text(visible_line(c.candidate_number)), Text(visible_line(c.name)),
                          Text(f"{c.extra_time_percent}%" if c.extra_time_percent else "-"),
                          Text(visible_line(c.access_arrangements or "-")), key=c.candidate_number)
        arranged = sum(1 for c in everyone if c.extra_time_percent or c.access_arrangements)
        self.query_one("#candidates-status", Plain).update(
            f"{len(everyone)} candidate(s), {arranged} with access arrangements · a: add · e or Enter: edit · "
            "i: import a CSV class list" if everyone else
            "No candidates yet: a adds one, i imports a class list from a CSV file.")
        self._move_to(table, highlight)

    @staticmethod
    def _move_to(table: DataTable, key: str | None) -> None:
        if key is None:
            return
        try:
            table.move_cursor(row=table.get_row_index(key))
        except Exception:  # the row is not there (e.g. filtered out)
            pass

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        key, _ = table.coordinate_to_cell_key((table.cursor_row, 0))
        return key.value

    def action_add_candidate(self) -> None:
        self.app.push_screen(CandidateForm(self.by), self._candidate_saved)

    def action_edit_candidate(self) -> None:
        number = self._selected("#candidates-table")
        if number is None:
            self._refuse("There is no candidate to edit yet: press a to add one.")
            return
        form = CandidateForm(self.by, self._candidates[number])
        self.app.push_screen(form, lambda c: self._candidate_saved(c, form.changed))

    def _candidate_saved(self, candidate, changed: bool = True) -> None:
        if candidate is None:
            return
        self.load_candidates(highlight=candidate.candidate_number)
        if changed:
            self.notify(f"Saved candidate {candidate.candidate_number} {candidate.name}.")
        else:
            self.notify(f"Candidate {candidate.candidate_number}: nothing was changed.")

    def action_import_candidates(self) -> None:
        self.app.push_screen(ImportCandidatesForm(self.by), self._imported)

    def _imported(self, report) -> None:
        if report is None:
            return
        self.load_candidates()
        message = (f"Imported {report.file}: {len(report.added)} added, {len(report.updated)} updated, "
                   f"{len(report.unchanged)} unchanged.")
        if report.updated:
            message += f" Updated: {', '.join(report.updated)}."
        self.notify(message, timeout=8)

    @on(DataTable.RowSelected, "#candidates-table")
    def _edit_chosen_candidate(self, event: DataTable.RowSelected) -> None:
        self.action_edit_candidate()

    # == staff ===================================================================================

    def load_staff(self, highlight: str | None = None) -> None:
        self.run_service(self.centre.staff.members, done=lambda members: self._show_staff(members, highlight),
                         group="staff")

    def _show_staff(self, members: list[StaffMember], highlight: str | None) -> None:
        self._staff = {m.name: m for m in members}
        now = self.centre.clock.now()
        table = self.query_one("#staff-table", DataTable)
        table.clear()
        for m in members:
            locked = m.locked_until is not None and m.locked_until > now
            table.add_row(Text(visible_line(m.name) + (" (you)" if m.id == self.member.id else "")), Text(", ".join(m.roles)),
                          Text(f"locked until {local_time(m.locked_until, HOUR_MINUTE)}", style="bold red")
                          if locked else Text("ok"),
                          Text(local_time(m.created_at, DATE)), key=m.name)
        self.query_one("#staff-status", Plain).update(
            f"{len(members)} staff member(s) · a: add · e or Enter: change roles · p: reset a PIN "
            "(also lifts a lock-out)")
        self._move_to(table, highlight)

    def _chosen_member(self) -> StaffMember | None:
        name = self._selected("#staff-table")
        return self._staff.get(name) if name else None

    def action_add_staff(self) -> None:
        self.app.push_screen(AddStaffForm(self.by), self._staff_saved)

    def action_change_roles(self) -> None:
        member = self._chosen_member()
        if member is None:
            self._refuse("Choose a staff member first.")
            return
        self.app.push_screen(RolesForm(self.by, member), self._staff_saved)

    def action_reset_pin(self) -> None:
        member = self._chosen_member()
        if member is None:
            self._refuse("Choose a staff member first.")
            return
        self.app.push_screen(ResetPinForm(self.by, member), self._pin_reset)

    def _staff_saved(self, member: StaffMember | None) -> None:
        if member is None:
            return
        self.load_staff(highlight=member.name)
        self.notify(f"Saved {member.name}: {', '.join(member.roles)}.")

    def _pin_reset(self, name: str | None) -> None:
        if name is None:
            return
        self.load_staff(highlight=name)
        self.notify(f"New PIN set for {name}; the old one no longer works.")

    @on(DataTable.RowSelected, "#staff-table")
    def _roles_of_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_change_roles()

    # == sittings ================================================================================

    def load_sittings(self, highlight: str | None = None) -> None:
        def read() -> tuple[Any, dict[int, int]]:
            return self.centre.sittings.sittings(), enrolment_counts(self.centre)

        self.run_service(read, done=lambda found: self._show_sittings(*found, highlight), group="sittings")

    def _show_sittings(self, summaries, counts: dict[int, int], highlight: str | None) -> None:
        self._sittings = {s.code: s for s in summaries}
        self._sitting_codes = {s.id: s.code for s in summaries}
        table = self.query_one("#sittings-table", DataTable)
        table.clear()
        for s in sorted(summaries, key=lambda s: s.id, reverse=True):
            enrolled = str(counts.get(s.id, 0))
            table.add_row(Text(s.code), Text(f"{s.qualification} {s.unit}"),
                          Text(f"v{s.paper_version} (id {s.paper_id})"), Text(str(s.state)), Text(enrolled),
                          Text(local_time(s.scheduled_start, DATE_MINUTE)), Text(visible_line(s.created_by)), key=s.code)
        self.query_one("#sittings-status", Plain).update(
            f"{len(summaries)} sitting(s), newest first · a: create a sitting for a unit · e or Enter: enrol "
            "candidates" if summaries else "No sittings yet: press a to create one for a unit.")
        self._move_to(table, highlight)

    def _paper_choices(self, library) -> list[tuple[str, Any]]:
        """In the worker: each of the library's papers with the version stored (or None)."""
        library = library or centre_library(self.centre)
        choices = []
        for (qualification, unit), paper in sorted(library.papers.items()):
            stored = self.centre.papers.latest(qualification, unit)
            spec = library.specifications.get(qualification)
            title = (stored.title if stored else None) or paper.title or (
                spec.unit(unit).title if spec and spec.unit(unit) else "")
            if stored is None:
                label = f"{qualification} {unit}  {title} (not loaded: reload the files first)"
            else:
                label = f"{qualification} {unit}  {title} · v{stored.version}, {stored.time_allowance_minutes} min"
            choices.append((label, stored))
        return choices

    def action_centre_details(self) -> None:
        exports = self.centre.exports

        def read() -> tuple[str, str]:
            return exports.stored_centre_name, exports.centre_number

        self.run_service(read, done=lambda found: self.app.push_screen(
            CentreDetailsForm(self.by, *found), self._centre_saved))

    def _centre_saved(self, saved) -> None:
        if saved is None:
            return
        name, number = saved
        self.notify(f"Documents now show {name}, centre number {number}.")

    def action_create_sitting(self) -> None:
        self.run_service(self._paper_choices, self.library, done=self._choose_paper)

    def _choose_paper(self, choices: list[tuple[str, Any]]) -> None:
        if not choices:
            self._refuse("No question papers are loaded: reload the files on the Papers tab first.")
            return
        self.app.push_screen(CreateSittingForm(self.by, choices), self._sitting_created)

    def _sitting_created(self, summary) -> None:
        if summary is None:
            return
        self.load_sittings(highlight=summary.code)
        self.notify(f"Created sitting {summary.code} ({summary.qualification} unit {summary.unit}, "
                    f"version {summary.paper_version}). Now tick the candidates to enrol.")
        self._open_enrol(summary.code)

    def action_enrol(self) -> None:
        code = self._selected("#sittings-table")
        if code is None:
            self._refuse("There is no sitting yet: press a to create one.")
            return
        self._open_enrol(code)

    def _open_enrol(self, code: str) -> None:
        def read():
            summary = self.centre.sittings.summary(code)
            enrolled = {c.candidate_number for c in self.centre.sittings.status(code).candidates}
            return summary, enrolled, self.centre.candidates.all()

        self.run_service(read, done=lambda found: self._enrol_in(code, *found))

    def _enrol_in(self, code: str, summary, enrolled: set[str], candidates) -> None:
        if summary.state == "ended":
            self._refuse(f"Sitting {code} has ended; nobody can be enrolled in it.")
            return
        self.app.push_screen(EnrolForm(self.by, code, candidates, enrolled), self._enrolled)

    def _enrolled(self, report) -> None:
        if report is None:
            return
        self.load_sittings(highlight=report.code)
        message = f"Sitting {report.code}: {len(report.enrolled)} candidate(s) enrolled"
        if report.already_enrolled:
            message += f", {len(report.already_enrolled)} already were"
        self.notify(message + ".")

    @on(DataTable.RowSelected, "#sittings-table")
    def _enrol_chosen(self, event: DataTable.RowSelected) -> None:
        self.action_enrol()

    # == audit log ===============================================================================

    def load_audit(self) -> None:
        known = self._sitting_codes

        def read() -> tuple[list[AuditEntry], dict[int, str]]:
            found = entries(self.centre.db)
            return found, known or {s.id: s.code for s in self.centre.sittings.sittings()}

        self.run_service(read, done=lambda found: self._show_loaded_audit(*found), group="audit")

    def _show_loaded_audit(self, found: list[AuditEntry], codes: dict[int, str]) -> None:
        self._audit = found
        if not self._sitting_codes:
            self._sitting_codes = codes
        self.show_audit()

    def audit_matches(self) -> list[AuditEntry]:
        """The loaded audit entries that match the filters, in the chosen order."""
        sitting = self.query_one("#filter-sitting", Input).value.strip().upper()
        actor = self.query_one("#filter-actor", Input).value.strip().lower()
        action = self.query_one("#filter-action", Input).value.strip().lower()
        found = []
        for entry in self._audit or []:
            code = self._sitting_codes.get(entry.sitting_id, "") if entry.sitting_id else ""
            if sitting and sitting not in code.upper():
                continue
            if actor and actor not in entry.actor.lower():
                continue
            if action and action not in entry.action.lower():
                continue
            found.append(entry)
        if self.newest_first:
            found.reverse()
        return found

    def show_audit(self) -> None:
        found = self.audit_matches()
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for entry in found[:AUDIT_ROWS_SHOWN]:
            code = self._sitting_codes.get(entry.sitting_id, str(entry.sitting_id)) if entry.sitting_id else "-"
            table.add_row(Text(local_time(entry.at, DATE_CLOCK)), Text(visible_line(entry.actor)),
                          Text(visible_line(entry.action)), Text(visible_line(code)),
                          Text(visible_line(entry.candidate_number or "-")),
                          Text(details_text(entry.details)), key=str(entry.id))
        total = len(self._audit or [])
        order = "newest first" if self.newest_first else "oldest first"
        shown = (f"showing the first {AUDIT_ROWS_SHOWN} of {len(found):,} matching entries: narrow the filters"
                 if len(found) > AUDIT_ROWS_SHOWN else f"{len(found):,} of {total:,} entries")
        self.query_one("#audit-status", Plain).update(
            f"{shown} · {order} · /: filter · o: newest/oldest first · x: clear filters")

    @on(Input.Changed, "#audit-filters Input")
    def _filter_changed(self, event: Input.Changed) -> None:
        # Redrawn once typing pauses, so keys are never held up behind a redraw of a long log.
        if self._audit is None:
            return
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(FILTER_DELAY, self.show_audit)

    @on(Input.Submitted, "#audit-filters Input")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.query_one("#audit-table", DataTable).focus()

    def action_filter_audit(self) -> None:
        self.query_one("#filter-sitting", Input).focus()

    def action_toggle_order(self) -> None:
        self.newest_first = not self.newest_first
        self.show_audit()

    def action_clear_filters(self) -> None:
        for box in self.query("#audit-filters Input").results(Input):
            box.value = ""
        self.load_audit()
