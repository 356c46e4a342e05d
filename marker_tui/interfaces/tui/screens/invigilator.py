"""The invigilator's room view: every candidate, live, and the actions that run a sitting.

Everything shown comes from :meth:`SittingService.status`, asked every second
(so several invigilator terminals on one sitting show the same thing); every
action goes through :class:`SittingService` (or :class:`IncidentService` for
notes) with the signed-in staff member as ``by``, after a dialog that asks for
confirmation and, where the engine needs one, a reason. The engine writes the
audit trail; :class:`AuditLogScreen` shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Label, Static

from marker_tui.domain.audit_summary import summarise
from marker_tui.domain.local_time import DAY_CLOCK, local_time
from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen
from marker_tui.interfaces.tui.widgets.contrast import (
    ensure_registered,
    toggle_high_contrast,
)
from marker_tui.interfaces.tui.widgets.countdown import clock_text
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.tables import highlighted_key
from marker_tui.services.audit import ServiceError
from marker_tui.domain.sitting_states import ScriptState, SittingState
from marker_tui.services.invigilation import CandidateStatus, SittingStatus
from marker_tui.interfaces.tui.widgets.footer import Footer

INVIGILATOR_CSS = "../styles/invigilator.tcss"
REFRESH_SECONDS = 1
STALE_SAVE_SECONDS = 60
"""A writing candidate whose last save is older than this is highlighted (their terminal may be down)."""

COLUMNS = (
    ("number", "Cand."),
    ("name", "Name"),
    ("state", "State"),
    ("allowed", "Allowed"),
    ("left", "Left"),
    ("answered", "Ans."),
    ("saved", "Saved"),
    ("extra", "Extra"),
)

_SHORT_STATE = {
    ScriptState.NOT_LOGGED_IN: "not logged in",
    ScriptState.READING: "reading",
    ScriptState.WRITING: "writing",
    ScriptState.PAUSED: "paused",
    ScriptState.SUBMITTED: "submitted",
    ScriptState.TIME_UP: "time up",
    ScriptState.ENDED: "ended",
    ScriptState.ABSENT: "absent",
}


def invigilator_sign_in(code: str) -> StaffSignInScreen:
    """What ``marker-tui invigilate CODE`` (and the home screen) opens: sign in, then the room."""
    return StaffSignInScreen(f"Invigilate sitting {code}", then=lambda member: InvigilatorRoomScreen(code, member.name))


def _local(instant: datetime | None) -> str:
    return local_time(instant)


def seconds_since_save(candidate: CandidateStatus, as_of: datetime) -> int | None:
    """Seconds since the candidate's last save (since their start if they have not saved yet)."""
    reference = candidate.last_save_at or candidate.started_at
    if reference is None:
        return None
    return max(int((as_of - reference).total_seconds()), 0)


