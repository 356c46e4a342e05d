"""An audit entry's details in words: what changed, from what, to what, and why.

Services record details as small JSON objects in a few shapes (``{"old": …,
"new": …}``, ``old_X``/``new_X`` pairs, ``X before``/``X after`` pairs, or plain
facts such as ``{"question": "1", "characters": 128}``). A reviewer reading an
exported audit trail, or an invigilator reading the room's log, should not have to
read JSON: :func:`summarise` turns any of those shapes into four short texts. It
never raises and never drops the entry: anything it cannot pair is listed under
"what". The raw details are always kept beside it (export) for the full record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

#: Bookkeeping fields of an old/new pair that say nothing a reader needs in "from/to"
#: (who and when are the entry's own columns).
_BOOKKEEPING = frozenset({"at", "by", "version"})
#: Fingerprints: kept in the raw details, left out of the words.
_HASHES = re.compile(r"(^|[ _])(sha256|hash|content_hash|digest|salt)$")
_REASON_KEYS = ("reason", "why")
MAX_VALUE = 200
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    what: str
    old: str
    new: str
    reason: str


def label(key: str) -> str:
    """``new_allowed_seconds`` → ``allowed time``; ``extra_time_percent`` → ``extra time %``."""
    text = key.replace("_", " ").strip()
    text = re.sub(r"\bby seconds$", "by", text)
    text = re.sub(r"\bseconds\b", "time", text)
    text = re.sub(r"\bpercent\b", "%", text)
    return text


def duration_text(seconds: int | float) -> str:
    """``6750`` → ``1 h 52 m 30 s``; ``0`` → ``0 s``; negative shown with a minus sign."""
    sign = "-" if seconds < 0 else ""
    total = int(round(abs(seconds)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    parts = [f"{h} h" if h else "", f"{m} m" if m else "", f"{s} s" if s or not (h or m) else ""]
    return sign + " ".join(p for p in parts if p)


def value_text(value: Any, key: str = "") -> str:
    """A value as a reader would write it: lists joined, times in UTC, durations in h/m/s."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and key.endswith("seconds"):
        return duration_text(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and _ISO.match(value):
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _bounded(value)
        if instant.tzinfo is not None:
            instant = instant.astimezone(timezone.utc)
        return instant.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if instant.tzinfo else "")
    if isinstance(value, (list, tuple)):
        return _bounded(", ".join(value_text(v) for v in value)) if value else "none"
    if isinstance(value, dict):
        return _bounded("; ".join(f"{label(k)}: {value_text(v, k)}" for k, v in value.items()
                                  if not _HASHES.search(k)))
    return _bounded(str(value))


def _bounded(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _pairs(details: dict[str, Any]) -> tuple[list[tuple[str, Any, Any]], set[str]]:
    """(field, old, new) for every before/after pair in ``details``, and the keys used."""
    pairs: list[tuple[str, Any, Any]] = []
    used: set[str] = set()
    for key in details:
        if key.startswith("old_") and f"new_{key[4:]}" in details:
            field, new_key = key[4:], f"new_{key[4:]}"
        elif key.endswith(" before") and key[:-7] + " after" in details:
            field, new_key = key[:-7], key[:-7] + " after"
        elif key == "before" and "after" in details:
            field, new_key = "", "after"
        else:
            continue
        pairs.append((field, details[key], details[new_key]))
        used |= {key, new_key}
    return pairs, used


def summarise(action: str, details: dict[str, Any] | None) -> ChangeSummary:
    """What an audit entry changed, in words (see the module docstring)."""
    details = dict(details or {})
    reasons = [details.pop(k) for k in _REASON_KEYS if k in details]
    reason = "; ".join(value_text(r) for r in reasons if r not in (None, ""))
    what_parts: list[str] = []
    olds: list[str] = []
    news: list[str] = []

    if "old" in details or "new" in details:
        old, new = details.pop("old", None), details.pop("new", None)
        if isinstance(old, dict) or isinstance(new, dict):
            old_d, new_d = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
            fields = [k for k in dict.fromkeys([*old_d, *new_d])
                      if k not in _BOOKKEEPING and not _HASHES.search(k) and old_d.get(k) != new_d.get(k)]
            what_parts.append(", ".join(label(k) for k in fields) or "no visible change")
            olds += [f"{label(k)}: {value_text(old_d.get(k), k)}" for k in fields] if old is not None else ["none"]
            news += [f"{label(k)}: {value_text(new_d.get(k), k)}" for k in fields] if new is not None else ["none"]
        else:
            what_parts.append(re.sub(r"\s+(changed|set|updated)$", "", action))
            olds.append(value_text(old))
            news.append(value_text(new))

    pairs, used = _pairs(details)
    for field, old, new in pairs:
        if field:
            what_parts.append(label(field))
            olds.append(f"{label(field)}: {value_text(old, field)}" if len(pairs) > 1 else value_text(old, field))
            news.append(f"{label(field)}: {value_text(new, field)}" if len(pairs) > 1 else value_text(new, field))
        else:
            olds.append(value_text(old))
            news.append(value_text(new))
    facts = [f"{label(k)}: {value_text(v, k)}" for k, v in details.items()
             if k not in used and not _HASHES.search(k)]
    what = "; ".join(p for p in [*what_parts, *facts] if p)
    return ChangeSummary(what=_bounded(what) if what else "", old=_bounded("; ".join(olds)),
                         new=_bounded("; ".join(news)), reason=reason)
