"""Keys as a terminal delivers a burst (a paste, a fast typist over SSH): all of them reach the app
before it has acted on the first. ``pilot.press`` waits for the app between keys, so it cannot show
a key landing in the wrong box; this posts them back to back, as the terminal driver does.
"""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key

_CHARACTERS = {"tab": "\t", "enter": "\r", "space": " ", "backspace": "\x7f"}


async def press_burst(pilot, *keys: str) -> None:
    """Post ``keys`` (Pilot's names: "1", "A", "tab", "left", "space", a "-" or "é" as itself) without a pause."""
    for key in keys:
        if len(key) > 1:  # a named key: "tab", "left", "shift+tab"
            event = events.Key(key, _CHARACTERS.get(key))
        else:
            event = events.Key(key if key.isalnum() else _character_to_key(key), key)
        pilot.app.post_message(event)
    for _ in range(3):  # the app, then the boxes the keys were sent to, then what they posted
        await pilot.pause()
