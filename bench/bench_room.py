"""A whole room on one host (issue 20): N real learner terminals, one invigilator, one marker.

Every process is real and in its own pseudo-terminal, driven from this one process as people
would drive them (``bench/terminals.py``): it reads their screens and types.

1. **Room** (N = 10, 30, 60 where the time allows): N ``marker-tui sit CODE --candidate N``
   learners on one database, through ``marker-tui learner-server`` as a centre runs them, each admitted as a learner is (keycode from the slip, "Is this
   you?" Y), then all typing realistic answers at about 3 keys/s for SECONDS (60) s, while an
   invigilator's room view (``marker-tui invigilate``, signed in on screen) refreshes and a
   marker (``marker-tui mark``) moves about the queue. Baseline, same run, same text: N bare
   Textual apps (Header + TextArea + Footer, ``bench/bare_textarea.py``) typing the same keys.
   Figures: keystroke-to-screen p50/p95 (from writing a key to the terminal until a screen
   update puts the cursor somewhere new; the next key waits for it, so the typing rate drops
   a little when a terminal is slow), the worst learner's p95, save p99 (each autosave's
   ``save_answer`` until committed, timed inside the learner by ``bench/room_launch.py``),
   saves lost (a learner whose answer on disk is not exactly what was typed 4 s after typing
   stopped, or whose screen says NOT SAVED), PSS of the room and per learner,
   CPU per learner (% of one core while typing) and the invigilator's refresh time; also this
   driver's own CPU (a few % of one core at N=60: the figures are the room's, not the driver's).
   Last, only if the 10 minutes allow (or ``--own``): the smallest room again with every learner
   in its own process (no learner server), for the record, against the same bare room.
2. **Log-in**: LOGIN_N learners started within one second, each timed from its start to its
   first interactive screen (the login form waiting for the keycode); p95 against LOGIN_N bare
   apps started the same way (the ratio that counts: LOGIN_N starts on 2 cores cannot beat
   LOGIN_N x one start / 2), against one learner started alone (the issue's ratio, for the
   record) and against that floor.
3. **Long answer**: one learner resuming a ~29,500-character answer whose last paragraph is
   12,000 characters with no line break, typing at its end; against a bare TextArea holding
   the same text, typing the same keys, at the same time.

Writes ``bench/results/room.csv`` and a text chart ``bench/results/room.txt`` (also printed).

Runnable alone: ``.venv/bin/python bench/bench_room.py [--quick] [--sizes 10,30] [--seconds 60] [--own]``;
``make bench-room`` runs it through ``bench/run.py``. ``--quick`` (or ``BENCH_QUICK=1``): 3 learners,
8 s, 4 log-ins, to try the harness on a busy machine. Phases and their times go to stderr. It stops
by itself; Ctrl+C, SIGTERM or SIGHUP stop it early; either way every process it started is ended.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench_learner import answer_text  # noqa: E402  (the same realistic prose as the one-learner bench)
from terminals import Loop, Terminal, close_all, cpu_seconds, pss_kb  # noqa: E402

PYTHON = sys.executable
MARKER_TUI = str(Path(PYTHON).with_name("marker-tui"))
LAUNCH = str(BENCH / "room_launch.py")
BARE = str(BENCH / "bare_textarea.py")
RESULTS = BENCH / "results"

SIZES = (10, 30, 60)
SECONDS = 60.0
LOGIN_N = 30
LONG_SECONDS = 30.0
BUDGET_SECONDS = 570.0
"""The whole bench must end within 10 minutes: a room size that would not fit is skipped (and said)."""
OWN_BUDGET_SECONDS = 585.0
"""The own-process room is the last thing measured, and its time is known well (one room of the smallest N)."""
KEY_GAP = (0.2, 0.47)
"""Seconds between one key's echo and the next key: about 3 keys a second."""
ECHO_TIMEOUT = 5.0
SETTLE_SECONDS = 4.0
"""After the last key: the idle save is due 1 s later; this leaves room for a busy room's queue."""
START_TIMEOUT = 240.0
START_BATCH = 5
"""Terminals started together before the driver reads the started ones' screens again."""
FIRST_SCREEN = {"learner": "admission slip", "bare": "Your answer"}

ROOM_CANDIDATES = 6000
LOGIN_CANDIDATES = 7000
LONG_CANDIDATE = "8001"
CORES = os.cpu_count() or 1
LONG_CHARACTERS = 29_500
UNBROKEN_PARAGRAPH = 12_000


# --- the database ------------------------------------------------------------------------------------


@dataclass
class Room:
    code: str
    keycodes: dict[str, str]


def long_answer() -> str:
    """~29,500 characters of prose ending in one 12,000-character paragraph with no line break."""
    prose = answer_text(6000)
    head = prose[: LONG_CHARACTERS - UNBROKEN_PARAGRAPH - 2].rstrip()
    unbroken = " ".join(prose.split())[:UNBROKEN_PARAGRAPH].rstrip()
    return head + "\n\n" + unbroken


