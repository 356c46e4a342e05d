"""Where marker-tui keeps things on disk: the database and the shipped files."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

DB_ENV = "MARKER_TUI_DB"

#: The repository (or installed tree) holding papers/ and markschemes/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_PAPERS = PROJECT_ROOT / "papers"
SHIPPED_MARKSCHEMES = PROJECT_ROOT / "markschemes"
PACKAGE_DATA = Path(__file__).resolve().parents[1] / "data"
COMMAND_VERBS_FILE = PACKAGE_DATA / "command_verbs.yaml"


def default_database_path() -> Path:
    """The embedded default: one SQLite file in the user's data folder."""
    return user_data_path("marker-tui", appauthor=False) / "marker-tui.db"


def database_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` wins, then ``MARKER_TUI_DB``, then the per-user default."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_database_path()
