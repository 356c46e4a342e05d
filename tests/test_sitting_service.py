"""The sitting services as the screens will call them: nothing a learner saves is lost."""

from __future__ import annotations

import re
import sqlite3
from datetime import timedelta

import pytest

from marker_tui.services.audit import ServiceError
from marker_tui.services.papers import PaperService
from marker_tui.services.room import NoSuchSitting, SittingError
from marker_tui.services.learner import SaveRefused, SittingNotOpen
from marker_tui.domain.sitting_states import ScriptState, SittingState
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, EVIDENCE, INVIGILATOR, START, Room, room, small_paper, small_scheme  # noqa: F401


def answer_rows(room, script):
    return room.db.execute(
        "SELECT question_id, version, text FROM answer_versions WHERE script_id = ? ORDER BY id", [script]
    ).fetchall()


# --- creating, enrolling ---------------------------------------------------------------------------


def test_a_new_sitting_gets_a_short_unambiguous_code_and_starts_scheduled(room):
    summary = room.sittings.create_sitting(room.paper.id, by=INVIGILATOR)
    assert re.fullmatch(r"101-[ACDEFGHJKMNPQRTVWXY34679]{4}", summary.code)
    assert summary.state is SittingState.SCHEDULED
    assert summary.time_allowance_minutes == 90 and summary.created_by == INVIGILATOR


def test_a_chosen_code_is_used_case_insensitively_and_must_be_unique(room):
    room.sittings.create_sitting(room.paper.id, by=INVIGILATOR, code="mon-am")
    assert room.sittings.summary("MON-AM").code == "MON-AM"
    with pytest.raises(SittingError, match="already a sitting"):
        room.sittings.create_sitting(room.paper.id, by=INVIGILATOR, code="Mon-Am")
    with pytest.raises(SittingError, match="cannot be a sitting code"):
        room.sittings.create_sitting(room.paper.id, by=INVIGILATOR, code="a b")


def test_only_invigilators_and_admins_run_sittings(room):
    room.staff.add("Mo Marker", ["marker"], "5555", by=ADMIN)
    with pytest.raises(ServiceError, match="needs the role invigilator or admin"):
        room.sittings.create_sitting(room.paper.id, by="Mo Marker")
    with pytest.raises(ServiceError, match="no staff member called 'Nobody'"):
        room.sittings.create_sitting(room.paper.id, by="Nobody")
    assert room.sittings.sittings() == []


def test_enrolment_gives_each_script_a_distinct_anonymous_four_digit_number(room):
    code = room.new_sitting()
    report = room.sittings.enrol(code, all_candidates=True, by=INVIGILATOR)
    assert report.enrolled == ["1001", "1002", "1003", "1004", "1005"]
    numbers = [c.script_number for c in room.sittings.status(code).candidates]
    assert len(set(numbers)) == 5 and all(re.fullmatch(r"[1-9][0-9]{3}", n) for n in numbers)
    again = room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    assert again.enrolled == [] and again.already_enrolled == ["1001"]


def test_enrolling_an_unknown_candidate_enrols_nobody(room):
    code = room.new_sitting()
    with pytest.raises(SittingError, match="Unknown candidate number: 7777. Nobody was enrolled"):
        room.sittings.enrol(code, ["1001", "7777"], by=INVIGILATOR)
    assert room.sittings.status(code).candidates == []


