"""Every command the README shows works as printed.

* Every fenced ``sh`` block is run by bash, as printed, in an empty folder
  against a freshly built demo centre (the default database of a new user, here
  chosen with MARKER_TUI_DB), and must exit 0; what the commands say they do is
  then checked in the files and the database. A block of ``make`` targets is
  skipped: ``make run`` opens the application and ``make test`` is this suite.
* Every backticked ``marker-tui ...`` command anywhere in the README (and each
  command of the Commands table, placeholders and all) must name real commands
  and options, and its ``--help`` must work: those that open an interactive
  screen, or need a centre's own files, are checked that way instead of run.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import docx
import pytest
from click.testing import CliRunner

from marker_tui.interfaces.cli.main import cli

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"^\s*```sh\n(.*?)^\s*```", text, flags=re.S | re.M)


def synopses(text: str) -> list[str]:
    """Every backticked marker-tui command; a Commands-table cell's bare ``invigilate CODE`` too."""
    found = []
    for line in text.splitlines():
        cell = line.split(" | ")[0] if line.startswith("| `") else None
        for piece in re.findall(r"`([^`]+)`", line):
            piece = piece.replace("\\|", "|")
            if (cell is not None and piece in cell.replace("\\|", "|") and not piece.startswith("marker-tui")
                    and re.match(r"[a-z]", piece)):
                piece = "marker-tui " + piece
            if piece == "marker-tui" or piece.startswith("marker-tui "):
                found.append(piece)
    out = []
    for piece in found:  # "marker-tui sitting enrol / open / start" is three commands
        first, *others = [p.strip() for p in piece.split(" / ")]
        out.append(first)
        stem = first.rsplit(" ", 1)[0]
        out += [f"{stem} {other}" for other in others]
    return out


def resolve(synopsis: str) -> tuple[list[str], list[click.Command], list[str]]:
    """The command path a synopsis names, the commands along it and the words after it."""
    words = synopsis.split()[1:]
    path, chain = [], [cli]
    ctx = click.Context(cli)
    while words:
        command = chain[-1]
        if words[0].startswith("-"):
            option = words[0].lstrip("[").split("=")[0]
            takes_value = any(option in p.opts and not getattr(p, "is_flag", False) for p in command.params
                              if isinstance(p, click.Option))
            if command is cli and takes_value and len(words) > 1:  # marker-tui --db PATH ...
                words = words[2:]
                continue
        if not isinstance(command, click.Group):
            break
        sub = command.get_command(ctx, words[0])
        if sub is None:
            break
        path.append(words.pop(0))
        chain.append(sub)
    return path, chain, words


@pytest.mark.parametrize("synopsis", sorted(set(synopses(README.read_text(encoding="utf-8")))))
def test_every_command_the_readme_names_exists_with_its_options(synopsis):
    path, chain, rest = resolve(synopsis)
    command = chain[-1]
    if isinstance(command, click.Group) and not command.invoke_without_command:
        assert rest[:1] in (["..."], ["COMMAND"]) or not rest, f"{synopsis!r}: {rest[:1]} is not a command of it"
    known = {opt for c in chain for p in c.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    known |= {"--help"}
    for word in rest:
        option = word.strip("[]").split("=")[0]
        if re.fullmatch(r"--?[a-z][a-z0-9-]*", option):
            assert option in known, f"{synopsis!r}: marker-tui {' '.join(path)} has no option {option}"
    shown = CliRunner().invoke(cli, [*path, "--help"])
    assert shown.exit_code == 0 and "Usage:" in shown.output, (synopsis, shown.output)


def test_the_readme_names_every_command_marker_tui_has():
    named = {" ".join(resolve(s)[0][:1]) for s in synopses(README.read_text(encoding="utf-8"))}
    assert set(cli.list_commands(click.Context(cli))) <= named


@pytest.fixture
def demo_folder(tmp_path: Path) -> Path:
    from marker_tui.services.demo import build_demo

    build_demo(tmp_path / "centre" / "demo.db")
    work = tmp_path / "work"
    work.mkdir()
    return work


@pytest.mark.slow
def test_every_sh_block_of_the_readme_runs_as_printed_against_the_demo_centre(demo_folder):
    blocks = sh_blocks(README.read_text(encoding="utf-8"))
    runnable = [b for b in blocks if not all(line.startswith("make ") for line in b.splitlines() if line.strip())]
    assert len(blocks) - len(runnable) == 1, "only the make block is skipped (make run opens the app)"
    db = demo_folder.parent / "centre" / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKER_TUI")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(demo_folder), MARKER_TUI_DB=str(db),
               MARKER_TUI_EXPORTS=str(demo_folder / "exports"))
    for block in runnable:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=demo_folder, env=env,
                              capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, f"README block failed:\n{block}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr

    # ...and each did what the README says it does.
    with open(demo_folder / "results.csv", encoding="utf-8-sig", newline="") as f:
        results = list(csv.DictReader(f))
    assert len(results) >= 9
    assert list((demo_folder / "feedback").glob("*.docx"))
    record = docx.Document(demo_folder / "iqa.docx")
    words = "\n".join([p.text for p in record.paragraphs]
                      + [c.text for t in record.tables for r in t.rows for c in r.cells])
    assert "Sampling plan" in words and "Every fail" in words
    assert (demo_folder / "audit.csv").read_text(encoding="utf-8-sig").count("\n") > 10
    for pin_file in demo_folder.glob("*.pin"):
        assert pin_file.stat().st_mode & 0o077 == 0, f"{pin_file.name} is readable by others"
    with sqlite3.connect(demo_folder / "backups" / "demo.db") as backup:
        assert backup.execute("SELECT count(*) FROM staff WHERE name = 'Mo Two'").fetchone()[0] == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM sittings WHERE code = '304-DEMO'").fetchone()[0] == "ended"
        assert conn.execute("SELECT count(*) FROM scripts s JOIN sittings si ON si.id = s.sitting_id"
                            " JOIN candidates c ON c.id = s.candidate_id"
                            " WHERE si.code = '304-MON' AND c.candidate_number = '2001'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM iqa_plans").fetchone()[0] == 1
        actions = {r[0] for r in conn.execute("SELECT action FROM audit_log WHERE details LIKE '%\"cli %'")}
    assert "staff signed in" in actions