def build_database(path: Path, sizes: tuple[int, ...], login_n: int) -> dict[str, Room]:
    """The demo centre (staff with known PINs, 305-DEMO to mark), plus one started sitting per room."""
    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.centre import Centre
    from marker_tui.services.demo import INVIGILATOR, build_demo

    build_demo(path)
    # An hour ago, so the long answer's lease (taken below to save it) has lapsed for the real terminal.
    clock = FakeClock(datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1))
    centre = Centre.open(path, clock=clock)
    paper = centre.papers.latest("3818-13", "304")
    rooms = {}
    wanted = [(f"ROOM{n}", [str(ROOM_CANDIDATES + 100 * i + k) for k in range(n)]) for i, n in enumerate(sizes)]
    wanted.append((f"OWN{sizes[0]}", [str(ROOM_CANDIDATES - 100 + k) for k in range(sizes[0])]))
    wanted += [("LOGIN", [str(LOGIN_CANDIDATES + k) for k in range(login_n)]), ("LONG", [LONG_CANDIDATE])]
    for code, numbers in wanted:
        for number in numbers:
            centre.candidates.add(number, f"Learner {number}", by="Ada Admin")
        centre.sittings.create_sitting(paper.id, by=INVIGILATOR, code=code)
        centre.sittings.enrol(code, numbers, by=INVIGILATOR)
        slips = centre.sittings.issue_keycodes(code, by=INVIGILATOR)
        centre.sittings.open(code, by=INVIGILATOR)
        centre.sittings.start(code, by=INVIGILATOR)
        rooms[code] = Room(code, {s.candidate_number: s.keycode for s in slips.slips})
    long = rooms["LONG"]
    session = centre.learners.login("LONG", LONG_CANDIDATE, long.keycodes[LONG_CANDIDATE])
    centre.learners.save_answer(session.script_id, "1", long_answer())
    centre.close()
    return rooms


def saved_answers(path: Path, code: str) -> dict[str, str]:
    """Question 1's answer on disk per candidate number (read-only, after the room stopped typing)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT c.candidate_number, a.text FROM answers a JOIN scripts s ON s.id = a.script_id "
            "JOIN candidates c ON c.id = s.candidate_id JOIN sittings t ON t.id = s.sitting_id "
            "WHERE t.code = ? AND a.question_id = '1'", (code,)).fetchall()
    return dict(rows)


# --- the people at the terminals ------------------------------------------------------------------


@dataclass
class Typist:
    """One terminal and the person at it: logs in if it is a learner's, then types ``text``."""

    terminal: Terminal
    kind: str  # "learner" or "bare"
    text: str
    keycode: str = ""
    candidate: str = ""
    timings: Path | None = None
    step: str = "start"
    ready_at: float | None = None
    typed: str = ""
    latencies: list[float] = field(default_factory=list)
    timeouts: int = 0
    pending: tuple[float, tuple[int, int] | None] | None = None
    stop_at: float = 0.0

    def on_output(self, loop: Loop, when: float) -> None:
        screen = self.terminal.text
        if self.step == "start" and FIRST_SCREEN[self.kind] in screen:
            if self.kind == "learner":
                self.step, self.terminal.text = "name", ""  # from now on, only what comes next
                self.terminal.write(self.keycode + "\r")
            else:
                self.step, self.ready_at = "ready", when
        elif self.step == "name" and "Is this you" in screen:
            self.step, self.terminal.text = "paper", ""
            self.terminal.write("y")
        elif self.step == "paper" and "Your answer" in screen:
            self.step, self.ready_at = "ready", when
        elif self.pending is not None and self.terminal.cursor != self.pending[1]:
            self.latencies.append(when - self.pending[0])
            self.pending = None
            self._next(loop, random.uniform(*KEY_GAP))

    def start_typing(self, loop: Loop, stop_at: float) -> None:
        self.step, self.stop_at = "typing", stop_at
        self._next(loop, random.uniform(0, KEY_GAP[1]))

    def _next(self, loop: Loop, gap: float) -> None:
        if time.perf_counter() + gap < self.stop_at and len(self.typed) < len(self.text):
            loop.later(gap, self._key)

    def _key(self) -> None:
        ch = self.text[len(self.typed)]
        self.typed += ch
        sent = time.perf_counter()
        self.pending = (sent, self.terminal.cursor)
        self.terminal.write("\r" if ch == "\n" else ch)
        self._loop.later(ECHO_TIMEOUT, lambda mark=sent: self._timed_out(mark))

    def _timed_out(self, mark: float) -> None:
        if self.pending is not None and self.pending[0] == mark:
            self.timeouts += 1
            self.latencies.append(ECHO_TIMEOUT)
            self.pending = None
            self._next(self._loop, random.uniform(*KEY_GAP))

    _loop: Loop = None  # type: ignore[assignment]


