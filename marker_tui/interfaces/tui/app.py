"""The marker-tui Textual application."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import WorkerFailed

from marker_tui.domain.visible_text import visible, visible_line
from .widgets.inputs import FOCUS_KEYS
from .hangup import CHECK_SECONDS, HANGUP, STOPPED, is_terminal, terminal_hung_up, terminal_size
from marker_tui.services.staff import StaffMember

if TYPE_CHECKING:  # imported when used: `marker-tui sit` should not pay for the home screen's files
    from marker_tui.services.centre import Centre
    from marker_tui.storage.assessment_files import AssessmentLibrary


#: Textual's own hidden screen bindings: moving the focus is a key, not a command.
_MOVES = frozenset({"focus_next", "focus_previous", "app.focus_next", "app.focus_previous"})


class MarkerApp(App):
    """One app for the whole centre.

    ``start`` replaces the home screen as the first screen (``marker-tui sit`` and
    ``marker-tui invigilate`` open straight onto theirs). ``steady`` is for tests
    and snapshots: no animation and no blinking cursor, so screens render the same
    every time.
    """

    TITLE = "marker-tui"
    CSS_PATH = "styles/app.tcss"
    # Help on every screen: the keys of the current screen (typing "?" into a box still types it).
    BINDINGS = [
        *FOCUS_KEYS,  # a key typed straight after Tab reaches the box Tab moved to
        Binding("f1", "show_keys", "Keys", show=False),
        Binding("question_mark", "show_keys", "Keys", show=False),
    ]

    def __init__(
        self,
        centre: Centre | None = None,
        *,
        library: AssessmentLibrary | None = None,
        start: Screen | None = None,
        steady: bool = False,
        welcome: str | None = None,
    ) -> None:
        super().__init__()
        self.centre = centre
        # The member of staff signed in at this terminal (the home screen's menu follows their roles).
        self.staff_member: StaffMember | None = None
        self._library = library
        self._start = start
        self._welcome = welcome
        self.cursor_blink = not steady
        if steady:
            self.animation_level = "none"
        self._lockdown: tuple[Screen, Callable[[], object]] | None = None
        # The error boundary (see _handle_exception): set once an unexpected error was caught.
        self.faulted = False
        self.fault_log: Path | None = None
        self.learner_terminal = False
        self.learner_login: tuple[str, str] | None = None  # set by the learner's screens: errors show the learner's message
        self._fault_shown = False
        self._previous_excepthook = None

    @property
    def library(self) -> AssessmentLibrary:
        """The assessment files, read once on first use."""
        if self._library is None:
            from marker_tui.storage.assessment_files import load_library

            self._library = load_library()
        return self._library

    def on_mount(self) -> None:
        # A thread of ours that dies of an error goes to the same boundary, not to stderr (the terminal).
        self._previous_excepthook = threading.excepthook
        threading.excepthook = self._thread_failed
        first_run = False
        if self._start is None:
            from .screens.home import HomeScreen

            self._start = HomeScreen()
            if self.centre is not None:
                from marker_tui.services.setup import first_run_needed

                first_run = first_run_needed(self.centre)
        start, self._start = self._start, None  # the app must not keep a screen alive after it is gone
        self.push_screen(start)
        if is_terminal(fd := getattr(self._driver, "fileno", None)) and not self.is_headless:
            self._terminal_fd = fd
            self._terminal_size: tuple[int, int] | None = terminal_size(fd)
            self.set_interval(CHECK_SECONDS, lambda: self._leave_if_hung_up(fd))
            self._close_on_signals()
        if welcome := self._welcome:
            self.notify(welcome, title="Welcome to marker-tui", timeout=30)
        if first_run:
            from .screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(), self._first_run_done)

    def _close_on_signals(self) -> None:
        """SIGHUP (an SSH session closed) and SIGTERM (a shutdown, kill, the relay passing one on) close
        the app as quitting does: what the learner typed since the last autosave is written and the
        terminal is put back. Their default action ended the process at once and lost both."""
        loop = asyncio.get_running_loop()
        for signum, result in ((signal.SIGHUP, HANGUP), (signal.SIGTERM, STOPPED)):
            try:
                loop.add_signal_handler(signum, self.exit, result)
            except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no such signal
                pass

    def _leave_if_hung_up(self, fd: int) -> None:
        # The person has gone: close as on quit (the learner's answer is stashed and the writer
        # flushed by the screens' unmount), rather than spin on a dead terminal.
        if terminal_hung_up(fd):
            self.exit(HANGUP)
            return
        # A resize whose SIGWINCH did not reach us (see hangup.py): ask the driver to read the size again.
        size = terminal_size(fd)
        if size is not None and size != self._terminal_size:
            self._terminal_size = size
            if hasattr(signal, "SIGWINCH"):
                os.kill(os.getpid(), signal.SIGWINCH)

    def on_unmount(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGHUP, signal.SIGTERM):
            try:
                loop.remove_signal_handler(signum)
            except (ValueError, RuntimeError, NotImplementedError):
                pass
        if self._previous_excepthook is not None and threading.excepthook == self._thread_failed:
            threading.excepthook = self._previous_excepthook

    # -- the error boundary ---------------------------------------------------------------------
    # Textual's answer to an unexpected error is a crash report that prints every local
    # variable of every frame (an invigilator's pin_hash and pin_salt, the room's names),
    # and the app exits (a learner's terminal would fall back to whatever started it).
    # Here instead: the details go to the staff-only error log (storage/fault_log.py,
    # never variables), and the screen says something calm. A learner's terminal stays
    # up and locked (LearnerFaultScreen); a staff screen says where the log is and
    # closes on Enter. ``_exception`` is still set as Textual does, so a test's
    # ``run_test`` re-raises it: a bug never passes a test silently.

    @property
    def is_learner_terminal(self) -> bool:
        return self.learner_terminal or self.locked_down

    def _handle_exception(self, error: Exception) -> None:
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self.contain_fault(error.error if isinstance(error, WorkerFailed) else error)

    def contain_fault(self, error: BaseException) -> None:
        """Log ``error`` for staff and show the fault screen (once); never raises, never exits by itself."""
        try:
            self.faulted = True
            from marker_tui.storage.fault_log import record_fault

            where = f"{'learner terminal' if self.is_learner_terminal else 'staff screen'} " \
                    f"({type(self._current_screen_or_none()).__name__})"
            logged = record_fault(error, where=where, db_path=self._database_file())
            if logged is not None:
                self.fault_log = logged
            if self._fault_shown:
                return
            self._fault_shown = True
            from .screens.fault import LearnerFaultScreen, StaffFaultScreen

            screen = LearnerFaultScreen() if self.is_learner_terminal else StaffFaultScreen(self.fault_log)
            self.push_screen(screen)
        except Exception:  # the boundary itself must never become the crash
            if not self.is_learner_terminal:
                self.exit(return_code=1)

    def note_fault(self, error: BaseException, where: str) -> None:
        """Log an error a screen handled itself (a save that will be retried): the screen says less."""
        from marker_tui.storage.fault_log import record_fault

        logged = record_fault(error, where=where, db_path=self._database_file())
        if logged is not None:
            self.fault_log = logged

    def _current_screen_or_none(self) -> Screen | None:
        try:
            return self.screen
        except Exception:
            return None

    def _database_file(self) -> Path | None:
        db = getattr(self.centre, "db", None)
        return getattr(db, "path", None)

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        # Key bindings run in the app's own message loop; an error there would end the loop
        # (and the app). Contained here, the app carries on under the fault screen.
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:
            self._return_code = 1
            if self._exception is None:
                self._exception = error
                self._exception_event.set()
            self.contain_fault(error)
            return True

    def _thread_failed(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        error = args.exc_value
        fd = getattr(self, "_terminal_fd", None)
        if isinstance(error, OSError) and fd is not None and terminal_hung_up(fd):
            # Textual's writer or input thread on a terminal that has just closed: the person has
            # gone (not a fault to log); the hang-up check closes the app on its next tick.
            queue = getattr(args.thread, "_queue", None)
            if getattr(args.thread, "name", "") == "textual-output" and queue is not None:
                # The writer stays to take the screen's frames and drop them: with nobody taking
                # them the app blocks on the 31st frame (Textual queues 30), never reaching that
                # tick: a learner process hung for ever on a dead terminal, its last typing unsaved.
                while queue.get() is not None:
                    pass
            return
        try:
            self.call_from_thread(self._handle_exception, error)
        except Exception:  # the app has stopped: log only
            from marker_tui.storage.fault_log import record_fault

            record_fault(error, where="thread after the app stopped", db_path=self._database_file())

    def _first_run_done(self, member: StaffMember | None) -> None:
        # The admin just created is signed in: the next step is usually Administer.
        if member is not None:
            self.staff_member = member
            refresh = getattr(self.screen, "refresh_menu", None)
            if refresh is not None:
                refresh()

    def action_show_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- lockdown: while a learner sits a paper --------------------------------------------
    # The learner's screens call lock_down(); from then on no screen can be pushed
    # or switched to unless it declares ALLOWED_IN_LOCKDOWN = True (the learner's
    # own dialogs), the locked screen cannot be popped, and quitting (ctrl+q,
    # ctrl+c, the palette) calls ``release`` instead, which asks for an
    # invigilator's PIN. The command palette offers only the screen's own keys.

    @property
    def locked_down(self) -> bool:
        return self._lockdown is not None

    def lock_down(self, root: Screen, release: Callable[[], object]) -> None:
        self._lockdown = (root, release)
        session = getattr(root, "session", None)
        if session is not None:  # who is sitting here: a terminal started again logs them in again
            self.learner_login = (session.sitting_code, session.candidate_number)

    def lift_lockdown(self) -> None:
        self._lockdown = None

    def notify(self, message: str, *, title: str = "", severity="information", timeout=None, markup: bool = True) -> None:
        # Messages often quote stored names and reasons: no control character reaches the terminal.
        super().notify(visible(message), title=visible_line(title), severity=severity, timeout=timeout, markup=markup)

    def _allowed_now(self, screen: Screen | str) -> bool:
        if self._lockdown is None:
            return True
        return isinstance(screen, CommandPalette) or bool(getattr(screen, "ALLOWED_IN_LOCKDOWN", False))

    def _refuse(self) -> None:
        self.bell()
        self.notify("Not available during the assessment.", severity="warning")

    def push_screen(self, screen, callback=None, wait_for_dismiss=False, *, mode=None):
        if not self._allowed_now(screen):
            self._refuse()
            done = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return super().push_screen(screen, callback, wait_for_dismiss, mode=mode)

    def switch_screen(self, screen):
        if not self._allowed_now(screen):
            self._refuse()
            return AwaitComplete.nothing()
        return super().switch_screen(screen)

    def pop_screen(self):
        if self._lockdown is not None and self.screen is self._lockdown[0]:
            self._refuse()
            return AwaitComplete.nothing()
        return super().pop_screen()

    async def action_quit(self) -> None:
        if self._lockdown is not None:
            self._lockdown[1]()
            return
        await super().action_quit()

    def action_help_quit(self) -> None:
        if self._lockdown is not None:
            self._lockdown[1]()
            return
        super().action_help_quit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Every action bound on the current screen is also in the command palette
        # (and, while locked down, nothing else).
        # Each command once: its name, and as help only the key (the name again read as a second
        # entry). Widgets' hidden bindings (scrolling, focus moves) are not commands; a screen's
        # hidden ones are (commands kept off a crowded footer, such as the room's Export).
        seen: set[str] = set()
        titles: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            if not binding.show and (active.node is not screen or binding.action in _MOVES):
                continue
            if self._lockdown is not None and active.node is self:
                continue  # a locked learner's palette holds only their screen's own actions
            seen.add(binding.action)
            titles.add(binding.description.casefold())
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"key: {binding.key_display or self.get_key_display(binding)}",
                lambda action=binding.action, node=active.node: self.run_action(action, node),
            )
        if self._lockdown is None:
            for command in super().get_system_commands(screen):
                if command.title.casefold() not in titles:
                    yield command
