"""The board report's content, composed once from the store: every renderer (HTML, PDF, PPTX) reads this.

Nothing here formats for a medium. Each figure is a trace.Cell with its display text and a trace: what the
number is (the measure's definition in words), the period and the area; with technical=True also the metrics call
that produced it, and the report carries its technical appendix (queries, settings, file hashes).
Paragraphs come from sbp.display.narrative, the table from sbp.display.boardtable, charts from sbp.display.charts, the report's own
wording from texts: this module only gathers them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from sbp.display import boardtable, charts, narrative, partner_view
from sbp.config import partner as partner_measures
from sbp.metrics.partner import partner_figures
from sbp import metrics, store
from sbp.metrics import profile
from sbp.config import Config, Measure, Priority, default_config
from sbp.ingest.formats import FORMAT_LABELS
from sbp.config.objectives import STATUS_TONE, flatten, objectives_for
from sbp.metrics.periods import month_label, parse_month, previous_year, rolling_year_span, trend_window, two_year_window
from sbp.display.pageviews import opening_measure
from sbp.report import chartimg
from sbp.store import queries as store_queries
from sbp.report.texts import (
    CHART_SOURCES, MISSING_CAVEAT, QUALITY_CAVEAT,
    SOURCE_KINDS,
    SYNTHETIC_CAVEAT,
    caveats_for,
    definitions,
    technical_settings,
)
from sbp.report.trace import Cell, categories, cells, figures, measure_definition, value
from sbp.config.settings import load_settings

CHART_WIDTH = 250          # CSS pixels of the plot itself: two charts side by side on an A4 page
LEAGUE_WIDTH = 170         # the league's plot, beside its borough names
LEAGUE_ROW_HEIGHT = 15     # the dashboard's 22 px a bar is more than a printed page needs
SPINE_WIDTH = 330          # the spine chart's plot, beside its measure names: the width of an A4 page
SPINE_ROW_HEIGHT = 22      # a spine row on paper

# --- the model ------------------------------------------------------------------------------

@dataclass(frozen=True)
class MeasureRow:
    """One measure: its board-table cells, generated paragraph and the provenance of its figures."""

    id: str
    label: str
    definition: str             # 'Total burglary = Burglary (major category: all minors)'
    categories: str             # the category pairs actually counted in this store (technical appendix)
    sources: str                # where its figures come from, in words: 'MPS recorded crime by borough'
    direction: str
    query: str                  # the metrics call that produced the row (technical appendix only)
    rag: str                    # 'Green' / 'Amber' / 'Red' / 'No comparison'
    has_data: bool
    cells: tuple[Cell, ...]
    paragraph: str              # sbp.display.narrative.board_paragraph, plain text
    figures: tuple[tuple[str, str], ...]  # (number as the paragraph writes it, its trace)
    trace: str                  # the measure, period and area: the base of every trace


@dataclass(eq=False)
class ChartImage:
    """A dashboard chart (sbp.display.charts), rendered offline to PNG at the size a renderer asks for (cached)."""

    kind: str                   # 'trend' / 'league' / 'spine'
    measure_label: str
    title: str
    alt: str
    chart: alt.TopLevelMixin = field(repr=False)
    plot_width: int             # the plot's width in CSS pixels, for a printed page
    plot_height: int | None     # the plot's height in CSS pixels; None keeps the dashboard's
    source: str                 # the caption in words: 'MPS recorded crime by borough, Aug 2022 to Jul 2023; ...'
    query: str                  # the metrics call (technical appendix only)
    trace: str
    _images: dict = field(default_factory=dict, repr=False)

    def png(self, plot_width: int | None = None, plot_height: int | None = None) -> tuple[bytes, int, int]:
        """PNG bytes and pixel size, the plot drawn at a size in CSS pixels (chartimg.SCALE pixels each)."""
        key = (plot_width or self.plot_width, plot_height or self.plot_height)
        if key not in self._images:
            self._images[key] = chartimg.png(self.chart, key[0], key[1])
        return self._images[key]


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective of a priority with its status."""

    number: str
    title: str
    status: str
    tone: str                   # sbp.config.objectives.STATUS_TONE: good / continuing / bad / neutral
    evidence: str
    updated: dt.date
    partner_evidence: tuple[str, ...] = ()  # the partner figures linked to it, each with its source and period


