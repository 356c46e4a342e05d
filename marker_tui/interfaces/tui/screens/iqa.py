"""The IQA reviewer's screens: plans, the review of one script, agreement figures.

``marker-tui iqa [SCOPE]`` signs in (staff name and PIN, iqa role, the shared
:class:`StaffSignInScreen`), then:

* :class:`IqaHomeScreen` (no scope given): the reviewer's plans and the
  sittings with marked scripts; Enter opens one.
* :class:`IqaPlanScreen`: the reviewer's sampling plan for a sitting or unit:
  every sampled script with why it is there and how far its review has got.
  Scripts the reviewer marked are never listed (the count is shown, not the
  scripts). n draws the plan (or draws it again), s signs it off.
* :class:`IqaReviewScreen`: one script. Left: the question and the learner's
  answer; right: the marker's mark, ticked points and comment against the mark
  scheme, a completed blind second mark, and the reviewer's judgement. a agrees,
  m gives a different mark with a reason, d records the decision (with feedback
  and action points) and then asks for explicit confirmation, listing every mark
  that will change. Nothing changes in the marks until the reviewer says y.
* :class:`IqaAgreementScreen`: agreement per marker and per question, and the
  questions out of tolerance for adjudication.

Every change goes through the IQA services (``centre.iqa``), which
refuses a script the reviewer marked even if a screen were to ask.
"""

from __future__ import annotations

from marker_tui.domain.local_time import DATE, local_time

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from marker_tui.domain.reports import ScriptDecision
from marker_tui.domain.ordering import items_in_question_order
from marker_tui.domain.sampling import SamplingStrategy, person_key
from marker_tui.domain.question_text import reflow
from marker_tui.domain.roles import Permission, roles_for
from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.interfaces.tui.widgets.inputs import PlainTextArea
from marker_tui.interfaces.tui.widgets.iqa_dialogs import (
    ConfirmDecisionDialog,
    DecisionDialog,
    DecisionInput,
    DifferentMarkDialog,
    DrawPlanDialog,
    PlanInput,
    StatementDialog,
)
from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog
from marker_tui.interfaces.tui.widgets.marking_points import point_prompt
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.tables import highlighted_key
from marker_tui.interfaces.tui.kit import leave as _leave, say
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.services.audit import ServiceError
from marker_tui.services.iqa import Iqa
from marker_tui.services.iqa.views import PlanView, ReviewView
from marker_tui.storage.database import StorageError
from marker_tui.interfaces.tui.widgets.footer import Footer

IQA_CSS = "../styles/iqa.tcss"
IQA_ROLES = roles_for(Permission.REVIEW_MARKING)
FAILURES = (ServiceError, StorageError)

STATE_TEXT = {
    "not started": "not started",
    "in progress": "in progress",
    "awaiting confirmation": "to confirm",
    "confirmed": "confirmed",
}


DECISION_SHORT = {
    ScriptDecision.UPHELD: "upheld",
    ScriptDecision.ADJUSTED: "adjusted",
    ScriptDecision.REFER_BACK: "referred back",
}


def iqa_sign_in(scope: str | None = None) -> Screen:
    """Sign in (name + PIN, iqa role), then the plan for ``scope`` or the reviewer's list."""
    from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen

    def then(member) -> Screen:
        return IqaPlanScreen(scope, member.name) if scope else IqaHomeScreen(member.name)

    title = f"Quality assurance · {scope}" if scope else "Quality assurance"
    return StaffSignInScreen(title, then=then, roles=IQA_ROLES)


def short_strategy(strategy: SamplingStrategy) -> str:
    """The sampling rules in one line (the full wording is in the plan and the IQA record)."""
    parts = []
    if strategy.new_markers:
        parts.append("all of " + ", ".join(sorted(strategy.new_markers, key=person_key)))
    if strategy.include_fails:
        parts.append("every fail")
    if strategy.borderline_marks is not None:
        parts.append(f"within {strategy.borderline_marks} of the pass mark")
    n, share = strategy.min_scripts_per_marker, strategy.min_fraction_per_marker
    if n or share:
        parts.append(f"at least {n} or {share * 100:g}% per marker")
    if strategy.cover_decisions:
        parts.append("a pass and a fail per marker")
    return " · ".join(parts) or "none"


def strip_lines(items: list[tuple[str, str]], width: int) -> Text:
    """The question strip, broken into lines between questions (never inside one) to fit ``width``."""
    text = Text()
    used = 0
    for label, style in items:
        if used and used + len(label) > width:
            text.append("\n")
            used = 0
        text.append(label, style=style)
        used += len(label)
        if used + 1 <= width:
            text.append(" ")
            used += 1
    return text


class _Messages(ServiceCalls):
    """A one-line message under the screen: green for done, red and bold for refused.

    Every service call of these screens goes through ``run_service`` (a thread worker: the
    database may be busy for a while, and the screen keeps answering keys meanwhile); a
    refusal or failure comes back to :meth:`service_failed`, the one error path, which puts
    it on this line.
    """

    def service_failed(self, error: Exception) -> None:
        self.say(visible_line(str(error)) or "That did not work; try again.", error=True)

    def say(self, message: str, *, error: bool = False) -> None:
        say(self.query_one("#iqa-message", Plain), message, error=error)  # type: ignore[attr-defined]
        if error:
            self.app.bell()  # type: ignore[attr-defined]


# --- the reviewer's plans -----------------------------------------------------------------------


