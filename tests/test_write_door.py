"""Every write goes through the one door, and Centre is the one place services are built.

- no service calls the older write helpers (``run_write``, ``resolve_actor``, ``audit.record``):
  each write is a unit-of-work block (``services/unit_of_work.py``) recording typed events, or
  naming its housekeeping;
- no service builds another service (or a Centre): Centre wires what each one needs.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "marker_tui" / "services"
THE_DOOR = SERVICES / "unit_of_work.py"
COMPOSITION_ROOT = SERVICES / "centre.py"
OLD_DOOR = {"run_write", "resolve_actor"}
#: The service classes a module may not build (every class under services/ named ...Service).
_SERVICE_SUFFIX = "Service"


def _modules() -> list[Path]:
    return sorted(SERVICES.rglob("*.py"))


def _called_name(call: ast.Call) -> tuple[str | None, ast.expr | None]:
    fn = call.func
    if isinstance(fn, ast.Name):
        return fn.id, None
    if isinstance(fn, ast.Attribute):
        return fn.attr, fn.value
    return None, None


def old_door_uses(source: str) -> list[str]:
    """Each use of the older write helpers in one module's source, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in OLD_DOOR or (alias.name == "record" and (node.module or "").endswith("audit")):
                    found.append(f"{node.lineno}: imports {alias.name}")
        elif isinstance(node, ast.Call):
            name, receiver = _called_name(node)
            if name in OLD_DOOR:
                found.append(f"{node.lineno}: {name}(...)")
            elif name == "record" and (receiver is None or "audit" in ast.unparse(receiver)):
                found.append(f"{node.lineno}: {ast.unparse(node.func)}(...)")  # tx.record(event) is the door
    return found


def services_built(source: str) -> list[str]:
    """Each ``XxxService(...)`` or ``Centre(...)`` built in one module's source, as 'line: what'."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name, _ = _called_name(node)
            if name and (name.endswith(_SERVICE_SUFFIX) or name == "Centre"):
                found.append(f"{node.lineno}: {name}(...)")
    return found


def test_no_service_writes_through_the_older_door():
    offenders = {str(p.relative_to(SERVICES)): old_door_uses(p.read_text(encoding="utf-8"))
                 for p in _modules() if p != THE_DOOR}
    offenders = {name: uses for name, uses in offenders.items() if uses}
    assert not offenders, ("write through the unit of work (uow.write + tx.record(TypedEvent), or a named "
                           f"housekeeping): {offenders}")


def test_only_centre_builds_services():
    offenders = {}
    for path in _modules():
        if path == COMPOSITION_ROOT:
            continue
        built = services_built(path.read_text(encoding="utf-8"))
        if path.name == "demo.py":
            # The demo composes its own Centre over its story's clock (a composition root of its
            # own), but builds no service directly either.
            built = [b for b in built if "Centre(" not in b]
        if built:
            offenders[str(path.relative_to(SERVICES))] = built
    assert not offenders, f"have Centre wire what these need (pass it in): {offenders}"


def test_the_scans_find_what_they_look_for():
    assert old_door_uses("from marker_tui.storage.database import run_write\nrun_write(db, work)\n") == [
        "1: imports run_write", "2: run_write(...)"]
    assert old_door_uses("from marker_tui.services.audit import record\nrecord(db, action='x')\n")
    assert old_door_uses("audit_service.record(db, action='x')\n")
    assert old_door_uses("tx.record(IncidentNoted(note='x'))\nself.uow.record_refusal(e, by=b)\n") == []
    assert services_built("from x import SittingService\nSittingService(db, clock).sweep(code)\n") == [
        "2: SittingService(...)"]
    assert services_built("Centre(db=db).iqa\nself.marking.open_script(1, by=b)\n") == ["1: Centre(...)"]


def test_screens_and_commands_get_services_from_centre_only():
    """The interfaces never build a service themselves: they ask a Centre (``centre.staff``), the
    one place services are built and wired. (Building a Centre over a database is the way in.)"""
    interfaces = SERVICES.parent / "interfaces"
    offenders = {}
    for path in sorted(interfaces.rglob("*.py")):
        built = [b for b in services_built(path.read_text(encoding="utf-8")) if "Centre(" not in b]
        if built:
            offenders[str(path.relative_to(interfaces))] = built
    assert not offenders, f"use centre.<service> instead: {offenders}"
