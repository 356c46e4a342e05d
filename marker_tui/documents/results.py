"""Results and mark sheets: :class:`ResultsSheet` as CSV or XLSX.

One row per candidate, in the order of ``sheet.rows``::

    Candidate number, Name, Unit, Sitting date, Q1 (4) ... Q16 (3),
    Outcome 1 (18) ... Outcome 4 (9), Total (45), %, Result, Marker(s),
    IQA sampled, IQA decision, Arrangements used, Fail reasons

("Fail reasons" explains a fail the total alone does not, such as an outcome
below its minimum; it is last so the columns before it stay as issue 8 lists them.)

A mark that has not been given is the text ``not marked`` (never 0, never
blank), and so is the total and the percentage of a script not fully marked.
An absent candidate's mark cells are empty and the result says ``absent``:
there was nothing to mark, so "not marked" would read as work left to do. The
same for a candidate still writing (or not started): empty, ``not submitted``.
Learners' answers are never in these files (the model has no place for them).

The XLSX has two sheets: "Results" (bold header row, frozen below the header and
right of the name column, filter buttons, column widths from the content, marks
as numbers, the percentage as a number formatted ``0.0%``, the sitting date as a
date, header row repeated on every printed page) and "Summary" (the sitting's
identity, then mean mark, facility and number marked per question, per outcome
and for the whole paper, from the marked scripts only). Both print on A4, one
page wide (Results landscape, Summary portrait), with the centre, qualification,
unit and sitting as the page title, "Page N of M" and the used range as print area;
text longer than its column wraps rather than being cut. "Marker(s)" is whose marks
stand, as ``marker-tui marks status`` names them (an IQA adjustment "(IQA)"). It is written with
openpyxl's write-only mode: it still supports frozen panes, widths and styles,
and measured as fast as normal mode with a fraction of the memory.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from marker_tui.domain.not_attempted import NOT_ATTEMPTED
from marker_tui.domain.reports import ItemSummary, ResultRow, ResultsSheet

from .text_cleaning import atomic_output, clean_text, csv_text

NOT_MARKED = "not marked"
NO_MARKS = ""
"""The mark, total and percentage cells of a candidate absent or not submitted yet: empty, as there is
nothing to mark."""
NOT_REVIEWED = "not yet reviewed"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "dd/mm/yyyy"
DECIMAL_FORMAT = "0.00"
MIN_WIDTH, MAX_WIDTH = 8, 48
LAST_COLUMN_MAX_WIDTH = 100


def headers(sheet: ResultsSheet) -> list[str]:
    """The column headings of the results file (CSV and XLSX alike)."""
    return [
        "Candidate number",
        "Name",
        "Unit",
        "Sitting date",
        *(q.heading for q in sheet.questions),
        *(o.heading for o in sheet.outcomes),
        f"Total ({sheet.max_total})",
        "%",
        "Result",
        "Marker(s)",
        "IQA sampled",
        "IQA decision",
        "Arrangements used",
        "Fail reasons",
        *(["Review of marking"] if sheet.has_reviews else []),
    ]


def _iqa_decision(row: ResultRow) -> str:
    if row.iqa_decision is not None:
        return row.iqa_decision.value
    return NOT_REVIEWED if row.iqa_sampled else ""


def _values(sheet: ResultsSheet, row: ResultRow) -> list[Any]:
    """One row's cells: ``int`` marks, ``None`` for not marked, ``""`` where there is nothing to
    mark (absent, not submitted), the percentage as 0-1."""
    if row.nothing_to_mark:
        figures: list[Any] = [NO_MARKS] * (len(sheet.questions) + len(sheet.outcomes) + 2)
    else:
        figures = [
            *(NOT_ATTEMPTED if q.id in row.not_attempted else row.question_marks[q.id] for q in sheet.questions),
            *(row.outcome_marks[o.number] for o in sheet.outcomes),
            row.total,
            None if row.percentage is None else row.percentage / 100,
        ]
    return [
        row.candidate_number,
        row.name,
        sheet.unit_number,
        sheet.sitting_date,
        *figures,
        row.result,
        "; ".join(row.markers),
        "yes" if row.iqa_sampled else "no",
        _iqa_decision(row),
        row.arrangements_used,
        "; ".join(row.fail_reasons),
        *([row.review_of_marking or ""] if sheet.has_reviews else []),
    ]


FIRST_MARK_COLUMN = 4  # 0-based index of Q1: after candidate number, name, unit, sitting date


def _percent_column(sheet: ResultsSheet) -> int:
    """0-based index of "%": after the question, outcome and total columns."""
    return FIRST_MARK_COLUMN + len(sheet.questions) + len(sheet.outcomes) + 1


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------


def write_results_csv(sheet: ResultsSheet, path: str | os.PathLike[str]) -> None:
    """Write the results sheet as CSV (header row, one row per candidate)."""
    marks = range(FIRST_MARK_COLUMN, _percent_column(sheet))
    percent = _percent_column(sheet)
    with atomic_output(path) as stream:
        # UTF-8 with a byte-order mark: without it Excel on Windows opens a CSV as
        # the local ANSI code page and turns names such as "Siân" or "مرحبا" into
        # mojibake; with it Excel and LibreOffice read UTF-8. (Python readers should
        # open it with encoding="utf-8-sig" so the mark does not join the first heading.)
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)  # RFC 4180: CRLF line ends, quotes where needed
        writer.writerow(headers(sheet))
        for row in sheet.rows:
            out: list[str] = []
            for i, value in enumerate(_values(sheet, row)):
                if value is None:
                    out.append(NOT_MARKED)
                elif value == NO_MARKS:
                    out.append(NO_MARKS)
                elif i in marks:
                    out.append(str(value))  # a number, or "not attempted"
                elif i == percent:
                    out.append(f"{row.percentage:.1f}")
                elif isinstance(value, date):
                    out.append(value.isoformat())
                else:
                    out.append(csv_text(str(value)))
            writer.writerow(out)
        text.flush()
        text.detach()


# --------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------


class _Cells:
    """Builds write-only cells with shared style objects (one lookup per style, not per cell)."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.bold = Font(bold=True)
        self.title = Font(bold=True, size=14)
        self.top = Alignment(vertical="top")
        self.wrap = Alignment(vertical="top", wrap_text=True)

    def text(self, value: str, font: Font | None = None, *, wrap: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=clean_text(value) or None)
        cell.data_type = "s"  # never a formula, even for a comment that starts with "="
        if font is not None:
            cell.font = font
        if wrap:  # long text wraps in its column instead of being cut off on screen and on paper
            cell.alignment = self.wrap
        return cell

    def number(self, value: int | float | str | None, number_format: str | None = None) -> WriteOnlyCell:
        if value is None:
            return self.text(NOT_MARKED)
        if isinstance(value, str):  # "not attempted": a blank answer is not a 0
            return self.text(value)
        cell = WriteOnlyCell(self.ws, value=value)
        if number_format:
            cell.number_format = number_format
        return cell

    def day(self, value: date) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell


