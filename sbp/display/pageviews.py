"""What each dashboard page shows, built from the metrics layer's frames: tables, captions and chart inputs, so
the page scripts only arrange them (free of Streamlit, like the rest of sbp/display)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from sbp.config import DEFAULT_UNITS, UNITS, Config, Priority
from sbp.config.objectives import Objective, flatten, review_warning
from sbp.display import formatting
from sbp.display.boardtable import (areas_of, benchmark_cells, benchmark_column, confidence_of, level_text,
                                    limit_columns_of, metric_cards, units_of)
from sbp.display.charts import value_title
from sbp.display.htmltable import table_html
from sbp.display.panels import card_html
from sbp.metrics.figures import comparator_pct_change, first_with_data, ranked_in_group
from sbp.metrics import PeriodCoverage, intervals
from sbp.metrics.profile import Funnel
from sbp.metrics.periods import month_label, rolling_year, rolling_year_span

TABLE_ROW_PX = 36  # a st.dataframe row's height: the wards table shows every row without scrolling


# --- Rankings --------------------------------------------------------------------------------

def rankings_caption(league: pd.DataFrame, end: dt.date, comparator: str, group_label: str) -> str:
    """What the league ranks: the rolling year, how many areas, the comparator subgroup shown."""
    ranked = league[league["rank"].notna()]
    count = int(ranked["rank_of"].iloc[0]) if len(ranked) else 0
    return (f"Rolling year {rolling_year_span(end)}. Rank 1 = the lowest rate per 1,000 residents of "
            f"{count} {areas_of(comparator)}. Comparator group: {group_label}.")


def rankings_table(league: pd.DataFrame, group: Sequence[str], comparator: str, units: str) -> pd.DataFrame:
    """The league of the areas in group: counts, rate, ranks (in the comparator and in the group), places moved,
    % change and RAG, best rank first."""
    in_group = ranked_in_group(league, group)
    return pd.DataFrame({
        "Borough" if comparator == "London" else "Area": in_group["area_name"],
        units.capitalize(): in_group["current"],
        "Rate per 1,000": in_group["rate_per_1000"].astype("Float64"),
        **{c: pd.array(v, dtype="Float64", copy=False)
           for c, v in limit_columns_of(in_group, confidence_of(in_group)).items()},
        benchmark_column(comparator): benchmark_cells(in_group["benchmark"], in_group["direction"]),
        f"Rank ({comparator})": in_group["rank"],
        "Rank in group": in_group["group_rank"],
        "Places moved": in_group["places_moved"].astype("Int64"),
        "% change": in_group["pct_change"].astype("Float64"),
        "RAG": in_group["rag"].map(formatting.rag_label),
    }).sort_values(f"Rank ({comparator})")


def rankings_kinds(units: str, comparator: str = "London") -> dict[str, str]:
    """How the rankings table's columns are formatted (see formatting.FORMATTERS)."""
    return {units.capitalize(): "count", "Rate per 1,000": "rate", "Places moved": "change", "% change": "pct",
            **{f"{side} {level_text(c)}%": "rate" for side in ("Lower", "Upper") for c in intervals.CONFIDENCE.values()},
            benchmark_column(comparator): "benchmark"}


PLACES_MOVED_HELP = "Positive = moved up (a lower rate relative to others)"


def rankings_html(table: pd.DataFrame, units: str, comparator: str = "London") -> str:
    """The rankings table as a static HTML table: every cell as formatted for its kind (unknown as 'n/a'), numbers
    right-aligned, the comparison with the comparator coloured as formatting.styled colours it."""
    kinds = rankings_kinds(units, comparator)
    shown = pd.DataFrame({c: [formatting.FORMATTERS[kinds.get(c, "text")](v) for v in table[c]] for c in table.columns})
    numeric = [c for c in table.columns if kinds.get(c) in ("count", "rate", "change", "pct") or c.startswith("Rank")]

    def coloured(column: str, text: str) -> str:
        if kinds.get(column) != "benchmark":
            return ""
        background, colour = formatting.benchmark_colours(text)
        return f"background-color: {background}; color: {colour}; font-weight: 600"

    return table_html(shown, numeric=numeric, cell_style=coloured, header_help={"Places moved": PLACES_MOVED_HELP})


