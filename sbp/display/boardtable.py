"""The board's table: Category | Rolling year to (previous) | Rolling year to (current) | % difference | RAG | ..."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sbp.metrics.periods import previous_year, rolling_year_label
from sbp.config import DEFAULT_UNITS, Priority
from sbp.display import formatting
from sbp.metrics import intervals
from sbp.metrics.figures import pct_change
from sbp.display.htmltable import table_html

LONDON = "London"
RAG_RULE_TEXT = {  # what RAG means under each rag_rule setting; {comparator} is London or the force area
    "london": "Green when the count moved the right way (or not at all); Amber when it moved the wrong way by less "
              "than {comparator}; Red when by more than {comparator} (or significantly, where there is no "
              "{comparator} figure).",
    "significance": "Green when the count moved the right way (or not at all); Amber when it moved the wrong way "
                    "but not significantly; Red when it moved the wrong way significantly.",
    "benchmark": "Red when the rate is significantly worse than {comparator}'s, Amber when similar, Green when "
                 "significantly better; no rating when not compared.",
}
TREND_COLUMN = "5-year trend"


def level_text(confidence: Any) -> str:
    """A confidence level as shown: 95.0 -> '95', 99.8 -> '99.8'."""
    return f"{float(confidence):g}"


def confidence_of(rows: pd.DataFrame) -> float:
    """The confidence level (%) headline rows were compared at (their benchmark_confidence; 95 when they do not say)."""
    known = rows["benchmark_confidence"].dropna() if "benchmark_confidence" in rows else pd.Series(dtype=float)
    return float(known.iloc[0]) if len(known) else 95.0


def limit_columns_of(rows: pd.DataFrame, confidence: float) -> dict[str, Any]:
    """'Lower 95%' and 'Upper 95%' (the rate's confidence limits at a level) from comparison rows, unknown as None."""
    suffix = intervals.level_of(confidence)
    return {f"{side.capitalize()} {level_text(confidence)}%": _column(rows, f"rate_{side}_{suffix}_per_1000")
            .astype("Float64").to_numpy() for side in ("lower", "upper")}


def _column(rows: pd.DataFrame, name: str) -> pd.Series:
    """A column of comparison rows, unknown throughout when the rows lack it (rows made before it existed)."""
    return rows[name] if name in rows else pd.Series(pd.NA, index=rows.index, dtype="object")


def benchmark_column(comparator: str) -> str:
    """The board and rankings tables' column of the comparison with the comparator: 'Rate vs London'."""
    return f"Rate vs {comparator}"


def areas_of(comparator: str) -> str:
    """'London boroughs', or 'areas in Avon and Somerset': what the areas ranked together are called."""
    return "London boroughs" if comparator == LONDON else f"areas in {comparator}"


def comparator_of(rows: pd.DataFrame | Mapping[str, Any]) -> str:
    """The comparator group named on headline or league rows, or on one row (London when they do not say)."""
    if isinstance(rows, pd.DataFrame):
        names = rows["comparator_name"].dropna() if "comparator_name" in rows else pd.Series(dtype=object)
        return str(names.iloc[0]) if len(names) else LONDON
    name = formatting.known(rows.get("comparator_name"))
    return str(name) if name else LONDON


def rag_rule_text(rag_rule: str, comparator: str = LONDON) -> str:
    """What RAG means under a rag_rule setting, for a comparator ('London' or a force area)."""
    return RAG_RULE_TEXT[rag_rule].format(comparator=comparator)


def confidence_text(significance_level: float) -> str:
    """The confidence level of a significance level in words: 0.05 -> '95', 0.001 -> '99.9'."""
    return formatting.fmt_number((1 - float(significance_level)) * 100, 2).rstrip("0").rstrip(".")


def definitions(settings: Mapping[str, Any], comparator: str = LONDON,
                settings_named: bool = True) -> tuple[tuple[str, str], ...]:
    """The board table's definitions as (term, the rest of the sentence); settings_named=False leaves out setting names."""
    level = float(settings["significance_level"])
    confidence = confidence_text(level)
    benchmark = level_text(settings["benchmark_confidence"])
    if comparator == LONDON:
        population = "Census 2021 population, or the latest loaded"
        comparator_is = "every area in the extract, including the Heathrow and London City airports area"
    else:
        population = "ONS mid-year estimate for the year, or the latest earlier one loaded"
        comparator_is = (f"the sum of the {areas_of(comparator)}, each placed by the LSOA where the offence happened; "
                         "offences with no location are in no area")
    return (
        ("Rolling year", ": the 12 calendar months ending with the chosen month; it is compared with the 12 months before."),
        ("% difference", ' = (this year - last year) / last year x 100, rounded half up to one decimal; shown as "n/a" '
                         "when last year had no offences."),
        ("Rate per 1,000", f" = offences / residents x 1,000 ({population})."),
        ("Rank", f" among the {areas_of(comparator)} by rate; 1 = lowest rate. Ties share the better rank."),
        (comparator, f" is {comparator_is}."),
        ("Significant", f" means an exact test says the change is unlikely to be chance ({confidence}% level"
                        + (f", significance_level = {level:g})." if settings_named else ").")),
        ("RAG", (f" (rag_rule = '{settings['rag_rule']}'): " if settings_named else ": ")
         + rag_rule_text(settings["rag_rule"], comparator)),
        ("Lower and upper 95% / 99.8%", ": the rate's confidence limits, by Byar's method (exact Poisson limits under "
                                        "10 offences), as Public Health England's indicator profiles work them out."),
        (benchmark_column(comparator), f": significantly higher or lower when the area's {benchmark}% interval lies "
                                       f"wholly above or below {comparator}'s rate, else similar; not compared under "
                                       f"{intervals.BENCHMARK_MIN_COUNT} offences"
                                       + (f" (benchmark_confidence = {benchmark})." if settings_named else ".")),
        (TREND_COLUMN, f": \u2191 increasing or \u2193 decreasing when a chi-squared test for trend over the last "
                       f"{intervals.TREND_POINTS} rolling years' rates is significant at {benchmark}%, else \u2192 no "
                       f"significant change; n/a without {intervals.TREND_POINTS} years loaded."),
    )


def definitions_markdown(settings: Mapping[str, Any], comparator: str = LONDON) -> str:
    """The definitions as a Markdown list for the dashboard."""
    return "\n".join(f"- **{term}**{rest}" for term, rest in definitions(settings, comparator))


def board_table(rows: pd.DataFrame, end: dt.date, order: list[str] | None = None) -> pd.DataFrame:
    """The board's table from headline rows (one per measure): numbers unrounded and unknown as None, so a CSV
    carries them exactly; style() and cell_text() format them for display."""
    if order is not None:
        rows = rows.set_index("measure_id").loc[[m for m in order if m in set(rows["measure_id"])]].reset_index()
    previous_label, current_label = rolling_year_label(previous_year(end)[1]), rolling_year_label(end)

    def pct(current: pd.Series, previous: pd.Series) -> pd.Series:
        values = [pct_change(c, p) for c, p in zip(current, previous)]
        return pd.array([None if v is None else float(v) for v in values], dtype="Float64")

    comparator, confidence = comparator_of(rows), confidence_of(rows)
    directions = _column(rows, "direction").fillna("lower_is_better")
    return pd.DataFrame({
        "Category": rows["measure_label"].to_numpy(),
        # Whole numbers with unknowns kept as such (an Int64 column's to_numpy() is objects, read back as floats).
        previous_label: pd.array(rows["previous"], dtype="Int64"),
        current_label: pd.array(rows["current"], dtype="Int64"),
        "% difference": pct(rows["current"], rows["previous"]),
        "RAG": [formatting.rag_label(r) for r in rows["rag"]],
        "Rate per 1,000": rows["rate_per_1000"].astype("Float64").to_numpy(),
        **limit_columns_of(rows, confidence),
        "Rank": [formatting.rank_text(r, n, na=None) for r, n in zip(rows["rank"], rows["rank_of"])],
        "Movement": [formatting.rank_movement(m, na=None) for m in rows["places_moved"]],
        f"{comparator} % difference": pct(rows["comparator_current"], rows["comparator_previous"]),
        "Significant": [formatting.yes_no(s, na=None) for s in rows["significant"].astype(object)],
        benchmark_column(comparator): benchmark_cells(_column(rows, "benchmark"), directions),
        TREND_COLUMN: [None if formatting.is_missing(t) else formatting.trend_label(t) for t in _column(rows, "trend")],
    })


def benchmark_cells(words: pd.Series, directions: pd.Series) -> list[str | None]:
    """The comparison with the comparator as a table shows it ('Significantly higher (worse)'), unknown as None."""
    return [None if formatting.is_missing(w) else formatting.benchmark_label(w, d) for w, d in zip(words, directions)]


def board_csv(headline: pd.DataFrame, end: dt.date, priorities: Sequence[Priority]) -> pd.DataFrame:
    """The Overview's download: its tables one after the other, as on the screen (priority by priority, each in its
    measure order) with a Priority column; counts whole, rates to 2 places and % differences to 1 (rounded half up,
    as shown), unknown as empty."""
    tables = []
    for priority in priorities:
        table = board_table(headline[headline["measure_id"].isin(priority.measures)], end, list(priority.measures))
        for column, kind in column_kinds(table).items():
            if kind in ROUNDED:
                table[column] = pd.array([None if formatting.is_missing(v) else
                                          float(formatting.round_half_up(v, ROUNDED[kind])) for v in table[column]],
                                         dtype="Float64")
        rows = headline.set_index("measure_id").loc[[m for m in priority.measures if m in set(headline["measure_id"])]]
        for level in intervals.CONFIDENCE.values():  # the CSV carries both levels' limits, to the rate's 2 places
            for column, values in limit_columns_of(rows, level).items():
                table[column] = pd.array([None if formatting.is_missing(v) else float(formatting.round_half_up(v, 2))
                                          for v in values], dtype="Float64")
        tables.append(table.assign(Priority=priority.title)[["Priority", *table.columns]])
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["Priority", "Category"])


