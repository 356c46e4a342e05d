"""Marker monitoring from a real database: what the lead assessor sees per marker, who may see it,
and the CSV and XLSX exports read back. (The rules' edges are in test_marker_monitoring_rules.py.)"""

from __future__ import annotations

import csv

import openpyxl
import pytest

from marker_tui.services.audit import ServiceError
from marker_tui.services.marker_monitoring import CONTROL_SCRIPTS_NONE, MonitoringError
from monitoring_fixtures import ADMIN, ANA, BEN, IVY, build_monitoring_room, monroom  # noqa: F401


def test_each_marker_has_scripts_marks_and_the_lenient_one_is_flagged_in_plain_words(monroom):
    report = monroom.centre().monitoring.report("9999-01/101", by=IVY)
    assert report.paper == "9999-01/101" and report.sitting_codes == ("MON-1",)
    assert report.questions == ("1", "2a", "2b")
    ana, ben = (report.marker(n).figures for n in (ANA, BEN))
    assert (ana.scripts_marked, ana.answers_marked) == (4, 12)
    assert ana.mean_mark_percent == pytest.approx(100 * 37 / 40)
    q2b = next(q for q in ana.questions if q.question_id == "2b")
    assert q2b.mean_mark == pytest.approx(4.75) and q2b.reference_answers == 3 and q2b.mean_difference == 2
    assert ana.flags[0] == "gives 2.0 marks more than the IQA per answer on Q2b (3 answers compared)"
    # Ben agrees with the IQA everywhere, but gave "Ladders" 2 on one script and 0 on another.
    given = sorted([(monroom.number("1005"), 2), (monroom.number("1006"), 0)])
    assert ben.flags == ('gave different marks to identical answers: Q1 "ladders": '
                         + ", ".join(f"{m} (script MON-1 {n})" for n, m in given),)
    assert all(row.control_scripts == CONTROL_SCRIPTS_NONE for row in report.markers)


def test_time_per_script_comes_from_the_gaps_between_saves(monroom):
    report = monroom.centre().monitoring.report("MON-1", by=IVY)   # a sitting code names its paper too
    # One save a minute: 3 minutes a script (the first of a session 2); the break between is not counted.
    assert report.marker(ANA).figures.median_seconds_per_script == 180
    assert report.marker(BEN).figures.median_seconds_per_script == 180


def test_identical_answers_to_ana_are_not_flagged_when_she_gave_them_the_same_mark(monroom):
    ana = monroom.centre().monitoring.report("9999-01/101", by=IVY).marker(ANA).figures
    assert ana.inconsistent == ()   # "Ladders" and "ladders." both got 2


def test_only_the_lead_assessor_sees_marker_monitoring(monroom):
    service = monroom.centre().monitoring
    with pytest.raises(ServiceError, match="Ana Lopes"):
        service.report("9999-01/101", by=ANA)
    assert service.report("9999-01/101", by=ADMIN).markers   # admin leads marking too


def test_an_unknown_paper_says_how_to_name_one(monroom):
    with pytest.raises(MonitoringError, match=r"There is no sitting of unit 999 .*e\.g\. 3818-13/305"):
        monroom.centre().monitoring.report("9999-01/999", by=IVY)
    with pytest.raises(MonitoringError, match="There is no sitting NOPE"):
        monroom.centre().monitoring.report("nope", by=IVY)


def test_the_papers_to_choose_from_count_markers_and_scripts(monroom):
    [paper] = monroom.centre().monitoring.papers(by=IVY)
    assert (paper.qualification, paper.unit, paper.markers, paper.scripts_marked) == ("9999-01", "101", 2, 8)


def test_the_csv_export_reads_back_with_one_row_per_marker_and_is_audited(monroom, tmp_path):
    path = monroom.centre().monitoring.export("9999-01/101", tmp_path / "out" / "monitoring.csv", by=IVY)
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["Marker"] for r in rows] == [ANA, BEN]
    ana = rows[0]
    assert ana["Scripts marked"] == "4" and ana["Q2b difference from reference"] == "2.0"
    assert ana["Median minutes per script"] == "3.0" and ana["Control scripts"] == "none yet"
    assert ana["Flags"].startswith("gives 2.0 marks more than the IQA per answer on Q2b")
    assert rows[1]["Identical answers marked differently"] == "1"
    [entry] = monroom.audit("marker monitoring exported")
    assert entry.details["paper"] == "9999-01/101" and entry.details["flagged"] == 2
    assert entry.details["format"] == "csv"


