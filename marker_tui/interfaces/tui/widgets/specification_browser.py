"""A read-only browser of qualifications, units, outcomes and papers.

By default (the home screen) a unit shows its outcomes and whether a paper is
loaded. With ``show_papers=True`` (the admin screen) it also shows the paper's
questions with each question's mark scheme entry, the pass rule, and the
``marker-tui check`` findings for that unit's files.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree

from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.specification import TestSpecification, Unit
from marker_tui.storage.assessment_files import AssessmentLibrary, Finding, display_path


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


class UnitDetail(Static):
    """The outcomes, marks and time allowance of one unit."""

    def show_unit(self, spec: TestSpecification, unit: Unit, paper: QuestionPaper | None, *,
                  scheme: MarkScheme | None = None, findings: list[Finding] | None = None,
                  questions: bool = False) -> None:
        text = Text()
        text.append(f"Unit {unit.number}: {unit.title}\n", style="bold")
        text.append(
            f"Level {unit.level} · {unit.credits} credit{'s' if unit.credits != 1 else ''} · "
            f"{unit.glh} GLH · time allowance {format_minutes(unit.time_allowance_minutes)} · "
            f"{unit.total_marks} marks\n\n"
        )
        for outcome in unit.outcomes:
            text.append(f"Outcome {outcome.number}  ", style="bold")
            text.append(f"{outcome.marks} marks ({outcome.weighting_percent:g}%)\n", style="italic")
            text.append(f"  {outcome.title}\n")
            for criterion in outcome.criteria:
                text.append(f"    {criterion.number} ", style="dim")
                text.append(f"{criterion.text}\n")
            text.append("\n")
        if paper is None:
            text.append("No question paper is loaded for this unit.", style="dim")
        else:
            text.append(
                f"Question paper version {paper.version}: {len(paper.questions)} questions, "
                f"{paper.total_marks} marks.",
                style="green",
            )
        if findings:
            text.append("\n\nmarker-tui check found:\n", style="bold")
            for finding in findings:
                text.append(f"  {finding}\n", style="red" if finding.severity == "error" else "yellow")
        if questions and paper is not None:
            append_paper(text, paper, scheme)
        self.update(text)

    def show_qualification(self, spec: TestSpecification, *, findings: list[Finding] | None = None) -> None:
        q = spec.qualification
        text = Text()
        text.append(f"{q.number} {q.title}\n", style="bold")
        text.append(f"Level {q.level} · {q.glh} GLH · {q.tqt} TQT\n\n")
        rules = spec.rules_of_combination
        text.append(f"Learners must complete {rules.credits_required} credits.\n")
        if rules.description:
            text.append(f"{rules.description}\n")
        text.append("\n")
        for group in rules.groups:
            limits = []
            if group.min_credits is not None:
                limits.append(f"at least {group.min_credits} credits")
            if group.max_credits is not None:
                limits.append(f"at most {group.max_credits} credits")
            text.append(f"{group.name}", style="bold")
            text.append(f"  {', '.join(limits)}\n" if limits else "\n")
            for number in group.units:
                unit = spec.unit(number)
                title = unit.title if unit else "(not in the specification)"
                text.append(f"  {number}  {title}\n")
        if findings:
            text.append("\nmarker-tui check found in the specification:\n", style="bold")
            for finding in findings:
                text.append(f"  {finding}\n", style="red" if finding.severity == "error" else "yellow")
        self.update(text)


def append_paper(text: Text, paper: QuestionPaper, scheme: MarkScheme | None) -> None:
    """A paper's questions, each with its mark scheme entry, then the pass rule."""
    text.append("\n\nQuestions and mark scheme", style="bold underline")
    if scheme is None:
        text.append("\nNo mark scheme is loaded for this paper.", style="red")
    for question in paper.questions:
        text.append(f"\n\nQ{question.id}  ", style="bold")
        criteria = f" · AC {', '.join(question.criteria)}" if question.criteria else ""
        text.append(f"{question.marks} mark{'s' if question.marks != 1 else ''} · outcome {question.outcome}"
                    f"{criteria} · {question.command_verb}\n", style="italic")
        if question.context:
            text.append(question.context.strip() + "\n", style="dim")
        text.append(question.text.strip() + "\n")
        entry = scheme.question(question.id) if scheme is not None else None
        if entry is None:
            continue
        text.append(f"  Mark scheme (max {entry.max_marks}):\n", style="green")
        for number, point in enumerate(entry.points, start=1):
            text.append(f"  {number}. ", style="green")
            text.append(f"{point.text}")
            text.append(f"  [{point.marks}]\n" if point.marks != 1 else "\n", style="dim")
        if entry.guidance:
            text.append("  Guidance: ", style="bold")
            text.append(" ".join(entry.guidance.split()) + "\n")
        for item in entry.do_not_credit:
            text.append("  Do not credit: ", style="bold")
            text.append(item + "\n")
    if scheme is not None:
        rule = scheme.pass_rule
        text.append("\nPass rule: ", style="bold")
        text.append(f"pass mark {rule.pass_mark} of {paper.total_marks}")
        for minimum in rule.outcome_minimums:
            text.append(f"; outcome {minimum.outcome} at least {minimum.min_marks}")
        for boundary in rule.grade_boundaries:
            text.append(f"; {boundary.name} from {boundary.min_marks}")
        text.append("\n")


