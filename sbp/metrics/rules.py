"""The rules a comparison adds to its counts (significance, RAG, places moved, the comparator's % change, share of a
parent), on plain arrays: one home for the cube stored at ingest (pandas-free) and for live queries.

Significance is the exact conditional test of two Poisson counts, without scipy: current | current + previous ~ Binomial(current + previous, 1/2); the two-sided p-value is
min(1, 2 x the smaller tail). The tail is the regularised incomplete beta I_1/2(n - k, k + 1), evaluated by its
continued fraction (modified Lentz) with the log of the prefactor from Stirling's series in a form without
cancellation, so p agrees with scipy.stats.binom to about 1e-13 (relative) while importing only numpy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sbp.metrics import intervals

_HALF_LOG_8PI = 0.5 * math.log(8 * math.pi)
_STIRLING_FROM = 15.0  # Stirling's series is exact to double precision from here; below, math.lgamma is
_MAX_STEPS = 100_000
_EPS = 1e-16
_TINY = 1e-300


def _stirling_rest(z: np.ndarray) -> np.ndarray:
    """lgamma(z) - ((z - 1/2) ln z - z + ln(2 pi) / 2)."""
    out = np.empty_like(z)
    big = z >= _STIRLING_FROM
    zb = z[big]
    r = 1.0 / (zb * zb)
    out[big] = (1 / 12 - r * (1 / 360 - r * (1 / 1260 - r * (1 / 1680 - r / 1188)))) / zb
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    out[~big] = [math.lgamma(v) - ((v - 0.5) * math.log(v) - v + half_log_2pi) for v in z[~big]]
    return out


def _log_prefactor(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ln( (1/2)^(a+b) / B(a, b) ), written as -u ln(1 - d^2) - s d atanh(d) terms that do not cancel."""
    s = a + b
    d = (a - b) / s
    u = (s - 1) / 2
    return (-(u * np.log1p(-d * d) + s * d * np.arctanh(d)) + 0.5 * np.log(s) - _HALF_LOG_8PI
            + _stirling_rest(s) - _stirling_rest(a) - _stirling_rest(b))


