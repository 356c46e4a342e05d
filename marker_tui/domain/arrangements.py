"""Access arrangements as JCQ and the awarding bodies define them (pure rules).

A candidate's arrangements are chosen from a fixed list (so every centre
records the same thing the same way, and the learner's terminal can act on
them), each with the evidence reference the centre keeps (e.g. "Form 8, 12 Sep
2026") and free text for anything the list does not say. Extra time is a
percentage with a reason; above the centre's cap (25% unless it sets another)
only an administrator may grant it, and their reason is recorded.
"""

from __future__ import annotations

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
