"""The indicator-profile figures: funnel limits against scipy's exact Poisson (and negative binomial) quantiles,
Spiegelhalter's over-dispersion on a hand-worked example, and the spine summaries on a hand-computed fixture."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import nbinom, poisson

from sbp.config import Measure
from sbp.metrics import profile
from tests.conftest import examples

TAILS = (0.001, 0.025, 0.975, 0.999)  # the 99.8% and 95% limits' two sides


def interpolated(cdf, p: float, top: int) -> float:
    """Where the cumulative probability, drawn as straight lines through (k, F(k)) from (-1, 0), reaches p."""
    k = np.arange(-1, top + 1)
    return float(np.interp(p, np.concatenate([[0.0], cdf(k[1:])]), k))


@pytest.mark.parametrize("mean", [0.0, 0.01, 0.5, 1.0, 3.7, 10.0, 99.5, 1234.5, 50_000.0])
@pytest.mark.parametrize("p", TAILS)
def test_the_poisson_limit_is_the_interpolated_exact_quantile(mean, p):
    got = float(profile.count_quantile(np.array([mean]), p)[0])
    top = int(poisson.ppf(0.9999999, mean)) + 2
    assert got == pytest.approx(interpolated(lambda k: poisson.cdf(k, mean), p, top), abs=1e-9)
    # the limit lies in the step below the exact quantile: ceil(limit) is scipy's ppf
    assert np.ceil(got - 1e-12) == poisson.ppf(p, mean)


@settings(max_examples=examples(200), deadline=None)
@given(mean=st.one_of(st.integers(0, 5).map(float), st.floats(0.001, 20_000)), p=st.sampled_from(TAILS))
def test_the_poisson_limit_matches_scipy_for_any_mean(mean, p):
    got = float(profile.count_quantile(np.array([mean]), p)[0])
    r = poisson.ppf(p, mean)
    assert r - 1 < got + 1e-9 and got <= r + 1e-9
    step = poisson.pmf(r, mean)
    if step > 1e-12:  # where the step is visible, the line through it reaches p exactly at the limit
        assert poisson.cdf(r - 1, mean) + (got - (r - 1)) * step == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("mean,phi", [(0.5, 2.0), (12.0, 3.0), (340.0, 15.7), (5000.0, 1.5)])
@pytest.mark.parametrize("p", TAILS)
def test_the_overdispersed_limit_is_the_negative_binomial_quantile(mean, phi, p):
    size, prob = mean / (phi - 1), 1 / phi  # mean size (1 - prob) / prob = mean, variance mean / prob = phi x mean
    assert nbinom.mean(size, prob) == pytest.approx(mean) and nbinom.var(size, prob) == pytest.approx(phi * mean)
    got = float(profile.count_quantile(np.array([mean]), p, phi)[0])
    top = int(nbinom.ppf(0.9999999, size, prob)) + 2
    assert got == pytest.approx(interpolated(lambda k: nbinom.cdf(k, size, prob), p, top), abs=1e-9)


def test_the_funnel_narrows_with_population_and_never_goes_below_zero():
    limits = profile.funnel_limits(1.0, np.array([1_000, 10_000, 100_000, 1_000_000]))
    assert (limits["lower_998"] <= limits["lower_95"]).all() and (limits["upper_95"] <= limits["upper_998"]).all()
    assert limits["upper_998"].is_monotonic_decreasing and limits["lower_998"].is_monotonic_increasing
    assert (limits.filter(like="lower") >= 0).all().all()
    # 1,000,000 people at 1 per 1,000: 1,000 expected; the 95% limits are about 1,000 +- 1.96 x sqrt(1,000)
    assert limits["upper_95"].iloc[-1] * 1000 == pytest.approx(1000 + 1.96 * 1000 ** 0.5, abs=1.5)
    assert limits["lower_95"].iloc[-1] * 1000 == pytest.approx(1000 - 1.96 * 1000 ** 0.5, abs=1.5)


def test_the_overdispersion_is_the_mean_squared_winsorised_z_score():
    # E = 100 everywhere, so z = (O - 100) / 10. Sorted z: -3 -2 -1 0 0 0 1 2 3 10; numpy's 10th and 90th
    # percentiles (linear) are -3 + 0.9 x 1 = -2.1 and 3 + 0.1 x 7 = 3.7, so the winsorised z-scores are
    # -2.1 -2 -1 0 0 0 1 2 3 3.7, whose squares sum to 4.41 + 4 + 1 + 1 + 4 + 9 + 13.69 = 37.1: phi = 3.71.
    z = np.array([-3, -2, -1, 0, 0, 0, 1, 2, 3, 10])
    assert profile.dispersion(100 + 10 * z, np.full(10, 100.0)) == pytest.approx(3.71)


def comparison_rows(rates: dict[str, list[float | None]], comparator: dict[str, float | None],
                    group: str = "London") -> pd.DataFrame:
    """Comparison rows for measures x areas A..E of one group, with given rates per 1,000 and comparator rates."""
    areas = ["A", "B", "C", "D", "E"]
    return pd.DataFrame([{"measure_id": m, "area_name": a, "comparator_name": group, "rate_per_1000": r,
                          "comparator_rate_per_1000": comparator[m]}
                         for m, values in rates.items() for a, r in zip(areas, values)])


def test_the_spine_summary_on_a_hand_computed_fixture():
    measures = [Measure(id="crime", label="Crime"), Measure(id="reports", label="Reports", direction="higher_is_better"),
                Measure(id="missing", label="Missing")]
    rows = comparison_rows({"crime": [2.0, 4.0, 6.0, 8.0, None], "reports": [1.0, 2.0, 3.0, 4.0, 10.0],
                            "missing": [None] * 5}, {"crime": 5.0, "reports": 4.0, "missing": None})
    out = profile.spine_summary(rows, "B", "London", measures).set_index("measure_id")
    crime = out.loc["crime"]
    # Four rates 2, 4, 6, 8 (E unknown, left out): quartiles at positions 0.75 and 2.25 -> 3.5 and 6.5.
    assert (crime["areas"], crime["lowest"], crime["lower_quartile"], crime["upper_quartile"], crime["highest"]) == (
        4, 2.0, 3.5, 6.5, 8.0)
    # Lower is better: worst is the highest (8), best the lowest (2). The comparator (5) is the centre, the farther
    # end 3 away: 8 -> 0.5 - 3/6 = 0, 2 -> 0.5 + 3/6 = 1, 6.5 -> 0.25, 3.5 -> 0.75, B's 4 -> 0.5 + 1/6.
    assert (crime["worst"], crime["best"], crime["worst_quartile"], crime["best_quartile"]) == (8.0, 2.0, 6.5, 3.5)
    assert crime[["worst_position", "worst_quartile_position", "best_quartile_position", "best_position"]].tolist() == [
        0.0, 0.25, 0.75, 1.0]
    assert crime["area_position"] == pytest.approx(0.5 + 1 / 6) and crime["area_rate"] == 4.0
    reports = out.loc["reports"]
    # Higher is better: worst is the lowest (1), best the highest (10); quartiles 2 and 4; the comparator 4 is 6 from
    # the best and 3 from the worst, so 10 -> 1, 1 -> 0.5 - 3/12 = 0.25, B's 2 -> 0.5 - 2/12.
    assert (reports["worst"], reports["best"], reports["lower_quartile"], reports["upper_quartile"]) == (1.0, 10.0, 2.0, 4.0)
    assert reports["best_position"] == 1.0 and reports["worst_position"] == pytest.approx(0.25)
    assert reports["area_position"] == pytest.approx(0.5 - 2 / 12)
    missing = out.loc["missing"]
    assert missing["areas"] == 0 and pd.isna(missing["area_position"]) and missing["reason"] == \
        "no London rate for this period"
    assert list(out.index) == ["crime", "reports", "missing"]  # the order asked for
    assert set(out["comparison"]) == {"not compared"}  # without a comparison column


def test_a_spine_row_whose_areas_all_share_the_comparators_rate_is_a_point_in_the_middle():
    rows = comparison_rows({"flat": [3.0] * 5}, {"flat": 3.0})
    out = profile.spine_summary(rows, "A", "London", [Measure(id="flat", label="Flat")])
    assert out.loc[0, ["worst_position", "best_position", "area_position"]].tolist() == [0.5, 0.5, 0.5]


def test_the_spine_counts_only_the_areas_own_group():
    rows = pd.concat([comparison_rows({"crime": [1.0, 2.0, 3.0, 4.0, 5.0]}, {"crime": 3.0}),
                      comparison_rows({"crime": [50.0] * 5}, {"crime": 50.0}, group="Elsewhere")])
    out = profile.spine_summary(rows, "C", "London", [Measure(id="crime", label="Crime")])
    assert (out.loc[0, "areas"], out.loc[0, "highest"]) == (5, 5.0)


def funnel_rows(counts: list[int], populations: list[int], comparator_rate: float) -> pd.DataFrame:
    return pd.DataFrame({"area_name": [f"Area {i}" for i in range(len(counts))], "current": counts,
                         "population": populations,
                         "rate_per_1000": [c * 1000 / p for c, p in zip(counts, populations)],
                         "comparator_rate_per_1000": comparator_rate})


def test_each_area_is_placed_against_the_limits_at_its_own_population():
    # 1 per 1,000 and 100,000 people: 100 expected. scipy: the 97.5% quantile is 120 and the 99.9% 132.
    assert poisson.ppf(0.975, 100) == 120 and poisson.ppf(0.999, 100) == 132
    rows = funnel_rows([100, 119, 125, 140, 60], [100_000] * 5, 1.0)
    shown = profile.funnel_of(rows, Measure(id="m", label="M"), dt.date(2023, 7, 1), "London", overdispersed=False)
    assert shown.points["position"].tolist() == ["within the 95% limits", "within the 95% limits",
                                                 "above the 95% limit", "above the 99.8% limit",
                                                 "below the 99.8% limit"]
    assert shown.dispersion > 1 and not shown.overdispersed and shown.method == profile.FUNNEL_POISSON
    widened = profile.funnel_of(rows, Measure(id="m", label="M"), dt.date(2023, 7, 1), "London", overdispersed=True)
    assert widened.overdispersed and widened.dispersion == pytest.approx(shown.dispersion)
    assert (widened.limits["upper_95"] > shown.limits["upper_95"]).all()
    assert widened.points["position"].str.startswith("within").sum() > 2


def test_no_funnel_without_a_comparator_rate_or_two_areas():
    measure, end = Measure(id="m", label="M"), dt.date(2023, 7, 1)
    rows = funnel_rows([10, 20], [1000, 2000], 1.0)
    assert profile.funnel_of(rows.assign(comparator_rate_per_1000=None), measure, end, "London", False).reason == \
        "no comparator rate for this period"
    assert profile.funnel_of(rows.iloc[:1], measure, end, "London", False).reason == \
        "fewer than two areas have a rate for this period"


def test_the_spine_carries_each_areas_comparison_word():
    rows = comparison_rows({"crime": [2.0, 4.0, 6.0, 8.0, 9.0]}, {"crime": 5.0}).assign(
        benchmark=["significantly lower", "similar", None, "significantly higher", "not compared"])
    measures = [Measure(id="crime", label="Crime")]
    words = [profile.spine_summary(rows, a, "London", measures).loc[0, "comparison"] for a in "ABCDE"]
    assert words == ["significantly lower", "similar", "not compared", "significantly higher", "not compared"]


def spine_frame(label: str = "Crime") -> pd.DataFrame:
    measures = [Measure(id="crime", label=label), Measure(id="reports", label="Reports", direction="higher_is_better")]
    rows = comparison_rows({"crime": [2.0, 4.0, 6.0, 8.0, None], "reports": [1.0, 2.0, 3.0, 4.0, 10.0]},
                           {"crime": 5.0, "reports": 4.0}).assign(
        benchmark=["significantly lower"] * 5 + ["significantly lower"] * 5, benchmark_confidence=99.8)
    return profile.spine_summary(rows, "A", "London", measures)


def layer_data(spec: dict, field: str) -> list[dict]:
    """The rows of the spec's dataset that has field."""
    return next(rows for rows in spec["datasets"].values() if rows and field in rows[0])


