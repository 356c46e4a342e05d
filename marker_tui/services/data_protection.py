"""A learner's rights over their personal data (UK GDPR): see everything held about them.

``subject_access`` gathers, in one consistent read, every row of every table
about one learner (``storage/learner_records.py`` finds the tables from the
schema) and the audit entries that name them; ``export_subject_access`` writes
it as a readable Word document and a machine-readable JSON file, and records
that it did (who, which files, how many rows of each table) without copying the
data itself into the log. Only an administrator may do either.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.data_protection import SubjectAccessRecord, subject_access_file_stem
from marker_tui.domain.events.data_protection import SubjectAccessExported
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import ServiceError
from marker_tui.services.settings import identity_in
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.database import Database


class DataProtectionService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def subject_access(self, candidate_number: str, *, by: str) -> SubjectAccessRecord:
        """Everything held about the candidate (an administrator's read, one snapshot)."""
        number = (candidate_number or "").strip()
        with self.uow.read(by=by, needs=Permission.ADMINISTER) as rx:
            candidate = rx.candidates.candidate_by_number(number) if number else None
            if candidate is None:
                raise ServiceError(f"There is no candidate {number!r}. Check the number with: marker-tui candidates list")
            tables = rx.learner_records.learner_rows(candidate.id)
            script_ids = [s["id"] for s in tables["scripts"]]
            sittings = rx.learner_records.sitting_labels(sorted({s["sitting_id"] for s in tables["scripts"]}))
            audit = rx.learner_records.audit_rows_about(candidate.candidate_number, script_ids)
            centre = identity_in(rx.db)
        for entry in audit:
            entry["details"] = json.loads(entry["details"] or "{}")
        return SubjectAccessRecord(
            candidate_number=candidate.candidate_number, name=candidate.name, produced_at=self.clock.now(),
            produced_by=rx.actor.label if rx.actor else by,
            centre=centre.name + (f" (centre {centre.number})" if centre.number else ""),
            tables=tables, sittings=sittings, audit=audit)

    def export_subject_access(self, candidate_number: str, folder: str | os.PathLike[str], *,
                              by: str) -> list[Path]:
        """Write the .docx and .json into ``folder``; audited. Returns the two paths."""
        from marker_tui.documents.subject_access import write_subject_access_docx, write_subject_access_json

        record = self.subject_access(candidate_number, by=by)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        stem = subject_access_file_stem(record.candidate_number, record.produced_at.astimezone())
        docx, data = folder / f"{stem}.docx", folder / f"{stem}.json"
        write_subject_access_json(record, data)
        write_subject_access_docx(record, docx)
        try:
            with self.uow.write(by=by, needs=Permission.ADMINISTER, what="recording the subject access export") as tx:
                tx.record(SubjectAccessExported(candidate_number=record.candidate_number,
                                                files=[str(docx), str(data)], rows=record.row_counts()))
        except BaseException:
            # Unrecorded personal data must not be left lying about: no audit entry, no files.
            for path in (docx, data):
                path.unlink(missing_ok=True)
            raise
        return [docx, data]
