"""What each exported document contains: the report models the document writers render.

Pure data (pydantic v2, no I/O). The export service fills these from the
database; the writers in ``documents`` turn them into CSV, XLSX and
Word files and never read the database themselves. Everything a document shows
is here, so a test can build a model by hand, write it and read the figures back.

The models check that a document cannot disagree with itself (a total that is not
the sum of its marks, a mark above its maximum, an outcome maximum that is not the
sum of its questions' maxima...) and refuse it with a ``ValidationError`` rather
than export it. They do **not** clean text: control characters and the like are
kept as given and removed by the writers, which know what their format can hold.
(Required text fields refuse lone UTF-16 surrogates outright, because pydantic's
constrained strings cannot hold them; plain optional text keeps them, and the
writers drop them.)

Conventions:

* A mark is ``int | None``: ``None`` means *not marked* and is never shown or
  counted as 0.
* Percentages are 0-100 as the service computed them (``marking.percent_one_decimal``
  or any other rounding to 1 decimal place is accepted); the writers show 1 decimal place.
* Optional free text that is blank (only whitespace) is treated as absent, so a
  writer never renders an empty "Overall feedback" section.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Field, NonNegativeInt, PositiveInt, model_validator

from .base import Identifier, Model, NonEmptyText
from .ordering import natural_key

#: How far a stated percentage may be from 100 × total ÷ maximum (rounding to 1 dp).
PERCENT_TOLERANCE = 0.05 + 1e-9


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
"""Free text that may be absent; whitespace-only text counts as absent."""

Mark = Annotated[int | None, Field(ge=0)]
"""Marks awarded; ``None`` = not marked (never 0)."""


def _percent_agrees(percentage: float | None, total: int | None, maximum: int) -> bool:
    if total is None or percentage is None:
        return total is None and percentage is None
    if maximum == 0:
        return percentage == 0
    return abs(percentage - 100 * total / maximum) <= PERCENT_TOLERANCE


class ScriptDecision(StrEnum):
    """What an internal quality assurer decided about a sampled script."""

    UPHELD = "marking upheld"
    ADJUSTED = "marks adjusted"
    REFER_BACK = "refer back to marker"


# --------------------------------------------------------------------------------------
# Results and mark sheets
# --------------------------------------------------------------------------------------


class QuestionColumn(Model):
    """One question of the paper as a results column: ``Q2a (4)``."""

    id: Identifier
    max_marks: NonNegativeInt
    outcome: PositiveInt = Field(description="The learning outcome the question assesses.")

    @property
    def heading(self) -> str:
        return f"Q{self.id} ({self.max_marks})"


class OutcomeColumn(Model):
    """One learning outcome as a results column: ``Outcome 1 (18)``."""

    number: PositiveInt
    title: NonEmptyText
    max_marks: NonNegativeInt = Field(
        description="The sum of the maxima of the outcome's questions on this paper."
    )

    @property
    def heading(self) -> str:
        return f"Outcome {self.number} ({self.max_marks})"


class ResultRow(Model):
    """One candidate's line of the results sheet. Learners' answers are never here."""

    candidate_number: Identifier
    name: NonEmptyText
    question_marks: dict[str, Mark] = Field(
        description="Every question id of the sheet -> marks, None = not marked."
    )
    outcome_marks: dict[int, Mark] = Field(
        description="Every outcome number of the sheet -> marks; None unless all its questions are marked."
    )
    total: Mark = Field(description="None unless every question is marked.")
    percentage: float | None = Field(default=None, description="100 × total ÷ maximum; None when total is None.")
    result: NonEmptyText = Field(description='"not yet marked", "pass", "fail", "Merit"...')
    fail_reasons: list[NonEmptyText] = Field(
        default_factory=list, description='Why a marked script failed, e.g. "outcome 2: 4 marks, below the minimum 5".'
    )
    markers: list[NonEmptyText] = Field(default_factory=list)
    iqa_sampled: bool = False
    iqa_decision: ScriptDecision | None = Field(
        default=None, description="None if not sampled, or sampled and not yet reviewed."
    )
    not_attempted: list[str] = Field(
        default_factory=list, description="Questions left blank and given 0: shown as not attempted, not 0."
    )
    review_of_marking: str | None = Field(
        default=None, description="The latest review of marking's outcome (or that one is under way)."
    )
    arrangements_used: str = Field(default="", description='The access arrangements in force for this script, '
                                   'e.g. "25% extra time; reader" (copied when enrolled).')
    nothing_to_mark: bool = Field(default=False, description="Absent, or not submitted yet (still writing or not "
                                  "started): there are no marks to give, so the mark cells are empty rather than "
                                  '"not marked", which would read as marking left to do.')

    @model_validator(mode="after")
    def _iqa_decision_needs_sample(self) -> ResultRow:
        if self.iqa_decision is not None and not self.iqa_sampled:
            raise ValueError(
                f"candidate {self.candidate_number}: an IQA decision without the script being sampled"
            )
        return self


class ItemSummary(Model):
    """Summary figures for one question, one outcome or the whole paper.

    Computed only from the rows where the item has a mark: unmarked scripts are
    left out (not counted as 0), so ``number_marked`` may be below the number of
    candidates. ``mean`` and ``facility`` are ``None`` when nothing is marked yet;
    ``facility`` is also ``None`` for an item whose maximum is 0.
    """

    label: str = Field(description='"Q2a", "Outcome 1" or "Total".')
    title: str | None = None
    max_marks: int
    number_marked: int
    mean: float | None = Field(description="Mean mark over the marked rows.")
    facility: float | None = Field(description="mean ÷ maximum, 0-1.")
    not_attempted: int = Field(default=0, description="Of the marked rows, how many left the question blank.")


class ResultsSummary(Model):
    questions: list[ItemSummary]
    outcomes: list[ItemSummary]
    total: ItemSummary


def _summarise(label: str, title: str | None, max_marks: int, marks: list[int | None],
               not_attempted: int = 0) -> ItemSummary:
    marked = [m for m in marks if m is not None]
    mean = sum(marked) / len(marked) if marked else None
    facility = mean / max_marks if mean is not None and max_marks else None
    return ItemSummary(
        label=label, title=title, max_marks=max_marks, number_marked=len(marked), mean=mean, facility=facility,
        not_attempted=not_attempted,
    )


class ResultsSheet(Model):
    """The results and mark sheet of one sitting: one row per candidate."""

    centre_name: NonEmptyText
    centre_number: OptionalText = None
    qualification_number: Identifier
    qualification_title: NonEmptyText
    unit_number: Identifier
    unit_title: NonEmptyText
    sitting_code: Identifier
    sitting_date: date
    questions: list[QuestionColumn] = Field(min_length=1)
    outcomes: list[OutcomeColumn] = Field(min_length=1)
    rows: list[ResultRow] = Field(default_factory=list)

    @property
    def max_total(self) -> int:
        return sum(q.max_marks for q in self.questions)

    @property
    def has_reviews(self) -> bool:
        """Some script had a review of marking: the sheet gets a "Review of marking" column."""
        return any(r.review_of_marking for r in self.rows)

    @model_validator(mode="after")
    def _consistent(self) -> ResultsSheet:
        qids = [q.id for q in self.questions]
        if len(set(qids)) != len(qids):
            raise ValueError(f"question ids repeat: {qids}")
        numbers = [o.number for o in self.outcomes]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"outcome numbers repeat: {numbers}")
        for outcome in self.outcomes:
            of_outcome = sum(q.max_marks for q in self.questions if q.outcome == outcome.number)
            if of_outcome != outcome.max_marks:
                raise ValueError(
                    f"outcome {outcome.number} maximum {outcome.max_marks} is not the sum of its "
                    f"questions' maxima ({of_outcome})"
                )
        unknown = {q.outcome for q in self.questions} - set(numbers)
        if unknown:
            raise ValueError(f"questions assess outcomes that have no column: {sorted(unknown)}")
        seen: set[str] = set()
        for row in self.rows:
            self._check_row(row)
            if row.candidate_number in seen:
                raise ValueError(f"candidate {row.candidate_number} appears twice")
            seen.add(row.candidate_number)
        return self

    def _check_row(self, row: ResultRow) -> None:
        who = f"candidate {row.candidate_number}"
        if set(row.question_marks) != {q.id for q in self.questions}:
            raise ValueError(f"{who}: question marks must name every question exactly (None = not marked)")
        if set(row.outcome_marks) != {o.number for o in self.outcomes}:
            raise ValueError(f"{who}: outcome marks must name every outcome exactly (None = not marked)")
        for q in self.questions:
            mark = row.question_marks[q.id]
            if mark is not None and mark > q.max_marks:
                raise ValueError(f"{who}: Q{q.id} has {mark} marks, more than its maximum {q.max_marks}")
        for o in self.outcomes:
            marks = [row.question_marks[q.id] for q in self.questions if q.outcome == o.number]
            expected = None if any(m is None for m in marks) else sum(marks)  # type: ignore[arg-type]
            if row.outcome_marks[o.number] != expected:
                raise ValueError(
                    f"{who}: outcome {o.number} shows {row.outcome_marks[o.number]}, its questions give {expected}"
                )
        marks = list(row.question_marks.values())
        expected_total = None if any(m is None for m in marks) else sum(marks)  # type: ignore[arg-type]
        if row.total != expected_total:
            raise ValueError(f"{who}: total {row.total} is not the sum of the question marks ({expected_total})")
        if not _percent_agrees(row.percentage, row.total, self.max_total):
            raise ValueError(f"{who}: percentage {row.percentage} does not match {row.total} of {self.max_total}")

    def summary(self) -> ResultsSummary:
        """Mean mark, facility (mean ÷ maximum) and number marked per question, per outcome
        and for the whole paper, from the rows where that item is marked (unmarked excluded)."""
        return ResultsSummary(
            questions=[
                _summarise(f"Q{q.id}", None, q.max_marks, [r.question_marks[q.id] for r in self.rows],
                           sum(1 for r in self.rows if q.id in r.not_attempted))
                for q in self.questions
            ],
            outcomes=[
                _summarise(f"Outcome {o.number}", o.title, o.max_marks, [r.outcome_marks[o.number] for r in self.rows])
                for o in self.outcomes
            ],
            total=_summarise("Total", None, self.max_total, [r.total for r in self.rows]),
        )


# --------------------------------------------------------------------------------------
# Word feedback for one learner
# --------------------------------------------------------------------------------------


class OutcomeFeedback(Model):
    number: PositiveInt
    title: NonEmptyText
    achieved: NonNegativeInt
    available: NonNegativeInt
    minimum: NonNegativeInt | None = Field(default=None, description="The pass rule's minimum for this outcome, if any.")

    @model_validator(mode="after")
    def _within(self) -> OutcomeFeedback:
        if self.achieved > self.available:
            raise ValueError(f"outcome {self.number}: {self.achieved} achieved of {self.available} available")
        return self


class IqaMarkChange(Model):
    """Internal quality assurance changed this question's mark: what the marker gave, and why."""

    marker_mark: NonNegativeInt
    reason: OptionalText = None


