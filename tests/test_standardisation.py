"""Standardisation before live marking and control scripts during it (issue 18.1, 18.2)."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from marker_tui.domain.markscheme import ControlScripts, Tolerance
from marker_tui.domain.standardisation import Standing, check, control_due, failures_in_a_row, qualification
from marker_tui.services.marking import MarkingError
from marker_tui.services.papers import PaperService
from marker_tui.services.standardisation import StandardisationError
from sitting_fixtures import ADMIN, small_paper, small_scheme

from standardisation_fixtures import ANA, ANSWER, BEN, LEAD, PAPER, give_control, mark_all, sroom  # noqa: F401 - sroom is a fixture


def marks(*values: int) -> dict[str, int]:
    return dict(zip(("1", "2a", "2b"), values))


# --- the tolerance rule ----------------------------------------------------------------------------


DEF = {"1": (2, "a"), "2a": (3, "b"), "2b": (4, "c")}


def test_exactly_at_tolerance_agrees_and_one_over_does_not():
    tol = Tolerance(per_question=1, total=2)
    at_limit = check(marks(1, 2, 4), DEF, tol)  # 1 under on two questions: total 2 under
    assert at_limit.within and at_limit.summary() == "within tolerance: total 2 marks under"
    one_over = check(marks(0, 3, 4), DEF, tol)  # 2 under on question 1
    assert not one_over.within and "question 1 (2 marks under; 1 allowed)" in one_over.summary()


def test_the_total_counts_even_when_every_question_is_within():
    tol = Tolerance(per_question=1, total=2)
    drift = check({"1": 1, "2a": 2, "2b": 3}, DEF, tol)  # each 1 under: total 3 under
    assert all(q.within for q in drift.questions) and not drift.within
    assert drift.summary() == "out of tolerance: total 3 marks under (2 allowed)"
    assert check({"1": 2, "2a": 3, "2b": 5}, DEF, Tolerance(per_question=0, total=5)).within is False


def test_tolerance_comes_from_the_mark_scheme_and_has_sensible_defaults():
    scheme = small_scheme()
    assert scheme.tolerance is None
    with_tol = scheme.model_validate({**scheme.model_dump(), "tolerance": {"per_question": 0, "total": 1}})
    assert with_tol.tolerance == Tolerance(per_question=0, total=1)
    assert Tolerance() == Tolerance(per_question=1, total=2)
    with pytest.raises(ValueError, match="tolerance"):
        scheme.model_validate({**scheme.model_dump(), "tolerance": {"per_question": -1}})


def test_the_seeding_rule_gives_one_control_per_block_at_the_chosen_place():
    every_third = ControlScripts(one_in=3)
    after_second = lambda block, one_in: 1  # noqa: E731 - in each block of 3, after the 2nd live script
    due: list[int] = []
    for n in range(1, 10):
        if control_due(n, controls_given=len(due), settings=every_third, choose=after_second):
            due.append(n)
    assert due == [2, 5, 8]
    assert not control_due(3, controls_given=1, settings=every_third, choose=after_second)
    assert failures_in_a_row([False, True, False, False]) == 2


def test_qualifying_needs_two_in_a_row():
    assert qualification("P", [1, 2, 3], [(1, True)]).standing is Standing.TO_QUALIFY
    state = qualification("P", [1, 2, 3], [(1, False), (2, True)])
    assert state.standing is Standing.TO_QUALIFY and state.next_script == 3
    assert qualification("P", [1, 2, 3], [(1, True), (2, True)]).standing is Standing.QUALIFIED
    assert qualification("P", [1], [(1, True)]).standing is Standing.QUALIFIED  # a set of one needs one


# --- the marker qualifying ---------------------------------------------------------------------------


def test_live_claims_are_refused_until_the_marker_qualifies(sroom):
    chosen = sroom.standard_set()
    live = sroom.script(sroom.live, "1001")
    marking = sroom.centre.marking
    with pytest.raises(MarkingError, match="mark its qualification scripts") as refused:
        marking.open_script(live, by=ANA)
    assert "Nothing was changed" in str(refused.value)
    with pytest.raises(MarkingError, match="qualification"):
        marking.save_mark(live, "1", 1, by=ANA, expected_version=0, hold=False)  # by question: refused too

    # The marker marks blind: what they open has answers but no definitive marks.
    opened = sroom.std.open(chosen["q1"].id, by=ANA)
    assert opened.answers["1"].startswith("wet floors") and not hasattr(opened, "definitive")
    first = sroom.std.submit(chosen["q1"].id, marks(2, 2, 4), by=ANA)  # 1 under on 2a: within
    assert first.comparison.within and not first.show_definitive
    assert first.standing.standing is Standing.TO_QUALIFY and first.standing.next_script == chosen["q2"].id
    second = sroom.std.submit(chosen["q2"].id, marks(1, 3, 2), by=ANA)
    assert second.standing.standing is Standing.QUALIFIED
    assert marking.open_script(live, by=ANA).script_id == live
    assert [e.details["marker"] for e in sroom.actions("marker qualified")] == [ANA]
    # Standardisation marks are not the learner's: the earlier sitting's script has no marks.
    assert marking.view_script(chosen["q1"].script_id).marks == {}


def test_out_of_tolerance_shows_definitive_marks_and_rationale_then_the_next_script(sroom):
    chosen = sroom.standard_set()
    result = sroom.std.submit(chosen["q1"].id, marks(0, 3, 4), by=ANA)
    assert not result.comparison.within and result.show_definitive
    q1 = next(q for q in result.comparison.questions if q.question_id == "1")
    assert (q1.given, q1.definitive, q1.rationale, q1.within) == (0, 2, "why 1 earns 2", False)
    assert result.standing.next_script == chosen["q2"].id
    with pytest.raises(StandardisationError, match="once each, in order"):
        sroom.std.submit(chosen["q1"].id, marks(2, 3, 4), by=ANA)
    # Practice scripts always show the definitive marks, and can be marked again.
    practice = sroom.std.submit(chosen["practice"].id, marks(2, 1, 3), by=ANA)
    assert practice.show_definitive and practice.comparison.within
    assert sroom.std.submit(chosen["practice"].id, marks(2, 1, 3), by=ANA).show_definitive


def test_manual_approval_needs_a_reason_and_is_audited(sroom):
    sroom.standard_set()
    with pytest.raises(StandardisationError, match="needs a reason"):
        sroom.std.approve(PAPER, ANA, "   ", by=LEAD)
    with pytest.raises(Exception, match="(?i)permission|may not|role|not allowed"):
        sroom.std.approve(PAPER, ANA, "marked with me", by=BEN)
    standing = sroom.std.approve(PAPER, ANA, "Went through both qualification scripts with me", by=LEAD)
    assert standing.qualification.standing is Standing.APPROVED
    assert sroom.centre.marking.open_script(sroom.script(sroom.live, "1001"), by=ANA)
    [entry] = sroom.actions("marker approved by lead assessor")
    assert entry.details == {"paper": PAPER, "marker": ANA, "reason": "Went through both qualification scripts with me"}


def test_a_paper_without_qualification_scripts_needs_no_standardisation(sroom):
    assert sroom.centre.marking.open_script(sroom.script(sroom.live, "1001"), by=ANA)


# --- control scripts ------------------------------------------------------------------------------------


def _not_number_or_date(row) -> list:
    """A results row's cells, without the candidate number (first) and the sitting date (fourth)."""
    return [*row[1:3], *row[4:]]


