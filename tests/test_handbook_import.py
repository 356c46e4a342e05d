"""``marker-tui import-handbook``: a handbook's text becomes the shipped spec.yaml.

Fixtures under tests/fixtures/handbooks/ are small handbooks we wrote ourselves:
``variations.md`` has every layout variation and inconsistency of the real
3818-13 handbook (``variations.txt`` is the same as plain text exported from a
PDF), ``gaps.md`` has things that cannot be read. The full reference handbook is
used when ../shared/reference/ is present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from marker_tui.domain.handbook import parse_duration, parse_handbook
from marker_tui.domain.specification import TestSpecification
from marker_tui.interfaces.cli.check import check
from marker_tui.interfaces.cli.handbook import import_handbook
from marker_tui.storage.assessment_files import load_specification
from marker_tui.storage.spec_writer import specification_yaml

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "handbooks"
VARIATIONS = FIXTURES / "variations.md"
PLAIN = FIXTURES / "variations.txt"
GAPS = FIXTURES / "gaps.md"
SHIPPED_SPEC = REPO / "papers" / "3818-13" / "spec.yaml"
def _reference_dir() -> Path:
    """``../shared/reference`` beside the repository (or beside the main checkout, for a
    git worktree under ``../wt/``); MARKER_TUI_REFERENCE_DIR overrides it."""
    if os.environ.get("MARKER_TUI_REFERENCE_DIR"):
        return Path(os.environ["MARKER_TUI_REFERENCE_DIR"])
    for base in (REPO.parent, REPO.parent.parent):
        if (base / "shared" / "reference").is_dir():
            return base / "shared" / "reference"
    return REPO.parent / "shared" / "reference"


REFERENCE_DIR = _reference_dir()
REFERENCE = REFERENCE_DIR / "cg-3818-13-operational-delivery-handbook.md"

needs_reference = pytest.mark.skipif(
    not REFERENCE.exists(), reason="the reference handbook (../shared/reference/) is not present"
)


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line containing ``needle`` (so tests name text, not numbers).

    ``⇥`` in ``needle`` stands for a tab (Python 3.11 allows no backslash inside f-string braces).
    """
    needle = needle.replace("⇥", "\t")
    hits = [no for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s) in {path.name}"
    return hits[nth - 1]


def run(*args: str | Path):
    return CliRunner().invoke(import_handbook, [str(a) for a in args])


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def non_comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


@pytest.fixture(scope="module")
def variations() -> TestSpecification:
    result = parse_handbook(VARIATIONS.read_text(encoding="utf-8"))
    assert result.gaps == []
    assert result.specification is not None
    return result.specification


# --- the full reference handbook -------------------------------------------------------


@needs_reference
def test_reference_handbook_gives_the_shipped_spec_figure_for_figure():
    result = parse_handbook(REFERENCE.read_text(encoding="utf-8"))
    assert result.gaps == []
    shipped = load_specification(SHIPPED_SPEC)
    imported = result.specification
    assert imported.qualification == shipped.qualification
    assert imported.rules_of_combination == shipped.rules_of_combination
    assert [u.number for u in imported.units] == [u.number for u in shipped.units]
    for ours, theirs in zip(imported.units, shipped.units):
        assert ours == theirs, f"unit {ours.number} differs from the shipped spec.yaml"
    assert imported == shipped


