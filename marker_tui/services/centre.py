"""One centre's services over one database: what every screen and command is handed.

Screens and commands never open the database or build services themselves;
they get a :class:`Centre`, so a test can hand them a temporary database and a
fake clock, and two terminals on the same file share nothing but the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.services.terminal import Terminal, this_terminal
from marker_tui.storage.database import Database, database_path, open_database
from marker_tui.storage.locations import SHIPPED_MARKSCHEMES, SHIPPED_PAPERS

# Each service is imported on first use: a learner's terminal needs three of them,
# and loading marking, IQA and exports would cost its launch time and memory.
if TYPE_CHECKING:
    from .rest_breaks import RestBreakService
    from .candidates import CandidateService
    from .attendance import AttendanceService
    from .data_protection import DataProtectionService, RetentionService
    from .eqa import EqaPackService
    from .exports import ExportService
    from .incidents import IncidentService
    from .iqa import Iqa
    from .marking import MarkingService
    from .marker_monitoring import MarkerMonitoringService
    from .review_of_marking import ReviewOfMarkingService
    from .papers import PaperService
    from .settings import CentreSettingsService
    from .invigilation import InvigilationService
    from .learner import LearnerService
    from .staff import StaffService
    from .standardisation import StandardisationService
    from .control_desk import ControlDesk


@dataclass
class Centre:
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    papers_dir: Path = SHIPPED_PAPERS
    markschemes_dir: Path = SHIPPED_MARKSCHEMES
    terminal: Terminal = field(default_factory=this_terminal)
    """The terminal this process runs in (learners' leases and per-terminal limits)."""
    centre_name: str | None = None
    """The name on exported documents, when the interface was given one (else the stored name)."""

    @classmethod
    def open(cls, path: str | Path, *, clock: Clock | None = None, create: bool = True, **kwargs) -> "Centre":
        return cls(db=open_database(path, create=create), clock=clock or SystemClock(), **kwargs)

    @property
    def path(self) -> Path:
        return database_path(self.db)

    @cached_property
    def sittings(self) -> "InvigilationService":
        """The invigilator's side of every sitting (the room)."""
        from .invigilation import InvigilationService

        return InvigilationService(self.db, self.clock)

    @cached_property
    def rest_breaks(self) -> "RestBreakService":
        """Supervised rest breaks: asked for by a learner, begun and ended by the invigilator."""
        from .rest_breaks import RestBreakService

        # The room's service is built only when a break starts or ends: a learner asking loads none of it.
        return RestBreakService(self.db, self.clock, invigilation=lambda: self.sittings)

    @cached_property
    def learners(self) -> "LearnerService":
        """This terminal's learner (a learner's process loads only this of the sitting code)."""
        from .learner import LearnerService

        return LearnerService(self.db, self.clock, self.terminal)

    @cached_property
    def staff(self) -> "StaffService":
        from .staff import StaffService

        return StaffService(self.db, self.clock)

    @cached_property
    def candidates(self) -> "CandidateService":
        from .candidates import CandidateService

        return CandidateService(self.db, self.clock)

    @cached_property
    def papers(self) -> "PaperService":
        from .papers import PaperService

        return PaperService(self.db, self.clock)

    @cached_property
    def marking(self) -> "MarkingService":
        from .marking import MarkingService

        return MarkingService(self.db, self.clock, sweep=self.sittings.sweep)

    @cached_property
    def standardisation(self) -> "StandardisationService":
        """Standardisation and control scripts (the lead assessor's and the marker's sides)."""
        from .standardisation import StandardisationService

        return StandardisationService(self.db, self.clock)

    def marking_for(self, marker: str) -> "ControlDesk":
        """Marking as ``marker``'s screens see it: their control scripts mixed into the live queue."""
        from .control_desk import ControlDesk

        return ControlDesk(self.marking, self.standardisation, marker)

    @cached_property
    def iqa(self) -> "Iqa":
        """IQA by what the reviewer is doing: ``centre.iqa.plans``, ``.reviews``, ``.second_marking``,
        ``.agreement`` (and ``.views``, the read models they share)."""
        from .iqa import Iqa
        from .iqa.agreement import AgreementService
        from .iqa.plans import PlanService
        from .iqa.reviews import ReviewService
        from .iqa.second_marking import SecondMarkingService
        from .iqa.views import IqaViews
        from .unit_of_work import UnitOfWork

        uow = UnitOfWork(self.db, self.clock)
        views = IqaViews(self.marking)
        return Iqa(plans=PlanService(uow, views), reviews=ReviewService(uow, views, self.marking),
                   second_marking=SecondMarkingService(uow, views), agreement=AgreementService(uow, views),
                   views=views)

    @cached_property
    def monitoring(self) -> "MarkerMonitoringService":
        """Marker monitoring per paper: figures and flags for the lead assessor, and their export."""
        from .marker_monitoring import MarkerMonitoringService

        return MarkerMonitoringService(self.db, self.clock)

    @cached_property
    def reviews_of_marking(self) -> "ReviewOfMarkingService":
        """Reviews of marking (learners' queries and appeals) and the letters that close them."""
        from .review_of_marking import ReviewOfMarkingService

        return ReviewOfMarkingService(self.db, self.clock)

    @cached_property
    def settings(self) -> "CentreSettingsService":
        """The centre's name and number: ``centre.settings.centre_identity()``."""
        from .settings import CentreSettingsService

        return CentreSettingsService(self.db, self.clock)

    @cached_property
    def incidents(self) -> "IncidentService":
        from .incidents import IncidentService

        return IncidentService(self.db, self.clock)

    @cached_property
    def data_protection(self) -> "DataProtectionService":
        """Subject access exports (and, later, retention and erasure)."""
        from .data_protection import DataProtectionService

        return DataProtectionService(self.db, self.clock)

    @cached_property
    def retention(self) -> "RetentionService":
        """Retention periods, who is due, and erasure of a learner's personal data."""
        from .data_protection import RetentionService

        return RetentionService(self.db, self.clock)

    @cached_property
    def eqa(self) -> "EqaPackService":
        """The external quality assurer's sample pack."""
        from .eqa import EqaPackService

        return EqaPackService(self.db, self.clock, exports=self.exports)

    @cached_property
    def attendance(self) -> "AttendanceService":
        """The attendance register and seating plan of a sitting."""
        from .attendance import AttendanceService

        return AttendanceService(self.db, self.clock)

    @cached_property
    def exports(self) -> "ExportService":
        from .exports import ExportService

        return ExportService(self.db, self.clock, papers_dir=self.papers_dir, iqa=self.iqa,
                             sweep=self.sittings.sweep, centre_name=self.centre_name)

    def close(self) -> None:
        self.db.close()
