"""Reading a learner's time left off the UI thread, once a second, without a new thread each time.

The learner's clock asks the database every second (an invigilator's pause, extra time or end must
reach the screen). A read never waits for writers (WAL), but it is still disk work: on a failing or
stalled disk it would freeze the screen, keys and all. So one long-lived thread per learner does
the reads, one at a time; the screen asks and carries on, and the answer comes back as a message.

A thread worker per read would do the same at about 0.4 ms of CPU each; in a room of a hundred
learners on one host that is worth saving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class TimeReader(Generic[T]):
    def __init__(self, read: Callable[[], T], deliver: Callable[[T | None, Exception | None], None],
                 *, name: str = "time-reader") -> None:
        self._read = read
        self._deliver = deliver  # called on the thread: it must only post a message
        self._name = name
        self._cond = threading.Condition()
        self._asked = False
        self._reading = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def ask(self) -> None:
        """Read once more as soon as the thread is free (asks made during one read count as one)."""
        with self._cond:
            if self._closed:
                return
            self._asked = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def close(self) -> None:
        """Stop after the read under way (never waited for: a stalled disk must not hold up closing)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._asked)
                if self._closed:
                    return
                self._asked, self._reading = False, True
            try:
                value, error = self._read(), None
            except Exception as failure:  # the screen says so and asks again next second
                value, error = None, failure
            with self._cond:
                self._reading = False
                if self._closed:
                    return
            try:
                self._deliver(value, error)
            except Exception:  # the screen is gone: nothing to tell
                pass
