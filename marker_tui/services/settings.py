"""Centre settings: the centre's name and number, read by every document writer.

``centre.settings.centre_identity()`` is the one call a document writer needs:
a :class:`CentreIdentity` with ``name`` (never empty; "Training centre" until set)
and ``number`` (None until set). The admin changes them on the Centre tab of the
admin screen (or at first-run set-up); each change is audited with old and new.
"""

from __future__ import annotations

from marker_tui.domain.centre_identity import (
    DEFAULT_CENTRE_NAME,
    CentreIdentity,
    CentreIdentityError,
    clean_centre_name,
    clean_centre_number,
)
from marker_tui.domain.clock import Clock, SystemClock
from marker_tui.domain.events.centre import CentreDetailsChanged
from marker_tui.domain.roles import Permission
from marker_tui.services.audit import Actor, ServiceError
from marker_tui.services.unchanged import kept, write_or_unchanged
from marker_tui.services.unit_of_work import UnitOfWork, Writing
from marker_tui.storage.centre_settings import CENTRE_NAME_KEY, CENTRE_NUMBER_KEY, read_setting, write_setting
from marker_tui.storage.database import Database, read_transaction

__all__ = ["CentreIdentity", "CentreSettingsService", "identity_in", "store_identity"]


def identity_in(db: Database) -> CentreIdentity:
    """The stored identity, read inside the caller's transaction."""
    name = read_setting(db, CENTRE_NAME_KEY)
    return CentreIdentity(name=name or DEFAULT_CENTRE_NAME, number=read_setting(db, CENTRE_NUMBER_KEY),
                          named=name is not None)


def store_identity(tx: Writing, *, name: str | None, number: str | None, actor: Actor | None = None,
                   how: str | None = None) -> CentreIdentity:
    """Write the (already cleaned) name and number in the caller's write block; audit what changed.

    None for ``name`` leaves the stored name alone; None for ``number`` removes it. ``actor``
    (the block's own when None) is who changes them.
    """
    db, at = tx.db, tx.now
    actor = actor or tx.actor
    if actor.staff_id is None:
        raise ServiceError("Only a staff member can change the centre's details.")
    before = identity_in(db)
    old_name = before.name if before.named else None
    changes: dict[str, dict[str, str | None]] = {}
    if name is not None and name != old_name:
        write_setting(db, CENTRE_NAME_KEY, name, staff_id=actor.staff_id, at=at)
        changes["centre name"] = {"from": old_name, "to": name}
    if number != before.number:
        write_setting(db, CENTRE_NUMBER_KEY, number, staff_id=actor.staff_id, at=at)
        changes["centre number"] = {"from": before.number, "to": number}
    if changes:
        tx.record(CentreDetailsChanged(changes=changes, how=how or None), by=actor)
    return identity_in(db)


class CentreSettingsService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.uow = UnitOfWork(db, self.clock)

    def centre_identity(self) -> CentreIdentity:
        """The centre's name and number, as every document prints them."""
        with read_transaction(self.db):
            return identity_in(self.db)

    def set_centre_identity(self, name: str, number: str | None, *, by: str,
                            number_required: bool = False) -> CentreIdentity:
        """Store the centre's name and number (admin only; audited, from → to).

        A blank number removes it unless ``number_required``; a number in the wrong
        form is refused with what a centre number looks like. Nothing is written on a refusal.
        """
        try:
            cleaned_name = clean_centre_name(name)
            cleaned_number = clean_centre_number(number, required=number_required)
        except CentreIdentityError as error:
            raise ServiceError(str(error)) from None
        return write_or_unchanged(
            self.uow, lambda tx: kept(tx, store_identity(tx, name=cleaned_name, number=cleaned_number)),
            by=by, needs=Permission.ADMINISTER, what="saving the centre's name and number")
