"""IQA storage and service: stored plans reproduce from their seed, own marking is refused whoever
asks, decisions change marks only on confirmation and only through the marking engine (audited),
blind second marking, agreement figures from stored pairs, sign-off.

The sampling and agreement rules themselves are tested in test_sampling.py and test_agreement.py;
here we test that the database reaches them and that the service enforces who may do what.
Real SQLite files, a FakeClock, the real marking engine.

The centre (``build_iqa_room``, shared with the CLI and screen tests): paper of 10 marks
(Q1 /2, Q2a /3, Q2b /5), pass mark 6; twelve scripts marked complete:

    marker      candidate  marks (1, 2a, 2b)  total
    Ana Lopes   1001       2 3 4              9
                1002       1 1 1              3   fail
                1003       2 2 2              6   borderline
                1004       2 3 5              10
                1005       2 3 4              9
    Ben Okafor  1006       2 3 5              10
                1007       2 3 4              9
                1008       1 1 0              2   fail
                1009       2 3 5              10
    Mo Patel    1010       2 3 4              9
    (marker     1011       2 3 5              10
     and IQA)   1012       1 0 0              1   fail

Ivy Reviewer has the iqa role only; Sam Second is a marker who marked nothing.
"""

from __future__ import annotations

import atexit
import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from marker_tui.domain.agreement import weighted_kappa
from marker_tui.domain.clock import FakeClock
from marker_tui.domain.reports import ScriptDecision
from marker_tui.domain.sampling import OWN_ASSESSMENT_RULE, SamplingStrategy
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.centre import Centre
from marker_tui.services.iqa import Iqa, IqaError, OwnMarking
from marker_tui.services.iqa.views import ActionPointIn
from marker_tui.services.marking import MarkingError, MarkingService
from marker_tui.storage import migrations
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, Room, build_room

ANA = "Ana Lopes"
BEN = "Ben Okafor"
MO = "Mo Patel"
IVY = "Ivy Reviewer"
SAM = "Sam Second"

MARKS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "1001": (ANA, (2, 3, 4)), "1002": (ANA, (1, 1, 1)), "1003": (ANA, (2, 2, 2)),
    "1004": (ANA, (2, 3, 5)), "1005": (ANA, (2, 3, 4)),
    "1006": (BEN, (2, 3, 5)), "1007": (BEN, (2, 3, 4)), "1008": (BEN, (1, 1, 0)), "1009": (BEN, (2, 3, 5)),
    "1010": (MO, (2, 3, 4)), "1011": (MO, (2, 3, 5)), "1012": (MO, (1, 0, 0)),
}
QUESTIONS = ("1", "2a", "2b")

#: Only the rules a test switches on.
NOTHING = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=None,
                           include_fails=False, cover_decisions=False)


def only(**rules) -> SamplingStrategy:
    """NOTHING with the given rules switched on."""
    return SamplingStrategy(**{**NOTHING.model_dump(), **rules})


@dataclass
class IqaRoom:
    room: Room
    code: str

    @property
    def db(self):
        return self.room.db

    @property
    def clock(self):
        return self.room.clock

    @property
    def path(self) -> Path:
        return self.room.path

    @property
    def iqa(self) -> Iqa:
        return Centre(db=self.room.db, clock=self.room.clock).iqa

    @property
    def marking(self) -> MarkingService:
        return Centre(db=self.room.db, clock=self.room.clock).marking

    def centre(self) -> Centre:
        return Centre(db=self.room.db, clock=self.room.clock)

    def script(self, candidate: str) -> int:
        return self.room.script_id(self.code, candidate)

    def number(self, candidate: str) -> str:
        return self.room.candidate(self.code, candidate).script_number

    def candidate_of(self, script_number: str) -> str:
        return next(c.candidate_number for c in self.room.sittings.status(self.code).candidates
                    if c.script_number == script_number)

    def audit(self, action: str | None = None) -> list:
        return [e for e in entries(self.db) if action is None or e.action == action]


_TEMPLATES: dict[bool, tuple[Path, datetime, object, str]] = {}


def build_iqa_room(path: Path, *, complete: bool = True) -> IqaRoom:
    """The centre above, at ``path``: built once per test run, then copied (a build takes a second)."""
    if complete not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="iqa-template-"))
        atexit.register(shutil.rmtree, folder, True)
        built = make_iqa_room(folder / "iqa.db", complete=complete)
        _TEMPLATES[complete] = (built.path, built.clock.now(), built.room.paper, built.code)
        built.db.close()  # the last connection checkpoints the WAL into the file
    source, now, paper, code = _TEMPLATES[complete]
    shutil.copyfile(source, path)
    return IqaRoom(Room(path, open_database(path), FakeClock(now), paper), code)


