"""Rules that make a specification, its papers and their mark schemes agree.

Pure functions over the models. Each problem carries a *path* into the file it
concerns (``("questions", 3, "marks")``); the storage layer turns that into a
file name, line number and a readable place such as ``questions[3] (id 2b).marks``.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import Iterable

from pydantic import BaseModel

from .command_verbs import CommandVerbGlossary
from .markscheme import MarkScheme
from .paper import QuestionPaper
from .specification import TestSpecification, Unit

#: How far a stated % weighting may drift from marks ÷ total before we warn
#: (handbooks round to whole numbers, so 1 point is normal).
WEIGHTING_TOLERANCE_POINTS = 1.5

Path = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Problem(BaseModel):
    """One thing wrong with one file, before it is tied to a line."""

    severity: Severity
    path: Path
    message: str
    fix: str | None = None


def _error(path: Path, message: str, fix: str | None = None) -> Problem:
    return Problem(severity=Severity.ERROR, path=path, message=message, fix=fix)


def _warning(path: Path, message: str, fix: str | None = None) -> Problem:
    return Problem(severity=Severity.WARNING, path=path, message=message, fix=fix)


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _duplicates(values: Iterable[str | int]) -> set[str | int]:
    return {v for v, n in Counter(values).items() if n > 1}


# --- specifications -----------------------------------------------------------------


def check_specification(spec: TestSpecification) -> list[Problem]:
    problems: list[Problem] = []
    for number in _duplicates(u.number for u in spec.units):
        index = max(i for i, u in enumerate(spec.units) if u.number == number)
        problems.append(
            _error(("units", index, "number"), f"unit {number} appears more than once",
                   "keep one entry per unit")
        )
    known_units = {u.number for u in spec.units}
    for g, group in enumerate(spec.rules_of_combination.groups):
        for k, unit_number in enumerate(group.units):
            if unit_number not in known_units:
                problems.append(
                    _error(("rules_of_combination", "groups", g, "units", k),
                           f"group '{group.name}' names unit {unit_number}, which the specification does not define",
                           "add the unit under `units:` or remove it from the group")
                )
    for u, unit in enumerate(spec.units):
        problems.extend(_check_unit(unit, ("units", u)))
    return problems


def _check_unit(unit: Unit, at: Path) -> list[Problem]:
    problems: list[Problem] = []
    total = unit.total_marks
    for number in _duplicates(o.number for o in unit.outcomes):
        index = max(i for i, o in enumerate(unit.outcomes) if o.number == number)
        problems.append(
            _error(at + ("outcomes", index, "number"),
                   f"unit {unit.number} has outcome {number} more than once",
                   "number the outcomes 1, 2, 3... once each")
        )
    for o, outcome in enumerate(unit.outcomes):
        here = at + ("outcomes", o)
        if outcome.marks <= 0:
            problems.append(
                _error(here + ("marks",), f"outcome {outcome.number} has {outcome.marks} marks",
                       "give every outcome a positive number of marks")
            )
            continue
        actual = _percent(outcome.marks, total)
        if outcome.weighting_percent is not None and \
                abs(actual - outcome.weighting_percent) > WEIGHTING_TOLERANCE_POINTS:
            problems.append(
                _warning(here + ("weighting_percent",),
                         f"unit {unit.number} outcome {outcome.number}: {outcome.marks} of {total} {unit.figures} is "
                         f"{actual:.0f}%, the specification states {_fmt(outcome.weighting_percent)}%",
                         "keep it if the handbook says so; otherwise correct the marks or the %")
            )
        for number in _duplicates(c.number for c in outcome.criteria):
            index = max(i for i, c in enumerate(outcome.criteria) if c.number == number)
            problems.append(
                _error(here + ("criteria", index, "number"),
                       f"criterion {number} appears more than once in outcome {outcome.number}",
                       "number each assessment criterion once")
            )
    stated = sum(o.weighting_percent or 0 for o in unit.outcomes)
    if any(o.weighting_percent is not None for o in unit.outcomes) and abs(stated - 100) > 1e-9:
        problems.append(
            _warning(at + ("outcomes",),
                     f"unit {unit.number}: % weightings sum to {_fmt(stated)}",
                     "keep it if the handbook says so; otherwise make them sum to 100")
        )
    return problems


# --- question papers -----------------------------------------------------------------


def check_paper(
    paper: QuestionPaper,
    spec: TestSpecification | None,
    verbs: CommandVerbGlossary | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    for q, question in enumerate(paper.questions):
        if question.marks <= 0:
            problems.append(
                _error(("questions", q, "marks"),
                       f"question {question.id} is worth {question.marks} marks",
                       "give every question a positive number of marks")
            )
        if verbs is not None and verbs.lookup(question.command_verb) is None:
            problems.append(
                _warning(("questions", q, "command_verb"),
                         f"question {question.id}: command verb '{question.command_verb}' is not in the glossary",
                         "use a verb from the command verb glossary or add it there")
            )
    for qid in _duplicates(q.id for q in paper.questions):
        index = max(i for i, q in enumerate(paper.questions) if q.id == qid)
        problems.append(
            _error(("questions", index, "id"), f"question id {qid} is used more than once",
                   "give every question its own id (1, 2a, 2b...)")
        )

    if spec is None:
        problems.append(
            _error(("qualification",), f"no test specification for qualification {paper.qualification}",
                   f"add papers/{paper.qualification}/spec.yaml or correct `qualification`")
        )
        return problems
    unit = spec.unit(paper.unit)
    if unit is None:
        problems.append(
            _error(("unit",), f"qualification {paper.qualification} has no unit {paper.unit}",
                   "use a unit number from the test specification")
        )
        return problems

    if paper.time_allowance_minutes is not None and paper.time_allowance_minutes != unit.time_allowance_minutes:
        problems.append(
            _error(("time_allowance_minutes",),
                   f"the paper allows {paper.time_allowance_minutes} minutes, unit {unit.number}'s "
                   f"specification allows {unit.time_allowance_minutes}",
                   f"set time_allowance_minutes: {unit.time_allowance_minutes} or leave it out")
        )

    outcome_numbers = {o.number for o in unit.outcomes}
    for q, question in enumerate(paper.questions):
        outcome = unit.outcome(question.outcome)
        if outcome is None:
            problems.append(
                _error(("questions", q, "outcome"),
                       f"question {question.id} cites outcome {question.outcome}; unit {unit.number} has "
                       f"outcomes {', '.join(str(n) for n in sorted(outcome_numbers))}",
                       "cite one of the unit's outcomes")
            )
            continue
        for c, ref in enumerate(question.criteria):
            if outcome.criterion(ref) is not None:
                continue
            owner = next((o for o in unit.outcomes if o.criterion(ref)), None)
            if owner is not None:
                message = (f"question {question.id} cites criterion {ref}, which belongs to outcome "
                           f"{owner.number}, not outcome {outcome.number}")
                fix = f"cite outcome {owner.number} or a criterion of outcome {outcome.number}"
            else:
                message = f"question {question.id} cites criterion {ref}, which unit {unit.number} does not have"
                fix = f"use one of {', '.join(c.number for c in outcome.criteria) or 'the outcome criteria'}"
            problems.append(_error(("questions", q, "criteria", c), message, fix))

    if unit.figures == "questions":
        problems.extend(_check_question_counts(paper, unit))
    else:
        problems.extend(_check_marks_per_outcome(paper, unit))

    covered = {ref for q in paper.questions for ref in q.criteria}
    for outcome in unit.outcomes:
        for criterion in outcome.criteria:
            if criterion.number not in covered:
                problems.append(
                    _warning(("questions",),
                             f"criterion {criterion.number} ({criterion.text}) is not covered by any question",
                             f"add it to the `criteria` of a question on outcome {outcome.number}")
                )
    return problems


def _check_marks_per_outcome(paper: QuestionPaper, unit: Unit) -> list[Problem]:
    problems: list[Problem] = []
    if paper.total_marks != unit.total_marks:
        problems.append(
            _error(("questions",),
                   f"the paper totals {paper.total_marks} marks; unit {unit.number}'s specification totals {unit.total_marks}",
                   "adjust question marks so the total matches the specification")
        )
    per_outcome = paper.marks_per_outcome()
    for outcome in unit.outcomes:
        got = per_outcome.get(outcome.number, 0)
        if got != outcome.marks:
            ids = [q.id for q in paper.questions if q.outcome == outcome.number]
            where = f"questions {', '.join(ids)}" if ids else "no question yet"
            problems.append(
                _error(("questions",),
                       f"outcome {outcome.number} has {got} marks in the paper; the specification gives it {outcome.marks}",
                       f"adjust the marks of the questions on outcome {outcome.number} ({where})")
            )

    return problems


def _check_question_counts(paper: QuestionPaper, unit: Unit) -> list[Problem]:
    """A specification that counts questions: the paper needs that many questions per
    outcome (and in all); their marks are the paper's own business."""
    problems: list[Problem] = []
    total = sum(o.marks for o in unit.outcomes)
    if len(paper.questions) != total:
        problems.append(
            _error(("questions",),
                   f"the paper has {len(paper.questions)} questions; unit {unit.number}'s specification asks for {total}",
                   "add or remove questions so the count matches the specification")
        )
    for outcome in unit.outcomes:
        ids = [q.id for q in paper.questions if q.outcome == outcome.number]
        if len(ids) != outcome.marks:
            where = f"questions {', '.join(ids)}" if ids else "no question yet"
            problems.append(
                _error(("questions",),
                       f"outcome {outcome.number} has {len(ids)} questions in the paper; the specification "
                       f"asks for {outcome.marks}",
                       f"add or remove questions on outcome {outcome.number} ({where})")
            )
    return problems


