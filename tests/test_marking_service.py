"""Marking storage and services: audit of every change, claims, stale saves, blind display, CSV import.

The pass rule itself is tested in test_marking_rules.py; here we test that the
stored marks reach it, and everything around a mark that the rules cannot see.
Real SQLite files, a FakeClock, two service objects on one file where it matters.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from marker_tui.services.audit import ServiceError
from marker_tui.services.candidates import CsvImportError
from marker_tui.services.centre import Centre
from marker_tui.services.marking import (
    CLAIM_MINUTES,
    ClaimRefused,
    MarkingError,
    MarkingService,
    MarkState,
    ReasonRequired,
    StaleMark,
)
from marker_tui.services.marking.common import (
    _clock,
)
from marker_tui.storage import migrations
from marker_tui.storage.database import open_database
from marking_fixtures import ADMIN, ANA, BEN, IVY, MarkingRoom, build_marking_room, mroom  # noqa: F401
from sitting_fixtures import build_room, old_schema, strip_admission

MARKS_FIXTURES = Path(__file__).parent / "fixtures" / "marks"


def render_csv(m: MarkingRoom, name: str, tmp_path: Path) -> Path:
    """A fixture CSV with @1001@-style placeholders replaced by that candidate's script number."""
    data = (MARKS_FIXTURES / name).read_bytes()
    for candidate in ("1001", "1002", "1003", "1005"):
        data = data.replace(f"@{candidate}@".encode(), m.script_number(candidate).encode())
    out = tmp_path / name
    out.write_bytes(data)
    return out


def mark_rows(m: MarkingRoom) -> list[tuple]:
    return m.db.execute("SELECT script_id, question_id, marks_awarded, version FROM marks ORDER BY 1, 2").fetchall()


def mark_all(m: MarkingRoom, script: int, values=(2, 3, 4), by: str = ANA) -> None:
    for question, value in zip(("1", "2a", "2b"), values):
        m.marking.save_mark(script, question, value, by=by, expected_version=0)


# --- schema --------------------------------------------------------------------------------


