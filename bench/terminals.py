"""Real processes in pseudo-terminals, for the room benchmark (``bench_room.py``).

Not a benchmark itself (no ``bench_`` prefix, so ``run.py`` does not run it). What it gives:

* :class:`Terminal`: one command in its own pty (80x24, ``TERM=xterm-256color``), read
  without blocking; its output is kept as *visible text* (escape sequences removed), so
  a driver can wait for words on screen, as a person would.
* :func:`pss_kb` / :func:`cpu_seconds`: proportional memory (shared library pages
  counted once across the processes that share them) and CPU time, from ``/proc``.
* :class:`Loop`: one ``selectors`` loop that reads every terminal as output arrives and
  runs timed actions (keys to type), so N terminals are driven from one process.

Every process is started in its own session and :meth:`Terminal.close` ends its whole
process group (SIGHUP, as a closed SSH session would, then SIGKILL), so nothing outlives a run.
"""

from __future__ import annotations

import codecs
import fcntl
import heapq
import itertools
import os
import pty
import re
import selectors
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Callable

SIZE = (80, 24)
_ESCAPE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][0-9A-Za-z]|[@-Z\\-_=>])")
_CURSOR_AT_END = re.compile(rb"\x1b\[(\d+);(\d+)H$")
"""Textual ends every screen update by putting the terminal's cursor where the focused widget's is."""
_KEEP = 4000
"""Visible characters kept per terminal: enough for one screen's worth of waiting for words."""


def visible(raw: bytes) -> tuple[bytes, bytes]:
    """The text of ``raw`` without escape sequences, and an unfinished sequence at its end to keep for later."""
    tail = b""
    last = raw.rfind(b"\x1b")
    if last != -1 and last > len(raw) - 64 and not _ESCAPE.match(raw, last):
        raw, tail = raw[:last], raw[last:]
    return _ESCAPE.sub(b"", raw), tail


class Terminal:
    """One command in its own pseudo-terminal."""

    def __init__(self, argv: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
                 size: tuple[int, int] = SIZE, name: str = "") -> None:
        self.name = name or argv[0]
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        environment = dict(os.environ if env is None else env)
        environment.setdefault("TERM", "xterm-256color")
        environment.pop("COLUMNS", None)
        environment.pop("LINES", None)
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=environment, cwd=cwd,
                                        start_new_session=True, close_fds=True)
        os.close(slave)
        os.set_blocking(master, False)
        self.fd = master
        self.pid = self.process.pid
        self.text = ""
        self.cursor: tuple[int, int] | None = None
        """Where the last complete screen update left the cursor (row, column), if one has arrived."""
        self.frames = 0
        self.alive = True
        self._tail = b""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def fileno(self) -> int:
        return self.fd

    def read(self) -> str | None:
        """What arrived since the last read, as visible text ("" if nothing); None once the terminal closed."""
        chunks = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:  # EIO: the process closed its side
                data = b""
            if not data:
                self.alive = False
                break
            chunks.append(data)
        if not chunks:
            return None if not self.alive else ""
        raw = b"".join(chunks)
        at_end = _CURSOR_AT_END.search(raw)
        if at_end:
            self.cursor = (int(at_end[1]), int(at_end[2]))
            self.frames += 1
        text, self._tail = visible(self._tail + raw)
        new = self._decoder.decode(text)
        self.text = (self.text + new)[-_KEEP:]
        return new

    def write(self, data: str | bytes) -> None:
        if self.alive:
            try:
                os.write(self.fd, data.encode() if isinstance(data, str) else data)
            except OSError:
                self.alive = False

    def close(self, grace: float = 2.0) -> None:
        """End the process and everything it started: SIGHUP (a closed terminal), then SIGKILL."""
        for sig, wait in ((signal.SIGHUP, grace), (signal.SIGKILL, 5.0)):
            if sig == signal.SIGHUP and grace <= 0:
                continue
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.pid, signal.SIGKILL)  # anything the process left behind in its group
        except (ProcessLookupError, PermissionError):
            pass
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.alive = False


def close_all(terminals: list[Terminal], grace: float = 2.0) -> None:
    """:meth:`Terminal.close` for many at once: one SIGHUP to each, one shared wait, then SIGKILL.

    (Closing one after another waits up to ``grace`` per terminal: a minute for a room of 60.)
    """
    living = [t for t in terminals if t.process.poll() is None]
    for terminal in living:
        try:
            os.killpg(terminal.pid, signal.SIGHUP)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(t.process.poll() is None for t in living):
        time.sleep(0.05)
    for terminal in terminals:
        terminal.close(grace=0.0)


def pss_kb(pid: int) -> int:
    """Proportional set size of one process (kB): its own pages plus its share of pages it shares."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0


class Loop:
    """Reads every terminal as its output arrives and runs timed actions, until told to stop."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._readers: dict[int, tuple[Terminal, Callable[[Terminal, str, float], None]]] = {}

    def watch(self, terminal: Terminal, on_output: Callable[[Terminal, str, float], None]) -> None:
        """``on_output(terminal, new_text, when)`` for every read (when = perf_counter at the read)."""
        self._readers[terminal.fd] = (terminal, on_output)
        self._selector.register(terminal.fd, selectors.EVENT_READ)

    def forget(self, terminal: Terminal) -> None:
        if self._readers.pop(terminal.fd, None) is not None:
            self._selector.unregister(terminal.fd)

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (when, next(self._order), action))

    def later(self, seconds: float, action: Callable[[], None]) -> None:
        self.at(time.perf_counter() + seconds, action)

    def run(self, until: Callable[[], bool], timeout: float) -> bool:
        """Run until ``until()`` is true (True) or ``timeout`` seconds have passed (False)."""
        deadline = time.perf_counter() + timeout
        while not until():
            now = time.perf_counter()
            if now >= deadline:
                return False
            wait = deadline - now
            if self._timers:
                wait = min(wait, max(0.0, self._timers[0][0] - now))
            for key, _ in self._selector.select(min(wait, 0.5)) if self._readers else ():
                terminal, on_output = self._readers[key.fd]
                text = terminal.read()
                when = time.perf_counter()
                if text is None:
                    self.forget(terminal)
                elif text:
                    on_output(terminal, text, when)
            if not self._readers and wait > 0:
                time.sleep(min(wait, 0.05))
            now = time.perf_counter()
            while self._timers and self._timers[0][0] <= now:
                heapq.heappop(self._timers)[2]()
        return True

    def drain(self) -> None:
        """Read whatever is waiting (so no process blocks on a full terminal), without running timers."""
        for fd, (terminal, on_output) in list(self._readers.items()):
            text = terminal.read()
            if text is None:
                self.forget(terminal)
            elif text:
                on_output(terminal, text, time.perf_counter())

    def clear_timers(self) -> None:
        self._timers.clear()

    def close(self) -> None:
        self._selector.close()
