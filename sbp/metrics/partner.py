"""Partner measures' figures: the latest value, the change on the same period a year earlier, and target status.

Every figure comes from PARTNER_FIGURES_SQL (sbp/metrics/queries.py); this module adds the period's words and what
a set of target statuses suggests for the objective they evidence. A partner value is never added to a police count
or divided by a population.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb

from sbp.config.partner import PartnerMeasure
from sbp.metrics import queries
from sbp.metrics.periods import parse_month

if TYPE_CHECKING:
    import pandas as pd

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The objective status a set of target statuses suggests (the admin confirms it): every target met, one not met, or
# some not yet due and none missed. Names of data/objectives.toml's [statuses]; a name not configured suggests nothing.
SUGGESTED = {"met": "Achieved", "not met": "At risk", "not due": "On track"}
COLUMNS = ["measure_id", "label", "unit", "period", "period_kind", "period_start", "period_end", "area_name", "value",
           "source", "target", "direction", "note", "file_name", "loaded_at", "previous_value", "previous_period",
           "previous_start", "previous_end", "change", "pct_change", "better", "target_status"]


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    """A period in words, as the board reads it: 'Jun 2021', 'Apr-Jun 2021', 'Jan-Dec 2021', 'Apr 2021-Mar 2022'
    (a financial year, by its months: unambiguous to every reader)."""
    first, last = MONTHS[start.month - 1], MONTHS[end.month - 1]
    if kind == "month":
        return f"{first} {start.year}"
    if start.year == end.year:
        return f"{first}-{last} {start.year}"
    return f"{first} {start.year}-{last} {end.year}"


def partner_figures(con: duckdb.DuckDBPyConnection, area: str, as_of: str | dt.date,
                    measures: Sequence[PartnerMeasure]) -> pd.DataFrame:
    """One row per measure (in the order given) for the area: its latest value by as_of, the same period a year
    earlier, the change (better: whether it is an improvement by the direction; None for no change, no direction or
    no earlier value) and the target status; a measure with no value loaded has value NaN (unknown, never 0)."""
    import pandas as pd

    as_of = parse_month(as_of)
    ids = [m.id for m in measures]
    found = con.execute(queries.PARTNER_FIGURES_SQL, {"ids": ids, "directions": [m.direction for m in measures],
                                                      "area": area, "as_of": as_of}).df()
    frame = pd.DataFrame({"measure_id": pd.Series(ids, dtype=object)}).merge(found.astype({"measure_id": object}),
                                                                            on="measure_id", how="left")
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    has = frame["period_start"].notna()
    frame["period_label"] = [period_label(k, s, e) if ok else "" for ok, k, s, e in
                             zip(has, frame["period_kind"], frame["period_start"], frame["period_end"])]
    frame["previous_label"] = [period_label(k, s, e) if ok else "" for ok, k, s, e in
                               zip(has, frame["period_kind"], frame["previous_start"], frame["previous_end"])]
    frame["target_status"] = frame["target_status"].fillna("")
    return frame[COLUMNS + ["period_label", "previous_label"]]


def suggested_status(target_statuses: Sequence[str], statuses: Sequence[str]) -> str | None:
    """The objective status the target statuses of its partner measures suggest, or None (no targets, or the status
    name is not configured): 'At risk' if any is not met, else 'On track' if any is not due, else 'Achieved'."""
    given = [s for s in target_statuses if s]
    if not given:
        return None
    worst = "not met" if "not met" in given else "not due" if "not due" in given else "met"
    name = SUGGESTED[worst]
    return name if name in statuses else None
