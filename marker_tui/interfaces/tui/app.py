"""The marker-tui Textual application."""

from __future__ import annotations

from typing import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from marker_tui.services.centre import Centre
from marker_tui.storage.assessment_files import AssessmentLibrary, load_library

from .screens.home import HomeScreen


class MarkerApp(App):
    """One app for the whole centre.

    ``start`` replaces the home screen as the first screen (``marker-tui sit`` and
    ``marker-tui invigilate`` open straight onto theirs). ``steady`` is for tests
    and snapshots: no animation and no blinking cursor, so screens render the same
    every time.
    """

    TITLE = "marker-tui"
    CSS_PATH = "styles/app.tcss"

    def __init__(
        self,
        centre: Centre | None = None,
        *,
        library: AssessmentLibrary | None = None,
        start: Screen | None = None,
        steady: bool = False,
    ) -> None:
        super().__init__()
        self.centre = centre
        self._library = library
        self._start = start
        self.cursor_blink = not steady
        if steady:
            self.animation_level = "none"

    @property
    def library(self) -> AssessmentLibrary:
        """The assessment files, read once on first use."""
        if self._library is None:
            self._library = load_library()
        return self._library

    def on_mount(self) -> None:
        self.push_screen(self._start or HomeScreen())

    def action_show_keys(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Every action bound on the current screen is also in the command palette.
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            yield SystemCommand(
                binding.description,
                binding.tooltip or f"{binding.description} (key: {binding.key_display or key})",
                lambda action=binding.action, node=active.node: self.run_action(action, node),
            )
        yield from super().get_system_commands(screen)
