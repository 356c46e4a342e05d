"""Marking: what the marker's screen, ``marker-tui marks ...`` and the IQA screens call.

The rules of a mark and of a result live in ``domain/marking.py`` (pure); this
module stores marks and enforces who may change them, when, and how:

* **Every change is kept.** A mark is one row of ``marks`` (the current value,
  with a ``version`` that counts its saves) plus one row of ``mark_versions``
  per save (append-only), and one audit-log row with the old and new value, who
  and when, written in the same transaction. Totals and results are never
  stored: :meth:`MarkingService.result` and every row shown are computed from
  the marks each time.
* **No silent overwrites.** Opening a script *claims* it for one marker
  (:data:`CLAIM_MINUTES` minutes, refreshed by every save and by activity). A
  save on a script someone else holds is refused (:class:`ClaimRefused`), and so
  is a save that names an older version of the mark than the one stored
  (:class:`StaleMark`: "Ana Lopes changed this mark at 10:42 after you opened
  it — reload to see it"). Taking a claim and letting go of one are audited;
  a claim kept alive by activity is not (the unit of work's "claim refresh"
  housekeeping).
* **Complete means signed off.** A marker marks a script complete once every
  question has a mark; changing a mark after that needs a reason
  (:class:`ReasonRequired`), which is kept with the new version and in the audit
  log.
* **Blind by default.** Rows and scripts carry the anonymous script number only;
  the candidate number and name are filled in once marking of the whole sitting
  is complete (the sitting has ended and every submitted script is complete), or
  when an admin has turned blind marking off for that sitting (logged).
* **Nothing typed is lost.** What a marker has typed but not yet saved can be
  kept as a *draft* (:meth:`MarkingService.save_draft`); a draft is not a mark
  (never counted, never audited) and is deleted when the mark is saved.

Who may do what: marking (claim, save, complete, feedback, comment bank, CSV
import) needs the ``marker`` role; :meth:`MarkingService.adjust_mark` needs
``iqa``; turning blind marking on or off needs ``admin``.

``marks.role`` says how a mark was recorded: ``"marker"`` (on screen),
``"import"`` (from a CSV of marks given on paper) or ``"iqa"`` (an IQA
adjustment with a reason).
"""

from __future__ import annotations

from marker_tui.services.marking.claims import Claims
from marker_tui.services.marking.common import *  # noqa: F403 - the names callers import from marking
from marker_tui.services.marking.common import MarkingBase
from marker_tui.services.marking.csv_import import MarksImport
from marker_tui.services.marking.drafts import Drafts
from marker_tui.services.marking.groups import AnswerGroup, GroupMarked, GroupMarking  # noqa: F401
from marker_tui.services.marking.marks import Marks, suggested
from marker_tui.services.marking.queue import QueueReads


class MarkingService(QueueReads, MarksImport, GroupMarking, Marks, Claims, Drafts, MarkingBase):
    """Marks, claims, drafts, the queue and CSV import over one database (each part in its module)."""