def test_the_spine_chart_colours_the_marker_as_the_board_table_words_it():
    from sbp.display import charts, formatting

    spec = charts.to_spec(charts.spine_chart(spine_frame("<b>Crime</b>"), "<i>A</i>", "London"))
    rows = layer_data(spec, "comparison")
    # lower crime is better, fewer reports worse: the same word, opposite meanings, as the board table says them
    assert [r["comparison"] for r in rows] == ["Significantly lower (better)", "Significantly lower (worse)"]
    marker = next(layer for layer in spec["layer"] if layer["mark"].get("type") == "point")
    scale = marker["encoding"]["color"]["scale"]
    assert scale["domain"] == ["Significantly lower (worse)", "Significantly lower (better)"]
    assert scale["range"] == [formatting.RAG_STYLE["Red"][0], formatting.RAG_STYLE["Green"][0]]
    assert marker["encoding"]["color"]["legend"]["title"] == "A compared with London (99.8% confidence)"
    assert rows[0]["measure_label"] == "<b>Crime</b>"  # a name from the data stays data
    assert "<i>" not in json.dumps(spec["title"]) and [r["values_text"] for r in rows] == ["2.00  (5.00)", "1.00  (4.00)"]


def test_the_funnel_chart_names_only_the_focus_and_states_its_limits():
    from sbp.display import charts

    rows = funnel_rows([100, 119, 125, 140, 60], [100_000, 90_000, 110_000, 120_000, 80_000], 1.0)
    shown = profile.funnel_of(rows, Measure(id="m", label="M"), dt.date(2023, 7, 1), "London", overdispersed=True)
    spec = charts.to_spec(charts.funnel_chart(shown, "Area 2"))
    labels = [layer for layer in spec["layer"] if layer["mark"].get("type") == "text"]
    assert len(labels) == 1 and [r["area_name"] for r in spec["datasets"][labels[0]["data"]["name"]]] == ["Area 2"]
    assert f"phi = {shown.dispersion:,.1f}, multiplicative" in " ".join(spec["title"]["subtitle"])
    assert set(r["limit"] for r in layer_data(spec, "limit")) == {"95% limits", "99.8% limits"}
