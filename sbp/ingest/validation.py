"""The checks the formats share: plausible counts and populations, no future months, only known areas."""

from __future__ import annotations

import datetime as dt
import re

from sbp.config import areas
from sbp.errors import IngestError
from sbp.ingest.context import Context
from sbp.ingest.textfile import find_line

# Largest plausible count for one area, category and month: far above any real one (the largest cell in the
# real borough files is about 4,100, in the ward file 2,000), far below a corrupt value.
MAX_COUNT = {"borough": 100_000, "ward": 20_000, "lsoa": 20_000}
# Plausible populations (residents or households) by level: the City of London has about 8,600 residents,
# the largest borough under 400,000; wards hold a few thousand to 30,000 people, LSOAs 1,000 to 3,000.
POPULATION_RANGE = {"borough": (1_000, 2_000_000), "ward": (100, 100_000), "lsoa": (100, 20_000)}
PLAIN_COUNT = r"^[0-9]+$"
# A file with under this share of the offences (police.uk: crimes) of a month it would replace is held until the
# user confirms (--force): a fragment, or a file of one borough or crime type, would otherwise replace the month.
SHRINK_SHARE = 0.5
SHRINK_FLOOR = 100  # a loaded month of fewer offences is not judged (hand-made files; real months hold thousands)


def count_problem(cell: str | None, level: str) -> str | None:
    """Why a count cell is not a plain non-negative whole number within the level's limit, else None."""
    text = (cell or "").strip()
    if not text:
        return "a count is missing"
    if not re.fullmatch(PLAIN_COUNT, text):
        if re.fullmatch(r"-[0-9]+", text):
            return f"count {text} is negative"
        try:
            value = float(text)
        except ValueError:
            return f"count {text!r} is not a whole number"
        if re.fullmatch(r"-?[0-9]*\.[0-9]+", text) and value != int(value):
            return f"count {text} is not a whole number"
        return f"count {text!r} is not written as plain digits (no signs, exponents, separators or decimals)"
    if len(text) > 15 or int(text) > MAX_COUNT[level]:  # length first: int() refuses strings of over 4,300 digits
        shown = f"{int(text):,}" if len(text) <= 15 else f"{text[:6]}... ({len(text):,} digits)"
        return f"count {shown} is too large for one {level} in one month (the limit is {MAX_COUNT[level]:,})"
    return None


def bad_count_sql(column: str, level_limit: str) -> str:
    """SQL true when a VARCHAR count cell is not a plain whole number within the limit (an SQL expression)."""
    return (f"(NOT regexp_full_match(coalesce(trim({column}), ''), '[0-9]+') "
            f"OR try_cast(trim({column}) AS DOUBLE) > {level_limit})")


def check_months(ctx: Context, months: list[dt.date], what: str) -> None:
    """Refuse months after the current one: a typo such as 203311 would otherwise outrank every real extract."""
    today = dt.date.today().replace(day=1)
    future = sorted(m for m in months if m > today)
    if future:
        raise IngestError(
            ctx.text.original,
            f"{what} {future[0]:%Y-%m} is after the current month ({today:%b %Y}); is it a typo?",
        )


def check_areas(ctx: Context, kind: str, names: list[str], known: frozenset[str], column: str, index: int) -> None:
    """Refuse area names outside the known list unless the user named them with --new-area."""
    unknown = sorted(set(names) - known - ctx.new_areas)
    if unknown:
        first = unknown[0]
        raise IngestError(ctx.text.original, areas.unknown_area_problem(kind, unknown, known),
                          line=find_line(ctx.text, lambda r: r[index] == first), column=column)


def bad_number_text(cell: str) -> bool:
    """Whether a cell is not a whole number of zero or more (the workbook's counts may be written 3.0)."""
    try:
        value = float(cell)
    except ValueError:
        return True
    return not (value == value and 0 <= value < float("inf") and value == int(value))