def test_a_database_made_before_marking_is_upgraded_and_keeps_its_sittings(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    old_schema(monkeypatch, 1)
    room = build_room(path)
    code = room.running_sitting(candidates=("1001",))
    strip_admission(room.db, 1)
    room.db.close()
    monkeypatch.undo()
    db = open_database(path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    assert {"marks", "mark_versions", "script_marking", "comment_bank", "sitting_marking_settings",
            "mark_drafts"} <= set(db.table_names())
    assert db.execute("SELECT code FROM sittings").fetchone()[0] == code
    db.close()


def test_totals_and_results_are_not_stored_anywhere(mroom):
    for table in ("marks", "mark_versions", "script_marking"):
        columns = {c.name for c in mroom.db[table].columns}
        assert not columns & {"total", "result", "percentage", "grade", "outcome_total"}, table


def test_mark_history_is_append_only_and_marks_cannot_be_deleted(mroom):
    script = mroom.script("1001")
    mroom.marking.save_mark(script, "1", 1, by=ANA, expected_version=0)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        mroom.db.execute("UPDATE mark_versions SET marks_awarded = 2")
    with pytest.raises(sqlite3.DatabaseError, match="cannot be deleted"):
        mroom.db.execute("DELETE FROM marks")


def test_the_database_refuses_a_mark_on_an_absent_script_whatever_the_code_path(mroom):
    absent = mroom.script("1005")
    with pytest.raises(MarkingError, match="recorded as absent: there is nothing to mark"):
        mroom.marking.save_mark(absent, "1", 1, by=ANA, expected_version=0)
    with pytest.raises(sqlite3.DatabaseError, match="only be given on a submitted script"):
        mroom.db.execute("INSERT INTO marks (script_id, question_id, marks_awarded, marked_by, marked_at, version)"
                         " VALUES (?, '1', 1, 1, 'x', 1)", [absent])


# --- saving marks and the audit trail -------------------------------------------------------


def test_a_first_mark_is_stored_with_who_and_when_and_audited_with_no_old_value(mroom):
    script = mroom.script("1001")
    saved = mroom.marking.save_mark(script, "1", 2, ticks=[1, 0, 1], comment="  Both hazards  ",
                                    by=ANA, expected_version=0)
    assert saved.changed and saved.mark.version == 1
    assert saved.mark.credited_points == (0, 1) and saved.mark.comment == "Both hazards"
    assert saved.mark.marked_by == ANA and saved.mark.marked_at == mroom.clock.now()
    [audit] = mroom.audit("mark given")
    assert audit.actor == ANA and audit.at == mroom.clock.now() and audit.script_id == script
    assert audit.details["old"] is None
    assert audit.details["new"]["marks"] == 2 and audit.details["new"]["credited_points"] == [1, 2]
    assert audit.details["question"] == "1" and audit.details["script_number"] == mroom.script_number("1001")


def test_every_change_keeps_old_and_new_values_in_the_audit_log_and_the_history(mroom):
    script = mroom.script("1001")
    m = mroom.marking
    m.save_mark(script, "2a", 1, by=ANA, expected_version=0)
    mroom.clock.advance(minutes=1)
    m.save_mark(script, "2a", 3, ticks=[0], comment="Full isolation", by=ANA, expected_version=1)
    mroom.clock.advance(minutes=1)
    m.save_mark(script, "2a", 3, ticks=[0], comment=None, by=ANA, expected_version=2)
    changes = mroom.audit("mark changed")
    assert [(c.details["old"]["marks"], c.details["new"]["marks"]) for c in changes] == [(1, 3), (3, 3)]
    assert changes[1].details["old"]["comment"] == "Full isolation" and changes[1].details["new"]["comment"] is None
    history = m.history(script, "2a")
    assert [(h.version, h.marks_awarded, h.comment) for h in history] == [
        (1, 1, None), (2, 3, "Full isolation"), (3, 3, None)]
    assert history[0].marked_at < history[1].marked_at < history[2].marked_at


def test_saving_the_same_values_again_is_not_a_change(mroom):
    script = mroom.script("1001")
    mroom.marking.save_mark(script, "1", 2, ticks=[0, 1], by=ANA, expected_version=0)
    again = mroom.marking.save_mark(script, "1", 2, ticks=[1, 0], by=ANA, expected_version=1)
    assert not again.changed and again.mark.version == 1
    assert len(mroom.audit("mark changed")) == 0 and len(mroom.marking.history(script)) == 1


@pytest.mark.parametrize("value, message", [
    (-1, "Question 2a: -1 is outside the allowed range; enter a whole number from 0 to 3."),
    (4, "Question 2a: 4 is outside the allowed range; enter a whole number from 0 to 3."),
    (2.5, "Question 2a: 2.5 is not a whole number of marks; enter a whole number from 0 to 3."),
    ("3", 'Question 2a: "3" is not a whole number of marks; enter a whole number from 0 to 3.'),
    (True, "Question 2a: True is not a whole number of marks"),
    (None, "Question 2a: None is not a whole number of marks"),
])
def test_a_mark_outside_0_to_max_is_refused_with_a_clear_message_and_nothing_changes(mroom, value, message):
    script = mroom.script("1001")
    with pytest.raises(MarkingError) as refused:
        mroom.marking.save_mark(script, "2a", value, by=ANA, expected_version=0)
    assert message in str(refused.value)
    assert mark_rows(mroom) == [] and mroom.audit("mark given") == []


def test_unknown_questions_points_and_non_markers_are_refused(mroom):
    script = mroom.script("1001")
    with pytest.raises(MarkingError, match=r"Question 7 is not on this paper \(questions: 1, 2a, 2b\)"):
        mroom.marking.save_mark(script, "7", 1, by=ANA, expected_version=0)
    with pytest.raises(MarkingError, match="no creditable point 3; its mark scheme lists points 1 to 2"):
        mroom.marking.save_mark(script, "1", 1, ticks=[2], by=ANA, expected_version=0)
    with pytest.raises(ServiceError, match="needs the role marker"):
        mroom.marking.save_mark(script, "1", 1, by=IVY, expected_version=0)
    with pytest.raises(ServiceError, match="needs the role marker"):
        mroom.marking.open_script(script, by=ADMIN)
    assert mark_rows(mroom) == []


def test_a_script_still_being_written_cannot_be_marked(tmp_path):
    room = build_room(tmp_path / "w.db")
    room.staff.add(ANA, ["marker"], "4826", by="Ada Admin")
    code = room.running_sitting(candidates=("1001",))
    with pytest.raises(MarkingError, match="has not been submitted yet"):
        Centre(db=room.db, clock=room.clock).marking.open_script(room.script_id(code, "1001"), by=ANA)
    queue = Centre(db=room.db, clock=room.clock).marking.queue(code)
    assert queue.rows == [] and queue.still_writing == 1
    room.db.close()


def test_totals_per_outcome_and_the_result_are_derived_from_the_marks(mroom):
    script = mroom.script("1001")
    m = mroom.marking
    m.save_mark(script, "1", 2, by=ANA, expected_version=0)
    partial = m.save_mark(script, "2b", 1, by=ANA, expected_version=0).result
    assert partial.status == "not yet marked" and partial.total is None
    assert partial.provisional_total == 3 and partial.unmarked_questions == ("2a",)
    assert [(o.outcome, o.awarded, o.available) for o in partial.outcomes] == [(1, 2, 5), (2, 1, 5)]
    done = m.save_mark(script, "2a", 2, by=ANA, expected_version=0).result
    assert done.status == "fail" and done.total == 5 and done.fail_reasons == ("total 5 is below the pass mark 6",)
    passed = m.save_mark(script, "2a", 3, by=ANA, expected_version=1).result
    assert passed.status == "pass" and passed.total == 6  # exactly on the pass mark
    assert m.result(script) == passed
    row = m.queue(mroom.code).row(script)
    assert (row.provisional_total, row.result, row.questions_marked) == (6, "pass", 3)


# --- completion -----------------------------------------------------------------------------


def test_a_script_is_complete_only_when_every_question_has_a_mark(mroom):
    script = mroom.script("1001")
    mroom.marking.open_script(script, by=ANA)
    mroom.marking.save_mark(script, "1", 2, by=ANA, expected_version=0)
    with pytest.raises(MarkingError, match="cannot be complete yet: questions 2a, 2b have no mark"):
        mroom.marking.complete(script, by=ANA)
    mroom.marking.save_mark(script, "2a", 2, by=ANA, expected_version=0)
    mroom.marking.save_mark(script, "2b", 2, by=ANA, expected_version=0)
    done = mroom.marking.complete(script, by=ANA)
    assert not done.already_complete and done.result.status == "pass"
    row = mroom.marking.queue(mroom.code).row(script)
    assert row.state is MarkState.COMPLETE and row.completed_by == ANA and row.held_by is None
    [audit] = mroom.audit("script marking complete")
    assert audit.details["total"] == 6 and audit.details["result"] == "pass"
    assert mroom.marking.complete(script, by=ANA).already_complete


def test_changing_a_completed_script_needs_a_reason_which_is_kept(mroom):
    script = mroom.script("1001")
    mark_all(mroom, script)
    mroom.marking.complete(script, by=ANA)
    mroom.clock.advance(minutes=3)
    with pytest.raises(ReasonRequired, match=f"was marked complete by {ANA} at {_clock(mroom.clock.now())[:2]}"):
        mroom.marking.save_mark(script, "2b", 5, by=BEN, expected_version=1)
    with pytest.raises(ReasonRequired):
        mroom.marking.save_mark(script, "2b", 5, by=BEN, expected_version=1, reason="   ")
    saved = mroom.marking.save_mark(script, "2b", 5, by=BEN, expected_version=1,
                                    reason="Missed the law cited at the end")
    assert saved.mark.marks_awarded == 5 and saved.result.total == 10
    assert mroom.marking.history(script, "2b")[-1].reason == "Missed the law cited at the end"
    [change] = mroom.audit("mark changed")
    assert change.actor == BEN and change.details["reason"] == "Missed the law cited at the end"
    assert (change.details["old"]["marks"], change.details["new"]["marks"]) == (4, 5)


# --- claims ---------------------------------------------------------------------------------


def test_a_script_is_held_by_one_marker_at_a_time(mroom):
    script = mroom.script("1002")
    opened = mroom.marking.open_script(script, by=ANA)
    assert opened.claim.held_by == ANA
    with pytest.raises(ClaimRefused, match=f"is being marked by {ANA}") as refused:
        mroom.marking.open_script(script, by=BEN)
    assert refused.value.held_by == ANA
    with pytest.raises(ClaimRefused):
        mroom.marking.save_mark(script, "1", 1, by=BEN, expected_version=0)
    with pytest.raises(ClaimRefused):
        mroom.marking.save_mark(script, "1", 1, by=BEN, expected_version=0, hold=False)  # by question
    with pytest.raises(ClaimRefused):
        mroom.marking.complete(script, by=BEN)
    assert mark_rows(mroom) == []
    row = mroom.marking.queue(mroom.code).row(script)
    assert row.state is MarkState.IN_PROGRESS and row.held_by == ANA
    mroom.marking.release(script, by=BEN)  # not Ben's to release: nothing happens
    assert mroom.marking.queue(mroom.code).row(script).held_by == ANA
    mroom.marking.release(script, by=ANA)
    assert mroom.marking.open_script(script, by=BEN).claim.held_by == BEN


def test_taking_and_letting_go_of_a_claim_are_recorded_but_keeping_it_alive_is_not(mroom):
    script = mroom.script("1002")
    number = mroom.marking.open_script(script, by=ANA).script_number
    [taken] = mroom.audit("marking claim taken")
    assert (taken.actor, taken.script_id, taken.details["script_number"]) == (ANA, script, number)
    assert taken.details["lapses at"]
    before = len(mroom.audit())
    mroom.clock.advance(minutes=2)
    mroom.marking.open_script(script, by=ANA)  # reopened while held: the claim is refreshed
    mroom.marking.claim(script, by=ANA)
    assert len(mroom.audit()) == before  # refreshing writes no audit row
    assert mroom.marking.queue(mroom.code).row(script).claim_expires_at == \
        mroom.clock.now() + timedelta(minutes=CLAIM_MINUTES)
    mroom.marking.release(script, by=BEN)  # not Ben's: nothing happens, nothing recorded
    assert mroom.audit("marking claim released") == []
    mroom.marking.release(script, by=ANA)
    [released] = mroom.audit("marking claim released")
    assert (released.actor, released.script_id) == (ANA, script)
    mroom.marking.release(script, by=ANA)  # let go already: nothing more recorded
    assert len(mroom.audit("marking claim released")) == 1


def test_a_lapsed_claim_of_ones_own_is_taken_again_and_cleared_without_a_release(mroom):
    script = mroom.script("1003")
    mroom.marking.open_script(script, by=ANA)
    mroom.clock.advance(minutes=CLAIM_MINUTES + 1)
    mroom.marking.release(script, by=ANA)  # lapsed already: cleared, not a release
    assert mroom.audit("marking claim released") == []
    assert mroom.marking.queue(mroom.code).row(script).held_by is None
    mroom.marking.open_script(script, by=ANA)
    assert len(mroom.audit("marking claim taken")) == 2


def test_a_claim_lapses_after_inactivity_and_each_save_refreshes_it(mroom):
    script = mroom.script("1002")
    mroom.marking.open_script(script, by=ANA)
    mroom.clock.advance(minutes=CLAIM_MINUTES - 1)
    mroom.marking.save_mark(script, "1", 1, by=ANA, expected_version=0)  # activity: refreshed
    mroom.clock.advance(minutes=CLAIM_MINUTES - 1)
    with pytest.raises(ClaimRefused):
        mroom.marking.open_script(script, by=BEN)
    mroom.clock.advance(minutes=1)  # CLAIM_MINUTES since Ana's last save: she has left
    assert mroom.marking.queue(mroom.code).row(script).held_by is None
    assert mroom.marking.open_script(script, by=BEN).claim.held_by == BEN
    [taken] = mroom.audit("lapsed marking claim taken over")
    assert taken.actor == BEN and taken.details["previous holder"] == ANA
    with pytest.raises(ClaimRefused, match=f"being marked by {BEN}"):
        mroom.marking.save_mark(script, "2a", 1, by=ANA, expected_version=0)


def test_a_stale_save_is_refused_naming_who_changed_the_mark_two_engines_one_file(mroom):
    script = mroom.script("1003")
    ana, ben = mroom.marking, mroom.other_engine()
    seen = ana.open_script(script, by=ANA)
    ana.save_mark(script, "1", 1, by=ANA, expected_version=seen.version("1"))
    mine = ana.view_script(script).version("1")  # Ana's screen shows version 1
    mroom.clock.advance(minutes=CLAIM_MINUTES)  # Ana walks away; her claim lapses
    ben.open_script(script, by=BEN)
    changed_at = mroom.clock.advance(minutes=2)
    ben.save_mark(script, "1", 2, by=BEN, expected_version=1)
    ben.release(script, by=BEN)
    mroom.clock.advance(minutes=1)
    with pytest.raises(StaleMark) as refused:
        ana.save_mark(script, "1", 0, by=ANA, expected_version=mine)
    message = str(refused.value)
    assert f"{BEN} changed this mark at {_clock(changed_at)} after you opened it — reload to see it" in message
    assert refused.value.current.marks_awarded == 2 and refused.value.current.version == 2
    assert ana.view_script(script).marks["1"].marks_awarded == 2  # Ben's mark stands
    # Reloaded, Ana can change it knowingly.
    assert ana.save_mark(script, "1", 0, by=ANA, expected_version=2).mark.version == 3
    ben.db.close()


def test_the_same_marker_in_two_terminals_cannot_overwrite_themselves_unseen(mroom):
    script = mroom.script("1003")
    first, second = mroom.marking, mroom.other_engine()
    first.open_script(script, by=ANA)
    second.open_script(script, by=ANA)  # Ana's own claim: allowed
    first.save_mark(script, "2a", 1, by=ANA, expected_version=0)
    with pytest.raises(StaleMark, match=f"{ANA} changed this mark"):
        second.save_mark(script, "2a", 3, by=ANA, expected_version=0)
    second.db.close()


def test_marking_by_question_saves_without_leaving_a_claim(mroom):
    script = mroom.script("1001")
    mroom.marking.save_mark(script, "1", 2, by=ANA, expected_version=0, hold=False)
    assert mroom.marking.queue(mroom.code).row(script).held_by is None
    mroom.marking.open_script(script, by=BEN)  # free for anyone


def test_next_script_skips_complete_and_other_markers_scripts(mroom):
    m = mroom.marking
    rows = m.queue(mroom.code).rows
    first, second, third = (r.script_id for r in rows)
    m.open_script(first, by=BEN)
    mark_all(mroom, second)
    m.complete(second, by=ANA)
    assert m.next_script(mroom.code, by=ANA) == third
    m.open_script(third, by=ANA)
    assert m.next_script(mroom.code, by=ANA) == third  # her own script first
    assert m.next_script(mroom.code, by=ANA, after=rows[2].script_number) is None


# --- blind display --------------------------------------------------------------------------


def test_markers_see_script_numbers_only_until_marking_of_the_sitting_is_complete(mroom):
    m = mroom.marking
    queue = m.queue(mroom.code)
    assert queue.blind and not queue.revealed and len(queue.rows) == 3 and queue.absent == 1
    assert all(r.candidate_number is None and r.candidate_name is None for r in queue.rows)
    script = mroom.script("1001")
    opened = m.open_script(script, by=ANA)
    assert opened.candidate_number is None and opened.candidate_name is None
    assert "1001" not in opened.model_dump_json() and "Amira" not in opened.model_dump_json()
    for row in queue.rows:
        mark_all(mroom, row.script_id)
        m.complete(row.script_id, by=ANA)
    queue = m.queue(mroom.code)
    assert queue.marking_complete and queue.revealed
    assert {(r.candidate_number, r.candidate_name) for r in queue.rows} == {
        ("1001", "Amira Khan"), ("1002", "Ben Jones"), ("1003", "Chloé Dubois")}
    assert m.view_script(script).candidate_name == "Amira Khan"
    assert len(mroom.audit("sitting marking complete")) == 1


def test_an_admin_can_turn_blind_marking_off_per_sitting_and_the_choice_is_logged(mroom):
    m = mroom.marking
    with pytest.raises(ServiceError, match="needs the role admin"):
        m.set_blind(mroom.code, False, by=ANA)
    setting = m.set_blind(mroom.code, False, by=ADMIN)
    assert not setting.blind and setting.changed_by == ADMIN and setting.changed_at == mroom.clock.now()
    assert m.queue(mroom.code).revealed
    assert m.view_script(mroom.script("1002")).candidate_number == "1002"
    m.set_blind(mroom.code, False, by=ADMIN)  # no change: not logged twice
    m.set_blind(mroom.code, True, by=ADMIN)
    assert not m.queue(mroom.code).revealed
    logged = [(e.action, e.actor, e.details["old"], e.details["new"]) for e in mroom.audit()
              if e.action.startswith("blind marking")]
    assert logged == [("blind marking turned off", ADMIN, True, False),
                      ("blind marking turned on", ADMIN, False, True)]


def test_a_sitting_still_running_is_not_revealed_even_if_every_submitted_script_is_complete(tmp_path):
    m = build_marking_room(tmp_path / "r.db", absent=False, writing=("1004",))
    for row in m.marking.queue(m.code).rows:
        mark_all(m, row.script_id)
        m.marking.complete(row.script_id, by=ANA)
    queue = m.marking.queue(m.code)
    assert queue.sitting_state == "running" and queue.still_writing == 1
    assert not queue.revealed and not queue.marking_complete
    assert all(r.candidate_number is None for r in queue.rows)
    m.room.db.close()


# --- IQA adjustment -------------------------------------------------------------------------


def test_an_iqa_adjustment_needs_the_iqa_role_and_a_reason_and_is_audited(mroom):
    script = mroom.script("1001")
    mark_all(mroom, script)
    mroom.marking.save_mark(script, "2b", 4, ticks=[0], comment="Good", by=ANA, expected_version=1)
    mroom.marking.complete(script, by=ANA)
    with pytest.raises(ReasonRequired):
        mroom.marking.adjust_mark(script, "2b", 3, by=IVY, reason=" ", expected_version=2)
    with pytest.raises(ServiceError, match="needs the role iqa"):
        mroom.marking.adjust_mark(script, "2b", 3, by=ANA, reason="x", expected_version=2)
    with pytest.raises(StaleMark):
        mroom.marking.adjust_mark(script, "2b", 3, by=IVY, reason="too generous", expected_version=1)
    saved = mroom.marking.adjust_mark(script, "2b", 3, by=IVY, reason="too generous", expected_version=2)
    assert saved.mark.role == "iqa" and saved.mark.comment == "Good" and saved.mark.credited_points == (0,)
    assert saved.result.total == 8
    [audit] = mroom.audit("mark adjusted by IQA")
    assert audit.actor == IVY and audit.details["reason"] == "too generous"
    assert (audit.details["old"]["marks"], audit.details["new"]["marks"]) == (4, 3)


# --- reading for the screens ------------------------------------------------------------------


def test_by_question_lists_every_submitted_scripts_answer_exactly(mroom):
    rows = mroom.marking.scripts_for_question(mroom.code, "2b")
    assert len(rows) == 3
    by_script = {r.script_id: r for r in rows}
    assert by_script[mroom.script("1002")].answer == "  spaces kept   exactly  \n\n\tand tabs"
    with pytest.raises(MarkingError, match="Question 9 is not on this paper"):
        mroom.marking.scripts_for_question(mroom.code, "9")


def test_drafts_keep_unsaved_input_per_marker_until_the_mark_is_saved(mroom):
    script = mroom.script("1001")
    m = mroom.marking
    m.save_draft(script, "2a", by=ANA, marks_text="2", ticks=[0], comment="half done", base_version=0)
    assert m.view_script(script, by=ANA).drafts["2a"].comment == "half done"
    assert m.view_script(script, by=BEN).drafts == {}
    assert m.queue(mroom.code).row(script).state is MarkState.IN_PROGRESS
    assert mark_rows(mroom) == [] and mroom.audit("mark given") == []  # a draft is not a mark
    m.save_mark(script, "2a", 2, ticks=[0], comment="half done", by=ANA, expected_version=0)
    assert m.view_script(script, by=ANA).drafts == {}


def test_comment_bank_per_question_is_shared_and_each_text_kept_once(mroom):
    m = mroom.marking
    m.add_comment(mroom.code, "1", "Name two distinct hazards.", by=ANA)
    m.add_comment(mroom.code, "1", "Name two distinct hazards.", by=BEN)
    m.add_comment(mroom.code, "1", "Good range of hazards.", by=BEN)
    m.add_comment(mroom.code, "2a", "Prove dead before touching.", by=ANA)
    assert [(c.text, c.added_by) for c in m.comments(mroom.code, "1")] == [
        ("Name two distinct hazards.", ANA), ("Good range of hazards.", BEN)]
    with pytest.raises(MarkingError, match="empty comment"):
        m.add_comment(mroom.code, "1", "   ", by=ANA)
    assert len(mroom.audit("comment bank entry added")) == 3


def test_overall_feedback_and_next_steps_are_kept_and_audited(mroom):
    script = mroom.script("1001")
    m = mroom.marking
    m.set_feedback(script, overall_feedback="Clear answers.", next_steps="Cite the regulations.", by=ANA)
    loaded = m.view_script(script)
    assert (loaded.overall_feedback, loaded.next_steps) == ("Clear answers.", "Cite the regulations.")
    m.set_feedback(script, overall_feedback="Clear answers.", next_steps="", by=ANA)
    changes = mroom.audit("script feedback changed")
    assert len(changes) == 2 and changes[1].details["old"]["next_steps"] == "Cite the regulations."
    assert changes[1].details["new"]["next_steps"] is None


# --- CSV import -------------------------------------------------------------------------------


def test_marks_import_from_a_spreadsheet(mroom, tmp_path):
    report = mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, "good.csv", tmp_path), by=ANA)
    assert (report.added, report.changed, report.unchanged) == (4, 0, 0)
    first = mroom.marking.view_script(mroom.script("1001"))
    assert first.result.total == 9 and first.marks["2b"].comment == "Good, but no law cited"
    assert first.marks["1"].role == "import" and first.marks["1"].marked_by == ANA
    assert len(mroom.audit("mark imported")) == 4
    again = mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, "good.csv", tmp_path), by=ANA)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 4)


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(mroom, tmp_path):
    with pytest.raises(CsvImportError) as refused:
        mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, "bad.csv", tmp_path), by=ANA)
    problems = [(p.line, p.field) for p in refused.value.problems]
    assert problems == [(3, "script"), (4, "question"), (5, "marks"), (6, "marks"), (7, "marks"),
                        (8, None), (9, "script"), (10, "marks"), (11, "marks"), (12, None)]
    text = str(refused.value)
    assert "nothing was imported" in text
    assert "line 3, script: 9999 is not a script of sitting MARK-1" in text
    assert "line 4, question: 7 is not on the paper (its questions are 1, 2a, 2b)" in text
    assert "line 5, marks: Question 2a: 4 is outside the allowed range; enter a whole number from 0 to 3." in text
    assert 'line 6, marks: Question 2b: "2.5" is not a whole number of marks' in text
    assert "line 7, marks: is empty; write a whole number from 0 to 2" in text
    assert "already appears on line 2" in text
    assert "is recorded as absent" in text
    assert "line 10, marks: Question 1: -1 is outside the allowed range" in text
    assert 'line 11, marks: Question 2a: "two" is not a whole number' in text
    assert "line 12: has 2 values but the header has 4 columns" in text
    assert mark_rows(mroom) == [] and mroom.audit("mark imported") == []


