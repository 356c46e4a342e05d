"""The IQA sampling plan: each rule alone, the rules together, reproducibility, own marking.

Every script below has a pass mark of 27 (unit 304). Unless a test says otherwise, totals of
35 and above are used for "ordinary" passes so that no borderline rule (25 to 29) touches them.
"""

from __future__ import annotations

import random

import pytest

from marker_tui.domain.sampling import (
    MarkedScript,
    OwnMarkingRefused,
    SamplingStrategy,
    build_sample,
    check_reviewer_may_review,
)

REVIEWER = "Rita Quinn"

#: Only the per-marker minimum (no fails, no borderline): rule-by-rule tests switch one on.
NOTHING = SamplingStrategy(
    min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=None, include_fails=False,
    cover_decisions=False,  # each rule alone; rule 5 has its own tests
)


def script(ref: str, markers: str | tuple[str, ...], total: int | None, status: str | None = None,
           pass_mark: int = 27) -> MarkedScript:
    if status is None:
        status = "pass" if total is not None and total >= pass_mark else "fail"
    return MarkedScript(script_ref=ref, markers=markers, total=total, pass_mark=pass_mark, status=status)


def passes(marker: str, count: int, prefix: str) -> list[MarkedScript]:
    """``count`` clear passes (35 to 44) by ``marker``, refs ``prefix1``, ``prefix2``..."""
    return [script(f"{prefix}{i}", marker, 35 + (i % 10)) for i in range(1, count + 1)]


# --- minimum per marker -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scripts", "expected"),
    [
        (2, 2),    # fewer than the minimum: all of them
        (8, 3),    # 25 % is 2, so the minimum of 3 wins
        (10, 3),   # 25 % is 2.5, rounded up to 3
        (13, 4),   # 25 % is 3.25, rounded up to 4: the percentage wins
        (20, 5),   # 25 % is 5
    ],
)
def test_each_marker_gets_at_least_3_scripts_or_25_percent_whichever_is_greater(scripts, expected):
    strategy = SamplingStrategy(borderline_marks=None, include_fails=False)
    plan = build_sample(passes("Ana Lopes", scripts, "A"), strategy, REVIEWER, seed=7)
    assert len(plan.chosen) == expected
    reason = f"random: minimum 3 or 25% of Ana Lopes's {scripts} scripts"
    assert all(s.reasons == (reason,) for s in plan.chosen)
    (row,) = plan.markers
    assert (row.marker, row.marked, row.required, row.chosen, row.shortfall) == (
        "Ana Lopes", scripts, expected, expected, 0)


def test_the_minimum_applies_to_each_marker_separately():
    strategy = SamplingStrategy(borderline_marks=None, include_fails=False)
    plan = build_sample(passes("Ana Lopes", 4, "A") + passes("Ben Okafor", 16, "B"), strategy,
                        REVIEWER, seed=7)
    counts = {row.marker: row.chosen for row in plan.markers}
    assert counts == {"Ana Lopes": 3, "Ben Okafor": 4}
    assert len(plan.chosen) == 7


def test_a_percentage_like_10_is_not_spoiled_by_floating_point():
    strategy = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0.1)
    assert strategy.required_for(30) == 3  # 0.1 * 30 is 3.0000000000000004 in floats
    assert strategy.required_for(31) == 4


# --- borderline, fails, new markers ---------------------------------------------------


def test_borderline_is_every_total_within_2_either_side_of_the_pass_mark():
    scripts = [script(f"S{t}", "Ana Lopes", t) for t in (24, 25, 26, 27, 28, 29, 30)]
    plan = build_sample(scripts, NOTHING.model_copy(update={"borderline_marks": 2}), REVIEWER, seed=1)
    assert plan.script_refs == ("S25", "S26", "S27", "S28", "S29")
    assert plan.reasons_for("S26") == ("borderline: 26 is within 2 of the pass mark 27",)
    assert plan.reasons_for("S29") == ("borderline: 29 is within 2 of the pass mark 27",)
    assert plan.reasons_for("S24") == ()

    off = build_sample(scripts, NOTHING, REVIEWER, seed=1)
    assert off.chosen == ()


