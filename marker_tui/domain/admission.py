"""Admission rules: keycodes, leases and per-terminal limits (pure, no I/O).

* A **keycode** is 8 characters from an alphabet without look-alikes (no 0/O,
  1/I/L, 2/Z, 5/S, 8/B, U/V), shown as two groups of four (``KQ7M-T3XA``) so it
  is easy to read aloud and type; typed in any case, with or without the dash
  or spaces. 24^8 ≈ 10^11 codes: with the per-terminal limit below, guessing
  is hopeless. Only a salted scrypt hash is stored.
* A **lease** says which terminal holds a script. The terminal renews it every
  ``LEASE_RENEW_SECONDS``; ``LEASE_SECONDS`` after the last renewal it lapses
  (crashed, closed, network gone) and the next login takes it without anyone's
  approval.
* **Per-terminal limits**: ``KEYCODE_TRIES`` wrong keycodes in a row lock that
  terminal's login for ``KEYCODE_LOCK``; ``EXIT_TRIES`` wrong exit codes lock its
  exit dialog for ``EXIT_LOCK``. Only that terminal: the real candidate at their
  own desk, and every staff member, are unaffected.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

KEYCODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
KEYCODE_LENGTH = 8
LEASE_SECONDS = 20
LEASE_RENEW_SECONDS = 5
KEYCODE_TRIES = 5
KEYCODE_LOCK = timedelta(minutes=2)
EXIT_TRIES = 3
EXIT_LOCK = timedelta(minutes=2)
EXIT_CODE_LENGTH = 6

_SCRYPT = {"n": 2**12, "r": 8, "p": 1}  # cheaper than PINs: a keycode has ~36 bits and is rate-limited


def normalise_keycode(text: str | None) -> str:
    """What the learner typed, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def format_keycode(code: str) -> str:
    code = normalise_keycode(code)
    return f"{code[:4]}-{code[4:]}" if len(code) == KEYCODE_LENGTH else code


def new_keycode(rng: secrets.SystemRandom | None = None) -> str:
    choose = (rng or secrets.SystemRandom()).choice
    return "".join(choose(KEYCODE_ALPHABET) for _ in range(KEYCODE_LENGTH))


def derived_keycode(seed: str, sitting_code: str, candidate_number: str) -> str:
    """A keycode fixed by a seed (the demo centre's, so README can print them); never for real rooms."""
    digest = hmac.new(seed.encode(), f"{sitting_code}|{candidate_number}".encode(), hashlib.sha256).digest()
    return "".join(KEYCODE_ALPHABET[b % len(KEYCODE_ALPHABET)] for b in digest[:KEYCODE_LENGTH])


def new_exit_code(rng: secrets.SystemRandom | None = None) -> str:
    choose = (rng or secrets.SystemRandom()).choice
    return "".join(choose("0123456789") for _ in range(EXIT_CODE_LENGTH))


def hash_keycode(code: str, salt: bytes) -> str:
    return hashlib.scrypt(normalise_keycode(code).encode(), salt=salt, dklen=32, **_SCRYPT).hex()


def keycode_matches(typed: str, stored_hash: str, salt_hex: str) -> bool:
    return hmac.compare_digest(hash_keycode(typed, bytes.fromhex(salt_hex)), stored_hash)


#: A terminal waiting for the invigilator to move a script to it asks again every few seconds while its
#: learner waits; one silent this long has gone (closed, or the learner left it), and is not moved to.
TAKEOVER_ASK_SECONDS = 15


def still_asking(asked_at: datetime, now: datetime) -> bool:
    """Whether a terminal that last asked for a script at ``asked_at`` is still there to take it."""
    return now - asked_at <= timedelta(seconds=TAKEOVER_ASK_SECONDS)


def lease_expiry_seconds() -> timedelta:
    return timedelta(seconds=LEASE_SECONDS)
