"""The IQA screens, driven with Pilot against a real database file and a fake clock.

The centre is test_iqa_service's (twelve scripts marked by Ana, Ben and Mo; Ivy reviews).
Script numbers are random at enrolment; here they are fixed (5001 for candidate 1001 ...)
so the screens, and the snapshot, read the same every run.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from marker_tui.domain.sampling import SamplingStrategy
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.iqa import (
    BlindMarkingScreen,
    IqaAgreementScreen,
    IqaHomeScreen,
    IqaPlanScreen,
    IqaReviewScreen,
    SecondMarkingQueueScreen,
    iqa_sign_in,
    second_marking_sign_in,
)
from marker_tui.interfaces.tui.widgets.iqa_dialogs import (
    ConfirmDecisionDialog,
    DecisionDialog,
    DifferentMarkDialog,
    DrawPlanDialog,
    StatementDialog,
)
from marker_tui.interfaces.tui.widgets.dialogs import ConfirmDialog
from marker_tui.services.centre import Centre
from marker_tui.storage.database import open_database
from test_iqa_service import ANA, BEN, IVY, MO, PIN, SAM, IqaRoom, build_iqa_room, plan_with
from waiting import workers_done

SIZE = (80, 24)


async def settle(pilot) -> None:
    """Let the screen's service calls (thread workers) finish and their results reach the screen;
    a result may start the next call (a refused save reloads the review), so until none is left."""
    await workers_done(pilot)  # until none is left, with a deadline (tests/waiting.py)


@pytest.fixture
def room(tmp_path):
    built = build_iqa_room(tmp_path / "iqa.db")
    # Fixed script numbers for the snapshots; first out of the way of the random ones (SQLite checks
    # uniqueness row by row, so a random '5002' could clash with a renumbered script mid-update).
    built.db.execute("UPDATE scripts SET script_number = 'x' || id")
    built.db.execute("UPDATE scripts SET script_number = '5' || substr("
                     "(SELECT candidate_number FROM candidates c WHERE c.id = scripts.candidate_id), 2)")
    yield built
    built.db.close()


def app_for(room: IqaRoom, screen) -> MarkerApp:
    centre = Centre(db=open_database(room.path), clock=room.clock)
    return MarkerApp(centre, start=screen, steady=True)


def plan_screen(room: IqaRoom, reviewer: str = IVY) -> MarkerApp:
    return app_for(room, IqaPlanScreen(room.code, reviewer))


def text(app: MarkerApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def rows(app: MarkerApp) -> list[list[str]]:
    table = app.screen.query_one("#iqa-plan-scripts", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_script(pilot, room: IqaRoom, candidate: str) -> IqaReviewScreen:
    table = pilot.app.screen.query_one("#iqa-plan-scripts", DataTable)
    keys = [r.value for r in table.rows]
    table.move_cursor(row=keys.index(str(room.script(candidate))))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, IqaReviewScreen)
    return screen


async def test_signing_in_needs_the_iqa_role_then_shows_the_plan(room):
    plan_with(room, "1001")
    app = app_for(room, iqa_sign_in(room.code))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*ANA, "enter", *PIN, "enter")
        await settle(pilot)
        assert "Ana Lopes cannot do this: it needs the role iqa." in text(app, "#pin-error")
        app.screen.query_one("#staff-name").value = IVY
        await pilot.press(*PIN, "enter")
        await settle(pilot)
        assert isinstance(app.screen, IqaPlanScreen) and app.screen.reviewer == IVY
        assert [r[0] for r in rows(app)] == ["5001"]


async def test_the_plan_lists_scripts_with_reasons_and_never_the_reviewers_own(room):
    room.iqa.plans.create_plan(room.code, strategy=SamplingStrategy(), by=MO)
    app = plan_screen(room, MO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listed = [r[0] for r in rows(app)]
        assert listed and not {"5010", "5011", "5012"} & set(listed)
        notes = text(app, "#iqa-plan-notes")
        assert "Not offered to you: 3 script(s) you marked" in notes
        assert "another reviewer must sample 3 more" in notes
        fail = next(r for r in rows(app) if r[0] == "5002")
        assert fail[1] == ANA and fail[2] == "3" and fail[3] == "not started" and fail[4] == "fail"
        assert "Rules: every fail · within 2 of the pass mark · at least 3 or 25% per marker" in text(app, "#iqa-plan-info")
        # The highlighted script's full reasons are spelled out under the list.
        table = app.screen.query_one("#iqa-plan-scripts", DataTable)
        table.move_cursor(row=[r[0] for r in rows(app)].index("5003"))
        await settle(pilot)
        assert text(app, "#iqa-plan-why") == "5003: borderline: 6 is within 2 of the pass mark 6"


async def test_a_script_the_reviewer_marks_after_sampling_is_no_longer_listed(room):
    plan_with(room, "1001", "1002", reviewer=MO)
    room.marking.save_mark(room.script("1002"), "2b", 2, by=MO, expected_version=1, reason="second look", hold=False)
    app = plan_screen(room, MO)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [r[0] for r in rows(app)] == ["5001"]
        assert "Hidden: 1 sampled script(s) you have marked since (5002)" in text(app, "#iqa-plan-notes")


async def test_no_plan_yet_then_drawing_one_on_screen(room):
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No sampling plan yet. n: draw one" in text(app, "#iqa-plan-info")
        await pilot.press("enter")
        assert "draw a plan first" in text(app, "#iqa-message")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, DrawPlanDialog)
        app.screen.query_one("#iqa-seed").value = "11"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IqaPlanScreen)
        assert "drawn: 9 script(s), seed 11." in text(app, "#iqa-message")
        assert room.iqa.plans.current_plan(room.code, reviewer=IVY).seed == 11


async def test_review_agree_change_a_mark_with_reason_decide_cancel_then_confirm(room):
    plan_with(room, "1003")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_script(pilot, room, "1003")
        assert "IQA · script 5003 · IQA-1 · marked by Ana Lopes · not started" in text(app, "#iqa-review-title")
        marking = text(app, "#iqa-marking-text")
        assert "Marker's mark: 2 of 2  (Ana Lopes)" in marking and "Comment: Ana on 1" in marking
        assert "[x] 1. (1) a hazard" in marking and "[ ] 2. (1) another" in marking
        assert "Answer of 1003 to question 1." in app.screen.query_one("#iqa-answer").text
        # Q1: agree; moves on to Q2a.
        await pilot.press("a")
        await settle(pilot)
        assert screen.question_id == "2a" and "Recorded. Next: Q2a." in text(app, "#iqa-message")
        # Q2a: a different mark without a reason is refused in the dialog; Esc records nothing.
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, DifferentMarkDialog)
        await pilot.press("3", "enter", "enter")
        await settle(pilot)
        assert "A different mark needs a reason" in text(app, "#iqa-dialog-error")
        await pilot.press("escape")
        await settle(pilot)
        assert "Nothing recorded." in text(app, "#iqa-message")
        assert screen.view.review.questions.get("2a") is None
        # Now with a reason.
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("3", "enter", *"full isolation described", "enter")
        await settle(pilot)
        assert screen.question_id == "2b"
        assert "with your marks 7/10 pass" in text(app, "#iqa-totals")
        await pilot.press("a")
        await settle(pilot)
        assert "Q1 ✓" in text(app, "#iqa-question-strip") and "Q2a 2→3" in text(app, "#iqa-question-strip")
        # Decide: the dialog proposes "marks adjusted"; record it with feedback and an action point.
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DecisionDialog)
        await pilot.press("tab", *"Credit the full isolation.", "tab")
        app.screen.query_one("#iqa-action-points").load_text("Re-read 2a | Ana Lopes | 2026-04-30")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The explicit confirmation lists the change; n leaves everything as it was.
        assert isinstance(app.screen, ConfirmDecisionDialog)
        body = text(app, ".iqa-dialog-detail")
        assert "Q2a: 2 → 3 of 3 · full isolation described" in body and "6/10 pass → 7/10 pass" in body
        await pilot.press("n")
        await settle(pilot)
        assert "Not confirmed: nothing has changed." in text(app, "#iqa-message")
        assert room.marking.result(room.script("1003")).total == 6
        assert "(press c to confirm)" in text(app, "#iqa-totals")
        # c: the same confirmation again; y applies it through the marking engine.
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "Confirmed: 1 mark(s) changed; total 6 → 7." in text(app, "#iqa-message")
        assert "Total 7/10 pass · decision: marks adjusted" in text(app, "#iqa-totals")
        assert "confirmed" in text(app, "#iqa-review-title")
        # Back on the plan list: the total is the adjusted one, not the one sampled.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, IqaPlanScreen)
        assert rows(app)[0][2] == "7 (was 6)"
    script = room.script("1003")
    assert room.marking.result(script).total == 7
    [adjusted] = room.audit("mark adjusted by IQA")
    assert adjusted.actor == IVY and adjusted.details["reason"] == "IQA review: full isolation described"
    review = room.iqa.reviews.review_view(script, reviewer=IVY).review
    assert review.feedback_to_marker == "Credit the full isolation."
    assert [(a.text, a.owner, str(a.due)) for a in review.action_points] == [("Re-read 2a", ANA, "2026-04-30")]


async def test_the_review_screen_answers_keys_while_another_program_holds_the_database(room):
    """Every IQA call runs on a thread worker: a judgement that must wait for the write lock never
    freezes the review screen, and it is saved once the other program lets go."""
    import sqlite3

    plan_with(room, "1003")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_script(pilot, room, "1003")
        assert screen.question_id == "1"
        blocker = sqlite3.connect(room.path)
        blocker.execute("BEGIN IMMEDIATE")  # another terminal writing, e.g. a marker saving
        try:
            await pilot.press("a")  # agree with Q1: the save waits for the lock
            await pilot.pause()
            await pilot.press("n")  # the screen still moves between questions meanwhile
            await pilot.pause()
            assert screen.question_id == "2a"
            assert "2a" in text(app, "#iqa-question-text").split("·")[0]
            assert screen.view.review is None  # nothing shown as saved while it waits
        finally:
            blocker.rollback()
            blocker.close()
        await settle(pilot)
        assert screen.view.review.questions["1"].agree
        assert "Recorded." in text(app, "#iqa-message")


async def test_a_refused_decision_reopens_the_dialog_with_what_was_typed(room):
    plan_with(room, "1001")
    room.iqa.reviews.agree_all(room.script("1001"), reviewer=IVY)
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_script(pilot, room, "1001")
        await pilot.press("d")
        await settle(pilot)
        long = "x" * 2001
        app.screen.query_one("#iqa-feedback").load_text(long)
        app.screen.query_one("#iqa-action-points").load_text("Keep this | Ana Lopes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DecisionDialog)
        assert "at most 2000 characters" in text(app, "#iqa-dialog-error")
        assert app.screen.query_one("#iqa-feedback").text == long
        assert app.screen.query_one("#iqa-action-points").text == "Keep this | Ana Lopes"


async def test_drawing_again_after_reviews_started_asks_for_a_reason_in_the_dialog(room):
    plan_with(room, "1001")
    room.iqa.reviews.record_question(room.script("1001"), "1", reviewer=IVY)
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DrawPlanDialog)
        assert "say why you are drawing it again" in text(app, "#iqa-dialog-error")
        app.screen.query_one("#iqa-reason").value = "wrong strategy"
        app.screen.query_one("#iqa-seed").value = "5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, IqaPlanScreen) and "Plan 2 drawn" in text(app, "#iqa-message")


async def test_a_confirmed_review_cannot_be_changed_on_screen(room):
    plan_with(room, "1001")
    script = room.script("1001")
    room.iqa.reviews.agree_all(script, reviewer=IVY)
    room.iqa.reviews.decide(script, reviewer=IVY, decision="marking upheld", confirm=True)
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert rows(app)[0][3] == "✓ upheld"
        await open_script(pilot, room, "1001")
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, IqaReviewScreen)
        assert "This review is confirmed (marking upheld) and cannot change." in text(app, "#iqa-message")


async def test_a_mark_changed_by_the_marker_since_the_decision_is_caught_before_the_confirmation(room):
    plan_with(room, "1001")
    script = room.script("1001")
    room.iqa.reviews.agree_all(script, reviewer=IVY)
    room.iqa.reviews.record_question(script, "1", reviewer=IVY, agree=False, mark=1, reason="one hazard")
    room.iqa.reviews.decide(script, reviewer=IVY, decision="marks adjusted")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_script(pilot, room, "1001")
        room.marking.save_mark(script, "2a", 2, by=ANA, expected_version=1, reason="rechecked", hold=False)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, IqaReviewScreen)
        assert "The marker changed Q2a after you judged it: judge it again" in text(app, "#iqa-message")
        assert "Q2a !" in text(app, "#iqa-question-strip")
    assert room.marking.result(script).total == 8  # Ana's change only: nothing of the review applied


async def test_deciding_before_every_question_is_judged_points_at_the_first_one_left(room):
    plan_with(room, "1001")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_script(pilot, room, "1001")
        await pilot.press("a", "d")
        await settle(pilot)
        assert isinstance(app.screen, IqaReviewScreen)
        assert "Judge every question first (a or m): Q2a, Q2b not yet." in text(app, "#iqa-message")
        assert screen.question_id == "2a"
        await pilot.press("c")
        assert "There is no decision to confirm yet" in text(app, "#iqa-message")


async def test_the_agreement_screen_shows_figures_per_marker_and_question(room):
    plan_with(room, "1001", "1006")
    room.iqa.reviews.agree_all(room.script("1006"), reviewer=IVY)
    room.iqa.reviews.record_question(room.script("1001"), "2b", reviewer=IVY, agree=False, mark=2, reason="one point")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, IqaAgreementScreen)
        table = app.screen.query_one("#iqa-agreement", DataTable)
        got = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}
        assert got["All markers"][1:] == ["4", "75.0%", "75.0%", "0.50", "2", "n/a"]
        assert got[ANA][1:4] == ["1", "0.0%", "0.0%"]
        assert got["Q2b"][1:] == ["2", "50.0%", "50.0%", "1.00", "2", "n/a"]
        await pilot.press("s")
        await settle(pilot)
        assert "Pairs: reviewers' judgements (s to change)" in text(app, "#iqa-agreement-info")


async def test_the_home_screen_lists_plans_and_sittings_without_one(room):
    plan_with(room, "1001")
    app = app_for(room, IqaHomeScreen(IVY))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#iqa-scopes", DataTable)
        assert [str(c) for c in table.get_row_at(0)] == [room.code, "plan 1", "1", "0", "-"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, IqaPlanScreen)


async def test_every_footer_key_is_in_the_command_palette(room):
    plan_with(room, "1001")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Review", "Agreement", "Draw", "Sign off"} <= set(titles)
        await open_script(pilot, room, "1001")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Agree", "Your mark", "Decide", "Confirm", "Next script", "New round"} <= set(titles)


async def test_a_reviewer_gives_a_script_to_a_blind_second_marker_from_the_plan(room):
    plan_with(room, "1006")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, StatementDialog)
        await pilot.press(*BEN, "enter")  # Ben marked it: refused, with the rule
        await settle(pilot)
        assert "Ben Okafor marked this script and cannot second-mark it" in text(app, "#iqa-message")
        await pilot.press("b")
        await settle(pilot)
        await pilot.press(*SAM, "enter")
        await settle(pilot)
        assert "given to Sam Second for a blind second mark" in text(app, "#iqa-message")
        assert rows(app)[0][3] == "not started · 2nd …"


def second_marking_app(room, number: str = "1006") -> tuple[MarkerApp, int]:
    """Script ``number`` given to Sam for a blind second mark, and the app Sam signs in to."""
    plan_with(room, number)
    script = room.script(number)
    room.iqa.second_marking.assign_second_marker(script, second_marker=SAM, by=IVY)
    return app_for(room, second_marking_sign_in()), script


async def on_the_blind_script(pilot) -> None:
    """Sam signs in and opens the first script of their queue."""
    app = pilot.app
    await settle(pilot)
    await pilot.press(*SAM, "enter", *PIN, "enter")
    await settle(pilot)
    assert isinstance(app.screen, SecondMarkingQueueScreen)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, BlindMarkingScreen)


async def test_the_second_marker_marks_blind_and_completes(room):
    app, _ = second_marking_app(room)
    async with app.run_test(size=SIZE) as pilot:
        await on_the_blind_script(pilot)
        shown = text(app, "#iqa-marking-text") + text(app, "#iqa-blind-title") + text(app, "#iqa-totals")
        assert BEN not in shown and "Ben on" not in shown and "[x]" not in shown  # no first marks, ticks or comments
        assert "1. (1) a hazard" in shown
        await pilot.press("9", "enter")  # above the maximum of 2: refused, nothing saved
        await settle(pilot)
        assert "9 is outside the allowed range" in text(app, "#iqa-message")
        await pilot.press("2", "enter", "3", "enter", "1", "enter")
        await settle(pilot)
        assert "Every question has your mark" in text(app, "#iqa-message")
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert "Second marking complete" in text(app, "#iqa-message")
    [item] = room.iqa.agreement.adjudication(room.code)
    assert (item.discrepancy.question_id, item.discrepancy.first_mark, item.discrepancy.second_mark) == ("2b", 5, 1)


def test_snapshot_review_screen_80x24(room, snap_compare):
    plan_with(room, "1003")
    room.iqa.reviews.record_question(room.script("1003"), "1", reviewer=IVY)
    room.iqa.reviews.record_question(room.script("1003"), "2a", reviewer=IVY, agree=False, mark=3,
                             reason="full isolation described")

    async def run_before(pilot):
        await settle(pilot)
        await open_script(pilot, room, "1003")
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(plan_screen(room), terminal_size=SIZE, run_before=run_before)


def test_snapshot_plan_screen_80x24(room, snap_compare):
    room.iqa.plans.create_plan(room.code, strategy=SamplingStrategy(), by=MO, seed=3)
    assert snap_compare(plan_screen(room, MO), terminal_size=SIZE, run_before=settle)  # the plan's read shown


async def test_signing_off_too_early_keeps_the_typed_statement(room):
    plan_with(room, "1001")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatementDialog)
        await pilot.press(*"Consistent marking", "enter")
        await settle(pilot)
        # Refused in the dialog: the reason shown, the statement still there.
        assert isinstance(app.screen, StatementDialog)
        assert "cannot be signed off yet" in text(app, "#iqa-dialog-error")
        assert app.screen.query_one("#iqa-statement").value == "Consistent marking"
        await pilot.press("escape")
        await settle(pilot)
        assert "kept as a draft" in text(app, "#iqa-message")
        await pilot.press("s")
        await settle(pilot)
        assert app.screen.query_one("#iqa-statement").value == "Consistent marking"
    assert room.iqa.plans.current_plan(room.code, reviewer=IVY).sign_off is None


async def test_dialog_labels_wrap_and_text_boxes_have_borders_at_80x24(room):
    plan_with(room, "1006")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, StatementDialog)
        label = app.screen.query_one(".iqa-dialog-wrap")
        assert "they will not see the first marks" in str(label.render())
        assert label.size.height >= 2 and label.size.width <= 80  # wrapped onto a second line, not cut
        box = app.screen.query_one("#iqa-statement")
        assert box.styles.border_top[0] == "round" and box.outer_size.height == 3


async def test_a_different_mark_and_reason_typed_fast_are_both_recorded(room):
    """Mark, Enter, reason, Enter typed back to back: the reason must not fall into the mark box."""
    from textual import events

    plan_with(room, "1003")
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_script(pilot, room, "1003")
        await pilot.press("a")  # Q1 agreed; on to Q2a (Ana gave 2)
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, DifferentMarkDialog)
        for key, char in [("3", "3"), ("enter", "\r"), *((c if c != " " else "space", c) for c in "full isolation"),
                          ("enter", "\r")]:
            app.post_message(events.Key(key, char))
        for _ in range(4):
            await settle(pilot)
        assert isinstance(app.screen, IqaReviewScreen)
        judgement = screen.view.review.questions["2a"]
        assert (judgement.agree, judgement.reviewer_mark, judgement.reason) == (False, 3, "full isolation")
        assert "Q2a 2→3" in text(app, "#iqa-question-strip")


async def test_the_decision_dialog_shows_which_one_choice_is_chosen_not_only_by_colour(room):
    from marker_tui.interfaces.tui.widgets.iqa_dialogs import ChoiceButton

    plan_with(room, "1006")
    room.iqa.reviews.agree_all(room.script("1006"), reviewer=IVY)
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_script(pilot, room, "1006")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DecisionDialog)
        shown = [str(b.render()) for b in app.screen.query(ChoiceButton)]
        assert len(shown) == 3 and [s.startswith("(•)") for s in shown].count(True) == 1
        assert sum(s.startswith("( )") for s in shown) == 2
        chosen = next(s for s in shown if s.startswith("(•)"))
        assert chosen.removeprefix("(•)").strip() in text(app, "#iqa-decision-now")
        await pilot.press("right", "space")  # another choice: the marks move with it
        await settle(pilot)
        again = [str(b.render()) for b in app.screen.query(ChoiceButton)]
        assert [s.startswith("(•)") for s in again].count(True) == 1 and again != shown


async def test_c_pressed_while_the_decision_saves_brings_up_one_confirmation_that_y_closes(room):
    """Ctrl+S, then c at once (the save waiting for another program's lock): c started a second read and
    a second confirmation over the first, so the reviewer's y closed one and the other stayed."""
    import sqlite3

    plan_with(room, "1001")
    room.iqa.reviews.agree_all(room.script("1001"), reviewer=IVY)
    app = plan_screen(room)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_script(pilot, room, "1001")
        await pilot.press("d")
        await settle(pilot)
        blocker = sqlite3.connect(room.path)
        blocker.execute("BEGIN IMMEDIATE")  # another terminal writing: the decision waits for the lock
        try:
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, IqaReviewScreen)
            assert "Saving your decision: its confirmation comes next." in text(app, "#iqa-message")
        finally:
            blocker.rollback()
            blocker.close()
        await settle(pilot)
        assert [type(s) for s in app.screen_stack].count(ConfirmDecisionDialog) == 1
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, IqaReviewScreen)
        assert "Confirmed: marking upheld. No marks changed." in text(app, "#iqa-message")
    assert room.iqa.reviews.review_view(room.script("1001"), reviewer=IVY).state == "confirmed"


