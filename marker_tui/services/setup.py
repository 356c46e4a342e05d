"""Setting a centre up: the first run, the first admin, and (re)loading the assessment files.

What the first-run screen and the admin screen call (no Textual here):

* :func:`first_run_needed` — an empty database: no papers stored yet, or no admin.
* :func:`load_shipped_papers` — store every valid paper + mark scheme pair of the
  centre's ``papers/`` and ``markschemes/`` folders (idempotent: loading the same
  files again changes nothing) and say what happened, with the ``marker-tui
  check`` findings.
* :func:`reload_files` — the same, done by an admin after editing the files: a
  paper whose content changed becomes a *new version* (a new paper row); sittings
  and scripts already created keep the version they were created with.
* :func:`create_first_admin` — the first admin, named and given a PIN typed
  twice; refused once any admin exists (so it can never be used to take over a
  centre that is already set up). Audited.
* :func:`paper_file_status` — for each paper file, whether the database holds
  exactly that content, an older version, or nothing yet.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import BaseModel

from marker_tui.domain.events.centre import StaffAdded
from marker_tui.domain.roles import Permission, Role
from marker_tui.domain.centre_identity import CentreIdentityError, clean_centre_name, clean_centre_number
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.settings import store_identity
from marker_tui.services.papers import content_hash, resolve_allowance
from marker_tui.services.staff import (
    StaffMember,
    PIN_COST,
    pin_label,
    _clean_name,
    check_pin_format,
    find_staff,
    hash_pin,
)
from marker_tui.services.unit_of_work import UnitOfWork, authorise
from marker_tui.storage import staff as staff_store
from marker_tui.storage import papers as paper_store
from marker_tui.storage import sittings as sitting_store
from marker_tui.storage.papers import scheme_counts
from marker_tui.storage.assessment_files import AssessmentLibrary, display_path, load_library
from marker_tui.storage.database import Database, read_transaction

ADMIN_ROLE = Role.ADMIN.value


class PaperLoad(BaseModel):
    """What reloading did with one paper file."""

    qualification: str
    unit: str
    version: str
    title: str | None
    paper_id: int
    status: str
    """``new`` (first paper for this unit), ``new version`` (content changed), ``unchanged``, or
    ``older version`` (the file matches a version stored before the newest one)."""
    previous_paper_id: int | None = None
    previous_version: str | None = None
    mark_scheme: str = "unchanged"
    """``new`` or ``unchanged``: a changed mark scheme is stored beside the same paper row."""
    sittings_on_previous: int = 0
    """Sittings created on the previous version (they keep it)."""

    @property
    def label(self) -> str:
        return f"{self.qualification} unit {self.unit} version {self.version}"

    def describe(self) -> str:
        if self.status == "new":
            text = f"{self.label}: loaded (paper id {self.paper_id})."
        elif self.status == "new version":
            text = (f"{self.label}: the file changed, stored as a NEW VERSION (paper id {self.paper_id}); "
                    f"new sittings use it.")
            if self.sittings_on_previous:
                plural = "s" if self.sittings_on_previous != 1 else ""
                text += (f" {self.sittings_on_previous} sitting{plural} already created keep version "
                         f"{self.previous_version} (paper id {self.previous_paper_id}).")
        elif self.status == "older version":
            text = (f"{self.label}: the file matches an older stored version (paper id {self.paper_id}); "
                    f"new sittings still use the newest stored version (paper id {self.previous_paper_id}). "
                    "Change the paper's version and reload to make it the newest.")
        else:
            text = f"{self.label}: unchanged."
        if self.mark_scheme == "new" and self.status == "unchanged":
            text = (f"{self.label}: the mark scheme changed; the new mark scheme is used for marking "
                    f"from now on (paper id {self.paper_id} unchanged).")
        return text


class SkippedPaper(BaseModel):
    qualification: str
    unit: str
    reason: str

    def describe(self) -> str:
        return f"{self.qualification} unit {self.unit}: not loaded: {self.reason}"


class ReloadReport(BaseModel):
    loaded: list[PaperLoad] = []
    skipped: list[SkippedPaper] = []
    errors: list[str] = []
    """Each as ``marker-tui check`` prints it."""
    warnings: list[str] = []
    specifications: int = 0

    @property
    def new(self) -> list[PaperLoad]:
        return [p for p in self.loaded if p.status != "unchanged" or p.mark_scheme == "new"]

    @property
    def unchanged(self) -> list[PaperLoad]:
        return [p for p in self.loaded if p.status == "unchanged" and p.mark_scheme != "new"]

    def summary(self) -> str:
        parts = [f"{len(self.loaded)} paper(s) with mark schemes"]
        changed = [p for p in self.loaded if p.status == "new version"]
        first = [p for p in self.loaded if p.status == "new"]
        schemes = [p for p in self.loaded if p.status == "unchanged" and p.mark_scheme == "new"]
        if first:
            parts.append(f"{len(first)} newly loaded")
        if changed:
            parts.append(f"{len(changed)} new version(s)")
        if schemes:
            parts.append(f"{len(schemes)} changed mark scheme(s)")
        parts.append(f"{len(self.unchanged)} unchanged")
        if self.skipped:
            parts.append(f"{len(self.skipped)} not loaded")
        if self.errors:
            parts.append(f"{len(self.errors)} file error(s)")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning(s)")
        return ", ".join(parts) + "."

    def lines(self) -> list[str]:
        return ([p.describe() for p in self.loaded] + [s.describe() for s in self.skipped])


class PaperFileStatus(BaseModel):
    """One paper file compared with what the database holds."""

    qualification: str
    unit: str
    version: str
    title: str | None
    file: str | None
    state: str
    """``loaded``, ``changed``, ``not loaded`` or ``errors``."""
    note: str
    paper_id: int | None = None
    versions_stored: int = 0


# --- reading ------------------------------------------------------------------------------------


def needs_papers(centre) -> bool:
    """No question paper is stored yet."""
    with read_transaction(centre.db):
        return paper_store.paper_count(centre.db) == 0


def needs_admin(centre) -> bool:
    """Nobody holds the admin role: the first run must create one."""
    with read_transaction(centre.db):
        return _admin_count(centre.db) == 0


def _admin_count(db: Database) -> int:
    return staff_store.role_holder_count(db, ADMIN_ROLE)


def first_run_needed(centre) -> bool:
    """True on an empty database: papers to load, or no admin yet."""
    return needs_papers(centre) or needs_admin(centre)


def enrolment_counts(centre) -> dict[int, int]:
    """Candidates enrolled per sitting id, in one query (the sittings list shows every sitting)."""
    with read_transaction(centre.db):
        return sitting_store.enrolment_counts(centre.db)


def centre_library(centre) -> AssessmentLibrary:
    """The centre's assessment files (its papers/ and markschemes/ folders), checked."""
    return load_library(Path(centre.papers_dir), Path(centre.markschemes_dir))


