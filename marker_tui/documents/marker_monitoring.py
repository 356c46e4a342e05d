"""Marker monitoring as CSV (one row per marker) or XLSX (the same sheet, plus the flags one per
line and a sheet saying how each figure is worked out)."""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from marker_tui.domain import marker_monitoring as rules

from .text_cleaning import atomic_output, clean_text, csv_text

# The report is the service's MonitoringReport (documents sit below services, so it is not imported):
# .paper, .title, .sitting_codes, .questions, and .markers, each with .figures and .control_scripts.
MonitoringReport = Any
MarkerRow = Any


def headers(report: MonitoringReport) -> list[str]:
    return (["Marker", "Scripts marked", "Answers marked", "Mean mark %"]
            + [f"Q{q} mean mark" for q in report.questions]
            + [f"Q{q} difference from reference" for q in report.questions]
            + ["Answers compared", "Weighted kappa", "Median minutes per script", "First third %",
               "Last third %", "Control scripts", "Identical answers marked differently", "Flags"])


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def values(report: MonitoringReport, row: MarkerRow) -> list[Any]:
    f = row.figures
    by_question = {q.question_id: q for q in f.questions}
    means = [_round(by_question[q].mean_mark, 2) if q in by_question else None for q in report.questions]
    differences = [_round(by_question[q].mean_difference, 2) if q in by_question else None
                   for q in report.questions]
    minutes = None if f.median_seconds_per_script is None else round(f.median_seconds_per_script / 60, 1)
    return ([f.marker, f.scripts_marked, f.answers_marked, _round(f.mean_mark_percent, 1)] + means + differences
            + [f.agreement.n_pairs, _round(f.agreement.weighted_kappa, 2), minutes,
               _round(f.drift.first_percent, 1) if f.drift else None,
               _round(f.drift.last_percent, 1) if f.drift else None,
               row.control_scripts, len(f.inconsistent), "; ".join(f.flags) or "none"])


def write_monitoring_csv(report: MonitoringReport, path: str | os.PathLike[str]) -> None:
    with atomic_output(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")  # BOM: Excel reads UTF-8
        writer = csv.writer(text)
        writer.writerow(headers(report))
        for row in report.markers:
            writer.writerow(["" if v is None else (csv_text(v) if isinstance(v, str) else v)
                             for v in values(report, row)])
        text.flush()
        text.detach()


NOTES = [
    ("Reference marks", "The definitive mark where a lead assessor set one (standardisation and control "
                        "scripts), otherwise the IQA's mark for each answer it reviewed (latest review round). "
                        "Difference = the marker's mark minus the reference, per answer: above 0 lenient, "
                        "below 0 severe."),
    ("Time per script", "From the times marks were saved: the gap before each save counts towards the script "
                        f"saved, unless longer than {rules.BREAK_MINUTES} minutes (a break). Median over scripts."),
    ("Drift", "Share of available marks given in the first third of the marker's scripts (in the order marked) "
              "against the last third."),
    ("Flagged when", f"difference of {rules.SEVERITY_MARKS:g}+ marks on a question ({rules.MIN_REFERENCE_ANSWERS}+ "
                     f"answers compared); drift of {rules.DRIFT_POINTS:g}+ points ({rules.MIN_SCRIPTS_FOR_DRIFT}+ "
                     f"scripts); kappa below {rules.KAPPA_FLOOR:g} (10+ answers); under {rules.FAST_SHARE:g} of the "
                     "typical time per script; identical answers given different marks."),
]


def write_monitoring_xlsx(report: MonitoringReport, path: str | os.PathLike[str]) -> None:
    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "Markers"
    ws.append([clean_text(f"Marker monitoring · {report.paper}" + (f" · {report.title}" if report.title else ""))])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([clean_text("Sittings: " + ", ".join(report.sitting_codes))])
    ws.append(headers(report))
    for cell in ws[3]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in report.markers:
        ws.append([clean_text(v) if isinstance(v, str) else v for v in values(report, row)])
    ws.freeze_panes = "B4"
    ws.column_dimensions["A"].width = 22
    flags = wb.create_sheet("Flags")
    flags.append(["Marker", "Why flagged"])
    for cell in flags[1]:
        cell.font = bold
    for row in report.markers:
        for reason in row.figures.flags:
            flags.append([clean_text(row.figures.marker), clean_text(reason)])
    if flags.max_row == 1:
        flags.append(["", "No marker is flagged."])
    flags.column_dimensions["A"].width = 22
    flags.column_dimensions["B"].width = 100
    notes = wb.create_sheet("How worked out")
    for label, text in NOTES:
        notes.append([label, text])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 110
    with atomic_output(path) as stream:
        wb.save(stream)
