"""Administer: every admin action writes the right rows (and the audit log), mistakes write nothing.

Real SQLite file, real services, a FakeClock; the screen is driven as an admin
would drive it (keys, Enter to save, Escape to cancel).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.admin import AdminScreen
from marker_tui.interfaces.tui.widgets.admin_forms import (
    AddStaffForm,
    CandidateForm,
    CreateSittingForm,
    EnrolForm,
    ImportCandidatesForm,
    ReportDialog,
    ResetPinForm,
    RolesForm,
    parse_start,
)
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.centre import Centre
from marker_tui.services.setup import create_first_admin, load_shipped_papers
from marker_tui.services.staff import LockedOut, WrongPin
from marker_tui.storage.database import open_database
from waiting import until, workers_done

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ADMIN = "Ada Admin"
CSV = Path(__file__).parent / "fixtures" / "candidates"
E8 = "Form 8 on file | Sam Senco | 2026-09-01"


@pytest.fixture
def centre(tmp_path: Path, mini) -> Centre:
    built = Centre(db=open_database(tmp_path / "centre.db"), clock=FakeClock(NOW),
                   papers_dir=mini.root / "papers", markschemes_dir=mini.root / "markschemes")
    load_shipped_papers(built)
    create_first_admin(built, ADMIN, "4826", "4826")
    built.staff.add("Ian Invigilator", ["invigilator"], "1111", by=ADMIN)
    built.candidates.add("1001", "Amira Khan", by=ADMIN)
    built.candidates.add("1002", "Ben Jones", 25, f"extra time | {E8}; reader | {E8}", by=ADMIN)
    built.clock.advance(minutes=5)
    yield built
    built.close()


def admin_app(centre: Centre) -> MarkerApp:
    return MarkerApp(centre, start=AdminScreen(centre.staff.get(ADMIN)), steady=True)


def rows(centre: Centre, sql: str, params=()) -> list[dict]:
    return list(centre.db.query(sql, list(params)))


def snapshot(centre: Centre) -> dict[str, list[str]]:
    """Every row of every table: to prove a refused action changed nothing."""
    tables = [r[0] for r in centre.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: sorted(map(repr, centre.db.execute(f'SELECT * FROM "{t}"'))) for t in tables}


def last_audit(centre: Centre):
    return entries(centre.db)[-1]


def form_error(app) -> str:
    box = app.screen.query_one("#form-error-box")
    return str(app.screen.query_one("#form-error").render()) if box.display else ""


async def type_into(pilot, field: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", TextInput)
    box.focus()
    box.value = text
    await pilot.pause()


async def save(pilot) -> None:
    """Enter: the form's save runs in a worker, and a done save reads its list again in another."""
    await pilot.press("enter")
    await workers_done(pilot)


async def settle(pilot) -> None:
    """Wait for the papers to be read (or reloaded) in their thread, and shown."""
    await workers_done(pilot)


# --- sections and keys -------------------------------------------------------------------------------


async def test_every_section_is_reachable_by_key_and_offers_its_actions(centre):
    app = admin_app(centre)
    expected = {
        "1": ("papers", {"Reload files"}),
        "2": ("candidates", {"Add candidate", "Edit", "Import CSV"}),
        "3": ("staff", {"Add staff", "Change roles", "Reset PIN"}),
        "4": ("sittings", {"Create sitting", "Enrol candidates"}),
        "5": ("audit", {"Filter", "Newest/oldest first", "Clear filters"}),
    }
    all_actions = set().union(*(names for _, names in expected.values()))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key, (tab, names) in expected.items():
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.active_tab == tab
            titles = {c.title for c in app.get_system_commands(app.screen)}
            # The palette offers this section's actions (and the keys, sign out), not the others'.
            assert names <= titles, (tab, titles)
            assert not (all_actions - names) & titles, (tab, titles)
            assert {"Sign out", "Keys", "Papers", "Audit log"} <= titles