def _continued_fraction(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The continued fraction of I_x(a, b) at x = 1/2 (converges where 1/2 < (a + 1) / (a + b + 2))."""
    x = 0.5
    qab, qap, qam = a + b, a + 1, a - 1
    c = np.ones_like(a)
    d = 1 - qab * x / qap
    d = 1 / np.where(np.abs(d) < _TINY, _TINY, d)
    h = d.copy()
    active = np.arange(len(a))
    for m in range(1, _MAX_STEPS):
        if not len(active):
            break
        aa_, bb, qab_, qap_, qam_ = a[active], b[active], qab[active], qap[active], qam[active]
        cc, dd = c[active], d[active]
        m2 = 2 * m
        step = m * (bb - m) * x / ((qam_ + m2) * (aa_ + m2))
        dd = 1 + step * dd
        dd = 1 / np.where(np.abs(dd) < _TINY, _TINY, dd)
        cc = 1 + step / cc
        cc = np.where(np.abs(cc) < _TINY, _TINY, cc)
        factor = dd * cc
        step = -(aa_ + m) * (qab_ + m) * x / ((aa_ + m2) * (qap_ + m2))
        dd = 1 + step * dd
        dd = 1 / np.where(np.abs(dd) < _TINY, _TINY, dd)
        cc = 1 + step / cc
        cc = np.where(np.abs(cc) < _TINY, _TINY, cc)
        delta = dd * cc
        h[active] *= factor * delta
        c[active], d[active] = cc, dd
        active = active[np.abs(delta - 1) >= _EPS]
    return h


def p_values(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Two-sided exact p-value per pair of counts (float arrays, NaN = unknown); NaN where either is unknown.

    None in either year (n = 0) gives p = 1: no change.
    """
    cur = np.asarray(current, dtype="float64")
    total = cur + np.asarray(previous, dtype="float64")
    p = np.full(len(cur), np.nan)
    valid = ~np.isnan(total)
    p[valid] = 1.0
    k = np.minimum(cur, total - cur)  # by symmetry, the smaller tail
    # P(X <= k) >= 1/2 when 2k + 1 >= n, so p = 1 there; elsewhere the continued fraction converges.
    tail = valid & (2 * k + 1 < total)
    a, b = total[tail] - k[tail], k[tail] + 1
    p[tail] = np.minimum(1.0, 2.0 * np.exp(_log_prefactor(a, b)) * _continued_fraction(a, b) / a)
    return p


def pct_change(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """(current - previous) x 100 / previous; NaN when either is unknown or previous is not positive."""
    cur, prev = np.asarray(current, dtype="float64"), np.asarray(previous, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prev > 0, (cur - prev) * 100.0 / np.where(prev > 0, prev, 1.0), np.nan)


HIGHER, SIMILAR, LOWER, NOT_COMPARED = "significantly higher", "similar", "significantly lower", "not compared"
RISING, FALLING, STEADY = "increasing", "decreasing", "no significant change"


def benchmark(current: np.ndarray, lower: np.ndarray, upper: np.ndarray, comparator_rate: np.ndarray) -> list[str | None]:
    """Each area's rate against its comparator's: 'significantly higher' when the area's lower limit is above the
    comparator's rate, 'significantly lower' when its upper limit is below it, else 'similar' (a limit equal to the
    rate is similar); 'not compared' under intervals.BENCHMARK_MIN_COUNT offences; None when either rate is unknown.
    """
    cur, low, up = (np.asarray(v, dtype="float64") for v in (current, lower, upper))
    other = np.asarray(comparator_rate, dtype="float64")
    unknown = np.isnan(low) | np.isnan(up) | np.isnan(other)
    with np.errstate(invalid="ignore"):
        word = np.select([cur < intervals.BENCHMARK_MIN_COUNT, low > other, up < other],
                         [NOT_COMPARED, HIGHER, LOWER], SIMILAR).astype(object)
    word[unknown] = None
    return list(word)


def trend(z: np.ndarray, confidence: float) -> tuple[list[str | None], np.ndarray]:
    """(word, two-sided p-value) per trend statistic z (the chi-squared test for trend's signed root; NaN unknown):
    'increasing' / 'decreasing' when |z| exceeds the confidence level's normal quantile, else 'no significant change'.
    """
    z = np.asarray(z, dtype="float64")
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) if v == v else np.nan for v in z.tolist()], dtype="float64")
    critical = intervals.Z[intervals.level_of(confidence)]
    with np.errstate(invalid="ignore"):
        word = np.select([z > critical, z < -critical], [RISING, FALLING], STEADY).astype(object)
    word[np.isnan(z)] = None
    return list(word), p


def _sign(direction: Sequence[Any]) -> np.ndarray:
    """+1 where higher is worse (lower_is_better), -1 where higher is better."""
    return np.where(np.asarray(direction, dtype=object) == "higher_is_better", -1.0, 1.0)


