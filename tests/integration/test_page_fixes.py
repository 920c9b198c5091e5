"""Fixes users hit on the pages: Explore's London rate line and period, rates to 2 decimals in its CSV, ward
sparklines on one scale, comparator groups holding the focus borough, and the board table read at board size."""

from __future__ import annotations

import json
import re

from tests.integration.test_app_pages import app, html_table  # noqa: F401 (app: a fixture opening the app with SBP_DB set)


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
    assert "Bromley" in set(html_table(at, "Borough")["Borough"])


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


def test_the_asb_slide_says_it_is_not_loaded_and_the_data_page_says_how_to_load_it(real_store, app):
    from sbp.display.formatting import shown_text

    at = app(real_store, present="1", measure="asb_calls")  # the MPS borough file and populations: no ASB series
    at.switch_page("pages/priority_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    said = [shown_text(i.value) for i in at.info]
    assert "ASB calls: no data loaded; it comes from the MPS ASB calls series." in said, said
    slide = " ".join(said + [shown_text(m.value) for m in at.markdown] + [shown_text(c.value) for c in at.caption])
    for instruction in ("reshape", "long format", "month,area", "python -m"):  # no loading instructions on a slide
        assert instruction not in slide
    at.switch_page("pages/data_page.py").run()
    page = " ".join(shown_text(c.value) for c in at.caption)
    assert "ASB calls" in page and "month,area,category,count" in page


def test_the_data_page_lists_files_in_a_static_table_with_no_none_and_whole_headers(real_store, app):
    at = app(real_store)
    at.switch_page("pages/data_page.py").run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert not at.dataframe  # a canvas grid cut "Months rep..." and hid its cells from the page
    table = next(m.value for m in at.markdown if "<th" in m.value and "SHA-256" in m.value)
    headers = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)
    assert headers == ["File", "Format", "Rows", "First month", "Last month", "Months replaced", "Loaded", "SHA-256"]
    rows = {cells[0]: cells for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row)
                                          for row in re.findall(r"<tr>(.*?)</tr>", table)[1:])}
    population = rows["census2021_london_boroughs.csv"]
    assert population[3:5] == ["not monthly", "not monthly"]
    borough = rows["mps_borough_level_crime_2021-12_to_2023-11.csv"]
    assert borough[3:5] == ["Dec 2021", "Nov 2023"] and re.fullmatch(r"\d{1,3}(,\d{3})*", borough[2])
    assert re.fullmatch(r"[0-9a-f]{64}", borough[7])  # whole, for `python -m sbp forget`
    assert not any(word in table for word in ("None", "NaT", "nan"))


def test_the_overview_csv_is_the_screens_tables_in_its_order_with_whole_counts_and_rounded_rates(real_store, app,
                                                                                                 monkeypatch):
    import csv
    import io

    import streamlit as st

    from sbp.config import default_config
    from sbp.display import formatting

    downloads = {}
    real_csv_bytes = formatting.csv_bytes

    def recording(frame):
        data = real_csv_bytes(frame)
        downloads[tuple(frame.columns[:2])] = data
        return data

    monkeypatch.setattr(formatting, "csv_bytes", recording)
    st.cache_resource.clear()  # the download is made once per store, settings and period (sbp/web/views.py)
    at = app(real_store)
    assert not at.exception, [e.value for e in at.exception]
    (data,) = downloads.values()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Priority", "Category"]
    config = default_config()
    assert [(r[0], r[1]) for r in body] == [(p.title, config.measures[m].label)
                                            for p in config.priorities for m in p.measures]  # the screen's order
    screen = [re.findall(r"<tr><td[^>]*>(.*?)</td>", m.value) for m in at.markdown
              if "<table class=\"sbp-table sbp-board" in m.value]
    assert [label for table in screen for label in table] == [r[1] for r in body]
    counts, rate = header[2:4], header.index("Rate per 1,000")
    pcts = [i for i, h in enumerate(header) if h.endswith("% difference")]
    limits = [i for i, h in enumerate(header) if h.startswith(("Lower ", "Upper "))]  # 95% and 99.8%, as rates
    known = [r for r in body if r[2]]
    assert len(limits) == 4 and all(re.fullmatch(r"\d+(\.\d{1,2})?", r[i]) for r in known for i in limits if r[i])
    assert known and all(re.fullmatch(r"\d+", r[header.index(c)]) for r in known for c in counts)  # not "24269.0"
    assert all(re.fullmatch(r"\d+(\.\d{1,2})?", r[rate]) for r in known)
    assert all(re.fullmatch(r"-?\d+(\.\d)?", r[i]) for r in known for i in pcts if r[i])


def test_compare_with_says_where_it_applies(demo_store, app):
    from sbp.display.formatting import shown_text

    at = app(demo_store)
    assert not at.sidebar.caption or all("Rankings page only" not in c.value for c in at.sidebar.caption)
    at.sidebar.radio(key="g_group").set_value("inner").run()
    assert not at.exception, [e.value for e in at.exception]
    notes = [shown_text(c.value) for c in at.sidebar.caption if "Rankings page only" in c.value]
    assert notes == ["Inner London (ONS) applies to the Rankings page only. The board tables, cards and charts always rank "
                     "and compare with all London boroughs."]
    overview = next(m.value for m in at.markdown if "<table class=\"sbp-table sbp-board" in m.value)
    assert "of 32" in overview  # the Overview indeed still ranks among all 32 boroughs
    at.switch_page("pages/rankings_page.py").run()  # the page that follows the choice says nothing of the kind
    assert not any("Rankings page only" in c.value for c in at.sidebar.caption)
    assert any("Comparator group: Inner London" in c.value for c in at.caption)
