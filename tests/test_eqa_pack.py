"""The EQA sample pack: a proposal across markers, results and arrangements, and a pack an EQA can check."""

from __future__ import annotations

import hashlib
import sqlite3
import zipfile
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner
from docx import Document

from marker_tui.domain.clock import FakeClock
from marker_tui.domain.eqa import EqaCandidate, default_sample_size, propose_eqa_sample
from marker_tui.interfaces.cli.main import cli
from marker_tui.services.audit import ServiceError, entries
from marker_tui.services.centre import Centre
from marker_tui.services.demo import build_demo

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def _c(number, total, marker="Mo", passed=None, arrangements=""):
    return EqaCandidate(candidate_number=number, total=total, passed=total >= 10 if passed is None else passed,
                        markers=(marker,), arrangements=arrangements)


def test_the_proposal_covers_every_marker_both_ends_both_sides_of_the_pass_mark_and_arrangements():
    scripts = [_c("A", 3), _c("B", 9), _c("C", 10), _c("D", 14), _c("E", 20, marker="Maya"),
               _c("F", 12, arrangements="reader"), _c("G", 16), _c("H", 6)]
    picks = {p.candidate_number: p.reasons for p in propose_eqa_sample(scripts, pass_mark=10)}
    assert "highest total" in picks["E"] and "lowest total" in picks["A"]
    assert any("fail closest" in r for r in picks["B"]) and any("pass closest" in r for r in picks["C"])
    assert any("marked by Maya" in r for r in picks["E"]) and any("marked by Mo" in r for p in picks.values() for r in p)
    assert any("access arrangements (reader)" in r for r in picks["F"])


def test_the_proposal_fills_to_the_size_with_the_spread_of_totals_and_never_repeats():
    scripts = [_c(f"N{i:02d}", i) for i in range(30)]
    picks = propose_eqa_sample(scripts, pass_mark=None, size=6)
    numbers = [p.candidate_number for p in picks]
    assert len(numbers) == 6 == len(set(numbers))
    assert {"N00", "N29"} <= set(numbers)
    totals = sorted(int(n[1:]) for n in numbers)
    assert min(b - a for a, b in zip(totals, totals[1:])) >= 4  # spread out, not bunched
    assert propose_eqa_sample(scripts, pass_mark=None, size=6) == picks  # the same scripts, the same proposal


def test_the_default_size_grows_with_the_cohort():
    assert [default_sample_size(n) for n in (1, 2, 5, 9, 30, 100)] == [1, 2, 3, 3, 6, 10]
    assert propose_eqa_sample([], pass_mark=10) == []


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "demo.db"
    build_demo(path, FakeClock(NOW))
    return path


def _pack(path, out, *args, by="Quinn Quality", pin="3333"):
    return CliRunner().invoke(cli, ["--db", str(path), "eqa", "pack", "305-DEMO", "-o", str(out), *args,
                                    "--by", by, "--pin-stdin"], input=f"{pin}\n")


def _text(path) -> str:
    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def test_the_pack_holds_each_sampled_script_and_checksums_that_verify(demo, tmp_path):
    result = _pack(demo, tmp_path / "out", "--zip")
    assert result.exit_code == 0, result.output
    pack = tmp_path / "out" / "EQA pack 305-DEMO"
    sums = dict(line.split("  ", 1)[::-1] for line in (pack / "checksums.sha256").read_text().splitlines())
    files = sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file() and p.name != "checksums.sha256")
    assert sorted(sums) == files
    for name, digest in sums.items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == digest, name
    cover = _text(pack / "00 cover sheet.docx")
    scripts = sorted(p.stem for p in (pack / "scripts").glob("*.docx"))
    assert len(scripts) >= 3 and all(n in cover for n in scripts)
    assert all(name in cover for name in files if name != "00 cover sheet.docx")
    assert "Question 1" in _text(pack / "01 paper and mark scheme.docx")
    assert "Creditable point" in _text(pack / "01 paper and mark scheme.docx")
    # Each script's document is the learner's answers with marks and comments.
    with sqlite3.connect(demo) as conn:
        [(answer,)] = conn.execute("SELECT a.text FROM answers a JOIN scripts s ON s.id = a.script_id "
                                   "JOIN candidates c ON c.id = s.candidate_id WHERE c.candidate_number = ? "
                                   "AND a.question_id = '1'", [scripts[0]]).fetchall()
    assert answer.split("\n")[0][:50] in _text(pack / "scripts" / f"{scripts[0]}.docx")
    with zipfile.ZipFile(tmp_path / "out" / "EQA pack 305-DEMO.zip") as archive:
        assert sorted(n.split("/", 1)[1] for n in archive.namelist()) == sorted([*files, "checksums.sha256"])