async def test_escape_signs_out_back_to_the_screen_below(centre):
    from textual.screen import Screen

    class Below(Screen):
        def on_mount(self) -> None:
            self.app.push_screen(AdminScreen(self.app.centre.staff.get(ADMIN)))

    below = Below()
    app = MarkerApp(centre, start=below, steady=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is below


# --- candidates ------------------------------------------------------------------------------------------


async def test_add_candidate_writes_the_row_and_the_audit(centre):
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        assert isinstance(app.screen, CandidateForm)
        await pilot.press(*"1003", "tab", *"Chloé Dubois", "tab", "backspace", *"50", "tab",
                          *"specialist assessor's report recommends 50%")
        app.screen.query_one("#kind-separate-room").focus()
        await pilot.press("space")
        await type_into(pilot, "evidence", "Form 8 on file")
        await type_into(pilot, "approved-by", "Sam Senco")
        await type_into(pilot, "approved-on", "12/09/2026")
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
        table = app.screen.query_one("#candidates-table")
        assert table.row_count == 3
        assert "separate room" in "\n".join(screen_lines(app))
    (row,) = rows(centre, "SELECT * FROM candidates WHERE candidate_number = '1003'")
    assert (row["name"], row["extra_time_percent"], row["access_arrangements"]) == (
        "Chloé Dubois", 50, "separate room")
    chloe = centre.candidates.get("1003")
    assert [(a.kind.value, a.detail, a.evidence, a.approved_by, a.approved_on) for a in chloe.arrangements] == [
        ("extra time", "specialist assessor's report recommends 50%", "Form 8 on file", "Sam Senco", "2026-09-12"),
        ("separate room", "", "Form 8 on file", "Sam Senco", "2026-09-12")]
    audit = [e for e in entries(centre.db) if e.candidate_number == "1003"]
    assert [(e.actor, e.action) for e in audit] == [
        (ADMIN, "candidate added"), (ADMIN, "extra time above the cap granted")]
    assert audit[1].details == {"percent": 50, "cap": 25, "reason": "specialist assessor's report recommends 50%"}


async def test_an_arrangement_without_evidence_or_extra_time_above_the_cap_without_a_reason_is_refused(centre):
    app = admin_app(centre)
    before = snapshot(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        await type_into(pilot, "number", "1004")
        await type_into(pilot, "name", "Dan Reader")
        app.screen.query_one("#kind-reader").focus()
        await pilot.press("space")
        await save(pilot)
        assert isinstance(app.screen, CandidateForm)
        assert form_error(app).startswith("Candidate 1004: reader needs its evidence: what was seen, who approved it")
        await type_into(pilot, "evidence", "Form 8 on file")
        await type_into(pilot, "approved-by", "Sam Senco")
        await type_into(pilot, "approved-on", "2026-09-12")
        await type_into(pilot, "extra", "40")
        await save(pilot)
        assert "40% is above the centre's cap of 25%: write the reason" in form_error(app)
        await pilot.press("escape")
        await pilot.pause()
    assert snapshot(centre) == before


async def test_a_duplicate_candidate_number_is_refused_in_the_form_and_nothing_changes(centre):
    app = admin_app(centre)
    before = snapshot(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        await type_into(pilot, "number", "1001")
        await type_into(pilot, "name", "Someone Else")
        await save(pilot)
        assert isinstance(app.screen, CandidateForm)
        assert form_error(app) == "Candidate 1001 already exists; use edit to change them."
        await type_into(pilot, "extra", "500")
        await type_into(pilot, "number", "1009")
        await save(pilot)
        assert form_error(app) == "extra_time_percent 500 is outside 0 to 400."
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AdminScreen)
    assert snapshot(centre) == before


async def test_edit_candidate_changes_the_row_and_records_old_and_new(centre):
    code = centre.sittings.create_sitting(centre.papers.latest("9999-01", "101").id, by=ADMIN, code="101-A").code
    centre.sittings.enrol(code, ["1002"], by=ADMIN)
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "down")  # 1002 Ben Jones
        await pilot.press("enter")  # Enter on a row edits it
        await pilot.pause()
        assert isinstance(app.screen, CandidateForm)
        assert app.screen.query_one("#number", TextInput).disabled
        assert app.screen.query_one("#name", TextInput).value == "Ben Jones"
        assert app.screen.query_one("#kind-reader").value  # what is recorded is ticked
        assert "reader: Form 8 on file, approved by Sam Senco on 2026-09-01" in str(
            app.screen.query_one("#evidence-on-file").render())
        assert str(app.screen.query_one("#used-in-sittings").render()) == (
            "Used in sittings: 101-A (not started): 25% extra time; reader")
        await type_into(pilot, "extra", "25%")
        app.screen.query_one("#kind-supervised-rest-breaks").focus()
        await pilot.press("space")
        await type_into(pilot, "evidence", "Form 8 (updated)")
        await type_into(pilot, "approved-by", "Sam Senco")
        await type_into(pilot, "approved-on", "2026-10-01")
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
    (row,) = rows(centre, "SELECT * FROM candidates WHERE candidate_number = '1002'")
    assert (row["extra_time_percent"], row["access_arrangements"]) == (25, "reader; supervised rest breaks")
    *_, audit, followed = entries(centre.db)
    assert (audit.actor, audit.action) == (ADMIN, "candidate changed")
    assert (followed.action, followed.candidate_number) == ("enrolment arrangements changed", "1002")  # not started
    # The kept arrangements keep their own evidence; the new one has what was typed.
    assert audit.details["changes"] == {"access_arrangements": {
        "old": f"extra time | {E8}; reader | {E8}",
        "new": f"extra time | {E8}; reader | {E8}; supervised rest breaks | Form 8 (updated) | Sam Senco | 2026-10-01"}}


async def test_import_csv_adds_every_candidate(centre):
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "i")
        await pilot.pause()
        assert isinstance(app.screen, ImportCandidatesForm)
        await type_into(pilot, "path", str(CSV / "good.csv"))
        await save(pilot)
        assert "0 changed" in str(app.screen.query_one("#report-body").render())  # the preview first
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
        assert app.screen.query_one("#candidates-table").row_count == 2 + 5
    numbers = [r["candidate_number"] for r in rows(centre, "SELECT candidate_number FROM candidates")]
    assert {"2001", "2002", "2003", "2004", "2005"} <= set(numbers)
    imported = [e for e in entries(centre.db) if e.action == "candidate added" and "from file" in e.details]
    assert len(imported) == 5 and {e.actor for e in imported} == {ADMIN}


