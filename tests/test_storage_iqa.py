"""IQA reads in storage/iqa.py and storage/marks.py that do more than one lookup: who marked a script
(signed in and on paper, never an IQA adjustment), the marker's mark against the current one,
the latest review round, plan history, agreement pairs, and IN-lists longer than SQLite allows.

Real SQLite files built through the services, with the same fixtures as the service tests.
"""

from __future__ import annotations

from marker_tui.domain.reports import ScriptDecision
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage import marks as mark_store
from marking_fixtures import ANA as M_ANA, BEN as M_BEN, mroom  # noqa: F401
from test_iqa_service import ANA, BEN, IVY, MO, SAM, NOTHING, agree_all_but, iroom, plan_with  # noqa: F401
from test_marking_service import render_csv

#: More script ids than one IN-list may hold, none of them real.
MANY = list(range(10_000, 10_700))


def _adjust(room, candidate: str) -> int:
    """Ivy reviews the candidate's script, gives 2b one mark less, and confirms (an IQA adjustment)."""
    plan_with(room, candidate)
    script = agree_all_but(room, candidate, {"2b": (3, "one point not made")})
    room.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED, confirm=True)
    return script


def test_an_iqa_adjustment_changes_the_current_mark_but_not_who_marked_it_or_their_mark(iroom):
    script = _adjust(iroom, "1001")
    ids = [script, *MANY]
    assert mark_store.everyone_who_marked(iroom.db, ids) == {script: [ANA]}
    assert mark_store.current_marks(iroom.db, ids)[script]["2b"].marks_awarded == 3
    assert mark_store.current_marks(iroom.db, ids)[script]["2b"].marker_name == IVY
    first = mark_store.marker_marks(iroom.db, ids)[script]
    assert {q: (m.marks_awarded, m.marker_name) for q, m in first.items()} == {
        "1": (2, ANA), "2a": (3, ANA), "2b": (4, ANA)}


def test_who_marked_a_script_includes_the_paper_markers_a_mark_file_named_in_name_order(mroom, tmp_path):
    mroom.marking.import_marks_csv(mroom.code, render_csv(mroom, "paper_markers.csv", tmp_path), by=M_BEN)
    script = mroom.script("1003")
    # Ben typed the marks in; the file says Ben and Ana marked the paper script.
    assert mark_store.everyone_who_marked(mroom.db, [*MANY, script]) == {script: sorted([M_ANA, M_BEN])}


def test_scripts_with_many_ids_come_back_whole(iroom):
    ids = [iroom.script(c) for c in ("1001", "1008", "1012")]
    papers = iqa_store.script_paper_ids(iroom.db, [*MANY, *ids])
    assert set(papers) == set(ids) and len(set(papers.values())) == 1
    markers = mark_store.everyone_who_marked(iroom.db, [*MANY, *ids])
    assert markers == {ids[0]: [ANA], ids[1]: [BEN], ids[2]: [MO]}


def test_the_latest_review_round_and_second_marking_are_the_ones_read(iroom):
    plan_with(iroom, "1001", "1002")
    script = agree_all_but(iroom, "1001")
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.REFER_BACK, feedback="look at 2b again",
                     confirm=True)
    iroom.iqa.reviews.rereview(script, reviewer=IVY)
    [plan_id] = iqa_store.current_plan_ids(iroom.db, iroom.iqa.plans.scope(iroom.code))
    reviewer_id = iqa_store.plan(iroom.db, plan_id).reviewer_id
    latest = iqa_store.latest_reviews(iroom.db, [*MANY, script], reviewer_id)
    assert list(latest) == [script] and latest[script].round == 2 and latest[script].state == "in progress"
    assert [r.round for r in iqa_store.reviews_of(iroom.db, script, reviewer_id)] == [1, 2]
    other = iroom.script("1002")
    iroom.iqa.second_marking.assign_second_marker(other, second_marker=SAM, by=IVY)
    seconds = iqa_store.second_markings_of(iroom.db, [*MANY, other, script])
    assert list(seconds) == [other] and seconds[other].second_marker == SAM and seconds[other].completed_at is None


def test_plan_history_keeps_superseded_plans_with_their_script_counts(iroom):
    scope = iroom.iqa.plans.scope(iroom.code)
    first = iroom.iqa.plans.create_plan(iroom.code, strategy=NOTHING.model_copy(update={"include_fails": True}), by=IVY)
    second = iroom.iqa.plans.create_plan(iroom.code, strategy=NOTHING, by=IVY, redraw=True, seed=7)
    history = iqa_store.plan_history(iroom.db, scope)
    assert [(h.plan.id, h.scripts) for h in history] == [(first.id, 3), (second.id, 0)]
    assert history[0].plan.superseded_by == second.id and history[0].plan.reviewer == IVY
    assert history[1].plan.superseded_at is None
    assert iqa_store.current_plan(iroom.db, scope, history[0].plan.reviewer_id).id == second.id


def test_agreement_reads_first_round_judgements_and_completed_second_marks_only(iroom):
    plan_with(iroom, "1001", "1006")
    agree_all_but(iroom, "1001", {"2b": (3, "one point not made")})
    other = iroom.script("1006")
    iroom.iqa.second_marking.assign_second_marker(other, second_marker=SAM, by=IVY)
    iroom.iqa.second_marking.record_second_marks(other, {"1": 2, "2a": 2, "2b": 5}, by=SAM)
    scope = iroom.iqa.plans.scope(iroom.code)
    judged = iqa_store.first_round_judgements(iroom.db, scope)
    assert sorted((j.question_id, j.marker_mark, j.agree, j.reviewer_mark, j.marker) for j in judged) == [
        ("1", 2, True, None, ANA), ("2a", 3, True, None, ANA), ("2b", 4, False, 3, ANA)]
    assert iqa_store.completed_second_marks(iroom.db, scope) == []  # not complete yet
    iroom.iqa.second_marking.complete_second_marking(other, by=SAM)
    seconds = iqa_store.completed_second_marks(iroom.db, scope)
    assert sorted((s.question_id, s.marks, s.second_marker) for s in seconds) == [
        ("1", 2, SAM), ("2a", 2, SAM), ("2b", 5, SAM)]
    assert {(other, q) for q in ("1", "2a", "2b")}.isdisjoint(iqa_store.judged_questions(iroom.db))


def test_sampleable_sittings_count_scripts_marked_complete(iroom):
    assert iqa_store.sampleable_sittings(iroom.db, ("submitted", "time up", "ended")) == [iqa_store.SampleableSitting(iroom.code, 12, 12)]

