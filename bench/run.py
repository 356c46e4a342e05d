"""Run every benchmark and print each figure next to its same-run baseline.

Every ``bench/bench_*.py`` module has a ``run() -> list[dict]``; each dict is
one figure::

    name           what was measured                       (required)
    value          the figure                              (required, number)
    unit           "ms", "s", "saves" ...
    baseline_name  what it is compared with, measured in the same run
    baseline       the baseline's figure
    ratio          value / baseline (computed here if missing)
    target         the target, as text ("<= 50 ms", "ratio <= 1.5", "0")
    ok             True/False if the module judged the target (optional)

Usage::

    make bench                                  # everything but the room (make bench-room)
    .venv/bin/python bench/run.py --only saves  # bench_saves.py only (repeatable)
    .venv/bin/python bench/run.py --json        # machine-readable

Exit status: 1 if a benchmark failed to run or a figure missed a target it
judged (``ok`` is False), else 0. Figures depend on the machine and on what
else it is doing; the 1-minute load average is printed with the results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COLUMNS = ["name", "value", "unit", "baseline", "baseline value", "ratio", "target", "ok"]


OWN_TARGET = {"room"}
"""Benchmarks with their own make target (``make bench-room``): run only when named with --only."""


def discover(only: list[str]) -> list[Path]:
    files = sorted(BENCH.glob("bench_*.py"))
    if not only:
        return [f for f in files if f.stem.removeprefix("bench_") not in OWN_TARGET]
    wanted = {o.removeprefix("bench_").removesuffix(".py") for o in only}
    chosen = [f for f in files if f.stem.removeprefix("bench_") in wanted]
    missing = wanted - {f.stem.removeprefix("bench_") for f in chosen}
    if missing:
        known = ", ".join(f.stem.removeprefix("bench_") for f in files)
        raise SystemExit(f"no benchmark called {', '.join(sorted(missing))}; known: {known}")
    return chosen


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses (and pickling) look a class's module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _number(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def normalise(row: dict, source: str) -> dict:
    value, baseline = row.get("value"), row.get("baseline")
    ratio = row.get("ratio")
    if "ratio" not in row and isinstance(value, (int, float)) and isinstance(baseline, (int, float)) and baseline:
        ratio = value / baseline
    return {
        "bench": source,
        "name": row["name"],
        "value": value,
        "unit": row.get("unit", ""),
        "baseline_name": row.get("baseline_name"),
        "baseline": baseline,
        "ratio": ratio,
        "target": row.get("target"),
        "ok": row.get("ok"),
    }


def table(rows: list[dict]) -> str:
    cells = [[
        r["name"],
        _number(r["value"]),
        r["unit"] or "",
        r["baseline_name"] or "-",
        _number(r["baseline"]),
        "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
        r["target"] or "-",
        _number(r["ok"]),
    ] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(COLUMNS)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run marker-tui's benchmarks.")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="Run only bench_NAME.py (repeatable), e.g. --only saves")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--quick", action="store_true",
                        help="Small sizes and short runs where a bench offers them (BENCH_QUICK=1), e.g. the room")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"

    rows: list[dict] = []
    failures: list[str] = []
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    started = time.monotonic()
    for path in discover(args.only):
        if not args.json:
            print(f"running {path.name} ...", file=sys.stderr, flush=True)
        try:
            module = load(path)
            produced = module.run()
            rows += [normalise(r, path.stem) for r in produced]
        except Exception:  # noqa: BLE001 - one broken bench must not hide the others
            failures.append(f"{path.name} failed:\n{traceback.format_exc()}")
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    if args.json:
        print(json.dumps({"figures": rows, "failures": failures, "load_average": [load_before, load_after]},
                         indent=2, default=str))
    else:
        print(table(rows))
        if load_before is not None:
            print(f"\n{len(rows)} figures in {time.monotonic() - started:.0f} s on {os.cpu_count()} CPUs; "
                  f"1-minute load average {load_before:.1f} before, {load_after:.1f} after "
                  "(other work on the machine makes latency figures worse).")
        for failure in failures:
            print(f"\n{failure}", file=sys.stderr)
    missed = [r["name"] for r in rows if r["ok"] is False]
    if missed and not args.json:
        print("\nMissed targets: " + "; ".join(missed), file=sys.stderr)
    return 1 if failures or missed else 0


if __name__ == "__main__":
    sys.exit(main())
