"""The internal quality assurance record: :class:`IqaRecord` as .docx and CSV.

Word layout (A4, the same styles as the feedback documents, "Page N of M" footer):

1. Title "Internal quality assurance record" and a details table: centre,
   qualification, unit, sitting, sitting date, scripts marked / sampled / reviewed.
2. "Sampling plan": the strategy in words, the random seed (so the sample can be
   drawn again), a table of every sampled script (candidate, marker(s), the
   marker's total, every reason it was chosen, whether it has been reviewed),
   the plan's notes (what it could not do), then where given each marker's
   minimum against their scripts in the sample and the scripts that could not
   be offered (e.g. the reviewer marked them).
3. "Reviews": per reviewed script a Heading 2 "Candidate 0042 (marked by ...)",
   the decision and its reason, reviewer and date, totals before and after
   review, a table per question (maximum, marker's mark, IQA mark, agree or
   different, reason) and the feedback to the marker.
4. "Marker agreement": what "within tolerance" means here, then for all markers,
   per marker and per question: pairs, exact agreement %, within-tolerance %,
   mean and largest absolute difference, weighted kappa (or "n/a *" with a note
   under the table saying why).
5. "Action points" (action, owner, due), 6. "Sign-off" (reviewer, role,
   date, statement) and 7. "Signatures": name, signature and date lines for the
   internal quality assurer and every assessor in the sample, as on the
   awarding bodies' recording forms, kept on one page.

A section with nothing in it yet says so in a sentence ("No action points were
raised.", "Not yet signed off.") rather than being dropped: for a quality record
"none" is itself a fact the external quality assurer needs to see.

CSV layout: one table, one header row, a ``Section`` column saying what each row is:

* ``plan``: one row per sampled script (candidate, marker(s), marker's total,
  why sampled; ``Script decision`` is "not yet reviewed" until it is reviewed);
* ``review``: one row per reviewed question, with the script's decision,
  reason, reviewer, date and feedback to the marker repeated on each row so
  every row stands alone in a filter or pivot table. A script reviewed with no
  per-question detail still gets one ``review`` row (question columns empty).

Several markers are joined with "; ". Marks are plain integers; text is cleaned
and guarded against formula injection (``text_cleaning.csv_text``). The
strategy, marker minimums, excluded scripts, agreement figures, action points
and sign-off are record-level facts and are in the Word record only.
"""

from __future__ import annotations

import csv
import io
import os

from marker_tui.domain.not_attempted import NOT_ATTEMPTED
from marker_tui.domain.reports import AgreementFigure, IqaRecord, ScriptReview

from .feedback import WordDocument, text_blocks, uk_date
from .text_cleaning import atomic_output, csv_text

SIGNATURE_STATEMENT = (
    "The internal quality assurer confirms that the sample above was reviewed as recorded. Each assessor "
    "confirms that they have received the feedback and action points recorded for them."
)