def test_import_never_overwrites_an_existing_mark_unless_told_and_respects_completion(mroom, tmp_path):
    script = mroom.script("1001")
    mroom.marking.save_mark(script, "1", 1, by=BEN, expected_version=0, hold=False)
    good = render_csv(mroom, "good.csv", tmp_path)
    with pytest.raises(CsvImportError, match=f"already has 1 mark from {BEN}; use --replace"):
        mroom.marking.import_marks_csv(mroom.code, good, by=ANA)
    assert mark_rows(mroom) == [(script, "1", 1, 1)]
    report = mroom.marking.import_marks_csv(mroom.code, good, by=ANA, replace=True)
    assert (report.added, report.changed) == (3, 1)
    mroom.marking.complete(script, by=ANA)
    changed = render_csv(mroom, "good.csv", tmp_path)
    changed.write_text(changed.read_text().replace(",2b,4,", ",2b,5,"))
    with pytest.raises(CsvImportError, match="was marked complete by Ana Lopes; give --reason"):
        mroom.marking.import_marks_csv(mroom.code, changed, by=ANA, replace=True)
    mroom.marking.import_marks_csv(mroom.code, changed, by=ANA, replace=True, reason="paper script re-checked")
    assert mroom.marking.history(script, "2b")[-1].reason == "paper script re-checked"