class StaffTerminal:
    """The invigilator or the marker: signs in on screen (name, PIN), then works."""

    def __init__(self, terminal: Terminal, name: str, pin: str, signed_in: str, keys: list[str] = ()) -> None:
        self.terminal, self.name, self.pin, self.signed_in, self.keys = terminal, name, pin, signed_in, list(keys)
        self.step = "start"
        self.ready = False

    def on_output(self, loop: Loop, when: float) -> None:
        screen = self.terminal.text
        if self.step == "start" and "Ian Invigilator" in screen:
            self.step = "pin"
            self.terminal.write(self.name + "\r")
            loop.later(0.3, self._pin)
        elif self.step == "signed in" and self.signed_in in screen:
            self.step, self.ready = "working", True
            if self.keys:
                self._work(loop, 0)

    def _pin(self) -> None:
        self.step, self.terminal.text = "signed in", ""
        self.terminal.write(self.pin + "\r")

    def _work(self, loop: Loop, i: int) -> None:
        self.terminal.write(self.keys[i % len(self.keys)])
        loop.later(1.5, lambda: self._work(loop, i + 1))


def _learner_argv(db: Path, code: str, number: str, timings: Path) -> list[str]:
    return [PYTHON, LAUNCH, str(timings), "learner", "--", "--db", str(db), "sit", code, "--candidate", number]


