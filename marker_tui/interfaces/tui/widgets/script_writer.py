"""Writing a learner's changes to the database without ever blocking their typing.

One :class:`ScriptWriter` per script owns one background thread. The screen
hands it the latest text of an answer (or a flag, the current question, the
final submit) and carries on; the thread writes them one at a time, in order,
through :class:`~marker_tui.services.learner.LearnerService`, and reports each
outcome through ``notify`` (the screen posts it to itself as a message, so no
widget is touched from the thread).

* Newest text wins: a question waiting to be written holds only its latest
  text, and only one write runs at a time, so an older save can never land
  after a newer one.
* A receipt comes back only once the save has committed (the service
  guarantees that), so "saved" on screen means "on disk".
* A refused save (time up, submitted) is reported, not retried. A storage
  problem (database busy, disk error) is reported and retried after
  ``retry_delay`` seconds, unless newer text has arrived meanwhile.
* ``submit()`` runs after every answer waiting before it has been written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from marker_tui.services.learner import SaveRefused
from marker_tui.storage.database import EngineError, StorageError


class LearnerWrites(Protocol):
    def save_answer(self, script_id: int, question_id: str, text: str) -> Any: ...
    def set_flag(self, script_id: int, question_id: str, flagged: bool = True) -> None: ...
    def set_current_question(self, script_id: int, question_id: str) -> None: ...
    def submit(self, script_id: int) -> Any: ...
    def heartbeat(self, script_id: int) -> None: ...


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one write. ``error`` is None when it committed."""

    kind: str  # "answer", "flag", "current", "submit", "heartbeat"
    question_id: str | None
    text: str | None = None
    flagged: bool | None = None
    result: Any = None
    error: Exception | None = None
    retrying: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def refused(self) -> bool:
        return isinstance(self.error, SaveRefused)


_TRANSIENT = (StorageError, EngineError, OSError)


def _renewed_lease(outcome: WriteOutcome) -> bool:
    """A committed heartbeat, or a save that wrote (an unchanged answer writes nothing, so renews nothing)."""
    if not outcome.ok:
        return False
    return outcome.kind == "heartbeat" or (outcome.kind == "answer" and not getattr(outcome.result, "unchanged", False))


