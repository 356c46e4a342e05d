"""Question papers in the database: the exact version every script was sat on.

A paper is stored with its time allowance resolved (the paper's own, else its
unit's from the specification) and a content hash of that. Loading the same
file again changes nothing; a changed paper becomes a *new* row, and existing
sittings keep pointing at the row their candidates saw. Mark schemes live in
``mark_schemes`` (several per paper row, newest last), so correcting a mark
scheme never rewrites the paper a learner sat.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.markscheme import MarkScheme
from marker_tui.domain.paper import QuestionPaper
from marker_tui.domain.specification import TestSpecification
from marker_tui.domain.events.centre import MarkSchemeLoaded, PaperLoaded
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.unchanged import kept, write_or_unchanged
from marker_tui.services.unit_of_work import UnitOfWork, Writing
from marker_tui.storage import papers as store
from marker_tui.storage.database import Database, read_transaction
from marker_tui.storage.papers import StoredPaper


def content_hash(model: BaseModel) -> str:
    from marker_tui.storage.assessment_files import content_hash as file_hash

    return file_hash(model)


def resolve_allowance(paper: QuestionPaper, specification: TestSpecification | None) -> int:
    if paper.time_allowance_minutes:
        return paper.time_allowance_minutes
    unit = specification.unit(paper.unit) if specification else None
    if unit is None:
        raise ServiceError(
            f"The paper for {paper.qualification} unit {paper.unit} gives no time allowance and no "
            "specification for that unit was found: add time_allowance_minutes to the paper."
        )
    return unit.time_allowance_minutes


def store_paper(
    tx: Writing,
    paper: QuestionPaper,
    mark_scheme: MarkScheme | None = None,
    *,
    specification: TestSpecification | None = None,
    source: str | None = None,
) -> StoredPaper:
    """Store a paper (and its mark scheme) unless that exact content is already there.

    Call inside a unit-of-work write block; what is new is recorded as the block's actor.
    """
    db = tx.db
    minutes = resolve_allowance(paper, specification)
    resolved = paper.model_copy(update={"time_allowance_minutes": minutes})
    digest = content_hash(resolved)
    stored = store.paper_by_hash(db, digest)
    if stored is None:
        paper_id = store.insert_paper(db, resolved, digest=digest, source=source, at=tx.now)
        tx.record(PaperLoaded(paper_id=paper_id, qualification=resolved.qualification, unit=resolved.unit,
                              version=resolved.version, content_hash=digest, source=source))
        stored = store.paper_by_id(db, paper_id)
    if mark_scheme is not None:
        scheme_hash = content_hash(mark_scheme)
        if not store.scheme_exists(db, stored.id, scheme_hash):
            store.insert_scheme(db, stored.id, mark_scheme, digest=scheme_hash, at=tx.now)
            tx.record(MarkSchemeLoaded(paper_id=stored.id, content_hash=scheme_hash))
    return stored


latest_paper = store.latest_paper


def get_paper(db: Database, paper_id: int) -> StoredPaper:
    try:
        return store.paper_by_id(db, paper_id)
    except store.NoSuchPaper as error:
        raise ServiceError(str(error)) from None


def latest_mark_scheme(db: Database, paper_id: int) -> MarkScheme | None:
    found = store.latest_scheme(db, paper_id)
    return found.scheme if found else None


class PaperService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def store(self, paper: QuestionPaper, mark_scheme: MarkScheme | None = None, *,
              specification: TestSpecification | None = None, source: str | None = None,
              actor: Actor | None = None) -> StoredPaper:
        # ``actor`` was checked by the caller (an admin reloading, or a sitting's creator): recorded as is.
        return write_or_unchanged(
            self.uow, lambda tx: kept(tx, store_paper(tx, paper, mark_scheme, specification=specification,
                                                      source=source)),
            by=actor or Actor.system(), needs=None, what="storing the paper")

    def load_library(self, library, *, actor: Actor | None = None) -> list[StoredPaper]:
        """Store every valid paper + mark scheme pair of an ``AssessmentLibrary`` (idempotent)."""
        pairs = library.valid_papers()

        def work(tx: Writing) -> list[StoredPaper]:
            stored = []
            for paper, scheme in pairs:
                loaded = library.file_of(paper)
                stored.append(store_paper(
                    tx, paper, scheme, specification=library.specifications.get(paper.qualification),
                    source=str(loaded.path) if loaded else None))
            return kept(tx, stored)  # all already stored: nothing new to record

        return write_or_unchanged(self.uow, work, by=actor or Actor.system(), needs=None, what="loading papers")

    def latest(self, qualification: str, unit: str) -> StoredPaper | None:
        with read_transaction(self.db):
            return latest_paper(self.db, qualification, unit)

    def ensure_paper(self, qualification: str, unit: str, *, papers_dir: Path, markschemes_dir: Path,
                     actor: Actor | None = None) -> StoredPaper:
        """The paper a new sitting should use: the shipped file (loaded if new), else the newest stored.

        If the shipped file exists but has errors, they are reported and nothing is used:
        sitting an older stored version by accident would be worse.
        """
        from marker_tui.storage.assessment_files import load_library

        qualification, unit = str(qualification).strip(), str(unit).strip()
        paper_file = Path(papers_dir) / qualification / f"{unit}.yaml"
        scheme_file = Path(markschemes_dir) / qualification / f"{unit}.yaml"
        if paper_file.is_file():
            paths = [paper_file] + ([scheme_file] if scheme_file.is_file() else [])
            library = load_library(paths=paths)
            errors = library.errors
            pair = next(((p, s) for p, s in library.valid_papers()
                         if (p.qualification, p.unit) == (qualification, unit)), None)
            if pair is None or errors:
                shown = "\n".join(f"  {f}" for f in errors[:20]) or "  (no mark scheme found)"
                raise ServiceError(
                    f"The paper for {qualification} unit {unit} cannot be used until its files are "
                    f"fixed (run: marker-tui check):\n{shown}"
                )
            self.load_library(library, actor=actor)
        found = self.latest(qualification, unit)
        if found is None:
            raise ServiceError(
                f"There is no paper for qualification {qualification} unit {unit}: expected "
                f"{paper_file} (and {scheme_file})."
            )
        return found