def test_a_control_script_looks_like_a_live_one_and_never_reaches_results(sroom, tmp_path):
    sroom.pick("1004", "control")
    control = give_control(sroom)
    desk = sroom.centre.marking_for(ANA)
    queue = desk.queue(sroom.live)
    live_numbers = {sroom.number(sroom.live, n) for n in ("1001", "1002", "1003", "1005")}
    row = queue.row(control)
    assert len(queue.rows) == 5 and row.script_number not in live_numbers and len(row.script_number) == 4
    assert (row.state.value, row.finish, row.held_by) == ("unmarked", "submitted", None)
    assert [r.script_number for r in queue.rows] == sorted(r.script_number for r in queue.rows)
    # Another marker's queue does not have it.
    assert len(sroom.centre.marking_for(BEN).queue(sroom.live).rows) == 4
    opened = desk.open_script(control, by=ANA)
    assert opened.answers["1"].endswith("(OLD-1 1004)") and opened.paper.questions[0].id == "1"
    mark_all(desk, control, (0, 1, 1))
    assert desk.queue(sroom.live).row(control).state.value == "complete"
    [marked] = sroom.actions("control script marked")
    assert marked.details["within_tolerance"] is True and marked.sitting_id is None

    exports = sroom.centre.exports
    csv_path, xlsx_path = tmp_path / "results.csv", tmp_path / "results.xlsx"
    exports.export_results(sroom.live, csv_path, by=ADMIN, allow_incomplete=True)
    exports.export_results(sroom.live, xlsx_path, by=ADMIN, allow_incomplete=True)
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["1001", "1002", "1003", "1005"]
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "1004" not in text
    # The control's disguised number is random: it may equal a real candidate's number or read as a year,
    # so it is looked for everywhere but the candidate number and date columns.
    assert not any(row.script_number in str(c) for r in rows for c in _not_number_or_date(r))
    sheet = openpyxl.load_workbook(xlsx_path)["Results"]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["1001", "1002", "1003", "1005"]
    assert not any(row.script_number in str(c) for r in sheet.iter_rows(values_only=True)
                   for c in _not_number_or_date(r))
    record = sroom.std.control_record(PAPER, ANA)
    assert (record.given, record.marked, record.within, record.suspended) == (1, 1, 1, False)


