"""Every file we ship validates, and the shipped specification keeps the handbook's figures."""

from __future__ import annotations

import pytest

from marker_tui.storage.assessment_files import (
    load_command_verbs,
    load_library,
    load_specification,
)
from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS

SHIPPED = sorted(SHIPPED_PAPERS.rglob("*.yaml")) + sorted(SHIPPED_MARKSCHEMES.rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SHIPPED_PAPERS.parent)))
def test_shipped_file_has_no_errors(path):
    library = load_library(paths=[path])
    assert [str(f) for f in library.errors] == []


def test_every_shipped_paper_has_a_mark_scheme_and_a_unit():
    library = load_library()
    assert library.errors == []
    for key, paper in library.papers.items():
        assert key in library.mark_schemes, f"paper {key} has no mark scheme"
        spec = library.specifications[paper.qualification]
        assert spec.unit(paper.unit) is not None


def test_the_papers_units_are_shipped():
    library = load_library()
    assert {unit for (_, unit) in library.papers} >= {"304", "305", "306", "308"}


def test_specification_keeps_the_handbook_figures():
    spec = load_specification(SHIPPED_PAPERS / "3818-13" / "spec.yaml")
    q = spec.qualification
    assert (q.number, q.glh, q.tqt) == ("3818-13", 94, 127)
    assert [u.number for u in spec.units] == [str(n) for n in range(304, 317)]
    unit304 = spec.unit("304")
    assert unit304.time_allowance_minutes == 90
    assert [(o.marks, o.weighting_percent) for o in unit304.outcomes] == [(18, 40), (14, 32), (4, 8), (9, 20)]
    assert unit304.total_marks == 45
    # The handbook's inconsistency is kept as stated, not corrected.
    assert [o.weighting_percent for o in spec.unit("308").outcomes] == [64, 36]
    assert spec.unit("316").title_in_unit_section is not None


def test_handbook_inconsistencies_surface_as_warnings():
    library = load_library(paths=[SHIPPED_PAPERS / "3818-13" / "spec.yaml"])
    messages = [f.message for f in library.warnings]
    assert "unit 308 outcome 1: 9 of 17 marks is 53%, the specification states 64%" in messages
    assert "unit 309: % weightings sum to 99" in messages


def test_command_verb_glossary_covers_every_verb_used():
    verbs = load_command_verbs()
    library = load_library()
    for paper in library.papers.values():
        for question in paper.questions:
            assert verbs.lookup(question.command_verb), f"{paper.unit} Q{question.id}: {question.command_verb}"
    for verb in ("describe", "explain", "identify", "list", "evaluate"):
        assert verbs.lookup(verb) is not None
