"""Where exports go by default and the centre name from the environment (issue 17.3).

The interfaces (CLI and TUI) decide these, not services/exports.py: a service that read the
environment or the home folder could not be tested or run for another centre without side effects.
"""

from __future__ import annotations

import os
from pathlib import Path

from marker_tui.services.exports import export_folder

EXPORTS_ENV = "MARKER_TUI_EXPORTS"
CENTRE_NAME_ENV = "MARKER_TUI_CENTRE_NAME"


def exports_root() -> Path:
    """``MARKER_TUI_EXPORTS``, else ``~/marker-tui-exports``."""
    return Path(os.environ.get(EXPORTS_ENV) or Path.home() / "marker-tui-exports").expanduser()


def default_export_folder(code: str) -> Path:
    """``<exports root>/<CODE>/``: the export dialog's and the CLI's default."""
    return export_folder(exports_root(), code)


def centre_name_from_environment() -> str | None:
    """``MARKER_TUI_CENTRE_NAME`` if set and not blank (the service cleans and checks it)."""
    return (os.environ.get(CENTRE_NAME_ENV) or "").strip() or None
