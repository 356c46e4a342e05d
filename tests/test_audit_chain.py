"""The tamper-evident audit log: every entry chained to the one before it, checked by `audit verify`.

Each tampering is done as an attacker with the database file would do it: plain
SQL on the real file (dropping the append-only trigger first, and re-creating it).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tui.domain.audit_chain import GENESIS, content_digest, link
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import entries, record, verify_log
from marker_tui.storage import migrations
from marker_tui.storage.database import open_database, run_write
from sitting_fixtures import INVIGILATOR, build_room


@pytest.fixture
def logged(tmp_path: Path) -> Path:
    """A real database with a sitting run, so its log has entries of every kind; closed."""
    room = build_room(tmp_path / "centre.db")
    room.running_sitting()
    room.db.close()
    return room.path


def verify(path: Path, *args: str):
    return CliRunner().invoke(cli, ["--db", str(path), "audit", "verify", *args])


def tamper(path: Path, *statements: str) -> None:
    """Edit the file as an attacker would: lift the append-only triggers, change rows, put them back."""
    conn = sqlite3.connect(path)
    try:
        saved = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        triggers = [r[0] for r in saved.fetchall()]
        for name in ("audit_log_no_update", "audit_log_no_delete", "audit_log_chained"):
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        for sql in statements:
            conn.execute(sql)
        for sql in triggers:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def test_an_untouched_log_verifies_and_prints_its_head(logged):
    result = verify(logged)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(logged) as conn:
        last_id, last_hash = conn.execute("SELECT id, chain_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert result.output.strip() == f"verified {count(logged)} entries; head #{last_id} {last_hash}"


def test_every_entry_links_to_the_one_before_by_id_and_content(logged):
    db = open_database(logged)
    try:
        previous = GENESIS
        for e in entries(db):
            assert e.previous_hash == previous
            assert e.content_digest == content_digest(*json.loads(e.hashed_content))
            assert e.chain_hash == link(previous, e.id, e.content_digest)
            previous = e.chain_hash
    finally:
        db.close()


@pytest.mark.parametrize("statements, broken_at, says", [
    (["UPDATE audit_log SET details = '{\"extra_minutes\": 90}' WHERE id = 4"], 4, "was changed after it was written"),
    (["UPDATE audit_log SET actor = 'someone else' WHERE id = 6"], 6, "was changed after it was written"),
    (["DELETE FROM audit_log WHERE id = 5"], 6, "entries #5 are missing"),
    # Reordering: two entries swap places (ids exchanged), each keeping its own hashes.
    (["UPDATE audit_log SET id = -1 WHERE id = 3", "UPDATE audit_log SET id = 3 WHERE id = 4",
      "UPDATE audit_log SET id = 4 WHERE id = -1"], 3, "does not follow entry #2"),
    # A forged entry slipped in with a fresh id, hashes copied from its neighbour.
    (["INSERT INTO audit_log (id, at, actor, action, details, content_digest, chain_hash) "
      "SELECT (SELECT max(id) + 1 FROM audit_log), at, actor, 'forged', details, content_digest, chain_hash "
      "FROM audit_log WHERE id = 2"], None, "(forged) was changed after it was written"),
], ids=["edited details", "edited actor", "deleted row", "reordered", "forged row"])
def test_tampering_is_reported_at_the_first_broken_entry(logged, statements, broken_at, says):
    assert verify(logged).exit_code == 0
    tamper(logged, *statements)
    result = verify(logged)
    assert result.exit_code == 1
    at = f"#{broken_at}" if broken_at else f"#{count(logged)}"
    assert f"audit log broken at entry {at}:" in result.output and says in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_entries_cut_off_the_end_are_reported_from_the_id_counter(logged):
    last = count(logged)
    tamper(logged, f"DELETE FROM audit_log WHERE id > {last - 2}")
    result = verify(logged)
    assert result.exit_code == 1
    assert f"entries after #{last - 2} were removed (ids up to #{last} were given out)" in result.output


def test_an_anchor_outside_the_database_catches_a_whole_rewrite_and_a_rewind(logged, tmp_path):
    anchor = tmp_path / "anchor"
    assert verify(logged, "--anchor", str(anchor)).exit_code == 0
    assert anchor.read_text().startswith(f"marker-tui audit head #{count(logged)} ")
    # More entries: the anchor moves on with the log.
    db = open_database(logged)
    run_write(db, lambda d: record(d, at=datetime.now(timezone.utc), actor="system", action="incident"))
    db.close()
    assert verify(logged, "--anchor", str(anchor)).exit_code == 0
    head = anchor.read_text()

    # The attacker rewrites one entry and re-seals the whole chain from entry 1 (the chain alone is fooled)...
    conn = sqlite3.connect(logged)
    rows = conn.execute("SELECT id, at, actor, action, sitting_id, script_id, candidate_number, details "
                        "FROM audit_log ORDER BY id").fetchall()
    statements, previous = [], GENESIS
    for r in rows:
        fields = list(r[1:])
        if r[0] == 3:
            fields[1] = "Mallory"
        digest = content_digest(*fields)
        previous = link(previous, r[0], digest)
        statements.append(f"UPDATE audit_log SET actor = '{fields[1]}', content_digest = '{digest}', "
                          f"chain_hash = '{previous}' WHERE id = {r[0]}")
    conn.close()
    tamper(logged, *statements)
    assert verify(logged).exit_code == 0
    # ...but not the anchor, which is left as it was.
    result = verify(logged, "--anchor", str(anchor))
    assert result.exit_code == 1 and "is not the one the anchor saw" in result.output
    assert anchor.read_text() == head


def test_the_database_refuses_unchained_or_reused_ids(logged):
    conn = sqlite3.connect(logged)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="appended with their chain hash"):
            conn.execute("INSERT INTO audit_log (at, actor, action) VALUES ('x', 'y', 'z')")
        with pytest.raises(sqlite3.IntegrityError, match="appended with their chain hash"):
            conn.execute("INSERT INTO audit_log (id, at, actor, action, content_digest, chain_hash) "
                         f"VALUES (-5, 'x', 'y', 'z', '{'a' * 64}', '{'b' * 64}')")
        for sql in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_a_database_from_before_the_chain_is_chained_on_upgrade(tmp_path, monkeypatch):
    chain_at = migrations.AUDIT_CHAIN_VERSION
    # Today's code builds the room: its candidates need m0010's arrangements columns, taken away again below.
    last_before_chain = migrations.MIGRATIONS[chain_at - 2]

    def last_slot_and_arrangements(db) -> None:
        last_before_chain(db)
        migrations.m0010_arrangements(db)

    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:chain_at - 2] + [last_slot_and_arrangements])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", chain_at - 1)
    room = build_room(tmp_path / "old.db")
    # A sitting opened and started (no learner logs in: admission keycodes came later, migration 7).
    code = room.new_sitting()
    room.sittings.enrol(code, ["1001", "1002"], by=INVIGILATOR)
    room.sittings.open(code, by=INVIGILATOR)
    room.sittings.start(code, by=INVIGILATOR)
    for table in ("candidates", "scripts"):
        room.db.conn.execute(f"ALTER TABLE {table} DROP COLUMN arrangements")
    room.db.close()
    before = count(room.path)
    monkeypatch.undo()
    db = open_database(room.path)
    try:
        found = verify_log(db)
        assert found.ok, found.problem
        assert found.entries == before + 1
        last = entries(db)[-1]
        assert last.action == "audit log chained" and last.details == {"entries chained at upgrade": before}
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("UPDATE audit_log SET actor = 'x' WHERE id = 1")
    finally:
        db.close()


def test_a_forged_erasure_is_named_when_the_log_is_verified_against_its_anchor(logged, tmp_path):
    """An erasure overwrites earlier entries on purpose, so their content is not checked. Someone with the
    file could rewrite an old entry and append an "erasure" naming it, and `verify --anchor` passed without a
    word. It still cannot tell a forged erasure from a real one (the chain has no key), but it now names every
    entry an erasure overwrote since the anchor, by whom and when, for a person to confirm."""
    anchor = tmp_path / "anchor"
    first = verify(logged, "--anchor", str(anchor))
    assert first.exit_code == 0 and "overwritten" not in first.output
    with sqlite3.connect(logged) as conn:
        head_id, head_hash = conn.execute("SELECT id, chain_hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    forged_id, at = head_id + 1, "2026-03-02T10:00:00.000000+00:00"
    details = json.dumps({"erased_entries": [2], "reason": "routine"})
    digest = content_digest(at, "Ada Admin", "learner data erased", None, None, "X9Q", details)
    tamper(logged,
           "UPDATE audit_log SET actor = 'Mallory', details = '{\"rewritten\": true}' WHERE id = 2",
           "INSERT INTO audit_log (id, at, actor, action, sitting_id, script_id, candidate_number, details, "
           f"content_digest, chain_hash) VALUES ({forged_id}, '{at}', 'Ada Admin', 'learner data erased', NULL, "
           f"NULL, 'X9Q', '{details}', '{digest}', '{link(head_hash, forged_id, digest)}')",
           f"UPDATE sqlite_sequence SET seq = {forged_id} WHERE name = 'audit_log'")
    result = verify(logged, "--anchor", str(anchor))
    assert f"since the anchor: entry #2 overwritten by the learner-data erasure #{forged_id} (Ada Admin" in result.output
    # Said once: the next verify against the moved anchor has nothing new to name.
    assert "overwritten" not in verify(logged, "--anchor", str(anchor)).output


def test_entries_cut_off_the_end_count_every_entry_left_as_verified(logged):
    last = count(logged)
    tamper(logged, f"DELETE FROM audit_log WHERE id = {last}")
    result = verify(logged)
    assert result.exit_code == 1 and f"verified {last - 1} entries before it" in result.output, result.output
