"""Signing staff in for CLI tests: every ``--by NAME`` command also gets that person's PIN on stdin.

Tests call commands as a centre's script would (``--by NAME --pin-stdin`` with
the PIN piped in); this adds the ``--pin-stdin`` and the PIN line so each test
says only who acts. A test about signing in itself passes ``--pin-stdin`` (or
leaves ``--by`` out) and is left alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def signed(args: Sequence[str], input: str | None, pins: Mapping[str, str] | str) -> tuple[list[str], str | None]:
    """``args`` and ``input`` with the PIN of the ``--by`` person first on stdin (``pins``: name -> PIN, or one PIN)."""
    args = [str(a) for a in args]
    if "--by" not in args or "--pin-stdin" in args:
        return args, input
    name = args[args.index("--by") + 1]
    pin = pins if isinstance(pins, str) else pins.get(name)
    if pin is None:
        return args, input  # not on the staff: the test means the refusal
    return args + ["--pin-stdin"], f"{pin}\n" + (input or "")
