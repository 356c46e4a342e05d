"""A learner's terminal hands memory it has finished with back to the system.

glibc's malloc keeps a large block that was freed (and, once one such block has been freed,
serves later large blocks from its heap instead of from the system), so the few megabytes a
keycode check's scrypt works in stayed with every learner for the whole sitting. Fixing the
threshold makes large blocks come from, and go back to, the system each time.
"""

from __future__ import annotations

import sys

_M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's malloc.h
_LARGE_BLOCK = 128 * 1024  # glibc's own starting threshold, kept fixed


def give_back_large_blocks() -> None:
    """Large blocks go back to the system when freed (glibc only; elsewhere nothing changes)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this interpreter already uses
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt): nothing to tune
        return
    mallopt(_M_MMAP_THRESHOLD, _LARGE_BLOCK)