def make_iqa_room(path: Path, *, complete: bool = True) -> IqaRoom:
    """Build the centre through the real services (sit, submit, mark, complete)."""
    room = build_room(path)
    for name, roles in ((ANA, ["marker"]), (BEN, ["marker"]), (MO, ["marker", "iqa"]), (IVY, ["iqa"]),
                        (SAM, ["marker"])):
        room.staff.add(name, roles, PIN, by=ADMIN)
    for n in range(1006, 1013):
        room.candidates.add(str(n), f"Learner {n}", by=ADMIN)
    code = room.new_sitting(code="IQA-1")
    room.sittings.enrol(code, list(MARKS), by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    for number in MARKS:
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    room.clock.advance(minutes=5)
    for number in MARKS:
        script = room.script_id(code, number)
        for question in QUESTIONS:
            room.learners.save_answer(script, question, f"Answer of {number} to question {question}.")
        room.learners.submit(script)
    if room.sittings.summary(code).state != "ended":  # ends by itself when the last one submits
        room.sittings.end(code, by=INVIGILATOR, reason="everyone has finished")
    room.clock.advance(minutes=30)
    marking = Centre(db=room.db, clock=room.clock).marking
    for number, (marker, values) in MARKS.items():
        script = room.script_id(code, number)
        for question, value in zip(QUESTIONS, values):
            marking.save_mark(script, question, value, ticks=[0] if question == "1" and value else [],
                              comment=f"{marker.split()[0]} on {question}", by=marker, expected_version=0)
        if complete:
            marking.complete(script, by=marker)
    room.clock.advance(minutes=10)
    return IqaRoom(room, code)


@pytest.fixture
def iroom(tmp_path: Path) -> IqaRoom:
    built = build_iqa_room(tmp_path / "iqa.db")
    yield built
    built.db.close()


def candidates(plan, room: IqaRoom) -> list[str]:
    return sorted(room.candidate_of(s.script_number) for s in plan.scripts)


def plan_with(room: IqaRoom, *wanted: str, reviewer: str = IVY):
    """A plan holding exactly the given candidates' scripts (fails only, then added by hand)."""
    plan = room.iqa.plans.create_plan(room.code, strategy=NOTHING, by=reviewer)
    for candidate in wanted:
        plan = room.iqa.plans.add_to_plan(room.code, room.number(candidate), by=reviewer, reason="chosen for the test")
    return plan


def agree_all_but(room: IqaRoom, candidate: str, changes: dict[str, tuple[int, str]] | None = None,
                  reviewer: str = IVY):
    script = room.script(candidate)
    for question in QUESTIONS:
        if changes and question in changes:
            mark, reason = changes[question]
            room.iqa.reviews.record_question(script, question, reviewer=reviewer, agree=False, mark=mark, reason=reason)
        else:
            room.iqa.reviews.record_question(script, question, reviewer=reviewer, agree=True)
    return script


# --- schema ---------------------------------------------------------------------------------


def test_a_database_made_before_iqa_is_upgraded_and_keeps_its_marks(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    from sitting_fixtures import old_schema, strip_admission

    old_schema(monkeypatch, 2)
    old = make_iqa_room(path)
    script = old.script("1001")
    strip_admission(old.db, 2)
    old.db.close()
    monkeypatch.undo()
    db = open_database(path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    assert {"iqa_plans", "iqa_plan_scripts", "iqa_reviews", "iqa_question_reviews", "iqa_action_points",
            "iqa_second_markings", "iqa_second_marks", "iqa_tolerances", "iqa_sign_off"} <= set(db.table_names())
    assert db.execute("SELECT count(*) FROM marks WHERE script_id = ?", [script]).fetchone()[0] == 3
    db.close()


def test_agreement_figures_are_not_stored_anywhere(iroom):
    for table in iroom.db.table_names():
        if table.startswith("iqa_"):
            columns = {c.name for c in iroom.db[table].columns}
            assert not columns & {"kappa", "weighted_kappa", "exact_agreement", "agreement",
                                  "within_tolerance", "mean_difference"}, table


# --- plans -----------------------------------------------------------------------------------


def test_the_default_plan_is_stored_with_reasons_strategy_and_seed(iroom):
    plan = iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=IVY)
    assert plan.reviewer == IVY and plan.scope.code == iroom.code and plan.seed_source == "derived"
    assert plan.strategy_text == SamplingStrategy().describe()
    assert plan.scripts_marked == 12
    reasons = {iroom.candidate_of(s.script_number): s.reasons for s in plan.scripts}
    assert reasons["1002"] == ("fail",) and reasons["1008"] == ("fail",) and reasons["1012"] == ("fail",)
    assert reasons["1003"] == ("borderline: 6 is within 2 of the pass mark 6",)
    # Each marker has at least 3 of their scripts in the plan, the rest drawn at random.
    for marker, mine in ((ANA, 5), (BEN, 4), (MO, 3)):
        theirs = [s for s in plan.scripts if s.markers == (marker,)]
        assert len(theirs) == 3, marker
        assert all(r in ("fail", "borderline: 6 is within 2 of the pass mark 6")
                   or r == f"random: minimum 3 or 25% of {marker}'s {mine} scripts"
                   for s in theirs for r in s.reasons)
    stored = iroom.db.execute("SELECT seed, seed_source, strategy_json FROM iqa_plans").fetchone()
    assert stored[0] == plan.seed and stored[1] == "derived"
    assert json.loads(stored[2])["min_scripts_per_marker"] == 3
    [audit] = iroom.audit("IQA sampling plan drawn")
    assert audit.actor == IVY and audit.details["seed"] == plan.seed
    assert sorted(audit.details["scripts"]) == sorted(s.script_ref for s in plan.scripts)


def test_each_rule_alone_reaches_the_database(iroom):
    fails = iroom.iqa.plans.preview_plan(iroom.code, strategy=only(include_fails=True),
                                   reviewer=IVY)
    assert sorted(iroom.candidate_of(r) for r in fails.script_refs) == ["1002", "1008", "1012"]
    border = iroom.iqa.plans.preview_plan(iroom.code, strategy=only(borderline_marks=1),
                                    reviewer=IVY)
    assert sorted(iroom.candidate_of(r) for r in border.script_refs) == ["1003"]
    new = iroom.iqa.plans.preview_plan(iroom.code, strategy=only(new_markers={BEN}),
                                 reviewer=IVY)
    assert sorted(iroom.candidate_of(r) for r in new.script_refs) == ["1006", "1007", "1008", "1009"]
    minimum = iroom.iqa.plans.preview_plan(iroom.code, strategy=only(min_scripts_per_marker=2),
                                     reviewer=IVY, seed=5)
    by_marker = {}
    for s in minimum.chosen:
        by_marker.setdefault(s.markers, []).append(s)
    assert {m: len(v) for m, v in by_marker.items()} == {(ANA,): 2, (BEN,): 2, (MO,): 2}


def test_a_stored_plan_of_fails_holds_a_pass_of_each_marker_who_made_both(iroom):
    # Only the fail rule: each marker with a fail and a pass gets one pass added, in words, in the database.
    plan = iroom.iqa.plans.create_plan(iroom.code, strategy=only(include_fails=True, cover_decisions=True), by=IVY)
    kinds: dict[str, set[str]] = {}
    for s in plan.scripts:
        kinds.setdefault(s.markers[0], set()).add("fail" if "fail" in s.reasons else "pass")
    assert all(k == {"pass", "fail"} for k in kinds.values()), kinds
    added = [s for s in plan.scripts if "fail" not in s.reasons]
    assert added and all(s.reasons[0].startswith("pass decision: ") for s in added)
    stored = iroom.iqa.plans.plan(plan.id)
    assert [s.reasons for s in stored.scripts] == [s.reasons for s in plan.scripts]
    # A marker with no fail among their scripts is said so in the plan's notes.
    assert all("every marked script is a pass" in n or "every marked script is a fail" in n for n in stored.notes)


def test_the_rules_combined_keep_every_reason(iroom):
    strategy = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=4,
                                include_fails=True, new_markers=frozenset({BEN}))
    plan = iroom.iqa.plans.create_plan(iroom.code, strategy=strategy, by=IVY)
    reasons = {iroom.candidate_of(s.script_number): s.reasons for s in plan.scripts}
    new = "new marker: all of Ben Okafor's scripts"
    assert reasons["1008"] == (new, "fail", "borderline: 2 is within 4 of the pass mark 6")
    assert reasons["1006"] == (new, "borderline: 10 is within 4 of the pass mark 6")
    assert reasons["1012"] == ("fail",)
    assert reasons["1003"] == ("borderline: 6 is within 4 of the pass mark 6",)
    assert len(reasons) == 12


def test_a_stored_plan_is_reproduced_from_its_seed_even_after_marks_change(iroom):
    plan = iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=IVY, seed=2024)
    assert plan.seed == 2024 and plan.seed_source == "given"
    # Marks change after the plan was drawn (1004 becomes borderline): the stored plan still reproduces.
    script = iroom.script("1004")
    iroom.marking.adjust_mark(script, "2b", 0, by=MO, reason="test", expected_version=1)
    again = iroom.iqa.plans.reproduce(plan.id)
    assert again.same and again.seed == 2024 and again.redrawn == again.stored
    assert set(again.stored) == {s.script_ref for s in plan.scripts}
    # A different seed draws a different random part (this seed does; the fixed rules stay).
    other = iroom.iqa.plans.preview_plan(iroom.code, strategy=SamplingStrategy(), reviewer=IVY, seed=7)
    assert {"fail"} <= {r for s in other.chosen for r in s.reasons}


