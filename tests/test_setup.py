"""First run: loading the shipped papers, creating the first admin (service and screen)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widgets import Static

from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.first_run import FirstRunScreen
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.centre import Centre
from marker_tui.services.setup import (
    create_first_admin,
    first_run_needed,
    load_shipped_papers,
    needs_admin,
    needs_papers,
    paper_file_status,
    reload_files,
    centre_library,
)
from marker_tui.services.staff import WrongPin
from marker_tui.storage.database import open_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def centre(tmp_path: Path, mini) -> Centre:
    built = Centre(db=open_database(tmp_path / "centre.db"), clock=FakeClock(NOW),
                   papers_dir=mini.root / "papers", markschemes_dir=mini.root / "markschemes")
    yield built
    built.close()


def count(centre: Centre, table: str) -> int:
    return centre.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- the service ---------------------------------------------------------------------------------


def test_an_empty_database_needs_the_first_run(centre):
    assert first_run_needed(centre) and needs_papers(centre) and needs_admin(centre)


def test_loading_the_shipped_papers_is_idempotent_and_says_what_it_did(centre):
    report = load_shipped_papers(centre)
    assert [(p.qualification, p.unit, p.version, p.status, p.mark_scheme) for p in report.loaded] == [
        ("9999-01", "101", "1", "new", "new")]
    assert report.errors == [] and report.skipped == []
    assert count(centre, "papers") == 1 and count(centre, "mark_schemes") == 1
    assert not needs_papers(centre) and needs_admin(centre)
    again = load_shipped_papers(centre)
    assert [p.status for p in again.loaded] == ["unchanged"]
    assert count(centre, "papers") == 1 and count(centre, "mark_schemes") == 1
    assert [e.action for e in entries(centre.db)] == ["paper loaded", "mark scheme loaded"]
    assert {e.actor for e in entries(centre.db)} == {"system"}


def test_a_paper_whose_files_have_errors_is_not_loaded_and_the_errors_are_reported(centre, mini):
    mini.edit(mini.scheme, "pass_mark: 6", "pass_mark: 11")  # more than the paper's 10 marks
    report = load_shipped_papers(centre)
    assert report.loaded == []
    assert [(s.unit, s.reason) for s in report.skipped] == [
        ("101", "the mark scheme has errors (see the list of file errors)")]
    assert len(report.errors) == 1 and "the pass mark 11 is above the paper's total of 10" in report.errors[0]
    assert count(centre, "papers") == 0
    assert [s.state for s in paper_file_status(centre, centre_library(centre))] == ["errors"]


def test_reloading_an_edited_paper_stores_a_new_version_and_sittings_keep_theirs(centre, mini):
    load_shipped_papers(centre)
    create_first_admin(centre, "Ada Admin", "4826", "4826")
    old = centre.papers.latest("9999-01", "101")
    code = centre.sittings.create_sitting(old.id, by="Ada Admin").code
    centre.candidates.add("1001", "Amira Khan", by="Ada Admin")
    centre.sittings.enrol(code, ["1001"], by="Ada Admin")
    assert [s.state for s in paper_file_status(centre, centre_library(centre))] == ["loaded"]

    mini.edit(mini.paper, "text: Describe a test.", "text: Describe a good test.")
    assert [s.state for s in paper_file_status(centre, centre_library(centre))] == ["changed"]
    report = reload_files(centre, by="Ada Admin")
    (loaded,) = report.loaded
    assert loaded.status == "new version"
    assert loaded.previous_paper_id == old.id and loaded.sittings_on_previous == 1
    assert "NEW VERSION" in loaded.describe() and "keep version 1" in loaded.describe()
    assert count(centre, "papers") == 2
    assert centre.papers.latest("9999-01", "101").id == loaded.paper_id != old.id
    # The sitting (and its script) still point at the paper the candidate was enrolled on.
    assert centre.sittings.summary(code).paper_id == old.id
    assert [s.state for s in paper_file_status(centre, centre_library(centre))] == ["loaded"]
    assert entries(centre.db)[-2].action == "paper loaded" and entries(centre.db)[-2].actor == "Ada Admin"


def test_only_an_admin_may_reload_the_files(centre):
    load_shipped_papers(centre)
    create_first_admin(centre, "Ada Admin", "4826", "4826")
    centre.staff.add("Ian Invigilator", ["invigilator"], "1111", by="Ada Admin")
    with pytest.raises(ServiceError, match="needs the role admin"):
        reload_files(centre, by="Ian Invigilator")


def test_the_first_admin_is_created_with_a_pin_typed_twice_and_audited(centre):
    member = create_first_admin(centre, "  Ada   Admin ", "4826", "4826")
    assert member.name == "Ada Admin" and member.roles == ["admin"]
    assert centre.staff.verify_pin("Ada Admin", "4826").name == "Ada Admin"
    added = [e for e in entries(centre.db) if e.action == "staff added"]
    assert len(added) == 1
    assert added[0].actor == "Ada Admin" and added[0].details["first admin"] is True
    assert added[0].at == NOW
    assert not needs_admin(centre)


@pytest.mark.parametrize("name, pin, again, message", [
    ("Ada Admin", "4826", "4862", "The two PINs are different"),
    ("Ada Admin", "48", "48", "A PIN must be 4 to 12 digits"),
    ("Ada Admin", "48a6", "48a6", "A PIN must be 4 to 12 digits"),
    ("   ", "4826", "4826", "A staff member needs a name"),
])
def test_a_wrong_first_admin_is_refused_and_nothing_is_written(centre, name, pin, again, message):
    with pytest.raises(ServiceError, match=message):
        create_first_admin(centre, name, pin, again)
    assert count(centre, "staff") == 0 and count(centre, "audit_log") == 0


def test_once_an_admin_exists_the_first_run_cannot_make_another(centre):
    create_first_admin(centre, "Ada Admin", "4826", "4826")
    with pytest.raises(ServiceError, match=r"already has an admin \(Ada Admin\)"):
        create_first_admin(centre, "Mallory", "1234", "1234")
    assert count(centre, "staff") == 1
    with pytest.raises(WrongPin):
        centre.staff.verify_pin("Mallory", "1234")


def test_staff_without_an_admin_can_still_get_one(centre):
    # A database edited by hand (no admin left): the first run still lets a centre recover.
    create_first_admin(centre, "Ada Admin", "4826", "4826")
    centre.staff.add("Ian Invigilator", ["invigilator"], "1111", by="Ada Admin")
    centre.db.execute("DELETE FROM staff_roles WHERE role = 'admin'")
    assert needs_admin(centre)
    with pytest.raises(ServiceError, match="already a staff member called 'Ian Invigilator'"):
        create_first_admin(centre, "ian invigilator", "2222", "2222")
    member = create_first_admin(centre, "Bea Boss", "2222", "2222")
    assert member.roles == ["admin"]


# --- the screen ------------------------------------------------------------------------------------


class Launcher(Screen):
    """Pushes the first-run screen as the lead's app will, and keeps what it dismissed with."""

    def __init__(self) -> None:
        super().__init__()
        self.result = "not dismissed"

    def compose(self):
        yield Static("home")

    def on_mount(self) -> None:
        self.app.push_screen(FirstRunScreen(), self.done)

    def done(self, member) -> None:
        self.result = member


