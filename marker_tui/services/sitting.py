"""The old home of the sitting services, kept so older imports keep working.

A sitting is served by three modules now: ``room.py`` (the stored instants, time and the
sweep both sides share), ``invigilation.py`` (the invigilator's side) and ``learner.py``
(the learner's terminal). Import from those; a learner's process must import only
``learner.py`` (this module loads the invigilator's side too).
"""

from __future__ import annotations

from marker_tui.domain.sitting_states import ScriptState, SittingState
from marker_tui.services.invigilation import (
    MAX_EXTENSION_MINUTES,
    CandidateStatus,
    EnrolmentReport,
    Extension,
    InvigilationService,
    SittingService,
    SittingStatus,
    SittingSummary,
    TerminalAlert,
)
from marker_tui.services.learner import (
    AdmissionRefused,
    ExitRefused,
    LearnerIdentity,
    LearnerService,
    LearnerSession,
    LearnerTime,
    SaveReceipt,
    SaveRefused,
    ScriptInUse,
    SittingNotOpen,
    SubmissionReceipt,
)
from marker_tui.services.room import NoSuchSitting, SittingError

__all__ = [
    "MAX_EXTENSION_MINUTES", "AdmissionRefused", "CandidateStatus", "EnrolmentReport", "ExitRefused",
    "Extension", "InvigilationService", "LearnerIdentity", "LearnerService", "LearnerSession", "LearnerTime",
    "NoSuchSitting", "SaveReceipt", "SaveRefused", "ScriptInUse", "ScriptState", "SittingError", "SittingNotOpen",
    "SittingService", "SittingState", "SittingStatus", "SittingSummary", "SubmissionReceipt", "TerminalAlert",
]
