"""Input widgets that honour the app's cursor-blink setting.

Tests and snapshot runs turn blinking off so screens render the same every
time; screens should use these rather than the bare Textual widgets.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.strip import Strip
from textual.widgets import Input, TextArea

#: Tab and shift+tab, acted on in the app's own turn (the app installs these, so every form has them).
#: The app reads keys in the order typed and sends each to whatever has the focus at that moment; a
#: plain Tab is acted on only when the box it was sent to gets to it, and by then the keys typed after
#: it were sent to that box as well (1001, Tab, keycode: the keycode landed in the number box). As a
#: priority binding the app moves the focus itself, before it sends on the next key.
FOCUS_KEYS = [
    Binding("tab", "app.focus_next", "Focus Next", show=False, priority=True),  # Textual's own words (F1)
    Binding("shift+tab", "app.focus_previous", "Focus Previous", show=False, priority=True),
]


def _blink_allowed(widget) -> bool:
    return bool(getattr(widget.app, "cursor_blink", True))


async def _bound_key_now(box, event: events.Key) -> bool:
    """Act on a key the box itself binds (Backspace, Delete, arrows, Home, End, Enter…) in the key's own turn.

    Textual runs a widget's bindings only once the key has bubbled up to the app, and by then the
    keys typed after it are in the box already: in a burst (fast typing, SSH) "abc", Backspace, "def"
    gave "abcde", the Backspace taking the f. Returns whether the key was acted on.
    """
    for binding in box._bindings.key_to_bindings.get(event.key, ()):
        if not binding.priority and await box.app.run_action(binding.action, box):
            event.stop()
            event.prevent_default()
            restart_blink = getattr(box, "_restart_blink", None)
            if restart_blink is not None:
                restart_blink()
            return True
    return False


class TextInput(Input):
    """An Input that, given ``enter_moves_to`` (a selector), hands the keyboard to that box on Enter.

    A fast typist's keys after Enter are already queued for this box before any focus change can
    happen (name, Enter, PIN landed in the name box): so Enter hands over here, in the key's own
    turn, and keys that still reach this box go on to the box it handed to, in the order typed.
    """

    def __init__(self, *args, enter_moves_to: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enter_moves_to = enter_moves_to
        self.handed_to: Input | None = None

    def on_mount(self) -> None:
        self.cursor_blink = _blink_allowed(self)

    def _on_paste(self, event: events.Paste) -> None:
        # A one-line box: Textual keeps only the first line of a paste and drops the rest without a
        # word (a three-line incident note was stored as its first line). The lines are joined instead.
        lines = [line.strip() for line in event.text.splitlines() if line.strip()]
        if len(lines) < 2:
            return  # one line: Textual's own handler pastes it
        event.prevent_default()  # Textual calls each class's handler in turn: not its first-line-only one
        event.stop()
        joined = " ".join(lines)
        if self.selection.is_empty:
            self.insert_text_at_cursor(joined)
        else:
            self.replace(joined, *self.selection)

    async def _on_key(self, event: events.Key) -> None:
        target = self.handed_to
        if target is not None and target.is_attached:
            if event.key == "enter":
                event.stop()
                event.prevent_default()
                await target.action_submit()
                return
            if event.is_printable:
                event.stop()
                event.prevent_default()
                target.insert_text_at_cursor(event.character or "")
                return
            if await _bound_key_now(target, event):  # Backspace, arrows…: the box handed to's own
                return
        if event.key == "enter" and self.enter_moves_to and self.value.strip():
            found = self.screen.query(self.enter_moves_to)
            box = found.first(Input) if found else None
            if box is not None and not box.value:
                event.stop()
                event.prevent_default()
                self.handed_to = box
                # What the form would do on Enter here; it checks everything on the last box's Enter.
                # (No Submitted from this box: with the next box's Enter already typed, both would act.)
                box.focus()
                return
        if not await _bound_key_now(self, event):
            await super()._on_key(event)

    def _on_focus(self, event: events.Focus) -> None:
        self.handed_to = None  # back in this box: its keys are its own again
        super()._on_focus(event)


class PlainTextArea(TextArea):
    """A soft-wrapped, language-free TextArea: stays fast on long answers."""

    def __init__(self, text: str = "", **kwargs) -> None:
        kwargs.setdefault("soft_wrap", True)
        kwargs.setdefault("show_line_numbers", False)
        kwargs.setdefault("tab_behavior", "focus")
        super().__init__(text, language=None, **kwargs)
        self._rows: LRUCache[tuple, Strip] = LRUCache(512)

    # -- drawing: each row on screen is drawn again only when what it shows has changed -------------
    # Textual forgets every drawn row at each keystroke (its cache is keyed by position, and with soft
    # wrap by the cursor too), so typing one letter redrew every row of the box: most of a keystroke's
    # cost, and in a room of 30 learners on one host most of the room's. Keyed by what the row shows
    # (its piece of text, the cursor in it), typing at the end of an answer redraws one or two rows.
    # Anything rarer (a selection, tabs, bracket matching, no soft wrap) is drawn by Textual as before.

    def notify_style_update(self) -> None:
        self._rows.clear()  # focus, theme, contrast, read-only: every row's style may have changed
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        key = self._row_key(y)
        if key is None:
            return super().render_line(y)
        strip = self._rows.get(key)
        if strip is None:
            strip = self._rows[key] = self._render_line(y)
        return strip

    def _row_key(self, y: int) -> tuple | None:
        """Everything row ``y`` on screen depends on, or None where Textual draws it itself."""
        start_at, cursor_at = self.selection
        if (start_at != cursor_at or not self.soft_wrap or self.show_line_numbers or self.suggestion
                or self._highlights or self._matching_bracket_location is not None):
            return None
        document, wrapped = self.document, self.wrapped_document
        if self.placeholder and document.line_count == 1 and not document[0]:
            return None
        offset = y + self.scroll_offset.y
        if offset >= wrapped.height:
            return None  # below the text: a blank row, cheap
        try:
            line_index, section = wrapped._offset_to_line_info[offset]
        except IndexError:
            return None
        text = document[line_index]
        if "\t" in text:
            return None  # a tab's width depends on the rows before it
        cuts = wrapped.get_offsets(line_index)
        start = cuts[section - 1] if section else 0
        last = section == len(cuts)
        end = len(text) + 1 if last else cuts[section]  # the last row holds the space after the line
        row, column = cursor_at
        on_line = row == line_index
        cursor = column - start if on_line and start <= column < end else None
        return (text[start:end], last, cursor, on_line, self.scrollable_content_region.width, self.size,
                self.theme, self.read_only, self.show_cursor, self._draw_cursor, self.highlight_cursor_line)

    blink = True
    """Whether the cursor may blink (where the app allows it); a subclass can keep it steady."""

    def on_mount(self) -> None:
        self.cursor_blink = self.blink and _blink_allowed(self)

    async def _on_key(self, event: events.Key) -> None:
        if not await _bound_key_now(self, event):
            await super()._on_key(event)