ROUNDED = {"rate": 2, "pct": 1}  # decimal places of a board-table column kind in the CSV: as the table shows it


def column_kinds(table: pd.DataFrame) -> dict[str, str]:
    """How each board-table column is formatted (see formatting.FORMATTERS)."""
    counts = {c: "count" for c in table.columns[1:3]}  # the two rolling-year columns, named by their period
    pcts = {c: "pct" for c in table.columns if c.endswith("% difference")}  # '% difference', '<comparator> % difference'
    limits = {c: "rate" for c in table.columns if c.startswith(("Lower ", "Upper ")) and c.endswith("%")}
    compared = {c: "benchmark" for c in table.columns if c.startswith("Rate vs ")}
    return counts | pcts | {"Rate per 1,000": "rate"} | limits | compared


def without_limits(table: pd.DataFrame) -> pd.DataFrame:
    """The board table without its confidence-limit columns (the report gives the limits in its appendix)."""
    return table.drop(columns=[c for c in table.columns if c.startswith(("Lower ", "Upper ")) and c.endswith("%")])


def interval_rows(rows: pd.DataFrame) -> list[dict[str, str]]:
    """Per headline row, the rate with both levels' intervals, the comparator's rate, the comparison and the trend,
    as shown (the report's appendix table)."""
    comparator = comparator_of(rows)
    out = []
    for _, r in rows.iterrows():
        levels = {f"{level_text(c)}% interval": formatting.interval_text(r.get(f"rate_lower_{k}_per_1000"),
                                                                        r.get(f"rate_upper_{k}_per_1000"))
                  for k, c in intervals.CONFIDENCE.items()}
        p = formatting.known(r.get("trend_p_value"))
        trend = formatting.trend_label(r.get("trend")) + ("" if p is None else " (p < 0.001)" if p < 0.001
                                                          else f" (p = {float(p):.3f})")
        out.append({"Measure": str(r["measure_label"]), "Rate per 1,000": formatting.fmt_rate(r.get("rate_per_1000")),
                    **levels, f"{comparator} rate": formatting.fmt_rate(r.get("comparator_rate_per_1000")),
                    benchmark_column(comparator): formatting.benchmark_label(r.get("benchmark"),
                                                                             r.get("direction") or "lower_is_better"),
                    TREND_COLUMN: trend})
    return out


