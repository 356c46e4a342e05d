"""Every audit entry the code can write has its name listed once, in domain/audit_actions.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from marker_tui.domain.audit_actions import Action, is_listed
from marker_tui.domain.audit_chain import RESTORED
from marker_tui.domain.events import event_classes
from marker_tui.services.audit import record

PACKAGE = Path(__file__).resolve().parents[1] / "marker_tui"


def _literals(expr: ast.expr) -> list[str] | None:
    """The names an action expression can take, or None when it is not written out."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        body, orelse = _literals(expr.body), _literals(expr.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _written_actions() -> tuple[dict[str, str], list[str]]:
    """(name → where, expressions that are not traceable) across the package."""
    names: dict[str, str] = {}
    untraceable: list[str] = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"
            exprs: list[ast.expr] = []
            if isinstance(node, ast.Call):
                fn = node.func
                called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
                if called == "record":
                    exprs = [k.value for k in node.keywords if k.arg == "action"]
                elif called == "_record" and len(node.args) >= 2:
                    exprs = [node.args[1]]
                elif called == "append" and isinstance(fn, ast.Attribute) \
                        and getattr(fn.value, "id", "") == "audit_log" and len(node.args) > 3:
                    exprs = [node.args[3]]
                for expr in exprs:
                    found = _literals(expr)
                    if found is not None:
                        names.update({n: where for n in found})
                    elif not (isinstance(expr, ast.Name) and expr.id in {"action", "RESTORED"}) \
                            and ast.unparse(expr) != "event.action.value":  # the unit of work's typed events
                        untraceable.append(f"{where}: {ast.unparse(expr)}")
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "action" for t in node.targets):
                found = _literals(node.value)
                if found is not None:
                    names.update({n: where for n in found})
            elif isinstance(node, ast.For) and isinstance(node.target, ast.Tuple) \
                    and any(getattr(e, "id", None) == "action" for e in node.target.elts):
                position = [getattr(e, "id", None) for e in node.target.elts].index("action")
                for row in getattr(node.iter, "elts", []):
                    found = _literals(row.elts[position]) if isinstance(row, ast.Tuple) else None
                    if found is None:
                        untraceable.append(f"{where}: {ast.unparse(row)}")
                    else:
                        names.update({n: where for n in found})
    names.update(_typed_events_constructed())
    return names, untraceable


def _typed_events_constructed() -> dict[str, str]:
    """Actions written through a typed event (``tx.record(IncidentNoted(...))``): name → where."""
    classes = {cls.__name__: action.value for action, cls in event_classes().items()}
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "events":
            continue  # the classes' own definitions are not uses
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in classes:
                found[classes[node.func.id]] = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
    return found


def test_every_action_the_code_writes_is_listed():
    names, untraceable = _written_actions()
    assert len(names) > 50, "the scan found too few actions: it has stopped seeing record() calls"
    missing = {n: w for n, w in names.items() if not is_listed(n)}
    assert not missing, f"add these to marker_tui/domain/audit_actions.py: {missing}"
    assert not untraceable, ("write the action name out (or pass it through a variable called "
                             f"'action' that is assigned names written out): {untraceable}")


def test_every_listed_action_is_written_somewhere():
    names, _ = _written_actions()
    unused = sorted(a.value for a in Action if a.value not in names and a.value != RESTORED)
    assert not unused, f"listed but never written (remove them, or they are a typo): {unused}"


def test_names_are_unique_and_never_blank():
    values = [a.value for a in Action]
    assert len(values) == len(set(values))
    assert all(v.strip() == v and v for v in values)


def test_recording_an_unlisted_action_is_refused_before_anything_is_written(tmp_path):
    from datetime import datetime, timezone

    from marker_tui.storage.database import open_database, write_transaction

    db = open_database(tmp_path / "centre.db")
    with write_transaction(db):
        before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        with pytest.raises(ValueError, match="audit_actions.py"):
            record(db, at=datetime(2026, 1, 1, tzinfo=timezone.utc), actor="system", action="sitting creatd")
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before