def test_the_same_seed_gives_the_same_plan_in_a_new_process(iroom):
    first = iroom.iqa.plans.preview_plan(iroom.code, strategy=SamplingStrategy(), reviewer=IVY, seed=99)
    other = Centre(db=open_database(iroom.path), clock=iroom.clock)
    second = other.iqa.plans.preview_plan(iroom.code, strategy=SamplingStrategy(), reviewer=IVY, seed=99)
    assert first == second
    other.close()


def test_a_second_plan_needs_a_redraw_and_keeps_the_old_one_in_history(iroom):
    first = iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=IVY, seed=1)
    with pytest.raises(IqaError, match=r"already has a sampling plan for Ivy Reviewer \(plan 1, seed 1"):
        iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=IVY, seed=2)
    second = iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=IVY, seed=2, redraw=True)
    assert second.id != first.id and second.seed == 2
    history = iroom.iqa.plans.history(iroom.code)
    assert [(h.id, h.seed, h.superseded_at is not None) for h in history] == [(first.id, 1, True), (second.id, 2, False)]
    assert iroom.iqa.plans.plan(first.id).superseded_by == second.id
    assert iroom.iqa.plans.reproduce(first.id).same
    [_, redraw] = iroom.audit("IQA sampling plan drawn")
    assert redraw.details["supersedes"] == first.id
    with pytest.raises(sqlite3.DatabaseError, match="cannot be changed"):
        iroom.db.execute("UPDATE iqa_plans SET seed = 5 WHERE id = ?", [first.id])


def test_redrawing_after_reviews_started_needs_a_reason_and_carries_reviewed_scripts(iroom):
    plan = plan_with(iroom, "1001")
    iroom.iqa.reviews.record_question(iroom.script("1001"), "1", reviewer=IVY)
    with pytest.raises(IqaError, match="give a reason for drawing the plan again"):
        iroom.iqa.plans.create_plan(iroom.code, strategy=NOTHING, by=IVY, seed=3, redraw=True)
    new = iroom.iqa.plans.create_plan(iroom.code, strategy=NOTHING, by=IVY, seed=3, redraw=True,
                                reason="wrong strategy chosen")
    carried = new.by_number(iroom.number("1001"))
    assert carried and carried[0].reasons == (f"reviewed under plan {plan.id}: carried into this plan",)
    assert carried[0].review_state == "in progress"
    assert new.reason == "wrong strategy chosen"


def test_scripts_not_marked_complete_are_not_sampled(tmp_path):
    room = build_iqa_room(tmp_path / "open.db", complete=False)
    plan = room.iqa.plans.create_plan(room.code, strategy=SamplingStrategy(), by=IVY)
    assert plan.scripts == ()
    assert all(e.reason == "not yet marked: only marked scripts are sampled" for e in plan.excluded)
    assert len(plan.excluded) == 12
    room.db.close()


