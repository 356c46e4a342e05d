"""Marker agreement (exact, adjacent, weighted kappa …), adjudication of blind second marks, and status.

Agreement is computed from (marker's mark, second mark) pairs every time, never
stored: from the reviewers' judgements (the first round of each review, i.e.
the marking as first signed off) and from completed blind second marks. The
figures themselves are pure rules in ``domain/agreement.py``.
"""

from __future__ import annotations

from marker_tui.domain import agreement as agreement_rules
from marker_tui.domain.agreement import MarkPair
from marker_tui.domain.reports import ScriptDecision
from marker_tui.services.iqa.common import IqaError
from marker_tui.services.iqa.views import (
    AdjudicationItem,
    AgreementReport,
    IqaStatus,
    IqaViews,
    ReviewerProgress,
    Scope,
    Source,
)
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage import marks as mark_store
from marker_tui.storage.database import Database


class AgreementService:
    """Read-only figures over a scope: agreement, the adjudication list and the overall IQA status."""

    def __init__(self, uow: UnitOfWork, views: IqaViews) -> None:
        self.uow = uow
        self.views = views

    def _pairs(self, db: Database, scope: Scope, source: Source) -> tuple[list[MarkPair], dict[str, int], dict]:
        """(pairs, tolerance by question label, pair index -> (script_id, second marker)) for the scope."""
        papers = iqa_store.scope_papers(db, scope)
        versions = {p.paper_id: p.version for p in papers}
        tolerance = self.views.tolerances(db, scope)
        pairs: list[MarkPair] = []
        origin: dict[int, tuple[int, str]] = {}

        def max_marks(paper_id: int, qid: str) -> int:
            paper, _ = self.views.paper_scheme(db, paper_id)
            question = paper.question(qid)
            return question.marks if question else 0

        if source in ("all", "iqa"):
            # The first round of each reviewer's review: the marking as it was signed off.
            for j in iqa_store.first_round_judgements(db, scope):
                maximum = max_marks(j.paper_id, j.question_id)
                if maximum < 1:
                    continue
                second = j.marker_mark if j.agree else j.reviewer_mark
                pairs.append(MarkPair(
                    question_id=self.views.qlabel(j.question_id, versions[j.paper_id], len(papers)),
                    max_marks=maximum, first_mark=j.marker_mark, second_mark=second, marker=j.marker,
                    script_ref=self.views.ref(scope, j.script_number, j.code)))
        if source in ("all", "second"):
            rows = iqa_store.completed_second_marks(db, scope)
            firsts = mark_store.marker_marks(db, sorted({r.script_id for r in rows}))
            for r in rows:
                first = firsts.get(r.script_id, {}).get(r.question_id)
                maximum = max_marks(r.paper_id, r.question_id)
                if first is None or maximum < 1:
                    continue
                origin[len(pairs)] = (r.script_id, r.second_marker)
                pairs.append(MarkPair(
                    question_id=self.views.qlabel(r.question_id, versions[r.paper_id], len(papers)),
                    max_marks=maximum, first_mark=first.marks_awarded, second_mark=r.marks,
                    marker=first.marker_name, script_ref=self.views.ref(scope, r.script_number, r.code)))
        return pairs, tolerance, origin

    def _agreement(self, db: Database, found: Scope, source: Source) -> AgreementReport:
        pairs, tolerance, _ = self._pairs(db, found, source)
        return AgreementReport(
            scope=found, source=source, pairs=tuple(pairs), tolerance=tolerance,
            overall=agreement_rules.agreement(pairs, tolerance),
            by_marker=agreement_rules.by_marker(pairs, tolerance),
            by_question=agreement_rules.by_question(pairs, tolerance))

    def agreement(self, scope: str, *, source: Source = "all") -> AgreementReport:
        """Agreement figures for ``scope``: overall, per marker and per question.

        ``source``: "iqa" (reviewers' judgements, first round), "second"
        (completed blind second marks) or "all" (both).
        """
        if source not in ("all", "iqa", "second"):
            raise IqaError("Choose the pairs to compare: all, iqa or second.")
        with self.uow.read() as rx:
            return self._agreement(rx.db, self.views.scope(rx.db, scope), source)

    def _adjudication(self, db: Database, found: Scope) -> list[AdjudicationItem]:
        pairs, tolerance, origin = self._pairs(db, found, "second")
        index = {(p.script_ref, p.question_id): origin[i] for i, p in enumerate(pairs)}
        judged = iqa_store.judged_questions(db)
        out = []
        for d in agreement_rules.out_of_tolerance(pairs, tolerance):
            script_id, second = index[(d.script_ref, d.question_id)]
            qid = d.question_id.split(" (v")[0]
            out.append(AdjudicationItem(discrepancy=d, script_id=script_id, second_marker=second,
                                        resolved_by_review=(script_id, qid) in judged))
        return out

    def adjudication(self, scope: str) -> list[AdjudicationItem]:
        """Blind second marks out of tolerance with the marker's: the questions a reviewer adjudicates."""
        with self.uow.read() as rx:
            return self._adjudication(rx.db, self.views.scope(rx.db, scope))

    def status(self, scope: str) -> IqaStatus:
        """Plans, review progress and decisions, second marking, adjudication and agreement for ``scope``."""
        with self.uow.read() as rx:  # one snapshot for every part of the picture
            db = rx.db
            found = self.views.scope(db, scope)
            progress = []
            for plan in self.views.current_plans(db, found):
                decisions: dict[str, int] = {d.value: 0 for d in ScriptDecision}
                for s in plan.scripts:
                    if s.decision is not None and s.review_state == "confirmed":
                        decisions[s.decision.value] += 1
                progress.append(ReviewerProgress(plan=plan, counts=plan.counts(), decisions=decisions))
            return IqaStatus(scope=found, plans=tuple(progress),
                             second_marking=tuple(self.views.second_rows(db, iqa_store.second_markings_in(db, found))),
                             adjudication=tuple(self._adjudication(db, found)),
                             agreement=self._agreement(db, found, "all"))
