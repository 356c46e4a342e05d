"""The invigilator's screens, driven with Pilot against a real database file and a fake clock."""

from __future__ import annotations

import asyncio
import re
import time

from textual.worker import WorkerState

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.invigilator import (
    STALE_SAVE_SECONDS,
    ActionDialog,
    AuditLogScreen,
    InvigilatorRoomScreen,
    invigilator_sign_in,
)
from marker_tui.interfaces.tui.screens.staff_sign_in import StaffSignInScreen
from test_learner_screen import SIZE, centre_for, open_sitting, room, text_of, utc  # noqa: F401
from sitting_fixtures import ADMIN, INVIGILATOR, PIN


async def settle(pilot, seconds: float = 30.0) -> None:
    """Let the screen's readers (thread workers) finish and their results reach the screen.

    One wait is not enough: a finished action asks for a new read of the room after its worker has
    ended, and a read asked for while another runs starts when that one ends. So: until no worker
    runs and no read is under way or due (a deadline budgeted for a loaded CI machine, not a sleep).
    The room's own one-second timer is held (hold_timer): the test calls refresh_status() itself.
    """
    deadline = time.monotonic() + seconds
    while True:
        for screen in pilot.app.screen_stack:
            if isinstance(screen, InvigilatorRoomScreen):
                hold_timer(screen)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not busy(pilot.app):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the room view's reads did not finish in time")
        await asyncio.sleep(0.01)


def hold_timer(screen: InvigilatorRoomScreen) -> None:
    """The room view reads the room every real second while the test's clock stands still: on a
    loaded machine a read started before a step of the test could land after it."""
    timer = getattr(screen, "refresh_timer", None)
    if timer is not None:
        timer.pause()


def busy(app) -> bool:
    if any(worker.state in (WorkerState.PENDING, WorkerState.RUNNING) for worker in app.workers):
        return True
    return any(isinstance(s, InvigilatorRoomScreen) and (s._reading or s._read_again) for s in app.screen_stack)


def room_app(room, code: str, *, signed_in: bool = True, centre=None) -> MarkerApp:
    start = InvigilatorRoomScreen(code, INVIGILATOR) if signed_in else invigilator_sign_in(code)
    return MarkerApp(centre or centre_for(room), start=start, steady=True)


def cells(screen: InvigilatorRoomScreen, number: str) -> dict[str, str]:
    table = screen.query_one("#room-table")
    row = table.get_row(number)
    keys = [c.key.value for c in table.ordered_columns]
    return {k: getattr(v, "plain", str(v)) for k, v in zip(keys, row)}


def cell_style(screen: InvigilatorRoomScreen, number: str, column: str) -> str:
    return str(screen.query_one("#room-table").get_cell(number, column).style)


async def fill_dialog(pilot, **values: str) -> ActionDialog:
    dialog = pilot.app.screen
    assert isinstance(dialog, ActionDialog), f"expected a dialog, got {dialog!r}"
    for field, value in values.items():
        dialog.query_one(f"#{field}").value = value
    return dialog


async def confirm(pilot) -> None:
    """Press the dialog's confirm button (Button.press: a second click or Enter within 0.2 s is ignored)."""
    pilot.app.screen.query_one("#confirm").press()
    await settle(pilot)


# --- signing in -------------------------------------------------------------------------------------


async def test_sign_in_needs_the_right_pin_and_an_invigilator_role(room):
    code = open_sitting(room)
    room.staff.add("Mo Marker", ["marker"], "5555", by=ADMIN)
    app = room_app(room, code, signed_in=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StaffSignInScreen)
        await pilot.press(*"Ian Invigilator", "enter", "9", "9", "9", "9", "enter")
        await settle(pilot)
        assert text_of(screen.query_one("#pin-error")) == "That name and PIN do not match."
        screen.query_one("#staff-name").value = "Mo Marker"
        await pilot.press("5", "5", "5", "5", "enter")
        await settle(pilot)
        assert text_of(screen.query_one("#pin-error")) == "Mo Marker cannot do this: it needs the role invigilator or admin."
        screen.query_one("#staff-name").value = INVIGILATOR
        await pilot.press(*PIN, "enter")
        await settle(pilot)
        assert isinstance(app.screen, InvigilatorRoomScreen) and app.screen.staff_name == INVIGILATOR