def test_a_run_of_failed_controls_suspends_the_marker_and_releases_their_claims(sroom):
    sroom.standard_set()
    sroom.std.approve(PAPER, ANA, "experienced marker", by=LEAD)
    desk = sroom.centre.marking_for(ANA)
    held = sroom.script(sroom.live, "1001")
    desk.open_script(held, by=ANA)
    desk.save_mark(held, "1", 1, by=ANA, expected_version=0)
    first = give_control(sroom)
    mark_all(desk, first, (2, 3, 5))  # definitive 0, 1, 1: far out
    assert sroom.std.standing(PAPER, ANA).qualification.standing is Standing.APPROVED  # one failure: a slip
    assert sroom.std.give_control(sroom.live, ANA, by=ANA) is None  # no second control script left
    # A second control script, failed too: a run of two suspends.
    extra = sroom.std.choose(sroom.live, sroom.number(sroom.live, "1002"), "control", by=LEAD)
    sroom.std.set_definitive(extra.id, {"1": (0, "x"), "2a": (0, "y"), "2b": (0, "z")}, by=LEAD)
    second = give_control(sroom)
    mark_all(desk, second, (2, 3, 5))
    standing = sroom.std.standing(PAPER, ANA)
    assert standing.qualification.standing is Standing.SUSPENDED
    assert desk.queue(sroom.live).row(held).held_by is None  # released
    with pytest.raises(MarkingError, match="suspended from live marking of 9999-01/101"):
        desk.open_script(held, by=ANA)
    [suspended] = sroom.actions("marker suspended")
    assert suspended.details["claims_released"] == [f"LIVE-1 {sroom.number(sroom.live, '1001')}"]
    assert sroom.std.overview(PAPER).alerts[0].startswith(f"{ANA} is suspended")
    record = sroom.std.control_record(PAPER, ANA)
    assert (record.marked, record.out_of_tolerance, record.failures_in_a_row, record.suspended) == (2, 2, 2, True)
    # The marker-quality (monitoring) report reads the same record.
    row = sroom.centre.monitoring.report(PAPER, by=LEAD).marker(ANA)
    assert row.control_scripts == "0 of 2 within tolerance; 2 out in a row; suspended"

    with pytest.raises(StandardisationError, match="needs a reason"):
        sroom.std.reinstate(PAPER, ANA, "", by=LEAD)
    assert sroom.std.reinstate(PAPER, ANA, "Discussed 2a and 2b; re-read the scheme", by=LEAD).qualification.cleared
    assert desk.open_script(held, by=ANA).script_id == held
    assert sroom.std.control_record(PAPER, ANA).failures_in_a_row == 0
    assert [e.details["reason"] for e in sroom.actions("marker reinstated")] == [
        "Discussed 2a and 2b; re-read the scheme"]