def any_ranked(league: pd.DataFrame) -> bool:
    """Whether any area of the league has a rank for the rolling year (else there is nothing to chart or list)."""
    return bool(len(league)) and bool(league["rank"].notna().any())


def comparator_caption(league: pd.DataFrame, comparator: str, units: str) -> str:
    """The comparator as a whole: its rolling-year count, rate and exact % change on the year before."""
    whole = league.iloc[0]
    pct = comparator_pct_change(whole)
    if formatting.is_missing(whole["comparator_current"]):
        return (f"{comparator} as a whole: n/a, not every one of its areas has all 12 months of this rolling year "
                "loaded.")
    return (f"{comparator} as a whole: {formatting.fmt_count(whole['comparator_current'])} {units}, "
            f"{formatting.fmt_rate(whole['comparator_rate_per_1000'])} per 1,000, "
            + (f"{formatting.fmt_pct(pct, signed=True)} on the year before." if pct is not None
               else "no earlier year loaded."))


# --- Priority pages --------------------------------------------------------------------------

def funnel_caption(funnel: Funnel) -> str:
    """How the funnel's limits were drawn, with the method's reference, and where the focus area falls."""
    if funnel.overdispersed:
        how = (f"The limits allow for the areas varying more than chance alone (over-dispersion factor phi = "
               f"{funnel.dispersion:,.1f}): each is the quantile of a negative binomial count with variance phi times "
               "its expected count, Spiegelhalter's multiplicative adjustment (Statistics in Medicine, 2005).")
    else:
        how = ("The limits are exact Poisson limits around the comparator's rate (Spiegelhalter, Statistics in "
               "Medicine, 2005): the range a count has 95% or 99.8% chance of falling in at that population if every "
               "area shared the comparator's rate.")
        if funnel.dispersion > 1.0001:
            how += (f" These areas vary about {funnel.dispersion:,.1f} times as much as chance allows (phi), so many "
                    "fall outside by more than chance: widen the limits to allow for it.")
    return how


def funnel_positions(funnel: Funnel, focus: str) -> str:
    """Where the focus area falls against the limits, and how many areas fall outside them."""
    points = funnel.points
    outside = int((~points["position"].str.startswith("within")).sum())
    mine = points.loc[points["area_name"] == focus, "position"]
    where = f"{focus} is {mine.iloc[0]}. " if len(mine) else f"{focus} has no rate for this period. "
    return f"{where}{outside} of {len(points)} areas fall outside the 95% limits."


def measure_phrase(label: str, units: str) -> str:
    """What a measure counts, as its cards name it: 'Hate crime offences', 'ASB calls', 'ASB incidents (police.uk)'."""
    core = re.sub(r"\s*\([^()]*\)$", "", label).lower()
    return label if core.endswith((units, *UNITS)) else f"{label} {units}"


def cards_html(row: pd.Series, comparator: str) -> str:
    """The priority page's metric cards for one measure's comparison row: count, rate, rank and RAG status, each
    naming the measure it is of (a slide read on its own says what it counts)."""
    label = str(row.get("measure_label") or row.get("measure_id") or "")
    phrase = measure_phrase(label, units_of(row.to_dict()))
    count, rate, rank = metric_cards(row.to_dict())
    labels = (f"{phrase}, rolling year", f"{phrase} per 1,000 residents", f"{label}: {rank.label[:1].lower()}{rank.label[1:]}")
    cards = [card_html(text, card.value, card.delta, card.tone) for text, card in zip(labels, (count, rate, rank))]
    pct = comparator_pct_change(row)  # exact, as in the board table
    significant = formatting.known(row["significant"]) is True
    delta = None if pct is None else (f"{comparator} {formatting.fmt_pct(pct, signed=True)}"
                                      + ("; significant change" if significant else ""))
    cards.append(card_html(f"{label}: RAG status", "", delta, value_html=formatting.rag_badge(formatting.known(row["rag"]))))
    cards.append(benchmark_card(row, label, comparator))
    return f'<div class="sbp-cards">{"".join(cards)}</div>'


