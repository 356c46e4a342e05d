"""The learner's terminal: log in, read the instructions, answer, review, submit.

Everything about time comes from :class:`LearnerService` (asked every second,
never counted here); every answer goes to the database through a
:class:`ScriptWriter` thread, so typing never waits for a save. While a learner
is logged in the app is *locked down* (see ``MarkerApp.lock_down``): no other
screen, no quitting without an invigilator's PIN.

Screens:

* :class:`LearnerLoginScreen` — sitting code, candidate number and the keycode
  from the admission slip, then :class:`ConfirmNameDialog` ("Is this you?",
  only once the keycode matched) before anything is written. A script live on
  another terminal waits here for the invigilator to approve the move.
* :class:`LearnerSittingScreen` — one screen for the whole sitting, in three
  phases: *waiting* (instructions, number of questions, marks, time allowed),
  *writing* (question list, question, answer editor, countdown), *finished*
  (time up / submitted / ended by the invigilator).
* Dialogs: :class:`ReviewDialog`, :class:`ConfirmSubmitDialog`,
  :class:`InstructionsDialog`, and the invigilator's :class:`ExitCodeDialog`
  (the sitting's exit code, never a staff PIN: see services/learner.py).
"""

from __future__ import annotations

import asyncio
import time as _time
from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.domain.local_time import HOUR_MINUTE, local_time
from marker_tui.domain.question_text import reflow
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.domain.autosave import CHECK_INTERVAL_SECONDS, FINAL_SECONDS, IDLE_SECONDS, AutosavePolicy
from marker_tui.domain.paper import Question
from marker_tui.interfaces.tui.widgets.answer_area import AnswerArea
from marker_tui.interfaces.tui.widgets.contrast import HIGH_CONTRAST, ensure_registered, toggle_high_contrast
from marker_tui.domain.timing import instructions_for
from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog
from marker_tui.interfaces.tui.widgets.countdown import Countdown, TimeWarnings, clock_text, duration_words
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea, TextInput
from marker_tui.interfaces.tui.widgets.script_writer import ScriptWriter, WriteOutcome
from marker_tui.interfaces.tui.widgets.time_reader import TimeReader
from marker_tui.services.audit import ServiceError
from marker_tui.domain.admission import LEASE_RENEW_SECONDS
from marker_tui.domain.sitting_states import ScriptState, SittingState
from marker_tui.services.learner import (
    AdmissionRefused,
    ExitRefused,
    LearnerSession,
    LearnerTime,
    NoSuchSitting,
    ScriptInUse,
    SittingError,
    SittingNotOpen,
)
from marker_tui.storage.database import StorageError
from marker_tui.interfaces.tui.screens.fault import LEARNER_MESSAGE
from marker_tui.interfaces.tui.widgets.footer import Footer

LEARNER_CSS = "../styles/learner.tcss"
CLOCK_DEFER_SECONDS = 0.3
SAVED = "✓ Saved"
"""The save label once everything typed is on disk (the 0.1 s check sleeps while it shows)."""
"""While the learner types, the clock's new second is painted with their next keystroke, or after this."""

_FINISHED_STATES = (ScriptState.SUBMITTED, ScriptState.TIME_UP, ScriptState.ENDED, ScriptState.ABSENT)


def _local_time(instant) -> str:
    return local_time(instant)


def _marks(n: int) -> str:
    return f"{n} mark{'s' if n != 1 else ''}"


def word_count(text: str) -> int:
    return len(text.split())


# --- logging in ------------------------------------------------------------------------------------


def learner_words(app, error: Exception, where: str) -> str:
    """What a learner may read about an error.

    A refusal (ServiceError) is written for them. A storage fault is not: its text names the
    database file and what went wrong there, which is for staff; the learner sees only the calm
    message and the details go to the staff-only error log.
    """
    if isinstance(error, StorageError) and not isinstance(error, ServiceError):
        app.note_fault(error, where)
        return LEARNER_MESSAGE
    return str(error)


class _LearnersQuestion(ConfirmDialog):
    """The kit's yes/no question (Y, N or Esc, or its yes/no buttons), shown on a learner's
    locked-down terminal in the learner's large style, with F2 for high contrast."""

    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)


class ConfirmNameDialog(_LearnersQuestion):
    BINDINGS = [
        Binding("f2", "toggle_contrast", "Contrast", show=False),
        Binding("y,Y", "answer(True)", "Yes, that's me"),
        Binding("n,N,escape", "answer(False)", "No"),
    ]

    def __init__(self, name: str, candidate_number: str, code: str) -> None:
        super().__init__("Is this you?", name)
        self.learner_name = name
        self.candidate_number = candidate_number
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-name"):
            yield Plain("Is this you?", classes="dialog-title")
            yield Plain(self.learner_name, id="confirm-name-text", classes="big-name")
            yield Plain(f"Candidate {self.candidate_number} · sitting {self.code}")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes, that's me (Y)", id="yes", variant="primary")
                yield Button("No (N)", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()


class ExitCodeDialog(ServiceCalls, ModalScreen[bool]):
    """The invigilator types the sitting's exit code to close a learner's terminal (Escape cancels).

    A code for the sitting, not a staff PIN: nothing typed here can find out which staff exist or
    whose PIN is right, nor lock a staff member out. Wrong codes lock this terminal's dialog for a
    while (the room view shows it); the service counts and records them.
    """

    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, purpose: str, code: str, *, candidate_number: str | None = None, state: str = "") -> None:
        super().__init__()
        self.purpose = purpose
        self.code = code
        self.candidate_number = candidate_number
        self.state = state
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-box", id="exit-dialog"):
            yield Plain(self.purpose + " (Escape: cancel)", classes="form-purpose")
            yield Label("Exit code (the invigilator has it)")
            yield TextInput(id="exit-code", password=True, restrict=r"[0-9]*", max_length=12)
            yield Plain("", id="exit-error", classes="form-error")
            yield Plain("Enter: close this terminal", classes="form-hint")

    def on_mount(self) -> None:
        self.query_one("#exit-code", TextInput).focus()

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        event.stop()
        box = self.query_one("#exit-code", TextInput)
        if not box.value:
            self.query_one("#exit-error", Static).update("Type the exit code.")
            return
        if self.checking:
            return
        self.checking = True
        self.query_one("#exit-error", Static).update("Checking…")
        # The check writes (a wrong code is counted), so it may wait for the lock: off the UI thread.
        self.run_service(self.app.centre.learners.release_terminal, self.code, box.value,
                         candidate_number=self.candidate_number, state=self.state,
                         done=lambda _: self.dismiss(True), failed=self._refused, group="exit-code")

    def _refused(self, error: Exception) -> None:
        self.checking = False
        box = self.query_one("#exit-code", TextInput)
        box.value = ""
        self.query_one("#exit-error", Static).update(
            learner_words(self.app, error, "learner terminal: checking the exit code"))
        if isinstance(error, ExitRefused) and error.locked_until is not None:
            box.disabled = True  # locked for a while: typing would only be refused again

    def action_cancel(self) -> None:
        self.dismiss(False)


