"""Input widgets that honour the app's cursor-blink setting.

Tests and snapshot runs turn blinking off so screens render the same every
time; screens should use these rather than the bare Textual widgets.
"""

from __future__ import annotations

from textual.widgets import Input, TextArea


def _blink_allowed(widget) -> bool:
    return bool(getattr(widget.app, "cursor_blink", True))


class TextInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = _blink_allowed(self)


class PlainTextArea(TextArea):
    """A soft-wrapped, language-free TextArea: stays fast on long answers."""

    def __init__(self, text: str = "", **kwargs) -> None:
        kwargs.setdefault("soft_wrap", True)
        kwargs.setdefault("show_line_numbers", False)
        kwargs.setdefault("tab_behavior", "focus")
        super().__init__(text, language=None, **kwargs)

    def on_mount(self) -> None:
        self.cursor_blink = _blink_allowed(self)
