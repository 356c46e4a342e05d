"""The admin screen's forms: candidates, CSV import, staff, roles, PINs, sittings, enrolment.

Every form is a small modal with the same keys: **Enter** saves (from any box,
tick box or list), **Escape** cancels and changes nothing, **Tab** moves between
boxes. The form calls the service itself with the signed-in admin as ``by``, on a
thread worker (``run_service``: a save waiting for the database never freezes the
screen; a second Enter meanwhile saves nothing twice); if the service refuses, its message is shown in the form (which stays open with
what was typed, so the admin can correct it) and nothing has changed. On
success the form closes, returning what was made or changed.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Checkbox, Label, OptionList, SelectionList
from textual.widgets.option_list import Option, OptionDoesNotExist
from textual.widgets.selection_list import Selection

from pydantic import ValidationError

from marker_tui.domain.arrangements import ArrangementKind, Evidenced
from marker_tui.domain import start_time
from marker_tui.domain.visible_text import visible_line
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.services.audit import ServiceError
from marker_tui.services.candidates import COLUMNS, Candidate
from marker_tui.services.staff import StaffMember, check_pin_format
from marker_tui.storage.database import StorageError
from marker_tui.storage.migrations import ROLES
from marker_tui.interfaces.tui.widgets.footer import Footer

ADMIN_CSS = "../styles/admin.tcss"

ROLE_LABELS = {
    "invigilator": "Invigilator: runs sittings (enrol, start, pause, extend, end)",
    "marker": "Marker: marks scripts",
    "iqa": "IQA reviewer: samples and checks marking",
    "admin": "Admin: candidates, staff, sittings, papers, audit log",
}


# Enter in a form saves it, whichever box has the focus. It is not a priority binding on the form:
# keys typed just before Enter must reach their box first (a priority binding would run ahead of
# them and save what was there before), so each kind of box passes Enter on in its own turn.


# Ticked and unticked are told apart by the mark, not only by colour (colour-blind staff,
# monochrome terminals, the high-contrast theme): "[x]" and "[ ]", plain ASCII every terminal
# and font has. Textual draws the same "X" for both and changes only its colour.
TICKED = "[x]"
UNTICKED = "[ ]"


def tick_mark(ticked: bool) -> str:
    return TICKED if ticked else UNTICKED


class FormCheckbox(Checkbox):
    """A tick box where Space ticks and Enter saves the form; shows [x] or [ ]."""

    BINDINGS = [Binding("enter", "screen.submit", "Save", show=False)]

    @property
    def _button(self) -> Content:
        return Content.styled(tick_mark(self.value), self.get_visual_style("toggle--button"))


class FormOptionList(OptionList):
    """A list where ↑/↓ choose and Enter saves the form."""

    BINDINGS = [Binding("enter", "screen.submit", "Save", show=False)]


class FormSelectionList(SelectionList):
    """A list of tick boxes: Space ticks, Enter saves the form; each line starts [x] or [ ]."""

    BINDINGS = [Binding("enter", "screen.submit", "Save", show=False)]

    def render_line(self, y: int) -> Strip:
        # SelectionList.render_line with the mark in place of its one-glyph button; the gutter
        # it leaves (_left_gutter_width) is 4 cells, as "[x] " is.
        line = OptionList.render_line(self, y)
        index = self.scroll_offset.y + y
        try:
            selection = self.get_option_at_index(index)
        except OptionDoesNotExist:
            return line
        ticked = selection.value in self._selected
        component = "selection-list--button" + ("-selected" if ticked else "") + (
            "-highlighted" if self.highlighted == index else "")
        underlying = next(iter(line)).style or self.rich_style
        meta = RichStyle(meta={"option": index})  # a click on the mark ticks this line
        button = self.get_component_rich_style(component) + meta
        return Strip([Segment(tick_mark(ticked), style=button), Segment(" ", style=underlying + meta), *line])


class FormMessage(Plain):
    """The form's error line: when its size changes the form is fitted to the screen again."""

    def on_resize(self) -> None:
        fit = getattr(self.screen, "_fit", None)
        if fit is not None:
            self.call_after_refresh(fit)