class LearnerLoginScreen(ServiceCalls, Screen):
    """Sitting code, candidate number and keycode. ``locked``: the terminal is a learner's from the start.

    Given all three it checks them straight away and shows only "Checking…" until the name is
    confirmed; given the code and number (``marker-tui sit CODE --candidate N``) the form opens
    on the keycode. The form shows again, filled in, if something needs correcting.
    """

    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS
    BINDINGS = [
        Binding("f2", "toggle_contrast", "High contrast"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+q", "app.quit", "Quit", show=False),
    ]
    TAKEOVER_POLL_SECONDS = 2.0

    def __init__(self, code: str | None = None, candidate_number: str | None = None, keycode: str | None = None,
                 *, locked: bool = False, monotonic: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.initial_code = (code or "").strip()
        self.initial_candidate = (candidate_number or "").strip()
        self.initial_keycode = (keycode or "").strip()
        self.locked = locked
        self.monotonic = monotonic
        self.checking = bool(self.initial_code and self.initial_candidate and self.initial_keycode)
        self._problem: tuple[str, str | None] = ("", None)
        self.waiting_for_move: tuple[str, str, str] | None = None
        self._move_timer = None
        self.busy = False
        """A check or log-in is under way (in a thread worker): Enter or the retry timer waits for it."""

    def compose(self) -> ComposeResult:
        yield Plain("marker-tui · Sit an assessment", classes="title-bar")
        if self.checking:
            yield Plain(f"Checking sitting {self.initial_code.upper()} for candidate "
                        f"{self.initial_candidate.upper()}…", id="login-checking")
        else:
            with Center(classes="form-centre"):
                with Vertical(classes="form-box", id="login-form"):
                    yield Plain("Log in to your assessment", classes="form-purpose")
                    yield Label("Sitting code (the invigilator gives it to you)")
                    yield TextInput(self.initial_code, id="code", placeholder="e.g. 304-K7QM", max_length=20,
                                    enter_moves_to="#candidate")
                    yield Label("Your candidate number")
                    yield TextInput(self.initial_candidate, id="candidate", placeholder="e.g. 1001",
                                    max_length=20, enter_moves_to="#keycode")
                    yield Label("Keycode (on your admission slip)")
                    yield TextInput(self.initial_keycode, id="keycode", placeholder="e.g. KQ7M-T3XA",
                                    max_length=12)
                    yield Plain(self._problem[0], id="login-error", classes="form-error")
                    yield Plain("Enter: continue", classes="form-hint")
        yield Footer()

    def on_mount(self) -> None:
        ensure_registered(self.app)
        if self.locked:
            self.app.lock_down(self, self.request_release)
        if self.checking:
            self.attempt()
        else:
            self._focus_form()

    def _focus_form(self) -> None:
        boxes = {name: self.query_one(f"#{name}", TextInput) for name in ("code", "candidate", "keycode")}
        wanted = self._problem[1] or next((n for n, box in boxes.items() if not box.value), "keycode")
        boxes[wanted].focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return not self.locked and not self.app.locked_down and len(self.app.screen_stack) > 2
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)

    def show_error(self, message: str, focus: str | None = None) -> None:
        """Show a problem under the form (bringing the form up if only "Checking…" was shown)."""
        self._problem = (message, focus)
        if self.checking:
            self.initial_code, self.initial_candidate, self.initial_keycode = self._entered()
            self.checking = False
            self.call_later(self._show_form)
            return
        self.query_one("#login-error", Static).update(message)
        if focus:
            self.query_one(f"#{focus}", TextInput).focus()

    async def _show_form(self) -> None:
        await self.recompose()
        if self._problem[1] == "keycode":
            self.query_one("#keycode", TextInput).value = ""
        self._focus_form()

    def _entered(self) -> tuple[str, str, str]:
        if self.checking:
            return self.initial_code.upper(), self.initial_candidate.upper(), self.initial_keycode
        return (self.query_one("#code", TextInput).value.strip().upper(),
                self.query_one("#candidate", TextInput).value.strip().upper(),
                self.query_one("#keycode", TextInput).value.strip())

    def on_input_submitted(self, event: TextInput.Submitted) -> None:
        code, number, keycode = self._entered()
        if not code:
            self.show_error("Type the sitting code.", "code")
        elif not number:
            self.show_error("" if event.input.id == "code" else "Type your candidate number.", "candidate")
        elif not keycode:
            self.show_error("" if event.input.id != "keycode" else "Type the keycode from your admission slip.",
                            "keycode")
        else:
            self.attempt()

    def attempt(self) -> None:
        code, number, keycode = self._entered()
        if not code or not number or not keycode or self.busy:
            return
        if not self.checking:
            self.show_error("Checking…")
        self.busy = True
        # Only after the keycode matched does a name come back, and only this learner's own.
        self.run_service(self.app.centre.learners.identify, code, number, keycode,
                         done=lambda who: self._identified(code, number, keycode, who),
                         failed=lambda error: self._not_identified(code, error), group="login")

    def _not_identified(self, code: str, error: Exception) -> None:
        self.busy = False
        if isinstance(error, NoSuchSitting):
            self.show_error(f"There is no sitting with code {code}. Check the code, or ask the invigilator.", "code")
        elif isinstance(error, SittingNotOpen):
            self._wait_for_opening(error.code)
        elif isinstance(error, AdmissionRefused):
            if not self.checking:
                self.query_one("#keycode", TextInput).value = ""
            self.show_error(str(error), "keycode")
        elif isinstance(error, SittingError):
            self.show_error(str(error), "candidate")
        else:
            self.show_error(learner_words(self.app, error, "learner login: checking the keycode"))

    def _identified(self, code: str, number: str, keycode: str, who) -> None:
        self.busy = False

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.login(code, number, keycode)
            else:
                # Not them: that keycode is someone else's, and must not stay on the screen for the next person.
                self.initial_keycode = ""
                self.query_one("#keycode", TextInput).value = ""
                self.show_error("Check your candidate number, or ask the invigilator.", "candidate")

        self.app.push_screen(ConfirmNameDialog(who.candidate_name, who.candidate_number, who.sitting_code), confirmed)

    def login(self, code: str, number: str, keycode: str) -> None:
        if self.busy:
            return
        self.busy = True
        self.run_service(self.app.centre.learners.login, code, number, keycode, done=self._logged_in,
                         failed=lambda error: self._not_logged_in(code, number, keycode, error), group="login")

    def _not_logged_in(self, code: str, number: str, keycode: str, error: Exception) -> None:
        self.busy = False
        if isinstance(error, ScriptInUse):
            self._wait_for_move(code, number, keycode, str(error))
            return
        self._stop_waiting()
        self.show_error(learner_words(self.app, error, "learner login: logging in"), "candidate")

    def _logged_in(self, session: LearnerSession) -> None:
        self.busy = False
        self._stop_waiting()
        screen = LearnerSittingScreen(session, monotonic=self.monotonic)
        # Locked down before the switch: the sitting screen replaces this one in place.
        self.app.lock_down(self, screen.request_release)
        self.app.switch_screen(screen)

    def _wait_for_opening(self, code: str) -> None:
        """Not open yet: a waiting screen that comes back here, to log in, once the invigilator opens it."""
        if isinstance(self.app.screen, WaitingToOpenScreen):
            return

        def done(opened: bool | None) -> None:
            if opened:
                self.attempt()  # the keycode is checked now, then "Is this you?", as for an open sitting
            else:
                self.show_error(f"Sitting {code} is not open yet. Check the sitting code, or press Enter "
                                "to wait for the invigilator.", "code")

        self.app.push_screen(WaitingToOpenScreen(code), done)

    def _wait_for_move(self, code: str, number: str, keycode: str, message: str) -> None:
        """Another terminal holds the script: say so, and try again until the invigilator moves it here."""
        first = self.waiting_for_move is None
        self.waiting_for_move = (code, number, keycode)
        if first:
            self.show_error(message)
            self._move_timer = self.set_interval(self.TAKEOVER_POLL_SECONDS, self.retry_login)

    def retry_login(self) -> None:
        if self.waiting_for_move is not None:
            self.login(*self.waiting_for_move)

    def _stop_waiting(self) -> None:
        self.waiting_for_move = None
        if self._move_timer is not None:
            self._move_timer.stop()
            self._move_timer = None

    def request_release(self) -> None:
        if isinstance(self.app.screen, ExitCodeDialog):
            return
        code = self._entered()[0] if not self.checking else self.initial_code.upper()

        def released(done: bool | None) -> None:
            if done:
                self.app.lift_lockdown()
                self.app.exit()

        if not code:
            self.show_error("To close this terminal the invigilator types the sitting's exit code: "
                            "type the sitting code first.", "code")
            return
        self.app.push_screen(ExitCodeDialog("The sitting's exit code is needed to close this terminal", code),
                             released)


class WaitingToOpenScreen(ServiceCalls, Screen[bool]):
    """The sitting is not open yet: say so calmly, and move on by itself once the invigilator opens it.

    Every POLL_SECONDS a thread worker asks only the sitting's state, so a busy database never
    freezes this screen; it dismisses with True once the sitting is no longer scheduled. Escape
    goes back to the login form (a mistyped sitting code is the other reason to be here).
    """

    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS
    BINDINGS = [
        Binding("f2", "toggle_contrast", "High contrast"),
        Binding("escape", "back", "Back"),
    ]
    POLL_SECONDS = 2.0

    def __init__(self, code: str) -> None:
        super().__init__()
        self.code = code
        self._timer = None
        self._answered = False
        self._asking = False

    def compose(self) -> ComposeResult:
        yield Plain("marker-tui · Sit an assessment", classes="title-bar")
        with Center(classes="form-centre"):
            with Vertical(classes="form-box", id="waiting-to-open"):
                yield Plain(f"Sitting {self.code} is not open yet", classes="form-purpose")
                yield Plain("Please wait: the invigilator opens the sitting when the room is ready. "
                            "This screen moves on by itself; you do not need to press anything.",
                            id="waiting-text")
                yield Plain("", id="waiting-problem", classes="form-error")
                yield Plain("Escape: back, to check the sitting code", classes="form-hint")
        yield Footer()

    def on_mount(self) -> None:
        self._timer = self.set_interval(self.POLL_SECONDS, self.check_now)

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def check_now(self) -> None:
        """Ask (in a thread) whether the sitting is open yet; the timer calls this."""
        if not self._answered and not self._asking:
            self._asking = True
            # Removed, or the database out of reach for a moment: _problem (the login says what is wrong).
            self.run_service(self.app.centre.learners.sitting_state, self.code, done=self._state,
                             failed=self._problem, group="sitting-opened")

    def _state(self, state: SittingState) -> None:
        self._asking = False
        if state != SittingState.SCHEDULED:
            self._opened()

    def _problem(self, error: Exception) -> None:
        self._asking = False
        if isinstance(error, SittingError):
            self._opened()  # no such sitting any more: back to the form, which says so
            return
        self.query_one("#waiting-problem", Static).update(
            learner_words(self.app, error, "learner waiting for the sitting to open"))

    def _opened(self) -> None:
        if not self._answered and self.is_attached:
            self._answered = True
            self.dismiss(True)

    def action_back(self) -> None:
        if not self._answered:
            self._answered = True
            self.dismiss(False)

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)