def _texts(n: int) -> list[str]:
    """A different stretch of realistic prose for each terminal (the i-th learner and the i-th bare app get the same)."""
    prose = answer_text(900)
    return [prose[(i * 997) % 2000:] for i in range(n)]


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def children(pid: int) -> list[int]:
    """The processes ``pid`` started (the learners a learner server forked)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listed:
                found += [int(p) for p in listed.read().split()]
    except FileNotFoundError:
        pass
    return found


class Server:
    """``marker-tui learner-server`` for the bench database, its saves timed (``room_launch.py``)."""

    def __init__(self, db: Path, timings: Path, loop: Loop) -> None:
        self.terminal = Terminal([PYTHON, LAUNCH, str(timings), "learner-server", "--", "--db", str(db),
                                  "learner-server"], name="learner server")
        self.watch(loop)
        if not loop.run(lambda: "listening on" in self.terminal.text, START_TIMEOUT):
            self.close()
            raise RuntimeError(f"the learner server did not start:\n{self.terminal.text[-1000:]}")

    def watch(self, loop: Loop) -> None:
        """Read the server's terminal in ``loop`` (so it never blocks writing to it)."""
        loop.watch(self.terminal, lambda *_: None)

    def end_learners(self) -> None:
        """SIGKILL every learner the server forked (learners outlive a stopped server by design)."""
        for pid in children(self.terminal.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        with _uninterrupted():
            leftovers = children(self.terminal.pid)
            self.terminal.close(grace=2.0)
            for pid in leftovers:  # learners outlive a stopped server by design; the bench ends them
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _uninterrupted():
    """Ctrl+C (or a kill) while closing terminals waits until they are closed, then stops the bench."""
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")  # so every ``finally`` closes its terminals


def _close_all(terminals: list[Terminal], server: Server | None = None) -> None:
    with _uninterrupted():
        close_all(terminals, grace=1.0)
        if server is not None:
            server.close()


_BEGAN = time.perf_counter()


def _phase(what: str) -> None:
    """Where the bench's time goes (stderr): seconds since it began, and what just finished."""
    print(f"[room bench {time.perf_counter() - _BEGAN:5.0f} s] {what}", file=sys.stderr, flush=True)


def _own_cpu() -> float:
    """This driver process's CPU seconds so far (it must not be what limits a big room)."""
    times = os.times()
    return times.user + times.system


def _every(seconds: float, check):
    """``check`` as a ``Loop.run`` condition, asked at most every ``seconds`` (it reads the database)."""
    last = [0.0]

    def until() -> bool:
        now = time.perf_counter()
        if now - last[0] < seconds:
            return False
        last[0] = now
        return check()
    return until


def _wait_ready(loop: Loop, typists: list, what: str) -> None:
    if not loop.run(lambda: all(getattr(t, "ready_at", None) is not None or getattr(t, "ready", False)
                                for t in typists), START_TIMEOUT):
        stuck = [t.terminal.name for t in typists
                 if getattr(t, "ready_at", None) is None and not getattr(t, "ready", False)]
        screens = "\n---\n".join(t.terminal.text[-600:] for t in typists if t.terminal.name in stuck[:2])
        raise RuntimeError(f"{what}: {len(stuck)} terminals never reached their screen ({', '.join(stuck[:5])}):\n"
                           f"{screens}")


def type_room(db: Path, kind: str, n: int, seconds: float, room: Room | None = None,
              staff: bool = False, texts: list[str] | None = None, served: bool = False) -> dict:
    """Start N terminals, let them all type for ``seconds``, and measure; every process is closed after.

    ``served``: the learners are started by ``marker-tui sit`` through a learner server (forked from
    it); their memory and CPU are then the small ``sit`` process plus the forked terminal, and the
    server's own is counted in the room's total.
    """
    loop, terminals, workers, server = Loop(), [], [], None
    folder = Path(tempfile.mkdtemp(prefix="room-", dir=db.parent))
    texts = texts or _texts(n)
    saves_file = folder / "saves.txt"
    try:
        if served:
            server = Server(db, saves_file, loop)
        if staff:
            invigilator_timings = folder / "invigilator.txt"
            invigilator = StaffTerminal(Terminal([PYTHON, LAUNCH, str(invigilator_timings), "invigilator", "--",
                                                  "--db", str(db), "invigilate", room.code], name="invigilator"),
                                        "Iris Invigilator", "1111", f"Sitting {room.code}")
            marker = StaffTerminal(Terminal([MARKER_TUI, "--db", str(db), "mark", "305-DEMO"], name="marker"),
                                   "Mo Marker", "2222", "305-DEMO", keys=["\x1b[B", "\x1b[B", "\x1b[A", "r"])
            workers = [invigilator, marker]
            for worker in workers:
                terminals.append(worker.terminal)
                loop.watch(worker.terminal, lambda term, text, when, w=worker: w.on_output(loop, when))
        typists = []
        for i in range(n):
            if kind == "learner":
                number = sorted(room.keycodes)[i]
                argv = ([MARKER_TUI, "--db", str(db), "sit", room.code, "--candidate", number] if served
                        else _learner_argv(db, room.code, number, saves_file))
                terminal = Terminal(argv, name=f"learner {number}")
                typist = Typist(terminal, kind, texts[i], keycode=room.keycodes[number], candidate=number)
            else:
                terminal = Terminal([PYTHON, BARE], name=f"bare {i}")
                typist = Typist(terminal, kind, texts[i])
            typist._loop = loop
            terminals.append(terminal)
            typists.append(typist)
            loop.watch(terminal, lambda term, text, when, t=typist: t.on_output(loop, when))
            if i % START_BATCH == START_BATCH - 1:
                loop.run(lambda: False, 0.05)  # keep reading the ones already started
        _wait_ready(loop, typists + workers, f"{kind} room of {n}")
        _phase(f"{kind} room of {n}{' (served)' if served else ''}: every terminal on its screen")
        loop.run(lambda: False, 1.0)  # every screen settled
        started, wall_start = time.perf_counter(), time.time()
        forked = children(server.terminal.pid) if server else []
        pids = [t.terminal.pid for t in typists] + forked
        cpu_before = {pid: cpu_seconds(pid) for pid in pids}
        driver_before = _own_cpu()
        load_before = os.getloadavg()[0]
        stop_at = started + seconds
        for typist in typists:
            typist.start_typing(loop, stop_at)
        pss_samples = []

        def sample() -> None:
            pss_samples.append(([pss_kb(pid) for pid in pids],
                                [pss_kb(w.terminal.pid) for w in workers]
                                + ([pss_kb(server.terminal.pid)] if server else [])))
        # Once while typing and once just after (reading PSS walks every process's pages: not too often).
        loop.later(seconds * 3 / 4, sample)
        loop.run(lambda: False, seconds)
        typing_seconds = time.perf_counter() - started
        cpu_used = sum(cpu_seconds(pid) - cpu_before[pid] for pid in pids)
        driver_cpu = (_own_cpu() - driver_before) / typing_seconds * 100
        sample()
        loop.run(lambda: all(t.pending is None for t in typists), ECHO_TIMEOUT + 1)
        loop.clear_timers()
        if kind == "learner":  # until every answer is on disk as typed, at most SETTLE_SECONDS
            loop.run(_every(0.25, lambda: all(saved_answers(db, room.code).get(t.candidate, "") == t.typed
                                              for t in typists)), SETTLE_SECONDS)
            loop.run(lambda: False, 0.3)  # the screens' save status after the last save
        wall_end = time.time()
        learners_pss, staff_pss = max(pss_samples, key=lambda s: sum(s[0]) + sum(s[1]))
        latencies = [x for t in typists for x in t.latencies]
        result = {
            "kind": kind, "n": n, "keys": len(latencies),
            "keys_per_second": len(latencies) / typing_seconds / n,
            "p50_ms": _percentile(latencies, 50) * 1000, "p95_ms": _percentile(latencies, 95) * 1000,
            "worst_p95_ms": max(_percentile(t.latencies, 95) for t in typists) * 1000,
            "median_learner_p95_ms": statistics.median(_percentile(t.latencies, 95) for t in typists) * 1000,
            "timeouts": sum(t.timeouts for t in typists),
            "pss_total_mb": (sum(learners_pss) + sum(staff_pss)) / 1024,
            "pss_typists_mb": sum(learners_pss) / 1024,
            "pss_per_mb": sum(learners_pss) / 1024 / n,
            "cpu_per_percent": cpu_used / typing_seconds / n * 100,
            "driver_cpu_percent": driver_cpu,
            "seconds": round(typing_seconds, 1),
            "served": len(forked),  # a learner the server refused (busy, slow) runs in its own process
            "load_before": load_before, "load_after": os.getloadavg()[0],
        }
        if kind == "learner":
            on_disk = saved_answers(db, room.code)
            lost = sum(1 for t in typists if on_disk.get(t.candidate, "") != t.typed or "NOT SAVED" in t.terminal.text)
            saves = []
            for line in saves_file.read_text().splitlines() if saves_file.exists() else ():
                at, took = map(float, line.split())
                if wall_start <= at <= wall_end:
                    saves.append(took)
            refresh = []
            if staff and invigilator_timings.exists():
                for line in invigilator_timings.read_text().splitlines():
                    at, took = map(float, line.split())
                    if wall_start <= at <= wall_end:
                        refresh.append(took)
            result.update(saves=len(saves), save_p99_ms=_percentile(saves, 99) * 1000, saves_lost=lost,
                          refresh_p50_ms=_percentile(refresh, 50) * 1000,
                          refresh_p95_ms=_percentile(refresh, 95) * 1000, refreshes=len(refresh))
        return result
    finally:
        loop.close()
        _close_all(terminals, server)


def log_in(db: Path, kind: str, n: int, spread: float, server: Server | None = None) -> list[float]:
    """Start n terminals within ``spread`` seconds; each one's seconds from its start to its first screen.

    ``server``: a running learner server the learners go through (kept running; the learners it forked are ended).
    """
    loop, terminals, times = Loop(), [], {}
    order = list(range(n))
    try:
        if server is not None:
            server.watch(loop)
        def start(i: int) -> None:
            argv = ([MARKER_TUI, "--db", str(db), "sit", "LOGIN", "--candidate", str(LOGIN_CANDIDATES + i)]
                    if kind == "learner" else [PYTHON, BARE])
            terminal = Terminal(argv, name=f"{kind} {i}")
            terminals.append(terminal)

            def seen(term: Terminal, text: str, when: float, i=i) -> None:
                if i not in times and FIRST_SCREEN[kind] in term.text:
                    times[i] = when - term.started
            loop.watch(terminal, seen)
        now = time.perf_counter()
        for i in order:
            loop.at(now + spread * i / max(n - 1, 1), lambda i=i: start(i))
        if not loop.run(lambda: len(times) == n, START_TIMEOUT):
            raise RuntimeError(f"log-in of {n} {kind} terminals: only {len(times)} reached their first screen")
        return [times[i] for i in order]
    finally:
        loop.close()
        _close_all(terminals)
        if server is not None:
            server.end_learners()


def long_answer_typing(db: Path, rooms: dict[str, Room], seconds: float) -> tuple[dict, dict]:
    """One learner resuming the long answer and one bare TextArea with the same text, typing at the same time."""
    loop, terminals = Loop(), []
    text_file = db.parent / "long-answer.txt"
    text_file.write_text(long_answer(), encoding="utf-8")
    keys = _texts(1)[0]
    try:
        learner = Typist(Terminal(_learner_argv(db, "LONG", LONG_CANDIDATE, db.parent / "long-saves.txt"),
                                  name="long learner"), "learner", keys, keycode=rooms["LONG"].keycodes[LONG_CANDIDATE],
                         candidate=LONG_CANDIDATE)
        bare = Typist(Terminal([PYTHON, BARE, str(text_file)], name="long bare"), "bare", keys)
        for typist in (learner, bare):
            typist._loop = loop
            terminals.append(typist.terminal)
            loop.watch(typist.terminal, lambda term, text, when, t=typist: t.on_output(loop, when))
        _wait_ready(loop, [learner, bare], "long answer")
        loop.run(lambda: False, 1.0)
        stop_at = time.perf_counter() + seconds
        for typist in (learner, bare):
            typist.start_typing(loop, stop_at)
        loop.run(lambda: False, seconds)
        loop.run(lambda: learner.pending is None and bare.pending is None, ECHO_TIMEOUT + 1)
        out = []
        for typist in (learner, bare):
            out.append({"p95_ms": _percentile(typist.latencies, 95) * 1000, "keys": len(typist.latencies),
                        "timeouts": typist.timeouts})
        return out[0], out[1]
    finally:
        loop.close()
        _close_all(terminals)


# --- the report ---------------------------------------------------------------------------------------


def _bar(value: float, top: float, width: int = 40) -> str:
    return "#" * max(1, round(width * value / top)) if top > 0 and value == value else ""


def _served(rooms: list[tuple[dict, dict]]) -> list[tuple[dict, dict]]:
    return [pair for pair in rooms if pair[0]["kind"] == "learner"]


def text_chart(rooms: list[tuple[dict, dict]]) -> str:
    """Keystroke p95 and memory per learner against N: learner (L) above bare (B), rooms through the server."""
    rooms = _served(rooms)
    lines = ["Keystroke p95 (ms) against N (L: learners through the learner server, B: bare apps)"]
    top = max(max(l["p95_ms"], b["p95_ms"]) for l, b in rooms)
    for learner, bare in rooms:
        lines.append(f"  N={learner['n']:>3} L {_bar(learner['p95_ms'], top):<40} {learner['p95_ms']:7.1f}")
        lines.append(f"        B {_bar(bare['p95_ms'], top):<40} {bare['p95_ms']:7.1f}")
    lines.append("PSS per terminal (MB) against N")
    top = max(max(l["pss_per_mb"], b["pss_per_mb"]) for l, b in rooms)
    for learner, bare in rooms:
        lines.append(f"  N={learner['n']:>3} L {_bar(learner['pss_per_mb'], top):<40} {learner['pss_per_mb']:7.1f}")
        lines.append(f"        B {_bar(bare['pss_per_mb'], top):<40} {bare['pss_per_mb']:7.1f}")
    return "\n".join(lines)


CSV_COLUMNS = ["kind", "n", "served", "seconds", "load_before", "load_after", "keys", "keys_per_second", "p50_ms", "p95_ms", "median_learner_p95_ms",
               "worst_p95_ms", "timeouts",
               "save_p99_ms", "saves", "saves_lost", "pss_total_mb", "pss_typists_mb", "pss_per_mb",
               "cpu_per_percent", "refresh_p50_ms", "refresh_p95_ms", "refreshes", "driver_cpu_percent",
               "key_p95_ratio", "key_p95_met", "pss_ratio", "pss_met", "lost_met"]


def _table(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(out)


def room_table(rooms: list[tuple[dict, dict]]) -> str:
    head = ["N", "who", "keys/s", "key p50", "key p95", "p95 each", "worst p95", "save p99", "lost", "PSS room", "PSS each",
            "CPU each", "refresh p95", "driver CPU", "load"]
    rows = []
    for learner, bare in rooms:
        for r in (learner, bare) if learner["kind"] == "learner" else (learner,):
            who = r["kind"]
            if r is learner and who == "learner" and r.get("served", r["n"]) < r["n"]:
                who += f" (only {r['served']} of {r['n']} served)"
            rows.append([str(r["n"]), who, f"{r['keys_per_second']:.2f}",
                         f"{r['p50_ms']:.1f} ms", f"{r['p95_ms']:.1f} ms", f"{r['median_learner_p95_ms']:.1f} ms",
                         f"{r['worst_p95_ms']:.1f} ms",
                         f"{r['save_p99_ms']:.1f} ms" if "save_p99_ms" in r else "-",
                         str(r.get("saves_lost", "-")), f"{r['pss_total_mb']:.0f} MB", f"{r['pss_per_mb']:.1f} MB",
                         f"{r['cpu_per_percent']:.1f}%",
                         f"{r['refresh_p95_ms']:.0f} ms" if "refresh_p95_ms" in r else "-",
                         f"{r['driver_cpu_percent']:.1f}%", f"{r['load_before']:.0f}-{r['load_after']:.0f}"])
    notes = ("learner: N learners through `marker-tui learner-server` (what a centre runs), one invigilator and one "
             "marker beside them;\nPSS room includes those two and the server. learner (own process): the smallest "
             "room without the server, for the record, against the same bare room.\nkey p50/p95: every key of every "
             "terminal; p95 each: the median terminal's own p95; worst p95: the slowest terminal's.\nCPU each: % of "
             "one core per terminal while typing. driver CPU: this bench's own process, which types into every "
             "terminal.\nload: the machine's 1-minute load average as typing began and ended (on 2 cores, above 2 "
             "means other work competes with the room).")
    return _table(head, rows) + "\n" + notes


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def targets_table(rooms: list[tuple[dict, dict]]) -> str:
    """Each room against the issue's targets, at the same N."""
    head = ["N", "who", "key p95 / bare (<= 1.5)", "PSS / bare (<= 1.3)", "saves lost (= 0)"]
    rows = []
    for learner, bare in rooms:
        r = ratios(learner, bare)
        rows.append([str(learner["n"]), learner["kind"], f"{r['key_p95_ratio']:.2f}x {_met(r['key_p95_met'])}",
                     f"{r['pss_ratio']:.2f}x {_met(r['pss_met'])}",
                     f"{learner['saves_lost']} {_met(r['lost_met'])}"])
    return "Against the targets (learners / bare apps, same N, same run)\n" + _table(head, rows)


def _row(name, value, unit, baseline_name, baseline, limit, target) -> dict:
    ratio = value / baseline if baseline else float("nan")
    return {"name": name, "value": value, "unit": unit, "baseline_name": baseline_name, "baseline": baseline,
            "ratio": ratio, "target": target, "ok": ratio <= limit}


def run(quick: bool | None = None, sizes: tuple[int, ...] | None = None, seconds: float | None = None,
        own: bool = False) -> list[dict]:
    """The whole bench; a kill (SIGTERM, SIGHUP) stops it as Ctrl+C does, closing every terminal it started.

    ``own``: measure the own-process room even if it would pass the 10 minutes.
    """
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, _stop) for sig in _STOPS[1:]} if main_thread else {}
    try:
        return _run(quick, sizes, seconds, own)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(quick: bool | None, sizes: tuple[int, ...] | None, seconds: float | None, own_always: bool) -> list[dict]:
    quick = os.environ.get("BENCH_QUICK") == "1" if quick is None else quick
    sizes = sizes or ((3,) if quick else SIZES)
    seconds = seconds or (8.0 if quick else SECONDS)
    login_n = 4 if quick else LOGIN_N
    long_seconds = 6.0 if quick else LONG_SECONDS
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    rows: list[dict] = []
    measured: list[tuple[dict, dict]] = []
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "room.db"
        rooms = build_database(db, sizes, login_n)
        _phase("database built")

        # 2. The room logs in at once (first, while the database is small and nobody types). One learner
        # server for every served log-in, as a centre's runs all day; the learners it forked end after each.
        server_loop = Loop()
        server = Server(db, db.parent / "login-saves.txt", server_loop)
        try:
            def median_alone(kind: str, through: Server | None = None) -> float:
                return statistics.median(log_in(db, kind, 1, 0, through)[0] for _ in range(3))

            alone, bare_alone, alone_served = median_alone("learner"), median_alone("bare"), median_alone("learner", server)
            _phase("log-in alone (learner, bare, learner served; 3 each)")
            together_served = _percentile(log_in(db, "learner", login_n, 1.0, server), 95)
        finally:
            server_loop.close()
            server.close()
        together = _percentile(log_in(db, "learner", login_n, 1.0), 95)
        bare_together = _percentile(log_in(db, "bare", login_n, 1.0), 95)
        _phase(f"log-in of {login_n} at once (served, own, bare)")
        what = f"room log-in: {login_n} learners started within 1 s, p95 to first screen"
        rows.append(_row(f"{what} (learner server) [the ratio that counts: {login_n} starts on {CORES} cores "
                         f"cannot beat {login_n} x one start / {CORES}]", together_served, "s",
                         f"{login_n} bare apps started within 1 s, p95", bare_together, 1.3, "ratio <= 1.3"))
        rows.append(_row(f"{what} (learner server) [the issue's ratio, for the record]", together_served, "s",
                         "one learner alone (learner server, median of 3)", alone_served, 3.0, "ratio <= 3.0"))
        floor = login_n * alone_served / CORES
        rows.append(_row(f"{what} (learner server)", together_served, "s",
                         f"the floor: {login_n} x one alone / {CORES} cores", floor, float("inf"), "-")
                    | {"ok": None, "target": None})
        rows.append(_row(f"{what} (own processes, no server)", together, "s",
                         f"{login_n} bare apps started within 1 s, p95", bare_together, 1.3, "ratio <= 1.3"))
        rows.append(_row(f"{what} (own processes, no server)", together, "s",
                         "one learner alone (own process, median of 3)", alone, 3.0, "ratio <= 3.0"))
        rows.append(_row("log-in alone: one learner to first screen (own process, median of 3)", alone, "s",
                         "one bare app alone (median of 3)", bare_alone, 2.0, "ratio <= 2.0"))

        # 3. Long answers.
        long_learner, long_bare = long_answer_typing(db, rooms, long_seconds)
        _phase("long answer")
        rows.append(_row(f"long answer ({LONG_CHARACTERS:,} chars, last paragraph {UNBROKEN_PARAGRAPH:,} unbroken): "
                         f"keystroke p95 ({long_learner['keys']} keys)", long_learner["p95_ms"], "ms",
                         "bare TextArea, same text and keys", long_bare["p95_ms"], 1.5, "ratio <= 1.5"))

        # 1. Whole rooms, through the learner server (what a centre runs), each against bare apps.
        for n in sizes:
            spent = time.perf_counter() - began
            if measured:
                needed = _room_needs(measured[-1], n, seconds)
                if spent + needed > BUDGET_SECONDS:
                    print(f"room N={n} skipped: about {needed:.0f} s more would pass the 10-minute limit "
                          f"({spent:.0f} s spent)", file=sys.stderr)
                    rows.append({"name": f"room N={n}: skipped (would not finish within 10 minutes)", "value": None})
                    continue
            t0 = time.perf_counter()
            texts = _texts(n)
            learner = type_room(db, "learner", n, seconds, rooms[f"ROOM{n}"], staff=True, texts=texts, served=True)
            _phase(f"room of {n} learners (served) closed")
            bare = type_room(db, "bare", n, seconds, texts=texts)
            _phase(f"room of {n} bare apps closed")
            learner["took"] = time.perf_counter() - t0
            measured.append((learner, bare))
            rows += _room_rows(learner, bare, "")

        # For the record, last and only if the time allows: the smallest room with every learner in its own
        # process (no learner server), against the same bare room.
        n = sizes[0]
        needed = seconds + 20.0
        if measured and (own_always or time.perf_counter() - began + needed <= OWN_BUDGET_SECONDS):
            bare = measured[0][1]
            own = type_room(db, "learner", n, seconds, rooms[f"OWN{n}"], staff=True, texts=_texts(n))
            own["kind"] = "learner (own process)"
            _phase(f"room of {n} learners (own processes) closed")
            measured.append((own, bare))
            rows += _room_rows(own, bare, ", no learner server")
        elif measured:
            rows.append({"name": f"room N={n} with learners in their own processes (for the record): skipped, "
                                 "it would pass the 10 minutes (--own to measure it anyway)", "value": None})
    if measured:
        RESULTS.mkdir(exist_ok=True)
        with open(RESULTS / "room.csv", "w", newline="") as out:
            writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            for learner, bare in measured:
                writer.writerow(learner | ratios(learner, bare))
                if learner["kind"] == "learner":  # the own-process room shares the first bare room
                    writer.writerow(bare)
        took = time.perf_counter() - began
        load = os.getloadavg()[0]
        report = "\n\n".join([
            f"Room benchmark: {took:.0f} s on {CORES} cores, 1-minute load average {load_before:.1f} before, "
            f"{load:.1f} at the end (other work on the machine makes latencies worse)",
            room_table(measured), targets_table(measured), text_chart(measured),
            "Log-in and long answer\n" + "\n".join("  " + describe(r) for r in rows
                                                    if r["name"].startswith(("room log-in", "log-in", "long")))])
        (RESULTS / "room.txt").write_text(report + "\n")
        print(report + f"\n(written to {RESULTS / 'room.csv'} and room.txt)", file=sys.stderr)
    return rows


