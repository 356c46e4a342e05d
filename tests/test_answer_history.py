"""Answer history keeps what a reviewer needs, bounded: every version of the last minutes, one per
minute before, always the first and the current; the current text is never lost.

The rule is ``domain/answer_history.py``; storage applies it in the save's own transaction and the
database refuses any other deletion (``migrations.m0008_answer_history``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from marker_tui.domain.answer_history import RECENT, most_kept, versions_to_drop, versions_to_keep
from marker_tui.domain.clock import FakeClock
from marker_tui.services.audit import verify_log
from marker_tui.services.learner import LearnerService
from marker_tui.services.terminal import this_terminal
from marker_tui.storage import answer_history, migrations
from marker_tui.storage.database import now_text, open_database
from sitting_fixtures import START, build_room, room  # noqa: F401

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CADENCE = timedelta(seconds=2)


def every(seconds: float, count: int, start: datetime = T0) -> list[tuple[int, datetime]]:
    return [(i + 1, start + timedelta(seconds=seconds * i)) for i in range(count)]


# --- the rule ---------------------------------------------------------------------------------------


def test_nothing_is_thinned_while_everything_is_recent():
    saved = every(2, 150)  # five minutes of autosave
    assert versions_to_keep(saved, now=saved[-1][1]) == set(range(1, 151))
    assert versions_to_drop(saved, now=saved[-1][1]) == []
    assert versions_to_keep([], now=T0) == set()


def test_older_versions_keep_the_last_of_each_minute_plus_the_first_and_the_latest():
    saved = every(2, 600)  # twenty minutes, 30 saves a minute
    now = saved[-1][1]  # 09:19:58
    keep = versions_to_keep(saved, now)
    recent = {v for v, at in saved if at >= now - RECENT}
    assert recent <= keep and len(recent) == 151  # 09:14:58 .. 09:19:58, both ends included
    older = keep - recent
    # The first (09:00:00), then the last save of each minute 09:00 .. 09:13 (at hh:mm:58).
    assert 1 in older
    assert sorted(at for v, at in saved if v in older - {1}) == [
        T0 + timedelta(minutes=m, seconds=58) for m in range(14)]
    assert len(keep) == 151 + 14 + 1
    assert len(keep) <= most_kept(timedelta(minutes=20), CADENCE)


def test_a_long_pause_in_typing_keeps_the_latest_however_old():
    saved = every(2, 40)
    now = saved[-1][1] + timedelta(hours=2)  # nothing recent at all
    keep = versions_to_keep(saved, now)
    assert 1 in keep and 40 in keep
    # minute 09:00 ends with version 30 (09:00:58), minute 09:01 with version 40.
    assert keep == {1, 30, 40}


def test_the_rule_is_stable_so_thinning_at_every_save_equals_thinning_once_later():
    saved = every(2, 1800)  # an hour
    held = []
    for version, at in saved:  # as the service does: append, then thin at that save's instant
        held.append((version, at))
        drop = set(versions_to_drop(held, now=at))
        held = [(v, a) for v, a in held if v not in drop]
    assert {v for v, _ in held} == versions_to_keep(saved, now=saved[-1][1])
    assert len(held) <= 5 * 30 + 60 + 2


def test_instants_must_say_their_time_zone():
    with pytest.raises(ValueError, match="timezone-aware"):
        versions_to_keep([(1, datetime(2026, 3, 2, 9, 0))], now=T0)


# --- through the real save path into a real SQLite file ----------------------------------------------


def typed_after(saves: int) -> str:
    """A 3,000-word answer (~18,000 characters) typed evenly over 1,800 saves."""
    words = "the learner explains each step of safe isolation and why it matters here".split()
    text = " ".join(words[i % len(words)] for i in range(3000))[:18_000]
    return text[: max(1, round(len(text) * saves / 1800))]


def test_an_hour_of_autosave_keeps_a_bounded_history_and_exactly_the_typed_text(room):
    code = room.running_sitting(candidates=("1001",))
    script = room.script_id(code, "1001")
    saves = []
    for k in range(1, 1801):
        room.clock.advance(CADENCE)
        receipt = room.learners.save_answer(script, "1", typed_after(k))
        assert receipt.version == k and not receipt.unchanged
        saves.append((k, room.clock.now()))
        if k % 97 == 0:  # at odd moments: the file holds exactly what the rule keeps of every save so far
            held = {v.version for v in answer_history.versions(room.db, script, "1")}
            assert held == versions_to_keep(saves, room.clock.now())
    now = room.clock.now()
    held = answer_history.versions(room.db, script, "1")
    assert len(held) <= 5 * 30 + 60 + 2
    # The current answer is what was typed, in the answers row and as the latest version.
    assert held[-1].version == 1800 and held[-1].text == typed_after(1800)
    assert room.learners.session(script).answers["1"] == typed_after(1800)
    assert held[0].version == 1 and held[0].text == typed_after(1)
    # Every save of the last five minutes is there, each with exactly the text of that save.
    recent = [v for v in held if v.saved_at >= now - RECENT]
    assert [v.version for v in recent] == list(range(1650, 1801))
    assert all(v.text == typed_after(v.version) for v in held)
    # Before that, one per minute: no two older versions share a minute.
    older_minutes = [v.saved_at.replace(second=0, microsecond=0) for v in held[1:] if v.saved_at < now - RECENT]
    assert len(older_minutes) == len(set(older_minutes)) >= 50
    # The audit log still has every save (with its digest) and says how many were thinned.
    saves = [e for e in room.sittings.log(code) if e.action == "answer saved"]
    assert len(saves) == 1800
    assert sum(e.details.get("older versions thinned", 0) for e in saves) == 1800 - len(held)
    assert verify_log(room.db).ok


def test_a_submitted_scripts_history_is_never_thinned_and_the_database_refuses_other_deletions(room):
    code = room.running_sitting(candidates=("1001", "1002"))
    script, other = room.script_id(code, "1001"), room.script_id(code, "1002")
    for k in range(1, 31):  # a minute of saves: nothing is old enough to thin yet
        room.clock.advance(CADENCE)
        room.learners.save_answer(script, "1", typed_after(k))
        room.learners.save_answer(other, "1", typed_after(k))
    q = "DELETE FROM answer_versions WHERE script_id = ? AND question_id = '1' AND version = ?"
    for version in (1, 30, 29):  # the first, the current, the last of its minute (09:00:58 is 29)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            room.db.execute(q, [script, version])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        room.db.execute("UPDATE answer_versions SET text = 'x' WHERE script_id = ?", [script])
    room.learners.submit(script)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        room.db.execute(q, [script, 5])
    room.clock.advance(timedelta(minutes=30))
    room.learners.save_answer(other, "1", typed_after(31))  # the other learner goes on; thins their own only
    assert len(answer_history.versions(room.db, script, "1")) == 30
    assert len(answer_history.versions(room.db, other, "1")) == 4  # first, 09:00's last, 09:01's last, current


def test_a_deletion_the_database_refuses_never_costs_the_save(room):
    code = room.running_sitting(candidates=("1001",))
    script = room.script_id(code, "1001")
    for k in range(1, 61):
        room.clock.advance(CADENCE)
        room.learners.save_answer(script, "1", typed_after(k))
    # A stricter database (here: a trigger on this connection) refuses every deletion.
    room.db.execute("""CREATE TEMP TRIGGER refuse_all BEFORE DELETE ON main.answer_versions
                    BEGIN SELECT RAISE(ABORT, 'no deletions here'); END""")
    room.clock.advance(timedelta(minutes=10))
    receipt = room.learners.save_answer(script, "1", typed_after(61))
    assert receipt.version == 61
    assert room.learners.session(script).answers["1"] == typed_after(61)
    assert len(answer_history.versions(room.db, script, "1")) == 61  # kept whole this time
    saved = [e for e in room.sittings.log(code) if e.action == "answer saved"][-1]
    assert "older versions thinned" not in saved.details


def test_a_database_from_before_the_rule_upgrades_and_thins_lazily_at_the_next_save(room, request):
    code = room.running_sitting(candidates=("1001",))
    script = room.script_id(code, "1001")
    room.clock.advance(CADENCE)
    room.learners.save_answer(script, "1", typed_after(1))
    room.db.close()
    # Make the file as schema 7 left it: every version kept (600 saves 2 s apart), deletion refused.
    raw = sqlite3.connect(room.path, isolation_level=None)
    raw.execute("DROP TRIGGER answer_versions_thinned_by_rule_only")
    raw.execute("DROP INDEX answer_versions_saved")
    raw.execute("""CREATE TRIGGER answer_versions_no_delete BEFORE DELETE ON answer_versions
                BEGIN SELECT RAISE(ABORT, 'answer_versions is append-only: rows cannot be changed or deleted'); END""")
    for k in range(2, 601):
        room.clock.advance(CADENCE)
        raw.execute("INSERT INTO answer_versions (script_id, question_id, version, text, saved_at)"
                    " VALUES (?, '1', ?, ?, ?)", [script, k, typed_after(k), now_text(room.clock.now())])
    raw.execute("UPDATE answers SET text = ?, version = 600 WHERE script_id = ? AND question_id = '1'",
                [typed_after(600), script])
    raw.execute("DROP TABLE rest_breaks")  # schema 9, after this file's time
    for column in ("candidates", "scripts"):  # schema 10's arrangements
        raw.execute(f"ALTER TABLE {column} DROP COLUMN arrangements")
    for table in ("std_attempts", "std_decisions", "std_control_marks", "std_controls", "std_definitive_marks",
                  "std_scripts",  # schema 11's standardisation
                  "marking_review_questions", "marking_reviews"):  # schema 12's reviews of marking
        raw.execute(f"DROP TABLE {table}")
    for table in ("marks", "mark_versions"):
        raw.execute(f"ALTER TABLE {table} DROP COLUMN reason_code")
    raw.execute("ALTER TABLE takeover_requests DROP COLUMN asked_at")  # schema 14's
    raw.execute("DELETE FROM schema_migrations WHERE version >= 8")
    raw.execute("PRAGMA user_version = 7")
    raw.close()
    old = 600
    room = room.reopen()
    request.addfinalizer(room.db.close)
    assert migrations.schema_version(room.db) == migrations.SCHEMA_VERSION
    assert room.db.execute("SELECT count(*) FROM answer_versions").fetchone()[0] == old  # untouched by the upgrade
    room.clock.advance(CADENCE)
    room.learners.save_answer(script, "1", typed_after(601))
    held = answer_history.versions(room.db, script, "1")
    assert len(held) <= most_kept(timedelta(minutes=21), CADENCE) < old
    assert held[-1].text == typed_after(601)


# --- a terminal killed right after a save ------------------------------------------------------------

SAVER = r"""
import os, sys
from datetime import datetime, timedelta
from marker_tui.domain.clock import FakeClock
from marker_tui.services.learner import LearnerService
from marker_tui.services.terminal import Terminal
from marker_tui.storage.database import now_text, open_database