def test_import_refuses_scripts_held_on_screen_by_another_marker(mroom, tmp_path):
    mroom.marking.open_script(mroom.script("1002"), by=BEN)
    with pytest.raises(CsvImportError, match="line 5, script: .* is being marked on screen by Ben Okafor"):
        mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, "good.csv", tmp_path), by=ANA)
    assert mark_rows(mroom) == []


def test_import_can_say_which_marker_marked_each_paper_script(mroom, tmp_path):
    mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, "paper_markers.csv", tmp_path), by=ANA)
    marks = mroom.marking.view_script(mroom.script("1003")).marks
    # The marks are the importer's (who is signed in and answerable); the paper marker is kept as data.
    assert {q: m.marked_by for q, m in marks.items()} == {"1": ANA, "2a": ANA, "2b": ANA}
    assert {q: m.paper_marker for q, m in marks.items()} == {"1": BEN, "2a": BEN, "2b": ANA}
    imported = mroom.audit("mark imported")
    assert {e.actor for e in imported} == {ANA}  # who typed them in
    assert {e.details.get("paper marker") for e in imported} == {BEN, ANA}
    # A paper marker need not be on the staff; control characters are refused.
    outside = tmp_path / "who.csv"
    outside.write_text(f"script,question,marks,marker\n{mroom.script_number('1001')},1,1,Pat Freelance\n")
    mroom.marking.import_marks_csv(mroom.code, outside, by=ANA)
    assert mroom.marking.view_script(mroom.script("1001")).marks["1"].paper_marker == "Pat Freelance"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"script,question,marks,marker\n{mroom.script_number('1001')},2a,1,Pat\x1b[2J\n")
    with pytest.raises(CsvImportError, match="line 2, marker: contains control characters"):
        mroom.marking.import_marks_csv(mroom.code, bad, by=ANA)