@needs_reference
def test_reference_import_has_the_shipped_layout_and_check_accepts_it(tmp_path):
    out = tmp_path / "spec.yaml"
    result = run(REFERENCE, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert non_comment_lines(out.read_text(encoding="utf-8")) == non_comment_lines(
        SHIPPED_SPEC.read_text(encoding="utf-8")
    )
    assert "13 units, 40 outcomes, 177 assessment criteria, 7 warnings" in result.stderr
    checked = CliRunner().invoke(check, [str(out)])
    assert checked.exit_code == 0, checked.output
    assert "0 errors" in checked.output


@needs_reference
def test_reference_handbook_inconsistencies_are_each_reported_where_found():
    result = run(REFERENCE)
    assert result.exit_code == 0
    ref = REFERENCE
    assert warnings_of(result) == [
        f"warning: unit 308 outcome 1 (line {line_of(ref, '308⇥1 Understand how to confirm')}): "
        "9 of 17 marks is 53%, the handbook states 64%",
        f"warning: unit 308 outcome 2 (line {line_of(ref, '2 Know how to record the verification')}): "
        "8 of 17 marks is 47%, the handbook states 36%",
        f"warning: unit 309 (line {line_of(ref, '⇥Total⇥35⇥100', 2)}): "
        "% weightings sum to 99, the Total row states 100",
        f"warning: unit 309 (line {line_of(ref, '<b>GLH:</b>⇥8')  - 1}): no \"Unit 309\" heading: the unit "
        f"section starting at line {line_of(ref, '<b>GLH:</b>⇥8') - 1} is taken as unit 309, the only unit "
        "without a section between unit 308 and unit 310",
        f"warning: unit 310 (line {line_of(ref, '3 Know how to investigate cases')}): outcomes 2 and 3 have "
        "the same title \"Know how to investigate cases of suspected non-compliance\"",
        f"warning: unit 316 (line {line_of(ref, '316⇥Principles of researching')}): title differs between "
        "test specification and structure table: structure table \"Principles of researching the labour "
        "market to respond to customer needs\"",
        f"warning: unit 316 (line {line_of(ref, '# Principles of researching the labour market')}): title "
        "differs between test specification and unit section: test specification "
        f"(line {line_of(ref, '**Unit 316:**')}) \"Principles of researching the labour market to meet "
        "customer needs\", unit section \"Principles of researching the labour market to respond to "
        "customer needs\"",
    ]


@needs_reference
def test_reference_import_is_byte_identical_run_to_run(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert run(REFERENCE, "-o", first).exit_code == 0
    assert run(REFERENCE, "-o", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert run(REFERENCE).stdout.encode("utf-8") == first.read_bytes()


@needs_reference
def test_reference_keeps_the_handbooks_figures_and_wording_as_printed():
    spec = parse_handbook(REFERENCE.read_text(encoding="utf-8")).specification
    u308, u309, u310, u315, u316 = (spec.unit(n) for n in ("308", "309", "310", "315", "316"))
    assert [(o.marks, o.weighting_percent) for o in u308.outcomes] == [(9, 64), (8, 36)]
    assert sum(o.weighting_percent for o in u309.outcomes) == 99
    assert u309.glh == 8 and [len(o.criteria) for o in u309.outcomes] == [7, 3]
    assert u310.outcomes[1].title == u310.outcomes[2].title
    assert u316.title.endswith("to meet customer needs")
    assert u316.title_in_unit_section.endswith("to respond to customer needs")
    assert [c.number for c in u315.outcomes[1].criteria][-2:] == ["2.10", "2.11"]
    assert spec.unit("306").outcomes[1].criteria[0].text == (
        "explain types of behavior which promote equality, diversity in operational delivery"
    )
    assert spec.unit("305").outcomes[0].criteria[2].text == "describe how to use data within the limits of authority"
    assert [u.time_allowance_minutes for u in spec.units] == [90, 60, 120, 90, 60, 90, 105, 120, 90, 120, 120, 120, 120]


# --- every variation, in a small handbook of our own ----------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1 hour", 60),
        ("1 hour 30 minutes", 90),
        ("1 hour 45 minutes", 105),
        ("2 hours", 120),
        ("45 minutes", 45),
        ("1½ hours", 90),
        ("90 mins", 90),
        ("2.5 hours", 150),
        ("1 hr 15 min", 75),
        ("one hour", 60),
    ],
)
def test_time_allowances_in_every_wording_are_read_as_minutes(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "a fortnight", "about an hour", "0 minutes", "1.01 hours"])
def test_time_allowances_that_are_not_durations_are_not_guessed(text):
    assert parse_duration(text) is None


def test_time_allowance_split_over_lines_and_bold_markers_is_read(variations):
    # Unit 201: "**Recommended**", blank line, "**time allowance:** 1 hour 30 minutes".
    assert variations.unit("201").time_allowance_minutes == 90
    assert variations.unit("201").title == "Planning passenger journeys"
    # Unit 206 is split the same way, "1 hour 45 minutes".
    assert variations.unit("206").time_allowance_minutes == 105


def test_time_allowance_wordings_in_a_handbook(variations):
    minutes = {u.number: u.time_allowance_minutes for u in variations.units}
    assert minutes == {"201": 90, "202": 45, "203": 90, "204": 90, "205": 150, "206": 105}


