"""Rolling-year comparisons, rates, ranks, London, significance and RAG against hand-computed figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sbp.metrics import materialized as cube
from sbp.metrics.groups import area_groups
from sbp.config.settings import load_settings
from sbp import metrics, store
from sbp.config import Measure
from sbp.errors import PeriodError, UnknownNameError
from sbp.ingest import ingest
from tests.conftest import store_of

MONTHS = [f"{y}{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
AIRPORTS = "London Heathrow and London City Airports"


def row(major: str, minor: str, area: str, year1: list[int], year2: list[int]) -> str:
    return ",".join([major, minor, area, *map(str, year1 + year2)])


FIXTURE = "\n".join([
    "MajorText,MinorText,LookUp_BoroughName," + ",".join(MONTHS),
    row("Burglary", "Domestic Burglary", "A", [10] * 12, [12] * 12),        # 120 -> 144, +20%
    row("Burglary", "Burglary Business and Community", "A", [1] * 12, [1] * 12),
    row("Burglary", "Domestic Burglary", "B", [5] * 12, [4] * 12),          # 60 -> 48, -20%
    row("Burglary", "Burglary Business and Community", "B", [0] * 12, [0] * 12),
    row("Burglary", "Domestic Burglary", "C", [10] * 12, [11] * 6 + [10] * 6),  # 120 -> 126, +5%
    row("Burglary", "Domestic Burglary", AIRPORTS, [1] * 12, [1] * 12),     # 12 -> 12, no population
]) + "\n"
POPULATION = "area,population\nA,100000\nB,50000\nC,100000\n"
NEW_AREAS = ["A", "B", "C"]  # made-up boroughs, added on purpose (unknown areas are otherwise refused)
DOMESTIC = Measure(id="domestic", label="Domestic burglary", minors=("Domestic Burglary",))
BUSINESS = Measure(id="business", label="Business burglary", minors=("Burglary Business and Community",))
DEC_2023 = dt.date(2023, 12, 1)


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory):
    """FIXTURE and POPULATION loaded into a new store, once per run; the tests here only read it."""
    return store_of(tmp_path_factory, {"mps.csv": FIXTURE, "pop.csv": POPULATION}, new_areas=NEW_AREAS)


@pytest.fixture
def con(fixture_store):
    """A read-only connection of the test's own to the fixture store."""
    with store.connect_read(fixture_store) as connection:
        yield connection


def by_area(frame: pd.DataFrame) -> dict[str, dict]:
    return {r["area_name"]: r for r in frame.to_dict("records")}


def test_rolling_years_rates_ranks_and_london(con):
    rows = by_area(metrics.comparisons(con, [DOMESTIC], DEC_2023))
    a, b, c, air = rows["A"], rows["B"], rows["C"], rows[AIRPORTS]
    assert (a["current"], a["previous"], a["change"]) == (144, 120, 24)
    assert a["pct_change"] == pytest.approx(20.0)
    assert b["pct_change"] == pytest.approx(-20.0)
    assert c["pct_change"] == pytest.approx(5.0)
    assert a["rate_per_1000"] == pytest.approx(1.44)
    assert b["rate_per_1000"] == pytest.approx(0.96)
    assert a["rate_per_1000_previous"] == pytest.approx(1.2)
    # 1 = lowest rate; the airports area has no population, so no rate and no rank.
    assert (b["rank"], c["rank"], a["rank"]) == (1, 2, 3)
    assert a["rank_of"] == 3 and pd.isna(air["rank"]) and pd.isna(air["rate_per_1000"])
    # A year earlier all three had 1.2 per 1000: a three-way tie shares the best rank.
    assert (a["rank_previous"], b["rank_previous"], c["rank_previous"]) == (1, 1, 1)
    # London is every area in the extract, airports included: 144+48+126+12 and 120+60+120+12.
    assert (a["comparator_current"], a["comparator_previous"]) == (330, 312)
    assert a["comparator_pct_change"] == pytest.approx(18 / 312 * 100)
    # London's rate: every offence in London over London's population (the airports have none of their own).
    assert a["comparator_rate_per_1000"] == pytest.approx(330 / 250)


def test_rag_against_london_and_significance(con):
    rows = by_area(metrics.comparisons(con, [DOMESTIC], DEC_2023))
    assert rows["A"]["rag"] == "Red"      # +20% against London's +5.8%
    assert rows["C"]["rag"] == "Amber"    # +5% against London's +5.8%
    assert rows["B"]["rag"] == "Green"    # fell
    # Exact test: 144 vs 120 of 264 under Binomial(264, 1/2) -> two-sided p = 0.15678 (math.comb), not significant.
    assert rows["A"]["p_value"] == pytest.approx(0.156776, abs=1e-6)
    assert rows["A"]["significant"] is False or rows["A"]["significant"] == False  # noqa: E712


def test_zero_baseline_gives_undefined_percentage(con):
    rows = by_area(metrics.comparisons(con, [BUSINESS], DEC_2023))
    assert (rows["B"]["current"], rows["B"]["previous"]) == (0, 0)
    assert pd.isna(rows["B"]["pct_change"])
    assert rows["B"]["p_value"] == 1.0 and rows["B"]["significant"] == False  # noqa: E712
    assert rows["B"]["rag"] == "Green"


def test_previous_year_missing_is_undefined_not_zero(con):
    rows = by_area(metrics.comparisons(con, [DOMESTIC], dt.date(2022, 12, 1)))
    assert rows["A"]["current"] == 120
    assert pd.isna(rows["A"]["previous"]) and pd.isna(rows["A"]["pct_change"]) and rows["A"]["rag"] is None


