"""The learner's answer editor: a PlainTextArea that reports each change synchronously.

Textual tells the screen about an edit with a ``Changed`` message, handled a
moment later; anything the screen repaints then (the word count, the answered
mark) can miss the keystroke's own frame and cost a second frame, which holds
up the next keystroke (frames are rate-limited). ``on_change`` is called while
the keystroke itself is being handled, so both repaint together.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.widgets import TextArea

from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea


class AnswerArea(PlainTextArea):
    def __init__(self, text: str = "", *, on_change: Callable[[], None] | None = None, **kwargs) -> None:
        super().__init__(text, **kwargs)
        self.on_change = on_change

    def post_message(self, message: Message) -> bool:
        if isinstance(message, TextArea.Changed) and self.on_change is not None:
            self.on_change()
        return super().post_message(message)
