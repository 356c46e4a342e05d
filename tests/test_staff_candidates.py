"""Staff (roles, PINs, lock-out) and candidates (add, edit, CSV import all-or-nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marker_tui.domain.clock import FakeClock
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.candidates import CandidateService, CsvImportError
from marker_tui.services.staff import LockedOut, StaffService, WrongPin
from marker_tui.storage.database import open_database
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, START, room  # noqa: F401

CSV = Path(__file__).parent / "fixtures" / "candidates"
SECRET_PIN = "73915084"


@pytest.fixture
def empty(tmp_path):
    db = open_database(tmp_path / "m.db")
    yield db
    db.close()


# --- staff ---------------------------------------------------------------------------------


def test_the_pin_is_never_stored_in_clear(empty, tmp_path):
    staff = StaffService(empty, FakeClock(START))
    staff.add("Ada Admin", ["admin"], SECRET_PIN, by=None)
    staff.add("Second", ["invigilator"], SECRET_PIN, by="Ada Admin")
    rows = empty.execute("SELECT pin_hash, pin_salt, pin_params FROM staff").fetchall()
    for pin_hash, salt, params in rows:
        assert SECRET_PIN not in pin_hash and len(bytes.fromhex(salt)) == 16 and params.startswith("scrypt")
    assert rows[0][0] != rows[1][0] and rows[0][1] != rows[1][1]  # same PIN, different salt and hash
    empty.close()
    for file in tmp_path.glob("m.db*"):
        assert SECRET_PIN.encode() not in file.read_bytes()


def test_the_first_staff_member_must_be_an_admin_and_then_admins_add_the_rest(empty):
    staff = StaffService(empty, FakeClock(START))
    with pytest.raises(ServiceError, match="first staff member must be an admin"):
        staff.add("Ian", ["invigilator"], PIN, by=None)
    staff.add("Ada", ["admin"], PIN, by=None)
    with pytest.raises(ServiceError, match="--by"):
        staff.add("Ian", ["invigilator"], PIN, by=None)
    staff.add("Ian", ["invigilator", "marker"], PIN, by="ada")  # names match whatever the case
    with pytest.raises(ServiceError, match="needs the role admin"):
        staff.add("Mo", ["marker"], PIN, by="Ian")
    with pytest.raises(ServiceError, match="already a staff member called 'IAN'"):
        staff.add("IAN", ["marker"], PIN, by="Ada")
    with pytest.raises(ServiceError, match="Unknown role 'cleaner'"):
        staff.add("Cy", ["cleaner"], PIN, by="Ada")
    with pytest.raises(ServiceError, match="4 to 12 digits"):
        staff.add("Cy", ["marker"], "12ab", by="Ada")
    assert [(m.name, m.roles) for m in staff.members()] == [("Ada", ["admin"]),
                                                            ("Ian", ["invigilator", "marker"])]
    assert [e.action for e in entries(empty)] == ["staff added", "staff added"]


def test_three_wrong_pins_lock_the_name_for_a_minute_and_it_is_logged(empty):
    clock = FakeClock(START)
    staff = StaffService(empty, clock)
    staff.add("Ada", ["admin"], PIN, by=None)
    assert staff.verify_pin("ada", PIN).name == "Ada"
    for _ in range(2):
        with pytest.raises(WrongPin, match="do not match"):
            staff.verify_pin("Ada", "0000")
    with pytest.raises(LockedOut, match="locked out until"):
        staff.verify_pin("Ada", "0000")
    with pytest.raises(LockedOut):
        staff.verify_pin("Ada", PIN)  # even the right PIN, while locked
    clock.advance(seconds=59)
    with pytest.raises(LockedOut):
        staff.verify_pin("Ada", PIN)
    clock.advance(seconds=1)
    assert staff.verify_pin("Ada", PIN).name == "Ada"
    actions = [e.action for e in entries(empty)]
    assert actions == ["staff added", "staff signed in", "wrong PIN", "wrong PIN", "staff locked out",
                       "staff signed in"]


def test_an_unknown_name_looks_just_like_a_wrong_pin(empty):
    staff = StaffService(empty, FakeClock(START))
    staff.add("Ada", ["admin"], PIN, by=None)
    with pytest.raises(WrongPin, match="That name and PIN do not match"):
        staff.verify_pin("Nobody", PIN)


def test_an_admin_can_reset_a_pin_and_lift_a_lock(empty):
    staff = StaffService(empty, FakeClock(START))
    staff.add("Ada", ["admin"], PIN, by=None)
    staff.add("Ian", ["invigilator"], PIN, by="Ada")
    for _ in range(3):
        with pytest.raises((WrongPin, LockedOut)):
            staff.verify_pin("Ian", "9999")
    with pytest.raises(ServiceError, match="needs the role admin"):
        staff.reset_pin("Ian", "2468", by="Ian")
    staff.reset_pin("Ian", "2468", by="Ada")
    assert staff.verify_pin("Ian", "2468").name == "Ian"
    with pytest.raises(WrongPin):
        staff.verify_pin("Ian", PIN)


# --- candidates -------------------------------------------------------------------------------


def test_import_a_class_list(room):
    report = room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    assert report.added == ["2001", "2002", "2003", "2004", "2005"]
    chloe = room.candidates.get("2003")
    assert (chloe.name, chloe.extra_time_percent, chloe.in_words()) == (
        "Chloé Dubois", 50, "separate room; supervised rest breaks")
    assert chloe.arrangements[0].detail == "specialist assessor's report recommends 50%"
    assert chloe.arrangements[0].approved_on == "2026-09-01"  # 01/09/2026 as typed
    assert room.candidates.get("2005").name == "فاطمة الزهراء"


def test_importing_the_same_file_again_changes_nothing(room):
    room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    audit_rows = len(entries(room.db))
    again = room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 5
    assert len(entries(room.db)) == audit_rows


def test_a_changed_row_updates_the_candidate_with_old_and_new_in_the_log(room, tmp_path):
    room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    changed = tmp_path / "changed.csv"
    changed.write_text("candidate_number,name,extra_time_percent,access_arrangements\n"
                       "2001,Amira Khan,25,extra time | Form 8 on file | Sam Senco | 2026-09-01\n", encoding="utf-8")
    report = room.candidates.import_csv(changed, by=ADMIN)
    assert report.updated == ["2001"]
    assert room.candidates.get("2001").extra_time_percent == 25
    last = entries(room.db)[-1]
    assert last.action == "candidate changed" and last.candidate_number == "2001"
    assert last.details["changes"] == {
        "extra_time_percent": {"old": 0, "new": 25},
        "access_arrangements": {"old": "", "new": "extra time | Form 8 on file | Sam Senco | 2026-09-01"}}


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(room):
    before = room.candidates.all()
    with pytest.raises(CsvImportError) as error:
        room.candidates.import_csv(CSV / "bad.csv", by=ADMIN)
    problems = [(p.line, p.field) for p in error.value.problems]
    assert problems == [
        (3, "name"),
        (4, "candidate_number"),
        (5, "extra_time_percent"),
        (6, "extra_time_percent"),
        (7, "candidate_number"),
        (8, None),
    ]
    message = str(error.value)
    assert str(CSV / "bad.csv") in message and "nothing was imported" in message
    assert "line 7, candidate_number: 3001 already appears on line 2" in message
    assert "line 6, extra_time_percent: 'lots' is not a whole number" in message
    assert "line 8: has 2 values but the header has 4 columns" in message
    assert room.candidates.all() == before


def test_an_excel_file_with_a_byte_order_mark_and_friendly_headers_imports(room):
    report = room.candidates.import_csv(CSV / "excel_bom.csv", by=ADMIN)
    assert report.added == ["4001", "4002"]
    assert room.candidates.get("4001").extra_time_percent == 25


def test_line_numbers_stay_right_after_a_value_that_spans_lines(room):
    with pytest.raises(CsvImportError) as error:
        room.candidates.import_csv(CSV / "multiline.csv", by=ADMIN)
    assert [(p.line, p.field) for p in error.value.problems] == [(4, "name")]
    with pytest.raises(ServiceError):
        room.candidates.get("5001")


@pytest.mark.parametrize(("name", "expected"), [
    ("latin1.csv", "line 2: is not UTF-8 text"),
    ("semicolon.csv", "uses ';' between columns"),
])
def test_files_in_the_wrong_format_say_how_to_fix_them(room, name, expected):
    with pytest.raises(CsvImportError, match=expected):
        room.candidates.import_csv(CSV / name, by=ADMIN)


def test_a_missing_file_or_an_empty_one_is_a_clear_message(room, tmp_path):
    with pytest.raises(ServiceError, match="There is no file"):
        room.candidates.import_csv(tmp_path / "nope.csv", by=ADMIN)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(CsvImportError, match="the file is empty"):
        room.candidates.import_csv(tmp_path / "empty.csv", by=ADMIN)


def test_importing_needs_a_known_staff_member(room):
    with pytest.raises(ServiceError, match="no staff member called 'Mallory'"):
        room.candidates.import_csv(CSV / "good.csv", by="Mallory")
    with pytest.raises(ServiceError):
        room.candidates.get("2001")


def test_adding_and_editing_one_candidate(room):
    added = room.candidates.add("ab-12", "  Zoë   Smith ", "10%", "extra time | Form 8 on file | Sam Senco | "
                                "2026-09-01; rest breaks | Form 8 on file | Sam Senco | 2026-09-01", by=INVIGILATOR)
    assert (added.candidate_number, added.name, added.extra_time_percent) == ("AB-12", "Zoë Smith", 10)
    with pytest.raises(ServiceError, match="already exists"):
        room.candidates.add("AB-12", "Someone", by=ADMIN)
    with pytest.raises(ServiceError, match="extra_time_percent 401 is outside 0 to 400"):
        room.candidates.edit("AB-12", extra_time_percent=401, by=ADMIN)
    edited = room.candidates.edit("ab-12", name="Zoë Smith-Jones", by=ADMIN)
    assert edited.name == "Zoë Smith-Jones" and edited.extra_time_percent == 10
    # Said once, naming what was found ("name the name contains a control character (a tab or line
    # break?)" named the field twice and guessed a tab for an ESC).
    with pytest.raises(ServiceError, match=r"^name holds an escape character \(ESC\), which cannot be printed; "
                                           "remove it") as refused:
        room.candidates.add("X1", "bad\x1b[2Jname", by=ADMIN)
    assert str(refused.value).count("name") == 1


def test_services_default_to_the_system_clock(empty):
    # The CLI builds services without a clock; reading must work the same.
    assert CandidateService(empty).all() == []
    assert StaffService(empty).members() == []


# --- re-importing a class list: absent columns keep what is stored; a preview first ----------------


E8 = "Form 8 on file | Sam Senco | 2026-09-01"
BEN = f"extra time | {E8}; reader | {E8}"
CHLOE_LEFT = f"separate room | {E8}; supervised rest breaks | {E8}"
CHLOE = f"extra time: specialist assessor's report recommends 50% | {E8}; {CHLOE_LEFT}"


def _snapshot_candidates(db) -> list[tuple]:
    return db.execute("SELECT candidate_number, name, extra_time_percent, access_arrangements"
                      " FROM candidates ORDER BY 1").fetchall()


def test_a_list_of_numbers_and_names_keeps_extra_time_and_arrangements(room, tmp_path):
    room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    names_only = tmp_path / "names.csv"
    names_only.write_text("candidate_number,name\n2002,Ben Jones\n2003,Chloé Dubois-Martin\n", encoding="utf-8")
    preview = room.candidates.preview_import(names_only, by=ADMIN)
    assert [c.describe() for c in preview.changed] == ["2003 Chloé Dubois: name 'Chloé Dubois' -> 'Chloé Dubois-Martin'"]
    assert preview.unchanged == ["2002"] and preview.added == []
    report = room.candidates.import_csv(names_only, by=ADMIN, expect=preview)
    assert (report.updated, report.unchanged) == (["2003"], ["2002"])
    ben, chloe = room.candidates.get("2002"), room.candidates.get("2003")
    assert (ben.extra_time_percent, ben.in_words()) == (25, "reader")
    assert (chloe.name, chloe.extra_time_percent, chloe.in_words()) == (
        "Chloé Dubois-Martin", 50, "separate room; supervised rest breaks")


def test_an_empty_cell_keeps_the_value_and_none_clears_it_with_the_change_in_the_log(room, tmp_path):
    room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    edited = tmp_path / "edited.csv"
    edited.write_text("candidate_number,name,extra_time_percent,access_arrangements\n"
                      f"2002,Ben Jones,,extra time | {E8}\n2003,Chloé Dubois,none,\n2009,Zoe New,10,extra time | "
                      "Form 8 on file | Sam Senco | 2026-09-01\n", encoding="utf-8")
    preview = room.candidates.preview_import(edited, by=ADMIN)
    assert preview.lines() == [
        f"{edited}: 1 new, 2 changed, 0 unchanged.",
        "  new      2009 Zoe New (+10% time; extra time | Form 8 on file | Sam Senco | 2026-09-01)",
        f"  changed  2002 Ben Jones: access arrangements {BEN!r} -> 'extra time | {E8}'",
        f"  changed  2003 Chloé Dubois: extra time 50% -> 0%; access arrangements {CHLOE!r} -> {CHLOE_LEFT!r}",
    ]
    room.candidates.import_csv(edited, by=ADMIN, expect=preview)
    assert [(c.extra_time_percent, c.in_words()) for c in
            map(room.candidates.get, ["2002", "2003", "2009"])] == [
        (25, ""), (0, "separate room; supervised rest breaks"), (10, "")]
    assert room.candidates.get("2002").arrangements[0].evidence == "Form 8 on file"
    changes = {e.candidate_number: e.details["changes"] for e in entries(room.db) if e.action == "candidate changed"}
    assert changes == {"2002": {"access_arrangements": {"old": BEN, "new": f"extra time | {E8}"}},
                       "2003": {"extra_time_percent": {"old": 50, "new": 0},
                                "access_arrangements": {"old": CHLOE, "new": CHLOE_LEFT}}}


def test_the_preview_writes_nothing_and_a_stale_preview_imports_nothing(room, tmp_path):
    room.candidates.import_csv(CSV / "good.csv", by=ADMIN)
    edited = tmp_path / "edited.csv"
    edited.write_text("candidate_number,name,extra_time_percent\n2002,Ben Jones,none\n", encoding="utf-8")
    before = _snapshot_candidates(room.db)
    audit_rows = len(entries(room.db))
    preview = room.candidates.preview_import(edited, by=ADMIN)
    assert _snapshot_candidates(room.db) == before and len(entries(room.db)) == audit_rows
    room.candidates.edit("2002", extra_time_percent=20, by=ADMIN)  # someone else, meanwhile
    changed_meanwhile = _snapshot_candidates(room.db)
    with pytest.raises(ServiceError, match="changed since the preview was shown; nothing was imported"):
        room.candidates.import_csv(edited, by=ADMIN, expect=preview)
    assert _snapshot_candidates(room.db) == changed_meanwhile


def test_a_real_process_hashes_pins_at_the_production_cost_and_every_pin_is_checked_as_it_was_hashed(tmp_path):
    import subprocess
    import sys

    from marker_tui.services.staff import PIN_COST, PRODUCTION_PIN_COST

    assert PRODUCTION_PIN_COST == {"n": 2**14, "r": 8, "p": 1}
    assert PIN_COST["n"] < PRODUCTION_PIN_COST["n"]  # this process: the suite's cheap hashes
    path = tmp_path / "real.db"
    subprocess.run([sys.executable, "-m", "marker_tui", "--db", str(path), "staff", "add", "Ada Admin", "--role",
                    "admin", "--pin-stdin"], input="4826\n4826\n", text=True, check=True, capture_output=True)
    db = open_database(path)
    try:
        assert db.execute("SELECT pin_params FROM staff").fetchone()[0] == "scrypt:n=16384,r=8,p=1"
        staff = StaffService(db, FakeClock(START))
        assert staff.verify_pin("Ada Admin", "4826").name == "Ada Admin"  # checked at the cost it was made with
        staff.add("Cheap Hash", ["marker"], SECRET_PIN, by="Ada Admin")
        assert db.execute("SELECT pin_params FROM staff WHERE name = 'Cheap Hash'").fetchone()[0] == "scrypt:n=256,r=8,p=1"
        with pytest.raises(ServiceError, match="do not match"):
            staff.verify_pin("Ada Admin", "4827")
    finally:
        db.close()