# --- loading files ------------------------------------------------------------------------------


def _unreadable(library: AssessmentLibrary, folder: str) -> dict[tuple[str, str], str]:
    """(qualification, unit) -> file, for the papers (or mark schemes) too broken to read at all.

    Such a file has no model, so the unit is told from where the file is:
    ``<folder>/<qualification>/<unit>.yaml``.
    """
    out = {}
    for loaded in library.files:
        path = Path(loaded.path)
        if loaded.model is None and path.name != "spec.yaml" and path.parent.parent.name == folder:
            out[(path.parent.name, path.stem)] = display_path(path)
    return out


def _skipped(library: AssessmentLibrary) -> list[SkippedPaper]:
    valid = {(p.qualification, p.unit) for p, _ in library.valid_papers()}
    broken = {f.file for f in library.errors}
    broken_schemes = _unreadable(library, "markschemes")
    out = []
    for key, paper in sorted(library.papers.items()):
        if key in valid:
            continue
        loaded = library.file_of(paper)
        if loaded is not None and display_path(loaded.path) in broken:
            reason = "the question paper has errors (see the list of file errors)"
        elif key not in library.mark_schemes and key not in broken_schemes:
            reason = f"there is no mark scheme (add markschemes/{key[0]}/{key[1]}.yaml)"
        else:
            reason = "the mark scheme has errors (see the list of file errors)"
        out.append(SkippedPaper(qualification=key[0], unit=key[1], reason=reason))
    for key in sorted(_unreadable(library, "papers")):
        if key not in library.papers:
            out.append(SkippedPaper(qualification=key[0], unit=key[1],
                                    reason="the question paper has errors (see the list of file errors)"))
    return sorted(out, key=lambda s: (s.qualification, s.unit))


