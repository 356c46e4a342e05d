"""The audit trail of a sitting as CSV.

One row per :class:`AuditEntry`, oldest first (a stable sort on ``at``, so
entries at the same instant keep the order they were given in, which is the
database's insertion order). Columns::

    Sequence, At (UTC), Actor, Action, Sitting, Candidate number, Script,
    What changed, From, To, Reason, Details (raw JSON),
    Hashed content, Content digest (SHA-256), Previous link, Link (SHA-256)

``At (UTC)`` is ISO 8601 with microseconds and offset (``2026-03-02T09:00:00.000000+00:00``),
so text order is time order. "What changed", "From", "To" and "Reason" say the
details in words (``domain.audit_summary``), so a reviewer can read the trail in
a spreadsheet; ``Details (raw JSON)`` stays last, the complete record: it is the entry's details as JSON text
(keys sorted, non-ASCII kept as it is so names and answers stay readable). JSON
already writes control characters as ``\\u0000``-style escapes, so nothing in
the details is lost to cleaning; only lone surrogates (which no UTF-8 file can
hold) and U+FFFE/U+FFFF are dropped. UTF-8 with a byte-order mark, for Excel.

The last four columns are the audit log's hash chain (``domain/audit_chain.py``),
so a reviewer outside the centre can check the trail with any SHA-256 tool:
``sha256(Hashed content) == Content digest`` (the cell is ASCII JSON of the
stored fields, exactly as hashed) and ``sha256("<Previous link>:<Sequence>:<Content
digest>") == Link``. A sitting's trail is part of the whole log, so "Previous
link" is the link of the entry just before in the whole log; the whole log's
last link is what ``marker-tui audit verify`` prints as the head.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from datetime import timezone

from marker_tui.domain.audit_summary import summarise
from marker_tui.domain.reports import AuditEntry

from .text_cleaning import atomic_output, clean_text, csv_text

CSV_HEADERS = [
    "Sequence", "At (UTC)", "Actor", "Action", "Sitting", "Candidate number", "Script",
    "What changed", "From", "To", "Reason", "Details (raw JSON)",
    "Hashed content", "Content digest (SHA-256)", "Previous link", "Link (SHA-256)",
]


def _words(text: str) -> str:
    """A readable cell: cleaned for the file, then white space left by removed characters joined."""
    return csv_text(" ".join(clean_text(text).split()))


def details_json(details: dict[str, object]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)


def write_audit_csv(entries: Iterable[AuditEntry], path: str | os.PathLike[str]) -> None:
    """Write the audit trail, oldest first, details as JSON text (atomically)."""
    ordered = sorted(entries, key=lambda e: e.at)
    with atomic_output(path) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(CSV_HEADERS)
        for e in ordered:
            words = summarise(e.action, e.details)
            writer.writerow(
                [
                    "" if e.id is None else e.id,
                    e.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
                    csv_text(e.actor),
                    csv_text(e.action),
                    csv_text(e.sitting_code or ""),
                    csv_text(e.candidate_number or ""),
                    csv_text(e.script_ref or ""),
                    _words(words.what),
                    _words(words.old),
                    _words(words.new),
                    _words(words.reason),
                    csv_text(details_json(e.details)),
                    e.hashed_content or "", e.content_digest or "", e.previous_hash or "", e.chain_hash or "",
                ]
            )
        text.flush()
        text.detach()
