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
from marker_tui.domain.roles import Permission, roles_for
from marker_tui.services.audit import Actor, ServiceError, record
from marker_tui.services.staff import resolve_actor
from marker_tui.storage.centre_settings import CENTRE_NAME_KEY, CENTRE_NUMBER_KEY, read_setting, write_setting
from marker_tui.storage.database import Database, read_transaction, run_write

__all__ = ["CentreIdentity", "CentreSettingsService", "identity_in", "store_identity"]


def identity_in(db: Database) -> CentreIdentity:
    """The stored identity, read inside the caller's transaction."""
    name = read_setting(db, CENTRE_NAME_KEY)
    return CentreIdentity(name=name or DEFAULT_CENTRE_NAME, number=read_setting(db, CENTRE_NUMBER_KEY),
                          named=name is not None)


def store_identity(db: Database, *, name: str | None, number: str | None, actor: Actor, at,
                   how: str | None = None) -> CentreIdentity:
    """Write the (already cleaned) name and number inside the caller's transaction; audit what changed.

    None for ``name`` leaves the stored name alone; None for ``number`` removes it.
    """
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
        details: dict = {"changes": changes}
        if how:
            details["how"] = how
        record(db, at=at, actor=actor, action="centre details changed", details=details)
    return identity_in(db)


class CentreSettingsService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

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
        now = self.clock.now()

        def work(db: Database) -> CentreIdentity:
            actor = resolve_actor(db, by, *roles_for(Permission.ADMINISTER))
            return store_identity(db, name=cleaned_name, number=cleaned_number, actor=actor, at=now)

        return run_write(self.db, work, "saving the centre's name and number")
