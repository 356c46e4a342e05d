"""The IQA sampling plan: which marked scripts an internal quality assurer reviews, and why.

Pure: the caller passes the marked scripts of a sitting (or of a unit across
sittings), the strategy, the reviewer and optionally a seed; the plan depends on
nothing else. The same inputs and seed give the same plan whatever order the
scripts arrive in, so a plan can be reproduced from the seed it records.

Who may review what
-------------------
Centre staff cannot internally verify their own assessments. A script marked
(wholly or partly) by the reviewer is never offered to them: :func:`build_sample`
lists it under ``excluded`` instead, and :func:`check_reviewer_may_review`
refuses such a review even when someone asks for it directly.

Names are compared ignoring case and repeated spaces ("sam  patel" is
Sam Patel), so a typing difference cannot let a reviewer review their own work.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from .base import Identifier, Model, NonEmptyText
from .marking import FAIL, NOT_YET_MARKED, ScriptResult
from .ordering import natural_key

OWN_ASSESSMENT_RULE = "centre staff cannot internally verify their own assessments"


class OwnMarkingRefused(ValueError):
    """A reviewer asked to review a script they marked; ``str(error)`` is fit to show them."""


def person_key(name: str) -> str:
    """How two spellings of a name are compared: case and repeated spaces ignored."""
    return " ".join(name.split()).casefold()


def check_reviewer_may_review(script_markers: Iterable[str] | str, reviewer: str) -> None:
    """Refuse (:class:`OwnMarkingRefused`) if ``reviewer`` marked any part of the script."""
    markers = [script_markers] if isinstance(script_markers, str) else list(script_markers)
    if not reviewer or not reviewer.strip():
        raise ValueError("a review needs a named reviewer")
    if any(person_key(m) == person_key(reviewer) for m in markers):
        raise OwnMarkingRefused(
            f"{' '.join(reviewer.split())} marked this script and cannot review it: "
            f"{OWN_ASSESSMENT_RULE}"
        )


# --- inputs ---------------------------------------------------------------------------


def _one_name_is_a_list(value: object) -> object:
    return (value,) if isinstance(value, str) else value


class SamplingStrategy(Model):
    """How an IQA sample is chosen: every rule below adds scripts, none removes any.

    In plain words:

    1. **New markers**: every script marked by someone in ``new_markers`` is
       sampled (100 %), until the centre is confident in their marking.
    2. **Fails**: with ``include_fails`` (the default), every script whose
       result is a fail is sampled, because a fail is what a learner appeals.
    3. **Borderline**: every script whose total is within ``borderline_marks``
       of its pass mark, either side, is sampled (with 2 and a pass mark of
       27: totals 25 to 29). ``None`` switches this rule off.
    4. **Minimum per marker**: each marker then has at least
       ``min_scripts_per_marker`` or ``min_fraction_per_marker`` of their marked
       scripts in the sample, whichever is greater (fractions round *up*: 25 %
       of 10 scripts is 3), or all of them if they marked fewer. Scripts
       already chosen by rules 1 to 3 count towards a marker's minimum; only
       the shortfall is drawn at random from the rest of their scripts. (A
       centre expects "at least 3 of Ana's scripts", not "3 more on top of
       Ana's fails".) A script marked by two markers counts for both.
    5. **Pass and fail decisions**: with ``cover_decisions`` (the default),
       each marker with any script in the sample has at least one pass and one fail wherever
       they made both, so a sample of only fails cannot hide a marker who
       passes work that should fail. A missing kind is drawn at random; a
       marker who made only one kind of decision is said so in the notes.

    Random draws use ``random.Random(seed)``, never the global generator; the
    plan records the seed it used so it can be rebuilt. A seed passed to
    :func:`build_sample` wins over ``seed`` here; with neither, one is derived
    from the scripts, the reviewer and these rules.
    """

    min_scripts_per_marker: int = Field(default=3, ge=0)
    min_fraction_per_marker: float = Field(default=0.25, ge=0, le=1)
    borderline_marks: int | None = Field(
        default=2, ge=0, description="Within ± this of the pass mark is borderline; None = off."
    )
    include_fails: bool = True
    cover_decisions: bool = Field(
        default=True, description="Each marker's sample holds a pass and a fail where they made both."
    )
    new_markers: frozenset[NonEmptyText] = Field(
        default=frozenset(), description="Markers whose scripts are all sampled."
    )
    seed: int | None = None

    def describe(self) -> str:
        """The strategy in words, for the IQA record (the seed is recorded separately)."""
        parts: list[str] = []
        if self.new_markers:
            names = ", ".join(sorted(self.new_markers, key=person_key))
            parts.append(f"every script of a new marker ({names})")
        if self.include_fails:
            parts.append("every fail")
        if self.borderline_marks is not None:
            parts.append(f"every script within {self.borderline_marks} of the pass mark")
        n, pct = self.min_scripts_per_marker, self.min_fraction_per_marker
        if n or pct:
            if n and pct:
                rule = f"at least {n} or {_percent_text(pct)}% of each marker's scripts, whichever is greater"
            elif n:
                rule = f"at least {n} of each marker's scripts"
            else:
                rule = f"at least {_percent_text(pct)}% of each marker's scripts"
            parts.append(f"{rule} (the scripts above count towards it; the rest are drawn at random)")
        if self.cover_decisions:
            parts.append("a pass and a fail of each marker who made both")
        if not parts:
            return "No scripts are sampled."
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + ". A reviewer never reviews their own marking."

    def is_new_marker(self, name: str) -> bool:
        return person_key(name) in {person_key(n) for n in self.new_markers}

    def required_for(self, marked: int) -> int:
        """How many of a marker's ``marked`` scripts the minimum asks for."""
        # Fraction(str(...)): 0.1 × 30 must be 3, not 3.0000000000000004 rounded up to 4.
        share = ceil(Fraction(str(self.min_fraction_per_marker)) * marked)
        return min(max(self.min_scripts_per_marker, share), marked)


class MarkedScript(Model):
    """One script as the sampling rules see it.

    ``markers`` lists everyone who marked part of it (a script may be split
    between markers, or marked twice); it is kept in name order, each person once. ``status`` is the result in users'
    words (``"pass"``, ``"fail"``, a grade name or ``"not yet marked"``), as
    :class:`~marker_tui.domain.marking.ScriptResult` gives it.
    """

    script_ref: Identifier
    markers: Annotated[tuple[NonEmptyText, ...], BeforeValidator(_one_name_is_a_list)] = Field(
        min_length=1
    )
    total: int | None
    pass_mark: int
    status: NonEmptyText

    @field_validator("markers")
    @classmethod
    def _markers_in_name_order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Sorted and each person once, so the order a query returns them in
        # cannot change the plan (or its equality with a rebuilt one).
        unique: dict[str, str] = {}
        for name in value:
            unique.setdefault(person_key(name), " ".join(name.split()))
        return tuple(unique[k] for k in sorted(unique))

    @model_validator(mode="after")
    def _total_known_once_marked(self) -> MarkedScript:
        if self.status != NOT_YET_MARKED and self.total is None:
            raise ValueError(f"script {self.script_ref} is '{self.status}' but has no total")
        return self

    @classmethod
    def from_result(
        cls, script_ref: str, markers: Iterable[str] | str, result: ScriptResult
    ) -> MarkedScript:
        return cls(
            script_ref=script_ref,
            markers=markers,  # type: ignore[arg-type]  # validator accepts one name or many
            total=result.total,
            pass_mark=result.pass_mark,
            status=result.status,
        )

    @property
    def is_marked(self) -> bool:
        return self.status != NOT_YET_MARKED

    @property
    def is_fail(self) -> bool:
        return self.status == FAIL


# --- the plan -------------------------------------------------------------------------


class SampledScript(Model):
    """A script in the sample, with every reason it is there (in the strategy's rule order)."""

    script_ref: Identifier
    markers: tuple[str, ...]
    total: int
    pass_mark: int
    status: str
    reasons: tuple[str, ...] = Field(min_length=1)


class ExcludedScript(Model):
    """A script the sample could not include, and why."""

    script_ref: Identifier
    markers: tuple[str, ...]
    reason: str


class MarkerCoverage(Model):
    """How far the plan meets the minimum for one marker."""

    marker: str
    marked: int = Field(description="The marker's marked scripts.")
    required: int = Field(description="The minimum the strategy asks for.")
    chosen: int = Field(description="Their scripts in this plan, for any reason.")
    offerable: int = Field(description="Their scripts this reviewer may review.")

    @property
    def shortfall(self) -> int:
        """Scripts another reviewer must sample (this one marked them too)."""
        return max(0, self.required - self.chosen)


class SamplingPlan(Model):
    reviewer: str
    strategy: SamplingStrategy
    seed: int
    seed_source: Literal["given", "strategy", "derived"]
    """Where the seed came from: passed in, the strategy's, or derived from the inputs."""
    chosen: tuple[SampledScript, ...]
    """In script order."""
    excluded: tuple[ExcludedScript, ...]
    """Scripts the reviewer marked (never offered to them) and scripts not yet marked."""
    markers: tuple[MarkerCoverage, ...]
    """One row per marker, in name order."""
    notes: tuple[str, ...]
    """Anything the plan could not do, in words (a minimum this reviewer cannot meet)."""

    @property
    def script_refs(self) -> tuple[str, ...]:
        return tuple(s.script_ref for s in self.chosen)

    def reasons_for(self, script_ref: str) -> tuple[str, ...]:
        """Why ``script_ref`` is in the sample; empty if it is not."""
        found = next((s for s in self.chosen if s.script_ref == script_ref), None)
        return found.reasons if found else ()


# --- building it ----------------------------------------------------------------------


def _possessive(name: str) -> str:
    return f"{name}'s"


def _scripts_word(n: int) -> str:
    return f"{n} script" if n == 1 else f"{n} scripts"


def _percent_text(fraction: float) -> str:
    value = (Decimal(str(fraction)) * 100).normalize()
    return f"{value:f}"


def _random_reason(strategy: SamplingStrategy, marker: str, marked: int) -> str:
    n, pct = strategy.min_scripts_per_marker, strategy.min_fraction_per_marker
    if pct == 0:
        rule = f"minimum {n}"
    elif n == 0:
        rule = f"minimum {_percent_text(pct)}%"
    else:
        rule = f"minimum {n} or {_percent_text(pct)}%"
    return f"random: {rule} of {_possessive(marker)} {_scripts_word(marked)}"


def _decision(script: MarkedScript) -> str:
    return "fail" if script.is_fail else "pass"


def _cover_decisions(marker: str, theirs: list[MarkedScript], offerable: list[MarkedScript],
                     reasons: dict[str, list[str]], rng: random.Random) -> list[str]:
    """Rule 5: the sample holds at least one pass and one fail decision of ``marker`` where both exist.

    A sample of only fails cannot show whether a marker passes work that should
    fail, so a missing kind is drawn at random from the marker's offerable
    scripts. Returns notes for the plan: a marker who made only one kind of
    decision, or whose only scripts of a kind this reviewer cannot review.
    """
    if not any(s.script_ref in reasons for s in offerable):
        return []  # nothing of theirs is sampled (the rules ask for none): nothing to balance
    made = {_decision(s) for s in theirs}
    if len(made) < 2:
        only = next(iter(made))
        return [f"{marker}: every marked script is a {only}, so only {only} decisions can be sampled"]
    notes: list[str] = []
    for kind in ("pass", "fail"):
        if any(_decision(s) == kind and s.script_ref in reasons for s in offerable):
            continue
        pool = [s for s in offerable if _decision(s) == kind and s.script_ref not in reasons]
        if not pool:
            notes.append(f"{marker}: no {kind} decision can be offered to this reviewer "
                         f"(they marked those scripts); another reviewer must sample one")
            continue
        picked = rng.choice(pool)
        reasons[picked.script_ref] = [f"{kind} decision: {_possessive(marker)} sample holds both a pass and a fail"]
    return notes


def derive_seed(scripts: Iterable[MarkedScript], reviewer: str, strategy: SamplingStrategy) -> int:
    """A seed computed from the inputs alone (order-independent), for when none is given.

    SHA-256 of a canonical JSON of the sorted inputs, cut to 32 bits so a person
    can read it out or type it back in.
    """
    canonical = {
        "reviewer": person_key(reviewer),
        "strategy": strategy.model_dump(mode="json", exclude={"seed"}),
        "scripts": sorted(
            [s.script_ref, sorted(person_key(m) for m in s.markers), s.total, s.pass_mark, s.status]
            for s in scripts
        ),
    }
    canonical["strategy"]["new_markers"] = sorted(person_key(n) for n in strategy.new_markers)
    digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode("utf-8")).hexdigest()
    return int(digest[:8], 16)