def test_a_unit_across_sittings_is_sampled_as_one(iroom):
    iroom.room.clock.advance(hours=1)
    other = iroom.room.new_sitting(code="IQA-2")
    room = iroom.room
    room.sittings.enrol(other, ["1001", "1002"], by=INVIGILATOR)
    room.sittings.open(other, by=INVIGILATOR)
    for number in ("1001", "1002"):
        room.log_in(other, number)
    room.sittings.start(other, by=INVIGILATOR)
    for number in ("1001", "1002"):
        script = room.script_id(other, number)
        room.learners.save_answer(script, "1", "again")
        room.learners.submit(script)
    for number in ("1001", "1002"):
        script = room.script_id(other, number)
        for question in QUESTIONS:
            iroom.marking.save_mark(script, question, 0, by=SAM, expected_version=0)
        iroom.marking.complete(script, by=SAM)
    plan = iroom.iqa.plans.create_plan("9999-01/101", strategy=only(include_fails=True), by=IVY)
    assert plan.scope.is_unit and plan.scope.sitting_codes == ("IQA-1", "IQA-2")
    assert plan.scripts_marked == 14
    assert {s.sitting_code for s in plan.scripts} == {"IQA-1", "IQA-2"}
    assert all(s.script_ref == f"{s.sitting_code}/{s.script_number}" for s in plan.scripts)
    assert len(plan.scripts) == 5  # three fails in IQA-1, two in IQA-2
    # A unit plan and a sitting plan are separate plans.
    iroom.iqa.plans.create_plan(iroom.code, strategy=NOTHING, by=IVY)
    assert len(iroom.iqa.plans.plans_for(IVY)) == 2
    with pytest.raises(IqaError, match="no sitting of unit 999"):
        iroom.iqa.plans.create_plan("9999-01/999", strategy=NOTHING, by=IVY)


def test_planning_needs_the_iqa_role(iroom):
    with pytest.raises(ServiceError, match="needs the role iqa"):
        iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=ANA)


# --- own marking ------------------------------------------------------------------------------


def test_own_marking_is_never_offered_and_the_shortfall_is_noted(iroom):
    plan = iroom.iqa.plans.create_plan(iroom.code, strategy=SamplingStrategy(), by=MO)
    offered = candidates(plan, iroom)
    assert not {"1010", "1011", "1012"} & set(offered)
    excluded = {iroom.candidate_of(e.script_ref): e.reason for e in plan.excluded}
    assert excluded == {c: f"marked by Mo Patel: {OWN_ASSESSMENT_RULE}" for c in ("1010", "1011", "1012")}
    assert any("Mo Patel: 3 of 3 scripts needed but only 0 can be offered to Mo Patel" in n for n in plan.notes)


def test_own_marking_is_refused_even_when_asked_directly(iroom):
    plan_with(iroom, reviewer=MO)
    own = iroom.script("1010")
    message = f"Mo Patel marked this script and cannot review it: {OWN_ASSESSMENT_RULE}"
    with pytest.raises(OwnMarking, match=message):
        iroom.iqa.reviews.review_view(own, reviewer=MO)
    with pytest.raises(OwnMarking, match=message):
        iroom.iqa.reviews.record_question(own, "1", reviewer=" mo  PATEL ", agree=True)
    with pytest.raises(OwnMarking, match=message):
        iroom.iqa.reviews.decide(own, reviewer=MO, decision=ScriptDecision.UPHELD)
    with pytest.raises(OwnMarking, match=message):
        iroom.iqa.reviews.confirm(own, reviewer=MO)
    with pytest.raises(OwnMarking, match="cannot review it"):
        iroom.iqa.plans.add_to_plan(iroom.code, iroom.number("1010"), by=MO, reason="I want to")
    assert iroom.db.execute("SELECT count(*) FROM iqa_reviews").fetchone()[0] == 0


def test_marking_part_of_a_script_after_it_was_sampled_still_refuses_the_review(iroom):
    plan_with(iroom, "1001", reviewer=MO)
    script = iroom.script("1001")
    iroom.marking.save_mark(script, "2b", 4, by=MO, expected_version=1, reason="second look")
    with pytest.raises(OwnMarking, match="Mo Patel marked this script"):
        iroom.iqa.reviews.review_view(script, reviewer=MO)


def test_an_iqa_adjustment_does_not_make_the_reviewer_a_marker(iroom):
    plan_with(iroom, "1001")
    script = agree_all_but(iroom, "1001", {"2b": (3, "point 2 not made")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision="marks adjusted", confirm=True)
    assert iroom.iqa.reviews.review_view(script, reviewer=IVY).markers == (ANA,)


def test_only_sampled_scripts_are_reviewed(iroom):
    plan_with(iroom)
    with pytest.raises(IqaError, match="is not in a sampling plan of Ivy Reviewer"):
        iroom.iqa.reviews.review_view(iroom.script("1004"), reviewer=IVY)


# --- reviews and decisions ---------------------------------------------------------------------


def test_the_review_shows_answers_marks_ticks_comments_and_scheme(iroom):
    plan_with(iroom, "1001")
    view = iroom.iqa.reviews.review_view(iroom.script("1001"), reviewer=IVY)
    assert view.state == "not started" and view.markers == (ANA,)
    assert view.answers["2a"] == "Answer of 1001 to question 2a."
    assert view.marks["1"].marks_awarded == 2 and view.marks["1"].credited_points == (0,)
    assert view.marks["2a"].comment == "Ana on 2a"
    assert [p.text for p in view.scheme.question("1").points] == ["a hazard", "another"]
    assert view.result_now.total == 9 and view.reasons == ("added by Ivy Reviewer: chosen for the test",)


def test_agree_with_every_question_then_uphold_changes_no_mark(iroom):
    plan_with(iroom, "1001")
    script = agree_all_but(iroom, "1001")
    before = [(v.question_id, v.version) for v in iroom.marking.history(script)]
    view = iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD, feedback="Well marked.")
    assert view.state == "awaiting confirmation" and view.review.decision is ScriptDecision.UPHELD
    done = iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert done.applied == () and done.total_before == done.total_after == 9
    assert done.review.state == "confirmed"
    assert [(v.question_id, v.version) for v in iroom.marking.history(script)] == before
    assert not iroom.audit("mark adjusted by IQA")
    [confirmed] = iroom.audit("IQA decision confirmed")
    assert confirmed.details["decision"] == "marking upheld" and confirmed.details["changes"] == []


