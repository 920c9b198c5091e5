"""Figures worked out from comparison rows outside SQL: the exact % change, ranks within a subgroup, the first
measure with data. Pure: no store, no Streamlit."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

RATE_TIE_PLACES = 9  # rates equal to 9 decimals tie: float noise never splits a tie


def _count(value: Any) -> int | None:
    """A count as an int, or None when unknown (None, NaN, pandas NA)."""
    try:
        if value is None or value != value:
            return None
    except TypeError:  # pandas NA has no truth value
        return None
    return int(value)


def pct_change(current: Any, previous: Any) -> Fraction | None:
    """(current - previous) / previous x 100 exactly from the two counts; None when unknown or previous is 0."""
    current, previous = _count(current), _count(previous)
    if current is None or previous is None or previous <= 0:
        return None
    return Fraction(current - previous, previous) * 100


def comparator_pct_change(row: Any) -> Fraction | None:
    """The comparator's % change on a comparison row, exact from its two totals."""
    return pct_change(row["comparator_current"], row["comparator_previous"])


def ranked_in_group(league: pd.DataFrame, group: Sequence[str]) -> pd.DataFrame:
    """The ranked league rows of the areas in group, with group_rank: 1 = the lowest rate among them (ties share)."""
    in_group = league[league["rank"].notna() & league["area_name"].isin(group)].copy()
    in_group["group_rank"] = in_group["rate_per_1000"].round(RATE_TIE_PLACES).rank(method="min").astype("Int64")
    return in_group


def first_with_data(measure_ids: Sequence[str], rows: pd.DataFrame) -> str:
    """The first of measure_ids with a rolling-year count on the rows (the first of them when none has one)."""
    loaded = set(rows.loc[rows["current"].notna(), "measure_id"])
    return next((m for m in measure_ids if m in loaded), measure_ids[0])