async def test_a_typed_second_mark_is_never_dropped_by_esc_or_by_moving_on(room):
    app, script = second_marking_app(room)
    async with app.run_test(size=SIZE) as pilot:
        await on_the_blind_script(pilot)
        await pilot.press("2", "n")  # moving on with a typed mark: refused, and said
        await settle(pilot)
        assert "Your mark of 2 for Q1 is not saved: Enter saves it" in text(app, "#iqa-message")
        assert "2_ of 2" in text(app, "#iqa-totals")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        assert "Save your mark of 2 for Q1 before leaving?" in text(app, "#confirm-question")
        await pilot.press("escape")  # neither: stay, the mark still typed
        await settle(pilot)
        assert isinstance(app.screen, BlindMarkingScreen) and "2_ of 2" in text(app, "#iqa-totals")
        await pilot.press("escape", "n")  # discard it
        await settle(pilot)
        assert isinstance(app.screen, SecondMarkingQueueScreen)
        assert room.iqa.second_marking.second_marking_view(script, by=SAM).my_marks == {}
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("1", "escape", "y")  # save it and leave
        await settle(pilot)
        assert isinstance(app.screen, SecondMarkingQueueScreen)
    assert dict(room.iqa.second_marking.second_marking_view(script, by=SAM).my_marks) == {"1": 1}


async def test_a_mark_typed_fast_with_enter_is_saved_for_the_question_it_was_typed_on(room):
    from key_bursts import press_burst

    app, script = second_marking_app(room)
    async with app.run_test(size=SIZE) as pilot:
        await on_the_blind_script(pilot)
        await press_burst(pilot, "2", "enter")  # as a fast typist's terminal delivers them: together
        await settle(pilot)
        assert "Saved. Next: Q2a." in text(app, "#iqa-message")
    assert dict(room.iqa.second_marking.second_marking_view(script, by=SAM).my_marks) == {"1": 2}
