"""The room benchmark's baseline: a bare Textual app (Header, a TextArea, Footer) in its own terminal.

    python bench/bare_textarea.py [TEXT_FILE]

The TextArea (soft wrap, as the learner's answer box) holds TEXT_FILE's text if given, with the
cursor at its end, and has the keyboard. Its border title, "Your answer", is what a driver waits
for, as it waits for a learner's answer box.
"""

from __future__ import annotations

import sys

from textual.app import App
from textual.widgets import Footer, Header, TextArea


class Bare(App):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.initial = text

    def compose(self):
        yield Header()
        yield TextArea(self.initial, soft_wrap=True, id="editor")
        yield Footer()

    def on_mount(self) -> None:
        editor = self.query_one("#editor", TextArea)
        editor.border_title = "Your answer"
        editor.cursor_blink = False
        last = editor.document.line_count - 1
        editor.move_cursor((last, len(editor.document.get_line(last))))
        editor.focus()


if __name__ == "__main__":
    text = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else ""
    Bare(text).run()
