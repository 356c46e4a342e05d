"""Marker monitoring: how each marker of a paper is marking, and when to look closer.

Pure: the input is every answer a marker marked (:class:`MarkedAnswer`, with the reference
mark where there is one) and every time they saved a mark (:class:`MarkSave`); the output is
figures per marker and *flags*, each a plain-English reason a lead assessor can act on.
Nothing is stored; the figures are recomputed from the marks each time.

What is measured, per marker
----------------------------
* **scripts marked** and **mean mark** (as a share of the marks available on the answers they
  marked, so papers with different maxima compare);
* per question: answers marked, mean mark, and the **mean difference from the reference marks**
  (their mark minus the reference, over the answers that have one: above 0 is lenient, below 0
  severe). Reference marks are the IQA's now; definitive marks of control and standardisation
  scripts join them later (the service decides which, in one place);
* **time per script**: from the saves' timestamps. The marker's saves are put in time order;
  the gap before each save is time spent on the script that save is on (reading the answer and
  deciding), unless the gap is longer than :data:`BREAK_MINUTES` (a break, not marking). A
  script's time is the sum of its gaps; the figure shown is the median over the scripts where
  some time was measured (the very first save of a session has no gap before it);
* **drift**: their scripts in the order they first marked them, the mean share of marks given
  in the first third against the last third;
* **agreement with the reference marks**: the existing weighted kappa (``domain/agreement.py``);
* **identical answers given different marks**: the same normalised answer (:func:`normalise_answer`)
  to a question, marked differently by the same marker.

When a marker is flagged (each threshold is named here, with why)
-------------------------------------------------------------------
* :data:`SEVERITY_MARKS` (1.0 mark): a mean difference from the reference of a whole mark per
  answer, either way, on a question is what moderators call "a mark out": enough to change a
  grade over a paper. Needs :data:`MIN_REFERENCE_ANSWERS` (3) answers with a reference on that
  question, so one disputed answer does not brand a marker.
* :data:`DRIFT_POINTS` (15 percentage points) between the first and last third: more than the
  usual spread between groups of learners of one sitting, so worth a look (tiredness, or a
  changed reading of the scheme). Needs :data:`MIN_SCRIPTS_FOR_DRIFT` (6) scripts, i.e. two in
  each third.
* :data:`KAPPA_FLOOR` (0.6): weighted kappa below 0.6 is at best "moderate" agreement on the
  usual reading (Landis and Koch); markers of short answers should reach "substantial".
  Shown only when the kappa exists (10 or more pairs, ``agreement.MIN_PAIRS_FOR_KAPPA``).
* :data:`FAST_SHARE` (0.5): a median time per script under half the median of all markers of the
  paper suggests answers are not being read; needs :data:`MIN_MARKERS_FOR_PACE` (2) markers with
  times.
* Identical answers marked differently: always flagged (consistency is the whole point).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from statistics import median

from pydantic import Field

from .agreement import AgreementFigures, MarkPair, agreement
from .base import Model
from .sampling import natural_key, person_key

#: A mean difference from the reference of at least this many marks per answer on a question is flagged.
SEVERITY_MARKS = 1.0
#: Fewest answers with a reference mark on a question before its mean difference can flag a marker.
MIN_REFERENCE_ANSWERS = 3
#: A change of at least this many percentage points between the first and last third is flagged as drift.
DRIFT_POINTS = 15.0
#: Fewest scripts for drift to be worked out (two in each third).
MIN_SCRIPTS_FOR_DRIFT = 6
#: Weighted kappa with the reference marks below this is flagged.
KAPPA_FLOOR = 0.6
#: A median time per script under this share of the paper's median (all markers) is flagged as fast.
FAST_SHARE = 0.5
#: Fewest markers with times before anyone can be called fast.
MIN_MARKERS_FOR_PACE = 2
#: A gap between two saves longer than this is a break, not time spent marking.
BREAK_MINUTES = 15

#: Punctuation stripped from either end of an answer (Unicode dashes and quotes too).
_END_PUNCTUATION = string.punctuation + "‘’“”«»–—…·•"


def normalise_answer(text: str | None) -> str:
    """An answer as compared for "identical": casefolded, runs of whitespace made one space,
    punctuation stripped from both ends ("Isolate the supply." = "isolate  the supply").

    Unicode is first put in NFC, so an accent typed two ways still matches. Punctuation inside
    the answer is kept: "2-3" and "23" are different answers.
    """
    cleaned = unicodedata.normalize("NFC", text or "").casefold()
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned.strip(_END_PUNCTUATION + " ")


class MarkedAnswer(Model):
    """One answer as a marker marked it, with the reference mark where there is one."""

    marker: str
    script_id: int
    script_ref: str = Field(description="How a person finds the script again (sitting and script number).")
    question_id: str
    max_marks: int = Field(ge=1)
    mark: int = Field(ge=0)
    reference: int | None = Field(default=None, ge=0)
    reference_by: str | None = Field(default=None, description='Whose reference mark, e.g. "the IQA".')
    answer_key: str = Field(default="", description="The normalised answer ('' when left blank).")
    first_marked_at: datetime


class MarkSave(Model):
    """One save of a mark by a marker (the timestamps time per script is measured from)."""

    marker: str
    script_id: int
    at: datetime


class QuestionFigures(Model):
    question_id: str
    max_marks: int
    answers: int
    mean_mark: float
    reference_answers: int
    mean_difference: float | None = Field(description="Their mark minus the reference, per answer; None without one.")


class Drift(Model):
    scripts_per_third: int
    first_percent: float
    last_percent: float

    @property
    def change(self) -> float:
        return self.last_percent - self.first_percent


class InconsistentAnswers(Model):
    """The same normalised answer to a question given different marks by one marker."""

    question_id: str
    answer: str
    marks: tuple[tuple[str, int], ...] = Field(description="(script ref, mark), in script order.")

    @property
    def text(self) -> str:
        given = ", ".join(f"{m} (script {ref})" for ref, m in self.marks)
        shown = self.answer if len(self.answer) <= 40 else self.answer[:39] + "…"
        return f'Q{self.question_id} "{shown}": {given}'


class MarkerFigures(Model):
    marker: str
    scripts_marked: int
    answers_marked: int
    mean_mark_percent: float | None
    questions: tuple[QuestionFigures, ...]
    median_seconds_per_script: float | None
    drift: Drift | None
    agreement: AgreementFigures
    inconsistent: tuple[InconsistentAnswers, ...]
    flags: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


# --- the parts ------------------------------------------------------------------------------------


def script_seconds(saves: Iterable[MarkSave], break_minutes: int = BREAK_MINUTES) -> dict[tuple[str, int], float]:
    """Seconds spent per (marker, script), from the gaps between each marker's saves (module docstring)."""
    limit = timedelta(minutes=break_minutes)
    by_marker: dict[str, list[MarkSave]] = {}
    for save in saves:
        by_marker.setdefault(person_key(save.marker), []).append(save)
    out: dict[tuple[str, int], float] = {}
    for key, own in by_marker.items():
        own.sort(key=lambda s: (s.at, s.script_id))
        for before, save in zip(own, own[1:]):
            gap = save.at - before.at
            if gap <= limit:
                out[(key, save.script_id)] = out.get((key, save.script_id), 0.0) + gap.total_seconds()
    return out


