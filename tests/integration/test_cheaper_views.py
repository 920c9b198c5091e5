"""A view drawn before is not built again (issue 22): the board tables, cards and chart specs are cached per input key
(sbp/web/views.py), a chart's data goes to Streamlit already in Arrow, and the Rankings table is static HTML with the
figures the download carries."""

from __future__ import annotations

import csv
import io
import json

import pytest
import streamlit as st
from streamlit.elements import vega_charts

from sbp import store
from sbp.display import boardtable, formatting, pageviews
from sbp.metrics.periods import parse_month
from tests.integration.test_app_pages import app, html_table  # noqa: F401 (app: a fixture opening the app with SBP_DB set)


def counting(monkeypatch, owner, name: str) -> list:
    """Replace owner.name with a wrapper that records each call; the list of calls."""
    calls, real = [], getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_a_second_view_of_the_overview_builds_no_board_table(demo_store, app, monkeypatch):
    built = counting(monkeypatch, boardtable, "board_table")
    st.cache_resource.clear()
    at = app(demo_store)
    assert not at.exception and len(built) >= 4  # every priority's table (and the CSV's), once
    first = [m.value for m in at.markdown]
    built.clear()
    at.run()
    assert not at.exception
    assert built == [] and [m.value for m in at.markdown] == first


def test_a_second_view_of_a_priority_page_converts_no_chart_data(demo_store, app, monkeypatch):
    conversions = counting(monkeypatch, vega_charts.dataframe_util, "convert_anything_to_arrow_bytes")
    st.cache_resource.clear()
    at = app(demo_store)
    at.switch_page("pages/priority_page.py").run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) >= 2  # the trend and league charts (and the priority's spine chart)
    conversions.clear()
    at.run()
    assert not at.exception
    assert conversions == []  # every chart's data went to Arrow once, when its spec was cached
    assert [c.proto.SerializeToString() for c in at.get("vega_lite_chart")] == \
        [c.proto.SerializeToString() for c in charts]


def test_a_cached_spec_sends_what_streamlit_sends_for_the_spec_itself(demo_store, monkeypatch):
    from sbp.display import charts
    from sbp.metrics import series
    from sbp.config import default_config
    from sbp.web.views import sendable

    burglary = default_config().measures["burglary"]
    with store.connect_read(demo_store) as con:
        frame = series(con, ["Bromley"], [burglary], parse_month("2020-12"), parse_month("2023-11"))
    spec = charts.to_spec(charts.trend_chart(frame, "Bromley", burglary.label))

    def sent(spec: dict):
        proto = vega_charts.VegaLiteChartProto()
        ready = vega_charts._prepare_vega_lite_spec(spec, True)
        vega_charts._marshall_chart_data(proto, ready, None)
        return [(d.name, d.data.data) for d in proto.datasets], json.dumps(ready, sort_keys=True)

    assert spec["datasets"] and not any(isinstance(d, bytes) for d in spec["datasets"].values())
    assert sent(sendable(spec)) == sent(spec)


def test_the_rankings_table_shows_the_downloads_figures_as_the_page_formats_them(demo_store, app, monkeypatch):
    downloads = counting(monkeypatch, formatting, "csv_bytes")
    st.cache_resource.clear()
    at = app(demo_store)
    at.switch_page("pages/rankings_page.py").run()
    assert not at.exception and not at.dataframe  # a static table, not a grid
    shown = html_table(at, "Borough")
    (table,) = [args[0] for args in downloads if "Borough" in args[0].columns]
    rows = list(csv.DictReader(io.StringIO(formatting.csv_bytes(table).decode("utf-8-sig"))))
    assert list(shown.columns) == list(rows[0]) and len(shown) == len(rows) > 20
    kinds = pageviews.rankings_kinds("offences", "London")
    for row, (_, cells) in zip(rows, shown.iterrows()):
        for column, value in row.items():
            kind = kinds.get(column, "text")
            number = kind in ("count", "rate", "change", "pct")
            expected = "n/a" if value == "" else formatting.FORMATTERS[kind](float(value)) if number else value
            assert cells[column] == expected, (row, column)
    places = '<th class="num" title="Positive = moved up (a lower rate relative to others)">Places moved</th>'
    assert any(places in m.value for m in at.markdown)
    board = next(m.value for m in at.markdown if ">Borough</th>" in m.value)
    for word in set(shown["Rate vs London"]):  # the comparison coloured as the grid's Styler coloured it
        background, colour = formatting.benchmark_colours(word)
        assert f'style="background-color: {background}; color: {colour}; font-weight: 600">{word}</td>' in board


@pytest.mark.slow
def test_the_walk_benchmark_visits_every_page_and_control_without_errors(demo_store, tmp_path):
    """`python -m bench.views` cannot rot: one walk on the demo store, every page and its controls, no errors."""
    from bench.server import Server
    from bench.views import measure

    server = Server(demo_store, tmp_path / "server.log")
    try:
        server.wait_ready(60)
        errors: list[str] = []
        by_view: dict[str, list[float]] = {}
        result = measure(server, errors, by_view)
    finally:
        server.stop()
    assert errors == []
    assert result["views"] >= 30 and result["cpu_s"] > 0
    pages = {name.split()[1] for name in by_view if name.startswith("page ")}
    assert {"safer-neighbourhoods", "explore", "rankings", "wards", "data"} <= pages
    assert any(name.startswith("rankings Compare with=") for name in by_view)
    assert not any("Compare with" in name and not name.startswith("rankings") for name in by_view)
