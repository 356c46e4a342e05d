"""Internal quality assurance, cut at its seams (each module is one small service; ``Centre`` wires them).

plans (sampling plans, sign-off) · reviews (judgements, decisions, action points) ·
second_marking (tolerances, blind second marking) · agreement (agreement figures,
adjudication, status) · views (the read models, and the one place they are built).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from marker_tui.services.iqa.common import IqaError, OwnMarking

if TYPE_CHECKING:
    from .agreement import AgreementService
    from .plans import PlanService
    from .reviews import ReviewService
    from .second_marking import SecondMarkingService
    from .views import IqaViews

__all__ = ["Iqa", "IqaError", "OwnMarking"]


@dataclass(frozen=True)
class Iqa:
    """``centre.iqa``: the IQA services, by what a reviewer is doing."""

    plans: "PlanService"
    reviews: "ReviewService"
    second_marking: "SecondMarkingService"
    agreement: "AgreementService"
    views: "IqaViews"
