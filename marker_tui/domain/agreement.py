"""Marker agreement: how closely a marker's marks match a second (IQA or blind) marker's.

Pure: the input is a list of :class:`MarkPair` (the first mark, the second
mark, the question and who gave the first mark); the output is figures a
reviewer can read. Nothing is stored; figures are recomputed from the pairs.

The figures for a group of pairs
--------------------------------
* exact agreement %: pairs with the same mark;
* within tolerance %: pairs whose marks differ by at most the question's
  tolerance (0 unless set; with 0 it equals exact agreement);
* mean and largest absolute difference, in marks;
* weighted Cohen's kappa: agreement beyond what chance would give, where a near
  miss counts as partial agreement. From its definition::

      κw = 1 − Σ w_ij O_ij / Σ w_ij E_ij

  with O the observed proportions (row i = first mark, column j = second
  mark), E_ij = (row i total × column j total) / n² the proportions expected by
  chance, and weights w_ij = |i − j| / (k − 1) (linear, the default) or
  ((i − j) / (k − 1))² (quadratic, which forgives small differences more and
  punishes large ones more), over categories 0..k−1 marks.

Choices
-------
* **Kappa needs at least 10 pairs** (:data:`MIN_PAIRS_FOR_KAPPA`). With fewer,
  a single pair moves the observed agreement by 10 points or more and the
  chance-agreement table rests on a handful of marks, so the figure swings
  wildly and invites over-reading. 10 is a floor for *showing* a kappa, not a
  claim of statistical confidence: a reviewer should still read it alongside
  the plain percentages. Below it, ``weighted_kappa`` is None and
  ``kappa_note`` says why.
* **Kappa is undefined when chance disagreement is zero**: if both markers gave
  the same single mark to every answer, chance alone predicts perfect agreement
  and the formula divides by 0. The figure is None with a note, not 1.0.
* **Pooled questions use raw marks on one scale, categories 0..the largest
  maximum in the group.** A 1-mark difference counts the same on a 2-mark and
  a 6-mark question, which is how markers and reviewers talk about
  disagreement ("one mark out"). The (k − 1) in the weights is a constant
  factor that cancels in the ratio, so taking the largest maximum does not
  distort the result; it only has to be large enough to hold every mark.
  (Rescaling each question to 0..1 first was rejected: it would make a 1-mark
  slip on a 2-mark question look three times worse than on a 6-mark one.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Literal

from pydantic import Field, model_validator

from .base import Identifier, Model, NonEmptyText
from .sampling import natural_key, person_key

#: Fewest pairs for which a weighted kappa is shown (see module docstring).
MIN_PAIRS_FOR_KAPPA = 10

Weights = Literal["linear", "quadratic"]

Tolerance = int | Mapping[str, int]
"""One tolerance for every question, or per question id (questions not listed: 0)."""


class MarkPair(Model):
    """One answer marked twice: the marker's mark and the second (IQA or blind) mark."""

    question_id: Identifier
    max_marks: int = Field(ge=1)
    first_mark: int = Field(strict=True, ge=0, description="The marker's mark.")
    second_mark: int = Field(strict=True, ge=0, description="The second (IQA or blind) mark.")
    marker: NonEmptyText = Field(description="Who gave the first mark.")
    script_ref: Identifier | None = Field(
        default=None, description="Which script, so a discrepancy can be found again."
    )

    @model_validator(mode="after")
    def _marks_within_the_maximum(self) -> MarkPair:
        for label, value in (("first", self.first_mark), ("second", self.second_mark)):
            if value > self.max_marks:
                raise ValueError(
                    f"question {self.question_id}: the {label} mark {value} is above "
                    f"the maximum of {self.max_marks}"
                )
        return self

    @property
    def difference(self) -> int:
        """Absolute difference in marks."""
        return abs(self.first_mark - self.second_mark)


class AgreementFigures(Model):
    """Agreement figures for one group of pairs (a marker, a question, or everyone).

    Percentages and means are exact floats; round them where they are shown.
    With no pairs every figure is None.
    """

    n_pairs: int
    exact_agreement_percent: float | None
    within_tolerance_percent: float | None
    mean_abs_difference: float | None
    max_abs_difference: int | None
    weighted_kappa: float | None
    kappa_weights: Weights
    kappa_categories: int | None = Field(
        description="k: marks 0..k−1 are the categories (largest maximum in the group + 1)."
    )
    kappa_note: str | None = Field(description="Why there is no kappa, when there is none.")


def tolerance_for(tolerance: Tolerance, question_id: str) -> int:
    """The tolerance, in marks, that applies to ``question_id``."""
    value = tolerance.get(str(question_id), 0) if isinstance(tolerance, Mapping) else tolerance
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"question {question_id}: a tolerance is a whole number of marks, 0 or more")
    return value


def _weight(i: int, j: int, k: int, weights: Weights) -> Fraction:
    d = Fraction(abs(i - j), k - 1)
    if weights == "linear":
        return d
    if weights == "quadratic":
        return d * d
    raise ValueError(f"unknown kappa weights {weights!r}: use 'linear' or 'quadratic'")