def _ago(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def is_stale(candidate: CandidateStatus, as_of: datetime) -> bool:
    """Writing, has saved before, and nothing saved for over a minute: a terminal to check.

    A learner who has not typed yet (reading the paper, thinking) is not counted: their
    terminal has had nothing to save.
    """
    if candidate.state is not ScriptState.WRITING or candidate.last_save_at is None:
        return False
    since = seconds_since_save(candidate, as_of)
    return since is not None and since > STALE_SAVE_SECONDS


def row_cells(candidate: CandidateStatus, as_of: datetime) -> dict[str, Text | str]:
    state = _SHORT_STATE.get(candidate.state, str(candidate.state))
    state_style = {
        ScriptState.WRITING: "bold",
        ScriptState.PAUSED: "bold reverse",
        ScriptState.TIME_UP: "italic",
    }.get(candidate.state, "")
    if candidate.rest_break_since is not None:
        minutes = max(0, int((as_of - candidate.rest_break_since).total_seconds() // 60))
        state, state_style = f"break {minutes}m", "bold reverse"
    elif candidate.rest_break_asked_at is not None:
        state, state_style = "asks break", "bold reverse"
    since = seconds_since_save(candidate, as_of)
    if candidate.state.is_final or since is None:
        saved = Text("-")
    else:
        label = _ago(since) if candidate.last_save_at else "none"
        saved = Text(label, style="bold reverse" if is_stale(candidate, as_of) else "")
    extra_parts = []
    if candidate.extra_time_percent:
        extra_parts.append(f"{candidate.extra_time_percent}%")
    extended = sum(e.minutes for e in candidate.extensions)
    if extended:
        extra_parts.append(f"+{extended}m")
    return {
        "number": Text(candidate.candidate_number),
        "name": Text(visible_line(candidate.name)),
        "state": Text(state, style=state_style),
        "allowed": Text(clock_text(candidate.allowed_seconds)),
        "left": Text("-" if candidate.state.is_final else clock_text(candidate.left_seconds)),
        "answered": Text(f"{candidate.questions_answered}/{candidate.questions_total}"),
        "saved": saved,
        "extra": Text(" ".join(extra_parts) or "-"),
    }


def _cell_key(value: Text) -> tuple[str, str]:
    return value.plain, str(value.style)


# --- dialogs --------------------------------------------------------------------------------------


class ActionDialog(ServiceCalls, ModalScreen[str | None]):
    """Confirm an action; ask for a reason (and minutes / a candidate) where needed.

    ``perform(values)`` runs the action and returns the message to show; it runs on a
    thread worker (``run_service``), so a write waiting for the database never freezes the
    room, and a second Enter meanwhile does nothing twice. If it raises a ServiceError the
    dialog stays open with the engine's message, so the invigilator can correct the reason
    and try again.
    """

    CSS_PATH = INVIGILATOR_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: str, perform: Callable[[dict[str, str]], str], *,
                 reason: str | None = "Reason", reason_required: bool = True, minutes: bool = False,
                 candidate: bool = False, candidate_hint: str = "", candidate_value: str = "",
                 confirm: str = "Confirm", danger: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.perform = perform
        self.reason = reason
        self.reason_required = reason_required
        self.minutes = minutes
        self.candidate = candidate
        self.candidate_hint = candidate_hint
        self.candidate_value = candidate_value
        self.confirm = confirm
        self.danger = danger
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="inv-dialog"):
            yield Plain(self.title_text, classes="inv-dialog-title")
            yield Plain(self.body, classes="inv-dialog-body")
            if self.minutes:
                yield Label("Extra minutes (whole number)")
                # A minus sign is kept so "-5" is refused in words: dropping it silently granted 5 minutes.
                yield TextInput(id="minutes", restrict=r"-?[0-9]*", max_length=4, placeholder="e.g. 10")
            if self.candidate:
                yield Label("Candidate number (optional: leave empty for the whole room)")
                yield TextInput(self.candidate_value, id="candidate", placeholder=self.candidate_hint, max_length=20)
            if self.reason is not None:
                yield Label(f"{self.reason} ({'required' if self.reason_required else 'optional'})")
                yield TextInput(id="reason", max_length=500)
            yield Plain("", id="dialog-error", classes="inv-error")
            with Horizontal(classes="inv-dialog-buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button(self.confirm, id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        inputs = list(self.query(TextInput))
        # The first box still to fill: a note's candidate comes filled in from the highlighted row, and
        # typing the note at once used to land in (and be cut to) the candidate number box.
        empty = [box for box in inputs if not box.value]
        (empty or inputs or [self.query_one("#confirm", Button)])[0].focus()

    def values(self) -> dict[str, str]:
        return {box.id: box.value.strip() for box in self.query(TextInput)}

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        inputs = list(self.query(TextInput))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self.run_action()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.run_action()
        else:
            self.action_cancel()

    def run_action(self) -> None:
        values = self.values()
        error = self.query_one("#dialog-error", Static)
        if self.minutes and not values.get("minutes"):
            error.update("Type the number of extra minutes.")
            self.query_one("#minutes", TextInput).focus()
            return
        if self.reason is not None and self.reason_required and not values.get("reason"):
            error.update(f"{self.reason} is required.")
            self.query_one("#reason", TextInput).focus()
            return
        if self.running:  # a double Enter: the first one is still waiting for the database
            return
        self.running = True
        error.update("Saving…")

        def done(message: str) -> None:
            self.running = False
            self.dismiss(message)

        def refused(problem: Exception) -> None:
            self.running = False
            error.update(str(problem))

        self.run_service(self.perform, values, done=done, failed=refused, group="room-action")

    def action_cancel(self) -> None:
        if self.running:  # closing now would hide whether it was done
            self.query_one("#dialog-error", Static).update("Still saving; wait a moment.")
            return
        self.dismiss(None)


class EntryDialog(ModalScreen[None]):
    CSS_PATH = INVIGILATOR_CSS
    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="inv-dialog"):
            yield Plain(self.text, classes="inv-dialog-body")
            yield Plain("Escape: close", classes="inv-hint")

    def action_close(self) -> None:
        self.dismiss(None)


# --- the audit log ----------------------------------------------------------------------------------


def _details(action: str, details: dict) -> str:
    """An entry's details in words: what changed, from → to, and why (domain/audit_summary.py)."""
    words = summarise(action, details)
    parts = [words.what] if words.what else []
    if words.old or words.new:
        parts.append(f"{words.old or 'none'} → {words.new or 'none'}")
    if words.reason:
        parts.append(f"reason: {words.reason}")
    return visible_line("; ".join(parts))


def _when(instant: datetime, today: date) -> str:
    """HH:MM:SS today; "5 Dec 14:02" on another day (local time)."""
    local = instant.astimezone()
    return local.strftime("%H:%M:%S") if local.date() == today else f"{local.day} {local:%b %H:%M}"


class AuditLogScreen(ServiceCalls, Screen):
    """The sitting's audit trail, newest first. Answer saves are hidden until asked for."""

    CSS_PATH = INVIGILATOR_CSS
    BINDINGS = [
        Binding("escape", "back", "Back to room"),
        Binding("a", "toggle_saves", "Show/hide saves"),
        Binding("r", "reload", "Refresh"),
        Binding("enter", "details", "Details", show=False),
    ]

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self.show_saves = False
        self.entries = []

    def compose(self) -> ComposeResult:
        yield Plain(f"Audit log · sitting {self.code}", classes="inv-title")
        yield Plain("", id="log-summary")
        yield DataTable(id="log-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#log-table", DataTable)
        table.add_column("Time", key="at", width=12)
        table.add_column("Who", key="actor", width=15)
        table.add_column("What", key="action", width=22)
        table.add_column("Cand.", key="cand", width=5)
        table.add_column("Details", key="details")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self.run_service(self.app.centre.sittings.log, self.code, done=self._loaded, group="log",
                         failed=lambda error: self.query_one("#log-summary", Static).update(str(error)))

    def _loaded(self, entries) -> None:
        self.entries = entries
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#log-table", DataTable)
        table.clear()
        shown = [e for e in reversed(self.entries) if self.show_saves or e.action != "answer saved"]
        today = self.app.centre.clock.now().astimezone().date()
        for entry in shown:
            table.add_row(Text(_when(entry.at, today)), Text(visible_line(entry.actor)), Text(visible_line(entry.action)),
                          Text(visible_line(entry.candidate_number or "")), Text(_details(entry.action, entry.details)[:200]),
                          key=str(entry.id))
        hidden = len(self.entries) - len(shown)
        self.query_one("#log-summary", Static).update(
            f"{len(shown)} entries, newest first"
            + (f" · {hidden} answer saves hidden (a: show)" if hidden else "")
            + " · Enter: full entry")

    def action_toggle_saves(self) -> None:
        self.show_saves = not self.show_saves
        self._fill()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._show(event.row_key.value)

    def action_details(self) -> None:
        key = highlighted_key(self.query_one("#log-table", DataTable))
        if key is not None:
            self._show(key)

    def _show(self, key: str | None) -> None:
        entry = next((e for e in self.entries if str(e.id) == key), None)
        if entry is None:
            return
        words = summarise(entry.action, entry.details)
        lines = [f"{local_time(entry.at, DAY_CLOCK)}  {entry.actor}", entry.action]
        if entry.candidate_number:
            lines.append(f"candidate {entry.candidate_number}")
        if words.what:
            lines.append(f"What: {words.what}")
        if words.old or words.new:
            lines += [f"From: {words.old or 'none'}", f"To:   {words.new or 'none'}"]
        if words.reason:
            lines.append(f"Reason: {words.reason}")
        lines = [visible_line(line) for line in lines]
        self.app.push_screen(EntryDialog("\n".join(lines)))

    def action_back(self) -> None:
        self.app.pop_screen()


# --- the room ---------------------------------------------------------------------------------------


class InvigilatorRoomScreen(ServiceCalls, Screen):
    CSS_PATH = INVIGILATOR_CSS
    BINDINGS = [
        Binding("o", "open_sitting", "Open"),
        Binding("s", "start", "Start"),
        # One key pauses and resumes the room; the footer says which it will do now.
        Binding("p", "pause_room", "Pause room"),
        Binding("p", "resume_room", "Resume room"),
        Binding("c", "pause_or_resume_candidate", "Pause/resume"),
        Binding("x", "extend", "Extend"),
        Binding("e", "end_candidate", "End cand."),
        Binding("E", "end_all", "End all"),
        Binding("n", "note", "Note"),
        Binding("m", "approve_move", "Approve move"),
        # Not in the footer (it must fit 80 columns): the room summary offers it when a learner asks
        # or is on a break, and the README says it works for any candidate.
        Binding("b", "rest_break", "Rest break", show=False),
        Binding("B", "decline_rest_break", "Decline break", show=False),
        Binding("l", "log", "Log"),
        Binding("X", "export", "Export", show=False),
        Binding("f2", "toggle_contrast", "Contrast", show=False),
        Binding("q", "quit_room", "Quit"),
    ]

    def __init__(self, code: str, staff_name: str) -> None:
        super().__init__()
        self.code = code
        self.staff_name = staff_name
        self.status: SittingStatus | None = None
        self._cells: dict[str, dict[str, object]] = {}
        self._reading = False  # a read of the room is under way (in a thread)
        self._read_again = False  # something changed while it was: read once more when it ends

    def compose(self) -> ComposeResult:
        yield Plain("", id="room-title", classes="inv-title")
        yield Plain("", id="room-summary")
        yield DataTable(id="room-table", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="room-message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        ensure_registered(self.app)
        self._add_columns()
        table = self.query_one("#room-table", DataTable)
        self.refresh_status()
        # Kept so a test driving a fake clock can hold it and call refresh_status() itself.
        self.refresh_timer = self.set_interval(REFRESH_SECONDS, self.refresh_status)
        table.focus()

    # 50 characters of cells besides the name + 16 of padding: the name gets the rest of the width
    # (at least 13, as at 80 columns), up to the longest name in the room.
    _WIDTHS = {"number": 5, "state": 13, "allowed": 7, "left": 7, "answered": 4, "saved": 6, "extra": 8}

    def _name_width(self) -> int:
        room = self.size.width - sum(self._WIDTHS.values()) - 2 * len(COLUMNS) - 2  # cell padding, scrollbar
        longest = max((len(c.name) for c in self.status.candidates), default=0) if self.status else 0
        return max(13, min(room, max(longest, 4)))

    def _add_columns(self) -> None:
        table = self.query_one("#room-table", DataTable)
        self._name_columns = self._name_width()
        for key, label in COLUMNS:
            table.add_column(label, key=key, width=self._name_columns if key == "name" else self._WIDTHS[key])

    def _fit_name_column(self) -> None:
        """Widen (or narrow) the name column to the screen and the room's names: rebuilt, cursor kept."""
        if self._name_width() == getattr(self, "_name_columns", None):
            return
        table = self.query_one("#room-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        self._cells.clear()
        self._add_columns()
        if self.status is not None:
            self._fill_table(self.status)
            table.move_cursor(row=min(row, max(table.row_count - 1, 0)))

    def on_resize(self) -> None:
        self._fit_name_column()

    # -- the live view -------------------------------------------------------------------------------
    def refresh_status(self) -> None:
        """Read the room again, off the UI thread: ``status()`` may sweep expired scripts (a write)
        and wait for the write lock in a busy room, and the room view must keep answering keys.
        One read at a time: a tick that finds one under way asks for one more when it ends."""
        if self._reading:
            self._read_again = True
            return
        self._reading = True
        # A failure keeps the room view up: it says why, and the next second tries again.
        self.run_service(self.app.centre.sittings.status, self.code, done=self._show_status,
                         failed=self._status_failed, group="room-status")

    def _read_done(self) -> None:
        self._reading = False
        if self._read_again:
            self._read_again = False
            self.call_later(self.refresh_status)

    def _status_failed(self, error: Exception) -> None:
        self._read_done()
        self.query_one("#room-message", Static).update(
            Text(visible_line(f"Cannot read the sitting: {error}"), style="bold"))

    def _show_status(self, status: SittingStatus) -> None:
        self._read_done()
        first = self.status is None
        # The footer is redrawn when a key comes or goes (a second login offers m, a break asked for B,
        # without the sitting's state changing); asked of check_action itself, so no list can drift.
        offered = self._offered()
        self.status = status
        changed = first or self._offered() != offered
        self._show_summary(status)
        if first:
            self._fit_name_column()
        self._fill_table(status)
        if changed:
            self.refresh_bindings()

    def _show_summary(self, status: SittingStatus) -> None:
        title = Text(f"Sitting {status.code}", style="bold")
        title.append(f" · Unit {status.unit} v{status.paper_version}")
        if status.paper_title:
            title.append(f" {visible_line(status.paper_title)}")
        title.append(f" · {status.time_allowance_minutes} min")
        self.query_one("#room-title", Static).update(title)
        counts: dict[str, int] = {}
        for c in status.candidates:
            # A break stops the clock as a pause does, but the invigilator counts it as a break.
            label = "on a break" if c.rest_break_since is not None else _SHORT_STATE.get(c.state, str(c.state))
            counts[label] = counts.get(label, 0) + 1
        state = Text(status.state.value.upper(), style="bold")
        if status.room_paused:
            state.append("  ROOM PAUSED", style="bold reverse")
        line = Text.assemble(state, f" · as of {_local(status.as_of)} · you: {self.staff_name}\n")
        line.append(" · ".join(f"{n} {label}" for label, n in counts.items()) or "No candidates enrolled.")
        stale = sum(1 for c in status.candidates if is_stale(c, status.as_of))
        if stale:
            line.append(f" · {stale} not saved for over {STALE_SAVE_SECONDS}s", style="bold reverse")
        # The exit code is not shown here: a room screen is read by people walking past (it is on
        # the invigilator's slip).
        # Terminals asking for a script another terminal holds, and terminals locked for wrong codes:
        # the invigilator sees them at once (m approves the highlighted candidate's move).
        for c in status.candidates:
            if c.takeover_terminal:
                line.append(visible(f"\n{c.candidate_number}: second login from {c.takeover_terminal} "
                                    f"(script on {c.terminal or '?'}) · m: approve the move"), style="bold reverse")
        for c in status.candidates:
            if c.rest_break_asked_at is not None:
                line.append(visible(f"\n{c.candidate_number}: asks for a rest break (since "
                                    f"{_local(c.rest_break_asked_at)}) · highlight them, b: start it · B: decline"),
                            style="bold reverse")
        for c in status.candidates:
            if c.rest_break_since is not None:
                line.append(visible(f"\n{c.candidate_number}: on a rest break since {_local(c.rest_break_since)} "
                                    "· highlight them, b: end it"), style="bold")
        for alert in status.terminal_alerts:
            # A lock resets the count, so a locked terminal says so rather than "0 wrong".
            said = (f"locked until {_local(alert.locked_until)} after wrong {alert.kind}s" if alert.locked_until
                    else f"{alert.failures} wrong {alert.kind}{'s' if alert.failures != 1 else ''}")
            line.append(f"\n{visible_line(alert.terminal)}: {said}", style="bold")
        self.query_one("#room-summary", Static).update(line)

    def _fill_table(self, status: SittingStatus) -> None:
        table = self.query_one("#room-table", DataTable)
        for candidate in status.candidates:
            key = candidate.candidate_number
            cells = row_cells(candidate, status.as_of)
            shown = {column: _cell_key(value) for column, value in cells.items()}
            old = self._cells.get(key)
            if old is None:
                table.add_row(*[cells[k] for k, _ in COLUMNS], key=key)
            else:
                for column, value in cells.items():
                    if old.get(column) != shown[column]:
                        table.update_cell(key, column, value)
            self._cells[key] = shown

    def selected(self) -> CandidateStatus | None:
        key = highlighted_key(self.query_one("#room-table", DataTable))
        if self.status is None or key is None:
            return None
        return next((c for c in self.status.candidates if c.candidate_number == key), None)

    # -- which actions apply now ----------------------------------------------------------------------
    def _offered(self) -> tuple[bool | None, ...]:
        """check_action's answer for each of the screen's keys, for the current status."""
        return tuple(self.check_action(binding.action, ()) for binding in self.BINDINGS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.status
        if status is None:
            return True
        running = status.state is SittingState.RUNNING
        if action == "open_sitting":
            return status.state is SittingState.SCHEDULED
        if action == "start":
            return status.state is SittingState.OPEN
        if action == "pause_room":
            return running and not status.room_paused
        if action == "resume_room":
            return running and status.room_paused
        if action == "approve_move":
            return any(c.takeover_terminal for c in status.candidates)
        if action == "rest_break":
            return running and bool(status.candidates)
        if action == "decline_rest_break":
            return any(c.rest_break_asked_at for c in status.candidates)
        if action == "pause_or_resume_candidate":
            # Only a running sitting's clocks can stop: before the start the engine refuses, after
            # the invigilator has typed a reason.
            return running and bool(status.candidates)
        if action in ("extend", "end_candidate"):
            return status.state is not SittingState.ENDED and bool(status.candidates)
        if action == "end_all":
            return status.state is not SittingState.ENDED
        return True

    # -- actions --------------------------------------------------------------------------------------
    def _ask(self, dialog: ActionDialog) -> None:
        def done(message: str | None) -> None:
            if message:
                self.query_one("#room-message", Static).update(Text(visible(message), style="bold"))
                self.notify(message, timeout=5, markup=False)
            self.refresh_status()

        self.app.push_screen(dialog, done)

    def _need_candidate(self) -> CandidateStatus | None:
        candidate = self.selected()
        if candidate is None:
            self.notify("Choose a candidate first (arrow keys).", severity="warning")
        return candidate

    def _need_candidate_still_writing(self, doing: str) -> CandidateStatus | None:
        """The highlighted candidate, unless their paper has finished: said at once, not after a dialog
        (which showed their time as if it still ran, then refused once the reason was typed)."""
        candidate = self._need_candidate()
        if candidate is not None and candidate.state.is_final:
            self.notify(f"Candidate {candidate.candidate_number} has finished ({candidate.state.value}): there is "
                        f"nothing to {doing}.", severity="warning", markup=False)
            return None
        return candidate

    @property
    def _service(self):
        return self.app.centre.sittings

    def action_open_sitting(self) -> None:
        self._ask(ActionDialog(
            f"Open sitting {self.code}?",
            "Candidates can then log in and read the instructions. No clock runs until you start.",
            lambda v: (self._service.open(self.code, by=self.staff_name, reason=v.get("reason") or None),
                       "Sitting opened: candidates can log in.")[1],
            reason_required=False, confirm="Open"))

    def action_start(self) -> None:
        status = self.status
        logged_in = [c for c in status.candidates if c.state is ScriptState.READING] if status else []
        waiting = [c for c in status.candidates if c.state is ScriptState.NOT_LOGGED_IN] if status else []
        body = f"The clock starts now for {len(logged_in)} logged-in candidate(s)."
        if waiting:
            body += (f" {len(waiting)} not logged in yet ({', '.join(c.candidate_number for c in waiting[:6])}"
                     f"{'…' if len(waiting) > 6 else ''}) get their full time from when they log in.")
        self._ask(ActionDialog(
            f"Start sitting {self.code}?", body,
            lambda v: (self._service.start(self.code, by=self.staff_name, reason=v.get("reason") or None),
                       "Sitting started: the clock is running.")[1],
            reason_required=False, confirm="Start"))

    def action_pause_room(self) -> None:
        self._ask(ActionDialog(
            "Pause the whole room?", "Every candidate's clock stops and their answer editor locks until you resume.",
            lambda v: (self._service.pause(self.code, reason=v["reason"], by=self.staff_name),
                       "Room paused.")[1], confirm="Pause room", danger=True))

    def action_resume_room(self) -> None:
        self._ask(ActionDialog(
            "Resume the room?", "Every candidate's clock runs again from where it stopped.",
            lambda v: (self._service.resume(self.code, reason=v["reason"], by=self.staff_name),
                       "Room resumed.")[1], confirm="Resume room"))

    def action_pause_or_resume_candidate(self) -> None:
        """The selected candidate: resume them if they are paused on their own, else pause them."""
        c = self._need_candidate_still_writing("pause")
        if c is None:
            return
        if c.state is ScriptState.PAUSED and not (self.status and self.status.room_paused):
            self._resume_candidate(c)
        else:
            self._pause_candidate(c)

    def _pause_candidate(self, c: CandidateStatus) -> None:
        self._ask(ActionDialog(
            f"Pause candidate {c.candidate_number} ({c.name})?",
            "Their clock stops and their answer editor locks until you resume them.",
            lambda v: (self._service.pause(self.code, reason=v["reason"], by=self.staff_name,
                                           candidate_number=c.candidate_number),
                       f"Candidate {c.candidate_number} paused.")[1], confirm="Pause", danger=True))

    def _resume_candidate(self, c: CandidateStatus) -> None:
        self._ask(ActionDialog(
            f"Resume candidate {c.candidate_number} ({c.name})?", "Their clock runs again from where it stopped.",
            lambda v: (self._service.resume(self.code, reason=v["reason"], by=self.staff_name,
                                            candidate_number=c.candidate_number),
                       f"Candidate {c.candidate_number} resumed.")[1], confirm="Resume"))

    def action_extend(self) -> None:
        c = self._need_candidate_still_writing("extend")
        if c is None:
            return

        def extend(v: dict[str, str]) -> str:
            try:
                minutes = int(v["minutes"])
            except ValueError:
                raise ServiceError("Type the extra minutes as a whole number.") from None
            after = self._service.extend(self.code, candidate_number=c.candidate_number, minutes=minutes,
                                         reason=v["reason"], by=self.staff_name)
            return (f"Candidate {c.candidate_number} extended by {minutes} min: "
                    f"{clock_text(after.left_seconds)} left.")

        self._ask(ActionDialog(
            f"Extend candidate {c.candidate_number} ({c.name})?",
            f"Time allowed now {clock_text(c.allowed_seconds)}, left {clock_text(c.left_seconds)}.",
            extend, minutes=True, confirm="Extend"))

    def action_end_candidate(self) -> None:
        c = self._need_candidate_still_writing("end")
        if c is None:
            return
        self._ask(ActionDialog(
            f"End the assessment for candidate {c.candidate_number} ({c.name})?",
            "Their saved answers are submitted now and they cannot write any more. This cannot be undone.",
            lambda v: (self._service.end(self.code, by=self.staff_name, reason=v["reason"],
                                         candidate_number=c.candidate_number),
                       f"Candidate {c.candidate_number}'s assessment ended.")[1],
            confirm="End for this candidate", danger=True))

    def action_end_all(self) -> None:
        active = [c for c in self.status.candidates if not c.state.is_final] if self.status else []
        self._ask(ActionDialog(
            f"End sitting {self.code} for everyone?",
            f"{len(active)} candidate(s) still have time: their saved answers are submitted now "
            "(those who never started are recorded as absent). This cannot be undone.",
            lambda v: (self._service.end(self.code, by=self.staff_name, reason=v.get("reason") or None),
                       "Sitting ended.")[1],
            reason_required=bool(active), confirm="End for everyone", danger=True))

    def action_note(self) -> None:

        c = self.selected()

        def note(v: dict[str, str]) -> str:
            self.app.centre.incidents.note(
                self.code, v.get("reason", ""), by=self.staff_name, candidate_number=v.get("candidate") or None)
            who = f" about candidate {v['candidate'].upper()}" if v.get("candidate") else ""
            return f"Incident noted{who}."

        self._ask(ActionDialog(
            "Add an incident note", "It goes into the sitting's audit log with your name and the time.",
            note, reason="What happened", candidate=True,
            # The highlighted candidate is filled in: most notes are about the learner in front of you.
            candidate_value=c.candidate_number if c else "", candidate_hint="e.g. 1001", confirm="Save note"))

    def action_approve_move(self) -> None:
        """Move the highlighted candidate's script to the terminal asking for it (else the first asking)."""
        asking = [c for c in self.status.candidates if c.takeover_terminal] if self.status else []
        chosen = self.selected()
        c = chosen if chosen is not None and chosen.takeover_terminal else (asking[0] if asking else None)
        if c is None:
            self.notify("No terminal is asking for a script.", severity="warning")
            return
        self._ask(ActionDialog(
            f"Move candidate {c.candidate_number} ({c.name}) to {c.takeover_terminal}?",
            f"Their script is on {c.terminal or 'another terminal'}. That terminal stops saving at once and says "
            "why; check it is the same learner before you approve.",
            lambda v: (self._service.approve_takeover(self.code, c.candidate_number, by=self.staff_name),
                       f"Candidate {c.candidate_number} moved to {c.takeover_terminal}.")[1],
            reason=None, confirm="Approve move"))

    def action_rest_break(self) -> None:
        """Start or end the highlighted candidate's rest break (always the highlighted one, so several
        breaks at once stay unambiguous; the dialog names who, to confirm)."""
        c = self._need_candidate()
        if c is None:
            return
        breaks = self.app.centre.rest_breaks
        if c.rest_break_since is not None:
            room_paused = bool(self.status and self.status.room_paused)
            clock = ("their clock stays stopped until you resume the room, as everyone's does" if room_paused
                     else "their clock runs again")
            self._ask(ActionDialog(
                f"End candidate {c.candidate_number}'s rest break ({c.name})?",
                f"On a break since {_local(c.rest_break_since)}. Their paper comes back and {clock}; "
                "the break's time is given back in full.",
                lambda v: f"Rest break ended: {clock_text(breaks.end(self.code, c.candidate_number, by=self.staff_name))} "
                          f"given back to candidate {c.candidate_number}.",
                reason=None, confirm="End break"))
            return
        asked = f"They asked at {_local(c.rest_break_asked_at)}. " if c.rest_break_asked_at else ""
        self._ask(ActionDialog(
            f"Start a supervised rest break for candidate {c.candidate_number} ({c.name})?",
            asked + "Their paper is hidden and locked and their clock stops until you end the break (b again).",
            lambda v: (breaks.start(self.code, c.candidate_number, by=self.staff_name),
                       f"Rest break started for candidate {c.candidate_number} ({c.name}): their clock is "
                       "stopped until you end the break (b).")[1],
            reason=None, confirm="Start break"))

    def action_decline_rest_break(self) -> None:
        asking = [c for c in self.status.candidates if c.rest_break_asked_at] if self.status else []
        chosen = self.selected()
        c = chosen if chosen is not None and chosen.rest_break_asked_at else (asking[0] if asking else None)
        if c is None:
            self.notify("Nobody is asking for a rest break.", severity="warning")
            return
        self._ask(ActionDialog(
            f"Decline candidate {c.candidate_number}'s rest break ({c.name})?",
            "Tell them why; the reason is kept in the sitting's log.",
            lambda v: (self.app.centre.rest_breaks.decline(self.code, c.candidate_number, reason=v["reason"],
                                                           by=self.staff_name),
                       f"Rest break declined for candidate {c.candidate_number}.")[1],
            confirm="Decline", danger=True))

    def action_log(self) -> None:
        self.app.push_screen(AuditLogScreen(self.code))

    def action_quit_room(self) -> None:
        """Quit; while candidates can be writing, only after a confirmation (q is easy to hit)."""
        status = self.status
        live = status is not None and status.state in (SittingState.OPEN, SittingState.RUNNING)
        if not live:
            self.app.exit()
            return
        writing = sum(1 for c in status.candidates if not c.state.is_final)
        dialog = ActionDialog(
            f"Quit the room view of sitting {self.code}?",
            f"The sitting is {status.state.value}: {writing} candidate(s) keep writing and their clocks keep "
            "running. Nobody can pause, extend or end for them from here until the room view is open again "
            f"(marker-tui invigilate {self.code}).",
            lambda v: "quit", reason=None, confirm="Quit", danger=True)
        self.app.push_screen(dialog, lambda answer: self.app.exit() if answer == "quit" else None)

    def action_export(self) -> None:
        from marker_tui.interfaces.tui.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.code, by=self.staff_name))

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)
