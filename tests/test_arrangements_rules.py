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
