"""Hostile files through the real CLI: exit 1, ONE clear line (file and place), no traceback, bounded cost.

The corpus is ``tests/fixtures/hostile/`` (small files, committed) plus large
files made here at test time (zip bomb, 100,000-question paper, 50,000-deep
nesting...). Each case runs ``marker-tui`` in a child process forked from this
one (the CLI modules are imported once, so a case costs milliseconds, not a
Python start-up), under operating-system limits: 5 CPU seconds and 256 MB more
address space than the process had. A regression that hangs or balloons is
killed by the kernel and fails the test instead of hanging the suite.
"""

from __future__ import annotations

import io
import os
import random
import resource
import signal
import struct
import sys
import traceback
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import marker_tui.interfaces.cli.candidates  # noqa: F401 - imported before forking, so a case is cheap
import marker_tui.interfaces.cli.check  # noqa: F401
import marker_tui.interfaces.cli.handbook  # noqa: F401
import marker_tui.interfaces.cli.marking  # noqa: F401
import marker_tui.services.marking  # noqa: F401
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.demo import build_demo

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
CPU_SECONDS = 5
EXTRA_MEMORY = 256 * 1024 * 1024
ADMIN = ("Ada Admin", "4444")
MARKER = ("Mo Marker", "2222")


@dataclass
class Outcome:
    status: int | None
    signal: int | None
    stdout: str
    stderr: str


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize")


