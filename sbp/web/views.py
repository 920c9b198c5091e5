"""What a page view sends, cached per input key: the board tables' HTML, the cards, chart specs ready to send,
captions and CSV downloads.

appdata caches the metrics layer's frames, and st.cache_data hands back a copy of a frame on every hit; a page
then filtered, formatted and rendered it again on every view. Here each rendered artefact has one cached function
whose arguments are everything it depends on (`inputs`: the data version, settings and measures configuration;
then the area, period and page choices as plain values), so a view that was drawn before costs a dictionary look-up.
They are st.cache_resource: the value is handed back as it is, never copied, so it must never be changed by a
caller (strings, bytes, frozen dataclasses, and chart specs that only Streamlit reads).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from sbp.config import DEFAULT_UNITS, Priority
from sbp.display import boardtable, charts, exceptions_view, formatting, narrative, pageviews
from sbp.errors import SbpError
from sbp.metrics.periods import trend_window, two_year_window
from sbp.web import appdata

artefact = st.cache_resource  # every function below: its value is shared by every session, never copied


def sendable(spec: dict) -> dict:
    """A Vega-Lite spec with its datasets as the Arrow bytes st.vega_lite_chart sends (it converts each named dataset
    of records to Arrow on every call unless it is bytes already), so a cached spec is converted once."""
    if "datasets" not in spec:
        return spec
    return spec | {"datasets": {name: data if isinstance(data, bytes) else convert_anything_to_arrow_bytes(data)
                                for name, data in spec["datasets"].items()}}


def _rows(inputs: str, area: str, end: dt.date, measures: tuple[str, ...]) -> pd.DataFrame:
    headline = appdata.headline(inputs, area, end)
    return headline[headline["measure_id"].isin(measures)]


# --- board tables (Overview, priority pages) -----------------------------------------------------

@artefact(max_entries=256, show_spinner=False)
def board_html(inputs: str, area: str, end: dt.date, measures: tuple[str, ...]) -> str:
    """The board table of these measures, in this order, for an area and period, as static HTML."""
    return boardtable.board_html(boardtable.board_table(_rows(inputs, area, end, measures), end, list(measures)))


@dataclass(frozen=True)
class BoardSection:
    """One priority's part of the Overview: its title, its board table and a note for each measure without a figure."""

    title: str
    html: str
    notes: tuple[str, ...]  # 'n/a: <why>', as Markdown shown literally


@artefact(max_entries=64, show_spinner=False)
def board_sections(inputs: str, area: str, end: dt.date, priorities: tuple[Priority, ...]) -> tuple[BoardSection, ...]:
    """The Overview's sections, one per priority (its title and measures are part of the key: the configuration's
    fingerprint in inputs covers what changes figures, not priorities' titles or lists)."""
    sections = []
    for priority in priorities:
        title, measures = priority.title, priority.measures
        rows = _rows(inputs, area, end, measures)
        notes = tuple("n/a: " + formatting.literal(appdata.unavailable_reason(
            inputs, row.measure_id, end, negative=bool(row.negative_count), area=area))
            for row in rows[rows["current"].isna() | rows["previous"].isna()].itertuples())
        sections.append(BoardSection(title, board_html(inputs, area, end, measures), notes))
    return tuple(sections)


@artefact(max_entries=64, show_spinner=False)
def board_csv(inputs: str, area: str, end: dt.date, priorities: tuple[Priority, ...]) -> bytes:
    """The Overview's download: every priority's table (boardtable.board_csv) as CSV bytes."""
    return formatting.csv_bytes(boardtable.board_csv(appdata.headline(inputs, area, end), end, priorities))


# --- priority pages ------------------------------------------------------------------------------

@artefact(max_entries=256, show_spinner=False)
def opening_measure(inputs: str, area: str, end: dt.date, measures: tuple[str, ...], headline_measure: str) -> str:
    """The measure a priority page opens on (pageviews.opening_measure)."""
    priority = Priority(id="", title="", measures=measures, headline=headline_measure)
    return pageviews.opening_measure(priority, _rows(inputs, area, end, measures))


@dataclass(frozen=True)
class MeasureView:
    """A measure's figures on its priority page: the cards and summary, or that it has none for the period."""

    has_figure: bool      # a rolling-year count is known (else the page says why instead of cards and charts)
    negative_count: bool  # a data error: a count below zero (appdata.unavailable_reason says so)
    cards: str            # the metric cards' HTML
    summary: str          # the one-sentence summary, as Markdown shown literally


