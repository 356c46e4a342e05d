"""The marker's screens: choose a sitting, the marking queue, and the marking screen.

``marker_sign_in(code)`` is the way in (``marker-tui mark [CODE]``, and the home
screen): staff name and PIN with the marker role, then the queue of sitting
``code`` (or a list of sittings to choose from).

The marking screen shows, for the current question of the current script: the
question (marks, outcome, criteria, command verb and what it asks), the
learner's answer exactly as typed (read-only), and the mark scheme entry with
tickable creditable points, guidance and "do not credit". Digits enter the mark;
ticking points moves the suggested mark (capped at the maximum) until the
marker types a different mark (an override). Totals per outcome, the overall
total and the result follow every change.

Two modes, switched with ``m``: *by script* (every question of one script,
which the marker holds while working) and *by question* (one question across
every script). Moving on saves; a save runs in a worker thread (keys pressed
meanwhile wait their turn) and a refusal (out of range, stale, held by someone
else, completed script without a reason) stops the move and says why. Leaving
(Esc) with a typed mark not saved asks first: save it, discard it, or stay. What is
typed but not yet saved is kept as a draft in the database half a second after
the last keystroke, so a terminal that dies loses nothing; the marker's claim
and saved marks are in the database too, so starting again resumes.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from functools import lru_cache

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from marker_tui.domain.command_verbs import CommandVerbGlossary
from marker_tui.domain.marking import (
    NOT_YET_MARKED,
    MarkRefused,
    QuestionMark,
    SchemeMismatch,
    mark_question,
    script_result,
    suggested_mark,
)
from marker_tui.domain.question_text import reflow
from marker_tui.domain.not_attempted import ZERO_REASONS, is_not_attempted
from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea, TextInput
from marker_tui.interfaces.tui.widgets.marking_dialogs import (
    MARKING_CSS,
    CommentBankDialog,
    ConfirmDialog,
    FeedbackDialog,
    ReasonDialog,
)
from marker_tui.interfaces.tui.widgets.marking_points import PointsList
from marker_tui.interfaces.tui.widgets.tables import highlighted_key
from marker_tui.services.audit import ServiceError
from marker_tui.services.marking import (
    ClaimRefused,
    MarkingQueue,
    MarkingService,
    MarkState,
    ReasonRequired,
    ScriptForMarking,
    ScriptRef,
    StaleMark,
)
from marker_tui.storage.database import EngineError, StorageError
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.kit import leave as _leave, say
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.domain.roles import Permission, roles_for

MARKER_ROLES = roles_for(Permission.MARK)
#: A second digit typed within this many seconds joins the first (marks of 10 or more).
DIGIT_WINDOW = 1.0
#: Unsaved input is written as a draft this long after the last change.
DRAFT_DELAY = 0.5
#: Activity refreshes the marker's claim at most this often (seconds).
TOUCH_EVERY = 60.0
#: The queue re-reads who holds what this often (seconds).
QUEUE_REFRESH = 15.0

#: What a screen reports in its message line instead of crashing (nothing was changed).
FAILURES = (ServiceError, StorageError, EngineError)


def in_worker(method: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Run an async key/message handler as a worker, so the screen keeps handling keys while
    the handler awaits a service call (an awaiting handler would hold the screen's queue)."""

    @functools.wraps(method)
    async def start(self: Any, *args: Any, **kwargs: Any) -> None:
        self.run_worker(method(self, *args, **kwargs), group=f"marking:{method.__name__}")

    return start