def benchmark_card(row: pd.Series, label: str, comparator: str) -> str:
    """The card of a measure's rate against its comparator's: the comparison as a coloured word, the rate's interval
    at the level compared and the five-year trend as an arrow with its meaning."""
    confidence = confidence_of(pd.DataFrame([row]))
    suffix = intervals.level_of(confidence)
    interval = formatting.interval_text(row.get(f"rate_lower_{suffix}_per_1000"), row.get(f"rate_upper_{suffix}_per_1000"))
    delta = f"{level_text(confidence)}% interval {interval}; trend: {formatting.trend_label(row.get('trend'))}"
    badge = formatting.benchmark_badge(formatting.known(row.get("benchmark")), row.get("direction") or "lower_is_better")
    return card_html(f"{label}: rate vs {comparator}", "", delta, value_html=f'<span class="sbp-compare">{badge}</span>')


def opening_measure(priority: Priority, rows: pd.DataFrame) -> str:
    """The measure a priority's page opens on: its headline, else (no figure for the period) the next of its measures
    after the headline with one."""
    order = list(priority.measures)
    start = order.index(priority.headline_measure)
    return first_with_data(order[start:] + order[:start], rows)


@dataclass(frozen=True)
class MeasureSteps:
    """Where a measure sits among its priority's measures, and the ones before and after it (None at either end)."""

    previous: str | None
    following: str | None
    position: str  # 'Measure 2 of 10'


def measure_steps(measures: Sequence[str], current: str) -> MeasureSteps:
    """The measures a presenter steps to from current, in the priority's order."""
    index = list(measures).index(current)
    return MeasureSteps(measures[index - 1] if index > 0 else None,
                        measures[index + 1] if index + 1 < len(measures) else None,
                        f"Measure {index + 1} of {len(measures)}")


def headline_note(headline_label: str, shown_label: str, reason: str) -> str:
    """Said when a page opens on another measure than its headline, which has no figure for the period."""
    return f"Showing {shown_label}: {headline_label}, the headline measure, has no figure for this period. {reason}"


@dataclass(frozen=True)
class Reviews:
    """Whether each objective's status was reviewed within the period shown."""

    notes: dict[str, str]          # objective number -> its note: a review warning, else when it was last updated
    stale: dt.date | None          # the latest review date that predates the period (None: all are current)


def reviews(objectives: Sequence[Objective], end: dt.date) -> Reviews:
    """Each objective's review note for the rolling year to end, and the latest stale review."""
    start, _ = rolling_year(end)
    every = list(flatten(list(objectives)))
    warnings = {o.number: review_warning(o.updated, start, end) for o in every}
    notes = {o.number: warnings[o.number] or f"Last updated {o.updated:%-d %B %Y}" for o in every}
    stale = sorted({o.updated for o in every if warnings[o.number]})
    return Reviews(notes, stale[-1] if stale else None)


# --- Explore ---------------------------------------------------------------------------------

def shared_units(units: Iterable[str]) -> str:
    """What a chart of several measures counts: their one unit, else 'counts' (none: the default unit)."""
    found = set(units)
    return found.pop() if len(found) == 1 else ("counts" if found else DEFAULT_UNITS)


@dataclass(frozen=True)
class ExploreView:
    """The Explore page's series as shown: the value column, its title and the table (rates to 2 decimals)."""

    value: str
    units: str
    title: str
    table: pd.DataFrame
    rates_missing: bool  # rates were asked for but no area has a population: counts are shown


