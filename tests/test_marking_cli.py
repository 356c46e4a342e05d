"""``marker-tui marks ...``: paper marks imported by line, all-or-nothing; progress per script and marker."""

from __future__ import annotations

import json
from click.testing import CliRunner

from cli_signing import signed
from marker_tui.interfaces.cli.main import cli
from sitting_fixtures import PIN
from marking_fixtures import ADMIN, ANA, BEN, MarkingRoom, mroom  # noqa: F401
from standardisation_fixtures import sroom  # noqa: F401 - a fixture
from test_marking_service import mark_all, mark_rows, render_csv


def run(m: MarkingRoom, *args: str):
    args, stdin = signed(args, None, PIN)
    return CliRunner().invoke(cli, ["--db", str(m.room.path), *args], input=stdin, catch_exceptions=False)


def test_marks_import_reports_what_it_did(mroom, tmp_path):
    result = run(mroom, "marks", "import", mroom.code, str(render_csv(mroom, "good.csv", tmp_path)), "--by", ANA)
    assert result.exit_code == 0, result.output
    assert "4 mark(s) added, 0 changed, 0 unchanged" in result.output
    assert mroom.script_number("1001") in result.output
    assert len(mark_rows(mroom)) == 4


def test_marks_import_lists_every_bad_line_and_imports_nothing(mroom, tmp_path):
    result = run(mroom, "marks", "import", mroom.code, str(render_csv(mroom, "bad.csv", tmp_path)), "--by", ANA)
    assert result.exit_code == 1
    assert "10 problems; nothing was imported" in result.output
    for line in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12):
        assert f"  line {line}" in result.output
    assert "Traceback" not in result.output
    assert mark_rows(mroom) == []


def test_marks_import_needs_a_marker_and_an_existing_file(mroom, tmp_path):
    good = str(render_csv(mroom, "good.csv", tmp_path))
    result = run(mroom, "marks", "import", mroom.code, good, "--by", ADMIN)
    assert result.exit_code == 1 and "needs the role marker" in result.output
    result = run(mroom, "marks", "import", mroom.code, str(tmp_path / "nope.csv"), "--by", ANA)
    assert result.exit_code == 1 and "There is no file" in result.output
    result = run(mroom, "marks", "import", "NOPE", good, "--by", ANA)
    assert result.exit_code == 1 and "There is no sitting with code NOPE" in result.output


def test_marks_import_replace_and_reason(mroom, tmp_path):
    good = str(render_csv(mroom, "good.csv", tmp_path))
    mroom.marking.save_mark(mroom.script("1001"), "1", 0, by=BEN, expected_version=0, hold=False)
    refused = run(mroom, "marks", "import", mroom.code, good, "--by", ANA)
    assert refused.exit_code == 1 and "use --replace" in refused.output
    done = run(mroom, "marks", "import", mroom.code, good, "--by", ANA, "--replace")
    assert done.exit_code == 0 and "3 mark(s) added, 1 changed" in done.output


def test_marks_status_per_script_and_per_marker(mroom):
    a = mroom.script("1001")
    mark_all(mroom, a)
    mroom.marking.complete(a, by=ANA)
    # (The command runs on the real clock, so a claim made at the fake time has lapsed: give a mark.)
    mroom.marking.save_mark(mroom.script("1002"), "1", 1, by=BEN, expected_version=0)
    result = run(mroom, "marks", "status", mroom.code, "--by", ADMIN)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "3 script(s) to mark: 1 complete, 1 in progress, 1 unmarked · 1 absent · 0 still writing" in out
    assert "blind marking" in out and "Amira" not in out and "1001" not in out.replace(mroom.script_number("1001"), "")
    lines = {line.split()[0]: line for line in out.splitlines() if line[:4].isdigit()}
    assert "complete" in lines[mroom.script_number("1001")] and "9/10" in lines[mroom.script_number("1001")]
    assert BEN in lines[mroom.script_number("1002")]
    assert "Questions marked" in out and any(line.startswith(ANA) and " 3 " in line for line in out.splitlines())
    data = json.loads(run(mroom, "marks", "status", mroom.code, "--json", "--by", ADMIN).output)
    assert {r["script_number"]: r["state"] for r in data["queue"]["rows"]}[mroom.script_number("1001")] == "complete"