def test_borderline_uses_each_scripts_own_pass_mark():
    scripts = [script("old", "Ana Lopes", 30, pass_mark=30), script("new", "Ana Lopes", 30, pass_mark=27)]
    plan = build_sample(scripts, NOTHING.model_copy(update={"borderline_marks": 1}), REVIEWER, seed=1)
    assert plan.script_refs == ("old",)


def test_every_fail_is_sampled_including_a_fail_on_an_outcome_minimum():
    scripts = [
        script("S1", "Ana Lopes", 10),
        script("S2", "Ana Lopes", 40, status="fail"),  # high total, outcome minimum missed
        script("S3", "Ana Lopes", 40),
        script("S4", "Ana Lopes", 41, status="Merit"),
    ]
    plan = build_sample(scripts, NOTHING.model_copy(update={"include_fails": True}), REVIEWER, seed=1)
    assert plan.script_refs == ("S1", "S2")
    assert plan.reasons_for("S2") == ("fail",)
    assert build_sample(scripts, NOTHING, REVIEWER, seed=1).chosen == ()


def test_a_new_marker_has_all_their_scripts_sampled():
    scripts = passes("Sam Patel", 7, "S") + passes("Ana Lopes", 7, "A")
    strategy = NOTHING.model_copy(update={"new_markers": frozenset({"sam patel"})})  # any case
    plan = build_sample(scripts, strategy, REVIEWER, seed=1)
    assert plan.script_refs == tuple(f"S{i}" for i in range(1, 8))
    assert {s.reasons for s in plan.chosen} == {("new marker: all of Sam Patel's scripts",)}


# --- the rules together ----------------------------------------------------------------


def test_a_script_chosen_for_several_reasons_lists_them_all_and_is_counted_once():
    scripts = [
        script("S1", "Sam Patel", 26),  # new marker, fail, borderline
        script("S2", "Sam Patel", 40),  # new marker only
        script("A1", "Ana Lopes", 28),  # borderline only
    ]
    strategy = SamplingStrategy(new_markers=frozenset({"Sam Patel"}), min_scripts_per_marker=0,
                                min_fraction_per_marker=0)
    plan = build_sample(scripts, strategy, REVIEWER, seed=1)
    assert plan.script_refs == ("A1", "S1", "S2")
    assert plan.reasons_for("S1") == (
        "new marker: all of Sam Patel's scripts",
        "fail",
        "borderline: 26 is within 2 of the pass mark 27",
    )
    assert [row.chosen for row in plan.markers] == [1, 2]  # Ana 1, Sam 2: S1 counted once


def test_scripts_chosen_by_the_rules_count_towards_the_minimum_before_any_random_draw():
    # Ana marked 10: 2 fails and 8 clear passes. The minimum is 3, so one more is drawn.
    scripts = [script("A1", "Ana Lopes", 12), script("A2", "Ana Lopes", 15)] + [
        script(f"A{i}", "Ana Lopes", 40) for i in range(3, 11)
    ]
    plan = build_sample(scripts, SamplingStrategy(), REVIEWER, seed=3)
    assert len(plan.chosen) == 3
    assert plan.reasons_for("A1") == ("fail",) and plan.reasons_for("A2") == ("fail",)
    drawn = [s for s in plan.chosen if s.reasons[0].startswith("random")]
    assert len(drawn) == 1
    assert drawn[0].reasons == ("random: minimum 3 or 25% of Ana Lopes's 10 scripts",)

    # With 4 fails the minimum is already met: no random draw, but one pass joins the fails.
    more_fails = [script(f"A{i}", "Ana Lopes", 10 + i) for i in range(1, 5)] + scripts[4:]
    plan = build_sample(more_fails, SamplingStrategy(), REVIEWER, seed=3)
    assert plan.script_refs[:4] == ("A1", "A2", "A3", "A4") and len(plan.chosen) == 5
    assert plan.chosen[4].reasons == ("pass decision: Ana Lopes's sample holds both a pass and a fail",)


