"""``marker-tui sitting|candidates|staff``: what an invigilator (or a script) types."""

from __future__ import annotations

import csv
import re

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_signing import signed
from marker_tui.interfaces.cli.main import cli
from marker_tui.interfaces.cli.sitting import visible
from marker_tui.services.learner import LearnerService
from marker_tui.services.invigilation import SittingStatus

CSV = Path(__file__).parent / "fixtures" / "candidates"


class Terminal:
    """Runs marker-tui commands against one database file, like a shell would."""

    def __init__(self, db: Path, mini) -> None:
        self.db = db
        self.mini = mini
        self.runner = CliRunner()

    PINS = {"Ada Admin": "1234", "Ian": "5678"}

    def __call__(self, *args: str, input: str | None = None, ok: bool = True):
        args, input = signed(args, input, self.PINS)
        result = self.runner.invoke(cli, ["--db", str(self.db), *args], input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def papers_args(self) -> list[str]:
        return ["--papers-dir", str(self.mini.root / "papers"),
                "--markschemes-dir", str(self.mini.root / "markschemes")]

    def create(self, *extra: str) -> str:
        result = self("sitting", "create", "--qualification", "9999-01", "--unit", "101", "--by", "Ian",
                      *self.papers_args(), *extra)
        return result.stdout.strip().splitlines()[-1]

    def audit_actions(self) -> list[str]:
        conn = sqlite3.connect(self.db)
        try:
            return [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
        finally:
            conn.close()

    def snapshot(self) -> dict[str, list[tuple]]:
        """Every row of every table but the audit log: to prove a failed command changed nothing.

        (Signing in, and every refusal, is itself recorded in the audit log.)
        """
        conn = sqlite3.connect(self.db)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                      if r[0] not in ("audit_log", "sqlite_sequence")]
            return {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))) for t in tables}
        finally:
            conn.close()


@pytest.fixture
def term(tmp_path: Path, mini) -> Terminal:
    t = Terminal(tmp_path / "centre.db", mini)
    t("staff", "add", "Ada Admin", "--role", "admin", "--pin-stdin", input="1234\n")
    t("staff", "add", "Ian", "--role", "invigilator", "--pin-stdin", "--by", "Ada Admin", input="1234\n5678\n")
    t("candidates", "import", str(CSV / "good.csv"), "--yes", "--by", "Ada Admin")
    return t


