"""``marker-tui iqa ...``: sampling plans with their seed and reasons, status, agreement export,
blind second marking, and the screen entry point. Every refusal is one line, exit status 1."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from marker_tui.domain.reports import ScriptDecision
from marker_tui.interfaces.cli import iqa as iqa_cli
from cli_signing import signed
from marker_tui.interfaces.cli.main import cli
from sitting_fixtures import PIN
from test_iqa_service import ANA, BEN, IVY, MO, SAM, IqaRoom, agree_all_but, iroom, plan_with  # noqa: F401


def run(room: IqaRoom, *args: str):
    args, stdin = signed(args, None, PIN)
    return CliRunner().invoke(cli, ["--db", str(room.path), *args], input=stdin, catch_exceptions=False)


def plan_rows(room: IqaRoom) -> list[tuple]:
    return room.db.execute("SELECT id, seed, seed_source, superseded_by FROM iqa_plans ORDER BY id").fetchall()


def test_sample_stores_the_plan_with_its_seed_and_prints_why_each_script_is_in_it(iroom):
    result = run(iroom, "iqa", "sample", iroom.code, "--seed", "42", "--print", "--by", IVY)
    assert result.exit_code == 0, result.output
    assert "Seed: 42 (given)" in result.output
    assert "Every fail; every script within 2 of the pass mark; at least 3 or 25%" in result.output
    for candidate in ("1002", "1008", "1012"):
        line = next(l for l in result.output.splitlines() if l.startswith(iroom.number(candidate)))
        assert "fail" in line
    assert "borderline: 6 is within 2 of the pass mark 6" in result.output
    assert "random: minimum 3 or 25% of Ana Lopes's 5 scripts" in result.output
    assert plan_rows(iroom) == [(1, 42, "given", None)]


def test_the_same_seed_prints_the_same_plan_and_reproduce_confirms_it(iroom):
    first = run(iroom, "iqa", "sample", iroom.code, "--seed", "7", "--dry-run", "--by", IVY)
    again = run(iroom, "iqa", "sample", iroom.code, "--seed", "7", "--dry-run", "--by", IVY)
    assert first.exit_code == 0 and first.output == again.output and "nothing stored" in first.output
    assert plan_rows(iroom) == []
    run(iroom, "iqa", "sample", iroom.code, "--seed", "7", "--by", IVY)
    checked = run(iroom, "iqa", "reproduce", iroom.code, "--by", IVY)
    assert checked.exit_code == 0 and "Plan 1: drawn again with seed 7: the same" in checked.output


def test_sampling_again_needs_a_new_seed_and_keeps_the_old_plan(iroom):
    run(iroom, "iqa", "sample", iroom.code, "--by", IVY)
    refused = run(iroom, "iqa", "sample", iroom.code, "--by", IVY)
    assert refused.exit_code == 1
    assert "already has a sampling plan for Ivy Reviewer" in refused.output and "--seed N" in refused.output
    redrawn = run(iroom, "iqa", "sample", iroom.code, "--seed", "99", "--by", IVY)
    assert redrawn.exit_code == 0 and "Drawn again: plan 1 is superseded and kept" in redrawn.output
    assert [(r[0], r[3]) for r in plan_rows(iroom)] == [(1, 2), (2, None)]
    status = run(iroom, "iqa", "status", iroom.code, "--by", IVY)
    assert "Earlier plans (kept):" in status.output and "plan 1: Ivy Reviewer" in status.output


def test_strategy_options_reach_the_plan(iroom):
    result = run(iroom, "iqa", "sample", iroom.code, "--min-scripts", "0", "--min-fraction", "0%", "--no-borderline",
                 "--no-fails", "--no-pass-and-fail", "--new-marker", BEN, "--print", "--by", IVY)
    assert result.exit_code == 0, result.output
    assert "Strategy: Every script of a new marker (Ben Okafor)." in result.output
    assert result.output.count("new marker: all of Ben Okafor's scripts") == 4
    bad = run(iroom, "iqa", "sample", iroom.code, "--min-fraction", "150%", "--by", IVY)
    assert bad.exit_code == 2 and "0 to 1" in bad.output


def test_a_reviewer_who_marked_is_told_which_scripts_they_cannot_have(iroom):
    result = run(iroom, "iqa", "sample", iroom.code, "--print", "--by", MO)
    assert result.exit_code == 0
    assert f"{iroom.number('1010')} (Mo Patel): marked by Mo Patel: centre staff cannot internally verify" \
        in result.output
    assert "another reviewer must sample 3 more" in result.output
    added = run(iroom, "iqa", "add", iroom.code, iroom.number("1010"), "--reason", "look", "--by", MO)
    assert added.exit_code == 1
    assert "Mo Patel marked this script and cannot review it" in added.output and "Traceback" not in added.output


def test_sampling_needs_an_iqa_reviewer_and_a_known_sitting(iroom):
    result = run(iroom, "iqa", "sample", iroom.code, "--by", ANA)
    assert result.exit_code == 1 and "needs the role iqa" in result.output
    result = run(iroom, "iqa", "sample", "NOPE-1", "--by", IVY)
    assert result.exit_code == 1 and "There is no sitting with code NOPE-1" in result.output
    result = run(iroom, "iqa", "sample", "--by", IVY)
    assert result.exit_code == 2 and "Name the sitting code" in result.output


def test_a_unit_across_sittings(iroom):
    result = run(iroom, "iqa", "sample", "--unit", "9999-01/101", "--no-borderline", "--min-scripts", "0",
                 "--min-fraction", "0", "--print", "--by", IVY)
    assert result.exit_code == 0, result.output
    assert "unit 9999-01/101 (1 sitting)" in result.output
    assert f"{iroom.code}/{iroom.number('1002')}" in result.output
    status = run(iroom, "iqa", "status", "9999-01/101", "--by", IVY)
    assert status.exit_code == 0 and "IQA · unit 9999-01/101" in status.output


def test_status_shows_progress_decisions_second_marking_adjudication_and_agreement(iroom):
    plan_with(iroom, "1001", "1006")
    script = agree_all_but(iroom, "1001", {"2b": (2, "only one point")})
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.ADJUSTED, feedback="See 2b", confirm=True)
    number = iroom.number("1006")
    assigned = run(iroom, "iqa", "second", "assign", iroom.code, number, "--to", SAM, "--by", IVY)
    assert assigned.exit_code == 0 and f"Script {number} given to Sam Second" in assigned.output
    shown = run(iroom, "iqa", "second", "show", iroom.code, number, "--by", SAM)
    assert shown.exit_code == 0 and "Answer of 1006 to question 2a." in shown.output
    assert BEN not in shown.output and "your mark" not in shown.output  # blind: no first marks, no marker
    bad = run(iroom, "iqa", "second", "mark", iroom.code, number, "1=2", "2a=9", "2b=1", "--by", SAM)
    assert bad.exit_code == 1 and "9 is outside the allowed range" in bad.output
    assert iroom.db.execute("SELECT count(*) FROM iqa_second_marks").fetchone()[0] == 0  # all or nothing
    marked = run(iroom, "iqa", "second", "mark", iroom.code, number, "1=2", "2a=3", "2b=1", "--complete",
                 "--by", SAM)
    assert marked.exit_code == 0 and "3 of 3 question(s) second-marked, complete." in marked.output
    status = run(iroom, "iqa", "status", iroom.code, "--by", IVY)
    assert status.exit_code == 0, status.output
    out = status.output
    assert "Reviews: 1 confirmed, 0 awaiting confirmation, 0 in progress, 1 not started" in out
    assert "Decisions: 1 marks adjusted" in out
    assert "Out of tolerance, for adjudication:" in out
    assert f"script {number}, question 2b: Ben Okafor gave 5, the second marker 1 (out of 5)" in out
    assert "Agreement (reviewers' judgements and blind second marks)" in out
    assert "All markers  6" in out
    # The printed plan shows the adjusted total, and the one sampled, as the plan screen does.
    now = iroom.marking.result(script).total
    line = next(l for l in out.splitlines() if l.startswith(iroom.number("1001")))
    assert f" {now} (was {now + 2}) " in line, line  # 2b given 2 marks fewer


def test_agreement_export_to_csv(iroom, tmp_path):
    plan_with(iroom, "1001", "1003")
    agree_all_but(iroom, "1001", {"2a": (2, "incomplete")})
    agree_all_but(iroom, "1003")
    target = tmp_path / "agreement.csv"
    result = run(iroom, "iqa", "agreement", iroom.code, "--source", "iqa", "--csv", str(target), "--by", IVY)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    overall = rows[0]
    assert (overall["Group"], overall["Pairs"], overall["Exact agreement %"]) == ("all markers", "6", "83.3")
    assert overall["Kappa note"] == "needs at least 10 pairs; there are 6"
    assert [r["Name"] for r in rows] == ["All markers", ANA, "Q1", "Q2a", "Q2b"]
    assert rows[3]["Largest absolute difference"] == "1"


def test_tolerance_is_shown_and_set(iroom):
    shown = run(iroom, "iqa", "tolerance", iroom.code)
    assert "Q2b       0" in shown.output
    set_ = run(iroom, "iqa", "tolerance", iroom.code, "2b", "1", "--by", IVY)
    assert set_.exit_code == 0 and "Q2b       1" in set_.output
    too_big = run(iroom, "iqa", "tolerance", iroom.code, "1", "3", "--by", IVY)
    assert too_big.exit_code == 1 and "worth 2 marks" in too_big.output


def test_sign_off_waits_for_every_review(iroom):
    plan_with(iroom, "1001")
    refused = run(iroom, "iqa", "sign-off", iroom.code, "--by", IVY)
    assert refused.exit_code == 1 and "cannot be signed off yet" in refused.output
    script = agree_all_but(iroom, "1001")
    iroom.iqa.reviews.decide(script, reviewer=IVY, decision=ScriptDecision.UPHELD, confirm=True)
    action = run(iroom, "iqa", "action", iroom.code, "Standardise 2b", "--owner", "Lead", "--due", "2026-05-01",
                 "--by", IVY)
    assert action.exit_code == 0
    signed = run(iroom, "iqa", "sign-off", iroom.code, "--statement", "Consistent.", "--by", IVY)
    assert signed.exit_code == 0 and "signed off by Ivy Reviewer" in signed.output
    status = run(iroom, "iqa", "status", iroom.code, "--by", IVY)
    assert "- Standardise 2b (owner Lead) by 2026-05-01" in status.output
    assert "Signed off by Ivy Reviewer" in status.output and ": Consistent." in status.output


def test_iqa_with_a_scope_opens_the_screen_and_commands_are_not_mistaken_for_one(iroom, monkeypatch):
    opened = []

    class FakeApp:
        faulted = False  # what launch() asks of a real app after it ran
        locked_down = False

        def __init__(self, centre, *, start):
            opened.append(start)

        def run(self):
            pass

    monkeypatch.setattr("marker_tui.interfaces.tui.app.MarkerApp", FakeApp)
    result = run(iroom, "iqa", iroom.code.lower())
    assert result.exit_code == 0, result.output
    assert opened and opened[0].heading == f"Quality assurance · {iroom.code}"
    result = run(iroom, "iqa")
    assert result.exit_code == 0 and opened[1].heading == "Quality assurance"
    missing = run(iroom, "iqa", "NOPE-9")
    assert missing.exit_code == 1 and "There is no sitting with code NOPE-9" in missing.output
    extra = run(iroom, "iqa", iroom.code, "extra")
    assert extra.exit_code == 2 and "Unexpected 'extra'" in extra.output


def test_help_lists_the_commands_and_the_strategy_defaults(iroom):
    result = run(iroom, "iqa", "--help")
    assert "[SCOPE] | COMMAND [ARGS]..." in result.output
    for name in ("sample", "status", "agreement", "second", "sign-off"):
        assert name in result.output
    sample_help = run(iroom, "iqa", "sample", "--help").output
    assert "[default: 3" in sample_help and "--no-borderline" in sample_help and "--seed random" in sample_help


@pytest.mark.parametrize("text, value", [("7", 7), ("0", 0)])
def test_seed_parsing(text, value):
    assert iqa_cli._seed(text) == value
    assert 0 <= iqa_cli._seed("random") < 2**32