def test_tab_separated_and_html_bold_tables_are_both_read(variations):
    # 201: plain tab table; 202: <b> header cells.
    assert [(o.number, o.title, o.marks, o.weighting_percent) for o in variations.unit("201").outcomes] == [
        (1, "Understand how journeys are planned", 12, 60),
        (2, "Know how to confirm a booking", 8, 40),
    ]
    assert [(o.number, o.marks, o.weighting_percent) for o in variations.unit("202").outcomes] == [
        (1, 10, 50), (2, 10, 50)
    ]


def test_inline_html_outcomes_and_criteria_are_split_into_criteria(variations):
    outcome = variations.unit("202").outcomes[0]
    assert [(c.number, c.text) for c in outcome.criteria] == [
        ("1.1", "identify risks to passengers"),  # <b>risks</b> -> risks
        ("1.2", "describe signs of abuse or neglect"),
        # "2014" is not a criterion number, and the closing " ." is dropped.
        ("1.3", "explain the duty to act on concerns under the Care Act 2014"),
    ]


def test_list_criteria_lose_bold_markers_and_the_closing_full_stop(variations):
    assert [(c.number, c.text) for c in variations.unit("201").outcomes[0].criteria] == [
        ("1.1", "describe the information needed to plan a journey"),
        ("1.2", "explain how to choose a route"),
    ]
    assert all(not c.text.endswith(".") for u in variations.units for c in u.all_criteria())


def test_unit_section_without_a_heading_is_found_and_reported():
    result = run(VARIATIONS)
    start = line_of(VARIATIONS, "<b>GLH:</b>⇥10") - 1
    assert (
        f"warning: unit 203 (line {start}): no \"Unit 203\" heading: the unit section starting at line {start} "
        "is taken as unit 203, the only unit without a section between unit 202 and unit 204"
    ) in warnings_of(result)
    spec = parse_handbook(VARIATIONS.read_text(encoding="utf-8")).specification
    unit = spec.unit("203")
    assert (unit.level, unit.glh, unit.credits) == (2, 10, 1)
    assert [c.number for c in unit.outcomes[0].criteria] == ["1.1", "1.2", "1.3"]
    # ...and unit 202 keeps only its own criteria.
    assert [len(o.criteria) for o in spec.unit("202").outcomes] == [3, 2]


def test_percent_that_disagrees_with_marks_is_kept_and_reported():
    result = run(VARIATIONS)
    assert (
        f"warning: unit 204 outcome 1 (line {line_of(VARIATIONS, '204⇥1 Understand how to receive')}): "
        "9 of 17 marks is 53%, the handbook states 64%"
    ) in warnings_of(result)
    assert (
        f"warning: unit 204 outcome 2 (line {line_of(VARIATIONS, '2 Know how to record a complaint')}): "
        "8 of 17 marks is 47%, the handbook states 36%"
    ) in warnings_of(result)
    spec = parse_handbook(VARIATIONS.read_text(encoding="utf-8")).specification
    assert [o.weighting_percent for o in spec.unit("204").outcomes] == [64, 36]


def test_percent_within_the_validators_tolerance_is_not_reported(variations):
    # Unit 205 outcome 3: 10 of 40 marks is 25%, printed 24 (1 point: rounding).
    result = run(VARIATIONS)
    assert not any("unit 205 outcome 3" in w for w in warnings_of(result))
    assert variations.unit("205").outcomes[2].weighting_percent == 24


def test_percent_weightings_not_summing_to_100_are_kept_and_reported(variations):
    result = run(VARIATIONS)
    total_line = line_of(VARIATIONS, "⇥Total⇥40⇥100")
    assert (
        f"warning: unit 205 (line {total_line}): % weightings sum to 99, the Total row states 100"
    ) in warnings_of(result)
    assert sum(o.weighting_percent for o in variations.unit("205").outcomes) == 99


def test_repeated_outcome_titles_are_kept_and_reported(variations):
    result = run(VARIATIONS)
    assert (
        f"warning: unit 205 (line {line_of(VARIATIONS, '3 Know how to record journeys')}): "
        "outcomes 2 and 3 have the same title \"Know how to record journeys\""
    ) in warnings_of(result)
    outcomes = variations.unit("205").outcomes
    assert outcomes[1].title == outcomes[2].title == "Know how to record journeys"
    # Each keeps its own criteria.
    assert [c.text for c in outcomes[1].criteria] == ["complete a journey log", "record passenger numbers"]
    assert [c.text for c in outcomes[2].criteria] == ["record mileage and fuel", "record incidents"]


