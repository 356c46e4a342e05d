"""Start the application (kept apart so the CLI imports Textual only when needed)."""

from __future__ import annotations

from pathlib import Path


def open_app(db_path: Path, *, welcome: str | None = None) -> None:
    import click

    from marker_tui.services.centre import Centre
    from marker_tui.storage.database import StorageError

    from .app import MarkerApp

    try:
        centre = Centre.open(db_path)
    except StorageError as error:
        # A database from a newer version, not a database, locked...: one clear line, no traceback.
        raise click.ClickException(str(error)) from None
    try:
        MarkerApp(centre, welcome=welcome).run()
    finally:
        centre.close()
