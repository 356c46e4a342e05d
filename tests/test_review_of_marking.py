"""Review of marking (issue 18.4): a learner's script looked at again by someone independent.

Built on the export tests' sitting (real services, a SQLite file, FakeClock): 1001 marked by Ana
and IQA-adjusted by Ivy (8, a pass); 1002 marked by Ben, IQA upheld by Ivy (6 but outcome 2 below
its minimum: a fail). Cara is a marker who touched neither script; Ada (admin) leads the marking.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest

from marker_tui.services.audit import ServiceError
from marker_tui.services.review_of_marking import ReviewError, ReviewOfMarkingService
from sitting_fixtures import ADMIN, PIN
from test_export_service import ANA, BEN, IVY, build_export_room, read_csv

CARA = "Cara Checker"
TODAY = date(2026, 3, 2)


@pytest.fixture
def room(tmp_path: Path):
    built = build_export_room(tmp_path / "marker.db", tmp_path / "papers")
    built.room.staff.add(CARA, ["marker"], PIN, by=ADMIN)
    yield built
    built.db.close()


def share_results(room, tmp_path: Path) -> None:
    room.exports.export_results(room.code, tmp_path / "results.csv", by=ADMIN, allow_incomplete=True)


def service(room) -> ReviewOfMarkingService:
    return ReviewOfMarkingService(room.db, room.clock)


def audit_actions(room) -> list[str]:
    return [e.action for e in room.audit_rows()]


def open_review(room, number="1002", reviewer=CARA, deadline=TODAY + timedelta(days=10)):
    return service(room).open(room.code, number, reason="The learner thinks Q2b deserved more credit",
                              deadline=deadline, reviewer=reviewer, by=ADMIN)


def test_a_review_waits_until_results_are_shared(room, tmp_path):
    with pytest.raises(ReviewError, match="have not been shared yet"):
        open_review(room)
    share_results(room, tmp_path)
    review = open_review(room)
    assert review.record.reviewer == CARA and review.record.deadline == TODAY + timedelta(days=10)
    assert "review of marking opened" in audit_actions(room)


@pytest.mark.parametrize(("reviewer", "why"), [(BEN, "marked script"), (IVY, "reviewed script .* for IQA")])
def test_the_reviewer_must_not_have_marked_or_iqa_reviewed_the_script(room, tmp_path, reviewer, why):
    share_results(room, tmp_path)
    with pytest.raises(ReviewError, match=why):
        open_review(room, reviewer=reviewer)
    refusals = [e for e in room.audit_rows() if e.action == "review of marking refused"]
    assert len(refusals) == 1 and refusals[0].details["reviewer"] == reviewer
    assert service(room).reviews(room.code, by=ADMIN) == []  # nothing was opened


def test_an_iqa_adjuster_counts_as_having_reviewed_and_only_the_lead_opens_reviews(room, tmp_path):
    share_results(room, tmp_path)
    with pytest.raises(ReviewError, match="reviewed script"):
        open_review(room, number="1001", reviewer=IVY)
    with pytest.raises(ServiceError, match="needs the role iqa or admin"):
        service(room).open(room.code, "1002", reason="x", deadline=TODAY, reviewer=CARA, by=ANA)


def test_a_number_that_is_one_learners_script_and_anothers_candidate_number_is_never_guessed(room, tmp_path):
    share_results(room, tmp_path)
    # Script numbers are random: here candidate 1001's script happens to be numbered 1002.
    room.db.execute("UPDATE scripts SET script_number = 'x' || id")
    room.db.execute("UPDATE scripts SET script_number = CASE (SELECT candidate_number FROM candidates c "
                    "WHERE c.id = scripts.candidate_id) WHEN '1001' THEN '1002' ELSE '70' || substr('0' || id, -2) END")
    with pytest.raises(ReviewError, match="write 'script 1002' or 'candidate 1002'"):
        open_review(room, number="1002")
    assert service(room).reviews(room.code, by=ADMIN) == []
    assert open_review(room, number="candidate 1002").record.candidate_number == "1002"
    assert open_review(room, number="script 1002").record.candidate_number == "1001"


def test_the_reviewer_sees_the_script_its_marks_and_annotations(room, tmp_path):
    share_results(room, tmp_path)
    review = open_review(room, number="1001")
    seen = service(room).view(review.id, by=CARA)
    q1 = next(q for q in seen.questions if q.question_id == "1")
    assert q1.answer.startswith("Trailing cables") and q1.original_mark == 2 and q1.marked_by == ANA
    assert q1.comment  # the marker's comment is shown
    q2b = next(q for q in seen.questions if q.question_id == "2b")
    assert q2b.original_mark == 3 and q2b.marked_by == IVY  # the IQA adjustment stands
    with pytest.raises(ReviewError, match="Cara Checker's to do"):
        service(room).view(review.id, by=BEN)


def decide_all(room, review_id, changes: dict[str, int]):
    s = service(room)
    view = s.view(review_id, by=CARA)
    for q in view.questions:
        s.decide(review_id, q.question_id, new_mark=changes.get(q.question_id),
                 reason="Checked against the mark scheme", by=CARA)
    return s.complete(review_id, by=CARA)


def test_upheld_changes_no_mark(room, tmp_path):
    share_results(room, tmp_path)
    review = open_review(room, number="1001")
    done = decide_all(room, review.id, {})
    assert done.record.outcome == "upheld" and done.record.total_after == done.record.total_before == 8
    assert "mark changed by review of marking" not in audit_actions(room)


def test_mark_changed_grade_unchanged(room, tmp_path):
    share_results(room, tmp_path)
    review = open_review(room, number="1001")
    done = decide_all(room, review.id, {"1": 1})
    assert done.record.outcome == "mark changed, grade unchanged"
    assert (done.record.total_before, done.record.total_after) == (8, 7)
    assert done.record.result_before == done.record.result_after == "pass"


def test_grade_changed_keeps_the_original_marks_in_history_and_the_audit_log(room, tmp_path):
    share_results(room, tmp_path)
    review = open_review(room, number="1002")
    s = service(room)
    with pytest.raises(ReviewError, match="decide questions 1, 2a, 2b first"):
        s.complete(review.id, by=CARA)
    with pytest.raises(ReviewError, match="only they can decide"):
        s.decide(review.id, "2b", new_mark=3, reason="More credit", by=BEN)
    with pytest.raises(ReviewError, match="Give a reason"):
        s.decide(review.id, "2b", new_mark=3, reason="  ", by=CARA)
    done = decide_all(room, review.id, {"2b": 3})
    assert done.record.outcome == "mark changed, grade changed"
    assert (done.record.result_before, done.record.result_after) == ("fail", "pass")
    # The mark is a new version; the original is kept with who gave it.
    history = room.marking.history(room.script("1002"), "2b")
    assert [(v.marks_awarded, v.marked_by, v.role) for v in history] == [(1, BEN, "marker"), (3, CARA, "review")]
    assert history[-1].reason.startswith(f"Review of marking {review.id}: Checked against")
    [changed] = [e for e in room.audit_rows() if e.action == "mark changed by review of marking"]
    assert changed.details["old"]["marks"] == 1 and changed.details["new"]["marks"] == 3
    assert room.marking.result(room.script("1002")).status == "pass"
    with pytest.raises(ReviewError, match="is finished"):
        s.decide(review.id, "1", reason="again", by=CARA)
    # The reviewer now has a mark on the script: a second review needs someone else.
    with pytest.raises(ReviewError, match="marked script"):
        open_review(room, number="1002", reviewer=CARA)


def test_the_outcome_is_a_column_of_the_results_export_and_a_letter(room, tmp_path):
    share_results(room, tmp_path)
    review = open_review(room, number="1002")
    decide_all(room, review.id, {"2b": 3})
    out = tmp_path / "after.csv"
    room.exports.export_results(room.code, out, by=ADMIN, allow_incomplete=True)
    rows = read_csv(out)
    by_number = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_number["1002"]["Review of marking"] == "mark changed, grade changed"
    assert by_number["1002"]["Result"] == "pass" and by_number["1001"]["Review of marking"] == ""
    xlsx = tmp_path / "after.xlsx"
    room.exports.export_results(room.code, xlsx, by=ADMIN, allow_incomplete=True)
    sheet = [[c.value for c in r] for r in openpyxl.load_workbook(xlsx)["Results"].iter_rows()]
    column = sheet[0].index("Review of marking")
    assert next(r for r in sheet if r[0] == "1002")[column] == "mark changed, grade changed"

    letter = service(room).export_letter(review.id, tmp_path / "letter.docx", by=ADMIN)
    document = docx.Document(str(letter))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert "Review of marking: outcome" in text
    assert "Outcome: mark changed, grade changed." in text
    assert "your result has changed from fail to pass" in text
    assert "The learner thinks Q2b deserved more credit" in text
    assert "1 of 5" in text and "3 of 5" in text
    assert "review of marking letter exported" in audit_actions(room)


def test_a_review_past_its_deadline_is_overdue(room, tmp_path):
    share_results(room, tmp_path)
    open_review(room, deadline=TODAY)
    [summary] = service(room).reviews(room.code, by=ADMIN)
    assert summary.state == "open"
    room.clock.advance(days=1)
    [summary] = service(room).reviews(room.code, by=CARA)
    assert summary.state == "overdue"
    with pytest.raises(ReviewError, match="already past"):
        open_review(room, number="1001", deadline=TODAY)


# --- the command line ------------------------------------------------------------------------------


def run(room, *args: str):
    from click.testing import CliRunner

    from cli_signing import signed
    from marker_tui.interfaces.cli.main import cli

    argv, stdin = signed(args, None, PIN)
    return CliRunner().invoke(cli, ["--db", str(room.room.path), *argv], input=stdin, catch_exceptions=False)


def test_the_review_commands_open_decide_finish_and_write_the_letter(room, tmp_path):
    share_results(room, tmp_path)
    refused = run(room, "review", "open", room.code, "1002", "--reason", "More credit?", "--deadline",
                  "2099-03-12", "--reviewer", BEN, "--by", ADMIN)
    assert refused.exit_code == 1 and "Ben Okafor marked script" in refused.output
    opened = run(room, "review", "open", room.code, "1002", "--reason", "More credit?", "--deadline",
                 "2099-03-12", "--reviewer", CARA, "--by", ADMIN)
    assert opened.exit_code == 0, opened.output
    assert "reviewer Cara Checker, due 2099-03-12" in opened.output
    listed = run(room, "review", "list", room.code, "--by", CARA)
    assert "Cara Checker" in listed.output and "2099-03-12" in listed.output and "open" in listed.output
    for q in ("1", "2a"):
        assert run(room, "review", "decide", "1", q, "--reason", "fair", "--by", CARA).exit_code == 0
    changed = run(room, "review", "decide", "1", "2b", "--mark", "3", "--reason", "two reasons", "--by", CARA)
    assert "changed" in changed.output
    done = run(room, "review", "finish", "1", "--by", CARA)
    assert "Outcome: mark changed, grade changed." in done.output
    out = tmp_path / "letter.docx"
    wrote = run(room, "review", "letter", "1", "-o", str(out), "--by", ADMIN)
    assert wrote.exit_code == 0 and out.exists()


def test_the_demo_has_one_305_script_under_review_with_a_deadline(tmp_path):
    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.demo import build_demo
    from marker_tui.storage.database import open_database

    clock = FakeClock()
    build_demo(tmp_path / "demo.db", clock)
    db = open_database(tmp_path / "demo.db")
    try:
        [summary] = ReviewOfMarkingService(db, clock).reviews("305-DEMO", by="Quinn Quality")
        assert summary.record.candidate_number == "1003" and summary.state == "open"
        # Maya reviews it; 305-DEMO is still marked blind, so she has its script number only.
        [hers] = ReviewOfMarkingService(db, clock).reviews("305-DEMO", by="Maya Marker")
        assert hers.record.id == summary.record.id and hers.record.candidate_number == ""
        assert summary.record.deadline == clock.now().astimezone().date() + timedelta(days=10)
    finally:
        db.close()


def test_a_database_from_before_reviews_is_upgraded_and_keeps_its_marks(tmp_path, monkeypatch):
    import sqlite3

    from marker_tui.storage import migrations
    from marker_tui.storage.database import open_database

    before = migrations.MIGRATIONS[:migrations.MIGRATIONS.index(migrations.m0012_reviews_of_marking)]

    def today_s_columns(db) -> None:  # what today's logins and marking read; taken out again below
        migrations.m0013_control_claims(db)
        migrations.m0014_takeover_asked(db)

    monkeypatch.setattr(migrations, "MIGRATIONS", [*before, today_s_columns])
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", len(before) + 1)
    old = build_export_room(tmp_path / "old.db", tmp_path / "papers")
    marks_before = sorted(old.db.execute("SELECT * FROM marks").fetchall())
    versions_before = old.db.execute("SELECT count(*) FROM mark_versions").fetchone()[0]
    old.db.conn.execute("ALTER TABLE std_controls DROP COLUMN claimed_until")
    old.db.conn.execute("ALTER TABLE takeover_requests DROP COLUMN asked_at")
    old.db.conn.execute("DELETE FROM schema_migrations WHERE version > ?", [len(before)])
    old.db.conn.execute(f"PRAGMA user_version = {len(before)}")
    old.db.conn.commit()
    old.db.close()
    monkeypatch.undo()
    db = open_database(tmp_path / "old.db")
    try:
        columns = [r[1] for r in db.execute("PRAGMA table_info(marks)")]
        assert columns[-1] == "reason_code"
        assert sorted(tuple(r[:-1]) for r in db.execute("SELECT * FROM marks")) == marks_before
        assert db.execute("SELECT count(*) FROM mark_versions").fetchone()[0] == versions_before
        triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'marks'")}
        assert triggers == {"marks_no_delete", "marks_only_on_submitted_scripts_insert",
                            "marks_only_on_submitted_scripts_update"}
        # The rebuilt table keeps its rules: marks are never deleted; a review's mark role is allowed.
        with pytest.raises(sqlite3.DatabaseError, match="marks cannot be deleted"):
            db.conn.execute("DELETE FROM marks")
        db.conn.execute("UPDATE marks SET role = 'review' WHERE question_id = '1'")
        with pytest.raises(sqlite3.IntegrityError):
            db.conn.execute("UPDATE marks SET role = 'someone' WHERE question_id = '1'")
        db.conn.rollback()
    finally:
        db.close()


def test_erasing_a_learner_erases_their_words_in_a_review_and_keeps_its_decisions(tmp_path):
    import sqlite3

    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.centre import Centre
    from marker_tui.services.demo import build_demo

    path = tmp_path / "demo.db"
    build_demo(path, FakeClock())
    centre = Centre.open(path, clock=FakeClock(), create=False)
    try:
        centre.sittings.end("304-DEMO", by="Iris Invigilator", reason="the demo sitting is over")
        review = ReviewOfMarkingService(centre.db, centre.clock)
        [summary] = review.reviews("305-DEMO", by="Maya Marker")
        for q in review.view(summary.record.id, by="Maya Marker").questions:
            review.decide(summary.record.id, q.question_id, reason="Marked to the scheme", by="Maya Marker")
        review.complete(summary.record.id, by="Maya Marker")
        centre.clock.advance(days=4 * 366)
        centre.retention.erase("1003", reason="retention period over", by="Ada Admin")
        row = centre.db.execute("SELECT reason, outcome FROM marking_reviews").fetchone()
        assert tuple(row) == ("(erased)", "upheld")
        assert {r[0] for r in centre.db.execute("SELECT reason FROM marking_review_questions")} == {"(erased)"}
        with pytest.raises(sqlite3.DatabaseError, match="cannot be changed"):  # frozen again
            centre.db.execute("UPDATE marking_reviews SET outcome = 'x'")
    finally:
        centre.close()


def test_a_subject_access_export_holds_the_learners_reviews(tmp_path):
    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.centre import Centre
    from marker_tui.services.demo import build_demo

    path = tmp_path / "demo.db"
    build_demo(path, FakeClock())
    centre = Centre.open(path, clock=FakeClock(), create=False)
    try:
        from marker_tui.services.data_protection import DataProtectionService

        record = DataProtectionService(centre.db, centre.clock).subject_access("1003", by="Ada Admin")
        [review] = record.tables["marking_reviews"]
        assert review["reason"].startswith("The learner believes question 11")
        assert "marking_review_questions" in record.tables
    finally:
        centre.close()


def test_marks_settled_by_iqa_or_a_review_are_no_longer_a_markers_to_change(room, tmp_path):
    """A marker changing marks after IQA confirmed them, or while (or after) a review of marking decides
    them, left the IQA record, the review and the results saying different things."""
    from marker_tui.services.candidates import CsvImportError
    from marker_tui.services.marking import MarkingError

    def version(number: str, question: str) -> int:
        return room.marking.view_script(room.script(number)).version(question)

    # 1001: IQA adjusted its marks; 1002: IQA upheld them. Neither marker may change them now.
    for number, marker, decision in (("1001", ANA, "marks adjusted"), ("1002", BEN, "marking upheld")):
        before = version(number, "1")
        with pytest.raises(MarkingError, match=f"{IVY} confirmed its marks in the IQA review \\({decision}"):
            room.marking.save_mark(room.script(number), "1", 0, by=marker, expected_version=before,
                                   reason="I disagree with IQA")
        assert version(number, "1") == before
    sheet = tmp_path / "marks.csv"
    sheet.write_text(f"script,question,marks\n{room.script_number('1001')},1,0\n", encoding="utf-8")
    with pytest.raises(CsvImportError, match="line 2.*IQA review"):
        room.marking.import_marks_csv(room.code, sheet, by=ANA, replace=True, reason="I disagree with IQA")
    # 1004 (marked by Ana, not sampled): hers to change until a review of marking opens on it.
    for question in ("2a", "2b"):
        room.marking.save_mark(room.script("1004"), question, 1, by=ANA, expected_version=0)
    room.marking.complete(room.script("1004"), by=ANA)
    share_results(room, tmp_path)
    review = open_review(room, number="1004")
    with pytest.raises(MarkingError, match="under a review of marking .*decided in the review"):
        room.marking.save_mark(room.script("1004"), "2a", 2, by=ANA, expected_version=version("1004", "2a"))
    assert room.marking.view_script(room.script("1004")).marks["2a"].marks_awarded == 1
    # Once the review has finished, its outcome stands (the learner has been told): still not the marker's.
    decide_all(room, review.id, {})
    with pytest.raises(MarkingError, match="review of marking finished on .*upheld.*only through a new review"):
        room.marking.save_mark(room.script("1004"), "2a", 2, by=ANA, expected_version=version("1004", "2a"))


def test_a_reviewer_is_not_told_whose_script_it_is_while_the_sitting_is_marked_blind(room, tmp_path):
    """`review list` and `review show` gave a marker the candidate number of a script in a sitting still
    marked blind; everywhere else a marker sees script numbers only. The lead assessor sees both."""
    share_results(room, tmp_path)
    review = open_review(room, number="1001")
    [mine] = service(room).reviews(room.code, by=CARA)
    seen = service(room).view(review.id, by=CARA).record
    assert (mine.record.candidate_number, seen.candidate_number, seen.candidate_name) == ("", "", "")
    assert mine.record.script_number == room.script_number("1001")
    listed = run(room, "review", "list", room.code, "--by", CARA)
    shown = run(room, "review", "show", str(review.id), "--by", CARA)
    for result in (listed, shown):
        assert result.exit_code == 0, result.output
        assert room.script_number("1001") in result.output and "Amira" not in result.output, result.output
    assert "(candidate" not in shown.output, shown.output
    [row] = [line.split() for line in listed.output.splitlines() if line.split()[:1] == [str(review.id)]]
    assert row[2:4] == [room.script_number("1001"), "-"], listed.output
    [lead] = [s for s in service(room).reviews(room.code, by=ADMIN) if s.record.id == review.id]
    assert lead.record.candidate_number == "1001"
