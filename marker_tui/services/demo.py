"""The demo centre: one database in which a new user can try every role at once.

``build_demo(path)`` makes, through the real services (so every row, total and
audit entry is what a real centre would have):

* demo staff, one per role, with fixed PINs (:data:`DEMO_STAFF`; printed by
  ``marker-tui demo`` and listed in the README);
* twelve candidates, some with access arrangements (25% extra time, a reader, a
  separate room, rest breaks, a coloured overlay, larger text), each with the
  evidence the centre keeps (what was seen, who approved it, when);
* sitting ``304-DEMO`` (unit 304): every candidate enrolled, open and ready to
  start: learners can log in now, the invigilator starts it;
* sitting ``305-DEMO`` (unit 305), sat *yesterday*: typed answers of varying
  quality (``data/demo_answers.yaml``), two blank answers, a late start who
  submitted last, a candidate whose time ran out, one absent; ended, and partly
  marked: scripts complete by Mo Marker and by Maya Marker (one passes the total
  but fails an outcome minimum), one in progress, the rest unmarked.

A database that already holds staff, candidates or sittings is never
overwritten unless ``force`` is given; even then the old file is first copied
beside it (``<name>.before-demo-<time>.db``). The demo is built in a temporary
file and copied into place only when complete, so a failed build changes
nothing.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML

from marker_tui.domain.clock import Clock, FakeClock, SystemClock
from marker_tui.domain.events.demo import DemoCentreBuilt
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.assessment_files import load_library
from marker_tui.storage.database import copy_file, copy_into, holds_centre_data, open_database, without_waiting_for_disk
from marker_tui.storage.locations import PACKAGE_DATA, SHIPPED_MARKSCHEMES, SHIPPED_PAPERS

QUALIFICATION = "3818-13"
OPEN_CODE = "304-DEMO"
SAT_CODE = "305-DEMO"
ANSWERS_FILE = PACKAGE_DATA / "demo_answers.yaml"
DEMO_KEYCODE_SEED = "marker-tui demo centre"
"""Fixes the demo's keycodes, so README can print them (a real room's are random)."""
DEMO_EXIT_CODE = "246810"
"""304-DEMO's exit code (closes a learner's terminal), printed by marker-tui demo and in README."""


def demo_keycode(code: str, candidate_number: str) -> str:
    from marker_tui.domain.admission import derived_keycode, format_keycode

    return format_keycode(derived_keycode(DEMO_KEYCODE_SEED, code, candidate_number))


@dataclass(frozen=True)
class DemoPerson:
    name: str
    roles: tuple[str, ...]
    pin: str
    does: str


#: The demo staff and their PINs (also in the README). Fixed on purpose: this is a demo.
DEMO_STAFF: tuple[DemoPerson, ...] = (
    DemoPerson("Iris Invigilator", ("invigilator",), "1111", "runs sitting 304-DEMO (open, ready to start)"),
    DemoPerson("Mo Marker", ("marker",), "2222", "has marked three 305 scripts; one more is half marked"),
    DemoPerson("Maya Marker", ("marker",), "2223", "has marked one 305 script; must now qualify (standardisation)"),
    DemoPerson("Quinn Quality", ("iqa",), "3333", "IQA and lead assessor: can sample the marked 305 scripts"),
    DemoPerson("Ada Admin", ("admin",), "4444", "administers: candidates, staff, sittings, audit log"),
)

ADMIN = "Ada Admin"
INVIGILATOR = "Iris Invigilator"

#: Who approves the demo's arrangements, and the evidence the centre keeps ({on}: the approval date).
_SENCO = "Sam Okafor (SENCo)"
_FORM8 = f"JCQ Form 8 on file, assessor's report | {_SENCO} | {{on}}"
_PLAN = f"Learning support plan on file | {_SENCO} | {{on}}"
_GP = f"GP letter on file | {_SENCO} | {{on}}"

#: number, name, extra time %, access arrangements (written form, each with its evidence), enrolled in
#: the 305 sitting yesterday
DEMO_CANDIDATES: tuple[tuple[str, str, int, str, bool], ...] = (
    ("1001", "Aisha Rahman", 25, f"extra time | {_FORM8}; reader | {_FORM8}", True),
    ("1002", "Callum McKenzie", 0, "", True),
    ("1003", "Chloe Bennett", 0, "", True),
    ("1004", "Daniel Okonkwo", 0, "", True),
    ("1005", "Ellie Hughes", 0, f"separate room | {_GP}; supervised rest breaks | {_GP}", True),
    ("1006", "Gareth Pritchard", 0, "", True),
    ("1007", "Hannah Kowalski", 25,
     f"extra time | {_FORM8}; scribe / word processor: spell checker off | {_FORM8}", True),
    ("1008", "Jamal Ahmed", 0, "", True),
    ("1009", "Katie O'Brien", 0, f"coloured overlay / high contrast: yellow overlay on paper | {_PLAN}", True),
    ("1010", "Liam Thompson", 0, "", True),
    ("1011", "Priya Patel", 25, f"extra time | {_FORM8}; supervised rest breaks | {_FORM8}", False),
    ("1012", "Rhys Evans", 0, f"reader | {_PLAN}; larger text | {_PLAN}", False),
)
ABSENT = "1009"


class DemoRefused(ServiceError):
    """The target already holds a centre's data (use force to replace it)."""