class QuestionFeedback(Model):
    id: Identifier
    text: NonEmptyText = Field(description="The question as the paper puts it (soft-wrapped text is reflowed).")
    awarded: NonNegativeInt
    available: NonNegativeInt
    comment: OptionalText = Field(default=None, description="The marker's comment on this answer.")
    criteria: list[Identifier] = Field(default_factory=list, description="Assessment criteria the question covers.")
    answer: str | None = Field(default=None, description="The learner's own answer, where the centre includes it "
                                                          "(None: left out; empty text: not answered).")
    iqa_change: IqaMarkChange | None = Field(default=None, description="Where IQA changed the marker's mark.")
    not_attempted: bool = Field(default=False, description="Left blank: the document says \"not attempted\".")

    @model_validator(mode="after")
    def _within(self) -> QuestionFeedback:
        if self.awarded > self.available:
            raise ValueError(f"question {self.id}: {self.awarded} awarded of {self.available} available")
        return self


class CriterionStatus(StrEnum):
    MET = "met"
    PARTLY_MET = "partly met"
    NOT_MET = "not met"


class CriterionFeedback(Model):
    """One assessment criterion and the marks the learner earned on the questions covering it.

    A criterion is *met* when every mark on those questions was earned, *partly met*
    when some were, *not met* when none were. The unit's result is still decided by
    the total (and any outcome minimums); this shows where the marks came from.
    """

    number: Identifier
    outcome: PositiveInt
    text: OptionalText = Field(default=None, description="The criterion's words from the test specification.")
    questions: list[Identifier] = Field(min_length=1)
    achieved: NonNegativeInt
    available: NonNegativeInt

    @property
    def status(self) -> CriterionStatus:
        if self.available and self.achieved >= self.available:
            return CriterionStatus.MET
        return CriterionStatus.PARTLY_MET if self.achieved else CriterionStatus.NOT_MET

    @model_validator(mode="after")
    def _within(self) -> CriterionFeedback:
        if self.achieved > self.available:
            raise ValueError(f"criterion {self.number}: {self.achieved} achieved of {self.available} available")
        return self


