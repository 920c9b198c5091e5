"""Indicator-profile figures: the spine chart's summaries per measure and the funnel plot's control limits.

The spine summaries are SPINE_SQL (sbp/metrics/queries.py) over the comparison rows. The funnel's limits are
Spiegelhalter's (2005) exact Poisson limits around the comparator's rate: at a population n the expected count is
E = comparator rate x n, and a limit is the p-quantile of the count, interpolated between whole counts so the funnel
is a smooth curve (his Appendix A.1.1): with r the smallest count whose cumulative probability F(r) reaches p,
limit = r - (F(r) - p) / P(r). Over-dispersed limits use the same quantile of a negative binomial count with mean E
and variance phi x E (the family of the exception limits), phi estimated from the areas' winsorised z-scores as in
Spiegelhalter's multiplicative adjustment. docs/definitions.md says both in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from sbp import metrics
from sbp.config import Config, Measure, default_config
from sbp.config.settings import load_settings
from sbp.metrics import queries, rules
from sbp.metrics.groups import area_groups

SPINE_COLUMNS = ("measure_id", "measure_label", "direction", "areas", "area_rate", "comparator_rate", "lowest",
                 "lower_quartile", "upper_quartile", "highest", "worst", "worst_quartile", "best_quartile", "best",
                 "worst_position", "worst_quartile_position", "best_quartile_position", "best_position",
                 "area_position", "comparison", "confidence", "reason")
# The comparison word's column in a comparison row (rules.benchmark's words); an area without one reads "not compared".
COMPARISON_COLUMN = "benchmark"


def spine(
    con: duckdb.DuckDBPyConnection, area: str, end: str | dt.date, measure_ids: Sequence[str] | None = None,
    config: Config | None = None, settings: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """One row per measure (in the order given, default every board measure): the spread of the rates of the
    area's comparator group (lowest, quartiles, highest; worst and best by direction), the comparator's and the
    area's rate, each as a place on the row (0 worst, 0.5 the comparator, 1 best), the area's comparison word and,
    when the row cannot be drawn, why."""
    config = config or default_config()
    settings = settings or load_settings()
    ids = list(measure_ids or metrics.board_measure_ids(config))
    rows = metrics.comparisons(con, [config.measures[i] for i in ids], metrics.check_end(con, end),
                               config=config, settings=settings)
    area = metrics._check_area(con, area, "borough")
    group = dict(area_groups(con, settings)).get(area)
    return spine_summary(rows, area, group, [config.measures[i] for i in ids], con)


def spine_summary(rows: pd.DataFrame, area: str, group: str | None, measures: Sequence[Measure],
                  con: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """SPINE_SQL over comparison rows (one end month): the spine's figures for area within its comparator group
    (run on a cursor of con, else on a connection of its own)."""
    measure_frame = pd.DataFrame({"measure_id": [m.id for m in measures], "measure_order": range(len(measures)),
                                  "direction": [m.direction for m in measures]})
    data = pd.DataFrame({name: rows[name].to_numpy(dtype=object) for name in ("measure_id", "area_name", "comparator_name")}
                        | {name: rows[name].to_numpy(dtype="float64", na_value=np.nan)
                           for name in ("rate_per_1000", "comparator_rate_per_1000")})
    cur = con.cursor() if con is not None else duckdb.connect()
    try:
        cur.register("spine_measures", measure_frame)
        cur.register("spine_rows", data)
        out = cur.execute(queries.SPINE_SQL, {"group": group, "area": area}).df()
    finally:
        cur.close()
    out.insert(1, "measure_label", [m.label for m in measures])
    mine = rows[rows["area_name"] == area].drop_duplicates("measure_id").set_index("measure_id")
    words = mine[COMPARISON_COLUMN] if COMPARISON_COLUMN in mine.columns else pd.Series(dtype="object")
    out["comparison"] = [words.get(m) if isinstance(words.get(m), str) else rules.NOT_COMPARED for m in out["measure_id"]]
    # The confidence level (%) the comparison words were decided at (the benchmark_confidence setting), if given.
    out["confidence"] = (float(rows["benchmark_confidence"].iloc[0]) if "benchmark_confidence" in rows.columns
                         and len(rows) else np.nan)
    out["reason"] = [_spine_reason(r, area, group) for r in out.itertuples()]
    return out[list(SPINE_COLUMNS)]


def _spine_reason(row: Any, area: str, group: str | None) -> str | None:
    """Why a spine row has no marker or no spread (None when it is drawn whole)."""
    if group is None:
        return f"{area} is in no comparator group."
    if pd.isna(row.comparator_rate):
        return f"no {group} rate for this period"
    if pd.isna(row.area_rate):
        return f"no rate for {area} in this period"
    return None


# --- funnel plot ----------------------------------------------------------------------------

FUNNEL_LEVELS = (("95", 0.95), ("998", 0.998))  # the two limits drawn: 95% and 99.8% two-sided
FUNNEL_POINTS = 120          # populations the limit lines are computed at, evenly spaced
WINSORISE = 0.10             # Spiegelhalter's winsorisation of the z-scores before estimating phi: 10% each end
FUNNEL_POISSON = "exact Poisson limits around the comparator's rate (Spiegelhalter 2005)"
FUNNEL_OVERDISPERSED = ("limits widened for over-dispersion: a negative binomial with variance phi x expected, "
                        "phi from the areas' winsorised z-scores (Spiegelhalter 2005, multiplicative)")


@dataclass(frozen=True)
class Funnel:
    """A funnel plot's figures: each area's rate and population, and the limits around the comparator's rate."""

    points: pd.DataFrame          # area_name, current, population, rate_per_1000, expected, z_score, position
    limits: pd.DataFrame          # population, lower_95, upper_95, lower_998, upper_998 (rates per 1,000)
    measure_id: str
    measure_label: str
    end: dt.date
    comparator: str | None
    comparator_rate: float | None  # per 1,000
    dispersion: float             # phi, Spiegelhalter's multiplicative over-dispersion of these areas (1: none)
    overdispersed: bool           # the limits were widened by phi (asked for, and phi > 1)
    method: str                   # the limits in words
    reason: str | None = None     # why there is no funnel (no comparator rate, fewer than 2 areas with a rate)


