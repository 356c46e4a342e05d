"""The learner's answer editor: a PlainTextArea that reports each change synchronously.

Textual tells the screen about an edit with a ``Changed`` message, handled a
moment later; anything the screen repaints then (the word count, the answered
mark) can miss the keystroke's own frame and cost a second frame, which holds
up the next keystroke (frames are rate-limited). ``on_change`` is called while
the keystroke itself is being handled, so both repaint together.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from textual.message import Message
from textual.widgets import TextArea

from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea

# What a paste can carry that is not text (terminal escapes, a web page's control bytes): an answer
# keeps letters, tabs and line breaks only, so what is stored is what the learner sees.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def answer_text(insert: str) -> str:
    """Typed or pasted text as an answer holds it: line breaks as \\n, control characters dropped."""
    return _NOT_TEXT.sub("", insert.replace("\r\n", "\n").replace("\r", "\n"))


class AnswerArea(PlainTextArea):
    """``max_length``: typing past it is refused and a paste is cut to fit; ``on_limit`` is told which.

    Nothing already typed is ever lost: only what would go past the limit is not added.
    """

    def __init__(self, text: str = "", *, on_change: Callable[[], None] | None = None,
                 on_limit: Callable[[str], None] | None = None, **kwargs) -> None:
        super().__init__(text, **kwargs)
        self.on_change = on_change
        self.on_limit = on_limit
        self.max_length: int | None = None

    # A steady cursor, whatever the app's setting: a blinking one repaints every learner's answer box
    # twice a second, and with a whole room on one host those repaints cost as much CPU as the rest
    # of the learners' idle screens (bench/bench_room.py, N=60: key p95 2.7x the bare apps' with the
    # blink, 1.2x without). A steady cursor is also calmer to write under.
    blink = False

    def _replace_via_keyboard(self, insert: str, start, end):  # noqa: ANN001 - Textual's Location
        if insert:
            insert = answer_text(insert)
            if not insert and start == end:
                return None  # only control characters: nothing to add
        if self.max_length is not None and insert:
            replaced = len(self.document.get_text_range(start, end)) if start != end else 0
            room = self.max_length - (len(self.text) - replaced)
            if len(insert) > room:
                kept = insert[: max(room, 0)]
                if self.on_limit is not None:
                    self.on_limit(
                        f"The answer limit is {self.max_length:,} characters: the rest of that paste was not added."
                        if kept else f"The answer limit of {self.max_length:,} characters is reached: "
                        "delete something to type more.")
                if not kept:
                    return None
                insert = kept
        return super()._replace_via_keyboard(insert, start, end)

    def post_message(self, message: Message) -> bool:
        if isinstance(message, TextArea.Changed) and self.on_change is not None:
            self.on_change()
        return super().post_message(message)
