"""A learner's process does not keep the keycode check's working memory for the whole sitting.

Checking a keycode (scrypt) works in a few megabytes; glibc kept that block after the first
check, so a room's host carried it once per learner. Measured in a fresh interpreter, as a
learner's ``sit`` runs it: resident memory after two checks on a worker thread (as the log-in
screen makes them), with and without :func:`give_back_large_blocks`.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                                reason="tunes glibc's malloc")

_CHECKS = """
import sys, threading
from marker_tui.interfaces.cli.process_memory import give_back_large_blocks
from marker_tui.domain.admission import hash_keycode, keycode_matches
if sys.argv[1] == "lean":
    give_back_large_blocks()

def anon_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))

stored = hash_keycode("KQ7MT3XA", b"0" * 16)  # warms up everything but the check's own memory
before = anon_kb()
for typed in ("KQ7MT3XB", "KQ7MT3XA"):  # a wrong code, then the right one (identify, then log in)
    worker = threading.Thread(target=keycode_matches, args=(typed, stored, (b"0" * 16).hex()))
    worker.start()
    worker.join()
print(anon_kb() - before)
"""


def _kept_kb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _CHECKS, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def test_the_keycode_checks_memory_goes_back_to_the_system():
    kept_before = _kept_kb("as glibc starts")
    assert kept_before > 2048, f"the check no longer keeps memory ({kept_before} kB): this test measures nothing"
    assert _kept_kb("lean") < 1024, "a learner keeps the keycode check's working memory"
