"""Which saved versions of an answer the history keeps (the retention rule).

Autosave stores the whole answer every couple of seconds while a learner types,
so keeping every version grows the database with the square of the answer's
length: an 18,000-character answer typed over an hour is ~1,800 saves of ~9 KB
on average, ~16 MB for one learner and one question, and a long answer near the
30,000-character limit far more. What a reviewer actually needs from the
history is:

* **the last few minutes in full** (:data:`RECENT`): a learner who says "it was
  there a minute ago", a paste that wiped a paragraph, a terminal that died —
  every save of the recent past, so nothing typed recently can only be found in
  a version that was thrown away;
* **one version per minute before that** (the last save of each UTC minute):
  how the answer grew, enough to see a paste of a whole paragraph or a long
  deletion, at a cost that grows with the minutes of the sitting, not with the
  square of the answer;
* **always the first version and the latest** (the latest is the current answer,
  and after submission the submitted one: nothing is thinned once submitted).

So a learner's history for one question holds at most ``RECENT / cadence + 1``
recent versions, one per older minute, plus the first: ~210 versions for an
hour at a 2-second cadence, whatever the length of the answer.

Why this is not a rewrite of the audit trail: the audit log (``audit_chain``) is
untouched and keeps one hash-chained "answer saved" entry for *every* save, with
its version number, length and SHA-256 of the exact text, so any version the
history no longer holds can still be proved to have existed (and any text shown
as one can be checked). The history is a retention-limited copy of texts, and a
save that thins it says so in its own audit entry. The database enforces the
parts that matter whatever code runs (``storage/migrations.m0008_answer_history``):
never the first version, never the current one, never a submitted script's, and
never the last version of its minute.

The rule is *stable*: a version it drops would be dropped by every later
application of it too (a dropped version always has a later kept version in its
minute), so applying it at each save, or lazily much later to an old database,
keeps the same set.

Pure: instants in, version numbers out; ``now`` is passed in (the service's clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

#: Every version saved this recently is kept.
RECENT = timedelta(minutes=5)


def minute_of(instant: datetime) -> datetime:
    """The UTC calendar minute an instant falls in (the bucket for "one per minute")."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(timezone.utc).replace(second=0, microsecond=0)


def versions_to_keep(saved: Iterable[tuple[int, datetime]], now: datetime, *,
                     recent: timedelta = RECENT) -> set[int]:
    """The versions to keep, given ``(version, saved_at)`` of every version held and the time now.

    Kept: the first and the latest version; every version saved at or after
    ``now - recent``; and, for older ones, the latest version of each UTC minute.
    """
    versions = sorted(saved)
    if not versions:
        return set()
    keep = {versions[0][0], versions[-1][0]}
    since = now - recent
    last_of_minute: dict[datetime, int] = {}
    for version, at in versions:  # oldest first, so the last one written per minute wins
        last_of_minute[minute_of(at)] = version
        if at >= since:
            keep.add(version)
    # A minute that runs into the recent window is represented by its (kept) recent last version.
    keep.update(last_of_minute.values())
    return keep


def versions_to_drop(saved: Iterable[tuple[int, datetime]], now: datetime, *,
                     recent: timedelta = RECENT) -> list[int]:
    """The versions the rule no longer keeps, oldest first."""
    saved = list(saved)
    keep = versions_to_keep(saved, now, recent=recent)
    return sorted(v for v, _ in saved if v not in keep)


def most_kept(span: timedelta, cadence: timedelta, *, recent: timedelta = RECENT) -> int:
    """An upper bound on versions kept for one answer saved every ``cadence`` for ``span``."""
    minutes = int(span / timedelta(minutes=1)) + 1
    return int(recent / cadence) + 1 + minutes + 2
