"""The internal quality assurance record: :class:`IqaRecord` as .docx and CSV.

Word layout (A4, the same styles as the feedback documents, "Page N of M" footer):

1. Title "Internal quality assurance record" and a details table: centre,
   qualification, unit, sitting, sitting date, scripts marked / sampled / reviewed.
2. "Sampling plan": the strategy in words, the random seed (so the sample can be
   drawn again), and a table of every sampled script: candidate, marker, the
   marker's total, why it was chosen, whether it has been reviewed.
3. "Reviews": per reviewed script a Heading 2 "Candidate 0042 (marked by ...)",
   the decision and its reason, reviewer and date, totals before and after
   review, a table per question (maximum, marker's mark, IQA mark, agree or
   different, reason) and the feedback to the marker.
4. "Marker agreement": per marker and per question: pairs, exact agreement %,
   within-tolerance %, mean and largest absolute difference, weighted kappa
   (or "n/a" with the note saying why).
5. "Action points" (action, owner, due) and 6. "Sign-off" (reviewer, role,
   date, statement).

A section with nothing in it yet says so in a sentence ("No action points were
raised.", "Not yet signed off.") rather than being dropped: for a quality record
"none" is itself a fact the external quality assurer needs to see.

CSV layout: one table, one header row, a ``Section`` column saying what each row is:

* ``plan``: one row per sampled script (candidate, marker, marker's total, why
  sampled; ``Script decision`` is "not yet reviewed" until it is reviewed);
* ``review``: one row per reviewed question, with the script's decision,
  reason, reviewer, date and feedback to the marker repeated on each row so
  every row stands alone in a filter or pivot table. A script reviewed with no
  per-question detail still gets one ``review`` row (question columns empty).

Marks are plain integers; text is cleaned and guarded against formula injection
(``text_cleaning.csv_text``). Strategy, agreement figures, action points and
sign-off are record-level facts and are in the Word record only.
"""

from __future__ import annotations

import csv
import io
import os

from marker_tui.domain.reports import AgreementFigure, IqaRecord, ScriptReview

from .feedback import WordDocument, text_blocks, uk_date
from .text_cleaning import atomic_output, csv_text

CSV_HEADERS = [
    "Section",
    "Sitting",
    "Unit",
    "Candidate number",
    "Candidate name",
    "Marker",
    "Marker's total",
    "Why sampled",
    "Script decision",
    "Decision reason",
    "Reviewer",
    "Reviewed on",
    "Question",
    "Maximum",
    "Marker's mark",
    "IQA mark",
    "Agreement",
    "Reason",
    "Feedback to marker",
]
NOT_REVIEWED = "not yet reviewed"
NOT_MARKED = "not marked"
NOT_AVAILABLE = "n/a"


def _number(value: float | None, places: int, suffix: str = "") -> str:
    return NOT_AVAILABLE if value is None else f"{value:.{places}f}{suffix}"


# --------------------------------------------------------------------------------------
# Word
# --------------------------------------------------------------------------------------


def _agreement_table(doc: WordDocument, first: str, figures: list[AgreementFigure], tolerance: int) -> None:
    doc.table(
        (
            first,
            "Pairs",
            "Exact agreement",
            f"Within \u00b1{tolerance}",
            "Mean abs. difference",
            "Largest difference",
            "Weighted kappa",
            "Note",
        ),
        [
            (
                f.label,
                f.n_pairs,
                _number(f.exact_percent, 1, "%"),
                _number(f.within_tolerance_percent, 1, "%"),
                _number(f.mean_abs_diff, 2),
                NOT_AVAILABLE if f.max_abs_diff is None else f.max_abs_diff,
                _number(f.weighted_kappa, 2),
                f.note or "",
            )
            for f in figures
        ],
        widths_mm=(30, 14, 20, 18, 20, 18, 18, 32),
    )


def _review(doc: WordDocument, review: ScriptReview, name: str | None) -> None:
    who = f"Candidate {review.candidate_number}" + (f" {name}" if name else "")
    doc.heading(f"{who} (marked by {review.marker})", level=2)
    decision = review.decision.value
    doc.paragraph(decision[:1].upper() + decision[1:] + ".", bold_lead="Decision: ")
    doc.blocks(text_blocks(review.decision_reason), bold_lead="Reason: ")
    doc.paragraph(f"{review.reviewer}, {uk_date(review.reviewed_on)}.", bold_lead="Reviewed by: ")
    if review.questions:
        doc.paragraph(
            f"{review.marker_total} by the marker, {review.final_total} after review "
            f"(of the {sum(q.max_marks for q in review.questions)} marks reviewed).",
            bold_lead="Marks: ",
        )
        doc.table(
            ("Question", "Maximum", "Marker's mark", "IQA mark", "Agreement", "Reason"),
            [
                (
                    q.question_id,
                    q.max_marks,
                    q.marker_mark,
                    q.final_mark,
                    "agree" if q.agreed else "different",
                    q.reason or "",
                )
                for q in review.questions
            ],
            widths_mm=(20, 18, 22, 18, 22, 70),
        )
    doc.blocks(text_blocks(review.feedback_to_marker), bold_lead="Feedback to marker: ")