def criteria_evidence(questions: Sequence[QuestionFeedback], outcome_of: Mapping[str, int],
                      texts: Mapping[str, str] | None = None) -> list[CriterionFeedback]:
    """Each criterion the questions cover, with the marks earned on them, in criterion order."""
    found: dict[str, dict[str, Any]] = {}
    for q in questions:
        for number in q.criteria:
            entry = found.setdefault(number, {"questions": [], "achieved": 0, "available": 0,
                                              "outcome": outcome_of[q.id]})
            entry["questions"].append(q.id)
            entry["achieved"] += q.awarded
            entry["available"] += q.available
    texts = texts or {}
    return [CriterionFeedback(number=n, text=texts.get(n), **found[n]) for n in sorted(found, key=natural_key)]


class IqaSignOff(Model):
    """The internal quality assurer's sign-off on one sampled script."""

    reviewer: NonEmptyText
    signed_on: date
    decision: ScriptDecision


class LearnerFeedback(Model):
    """One learner's feedback document. Only a fully marked script has one, so every
    mark here is a number; the export service skips scripts not yet marked."""

    centre_name: NonEmptyText
    centre_number: OptionalText = None
    qualification_number: Identifier
    qualification_title: NonEmptyText
    unit_number: Identifier
    unit_title: NonEmptyText
    sitting_code: OptionalText = None
    sitting_date: date
    candidate_number: Identifier
    candidate_name: NonEmptyText
    result: NonEmptyText = Field(description='"pass", "fail", "Merit"...')
    total: NonNegativeInt
    available: NonNegativeInt
    percentage: float
    pass_mark: NonNegativeInt | None = None
    fail_reasons: list[NonEmptyText] = Field(default_factory=list, description="Why the script failed, in words.")
    outcomes: list[OutcomeFeedback] = Field(min_length=1)
    questions: list[QuestionFeedback] = Field(min_length=1)
    overall_feedback: OptionalText = None
    next_steps: OptionalText = None
    marker_name: NonEmptyText
    marked_date: date
    iqa: IqaSignOff | None = Field(default=None, description="Only where the script was sampled and reviewed.")
    criteria: list[CriterionFeedback] = Field(default_factory=list)
    answers_included: bool = Field(default=False, description="Whether the learner's own answers are shown.")
    arrangements_used: str = Field(default="", description="The access arrangements in force for the sitting.")

    @model_validator(mode="after")
    def _consistent(self) -> LearnerFeedback:
        who = f"candidate {self.candidate_number}"
        if sum(q.awarded for q in self.questions) != self.total:
            raise ValueError(f"{who}: total {self.total} is not the sum of the question marks")
        if sum(q.available for q in self.questions) != self.available:
            raise ValueError(f"{who}: {self.available} available is not the sum of the questions' maxima")
        if sum(o.achieved for o in self.outcomes) != self.total:
            raise ValueError(f"{who}: outcome marks do not add up to the total {self.total}")
        if sum(o.available for o in self.outcomes) != self.available:
            raise ValueError(f"{who}: outcome maxima do not add up to {self.available}")
        if not _percent_agrees(self.percentage, self.total, self.available):
            raise ValueError(f"{who}: percentage {self.percentage} does not match {self.total} of {self.available}")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{who}: question ids repeat: {ids}")
        return self


