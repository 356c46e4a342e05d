"""The export dialog under Pilot: choose, warn, export anyway, progress from the worker, paths reported."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from marker_tui.interfaces.tui.app import MarkerApp
from marker_tui.interfaces.tui.screens.export import ExportScreen
from marker_tui.interfaces.tui.widgets.inputs import TextInput
from marker_tui.services.exports import ExportKind
from marker_tui.storage.assessment_files import load_library
from test_export_service import ADMIN, ANA, INVIGILATOR, IVY, build_export_room, files_under
from waiting import workers_done

SIZE = (100, 40)


async def settle(pilot) -> None:
    """Let the screen's readers (thread workers) finish and their results reach the screen."""
    await workers_done(pilot)  # until none is left, with a deadline (tests/waiting.py)


@pytest.fixture
def built(tmp_path: Path):
    room = build_export_room(tmp_path / "centre.db", tmp_path / "papers")
    yield room
    room.db.close()


def make_app(built, screen: ExportScreen) -> MarkerApp:
    return MarkerApp(built.centre, library=load_library(paths=[]), start=screen, steady=True)


def text_of(app: MarkerApp, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def run_export(app: MarkerApp, pilot) -> None:
    """Press the Export (or Export anyway) button from the keyboard and wait for the worker."""
    screen = app.screen
    before = screen.runs_finished
    button = screen.query_one("#export-run")
    button.focus()
    await settle(pilot)  # focus is applied on the next message loop turn
    assert app.focused is button
    while button.has_class("-active"):  # a button ignores presses during its 0.2 s "pressed" effect
        await pilot.pause(0.05)
    await pilot.press("enter")
    for _ in range(500):
        if screen.runs_finished > before:
            break
        await app.workers.wait_for_complete()
        await pilot.pause(0.01)
    assert screen.runs_finished == before + 1, "the export did not finish"
    await settle(pilot)


async def test_incomplete_marking_warns_then_export_anyway_writes_and_reports_the_path(built, tmp_path, monkeypatch):
    seen: list[tuple[int, int]] = []
    original = ExportScreen._progress
    monkeypatch.setattr(ExportScreen, "_progress", lambda self, d, t: (seen.append((d, t)), original(self, d, t)))
    folder = tmp_path / "exports"
    screen = ExportScreen(built.code, by=ADMIN, folder=folder)
    app = make_app(built, screen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert text_of(app, "#export-title") == "Export sitting EXP-1"
        assert text_of(app, "#export-target") == f"Writes {folder / 'EXP-1-results.xlsx'}"
        await run_export(app, pilot)
        warnings = text_of(app, "#export-warnings")
        assert "• 1 script not marked: candidate 1003" in warnings
        assert "• candidate 1004: partly marked (no mark for questions 2a, 2b)" in warnings
        assert "Nothing was written" in warnings
        assert str(app.screen.query_one("#export-run").label) == "Export anyway"
        assert files_under(folder) == []
        await run_export(app, pilot)
        done = text_of(app, "#export-done")
        target = (folder / "EXP-1-results.xlsx").resolve()
        assert f"Results and mark sheet (Excel) written to {target}" in done
        assert "Warning: exported although not finished:" in done
        assert target.exists() and openpyxl.load_workbook(target)["Results"].max_row == 6
        assert seen[-1] == (3, 3) and seen[0][0] == 0
        bar = app.screen.query_one("#export-progress")
        assert bar.progress == bar.total == 3
        assert str(app.screen.query_one("#export-run").label) == "Export"
        await pilot.press("escape")
        await settle(pilot)
    assert screen.report is not None and screen.report.paths == [target]
    assert [e.details["path"] for e in built.audit_rows() if e.action == "results exported"] == [str(target)]


async def test_feedback_for_every_learner_runs_in_a_worker_and_lists_the_documents(built, tmp_path, monkeypatch):
    seen: list[tuple[int, int]] = []
    original = ExportScreen._progress
    monkeypatch.setattr(ExportScreen, "_progress", lambda self, d, t: (seen.append((d, t)), original(self, d, t)))
    folder = tmp_path / "ex"
    app = make_app(built, ExportScreen(built.code, by=ADMIN, folder=folder))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        buttons = list(app.screen.query("RadioButton"))
        await pilot.click(buttons[2])  # Word feedback for every learner
        await settle(pilot)
        assert app.screen.kind is ExportKind.FEEDBACK
        assert text_of(app, "#export-target") == f"One document per learner in {folder / 'feedback'}"
        await run_export(app, pilot)
        assert "candidate 1003" in text_of(app, "#export-warnings")
        await run_export(app, pilot)
        done = text_of(app, "#export-done")
        assert "2 feedback document(s) written to" in done
        assert "1001_unit-101_feedback.docx" in done and "1002_unit-101_feedback.docx" in done
        assert "candidate 1005: absent" in done
        assert seen == [(0, 2), (1, 2), (2, 2)]
    assert [p.name for p in files_under(folder / "feedback")] == ["1001_unit-101_feedback.docx",
                                                                  "1002_unit-101_feedback.docx"]


async def test_changing_the_choice_after_a_warning_asks_again(built, tmp_path):
    app = make_app(built, ExportScreen(built.code, by=ADMIN, folder=tmp_path / "ex"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_export(app, pilot)
        assert str(app.screen.query_one("#export-run").label) == "Export anyway"
        folder_box = app.screen.query_one("#export-folder", TextInput)
        folder_box.value = str(tmp_path / "elsewhere")
        await settle(pilot)
        assert str(app.screen.query_one("#export-run").label) == "Export"
        assert text_of(app, "#export-warnings") == ""
        await run_export(app, pilot)  # warned again, still nothing written
        assert "not marked" in text_of(app, "#export-warnings")
    assert files_under(tmp_path / "ex") == [] and files_under(tmp_path / "elsewhere") == []


async def test_the_audit_trail_exports_without_warnings(built, tmp_path):
    app = make_app(built, ExportScreen(built.code, by=ADMIN, folder=tmp_path / "ex", kind=ExportKind.AUDIT_CSV))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_export(app, pilot)
        assert text_of(app, "#export-warnings") == ""
        assert f"Audit trail (CSV) written to {(tmp_path / 'ex' / 'EXP-1-audit.csv').resolve()}" in text_of(
            app, "#export-done")


async def test_the_highlight_starts_on_the_chosen_export(built, tmp_path):
    app = make_app(built, ExportScreen(built.code, by=ADMIN, folder=tmp_path / "ex", kind=ExportKind.IQA_DOCX))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        highlighted = [b.label.plain for b in app.screen.query("#export-kinds RadioButton") if b.has_class("-selected")]
        assert highlighted == ["IQA record (Word)"]
        await pilot.press("enter")  # Enter on the highlight keeps the choice
        await settle(pilot)
        assert app.screen.kind is ExportKind.IQA_DOCX
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen.kind is ExportKind.IQA_CSV
        assert "EXP-1-iqa" in text_of(app, "#export-target") and text_of(app, "#export-target").endswith(".csv")


async def test_an_unknown_sitting_shows_the_refusal_and_writes_nothing(built, tmp_path):
    app = make_app(built, ExportScreen("nope-1", by=ADMIN, folder=tmp_path / "ex"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_export(app, pilot)
        assert "There is no sitting with code NOPE-1" in text_of(app, "#export-error")
        assert text_of(app, "#export-done") == ""
    assert not (tmp_path / "ex").exists()


def test_the_default_folder_is_under_marker_tui_exports(built, monkeypatch, tmp_path):
    monkeypatch.setenv("MARKER_TUI_EXPORTS", str(tmp_path / "root"))
    assert ExportScreen("exp-1", by=ADMIN).folder == tmp_path / "root" / "EXP-1"


async def test_the_invigilator_room_opens_the_export_dialog_with_X(built, tmp_path, monkeypatch):
    from marker_tui.interfaces.tui.screens.invigilator import InvigilatorRoomScreen

    monkeypatch.setenv("MARKER_TUI_EXPORTS", str(tmp_path / "exports"))
    app = MarkerApp(built.centre, library=load_library(paths=[]), start=InvigilatorRoomScreen(built.code, INVIGILATOR),
                    steady=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert app.screen.code == built.code and app.screen.by == INVIGILATOR
        assert app.screen.folder == tmp_path / "exports" / "EXP-1"
        assert "Export" in [c.title for c in app.get_system_commands(app.screen.app.screen_stack[-2])]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InvigilatorRoomScreen)


async def test_the_iqa_plan_screen_opens_the_export_dialog_on_the_iqa_record_with_X(built, tmp_path, monkeypatch):
    from marker_tui.interfaces.tui.screens.iqa import IqaPlanScreen

    monkeypatch.setenv("MARKER_TUI_EXPORTS", str(tmp_path / "exports"))
    app = MarkerApp(built.centre, library=load_library(paths=[]), start=IqaPlanScreen(built.code, IVY), steady=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert (app.screen.code, app.screen.by, app.screen.kind) == (built.code, IVY, ExportKind.IQA_DOCX)
        await run_export(app, pilot)  # not signed off: warned first
        assert "not signed off yet" in text_of(app, "#export-warnings")
        await run_export(app, pilot)
        assert "IQA record (Word) written to" in text_of(app, "#export-done")
    assert (tmp_path / "exports" / "EXP-1" / "EXP-1-iqa-record.docx").exists()


async def test_the_marking_queue_opens_the_export_dialog_with_X_and_a_marker_sees_the_blind_refusal(built, tmp_path):
    from marker_tui.interfaces.tui.screens.marking import MarkingQueueScreen

    app = MarkerApp(built.centre, library=load_library(paths=[]), start=MarkingQueueScreen(built.code, ANA),
                    steady=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("X")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert (app.screen.code, app.screen.by) == (built.code, ANA)
        app.screen.query_one("#export-folder").value = str(tmp_path / "ex")
        await settle(pilot)
        await run_export(app, pilot)
        assert "is being marked blind" in text_of(app, "#export-error")
    assert not (tmp_path / "ex").exists()


async def test_everything_for_the_sitting_in_one_go_from_the_dialog(built, tmp_path):
    folder = tmp_path / "out"
    app = make_app(built, ExportScreen(built.code, by=ADMIN, folder=folder, kind=ExportKind.EVERYTHING))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert f"Every file into {folder}" in text_of(app, "#export-target")
        await run_export(app, pilot)
        assert not folder.exists()  # not finished: nothing written, "Export anyway" offered
        assert "Not finished yet" in text_of(app, "#export-warnings")
        await run_export(app, pilot)
        done = text_of(app, "#export-done")
        assert "file(s) written to" in done and "feedback/1001_unit-101_feedback.docx" in done
    written = sorted(p.name for p in folder.rglob("*") if p.is_file())
    assert f"{built.code}-results.xlsx" in written and f"{built.code}-audit.csv" in written
    assert f"{built.code}-iqa-record.docx" in written and "1002_unit-101_feedback.docx" in written