def build_sample(
    scripts: Iterable[MarkedScript],
    strategy: SamplingStrategy,
    reviewer: str,
    seed: int | None = None,
) -> SamplingPlan:
    """Choose the scripts ``reviewer`` should review, each with all its reasons.

    See :class:`SamplingStrategy` for the rules. Scripts the reviewer marked
    are excluded (and listed), scripts not yet marked are excluded (and
    listed); a marker's minimum that cannot be met because the reviewer marked
    some of their scripts is reported in ``notes`` for another reviewer to pick up.
    """
    if not reviewer or not reviewer.strip():
        raise ValueError("a sampling plan needs a named reviewer")
    if isinstance(seed, bool):
        raise ValueError("a seed is a whole number")
    ordered = sorted(scripts, key=lambda s: natural_key(s.script_ref))
    counts = Counter(s.script_ref for s in ordered)
    duplicates = sorted((r for r, n in counts.items() if n > 1), key=natural_key)
    if duplicates:
        raise ValueError(f"script {', '.join(duplicates)} is listed more than once")

    if seed is not None:
        used_seed, source = seed, "given"
    elif strategy.seed is not None:
        used_seed, source = strategy.seed, "strategy"
    else:
        used_seed, source = derive_seed(ordered, reviewer, strategy), "derived"
    rng = random.Random(used_seed)

    reviewer_key = person_key(reviewer)
    # One display spelling per person: the first met, scripts and names in sorted order.
    display: dict[str, str] = {}
    for script in ordered:
        for name in sorted(script.markers, key=person_key):
            display.setdefault(person_key(name), " ".join(name.split()))

    excluded: list[ExcludedScript] = []
    eligible: list[MarkedScript] = []
    for script in ordered:
        if any(person_key(m) == reviewer_key for m in script.markers):
            # Checked first: even once marked, this reviewer may never see it.
            excluded.append(
                ExcludedScript(
                    script_ref=script.script_ref,
                    markers=script.markers,
                    reason=f"marked by {display[reviewer_key]}: {OWN_ASSESSMENT_RULE}",
                )
            )
        elif not script.is_marked:
            excluded.append(
                ExcludedScript(
                    script_ref=script.script_ref,
                    markers=script.markers,
                    reason="not yet marked: only marked scripts are sampled",
                )
            )
        else:
            eligible.append(script)

    # Rules 1-3: every eligible script that meets a rule, with every rule it meets.
    reasons: dict[str, list[str]] = {}
    for script in eligible:
        found: list[str] = []
        for key in sorted({person_key(m) for m in script.markers}):
            if strategy.is_new_marker(key):
                found.append(f"new marker: all of {_possessive(display[key])} scripts")
        if strategy.include_fails and script.is_fail:
            found.append("fail")
        if strategy.borderline_marks is not None:
            assert script.total is not None  # marked scripts have a total
            if abs(script.total - script.pass_mark) <= strategy.borderline_marks:
                found.append(
                    f"borderline: {script.total} is within {strategy.borderline_marks} "
                    f"of the pass mark {script.pass_mark}"
                )
        if found:
            reasons[script.script_ref] = found

    # Rule 4: top each marker up to their minimum, in name order so draws are reproducible.
    # Each marker's scripts, in script order; a script counts for every one of its markers.
    marked_by: dict[str, list[MarkedScript]] = {}
    offerable_by: dict[str, list[MarkedScript]] = {}
    eligible_refs = {s.script_ref for s in eligible}
    for script in ordered:
        if not script.is_marked:
            continue
        for key in {person_key(m) for m in script.markers}:
            marked_by.setdefault(key, []).append(script)
            if script.script_ref in eligible_refs:
                offerable_by.setdefault(key, []).append(script)

    coverage: list[MarkerCoverage] = []
    notes: list[str] = []
    for key in sorted(marked_by):  # markers with only unmarked scripts have nothing to sample yet
        theirs = marked_by[key]
        offerable = offerable_by.get(key, [])
        required = strategy.required_for(len(theirs))
        already = sum(1 for s in offerable if s.script_ref in reasons)
        if already < required:
            pool = [s for s in offerable if s.script_ref not in reasons]
            draw = min(required - already, len(pool))
            why = _random_reason(strategy, display[key], len(theirs))
            for picked in rng.sample(pool, draw):
                reasons[picked.script_ref] = [why]
        if strategy.cover_decisions:
            notes.extend(_cover_decisions(display[key], theirs, offerable, reasons, rng))
        chosen = sum(1 for s in offerable if s.script_ref in reasons)
        row = MarkerCoverage(
            marker=display[key],
            marked=len(theirs),
            required=required,
            chosen=chosen,
            offerable=len(offerable),
        )
        coverage.append(row)
        if row.shortfall:
            # Only the reviewer's own marking can leave a marker short: required
            # never exceeds their scripts, and every other script is offerable.
            own = len(theirs) - len(offerable)
            notes.append(
                f"{row.marker}: {required} of {_scripts_word(len(theirs))} needed but only "
                f"{chosen} can be offered to {display[reviewer_key]}, who marked {own} of them; "
                f"another reviewer must sample {row.shortfall} more"
            )

    chosen_scripts = tuple(
        SampledScript(
            script_ref=s.script_ref,
            markers=s.markers,
            total=s.total,  # type: ignore[arg-type]  # eligible scripts are marked
            pass_mark=s.pass_mark,
            status=s.status,
            reasons=tuple(reasons[s.script_ref]),
        )
        for s in eligible
        if s.script_ref in reasons
    )
    return SamplingPlan(
        reviewer=" ".join(reviewer.split()),
        strategy=strategy,
        seed=used_seed,
        seed_source=source,
        chosen=chosen_scripts,
        excluded=tuple(excluded),
        markers=tuple(coverage),
        notes=tuple(notes),
    )
