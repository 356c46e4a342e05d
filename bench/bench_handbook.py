"""Speed of `marker-tui import-handbook` on the 72 KB reference handbook.

Two rows, each against a baseline measured in the same run on the same machine:

* the import itself in-process (read the file, parse it, render the YAML) against
  reading the same file and running one ``re.findall`` over it;
* the command as a person runs it (a new Python process, imports included)
  against starting Python and doing nothing.

Target (issue 3): the whole handbook imports in under 1 second.
Run alone with ``python bench/bench_handbook.py``; ``bench/run.py`` calls ``run()``.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from marker_tui.domain.handbook import parse_handbook  # noqa: E402
from marker_tui.storage.handbook_files import read_handbook_text  # noqa: E402
from marker_tui.storage.spec_writer import import_header, specification_yaml  # noqa: E402

REFERENCE = REPO.parent / "shared" / "reference" / "cg-3818-13-operational-delivery-handbook.md"
FALLBACK = REPO / "tests" / "fixtures" / "handbooks" / "variations.md"


def _median_seconds(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _import(path: Path) -> str:
    result = parse_handbook(read_handbook_text(path))
    return specification_yaml(result.specification or result.data, header=import_header(result, path.name),
                              gaps=result.gaps)


def _scan(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    return len(re.findall(r"\d+\.\d+\s", text))


def run() -> list[dict]:
    handbook = REFERENCE if REFERENCE.exists() else FALLBACK
    size = f"{handbook.stat().st_size / 1024:.0f} KB"
    name = "import handbook" if handbook == REFERENCE else "import handbook (test fixture; reference absent)"
    _import(handbook)  # warm: first-use regex compilation and imports are not the import's speed
    value = _median_seconds(lambda: _import(handbook), repeat=20)
    baseline = _median_seconds(lambda: _scan(handbook), repeat=20)
    rows = [{
        "name": f"{name} ({size}), in-process",
        "value": value,
        "unit": "s",
        "baseline_name": "read + regex-scan the same text",
        "baseline": baseline,
        "ratio": value / baseline if baseline else None,
        "target": "< 1 s",
    }]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "spec.yaml"
        command = [sys.executable, "-c", "from marker_tui.interfaces.cli.main import main; main()",
                   "import-handbook", str(handbook), "-o", str(out)]
        bare = [sys.executable, "-c", "pass"]
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)  # warm the file cache
        value = _median_seconds(lambda: subprocess.run(command, check=True, capture_output=True, cwd=REPO), 5)
        baseline = _median_seconds(lambda: subprocess.run(bare, check=True, capture_output=True), 5)
    rows.append({
        "name": f"marker-tui import-handbook ({size}), whole process",
        "value": value,
        "unit": "s",
        "baseline_name": "start Python and exit",
        "baseline": baseline,
        "ratio": value / baseline if baseline else None,
        "target": "< 1 s",
    })
    return rows


if __name__ == "__main__":
    for row in run():
        print(
            f"{row['name']}: {row['value'] * 1000:.1f} ms (target {row['target']}); "
            f"{row['baseline_name']}: {row['baseline'] * 1000:.1f} ms; ratio {row['ratio']:.1f}x"
        )
