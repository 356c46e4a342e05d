"""The answer box draws a row again only when what it shows changed, and always as Textual would.

PlainTextArea keeps each drawn row by what it shows (its piece of text, the cursor in it) instead of
letting every keystroke redraw the whole box (inputs.py). What a learner sees must not change: after
every kind of edit, move, resize, focus change and theme change, every row on screen is compared with
Textual's own drawing of it.
"""

from __future__ import annotations

import random

from textual.app import App

from marker_tui.interfaces.tui.widgets.contrast import HIGH_CONTRAST, ensure_registered
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea


class Box(App):
    CSS = "PlainTextArea { height: 12; } #other { height: 3; }"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self):
        yield PlainTextArea(self.text, id="answer")
        yield PlainTextArea("", id="other")

    def on_mount(self) -> None:
        ensure_registered(self)
        self.query_one("#answer").focus()


def differences(area: PlainTextArea) -> list[int]:
    """Rows whose drawing (kept or not) is not Textual's own drawing of them now."""
    return [y for y in range(area.size.height) if area.render_line(y) != area._render_line(y)]


WORDS = "the hazard is a trailing lead across the walkway so isolate it first then check".split()


async def test_every_row_is_drawn_as_textual_draws_it_through_edits_moves_resizes_and_themes():
    rng = random.Random(13)
    app = Box("An answer that starts with a line of its own.\n\n" + " ".join(WORDS * 6))
    async with app.run_test(size=(48, 20)) as pilot:
        area = app.query_one("#answer", PlainTextArea)
        area.move_cursor(area.document.end)
        await pilot.pause()
        steps = [
            lambda: pilot.press(*f" {rng.choice(WORDS)}"),          # typing at the end
            lambda: pilot.press("left", "left", "left", "x"),         # typing inside a word
            lambda: pilot.press("enter"),
            lambda: pilot.press("backspace", "backspace"),
            lambda: pilot.press("up", "y"),                           # another row
            lambda: pilot.press("home", "z"),
            lambda: pilot.press("ctrl+end"),
            lambda: pilot.press("shift+left", "shift+left"),          # a selection: Textual draws it
            lambda: pilot.press("right"),
            lambda: pilot.resize_terminal(rng.choice((36, 48, 61)), 20),  # rewrapped
            lambda: pilot.press("tab"),                               # focus leaves the box
            lambda: pilot.press("shift+tab"),                         # and comes back
        ]
        checked = kept_rows = 0
        for turn in range(70):
            step = rng.choice(steps)
            await step()
            if rng.random() < 0.05:
                area.read_only = not area.read_only
            if rng.random() < 0.04:
                app.theme = HIGH_CONTRAST if app.theme != HIGH_CONTRAST else "textual-dark"
            if rng.random() < 0.05:
                area.scroll_relative(y=rng.choice((-2, 2)), animate=False)
            await pilot.pause()
            assert differences(area) == [], f"turn {turn}: rows drawn differently from Textual's own"
            checked += area.size.height
            kept_rows = max(kept_rows, len(area._rows))
        assert kept_rows > 10 and checked > 500  # rows were kept (the cache is in use) and compared


async def test_typing_at_the_end_of_a_long_paragraph_keeps_the_rows_above_and_shows_each_letter():
    paragraph = " ".join(WORDS * 120)  # one paragraph, no line breaks, many rows
    app = Box(paragraph)
    async with app.run_test(size=(48, 20)) as pilot:
        area = app.query_one("#answer", PlainTextArea)
        area.move_cursor(area.document.end)
        await pilot.pause()
        before = [area.render_line(y) for y in range(area.size.height)]
        await pilot.press(*" and more")
        await pilot.pause()
        assert area.document.text == paragraph + " and more"
        assert differences(area) == []
        after = [area.render_line(y) for y in range(area.size.height)]
        drawn_before = {id(strip) for strip in before}
        kept = sum(1 for strip in after if id(strip) in drawn_before)  # the same drawing, maybe a row higher
        assert kept >= area.size.height - 4  # only the rows that changed were drawn again
