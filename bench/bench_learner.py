"""The learner's terminal against a bare Textual app (Header + TextArea + Footer), same run, same machine.

Three figures (issue 5):

* **launch**: from spawning the process to the learner's first interactive
  screen (``marker-tui sit CODE --candidate N`` opens on "Is this you?"),
  against spawning a bare app to its first screen. Median of several launches,
  alternating the two. Target: ratio <= 2.0.
* **key latency**: typing at the end of a 3,000-word answer, the time from a
  key event reaching the app to the first screen update showing it (the
  cursor has moved), p95 over 400 keys typed at ~30 keys/s (so the autosave
  writer really saves while the learner types), in rounds of 100 that
  alternate with the baseline: the bare TextArea holding the same text.
  Target: p95 ratio <= 1.5.
* **peak memory**: peak RSS of the whole learner session (launch, log in, the
  3,000-word answer loaded, the typing above) against the bare app doing the
  same typing, read with ``getrusage(RUSAGE_CHILDREN)`` in a wrapper process
  that runs only that one child. Target: ratio <= 1.5.

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
    sittings.open(CODE, by=ADMIN)
    session = LearnerService(db, clock).login(CODE, CANDIDATE)
    sittings.start(CODE, by=ADMIN)
    LearnerService(db, clock).save_answer(session.script_id, "1", answer_text())
    db.close()


def reset_answer(path: Path) -> None:
    """Put the 3,000-word answer back as it was (each learner run types into it and saves)."""
    from marker_tui.domain.clock import SystemClock
    from marker_tui.services.learner import LearnerService
    from marker_tui.services.invigilation import SittingService
    from marker_tui.storage.database import open_database

    db = open_database(path)
    script = SittingService(db, SystemClock()).status(CODE).candidates[0].script_id
    LearnerService(db, SystemClock()).save_answer(script, "1", answer_text())
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
    from marker_tui.services.centre import Centre
    from marker_tui.interfaces.tui.app import MarkerApp
    from marker_tui.interfaces.tui.screens import learner

    ready = asyncio.Event()
    original_mount = learner.ConfirmNameDialog.on_mount

    def on_mount(self) -> None:
        original_mount(self)
        self.call_after_refresh(ready.set)

    learner.ConfirmNameDialog.on_mount = on_mount
    centre = Centre.open(db, create=False)
    app = MarkerApp(centre, start=learner.LearnerLoginScreen(CODE, CANDIDATE, locked=True))
    app.cursor_blink = False
    result: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        await ready.wait()
        print("READY", flush=True)
        if mode == "full":
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


async def _bare_child(mode: str) -> dict:
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
    result = asyncio.run(_learner_child(mode, db) if kind == "learner" else _bare_child(mode))
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


def run() -> list[dict]:
    _compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        build_database(db)
        _measure("bare", "launch", db)  # warm the file cache for both
        _measure("learner", "launch", db)
        learner_launch, bare_launch = [], []
        for _ in range(LAUNCHES):
            bare_launch.append(_measure("bare", "launch", db)["launch"])
            learner_launch.append(_measure("learner", "launch", db)["launch"])
        bare_keys, learner_keys, bare_peak, learner_peak = [], [], 0, 0
        for _ in range(ROUNDS):
            bare = _measure("bare", "full", db)
            reset_answer(db)
            learner = _measure("learner", "full", db)
            bare_keys += bare["latencies"]
            learner_keys += learner["latencies"]
            bare_peak, learner_peak = max(bare_peak, bare["peak_kb"]), max(learner_peak, learner["peak_kb"])
    launch_value, launch_base = statistics.median(learner_launch), statistics.median(bare_launch)
    key_value, key_base = _p95(learner_keys) * 1000, _p95(bare_keys) * 1000
    mem_value, mem_base = learner_peak / 1024, bare_peak / 1024
    return [
        {"name": "learner: launch to first interactive screen", "value": launch_value, "unit": "s",
         "baseline_name": "bare Header+TextArea+Footer app", "baseline": launch_base,
         "ratio": launch_value / launch_base, "target": "ratio <= 2.0", "ok": launch_value / launch_base <= 2.0},
        {"name": f"learner: key-to-screen p95, {WORDS:,}-word answer", "value": key_value, "unit": "ms",
         "baseline_name": "bare TextArea, same text", "baseline": key_base,
         "ratio": key_value / key_base, "target": "p95 ratio <= 1.5", "ok": key_value / key_base <= 1.5},
        {"name": "learner: peak memory (launch, resume, typing)", "value": mem_value, "unit": "MB",
         "baseline_name": "bare app, same typing", "baseline": mem_base,
         "ratio": mem_value / mem_base, "target": "ratio <= 1.5", "ok": mem_value / mem_base <= 1.5},
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
