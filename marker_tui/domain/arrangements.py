"""Access arrangements as JCQ and the awarding bodies define them (pure rules).

A candidate's arrangements are chosen from a fixed list (so every centre
records the same thing the same way, and the learner's terminal can act on
them), each with the evidence reference the centre keeps (e.g. "Form 8, 12 Sep
2026") and free text for anything the list does not say. Extra time is a
percentage with a reason; above the centre's cap (25% unless it sets another)
only an administrator may grant it, and their reason is recorded.
"""

from __future__ import annotations

import re as _re
from datetime import date as _date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

DEFAULT_EXTRA_TIME_CAP = 25
MAX_EXTRA_TIME = 400


class ArrangementKind(StrEnum):
    EXTRA_TIME = "extra time"
    REST_BREAKS = "supervised rest breaks"
    READER = "reader"
    SCRIBE = "scribe / word processor"
    SEPARATE_ROOM = "separate room"
    OVERLAY = "coloured overlay / high contrast"
    LARGER_TEXT = "larger text"
    PROMPTER = "prompter"
    OTHER = "other"


#: Words a centre may have typed in free text before the list existed → the kind they mean.
_SPOKEN = {
    "extra time": ArrangementKind.EXTRA_TIME, "rest break": ArrangementKind.REST_BREAKS,
    "reader": ArrangementKind.READER, "scribe": ArrangementKind.SCRIBE,
    "word processor": ArrangementKind.SCRIBE, "separate room": ArrangementKind.SEPARATE_ROOM,
    "overlay": ArrangementKind.OVERLAY, "high contrast": ArrangementKind.OVERLAY,
    "larger text": ArrangementKind.LARGER_TEXT, "large print": ArrangementKind.LARGER_TEXT,
    "enlarged": ArrangementKind.LARGER_TEXT, "prompter": ArrangementKind.PROMPTER,
}