def test_marks_status_shows_names_once_blind_marking_is_off(mroom):
    refused = run(mroom, "marks", "blind", mroom.code, "--off", "--by", ANA)
    assert refused.exit_code == 1 and "needs the role admin" in refused.output
    assert "is on" in run(mroom, "marks", "blind", mroom.code).output
    changed = run(mroom, "marks", "blind", mroom.code, "--off", "--by", ADMIN)
    assert changed.exit_code == 0 and f"is off: markers see candidates' names (set by {ADMIN}" in changed.output
    out = run(mroom, "marks", "status", mroom.code, "--by", ADMIN).output
    assert "Amira Khan" in out and "Candidate" in out


def test_marks_complete_signs_off_fully_marked_scripts(mroom, tmp_path):
    run(mroom, "marks", "import", mroom.code, str(render_csv(mroom, "good.csv", tmp_path)), "--by", ANA)
    partial = run(mroom, "marks", "complete", mroom.code, mroom.script_number("1002"), "--by", ANA)
    assert partial.exit_code == 1 and "cannot be complete yet: questions 2a, 2b have no mark" in partial.output
    done = run(mroom, "marks", "complete", mroom.code, "--all", "--by", ANA)
    assert done.exit_code == 0 and f"Complete: {mroom.script_number('1001')} (9/10 pass)." in done.output
    assert "No fully marked script" in run(mroom, "marks", "complete", mroom.code, "--all", "--by", ANA).output


def test_mark_and_marks_are_listed_in_help():
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "mark " in out and "marks" in out
    assert "status" in CliRunner().invoke(cli, ["marks", "--help"]).output


def test_mark_with_an_unknown_code_says_so_without_opening_the_app(mroom):
    result = run(mroom, "mark", "NOPE")
    assert result.exit_code == 1 and "There is no sitting with code NOPE" in result.output



def test_marks_status_counts_a_marker_s_control_script_as_their_queue_does_and_apart_for_the_lead(sroom):
    # A marker's `marks status` said 4 scripts while their queue showed 5: the difference told them a
    # control script was there. The lead assessor sees it counted apart, with whose it is.
    from standardisation_fixtures import LEAD, give_control

    sroom.pick("1004", "control")
    control = give_control(sroom)
    live = next(r.script_id for r in sroom.centre.marking_for(ANA).queue(sroom.live).rows if r.script_id > 0)
    desk = sroom.centre.marking_for(ANA)
    desk.claim(control, by=ANA)  # Ana has both open, as two marking screens would
    desk.claim(live, by=ANA)

    def status(who: str, *extra: str):
        args, stdin = signed(["marks", "status", sroom.live, "--by", who, *extra], None, PIN)
        result = CliRunner().invoke(cli, ["--db", str(sroom.room.path), *args], input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    ana = status(ANA)
    assert "5 script(s) to mark" in ana and "control" not in ana.lower()
    assert "4 script(s) to mark" in status(BEN)
    lead = status(LEAD)
    assert "4 script(s) to mark" in lead
    assert "Control scripts (not counted above, not learners' scripts): 1, 0 complete · given to Ana Lopes" in lead
    rows = json.loads(status(ANA, "--json"))["queue"]["rows"]
    assert len(rows) == 5 and all("script_id" not in r for r in rows)  # a control script's id is negative
    # Holding (the status on the room's own clock, which the claims are on): the control script is held
    # as a live one is, in the rows and in the marker's own line.
    report = desk.status(sroom.live)
    held = sorted(r.script_number for r in report.queue.rows if r.held_by == ANA)
    assert len(held) == 2, report.queue.rows
    [mine] = [p for p in report.markers if p.name == ANA]
    assert sorted(mine.holding) == held
    # A mark on either counts in the marker's own line alike; let go, neither is held.
    before = mine.questions_marked
    desk.save_mark(control, "1", 1, by=ANA, expected_version=0)
    [mine] = [p for p in desk.status(sroom.live).markers if p.name == ANA]
    assert mine.questions_marked == before + 1 and mine.scripts_marked >= 1
    desk.release(control, by=ANA)
    desk.release(live, by=ANA)
    report = desk.status(sroom.live)
    assert [r.script_number for r in report.queue.rows if r.held_by] == []
    assert [p.holding for p in report.markers if p.name == ANA] == [[]]
