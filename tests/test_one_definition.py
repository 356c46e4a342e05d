"""Rules that must be written once (issue 17): a sitting looked up by its code, the mark scheme
in force, and who marked a script. A copy drifts (five lookups once gave five different errors),
so these scan the source rather than run it."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "marker_tui"


@cache  # parsed once per test process: every test here scans the same source
def _modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(PACKAGE)): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def _texts(tree: ast.Module) -> list[str]:
    """Every string literal, including the literal parts of f-strings (SQL is built from them)."""
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _where(pattern: str) -> list[str]:
    found = re.compile(pattern, re.IGNORECASE)
    return [name for name, tree in _modules().items() if any(found.search(" ".join(t.split())) for t in _texts(tree))]


def _defined(function: str) -> list[str]:
    return [name for name, tree in _modules().items() for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef) and n.name == function]


def test_who_marked_a_script_is_defined_once():
    """A marker is anyone with a saved mark version other than an IQA adjustment: that SQL is in
    one function of storage/marks.py, which every "who marked" query uses."""
    rule = r"role\s*(?:(?:!=|<>)\s*['\"]iqa['\"]|NOT\s+IN\s*\(\s*['\"]iqa['\"])"
    assert _where(rule) == ["storage/marks.py"]
    marks = _modules()["storage/marks.py"]
    assert sum(bool(re.search(rule, t)) for t in _texts(marks)) == 1


def test_a_sitting_is_found_by_its_code_in_one_place():
    assert _defined("sitting_by_code") == ["storage/sittings.py"]
    assert _where(r"FROM sittings WHERE code = \?") == ["storage/sittings.py"]


def test_the_mark_scheme_in_force_is_read_in_one_place():
    assert _defined("latest_scheme") == ["storage/papers.py"]
    assert _where(r"FROM mark_schemes WHERE paper_id = \? ORDER BY id DESC") == ["storage/papers.py"]


def test_storage_reads_return_records_not_rows():
    """Services read storage's answers by attribute (``script.finish``), never by column name, so a
    renamed column fails where it is read. The two exceptions are rows on purpose."""
    on_purpose = {
        ("storage/learner_records.py", "learner_rows"),  # every table about a learner, columns from the schema
        ("storage/scripts.py", "save_fingerprint"),  # compared whole, on the learner's hot save path
    }
    rows = re.compile(r"dict\[str, Any\]|list\[dict|sqlite3\.Row|^(dict|list|tuple|Any)$|\[tuple\]|\btuple \|")
    found = {(name, n.name) for name, tree in _modules().items() if name.startswith("storage/")
             for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
             and n.returns is not None and rows.search(ast.unparse(n.returns))}
    assert found == on_purpose
