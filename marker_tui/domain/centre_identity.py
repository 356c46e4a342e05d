"""The centre's name and awarding-body number as they appear on every document.

Pure rules (no I/O): how a typed name and centre number are cleaned and checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from marker_tui.domain.visible_text import typed_line

DEFAULT_CENTRE_NAME = "Training centre"
"""What documents say while the centre has not given its name."""
MAX_CENTRE_NAME = 120

# City & Guilds centre numbers are 6 digits, sometimes with a letter suffix (123456A).
# Other awarding bodies use 5 to 8 digits, so that is accepted too: a centre should
# not be locked out by a check stricter than its awarding body's.
_NUMBER = re.compile(r"^[0-9]{5,8}[A-Z]{0,2}$")
NUMBER_HELP = ("A centre number is the number your awarding body gave the centre: for City & Guilds "
               "6 digits, sometimes with a letter after them (e.g. 123456 or 123456A).")


class CentreIdentityError(ValueError):
    """A name or number that cannot be stored; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class CentreIdentity:
    """The centre as documents name it.

    ``name`` is never empty: "Training centre" until the admin gives the real name
    (``named`` says whether they have). ``number`` is None until it is given.
    """

    name: str
    number: str | None
    named: bool = True

    @property
    def heading(self) -> str:
        """e.g. "Glanmor College (centre 123456)", or just the name without a number."""
        return f"{self.name} (centre {self.number})" if self.number else self.name


def clean_centre_name(text: str | None, *, required: bool = True) -> str | None:
    """The name with runs of spaces collapsed; refuses an empty (when required), long or control-character name."""
    # Hidden characters too (not only controls): the name is printed on every document.
    return typed_line(text, what="A centre name", limit=MAX_CENTRE_NAME, hidden=True, refuse=CentreIdentityError,
                      empty="Type the centre's name, as it should appear on documents (e.g. Glanmor College)."
                      if required else None)


def clean_centre_number(text: str | None, *, required: bool = True) -> str | None:
    """The number as stored: spaces and dashes dropped, letters in capitals (``" 123 456a"`` → ``123456A``)."""
    cleaned = re.sub(r"[\s\-]", "", text or "").upper()
    if not cleaned:
        if required:
            raise CentreIdentityError("Type the centre number. " + NUMBER_HELP)
        return None
    if not _NUMBER.match(cleaned):
        raise CentreIdentityError(f"{cleaned[:20]!r} is not a centre number. " + NUMBER_HELP)
    return cleaned