# --------------------------------------------------------------------------------------
# Internal quality assurance record
# --------------------------------------------------------------------------------------


class SampledScript(Model):
    """One script in the IQA sample, and every reason it was chosen
    (``domain.sampling.SampledScript``, keyed here by candidate number)."""

    candidate_number: Identifier
    candidate_name: OptionalText = None
    markers: list[NonEmptyText] = Field(min_length=1)
    total: NonNegativeInt | None = Field(default=None, description="The marker's total, if marked.")
    reasons: list[NonEmptyText] = Field(
        min_length=1, description='e.g. "a fail", "new marker", "within 2 of the pass mark", "drawn at random".'
    )


class ExcludedScript(Model):
    """A script the sample could not include, and why (e.g. the reviewer marked it)."""

    candidate_number: Identifier
    markers: list[NonEmptyText] = Field(default_factory=list)
    reason: NonEmptyText


class MarkerCoverage(Model):
    """How far the sample meets the strategy's minimum for one marker."""

    marker: NonEmptyText
    marked: NonNegativeInt = Field(description="The marker's marked scripts.")
    required: NonNegativeInt = Field(description="The minimum the strategy asks for.")
    chosen: NonNegativeInt = Field(description="Their scripts in the sample, for any reason.")


class QuestionReview(Model):
    """The reviewer's view of one question of a sampled script."""

    question_id: Identifier
    max_marks: NonNegativeInt
    marker_mark: NonNegativeInt
    iqa_mark: NonNegativeInt | None = Field(
        default=None, description="The reviewer's mark where it differs; None (or equal) = agree."
    )
    reason: OptionalText = Field(default=None, description="Required where the marks differ.")
    not_attempted: bool = Field(default=False, description="Left blank by the learner (and given 0).")

    @property
    def agreed(self) -> bool:
        return self.iqa_mark is None or self.iqa_mark == self.marker_mark

    @property
    def final_mark(self) -> int:
        return self.marker_mark if self.iqa_mark is None else self.iqa_mark

    @model_validator(mode="after")
    def _consistent(self) -> QuestionReview:
        for name, mark in (("marker", self.marker_mark), ("IQA", self.iqa_mark)):
            if mark is not None and mark > self.max_marks:
                raise ValueError(f"Q{self.question_id}: {name} mark {mark} is above the maximum {self.max_marks}")
        if not self.agreed and self.reason is None:
            raise ValueError(f"Q{self.question_id}: a different mark needs a reason")
        return self


