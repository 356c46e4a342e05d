"""Input widgets that honour the app's cursor-blink setting.

Tests and snapshot runs turn blinking off so screens render the same every
time; screens should use these rather than the bare Textual widgets.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
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

    blink = True
    """Whether the cursor may blink (where the app allows it); a subclass can keep it steady."""

    def on_mount(self) -> None:
        self.cursor_blink = self.blink and _blink_allowed(self)

    async def _on_key(self, event: events.Key) -> None:
        if not await _bound_key_now(self, event):
            await super()._on_key(event)