def count_quantile(expected: np.ndarray, p: float, dispersion: float | np.ndarray = 1.0) -> np.ndarray:
    """The p-quantile of a count with mean `expected` (variance dispersion x mean: Poisson at 1, else negative
    binomial), interpolated between whole counts: r - (F(r) - p) / P(r), r the smallest count with F(r) >= p."""
    from scipy.stats import nbinom, poisson

    mean = np.asarray(expected, dtype="float64")
    phi = np.broadcast_to(np.asarray(dispersion, dtype="float64"), mean.shape)
    over = phi > 1.0001
    size = mean / np.where(over, phi - 1, 1.0)
    prob = 1 / np.where(over, phi, 2.0)

    def cdf(k: np.ndarray) -> np.ndarray:
        return np.where(over, nbinom.cdf(k, size, prob), poisson.cdf(k, mean))

    r = np.where(over, nbinom.ppf(p, size, prob), poisson.ppf(p, mean))
    at, below = cdf(r), cdf(r - 1)
    step = at - below
    return np.where(step > 0, r - (at - p) / np.where(step > 0, step, 1.0), r)


def funnel_limits(rate_per_1000: float, populations: np.ndarray, dispersion: float = 1.0) -> pd.DataFrame:
    """The 95% and 99.8% limits (rates per 1,000, never below 0) around a rate at each population."""
    populations = np.asarray(populations, dtype="float64")
    expected = rate_per_1000 * populations / 1000.0
    out = pd.DataFrame({"population": populations})
    for name, level in FUNNEL_LEVELS:
        tail = (1 - level) / 2
        for side, p in (("lower", tail), ("upper", 1 - tail)):
            count = np.maximum(count_quantile(expected, p, dispersion), 0.0)
            out[f"{side}_{name}"] = count * 1000.0 / populations
    return out


