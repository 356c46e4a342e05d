"""The learner's terminal against a bare Textual app (Header + TextArea + Footer), same run, same machine.

Two baselines: the bare app, and (issue 20) the same bare app that also imports the stack the
learner is built on (pydantic, sqlite-utils, click) before it starts. Figures (issues 5 and 20):

* **launch**: from spawning the process to the learner's first interactive
  screen (``marker-tui sit CODE --candidate N`` opens on the log-in form, waiting for the keycode),
  against spawning a bare app to its first screen. Median of several launches,
  alternating the kinds. Targets: ratio <= 2.0 against the bare app, <= 1.3
  against the bare app with the stack imported.
* **key latency**: typing at the end of a 3,000-word answer, the time from a
  key event reaching the app to the first screen update showing it (the
  cursor has moved), p95 over 400 keys typed at ~30 keys/s (so the autosave
  writer really saves while the learner types), in rounds of 100 that
  alternate with the baseline: the bare TextArea holding the same text.
  Target: p95 ratio <= 1.5.
* **peak memory**: peak RSS of the whole learner session (launch, log in, the
  3,000-word answer loaded, the typing above) against the bare app doing the
  same typing, read with ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process
  that runs only that one child. Target: ratio <= 1.15 against the bare app with
  the stack imported (issue 20); the old figure against the bare app alone
  (target 1.5, issue 5) is kept for continuity.

Both apps run headless at 80x24 under ``App.run_test`` in their own fresh
Python process. The learner's database is a real file with a running sitting
and the answer already saved (a learner resuming mid-way).

Runnable alone: ``.venv/bin/python bench/bench_learner.py``; ``bench/run.py`` calls ``run()``.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CODE = "BENCH-1"
CANDIDATE = "1001"
WORDS = 3000
KEYS = 100
"""Keys typed per round; rounds alternate bare / learner so both see the same load on the machine."""
ROUNDS = 4
KEY_GAP_SECONDS = 0.03
LAUNCHES = 7
KEYCODE_SEED = "bench"


def desk():
    """One terminal for every process of this bench: each learner run resumes the script on the same
    desk (a new terminal would have to wait for the last one's lease to lapse)."""
    from marker_tui.services.terminal import Terminal

    return Terminal.named("bench", "desk")


def keycode() -> str:
    """The candidate's keycode, as the admission slip gives it (issued with a fixed seed)."""
    from marker_tui.domain.admission import derived_keycode

    return derived_keycode(KEYCODE_SEED, CODE, CANDIDATE)
SIZE = (80, 24)


def answer_text(words: int = WORDS) -> str:
    """A realistic long answer: sentences of ordinary words, a new paragraph every 80-160 words."""
    rng = random.Random(5)
    vocabulary = ("the learner must explain why a safe system of work protects staff and customers when "
                  "processing claims under pressure while keeping records accurate and secure at all times "
                  "because errors cost money trust and time").split()
    paragraphs, sentences, sentence = [], [], []
    in_paragraph, paragraph_length = 0, rng.randint(80, 160)
    for _ in range(words):
        sentence.append(rng.choice(vocabulary))
        in_paragraph += 1
        if len(sentence) >= rng.randint(8, 18):
            sentences.append(" ".join(sentence).capitalize() + ".")
            sentence = []
            if in_paragraph >= paragraph_length:
                paragraphs.append(" ".join(sentences))
                sentences, in_paragraph, paragraph_length = [], 0, rng.randint(80, 160)
    if sentence:
        sentences.append(" ".join(sentence).capitalize() + ".")
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


# --- the database ------------------------------------------------------------------------------------


def build_database(path: Path) -> None:
    """Staff, one candidate, a stored paper, a running sitting, and a 3,000-word saved answer."""
    sys.path.insert(0, str(ROOT / "tests"))
    from sitting_fixtures import ADMIN, small_paper, small_scheme

    from marker_tui.domain.clock import SystemClock
    from marker_tui.services.candidates import CandidateService
    from marker_tui.services.papers import PaperService
    from marker_tui.services.learner import LearnerService
    from marker_tui.services.invigilation import SittingService
    from marker_tui.services.staff import StaffService
    from marker_tui.storage.database import open_database

    clock = SystemClock()
    db = open_database(path)
    StaffService(db, clock).add(ADMIN, ["admin"], "4826", by=None)
    CandidateService(db, clock).add(CANDIDATE, "Amira Khan", by=ADMIN)
    paper = PaperService(db, clock).store(small_paper(180), small_scheme())
    sittings = SittingService(db, clock)
    sittings.create_sitting(paper.id, by=ADMIN, code=CODE)
    sittings.enrol(CODE, [CANDIDATE], by=ADMIN)
    sittings.issue_keycodes(CODE, by=ADMIN, seed=KEYCODE_SEED)
    sittings.open(CODE, by=ADMIN)
    session = LearnerService(db, clock, desk()).login(CODE, CANDIDATE, keycode())
    sittings.start(CODE, by=ADMIN)
    LearnerService(db, clock, desk()).save_answer(session.script_id, "1", answer_text())
    db.close()


def reset_answer(path: Path) -> None:
    """Put the 3,000-word answer back as it was (each learner run types into it and saves)."""
    from marker_tui.domain.clock import SystemClock
    from marker_tui.services.learner import LearnerService
    from marker_tui.services.invigilation import SittingService
    from marker_tui.storage.database import open_database

    db = open_database(path)
    script = SittingService(db, SystemClock()).status(CODE).candidates[0].script_id
    LearnerService(db, SystemClock(), desk()).save_answer(script, "1", answer_text())
    db.close()


# --- the child processes ----------------------------------------------------------------------------


async def _type_and_time(app, editor, keys: int) -> list[float]:
    """Send keys one by one; for each, the time until the first screen update after the cursor moved."""
    from textual import events

    state: dict = {"waiting": False, "before": None, "event": asyncio.Event()}
    original = app._display

    def display(screen, renderable):
        original(screen, renderable)
        if state["waiting"] and editor.cursor_location != state["before"]:
            state["waiting"] = False
            state["event"].set()

    app._display = display
    text = "and the invigilator checks every record carefully "
    latencies = []
    for i in range(keys):
        ch = text[i % len(text)]
        key = "space" if ch == " " else ch
        state["before"] = editor.cursor_location
        state["event"].clear()
        state["waiting"] = True
        event = events.Key(key, ch)
        event.set_sender(app)
        start = time.perf_counter()
        app._driver.send_message(event)
        await asyncio.wait_for(state["event"].wait(), 5)
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(KEY_GAP_SECONDS)
    app._display = original
    return latencies


async def _learner_child(mode: str, db: str) -> dict:
    # What `marker-tui sit CODE --candidate N` loads and builds (sitting_screens.sit), run headless.
    import marker_tui.interfaces.cli.main  # noqa: F401  (the CLI entry point is part of the launch)
    from marker_tui.interfaces.cli.process_memory import give_back_large_blocks
    from marker_tui.services.centre import Centre
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.screens import learner

    ready = asyncio.Event()
    original_mount = learner.LearnerLoginScreen.on_mount

    def on_mount(self) -> None:
        original_mount(self)
        self.call_after_refresh(ready.set)

    learner.LearnerLoginScreen.on_mount = on_mount
    give_back_large_blocks()
    centre = Centre.open(db, create=False, terminal=desk())
    app = MarkerApp(centre, start=learner.LearnerLoginScreen(CODE, CANDIDATE, locked=True))
    app.cursor_blink = False
    result: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        await ready.wait()
        print("READY", flush=True)
        if mode == "full":
            await pilot.press(*keycode(), "enter")
            while not isinstance(app.screen, learner.ConfirmNameDialog):
                await pilot.pause()
            await pilot.press("y")
            screen = app.screen
            while not isinstance(screen, learner.LearnerSittingScreen) or screen.phase != "writing":
                await pilot.pause()
                screen = app.screen
            editor = screen.editor
            assert len(editor.text.split()) >= WORDS, "the long answer was not loaded"
            result["latencies"] = await _type_and_time(app, editor, KEYS)
            result["saved"] = screen.writer.wait_idle(10)
            app.lift_lockdown()
    centre.close()
    return result


async def _bare_child(mode: str, stack: bool = False) -> dict:
    if stack:  # the libraries the learner is built on, loaded as the learner's own modules load them
        import click  # noqa: F401
        import sqlite_utils  # noqa: F401
        # `import pydantic` alone loads a lazy shim (its models come on first use): a learner's
        # modules define models, so the baseline loads what defining one loads.
        from pydantic import BaseModel  # noqa: F401
    from textual.app import App
    from textual.widgets import Footer, Header, TextArea

    ready = asyncio.Event()

    class Bare(App):
        def compose(self):
            yield Header()
            yield TextArea(soft_wrap=True, id="editor")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(ready.set)

    app = Bare()
    result: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        await ready.wait()
        print("READY", flush=True)
        if mode == "full":
            editor = app.query_one("#editor", TextArea)
            editor.cursor_blink = False
            editor.load_text(answer_text())
            last = editor.document.line_count - 1
            editor.move_cursor((last, len(editor.document.get_line(last))))
            editor.focus()
            await pilot.pause()
            result["latencies"] = await _type_and_time(app, editor, KEYS)
    return result


def _child(kind: str, mode: str, db: str) -> None:
    result = asyncio.run(_learner_child(mode, db) if kind == "learner" else _bare_child(mode, kind == "stack"))
    print("RESULT " + json.dumps(result), flush=True)


def _wrap(kind: str, mode: str, db: str) -> None:
    """Run one child; report its launch time and its peak RSS (the only child of this process)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child", kind, mode, db], stdout=subprocess.PIPE,
                             text=True, cwd=ROOT)
    launch, result = None, {}
    for line in child.stdout:
        if line.startswith("READY") and launch is None:
            launch = time.perf_counter() - start
        elif line.startswith("RESULT "):
            result = json.loads(line[7:])
    if child.wait() != 0:
        raise SystemExit(f"{kind} child failed")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"launch": launch, "peak_kb": peak_kb, **result}))


def _measure(kind: str, mode: str, db: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--wrap", kind, mode, str(db)], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def _compile_bytecode() -> None:
    """Measure the learner as installed: from compiled bytecode (``make bytecode``), like the bare app's Textual.

    Where PYTHONDONTWRITEBYTECODE is set Python never writes it, and every launch would compile our modules.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "marker_tui")], check=True,
                   stdout=subprocess.DEVNULL)