def test_a_whole_sitting_from_the_command_line(term):
    code = term.create()
    assert code.startswith("101-") and len(code) == 8
    assert "Enrolled in" in term("sitting", "enrol", code, "2001", "2002", "2003", "--by", "Ian").stdout
    term("sitting", "open", code, "--by", "Ian")
    slips = term.db.with_name("slips.csv")
    out = term("sitting", "slips", code, "-o", str(slips), "--by", "Ian").stdout
    assert f"3 admission slip(s) for sitting {code} written to {slips}" in out
    rows = list(csv.DictReader(slips.open(encoding="utf-8")))
    assert [(r["candidate_number"], r["sitting_code"]) for r in rows] == [(n, code) for n in ("2001", "2002", "2003")]
    # Every keycode is in it, and the database holds every answer: only their owner may read them.
    assert slips.stat().st_mode & 0o077 == 0 and term.db.stat().st_mode & 0o077 == 0
    keycode = rows[0]["keycode"]
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", keycode) and len({r["keycode"] for r in rows}) == 3
    learner = LearnerService(_open(term.db))
    script = learner.login(code, "2001", keycode).script_id
    term("sitting", "start", code, "--by", "Ian")
    learner.save_answer(script, "1", "an answer")
    term("sitting", "pause", code, "--reason", "fire alarm", "--by", "Ian")
    term("sitting", "resume", code, "--reason", "all clear", "--by", "Ian")
    term("sitting", "pause", code, "--candidate", "2001", "--reason", "unwell", "--by", "Ian")
    term("sitting", "resume", code, "--candidate", "2001", "--reason", "better", "--by", "Ian")
    out = term("sitting", "extend", code, "--candidate", "2002", "--minutes", "10", "--reason", "late bus",
               "--by", "Ian").stdout
    assert "1:25:00 in all" in out  # 60 min +25 % + 10 min

    table = term("sitting", "status", code, "--by", "Ian").stdout
    assert table.splitlines()[2].split()[:3] == ["Candidate", "Name", "State"]
    lines = {line.split()[0]: line for line in table.splitlines() if line[:4].isdigit()}
    assert "writing" in lines["2001"] and "1/3" in lines["2001"]
    assert "not logged in" in lines["2002"] and "+25% +10m" in lines["2002"]

    status = SittingStatus.model_validate_json(term("sitting", "status", code, "--json", "--by", "Ian").stdout)
    by_number = {c.candidate_number: c for c in status.candidates}
    assert by_number["2001"].allowed_seconds == 3600 and by_number["2001"].questions_answered == 1
    assert by_number["2003"].allowed_seconds == 5400  # +50 %
    assert by_number["2002"].extensions[0].reason == "late bus"

    term("sitting", "end", code, "--candidate", "2001", "--reason", "taken ill", "--by", "Ian")
    term("sitting", "end", code, "--reason", "evacuation", "--by", "Ian")
    final = SittingStatus.model_validate_json(term("sitting", "status", code, "--json", "--by", "Ian").stdout)
    assert final.state == "ended"
    assert {c.candidate_number: c.state.value for c in final.candidates} == {
        "2001": "ended by invigilator", "2002": "absent", "2003": "absent"}

    log = term("sitting", "log", code, "--by", "Ian").stdout.splitlines()
    actions = [line.split("  ")[2] for line in log]
    assert actions[:4] == ["sitting created", "candidate enrolled", "candidate enrolled", "candidate enrolled"]
    assert actions[-1] == "sitting ended" and "extension granted" in actions
    assert all("Ian" in line or "candidate 2001" in line for line in log)
    as_json = json.loads(term("sitting", "log", code, "--json", "--by", "Ian").stdout)
    assert [e["id"] for e in as_json] == sorted(e["id"] for e in as_json)


def test_sitting_create_prints_only_the_code_on_stdout_and_accepts_a_code_and_start_time(term):
    result = term("sitting", "create", "--qualification", "9999-01", "--unit", "101", "--code", "mon-am",
                  "--starts-at", "2026-03-02 09:30", "--by", "Ian", *term.papers_args())
    assert result.stdout == "MON-AM\n"
    assert "Learners type this code" in result.stderr
    status = SittingStatus.model_validate_json(term("sitting", "status", "MON-AM", "--json", "--by", "Ian").stdout)
    assert status.scheduled_start is not None and status.state == "scheduled"


def test_sitting_create_loads_the_paper_file_once_and_a_changed_file_becomes_a_new_version(term):
    first = term.create()
    term.create()
    conn = sqlite3.connect(term.db)
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 1
    term.mini.edit(term.mini.paper, "Describe a test.", "Describe a good test.")
    third = term.create()
    assert conn.execute("SELECT count(*) FROM papers").fetchone()[0] == 2
    paper_of = dict(conn.execute("SELECT code, paper_id FROM sittings"))
    assert paper_of[first] == 1 and paper_of[third] == 2
    conn.close()


def test_a_broken_paper_file_is_reported_and_no_sitting_is_made(term):
    term.mini.edit(term.mini.paper, "marks: 2", "marks: two")
    result = term("sitting", "create", "--qualification", "9999-01", "--unit", "101", "--by", "Ian",
                  *term.papers_args(), ok=False)
    assert result.exit_code == 1
    assert "cannot be used until its files are fixed" in result.stderr and "101.yaml" in result.stderr
    assert term.snapshot()["sittings"] == []


def test_an_unknown_paper_names_the_file_it_looked_for(term):
    result = term("sitting", "create", "--qualification", "9999-01", "--unit", "999", "--by", "Ian",
                  *term.papers_args(), ok=False)
    assert result.exit_code == 1 and "no paper for qualification 9999-01 unit 999" in result.stderr


