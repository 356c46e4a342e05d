"""The two documents of an EQA sample pack that are not exported elsewhere:
the cover sheet (what is in the pack, why each script, each file's checksum)
and the paper with its mark scheme, as the external quality assurer reads them."""

from __future__ import annotations

import os
from datetime import datetime

from marker_tui.domain.eqa import EqaPick
from marker_tui.domain.local_time import local_time
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.documents.feedback import WordDocument


def write_cover_sheet(path: str | os.PathLike[str], *, code: str, centre: str, picks: list[EqaPick],
                      files: list[tuple[str, str]], names: bool, produced_by: str, produced_at: datetime) -> None:
    doc = WordDocument(title=f"EQA sample pack: sitting {code}", author=centre,
                       footer=f"{centre}: EQA sample pack, sitting {code}")
    doc.title(f"EQA sample pack: sitting {code}")
    doc.paragraph(f"{centre}. Prepared by {produced_by} on {local_time(produced_at, '%d %B %Y at %H:%M')}.")
    doc.paragraph("Learners are named in this pack." if names else
                  "Learners are identified by candidate number only; their names are not in this pack.")
    doc.heading("The sample")
    doc.table(["Candidate", "Why this script"], [[p.candidate_number, "; ".join(p.reasons)] for p in picks],
              widths_mm=[35, 135])
    doc.heading("What is in the pack")
    doc.paragraph("Check every file with: sha256sum -c checksums.sha256 (in the pack's folder); that file "
                  "also holds this cover sheet's own checksum.", keep_with_next=True)
    doc.table(["File", "SHA-256"], [[name, digest] for name, digest in files], widths_mm=[60, 110])
    doc.save(path)


def write_paper_and_scheme(paper: QuestionPaper, scheme: MarkScheme | None, path: str | os.PathLike[str], *,
                           centre: str) -> None:
    title = f"{paper.qualification} unit {paper.unit}: {paper.title or 'question paper'} (version {paper.version})"
    doc = WordDocument(title=title, author=centre, footer=f"{centre}: paper and mark scheme")
    doc.title(title)
    doc.paragraph(paper.instructions, bold_lead="Instructions: ")
    if paper.time_allowance_minutes:
        doc.paragraph(f"{paper.time_allowance_minutes} minutes", bold_lead="Time allowed: ")
    if scheme is not None:
        rule = scheme.pass_rule
        doc.paragraph(f"{rule.pass_mark} of {sum(q.marks for q in paper.questions)}", bold_lead="Pass mark: ")
    schemes = {q.id: q for q in (scheme.questions if scheme else [])}
    for question in paper.questions:
        doc.heading(f"Question {question.id} ({question.marks} mark{'s' if question.marks != 1 else ''}, "
                    f"outcome {question.outcome})", 2)
        if question.context:
            doc.paragraph(question.context, italic=True)
        doc.paragraph(question.text)
        marking = schemes.get(question.id)
        if marking is None:
            doc.paragraph("No mark scheme is loaded for this question.", italic=True)
            continue
        doc.table(["Creditable point", "Marks"],
                  [[p.text + (f" (or: {'; '.join(p.alternatives)})" if p.alternatives else ""), p.marks]
                   for p in marking.points], widths_mm=[150, 20])
        if marking.guidance:
            doc.paragraph(marking.guidance, bold_lead="Guidance: ")
        if marking.do_not_credit:
            doc.paragraph("; ".join(marking.do_not_credit), bold_lead="Do not credit: ")
    doc.save(path)
