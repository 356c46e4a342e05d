"""Which terminal is acting: the one place the idea of "a terminal" is defined.

A learner's refusals, leases and per-terminal limits all name the terminal they
came from, readably, so an invigilator reading the room view or the audit log can
walk to it:

* ``place``: where it is. The SSH client's address when the learner came in over
  SSH (``SSH_CONNECTION``/``SSH_CLIENT``), otherwise the tty (``pts/3``), otherwise
  ``local``. Per-terminal limits (wrong keycodes, wrong exit codes) count per
  place, so reconnecting from the same desk does not reset them.
* ``process``: a short random id for this process, so two processes at one place
  (a second window on the same desk) are still two terminals for a lease.

``label`` ("10.0.4.17 pts/3 #k7qm") is what is stored and shown. It is stable for
the life of the process; tests make their own with :func:`Terminal.named`.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from functools import lru_cache

from marker_tui.domain.visible_text import visible_line

_ID_ALPHABET = "acdefghjkmnpqrtvwxy34679"


@dataclass(frozen=True)
class Terminal:
    place: str
    process: str
    tty: str | None = None

    @property
    def label(self) -> str:
        tty = f" {self.tty}" if self.tty and self.tty != self.place else ""
        return f"{self.place}{tty} #{self.process}"

    def __str__(self) -> str:
        return self.label

    @classmethod
    def named(cls, place: str, process: str | None = None) -> Terminal:
        return cls(place=place, process=process or _random_id())


def _random_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(4))


def _tty_name() -> str | None:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        try:
            name = os.ttyname(stream.fileno())
        except (OSError, AttributeError, ValueError):
            continue
        return name.removeprefix("/dev/")
    return None


def _clean(text: str) -> str:
    # Environment text reaches the room view and the audit log: printable, short.
    # Hidden characters are shown (domain/visible_text.py), not dropped: what was odd stays visible.
    return "".join(visible_line(text).split())[:60]


@lru_cache(maxsize=1)
def this_terminal() -> Terminal:
    """This process's terminal (computed once, so it is stable for the process)."""
    ssh = os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_CLIENT") or ""
    client = _clean(ssh.split()[0]) if ssh.split() else ""
    tty = _tty_name()
    tty = _clean(tty) if tty else None
    return Terminal(place=client or tty or "local", process=_random_id(), tty=tty)
