"""The marker-tui Textual application."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen

from marker_tui.storage.assessment_files import AssessmentLibrary, load_library

from .screens.home import HomeScreen


class MarkerApp(App):
    TITLE = "marker-tui"
    CSS_PATH = "styles/app.tcss"

    def __init__(
        self,
        *,
        db_path: Path | None = None,
        library: AssessmentLibrary | None = None,
        steady: bool = False,
    ) -> None:
        super().__init__()
        self.db_path = db_path
        self.library = library if library is not None else load_library()
        # `steady` is for tests and snapshots: no animation, no blinking cursor.
        self.cursor_blink = not steady
        if steady:
            self.animation_level = "none"

    def on_mount(self) -> None:
        self.push_screen(HomeScreen())

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
                binding.tooltip or f"{binding.description} (key: {active.binding.key_display or key})",
                lambda action=binding.action, node=active.node: self.run_action(action, node),
            )
        yield from super().get_system_commands(screen)
