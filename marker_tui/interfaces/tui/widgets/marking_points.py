"""The mark scheme's creditable points as a tick list that wraps long points.

Textual's SelectionList draws one tick box per *line*, so it cuts long points
off with an ellipsis; a marker must read the whole point. This is an OptionList
(which wraps) whose prompts carry their own tick box. Space or Enter ticks the
highlighted point; every change posts :class:`PointsList.Changed`.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from marker_tui.domain.markscheme import CreditablePoint
from marker_tui.domain.visible_text import visible_line

TICKED = "[x] "
UNTICKED = "[ ] "


def point_prompt(number: int, point: CreditablePoint, ticked: bool) -> Text:
    label = Text(TICKED if ticked else UNTICKED, style="bold green" if ticked else "dim")
    label.append(f"{number}. ")
    label.append(f"({point.marks}) ", style="bold")
    label.append(visible_line(" ".join(point.text.split())))
    if point.alternatives:
        label.append("  Also: " + "; ".join(visible_line(" ".join(a.split())) for a in point.alternatives),
                     style="italic")
    return label


class PointsList(OptionList):
    """Creditable points with tick boxes; ``ticked`` holds positions from 0."""

    # Enter (OptionList's "select") and a mouse click tick too, through OptionSelected below.
    BINDINGS = [Binding("space", "toggle", "Tick point", show=False)]

    class Changed(Message):
        def __init__(self, points: PointsList, ticked: frozenset[int]) -> None:
            super().__init__()
            self.points = points
            self.ticked = ticked

        @property
        def control(self) -> PointsList:
            return self.points

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._points: list[CreditablePoint] = []
        self.ticked: set[int] = set()

    def show_points(self, points: Iterable[CreditablePoint], ticked: Iterable[int]) -> None:
        """Replace the list (no Changed message: this is the screen setting it)."""
        self._points = list(points)
        self.ticked = set(ticked)
        self.clear_options()
        self.add_options([Option(point_prompt(n + 1, p, n in self.ticked)) for n, p in enumerate(self._points)])
        if self._points:
            self.highlighted = 0

    def set_ticked(self, ticked: Iterable[int]) -> None:
        """Set the ticks without posting Changed (e.g. to undo a refused change)."""
        self.ticked = set(ticked)
        for n, point in enumerate(self._points):
            self.replace_option_prompt_at_index(n, point_prompt(n + 1, point, n in self.ticked))

    def toggle(self, index: int) -> None:
        if not 0 <= index < len(self._points):
            return
        self.ticked ^= {index}
        self.replace_option_prompt_at_index(index, point_prompt(index + 1, self._points[index], index in self.ticked))
        self.post_message(self.Changed(self, frozenset(self.ticked)))

    def action_toggle(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.toggle(event.option_index)
