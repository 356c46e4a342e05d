"""Start the application (kept apart so the CLI imports Textual only when needed)."""

from __future__ import annotations

from pathlib import Path


def open_app(db_path: Path) -> None:
    from .app import MarkerApp

    MarkerApp(db_path=db_path).run()
