"""Where each figure comes from: the board-table cells and paragraph numbers, each with its trace.

A trace says what a number is (the measure's definition in words), the period and the area; in the technical
report also the metrics call that produced it. The HTML report shows it on hover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sbp.display import boardtable, formatting
from sbp.config import POLICE_UK_CRIME_TYPES, Config, Measure, schemes
from sbp.metrics import SCHEME_NAMES, intervals


@dataclass(frozen=True)
class Cell:
    """One cell of the board table: display text, its trace (hover text) and, for RAG cells, the status."""

    text: str
    trace: str = ""
    numeric: bool = False
    rag: str | None = None      # 'Green' / 'Amber' / 'Red' / 'No comparison' on the RAG column only
    colours: tuple[str, str] | None = None  # (background, text) of a coloured word: the comparison with the comparator


WORKBOOK = "MPS Monthly Crime Dashboard workbook"


def measure_definition(measure: Measure, config: Config) -> str:
    """'Total burglary = Burglary (major category: all minors)': what a measure counts, in words.

    'Non-domestic violence with injury = Violence with Injury (minor category) minus domestic abuse violence with
    injury (offences of the subtype Domestic Abuse Violence with Injury in the MPS Monthly Crime Dashboard workbook)'.
    """
    text = f"{measure.label} = {_counted(measure) or 'no category is configured, so it is always n/a'}"
    if measure.minus:
        subtracted = config.measures[measure.minus]
        name = subtracted.label[:1].lower() + subtracted.label[1:]
        text += (f" minus {name} ({_counted(subtracted) or 'no category is configured'}), for the months where both "
                 "are loaded")
    earlier = [old for level, names in (("major", measure.majors), ("minor", measure.minors))
               for name in names for old in config.spellings(level, name)[1:]]
    if earlier:
        text += f"; earlier spellings also counted: {', '.join(earlier)}"
    if undefined := schemes.undefined_schemes(measure, config):
        text += (f"; unknown (not 0) in months of the {' and '.join(SCHEME_NAMES.get(s, s) for s in undefined)} MPS "
                 "category scheme, where its categories are merged with others")
    return text


def _what(measure: Measure) -> str:
    return "positive outcomes" if measure.counts == "positive_outcomes" else "offences"


def _subtypes(measure: Measure) -> str:
    """'offences of the subtype Hate crime in the MPS Monthly Crime Dashboard workbook'."""
    names = " and ".join(measure.subtypes)
    return f"{_what(measure)} of the subtype{'s' if len(measure.subtypes) > 1 else ''} {names} in the {WORKBOOK}"


def _counted(measure: Measure) -> str:
    """The categories one measure names, in words: MPS categories, workbook subtypes, series, police.uk types."""
    parts = []
    if measure.all:
        parts.append("every MPS category (all majors and minors)")
    parts += [f"{name} (major category: all minors)" for name in measure.majors]
    parts += [f"{name} (minor category)" for name in measure.minors]
    if measure.subtypes:
        parts.append(_subtypes(measure))
    parts += [f"{name} (police.uk crime type)" for name in measure.police_uk]
    if measure.police_uk_except is not None:
        parts.append("every police.uk crime type" + (f" except {', '.join(measure.police_uk_except)}"
                                                     if measure.police_uk_except else ""))
    series = [(f"police.uk rows of the crime type {name}, or a monthly series of that name loaded from a counts file"
               if name in POLICE_UK_CRIME_TYPES else f"the monthly series {name}, loaded from a counts file")
              for name in measure.series]
    if series and measure.subtypes:  # the workbook wins for the months it covers
        return f"{' + '.join(parts)}; for months the workbook does not cover, {' + '.join(series)}"
    return " + ".join(parts + series)


def categories(mapping: pd.DataFrame, measure: Measure) -> str:
    """The category pairs (and sources) a measure actually counts in this store."""
    rows = mapping[mapping["measure_id"] == measure.id]
    if rows.empty:
        return "none of its categories is loaded in this store"
    if measure.all:
        return f"all {len(rows)} loaded category pairs ({', '.join(sorted(set(rows['source'])))})"
    pairs = sorted({f"{r.major_category} / {r.minor_category} [{r.source}]" for r in rows.itertuples()})
    return "; ".join(pairs)


def value(row: pd.Series, name: str) -> Any:
    """A row's field, or None when it is missing (NA, NaN)."""
    return formatting.known(row.get(name))