async def test_three_wrong_pins_lock_the_name_out(room):
    code = open_sitting(room)
    app = room_app(room, code, signed_in=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.query_one("#staff-name").value = INVIGILATOR
        for _ in range(3):
            screen.query_one("#staff-pin").value = "0000"
            screen.query_one("#staff-pin").focus()
            await pilot.press("enter")
            await settle(pilot)
        assert "Too many wrong PINs" in text_of(screen.query_one("#pin-error"))
        screen.query_one("#staff-pin").value = PIN
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, StaffSignInScreen)  # still locked out, even with the right PIN


# --- the live view --------------------------------------------------------------------------------


async def test_the_room_shows_each_candidates_state_time_answers_and_extra_time(room):
    code = open_sitting(room, candidates=("1001", "1002", "1003", "1004"))
    room.log_in(code, "1001")
    room.log_in(code, "1002")
    room.sittings.start(code, by=INVIGILATOR)
    room.log_in(code, "1003")  # late starter: full time from now
    script = room.script_id(code, "1001")
    room.learners.save_answer(script, "1", "an answer")
    room.clock.advance(minutes=10)
    room.learners.submit(room.script_id(code, "1003"))
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert cells(screen, "1001") == {"number": "1001", "name": "Amira Khan", "state": "writing",
                                         "allowed": "1:30:00", "left": "1:20:00", "answered": "1/3",
                                         "saved": "10m00s", "extra": "-"}
        assert cells(screen, "1002")["extra"] == "25%" and cells(screen, "1002")["left"] == "1:42:30"
        assert cells(screen, "1003")["state"] == "submitted" and cells(screen, "1003")["left"] == "-"
        assert cells(screen, "1004")["state"] == "not logged in"
        summary = text_of(screen.query_one("#room-summary"))
        assert "RUNNING" in summary and "1 not logged in" in summary and "2 writing" in summary


async def test_the_view_refreshes_itself_and_highlights_stale_saves(room):
    code = open_sitting(room)
    for number in ("1001", "1002"):
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert cells(screen, "1001")["answered"] == "0/3"
        room.clock.advance(seconds=STALE_SAVE_SECONDS - 10)
        room.learners.save_answer(room.script_id(code, "1001"), "1", "typing")
        room.clock.advance(seconds=15)  # 1002 has not typed at all for over a minute since starting
        screen.refresh_status()
        await settle(pilot)
        assert cells(screen, "1001")["answered"] == "1/3" and cells(screen, "1001")["saved"] == "15s"
        assert cells(screen, "1002")["saved"] == "none"
        # Not typing yet is not a terminal problem: nobody is flagged.
        assert "reverse" not in cell_style(screen, "1001", "saved")
        assert "reverse" not in cell_style(screen, "1002", "saved")
        assert "not saved for over" not in text_of(screen.query_one("#room-summary"))
        # 1001 typed, then nothing has been saved for over a minute: that terminal is worth a look.
        room.clock.advance(seconds=STALE_SAVE_SECONDS)
        screen.refresh_status()
        await settle(pilot)
        assert "reverse" in cell_style(screen, "1001", "saved")
        assert "reverse" not in cell_style(screen, "1002", "saved")
        assert f"1 not saved for over {STALE_SAVE_SECONDS}s" in text_of(screen.query_one("#room-summary"))


async def test_two_invigilator_terminals_see_the_same_room(room):
    code = open_sitting(room)
    room.log_in(code, "1001")
    first, second = room_app(room, code), room_app(room, code)
    async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
        await settle(one)
        await settle(two)
        await one.press("s")
        await settle(one)
        await confirm(one)
        assert first.screen.status.state.value == "running"
        second.screen.refresh_status()  # what its one-second timer does
        await settle(two)
        assert second.screen.status.state.value == "running"
        assert cells(second.screen, "1001") == cells(first.screen, "1001")


# --- actions -----------------------------------------------------------------------------------------