def weighted_kappa(
    marks: Sequence[tuple[int, int]], categories: int, weights: Weights = "linear"
) -> float | None:
    """Weighted Cohen's kappa for (first, second) marks over categories 0..categories−1.

    Straight from the definition (module docstring), in exact fractions.
    None when chance disagreement is zero (kappa undefined) or there are no marks.
    """
    if categories < 2:
        raise ValueError("kappa needs at least two categories (marks 0 and 1)")
    n = len(marks)
    if n == 0:
        return None
    for first, second in marks:
        if not (0 <= first < categories and 0 <= second < categories):
            raise ValueError(f"marks ({first}, {second}) fall outside 0..{categories - 1}")
    observed = Counter(marks)
    rows = Counter(first for first, _ in marks)
    cols = Counter(second for _, second in marks)
    # Counts rather than proportions: the n (or n²) cancels within each sum.
    disagreement_observed = sum(
        _weight(i, j, categories, weights) * count for (i, j), count in observed.items()
    ) / n
    disagreement_expected = sum(
        _weight(i, j, categories, weights) * rows[i] * cols[j] for i in rows for j in cols
    ) / (n * n)
    if disagreement_expected == 0:
        return None
    return float(1 - disagreement_observed / disagreement_expected)


def agreement(
    pairs: Iterable[MarkPair],
    tolerance: Tolerance = 0,
    weights: Weights = "linear",
    min_pairs_for_kappa: int = MIN_PAIRS_FOR_KAPPA,
) -> AgreementFigures:
    """The agreement figures for one group of pairs (see module docstring)."""
    group = list(pairs)
    n = len(group)
    if n == 0:
        return AgreementFigures(
            n_pairs=0, exact_agreement_percent=None, within_tolerance_percent=None,
            mean_abs_difference=None, max_abs_difference=None, weighted_kappa=None,
            kappa_weights=weights, kappa_categories=None, kappa_note="no pairs",
        )
    differences = [p.difference for p in group]
    exact = sum(1 for d in differences if d == 0)
    within = sum(1 for p in group if p.difference <= tolerance_for(tolerance, p.question_id))
    categories = max(p.max_marks for p in group) + 1

    kappa: float | None = None
    note: str | None = None
    if n < min_pairs_for_kappa:
        note = f"needs at least {min_pairs_for_kappa} pairs; there are {n}"
    else:
        kappa = weighted_kappa([(p.first_mark, p.second_mark) for p in group], categories, weights)
        if kappa is None:
            only = group[0].first_mark
            note = (
                f"undefined: every answer got {only} from both markers, "
                "so agreement by chance alone would be certain"
            )
    return AgreementFigures(
        n_pairs=n,
        exact_agreement_percent=100 * exact / n,
        within_tolerance_percent=100 * within / n,
        mean_abs_difference=sum(differences) / n,
        max_abs_difference=max(differences),
        weighted_kappa=kappa,
        kappa_weights=weights,
        kappa_categories=categories,
        kappa_note=note,
    )


def _grouped(
    pairs: Iterable[MarkPair],
    key: Callable[[MarkPair], str],
    label: Callable[[MarkPair], str],
    order: Callable[[str], object],
    tolerance: Tolerance,
    weights: Weights,
    min_pairs_for_kappa: int,
) -> dict[str, AgreementFigures]:
    groups: dict[str, list[MarkPair]] = {}
    labels: dict[str, str] = {}
    for pair in pairs:
        groups.setdefault(key(pair), []).append(pair)
        labels.setdefault(key(pair), label(pair))
    return {
        labels[k]: agreement(groups[k], tolerance, weights, min_pairs_for_kappa)
        for k in sorted(groups, key=order)
    }


def by_marker(
    pairs: Iterable[MarkPair],
    tolerance: Tolerance = 0,
    weights: Weights = "linear",
    min_pairs_for_kappa: int = MIN_PAIRS_FOR_KAPPA,
) -> dict[str, AgreementFigures]:
    """Figures for each marker (the one who gave the first mark), in name order.

    Names match ignoring case and repeated spaces, as in the sampling rules.
    """
    return _grouped(
        pairs, lambda p: person_key(p.marker), lambda p: " ".join(p.marker.split()),
        lambda k: k, tolerance, weights, min_pairs_for_kappa,
    )


def by_question(
    pairs: Iterable[MarkPair],
    tolerance: Tolerance = 0,
    weights: Weights = "linear",
    min_pairs_for_kappa: int = MIN_PAIRS_FOR_KAPPA,
) -> dict[str, AgreementFigures]:
    """Figures for each question, in paper order ("2" before "10", "2a" before "2b")."""
    return _grouped(
        pairs, lambda p: p.question_id, lambda p: p.question_id, natural_key,
        tolerance, weights, min_pairs_for_kappa,
    )


class Discrepancy(Model):
    """An answer whose two marks differ by more than the tolerance: it needs adjudication."""

    script_ref: str | None
    question_id: str
    marker: str
    first_mark: int
    second_mark: int
    max_marks: int
    difference: int
    tolerance: int

    @property
    def message(self) -> str:
        where = f"script {self.script_ref}, " if self.script_ref else ""
        return (
            f"{where}question {self.question_id}: {self.marker} gave {self.first_mark}, "
            f"the second marker {self.second_mark} (out of {self.max_marks}); "
            f"{self.difference} apart, tolerance {self.tolerance}"
        )


def out_of_tolerance(pairs: Iterable[MarkPair], tolerance: Tolerance = 0) -> list[Discrepancy]:
    """Every pair whose marks differ by more than its question's tolerance.

    For blind second marking these are the answers a third person adjudicates.
    Listed by script, then question, in the order a person would look them up.
    """
    found = [
        Discrepancy(
            script_ref=p.script_ref,
            question_id=p.question_id,
            marker=p.marker,
            first_mark=p.first_mark,
            second_mark=p.second_mark,
            max_marks=p.max_marks,
            difference=p.difference,
            tolerance=tolerance_for(tolerance, p.question_id),
        )
        for p in pairs
        if p.difference > tolerance_for(tolerance, p.question_id)
    ]
    return sorted(
        found, key=lambda d: (natural_key(d.script_ref or ""), natural_key(d.question_id), d.marker)
    )