def drift(script_shares: Sequence[float], min_scripts: int = MIN_SCRIPTS_FOR_DRIFT) -> Drift | None:
    """First third against last third of the shares of marks given (0..1), in marking order."""
    n = len(script_shares)
    if n < max(min_scripts, 3):
        return None
    third = n // 3
    first, last = script_shares[:third], script_shares[-third:]
    return Drift(scripts_per_third=third, first_percent=100 * sum(first) / third,
                 last_percent=100 * sum(last) / third)


def inconsistent_answers(answers: Iterable[MarkedAnswer]) -> list[InconsistentAnswers]:
    """Groups of identical (normalised, not blank) answers to one question given different marks."""
    groups: dict[tuple[str, str], list[MarkedAnswer]] = {}
    for a in answers:
        if a.answer_key:
            groups.setdefault((a.question_id, a.answer_key), []).append(a)
    found = []
    for (question_id, key), group in groups.items():
        if len({a.mark for a in group}) > 1:
            group.sort(key=lambda a: natural_key(a.script_ref))
            found.append(InconsistentAnswers(question_id=question_id, answer=key,
                                             marks=tuple((a.script_ref, a.mark) for a in group)))
    return sorted(found, key=lambda i: (natural_key(i.question_id), i.answer))


def _marks(n: float) -> str:
    rounded = f"{abs(n):.1f}"
    return f"{rounded} mark" + ("" if rounded == "1.0" else "s")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def severity_flag(q: QuestionFigures, reference_by: str, *, threshold: float = SEVERITY_MARKS,
                  min_answers: int = MIN_REFERENCE_ANSWERS) -> str | None:
    """The plain reason a question's mean difference flags the marker, or None."""
    if q.mean_difference is None or q.reference_answers < min_answers:
        return None
    if abs(round(q.mean_difference, 9)) < threshold:  # rounded: 3.0/3 must reach 1.0 exactly
        return None
    way = "more" if q.mean_difference > 0 else "fewer"
    return (f"gives {_marks(q.mean_difference)} {way} than {reference_by} per answer on Q{q.question_id} "
            f"({q.reference_answers} answers compared)")