async def test_open_and_start_with_confirmation(room):
    code = room.new_sitting(code="MON-AM")
    room.sittings.enrol(code, ["1001", "1002"], by=INVIGILATOR)
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.check_action("open_sitting", ()) and not screen.check_action("start", ())
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("escape")  # cancelled: nothing happens
        await settle(pilot)
        assert room.sittings.summary(code).state.value == "scheduled"
        await pilot.press("o")
        await settle(pilot)
        await confirm(pilot)
        assert room.sittings.summary(code).state.value == "open"
        room.log_in(code, "1001")
        screen.refresh_status()
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert "1 logged-in candidate" in text_of(app.screen.query_one(".inv-dialog-body"))
        assert "1002" in text_of(app.screen.query_one(".inv-dialog-body"))
        await confirm(pilot)
        assert room.sittings.summary(code).state.value == "running"
        assert text_of(screen.query_one("#room-message")) == "Sitting started: the clock is running."
    actions = [e.action for e in room.sittings.log(code)]
    assert "sitting opened" in actions and "sitting started" in actions


def footer_keys(app) -> dict[str, str]:
    """What the footer offers: key → label of each shown, enabled binding."""
    return {key: b.binding.description for key, b in app.screen.active_bindings.items()
            if b.enabled and b.binding.show}


def shown_footer(screen) -> list[str]:
    """The labels the footer has drawn (footer_keys asks the bindings, which are always current)."""
    from textual.widgets._footer import FooterKey
    return [k.description for k in screen.query(FooterKey)]


async def test_pausing_the_room_needs_a_reason_and_resuming_lifts_it(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("p")
        await settle(pilot)
        dialog = app.screen
        await confirm(pilot)
        assert app.screen is dialog and text_of(dialog.query_one("#dialog-error")) == "Reason is required."
        await fill_dialog(pilot, reason="fire alarm")
        await confirm(pilot)
        assert app.screen is screen and room.sittings.summary(code).room_paused
        assert cells(screen, "1001")["state"] == "paused"
        assert not screen.check_action("pause_room", ()) and screen.check_action("resume_room", ())
        # The same key resumes, and the footer says so.
        assert footer_keys(app).get("p") == "Resume room"
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ActionDialog) and "Resume the room?" in text_of(
            app.screen.query_one(".inv-dialog-title"))
        await fill_dialog(pilot, reason="all clear")
        await confirm(pilot)
        assert not room.sittings.summary(code).room_paused
        assert footer_keys(app).get("p") == "Pause room"
    entries = {e.action: e for e in room.sittings.log(code)}
    assert entries["sitting paused"].details["reason"] == "fire alarm"
    assert entries["sitting resumed"].actor == INVIGILATOR