class SpecificationBrowser(Horizontal):
    """Tree of qualifications and units on the left, the chosen one's detail on the right."""

    def __init__(self, library: AssessmentLibrary, *, show_papers: bool = False, focus_tree: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.library = library
        self.show_papers = show_papers
        self.focus_tree = focus_tree

    def findings_for(self, *models) -> list[Finding]:
        """The check findings of the files the given models were read from."""
        files = set()
        for model in models:
            loaded = self.library.file_of(model) if model is not None else None
            if loaded is not None:
                files.add(display_path(loaded.path))
        return [f for f in self.library.findings if f.file in files]

    def compose(self) -> ComposeResult:
        tree: Tree[tuple[str, str | None]] = Tree("Qualifications", id="spec-tree")
        tree.show_root = False
        for number, spec in sorted(self.library.specifications.items()):
            node = tree.root.add(f"{number} {spec.qualification.title}", data=(number, None), expand=True)
            for unit in spec.units:
                paper = self.library.papers.get((number, unit.number))
                label = Text(f"{unit.number} ")
                label.append(unit.title)
                label.append(
                    f"  {unit.total_marks} marks · {format_minutes(unit.time_allowance_minutes)}",
                    style="dim",
                )
                if paper is not None:
                    label.append("  ✓ paper", style="green")
                node.add_leaf(label, data=(number, unit.number))
        yield tree
        with VerticalScroll(id="spec-detail-scroll"):
            yield UnitDetail(id="spec-detail")

    def on_mount(self) -> None:
        detail = self.query_one(UnitDetail)
        if not self.library.specifications:
            detail.update("No qualification is loaded. Add papers/<qualification>/spec.yaml and run `marker-tui check`.")
            return
        first = next(iter(sorted(self.library.specifications.items())))[1]
        detail.show_qualification(first)
        tree = self.query_one(Tree)
        tree.move_cursor(tree.root.children[0])
        if self.focus_tree:
            tree.focus()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is None:
            return
        qualification, unit_number = event.node.data
        spec = self.library.specifications[qualification]
        detail = self.query_one(UnitDetail)
        if unit_number is None:
            if self.show_papers:
                detail.show_qualification(spec, findings=self.findings_for(spec))
            else:
                detail.show_qualification(spec)
        else:
            unit = spec.unit(unit_number)
            if unit is not None:
                paper = self.library.papers.get((qualification, unit_number))
                if self.show_papers:
                    scheme = self.library.mark_schemes.get((qualification, unit_number))
                    detail.show_unit(spec, unit, paper, scheme=scheme, findings=self.findings_for(paper, scheme),
                                     questions=True)
                else:
                    detail.show_unit(spec, unit, paper)
        self.query_one("#spec-detail-scroll", VerticalScroll).scroll_home(animate=False)