class DemoStaff(BaseModel):
    name: str
    roles: list[str]
    pin: str
    does: str


class DemoReport(BaseModel):
    path: str | None
    staff: list[DemoStaff]
    candidates: int
    with_arrangements: int
    open_code: str
    open_enrolled: int
    sat_code: str
    sat_scripts: int
    absent: int
    complete: int
    in_progress: int
    unmarked: int
    safety_copy: str | None = None
    seconds: float = 0.0
    keycodes: dict[str, str] = {}
    """304-DEMO's admission keycodes, by candidate number."""
    exit_code: str = DEMO_EXIT_CODE

    def lines(self) -> list[str]:
        out = [f"Demo centre built{' in ' + self.path if self.path else ''} ({self.seconds:.1f} s)."]
        if self.safety_copy:
            out.append(f"The database that was there is kept at {self.safety_copy}.")
        out += [
            "",
            "Staff (name, PIN, role):",
            *[f"  {s.name:<17} {s.pin}  {', '.join(s.roles):<11} {s.does}" for s in self.staff],
            "",
            f"Candidates: {self.candidates} ({self.with_arrangements} with access arrangements), numbers 1001-1012.",
            f"Sitting {self.open_code} (unit 304): open, {self.open_enrolled} candidates enrolled, ready to start.",
            f"  A learner: marker-tui sit {self.open_code} --candidate 1001, then the keycode below   "
            f"(Iris starts it: marker-tui invigilate {self.open_code})",
            "  Keycodes (admission slips): " + ", ".join(f"{n} {k}" for n, k in self.keycodes.items()),
            f"  Exit code (closes a learner's terminal; invigilators only): {self.exit_code}",
            f"Sitting {self.sat_code} (unit 305): sat yesterday, {self.sat_scripts} scripts, {self.absent} absent; "
            f"{self.complete} marked complete, {self.in_progress} in progress, {self.unmarked} unmarked.",
            "",
            "Open the app: marker-tui" + (f" --db {self.path}" if self.path else ""),
        ]
        return out


# --- the build ------------------------------------------------------------------------------------


def _load_answers() -> dict[str, Any]:
    return YAML(typ="safe").load(ANSWERS_FILE.read_text(encoding="utf-8"))


DEMO_CENTRE_NAME = "Riverside Skills Centre (demo)"
DEMO_CENTRE_NUMBER = "123456A"  # the form of a City & Guilds centre number; not a real centre


def has_centre_data(db) -> bool:
    """True if the database holds anything a centre made (staff, candidates or sittings)."""
    return holds_centre_data(db)


def _local(day: datetime, hour: int, minute: int) -> datetime:
    """``day``'s date at hour:minute local time, as an aware instant."""
    local = day.astimezone()
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def _plan_times(now: datetime) -> dict[str, datetime]:
    """Instants of the story: setup a week ago, the 305 sitting yesterday morning, today's 304."""
    yesterday = now - timedelta(days=1)
    start = _local(yesterday, 9, 30)
    return {
        "setup": start - timedelta(days=7),
        "start": start,
        "marking": _local(yesterday, 14, 0),
        "late joiners": _local(yesterday, 17, 0),
        "today": now - timedelta(minutes=30),
        "now": now,
    }