class IqaHomeScreen(_Messages, Screen):
    """The reviewer's current plans, and sittings with marked scripts that have none yet."""

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("enter", "open", "Open", priority=True),
        Binding("g", "agreement", "Agreement"),
        Binding("2", "second_marking", "2nd marking"),
        Binding("s", "standardisation", "Standardisation"),
        Binding("m", "monitoring", "Marker monitoring"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
        # Hidden from the footer (no room at 80 columns); F1 and the palette list it.
        Binding("v", "reviews_of_marking", "Reviews of marking", show=False),
    ]

    def action_reviews_of_marking(self) -> None:
        from marker_tui.interfaces.tui.screens.reviews import ReviewsScreen

        self.app.push_screen(ReviewsScreen(self.reviewer))

    def __init__(self, reviewer: str) -> None:
        super().__init__()
        self.reviewer = reviewer

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Quality assurance · {self.reviewer}", classes="iqa-title-bar")
        yield Plain("Your sampling plans, and sittings with marked scripts (Enter opens one; g: agreement; "
                    "2: scripts given to you for a blind second mark; m: marker monitoring of its paper).",
                    classes="iqa-info-line")
        yield DataTable(id="iqa-scopes", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="iqa-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#iqa-scopes", DataTable)
        table.add_columns("Sitting or unit", "Plan", "Sampled", "Confirmed", "Signed off")
        self.action_refresh()
        table.focus()

    @property
    def service(self) -> Iqa:
        return self.app.centre.iqa

    def action_standardisation(self) -> None:
        from marker_tui.interfaces.tui.screens.standardisation import LeadAssessorScreen

        self.app.push_screen(LeadAssessorScreen(self.reviewer))

    def action_refresh(self) -> None:
        iqa, reviewer = self.service, self.reviewer
        self.run_service(lambda: (iqa.plans.plans_for(reviewer), iqa.plans.sampleable_scopes()),
                         done=self._show_scopes)

    def _show_scopes(self, found) -> None:
        plans, scopes = found
        table = self.query_one("#iqa-scopes", DataTable)
        table.clear()
        seen = set()
        for plan in plans:
            seen.add(plan.scope.key)
            table.add_row(Text(plan.scope.key), f"plan {plan.id}", str(len(plan.scripts)),
                          str(plan.counts()["confirmed"]), "yes" if plan.sign_off else "-", key=plan.scope.key)
        for s in scopes:
            if s.code not in seen:
                table.add_row(Text(s.code), "none yet", f"{s.marked_complete} of {s.handed_in} marked", "-", "-",
                              key=s.code)
        if table.row_count == 0:
            self.say("No sitting has scripts marked complete yet: there is nothing to sample.")

    def action_open(self) -> None:
        key = highlighted_key(self.query_one("#iqa-scopes", DataTable))
        if key is None:
            return
        self.app.push_screen(IqaPlanScreen(key, self.reviewer))

    def action_agreement(self) -> None:
        key = highlighted_key(self.query_one("#iqa-scopes", DataTable))
        if key is None:
            self.say("Choose a sitting first.", error=True)
            return
        self.app.push_screen(IqaAgreementScreen(key))

    def action_second_marking(self) -> None:
        self.app.push_screen(SecondMarkingQueueScreen(self.reviewer))

    def action_monitoring(self) -> None:
        """Marker monitoring of the highlighted sitting's paper (every sitting of it), else the list."""
        from marker_tui.interfaces.tui.screens.monitoring import MarkerMonitoringScreen, MonitoringPapersScreen

        key = highlighted_key(self.query_one("#iqa-scopes", DataTable))
        self.app.push_screen(MarkerMonitoringScreen(key, self.reviewer) if key else
                             MonitoringPapersScreen(self.reviewer))

    @on(DataTable.RowSelected, "#iqa-scopes")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_back(self) -> None:
        _leave(self)


