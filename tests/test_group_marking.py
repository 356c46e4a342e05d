"""Identical answers marked once (issue 18.6), through the real marking service: the groups a marker
is offered, one mark version per script, the audit trail, and the scripts left out (held by
someone else, complete, changed meanwhile)."""

from __future__ import annotations

import pytest

from marker_tui.services.marking import MarkingError
from monitoring_fixtures import ANA, BEN, IVY, build_monitoring_room


@pytest.fixture
def room(tmp_path):
    built = build_monitoring_room(tmp_path / "group.db", marked=False)
    yield built
    built.db.close()


def ladders(room):
    [group] = [g for g in room.centre().marking.identical_answers("MON-1", "1", by=ANA) if g.answer == "ladders"]
    return group


def test_answers_the_same_once_normalised_are_offered_as_one_group(room):
    groups = room.centre().marking.identical_answers("MON-1", "1", by=ANA)
    assert [(g.answer, len(g.scripts)) for g in groups] == [("ladders", 4)]   # Ladders, ladders., LADDERS
    numbers = {s.script_number for s in groups[0].scripts}
    assert numbers == {room.number(n) for n in ("1001", "1002", "1005", "1006")}
    # Blind: the group carries script numbers and answers, never who wrote them.
    assert not hasattr(groups[0].scripts[0], "candidate_number")


def test_marking_the_group_gives_each_script_its_own_mark_version_and_audits_the_group(room):
    marking = room.centre().marking
    group = ladders(room)
    done = marking.mark_group("MON-1", "1", group.answer, 2, by=ANA, versions=group.versions, ticks=[0, 1])
    expected = tuple(sorted(room.number(n) for n in ("1001", "1002", "1005", "1006")))
    assert done.marked == expected and not done.left_out
    assert done.message.startswith("Question 1: 2 marks given to 4 scripts")
    for number in ("1001", "1002", "1005", "1006"):
        [version] = marking.history(room.script(number), "1")
        assert (version.marks_awarded, version.marked_by, version.credited_points) == (2, ANA, (0, 1))
    assert len(room.audit("mark given")) == 4
    [entry] = room.audit("identical answers marked as a group")
    assert entry.details["scripts"] == list(expected) and entry.details["marks"] == 2
    assert entry.details["answer"] == "ladders" and entry.details["left out"] == {}
    # The group leaves no claim: other markers can still open those scripts.
    assert marking.open_script(room.script("1005"), by=BEN).script_number == room.number("1005")


def test_a_script_held_by_another_marker_is_left_out_with_who_holds_it(room):
    marking = room.centre().marking
    marking.open_script(room.script("1005"), by=BEN)
    group = ladders(room)
    done = marking.mark_group("MON-1", "1", group.answer, 1, by=ANA, versions=group.versions)
    held = room.number("1005")
    assert held not in done.marked and done.left_out[held].startswith("being marked by Ben Okafor since")
    assert f"left out: {held} (being marked by Ben Okafor" in done.message
    assert marking.history(room.script("1005"), "1") == []
    [entry] = room.audit("identical answers marked as a group")
    assert entry.details["left out"] == {held: done.left_out[held]}


def test_a_complete_script_and_one_changed_meanwhile_are_left_out(room):
    marking = room.centre().marking
    group = ladders(room)   # shown before the changes below
    one, two = room.script("1001"), room.script("1002")
    for q, v in (("1", 1), ("2a", 1), ("2b", 1)):
        marking.save_mark(one, q, v, by=BEN, expected_version=0, hold=False)
    marking.complete(one, by=BEN)
    marking.save_mark(two, "1", 0, by=BEN, expected_version=0, hold=False)
    done = marking.mark_group("MON-1", "1", group.answer, 2, by=ANA, versions=group.versions)
    assert "marked complete by Ben Okafor" in done.left_out[room.number("1001")]
    assert done.left_out[room.number("1002")] == "its mark changed since the list was shown (now 0 from Ben Okafor)"
    assert len(done.marked) == 2
    assert [v.marks_awarded for v in marking.history(two, "1")] == [0]


def test_when_every_script_is_left_out_nothing_is_written(room):
    marking = room.centre().marking
    group = ladders(room)
    stale = {sid: 7 for sid in group.versions}
    done = marking.mark_group("MON-1", "1", group.answer, 2, by=ANA, versions=stale)
    assert done.marked == () and len(done.left_out) == 4
    assert not room.audit("identical answers marked as a group") and not room.audit("mark given")


def test_a_mark_over_the_maximum_a_blank_answer_and_a_non_marker_are_refused(room):
    marking = room.centre().marking
    group = ladders(room)
    with pytest.raises(MarkingError, match="2"):
        marking.mark_group("MON-1", "1", group.answer, 3, by=ANA, versions=group.versions)
    with pytest.raises(MarkingError, match="blank answer"):
        marking.mark_group("MON-1", "1", "  ... ", 1, by=ANA, versions=group.versions)
    with pytest.raises(Exception, match="Ivy Reviewer"):
        marking.mark_group("MON-1", "1", group.answer, 1, by=IVY, versions=group.versions)
    assert not room.audit("mark given")


def test_a_script_whose_answer_differs_is_not_marked_with_the_group(room):
    marking = room.centre().marking
    group = ladders(room)
    versions = {**group.versions, room.script("1003"): 0}   # "Wet floors"
    done = marking.mark_group("MON-1", "1", group.answer, 2, by=ANA, versions=versions)
    assert done.left_out == {room.number("1003"): "its answer is not the same"}


def test_monitoring_then_shows_no_inconsistency_for_a_group_marked_once(room):
    marking = room.centre().marking
    group = ladders(room)
    marking.mark_group("MON-1", "1", group.answer, 2, by=ANA, versions=group.versions)
    marking.save_mark(room.script("1003"), "1", 1, by=ANA, expected_version=0, hold=False)
    ana = room.centre().monitoring.report("MON-1", by=IVY).marker(ANA).figures
    assert ana.inconsistent == () and ana.answers_marked == 5
