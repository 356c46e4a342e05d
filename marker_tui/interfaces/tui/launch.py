"""Start the application (kept apart so the CLI imports Textual only when needed)."""

from __future__ import annotations

from pathlib import Path


def open_app(db_path: Path) -> None:
    from marker_tui.services.centre import Centre

    from .app import MarkerApp

    centre = Centre.open(db_path)
    try:
        MarkerApp(centre).run()
    finally:
        centre.close()
