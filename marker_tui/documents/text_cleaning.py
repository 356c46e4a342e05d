"""What every document writer does to text and files before anything leaves marker-tui.

* :func:`clean_text` makes any text safe for Word's and Excel's XML. XML 1.0 can
  only hold tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and
  U+10000-U+10FFFF; anything else (C0 control characters such as NUL, BEL or ESC
  pasted into an answer, lone UTF-16 surrogates, U+FFFE/U+FFFF) makes openpyxl
  raise ``IllegalCharacterError`` and lxml (python-docx) raise ``ValueError``, or,
  worse, gives a file Word refuses to open. Those characters are removed; emoji,
  right-to-left scripts and every other character are kept exactly.
* :func:`csv_text` is :func:`clean_text` plus protection against spreadsheet
  formula injection for CSV cells (see its docstring).
* :func:`atomic_output` writes a file through a temporary file in the same folder
  and ``os.replace``, so a failed or interrupted export never leaves a
  half-written document (an older file of the same name stays as it was).

Why this is not ``domain/visible_text.visible`` (the terminal's cleaner): a screen must *show* an
odd character (ESC as "␛") so staff see what was stored, and a terminal can draw any placeholder.
A document cannot hold the character at all, so here it is *removed*, and only the characters XML
1.0 forbids: a bidi mark or a zero-width joiner, which the terminal shows as a code point, is valid
XML and needed by right-to-left names and emoji sequences in Word, so it is kept. Typed input is
checked by ``visible_text.typed_line`` before it is ever stored.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# Characters XML 1.0 cannot hold: C0 controls except \t \n \r, UTF-16 surrogates
# (a str from a lenient decoder can hold them), and the non-characters U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _join_pair(match: re.Match[str]) -> str:
    high, low = match.group()
    return chr(0x10000 + ((ord(high) - 0xD800) << 10) + (ord(low) - 0xDC00))


def clean_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold; everything else kept.

    A correctly ordered surrogate *pair* (an emoji that reached us as two UTF-16
    halves, e.g. ``"\\ud83d\\udc4d"``) is joined back into its character rather
    than dropped; lone halves are removed.
    """
    if not _NOT_XML.search(text):
        return text  # the common case: nothing to do, no copy
    if _SURROGATE_PAIR.search(text):
        text = _SURROGATE_PAIR.sub(_join_pair, text)
    return _NOT_XML.sub("", text)


#: A cell beginning with one of these is run as a formula by Excel, LibreOffice and
#: Google Sheets when a CSV is opened ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """Cleaned text for a CSV cell, never read as a formula by a spreadsheet.

    A text cell starting with ``= + - @`` (or tab / carriage return) gets a leading
    apostrophe, as OWASP recommends: a candidate named ``=HYPERLINK(...)`` or a
    comment ``-see Q3`` then shows as text instead of running. Numbers are written
    as numbers by the callers and never pass through here.
    """
    text = clean_text(text)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a binary stream whose bytes replace ``path`` only if the block succeeds.

    The temporary file is created next to ``path`` (so ``os.replace`` is an atomic
    rename on the same file system) with the normal permissions a new file gets
    (0o666 less the umask). On any exception it is deleted and ``path`` is left
    untouched. There is no fsync: an export can always be written again from the
    database, and a sync per file would cost more than writing a feedback document.
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {str(folder)!r} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp = folder / f".{target.name[:80]}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, flags, 0o666)
            break
        except FileExistsError:
            continue
        except OSError as error:
            # Said about the file asked for: the temporary name (".r.csv.1a2b.tmp") means nothing to anyone.
            raise OSError(error.errno, error.strerror, str(target)) from None
    else:  # pragma: no cover - 100 clashes of 32 random bits
        raise FileExistsError(f"could not create a temporary file in {str(folder)!r}")
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