class ScriptReview(Model):
    """One reviewed script: the decision, the per-question review and feedback to the marker."""

    candidate_number: Identifier
    markers: list[NonEmptyText] = Field(min_length=1)
    reviewer: NonEmptyText
    reviewed_on: date
    decision: ScriptDecision
    decision_reason: OptionalText = None
    questions: list[QuestionReview] = Field(default_factory=list)
    feedback_to_marker: OptionalText = None

    @property
    def marker_total(self) -> int:
        return sum(q.marker_mark for q in self.questions)

    @property
    def final_total(self) -> int:
        return sum(q.final_mark for q in self.questions)

    @model_validator(mode="after")
    def _consistent(self) -> ScriptReview:
        ids = [q.question_id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"candidate {self.candidate_number}: reviewed questions repeat: {ids}")
        if self.decision is ScriptDecision.ADJUSTED and all(q.agreed for q in self.questions):
            raise ValueError(f"candidate {self.candidate_number}: marks adjusted, but no question has a different mark")
        return self


class AgreementFigure(Model):
    """How far marker and reviewer agreed, for one marker, one question or everyone.

    The figures of ``domain.agreement.AgreementFigures`` (same field names) with a
    label. ``n_pairs`` is the number of (marker's mark, reviewer's mark) pairs;
    the other figures are ``None`` when there are none. ``weighted_kappa`` may be
    ``None`` (too few pairs, or undefined) with ``kappa_note`` saying why.
    """

    label: NonEmptyText = Field(description='A marker\'s name, a question ("Q2a") or "All markers".')
    n_pairs: NonNegativeInt
    exact_agreement_percent: float | None = Field(default=None, ge=0, le=100)
    within_tolerance_percent: float | None = Field(default=None, ge=0, le=100)
    mean_abs_difference: float | None = Field(default=None, ge=0)
    max_abs_difference: NonNegativeInt | None = None
    weighted_kappa: float | None = Field(default=None, ge=-1, le=1)
    kappa_weights: str | None = Field(default=None, description='"linear" or "quadratic".')
    kappa_note: OptionalText = None


class ActionPoint(Model):
    text: NonEmptyText
    owner: OptionalText = None
    due: date | None = None


