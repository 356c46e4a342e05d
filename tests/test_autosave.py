"""Autosave: when a save is due (pure policy, fake time) and how saves reach the database (writer thread)."""

from __future__ import annotations

import threading

import pytest

from marker_tui.domain.autosave import (
    CHECK_INTERVAL_SECONDS,
    IDLE_SECONDS,
    LOSS_BOUND_SECONDS,
    MAX_UNSAVED_SECONDS,
    AutosavePolicy,
)
from marker_tui.interfaces.tui.widgets.script_writer import ScriptWriter
from marker_tui.services.learner import SaveRefused
from marker_tui.storage.database import DatabaseBusy
from sitting_fixtures import room  # noqa: F401

# --- the policy ------------------------------------------------------------------------------------


def test_nothing_is_due_until_something_is_typed():
    policy = AutosavePolicy()
    assert not policy.dirty and policy.due_at() is None and not policy.is_due(1e9)


def test_a_save_is_due_one_second_after_the_last_keystroke():
    policy = AutosavePolicy()
    policy.edited(10.0)
    policy.edited(10.4)
    assert not policy.is_due(11.3)
    assert policy.is_due(11.4)
    assert policy.due_at() == pytest.approx(10.4 + IDLE_SECONDS)


def test_continuous_typing_is_saved_at_least_every_max_unsaved_seconds():
    policy = AutosavePolicy()
    now, saves, first_unsaved = 0.0, [], None
    while now < 20.0:  # a keystroke every 0.2 s for 20 s: never idle for a second
        policy.edited(now)
        first_unsaved = now if first_unsaved is None else first_unsaved
        now = round(now + 0.1, 10)
        if policy.is_due(now):
            saves.append(now)
            assert now - first_unsaved <= MAX_UNSAVED_SECONDS + 1e-9
            policy.taken()
            first_unsaved = None
        now = round(now + 0.1, 10)
    gaps = [b - a for a, b in zip(saves, saves[1:])]
    assert len(saves) >= 12 and max(gaps) <= 5.0  # the "at most 5 seconds apart"


def test_typing_is_never_left_unsaved_longer_than_the_loss_bound():
    """A keystroke waits at most MAX_UNSAVED + one check interval before it is handed over."""
    policy = AutosavePolicy()
    worst, pending = 0.0, []
    t = 0.0
    check = 0.0
    for step in range(4000):
        t = step * 0.013  # keystrokes at an awkward rate
        policy.edited(t)
        pending.append(t)
        while check <= t:
            if policy.is_due(check):
                worst = max(worst, check - pending[0])
                pending.clear()
                policy.taken()
            check = round(check + CHECK_INTERVAL_SECONDS, 10)
    assert worst <= MAX_UNSAVED_SECONDS + CHECK_INTERVAL_SECONDS + 1e-9
    assert worst < LOSS_BOUND_SECONDS


def test_taken_starts_a_new_unsaved_run():
    policy = AutosavePolicy()
    policy.edited(0.0)
    policy.taken()
    assert not policy.dirty and policy.unsaved_for(5.0) == 0.0
    policy.edited(3.0)
    assert policy.due_at() == pytest.approx(4.0)


def test_policy_rejects_nonsense_settings():
    with pytest.raises(ValueError):
        AutosavePolicy(idle=2.0, max_unsaved=1.0)


# --- the writer thread -------------------------------------------------------------------------------


class SlowService:
    """Records every write; the first save blocks until released (to queue more behind it)."""

    def __init__(self) -> None:
        self.writes: list[tuple] = []
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail_next: Exception | None = None

    def save_answer(self, script_id, question_id, text):
        if not self.started.is_set():
            self.started.set()
            self.release.wait(5)
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        self.writes.append(("answer", question_id, text))
        return {"question": question_id}

    def set_flag(self, script_id, question_id, flagged=True):
        self.writes.append(("flag", question_id, flagged))

    def set_current_question(self, script_id, question_id):
        self.writes.append(("current", question_id))

    def submit(self, script_id):
        self.writes.append(("submit",))
        return "receipt"


