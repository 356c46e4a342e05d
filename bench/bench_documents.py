"""Speed of the document writers against same-run baselines.

* Word feedback for 200 learners (a unit-304-shaped paper: 16 questions, 4
  outcomes, a comment on every question), seconds per document, against a bare
  python-docx document with the same paragraphs and the same tables (same text,
  no styles, no header rows, no fields, no cleaning), saved straight to a file.
  Target: ratio <= 1.5.
* Results XLSX for 1,000 candidates (3% not yet marked), seconds, against
  openpyxl (write-only mode) writing the same cells of both sheets with no
  formatting. Target: under 3 s.
* The same two figures end to end from a database (unit 304 as shipped, a
  sitting of 200 learners and one of 1,000 candidates, see
  :func:`build_database`): ``ExportService.export_feedback`` per document
  (reading the sitting, building the models, writing, recording the export in
  the audit log) against the same bare python-docx baseline, and
  ``ExportService.export_results`` to XLSX against the bare workbook.

Each side is timed over several interleaved rounds and the fastest round is
kept, so both see the same machine state. The Word baseline is what a plain
python-docx user would write (``add_paragraph(text)``, ``add_table``,
``cell.text``); our writer builds its paragraphs and rows as XML directly, which
is why it can come out *faster* than the bare document despite doing more. Runnable alone::

    .venv/bin/python bench/bench_documents.py

``run()`` returns the rows for ``bench/run.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import docx  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from marker_tui.domain.reports import LearnerFeedback, ResultsSheet  # noqa: E402
from marker_tui.documents import results as results_writer  # noqa: E402
from marker_tui.documents.feedback import (  # noqa: E402
    build_feedback_document,
    feedback_filename,
    write_feedback_docx,
)

LEARNERS = 200
CANDIDATES = 1000
ROUNDS = 3
# Unit 304: (question id, outcome, marks); 45 marks over outcomes of 18, 14, 4 and 9.
PAPER = [
    ("1", 1, 3), ("2", 1, 3), ("3", 1, 3), ("4a", 1, 2), ("4b", 1, 2), ("5", 1, 5),
    ("6", 2, 3), ("7", 2, 2), ("8", 2, 3), ("9", 2, 2), ("10", 2, 2), ("11", 2, 2),
    ("12a", 3, 2), ("12b", 3, 2), ("13", 4, 2), ("14", 4, 2), ("15", 4, 2), ("16", 4, 3),
]  # fmt: skip
OUTCOME_TITLES = {
    1: "Understand the scope of operational delivery profession",
    2: "Understand how to evaluate and improve professional capability to enhance service to customers",
    3: "Be able to develop own goals",
    4: "Understand the principles of team working",
}
WORDS = (
    "the customer claim team process evidence explain describe because benefit service manager "
    "colleague target delivery improve feedback policy example record check quality risk 👍 مرحبا"
).split()
IDENTITY = {
    "centre_name": "Glanmor Training Centre",
    "qualification_number": "3818-13",
    "qualification_title": "Level 3 Diploma in Operational Delivery",
    "unit_number": "304",
    "unit_title": "Working in operational delivery",
    "sitting_date": date(2026, 3, 2),
}


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _outcome_max() -> dict[int, int]:
    maxima: dict[int, int] = {}
    for _, outcome, marks in PAPER:
        maxima[outcome] = maxima.get(outcome, 0) + marks
    return maxima


def make_feedback(rng: random.Random, n: int) -> LearnerFeedback:
    awarded = {qid: rng.randint(0, marks) for qid, _, marks in PAPER}
    total, available = sum(awarded.values()), sum(m for _, _, m in PAPER)
    achieved = {o: 0 for o in OUTCOME_TITLES}
    for qid, outcome, _ in PAPER:
        achieved[outcome] += awarded[qid]
    maxima = _outcome_max()
    return LearnerFeedback(
        **IDENTITY,
        candidate_number=f"{n:04d}",
        candidate_name=f"Learner {n} {rng.choice(WORDS)}",
        result="pass" if total >= 27 else "fail",
        total=total,
        available=available,
        percentage=round(100 * total / available, 1),
        outcomes=[
            {"number": o, "title": t, "achieved": achieved[o], "available": maxima[o]} for o, t in OUTCOME_TITLES.items()
        ],
        questions=[
            {
                "id": qid,
                "text": _sentence(rng, 25) + "\n" + _sentence(rng, 12),
                "awarded": awarded[qid],
                "available": marks,
                "comment": _sentence(rng, 30),
            }
            for qid, _, marks in PAPER
        ],
        overall_feedback=_sentence(rng, 40) + "\n\n" + _sentence(rng, 30),
        next_steps=_sentence(rng, 25),
        marker_name="Jo Marker",
        marked_date=date(2026, 3, 5),
        iqa={"reviewer": "Sam Reviewer", "signed_on": date(2026, 3, 9), "decision": "marking upheld"}
        if n % 10 == 0
        else None,
    )


def _shape(feedback: LearnerFeedback) -> tuple[list[str], list[list[list[str]]]]:
    """The paragraphs and tables (cell texts) our writer makes, for the bare baseline."""
    doc = build_feedback_document(feedback).doc
    paragraphs = [p.text for p in doc.paragraphs]
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    return paragraphs, tables


def _bare_docx(paragraphs: list[str], tables: list[list[list[str]]], path: Path) -> None:
    doc = docx.Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    for cells in tables:
        table = doc.add_table(rows=len(cells), cols=len(cells[0]))
        for row, values in zip(table.rows, cells):
            for cell, value in zip(row.cells, values):
                cell.text = value
    doc.save(str(path))


def bench_feedback(folder: Path) -> dict:
    rng = random.Random(304)
    learners = [make_feedback(rng, n) for n in range(1, LEARNERS + 1)]
    shapes = [_shape(f) for f in learners]
    ours, bare = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for f in learners:
            write_feedback_docx(f, folder / feedback_filename(f.candidate_number, f.unit_number))
        ours.append((time.perf_counter() - start) / LEARNERS)
        start = time.perf_counter()
        for i, (paragraphs, tables) in enumerate(shapes):
            _bare_docx(paragraphs, tables, folder / f"bare-{i}.docx")
        bare.append((time.perf_counter() - start) / LEARNERS)
    value, baseline = min(ours), min(bare)
    return {
        "name": f"Word feedback, {LEARNERS} learners (per document)",
        "value": round(value, 5),
        "unit": "s",
        "baseline_name": "bare python-docx document, same paragraphs and tables",
        "baseline": round(baseline, 5),
        "ratio": round(value / baseline, 2),
        "target": "ratio <= 1.5",
    }


def make_sheet(rng: random.Random) -> ResultsSheet:
    maxima = _outcome_max()
    rows = []
    for n in range(1, CANDIDATES + 1):
        unmarked = rng.random() < 0.03
        marks = {qid: None if unmarked else rng.randint(0, m) for qid, _, m in PAPER}
        outcome = {o: None if unmarked else sum(marks[q] for q, oo, _ in PAPER if oo == o) for o in OUTCOME_TITLES}
        total = None if unmarked else sum(marks.values())
        sampled = n % 10 == 0
        rows.append(
            {
                "candidate_number": f"{n:05d}",
                "name": f"Learner {n} {rng.choice(WORDS)}",
                "question_marks": marks,
                "outcome_marks": outcome,
                "total": total,
                "percentage": None if total is None else round(100 * total / 45, 1),
                "result": "not yet marked" if total is None else ("pass" if total >= 27 else "fail"),
                "markers": [rng.choice(["Jo Marker", "Al Marker", "Sam Marker"])],
                "iqa_sampled": sampled,
                "iqa_decision": "marking upheld" if sampled and not unmarked else None,
            }
        )
    return ResultsSheet(
        **{k: v for k, v in IDENTITY.items() if k != "sitting_date"},
        sitting_code="304-2026-03-A",
        sitting_date=IDENTITY["sitting_date"],
        questions=[{"id": q, "max_marks": m, "outcome": o} for q, o, m in PAPER],
        outcomes=[{"number": o, "title": t, "max_marks": maxima[o]} for o, t in OUTCOME_TITLES.items()],
        rows=rows,
    )


def _plain_cells(sheet: ResultsSheet) -> tuple[list[list], list[list]]:
    """The same cell values as our workbook, as plain Python values."""
    results = [results_writer.headers(sheet)]
    for row in sheet.rows:
        results.append([results_writer.NOT_MARKED if v is None else v for v in results_writer._values(sheet, row)])
    summary_obj = sheet.summary()
    summary = [["Results summary"], ["Centre", sheet.centre_name]] + [["x", "y"]] * 6 + [[]]
    summary.append(["Question", "Outcome", "Maximum", "Number marked", "Mean mark", "Facility"])
    for item in [*summary_obj.questions, *summary_obj.outcomes, summary_obj.total]:
        summary.append([item.label, item.title or "", item.max_marks, item.number_marked, item.mean, item.facility])
    return results, summary


def _bare_xlsx(results: list[list], summary: list[list], path: Path) -> None:
    wb = Workbook(write_only=True)
    for title, rows in (("Results", results), ("Summary", summary)):
        ws = wb.create_sheet(title)
        for values in rows:
            ws.append(values)
    wb.save(str(path))


def bench_results_xlsx(folder: Path) -> dict:
    sheet = make_sheet(random.Random(1000))
    results, summary = _plain_cells(sheet)
    ours, bare = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        results_writer.write_results_xlsx(sheet, folder / "results.xlsx")
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        _bare_xlsx(results, summary, folder / "bare.xlsx")
        bare.append(time.perf_counter() - start)
    value, baseline = min(ours), min(bare)
    return {
        "name": f"Results XLSX, {CANDIDATES} candidates",
        "value": round(value, 4),
        "unit": "s",
        "baseline_name": "openpyxl write-only, same cells, no formatting",
        "baseline": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "target": "value < 3 s",
    }


# --------------------------------------------------------------------------------------
# The same two figures end to end: from a database, through the export service
# --------------------------------------------------------------------------------------

FEEDBACK_SITTING, RESULTS_SITTING = "304-BENCH-FB", "304-BENCH-RS"
BENCH_MARKERS = ("Jo Marker", "Al Marker", "Sam Marker")


def build_database(folder: Path):
    """A centre database with unit 304 (the shipped paper, mark scheme and spec) and two ended sittings:
    200 learners fully marked and complete (comments on every question, overall feedback, next steps),
    and 1,000 candidates of whom 3% are not marked yet.

    Staff, the paper and the sittings go through the services; the bulk rows (candidates,
    submitted scripts, marks and their versions) are inserted in one transaction, as if
    sat and marked, because marking 18,000 questions through the service would take
    minutes of fsyncs that have nothing to do with exporting.
    """
    from marker_tui.domain.clock import FakeClock
    from marker_tui.services.centre import Centre
    from marker_tui.services.papers import PaperService
    from marker_tui.services.invigilation import SittingService
    from marker_tui.services.staff import StaffService
    from marker_tui.storage.database import now_text, open_database, run_write
    from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS

    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    db = open_database(folder / "bench.db")
    staff = StaffService(db, clock)
    staff.add("Ada Admin", ["admin"], "4826", by=None)
    staff.add("Ian Invigilator", ["invigilator"], "4826", by="Ada Admin")
    for name in BENCH_MARKERS:
        staff.add(name, ["marker"], "4826", by="Ada Admin")
    paper = PaperService(db, clock).ensure_paper("3818-13", "304", papers_dir=SHIPPED_PAPERS,
                                                 markschemes_dir=SHIPPED_MARKSCHEMES)
    questions = [(q.id, q.marks) for q in paper.paper.questions]
    rng = random.Random(2026)
    stamp = now_text(clock.now())

    def add_candidates(db, prefix: str, n: int) -> list[str]:
        numbers = [f"{prefix}{i:05d}" for i in range(1, n + 1)]
        db.conn.executemany(
            "INSERT INTO candidates (candidate_number, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
            [(c, f"Learner {c} {rng.choice(WORDS)}", stamp, stamp) for c in numbers])
        return numbers

    numbers = run_write(db, lambda d: {"F": add_candidates(d, "F", LEARNERS), "R": add_candidates(d, "R", CANDIDATES)})
    sittings = SittingService(db, clock)
    for code, prefix in ((FEEDBACK_SITTING, "F"), (RESULTS_SITTING, "R")):
        sittings.create_sitting(paper.id, by="Ian Invigilator", code=code)
        sittings.enrol(code, numbers[prefix], by="Ian Invigilator")
    staff_ids = {r[1]: r[0] for r in db.execute("SELECT id, name FROM staff")}

    def sat_and_marked(db) -> None:
        for code, unmarked_share in ((FEEDBACK_SITTING, 0.0), (RESULTS_SITTING, 0.03)):
            sid = db.execute("SELECT id FROM sittings WHERE code = ?", [code]).fetchone()[0]
            db.execute("UPDATE sittings SET state = 'ended', opened_at = ?, started_at = ?, ended_at = ?,"
                       " end_reason = 'bench' WHERE id = ?", [stamp, stamp, stamp, sid])
            db.execute("UPDATE scripts SET started_at = ?, submitted_at = ?, finish = 'submitted'"
                       " WHERE sitting_id = ?", [stamp, stamp, sid])
            marks, versions, states = [], [], []
            for (script_id,) in db.execute("SELECT id FROM scripts WHERE sitting_id = ?", [sid]).fetchall():
                if rng.random() < unmarked_share:
                    continue
                marker = staff_ids[rng.choice(BENCH_MARKERS)]
                for qid, maximum in questions:
                    value, comment = rng.randint(0, maximum), _sentence(rng, 30)
                    marks.append((script_id, qid, value, comment, marker, stamp))
                    versions.append((script_id, qid, value, comment, marker, stamp))
                states.append((script_id, marker, stamp, _sentence(rng, 40) + "\n\n" + _sentence(rng, 30),
                               _sentence(rng, 25)))
            db.conn.executemany(
                "INSERT INTO marks (script_id, question_id, marks_awarded, credited_points, comment, marked_by,"
                " marked_at, role, version) VALUES (?, ?, ?, '[]', ?, ?, ?, 'marker', 1)", marks)
            db.conn.executemany(
                "INSERT INTO mark_versions (script_id, question_id, version, marks_awarded, credited_points, comment,"
                " marked_by, marked_at, role) VALUES (?, ?, 1, ?, '[]', ?, ?, ?, 'marker')", versions)
            db.conn.executemany(
                "INSERT INTO script_marking (script_id, completed_by, completed_at, overall_feedback, next_steps)"
                " VALUES (?, ?, ?, ?, ?)", states)

    run_write(db, sat_and_marked)
    return db, Centre(db=db, clock=clock, papers_dir=SHIPPED_PAPERS, centre_name=IDENTITY["centre_name"]).exports


def bench_feedback_from_database(folder: Path, db, service) -> dict:
    learners, _ = service.learner_feedback(FEEDBACK_SITTING)
    assert len(learners) == LEARNERS
    shapes = [_shape(f) for f in learners]
    ours, bare = [], []
    for n in range(ROUNDS):
        out = folder / f"feedback-{n}"
        start = time.perf_counter()
        report = service.export_feedback(FEEDBACK_SITTING, out, by="Ada Admin", allow_incomplete=True)
        ours.append((time.perf_counter() - start) / LEARNERS)
        assert report.rows == LEARNERS
        start = time.perf_counter()
        for i, (paragraphs, tables) in enumerate(shapes):
            _bare_docx(paragraphs, tables, folder / f"bare-db-{i}.docx")
        bare.append((time.perf_counter() - start) / LEARNERS)
    value, baseline = min(ours), min(bare)
    return {
        "name": f"Word feedback, {LEARNERS} learners from the database (export service, per document)",
        "value": round(value, 5),
        "unit": "s",
        "baseline_name": "bare python-docx document, same paragraphs and tables",
        "baseline": round(baseline, 5),
        "ratio": round(value / baseline, 2),
        "target": "ratio <= 1.5",
    }


def bench_results_xlsx_from_database(folder: Path, db, service) -> dict:
    sheet = service.results_sheet(RESULTS_SITTING)
    assert len(sheet.rows) == CANDIDATES
    results, summary = _plain_cells(sheet)
    ours, bare = [], []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        service.export_results(RESULTS_SITTING, folder / "results-db.xlsx", by="Ada Admin", allow_incomplete=True)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        _bare_xlsx(results, summary, folder / "bare-db.xlsx")
        bare.append(time.perf_counter() - start)
    value, baseline = min(ours), min(bare)
    return {
        "name": f"Results XLSX, {CANDIDATES} candidates from the database (export service, end to end)",
        "value": round(value, 4),
        "unit": "s",
        "baseline_name": "openpyxl write-only, same cells, no formatting",
        "baseline": round(baseline, 4),
        "ratio": round(value / baseline, 2),
        "target": "value < 3 s",
    }


def run() -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        folder = Path(tmp)
        rows = [bench_feedback(folder), bench_results_xlsx(folder)]
        db, service = build_database(folder)
        try:
            rows += [bench_feedback_from_database(folder, db, service),
                     bench_results_xlsx_from_database(folder, db, service)]
        finally:
            db.close()
        return rows


if __name__ == "__main__":
    for bench_row in run():
        print(bench_row)
