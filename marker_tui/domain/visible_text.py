"""Text from the database made safe to draw: nothing in it can drive a terminal or hide itself.

A learner, a CSV or an old database can put anything in a stored string. Drawn raw, ESC/CSI/OSC
sequences (C0 and C1 controls) rewrite the marker's terminal, and bidi overrides or zero-width
characters make the text on screen differ from the text stored. Rather than strip them (the marker
would never know the learner typed something odd), each becomes a visible placeholder:

* C0 controls and DEL as their control picture: ESC → "␛", NUL → "␀", DEL → "␡";
* everything else invisible or steering (C1 controls such as U+009B CSI, bidi overrides and
  isolates, zero-width and other format characters, line/paragraph separators, lone
  surrogates) as its code point: U+202E → "⟨U+202E⟩".

``visible`` keeps newline and tab (answers and comments are multi-line); ``visible_line`` shows
them too, for table cells, names and one-line summaries. Both return plain ``str``: callers still
draw it as plain text (``rich.text.Text`` or ``markup=False``) so "[bold]" stays literal.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_PICTURE_BASE = 0x2400  # U+2400 CONTROL PICTURES: one symbol for each C0 control
_DEL_PICTURE = "\u2421"  # ␡

# Categories that never draw as themselves: controls, format characters (bidi, zero-width, BOM,
# soft hyphen, tags), surrogates, and the line/paragraph separators some terminals treat as breaks.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# A fast pre-check: most text has nothing to replace, so it is returned untouched.
_SUSPECT = re.compile(r"[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
                      r"\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
                      r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
                      r"\U0001d173-\U0001d17a\U000e0001-\U000e007f]")


def placeholder(ch: str) -> str:
    """The visible stand-in for one hidden character (the character itself when it draws)."""
    code = ord(ch)
    if code < 0x20:
        return chr(_PICTURE_BASE + code)
    if code == 0x7F:
        return _DEL_PICTURE
    if unicodedata.category(ch) in _HIDDEN_CATEGORIES:
        return f"\u27e8U+{code:04X}\u27e9"
    return ch


def _replace(text: str, keep: str) -> str:
    if not _SUSPECT.search(text):
        return text
    return "".join(ch if ch in keep else placeholder(ch) for ch in text)


def visible(text: object) -> str:
    """Stored text ready to draw across lines: newline and tab kept, every other hidden character shown."""
    return _replace("" if text is None else str(text), "\n\t")


def visible_line(text: object) -> str:
    """Stored text ready to draw on one line (a table cell, a name): newline and tab shown too."""
    return _replace("" if text is None else str(text), "")


def has_hidden(text: str, *, allow: str = "\n\t") -> bool:
    """True when ``text`` holds a character ``visible`` would replace (other than those in ``allow``)."""
    return any(ch not in allow and placeholder(ch) != ch for ch in text) if _SUSPECT.search(text) else False


def has_controls(text: str, *, allow: str = "") -> bool:
    """True when ``text`` holds a control character (C0, DEL or C1) not in ``allow``: what typed text refuses."""
    return any(unicodedata.category(ch) == "Cc" and ch not in allow for ch in text)


def typed_line(text: str | None, *, what: str, limit: int, empty: str | None = None,
               controls: str | None = None, hidden: bool = False,
               refuse: Callable[[str], Exception] = ValueError) -> str | None:
    """One line of text a person typed (a name, a reason, a note), as it is kept: runs of white space
    collapsed to one space. Refused with ``refuse(message)``: empty when ``empty`` (its message) is
    given, longer than ``limit``, or holding a control character (``hidden``: any character
    ``visible`` would show as a placeholder). None for an empty, optional line.

    The one cleaner for typed input; drawing stored text is ``visible``/``visible_line`` above, and
    writing it into a document is documents/text_cleaning.py (which must drop what XML cannot hold).
    """
    cleaned = " ".join((text or "").split())
    if not cleaned:
        if empty is not None:
            raise refuse(empty)
        return None
    if len(cleaned) > limit:
        raise refuse(f"{what} can be at most {limit} characters.")
    if has_hidden(cleaned, allow="") if hidden else has_controls(cleaned):
        raise refuse(controls or f"{what} cannot contain control characters; type plain text.")
    return cleaned
