"""Months as users type them, the named windows every surface shows (rolling year, trend, ...), and their labels."""

from __future__ import annotations

import datetime as dt
import re

from sbp.errors import PeriodError

_MONTH = re.compile(r"^\s*(\d{4})-?(\d{2})\s*$")


class Month(dt.date):
    """A calendar month, held as its first day: a date everywhere a date goes (SQL parameters, frames, labels).

    Made only by parse_month and add_months, so its day is always 1; a month is parsed once, where it enters
    (a link, a command-line flag, a report call), and every window is counted from it in this module.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Month({self:%Y-%m})"


def parse_month(text: str | dt.date) -> Month:
    """'2023-11' or '202311' (or a date) -> that month."""
    if isinstance(text, dt.date):
        return Month(text.year, text.month, 1)
    match = _MONTH.match(str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2023-11.")
    return Month(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: dt.date, n: int) -> Month:
    """The month n months after (or before) month."""
    index = month.year * 12 + month.month - 1 + n
    return Month(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """How many months last is after first (negative when before)."""
    return (last.year - first.year) * 12 + last.month - first.month


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from first to last inclusive."""
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


TREND_MONTHS = 36  # the trend charts' window: three rolling years


def rolling_year(end: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) month of the rolling year to end: the 12 months ending with end."""
    return add_months(end, -11), end


def previous_year(end: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) month of the rolling year before the one to end (what it is compared with)."""
    return add_months(end, -23), add_months(end, -12)


def two_year_window(end: dt.date) -> tuple[dt.date, dt.date]:
    """(first, last) month of the two rolling years compared: the previous year's first month to end."""
    return previous_year(end)[0], end


def trend_window(end: dt.date, first: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first, last) month of a trend chart to end: TREND_MONTHS months, none before the first month loaded."""
    start = add_months(end, -(TREND_MONTHS - 1))
    return (start if first is None else max(first, start)), end


def first_full_year_end(first: dt.date) -> dt.date:
    """The first month that ends a full rolling year when data starts at first."""
    return add_months(first, 11)


def rolling_year_ends(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from first to last that ends a full rolling year of loaded months."""
    return month_range(first_full_year_end(first), last)


def shown_end(end: dt.date, last_loaded: dt.date) -> dt.date:
    """The period end a level with data to last_loaded can show: end, or last_loaded when that is earlier."""
    return min(end, last_loaded)


def same_length_to(window: tuple[dt.date, dt.date], end: dt.date, first: dt.date) -> tuple[dt.date, dt.date]:
    """A window of months moved to end, keeping its length where the data (from first) allows."""
    return max(first, add_months(end, -months_between(*window))), end


def month_label(month: dt.date) -> str:
    """'Nov 2023'."""
    return month.strftime("%b %Y")


def rolling_year_label(end: dt.date) -> str:
    """'Rolling year to Nov 23', the board table's column heading."""
    return f"Rolling year to {end:%b %y}"


def rolling_year_span(end: dt.date) -> str:
    """'Dec 2022 to Nov 2023'."""
    start, _ = rolling_year(end)
    return f"{month_label(start)} to {month_label(end)}"
