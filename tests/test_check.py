"""`marker-tui check`: every validation rule, with the exact message and the place it points at."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tui.interfaces.cli.main import cli
from marker_tui.storage.assessment_files import load_library


def findings(mini, severity: str | None = None) -> list[str]:
    library = load_library(paths=mini.folders)
    return [str(f) for f in library.findings if severity is None or f.severity == severity]


def only(mini, severity: str = "error") -> str:
    found = findings(mini, severity)
    assert len(found) == 1, found
    return found[0]


def rel(path: Path) -> str:
    # Messages show paths as given; tmp_path is outside the working folder, so absolute.
    return str(path)


def test_the_mini_qualification_is_clean(mini):
    assert findings(mini) == []


def test_paper_total_differs_from_unit_total(mini):
    # 2b moves to 3 marks: total 9 and outcome 2 short by one.
    mini.edit(mini.paper, "    marks: 4\n    text: Identify", "    marks: 3\n    text: Identify")
    mini.edit(mini.scheme, "  - id: \"2b\"\n    max_marks: 4", "  - id: \"2b\"\n    max_marks: 3")
    errors = findings(mini, "error")
    assert f"{rel(mini.paper)}:5: error: questions: the paper totals 9 marks; unit 101's specification totals 10 (fix: adjust question marks so the total matches the specification)" in errors
    assert f"{rel(mini.paper)}:5: error: questions: outcome 2 has 3 marks in the paper; the specification gives it 4 (fix: adjust the marks of the questions on outcome 2 (questions 2b))" in errors
    assert len(errors) == 2


def test_marks_per_outcome_differ_but_total_matches(mini):
    # One mark moves from question 2b (outcome 2) to question 1 (outcome 1); the total stays 10.
    mini.edit(mini.paper, "    marks: 4\n    text: Identify", "    marks: 3\n    text: Identify")
    mini.edit(mini.paper, "    marks: 2\n    text: Describe", "    marks: 3\n    text: Describe")
    mini.edit(mini.scheme, "max_marks: 2", "max_marks: 3")
    mini.edit(mini.scheme, "      - text: it can fail", "      - text: it can fail\n      - text: it is automated")
    mini.edit(mini.scheme, "  - id: \"2b\"\n    max_marks: 4", "  - id: \"2b\"\n    max_marks: 3")
    assert findings(mini, "error") == [
        f"{rel(mini.paper)}:5: error: questions: outcome 1 has 7 marks in the paper; the specification gives it 6 "
        "(fix: adjust the marks of the questions on outcome 1 (questions 1, 2a))",
        f"{rel(mini.paper)}:5: error: questions: outcome 2 has 3 marks in the paper; the specification gives it 4 "
        "(fix: adjust the marks of the questions on outcome 2 (questions 2b))",
    ]


def test_question_cites_an_outcome_the_unit_does_not_have(mini):
    mini.edit(mini.paper, "  - id: \"2b\"\n    outcome: 2", "  - id: \"2b\"\n    outcome: 3")
    assert findings(mini, "error") == [
        f"{rel(mini.paper)}:19: error: questions[2] (id 2b).outcome: question 2b cites outcome 3; unit 101 has outcomes 1, 2 (fix: cite one of the unit's outcomes)",
        f"{rel(mini.paper)}:5: error: questions: outcome 2 has 0 marks in the paper; the specification gives it 4 (fix: adjust the marks of the questions on outcome 2 (no question yet))",
    ]


def test_question_cites_a_criterion_the_unit_does_not_have(mini):
    mini.edit(mini.paper, 'criteria: ["1.2"]', 'criteria: ["1.2", "1.9"]')
    assert only(mini) == (
        f"{rel(mini.paper)}:14: error: questions[1] (id 2a).criteria[1]: question 2a cites criterion 1.9, "
        "which unit 101 does not have (fix: use one of 1.1, 1.2)"
    )


def test_question_cites_a_criterion_of_another_outcome(mini):
    mini.edit(mini.paper, 'criteria: ["1.2"]', 'criteria: ["2.1"]')
    errors = findings(mini, "error")
    assert errors == [
        f"{rel(mini.paper)}:14: error: questions[1] (id 2a).criteria[0]: question 2a cites criterion 2.1, "
        "which belongs to outcome 2, not outcome 1 (fix: cite outcome 2 or a criterion of outcome 1)"
    ]
    # 1.2 is now uncovered: a warning, not an error.
    assert any("criterion 1.2 (explain why tests fail) is not covered by any question" in w for w in findings(mini, "warning"))


def test_duplicate_question_ids(mini):
    mini.edit(mini.paper, 'id: "2b"', 'id: "2a"')
    mini.edit(mini.scheme, 'id: "2b"', 'id: "2a"')
    errors = findings(mini, "error")
    assert f"{rel(mini.paper)}:18: error: questions[2] (id 2a).id: question id 2a is used more than once (fix: give every question its own id (1, 2a, 2b...))" in errors
    assert f"{rel(mini.scheme)}:19: error: questions[2] (id 2a).id: question 2a appears more than once in the mark scheme (fix: keep one entry per question)" in errors


def test_mark_scheme_missing_a_question(mini):
    text = mini.scheme.read_text()
    mini.scheme.write_text(text[: text.index('  - id: "2b"')])
    assert only(mini) == (
        f"{rel(mini.scheme)}:6: error: questions: question 2b of the paper has no mark scheme entry "
        '(fix: add an entry with id: "2b" and max_marks: 4)'
    )


def test_mark_scheme_with_an_extra_question(mini):
    mini.scheme.write_text(mini.scheme.read_text() + '  - id: "3"\n    max_marks: 1\n    points:\n      - text: extra\n')
    assert only(mini) == (
        f"{rel(mini.scheme)}:26: error: questions[3] (id 3).id: question 3 is not on the paper "
        "(fix: remove the entry or correct its id)"
    )


def test_mark_scheme_maximum_differs_from_paper(mini):
    mini.edit(mini.scheme, "max_marks: 2", "max_marks: 3")
    mini.edit(mini.scheme, "      - text: it can fail", "      - text: it can fail\n      - text: it is automated")
    assert only(mini) == (
        f"{rel(mini.scheme)}:8: error: questions[0] (id 1).max_marks: question 1: the mark scheme's maximum is 3, "
        "the paper gives 2 marks (fix: set max_marks: 2)"
    )


def test_creditable_points_cannot_reach_the_maximum(mini):
    mini.edit(mini.scheme, "      - text: the test is wrong\n        marks: 2\n", "")
    assert only(mini) == (
        f"{rel(mini.scheme)}:14: error: questions[1] (id 2a).points: question 2a: creditable points add up to 2, "
        "which cannot reach the maximum of 4 (fix: add creditable points (or marks to points) so full marks are reachable)"
    )


def test_pass_mark_above_total(mini):
    mini.edit(mini.scheme, "pass_mark: 6", "pass_mark: 11")
    assert only(mini) == (
        f"{rel(mini.scheme)}:5: error: pass_rule.pass_mark: the pass mark 11 is above the paper's total of 10 "
        "(fix: set a pass mark of at most 10)"
    )


@pytest.mark.parametrize("value", ["0", "-2"])
def test_zero_or_negative_question_marks(mini, value):
    mini.edit(mini.paper, "    marks: 2\n    text: Describe", f"    marks: {value}\n    text: Describe")
    errors = findings(mini, "error")
    assert f"{rel(mini.paper)}:10: error: questions[0] (id 1).marks: question 1 is worth {value} marks (fix: give every question a positive number of marks)" in errors


def test_zero_marks_on_a_creditable_point(mini):
    mini.edit(mini.scheme, "      - text: fast", "      - text: fast\n        marks: 0")
    assert findings(mini, "error") == [
        f"{rel(mini.scheme)}:23: error: questions[2] (id 2b).points[0].marks: question 2b: a creditable point is worth 0 marks (fix: give every creditable point a positive number of marks)",
        f"{rel(mini.scheme)}:21: error: questions[2] (id 2b).points: question 2b: creditable points add up to 3, which cannot reach the maximum of 4 (fix: add creditable points (or marks to points) so full marks are reachable)",
    ]


def test_time_allowance_must_match_the_specification(mini):
    mini.edit(mini.paper, 'version: "1"', 'version: "1"\ntime_allowance_minutes: 45')
    assert only(mini) == (
        f"{rel(mini.paper)}:4: error: time_allowance_minutes: the paper allows 45 minutes, unit 101's "
        "specification allows 60 (fix: set time_allowance_minutes: 60 or leave it out)"
    )


def test_mark_scheme_for_another_paper_version(mini):
    mini.edit(mini.scheme, 'paper_version: "1"', 'paper_version: "2"')
    assert "paper_version: the mark scheme is for paper version 2; the paper is version 1" in only(mini)


# --- warnings ------------------------------------------------------------------------


def test_weighting_that_disagrees_with_marks_is_a_warning(mini):
    mini.edit(mini.spec, "weighting_percent: 60", "weighting_percent: 64")
    mini.edit(mini.spec, "weighting_percent: 40", "weighting_percent: 36")
    warnings = findings(mini, "warning")
    assert f"{rel(mini.spec)}:25: warning: units[0] (number 101).outcomes[0] (number 1).weighting_percent: unit 101 outcome 1: 6 of 10 marks is 60%, the specification states 64% (fix: keep it if the handbook says so; otherwise correct the marks or the %)" in warnings
    assert findings(mini, "error") == []


def test_weighting_within_tolerance_is_fine(mini):
    mini.edit(mini.spec, "weighting_percent: 60", "weighting_percent: 61")
    mini.edit(mini.spec, "weighting_percent: 40", "weighting_percent: 39")
    assert findings(mini) == []


def test_weightings_that_do_not_sum_to_100(mini):
    mini.edit(mini.spec, "weighting_percent: 40", "weighting_percent: 39")
    assert only(mini, "warning") == (
        f"{rel(mini.spec)}:21: warning: units[0] (number 101).outcomes: unit 101: % weightings sum to 99 "
        "(fix: keep it if the handbook says so; otherwise make them sum to 100)"
    )


def test_uncovered_criterion_is_a_warning(mini):
    mini.edit(mini.spec, "            text: explain why tests fail\n",
              "            text: explain why tests fail\n          - number: \"1.3\"\n            text: outline a test plan\n")
    assert only(mini, "warning") == (
        f"{rel(mini.paper)}:5: warning: questions: criterion 1.3 (outline a test plan) is not covered by any question "
        "(fix: add it to the `criteria` of a question on outcome 1)"
    )
    assert findings(mini, "error") == []


# --- malformed files: one clear line each, never a traceback -------------------------


def test_malformed_yaml(mini):
    mini.edit(mini.paper, "    marks: 2\n", "    marks: [2\n")
    message = only(mini)
    assert message.startswith(f"{rel(mini.paper)}:11: error: YAML syntax error:")
    assert "check indentation, colons and quotes" in message


def test_wrong_type(mini):
    mini.edit(mini.paper, "    marks: 2\n", "    marks: two\n")
    assert only(mini) == (
        f"{rel(mini.paper)}:10: error: questions[0] (id 1).marks: should be a whole number (found 'two') "
        "(fix: write a whole number such as 4)"
    )


def test_missing_field(mini):
    mini.edit(mini.paper, "    command_verb: describe\n", "")
    assert only(mini) == f"{rel(mini.paper)}:6: error: questions[0] (id 1).command_verb: missing field (fix: add `command_verb:`)"


def test_unknown_field(mini):
    mini.edit(mini.paper, "    marks: 2\n", "    marks: 2\n    mark: 2\n")
    assert only(mini) == (
        f"{rel(mini.paper)}:11: error: questions[0] (id 1).mark: unknown field (found 2) "
        "(fix: check the spelling or remove it)"
    )


def test_file_that_is_not_utf8(mini):
    mini.paper.write_bytes("instructions: caf\u00e9\n".encode("latin-1"))
    errors = findings(mini, "error")
    assert f"{rel(mini.paper)}:1: error: is not UTF-8 text: byte 0xe9 (fix: save the file as UTF-8)" in errors


def test_duplicate_yaml_key(mini):
    mini.edit(mini.paper, 'version: "1"\n', 'version: "1"\nversion: "2"\n')
    message = only(mini)
    assert message.startswith(f"{rel(mini.paper)}:4: error: YAML syntax error:")
    assert "duplicate key" in message


def test_file_of_unknown_kind(mini):
    mini.paper.write_text("hello: world\n")
    errors = findings(mini, "error")
    assert any(e.startswith(f"{rel(mini.paper)}:1: error: cannot tell whether this is a specification") for e in errors)


# --- the command ------------------------------------------------------------------------


def test_check_command_exit_status_and_summary(mini):
    runner = CliRunner()
    result = runner.invoke(cli, ["check", *map(str, mini.folders)])
    assert result.exit_code == 0, result.output
    assert "checked 3 files: 0 errors, 0 warnings" in result.output

    mini.edit(mini.scheme, "pass_mark: 6", "pass_mark: 11")
    result = runner.invoke(cli, ["check", *map(str, mini.folders)])
    assert result.exit_code == 1
    assert "the pass mark 11 is above the paper's total of 10" in result.output
    assert "Traceback" not in result.output


def test_warnings_do_not_fail_the_check(mini):
    mini.edit(mini.spec, "weighting_percent: 40", "weighting_percent: 39")
    result = CliRunner().invoke(cli, ["check", *map(str, mini.folders)])
    assert result.exit_code == 0
    assert "% weightings sum to 99" in result.output


def test_checking_one_paper_finds_its_spec_and_mark_scheme(mini):
    result = CliRunner().invoke(cli, ["check", str(mini.paper)])
    assert result.exit_code == 0, result.output
    assert "checked 3 files: 0 errors" in result.output


def test_check_of_a_missing_path_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope'}: no such file (fix: check the path)" in result.output