def cell_text(table: pd.DataFrame, column: str, value: object) -> str:
    """How one board-table cell is shown, in the dashboard and the report alike."""
    return formatting.FORMATTERS[column_kinds(table).get(column, "text")](value)


def style(table: pd.DataFrame):
    """The table formatted for display, RAG cells coloured (the word stays, so colour is never the only cue)."""

    def rag_cell(value: str) -> str:
        background, colour = formatting.rag_colours(value)
        return f"background-color: {background}; color: {colour}; font-weight: 600"

    return formatting.styled(table, column_kinds(table), missing_as_text=True).map(rag_cell, subset=["RAG"])


@dataclass(frozen=True)
class Card:
    """One metric card on a priority page: its label, value and change on last year (None: no change to show)."""

    label: str
    value: str
    delta: str | None
    help: str | None = None
    tone: str = "neutral"  # good / bad / neutral: the colour of the change, from the same rounded change it shows


def change_tone(change: Any, direction: str) -> str:
    """good / bad / neutral for a shown change of a measure's count or rate (lower_is_better or higher_is_better)."""
    if change is None or change == 0:
        return "neutral"
    return "good" if (change < 0) == (direction == "lower_is_better") else "bad"


def units_of(rows: pd.DataFrame | Mapping[str, Any]) -> str:
    """What comparison rows' measure counts ('offences', 'incidents': their measure_unit, from Measure.units)."""
    if isinstance(rows, pd.DataFrame):
        return units_of(rows.iloc[0]) if len(rows) and "measure_unit" in rows else DEFAULT_UNITS
    units = formatting.known(rows.get("measure_unit"))
    return str(units) if units else DEFAULT_UNITS