CSV_HEADERS = [
    "Section",
    "Sitting",
    "Unit",
    "Candidate number",
    "Candidate name",
    "Marker(s)",
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


def _kappa(figure: AgreementFigure, say_weights: bool) -> str:
    text = _number(figure.weighted_kappa, 2)
    if say_weights and figure.weighted_kappa is not None and figure.kappa_weights:
        text += f" ({figure.kappa_weights})"
    return text


def _agreement_table(doc: WordDocument, first: str, figures: list[AgreementFigure], say_weights: bool) -> None:
    # Why a kappa is "n/a" goes under the table: as an eighth column it squeezed every
    # heading until Word broke words ("Weighte d").
    doc.table(
        (first, "Pairs", "Exact agreement", "Within tolerance", "Mean abs. difference", "Largest difference",
         "Weighted kappa"),
        [
            (
                f.label,
                f.n_pairs,
                _number(f.exact_agreement_percent, 1, "%"),
                _number(f.within_tolerance_percent, 1, "%"),
                _number(f.mean_abs_difference, 2),
                NOT_AVAILABLE if f.max_abs_difference is None else f.max_abs_difference,
                _kappa(f, say_weights) + (" *" if f.kappa_note else ""),
            )
            for f in figures
        ],
        widths_mm=(34, 16, 24, 24, 24, 24, 24),
    )
    for f in figures:
        if f.kappa_note:
            doc.paragraph(f"{f.label}: {f.kappa_note}.", bold_lead="* Weighted kappa, ")


def _marks(n: int) -> str:
    return f"{n} mark{'' if n == 1 else 's'}"


def tolerance_text(tolerance: int | dict[str, int]) -> str:
    """What "within tolerance" means for this record, in a sentence."""
    if isinstance(tolerance, int):
        if tolerance == 0:
            return "Within tolerance means the two marks are the same (no tolerance was set)."
        return f"Within tolerance means the two marks differ by at most {_marks(tolerance)}."
    listed = ", ".join(f"Q{q} {_marks(n)}" for q, n in tolerance.items())
    return (
        "Within tolerance means the two marks differ by at most the question's tolerance: "
        f"{listed}; 0 for any other question."
    )


def _review(doc: WordDocument, review: ScriptReview, name: str | None) -> None:
    who = f"Candidate {review.candidate_number}" + (f" {name}" if name else "")
    doc.heading(f"{who} (marked by {' and '.join(review.markers)})", level=2)
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
                    NOT_ATTEMPTED if q.not_attempted else q.marker_mark,
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
            *([("Centre number", r.centre_number)] if r.centre_number else []),
            ("Qualification", f"{r.qualification_number} {r.qualification_title}"),
            ("Unit", f"{r.unit_number} {r.unit_title}"),
            ("Sitting", r.sitting_code),
            ("Sitting date", uk_date(r.sitting_date)),
            *([("Internal quality assurer", r.reviewer)] if r.reviewer else []),
            *([("Sample drawn", uk_date(r.drawn_on))] if r.drawn_on else []),
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
            ("Candidate", "Marker(s)", "Marker's total", "Why chosen", "Reviewed"),
            [
                (
                    s.candidate_number + (f" {s.candidate_name}" if s.candidate_name else ""),
                    "; ".join(s.markers),
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
    for note in r.plan_notes:
        doc.blocks(text_blocks(note), bold_lead="Note: ")
    if r.coverage:
        doc.heading("Minimum per marker", level=2)
        doc.table(
            ("Marker", "Scripts marked", "Minimum", "In the sample", "Short by"),
            [(c.marker, c.marked, c.required, c.chosen, max(0, c.required - c.chosen)) for c in r.coverage],
            widths_mm=(50, 30, 30, 30, 30),
        )
    if r.excluded:
        doc.heading("Scripts not offered for sampling", level=2)
        doc.table(
            ("Candidate", "Marker(s)", "Why not"),
            [(e.candidate_number, "; ".join(e.markers), e.reason) for e in r.excluded],
            widths_mm=(35, 45, 90),
        )

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
    overall = [r.agreement_overall] if r.agreement_overall is not None else []
    figures = [*overall, *r.agreement_by_marker, *r.agreement_by_question]
    if figures:
        weights = {f.kappa_weights for f in figures if f.weighted_kappa is not None and f.kappa_weights}
        doc.paragraph(
            "A pair is the marker's and the reviewer's marks for one question of one sampled script. "
            + tolerance_text(r.tolerance)
            + (f" Kappa uses {next(iter(weights))} weights." if len(weights) == 1 else "")
        )
        for heading, first, group in (
            ("All markers", "Group", overall),
            ("By marker", "Marker", r.agreement_by_marker),
            ("By question", "Question", r.agreement_by_question),
        ):
            if group:
                doc.heading(heading, level=2)
                _agreement_table(doc, first, group, say_weights=len(weights) > 1)
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

    # As on the awarding bodies' recording forms: the quality assurer and each assessor
    # sampled sign and date the record by hand.
    doc.heading("Signatures")
    doc.paragraph(SIGNATURE_STATEMENT, keep_with_next=True)
    reviewer = r.sign_off.reviewer if r.sign_off else (r.reviewer or next((rv.reviewer for rv in r.reviews), ""))
    assessors = sorted({m for s in r.sampled for m in s.markers}, key=str.casefold)
    doc.table(
        ("", "Name", "Signature", "Date"),
        [("Internal quality assurer", reviewer, "", ""), *(("Assessor", name, "", "") for name in assessors)],
        widths_mm=(42, 50, 50, 28),
        bold_first_column=True,
        row_height_mm=12,
        keep_together=True,
    )
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
                "plan", r.sitting_code, r.unit_number, s.candidate_number, s.candidate_name or "", "; ".join(s.markers),
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
            sampled[review.candidate_number].candidate_name or "", "; ".join(review.markers),
            NOT_MARKED if s.total is None else s.total, "; ".join(s.reasons), review.decision.value,
            review.decision_reason or "", review.reviewer, review.reviewed_on.isoformat(),
        ]  # fmt: skip
        feedback = review.feedback_to_marker or ""
        if not review.questions:
            rows.append([*common, "", "", "", "", "", "", feedback])
        for q in review.questions:
            rows.append(
                [
                    *common, q.question_id, q.max_marks, NOT_ATTEMPTED if q.not_attempted else q.marker_mark,
                    q.final_mark,
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