@artefact(max_entries=512, show_spinner=False)
def measure_view(inputs: str, area: str, end: dt.date, measure_id: str, comparator: str) -> MeasureView:
    """One measure's cards and summary sentence for an area and period."""
    row = _rows(inputs, area, end, (measure_id,)).iloc[0]
    return MeasureView(not formatting.is_missing(row["current"]), bool(row["negative_count"]),
                       pageviews.cards_html(row, comparator), formatting.literal(narrative.summary_sentence(row.to_dict())))


# Building an Altair chart costs 0.1-0.2 s of server CPU, and st.vega_lite_chart turns a spec's data into Arrow on
# every call: both are done once per chart here.
@artefact(max_entries=128, show_spinner=False)
def trend_spec(inputs: str, area: str, measure_id: str, label: str, end: dt.date, presenter: bool,
               plot_height: int | None = None, units: str = DEFAULT_UNITS, slide: bool = False) -> dict:
    """The trend chart (last 36 months) for one area and measure, ready to send (plot_height: a slide's plot; slide:
    the whole chart fills its container, charts.fill_height; units: what the measure counts, Measure.units)."""
    start, _ = trend_window(end, appdata.store_info(inputs).first_month)  # no empty years before the data starts
    frame = appdata.series(inputs, (area,), (measure_id,), start, end)
    spec = charts.to_spec(charts.trend_chart(frame, area, label, presenter=presenter, plot_height=plot_height, units=units))
    return sendable(charts.fill_height(spec) if slide else spec)


@artefact(max_entries=128, show_spinner=False)
def league_spec(inputs: str, measure_id: str, end: dt.date, focus: str, presenter: bool,
                group: tuple[str, ...] | None = None, plot_height: int | None = None, slide: bool = False) -> dict:
    """The league chart of the focus area's comparator group (optionally only a subgroup, highlighted), ready to
    send (slide: filling its container)."""
    frame = appdata.in_group_of(appdata.league(inputs, measure_id, end), focus,
                                appdata.store_info(inputs).forces.get(focus))
    if group is not None:
        frame = frame[frame["area_name"].isin(group)]
    spec = charts.to_spec(charts.league_chart(frame, focus=focus, presenter=presenter,
                                              highlight=list(group) if group else None, plot_height=plot_height))
    return sendable(charts.fill_height(spec) if slide else spec)


@artefact(max_entries=64, show_spinner=False)
def tile_spec(inputs: str, measure_id: str, end: dt.date, focus: str, presenter: bool) -> dict:
    """The London tile map for a measure, ready to send."""
    return sendable(charts.to_spec(charts.tile_map(appdata.league(inputs, measure_id, end), presenter=presenter,
                                                   focus=focus)))


@artefact(max_entries=128, show_spinner=False)
def spine_spec(inputs: str, area: str, end: dt.date, measure_ids: tuple[str, ...], presenter: bool,
               title: str | None = None) -> dict:
    """The spine chart of an area's measures against its comparator group, ready to send."""
    comparator = appdata.store_info(inputs).forces.get(area, "London")
    board = appdata.spine(inputs, area, end)
    rows = board.set_index("measure_id").loc[list(measure_ids)].reset_index()  # the measures asked for, in order
    return sendable(charts.to_spec(charts.spine_chart(rows, area, comparator, presenter=presenter, title=title)))


@artefact(max_entries=64, show_spinner=False)
def funnel_spec(inputs: str, measure_id: str, end: dt.date, area: str, overdispersed: bool, presenter: bool) -> dict:
    """The funnel plot of a measure in the area's comparator group, ready to send."""
    return sendable(charts.to_spec(charts.funnel_chart(appdata.funnel(inputs, measure_id, end, area, overdispersed), area,
                                                       presenter=presenter, units=appdata.measure_units(inputs, measure_id))))


@dataclass(frozen=True)
class ScanPanel:
    """An exception scan as a page shows it: what it was based on, and the flagged table or why nothing is."""

    error: str | None = None   # the scan could not run: why (shown instead)
    note: str = ""
    html: str = ""             # the flagged counts ('' when none is flagged)
    nothing: str = ""          # nothing flagged: 'nothing unusual', or why nothing could be checked
    tested: bool = True        # anything was tested (nothing flagged reads as a success)


@artefact(max_entries=128, show_spinner=False)
def borough_scan(inputs: str, end: dt.date, area: str, by: str) -> ScanPanel:
    """The borough panel of the borough-level scan (by 'measure' or 'minor' category, the comparator included)."""
    try:
        scan = appdata.exceptions(inputs, end, "borough", None, by=by, include_comparator=True)
    except SbpError as exc:
        return ScanPanel(str(exc))
    return ScanPanel(note=exceptions_view.scan_note(scan, "borough", area),
                     html=exceptions_view.borough_flags_html(scan, area))


