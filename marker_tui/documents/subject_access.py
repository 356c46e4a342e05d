"""A subject access export: everything held about one learner, for them to read and to process.

The Word document is for the learner: their details, then each exam they sat
(answers with every saved version, marks with comments and their history, the
marker's feedback, pauses and extra time, internal quality assurance), then
the audit entries that name them. Tables it has no special layout for are
printed as they are, column by column, so nothing held is left out of the
readable copy. The JSON file is the same content for a machine.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import datetime
from typing import Any

from marker_tui.domain.arrangements import Evidenced, in_words
from marker_tui.domain.audit_summary import summarise
from marker_tui.domain.data_protection import SubjectAccessRecord
from marker_tui.domain.local_time import DAY_MINUTE, local_time
from marker_tui.documents.feedback import WordDocument
from marker_tui.documents.text_cleaning import atomic_output, clean_text

#: Tables the document lays out itself; any other table is printed as it is.
_LAID_OUT = {"candidates", "scripts", "answers", "answer_versions", "marks", "mark_versions", "script_marking",
             "pauses", "extensions", "iqa_reviews", "iqa_question_reviews"}


def _when(value: Any) -> str:
    if not value:
        return "-"
    try:
        instant = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if instant.tzinfo is None:  # written without a zone: shown as written, with no zone name
        return instant.strftime(DAY_MINUTE)
    return local_time(instant, DAY_MINUTE + " %Z")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    return str(value)


def _in_force(stored: Any) -> str:
    """A script's copy of the arrangements (JSON, made when it was entered and kept once its clock
    started), in words: what applied in that sitting, whatever the candidate's record says now."""
    try:
        listed = [Evidenced.model_validate(a) for a in json.loads(stored or "[]")]
    except (TypeError, ValueError):  # not a list as written: shown as it is, so nothing held is hidden
        return _text(stored)
    return in_words(listed) or "none"


def write_subject_access_json(record: SubjectAccessRecord, path: str | os.PathLike[str]) -> None:
    data = json.loads(record.model_dump_json())
    with atomic_output(path) as stream:
        stream.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))


def _by_script(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row.get("script_id")].append(row)
    return grouped