@dataclass(frozen=True)
class PrioritySection:
    """One priority: objectives, the board table, charts and a paragraph per measure."""

    id: str
    title: str
    objectives: tuple[ObjectiveStatus, ...]
    columns: tuple[str, ...]
    rows: tuple[MeasureRow, ...]
    charts: tuple[ChartImage, ...]
    spine: ChartImage | None = None  # every measure of the priority against the comparator's areas
    partner_columns: tuple[str, ...] = ()              # partner_view.TABLE_COLUMNS when the priority has partner measures
    partner_rows: tuple[tuple[str, ...], ...] = ()     # each partner measure's cells, source and period included


@dataclass(frozen=True)
class SourceFile:
    """A row of the store's provenance table (source_files)."""

    name: str
    file_format: str
    description: str            # what the file is, in words (texts.SOURCE_KINDS)
    layout: str                 # how it is laid out, with its header (FORMAT_LABELS): the technical appendix only
    months: str
    first_month: dt.date | None
    last_month: dt.date | None
    rows: int
    months_replaced: int
    sha256: str
    loaded_at: dt.datetime | None


@dataclass(frozen=True)
class Report:
    """Everything a rendered board report shows."""

    partnership: str
    area: str
    end: dt.date
    period: str                 # 'rolling year to November 2023'
    span: str                   # 'Dec 2022 to Nov 2023'
    previous_span: str          # 'Dec 2021 to Nov 2022'
    data_from: dt.date
    data_to: dt.date
    loaded_at: dt.datetime | None
    synthetic: bool
    generated_at: dt.datetime
    sources: tuple[SourceFile, ...]
    priorities: tuple[PrioritySection, ...]
    definitions: tuple[tuple[str, str], ...]   # (term, the rest of the sentence: ': ...', ' = ...', ' means ...')
    caveats: tuple[tuple[str, str], ...]
    queries: tuple[str, ...]
    comparator: str = boardtable.LONDON  # the group the area is compared with: London, or its police force area
    intervals: tuple[dict[str, str], ...] = ()  # per measure shown: its rate's intervals, comparison and trend, as shown
    technical: bool = False     # with the technical appendix: queries, settings, categories and file hashes
    settings_used: tuple[tuple[str, str], ...] = ()  # (setting, value) for the technical appendix

    @property
    def title(self) -> str:
        return f"{self.area}: partnership measures, {self.period}"

    @property
    def source_summary(self) -> tuple[str, ...]:
        """One line per kind of source loaded: what it is, the months it covers and its files."""
        kinds: dict[str, list[SourceFile]] = {}
        for source in self.sources:
            kinds.setdefault(source.file_format, []).append(source)
        lines = []
        for fmt, files in kinds.items():
            firsts = [f.first_month for f in files if f.first_month]
            lasts = [f.last_month for f in files if f.last_month]
            months = f", {month_label(min(firsts))} to {month_label(max(lasts))}" if firsts and lasts else ""
            names = ", ".join(f.name for f in files)
            lines.append(f"{SOURCE_KINDS.get(fmt, fmt)}{months} ({names})")
        return tuple(lines)

    def all_rows(self) -> list[MeasureRow]:
        """Every measure row, priorities in order, each measure once."""
        seen, out = set(), []
        for section in self.priorities:
            for row in section.rows:
                if row.id not in seen:
                    seen.add(row.id)
                    out.append(row)
        return out


# --- building it ----------------------------------------------------------------------------

def long_month(month: dt.date) -> str:
    """'November 2023'."""
    return f"{narrative.MONTHS[month.month - 1]} {month.year}"


def _sources_of(mapping: pd.DataFrame, measure: Measure) -> str:
    """Where a measure's figures come from, in words: 'MPS recorded crime by borough and MPS Monthly Crime ...'."""
    found = [CHART_SOURCES.get(s, s) for s in dict.fromkeys(mapping.loc[mapping["measure_id"] == measure.id, "source"])]
    return " and ".join(found) if found else "none loaded"


def _known_span(frame: pd.DataFrame) -> str:
    """'Aug 2021 to Jul 2023': the first and last month with a count in a series frame."""
    months = frame.loc[frame["offence_count"].notna(), "month"]
    return f"{month_label(months.min())} to {month_label(months.max())}" if len(months) else ""