def _width(text_length: int) -> float:
    return float(min(MAX_WIDTH, max(MIN_WIDTH, text_length + 2)))


def _display_length(value: Any) -> int:
    if value is None:
        return len(NOT_MARKED)
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 6
    return len(str(value))


def print_title(sheet: ResultsSheet) -> str:
    """The title printed at the top of every page: centre, qualification, unit and sitting."""
    centre = sheet.centre_name + (f" (centre {sheet.centre_number})" if sheet.centre_number else "")
    return (f"{centre} \u2022 {sheet.qualification_number} {sheet.qualification_title} \u2022 "
            f"Unit {sheet.unit_number} {sheet.unit_title} \u2022 Sitting {sheet.sitting_code}, "
            f"{sheet.sitting_date.strftime('%d/%m/%Y')}")


def _set_printing(ws: WriteOnlyWorksheet, sheet: ResultsSheet, what: str, *, landscape: bool,
                  columns: int, rows: int) -> None:
    """Print set-up: the used range, one page wide, a title on every page, page numbers."""
    ws.print_area = f"A1:{get_column_letter(columns)}{max(rows, 1)}"
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToHeight = 0
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = landscape  # the results grid reads as a table on paper
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75  # inches: room for the title above the table
    ws.page_margins.header = ws.page_margins.footer = 0.3
    # Header/footer codes: "&&" is a literal ampersand; &P and &N are page and pages.
    title = clean_text(print_title(sheet)).replace("&", "&&")
    ws.oddHeader.center.text = title[:250]  # Excel refuses headers over 255 characters
    ws.oddHeader.center.size = 9
    ws.oddFooter.left.text = what
    ws.oddFooter.right.text = "Page &P of &N"