# --- dialogs during the sitting -------------------------------------------------------------------


class InstructionsDialog(ModalScreen[None]):
    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS
    BINDINGS = [
        Binding("escape,enter,ctrl+o", "close", "Close"),
        Binding("f2", "toggle_contrast", "Contrast", show=False),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="instructions-dialog"):
            yield Plain("Instructions", classes="dialog-title")
            with VerticalScroll(id="instructions-scroll"):
                yield Plain(self.text, id="instructions-text")
            yield Plain("Escape or Enter: back to your answers", classes="form-hint")

    def action_close(self) -> None:
        self.dismiss(None)

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)


class ReviewDialog(ModalScreen[str | None]):
    """Unanswered and flagged questions; choose one to go to it, or go on to submit."""

    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS
    BINDINGS = [
        Binding("f2", "toggle_contrast", "Contrast", show=False),
        Binding("escape", "back", "Back to answers"),
        Binding("s,S", "submit", "Submit…"),  # the button says (S): shift+S works too
    ]

    def __init__(self, questions: list[Question], answered: set[str], flagged: set[str]) -> None:
        super().__init__()
        self.questions = questions
        self.answered = answered
        self.flagged = flagged

    def compose(self) -> ComposeResult:
        unanswered = [q.id for q in self.questions if q.id not in self.answered]
        flagged = [q.id for q in self.questions if q.id in self.flagged]
        total = len(self.questions)
        with Vertical(classes="dialog", id="review-dialog"):
            yield Plain("Review before submitting", classes="dialog-title")
            yield Plain(f"You have answered {total - len(unanswered)} of {total} questions.", id="review-summary")
            yield Plain("Not answered: " + (", ".join(unanswered) if unanswered else "none"),
                         id="review-unanswered", classes="review-warn" if unanswered else "")
            yield Plain("Flagged for review: " + (", ".join(flagged) if flagged else "none"),
                         id="review-flagged", classes="review-warn" if flagged else "")
            items = [q.id for q in self.questions if q.id not in self.answered or q.id in self.flagged]
            if items:
                yield Plain("Choose a question to go back to it:")
                yield OptionList(
                    *[Option(self._label(qid), id=qid) for qid in items], id="review-list")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Back (Esc)", id="back")
                yield Button("Submit… (S)", id="submit", variant="warning")

    def _label(self, qid: str) -> str:
        why = []
        if qid not in self.answered:
            why.append("not answered")
        if qid in self.flagged:
            why.append("flagged")
        return f"Question {qid}: {', '.join(why)}"

    def on_mount(self) -> None:
        if self.query("#review-list"):
            self.query_one("#review-list", OptionList).focus()
        else:
            self.query_one("#submit", Button).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(f"goto:{event.option.id}")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss("submit" if event.button.id == "submit" else None)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        self.dismiss("submit")

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)