def test_a_different_mark_needs_a_reason_and_a_valid_value(iroom):
    plan_with(iroom, "1001")
    script = iroom.script("1001")
    with pytest.raises(IqaError, match=r"Question 2b: give a reason for the different mark \(4 → 2\)"):
        iroom.iqa.reviews.record_question(script, "2b", reviewer=IVY, agree=False, mark=2, reason="  ")
    with pytest.raises(IqaError, match="6 is outside the allowed range; enter a whole number from 0 to 5"):
        iroom.iqa.reviews.record_question(script, "2b", reviewer=IVY, agree=False, mark=6, reason="x")
    with pytest.raises(IqaError, match="'two' is not a whole number of marks"):
        iroom.iqa.reviews.record_question(script, "2b", reviewer=IVY, agree=False, mark="two", reason="x")
    with pytest.raises(IqaError, match="Question 9 is not on this paper"):
        iroom.iqa.reviews.record_question(script, "9", reviewer=IVY)
    assert iroom.db.execute("SELECT count(*) FROM iqa_question_reviews").fetchone()[0] == 0
    # The marker's own mark given as a "different" mark is agreement.
    view = iroom.iqa.reviews.record_question(script, "2b", reviewer=IVY, agree=False, mark="4", reason="same")
    assert view.review.questions["2b"].agree and view.review.questions["2b"].reason is None


def test_a_changed_mark_is_applied_only_on_confirmation_through_the_marking_engine(iroom):
    plan_with(iroom, "1003")
    script = agree_all_but(iroom, "1003", {"2b": (4, "both points made in the last paragraph"),
                                            "2a": (1, "test dead not mentioned")})
    view = iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED,
                            feedback="Read to the end of the answer.", decision_reason="two marks out",
                            action_points=[ActionPointIn(text="Re-read 2b guidance", owner=ANA,
                                                         due=date(2026, 4, 1))])
    assert [(c.question_id, c.old, c.new) for c in view.pending_changes()] == [("2a", 2, 1), ("2b", 2, 4)]
    assert view.result_after.total == 7
    # Decided but not confirmed: nothing has changed in the marks.
    assert iroom.marking.result(script).total == 6
    assert not iroom.audit("mark adjusted by IQA")
    done = iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert done.total_before == 6 and done.total_after == 7
    assert [(c.question_id, c.old, c.new) for c in done.applied] == [("2a", 2, 1), ("2b", 2, 4)]
    assert iroom.marking.result(script).total == 7
    mark = iroom.marking.view_script(script).marks["2b"]
    assert (mark.marks_awarded, mark.role, mark.marked_by, mark.comment) == (4, "iqa", IVY, "Ana on 2b")
    last = iroom.marking.history(script, "2b")[-1]
    assert last.reason == "IQA review: both points made in the last paragraph"
    adjusted = {e.details["question"]: e for e in iroom.audit("mark adjusted by IQA")}
    assert adjusted["2b"].actor == IVY
    assert (adjusted["2b"].details["old"]["marks"], adjusted["2b"].details["new"]["marks"]) == (2, 4)
    assert adjusted["2b"].details["reason"] == "IQA review: both points made in the last paragraph"
    [confirmed] = iroom.audit("IQA decision confirmed")
    assert confirmed.details["total before"] == 6 and confirmed.details["total after"] == 7
    review = done.review.review
    assert review.feedback_to_marker == "Read to the end of the answer."
    assert [(a.text, a.owner, a.due) for a in review.action_points] == [("Re-read 2b guidance", ANA, date(2026, 4, 1))]
    # Confirmed: frozen, by the service and by the database.
    with pytest.raises(IqaError, match="was confirmed \\(marks adjusted\\) and cannot change"):
        iroom.iqa.reviews.record_question(script, "1", reviewer=IVY)
    with pytest.raises(sqlite3.DatabaseError, match="confirmed IQA review cannot be changed"):
        iroom.db.execute("UPDATE iqa_question_reviews SET reason = 'x'")


def test_a_single_call_can_decide_and_confirm(iroom):
    plan_with(iroom, "1001")
    script = agree_all_but(iroom, "1001", {"1": (1, "only one hazard is a hazard")})
    view = iroom.iqa.reviews.decide(script, reviewer=IVY, decision="Marks Adjusted", confirm=True)
    assert view.state == "confirmed" and iroom.marking.result(script).total == 8


def test_a_decision_needs_every_question_judged_and_fitting_marks(iroom):
    plan_with(iroom, "1001")
    script = iroom.script("1001")
    iroom.iqa.reviews.record_question(script, "1", reviewer=IVY)
    with pytest.raises(IqaError, match=r"question\(s\) 2a, 2b of script .* have no agree or different mark"):
        iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD)
    iroom.iqa.reviews.agree_all(script, reviewer=IVY)
    with pytest.raises(IqaError, match="'marks adjusted' needs at least one different mark"):
        iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED)
    with pytest.raises(IqaError, match="'Refer back to marker' needs feedback"):
        iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.REFER_BACK)
    with pytest.raises(IqaError, match="Unknown decision 'maybe'"):
        iroom.iqa.reviews.decide(script, reviewer=IVY, decision="maybe")
    with pytest.raises(IqaError, match="There is no decision on script .* to confirm yet"):
        iroom.iqa.reviews.confirm(script, reviewer=IVY)