def build_iqa_document(record: IqaRecord) -> WordDocument:
    r = record
    doc = WordDocument(
        title=f"IQA record: sitting {r.sitting_code}, unit {r.unit_number}",
        author=r.centre_name,
        footer=f"IQA record  \u2022  Sitting {r.sitting_code}, unit {r.unit_number}",
    )
    doc.title("Internal quality assurance record")
    doc.table(
        None,
        [
            ("Centre", r.centre_name),
            ("Qualification", f"{r.qualification_number} {r.qualification_title}"),
            ("Unit", f"{r.unit_number} {r.unit_title}"),
            ("Sitting", r.sitting_code),
            ("Sitting date", uk_date(r.sitting_date)),
            ("Scripts marked", r.scripts_marked),
            ("Scripts sampled", len(r.sampled)),
            ("Scripts reviewed", len(r.reviews)),
        ],
        widths_mm=(45, 125),
        bold_first_column=True,
    )

    doc.heading("Sampling plan")
    doc.blocks(text_blocks(r.strategy), bold_lead="Strategy: ")
    if r.seed is not None:
        doc.paragraph(f"{r.seed} (drawing the sample again with this seed gives the same scripts).", bold_lead="Random seed: ")
    if r.sampled:
        doc.table(
            ("Candidate", "Marker", "Marker's total", "Why chosen", "Reviewed"),
            [
                (
                    s.candidate_number + (f" {s.candidate_name}" if s.candidate_name else ""),
                    s.marker,
                    NOT_MARKED if s.total is None else s.total,
                    "; ".join(s.reasons),
                    "yes" if r.review_of(s.candidate_number) else "not yet",
                )
                for s in r.sampled
            ],
            widths_mm=(35, 30, 20, 65, 20),
        )
    else:
        doc.paragraph("No scripts have been sampled.")

    doc.heading("Reviews")
    names = {s.candidate_number: s.candidate_name for s in r.sampled}
    ordered = [rv for s in r.sampled if (rv := r.review_of(s.candidate_number)) is not None]
    if not ordered:
        doc.paragraph("No sampled script has been reviewed yet.")
    waiting = [s.candidate_number for s in r.sampled if r.review_of(s.candidate_number) is None]
    if waiting and ordered:
        doc.paragraph(", ".join(waiting) + ".", bold_lead="Not yet reviewed: ")
    for review in ordered:
        _review(doc, review, names.get(review.candidate_number))

    doc.heading("Marker agreement")
    if r.agreement_by_marker or r.agreement_by_question:
        doc.paragraph(
            "Pairs are the marker's and the reviewer's marks for one question of one sampled script. "
            f"Within \u00b1{r.tolerance_marks} means the marks differ by at most {r.tolerance_marks}."
        )
        if r.agreement_by_marker:
            doc.heading("By marker", level=2)
            _agreement_table(doc, "Marker", r.agreement_by_marker, r.tolerance_marks)
        if r.agreement_by_question:
            doc.heading("By question", level=2)
            _agreement_table(doc, "Question", r.agreement_by_question, r.tolerance_marks)
    else:
        doc.paragraph("No agreement figures yet: no reviewed marks to compare.")

    doc.heading("Action points")
    if r.action_points:
        doc.table(
            ("Action", "Owner", "Due"),
            [(a.text, a.owner or "", uk_date(a.due) if a.due else "") for a in r.action_points],
            widths_mm=(110, 35, 25),
        )
    else:
        doc.paragraph("No action points were raised.")

    doc.heading("Sign-off")
    if r.sign_off is None:
        doc.paragraph("Not yet signed off.")
    else:
        rows = [("Reviewer", r.sign_off.reviewer)]
        if r.sign_off.role:
            rows.append(("Role", r.sign_off.role))
        rows.append(("Date", uk_date(r.sign_off.signed_on)))
        doc.table(None, rows, widths_mm=(45, 125), bold_first_column=True)
        doc.blocks(text_blocks(r.sign_off.statement))
    return doc


def write_iqa_docx(record: IqaRecord, path: str | os.PathLike[str]) -> None:
    """Write the IQA record as a Word document (atomically)."""
    build_iqa_document(record).save(path)


# --------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------


def iqa_csv_rows(record: IqaRecord) -> list[list[str | int]]:
    """The CSV's data rows (plan rows, then review rows), before text guarding."""
    r = record
    rows: list[list[str | int]] = []
    sampled = {s.candidate_number: s for s in r.sampled}
    for s in r.sampled:
        review = r.review_of(s.candidate_number)
        rows.append(
            [
                "plan", r.sitting_code, r.unit_number, s.candidate_number, s.candidate_name or "", s.marker,
                NOT_MARKED if s.total is None else s.total, "; ".join(s.reasons),
                review.decision.value if review else NOT_REVIEWED,
                "", "", "", "", "", "", "", "", "", "",
            ]
        )  # fmt: skip
    for s in r.sampled:
        review = r.review_of(s.candidate_number)
        if review is None:
            continue
        common = [
            "review", r.sitting_code, r.unit_number, review.candidate_number,
            sampled[review.candidate_number].candidate_name or "", review.marker,
            NOT_MARKED if s.total is None else s.total, "; ".join(s.reasons), review.decision.value,
            review.decision_reason or "", review.reviewer, review.reviewed_on.isoformat(),
        ]  # fmt: skip
        feedback = review.feedback_to_marker or ""
        if not review.questions:
            rows.append([*common, "", "", "", "", "", "", feedback])
        for q in review.questions:
            rows.append(
                [
                    *common, q.question_id, q.max_marks, q.marker_mark, q.final_mark,
                    "agree" if q.agreed else "different", q.reason or "", feedback,
                ]
            )  # fmt: skip
    return rows


def write_iqa_csv(record: IqaRecord, path: str | os.PathLike[str]) -> None:
    """Write the IQA record's plan and review rows as CSV (UTF-8 with BOM, for Excel)."""
    with atomic_output(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_HEADERS)
        for row in iqa_csv_rows(record):
            writer.writerow([v if isinstance(v, int) else csv_text(v) for v in row])
        text.flush()
        text.detach()