def test_a_database_made_before_paper_markers_is_upgraded_and_keeps_its_marks(tmp_path, monkeypatch):
    old_schema(monkeypatch, 4)
    old = build_marking_room(tmp_path / "old.db")
    old.marking.save_mark(old.script("1001"), "1", 2, by=ANA, expected_version=0)
    strip_admission(old.db, 4)
    old.db.close()
    monkeypatch.undo()
    db = open_database(tmp_path / "old.db")
    try:
        assert db.execute("SELECT marks_awarded, paper_marker FROM marks").fetchall() == [(2, None)]
        assert db.execute("SELECT count(*) FROM mark_versions WHERE paper_marker IS NULL").fetchone()[0] == 1
    finally:
        db.close()


@pytest.mark.parametrize("name, message", [
    ("semicolons.csv", "line 1: the file uses ';' between columns"),
    ("latin1.csv", "line 2: is not UTF-8 text"),
])
def test_files_excel_saves_wrongly_get_a_clear_message(mroom, tmp_path, name, message):
    with pytest.raises(CsvImportError, match=message):
        mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, name, tmp_path), by=ANA)


def test_a_wrong_header_names_the_expected_columns(mroom, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("candidate,q,score\n1,1,1\n")
    with pytest.raises(CsvImportError, match="missing column\\(s\\) script, marks; unknown column\\(s\\) "
                                             "'candidate', 'score'"):
        mroom.marking.import_marks_csv(mroom.code, path, by=ANA)
    with pytest.raises(ServiceError, match="There is no file"):
        mroom.marking.import_marks_csv(mroom.code, tmp_path / "missing.csv", by=ANA)


# --- status -----------------------------------------------------------------------------------


def test_status_per_script_and_per_marker(mroom):
    m = mroom.marking
    a, b, c = (mroom.script(n) for n in ("1001", "1002", "1003"))
    mark_all(mroom, a)
    m.complete(a, by=ANA)
    m.open_script(b, by=BEN)
    m.save_mark(b, "1", 1, by=BEN, expected_version=0)
    m.save_mark(c, "2a", 2, by=ANA, expected_version=0, hold=False)
    status = m.status(mroom.code)
    states = {r.script_id: (r.state, r.held_by, r.questions_marked) for r in status.queue.rows}
    assert states == {a: (MarkState.COMPLETE, None, 3), b: (MarkState.IN_PROGRESS, BEN, 1),
                      c: (MarkState.IN_PROGRESS, None, 1)}
    by_marker = {p.name: (p.questions_marked, p.scripts_marked, p.scripts_completed, p.holding)
                 for p in status.markers}
    assert by_marker == {ANA: (4, 2, 1, []), BEN: (1, 1, 0, [mroom.script_number("1002")])}
    assert status.queue.counts() == {MarkState.UNMARKED: 0, MarkState.IN_PROGRESS: 2, MarkState.COMPLETE: 1}


def test_an_unknown_sitting_code_is_named(mroom):
    with pytest.raises(MarkingError, match="There is no sitting with code NOPE"):
        mroom.marking.queue("nope")


def test_centre_hands_out_the_marking_service(mroom):
    assert isinstance(mroom.centre().marking, MarkingService)


def test_a_corrected_scheme_that_no_longer_allows_a_stored_mark_is_named_not_totalled(mroom):
    from sitting_fixtures import small_paper, small_scheme
    from marker_tui.services.papers import PaperService

    script = mroom.script("1001")
    mark_all(mroom, script, values=(2, 3, 5))
    corrected = small_scheme().model_copy(deep=True)
    data = corrected.model_dump()
    data["questions"][2]["max_marks"] = 4  # 2b: 5 -> 4, while the paper still says 5
    data["questions"][2]["points"][0]["marks"] = 4
    PaperService(mroom.db, mroom.clock).store(small_paper(), type(corrected).model_validate(data))
    with pytest.raises(MarkingError, match="Script .*: question 2b: the mark scheme's maximum is 4"):
        mroom.marking.result(script)
    row = mroom.marking.queue(mroom.code).row(script)  # the queue still loads for everyone
    assert row.result.startswith("check marks:") and row.provisional_total == 10
    with pytest.raises(MarkingError, match="maximum is 4"):
        mroom.marking.complete(script, by=ANA)
