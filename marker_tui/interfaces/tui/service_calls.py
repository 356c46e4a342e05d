"""One way for a screen to call a service: on a thread worker, never on the UI thread.

A service call may wait for SQLite's write lock (another terminal saving, an expiry sweep) for up
to a minute; on the UI thread that would freeze the screen. ``run_service`` runs the call in a
Textual thread worker and hands its result (or its error) back on the UI thread, where widgets may
be touched. A screen that has gone meanwhile gets nothing.

A refusal (ServiceError) or a storage problem (StorageError) goes to the screen's ``failed``
handler (by default a notice). Anything else is a fault: it goes to the app's error boundary
(the fault screen and the staff-only log), exactly as if it had been raised on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.worker import Worker

from marker_tui.domain.visible_text import visible_line
from marker_tui.services.audit import ServiceError
from marker_tui.storage.database import StorageError

T = TypeVar("T")

REFUSALS: tuple[type[Exception], ...] = (ServiceError, StorageError)
"""What a screen answers in words; any other error is a fault for the error boundary."""


class ServiceCalls:
    """Mixin for Screens (and widgets): ``self.run_service(call, *args, done=..., **kwargs)``."""

    def run_service(self, call: Callable[..., T], *args: Any, done: Callable[[T], None],
                    failed: Callable[[Exception], None] | None = None, group: str = "service",
                    expected: tuple[type[Exception], ...] = REFUSALS, **kwargs: Any) -> Worker:
        app = self.app  # type: ignore[attr-defined]

        def back(handler: Callable[..., None], value: Any) -> None:
            if getattr(self, "is_attached", True):  # the screen may have closed while the call ran
                handler(value)

        def work() -> None:
            try:
                result = call(*args, **kwargs)
            except expected as error:  # one error path: the screen's status line or a notice
                app.call_from_thread(back, failed or self.service_failed, error)
            except Exception as error:  # a fault, not a refusal: the app's error boundary takes it
                app.call_from_thread(app._handle_exception, error)
            else:
                app.call_from_thread(back, done, result)

        return self.run_worker(work, thread=True, group=group, exit_on_error=False)  # type: ignore[attr-defined]

    def service_failed(self, error: Exception) -> None:
        """The default for a call that failed: say so briefly (the fault log has the details)."""
        self.notify(visible_line(str(error)) or "That did not work; try again.",  # type: ignore[attr-defined]
                    severity="error", timeout=8, markup=False)