def _open(path: Path):
    from marker_tui.storage.database import open_database

    return open_database(path)


def _submitted_sitting(term) -> str:
    code = term.create()
    term("sitting", "enrol", code, "2001", "2002", "--by", "Ian")
    term("sitting", "open", code, "--by", "Ian")
    out = term("sitting", "slips", code, "-o", "-", "--candidate", "2001", "--by", "Ian").stdout
    keycode = re.search(r"Keycode:\s+(\S+)", out).group(1)
    learner = LearnerService(_open(term.db))
    script = learner.login(code, "2001", keycode).script_id
    term("sitting", "start", code, "--by", "Ian")
    learner.submit(script)
    return code


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sitting", "status", "NOPE-1234", "--by", "Ian"], "There is no sitting with code NOPE-1234"),
        (["sitting", "enrol", "{code}", "9999", "--by", "Ian"], "Unknown candidate number: 9999"),
        (["sitting", "pause", "{code}", "--candidate", "2003", "--reason", "x", "--by", "Ian"],
         "Candidate 2003 is not enrolled"),
        (["sitting", "extend", "{code}", "--candidate", "2001", "--minutes", "5", "--reason", "x", "--by", "Ian"],
         "cannot be extended"),
        (["sitting", "extend", "{code}", "--candidate", "2002", "--minutes", "-5", "--reason", "x", "--by", "Ian"],
         "must be a positive number of minutes"),
        (["sitting", "extend", "{code}", "--candidate", "2002", "--minutes", "0", "--reason", "x", "--by", "Ian"],
         "must be a positive number of minutes"),
        (["sitting", "pause", "{code}", "--by", "Ian"], "A reason is required to pause"),
        (["sitting", "end", "{code}", "--by", "Ian"], "A reason is required to end"),
        (["sitting", "start", "{code}", "--by", "Ian"], "has been running since"),
        (["sitting", "pause", "{code}", "--reason", "x", "--by", "Nobody", "--pin-stdin"], "That name and PIN do not match"),
        (["sitting", "pause", "{code}", "--reason", "x", "--by", "Ada Admin", "--candidate", "2001"],
         "script is finished"),
        (["candidates", "import", str(CSV / "bad.csv"), "--by", "Ada Admin"], "nothing was imported"),
        (["staff", "add", "Mo", "--role", "marker", "--by", "Ian"], "needs the role admin"),
    ],
    ids=["unknown-code", "enrol-unknown", "not-enrolled", "extend-submitted", "negative-minutes", "zero-minutes",
         "pause-no-reason", "end-early-no-reason", "start-running", "unknown-staff", "pause-submitted",
         "bad-csv", "staff-by-non-admin"],
)
def test_errors_are_one_clear_message_exit_1_and_change_nothing(term, args, message):
    code = _submitted_sitting(term)
    before = term.snapshot()
    audit_before = term.audit_actions()
    result = term(*[a.replace("{code}", code) for a in args], input="2468\n", ok=False)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.output
    assert term.snapshot() == before
    added = term.audit_actions()[len(audit_before):]
    assert set(added) <= {"staff signed in", "wrong PIN", "staff refused"}, added


def test_starting_an_ended_sitting_is_refused_and_changes_nothing(term):
    code = term.create()
    term("sitting", "enrol", code, "2001", "--by", "Ian")
    term("sitting", "open", code, "--by", "Ian")
    term("sitting", "end", code, "--reason", "cancelled", "--by", "Ian")
    before = term.snapshot()
    result = term("sitting", "start", code, "--by", "Ian", ok=False)
    assert result.exit_code == 1 and "cannot be started again" in result.stderr
    assert term.snapshot() == before