path, script, start = sys.argv[1], int(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
clock = FakeClock(start)
learner = LearnerService(open_database(path), clock, Terminal(*os.environ["TEST_TERMINAL"].split("|")))
i = 0
while sys.stdin.readline():  # one save per go-ahead: never more than one ahead of the test
    i += 1
    clock.advance(timedelta(seconds=2))   # autosave's cadence, simulated
    text = f"save {i} " + "typing " * i
    receipt = learner.save_answer(script, "1", text[:30_000])
    sys.stdout.write(f"{receipt.version}\t{i}\t{clock.now().isoformat()}\n")
    sys.stdout.flush()
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_terminal_killed_right_after_a_save_still_has_that_save_while_history_thins(tmp_path: Path):
    built = build_room(tmp_path / "crash.db")
    code = built.running_sitting(candidates=("1001",))
    script = built.script_id(code, "1001")
    built.db.close()
    me = this_terminal()
    env = {**os.environ, "TEST_TERMINAL": f"{me.place}|{me.process}|{me.tty or ''}"}
    child = subprocess.Popen([sys.executable, "-c", SAVER, str(built.path), str(script), START.isoformat()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    confirmed = []
    # In step: the saver waits for a go-ahead before each save. Free-running, it got as far ahead as
    # the pipe holds while a loaded machine kept this process waiting, and its later saves rightly
    # thinned saves this test still counted as recent.
    while len(confirmed) < 400:  # over 13 simulated minutes: thinning has been running for 8
        child.stdin.write("go\n")
        child.stdin.flush()
        line = child.stdout.readline()
        assert line, child.stderr.read()
        version, i, at = line.rstrip("\n").split("\t")
        confirmed.append((int(version), int(i), datetime.fromisoformat(at)))
    child.stdin.write("go\n")  # the 401st save starts...
    child.stdin.flush()
    os.kill(child.pid, signal.SIGKILL)  # ...and the terminal dies right after the 400th save returned
    child.communicate()
    db = open_database(built.path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        held = {v.version: v for v in answer_history.versions(db, script, "1")}
        last_version, last_i, last_at = confirmed[-1]
        current = LearnerService(db, FakeClock(last_at)).session(script)
        # The 401st save may have committed before the kill, or not at all: nothing half-done.
        assert current.versions["1"] in (last_version, last_version + 1)
        newest = max(held)
        recent_since = held[newest].saved_at - RECENT  # the rule keeps in full what is recent to the last save
        for version, i, at in confirmed:
            if at >= recent_since or version == last_version:
                assert version in held, f"save {i} returned (version {version}) but is missing"
                assert held[version].text == f"save {i} " + "typing " * i
        # What the saver committed last is the answer.
        assert current.versions["1"] == newest
        assert current.answers["1"] == held[newest].text == f"save {newest} " + "typing " * newest
        assert len(held) <= most_kept(held[newest].saved_at - START, CADENCE)
    finally:
        db.close()