_STAY = object()
"""What ``perform`` returns when it has opened a confirmation and the form stays open meanwhile."""

Save = Callable[[], Any]
"""What ``perform`` returns: the save itself, run on a thread worker; its result closes the form."""


class FormProblem(ServiceError):
    """A mistake found by the form itself; ``field`` is the id of the box to fix."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AdminForm(ServiceCalls, ModalScreen[Any]):
    """Base of every admin form: Enter saves, Escape cancels, errors shown inline."""

    CSS_PATH = ADMIN_CSS
    BINDINGS = [
        Binding("enter", "submit", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]
    heading = ""
    hint = "Enter: save    Esc: cancel (nothing is changed)    Tab: next box"

    def __init__(self, by: str) -> None:
        super().__init__()
        self.by = by
        self.saving = False  # a save is running on its worker: Enter again saves nothing twice

    def compose(self) -> ComposeResult:
        # The heading, the message and the keys stay in view; only the boxes scroll (80x24).
        with Vertical(classes="admin-dialog"):
            yield Plain(self.heading, classes="admin-dialog-title")
            with VerticalScroll(classes="admin-fields"):
                yield from self.fields()
            with VerticalScroll(id="form-error-box", classes="admin-error"):
                yield FormMessage("", id="form-error")
            yield Plain(self.hint, classes="admin-hint")
        yield Footer()

    def fields(self) -> ComposeResult:
        yield from ()

    def on_resize(self) -> None:
        self._refit()

    def _refit(self) -> None:
        # Twice: once for the new content to be laid out, once more to measure it.
        self.call_after_refresh(lambda: self.call_after_refresh(self._fit))

    def _fit(self) -> None:
        """Let the boxes scroll so the heading, the message and the keys always fit on screen."""
        if not self.is_attached or not self.query(".admin-fields"):
            return  # closed meanwhile
        box = self.query_one(".admin-dialog")
        fields = self.query_one(".admin-fields")
        others = sum(w.outer_size.height + w.styles.margin.top + w.styles.margin.bottom
                     for w in box.children if w is not fields and w.display)
        footer = sum(f.outer_size.height for f in self.query(Footer))
        room = int((self.size.height - footer) * 0.9) - 3 - others  # the dialog's border, a line to spare
        fields.styles.max_height = max(room, 3)
        focused = self.focused
        if focused is not None and fields in focused.ancestors:
            self.call_after_refresh(lambda: fields.scroll_to_widget(focused, animate=False))

    def on_mount(self) -> None:
        focusable = [w for w in self.query("Input, Checkbox, OptionList, SelectionList") if w.focusable]
        if focusable:
            focusable[0].focus()

    # -- helpers ------------------------------------------------------------------------------
    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", TextInput).value

    def show_error(self, message: str) -> None:
        self.query_one("#form-error", Plain).update(message)
        box = self.query_one("#form-error-box")
        box.display = bool(message)
        box.scroll_home(animate=False)
        self._refit()

    def perform(self) -> Save | object:
        """Check what was typed (raising FormProblem) on the UI thread; return the save (a call that
        does the change through the services, run on a worker, returning what to dismiss with)."""
        raise NotImplementedError

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self.saving:  # a double Enter: the first save is still waiting for the database
            return
        self.show_error("")
        try:
            save = self.perform()
        except FormProblem as problem:
            self.show_error(str(problem))
            if problem.field:
                self.query_one(f"#{problem.field}").focus()
            return
        except (ServiceError, StorageError) as error:
            self.show_error(str(error))
            return
        if save is _STAY:  # it asked a question first (a preview); its answer closes the form
            return
        self.save_then(save, self.dismiss)

    def save_then(self, save: Save, done: Callable[[Any], None], busy: str = "Saving…") -> None:
        """Run ``save`` on a worker; the form stays open (and takes keys) until its result arrives."""
        self.saving = True
        self.show_error(busy)

        def saved(result: Any) -> None:
            self.saving = False
            self.show_error("")
            done(result)

        def refused(error: Exception) -> None:
            self.saving = False
            self.show_error(str(error))

        self.run_service(save, done=saved, failed=refused, group="form-save")

    def action_cancel(self) -> None:
        if self.saving:  # closing now would hide whether it was saved
            self.show_error("Still saving; wait a moment (it may be waiting for another terminal).")
            return
        self.dismiss(None)


def _pins(form: AdminForm, first: str, second: str) -> str:
    pin, again = form.value(first), form.value(second)
    if not pin:
        raise FormProblem("Type a PIN (4 to 12 digits).", first)
    try:
        check_pin_format(pin)
    except ServiceError as error:
        raise FormProblem(str(error), first) from None
    if not again:
        raise FormProblem("Type the PIN again in the second box, to be sure it is right.", second)
    if pin != again:
        form.query_one(f"#{second}", TextInput).value = ""
        raise FormProblem("The two PINs are different: type the same PIN in both boxes.", second)
    return pin


def _pin_boxes(label: str = "PIN") -> ComposeResult:
    yield Label(f"{label} (4 to 12 digits)")
    yield TextInput(id="pin", password=True, restrict=r"[0-9]*", max_length=12, placeholder="digits only")
    yield Label(f"{label} again")
    yield TextInput(id="pin-again", password=True, restrict=r"[0-9]*", max_length=12,
                    placeholder="the same digits again")


def _role_boxes(chosen: list[str] | None = None) -> ComposeResult:
    yield Label("Roles (Space ticks or unticks; at least one)")
    for role in ROLES:
        yield FormCheckbox(ROLE_LABELS[role], value=role in (chosen or []), id=f"role-{role}",
                       classes="admin-role")


def _roles(form: AdminForm) -> list[str]:
    roles = [role for role in ROLES if form.query_one(f"#role-{role}", Checkbox).value]
    if not roles:
        raise FormProblem("Tick at least one role (Space ticks the highlighted one).", f"role-{ROLES[0]}")
    return roles


# --- candidates -------------------------------------------------------------------------------


class CandidateForm(AdminForm):
    """Add a candidate, or edit one (name, extra time, access arrangements with their evidence).

    The arrangements are tick boxes, one per kind on the list (extra time comes from the
    percentage, with its reason), plus free text for anything else. The evidence boxes (what
    was seen, who approved, when) apply to the arrangements ticked now and to any kept one
    without evidence; one already recorded keeps its own. Returns the candidate.
    """

    TICKABLE = [k for k in ArrangementKind if k not in (ArrangementKind.EXTRA_TIME, ArrangementKind.OTHER)]

    def __init__(self, by: str, candidate: Candidate | None = None) -> None:
        super().__init__(by)
        self.candidate = candidate
        self.heading = (f"Edit candidate {candidate.candidate_number}" if candidate else "Add a candidate")
        self.changed = False

    @staticmethod
    def kind_id(kind: ArrangementKind) -> str:
        return "kind-" + "-".join("".join(ch if ch.isalnum() else " " for ch in kind.value).split())

    def _existing(self, kind: ArrangementKind) -> Evidenced | None:
        return next((a for a in (self.candidate.arrangements if self.candidate else []) if a.kind is kind), None)

    def fields(self) -> ComposeResult:
        c = self.candidate
        yield Label("Candidate number" + (" (cannot be changed)" if c else ""))
        yield TextInput(c.candidate_number if c else "", id="number", disabled=c is not None,
                        placeholder="e.g. 1001 or ABC/1234", max_length=20)
        yield Label("Name (as it should appear on results)")
        yield TextInput(visible_line(c.name) if c else "", id="name", placeholder="e.g. Aisha Rahman", max_length=100)
        yield Label("Extra time % (0 for none; e.g. 25)")
        yield TextInput(str(c.extra_time_percent) if c else "0", id="extra", restrict=r"[0-9%]*",
                        max_length=4)
        extra = self._existing(ArrangementKind.EXTRA_TIME)
        yield Label("Reason for the extra time (an admin's written reason above the centre's cap)")
        yield TextInput(visible_line(extra.detail) if extra else "", id="extra-reason", max_length=200,
                        placeholder="e.g. specialist assessor's report recommends 50%")
        yield Label("Access arrangements (Space ticks)")
        for kind in self.TICKABLE:
            yield FormCheckbox(kind.value, self._existing(kind) is not None, id=self.kind_id(kind))
        other = self._existing(ArrangementKind.OTHER)
        yield Label("Anything else (optional, in words)")
        yield TextInput(visible_line(other.detail) if other else "", id="other", max_length=200,
                        placeholder="e.g. sits near the door")
        if c and c.arrangements:
            yield Plain("Evidence on file: " + "; ".join(f"{a.text()}: {a.evidence_text()}" for a in c.arrangements),
                        id="evidence-on-file", classes="admin-dialog-body")
        if c:  # filled in from the candidate's record once it has been read (on_mount)
            used = Plain("", id="used-in-sittings", classes="admin-dialog-body")
            used.display = False
            yield used
        yield Label("Evidence seen, for the arrangements ticked now (e.g. Form 8 on file)")
        yield TextInput("", id="evidence", max_length=200, placeholder="e.g. Form 8 on file")
        yield Label("Approved by")
        yield TextInput("", id="approved-by", max_length=100, placeholder="e.g. Sam Senco (SENCo)")
        yield Label("Date approved (2026-09-12 or 12/09/2026)")
        yield TextInput("", id="approved-on", max_length=10, placeholder="e.g. 12/09/2026")

    def on_mount(self) -> None:
        super().on_mount()
        if self.candidate is not None:
            self.run_service(self.app.centre.candidates.record, self.candidate.candidate_number, by=self.by,
                             done=self._show_used, failed=lambda _error: None)  # only a help line

    def _show_used(self, record) -> None:
        sittings = record.sittings
        if not sittings:
            return
        # What applied on the day stays as it was; unstarted ones follow this form.
        used = self.query_one("#used-in-sittings", Plain)
        used.update("Used in sittings: " + "; ".join(
            f"{s.sitting_code}{f' ({s.state()})' if s.state() else ''}: {s.used()}" for s in sittings))
        used.display = True
        self._refit()

    def _arrangements(self, extra: str) -> list[Evidenced]:
        """The ticked list: kept arrangements keep their evidence; new ones (or bare kept ones) get the boxes'."""
        evidence = {"evidence": self.value("evidence"), "approved_by": self.value("approved-by"),
                    "approved_on": self.value("approved-on")}

        def one(kind: ArrangementKind, detail: str | None = None) -> Evidenced:
            kept = self._existing(kind)
            if kept is not None and (detail is None or detail == kept.detail) and kept.has_evidence():
                return kept
            values = {"kind": kind, "detail": kept.detail if detail is None and kept else (detail or "")}
            try:
                return Evidenced(**values, **evidence)
            except ValidationError as error:
                raise FormProblem(error.errors()[0]["msg"].removeprefix("Value error, ") + ".", "approved-on") from None

        listed: list[Evidenced] = []
        if extra.rstrip("%").strip() not in ("", "0"):
            listed.append(one(ArrangementKind.EXTRA_TIME, self.value("extra-reason").strip()))
        had = [a.kind for a in (self.candidate.arrangements if self.candidate else [])]
        ticked = [k for k in self.TICKABLE if self.query_one(f"#{self.kind_id(k)}", FormCheckbox).value]
        # Kept ones stay where they were; new ones follow, in the list's order.
        for kind in sorted(ticked, key=lambda k: had.index(k) if k in had else len(had) + self.TICKABLE.index(k)):
            listed.append(one(kind))
        if self.value("other").strip():
            listed.append(one(ArrangementKind.OTHER, " ".join(self.value("other").split())))
        return listed

    def perform(self) -> Save:
        service = self.app.centre.candidates
        extra = self.value("extra").strip() or "0"
        arrangements = self._arrangements(extra)
        number, name, by, old = self.value("number"), self.value("name"), self.by, self.candidate
        if old is None:
            if not number.strip():
                raise FormProblem("Type the candidate number.", "number")
            if not name.strip():
                raise FormProblem("Type the learner's name.", "name")

            def add() -> Candidate:
                added = service.add(number, name, extra, arrangements, by=by)
                self.changed = True
                return added
            return add
        if not name.strip():
            raise FormProblem("Type the learner's name.", "name")

        def edit() -> Candidate:
            changed = service.edit(old.candidate_number, name=name, extra_time_percent=extra,
                                   access_arrangements=arrangements, by=by)
            self.changed = (changed.name, changed.extra_time_percent, changed.access_arrangements) != (
                old.name, old.extra_time_percent, old.access_arrangements)
            return changed
        return edit


