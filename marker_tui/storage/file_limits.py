"""Reading files a person hands us, within limits, so a hostile file cannot hang or exhaust the host.

Every file marker-tui reads on someone's say-so (assessment YAML, handbooks,
candidates and marks CSV) is read through :func:`read_bounded`, which refuses
before reading a byte too many: a missing path, a symlink loop, a folder, a
device or pipe, a file over the size limit. :func:`located_text` then decodes
it as UTF-8 (a byte-order mark is fine) and refuses a NUL byte or bad encoding
*by line*, as a person looks for it in an editor.

The limits are generous multiples of real files (a shipped paper is ~10 KB, a
handbook .docx ~2 MB, a class list a few KB): they exist to stop attacks, not
to constrain centres. Each refusal is a :class:`FileRefused` whose message is
one line naming the file, the place and the fix.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

KB = 1024
MB = 1024 * KB

YAML_MAX_BYTES = 1 * MB
"""An assessment YAML file (specification, paper, mark scheme); the largest shipped is 35 KB."""
YAML_MAX_NODES = 10_000
"""Values (scalars, lists, mappings) in one YAML file: the shipped specification has ~1,000.
The YAML parser is pure Python (~20,000 values a second), so this bounds the time spent."""
YAML_MAX_DEPTH = 32
"""Nesting of mappings and lists: our deepest real file goes about 6 deep."""
YAML_MAX_ITEMS = 2_000
"""Entries in any one list or mapping (units, outcomes, points...)."""
PAPER_MAX_QUESTIONS = 500
"""Questions in one paper (or mark scheme): real papers have 5 to 40."""
YAML_MAX_TEXT = 50_000
"""Characters in one text value (a question's context is the longest, ~2,000)."""
YAML_MAX_NUMBER = 1_000_000_000
"""Largest number accepted in a file (marks, minutes, credits are all far below)."""

HANDBOOK_TEXT_MAX_BYTES = 10 * MB
DOCX_MAX_BYTES = 50 * MB
DOCX_MAX_ENTRIES = 2_000
DOCX_MAX_XML_BYTES = 5 * MB
"""Uncompressed size of one XML part (document.xml of a 100-page handbook is 1-3 MB)."""
DOCX_MAX_ENTRY_BYTES = 40 * MB
"""Uncompressed size of any other part (an embedded picture)."""
DOCX_MAX_TOTAL_BYTES = 80 * MB
DOCX_MAX_BLOCKS = 50_000
"""Paragraphs and tables in a handbook .docx (a 100-page handbook has ~3,000)."""
DOCX_MAX_RATIO = 100
"""Compression ratio of one part; text XML compresses ~10:1, a zip bomb 1000:1 and more."""

CSV_MAX_BYTES = 10 * MB
CSV_MAX_ROWS = 50_000

MESSAGE_MAX_CHARS = 400
"""Longest value quoted inside a message: a hostile value must not make a 700 KB error line."""


class FileRefused(ValueError):
    """A file cannot be read safely; ``str()`` is the one-line message (file, place, fix)."""

    def __init__(self, path: Path | str, message: str, *, line: int | None = None, fix: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        self.fix = fix
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {message}" + (f" (fix: {fix})" if fix else ""))


def shorten(text: object, limit: int = MESSAGE_MAX_CHARS) -> str:
    """``text`` cut to ``limit`` characters with how much was left out, on one line."""
    value = str(text).replace("\r", "\\r").replace("\n", "\\n")
    if len(value) <= limit:
        return value
    return f"{value[:limit]}… ({len(value) - limit:,} more characters)"


def human_size(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size / KB:.0f} KB" if size >= KB else f"{size} bytes"


def check_openable(path: Path, *, what: str = "file") -> os.stat_result:
    """The file's status, or :class:`FileRefused` saying exactly why it cannot be a ``what``."""
    path = Path(path)
    try:
        info = os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FileRefused(path, "is a symbolic link that loops back on itself",
                              fix="point the link at a real file, or give the file's own path") from None
        if error.errno == errno.ENOENT:
            if path.is_symlink():
                raise FileRefused(path, "is a symbolic link to a file that does not exist",
                                  fix="point the link at a real file") from None
            raise FileRefused(path, "no such file", fix="check the path") from None
        if error.errno in (errno.EACCES, errno.EPERM):
            raise FileRefused(path, "permission denied", fix="make the file readable by this account") from None
        if error.errno == errno.ENAMETOOLONG:
            raise FileRefused(shorten(path, 200), "the path is too long", fix="check the path") from None
        raise FileRefused(path, f"cannot be read ({error.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise FileRefused(path, f"is a folder, not a {what}", fix=f"give the path of the {what} itself")
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, f"is not an ordinary file (a device, pipe or socket), not a {what}",
                          fix=f"save the {what} to a file and give its path")
    return info


def read_bounded(path: Path, max_bytes: int, *, what: str = "file") -> bytes:
    """The whole file, refusing a file larger than ``max_bytes`` before reading it all."""
    path = Path(path)
    info = check_openable(path, what=what)
    too_big = FileRefused(path, f"is {human_size(max(info.st_size, max_bytes + 1))}, more than the "
                          f"{human_size(max_bytes)} a {what} may be",
                          fix=f"check that this is the right file; a real {what} is far smaller")
    if info.st_size > max_bytes:
        raise too_big
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as error:
        raise FileRefused(path, f"cannot be read ({error.strerror})") from None
    if len(data) > max_bytes:
        raise too_big
    return data


def line_at(data: bytes | str, position: int) -> int:
    """The 1-based line holding ``position`` (a byte index into ``data``, or a character index)."""
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data[:position].count(newline) + 1


def located_text(path: Path, data: bytes, *, fix_encoding: str = "save the file as UTF-8") -> str:
    """``data`` as UTF-8 text (BOM dropped, line ends ``\\n``); bad bytes and NUL refused by line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        hint = ""
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = " (it is UTF-16)"
        raise FileRefused(path, f"is not UTF-8 text{hint}: byte 0x{data[error.start]:02x}",
                          line=line_at(data, error.start), fix=fix_encoding) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise FileRefused(path, "contains a NUL byte (a binary file, or text saved as UTF-16?)",
                          line=line_at(text, nul), fix=fix_encoding)
    return text.replace("\r\n", "\n").replace("\r", "\n")
