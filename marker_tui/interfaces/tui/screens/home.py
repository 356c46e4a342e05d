"""The first screen: choose what you are here to do.

Learners go straight to their login. Staff sign in with name and PIN for the
activity they chose; the sign-in lasts while they are on that activity: back on
this screen they are signed out (a shared terminal must not let the next person
act as the last), and the screen says so. A learner's sitting started on this
terminal signs staff out first too.
The role screens are imported only when chosen, so the home screen stays quick.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Static
from textual.widgets.option_list import Option

from marker_tui.domain.visible_text import visible_line
from marker_tui.interfaces.tui.widgets.specification_browser import SpecificationBrowser
from marker_tui.interfaces.tui.widgets.tables import highlighted_key
from marker_tui.interfaces.tui.service_calls import ServiceCalls
from marker_tui.services.staff import StaffMember
from marker_tui.interfaces.tui.widgets.footer import Footer
from marker_tui.domain.roles import Permission, roles_for

STAFF_ROLES = roles_for(Permission.SIGN_IN)


@dataclass(frozen=True)
class Activity:
    key: str
    title: str
    roles: tuple[str, ...]  # empty: no sign-in needed
    what: str


ACTIVITIES = (
    Activity("sit", "Sit a paper", (), "Learners: sitting code and candidate number."),
    Activity("invigilate", "Invigilate", roles_for(Permission.RUN_ROOM),
             "Run a sitting: start, pause, extra time."),
    Activity("mark", "Mark", roles_for(Permission.MARK), "Mark scripts against the mark scheme."),
    Activity("iqa", "Quality assurance", roles_for(Permission.REVIEW_MARKING), "Sample, review, agreement figures."),
    Activity("admin", "Administer", roles_for(Permission.ADMINISTER), "Papers, candidates, staff, sittings, audit."),
    Activity("standardise", "Standardisation", roles_for(Permission.LEAD_MARKING),
             "The lead assessor: practice, qualification and control scripts; approve, reinstate."),
    Activity("monitor", "Marker monitoring", roles_for(Permission.LEAD_MARKING),
             "Each marker of a paper against the IQA: severity, drift, time, consistency."),
    # Reviewers are markers or IQA reviewers; the lead assessor (IQA or admin) opens and follows reviews.
    Activity("reviews", "Reviews of marking", tuple(dict.fromkeys(
        roles_for(Permission.MARK) + roles_for(Permission.REVIEW_MARKING) + roles_for(Permission.LEAD_MARKING))),
             "Learners' queries and appeals: reviews given to you, or (lead assessor) all of them."),
)


def allowed(activity: Activity, member: StaffMember | None) -> bool:
    return not activity.roles or (member is not None and member.has_any(*activity.roles))


class HomeScreen(Screen):
    # Below 110 columns the browser stacks its tree above the detail.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("s", "choose('sit')", "Sit a paper"),
        Binding("i", "choose('invigilate')", "Invigilate"),
        Binding("m", "choose('mark')", "Mark"),
        Binding("u", "choose('iqa')", "Quality assurance"),
        Binding("a", "choose('admin')", "Administer"),
        Binding("o", "sign_out", "Sign out"),
        Binding("q", "app.quit", "Quit"),
        Binding("f1", "app.show_keys", "Keys"),
        Binding("question_mark", "app.show_keys", "Keys", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._away: StaffMember | None = None  # signed in for the activity open above this screen

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="library-status")
        with Horizontal(id="home-body"):
            with Vertical(id="home-menu-column"):
                yield Static("", id="signed-in")
                yield OptionList(id="home-menu")
                yield Static("", id="home-hint")
            yield SpecificationBrowser(self.app.library, id="browser")
        yield Footer()

    def on_mount(self) -> None:
        library = self.app.library
        errors = len(library.errors)
        status = self.query_one("#library-status", Static)
        status.update(
            f"{len(library.specifications)} qualification(s), {len(library.papers)} question paper(s) loaded"
            + (f" · {errors} file error(s): run `marker-tui check`" if errors else "")
        )
        status.set_class(bool(errors), "error")
        self.refresh_menu()
        self.query_one("#home-menu", OptionList).focus()

    def on_screen_resume(self) -> None:
        # Back from the activity the sign-in was for: whoever sits here next signs in again.
        # (Resumed for a moment while _AfterSignIn hands over, the activity is already on top.)
        if self._away is not None and self.app.screen is self:
            member, self._away = self._away, None
            self._signed_out(member)
            return
        self.refresh_menu()

    # -- the menu ----------------------------------------------------------------------

    @property
    def member(self) -> StaffMember | None:
        return getattr(self.app, "staff_member", None)

    def refresh_menu(self) -> None:
        menu = self.query_one("#home-menu", OptionList)
        highlighted = menu.highlighted_option.id if menu.highlighted_option is not None else None
        menu.clear_options()
        member = self.member
        for activity in ACTIVITIES:
            # Signed in, the menu offers only what this person may do; before that, everything.
            if member is None or allowed(activity, member):
                label = Text(activity.title, style="bold")
                label.append(f"\n{activity.what}", style="dim")
                menu.add_option(Option(label, id=activity.key))
        if highlighted is not None and highlighted in [o.id for o in menu.options]:
            menu.highlighted = menu.get_option_index(highlighted)
        elif menu.option_count:
            menu.highlighted = 0
        signed_in = self.query_one("#signed-in", Static)
        if member is None:
            signed_in.update("Staff: choose an activity to sign in.")
        else:
            signed_in.update(Text.assemble("Signed in: ", (visible_line(member.name), "bold"), f" ({', '.join(member.roles)})"))
        self.query_one("#home-hint", Static).update("Enter: open · o: sign out" if member else "Enter: open")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_out":
            return self.member is not None
        if action == "choose" and self.member is not None:
            activity = next((a for a in ACTIVITIES if a.key == parameters[0]), None)
            return activity is not None and allowed(activity, self.member)
        return True

    @on(OptionList.OptionSelected, "#home-menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_choose(event.option.id)

    def action_choose(self, key: str) -> None:
        activity = next(a for a in ACTIVITIES if a.key == key)
        if not activity.roles:
            self.start_learner()
            return
        if self.member is None:
            from .staff_sign_in import StaffSignInScreen

            def signed_in(member: StaffMember) -> Screen:
                self.app.staff_member = member
                return _AfterSignIn(activity)

            self.app.push_screen(StaffSignInScreen(f"{activity.title}", then=signed_in, roles=STAFF_ROLES))
            return
        if not allowed(activity, self.member):
            self.notify(f"{self.member.name} cannot {activity.title.lower()}: it needs the role "
                        f"{' or '.join(activity.roles)}.", severity="warning")
            return
        self.open_activity(activity)

    def open_activity(self, activity: Activity) -> None:
        member = self.member
        assert member is not None
        # The activity screen is given who signed in; the terminal itself is signed out from now on.
        self.app.staff_member = None
        self._away = member
        if activity.key == "invigilate":
            self.app.push_screen(SittingChooserScreen(member))
        elif activity.key == "mark":
            from .marking import SittingPickerScreen

            self.app.push_screen(SittingPickerScreen(member.name))
        elif activity.key == "iqa":
            from .iqa import IqaHomeScreen

            self.app.push_screen(IqaHomeScreen(member.name))
        elif activity.key == "standardise":
            from .standardisation import LeadAssessorScreen

            self.app.push_screen(LeadAssessorScreen(member.name))
        elif activity.key == "monitor":
            from .monitoring import MonitoringPapersScreen

            self.app.push_screen(MonitoringPapersScreen(member.name))
        elif activity.key == "reviews":
            from .reviews import ReviewsScreen

            self.app.push_screen(ReviewsScreen(member.name))
        elif activity.key == "admin":
            from .admin import AdminScreen

            self.app.push_screen(AdminScreen(member))

    def start_learner(self) -> None:
        from .learner import LearnerLoginScreen

        # A learner at this terminal must never inherit a member of staff's sign-in.
        self.app.staff_member = None
        self.refresh_menu()
        self.app.push_screen(LearnerLoginScreen())

    def action_sign_out(self) -> None:
        member = self.member
        self.app.staff_member = None
        if member is not None:
            self._signed_out(member)
        else:
            self.refresh_menu()

    def _signed_out(self, member: StaffMember) -> None:
        self.app.staff_member = None
        self.refresh_menu()
        self.query_one("#signed-in", Static).update(Text.assemble(
            "Signed out: ", (visible_line(member.name), "bold"), ". Staff: choose an activity to sign in."))
        self.notify(f"Signed out: {member.name}")


class _AfterSignIn(Screen):
    """Replaces the sign-in screen for a moment, then opens what was chosen (if allowed)."""

    def __init__(self, activity: Activity) -> None:
        super().__init__()
        self.activity = activity

    def on_mount(self) -> None:
        self.call_after_refresh(self._continue)

    def _continue(self) -> None:
        self.app.pop_screen()
        home = self.app.screen
        if isinstance(home, HomeScreen):
            home.refresh_menu()
            if allowed(self.activity, home.member):
                home.open_activity(self.activity)
            else:
                home.notify(f"{home.member.name} cannot {self.activity.title.lower()}: it needs the role "
                            f"{' or '.join(self.activity.roles)}.", severity="warning")


class SittingChooserScreen(ServiceCalls, Screen):
    """The sittings an invigilator can run; Enter opens the room."""

    BINDINGS = [
        Binding("enter", "open", "Open room"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "app.pop_screen", "Back"),
        Binding("f1", "app.show_keys", "Keys"),
    ]

    def __init__(self, member: StaffMember) -> None:
        super().__init__()
        self.member = member

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Choose a sitting to invigilate (Enter). Ended sittings are listed last.", id="chooser-help")
        yield DataTable(id="sittings", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sittings", DataTable)
        table.add_columns("Code", "Unit", "Paper", "State", "Time allowed")
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        self.run_service(self.app.centre.sittings.sittings, done=self._show_sittings, group="sittings")

    def _show_sittings(self, found) -> None:
        table = self.query_one("#sittings", DataTable)
        table.clear()
        sittings = sorted(found, key=lambda s: (s.state == "ended", s.code))
        for s in sittings:
            table.add_row(s.code, f"{s.qualification}/{s.unit}", Text(visible_line(s.paper_title or "-")), str(s.state),
                          f"{s.time_allowance_minutes} min", key=s.code)
        if not sittings:
            self.query_one("#chooser-help", Static).update(
                "There are no sittings yet. An admin creates one (Administer → Sittings).")

    def action_open(self) -> None:
        code = highlighted_key(self.query_one("#sittings", DataTable))
        if code is None:
            return
        from .invigilator import InvigilatorRoomScreen

        self.app.push_screen(InvigilatorRoomScreen(code, self.member.name))

    @on(DataTable.RowSelected, "#sittings")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()