def test_the_newest_text_wins_and_older_text_never_lands_after_it():
    service, outcomes = SlowService(), []
    writer = ScriptWriter(lambda: service, 1, outcomes.append)
    writer.save_answer("1", "a")
    assert service.started.wait(5)
    for text in ("ab", "abc", "abcd"):  # typed while the first save is still running
        writer.save_answer("1", text)
    writer.save_answer("2", "other")
    service.release.set()
    assert writer.wait_idle(30)
    assert service.writes == [("answer", "1", "a"), ("answer", "1", "abcd"), ("answer", "2", "other")]
    assert [o.text for o in outcomes] == ["a", "abcd", "other"] and all(o.ok for o in outcomes)
    writer.close()


def test_submit_runs_after_every_waiting_answer_then_flags_and_position():
    service = SlowService()
    service.started.set()
    writer = ScriptWriter(lambda: service, 1, lambda o: None)
    with writer._cond:  # hand everything over at once, as the screen can between two thread turns
        writer._answers.update({"1": "x"})
        writer._flags.update({"2": True})
        writer._current = "2"
        writer._submit = True
        writer._wake()
    assert writer.wait_idle(30)
    assert service.writes == [("answer", "1", "x"), ("flag", "2", True), ("current", "2"), ("submit",)]
    writer.close()


def test_a_storage_failure_is_reported_and_retried_but_a_refusal_is_not():
    service, outcomes = SlowService(), []
    service.started.set()
    writer = ScriptWriter(lambda: service, 1, outcomes.append, retry_delay=0.01)
    service.fail_next = DatabaseBusy("busy")
    writer.save_answer("1", "kept")
    assert writer.wait_idle(30)
    assert outcomes[0].retrying and not outcomes[0].ok
    assert outcomes[1].ok and service.writes == [("answer", "1", "kept")]
    service.fail_next = SaveRefused("Time is up", "time up")
    writer.save_answer("1", "late")
    assert writer.wait_idle(30)
    assert outcomes[2].refused and not outcomes[2].retrying
    assert service.writes == [("answer", "1", "kept")]
    writer.close()


def test_writes_really_commit_through_the_learner_service(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    outcomes = []
    writer = ScriptWriter(lambda: room.learners, script, outcomes.append)
    writer.save_answer("1", "first")
    writer.save_answer("1", "second")
    writer.set_flag("2a", True)
    assert writer.wait_idle(30)
    writer.close()
    rows = room.db.execute("SELECT question_id, text FROM answers WHERE script_id = ?", [script]).fetchall()
    assert rows == [("1", "second")]
    assert room.db.execute("SELECT question_id FROM flags WHERE script_id = ?", [script]).fetchall() == [("2a",)]


def test_closing_the_writer_writes_what_is_waiting_first():
    service = SlowService()
    writer = ScriptWriter(lambda: service, 1, lambda o: None)
    writer.save_answer("1", "a")
    writer.save_answer("2", "b")
    service.release.set()
    assert writer.close(30)  # True: everything waiting was written before the timeout (budgeted for a loaded CI machine)
    assert [w[1] for w in service.writes] == ["1", "2"]


def test_a_save_renews_the_lease_so_a_typing_learner_needs_no_heartbeat_and_keeps_the_script(room):
    from marker_tui.services.learner import LearnerService, ScriptInUse
    from marker_tui.services.terminal import Terminal

    code = room.running_sitting()
    script = room.script_id(code, "1001")
    outcomes = []
    writer = ScriptWriter(lambda: room.learners, script, outcomes.append,
                          monotonic=lambda: room.clock.now().timestamp())
    room.clock.advance(seconds=15)  # logged in 15 s ago; the lease lasts 20 s from its last renewal
    writer.save_answer("1", "still typing")
    assert writer.wait_idle(30)
    writer.heartbeat(unless_renewed_within=4)  # the save just renewed it: nothing more to write
    assert writer.wait_idle(30)
    assert [o.kind for o in outcomes] == ["answer"]
    room.clock.advance(seconds=10)  # 25 s after the log-in, 10 s after the save
    other_desk = LearnerService(room.db, room.clock, Terminal.named("desk-two2", "two2"))
    with pytest.raises(ScriptInUse):  # the learner's terminal is alive: nobody else gets the script
        other_desk.login(code, "1001", room.keycode(code, "1001"))
    writer.heartbeat(unless_renewed_within=4)  # 10 s since the last renewal: written
    assert writer.wait_idle(30)
    writer.close()
    assert [o.kind for o in outcomes] == ["answer", "heartbeat"] and all(o.ok for o in outcomes)