def reload_files(centre, *, by: str | None = None, library: AssessmentLibrary | None = None) -> ReloadReport:
    """Store every valid paper + mark scheme pair of the centre's files; say what changed.

    ``by`` (an admin's name) is recorded in the audit log; None means the system
    (the first run). Papers whose files have errors are not loaded and are listed
    in ``skipped`` with the reason; nothing already stored is ever changed.
    """
    db = centre.db
    actor = Actor.system()
    if by is not None:
        with read_transaction(db):
            actor = authorise(db, by, Permission.ADMINISTER)
    if library is None:
        library = centre_library(centre)
    with read_transaction(db):
        latest_before = paper_store.newest_versions(db)
        known_ids = paper_store.paper_ids(db)
        schemes_before = scheme_counts(db)
    stored = centre.papers.load_library(library, actor=actor)
    report = ReloadReport(
        skipped=_skipped(library),
        errors=[str(f) for f in library.errors],
        warnings=[str(f) for f in library.warnings],
        specifications=len(library.specifications),
    )
    with read_transaction(db):
        schemes_after = scheme_counts(db)
        for paper in stored:
            before = latest_before.get((paper.qualification, paper.unit))
            if paper.id in known_ids:
                status = "unchanged" if before is None or before.id == paper.id else "older version"
            elif before is None:
                status = "new"
            else:
                status = "new version"
            sittings = 0
            if status == "new version":
                sittings = paper_store.sittings_on_other_versions(db, paper.qualification, paper.unit, paper.id)
            scheme = "new" if schemes_after.get(paper.id, 0) > schemes_before.get(paper.id, 0) else "unchanged"
            if status == "new":
                scheme = "new"
            report.loaded.append(PaperLoad(
                qualification=paper.qualification, unit=paper.unit, version=paper.version, title=paper.title,
                paper_id=paper.id, status=status,
                previous_paper_id=before.id if before is not None and status != "unchanged" else None,
                previous_version=before.version if before is not None and status != "unchanged" else None,
                mark_scheme=scheme, sittings_on_previous=sittings,
            ))
    return report


def load_shipped_papers(centre, library: AssessmentLibrary | None = None) -> ReloadReport:
    """First run: load the centre's papers and mark schemes (idempotent), as the system."""
    return reload_files(centre, by=None, library=library)


