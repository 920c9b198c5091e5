"""Rate intervals, the comparison with the comparator and the trend on the shared real files (skips without them):
every measure with a rate shows its limits and word on the board table, the rankings table, the cards and the report,
and the figures agree with sums taken straight from the CSVs with the csv module and scipy's quantiles."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import chi2, norm

from sbp import metrics, store
from sbp.config import default_config
from sbp.display import boardtable, formatting, pageviews
from sbp.ingest import ingest
from sbp.metrics import intervals, rules
from sbp.report.model import build_model
from tests.conftest import REAL_MPS, REAL_POPULATION, SHARED

END = dt.date(2023, 11, 1)
HISTORY = SHARED / "mps" / "mps_borough_level_crime_2010-04_to_2021-11.csv"
AIRPORTS = "London Heathrow and London City Airports"


def monthly_by_borough(paths: list[Path], major: str) -> dict[str, dict[str, int]]:
    """{borough: {YYYYMM: count}} of one major category, from the wide CSVs (a later file's months win)."""
    out: dict[str, dict[str, int]] = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            header = next(rows)
            months = header[3:]
            sums: dict[str, dict[str, int]] = {}
            for row in rows:
                if row[0] == major:
                    own = sums.setdefault(row[2], {})
                    for month, cell in zip(months, row[3:]):
                        own[month] = own.get(month, 0) + int(cell or 0)
        for borough, counts in sums.items():
            out.setdefault(borough, {}).update(counts)
    return out


def year_sum(counts: dict[str, int], end: dt.date) -> int:
    """The 12 months to end."""
    months = [(end.year * 12 + end.month - 1 - i) for i in range(12)]
    return sum(counts[f"{m // 12}{m % 12 + 1:02d}"] for m in months)


def populations() -> dict[str, float]:
    with open(REAL_POPULATION, newline="", encoding="utf-8") as handle:
        return {r["borough"]: float(r["population"]) for r in csv.DictReader(handle)}


def scipy_limits(count: int, population: float, level: str) -> tuple[float, float]:
    """Exact Poisson limits (scipy) under 10, else Byar's with scipy's z, per 1,000."""
    alpha = {"95": 0.05, "998": 0.002}[level]
    if count < 10:
        lower = chi2.ppf(alpha / 2, 2 * count) / 2 if count else 0.0
        upper = chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    else:
        z = norm.isf(alpha / 2)
        lower = count * (1 - 1 / (9 * count) - z / (3 * math.sqrt(count))) ** 3
        upper = (count + 1) * (1 - 1 / (9 * (count + 1)) + z / (3 * math.sqrt(count + 1))) ** 3
    return lower * 1000 / population, upper * 1000 / population


def test_bromley_burglary_interval_and_comparison_agree_with_the_csv(real_store: Path) -> None:
    """Bromley's and London's burglary counts summed from the CSV, the limits from scipy, the word from them."""
    counts = monthly_by_borough([REAL_MPS], "Burglary")
    pops = populations()
    bromley = year_sum(counts["Bromley"], END)
    london = sum(year_sum(c, END) for c in counts.values())
    london_rate = london * 1000 / sum(pops.values())
    with store.connect_read(real_store) as con:
        got = metrics.metric(con, "Bromley", END, default_config().measures["burglary"])
    assert got["current"] == bromley == 1604
    assert got["comparator_rate_per_1000"] == pytest.approx(london_rate, rel=1e-12)
    for level in intervals.LEVELS:
        lower, upper = scipy_limits(bromley, pops["Bromley"], level)
        assert got[f"rate_lower_{level}_per_1000"] == pytest.approx(lower, rel=1e-12)
        assert got[f"rate_upper_{level}_per_1000"] == pytest.approx(upper, rel=1e-12)
    lower, upper = scipy_limits(bromley, pops["Bromley"], "95")
    want = rules.HIGHER if lower > london_rate else rules.LOWER if upper < london_rate else rules.SIMILAR
    assert got["benchmark"] == want == rules.LOWER and got["benchmark_confidence"] == 95.0
    assert got["trend"] is None  # 24 months loaded: five years are not


def test_every_measure_with_a_rate_shows_its_interval_and_word_everywhere(real_store: Path) -> None:
    """Board table, Overview CSV, cards, rankings table and report: limits and a comparison word (never n/a) for
    every measure with a rate; n/a for those without, never a number."""
    config = default_config()
    with store.connect_read(real_store) as con:
        headline = metrics.headline(con, "Bromley", END)
        report = build_model(con, END, "Bromley")
        with_rate = headline[headline["rate_per_1000"].notna()]
        assert len(with_rate) >= 10
        table = boardtable.board_table(headline, END)
        for i, row in headline.iterrows():
            cells = {c: boardtable.cell_text(table, c, table.iloc[i][c]) for c in table.columns}
            has_rate = not formatting.is_missing(row["rate_per_1000"])
            for column in ("Lower 95%", "Upper 95%", "Rate vs London"):
                assert (cells[column] != formatting.NA) == has_rate, (row["measure_id"], column, cells[column])
            if has_rate:
                assert float(cells["Lower 95%"]) < float(cells["Rate per 1,000"]) < float(cells["Upper 95%"])
                assert cells["Rate vs London"] in ("Significantly lower (better)", "Significantly higher (worse)",
                                                   "Similar", "Not compared",
                                                   "Significantly lower (worse)", "Significantly higher (better)")
                card = pageviews.benchmark_card(row, row["measure_label"], "London")
                assert cells["Rate vs London"] in card and f"95% interval {cells['Lower 95%']} to " in card
        data = boardtable.board_csv(headline, END, config.priorities)
        shown = data[data["Category"].isin(with_rate["measure_label"])]
        assert shown[["Lower 95%", "Upper 95%", "Lower 99.8%", "Upper 99.8%"]].notna().all().all()
        assert (shown["Lower 99.8%"] <= shown["Lower 95%"]).all() and (shown["Upper 95%"] <= shown["Upper 99.8%"]).all()

        for measure_id in with_rate["measure_id"]:
            league = metrics.league(con, config.measures[measure_id], END)
            ranked = pageviews.rankings_table(league, list(league["area_name"]), "London", "offences")
            assert AIRPORTS not in set(ranked["Borough"])
            assert len(ranked) == 32 and ranked[["Lower 95%", "Upper 95%"]].notna().all().all(), measure_id
            assert ranked["Rate vs London"].notna().all(), measure_id
            # The word agrees with the limits and London's rate on every row.
            london = league["comparator_rate_per_1000"].iloc[0]
            for _, r in league.iterrows():
                want = (rules.NOT_COMPARED if r["current"] < intervals.BENCHMARK_MIN_COUNT else
                        rules.HIGHER if r["rate_lower_95_per_1000"] > london else
                        rules.LOWER if r["rate_upper_95_per_1000"] < london else rules.SIMILAR)
                assert r["benchmark"] == want, (measure_id, r["area_name"])

    appendix = {r["Measure"]: r for r in report.intervals}
    for _, row in headline.iterrows():
        if row["measure_id"] not in {r.id for s in report.priorities for r in s.rows}:
            continue
        entry = appendix[row["measure_label"]]
        has_rate = not formatting.is_missing(row["rate_per_1000"])
        for column in ("95% interval", "99.8% interval", "Rate vs London"):
            assert (entry[column] != formatting.NA) == has_rate, (row["measure_id"], column, entry[column])
    for section in report.priorities:
        column = section.columns.index("Rate vs London")
        for r in section.rows:
            assert (r.cells[column].text != formatting.NA) == r.has_data and (r.cells[column].colours is not None)


@pytest.fixture(scope="module")
def long_store(tmp_path_factory) -> Path:
    """164 months of MPS borough data (2010-2021 history and the 2021-23 file) with populations, or skip."""
    if not (HISTORY.is_file() and REAL_MPS.is_file() and REAL_POPULATION.is_file()):
        pytest.skip(f"the shared real files are absent ({HISTORY.parent})")
    db = tmp_path_factory.mktemp("long-store") / "sbp.duckdb"
    ingest([HISTORY, REAL_MPS, REAL_POPULATION], db=db)
    return db


def test_trend_over_five_years_agrees_with_armitages_test_from_the_csv(long_store: Path) -> None:
    """Every borough's burglary trend to Nov 2023: the statistic from five yearly sums taken from the CSVs (one
    Census population each year: the one loaded) by Armitage's test for trend, and the word from it."""
    counts = monthly_by_borough([HISTORY, REAL_MPS], "Burglary")
    pops = populations()
    with store.connect_read(long_store) as con:
        league = metrics.league(con, default_config().measures["burglary"], END)
    assert league["trend"].notna().all() and len(league) == 32
    for _, r in league.iterrows():
        years = np.array([year_sum(counts[r["area_name"]], dt.date(2023 - k, 11, 1)) for k in range(5)], dtype=float)
        x = np.array([2, 1, 0, -1, -2], dtype=float)
        n = np.full(5, pops[r["area_name"]])
        p = years.sum() / n.sum()
        score = (x * years).sum() - p * (x * n).sum()
        armitage = score / math.sqrt(p * (1 - p) * ((x * x * n).sum() - (x * n).sum() ** 2 / n.sum()))
        assert r["trend_z"] == pytest.approx(armitage * math.sqrt(1 - p), rel=1e-9), r["area_name"]
        want = (rules.RISING if r["trend_z"] > 1.959963984540054 else
                rules.FALLING if r["trend_z"] < -1.959963984540054 else rules.STEADY)
        assert r["trend"] == want
        assert r["trend_p_value"] == pytest.approx(math.erfc(abs(r["trend_z"]) / math.sqrt(2)), rel=1e-12)
    with store.connect_read(long_store) as con:
        headline = metrics.headline(con, "Bromley", END)
    table = boardtable.board_table(headline, END)
    burglary = table[table["Category"] == "Total burglary"].iloc[0]
    assert burglary["5-year trend"] == formatting.trend_label(league.set_index("area_name").loc["Bromley", "trend"])


def test_rag_rule_benchmark_rates_the_level_against_the_comparator(real_store: Path) -> None:
    """rag_rule = 'benchmark' (computed live: the stored cube was built under 'london'): Red exactly where the rate is
    significantly worse than London's, Green where better, Amber where similar, none where not compared or unknown;
    at benchmark_confidence 99.8 the words are decided on the 99.8% limits."""
    from sbp.config.settings import load_settings

    with store.connect_read(real_store) as con:
        for confidence in (95, 99.8):
            settings = {**load_settings(), "rag_rule": "benchmark", "benchmark_confidence": confidence}
            rows = metrics.headline(con, "Bromley", END, settings=settings)
            suffix = intervals.level_of(confidence)
            for _, r in rows.iterrows():
                label = formatting.benchmark_label(r["benchmark"], r["direction"])
                want = {"Similar": "Amber"}.get(label) or ("Red" if "(worse)" in label else
                                                          "Green" if "(better)" in label else None)
                assert r["rag"] == want, (confidence, r["measure_id"], r["benchmark"], r["rag"])
                if not formatting.is_missing(r["rate_per_1000"]) and r["current"] >= intervals.BENCHMARK_MIN_COUNT:
                    london = r["comparator_rate_per_1000"]
                    lower, upper = r[f"rate_lower_{suffix}_per_1000"], r[f"rate_upper_{suffix}_per_1000"]
                    assert r["benchmark"] == (rules.HIGHER if lower > london else rules.LOWER if upper < london
                                              else rules.SIMILAR)
            assert (rows["benchmark_confidence"] == confidence).all()
            assert rows["rag"].notna().sum() >= 10  # every measure with a rate and enough offences is rated
