"""Months as users type them, and the plain-words period labels the board report uses."""

from __future__ import annotations

import datetime as dt
import re

from sbp.errors import PeriodError

_MONTH = re.compile(r"^\s*(\d{4})-?(\d{2})\s*$")


def parse_month(text: str | dt.date) -> dt.date:
    """'2023-11' or '202311' (or a date) -> the first day of that month."""
    if isinstance(text, dt.date):
        return text.replace(day=1)
    match = _MONTH.match(str(text))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PeriodError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2023-11.")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month n months after (or before) month."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from first to last inclusive."""
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def month_label(month: dt.date) -> str:
    """'Nov 2023'."""
    return month.strftime("%b %Y")


def rolling_year_label(end: dt.date) -> str:
    """'Rolling year to Nov 23', the board table's column heading."""
    return f"Rolling year to {end:%b %y}"


def rolling_year_span(end: dt.date) -> str:
    """'Dec 2022 to Nov 2023'."""
    return f"{month_label(add_months(end, -11))} to {month_label(end)}"