def _room_needs(last: tuple[dict, dict], n: int, seconds: float) -> float:
    """Seconds a room of n (learners, then bare apps) would take, from the last room's: typing time is
    the same at every N; starting, admitting and closing grow with N (+25% for a busier machine)."""
    learner = last[0]
    fixed = 2 * (seconds + 6.0)
    return fixed + max(0.0, learner["took"] - fixed) * n / learner["n"] * 1.25


def ratios(learner: dict, bare: dict) -> dict:
    """The room's figures against the bare apps' at the same N, with the issue's targets."""
    key = learner["p95_ms"] / bare["p95_ms"] if bare["p95_ms"] else float("nan")
    memory = learner["pss_typists_mb"] / bare["pss_typists_mb"] if bare["pss_typists_mb"] else float("nan")
    return {"key_p95_ratio": key, "key_p95_met": key <= 1.5, "pss_ratio": memory, "pss_met": memory <= 1.3,
            "lost_met": learner.get("saves_lost") == 0}


def _room_rows(learner: dict, bare: dict, how: str) -> list[dict]:
    n = learner["n"]
    return [
        _row(f"room N={n}{how}: keystroke p95 (worst learner {learner['worst_p95_ms']:.0f} ms)", learner["p95_ms"],
             "ms", f"{n} bare TextArea apps", bare["p95_ms"], 1.5, "ratio <= 1.5"),
        _row(f"room N={n}{how}: keystroke p50", learner["p50_ms"], "ms", f"{n} bare TextArea apps",
             bare["p50_ms"], float("inf"), "-") | {"ok": None, "target": None},
        {"name": f"room N={n}{how}: saves lost ({learner['saves']} saves, p99 {learner['save_p99_ms']:.1f} ms)",
         "value": learner["saves_lost"], "unit": "learners", "target": "0", "ok": learner["saves_lost"] == 0},
        _row(f"room N={n}{how}: PSS of the learners (room with staff: {learner['pss_total_mb']:.0f} MB)",
             learner["pss_typists_mb"], "MB", f"{n} bare apps", bare["pss_typists_mb"], 1.3, "ratio <= 1.3"),
        _row(f"room N={n}{how}: CPU per learner while typing", learner["cpu_per_percent"], "% core",
             "bare app", bare["cpu_per_percent"], float("inf"), "-") | {"ok": None, "target": None},
        {"name": f"room N={n}{how}: invigilator refresh p95 (p50 {learner['refresh_p50_ms']:.0f} ms, "
                 f"{learner['refreshes']} refreshes)", "value": learner["refresh_p95_ms"], "unit": "ms"},
    ]


def describe(row: dict) -> str:
    """One figure on one line, with its baseline, ratio and target (met or MISSED)."""
    if row.get("value") is None:
        return row["name"]
    extra = (f" vs {row['baseline_name']} {row['baseline']:.3g}: ratio {row['ratio']:.2f}"
             + (f" (target {row['target']}) {'met' if row['ok'] else 'MISSED'}" if row.get("target") else "")
             if row.get("baseline") is not None else "")
    return f"{row['name']}: {row['value']:.3g} {row.get('unit', '')}{extra}"

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The room benchmark (issue 20).")
    parser.add_argument("--quick", action="store_true", help="3 learners, 8 s: try the harness")
    parser.add_argument("--sizes", help="room sizes, e.g. 10,30")
    parser.add_argument("--seconds", type=float, help="typing time per room")
    parser.add_argument("--own", action="store_true", help="also the own-process room, even past 10 minutes")
    args = parser.parse_args()
    chosen = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    for row in run(args.quick or None, chosen, args.seconds, args.own):
        print(describe(row))