def dispersion(observed: np.ndarray, expected: np.ndarray) -> float:
    """Spiegelhalter's multiplicative over-dispersion phi: the mean squared z-score (O - E) / sqrt(E), after
    winsorising the lowest and highest WINSORISE of the z-scores to those percentiles."""
    z = (np.asarray(observed, dtype="float64") - expected) / np.sqrt(expected)
    low, high = np.percentile(z, [100 * WINSORISE, 100 * (1 - WINSORISE)])
    return float(np.mean(np.clip(z, low, high) ** 2))


def funnel(
    con: duckdb.DuckDBPyConnection, measure: Measure, end: str | dt.date, area: str, overdispersed: bool = False,
    config: Config | None = None, settings: dict[str, Any] | None = None,
) -> Funnel:
    """Every area of area's comparator group: its rolling-year rate against its population, with the limits around
    the comparator's rate (over-dispersed when asked for and the areas vary more than chance allows)."""
    settings = settings or load_settings()
    end = metrics.check_end(con, end)
    area = metrics._check_area(con, area, "borough")
    group = dict(area_groups(con, settings)).get(area)
    rows = metrics.comparisons(con, [measure], end, config=config, settings=settings)
    return funnel_of(rows[rows["comparator_name"] == group] if group else rows.iloc[:0], measure, end, group,
                     overdispersed)


def funnel_of(rows: pd.DataFrame, measure: Measure, end: dt.date, group: str | None, overdispersed: bool) -> Funnel:
    """The funnel of one group's comparison rows (one measure, one end month)."""
    known = rows[rows["current"].notna() & rows["population"].notna() & (rows["population"] > 0)]
    rates = rows["comparator_rate_per_1000"].dropna()
    comparator_rate = float(rates.iloc[0]) if len(rates) else None
    empty = pd.DataFrame(columns=["area_name", "current", "population", "rate_per_1000", "expected", "z_score",
                                  "position"])
    base = dict(measure_id=measure.id, measure_label=measure.label, end=end, comparator=group,
                comparator_rate=comparator_rate, dispersion=1.0, overdispersed=False, method=FUNNEL_POISSON)
    if group is None or comparator_rate is None or comparator_rate <= 0 or len(known) < 2:
        reason = ("no comparator rate for this period" if comparator_rate is None else
                  "fewer than two areas have a rate for this period" if len(known) < 2 else
                  f"no {measure.units} in the comparator group this period")
        return Funnel(points=empty, limits=pd.DataFrame(), reason=reason, **base)
    population = known["population"].to_numpy(dtype="float64")
    observed = known["current"].to_numpy(dtype="float64")
    expected = comparator_rate * population / 1000.0
    phi = dispersion(observed, expected)
    widened = overdispersed and phi > 1.0001
    used = phi if widened else 1.0
    points = pd.DataFrame({
        "area_name": known["area_name"].astype(str).to_numpy(), "current": observed.astype("int64"),
        "population": population.astype("int64"), "rate_per_1000": known["rate_per_1000"].to_numpy(dtype="float64"),
        "expected": expected, "z_score": (observed - expected) / np.sqrt(expected * used),
    })
    own = funnel_limits(comparator_rate, population, used)
    rate = points["rate_per_1000"].to_numpy()
    points["position"] = np.select(
        [rate > own["upper_998"], rate > own["upper_95"], rate < own["lower_998"], rate < own["lower_95"]],
        ["above the 99.8% limit", "above the 95% limit", "below the 99.8% limit", "below the 95% limit"],
        "within the 95% limits")
    # From half the smallest area to past the largest: the mouth of the funnel shows how wide chance runs when small.
    grid = np.linspace(population.min() * 0.5, population.max() * 1.05, FUNNEL_POINTS)
    return Funnel(points=points, limits=funnel_limits(comparator_rate, grid, used),
                  **(base | dict(dispersion=phi, overdispersed=widened,
                                 method=FUNNEL_OVERDISPERSED if widened else FUNNEL_POISSON)))