KINDS = ("bare", "stack", "learner")
"""The bare app, the bare app with the learner's stack imported, the learner: each round runs all three."""


def run() -> list[dict]:
    _compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        build_database(db)
        for kind in KINDS:  # warm the file cache for all
            _measure(kind, "launch", db)
        launch: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for _ in range(LAUNCHES):
            for kind in KINDS:
                launch[kind].append(_measure(kind, "launch", db)["launch"])
        keys: dict[str, list[float]] = {kind: [] for kind in KINDS}
        peak: dict[str, int] = {kind: 0 for kind in KINDS}
        for _ in range(ROUNDS):
            for kind in KINDS:
                if kind == "learner":
                    reset_answer(db)
                measured = _measure(kind, "full", db)
                keys[kind] += measured["latencies"]
                peak[kind] = max(peak[kind], measured["peak_kb"])
    launch_value, launch_bare, launch_stack = (statistics.median(launch[k]) for k in ("learner", "bare", "stack"))
    key_value, key_base = _p95(keys["learner"]) * 1000, _p95(keys["bare"]) * 1000
    mem_value, mem_bare, mem_stack = (peak[k] / 1024 for k in ("learner", "bare", "stack"))

    def row(name, value, unit, baseline_name, baseline, limit):
        return {"name": name, "value": value, "unit": unit, "baseline_name": baseline_name, "baseline": baseline,
                "ratio": value / baseline, "target": f"ratio <= {limit}", "ok": value / baseline <= limit}

    bare, stack = "bare Header+TextArea+Footer app", "the bare app with pydantic, sqlite-utils and click imported"
    return [
        row("learner: launch to first interactive screen", launch_value, "s", bare, launch_bare, 2.0),
        row("learner: launch to first interactive screen", launch_value, "s", stack, launch_stack, 1.3),
        {**row(f"learner: key-to-screen p95, {WORDS:,}-word answer", key_value, "ms", "bare TextArea, same text",
               key_base, 1.5), "target": "p95 ratio <= 1.5"},
        row("learner: peak memory (launch, resume, typing)", mem_value, "MB", f"{stack}, same typing",
            mem_stack, 1.15),
        row("learner: peak memory (launch, resume, typing; the old figure)", mem_value, "MB",
            "bare app, same typing", mem_bare, 1.5),
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "--wrap":
        _wrap(*sys.argv[2:5])
    else:
        for row in run():
            print(f"{row['name']}: {row['value']:.3g} {row['unit']} vs {row['baseline_name']} "
                  f"{row['baseline']:.3g} {row['unit']}: ratio {row['ratio']:.2f} (target {row['target']})"
                  f"{'' if row['ok'] else '  MISSED'}")