class _Builder:
    def __init__(self, centre, clock: FakeClock, now: datetime) -> None:
        self.centre = centre
        self.clock = clock
        self.now = now
        self.times = _plan_times(now)
        self.data = _load_answers()["candidates"]
        # The arrangements were approved at the start of the course, six weeks before the set-up.
        self.approved_on = (self.times["setup"] - timedelta(weeks=6)).date().isoformat()

    def at(self, instant: datetime) -> None:
        # The story must never run backwards, nor past the real now.
        if instant < self.clock.now():
            instant = self.clock.now()
        self.clock.set(min(instant, self.now))

    # -- steps ------------------------------------------------------------------------------------
    def setup(self) -> None:
        c = self.centre
        self.at(self.times["setup"])
        library = load_library(Path(c.papers_dir), Path(c.markschemes_dir))
        wanted = {(QUALIFICATION, "304"), (QUALIFICATION, "305")}
        valid = {(p.qualification, p.unit) for p, _ in library.valid_papers()}
        if not wanted <= valid:
            shown = "\n".join(f"  {f}" for f in library.errors[:10])
            raise ServiceError(f"The demo needs the shipped papers for units 304 and 305, which cannot be "
                               f"loaded (run: marker-tui check):\n{shown}")
        c.papers.load_library(library, actor=Actor.system())
        admin = next(p for p in DEMO_STAFF if "admin" in p.roles)
        c.staff.add(admin.name, list(admin.roles), admin.pin, by=None)
        c.settings.set_centre_identity(DEMO_CENTRE_NAME, DEMO_CENTRE_NUMBER, by=admin.name)
        for person in DEMO_STAFF:
            if person is not admin:
                self.clock.advance(minutes=2)
                c.staff.add(person.name, list(person.roles), person.pin, by=admin.name)
        self.clock.advance(minutes=10)
        for number, name, extra, arrangements, early in DEMO_CANDIDATES:
            if early:
                self.clock.advance(seconds=40)
                c.candidates.add(number, name, extra, arrangements.format(on=self.approved_on), by=ADMIN)

    def sitting_305(self) -> None:
        c = self.centre
        start = self.times["start"]
        paper = c.papers.latest(QUALIFICATION, "305")
        self.at(start - timedelta(minutes=20))
        c.sittings.create_sitting(paper.id, by=INVIGILATOR, code=SAT_CODE, starts_at=start)
        enrolled = [n for n, *_rest, early in DEMO_CANDIDATES if early]
        self.clock.advance(minutes=1)
        c.sittings.enrol(SAT_CODE, enrolled, by=INVIGILATOR)
        c.sittings.issue_keycodes(SAT_CODE, by=INVIGILATOR, seed=DEMO_KEYCODE_SEED)
        self.at(start - timedelta(minutes=8))
        c.sittings.open(SAT_CODE, by=INVIGILATOR)
        on_time = [n for n in enrolled if n != ABSENT and not self.data.get(n, {}).get("late_minutes")]
        for i, number in enumerate(on_time):
            self.at(start - timedelta(minutes=6) + timedelta(seconds=25 * i))
            c.learners.login(SAT_CODE, number, demo_keycode(SAT_CODE, number))
        self.at(start)
        c.sittings.start(SAT_CODE, by=INVIGILATOR)
        scripts = {s.candidate_number: s.script_id for s in c.sittings.status(SAT_CODE).candidates}

        # Everything the learners and the invigilator do, in time order.
        events: list[tuple[datetime, int, Any]] = []
        seq = 0

        def event(when: datetime, action) -> None:
            nonlocal seq
            seq += 1
            events.append((when, seq, action))

        allowance = paper.time_allowance_minutes
        for number, entry in self.data.items():
            late = entry.get("late_minutes", 0)
            own_start = start + timedelta(minutes=late)
            extra = next(x for n, _, x, *_ in DEMO_CANDIDATES if n == number)
            allowed = allowance * (100 + extra) / 100
            used = entry.get("minutes_used") or allowed - 1.5
            if late:
                event(own_start, lambda n=number: c.learners.login(SAT_CODE, n, demo_keycode(SAT_CODE, n)))
            answers = list(entry["answers"].items())
            span = used - 2
            for i, (question, text) in enumerate(answers):
                if not text:
                    continue
                done = own_start + timedelta(minutes=1 + span * (i + 1) / len(answers))
                text = text.rstrip("\n")
                draft = _draft_of(text)
                if draft:
                    halfway = own_start + timedelta(minutes=1 + span * (i + 0.5) / len(answers))
                    event(halfway, lambda n=number, q=question, t=draft: self._save(scripts[n], q, t))
                event(done, lambda n=number, q=question, t=text: self._save(scripts[n], q, t))
            if not entry.get("time_up"):
                event(own_start + timedelta(minutes=used),
                      lambda n=number: c.learners.submit(scripts[n]))
        # A supervised rest break for the candidate in a separate room (an access arrangement):
        # asked for at the terminal, started and ended by the invigilator.
        event(start + timedelta(minutes=24), lambda: c.rest_breaks.ask(scripts["1005"]))
        event(start + timedelta(minutes=25), lambda: c.rest_breaks.start(SAT_CODE, "1005", by=INVIGILATOR))
        event(start + timedelta(minutes=31), lambda: c.rest_breaks.end(SAT_CODE, "1005", by=INVIGILATOR))
        for when, _, action in sorted(events, key=lambda e: (e[0], e[1])):
            self.at(when)
            action()
        self.at(start + timedelta(minutes=allowance * 1.25 + 15))
        c.sittings.end(SAT_CODE, by=INVIGILATOR,
                       reason=f"everyone present has finished; candidate {ABSENT} did not attend")

    def _save(self, script_id: int, question: str, text: str) -> None:
        self.centre.learners.set_current_question(script_id, question)
        self.centre.learners.save_answer(script_id, question, text)

    def marking_305(self) -> None:
        c = self.centre
        scripts = {s.candidate_number: s.script_id for s in c.sittings.status(SAT_CODE).candidates}
        self.at(self.times["marking"])
        # Complete scripts first (per marker), the one in progress last.
        order = sorted(((n, e) for n, e in self.data.items() if e.get("marks")),
                       key=lambda ne: (not ne[1]["marks"]["complete"], ne[0]))
        for number, entry in order:
            marks = entry["marks"]
            by = marks["by"]
            script = scripts[number]
            c.marking.open_script(script, by=by)
            for question, given in marks["questions"].items():
                # Maya skims (10 s an answer, Mo takes 55 s): marker monitoring flags her as fast.
                self.clock.advance(seconds=10 if by == "Maya Marker" else 55)
                c.marking.save_mark(script, str(question), int(given["marks"]),
                                    ticks=[p - 1 for p in given.get("points", [])],
                                    comment=given.get("comment"), by=by, expected_version=0)
            feedback = marks.get("feedback")
            if feedback:
                self.clock.advance(minutes=2)
                c.marking.set_feedback(script, overall_feedback=feedback["overall"],
                                       next_steps=feedback["next_steps"], by=by)
            if marks["complete"]:
                self.clock.advance(minutes=1)
                c.marking.complete(script, by=by)
            self.clock.advance(minutes=4)

    def standardisation_305(self) -> None:
        """The lead assessor's standardisation set for 305, from yesterday's completed scripts: their marks
        become definitive (one practice, two qualification, one control script); Mo is approved, Maya
        has still to qualify, and a control script waits in Mo's queue."""
        c = self.centre
        lead, paper = "Quinn Quality", f"{QUALIFICATION}/305"
        numbers = {s.candidate_number: s.script_number for s in c.sittings.status(SAT_CODE).candidates}
        done = sorted(n for n, e in self.data.items() if e.get("marks") and e["marks"]["complete"])
        for number, kind in zip(done, ("practice", "qualification", "qualification", "control")):
            self.clock.advance(minutes=3)
            chosen = c.standardisation.choose(SAT_CODE, numbers[number], kind, by=lead)
            given = self.data[number]["marks"]["questions"]
            c.standardisation.set_definitive(chosen.id, {
                str(q): (int(m["marks"]), m.get("comment") or f"Agreed at the standardisation meeting: "
                         f"{int(m['marks'])} mark{'s' if int(m['marks']) != 1 else ''} against the scheme's points.")
                for q, m in given.items()}, by=lead)
        self.clock.advance(minutes=5)
        c.standardisation.approve(paper, "Mo Marker", "Standardised at the centre's meeting; marked both "
                                  "qualification scripts with me", by=lead)
        self.clock.advance(minutes=1)
        c.standardisation.give_control(SAT_CODE, "Mo Marker", by=Actor.system(), force=True)

    def review_305(self) -> None:
        """Candidate 1003 had their feedback and queried it: their script is under review by Maya
        (who did not mark it), set by Ada as lead assessor, due in ten days (issue 18.4)."""
        import tempfile

        self.at(self.times["late joiners"] - timedelta(minutes=30))
        with tempfile.TemporaryDirectory() as folder:  # sharing results is what makes a review possible
            self.centre.exports.export_feedback(SAT_CODE, folder, by=ADMIN, candidate="1003", allow_incomplete=True)
        self.clock.advance(minutes=5)
        self.centre.reviews_of_marking.open(
            SAT_CODE, "candidate 1003", reason="The learner believes question 11 deserved more credit",
            deadline=(self.now.astimezone().date() + timedelta(days=10)), reviewer="Maya Marker", by=ADMIN)

    def late_joiners(self) -> None:
        self.at(self.times["late joiners"])
        for number, name, extra, arrangements, early in DEMO_CANDIDATES:
            if not early:
                self.clock.advance(seconds=50)
                self.centre.candidates.add(number, name, extra, arrangements.format(on=self.approved_on), by=ADMIN)

    def sitting_304(self) -> None:
        c = self.centre
        today = self.times["today"]
        self.at(today)
        paper = c.papers.latest(QUALIFICATION, "304")
        starts = (self.now + timedelta(minutes=15)).replace(second=0, microsecond=0)
        starts -= timedelta(minutes=starts.minute % 5)
        c.sittings.create_sitting(paper.id, by=INVIGILATOR, code=OPEN_CODE, starts_at=starts)
        self.clock.advance(minutes=1)
        c.sittings.enrol(OPEN_CODE, all_candidates=True, by=INVIGILATOR)
        self.clock.advance(seconds=30)
        c.sittings.issue_keycodes(OPEN_CODE, by=INVIGILATOR, seed=DEMO_KEYCODE_SEED)
        sitting_id = c.sittings.summary(OPEN_CODE).id
        self.at(self.now - timedelta(minutes=3))
        c.sittings.open(OPEN_CODE, by=INVIGILATOR)
        self.at(self.now - timedelta(minutes=2))
        # The demo's own write: 304-DEMO's exit code fixed (README prints it; issuing keycodes
        # drew a random one), in the entry that says the whole database is the demonstration.
        with UnitOfWork(c.db, self.clock).write(by=Actor.system(), needs=None, what="building the demo") as tx:
            tx.admission.set_exit_code(sitting_id, DEMO_EXIT_CODE)
            tx.record(DemoCentreBuilt(
                note="demonstration data; staff PINs are listed by marker-tui demo and in the README",
                open_sitting=OPEN_CODE, sat_sitting=SAT_CODE))



