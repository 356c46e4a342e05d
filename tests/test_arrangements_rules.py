"""Access arrangement rules: the fixed list, free text read against it, the extra-time cap."""

from __future__ import annotations

import pytest

from marker_tui.domain.arrangements import (
    Arrangement,
    ArrangementKind,
    ExtraTimeRefused,
    check_extra_time,
    kinds_in,
)


def test_free_text_typed_before_the_list_is_read_against_it():
    assert kinds_in("25% extra time, word processor with spell checker off") == [
        ArrangementKind.EXTRA_TIME, ArrangementKind.SCRIBE]
    assert kinds_in("separate room; rest breaks") == [ArrangementKind.REST_BREAKS, ArrangementKind.SEPARATE_ROOM]
    assert kinds_in("coloured overlay (yellow)") == [ArrangementKind.OVERLAY]
    assert kinds_in("") == [] and kinds_in(None) == []


def test_an_arrangement_keeps_its_evidence_on_one_line():
    a = Arrangement(kind=ArrangementKind.READER, detail="  for  long\nquestions ", evidence="Form 8,\t12 Sep 2026")
    assert a.text() == "reader (for long questions)" and a.evidence == "Form 8, 12 Sep 2026"


def test_the_extra_time_cap_and_its_reason():
    assert check_extra_time(25, by_admin=False, reason="Form 8") == 25
    assert check_extra_time(0, by_admin=False, reason=None) == 0
    with pytest.raises(ExtraTimeRefused, match="needs an administrator"):
        check_extra_time(30, by_admin=False, reason="Form 8")
    assert check_extra_time(50, by_admin=True, reason="Form 8 and specialist assessor report") == 50
    assert check_extra_time(30, cap=50, by_admin=False, reason="centre cap raised") == 30
    with pytest.raises(ExtraTimeRefused, match="reason"):
        check_extra_time(25, by_admin=True, reason="  ")
    with pytest.raises(ExtraTimeRefused, match="0 to 400"):
        check_extra_time(401, by_admin=True, reason="x")


def test_the_written_form_reads_back_and_old_free_text_keeps_every_word():
    from marker_tui.domain.arrangements import ArrangementsRefused, from_old_text, read_written, used_text, written

    listed = read_written("reader | Form 8 on file | Sam Senco | 12/09/2026; other: sits near the door | "
                          "GP letter | Sam Senco | 2026-09-01")
    assert [(a.kind, a.detail, a.approved_on) for a in listed] == [
        (ArrangementKind.READER, "", "2026-09-12"), (ArrangementKind.OTHER, "sits near the door", "2026-09-01")]
    assert read_written(written(listed)) == listed
    assert used_text(25, listed) == "25% extra time; reader; other (sits near the door)"
    with pytest.raises(ArrangementsRefused, match="write 'other: tea breaks'"):
        read_written("tea breaks | Form 8 | Sam | 2026-09-01")
    old = from_old_text("25% extra time, reader; sits near the door", 25)
    assert [(a.kind, a.detail) for a in old] == [(ArrangementKind.EXTRA_TIME, "25% extra time"),
                                                 (ArrangementKind.READER, ""),
                                                 (ArrangementKind.OTHER, "sits near the door")]
    assert not any(a.has_evidence() for a in old)


def test_a_list_needs_evidence_and_extra_time_its_arrangement_and_above_the_cap_an_admin_s_reason():
    from marker_tui.domain.arrangements import ArrangementsRefused, check_list, read_written

    e = "Form 8 | Sam Senco | 2026-09-01"
    with pytest.raises(ArrangementsRefused, match="reader needs its evidence"):
        check_list(read_written("reader"), 0, by_admin=True)
    with pytest.raises(ArrangementsRefused, match="25% extra time needs its arrangement"):
        check_list([], 25, by_admin=True)
    with pytest.raises(ArrangementsRefused, match="extra time is 0%"):
        check_list(read_written(f"extra time | {e}"), 0, by_admin=True)
    assert check_list(read_written(f"extra time | {e}"), 25, by_admin=False) is None
    with pytest.raises(ArrangementsRefused, match="needs an administrator"):
        check_list(read_written(f"extra time: report | {e}"), 50, by_admin=False)
    with pytest.raises(ArrangementsRefused, match="write the reason after 'extra time:'"):
        check_list(read_written(f"extra time | {e}"), 50, by_admin=True)
    assert check_list(read_written(f"extra time: report | {e}"), 50, by_admin=True) == "report"
    assert check_list(read_written(f"extra time | {e}"), 40, cap=50, by_admin=False) is None
