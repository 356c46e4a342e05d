"""The external quality assurer's sample pack: what the EQA takes away from a visit.

For one sitting, the IQA lead (or an admin) names the scripts, or takes the
sample marker-tui proposes (``domain/eqa.py``: across markers, results and
access arrangements), and gets one folder (and, if asked, a zip of it):

- ``00 cover sheet.docx``: what is in the pack, why each script was chosen, and
  each file's SHA-256 checksum; ``checksums.sha256`` the same for ``sha256sum -c``;
- ``01 paper and mark scheme.docx``;
- ``02 IQA record.docx`` (sampling, decisions, marker agreement, action points);
- ``scripts/``: per sampled learner, the feedback document with their answers,
  marks per question and comments (the feedback they were given).

Learners' names are in the pack or replaced by their candidate numbers, as the
admin chooses. The export is audited (who, which scripts, where).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from pydantic import BaseModel

from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.eqa import EqaCandidate, EqaPick, propose_eqa_sample
from marker_tui.domain.events.data_protection import EqaSamplePackExported
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import ServiceError
from marker_tui.services.unit_of_work import UnitOfWork
from marker_tui.storage.database import Database

EQA_ROLES = (Permission.READ_IQA,)


class EqaPackReport(BaseModel):
    folder: Path
    files: list[Path]
    scripts: list[EqaPick]
    zip_file: Path | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


class EqaPackService:
    def __init__(self, db: Database, clock: Clock | None = None, *, exports) -> None:  # noqa: ANN001
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)
        self.exports = exports  # the ExportService: feedback models and the IQA record

    def propose(self, code: str, *, by: str, size: int | None = None) -> list[EqaPick]:
        """The sample marker-tui suggests for the sitting (fully marked scripts only)."""
        self.uow.require(by=by, needs=EQA_ROLES)  # before anything about the sitting is read
        sheet = self.exports.results_sheet(code)
        pass_mark = self._pass_mark(code)
        # The arrangements that applied in this sitting (the script's copy), not today's.
        marked = [EqaCandidate(candidate_number=r.candidate_number, total=r.total, passed=r.result != "fail",
                               markers=tuple(r.markers), arrangements=r.arrangements_used)
                  for r in sheet.rows if r.total is not None]
        if not marked:
            raise ServiceError(f"No script of sitting {sheet.sitting_code} is fully marked yet: "
                               "there is nothing for an external quality assurer to sample.")
        return propose_eqa_sample(marked, pass_mark, size)

    def _pass_mark(self, code: str) -> int | None:
        from marker_tui.services.papers import latest_mark_scheme

        with self.uow.read() as rx:
            sitting = rx.sittings.sitting_by_code(code)
            if sitting is None:
                raise ServiceError(rx.sittings.no_such_sitting(code))
            scheme = latest_mark_scheme(rx.db, sitting.paper_id)
        return scheme.pass_rule.pass_mark if scheme else None

    def export_pack(self, code: str, folder: str | os.PathLike[str], *, by: str,
                    candidates: list[str] | None = None, names: bool = True, zip_it: bool = False,
                    size: int | None = None, reviewer: str | None = None) -> EqaPackReport:
        """Write the pack for ``candidates`` (candidate numbers), or the proposed sample; ``reviewer``
        chooses whose IQA record goes in when several reviewers have plans for the sitting."""
        from marker_tui.services.papers import get_paper, latest_mark_scheme

        if names:  # names travel only when an admin says so (data minimisation)
            self.uow.require(by=by, needs=Permission.ADMINISTER)
        proposal = self.propose(code, by=by, size=size)
        if candidates:
            wanted = [c.strip().upper() for c in candidates if c.strip()]
            proposed = {p.candidate_number.upper(): p for p in proposal}
            picks = [proposed.get(n) or EqaPick(candidate_number=n, reasons=("chosen by the IQA lead",))
                     for n in dict.fromkeys(wanted)]
        else:
            picks = proposal
        feedback = []
        for pick in picks:
            models, skipped = self.exports.learner_feedback(code, candidate=pick.candidate_number)
            if not models:
                raise ServiceError(f"Candidate {pick.candidate_number} cannot be in the EQA pack: "
                                   f"{'; '.join(skipped) or 'not fully marked'}. Nothing was written.")
            feedback.append(models[0])
        record = self.exports.iqa_record(code, reviewer=reviewer)
        with self.uow.read() as rx:
            sitting = rx.sittings.sitting_by_code(code)
            paper = get_paper(rx.db, sitting.paper_id).paper
            scheme = latest_mark_scheme(rx.db, sitting.paper_id)
        if not names:
            feedback = [f.model_copy(update={"candidate_name": f"Candidate {f.candidate_number}"}) for f in feedback]
            record = record.model_copy(update={"sampled": [
                s.model_copy(update={"candidate_name": None}) for s in record.sampled]})
        final = Path(folder).expanduser() / f"EQA pack {record.sitting_code}"
        if final.exists():
            raise ServiceError(f"{final} already exists: move it away, or choose another folder with -o. "
                               "Nothing was written.")
        # Built beside its final place and renamed at the end: never half a pack, never an old one mixed in.
        final.parent.mkdir(parents=True, exist_ok=True)
        base = Path(tempfile.mkdtemp(prefix=".eqa-pack-", dir=final.parent))
        try:
            files = self._write(base, paper, scheme, record, feedback, picks, code=code, names=names, by=by)
            os.rename(base, final)
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        files = [final / p.relative_to(base) for p in files]
        zip_file = None
        if zip_it:
            zip_file = final.with_name(final.name + ".zip")
            with zipfile.ZipFile(zip_file, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in files:
                    archive.write(path, Path(final.name) / path.relative_to(final))
        try:
            with self.uow.write(by=by, needs=EQA_ROLES, what="recording the EQA pack") as tx:
                sid = tx.sittings.sitting_by_code(code).id
                tx.record(EqaSamplePackExported(
                    sitting_id=sid, folder=str(final), scripts=[p.candidate_number for p in picks],
                    names_included=names, files=len(files), proposed=not candidates))
        except BaseException:
            # A pack of learners' work that is not in the audit log must not be left behind.
            shutil.rmtree(final, ignore_errors=True)
            if zip_file is not None:
                zip_file.unlink(missing_ok=True)
            raise
        return EqaPackReport(folder=final, files=files, scripts=picks, zip_file=zip_file)

    def _write(self, base: Path, paper, scheme, record, feedback, picks, *, code: str, names: bool,  # noqa: ANN001
               by: str) -> list[Path]:
        from marker_tui.documents.eqa import write_cover_sheet, write_paper_and_scheme
        from marker_tui.documents.feedback import write_feedback_docx
        from marker_tui.documents.iqa_record import write_iqa_docx

        scripts_dir = base / "scripts"
        scripts_dir.mkdir()
        files: list[Path] = []
        target = base / "01 paper and mark scheme.docx"
        write_paper_and_scheme(paper, scheme, target, centre=record.centre_name)
        files.append(target)
        target = base / "02 IQA record.docx"
        write_iqa_docx(record, target)
        files.append(target)
        for model in feedback:
            target = scripts_dir / f"{model.candidate_number}.docx"
            write_feedback_docx(model, target)
            files.append(target)
        sums = [(p.relative_to(base).as_posix(), sha256_of(p)) for p in files]
        cover = base / "00 cover sheet.docx"
        write_cover_sheet(cover, code=code, centre=record.centre_name, picks=picks, files=sums,
                          names=names, produced_by=by, produced_at=self.clock.now())
        files.insert(0, cover)
        sums.insert(0, (cover.name, sha256_of(cover)))
        checksums = base / "checksums.sha256"
        checksums.write_text("".join(f"{digest}  {name}\n" for name, digest in sums), encoding="utf-8")
        files.append(checksums)
        return files