def test_unit_title_differing_between_sections_keeps_both_and_is_reported(variations):
    unit = variations.unit("206")
    assert unit.title == "Working with volunteers to meet community needs"
    assert unit.title_in_unit_section == "Working with volunteers to respond to community needs"
    result = run(VARIATIONS)
    assert (
        f"warning: unit 206 (line {line_of(VARIATIONS, '# Working with volunteers to respond')}): title differs "
        "between test specification and unit section: test specification "
        f"(line {line_of(VARIATIONS, '**Unit 206:**')}) \"Working with volunteers to meet community needs\", "
        "unit section \"Working with volunteers to respond to community needs\""
    ) in warnings_of(result)
    assert (
        f"warning: unit 206 (line {line_of(VARIATIONS, '206⇥Working with volunteers')}): title differs between "
        "test specification and structure table: structure table \"Working with volunteers to respond to "
        "community needs\""
    ) in warnings_of(result)


def test_all_warnings_of_the_variations_handbook_and_nothing_else():
    result = run(VARIATIONS)
    assert result.exit_code == 0
    assert len(warnings_of(result)) == 7
    # Unit by unit, what was read, to check against the handbook's tables at a glance.
    assert [line for line in result.stderr.splitlines() if not line.startswith("warning: ")] == [
        "read: unit 201: 2 outcomes (1, 2), 90 minutes; marks 12 + 8 = 20; % 60 + 40 = 100",
        "read: unit 202: 2 outcomes (1, 2), 45 minutes; marks 10 + 10 = 20; % 50 + 50 = 100",
        "read: unit 203: 1 outcome (1), 90 minutes; marks 15 = 15; % 100 = 100",
        "read: unit 204: 2 outcomes (1, 2), 90 minutes; marks 9 + 8 = 17; % 64 + 36 = 100",
        "read: unit 205: 3 outcomes (1, 2, 3), 150 minutes; marks 10 + 20 + 10 = 40; % 25 + 50 + 24 = 99",
        "read: unit 206: 2 outcomes (1, 2), 105 minutes; marks 6 + 14 = 20; % 30 + 70 = 100",
        "standard output: written: 6 units, 12 outcomes, 24 assessment criteria, 7 warnings",
    ]


