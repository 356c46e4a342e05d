"""Marker agreement figures, checked against hand-worked examples."""

from __future__ import annotations

import pydantic
import pytest

from marker_tui.domain.agreement import (
    MIN_PAIRS_FOR_KAPPA,
    MarkPair,
    agreement,
    by_marker,
    by_question,
    out_of_tolerance,
    weighted_kappa,
)


def pair(first: int, second: int, max_marks: int = 4, question: str = "1",
         marker: str = "Ana Lopes", script: str | None = None) -> MarkPair:
    return MarkPair(question_id=question, max_marks=max_marks, first_mark=first, second_mark=second,
                    marker=marker, script_ref=script)


def test_exact_within_tolerance_mean_and_largest_difference():
    # (first, second) on a 4-mark question, differences 0, 1, 2, 0, 1
    pairs = [pair(3, 3), pair(2, 3), pair(4, 2), pair(1, 1), pair(0, 1)]
    figures = agreement(pairs, tolerance=1)
    assert figures.n_pairs == 5
    assert figures.exact_agreement_percent == 40.0     # 2 of 5 identical
    assert figures.within_tolerance_percent == 80.0    # 4 of 5 at most 1 apart
    assert figures.mean_abs_difference == 0.8          # (0 + 1 + 2 + 0 + 1) / 5
    assert figures.max_abs_difference == 2
    # with the default tolerance of 0, "within tolerance" is exact agreement
    assert agreement(pairs).within_tolerance_percent == 40.0


# A 2-mark question (categories 0, 1, 2) marked twice on 20 scripts.
# Rows: the marker's mark; columns: the IQA reviewer's mark.
#
#               IQA 0   IQA 1   IQA 2   row total
#   marker 0      4       2       0        6
#   marker 1      1       6       1        8
#   marker 2      0       1       5        6
#   col total     5       9       6       20
#
# Off-diagonal counts: 5 pairs one mark apart (2 + 1 + 1 + 1), none two apart.
# Expected counts E_ij = row_i × col_j / 20:
#   row 0: 1.5  2.7  1.8
#   row 1: 2.0  3.6  2.4
#   row 2: 1.5  2.7  1.8
# One apart in E: 2.7 + 2.0 + 2.4 + 2.7 = 9.8; two apart: 1.8 + 1.5 = 3.3.
#
# Linear weights (k = 3): one apart 1/2, two apart 1.
#   Σ w·O = 0.5 × 5 = 2.5;  Σ w·E = 0.5 × 9.8 + 1 × 3.3 = 8.2
#   κ = 1 − 2.5 / 8.2 = 1 − 0.30488 = 0.69512 → 0.695
# Quadratic weights: one apart 1/4, two apart 1.
#   Σ w·O = 0.25 × 5 = 1.25;  Σ w·E = 0.25 × 9.8 + 3.3 = 5.75
#   κ = 1 − 1.25 / 5.75 = 1 − 0.21739 = 0.78261 → 0.783
TABLE = {(0, 0): 4, (0, 1): 2, (1, 0): 1, (1, 1): 6, (1, 2): 1, (2, 1): 1, (2, 2): 5}
TWENTY = [pair(i, j, max_marks=2) for (i, j), count in TABLE.items() for _ in range(count)]


def test_weighted_kappa_matches_the_hand_worked_table():
    assert len(TWENTY) == 20
    linear = agreement(TWENTY)
    assert linear.weighted_kappa == pytest.approx(0.695, abs=5e-4)
    assert (linear.kappa_weights, linear.kappa_categories, linear.kappa_note) == ("linear", 3, None)
    quadratic = agreement(TWENTY, weights="quadratic")
    assert quadratic.weighted_kappa == pytest.approx(0.783, abs=5e-4)
    # and the plain figures for the same table
    assert linear.exact_agreement_percent == 75.0   # 15 on the diagonal
    assert linear.mean_abs_difference == 0.25       # 5 marks of difference over 20 pairs
    assert linear.max_abs_difference == 1


def test_kappa_on_raw_marks_agrees_with_the_table_function():
    marks = [(p.first_mark, p.second_mark) for p in TWENTY]
    assert weighted_kappa(marks, 3) == pytest.approx(1 - 2.5 / 8.2)
    assert weighted_kappa(marks, 3, "quadratic") == pytest.approx(1 - 1.25 / 5.75)


