"""Admission slips: one per candidate, printed and handed out (or read out) by the invigilator.

``.csv`` (one row per candidate, for a mail merge) or anything else as plain
printable text, one slip per block between cut lines. The sitting's exit code is
not on the learners' slips: it goes on a separate invigilator's slip at the end.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from marker_tui.documents.text_cleaning import clean_text
from marker_tui.domain.local_time import DATE_MINUTE, local_time
from marker_tui.domain.reports import AdmissionSlips

_CUT = "- " * 36 + "✂"


def slips_text(slips: AdmissionSlips) -> str:
    issued = local_time(slips.issued_at, DATE_MINUTE)
    paper = f"{slips.qualification} unit {slips.unit}" + (f": {slips.paper_title}" if slips.paper_title else "")
    blocks = []
    for slip in slips.slips:
        blocks.append("\n".join([
            f"ADMISSION SLIP · {clean_text(slips.centre or 'marker-tui')}",
            f"Assessment:        {clean_text(paper)}",
            f"Sitting code:      {slips.sitting_code}",
            f"Candidate number:  {slip.candidate_number}",
            f"Name:              {clean_text(slip.name)}",
            f"Keycode:           {slip.keycode}",
            "",
            "Type the sitting code, your candidate number and this keycode to log in.",
            "Keep this slip to yourself: the keycode lets you (and only you) into your paper.",
            f"Issued {issued} by {clean_text(slips.issued_by)}; earlier slips no longer work.",
        ]))
    blocks.append("\n".join([
        f"INVIGILATOR'S SLIP · {slips.sitting_code} · not for learners",
        f"Exit code (closes a learner's terminal in this sitting): {slips.exit_code or '-'}",
        f"{len(slips.slips)} admission slip(s) issued {issued} by {clean_text(slips.issued_by)}.",
    ]))
    return ("\n" + _CUT + "\n\n").join(block + "\n" for block in blocks)


def slips_csv(slips: AdmissionSlips) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["centre", "sitting_code", "qualification", "unit", "candidate_number", "name", "keycode"])
    for slip in slips.slips:
        writer.writerow([slips.centre or "", slips.sitting_code, slips.qualification, slips.unit,
                         slip.candidate_number, slip.name, slip.keycode])
    return out.getvalue()


def write_slips(slips: AdmissionSlips, path: Path) -> None:
    text = slips_csv(slips) if path.suffix.lower() == ".csv" else slips_text(slips)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole or not at all: a half-written slips file would hand out the wrong codes.
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    # Every keycode and the exit code: readable by the invigilator who printed it, nobody else.
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
    partial.replace(path)
