"""Every kind of audit entry, listed once.

The audit log's ``action`` column holds one of these names. Listing them here
means a reviewer can see every kind of event the centre's records can hold, a
typo cannot start a new kind silently (``services/audit.record`` refuses a name
not listed), and ``tests/test_audit_actions.py`` checks that every name the code
writes is here. Add a name here when a new kind of change is recorded; never
rename one (old entries keep the old name and the chain hashes it).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    ADMISSION_KEYCODES_ISSUED = "admission keycodes issued"
    ADMISSION_REFUSED = "admission refused"
    ANSWER_SAVED = "answer saved"
    ATTENDANCE_REGISTER_EXPORTED = "attendance register exported"
    AUDIT_LOG_CHAINED = "audit log chained"
    AUDIT_TRAIL_EXPORTED = "audit trail exported"
    BLIND_MARKING_TURNED_OFF = "blind marking turned off"
    BLIND_MARKING_TURNED_ON = "blind marking turned on"
    CANDIDATE_ADDED = "candidate added"
    CANDIDATE_CHANGED = "candidate changed"
    CANDIDATE_ENROLLED = "candidate enrolled"
    CANDIDATE_LOGGED_IN = "candidate logged in"
    CANDIDATE_LOGGED_IN_AGAIN = "candidate logged in again"
    CANDIDATE_PAUSED = "candidate paused"
    CANDIDATE_RESUMED = "candidate resumed"
    CANDIDATE_STARTED = "candidate started"
    CENTRE_DETAILS_CHANGED = "centre details changed"
    CENTRE_NAME_CHANGED = "centre name changed"
    CENTRE_NUMBER_CHANGED = "centre number changed"
    CHANGE_REFUSED = "change refused"
    COMMENT_BANK_ENTRY_ADDED = "comment bank entry added"
    DATABASE_BACKED_UP = "database backed up"
    DATABASE_RESTORED = "database restored"
    DEMO_CENTRE_BUILT = "demo centre built"
    ENROLMENT_ARRANGEMENTS_CHANGED = "enrolment arrangements changed"
    ENROLMENT_EXTRA_TIME_CHANGED = "enrolment extra time changed"
    EQA_SAMPLE_PACK_EXPORTED = "EQA sample pack exported"
    EXIT_CODE_REFUSED = "exit code refused"
    EXTENSION_GRANTED = "extension granted"
    EXTRA_TIME_ABOVE_CAP_GRANTED = "extra time above the cap granted"
    EXTRA_TIME_CAP_SET = "extra time cap set"
    FEEDBACK_EXPORTED = "feedback exported"
    FLAG_CLEARED = "flag cleared"
    IDENTICAL_ANSWERS_MARKED_AS_GROUP = "identical answers marked as a group"
    INCIDENT = "incident"
    IQA_ACTION_POINT_ADDED = "IQA action point added"
    IQA_BLIND_SECOND_MARKING_COMPLETE = "IQA blind second marking complete"
    IQA_DECISION_CONFIRMED = "IQA decision confirmed"
    IQA_DECISION_RECORDED = "IQA decision recorded"
    IQA_DECISION_WITHDRAWN = "IQA decision withdrawn"
    IQA_PLAN_SIGNED_OFF = "IQA plan signed off"
    IQA_QUESTION_REVIEWED = "IQA question reviewed"
    IQA_RECORD_EXPORTED = "IQA record exported"
    IQA_REVIEW_STARTED = "IQA review started"
    IQA_SAMPLING_PLAN_DRAWN = "IQA sampling plan drawn"
    IQA_SCRIPT_ADDED_TO_PLAN = "IQA script added to plan"
    IQA_SECOND_MARKER_ASSIGNED = "IQA second marker assigned"
    IQA_SECOND_MARKS_SAVED = "IQA second marks saved"
    IQA_TOLERANCE_SET = "IQA tolerance set"
    LAPSED_MARKING_CLAIM_TAKEN_OVER = "lapsed marking claim taken over"
    LATE_START = "late start"
    LEARNER_DATA_ERASED = "learner data erased"
    LEARNER_TERMINAL_CLOSED = "learner terminal closed"
    MARK_ADJUSTED_BY_IQA = "mark adjusted by IQA"
    MARK_CHANGED = "mark changed"
    MARK_GIVEN = "mark given"
    MARK_IMPORTED = "mark imported"
    MARK_SCHEME_LOADED = "mark scheme loaded"
    MARKER_MONITORING_EXPORTED = "marker monitoring exported"
    PAPER_LOADED = "paper loaded"
    QUESTION_FLAGGED = "question flagged"
    REST_BREAK_ASKED_FOR = "rest break asked for"
    REST_BREAK_DECLINED = "rest break declined"
    REST_BREAK_ENDED = "rest break ended"
    REST_BREAK_STARTED = "rest break started"
    RESULTS_EXPORTED = "results exported"
    RETENTION_PERIOD_SET = "retention period set"
    SCRIPT_ABSENT = "script absent"
    SCRIPT_FEEDBACK_CHANGED = "script feedback changed"
    SCRIPT_MARKING_COMPLETE = "script marking complete"
    SCRIPT_SUBMITTED = "script submitted"
    SECOND_LOGIN_REFUSED = "second login refused"
    SITTING_CREATED = "sitting created"
    SITTING_ENDED = "sitting ended"
    SITTING_MARKING_COMPLETE = "sitting marking complete"
    SITTING_OPENED = "sitting opened"
    SITTING_PAUSED = "sitting paused"
    SITTING_RESUMED = "sitting resumed"
    SITTING_STARTED = "sitting started"
    STAFF_ADDED = "staff added"
    STAFF_LOCKED_OUT = "staff locked out"
    STAFF_PIN_RESET = "staff PIN reset"
    STAFF_REFUSED = "staff refused"
    STAFF_ROLES_CHANGED = "staff roles changed"
    STAFF_SIGNED_IN = "staff signed in"
    SUBJECT_ACCESS_EXPORTED = "subject access export written"
    TERMINAL_TAKEOVER_APPROVED = "terminal takeover approved"
    WRONG_PIN = "wrong PIN"


def is_listed(name: str) -> bool:
    return name in _NAMES


_NAMES = frozenset(a.value for a in Action)
