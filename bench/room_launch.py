"""``marker-tui`` exactly as its console script runs it, plus a timer around one call (room benchmark).

    python bench/room_launch.py TIMINGS_FILE learner|learner-server|invigilator -- [marker-tui arguments...]

* ``learner``: every ``LearnerService.save_answer`` (the autosave writer thread's save,
  returning once committed) appends a line to TIMINGS_FILE: when it
  ended (epoch seconds) and how long it took (seconds).
* ``learner-server``: the same, in ``marker-tui learner-server`` before it loads anything, so
  every learner it forks times its saves into the one file (appends of one short line each).
* ``invigilator``: every room-view refresh (from the one-second tick asking for the room,
  through the read off the UI thread, to the table filled) appends the same.

Only the timed call is wrapped; everything else is the real command, so the process's
memory and CPU are a real learner's or invigilator's.
"""

from __future__ import annotations

import os
import sys
import time


def _appender(path: str):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def append(seconds: float) -> None:
        os.write(fd, f"{time.time():.3f} {seconds:.6f}\n".encode())
    return append


def _time_saves(append) -> None:
    from marker_tui.services import sitting

    original = sitting.LearnerService.save_answer

    def save_answer(self, *args, **kwargs):
        start = time.perf_counter()
        receipt = original(self, *args, **kwargs)
        append(time.perf_counter() - start)
        return receipt

    sitting.LearnerService.save_answer = save_answer


def _time_room_refresh(append) -> None:
    from marker_tui.interfaces.tui.screens.invigilator import InvigilatorRoomScreen

    ask, show = InvigilatorRoomScreen.refresh_status, InvigilatorRoomScreen._show_status

    def refresh_status(self):
        if not getattr(self, "_reading", False):
            self._bench_asked = time.perf_counter()
        return ask(self)

    def _show_status(self, status):
        result = show(self, status)
        asked = getattr(self, "_bench_asked", None)
        if asked is not None:
            append(time.perf_counter() - asked)
            self._bench_asked = None
        return result

    InvigilatorRoomScreen.refresh_status = refresh_status
    InvigilatorRoomScreen._show_status = _show_status


def main() -> None:
    timings, kind, separator, *arguments = sys.argv[1:]
    assert separator == "--", "usage: room_launch.py TIMINGS learner|invigilator -- ARGS..."
    append = _appender(timings)
    {"learner": _time_saves, "learner-server": _time_saves, "invigilator": _time_room_refresh}[kind](append)
    sys.argv = ["marker-tui", *arguments]
    from marker_tui.interfaces.cli.entry import main as marker_tui  # the console script's own entry

    marker_tui()


if __name__ == "__main__":
    main()