@artefact(max_entries=256, show_spinner=False)
def ward_scan(inputs: str, end: dt.date, area: str, measure_id: str | None) -> ScanPanel:
    """The scan of an area's wards: every minor category (measure_id None), or one measure."""
    try:
        if measure_id is None:
            scan = appdata.exceptions(inputs, end, "ward", area)
        else:
            scan = appdata.exceptions(inputs, end, "ward", area, by="measure", measure_ids=(measure_id,))
    except SbpError as exc:
        return ScanPanel(str(exc))
    if scan.flags.empty:
        tested, nothing = exceptions_view.nothing_flagged(scan, "ward")
        return ScanPanel(note=exceptions_view.scan_note(scan, "ward"), nothing=nothing, tested=tested)
    return ScanPanel(note=exceptions_view.scan_note(scan, "ward"), html=exceptions_view.flags_html(scan, area_title="Ward"))


# --- Rankings --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RankingsView:
    """The Rankings page for a measure, period, focus area and subgroup."""

    caption: str
    ranked: bool           # any area has a rank (else the page says why, with no chart or table)
    html: str              # the league as a static table
    comparator_caption: str
    csv: bytes


@artefact(max_entries=256, show_spinner=False)
def rankings_view(inputs: str, measure_id: str, end: dt.date, focus: str, comparator: str, group_label: str,
                  group: tuple[str, ...]) -> RankingsView:
    """The Rankings page's league of the focus area's comparator group, shown for a subgroup (pageviews)."""
    league = appdata.in_group_of(appdata.league(inputs, measure_id, end), focus, comparator)
    units = appdata.measure_units(inputs, measure_id)
    ranked = pageviews.any_ranked(league)
    if not ranked:
        return RankingsView(pageviews.rankings_caption(league, end, comparator, group_label), False, "", "", b"")
    table = pageviews.rankings_table(league, list(group), comparator, units)
    return RankingsView(pageviews.rankings_caption(league, end, comparator, group_label), True,
                        pageviews.rankings_html(table, units, comparator), pageviews.comparator_caption(league, comparator, units),
                        formatting.csv_bytes(table))


# --- Wards ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WardsView:
    """The Wards page's table for a borough, category and period."""

    error: str | None               # the ward league could not be worked out: why (shown instead of the table)
    table: pd.DataFrame | None      # read only
    sparks: pageviews.Sparklines | None
    csv: bytes


@artefact(max_entries=256, show_spinner=False)
def wards_view(inputs: str, area: str, measure_id: str, end: dt.date, wards: tuple[str, ...]) -> WardsView:
    """The wards' rolling years with their sparklines (pageviews.wards_table), and its CSV without the sparklines."""
    try:
        league = appdata.league(inputs, measure_id, end, level="ward", within=area)
    except SbpError as exc:
        return WardsView(str(exc), None, None, b"")
    sparks = pageviews.sparklines(appdata.series(inputs, wards, (measure_id,), *two_year_window(end), level="ward"))
    table = pageviews.wards_table(league, sparks)
    return WardsView(None, table, sparks, formatting.csv_bytes(table.drop(columns=sparks.title)))


# --- Explore ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ExploreChart:
    """Explore's chart and table of what is chosen."""

    spec: dict[str, Any]
    view: pageviews.ExploreView  # its table is read only
    csv: bytes


@artefact(max_entries=128, show_spinner=False)
def explore_chart(inputs: str, areas: tuple[str, ...], wards: tuple[str, ...], measures: tuple[str, ...],
                  start: dt.date, end: dt.date, rolling: bool, rates: bool, presenter: bool) -> ExploreChart:
    """The series of areas (boroughs, and comparator totals: the comparator's name among areas) and wards, as
    Explore shows them (pageviews.explore_view) and charts them (charts.comparison_chart)."""
    frames = []
    if areas:
        frames.append(appdata.series(inputs, areas, measures, start, end, "borough"))
    if wards:
        frames.append(appdata.series(inputs, wards, measures, start, end, "ward"))
    data = pd.concat(frames, ignore_index=True)
    view = pageviews.explore_view(data, rolling=rolling, rates=rates)
    spec = charts.to_spec(charts.comparison_chart(data, value=view.value, presenter=presenter, units=view.units))
    return ExploreChart(sendable(spec), view, formatting.csv_bytes(view.table))