def test_a_script_marked_by_two_markers_counts_towards_both_minimums():
    # Ana's 3 scripts were all second-marked by Ben, who also marked 9 of his own (12 in all).
    # All 3 of Ana's are needed; they are also 3 of Ben's 12, which meets his minimum of 3.
    shared = [script(f"X{i}", ("Ben Okafor", "Ana Lopes"), 40) for i in range(1, 4)]
    strategy = SamplingStrategy(borderline_marks=None, include_fails=False)
    plan = build_sample(shared + passes("Ben Okafor", 9, "B"), strategy, REVIEWER, seed=11)
    assert plan.script_refs == ("X1", "X2", "X3")
    rows = {row.marker: (row.marked, row.required, row.chosen) for row in plan.markers}
    assert rows == {"Ana Lopes": (3, 3, 3), "Ben Okafor": (12, 3, 3)}
    assert plan.chosen[0].markers == ("Ana Lopes", "Ben Okafor")  # name order, whatever was given


# --- reproducibility -----------------------------------------------------------------


def _pool() -> list[MarkedScript]:
    return (passes("Ana Lopes", 20, "A") + passes("Ben Okafor", 12, "B")
            + [script("F1", "Ben Okafor", 9), script("F2", "Ana Lopes", 27)])


def test_the_same_seed_gives_the_same_plan_whatever_the_input_order():
    strategy = SamplingStrategy()
    first = build_sample(_pool(), strategy, REVIEWER, seed=2026)
    shuffled = _pool()
    random.Random(99).shuffle(shuffled)
    again = build_sample(shuffled, strategy, REVIEWER, seed=2026)
    assert again == first
    assert (first.seed, first.seed_source) == (2026, "given")


def test_a_different_seed_draws_different_scripts_where_there_is_a_choice():
    strategy = SamplingStrategy()
    plans = [build_sample(_pool(), strategy, REVIEWER, seed=s) for s in (1, 2)]
    assert plans[0].script_refs != plans[1].script_refs
    for plan in plans:  # the rule-chosen scripts never change with the seed
        assert plan.reasons_for("F1") == ("fail",)
        assert plan.reasons_for("F2") == ("borderline: 27 is within 2 of the pass mark 27",)


def test_without_a_seed_one_is_derived_from_the_inputs_recorded_and_reusable():
    strategy = SamplingStrategy()
    plan = build_sample(_pool(), strategy, REVIEWER)
    assert plan.seed_source == "derived"
    shuffled = list(reversed(_pool()))
    assert build_sample(shuffled, strategy, REVIEWER) == plan  # derived the same way
    assert build_sample(_pool(), strategy, REVIEWER, seed=plan.seed).chosen == plan.chosen

    from_strategy = build_sample(_pool(), strategy.model_copy(update={"seed": 5}), REVIEWER)
    assert (from_strategy.seed, from_strategy.seed_source) == (5, "strategy")
    overridden = build_sample(_pool(), strategy.model_copy(update={"seed": 5}), REVIEWER, seed=6)
    assert (overridden.seed, overridden.seed_source) == (6, "given")


# --- own marking -----------------------------------------------------------------------


