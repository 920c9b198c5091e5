"""The comparison rules on plain arrays (sbp/metrics/rules.py): the exact test agrees with scipy, RAG as documented."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import binom

from sbp.metrics import rules


def scipy_p(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The two-sided exact conditional test as scipy computes it."""
    n = current + previous
    return np.minimum(1.0, 2.0 * np.minimum(binom.cdf(current, n, 0.5), binom.sf(current - 1, n, 0.5)))


def test_p_values_agree_with_scipy_from_small_to_london_sized_counts() -> None:
    """Every pair from 0 to 60 each way, and large pairs near and far from even, agree to 1e-12 relative where p is
    above 1e-10 and to 1e-11 down to 1e-250 (London-sized counts lose a few digits there)."""
    small = np.array([(x, y) for x in range(61) for y in range(61)], dtype="float64")
    rng = np.random.default_rng(22)
    base = rng.integers(100, 900_000, 400).astype("float64")
    large = np.column_stack([base, np.round(base * rng.uniform(0.9, 1.1, 400))])
    pairs = np.vstack([small, large])
    want, got = scipy_p(pairs[:, 0], pairs[:, 1]), rules.p_values(pairs[:, 0], pairs[:, 1])
    meaningful = want > 1e-250  # both underflow towards 0 below
    assert np.allclose(got[meaningful], want[meaningful], rtol=1e-11, atol=0)
    shown = want > 1e-10
    assert np.allclose(got[shown], want[shown], rtol=1e-12, atol=0)
    assert np.all(np.abs(got[~meaningful] - want[~meaningful]) < 1e-250)
    assert np.array_equal(got < 0.05, want < 0.05)


def test_p_value_unknown_and_zero_counts() -> None:
    """Unknown either year gives NaN; none in either year gives p = 1 (no change)."""
    p = rules.p_values(np.array([np.nan, 3.0, 0.0]), np.array([4.0, np.nan, 0.0]))
    assert np.isnan(p[0]) and np.isnan(p[1]) and p[2] == 1.0


@pytest.mark.parametrize(("rule", "own", "other", "significant", "want"), [
    ("comparator", 10.0, 5.0, 0.0, "Red"),      # worse, and worse than the comparator
    ("comparator", 3.0, 5.0, 1.0, "Amber"),     # worse, but better than the comparator
    ("comparator", 3.0, np.nan, 1.0, "Red"),    # no comparator change: significance decides
    ("significance", 10.0, 5.0, 0.0, "Amber"),  # worse, not significant
    ("significance", 10.0, 5.0, 1.0, "Red"),
])
def test_rag_for_a_rise_in_a_lower_is_better_measure(rule: str, own: float, other: float, significant: float,
                                                      want: str) -> None:
    """A rise is worse for a lower-is-better measure; how red it is follows the rule."""
    got = rules.rag(np.array([110.0]), np.array([100.0]), np.array([10.0]), np.array([own]), np.array([other]),
                    np.array([significant]), ["lower_is_better"], rule)
    assert got == [want]


def test_rag_green_when_better_and_none_when_unknown() -> None:
    """A fall in a lower-is-better measure is Green; an unknown year gives no rating."""
    got = rules.rag(np.array([90.0, np.nan]), np.array([100.0, 100.0]), np.array([-10.0, np.nan]),
                    np.array([-10.0, np.nan]), np.array([5.0, 5.0]), np.array([1.0, np.nan]),
                    ["lower_is_better", "lower_is_better"], "comparator")
    assert got == ["Green", None]


@pytest.mark.parametrize(("module", "absent"), [
    ("sbp.ingest.load", ("pandas", "scipy", "pyarrow")),   # an ingest of CSV files
    ("sbp.cli", ("pandas", "scipy", "pyarrow", "numpy")),  # every command's start-up (status, ingest, ...)
    ("sbp.metrics.materialized", ("pandas", "scipy")),
    ("sbp.store.status", ("pandas", "scipy", "pyarrow", "numpy")),  # what `status` reads with
])
def test_start_up_imports_stay_light(module: str, absent: tuple[str, ...]) -> None:
    """The command line and an ingest start without the heavy libraries (what fast start rests on)."""
    code = f"import sys, {module}; print(','.join(m for m in {absent!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
