"""Standardisation and control scripts: the pure rules (no I/O).

* A *standardisation script* is a script of any sitting of a paper (same
  qualification and unit) that the lead assessor has given definitive marks per
  question, with a rationale. It is a *practice*, *qualification* or *control*
  script.
* :func:`check` compares a marker's marks with the definitive marks against the
  paper's :class:`~marker_tui.domain.markscheme.Tolerance` (per question and total;
  exactly at the limit agrees).
* :func:`qualification` says where a marker stands on a paper: cleared to mark
  live scripts (qualified, approved by the lead assessor), suspended, or still to
  qualify (and which qualification script is next).
* :func:`control_due` is the seeding rule: about one live script in ``one_in`` is
  followed by a control script, at a position in each block of ``one_in`` chosen
  by an injected chooser (random in use, fixed in tests), so a marker cannot
  count their way to the next one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from marker_tui.domain.markscheme import ControlScripts, MarkScheme, Tolerance

DEFAULT_TOLERANCE = Tolerance()
DEFAULT_CONTROL = ControlScripts()
#: Qualification scripts in a row within tolerance that qualify a marker (fewer if the set is smaller):
#: one agreement could be luck, two in a row is the marker applying the scheme.
PASSES_NEEDED = 2


class Kind(StrEnum):
    PRACTICE = "practice"
    QUALIFICATION = "qualification"
    CONTROL = "control"


def tolerance_of(scheme: MarkScheme | None) -> Tolerance:
    return (scheme.tolerance if scheme is not None else None) or DEFAULT_TOLERANCE


def control_settings_of(scheme: MarkScheme | None) -> ControlScripts:
    return (scheme.control_scripts if scheme is not None else None) or DEFAULT_CONTROL


@dataclass(frozen=True)
class QuestionComparison:
    question_id: str
    given: int
    definitive: int
    rationale: str
    within: bool

    @property
    def difference(self) -> int:
        return self.given - self.definitive


@dataclass(frozen=True)
class Comparison:
    """A marker's marks of one script against its definitive marks."""

    questions: tuple[QuestionComparison, ...]
    given_total: int
    definitive_total: int
    tolerance: Tolerance

    @property
    def total_within(self) -> bool:
        return abs(self.given_total - self.definitive_total) <= self.tolerance.total

    @property
    def within(self) -> bool:
        return self.total_within and all(q.within for q in self.questions)

    def summary(self) -> str:
        """In words, e.g. "out of tolerance: question 3 (2 marks over; 1 allowed); total 1 over"."""
        def by(n: int) -> str:
            return f"{abs(n)} mark{'s' if abs(n) != 1 else ''} {'over' if n > 0 else 'under'}"

        outside = [f"question {q.question_id} ({by(q.difference)}; {self.tolerance.per_question} allowed)"
                   for q in self.questions if not q.within]
        diff = self.given_total - self.definitive_total
        total = ("total agrees" if diff == 0 else f"total {by(diff)}") + (
            "" if self.total_within else f" ({self.tolerance.total} allowed)")
        if self.within:
            return f"within tolerance: {total}"
        return "out of tolerance: " + "; ".join(outside + [total])


class ToleranceError(ValueError):
    """Marks that cannot be compared (a question without a mark or without a definitive mark)."""


