"""Access arrangements on the candidate record: evidence, the extra-time cap, CSV import, the
upgrade of free text typed before the list, and the per-sitting copy results and feedback show."""

from __future__ import annotations

import docx
import openpyxl
import pytest

from marker_tui.domain.arrangements import ArrangementKind
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.candidates import CsvImportError
from marker_tui.storage import migrations
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, EVIDENCE, INVIGILATOR, build_room, old_schema, room, strip_admission  # noqa: F401
from test_export_service import build_export_room, read_csv, xroom  # noqa: F401

E8 = EVIDENCE


def _rows(db):
    return db.execute("SELECT candidate_number, name, extra_time_percent, access_arrangements, arrangements"
                      " FROM candidates ORDER BY 1").fetchall()


# --- evidence ------------------------------------------------------------------------------------


def test_every_arrangement_needs_its_evidence_and_the_message_says_how_to_write_it(room):
    before = _rows(room.db)
    with pytest.raises(ServiceError) as refused:
        room.candidates.add("2001", "Nia Newcomer", 0, "reader", by=INVIGILATOR)
    assert str(refused.value) == (
        "Candidate 2001: reader needs its evidence: what was seen, who approved it and when (write reader | "
        "evidence seen | approved by | date, e.g. reader | Form 8 on file | Sam Senco (SENCo) | 2026-09-12); "
        "nothing was changed.")
    with pytest.raises(ServiceError, match="'tea breaks' is not on the list of arrangements .*write 'other: tea"):
        room.candidates.add("2001", "Nia Newcomer", 0, f"tea breaks | {E8}", by=INVIGILATOR)
    with pytest.raises(ServiceError, match="'31/02/2026' is not a date"):
        room.candidates.add("2001", "Nia Newcomer", 0, "reader | Form 8 | Sam Senco | 31/02/2026", by=INVIGILATOR)
    with pytest.raises(ServiceError, match="25% extra time needs its arrangement with evidence"):
        room.candidates.add("2001", "Nia Newcomer", 25, by=INVIGILATOR)
    assert _rows(room.db) == before
    added = room.candidates.add("2001", "Nia Newcomer", 0, f"reader | {E8}; other: sits near the door | {E8}",
                                by=INVIGILATOR)
    assert [(a.kind, a.detail, a.evidence, a.approved_by, a.approved_on) for a in added.arrangements] == [
        (ArrangementKind.READER, "", "Form 8 on file", "Sam Senco", "2026-09-01"),
        (ArrangementKind.OTHER, "sits near the door", "Form 8 on file", "Sam Senco", "2026-09-01")]
    assert added.in_words() == "reader; other (sits near the door)"
    event = entries(room.db)[-1]
    assert event.action == "candidate added"
    assert event.details["arrangements"][0] == {"kind": "reader", "detail": "", "evidence": "Form 8 on file",
                                                "approved_by": "Sam Senco", "approved_on": "2026-09-01"}


# --- the extra-time cap -------------------------------------------------------------------------------


def test_extra_time_above_the_cap_needs_an_admin_and_a_written_reason(room):
    over = f"extra time | {E8}"
    with pytest.raises(ServiceError, match=r"More than 25% extra time \(the centre's cap\) needs an administrator"):
        room.candidates.add("2002", "Omar Over", 40, over, by=INVIGILATOR)
    with pytest.raises(ServiceError, match="40% is above the centre's cap of 25%: write the reason after 'extra time:'"):
        room.candidates.add("2002", "Omar Over", 40, over, by=ADMIN)
    assert room.candidates.all()[-1].candidate_number != "2002"
    reason = "specialist assessor's report: processing speed well below average"
    added = room.candidates.add("2002", "Omar Over", 40, f"extra time: {reason} | {E8}", by=ADMIN)
    assert added.extra_time_percent == 40
    granted = [e for e in entries(room.db) if e.action == "extra time above the cap granted"]
    assert [(e.actor, e.candidate_number, e.details) for e in granted][-1] == (
        ADMIN, "2002", {"percent": 40, "cap": 25, "reason": reason})
    # Up to the cap an invigilator may record it, with the arrangement's evidence.
    room.candidates.edit("1001", extra_time_percent=25, access_arrangements=over, by=INVIGILATOR)


def test_the_cap_is_the_centre_s_setting_set_by_an_admin(room):
    assert room.candidates.extra_time_cap() == 25
    with pytest.raises(ServiceError, match="needs the role admin"):
        room.candidates.set_extra_time_cap(50, by=INVIGILATOR)
    with pytest.raises(ServiceError, match="whole percentage from 0 to 400"):
        room.candidates.set_extra_time_cap("lots", by=ADMIN)
    room.candidates.set_extra_time_cap("50%", by=ADMIN)
    assert entries(room.db)[-1].action == "extra time cap set" and entries(room.db)[-1].details == {"old": 25, "new": 50}
    room.candidates.edit("1001", extra_time_percent=40, access_arrangements=f"extra time | {E8}", by=INVIGILATOR)
    assert room.candidates.get("1001").extra_time_percent == 40


# --- CSV import ------------------------------------------------------------------------------------


