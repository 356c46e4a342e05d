"""Marking speed with 500 submitted scripts in the sitting (issue 6).

Two figures, each against a bare sqlite-utils baseline on the same file, in the
same run, with the same durability (WAL, synchronous=FULL):

* **open the next script**: ``MarkingService.next_script`` + ``open_script``
  (find the next script nobody holds, claim it, read its paper, answers, marks
  and drafts) against a bare read of the same rows (the script's answers,
  marks, marking state) plus the same claim write.
* **save a mark**: ``MarkingService.save_mark`` (checked against the scheme,
  claim and stale checks, current mark, version row, audit row, claim refresh,
  result recomputed) against a bare write of the same rows (mark upsert, version
  insert, audit insert) in one transaction.

Target: ratio <= 3 and both under 50 ms (median).

The database is built once (about 10 s): 500 candidates imported from CSV, a
sitting on the shipped 3818-13 unit 304 paper (18 questions), every candidate
logged in, started and ended; the answers are bulk-inserted (set-up, not
measured); half the scripts are already fully marked so the queue has real
work in it (a quarter complete). Run alone with ``python bench/bench_marking.py``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import sqlite_utils  # noqa: E402

from marker_tui.domain.audit_chain import content_digest, link  # noqa: E402
from marker_tui.domain.clock import FakeClock  # noqa: E402
from marker_tui.services.centre import Centre  # noqa: E402
from marker_tui.storage.database import now_text, run_write  # noqa: E402
from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS  # noqa: E402

SCRIPTS = 500
REPEAT = 60
ADMIN, INVIGILATOR, MARKER = "Ada Admin", "Ian Invigilator", "Mo Marker"
TARGET_MS = 50.0
TARGET_RATIO = 3.0


def build(path: Path) -> tuple[Centre, str]:
    centre = Centre.open(path, clock=FakeClock())
    centre.staff.add(ADMIN, ["admin"], "1234", by=None)
    centre.staff.add(INVIGILATOR, ["invigilator"], "1234", by=ADMIN)
    centre.staff.add(MARKER, ["marker"], "1234", by=ADMIN)
    class_list = path.parent / "candidates.csv"
    class_list.write_text("candidate_number,name\n" + "".join(
        f"C{n:04d},Learner {n}\n" for n in range(SCRIPTS)), encoding="utf-8")
    centre.candidates.import_csv(class_list, by=ADMIN)
    paper = centre.papers.ensure_paper("3818-13", "304", papers_dir=SHIPPED_PAPERS,
                                       markschemes_dir=SHIPPED_MARKSCHEMES)
    code = centre.sittings.create_sitting(paper.id, by=INVIGILATOR, code="BENCH-500").code
    centre.sittings.enrol(code, all_candidates=True, by=INVIGILATOR)
    centre.sittings.open(code, by=INVIGILATOR)
    # Each learner logs in with the keycode on their admission slip, as at a terminal.
    slips = centre.sittings.issue_keycodes(code, by=INVIGILATOR).slips
    for slip in slips:
        centre.learners.login(code, slip.candidate_number, slip.keycode)
    centre.sittings.start(code, by=INVIGILATOR)
    questions = [q.id for q in paper.paper.questions]
    now = now_text(centre.clock.now())
    text = ("The profession delivers services to the public on behalf of government, for example "
            "paying benefits and collecting tax. ") * 4

    def answers(db):
        ids = [r[0] for r in db.execute("SELECT id FROM scripts")]
        db.conn.executemany(
            "INSERT INTO answers (script_id, question_id, text, version, updated_at) VALUES (?, ?, ?, 1, ?)",
            [(sid, q, f"{text} ({sid}/{q})", now) for sid in ids for q in questions])

    run_write(centre.db, answers, "bench set-up")
    centre.sittings.end(code, by=INVIGILATOR, reason="bench")
    # Half the scripts fully marked and complete, entered as a centre marking on paper would
    # (one CSV import through the service: every row as real marking leaves it).
    marking = centre.marking
    rows = marking.queue(code).rows
    sheet = path.parent / "marks.csv"
    sheet.write_text("script,question,marks,comment\n" + "".join(
        f"{row.script_number},{q},1,ok\n" for row in rows[: SCRIPTS // 2] for q in questions), encoding="utf-8")
    marking.import_marks_csv(code, sheet, by=MARKER)
    for row in rows[: SCRIPTS // 4]:
        marking.complete(row.script_id, by=MARKER)
    return centre, code


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        centre, code = build(path)
        marking = centre.marking
        questions = [q.id for q in marking.view_script(marking.queue(code).rows[0].script_id).paper.questions]

        # The service and its baseline alternate, iteration by iteration, so both meet the same
        # machine load (other processes, the disk's flush queue).
        bare = sqlite_utils.Database(path)
        bare.execute("PRAGMA synchronous = FULL")
        marker_id = bare.execute("SELECT id FROM staff WHERE name = ?", [MARKER]).fetchone()[0]

        # -- open the next script -------------------------------------------------------------
        opened: list[int] = []
        open_times, bare_open = [], []
        after = None
        for _ in range(REPEAT):
            start = time.perf_counter()
            script_id = marking.next_script(code, by=MARKER, after=after)
            loaded = marking.open_script(script_id, by=MARKER)
            open_times.append(time.perf_counter() - start)
            after = loaded.script_number
            opened.append(script_id)
            marking.release(script_id, by=MARKER)

            start = time.perf_counter()
            with bare.conn:
                list(bare.query("SELECT * FROM scripts WHERE id = ?", [script_id]))
                list(bare["answers"].rows_where("script_id = ?", [script_id]))
                list(bare["marks"].rows_where("script_id = ?", [script_id]))
                list(bare["script_marking"].rows_where("script_id = ?", [script_id]))
                bare["script_marking"].upsert({"script_id": script_id, "claimed_by": marker_id,
                                               "claimed_at": "x", "claim_expires_at": "y"}, pk="script_id")
            bare_open.append(time.perf_counter() - start)
            with bare.conn:
                bare.execute("UPDATE script_marking SET claimed_by = NULL, claimed_at = NULL,"
                             " claim_expires_at = NULL WHERE script_id = ?", [script_id])

        # -- save a mark -----------------------------------------------------------------------------
        script_id, other = opened[0], opened[1]
        versions = {q: m.version for q, m in marking.open_script(script_id, by=MARKER).marks.items()}
        save_times, bare_save = [], []
        for i in range(REPEAT):
            question = questions[i % len(questions)]
            start = time.perf_counter()
            saved = marking.save_mark(script_id, question, (i // len(questions)) % 2, ticks=[0],
                                      comment="bench", by=MARKER, expected_version=versions.get(question, 0))
            save_times.append(time.perf_counter() - start)
            versions[question] = saved.mark.version

            start = time.perf_counter()
            with bare.conn:
                bare["marks"].upsert({"script_id": other, "question_id": question, "marks_awarded": 1,
                                      "credited_points": "[0]", "comment": "bench", "marked_by": marker_id,
                                      "marked_at": "2026-01-01T00:00:00.000000+00:00", "role": "marker",
                                      "version": i + 1}, pk=("script_id", "question_id"))
                bare["mark_versions"].insert({"script_id": other, "question_id": question, "version": 1000 + i,
                                              "marks_awarded": 1, "credited_points": "[0]", "comment": "bench",
                                              "marked_by": marker_id, "marked_at": "x", "role": "marker"})
                # The audit log is a hash chain (a trigger refuses a row without its hashes): the
                # bare write links onto the last row too, as any writer of this file must.
                last_id, previous = bare.execute("SELECT id, chain_hash FROM audit_log ORDER BY id DESC LIMIT 1"
                                                 ).fetchone()
                entry = ["x", MARKER, "bench", None, other, None, json.dumps({"old": None, "new": 1})]
                content = content_digest(*entry)
                bare.execute("INSERT INTO audit_log (id, at, actor, action, sitting_id, script_id, candidate_number,"
                             " details, content_digest, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [last_id + 1, *entry, content, link(previous, last_id + 1, content)])
            bare_save.append(time.perf_counter() - start)
        bare.close()
        centre.close()

    rows = []
    for name, value, baseline_name, baseline in (
        (f"open the next script to mark ({SCRIPTS} submitted, half marked)", _median_ms(open_times),
         "bare sqlite-utils read of the script's rows + claim write", _median_ms(bare_open)),
        (f"save a mark ({SCRIPTS} submitted scripts)", _median_ms(save_times),
         "bare sqlite-utils write of the same rows (mark, version, audit)", _median_ms(bare_save)),
    ):
        ratio = value / baseline if baseline else None
        rows.append({
            "name": name, "value": value, "unit": "ms", "baseline_name": baseline_name, "baseline": baseline,
            "ratio": ratio, "target": f"ratio <= {TARGET_RATIO:g} and both < {TARGET_MS:g} ms",
            "ok": bool(ratio is not None and ratio <= TARGET_RATIO and value < TARGET_MS and baseline < TARGET_MS),
        })
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']:.1f} ms; {row['baseline_name']}: {row['baseline']:.1f} ms; "
              f"ratio {row['ratio']:.2f} (target {row['target']}) {'ok' if row['ok'] else 'MISSED'}")
