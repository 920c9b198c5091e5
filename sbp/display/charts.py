"""Altair chart builders for the dashboard pages: pure functions from metrics frames to charts.

Every builder takes `presenter` (bigger fonts, lines and heights for a shared screen); every chart
has width="container" and a fixed plot height (titles and legends add to it). Names from the data (areas,
categories) reach a chart only as data values: never inside Vega expressions, and in titles only with any
markup removed.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from sbp.config import london_boroughs
from sbp.config import DEFAULT_UNITS
from sbp.display.boardtable import comparator_of, units_of
from sbp.metrics import trend_facts
from sbp.display.formatting import (RAG_STYLE, benchmark_colours, benchmark_label, fmt_count, fmt_pct, fmt_rate,
                                    is_missing, rank_text)

# The RAG badge colours, so charts and badges agree; labels always accompany them.
RAG_COLOURS: dict[str | None, str] = {rag: background for rag, (background, _) in RAG_STYLE.items()}

# y-axis titles for comparison_chart's `value` (the Explore page also uses them as table headings).
VALUE_TITLES = {
    "offence_count": "Offences per month",
    "rolling_12_total": "Rolling 12-month total",
    "rate_per_1000": "Rate per 1,000",
    "rolling_12_rate_per_1000": "Rolling 12-month rate per 1,000",
}
_VALUE_CHART_TITLES = {
    "offence_count": "Offences each month",
    "rolling_12_total": "Offences in the 12 months to each month",
    "rate_per_1000": "Offences per 1,000 residents each month",
    "rolling_12_rate_per_1000": "Offences per 1,000 residents in the 12 months to each month",
}



def value_title(value: str, units: str = DEFAULT_UNITS, chart: bool = False) -> str:
    """An axis or column title (chart=True: a chart title) for a series value, in the measures' unit ('incidents')."""
    title = (_VALUE_CHART_TITLES if chart else VALUE_TITLES)[value]
    return title.replace("Offences", units.capitalize())


# Okabe-Ito: distinguishable under the common colour-vision deficiencies (yellow last: weak on white).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"]
FOCUS_COLOUR = "#1f5c99"  # the app theme's primary colour
COMPARATOR_COLOUR = "#7fb3e0"
OTHER_COLOUR = "#c9c9c9"
OTHER_COLOUR_DARK = "#8a8a8a"  # other areas as dots (a funnel plot): light grey is too faint for a small mark
NO_DATA_COLOUR = "#e6e6e6"
MONTHLY_COLOUR = "#8fbfe0"
ROLLING_COLOUR = "#D55E00"
YEAR_BEFORE_COLOUR = "#555555"
INK = "#1a1a1a"
DASHES = [[1, 0], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 5]]
SEQUENTIAL_SCHEME = "blues"
# d3 formats: a bare "," lets Vega pick a precision and can print "1.5e+2", so give a type.
COUNT_FORMAT = ",d"
RATE_FORMAT = ",.2~f"

# Fit the width to the column but keep the given height for the plot itself, titles and legends on top of it
# (Streamlit's default "fit" squeezes the plot to make room for them, and clips a wrapped title).
_FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
_MARKUP = re.compile(r"<[^>]*>|[<>]")


@dataclass(frozen=True)
class _Style:
    """Font sizes, line width and height factor for normal or presenter charts."""

    label: int
    axis_title: int
    title: int
    subtitle: int
    stroke: float
    scale: float
    wrap: int  # title characters per line

    def height(self, base: int) -> int:
        """A chart height scaled for presenter mode."""
        return round(base * self.scale)


_NORMAL = _Style(label=12, axis_title=14, title=17, subtitle=13, stroke=2.0, scale=1.0, wrap=42)
_PRESENTER = _Style(label=18, axis_title=20, title=24, subtitle=18, stroke=4.0, scale=1.5, wrap=38)


def _style(presenter: bool) -> _Style:
    return _PRESENTER if presenter else _NORMAL


# --- small helpers --------------------------------------------------------------------------

def _title_text(text: Any) -> str:
    """Data text fit for a title: any markup removed (titles are drawn as plain text, but keep them clean)."""
    return " ".join(_MARKUP.sub(" ", str(text)).split())


