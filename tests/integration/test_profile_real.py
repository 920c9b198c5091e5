"""The spine summaries and the funnel on the real MPS borough extract and Census 2021 populations, against pandas
working from the raw CSV (rolling year Dec 2022 to Nov 2023)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sbp import store
from sbp.config import default_config
from sbp.metrics import profile
from tests.conftest import REAL_MPS, REAL_POPULATION

MONTHS = [f"{2022 + (11 + i) // 12}{(11 + i) % 12 + 1:02d}" for i in range(12)]  # 202212 ... 202311


def raw_rates(major: str | None) -> tuple[pd.Series, float]:
    """Each borough's rolling-year rate per 1,000 for a major category (None: every category) from the raw files,
    and London's: every area's offences (the airports included) over the boroughs' populations."""
    raw = pd.read_csv(REAL_MPS)
    rows = raw if major is None else raw[raw["MajorText"] == major]
    counts = rows.groupby("LookUp_BoroughName")[MONTHS].sum().sum(axis=1)
    population = pd.read_csv(REAL_POPULATION).set_index("borough")["population"]
    rates = (counts[population.index] * 1000 / population).astype(float)
    return rates, float(counts.sum() * 1000 / population.sum())


@pytest.mark.parametrize("measure_id,major", [("burglary", "Burglary"), ("total_notifiable_offences", None),
                                              ("sexual_offences", "Sexual Offences")])
def test_the_spine_summary_matches_pandas_on_the_raw_extract(real_store, measure_id, major):
    rates, london = raw_rates(major)
    with store.connect_read(real_store) as con:
        row = profile.spine(con, "Bromley", "2023-11", [measure_id]).iloc[0]
    assert row["areas"] == len(rates) == 32
    assert row["lowest"] == pytest.approx(rates.min()) and row["highest"] == pytest.approx(rates.max())
    assert row["lower_quartile"] == pytest.approx(rates.quantile(0.25))
    assert row["upper_quartile"] == pytest.approx(rates.quantile(0.75))
    assert row["comparator_rate"] == pytest.approx(london) and row["area_rate"] == pytest.approx(rates["Bromley"])
    # Lower is better: worst is the highest rate, on the left; the comparator in the middle
    half = max(rates.max() - london, london - rates.min())
    assert (row["worst"], row["best"]) == (row["highest"], row["lowest"])
    assert row["area_position"] == pytest.approx(0.5 - (rates["Bromley"] - london) / (2 * half))
    assert min(row["worst_position"], 1 - row["best_position"]) == pytest.approx(0, abs=1e-12)


def test_the_funnel_places_every_borough_as_the_limits_say(real_store):
    from scipy.stats import poisson

    rates, london = raw_rates("Burglary")
    population = pd.read_csv(REAL_POPULATION).set_index("borough")["population"]
    with store.connect_read(real_store) as con:
        shown = profile.funnel(con, default_config().measures["burglary"], "2023-11", "Bromley")
    points = shown.points.set_index("area_name")
    assert len(points) == 32 and shown.comparator_rate == pytest.approx(london)
    expected = london * population / 1000
    counts = (rates * population / 1000).round()
    # The interpolated limit lies in the step below scipy's exact quantile r (r - 1 < limit <= r), so a whole count is
    # above it exactly when it reaches r (and below the lower one exactly when it is under the lower quantile).
    above = counts >= poisson.ppf(0.999, expected)
    below = counts < poisson.ppf(0.001, expected)
    assert set(points.index[points["position"] == "above the 99.8% limit"]) == set(counts.index[above])
    assert set(points.index[points["position"] == "below the 99.8% limit"]) == set(counts.index[below])
    assert above.sum() + below.sum() > 10  # burglary varies far beyond chance between boroughs
    assert np.isfinite(shown.dispersion) and shown.dispersion > 1  # boroughs differ far more than chance
