"""A Static that shows text exactly as given: names, answers, reasons and paper text are never markup."""

from __future__ import annotations

from textual.widgets import Static


class Plain(Static):
    def __init__(self, content="", **kwargs) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(content, **kwargs)