def metric_cards(row: Mapping[str, Any]) -> tuple[Card, Card, Card]:
    """The count, rate and rank cards of one comparison row."""
    v = {name: formatting.known(row.get(name)) for name in (
        "current", "previous", "rate_per_1000", "rate_per_1000_previous", "rank", "rank_of", "places_moved")}
    pct = pct_change(v["current"], v["previous"])
    rate_change = (None if v["rate_per_1000"] is None or v["rate_per_1000_previous"] is None
                   else formatting.round_half_up(v["rate_per_1000"], 2) - formatting.round_half_up(v["rate_per_1000_previous"], 2))
    places = v["places_moved"]
    direction = str(row.get("direction") or "lower_is_better")
    count_change = None if v["current"] is None or v["previous"] is None else v["current"] - v["previous"]
    return (
        Card(f"{units_of(row).capitalize()}, rolling year", formatting.fmt_count(v["current"]),
             None if pct is None else f"{formatting.fmt_pct(pct, signed=True)} on last year",
             tone=change_tone(count_change, direction)),
        Card("Rate per 1,000 residents", formatting.fmt_rate(v["rate_per_1000"]),
             None if rate_change is None else f"{formatting.fmt_signed_decimal(rate_change, 2)} on last year",
             tone=change_tone(rate_change, direction)),
        Card(f"Rank among {areas_of(comparator_of(row))}", formatting.rank_text(v["rank"], v["rank_of"]),
             f"{formatting.fmt_signed(places, 'place', 'places')} on last year" if places else None,
             "1 = the lowest rate per 1,000 residents; a rise in places is an improvement.",
             # A rise in places (a lower rate than the others) is good whatever the measure's direction.
             tone=change_tone(None if places is None else -places, "lower_is_better")),
    )


def board_html(table: pd.DataFrame) -> str:
    """The board table as a static HTML table: every column visible, RAG cells coloured and named."""
    shown = pd.DataFrame({c: [cell_text(table, c, v) for v in table[c]] for c in table.columns})

    def rag_cell(column: str, text: str) -> str:
        if column == "RAG":
            background, colour = formatting.rag_colours(text)
        elif column_kinds(table).get(column) == "benchmark":
            background, colour = formatting.benchmark_colours(text)
        else:
            return ""
        return f"background:{background};color:{colour};font-weight:600"

    numeric = [c for c, kind in column_kinds(table).items() if kind != "benchmark"]
    return table_html(shown, numeric=numeric, cell_style=rag_cell, css_class="sbp-board")