class IqaRecordSignOff(Model):
    """The internal quality assurer's sign-off of the whole record."""

    reviewer: NonEmptyText
    role: OptionalText = None
    signed_on: date
    statement: OptionalText = None


class IqaRecord(Model):
    """The IQA record of one sitting: plan, reviews, agreement, actions, sign-off."""

    centre_name: NonEmptyText
    centre_number: OptionalText = None
    qualification_number: Identifier
    qualification_title: NonEmptyText
    unit_number: Identifier
    unit_title: NonEmptyText
    sitting_code: Identifier
    sitting_date: date
    scripts_marked: NonNegativeInt = Field(description="How many scripts the sample was drawn from.")
    reviewer: OptionalText = Field(default=None, description="The internal quality assurer whose sampling plan "
                                   "this is (a sitting can have several reviewers' plans).")
    drawn_on: date | None = Field(default=None, description="The day the sample was drawn.")
    strategy: NonEmptyText = Field(description="The sampling strategy, in words.")
    seed: int | None = Field(default=None, description="The random seed, so the sample can be drawn again.")
    tolerance: NonNegativeInt | dict[str, NonNegativeInt] = Field(
        default=0,
        description="'Within tolerance': marks differ by at most this; per question id (others 0) or for all.",
    )
    sampled: list[SampledScript] = Field(default_factory=list)
    excluded: list[ExcludedScript] = Field(default_factory=list)
    coverage: list[MarkerCoverage] = Field(default_factory=list)
    plan_notes: list[NonEmptyText] = Field(
        default_factory=list, description="What the plan could not do, e.g. a minimum this reviewer cannot meet."
    )
    reviews: list[ScriptReview] = Field(default_factory=list)
    agreement_overall: AgreementFigure | None = None
    agreement_by_marker: list[AgreementFigure] = Field(default_factory=list)
    agreement_by_question: list[AgreementFigure] = Field(default_factory=list)
    action_points: list[ActionPoint] = Field(default_factory=list)
    sign_off: IqaRecordSignOff | None = None

    def review_of(self, candidate_number: str) -> ScriptReview | None:
        return next((r for r in self.reviews if r.candidate_number == candidate_number), None)

    @model_validator(mode="after")
    def _consistent(self) -> IqaRecord:
        numbers = [s.candidate_number for s in self.sampled]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"a script is sampled twice: {numbers}")
        reviewed = [r.candidate_number for r in self.reviews]
        if len(set(reviewed)) != len(reviewed):
            raise ValueError(f"a script is reviewed twice: {reviewed}")
        outside = set(reviewed) - set(numbers)
        if outside:
            raise ValueError(f"reviews of scripts that are not in the sample: {sorted(outside)}")
        if len(numbers) > self.scripts_marked:
            raise ValueError(f"{len(numbers)} scripts sampled from only {self.scripts_marked} marked")
        return self


# --------------------------------------------------------------------------------------
# Audit trail
# --------------------------------------------------------------------------------------


class AuditEntry(Model):
    """One line of the audit trail as exported (the database keeps the same facts)."""

    id: int | None = Field(default=None, description="The audit row's sequence number, if known.")
    at: AwareDatetime
    actor: NonEmptyText
    action: NonEmptyText
    sitting_code: str | None = None
    candidate_number: str | None = None
    script_ref: str | None = Field(default=None, description="The script's id or reference, as text.")
    details: dict[str, Any] = Field(default_factory=dict)
    content_digest: str | None = Field(default=None, description="SHA-256 of hashed_content (the audit chain).")
    chain_hash: str | None = Field(default=None, description="SHA-256 of 'previous_hash:id:content_digest'.")
    previous_hash: str | None = Field(default=None, description="The chain hash of the entry before, in the whole log.")
    hashed_content: str | None = Field(default=None, description="The exact text whose SHA-256 is content_digest.")


class AdmissionSlip(Model):
    candidate_number: str
    name: str
    keycode: str
    """As printed: KQ7M-T3XA."""


class AdmissionSlips(Model):
    """Keycodes as issued: shown once, never stored readable."""

    centre: str | None
    sitting_code: str
    qualification: str
    unit: str
    paper_title: str | None
    issued_at: datetime
    issued_by: str
    exit_code: str | None
    slips: list[AdmissionSlip]
