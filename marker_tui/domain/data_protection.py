"""What a subject access export holds (UK GDPR article 15): the record and its file names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class SubjectAccessRecord(BaseModel):
    """Everything held about one learner, as it goes into the JSON file (and the Word document)."""

    candidate_number: str
    name: str
    produced_at: datetime
    produced_by: str
    centre: str
    #: Each table's rows about the learner (every table is present, empty when it holds none).
    tables: dict[str, list[dict[str, Any]]]
    #: Which exam each sitting was: sitting id → code, qualification, unit, paper version, title.
    sittings: dict[int, dict[str, Any]]
    #: Audit log entries that name the learner or one of their scripts, oldest first.
    audit: list[dict[str, Any]]

    def row_counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in sorted(self.tables.items())} | {"audit_log": len(self.audit)}


def subject_access_file_stem(candidate_number: str, day: datetime) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in candidate_number)
    return f"subject-access-{safe}-{day:%Y-%m-%d}"
