"""How exception scans read on the pages: what 'unusual' was based on, and the flagged counts as tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sbp.display.htmltable import table_html
from sbp.display.formatting import esc, fmt_count, fmt_number
from sbp.metrics import MIN_EXCEPTION_BASELINE, MIN_SEASON_YEARS, ExceptionScan
from sbp.metrics.periods import month_label

AREA_WORDS = {"ward": "ward", "borough": "borough"}


def scan_note(scan: ExceptionScan, level: str, area: str | None = None) -> str:
    """What 'unusual' means for this scan, whether seasonality is modelled, and how many flags chance alone would give.

    With area (a borough panel of a London-wide scan), the method and the chance are that borough's own, with
    London's chance beside it.
    """
    return f"{method_sentence(scan, level, area)} {chance_sentence(scan, level, area)}"


def _years(fewest: int, most: int) -> str:
    """'4', or '2 to 4' when the series used different numbers of earlier years."""
    return f"{fewest}" if fewest == most else f"{fewest} to {most}"


def method_sentence(scan: ExceptionScan, level: str, area: str | None = None) -> str:
    """What 'unusual' meant for the series shown (the flagged ones, else those tested): a seasonal factor is named
    only for the series whose expectation had one, with the earlier years of the month it used."""
    use = scan.seasonal_use(area)
    month = f"{scan.end:%B}"
    years = _years(use.fewest_years, use.most_years)
    if use.series and use.seasonal == use.series:
        season = f" and {month} in {years} earlier years"
    elif use.seasonal:
        season = f" and, for {use.seasonal} of the {use.series} {use.described} series, {month} in {years} earlier years"
    else:
        season = ""
    parts = [f"Unusual means outside the range expected from the series' level over the last 12 months{season}, "
             f"widened by how much that series has varied beyond chance (over-dispersed limits, as in Laney's u' "
             f"chart), so a steady series is flagged about once in {round(1 / scan.probability):,} months; counts "
             f"under {scan.min_count} are never flagged."]
    plain = use.series - use.seasonal
    if not scan.seasonal:
        history = scan.longest_history or scan.baseline_months
        parts.append(f"Seasonality is not modelled: that needs the same month in {MIN_SEASON_YEARS} earlier years, and "
                     f"the {level} series here have at most {history} earlier months.")
    elif plain == use.series == 1:
        parts.append(f"The {use.described} series has no seasonal term: it has too few earlier {month}s (a seasonal "
                     f"term needs {MIN_SEASON_YEARS}).")
    elif plain == use.series:
        parts.append(f"None of the {use.series} {use.described} series has a seasonal term: each has too few earlier "
                     f"{month}s (a seasonal term needs {MIN_SEASON_YEARS}).")
    elif plain:
        parts.append(f"The other {plain} {'has' if plain == 1 else 'have'} no seasonal term: too few earlier {month}s "
                     f"(a seasonal term needs {MIN_SEASON_YEARS}).")
    return " ".join(parts)


def chance_sentence(scan: ExceptionScan, level: str, area: str | None = None) -> str:
    """How many flags a month with nothing unusual would give by chance: for the area's own series, else the scan's."""
    what, whats = ("measure", "measures") if scan.by == "measure" else ("category", "categories")
    place = AREA_WORDS.get(level, level)
    # One category checked area by area (the Wards page's choice): its combinations are simply the areas
    combos = f"{place}s" if scan.series_tested == 1 and area is None else f"{what} x {place} combinations"
    if area is None:
        cells, chance, london = scan.cells_tested, scan.expected_by_chance, ""
        tested = f"the {fmt_count(cells)} {combos}"
    else:
        cells, chance = scan.chance_in(area)
        tested = f"{area}'s {fmt_count(cells)} {whats}"
        london = (f" (across London, {_about(scan.expected_by_chance)} of {fmt_count(scan.cells_tested)} {combos} "
                  f"a month)")
    if cells == 0:
        return f"No {what} could be tested{f' for {area}' if area else ''} this month{london}."
    if chance >= 0.5:
        return (f"In a month with nothing unusual, {_about(chance)} of {tested} tested would be flagged by "
                f"chance{london}.")
    # Under one flag a month: how often a month would show one reads better than 'about 0.03 flags'.
    months = max(2, round(1 / -np.expm1(-chance))) if chance > 0 else 0
    often = f"about one month in {fmt_count(months)}" if months else "almost never"
    return f"With nothing unusual, one of {tested} tested would be flagged by chance {often}{london}."


def _about(chance: float) -> str:
    """'about 1.7', or 'fewer than 0.1' (never 'about 0.0')."""
    return f"about {fmt_number(chance, 1)}" if chance >= 0.05 else "fewer than 0.1"


def _rows(flags: pd.DataFrame, area_title: str | None, by: str = "minor") -> pd.DataFrame:
    table = pd.DataFrame({
        "Measure" if by == "measure" else "Category": flags["measure_label"].to_numpy(),
        "This month": [fmt_count(v) for v in flags["offence_count"]],
        "Usual (expected)": [fmt_number(v, 1) for v in flags["baseline_mean"]],
        "Expected range": [f"{fmt_count(lo)} to {fmt_count(hi)}" for lo, hi in zip(flags["lower_limit"], flags["upper_limit"])],
        "Baseline": [_baseline(first, last, known, years, month) for first, last, known, years, month in
                     zip(flags["baseline_first"], flags["baseline_last"], flags["baseline_known"],
                         flags["seasonal_years"], flags["end_month"])],
        "": [_running(text, months) for text, months in zip(flags["exception"], flags["months_running"])],
    })
    if area_title:
        table.insert(0, area_title, flags["area_name"].to_numpy())
    return table


def _baseline(first: object, last: object, known: int, seasonal_years: int, month: object) -> str:
    """The months a flag's baseline used and its seasonal term, e.g. 'Jul 2011 to Jun 2018 (84 months); July in 4
    earlier years', or '...; no seasonal term'."""
    season = (f"{pd.Timestamp(month):%B} in {seasonal_years} earlier years" if seasonal_years >= MIN_SEASON_YEARS
              else "no seasonal term")
    return f"{pd.Timestamp(first):%b %Y} to {pd.Timestamp(last):%b %Y} ({fmt_count(known)} months); {season}"


