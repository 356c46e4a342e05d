"""The process a learner's SSH session waits on while the learner server runs its terminal.

``entry.py`` hands the learner's terminal to the learner server; once the server has forked
the terminal's process it replaces itself with this file, run by a bare interpreter
(``python -I -S relay.py FD PID -- ARGS``: no site-packages, nothing but what this file
imports), because it stays for the whole sitting: one per learner, so every megabyte counts a
room's size times. It passes on window resizes and a closed connection (SIGHUP) to the server,
and exits with the terminal's exit status. ARGS are only there so ``ps`` shows whose it is.

Standard library only, and only modules a bare interpreter has loaded anyway.
"""

from __future__ import annotations

import os
import _signal as signal  # not `signal`: that loads enum, a megabyte a learner
import sys
import time

_RELAYED = {signal.SIGWINCH: b"winch\n", signal.SIGHUP: b"hup\n", signal.SIGTERM: b"term\n"}


def relay(fd: int, child: int) -> int:
    """Pass signals on over the server's connection ``fd`` until it says how terminal ``child`` ended."""

    def pass_on(signum, frame) -> None:
        try:
            os.write(fd, _RELAYED[signum])
        except OSError:
            pass

    for signum in _RELAYED:
        signal.signal(signum, pass_on)
    # The learner's keys are the terminal's: Ctrl+C, Ctrl+\, Ctrl+Z before its screen is up stop nothing.
    for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
        signal.signal(signum, signal.SIG_IGN)
    replies = b""
    while True:
        while b"\n" in replies:
            line, replies = replies.split(b"\n", 1)
            words = line.split()
            if len(words) == 2 and words[0] == b"exit" and words[1].isdigit():
                return int(words[1])
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        replies += data
    # The server went away; the terminal lives on (it is its own process, which notices resizes and a
    # closed terminal by itself): wait for it to end.
    while True:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return 0
        except PermissionError:
            pass
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(relay(int(sys.argv[1]), int(sys.argv[2])))
