"""Notice that the terminal has gone (an SSH connection dropped, a tmux pane killed), or was resized.

A terminal that closes without a SIGHUP reaching us (the process was not the
terminal's session leader, or the signal was lost) leaves Textual's input thread
reading end-of-file in a tight loop: 100% of a core for every dead learner, on a
host shared by a whole room. Polling for the hang-up is cheap and consumes no input.

A learner's terminal run by the learner server is not in its terminal's session, so the
kernel's SIGWINCH reaches only the relay, which passes it on through the server; with the
server stopped nothing would: the same poll reads the terminal's size and notices a resize.
"""

from __future__ import annotations

import os
import select

#: How often an app asks whether its terminal is still there.
CHECK_SECONDS = 1.0

HANGUP = "terminal closed"  # the app's result when it left because its terminal went
STOPPED = "stopped by a signal"  # ... because it was asked to stop (SIGTERM: a shutdown, kill, the relay)


def is_terminal(fd: int | None) -> bool:
    """Whether ``fd`` is a terminal now (asked once, at start: a hung-up terminal no longer says so)."""
    try:
        return fd is not None and os.isatty(fd)
    except (OSError, ValueError):
        return False


def terminal_hung_up(fd: int) -> bool:
    """Whether the terminal on ``fd`` (known to be one, see :func:`is_terminal`) has hung up."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLHUP | select.POLLERR)
        return any(mask & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, mask in poller.poll(0))
    except (OSError, ValueError):
        return True  # the descriptor itself is gone


def terminal_size(fd: int) -> tuple[int, int] | None:
    """The terminal's (columns, lines) now, or None if it cannot say (gone)."""
    try:
        return tuple(os.get_terminal_size(fd))
    except (OSError, ValueError):
        return None
