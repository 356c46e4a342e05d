"""A learner's rights over their personal data (UK GDPR): see it, and have it erased in time.

``subject_access`` gathers, in one consistent read, every row of every table
about one learner (``storage/learner_records.py`` finds the tables from the
schema) and the audit entries that name them; ``export_subject_access`` writes
it as a readable Word document and a machine-readable JSON file, and records
that it did (who, which files, how many rows of each table) without copying the
data itself into the log. :class:`RetentionService` keeps a retention period
per qualification (``domain/retention.py``), lists who is due and erases one
learner (``storage/erasure.py``) with the reason, audited without keeping what
was erased, so ``marker-tui audit verify`` still checks the whole chain.
Only an administrator may do any of it.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict
from pathlib import Path

from pydantic import BaseModel

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.data_protection import SubjectAccessRecord, subject_access_file_stem
from marker_tui.domain.events.data_protection import LearnerDataErased, RetentionPeriodSet, SubjectAccessExported
from marker_tui.domain.retention import DEFAULT_RETENTION_YEARS, RetentionStatus, check_years, retention_status
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import ServiceError
from marker_tui.services.settings import identity_in
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.database import Database
from marker_tui.storage.erasure import ERASED_NAME, RetentionRow


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
            labels = rx.learner_records.sitting_labels(sorted({s["sitting_id"] for s in tables["scripts"]}))
            audit_rows = rx.learner_records.audit_rows_about(candidate.candidate_number, script_ids)
            centre = identity_in(rx.db)
        # The record is what goes into the JSON file: plain mappings, with each entry's details parsed.
        sittings = {sitting_id: asdict(label) for sitting_id, label in labels.items()}
        audit = [asdict(row) | {"details": json.loads(row.details or "{}")} for row in audit_rows]
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


class ErasureReport(BaseModel):
    pseudonym: str
    rows: dict[str, int]
    audit_entries: int


class RetentionService:
    """Retention periods per qualification, what is due, and erasure (admin only, audited)."""

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    @staticmethod
    def _periods(rx) -> dict[str, int]:  # noqa: ANN001 - a read or write block
        from marker_tui.storage.centre_settings import RETENTION_KEY_PREFIX

        found = {}
        for qualification, value in rx.centre_settings.settings_starting(RETENTION_KEY_PREFIX).items():
            try:
                found[qualification] = check_years(int(value))
            except ValueError:
                continue  # an unreadable value counts as the default, never as "keep for ever"
        return found

    def periods(self, *, by: str) -> dict[str, int]:
        with self.uow.read(by=by, needs=Permission.ADMINISTER) as rx:
            return self._periods(rx)

    def set_period(self, qualification: str, years: int, *, by: str) -> None:
        from marker_tui.storage.centre_settings import RETENTION_KEY_PREFIX

        qualification = (qualification or "").strip()
        if not qualification:
            raise ServiceError("Name the qualification, e.g. 3818-13.")
        try:
            years = check_years(int(years))
        except ValueError as error:
            raise ServiceError(str(error)) from None
        with self.uow.write(by=by, needs=Permission.ADMINISTER, what="setting the retention period") as tx:
            known = tx.papers.qualifications()
            if qualification not in known:
                # A typing slip ("9999-99") was accepted and kept records of no qualification at all.
                raise ServiceError(f"No paper of qualification {qualification!r} is loaded here "
                                   f"({', '.join(sorted(known)) or 'none yet'}); check the number. Nothing was changed.")
            was = self._periods(tx).get(qualification, DEFAULT_RETENTION_YEARS)
            tx.centre_settings.write_setting(RETENTION_KEY_PREFIX + qualification, str(years),
                                             staff_id=tx.actor.staff_id, at=tx.now)
            tx.record(RetentionPeriodSet(qualification=qualification, years=years, was=was))

    def statuses(self, *, by: str) -> list[RetentionStatus]:
        """Every learner's retention status, due ones first."""
        with self.uow.read(by=by, needs=Permission.ADMINISTER) as rx:
            periods = self._periods(rx)
            rows = rx.erasure.retention_rows()
        return sorted(self._statuses(rows, periods), key=lambda s: (not s.due, s.due_at, s.candidate_number))

    def _statuses(self, rows: list[RetentionRow], periods: dict[str, int]) -> list[RetentionStatus]:
        by_candidate: dict[int, list[RetentionRow]] = {}
        for row in rows:
            by_candidate.setdefault(row.candidate_id, []).append(row)
        now = self.clock.now()
        out = []
        for group in by_candidate.values():
            first = group[0]
            if first.name == ERASED_NAME:
                continue
            sittings = [(r.qualification, r.code, r.ended_at) for r in group if r.code is not None]
            out.append(retention_status(candidate_number=first.candidate_number, name=first.name,
                                        created_at=first.created_at, sittings=sittings,
                                        periods=periods, now=now))
        return out

    @staticmethod
    def _reason(reason: str | None) -> str:
        reason = " ".join((reason or "").split())
        if len(reason) < 5:
            raise ServiceError(f"The reason {reason!r} is too short: say why in a few words (e.g. 'retention "
                               "period over' or 'learner's erasure request of 3 March')." if reason else
                               "Give the reason for the erasure (e.g. 'retention period over' or "
                               "'learner's erasure request of 3 March').")
        return reason

    def _erasable(self, rx, number: str, early: bool):  # noqa: ANN001 - a read or write block
        """The candidate and their retention status, or the refusal, in words."""
        candidate = rx.candidates.candidate_by_number(number) if number else None
        if candidate is None or candidate.name == ERASED_NAME:
            raise ServiceError(f"There is no candidate {number!r} (already erased, or a typing slip?). "
                               "Check with: marker-tui retention")
        [status] = self._statuses([r for r in rx.erasure.retention_rows() if r.candidate_id == candidate.id],
                                  self._periods(rx))
        if status.blocked:
            raise ServiceError(f"Candidate {candidate.candidate_number} cannot be erased yet: {status.blocked}.")
        if not status.due and not early:
            raise ServiceError(
                f"Candidate {candidate.candidate_number}'s records are kept until {status.due_at:%d %B %Y} "
                "(the retention period). To erase earlier (an erasure request), say so with --early.")
        return candidate, status

    def check_erasure(self, candidate_number: str, *, reason: str, by: str, early: bool = False) -> None:
        """Refuse now, as :meth:`erase` would, without changing anything (before anyone is asked to confirm)."""
        self._reason(reason)
        with self.uow.read(by=by, needs=Permission.ADMINISTER) as rx:
            self._erasable(rx, (candidate_number or "").strip(), early)

    def erase(self, candidate_number: str, *, reason: str, by: str, early: bool = False) -> ErasureReport:
        """Erase one learner's personal data, keeping results as statistics under a pseudonym."""
        reason = self._reason(reason)
        number = (candidate_number or "").strip()
        with self.uow.write(by=by, needs=Permission.ADMINISTER, what="erasing a learner's data") as tx:
            candidate, status = self._erasable(tx, number, early)
            pseudonym = self._pseudonym(tx)
            entries, rows = tx.erasure.erase_learner(candidate_id=candidate.id, number=candidate.candidate_number,
                                                     name=candidate.name, pseudonym=pseudonym, at=tx.now)
            tx.record(LearnerDataErased(candidate_number=pseudonym, reason=reason, erased_entries=entries,
                                        rows=rows, early=early and not status.due))
        return ErasureReport(pseudonym=pseudonym, rows=rows, audit_entries=len(entries))

    @staticmethod
    def _pseudonym(tx) -> str:  # noqa: ANN001 - a write block
        while True:
            candidate = f"ERASED-{secrets.token_hex(3).upper()}"
            if tx.candidates.candidate_by_number(candidate) is None:
                return candidate