def _report(centre, path: str | None, seconds: float) -> DemoReport:
    """What the demo database holds, read back through the services."""
    from marker_tui.services.marking import MarkState

    queue = centre.marking.queue(SAT_CODE)
    counts = queue.counts()
    everyone = centre.candidates.all()
    return DemoReport(
        path=path,
        staff=[DemoStaff(name=p.name, roles=list(p.roles), pin=p.pin, does=p.does) for p in DEMO_STAFF],
        candidates=len(everyone),
        with_arrangements=sum(1 for x in everyone if x.extra_time_percent or x.arrangements),
        open_code=OPEN_CODE,
        open_enrolled=len(centre.sittings.status(OPEN_CODE).candidates),
        keycodes={number: demo_keycode(OPEN_CODE, number) for number, *_ in DEMO_CANDIDATES},
        exit_code=DEMO_EXIT_CODE,
        sat_code=SAT_CODE,
        sat_scripts=len(queue.rows),
        absent=queue.absent,
        complete=counts[MarkState.COMPLETE],
        in_progress=counts[MarkState.IN_PROGRESS],
        unmarked=counts[MarkState.UNMARKED],
        seconds=seconds,
    )


def _draft_of(text: str) -> str | None:
    """An earlier, shorter save of a long answer (its first paragraph or sentences), for version history."""
    if len(text) < 240:
        return None
    cut = text.find("\n\n")
    if cut <= 0:
        cut = text.find(". ", len(text) // 3)
        cut = cut + 1 if cut > 0 else -1
    return text[:cut].rstrip() if 0 < cut < len(text) else None


def _build_into(centre, clock: Clock | None) -> tuple[_Builder, float]:
    from marker_tui.services.centre import Centre

    began = time.monotonic()
    now = (clock or SystemClock()).now()
    fake = FakeClock(_plan_times(now)["setup"])
    story = Centre(db=centre.db, clock=fake, papers_dir=centre.papers_dir, markschemes_dir=centre.markschemes_dir)
    builder = _Builder(story, fake, now)
    builder.setup()
    builder.sitting_305()
    builder.marking_305()
    builder.review_305()
    builder.standardisation_305()
    builder.late_joiners()
    builder.sitting_304()
    return builder, time.monotonic() - began


def build_demo(target, clock: Clock | None = None, *, force: bool = False,
               papers_dir: Path = SHIPPED_PAPERS, markschemes_dir: Path = SHIPPED_MARKSCHEMES) -> DemoReport:
    """Build the demo centre in ``target``: a database path, or an (empty) open :class:`Centre`.

    ``clock`` says what "now" is (the real clock by default): the 305 sitting
    happened the day before. A path that already holds a centre's data is
    refused with :class:`DemoRefused` unless ``force`` (then the old file is
    kept beside it as a safety copy).
    """
    from marker_tui.services.centre import Centre

    if isinstance(target, Centre):
        if has_centre_data(target.db):
            raise DemoRefused("This database already holds staff, candidates or sittings; "
                              "the demo needs an empty one.")
        builder, seconds = _build_into(target, clock)
        return _report(builder.centre, None, seconds)

    path = Path(target).expanduser()
    safety = None
    if path.exists() and path.stat().st_size > 0:
        existing = open_database(path, create=False)
        try:
            occupied = has_centre_data(existing)
        finally:
            existing.close()
        if occupied and not force:
            raise DemoRefused(
                f"{path} already holds a centre's data (staff, candidates or sittings); the demo was not "
                "built. Choose another file with --db PATH, or replace it with --force (a safety copy "
                "of the old file is kept beside it).")
        if occupied:
            safety = _safety_copy(path)
    with tempfile.TemporaryDirectory(prefix="marker-tui-demo-") as folder:
        scratch = Path(folder) / "demo.db"
        db = open_database(scratch)
        # A scratch file copied into place at the end: no need to wait for the disk on every commit.
        without_waiting_for_disk(db)
        centre = Centre(db=db, papers_dir=Path(papers_dir), markschemes_dir=Path(markschemes_dir))
        began = time.monotonic()
        try:
            _build_into(centre, clock)
            path.parent.mkdir(parents=True, exist_ok=True)
            copy_into(db, path)
        finally:
            db.close()
        seconds = time.monotonic() - began
    final = Centre.open(path, create=False, clock=clock)
    try:
        report = _report(final, str(path), seconds)
    finally:
        final.close()
    report.safety_copy = str(safety) if safety else None
    return report


def _safety_copy(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safety = path.with_name(f"{path.stem}.before-demo-{stamp}{path.suffix or '.db'}")
    copy_file(path, safety)
    return safety


__all__ = ["ABSENT", "ADMIN", "DEMO_CANDIDATES", "DEMO_STAFF", "DemoRefused", "DemoReport", "INVIGILATOR",
           "DEMO_EXIT_CODE", "OPEN_CODE", "SAT_CODE", "build_demo", "demo_keycode", "has_centre_data"]
