"""The demo centre holds what the README promises, built through the real services."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import entries
from marker_tui.services.centre import Centre
from marker_tui.services.demo import (
    ABSENT,
    DEMO_STAFF,
    OPEN_CODE,
    SAT_CODE,
    DemoRefused,
    _load_answers,
    build_demo,
    demo_keycode,
)
from marker_tui.services.marking import MarkState
from marker_tui.domain.sitting_states import ScriptState, SittingState
from marker_tui.services.room import SittingError
from marker_tui.storage.assessment_files import load_library
from marker_tui.storage.database import open_database
from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS

# A fixed "now": the 305 sitting happened the day before, the 304 sitting is open now.
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Centre:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    started = time.process_time()
    report = build_demo(path, FakeClock(NOW))
    cpu = time.process_time() - started
    centre = Centre.open(path, clock=FakeClock(NOW), create=False)
    centre.report = report
    centre.build_cpu_seconds = cpu
    yield centre
    centre.close()


def test_the_demo_is_quick_to_build(demo):
    # The README's first command builds it: it must not keep a new user waiting.
    assert demo.build_cpu_seconds < 3.0


def test_the_demo_centre_has_a_name_and_number_for_its_documents(demo):
    identity = demo.settings.centre_identity()
    assert (identity.name, identity.number) == ("Riverside Skills Centre (demo)", "123456A")


def test_one_staff_member_per_role_with_the_documented_pins(demo):
    members = {m.name: m.roles for m in demo.staff.members()}
    assert members == {p.name: list(p.roles) for p in DEMO_STAFF}
    assert {role for roles in members.values() for role in roles} == {"invigilator", "marker", "iqa", "admin"}
    for person in DEMO_STAFF:
        assert demo.staff.verify_pin(person.name, person.pin).name == person.name
    assert [(s.name, s.pin) for s in demo.report.staff] == [
        ("Iris Invigilator", "1111"), ("Mo Marker", "2222"), ("Maya Marker", "2223"),
        ("Quinn Quality", "3333"), ("Ada Admin", "4444")]


def test_a_dozen_candidates_some_with_access_arrangements(demo):
    everyone = demo.candidates.all()
    assert len(everyone) == 12
    assert len({c.name for c in everyone}) == 12
    extra = [c for c in everyone if c.extra_time_percent]
    assert len(extra) == 3 and {c.extra_time_percent for c in extra} == {25}
    arrangements = " ".join(c.access_arrangements for c in everyone)
    for kind in ("reader", "separate room", "rest breaks"):
        assert kind in arrangements


def test_the_304_sitting_is_open_with_everyone_enrolled_and_ready_to_start(demo):
    status = demo.sittings.status(OPEN_CODE)
    assert (status.qualification, status.unit, status.state) == ("3818-13", "304", SittingState.OPEN)
    assert len(status.candidates) == 12
    assert {c.state for c in status.candidates} == {ScriptState.NOT_LOGGED_IN}
    # Extra time was copied onto each enrolment.
    assert sorted(c.extra_time_percent for c in status.candidates).count(25) == 3
    assert status.scheduled_start is not None and status.scheduled_start > NOW



def test_a_learner_can_log_in_to_304_now_and_iris_can_start_it(demo, tmp_path):
    copy = tmp_path / "copy.db"
    target = sqlite3.connect(copy)
    demo.db.conn.backup(target)
    target.close()
    centre = Centre.open(copy, clock=FakeClock(NOW), create=False)
    with pytest.raises(SittingError, match="do not match"):
        centre.learners.login(OPEN_CODE, "1001", "")  # the number alone is not enough
    session = centre.learners.login(OPEN_CODE, "1001", demo_keycode(OPEN_CODE, "1001"))
    assert session.time.state is ScriptState.READING and session.paper.unit == "304"
    centre.sittings.start(OPEN_CODE, by="Iris Invigilator")
    assert centre.sittings.summary(OPEN_CODE).state is SittingState.RUNNING
    assert centre.learners.time_left(session.script_id).allowed_seconds == 90 * 60 * 125 // 100
    centre.close()


def test_the_305_sitting_was_sat_yesterday_and_has_ended(demo):
    status = demo.sittings.status(SAT_CODE)
    assert (status.unit, status.state) == ("305", SittingState.ENDED)
    yesterday = (NOW - timedelta(days=1)).astimezone().date()
    assert status.started_at.astimezone().date() == yesterday
    assert status.ended_at.astimezone().date() == yesterday
    states = {c.candidate_number: c.state for c in status.candidates}
    assert len(states) == 10
    assert states[ABSENT] is ScriptState.ABSENT
    assert states["1007"] is ScriptState.TIME_UP
    assert list(states.values()).count(ScriptState.SUBMITTED) == 8
    # The late starter had the full hour from his own start, and submitted last.
    jamal = next(c for c in status.candidates if c.candidate_number == "1008")
    assert jamal.late_by_seconds == 13 * 60
    assert jamal.submitted_at == max(c.submitted_at for c in status.candidates if c.submitted_at
                                     and c.state is ScriptState.SUBMITTED)
    log = demo.sittings.log(SAT_CODE)
    assert any(e.action == "late start" and e.candidate_number == "1008" for e in log)
    assert any(e.action == "candidate paused" and e.candidate_number == "1005" for e in log)


def test_the_305_answers_are_the_typed_ones_with_blanks_and_drafts(demo):
    status = demo.sittings.status(SAT_CODE)
    answered = {c.candidate_number: c.questions_answered for c in status.candidates}
    assert answered["1001"] == 12 and answered["1010"] == 10 and answered["1002"] == 11
    assert answered[ABSENT] == 0
    written = _load_answers()["candidates"]
    script = next(c.script_id for c in status.candidates if c.candidate_number == "1004")
    (row,) = demo.db.query("SELECT text FROM answers WHERE script_id = ? AND question_id = '12'", [script])
    assert row["text"] == written["1004"]["answers"]["12"].rstrip("\n")
    # Long answers were saved more than once, as a learner types: there is version history.
    versions = demo.db.execute("SELECT max(version) FROM answer_versions").fetchone()[0]
    assert versions == 2
    total = demo.db.execute("SELECT count(*) FROM answers a JOIN scripts s ON s.id = a.script_id "
                            "JOIN sittings t ON t.id = s.sitting_id WHERE t.code = ?", [SAT_CODE]).fetchone()[0]
    assert total == sum(1 for entry in written.values() for text in entry["answers"].values() if text)


def test_the_305_scripts_are_partly_marked_with_real_results(demo):
    queue = demo.marking.queue(SAT_CODE)
    assert queue.counts() == {MarkState.COMPLETE: 4, MarkState.IN_PROGRESS: 1, MarkState.UNMARKED: 4}
    assert queue.absent == 1 and not queue.marking_complete and queue.blind
    complete = [r for r in queue.rows if r.state is MarkState.COMPLETE]
    assert sorted(r.completed_by for r in complete) == ["Maya Marker", "Mo Marker", "Mo Marker", "Mo Marker"]
    results = sorted((r.provisional_total, r.result) for r in complete)
    assert results == [(7, "fail"), (18, "fail"), (23, "pass"), (27, "pass")]
    # 18 reaches the pass mark but fails the outcome 3 minimum: a case worth showing a new user.
    borderline = next(r for r in complete if r.provisional_total == 18)
    result = demo.marking.result(borderline.script_id)
    assert result.fail_reasons and "outcome 3" in " ".join(result.fail_reasons).lower()
    in_progress = next(r for r in queue.rows if r.state is MarkState.IN_PROGRESS)
    assert in_progress.questions_marked == 5 and in_progress.markers == ["Mo Marker"]
    assert in_progress.held_by is None  # Mo's claim from yesterday has lapsed: anyone may carry on
    script = demo.marking.view_script(complete[0].script_id)
    assert script.overall_feedback and script.next_steps


def test_every_row_is_audited_and_the_demo_is_marked_as_such(demo):
    log = entries(demo.db)
    (built,) = [i for i, e in enumerate(log) if e.action == "demo centre built"]
    log = log[: built + 1]  # (other tests here sign in, which is audited too)
    assert all(e.at <= NOW for e in log)
    assert log[0].at.date() < (NOW - timedelta(days=1)).date()  # set up before the sitting
    actions = {e.action for e in log}
    assert {"staff added", "candidate added", "sitting created", "candidate enrolled", "answer saved",
            "script submitted", "mark given", "script marking complete", "sitting opened"} <= actions


def test_demo_answers_fit_the_shipped_305_paper_and_mark_scheme():
    library = load_library(SHIPPED_PAPERS, SHIPPED_MARKSCHEMES)
    paper = library.papers[("3818-13", "305")]
    scheme = library.mark_schemes[("3818-13", "305")]
    ids = [q.id for q in paper.questions]
    for number, entry in _load_answers()["candidates"].items():
        assert list(entry["answers"]) == ids, number
        for question, given in entry.get("marks", {}).get("questions", {}).items():
            points = len(scheme.question(question).points)
            assert all(1 <= p <= points for p in given.get("points", [])), (number, question)


def test_the_demo_refuses_a_database_that_is_not_empty(tmp_path):
    centre = Centre(db=open_database(tmp_path / "used.db"), clock=FakeClock(NOW))
    centre.staff.add("Real Admin", ["admin"], "9876", by=None)
    with pytest.raises(DemoRefused, match="already holds staff, candidates or sittings"):
        build_demo(centre, FakeClock(NOW))
    assert [m.name for m in centre.staff.members()] == ["Real Admin"]
    centre.close()


def test_marker_tui_demo_builds_then_refuses_to_overwrite_without_force(tmp_path):
    path = tmp_path / "centre.db"
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--db", str(path)], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    for line in ("Iris Invigilator  1111", "Mo Marker         2222", "Ada Admin         4444",
                 f"Sitting {OPEN_CODE} (unit 304): open, 12 candidates enrolled",
                 f"Sitting {SAT_CODE} (unit 305): sat yesterday, 9 scripts, 1 absent; 4 marked complete"):
        assert line in first.output
    assert path.stat().st_mode & 0o077 == 0  # every answer and mark: its owner's only

    # A real centre's own data must never be replaced by accident.
    conn = sqlite3.connect(path)
    conn.execute("UPDATE candidates SET name = 'Changed By Hand' WHERE candidate_number = '1001'")
    conn.commit()
    conn.close()
    again = runner.invoke(cli, ["--db", str(path), "demo"])
    assert again.exit_code == 1
    assert "already holds a centre's data" in again.output and "--force" in again.output
    assert _name_of_1001(path) == "Changed By Hand"

    skipped = runner.invoke(cli, ["demo", "--db", str(path), "--if-missing"])
    assert skipped.exit_code == 0 and "the demo was not built" in skipped.output
    assert _name_of_1001(path) == "Changed By Hand"

    forced = runner.invoke(cli, ["demo", "--db", str(path), "--force"], catch_exceptions=False)
    assert forced.exit_code == 0, forced.output
    assert _name_of_1001(path) == "Aisha Rahman"
    (safety,) = tmp_path.glob("centre.before-demo-*.db")
    assert _name_of_1001(safety) == "Changed By Hand"
    assert "kept at" in forced.output and str(safety) in forced.output


def test_marker_tui_demo_uses_the_group_database_option(tmp_path):
    path = tmp_path / "from-group.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _name_of_1001(path) == "Aisha Rahman"
    assert f"marker-tui --db {path}" in result.output


def _name_of_1001(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name FROM candidates WHERE candidate_number = '1001'").fetchone()[0]
    finally:
        conn.close()


def test_the_demo_s_arrangements_carry_their_evidence_and_its_eqa_pack_for_305_works_at_once(demo, tmp_path):
    everyone = {c.candidate_number: c for c in demo.candidates.all()}
    arranged = [c for c in everyone.values() if c.arrangements]
    assert len(arranged) == 6 and all(a.has_evidence() for c in arranged for a in c.arrangements)
    assert "JCQ Form 8 on file" in everyone["1001"].arrangements[0].evidence
    assert {a.kind.value for c in arranged for a in c.arrangements} >= {
        "extra time", "reader", "separate room", "supervised rest breaks", "coloured overlay / high contrast",
        "larger text", "scribe / word processor"}
    # No files are made when the demo is built (it writes only its database): the pack is one command away.
    pack = demo.eqa.export_pack("305-DEMO", tmp_path / "eqa", by="Quinn Quality", names=False)
    assert pack.files and any(p.name.endswith(".sha256") or "checksum" in p.name for p in pack.files)
    reasons = {p.candidate_number: "; ".join(p.reasons) for p in pack.scripts}
    assert any("access arrangements (25% extra time; reader)" in r for r in reasons.values()), reasons


def test_the_demo_comes_with_a_finished_eqa_pack_for_305_beside_its_database(tmp_path):
    import hashlib

    import docx

    path = tmp_path / "centre.db"
    built = CliRunner().invoke(cli, ["demo", "--db", str(path)], catch_exceptions=False)
    assert built.exit_code == 0, built.output
    pack = tmp_path / "centre-exports" / f"EQA pack {SAT_CODE}"
    assert str(pack) in built.output
    listed = (pack / "checksums.sha256").read_text().splitlines()
    assert len(listed) >= 5 and any(line.endswith("00 cover sheet.docx") for line in listed)
    for line in listed:  # every file is there and matches its checksum
        digest, name = line.split(maxsplit=1)
        assert hashlib.sha256((pack / name.lstrip("*")).read_bytes()).hexdigest() == digest
    scripts = sorted(p.stem for p in (pack / "scripts").glob("*.docx"))
    assert scripts and all(s.isdigit() for s in scripts)  # candidate numbers, never names
    cover = "\n".join(p.text for p in docx.Document(pack / "00 cover sheet.docx").paragraphs)
    assert SAT_CODE in cover
    # The pack is in the centre's records too: the EQA pack was made by the IQA lead.
    conn = sqlite3.connect(path)
    try:
        actors = [r[0] for r in conn.execute("SELECT actor FROM audit_log WHERE action LIKE '%EQA%'")]
    finally:
        conn.close()
    assert actors == ["Quinn Quality"]


def test_two_unmarked_305_scripts_give_the_same_answer_so_group_marking_can_be_tried(demo):
    groups = demo.marking.identical_answers(SAT_CODE, "8", by="Mo Marker")
    assert len(groups) == 1 and len(groups[0].scripts) == 2  # "Hand the pass in to security." twice, give or take
    assert groups[0].answer == "hand the pass in to security"
