"""One permission table decides who may do what: services, CLI, menus and sign-in agree."""

from __future__ import annotations

from marker_tui.domain.roles import ROLE_NAMES, Permission, Role, may, roles_for
from marker_tui.interfaces.tui.screens.home import ACTIVITIES
from marker_tui.storage.migrations import ROLES as ROLES_IN_FIRST_MIGRATION


def test_the_roles_are_those_the_database_allows():
    # The first migration's CHECK constraint is frozen; a new role needs a new migration.
    assert set(ROLE_NAMES) == set(ROLES_IN_FIRST_MIGRATION)


def test_every_permission_is_held_by_someone_and_sign_in_by_everyone():
    for permission in Permission:
        assert roles_for(permission), permission
    assert set(roles_for(Permission.SIGN_IN)) == set(ROLE_NAMES)


def test_the_centre_s_rules():
    assert may(["invigilator"], Permission.RUN_ROOM) and may(["admin"], Permission.RUN_ROOM)
    assert not may(["marker"], Permission.RUN_ROOM)
    assert may(["marker"], Permission.MARK) and not may(["iqa"], Permission.MARK)
    assert may(["iqa"], Permission.REVIEW_MARKING) and not may(["marker", "invigilator"], Permission.REVIEW_MARKING)
    assert may(["marker"], Permission.SECOND_MARK) and may(["iqa"], Permission.SECOND_MARK)
    assert not may(["marker"], Permission.EXPORT_WHILE_BLIND)
    assert may([Role.ADMIN], Permission.ADMINISTER) and not may(["iqa"], Permission.ADMINISTER)
    assert not may(["caretaker"], Permission.SIGN_IN)


def test_the_home_menu_offers_each_activity_to_the_roles_the_services_accept():
    from marker_tui.services import candidates
    from marker_tui.services.iqa.common import REVIEWING

    by_key = {a.key: set(a.roles) for a in ACTIVITIES}
    assert by_key["invigilate"] == set(roles_for(Permission.RUN_ROOM))  # what the room's service asks for
    assert by_key["mark"] == set(roles_for(Permission.MARK))  # what the marking service asks for
    assert by_key["iqa"] == set(roles_for(REVIEWING))
    assert set(candidates.EDITORS) == set(roles_for(Permission.EDIT_CANDIDATES))


def test_a_sitting_is_looked_up_by_its_code_in_one_place():
    """One sitting_by_code (storage/sittings.py): services no longer each write their own query."""
    from pathlib import Path

    services = Path(__file__).resolve().parents[1] / "marker_tui" / "services"
    copies = [p.name for p in services.glob("*.py") if "FROM sittings WHERE code" in p.read_text(encoding="utf-8")
              or "FROM mark_schemes WHERE paper_id = ? ORDER BY id DESC" in p.read_text(encoding="utf-8")]
    assert copies == []


def test_role_names_are_listed_only_in_the_permission_table():
    """Who may do what is domain/roles.py's Permission table: a tuple of role names anywhere else
    (a screen's own list, a service's) drifts from it. The schema's CHECK list is frozen history."""
    import ast
    from pathlib import Path

    from marker_tui.domain.roles import ROLE_NAMES

    package = Path(__file__).resolve().parents[1] / "marker_tui"
    # The demo's people hold roles (data about them, not a rule about what a role may do).
    allowed = {"domain/roles.py", "storage/migrations.py", "services/demo.py"}
    found = []
    for path in sorted(package.rglob("*.py")):
        name = str(path.relative_to(package))
        if name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and all(
                    isinstance(e, ast.Constant) and e.value in ROLE_NAMES for e in node.elts):
                found.append(f"{name}:{node.lineno}")
    assert found == []
