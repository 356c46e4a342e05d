"""The first screen: what this centre has loaded."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from marker_tui.interfaces.tui.widgets.specification_browser import SpecificationBrowser


class HomeScreen(Screen):
    BINDINGS = [
        Binding("q", "app.quit", "Quit"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def compose(self) -> ComposeResult:
        library = self.app.library
        yield Header()
        errors = len(library.errors)
        status = (
            f"{len(library.specifications)} qualification(s), {len(library.papers)} question paper(s) loaded"
            + (f" · {errors} file error(s): run `marker-tui check`" if errors else "")
        )
        yield Static(status, id="library-status", classes="error" if errors else "")
        yield SpecificationBrowser(library, id="browser")
        yield Footer()