def _population_source(con: duckdb.DuckDBPyConnection, area: str, comparator: str) -> str:
    """The population the rates divide by, as a board reader names it: 'Census 2021', 'ONS mid-2022 estimates'."""
    ons = con.execute("SELECT max(year) FROM population_ons WHERE area_name = ?", [area]).fetchone()[0]
    if ons is not None:
        return f"ONS mid-{ons} population estimates"
    year = con.execute("SELECT max(year) FROM population WHERE area_name = ? AND area_level = 'borough'",
                       [area]).fetchone()[0]
    if year is not None:
        return f"{year} population"
    # An undated population file is the Census 2021 one for London (boardtable.definitions says the same).
    return "Census 2021" if comparator == boardtable.LONDON else "the population loaded"


def _charts(con: duckdb.DuckDBPyConnection, measure: Measure, area: str, end: dt.date, first: dt.date,
            config: Config, settings: dict[str, Any], base: str, sources: str, population: str,
            technical: bool) -> list[ChartImage]:
    out: list[ChartImage] = []
    start, _ = trend_window(end, first)
    series = metrics.series(con, [area], [measure], start, end, config=config)
    if series["offence_count"].notna().any():
        q = (f"metrics.series(con, areas=[{area!r}], measures=[{measure.id!r}], start='{start:%Y-%m}', "
             f"end='{end:%Y-%m}')")
        out.append(ChartImage(
            kind="trend", measure_label=measure.label,
            title=f"{measure.label} in {area}: monthly {measure.units}, {month_label(start)} to {month_label(end)}",
            alt=f"Bar chart of monthly {measure.label.lower()} in {area} from {month_label(start)} to "
                f"{month_label(end)}, with the rolling 12-month total as a line.",
            chart=charts.trend_chart(series, area, measure.label, units=measure.units), plot_width=CHART_WIDTH,
            plot_height=None, source=f"{sources}, {_known_span(series)}",
            query=q, trace=f"{base}\nQuery: {q}" if technical else base))
    league = metrics.league(con, measure, end, config=config, settings=settings)
    if not league.empty and league["rank_basis"].iloc[0] == "rate":
        league = league[league["rate_per_1000"].notna()]  # as the chart draws it: areas with a rate
    if not league.empty and league["current"].notna().any():
        q = f"metrics.league(con, measure={measure.id!r}, end='{end:%Y-%m}')"
        out.append(ChartImage(
            kind="league", measure_label=measure.label,
            title=f"{measure.label}: rate per 1,000 residents by "
                  f"{'borough' if boardtable.comparator_of(league) == boardtable.LONDON else 'area'}, {rolling_year_span(end)}",
            alt=f"Bar chart ranking {boardtable.areas_of(boardtable.comparator_of(league))} by their rate of "
                f"{measure.label.lower()} per 1,000 residents, "
                f"{area} highlighted.",
            chart=charts.league_chart(league, focus=area), plot_width=LEAGUE_WIDTH,
            plot_height=LEAGUE_ROW_HEIGHT * len(league),
            source=f"{sources}, {rolling_year_span(end)}; rates per 1,000 residents, {population}", query=q,
            trace=f"{base}\nQuery: {q}" if technical else base))
    return out


def _spine(con: duckdb.DuckDBPyConnection, priority: Priority, area: str, end: dt.date, comparator: str,
           config: Config, settings: dict[str, Any], mapping: pd.DataFrame, population: str, base: str,
           technical: bool) -> ChartImage | None:
    """The priority's spine chart: each measure's rate for the area against the comparator's areas."""
    frame = profile.spine(con, area, end, priority.measures, config=config, settings=settings)
    if frame["area_position"].isna().all():
        return None
    sources = " and ".join(dict.fromkeys(_sources_of(mapping, config.measures[m]) for m in priority.measures
                                         if _sources_of(mapping, config.measures[m]) != "none loaded"))
    title = f"{priority.title}: {area} against {comparator}"
    q = f"profile.spine(con, area={area!r}, end='{end:%Y-%m}', measure_ids={list(priority.measures)!r})"
    return ChartImage(
        kind="spine", measure_label=priority.title, title=title,
        alt=f"Spine chart: for each measure of {priority.title}, {area}'s rate per 1,000 residents against the range "
            f"of {boardtable.areas_of(comparator)}, worst on the left and best on the right, {comparator} in the "
            "middle.",
        chart=charts.spine_chart(frame, area, comparator, title=title), plot_width=SPINE_WIDTH,
        plot_height=SPINE_ROW_HEIGHT * len(frame),
        source=f"{sources}, {rolling_year_span(end)}; rates per 1,000 residents, {population}", query=q,
        trace=f"{base}\nQuery: {q}" if technical else base)