def test_the_xlsx_export_has_the_markers_their_flags_and_how_figures_are_worked_out(monroom, tmp_path):
    path = monroom.centre().monitoring.export("9999-01/101", tmp_path / "monitoring.xlsx", by=IVY)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Markers", "Flags", "How worked out"]
    sheet = wb["Markers"]
    assert sheet["A1"].value.startswith("Marker monitoring · 9999-01/101")
    header = [c.value for c in sheet[3]]
    ana = dict(zip(header, [c.value for c in sheet[4]]))
    assert ana["Marker"] == ANA and ana["Scripts marked"] == 4 and ana["Q2b difference from reference"] == 2
    flags = [(r[0].value, r[1].value) for r in wb["Flags"].iter_rows(min_row=2)]
    assert (ANA, "gives 2.0 marks more than the IQA per answer on Q2b (3 answers compared)") in flags
    assert any(who == BEN and why.startswith("gave different marks to identical answers") for who, why in flags)


def test_a_file_of_another_kind_is_refused_and_nothing_written(monroom, tmp_path):
    with pytest.raises(MonitoringError, match=r"\.csv or \.xlsx.*Nothing was written"):
        monroom.centre().monitoring.export("9999-01/101", tmp_path / "monitoring.docx", by=IVY)
    assert not (tmp_path / "monitoring.docx").exists() and not monroom.audit("marker monitoring exported")


def test_marks_before_any_review_have_no_reference_and_no_severity_flag(tmp_path):
    built = build_monitoring_room(tmp_path / "m.db", reviewed=False)
    try:
        report = built.centre().monitoring.report("9999-01/101", by=IVY)
        ana = report.marker(ANA).figures
        assert report.reference_words == "no reference marks yet"  # not "the IQA's": nothing reviewed
        assert ana.flags == () and ana.agreement.n_pairs == 0
        assert all(q.mean_difference is None for q in ana.questions)
    finally:
        built.db.close()


def test_the_demo_centre_shows_one_marker_flagged(tmp_path):
    from datetime import datetime, timezone

    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.centre import Centre
    from marker_tui.services.demo import build_demo

    now = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
    build_demo(tmp_path / "demo.db", FakeClock(now))
    centre = Centre.open(tmp_path / "demo.db", clock=FakeClock(now), create=False)
    try:
        report = centre.monitoring.report("305-DEMO", by="Quinn Quality")
        assert [m.figures.marker for m in report.markers] == ["Maya Marker", "Mo Marker"]
        [flagged] = report.flagged
        assert flagged.figures.marker == "Maya Marker"
        assert flagged.figures.flags[0].startswith("spends 1.8 min per script, under half the")
    finally:
        centre.close()


def test_definitive_marks_are_the_reference_where_a_script_has_them_and_win_over_none(tmp_path):
    from standardisation_fixtures import ANA, LEAD, StdRoom

    built = StdRoom(tmp_path / "std.db")
    try:
        script = built.script(built.old, "1001")
        for question, marks in (("1", 2), ("2a", 3), ("2b", 1)):  # Ana marked it live, before it was chosen
            built.centre.marking.save_mark(script, question, marks, by=ANA, expected_version=0)
        built.pick("1001", "practice")  # definitive (2, 3, 4)
        report = built.centre.monitoring.report("9999-01/101", by=LEAD)
        ana = report.marker(ANA).figures
        by_question = {q.question_id: q for q in ana.questions}
        assert by_question["2b"].reference_answers == 1 and by_question["2b"].mean_difference == -3
        assert by_question["1"].mean_difference == 0
        # The header says whose marks these are (it said "the IQA's" with no IQA review at all).
        assert report.reference_words == "reference marks: the definitive marks"
    finally:
        built.room.db.close()