class ImportCandidatesForm(AdminForm):
    """Import a class list from a CSV file (all or nothing), after a preview. Returns the ImportReport."""

    heading = "Import candidates from a CSV file"
    hint = "Enter: preview the import    Esc: cancel"

    def fields(self) -> ComposeResult:
        yield Plain(
            "The first line names the columns: " + ", ".join(COLUMNS) + ". candidate_number and name are "
            "needed; extra_time_percent (e.g. 25) and access_arrangements are optional (separated by ';', "
            "each 'kind | evidence seen | approved by | date', e.g. 'reader | Form 8 on file | Sam Okafor | "
            "2026-09-12'; extra time needs an 'extra time' one). Save from Excel as "
            "'CSV UTF-8'. If any line is wrong, every problem is listed and nothing is imported. For a "
            "candidate already known, a column left out or an empty cell keeps what is stored; write none "
            "to clear it. You see what would change before anything is written.", classes="admin-dialog-body")
        yield Label("CSV file (path on this computer)")
        yield TextInput(id="path", placeholder="e.g. ~/Documents/class-list.csv")

    def _path(self) -> Path:
        text = self.value("path").strip().strip('"').strip("'")
        if not text:
            raise FormProblem("Type the path of the CSV file.", "path")
        path = Path(text).expanduser()
        if path.is_dir():
            raise FormProblem(f"{path} is a folder; type the path of the .csv file inside it.", "path")
        return path

    def perform(self):
        path = self._path()
        service, by = self.app.centre.candidates, self.by

        def previewed(preview) -> None:
            def confirmed(go: bool | None) -> None:
                if not go:
                    self.show_error("Not imported; nothing was written.")
                    return
                self.save_then(lambda: service.import_csv(path, by=by, expect=preview), self.dismiss,
                               busy="Importing…")

            self.app.push_screen(ImportPreviewDialog(preview), confirmed)

        self.save_then(lambda: service.preview_import(path, by=by), previewed, busy="Reading the file…")
        return _STAY