async def test_pause_resume_extend_and_end_one_candidate(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("down")  # 1002
        await pilot.press("c")
        await settle(pilot)
        assert "1002" in text_of(app.screen.query_one(".inv-dialog-title"))
        await fill_dialog(pilot, reason="unwell")
        await confirm(pilot)
        assert cells(screen, "1002")["state"] == "paused" and cells(screen, "1001")["state"] == "writing"
        await pilot.press("c")
        await settle(pilot)
        assert text_of(app.screen.query_one(".inv-dialog-title")).startswith("Resume candidate 1002")
        await fill_dialog(pilot, reason="better")
        await confirm(pilot)
        assert cells(screen, "1002")["state"] == "writing"
        await pilot.press("x")
        await settle(pilot)
        await fill_dialog(pilot, minutes="10", reason="")
        await confirm(pilot)
        assert text_of(app.screen.query_one("#dialog-error")) == "Reason is required."
        await fill_dialog(pilot, minutes="10", reason="reader arrived late")
        await confirm(pilot)
        assert cells(screen, "1002")["allowed"] == "2:02:30" and cells(screen, "1002")["extra"] == "25% +10m"
        await pilot.press("e")
        await settle(pilot)
        await fill_dialog(pilot, reason="left the room unwell")
        await confirm(pilot)
        assert cells(screen, "1002")["state"] == "ended"
        # Finished: extend, pause and end say so at once instead of opening a dialog that shows a clock.
        for key, doing in (("x", "extend"), ("c", "pause"), ("e", "end")):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen
            assert any(f"Candidate 1002 has finished (ended by invigilator): there is nothing to {doing}."
                       == n.message for n in app._notifications)
    status = room.candidate(code, "1002")
    assert status.submitted_reason == "ended by invigilator: left the room unwell"


async def test_extending_by_a_negative_number_is_refused_not_turned_into_extra_time(room):
    # The minutes box used to drop the minus sign as it was typed: "-5" granted 5 more minutes.
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        before = cells(screen, "1001")["allowed"]
        await pilot.press("x")
        await settle(pilot)
        await pilot.press(*"-5")  # typed, as the invigilator does (the minutes box has the keyboard)
        assert app.screen.query_one("#minutes").value == "-5"
        await fill_dialog(pilot, reason="trying to take time back")
        await confirm(pilot)
        assert "positive number of minutes" in text_of(app.screen.query_one("#dialog-error"))
        await pilot.press("escape")
        await settle(pilot)
        assert cells(screen, "1001")["allowed"] == before
    assert not [e for e in room.sittings.log(code) if e.action == "extension granted"]


async def test_pause_one_candidate_is_offered_only_once_the_sitting_runs(room):
    # Before the start, c asked for a reason and only then said a sitting that is open cannot be paused.
    code = open_sitting(room)
    room.log_in(code, "1001")
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "c" not in footer_keys(app) and "s" in footer_keys(app)
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen
        room.sittings.start(code, by=INVIGILATOR)
        screen.refresh_status()
        await settle(pilot)
        assert footer_keys(app).get("c") == "Pause/resume"


async def test_an_engine_refusal_is_shown_in_the_dialog(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        dialog = await fill_dialog(pilot, minutes="601", reason="late reader")  # over the engine's cap
        await confirm(pilot)
        assert "An extension can be at most 600 minutes (got 601)." in text_of(dialog.query_one("#dialog-error"))


async def test_ending_for_everyone_needs_a_reason_while_candidates_have_time(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("E")
        await settle(pilot)
        assert "3 candidate(s) still have time" in text_of(app.screen.query_one(".inv-dialog-body"))
        await fill_dialog(pilot, reason="building evacuated")
        await confirm(pilot)
        assert screen.status.state.value == "ended"
        assert {cells(screen, n)["state"] for n in ("1001", "1002", "1003")} == {"ended"}
        assert not screen.check_action("end_all", ())


async def test_incident_notes_land_in_the_audit_log_and_the_log_screen_shows_them(room):
    code = room.running_sitting()
    room.learners.save_answer(room.script_id(code, "1001"), "1", "x")
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill_dialog(pilot, candidate="1002", reason="")
        await confirm(pilot)
        assert text_of(app.screen.query_one("#dialog-error")) == "What happened is required."
        await fill_dialog(pilot, candidate="1002", reason="Phone rang in bag; switched off")
        await confirm(pilot)
        await pilot.press("n")
        await settle(pilot)
        await fill_dialog(pilot, candidate="", reason="Fire alarm test at 09:40")
        await confirm(pilot)
        await pilot.press("l")
        await settle(pilot)
        log = app.screen
        assert isinstance(log, AuditLogScreen)
        table = log.query_one("#log-table")
        rows = [[getattr(c, "plain", str(c)) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][2] == "incident" and rows[0][4] == "note: Fire alarm test at 09:40"
        assert rows[1][2:5] == ["incident", "1002", "note: Phone rang in bag; switched off"]
        assert "answer saved" not in [r[2] for r in rows]
        await pilot.press("a")
        rows = [table.get_row_at(i)[2].plain for i in range(table.row_count)]
        assert "answer saved" in rows
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InvigilatorRoomScreen)
    incidents = [e for e in room.sittings.log(code) if e.action == "incident"]
    assert [(e.actor, e.candidate_number) for e in incidents] == [(INVIGILATOR, "1002"), (INVIGILATOR, None)]


async def test_a_note_about_someone_not_enrolled_is_refused(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        dialog = await fill_dialog(pilot, candidate="1005", reason="Arrived")
        await confirm(pilot)
        assert text_of(dialog.query_one("#dialog-error")) == f"Candidate 1005 is not enrolled in sitting {code}."


# --- snapshots at 80x24 -------------------------------------------------------------------------------


def busy_room(room) -> str:
    code = open_sitting(room, candidates=("1001", "1002", "1003", "1004", "1005"))
    for number in ("1001", "1002", "1003"):
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    room.learners.save_answer(room.script_id(code, "1001"), "1", "hazards")
    room.clock.advance(minutes=2)
    room.learners.save_answer(room.script_id(code, "1002"), "1", "a cable")
    room.sittings.extend(code, candidate_number="1002", minutes=10, reason="reader late", by=INVIGILATOR)
    room.log_in(code, "1004")
    room.sittings.pause(code, reason="unwell", by=INVIGILATOR, candidate_number="1003")
    room.clock.advance(seconds=30)
    return code


def test_snapshot_sign_in(room, snap_compare):
    code = open_sitting(room)
    assert snap_compare(room_app(room, code, signed_in=False), terminal_size=SIZE)


def test_snapshot_room(room, snap_compare):
    code = busy_room(room)
    assert snap_compare(room_app(room, code), terminal_size=SIZE, run_before=settle)  # the first read shown


def test_snapshot_pause_dialog_with_missing_reason(room, snap_compare):
    code = busy_room(room)

    async def run_before(pilot):
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")  # Enter in the empty reason box
        await settle(pilot)

    assert snap_compare(room_app(room, code), terminal_size=SIZE, run_before=run_before)


def test_snapshot_audit_log(room, snap_compare):
    code = busy_room(room)

    async def run_before(pilot):
        await pilot.press("l")
        await settle(pilot)

    assert snap_compare(room_app(room, code), terminal_size=SIZE, run_before=run_before)


# --- centre-ready details (issue 15) ------------------------------------------------------------------


async def test_q_asks_before_leaving_a_running_room_and_quits_at_once_when_it_has_ended(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        room_screen = app.screen
        await pilot.press("q")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ActionDialog)
        body = text_of(dialog.query_one(".inv-dialog-body"))
        assert "3 candidate(s) keep writing" in body and f"marker-tui invigilate {code}" in body
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is room_screen and app.return_code is None  # still running the room
        await pilot.press("q")
        await settle(pilot)
        await confirm(pilot)
        assert app.return_code == 0
    room.sittings.end(code, by=INVIGILATOR, reason="all finished")
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert app.return_code == 0  # nobody writing: no question


async def test_names_get_the_room_the_screen_has(room):
    room.candidates.add("1009", "Callum McKenzie-Fotheringham", by=ADMIN)
    code = room.running_sitting(candidates=("1001", "1009"))
    for size, shown in (((80, 24), "Callum McKenz"), ((120, 30), "Callum McKenzie-Fotheringham")):
        app = room_app(room, code)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await settle(pilot)
            table = app.screen.query_one("#room-table")
            width = table.columns["name"].width
            assert cells(app.screen, "1009")["name"] == "Callum McKenzie-Fotheringham"
            assert width >= len(shown) and (size[0] > 80 or width == 13), (size, width)
            await pilot.resize_terminal(*((120, 30) if size[0] == 80 else (80, 24)))
            await settle(pilot)
            await settle(pilot)
            assert table.columns["name"].width == (28 if size[0] == 80 else 13)
            assert table.row_count == 2


async def test_the_incident_note_starts_with_the_highlighted_candidate(room):
    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down")  # 1002
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one("#candidate").value == "1002"
        # The invigilator types the note straight away: it goes in the note, not the candidate box.
        assert app.screen.focused is app.screen.query_one("#reason")
        await fill_dialog(pilot, reason="Asked for water")
        await confirm(pilot)
    [note] = [e for e in room.sittings.log(code) if e.action == "incident"]
    assert note.candidate_number == "1002"


async def test_the_audit_log_reads_in_words_with_times_of_day(room):
    code = room.running_sitting()
    room.sittings.extend(code, candidate_number="1002", minutes=15, reason="toilet break", by=INVIGILATOR)
    app = room_app(room, code)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        table = app.screen.query_one("#log-table")
        rows = [[getattr(c, "plain", str(c)) for c in table.get_row_at(i)] for i in range(table.row_count)]
        [extension] = [r for r in rows if r[2] == "extension granted"]
        assert extension[4] == "allowed time; minutes: 15; 1 h 52 m 30 s → 2 h 7 m 30 s; reason: toilet break"
        assert re.fullmatch(r"\d\d:\d\d:\d\d", extension[0])  # today: the time of day only
        assert not any("_seconds" in r[4] or "T0" in r[4] for r in rows)  # no field names, no ISO times


async def test_a_second_login_shows_in_the_room_and_m_approves_the_move(room):
    from marker_tui.services.learner import LearnerService, ScriptInUse
    from marker_tui.services.terminal import Terminal

    code = room.running_sitting()  # 1002 logged in on the room's own terminal: its lease is live
    desk1 = room.sittings.status(code)
    desk1 = next(c.terminal for c in desk1.candidates if c.candidate_number == "1002")
    desk2 = LearnerService(room.db, room.clock, Terminal.named("desk-2", "bbbb"))
    try:
        room.log_in(code, "1002", desk2)
    except ScriptInUse:
        pass
    else:
        raise AssertionError("a second live terminal was let in")
    app = room_app(room, code)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        summary = text_of(screen.query_one("#room-summary"))
        assert f"1002: second login from desk-2 #bbbb (script on {desk1}) · m: approve the move" in summary
        assert "exit code" not in summary  # on the invigilator's slip, not on a screen others pass
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ActionDialog)
        assert "Move candidate 1002 (Ben Jones) to desk-2 #bbbb?" in text_of(app.screen.query_one(".inv-dialog-title"))
        await confirm(pilot)
        assert app.screen is screen
        assert "second login" not in text_of(screen.query_one("#room-summary"))
    assert room.log_in(code, "1002", desk2).script_id == room.script_id(code, "1002")  # now desk 2's
    [moved] = [e for e in room.sittings.log(code) if desk1 in str(e.details) and "desk-2" in str(e.details)
               and e.actor == INVIGILATOR]
    assert moved.candidate_number == "1002"


async def test_the_footer_offers_m_when_a_second_login_comes_while_the_room_is_open(room):
    # The footer was only redrawn when the sitting's state changed, so "m Approve move" never
    # appeared for a second login made while the invigilator watched.
    from marker_tui.services.learner import LearnerService, ScriptInUse
    from marker_tui.services.terminal import Terminal

    code = room.running_sitting()
    app = room_app(room, code)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert "Approve move" not in shown_footer(screen)
        try:
            room.log_in(code, "1002", LearnerService(room.db, room.clock, Terminal.named("desk-2", "bbbb")))
        except ScriptInUse:
            pass
        screen.refresh_status()
        await settle(pilot)
        assert "second login" in text_of(screen.query_one("#room-summary"))
        assert "Approve move" in shown_footer(screen)


async def test_a_terminal_locked_for_wrong_exit_codes_shows_in_the_room(room):
    from marker_tui.domain.admission import EXIT_TRIES
    from marker_tui.services.learner import ExitRefused, LearnerService
    from marker_tui.services.terminal import Terminal

    code = room.running_sitting(candidates=("1001",))
    room.sittings.enrol(code, ["1002"], by=INVIGILATOR)
    learner = LearnerService(room.db, room.clock, Terminal.named("desk-7", "cccc"))
    learner.login(code, "1002", room.keycode(code, "1002"))
    for _ in range(EXIT_TRIES):
        try:
            learner.release_terminal(code, "000000", candidate_number="1002")
        except ExitRefused:
            pass
    app = room_app(room, code)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        summary = text_of(app.screen.query_one("#room-summary"))
        assert re.search(r"desk-7 #cccc: locked until \d\d:\d\d:\d\d after wrong exit codes", summary)


async def test_the_room_view_answers_keys_while_another_process_holds_the_database(room):
    """The 1-second read runs in a thread: a read that must wait for the write lock (its expiry
    sweep is a write) never freezes the room view."""
    import sqlite3

    code = open_sitting(room)
    for number in ("1001", "1002"):
        room.log_in(code, number)
    room.sittings.start(code, by=INVIGILATOR)
    app = room_app(room, code)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#room-table")
        assert table.cursor_row == 0 and cells(screen, "1001")["state"] == "writing"
        blocker = sqlite3.connect(room.path)
        blocker.execute("BEGIN IMMEDIATE")  # another process writing, e.g. a busy room's saves
        try:
            room.clock.advance(hours=3)  # time is up: the next read must sweep, so must wait for the lock
            screen.refresh_status()
            await pilot.pause()
            await pilot.press("down")
            await pilot.pause()
            assert table.cursor_row == 1  # the key was handled while the read waits
            assert cells(screen, "1001")["state"] == "writing"  # the last reading stays up meanwhile
        finally:
            blocker.rollback()
            blocker.close()
        await settle(pilot)
        assert cells(screen, "1001")["state"] == "time up" and cells(screen, "1002")["state"] == "time up"