class IqaPlanScreen(_Messages, Screen):
    """One sampling plan: the sampled scripts, why each is there, and its review state."""

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("enter", "open", "Review", priority=True),
        Binding("g", "agreement", "Agreement"),
        Binding("n", "draw", "Draw"),
        Binding("s", "sign_off", "Sign off"),
        Binding("b", "second_marker", "Blind 2nd marker", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("X", "export", "Export", show=False),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, scope: str, reviewer: str) -> None:
        super().__init__()
        self.scope = scope
        self.reviewer = reviewer
        self.plan: PlanView | None = None
        self.sign_off_draft = ""
        """A statement typed for a sign-off that was refused or cancelled, offered again next time."""

    @property
    def service(self) -> Iqa:
        return self.app.centre.iqa

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · IQA · {self.scope} · {self.reviewer}", id="iqa-plan-title", classes="iqa-title-bar")
        yield Plain("", id="iqa-plan-info", classes="iqa-info-line")
        yield DataTable(id="iqa-plan-scripts", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="iqa-plan-why", classes="iqa-why-line")
        yield Plain("", id="iqa-plan-notes", classes="iqa-notes-line")
        yield Plain("", id="iqa-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#iqa-plan-scripts", DataTable)
        table.add_column("Script", key="script")
        table.add_column("Marker", key="marker")
        table.add_column("Total", key="total")
        table.add_column("Review", key="review")
        table.add_column("Why sampled", key="why")
        self.action_refresh()
        table.focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        iqa, typed, reviewer = self.service, self.scope, self.reviewer

        def read():
            scope = iqa.plans.scope(typed)
            return scope, iqa.plans.current_plan(scope.key, reviewer=reviewer)

        self.run_service(read, done=self._show_plan)

    def _show_plan(self, found) -> None:
        scope, self.plan = found
        self.scope = scope.key
        self.query_one("#iqa-plan-title", Plain).update(f"marker-tui · IQA · {scope.label} · {self.reviewer}")
        table = self.query_one("#iqa-plan-scripts", DataTable)
        cursor = table.cursor_row
        table.clear()
        info = self.query_one("#iqa-plan-info", Plain)
        notes = self.query_one("#iqa-plan-notes", Plain)
        plan = self.plan
        if plan is None:
            info.update("No sampling plan yet. n: draw one (default: at least 3 or 25% of each marker's "
                        "scripts, every fail, every script within 2 of the pass mark).")
            notes.update("")
            return
        counts = plan.counts()
        signed = f" · signed off {local_time(plan.sign_off.signed_at, DATE)}" if plan.sign_off else ""
        info.update(f"Plan {plan.id} · seed {plan.seed} · {len(plan.scripts)} of {plan.scripts_marked} marked · "
                    f"{counts['confirmed']} confirmed, {counts['awaiting confirmation']} to confirm, "
                    f"{counts['in progress']} in progress{signed}\nRules: {short_strategy(plan.strategy)}")
        hidden = [s for s in plan.scripts if s.reviewer_marked]
        for s in plan.scripts:
            if s.reviewer_marked:
                continue  # never offered: they marked part of it after it was sampled
            review = STATE_TEXT[s.review_state]
            if s.decision is not None and s.review_state == "confirmed":
                review = "✓ " + DECISION_SHORT[s.decision]
            if s.round and s.round > 1:
                review += f" (round {s.round})"
            if s.second_marker:
                review += " · 2nd ✓" if s.second_marking_complete else " · 2nd …"
            total = "-" if s.total_now is None else f"{s.total_now}"
            if s.total_now != s.total and s.total is not None:
                total += f" (was {s.total})"  # an IQA adjustment changed the marks since sampling
            table.add_row(s.script_ref, Text(visible_line(", ".join(s.markers))), total,
                          review, Text(visible_line("; ".join(s.reasons))), key=str(s.script_id))
        own = [e for e in plan.excluded if e.reason.startswith("marked by ")
               and person_key(self.reviewer) in {person_key(m) for m in e.markers}]
        parts = []
        if own:
            parts.append(f"Not offered to you: {len(own)} script(s) you marked (you cannot verify your own "
                         "assessments).")
        if hidden:
            refs = ", ".join(h.script_ref for h in hidden)
            parts.append(f"Hidden: {len(hidden)} sampled script(s) you have marked since ({refs}): another "
                         "reviewer must review them.")
        others = len(plan.excluded) - len(own)
        if others:
            parts.append(f"{others} script(s) not marked complete yet.")
        parts += list(plan.notes)
        notes.update(" ".join(parts))
        if table.row_count and cursor is not None:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        self._show_why()

    def _show_why(self) -> None:
        why = self.query_one("#iqa-plan-why", Plain)
        script_id = self._selected_id()
        found = self.plan.script(script_id) if self.plan and script_id is not None else None
        why.update(f"{found.script_ref}: " + "; ".join(found.reasons) if found else "")

    @on(DataTable.RowHighlighted, "#iqa-plan-scripts")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_why()

    def _selected_id(self) -> int | None:
        key = highlighted_key(self.query_one("#iqa-plan-scripts", DataTable))
        return None if key is None else int(key)

    def action_open(self) -> None:
        script_id = self._selected_id()
        if script_id is None or self.plan is None:
            self.say("Nothing to review yet: draw a plan first (n).", error=self.plan is None)
            return
        order = [s.script_id for s in self.plan.scripts if not s.reviewer_marked]
        self.run_service(self.service.reviews.review_view, script_id, reviewer=self.reviewer,
                         done=lambda view: self.app.push_screen(IqaReviewScreen(self.scope, self.reviewer, view,
                                                                                order)))

    @on(DataTable.RowSelected, "#iqa-plan-scripts")
    def _row(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_agreement(self) -> None:
        self.app.push_screen(IqaAgreementScreen(self.scope))

    def action_export(self) -> None:
        from marker_tui.interfaces.tui.screens.export import ExportKind, ExportScreen

        def chosen(scope) -> None:
            codes = scope.sitting_codes  # exports are made per sitting
            if len(codes) != 1:
                self.say(f"Exports are made per sitting: marker-tui export iqa CODE for {', '.join(codes)}.",
                         error=True)
                return
            self.app.push_screen(ExportScreen(codes[0], by=self.reviewer, kind=ExportKind.IQA_DOCX))

        self.run_service(self.service.plans.scope, self.scope, done=chosen)

    def action_draw(self) -> None:
        redraw = self.plan is not None
        heading = (f"Draw the plan for {self.scope} again (plan {self.plan.id} is kept in the history)"
                   if redraw else f"Sampling plan for {self.scope}")

        def drawn(answer: PlanInput | None) -> None:
            if answer is None:
                self.say("Nothing drawn.")
                return
            try:
                strategy = SamplingStrategy(
                    min_scripts_per_marker=answer.min_scripts, min_fraction_per_marker=answer.min_fraction,
                    borderline_marks=answer.borderline, include_fails=answer.include_fails,
                    new_markers=frozenset(answer.new_markers))
            except ValueError as error:
                self.say(f"That strategy is not valid: {error}", error=True)
                return

            def stored(plan: PlanView) -> None:
                self.action_refresh()
                self.say(f"Plan {plan.id} drawn: {len(plan.scripts)} script(s), seed {plan.seed}.")

            self.run_service(self.service.plans.create_plan, self.scope, strategy=strategy, by=self.reviewer,
                             seed=answer.seed, redraw=redraw, reason=answer.reason or None, done=stored)

        started = bool(self.plan) and any(s.review_state != "not started" for s in self.plan.scripts)
        self.app.push_screen(DrawPlanDialog(heading, redraw=redraw, reason_required=started), drawn)

    def action_second_marker(self) -> None:
        script_id = self._selected_id()
        found = self.plan.script(script_id) if self.plan and script_id is not None else None
        if found is None:
            self.say("Choose a sampled script first.", error=True)
            return
        if found.second_marker:
            self.say(f"Script {found.script_ref} is already given to {found.second_marker} for a blind second mark.",
                     error=True)
            return

        def named(name: str | None) -> None:
            if not name or not name.strip():
                self.say("No second marker given.")
                return
            def given(row) -> None:
                self.action_refresh()
                self.say(f"Script {found.script_ref} given to {row.second_marker} for a blind second mark "
                         "(they press 2 on their Mark or Quality assurance screen).")

            self.run_service(self.service.second_marking.assign_second_marker, found.script_id,
                             second_marker=name, by=self.reviewer, done=given)

        self.app.push_screen(StatementDialog(
            f"Blind second mark of script {found.script_ref}",
            "Second marker's name (not one of its markers; they will not see the first marks):",
            "e.g. Sam Second"), named)

    def action_sign_off(self) -> None:
        if self.plan is None:
            self.say("There is no plan to sign off yet.", error=True)
            return
        plan_id = self.plan.id

        iqa, scope, reviewer = self.service, self.scope, self.reviewer

        def attempt(statement: str) -> str | None:
            # Runs on the dialog's thread worker. Refused (reviews not confirmed yet): the dialog
            # shows why and keeps the statement.
            try:
                iqa.plans.sign_off(scope, by=reviewer, statement=statement.strip() or None)
            except FAILURES as error:
                return f"{error} Your statement is kept: Esc keeps it as a draft for next time."
            return None

        dialog = StatementDialog(
            f"Sign off plan {plan_id} for {self.scope}", "Statement (optional):",
            "e.g. Marking is consistent with the mark scheme.", value=self.sign_off_draft, attempt=attempt)

        def signed(statement: str | None) -> None:
            if statement is None:
                self.sign_off_draft = dialog.typed
                self.say("Not signed off." + (" Your statement is kept as a draft (s to sign off)."
                                              if self.sign_off_draft.strip() else ""))
                return
            self.sign_off_draft = ""
            self.action_refresh()
            self.say(f"Plan {plan_id} signed off.")

        self.app.push_screen(dialog, signed)

    def action_back(self) -> None:
        _leave(self)


# --- reviewing one script ------------------------------------------------------------------------


class IqaReviewScreen(_Messages, Screen):
    """One sampled script: answer | marking against the mark scheme, and the reviewer's judgement."""

    CSS_PATH = IQA_CSS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("a", "agree", "Agree"),
        Binding("m", "differ", "Your mark"),
        Binding("n", "question(1)", "Next Q"),
        Binding("p", "question(-1)", "Prev Q", show=False),
        Binding("right", "question(1)", "Next Q", show=False),
        Binding("left", "question(-1)", "Prev Q", show=False),
        Binding("d", "decide", "Decide"),
        Binding("c", "confirm", "Confirm"),
        Binding("right_square_bracket", "script(1)", "Next script", key_display="]", show=False),
        Binding("left_square_bracket", "script(-1)", "Prev script", key_display="[", show=False),
        Binding("R", "rereview", "New round", show=False),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, scope: str, reviewer: str, view: ReviewView, order: list[int]) -> None:
        super().__init__()
        self.scope = scope
        self.reviewer = reviewer
        self.view = view
        self.order = order
        self.question_id = self._first_question(view)
        self._confirming: str | None = None
        """While a decision is saved, its confirmation read or shown, or confirmed: what c says meanwhile.
        A second c then started a second read and a second dialog over the first (or, during the save,
        found no decision yet), so the c the reviewer pressed after Ctrl+S seemed not to count."""

    @property
    def service(self) -> Iqa:
        return self.app.centre.iqa

    @staticmethod
    def _first_question(view: ReviewView) -> str:
        unjudged = view.unjudged
        return unjudged[0] if unjudged and view.state != "confirmed" else view.paper.questions[0].id

    def compose(self) -> ComposeResult:
        yield Plain("", id="iqa-review-title", classes="iqa-title-bar")
        yield Plain("", id="iqa-review-why", classes="iqa-info-line")
        with Horizontal(id="iqa-review-panes"):
            with Vertical(id="iqa-answer-col", classes="iqa-pane"):
                with VerticalScroll(id="iqa-question-pane"):
                    yield Static("", id="iqa-question-text")
                yield Plain("Answer, exactly as typed", id="iqa-answer-label", classes="iqa-pane-label")
                yield PlainTextArea("", id="iqa-answer", read_only=True)
            with VerticalScroll(id="iqa-marking-col", classes="iqa-pane"):
                yield Static("", id="iqa-marking-text")
        yield Static("", id="iqa-question-strip")
        yield Static("", id="iqa-totals")
        yield Plain("", id="iqa-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show()
        self.query_one("#iqa-marking-col").focus()

    # -- what is on screen ------------------------------------------------------------------------

    def _show(self) -> None:
        view = self.view
        markers = ", ".join(view.markers)
        round_ = f" · round {view.review.round}" if view.review and view.review.round > 1 else ""
        self.query_one("#iqa-review-title", Plain).update(
            f"IQA · script {view.script_number} · {view.sitting_code} · marked by {markers}{round_} · "
            f"{STATE_TEXT[view.state]}")
        self.query_one("#iqa-review-why", Plain).update("Sampled: " + "; ".join(view.reasons))
        question = next(q for q in view.paper.questions if q.id == self.question_id)
        heading = Text()
        heading.append(f"Q{question.id}", style="bold")
        heading.append(f" · {question.marks} mark{'s' if question.marks != 1 else ''} · outcome {question.outcome}\n")
        heading.append(visible(reflow(question.text)))
        self.query_one("#iqa-question-text", Static).update(heading)
        answer = view.answers.get(question.id, "")
        area = self.query_one("#iqa-answer", PlainTextArea)
        area.load_text(visible(answer))
        area.scroll_home(animate=False)
        self.query_one("#iqa-answer-label", Plain).update(
            "Answer, exactly as typed" if answer.strip() else "Not attempted: the learner wrote nothing for this question")
        self.query_one("#iqa-marking-text", Static).update(self._marking_text())
        self.query_one("#iqa-marking-col", VerticalScroll).scroll_home(animate=False)
        self.query_one("#iqa-question-strip", Static).update(self._strip())
        self.query_one("#iqa-totals", Static).update(self._totals())

    def _marking_text(self) -> Text:
        view = self.view
        qid = self.question_id
        entry = view.scheme.question(qid)
        mark = view.marks.get(qid)
        text = Text()
        judgement = view.review.questions.get(qid) if view.review else None
        if mark is None:
            text.append("No mark for this question.\n", style="bold")
        else:
            if mark.role == "iqa":
                text.append(f"Mark now: {mark.marks_awarded} of {entry.max_marks}", style="bold")
                text.append(f"  (IQA adjustment by {visible_line(mark.marked_by)})\n")
                if judgement is not None:
                    text.append(f"Marker's mark was {judgement.marker_mark} ({visible_line(judgement.marker)})\n")
            else:
                text.append(f"Marker's mark: {mark.marks_awarded} of {entry.max_marks}", style="bold")
                text.append(f"  ({visible_line(mark.marked_by)})\n")
            text.append("Comment: ", style="bold")
            text.append(f"{visible(mark.comment)}\n" if mark.comment else "(none)\n", style="" if mark.comment else "dim")
        text.append("\nMark scheme", style="bold underline")
        text.append("  [x] = ticked by the marker\n")
        ticked = set(mark.credited_points) if mark else set()
        for n, point in enumerate(entry.points):
            text.append_text(point_prompt(n + 1, point, n in ticked))
            text.append("\n")
        if entry.guidance:
            text.append("Guidance: ", style="bold")
            text.append(visible_line(" ".join(entry.guidance.split())) + "\n")
        if entry.do_not_credit:
            text.append("Do not credit: ", style="bold")
            text.append(visible_line("; ".join(entry.do_not_credit)) + "\n")
        if view.second_marks:
            second = view.second_marks.get(qid)
            tolerance = view.tolerances.get(qid, 0)
            text.append(f"\nBlind second mark ({visible_line(view.second_marker)}): ", style="bold")
            text.append(f"{second}" if second is not None else "-")
            if second is not None and mark is not None and abs(second - mark.marks_awarded) > tolerance:
                text.append(f"  out of tolerance ({tolerance}): adjudicate", style="bold red")
            text.append("\n")
        text.append("\nYour judgement: ", style="bold")
        if judgement is None:
            text.append("not yet  (a: agree · m: different mark)", style="dim")
        elif judgement.agree:
            text.append("agree", style="bold green")
        else:
            text.append(f"{judgement.marker_mark} → {judgement.reviewer_mark}", style="bold yellow")
            text.append(f"  {visible(judgement.reason)}")
        if judgement is not None and judgement.stale:
            text.append("\nThe marker changed this mark after you judged it: judge it again.", style="bold red")
        return text

    def _strip(self) -> Text:
        items: list[tuple[str, str]] = []
        review = self.view.review
        for q in self.view.paper.questions:
            judgement = review.questions.get(q.id) if review else None
            if judgement is None:
                label = f"Q{q.id} ·"
                style = "dim"
            elif judgement.stale:
                label, style = f"Q{q.id} !", "bold red"
            elif judgement.agree:
                label, style = f"Q{q.id} ✓", "green"
            else:
                label, style = f"Q{q.id} {judgement.marker_mark}→{judgement.reviewer_mark}", "yellow"
            if q.id == self.question_id:
                style = f"{style} reverse bold"
            items.append((f" {label} ", style))
        return strip_lines(items, self.app.size.width - 2)

    def _totals(self) -> Text:
        view = self.view
        now, after = view.result_now, view.result_after
        text = Text()
        text.append(f"Total {now.provisional_total}/{now.available} {now.status}")
        if after.provisional_total != now.provisional_total or after.status != now.status:
            text.append(f" · with your marks {after.provisional_total}/{after.available} {after.status}",
                        style="bold yellow")
        if view.stale:
            text.append(f" · the marker changed {', '.join('Q' + q for q in view.stale)}: judge again",
                        style="bold red")
        elif view.review and view.review.decision:
            waiting = (" (press c to confirm)" if view.state == "awaiting confirmation" and not self._confirming
                       else "")
            text.append(f" · decision: {view.review.decision.value}{waiting}", style="bold")
        return text

    def _reload(self, then: Callable[[], None] | None = None) -> None:
        """Read the review again (off the UI thread), show it, then ``then()`` if the read worked."""

        def loaded(view: ReviewView) -> None:
            self.view = view
            self._show()
            if then is not None:
                then()

        self.run_service(self.service.reviews.review_view, self.view.script_id, reviewer=self.reviewer,
                         done=loaded)

    # -- actions ----------------------------------------------------------------------------------

    def _locked(self) -> bool:
        if self.view.state == "confirmed":
            extra = " R: start a new round (after the marker re-marked it)." if self.view.can_rereview else ""
            self.say(f"This review is confirmed ({self.view.review.decision.value}) and cannot change.{extra}",
                     error=True)
            return True
        return False

    def action_question(self, step: int) -> None:
        ids = [q.id for q in self.view.paper.questions]
        index = (ids.index(self.question_id) + step) % len(ids)
        self.question_id = ids[index]
        self._show()

    def _after_judgement(self, view: ReviewView, withdrawn: bool) -> None:
        self.view = view
        if withdrawn:
            self.say("Your decision was waiting for confirmation; it is withdrawn because you changed a judgement. "
                     "Decide again (d).", error=True)
        unjudged = view.unjudged
        if unjudged:
            ids = [q.id for q in view.paper.questions]
            later = [q for q in unjudged if ids.index(q) > ids.index(self.question_id)]
            self.question_id = (later or unjudged)[0]
            if not withdrawn:
                self.say(f"Recorded. Next: Q{self.question_id}.")
        elif not withdrawn:
            self.say("Every question is judged: d to record your decision.")
        self._show()

    def action_agree(self) -> None:
        if self._locked():
            return
        before = self.view.state
        self.run_service(self.service.reviews.record_question, self.view.script_id, self.question_id,
                         reviewer=self.reviewer, agree=True,
                         done=lambda view: self._after_judgement(view, before == "awaiting confirmation"))

    def action_differ(self) -> None:
        if self._locked():
            return
        mark = self.view.marks.get(self.question_id)
        if mark is None:
            self.say("This question has no mark to review.", error=True)
            return
        entry = self.view.scheme.question(self.question_id)
        judgement = self.view.review.questions.get(self.question_id) if self.view.review else None
        qid = self.question_id

        def given(answer: tuple[int, str] | None) -> None:
            if answer is None:
                self.say("Nothing recorded.")
                return
            value, reason = answer
            before = self.view.state

            def recorded(view: ReviewView) -> None:
                if value == mark.marks_awarded:
                    self.say(f"{value} is the marker's mark: recorded as agree.")
                self._after_judgement(view, before == "awaiting confirmation")

            def refused(error: Exception) -> None:
                self.service_failed(error)

                def again() -> None:
                    if self.view.state != "confirmed":
                        # Keep what was typed: the reviewer fixes it in the dialog.
                        self.app.push_screen(DifferentMarkDialog(qid, entry.max_marks, mark.marks_awarded,
                                                                 mark.marked_by, mark=value, reason=reason,
                                                                 error=str(error)), given)

                self._reload(again)

            self.run_service(self.service.reviews.record_question, self.view.script_id, qid, reviewer=self.reviewer,
                             agree=False, mark=value, reason=reason, done=recorded, failed=refused)

        self.app.push_screen(DifferentMarkDialog(
            qid, entry.max_marks, mark.marks_awarded, mark.marked_by,
            mark=judgement.reviewer_mark if judgement and not judgement.agree else None,
            reason=judgement.reason if judgement else None), given)

    def action_decide(self) -> None:
        if self._locked():
            return
        view = self.view
        if view.unjudged:
            self.question_id = view.unjudged[0]
            self._show()
            self.say(f"Judge every question first (a or m): {', '.join('Q' + q for q in view.unjudged)} "
                     "not yet.", error=True)
            return
        if view.stale:
            self.say(f"The marker changed {', '.join('Q' + q for q in view.stale)} after you judged it: judge it "
                     "again first.", error=True)
            return
        review = view.review
        points = "\n".join(" | ".join(filter(None, [a.text, a.owner or "", a.due.isoformat() if a.due else ""]))
                           for a in review.action_points)
        self.app.push_screen(DecisionDialog(
            view.script_number, view.pending_changes(), decision=review.decision,
            feedback=review.feedback_to_marker, reason=review.decision_reason, action_points=points),
            self._decided)

    def _decided(self, answer: DecisionInput | None) -> None:
        if answer is None:
            self.say("No decision recorded.")
            return
        def decided(view: ReviewView) -> None:
            self._confirming = None
            self.view = view
            self.action_confirm()  # before showing it, so the footer line does not invite a second c
            self._show()

        def refused(error: Exception) -> None:
            self._confirming = None
            self.service_failed(error)

            def again() -> None:
                if self.view.state != "confirmed" and not self.view.stale:
                    # Refused for a reason the reviewer can fix there: keep what they typed.
                    points = "\n".join(" | ".join(p for p in (a.text, a.owner or "",
                                                               a.due.isoformat() if a.due else "") if p)
                                       for a in answer.action_points)
                    self.app.push_screen(DecisionDialog(
                        self.view.script_number, self.view.pending_changes(), decision=answer.decision,
                        feedback=answer.feedback, reason=answer.reason, action_points=points, error=str(error)),
                        self._decided)

            self._reload(again)

        self._confirming = "Saving your decision: its confirmation comes next."
        self.run_service(self.service.reviews.decide, self.view.script_id, reviewer=self.reviewer,
                         decision=answer.decision, feedback=answer.feedback, decision_reason=answer.reason,
                         action_points=answer.action_points, done=decided, failed=refused)

    def action_confirm(self) -> None:
        if self._confirming:
            self.say(self._confirming)
            return
        self._confirming = "One moment: the confirmation is on its way."

        def loaded(view: ReviewView) -> None:
            self.view = view
            self._show()
            self._ask_to_confirm()

        def failed(error: Exception) -> None:
            self._confirming = None
            self.service_failed(error)

        # What is confirmed is what is stored now, not what was loaded earlier.
        self.run_service(self.service.reviews.review_view, self.view.script_id, reviewer=self.reviewer,
                         done=loaded, failed=failed)

    def _ask_to_confirm(self) -> None:
        self._confirming = None  # until the dialog is up (below), c may ask again
        view = self.view
        if view.stale:
            self.say(f"The marker changed {', '.join('Q' + q for q in view.stale)} after you judged it: judge it "
                     "again (a or m), then decide.", error=True)
            return
        if view.state == "confirmed":
            self._locked()
            return
        if view.state != "awaiting confirmation":
            self.say("There is no decision to confirm yet: judge every question, then d.", error=True)
            return
        decision = view.review.decision
        changes = view.pending_changes()
        before = f"{view.result_now.provisional_total}/{view.result_now.available} {view.result_now.status}"
        after = f"{view.result_after.provisional_total}/{view.result_after.available} {view.result_after.status}"

        def answered(yes: bool | None) -> None:
            if not yes:
                self._confirming = None
                self.say("Not confirmed: nothing has changed. Your decision waits; c confirms it, a or m changes "
                         "a judgement.")
                self._show()
                return
            self._confirming = "Confirming your decision…"

            def confirmed(done) -> None:
                self._confirming = None
                self.view = done.review
                self._show()
                if done.applied:
                    self.say(f"Confirmed: {len(done.applied)} mark(s) changed; total {done.total_before} → "
                             f"{done.total_after}.")
                else:
                    self.say(f"Confirmed: {done.decision.value}. No marks changed.")

            def refused(error: Exception) -> None:
                self._confirming = None
                self.service_failed(error)
                self._reload()

            self.run_service(self.service.reviews.confirm, self.view.script_id, reviewer=self.reviewer,
                             done=confirmed, failed=refused)

        self._confirming = "The confirmation is open."
        self.app.push_screen(ConfirmDecisionDialog(view.script_number, decision, changes, before, after), answered)

    def action_rereview(self) -> None:
        if not self.view.can_rereview:
            self.say("A new round is only for a script referred back to its marker.", error=True)
            return
        def started(view: ReviewView) -> None:
            self.view = view
            self.question_id = self._first_question(view)
            self._show()
            self.say(f"Round {view.review.round} started: judge each question again.")

        self.run_service(self.service.reviews.rereview, self.view.script_id, reviewer=self.reviewer, done=started)

    def action_script(self, step: int) -> None:
        if self.view.script_id not in self.order or len(self.order) < 2:
            return
        index = (self.order.index(self.view.script_id) + step) % len(self.order)
        def opened(view: ReviewView) -> None:
            self.view = view
            self.question_id = self._first_question(view)
            self._show()
            self.say("")

        self.run_service(self.service.reviews.review_view, self.order[index], reviewer=self.reviewer, done=opened)

    def action_back(self) -> None:
        _leave(self)


# --- agreement ------------------------------------------------------------------------------------


SOURCES = ("all", "iqa", "second")
SOURCE_TEXT = {"all": "reviewers' judgements and blind second marks", "iqa": "reviewers' judgements",
               "second": "blind second marks"}


def _number(value: float | None, places: int, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:.{places}f}{suffix}"


class IqaAgreementScreen(_Messages, Screen):
    """Agreement per marker and per question, and second marks out of tolerance for adjudication."""

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("s", "source", "Pairs: all/IQA/second"),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope
        self.source = "all"

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · IQA agreement · {self.scope}", classes="iqa-title-bar")
        yield Plain("", id="iqa-agreement-info", classes="iqa-info-line")
        yield DataTable(id="iqa-agreement", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="iqa-adjudication", classes="iqa-notes-line")
        yield Plain("", id="iqa-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#iqa-agreement", DataTable)
        table.add_columns("Group", "Pairs", "Exact", "In tol.", "Mean", "Max", "Kappa")
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        iqa: Iqa = self.app.centre.iqa
        scope, source = self.scope, self.source
        self.run_service(lambda: (iqa.agreement.agreement(scope, source=source), iqa.agreement.adjudication(scope)),
                         done=self._show_agreement)

    def _show_agreement(self, found) -> None:
        report, items = found
        tolerances = ", ".join(f"Q{q} ±{t}" for q, t in report.tolerance.items() if t) or "0 for every question"
        self.query_one("#iqa-agreement-info", Plain).update(
            f"Pairs: {SOURCE_TEXT[report.source]} (s to change) · tolerance {tolerances} · kappa needs 10+ pairs · "
            f"export: marker-tui iqa agreement {self.scope} --csv FILE")
        table = self.query_one("#iqa-agreement", DataTable)
        table.clear()
        rows = [("All markers", report.overall)]
        rows += list(report.by_marker.items())
        rows += [(f"Q{q}", f) for q, f in report.by_question.items()]
        for label, f in rows:
            table.add_row(Text(visible_line(label)), str(f.n_pairs), _number(f.exact_agreement_percent, 1, "%"),
                          _number(f.within_tolerance_percent, 1, "%"), _number(f.mean_abs_difference, 2),
                          "n/a" if f.max_abs_difference is None else str(f.max_abs_difference),
                          _number(f.weighted_kappa, 2))
        open_items = [i for i in items if not i.resolved_by_review]
        if items:
            lines = [f"Out of tolerance, for adjudication ({len(open_items)} open):"]
            lines += [f"  {i.discrepancy.message}{' · judged' if i.resolved_by_review else ''}" for i in items]
            self.query_one("#iqa-adjudication", Plain).update("\n".join(lines))
        else:
            self.query_one("#iqa-adjudication", Plain).update("No blind second mark is out of tolerance.")
        if not report.pairs:
            self.say("No marks have been compared yet: review scripts, or complete blind second marks.")

    def action_source(self) -> None:
        self.source = SOURCES[(SOURCES.index(self.source) + 1) % len(SOURCES)]
        self.action_refresh()

    def action_back(self) -> None:
        _leave(self)


# --- blind second marking --------------------------------------------------------------------------


def second_marking_sign_in() -> Screen:
    """Sign in (name + PIN, marker or iqa role), then the scripts given to this person to second-mark."""
    from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen

    return StaffSignInScreen("Blind second marking", then=lambda member: SecondMarkingQueueScreen(member.name),
                             roles=SECOND_MARKER_ROLES)


SECOND_MARKER_ROLES = roles_for(Permission.SECOND_MARK)


class SecondMarkingQueueScreen(_Messages, Screen):
    """The scripts given to the signed-in person for a blind second mark."""

    CSS_PATH = IQA_CSS
    BINDINGS = [
        Binding("enter", "open", "Second-mark", priority=True),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Blind second marking · {self.marker}", classes="iqa-title-bar")
        yield Plain("Scripts given to you for a blind second mark: you will not see the first marks.",
                    classes="iqa-info-line")
        yield DataTable(id="iqa-second-queue", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="iqa-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#iqa-second-queue", DataTable)
        table.add_columns("Script", "Sitting", "Marked", "Complete", "Given by")
        self.action_refresh()
        table.focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.run_service(self.app.centre.iqa.second_marking.second_marking_queue, by=self.marker,
                         done=self._show_queue)

    def _show_queue(self, rows) -> None:
        table = self.query_one("#iqa-second-queue", DataTable)
        table.clear()
        for r in rows:
            table.add_row(r.script_number, r.sitting_code, f"{r.questions_marked}/{r.questions_total}",
                          "yes" if r.completed_at else "no", Text(visible_line(r.assigned_by)), key=str(r.script_id))
        if not rows:
            self.say("No script has been given to you for second marking.")

    def action_open(self) -> None:
        key = highlighted_key(self.query_one("#iqa-second-queue", DataTable))
        if key is None:
            return
        self.run_service(self.app.centre.iqa.second_marking.second_marking_view, int(key), by=self.marker,
                         done=lambda view: self.app.push_screen(BlindMarkingScreen(self.marker, view)))

    def action_back(self) -> None:
        _leave(self)


class BlindMarkingScreen(_Messages, Screen):
    """One script, blind: question and answer | mark scheme; digits then Enter give a mark."""

    CSS_PATH = IQA_CSS
    # The digits are priority bindings, as Enter is: acted on in each key's own turn, so "2 Enter" from a
    # fast typist saves 2 for this question (otherwise Enter could act first and the 2 land on the next).
    BINDINGS = [
        Binding("0", "digit(0)", "Mark", key_display="0-9", priority=True),
        *[Binding(str(n), f"digit({n})", f"Mark {n}", show=False, priority=True) for n in range(1, 10)],
        Binding("backspace", "clear", "Clear", show=False, priority=True),
        Binding("enter", "save", "Save mark", priority=True),
        Binding("n", "question(1)", "Next Q"),
        Binding("p", "question(-1)", "Prev Q", show=False),
        Binding("c", "complete", "Complete"),
        Binding("escape", "back", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, marker: str, view) -> None:
        super().__init__()
        self.marker = marker
        self.view = view
        missing = [q.id for q in view.paper.questions if q.id not in view.my_marks]
        self.question_id = missing[0] if missing else view.paper.questions[0].id
        self.typed = ""

    def compose(self) -> ComposeResult:
        yield Plain("", id="iqa-blind-title", classes="iqa-title-bar")
        with Horizontal(id="iqa-review-panes"):
            with Vertical(id="iqa-answer-col", classes="iqa-pane"):
                with VerticalScroll(id="iqa-question-pane"):
                    yield Static("", id="iqa-question-text")
                yield Plain("Answer, exactly as typed", id="iqa-answer-label", classes="iqa-pane-label")
                yield PlainTextArea("", id="iqa-answer", read_only=True)
            with VerticalScroll(id="iqa-marking-col", classes="iqa-pane"):
                yield Static("", id="iqa-marking-text")
        yield Static("", id="iqa-question-strip")
        yield Static("", id="iqa-totals")
        yield Plain("", id="iqa-message", classes="iqa-message-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show()
        self.query_one("#iqa-marking-col").focus()

    def _show(self) -> None:
        view = self.view
        done = " · complete" if view.completed_at else ""
        self.query_one("#iqa-blind-title", Plain).update(
            f"Blind second mark · script {view.script_number} · {view.sitting_code}{done}")
        question = next(q for q in view.paper.questions if q.id == self.question_id)
        heading = Text()
        heading.append(f"Q{question.id}", style="bold")
        heading.append(f" · {question.marks} mark{'s' if question.marks != 1 else ''}\n")
        heading.append(visible(reflow(question.text)))
        self.query_one("#iqa-question-text", Static).update(heading)
        answer = view.answers.get(question.id, "")
        area = self.query_one("#iqa-answer", PlainTextArea)
        area.load_text(visible(answer))
        area.scroll_home(animate=False)
        self.query_one("#iqa-answer-label", Plain).update(
            "Answer, exactly as typed" if answer.strip() else "Not attempted: the learner wrote nothing for this question")
        entry = view.scheme.question(question.id)
        text = Text()
        text.append("Mark scheme\n", style="bold underline")
        for n, point in enumerate(entry.points, start=1):
            text.append(f"{n}. ")
            text.append(f"({point.marks}) ", style="bold")
            text.append(visible_line(" ".join(point.text.split())) + "\n")
        if entry.guidance:
            text.append("Guidance: ", style="bold")
            text.append(visible_line(" ".join(entry.guidance.split())) + "\n")
        if entry.do_not_credit:
            text.append("Do not credit: ", style="bold")
            text.append(visible_line("; ".join(entry.do_not_credit)) + "\n")
        self.query_one("#iqa-marking-text", Static).update(text)
        items: list[tuple[str, str]] = []
        for q in view.paper.questions:
            mine = view.my_marks.get(q.id)
            label = f"Q{q.id} {'·' if mine is None else mine}"
            style = "green" if mine is not None else "dim"
            if q.id == self.question_id:
                style += " reverse bold"
            items.append((f" {label} ", style))
        self.query_one("#iqa-question-strip", Static).update(strip_lines(items, self.app.size.width - 2))
        self._show_entry()

    def _show_entry(self) -> None:
        question = next(q for q in self.view.paper.questions if q.id == self.question_id)
        saved = self.view.my_marks.get(self.question_id)
        text = Text()
        text.append(f"Your mark for Q{self.question_id}: ", style="bold")
        if self.typed:
            text.append(f"{self.typed}_ of {question.marks}", style="bold reverse")
            text.append("  Enter: save")
        else:
            text.append(f"{'-' if saved is None else saved} of {question.marks}")
            text.append("  type 0-9, Enter to save" if not self.view.completed_at else "  (complete)")
        self.query_one("#iqa-totals", Static).update(text)

    def action_digit(self, digit: int) -> None:
        if self.view.completed_at:
            self.say("Your second marking of this script is complete and cannot change.", error=True)
            return
        self.typed = (self.typed + str(digit))[-2:].lstrip("0") or "0"
        self._show_entry()

    def action_clear(self) -> None:
        self.typed = ""
        self._show_entry()

    def action_save(self) -> None:
        if not self.typed:
            self.action_question(1)
            return
        self._save_mark(self.question_id, self.typed, done=self._saved)

    def _saved(self, view) -> None:
        self.view = view
        self.typed = ""
        missing = [q.id for q in self.view.paper.questions if q.id not in self.view.my_marks]
        if missing:
            ids = [q.id for q in self.view.paper.questions]
            later = [q for q in missing if ids.index(q) > ids.index(self.question_id)]
            self.question_id = (later or missing)[0]
            self.say(f"Saved. Next: Q{self.question_id}.")
        else:
            self.say("Every question has your mark: c marks your second marking complete.")
        self._show()

    def action_question(self, step: int) -> None:
        if self.typed:  # a mark typed and not saved is never dropped by moving on
            self.say(f"Your mark of {self.typed} for Q{self.question_id} is not saved: Enter saves it, "
                     "Backspace clears it.", error=True)
            return
        ids = [q.id for q in self.view.paper.questions]
        self.question_id = ids[(ids.index(self.question_id) + step) % len(ids)]
        self._show()

    def action_complete(self) -> None:
        if self.view.completed_at:
            self.say("Already complete.")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                self.say("Not complete: you can still change your marks.")
                return
            def completed(view) -> None:
                self.view = view
                self._show()
                self.say("Second marking complete: it is now compared with the first marks.")

            self.run_service(self.app.centre.iqa.second_marking.complete_second_marking, self.view.script_id,
                             by=self.marker, done=completed)

        marks = ", ".join(f"Q{q} {m}" for q, m in items_in_question_order(self.view.my_marks))
        self.app.push_screen(ConfirmDialog(f"Mark your second marking of script {self.view.script_number} complete?",
                                           f"Your marks: {marks or 'none yet'}. After this they cannot change."),
                             answered)

    def action_back(self) -> None:
        if not self.typed:
            _leave(self)
            return
        # A second marker pressing Esc expects to back out: a typed mark is asked about, never dropped unsaid.
        question, mark = self.question_id, self.typed
        saved = self.view.my_marks.get(question)
        detail = (f"Discard: Q{question} stays without your mark." if saved is None
                  else f"Discard: Q{question} keeps your saved mark of {saved}.")

        def decided(answer: bool | None) -> None:
            if answer is None:
                self.say(f"Still on Q{question}: your mark of {mark} is not saved yet (Enter saves it).")
            elif answer:
                self._save_mark(question, mark, done=lambda view: _leave(self))
            else:
                _leave(self)

        self.app.push_screen(ConfirmDialog(f"Save your mark of {mark} for Q{question} before leaving?", detail,
                                           yes="save it", no="discard it", escape_stays="stay"), decided)

    def _save_mark(self, question: str, mark: str, *, done) -> None:
        self.run_service(self.app.centre.iqa.second_marking.record_second_mark, self.view.script_id,
                         question, int(mark), by=self.marker, done=done, failed=self._not_saved)

    def _not_saved(self, error: Exception) -> None:
        """A refused save keeps the second marker on the question, with the mark they typed cleared."""
        self.typed = ""
        self._show_entry()
        self.service_failed(error)
