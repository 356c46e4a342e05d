"""Incident notes and terminal releases: what an invigilator writes down during a sitting.

The sitting engine keeps no incident table, so an incident is an audit entry
(action ``incident``) written in its own transaction through the unit of work
(``services/unit_of_work.py``): append-only, timestamped, attributed, and shown with everything
else in ``SittingService.log``. A learner's locked terminal released with an
invigilator's PIN is recorded the same way (action ``learner terminal closed``).
"""

from __future__ import annotations


from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.visible_text import typed_line
from marker_tui.domain.events.incidents import IncidentNoted, LearnerTerminalClosed
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import ServiceError
from marker_tui.services.candidates import find_candidate
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage import sittings as sitting_store
from marker_tui.storage.sittings import no_such_sitting, sitting_by_code
from marker_tui.storage.database import Database

MAX_NOTE_CHARS = 2000


class IncidentError(ServiceError):
    pass


def _clean_note(text: str | None) -> str:
    return typed_line(text, what="An incident note", limit=MAX_NOTE_CHARS,
                      empty="Write what happened: an incident note cannot be empty.", refuse=IncidentError)


class IncidentService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def _target(self, db: Database, code: str, candidate_number: str | None):
        sitting = sitting_by_code(db, code)
        if sitting is None:
            raise IncidentError(no_such_sitting(code))
        script_id, number = None, None
        if candidate_number and candidate_number.strip():
            number = candidate_number.strip().upper()
            candidate = find_candidate(db, number)
            script_id = None if candidate is None else sitting_store.enrolled_script_id(db, sitting.id, candidate.id)
            if script_id is None:
                raise IncidentError(f"Candidate {number} is not enrolled in sitting {sitting.code}.")
            number = candidate.candidate_number
        return sitting.id, script_id, number

    def note(self, code: str, text: str, *, by: str, candidate_number: str | None = None) -> None:
        """Record an incident for the room, or about one candidate."""
        note = _clean_note(text)
        with self.uow.write(by=by, needs=Permission.RUN_ROOM, what="recording the incident") as tx:
            sitting_id, script_id, number = self._target(tx.db, code, candidate_number)
            tx.record(IncidentNoted(sitting_id=sitting_id, script_id=script_id, candidate_number=number, note=note))

    def terminal_released(self, code: str, candidate_number: str, *, by: str, state: str) -> None:
        """An invigilator's PIN closed a learner's locked terminal."""
        with self.uow.write(by=by, needs=Permission.RUN_ROOM, what="recording the terminal release") as tx:
            sitting_id, script_id, number = self._target(tx.db, code, candidate_number)
            tx.record(LearnerTerminalClosed(sitting_id=sitting_id, script_id=script_id,
                                            candidate_number=number, screen=state))
