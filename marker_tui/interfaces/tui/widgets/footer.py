"""Textual's footer, without the leak of its old keys.

Textual 8.2.8 (issue Textualize/textual#6666) rebuilds the footer's keys every
time the screen's bindings change, and each key it builds registers itself as a
watcher of the footer's ``compact`` setting. Nothing removes those watchers, so
every key ever shown stays in memory, with its styles and its message queue,
for as long as the footer lives. A learner's screen changes its bindings each
time focus moves, the room pauses or the phase changes, so over a sitting the
terminal would grow without bound. This footer forgets the watchers of keys it
has removed, each time it rebuilds.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    async def recompose(self) -> None:
        await super().recompose()
        self.forget_removed_keys()

    def forget_removed_keys(self) -> None:
        # Textual keeps watchers on the watched object as {attribute: [(watcher, callback), ...]}.
        watchers: dict[str, list] = getattr(self, "__watchers", None) or {}
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if not isinstance(node, Widget) or node is self or node.is_attached]