def test_import_is_byte_identical_run_to_run_and_check_accepts_it(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert run(VARIATIONS, "-o", first).exit_code == 0
    assert run(VARIATIONS, "-o", second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    checked = CliRunner().invoke(check, [str(first)])
    assert checked.exit_code == 0, checked.output


def test_criteria_as_separate_paragraphs_and_a_level_2_range_heading(variations):
    unit = variations.unit("206")
    assert [(c.number, c.text) for c in unit.all_criteria()] == [
        ("1.1", "Explain the role of volunteers in community transport"),
        ("1.2", "Describe the benefits of volunteering"),
        ("2.1", "Describe how to induct a new volunteer"),
        ("2.2", "Explain how to recognise volunteers' contribution"),
    ]


def test_qualification_and_rules_of_combination(variations):
    q = variations.qualification
    assert (q.number, q.title, q.level, q.glh, q.tqt, q.accreditation_number) == (
        "7777-02", "Level 2 in Community Transport Operations", 2, 60, 80, "T00/0000/1"
    )
    rules = variations.rules_of_combination
    assert rules.credits_required == 8
    assert rules.description.startswith("To achieve the Level 2 in Community Transport Operations learners")
    assert [(g.name, g.mandatory, g.units, g.min_credits, g.max_credits) for g in rules.groups] == [
        ("Mandatory", True, ["201", "202"], 2, None),
        ("Optional Group A", False, ["203", "206"], None, 3),
        ("Optional Group B", False, ["204", "205"], None, None),
    ]
    # "Unit 201 is also mentioned here" in the appendix is not a unit.
    assert [u.number for u in variations.units] == ["201", "202", "203", "204", "205", "206"]


def test_plain_text_export_reads_the_same_as_markdown(variations):
    result = parse_handbook(PLAIN.read_text(encoding="utf-8"))
    assert result.gaps == []
    assert result.specification == variations
    assert len(result.warnings) == 7


def test_markdown_pipe_tables_are_read():
    text = VARIATIONS.read_text(encoding="utf-8").replace(
        "Unit number\tOutcome\tNo. of marks\t%\n201\t1 Understand how journeys are planned\t12\t60\n"
        "\t2 Know how to confirm a booking\t8\t40\n\tTotal\t20\t100",
        "| Unit number | Outcome | No. of marks | % |\n|---|---|---|---|\n"
        "| 201 | 1 Understand how journeys are planned | 12 | 60 |\n"
        "| | 2 Know how to confirm a booking | 8 | 40 |\n| | Total | 20 | 100 |",
    )
    assert "| 201 |" in text
    spec = parse_handbook(text).specification
    assert [(o.marks, o.weighting_percent) for o in spec.unit("201").outcomes] == [(12, 60), (8, 40)]


# --- what cannot be read ---------------------------------------------------------------


def test_unreadable_values_are_named_and_nothing_is_written(tmp_path):
    out = tmp_path / "spec.yaml"
    result = run(GAPS, "-o", out)
    assert result.exit_code == 1
    assert not out.exists()
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: unit 101 (line {line_of(GAPS, '**Unit 101:**')}): no duration or time allowance found in "
        "its test specification",
        f"error: unit 101 outcome 1 (line {line_of(GAPS, '101⇥1 Know how to sort')}): marks \"ten\" are "
        "not a whole number",
        f"error: unit 102 (line {line_of(GAPS, 'a fortnight')}): time allowance \"a fortnight\" is not a "
        "duration I can read (e.g. \"1 hour 30 minutes\", \"45 minutes\", \"1½ hours\", \"90 mins\", "
        "\"2.5 hours\")",
        "error: nothing written: 3 things could not be read from gaps.md; correct the handbook text, "
        "or use --partial to write a file with each gap marked FILL IN",
    ]
    assert "Traceback" not in result.output


def test_a_failed_import_leaves_an_existing_file_untouched(tmp_path):
    out = tmp_path / "spec.yaml"
    out.write_text("# the last good import\n", encoding="utf-8")
    assert run(GAPS, "-o", out).exit_code == 1
    assert out.read_text(encoding="utf-8") == "# the last good import\n"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_partial_writes_the_gaps_marked_for_a_person_to_fill(tmp_path):
    out = tmp_path / "spec.yaml"
    result = run(GAPS, "--partial", "-o", out)
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "# INCOMPLETE: 3 things could not be read" in text
    assert (
        "    time_allowance_minutes: null  # FILL IN: no duration or time allowance found in its test "
        f"specification (line {line_of(GAPS, '**Unit 101:**')})\n"
    ) in text
    assert (
        f"        marks: null  # FILL IN: marks \"ten\" are not a whole number (line {line_of(GAPS, '⇥ten⇥')})\n"
    ) in text
    assert "time_allowance_minutes: null  # FILL IN: time allowance \"a fortnight\"" in text
    assert "    time_allowance_minutes: 60\n" in text  # what could be read is there
    assert f"gap: unit 101 (line {line_of(GAPS, '**Unit 101:**')}): no duration or time allowance" in result.stderr
    assert "written INCOMPLETE (3 marked FILL IN)" in result.stderr
    # `marker-tui check` refuses the file until a person fills the gaps in.
    checked = CliRunner().invoke(check, [str(out)])
    assert checked.exit_code == 1
    assert "time_allowance_minutes" in checked.output


def test_a_unit_with_no_section_is_a_gap(tmp_path):
    text = VARIATIONS.read_text(encoding="utf-8")
    start, end = text.index("## Unit 204"), text.index("## Unit 205")
    handbook = tmp_path / "no-204.md"
    handbook.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run(handbook)
    assert result.exit_code == 1
    assert (
        f"error: unit 204 (line {line_of(handbook, '**Unit 204:**')}): has no unit section "
        "(level, GLH, credits, assessment criteria)"
    ) in result.stderr.splitlines()


def test_a_test_specification_without_marks_table_is_a_gap(tmp_path):
    text = VARIATIONS.read_text(encoding="utf-8")
    table = "Unit number\tOutcome\tNo. of marks\t%\n203\t1 Know how to carry out daily vehicle checks\t15\t100\n\tTotal\t15\t100\n"
    assert table in text
    handbook = tmp_path / "no-table.md"
    handbook.write_text(text.replace(table, ""), encoding="utf-8")
    result = run(handbook)
    assert result.exit_code == 1
    assert (
        f"error: unit 203 (line {line_of(handbook, '**Unit 203:**')}): no outcome table "
        "(Outcome | No. of marks or questions | %) found in its test specification"
    ) in result.stderr.splitlines()


def test_a_figure_that_is_not_a_positive_number_is_a_gap_at_its_line(tmp_path):
    text = VARIATIONS.read_text(encoding="utf-8")
    handbook = tmp_path / "level-0.md"
    handbook.write_text(text.replace("<b>GLH:</b>\t6", "<b>GLH:</b>\t0"), encoding="utf-8")
    result = run(handbook)
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("error: unit")] == [
        f"error: unit 204 (line {line_of(handbook, '<b>GLH:</b>⇥0')}): GLH \"0\" is not a positive whole number"
    ]


