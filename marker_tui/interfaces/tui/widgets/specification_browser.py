"""A read-only browser of qualifications, units, outcomes and papers."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree

from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.specification import TestSpecification, Unit
from marker_tui.storage.assessment_files import AssessmentLibrary


def format_minutes(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


class UnitDetail(Static):
    """The outcomes, marks and time allowance of one unit."""

    def show_unit(self, spec: TestSpecification, unit: Unit, paper: QuestionPaper | None) -> None:
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
        self.update(text)

    def show_qualification(self, spec: TestSpecification) -> None:
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
        self.update(text)


class SpecificationBrowser(Horizontal):
    """Tree of qualifications and units on the left, the chosen one's detail on the right."""

    def __init__(self, library: AssessmentLibrary, **kwargs) -> None:
        super().__init__(**kwargs)
        self.library = library

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
        tree.focus()

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is None:
            return
        qualification, unit_number = event.node.data
        spec = self.library.specifications[qualification]
        detail = self.query_one(UnitDetail)
        if unit_number is None:
            detail.show_qualification(spec)
        else:
            unit = spec.unit(unit_number)
            if unit is not None:
                detail.show_unit(spec, unit, self.library.papers.get((qualification, unit_number)))
        self.query_one("#spec-detail-scroll", VerticalScroll).scroll_home(animate=False)