def _results_sheet(wb: Workbook, sheet: ResultsSheet) -> None:
    ws = wb.create_sheet("Results")
    cells = _Cells(ws)
    heads = headers(sheet)
    marks = range(FIRST_MARK_COLUMN, _percent_column(sheet))
    percent = _percent_column(sheet)
    table = [_values(sheet, row) for row in sheet.rows]

    # Widths and sheet settings must be set before the first row in write-only mode.
    lengths = [len(h) for h in heads]
    for values in table:
        for i, value in enumerate(values):
            length = _display_length(value)
            if length > lengths[i]:
                lengths[i] = length
    # The last column (fail reasons) may be wider: nothing is to its right to overflow into,
    # and a wrapped cell does not grow its row in every spreadsheet program.
    for i, length in enumerate(lengths, start=1):
        cap = LAST_COLUMN_MAX_WIDTH if i == len(lengths) else MAX_WIDTH
        ws.column_dimensions[get_column_letter(i)].width = float(min(cap, max(MIN_WIDTH, length + 2)))
    ws.freeze_panes = "C2"  # below the header row, right of the name column
    last = get_column_letter(len(heads))
    ws.auto_filter.ref = f"A1:{last}{len(table) + 1}"
    ws.print_title_rows = "1:1"
    _set_printing(ws, sheet, "Results", landscape=True, columns=len(heads), rows=len(table) + 1)
    wrapped = {i for i, length in enumerate(lengths)
               if length > (LAST_COLUMN_MAX_WIDTH if i == len(lengths) - 1 else MAX_WIDTH) - 2}

    ws.append([cells.text(h, cells.bold, wrap=True) for h in heads])
    for values in table:
        out = []
        for i, value in enumerate(values):
            if i in marks:
                out.append(cells.number(value))
            elif i == percent:
                out.append(cells.number(value, PERCENT_FORMAT))
            elif isinstance(value, date):
                out.append(cells.day(value))
            else:
                out.append(cells.text(str(value), wrap=i in wrapped))
        ws.append(out)


def _summary_row(cells: _Cells, item: ItemSummary, second: str, *, wrap: bool = False) -> list[WriteOnlyCell]:
    return [
        cells.text(item.label),
        cells.text(second, wrap=wrap),
        cells.number(item.max_marks),
        cells.number(item.number_marked),
        cells.number(item.mean, DECIMAL_FORMAT),
        cells.number(item.facility, DECIMAL_FORMAT),
        cells.number(item.not_attempted),
    ]


SUMMARY_NOTE = (
    "Mean mark and facility (mean ÷ maximum) are from the scripts marked for each item.",
    f'Scripts not marked are left out, not counted as 0 ("{NOT_MARKED}" where none is marked).',
    "Not attempted: of the scripts marked, how many left the item blank (counted in the mean as 0).",
)


def _summary_sheet(wb: Workbook, sheet: ResultsSheet) -> None:
    ws = wb.create_sheet("Summary")
    cells = _Cells(ws)
    summary = sheet.summary()
    for column, width in zip("ABCDEFG", (16, 44, 10, 16, 12, 10, 14)):
        ws.column_dimensions[column].width = width
    lines: list[list[WriteOnlyCell]] = []  # built first: the print area covers exactly these rows
    outcome_of = {q.id: q.outcome for q in sheet.questions}
    fully_marked = sum(1 for r in sheet.rows if r.total is not None)

    lines.append([cells.text("Results summary", cells.title)])
    for label, value in (
        ("Centre", sheet.centre_name),
        *([("Centre number", sheet.centre_number)] if sheet.centre_number else []),
        ("Qualification", f"{sheet.qualification_number} {sheet.qualification_title}"),
        ("Unit", f"{sheet.unit_number} {sheet.unit_title}"),
        ("Sitting", sheet.sitting_code),
    ):
        lines.append([cells.text(label, cells.bold), cells.text(value, wrap=True)])
    lines.append([cells.text("Sitting date", cells.bold), cells.day(sheet.sitting_date)])
    lines.append([cells.text("Candidates", cells.bold), cells.number(len(sheet.rows))])
    lines.append([cells.text("Fully marked", cells.bold), cells.number(fully_marked)])
    lines.append([])

    head = ["Maximum", "Number marked", "Mean mark", "Facility", "Not attempted"]
    lines.append([cells.text(h, cells.bold) for h in ["Question", "Outcome", *head]])
    for q, item in zip(sheet.questions, summary.questions):
        lines.append(_summary_row(cells, item, f"Outcome {outcome_of[q.id]}"))
    lines.append([])
    lines.append([cells.text(h, cells.bold) for h in ["Outcome", "Title", *head]])
    for item in summary.outcomes:
        lines.append(_summary_row(cells, item, item.title or "", wrap=True))
    lines.append(_summary_row(cells, summary.total, "Whole paper"))
    lines.append([])
    # One short line per row: a long sentence in one cell ran off the printed page.
    for note in SUMMARY_NOTE:
        lines.append([cells.text(note)])
    _set_printing(ws, sheet, "Summary", landscape=False, columns=7, rows=len(lines))
    for line in lines:
        ws.append(line)


def write_results_xlsx(sheet: ResultsSheet, path: str | os.PathLike[str]) -> None:
    """Write the results workbook: sheets "Results" and "Summary"."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "marker-tui"
    wb.properties.title = clean_text(f"Results {sheet.sitting_code}: unit {sheet.unit_number} {sheet.unit_title}")
    _results_sheet(wb, sheet)
    _summary_sheet(wb, sheet)
    buffer = io.BytesIO()  # see WordDocument.save: the zip is complete before the disk is touched
    wb.save(buffer)
    with atomic_output(path) as stream:
        stream.write(buffer.getbuffer())
