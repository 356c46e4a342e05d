"""Drafts: what a marker typed but has not saved, so a dead terminal loses nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable

from marker_tui.domain.roles import Permission
from marker_tui.services.marking.common import (
    MAX_COMMENT_CHARS,
    MarkingBase,
)
from marker_tui.services.staff import find_staff
from marker_tui.services.unit_of_work import Writing
from marker_tui.storage.database import now_text

#: Drafts are not marks (never counted, never audited): keeping one is named housekeeping.
KEEPING_A_DRAFT = "keeping a draft"
DISCARDING_A_DRAFT = "discarding a draft"


class Drafts(MarkingBase):
    """Keeping and discarding drafts (not marks: never counted, never audited)."""

    # == drafts =====================================================================================

    def save_draft(self, script_id: int, question_id: str, *, by: str, marks_text: str,
                   ticks: Iterable[int], comment: str, base_version: int) -> None:
        """Keep what a marker has typed but not saved (not a mark: not counted, not audited)."""
        points = sorted({int(t) for t in ticks})
        marks_text = (marks_text or "")[:20]
        comment = (comment or "")[:MAX_COMMENT_CHARS]

        def work(tx: Writing) -> None:
            tx.marks.put_draft(script_id, str(question_id), tx.actor.staff_id, marks_text=marks_text,
                               points_json=json.dumps(points), comment=comment, base_version=int(base_version),
                               at=now_text(tx.now))

        # Anyone on the staff list may keep their own draft (whoever may save the mark is checked then).
        self._write(work, by=by, needs=Permission.SIGN_IN, what=KEEPING_A_DRAFT, housekeeping=KEEPING_A_DRAFT)

    def discard_draft(self, script_id: int, question_id: str, *, by: str) -> None:
        with self.uow.read() as rx:
            if find_staff(rx.db, by) is None:
                return  # nobody by that name has drafts

        def work(tx: Writing) -> None:
            tx.marks.drop_draft(script_id, str(question_id), tx.actor.staff_id)

        self._write(work, by=by, needs=Permission.SIGN_IN, what=DISCARDING_A_DRAFT, housekeeping=DISCARDING_A_DRAFT)
