"""``marker-tui export ...`` end to end: a real database file, the real command, every output read back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from cli_signing import signed
from marker_tui.interfaces.cli.main import cli
from sitting_fixtures import PIN
from test_export_service import (
    ADMIN,
    ANA,
    IVY,
    CENTRE_NAME,
    INVIGILATOR,
    QUESTIONS,
    build_export_room,
    docx_text,
    files_under,
    read_csv,
    secret_pieces,
)


class Shell:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.papers = tmp_path / "papers"
        built = build_export_room(tmp_path / "centre.db", self.papers)
        self.code = built.code
        self.marks = built.db_marks()
        sitting_id = built.db.execute("SELECT id FROM sittings WHERE code = ?", [self.code]).fetchone()[0]
        self.sitting_id = sitting_id
        built.db.close()
        self.db = tmp_path / "centre.db"
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True, env: dict | None = None, input: str | None = None):
        args, stdin = signed(args, input, PIN)
        result = self.runner.invoke(
            cli, ["--db", str(self.db), "export", *args, "--papers-dir", str(self.papers)], input=stdin,
            catch_exceptions=False, env={"MARKER_TUI_CENTRE_NAME": CENTRE_NAME, **(env or {})})
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def audit(self, action: str | None = None) -> list[tuple]:
        conn = sqlite3.connect(self.db)
        try:
            rows = conn.execute("SELECT id, actor, action, details FROM audit_log WHERE sitting_id = ? ORDER BY id",
                                [self.sitting_id]).fetchall()
        finally:
            conn.close()
        return [r for r in rows if action is None or r[2] == action]


@pytest.fixture
def sh(tmp_path: Path) -> Shell:
    return Shell(tmp_path)


def test_export_is_a_listed_command():
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0
    for name in ("results", "feedback", "iqa", "audit"):
        assert name in result.output


def test_results_xlsx_and_csv_from_the_command_line(sh, tmp_path):
    out = sh("results", sh.code, "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"), "--allow-incomplete",
             "--by", IVY)
    assert f"Results and mark sheet (Excel) written to {(tmp_path / 'r.xlsx').resolve()}" in out.output
    assert "Warning: exported although not finished:" in out.output
    assert "1 script not marked: candidate 1003" in out.output
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Results"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    for number, marks in sh.marks.items():
        for q, _, maximum in QUESTIONS:
            if q in marks:
                assert rows[number][f"Q{q} ({maximum})"] == marks[q]
    assert rows["1003"]["Total (10)"] == "not marked"
    sh("results", sh.code, "-o", str(tmp_path / "r.csv"), "--allow-incomplete", "--by", ADMIN)
    csv_rows = read_csv(tmp_path / "r.csv")
    assert len(csv_rows) == 6
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    for piece in secret_pieces():
        assert piece not in text
    assert [r[1] for r in sh.audit("results exported")] == [IVY, ADMIN]


def test_incomplete_marking_exits_1_lists_what_is_missing_and_writes_nothing(sh, tmp_path):
    before = sh.audit()
    result = sh("results", sh.code, "-o", str(tmp_path / "out" / "r.xlsx"), "--by", ADMIN, ok=False)
    assert result.exit_code == 1
    assert "Sitting EXP-1 is not finished, so the results would be incomplete:" in result.output
    assert "  - 1 script not marked: candidate 1003" in result.output
    assert "  - candidate 1004: partly marked (no mark for questions 2a, 2b)" in result.output
    assert "--allow-incomplete" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() and sh.audit() == before


@pytest.mark.parametrize("args", [
    ("results", "NOPE-1", "-o", "{out}/r.csv"),
    ("feedback", "NOPE-1", "-o", "{out}/fb"),
    ("iqa", "NOPE-1", "-o", "{out}/i.docx"),
    ("audit", "NOPE-1", "-o", "{out}/a.csv"),
])
def test_an_unknown_sitting_is_refused_by_every_export_and_nothing_is_written(sh, tmp_path, args):
    out = tmp_path / "out"
    extra = [] if args[0] == "audit" else ["--allow-incomplete"]
    result = sh(*(a.format(out=out) for a in args), *extra, "--by", ADMIN, ok=False)
    assert result.exit_code == 1
    assert "There is no sitting with code NOPE-1: nothing was exported or written." in result.output
    assert not out.exists()


def test_feedback_for_one_candidate_and_for_everyone(sh, tmp_path):
    result = sh("feedback", sh.code, "-o", str(tmp_path / "one"), "--candidate", "1001", "--by", ADMIN)
    [path] = files_under(tmp_path / "one")
    assert path.name == "1001_unit-101_feedback.docx" and path.name in result.output
    text = docx_text(path)
    assert "Good 👍 مرحبا بالعالم" in text and "\x00" not in text and "\x1b" not in text
    assert CENTRE_NAME in text
    assert "Your answer: Trailing cables" in text  # the learner's own answers, by default
    sh("feedback", sh.code, "-o", str(tmp_path / "plain"), "--candidate", "1001", "--no-answers", "--by", ADMIN)
    assert "Trailing cables" not in docx_text(tmp_path / "plain" / path.name)
    refused = sh("feedback", sh.code, "-o", str(tmp_path / "all"), "--by", ADMIN, ok=False)
    assert refused.exit_code == 1 and not (tmp_path / "all").exists()
    result = sh("feedback", sh.code, "-o", str(tmp_path / "all"), "--by", ADMIN, "--allow-incomplete")
    assert [p.name for p in files_under(tmp_path / "all")] == ["1001_unit-101_feedback.docx",
                                                              "1002_unit-101_feedback.docx"]
    assert "2 feedback document(s) written to" in result.output
    assert "candidate 1003: not fully marked (no mark for 3 of 3 questions)" in result.output
    assert "candidate 1005: absent" in result.output
    doc = docx.Document(str(tmp_path / "all" / "1002_unit-101_feedback.docx"))
    assert doc.tables[1].rows[2].cells[1].text == str(sh.marks["1002"]["2b"])


def test_audit_csv_from_the_command_line_is_the_audit_log_oldest_first(sh, tmp_path):
    expected = sh.audit()
    sh("audit", sh.code, "-o", str(tmp_path / "audit.csv"), "--by", INVIGILATOR)
    rows = read_csv(tmp_path / "audit.csv")[1:]
    assert [(int(r[0]), r[2], r[3]) for r in rows] == [(e[0], e[1], e[2]) for e in expected]
    assert sh.audit()[-1][2] == "audit trail exported"


def test_iqa_record_docx_and_csv_from_the_command_line(sh, tmp_path):
    refused = sh("iqa", sh.code, "-o", str(tmp_path / "i.docx"), "--by", IVY, ok=False)
    assert refused.exit_code == 1 and "is not signed off yet" in refused.output
    assert not (tmp_path / "i.docx").exists()
    result = sh("iqa", sh.code, "-o", str(tmp_path / "i.docx"), "--by", IVY, "--allow-incomplete")
    assert f"IQA record (Word) written to {(tmp_path / 'i.docx').resolve()}" in result.output
    text = docx_text(tmp_path / "i.docx")
    assert "Internal quality assurance record" in text and "Decision: Marks adjusted." in text
    assert "Not yet signed off." in text
    sh("iqa", sh.code, "--format", "csv", "-o", str(tmp_path / "i.csv"), "--by", IVY, "--allow-incomplete",
       "--reviewer", IVY)
    header, *rows = read_csv(tmp_path / "i.csv")
    assert header[0] == "Section" and {r[0] for r in rows} == {"plan", "review"}
    assert [r[1] for r in sh.audit("IQA record exported")] == [IVY, IVY]
    unknown = sh("iqa", sh.code, "-o", str(tmp_path / "x.docx"), "--by", IVY, "--allow-incomplete",
                 "--reviewer", "Nobody", ok=False)
    assert unknown.exit_code == 1 and "Nobody has no current IQA sampling plan" in unknown.output


def test_by_is_required_and_must_be_a_staff_member(sh, tmp_path):
    missing = sh("audit", sh.code, "-o", str(tmp_path / "a.csv"), ok=False)
    assert missing.exit_code == 2 and "--by" in missing.output
    unknown = sh("audit", sh.code, "-o", str(tmp_path / "a.csv"), "--by", "Nobody", ok=False)
    # The same words as a wrong PIN: the command line does not tell who is on the staff.
    assert unknown.exit_code == 1 and "That name and PIN do not match" in unknown.output
    assert not (tmp_path / "a.csv").exists()
    from_env = sh("audit", sh.code, "-o", str(tmp_path / "a.csv"), "--pin-stdin", input=f"{PIN}\n",
                  env={"MARKER_TUI_BY": INVIGILATOR})
    assert from_env.exit_code == 0 and (tmp_path / "a.csv").exists()


def test_without_o_files_go_to_the_default_export_folder(sh, tmp_path):
    result = sh("results", sh.code, "--allow-incomplete", "--by", ADMIN, env={"MARKER_TUI_EXPORTS": str(tmp_path / "ex")})
    assert (tmp_path / "ex" / "EXP-1" / "EXP-1-results.xlsx").exists()
    assert str(tmp_path / "ex" / "EXP-1" / "EXP-1-results.xlsx") in result.output


def test_a_format_that_disagrees_with_the_file_name_is_refused(sh, tmp_path):
    result = sh("results", sh.code, "--format", "csv", "-o", str(tmp_path / "r.xlsx"), "--allow-incomplete",
                "--by", ADMIN, ok=False)
    assert result.exit_code == 1 and "ends .xlsx but the format asked for is csv" in result.output
    assert not (tmp_path / "r.xlsx").exists()


def test_a_missing_database_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "export", "audit", "X", "--by", ANA])
    assert result.exit_code == 1 and "There is no marker-tui database" in result.output


def test_the_centre_name_is_shown_and_set_from_the_command_line(sh, tmp_path):
    runner = CliRunner()

    def run(*args):
        args, stdin = signed(args, None, PIN)
        return runner.invoke(cli, ["--db", str(sh.db), "export", "centre-name", *args], input=stdin,
                             catch_exceptions=False, env={"MARKER_TUI_CENTRE_NAME": ""})

    assert run().output.strip() == "Training centre"
    refused = run("Glanmor College", "--by", ANA)
    assert refused.exit_code == 1 and "needs the role admin" in refused.output
    assert run("Glanmor College").exit_code == 2
    done = run("Glanmor College", "--by", ADMIN)
    assert done.exit_code == 0 and done.output.strip() == "Centre name set: Glanmor College"
    assert run().output.strip() == "Glanmor College"
    sh("feedback", sh.code, "-o", str(tmp_path / "fb"), "--candidate", "1001", "--by", ADMIN,
       env={"MARKER_TUI_CENTRE_NAME": ""})
    assert "Glanmor College" in docx_text(tmp_path / "fb" / "1001_unit-101_feedback.docx")


def test_the_centre_number_is_shown_set_and_printed_on_feedback(sh, tmp_path):
    runner = CliRunner()

    def run(*args):
        args, stdin = signed(args, None, PIN)
        return runner.invoke(cli, ["--db", str(sh.db), "export", "centre-number", *args], input=stdin,
                             catch_exceptions=False)

    assert "not set" in run().output
    refused = run("123456A", "--by", ANA)
    assert refused.exit_code == 1 and "needs the role admin" in refused.output
    # One rule with first-run set-up (domain/centre_identity.py): 5-8 digits, an optional letter suffix.
    for bad, message in [("12", "is not a centre number"), ("ABC-12", "is not a centre number"),
                         ("12\x1b[2J34", "is not a centre number"), (" ", "Type the centre number")]:
        result = run(bad, "--by", ADMIN)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert "not set" in run().output  # nothing was stored by the refusals
    done = run("123456a", "--by", ADMIN)
    assert done.exit_code == 0 and done.output.strip() == "Centre number set: 123456A"
    assert run().output.strip() == "123456A"
    sh("feedback", sh.code, "-o", str(tmp_path / "fb"), "--candidate", "1001", "--by", ADMIN)
    assert "123456A" in docx_text(tmp_path / "fb" / "1001_unit-101_feedback.docx")
    conn = sqlite3.connect(sh.db)
    try:
        (details,) = conn.execute("SELECT details FROM audit_log WHERE action = 'centre number changed'").fetchone()
    finally:
        conn.close()
    assert json.loads(details) == {"old": None, "new": "123456A"}


def test_everything_for_a_sitting_in_one_folder_or_nothing(sh, tmp_path):
    out = tmp_path / "all"
    refused = sh("all", sh.code, "-o", str(out), "--by", IVY, ok=False)
    assert refused.exit_code == 1 and "is not finished" in refused.output and not out.exists()
    result = sh("all", sh.code, "-o", str(out), "--allow-incomplete", "--by", IVY)
    names = sorted(str(p.relative_to(out)) for p in files_under(out))
    stem = sh.code
    assert names == sorted([f"{stem}-audit.csv", f"{stem}-iqa-record.csv", f"{stem}-iqa-record.docx",
                            f"{stem}-results.csv", f"{stem}-results.xlsx",
                            "feedback/1001_unit-101_feedback.docx", "feedback/1002_unit-101_feedback.docx"])
    assert "2 feedback document(s) written" in result.output and "Audit trail (CSV) written to" in result.output
    assert openpyxl.load_workbook(out / f"{stem}-results.xlsx").sheetnames == ["Results", "Summary"]
    assert "Your answer" in docx_text(out / "feedback" / "1001_unit-101_feedback.docx")
    db = sqlite3.connect(sh.db)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE '%exported' ORDER BY id")]
    db.close()
    assert actions == ["results exported", "results exported", "feedback exported", "IQA record exported",
                       "IQA record exported", "audit trail exported"]
