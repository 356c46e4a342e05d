"""Every CLI route authenticates the person acting: ``--by`` names them, their PIN proves it.

CliRunner runs the commands in-process (its standard input is not a terminal,
so the PIN comes with ``--pin-stdin`` or not at all); the hidden prompt at a
real terminal is tested in a pseudo-terminal at the end.
"""

from __future__ import annotations

import json
import os
import pty
import select
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from marker_tui.interfaces.cli.main import cli
from sitting_fixtures import ADMIN, INVIGILATOR, PIN, build_room


@pytest.fixture
def centre(tmp_path: Path) -> Path:
    room = build_room(tmp_path / "centre.db")
    room.new_sitting(code="AUTH-1")
    room.db.close()
    return room.path


def run(db: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


def audit(db: Path, action: str) -> list[tuple[str, dict]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT actor, details FROM audit_log WHERE action = ? ORDER BY id", [action]).fetchall()
    return [(actor, json.loads(details)) for actor, details in rows]


def staff_names(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM staff ORDER BY name")]


def enrolled(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM scripts").fetchone()[0]


def test_by_alone_is_never_enough(centre):
    # The attack: a new admin "added by" Ada without Ada's PIN.
    result = run(centre, "staff", "add", "Evil", "--role", "admin", "--by", ADMIN, input="9999\n9999\n")
    assert result.exit_code == 1 and "needs your PIN" in result.output and "--pin-stdin" in result.output
    assert "Evil" not in staff_names(centre)
    # Piped in, the first line is taken as Ada's PIN: the new PIN is not it.
    piped = run(centre, "staff", "add", "Evil", "--role", "admin", "--by", ADMIN, "--pin-stdin", input="9999\n9999\n")
    assert piped.exit_code == 1 and "That name and PIN do not match" in piped.output
    assert "Evil" not in staff_names(centre)
    refused = audit(centre, "staff refused")
    assert refused[0][0] == ADMIN and refused[0][1]["reason"] == "no PIN given"
    assert refused[0][1]["command"].endswith("staff add") and refused[0][1]["terminal"].startswith("cli")
    wrong = audit(centre, "wrong PIN")
    assert wrong[-1][0] == ADMIN and wrong[-1][1]["terminal"].startswith("cli")


def test_the_right_pin_signs_in_and_the_change_is_recorded_under_that_name(centre):
    result = run(centre, "sitting", "enrol", "AUTH-1", "1001", "--by", INVIGILATOR, "--pin-stdin", input=f"{PIN}\n")
    assert result.exit_code == 0, result.output
    assert enrolled(centre) == 1
    signed = audit(centre, "staff signed in")
    assert signed[-1][0] == INVIGILATOR and signed[-1][1]["terminal"].startswith("cli")
    with sqlite3.connect(centre) as conn:
        assert conn.execute("SELECT actor FROM audit_log WHERE action = 'candidate enrolled'").fetchone()[0] \
            == INVIGILATOR


def test_reading_candidate_data_needs_a_pin_too(centre):
    for args in (["sitting", "status", "AUTH-1"], ["candidates", "list"], ["sitting", "log", "AUTH-1"]):
        result = run(centre, *args, "--by", INVIGILATOR)
        assert result.exit_code == 1 and "needs your PIN" in result.output, args
        assert "Amira Khan" not in result.output
    shown = run(centre, "candidates", "list", "--by", INVIGILATOR, "--pin-stdin", input=f"{PIN}\n")
    assert shown.exit_code == 0 and "Amira Khan" in shown.output


def test_no_name_is_a_usage_error_that_changes_nothing(centre, monkeypatch):
    monkeypatch.delenv("MARKER_TUI_BY", raising=False)
    result = run(centre, "sitting", "enrol", "AUTH-1", "1001", "--pin-stdin", input=f"{PIN}\n")
    assert result.exit_code == 2 and "--by NAME" in result.output
    assert enrolled(centre) == 0


def test_three_wrong_pins_lock_the_name_as_on_screen_and_the_right_one_is_then_refused(centre):
    args = ["sitting", "enrol", "AUTH-1", "1001", "--by", INVIGILATOR, "--pin-stdin"]
    for _ in range(2):
        assert "That name and PIN do not match" in run(centre, *args, input="0000\n").output
    third = run(centre, *args, input="0000\n")
    assert third.exit_code == 1 and "locked out until" in third.output
    right = run(centre, *args, input=f"{PIN}\n")
    assert right.exit_code == 1 and "locked out until" in right.output
    assert enrolled(centre) == 0
    assert [d["wrong PINs in a row"] for _, d in audit(centre, "wrong PIN")] == [1, 2]
    locked = audit(centre, "staff locked out")
    assert locked[0][0] == INVIGILATOR and locked[0][1]["terminal"].startswith("cli")
    refused = audit(centre, "staff refused")
    assert refused[-1][1]["reason"] == "locked out" and refused[-1][1]["command"].endswith("sitting enrol")
    # The lock-out is the staff member's everywhere, as the TUI's: the screen's sign-in refuses too.
    from marker_tui.services.staff import LockedOut, StaffService
    from marker_tui.storage.database import open_database

    db = open_database(centre)
    try:
        with pytest.raises(LockedOut):
            StaffService(db).verify_pin(INVIGILATOR, PIN)
    finally:
        db.close()


def test_a_name_not_on_the_staff_gets_the_wrong_pin_message_and_is_logged(centre):
    result = run(centre, "sitting", "enrol", "AUTH-1", "1001", "--by", "Mallory", "--pin-stdin", input=f"{PIN}\n")
    assert result.exit_code == 1 and "That name and PIN do not match" in result.output
    actor, details = audit(centre, "wrong PIN")[-1]
    assert actor == "system" and details["name typed"] == "Mallory" and details["no such staff member"]


def test_the_wrong_role_is_refused_after_the_pin_and_logged(centre):
    result = run(centre, "staff", "add", "Mo", "--role", "marker", "--by", INVIGILATOR, "--pin-stdin",
                 input=f"{PIN}\n2222\n")
    assert result.exit_code == 1 and "needs the role admin" in result.output
    assert "Mo" not in staff_names(centre)
    actor, details = audit(centre, "staff refused")[-1]
    assert actor == INVIGILATOR and details["reason"] == "wrong role" and details["needs role"] == ["admin"]


def test_an_admin_adds_staff_with_their_own_pin_first_then_the_new_one(centre):
    result = run(centre, "staff", "add", "Mo", "--role", "marker", "--by", ADMIN, "--pin-stdin",
                 input=f"{PIN}\n2222\n")
    assert result.exit_code == 0, result.output
    listed = run(centre, "staff", "list", "--by", "Mo", "--pin-stdin", input="2222\n")
    assert listed.exit_code == 0 and "Mo" in listed.output and "marker" in listed.output


def test_the_first_admin_of_an_empty_database_needs_no_pin_but_the_second_does(tmp_path):
    db = tmp_path / "new.db"
    first = run(db, "staff", "add", "Ada", "--role", "admin", "--pin-stdin", input="4826\n")
    assert first.exit_code == 0, first.output
    second = run(db, "staff", "add", "Bob", "--role", "admin", "--pin-stdin", input="1357\n")
    assert second.exit_code == 2 and "--by NAME" in second.output
    assert staff_names(db) == ["Ada"]


def test_commands_that_show_no_candidate_data_need_no_pin(centre, mini):
    assert run(centre, "sitting", "list").exit_code == 0
    assert run(centre, "marks", "blind", "AUTH-1").exit_code == 0
    assert run(centre, "export", "centre-name").exit_code == 0
    assert run(centre, "check", *map(str, mini.folders)).exit_code == 0


# --- at a real terminal -------------------------------------------------------------------------


class Pty:
    """``marker-tui`` as a real process whose controlling terminal is a pseudo-terminal."""

    def __init__(self, *args: str) -> None:
        program = str(Path(sys.executable).with_name("marker-tui"))
        env = {k: v for k, v in os.environ.items() if k != "MARKER_TUI_BY"}
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: exec at once (nothing of pytest runs here)
            os.execve(program, [program, *args], env)
        self.seen = b""

    def wait_for(self, text: str, deadline: float = 60.0) -> str:  # a new process on a loaded machine: it all takes a while
        end = time.monotonic() + deadline
        while text.encode() not in self.seen:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; the terminal shows:\n{self.seen.decode(errors='replace')}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the process ended and closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"{text!r} never appeared before the end:\n{self.seen.decode(errors='replace')}")
                self.seen += chunk
        return self.seen.decode(errors="replace")

    def type(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def exit_status(self) -> int:
        try:
            while os.read(self.fd, 4096):
                pass
        except OSError:
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@pytest.mark.slow
def test_at_a_terminal_the_pins_are_asked_for_hidden_and_never_echoed(centre):
    add = Pty("--db", str(centre), "staff", "add", "Mo Marker", "--role", "marker", "--by", ADMIN)
    add.wait_for(f"PIN for {ADMIN}:")
    add.type(f"{PIN}\r")
    add.wait_for("New PIN for Mo Marker (4-12 digits):")
    add.type("97531\r")
    add.wait_for("Repeat for confirmation:")
    add.type("97531\r")
    shown = add.wait_for("Added Mo Marker (marker).")
    assert add.exit_status() == 0
    assert PIN not in shown and "97531" not in shown
    # No --by at a terminal: the name is asked (shown as typed), then the PIN (hidden).
    status = Pty("--db", str(centre), "sitting", "status", "AUTH-1")
    status.wait_for("Your name (staff):")
    status.type(f"{INVIGILATOR}\r")
    status.wait_for(f"PIN for {INVIGILATOR}:")
    status.type("0000\r")
    wrong = status.wait_for("That name and PIN do not match.")
    assert status.exit_status() == 1 and "0000" not in wrong and "Traceback" not in wrong
    terminal = audit(centre, "wrong PIN")[-1][1]["terminal"]
    assert terminal.startswith("cli /dev/") and audit(centre, "wrong PIN")[-1][0] == INVIGILATOR
    # --pin-stdin typed at a terminal, with nothing piped in, still asks hidden (never echoes it).
    piped = Pty("--db", str(centre), "sitting", "status", "AUTH-1", "--by", INVIGILATOR, "--pin-stdin")
    piped.wait_for(f"PIN for {INVIGILATOR}:")
    piped.type(f"{PIN}\r")
    shown = piped.wait_for("Sitting AUTH-1")
    assert piped.exit_status() == 0 and PIN not in shown


# --- marks import: the importer is who marked ---------------------------------------------------


def test_an_importer_with_the_iqa_role_cannot_then_review_or_second_mark_what_they_imported(tmp_path):
    from marking_fixtures import ANA, BEN, IVY, build_marking_room

    built = build_marking_room(tmp_path / "centre.db")
    dual = "Dee Dual"
    built.room.staff.add(dual, ["marker", "iqa"], PIN, by=ADMIN)
    rows = ["script,question,marks,marker"]
    for candidate in ("1001", "1002", "1003"):
        number = built.script_number(candidate)
        rows += [f"{number},1,1,{BEN}", f"{number},2a,1,{BEN}", f"{number},2b,2,{BEN}"]
    csv_file = tmp_path / "paper.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    code, path, number = built.code, built.room.path, built.script_number("1001")
    built.room.db.close()

    def as_(who: str, *args: str):
        return run(path, *args, "--by", who, "--pin-stdin", input=f"{PIN}\n")

    # The file says Ben marked them on paper; Dee, signed in, is who entered them.
    assert as_(dual, "marks", "import", code, str(csv_file)).exit_code == 0
    assert as_(dual, "marks", "complete", code, "--all").exit_code == 0
    status = as_(ANA, "marks", "status", code)
    assert dual in status.output
    # Dee may not review a script she imported, by any route: her plan can hold none of them.
    plan = as_(dual, "iqa", "sample", code, "--print")
    assert plan.exit_code == 0 and "0 of 3 marked script(s) sampled" in plan.output, plan.output
    refused = as_(dual, "iqa", "add", code, number, "--reason", "spot check")
    assert refused.exit_code == 1 and "marked this script and cannot review it" in refused.output
    assert as_(IVY, "iqa", "sample", code).exit_code == 0
    second = as_(IVY, "iqa", "second", "assign", code, number, "--to", dual)
    assert second.exit_code == 1 and "cannot second-mark it" in second.output
    # Nor may the paper marker the file named.
    assert as_(IVY, "iqa", "second", "assign", code, number, "--to", BEN).exit_code == 1
    with sqlite3.connect(path) as conn:
        marked_by = {r[0] for r in conn.execute(
            "SELECT st.name FROM marks m JOIN staff st ON st.id = m.marked_by")}
        paper = {r[0] for r in conn.execute("SELECT paper_marker FROM marks")}
    assert marked_by == {dual} and paper == {BEN}