def _title(text: str, style: _Style, subtitle: str | None = None, facts: str | None = None) -> alt.Title:
    # Vega cuts a long title off with an ellipsis in a narrow column; wrapped lines stay readable.
    kwargs: dict[str, Any] = {}
    lines = textwrap.wrap(subtitle or "", style.wrap + 12) + textwrap.wrap(facts or "", style.wrap + 12)
    if lines:
        kwargs = {"subtitle": lines, "subtitleFontSize": style.subtitle, "subtitleColor": "#444"}
    return alt.Title(textwrap.wrap(text, style.wrap), fontSize=style.title, anchor="start", color=INK,
                     offset=style.label // 2, **kwargs)


def _axis(style: _Style, title: str | None, **kwargs: Any) -> alt.Axis:
    return alt.Axis(**({"title": title, "labelFontSize": style.label, "titleFontSize": style.axis_title,
                        "titleColor": INK, "labelColor": INK} | kwargs))


def _legend(style: _Style, title: str | None, **kwargs: Any) -> alt.Legend:
    return alt.Legend(**({"title": title, "labelFontSize": style.label, "titleFontSize": style.axis_title,
                          "labelColor": INK, "titleColor": INK, "labelLimit": 400,
                          "symbolSize": style.label * 12} | kwargs))


def _month_text(value: Any) -> str:
    return pd.Timestamp(value).strftime("%b %Y")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all-NA when the frame lacks it (optional columns such as comparator_pct_change)."""
    return frame[name] if name in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="object")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], builder: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder} needs columns {missing}; it was given {list(frame.columns)}")


def _one_row_per_area(frame: pd.DataFrame, builder: str) -> None:
    keys = [c for c in ("area_name", "borough") if c in frame.columns]
    if frame.duplicated(subset=keys).any():
        raise ValueError(f"{builder} needs one row per area: pass one measure and one end month")


def _end_month(frame: pd.DataFrame) -> str | None:
    if "end_month" not in frame.columns or frame["end_month"].dropna().empty:
        return None
    return _month_text(frame["end_month"].dropna().iloc[0])


def to_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart as a Vega-Lite spec for the dashboard, without Altair's JSON-schema validation."""
    # Every builder here is validated by tests/unit/test_charts.py; validating again on each page view was the
    # largest single cost of a chart under load (bench/load.py, profiled with py-spy).
    return chart.to_dict(validate=False)


_FONT_KEYS = frozenset({"fontSize", "labelFontSize", "titleFontSize", "subtitleFontSize"})
# A slide chart's type grows with its container: presenter sizes in a 480px-high chart (1366x768), up to 35% larger.
_FONT_SCALE = "clamp(containerSize()[1] / 480, 1, 1.35)"


def _scaled_fonts(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: {"expr": f"{v} * {_FONT_SCALE}"} if k in _FONT_KEYS and isinstance(v, int | float) else _scaled_fonts(v)
                for k, v in node.items()}
    if isinstance(node, list):
        return [_scaled_fonts(v) for v in node]
    return node


def fill_height(spec: dict) -> dict:
    """A slide's chart spec whose whole height (titles, legend and plot) is its container's (height="stretch"), with
    type scaled to that height."""
    data = {"datasets": spec["datasets"]} if "datasets" in spec else {}
    rest = {k: v for k, v in spec.items() if k != "datasets"}
    return _scaled_fonts(rest) | data | {"autosize": {"type": "fit", "contains": "padding"}, "height": "container"}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- trend ----------------------------------------------------------------------------------

def trend_chart(
    series: pd.DataFrame, area: str, measure_label: str, presenter: bool = False, plot_height: int | None = None,
    units: str = DEFAULT_UNITS,
) -> alt.LayerChart:
    """Monthly offences (bars), the same month a year earlier (dashed) and the rolling 12-month total (right axis).

    plot_height fixes the plot's height (a presenter slide), with the legend beside the plot instead of below it.
    units is what the measure counts (Measure.units: 'offences', 'incidents', ...), named in titles and tooltips.
    """
    style = _style(presenter)
    units_cap = _cap(units)
    _require(series, ("area_name", "month", "offence_count", "rolling_12_total", "offence_count_year_before"),
             "trend_chart")
    rows = series[series["area_name"] == area]
    if "measure_label" in rows.columns:
        rows = rows[rows["measure_label"] == measure_label]
    if rows.empty:
        raise ValueError("trend_chart: the series has no rows for that area and measure")
    if rows["month"].duplicated().any():
        raise ValueError("trend_chart needs one row per month: pass one area and one measure")
    rows = rows.sort_values("month")
    data = pd.DataFrame({
        "month": pd.to_datetime(rows["month"]).to_numpy(),
        "offence_count": rows["offence_count"].astype("Int64").to_numpy(),
        "rolling_12_total": rows["rolling_12_total"].astype("Int64").to_numpy(),
        "offence_count_year_before": rows["offence_count_year_before"].astype("Int64").to_numpy(),
    })
    data["offence_count_text"] = data["offence_count"].map(lambda v: fmt_count(v, na="no data"))
    data["rolling_12_total_text"] = data["rolling_12_total"].map(
        lambda v: "not yet 12 months of data" if is_missing(v) else fmt_count(v))
    data["offence_count_year_before_text"] = data["offence_count_year_before"].map(lambda v: fmt_count(v, na="no data"))

    # Both axes start at zero and the right one is 12x the left, so the rolling line sits at the height of an
    # average month's bar: the two axes agree instead of exaggerating each other.
    monthly_max = pd.concat([data["offence_count"], data["offence_count_year_before"]]).max()
    left_top = float(monthly_max) * 1.15 if not is_missing(monthly_max) and monthly_max > 0 else 10.0
    rolling_max = data["rolling_12_total"].max()
    right_top = max(left_top * 12, float(rolling_max) * 1.05 if not is_missing(rolling_max) else 0.0)

    series_names = [f"{units_cap} per month", "Same month a year earlier", "Rolling 12-month total"]
    colours = alt.Scale(domain=series_names, range=[MONTHLY_COLOUR, YEAR_BEFORE_COLOUR, ROLLING_COLOUR])
    # Below the plot, one entry a line: a horizontal legend is cut off in a half-width column.
    legend = (_legend(style, None, orient="bottom", direction="vertical", symbolType="stroke",
                      symbolStrokeWidth=style.stroke * 2) if plot_height is None else
              # One entry a line: two columns cut "Same month a year earlier" short in a narrow slide column.
              _legend(style, None, orient="top", direction="vertical", symbolType="stroke",
                      symbolStrokeWidth=style.stroke * 2, labelLimit=0, labelFontSize=round(style.label * 0.85),
                      rowPadding=0, padding=0, offset=4))
    tooltip = [
        alt.Tooltip("month:T", title="Month", format="%b %Y"),
        alt.Tooltip("offence_count_text:N", title=f"{units_cap} this month"),
        alt.Tooltip("offence_count_year_before_text:N", title="Same month a year earlier"),
        alt.Tooltip("rolling_12_total_text:N", title="Rolling 12-month total"),
    ]
    # Ticks only at months the data covers: a bar's band ends at the next month, which Vega would otherwise label.
    ticks = [alt.DateTime(year=t.year, month=t.month, date=1) for t in month_ticks(data["month"].iloc[0], data["month"].iloc[-1],
                                                                                    4 if plot_height is not None else 6)]
    month_axis = _axis(style, "Month", format="%b %Y", labelAngle=0, labelOverlap=True, grid=False, values=ticks)
    # A slide's plot grows with the screen: a tick every 40px would print every 5 offences.
    slide_ticks = {"tickCount": 5} if plot_height is not None else {}
    band_x = alt.X("yearmonth(month):T", axis=month_axis)
    mid_x = alt.X("yearmonth(month):T", bandPosition=0.5, axis=month_axis)
    left_y = alt.Scale(domain=[0, left_top], nice=False)

    base = alt.Chart(data)
    def named(name: str) -> alt.Chart:
        # A constant series name per layer (our own text, not data), so one colour legend explains all three.
        return base.transform_calculate(trend_series=f"'{name}'")

    bars = named(series_names[0]).mark_bar(opacity=0.9).encode(
        x=band_x,
        y=alt.Y("offence_count:Q", scale=left_y,
                axis=_axis(style, f"{units_cap} per month", format=COUNT_FORMAT, tickMinStep=1, **slide_ticks)),
        color=alt.Color("trend_series:N", scale=colours, legend=legend),
        tooltip=tooltip,
    )
    year_before = named(series_names[1]).mark_line(
        strokeDash=[6, 4], strokeWidth=style.stroke * 0.6, opacity=0.65,
    ).encode(
        x=mid_x, y=alt.Y("offence_count_year_before:Q", scale=left_y),
        color=alt.Color("trend_series:N"), tooltip=tooltip,
    )
    hover = alt.selection_point(name="trend_hover", on="pointerover", clear="pointerout", fields=["month"], empty=False)
    # A transparent full-height column per month, so the tooltip shows wherever the pointer is in that month.
    hover_columns = base.mark_rect(fill=INK).encode(
        x=band_x, y=alt.value(0), y2=alt.value("height"),
        opacity=alt.when(hover).then(alt.value(0.08)).otherwise(alt.value(0)),
        tooltip=tooltip,
    ).add_params(hover)

    # The peak and latest months are marked on the bars and said in the subtitle: a label drawn in the plot ends up
    # under the rolling line or the legend whatever the data.
    notes = _trend_notes(data)
    note_layers = [alt.Chart(pd.DataFrame(notes)).mark_point(filled=True, color=INK, size=style.label * 6, opacity=1)
                   .encode(x=mid_x, y=alt.Y("offence_count:Q", scale=left_y))] if notes else []
    facts_line = " ".join(f"{n['note_text']}." for n in notes)

    left = alt.layer(bars, year_before, *note_layers, hover_columns)
    # A single rolling-year value (the first full year loaded) is a line of one point: draw the point.
    lone = int(data["rolling_12_total"].notna().sum()) < 2
    rolling = named(series_names[2]).mark_line(
        strokeWidth=style.stroke * 1.25,
        point=alt.OverlayMarkDef(filled=True, size=style.stroke * 30) if lone else False,
    ).encode(
        x=mid_x,
        y=alt.Y("rolling_12_total:Q", scale=alt.Scale(domain=[0, right_top], nice=False),
                axis=_axis(style, "Rolling 12-month total", orient="right", format=COUNT_FORMAT, grid=False,
                           titleColor=ROLLING_COLOUR, **slide_ticks)),
        color=alt.Color("trend_series:N"),
        tooltip=tooltip,
    )
    title = _title(f"{_title_text(measure_label)} in {_title_text(area)}: monthly {units}", style,
                   f"Bars: {units} each month (left axis). Line: rolling 12-month total (right axis).", facts_line)
    if plot_height is not None:  # a slide: the cards above name the measure, so the title says what is plotted
        title = _title(f"{_title_text(area)}: {units} each month", style, facts_line)
    # Resolve and properties are given to the constructor: each chained call would copy the whole layered spec.
    return alt.layer(
        left, rolling, resolve=alt.Resolve(scale=alt.ScaleResolveMap(y="independent")),
        title=title, width="container", autosize=_FIT_WIDTH, height=plot_height or style.height(320),
        description=f"Monthly {units} with the rolling 12-month total and the same month a year earlier",
    )


def _trend_notes(data: pd.DataFrame) -> list[dict[str, Any]]:
    """The peak and latest months with their words (one row when they are the same month)."""
    facts = trend_facts(data[["month", "offence_count", "rolling_12_total"]])
    if not facts:
        return []
    peak_month, latest_month = pd.Timestamp(facts["peak_month"]), pd.Timestamp(facts["latest_month"])
    peak_text = f"{fmt_count(facts['peak_count'])} ({_month_text(peak_month)})"
    latest = {"month": latest_month, "offence_count": facts["latest_count"],
              "note_text": f"Latest: {fmt_count(facts['latest_count'])} ({_month_text(latest_month)})"}
    if peak_month == latest_month:
        return [latest | {"note_text": f"Peak and latest: {peak_text}"}]
    return [latest, {"month": peak_month, "offence_count": facts["peak_count"], "note_text": f"Peak: {peak_text}"}]


def month_ticks(first: Any, last: Any, most: int) -> list[pd.Timestamp]:
    """At most `most` month-start ticks from first to last (inclusive), every 1, 2, 3, 4, 6 or 12 months on calendar
    boundaries (Jan, Apr, Jul, Oct for 3): none past the last month."""
    first, last = pd.Timestamp(first).to_period("M"), pd.Timestamp(last).to_period("M")
    months = pd.period_range(first, last, freq="M")
    for step in (1, 2, 3, 4, 6, 12, 24, 60):
        ticks = [m for m in months if (m.month - 1) % step == 0 and (step < 12 or m.year % (step // 12) == 0)]
        if len(ticks) <= most:
            return [m.to_timestamp() for m in (ticks or months[:1])]
    return [months[0].to_timestamp()]


# --- league ---------------------------------------------------------------------------------

def league_chart(
    league: pd.DataFrame, focus: str, presenter: bool = False, highlight: list[str] | None = None,
    plot_height: int | None = None,
) -> alt.LayerChart:
    """Every ranked area as a horizontal bar, lowest rate (rank 1) at the top, focus highlighted, London as a rule.

    plot_height fits every bar into that height (a presenter slide): only highlighted bars are named, beside the bar.
    """
    style = _style(presenter)
    _require(league, ("area_name", "measure_label", "end_month", "current", "rate_per_1000", "rank", "rank_of"),
             "league_chart")
    if league.empty:
        raise ValueError("league_chart: the league is empty")
    _one_row_per_area(league, "league_chart")
    by_count = "rank_basis" in league.columns and league["rank_basis"].iloc[0] == "count"
    units = units_of(league)
    counted = f"{_cap(units)}, rolling year"
    value = "current" if by_count else "rate_per_1000"
    rows = league[league[value].notna()].copy()
    rows["_value"] = rows[value].astype("float64")
    rows = rows.sort_values(["_value", "area_name"], kind="stable")
    compact = plot_height is not None
    full_count = len(rows)
    if compact:  # a slide: the focus and the areas ranked either side of it, each named
        rows = league_window(rows, focus)
    names = rows["area_name"].astype(str)
    if "borough" in rows.columns and names.duplicated(keep=False).any():
        # Ward names can repeat across boroughs: say which borough, so the bars stay apart.
        repeated = names.duplicated(keep=False)
        names = names.where(~repeated, names + " (" + rows["borough"].astype(str) + ")")
    comparators = set(highlight or ())
    groups = ["Selected area" if a == focus else "Comparator group" if a in comparators else "Other areas"
              for a in rows["area_name"]]
    data = pd.DataFrame({
        "area_name": names.to_numpy(),
        "rate_per_1000": rows["rate_per_1000"].astype("Float64").to_numpy(),
        "current": rows["current"].astype("Int64").to_numpy(),
        "rate_text": rows["rate_per_1000"].map(lambda v: fmt_rate(v, na="no data")).to_numpy(),
        "current_text": rows["current"].map(lambda v: fmt_count(v, na="no data")).to_numpy(),
        "rank_text": [rank_text(r, n, na="not ranked", as_ordinal=False) for r, n in zip(rows["rank"], rows["rank_of"])],
        "pct_change_text": _column(rows, "pct_change").map(lambda v: fmt_pct(v, signed=True, na="no comparison")).to_numpy(),
        "highlight_group": groups,
        "league_order": range(len(rows)),
    })
    data["value_text"] = data["current_text"] if by_count else data["rate_text"]
    if compact:  # a slide names each bar with its value beside the axis: no label in the plot meets the comparator's line
        data["area_name"] = data["area_name"] + "  " + data["value_text"]
    order = ["Selected area", "Comparator group", "Other areas"]
    present = [g for g in order if g in set(groups)]
    colours = dict(zip(order, [FOCUS_COLOUR, COMPARATOR_COLOUR, OTHER_COLOUR]))

    comparator = comparator_of(league)
    london = None if by_count else _column(league, "comparator_rate_per_1000").dropna()
    london_rate = float(london.iloc[0]) if london is not None and len(london) else None
    top = max([*data[value].dropna().astype(float), london_rate or 0.0, 0.0]) or 1.0

    x_title = counted if by_count else "Rate per 1,000 residents"
    y = alt.Y("area_name:N", sort=alt.EncodingSortField(field="league_order", op="min", order="ascending"),
              axis=_axis(style, None, labelLimit=400, ticks=False))
    number = {"format": COUNT_FORMAT, "tickMinStep": 1} if by_count else {"format": RATE_FORMAT}
    # Room past the longest bar for its value label ("12.34"), and no more: the bars use the width.
    x = alt.X(f"{value}:Q", scale=alt.Scale(domain=[0, top * 1.18], nice=False),
              axis=_axis(style, x_title, grid=True, **({"tickCount": 4} if compact else {}), **number))
    value_title = counted if by_count else "Rate per 1,000"
    tooltip = [
        alt.Tooltip("area_name:N", title="Area"),
        alt.Tooltip("value_text:N", title=value_title),
        alt.Tooltip("rank_text:N", title="Rank"),
        *([] if by_count else [alt.Tooltip("current_text:N", title=counted)]),
        alt.Tooltip("pct_change_text:N", title="Change on previous year"),
    ]
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar().encode(
        x=x,
        color=alt.Color("highlight_group:N", scale=alt.Scale(domain=present, range=[colours[g] for g in present]),
                        legend=_legend(style, None, orient="top", direction="horizontal")
                        if len(present) > 1 and not compact else None),
        tooltip=tooltip,
    )
    # Values beside the bars: all of them in a short league, else the highlighted bars only.
    labelled = base.transform_filter("datum.highlight_group != 'Other areas'") if len(data) > 15 else base
    label_size = style.label * 0.9
    labels = labelled.mark_text(align="left", baseline="middle", dx=_label_dx(label_size, london_rate, value),
                                fontSize=label_size, color=INK).encode(x=alt.X(f"{value}:Q"), text="value_text:N")
    layers: list[alt.Chart] = [bars] if compact else [bars, labels]
    if london_rate is not None:
        london_data = pd.DataFrame({"comparator_rate_per_1000": [london_rate],
                                    "london_label": [f"{comparator} {fmt_rate(london_rate)}"]})
        london_base = alt.Chart(london_data).encode(x=alt.X("comparator_rate_per_1000:Q"))
        london_tooltip = [alt.Tooltip("london_label:N", title=f"{comparator} rate per 1,000")]
        layers.append(london_base.mark_rule(color=INK, strokeWidth=style.stroke, strokeDash=[6, 3]).encode(
            tooltip=london_tooltip))
        # Past the middle of the axis the label ends at the rule, else it starts there: centred on a rule near the
        # right edge, its second half was cut off ("Avon and Somerset 77.2").
        right_half = london_rate > top * 1.18 / 2
        layers.append(london_base.mark_text(align="right" if right_half else "left", dx=4 if right_half else -4,
                                            baseline="bottom", dy=-4, fontSize=style.label,
                                            fontWeight="bold", color=INK).encode(
            text="london_label:N", y=alt.value(0), tooltip=london_tooltip))

    end = _end_month(league)
    measure = _title_text(league["measure_label"].iloc[0])
    if by_count:
        text = f"{measure}: {units}, rolling year to {end}"
        subtitle = f"No populations are loaded for these areas, so they are ranked by count: 1 = fewest {units}."
    else:
        text = f"{measure}: rate per 1,000 residents, rolling year to {end}"
        subtitle = "Rank 1 = the lowest rate, at the top." + (f" Dashed line: {comparator}." if london_rate is not None else "")
    if compact:
        at = league.loc[league["area_name"] == focus, ["rank", "rank_of"]]
        place = rank_text(at["rank"].iloc[0], at["rank_of"].iloc[0], na=None) if len(at) else None
        basis = units if by_count else "rate per 1,000"
        text = (f"{_title_text(focus)}: {place} by {basis}, lowest at the top" if place
                else f"{measure}: {basis} by area, lowest at the top")
        subtitle = (f"The {len(data)} areas ranked nearest {_title_text(focus)}, of {full_count}."
                    if len(data) < full_count else None)
    return alt.layer(
        *layers, title=_title(text, style, subtitle), width="container", autosize=_FIT_WIDTH,
        height=plot_height or style.height(22) * max(len(data), 1), description="League of areas by rate, lowest first",
    )


LABEL_GAP_PX = 4    # a value label's gap from its bar's end, and from the comparator's rule
CHAR_WIDTH_EM = 0.6  # a generous width per character of a value label ("69.95"), in ems of its font size


def _label_dx(font_size: float, rule: float | None, field: str) -> float | dict:
    """A bar's value label's offset: just past the bar, or, when its text would cross the comparator's rule (a bar
    ending just short of it), just past the rule instead. Worked out in pixels when drawn (scale('x', ...)), so it
    holds at any chart width."""
    if rule is None:
        return LABEL_GAP_PX
    end, line = f"scale('x', datum.{field})", f"scale('x', {rule!r})"
    width = f"length(datum.value_text) * {font_size * CHAR_WIDTH_EM:.2f}"
    crosses = f"inrange({line}, [{end}, {end} + {2 * LABEL_GAP_PX} + {width}])"  # no '<' in a spec (test_charts)
    return {"expr": f"{crosses} ? {line} - {end} + {LABEL_GAP_PX} : {LABEL_GAP_PX}"}


def league_window(rows: pd.DataFrame, focus: str, either_side: int = 3) -> pd.DataFrame:
    """The league rows (in rank order) of the focus and up to either_side areas each side of it, as many as fit when it
    is near the top or bottom; the first 2 * either_side + 1 rows when the focus is not in the league."""
    size = 2 * either_side + 1
    at = [i for i, name in enumerate(rows["area_name"]) if name == focus]
    start = 0 if not at else max(0, min(at[0] - either_side, len(rows) - size))
    return rows.iloc[start:start + size]


# --- tile map -------------------------------------------------------------------------------

def tile_map(league: pd.DataFrame, presenter: bool = False, focus: str | None = None) -> alt.LayerChart:
    """A grid cartogram of the 32 boroughs coloured by rate per 1,000; boroughs missing from the league are grey."""
    style = _style(presenter)
    _require(league, ("area_name", "rate_per_1000"), "tile_map")
    _one_row_per_area(league, "tile_map")
    boroughs = london_boroughs()
    tiles = pd.DataFrame({
        "area_name": [b.name for b in boroughs], "short_name": [b.short_name for b in boroughs],
        "tile_col": [b.tile_col for b in boroughs], "tile_row": [b.tile_row for b in boroughs],
    })

    def key(name: Any) -> str:
        return " ".join(str(name).casefold().split())

    by_name = {key(row.area_name): row for row in league.itertuples(index=False)}
    found = [by_name.get(key(name)) for name in tiles["area_name"]]
    rates = pd.array([None if r is None or is_missing(r.rate_per_1000) else float(r.rate_per_1000) for r in found],
                     dtype="Float64")
    tiles["rate_per_1000"] = rates
    tiles["has_rate"] = [not is_missing(r) for r in rates]
    tiles["rate_text"] = [fmt_rate(r, na="no data") for r in rates]
    tiles["rank_text"] = ["no data" if r is None else rank_text(getattr(r, "rank", None), getattr(r, "rank_of", None), na="not ranked", as_ordinal=False)
                          for r in found]
    tiles["current_text"] = [fmt_count(getattr(r, "current", None), na="no data") if r is not None else "no data" for r in found]
    tiles["is_focus"] = [focus is not None and key(name) == key(focus) for name in tiles["area_name"]]

    known = tiles.loc[tiles["has_rate"], "rate_per_1000"].astype(float)
    low, high = (float(known.min()), float(known.max())) if len(known) else (0.0, 1.0)
    if high <= low:
        low, high = 0.0, max(high, 1.0)
    # White text on the darker tiles of the sequential scheme, dark text elsewhere.
    tiles["dark_tile"] = [bool(h) and (float(r) - low) / (high - low) > 0.65 for r, h in zip(rates, tiles["has_rate"])]

    n_cols, n_rows = int(tiles["tile_col"].max()) + 1, int(tiles["tile_row"].max()) + 1
    x = alt.X("tile_col:O", axis=None, scale=alt.Scale(domain=list(range(n_cols)), paddingInner=0.08, paddingOuter=0.02))
    # An ordinal band scale puts its first value at the top, so row 0 (north) is the top row.
    y = alt.Y("tile_row:O", axis=None, scale=alt.Scale(domain=list(range(n_rows)), paddingInner=0.08, paddingOuter=0.02))
    tooltip = [
        alt.Tooltip("area_name:N", title="Borough"),
        alt.Tooltip("rate_text:N", title="Rate per 1,000"),
        alt.Tooltip("rank_text:N", title="Rank"),
        alt.Tooltip("current_text:N", title=f"{_cap(units_of(league))}, rolling year"),
    ]
    base = alt.Chart(tiles).encode(x=x, y=y, tooltip=tooltip)
    layers: list[alt.Chart] = []
    if tiles["has_rate"].any():
        layers.append(base.transform_filter("datum.has_rate").mark_rect(cornerRadius=3).encode(
            color=alt.Color("rate_per_1000:Q", scale=alt.Scale(scheme=SEQUENTIAL_SCHEME, domain=[low, high]),
                            # Below the map: beside it, it took a fifth of a half-width column from the tiles.
                            legend=_legend(style, "Rate per 1,000", format=RATE_FORMAT, gradientLength=style.height(200),
                                           gradientThickness=style.label, orient="bottom", direction="horizontal"))))
    if not tiles["has_rate"].all():
        layers.append(base.transform_filter("!datum.has_rate").mark_rect(cornerRadius=3, color=NO_DATA_COLOUR))
    text_colour = alt.when(alt.datum.dark_tile).then(alt.value("#ffffff")).otherwise(alt.value(INK))
    # Type sized to the tile's width (a name is 4 letters, a rate up to 6 characters), so neighbours' labels never
    # run into each other ("HammKens") in a narrow column.
    layers.append(base.mark_text(baseline="bottom", dy=-1, fontWeight="bold",
                                 fontSize=alt.ExprRef(expr=f"min({style.label}, bandwidth('x') / 2.7)")).encode(
        text="short_name:N", color=text_colour))
    layers.append(base.mark_text(baseline="top", dy=2,
                                 fontSize=alt.ExprRef(expr=f"min({round(style.label * 0.85)}, bandwidth('x') / 3.5)")).encode(
        text="rate_text:N", color=text_colour))
    if tiles["is_focus"].any():
        layers.append(base.transform_filter("datum.is_focus").mark_rect(
            filled=False, stroke=INK, strokeWidth=style.stroke * 1.5, cornerRadius=3))

    end = _end_month(league)
    measure = _title_text(league["measure_label"].iloc[0]) if "measure_label" in league.columns and len(league) else None
    text = (f"{measure}: rate per 1,000 residents, rolling year to {end}" if measure and end
            else "Rate per 1,000 residents by borough")
    subtitle = "Each square is a London borough, placed roughly as on a map."
    if not tiles["has_rate"].all():
        subtitle += " Grey: no data."
    if tiles["is_focus"].any():
        subtitle += " Outlined: the selected borough."
    return alt.layer(
        *layers, title=_title(text, style, subtitle), width="container", autosize=_FIT_WIDTH,
        height=style.height(n_rows * 52),
        view=alt.ViewBackground(stroke=None), description="Tile map of London boroughs coloured by rate per 1,000",
    )


# --- explore --------------------------------------------------------------------------------

def comparison_chart(series: pd.DataFrame, value: str = "offence_count", presenter: bool = False,
                     units: str = DEFAULT_UNITS) -> alt.LayerChart:
    """One line per area x measure over time: counts, rolling totals or rates (VALUE_TITLES lists the values), titled
    in the measures' unit."""
    style = _style(presenter)
    if value not in VALUE_TITLES:
        raise ValueError(f"comparison_chart: value must be one of {list(VALUE_TITLES)}, not {value!r}")
    _require(series, ("area_name", "measure_label", "month", value), "comparison_chart")
    rate = "rate" in value
    data = pd.DataFrame({
        "area_name": series["area_name"].astype(str).to_numpy(),
        "measure_label": series["measure_label"].astype(str).to_numpy(),
        "month": pd.to_datetime(series["month"]).to_numpy(),
        value: series[value].astype("Float64").to_numpy(),
    }).sort_values(["area_name", "measure_label", "month"], kind="stable")
    data["value_text"] = data[value].map(lambda v: (fmt_rate if rate else fmt_count)(v, na="no data"))
    n_areas, n_measures = data["area_name"].nunique(), data["measure_label"].nunique()

    # With one area and several measures, colour tells the measures apart instead (dashes too, for redundancy).
    by_measure = n_areas == 1 and n_measures > 1
    colour_field, colour_title = ("measure_label", "Measure") if by_measure else ("area_name", "Area")
    encoding: dict[str, Any] = {
        "x": alt.X("month:T", axis=_axis(style, "Month", format="%b %Y", labelAngle=0, labelOverlap=True, grid=False)),
        "y": alt.Y(f"{value}:Q", axis=_axis(style, value_title(value, units), format=RATE_FORMAT if rate else COUNT_FORMAT,
                                               **({} if rate else {"tickMinStep": 1}))),
        # Past eight lines the colour-blind-safe palette would repeat; 20 colours beat repeats.
        "color": alt.Color(f"{colour_field}:N",
                           scale=alt.Scale(range=PALETTE) if data[colour_field].nunique() <= len(PALETTE)
                           else alt.Scale(scheme="tableau20"),
                           legend=_legend(style, colour_title, symbolType="stroke",
                                          symbolStrokeWidth=style.stroke * 1.5)),
        "tooltip": [
            alt.Tooltip("area_name:N", title="Area"),
            alt.Tooltip("measure_label:N", title="Measure"),
            alt.Tooltip("month:T", title="Month", format="%b %Y"),
            alt.Tooltip("value_text:N", title=value_title(value, units)),
        ],
    }
    if n_measures > 1:
        encoding["strokeDash"] = alt.StrokeDash("measure_label:N", scale=alt.Scale(range=DASHES),
                                                legend=_legend(style, "Measure", symbolType="stroke",
                                                               symbolStrokeWidth=style.stroke, symbolStrokeColor=INK))
    subtitle = "Line colour: area. Line style: measure." if n_measures > 1 and n_areas > 1 else None
    lines = alt.Chart(data).mark_line(strokeWidth=style.stroke).encode(**encoding)
    # Points as their own layer: as a line's point overlay they blank the line-style legend's symbols.
    points = alt.Chart(data).mark_point(filled=True, size=style.stroke * 12, opacity=1).encode(
        x=encoding["x"], y=encoding["y"], tooltip=encoding["tooltip"],
        color=alt.Color(f"{colour_field}:N"),
    )
    return alt.layer(
        lines, points, title=_title(value_title(value, units, chart=True), style, subtitle), width="container",
        autosize=_FIT_WIDTH,
        height=style.height(320), description="Line chart comparing areas and measures over time",
    )


# --- spine chart ----------------------------------------------------------------------------

# The legend's order of the comparison labels (formatting.benchmark_label's): worse, similar, better, not compared.
_COMPARISON_ORDER = [benchmark_label(word, direction) for word, direction in (
    ("significantly higher", "lower_is_better"), ("significantly lower", "higher_is_better"), ("similar", None),
    ("significantly lower", "lower_is_better"), ("significantly higher", "higher_is_better"), ("not compared", None))]
RANGE_COLOUR = "#d9d9d9"
QUARTILE_COLOUR = "#8c8c8c"
SPINE_VALUES_AT = 1.04   # where the rates are written, past the row's best end (1)
SPINE_DOMAIN = [0, 1.3]  # the rows take 0 to 1, the rates the rest


def spine_chart(
    spine: pd.DataFrame, area: str, comparator: str, presenter: bool = False, title: str | None = None,
    plot_height: int | None = None,
) -> alt.LayerChart:
    """One row per measure: the comparator group's areas from worst (left) to best (right) with the middle half
    darker, the comparator's rate as the centre line and the area's marker coloured by its comparison.

    spine: sbp.metrics.profile.spine's frame (positions 0 worst, 0.5 the comparator, 1 best; rates per 1,000).
    """
    style = _style(presenter)
    _require(spine, ("measure_label", "area_rate", "comparator_rate", "worst", "best", "worst_position",
                     "worst_quartile_position", "best_quartile_position", "best_position", "area_position",
                     "comparison"), "spine_chart")
    if spine.empty:
        raise ValueError("spine_chart: no measures")
    # The comparison as the board table and cards say and colour it: 'Significantly higher (worse)' in red, ...
    words = [benchmark_label(w if isinstance(w, str) else "not compared", d)
             for w, d in zip(spine["comparison"], _column(spine, "direction").fillna("lower_is_better"))]
    data = pd.DataFrame({
        "measure_label": spine["measure_label"].astype(str).to_numpy(),
        "row_order": range(len(spine)),
        "comparison": words,
        "values_at": SPINE_VALUES_AT,
        "area_text": spine["area_rate"].map(lambda v: fmt_rate(v, na="n/a")).to_numpy(),
        "comparator_text": spine["comparator_rate"].map(lambda v: fmt_rate(v, na="n/a")).to_numpy(),
        "worst_text": spine["worst"].map(lambda v: fmt_rate(v, na="n/a")).to_numpy(),
        "best_text": spine["best"].map(lambda v: fmt_rate(v, na="n/a")).to_numpy(),
        "quartiles_text": [f"{fmt_rate(a, na='n/a')} to {fmt_rate(b, na='n/a')}" for a, b in
                           zip(spine["worst_quartile"] if "worst_quartile" in spine else [None] * len(spine),
                               spine["best_quartile"] if "best_quartile" in spine else [None] * len(spine))],
        "reason_text": [r if isinstance(r, str) else "" for r in _column(spine, "reason")],
    })
    for name in ("worst_position", "worst_quartile_position", "best_quartile_position", "best_position",
                 "area_position"):
        data[name] = spine[name].astype("Float64").to_numpy()
    data["values_text"] = [f"{a}  ({c})" if a != "n/a" or c != "n/a" else "n/a"
                           for a, c in zip(data["area_text"], data["comparator_text"])]
    area_name, comparator_name = _title_text(area), _title_text(comparator)
    y = alt.Y("measure_label:N", sort=alt.EncodingSortField(field="row_order", op="min", order="ascending"),
              axis=_axis(style, None, labelLimit=style.label * 26, ticks=False, domain=False, labelPadding=6))
    x = alt.X("worst_position:Q", scale=alt.Scale(domain=SPINE_DOMAIN, nice=False, zero=False),
              axis=_axis(style, None, values=[0, 0.5, 1], grid=False, domain=False, ticks=False,
                         labelExpr="datum.value == 0 ? 'Worst' : datum.value == 1 ? 'Best' : 'Comparator'"))
    tooltip = [
        alt.Tooltip("measure_label:N", title="Measure"),
        alt.Tooltip("area_text:N", title=f"{area_name}, rate per 1,000"),
        alt.Tooltip("comparison:N", title=f"Compared with {comparator_name}"),
        alt.Tooltip("comparator_text:N", title=f"{comparator_name}, rate per 1,000"),
        alt.Tooltip("worst_text:N", title="Worst area"),
        alt.Tooltip("quartiles_text:N", title="Middle half of areas"),
        alt.Tooltip("best_text:N", title="Best area"),
        alt.Tooltip("reason_text:N", title="Not shown because"),
    ]
    band = style.label * 1.2
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    drawn = base.transform_filter("isValid(datum.worst_position)")
    spread = drawn.mark_bar(color=RANGE_COLOUR, height=band).encode(x=x, x2="best_position:Q")
    middle = drawn.mark_bar(color=QUARTILE_COLOUR, height=band).encode(
        x=alt.X("worst_quartile_position:Q"), x2="best_quartile_position:Q")
    centre = drawn.mark_tick(color=INK, thickness=style.stroke, size=band * 1.5).encode(x=alt.datum(0.5))
    present = sorted(set(words), key=_COMPARISON_ORDER.index)
    level = _column(spine, "confidence").dropna()
    confidence = f" ({float(level.iloc[0]):g}% confidence)" if len(level) else ""
    marker = base.transform_filter("isValid(datum.area_position)").mark_point(
        filled=True, shape="circle", size=style.label * 14, stroke=INK, strokeWidth=style.stroke * 0.6, opacity=1,
    ).encode(x=alt.X("area_position:Q"), color=alt.Color(
        "comparison:N", scale=alt.Scale(domain=present, range=[benchmark_colours(w)[0] for w in present]),
        legend=_legend(style, f"{area_name} compared with {comparator_name}{confidence}", orient="top",
                       direction="horizontal",
                       symbolStrokeColor=INK, symbolType="circle", titleLimit=0)))
    values = base.mark_text(align="left", baseline="middle", fontSize=style.label, color=INK).encode(
        x=alt.X("values_at:Q"), text="values_text:N")
    text = title or f"{area_name} against {comparator_name}"
    subtitle = (f"Rates per 1,000. Each row runs from the worst {comparator_name} area (left) to the best (right), "
                f"the middle half darker; the line is {comparator_name}, centred; the dot is {area_name}. "
                f"Figures: {area_name} ({comparator_name}).")
    return alt.layer(
        spread, middle, centre, marker, values, title=_title(text, style, subtitle), width="container",
        autosize=_FIT_WIDTH, height=plot_height or round(style.label * 2.3) * len(data),
        description="Spine chart of each measure's rate against the comparator's range of areas",
    )


# --- funnel plot ----------------------------------------------------------------------------

LIMIT_NAMES = {"95": "95% limits", "998": "99.8% limits"}


def funnel_chart(funnel: Any, focus: str, presenter: bool = False, plot_height: int | None = None,
                 units: str = DEFAULT_UNITS) -> alt.LayerChart:
    """Each area's rate per 1,000 against its population, the comparator's rate as a line and the 95% and 99.8%
    limits around it (sbp.metrics.profile.Funnel); the focus area named, the others on hover."""
    style = _style(presenter)
    if funnel.reason is not None or funnel.points.empty:
        raise ValueError(f"funnel_chart: no funnel ({funnel.reason})")
    points = funnel.points
    data = pd.DataFrame({
        "area_name": points["area_name"].astype(str).to_numpy(),
        "population": points["population"].astype("int64").to_numpy(),
        "rate_per_1000": points["rate_per_1000"].astype("float64").to_numpy(),
        "rate_text": points["rate_per_1000"].map(fmt_rate).to_numpy(),
        "current_text": points["current"].map(fmt_count).to_numpy(),
        "population_text": points["population"].map(fmt_count).to_numpy(),
        "position": points["position"].astype(str).to_numpy(),
        "is_focus": (points["area_name"] == focus).to_numpy(),
    })
    limits = funnel.limits
    lines = pd.concat([pd.DataFrame({"population": limits["population"], "limit_rate": limits[f"{side}_{level}"],
                                     "limit": LIMIT_NAMES[level], "line": f"{side}_{level}"})
                       for level in LIMIT_NAMES for side in ("lower", "upper")], ignore_index=True)
    top = max(float(data["rate_per_1000"].max()), float(funnel.comparator_rate)) * 1.25
    low, high = float(limits["population"].min()), float(limits["population"].max())
    x = alt.X("population:Q", scale=alt.Scale(domain=[low, high], nice=False, zero=False),
              axis=_axis(style, "Population (residents)", format=COUNT_FORMAT, tickCount=5, labelOverlap=True))
    y_scale = alt.Scale(domain=[0, top], nice=False)
    y = alt.Y("rate_per_1000:Q", scale=y_scale, axis=_axis(style, "Rate per 1,000, rolling year", format=RATE_FORMAT))
    comparator = _title_text(funnel.comparator)
    limit_lines = alt.Chart(lines).mark_line(color=YEAR_BEFORE_COLOUR, strokeWidth=style.stroke * 0.75, clip=True).encode(
        x=x, y=alt.Y("limit_rate:Q", scale=y_scale), detail="line:N",
        strokeDash=alt.StrokeDash("limit:N", scale=alt.Scale(domain=list(LIMIT_NAMES.values()), range=[[6, 3], [1, 0]]),
                                  legend=_legend(style, None, orient="top", direction="horizontal", symbolType="stroke",
                                                 symbolStrokeWidth=style.stroke, symbolStrokeColor=INK)))
    centre = alt.Chart(pd.DataFrame({"comparator_rate": [funnel.comparator_rate],
                                     "comparator_text": [fmt_rate(funnel.comparator_rate)]})).mark_rule(
        color=ROLLING_COLOUR, strokeWidth=style.stroke).encode(
        y=alt.Y("comparator_rate:Q", scale=y_scale),
        tooltip=[alt.Tooltip("comparator_text:N", title=f"{comparator} rate per 1,000")])
    tooltip = [
        alt.Tooltip("area_name:N", title="Area"), alt.Tooltip("rate_text:N", title="Rate per 1,000"),
        alt.Tooltip("current_text:N", title=f"{_cap(units)}, rolling year"),
        alt.Tooltip("population_text:N", title="Population"), alt.Tooltip("position:N", title="Against the limits"),
    ]
    dots = alt.Chart(data).mark_point(filled=True, opacity=0.9, strokeWidth=1, stroke="#ffffff").encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.when(alt.datum.is_focus).then(alt.value(FOCUS_COLOUR)).otherwise(alt.value(OTHER_COLOUR_DARK)),
        size=alt.when(alt.datum.is_focus).then(alt.value(style.label * 18)).otherwise(alt.value(style.label * 7)),
    )
    layers: list[alt.Chart] = [limit_lines, centre, dots]
    chosen = data[data["is_focus"]]
    if len(chosen):
        # The name on the side with more room: left of a dot in the right half of the plot, else right of it.
        right_half = float(chosen["population"].iloc[0]) > (low + high) / 2
        layers.append(alt.Chart(chosen).mark_text(
            align="right" if right_half else "left", dx=-10 if right_half else 10, baseline="middle",
            fontSize=style.label, fontWeight="bold", color=INK).encode(x=x, y=y, text="area_name:N", tooltip=tooltip))
    measure, end = _title_text(funnel.measure_label), _month_text(funnel.end)
    phi = f"{funnel.dispersion:,.1f}"
    method = (f"Limits widened for over-dispersion (phi = {phi}, multiplicative)." if funnel.overdispersed else
              "Exact Poisson limits." + (f" The areas vary more than chance allows (phi = {phi})."
                                         if funnel.dispersion > 1.0001 else ""))
    subtitle = (f"Each dot is an area; orange line: {comparator} ({fmt_rate(funnel.comparator_rate)}); outside the "
                f"lines is more than chance allows for an area of that size. {method}")
    return alt.layer(
        *layers, title=_title(f"{measure}: rate per 1,000 against population, rolling year to {end}", style, subtitle),
        width="container", autosize=_FIT_WIDTH, height=plot_height or style.height(320),
        description="Funnel plot of each area's rate against its population with control limits",
    )
