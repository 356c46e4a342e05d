"""Sampling plans: drawing, redrawing and adding to them, reproducing them, and signing them off.

A plan samples one sitting (``"MARK-1"``) or a unit across its sittings
(``"3818-13/304"``). It stores its strategy, seed and the marked scripts it was
drawn from, so :meth:`PlanService.reproduce` draws it again and checks it comes
out the same. Drawing again supersedes the current plan (kept, and audited with
the reason); scripts already reviewed under the old plan are carried into the
new one so no review is orphaned. Only scripts marked complete are sampled.
"""

from __future__ import annotations

from marker_tui.domain.local_time import DATE, DATE_MINUTE, local_time

import json
from collections.abc import Iterable
from datetime import datetime

from marker_tui.domain.events.iqa import PlanSignedOff, SamplingPlanDrawn, ScriptAddedToPlan
from marker_tui.domain.marking import NOT_YET_MARKED
from marker_tui.domain.reports import ScriptDecision
from marker_tui.domain.sampling import (
    MarkedScript,
    SamplingPlan,
    SamplingStrategy,
    build_sample,
    natural_key,
    person_key,
)
from marker_tui.services.audit import Actor
from marker_tui.services.iqa.common import REVIEWING, IqaError, as_json, clean_text, first_up, refuse_own, staff_member
from marker_tui.services.iqa.views import IqaViews, PlanSummary, PlanView, Reproduction, Scope
from marker_tui.services.marking import MARKABLE_FINISHES
from marker_tui.services.unit_of_work import UnitOfWork, authorise
from marker_tui.storage import iqa as iqa_store
from marker_tui.storage.database import Database