async def test_reimport_shows_a_preview_esc_writes_nothing_enter_keeps_unmentioned_values(centre, tmp_path):
    """1002 has 25% extra time and a reader; a list of numbers and names must not wipe them."""
    names = tmp_path / "names.csv"
    names.write_text("candidate_number,name\n1001,Amira Khan-Ali\n1002,Ben Jones\n1003,Cara New\n", encoding="utf-8")
    before = snapshot(centre)
    app = admin_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "i")
        await pilot.pause()
        await type_into(pilot, "path", str(names))
        await save(pilot)
        shown = "\n".join(screen_lines(app))
        assert "1 new, 1 changed, 1 unchanged." in shown
        assert "changed  1001 Amira Khan: name 'Amira Khan' -> 'Amira Khan-Ali'" in shown
        assert "new      1003 Cara New" in shown and "Esc: cancel (nothing is written)" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ImportCandidatesForm)
        assert form_error(app) == "Not imported; nothing was written."
        assert snapshot(centre) == before
        await save(pilot)  # preview again, then import
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
    ben = centre.candidates.get("1002")
    assert (ben.extra_time_percent, ben.in_words()) == (25, "reader")
    assert centre.candidates.get("1001").name == "Amira Khan-Ali" and centre.candidates.get("1003").name == "Cara New"
    assert [e.action for e in entries(centre.db)[-2:]] == ["candidate added", "candidate changed"]


async def test_import_of_a_bad_csv_lists_every_problem_by_line_and_imports_nothing(centre):
    app = admin_app(centre)
    before = snapshot(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "i")
        await pilot.pause()
        await type_into(pilot, "path", str(CSV / "bad.csv"))
        await save(pilot)
        assert isinstance(app.screen, ImportCandidatesForm)
        shown = form_error(app)
        assert "6 problems; nothing was imported" in shown
        for expected in ("line 3, name: is empty", "line 4, candidate_number:", "line 5, extra_time_percent",
                         "line 6, extra_time_percent", "line 7, candidate_number: 3001 already appears on line 2",
                         "line 8: has 2 values"):
            assert expected in shown
        await type_into(pilot, "path", str(CSV / "missing.csv"))
        await save(pilot)
        assert form_error(app) == f"There is no file {CSV / 'missing.csv'}."
        await type_into(pilot, "path", str(CSV))
        await save(pilot)
        assert "is a folder" in form_error(app)
    assert snapshot(centre) == before


# --- staff -------------------------------------------------------------------------------------------------