def _running(exception: str, months: int) -> str:
    """The flag with how long it has lasted: 'higher than usual, above its expected range for 3 months running'."""
    if months <= 1:
        return exception
    side = "above" if exception.startswith("higher") else "below"
    return f"{exception}, {side} its expected range for {months} months running"


def flags_html(scan: ExceptionScan, area_title: str | None = None) -> str:
    """The scan's flagged counts as a static table (area column titled area_title, or none)."""
    return table_html(_rows(scan.flags, area_title, scan.by), numeric=("This month", "Usual (expected)"))


def borough_flags_html(scan: ExceptionScan, borough: str) -> str:
    """One borough's flagged categories, each with whether its comparator as a whole was also unusual that month."""
    flags = scan.flags
    mine = flags[(flags["area_name"] == borough) & ~flags["is_comparator"]]
    untested = untested_note(scan, borough)
    if mine.empty:
        what = "measure" if scan.by == "measure" else "category"
        return (f"<p>Nothing unusual in {esc(borough)} as a whole: every {what} checked is within its expected "
                f"range.</p>{untested}")
    comparator = mine["comparator_name"].iloc[0]
    theirs = flags[flags["is_comparator"] & (flags["area_name"] == comparator)].set_index("measure_id")["exception"]
    table = _rows(mine, None, scan.by)
    table[f"{comparator} this month"] = [f"also {theirs[m]}" if m in theirs.index else "within its usual range"
                                         for m in mine["measure_id"]]
    return table_html(table, numeric=("This month", "Usual (expected)")) + untested


def untested_note(scan: ExceptionScan, area: str) -> str:
    """The categories not checked for an area, each group with its reason (unknown, never 'usual' or 0)."""
    rows = scan.untested
    if rows.empty:
        return ""
    mine = rows[(rows["area_name"] == area) & ~rows["is_comparator"].astype(bool)]
    parts = [f"{esc(reason)}: {esc(', '.join(group['measure_label']))}" for reason, group in mine.groupby("reason")]
    return f"<p style='color:#555'>Not checked in {esc(area)} ({'; '.join(parts)}).</p>" if parts else ""


def nothing_flagged(scan: ExceptionScan, level: str) -> tuple[bool, str]:
    """(anything tested?, what to say when no count is flagged): 'nothing unusual', or why nothing could be checked."""
    area = AREA_WORDS.get(level, level)
    if scan.cells_tested:
        what = "measure" if scan.by == "measure" else "category"
        return True, f"Nothing unusual: every {area} and {what} tested is within its expected range this month."
    return False, (f"Nothing could be checked for {month_label(scan.end)}: the method needs {MIN_EXCEPTION_BASELINE} "
                   f"known earlier months of a series, and the {area} series here have at most "
                   f"{scan.longest_history}.")
