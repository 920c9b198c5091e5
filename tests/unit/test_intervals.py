"""A rate's confidence limits (sbp/metrics/intervals.py, as SQL), the comparison with the comparator and the trend
test (sbp/metrics/rules.py), each against an independent computation: scipy's chi-squared and normal quantiles."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy.stats import chi2, norm

from sbp.metrics import intervals, rules
from tests.conftest import examples

ALPHA = {"95": 0.05, "998": 0.002}


def sql_limits(counts: list[int | None], populations: list[float | None]) -> dict[str, np.ndarray]:
    """Every limit column as COMPARISON_SQL computes it (intervals.limit_columns), for counts over populations."""
    con = duckdb.connect()
    sql = (f"SELECT {intervals.limit_columns('c', 'p')} FROM "
           "(SELECT unnest($c::BIGINT[]) AS c, unnest($p::DOUBLE[]) AS p)")
    out = con.execute(sql, {"c": counts, "p": populations}).fetchnumpy()
    return {k: np.ma.filled(v.astype("float64"), np.nan) for k, v in out.items()}


def exact(count: np.ndarray, level: str) -> tuple[np.ndarray, np.ndarray]:
    """Garwood's exact Poisson limits for a count, from scipy's chi-squared quantiles."""
    a = ALPHA[level] / 2
    lower = np.where(count > 0, chi2.ppf(a, 2 * np.maximum(count, 1)) / 2, 0.0)
    return lower, chi2.ppf(1 - a, 2 * count + 2) / 2


def byar(count: np.ndarray, level: str) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation, with z from scipy's normal quantile."""
    z = norm.isf(ALPHA[level] / 2)
    o, o1 = count.astype(float), count.astype(float) + 1
    return o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3, o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3


def test_the_tabled_constants_are_scipys_quantiles() -> None:
    """z and the exact limits for 0-9 offences, as tabled, are scipy's to 1e-14 (relative)."""
    counts = np.arange(intervals.EXACT_BELOW)
    for level in intervals.LEVELS:
        assert intervals.Z[level] == pytest.approx(norm.isf(ALPHA[level] / 2), rel=1e-14)
        lower, upper = exact(counts, level)
        assert np.allclose(intervals.EXACT_LOWER[level], lower, rtol=1e-14, atol=0)
        assert np.allclose(intervals.EXACT_UPPER[level], upper, rtol=1e-14, atol=0)


@hsettings(max_examples=examples(60), deadline=None)
@given(st.lists(st.one_of(st.integers(0, 12), st.integers(0, 2_000), st.integers(0, 2_000_000)),
                min_size=1, max_size=30),
       st.floats(500, 10_000_000))
def test_every_limit_agrees_with_an_independent_computation(counts: list[int], population: float) -> None:
    """Under 10 offences the exact limits (scipy chi-squared); from 10, Byar's formula, which is itself within 1.5% of
    the exact limits at 10 and closer above; both as rates per 1,000 of the population."""
    got = sql_limits(counts + [0, 1, 9, 10], [population] * (len(counts) + 4))
    count = np.array(counts + [0, 1, 9, 10], dtype="float64")
    small = count < intervals.EXACT_BELOW
    for level in intervals.LEVELS:
        ex_lower, ex_upper = exact(count, level)
        by_lower, by_upper = byar(np.maximum(count, 1), level)
        want_lower = np.where(small, ex_lower, by_lower) * 1000 / population
        want_upper = np.where(small, ex_upper, by_upper) * 1000 / population
        lower, upper = got[f"rate_lower_{level}_per_1000"], got[f"rate_upper_{level}_per_1000"]
        assert np.allclose(lower, want_lower, rtol=1e-12, atol=1e-300)
        assert np.allclose(upper, want_upper, rtol=1e-12, atol=0)
        rate = count * 1000 / population
        assert np.all(lower <= rate) and np.all(upper > rate)
        big = ~small
        assert np.allclose(lower[big], ex_lower[big] * 1000 / population, rtol=0.015, atol=0)
        assert np.allclose(upper[big], ex_upper[big] * 1000 / population, rtol=0.003, atol=0)


def test_zero_and_one_offences_and_unknowns() -> None:
    """0 offences: lower limit 0, upper -ln(alpha/2) (the exact limit); an unknown count, a negative count (a data
    error) or a population that is unknown or not positive gives unknown limits, never 0."""
    got = sql_limits([0, 1, None, -3, 5, 5], [1000.0, 1000.0, 1000.0, 1000.0, None, 0.0])
    assert got["rate_lower_95_per_1000"][0] == 0.0
    assert got["rate_upper_95_per_1000"][0] == pytest.approx(-math.log(0.025), rel=1e-14)
    assert got["rate_upper_998_per_1000"][0] == pytest.approx(-math.log(0.001), rel=1e-14)
    assert got["rate_lower_95_per_1000"][1] == pytest.approx(chi2.ppf(0.025, 2) / 2, rel=1e-14)
    for name in intervals.limit_names():
        assert np.isnan(got[name][2:]).all()


# --- the comparison with the comparator, at its boundaries -------------------------------------------------------

@pytest.mark.parametrize(("count", "lower", "upper", "comparator", "want"), [
    (50, 2.01, 3.0, 2.0, rules.HIGHER),           # lower limit just above the comparator's rate
    (50, 2.0, 3.0, 2.0, rules.SIMILAR),           # a limit equal to it is similar
    (50, 1.0, 2.0, 2.0, rules.SIMILAR),
    (50, 1.0, 1.99, 2.0, rules.LOWER),            # upper limit just below
    (5, 9.0, 12.0, 2.0, rules.HIGHER),            # 5 offences: compared
    (4, 9.0, 12.0, 2.0, rules.NOT_COMPARED),      # 4: too few to judge
    (0, 0.0, 3.7, 2.0, rules.NOT_COMPARED),
    (50, np.nan, np.nan, 2.0, None),              # the area's rate unknown (no population)
    (50, 1.0, 3.0, np.nan, None),                 # the comparator's rate unknown
    (np.nan, np.nan, np.nan, 2.0, None),          # the count unknown
])
def test_benchmark_word_at_its_boundaries(count: float, lower: float, upper: float, comparator: float,
                                          want: str | None) -> None:
    got = rules.benchmark(np.array([count], dtype=float), np.array([lower]), np.array([upper]), np.array([comparator]))
    assert got == [want]


