"""Subject access (UK GDPR): an admin writes out everything held about one learner, and only that."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from docx import Document

from marker_tui.domain.clock import FakeClock
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import entries
from marker_tui.services.centre import Centre
from marker_tui.services.demo import build_demo

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sar") / "demo.db"
    build_demo(path, FakeClock(NOW))
    return path


def _sql(path, query, params=()):
    with sqlite3.connect(path) as conn:
        return conn.execute(query, params).fetchall()


def _marked_candidate(path) -> tuple[str, str, int]:
    """A learner whose 305 script has marks with a comment: (number, name, candidate id)."""
    [(number, name, cid)] = _sql(path, "SELECT c.candidate_number, c.name, c.id FROM candidates c "
                                       "JOIN scripts s ON s.candidate_id = c.id JOIN marks m ON m.script_id = s.id "
                                       "WHERE m.comment <> '' GROUP BY c.id ORDER BY c.id LIMIT 1")
    return number, name, cid


def _export(path, out, number, by="Ada Admin", pin="4444"):
    return CliRunner().invoke(cli, ["--db", str(path), "learner", "export", number, "-o", str(out),
                                    "--by", by, "--pin-stdin"], input=f"{pin}\n")


def _docx_text(path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_export_holds_every_table_s_rows_about_the_learner_and_no_one_else_s(demo_path, tmp_path):
    number, name, cid = _marked_candidate(demo_path)
    result = _export(demo_path, tmp_path, number)
    assert result.exit_code == 0, result.output
    [data_file] = tmp_path.glob("subject-access-*.json")
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert data["candidate_number"] == number and data["name"] == name

    script_ids = [r[0] for r in _sql(demo_path, "SELECT id FROM scripts WHERE candidate_id = ?", [cid])]
    marks = ",".join("?" * len(script_ids))
    tables = [r[0] for r in _sql(demo_path, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    checked = 0
    for table in tables:
        columns = [r[1] for r in _sql(demo_path, f'PRAGMA table_info("{table}")')]
        if table == "candidates":
            expected = 1
        elif "candidate_id" in columns:
            expected = _sql(demo_path, f'SELECT count(*) FROM "{table}" WHERE candidate_id = ?', [cid])[0][0]
        elif "script_id" in columns and table != "audit_log":
            expected = _sql(demo_path, f'SELECT count(*) FROM "{table}" WHERE script_id IN ({marks})',
                            script_ids)[0][0]
        else:
            continue
        assert len(data["tables"][table]) == expected, table
        checked += 1
    assert checked >= 15  # scripts, answers, answer history, marks, mark history, IQA, leases...
    assert data["tables"]["answers"] and data["tables"]["marks"]
    assert {s["candidate_id"] for s in data["tables"]["scripts"]} == {cid}
    assert {a["script_id"] for a in data["tables"]["answers"]} <= set(script_ids)
    # Audit entries that name the learner, each about them.
    assert data["audit"] and all(e["candidate_number"] == number or e["script_id"] in script_ids
                                 for e in data["audit"])
    # Secrets never leave: the admission keycode's hash and salt are not in the file.
    assert data["tables"]["admission_keycodes"]
    assert "keycode_hash" not in data_file.read_text(encoding="utf-8")


def test_the_word_copy_reads_as_the_learner_s_own_record(demo_path, tmp_path):
    number, name, cid = _marked_candidate(demo_path)
    assert _export(demo_path, tmp_path, number).exit_code == 0
    [docx] = tmp_path.glob("subject-access-*.docx")
    text = _docx_text(docx)
    assert f"Personal data held about {name}" in text
    [(answer,)] = _sql(demo_path, "SELECT a.text FROM answers a JOIN scripts s ON s.id = a.script_id "
                                  "WHERE s.candidate_id = ? AND a.text <> '' ORDER BY a.question_id LIMIT 1", [cid])
    assert answer.split("\n")[0][:60] in text
    [(comment,)] = _sql(demo_path, "SELECT m.comment FROM marks m JOIN scripts s ON s.id = m.script_id "
                                   "WHERE s.candidate_id = ? AND m.comment <> '' LIMIT 1", [cid])
    assert comment[:60] in text
    others = [r[0] for r in _sql(demo_path, "SELECT name FROM candidates WHERE id <> ?", [cid])]
    assert not [other for other in others if other in text]


def test_the_request_is_audited_without_copying_the_data_into_the_log(demo_path, tmp_path):
    number, _name, _cid = _marked_candidate(demo_path)
    assert _export(demo_path, tmp_path, number).exit_code == 0
    centre = Centre.open(demo_path, create=False)
    try:
        entry = [e for e in entries(centre.db) if e.action == "subject access export written"][-1]
    finally:
        centre.close()
    assert entry.actor == "Ada Admin" and entry.candidate_number == number
    assert sorted(entry.details["files"]) == sorted(str(p) for p in tmp_path.glob("subject-access-*"))
    assert entry.details["rows"]["answers"] > 0 and "text" not in json.dumps(entry.details)


def test_only_an_admin_may_export_and_nothing_is_written_otherwise(demo_path, tmp_path):
    number, _name, _cid = _marked_candidate(demo_path)
    result = _export(demo_path, tmp_path, number, by="Mo Marker", pin="2222")
    assert result.exit_code == 1
    assert "needs the role admin" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_candidate_is_named_with_what_to_do(demo_path, tmp_path):
    result = _export(demo_path, tmp_path, "NOPE-9")
    assert result.exit_code == 1
    assert "There is no candidate 'NOPE-9'" in result.output and "candidates list" in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_a_table_added_later_is_in_the_export_without_anyone_listing_it(tmp_path):
    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    [(cid, number, script_id)] = _sql(path, "SELECT c.id, c.candidate_number, s.id FROM candidates c "
                                            "JOIN scripts s ON s.candidate_id = c.id ORDER BY s.id LIMIT 1")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invigilator_notes (script_id INTEGER, note TEXT)")
        conn.execute("INSERT INTO invigilator_notes VALUES (?, 'left the room at 10:05')", [script_id])
    out = tmp_path / "out"
    assert _export(path, out, number).exit_code == 0
    [data_file] = out.glob("*.json")
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert data["tables"]["invigilator_notes"] == [{"script_id": script_id, "note": "left the room at 10:05"}]
    [docx] = out.glob("*.docx")
    assert "left the room at 10:05" in _docx_text(docx)


def _first_column_tables(path) -> list[dict[str, str]]:
    """The document's two-column tables (details, each exam's), first column → second, in order."""
    return [{r.cells[0].text: r.cells[1].text for r in t.rows} for t in Document(str(path)).tables
            if len(t.columns) == 2]


def test_each_exam_shows_the_arrangements_that_applied_on_the_day_and_the_details_today_s(demo_path, tmp_path):
    """Issue 19: the list in force is copied onto each script, so the record says what applied on the day."""
    path = tmp_path / "demo.db"
    with sqlite3.connect(demo_path) as source, sqlite3.connect(path) as copy:
        source.backup(copy)
    # 1005 sat 305-DEMO with a separate room and rest breaks; the rest breaks ended after that sitting.
    centre = Centre.open(path, create=False, clock=FakeClock(NOW))
    try:
        centre.candidates.edit("1005", access_arrangements="separate room | GP letter on file | "
                               "Sam Okafor (SENCo) | 2026-03-09", by="Ada Admin")
    finally:
        centre.close()
    assert _export(path, tmp_path / "out", "1005").exit_code == 0
    [docx] = (tmp_path / "out").glob("*.docx")
    details, *exams = _first_column_tables(docx)
    assert details["Access arrangements now"] == "separate room"
    on_the_day = {exam["Started"] != "-": exam["Access arrangements"] for exam in exams}
    assert on_the_day == {True: "separate room; supervised rest breaks",  # 305-DEMO, sat before the change
                          False: "separate room"}  # 304-DEMO, not started: it follows the change