@pytest.mark.parametrize(
    "args",
    [
        ["staff", "add", "Mo", "--role", "marker", "--pin", "1234", "--by", "Ada Admin"],
        ["staff", "add", "Mo", "1234", "--role", "marker", "--by", "Ada Admin"],
        ["sitting", "extend", "X", "--candidate", "1", "--minutes", "ten", "--reason", "x", "--by", "Ian"],
        ["sitting", "open", "X", "--candidate", "2001", "--by", "Ian"],
        ["sitting", "pause", "X", "--reason", "x"],
    ],
    ids=["pin-as-option", "pin-as-argument", "minutes-not-a-number", "open-one-candidate", "missing-by"],
)
def test_usage_mistakes_exit_2_and_change_nothing(term, args, monkeypatch):
    monkeypatch.delenv("MARKER_TUI_BY", raising=False)
    before = term.snapshot()
    result = term(*args, ok=False)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert term.snapshot() == before


def test_a_new_pin_from_stdin_comes_after_the_admins_own_and_is_never_shown(term):
    # (The hidden prompts at a real terminal are tested in test_cli_sign_in.py, in a pseudo-terminal.)
    result = term("staff", "add", "Mo Marker", "--role", "marker", "--role", "iqa", "--by", "Ada Admin",
                  input="97531\n")
    assert "97531" not in result.output and "Added Mo Marker (marker, iqa)" in result.stdout
    listing = term("staff", "list", "--by", "Mo Marker", "--pin-stdin", input="97531\n").stdout
    assert "Mo Marker" in listing and "marker, iqa" in listing


def test_by_can_come_from_the_environment(term, monkeypatch):
    monkeypatch.setenv("MARKER_TUI_BY", "Ian")
    code = term.create()
    term("sitting", "enrol", code, "--all", "--pin-stdin", input="5678\n")
    assert any(e["actor"] == "Ian" and e["action"] == "candidate enrolled"
               for e in json.loads(term("sitting", "log", code, "--json", "--pin-stdin", input="5678\n").stdout))


def test_reading_commands_never_create_a_database(tmp_path, mini):
    t = Terminal(tmp_path / "missing.db", mini)
    result = t("sitting", "status", "ABC-1234", ok=False)
    assert result.exit_code == 1 and "no marker-tui database" in result.stderr
    assert not (tmp_path / "missing.db").exists()


def test_candidates_commands(term):
    assert "2001" in term("candidates", "list", "--by", "Ian").stdout
    e8 = "Form 8 on file | Sam Senco | 2026-09-01"
    term("candidates", "add", "8001", "New Learner", "--extra-time", "25", "--arrangement", f"extra time | {e8}",
         "--by", "Ian")
    term("candidates", "edit", "8001", "--arrangement", f"extra time | {e8}", "--arrangement", f"reader | {e8}",
         "--by", "Ian")
    listed = {c["candidate_number"]: c for c in json.loads(term("candidates", "list", "--json", "--by", "Ian").stdout)}
    assert listed["8001"]["extra_time_percent"] == 25
    assert [a["kind"] for a in listed["8001"]["arrangements"]] == ["extra time", "reader"]
    shown = term("candidates", "show", "8001", "--by", "Ian").stdout
    assert "reader" in shown and "Form 8 on file, approved by Sam Senco on 2026-09-01" in shown
    # Above the centre's cap (25%) an invigilator is refused, with the fix; nothing changes.
    refused = term("candidates", "edit", "8001", "--extra-time", "40", "--by", "Ian", ok=False)
    assert refused.exit_code == 1 and "needs an administrator" in refused.stderr and "Traceback" not in refused.stderr
    again = term("candidates", "import", str(CSV / "good.csv"), "--by", "Ian").stdout
    assert "0 new, 0 changed, 5 unchanged" in again and "Nothing to change; nothing was written." in again


def test_candidates_show_says_absent_for_an_ended_sitting_the_learner_never_sat(term):
    code = term.create()
    term("sitting", "enrol", code, "2001", "--by", "Ian")
    term("sitting", "open", code, "--by", "Ian")
    before = term("candidates", "show", "2001", "--by", "Ian").stdout
    assert f"Sitting {code} (not started: follows changes):" in before
    term("sitting", "start", code, "--by", "Ian")
    term("sitting", "end", code, "--reason", "everyone present has finished", "--by", "Ian")
    shown = term("candidates", "show", "2001", "--by", "Ian").stdout
    assert f"Sitting {code} (absent: did not sit):" in shown and "not started" not in shown