def _sources(con: duckdb.DuckDBPyConnection) -> tuple[SourceFile, ...]:
    frame = con.execute(store_queries.FILES_SQL).fetchall()
    out = []
    for _, name, fmt, rows, first, last, replaced, loaded_at, sha in frame:
        months = f"{month_label(first)} to {month_label(last)}" if first is not None and last is not None else ""
        out.append(SourceFile(name=name, file_format=fmt, description=SOURCE_KINDS.get(fmt, fmt),
                              layout=FORMAT_LABELS.get(fmt, fmt), months=months,
                              first_month=first, last_month=last,
                              rows=int(rows), months_replaced=int(replaced or 0), sha256=sha, loaded_at=loaded_at))
    return tuple(out)


def _no_current_paragraph(con: duckdb.DuckDBPyConnection, measure: Measure, area: str, end: dt.date,
                          first: dt.date, last: dt.date, config: Config) -> str | None:
    """When the rolling year is unknown but the measure has figures: which months are loaded, in words (else None)."""
    loaded = _known_span(metrics.series(con, [area], [measure], first, last, config=config))
    if not loaded:
        return None
    label = measure.label[:1].lower() + measure.label[1:]
    return (f"For the rolling year to {long_month(end)}, there is no count of {label} for {area}: its figures are "
            f"loaded for {loaded}, so not all 12 months of {rolling_year_span(end)} are known.")


