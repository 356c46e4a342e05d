"""import-handbook on the layouts real handbooks use, on PDFs, and on the two real
handbooks in ../shared/reference/handbooks/ when they are present.

The fixtures (tests/fixtures/handbooks/layouts.txt, short-table.txt) are re-typed in
the shape of real handbooks with invented titles and figures; PDFs are generated
here (tests/pdf_maker.py). The real handbooks are test input only (never copied into
the repository); set MARKER_TUI_REFERENCE_DIR to a folder holding handbooks/ to use
another copy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from marker_tui.domain.handbook import parse_handbook
from marker_tui.domain.handbook_pages import join_pages
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.specification import TestSpecification
from marker_tui.domain.validation import check_paper
from marker_tui.interfaces.cli.handbook import import_handbook
from marker_tui.storage.handbook_pdf import read_handbook

from pdf_maker import write_pdf
from test_handbook_import import REFERENCE, REFERENCE_DIR, needs_reference

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "handbooks"
HANDBOOKS = REFERENCE_DIR / "handbooks"
C2365 = HANDBOOKS / "cg-2365-02-handbook-v1-11.pdf"
C2357 = HANDBOOKS / "cg-2357-handbook-v6-1.pdf"
needs_handbooks = pytest.mark.skipif(
    not (C2365.exists() and C2357.exists()),
    reason="the real handbooks (../shared/reference/handbooks/*.pdf) are not present")


def run(*args: str | Path):
    return CliRunner().invoke(import_handbook, [str(a) for a in args])


def specs_of(result) -> dict[str, tuple]:
    """Each unit's test specification as (test number, minutes, figures, [(outcome, n, %)], total)."""
    out = {}
    for u in result.data["units"]:
        if not u["outcomes"]:
            continue
        rows = [(o["number"], o["marks"], o["weighting_percent"]) for o in u["outcomes"]]
        out[u["number"]] = (u.get("test_number"), u["time_allowance_minutes"], u["figures"], rows,
                            sum(r[1] for r in rows))
    return out


def unit_gaps(result, unit: str) -> list[str]:
    return [g.message for g in result.gaps if g.unit == unit and "has no unit section" not in g.message]


# --- layouts --------------------------------------------------------------------------------


def test_every_layout_of_the_fixture_is_read_figure_for_figure():
    result = parse_handbook((FIXTURES / "layouts.txt").read_text(encoding="utf-8"))
    found = specs_of(result)
    assert found == {
        # "Test: Unit 601", a Unit column, "Number of / questions" over two lines,
        # titles wrapped over two and three lines, a blank line inside the table.
        "601": (None, 40, "questions", [(1, 4, 16), (2, 6, 24), (3, 7, 28), (4, 8, 32)], 25),
        # "Test : Unit 309", "1½ hours", "1." numbers, % printed "7%", Total after a blank line.
        "309": (None, 90, "questions", [(1, 4, 7), (2, 10, 17), (3, 46, 76)], 60),
        # "5357-001: Title", "Number of Possible Marks" over three lines, "Approx %",
        # decimals, the time allowed after the table.
        "5357-001": (None, 40, "marks", [(1, 7, 17.5), (2, 2, 5), (3, 31, 77.5)], 40),
        # "Unit: NETK3-01:", no % column, "2.5 hours", outcomes 1, 2, 3, 7 (6 is by assignment).
        "NETK3-01": (None, 150, "marks", [(1, 10, None), (2, 15, None), (3, 5, None), (7, 10, None)], 40),
        # One outcome numbered 7, "Percentage %", sub-rows 07.01.01 that are not outcomes.
        "305": (None, 90, "questions", [(7, 15, 100)], 15),
    }
    titles = {u["number"]: [o["title"] for o in u["outcomes"]] for u in result.data["units"]}
    assert titles["601"][0] == "Know the laws that apply to handling post in the sorting office"
    assert titles["601"][3] == "Know the hazards of conveyor belts, trolleys and franking machines"
    assert titles["309"][1] == "understand how parcels are labelled for delivery abroad"
    assert titles["305"] == ["know the requirements for the installation of wiring systems and enclosures"]
    for unit in found:
        assert unit_gaps(result, unit) == ([] if unit != "309" else [
            "no unit title: neither the test specification nor a unit section or structure table gives one"])
    assert [str(w) for w in result.warnings if w.unit == "NETK3-01"] == [
        'unit NETK3-01 outcome 6 (line 49): outcome 6 is not in the test ("Know how to test a link  '
        'Assessed by assignment"); left out']