def check(given: Mapping[str, int], definitive: Mapping[str, tuple[int, str]],
          tolerance: Tolerance) -> Comparison:
    """Compare ``given`` (question → marks) with ``definitive`` (question → (marks, rationale))."""
    missing = [q for q in definitive if q not in given]
    if missing:
        raise ToleranceError(f"No mark for question{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                             "mark every question before submitting.")
    questions = tuple(
        QuestionComparison(question_id=q, given=int(given[q]), definitive=marks, rationale=rationale,
                           within=abs(int(given[q]) - marks) <= tolerance.per_question)
        for q, (marks, rationale) in definitive.items())
    return Comparison(questions=questions, given_total=sum(q.given for q in questions),
                      definitive_total=sum(q.definitive for q in questions), tolerance=tolerance)


class Standing(StrEnum):
    NO_STANDARDISATION = "no standardisation set"
    TO_QUALIFY = "to qualify"
    QUALIFIED = "qualified"
    APPROVED = "approved"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class Qualification:
    standing: Standing
    #: The qualification script to mark next (None when cleared, suspended or none left).
    next_script: int | None
    passes_in_a_row: int
    passes_needed: int
    message: str

    @property
    def cleared(self) -> bool:
        return self.standing in (Standing.NO_STANDARDISATION, Standing.QUALIFIED, Standing.APPROVED)


def qualification(paper: str, qualification_scripts: Sequence[int], attempts: Sequence[tuple[int, bool]], *,
                  approved: bool = False, suspended: bool = False,
                  needed: int = PASSES_NEEDED) -> Qualification:
    """Where a marker stands on ``paper`` (e.g. "3818-13/305").

    ``qualification_scripts``: the set, in the lead assessor's order; ``attempts``: this marker's
    marked qualification scripts, oldest first, as (script, within tolerance). Each script is
    marked once. A marker qualifies with ``needed`` passes in a row (all of the set if it is
    smaller); an approval by the lead assessor clears them whatever the attempts say; a suspension
    (control scripts) stops them until reinstated.
    """
    needed = max(1, min(needed, len(qualification_scripts)))
    run = 0
    for _, within in attempts:
        run = run + 1 if within else 0
    done = {s for s, _ in attempts}
    remaining = [s for s in qualification_scripts if s not in done]
    if suspended:
        return Qualification(Standing.SUSPENDED, None, run, needed,
                             f"You are suspended from live marking of {paper}: control scripts you marked were "
                             "out of tolerance. The lead assessor must reinstate you (with a reason) before you "
                             "claim scripts again.")
    if approved:
        return Qualification(Standing.APPROVED, None, run, needed, f"Approved by the lead assessor to mark {paper}.")
    if not qualification_scripts:
        return Qualification(Standing.NO_STANDARDISATION, None, 0, 0, f"{paper} has no qualification scripts.")
    if any(within for _, within in attempts) and run >= needed:
        return Qualification(Standing.QUALIFIED, None, run, needed, f"Qualified to mark {paper}.")
    if not remaining:
        return Qualification(Standing.TO_QUALIFY, None, run, needed,
                             f"You have marked every qualification script of {paper} without qualifying: ask the "
                             "lead assessor to go through them with you (they can approve you, with a reason).")
    return Qualification(Standing.TO_QUALIFY, remaining[0], run, needed,
                         f"Before marking live scripts of {paper}, mark its qualification scripts "
                         f"({needed} in a row within tolerance): s on the marking queue opens standardisation.")


#: chooser(block, one_in) → the position (0 … one_in - 1) in that block after which a control comes.
Chooser = Callable[[int, int], int]


def seeded_chooser(seed: str | int) -> Chooser:
    """A reproducible random position per block (seeded by sitting and marker in use)."""
    def choose(block: int, one_in: int) -> int:
        return random.Random(f"{seed}:{block}").randrange(one_in)

    return choose


def control_due(live_completed: int, controls_given: int, settings: ControlScripts, choose: Chooser) -> bool:
    """After a marker's ``live_completed``-th live script of a sitting, is a control script due?

    One control per block of ``one_in`` live scripts, after the chosen position in the block; a
    block whose control is already given (``controls_given`` counts them) gets no other.
    """
    if live_completed <= 0:
        return False
    block, position = divmod(live_completed - 1, settings.one_in)
    return controls_given <= block and position >= choose(block, settings.one_in)


def failures_in_a_row(results: Sequence[bool]) -> int:
    """How many of the most recent control results (oldest first) were out of tolerance in a row."""
    run = 0
    for within in reversed(results):
        if within:
            break
        run += 1
    return run
