"""``marker-tui learner-server``: load a learner's terminal once, fork one process per learner.

Run one per database on the room's host (e.g. as a systemd service of the account that owns the
database). It imports everything ``marker-tui sit`` needs, freezes those objects out of the
garbage collector's reach (so forked processes do not copy the pages just by collecting), and
listens on a socket beside the database (``centre-learners.sock``, mode 0660). Each ``marker-tui
sit`` started on that database (``entry.py``) hands it its terminal; the server forks, and the
child runs exactly what ``marker-tui --db DB sit ...`` runs, on that terminal, with that session's
environment (so the terminal is named by its own SSH address and tty). The learner's modules are
then shared by the whole room instead of loaded N times, and a learner's terminal starts without
importing anything.

* Only ``sit`` is ever run, and only on this server's own database.
* A learner whose connection closes (the SSH session ended) gets SIGHUP, as a closed terminal
  gives; resizes are passed on. Learners keep running when the server stops.
* The server opens no database and starts no thread before forking: each child opens its own.
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import signal
import socket
import sys
from pathlib import Path

import click

from marker_tui.interfaces.cli.entry import socket_path

_SIGNALS = {b"winch": signal.SIGWINCH, b"hup": signal.SIGHUP, b"term": signal.SIGTERM}


def preload() -> None:
    """What a learner's terminal imports, loaded once here and shared by every child."""
    import marker_tui.interfaces.cli.process_memory  # noqa: F401
    import marker_tui.interfaces.cli.sitting_screens  # noqa: F401
    import ctypes  # noqa: F401  (process_memory imports it in the learner)
    import marker_tui.interfaces.tui.launch  # noqa: F401
    import marker_tui.interfaces.tui.screens.fault  # noqa: F401
    import marker_tui.interfaces.tui.screens.learner  # noqa: F401
    import marker_tui.services.centre  # noqa: F401
    import marker_tui.services.sitting  # noqa: F401
    from marker_tui.interfaces.tui.app import MarkerApp  # noqa: F401
    from marker_tui.interfaces.tui.screens.learner import ConfirmNameDialog, LearnerSittingScreen  # noqa: F401
    # What Textual and rich import only once an app runs on a real terminal: loaded here, not in every learner.
    import concurrent.futures.thread  # noqa: F401
    import importlib
    import queue  # noqa: F401

    import rich._unicode_data
    import textual._xterm_parser  # noqa: F401
    import textual.drivers._writer_thread  # noqa: F401
    import textual.drivers.linux_driver  # noqa: F401
    import textual.layouts.factory  # noqa: F401
    import textual.layouts.horizontal  # noqa: F401
    import textual.layouts.stream  # noqa: F401
    import textual.scrollbar  # noqa: F401

    # The newest cell-width table, imported, not loaded: rich.cells.load() reads the learner's own environment.
    importlib.import_module(f".unicode{rich._unicode_data.VERSIONS[-1].replace('.', '-')}", "rich._unicode_data")


def _child(db_path: Path, request: dict, fds: list[int]) -> None:
    """In the forked process: become the learner's terminal; never returns."""
    code = 1
    try:
        os.setsid()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request.get("env", {}).items()})
        try:
            os.chdir(request.get("cwd") or "/")
        except OSError:
            os.chdir("/")
        sys.argv = ["marker-tui", "--db", str(db_path), "sit", *[str(a) for a in request.get("args", [])]]
        from marker_tui.interfaces.cli.main import main

        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - the terminal may be gone already
                pass
        os._exit(code)


class LearnerServer:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = socket_path(db_path)
        self.children: dict[int, socket.socket] = {}
        self.selector = selectors.DefaultSelector()
        self.listener: socket.socket | None = None
        self.stopping = False

    def bind(self) -> None:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(self.path)
        except OSError:
            if os.path.exists(self.path):
                os.unlink(self.path)  # left by a server that stopped without cleaning up
        else:
            raise click.ClickException(f"a learner server is already running for {self.db_path} ({self.path})")
        finally:
            probe.close()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o117)
        try:
            self.listener.bind(self.path)
        finally:
            os.umask(old)
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ, "listen")

    def serve(self) -> None:
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        self.selector.register(wake_read, selectors.EVENT_READ, "wake")
        gc.collect()
        gc.freeze()  # the loaded modules' objects stay put: children share their pages
        try:
            while not self.stopping:
                for key, _ in self.selector.select(1.0):
                    if key.data == "listen":
                        self._accept()
                    elif key.data == "wake":
                        os.read(wake_read, 512)
                    else:
                        self._from_client(key.fileobj, key.data)
                self._reap()
        finally:
            signal.set_wakeup_fd(-1)
            self.close()

    def _on_signal(self, signum, frame) -> None:
        if signum != signal.SIGCHLD:
            self.stopping = True

    def _accept(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except BlockingIOError:
            return
        connection.setblocking(True)
        connection.settimeout(5)
        fds: list[int] = []
        try:
            message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
            while not message.endswith(b"\n"):
                more = connection.recv(1 << 20)
                if not more:
                    break
                message += more
            request = json.loads(message)
        except (OSError, ValueError):
            request = None
        connection.settimeout(None)
        if len(fds) != 3 or not isinstance(request, dict):  # not a learner's sit: refused, nothing kept
            for fd in fds:
                os.close(fd)
            connection.close()
            return
        pid = os.fork()
        if pid == 0:
            self.selector.close()
            self.listener.close()
            for other in self.children.values():
                other.close()
            connection.close()
            for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            _child(self.db_path, request, fds)
        for fd in fds:
            os.close(fd)
        self.children[pid] = connection
        connection.sendall(f"pid {pid}\n".encode())
        self.selector.register(connection, selectors.EVENT_READ, pid)

    def _from_client(self, connection: socket.socket, pid: int) -> None:
        try:
            data = connection.recv(4096)
        except OSError:
            data = b""
        if not data:
            # The learner's session has gone (SSH closed): the terminal closes, as a real one would.
            self._signal(pid, signal.SIGHUP)
            self._forget(pid)
            return
        for word in data.split():
            if word in _SIGNALS:
                self._signal(pid, _SIGNALS[word])

    def _signal(self, pid: int, signum: int) -> None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def _forget(self, pid: int) -> socket.socket | None:
        connection = self.children.pop(pid, None)
        if connection is not None:
            try:
                self.selector.unregister(connection)
            except (KeyError, ValueError):
                pass
        return connection

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = self._forget(pid)
            if connection is not None:
                try:
                    connection.sendall(f"exit {os.waitstatus_to_exitcode(status) & 0xFF}\n".encode())
                except OSError:
                    pass
                connection.close()

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        for pid in list(self.children):
            connection = self._forget(pid)
            if connection is not None:
                connection.close()  # the clients wait for their learner themselves


@click.command("learner-server")
@click.pass_obj
def learner_server(obj) -> None:
    """Serve learners' terminals for this database from one process (run one per room host).

    Every `marker-tui sit` on this database then starts in a process forked from this one, so
    the room shares one copy of the program's memory and each learner's terminal opens at once.
    Stop it with Ctrl+C or SIGTERM; learners already sitting carry on.
    """
    db_path = obj.db_path
    if not db_path.exists():
        raise click.ClickException(f"there is no database at {db_path}: create it first (marker-tui --db {db_path})")
    preload()
    server = LearnerServer(db_path)
    server.bind()
    click.echo(f"marker-tui learner server for {db_path}: listening on {server.path}", err=True)
    server.serve()