def run_cli(args: list[str], folder: Path, stdin: str = "") -> Outcome:
    """``marker-tui ARGS`` in a forked child under RLIMIT_CPU and RLIMIT_AS; its exit and output."""
    folder = folder / "run"
    folder.mkdir()
    out, err, inp = folder / "stdout", folder / "stderr", folder / "stdin"
    inp.write_text(stdin)
    limit = _address_space() + EXTRA_MEMORY
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS + 1))
            resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
            os.chdir(folder)
            for fd, path, mode in ((0, inp, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                   (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                os.dup2(os.open(path, mode), fd)
            sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
            sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
            sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
            try:
                cli.main(args, prog_name="marker-tui", standalone_mode=True)
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:  # noqa: BLE001 - shown to the test as a traceback, which fails it
            traceback.print_exc()
            code = 70
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _, status = os.waitpid(pid, 0)
    return Outcome(
        status=os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        stdout=out.read_text(errors="replace"),
        stderr=err.read_text(errors="replace"),
    )


# --- large files, made at test time ---------------------------------------------------------


def _plain_docx_parts(folder: Path) -> list[tuple[str, bytes]]:
    import docx

    plain = folder / "plain.docx"
    if not plain.exists():
        document = docx.Document()
        document.add_heading("Unit 304", 1)
        document.save(plain)
    with zipfile.ZipFile(plain) as source:
        return [(e.filename, source.read(e)) for e in source.infolist()]


def _docx_with(folder: Path, name: str, document_xml: bytes) -> Path:
    """A small real .docx (python-docx's template) with its document.xml replaced."""
    target = folder / name
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for part, data in _plain_docx_parts(folder):
            out.writestr(part, document_xml if part == "word/document.xml" else data)
    return target


def _zip_bomb(folder: Path, megabytes: int = 700) -> Path:
    """A ~725 KB .docx whose document.xml unpacks to ``megabytes`` MB of spaces (as the reported one).

    Built by hand from one compressed megabyte repeated (each block after a full
    flush is identical), so making it costs a fraction of a second, not a 700 MB deflate.
    """
    chunk = b" " * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    bomb = first + again * (megabytes - 1) + packer.flush()
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    entries = [(name, zlib.compress(data)[2:-4], zlib.crc32(data), len(data))
               for name, data in _plain_docx_parts(folder) if name != "word/document.xml"]
    entries.append(("word/document.xml", bomb, crc, megabytes << 20))
    target = folder / "zip_bomb.docx"
    central = []
    with open(target, "wb") as out:
        for name, data, crc32, size in entries:
            offset, encoded = out.tell(), name.encode()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc32, len(data), size,
                                  len(encoded), 0) + encoded + data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc32, len(data),
                                       size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
        directory, blob = out.tell(), b"".join(central)
        out.write(blob + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(blob),
                                     directory, 0))
    return target


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:  # gigabytes on paper, nothing on disk
        handle.truncate(size)
    return path


def _symlink(path: Path, to: Path) -> Path:
    path.symlink_to(to)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _write(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def _zip_without_document(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")
    return path


_HEAD = "qualification: 9999-01\nunit: '101'\nversion: '1'\ninstructions: x\nquestions:\n"
MAKERS = {  # large or awkward files, each made only when a case needs it
    "deep": lambda d: _write(d / "deep.yaml", "qualification: " + "[" * 50_000 + "]" * 50_000 + "\n"),
    "many": lambda d: _write(d / "many_questions.yaml", _HEAD + "".join(  # ~9 MB: refused by size
        f"  - {{id: q{i}, outcome: 1, criteria: ['1.1'], command_verb: describe, marks: 1, text: t}}\n"
        for i in range(100_000))),
    "dense": lambda d: _write(d / "dense_questions.yaml", _HEAD + "".join(  # under the size limit
        f"  - {{id: q{i}, marks: 1}}\n" for i in range(9_000))),
    "long_line": lambda d: _write(d / "long_line.yaml", _HEAD.replace("x", "x" * 700_000) + "  []\n"),
    "sparse_yaml": lambda d: _sparse(d / "sparse.yaml", 3 * 1024**3),
    "sparse_csv": lambda d: _sparse(d / "huge.csv", 2 * 1024**3),
    "sparse_md": lambda d: _sparse(d / "huge.md", 2 * 1024**3),
    "binary": lambda d: _write(d / "binary.yaml", bytes(random.Random(14).randrange(256) for _ in range(4096))),
    "utf16": lambda d: _write(d / "utf16.yaml", "qualification: 9999-01\nunits: []\n".encode("utf-16")),
    "utf16_csv": lambda d: _write(d / "utf16.csv", "candidate_number,name\n1001,Ann Lee\n".encode("utf-16")),
    "rows_csv": lambda d: _write(d / "too_many_rows.csv", "candidate_number,name\n" + "".join(
        f"C{i},Learner {i}\n" for i in range(60_000))),
    "loop": lambda d: _symlink(d / "loop_a.yaml", _symlink(d / "loop_b.yaml", d / "loop_a.yaml")),
    "loop_docx": lambda d: _symlink(d / "loop.docx", d / "loop.docx"),
    "dangling": lambda d: _symlink(d / "dangling.csv", d / "nowhere.csv"),
    "dir_docx": lambda d: _folder(d / "folder.docx"),
    "dir_csv": lambda d: _folder(d / "folder.csv"),
    "zip_bomb": _zip_bomb,
    "bad_xml": lambda d: _docx_with(d, "bad_xml.docx", b"<w:document><unclosed"),
    "no_document": lambda d: _zip_without_document(d / "no_document.docx"),
    "text_docx": lambda d: _write(d / "text.docx", "just some text, not a zip"),
    "empty_docx": lambda d: _write(d / "empty.docx", b""),
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile-db") / "centre.db"
    build_demo(path)
    return path


# id -> (args ("{h}" = the committed corpus folder, "{key}" = a file MAKERS makes), who signs in, what the line must say)
CASES = {
    # marker-tui check
    "yaml alias bomb": (["check", "{h}alias_bomb.yaml"], None, ["alias_bomb.yaml:3:", "alias"]),
    "50,000-deep nesting": (["check", "{deep}"], None, ["deep.yaml:1:", "nested more than 32"]),
    "100,000-question paper (9 MB)": (["check", "{many}"], None, ["many_questions.yaml:", "more than the 1.0 MB"]),
    "9,000 questions under the size limit": (["check", "{dense}"], None, ["dense_questions.yaml:", "more than 10,000 values"]),
    "700 KB line": (["check", "{long_line}"], None, ["long_line.yaml:4:", "700,000 characters"]),
    "3 GB sparse file": (["check", "{sparse_yaml}"], None, ["sparse.yaml:", "more than the 1.0 MB"]),
    "weighting .nan": (["check", "{h}nan_weighting.yaml"], None, ["nan_weighting.yaml:21:", "not a number"]),
    "weighting -.inf": (["check", "{h}infinite_weighting.yaml"], None, ["infinite_weighting.yaml:21:", "infinite"]),
    "huge number": (["check", "{h}huge_number.yaml"], None, ["huge_number.yaml:16:", "far larger"]),
    "duplicate key": (["check", "{h}duplicate_key.yaml"], None, ["duplicate_key.yaml:6:", "duplicate key"]),
    "tab indentation": (["check", "{h}tab_indent.yaml"], None, ["tab_indent.yaml:3:", "'\\t'"]),
    "escape sequence": (["check", "{h}control_character.yaml"], None, ["control_character.yaml:4:", "U+001B"]),
    "NUL byte by line": (["check", "{h}nul_byte.yaml"], None, ["nul_byte.yaml:4:", "NUL byte"]),
    "latin-1": (["check", "{h}latin1.yaml"], None, ["latin1.yaml:4:", "not UTF-8"]),
    "UTF-16": (["check", "{utf16}"], None, ["utf16.yaml:1:", "UTF-16"]),
    "random binary": (["check", "{binary}"], None, ["binary.yaml:", "error:"]),
    "empty file": (["check", "{h}empty.yaml"], None, ["empty.yaml:", "empty"]),
    "top-level list": (["check", "{h}top_level_list.yaml"], None, ["top_level_list.yaml:1:", "cannot tell"]),
    "wrong type": (["check", "{h}wrong_type.yaml"], None, ["wrong_type.yaml:5:", "should be a list"]),
    "unclosed quote": (["check", "{h}unclosed_quote.yaml"], None, ["unclosed_quote.yaml:", "YAML syntax error"]),
    "symlink loop": (["check", "{loop}"], None, ["loop_a.yaml", "loops back on itself"]),
    # marker-tui import-handbook
    "751 KB-class zip bomb": (["import-handbook", "{zip_bomb}"], None, ["zip_bomb.docx", "700.0 MB"]),
    "docx with broken XML": (["import-handbook", "{bad_xml}"], None, ["bad_xml.docx", "not a readable .docx"]),
    "docx without a document": (["import-handbook", "{no_document}"], None, ["no_document.docx", "not a readable .docx"]),
    "text named .docx": (["import-handbook", "{text_docx}"], None, ["text.docx", "not a .docx file"]),
    "empty .docx": (["import-handbook", "{empty_docx}"], None, ["empty.docx", "not a .docx file"]),
    "docx symlink loop": (["import-handbook", "{loop_docx}"], None, ["loop.docx", "loops back"]),
    "folder named .docx": (["import-handbook", "{dir_docx}"], None, ["folder.docx", "is a folder"]),
    "handbook with a NUL": (["import-handbook", "{h}handbook_nul.md"], None, ["handbook_nul.md:3:", "NUL byte"]),
    "2 GB handbook": (["import-handbook", "{sparse_md}"], None, ["huge.md", "more than the 10.0 MB"]),
    # marker-tui candidates import / marks import
    "candidates: NUL": (["candidates", "import", "{h}candidates_nul.csv"], ADMIN, ["candidates_nul.csv", "line 2", "NUL"]),
    "candidates: =cmd formula": (["candidates", "import", "{h}candidates_formula.csv"], ADMIN,
                                 ["candidates_formula.csv", "line 2", "formula"]),
    "candidates: latin-1": (["candidates", "import", "{h}candidates_latin1.csv"], ADMIN,
                            ["candidates_latin1.csv", "line 2", "not UTF-8"]),
    "candidates: UTF-16": (["candidates", "import", "{utf16_csv}"], ADMIN, ["utf16.csv", "line 1", "UTF-16"]),
    "candidates: unclosed quote": (["candidates", "import", "{h}candidates_unclosed_quote.csv"], ADMIN,
                                   ["candidates_unclosed_quote.csv", "line 2"]),
    "candidates: 60,000 rows": (["candidates", "import", "{rows_csv}"], ADMIN, ["too_many_rows.csv", "more than the 50,000"]),
    "candidates: 2 GB": (["candidates", "import", "{sparse_csv}"], ADMIN, ["huge.csv", "more than the 10.0 MB"]),
    "candidates: a folder": (["candidates", "import", "{dir_csv}"], ADMIN, ["folder.csv", "folder"]),
    "candidates: dangling link": (["candidates", "import", "{dangling}"], ADMIN, ["dangling.csv", "does not exist"]),
    "marks: formula comment": (["marks", "import", "305-DEMO", "{h}marks_formula.csv"], MARKER,
                               ["marks_formula.csv", "line 2", "comment", "formula"]),
    "marks: NUL": (["marks", "import", "305-DEMO", "{h}marks_nul.csv"], MARKER, ["marks_nul.csv", "line 2", "NUL"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_file_gets_one_clear_line_and_exit_1(case, demo_db, tmp_path):
    args, who, expected = CASES[case]
    names = {"h": f"{HOSTILE}/"}
    for arg in args:
        key = arg.strip("{}")
        if arg.startswith("{") and key in MAKERS:
            names[key] = str(MAKERS[key](tmp_path))
    argv = ["--db", str(demo_db)] + [a.format(**names) for a in args]
    stdin = ""
    if who is not None:
        argv += ["--by", who[0], "--pin-stdin"]
        stdin = who[1] + "\n"
    result = run_cli(argv, tmp_path, stdin)

    assert result.signal is None, f"killed by {signal.Signals(result.signal).name} (over the CPU or memory limit)"
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-2000:]
    assert result.status == 1, (result.status, result.stderr[-500:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines[:5]
    line = lines[0]
    assert len(line) < 600, f"error line is {len(line)} characters"
    for words in expected:
        assert words in line, line
    if who is not None or args[0] == "check":
        assert "(fix:" in line or "fix it" in line, line  # says what to do, not only what is wrong