def test_controls_come_at_the_configured_rate_after_live_scripts(sroom):
    scheme = small_scheme().model_validate({**small_scheme().model_dump(), "control_scripts": {"one_in": 2}})
    PaperService(sroom.room.db, sroom.room.clock).store(small_paper(), scheme)
    sroom.pick("1004", "control")
    sroom.std.chooser = lambda block, one_in: 0  # right after the first live script of each block
    desk = sroom.centre.marking_for(ANA)
    first = sroom.script(sroom.live, "1001")
    desk.open_script(first, by=ANA)
    mark_all(desk, first, (1, 1, 1))
    nxt = desk.next_script(sroom.live, by=ANA)
    assert nxt is not None and nxt < 0  # the control script comes next, under a live-looking number
    assert desk.view_script(nxt).script_number in {r.script_number for r in desk.script_refs(sroom.live)}
    assert [e.details["marker"] for e in sroom.actions("control script given")] == [ANA]



# --- the lead assessor's commands -------------------------------------------------------------------------


def test_the_lead_assessor_chooses_and_records_definitive_marks_from_the_command_line(sroom, tmp_path):
    from click.testing import CliRunner

    from cli_signing import signed
    from marker_tui.interfaces.cli.main import cli
    from sitting_fixtures import PIN

    def run(*args: str):
        args, stdin = signed(args, None, PIN)
        return CliRunner().invoke(cli, ["--db", str(sroom.room.path), *args], input=stdin, catch_exceptions=False)

    number = sroom.number(sroom.old, "1001")
    chose = run("standardise", "choose", "OLD-1", number, "qualification", "--by", LEAD)
    assert chose.exit_code == 0 and f"Qualification 1 (id 1): script {number} of OLD-1" in chose.output
    bad = tmp_path / "bad.csv"
    bad.write_text("question,marks,rationale\n1,two,names two hazards\n", encoding="utf-8")
    refused = run("standardise", "marks", "1", str(bad), "--by", LEAD)
    assert refused.exit_code == 1 and f"{bad}: line 2: marks 'two' is not a whole number" in refused.output
    good = tmp_path / "marks.yaml"
    good.write_text('"1": {marks: 2, rationale: names two hazards}\n"2a": {marks: 3, rationale: all three steps}\n'
                    '"2b": {marks: 4, rationale: the risk but not the law}\n', encoding="utf-8")
    recorded = run("standardise", "marks", "1", str(good), "--by", LEAD)
    assert "definitive marks recorded (complete; total 9)" in recorded.output
    assert sroom.std.script(1).definitive["2b"] == (4, "the risk but not the law")
    status = run("standardise", "status", PAPER, "--by", LEAD)
    assert "Qualification 1" in status.output and "to qualify" in status.output
    assert run("standardise", "approve", PAPER, ANA, "--reason", "marked them with me", "--by", BEN).exit_code == 1
    approved = run("standardise", "approve", PAPER, ANA, "--reason", "marked them with me", "--by", LEAD)
    assert approved.output.strip() == f"{ANA} approved for {PAPER}: approved."


def test_group_marking_is_refused_until_the_marker_qualifies(sroom):
    sroom.standard_set()
    with pytest.raises(MarkingError, match="mark its qualification scripts"):
        sroom.centre.marking.mark_group(sroom.live, "1", ANSWER["1"], 1, by=ANA, versions={})


def test_no_control_script_is_given_while_names_are_shown(sroom):
    from marker_tui.services.audit import Actor

    sroom.pick("1004", "control")
    sroom.centre.marking.set_blind(sroom.live, False, by=ADMIN)
    assert sroom.std.give_control(sroom.live, ANA, by=Actor.system(), force=True) is None


def test_a_bad_tolerance_in_a_mark_scheme_file_is_one_message_naming_file_and_place(tmp_path):
    import json

    from marker_tui.storage.assessment_files import FileKind, read_file

    data = json.loads(small_scheme().model_dump_json(exclude_none=True))
    data["tolerance"] = {"per_question": -1, "total": 2}
    path = tmp_path / "101.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    loaded = read_file(path, FileKind.MARK_SCHEME)
    [finding] = [f for f in loaded.findings if f.severity.value == "error"]
    assert "101.yaml" in str(finding) and "tolerance" in str(finding) and loaded.model is None


def test_a_qualification_script_out_of_order_is_refused_when_opened_not_after_marking_it(sroom):
    chosen = sroom.standard_set()
    with pytest.raises(StandardisationError, match="in order"):
        sroom.std.open(chosen["q2"].id, by=ANA)
    opened = sroom.std.open(chosen["q1"].id, by=ANA)  # the next one opens
    assert opened.std_id == chosen["q1"].id and opened.answers
