"""Reviews of marking on screen: the list of reviews, and one review for its reviewer.

The list shows every review the signed-in person may see (the lead assessor: all; a reviewer:
theirs), with its deadline and "overdue" past it. Opening one shows the learner's reason, then per
question the answer, the original mark, who gave it, the ticked points and the marker's comment,
and the decision so far. The reviewer types a new mark (or leaves it blank to uphold) and a reason,
Enter records it; f finishes the review (``services/review_of_marking.py``). Every call runs on a
thread worker (``run_service``): a decision waiting for the database never freezes the screen.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Input

from marker_tui.domain.visible_text import visible, visible_line
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.interfaces.tui.widgets.plain import Plain
from marker_tui.interfaces.tui.widgets.tables import highlighted_key
from marker_tui.services.review_of_marking import ReviewOfMarkingService, ReviewView

CSS = """
.reviews-title { background: $primary; color: $text; padding: 0 1; }
.reviews-line { padding: 0 1; }
#review-message { color: $warning; padding: 0 1; }
DataTable { height: 1fr; }
#review-form { height: auto; }
#review-detail-pane { height: 8; border-top: solid $primary; }
#review-form Input { width: 1fr; }
#review-form #review-mark { width: 30; }
"""


def _service(screen: Screen) -> ReviewOfMarkingService:
    centre = screen.app.centre
    return centre.reviews_of_marking


class ReviewsScreen(ServiceCalls, Screen):
    """Every review of marking the signed-in person may see, newest first."""

    DEFAULT_CSS = CSS
    BINDINGS = [
        Binding("enter", "open", "Open", priority=True),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, by: str, code: str | None = None) -> None:
        super().__init__()
        self.by = by
        self.code = code

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Reviews of marking · {self.by}", classes="reviews-title")
        yield Plain("Learners' queries and appeals: Enter opens one.", classes="reviews-line")
        yield DataTable(id="reviews", cursor_type="row", zebra_stripes=True)
        yield Plain("", id="review-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one("#reviews", DataTable)
        table.add_columns("Review", "Sitting", "Script", "Candidate", "Reviewer", "Deadline", "State")
        self.action_refresh()
        table.focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def service_failed(self, error: Exception) -> None:
        self.query_one("#review-message", Plain).update(str(error))

    def action_refresh(self) -> None:
        self.run_service(_service(self).reviews, self.code, by=self.by, done=self._show, group="reviews")

    def _show(self, found) -> None:
        table = self.query_one("#reviews", DataTable)
        table.clear()
        for s in found:
            r = s.record
            table.add_row(str(r.id), r.code, r.script_number, r.candidate_number or "-", r.reviewer,
                          r.deadline.isoformat(), s.state.upper() if s.overdue else s.state, key=str(r.id))
        self.query_one("#review-message", Plain).update("" if found else "No review of marking yet.")

    def action_open(self) -> None:
        key = highlighted_key(self.query_one("#reviews", DataTable))
        if key is not None:
            self.app.push_screen(ReviewScreen(int(key), self.by))


class ReviewScreen(ServiceCalls, Screen):
    """One review: the script, its original marks and annotations, and the reviewer's decisions."""

    DEFAULT_CSS = CSS
    BINDINGS = [
        Binding("f", "finish", "Finish review"),
        Binding("d", "decide", "Decide question"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self, review_id: int, by: str) -> None:
        super().__init__()
        self.review_id = review_id
        self.by = by
        self.view: ReviewView | None = None
        self.busy = False  # a decision or the finish is waiting for its result: not sent twice

    def compose(self) -> ComposeResult:
        yield Plain(f"marker-tui · Review of marking {self.review_id} · {self.by}", classes="reviews-title")
        yield Plain("", id="review-about", classes="reviews-line")
        yield DataTable(id="review-questions", cursor_type="row")
        # The whole answer, the ticked points and the comment: scrolls when the answer is long.
        with VerticalScroll(id="review-detail-pane"):
            yield Plain("", id="review-detail", classes="reviews-line")
        with Horizontal(id="review-form"):
            yield Input(placeholder="new mark (blank: uphold)", id="review-mark")
            yield Input(placeholder="reason for the decision, then Enter", id="review-reason")
        yield Plain("", id="review-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#review-questions", DataTable).add_columns(
            "Q", "Original", "Marked by", "Decision", "New", "Reason")
        self._load()
        self.query_one("#review-questions", DataTable).focus()

    def say(self, text: str) -> None:
        self.query_one("#review-message", Plain).update(text)

    def service_failed(self, error: Exception) -> None:
        self.busy = False
        self.say(str(error))

    def _load(self) -> None:
        self.run_service(_service(self).view, self.review_id, by=self.by, done=self._show, group="review")

    def _show(self, view: ReviewView) -> None:
        self.view = view
        r = view.record
        state = (f"finished: {r.outcome}" if view.finished
                 else f"due {r.deadline.isoformat()}" + (" · OVERDUE" if view.overdue else ""))
        self.query_one("#review-about", Plain).update(
            f"Sitting {r.code} · script {r.script_number} · {state} · Asked: {r.reason}")
        table = self.query_one("#review-questions", DataTable)
        row = table.cursor_row
        table.clear()
        for q in view.questions:
            original = "not attempted" if q.not_attempted and not q.original_mark else f"{q.original_mark}/{q.available}"
            d = q.decision
            table.add_row(q.question_id, original, q.marked_by or "-", d.decision if d else "to decide",
                          "" if d is None or d.new_mark is None else str(d.new_mark),
                          visible_line(d.reason) if d else "", key=q.question_id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._detail()

    @on(DataTable.RowHighlighted, "#review-questions")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._detail()

    def _question(self):
        if self.view is None:
            return None
        key = highlighted_key(self.query_one("#review-questions", DataTable))
        return next((q for q in self.view.questions if q.question_id == key), None)

    def _detail(self) -> None:
        q = self._question()
        if q is None:
            return
        answer = "(not attempted: the learner wrote nothing)" if q.not_attempted else visible(q.answer)
        ticks = "; ".join(q.ticked_points) or "none"
        self.query_one("#review-detail", Plain).update(
            f"Q{q.question_id} ({q.available} marks): {visible_line(q.text)}\nAnswer: {answer}\n"
            f"Ticked: {ticks}\nMarker's comment: {visible(q.comment or '') or 'none'}")

    def action_decide(self) -> None:
        self.query_one("#review-mark", Input).focus()

    @on(Input.Submitted, "#review-mark")
    def _mark_entered(self, _event: Input.Submitted) -> None:
        self.query_one("#review-reason", Input).focus()

    @on(Input.Submitted, "#review-reason")
    def _reason_entered(self, _event: Input.Submitted) -> None:
        q = self._question()
        if q is None:
            return
        mark_text = self.query_one("#review-mark", Input).value.strip()
        if mark_text and not mark_text.isdigit():
            self.say(f"Question {q.question_id}: {mark_text!r} is not a mark; type a whole number or leave it blank "
                     "to uphold the original mark.")
            return
        if self.busy:
            return
        self.busy = True
        self.say(f"Question {q.question_id}: saving…")
        sent = (self.query_one("#review-mark", Input).value, self.query_one("#review-reason", Input).value)
        self.run_service(_service(self).decide, self.review_id, q.question_id,
                         new_mark=int(mark_text) if mark_text else None, reason=sent[1], by=self.by,
                         done=lambda view: self._decided(q, view, sent), group="review")

    def _decided(self, q, view: ReviewView, sent: tuple[str, str]) -> None:
        self.busy = False
        mark, reason = self.query_one("#review-mark", Input), self.query_one("#review-reason", Input)
        if (mark.value, reason.value) != sent:  # typed meanwhile, for the next question: kept
            self._show(view)
            self.say(f"Question {q.question_id}: recorded.")
            return
        mark.value = ""
        reason.value = ""
        table = self.query_one("#review-questions", DataTable)
        self._show(view)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)
        table.focus()
        decided = next(x.decision for x in view.questions if x.question_id == q.question_id)
        self.say(f"Question {q.question_id}: {decided.decision}."
                 + (" Every question is decided: f finishes the review." if not view.undecided else ""))

    def action_finish(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.say(f"Finishing review {self.review_id}…")
        self.run_service(_service(self).complete, self.review_id, by=self.by, done=self._finished, group="review")

    def _finished(self, view: ReviewView) -> None:
        self.busy = False
        self._show(view)
        self.say(f"Review {self.review_id} finished: {view.record.outcome}.")