async def test_add_staff_with_roles_and_a_pin_typed_twice(centre):
    app = admin_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3", "a")
        await pilot.pause()
        assert isinstance(app.screen, AddStaffForm)
        # Name, Tab to the tick boxes, tick marker and IQA with Space, then the PINs.
        await pilot.press(*"Mo Marker", "tab", "tab", "space", "tab", "space", "tab", "tab",
                          *"2222", "tab", *"2222")
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
    member = centre.staff.get("Mo Marker")
    assert member.roles == ["marker", "iqa"]
    assert centre.staff.verify_pin("Mo Marker", "2222").name == "Mo Marker"
    added = [e for e in entries(centre.db) if e.action == "staff added"][-1]
    assert added.actor == ADMIN and added.details["roles"] == ["marker", "iqa"]


async def test_add_staff_mistakes_are_refused_in_words_and_nothing_is_added(centre):
    app = admin_app(centre)
    before = snapshot(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3", "a")
        await pilot.pause()
        await type_into(pilot, "name", "Mo Marker")
        await save(pilot)
        assert form_error(app) == "Tick at least one role (Space ticks the highlighted one)."
        assert app.focused.id == "role-invigilator"
        await pilot.press("tab", "space")  # marker
        await type_into(pilot, "pin", "2222")
        await type_into(pilot, "pin-again", "2223")
        await save(pilot)
        assert form_error(app) == "The two PINs are different: type the same PIN in both boxes."
        assert app.focused.id == "pin-again" and app.focused.value == ""
        await type_into(pilot, "pin", "22")
        await type_into(pilot, "pin-again", "22")
        await save(pilot)
        assert form_error(app) == "A PIN must be 4 to 12 digits (0-9), nothing else."
        await type_into(pilot, "name", "ian invigilator")
        await type_into(pilot, "pin", "2222")
        await type_into(pilot, "pin-again", "2222")
        await save(pilot)
        assert form_error(app) == "There is already a staff member called 'ian invigilator'."
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AdminScreen)
    assert snapshot(centre) == before


async def test_change_roles_rewrites_the_roles_and_records_old_and_new(centre):
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "down")  # Ian Invigilator (Ada Admin is first)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, RolesForm) and app.screen.member.name == "Ian Invigilator"
        await pilot.press("tab", "space")  # also marker
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
    assert centre.staff.get("Ian Invigilator").roles == ["invigilator", "marker"]
    audit = last_audit(centre)
    assert (audit.actor, audit.action) == (ADMIN, "staff roles changed")
    assert audit.details == {"name": "Ian Invigilator", "old": ["invigilator"], "new": ["invigilator", "marker"]}