def test_scripts_the_reviewer_marked_are_never_offered_and_are_listed_as_excluded():
    scripts = [
        script("A1", "Ana Lopes", 10),                       # a fail: would be chosen
        script("A2", "Ana Lopes", 27),                       # borderline: would be chosen
        script("X1", ("Ben Okafor", "ana  LOPES"), 40),     # co-marked by the reviewer
        *passes("Ben Okafor", 4, "B"),
    ]
    strategy = SamplingStrategy(new_markers=frozenset({"Ana Lopes"}))
    plan = build_sample(scripts, strategy, "Ana Lopes", seed=4)
    assert not {"A1", "A2", "X1"} & set(plan.script_refs)
    assert [e.script_ref for e in plan.excluded] == ["A1", "A2", "X1"]
    assert plan.excluded[0].reason == (
        "marked by Ana Lopes: centre staff cannot internally verify their own assessments"
    )
    rows = {row.marker: row for row in plan.markers}
    assert (rows["Ben Okafor"].marked, rows["Ben Okafor"].offerable, rows["Ben Okafor"].chosen) == (5, 4, 3)
    assert (rows["Ana Lopes"].required, rows["Ana Lopes"].chosen, rows["Ana Lopes"].shortfall) == (3, 0, 3)
    assert plan.notes == (
        "Ana Lopes: 3 of 3 scripts needed but only 0 can be offered to Ana Lopes, who marked 3 "
        "of them; another reviewer must sample 3 more",
        "Ben Okafor: every marked script is a pass, so only pass decisions can be sampled",
    )


def test_scripts_not_yet_marked_are_left_out_and_listed():
    scripts = [script("S1", "Ana Lopes", None, status="not yet marked"), *passes("Ana Lopes", 3, "A")]
    plan = build_sample(scripts, SamplingStrategy(), REVIEWER, seed=1)
    assert plan.script_refs == ("A1", "A2", "A3")
    assert [(e.script_ref, e.reason) for e in plan.excluded] == [
        ("S1", "not yet marked: only marked scripts are sampled")
    ]
    assert plan.markers[0].marked == 3


def test_a_review_of_your_own_marking_is_refused_even_when_asked_for_directly():
    with pytest.raises(OwnMarkingRefused) as refused:
        check_reviewer_may_review(["Ana Lopes", "Sam Patel"], "Sam Patel")
    assert str(refused.value) == (
        "Sam Patel marked this script and cannot review it: "
        "centre staff cannot internally verify their own assessments"
    )
    with pytest.raises(OwnMarkingRefused):
        check_reviewer_may_review("sam patel", "Sam  Patel")
    check_reviewer_may_review(["Ana Lopes"], "Sam Patel")  # someone else's marking: allowed


def test_a_script_listed_twice_is_refused():
    with pytest.raises(ValueError, match="S1 is listed more than once"):
        build_sample([script("S1", "Ana Lopes", 40), script("S1", "Ben Okafor", 40)],
                     SamplingStrategy(), REVIEWER, seed=1)


def test_plans_list_scripts_in_the_order_a_person_would():
    scripts = [script(f"S{i}", "Sam Patel", 40) for i in (10, 2, 1)]
    plan = build_sample(scripts, SamplingStrategy(new_markers=frozenset({"Sam Patel"})), REVIEWER, seed=1)
    assert plan.script_refs == ("S1", "S2", "S10")


def test_a_marked_script_can_be_taken_from_a_script_result():
    from marker_tui.domain.marking import ScriptResult

    result = ScriptResult(status="fail", outcomes=(), provisional_total=20, available=45, pass_mark=27,
                          questions_marked=16, questions_total=16, unmarked_questions=(),
                          fail_reasons=("total 20 is below the pass mark 27",), grade=None)
    marked = MarkedScript.from_result("S7", "Ana Lopes", result)
    assert (marked.script_ref, marked.markers, marked.total, marked.pass_mark, marked.is_fail) == (
        "S7", ("Ana Lopes",), 20, 27, True)


def test_the_strategy_can_be_written_down_in_words_for_the_iqa_record():
    assert SamplingStrategy(new_markers={"Sam Patel"}).describe() == (
        "Every script of a new marker (Sam Patel); every fail; every script within 2 of the pass mark; "
        "at least 3 or 25% of each marker's scripts, whichever is greater (the scripts above count "
        "towards it; the rest are drawn at random); a pass and a fail of each marker who made both. "
        "A reviewer never reviews their own marking."
    )
    assert NOTHING.describe() == "No scripts are sampled."


