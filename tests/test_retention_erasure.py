"""Retention and erasure: a learner's personal data goes, their results stay as statistics,
and the audit chain still checks end to end."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from marker_tui.domain.clock import FakeClock
from marker_tui.domain.retention import retention_status, years_later
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import ServiceError, entries, verify_log
from marker_tui.services.centre import Centre
from marker_tui.services.demo import build_demo

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=4 * 366)


def test_the_period_runs_from_the_last_sitting_of_each_qualification():
    ended = datetime(2026, 3, 9, tzinfo=timezone.utc)
    status = retention_status(candidate_number="1", name="A", created_at=ended, periods={"Q2": 5},
                              sittings=[("Q1", "S1", ended), ("Q2", "S2", ended - timedelta(days=30))],
                              now=ended + timedelta(days=3 * 366))
    assert status.due_at == years_later(ended - timedelta(days=30), 5) and not status.due
    blocked = retention_status(candidate_number="1", name="A", created_at=ended, periods={},
                               sittings=[("Q1", "S1", None)], now=LATER + timedelta(days=9999))
    assert blocked.blocked == "sitting S1 is not over" and not blocked.due
    never = retention_status(candidate_number="1", name="A", created_at=ended, periods={}, sittings=[], now=LATER)
    assert never.due and never.due_at == years_later(ended, 3)
    assert years_later(datetime(2024, 2, 29, tzinfo=timezone.utc), 1).day == 28


@pytest.fixture
def centre(tmp_path):
    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    opened = Centre.open(path, clock=FakeClock(NOW), create=False)
    opened.sittings.end("304-DEMO", by="Iris Invigilator", reason="the demo sitting is over")
    opened.close()
    later = Centre.open(path, clock=FakeClock(LATER), create=False)
    yield later
    later.close()


def _learner(centre) -> tuple[str, str, int]:
    """A learner of the marked 305 sitting with answers, marks, comments and arrangements."""
    [(number, name, cid)] = centre.db.execute(
        "SELECT c.candidate_number, c.name, c.id FROM candidates c JOIN scripts s ON s.candidate_id = c.id "
        "JOIN marks m ON m.script_id = s.id WHERE m.comment <> '' AND c.access_arrangements <> '' "
        "GROUP BY c.id ORDER BY c.id LIMIT 1").fetchall()
    return number, name, cid


def _everything(path) -> list[tuple[str, str, str]]:
    """Every text value in every table: (table, column, value)."""
    found = []
    with sqlite3.connect(path) as conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                found += [(table, c, v) for c, v in zip(columns, row) if isinstance(v, str)]
    return found


def test_erasure_leaves_no_personal_data_in_any_table_and_keeps_the_results(centre):
    number, name, cid = _learner(centre)
    [(answers_before,)] = centre.db.execute(
        "SELECT count(*) FROM answers a JOIN scripts s ON s.id = a.script_id WHERE s.candidate_id = ? "
        "AND a.text <> ''", [cid]).fetchall()
    marks_before = centre.db.execute(
        "SELECT s.id, m.question_id, m.marks_awarded FROM marks m JOIN scripts s ON s.id = m.script_id "
        "WHERE s.candidate_id = ? ORDER BY 1, 2", [cid]).fetchall()
    assert answers_before and marks_before
    report = centre.retention.erase(number, reason="retention period over", by="Ada Admin")
    naming = re.compile(rf"(?<![\w-]){re.escape(number)}(?![\w-])|{re.escape(name)}", re.IGNORECASE)
    leaks = [(t, c) for t, c, v in _everything(centre.path) if naming.search(v)]
    assert leaks == []
    # Results stay as statistics, under the pseudonym.
    assert centre.db.execute(
        "SELECT s.id, m.question_id, m.marks_awarded FROM marks m JOIN scripts s ON s.id = m.script_id "
        "WHERE s.candidate_id = ? ORDER BY 1, 2", [cid]).fetchall() == marks_before
    assert centre.db.execute("SELECT candidate_number FROM candidates WHERE id = ?", [cid]).fetchone()[0] \
        == report.pseudonym
    assert centre.db.execute("SELECT count(*) FROM answers a JOIN scripts s ON s.id = a.script_id "
                             "WHERE s.candidate_id = ? AND a.text <> ''", [cid]).fetchone()[0] == 0
    # The chain still checks, end to end; the protections are back.
    assert verify_log(centre.db).ok, verify_log(centre.db).problem
    [erasure] = [e for e in entries(centre.db) if e.action == "learner data erased"]
    assert erasure.actor == "Ada Admin" and erasure.candidate_number == report.pseudonym
    assert erasure.details["erased_entries"] and erasure.details["reason"] == "retention period over"
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        centre.db.execute("UPDATE audit_log SET actor = 'x' WHERE id = 1")


def test_editing_an_entry_after_an_erasure_is_still_caught(centre):
    number, _name, _cid = _learner(centre)
    centre.retention.erase(number, reason="retention period over", by="Ada Admin")
    erased = set(next(e for e in entries(centre.db) if e.action == "learner data erased").details["erased_entries"])
    other = next(e.id for e in entries(centre.db) if e.id not in erased and e.action == "candidate added")
    with sqlite3.connect(centre.path) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET details = '{\"name\": \"Someone Else\"}' WHERE id = ?", [other])
    report = verify_log(centre.db)
    assert not report.ok and report.broken_at == other


def test_records_are_kept_until_due_unless_the_erasure_is_early_and_said_so(centre, tmp_path):
    number, _name, _cid = _learner(centre)
    with pytest.raises(ServiceError, match="No paper of qualification '9999-99' is loaded here .*3818-13"):
        centre.retention.set_period("9999-99", 5, by="Ada Admin")  # a typing slip: accepted before
    assert "9999-99" not in centre.retention.periods(by="Ada Admin")
    centre.retention.set_period("3818-13", 10, by="Ada Admin")
    with pytest.raises(ServiceError, match="kept until .* --early"):
        centre.retention.erase(number, reason="learner asked", by="Ada Admin")
    report = centre.retention.erase(number, reason="learner's erasure request", by="Ada Admin", early=True)
    assert report.pseudonym.startswith("ERASED-")
    assert number not in [s.candidate_number for s in centre.retention.statuses(by="Ada Admin")]
    with pytest.raises(ServiceError, match="already erased"):
        centre.retention.erase(number, reason="again", by="Ada Admin", early=True)


def test_only_an_admin_erases_and_a_sitting_not_over_blocks_it(tmp_path):
    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    centre = Centre.open(path, clock=FakeClock(LATER), create=False)
    try:
        with pytest.raises(ServiceError, match="Iris Invigilator cannot do this"):
            centre.retention.erase("1001", reason="retention over", by="Iris Invigilator")
        with pytest.raises(ServiceError, match="sitting 304-DEMO is not over"):
            centre.retention.erase("1001", reason="retention over", by="Ada Admin", early=True)
    finally:
        centre.close()


def test_the_cli_lists_learners_and_erases_early_after_the_number_is_typed_again(centre):
    runner = CliRunner()
    # The command runs on the real clock: the demo's sittings ended this year, so nobody is due yet.
    due = runner.invoke(cli, ["--db", str(centre.path), "retention", "--by", "Ada Admin", "--pin-stdin"],
                        input="4444\n")
    assert due.exit_code == 0 and "No learner's records are due for erasure." in due.output
    listed = runner.invoke(cli, ["--db", str(centre.path), "retention", "--all", "--by", "Ada Admin",
                                 "--pin-stdin"], input="4444\n")
    assert listed.exit_code == 0, listed.output
    number, name, _cid = _learner(centre)
    assert number in listed.output and name in listed.output
    wrong = runner.invoke(cli, ["--db", str(centre.path), "retention", "erase", number, "--early", "--reason",
                                "erasure request", "--by", "Ada Admin", "--pin-stdin"], input="4444\n9999\n")
    assert wrong.exit_code == 1 and "nothing was erased" in wrong.output
    early = runner.invoke(cli, ["--db", str(centre.path), "retention", "erase", number, "--reason",
                                "erasure request", "--yes", "--by", "Ada Admin", "--pin-stdin"], input="4444\n")
    assert early.exit_code == 1 and "--early" in early.output
    # What would be refused is refused before the admin is asked to type the number again (they typed it,
    # then were told there was no such candidate, or that the records are not due, or the reason too short).
    for args, says in ((["9999", "--early", "--reason", "erasure request"], "There is no candidate '9999'"),
                       ([number, "--reason", "erasure request"], "--early"),
                       ([number, "--early", "--reason", "left"], "The reason 'left' is too short")):
        refused = runner.invoke(cli, ["--db", str(centre.path), "retention", "erase", *args, "--by", "Ada Admin",
                                      "--pin-stdin"], input="4444\n")
        assert refused.exit_code == 1 and says in refused.output, refused.output
        assert "Type the candidate number" not in refused.output
    done = runner.invoke(cli, ["--db", str(centre.path), "retention", "erase", number, "--early", "--reason",
                               "erasure request", "--by", "Ada Admin", "--pin-stdin"],
                         input=f"4444\n{number}\n")
    assert done.exit_code == 0, done.output
    assert "Erased: the learner is now ERASED-" in done.output
