"""The review of marking outcome letter to the learner: :class:`ReviewLetter` as a .docx.

Title "Review of marking: outcome", a details table (centre, qualification, unit, sitting,
candidate, date), what was asked for, the outcome in one sentence (upheld, or mark changed with
the grade changed or not), a table of each question's original mark, mark after review and the
reviewer's reason, and how to appeal further. Built on the feedback documents' WordDocument.
"""

from __future__ import annotations

import os

from marker_tui.domain.review_of_marking import UPHELD, ReviewLetter

from .feedback import WordDocument, uk_date

FURTHER_STEPS = ("If you are not satisfied with the outcome of this review you can appeal using the centre's "
                 "appeals procedure; the original marks and this review are kept in the centre's records.")


def outcome_sentence(letter: ReviewLetter) -> str:
    if letter.outcome == UPHELD:
        return (f"The original marking has been upheld: your mark stays at {letter.total_after} of "
                f"{letter.available} and your result stays {letter.result_after}.")
    changed = f"Your mark has changed from {letter.total_before} to {letter.total_after} of {letter.available}"
    if letter.result_before != letter.result_after:
        return f"{changed}, and your result has changed from {letter.result_before} to {letter.result_after}."
    return f"{changed}; your result stays {letter.result_after}."


def write_review_letter_docx(letter: ReviewLetter, path: str | os.PathLike[str]) -> None:
    doc = WordDocument(title=f"Review of marking: candidate {letter.candidate_number}",
                       author=letter.centre_name,
                       footer=f"Candidate {letter.candidate_number}  \u2022  Review of marking")
    doc.title("Review of marking: outcome")
    doc.table(None, [
        ("Centre", letter.centre_name),
        ("Qualification", letter.qualification),
        ("Unit", letter.unit),
        ("Sitting", letter.sitting_code),
        ("Candidate", f"{letter.candidate_name} ({letter.candidate_number})"),
        ("Date", uk_date(letter.written_on)),
    ], widths_mm=(40, 130), bold_first_column=True)
    doc.paragraph(f"Dear {letter.candidate_name},")
    doc.paragraph("You asked for the marking of your script to be reviewed.")
    doc.paragraph(letter.request_reason, bold_lead="Your request: ")
    doc.paragraph(f"It was reviewed by {letter.reviewer}, who did not mark it and did not review it for "
                  "internal quality assurance, question by question.")
    doc.heading("Outcome")
    doc.paragraph(f"{letter.outcome}.", bold_lead="Outcome: ")
    doc.paragraph(outcome_sentence(letter))
    doc.heading("Each question")
    doc.table(("Question", "Original mark", "Mark after review", "Reviewer's reason"), [
        (q.question_id, f"{q.original_mark}" if isinstance(q.original_mark, str) else f"{q.original_mark} of {q.available}",
         f"{q.new_mark}" if isinstance(q.new_mark, str) else f"{q.new_mark} of {q.available}", q.reason)
        for q in letter.questions], widths_mm=(22, 30, 30, 88))
    doc.heading("If you are not satisfied")
    doc.paragraph(FURTHER_STEPS)
    doc.save(path)
