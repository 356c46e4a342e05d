"""The one write door: who acts, whether they may, and that every change is audited."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone

import pytest

from marker_tui.domain.audit_actions import Action
from marker_tui.domain.clock import FakeClock
from marker_tui.domain.events import AuditEvent, event_class, event_classes
from marker_tui.domain.events.incidents import IncidentNoted, LearnerTerminalClosed
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import Actor, ServiceError, entries
from marker_tui.services.staff import StaffService
from marker_tui.services.unit_of_work import UnauditedWrite, UnitOfWork
from marker_tui.storage.database import open_database

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def uow(tmp_path):
    db = open_database(tmp_path / "centre.db")
    clock = FakeClock(NOW)
    staff = StaffService(db, clock)
    staff.add("Ada Admin", ["admin"], "4826", by=None)
    staff.add("Ian Invigilator", ["invigilator"], "4826", by="Ada Admin")
    staff.add("Mo Marker", ["marker"], "4826", by="Ada Admin")
    yield UnitOfWork(db, clock)
    db.close()


def _incidents(uow):
    return [e for e in entries(uow.db) if e.action == Action.INCIDENT.value]


def test_a_permitted_write_is_recorded_with_who_when_and_the_typed_details(uow):
    with uow.write(by="ian invigilator", needs=Permission.RUN_ROOM) as tx:
        tx.record(IncidentNoted(note="fire alarm"))
    [entry] = _incidents(uow)
    assert entry.actor == "Ian Invigilator"
    assert entry.at == NOW
    assert entry.details == {"note": "fire alarm"}


def test_someone_without_the_permission_is_refused_and_nothing_is_written(uow):
    with pytest.raises(ServiceError, match="Mo Marker cannot do this: it needs the role invigilator or admin"):
        with uow.write(by="Mo Marker", needs=Permission.RUN_ROOM) as tx:
            tx.record(IncidentNoted(note="should not be here"))
    assert _incidents(uow) == []


def test_any_of_several_permissions_is_enough(uow):
    with uow.write(by="Mo Marker", needs=(Permission.RUN_ROOM, Permission.MARK)) as tx:
        tx.record(IncidentNoted(note="marker noted it"))
    assert [e.actor for e in _incidents(uow)] == ["Mo Marker"]


def test_a_stranger_or_nobody_is_refused_with_a_message_that_says_what_to_do(uow):
    with pytest.raises(ServiceError, match="no staff member called 'Zed'"):
        with uow.write(by="Zed", needs=Permission.RUN_ROOM):
            pass
    with pytest.raises(ServiceError, match="--by NAME"):
        with uow.write(by="  ", needs=Permission.RUN_ROOM):
            pass


def test_a_staff_write_must_name_its_permission(uow):
    with pytest.raises(TypeError, match="Permission"):
        with uow.write(by="Ada Admin", needs=None):
            pass


def test_a_write_that_records_nothing_is_rolled_back(uow):
    with pytest.raises(UnauditedWrite):
        with uow.write(by="Ada Admin", needs=Permission.ADMINISTER) as tx:
            tx.candidates.insert_candidate("Z1", "Zoe Zed", 0, "", at=tx.now)
    with uow.read() as rx:
        assert rx.candidates.all_candidates() == []


def test_named_housekeeping_commits_without_an_audit_row(uow):
    before = len(entries(uow.db))
    with uow.write(by="Ada Admin", needs=Permission.ADMINISTER, housekeeping="tidying a candidate") as tx:
        tx.candidates.insert_candidate("Z1", "Zoe Zed", 0, "", at=tx.now)
    with uow.read() as rx:
        assert [c.candidate_number for c in rx.candidates.all_candidates()] == ["Z1"]
    assert len(entries(uow.db)) == before


def test_housekeeping_may_still_record_an_event(uow):
    with uow.write(by="Ada Admin", needs=Permission.RUN_ROOM, housekeeping="claim refresh") as tx:
        tx.record(IncidentNoted(note="taken, not refreshed"))
    assert [e.details["note"] for e in _incidents(uow)] == ["taken, not refreshed"]


def test_housekeeping_must_be_named_in_words(uow):
    for unnamed in ("", "   ", True):
        with pytest.raises(TypeError, match="housekeeping must say"):
            with uow.write(by="Ada Admin", needs=Permission.ADMINISTER, housekeeping=unnamed) as tx:
                tx.candidates.insert_candidate("Z1", "Zoe Zed", 0, "", at=tx.now)
        with pytest.raises(TypeError, match="housekeeping must say"):
            uow.run(lambda tx: None, by="Ada Admin", needs=Permission.ADMINISTER, housekeeping=unnamed)
    with uow.read() as rx:
        assert rx.candidates.all_candidates() == []


def test_run_with_housekeeping_commits_and_without_is_refused(uow):
    def work(tx):
        tx.candidates.insert_candidate("Z2", "Zak Zed", 0, "", at=tx.now)

    with pytest.raises(UnauditedWrite):
        uow.run(work, by="Ada Admin", needs=Permission.ADMINISTER)
    with uow.read() as rx:
        assert rx.candidates.all_candidates() == []
    uow.run(work, by="Ada Admin", needs=Permission.ADMINISTER, housekeeping="a test's upkeep")
    with uow.read() as rx:
        assert [c.candidate_number for c in rx.candidates.all_candidates()] == ["Z2"]


def test_an_error_in_the_block_rolls_back_the_change_and_its_audit_row(uow):
    with pytest.raises(ServiceError, match="no such thing"):
        with uow.write(by="Ada Admin", needs=Permission.RUN_ROOM) as tx:
            tx.record(IncidentNoted(note="half done"))
            raise ServiceError("no such thing")
    assert _incidents(uow) == []


def test_a_candidate_or_the_system_acts_without_a_staff_permission(uow):
    with uow.write(by=Actor.candidate("C001"), needs=None) as tx:
        tx.record(IncidentNoted(note="asked for help"))
    assert [e.actor for e in _incidents(uow)] == ["candidate C001"]
    with pytest.raises(ServiceError, match="needs a member of staff"):
        with uow.write(by=Actor.candidate("C001"), needs=Permission.RUN_ROOM):
            pass


def test_a_write_waits_for_another_program_s_lock_then_commits_once(uow, tmp_path):
    other = sqlite3.connect(tmp_path / "centre.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    holding = threading.Event()
    done: list[BaseException | None] = []

    def write() -> None:
        holding.set()
        try:
            with uow.write(by="Ada Admin", needs=Permission.RUN_ROOM) as tx:
                tx.record(IncidentNoted(note="after the lock"))
            done.append(None)
        except BaseException as error:  # noqa: BLE001 - reported below
            done.append(error)

    worker = threading.Thread(target=write)
    worker.start()
    holding.wait()
    other.execute("COMMIT")  # the other program lets go; the waiting write now gets the lock
    other.close()
    worker.join(timeout=60)
    assert done == [None]
    assert [e.details["note"] for e in _incidents(uow)] == ["after the lock"]


def test_run_repeats_work_that_met_a_lock_and_commits_only_the_last_run(uow):
    runs = []

    def work(tx):
        runs.append(1)
        tx.record(IncidentNoted(note=f"run {len(runs)}"))
        if len(runs) == 1:
            raise sqlite3.OperationalError("database is locked")
        return len(runs)

    assert uow.run(work, by="Ada Admin", needs=Permission.RUN_ROOM) == 2
    assert [e.details["note"] for e in _incidents(uow)] == ["run 2"]


def test_a_refusal_is_recorded_even_for_a_name_not_on_the_staff_list(uow):
    uow.record_refusal(IncidentNoted(note="tried to end the sitting"), by="Zed")
    [entry] = _incidents(uow)
    assert entry.actor == "Zed"


def test_repositories_are_storage_functions_bound_to_the_transaction(uow):
    with uow.read() as rx:
        assert rx.staff.staff_by_name("Ada Admin").name == "Ada Admin"
        with pytest.raises(AttributeError, match="no storage module"):
            rx.nothing_here


def test_a_read_can_check_a_permission_too(uow):
    with uow.read(by="Mo Marker", needs=Permission.READ_MARKS) as rx:
        assert rx.actor.label == "Mo Marker"
    with pytest.raises(ServiceError, match="cannot do this"):
        with uow.read(by="Ian Invigilator", needs=Permission.READ_MARKS):
            pass


def test_event_details_keep_the_keys_the_log_always_had():
    assert LearnerTerminalClosed(screen="locked").details() == {"learner's screen": "locked"}


def test_each_action_is_recorded_by_at_most_one_event_class():
    classes = event_classes()
    assert event_class(Action.INCIDENT) is IncidentNoted
    assert len(set(classes.values())) == len(classes)
    with pytest.raises(TypeError, match="both record"):
        type("IncidentAgain", (AuditEvent,), {"__annotations__": {}, "action": Action.INCIDENT,
                                              "__module__": __name__})
