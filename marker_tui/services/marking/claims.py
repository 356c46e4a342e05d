"""Claims: one marker holds a script while marking it, so nobody overwrites them silently.

Taking a claim and letting go of one are recorded in the audit log (typed events); keeping a
claim alive while the marker works (its expiry pushed on) is the unit of work's named
housekeeping, "claim refresh", and is not.
"""

from __future__ import annotations

from marker_tui.storage import marks as mark_store

from marker_tui.domain.events.marking import LapsedMarkingClaimTakenOver, MarkingClaimReleased, MarkingClaimTaken
from marker_tui.domain.roles import Permission
from marker_tui.services.marking.common import (
    CLAIM_TIMEOUT,
    Claim,
    MarkingBase,
    NothingWritten,
    ScriptForMarking,
)
from marker_tui.services.staff import find_staff
from marker_tui.services.unit_of_work import Writing
from marker_tui.storage.database import now_text

CLAIM_REFRESH = "claim refresh"
"""The housekeeping of a write that may only keep a marker's claim alive (not audited)."""


class Claims(MarkingBase):
    """Opening, claiming and releasing scripts."""

    # == claims ===================================================================================

    def open_script(self, script_id: int, *, by: str) -> ScriptForMarking:
        """Claim the script for ``by`` and return it (refused if another marker holds it)."""
        def work(tx: Writing) -> ScriptForMarking:
            script = self._script(tx.db, script_id)
            self._check_markable(script)
            self._take_claim(tx, script)
            return self._load(tx.db, script, tx.actor.staff_id, tx.now)

        return self._write(work, by=by, needs=Permission.MARK, what="opening a script", housekeeping=CLAIM_REFRESH)

    def claim(self, script_id: int, *, by: str) -> Claim:
        """Claim (or keep holding) a script; refused with who holds it if someone else does."""
        def work(tx: Writing) -> Claim:
            script = self._script(tx.db, script_id)
            self._check_markable(script)
            return self._take_claim(tx, script)

        return self._write(work, by=by, needs=Permission.MARK, what="claiming a script", housekeeping=CLAIM_REFRESH)

    def release(self, script_id: int, *, by: str) -> None:
        """Let go of a script this marker holds (nothing happens if they do not hold it)."""
        with self.uow.read() as rx:
            member = find_staff(rx.db, by)
            state = self._marking_row(rx.db, script_id) if member is not None else None
        if member is None or not state or state.claimed_by != member.id:
            return  # nothing of theirs to let go: no write at all

        def work(tx: Writing) -> None:
            state = self._marking_row(tx.db, script_id)
            if not state or state.claimed_by != tx.actor.staff_id:
                raise NothingWritten()  # let go (or taken over) since the look above
            held = self._active_claim(state, tx.now) is not None
            tx.marks.release_claim(script_id, tx.actor.staff_id)
            if held:
                script = self._script(tx.db, script_id)
                tx.record(MarkingClaimReleased(sitting_id=script.sitting_id, script_id=script_id,
                                               candidate_number=script.candidate_number,
                                               script_number=script.script_number))
            # else: their claim had lapsed already; clearing it is housekeeping.

        self._write(work, by=by, needs=Permission.SIGN_IN, what="releasing a script",
                    housekeeping="a lapsed claim cleared")

    def _take_claim(self, tx: Writing, script: mark_store.MarkingScript) -> Claim:
        """Hold ``script`` for the one acting: a new claim is recorded, one already held is refreshed
        (the caller's write names the housekeeping :data:`CLAIM_REFRESH`)."""
        db, actor, now = tx.db, tx.actor, tx.now
        self._check_cleared(db, script.sitting_id, actor)
        state = self._marking_row(db, script.id)
        self._check_not_held_by_other(db, script, state, actor, now)
        previous = self._active_claim(state, now)
        lapsed_holder = state.claimed_name if state and state.claimed_by not in (None, actor.staff_id) else None
        claimed_at = previous.claimed_at if previous is not None else now
        expires_at = now + CLAIM_TIMEOUT
        self._ensure_marking_row(db, script.id)
        tx.marks.set_claim(script.id, actor.staff_id, claimed_at=now_text(claimed_at),
                           expires_at=now_text(expires_at))
        where = dict(sitting_id=script.sitting_id, script_id=script.id,
                     candidate_number=script.candidate_number, script_number=script.script_number)
        if lapsed_holder:
            # Someone else's lapsed claim taken over: the one entry says both who and whose.
            tx.record(LapsedMarkingClaimTakenOver(**where, previous_holder=lapsed_holder,
                                                  lapsed_at=now_text(state.claim_expires_at)))
        elif previous is None:
            tx.record(MarkingClaimTaken(**where, lapses_at=now_text(expires_at)))
        return Claim(held_by=actor.label, staff_id=actor.staff_id, claimed_at=claimed_at, expires_at=expires_at)