def test_csv_rows_whose_arrangements_cannot_be_recorded_are_named_by_file_line_and_fix(room, tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("candidate_number,name,extra_time_percent,access_arrangements\n"
                    f"3001,Fine Learner,25,extra time | {E8}\n"
                    "3002,No Evidence,,reader\n"
                    f"3003,Over Cap,40,extra time | {E8}\n"
                    f"3004,Unknown Kind,,tea breaks | {E8}\n", encoding="utf-8")
    before = _rows(room.db)
    with pytest.raises(CsvImportError) as refused:
        room.candidates.import_csv(path, by=INVIGILATOR)
    message = str(refused.value)
    assert message.startswith(f"{path}: 3 problems; nothing was imported.")
    assert "line 3, access_arrangements: reader needs its evidence" in message
    assert "line 4, access_arrangements: More than 25% extra time (the centre's cap) needs an administrator" in message
    assert "line 5, access_arrangements: 'tea breaks' is not on the list of arrangements" in message
    assert _rows(room.db) == before
    with pytest.raises(CsvImportError, match="line 3, access_arrangements"):  # the preview says so too
        room.candidates.preview_import(path, by=INVIGILATOR)


# --- the upgrade of free text ------------------------------------------------------------------------


def test_free_text_typed_before_the_list_upgrades_without_loss(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    old_schema(monkeypatch, 6)
    old = build_room(path)
    code = old.running_sitting(candidates=("1002",))
    old.db.execute("UPDATE candidates SET access_arrangements = ?, extra_time_percent = ? WHERE candidate_number = ?",
                   ["25% extra time, reader; sits near the door", 25, "1002"])
    old.db.execute("UPDATE candidates SET access_arrangements = 'Large print' WHERE candidate_number = '1003'")
    old.db.execute("UPDATE candidates SET access_arrangements = '', extra_time_percent = 0 "
                   "WHERE candidate_number = '1001'")
    strip_admission(old.db, 6)
    assert "arrangements" not in {c[1] for c in old.db.execute("PRAGMA table_info(candidates)")}
    old.db.close()
    monkeypatch.undo()

    db = open_database(path)
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.candidates import CandidateService
    from sitting_fixtures import START

    service = CandidateService(db, FakeClock(START))
    ben = service.get("1002")
    assert [(a.kind, a.detail, a.evidence) for a in ben.arrangements] == [
        (ArrangementKind.EXTRA_TIME, "25% extra time", ""), (ArrangementKind.READER, "", ""),
        (ArrangementKind.OTHER, "sits near the door", "")]
    assert ben.in_words() == "reader; other (sits near the door)"  # every word kept
    assert [(a.kind, a.detail) for a in service.get("1003").arrangements] == [
        (ArrangementKind.EXTRA_TIME, "50%"), (ArrangementKind.LARGER_TEXT, "Large print")]
    assert service.get("1001").arrangements == []
    # The sitting already held keeps the list as read, and the record says the evidence is missing.
    record = service.record("1002", by=ADMIN)
    assert [(s.sitting_code, s.used()) for s in record.sittings] == [
        (code, "25% extra time; reader; other (sits near the door)")]
    assert ben.arrangements[1].evidence_text() == "evidence not recorded"
    # The register still reads the words.
    assert db.execute("SELECT access_arrangements FROM candidates WHERE candidate_number = '1002'"
                      ).fetchone()[0] == "25% extra time, reader; sits near the door"
    db.close()


# --- the per-sitting copy, in results and feedback ------------------------------------------------------------


def test_a_later_change_to_the_candidate_never_rewrites_what_applied_in_a_sitting(xroom, tmp_path):
    xroom.room.candidates.edit("1002", access_arrangements=f"extra time | {E8}; separate room | {E8}", by=ADMIN)
    out = tmp_path / "results.csv"
    xroom.exports.export_results(xroom.code, out, by=ADMIN, allow_incomplete=True)
    rows = read_csv(out)
    used = {row[0]: dict(zip(rows[0], row))["Arrangements used"] for row in rows[1:]}
    assert used["1002"] == "25% extra time; reader"  # what applied on the day, not today's list
    assert used["1003"] == "50% extra time"
    xlsx = tmp_path / "results.xlsx"
    xroom.exports.export_results(xroom.code, xlsx, by=ADMIN, allow_incomplete=True)
    sheet = openpyxl.load_workbook(xlsx)["Results"]
    header = [c.value for c in sheet[1]]
    by_number = {r[0].value: r[header.index("Arrangements used")].value for r in sheet.iter_rows(min_row=2)}
    assert by_number["1002"] == "25% extra time; reader"
    folder = tmp_path / "feedback"
    xroom.exports.export_feedback(xroom.code, folder, by=ADMIN, candidate="1002", allow_incomplete=True)
    (document,) = folder.glob("*.docx")
    details = {row.cells[0].text: row.cells[1].text for row in docx.Document(document).tables[0].rows}
    assert details["Arrangements used"] == "25% extra time; reader"
    # A new enrolment copies today's list, and follows changes until its clock starts.
    code = xroom.room.new_sitting()
    xroom.room.sittings.enrol(code, ["1002"], by=INVIGILATOR)
    xroom.room.candidates.edit("1002", access_arrangements=f"extra time | {E8}; prompter | {E8}", by=ADMIN)
    record = xroom.room.candidates.record("1002", by=ADMIN)
    assert [(s.sitting_code, s.started, s.used()) for s in record.sittings] == [
        (xroom.code, True, "25% extra time; reader"), (code, False, "25% extra time; prompter")]
    followed = [e for e in entries(xroom.db) if e.action == "enrolment arrangements changed"]
    assert len(followed) == 1 and followed[0].details["new"] == f"extra time | {E8}; prompter | {E8}"
