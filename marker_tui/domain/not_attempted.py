""""Not attempted" is not zero: a question the learner left blank is shown as not attempted.

A blank answer (nothing but spaces) is not attempted; its mark counts 0 towards the total, but
results, facility figures and the learner's feedback say "not attempted", not 0, so a centre can
tell "wrote nothing" from "wrote something worth nothing". Where the learner did write something
worthless the marker gives 0 with one of the :class:`ZeroReason` codes.
"""

from __future__ import annotations

from enum import StrEnum

NOT_ATTEMPTED = "not attempted"


class ZeroReason(StrEnum):
    """Why an answer that was written earned 0 (the marker picks one)."""

    NO_CREDITABLE_POINT = "no creditable point"
    IRRELEVANT = "irrelevant to the question"
    REPEATS_QUESTION = "repeats the question"
    ILLEGIBLE = "cannot be read or understood"
    CONTRADICTS_ITSELF = "contradicts itself"


ZERO_REASONS: tuple[str, ...] = tuple(r.value for r in ZeroReason)


def is_not_attempted(answer: str | None) -> bool:
    """The learner left the question blank (no answer saved, or only spaces)."""
    return not (answer or "").strip()


def shown_mark(answer: str | None, marks: int | None) -> int | str | None:
    """What a results cell shows: "not attempted" for a blank answer given no marks, else the mark."""
    if is_not_attempted(answer) and not marks:
        return NOT_ATTEMPTED
    return marks


def check_zero_reason(code: str | None, marks: int, answer: str | None) -> str | None:
    """A zero-reason code is only for 0 on an answer that was written; unknown codes are refused."""
    if code is None or not code.strip():
        return None
    cleaned = " ".join(code.split()).casefold()
    found = next((r for r in ZERO_REASONS if r == cleaned), None)
    if found is None:
        raise ValueError(f"{code.strip()!r} is not a reason for 0; choose one of: {', '.join(ZERO_REASONS)}.")
    if marks != 0:
        raise ValueError(f"A reason for 0 ({found}) goes with a mark of 0, not {marks}.")
    if is_not_attempted(answer):
        raise ValueError("This question was not attempted (the answer is blank): it needs no reason for 0.")
    return found