def build_subject_access_document(record: SubjectAccessRecord) -> WordDocument:
    t = record.tables
    doc = WordDocument(title=f"Personal data held about {record.name}", author=record.centre,
                       footer=f"{record.centre}: subject access, candidate {record.candidate_number}")
    doc.title(f"Personal data held about {record.name}")
    doc.paragraph(f"{record.centre}. Produced {_when(record.produced_at.isoformat())} by {record.produced_by}, "
                  "in answer to a subject access request. This document holds every record marker-tui keeps "
                  "about you; the JSON file with the same name holds the same records for a computer.")

    doc.heading("Your details")
    [me] = t["candidates"] or [{}]
    doc.table(None, [["Candidate number", record.candidate_number], ["Name", record.name],
                     ["Extra time", f"{me.get('extra_time_percent') or 0}%"],
                     # Today's list; each exam below says what applied on its day.
                     ["Access arrangements now", me.get("access_arrangements") or "none"],
                     ["Record created", _when(me.get("created_at"))], ["Last changed", _when(me.get("updated_at"))]],
              widths_mm=[50, 120], bold_first_column=True)

    answers, versions = _by_script(t.get("answers", [])), _by_script(t.get("answer_versions", []))
    marks, mark_versions = _by_script(t.get("marks", [])), _by_script(t.get("mark_versions", []))
    marking, pauses = _by_script(t.get("script_marking", [])), _by_script(t.get("pauses", []))
    extensions, reviews = _by_script(t.get("extensions", [])), _by_script(t.get("iqa_reviews", []))
    question_reviews: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in t.get("iqa_question_reviews", []):
        question_reviews[row["review_id"]].append(row)

    if not t["scripts"]:
        doc.heading("Exams")
        doc.paragraph("You have not been entered for any exam.")
    for script in t["scripts"]:
        label = record.sittings.get(script["sitting_id"], {})
        doc.heading(f"Exam: {label.get('qualification', '?')} unit {label.get('unit', '?')} "
                    f"({label.get('title', '')}), sitting {label.get('code', script['sitting_id'])}")
        doc.table(None, [["Entered", _when(script.get("enrolled_at"))], ["Logged in", _when(script.get("logged_in_at"))],
                         ["Started", _when(script.get("started_at"))], ["Handed in", _when(script.get("submitted_at"))],
                         ["How it ended", _text(script.get("finish") or script.get("submitted_reason"))],
                         ["Extra time", f"{script.get('extra_time_percent') or 0}%"],
                         ["Access arrangements", _in_force(script.get("arrangements"))]],
                  widths_mm=[50, 120], bold_first_column=True)
        sid = script["id"]
        doc.heading("Your answers", 2)
        if not answers.get(sid):
            doc.paragraph("No answers were saved.")
        for answer in answers.get(sid, []):
            doc.paragraph(_text(answer.get("text")), bold_lead=f"Question {answer['question_id']}: ")
            earlier = [v for v in versions.get(sid, []) if v["question_id"] == answer["question_id"]]
            if len(earlier) > 1:
                doc.table(["Saved", "Version", "Text"],
                          [[_when(v["saved_at"]), v["version"], _text(v["text"])] for v in earlier],
                          widths_mm=[35, 18, 117])
        if marks.get(sid) or mark_versions.get(sid):
            doc.heading("Your marks", 2)
            doc.table(["Question", "Mark", "Comment", "Marked by", "When"],
                      [[m["question_id"], m["marks_awarded"], _text(m.get("comment")), _text(m.get("marked_by")),
                        _when(m.get("marked_at"))] for m in marks.get(sid, [])],
                      widths_mm=[20, 15, 75, 30, 30])
            if len(mark_versions.get(sid, [])) > len(marks.get(sid, [])):
                doc.paragraph("Every mark given, including ones later changed:", keep_with_next=True)
                doc.table(["Question", "Mark", "Comment", "Reason", "By", "When"],
                          [[v["question_id"], v["marks_awarded"], _text(v.get("comment")), _text(v.get("reason")),
                            _text(v.get("marked_by")), _when(v.get("marked_at"))] for v in mark_versions[sid]],
                          widths_mm=[18, 13, 55, 34, 25, 25])
        for m in marking.get(sid, []):
            if m.get("overall_feedback") or m.get("next_steps"):
                doc.heading("Feedback", 2)
                doc.paragraph(_text(m.get("overall_feedback")), bold_lead="Overall: ")
                doc.paragraph(_text(m.get("next_steps")), bold_lead="Next steps: ")
        if pauses.get(sid) or extensions.get(sid):
            doc.heading("Pauses and extra time", 2)
            doc.table(["What", "From", "To", "Reason", "By"],
                      [["pause", _when(p.get("started_at")), _when(p.get("ended_at")), _text(p.get("reason")),
                        _text(p.get("started_by"))] for p in pauses.get(sid, [])]
                      + [["extra minutes", _when(e.get("granted_at")), f"+{e['minutes']} min", _text(e.get("reason")),
                          _text(e.get("granted_by"))] for e in extensions.get(sid, [])],
                      widths_mm=[25, 35, 30, 50, 30])
        if reviews.get(sid):
            doc.heading("Internal quality assurance", 2)
            for review in reviews[sid]:
                doc.paragraph(f"{_text(review.get('decision'))} ({_text(review.get('state'))}, "
                              f"{_when(review.get('decided_at'))}). {_text(review.get('decision_reason'))}",
                              bold_lead="Decision: ")
                rows = question_reviews.get(review["id"], [])
                if rows:
                    doc.table(["Question", "Marker's mark", "Agreed", "Reviewer's mark", "Reason"],
                              [[q["question_id"], _text(q.get("marker_mark")), "yes" if q.get("agree") else "no",
                                _text(q.get("reviewer_mark")), _text(q.get("reason"))] for q in rows],
                              widths_mm=[20, 25, 18, 27, 80])

    others = [(table, rows) for table, rows in sorted(t.items()) if table not in _LAID_OUT and rows]
    if others:
        doc.heading("Other records")
        for table, rows in others:
            doc.paragraph(f"{table.replace('_', ' ')} ({len(rows)})", bold_lead="Table: ", keep_with_next=True)
            columns = list(rows[0])
            width = 170 / len(columns)
            doc.table([c.replace("_", " ") for c in columns],
                      [[_when(r.get(c)) if c.endswith("_at") else _text(r.get(c)) for c in columns] for r in rows],
                      widths_mm=[width] * len(columns))

    doc.heading("Entries in the audit log that name you")
    if not record.audit:
        doc.paragraph("None.")
    else:
        rows = []
        for entry in record.audit:
            change = summarise(entry["action"], entry["details"])
            said = "; ".join(p for p in (change.what, f"{change.old} → {change.new}" if change.old or change.new else "",
                                          change.reason) if p)
            rows.append([_when(entry["at"]), entry["actor"], entry["action"], clean_text(said) or "-"])
        doc.table(["When", "Who", "What", "Details"], rows, widths_mm=[32, 35, 40, 63])
    return doc


def write_subject_access_docx(record: SubjectAccessRecord, path: str | os.PathLike[str]) -> None:
    build_subject_access_document(record).save(path)
