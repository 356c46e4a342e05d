"""Audit details in words (domain.audit_summary): every shape the services record."""

from __future__ import annotations

import pytest

from marker_tui.domain.audit_summary import duration_text, summarise


def test_old_and_new_records_read_as_the_fields_that_changed():
    s = summarise("mark changed", {
        "old": {"marks": 2, "comment": None, "at": "2026-03-02T09:00:00+00:00", "by": "Jo", "version": 1},
        "new": {"marks": 3, "comment": "Good", "at": "2026-03-02T09:05:00+00:00", "by": "Jo", "version": 2},
        "question": "2a", "reason": "second look at the scheme",
    })  # fmt: skip
    assert (s.what, s.old, s.new, s.reason) == (
        "marks, comment; question: 2a", "marks: 2; comment: none", "marks: 3; comment: Good",
        "second look at the scheme")


def test_a_first_value_has_from_none():
    s = summarise("centre name changed", {"old": None, "new": "Glanmor College"})
    assert (s.what, s.old, s.new, s.reason) == ("centre name", "none", "Glanmor College", "")


@pytest.mark.parametrize("details, what, old, new", [
    ({"old_allowed_seconds": 5400, "new_allowed_seconds": 6750}, "allowed time", "1 h 30 m", "1 h 52 m 30 s"),
    ({"total before": 14, "total after": 15, "script_number": "4390"}, "total; script number: 4390", "14", "15"),
    ({"before": "open", "after": "running"}, "", "open", "running"),
])  # fmt: skip
def test_before_and_after_pairs(details, what, old, new):
    s = summarise("changed", details)
    assert (s.what, s.old, s.new) == (what, old, new)


def test_plain_facts_are_listed_with_times_in_utc_and_hashes_left_to_the_raw_column():
    s = summarise("candidate paused", {"left_seconds": 2100, "paused_at": "2026-12-05T09:55:00.000000+00:00",
                                       "sha256": "ab" * 32, "reason": None, "names": ["1001", "1002"]})
    assert s.what == "left time: 35 m; paused at: 2026-12-05 09:55:00 UTC; names: 1001, 1002"
    assert (s.old, s.new, s.reason) == ("", "", "")


def test_long_values_are_bounded_and_nothing_raises_on_odd_shapes():
    s = summarise("note", {"text": "x" * 5000, "nested": {"a": [1, {"b": None}]}, "flag": True})
    assert len(s.what) <= 200 and s.what.endswith("…")
    assert summarise("odd", None).what == ""
    assert summarise("odd", {"old": [1, 2], "new": 3.5}).new == "3.5"


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (59, "59 s"), (60, "1 m"), (3600, "1 h"), (6750, "1 h 52 m 30 s"),
                                           (-90, "-1 m 30 s")])
def test_durations(seconds, text):
    assert duration_text(seconds) == text