def paper_file_status(centre, library: AssessmentLibrary) -> list[PaperFileStatus]:
    """Each paper file on disk compared with the newest version the database holds."""
    broken = {f.file for f in library.errors}
    valid = {(p.qualification, p.unit) for p, _ in library.valid_papers()}
    out = []
    with read_transaction(centre.db):
        for (qualification, unit), file in sorted(_unreadable(library, "papers").items()):
            if (qualification, unit) in library.papers:
                continue
            stored = paper_store.versions_of(centre.db, qualification, unit)
            out.append(PaperFileStatus(
                qualification=qualification, unit=unit, version=stored[-1].version if stored else "?",
                title=None, file=file, state="errors", note="file errors: fix them (see below), then reload",
                paper_id=stored[-1].id if stored else None, versions_stored=len(stored)))
        for key, paper in sorted(library.papers.items()):
            loaded = library.file_of(paper)
            file = display_path(loaded.path) if loaded else None
            rows = paper_store.versions_of(centre.db, paper.qualification, paper.unit)
            latest = rows[-1] if rows else None
            base = dict(qualification=paper.qualification, unit=paper.unit, version=paper.version,
                        title=paper.title, file=file, versions_stored=len(rows),
                        paper_id=latest.id if latest else None)
            if key not in valid:
                scheme = library.mark_schemes.get(key)
                scheme_file = library.file_of(scheme) if scheme is not None else None
                if file in broken:
                    note = "file errors: fix them (see below), then reload"
                elif scheme is None and key not in _unreadable(library, "markschemes"):
                    note = "no mark scheme file: it cannot be loaded"
                elif scheme is None or (scheme_file and display_path(scheme_file.path) in broken):
                    note = "mark scheme file errors: fix them (see below), then reload"
                else:
                    note = "cannot be loaded"
                out.append(PaperFileStatus(**base, state="errors", note=note))
                continue
            try:
                minutes = resolve_allowance(paper, library.specifications.get(paper.qualification))
            except ServiceError as error:
                out.append(PaperFileStatus(**base, state="errors", note=str(error)))
                continue
            digest = content_hash(paper.model_copy(update={"time_allowance_minutes": minutes}))
            if latest is None:
                out.append(PaperFileStatus(**base, state="not loaded", note="not loaded yet: reload files"))
            elif any(r.content_hash == digest for r in rows):
                same = next(r for r in rows if r.content_hash == digest)
                if same.id == latest.id:
                    note = f"loaded (paper id {same.id})"
                else:
                    note = f"matches older paper id {same.id}; newest stored is id {latest.id}"
                out.append(PaperFileStatus(**{**base, "paper_id": same.id}, state="loaded", note=note))
            else:
                out.append(PaperFileStatus(
                    **base, state="changed",
                    note=f"file changed since paper id {latest.id} (version {latest.version}): "
                         "reload to store it as a new version"))
    return sorted(out, key=lambda s: (s.qualification, s.unit))


# --- the first admin ----------------------------------------------------------------------------


def create_first_admin(centre, name: str, pin: str, pin_again: str, *,
                       centre_name: str | None = None, centre_number: str | None = None) -> StaffMember:
    """Create the centre's first admin. Refused once any admin exists.

    ``centre_name`` and ``centre_number`` (as asked at first-run set-up) are stored
    in the same transaction, recorded as changed by the new admin; either may be
    None to leave it for later (Administer → Centre).

    The PIN is typed twice and both must match; the PIN rules are the staff
    service's (4 to 12 digits). Recorded in the audit log as "staff added" by
    the new admin, marked as the first admin.
    """
    cleaned = _clean_name(name)
    try:
        identity_name = clean_centre_name(centre_name, required=False)
        identity_number = clean_centre_number(centre_number, required=False)
    except CentreIdentityError as error:
        raise ServiceError(str(error)) from None
    check_pin_format(pin)
    if pin != pin_again:
        raise ServiceError("The two PINs are different: type the same PIN in both boxes.")
    salt = secrets.token_bytes(16)
    pin_hash = hash_pin(pin, salt)  # slow on purpose: outside the write lock
    # Nobody is signed in yet: the block opens as the engine, the entries name the new admin.
    with UnitOfWork(centre.db, centre.clock).write(by=Actor.system(), needs=None,
                                                     what="creating the first admin") as tx:
        db, now = tx.db, tx.now
        admins = staff_store.admin_names(db)
        if admins:
            raise ServiceError(
                f"This centre already has an admin ({admins[0]}); sign in as them to add staff.")
        existing = find_staff(db, cleaned)
        if existing is not None:
            raise ServiceError(
                f"There is already a staff member called {existing.name!r}; choose another name for the admin.")
        first = staff_store.staff_count(db) == 0
        staff_id = staff_store.insert_staff(db, cleaned, pin_hash=pin_hash, pin_salt=salt.hex(),
                                            pin_params=pin_label(PIN_COST), at=now)
        staff_store.replace_roles(db, staff_id, [ADMIN_ROLE])
        admin = Actor(label=cleaned, staff_id=staff_id)
        tx.record(StaffAdded(name=cleaned, roles=[ADMIN_ROLE], first_staff_member=first, first_admin=True,
                             how="first-run set-up"), by=admin)
        if identity_name is not None or identity_number is not None:
            store_identity(tx, name=identity_name, number=identity_number, actor=admin, how="first-run set-up")
        return find_staff(db, cleaned)
