"""The database file: safe settings, versioned schema, append-only audit, lock handling."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from marker_tui.storage import database as database_module
from marker_tui.storage import migrations
from marker_tui.storage.database import (
    DatabaseBusy,
    DatabaseMissing,
    DatabaseTooNew,
    NotADatabase,
    open_database,
    run_write,
    write_transaction,
)
from sitting_fixtures import room  # noqa: F401


def test_a_new_database_is_created_with_safe_settings(tmp_path: Path):
    path = tmp_path / "deep" / "folder" / "marker.db"
    db = open_database(path)
    pragma = lambda name: db.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert path.exists()
    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL: a returned commit survives a crash
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") > 0
    assert pragma("user_version") == migrations.SCHEMA_VERSION == len(migrations.MIGRATIONS)
    assert {"staff", "candidates", "papers", "sittings", "scripts", "answers", "answer_versions", "pauses",
            "extensions", "audit_log"} <= set(db.table_names())
    db.close()


def test_reopening_does_not_migrate_again(tmp_path: Path):
    path = tmp_path / "m.db"
    open_database(path).close()
    db = open_database(path)
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == migrations.SCHEMA_VERSION
    db.close()


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "newer.db"
    open_database(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(DatabaseTooNew) as error:
        open_database(path)
    message = str(error.value)
    assert str(path) in message and "99" in message and f"up to {migrations.SCHEMA_VERSION}" in message
    assert "newer marker-tui" in message
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 99
    raw.close()
    assert path.read_bytes()[:100] == before[:100]  # header untouched


def test_a_file_that_is_not_a_database_gets_a_clear_message(tmp_path: Path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(NotADatabase, match="not a marker-tui database"):
        open_database(path)


def test_opening_without_create_does_not_make_a_file(tmp_path: Path):
    path = tmp_path / "missing.db"
    with pytest.raises(DatabaseMissing, match="no marker-tui database"):
        open_database(path, create=False)
    assert not path.exists()


def test_appending_a_migration_upgrades_an_existing_database_and_keeps_its_data(tmp_path, monkeypatch, room):
    code = room.running_sitting(candidates=("1001",))
    room.db.close()

    def m0002_example(db):
        db.execute("CREATE TABLE example_marks (script_id INTEGER REFERENCES scripts(id), mark INTEGER)")

    shipped = len(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m0002_example])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", shipped + 1)
    upgraded = room.reopen()
    assert upgraded.db.conn.execute("PRAGMA user_version").fetchone()[0] == shipped + 1
    assert "example_marks" in upgraded.db.table_names()
    assert upgraded.sittings.summary(code).code == code
    names = [r[0] for r in upgraded.db.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names[0] == "m0001_sittings" and names[-1] == "m0002_example" and len(names) == shipped + 1


def test_a_failing_migration_leaves_the_database_at_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "m.db"
    open_database(path).close()

    def m0002_broken(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    shipped = len(migrations.MIGRATIONS)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m0002_broken])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", shipped + 1)
    with pytest.raises(RuntimeError):
        open_database(path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == shipped
    assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    raw.close()


def test_two_programs_creating_the_same_database_at_once_both_succeed(tmp_path: Path):
    path = tmp_path / "race.db"
    results: list[object] = []

    def opener():
        try:
            db = open_database(path)
            results.append(db.conn.execute("PRAGMA user_version").fetchone()[0])
            db.close()
        except Exception as error:  # pragma: no cover - the failure we are checking for
            results.append(error)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [migrations.SCHEMA_VERSION] * 4


def test_the_audit_log_and_answer_history_are_append_only(room):
    code = room.running_sitting()
    room.learners.save_answer(room.script_id(code, "1001"), "1", "an answer")
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                "UPDATE answer_versions SET text = 'x'", "DELETE FROM answer_versions"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            room.db.execute(sql)
    assert room.db.execute("SELECT count(*) FROM audit_log WHERE actor = 'someone else'").fetchone()[0] == 0


def test_foreign_keys_are_enforced(room):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        room.db.execute("INSERT INTO extensions (script_id, minutes, reason, granted_by, granted_at)"
                        " VALUES (999, 5, 'x', 1, 'now')")


def test_a_failed_write_leaves_nothing_behind(room):
    before = room.db.execute("SELECT count(*) FROM candidates").fetchone()[0]
    with pytest.raises(RuntimeError):
        with write_transaction(room.db):
            room.db.execute("INSERT INTO candidates (candidate_number, name, created_at, updated_at)"
                            " VALUES ('X1', 'x', 'now', 'now')")
            raise RuntimeError("something went wrong half way")
    assert room.db.execute("SELECT count(*) FROM candidates").fetchone()[0] == before


def test_a_writer_waits_for_another_programs_lock_instead_of_failing(tmp_path: Path):
    path = tmp_path / "locked.db"
    mine = open_database(path)
    other = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        run_write(mine, lambda db: db.execute(
            "INSERT INTO candidates (candidate_number, name, created_at, updated_at) VALUES ('L1', 'x', 'a', 'a')"))
    finally:
        release.join()
        other.close()
    assert mine.execute("SELECT count(*) FROM candidates").fetchone()[0] == 1
    mine.close()


def test_a_lock_that_never_goes_away_gives_a_clear_message_and_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(database_module, "LOCK_GIVE_UP_SECONDS", 0.2)
    path = tmp_path / "stuck.db"
    mine = open_database(path)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy, match="stayed locked by another program.*nothing was changed"):
            run_write(mine, lambda db: db.execute(
                "INSERT INTO candidates (candidate_number, name, created_at, updated_at)"
                " VALUES ('L1', 'x', 'a', 'a')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert mine.execute("SELECT count(*) FROM candidates").fetchone()[0] == 0
    mine.close()