class PlanService:
    """The reviewer's sampling plans for a scope, and their sign-off."""

    def __init__(self, uow: UnitOfWork, views: IqaViews) -> None:
        self.uow = uow
        self.views = views

    # == reading ======================================================================================

    def scope(self, scope: str) -> Scope:
        """A sitting code, or QUALIFICATION/UNIT for a unit across its sittings."""
        with self.uow.read() as rx:
            return self.views.scope(rx.db, scope)

    def preview_plan(self, scope: str, *, strategy: SamplingStrategy, reviewer: str,
                     seed: int | None = None):
        """The plan that :meth:`create_plan` would draw now, without storing anything."""
        with self.uow.read(by=reviewer, needs=REVIEWING) as rx:
            found = self.views.scope(rx.db, scope)
            inputs, _ = self.views.marked_scripts(rx.db, found)
        return build_sample(inputs, strategy, rx.actor.label, seed)

    def current_plan(self, scope: str, *, reviewer: str) -> PlanView | None:
        """The reviewer's current plan for ``scope``, or None."""
        with self.uow.read() as rx:
            found = self.views.scope(rx.db, scope)
            who = staff_member(rx.db, reviewer)
            row = iqa_store.current_plan(rx.db, found, who.staff_id)
            return self.views.plan(rx.db, row.id) if row else None

    def current_plans(self, scope: str) -> list[PlanView]:
        """Every reviewer's current plan for ``scope`` (reviewer name order)."""
        with self.uow.read() as rx:
            return self.views.current_plans(rx.db, self.views.scope(rx.db, scope))

    def plans_for(self, reviewer: str) -> list[PlanView]:
        """A reviewer's current plans, newest first (the screen's list when no scope is given)."""
        with self.uow.read() as rx:
            who = staff_member(rx.db, reviewer)
            return [self.views.plan(rx.db, i) for i in iqa_store.reviewer_plan_ids(rx.db, who.staff_id)]

    def plan(self, plan_id: int) -> PlanView:
        with self.uow.read() as rx:
            return self.views.plan(rx.db, plan_id)

    def history(self, scope: str) -> list[PlanSummary]:
        """Every plan ever drawn for ``scope`` (current and superseded), oldest first."""
        with self.uow.read() as rx:
            found = self.views.scope(rx.db, scope)
            return [
                PlanSummary(id=h.plan.id, scope_key=found.key, reviewer=h.plan.reviewer, seed=h.plan.seed,
                            created_at=h.plan.created_at, created_by=h.plan.creator, reason=h.plan.reason,
                            superseded_at=h.plan.superseded_at, superseded_by=h.plan.superseded_by,
                            scripts=h.scripts)
                for h in iqa_store.plan_history(rx.db, found)
            ]

    def reproduce(self, plan_id: int) -> Reproduction:
        """Draw a stored plan again from its stored inputs, strategy and seed; say whether it matches."""
        with self.uow.read() as rx:
            row = iqa_store.plan(rx.db, plan_id)
        if row is None:
            raise IqaError(f"There is no IQA plan {plan_id}.")
        inputs = [MarkedScript.model_validate(s) for s in json.loads(row.inputs_json)]
        strategy = SamplingStrategy.model_validate(json.loads(row.strategy_json))
        stored = SamplingPlan.model_validate_json(row.plan_json)
        again = build_sample(inputs, strategy, row.reviewer, seed=row.seed)
        differences = []
        if again.chosen != stored.chosen:
            lost = sorted(set(stored.script_refs) - set(again.script_refs), key=natural_key)
            extra = sorted(set(again.script_refs) - set(stored.script_refs), key=natural_key)
            differences.append(f"scripts differ: stored only {', '.join(lost) or '-'}; "
                               f"redrawn only {', '.join(extra) or '-'}; or their reasons differ")
        if again.excluded != stored.excluded:
            differences.append("excluded scripts differ")
        if again.markers != stored.markers:
            differences.append("marker coverage differs")
        return Reproduction(plan_id=plan_id, seed=row.seed, same=not differences,
                            stored=stored.script_refs, redrawn=again.script_refs, differences=tuple(differences))

    def sampleable_scopes(self) -> list[iqa_store.SampleableSitting]:
        """Sittings with scripts marked complete (code, marked complete, submitted), newest first."""
        with self.uow.read() as rx:
            return iqa_store.sampleable_sittings(rx.db, MARKABLE_FINISHES)

    # == writing ======================================================================================

    def create_plan(self, scope: str, *, strategy: SamplingStrategy, by: str, reviewer: str | None = None,
                    seed: int | None = None, redraw: bool = False, reason: str | None = None) -> PlanView:
        """Draw and store the sampling plan of ``scope`` for ``reviewer`` (default: ``by``).

        If the reviewer already has a current plan for this scope, ``redraw``
        must be True: the old plan is superseded (kept) and, once any review
        has started under it, a ``reason`` is required. Scripts already
        reviewed are carried into the new plan.
        """
        why = clean_text(reason, "A reason", limit=500)
        if isinstance(seed, bool) or (seed is not None and not isinstance(seed, int)):
            raise IqaError("A seed is a whole number.")
        with self.uow.write(by=by, needs=REVIEWING, what="drawing a sampling plan") as tx:
            db, now, actor = tx.db, tx.now, tx.actor
            who = authorise(db, reviewer or by, REVIEWING)
            found = self.views.scope(db, scope)
            inputs, by_ref = self.views.marked_scripts(db, found)
            plan = build_sample(inputs, strategy, who.label, seed)
            old = iqa_store.current_plan(db, found, who.staff_id)
            carried: list[iqa_store.ReviewedUnderPlan] = []
            if old is not None:
                if not redraw:
                    raise IqaError(
                        f"{first_up(found.label)} already has a sampling plan for {who.label} (plan {old.id}, "
                        f"seed {old.seed}, drawn {local_time(old.created_at, DATE_MINUTE)}). "
                        "To draw it again, give a new seed (marker-tui iqa sample ... --seed N).")
                carried = iqa_store.scripts_reviewed_under(db, old.id, who.staff_id)
                if carried and not why:
                    raise IqaError(f"Reviews have started under plan {old.id} ({len(carried)} script(s)): "
                                   "give a reason for drawing the plan again (it is kept in the audit log).")
            new_id = iqa_store.next_plan_id(db)
            if old is not None:
                # The new row is inserted below, in this same transaction.
                iqa_store.supersede_plan(db, old.id, by_plan=new_id, at=now)
            strategy_json = strategy.model_dump(mode="json")
            strategy_json["new_markers"] = sorted(strategy.new_markers, key=person_key)
            iqa_store.insert_plan(
                db, plan_id=new_id, sitting_id=found.sitting_id,
                qualification=None if found.sitting_id else found.qualification,
                unit=None if found.sitting_id else found.unit, reviewer_id=who.staff_id,
                strategy_json=as_json(strategy_json), strategy_text=strategy.describe(), seed=plan.seed,
                seed_source=plan.seed_source, inputs_json=as_json([s.model_dump(mode="json") for s in inputs]),
                plan_json=plan.model_dump_json(), scripts_marked=sum(1 for s in inputs if s.is_marked), at=now,
                by=actor.staff_id, reason=why)
            chosen_ids = set()
            for sampled in plan.chosen:
                row = by_ref[sampled.script_ref]
                chosen_ids.add(row.id)
                _add_plan_script(db, new_id, row.id, sampled.script_ref, list(sampled.reasons),
                                 sampled.markers, sampled.total, sampled.pass_mark, sampled.status, actor, now)
            for c in carried:
                if c.script_id in chosen_ids:
                    continue
                entry = next((s for s in inputs if s.script_ref == c.script_ref), None)
                _add_plan_script(
                    db, new_id, c.script_id, c.script_ref, [f"reviewed under plan {old.id}: carried into this plan"],
                    entry.markers if entry else (), entry.total if entry else None,
                    entry.pass_mark if entry else 0, entry.status if entry else NOT_YET_MARKED, actor, now)
            tx.record(SamplingPlanDrawn(
                sitting_id=found.sitting_id, plan=new_id, scope=found.key, reviewer=who.label,
                strategy=strategy.describe(), seed=plan.seed, seed_source=plan.seed_source,
                scripts=list(plan.script_refs),
                carried_from_the_old_plan=[c.script_ref for c in carried if c.script_id not in chosen_ids],
                excluded={e.script_ref: e.reason for e in plan.excluded},
                notes=list(plan.notes), supersedes=old.id if old else None, reason=why))
            return self.views.plan(db, new_id)

    def add_to_plan(self, scope: str, script_number: str, *, by: str, reason: str) -> PlanView:
        """Add one more script to the reviewer's current plan, with the reviewer's reason."""
        why = clean_text(reason, "A reason", limit=500)
        if not why:
            raise IqaError("Say why this script is added to the sample.")
        with self.uow.write(by=by, needs=REVIEWING, what="adding a script to the plan") as tx:
            db, actor = tx.db, tx.actor
            found = self.views.scope(db, scope)
            plan = iqa_store.current_plan(db, found, actor.staff_id)
            if plan is None:
                raise IqaError(f"{actor.label} has no sampling plan for {found.label} yet: draw one first.")
            inputs, by_ref = self.views.marked_scripts(db, found)
            wanted = script_number.strip()
            entry = next((s for s in inputs if s.script_ref == wanted or by_ref[s.script_ref].script_number == wanted),
                         None)
            if entry is None:
                raise IqaError(f"{first_up(found.label)} has no marked script {wanted}.")
            refuse_own(entry.markers, actor.label)
            if not entry.is_marked:
                raise IqaError(f"Script {wanted} is not marked complete yet: only marked scripts are sampled.")
            row = by_ref[entry.script_ref]
            if iqa_store.plan_has_script(db, plan.id, row.id):
                raise IqaError(f"Script {entry.script_ref} is already in plan {plan.id}.")
            _add_plan_script(db, plan.id, row.id, entry.script_ref, [f"added by {actor.label}: {why}"],
                             entry.markers, entry.total, entry.pass_mark, entry.status, actor, tx.now)
            tx.record(ScriptAddedToPlan(sitting_id=row.sitting_id, script_id=row.id,
                                        candidate_number=row.candidate_number, plan=plan.id,
                                        script=entry.script_ref, reason=why))
            return self.views.plan(db, plan.id)

    def sign_off(self, scope: str, *, by: str, statement: str | None = None) -> PlanView:
        """The reviewer signs their plan for ``scope`` off: every sampled script reviewed and confirmed."""
        text = clean_text(statement, "A statement")
        with self.uow.write(by=by, needs=REVIEWING, what="signing off") as tx:
            db, actor = tx.db, tx.actor
            found = self.views.scope(db, scope)
            row = iqa_store.current_plan(db, found, actor.staff_id)
            if row is None:
                raise IqaError(f"{actor.label} has no sampling plan for {found.label} to sign off.")
            plan = self.views.plan(db, row.id)
            if plan.sign_off is not None:
                raise IqaError(f"Plan {plan.id} was signed off by {plan.sign_off.reviewer} on "
                               f"{local_time(plan.sign_off.signed_at, DATE)}.")
            problems = []
            open_ = [s.script_ref for s in plan.scripts if s.review_state != "confirmed"]
            if open_:
                problems.append(f"not yet confirmed: {', '.join(open_)}")
            referred = [s.script_ref for s in plan.scripts if s.decision is ScriptDecision.REFER_BACK]
            if referred:
                problems.append(f"referred back and not yet reviewed again: {', '.join(referred)}")
            seconds = [s.script_ref for s in plan.scripts if s.second_marker and not s.second_marking_complete]
            if seconds:
                problems.append(f"blind second marking not complete: {', '.join(seconds)}")
            if problems:
                raise IqaError("The plan cannot be signed off yet: " + "; ".join(problems) + ".")
            iqa_store.insert_sign_off(db, plan.id, actor.staff_id, at=tx.now, statement=text)
            tx.record(PlanSignedOff(sitting_id=found.sitting_id, plan=plan.id, scope=found.key, statement=text,
                                    decisions={s.script_ref: s.decision.value if s.decision else None
                                               for s in plan.scripts}))
            return self.views.plan(db, plan.id)


def _add_plan_script(db: Database, plan_id: int, script_id: int, ref: str, reasons: list[str],
                     markers: Iterable[str], total: int | None, pass_mark: int, status: str, actor: Actor,
                     now: datetime) -> None:
    iqa_store.insert_plan_script(db, plan_id=plan_id, script_id=script_id, ref=ref, reasons=reasons,
                                 markers=markers, total=total, pass_mark=pass_mark, status=status,
                                 by=actor.staff_id, at=now)