class ScriptWriter:
    def __init__(
        self,
        service: Callable[[], LearnerWrites],
        script_id: int,
        notify: Callable[[WriteOutcome], None],
        *,
        retry_delay: float = 1.0,
        on_close: Callable[[], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._service_factory = service
        self._service: LearnerWrites | None = None
        self.script_id = script_id
        self._notify = notify
        self._retry_delay = retry_delay
        self._on_close = on_close
        self._cond = threading.Condition()
        self._answers: dict[str, str] = {}
        self._flags: dict[str, bool] = {}
        self._current: str | None = None
        self._submit = False
        self._beat = False
        self._monotonic = monotonic
        self._renewed_at = float("-inf")  # monotonic() of the last write that renewed the lease
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- the screen's side (main thread) -----------------------------------------------------
    def save_answer(self, question_id: str, text: str) -> None:
        with self._cond:
            self._answers.pop(question_id, None)  # re-queue at the back: oldest waiting goes first
            self._answers[question_id] = text
            self._wake()

    def set_flag(self, question_id: str, flagged: bool) -> None:
        with self._cond:
            self._flags[question_id] = flagged
            self._wake()

    def set_current(self, question_id: str) -> None:
        with self._cond:
            self._current = question_id
            self._wake()

    def submit(self) -> None:
        with self._cond:
            self._submit = True
            self._wake()

    def heartbeat(self, unless_renewed_within: float | None = None) -> None:
        """Renew the terminal's lease on the script (after any waiting writes).

        ``unless_renewed_within``: not if a save or heartbeat committed that many seconds ago or less
        (a save renews the lease too), so a learner who is typing costs the database no extra writes.
        """
        with self._cond:
            if unless_renewed_within is not None and self._monotonic() - self._renewed_at < unless_renewed_within:
                return
            self._beat = True
            self._wake()

    def waiting_text(self, question_id: str) -> str | None:
        """The text queued for a question and not yet being written (None if none)."""
        with self._cond:
            return self._answers.get(question_id)

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being written."""
        with self._cond:
            return not self._busy and not self._has_work()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until everything handed over has been written (or failed). True if idle."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy and not self._has_work(), timeout)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Write what is waiting (up to ``timeout``), then stop the thread."""
        idle = self.wait_idle(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=1.0)
        return idle

    # -- the thread -----------------------------------------------------------------------------
    def _has_work(self) -> bool:
        return bool(self._answers or self._flags or self._current is not None or self._submit or self._beat)

    def _wake(self) -> None:
        if self._closed:
            return  # the app is closing; close() already wrote what it could
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"script-writer-{self.script_id}",
                                            daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def _take(self) -> tuple[str, str | None, Any]:
        if self._answers:
            question_id = next(iter(self._answers))
            return "answer", question_id, self._answers.pop(question_id)
        if self._flags:
            question_id = next(iter(self._flags))
            return "flag", question_id, self._flags.pop(question_id)
        if self._current is not None:
            question_id, self._current = self._current, None
            return "current", question_id, None
        if self._submit:
            self._submit = False
            return "submit", None, None
        self._beat = False
        return "heartbeat", None, None

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._closed or self._has_work())
                    if not self._has_work():
                        return
                    kind, question_id, value = self._take()
                    self._busy = True
                outcome = self._perform(kind, question_id, value)
                if outcome.retrying:
                    with self._cond:
                        self._requeue(kind, question_id, value)
                try:  # told before "idle": whoever waits for idle finds the outcome already posted
                    self._notify(outcome)
                except Exception:  # the screen is gone: nothing to tell
                    pass
                with self._cond:
                    if _renewed_lease(outcome):
                        self._renewed_at = self._monotonic()
                    self._busy = False
                    self._cond.notify_all()
                if outcome.retrying:
                    with self._cond:
                        self._cond.wait_for(lambda: self._closed, self._retry_delay)
                        if self._closed:
                            return
        finally:
            if self._on_close is not None:
                self._on_close()

    def _requeue(self, kind: str, question_id: str | None, value: Any) -> None:
        # Newer text handed over meanwhile wins over the failed older one.
        if kind == "answer" and question_id not in self._answers:
            self._answers = {question_id: value, **self._answers}
        elif kind == "flag" and question_id not in self._flags:
            self._flags[question_id] = value
        elif kind == "current" and self._current is None:
            self._current = question_id
        elif kind == "submit":
            self._submit = True
        elif kind == "heartbeat":
            self._beat = True

    def _perform(self, kind: str, question_id: str | None, value: Any) -> WriteOutcome:
        try:
            if self._service is None:
                self._service = self._service_factory()
            service = self._service
            if kind == "answer":
                receipt = service.save_answer(self.script_id, question_id, value)
                return WriteOutcome(kind, question_id, text=value, result=receipt)
            if kind == "flag":
                service.set_flag(self.script_id, question_id, value)
                return WriteOutcome(kind, question_id, flagged=value)
            if kind == "current":
                service.set_current_question(self.script_id, question_id)
                return WriteOutcome(kind, question_id)
            if kind == "heartbeat":
                service.heartbeat(self.script_id)
                return WriteOutcome(kind, None)
            return WriteOutcome(kind, None, result=service.submit(self.script_id))
        except _TRANSIENT as error:
            return WriteOutcome(kind, question_id, text=value if kind == "answer" else None,
                                flagged=value if kind == "flag" else None, error=error,
                                retrying=not self._closed)
        except Exception as error:  # refused (SaveRefused) or another service error: not retried
            return WriteOutcome(kind, question_id, text=value if kind == "answer" else None,
                                flagged=value if kind == "flag" else None, error=error)