def _missing_reasons(con: duckdb.DuckDBPyConnection, measures: list[Measure], end: dt.date, area: str,
                     negative: dict[str, bool], config: Config) -> str:
    """Why each measure is n/a, in words, measures with the same reason together: 'A and B: no data for ...'."""
    grouped: dict[str, list[str]] = {}
    for measure in measures:
        part, prefix = measure, ""
        if measure.minus and not negative[measure.id]:  # the part that is missing, under the measure's own name
            whole, subtracted = dataclasses.replace(measure, minus=None), config.measures[measure.minus]
            part = whole
            if not metrics.unavailable_reason(con, whole, end, config=config, area=area):
                part = subtracted
                prefix = f"it subtracts {subtracted.label[:1].lower() + subtracted.label[1:]}, and for that "
        reason = metrics.unavailable_reason(con, part, end, config=config, negative=negative[measure.id], area=area)
        if not reason:
            continue
        reason = reason.removeprefix(f"{part.label}: ").removeprefix(f"{part.label} ")
        reason = re.sub(r" \((?:not published as a file|London Datastore)[^)]*\)", "", reason)  # how to load it
        reason = reason.replace("its data runs only to", "figures are loaded only to")  # said of several at once
        grouped.setdefault(prefix + reason, []).append(measure.label)
    return " ".join(f"{_and(labels)}{' ' if reason.startswith('is ') else ': '}{reason}"
                    for reason, labels in grouped.items())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def build_model(
    con: duckdb.DuckDBPyConnection, end: str | dt.date, area: str | None = None, config: Config | None = None,
    settings: dict[str, Any] | None = None, objectives=objectives_for, technical: bool = False,
) -> Report:
    """Compose the whole report from a read connection. Raises SbpError for an unknown area or end month.

    objectives(priority_id) -> list of sbp.config.objectives.Objective; pass another source (edited statuses) to override.
    technical=True adds the queries to every trace and the technical appendix (queries, settings, file hashes).
    """
    config = config or default_config()
    settings = settings or load_settings()
    area = area or settings["focus_borough"]
    headline = metrics.headline(con, area, end, config=config, settings=settings)  # checks area and end
    end = parse_month(end)
    area = str(headline["area_name"].iloc[0])
    first, last = metrics.month_span(con)
    mapping, _ = metrics.measure_frames(con, list(config.measures.values()), config)
    spans = {"current": f"rolling year {rolling_year_span(end)}",
             "previous": f"rolling year {rolling_year_span(previous_year(end)[1])}"}
    q = f"metrics.headline(con, area={area!r}, end='{end:%Y-%m}')"
    rows_by_id = {row["measure_id"]: row for _, row in headline.iterrows()}
    comparator = boardtable.comparator_of(headline)
    population = _population_source(con, area, comparator)

    def measure_row(mid: str, table_row: pd.Series, columns: list[str]) -> MeasureRow:
        measure, row = config.measures[mid], rows_by_id[mid]
        definition = measure_definition(measure, config)
        base = f"Measure: {definition}\nArea: {area}\nPeriod: {spans['current']} against the 12 months before"
        query = f"{q} -> row measure_id={mid!r}"
        traced = query if technical else ""
        has_data = value(row, "current") is not None
        paragraph = narrative.board_paragraph(row.to_dict())
        if not has_data:
            paragraph = _no_current_paragraph(con, measure, area, end, first, last, config) or paragraph
        return MeasureRow(
            id=mid, label=measure.label, definition=definition, categories=categories(mapping, measure),
            sources=_sources_of(mapping, measure),
            direction=measure.direction, query=query, rag=str(table_row["RAG"]),
            has_data=has_data,
            cells=cells(table_row, row, columns, base, traced, spans, settings),
            paragraph=paragraph, figures=figures(row, base, traced, spans),
            trace=base,
        )

    sections = []
    for priority in config.priorities:
        rows = headline[headline["measure_id"].isin(priority.measures)]
        table = boardtable.without_limits(boardtable.board_table(rows, end, list(priority.measures)))
        columns = list(table.columns)
        ids = [m for m in priority.measures if m in rows_by_id]
        measure_rows = tuple(measure_row(mid, table.iloc[i], columns) for i, mid in enumerate(ids))
        chart_id = opening_measure(priority, headline)  # the slide's measure: its headline, else the next with data
        chart_base = next((r.trace for r in measure_rows if r.id == chart_id), "")
        images = _charts(con, config.measures[chart_id], area, end, first, config, settings, chart_base,
                         _sources_of(mapping, config.measures[chart_id]), population, technical)
        partners = partner_measures.for_priority(priority.id)
        partner = partner_view.priority_view(partner_figures(con, area, end, partners), {m.id: m for m in partners}, area)
        objectives_list = tuple(
            ObjectiveStatus(number=o.number, title=o.title, status=o.status, tone=STATUS_TONE.get(o.status, "neutral"),
                            evidence=o.evidence, updated=o.updated,
                            partner_evidence=tuple(partner.evidence.get(o.number, ())))
            for o in flatten(objectives(priority.id))
        )
        spine = _spine(con, priority, area, end, comparator, config, settings, mapping, population,
                       f"Measures: {priority.title}\nArea: {area}\nPeriod: {spans['current']}", technical)
        sections.append(PrioritySection(
            id=priority.id, title=priority.title, objectives=objectives_list, columns=tuple(columns), rows=measure_rows,
            charts=tuple(images), spine=spine,
            partner_columns=tuple(partner.table.columns) if not partner.table.empty else (),
            partner_rows=tuple(tuple(str(c) for c in r) for r in partner.table.itertuples(index=False))))

    shown = list(dict.fromkeys(r.id for section in sections for r in section.rows))  # the report's measures, once
    missing = [m for m in shown
               if value(rows_by_id[m], "current") is None or value(rows_by_id[m], "previous") is None]
    caveats = list(caveats_for(comparator))
    if missing:
        reasons = _missing_reasons(con, [config.measures[m] for m in missing], end, area,
                                   {m: bool(rows_by_id[m]["negative_count"]) for m in missing}, config)
        caveats.append((MISSING_CAVEAT[0], MISSING_CAVEAT[1].format(
            measures=_and([config.measures[m].label for m in missing]), reasons=reasons).strip()))
    warnings = store.quality_warnings(con, *two_year_window(end))
    if warnings:
        caveats.append((QUALITY_CAVEAT, " ".join(warnings)))
    synthetic = store.is_synthetic(con)
    if synthetic:
        caveats.insert(0, SYNTHETIC_CAVEAT)
    queries = [q] + [c.query for s in sections for c in (*s.charts, *([s.spine] if s.spine else []))]
    loaded_at = con.execute(store_queries.LAST_LOADED_SQL).fetchone()[0]
    return Report(
        partnership=str(settings["partnership_name"]), area=area, end=end,
        period=f"rolling year to {long_month(end)}", span=rolling_year_span(end),
        previous_span=rolling_year_span(previous_year(end)[1]), data_from=first, data_to=last, loaded_at=loaded_at,
        synthetic=synthetic, generated_at=dt.datetime.now().replace(microsecond=0), sources=_sources(con),
        priorities=tuple(sections), definitions=definitions(settings, config, comparator, tuple(shown)),
        caveats=tuple(caveats), comparator=comparator,
        intervals=tuple(boardtable.interval_rows(headline.set_index("measure_id").loc[shown].reset_index())), queries=tuple(dict.fromkeys(queries)), technical=technical,
        settings_used=technical_settings(settings),
    )