def first_run_app(centre: Centre) -> tuple[MarkerApp, Launcher]:
    launcher = Launcher()
    return MarkerApp(centre, start=launcher, steady=True), launcher


def error_text(app) -> str:
    return str(app.screen.query_one("#first-run-error").render())


async def fill_centre(pilot, name: str = "Glanmor College", number: str = "654321") -> None:
    await fill(pilot, "centre-name", name)
    await fill(pilot, "centre-number", number)


async def fill(pilot, field: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", TextInput)
    box.focus()
    box.value = text
    await pilot.press("enter")
    await pilot.pause()


async def test_first_run_screen_loads_the_papers_and_shows_them(centre):
    app, _ = first_run_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        shown = str(app.screen.query_one("#papers-loaded").render())
        assert "9999-01 unit 101 (version 1): loaded" in shown
        assert count(centre, "papers") == 1
        assert app.focused.id == "centre-name"


async def test_first_run_screen_shows_file_errors(centre, mini):
    mini.edit(mini.scheme, "pass_mark: 6", "pass_mark: 11")
    app, _ = first_run_app(centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        shown = str(app.screen.query_one("#papers-loaded").render())
        assert "9999-01 unit 101: not loaded, the mark scheme has errors" in shown
        assert "problem(s) in the files" in shown and "markschemes/9999-01/101.yaml" in shown


async def test_first_run_empty_name_is_refused_in_words(centre):
    app, launcher = first_run_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill_centre(pilot)
        await fill(pilot, "admin-name", "   ")
        assert error_text(app) == "Type your name."
        assert app.focused.id == "admin-name"
        assert count(centre, "staff") == 0 and isinstance(app.screen, FirstRunScreen)


async def test_first_run_mismatched_pins_are_refused_and_nothing_is_written(centre):
    app, launcher = first_run_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await fill_centre(pilot)
        await fill(pilot, "admin-name", "Ada Admin")
        assert app.focused.id == "admin-pin"
        await fill(pilot, "admin-pin", "4826")
        assert app.focused.id == "admin-pin-again"
        await fill(pilot, "admin-pin-again", "4862")
        assert "The two PINs are different" in error_text(app)
        assert app.screen.query_one("#admin-pin-again", TextInput).value == ""
        assert app.focused.id == "admin-pin-again"
        await fill(pilot, "admin-pin", "12")
        assert "A PIN must be 4 to 12 digits" in error_text(app)
        assert count(centre, "staff") == 0
        assert launcher.result == "not dismissed"


async def test_first_run_creates_the_admin_and_dismisses_with_them(centre):
    app, launcher = first_run_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        # Typed as a person would: Enter moves on to the next box until the form is complete.
        await pilot.press(*"Glanmor College", "enter", *"654321b", "enter",
                          *"Ada Admin", "enter", *"4826", "enter", *"4826", "enter")
        await pilot.pause()
        assert launcher.result is not None and launcher.result != "not dismissed"
        assert launcher.result.name == "Ada Admin" and launcher.result.roles == ["admin"]
        assert app.screen is launcher
    rows = list(centre.db.query("SELECT s.name, r.role FROM staff s JOIN staff_roles r ON r.staff_id = s.id"))
    assert rows == [{"name": "Ada Admin", "role": "admin"}]
    assert centre.staff.verify_pin("Ada Admin", "4826").roles == ["admin"]
    assert [e.action for e in entries(centre.db)][-3:] == ["staff added", "centre details changed",
                                                           "staff signed in"]
    identity = centre.settings.centre_identity()
    assert (identity.name, identity.number) == ("Glanmor College", "654321B")


async def test_first_run_with_an_admin_already_only_loads_papers_and_continues(centre):
    create_first_admin(centre, "Ada Admin", "4826", "4826")
    app, launcher = first_run_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.query("#admin-form")
        assert count(centre, "papers") == 1
        await pilot.press("enter")
        await pilot.pause()
        assert launcher.result is None
        assert count(centre, "staff") == 1


async def test_first_run_asks_the_centre_name_and_number_and_refuses_a_wrong_number(centre):
    app, launcher = first_run_app(centre)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Centre name" in " ".join(str(label.render()) for label in app.screen.query("Label"))
        await fill(pilot, "centre-name", "Glanmor College")
        assert app.focused.id == "centre-number" and error_text(app) == ""
        await fill(pilot, "centre-number", "")
        assert "Type the centre number" in error_text(app)
        await fill(pilot, "centre-number", "12-34")
        assert "'1234' is not a centre number" in error_text(app) and "123456A" in error_text(app)
        assert app.focused.id == "centre-number"
        await fill(pilot, "centre-number", "123456")
        assert app.focused.id == "admin-name"
        await fill(pilot, "centre-name", "  ")
        assert "Type the centre's name" in error_text(app) and app.focused.id == "centre-name"
        assert count(centre, "staff") == 0 and count(centre, "centre_settings") == 0


# --- the centre's name and number ------------------------------------------------------------------


def test_the_centre_identity_says_training_centre_until_it_is_set(centre):
    identity = centre.settings.centre_identity()
    assert (identity.name, identity.number, identity.named) == ("Training centre", None, False)


def test_the_admin_sets_the_centre_name_and_number_audited_from_and_to(centre):
    create_first_admin(centre, "Ada Admin", "4826", "4826", centre_name="Old Name", centre_number="111111")
    centre.staff.add("Ian Invigilator", ["invigilator"], "1111", by="Ada Admin")
    with pytest.raises(ServiceError, match="needs the role admin"):
        centre.settings.set_centre_identity("Hack", "222222", by="Ian Invigilator")
    with pytest.raises(ServiceError, match="not a centre number"):
        centre.settings.set_centre_identity("Glanmor College", "12345678901", by="Ada Admin")
    assert centre.settings.centre_identity().name == "Old Name"
    identity = centre.settings.set_centre_identity(
        "  Glanmor   College ", " 123 456a ", by="Ada Admin")
    assert (identity.name, identity.number, identity.heading) == (
        "Glanmor College", "123456A", "Glanmor College (centre 123456A)")
    last = entries(centre.db)[-1]
    assert last.action == "centre details changed" and last.actor == "Ada Admin"
    assert last.details["changes"] == {"centre name": {"from": "Old Name", "to": "Glanmor College"},
                                       "centre number": {"from": "111111", "to": "123456A"}}
    before = len(entries(centre.db))
    centre.settings.set_centre_identity("Glanmor College", "123456A", by="Ada Admin")
    assert len(entries(centre.db)) == before  # nothing changed, nothing logged
    # The document writers read the same stored values.
    assert centre.exports.centre_name == "Glanmor College"