def in_turn(method: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Like ``in_worker``, one at a time per screen in the order the keys came: a save-then-move
    waiting for the write lock keeps the screen answering keys, and the next key's save waits its turn."""

    @functools.wraps(method)
    async def start(self: Any, *args: Any, **kwargs: Any) -> None:
        async def in_order() -> None:
            async with self.__dict__.setdefault("_turn", asyncio.Lock()):  # FIFO: keys keep their order
                await method(self, *args, **kwargs)

        self.run_worker(in_order(), group=f"marking:{method.__name__}")

    return start


class AwaitedCalls(ServiceCalls):
    """``await self.called(fn, ...)``: a service call on a thread worker (ServiceCalls.run_service),
    awaited where a step must follow another (save, then move). The UI thread never waits on the
    database; keys and typing are handled while the call runs. Errors come back as the exception,
    which each caller turns into its status line."""

    async def called(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(value: Any) -> None:
            if not future.done():
                future.set_result(value)

        def failed(error: Exception) -> None:
            if not future.done():
                future.set_exception(error)

        # Every error comes back to the awaiting caller (which re-raises a fault to the boundary).
        self.run_service(call, *args, done=done, failed=failed, group="marking", expected=(Exception,), **kwargs)
        return await future


def marker_sign_in(code: str | None = None) -> Screen:
    """Sign in (name + PIN, marker role), then the queue of ``code`` or the list of sittings."""
    from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen

    def then(member) -> Screen:
        return MarkingQueueScreen(code, member.name) if code else SittingPickerScreen(member.name)

    return StaffSignInScreen(f"Mark sitting {code}" if code else "Marking", then=then, roles=MARKER_ROLES)


@lru_cache(maxsize=1)
def _verbs() -> CommandVerbGlossary | None:
    from marker_tui.storage.assessment_files import load_command_verbs

    try:
        return load_command_verbs()
    except Exception:  # the glossary is help, not a reason to refuse to mark
        return None


# --- choosing a sitting ---------------------------------------------------------------------------


class SittingPickerScreen(ServiceCalls, Screen):
    """Sittings with scripts to mark; Enter opens one's queue."""

    CSS_PATH = MARKING_CSS
    BINDINGS = [
        Binding("enter", "open", "Open sitting"),
        Binding("2", "second_marking", "2nd marking"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
        # Reviews of marking given to this marker (issue 18.4); hidden from the footer, in F1's list.
        Binding("v", "reviews_of_marking", "Reviews of marking", show=False),
    ]

    def action_reviews_of_marking(self) -> None:
        from marker_tui.interfaces.tui.screens.reviews import ReviewsScreen

        self.app.push_screen(ReviewsScreen(self.marker))

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def compose(self) -> ComposeResult:
        yield Static(f"marker-tui · Marking · {self.marker}", classes="title-bar")
        yield Static("Choose a sitting to mark (Enter); 2: scripts given to you for a blind second mark.",
                     id="picker-help", classes="info-line")
        yield DataTable(id="sittings", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#sittings", DataTable)
        table.add_columns("Sitting", "Unit", "Paper", "State", "To mark", "Complete", "In progress", "Unmarked")
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        self.run_service(self._sittings_to_mark, done=self._show_sittings, group="sittings")

    def _sittings_to_mark(self) -> list[tuple[Any, Any]]:
        """(summary, queue) of each sitting with scripts to mark (runs on a worker thread)."""
        # The queue as this marker's queue screen shows it (their control scripts mixed in): counted
        # without them, the list said 9 where the queue showed 10, and a marker could tell one was there.
        service = self.app.centre.marking_for(self.marker)
        found = []
        for summary in self.app.centre.sittings.sittings():
            if summary.state not in ("running", "ended"):
                continue
            try:
                found.append((summary, service.queue(summary.code)))
            except FAILURES:
                continue
        return found

    def _show_sittings(self, found: list[tuple[Any, Any]]) -> None:
        table = self.query_one("#sittings", DataTable)
        table.clear()
        for summary, queue in found:
            counts = queue.counts()
            table.add_row(summary.code, f"{summary.qualification}/{summary.unit}",
                          Text(visible_line(summary.paper_title or "-")), str(summary.state), str(len(queue.rows)),
                          str(counts[MarkState.COMPLETE]), str(counts[MarkState.IN_PROGRESS]),
                          str(counts[MarkState.UNMARKED]), key=summary.code)
        if table.row_count == 0:
            self.query_one("#picker-help", Static).update(
                "No sitting has scripts to mark yet (a sitting must have started and scripts been submitted).")

    def action_open(self) -> None:
        key = highlighted_key(self.query_one("#sittings", DataTable))
        if key is None:
            return
        self.app.push_screen(MarkingQueueScreen(key, self.marker))

    def action_second_marking(self) -> None:
        # Already signed in as a marker, who may second-mark: straight to their queue.
        from marker_tui.interfaces.tui.screens.iqa import SecondMarkingQueueScreen

        self.app.push_screen(SecondMarkingQueueScreen(self.marker))

    @on(DataTable.RowSelected, "#sittings")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_back(self) -> None:
        _leave(self)


# --- the queue --------------------------------------------------------------------------------------


class QuestionPicker(ModalScreen[str | None]):
    """Which question to mark across every script."""

    CSS_PATH = MARKING_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, options: list[tuple[str, str]], highlight: str | None = None) -> None:
        super().__init__()
        self.options = options
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        with Vertical(classes="mk-dialog"):
            yield Static("Mark by question: which question?", classes="mk-dialog-title")
            yield OptionList(*[Option(Content(label), id=qid) for qid, label in self.options], id="questions")
            yield Static("Enter: choose    Esc: cancel", classes="mk-dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one("#questions", OptionList)
        ids = [qid for qid, _ in self.options]
        options.highlighted = ids.index(self.highlight) if self.highlight in ids else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MarkingQueueScreen(AwaitedCalls, Screen):
    """The scripts of one sitting: state, who holds them, marks so far."""

    CSS_PATH = MARKING_CSS
    BINDINGS = [
        Binding("enter", "open", "Mark script"),
        Binding("n", "next", "Next to mark"),
        Binding("m", "by_question", "Mark by question"),
        Binding("r", "refresh", "Refresh"),
        Binding("b", "toggle_blind", "Blind on/off"),
        # Named by the refusal that sends a marker there; the footer has no room left at 80 columns.
        Binding("s", "standardisation", "Standardisation", show=False),
        Binding("X", "export", "Export", show=False),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, code: str, marker: str, *, resume: bool = True) -> None:
        super().__init__()
        self.code = code
        self.marker = marker
        self.queue: MarkingQueue | None = None
        self._resume = resume
        self._columns: tuple[str, ...] = ()

    @property
    def service(self) -> MarkingService:
        return self.app.centre.marking_for(self.marker)  # this marker's control scripts included

    def compose(self) -> ComposeResult:
        yield Static(f"marker-tui · Marking {self.code} · {self.marker}", id="queue-title", classes="title-bar")
        yield Static("", id="queue-summary", classes="info-line")
        yield DataTable(id="queue", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-message", classes="message-line")
        yield Footer(compact=True)

    @in_worker
    async def on_mount(self) -> None:
        self.query_one("#queue", DataTable).focus()
        await self.reload()
        self.set_interval(QUEUE_REFRESH, self._tick)
        if self._resume:
            self._resume = False
            mine = next((r for r in self.queue.rows if r.held_by and r.held_by.lower() == self.marker.lower()
                         and r.state is not MarkState.COMPLETE), None) if self.queue else None
            if mine is not None:
                self.say(f"Resuming script {mine.script_number}, which you were marking.")
                await self.open_script(mine.script_id)

    @in_worker
    async def on_screen_resume(self) -> None:
        await self.reload()

    @in_worker
    async def _tick(self) -> None:
        if self.is_current:
            await self.reload()

    def say(self, message: str, error: bool = False) -> None:
        say(self.query_one("#queue-message", Static), message, error=error)

    async def reload(self) -> None:
        try:
            self.queue = await self.called(self.service.queue, self.code)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        q = self.queue
        self.query_one("#queue-title", Static).update(Content(
            f"Marking {q.code} · {self.marker} · {q.qualification}/{q.unit} v{q.paper_version}"
            + (f" {visible_line(q.paper_title)}" if q.paper_title else "")))
        counts = q.counts()
        if q.revealed:
            blind = "names shown" + (" (blind marking off)" if not q.blind else " (marking complete)")
        else:
            blind = "blind: names hidden until every script is complete"
        extra = []
        if q.absent:
            extra.append(f"{q.absent} absent")
        if q.still_writing:
            extra.append(f"{q.still_writing} still writing")
        self.query_one("#queue-summary", Static).update(Content(
            f"{len(q.rows)} scripts: {counts[MarkState.COMPLETE]} complete · {counts[MarkState.IN_PROGRESS]} "
            f"in progress · {counts[MarkState.UNMARKED]} unmarked" + "".join(f" · {e}" for e in extra)
            + f" · {blind}. Enter: mark the highlighted script."))
        table = self.query_one("#queue", DataTable)
        columns = ("Script",) + (("Candidate", "Name") if q.revealed else ()) + (
            "State", "Held by", "Marked", "Total", "Result")
        keep = highlighted_key(table)
        if columns != self._columns:
            table.clear(columns=True)
            table.add_columns(*columns)
            self._columns = columns
        else:
            table.clear()
        for r in q.rows:
            held = visible_line(r.held_by or "")
            if held and held.lower() == self.marker.lower():
                held = "you"
            cells = [r.script_number] + ([r.candidate_number or "", Text(visible_line(r.candidate_name or ""))]
                                         if q.revealed else [])
            cells += [str(r.state), Text(held), f"{r.questions_marked}/{r.questions_total}",
                      f"{r.provisional_total}/{r.available}", "-" if r.result == NOT_YET_MARKED else r.result]
            table.add_row(*cells, key=str(r.script_id))
        if keep is not None and keep in {str(r.script_id) for r in q.rows}:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        if not q.rows:
            self.say("No submitted scripts in this sitting yet.")

    def _selected_script(self) -> int | None:
        key = highlighted_key(self.query_one("#queue", DataTable))
        return None if key is None else int(key)

    async def open_script(self, script_id: int) -> None:
        try:
            loaded = await self.called(self.service.open_script, script_id, by=self.marker)
        except FAILURES as error:
            self.say(str(error), error=True)
            await self.reload()
            return
        self.app.push_screen(MarkingScreen(self.code, self.marker, mode="script", script=loaded))

    @in_worker
    async def action_open(self) -> None:
        script_id = self._selected_script()
        if script_id is not None:
            await self.open_script(script_id)

    @on(DataTable.RowSelected, "#queue")
    async def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.action_open()

    @in_worker
    async def action_next(self) -> None:
        try:
            script_id = await self.called(self.service.next_script, self.code, by=self.marker)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        if script_id is None:
            self.say("Every script is complete or held by another marker.")
            return
        await self.open_script(script_id)

    @in_worker
    async def action_by_question(self) -> None:
        script_id = self._selected_script()
        if script_id is None or self.queue is None:
            return
        try:
            script = await self.called(self.service.view_script, script_id, by=self.marker)
            counts = await self.called(self.service.marked_counts, self.code)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        total = len(self.queue.rows)
        options = [(q.id, f"Question {q.id} ({q.marks} mark{'s' if q.marks != 1 else ''}, outcome {q.outcome}):"
                          f" {counts[q.id]} of {total} marked") for q in script.paper.questions]
        start = next((q for q, n in counts.items() if n < total), script.paper.questions[0].id)

        def chosen(question_id: str | None) -> None:
            if question_id:
                self.app.push_screen(MarkingScreen(self.code, self.marker, mode="question", script=None,
                                                   question_id=question_id))

        self.app.push_screen(QuestionPicker(options, start), chosen)

    @in_worker
    async def action_refresh(self) -> None:
        await self.reload()
        self.say("Refreshed.")

    def action_export(self) -> None:
        from marker_tui.interfaces.tui.screens.export import ExportScreen

        self.app.push_screen(ExportScreen(self.code, by=self.marker))

    def action_standardisation(self) -> None:
        from marker_tui.interfaces.tui.screens.standardisation import StandardisationScreen

        self.run_service(self.app.centre.standardisation.paper_of_sitting, self.code,
                         done=lambda paper: self.app.push_screen(StandardisationScreen(paper, self.marker)))

    @in_worker
    async def action_toggle_blind(self) -> None:
        try:
            member = await self.called(self.app.centre.staff.get, self.marker)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        if not member.has_any(*roles_for(Permission.ADMINISTER)):
            self.say("Only an admin can turn blind marking on or off (marker-tui marks blind CODE --off "
                     "--by ADMIN); the change is logged.", error=True)
            return
        blind = self.queue.blind if self.queue else True
        question = "Turn blind marking OFF (markers see names)?" if blind else "Turn blind marking back ON?"

        def decided(yes: bool | None) -> None:
            if not yes:
                return

            async def change() -> None:
                try:
                    await self.called(self.service.set_blind, self.code, not blind, by=self.marker)
                except FAILURES as error:
                    self.say(str(error), error=True)
                    return
                await self.reload()
                self.say("Blind marking is now " + ("off." if blind else "on."))

            self.run_worker(change(), group="blind", exclusive=True)

        self.app.push_screen(ConfirmDialog(question, "This choice is recorded in the audit log."), decided)

    def action_back(self) -> None:
        _leave(self)


# --- the marking screen ------------------------------------------------------------------------------


@dataclass
class Edit:
    """What the marker has on screen for the current question (saved or not)."""

    mark_text: str
    ticks: set[int] = field(default_factory=set)
    comment: str = ""
    base_version: int = 0
    restored: bool = False


class MarkingScreen(AwaitedCalls, Screen):
    """Mark one question at a time, by script or by question."""

    _stale_note: str | None = None  # a draft typed over a mark changed since: said, not replayed

    CSS_PATH = MARKING_CSS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (40, "-tall")]
    BINDINGS = [
        Binding("0", "digit(0)", "Mark", key_display="0-9"),
        *[Binding(str(n), f"digit({n})", f"Mark {n}", show=False) for n in range(1, 10)],
        Binding("t", "tick", "Tick point", show=False),
        # The answer scrolls from here whatever has focus (the points list, the mark or the comment),
        # so a long answer is read without tabbing to it first.
        Binding("pageup", "scroll_answer(-1)", "Scroll answer up", show=False, priority=True),
        Binding("ctrl+down", "scroll_answer(1)", "Scroll answer down", show=False, priority=True),
        Binding("ctrl+up", "scroll_answer(-1)", "Scroll answer up", show=False, priority=True),
        # n/p move within the mode, ]/[ across it: by script, n is the next question and ] the
        # next script; by question, n is the next script and ] the next question.
        Binding("n", "inner(1, 'script')", "Next question"),
        Binding("n", "inner(1, 'question')", "Next script"),
        Binding("p", "inner(-1, 'script')", "Prev question", show=False),
        Binding("p", "inner(-1, 'question')", "Prev script", show=False),
        Binding("right_square_bracket", "outer(1, 'script')", "Next script", key_display="]"),
        Binding("right_square_bracket", "outer(1, 'question')", "Next question", key_display="]"),
        Binding("left_square_bracket", "outer(-1, 'script')", "Prev script", key_display="[", show=False),
        Binding("left_square_bracket", "outer(-1, 'question')", "Prev question", key_display="[", show=False),
        Binding("c", "comment", "Comment", show=False),
        Binding("b", "bank", "Bank", show=False),  # the comment box says "b: bank"
        Binding("d", "complete", "Complete"),
        Binding("m", "switch_mode", "Mode"),
        Binding("g", "identical", "Identical answers", show=False),  # issue 18.6: mark a group once
        Binding("a", "use_suggested", "Use ticks' mark", show=False),
        Binding("f", "feedback", "Feedback", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("ctrl+s", "save", "Save", show=False),
        Binding("escape", "back", "Back"),
        Binding("escape", "done_typing", "Done typing"),
        # Named in the answer pane's label: the footer has no room left at 80 columns.
        Binding("pagedown", "scroll_answer(1)", "Scroll answer", key_display="PgUp/PgDn", show=False,
                priority=True),
        Binding("f1", "app.show_keys", "Keys", show=False),
        Binding("z", "zero_reason", "Reason for 0", show=False),
    ]

    def __init__(self, code: str, marker: str, *, mode: str, script: ScriptForMarking | None,
                 question_id: str | None = None) -> None:
        super().__init__()
        self.code = code
        self.marker = marker
        self.mode = mode
        self.script = script
        self.question_id = question_id
        self.edit = Edit("")
        self.order: list[tuple[int, str]] = []  # (script id, script number), queue order
        self._refs: list[ScriptRef] = []
        self._reasons: dict[int, str] = {}  # the last reason given per script, offered again
        self.read_only: str | None = None
        self._pending_digits = ""
        self._last_digit = 0.0
        # Seconds for the two-digit window and the claim refresh; a test sets its own (real time
        # between two key presses on a loaded machine is no measure of a marker's typing).
        self.monotonic = time.monotonic
        self._last_touch = self.monotonic()
        self._draft_timer = None
        self._leave_armed = False
        self._last_error = ""

    @property
    def service(self) -> MarkingService:
        return self.app.centre.marking_for(self.marker)  # this marker's control scripts included

    # -- layout -----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="mark-title", classes="title-bar")
        with Horizontal(id="panes"):
            with Vertical(id="qa-col"):
                with VerticalScroll(id="question-pane", classes="pane"):
                    yield Static("", id="question-text")
                with Vertical(id="answer-pane", classes="pane"):
                    yield Static("Answer as typed · PgUp/PgDn scroll", id="answer-label",
                                 classes="pane-label")
                    yield PlainTextArea("", id="answer", read_only=True)
            with Vertical(id="scheme-col", classes="pane"):
                yield Static("Mark scheme · space: tick a point", classes="pane-label")
                yield PointsList(id="points")
                with VerticalScroll(id="scheme-notes"):
                    yield Static("", id="scheme-text")
        with Horizontal(id="entry"):
            yield Label("Mark", classes="entry-label")
            # Not restricted to digits: "1.5" would quietly become 15 (a mark, on a question worth 15 or
            # more). The rules refuse it in words as it is typed (_check_typed).
            yield TextInput(id="mark-input", max_length=4, placeholder="-")
            yield Static("", id="mark-hint")
            yield Label("Comment", classes="entry-label")
            yield TextInput(id="comment", placeholder="c: comment to the learner · b: bank", select_on_focus=False)
        yield Static("", id="totals")
        yield Static("", id="message", classes="message-line")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.query_one("#points", PointsList).focus()
        await self._load_order()
        if self.mode == "question":
            target = await self._first_for_question(self.question_id)
            if target is None:
                self.say("No submitted scripts to mark.", error=True)
                return
            await self._load(target, claim=False, question_id=self.question_id)
        else:
            assert self.script is not None
            self._show(self._start_question(self.script))
            if self._stale_note:
                self.say(self._stale_note, error=True)
            elif self.script.drafts:
                self.say("Restored what you had typed but not saved (shown as unsaved).")

    # -- loading ---------------------------------------------------------------------------------

    async def _load_order(self) -> None:
        try:
            refs = await self.called(self.service.script_refs, self.code)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        self._refs = refs
        self.order = [(r.script_id, r.script_number) for r in refs]

    async def _first_for_question(self, question_id: str | None) -> int | None:
        """The first script without a mark for the question that nobody else holds (else the first)."""
        try:
            rows = await self.called(self.service.scripts_for_question, self.code, question_id)
        except FAILURES as error:
            self.say(str(error), error=True)
            return None
        open_rows = [r for r in rows if r.state != MarkState.COMPLETE]
        unmarked = next((r for r in open_rows if r.mark is None and not self._held_by_other(r.held_by)), None)
        first = unmarked or (open_rows or rows or [None])[0]
        return first.script_id if first else None

    def _held_by_other(self, holder: str | None) -> bool:
        return bool(holder) and holder.lower() != self.marker.lower()

    async def _load(self, script_id: int, *, claim: bool, question_id: str | None = None) -> bool:
        """Load a script (claiming it when marking by script); False if refused."""
        try:
            if claim:
                loaded = await self.called(self.service.open_script, script_id, by=self.marker)
            else:
                loaded = await self.called(self.service.view_script, script_id, by=self.marker)
        except FAILURES as error:
            self.say(str(error), error=True)
            return False
        self.script = loaded
        if question_id is None:
            question_id = self._start_question(loaded) if self.mode == "script" else self.question_id
        self._show(question_id or loaded.paper.questions[0].id)
        if self._stale_note:
            self.say(self._stale_note, error=True)
        elif question_id in loaded.drafts:
            self.say("Restored what you had typed but not saved (shown as unsaved).")
        return True

    @staticmethod
    def _start_question(script: ScriptForMarking) -> str:
        ids = [q.id for q in script.paper.questions]
        drafted = next((q for q in ids if q in script.drafts), None)
        unmarked = next((q for q in ids if q not in script.marks), None)
        return drafted or unmarked or ids[0]

    def _show(self, question_id: str) -> None:
        """Put one question of the loaded script on screen."""
        script = self.script
        assert script is not None
        self.question_id = question_id
        self._pending_digits = ""
        self._leave_armed = False
        saved = script.marks.get(question_id)
        draft = script.drafts.get(question_id)
        if draft is not None and draft.base_version != (saved.version if saved else 0):
            # Typed over a mark someone has changed since (a clash between two screens): replayed, the
            # next save was refused again with the old clash's time. The saved mark is shown instead.
            typed = draft.marks_text.strip() or "a comment or ticks"
            now = f"{saved.marks_awarded} from {saved.marked_by}" if saved else "no mark"
            self._stale_note = (f"What you typed for question {question_id} earlier ({typed}) was not saved: the "
                                f"mark was changed after you started (it is now {now}). Type it again to change it.")
            self.run_worker(self._drop_draft(script.script_id, question_id), group="draft-drop")
            draft = None
        else:
            self._stale_note = None
        if draft is not None:
            # A stored comment is shown (and saved again) with its hidden characters made visible.
            self.edit = Edit(draft.marks_text, set(draft.credited_points), visible(draft.comment), draft.base_version,
                             restored=True)
        elif saved is not None:
            self.edit = Edit(str(saved.marks_awarded), set(saved.credited_points), visible(saved.comment or ""),
                             saved.version)
        else:
            self.edit = Edit("")
        holder = script.claim.held_by if script.claim else None
        self.read_only = (f"Script {script.script_number} is being marked by {holder}: you can read it but not "
                          "change it.") if self._held_by_other(holder) else None
        if self.read_only is None and self.mode == "question" and script.is_complete:
            # Marking by question is for unmarked work: a digit here must not start a change of a
            # completed script (that needs a reason, by script).
            self.read_only = (f"Script {script.script_number} is complete ({script.completed_by}): read-only when "
                              "marking by question. m: mark by script to change a mark, with a reason.")
        question = script.question(question_id)
        entry = script.entry(question_id)
        self.query_one("#question-text", Static).update(self._question_text(question))
        answer = script.answers.get(question_id, "")
        area = self.query_one("#answer", PlainTextArea)
        area.load_text(visible(answer))
        area.scroll_home(animate=False)
        self.query_one("#answer-label", Static).update(
            "Answer as typed · PgUp/PgDn scroll" if answer.strip()
            else "Not attempted: the learner wrote nothing (0, shown as not attempted)")
        self.query_one("#points", PointsList).show_points(entry.points, self.edit.ticks)
        self.query_one("#scheme-text", Static).update(self._scheme_notes(entry))
        self.query_one("#question-pane", VerticalScroll).scroll_home(animate=False)
        self.query_one("#scheme-notes", VerticalScroll).scroll_home(animate=False)
        self._set_input("#mark-input", self.edit.mark_text)
        self._set_input("#comment", self.edit.comment)
        self._refresh_status()
        if self.read_only:
            self.say(self.read_only, error=True)

    def _set_input(self, selector: str, value: str) -> None:
        box = self.query_one(selector, TextInput)
        if box.value != value:
            box.value = value
        box.cursor_position = len(value)

    # -- what the panes say --------------------------------------------------------------------------

    @staticmethod
    def _question_text(question) -> Text:
        """Heading, the question as the learner saw it, then what its command verb asks."""
        text = Text()
        text.append(f"Q{question.id}", style="bold")
        text.append(f" · {question.marks} mark{'s' if question.marks != 1 else ''} · outcome {question.outcome}")
        if question.criteria:
            text.append(f" · AC {', '.join(question.criteria)}")
        text.append(" · ")
        text.append(question.command_verb.upper(), style="bold")
        text.append("\n")
        if question.context:
            text.append(visible(reflow(question.context)) + "\n\n", style="italic")
        text.append(visible(reflow(question.text)) + "\n")
        glossary = _verbs()
        found = glossary.lookup(question.command_verb) if glossary else None
        if found is not None:
            text.append(f"\n{question.command_verb.capitalize()}: ", style="bold")
            text.append(" ".join(found.asks.split()))
            if found.marker_note:
                text.append("\nMarker note: ", style="bold")
                text.append(" ".join(found.marker_note.split()))
        return text

    @staticmethod
    def _scheme_notes(entry) -> Text:
        text = Text()
        text.append(f"Maximum {entry.max_marks} mark{'s' if entry.max_marks != 1 else ''}", style="bold")
        text.append(f" · points add up to {entry.creditable_total}\n")
        if entry.guidance:
            text.append("Guidance: ", style="bold")
            text.append(visible_line(" ".join(entry.guidance.split())) + "\n")
        if entry.do_not_credit:
            text.append("Do not credit:\n", style="bold")
            for item in entry.do_not_credit:
                text.append(f"  ✗ {visible_line(' '.join(item.split()))}\n")
        return text

    def say(self, message: str, error: bool = False) -> None:
        say(self.query_one("#message", Static), message, error=error)
        if error:
            self._last_error = message

    # -- the mark being edited --------------------------------------------------------------------------

    def _entry(self):
        return self.script.entry(self.question_id)

    def _suggested(self, ticks: set[int] | None = None) -> int:
        return suggested_mark(self._entry(), self.edit.ticks if ticks is None else ticks)

    def _saved_values(self) -> tuple[str, set[int], str]:
        saved = self.script.marks.get(self.question_id) if self.script else None
        if saved is None:
            return "", set(), ""
        # Compared with what the box shows: a stored comment's hidden characters alone are not a change.
        return str(saved.marks_awarded), set(saved.credited_points), visible(saved.comment or "")

    def _dirty(self) -> bool:
        if self.script is None or self.question_id is None:
            return False
        mark, ticks, comment = self._saved_values()
        return (self.edit.mark_text.strip(), self.edit.ticks, self.edit.comment.strip()) != (
            mark, ticks, comment.strip())

    def _now(self):
        return self.app.centre.clock.now()

    def _check_typed(self) -> tuple[QuestionMark | None, str | None]:
        """The typed mark as the rules see it: (mark, None), (None, why not) or (None, None) if empty."""
        text = self.edit.mark_text.strip()
        if not text:
            return None, None
        try:
            return mark_question(self._entry(), int(text) if text.isdigit() else text,
                                 credited_points=self.edit.ticks, marked_by=self.marker,
                                 marked_at=self._now()), None
        except MarkRefused as error:
            return None, str(error)

    def _refresh_status(self) -> None:
        script = self.script
        if script is None or self.question_id is None:
            return
        entry = self._entry()
        suggestion = self._suggested()
        pending, problem = self._check_typed()
        dirty = self._dirty()
        hint = Text(f"/ {entry.max_marks}")
        if self.edit.ticks:
            hint.append(f" · ticks {suggestion}")
            if pending is not None and pending.marks_awarded != suggestion:
                hint.append(" · override", style="bold")
        if problem:
            hint.append(f" · 0-{entry.max_marks} only", style="bold red")
        elif dirty:
            hint.append(" · unsaved", style="bold yellow")
        elif self.question_id in script.marks:
            hint.append(" · saved", style="green")
        self.query_one("#mark-hint", Static).update(hint)
        # Totals follow the screen, the unsaved change included.
        marks = {q: m.question_mark() for q, m in script.marks.items()}
        if pending is not None:
            marks[self.question_id] = pending
        try:
            result = script_result(script.paper, script.scheme, marks)
        except (MarkRefused, SchemeMismatch) as error:
            self.query_one("#totals", Static).update(Text(f"No total: {error}", style="bold red"))
            return
        totals = Text()
        if result.is_complete:
            totals.append(f"Total {result.total}/{result.available} ({result.percentage}%) ", style="bold")
            totals.append(result.status.upper() if result.status in ("pass", "fail") else result.status,
                          style="bold green" if result.passed else "bold red")
        else:
            totals.append(f"{result.provisional_total}/{result.available} so far", style="bold")
            totals.append(f" · not yet marked ({result.questions_marked}/{result.questions_total}) ·")
        for outcome in result.outcomes:
            totals.append(f" O{outcome.outcome} {outcome.awarded}/{outcome.available}")
            if outcome.minimum is not None:
                totals.append(f" (min {outcome.minimum})", style="bold red" if outcome.met_minimum is False else "")
        if result.fail_reasons:
            totals.append(" · " + "; ".join(result.fail_reasons), style="red")
        if dirty and pending is not None:
            totals.append(" · includes unsaved", style="yellow")
        totals.append("\n")
        totals.append_text(self._strip(result))
        self.query_one("#totals", Static).update(totals)
        self.query_one("#mark-title", Static).update(self._title())

    def _strip(self, result) -> Text:
        """By script: every question with its mark; by question: where we are across scripts."""
        script = self.script
        strip = Text()
        if self.mode == "script":
            strip.append("Marked: ")
            for q in script.paper.questions:
                mark = script.marks.get(q.id)
                shown = f"{q.id}={mark.marks_awarded}" if mark else q.id
                style = "reverse" if q.id == self.question_id else ("" if mark else "dim")
                strip.append(shown, style=style)
                strip.append(" ")
        else:
            position = next((i for i, (sid, _) in enumerate(self.order) if sid == script.script_id), 0) + 1
            strip.append(f"Question {self.question_id}: script {position} of {len(self.order)}")
            strip.append(f" · this script {result.questions_marked}/{result.questions_total} questions marked")
        if script.is_complete:
            strip.append(f" · complete ({visible_line(script.completed_by)}): changes need a reason", style="yellow")
        return strip

    def _title(self) -> Text:
        script = self.script
        ids = [q.id for q in script.paper.questions]
        who = f" ({script.candidate_number} {visible_line(script.candidate_name)})" if script.candidate_number else ""
        position = next((i for i, (sid, _) in enumerate(self.order) if sid == script.script_id), None)
        of = f" {position + 1}/{len(self.order)}" if position is not None else ""
        mode = "By script" if self.mode == "script" else "By question"
        return Text(f"{self.code} · {mode} · Script {script.script_number}{who}{of} · "
                    f"Q{self.question_id} ({ids.index(self.question_id) + 1}/{len(ids)}) · {self.marker}")

    def _changed(self) -> None:
        """After any edit: status line, and a draft written shortly after the last change."""
        self._leave_armed = False
        self._refresh_status()
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DELAY, self._draft_due)
        self._touch()

    def _refuse_if_read_only(self) -> bool:
        if self.read_only:
            self.app.bell()
            self.say(self.read_only, error=True)
            return True
        return False

    # -- keys that change the mark --------------------------------------------------------------------

    def action_digit(self, digit: int) -> None:
        if self.script is None or self._refuse_if_read_only():
            return
        entry = self._entry()
        now = self.monotonic()
        candidate = str(digit)
        if self._pending_digits and now - self._last_digit <= DIGIT_WINDOW:
            joined = self._pending_digits + str(digit)
            if int(joined) <= entry.max_marks:
                candidate = joined
        self._last_digit = now
        if int(candidate) > entry.max_marks:
            self.app.bell()
            self._pending_digits = ""
            self.say(f"Question {entry.id}: {candidate} is outside the allowed range; enter a whole number "
                     f"from 0 to {entry.max_marks}. The mark was not changed.", error=True)
            return
        self._pending_digits = candidate
        self.edit.mark_text = str(int(candidate))
        self._set_input("#mark-input", self.edit.mark_text)
        self.say("")
        self._changed()

    def action_tick(self) -> None:
        self.query_one("#points", PointsList).action_toggle()

    @on(PointsList.Changed, "#points")
    def _ticks_changed(self, event: PointsList.Changed) -> None:
        if self.script is None:
            return
        ticks = set(event.ticked)
        if ticks == self.edit.ticks:
            return
        if self.read_only:
            self._refuse_if_read_only()
            event.points.set_ticked(self.edit.ticks)
            return
        before = self._suggested()
        follows = self.edit.mark_text.strip() in ("", str(before))
        self.edit.ticks = ticks
        if follows:
            self.edit.mark_text = str(self._suggested())
            self._set_input("#mark-input", self.edit.mark_text)
        self._pending_digits = ""
        self._changed()

    @on(TextInput.Changed, "#mark-input")
    def _mark_typed(self, event: TextInput.Changed) -> None:
        if self.script is None or event.value == self.edit.mark_text:
            return
        if self.read_only:
            self._refuse_if_read_only()
            self._set_input("#mark-input", self.edit.mark_text)
            return
        self.edit.mark_text = event.value
        _, problem = self._check_typed()
        self.say(problem or "", error=bool(problem))
        self._changed()

    @on(TextInput.Changed, "#comment")
    def _comment_typed(self, event: TextInput.Changed) -> None:
        if self.script is None or event.value == self.edit.comment:
            return
        if self.read_only:
            self._refuse_if_read_only()
            self._set_input("#comment", self.edit.comment)
            return
        self.edit.comment = event.value
        self._changed()

    @on(TextInput.Submitted)
    def _input_done(self, event: TextInput.Submitted) -> None:
        event.stop()
        self.query_one("#points", PointsList).focus()

    def action_use_suggested(self) -> None:
        if self.script is None or self._refuse_if_read_only():
            return
        self.edit.mark_text = str(self._suggested())
        self._set_input("#mark-input", self.edit.mark_text)
        self._changed()

    def action_comment(self) -> None:
        self.query_one("#comment", TextInput).focus()

    def action_bank(self) -> None:
        if self.script is None:
            return

        def picked(text: str | None) -> None:
            if not text or self._refuse_if_read_only():
                return
            current = self.edit.comment.strip()
            self.edit.comment = text if not current else f"{current} {text}"
            self._set_input("#comment", self.edit.comment)
            self._changed()
            self.say("Comment from the bank added; it is saved with the mark when you move on.")

        self.app.push_screen(CommentBankDialog(self.code, self.question_id, self.marker, self.edit.comment), picked)

    # -- drafts and claims ------------------------------------------------------------------------------

    def _draft_due(self) -> None:
        self._draft_timer = None
        self.run_worker(self._write_draft(), group="draft", exclusive=True)

    async def _drop_draft(self, script_id: int, question: str) -> None:
        try:
            await self.called(self.service.discard_draft, script_id, question, by=self.marker)
        except Exception:  # noqa: BLE001 - a draft is a safety net: left, it is shown as stale again
            pass

    async def _write_draft(self) -> None:
        script, question = self.script, self.question_id
        if script is None or question is None:
            return
        edit = Edit(self.edit.mark_text, set(self.edit.ticks), self.edit.comment, self.edit.base_version)
        dirty = self._dirty()
        try:
            if dirty:
                await self.called(self.service.save_draft, script.script_id, question, by=self.marker,
                                        marks_text=edit.mark_text, ticks=edit.ticks, comment=edit.comment,
                                        base_version=edit.base_version)
            else:
                await self.called(self.service.discard_draft, script.script_id, question, by=self.marker)
        except Exception:  # noqa: BLE001 - a draft is a safety net; the save itself reports problems
            pass

    def _touch(self) -> None:
        if self.mode != "script" or self.script is None or self.read_only:
            return
        if self.monotonic() - self._last_touch < TOUCH_EVERY:
            return
        self._last_touch = self.monotonic()
        script_id = self.script.script_id

        async def refresh() -> None:
            try:
                await self.called(self.service.claim, script_id, by=self.marker)
            except ClaimRefused as error:
                self.say(str(error), error=True)
            except FAILURES:
                pass

        self.run_worker(refresh(), group="claim", exclusive=True)

    def on_key(self) -> None:
        self._touch()

    def on_unmount(self) -> None:
        # Quitting the app (ctrl+q) mid-question: keep what was typed, even inside the draft delay.
        if self._draft_timer is not None and self.script is not None and self._dirty():
            try:
                self.service.save_draft(self.script.script_id, self.question_id, by=self.marker,
                                        marks_text=self.edit.mark_text, ticks=self.edit.ticks,
                                        comment=self.edit.comment, base_version=self.edit.base_version)
            except FAILURES:
                pass

    # -- saving -------------------------------------------------------------------------------------------

    async def _save(self, reason: str | None = None) -> bool | str:
        """Save the current question if it changed. True: saved (or nothing to save);
        False: refused (the message says why); "reason": the script is complete, ask why."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        script, question = self.script, self.question_id
        if script is None or question is None or not self._dirty():
            return True
        if self.read_only:
            self.say(self.read_only, error=True)
            return False
        text = self.edit.mark_text.strip()
        if not text:
            if question in script.marks:
                self.say(f"Question {question}: a saved mark cannot be removed; enter a whole number from 0 to "
                         f"{self._entry().max_marks}.", error=True)
                return False
            await self._write_draft()
            self.say(f"Question {question} has no mark yet; what you typed is kept as a draft.")
            return True
        if script.is_complete and reason is None:
            return "reason"
        try:
            saved = await self.called(
                self.service.save_mark, script.script_id, question, int(text) if text.isdigit() else text,
                ticks=sorted(self.edit.ticks), comment=self.edit.comment, by=self.marker,
                expected_version=self.edit.base_version, reason=reason, hold=self.mode == "script")
        except ReasonRequired:
            return "reason"
        except StaleMark as error:
            self.app.bell()
            self.say(f"{error} (r: reload)", error=True)
            return False
        except ClaimRefused as error:
            self.app.bell()
            self.say(f"{error} Esc: back to the queue.", error=True)
            return False
        except FAILURES as error:
            self.app.bell()
            self.say(str(error), error=True)
            return False
        marks = dict(script.marks)
        marks[question] = saved.mark
        drafts = {q: d for q, d in script.drafts.items() if q != question}
        self.script = script.model_copy(update={"marks": marks, "drafts": drafts})
        self.edit.base_version = saved.mark.version
        self.edit.restored = False
        self._last_touch = self.monotonic()
        if saved.changed:
            self.say(f"Saved question {question}: {saved.mark.marks_awarded} mark"
                     f"{'s' if saved.mark.marks_awarded != 1 else ''}.")
        return True

    async def _then(self, move: Callable[[], Awaitable[None]]) -> None:
        """Save the current question, then ``move`` (nothing moves if the save is refused)."""
        self.say("")
        outcome = await self._save()
        if outcome is True:
            await move()
        elif outcome == "reason":
            self._ask_reason(move)

    def _ask_reason(self, move: Callable[[], Awaitable[None]] | None) -> None:
        script = self.script

        def answered(reason: str | None) -> None:
            if not reason:
                self.say("Not saved: a completed script's mark changes only with a reason. "
                         "r: reload the saved mark.", error=True)
                return

            self._reasons[script.script_id] = reason

            async def retry() -> None:
                if await self._save(reason=reason) is True and move is not None:
                    await move()

            self.run_worker(retry(), group="save", exclusive=True)

        self.app.push_screen(ReasonDialog(
            f"Script {script.script_number} was marked complete by {script.completed_by}. "
            f"Changing question {self.question_id} needs a reason.",
            label="Reason for the change (kept in the audit log):", suggestion=self._reasons.get(script.script_id, ""),
            placeholder="e.g. second reading: point 3 was made in the last line",
            save_hint="save the change with this reason"), answered)

    @in_turn
    async def action_save(self) -> None:
        outcome = await self._save()
        if outcome == "reason":
            self._ask_reason(None)
        self._refresh_status()

    # -- moving --------------------------------------------------------------------------------------

    def _question_ids(self) -> list[str]:
        return [q.id for q in self.script.paper.questions]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Each of n, p, ], [ has one binding per mode; only the current mode's is live (and shown).
        if action in ("inner", "outer") and len(parameters) == 2:
            return parameters[1] == self.mode
        if action in ("back", "done_typing"):
            # Esc in the mark or comment box ends typing; elsewhere it goes back to the queue.
            return (action == "done_typing") == isinstance(self.focused, TextInput)
        return True

    @in_turn
    async def action_zero_reason(self) -> None:
        """z: why a written answer earned 0 (a reason code, issue 18.5); z again: the next code."""
        script, question = self.script, self.question_id
        if script is None or question is None:
            return
        saved = script.marks.get(question)
        if is_not_attempted(script.answers.get(question)):
            self.say(f"Question {question} was not attempted: a blank answer needs no reason for 0.")
            return
        if saved is None or saved.marks_awarded != 0 or self._dirty():
            self.say(f"Question {question}: save a mark of 0 first; z then gives the reason for it.", error=True)
            return
        codes = list(ZERO_REASONS)
        code = codes[(codes.index(saved.reason_code) + 1) % len(codes)] if saved.reason_code in codes else codes[0]
        try:
            done = await self.called(
                self.service.save_mark, script.script_id, question, 0, ticks=sorted(saved.credited_points),
                comment=saved.comment, by=self.marker, expected_version=saved.version, zero_reason=code,
                hold=self.mode == "script", reason="reason for 0" if script.is_complete else None)
        except FAILURES as error:
            self.app.bell()
            self.say(str(error), error=True)
            return
        self.script = script.model_copy(update={"marks": {**script.marks, question: done.mark}})
        self.edit.base_version = done.mark.version
        self.say(f"Question {question}: 0 marks, because: {code} (z: the next reason).")

    def action_scroll_answer(self, step: int) -> None:
        area = self.query_one("#answer", PlainTextArea)
        page = max(1, area.scrollable_content_region.height - 1)
        area.scroll_to(y=max(0, area.scroll_y + step * page), animate=False)

    def action_done_typing(self) -> None:
        self.query_one("#points", PointsList).focus()

    @in_turn
    async def action_inner(self, step: int, mode: str) -> None:
        """n / p: the next or previous question (by script) or script (by question)."""
        if self.script is None:
            return
        if self.mode == "question":
            await self._then(lambda: self._go_script_step(step))
            return
        ids = self._question_ids()
        target = ids.index(self.question_id) + step
        if target >= len(ids):
            await self._then(self._at_last_question)
        elif target < 0:
            await self._then(self._noop)
            self.say("This is the first question. [: previous script.")
        else:
            await self._then(lambda: self._go_question(ids[target]))

    @in_turn
    async def action_outer(self, step: int, mode: str) -> None:
        """] / [: the next or previous script (by script) or question (by question)."""
        if self.script is None:
            return
        if self.mode == "question":
            await self._then(lambda: self._go_other_question(step))
        elif step > 0:
            await self._then(self._go_next_script)
        else:
            await self._then(self._go_previous_script)

    async def _noop(self) -> None:
        self._refresh_status()

    async def _at_last_question(self) -> None:
        self._refresh_status()
        try:
            result = self.script.result
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        if self.script.is_complete:
            self.say("Last question; this script is complete. ] next script.")
        elif result.is_complete:
            self.say("Last question, and every question has a mark: d marks the script complete; ] next script.")
        else:
            self.say(f"Last question. Still without a mark: {', '.join(result.unmarked_questions)}.")

    async def _go_question(self, question_id: str) -> None:
        self._show(question_id)

    async def _go_script_step(self, step: int) -> None:
        await self._load_order()  # fresh states: a script completed meanwhile is skipped too
        ids = [sid for sid, _ in self.order]
        done = {r.script_id for r in self._refs if r.state == MarkState.COMPLETE}
        index = ids.index(self.script.script_id) if self.script.script_id in ids else 0
        target = index + step
        while 0 <= target < len(ids) and ids[target] in done:
            target += step  # completed scripts are not marked by question
        if not 0 <= target < len(ids):
            self._refresh_status()
            self.say("That was the last script to mark for this question (complete scripts are skipped). "
                     "] next question." if step > 0 else
                     "No earlier script to mark for this question (complete scripts are skipped). [ previous question.")
            return
        await self._load(ids[target], claim=False, question_id=self.question_id)

    async def _go_other_question(self, step: int) -> None:
        ids = self._question_ids()
        target = ids.index(self.question_id) + step
        if not 0 <= target < len(ids):
            self._refresh_status()
            self.say("No more questions that way.")
            return
        question = ids[target]
        first = await self._first_for_question(question)
        await self._load(first or self.script.script_id, claim=False, question_id=question)

    async def _release(self) -> None:
        if self.mode == "script" and self.script is not None:
            try:
                await self.called(self.service.release, self.script.script_id, by=self.marker)
            except FAILURES:
                pass

    async def _go_next_script(self) -> None:
        current = self.script
        await self._release()
        try:
            target = await self.called(self.service.next_script, self.code, by=self.marker,
                                             after=current.script_number)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        if target is None or target == current.script_id:
            await self._load(current.script_id, claim=True, question_id=self.question_id)
            self.say("No other script is waiting: every other script is complete or held by another marker.")
            return
        await self._load_order()
        if not await self._load(target, claim=True):
            await self._load(current.script_id, claim=True, question_id=self.question_id)

    async def _go_previous_script(self) -> None:
        current = self.script
        await self._load_order()
        earlier = [r for r in self._refs if r.script_number < current.script_number
                   and not self._held_by_other(r.held_by)]
        if not earlier:
            self._refresh_status()
            self.say("No earlier script you can open.")
            return
        await self._release()
        if not await self._load(earlier[-1].script_id, claim=True):
            await self._load(current.script_id, claim=True, question_id=self.question_id)

    @in_turn
    async def action_switch_mode(self) -> None:
        if self.script is None:
            return
        await self._then(self._switch_mode)

    async def _switch_mode(self) -> None:
        if self.mode == "script":
            await self._release()
            self.mode = "question"
            await self._load_order()
            await self._load(self.script.script_id, claim=False, question_id=self.question_id)
            self.say(f"Marking by question: question {self.question_id} across every script (n/p: scripts, "
                     "]/[: questions).")
        else:
            self.mode = "script"
            if not await self._load(self.script.script_id, claim=True, question_id=self.question_id):
                self.mode = "question"
                self._refresh_status()
                return
            self.say(f"Marking by script: every question of script {self.script.script_number} (n/p: questions, "
                     "]/[: scripts).")
        self.refresh_bindings()

    def action_identical(self) -> None:
        """The groups of identical answers to this question; back here reloads what they changed."""
        from marker_tui.interfaces.tui.screens.group_marking import GroupMarkingScreen

        if self.script is None or not self.question_id:
            return

        async def back(marked: bool | None) -> None:
            if marked and self.script is not None:
                await self._load(self.script.script_id, claim=self.mode == "script", question_id=self.question_id)

        self.app.push_screen(GroupMarkingScreen(self.code, self.question_id, self.marker), back)

    @in_turn
    async def action_reload(self) -> None:
        if self.script is None:
            return
        question = self.question_id
        mine = self.edit.mark_text.strip()
        try:
            await self.called(self.service.discard_draft, self.script.script_id, question, by=self.marker)
        except FAILURES:
            pass
        if await self._load(self.script.script_id, claim=self.mode == "script", question_id=question):
            saved = self.script.marks.get(question)
            now = (f"{saved.marks_awarded} mark{'s' if saved.marks_awarded != 1 else ''} from {saved.marked_by}"
                   if saved else "no mark")
            self.say(f"Reloaded: question {question} has {now}" + (f" (your {mine} was not saved)." if mine and (
                not saved or str(saved.marks_awarded) != mine) else "."))

    @in_turn
    async def action_complete(self) -> None:
        if self.script is None:
            return
        await self._then(self._confirm_complete)

    async def _confirm_complete(self) -> None:
        script = self.script
        self._refresh_status()
        if script.is_complete:
            self.say(f"Script {script.script_number} is already complete ({script.completed_by}).")
            return
        try:
            result = script.result
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        if not result.is_complete:
            self.say(f"Script {script.script_number} cannot be complete yet: no mark for "
                     f"{', '.join(result.unmarked_questions)}.", error=True)
            return
        if self._held_by_other(script.claim.held_by if script.claim else None):
            self.say(self.read_only or "Another marker holds this script.", error=True)
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self.run_worker(self._complete(), group="save", exclusive=True)

        self.app.push_screen(ConfirmDialog(
            f"Mark script {script.script_number} complete?",
            f"Total {result.total}/{result.available} ({result.percentage}%), {result.status}. "
            "After this, changing a mark needs a reason."), decided)

    async def _complete(self) -> None:
        script = self.script
        try:
            done = await self.called(self.service.complete, script.script_id, by=self.marker)
        except FAILURES as error:
            self.say(str(error), error=True)
            return
        message = (f"Script {done.script_number} complete: {done.result.total}/{done.result.available}, "
                   f"{done.result.status}.")
        if done.sitting_marking_complete:
            message += " Every script of this sitting is now complete."
        if self.mode == "script":
            try:
                target = await self.called(self.service.next_script, self.code, by=self.marker,
                                                 after=script.script_number)
            except FAILURES:
                target = None
            await self._load_order()
            if target is not None and await self._load(target, claim=True):
                self.say(message + f" Now script {self.script.script_number}.")
                return
            await self._load(script.script_id, claim=False, question_id=self.question_id)
            self.say(message + " No other script is waiting. Esc: back to the queue.")
        else:
            await self._load(script.script_id, claim=False, question_id=self.question_id)
            self.say(message)

    def action_feedback(self) -> None:
        if self.script is None:
            return
        script = self.script

        def written(values: tuple[str, str] | None) -> None:
            if values is None:
                return

            async def keep() -> None:
                try:
                    updated = await self.called(self.service.set_feedback, script.script_id,
                                                      overall_feedback=values[0], next_steps=values[1],
                                                      by=self.marker)
                except FAILURES as error:
                    self.say(str(error), error=True)
                    return
                self.script = self.script.model_copy(update={"overall_feedback": updated.overall_feedback,
                                                             "next_steps": updated.next_steps})
                self.say("Feedback saved.")

            self.run_worker(keep(), group="save", exclusive=True)

        self.app.push_screen(FeedbackDialog(script.script_number, script.overall_feedback, script.next_steps),
                             written)

    @in_turn
    async def action_back(self) -> None:
        # A marker pressing Esc expects to back out: a typed mark not saved yet is asked about,
        # never saved (or dropped) without a word.
        if self._dirty() and not self.read_only and self.edit.mark_text.strip():
            self._ask_before_leaving()
            return
        outcome = await self._save()
        if outcome is True or self._leave_armed:
            await self._release()
            self.dismiss_screen()
            return
        self._leave_armed = True
        await self._write_draft()
        if outcome == "reason":
            self.say("This change needs a reason: ctrl+s to give one. Esc again: leave without saving it "
                     "(what you typed is kept as a draft).", error=True)
        else:
            self.say(f"{self._last_error or 'Not saved.'} Esc again: leave anyway (what you typed is kept "
                     "as a draft).", error=True)

    def _ask_before_leaving(self) -> None:
        question, mark = self.question_id, self.edit.mark_text.strip()
        saved = self.script.marks.get(question)
        if saved is None or str(saved.marks_awarded) != mark:
            asked = f"Save the mark of {mark} for Q{question} before leaving?"
        else:
            asked = f"Save your changes to Q{question} (mark {mark}, ticks, comment) before leaving?"
        if saved is None:
            detail = f"Discard: question {question} stays unmarked; nothing you typed is kept."
        else:
            detail = f"Discard: question {question} keeps its saved mark of {saved.marks_awarded}."

        def decided(answer: bool | None) -> None:
            if answer is None:
                self.say(f"Still on question {question}: your mark of {mark} is not saved yet (ctrl+s saves it).")
            elif answer:
                self.run_worker(self._save_and_leave(), group="save", exclusive=True)
            else:
                self.run_worker(self._discard_and_leave(), group="save", exclusive=True)

        self.app.push_screen(ConfirmDialog(asked, detail, yes="save it", no="discard it", escape_stays="stay"),
                             decided)

    async def _save_and_leave(self) -> None:
        question = self.question_id

        async def leave() -> None:
            mark = self.script.marks[question].marks_awarded
            await self._release()
            self._leave_saying(f"Saved question {question}: {mark} mark{'s' if mark != 1 else ''}.")

        outcome = await self._save()
        if outcome is True:
            await leave()
        elif outcome == "reason":
            self._ask_reason(leave)
        # Refused: the message line says why, and the marker is still on the question.

    async def _discard_and_leave(self) -> None:
        question, mark = self.question_id, self.edit.mark_text.strip()
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        try:  # the half-second draft may already be stored: discarded means nothing kept
            await self.called(self.service.discard_draft, self.script.script_id, question, by=self.marker)
        except FAILURES as error:
            self.say(f"Not discarded: {error}", error=True)
            return
        saved = self.script.marks.get(question)
        await self._release()
        self._leave_saying(f"Not saved: your mark of {mark} for question {question} was discarded"
                           + (f"; it keeps its saved mark of {saved.marks_awarded}." if saved else "."))

    def _leave_saying(self, message: str) -> None:
        """Back to the screen underneath, saying ``message`` there (its message line, else a notice)."""
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 else None
        self.dismiss_screen()
        there = getattr(below, "say", None)
        if callable(there):
            there(message)
        else:
            self.app.notify(message)

    def dismiss_screen(self) -> None:
        self.app.pop_screen()