def drift_flag(found: Drift | None, *, threshold: float = DRIFT_POINTS) -> str | None:
    if found is None or abs(round(found.change, 9)) < threshold:
        return None
    way = "more" if found.change > 0 else "less"
    return (f"gave {abs(found.change):.0f} percentage points {way} of the available marks in their last "
            f"{found.scripts_per_third} scripts than in their first {found.scripts_per_third} (drift)")


def kappa_flag(figures: AgreementFigures, reference_by: str, *, floor: float = KAPPA_FLOOR) -> str | None:
    if figures.weighted_kappa is None or figures.weighted_kappa >= floor:
        return None
    return (f"agrees with {reference_by} only weakly: weighted kappa {figures.weighted_kappa:.2f} over "
            f"{figures.n_pairs} answers (below {floor:g})")


def pace_flag(own: float | None, everyone: Sequence[float], *, share: float = FAST_SHARE,
              min_markers: int = MIN_MARKERS_FOR_PACE) -> str | None:
    """Flag a median time per script under ``share`` of the median of all markers' medians."""
    if own is None or len(everyone) < min_markers:
        return None
    typical = median(everyone)
    if typical <= 0 or own >= share * typical:
        return None
    return (f"spends {_duration(own)} per script, under half the {_duration(typical)} typical of this "
            "paper's markers: are the answers being read?")


# --- the whole picture ---------------------------------------------------------------------------


def monitor(answers: Iterable[MarkedAnswer], saves: Iterable[MarkSave]) -> list[MarkerFigures]:
    """Figures and flags for every marker in ``answers``, in name order."""
    by_marker: dict[str, list[MarkedAnswer]] = {}
    names: dict[str, str] = {}
    for a in answers:
        key = person_key(a.marker)
        by_marker.setdefault(key, []).append(a)
        names.setdefault(key, " ".join(a.marker.split()))
    seconds = script_seconds(saves)
    medians: dict[str, float | None] = {}
    for key in by_marker:
        times = [s for (who, _), s in seconds.items() if who == key and s > 0]
        medians[key] = median(times) if times else None
    everyone = [m for m in medians.values() if m is not None]
    return [_figures(names[key], by_marker[key], medians[key], everyone) for key in sorted(by_marker)]


def _figures(name: str, own: list[MarkedAnswer], seconds: float | None, everyone: list[float]) -> MarkerFigures:
    referenced = [a for a in own if a.reference is not None]
    by_whom = {a.reference_by for a in referenced if a.reference_by}
    reference_by = by_whom.pop() if len(by_whom) == 1 else "the reference marks"

    questions = []
    for qid in sorted({a.question_id for a in own}, key=natural_key):
        group = [a for a in own if a.question_id == qid]
        ref = [a for a in group if a.reference is not None]
        questions.append(QuestionFigures(
            question_id=qid, max_marks=max(a.max_marks for a in group), answers=len(group),
            mean_mark=sum(a.mark for a in group) / len(group), reference_answers=len(ref),
            mean_difference=(sum(a.mark - a.reference for a in ref) / len(ref)) if ref else None))

    scripts: dict[int, list[MarkedAnswer]] = {}
    for a in own:
        scripts.setdefault(a.script_id, []).append(a)
    ordered = sorted(scripts.values(), key=lambda g: (min(a.first_marked_at for a in g), g[0].script_id))
    shares = [sum(a.mark for a in g) / sum(a.max_marks for a in g) for g in ordered]
    found_drift = drift(shares)

    pairs = [MarkPair(question_id=a.question_id, max_marks=a.max_marks, first_mark=a.mark,
                      second_mark=a.reference, marker=name, script_ref=None)
             for a in referenced if a.reference <= a.max_marks]
    figures = agreement(pairs)
    odd = inconsistent_answers(own)

    flags = [f for f in (severity_flag(q, reference_by) for q in questions) if f]
    flags += [f for f in (drift_flag(found_drift), kappa_flag(figures, reference_by),
                          pace_flag(seconds, everyone)) if f]
    flags += [f"gave different marks to identical answers: {i.text}" for i in odd]
    available = sum(a.max_marks for a in own)
    return MarkerFigures(
        marker=name, scripts_marked=len(scripts), answers_marked=len(own),
        mean_mark_percent=100 * sum(a.mark for a in own) / available if available else None,
        questions=tuple(questions), median_seconds_per_script=seconds, drift=found_drift,
        agreement=figures, inconsistent=tuple(odd), flags=tuple(flags))