def rag(current: np.ndarray, previous: np.ndarray, change: np.ndarray, pct: np.ndarray, comparator_pct: np.ndarray,
        significant: np.ndarray, direction: Sequence[Any], rule: str,
        benchmarked: Sequence[str | None] | None = None) -> list[str | None]:
    """Green / Amber / Red by the configured rule and each measure's direction; None without a comparison.

    Worse is a change the wrong way; under rule 'significance' worse and significant is Red, otherwise worse and
    beyond the comparator's % change is Red (significance decides when either % change is unknown). Under rule
    'benchmark' the rating is the comparison with the comparator (benchmarked, from benchmark()): significantly
    worse is Red, similar Amber, significantly better Green; None when not compared or unknown.
    """
    sign = _sign(direction)
    if rule == "benchmark":
        words = list(benchmarked) if benchmarked is not None else [None] * len(sign)
        worse = {HIGHER: 1.0, LOWER: -1.0}
        return [None if w not in (HIGHER, LOWER, SIMILAR) else
                "Amber" if w == SIMILAR else ("Red" if worse[w] * s > 0 else "Green") for w, s in zip(words, sign)]
    worse = np.asarray(change, dtype="float64") * sign > 0
    own, other = np.asarray(pct, dtype="float64") * sign, np.asarray(comparator_pct, dtype="float64") * sign
    sig = np.nan_to_num(np.asarray(significant, dtype="float64"), nan=0.0) > 0
    if rule == "significance":
        red = worse & sig
    else:
        compare = ~np.isnan(own) & ~np.isnan(other)
        red = worse & ((compare & (own > other)) | (~compare & sig))
    unknown = np.isnan(np.asarray(previous, dtype="float64")) | np.isnan(np.asarray(current, dtype="float64"))
    return [None if u else ("Green" if not w else ("Red" if r else "Amber")) for u, w, r in zip(unknown, worse, red)]


def significance(current: np.ndarray, previous: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(p-value, significant as 1.0 / 0.0, NaN when unknown) per pair of counts."""
    p = p_values(current, previous)
    with np.errstate(invalid="ignore"):
        return p, np.where(np.isnan(p), np.nan, (p < alpha).astype("float64"))


def places_moved(rank: np.ndarray, rank_previous: np.ndarray) -> np.ndarray:
    """Places moved up the table since the year before (positive: up); NaN when either rank is unknown."""
    return np.asarray(rank_previous, dtype="float64") - np.asarray(rank, dtype="float64")


def share_of_parent(keys: Sequence[tuple], current: np.ndarray, parent_ids: Sequence[str | None]) -> np.ndarray:
    """Each row's count as a % of its parent measure's count for the same area and end month (NaN without one).

    keys: (measure_id, area_name, borough, end_month) per row; the parent's row is found among the same rows.
    """
    cur = np.asarray(current, dtype="float64")
    counts = dict(zip(keys, cur))
    out = np.full(len(cur), np.nan)
    for i, (key, parent) in enumerate(zip(keys, parent_ids)):
        if parent is None:
            continue
        base = counts.get((parent, *key[1:]), np.nan)
        if base > 0:
            out[i] = cur[i] * 100.0 / base
    return out


def finish(columns: Mapping[str, Any], parents: Mapping[str, str], alpha: float, rule: str,
           confidence: float = 95.0) -> dict[str, Any]:
    """The rules' columns for a comparison's rows, from its columns as arrays (numbers as float64, NaN unknown).

    confidence: the benchmark_confidence setting (95 or 99.8), the level of the comparison and the trend test.
    """
    comparator_pct = pct_change(columns["comparator_current"], columns["comparator_previous"])
    p, significant = significance(columns["current"], columns["previous"], alpha)
    parent_ids = [parents.get(m) for m in columns["measure_id"]]
    keys = list(zip(columns["measure_id"], columns["area_name"], columns["borough"], columns["end_month"]))
    level = intervals.level_of(confidence)
    benchmarked = benchmark(columns["current"], columns[f"rate_lower_{level}_per_1000"],
                            columns[f"rate_upper_{level}_per_1000"], columns["comparator_rate_per_1000"])
    trend_word, trend_p = trend(columns["trend_z"], confidence)
    return {
        "comparator_pct_change": comparator_pct, "p_value": p, "significant": significant,
        "benchmark": benchmarked, "trend": trend_word, "trend_p_value": trend_p,
        "rag": rag(columns["current"], columns["previous"], columns["change"], columns["pct_change"], comparator_pct,
                   significant, columns["direction"], rule, benchmarked),
        "places_moved": places_moved(columns["rank"], columns["rank_previous"]),
        "parent_id": parent_ids,
        "share_of_parent_pct": share_of_parent(keys, columns["current"], parent_ids) if parents else
        np.full(len(parent_ids), np.nan),
    }
