"""Chart builders: the Vega-Lite specs say what the board should see, for small hand-made frames."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from sbp.display import charts, formatting
from sbp.config import london_boroughs

HTML_AREA = "<b>x</b>"
HTML_MEASURE = "<i>m</i>"


# --- frames shaped like metrics.series / metrics.league / metrics.headline -----------------

def series_frame(counts: list[int | None], area: str = "Bromley", measure_label: str = "Total burglary",
                 start: str = "2022-01-01") -> pd.DataFrame:
    """Monthly counts with the rolling 12-month total and the same month a year before, as metrics.series has them."""
    months = pd.date_range(start, periods=len(counts), freq="MS")
    count = pd.array(counts, dtype="Int64")
    rolling = pd.Series(count).rolling(12).sum().astype("Int64")
    year_before = pd.Series(count).shift(12).astype("Int64")
    return pd.DataFrame({
        "measure_id": "burglary", "measure_label": measure_label, "area_name": area, "month": months,
        "offence_count": count, "rolling_12_total": rolling.array, "offence_count_year_before": year_before.array,
    })


def league_frame(rates: dict[str, float | None], basis: str = "rate", london_rate: float | None = 6.41,
                 measure_label: str = "Total burglary") -> pd.DataFrame:
    """One row per area as metrics.league returns it (ranked by rate, or by count when basis is 'count')."""
    names = list(rates)
    current = [1000 + 37 * i for i in range(len(names))]
    rate = [rates[n] for n in names]
    key = pd.Series(current if basis == "count" else rate, dtype="float64")
    rank = key.rank(method="min").astype("Int64")
    return pd.DataFrame({
        "measure_id": "burglary", "measure_label": measure_label, "area_name": names, "borough": names,
        "end_month": dt.date(2023, 11, 1),
        "current": pd.array(current, dtype="Int64"), "previous": pd.array([c - 20 for c in current], dtype="Int64"),
        "change": pd.array([20] * len(names), dtype="Int64"),
        "pct_change": [2000 / (c - 20) for c in current],
        "population": pd.array([None if basis == "count" else 300_000] * len(names), dtype="Int64"),
        "rate_per_1000": pd.array([None if basis == "count" else r for r in rate], dtype="Float64"),
        "rank": rank.array, "rank_of": pd.array([int(key.notna().sum())] * len(names), dtype="Int64"),
        "comparator_rate_per_1000": pd.array([london_rate] * len(names), dtype="Float64"),
        "comparator_pct_change": pd.array([-3.1] * len(names), dtype="Float64"),
        "rag": ["Green"] * len(names), "rank_basis": basis,
    })


COUNTS_24 = [150, 212, 140, 130, 120, 110, 100, 105, 115, 125, 135, 145,
             160, 170, 150, 140, 130, 120, 110, 115, 125, 135, 140, 146]
RATES = {"Merton": 2.81, "Sutton": 3.13, "Bromley": 4.48, "Bexley": 4.19, "Croydon": 6.40, "Newham": 9.01}


# --- spec helpers ---------------------------------------------------------------------------

def units(spec: dict, data: str | None = None) -> Iterator[tuple[dict, str | None]]:
    """Every unit (non-layer) view in a spec with the name of the dataset it draws from."""
    data = spec.get("data", {}).get("name", data)
    if "layer" in spec:
        for child in spec["layer"]:
            yield from units(child, data)
    else:
        yield spec, data


def rows(spec: dict, unit_data: str | None) -> list[dict]:
    return spec["datasets"][unit_data]


def mark(unit: dict) -> str:
    return unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]


def walk(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, value) for every leaf of a JSON-like structure."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, (*path, i))
    else:
        yield path, node


def title_lines(spec: dict) -> str:
    title = spec["title"]["text"]
    return " ".join(title) if isinstance(title, list) else title


def all_charts(presenter: bool = False, area: str = "Bromley", measure: str = "Total burglary") -> dict[str, Any]:
    series = series_frame(COUNTS_24, area=area, measure_label=measure)
    rates = {(area if name == "Bromley" else name): rate for name, rate in RATES.items()}
    league = league_frame(rates, measure_label=measure)
    return {
        "trend": charts.trend_chart(series, area, measure, presenter=presenter),
        "league": charts.league_chart(league, area, presenter=presenter, highlight=["Sutton"]),
        "tile_map": charts.tile_map(league, presenter=presenter, focus=area),
        "comparison": charts.comparison_chart(pd.concat([series, series_frame(COUNTS_24, area="Bexley")]),
                                              presenter=presenter),
    }


# --- RAG ------------------------------------------------------------------------------------

def test_rag_labels_say_the_status_in_words():
    rag_label = formatting.rag_label
    assert [rag_label(r) for r in ("Green", "Amber", "Red", None)] == ["Green", "Amber", "Red", "No comparison"]
    assert rag_label(pd.NA) == rag_label(float("nan")) == "No comparison"
    assert rag_label("No comparison") == "No comparison"
    with pytest.raises(ValueError):
        rag_label("Purple")
    assert set(charts.RAG_COLOURS) == {"Green", "Amber", "Red", None}
    assert len(set(charts.RAG_COLOURS.values())) == 4


def test_rag_colours_match_the_badges_on_the_same_pages():
    assert charts.RAG_COLOURS == {rag: background for rag, (background, _) in formatting.RAG_STYLE.items()}


# --- trend ----------------------------------------------------------------------------------

def test_trend_puts_the_rolling_total_on_its_own_right_hand_axis():
    spec = charts.trend_chart(series_frame(COUNTS_24), "Bromley", "Total burglary").to_dict()
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert title_lines(spec) == "Total burglary in Bromley: monthly offences"
    rolling = [u for u, _ in units(spec) if u["encoding"].get("y", {}).get("field") == "rolling_12_total"]
    assert len(rolling) == 1 and mark(rolling[0]) == "line"
    assert rolling[0]["encoding"]["y"]["axis"]["orient"] == "right"
    assert rolling[0]["encoding"]["y"]["axis"]["title"] == "Rolling 12-month total"
    # The rolling line is a top-level layer of its own; the monthly layers share the left axis.
    assert spec["layer"][1]["encoding"]["y"]["field"] == "rolling_12_total"
    left_fields = {u["encoding"]["y"].get("field") for u, _ in units(spec["layer"][0]) if "field" in u["encoding"].get("y", {})}
    assert left_fields == {"offence_count", "offence_count_year_before"}
    dashed = [u for u, _ in units(spec) if u["encoding"].get("y", {}).get("field") == "offence_count_year_before"]
    assert dashed[0]["mark"]["strokeDash"]


def subtitle(spec: dict) -> str:
    return " ".join(spec["title"].get("subtitle", []))


@pytest.mark.parametrize("plot_height", [None, 190])
def test_trend_says_the_peak_and_latest_months_in_the_subtitle_and_marks_them_on_the_bars(plot_height):
    # A value label inside the plot ran under the rolling line or the legend: the words go in the subtitle.
    spec = charts.trend_chart(series_frame(COUNTS_24), "Bromley", "Total burglary", presenter=plot_height is not None,
                              plot_height=plot_height).to_dict()
    assert "Latest: 146 (Dec 2023). Peak: 212 (Feb 2022)." in subtitle(spec)
    assert not [u for u, _ in units(spec) if mark(u) == "text"]
    points = [row for u, d in units(spec) if mark(u) == "point" for row in rows(spec, d)]
    assert {(p["offence_count"], p["month"][:10]) for p in points} == {(212, "2022-02-01"), (146, "2023-12-01")}


def test_trend_says_so_when_the_latest_month_is_the_peak():
    spec = charts.trend_chart(series_frame([10, 20, 1234]), "Bromley", "Total burglary").to_dict()
    assert "Peak and latest: 1,234 (Mar 2022)." in subtitle(spec)


@pytest.mark.parametrize("first,last,most,ticks", [
    ("2023-01", "2023-12", 4, ["2023-01", "2023-04", "2023-07", "2023-10"]),
    ("2023-01", "2023-12", 6, ["2023-01", "2023-03", "2023-05", "2023-07", "2023-09", "2023-11"]),
    ("2020-08", "2023-07", 4, ["2021-01", "2022-01", "2023-01"]),
    ("2023-11", "2023-12", 4, ["2023-11", "2023-12"]),
])
def test_month_ticks_stay_within_the_data(first, last, most, ticks):
    assert [t.strftime("%Y-%m") for t in charts.month_ticks(first, last, most)] == ticks


def test_trend_labels_no_month_past_the_last_one_loaded():
    # Bristol: 12 months to Dec 2023 put a "Jan 2024" tick at the end of the last bar.
    spec = charts.trend_chart(series_frame(COUNTS_24[:12], area="Bristol", measure_label="All crime", start="2023-01-01"),
                              "Bristol", "All crime", presenter=True,
                              plot_height=190).to_dict()
    values = [v for p, v in walk(spec) if "axis" in p and "values" in p and isinstance(v, int) and p[-1] == "year"]
    assert values and max(values) == 2023


def test_trend_tooltips_give_the_month_and_counts_with_thousands_separators():
    counts = [1500 + i for i in range(14)] + [None]
    spec = charts.trend_chart(series_frame(counts), "Bromley", "Total burglary").to_dict()
    bars = next(u for u, _ in units(spec) if mark(u) == "bar")
    tooltip = {t["title"]: t for t in bars["encoding"]["tooltip"]}
    assert tooltip["Month"]["format"] == "%b %Y" and tooltip["Month"]["field"] == "month"
    data = rows(spec, next(d for u, d in units(spec) if mark(u) == "bar"))
    assert data[0]["offence_count_text"] == "1,500"
    assert data[0]["rolling_12_total_text"] == "not yet 12 months of data"
    assert data[11]["rolling_12_total_text"] == f"{sum(range(1500, 1512)):,}"
    assert data[-1]["offence_count"] is None and data[-1]["offence_count_text"] == "no data"


def test_trend_draws_only_the_named_area_and_measure():
    both = pd.concat([series_frame(COUNTS_24), series_frame([999] * 24, area="Bexley")])
    spec = charts.trend_chart(both, "Bromley", "Total burglary").to_dict()
    bars = next(d for u, d in units(spec) if mark(u) == "bar")
    assert len(rows(spec, bars)) == 24 and 999 not in {r["offence_count"] for r in rows(spec, bars)}
    with pytest.raises(ValueError):
        charts.trend_chart(both, "Nowhere", "Total burglary")


# --- league ---------------------------------------------------------------------------------

def league_units(spec: dict) -> tuple[dict, list[dict]]:
    bars, data = next((u, d) for u, d in units(spec) if mark(u) == "bar")
    return bars, rows(spec, data)


def test_league_sorts_by_rate_lowest_first():
    shuffled = league_frame(RATES).sample(frac=1, random_state=3)
    spec = charts.league_chart(shuffled, "Bromley").to_dict()
    bars, data = league_units(spec)
    assert bars["encoding"]["x"]["field"] == "rate_per_1000"
    assert bars["encoding"]["y"]["sort"] == {"field": "league_order", "op": "min", "order": "ascending"}
    in_order = [r["area_name"] for r in sorted(data, key=lambda r: r["league_order"])]
    assert in_order == sorted(RATES, key=RATES.get)
    assert {r["area_name"]: r["rank_text"] for r in data}["Merton"] == "1 of 6"
    assert title_lines(spec) == "Total burglary: rate per 1,000 residents, rolling year to Nov 2023"


def test_league_colours_the_focus_borough_and_comparators_apart_from_the_rest():
    spec = charts.league_chart(league_frame(RATES), "Bromley", highlight=["Sutton", "Bexley"]).to_dict()
    bars, data = league_units(spec)
    colour = bars["encoding"]["color"]
    assert colour["field"] == "highlight_group"
    palette = dict(zip(colour["scale"]["domain"], colour["scale"]["range"]))
    group = {r["area_name"]: r["highlight_group"] for r in data}
    assert palette[group["Bromley"]] == charts.FOCUS_COLOUR
    assert palette[group["Sutton"]] == palette[group["Bexley"]] == charts.COMPARATOR_COLOUR
    assert palette[group["Merton"]] == palette[group["Newham"]] == charts.OTHER_COLOUR
    assert len({charts.FOCUS_COLOUR, charts.COMPARATOR_COLOUR, charts.OTHER_COLOUR}) == 3


def test_league_marks_londons_rate_with_a_labelled_rule():
    spec = charts.league_chart(league_frame(RATES, london_rate=6.4123), "Bromley").to_dict()
    rule, data = next((u, d) for u, d in units(spec) if mark(u) == "rule")
    assert rule["encoding"]["x"]["field"] == "comparator_rate_per_1000"
    assert rows(spec, data) == [{"comparator_rate_per_1000": 6.4123, "london_label": "London 6.41"}]
    labels = [r["london_label"] for u, d in units(spec) if mark(u) == "text" and d == data for r in rows(spec, d)]
    assert labels == ["London 6.41"]


def test_league_leaves_out_areas_without_a_rate():
    spec = charts.league_chart(league_frame(RATES | {"Camden": None}), "Bromley").to_dict()
    _, data = league_units(spec)
    assert "Camden" not in {r["area_name"] for r in data} and len(data) == len(RATES)


def test_league_ranks_wards_by_count_when_there_are_no_populations():
    wards = league_frame({"Darwin": None, "Plaistow": None, "Bromley Town": None}, basis="count", london_rate=None)
    spec = charts.league_chart(wards, "Darwin").to_dict()
    bars, data = league_units(spec)
    assert bars["encoding"]["x"]["field"] == "current"
    assert "Offences" in bars["encoding"]["x"]["axis"]["title"]
    assert "offences" in title_lines(spec) and "rate" not in title_lines(spec)
    assert [r["area_name"] for r in sorted(data, key=lambda r: r["league_order"])] == ["Darwin", "Plaistow", "Bromley Town"]
    assert not [u for u, _ in units(spec) if mark(u) == "rule"]


def test_league_needs_one_row_per_area():
    twice = pd.concat([league_frame(RATES), league_frame(RATES)])
    with pytest.raises(ValueError, match="one row per area"):
        charts.league_chart(twice, "Bromley")


# --- tile map -------------------------------------------------------------------------------

def test_tile_map_places_all_32_boroughs_on_distinct_tiles():
    spec = charts.tile_map(league_frame(RATES), focus="Bromley").to_dict()
    tiles = rows(spec, spec["data"]["name"])
    assert len(tiles) == 32 == len(london_boroughs())
    assert len({(t["tile_col"], t["tile_row"]) for t in tiles}) == 32
    bromley = next(t for t in tiles if t["area_name"] == "Bromley")
    assert (bromley["short_name"], bromley["rate_text"], bromley["rank_text"]) == ("Brom", "4.48", "4 of 6")
    # North at the top: an ordinal y whose domain runs 0, 1, 2 ... from the top down.
    y = next(u for u, _ in units(spec) if mark(u) == "rect")["encoding"]["y"]
    assert y["type"] == "ordinal" and y["scale"]["domain"] == sorted(y["scale"]["domain"]) and "reverse" not in y["scale"]
    assert title_lines(spec) == "Total burglary: rate per 1,000 residents, rolling year to Nov 2023"


def test_tile_map_shows_boroughs_missing_from_the_league_as_no_data():
    spec = charts.tile_map(league_frame(RATES), focus="Bromley").to_dict()
    tiles = {t["area_name"]: t for t in rows(spec, spec["data"]["name"])}
    assert tiles["Camden"]["has_rate"] is False and tiles["Camden"]["rate_text"] == "no data"
    assert tiles["Newham"]["has_rate"] is True and tiles["Newham"]["rate_per_1000"] == 9.01
    assert sum(not t["has_rate"] for t in tiles.values()) == 32 - len(RATES)
    rects = {u["transform"][0]["filter"]: u for u, _ in units(spec) if mark(u) == "rect" and "transform" in u}
    assert rects["!datum.has_rate"]["mark"]["color"] == charts.NO_DATA_COLOUR
    assert rects["datum.has_rate"]["encoding"]["color"]["legend"]["title"] == "Rate per 1,000"
    assert rects["datum.is_focus"]["mark"]["filled"] is False  # the focus outline
    assert [t["area_name"] for t in tiles.values() if t["is_focus"]] == ["Bromley"]
    assert "no data" in " ".join(spec["title"]["subtitle"]).lower()


# --- explore -----------------------------------------------------------

@pytest.mark.parametrize(("value", "title"), [
    ("offence_count", "Offences per month"), ("rolling_12_total", "Rolling 12-month total"),
    ("rate_per_1000", "Rate per 1,000"), ("rolling_12_rate_per_1000", "Rolling 12-month rate per 1,000"),
])
def test_comparison_chart_titles_the_y_axis_for_the_value_shown(value, title):
    frame = pd.concat([series_frame(COUNTS_24), series_frame(COUNTS_24, area="Bexley")])
    frame["rate_per_1000"] = frame["offence_count"].astype("Float64") / 330
    frame["rolling_12_rate_per_1000"] = frame["rolling_12_total"].astype("Float64") / 330
    spec = charts.comparison_chart(frame, value=value).to_dict()
    line = next(u for u, _ in units(spec) if mark(u) == "line")
    assert line["encoding"]["y"]["field"] == value and line["encoding"]["y"]["axis"]["title"] == title
    assert line["encoding"]["color"]["field"] == "area_name" and "strokeDash" not in line["encoding"]


def test_comparison_chart_speaks_the_measures_unit():
    spec = charts.comparison_chart(series_frame(COUNTS_24), units="incidents").to_dict()
    line = next(u for u, _ in units(spec) if mark(u) == "line")
    assert line["encoding"]["y"]["axis"]["title"] == "Incidents per month"
    assert "Incidents each month" in str(spec["title"]) and "Offences" not in str(spec)


def test_comparison_chart_dashes_measures_and_refuses_unknown_values():
    frame = pd.concat([series_frame(COUNTS_24), series_frame(COUNTS_24, measure_label="Knife crime"),
                       series_frame(COUNTS_24, area="Bexley")])
    spec = charts.comparison_chart(frame, value="rolling_12_total").to_dict()
    line, data = next((u, d) for u, d in units(spec) if mark(u) == "line")
    assert line["encoding"]["strokeDash"]["field"] == "measure_label"
    assert {(r["area_name"], r["measure_label"]) for r in rows(spec, data)} == {
        ("Bromley", "Total burglary"), ("Bromley", "Knife crime"), ("Bexley", "Total burglary")}
    assert line["encoding"]["color"]["scale"]["range"] == charts.PALETTE
    many = pd.concat([series_frame(COUNTS_24[:3], area=f"Area {i}") for i in range(10)])
    many_line = next(u for u, _ in units(charts.comparison_chart(many).to_dict()) if mark(u) == "line")
    assert many_line["encoding"]["color"]["scale"] == {"scheme": "tableau20"}  # no repeated colours
    with pytest.raises(ValueError):
        charts.comparison_chart(frame, value="offences")
    with pytest.raises(ValueError):
        charts.comparison_chart(frame, value="rate_per_1000")  # not in this frame


# --- every chart ----------------------------------------------------------------------------

def font_sizes(spec: dict) -> dict[tuple, float]:
    return {p: v for p, v in walk(spec) if p and p[-1] in ("labelFontSize", "titleFontSize", "fontSize", "subtitleFontSize")}


def test_presenter_mode_enlarges_every_font_line_and_height():
    normal = {k: c.to_dict() for k, c in all_charts().items()}
    big = {k: c.to_dict() for k, c in all_charts(presenter=True).items()}
    for name in normal:
        small_sizes, big_sizes = font_sizes(normal[name]), font_sizes(big[name])
        assert small_sizes and small_sizes.keys() == big_sizes.keys(), name
        assert all(big_sizes[p] > small_sizes[p] for p in small_sizes), name
        assert big[name]["title"]["fontSize"] >= 24, name
        labels = [v for p, v in walk(big[name]) if p[-1] == "labelFontSize" and ("axis" in p or "legend" in p)]
        assert labels and min(labels) >= 18, name
        assert big[name]["height"] > normal[name]["height"], name
        widths = [(p, v) for p, v in walk(normal[name]) if p[-1] in ("strokeWidth", "thickness")]
        big_widths = dict(walk(big[name]))
        assert all(big_widths[p] >= v for p, v in widths), name


def test_every_chart_is_offline_container_wide_and_ready_for_streamlit():
    built = all_charts()
    for name, chart in built.items():
        spec = chart.to_dict()
        json.dumps(spec)
        assert spec["width"] == "container", name
        # Streamlit keeps a chart's own autosize; fit-x keeps the plot height instead of squeezing it.
        assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}, name
        assert not isinstance(spec.get("padding"), (int, float)), name  # Streamlit's frontend needs an object
        assert all("url" not in p for p, _ in walk(spec)), name


def test_names_with_markup_reach_the_charts_only_as_data_values():
    for name, chart in all_charts(area=HTML_AREA, measure=HTML_MEASURE).items():
        spec = chart.to_dict()
        outside_data = [(p, v) for p, v in walk(spec) if p[0] != "datasets" and isinstance(v, str)]
        assert not [pv for pv in outside_data if "<" in pv[1] or ">" in pv[1]], name
        if name == "trend":
            assert title_lines(spec) == "m in x: monthly offences"  # still named, without the markup
        inside = {v for p, v in walk(spec["datasets"]) if isinstance(v, str)}
        if name in ("league", "comparison"):  # the others draw no names but in the title
            assert inside & {HTML_AREA, HTML_MEASURE}, name


def test_trend_chart_draws_a_lone_rolling_year_as_a_point():
    frame = series_frame(COUNTS_24)
    frame["rolling_12_total"] = pd.array([None] * 23 + [1200], dtype="Int64")  # only the last month has a full year
    spec = charts.trend_chart(frame, "Bromley", "Total burglary").to_dict()
    rolling = [u for u, _ in units(spec) if mark(u) == "line" and u["encoding"]["y"]["field"] == "rolling_12_total"]
    assert rolling and rolling[0]["mark"].get("point")
    spec = charts.trend_chart(series_frame(COUNTS_24), "Bromley", "Total burglary").to_dict()
    rolling = [u for u, _ in units(spec) if mark(u) == "line" and u["encoding"]["y"]["field"] == "rolling_12_total"]
    assert not rolling[0]["mark"].get("point")


def test_a_slide_league_names_the_focus_and_its_neighbours_and_scales_to_them():
    rates = {f"Area {i:02d}": 1.0 + i / 10 for i in range(32)} | {"Bromley": 1.94}
    spec = charts.league_chart(league_frame(rates), "Bromley", presenter=True, plot_height=250).to_dict()
    bars = next((u, d) for u, d in units(spec) if mark(u) == "bar")
    shown = [r["area_name"] for r in rows(spec, bars[1])]
    assert len(shown) == 7 and shown[3] == "Bromley  1.94"  # three ranked either side, each with its value
    assert not [u for u, _ in units(spec) if mark(u) == "text" and u["encoding"]["text"]["field"] == "value_text"]
    assert bars[0]["encoding"]["y"]["axis"].get("labels", True) is not False  # every bar named on the axis
    top = max(r["rate_per_1000"] for r in rows(spec, bars[1]))
    assert bars[0]["encoding"]["x"]["scale"]["domain"][1] <= max(top, 6.41) * 1.2  # was 1.8x the largest of all 32
    assert "Bromley" in title_lines(spec)


def test_league_window_keeps_seven_areas_at_either_end():
    frame = pd.DataFrame({"area_name": [f"A{i}" for i in range(10)]})
    assert list(charts.league_window(frame, "A0")["area_name"]) == [f"A{i}" for i in range(7)]
    assert list(charts.league_window(frame, "A9")["area_name"]) == [f"A{i}" for i in range(3, 10)]
    assert list(charts.league_window(frame.head(5), "A2")["area_name"]) == [f"A{i}" for i in range(5)]


def test_tile_map_labels_are_sized_to_the_tile_and_the_legend_leaves_the_tiles_the_width():
    for presenter in (False, True):
        spec = charts.tile_map(league_frame(RATES), presenter=presenter, focus="Bromley").to_dict()
        texts = [u["mark"] for u, _ in units(spec) if mark(u) == "text"]
        assert len(texts) == 2 and all("bandwidth('x')" in t["fontSize"]["expr"] for t in texts)
        legend = next(u for u, _ in units(spec) if mark(u) == "rect" and "color" in u.get("encoding", {})
                      and "legend" in u["encoding"]["color"])["encoding"]["color"]["legend"]
        assert legend["orient"] == "bottom"


def test_a_slide_chart_fills_its_container_with_type_scaled_to_it():
    spec = charts.to_spec(charts.trend_chart(series_frame(COUNTS_24), "Bromley", "Total burglary", presenter=True,
                                             plot_height=125))
    filled = charts.fill_height(spec)
    assert filled["height"] == "container" and filled["autosize"] == {"type": "fit", "contains": "padding"}
    assert filled["datasets"] == spec["datasets"]
    sizes = [(p, v) for p, v in walk(filled) if "FontSize" in str(p[-2:]) or "fontSize" in str(p[-2:])]
    assert sizes and all(p[-1] == "expr" and "containerSize()" in v for p, v in sizes)


@pytest.mark.parametrize("london_rate", [6.41, 77.26, 1.5], ids=["london", "bristol-like", "low-comparator"])
def test_a_slides_text_never_sits_in_the_plot_under_a_line_or_legend(london_rate):
    trend = charts.trend_chart(series_frame(COUNTS_24), "Bromley", "Total burglary", presenter=True,
                               plot_height=125).to_dict()
    assert not [u for u, _ in units(trend) if mark(u) == "text"]  # peak and latest are said in the subtitle
    legends = [v for p, v in walk(trend) if p[-2:] == ("legend", "orient")]
    assert legends and set(legends) <= {"top", "bottom", "left", "right"}  # outside the plot
    rates = {"Bristol": 113.3, "North Somerset": 66.9, "Somerset": 65.63, "Bath": 63.0, "South Glos": 58.99}
    league = charts.league_chart(league_frame(rates, london_rate=london_rate), "Bristol", presenter=True,
                                 plot_height=190).to_dict()
    texts = [u for u, _ in units(league) if mark(u) == "text"]
    assert texts  # the comparator's label: above the plot, reaching inwards from its rule
    for unit in texts:
        assert unit["encoding"]["y"] == {"value": 0} and unit["mark"]["baseline"] == "bottom" and unit["mark"]["dy"] < 0
        top = league["layer"][0]["encoding"]["x"]["scale"]["domain"][1]
        assert unit["mark"]["align"] == ("right" if london_rate > top / 2 else "left")
