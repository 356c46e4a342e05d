"""``marker-tui standardise ...``: the lead assessor's standardisation commands (IQA or admin, with PIN).

* ``status PAPER``: the paper's standardisation scripts (with their ids) and every marker's standing.
* ``choose CODE SCRIPT KIND``: make a script of a sitting a practice, qualification or control script.
* ``marks ID FILE``: definitive marks with a rationale per question, from a CSV (``question,marks,rationale``)
  or a YAML file (``"1": {marks: 2, rationale: ...}``).
* ``approve PAPER MARKER --reason TEXT`` / ``reinstate PAPER MARKER --reason TEXT``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import click

from marker_tui.domain.roles import Permission, roles_for
from marker_tui.interfaces.cli.common import open_centre, signed_in, staff_options, table, user_errors, visible

LEAD = roles_for(Permission.LEAD_MARKING)


@click.group("standardise")
def standardise() -> None:
    """Standardisation before live marking, and control scripts (the lead assessor)."""


@standardise.command("status")
@click.argument("paper")
@staff_options
def status(paper: str) -> None:
    """The paper's standardisation scripts and each marker's standing (PAPER: e.g. 3818-13/305)."""
    centre = open_centre()
    signed_in(centre.db, *LEAD)
    with user_errors():
        view = centre.standardisation.overview(paper)
    t = view.tolerance
    click.echo(f"{view.paper}: tolerance {t.per_question} per question, {t.total} on the total")
    click.echo(visible(table(["Id", "Script", "Sat in", "Number", "Definitive"], [
        [str(s.id), s.label, s.sitting_code, s.script_number,
         f"{s.definitive_total} (complete)" if s.complete else f"{len(s.definitive)}/{len(s.questions)} questions"]
        for s in view.scripts])))
    click.echo(visible(table(["Marker", "Standing", "Control failures in a row", "Decision"], [
        [m.marker, m.qualification.standing.value, str(m.control_failures_in_a_row), m.decision or "-"]
        for m in view.markers])))
    for alert in view.alerts:
        click.echo(visible(alert))


@standardise.command("choose")
@click.argument("code")
@click.argument("script")
@click.argument("kind", type=click.Choice(["practice", "qualification", "control"]))
@staff_options
def choose(code: str, script: str, kind: str) -> None:
    """Make script SCRIPT of sitting CODE a practice, qualification or control script."""
    centre = open_centre()
    by = signed_in(centre.db, *LEAD).name
    with user_errors():
        chosen = centre.standardisation.choose(code, script, kind, by=by)
    click.echo(f"{chosen.label} (id {chosen.id}): script {chosen.script_number} of {chosen.sitting_code}. "
               f"Next: marker-tui standardise marks {chosen.id} FILE")


@standardise.command("marks")
@click.argument("std_id", metavar="ID", type=int)
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@staff_options
def marks(std_id: int, path: Path) -> None:
    """Record definitive marks and rationales from FILE (.csv or .yaml)."""
    centre = open_centre()
    by = signed_in(centre.db, *LEAD).name
    given = read_definitive(path)
    with user_errors():
        found = centre.standardisation.set_definitive(std_id, given, by=by)
    state = "complete" if found.complete else f"{len(found.definitive)} of {len(found.questions)} questions"
    click.echo(f"{found.label}: definitive marks recorded ({state}; total {found.definitive_total}).")


def _decision(name: str, verb: str, imperative: str):
    @standardise.command(name)
    @click.argument("paper")
    @click.argument("marker")
    @click.option("--reason", required=True, help="Why (kept in the audit log).")
    @staff_options
    def decide(paper: str, marker: str, reason: str) -> None:
        centre = open_centre()
        by = signed_in(centre.db, *LEAD).name
        with user_errors():
            standing = getattr(centre.standardisation, name)(paper, marker, reason, by=by)
        click.echo(f"{standing.marker} {verb} for {paper}: {standing.qualification.standing.value}.")

    decide.help = f"{imperative} MARKER for live marking of PAPER, with a reason."
    return decide


approve = _decision("approve", "approved", "Approve")
reinstate = _decision("reinstate", "reinstated", "Reinstate (after a suspension)")


def read_definitive(path: Path) -> dict[str, tuple[int, str]]:
    """question → (marks, rationale) from a CSV or YAML file; a bad file is one clear message."""
    if not path.is_file():
        raise click.ClickException(f"{path}: there is no such file (fix: give the path of a .csv or .yaml file).")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: is not UTF-8 text (fix: save it as UTF-8).") from None
    out: dict[str, tuple[int, str]] = {}

    def add(where: str, question: object, value: object, rationale: object) -> None:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise click.ClickException(f"{path}: {where}: marks {value!r} is not a whole number "
                                       "(fix: write e.g. 2).") from None
        if not str(rationale or "").strip():
            raise click.ClickException(f"{path}: {where}: no rationale (fix: say why the mark is right).")
        out[str(question).strip()] = (number, str(rationale).strip())

    if path.suffix.lower() == ".csv":
        rows = list(csv.reader(text.splitlines()))
        header = [h.strip().lower() for h in (rows[0] if rows else [])]
        if header[:3] != ["question", "marks", "rationale"]:
            raise click.ClickException(f"{path}: line 1: the columns must be question,marks,rationale "
                                       f"(found {','.join(header) or 'nothing'}).")
        for line, row in enumerate(rows[1:], start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < 3:
                raise click.ClickException(f"{path}: line {line}: needs question, marks and rationale.")
            add(f"line {line}", row[0], row[1], row[2])
    else:
        from ruamel.yaml import YAML, YAMLError

        try:
            data = YAML(typ="safe").load(text)
        except YAMLError as error:
            raise click.ClickException(f"{path}: not valid YAML ({str(error).splitlines()[0]}).") from None
        if not isinstance(data, dict):
            raise click.ClickException(f'{path}: expected question ids, each with marks and rationale, e.g. '
                                       f'"1": {{marks: 2, rationale: "names two hazards"}}.')
        for question, entry in data.items():
            if not isinstance(entry, dict):
                raise click.ClickException(f"{path}: question {question}: give marks and rationale.")
            add(f"question {question}", question, entry.get("marks"), entry.get("rationale"))
    if not out:
        raise click.ClickException(f"{path}: no marks found.")
    return out