# --- files: .docx, encodings, paths -----------------------------------------------------


def _table(document, rows):
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value


def _bold_then(document, bold, rest, style=None):
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(bold).bold = True
    paragraph.add_run(rest)


def build_docx(path: Path) -> None:
    """A two-unit handbook in Word form: headings, bold runs, tables, bulleted criteria."""
    d = Document()
    d.add_heading("Level 2 in Community Transport Operations (7777-02)", level=1)
    _table(d, [["Title and level", "City & Guilds number", "GLH", "TQT"],
               ["Level 2 in Community Transport Operations", "7777-02", "16", "24"]])
    d.add_heading("Structure", level=2)
    _bold_then(d, "To achieve", " the qualification learners must complete 2 credits. "
               "2 credits to be taken from (201-202)")
    d.add_heading("Mandatory", level=3)
    _table(d, [["201", "Planning passenger journeys", "2", "1"], ["202", "Safeguarding passengers", "2", "1"]])
    d.add_heading("Test specifications", level=2)
    for number, title, allowance, rows in (
        ("201", "Planning passenger journeys", "1 hour",
         [["201", "1 Understand how journeys are planned", "12", "60"],
          ["", "2 Know how to confirm a booking", "8", "40"], ["", "Total", "20", "100"]]),
        ("202", "Safeguarding passengers", "45 minutes",
         [["202", "1 Know how to recognise risks to passengers", "10", "100"], ["", "Total", "10", "100"]]),
    ):
        _bold_then(d, f"Unit {number}:", f" {title}")
        _bold_then(d, "Recommended time allowance:", f" {allowance}")
        _table(d, [["Unit number", "Outcome", "No. of marks", "%"], *rows])
    d.add_heading("5 Units", level=2)
    for number, title, glh, outcomes in (
        ("201", "Planning passenger journeys", "8",
         [("1", "understand how journeys are planned",
           [("1.1 describe the ", "information", " needed to plan a journey"),
            ("1.2 explain how to choose a ", "route", ".")]),
          ("2", "know how to confirm a booking", [("2.1 describe how to confirm a ", "booking", ".")])]),
        ("202", "Safeguarding passengers", "8",
         [("1", "know how to recognise risks to passengers", [("1.1 identify ", "risks", " to passengers.")])]),
    ):
        d.add_heading(f"Unit {number}", level=2)
        d.add_heading(title, level=2)
        _table(d, [["Level:", "2"], ["GLH:", glh], ["Credits:", "1"]])
        for outcome_number, outcome_title, criteria in outcomes:
            d.add_heading("Learning outcome", level=3)
            d.add_paragraph("The learner will:")
            d.add_paragraph(f"{outcome_number}. {outcome_title}")
            d.add_heading("Assessment criteria", level=3)
            d.add_paragraph("The learner can:")
            for before, bold, after in criteria:
                paragraph = d.add_paragraph(style="List Bullet")
                paragraph.add_run(before)
                paragraph.add_run(bold).bold = True
                paragraph.add_run(after)
            d.add_heading("Range", level=3)
            _bold_then(d, "Information", " pick-up point, destination")
    d.save(str(path))