def test_judging_again_withdraws_a_pending_decision(iroom):
    plan_with(iroom, "1001")
    script = agree_all_but(iroom, "1001", {"2b": (3, "generous")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED)
    view = iroom.iqa.reviews.record_question(script, "2b", reviewer=IVY, agree=True)
    assert view.state == "in progress" and view.review.decision is None
    with pytest.raises(IqaError, match="no decision .* to confirm"):
        iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert iroom.marking.result(script).total == 9
    assert [e.details["because"] for e in iroom.audit("IQA decision withdrawn")] == ["question 2b was judged again"]


def test_a_mark_changed_by_the_marker_after_review_stops_the_confirmation_and_nothing_is_applied(iroom):
    plan_with(iroom, "1003")
    script = agree_all_but(iroom, "1003", {"2b": (4, "points made"), "2a": (3, "full isolation")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED)
    iroom.marking.save_mark(script, "1", 1, by=ANA, expected_version=1, reason="rechecked")
    with pytest.raises(IqaError, match=r"question 1 \(you saw 2; Ana Lopes has since made it 1\)"):
        iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert iroom.marking.result(script).total == 5  # only Ana's change
    assert not iroom.audit("mark adjusted by IQA")
    assert iroom.iqa.reviews.review_view(script, reviewer=IVY).state == "awaiting confirmation"


def test_a_marker_holding_the_script_stops_the_confirmation_with_their_name(iroom):
    plan_with(iroom, "1003")
    script = agree_all_but(iroom, "1003", {"2a": (3, "full isolation"), "2b": (4, "points made")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED)
    iroom.marking.open_script(script, by=ANA)
    with pytest.raises(ServiceError, match="is being marked by Ana Lopes"):
        iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert [m.marks_awarded for m in iroom.marking.view_script(script).marks.values()] == [2, 2, 2]
    iroom.marking.release(script, by=ANA)
    assert iroom.iqa.reviews.confirm(script, reviewer=IVY).total_after == 9


def test_a_change_refused_half_way_undoes_the_changes_before_it(iroom, monkeypatch):
    plan_with(iroom, "1003")
    script = agree_all_but(iroom, "1003", {"2a": (3, "full isolation"), "2b": (4, "points made")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED)
    real = MarkingService.adjust_mark
    calls = []

    def second_refused(self, script_id, question_id, marks, **kwargs):
        calls.append(question_id)
        if len(calls) == 2:
            raise MarkingError("refused for the test")
        return real(self, script_id, question_id, marks, **kwargs)

    monkeypatch.setattr(MarkingService, "adjust_mark", second_refused)
    with pytest.raises(MarkingError, match="refused for the test"):
        iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert calls == ["2a", "2b"]  # 2a was applied inside the transaction, then undone with it
    assert [m.marks_awarded for m in iroom.marking.view_script(script).marks.values()] == [2, 2, 2]
    assert [v.version for v in iroom.marking.history(script, "2a")] == [1]
    assert not iroom.audit("mark adjusted by IQA") and not iroom.audit("IQA decision confirmed")
    assert iroom.iqa.reviews.review_view(script, reviewer=IVY).state == "awaiting confirmation"
    monkeypatch.undo()
    assert iroom.iqa.reviews.confirm(script, reviewer=IVY).total_after == 9


def test_refer_back_applies_nothing_and_a_new_round_follows_the_re_mark(iroom):
    plan_with(iroom, "1002")
    script = agree_all_but(iroom, "1002", {"2b": (3, "answer deserves more")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.REFER_BACK,
                     feedback="Look again at 2b against points 1 and 2.", action_points=["Ana to re-mark 2b"])
    done = iroom.iqa.reviews.confirm(script, reviewer=IVY)
    assert done.applied == () and iroom.marking.result(script).total == 3
    assert done.review.can_rereview
    with pytest.raises(IqaError, match="referred back to the marker: start a new round"):
        iroom.iqa.reviews.record_question(script, "2b", reviewer=IVY)
    iroom.marking.save_mark(script, "2b", 3, by=ANA, expected_version=1, reason="IQA referral")
    second = iroom.iqa.reviews.rereview(script, reviewer=IVY)
    assert second.review.round == 2 and second.state == "in progress"
    assert [r.decision for r in second.earlier_rounds] == [ScriptDecision.REFER_BACK]
    agree_all_but(iroom, "1002")
    final = iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD, confirm=True)
    assert final.review.questions["2b"].marker_mark == 3
    with pytest.raises(IqaError, match="was not referred back"):
        iroom.iqa.reviews.rereview(script, reviewer=IVY)


# --- action points and sign-off ------------------------------------------------------------------


def test_sign_off_waits_for_every_review_then_is_final(iroom):
    plan_with(iroom, "1001")
    plan = iroom.iqa.reviews.add_action_point(iroom.code, "Standardisation meeting on 2b", by=IVY, owner="Centre lead",
                                      due=date(2026, 5, 1))
    assert [(a.text, a.owner) for a in plan.action_points] == [("Standardisation meeting on 2b", "Centre lead")]
    with pytest.raises(IqaError, match="cannot be signed off yet: not yet confirmed: "):
        iroom.iqa.plans.sign_off(iroom.code, by=IVY)
    for script in [s.script_id for s in plan.scripts]:
        iroom.iqa.reviews.agree_all(script, reviewer=IVY)
        iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD, confirm=True)
    signed = iroom.iqa.plans.sign_off(iroom.code, by=IVY, statement="Marking is consistent.")
    assert signed.sign_off.reviewer == IVY and signed.sign_off.statement == "Marking is consistent."
    with pytest.raises(IqaError, match="was signed off by Ivy Reviewer"):
        iroom.iqa.plans.sign_off(iroom.code, by=IVY)


# --- blind second marking --------------------------------------------------------------------------


def test_blind_second_marking_hides_first_marks_and_lists_out_of_tolerance_questions(iroom):
    plan_with(iroom, "1001", "1006")
    a, b = iroom.script("1001"), iroom.script("1006")
    with pytest.raises(OwnMarking, match="Ana Lopes marked this script and cannot second-mark it"):
        iroom.iqa.second_marking.assign_second_marker(a, second_marker=ANA, by=IVY)
    with pytest.raises(IqaError, match="not in a current sampling plan"):
        iroom.iqa.second_marking.assign_second_marker(iroom.script("1004"), second_marker=SAM, by=IVY)
    iroom.iqa.second_marking.assign_second_marker(a, second_marker=SAM, by=IVY)
    iroom.iqa.second_marking.assign_second_marker(b, second_marker=ANA, by=IVY)
    blind = iroom.iqa.second_marking.second_marking_view(a, by=SAM)
    dumped = blind.model_dump()
    assert "marks" not in dumped and blind.my_marks == {} and ANA not in json.dumps(dumped, default=str)
    assert blind.answers["1"] == "Answer of 1001 to question 1."
    with pytest.raises(IqaError, match="is not given to Ben Okafor"):
        iroom.iqa.second_marking.second_marking_view(a, by=BEN)
    for question, value in zip(QUESTIONS, (2, 1, 2)):   # Ana gave 2, 3, 4
        iroom.iqa.second_marking.record_second_mark(a, question, value, by=SAM)
    for question, value in zip(QUESTIONS, (2, 3, 4)):   # Ben gave 2, 3, 5
        iroom.iqa.second_marking.record_second_mark(b, question, value, by=ANA)
    assert iroom.iqa.agreement.adjudication(iroom.code) == []  # nothing counts until complete
    iroom.iqa.second_marking.complete_second_marking(a, by=SAM)
    iroom.iqa.second_marking.complete_second_marking(b, by=ANA)
    with pytest.raises(IqaError, match="is complete and cannot change"):
        iroom.iqa.second_marking.record_second_mark(a, "1", 1, by=SAM)
    iroom.iqa.second_marking.set_tolerance(iroom.code, "2b", 1, by=IVY)
    items = iroom.iqa.agreement.adjudication(iroom.code)
    # 2a: 3 vs 1 (tolerance 0); 2b: 4 vs 2 (tolerance 1) for 1001; 1006's 2b 5 vs 4 is within 1.
    assert [(i.discrepancy.question_id, i.discrepancy.first_mark, i.discrepancy.second_mark,
             i.discrepancy.tolerance, i.second_marker) for i in items] == [("2a", 3, 1, 0, SAM), ("2b", 4, 2, 1, SAM)]
    assert items[0].discrepancy.marker == ANA and not items[0].resolved_by_review
    # The reviewer now sees the second marks next to the first; judging the question resolves it.
    view = iroom.iqa.reviews.review_view(a, reviewer=IVY)
    assert view.second_marker == SAM and view.second_marks == {"1": 2, "2a": 1, "2b": 2}
    iroom.iqa.reviews.record_question(a, "2a", reviewer=IVY)
    assert [i.resolved_by_review for i in iroom.iqa.agreement.adjudication(iroom.code)] == [True, False]


def test_a_second_marker_cannot_open_the_review_before_finishing_blind(iroom):
    plan_with(iroom, "1001")
    plan_with_mo = iroom.iqa.plans.create_plan(iroom.code, strategy=NOTHING, by=MO)
    iroom.iqa.plans.add_to_plan(iroom.code, iroom.number("1001"), by=MO, reason="test")
    script = iroom.script("1001")
    iroom.iqa.second_marking.assign_second_marker(script, second_marker=MO, by=IVY)
    with pytest.raises(IqaError, match="complete your second marking before you open its review"):
        iroom.iqa.reviews.review_view(script, reviewer=MO)
    assert plan_with_mo.reviewer == MO
    # One second marker per script.
    with pytest.raises(IqaError, match="already given to Mo Patel"):
        iroom.iqa.second_marking.assign_second_marker(script, second_marker=SAM, by=IVY)


def test_someone_who_has_seen_the_marks_cannot_second_mark_blind(iroom):
    plan_with(iroom, "1001")
    script = iroom.script("1001")
    iroom.iqa.reviews.record_question(script, "1", reviewer=IVY)
    with pytest.raises(IqaError, match="has already opened the review .* has seen its marks"):
        iroom.iqa.second_marking.assign_second_marker(script, second_marker=IVY, by=IVY)


# --- agreement ------------------------------------------------------------------------------------


def test_agreement_figures_from_stored_pairs_match_a_hand_worked_example(iroom):
    """Twelve pairs from four reviewed scripts, worked by hand.

    IQA judgements (marker's mark -> reviewer's mark):
      1001 (Ana): Q1 2->2, Q2a 3->2, Q2b 4->4
      1003 (Ana): Q1 2->2, Q2a 2->2, Q2b 2->4
      1006 (Ben): Q1 2->2, Q2a 3->3, Q2b 5->5
      1008 (Ben): Q1 1->1, Q2a 1->1, Q2b 0->1
    Ana: 6 pairs, 4 exact (66.7 %), differences 0,1,0,0,0,2 -> mean 0.5, largest 2.
    Ben: 6 pairs, 5 exact (83.3 %), differences 0,0,0,0,0,1 -> mean 1/6, largest 1.
    Tolerance 1 on Q2b only: Ana 4 of 6 within (neither her 2a nor her 2-mark 2b difference is), Ben 6 of 6.
    Q2b: pairs (4,4) (2,4) (5,5) (0,1): exact 2 of 4, within 1: 3 of 4.
    Overall kappa, linear weights |i-j|/5 over marks 0..5 (largest maximum 5, so k = 6):
      observed disagreement = (1 + 2 + 1) / 5 / 12 = 1/15
      first-mark totals 0:1 1:2 2:5 3:2 4:1 5:1; second-mark totals 1:3 2:5 3:1 4:2 5:1
      sum of r_i c_j |i-j|, row by row: 29 + 34 + 55 + 30 + 21 + 31 = 200
      expected disagreement = 200 / 5 / 144 = 200/720
      kappa = 1 - (1/15) / (200/720) = 1 - 0.24 = 0.76
    """
    plan_with(iroom, "1001", "1003", "1006", "1008")
    agree_all_but(iroom, "1001", {"2a": (2, "isolation incomplete")})
    agree_all_but(iroom, "1003", {"2b": (4, "two points made")})
    agree_all_but(iroom, "1006")
    agree_all_but(iroom, "1008", {"2b": (1, "one point made")})
    iroom.iqa.second_marking.set_tolerance(iroom.code, "2b", 1, by=IVY)
    report = iroom.iqa.agreement.agreement(iroom.code, source="iqa")
    ana, ben = report.by_marker[ANA], report.by_marker[BEN]
    assert (ana.n_pairs, ana.exact_agreement_percent, ana.mean_abs_difference, ana.max_abs_difference) == (
        6, pytest.approx(400 / 6), pytest.approx(0.5), 2)
    assert ana.within_tolerance_percent == pytest.approx(400 / 6)
    assert (ben.n_pairs, ben.exact_agreement_percent, ben.mean_abs_difference, ben.max_abs_difference) == (
        6, pytest.approx(500 / 6), pytest.approx(1 / 6), 1)
    assert ben.within_tolerance_percent == 100
    q2b = report.by_question["2b"]
    assert (q2b.n_pairs, q2b.exact_agreement_percent, q2b.within_tolerance_percent) == (4, 50, 75)
    # Per marker there are only 6 pairs: no kappa, and the note says why.
    assert ana.weighted_kappa is None and ana.kappa_note == "needs at least 10 pairs; there are 6"
    # Overall: 12 pairs, so a kappa (hand-worked in the docstring).
    rows = {0: 1, 1: 2, 2: 5, 3: 2, 4: 1, 5: 1}
    cols = {1: 3, 2: 5, 3: 1, 4: 2, 5: 1}
    assert sum(r * c * abs(i - j) for i, r in rows.items() for j, c in cols.items()) == 200
    hand = 0.76
    assert report.overall.n_pairs == 12 and report.overall.weighted_kappa == pytest.approx(hand)
    assert report.overall.weighted_kappa == pytest.approx(weighted_kappa(
        [(2, 2), (3, 2), (4, 4), (2, 2), (2, 2), (2, 4), (2, 2), (3, 3), (5, 5), (1, 1), (1, 1), (0, 1)], 6))
    assert report.tolerance == {"1": 0, "2a": 0, "2b": 1}


def test_agreement_from_second_marks_uses_the_markers_mark_not_an_iqa_adjustment(iroom):
    plan_with(iroom, "1001")
    script = iroom.script("1001")
    iroom.iqa.second_marking.assign_second_marker(script, second_marker=SAM, by=IVY)
    for question, value in zip(QUESTIONS, (2, 3, 3)):
        iroom.iqa.second_marking.record_second_mark(script, question, value, by=SAM)
    iroom.iqa.second_marking.complete_second_marking(script, by=SAM)
    agree_all_but(iroom, "1001", {"2b": (3, "agree with the second marker")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED, confirm=True)
    second = iroom.iqa.agreement.agreement(iroom.code, source="second")
    assert [(p.question_id, p.first_mark, p.second_mark, p.marker) for p in second.pairs] == [
        ("1", 2, 2, ANA), ("2a", 3, 3, ANA), ("2b", 4, 3, ANA)]
    both = iroom.iqa.agreement.agreement(iroom.code)
    assert both.overall.n_pairs == 6


def test_status_brings_plans_progress_decisions_and_agreement_together(iroom):
    plan_with(iroom, "1001", "1003", "1004")
    script = agree_all_but(iroom, "1001")
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD, confirm=True)
    agree_all_but(iroom, "1003")
    status = iroom.iqa.agreement.status(iroom.code)
    [mine] = status.plans
    assert mine.counts == {"not started": 1, "in progress": 1, "awaiting confirmation": 0, "confirmed": 1}
    assert mine.decisions["marking upheld"] == 1
    assert status.agreement.overall.n_pairs == 6


def test_the_centre_hands_out_the_iqa_service(iroom):
    assert isinstance(iroom.centre().iqa, Iqa)


def test_upholding_despite_a_different_mark_applies_nothing_but_the_difference_is_counted(iroom):
    plan_with(iroom, "1001")
    script = agree_all_but(iroom, "1001", {"2b": (3, "one mark generous, within what we accept")})
    done = iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD, confirm=True)
    assert done.state == "confirmed" and iroom.marking.result(script).total == 9
    assert not iroom.audit("mark adjusted by IQA")
    figures = iroom.iqa.agreement.agreement(iroom.code, source="iqa").overall
    assert (figures.n_pairs, figures.max_abs_difference) == (3, 1)


def test_deciding_again_before_confirming_replaces_the_decision_and_its_action_points(iroom):
    plan_with(iroom, "1001")
    script = agree_all_but(iroom, "1001", {"2b": (3, "generous")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED, action_points=["first", "second"])
    view = iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.REFER_BACK, feedback="Look at 2b",
                            action_points=[ActionPointIn(text="only this", owner=ANA)])
    assert view.review.decision is ScriptDecision.REFER_BACK
    assert [(a.text, a.owner) for a in view.review.action_points] == [("only this", ANA)]
    iroom.iqa.reviews.confirm(script, reviewer=IVY)
    with pytest.raises(sqlite3.DatabaseError, match="cannot be deleted"):
        iroom.db.execute("DELETE FROM iqa_action_points")


def test_every_review_round_is_available_for_the_iqa_record(iroom):
    plan_with(iroom, "1001", "1002")
    one = agree_all_but(iroom, "1001", {"2b": (3, "generous")})
    iroom.iqa.reviews.decide(one, reviewer=IVY, decision=ScriptDecision.ADJUSTED, feedback="2b", confirm=True)
    two = agree_all_but(iroom, "1002")
    iroom.iqa.reviews.decide(two, reviewer=IVY, decision=ScriptDecision.REFER_BACK, feedback="look again", confirm=True)
    iroom.iqa.reviews.rereview(two, reviewer=IVY)
    found = iroom.iqa.reviews.reviews(iroom.code)
    got = [(iroom.candidate_of(r.script_ref), r.review.round, r.review.state, r.review.decision) for r in found]
    assert sorted(got) == [("1001", 1, "confirmed", ScriptDecision.ADJUSTED),
                           ("1002", 1, "confirmed", ScriptDecision.REFER_BACK),
                           ("1002", 2, "in progress", None)]
    first = next(r for r in found if r.script_id == one)
    assert first.markers == (ANA,) and first.max_marks == {"1": 2, "2a": 3, "2b": 5}
    assert first.review.questions["2b"].marker_mark == 4 and first.review.questions["2b"].reviewer_mark == 3
    assert len(iroom.iqa.reviews.reviews(iroom.code, confirmed_only=True)) == 2
