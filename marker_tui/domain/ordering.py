"""The order people expect lists in: numbers inside names compared as numbers.

Question ids ("1", "2a", "10"), script numbers and candidate numbers are text, so a
plain sort lists Q1, Q10, Q11, Q2. Every place that lists them uses these keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

V = TypeVar("V")


def natural_key(ref: str) -> tuple[tuple[tuple[str, int], ...], str]:
    """Sort key listing refs as a person would: "S2" before "S10"; the raw text breaks ties."""
    # re.split with a group alternates text and digits, starting with text, so
    # the element types always line up: text as (text, 0), digits as ("", number).
    parts = re.split(r"(\d+)", ref)
    return tuple((p, 0) if i % 2 == 0 else ("", int(p)) for i, p in enumerate(parts)), ref


def question_key(question_id: object) -> tuple[tuple[tuple[str, int], ...], str]:
    """Sort key for a question id: Q2 before Q10, 3a before 3b."""
    return natural_key(str(question_id).strip().casefold())


def in_question_order(ids: Iterable[str]) -> list[str]:
    """Question ids in natural order."""
    return sorted(ids, key=question_key)


def items_in_question_order(by_question: Mapping[str, V]) -> list[tuple[str, V]]:
    """A dict keyed by question id, as (id, value) pairs in natural question order."""
    return sorted(by_question.items(), key=lambda kv: question_key(kv[0]))
