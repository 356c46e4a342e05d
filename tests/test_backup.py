"""`marker-tui backup` and `restore`: a consistent copy, and a restore that can be undone."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from marker_tui.interfaces.cli.main import cli
from marker_tui.services.centre import Centre


def add_admin(db_path, name="Ada Admin", pin="2468", by=None):
    args = ["--db", str(db_path), "staff", "add", name, "--role", "admin", "--pin-stdin"]
    # Adding a second admin needs the first one's PIN (2468) before the new PIN.
    result = CliRunner().invoke(cli, args + (["--by", by] if by else []),
                                input=(f"2468\n{pin}\n" if by else f"{pin}\n"))
    assert result.exit_code == 0, result.output


ADA = ["--by", "Ada Admin", "--pin-stdin"]


def staff_names(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM staff ORDER BY name")]
    finally:
        conn.close()


def test_backup_writes_a_self_contained_copy(tmp_path):
    db, copy = tmp_path / "centre.db", tmp_path / "backups" / "monday.db"
    add_admin(db)
    result = CliRunner().invoke(cli, ["--db", str(db), "backup", str(copy), *ADA], input="2468\n")
    assert result.exit_code == 0, result.output
    assert f"Backed up {db} to {copy}" in result.output
    assert not (tmp_path / "backups" / "monday.db-wal").exists()
    assert staff_names(copy) == ["Ada Admin"]
    assert copy.stat().st_mode & 0o077 == 0  # a copy of every answer: its owner's only


def test_backup_refuses_to_overwrite_and_needs_an_existing_database(tmp_path):
    db, copy = tmp_path / "centre.db", tmp_path / "copy.db"
    add_admin(db)
    copy.write_text("precious")
    result = CliRunner().invoke(cli, ["--db", str(db), "backup", str(copy), *ADA], input="2468\n")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert copy.read_text() == "precious"

    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "x.db"), *ADA],
                                input="2468\n")
    assert result.exit_code == 1
    assert "There is no marker-tui database" in result.output


def test_restore_brings_back_the_backup_and_keeps_a_safety_copy(tmp_path):
    db, copy = tmp_path / "centre.db", tmp_path / "monday.db"
    add_admin(db)
    CliRunner().invoke(cli, ["--db", str(db), "backup", str(copy), *ADA], input="2468\n")
    add_admin(db, "Late Larry", by="Ada Admin")
    assert staff_names(db) == ["Ada Admin", "Late Larry"]

    result = CliRunner().invoke(cli, ["--db", str(db), "restore", str(copy), "--yes", *ADA], input="2468\n")
    assert result.exit_code == 0, result.output
    assert staff_names(db) == ["Ada Admin"]
    safety = [p for p in tmp_path.iterdir() if ".before-restore-" in p.name and p.suffix == ".db"]
    assert len(safety) == 1 and staff_names(safety[0]) == ["Ada Admin", "Late Larry"]
    # The restore itself is in the (restored) audit log.
    centre = Centre.open(db)
    actions = [row["action"] for row in centre.db.query("SELECT action FROM audit_log")]
    assert actions[-1] == "database restored"


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    db, junk = tmp_path / "centre.db", tmp_path / "junk.db"
    add_admin(db)
    junk.write_text("not a database at all, just text" * 10)
    result = CliRunner().invoke(cli, ["--db", str(db), "restore", str(junk), "--yes", *ADA], input="2468\n")
    assert result.exit_code == 1
    assert "is not a marker-tui backup" in result.output
    assert staff_names(db) == ["Ada Admin"]