class Arrangement(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ArrangementKind
    detail: str = ""
    evidence: str = ""

    @field_validator("detail", "evidence", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> str:
        return " ".join(str(value or "").split())[:200]

    def text(self) -> str:
        return self.kind.value + (f" ({self.detail})" if self.detail else "")


def kinds_in(text: str | None) -> list[ArrangementKind]:
    """The listed kinds a free-text arrangement names (for records typed before the list)."""
    lowered = (text or "").lower()
    found: list[ArrangementKind] = []
    for words, kind in _SPOKEN.items():
        if words in lowered and kind not in found:
            found.append(kind)
    return found


class ExtraTimeRefused(ValueError):
    pass


def check_extra_time(percent: int, *, cap: int = DEFAULT_EXTRA_TIME_CAP, by_admin: bool,
                     reason: str | None) -> int:
    """Whether ``percent`` extra time may be recorded by this person, and with what reason."""
    if not 0 <= percent <= MAX_EXTRA_TIME:
        raise ExtraTimeRefused(f"Extra time is 0 to {MAX_EXTRA_TIME}%.")
    if percent and not (reason or "").strip():
        raise ExtraTimeRefused("Give the reason for the extra time (the arrangement it comes from).")
    if percent > cap and not by_admin:
        raise ExtraTimeRefused(f"More than {cap}% extra time needs an administrator, with the reason "
                               "recorded (the centre's cap).")
    return percent


# -- evidence, the written form and the checks a candidate's list must pass -----------------------

#: How one arrangement is written in a CSV cell, on the command line and in the admin form.
WRITTEN_FORM = "kind[: detail] | evidence seen | approved by | date"
EXAMPLE = "reader | Form 8 on file | Sam Senco (SENCo) | 2026-09-12"


class ArrangementsRefused(ValueError):
    """An arrangement as written, or a candidate's list, that cannot be recorded (the message says the fix)."""


class Evidenced(Arrangement):
    """An arrangement with the evidence the centre keeps: what was seen, who approved it, when.

    Arrangements read from free text typed before the list have none (``evidence == ""``)
    until someone records it; new ones are refused without it.
    """

    approved_by: str = ""
    approved_on: str = ""  # ISO date

    @field_validator("approved_by", mode="before")
    @classmethod
    def _approver(cls, value: object) -> str:
        return " ".join(str(value or "").split())[:100]

    @field_validator("approved_on", mode="before")
    @classmethod
    def _day(cls, value: object) -> str:
        text = str(value or "").strip()
        return iso_date(text, text) if text else ""

    def has_evidence(self) -> bool:
        return bool(self.evidence and self.approved_by and self.approved_on)

    def written(self) -> str:
        """The written form (``WRITTEN_FORM``); reading it back gives the same arrangement."""
        head = self.kind.value + (f": {self.detail}" if self.detail else "")
        if not (self.evidence or self.approved_by or self.approved_on):
            return head
        return " | ".join([head, self.evidence, self.approved_by, self.approved_on])

    def evidence_text(self) -> str:
        if not self.has_evidence():
            return "evidence not recorded"
        return f"{self.evidence}, approved by {self.approved_by} on {self.approved_on}"


def _kind(words: str) -> ArrangementKind | None:
    lowered = " ".join(words.lower().split())
    for kind in ArrangementKind:
        if lowered == kind.value:
            return kind
    found = kinds_in(lowered)
    return found[0] if len(found) == 1 and len(lowered) <= 30 else None


def iso_date(text: str, piece: str) -> str:
    """A date typed as 2026-09-12 or 12/09/2026 (the UK way), as ISO; refused with the fix otherwise."""
    text = text.strip()
    match = _re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text) or None
    try:
        if match:
            return _date(int(match[1]), int(match[2]), int(match[3])).isoformat()
        uk = _re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if uk:
            return _date(int(uk[3]), int(uk[2]), int(uk[1])).isoformat()
    except ValueError:
        pass
    raise ArrangementsRefused(f"{piece!r}: {text!r} is not a date (write 2026-09-12 or 12/09/2026)")


def read_one(piece: str) -> Evidenced:
    """One arrangement in its written form, e.g. ``EXAMPLE``."""
    parts = [" ".join(p.split()) for p in piece.split("|")]
    head, rest = parts[0], parts[1:]
    words, _, detail = head.partition(":")
    kind = _kind(words)
    if kind is None:
        listed = ", ".join(k.value for k in ArrangementKind if k is not ArrangementKind.OTHER)
        raise ArrangementsRefused(f"{words.strip()!r} is not on the list of arrangements ({listed}); "
                                  f"write 'other: {words.strip()}' for anything else")
    if len(rest) > 3:
        raise ArrangementsRefused(f"{piece!r} has more than four parts; write {WRITTEN_FORM}")
    evidence, approved_by, approved_on = (rest + ["", "", ""])[:3]
    return Evidenced(kind=kind, detail=detail, evidence=evidence, approved_by=approved_by,
                     approved_on=iso_date(approved_on, piece) if approved_on else "")


def read_written(text: str | None) -> list[Evidenced]:
    """A list of arrangements written one after another, separated by ``;`` (empty: none)."""
    return [read_one(piece) for piece in (text or "").split(";") if piece.strip()]


def written(arrangements: list[Evidenced]) -> str:
    return "; ".join(a.written() for a in arrangements)


def in_words(arrangements: list[Evidenced]) -> str:
    """What the register and the room view say: every arrangement but extra time (its percentage says it)."""
    return "; ".join(a.text() for a in arrangements if a.kind is not ArrangementKind.EXTRA_TIME)


def used_text(extra_time_percent: int, arrangements: list[Evidenced]) -> str:
    """The "arrangements used" line of results and feedback: e.g. "25% extra time; reader"."""
    parts = [f"{extra_time_percent}% extra time"] if extra_time_percent else []
    words = in_words(arrangements)
    return "; ".join(parts + ([words] if words else []))


def from_old_text(text: str | None, extra_time_percent: int = 0) -> list[Evidenced]:
    """Free text typed before the list: known words become their kind (the words kept as the
    detail), anything else "other" with its text; nothing is lost, nothing has evidence yet."""
    found: list[Evidenced] = []
    for piece in _re.split(r"[;,\n]", text or ""):
        piece = " ".join(piece.split())
        if not piece:
            continue
        kinds = kinds_in(piece)
        if len(kinds) == 1:
            found.append(Evidenced(kind=kinds[0], detail="" if piece.lower() == kinds[0].value else piece))
        else:
            found.append(Evidenced(kind=ArrangementKind.OTHER, detail=piece))
    if extra_time_percent and not any(a.kind is ArrangementKind.EXTRA_TIME for a in found):
        found.insert(0, Evidenced(kind=ArrangementKind.EXTRA_TIME, detail=f"{extra_time_percent}%"))
    return found


def check_list(arrangements: list[Evidenced], extra_time_percent: int, *, cap: int = DEFAULT_EXTRA_TIME_CAP,
               by_admin: bool) -> str | None:
    """Refuse a list that cannot be recorded; return the written reason for extra time above the cap."""
    for a in arrangements:
        if not a.has_evidence():
            raise ArrangementsRefused(
                f"{a.text()} needs its evidence: what was seen, who approved it and when "
                f"(write {a.kind.value} | evidence seen | approved by | date, e.g. {EXAMPLE})")
    extra = [a for a in arrangements if a.kind is ArrangementKind.EXTRA_TIME]
    if extra_time_percent and not extra:
        raise ArrangementsRefused(
            f"{extra_time_percent}% extra time needs its arrangement with evidence: add "
            f"'extra time | Form 8 on file | Sam Senco | 2026-09-12' (what was seen, who approved it, when)")
    if extra and not extra_time_percent:
        raise ArrangementsRefused("Extra time is listed as an arrangement but the extra time is 0%: "
                                  "give the percentage (e.g. 25), or remove the extra time arrangement")
    if extra_time_percent > cap:
        reason = extra[0].detail
        if not by_admin:
            raise ArrangementsRefused(
                f"More than {cap}% extra time (the centre's cap) needs an administrator: ask one to "
                f"record the {extra_time_percent}%, with the reason written after 'extra time:'")
        if not reason:
            raise ArrangementsRefused(
                f"{extra_time_percent}% is above the centre's cap of {cap}%: write the reason after 'extra time:' "
                f"(e.g. 'extra time: specialist assessor's report recommends 50% | Form 8 on file | "
                f"Sam Senco | 2026-09-12')")
        check_extra_time(extra_time_percent, cap=cap, by_admin=by_admin, reason=reason)
        return reason
    return None


def offers_high_contrast(arrangements: list[Arrangement]) -> bool:
    return any(a.kind is ArrangementKind.OVERLAY for a in arrangements)


def offers_larger_text(arrangements: list[Arrangement]) -> bool:
    return any(a.kind is ArrangementKind.LARGER_TEXT for a in arrangements)
