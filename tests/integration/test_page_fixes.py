"""Fixes users hit on the pages: Explore's London rate line and period, rates to 2 decimals in its CSV, ward
sparklines on one scale, comparator groups holding the focus borough, and the board table read at board size."""

from __future__ import annotations

import json

from tests.integration.test_app_pages import app  # noqa: F401 (a fixture: opens the app with SBP_DB set by monkeypatch)


def test_explore_draws_london_for_rates_with_two_decimals(demo_store, app):
    at = app(demo_store)
    at.switch_page("pages/explore_page.py").run()
    at.radio(key="ex_unit").set_value("rates").run()
    at.checkbox(key="ex_london").check().run()
    assert not at.exception
    frame = at.dataframe[0].value
    rate = [c for c in frame.columns if "per 1,000" in c][0]
    # A column with an unknown month is shown as text: "n/a" there, two decimals elsewhere.
    known = frame[rate].astype(str) != "n/a"
    london = known[frame["Area"] == "London"].set_axis(frame.loc[frame["Area"] == "London", "Month"])
    borough = known[frame["Area"] == "Bromley"].set_axis(frame.loc[frame["Area"] == "Bromley", "Month"])
    assert borough.sum() > 12
    assert (london == borough).all()  # London has a rate wherever its boroughs have one
    assert frame.loc[known, rate].astype(str).str.fullmatch(r"\d+\.\d\d").all()


def test_explore_follows_the_sidebar_period(demo_store, app):
    at = app(demo_store)
    at.switch_page("pages/explore_page.py").run()
    assert at.select_slider(key="ex_range").value[1] == at.sidebar.selectbox(key="g_end").value
    earlier = at.sidebar.selectbox(key="g_end").value.replace(year=2022)
    at.sidebar.selectbox(key="g_end").set_value(earlier).run()
    assert not at.exception
    assert at.select_slider(key="ex_range").value[1] == earlier


def test_ward_sparklines_share_one_scale(demo_store, app):
    at = app(demo_store)
    at.switch_page("pages/wards_page.py").run()
    assert not at.exception
    config = json.loads(at.dataframe[-1].proto.columns)
    spark = config["Last 24 months"]["type_config"]
    assert spark["y_min"] == 0 and spark["y_max"] >= 1


def test_similar_boroughs_group_includes_the_focus_borough(demo_store, app):
    at = app(demo_store, group="similar")
    at.switch_page("pages/rankings_page.py").run()
    assert not at.exception
    assert "Bromley" in set(at.dataframe[0].value["Borough"])


def test_the_board_table_shows_no_raw_floats_or_none(demo_store, app):
    at = app(demo_store)
    board = next(m.value for m in at.markdown if '<table class="sbp-table sbp-board' in m.value)
    assert "None" not in board and "nan" not in board and ".000000" not in board
    assert "London % difference" in board and "Significant" in board


def test_ward_sparklines_start_where_the_ward_data_starts(demo_store, app):
    # The demo's ward file starts in Dec 2020: a year ending Nov 2021 has 12 loaded months, not 24 with zeros.
    at = app(demo_store, end="2021-11")
    at.switch_page("pages/wards_page.py").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert "Last 12 months" in table.columns and "Last 24 months" not in table.columns
    assert all(len(line) == 12 and None not in line for line in table["Last 12 months"])