def test_major_measure_counts_every_minor(con):
    burglary = metrics.resolve_measures(con, major="burglary")[0]
    rows = by_area(metrics.comparisons(con, [burglary], DEC_2023))
    assert (rows["A"]["current"], rows["A"]["previous"]) == (156, 132)


def test_series_rolling_total(con):
    frame = metrics.series(con, ["A"], [DOMESTIC], "2022-11", "2023-12")
    totals = dict(zip(frame["month"].dt.strftime("%Y-%m"), frame["rolling_12_total"]))
    assert pd.isna(totals["2022-11"])
    assert totals["2022-12"] == 120 and totals["2023-06"] == 120 + 12 * 6 - 10 * 6 and totals["2023-12"] == 144
    assert frame["offence_count_year_before"].iloc[-1] == 10


def test_series_rates_use_the_same_denominator_rule_as_comparisons(db, write_csv):
    households = "area,population,denominator\nA,40000,households\nB,20000,households\nC,40000,households\n"
    ingest([write_csv("mps.csv", FIXTURE), write_csv("pop.csv", POPULATION), write_csv("hh.csv", households)], db=db,
           new_areas=NEW_AREAS)
    per_household = Measure(id="hh", label="Domestic burglary", minors=("Domestic Burglary",), denominator="households")
    with store.connect_read(db) as con:
        for measure, population in ((DOMESTIC, 100_000), (per_household, 40_000)):
            series = metrics.series(con, ["A", AIRPORTS], [measure], "2023-12", "2023-12").set_index("area_name")
            compared = by_area(metrics.comparisons(con, [measure], DEC_2023))
            assert series.loc["A", "rolling_12_rate_per_1000"] == pytest.approx(144 * 1000 / population)
            assert series.loc["A", "rolling_12_rate_per_1000"] == pytest.approx(compared["A"]["rate_per_1000"])
            assert series.loc["A", "rate_per_1000"] == pytest.approx(12 * 1000 / population)
            assert pd.isna(series.loc[AIRPORTS, "rate_per_1000"])  # no population, no rate (never 0)


def test_trend_facts_peak_and_lowest(con):
    frame = metrics.series(con, ["B"], [DOMESTIC], "2022-01", "2023-12")
    facts = metrics.trend_facts(frame)
    assert facts["peak_month"] == dt.date(2022, 1, 1) and facts["peak_count"] == 5
    assert facts["latest_rolling_12_total"] == 48 and facts["rolling_is_lowest_in_series"]


def test_unknown_names_and_months_are_explained(con):
    assert metrics.metric(con, " a ", DEC_2023, DOMESTIC)["area"] == "A"
    with pytest.raises(UnknownNameError, match="Did you mean 'A'"):
        metrics.metric(con, "AA", DEC_2023, DOMESTIC)
    with pytest.raises(UnknownNameError, match="Domestic Burglary"):
        metrics.resolve_measures(con, minor="Domestic Burglery")
    with pytest.raises(PeriodError, match="between Dec 2022 and Dec 2023"):
        metrics.metric(con, "A", "2024-01", DOMESTIC)
    with pytest.raises(PeriodError, match="YYYY-MM"):
        metrics.metric(con, "A", "Dec 2023", DOMESTIC)


def test_materialised_comparisons_equal_the_live_query(demo_store, monkeypatch):
    from sbp.config import default_config

    db = demo_store  # built by build_demo, which stores the cube; only read here
    measures = list(default_config().measures.values())
    with store.connect_read(db) as con:
        first, last = metrics.month_span(con)
        ends = (dt.date(2020, 3, 1), last)
        assert cube.usable(con, measures, default_config(), area_groups(con, load_settings()))
        cached = metrics.comparisons(con, measures, *ends)
        monkeypatch.setattr(cube, "usable", lambda *a: False)
        live = metrics.comparisons(con, measures, *ends)
    assert len(cached) == len(measures) * 33 * 45
    pd.testing.assert_frame_equal(cached, live)


def test_changed_configuration_is_not_served_from_the_cache(db, write_csv):
    from sbp.config import Config, default_config

    ingest([write_csv("mps.csv", FIXTURE), write_csv("pop.csv", POPULATION)], db=db, new_areas=NEW_AREAS)
    config = default_config()
    changed = Config(measures=dict(config.measures) | {"burglary": Measure(id="burglary", label="Burglary", minors=("Domestic Burglary",))},
                     priorities=config.priorities, aliases=config.aliases)
    with store.connect_read(db) as con:
        assert cube.usable(con, [config.measures["burglary"]], config, area_groups(con, load_settings()))
        assert not cube.usable(con, [changed.measures["burglary"]], changed, area_groups(con, load_settings()))
        rows = by_area(metrics.comparisons(con, [changed.measures["burglary"]], DEC_2023, config=changed))
    assert rows["A"]["current"] == 144  # domestic only, not the 156 of the configured measure


def test_headline_from_the_cube_equals_the_live_headline(demo_store, monkeypatch):
    """One area's month read from the cube (rules stored at ingest) is the live computation, column by column; a
    share of a parent not asked for stays unknown, as live."""
    from sbp.config import default_config

    config = default_config()
    child = next(m for m in config.measures.values() if m.parent)
    with store.connect_read(demo_store) as con:
        end = metrics.latest_month(con)
        cached = [metrics.headline(con, "Bromley", end), metrics.headline(con, "Bromley", end, [child.id])]
        monkeypatch.setattr(cube, "usable", lambda *a: False)
        live = [metrics.headline(con, "Bromley", end), metrics.headline(con, "Bromley", end, [child.id])]
    for got, want in zip(cached, live):
        pd.testing.assert_frame_equal(got, want)
    assert cached[1]["share_of_parent_pct"].isna().all()
