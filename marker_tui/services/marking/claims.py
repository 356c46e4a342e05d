"""Claims: one marker holds a script while marking it, so nobody overwrites them silently."""

from __future__ import annotations

from datetime import datetime
from typing import Any


from marker_tui.services.audit import Actor, record
from marker_tui.services.staff import find_staff, resolve_actor
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import Database, now_text, run_write
from marker_tui.domain.events.marking import LapsedMarkingClaimTakenOver
from marker_tui.services.marking.common import (
    CLAIM_TIMEOUT,
    Claim,
    MARKERS,
    MarkingBase,
    ScriptForMarking,
)


class Claims(MarkingBase):
    """Opening, claiming and releasing scripts."""

    # == claims ===================================================================================

    def open_script(self, script_id: int, *, by: str) -> ScriptForMarking:
        """Claim the script for ``by`` and return it (refused if another marker holds it)."""
        now = self.clock.now()

        def work(db: Database) -> ScriptForMarking:
            actor = resolve_actor(db, by, *MARKERS)
            script = self._script(db, script_id)
            self._check_markable(script)
            self._take_claim(db, script, actor, now)
            return self._load(db, script, actor.staff_id, now)

        return run_write(self.db, work, "opening a script")

    def claim(self, script_id: int, *, by: str) -> Claim:
        """Claim (or keep holding) a script; refused with who holds it if someone else does."""
        now = self.clock.now()

        def work(db: Database) -> Claim:
            actor = resolve_actor(db, by, *MARKERS)
            script = self._script(db, script_id)
            self._check_markable(script)
            return self._take_claim(db, script, actor, now)

        return run_write(self.db, work, "claiming a script")

    def release(self, script_id: int, *, by: str) -> None:
        """Let go of a script this marker holds (nothing happens if they do not hold it)."""
        def work(db: Database) -> None:
            member = find_staff(db, by)
            if member is None:
                return
            mark_store.release_claim(db, script_id, member.id)

        run_write(self.db, work, "releasing a script")


    def _take_claim(self, db: Database, script: dict[str, Any], actor: Actor, now: datetime) -> Claim:
        self._check_cleared(db, script, actor)
        state = self._marking_row(db, script["id"])
        self._check_not_held_by_other(db, script, state, actor, now)
        previous = self._active_claim(state, now)
        lapsed_holder = state["claimed_name"] if state and state["claimed_by"] not in (None, actor.staff_id) else None
        claimed_at = previous.claimed_at if previous is not None else now
        self._ensure_marking_row(db, script["id"])
        mark_store.set_claim(db, script["id"], actor.staff_id, claimed_at=now_text(claimed_at),
                             expires_at=now_text(now + CLAIM_TIMEOUT))
        if lapsed_holder:
            # Someone else's lapsed claim taken over: worth a line in the trail.
            event = LapsedMarkingClaimTakenOver(
                sitting_id=script["sitting_id"], script_id=script["id"], candidate_number=script["candidate_number"],
                script_number=script["script_number"], previous_holder=lapsed_holder,
                lapsed_at=state["claim_expires_at"])
            # Claims are written through the older door (taking one is not audited; a takeover is).
            record(db, at=now, actor=actor, action=event.action.value, sitting_id=event.sitting_id,
                   script_id=event.script_id, candidate_number=event.candidate_number, details=event.details())
        return Claim(held_by=actor.label, staff_id=actor.staff_id, claimed_at=claimed_at,
                     expires_at=now + CLAIM_TIMEOUT)