class ConfirmSubmitDialog(_LearnersQuestion):
    BINDINGS = [
        Binding("f2", "toggle_contrast", "Contrast", show=False),
        Binding("y,Y", "answer(True)", "Yes, submit"),
        Binding("n,N,escape", "answer(False)", "No"),
    ]

    def __init__(self, unanswered: int) -> None:
        super().__init__("Submit your answers now?")
        self.unanswered = unanswered

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-submit"):
            yield Plain("Submit your answers now?", classes="dialog-title")
            if self.unanswered:
                yield Plain(f"{self.unanswered} question{'s are' if self.unanswered != 1 else ' is'} "
                             "not answered.", classes="review-warn")
            yield Plain("After submitting you cannot change any answer.")
            with Horizontal(classes="dialog-buttons"):
                yield Button("No, go back (N)", id="no")
                yield Button("Yes, submit (Y)", id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()


# --- the sitting ------------------------------------------------------------------------------------


class WriteDone(Message):
    """A :class:`ScriptWriter` outcome, posted from its thread."""

    def __init__(self, outcome: WriteOutcome) -> None:
        super().__init__()
        self.outcome = outcome


class TimeRead(Message):
    """The time left, read on the :class:`TimeReader`'s thread (``error`` if the read failed)."""

    def __init__(self, time: LearnerTime | None, error: Exception | None) -> None:
        super().__init__()
        self.time = time
        self.error = error


class LearnerSittingScreen(ServiceCalls, Screen):
    ALLOWED_IN_LOCKDOWN = True
    CSS_PATH = LEARNER_CSS
    AUTO_FOCUS = None
    BINDINGS = [
        Binding("ctrl+b", "previous", "Prev", priority=True),
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+g", "go_to", "Go to", priority=True),
        Binding("ctrl+f", "flag", "Flag", priority=True),
        Binding("ctrl+r", "review", "Submit…", priority=True),
        Binding("ctrl+o", "instructions", "Instructions", priority=True),
        # The question scrolls from the answer box (a small terminal shows only part of it).
        Binding("ctrl+up", "scroll_question(-1)", "Question up", show=False, priority=True),
        Binding("ctrl+down", "scroll_question(1)", "Question down", show=False, priority=True),
        # One key for high contrast, before and during the paper: a second key for the same theme
        # ("f3 High contrast" beside "f2 Contrast") read as two different things.
        Binding("f2", "toggle_contrast", "Contrast", priority=True),
        # Offered before the paper starts to a learner whose arrangements include it (check_action).
        Binding("f4", "choose_larger_text", "Larger text", priority=True),
        # Only for a learner with the rest-break arrangement (check_action); the invigilator confirms.
        Binding("f6", "rest_break", "Break", priority=True),
        Binding("ctrl+q", "app.quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, session: LearnerSession, *, monotonic: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.session = session
        self.script_id = session.script_id
        self.paper = session.paper
        self.questions = list(session.paper.questions)
        self.monotonic = monotonic or _time.monotonic
        self.answers: dict[str, str] = {q.id: session.answers.get(q.id, "") for q in self.questions}
        self.saved: dict[str, str] = dict(self.answers)  # what the database holds, as far as we know
        self.flags: set[str] = set(session.flags)
        ids = [q.id for q in self.questions]
        self.current: str = session.current_question if session.current_question in ids else ids[0]
        self.cursors: dict[str, tuple[int, int]] = {}
        self.policy = AutosavePolicy()
        self.warnings = TimeWarnings()
        self.phase = ""
        self.paused = False
        self.left_seconds: int | None = None
        self.finished_reason: str | None = None
        self.submitting = False
        self.save_problem: str | None = None
        self._writer_centre = None
        self.editor: PlainTextArea | None = None
        self.writer = ScriptWriter(self._writer_service, self.script_id,
                                   lambda outcome: self.post_message(WriteDone(outcome)), monotonic=self.monotonic)
        self.time_reader = TimeReader(self._read_time, lambda time, error: self.post_message(TimeRead(time, error)),
                                      name=f"time-reader-{self.script_id}")
        self.time_reads = 0  # answers from the time reader handled (tests wait for the next one)
        self._clock_timers: list = []
        self._closing = False
        self._time_up_recorded = False
        self._typed = False
        self._last_key_at = float("-inf")
        # The autosave check runs when it next has something to do (see _arm_check); True when whoever
        # holds the timers drives the checks by hand (tests), so the screen never arms one then.
        self._checks_held = False
        self._check_timer = None
        self._check_at = float("inf")
        self._label = ""  # what the save label says now
        self._finished_base: str | None = None  # the finished screen's words (see _finished_text)
        self._clock_shown: tuple[int, bool, int | None] | None = None
        self._clock_timer = None
        self._loads_pending = 0
        self._last_problem: str | None = None
        self._shown_words: int | None = None
        self.allowed_seconds: int = session.time.allowed_seconds
        self._late_instructions: str | None = None
        self.on_break = False
        self.break_asked = False

    # -- layout --------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = self.session
        with Horizontal(id="learner-bar"):
            yield Plain(f"{s.candidate_name} · {s.candidate_number} · Unit {self.paper.unit}", id="learner-who")
            yield Plain("", id="saved-state")
            yield Countdown("", id="countdown")
        # The three phases are the screen's own children and only the current one is shown (_show_phase):
        # no container around them, since Textual draws and cuts up every container's lines on each frame.
        with VerticalScroll(id="waiting"):
            yield Plain(self._paper_title(), classes="waiting-title")
            yield Plain("", id="paper-facts")
            yield Plain("Instructions", classes="section-title")
            yield Plain(self._instructions(), id="waiting-instructions")
            if s.offer_high_contrast or s.offer_larger_text:
                yield Plain("Your access arrangements", classes="section-title")
                yield Plain(self._offer_text(), id="arrangement-offer")
            yield Plain("Wait for the invigilator to start the assessment. The questions will appear "
                         "here by themselves.", id="waiting-note")
        with Horizontal(id="paper"):
            with Vertical(id="question-nav"):
                yield OptionList(*[Option(self._question_label(q), id=q.id) for q in self.questions],
                                 id="question-list")
                yield Plain("[n] marks\n✓ answered\n⚑ flagged", id="question-legend")
            with Vertical(id="question-pane"):
                yield Plain("PAUSED by the invigilator: your time has stopped, and the paper is hidden until "
                             "the assessment resumes. Your answers are saved. Please wait; it carries on by "
                             "itself.", id="pause-notice")
                yield Plain("", id="question-heading")
                with VerticalScroll(id="question-scroll"):
                    yield Plain("", id="question-text")
                yield AnswerArea("", id="answer", on_change=self.text_changed, on_limit=self.answer_limit_reached)
                with Horizontal(id="answer-status"):
                    yield Plain("", id="word-count")
                    yield Plain("", id="answer-hint")
        with VerticalScroll(id="rest-break"):
            yield Plain("REST BREAK", id="rest-break-title")
            yield Plain("", id="rest-break-text")
        with VerticalScroll(id="finished"):
            yield Plain("", id="finished-title")
            yield Plain("", id="finished-text")
        yield Footer(compact=True, show_command_palette=False)

    def _offer_text(self) -> str:
        """The choice the learner's arrangements give them before the paper starts, and what is chosen."""
        s, lines = self.session, []
        if s.offer_high_contrast:
            chosen = self.app.theme == HIGH_CONTRAST
            lines.append(f"{'[x]' if chosen else '[ ]'} F2  High contrast: white text on black, yellow highlights")
        if s.offer_larger_text:
            lines.append(f"{'[x]' if self.has_class('larger-text') else '[ ]'} F4  Larger text: bold, with more space "
                         "around the questions and your answer")
        lines.append("Choose now, before the paper starts (the same key again switches it back). The "
                     "invigilator can also make the whole terminal bigger.")
        return "\n".join(lines)

    def _refresh_offer(self) -> None:
        for offer in self.query("#arrangement-offer"):
            offer.update(self._offer_text())

    def action_choose_larger_text(self) -> None:
        self.toggle_class("larger-text")
        self._refresh_offer()

    def _show_phase(self, phase: str) -> None:
        for name in ("waiting", "paper", "finished"):
            self.query_one(f"#{name}").display = name == phase

    def _instructions(self) -> str:
        """The instructions with this learner's own time where the paper states its standard time."""
        base = self.paper.time_allowance_minutes * 60 if self.paper.time_allowance_minutes else None
        return visible(instructions_for(reflow(self.paper.instructions), base, self.allowed_seconds, duration_words))

    def _paper_title(self) -> str:
        title = self.paper.title or ""
        return visible_line(f"Unit {self.paper.unit}{': ' + title if title else ''} "
                            f"(qualification {self.paper.qualification})")

    def _question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    def _question_label(self, q: Question) -> Text:
        answered = bool(self.answers.get(q.id, "").strip())
        label = Text(f"{q.id:<4}", style="bold")
        label.append(f"[{q.marks}] ".rjust(5))
        label.append("✓" if answered else "·")
        label.append(" ⚑" if q.id in self.flags else "  ")
        return label

    # -- life ------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        ensure_registered(self.app)
        self.app.lock_down(self, self.request_release)
        self.editor = self.query_one("#answer", PlainTextArea)
        self.editor.border_title = "Your answer"
        self.query_one("#pause-notice").display = False
        self.query_one("#rest-break").display = False
        # The hint that more of the question is hidden follows the pane's content: asked only after a
        # refresh, it could come before the new question's layout and find nothing hidden.
        self.watch(self.query_one("#question-scroll"), "virtual_size",
                   lambda _size: self.call_after_refresh(self._question_hint), init=False)
        self.apply_time(self.session.time)
        if self.session.resumed and self.phase == "writing":
            self.notify("Welcome back: your saved answers are here.", timeout=6)
        elif self.phase == "writing":
            # Logged in after the start (a late arrival): the instructions were never on this screen.
            # They are shown above the first question rather than in a dialog, so the answer box keeps
            # the keyboard: a dialog closing while the learner starts typing would swallow keys.
            self._late_instructions = (
                f"The assessment has started: you have {duration_words(self.session.time.left_seconds)} left.\n\n"
                + self._instructions())
            self.show_question()
        self._clock_timers = [
            self.set_interval(1, self.tick),
            # The lease says this terminal is alive; it lapses if the terminal dies (see domain/admission.py).
            # A save renews it too: no heartbeat is written while the learner's saves are doing it.
            self.set_interval(LEASE_RENEW_SECONDS, self._renew_lease),
        ]

    def on_unmount(self) -> None:
        self._closing = True
        for timer in self._clock_timers:
            timer.stop()
        if self._check_timer is not None:
            self._check_timer.cancel()
        self.time_reader.close()
        self.close_writer()

    def _renew_lease(self) -> None:
        self.writer.heartbeat(unless_renewed_within=LEASE_RENEW_SECONDS - 1)

    def close_writer(self, timeout: float = 10.0) -> bool:
        if self.phase == "writing" and not self.submitting:
            self.stash_answer()
        done = self.writer.close(timeout)
        if self._writer_centre is not None:
            try:
                self._writer_centre.close()
            except Exception:
                pass
            self._writer_centre = None
        return done

    def _writer_service(self):
        """The writer thread's own connection, so a save waiting for the database never holds up the screen."""
        centre = self.app.centre
        try:
            own = type(centre).open(centre.path, clock=centre.clock, create=False, terminal=centre.terminal)
        except Exception:
            return centre.learners
        self._writer_centre = own
        return own.learners

    # -- the clock -------------------------------------------------------------------------------------
    def tick(self) -> bool:
        """Every second: have the time left read (off the UI thread); :meth:`on_time_read` shows it.
        False if there is no clock to read any more (finished, closing)."""
        if self.phase == "finished" or self._closing:
            return False
        self.time_reader.ask()
        return True

    def _read_time(self) -> LearnerTime:
        # On the reader's thread. Only a read (a snapshot never waits for writers): the sweep that
        # records a time up is a write, which may wait for the lock (submit_when_time_is_up).
        return self.app.centre.learners.time_left(self.script_id, sweep=False)

    def on_time_read(self, message: TimeRead) -> None:
        """The time left has been read: show it (it also submits the script at zero)."""
        self.time_reads += 1
        if self.phase == "finished" or self._closing:
            return
        if message.error is not None:  # keep the learner's screen alive; the next tick tries again
            if self.save_problem != "✗ No connection":
                self.app.note_fault(message.error, "learner terminal: asking the time left (retried every second)")
            # The error itself is for staff (the error log): it can name files and internals.
            self._problem("✗ No connection", "This terminal cannot reach the assessment just now. Trying "
                          "again every second; your saved answers are safe. Tell the invigilator if this stays.")
            return
        time = message.time
        if self.save_problem == "✗ No connection":
            self.save_problem = None
            self._update_saved_state()
        if time.state is ScriptState.TIME_UP and time.submitted_reason == "time up":
            self.submit_when_time_is_up()
        self.apply_time(time)

    def submit_when_time_is_up(self) -> None:
        """Have the time-up submission recorded now, on a thread with its own connection (once)."""
        if self._time_up_recorded:
            return
        self._time_up_recorded = True
        centre, script_id = self.app.centre, self.script_id

        def record() -> None:
            own = type(centre).open(centre.path, clock=centre.clock, create=False, terminal=centre.terminal)
            try:
                own.learners.time_left(script_id)  # sweeps: the script is submitted at the instant time ran out
            finally:
                own.close()

        def failed(error: Exception) -> None:  # the writer's next change, or any reader, sweeps it instead
            self._time_up_recorded = False

        self.run_service(record, done=lambda _: None, failed=failed, group="time-up")

    def _problem(self, label: str, detail: str) -> None:
        """A short label in the top bar, and the details once as a notification."""
        self.save_problem = label
        if detail != self._last_problem:
            self._last_problem = detail
            self.notify(detail, title="Not saved", severity="error", timeout=10, markup=False)
        self._update_saved_state()

    def apply_time(self, time: LearnerTime) -> None:
        if time.moved_to is not None:
            self.moved(time.moved_to)
            return
        if time.allowed_seconds != self.allowed_seconds:  # extra time given: the instructions follow
            self.allowed_seconds = time.allowed_seconds
            self.query_one("#waiting-instructions", Static).update(self._instructions())
        if time.state in _FINISHED_STATES or time.submitted_at is not None:
            self.finish(time.state, time.submitted_at, time.submitted_reason)
            return
        countdown = self.query_one(Countdown)
        if time.state is ScriptState.READING:
            self._enter_waiting(time)
            countdown.show_time(time.left_seconds, started=False)
            return
        if self.phase != "writing":
            self._enter_writing()
        self.left_seconds = time.left_seconds
        announce = self.warnings.check(time.left_seconds)
        if announce is not None:
            self._warn(announce, time.left_seconds)
        self._show_clock(time.left_seconds, paused=time.paused, level=self.warnings.level(time.left_seconds))
        # A break's start and end stop and restart the clock too: the break says so in its own words.
        self._set_paused(time.paused, announce=time.rest_break_since is None and not self.on_break)
        self._show_rest_break(time)

    # -- rest breaks ------------------------------------------------------------------------------------
    def _show_rest_break(self, time: LearnerTime) -> None:
        """On a break the paper and the answers are hidden (and the editor locked by the pause)."""
        since = time.rest_break_since
        on_break = since is not None and self.phase == "writing"
        asked_now = time.rest_break_asked and not self.break_asked
        declined = self.break_asked and not time.rest_break_asked and since is None
        self.break_asked = time.rest_break_asked
        if asked_now:
            self.notify("You asked for a rest break: the invigilator will come to you.", title="Rest break",
                        timeout=8)
        if declined and self.phase == "writing":
            # Said, and F6 offered again: nothing on screen told the learner, and the key had gone.
            self.notify("The invigilator has not started a rest break for now. Raise your hand if you still "
                        "need one, or press F6 to ask again.", title="Rest break", timeout=10)
            self.refresh_bindings()
        if on_break == self.on_break:
            if on_break:
                self._rest_break_text(since)
            return
        self.on_break = on_break
        self.query_one("#paper").display = not on_break
        self.query_one("#rest-break").display = on_break
        if on_break:
            self._rest_break_text(since)
            self.query_one("#rest-break").focus()
            self.notify("Your rest break has started: your time has stopped.", title="Rest break", timeout=8)
        else:
            if time.paused:  # the whole room is paused: the clock stays stopped until it resumes
                self.notify("Your rest break is over. The assessment is paused, so your time stays stopped "
                            "until the invigilator resumes it.", title="Rest break", timeout=8)
            else:
                self.notify("Your rest break is over: your time is running again.", title="Rest break", timeout=6)
            self.query_one("#answer", PlainTextArea).focus()
        self.refresh_bindings()

    def _rest_break_text(self, since: datetime) -> None:
        minutes = max(0, int((self.app.centre.clock.now() - since).total_seconds() // 60))
        self.query_one("#rest-break-text", Static).update(
            f"On a supervised rest break since {local_time(since, HOUR_MINUTE)} ({minutes} min).\n\n"
            "Your time has stopped: every minute of the break is given back. Your answers are saved and "
            "hidden until the break ends. The invigilator ends the break; the paper then comes back here.")

    def action_rest_break(self) -> None:
        """Ask for a rest break (the invigilator confirms it in the room view)."""
        self.run_service(self.app.centre.rest_breaks.ask, self.script_id, done=self._asked_rest_break,
                         failed=self._rest_break_refused, group="rest-break")

    def _rest_break_refused(self, error: Exception) -> None:
        if isinstance(error, ServiceError):
            self.notify(str(error), title="Rest break", severity="warning", timeout=8, markup=False)
            return
        # The learner sees why in words; staff get the details.
        self.app.note_fault(error, "learner terminal: asking for a rest break")
        self.notify("Your request did not reach the invigilator: raise your hand.", title="Rest break",
                    severity="error", timeout=8)

    def _asked_rest_break(self, _asked=None) -> None:
        if not self.break_asked:
            self.break_asked = True
            self.notify("You asked for a rest break: the invigilator will come to you.", title="Rest break",
                        timeout=8)
        self.refresh_bindings()

    def _show_clock(self, left: int, *, paused: bool, level: int | None) -> None:
        """Show the time left; while the learner is typing, in the next keystroke's frame.

        A repaint of its own between two keystrokes would hold up the second one (frames are
        rate-limited); the clock is then at most CLOCK_DEFER_SECONDS late, never more.
        """
        self._clock_shown = (left, paused, level)
        typing = self.monotonic() - self._last_key_at < CLOCK_DEFER_SECONDS
        if typing and not paused and level is None:
            if self._clock_timer is None:
                self._clock_timer = self.set_timer(CLOCK_DEFER_SECONDS, self._paint_clock)
            return
        self._paint_clock()

    def _paint_clock(self) -> None:
        if self._clock_timer is not None:
            self._clock_timer.stop()
            self._clock_timer = None
        if self._clock_shown is None or self.phase != "writing" or self._closing:
            return
        left, paused, level = self._clock_shown
        self._clock_shown = None
        self.query_one(Countdown).show_time(left, paused=paused, level=level)

    def _warn(self, minutes: int, left: int) -> None:
        unit = "minute" if minutes == 1 else "minutes"
        if left >= minutes * 60 - 5:
            message = f"{minutes} {unit} left."
        else:
            message = f"Less than {minutes} {unit} left ({clock_text(left)})."
        self.notify(message + " Your answers are submitted automatically when time runs out.",
                    title="Time", severity="error" if minutes == 1 else "warning", timeout=10)

    def _enter_waiting(self, time: LearnerTime) -> None:
        if self.phase == "waiting":
            return
        self.phase = "waiting"
        self._show_phase("waiting")
        n = len(self.questions)
        allowed = time.allowed_seconds
        base = self.paper.time_allowance_minutes * 60 if self.paper.time_allowance_minutes else allowed
        facts = [f"{n} question{'s' if n != 1 else ''} · {_marks(self.paper.total_marks)} in total",
                 f"Your time: {duration_words(allowed)}"]
        if allowed > base:
            facts[-1] += f" (includes {duration_words(allowed - base)} extra time)"
        self.query_one("#paper-facts", Static).update("\n".join(facts))
        self.query_one("#waiting").focus()
        self.refresh_bindings()
        self._update_saved_state()

    def _enter_writing(self) -> None:
        self.phase = "writing"
        self._show_phase("paper")
        self.show_question()
        self.refresh_bindings()

    def _set_paused(self, paused: bool, *, announce: bool = True) -> None:
        if paused == self.paused:
            return
        self.paused = paused
        editor = self.query_one("#answer", PlainTextArea)
        editor.read_only = paused or self.submitting
        self.query_one("#pause-notice").display = paused
        self.set_class(paused, "-paused")
        # The paper is out of sight while the clock is stopped, as on a rest break: reading and thinking
        # with the time stopped would be time no one else had. The notice stays.
        for part in ("#question-nav", "#question-heading", "#question-scroll", "#answer", "#answer-status"):
            self.query_one(part).display = not paused
        self.refresh_bindings()
        if not paused and self.phase == "writing" and not self.on_break:
            editor.focus()  # the answer box was out of sight, and so without the keyboard
        if paused:
            self.stash_answer()  # what was typed before the pause is kept (the service accepts it)
            if announce:
                self.notify("The invigilator has paused the assessment. Your time has stopped.",
                            title="Paused", severity="warning", timeout=8)
        elif announce:
            self.notify("The assessment has resumed. Your time is running again.", title="Resumed", timeout=6)
        self.refresh_bindings()

    def moved(self, holder: str | None, message: str | None = None) -> None:
        """The invigilator moved this script to another terminal: this one stops, and says what was not saved."""
        if self.phase == "finished":
            return
        self.sync_typed()
        unsaved = self._unsaved()
        self.phase = "finished"
        for timer in self._clock_timers:
            timer.stop()
        self.query_one("#answer", PlainTextArea).read_only = True
        title = "Your script is now open on another terminal."
        text = message or (f"The invigilator moved it to terminal {holder}. Everything saved before the move "
                           "is kept there: carry on from that terminal.")
        if unsaved:
            text += ("\n\nTyped here but NOT saved: question " + ", ".join(unsaved) +
                     ". Tell the invigilator now, before leaving this desk.")
        else:
            text += "\n\nEverything typed on this terminal was saved."
        self.finished_reason = title
        self.query_one("#finished-title", Static).update(title)
        self.query_one("#finished-text", Static).update(Text(text))
        self._show_phase("finished")
        self.query_one("#countdown", Countdown).show_time(0, finished=True)
        self.query_one("#pause-notice").display = False
        self.query_one("#finished").focus()
        while self.app.screen is not self and isinstance(self.app.screen, (ReviewDialog, ConfirmSubmitDialog,
                                                                           InstructionsDialog)):
            self.app.pop_screen()
        self.refresh_bindings()
        self._update_saved_state()

    def _unsaved(self) -> list[str]:
        """The questions whose text on this terminal differs from what the database holds."""
        return [q.id for q in self.questions if self.answers.get(q.id, "") != self.saved.get(q.id, "")]

    def _finished_text(self) -> Text:
        """The finished screen's words, with any question typed here but not saved named (the end reached
        the database before the last save did: the learner must tell the invigilator, not find out later)."""
        text, unsaved = self._finished_base or "", self._unsaved()
        if unsaved:
            text += ("\n\nTyped here but NOT saved (the end came before the save): question " + ", ".join(unsaved)
                     + ". Tell the invigilator now.")
        return Text(text)

    def finish(self, state: ScriptState, submitted_at, reason: str | None) -> None:
        if self.phase == "finished":
            return
        self.sync_typed()
        if state is ScriptState.ENDED and not self.submitting:
            # Tried even so: refused, it is recorded for appeals (its length and digest, never the text).
            self.stash_answer()
        self.phase = "finished"
        for timer in self._clock_timers:
            timer.stop()
        editor = self.query_one("#answer", PlainTextArea)
        editor.read_only = True
        answered = sum(1 for q in self.questions if self.saved.get(q.id, "").strip())
        at = _local_time(submitted_at)
        if state is ScriptState.TIME_UP:
            title = "Time is up. Your answers were submitted."
            text = f"Your saved answers were submitted automatically at {at}."
        elif state is ScriptState.SUBMITTED:
            title = "Your answers have been submitted."
            text = f"Submitted at {at}."
        # Ended or closed by the invigilator: said calmly, never why (their reason is a staff record,
        # and the service does not send it here; nor is ``reason`` shown, whatever it holds).
        elif state is ScriptState.ABSENT:
            title = "The invigilator has closed this assessment for you."
            text = "Nothing needs doing on this terminal."
        else:
            title = "The invigilator has ended your assessment. Your answers were submitted."
            text = f"Ended at {at}. Your saved answers are kept."
        if state is not ScriptState.ABSENT:
            text += f"\n\nYou answered {answered} of {len(self.questions)} questions."
        text += "\n\nYou cannot change your answers any more. Please stay seated and wait for the invigilator."
        self.finished_reason = title
        self._finished_base = text if state is not ScriptState.ABSENT else None
        self.query_one("#finished-title", Static).update(title)
        self.query_one("#finished-text", Static).update(self._finished_text() if self._finished_base else Text(text))
        self._show_phase("finished")
        self.query_one("#countdown", Countdown).show_time(0, finished=True)
        self.query_one("#pause-notice").display = False
        self.set_class(False, "-paused")
        self.query_one("#finished").focus()
        # Dialogs opened during the sitting (review, instructions) no longer apply.
        while self.app.screen is not self and isinstance(self.app.screen, (ReviewDialog, ConfirmSubmitDialog,
                                                                           InstructionsDialog)):
            self.app.pop_screen()
        self.refresh_bindings()
        self._update_saved_state()

    # -- the question on screen -------------------------------------------------------------------------
    def show_question(self) -> None:
        q = self._question(self.current)
        index = self.questions.index(q) + 1
        heading = Text(f"Question {q.id}", style="bold")
        heading.append(f"  ({index} of {len(self.questions)})  ·  {_marks(q.marks)}  ·  ")
        heading.append(q.command_verb.capitalize(), style="bold underline")
        heading.append("  ⚑ flagged" if q.id in self.flags else "")
        self.query_one("#question-heading", Static).update(heading)
        body = Text()
        if self._late_instructions is not None:
            body.append("Instructions (ctrl+o shows them again)\n", style="bold")
            body.append(self._late_instructions + "\n\n")
            body.append("─" * 20 + "\n\n")
        if q.context:
            body.append(visible(reflow(q.context)) + "\n\n", style="italic")
        body.append(visible(reflow(q.text)))
        self.query_one("#question-text", Static).update(body)
        self.query_one("#question-scroll", VerticalScroll).scroll_home(animate=False)
        editor = self.query_one("#answer", PlainTextArea)
        if isinstance(editor, AnswerArea):
            editor.max_length = self.paper.answer_limit(q.id)
        self._limit_note = None
        self._loads_pending += 1
        editor.load_text(self.answers.get(q.id, ""))
        location = self.cursors.get(q.id)
        if location is None:
            last = editor.document.line_count - 1
            location = (last, len(editor.document.get_line(last)))
        editor.move_cursor(location)
        editor.read_only = self.paused or self.submitting or self.phase != "writing"
        nav = self.query_one("#question-list", OptionList)
        nav.highlighted = self.questions.index(q)
        self._update_word_count(self.answers.get(q.id, ""))
        self._update_limit(self.answers.get(q.id, ""))
        editor.focus()
        self.call_after_refresh(self._question_hint)

    def _refresh_list_item(self, qid: str) -> None:
        self.query_one("#question-list", OptionList).replace_option_prompt(qid, self._question_label(self._question(qid)))

    def _update_word_count(self, text: str) -> None:
        n = word_count(text)
        if n == self._shown_words:
            return  # unchanged: no repaint
        self._shown_words = n
        # Fixed width (see learner.tcss): no layout pass.
        self.query_one("#word-count", Static).update(f"{n} word{'s' if n != 1 else ''}", layout=False)

    _limit_note: str | None = None
    _limit_shown: str | None = None

    def answer_limit_reached(self, note: str) -> None:
        """AnswerArea refused typing or cut a paste at the question's limit: say so beside the counter."""
        self._limit_note = note
        self._update_limit(self.editor.text if self.editor is not None else "")

    def _update_limit(self, text: str) -> None:
        """Near the limit (the last 10%), how many characters are left; with the note, if any."""
        limit = self.paper.answer_limit(self.current)
        left = limit - len(text)
        shown = ""
        if left <= limit // 10:
            shown = f"{left:,} of {limit:,} characters left"
            if self._limit_note:
                shown += f" · {self._limit_note}"
        if shown != self._limit_shown:
            self._limit_shown = shown
            self._paint_hint()

    _question_note: str = ""

    def _paint_hint(self) -> None:
        """The hint line holds both notes: characters left near the limit, and more question to see."""
        parts = [p for p in (self._limit_shown, self._question_note) if p]
        self.query_one("#answer-hint", Static).update(" · ".join(parts), layout=False)

    def text_changed(self) -> None:
        """Every keystroke, called while the key is handled (see AnswerArea): what it changes on
        screen (word count, answered mark) is painted in the keystroke's own frame."""
        if self._loads_pending:
            self._loads_pending -= 1  # a question was loaded, not typed into
            return
        if self.phase != "writing":
            return
        self._typed = True
        self._last_key_at = self.monotonic()
        self.policy.edited(self._last_key_at)
        self.sync_typed()
        self._update_saved_state()
        if self._clock_shown is not None:
            self._paint_clock()  # a second went by: paint it in this keystroke's frame

    def sync_typed(self) -> None:
        """Bring the answer, the word count and the list's answered mark up to date with the editor."""
        if not self._typed or self.editor is None:
            return
        self._typed = False
        text = self.editor.text
        old = self.answers.get(self.current, "")
        self.answers[self.current] = text
        if self._closing:
            return
        self._update_word_count(text)
        if self._limit_note and len(text) < self.paper.answer_limit(self.current):
            self._limit_note = None  # room again: the note has done its work
        self._update_limit(text)
        if bool(old.strip()) != bool(text.strip()):
            self._refresh_list_item(self.current)

    # -- saving ---------------------------------------------------------------------------------------
    def stash_answer(self) -> None:
        """Hand the current answer to the writer if it differs from what the database holds."""
        if self.phase != "writing":
            return
        qid = self.current
        self.sync_typed()
        text = self.editor.text
        self.answers[qid] = text
        if self.policy.dirty or text != self.saved.get(qid, "") or self.writer.waiting_text(qid) is not None:
            self.writer.save_answer(qid, text)
        self.policy.taken()
        self._update_saved_state()

    def autosave_check(self) -> None:
        """A save if one is due; "✓ Saved" once the learner has paused (run when _arm_check says)."""
        if self.phase != "writing" or self._closing:
            return
        self.sync_typed()
        if not self.policy.dirty:
            self._update_saved_state()
            return
        if self._final_seconds() or self.policy.is_due(self.monotonic()):
            self.stash_answer()

    def _final_seconds(self) -> bool:
        return self.left_seconds is not None and self.left_seconds <= FINAL_SECONDS

    def _arm_check(self) -> None:
        """Have the check run when it next has something to do: a save falling due, the label turning to
        "✓ Saved". Never while all is saved and the label says so. A timer every 0.1 s instead woke
        the process ten times a second while the learner typed: ~0.25% of a core each, in every
        learner's process. Keystrokes move the due moment later, never earlier, so a check armed
        stays armed; when it comes early it finds nothing due and arms the next."""
        if self._checks_held or self._closing or self.phase != "writing":
            return
        now = self.monotonic()
        due = self.policy.due_at()
        if due is not None:
            at = now + CHECK_INTERVAL_SECONDS if self._final_seconds() else due  # the final seconds: every check
        elif self._label != SAVED:
            # The label turns to "✓ Saved" once the learner has paused and the writer is done.
            at = max(self._last_key_at + IDLE_SECONDS, now + CHECK_INTERVAL_SECONDS)
        else:
            return  # asleep: the label's next change arms it
        if self._check_timer is not None:
            if self._check_at <= at:
                return
            self._check_timer.cancel()
        self._check_at = at
        # The event loop's own call_later, not a Textual timer: a Textual one-shot timer whose moment has
        # passed by the time its task first looks (a short delay, a thread holding the interpreter) is
        # skipped without firing, and with a delay of 0 its task dies dividing by zero. Either left the
        # check armed for good, and no answer was saved until the terminal closed.
        self._check_timer = asyncio.get_running_loop().call_later(max(at - now, 0.0), self._check_fires)

    def _check_fires(self) -> None:
        if self.is_attached and not self._closing:
            self.call_next(self._check_due)  # in the screen's own turn, inside its error boundary
        else:
            self._check_timer = None

    def _check_due(self) -> None:
        self._check_timer, self._check_at = None, float("inf")
        self.autosave_check()
        self._arm_check()

    def on_write_done(self, message: WriteDone) -> None:
        outcome = message.outcome
        if self.phase == "finished" and self._finished_base is not None and outcome.kind == "answer":
            if outcome.ok:
                self.saved[outcome.question_id] = outcome.text
            # A save still on its way when the paper ended: the screen says whether it made it.
            self.query_one("#finished-text", Static).update(self._finished_text())
            return
        if outcome.ok:
            if outcome.kind == "answer":
                self.saved[outcome.question_id] = outcome.text
                self.save_problem, self._last_problem = None, None
                replaced = getattr(outcome.result, "replaced_invalid_characters", 0)
                if replaced:
                    self.notify(f"{replaced} character(s) that cannot be stored were replaced by �.",
                                severity="warning")
            elif outcome.kind == "submit":
                receipt = outcome.result
                self.finish(receipt.state, receipt.submitted_at, receipt.reason)
                return
        elif outcome.refused and getattr(outcome.error, "reason", "").startswith("moved"):
            self.moved(None, str(outcome.error))
            return
        elif outcome.kind == "heartbeat":
            return  # a lease not renewed this time: the next heartbeat tries again
        elif outcome.refused or not outcome.retrying:
            if outcome.kind == "submit":
                self.submitting = False
                self.query_one("#answer", PlainTextArea).read_only = self.paused
            self._problem("✗ NOT SAVED", learner_words(self.app, outcome.error, "learner terminal: saving"))
            self.tick()  # time up or submitted elsewhere: the finished screen takes over
            return
        else:
            if self.save_problem != "✗ NOT SAVED":
                self.app.note_fault(outcome.error, "learner terminal: saving an answer (retried)")
            self._problem("✗ NOT SAVED", "Your answer is not saved yet. Trying again; keep writing, and tell "
                          "the invigilator if this stays.")
            return
        self._update_saved_state()

    def _update_saved_state(self) -> str | None:
        """"✓ Saved" once everything typed is on disk and the learner has paused; "● Saving…" until then.

        While the learner types without stopping the label stays "● Saving…" (saves still happen
        every 1.5 s): changing it at every save would cost a repaint between two keystrokes. The
        0.1 s check turns it to "✓ Saved" once they pause.
        """
        if self._closing:
            return
        if self.phase == "finished":
            text, style = "", ""
        elif self.submitting:
            text, style = "Submitting…", "bold"
        elif self.save_problem:
            text, style = self.save_problem, "bold"
        elif self.phase != "writing":
            text, style = "", ""
        elif (self.policy.dirty or self.monotonic() - self._last_key_at < IDLE_SECONDS
              or not self.writer.idle or any(self.answers[q] != self.saved.get(q, "") for q in self.answers)):
            text, style = "● Saving…", ""
        else:
            text, style = SAVED, "bold"
        self._label = text
        if text != SAVED:
            self._arm_check()  # the check saves when due, then turns the label to "✓ Saved"
        widget = self.query_one("#saved-state", Static)
        key = (text, style)
        if getattr(widget, "_last_state", None) != key:
            widget._last_state = key
            widget.update(Text(text, style=style), layout=False)  # fixed width: no layout pass
            widget.set_class(bool(self.save_problem), "-problem")
        return text

    # -- actions --------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rest_break":
            if not self.session.rest_breaks:
                return False  # not offered at all: the learner asks the invigilator in person
            return self.phase == "writing" and not self.submitting and not (self.on_break or self.break_asked)
        if action in ("previous", "next", "go_to", "flag", "review"):
            return self.phase == "writing" and not self.submitting and not self.on_break and not self.paused
        if action == "instructions":
            return self.phase == "writing"
        if action == "choose_larger_text":
            return self.session.offer_larger_text and self.phase == "waiting"
        return True

    def go_to(self, qid: str) -> None:
        if self.phase != "writing":
            return
        if qid == self.current:
            self.query_one("#answer", PlainTextArea).focus()
            return
        editor = self.query_one("#answer", PlainTextArea)
        self.cursors[self.current] = editor.cursor_location
        self.stash_answer()
        self.current = qid
        self._late_instructions = None  # read once, above the first question; ctrl+o has them
        self.show_question()
        self.writer.set_current(qid)

    def action_next(self) -> None:
        i = [q.id for q in self.questions].index(self.current)
        if i + 1 < len(self.questions):
            self.go_to(self.questions[i + 1].id)
        else:
            self.notify("This is the last question. Press ctrl+r to review and submit.", timeout=4)

    def action_previous(self) -> None:
        i = [q.id for q in self.questions].index(self.current)
        if i > 0:
            self.go_to(self.questions[i - 1].id)
        else:
            self.notify("This is the first question.", timeout=3)

    def action_go_to(self) -> None:
        self.query_one("#question-list", OptionList).focus()
        self.notify("Choose a question with the arrow keys and press Enter (Escape: back to your answer).",
                    timeout=4)

    @on(OptionList.OptionSelected, "#question-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.go_to(event.option.id)
        self.query_one("#answer", PlainTextArea).focus()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.focused is self.query_one("#question-list", OptionList):
            event.stop()
            self.query_one("#answer", PlainTextArea).focus()

    def action_flag(self) -> None:
        qid = self.current
        flagged = qid not in self.flags
        (self.flags.add if flagged else self.flags.discard)(qid)
        self.writer.set_flag(qid, flagged)
        self._refresh_list_item(qid)
        self.show_heading_only()
        self.notify(f"Question {qid} {'flagged for review' if flagged else 'flag removed'}.", timeout=3,
                    markup=False)

    def show_heading_only(self) -> None:
        q = self._question(self.current)
        index = self.questions.index(q) + 1
        heading = Text(f"Question {q.id}", style="bold")
        heading.append(f"  ({index} of {len(self.questions)})  ·  {_marks(q.marks)}  ·  ")
        heading.append(q.command_verb.capitalize(), style="bold underline")
        heading.append("  ⚑ flagged" if q.id in self.flags else "")
        self.query_one("#question-heading", Static).update(heading)

    def action_scroll_question(self, direction: int) -> None:
        box = self.query_one("#question-scroll", VerticalScroll)
        box.scroll_relative(y=direction * max(box.size.height - 1, 1), animate=False)
        self.call_after_refresh(self._question_hint)

    def _question_hint(self) -> None:
        """Say so when the question does not fit its pane, and which keys show the rest."""
        if not self.is_attached or self.phase != "writing":
            return
        box = self.query_one("#question-scroll", VerticalScroll)
        hidden_below = box.max_scroll_y > 0 and box.scroll_y < box.max_scroll_y
        hidden_above = box.scroll_y > 0
        text = ""
        if hidden_below or hidden_above:
            text = ("More of the question " + ("below" if hidden_below else "above")
                    + ": ctrl+↓ / ctrl+↑ scroll it")
        if text != self._question_note:
            self._question_note = text
            self._paint_hint()

    def on_resize(self) -> None:
        self.call_after_refresh(self._question_hint)

    def action_instructions(self) -> None:
        self.app.push_screen(InstructionsDialog(self._instructions()))

    def action_toggle_contrast(self) -> None:
        toggle_high_contrast(self.app)
        self._refresh_offer()  # the pre-start offer ticks or unticks it

    def action_review(self) -> None:
        self.stash_answer()
        answered = {q.id for q in self.questions if self.answers.get(q.id, "").strip()}

        def reviewed(choice: str | None) -> None:
            if choice is None or self.phase != "writing":
                return
            if choice.startswith("goto:"):
                self.go_to(choice[5:])
                return
            unanswered = len(self.questions) - len(answered)

            def confirmed(yes: bool | None) -> None:
                if yes and self.phase == "writing":
                    self.submit_now()

            self.app.push_screen(ConfirmSubmitDialog(unanswered), confirmed)

        self.app.push_screen(ReviewDialog(self.questions, answered, set(self.flags)), reviewed)

    def submit_now(self) -> None:
        """Save what is on screen, then submit (the writer does both, in that order)."""
        self.stash_answer()
        self.submitting = True
        self.query_one("#answer", PlainTextArea).read_only = True
        self.writer.submit()
        self.refresh_bindings()
        self._update_saved_state()

    # -- leaving (the sitting's exit code) ----------------------------------------------------------------
    def request_release(self) -> None:
        if isinstance(self.app.screen, ExitCodeDialog):
            return
        self.stash_answer()
        self.app.push_screen(
            ExitCodeDialog("Closing this terminal needs the sitting's exit code. Your answers are saved",
                           self.session.sitting_code, candidate_number=self.session.candidate_number,
                           state=self.phase),
            self._released,
        )

    def _released(self, done: bool | None) -> None:
        if not done:
            return
        self.close_writer()
        self.app.lift_lockdown()
        self.app.exit()
