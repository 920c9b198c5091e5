"""Query-parameter values are untrusted: check each against what is allowed, fall back with a notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

from sbp.errors import PeriodError, clip
from sbp.metrics.periods import month_label, parse_month

T = TypeVar("T")
MAX_PARAM_LENGTH = 200


def _shown(value: str) -> str:
    """A raw parameter as it may be quoted back in a notice: short and printable."""
    return clip("".join(ch for ch in value if ch.isprintable()), 40)


def pick(raw: str | None, allowed: Sequence[str], default: str, what: str,
         label: Callable[[str], str | None] | None = None) -> tuple[str, str | None]:
    """(value, notice): raw when it is one of allowed (case-insensitive), else default and a plain-words notice
    naming the default as users see it (label(default), e.g. 'Violence with injury' rather than its id)."""
    if raw is None or raw == "":
        return default, None
    if len(raw) <= MAX_PARAM_LENGTH:
        for option in allowed:
            if option.lower() == raw.strip().lower():
                return option, None
    shown_default = (label(default) if label else None) or default
    return default, f"The link asked for {what} '{_shown(raw)}', which is not available; showing {shown_default} instead."


def pick_month(raw: str | None, allowed: Sequence[dt.date], default: dt.date, what: str = "month") -> tuple[dt.date, str | None]:
    """(month, notice) for a YYYY-MM parameter limited to the allowed months."""
    if raw is None or raw == "":
        return default, None
    try:
        month = parse_month(raw[:MAX_PARAM_LENGTH])
    except PeriodError:
        month = None
    if month in allowed:
        return month, None
    return default, (
        f"The link asked for {what} '{_shown(raw)}', which is not loaded; showing {month_label(default)} instead."
    )


def pick_many(raw: list[str], allowed: Sequence[str], default: Sequence[str], what: str, limit: int = 40,
              plural: str | None = None) -> tuple[list[str], str | None]:
    """(values, notice) keeping only allowed values from a repeated parameter; what is singular ('category'),
    plural its plural (default what + 's')."""
    if not raw:
        return list(default), None
    lookup = {a.lower(): a for a in allowed}
    kept = [lookup[r.strip().lower()] for r in raw[:limit] if len(r) <= MAX_PARAM_LENGTH and r.strip().lower() in lookup]
    dropped = len(raw) - len(kept)
    noun = what if dropped == 1 else (plural or what + "s")
    notice = (f"{dropped} {noun} in the link {'is' if dropped == 1 else 'are'} not available and "
              f"{'was' if dropped == 1 else 'were'} ignored.") if dropped else None
    return (kept or list(default)), notice


def is_on(raw: str | None) -> bool:
    """A flag parameter such as present=1."""
    return (raw or "").strip().lower() in ("1", "true", "yes", "on")
