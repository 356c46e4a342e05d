"""What happens in a sitting, as the audit log records it: the room's life and the learners' terminals.

Field names are the entries' ``details`` keys; a key that is a phrase ("sitting state") is a
field with that phrase as its alias, since the chain hashes the keys and exports read them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.events import AuditEvent


def _alias(name: str, default: Any = ...) -> Any:
    return Field(default, serialization_alias=name)


# -- the invigilator's room ------------------------------------------------------------------------
class SittingCreated(AuditEvent):
    action: ClassVar[Action] = Action.SITTING_CREATED
    code: str
    paper_id: int
    qualification: str
    unit: str
    paper_version: str
    content_hash: str | None
    time_allowance_minutes: int
    scheduled_start: str | None


class CandidateEnrolled(AuditEvent):
    action: ClassVar[Action] = Action.CANDIDATE_ENROLLED
    script_number: str
    extra_time_percent: int
    sitting_state: str = _alias("sitting state")


class AdmissionKeycodesIssued(AuditEvent):
    action: ClassVar[Action] = Action.ADMISSION_KEYCODES_ISSUED
    candidates: list[str]
    count: int
    earlier_keycodes: str = _alias("earlier keycodes", "no longer work")


class TerminalTakeoverApproved(AuditEvent):
    action: ClassVar[Action] = Action.TERMINAL_TAKEOVER_APPROVED
    from_terminal: str | None = _alias("from terminal")
    from_terminal_was: str = _alias("from terminal was")
    to_terminal: str = _alias("to terminal")
    requested_at: str = _alias("requested at")


class SittingOpened(AuditEvent):
    action: ClassVar[Action] = Action.SITTING_OPENED
    reason: str | None


class CandidateStarted(AuditEvent):
    """One candidate's clock started by the invigilator (e.g. sitting apart)."""

    action: ClassVar[Action] = Action.CANDIDATE_STARTED
    started_at: str
    reason: str | None
    allowed_seconds: int


class SittingStarted(AuditEvent):
    action: ClassVar[Action] = Action.SITTING_STARTED
    started_at: str
    candidates_started: list[str] = _alias("candidates started")
    not_logged_in_yet: list[str] = _alias("not logged in yet")
    reason: str | None


class SittingPaused(AuditEvent):
    action: ClassVar[Action] = Action.SITTING_PAUSED
    reason: str
    paused_at: str


class CandidatePaused(AuditEvent):
    action: ClassVar[Action] = Action.CANDIDATE_PAUSED
    reason: str
    paused_at: str
    left_seconds: int


class _Resumed(AuditEvent):
    reason: str
    paused_at: str
    resumed_at: str
    paused_seconds: int
    pause_reason: str | None = _alias("pause reason")


class SittingResumed(_Resumed):
    action: ClassVar[Action] = Action.SITTING_RESUMED


class CandidateResumed(_Resumed):
    action: ClassVar[Action] = Action.CANDIDATE_RESUMED


class ExtensionGranted(AuditEvent):
    action: ClassVar[Action] = Action.EXTENSION_GRANTED
    minutes: int
    reason: str
    old_allowed_seconds: int
    new_allowed_seconds: int


class SittingEnded(AuditEvent):
    """Ended by the invigilator (with what it was and who was cut short), or on its own once every
    script was finished (reason "every script finished", and only those two keys)."""

    action: ClassVar[Action] = Action.SITTING_ENDED
    reason: str | None
    ended_at: str | None
    state_before: str | None = _alias("state before", None)
    scripts_ended_early: list[str] | None = _alias("scripts ended early", None)

    def details(self) -> dict[str, Any]:
        found = super().details()
        if self.state_before is None and self.scripts_ended_early is None:  # the engine's own end
            found.pop("state before"), found.pop("scripts ended early")
        return found


class _Finished(AuditEvent):
    omit_empty: ClassVar[bool] = True
    finish: str
    reason: str
    submitted_at: str
    questions_answered: int
    left_seconds: int | None = None
    """Only when the invigilator ended a script that still had time."""


class ScriptSubmitted(_Finished):
    """Handed in by the learner, time up, or ended by the invigilator (``finish`` says which)."""

    action: ClassVar[Action] = Action.SCRIPT_SUBMITTED


class ScriptAbsent(_Finished):
    """Ended before the candidate's clock ever started."""

    action: ClassVar[Action] = Action.SCRIPT_ABSENT


# -- the learner's terminal ------------------------------------------------------------------------
class AdmissionRefused(AuditEvent):
    """A wrong candidate number or keycode, or a terminal locked after too many."""

    action: ClassVar[Action] = Action.ADMISSION_REFUSED
    omit_empty: ClassVar[bool] = True
    terminal: str
    candidate_number_typed: str = _alias("candidate number typed")
    reason: str
    locked_until: str | None = _alias("locked until", None)
    wrong_tries: int | None = _alias("wrong tries on this terminal", None)
    terminal_locked_until: str | None = _alias("terminal locked until", None)


class ExitCodeRefused(AuditEvent):
    """A wrong exit code typed on a learner's terminal, or its exit dialog locked."""

    action: ClassVar[Action] = Action.EXIT_CODE_REFUSED
    omit_empty: ClassVar[bool] = True
    terminal: str
    reason: str
    locked_until: str | None = _alias("locked until", None)
    wrong_tries: int | None = _alias("wrong tries on this terminal", None)
    exit_dialog_locked_until: str | None = _alias("exit dialog locked until", None)


class SecondLoginRefused(AuditEvent):
    action: ClassVar[Action] = Action.SECOND_LOGIN_REFUSED
    terminal: str
    live_terminal: str = _alias("live terminal")
    takeover: str = "waiting for the invigilator's approval"


class _LoggedIn(AuditEvent):
    omit_empty: ClassVar[bool] = True
    sitting_state: str = _alias("sitting state")
    terminal: str
    previous_terminal: str | None = _alias("previous terminal", None)
    previous_lease: str | None = _alias("previous lease", None)


class CandidateLoggedIn(_LoggedIn):
    action: ClassVar[Action] = Action.CANDIDATE_LOGGED_IN


class CandidateLoggedInAgain(_LoggedIn):
    action: ClassVar[Action] = Action.CANDIDATE_LOGGED_IN_AGAIN


class LateStart(AuditEvent):
    action: ClassVar[Action] = Action.LATE_START
    started_at: str
    room_started_at: str | None = _alias("room started_at")
    late_by_seconds: int
    allowed_seconds: int
    rule: str = "full allowance from the candidate's own start"


class AnswerSaved(AuditEvent):
    action: ClassVar[Action] = Action.ANSWER_SAVED
    omit_empty: ClassVar[bool] = True
    question: str
    version: int
    characters: int
    sha256: str
    while_paused: bool | None = _alias("while paused", None)
    invalid_characters_replaced: int | None = _alias("invalid characters replaced", None)
    older_versions_thinned: int | None = _alias("older versions thinned", None)


class QuestionFlagged(AuditEvent):
    action: ClassVar[Action] = Action.QUESTION_FLAGGED
    question: str


class FlagCleared(AuditEvent):
    action: ClassVar[Action] = Action.FLAG_CLEARED
    question: str


class ChangeRefused(AuditEvent):
    """A learner's save or flag refused (what was attempted and why; never the text itself)."""

    action: ClassVar[Action] = Action.CHANGE_REFUSED
    omit_empty: ClassVar[bool] = True
    question: str
    reason: str
    terminal: str
    holder: str | None = _alias("terminal holding the script", None)
    characters: int | None = None
    sha256: str | None = None
