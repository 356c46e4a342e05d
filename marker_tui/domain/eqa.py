"""Which scripts an external quality assurer should sample, and why.

An EQA samples a centre's assessment decisions "across assessors, results and
learners' circumstances". marker-tui proposes a sample that covers each of
those at least once, then fills it with the spread of totals, and says for each
script why it is in. The IQA lead can take the proposal or name the scripts.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict


class EqaCandidate(BaseModel):
    """One fully marked script, as the proposal sees it."""

    model_config = ConfigDict(frozen=True)

    candidate_number: str
    total: int
    passed: bool
    markers: tuple[str, ...]
    arrangements: str = ""


class EqaPick(BaseModel):
    model_config = ConfigDict(frozen=True)

    candidate_number: str
    reasons: tuple[str, ...]


def default_sample_size(marked: int) -> int:
    """At least 3 (or all, when fewer), growing with the square root of the cohort."""
    return min(marked, max(3, math.ceil(math.sqrt(marked))))


def propose_eqa_sample(scripts: list[EqaCandidate], pass_mark: int | None, size: int | None = None) -> list[EqaPick]:
    """A sample covering every marker, the top and bottom totals, both sides of the pass mark and
    learners with access arrangements; then the widest spread of totals until ``size`` is reached.

    Coverage comes first, so the sample can be larger than ``size`` when a centre has many
    markers. Deterministic: the same scripts give the same proposal.
    """
    if not scripts:
        return []
    want = default_sample_size(len(scripts)) if size is None else max(1, min(size, len(scripts)))
    by_total = sorted(scripts, key=lambda s: (s.total, s.candidate_number))
    reasons: dict[str, list[str]] = {}

    def pick(script: EqaCandidate, why: str) -> None:
        reasons.setdefault(script.candidate_number, [])
        if why not in reasons[script.candidate_number]:
            reasons[script.candidate_number].append(why)

    pick(by_total[-1], "highest total")
    pick(by_total[0], "lowest total")
    if pass_mark is not None:
        passes = [s for s in by_total if s.passed]
        fails = [s for s in by_total if not s.passed]
        if passes:
            nearest = min(passes, key=lambda s: (s.total - pass_mark, s.candidate_number))
            pick(nearest, f"the pass closest to the pass mark ({nearest.total}; pass mark {pass_mark})")
        if fails:
            nearest = min(fails, key=lambda s: (pass_mark - s.total, s.candidate_number))
            pick(nearest, f"the fail closest to the pass mark ({nearest.total}; pass mark {pass_mark})")
    markers = sorted({m for s in scripts for m in s.markers})
    for marker in markers:
        theirs = [s for s in by_total if marker in s.markers]
        if not any(s.candidate_number in reasons for s in theirs):
            pick(theirs[len(theirs) // 2], f"marked by {marker}")
        else:
            for s in theirs:
                if s.candidate_number in reasons:
                    pick(s, f"marked by {marker}")
                    break
    with_arrangements = [s for s in by_total if s.arrangements.strip()]
    if with_arrangements and not any(s.candidate_number in reasons for s in with_arrangements):
        chosen = with_arrangements[len(with_arrangements) // 2]
        pick(chosen, f"access arrangements ({chosen.arrangements.strip()})")
    else:
        for s in with_arrangements:
            if s.candidate_number in reasons:
                pick(s, f"access arrangements ({s.arrangements.strip()})")
    # Fill with the spread: each time, the unpicked script farthest (in total) from every picked one.
    while len(reasons) < want:
        rest = [s for s in by_total if s.candidate_number not in reasons]
        if not rest:
            break
        chosen_totals = [s.total for s in by_total if s.candidate_number in reasons]
        far = max(rest, key=lambda s: (min(abs(s.total - t) for t in chosen_totals), s.candidate_number))
        pick(far, "spread of totals")
    order = {s.candidate_number: i for i, s in enumerate(by_total)}
    return [EqaPick(candidate_number=n, reasons=tuple(r)) for n, r in sorted(reasons.items(), key=lambda kv: order[kv[0]])]