# --- mark schemes --------------------------------------------------------------------


def check_mark_scheme(scheme: MarkScheme, paper: QuestionPaper | None) -> list[Problem]:
    problems: list[Problem] = []
    for q, entry in enumerate(scheme.questions):
        here = ("questions", q)
        if entry.max_marks <= 0:
            problems.append(
                _error(here + ("max_marks",), f"question {entry.id} has a maximum of {entry.max_marks} marks",
                       "give every question a positive maximum")
            )
        for p, point in enumerate(entry.points):
            if point.marks <= 0:
                problems.append(
                    _error(here + ("points", p, "marks"),
                           f"question {entry.id}: a creditable point is worth {point.marks} marks",
                           "give every creditable point a positive number of marks")
                )
        if 0 < entry.creditable_total < entry.max_marks:
            problems.append(
                _error(here + ("points",),
                       f"question {entry.id}: creditable points add up to {entry.creditable_total}, "
                       f"which cannot reach the maximum of {entry.max_marks}",
                       "add creditable points (or marks to points) so full marks are reachable")
            )
    for qid in _duplicates(q.id for q in scheme.questions):
        index = max(i for i, q in enumerate(scheme.questions) if q.id == qid)
        problems.append(
            _error(("questions", index, "id"), f"question {qid} appears more than once in the mark scheme",
                   "keep one entry per question")
        )

    rule = scheme.pass_rule
    if rule.pass_mark <= 0:
        problems.append(
            _error(("pass_rule", "pass_mark"), f"the pass mark is {rule.pass_mark}",
                   "set a positive pass mark")
        )
    for m, minimum in enumerate(rule.outcome_minimums):
        if minimum.min_marks < 0:
            problems.append(
                _error(("pass_rule", "outcome_minimums", m, "min_marks"),
                       f"outcome {minimum.outcome} has a negative minimum ({minimum.min_marks})",
                       "use 0 or more, or remove the minimum")
            )
    for g, boundary in enumerate(rule.grade_boundaries):
        if boundary.min_marks < rule.pass_mark:
            problems.append(
                _error(("pass_rule", "grade_boundaries", g, "min_marks"),
                       f"grade '{boundary.name}' starts at {boundary.min_marks}, below the pass mark of {rule.pass_mark}",
                       "grade boundaries must be at or above the pass mark")
            )
    for name in _duplicates(b.name for b in rule.grade_boundaries):
        index = max(i for i, b in enumerate(rule.grade_boundaries) if b.name == name)
        problems.append(
            _error(("pass_rule", "grade_boundaries", index, "name"), f"grade '{name}' is defined twice",
                   "name each grade once")
        )

    if paper is None:
        problems.append(
            _error(("unit",), f"no question paper for qualification {scheme.qualification} unit {scheme.unit}",
                   f"add papers/{scheme.qualification}/{scheme.unit}.yaml or correct `unit`")
        )
        return problems

    if scheme.paper_version != paper.version:
        problems.append(
            _error(("paper_version",),
                   f"the mark scheme is for paper version {scheme.paper_version}; the paper is version {paper.version}",
                   f"set paper_version: \"{paper.version}\" once the scheme matches the paper")
        )
    scheme_ids = {q.id for q in scheme.questions}
    for question in paper.questions:
        if question.id not in scheme_ids:
            problems.append(
                _error(("questions",), f"question {question.id} of the paper has no mark scheme entry",
                       f"add an entry with id: \"{question.id}\" and max_marks: {question.marks}")
            )
    for q, entry in enumerate(scheme.questions):
        question = paper.question(entry.id)
        if question is None:
            problems.append(
                _error(("questions", q, "id"), f"question {entry.id} is not on the paper",
                       "remove the entry or correct its id")
            )
        elif entry.max_marks != question.marks:
            problems.append(
                _error(("questions", q, "max_marks"),
                       f"question {entry.id}: the mark scheme's maximum is {entry.max_marks}, the paper gives {question.marks} marks",
                       f"set max_marks: {question.marks}")
            )
    total = paper.total_marks
    if rule.pass_mark > total:
        problems.append(
            _error(("pass_rule", "pass_mark"), f"the pass mark {rule.pass_mark} is above the paper's total of {total}",
                   f"set a pass mark of at most {total}")
        )
    per_outcome = paper.marks_per_outcome()
    for m, minimum in enumerate(rule.outcome_minimums):
        available = per_outcome.get(minimum.outcome)
        if available is None:
            problems.append(
                _error(("pass_rule", "outcome_minimums", m, "outcome"),
                       f"a minimum is set for outcome {minimum.outcome}, which no question assesses",
                       "use an outcome the paper assesses")
            )
        elif minimum.min_marks > available:
            problems.append(
                _error(("pass_rule", "outcome_minimums", m, "min_marks"),
                       f"outcome {minimum.outcome} needs {minimum.min_marks} marks but only {available} are available",
                       f"set a minimum of at most {available}")
            )
    for g, boundary in enumerate(rule.grade_boundaries):
        if boundary.min_marks > total:
            problems.append(
                _error(("pass_rule", "grade_boundaries", g, "min_marks"),
                       f"grade '{boundary.name}' needs {boundary.min_marks} marks, more than the total of {total}",
                       f"set it to at most {total}")
            )
    return problems
