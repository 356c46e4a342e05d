"""``marker-tui learner-server``: load a learner's terminal once, fork one process per learner.

Run one per database on the room's host (e.g. as a systemd service of the account that owns the
database, with ``KillMode=process`` so that stopping it leaves learners running: see README). It imports everything ``marker-tui sit`` needs, freezes those objects out of the
garbage collector's reach (so forked processes do not copy the pages just by collecting), and
listens on a socket beside the database (``centre-learners.sock``, mode 0660). Each ``marker-tui
sit`` started on that database (``entry.py``) hands it its terminal; the server forks, and the
child runs exactly what ``marker-tui --db DB sit ...`` runs, on that terminal, with the server's
own environment plus only what describes that session's terminal (TERM, language, the SSH address
naming the desk: see :func:`terminal_environment`). The learner's modules are
then shared by the whole room instead of loaded N times, and a learner's terminal starts without
importing anything.

* Only ``sit`` is ever run, and only on this server's own database.
* A learner whose connection closes (the SSH session ended), even before the server's reply,
  gets SIGHUP, as a closed terminal gives; resizes are passed on. Learners keep running when the
  server stops (their app then notices a resize or a closed terminal itself: tui/hangup.py).
* The server opens no database and starts no thread before forking: each child opens its own.
* No client can stop or stall it: requests are read without blocking, each within a few seconds
  and 64 kB, only real terminals are served, at most ``--max-learners`` at once; whatever one
  client does wrong is logged in one line on stderr and costs only that client (whose ``sit``
  then runs in its own process, as without a server).
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
from pathlib import Path

import click

from marker_tui.interfaces.cli.entry import socket_path, terminal_variable

_SIGNALS = {b"winch": signal.SIGWINCH, b"hup": signal.SIGHUP, b"term": signal.SIGTERM}
_OWN_SIGNALS = (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

#: A request is a few hundred bytes (arguments and a terminal's environment): anything far bigger is refused.
REQUEST_LIMIT = 64 * 1024
#: How long a client has to send its whole request; entry.py waits a little longer for the reply.
REQUEST_SECONDS = 3.0
#: Requests read at once (each costs a descriptor until its deadline): beyond it the oldest is dropped.
PENDING_LIMIT = 64
#: Learners' terminals served at once by default; beyond it a learner's sit runs in its own process.
MAX_LEARNERS = 100


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


def _child(db_path: Path, env: dict[str, str], args: list[str], fds: list[int]) -> None:
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
        os.environ.update(env)
        os.chdir("/")  # the client's folder means nothing here: sit takes no paths
        sys.argv = ["marker-tui", "--db", str(db_path), "sit", *args]
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


def terminal_environment(own: dict[str, str], asked: object) -> dict[str, str]:
    """The learner's environment: this server's own, with only what describes the learner's terminal
    taken from the request (its type, colours, language, and the SSH session naming the desk).

    The rest is the server account's to decide: a client choosing MARKER_TUI_ERROR_LOG would choose
    where this account appends; PATH, PYTHON*, HOME... would steer what this account runs.
    """
    # COLUMNS/LINES (the server's own or a client's) would fix every learner's screen at one size:
    # Textual believes them before the terminal, so a resize would never lay the screen out again.
    env = {k: v for k, v in own.items() if not terminal_variable(k) and k not in ("COLUMNS", "LINES")}
    if isinstance(asked, dict):
        for name, value in asked.items():
            if (isinstance(name, str) and isinstance(value, str) and terminal_variable(name)
                    and "\0" not in name + value and "=" not in name and len(value) < 1024):
                env[name] = value
    return env


class _Request:
    """A connection whose request is still being read, with its deadline."""

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        self.connection = connection
        self.deadline = deadline
        self.message = bytearray()
        self.fds: list[int] = []
        self.who = _peer(connection)

    def close(self) -> None:
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []
        self.connection.close()


def _peer(connection: socket.socket) -> str:
    """Who connected (the kernel's word, not the client's), for the log."""
    try:
        pid, uid, _ = struct.unpack("3i", connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                 struct.calcsize("3i")))
        return f"client pid {pid} uid {uid}"
    except (OSError, AttributeError, struct.error):
        return "client"


def _log(line: str) -> None:
    """One line on the server's stderr (the service's journal); a closed stderr must not stop the server."""
    try:
        print(f"marker-tui learner server: {line}", file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001
        pass


class LearnerServer:
    def __init__(self, db_path: Path, max_learners: int = MAX_LEARNERS, clock=time.monotonic) -> None:
        self.db_path = db_path
        self.path = socket_path(db_path)
        self.max_learners = max_learners
        self.clock = clock
        self.environment = dict(os.environ)
        self.children: dict[int, socket.socket] = {}
        self.requests: dict[int, _Request] = {}  # by the connection's fd
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
        for signum in _OWN_SIGNALS:
            signal.signal(signum, self._on_signal)
        self.selector.register(wake_read, selectors.EVENT_READ, "wake")
        gc.collect()
        gc.freeze()  # the loaded modules' objects stay put: children share their pages
        try:
            while not self.stopping:
                # One client's failure is that client's: logged, its connection dropped, the room served on.
                for key, _ in self.selector.select(self._timeout()):
                    try:
                        if key.data == "listen":
                            self._accept()
                        elif key.data == "wake":
                            os.read(wake_read, 512)
                        elif isinstance(key.data, _Request):
                            self._read_request(key.data)
                        else:
                            self._from_client(key.fileobj, key.data)
                    except Exception as error:  # noqa: BLE001
                        _log(f"dropped a connection after an unexpected error: {type(error).__name__}: {error}")
                        self._drop(key)
                try:
                    self._expire()
                    self._reap()
                except Exception as error:  # noqa: BLE001
                    _log(f"unexpected error while tidying up: {type(error).__name__}: {error}")
        finally:
            signal.set_wakeup_fd(-1)
            self.close()

    def _timeout(self) -> float:
        if not self.requests:
            return 1.0
        return max(0.0, min(1.0, min(r.deadline for r in self.requests.values()) - self.clock()))

    def _on_signal(self, signum, frame) -> None:
        if signum != signal.SIGCHLD:
            self.stopping = True

    def _accept(self) -> None:
        # Never waits for a client: the request is read as it arrives, alongside everyone else's.
        for _ in range(64):
            try:
                connection, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # out of descriptors: those waiting longest make room
                _log(f"could not take a connection ({error})")
                if self.requests:
                    self._refuse(min(self.requests.values(), key=lambda r: r.deadline), "dropped to make room")
                return
            if len(self.requests) >= PENDING_LIMIT:
                self._refuse(min(self.requests.values(), key=lambda r: r.deadline),
                             f"dropped to make room: {PENDING_LIMIT} requests were being read at once")
            connection.setblocking(False)
            request = _Request(connection, self.clock() + REQUEST_SECONDS)
            self.requests[connection.fileno()] = request
            self.selector.register(connection, selectors.EVENT_READ, request)

    def _read_request(self, request: _Request) -> None:
        while not request.message.endswith(b"\n"):
            try:
                data, fds, _, _ = socket.recv_fds(request.connection, 65536, 3)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                return self._refuse(request, f"could not read the request ({error})")
            request.fds.extend(fds)
            if not data:
                return self._refuse(request, "hung up before finishing its request")
            request.message += data
            if len(request.message) > REQUEST_LIMIT:
                return self._refuse(request, f"sent more than {REQUEST_LIMIT} bytes")
        self._start(request)

    def _expire(self) -> None:
        now = self.clock()
        for request in [r for r in self.requests.values() if r.deadline <= now]:
            self._refuse(request, f"sent no complete request within {REQUEST_SECONDS:g} s")

    def _refuse(self, request: _Request, why: str, reply: bytes = b"") -> None:
        """Refused: nothing of it kept; the client (entry.py) then runs the terminal in its own process."""
        _log(f"refused a {request.who}: {why}")
        self._unregister(request.connection)
        self.requests.pop(request.connection.fileno(), None)
        if reply:
            try:
                request.connection.send(reply)
            except OSError:
                pass
        request.close()

    def _start(self, request: _Request) -> None:
        try:
            asked = json.loads(bytes(request.message))
        except ValueError:
            asked = None
        fds = request.fds
        args = asked.get("args", []) if isinstance(asked, dict) else None
        if not isinstance(args, list) or not all(isinstance(a, str) and "\0" not in a for a in args):
            return self._refuse(request, "not a learner's sit request")
        if len(fds) != 3 or not all(_is_terminal(fd) for fd in fds):
            return self._refuse(request, "did not hand over a terminal")
        if len(self.children) >= self.max_learners:
            return self._refuse(request, f"already serving {len(self.children)} learners (--max-learners)", b"busy\n")
        env = terminal_environment(self.environment, asked.get("env"))
        self._unregister(request.connection)
        self.requests.pop(request.connection.fileno(), None)
        connection = request.connection
        # Signals stay blocked across fork: a SIGHUP sent to the child before it has put back the
        # default handlers waits, then ends it, instead of reaching this server's handler in the child.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _OWN_SIGNALS)
        try:
            pid = os.fork()
        except OSError as error:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            request.close()
            _log(f"could not start a terminal for a {request.who}: {error}")
            return
        if pid == 0:
            try:
                self.selector.close()
                self.listener.close()
                for other in self.children.values():
                    other.close()
                for other in self.requests.values():
                    other.close()
                connection.close()
                signal.set_wakeup_fd(-1)
                for signum in _OWN_SIGNALS:
                    signal.signal(signum, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            except BaseException:  # noqa: BLE001
                os._exit(1)
            _child(self.db_path, env, args, fds)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        request.fds = []
        for fd in fds:
            os.close(fd)
        self.children[pid] = connection
        try:
            connection.setblocking(True)
            connection.settimeout(1)  # a few bytes into an empty socket buffer: only a gone client fails
            connection.sendall(f"pid {pid}\n".encode())
            connection.setblocking(False)
        except OSError as error:
            # The learner's session ended before the reply: the terminal closes, as a real one would.
            _log(f"a {request.who} hung up before its terminal started ({error}): closed that terminal")
            self._signal(pid, signal.SIGHUP)
            self._forget(pid)
            connection.close()
            return
        self.selector.register(connection, selectors.EVENT_READ, pid)

    def _from_client(self, connection: socket.socket, pid: int) -> None:
        try:
            data = connection.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            # The learner's session has gone (SSH closed): the terminal closes, as a real one would.
            self._signal(pid, signal.SIGHUP)
            self._forget(pid)
            connection.close()
            return
        for word in data.split():
            if word in _SIGNALS:
                self._signal(pid, _SIGNALS[word])

    def _drop(self, key) -> None:
        if isinstance(key.data, _Request):
            self._unregister(key.fileobj)
            self.requests.pop(key.data.connection.fileno(), None)
            key.data.close()
        elif isinstance(key.data, int):
            self._signal(key.data, signal.SIGHUP)
            connection = self._forget(key.data)
            if connection is not None:
                connection.close()

    def _signal(self, pid: int, signum: int) -> None:
        # The terminal's whole process group (it is its session's leader), as a terminal signals.
        try:
            os.killpg(pid, signum)
        except OSError:
            try:
                os.kill(pid, signum)
            except OSError:
                pass

    def _unregister(self, connection) -> None:
        try:
            self.selector.unregister(connection)
        except (KeyError, ValueError):
            pass

    def _forget(self, pid: int) -> socket.socket | None:
        connection = self.children.pop(pid, None)
        if connection is not None:
            self._unregister(connection)
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
                    connection.setblocking(False)
                    connection.send(f"exit {os.waitstatus_to_exitcode(status) & 0xFF}\n".encode())
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
        for request in list(self.requests.values()):
            request.close()
        self.requests.clear()
        for pid in list(self.children):
            connection = self._forget(pid)
            if connection is not None:
                connection.close()  # the clients wait for their learner themselves


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


@click.command("learner-server")
@click.option("--max-learners", type=click.IntRange(min=1), default=MAX_LEARNERS, show_default=True,
              help="Terminals served at once; a learner beyond it still sits, in their own process.")
@click.pass_obj
def learner_server(obj, max_learners: int) -> None:
    """Serve learners' terminals for this database from one process (run one per room host).

    Every `marker-tui sit` on this database then starts in a process forked from this one, so
    the room shares one copy of the program's memory and each learner's terminal opens at once.
    Stop it with Ctrl+C or SIGTERM; learners already sitting carry on.
    """
    db_path = obj.db_path
    if not db_path.exists():
        raise click.ClickException(f"there is no database at {db_path}: create it first (marker-tui --db {db_path})")
    preload()
    server = LearnerServer(db_path, max_learners)
    server.bind()
    click.echo(f"marker-tui learner server for {db_path}: listening on {server.path}", err=True)
    server.serve()