class ImportPreviewDialog(ModalScreen[bool]):
    """What an import would do, per candidate: Enter imports, Escape cancels (nothing written)."""

    CSS_PATH = ADMIN_CSS
    BINDINGS = [
        Binding("enter", "answer(True)", "Import", priority=True),
        Binding("escape", "answer(False)", "Cancel", priority=True),
    ]

    def __init__(self, preview) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        nothing = self.preview.writes_nothing
        with VerticalScroll(classes="admin-dialog admin-report"):
            yield Plain("Import candidates: what would change", classes="admin-dialog-title")
            yield Plain(Text("\n".join(self.preview.lines())), id="report-body", classes="admin-dialog-body")
            yield Plain("Nothing to change: Enter closes, Esc goes back." if nothing else
                        "Enter: import these changes    Esc: cancel (nothing is written)", classes="admin-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_answer(self, go: bool) -> None:
        self.dismiss(go)


# --- staff ------------------------------------------------------------------------------------------


class AddStaffForm(AdminForm):
    """Add a staff member with roles and a PIN (typed twice). Returns the StaffMember."""

    heading = "Add a staff member"

    def fields(self) -> ComposeResult:
        yield Label("Name (what they type to sign in)")
        yield TextInput(id="name", placeholder="e.g. Iris Invigilator", max_length=100)
        yield from _role_boxes()
        yield from _pin_boxes()

    def perform(self) -> Save:
        name = self.value("name")
        if not name.strip():
            raise FormProblem("Type the staff member's name.", "name")
        roles = _roles(self)
        pin = _pins(self, "pin", "pin-again")
        staff, by = self.app.centre.staff, self.by
        return lambda: staff.add(name, roles, pin, by=by)


class RolesForm(AdminForm):
    """Change a staff member's roles. Returns the StaffMember."""

    def __init__(self, by: str, member: StaffMember) -> None:
        super().__init__(by)
        self.member = member
        self.heading = f"Roles of {member.name}"

    def fields(self) -> ComposeResult:
        yield from _role_boxes(self.member.roles)

    def perform(self) -> Save:
        staff, name, roles, by = self.app.centre.staff, self.member.name, _roles(self), self.by
        return lambda: staff.set_roles(name, roles, by=by)


class ResetPinForm(AdminForm):
    """Give a staff member a new PIN (also lifts a lock-out). Returns the member's name."""

    def __init__(self, by: str, member: StaffMember) -> None:
        super().__init__(by)
        self.member = member
        self.heading = f"New PIN for {member.name}"

    def fields(self) -> ComposeResult:
        yield Plain("Their old PIN stops working at once; a lock-out after wrong PINs is lifted. Tell them the "
                    "new PIN in person.", classes="admin-dialog-body")
        yield from _pin_boxes("New PIN")

    def perform(self) -> Save:
        pin = _pins(self, "pin", "pin-again")
        staff, name, by = self.app.centre.staff, self.member.name, self.by

        def reset() -> str:
            staff.reset_pin(name, pin, by=by)
            return name
        return reset


# --- the centre ---------------------------------------------------------------------------------------


class CentreDetailsForm(AdminForm):
    """The centre's name and number printed on every document. Returns (name, number)."""

    heading = "Centre name and number"

    def __init__(self, by: str, name: str | None, number: str | None) -> None:
        super().__init__(by)
        self.stored_name, self.stored_number = name, number

    def fields(self) -> ComposeResult:
        yield Plain("Printed on learners' feedback, the IQA record and the results workbook.",
                    classes="admin-dialog-body")
        yield Label("Centre name")
        yield TextInput(self.stored_name or "", id="centre-name", placeholder="e.g. Glanmor College", max_length=120)
        yield Label("Centre number (from the awarding body, e.g. 123456A)")
        yield TextInput(self.stored_number or "", id="centre-number", placeholder="e.g. 123456A", max_length=12)

    def perform(self) -> Save:
        name, number = self.value("centre-name").strip(), self.value("centre-number").strip()
        if not name:
            raise FormProblem("Type the centre's name.", "centre-name")
        if not number:
            raise FormProblem("Type the centre's number (e.g. 123456A).", "centre-number")
        exports, by = self.app.centre.exports, self.by
        return lambda: exports.set_centre_details(name=name, number=number, by=by)


# --- sittings ---------------------------------------------------------------------------------------


def parse_start(text: str, now: datetime | None = None) -> datetime | None:
    """The start time typed in the form (domain/start_time.py: the forms the CLI accepts too)."""
    try:
        return start_time.parse_start(text, now or datetime.now().astimezone())
    except start_time.StartTimeError as error:
        raise FormProblem(f"{error} Or leave it empty.", "starts") from None


class CreateSittingForm(AdminForm):
    """Create a sitting of one unit's newest stored paper. Returns the SittingSummary."""

    heading = "Create a sitting"
    hint = "↑/↓: choose the unit    Enter: create    Esc: cancel    Tab: next box"

    def __init__(self, by: str, papers: list[tuple[str, Any]]) -> None:
        """``papers``: (label, StoredPaper or None when the unit's paper is not loaded yet)."""
        super().__init__(by)
        self.papers = papers

    def fields(self) -> ComposeResult:
        yield Label("Unit (the newest loaded version of its paper is used)")
        options = [Option(Text(label), disabled=paper is None) for label, paper in self.papers]
        yield FormOptionList(*options, id="unit", classes="admin-choices")
        yield Label("Sitting code (optional: one is made up if empty)")
        yield TextInput(id="code", placeholder="e.g. 304-MARCH", max_length=20)
        yield Label("Start time (optional, local time)")
        yield TextInput(id="starts", placeholder="e.g. 2026-03-02 09:30, or 09:30 for today", max_length=16)

    def on_mount(self) -> None:
        choices = self.query_one("#unit", OptionList)
        first = next((i for i, (_, paper) in enumerate(self.papers) if paper is not None), None)
        if first is not None:
            choices.highlighted = first
        choices.focus()

    def perform(self):
        choices = self.query_one("#unit", OptionList)
        index = choices.highlighted
        if index is None or not (0 <= index < len(self.papers)) or self.papers[index][1] is None:
            raise FormProblem("Choose a unit whose paper is loaded (↑/↓). If none is, reload the files on "
                              "the Papers tab first.", "unit")
        paper = self.papers[index][1]
        starts = parse_start(self.value("starts"), self.app.centre.clock.now())
        code = self.value("code").strip() or None
        sittings, by = self.app.centre.sittings, self.by
        return lambda: sittings.create_sitting(paper.id, by=by, code=code, starts_at=starts)


class EnrolForm(AdminForm):
    """Enrol candidates in a sitting: tick them (a: everyone). Returns the EnrolmentReport."""

    BINDINGS = [
        Binding("a", "tick_all", "Tick everyone"),
        Binding("n", "tick_none", "Untick all"),
    ]
    hint = "Space: tick/untick    a: tick everyone    n: untick all    Enter: enrol    Esc: cancel"

    def __init__(self, by: str, code: str, candidates: list[Candidate], enrolled: set[str]) -> None:
        super().__init__(by)
        self.code = code
        self.candidates = candidates
        self.enrolled = enrolled
        self.heading = f"Enrol candidates in sitting {code}"

    def fields(self) -> ComposeResult:
        if not self.candidates:
            yield Plain("There are no candidates yet: add them or import a CSV on the Candidates tab first.",
                        classes="admin-dialog-body")
        selections = []
        for c in self.candidates:
            label = Text(visible_line(f"{c.candidate_number}  {c.name}"))
            if c.extra_time_percent:
                label.append(f"  +{c.extra_time_percent}% time", style="dim")
            if c.candidate_number in self.enrolled:
                label.append("  (enrolled)", style="italic")
            selections.append(Selection(label, c.candidate_number, c.candidate_number in self.enrolled,
                                        disabled=c.candidate_number in self.enrolled))
        yield Label(f"{len(self.enrolled)} of {len(self.candidates)} already enrolled")
        yield FormSelectionList(*selections, id="who", classes="admin-choices")

    def on_mount(self) -> None:
        who = self.query_one("#who", SelectionList)
        first = next((i for i, c in enumerate(self.candidates) if c.candidate_number not in self.enrolled), None)
        if first is not None:
            who.highlighted = first
        who.focus()

    def action_tick_all(self) -> None:
        self.query_one("#who", SelectionList).select_all()

    def action_tick_none(self) -> None:
        who = self.query_one("#who", SelectionList)
        who.deselect_all()
        for number in self.enrolled:
            who.select(number)

    def perform(self):
        chosen = [n for n in self.query_one("#who", SelectionList).selected if n not in self.enrolled]
        if not chosen:
            raise FormProblem("Tick the candidates to enrol (Space), or press a to tick everyone.", "who")
        sittings, code, by = self.app.centre.sittings, self.code, self.by
        if len(chosen) + len(self.enrolled) == len(self.candidates) and not self.enrolled:
            return lambda: sittings.enrol(code, all_candidates=True, by=by)
        return lambda: sittings.enrol(code, chosen, by=by)


# --- a result to read ---------------------------------------------------------------------------------


class ReportDialog(ModalScreen[None]):
    """Shows the outcome of an action (e.g. reloading the files): Enter or Escape closes."""

    CSS_PATH = ADMIN_CSS
    BINDINGS = [Binding("enter,escape", "close", "Close", priority=True)]

    def __init__(self, heading: str, body: Text | str) -> None:
        super().__init__()
        self.heading = heading
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="admin-dialog admin-report"):
            yield Plain(self.heading, classes="admin-dialog-title")
            yield Plain(self.body, id="report-body", classes="admin-dialog-body")
            yield Plain("Enter or Esc: close", classes="admin-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