def test_pooling_questions_with_different_maxima_uses_the_largest_maximum_as_the_scale():
    pooled = TWENTY + [pair(6, 5, max_marks=6, question="2")] * 2
    figures = agreement(pooled)
    assert figures.kappa_categories == 7  # marks 0..6
    # Changing the scale alone does not change kappa: the 1/(k−1) factor cancels.
    marks = [(p.first_mark, p.second_mark) for p in TWENTY]
    assert weighted_kappa(marks, 7) == pytest.approx(weighted_kappa(marks, 3))


def test_perfect_agreement_gives_a_kappa_of_1():
    same = [pair(m, m) for m in (0, 1, 2, 3, 4, 4, 3, 2, 1, 0)]
    figures = agreement(same)
    assert figures.weighted_kappa == 1.0
    assert agreement(same, weights="quadratic").weighted_kappa == 1.0
    assert (figures.exact_agreement_percent, figures.max_abs_difference) == (100.0, 0)


def test_too_few_pairs_give_no_kappa_and_say_why():
    assert MIN_PAIRS_FOR_KAPPA == 10
    nine = TWENTY[:9]
    figures = agreement(nine)
    assert figures.weighted_kappa is None
    assert figures.kappa_note == "needs at least 10 pairs; there are 9"
    assert figures.exact_agreement_percent is not None  # the plain figures are still shown
    assert agreement(TWENTY[:10]).weighted_kappa is not None


def test_kappa_is_undefined_when_every_answer_got_the_same_mark_from_both():
    figures = agreement([pair(2, 2)] * 12)
    assert figures.weighted_kappa is None
    assert figures.kappa_note == (
        "undefined: every answer got 2 from both markers, so agreement by chance alone would be certain"
    )
    assert figures.exact_agreement_percent == 100.0


def test_no_pairs_gives_empty_figures():
    figures = agreement([])
    assert figures.n_pairs == 0
    assert figures.exact_agreement_percent is None and figures.weighted_kappa is None


def test_a_pair_with_a_mark_above_the_maximum_is_refused():
    with pytest.raises(pydantic.ValidationError, match="the second mark 5 is above the maximum of 4"):
        pair(3, 5)


def test_figures_by_marker_and_by_question():
    pairs = [
        pair(2, 2, question="10", marker="Ben Okafor"),
        pair(1, 3, question="2", marker="Ben Okafor"),
        pair(4, 4, question="2", marker="Ana Lopes"),
        pair(3, 2, question="10", marker="ana  lopes"),  # the same person
    ]
    markers = by_marker(pairs)
    assert list(markers) == ["Ana Lopes", "Ben Okafor"]
    assert (markers["Ana Lopes"].n_pairs, markers["Ana Lopes"].exact_agreement_percent) == (2, 50.0)
    assert (markers["Ben Okafor"].mean_abs_difference, markers["Ben Okafor"].max_abs_difference) == (1.0, 2)

    questions = by_question(pairs, tolerance={"2": 2})
    assert list(questions) == ["2", "10"]  # paper order, not text order
    assert questions["2"].exact_agreement_percent == 50.0
    assert questions["2"].within_tolerance_percent == 100.0  # 2 apart, tolerance 2
    assert questions["10"].within_tolerance_percent == 50.0  # no tolerance set: 0
    assert all(f.kappa_note == "needs at least 10 pairs; there are 2" for f in questions.values())


def test_out_of_tolerance_lists_the_answers_needing_adjudication():
    pairs = [
        pair(3, 1, question="3", script="S10"),   # 2 apart, tolerance 1: out
        pair(3, 2, question="3", script="S2"),    # 1 apart, tolerance 1: fine
        pair(0, 1, question="1", script="S2"),    # 1 apart, tolerance 0: out
        pair(4, 4, question="1", script="S1"),
        pair(2, 4, question="2b", script="S2", marker="Ben Okafor"),  # 2 apart: out
    ]
    found = out_of_tolerance(pairs, tolerance={"3": 1})
    assert [(d.script_ref, d.question_id, d.difference, d.tolerance) for d in found] == [
        ("S2", "1", 1, 0),
        ("S2", "2b", 2, 0),
        ("S10", "3", 2, 1),
    ]
    assert found[1].message == (
        "script S2, question 2b: Ben Okafor gave 2, the second marker 4 (out of 4); 2 apart, tolerance 0"
    )
    assert out_of_tolerance(pairs, tolerance=2) == []


def test_a_negative_tolerance_is_refused():
    with pytest.raises(ValueError, match="question 1: a tolerance is a whole number"):
        agreement([pair(1, 1)], tolerance=-1)
