"""IQA records as stored: sampling plans, their scripts, reviews and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from marker_tui.storage.database import Database, parse_instant


def confirmed_reviews(db: Database, script_ids: Sequence[int]) -> dict[tuple[int, str], datetime]:
    """When each reviewer confirmed their review of each script: {(script id, reviewer): at}."""
    out: dict[tuple[int, str], datetime] = {}
    ids = sorted(set(script_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for script_id, name, at in db.execute(
                "SELECT r.script_id, st.name, r.confirmed_at FROM iqa_reviews r JOIN staff st ON st.id = r.reviewer_id"
                f" WHERE r.state = 'confirmed' AND r.script_id IN ({','.join('?' * len(chunk))}) ORDER BY r.round",
                chunk):
            out[(script_id, name)] = parse_instant(at)
    return out