# --- rule 5: pass and fail decisions -----------------------------------------------------


FAILS_ONLY = SamplingStrategy(min_scripts_per_marker=0, min_fraction_per_marker=0, borderline_marks=None)


def test_a_marker_with_passes_and_fails_always_has_both_in_the_sample():
    # Only the fail rule is on: before rule 5 the sample held Ana's two fails and none of her passes.
    scripts = [script("A1", "Ana Lopes", 5), script("A2", "Ana Lopes", 8),
               *[script(f"A{i}", "Ana Lopes", 40) for i in range(3, 9)]]
    for seed in range(20):  # whichever pass is drawn, one always is
        plan = build_sample(scripts, FAILS_ONLY, REVIEWER, seed=seed)
        kinds = {s.status for s in plan.chosen}
        assert kinds == {"fail", "pass"}, seed
        added = [s for s in plan.chosen if s.status == "pass"]
        assert len(added) == 1
        assert added[0].reasons == ("pass decision: Ana Lopes's sample holds both a pass and a fail",)
        assert plan.notes == ()
    # The same plan again from its seed.
    assert build_sample(scripts, FAILS_ONLY, REVIEWER, seed=7) == build_sample(scripts[::-1], FAILS_ONLY, REVIEWER, seed=7)


def test_a_marker_whose_random_draw_held_only_passes_gets_a_fail_added():
    # The fail rule off; the minimum of 2 may draw two passes from Ben's eight passes and one fail.
    scripts = [script("B1", "Ben Okafor", 5), *[script(f"B{i}", "Ben Okafor", 40) for i in range(2, 10)]]
    strategy = SamplingStrategy(min_scripts_per_marker=2, min_fraction_per_marker=0, borderline_marks=None,
                                include_fails=False)
    for seed in range(20):
        plan = build_sample(scripts, strategy, REVIEWER, seed=seed)
        assert "B1" in plan.script_refs, seed
        assert {s.status for s in plan.chosen} == {"pass", "fail"}


def test_a_marker_with_only_one_kind_of_decision_is_said_so():
    scripts = [*[script(f"A{i}", "Ana Lopes", 40) for i in range(1, 6)],
               *[script(f"B{i}", "Ben Okafor", 3) for i in range(1, 3)]]
    plan = build_sample(scripts, SamplingStrategy(), REVIEWER, seed=2)
    assert plan.notes == (
        "Ana Lopes: every marked script is a pass, so only pass decisions can be sampled",
        "Ben Okafor: every marked script is a fail, so only fail decisions can be sampled",
    )
    assert all(s.reasons[0].split(":")[0] in {"random", "fail"} for s in plan.chosen)


def test_a_kind_the_reviewer_marked_themselves_is_left_for_another_reviewer():
    # Ana's only pass was co-marked by the reviewer: it is never offered, and the plan says so.
    scripts = [script("A1", "Ana Lopes", 5), script("A2", "Ana Lopes", 6),
               script("A3", ("Ana Lopes", REVIEWER), 40)]
    plan = build_sample(scripts, FAILS_ONLY, REVIEWER, seed=1)
    assert plan.script_refs == ("A1", "A2")
    assert plan.notes == ("Ana Lopes: no pass decision can be offered to this reviewer (they marked those "
                          "scripts); another reviewer must sample one",)


def test_questions_are_listed_in_natural_order():
    from marker_tui.domain.ordering import in_question_order, items_in_question_order

    assert in_question_order(["1", "10", "11", "2", "2b", "2a"]) == ["1", "2", "2a", "2b", "10", "11"]
    assert [q for q, _ in items_in_question_order({"10": 1, "2": 0, "1": 3})] == ["1", "2", "10"]
