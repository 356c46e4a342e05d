"""Writing a test specification as ``spec.yaml``: one layout, byte-for-byte repeatable.

The layout is the shipped ``papers/3818-13/spec.yaml``: keys in the models' order,
2-space indentation, block style, unit and criterion numbers double-quoted (so
"2.10" stays "2.10"), group unit lists in flow style, whole-number % weightings
written as integers, optional keys left out when empty, no line wrapping.

A *partial* file (``import-handbook --partial``) has the same layout; each value
the importer could not read is written as ``null`` with a ``# FILL IN: ...``
comment saying what is missing and where in the handbook to look.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from marker_tui.domain.handbook import CRITERION_TEXT_RULE, Finding, HandbookImport
from marker_tui.domain.specification import TestSpecification

GAP_MARKER = "FILL IN"


class _Representer(RoundTripRepresenter):
    """Writes a missing value as ``null`` (ruamel's default is an empty value, easy to miss)."""


_Representer.add_representer(
    type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null")
)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.width = 100_000  # never fold long criterion text: one value, one line
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _figure(value: Any) -> Any:
    # 40.0 -> 40: the handbook prints whole numbers; keep 33.3 as it is.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _quoted(value: Any) -> Any:
    return DoubleQuotedScalarString(str(value)) if value is not None else None


class _Marks:
    """Where the gaps go: (entity, key) -> messages, entity being "qualification",
    "rules_of_combination", ("unit", "309") or ("outcome", "309", 1)."""

    def __init__(self, gaps: Iterable[Finding]) -> None:
        self.by_place: dict[tuple[Any, str], list[str]] = {}
        for gap in gaps:
            if gap.field is None:
                continue
            if gap.unit is not None and gap.outcome is not None:
                entity: Any = ("outcome", gap.unit, gap.outcome)
            elif gap.unit is not None:
                entity = ("unit", gap.unit)
            elif gap.section in ("qualification",):
                entity = "qualification"
            else:
                entity = "rules_of_combination"
            where = f" (page {gap.page})" if gap.page else f" (line {gap.line})" if gap.line else ""
            self.by_place.setdefault((entity, gap.field), []).append(f"{gap.message}{where}")

    def apply(self, mapping: CommentedMap, entity: Any) -> None:
        for (place, key), messages in self.by_place.items():
            if place != entity:
                continue
            if key not in mapping:
                mapping[key] = None
            mapping.yaml_add_eol_comment(f"{GAP_MARKER}: {'; '.join(messages)}", key)


def _mapping(pairs: Iterable[tuple[str, Any]], keep: Sequence[str] = ()) -> CommentedMap:
    """A mapping in the given order, leaving out empty optional keys (not those in ``keep``)."""
    out = CommentedMap()
    for key, value in pairs:
        if value is None and key not in keep:
            continue
        out[key] = value
    return out


def _flow_list(values: Iterable[Any]) -> CommentedSeq:
    seq = CommentedSeq(_quoted(v) for v in values)
    seq.fa.set_flow_style()
    return seq


def _document(data: Mapping[str, Any], marks: _Marks) -> CommentedMap:
    q = data.get("qualification") or {}
    qualification = _mapping(
        [(k, q.get(k)) for k in ("number", "title", "level", "glh", "tqt", "accreditation_number")],
        keep=("number", "title", "level", "glh", "tqt"),
    )
    marks.apply(qualification, "qualification")
    r = data.get("rules_of_combination") or {}
    groups = CommentedSeq()
    for g in r.get("groups") or []:
        groups.append(_mapping([
            ("name", g.get("name")),
            ("mandatory", True if g.get("mandatory") else None),
            ("units", _flow_list(g.get("units") or [])),
            ("min_credits", g.get("min_credits")),
            ("max_credits", g.get("max_credits")),
        ], keep=("name",)))
    rules = _mapping([
        ("credits_required", r.get("credits_required")),
        ("description", DoubleQuotedScalarString(r["description"]) if r.get("description") else None),
        ("groups", groups),
    ], keep=("credits_required",))
    marks.apply(rules, "rules_of_combination")
    units = CommentedSeq()
    for u in data.get("units") or []:
        units.append(_unit(u, marks))
    return _mapping([("qualification", qualification), ("rules_of_combination", rules), ("units", units)])


def _unit(u: Mapping[str, Any], marks: _Marks) -> CommentedMap:
    outcomes = CommentedSeq()
    for o in u.get("outcomes") or []:
        criteria = CommentedSeq(
            _mapping([("number", _quoted(c.get("number"))), ("text", c.get("text"))], keep=("number", "text"))
            for c in o.get("criteria") or []
        )
        outcome = _mapping([
            ("number", o.get("number")),
            ("title", o.get("title")),
            ("marks", o.get("marks")),
            ("weighting_percent", _figure(o.get("weighting_percent"))),
            ("criteria", criteria),
        ], keep=("number", "title", "marks"))
        marks.apply(outcome, ("outcome", u.get("number"), o.get("number")))
        outcomes.append(outcome)
    unit = _mapping([
        ("number", _quoted(u.get("number"))),
        ("title", u.get("title")),
        ("title_in_unit_section", u.get("title_in_unit_section")),
        ("level", u.get("level")),
        ("credits", u.get("credits")),
        ("glh", u.get("glh")),
        ("time_allowance_minutes", u.get("time_allowance_minutes")),
        # "marks" is the default: written only for a specification that counts questions.
        ("figures", u.get("figures") if u.get("figures") not in (None, "marks") else None),
        ("test_number", _quoted(u.get("test_number")) if u.get("test_number") else None),
        ("outcomes", outcomes),
    ], keep=("number", "title", "level", "credits", "glh", "time_allowance_minutes"))
    marks.apply(unit, ("unit", u.get("number")))
    return unit


def specification_yaml(
    spec: TestSpecification | Mapping[str, Any],
    *,
    header: Sequence[str] = (),
    gaps: Sequence[Finding] = (),
) -> str:
    """The YAML text of a specification (or of partial spec-shaped data with ``gaps``).

    ``header`` lines become ``# `` comments at the top. The same input always gives
    the same bytes.
    """
    data = spec.model_dump(mode="python") if isinstance(spec, TestSpecification) else spec
    stream = io.StringIO()
    _yaml().dump(_document(data, _Marks(gaps)), stream)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return comment + stream.getvalue()


def import_header(result: HandbookImport, source_name: str) -> list[str]:
    """The comment that heads an imported file: source, rule for criterion text,
    and every warning (the handbook's inconsistencies, kept as stated)."""
    q = result.data.get("qualification") or {}
    name = " ".join(str(q[k]) for k in ("number", "title") if q.get(k)) or "Qualification"
    lines = [f"{name}: test specification.", ""]
    lines += _wrap(f"Imported by `marker-tui import-handbook` from {source_name}; check it by eye "
                   "against the handbook. Figures are kept exactly as the handbook states them; "
                   "nothing is corrected.")
    lines += _wrap(CRITERION_TEXT_RULE)
    if result.warnings:
        lines.append("Inconsistencies in the handbook, kept as stated (the importer's warnings):")
        for finding in result.warnings:
            lines += _wrap(f"- {finding.where}: {finding.message}", indent="  ")
    if result.gaps:
        count = len(result.gaps)
        lines += _wrap(f"INCOMPLETE: {count} thing{'s' if count != 1 else ''} could not be read; each "
                       f"is marked `{GAP_MARKER}` below where it has a place. Fill them in from the "
                       "handbook, then run `marker-tui check` on this file:")
        for finding in result.gaps:
            lines += _wrap(f"- {finding.where}: {finding.message}", indent="  ")
    return lines


def _wrap(text: str, width: int = 88, indent: str = "") -> list[str]:
    """Comment lines of at most ``width`` characters (a longer single word stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current.strip() and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = indent + word
        else:
            current = f"{current} {word}" if current.strip() else f"{current}{word}"
    return lines + ([current] if current.strip() else [])


def write_text_file(path: Path, text: str) -> None:
    """Write all of ``text`` or nothing: a temporary file beside ``path``, then a rename,
    so an interrupted import never leaves half a spec.yaml."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
