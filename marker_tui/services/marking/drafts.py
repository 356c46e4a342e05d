"""Drafts: what a marker typed but has not saved, so a dead terminal loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable


from marker_tui.services.staff import find_staff
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import Database, now_text, run_write
from marker_tui.services.marking.common import (
    MAX_COMMENT_CHARS,
    MarkingBase,
    MarkingError,
)


class Drafts(MarkingBase):
    """Keeping and discarding drafts (not marks: never counted, never audited)."""

    # == drafts =====================================================================================

    def save_draft(self, script_id: int, question_id: str, *, by: str, marks_text: str,
                   ticks: Iterable[int], comment: str, base_version: int) -> None:
        """Keep what a marker has typed but not saved (not a mark: not counted, not audited)."""
        points = sorted({int(t) for t in ticks})
        marks_text = (marks_text or "")[:20]
        comment = (comment or "")[:MAX_COMMENT_CHARS]
        now = self.clock.now()

        def work(db: Database) -> None:
            member = find_staff(db, by)
            if member is None:
                raise MarkingError(f"There is no staff member called {by!r}.")
            mark_store.put_draft(db, script_id, str(question_id), member.id, marks_text=marks_text,
                                 points_json=json.dumps(points), comment=comment, base_version=int(base_version),
                                 at=now_text(now))

        run_write(self.db, work, "keeping a draft")

    def discard_draft(self, script_id: int, question_id: str, *, by: str) -> None:
        def work(db: Database) -> None:
            member = find_staff(db, by)
            if member is not None:
                mark_store.drop_draft(db, script_id, str(question_id), member.id)

        run_write(self.db, work, "discarding a draft")