def test_docx_handbook_is_imported(tmp_path):
    handbook = tmp_path / "handbook.docx"
    build_docx(handbook)
    out = tmp_path / "spec.yaml"
    result = run(handbook, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert warnings_of(result) == []
    spec = load_specification(out)
    assert (spec.qualification.number, spec.qualification.glh, spec.qualification.tqt) == ("7777-02", 16, 24)
    assert spec.rules_of_combination.groups[0].units == ["201", "202"]
    assert [(u.number, u.title, u.time_allowance_minutes, u.glh) for u in spec.units] == [
        ("201", "Planning passenger journeys", 60, 8),
        ("202", "Safeguarding passengers", 45, 8),
    ]
    assert [(c.number, c.text) for c in spec.unit("201").all_criteria()] == [
        ("1.1", "describe the information needed to plan a journey"),
        ("1.2", "explain how to choose a route"),
        ("2.1", "describe how to confirm a booking"),
    ]
    assert spec.unit("202").outcomes[0].criteria[0].text == "identify risks to passengers"


def test_text_that_is_not_utf8_is_refused_with_the_line(tmp_path):
    handbook = tmp_path / "handbook.txt"
    handbook.write_bytes("Title\nSecond line\nIt\u2019s here\n".encode("cp1252"))
    result = run(handbook, "-o", tmp_path / "spec.yaml")
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {handbook}:3: is not UTF-8 text: byte 0x92 (fix: save or export it as UTF-8, or as .docx)\n"
    )
    assert not (tmp_path / "spec.yaml").exists()


def test_missing_file_and_missing_output_folder_get_clear_messages(tmp_path):
    result = run(tmp_path / "nowhere.md")
    assert result.exit_code == 1
    assert result.stderr == f"error: {tmp_path / 'nowhere.md'}: no such file (fix: check the path)\n"
    result = run(VARIATIONS, "-o", tmp_path / "no-such-folder" / "spec.yaml")
    assert result.exit_code == 1
    assert f"error: cannot write {tmp_path / 'no-such-folder' / 'spec.yaml'}: folder" in result.stderr
    assert "Traceback" not in result.output


def test_without_output_option_yaml_goes_to_stdout_and_messages_to_stderr():
    result = run(VARIATIONS)
    assert result.exit_code == 0
    assert result.stdout.startswith("# 7777-02 Level 2 in Community Transport Operations: test specification.\n")
    assert "warning:" not in result.stdout
    assert "\nqualification:\n  number: 7777-02\n" in result.stdout


def test_the_command_is_registered_on_marker_tui():
    from marker_tui.interfaces.cli.main import cli

    result = CliRunner().invoke(cli, ["import-handbook", "--help"])
    assert result.exit_code == 0
    assert "HANDBOOK" in result.output and "--partial" in result.output


# --- the writer --------------------------------------------------------------------------


def test_writer_round_trips_and_keeps_criterion_numbers_as_text(tmp_path, variations):
    data = variations.model_dump()
    data["units"][0]["outcomes"][0]["criteria"] += [
        {"number": f"1.{n}", "text": f"criterion {n}"} for n in range(3, 11)
    ]
    spec = TestSpecification.model_validate(data)
    out = tmp_path / "spec.yaml"
    out.write_text(specification_yaml(spec, header=["a header"]), encoding="utf-8")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# a header\nqualification:\n")
    assert '          - number: "1.10"\n' in text
    assert load_specification(out) == spec
    assert specification_yaml(spec) == specification_yaml(spec)


def test_the_output_never_replaces_the_handbook_and_an_existing_file_only_with_force(tmp_path):
    # `-o` silently overwrote any file, the handbook being read included (it was gone, replaced by YAML).
    handbook = tmp_path / "handbook.md"
    handbook.write_text(VARIATIONS.read_text(encoding="utf-8"), encoding="utf-8")
    before = handbook.read_bytes()
    refused = run(handbook, "-o", handbook)
    assert refused.exit_code == 1 and "is the handbook being read" in refused.stderr
    assert handbook.read_bytes() == before
    existing = tmp_path / "spec.yaml"
    existing.write_text("keep me\n", encoding="utf-8")
    refused = run(handbook, "-o", existing)
    assert refused.exit_code == 1 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    replaced = run(handbook, "-o", existing, "--force")
    assert replaced.exit_code == 0, replaced.stderr
    assert existing.read_text(encoding="utf-8") != "keep me\n"