def _query(q: str, fields: str = "") -> str:
    """The trace's query line, or nothing when the report leaves queries out (only the technical report has them)."""
    if not q:
        return ""
    return f"\nQuery: {q}" + (f" -> {fields}" if fields else "")


def cells(table_row: pd.Series, row: pd.Series, columns: list[str], base: str, q: str, spans: dict[str, str],
          settings: dict[str, Any]) -> tuple[Cell, ...]:
    """The board-table cells of one measure, each with its trace (q: the query, or '' to leave it out)."""
    prev_label, cur_label = columns[1], columns[2]
    population = value(row, "population")
    rank_of = value(row, "rank_of")
    p_value = value(row, "p_value")
    rag = table_row["RAG"]
    comparator = boardtable.comparator_of(row)
    rule = boardtable.rag_rule_text(settings["rag_rule"], comparator)
    units = boardtable.units_of(row)
    confidence = boardtable.confidence_text(float(settings["significance_level"]))
    traces = {
        "Category": f"{base}{_query(q)}",
        prev_label: f"{base}\nFigure: {units} recorded, {spans['previous']}{_query(q, 'previous')}",
        cur_label: f"{base}\nFigure: {units} recorded, {spans['current']}{_query(q, 'current')}",
        "% difference": f"{base}\nFigure: (current - previous) / previous x 100, {spans['current']} against "
                        f"{spans['previous']}{_query(q, 'pct_change')}",
        "RAG": f"{base}\nFigure: RAG status: {rule}{_query(q, 'rag')}",
        "Rate per 1,000": f"{base}\nFigure: {units} per 1,000 residents, {spans['current']}"
                          + (f" (population {formatting.fmt_count(population)})" if population is not None else " (no population loaded)")
                          + _query(q, "rate_per_1000"),
        "Rank": f"{base}\nFigure: rank by rate per 1,000 among "
                + (f"{int(rank_of)} {boardtable.areas_of(comparator)}" if rank_of else f"the {boardtable.areas_of(comparator)}")
                + f" (1 = lowest), {spans['current']}{_query(q, 'rank, rank_of')}",
        "Movement": f"{base}\nFigure: rank change on {spans['previous']} (rank then: "
                    f"{value(row, 'rank_previous') if value(row, 'rank_previous') is not None else 'n/a'})"
                    f"{_query(q, 'rank_previous')}",
        f"{comparator} % difference": f"{base}\nFigure: % change for all of {comparator} (every area of the comparator group), "
                               f"{spans['current']} against {spans['previous']}{_query(q, 'comparator_pct_change')}",
        "Significant": f"{base}\nFigure: exact test of the change at the {confidence}% level"
                       + (f" (p = {float(p_value):.4f})" if p_value is not None else "")
                       + _query(q, "significant, p_value"),
    }
    benchmark = boardtable.benchmark_column(comparator)
    level = boardtable.level_text(settings["benchmark_confidence"])
    suffix = intervals.level_of(settings["benchmark_confidence"])
    interval = formatting.interval_text(value(row, f"rate_lower_{suffix}_per_1000"), value(row, f"rate_upper_{suffix}_per_1000"))
    trend_p = value(row, "trend_p_value")
    traces[benchmark] = (f"{base}\nFigure: the rate's {level}% confidence interval ({interval}) against {comparator}'s "
                         f"rate ({formatting.fmt_rate(value(row, 'comparator_rate_per_1000'))})"
                         + _query(q, f"benchmark, rate_lower_{suffix}_per_1000, rate_upper_{suffix}_per_1000"))
    traces[boardtable.TREND_COLUMN] = (f"{base}\nFigure: chi-squared test for trend in the rate over the "
                                       f"{intervals.TREND_POINTS} consecutive rolling years ending with the "
                                       f"{spans['current']}, at the {level}% level"
                                       + (f" (p = {float(trend_p):.4f})" if trend_p is not None else "")
                                       + _query(q, "trend, trend_p_value"))
    table = pd.DataFrame([table_row])
    kinds = boardtable.column_kinds(table)
    words = ("Category", "RAG", "Movement", "Significant", boardtable.TREND_COLUMN)
    return tuple(
        Cell(text=boardtable.cell_text(table, c, table_row[c]),
             trace=traces.get(c, f"{base}{_query(q)}"),
             numeric=c not in words and kinds.get(c) != "benchmark", rag=str(rag) if c == "RAG" else None,
             colours=formatting.benchmark_colours(boardtable.cell_text(table, c, table_row[c]))
             if kinds.get(c) == "benchmark" else None)
        for c in columns
    )