def test_a_table_that_stops_short_or_does_not_add_up_is_a_gap_not_a_warning(tmp_path):
    handbook = FIXTURES / "short-table.txt"
    result = parse_handbook(handbook.read_text(encoding="utf-8"))
    assert unit_gaps(result, "101") == [
        "the outcome table stops at line 7 without reaching a Total row, so rows may be missing; check the "
        "table in the handbook (each outcome row needs its figures, and the table must end with its Total row)"]
    assert unit_gaps(result, "102") == [
        "the outcome rows add up to 18 marks but the Total row states 20: a row was not read whole or is "
        "missing; check the table (a title or figure split over lines)"]
    out = tmp_path / "spec.yaml"
    cli = run(handbook, "--partial", "-o", out)
    assert cli.exit_code == 0, cli.output
    text = out.read_text(encoding="utf-8")
    assert "    outcomes:  # FILL IN: the outcome rows add up to 18 marks but the Total row states 20" in text
    assert "written INCOMPLETE" in cli.stderr


def _wrap_titles(text: str, only: str | None = None) -> str:
    """The reference handbook with outcome titles wrapped as PDF text wraps them: the
    title's second half on a line of its own below the row."""
    lines = []
    for line in text.splitlines():
        cells = line.split("\t")
        if len(cells) == 4 and re.match(r"^\d+ \S", cells[1]) and (only is None or cells[1].startswith(only)):
            words = cells[1].split(" ")
            half = max(2, len(words) // 2)
            if len(words) > half:
                lines.append("\t".join([cells[0], " ".join(words[:half]), cells[2], cells[3]]))
                lines.append(" ".join(words[half:]))
                continue
        lines.append(line)
    return "\n".join(lines) + "\n"


@needs_reference
@pytest.mark.parametrize("only", ["2 Know how to meet organisational", None], ids=["unit 306 outcome 2", "every title"])
def test_reference_with_wrapped_outcome_titles_imports_exactly(only):
    text = REFERENCE.read_text(encoding="utf-8")
    wrapped = _wrap_titles(text, only)
    assert wrapped != text
    expected = parse_handbook(text).specification
    result = parse_handbook(wrapped)
    assert result.gaps == []
    assert result.specification == expected
    unit = result.specification.unit("306")
    assert [o.marks for o in unit.outcomes] == [15, 20, 15] and unit.total_marks == 50


@needs_reference
def test_reference_with_a_row_lost_is_an_error_and_nothing_is_written(tmp_path):
    text = REFERENCE.read_text(encoding="utf-8")
    lost = "\n".join(l for l in text.splitlines() if not l.startswith("\t3 Understand how to support customers"))
    handbook = tmp_path / "lost.md"
    handbook.write_text(lost, encoding="utf-8")
    out = tmp_path / "spec.yaml"
    result = run(handbook, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert ("error: unit 306 (line 226): the outcome rows add up to 35 marks but the Total row states 50: a row "
            "was not read whole or is missing; check the table (a title or figure split over lines)"
            ) in result.stderr.splitlines()


# --- PDF ------------------------------------------------------------------------------------

_PAGE_HEAD = (60, 815, "Invented Handbook for Post Room Staff (9999-01)")


def _page(number: int, rows: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    return [_PAGE_HEAD, *rows, (290, 30, str(number))]


def _post_room_pdf(path: Path) -> Path:
    """Three pages with a running head and page numbers; unit 601's table runs onto page 3."""
    page1 = _page(1, [(60, 760, "Test: Unit 601 Safe working in a sorting office"), (60, 745, "Duration: 40 minutes"),
                      (60, 720, "Outcome"), (400, 720, "No. of"), (480, 720, "%"), (400, 708, "questions"),
                      (60, 690, "01 Know the laws that apply to"), (420, 690, "4"), (480, 690, "40"),
                      (60, 678, "handling post")])
    page2 = _page(2, [(60, 760, "02 Know how to lift sacks"), (420, 760, "6"), (480, 760, "60")])
    page3 = _page(3, [(350, 760, "Total"), (420, 760, "10"), (480, 760, "100"),
                      (60, 700, "Test: Unit 602 Franking"), (60, 685, "Time Allowed: 1 hour"),
                      (60, 660, "Outcome"), (400, 660, "No. of marks"), (480, 660, "%"),
                      (60, 640, "1. Know the rates"), (420, 640, "12"), (480, 640, "40"),
                      (60, 625, "2. Know the machine"), (420, 625, "18"), (480, 625, "60"),
                      (350, 610, "Total"), (420, 610, "30"), (480, 610, "100")])
    return write_pdf(path, [page1, page2, page3])


def test_pdf_is_read_with_running_heads_and_page_numbers_dropped_and_tables_joined(tmp_path):
    text, pages = read_handbook(_post_room_pdf(tmp_path / "post.pdf"))
    assert "Invented Handbook" not in text
    assert not any(re.fullmatch(r"\s*\d\s*", line) for line in text.splitlines())
    result = parse_handbook(text, pages)
    assert specs_of(result) == {
        "601": (None, 40, "questions", [(1, 4, 40), (2, 6, 60)], 10),
        "602": (None, 60, "marks", [(1, 12, 40), (2, 18, 60)], 30),
    }
    assert result.data["units"][0]["outcomes"][0]["title"] == "Know the laws that apply to handling post"
    # Messages name the PDF's page, where a person looks.
    assert "unit 601 (page 1): has no unit section (level, GLH, credits, assessment criteria)" in \
        [str(g) for g in result.gaps]


def test_pdf_running_heads_need_several_pages_and_a_total_row_is_never_one():
    pages = [["Head of every page 1", "Total   10   100", "text"], ["Head of every page 2", "Total   10   100"],
             ["Head of every page 3", "Total   10   100"]]
    joined = join_pages(pages)
    assert "Head of every page" not in joined.text
    assert joined.text.count("Total   10   100") == 3
    assert join_pages([["Only two pages", "a"], ["Only two pages", "b"]]).text.count("Only two pages") == 2


def test_a_heading_that_often_opens_a_page_is_kept_because_it_is_also_printed_mid_page():
    # As in a real handbook: "Learning outcome" / "The learner will:" open five of six
    # pages (right under the running head) and are printed mid-page too.
    pages = []
    for number in range(1, 7):
        page = [f"Invented Handbook for Post Room Staff   {number}"]
        if number != 6:
            page += ["Learning outcome", "The learner will:", f"{number}. Know sorting rule {number}"]
        page += ["Assessment criteria", "The learner can:", "1.  state the rule", "Range", "Sacks, trays"]
        if number in (2, 4):
            page += ["Learning outcome", "The learner will:", f"{number + 10}. Know franking rule {number}"]
        pages.append(page + ["Notes for guidance", "Sorting is taught in the post room.", "See the centre guide."])
    text = join_pages(pages).text
    assert "Invented Handbook" not in text
    assert text.count("Learning outcome") == 7 and text.count("The learner will:") == 7


@pytest.mark.parametrize("kind, message", [
    ("encrypted", "the PDF is password-protected; open it with its password and save or print an unprotected "
                  "copy, then import that"),
    ("scanned", "the PDF has no text on any of its 1 page(s): it is probably scanned images; use the awarding "
                "body's published (text) PDF, or run it through OCR and import the text"),
    ("truncated", "the PDF is damaged or incomplete and cannot be opened (PDFium: Data format error); "
                  "download it again"),
    ("not a pdf", "is not a PDF (it does not start with %PDF); check the file, or give its text as .md/.txt "
                  "or .docx"),
])
def test_unreadable_pdfs_get_one_clear_message_and_no_traceback(tmp_path, kind, message):
    path = tmp_path / "handbook.pdf"
    rows = [[(60, 760, "Test: Unit 601 Safe working")]]
    if kind == "encrypted":
        write_pdf(path, rows, encrypt=True)
    elif kind == "scanned":
        write_pdf(path, rows, drawing_only=True)
    elif kind == "truncated":
        data = write_pdf(path, rows).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_text("Unit 601\nThis is a text file named .pdf\n", encoding="utf-8")
    result = run(path, "-o", tmp_path / "spec.yaml")
    assert result.exit_code == 1
    assert result.stderr == f"error: {path}: {message}\n"
    assert not (tmp_path / "spec.yaml").exists()


# --- specifications that count questions ----------------------------------------------------


def _questions_spec() -> TestSpecification:
    return TestSpecification.model_validate({
        "qualification": {"number": "9999-01", "title": "Level 2 Post Room", "level": 2, "glh": 10, "tqt": 20},
        "rules_of_combination": {"credits_required": 1, "groups": [{"name": "Mandatory", "units": ["201"]}]},
        "units": [{"number": "201", "title": "Safe working", "level": 2, "credits": 1, "glh": 10,
                   "time_allowance_minutes": 40, "figures": "questions", "test_number": "601",
                   "outcomes": [{"number": 1, "title": "Know the law", "marks": 2, "weighting_percent": 67},
                                {"number": 2, "title": "Know the hazards", "marks": 1, "weighting_percent": 33}]}],
    })


def _paper(outcomes: list[int]) -> QuestionPaper:
    return QuestionPaper.model_validate({
        "qualification": "9999-01", "unit": "201", "version": "1.0", "title": "Safe working",
        "instructions": "Answer all questions.",
        "questions": [{"id": str(i + 1), "outcome": o, "marks": 5, "command_verb": "describe",
                       "text": f"Describe hazard {i + 1}."}
                      for i, o in enumerate(outcomes)],
    })


def test_check_counts_questions_per_outcome_when_the_specification_counts_questions():
    spec = _questions_spec()
    errors = lambda paper: [p.message for p in check_paper(paper, spec) if p.severity == "error"]  # noqa: E731
    # Marks are free (5 each); the number of questions per outcome is what must match.
    assert errors(_paper([1, 1, 2])) == []
    assert errors(_paper([1, 2, 2])) == [
        "outcome 1 has 1 questions in the paper; the specification asks for 2",
        "outcome 2 has 2 questions in the paper; the specification asks for 1",
    ]
    assert errors(_paper([1, 1])) == [
        "the paper has 2 questions; unit 201's specification asks for 3",
        "outcome 2 has 0 questions in the paper; the specification asks for 1",
    ]


# --- the real handbooks ---------------------------------------------------------------------

TRUE_2365 = {
    "201": ("601", 40, "questions", [(1, 4, 16), (2, 6, 24), (3, 7, 28), (4, 8, 32)], 25),
    "202": ("602", 90, "questions", [(1, 2, 5), (2, 5, 13), (3, 7, 18), (4, 15, 37), (5, 7, 17), (6, 4, 10)], 40),
    "203": (None, 75, "questions", [(1, 3, 8), (2, 5, 12), (3, 15, 38), (4, 9, 22), (5, 5, 12), (6, 3, 8)], 40),
    "210": (None, 40, "questions", [(1, 5, 25), (2, 9, 45), (3, 6, 30)], 20),
}
TRUE_2357 = {
    "601": ("301", 40, "questions", [(1, 2, 10), (2, 7, 35), (3, 5, 25), (4, 6, 30)], 20),
    "602": ("102", 70, "questions", [(1, 9, 29), (2, 3, 10), (3, 19, 61)], 31),
    "605": ("305", 45, "questions", [(7, 15, 100)], 15),
    "006": (None, 120, "questions", [(1, 4, 6), (2, 2, 4), (3, 6, 10), (4, 15, 25), (5, 14, 24), (6, 4, 6),
                                     (7, 10, 16), (8, 5, 9)], 60),
    "018": (None, 120, "questions", [(1, 4, 7), (2, 2, 3), (3, 6, 10), (4, 15, 25), (5, 14, 23), (6, 4, 7),
                                     (7, 10, 17), (8, 5, 8)], 60),
    "022": (None, 120, "questions", [(1, 4, 7), (2, 2, 3), (3, 6, 10), (4, 15, 25), (5, 14, 23), (6, 4, 7),
                                     (7, 7, 12), (8, 8, 13)], 60),
    "607": ("107", 80, "questions", [(1, 7, 17.5), (2, 2, 5), (3, 31, 77.5)], 40),
    "609": ("309", 60, "questions", [(1, 2, 7), (2, 6, 20), (3, 7, 23), (4, 15, 50)], 30),
}


def _real(path: Path):
    text, pages = read_handbook(path)
    return parse_handbook(text, pages)


@needs_handbooks
@pytest.mark.parametrize("path, truth", [(C2365, TRUE_2365), (C2357, TRUE_2357)], ids=["2365-02", "2357"])
def test_every_test_specification_of_the_real_handbooks_is_exact(path, truth):
    result = _real(path)
    assert specs_of(result) == truth
    for unit in truth:  # each table was read whole: no gap in any test specification
        assert not [g for g in result.gaps if g.unit == unit and g.field in ("outcomes", "marks",
                                                                              "weighting_percent",
                                                                              "time_allowance_minutes")]
    if path == C2365:
        titles = {u["number"]: u for u in result.data["units"]}
        assert titles["201"]["title"] == "Health and safety in building services engineering"
        assert [o["title"] for o in titles["201"]["outcomes"]][1] == (
            "Understand the procedures for dealing with Environmental and Health and Safety situations in "
            "the work environment")
        # Unit sections: "Level: Level 2", "1." criteria numbers within each outcome, and
        # "Learning outcome" headings that open a page (not running heads) all read.
        for number, fields, criteria in (("201", (2, 3, 26), [2, 7, 9, 8]), ("202", (2, 10, 89), [1, 3, 4, 8, 5, 2])):
            unit = titles[number]
            assert (unit["level"], unit["credits"], unit["glh"]) == fields
            assert [len(o["criteria"]) for o in unit["outcomes"]] == criteria
            assert [c["number"] for c in unit["outcomes"][0]["criteria"]] == [f"1.{n}" for n in range(1, criteria[0] + 1)]
        # The qualification table's header and title wrap over lines; "2365 - 02" as PDF text spaces it.
        qualification = result.data["qualification"]
        assert (qualification["number"], qualification["level"], qualification["glh"], qualification["tqt"]) == (
            "2365-02", 2, 454, 490)
        # A hyphen's sliver of a box no longer splits a word ("current - carrying").
        words = " ".join(c["text"] for o in titles["202"]["outcomes"] for c in o["criteria"])
        assert "current-carrying conductor" in words and "single-loop generator" in words
    else:
        # "Test: Unit 301" is unit 601's test: its section says "online multiple-choice test (2357-301)".
        unit = next(u for u in result.data["units"] if u["number"] == "601")
        # Its section, laid out page by page (read by eye from pages 46-50).
        assert unit["title"].startswith("Understanding Health and Safety legislation, practices and procedures")
        assert (unit["level"], unit["credits"], unit["glh"]) == (3, 6, 54)
        assert [len(o["criteria"]) for o in unit["outcomes"]] == [2, 6, 8, 8]
        assert unit["outcomes"][3]["title"] == (
            "understand the requirements for identifying and dealing with hazards in the work environment.")


@needs_handbooks
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("path", [C2365, C2357], ids=["2365-02", "2357"])
def test_pdftotext_layout_output_gives_the_same_test_specifications(tmp_path, path):
    text_file = tmp_path / "handbook.txt"
    subprocess.run(["pdftotext", "-layout", str(path), str(text_file)], check=True)
    from_text, from_pdf = parse_handbook(*read_handbook(text_file)), _real(path)
    assert specs_of(from_text) == specs_of(from_pdf)

    def sections_of(result) -> dict[str, tuple]:
        return {u["number"]: (u["title"] is not None, u["level"], u["credits"], u["glh"],
                              [[c["number"] for c in o["criteria"]] for o in u["outcomes"]])
                for u in result.data["units"]}
    # The unit sections too: fields, and every criterion of every outcome (only the
    # wording may differ where the PDF sets words apart without a space character).
    assert sections_of(from_text) == sections_of(from_pdf)
    assert from_text.data["qualification"]["number"] == from_pdf.data["qualification"]["number"]


@needs_handbooks
def test_the_real_handbook_imports_complete_and_lists_what_it_read_unit_by_unit(tmp_path):
    out = tmp_path / "spec.yaml"
    result = run(C2365, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("read: ")] == [
        "read: unit 201 (test 601): 4 outcomes (1, 2, 3, 4), 40 minutes; questions 4 + 6 + 7 + 8 = 25; "
        "% 16 + 24 + 28 + 32 = 100",
        "read: unit 202 (test 602): 6 outcomes (1, 2, 3, 4, 5, 6), 90 minutes; questions 2 + 5 + 7 + 15 + 7 + 4 = 40; "
        "% 5 + 13 + 18 + 37 + 17 + 10 = 100",
        "read: unit 203: 6 outcomes (1, 2, 3, 4, 5, 6), 75 minutes; questions 3 + 5 + 15 + 9 + 5 + 3 = 40; "
        "% 8 + 12 + 38 + 22 + 12 + 8 = 100",
        "read: unit 210: 3 outcomes (1, 2, 3), 40 minutes; questions 5 + 9 + 6 = 20; % 25 + 45 + 30 = 100",
    ]
    # Unit 204 is assessed by assignment only (its row of the assessment table says so): left out,
    # and said, so the spec is complete. Everything else was read.
    assert [line for line in result.stderr.splitlines() if "left out" in line] == [
        "warning: unit 204 (page 12): no test specification: the handbook assesses this unit by assignment "
        "(line 352), so it is left out of the specification"]
    assert not [line for line in result.stderr.splitlines() if line.startswith(("gap: ", "error: "))]
    assert "written: 4 units" in result.stderr and out.exists()
    TestSpecification.model_validate(YAML(typ="safe").load(out.read_text(encoding="utf-8")))


def test_pdftotext_layout_with_wrapped_qualification_table_and_indented_unit_section_imports_complete():
    result = parse_handbook((FIXTURES / "wrapped-layout.txt").read_text(encoding="utf-8"))
    assert result.gaps == []
    spec = result.specification
    qualification = spec.qualification
    # Header cells over three lines, the title over four, "9999 - 02" spaced as PDF text spaces it.
    assert (qualification.number, qualification.title, qualification.level, qualification.glh, qualification.tqt) == (
        "9999-02", "Level 2 Diploma in Post Room (Sorting and Franking)", 2, 30, 40)
    unit = spec.unit("201")
    # Indented "Level:  Level 2" rows are the unit's fields, not rows with an empty first cell.
    assert (unit.level, unit.credits, unit.glh, unit.test_number) == (2, 3, 30, "601")
    assert [(o.number, o.marks, [c.number for c in o.criteria]) for o in unit.outcomes] == [
        (1, 4, ["1.1", "1.2"]), (2, 6, ["2.1"])]
    # The units table read by its header: credit 3, level 2 agree with the unit section
    # (no warning), the title's second line joined.
    assert [str(w) for w in result.warnings if w.unit == "201" and "taken as the test" not in w.message] == [
        'unit 201 (line 24): title differs between test specification and structure table: structure table '
        '"Sorting post in the sorting office"']


def test_a_test_named_with_the_qualification_number_in_a_unit_section_is_that_units_test():
    result = parse_handbook((FIXTURES / "cited-tests.txt").read_text(encoding="utf-8"))
    assert specs_of(result) == {
        "601": ("301", 40, "questions", [(1, 4, 40), (2, 6, 60)], 10),
        "605": ("305", 45, "questions", [(7, 15, 100)], 15),
    }
    assert [str(w) for w in result.warnings if "is taken as the test of" in w.message] == [
        "unit 601 (line 4): test 301 is taken as the test of unit 601: unit 601's section names test 301 (line 24)",
        "unit 605 (line 12): test 305 is taken as the test of unit 605: unit 605's section names test 305 (line 29)",
    ]


def test_a_unit_section_laid_out_page_by_page_is_read_whole():
    result = parse_handbook((FIXTURES / "outcome-pages.txt").read_text(encoding="utf-8"))
    unit = next(u for u in result.data["units"] if u["number"] == "601")
    # The title comes from the section (the test heading has none), its wrapped line joined.
    assert unit["title"] == "Sorting and franking post in a busy sorting office (POST 01)"
    assert (unit["test_number"], unit["level"], unit["credits"], unit["glh"]) == ("301", 3, 6, 54)
    assert [[(c["number"], c["text"]) for c in o["criteria"]] for o in unit["outcomes"]] == [
        [("1.1", "state the rules for first class post"), ("1.2", "state the rules for second class post")],
        [("2.1", "describe how to frank a letter")],
    ]
    # "Outcome 2 ... mark out ..." heads a page of criteria: never taken for a marks table.
    assert [g.message for g in result.gaps if g.unit == "601"] == []
    assert [u["number"] for u in result.data["units"]] == ["601"]


def test_a_unit_the_handbook_assesses_by_assignment_or_portfolio_is_left_out_and_said_so():
    result = parse_handbook((FIXTURES / "assessed-otherwise.txt").read_text(encoding="utf-8"))
    numbers = [u["number"] for u in result.data["units"]]
    # 104 (assignment, its row wrapped) and 105 (observation and portfolio) have no test to write.
    assert "104" not in numbers and "105" not in numbers and "107" not in numbers
    assert [str(w) for w in result.warnings if "left out" in w.message] == [
        "unit 104 (line 10): no test specification: the handbook assesses this unit by assignment (line 10), "
        "so it is left out of the specification",
        "unit 105 (line 15): no test specification: the handbook assesses this unit by observation (line 15), "
        "so it is left out of the specification",
        # As a real handbook words its AM2-style practical: "must be assessed at an approved NET centre".
        "unit 107 (line 19): no test specification: the handbook assesses this unit by an assessment at an "
        "approved centre (line 19), so it is left out of the specification",
    ]
    # A unit the handbook gives no assessment method for is still a gap: never silently dropped.
    assert [g.message for g in result.gaps if g.unit == "106"] == [
        "has no test specification (title, time allowance, outcome marks)"]
    # The unit assessed by a test is read as before.
    assert specs_of(result)["101"] == (None, 40, "questions", [(1, 4, 40), (2, 6, 60)], 10)


def test_a_structure_section_headed_qualification_structure_is_read():
    # A real handbook (C&G 2357) heads it "Qualification structure", in plain text: not found before.
    text = (FIXTURES / "variations.md").read_text(encoding="utf-8").replace("## Structure\n", "Qualification structure\n")
    result = parse_handbook(text)
    assert [g.message for g in result.gaps if g.section == "rules of combination"] == []
    assert result.data["rules_of_combination"]["credits_required"] == 8
