"""Review of marking: a learner's query or appeal about a marked script, decided by someone independent.

Pure rules (no database, no clock): who may review a script, what each question's decision is,
what the review's outcome is, and when a review is overdue.

The rules
---------
* A script can be put under review once its results have been shared with the learner. marker-tui
  knows results were shared when the sitting's results or the learner's feedback were exported
  (audit actions "results exported" / "feedback exported"): that is the rule used here.
* The reviewer is independent: they never marked the script (any mark version, including marks
  imported from paper, where the file's marker name counts too) and never reviewed it for IQA
  (a review or a blind second marking). Anyone else on the staff who may mark or do IQA may review.
* Per question the reviewer upholds the mark or gives a new one, always with a reason.
* The outcome: "upheld" when no mark changed; otherwise "mark changed", and the grade changed or not
  (the script's result: fail, pass or a grade name, before and after).
* A review still open after its deadline (a date, end of that day) is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

UPHELD = "upheld"
MARK_CHANGED = "mark changed"


class ReviewRefused(ValueError):
    """A review request the rules refuse; ``str(error)`` is fit to show."""


class QuestionDecision(StrEnum):
    UPHOLD = "upheld"
    CHANGE = "changed"


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def independence_problem(reviewer: str, *, markers: Iterable[str], iqa_reviewers: Iterable[str],
                         script: str) -> str | None:
    """Why ``reviewer`` may not review ``script`` (None when they may): marked it, or reviewed it for IQA."""
    who = _key(reviewer)
    # IQA first: an IQA adjustment is also a mark version, and "reviewed it for IQA" says more.
    if who in {_key(m) for m in iqa_reviewers}:
        return (f"{reviewer} reviewed script {script} for IQA, so cannot review its marking: "
                "choose a reviewer who neither marked nor IQA-reviewed it.")
    if who in {_key(m) for m in markers}:
        return (f"{reviewer} marked script {script}, so cannot review its marking: "
                "choose a reviewer who neither marked nor IQA-reviewed it.")
    return None


def check_reason(text: str | None, what: str) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise ReviewRefused(f"Give {what}: it is shown to the learner and kept in the record.")
    if len(cleaned) > 1000:
        raise ReviewRefused(f"{what[0].upper()}{what[1:]} can be at most 1000 characters.")
    return cleaned


def check_deadline(deadline: date, today: date) -> date:
    if deadline < today:
        raise ReviewRefused(f"The deadline {deadline.isoformat()} is already past: give today or a later date.")
    return deadline


@dataclass(frozen=True)
class Outcome:
    """What a finished review decided for the script."""

    changed_questions: tuple[str, ...]
    total_before: int
    total_after: int
    result_before: str
    result_after: str

    @property
    def marks_changed(self) -> bool:
        return bool(self.changed_questions)

    @property
    def grade_changed(self) -> bool:
        return self.result_before != self.result_after

    @property
    def text(self) -> str:
        """In the learner's words: the export column and the letter's heading say this."""
        if not self.marks_changed:
            return UPHELD
        return f"{MARK_CHANGED}, {'grade changed' if self.grade_changed else 'grade unchanged'}"


def outcome(original: Mapping[str, int], decided: Mapping[str, int | None], *, result_before: str,
            result_after: str) -> Outcome:
    """The review's outcome from the original marks and each question's new mark (None = upheld)."""
    changed = tuple(q for q, new in decided.items() if new is not None and new != original.get(q))
    after = {**original, **{q: v for q, v in decided.items() if v is not None}}
    return Outcome(changed_questions=changed, total_before=sum(original.values()),
                   total_after=sum(after.values()), result_before=result_before, result_after=result_after)


def is_overdue(deadline: date, today: date, *, finished: bool) -> bool:
    """Past its deadline (the whole deadline day counts) and still open."""
    return not finished and today > deadline


@dataclass(frozen=True)
class LetterQuestion:
    question_id: str
    available: int
    original_mark: int | str
    """The mark before the review, or "not attempted"."""
    new_mark: int | str
    decision: str
    reason: str


@dataclass(frozen=True)
class ReviewLetter:
    """The outcome letter to the learner (``documents/review_letter.py`` writes it)."""

    centre_name: str
    candidate_name: str
    candidate_number: str
    qualification: str
    unit: str
    sitting_code: str
    written_on: date
    request_reason: str
    reviewer: str
    outcome: str
    total_before: int
    total_after: int
    available: int
    result_before: str
    result_after: str
    questions: tuple[LetterQuestion, ...]
