"""The layers hold: checked here so a change that crosses one fails the suite, not a review.

- import contracts (pyproject.toml, [tool.importlinter]): interfaces > services > storage | documents >
  domain; the domain imports no database, file format or terminal library; only storage imports SQLite;
- every SQL statement lives in marker_tui/storage/;
- a learner's terminal does not load the marking, IQA or document code it never uses.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "marker_tui"

# Words that open an SQL statement, in capitals (as all our SQL is written), at the start of a literal:
# prose such as "Update the screen" does not match.
_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|"
                  r"WITH\s+\w+\s+AS|VACUUM|ATTACH)\b")
_DB_CALLS = {"execute", "executemany", "executescript", "query"}

# Modules outside storage/ still holding SQL, and how many statements: this list only shrinks.
STILL_TO_MOVE: dict[str, int] = {}


def _database_like(receiver: ast.expr) -> bool:
    """``db.execute``, ``self.db.query``, ``conn.execute``: not Textual's ``self.query("#id")`` (the DOM)."""
    name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
    return name in {"db", "conn", "connection", "cursor", "_db", "database", "source", "target", "live"}


def _sql_in(path: Path) -> list[str]:
    """Each SQL string literal or database call in one module, as 'line: text'."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.match(node.value):
            found.append(f"{node.lineno}: {node.value.strip()[:60]}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in _DB_CALLS and _database_like(node.func.value)):
            found.append(f"{node.lineno}: .{node.func.attr}(...)")
    return found


def _outside_storage() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "storage" not in p.relative_to(PACKAGE).parts)


def test_the_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")  # import-linter's command, in this venv
    result = subprocess.run([str(lint_imports), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout
    assert "4 kept, 0 broken" in result.stdout


def test_sql_lives_only_in_storage():
    offenders = {}
    for path in _outside_storage():
        name = str(path.relative_to(PACKAGE))
        found = _sql_in(path)
        allowed = STILL_TO_MOVE.get(name, 0)
        if len(found) > allowed:
            offenders[name] = found
    assert not offenders, ("SQL outside marker_tui/storage/ (add a storage function for it):\n"
                           + json.dumps(offenders, indent=1))


def test_the_list_of_modules_still_holding_sql_only_shrinks():
    for name, allowed in STILL_TO_MOVE.items():
        path = PACKAGE / name
        if not path.exists():
            pytest.fail(f"{name} is gone: remove it from STILL_TO_MOVE")
        assert _sql_in(path), f"{name} holds no SQL any more: remove it from STILL_TO_MOVE"


def test_the_sql_finder_finds_sql(tmp_path):
    """The scan above would pass vacuously if it found nothing: show it sees both kinds."""
    sample = tmp_path / "sample.py"
    sample.write_text('def f(self, db):\n    db.execute("SELECT 1")\n    q = "UPDATE scripts SET x = 1"\n'
                      '    """Update the learner\'s screen."""\n    self.db.query(q)\n    self.query("#answer")\n',
                      encoding="utf-8")
    found = _sql_in(sample)
    assert any(".execute" in f for f in found)
    assert sum(".query" in f for f in found) == 1  # the database's, not the screen's
    assert any("UPDATE scripts" in f for f in found)
    assert not any("learner" in f for f in found)


def test_a_learners_terminal_does_not_load_marking_iqa_or_document_code():
    probe = ("import sys\n"
             "import marker_tui.interfaces.tui.launch as launch\n"
             "from marker_tui.interfaces.tui.app import MarkerApp\n"
             "from marker_tui.interfaces.tui.screens.learner import LearnerLoginScreen\n"
             "from marker_tui.interfaces.tui.screens.fault import LearnerFaultScreen\n"
             "import marker_tui.services.learner\n"
             "print('\\n'.join(sorted(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    unwanted = {"docx", "openpyxl", "pypdfium2", "marker_tui.services.marking", "marker_tui.services.iqa",
                "marker_tui.services.exports", "marker_tui.services.invigilation", "marker_tui.services.sitting",
                "marker_tui.documents.feedback", "marker_tui.documents.results"}
    assert not (loaded & unwanted), sorted(loaded & unwanted)