def test_benchmark_word_follows_the_chosen_level_through_finish() -> None:
    """finish() compares with the 95% limits at benchmark_confidence 95 and the 99.8% ones at 99.8: a rate between
    the two lower limits is higher at 95% and similar at 99.8%; rag_rule 'benchmark' colours it by direction."""
    columns = {
        "measure_id": ["m", "m"], "area_name": ["A", "B"], "borough": ["A", "B"], "end_month": ["x", "x"],
        "direction": ["lower_is_better", "higher_is_better"],
        **{k: np.array([100.0, 100.0]) for k in ("current", "previous", "comparator_current", "comparator_previous")},
        **{k: np.array([0.0, 0.0]) for k in ("change", "pct_change", "rank", "rank_previous")},
        "comparator_rate_per_1000": np.array([2.0, 2.0]), "trend_z": np.array([np.nan, np.nan]),
        "rate_lower_95_per_1000": np.array([2.1, 2.1]), "rate_upper_95_per_1000": np.array([3.0, 3.0]),
        "rate_lower_998_per_1000": np.array([1.9, 1.9]), "rate_upper_998_per_1000": np.array([3.2, 3.2]),
    }
    at95 = rules.finish(columns, {}, 0.05, "benchmark", 95)
    at998 = rules.finish(columns, {}, 0.05, "benchmark", 99.8)
    assert at95["benchmark"] == [rules.HIGHER, rules.HIGHER] and at95["rag"] == ["Red", "Green"]
    assert at998["benchmark"] == [rules.SIMILAR, rules.SIMILAR] and at998["rag"] == ["Amber", "Amber"]


# --- the trend test ---------------------------------------------------------------------------------------------

def trend_z_sql(counts: list[list[float | None]], populations: list[list[float | None]]) -> np.ndarray:
    """queries.TREND_Z over rows of five yearly counts and populations (latest first), as COMPARISON_SQL's rated step
    names them."""
    from sbp.metrics import queries

    names = [("current", "population"), ("previous", "population_previous")] + [
        (f"year{k}", f"population_{k}") for k in range(3, intervals.TREND_POINTS + 1)]
    cols = ", ".join(f"unnest(${c}::DOUBLE[]) AS {c}, unnest(${p}::DOUBLE[]) AS {p}" for c, p in names)
    observed = " + ".join(c for c, _ in names)
    people = " + ".join(p for _, p in names)
    sql = (f"SELECT {queries.TREND_Z} AS z FROM (SELECT *, ({observed}) AS t_observed, "
           f"({observed}) / ({people}) AS t_share FROM (SELECT {cols}))")
    params = {}
    for i, (c, p) in enumerate(names):
        params[c] = [row[i] for row in counts]
        params[p] = [row[i] for row in populations]
    return np.ma.filled(duckdb.connect().execute(sql, params).fetchnumpy()["z"].astype("float64"), np.nan)


def armitage(counts: np.ndarray, populations: np.ndarray) -> float:
    """The chi-squared test for trend in proportions (Armitage), signed: with rare events it is the Poisson form."""
    x = np.arange(len(counts))[::-1].astype(float)  # latest first: scores 4..0
    n, r = populations, counts
    p = r.sum() / n.sum()
    num = (x * r).sum() - p * (x * n).sum()
    var = p * (1 - p) * ((x * x * n).sum() - (x * n).sum() ** 2 / n.sum())
    return num / math.sqrt(var)


@hsettings(max_examples=examples(60), deadline=None)
@given(st.lists(st.integers(0, 5_000), min_size=5, max_size=5),
       st.lists(st.floats(50_000, 500_000), min_size=5, max_size=5))
def test_trend_statistic_agrees_with_armitages_test(counts: list[int], populations: list[float]) -> None:
    """The trend statistic equals Armitage's test for trend on the same counts and populations, up to its factor
    (1 - p), which is within 10% of 1 for these rates; 0 when there are no offences in any year."""
    got = trend_z_sql([counts], [populations])[0]
    c, n = np.array(counts, dtype=float), np.array(populations, dtype=float)
    if c.sum() == 0:
        assert got == 0
        return
    want = armitage(c, n) * math.sqrt(1 - c.sum() / n.sum())
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_trend_unknown_without_every_year_and_words_at_the_boundary() -> None:
    """One year or population unknown: unknown (never 'no significant change'); the word turns at the level's z."""
    z = trend_z_sql([[10, 10, None, 10, 10], [10, 10, 10, 10, 10]], [[1e5] * 5, [1e5, 1e5, 1e5, None, 1e5]])
    assert np.isnan(z).all()
    z95, z998 = intervals.Z["95"], intervals.Z["998"]
    words, p = rules.trend(np.array([z95 + 1e-9, z95 - 1e-9, -z95 - 1e-9, z998 + 1e-9, np.nan]), 95)
    assert words == [rules.RISING, rules.STEADY, rules.FALLING, rules.RISING, None]
    assert p[0] == pytest.approx(0.05, rel=1e-8) and np.isnan(p[-1])
    assert rules.trend(np.array([z998 - 1e-9]), 99.8)[0] == [rules.STEADY]