def explore_view(data: pd.DataFrame, rolling: bool, rates: bool) -> ExploreView:
    """The value to show (monthly or rolling, count or rate), and the table of it with a readable month."""
    value = "rolling_12_total" if rolling else "offence_count"
    rate_value = "rolling_12_rate_per_1000" if rolling else "rate_per_1000"
    rates_missing = rates and bool(data[rate_value].isna().all())
    if rates and not rates_missing:
        value = rate_value
    units = shared_units(data["measure_unit"].dropna() if "measure_unit" in data else ())
    title = value_title(value, units)
    shown = data[["measure_label", "area_name", "month", value]].rename(columns={
        "measure_label": "Category", "area_name": "Area", "month": "Month", value: title})
    shown["Month"] = shown["Month"].dt.strftime("%Y-%m")
    if value.endswith("rate_per_1000"):  # rates to 2 decimals on screen and in the CSV, still numbers
        shown[title] = pd.array([None if formatting.is_missing(v) else float(formatting.round_half_up(v, 2))
                                 for v in shown[title]], dtype="Float64")
    return ExploreView(value, units, title, shown, rates_missing)


# --- Wards -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sparklines:
    """Each ward's monthly counts as a sparkline (a month not loaded is a gap, never a zero), on one scale."""

    by_ward: pd.Series  # ward -> its monthly counts
    title: str          # 'Last 24 months'
    y_max: int


def sparklines(trend: pd.DataFrame) -> Sparklines:
    """Sparklines from a ward series, starting at the first month loaded."""
    loaded = trend.loc[trend["offence_count"].notna(), "month"]
    trend = trend[trend["month"] >= loaded.min()] if len(loaded) else trend.iloc[0:0]  # no line before the data starts
    by_ward = trend.groupby("area_name")["offence_count"].apply(lambda s: [int(v) if pd.notna(v) else None for v in s])
    y_max = max([v for counts in by_ward for v in counts if v is not None] + [1])
    return Sparklines(by_ward, f"Last {trend['month'].nunique()} months", y_max)


def wards_table(league: pd.DataFrame, sparks: Sparklines) -> pd.DataFrame:
    """The wards' rolling years, change and significance with their sparklines, highest count first."""
    return pd.DataFrame({
        "Ward": league["area_name"],
        "Previous year": league["previous"],
        "This year": league["current"],
        "Change": league["change"],
        "% change": league["pct_change"].astype("Float64"),
        "Significant": [formatting.yes_no(s, na=None) for s in league["significant"].astype(object)],  # CSV: empty
        sparks.title: league["area_name"].map(sparks.by_ward),
    }).sort_values("This year", ascending=False)


def table_height(rows: int) -> int:
    """The pixel height that shows a st.dataframe's header and rows without a scroll bar."""
    return TABLE_ROW_PX * (rows + 1) + 2


# --- The period control ------------------------------------------------------------------------

def period_option(end: dt.date, coverage: PeriodCoverage) -> str:
    """A period control option: the month, marked when board measures known at the default are unknown there."""
    missing = coverage.missing_after_default(end)
    return month_label(end) + (f" ({len(missing)} n/a)" if missing else "")  # fits the sidebar; the note says which


def period_note(end: dt.date, coverage: PeriodCoverage, config: Config) -> str | None:
    """Under the period control: which board measures the chosen month lacks, and the latest month with them all."""
    missing = coverage.missing_after_default(end)
    if not missing:
        return None
    labels = [config.measures[m].label for m in missing]
    shown = ", ".join(labels[:4]) + (f" and {len(labels) - 4} more" if len(labels) > 4 else "")
    return (f"At {month_label(end)}, {len(missing)} board measure{'s are' if len(missing) != 1 else ' is'} n/a "
            f"(a month of the year or of the year before is not loaded): {shown}. {month_label(coverage.default_end)} is the latest month "
            "with every board measure.")


def no_rolling_year_note(first: dt.date, last: dt.date, months: int) -> str:
    """Why a board, rankings or wards page has no figures: the store holds less than one rolling year."""
    held = f"{months} month{'s' if months != 1 else ''} ({month_label(first)} to {month_label(last)})"
    return (f"No rolling year to show yet: a rolling year needs 12 months of police data and the store holds {held}. "
            "Load earlier months on the Data page; Explore shows the months loaded.")
