"""Waiting for a Pilot-driven app the way a loaded CI machine needs (2 cores, three test workers).

One ``pilot.pause()`` returns at the first moment the process looks idle, and on a loaded machine
that can be before a thread worker's answer (a save, a read, a login) has reached the screen, or
before the next worker that answer starts. These wait for what the test needs, against a deadline
budgeted for that machine: never a fixed sleep, and a plain failure message when it is not there.
"""

from __future__ import annotations

import asyncio
import time

from textual.worker import WorkerState

DEADLINE = 30.0
"""Seconds: a quiet machine takes well under one; 5 s was not always enough under load."""


async def until(pilot, condition, what: str = "the screen", seconds: float = DEADLINE) -> None:
    """Let the app work until ``condition()`` holds (an exception from it counts as not yet)."""
    deadline = time.monotonic() + seconds
    while True:
        await pilot.pause()
        try:
            if condition():
                await pilot.pause()
                return
        except Exception:  # noqa: BLE001 - a widget not mounted yet, a dialog not open yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not there after {seconds:.0f} s (screen {pilot.app.screen!r})")
        await asyncio.sleep(0.01)


def working(app) -> bool:
    return any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in app.workers)


async def workers_done(pilot, seconds: float = DEADLINE) -> None:
    """Until no thread worker runs or waits to run: one finishing may start the next (a save, then
    the list read again), so a single ``workers.wait_for_complete()`` can return too early."""
    for _ in range(2):  # again after the pauses: a dialog's dismissal starts its follow-up read a moment later
        await until(pilot, lambda: not working(pilot.app), "the screen's service calls", seconds)


async def time_read(pilot, screen, seconds: float = DEADLINE) -> None:
    """The learner's clock reads the time left (``screen.tick()``, as its one-second timer does) and the
    answer, read on the screen's time-reader thread, has been shown."""
    before = screen.time_reads
    if screen.tick():
        await until(pilot, lambda: screen.time_reads > before, "the time left, read and shown", seconds)
