"""The audit log's hash chain: each entry sealed to the one before it (pure, no I/O).

Every audit row stores two SHA-256 digests (hex):

* ``content_digest`` = SHA-256 of :func:`canonical_content`, a fixed ASCII JSON
  text of the row's fields: ``[at, actor, action, sitting_id, script_id,
  candidate_number, details]`` (``details`` as the JSON text stored);
* ``chain_hash`` = SHA-256 of ``"<previous chain_hash>:<id>:<content_digest>"``,
  the first entry's previous hash being :data:`GENESIS`.

So an edited field changes the content digest, and a deleted, inserted,
reordered or re-numbered row breaks the next link. Ids are consecutive (SQLite's
AUTOINCREMENT never reuses one); the one allowed gap is the ids of entries a
restore set aside, named by the restore's own entry (``set_aside_ids``), so an
id is never given to two different events. :func:`verify` walks the rows
in id order and names the first entry where either fails. Anyone can check an
exported trail with any SHA-256 tool: the audit CSV carries the hashed content,
the digest, the previous link and the link of every row.

What a chain alone cannot catch is a rewrite of the *whole* log from entry 1
(or cutting entries off its end): the attacker recomputes every link. That is
what anchors are for, held outside the database: ``marker-tui audit verify``
prints the head (last id and chain hash) and ``--anchor FILE`` keeps it in a
file and checks it next time; every backup records in the live log the head
and checksum of the copy; a restore refuses a backup whose entries are not the
live log's own history, and records the head it replaced.

Erasure (UK GDPR, ``services/data_protection.py``): erasing a learner overwrites
the ``actor``/``candidate_number``/``details`` of the entries that name them while
keeping each one's stored ``content_digest`` and ``chain_hash``; the erasure is
itself an audit entry, written after them, that lists the ids it erased
(``erased_entries``). :func:`erased_ids` collects those ids (only ids *before* the
erasure entry that names them count) and :func:`verify` then checks only the links
of those entries (which use the stored digest, so the chain stays verifiable end
to end) and both content and links of all others.
"""

from __future__ import annotations

from marker_tui.domain.audit_actions import Action

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass

#: The "previous hash" of the very first entry.
GENESIS = "0" * 64


def canonical_content(at: str, actor: str, action: str, sitting_id: int | None, script_id: int | None,
                      candidate_number: str | None, details: str) -> str:
    """The exact text whose SHA-256 is an entry's content digest (ASCII, no spaces)."""
    return json.dumps([at, actor, action, sitting_id, script_id, candidate_number, details],
                      ensure_ascii=True, separators=(",", ":"))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_digest(*fields) -> str:
    """SHA-256 of :func:`canonical_content` of the fields (same order)."""
    return digest(canonical_content(*fields))


def link(previous: str, entry_id: int, content: str) -> str:
    """An entry's chain hash, from the previous entry's chain hash, its id and its content digest."""
    return digest(f"{previous}:{entry_id}:{content}")


@dataclass(frozen=True)
class ChainRow:
    """One audit row as stored (the fields hashed, and the two stored digests)."""

    id: int
    at: str
    actor: str
    action: str
    sitting_id: int | None
    script_id: int | None
    candidate_number: str | None
    details: str
    content_digest: str | None = None  # None in a log from before the chain (schema < 6)
    chain_hash: str | None = None

    def computed_content_digest(self) -> str:
        return content_digest(self.at, self.actor, self.action, self.sitting_id, self.script_id,
                              self.candidate_number, self.details)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify` found: how many entries, the head, and the first broken link (if any)."""

    entries: int
    head_id: int | None
    head_hash: str
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


#: The action of the entry a restore writes; its details name the ids it set aside.
RESTORED = Action.DATABASE_RESTORED.value
SET_ASIDE = "set_aside_ids"


def _gap_explained(row: ChainRow) -> tuple[int, int] | None:
    """The ids a restore entry says it set aside (kept in the safety copy), if it is one."""
    if row.action != RESTORED:
        return None
    try:
        first, last = json.loads(row.details)[SET_ASIDE]
        return int(first), int(last)
    except (ValueError, KeyError, TypeError):
        return None


#: The action of an erasure entry, and the key of its details that lists the entries it erased.
ERASED = Action.LEARNER_DATA_ERASED.value
ERASED_ENTRIES = "erased_entries"


def erased_ids(erasures: Iterable[tuple[int, str]]) -> frozenset[int]:
    """The entry ids erasure entries (id, details JSON) say they erased, each earlier than its erasure."""
    found: set[int] = set()
    for erasure_id, details in erasures:
        try:
            ids = json.loads(details).get(ERASED_ENTRIES) or []
        except (ValueError, AttributeError):
            continue
        found.update(int(i) for i in ids if isinstance(i, int) and 0 < i < erasure_id)
    return frozenset(found)


def verify(rows: Iterable[ChainRow], *, erased: Collection[int] = ()) -> ChainReport:
    """Check every entry's content digest and link, in id order; stop at the first break."""
    previous, count, head_id, last_id = GENESIS, 0, None, 0
    for row in rows:
        count += 1
        if row.id <= last_id:
            return ChainReport(count, head_id, previous,
                               ChainBreak(row.id, f"entry #{row.id} comes after #{last_id}: ids out of order"))
        if last_id and row.id != last_id + 1 and _gap_explained(row) != (last_id + 1, row.id - 1):
            missing = f"#{last_id + 1}" + (f"-#{row.id - 1}" if row.id - 1 > last_id + 1 else "")
            return ChainReport(count, head_id, previous,
                               ChainBreak(row.id, f"entries {missing} are missing before entry #{row.id}"))
        if not row.content_digest or not row.chain_hash:
            return ChainReport(count, head_id, previous,
                               ChainBreak(row.id, f"entry #{row.id} has no chain hash (added outside marker-tui?)"))
        if row.id not in erased and row.computed_content_digest() != row.content_digest:
            return ChainReport(count, head_id, previous, ChainBreak(
                row.id, f"entry #{row.id} ({row.action}) was changed after it was written: "
                        "its content no longer matches its digest"))
        if link(previous, row.id, row.content_digest) != row.chain_hash:
            return ChainReport(count, head_id, previous, ChainBreak(
                row.id, f"entry #{row.id} ({row.action}) does not follow "
                        + (f"entry #{last_id}" if last_id else "the start of the log")
                        + ": an entry before it was removed, inserted or changed"))
        previous, head_id, last_id = row.chain_hash, row.id, row.id
    return ChainReport(count, head_id, previous)
