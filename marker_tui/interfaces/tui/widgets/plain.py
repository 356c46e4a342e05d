"""A Static that shows text exactly as given: names, answers, reasons and paper text are never markup.

"Exactly" includes the characters a terminal would otherwise obey or hide: a string is passed
through ``domain/visible_text.visible`` first, so an ESC in a stored name shows as "␛".
"""

from __future__ import annotations

from textual.widgets import Static

from marker_tui.domain.visible_text import visible


class Plain(Static):
    def __init__(self, content="", **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(visible(content) if isinstance(content, str) else content, **kwargs)

    def update(self, content="", *, layout: bool = True) -> None:
        super().update(visible(content) if isinstance(content, str) else content, layout=layout)
