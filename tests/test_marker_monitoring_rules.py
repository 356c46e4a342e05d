"""The marker-monitoring rules (domain/marker_monitoring.py): normalising answers, time per script,
drift, and each flag at and either side of its threshold, read as a lead assessor reads them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from marker_tui.domain import marker_monitoring as rules
from marker_tui.domain.marker_monitoring import MarkedAnswer, MarkSave, monitor, normalise_answer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


# --- normalising answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [
    "Isolate the supply", "isolate the supply.", "  ISOLATE   the\tsupply  ", "\"Isolate the supply!\"",
    "Isolate\nthe supply…", "(isolate the supply)",
])
def test_answers_that_differ_only_in_case_spacing_and_end_punctuation_are_identical(typed):
    assert normalise_answer(typed) == "isolate the supply"


def test_punctuation_inside_an_answer_and_different_words_are_kept_apart():
    assert normalise_answer("2-3 metres") != normalise_answer("23 metres")
    assert normalise_answer("isolate the supply") != normalise_answer("isolate a supply")
    assert normalise_answer("Don't touch") == "don't touch"


def test_an_accent_typed_two_ways_matches_and_blank_is_empty():
    assert normalise_answer("Caf\u00e9") == normalise_answer("Cafe\u0301")
    assert normalise_answer("  ...  ") == "" and normalise_answer(None) == ""


def test_german_sharp_s_casefolds():
    assert normalise_answer("STRASSE") == normalise_answer("straße")


# --- helpers ----------------------------------------------------------------------------------------


def answer(marker="Ana", script=1, q="1", mark=1, maximum=4, reference=None, key="", minute=0):
    return MarkedAnswer(marker=marker, script_id=script, script_ref=f"S {script:04d}", question_id=q,
                        max_marks=maximum, mark=mark, reference=reference,
                        reference_by=None if reference is None else "the IQA", answer_key=key,
                        first_marked_at=T0 + timedelta(minutes=minute))


def one(answers, saves=()):
    [figures] = monitor(answers, saves)
    return figures


# --- severity / leniency ------------------------------------------------------------------------


@pytest.mark.parametrize("differences, flagged", [
    ((1, 1, 1), True),            # exactly 1.0 mark more: flagged
    ((1, 1, 0), False),           # 0.67: not flagged
    ((-1, -1, -1), True),         # 1.0 fewer: severe, flagged
    ((2, 1), False),              # only 2 answers compared: too few to say
])
def test_a_mean_difference_of_one_mark_on_a_question_flags_the_marker(differences, flagged):
    figures = one([answer(script=i, mark=2 + d, reference=2) for i, d in enumerate(differences, 1)])
    assert figures.flagged is flagged
    if flagged:
        way = "more" if differences[0] > 0 else "fewer"
        assert figures.flags == (f"gives 1.0 mark {way} than the IQA per answer on Q1 ({len(differences)} answers "
                                 "compared)",)


def test_the_flag_names_the_question_and_the_size_in_plain_words():
    answers = [answer(script=i, q="3", mark=3, reference=2) for i in range(1, 5)]
    answers += [answer(script=5, q="3", mark=3, reference=1)]   # 1.2 more on average
    answers += [answer(script=i, q="1", mark=1, reference=1) for i in range(1, 6)]
    figures = one(answers)
    assert figures.flags[0] == "gives 1.2 marks more than the IQA per answer on Q3 (5 answers compared)"
    q3 = next(q for q in figures.questions if q.question_id == "3")
    assert q3.mean_difference == pytest.approx(1.2) and q3.reference_answers == 5


# --- drift -------------------------------------------------------------------------------------------


def shares(values, maximum=10):
    return [answer(script=i, mark=v, maximum=maximum, minute=i) for i, v in enumerate(values, 1)]


@pytest.mark.parametrize("marks, flagged", [
    ((50, 50, 55, 55, 65, 65), True),    # 50% -> 65%: 15 points, flagged (at the threshold)
    ((50, 50, 55, 55, 64, 65), False),   # 14.5 points: not flagged
    ((80, 80, 55, 55, 60, 60), True),    # 80% -> 60%: 20 points less
])
def test_drift_between_first_and_last_third_flags_at_fifteen_points(marks, flagged):
    figures = one(shares(marks, maximum=100))
    assert figures.drift.scripts_per_third == 2
    assert figures.flagged is flagged
    if flagged:
        way = "more" if marks[-1] > marks[0] else "less"
        size = abs(sum(marks[-2:]) - sum(marks[:2])) // 2
        assert figures.flags == (f"gave {size} percentage points {way} of the available marks in their last 2 "
                                 "scripts than in their first 2 (drift)",)


def test_drift_needs_six_scripts():
    assert one(shares([1, 1, 1, 9, 9])).drift is None
    assert one(shares([1, 1, 1, 9, 9, 9])).drift is not None


def test_drift_follows_the_order_scripts_were_marked_not_their_numbers():
    # Script 6 was marked first: its high share counts in the first third.
    answers = [answer(script=s, mark=m, maximum=10, minute=minute)
               for s, m, minute in ((6, 9, 1), (5, 9, 2), (4, 5, 3), (3, 5, 4), (2, 5, 5), (1, 5, 6))]
    assert one(answers).drift.first_percent == 90 and one(answers).drift.last_percent == 50


# --- time per script -----------------------------------------------------------------------------


def test_time_per_script_adds_the_gaps_before_each_save_and_skips_breaks():
    saves = [MarkSave(marker="Ana", script_id=s, at=T0 + timedelta(minutes=m)) for s, m in (
        (1, 0), (1, 2), (2, 5), (2, 6), (3, 40), (3, 43))]   # 34 minutes before script 3: a break
    times = rules.script_seconds(saves)
    assert times == {("ana", 1): 120.0, ("ana", 2): 240.0, ("ana", 3): 180.0}


def test_a_marker_under_half_the_typical_time_is_flagged_as_fast():
    def saves(marker, step, n=4):
        return [MarkSave(marker=marker, script_id=i + (100 if marker == "Ben" else 0),
                         at=T0 + timedelta(seconds=step * i)) for i in range(n)]
    answers = [answer(marker="Ana", script=i) for i in range(4)] + [answer(marker="Ben", script=100 + i)
                                                                     for i in range(4)]
    ben_half = monitor(answers, saves("Ana", 240) + saves("Ben", 120))   # typical = 180 s; 120 is not under 90
    assert not ben_half[1].flagged
    ben_fast = monitor(answers, saves("Ana", 240) + saves("Ben", 30))   # typical 135 s; 30 s < 67.5
    assert ben_fast[1].flags == ("spends 30 s per script, under half the 2.2 min typical of this paper's markers: "
                                 "are the answers being read?",)
    assert not ben_fast[0].flagged


# --- agreement and identical answers ------------------------------------------------------------


def test_weak_agreement_with_the_iqa_is_flagged_once_there_are_ten_answers():
    # Marks scattered against the reference: kappa far below 0.6, but no question a whole mark out.
    pairs = [(0, 2), (2, 0), (1, 1), (2, 1), (0, 1), (1, 2), (2, 2), (0, 0), (1, 0), (2, 1)]
    figures = one([answer(script=i, q=str(i % 3), mark=m, maximum=2, reference=r)
                   for i, (m, r) in enumerate(pairs, 1)])
    assert figures.agreement.n_pairs == 10 and figures.agreement.weighted_kappa < rules.KAPPA_FLOOR
    assert any(f.startswith("agrees with the IQA only weakly: weighted kappa") for f in figures.flags)
    assert not any("weakly" in f for f in one([answer(script=i, mark=m, maximum=2, reference=r)
                                                for i, (m, r) in enumerate(pairs[:9], 1)]).flags)


def test_identical_answers_given_different_marks_are_flagged_with_the_scripts():
    figures = one([answer(script=1, q="2", mark=2, key="isolate the supply"),
                   answer(script=2, q="2", mark=0, key="isolate the supply"),
                   answer(script=3, q="2", mark=2, key="isolate the supply"),
                   answer(script=4, q="2", mark=1, key=""), answer(script=5, q="2", mark=0, key="")])
    assert figures.flags == ('gave different marks to identical answers: Q2 "isolate the supply": 2 (script S 0001), '
                             '0 (script S 0002), 2 (script S 0003)',)


def test_a_consistent_marker_with_no_reference_is_not_flagged():
    figures = one([answer(script=i, mark=2, key="same") for i in range(1, 8)])
    assert not figures.flagged and figures.mean_mark_percent == 50 and figures.scripts_marked == 7