def test_extra_time_is_copied_at_enrolment_and_follows_edits_only_until_the_clock_starts(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001", "1002"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    room.log_in(code, "1002")
    room.sittings.start(code, by=INVIGILATOR)
    room.candidates.edit("1001", extra_time_percent=25, access_arrangements=f"extra time | {EVIDENCE}",
                         by=ADMIN)  # not logged in yet: follows
    room.candidates.edit("1002", extra_time_percent=100, access_arrangements=(  # writing: keeps 25 %
        f"extra time: specialist assessor's report | {EVIDENCE}"), by=ADMIN)
    by_number = {c.candidate_number: c for c in room.sittings.status(code).candidates}
    assert by_number["1001"].extra_time_percent == 25
    assert by_number["1002"].extra_time_percent == 25


# --- the sitting's life -----------------------------------------------------------------------------


def test_states_go_scheduled_open_running_ended_and_never_back(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    with pytest.raises(SittingError, match="Open sitting"):
        room.sittings.start(code, by=INVIGILATOR)
    assert room.sittings.open(code, by=INVIGILATOR).state is SittingState.OPEN
    with pytest.raises(SittingError, match="only a scheduled sitting can be opened"):
        room.sittings.open(code, by=INVIGILATOR)
    assert room.sittings.start(code, by=INVIGILATOR).state is SittingState.RUNNING
    with pytest.raises(SittingError, match="has been running since"):
        room.sittings.start(code, by=INVIGILATOR)
    assert room.sittings.end(code, by=INVIGILATOR, reason="fire").state is SittingState.ENDED
    with pytest.raises(SittingError, match="cannot be started again"):
        room.sittings.start(code, by=INVIGILATOR)
    with pytest.raises(SittingError, match="already ended"):
        room.sittings.end(code, by=INVIGILATOR, reason="again")


def test_reading_the_instructions_does_not_use_time(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    session = room.log_in(code, "1001")
    assert session.time.state is ScriptState.READING
    room.clock.advance(minutes=15)
    assert room.learners.time_left(session.script_id).left_seconds == 90 * 60
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=1)
    assert room.learners.time_left(session.script_id).left_seconds == 89 * 60


def test_reasons_are_required_to_pause_resume_and_end_early(room):
    code = room.running_sitting()
    for call in (
        lambda: room.sittings.pause(code, reason="  ", by=INVIGILATOR),
        lambda: room.sittings.end(code, by=INVIGILATOR),
        lambda: room.sittings.end(code, by=INVIGILATOR, candidate_number="1001"),
        lambda: room.sittings.extend(code, candidate_number="1001", minutes=5, reason="", by=INVIGILATOR),
    ):
        with pytest.raises(SittingError, match="reason is required"):
            call()
    room.sittings.pause(code, reason="noise", by=INVIGILATOR)
    with pytest.raises(SittingError, match="reason is required"):
        room.sittings.resume(code, reason="", by=INVIGILATOR)
    assert room.sittings.summary(code).room_paused


def test_pausing_twice_or_resuming_what_is_not_paused_is_refused(room):
    code = room.running_sitting()
    with pytest.raises(SittingError, match="not paused"):
        room.sittings.resume(code, reason="x", by=INVIGILATOR)
    room.sittings.pause(code, candidate_number="1001", reason="x", by=INVIGILATOR)
    with pytest.raises(SittingError, match="already paused"):
        room.sittings.pause(code, candidate_number="1001", reason="x", by=INVIGILATOR)
    with pytest.raises(SittingError, match="not enrolled"):
        room.sittings.pause(code, candidate_number="1005", reason="x", by=INVIGILATOR)


def test_ending_one_candidate_submits_their_saved_answers_and_the_room_carries_on(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "1", "half an answer")
    room.clock.advance(minutes=20)
    room.sittings.end(code, candidate_number="1001", reason="taken ill", by=INVIGILATOR)
    row = room.candidate(code, "1001")
    assert row.state is ScriptState.ENDED
    assert row.submitted_reason == "ended by invigilator: taken ill"
    assert row.submitted_at == START + timedelta(minutes=20)
    assert room.candidate(code, "1002").state is ScriptState.WRITING
    with pytest.raises(SaveRefused, match="invigilator ended"):
        room.learners.save_answer(script, "1", "more")
    assert room.learners.session(script).answers == {"1": "half an answer"}


def test_ending_the_room_submits_writers_and_marks_no_shows_absent(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001", "1005"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    room.log_in(code, "1001")
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=45)
    room.sittings.end(code, by=INVIGILATOR, reason="power cut")
    states = {c.candidate_number: (c.state, c.submitted_reason) for c in room.sittings.status(code).candidates}
    assert states["1001"] == (ScriptState.ENDED, "ended by invigilator: power cut")
    assert states["1005"][0] is ScriptState.ABSENT
    with pytest.raises(SittingError, match="has ended|already finished|closed"):
        room.log_in(code, "1005")


def test_the_sitting_ends_by_itself_once_every_script_is_finished(room):
    code = room.running_sitting()
    room.clock.advance(minutes=10)
    room.learners.submit(room.script_id(code, "1001"))
    room.clock.advance(hours=4)  # everyone else runs out of time with nobody watching
    summary = room.sittings.status(code)
    assert summary.state is SittingState.ENDED
    assert summary.ended_at == START + timedelta(minutes=135)  # the last candidate's (+50 %) deadline
    # and with nobody left writing, ending needs no reason (and has nothing to do)
    with pytest.raises(SittingError, match="already ended"):
        room.sittings.end(code, by=INVIGILATOR)


def test_starting_one_candidate_separately(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001", "1002"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    room.log_in(code, "1001")
    with pytest.raises(SittingError, match="has not logged in"):
        room.sittings.start(code, candidate_number="1002", by=INVIGILATOR)
    room.sittings.start(code, candidate_number="1001", reason="separate room", by=INVIGILATOR)
    room.clock.advance(minutes=10)
    assert room.candidate(code, "1001").time_left == timedelta(minutes=80)
    assert room.candidate(code, "1002").state is ScriptState.NOT_LOGGED_IN


# --- the learner's terminal ---------------------------------------------------------------------------


def test_login_errors_are_clear(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    keycode = room.keycode(code, "1001")
    with pytest.raises(SittingError, match="no sitting with code NOPE"):
        room.learners.login("nope", "1001", keycode)
    with pytest.raises(SittingError, match="not open yet"):
        room.learners.login(code, "1001", keycode)
    room.sittings.open(code, by=INVIGILATOR)
    # An unknown number is refused exactly as a wrong keycode is: nothing tells a stranger who exists.
    with pytest.raises(SittingError, match="candidate number and keycode do not match"):
        room.learners.login(code, "1002", keycode)
    room.sittings.start(code, by=INVIGILATOR)
    script = room.learners.login(code.lower(), " 1001 ", keycode.lower().replace("-", " ")).script_id
    room.learners.submit(script)
    with pytest.raises(SittingError, match="submitted at"):
        room.log_in(code, "1001")


def test_a_learner_waiting_for_the_opening_is_told_so_by_a_typed_error_and_can_ask_the_state(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    with pytest.raises(SittingNotOpen) as raised:
        room.learners.login(code, "1001", room.keycode(code, "1001"))
    assert raised.value.code == code
    assert room.learners.sitting_state(code.lower()) == SittingState.SCHEDULED
    room.sittings.open(code, by=INVIGILATOR)
    assert room.learners.sitting_state(code) == SittingState.OPEN
    with pytest.raises(NoSuchSitting):
        room.learners.sitting_state("NOPE")


def test_identify_names_only_the_learner_and_refuses_as_login_does_without_writing(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001", "1002"], by=INVIGILATOR)
    keycode = room.keycode(code, "1001")
    with pytest.raises(NoSuchSitting):
        room.learners.identify("nope", "1001", keycode)
    with pytest.raises(SittingError, match="not open yet"):
        room.learners.identify(code, "1001", keycode)
    room.sittings.open(code, by=INVIGILATOR)
    with pytest.raises(SittingError, match="do not match"):
        room.learners.identify(code, "1003", keycode)
    audit_rows = room.db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    who = room.learners.identify(code.lower(), " 1001 ", keycode)
    assert who.model_dump() == {"sitting_code": code, "candidate_number": "1001",
                                "candidate_name": who.candidate_name}
    assert who.candidate_name and who.candidate_name in {c.name for c in room.sittings.status(code).candidates}
    # Asking is not logging in: nothing is written, and the script still shows "not logged in".
    assert room.db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == audit_rows
    status = {c.candidate_number: c.state for c in room.sittings.status(code).candidates}
    assert status["1001"] == ScriptState.NOT_LOGGED_IN


def test_logging_back_in_resumes_exactly(room):
    code = room.running_sitting()
    first = room.log_in(code, "1001")
    assert not first.resumed and first.paper.questions[0].id == "1"
    room.learners.save_answer(first.script_id, "1", "hazard one\nhazard two")
    room.learners.save_answer(first.script_id, "2b", "because")
    room.learners.set_flag(first.script_id, "2b")
    room.learners.set_flag(first.script_id, "1")
    room.learners.set_flag(first.script_id, "1", False)
    room.learners.set_current_question(first.script_id, "2a")
    room.clock.advance(minutes=12)
    restarted = room.reopen()
    again = restarted.log_in(code, "1001")  # the terminal crashed and restarted
    assert again.script_id == first.script_id and again.resumed
    assert again.answers == {"1": "hazard one\nhazard two", "2b": "because"}
    assert again.flags == ["2b"] and again.current_question == "2a"
    assert again.time.left_seconds == 78 * 60


def test_every_save_is_a_new_version_and_history_is_kept(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    receipts = [room.learners.save_answer(script, "1", text) for text in ("a", "ab", "abc")]
    assert [r.version for r in receipts] == [1, 2, 3]
    same = room.learners.save_answer(script, "1", "abc")
    assert same.unchanged and same.version == 3
    assert answer_rows(room, script) == [("1", 1, "a"), ("1", 2, "ab"), ("1", 3, "abc")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Plain English answer.",
        "emoji 👩‍🔧🔥✅ and accents: café, naïve, Ångström",
        "עברית: תשובה — العربية: إجابة",  # right-to-left
        "\u202eRLO override\u202c and \u200d zero-width joiner",
        "tabs\tbetween\tcolumns\r\nwindows line\rold mac line",
        "control \x00 nul \x07 bell \x1b[31m escape \x7f del \x85 nel",
        "  leading and trailing spaces  \n\n",
    ],
    ids=["empty", "plain", "emoji", "rtl", "bidi-controls", "tabs-newlines", "control-chars", "whitespace"],
)
def test_any_text_is_stored_exactly(room, text):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "2a", text)
    stored = room.reopen().learners.session(script).answers["2a"]
    assert stored == text and type(stored) is str


def test_a_paste_up_to_the_limit_is_stored_exactly(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    block = "".join(chr(c) for c in range(0x20, 0x2FF)) + "🙂\t\n"
    text = (block * (30_000 // len(block) + 1))[:30_000]  # the default limit (tests/test_answer_limits.py)
    receipt = room.learners.save_answer(script, "1", text)
    assert receipt.characters == 30_000
    assert room.reopen().learners.session(script).answers["1"] == text


def test_lone_surrogates_are_replaced_and_the_receipt_says_so(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    receipt = room.learners.save_answer(script, "1", "bad \ud800 half")
    assert receipt.replaced_invalid_characters == 1
    assert room.learners.session(script).answers["1"] == "bad \ufffd half"


def test_saves_before_the_clock_starts_are_refused(room):
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    script = room.log_in(code, "1001").script_id
    with pytest.raises(SaveRefused, match="not started yet") as refused:
        room.learners.save_answer(script, "1", "too early")
    assert refused.value.reason == "not started"
    assert room.learners.session(script).answers == {}


def test_a_save_in_flight_when_the_room_is_paused_is_kept(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)
    assert room.learners.save_answer(script, "1", "last words before the pause").version == 1
    saved = [e for e in room.sittings.log(code) if e.action == "answer saved"]
    assert saved[-1].details["while paused"] is True


def test_an_unknown_question_is_refused(room):
    code = room.running_sitting()
    with pytest.raises(SaveRefused, match="no question 9"):
        room.learners.save_answer(room.script_id(code, "1001"), "9", "x")


def test_a_submitted_script_is_immutable_for_learners(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "1", "final")
    room.learners.set_current_question(script, "1")
    receipt = room.learners.submit(script)
    assert receipt.state is ScriptState.SUBMITTED and receipt.questions_answered == 1
    again = room.learners.submit(script)  # a double key press is harmless
    assert again.already_submitted and again.submitted_at == receipt.submitted_at
    for call in (
        lambda: room.learners.save_answer(script, "1", "changed my mind"),
        lambda: room.learners.set_flag(script, "1"),
        lambda: room.learners.set_current_question(script, "2a"),
    ):
        with pytest.raises(SaveRefused, match="submitted"):
            call()
    # Even a bug elsewhere cannot change it: the database refuses too.
    with pytest.raises(sqlite3.IntegrityError, match="submitted"):
        room.db.execute("UPDATE answers SET text = 'forged' WHERE script_id = ?", [script])
    assert room.learners.session(script).answers == {"1": "final"}


def test_refused_changes_are_recorded_for_appeals_without_the_text(room):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.clock.advance(minutes=95)
    with pytest.raises(SaveRefused):
        room.learners.save_answer(script, "1", "secret late text")
    refused = [e for e in room.sittings.log(code) if e.action == "change refused"]
    assert refused and refused[-1].details["reason"] == "time up"
    assert "secret late text" not in str(refused[-1].details)


# --- the audit trail ---------------------------------------------------------------------------------


def test_the_log_tells_the_story_oldest_first_with_who_did_what(room):
    code = room.running_sitting(candidates=("1001",))
    script = room.script_id(code, "1001")
    room.clock.advance(minutes=5)
    room.learners.save_answer(script, "1", "x")
    room.sittings.pause(code, reason="noise", by=INVIGILATOR)
    room.sittings.resume(code, reason="quiet", by=INVIGILATOR)
    room.sittings.extend(code, candidate_number="1001", minutes=5, reason="noise", by=INVIGILATOR)
    room.learners.submit(script)
    log = room.sittings.log(code)
    assert [(e.actor, e.action) for e in log] == [
        (INVIGILATOR, "sitting created"),
        (INVIGILATOR, "candidate enrolled"),
        (INVIGILATOR, "sitting opened"),
        (INVIGILATOR, "admission keycodes issued"),
        ("candidate 1001", "candidate logged in"),
        (INVIGILATOR, "sitting started"),
        ("candidate 1001", "answer saved"),
        (INVIGILATOR, "sitting paused"),
        (INVIGILATOR, "sitting resumed"),
        (INVIGILATOR, "extension granted"),
        ("candidate 1001", "script submitted"),
        ("system", "sitting ended"),
    ]
    assert [e.at for e in log] == sorted(e.at for e in log)
    assert log[0].details["content_hash"] == room.paper.content_hash


def test_a_changed_paper_is_a_new_version_and_old_sittings_keep_theirs(room):
    code = room.running_sitting(candidates=("1001",))
    papers = PaperService(room.db, room.clock)
    assert papers.store(small_paper(90), small_scheme()).id == room.paper.id  # same content: same row
    changed = papers.store(small_paper(60, version="2"), small_scheme(version="2"))
    assert changed.id != room.paper.id and changed.content_hash != room.paper.content_hash
    assert papers.latest("9999-01", "101").id == changed.id
    assert room.sittings.summary(code).paper_id == room.paper.id
    assert room.candidate(code, "1001").allowed_seconds == 90 * 60


def test_sweep_all_submits_time_up_scripts_in_every_running_sitting(room):
    first = room.running_sitting(candidates=("1001",))
    second = room.running_sitting(candidates=("1002",))
    room.clock.advance(hours=3)
    room.sittings.sweep_all()
    rows = room.db.execute("SELECT finish, submitted_at FROM scripts ORDER BY id").fetchall()
    assert rows == [("time up", "2026-03-02T10:30:00.000000+00:00"), ("time up", "2026-03-02T10:52:30.000000+00:00")]
    assert {room.sittings.summary(c).state for c in (first, second)} == {SittingState.ENDED}


def _act_between_read_and_write(monkeypatch, room, action):
    """Run ``action`` (on another connection) just after save_answer has read its snapshot."""
    from marker_tui.services.learner import LearnerService

    original = LearnerService._fingerprint
    calls = []

    def fingerprint(db, script_id, question_id):
        seen = original(db, script_id, question_id)
        if not calls:
            calls.append(1)
            other = Room(room.path, open_database(room.path), room.clock, room.paper)
            action(other)
            other.db.close()
        return seen

    monkeypatch.setattr(LearnerService, "_fingerprint", staticmethod(fingerprint))


def test_an_invigilator_ending_the_script_during_a_save_wins(room, monkeypatch):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "1", "before")
    _act_between_read_and_write(monkeypatch, room, lambda other: other.sittings.end(
        code, candidate_number="1001", reason="taken ill", by=INVIGILATOR))
    with pytest.raises(SaveRefused, match="invigilator ended"):
        room.learners.save_answer(script, "1", "after the end")
    assert room.learners.session(script).answers == {"1": "before"}


def test_two_terminals_saving_the_same_answer_at_once_both_get_their_own_version(room, monkeypatch):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    _act_between_read_and_write(monkeypatch, room, lambda other: other.learners.save_answer(
        script, "1", "from the other terminal"))
    receipt = room.learners.save_answer(script, "1", "from this terminal")
    assert receipt.version == 2
    assert answer_rows(room, script) == [("1", 1, "from the other terminal"), ("1", 2, "from this terminal")]


def test_a_pause_or_extension_during_a_save_sends_it_the_careful_way_and_it_is_kept(room, monkeypatch):
    code = room.running_sitting()
    script = room.script_id(code, "1001")
    room.clock.advance(minutes=89)
    _act_between_read_and_write(monkeypatch, room, lambda other: (
        other.sittings.extend(code, candidate_number="1001", minutes=10, reason="fire alarm", by=INVIGILATOR),
        other.sittings.pause(code, reason="fire alarm", by=INVIGILATOR)))
    assert room.learners.save_answer(script, "1", "typed as the alarm went").version == 1
    saved = [e for e in room.sittings.log(code) if e.action == "answer saved"][-1]
    assert saved.details["while paused"] is True  # decided on the state after the pause, not before
    assert room.candidate(code, "1001").allowed_seconds == 100 * 60
