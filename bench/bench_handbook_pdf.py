"""Speed of `marker-tui import-handbook` on the largest real handbook, a 224-page PDF.

One row: the import in-process (PDFium word boxes, pages joined, parsed, YAML rendered)
against extracting the same PDF's plain text alone with the same library (PDFium's
text of every page, no positions), measured in the same run.

Target (issue 16): under 10 s on this machine. The handbook is test input that is never
in the repository (../shared/reference/handbooks/, or MARKER_TUI_REFERENCE_DIR/handbooks/);
where it is absent (CI) the row says so and the bench is skipped.
Run alone with ``python bench/bench_handbook_pdf.py``; ``bench/run.py`` calls ``run()``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from marker_tui.domain.handbook import parse_handbook  # noqa: E402
from marker_tui.storage.handbook_pdf import read_handbook  # noqa: E402
from marker_tui.storage.spec_writer import import_header, specification_yaml  # noqa: E402

from bench.bench_handbook import _median_seconds  # noqa: E402  (the same timing as the text import)



def _reference_dir() -> Path:
    """As the tests find it: beside the repository, or beside the main checkout for a
    git worktree under ../wt/; MARKER_TUI_REFERENCE_DIR overrides it."""
    if os.environ.get("MARKER_TUI_REFERENCE_DIR"):
        return Path(os.environ["MARKER_TUI_REFERENCE_DIR"])
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "reference").is_dir():
            return base / "shared" / "reference"
    return REPO.parent / "shared" / "reference"


HANDBOOK = _reference_dir() / "handbooks" / "cg-2357-handbook-v6-1.pdf"
TARGET_SECONDS = 10.0


def _import(path: Path) -> str:
    text, pages = read_handbook(path)
    result = parse_handbook(text, pages)
    return specification_yaml(result.data, header=import_header(result, path.name), gaps=result.gaps)


def _plain_text(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        characters = 0
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            characters += len(textpage.get_text_range())
            textpage.close()
            page.close()
        return characters
    finally:
        document.close()


def run() -> list[dict]:
    if not HANDBOOK.is_file():
        message = f"skipped: {HANDBOOK} is not present (real handbooks are local test input only)"
        print(f"bench_handbook_pdf: {message}", file=sys.stderr)
        return [{"name": f"import 224-page PDF handbook: {message}", "value": None, "unit": "s",
                 "target": f"< {TARGET_SECONDS:.0f} s"}]
    _import(HANDBOOK)  # warm: the file cache, PDFium's load and first-use regex compilation
    value = _median_seconds(lambda: _import(HANDBOOK), repeat=3)
    baseline = _median_seconds(lambda: _plain_text(HANDBOOK), repeat=3)
    return [{
        "name": f"import-handbook {HANDBOOK.name} (224 pages), in-process",
        "value": value,
        "unit": "s",
        "baseline_name": "PDFium plain text of every page",
        "baseline": baseline,
        "ratio": value / baseline if baseline else None,
        "target": f"< {TARGET_SECONDS:.0f} s",
        "ok": value < TARGET_SECONDS,
    }]


if __name__ == "__main__":
    for row in run():
        if row["value"] is None:
            print(row["name"])
            continue
        print(f"{row['name']}: {row['value']:.2f} s (target {row['target']}); "
              f"{row['baseline_name']}: {row['baseline']:.2f} s; ratio {row['ratio']:.1f}x")
