"""What leaves the database, or replaces it: exports of a sitting, backups and restores.

An export's entry says what was written where (and what was not finished when it was
exported anyway); a backup's and a restore's say which file, its checksum and the audit
heads, so a copy can be tied back to this log.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.audit_chain import SET_ASIDE
from marker_tui.domain.events import AuditEvent


def _alias(name: str, default: Any = ...) -> Any:
    return Field(default, serialization_alias=name)


# -- exports of a sitting ----------------------------------------------------------------------------
class _Exported(AuditEvent):
    """A sitting's document written; ``not_finished`` lists what was missing when exported anyway."""

    omit_empty: ClassVar[bool] = True
    format: str
    not_finished: list[str] | None = _alias("exported although not finished", None)


class ResultsExported(_Exported):
    action: ClassVar[Action] = Action.RESULTS_EXPORTED
    path: str
    candidates: int


class FeedbackExported(_Exported):
    action: ClassVar[Action] = Action.FEEDBACK_EXPORTED
    folder: str
    documents: int
    answers_included: bool = _alias("learners' answers included")
    candidate: str | None = None
    """Set when one learner's feedback was asked for."""
    left_out: list[str] | None = _alias("left out", None)


class IqaRecordExported(_Exported):
    action: ClassVar[Action] = Action.IQA_RECORD_EXPORTED
    path: str
    sampled: int
    reviews: int


class AuditTrailExported(_Exported):
    action: ClassVar[Action] = Action.AUDIT_TRAIL_EXPORTED
    path: str
    rows: int


# -- backups and restores ----------------------------------------------------------------------------
class DatabaseBackedUp(AuditEvent):
    """A full copy of the database written (recorded in the live log: an anchor outside the copy)."""

    action: ClassVar[Action] = Action.DATABASE_BACKED_UP
    file: str
    bytes: int
    sha256: str
    schema_version: int | None
    audit_head_id: int | None
    audit_head_hash: str | None


class DatabaseRestored(AuditEvent):
    """The database replaced by a backup (written in the restored database, with the replacement).

    The ids set aside, what was forced past and whose answers were lost appear only when there were any.
    """

    action: ClassVar[Action] = Action.DATABASE_RESTORED
    backup: str = _alias("from")
    backup_sha256: str
    backup_schema_version: int | None
    backup_head_id: int | None
    backup_head_hash: str | None
    replaced_head_id: int | None
    replaced_head_hash: str | None
    safety_copy: str | None
    safety_sha256: str | None
    forced: bool
    reason: str | None
    set_aside_ids: list[int] | None = _alias(SET_ASIDE, None)
    forced_past: list[str] | None = _alias("forced past", None)
    lost_answers: dict[str, int] | None = _alias("lost answers", None)

    def details(self) -> dict[str, Any]:
        # "reason" and the heads are kept even when None (as the entry always had them).
        out = super().details()
        for key in (SET_ASIDE, "forced past", "lost answers"):
            if out.get(key) is None:
                out.pop(key, None)
        return out
