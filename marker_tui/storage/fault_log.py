"""The staff-only error log: what went wrong, for the people who can fix it, never for a learner's eyes.

An unexpected error (a bug, a full disk, a broken database file) is written here
instead of to the screen: the screens show a calm message and where this file is
(staff screens only). Where it is: beside the database, ``centre.db`` ->
``centre-errors.log``, or the file named by ``MARKER_TUI_ERROR_LOG``.

What an entry holds, and what it never holds:

* when, which program part (learner terminal, staff screen, command), the
  database, the process id, and the error's type, message and stack (file, line,
  function and source line of each frame);
* never the values of variables (Textual's own crash report prints them, which
  is how a PIN hash and the room's names once reached a learner's screen);
* messages are cut to :data:`MESSAGE_LIMIT` characters, any run of 16 or more
  hex digits (a PIN hash or salt, a checksum) is replaced by ``[hex removed]``, and
  the input values pydantic puts in its validation messages are left out.

The file is created with mode 0600 (only the account that runs marker-tui can
read it) and opened without following a symbolic link. Writing it may fail (a
full disk is one of the faults it records): :func:`record_fault` then returns
None and the caller carries on; it never raises.
"""

from __future__ import annotations

import contextlib
import os
import re
import traceback
from datetime import datetime, timezone
from pathlib import Path

from marker_tui.domain.visible_text import visible_line
from marker_tui.storage.locations import database_path

LOG_ENV = "MARKER_TUI_ERROR_LOG"
MESSAGE_LIMIT = 300
_FRAMES_KEPT = 40
_HEX_RUN = re.compile(r"[0-9a-fA-F]{16,}")


def fault_log_path(db_path: str | os.PathLike[str] | None = None) -> Path:
    """Where the error log for the database at ``db_path`` is (``MARKER_TUI_ERROR_LOG`` wins)."""
    explicit = os.environ.get(LOG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    db = Path(db_path).expanduser() if db_path is not None else database_path(None)
    return db.absolute().with_name(f"{db.stem}-errors.log")


def safe_message(error: BaseException) -> str:
    """The error's message, fit for the staff log: short, no hashes, no pydantic input values."""
    errors = getattr(error, "errors", None)
    if callable(errors) and type(error).__name__ == "ValidationError":
        try:
            items = errors(include_input=False, include_url=False)
            text = "; ".join(f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('type')}"
                             for item in items)
        except Exception:  # another library's ValidationError: its type is enough
            text = ""
    else:
        try:
            text = str(error)
        except Exception:
            text = ""
    text = _HEX_RUN.sub("[hex removed]", text)
    text = visible_line(text)  # one line per message; a control character is shown, never obeyed
    if len(text) > MESSAGE_LIMIT:
        text = text[: MESSAGE_LIMIT - 1] + "…"
    return text


def format_fault(error: BaseException, *, where: str, db_path: Path | None = None,
                 now: datetime | None = None) -> str:
    """One log entry for ``error``: header, then each exception of the chain with its frames (no locals)."""
    at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
    from marker_tui import __version__

    lines = [f"=== {at} marker-tui {__version__} pid {os.getpid()} · {where}"
             + (f" · database {db_path}" if db_path is not None else "")]
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    for depth, exc in enumerate(chain):
        lines.append(("caused by: " if depth else "") + f"{type(exc).__module__}.{type(exc).__qualname__}: "
                     f"{safe_message(exc)}")
        frames = traceback.extract_tb(exc.__traceback__)[-_FRAMES_KEPT:]
        for frame in frames:  # StackSummary without capture_locals: file, line, function, source only
            lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
            if frame.line:
                lines.append(f"    {_HEX_RUN.sub('[hex removed]', frame.line.strip())[:200]}")
    return "\n".join(lines) + "\n"


def record_fault(error: BaseException, *, where: str, db_path: str | os.PathLike[str] | None = None
                 ) -> Path | None:
    """Append an entry for ``error`` to the staff log; its path, or None if it could not be written."""
    path = fault_log_path(db_path)
    try:
        entry = format_fault(error, where=where, db_path=Path(db_path) if db_path is not None else None)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, 0o600)
        try:
            with contextlib.suppress(OSError):  # an older file made by hand: staff-only from now on
                os.fchmod(fd, 0o600)
            os.write(fd, entry.encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except Exception:  # the disk may be the fault: the screen's message must still appear
        return None
    return path
