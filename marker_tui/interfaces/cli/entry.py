"""The ``marker-tui`` console script: a learner's ``sit`` goes to the learner server when one runs.

A room of learners is N copies of the same program. Loaded separately, each copy holds its own
~20 MB of Python modules (Textual, pydantic, sqlite-utils, ours); forked from one process that
loaded them once (``marker-tui learner-server``, see ``learner_server.py``), they share those
pages. So ``marker-tui [--db PATH] sit ...`` first asks the server beside the database to run the
learner's terminal on this terminal (its stdin/stdout/stderr are handed over), and stays only as
the small process the SSH session waits on (``relay.py``, in a bare interpreter): it passes on
window resizes and a closed connection, and exits with the terminal's exit status. No server (or
no database named by ``--db`` or ``MARKER_TUI_DB``), or a server that refuses (busy) or does not
answer within a few seconds: the terminal runs in this process, exactly as before. The request
carries only what describes the learner's terminal (:data:`TERMINAL_ENV`); the server takes nothing else.

Only the standard library is imported here, so a learner's start stays quick.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import sys
import time

DB_ENV = "MARKER_TUI_DB"  # the same variable as storage/locations.DB_ENV (not imported: it loads platformdirs)

#: What of a session's environment the learner server takes (it ignores the rest): what describes the
#: learner's terminal, and the SSH session naming the desk (see README, Running a real room).
#: (Not COLUMNS/LINES: they would pin the screen's size through every resize.)
TERMINAL_ENV = ("TERM", "COLORTERM", "LANG", "LANGUAGE", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")
#: How long a learner waits for the server's answer before their terminal runs in this process instead.
REPLY_SECONDS = 5.0


def terminal_variable(name: str) -> bool:
    return name in TERMINAL_ENV or name.startswith("LC_")


def socket_path(db_path: str | os.PathLike[str]) -> str:
    """The learner server's socket, beside the database (``centre.db`` -> ``centre-learners.sock``)."""
    folder, name = os.path.split(os.path.abspath(os.path.expanduser(os.fspath(db_path))))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return os.path.join(folder, f"{stem}-learners.sock")


def _sit_arguments(argv: list[str]) -> tuple[str | None, list[str]] | None:
    """(the --db given or None, the arguments after ``sit``) for ``[--db PATH] sit ...``; None for anything else."""
    db, i = None, 0
    while i < len(argv):
        word = argv[i]
        if word == "--db" and i + 1 < len(argv):
            db, i = argv[i + 1], i + 2
        elif word.startswith("--db="):
            db, i = word[5:], i + 1
        elif word == "sit":
            rest = argv[i + 1:]
            return None if any(w in ("--help", "-h") for w in rest) else (db, rest)
        else:
            return None
    return None


def _trusted_socket(path: str) -> bool:
    """Whether the socket is a learner server's we may hand a learner's terminal (and keycode) to.

    Anyone who can write in the database's folder could leave a socket there to read what
    learners type: only a socket owned by this account or by the database's owner, and not
    writable by everyone, is used; otherwise the terminal runs in this process as before.
    """
    try:
        found = os.lstat(path)
        owner = os.stat(os.path.dirname(path) or ".").st_uid
    except OSError:
        return False
    database_owner = owner
    db = path[: -len("-learners.sock")]
    for candidate in (db + ".db", db):
        try:
            database_owner = os.stat(candidate).st_uid
            break
        except OSError:
            continue
    return (stat.S_ISSOCK(found.st_mode) and found.st_uid in (os.getuid(), database_owner)
            and not found.st_mode & 0o002)


def _first_line(connection: socket.socket, seconds: float = REPLY_SECONDS) -> bytes:
    """The server's first reply, read a byte at a time (what follows it is the relay's to read);
    b"" if it does not come within ``seconds`` (a busy or stuck server)."""
    line, end = b"", time.monotonic() + seconds
    while not line.endswith(b"\n") and len(line) < 64:
        left = end - time.monotonic()
        if left <= 0:
            return b""
        connection.settimeout(left)
        try:
            byte = connection.recv(1)
        except socket.timeout:
            return b""
        if not byte:
            break
        line += byte
    connection.settimeout(None)
    return line


def _through_server(path: str, arguments: list[str]) -> int | None:
    """Run the learner's terminal in a process forked by the server; its exit status, or None if there is no server."""
    if not _trusted_socket(path):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        connection.settimeout(REPLY_SECONDS)
        env = {k: v for k, v in os.environ.items() if terminal_variable(k)}
        request = json.dumps({"args": arguments, "env": env}).encode() + b"\n"
        socket.send_fds(connection, [request], [0, 1, 2])
        first = _first_line(connection).split()
    except OSError:
        connection.close()
        return None
    if len(first) != 2 or first[0] != b"pid" or not first[1].isdigit():
        connection.close()
        return None  # the server refused (too busy), is stuck or stopping: this process runs the terminal itself
    child = int(first[1])
    # This process stays for the whole sitting: it becomes a bare interpreter running only the relay.
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relay.py")
    if sys.executable and os.path.exists(script):
        os.set_inheritable(connection.fileno(), True)
        try:
            os.execv(sys.executable, [sys.executable, "-I", "-S", script, str(connection.fileno()), str(child),
                                      "--", *sys.argv[1:]])
        except OSError:
            pass  # relay from here instead
    from marker_tui.interfaces.cli.relay import relay

    return relay(connection.fileno(), child)


def main() -> None:
    sit = _sit_arguments(sys.argv[1:])
    if sit is not None:
        # A learner's terminal: Ctrl+C, Ctrl+\ or Ctrl+Z before the screen is up (the terminal is still
        # cooked while we wait for the server or load) must neither print a traceback nor stop it.
        for signum in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
            signal.signal(signum, signal.SIG_IGN)
        db = sit[0] or os.environ.get(DB_ENV)
        if db:
            status = _through_server(socket_path(db), sit[1])
            if status is not None:
                sys.exit(status)
    from marker_tui.interfaces.cli.main import main as full

    full()


if __name__ == "__main__":
    main()