def test_candidates_import_previews_then_asks_and_dry_run_writes_nothing(term, tmp_path):
    """Re-importing numbers and names only keeps extra time and arrangements; nothing written unasked."""
    names = tmp_path / "names.csv"
    names.write_text("candidate_number,name,access_arrangements\n"
                     "2002,Ben Jones,extra time | Form 8 on file | Sam Senco | 2026-09-01\n2003,Chloé Dubois,\n"
                     "2010,Nia Newcomer,\n", encoding="utf-8")
    before = term.snapshot()
    dry = term("candidates", "import", str(names), "--dry-run", "--by", "Ian").stdout
    assert "1 new, 1 changed, 1 unchanged." in dry
    assert "changed  2002 Ben Jones: access arrangements 'extra time | Form 8 on file | Sam Senco | 2026-09-01; " \
        "reader | Form 8 on file | Sam Senco | 2026-09-01' -> 'extra time | Form 8 on file | Sam Senco | " \
        "2026-09-01'" in dry
    assert "new      2010 Nia Newcomer" in dry and "Dry run: nothing was written." in dry
    declined = term("candidates", "import", str(names), "--by", "Ian", input="n\n").stdout
    assert "Import these changes? [y/N]" in declined and "Not imported; nothing was written." in declined
    assert term.snapshot() == before
    done = term("candidates", "import", str(names), "--by", "Ian", input="y\n").stdout
    assert "Imported" in done and "1 added, 1 updated, 1 unchanged." in done
    listed = {c["candidate_number"]: c for c in json.loads(term("candidates", "list", "--json", "--by", "Ian").stdout)}
    assert listed["2002"]["extra_time_percent"] == 25
    assert [a["kind"] for a in listed["2002"]["arrangements"]] == ["extra time"]
    assert listed["2003"]["extra_time_percent"] == 50
    assert [a["kind"] for a in listed["2003"]["arrangements"]] == [
        "extra time", "separate room", "supervised rest breaks"]
    assert listed["2010"]["extra_time_percent"] == 0


def test_control_characters_are_made_visible_in_terminal_output():
    # The CLI uses the one cleaner (domain/visible_text.py): pictures for controls, tab and newline kept.
    assert visible("a\x1b[2Jb\x00c\td") == "a\u241b[2Jb\u2400c\td"
    assert visible("line\nbreak stays, ünïcödé and 🙂 too") == "line\nbreak stays, ünïcödé and 🙂 too"


@pytest.mark.parametrize("args", [
    ["candidates", "import", str(CSV / "good.csv"), "--by", "Ada"],
    ["sitting", "create", "--qualification", "9999-01", "--unit", "101", "--by", "Ada"],
])
def test_only_adding_the_first_staff_member_creates_a_database(tmp_path, mini, args):
    t = Terminal(tmp_path / "new.db", mini)
    result = t(*args, ok=False)
    assert result.exit_code == 1 and "staff add NAME --role admin" in result.stderr
    assert not (tmp_path / "new.db").exists()


def test_slips_go_to_a_csv_or_txt_file_only_and_nothing_is_issued_otherwise(term):
    # "-o slips.docx" wrote plain text under a Word name (Word would not open it); "-o slipsdir/" wrote a
    # file called slipsdir. Neither issued codes anyone could hand out.
    code = term.create()
    term("sitting", "enrol", code, "2001", "--by", "Ian")
    before = term.snapshot()
    for name in ("slips.docx", "slipsdir/"):
        result = term("sitting", "slips", code, "-o", str(term.db.parent / name), "--by", "Ian", ok=False)
        assert result.exit_code == 1 and "FILE.csv" in result.output and "No keycodes were issued" in result.output
        assert not (term.db.parent / name.rstrip("/")).exists()
    assert term.snapshot() == before
