"""Two small helpers every screen shares (issue 17.5): ``leave`` and ``say``.

The shared dialogs are in widgets/dialogs.py; service calls go through service_calls.py.
"""

from __future__ import annotations

from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from marker_tui.domain.visible_text import visible


def leave(screen: Screen) -> None:
    """Back to the screen underneath, or quit if this is the first screen (started on it)."""
    if len(screen.app.screen_stack) > 2:
        screen.app.pop_screen()
    else:
        screen.app.exit()


def say(line: Static, message: str, *, error: bool = False) -> None:
    """Put ``message`` on a screen's one-line message ``line``: shown as typed (never markup, hidden
    characters made visible), and styled as an error (class ``error``) when ``error``."""
    line.update(Content(visible(message)))
    line.set_class(error, "error")