def figures(row: pd.Series, base: str, q: str, spans: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """How each figure of the row is written in the paragraph, with its trace (for hover spans)."""
    found: dict[str, list[tuple[str, str]]] = {}

    def add(text: str | None, what: str, field: str) -> None:
        if text:
            found.setdefault(text, []).append((what, field))

    fields = {name: value(row, name) for name in (
        "current", "previous", "pct_change", "rate_per_1000", "rate_per_1000_previous", "comparator_rate_per_1000",
        "comparator_pct_change", "rank", "rank_previous", "rank_of", "places_moved")}
    comparator = boardtable.comparator_of(row)
    units = boardtable.units_of(row)
    if fields["current"] is not None:
        add(formatting.fmt_count(fields["current"]), f"{units}, {spans['current']}", "current")
    if fields["previous"] is not None:
        add(formatting.fmt_count(fields["previous"]), f"{units}, {spans['previous']}", "previous")
    if fields["pct_change"] is not None:
        add(formatting.fmt_pct(fields["pct_change"]), "% change on the previous 12 months", "pct_change")
    if fields["rate_per_1000"] is not None:
        add(formatting.fmt_rate(fields["rate_per_1000"]), f"rate per 1,000 residents, {spans['current']}", "rate_per_1000")
    if fields["rate_per_1000_previous"] is not None:
        add(formatting.fmt_rate(fields["rate_per_1000_previous"]), f"rate per 1,000 residents, {spans['previous']}",
            "rate_per_1000_previous")
    if fields["comparator_rate_per_1000"] is not None:
        add(formatting.fmt_rate(fields["comparator_rate_per_1000"]), f"{comparator} rate per 1,000",
            "comparator_rate_per_1000")
    if fields["comparator_pct_change"] is not None:
        add(formatting.fmt_pct(fields["comparator_pct_change"]), f"{comparator} % change", "comparator_pct_change")
    if fields["rank"] is not None:
        add(formatting.ordinal(fields["rank"]), f"rank among {boardtable.areas_of(comparator)}, 1 = lowest rate", "rank")
    if fields["rank_previous"] is not None:
        add(formatting.ordinal(fields["rank_previous"]), f"rank, {spans['previous']}", "rank_previous")
        if fields["places_moved"]:
            add(str(abs(int(fields["places_moved"]))), "places moved in rank", "places_moved")
    if fields["rank_of"]:
        add(str(int(fields["rank_of"])), "number of areas ranked", "rank_of")
    return tuple((text, f"{base}\nFigure: {' or '.join(w for w, _ in whats)}"
                        f"{_query(q, ', '.join(f for _, f in whats))}")
                 for text, whats in found.items())