def test_learners_are_numbers_only_unless_an_admin_asks_for_names(demo, tmp_path):
    with sqlite3.connect(demo) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM candidates")]
    assert _pack(demo, tmp_path / "anon").exit_code == 0
    anon = tmp_path / "anon" / "EQA pack 305-DEMO"
    texts = "\n".join(_text(p) for p in anon.rglob("*.docx"))
    assert not [n for n in names if n in texts]
    refused = _pack(demo, tmp_path / "named", "--names")
    assert refused.exit_code == 1 and "Only an admin" in refused.output
    assert not (tmp_path / "named").exists()
    assert _pack(demo, tmp_path / "named", "--names", by="Ada Admin", pin="4444").exit_code == 0
    texts = "\n".join(_text(p) for p in (tmp_path / "named" / "EQA pack 305-DEMO").rglob("*.docx"))
    assert [n for n in names if n in texts]


def test_the_service_itself_refuses_names_to_a_non_admin_and_a_marker_altogether(demo, tmp_path):
    centre = Centre.open(demo, clock=FakeClock(NOW), create=False)
    try:
        with pytest.raises(ServiceError, match="needs the role admin"):
            centre.eqa.export_pack("305-DEMO", tmp_path / "out", by="Quinn Quality", names=True)
        with pytest.raises(ServiceError, match="Mo Marker cannot do this"):
            centre.eqa.propose("305-DEMO", by="Mo Marker")
    finally:
        centre.close()
    assert not (tmp_path / "out").exists()


def test_a_chosen_script_not_fully_marked_is_refused_and_nothing_is_written(demo, tmp_path):
    with sqlite3.connect(demo) as conn:
        marked = {r[0] for r in conn.execute(
            "SELECT c.candidate_number FROM candidates c JOIN scripts s ON s.candidate_id = c.id "
            "JOIN script_marking m ON m.script_id = s.id WHERE m.completed_at IS NOT NULL")}
        unmarked = sorted({r[0] for r in conn.execute(
            "SELECT c.candidate_number FROM candidates c JOIN scripts s ON s.candidate_id = c.id "
            "JOIN sittings t ON t.id = s.sitting_id WHERE t.code = '305-DEMO'")} - marked)[0]
    result = _pack(demo, tmp_path / "out", "--candidate", sorted(marked)[0], "--candidate", unmarked)
    assert result.exit_code == 1 and f"Candidate {unmarked} cannot be in the EQA pack" in result.output
    assert not (tmp_path / "out" / "EQA pack 305-DEMO").exists()


def test_the_pack_is_audited_and_an_existing_pack_is_never_overwritten(demo, tmp_path):
    assert _pack(demo, tmp_path, "--candidate", "1001").exit_code == 0
    again = _pack(demo, tmp_path)
    assert again.exit_code == 1 and "already exists" in again.output
    centre = Centre.open(demo, create=False)
    try:
        [entry] = [e for e in entries(centre.db) if e.action == "EQA sample pack exported"]
    finally:
        centre.close()
    assert entry.actor == "Quinn Quality" and entry.details["scripts"] == ["1001"]
    assert entry.details["names_included"] is False and entry.details["proposed"] is False


def test_with_two_reviewers_plans_the_pack_takes_the_one_named_with_reviewer(demo, tmp_path):
    """Two IQA plans for the sitting: the pack asked for --reviewer NAME, which eqa pack did not have."""
    def run(*args, stdin):
        return CliRunner().invoke(cli, ["--db", str(demo), *args], input=stdin)

    added = run("staff", "add", "Rae Reviewer", "--role", "iqa", "--by", "Ada Admin", "--pin-stdin",
                stdin="4444\n5151\n")
    assert added.exit_code == 0, added.output
    for who, pin in (("Quinn Quality", "3333"), ("Rae Reviewer", "5151")):
        sampled = run("iqa", "sample", "305-DEMO", "--seed", "1", "--by", who, "--pin-stdin", stdin=f"{pin}\n")
        assert sampled.exit_code == 0, sampled.output
    refused = _pack(demo, tmp_path / "out")
    assert refused.exit_code == 1 and "--reviewer NAME" in refused.output, refused.output
    assert not (tmp_path / "out" / "EQA pack 305-DEMO").exists()
    chosen = _pack(demo, tmp_path / "out", "--reviewer", "Quinn Quality")
    assert chosen.exit_code == 0, chosen.output
    record = Document(str(tmp_path / "out" / "EQA pack 305-DEMO" / "02 IQA record.docx"))
    header = {r.cells[0].text: r.cells[1].text for r in record.tables[0].rows}
    assert header["Internal quality assurer"] == "Quinn Quality"
