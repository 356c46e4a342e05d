"""Small helpers for the DataTables that list sittings, scripts and candidates."""

from __future__ import annotations

from textual.widgets import DataTable


def highlighted_key(table: DataTable) -> str | None:
    """The row key under the cursor, or None when the table is empty."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
