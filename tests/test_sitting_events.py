"""The audit entries a sitting writes keep the details keys they always had (exports and the chain read them).

One sitting is run through its life with the real services; every entry's details keys are compared
with the keys the sitting code wrote before its events were typed (written out here by hand).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from marker_tui.domain.admission import lease_expiry_seconds
from marker_tui.domain.events import event_class
from marker_tui.services.audit import entries
from marker_tui.services.learner import AdmissionRefused, ExitRefused, LearnerService, SaveRefused, ScriptInUse
from marker_tui.services.terminal import Terminal
from sitting_fixtures import INVIGILATOR, room  # noqa: F401

KEYS = {
    "sitting created": {"code", "paper_id", "qualification", "unit", "paper_version", "content_hash",
                        "time_allowance_minutes", "scheduled_start"},
    "candidate enrolled": {"script_number", "extra_time_percent", "sitting state"},
    "admission keycodes issued": {"candidates", "count", "earlier keycodes"},
    "sitting opened": {"reason"},
    "candidate logged in": {"sitting state", "terminal"},
    "candidate logged in again": {"sitting state", "terminal", "previous terminal", "previous lease"},
    "second login refused": {"terminal", "live terminal", "takeover"},
    "terminal takeover approved": {"from terminal", "from terminal was", "to terminal", "requested at"},
    "sitting started": {"started_at", "candidates started", "not logged in yet", "reason"},
    "late start": {"started_at", "room started_at", "late_by_seconds", "allowed_seconds", "rule"},
    "answer saved": {"question", "version", "characters", "sha256"},
    "question flagged": {"question"},
    "flag cleared": {"question"},
    "sitting paused": {"reason", "paused_at"},
    "sitting resumed": {"reason", "paused_at", "resumed_at", "paused_seconds", "pause reason"},
    "candidate paused": {"reason", "paused_at", "left_seconds"},
    "candidate resumed": {"reason", "paused_at", "resumed_at", "paused_seconds", "pause reason"},
    "extension granted": {"minutes", "reason", "old_allowed_seconds", "new_allowed_seconds"},
    "change refused": {"question", "reason", "terminal", "terminal holding the script", "characters", "sha256"},
    "admission refused": {"terminal", "candidate number typed", "reason", "wrong tries on this terminal"},
    "exit code refused": {"terminal", "reason", "wrong tries on this terminal"},
    "learner terminal closed": {"terminal", "with", "learner's screen"},
    "script submitted": {"finish", "reason", "submitted_at", "questions_answered", "left_seconds"},  # (ended early)
    "script absent": {"finish", "reason", "submitted_at", "questions_answered"},
    "sitting ended": {"reason", "ended_at", "state before", "scripts ended early"},
}


def test_a_whole_sitting_writes_the_details_keys_it_always_wrote(room):  # noqa: F811
    sittings = room.sittings
    code = room.new_sitting()
    sittings.enrol(code, ["1001", "1002", "1003", "1004", "1005"], by=INVIGILATOR)
    sittings.open(code, by=INVIGILATOR)
    desk1 = LearnerService(room.db, room.clock, Terminal.named("desk-1", "aaaa"))
    desk2 = LearnerService(room.db, room.clock, Terminal.named("desk-2", "bbbb"))
    first = room.log_in(code, "1001", desk1)
    room.log_in(code, "1002", desk1)
    with pytest.raises(ScriptInUse):
        room.log_in(code, "1002", desk2)
    sittings.approve_takeover(code, "1002", by=INVIGILATOR)
    room.log_in(code, "1002", desk2)  # logged in again, moved here by the invigilator
    room.log_in(code, "1005", desk1)
    room.clock.advance(lease_expiry_seconds() + timedelta(seconds=1))
    room.log_in(code, "1005", desk2)  # again, on another desk once the first one's lease lapsed
    sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=5)
    room.log_in(code, "1003")  # a late start
    with pytest.raises(AdmissionRefused):
        room.learners.login(code, "1004", "WRONG-CODE")
    desk1.save_answer(first.script_id, "1", "two hazards")
    desk1.set_flag(first.script_id, "1", True)
    desk1.set_flag(first.script_id, "1", False)
    sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
    sittings.resume(code, reason="all clear", by=INVIGILATOR)
    sittings.pause(code, reason="unwell", by=INVIGILATOR, candidate_number="1001")
    sittings.resume(code, reason="better", by=INVIGILATOR, candidate_number="1001")
    sittings.extend(code, candidate_number="1001", minutes=10, reason="reader late", by=INVIGILATOR)
    with pytest.raises(SaveRefused):
        desk1.save_answer(room.script_id(code, "1002"), "1", "typed on the old desk")
    with pytest.raises(ExitRefused):
        desk1.release_terminal(code, "000000", candidate_number="1001", state="writing")
    exit_code = sittings.status(code).exit_code
    desk1.release_terminal(code, exit_code, candidate_number="1001", state="writing")
    desk1.submit(first.script_id)
    room.clock.advance(timedelta(minutes=1))
    sittings.end(code, by=INVIGILATOR, reason="fire")

    seen: dict[str, set[str]] = {}
    for entry in entries(room.db, sitting_id=sittings.summary(code).id):
        seen.setdefault(entry.action, set()).update(entry.details)
    assert set(KEYS) <= set(seen), sorted(set(KEYS) - set(seen))
    for action, keys in KEYS.items():
        assert seen[action] == keys, action
        assert event_class(action) is not None, f"{action} has no typed event"


def test_an_engine_ended_sitting_keeps_its_two_keys(room):  # noqa: F811
    code = room.running_sitting(candidates=("1001",))
    script = room.script_id(code, "1001")
    room.learners.submit(script)
    ended = [e for e in entries(room.db, sitting_id=room.sittings.summary(code).id) if e.action == "sitting ended"]
    assert [set(e.details) for e in ended] == [{"reason", "ended_at"}]
    assert ended[0].details["reason"] == "every script finished" and ended[0].actor == "system"
