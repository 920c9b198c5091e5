"""Where each figure comes from: the board-table cells and paragraph numbers, each with its trace.

A trace says what a number is (the measure's MPS categories or series), the period, the area and the metrics
call that produced it. The HTML report shows it on hover; the appendix lists each measure's definition and query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sbp.display import boardtable, formatting
from sbp.config import Config, Measure


@dataclass(frozen=True)
class Cell:
    """One cell of the board table: display text, its trace (hover text) and, for RAG cells, the status."""

    text: str
    trace: str = ""
    numeric: bool = False
    rag: str | None = None      # 'Green' / 'Amber' / 'Red' / 'No comparison' on the RAG column only


def measure_definition(measure: Measure, config: Config) -> str:
    """'Total burglary = Burglary (major category: all minors)': what a measure counts, as configured."""
    parts = []
    if measure.all:
        parts.append("every MPS category (all majors and minors)")
    parts += [f"{name} (major category: all minors)" for name in measure.majors]
    parts += [f"{name} (minor category)" for name in measure.minors]
    parts += [f"{name} (long-format series)" for name in measure.series]
    text = f"{measure.label} = {' + '.join(parts)}"
    earlier = [old for level, names in (("major", measure.majors), ("minor", measure.minors))
               for name in names for old in config.spellings(level, name)[1:]]
    if earlier:
        text += f"; earlier spellings also counted: {', '.join(earlier)}"
    return text


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


def cells(table_row: pd.Series, row: pd.Series, columns: list[str], base: str, q: str, spans: dict[str, str],
           settings: dict[str, Any]) -> tuple[Cell, ...]:
    """The board-table cells of one measure, each with its trace."""
    prev_label, cur_label = columns[1], columns[2]
    population = value(row, "population")
    rank_of = value(row, "rank_of")
    p_value = value(row, "p_value")
    rag = table_row["RAG"]
    comparator = boardtable.comparator_of(row)
    rule = boardtable.rag_rule_text(settings["rag_rule"], comparator)
    units = boardtable.units_of(row)
    traces = {
        "Category": f"{base}\nQuery: {q}",
        prev_label: f"{base}\nFigure: {units} recorded, {spans['previous']}\nQuery: {q} -> previous",
        cur_label: f"{base}\nFigure: {units} recorded, {spans['current']}\nQuery: {q} -> current",
        "% difference": f"{base}\nFigure: (current - previous) / previous x 100, {spans['current']} against "
                        f"{spans['previous']}\nQuery: {q} -> pct_change",
        "RAG": f"{base}\nFigure: RAG status, rule '{settings['rag_rule']}': {rule}\nQuery: {q} -> rag",
        "Rate per 1,000": f"{base}\nFigure: {units} per 1,000 residents, {spans['current']}"
                          + (f" (population {formatting.fmt_count(population)})" if population is not None else " (no population loaded)")
                          + f"\nQuery: {q} -> rate_per_1000",
        "Rank": f"{base}\nFigure: rank by rate per 1,000 among "
                + (f"{int(rank_of)} {boardtable.areas_of(comparator)}" if rank_of else f"the {boardtable.areas_of(comparator)}")
                + f" (1 = lowest), {spans['current']}\nQuery: {q} -> rank, rank_of",
        "Movement": f"{base}\nFigure: rank change on {spans['previous']} (rank then: "
                    f"{value(row, 'rank_previous') if value(row, 'rank_previous') is not None else 'n/a'})"
                    f"\nQuery: {q} -> rank_previous",
        f"{comparator} % difference": f"{base}\nFigure: % change for all of {comparator} (every area of the comparator group), "
                               f"{spans['current']} against {spans['previous']}\nQuery: {q} -> comparator_pct_change",
        "Significant": f"{base}\nFigure: exact test of the change at the {settings['significance_level']:g} level"
                       + (f" (p = {float(p_value):.4f})" if p_value is not None else "")
                       + f"\nQuery: {q} -> significant, p_value",
    }
    table = pd.DataFrame([table_row])
    return tuple(
        Cell(text=boardtable.cell_text(table, c, table_row[c]),
             trace=traces.get(c, f"{base}\nQuery: {q}"),
             numeric=c not in ("Category", "RAG", "Movement", "Significant"), rag=str(rag) if c == "RAG" else None)
        for c in columns
    )


def figures(row: pd.Series, base: str, q: str, spans: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """How each figure of the row is written in the paragraph, with its trace (for hover spans)."""
    found: dict[str, list[str]] = {}

    def add(text: str | None, what: str) -> None:
        if text:
            found.setdefault(text, []).append(what)

    fields = {name: value(row, name) for name in (
        "current", "previous", "pct_change", "rate_per_1000", "rate_per_1000_previous", "comparator_rate_per_1000",
        "comparator_pct_change", "rank", "rank_previous", "rank_of", "places_moved")}
    comparator = boardtable.comparator_of(row)
    units = boardtable.units_of(row)
    if fields["current"] is not None:
        add(formatting.fmt_count(fields["current"]), f"{units}, {spans['current']} (current)")
    if fields["previous"] is not None:
        add(formatting.fmt_count(fields["previous"]), f"{units}, {spans['previous']} (previous)")
    if fields["pct_change"] is not None:
        add(formatting.fmt_pct(fields["pct_change"]), "% change on the previous 12 months (pct_change)")
    if fields["rate_per_1000"] is not None:
        add(formatting.fmt_rate(fields["rate_per_1000"]), f"rate per 1,000 residents, {spans['current']} (rate_per_1000)")
    if fields["rate_per_1000_previous"] is not None:
        add(formatting.fmt_rate(fields["rate_per_1000_previous"]),
            f"rate per 1,000 residents, {spans['previous']} (rate_per_1000_previous)")
    if fields["comparator_rate_per_1000"] is not None:
        add(formatting.fmt_rate(fields["comparator_rate_per_1000"]), f"{comparator} rate per 1,000 (comparator_rate_per_1000)")
    if fields["comparator_pct_change"] is not None:
        add(formatting.fmt_pct(fields["comparator_pct_change"]), f"{comparator} % change (comparator_pct_change)")
    if fields["rank"] is not None:
        add(formatting.ordinal(fields["rank"]), f"rank among {boardtable.areas_of(comparator)}, 1 = lowest rate (rank)")
    if fields["rank_previous"] is not None:
        add(formatting.ordinal(fields["rank_previous"]), f"rank, {spans['previous']} (rank_previous)")
        if fields["places_moved"]:
            add(str(abs(int(fields["places_moved"]))), "places moved in rank (places_moved)")
    if fields["rank_of"]:
        add(str(int(fields["rank_of"])), "number of areas ranked (rank_of)")
    return tuple((text, f"{base}\nFigure: {' or '.join(whats)}\nQuery: {q}") for text, whats in found.items())