def screen_lines(app) -> list[str]:
    """The text of every line on the terminal, as the admin reads it (no colour)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("contrast", [False, True], ids=["default theme", "high contrast"])
async def test_ticked_and_unticked_boxes_differ_by_their_mark_not_only_colour(centre, contrast):
    from marker_tui.interfaces.tui.widgets.contrast import toggle_high_contrast

    code = centre.sittings.create_sitting(centre.papers.latest("9999-01", "101").id, by=ADMIN, code="101-A").code
    centre.sittings.enrol(code, ["1001"], by=ADMIN)
    app = admin_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        if contrast:
            toggle_high_contrast(app)
        await pilot.press("3", "down", "e")  # Ian Invigilator's roles
        await pilot.pause()
        shown = "\n".join(screen_lines(app))
        assert "[x] Invigilator: runs sittings" in shown and "[ ] Marker: marks scripts" in shown
        await pilot.press("tab", "space")  # tick marker
        await pilot.pause()
        assert "[x] Marker: marks scripts" in "\n".join(screen_lines(app))
        await pilot.press("escape", "4", "enter")  # enrol in 101-A: 1001 is in, 1002 is not yet
        await pilot.pause()
        assert isinstance(app.screen, EnrolForm)
        shown = "\n".join(screen_lines(app))
        assert "[x] 1001" in shown and "[ ] 1002" in shown
        await pilot.press("space")  # the highlighted one: 1002
        await pilot.pause()
        assert "[x] 1002" in "\n".join(screen_lines(app))


async def test_an_admin_cannot_remove_their_own_admin_role_from_the_screen(centre):
    app = admin_app(centre)
    before = snapshot(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3", "enter")  # Enter on Ada Admin (the signed-in admin)
        await pilot.pause()
        assert isinstance(app.screen, RolesForm)
        app.screen.query_one("#role-admin").value = False
        app.screen.query_one("#role-invigilator").value = True
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert form_error(app) == "You cannot remove your own admin role; ask another admin."
    assert snapshot(centre) == before


async def test_reset_pin_the_old_pin_stops_working_and_the_new_one_works(centre):
    # Ian is locked out after three wrong PINs; the reset also lifts that.
    for _ in range(3):
        with pytest.raises((WrongPin, LockedOut)):
            centre.staff.verify_pin("Ian Invigilator", "0000")
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "locked until" in str(app.screen.query_one("#staff-table").get_row("Ian Invigilator")[2])
        await pilot.press("down", "p")
        await pilot.pause()
        assert isinstance(app.screen, ResetPinForm) and app.screen.member.name == "Ian Invigilator"
        await type_into(pilot, "pin", "7777")
        await type_into(pilot, "pin-again", "7777")
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
        assert str(app.screen.query_one("#staff-table").get_row("Ian Invigilator")[2]) == "ok"
    assert [e for e in entries(centre.db) if e.action == "staff PIN reset"][-1].actor == ADMIN
    with pytest.raises(WrongPin):
        centre.staff.verify_pin("Ian Invigilator", "1111")
    assert centre.staff.verify_pin("Ian Invigilator", "7777").name == "Ian Invigilator"


# --- sittings ------------------------------------------------------------------------------------------------


async def test_create_a_sitting_for_a_unit_then_enrol_everyone(centre):
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4", "a")
        await pilot.pause()
        assert isinstance(app.screen, CreateSittingForm)
        await type_into(pilot, "code", "101-march")
        await type_into(pilot, "starts", "2026-03-09 09:30")
        await save(pilot)
        # Creating goes straight on to enrolment.
        assert isinstance(app.screen, EnrolForm) and app.screen.code == "101-MARCH"
        await pilot.press("a")  # tick everyone
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
        assert app.screen.query_one("#sittings-table").get_row("101-MARCH")[4].plain == "2"
    (sitting,) = rows(centre, "SELECT * FROM sittings")
    paper = centre.papers.latest("9999-01", "101")
    assert (sitting["code"], sitting["paper_id"], sitting["state"]) == ("101-MARCH", paper.id, "scheduled")
    assert sitting["scheduled_start"] == parse_start("2026-03-09 09:30").astimezone(timezone.utc).isoformat(
        timespec="microseconds")
    scripts = rows(centre, "SELECT c.candidate_number, s.extra_time_percent FROM scripts s"
                           " JOIN candidates c ON c.id = s.candidate_id ORDER BY 1")
    assert [(r["candidate_number"], r["extra_time_percent"]) for r in scripts] == [("1001", 0), ("1002", 25)]
    actions = [(e.actor, e.action) for e in entries(centre.db)[-3:]]
    assert actions == [(ADMIN, "sitting created"), (ADMIN, "candidate enrolled"), (ADMIN, "candidate enrolled")]


async def test_the_admin_chooses_the_unit_of_a_new_sitting_after_signing_in_from_the_menu(tmp_path):
    """As a centre meets it: the demo centre, the home menu, a staff sign-in, then Sittings → a.

    Signing in loads the staff sign-in's stylesheet for the whole app; a bare ``#paper`` rule
    in it once hid this form's unit list, so Enter could only ever create a 304 sitting.
    """
    from textual.widgets import OptionList

    from marker_tui.services.demo import build_demo

    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    demo = Centre.open(path, clock=FakeClock(NOW), create=False)
    app = MarkerApp(demo, steady=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("down", "down", "down", "down", "enter")  # Administer
            await pilot.pause()
            await pilot.press(*"Ada Admin", "enter", *"4444", "enter")
            await settle(pilot)
            await pilot.press("4", "a")
            await pilot.pause()
            await pilot.pause()
            form = app.screen
            assert isinstance(form, CreateSittingForm)
            units = form.query_one("#unit", OptionList)
            assert units.display and units.region.height >= units.option_count == 4  # every unit in view
            await pilot.press("down", "down")  # the third unit: 306
            await type_into(pilot, "code", "306-june")
            await save(pilot)
            assert isinstance(app.screen, EnrolForm) and app.screen.code == "306-JUNE"
    finally:
        demo.close()
    check = Centre.open(path, create=False)
    try:
        summary = check.sittings.summary("306-JUNE")
        assert (summary.qualification, summary.unit) == ("3818-13", "306")
    finally:
        check.close()


async def test_create_sitting_mistakes_are_refused_and_nothing_is_written(centre):
    app = admin_app(centre)
    centre.sittings.create_sitting(centre.papers.latest("9999-01", "101").id, by=ADMIN, code="TAKEN")
    before = snapshot(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("4", "a")
        await pilot.pause()
        await type_into(pilot, "starts", "next tuesday")
        await save(pilot)
        assert "'next tuesday' is not a date and time" in form_error(app)
        assert app.focused.id == "starts"
        await type_into(pilot, "starts", "")
        await type_into(pilot, "code", "taken")
        await save(pilot)
        assert form_error(app) == "There is already a sitting with code TAKEN; choose another."
        await type_into(pilot, "code", "x!")
        await save(pilot)
        assert "cannot be a sitting code" in form_error(app)
        await pilot.press("escape")
        await pilot.pause()
    assert snapshot(centre) == before


async def test_enrol_chosen_candidates_in_an_existing_sitting(centre):
    code = centre.sittings.create_sitting(centre.papers.latest("9999-01", "101").id, by=ADMIN, code="101-A").code
    centre.sittings.enrol(code, ["1001"], by=ADMIN)
    centre.candidates.add("1003", "Chloé Dubois", by=ADMIN)
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4", "enter")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, EnrolForm) and form.enrolled == {"1001"}
        await save(pilot)
        assert form_error(app) == "Tick the candidates to enrol (Space), or press a to tick everyone."
        # The first candidate not yet enrolled (1002) is highlighted: leave them out, tick 1003.
        await pilot.press("down", "space")
        await save(pilot)
        assert isinstance(app.screen, AdminScreen)
    enrolled = rows(centre, "SELECT c.candidate_number FROM scripts s JOIN candidates c ON c.id = s.candidate_id"
                            " ORDER BY 1")
    assert [r["candidate_number"] for r in enrolled] == ["1001", "1003"]
    assert (last_audit(centre).action, last_audit(centre).candidate_number) == ("candidate enrolled", "1003")


async def test_enrolling_in_an_ended_sitting_is_refused_before_the_form(centre):
    code = centre.sittings.create_sitting(centre.papers.latest("9999-01", "101").id, by=ADMIN, code="101-OLD").code
    centre.sittings.enrol(code, ["1001"], by=ADMIN)
    centre.sittings.open(code, by=ADMIN)
    centre.sittings.end(code, by=ADMIN, reason="cancelled")
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("4", "e")
        await pilot.pause()
        assert isinstance(app.screen, AdminScreen)


# --- papers --------------------------------------------------------------------------------------------------


async def test_papers_section_shows_the_paper_its_mark_scheme_and_the_database_state(centre):
    app = admin_app(centre)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("down")  # unit 101
        await pilot.pause()
        detail = str(app.screen.query_one("#spec-detail").render())
        assert "Q2a" in detail and "Explain why tests fail." in detail
        assert "Mark scheme (max 4):" in detail and "the code is wrong" in detail
        assert "Pass rule: pass mark 6 of 10" in detail
        files = app.screen.query_one("#paper-files")
        assert [c.plain for c in files.get_row_at(0)] == ["9999-01 101", "1", "loaded (paper id 1)"]
        assert "no problems found" in str(app.screen.query_one("#paper-findings").render())


async def test_reload_after_editing_a_paper_stores_a_new_version_and_scripts_keep_the_old(centre, mini):
    old = centre.papers.latest("9999-01", "101")
    code = centre.sittings.create_sitting(old.id, by=ADMIN, code="101-A").code
    centre.sittings.enrol(code, ["1001"], by=ADMIN)
    mini.edit(mini.paper, "text: Describe a test.", "text: Describe one good test.")
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        files = app.screen.query_one("#paper-files")
        assert "file changed since paper id 1" in files.get_row_at(0)[2].plain
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ReportDialog)
        shown = str(app.screen.query_one("#report-body").render())
        assert "1 new version(s)" in shown
        assert "stored as a NEW VERSION (paper id 2)" in shown
        assert "1 sitting already created keep version 1 (paper id 1)" in shown
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AdminScreen)
        assert app.screen.query_one("#paper-files").get_row_at(0)[2].plain == (
            "loaded (paper id 2) · 2 versions stored")
    papers = rows(centre, "SELECT id FROM papers ORDER BY id")
    assert [p["id"] for p in papers] == [1, 2]
    script = rows(centre, "SELECT sittings.paper_id FROM scripts JOIN sittings ON sittings.id = scripts.sitting_id")
    assert script == [{"paper_id": old.id}]
    loaded = [e for e in entries(centre.db) if e.action == "paper loaded"][-1]
    assert loaded.actor == ADMIN and loaded.details["paper_id"] == 2


async def test_reload_with_nothing_changed_writes_nothing(centre):
    before = snapshot(centre)
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        shown = str(app.screen.query_one("#report-body").render())
        assert "1 unchanged" in shown and "9999-01 unit 101 version 1: unchanged." in shown
    assert snapshot(centre) == before


async def test_reload_reports_file_errors_and_loads_nothing_broken(centre, mini):
    mini.edit(mini.paper, "marks: 2\n", "marks: two\n")
    before = snapshot(centre)
    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "1 file error(s)" in str(app.screen.query_one("#papers-status").render())
        await pilot.press("r")
        await settle(pilot)
        shown = str(app.screen.query_one("#report-body").render())
        assert "9999-01 unit 101: not loaded: the question paper has errors" in shown
        assert "should be a whole number" in shown
    assert snapshot(centre) == before


# --- audit log -----------------------------------------------------------------------------------------------


async def test_audit_filters_show_matching_rows_only_and_the_order_toggles(centre):
    code = centre.sittings.create_sitting(centre.papers.latest("9999-01", "101").id, by="Ian Invigilator",
                                          code="101-A").code
    centre.sittings.enrol(code, ["1001", "1002"], by="Ian Invigilator")
    app = admin_app(centre)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await pilot.pause()
        table = app.screen.query_one("#audit-table")
        total = len(entries(centre.db))
        assert table.row_count == total

        def shown() -> list[list[str]]:
            return [[c.plain for c in table.get_row_at(i)] for i in range(table.row_count)]

        assert shown()[0][2] == "candidate enrolled"  # newest first
        await pilot.press("slash")
        assert app.focused.id == "filter-sitting"
        await pilot.press(*"101-a")
        await until(pilot, lambda: table.row_count == 3)
        assert all(row[3] == "101-A" for row in shown())
        await type_into(pilot, "filter-action", "ENROLLED")
        await until(pilot, lambda: table.row_count == 2)
        assert [row[4] for row in shown()] == ["1002", "1001"]
        await pilot.press("enter")  # back to the table
        assert app.focused is table
        await pilot.press("o")
        await pilot.pause()
        assert [row[4] for row in shown()] == ["1001", "1002"]
        await pilot.press("x")
        await pilot.pause()
        assert table.row_count == total
        mine = len([e for e in entries(centre.db) if e.actor == ADMIN])
        await type_into(pilot, "filter-actor", "ada")
        await until(pilot, lambda: table.row_count == mine)
        assert all(row[1] == ADMIN for row in shown())
        await type_into(pilot, "filter-actor", "nobody at all")
        await until(pilot, lambda: table.row_count == 0)
        assert "0 of" in str(app.screen.query_one("#audit-status").render())


def test_start_times_are_local_and_checked():
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    assert parse_start("", now) is None
    assert parse_start("2026-03-09T09:30+00:00", now) == datetime(2026, 3, 9, 9, 30, tzinfo=timezone.utc)
    today = parse_start("14:15", now)
    assert (today.hour, today.minute) == (14, 15) and today.tzinfo is not None
    with pytest.raises(ServiceError, match="not a date and time"):
        parse_start("25:99", now)


# --- snapshots ------------------------------------------------------------------------------------------------


def _snapshot_centre(tmp_path: Path, mini) -> Centre:
    built = Centre(db=open_database(tmp_path / "snap.db"), clock=FakeClock(NOW),
                   papers_dir=mini.root / "papers", markschemes_dir=mini.root / "markschemes")
    load_shipped_papers(built)
    create_first_admin(built, ADMIN, "4826", "4826")
    built.staff.add("Ian Invigilator", ["invigilator"], "1111", by=ADMIN)
    built.candidates.add("1001", "Amira Khan", by=ADMIN)
    built.candidates.add("1002", "Ben Jones", 25, f"extra time | {E8}; reader | {E8}", by=ADMIN)
    built.candidates.add("1003", "Chloé Dubois", 50, f"extra time: specialist assessor's report | {E8}; "
                         f"separate room | {E8}; rest breaks | {E8}", by=ADMIN)
    return built


def test_admin_screen_snapshot_papers(tmp_path, mini, snap_compare):
    centre = _snapshot_centre(tmp_path, mini)

    async def unit_chosen(pilot) -> None:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)  # the unit's details are drawn after the highlight message

    assert snap_compare(admin_app(centre), terminal_size=(100, 30), run_before=unit_chosen)


def test_admin_screen_snapshot_candidates(tmp_path, mini, snap_compare):
    centre = _snapshot_centre(tmp_path, mini)
    assert snap_compare(admin_app(centre), terminal_size=(100, 30), run_before=settle, press=["2"])


def test_admin_add_staff_form_snapshot(tmp_path, mini, snap_compare):
    centre = _snapshot_centre(tmp_path, mini)
    assert snap_compare(admin_app(centre), terminal_size=(80, 24), run_before=settle,
                        press=["3", "a", *"Mo Marker", "tab", "tab", "space", "enter"])



async def test_signing_out_while_the_files_are_read_is_harmless(centre):
    from textual.screen import Screen

    class Below(Screen):
        def on_mount(self) -> None:
            self.app.push_screen(AdminScreen(self.app.centre.staff.get(ADMIN)))

    below = Below()
    app = MarkerApp(centre, start=below, steady=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")  # at once, while the papers are still being read
        await settle(pilot)
        assert app.screen is below


async def test_the_admin_sets_the_centre_name_and_number_and_feedback_prints_them(tmp_path):
    import docx

    from marker_tui.services.demo import build_demo

    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    demo = Centre.open(path, clock=FakeClock(NOW), create=False)
    app = MarkerApp(demo, start=AdminScreen(demo.staff.get("Ada Admin")), steady=True)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await pilot.press("1", "c")
            await pilot.pause()
            await type_into(pilot, "centre-name", "Glanmor College")
            await type_into(pilot, "centre-number", "12 34")
            await save(pilot)
            assert "is not a centre number" in form_error(app)
            assert demo.exports.stored_centre_name != "Glanmor College"  # nothing written on a refusal
            await type_into(pilot, "centre-number", "654321b")
            await save(pilot)
            assert isinstance(app.screen, AdminScreen)
            await pilot.press("c")  # opens again with what is stored
            await pilot.pause()
            assert (app.screen.value("centre-name"), app.screen.value("centre-number")) == (
                "Glanmor College", "654321B")
            await pilot.press("escape")
        changes = [(e.actor, e.action, e.details["new"]) for e in entries(demo.db)
                   if e.action in ("centre name changed", "centre number changed")]
        assert changes[-2:] == [("Ada Admin", "centre name changed", "Glanmor College"),
                                ("Ada Admin", "centre number changed", "654321B")]
        demo.exports.export_feedback("305-DEMO", tmp_path / "fb", by="Ada Admin", allow_incomplete=True)
        (first, *_) = sorted((tmp_path / "fb").glob("*.docx"))
        document = docx.Document(first)
        text = "\n".join([p.text for p in document.paragraphs]
                         + [c.text for t in document.tables for r in t.rows for c in r.cells])
        assert "Glanmor College" in text and "654321B" in text
    finally:
        demo.close()


async def test_a_candidate_typed_box_after_box_with_tab_as_one_burst_fills_each_box(centre):
    """Fast typing or a paste over SSH: each key reaches the box the Tabs before it moved to."""
    from key_bursts import press_burst

    app = admin_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        assert isinstance(app.screen, CandidateForm)
        await press_burst(pilot, *"1003", "tab", *"Chloé", "space", *"Dubois", "tab", "backspace", *"25",
                          "tab", *"report", "tab", "space")
        values = {box: app.screen.query_one(f"#{box}", TextInput).value
                  for box in ("number", "name", "extra", "extra-reason")}
        assert values == {"number": "1003", "name": "Chloé Dubois", "extra": "25", "extra-reason": "report"}
        assert app.screen.focused is app.screen.query_one(f"#{CandidateForm.kind_id(CandidateForm.TICKABLE[0])}")
        assert app.screen.focused.value  # Space after the last Tab ticked the first box
