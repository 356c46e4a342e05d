"""The home screen: choose an activity; staff sign in and see only what their roles allow."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.home import HomeScreen, SittingChooserScreen
from marker_tui.interfaces.tui.screens.staff_sign_in import StaffPinForm, StaffSignInScreen
from marker_tui.interfaces.tui.widgets.specification_browser import UnitDetail
from marker_tui.services.centre import Centre
from marker_tui.storage.assessment_files import load_library
from waiting import until, workers_done

ADMIN, INVIGILATOR, MARKER = "Ada Admin", "Ian Invigilator", "Mo Marker"
EVERY_ACTIVITY = ["Sit a paper", "Invigilate", "Mark", "Quality assurance", "Administer", "Standardisation",
                  "Marker monitoring", "Reviews of marking"]


def set_up_centre(path, mini) -> Centre:
    """A centre past its first run: papers loaded and an admin."""
    centre = Centre.open(path, clock=FakeClock())
    centre.papers.load_library(load_library(paths=mini.folders))
    centre.staff.add(ADMIN, ["admin"], "4444", by=None)
    return centre


@pytest.fixture
def centre(tmp_path, mini):
    centre = set_up_centre(tmp_path / "centre.db", mini)
    centre.staff.add(INVIGILATOR, ["invigilator"], "1111", by=ADMIN)
    centre.staff.add(MARKER, ["marker"], "2222", by=ADMIN)
    yield centre
    centre.close()


def make_app(mini, centre=None) -> MarkerApp:
    return MarkerApp(centre, library=load_library(paths=mini.folders), steady=True)


def menu_titles(app) -> list[str]:
    menu = app.screen.query_one("#home-menu", OptionList)
    return [str(option.prompt).split("\n")[0] for option in menu.options]


async def sign_in(pilot, name: str, pin: str) -> None:
    """Type a name and PIN and wait for the answer: the PIN is checked in a worker, and what
    follows a good one (the next screen, its reads) in more; one pause was not always enough."""
    await until(pilot, lambda: isinstance(pilot.app.screen, StaffSignInScreen), "the sign-in screen")
    screen = pilot.app.screen
    form = screen.query_one(StaffPinForm)
    form.show_error("")
    screen.query_one("#staff-name").value = name
    screen.query_one("#staff-pin").value = pin
    screen.query_one("#staff-pin").focus()
    await pilot.press("enter")

    def answered() -> bool:
        if pilot.app.screen is not screen:  # signed in: the next screen
            return True
        return not form.checking and str(form.query_one("#pin-error").render()) not in ("", "Checking…")

    await until(pilot, answered, "the PIN check's answer")
    await workers_done(pilot)


def detail_text(app: MarkerApp) -> str:
    return str(app.screen.query_one(UnitDetail).render())


# --- the read-only browser of what is loaded ------------------------------------------------


async def test_home_lists_the_qualification_and_its_units(mini):
    app = make_app(mini)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        status = str(app.screen.query_one("#library-status").render())
        assert status == "1 qualification(s), 1 question paper(s) loaded"
        text = detail_text(app)
        assert "9999-01 Level 3 Test Qualification" in text
        assert "Learners must complete 1 credits." in text
        assert "101  Testing the tests" in text


async def test_moving_to_a_unit_shows_its_outcomes_marks_and_time(mini):
    app = make_app(mini)
    async with app.run_test(size=(120, 30)) as pilot:
        app.screen.query_one("#spec-tree").focus()
        await pilot.press("down")
        await pilot.pause()
        text = detail_text(app)
        assert "Unit 101: Testing the tests" in text
        assert "time allowance 1 h" in text
        assert "Outcome 1  6 marks (60%)" in text
        assert "1.2 explain why tests fail" in text
        assert "Question paper version 1: 3 questions, 10 marks." in text


async def test_file_errors_are_announced_on_the_home_screen(mini):
    mini.edit(mini.scheme, "pass_mark: 6", "pass_mark: 11")
    app = make_app(mini)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        status = app.screen.query_one("#library-status")
        assert "1 file error(s): run `marker-tui check`" in str(status.render())
        assert status.has_class("error")


# --- activities and sign-in -----------------------------------------------------------------


async def test_before_sign_in_every_activity_is_offered(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert menu_titles(app) == EVERY_ACTIVITY


async def test_signing_in_opens_the_choice_and_coming_back_home_signs_out(mini, centre):
    """A shared terminal: back on the home screen, the next person must not act as the last."""
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i")
        await sign_in(pilot, INVIGILATOR, "1111")
        # Straight on to the chosen activity: the invigilator's sitting chooser.
        assert isinstance(app.screen, SittingChooserScreen)
        await pilot.press("escape")
        await until(pilot, lambda: "Signed out" in str(app.screen.query_one("#signed-in").render()), "signed out")
        assert isinstance(app.screen, HomeScreen)
        assert str(app.screen.query_one("#signed-in").render()).startswith("Signed out: Ian Invigilator.")
        assert app.staff_member is None
        assert menu_titles(app) == EVERY_ACTIVITY
        await pilot.press("i")  # the same activity again: a PIN again
        await until(pilot, lambda: isinstance(app.screen, StaffSignInScreen), "the sign-in screen")


async def test_the_signed_in_menu_offers_only_what_the_roles_allow(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")  # an invigilator asking to mark stays on the home screen, signed in
        await sign_in(pilot, INVIGILATOR, "1111")
        assert isinstance(app.screen, HomeScreen)
        assert menu_titles(app) == ["Sit a paper", "Invigilate"]
        assert "Signed in: Ian Invigilator" in str(app.screen.query_one("#signed-in").render())


async def test_a_role_the_person_does_not_have_is_refused_after_sign_in(mini, centre):
    app = make_app(mini, centre)
    app.NOTIFICATION_TIMEOUT = 600  # toasts expire in real time: kept until the test has read them
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")
        await sign_in(pilot, INVIGILATOR, "1111")
        assert isinstance(app.screen, HomeScreen)
        assert menu_titles(app) == ["Sit a paper", "Invigilate"]
        assert any("cannot mark: it needs the role marker" in n.message for n in app._notifications)


async def test_wrong_pin_is_refused_and_three_lock_the_name(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i")
        for _ in range(3):
            await sign_in(pilot, INVIGILATOR, "9999")
        error = str(app.screen.query_one("#pin-error").render())
        assert isinstance(app.screen, StaffSignInScreen)
        assert "locked" in error.lower()
        # Even the right PIN is refused while locked.
        await sign_in(pilot, INVIGILATOR, "1111")
        assert isinstance(app.screen, StaffSignInScreen)
        assert "locked" in str(app.screen.query_one("#pin-error").render()).lower()
    actions = [row["action"] for row in centre.db.query("SELECT action FROM audit_log ORDER BY id")]
    assert any("lock" in a for a in actions)


async def test_sign_out_restores_the_full_menu(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")  # refused the marking, signed in on the home screen
        await sign_in(pilot, INVIGILATOR, "1111")
        assert app.staff_member is not None
        await pilot.press("o")
        await pilot.pause()
        assert app.staff_member is None
        assert menu_titles(app) == EVERY_ACTIVITY


async def test_sit_a_paper_signs_staff_out_first(mini, centre):
    from marker_tui.interfaces.tui.screens.learner import LearnerLoginScreen

    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i")
        await sign_in(pilot, INVIGILATOR, "1111")
        await pilot.press("escape")
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, LearnerLoginScreen)
        assert app.staff_member is None


async def test_every_footer_action_is_in_the_command_palette(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Sit a paper", "Invigilate", "Mark", "Quality assurance", "Administer", "Quit", "Keys"):
            assert title in titles


async def test_help_key_shows_the_keys_of_the_screen(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.query("HelpPanel")


async def test_quit_key_leaves_the_app(mini):
    app = make_app(mini)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


def test_home_screen_snapshot(mini, tmp_path, snap_compare):
    centre = set_up_centre(tmp_path / "snap.db", mini)
    assert snap_compare(make_app(mini, centre), terminal_size=(100, 30))


def test_home_screen_snapshot_80x24(mini, tmp_path, snap_compare):
    centre = set_up_centre(tmp_path / "snap.db", mini)
    assert snap_compare(make_app(mini, centre), terminal_size=(80, 24))


# --- first run --------------------------------------------------------------------------------


async def test_first_run_loads_papers_creates_the_admin_and_signs_them_in(mini, tmp_path):
    from marker_tui.interfaces.tui.screens.first_run import FirstRunScreen

    centre = Centre.open(tmp_path / "new.db", clock=FakeClock(), papers_dir=mini.root / "papers",
                         markschemes_dir=mini.root / "markschemes")
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        app.screen.query_one("#centre-name").value = "Glanmor College"
        app.screen.query_one("#centre-number").value = "123456"
        app.screen.query_one("#admin-name").value = "Ada Admin"
        app.screen.query_one("#admin-pin").value = "4444"
        app.screen.query_one("#admin-pin-again").value = "4444"
        app.screen.query_one("#admin-pin-again").focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.staff_member is not None and app.staff_member.name == "Ada Admin"
        assert menu_titles(app) == ["Sit a paper", "Invigilate", "Administer", "Standardisation",
                                    "Marker monitoring", "Reviews of marking"]
    rows = list(centre.db.query("SELECT qualification, unit FROM papers"))
    assert rows == [{"qualification": "9999-01", "unit": "101"}]


async def test_a_database_with_an_admin_opens_on_the_home_screen(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_question_mark_shows_the_keys_on_screens_without_their_own_help(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("i")
        await sign_in(pilot, INVIGILATOR, "1111")
        assert isinstance(app.screen, SittingChooserScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("f1")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")


async def test_signing_out_of_administer_signs_the_admin_out_of_the_terminal(mini, centre):
    from marker_tui.interfaces.tui.screens.admin import AdminScreen

    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        await sign_in(pilot, ADMIN, "4444")
        assert isinstance(app.screen, AdminScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.staff_member is None
        assert menu_titles(app) == EVERY_ACTIVITY


async def test_a_pin_typed_straight_after_enter_lands_in_the_pin_box_not_the_name_box(centre):
    """A fast typist: every key reaches the app before the screen has handled Enter."""
    from textual import events

    from marker_tui.interfaces.tui.screens.marking import SittingPickerScreen

    app = MarkerApp(centre, start=StaffSignInScreen("Marking", then=lambda m: SittingPickerScreen(m.name),
                                                    roles=("marker",)), steady=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key, char in [*((c if c != " " else "space", c) for c in MARKER), ("enter", "\r"),
                          *((c, c) for c in "2222"), ("enter", "\r")]:
            app.post_message(events.Key(key, char))  # back to back, no pause between keys
        await pilot.pause()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, SittingPickerScreen), app.screen.query_one("#staff-name").value
        assert app.screen.marker == MARKER


async def test_escape_on_the_sign_in_goes_back_to_the_home_screen_and_another_activity_can_be_chosen(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("u")  # the wrong activity
        await pilot.pause()
        assert isinstance(app.screen, StaffSignInScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert "Sit a paper" in menu_titles(app)  # back on the home screen, nobody signed in
        await pilot.press("i")
        await sign_in(pilot, INVIGILATOR, "1111")
        assert not isinstance(app.screen, StaffSignInScreen)


async def test_a_sign_in_opened_on_its_own_offers_no_back(centre):
    from marker_tui.interfaces.tui.screens.marking import SittingPickerScreen

    app = MarkerApp(centre, start=StaffSignInScreen("Marking", then=lambda m: SittingPickerScreen(m.name),
                                                    roles=("marker",)), steady=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, StaffSignInScreen)
        back = [b for b in app.active_bindings.values() if b.binding.action == "back"]
        assert not back or not back[0].enabled  # not offered in the footer either


@pytest.mark.parametrize("title, screen_name", [("Standardisation", "LeadAssessorScreen"),
                                                ("Marker monitoring", "MonitoringPapersScreen"),
                                                ("Reviews of marking", "ReviewsScreen")])
async def test_the_lead_assessor_reaches_each_marking_quality_screen_from_the_signed_out_menu(
        mini, centre, title, screen_name):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        menu = app.screen.query_one("#home-menu", OptionList)
        menu.highlighted = menu_titles(app).index(title)
        menu.focus()
        await pilot.press("enter")
        await sign_in(pilot, ADMIN, "4444")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == screen_name


async def test_a_marker_is_offered_reviews_of_marking_but_not_the_lead_assessors_screens(mini, centre):
    app = make_app(mini, centre)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("a")  # refused Administer: signed in on the home screen, with the marker's menu
        await sign_in(pilot, MARKER, "2222")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert menu_titles(app) == ["Sit a paper", "Mark", "Reviews of marking"]


async def test_a_name_tab_and_pin_typed_as_one_burst_sign_in(centre):
    """Fast typing or a slow link: the PIN typed straight after Tab goes to the PIN box, not the name."""
    from key_bursts import press_burst

    from marker_tui.interfaces.tui.screens.marking import SittingPickerScreen

    def keys(text: str) -> list[str]:
        return [c if c != " " else "space" for c in text]

    app = MarkerApp(centre, start=StaffSignInScreen("Marking", then=lambda m: SittingPickerScreen(m.name),
                                                    roles=("marker",)), steady=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await press_burst(pilot, *keys("Mo Makrer"), "tab", *"2223", "backspace", "2")
        assert (app.screen.query_one("#staff-name").value, app.screen.query_one("#staff-pin").value) == (
            "Mo Makrer", "2222")
        # Back to the name (shift+Tab selects it: typing replaces it), the name again, forward, Enter.
        await press_burst(pilot, "shift+tab", *keys(MARKER), "tab", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, SittingPickerScreen)
        assert app.screen.marker == MARKER
