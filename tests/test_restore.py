"""Backup and restore as an admin's checked, audited action that cannot lose or forge history.

Real database files throughout; the crash test SIGKILLs a real process in the
middle of replacing the live database.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import entries, verify_log
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, build_room


def run(db: Path, *args: str, pin: str | None = PIN, by: str = ADMIN):
    sign = ["--by", by, "--pin-stdin"] if pin is not None else ["--by", by]
    return CliRunner().invoke(cli, ["--db", str(db), *args, *sign], input=f"{pin}\n" if pin else "")


def actions(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]


def answers(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT script_id, question_id, text, version FROM answers ORDER BY 1, 2").fetchall()


@pytest.fixture
def ended(tmp_path: Path):
    """A sitting that ran and ended, with 1001's answer saved: the database and its backup."""
    room = build_room(tmp_path / "centre.db")
    code = room.running_sitting(candidates=("1001", "1002"))
    room.learners.save_answer(room.script_id(code, "1001"), "1", "before the backup")
    room.sittings.end(code, by=INVIGILATOR, reason="done")
    room.db.close()
    result = run(room.path, "backup", str(tmp_path / "b.db"))
    assert result.exit_code == 0, result.output
    return room.path, tmp_path / "b.db"


def test_backup_needs_an_admin_pin_and_is_audited_with_its_checksum(ended, tmp_path):
    db, copy = ended
    entry = [e for e in entries(open_database(db)) if e.action == "database backed up"][-1]
    assert entry.actor == ADMIN
    assert entry.details["sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert entry.details["file"] == str(copy.resolve())
    with sqlite3.connect(copy) as conn:
        assert entry.details["audit_head_id"] == conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    for pin, by, says in ((None, ADMIN, "needs your PIN"), ("0000", ADMIN, "name and PIN do not match"),
                          (PIN, INVIGILATOR, "needs the role admin")):
        result = run(db, "backup", str(tmp_path / "x.db"), pin=pin, by=by)
        assert result.exit_code == 1 and says.lower() in result.output.lower(), result.output
        assert not (tmp_path / "x.db").exists()


def test_restore_needs_an_admin_pin(ended):
    db, copy = ended
    before = actions(db)
    for pin, by in ((None, ADMIN), (PIN, INVIGILATOR)):
        result = run(db, "restore", str(copy), "--yes", pin=pin, by=by)
        assert result.exit_code == 1
    assert actions(db)[:len(before)] == before and "database restored" not in actions(db)


def test_an_unforced_restore_s_entry_holds_the_keys_it_always_had(ended):
    db, copy = ended
    result = run(db, "restore", str(copy), "--yes")
    assert result.exit_code == 0, result.output
    last = entries(open_database(db))[-1]
    assert last.action == "database restored" and last.actor == ADMIN
    # Nothing forced past or lost: those keys appear only when there were any. The entries set
    # aside (the backup's own, written after the copy) are named.
    assert set(last.details) == {
        "from", "backup_sha256", "backup_schema_version", "backup_head_id", "backup_head_hash",
        "replaced_head_id", "replaced_head_hash", "safety_copy", "safety_sha256", "forced", "reason",
        "set_aside_ids"}
    assert last.details["from"] == str(copy.resolve()) and last.details["forced"] is False
    assert last.details["reason"] is None


def test_restore_refuses_while_a_sitting_is_open_unless_forced_with_a_reason(tmp_path):
    room = build_room(tmp_path / "centre.db")
    code = room.running_sitting(candidates=("1001",))
    room.db.close()
    assert run(room.path, "backup", str(tmp_path / "b.db")).exit_code == 0
    result = run(room.path, "restore", str(tmp_path / "b.db"), "--yes")
    assert result.exit_code == 1 and f"sitting {code} (running) is open or running" in result.output
    result = run(room.path, "restore", str(tmp_path / "b.db"), "--yes", "--force")
    assert result.exit_code == 1 and "--force needs --reason" in result.output
    result = run(room.path, "restore", str(tmp_path / "b.db"), "--yes", "--force", "--reason", "disk fault")
    assert result.exit_code == 0, result.output
    last = entries(open_database(room.path))[-1]
    assert last.action == "database restored" and last.actor == ADMIN
    assert last.details["forced"] is True and last.details["reason"] == "disk fault"


def test_saves_made_after_the_backup_are_never_dropped_silently(tmp_path):
    room = build_room(tmp_path / "centre.db")
    assert run(room.path, "backup", str(tmp_path / "b.db")).exit_code == 0
    before = answers(room.path)
    # After the backup, learner 1003 sits a paper: two saves confirmed, submitted.
    code = room.running_sitting(candidates=("1003",))
    script = room.script_id(code, "1003")
    room.learners.save_answer(script, "1", "saved after the backup")
    room.learners.save_answer(script, "2a", "this too")
    room.learners.submit(script)  # the last learner submitting ends the sitting
    room.db.close()
    saved = answers(room.path)
    result = run(room.path, "restore", str(tmp_path / "b.db"), "--yes")
    assert result.exit_code == 1
    assert ("2 saved answer(s) of 1 candidate(s) would be lost: "
            "1003 Chloé Dubois (2 saved answers and the submission)") in result.output
    assert answers(room.path) == saved != before
    result = run(room.path, "restore", str(tmp_path / "b.db"), "--yes", "--force", "--reason", "wrong paper loaded")
    assert result.exit_code == 0, result.output
    assert "Forced past: 2 saved answer(s)" in result.output
    assert answers(room.path) == before
    last = entries(open_database(room.path))[-1]
    assert last.details["lost answers"] == {"1003": 2}
    # The safety copy still has them, and its checksum is in the entry.
    assert answers(Path(last.details["safety_copy"])) == saved
    assert hashlib.sha256(Path(last.details["safety_copy"]).read_bytes()).hexdigest() == last.details["safety_sha256"]


def test_after_a_restore_the_log_verifies_ids_are_not_reused_and_stays_append_only(ended, tmp_path):
    db, copy = ended
    with sqlite3.connect(db) as conn:
        old = dict(conn.execute("SELECT id, chain_hash FROM audit_log").fetchall())
    anchor = tmp_path / "anchor"
    assert CliRunner().invoke(cli, ["--db", str(db), "audit", "verify", "--anchor", str(anchor)]).exit_code == 0
    result = run(db, "restore", str(copy), "--yes")
    assert result.exit_code == 0, result.output
    live = open_database(db)
    try:
        check = verify_log(live)
        assert check.ok, check.problem
        restored = entries(live)[-1]
        first, last = restored.details["set_aside_ids"]
        # Set aside: the backup's own record and the restore's sign-in, written after the copy was taken.
        assert restored.action == "database restored" and restored.id == last + 1 and last == max(old) + 1
        assert first == max(e.id for e in entries(live)[:-1]) + 1 <= max(old)
        # No id now names a different event than it did before the restore.
        for e in entries(live)[:-1]:
            assert old[e.id] == e.chain_hash
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            live.execute("DELETE FROM audit_log")
    finally:
        live.close()
    # The anchor taken before the restore is accounted for by the restore's entry.
    result = CliRunner().invoke(cli, ["--db", str(db), "audit", "verify", "--anchor", str(anchor)])
    assert result.exit_code == 0, result.output


def doctor(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


@pytest.mark.parametrize("statements, says", [
    (["DROP TRIGGER audit_log_no_delete"], "its trigger audit_log_no_delete is missing"),
    (["DROP TRIGGER audit_log_no_delete",
      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN 0 BEGIN SELECT 1; END"],
     "its trigger audit_log_no_delete is not the one marker-tui makes"),
    (["DROP TRIGGER audit_log_no_delete", "DELETE FROM audit_log WHERE id = 3",
      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log\n"
      "                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed or deleted'); END"],
     "its audit log is broken at entry #4"),
    (["DROP TRIGGER audit_log_no_update", "UPDATE audit_log SET details = '{}' WHERE id = 2"],
     "its trigger audit_log_no_update is missing"),
], ids=["trigger dropped", "trigger neutered", "rows deleted, trigger re-created", "row edited"])
def test_a_doctored_backup_is_refused_before_anything_is_replaced(ended, statements, says):
    db, copy = ended
    doctor(copy, *statements)
    before = answers(db), actions(db)
    result = run(db, "restore", str(copy), "--yes", "--force", "--reason", "try anyway")
    assert result.exit_code == 1 and says in result.output, result.output
    assert "Traceback" not in result.output
    assert (answers(db), actions(db)) == before
    assert not [p for p in db.parent.iterdir() if "before-restore" in p.name]


def test_a_backup_of_another_history_is_refused(ended, tmp_path):
    db, _copy = ended
    other = build_room(tmp_path / "other.db")
    other.running_sitting(candidates=("1001",))
    other.db.close()
    assert run(other.path, "backup", str(tmp_path / "other-b.db")).exit_code == 0
    result = run(db, "restore", str(tmp_path / "other-b.db"), "--yes")
    assert result.exit_code == 1 and "is not a copy of this database's history" in result.output
    # Without --yes it is refused before the admin is asked "Replace ...?" (it asked, then refused).
    before = answers(db)
    asked = run(db, "restore", str(tmp_path / "other-b.db"))
    assert asked.exit_code == 1 and "is not a copy of this database's history" in asked.output
    assert "Replace" not in asked.output and answers(db) == before


RESTORER = r"""
import sys
from marker_tui.services.audit import Actor
from marker_tui.services.backup import restore_backup

def progress(stage, done, total):
    if stage == "replacing" and done == 3:
        print("half way", flush=True)
        sys.stdin.readline()  # wait here until killed: the replacement is half done, not committed

restore_backup(sys.argv[1], sys.argv[2], by=Actor(label="Ada Admin"), force=True, reason="crash test",
               progress=progress)
print("done", flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_sigkill_in_the_middle_of_a_restore_leaves_the_old_database_whole(ended):
    db, copy = ended
    live = open_database(db)
    live.execute("INSERT INTO candidates (candidate_number, name, created_at, updated_at) "
                 "VALUES ('9999', 'Added Later', 'x', 'x')")
    live.close()
    before = (answers(db), actions(db))
    child = subprocess.Popen([sys.executable, "-c", RESTORER, str(copy), str(db)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "half way\n", child.stderr.read()
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT name FROM candidates WHERE candidate_number = '9999'").fetchone() == ("Added Later",)
    finally:
        conn.close()
    assert (answers(db), actions(db)) == before
    live = open_database(db)
    assert verify_log(live).ok
    live.close()
    # Run to the end: the new database, whole.
    done = subprocess.run([sys.executable, "-c", RESTORER.replace("done == 3", "False"), str(copy), str(db)],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == "done\n", done.stderr
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM candidates WHERE candidate_number = '9999'").fetchone() == (0,)
    finally:
        conn.close()
    assert actions(db)[-1] == "database restored"
    details = json.loads(sqlite3.connect(db).execute(
        "SELECT details FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert details["reason"] == "crash test"
