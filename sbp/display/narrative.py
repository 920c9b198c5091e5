"""Board-report wording: plain-text sentences from one comparison row (see sbp.metrics.comparisons / record).

Every piece of wording lives in TEMPLATES (and the few constants beside it) at the top of this module, so an
analyst can change the register without touching the logic below. Templates are ``str.format`` strings; the
placeholders they may use are listed in the comment above each group.

The functions return plain text: they add no HTML or Markdown and escape nothing (the caller escapes for
display). Numbers in the sentences are the input values rounded for display, the rank movement included (metrics'
places_moved: rank_previous - rank, positive = an improvement, since 1st is the lowest rate).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from sbp.config import DEFAULT_UNITS, UNITS, unit_word
from sbp.display.formatting import fmt_count, fmt_pct, fmt_rate, is_missing, ordinal, round_half_up
from sbp.display.boardtable import areas_of

# --- wording: edit here ------------------------------------------------------------------------
# Every template may also use {label} (as configured), {label_lc} (first letter lower-cased, acronyms kept),
# {area}, {subject} ('Total burglary' / 'Recorded domestic abuse'), {period} ('the rolling year to
# November 2023') and {units}, what the measure counts ('offences', 'incidents': the row's measure_unit, from the
# measure's `unit`); the other placeholders each template may use are listed in the comment above its group.

# How close London's percentage change must be for "slightly", and how far apart for "far" (percentage
# points, compared on the displayed one-decimal figures). Equal displayed figures read "in line with".
SLIGHTLY_WITHIN_POINTS = 2.0
FAR_OVER_POINTS = 15.0

# Labels ending in one of these plural nouns, or in the measure's own unit, are counted directly ("394 other sexual
# offences", "1,200 ASB calls", "9,104 ASB incidents (police.uk)": a closing bracket is looked past); any other label
# is counted as "<unit> of <label>" ("212 offences of rape", "9,104 incidents of anti-social behaviour").
# Each maps to its singular, used for a count of 1.
LABEL_NOUNS = dict(UNITS)

# What the areas are called: wards when ranked by count (rank_basis 'count') or when area_kind is 'ward'.
AREA_WORDS = {"borough": ("London borough", "London boroughs"), "ward": ("ward", "wards")}
# What the rank is based on.
BASIS_WORDS = {"rate": "rate", "count": "number of {units}"}

TEMPLATES: dict[str, str] = {
    # --- pieces shared by both functions -------------------------------------------------------
    # Placeholders: {label} as configured, {label_lc} with its first letter lower-cased (acronyms kept).
    "subject": "{label}",                                    # who rose/fell, lower_is_better measures
    "subject_higher_is_better": "Recorded {label_lc}",      # higher_is_better (e.g. domestic abuse reporting)
    "period": "the rolling year to {month}",                # {month} = 'November 2023'
    "period_unknown": "the rolling year",                   # no end month on the row
    "count_label_is_noun": "{count} {noun}",                # '394 other sexual offences'
    "count_of_label": "{count} {unit} of {label_lc}",       # '212 offences of rape'; {unit} singular for 1
    "count_none": "no",                                     # replaces {count} when it is 0: 'no offences of rape'
    "from_none": "none",                                    # a zero baseline: 'rose from none to 12'
    "pct_tiny": "less than 0.1%",                           # a non-zero change that rounds to 0.0%
    "place": "place",
    "places": "places",

    # --- ranks (1st = lowest rate or count) ----------------------------------------------------
    # Placeholders: {area}; {rank} '9th'; {joint} 'joint ' or ''; {of_n} '32 London boroughs' (or
    # 'the London boroughs' when rank_of is missing); {all_n} 'all 32 London boroughs'; {areas}/{area_word}
    # plural/singular area word; {basis} 'rate' / 'number of offences' (the measure's units); {by_basis} ' by number of offences'
    # for count ranks, else ''.
    "rank_middle": "{area} ranks {joint}{rank} of {of_n}{by_basis}",               # lower_is_better
    "rank_middle_neutral": "{area} has the {joint}{rank} lowest {basis} of {of_n}",  # higher_is_better
    "rank_first": "{area} has the {joint}lowest {basis} of {all_n}",
    "rank_last": "{area} has the {joint}highest {basis} of {all_n}",
    "rank_only": "{area} is the only {area_word} with a {basis} to rank",          # rank_of == 1
    "rank_best_suffix": " (the best position)",     # added to rank_first for lower_is_better measures
    "rank_worst_suffix": " (the worst position)",   # added to rank_last for lower_is_better measures
    # Rank movement on a year earlier, board paragraph only. {n} places, {places} 'place'/'places'.
    "move_better": ", an improvement of {n} {places}",       # lower_is_better, rank number fell
    "move_worse": ", down {n} {places}",                      # lower_is_better, rank number rose
    "move_same": ", unchanged from a year earlier",
    "move_neutral": ", compared with {rank_previous} a year earlier",  # higher_is_better: no judgement

    # --- summary_sentence: one sentence for the dashboard --------------------------------------
    # Placeholders: {subject}; {label}; {area}; {pct} '7.2%'; {previous}/{current} '1,474' (or 'none').
    "summary_rise": "{subject} rose by {pct} ({previous} to {current})",
    "summary_fall": "{subject} fell by {pct} ({previous} to {current})",
    "summary_rise_no_pct": "{subject} rose from {previous} to {current}",    # zero baseline: 'from none to 12'
    "summary_fall_no_pct": "{subject} fell from {previous} to {current}",    # no percentage on the row
    "summary_unchanged": "{subject} was unchanged at {current}",
    "summary_both_zero": "{label}: no {units} were recorded in either year",
    "summary_no_previous": "{label}: {current} {unit}",                     # no earlier year loaded; {unit} singular for 1
    "summary_no_previous_tail": "there is no earlier year loaded to compare with",
    "summary_no_current": "{label}: no count is loaded for {area} for this period",
    # Rate after the change clause: {rate} / {rate_previous} '4.79'.
    "summary_rate_change": "the rate per 1,000 from {rate_previous} to {rate}",
    "summary_rate_only": "a rate per 1,000 of {rate}",
    # London after the rank clause: {verb} 'rose'/'fell', {london_pct} '3.6%'.
    "summary_london": "while {comparator} as a whole {verb} {london_pct}",
    "summary_london_unchanged": "while {comparator} as a whole was unchanged",
    "summary_aim_higher_is_better": "the partnership aims to increase reporting",

    # --- board_paragraph: the report's fuller paragraph ----------------------------------------
    # Opening: period, count, rate. {period}; {were} 'were'/'was'; {count_phrase} '1,580 offences of ...'.
    "board_opening": "For {period}, there {were} {count_phrase} in {area}",
    "board_rate": ", a rate per 1,000 of {rate}",
    "board_rate_previous": " ({rate_previous} a year earlier)",
    "board_london_rate": ", with the {comparator} rate at {london_rate}",
    "board_both_zero": "{label}: no {units} were recorded in {area} in either year ({period} and the 12 months before).",
    "board_no_current": "For {period}, no count of {label_lc} is loaded for {area}.",
    "board_no_population": "No population figure is loaded for this area, so no rate or rank is given.",
    "board_no_previous": "There is no earlier year loaded to compare with.",
    # The change on the previous 12 months: {subject}, {pct}, {previous}, {current}.
    "board_rise": "{subject} rose by {pct} on the previous 12 months ({previous} to {current})",
    "board_fall": "{subject} fell by {pct} on the previous 12 months ({previous} to {current})",
    "board_rise_from_zero": "{subject} rose from none to {current} on the previous 12 months",  # no percentage from a zero base
    "board_rise_no_pct": "{subject} rose from {previous} to {current} on the previous 12 months",
    "board_fall_no_pct": "{subject} fell from {previous} to {current} on the previous 12 months",
    "board_unchanged": "{subject} was unchanged at {current} compared with the previous 12 months",
    # London, appended to the change sentence. {q} is 'slightly ', 'far ' or ''.
    "london_higher": ", {q}higher than the overall {comparator} increase of {london_pct}",  # both rose, ours more
    "london_lower": ", {q}lower than the overall {comparator} increase of {london_pct}",    # both rose, ours less
    "london_same_rise": ", in line with the overall {comparator} increase of {london_pct}",
    "london_larger_fall": ", {q}larger than the overall {comparator} fall of {london_pct}",  # both fell, ours more
    "london_smaller_fall": ", {q}smaller than the overall {comparator} fall of {london_pct}",
    "london_same_fall": ", in line with the overall {comparator} fall of {london_pct}",
    "london_against_rise": ", against {a_comparator} increase of {london_pct}",   # ours fell, was unchanged or had no %
    "london_against_fall": ", against {a_comparator} fall of {london_pct}",
    "london_against_unchanged": ", while {comparator} as a whole was unchanged",
    "london_only": "{comparator} as a whole {verb} by {london_pct}.",             # no comparison of our own
    "london_only_unchanged": "{comparator} as a whole was unchanged.",
    "qualifier_slightly": "slightly ",
    "qualifier_far": "far ",
    # Significance (omitted when unknown or when nothing changed).
    "significant": "This change is statistically significant.",
    "not_significant": "This change is within normal variation (not statistically significant).",
    "board_aim_higher_is_better": "The partnership aims to increase reporting.",
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


# --- reading a row -----------------------------------------------------------------------------

_INT_FIELDS = ("current", "previous", "change", "rank", "rank_of", "rank_previous", "places_moved")
_FLOAT_FIELDS = ("pct_change", "rate_per_1000", "rate_per_1000_previous", "comparator_pct_change", "comparator_rate_per_1000",
                 "p_value")


def _get(row: Mapping[str, Any], *names: str) -> Any:
    """The first of names present and not missing, as a plain Python value."""
    for name in names:
        value = row.get(name)
        if is_missing(value):
            continue
        if isinstance(value, np.datetime64):
            return pd.Timestamp(value)
        if isinstance(value, np.generic):
            return value.item()
        return value
    return None


def _month(row: Mapping[str, Any]) -> dt.date | None:
    value = _get(row, "end_month", "end")
    if value is None:
        return None
    if hasattr(value, "year") and hasattr(value, "month"):
        return dt.date(int(value.year), int(value.month), 1)
    match = re.match(r"^\s*(\d{4})-?(\d{2})", str(value))
    if match and 1 <= int(match.group(2)) <= 12:
        return dt.date(int(match.group(1)), int(match.group(2)), 1)
    return None


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _read(row: Any) -> dict[str, Any]:
    """The row's fields as plain Python values, None for anything missing (None, pandas NA, NaN, inf)."""
    if hasattr(row, "to_dict") and not isinstance(row, Mapping):
        row = row.to_dict()
    r: dict[str, Any] = {}
    for name in _INT_FIELDS:
        value = _get(row, name)
        r[name] = None if value is None else int(round_half_up(value, 0))
    for name in _FLOAT_FIELDS:
        value = _get(row, name, name.replace("london_", "comparator_"))
        r[name] = None if value is None else float(value)
    label = _get(row, "measure_label", "measure")
    r["label"] = str(label) if label is not None and str(label).strip() else "This measure"
    units = _get(row, "measure_unit", "unit")
    r["units"] = str(units).strip() if units is not None and str(units).strip() else DEFAULT_UNITS
    area = _get(row, "area_name", "area")
    r["area"] = str(area) if area is not None and str(area).strip() else "the area"
    r["month"] = _month(row)
    # The comparison is with the comparator group's total: London for the MPS boroughs, a force area elsewhere.
    comparator = _get(row, "comparator_name")
    r["comparator"] = str(comparator) if comparator is not None and str(comparator).strip() else "London"
    r["significant"] = _flag(_get(row, "significant"))
    r["rank_tied"] = bool(_get(row, "rank_tied") or False)
    r["higher_is_better"] = _get(row, "direction") == "higher_is_better"
    r["by_count"] = _get(row, "rank_basis") == "count"
    r["wards"] = r["by_count"] or str(_get(row, "area_kind") or "").lower() == "ward"
    return r


# --- wording pieces ----------------------------------------------------------------------------

# The row's names, available to every template as {label}, {label_lc}, {area}, {subject} and {period}.
_ROW_WORDS: ContextVar[dict[str, str]] = ContextVar("row_words", default={})


def _t(name: str, **values: Any) -> str:
    return TEMPLATES[name].format(**{**_ROW_WORDS.get(), **values})


@contextlib.contextmanager
def _row_words(r: dict[str, Any]):
    """Make the row's names available to every template while one sentence or paragraph is written."""
    token = _ROW_WORDS.set({})
    try:
        _ROW_WORDS.set(dict(label=r["label"], label_lc=_lc(r["label"]), area=r["area"], subject=_subject(r),
                            period=_period(r), comparator=r["comparator"], units=r["units"],
                            a_comparator=("an " if r["comparator"][:1].lower() in "aeiou" else "a ") + r["comparator"]))
        yield
    finally:
        _ROW_WORDS.reset(token)


def _lc(label: str) -> str:
    """First letter lower-cased unless the first word looks like an acronym ('ASB calls' stays)."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and not first[1:].islower():
        return label
    return label[:1].lower() + label[1:]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = re.sub(r" {2,}", " ", _cap(text.strip()))
    return text if text.endswith(".") else text + "."


def _subject(r: dict[str, Any]) -> str:
    name = "subject_higher_is_better" if r["higher_is_better"] else "subject"
    return _t(name, label=r["label"], label_lc=_lc(r["label"]))


def _pct_text(x: float) -> str:
    text = fmt_pct(x)
    return _t("pct_tiny") if text == "0.0%" and x != 0 else text


def _count_phrase(n: int, label: str, units: str) -> str:
    """'1,580 offences of total burglary', '394 other sexual offences', 'no offences of rape',
    '9,104 incidents of anti-social behaviour', '1 ASB incident (police.uk)'."""
    count = _t("count_none") if n == 0 else fmt_count(n)
    label_lc = _lc(label)
    core, tail = re.fullmatch(r"(.*?)(\s*\([^()]*\))?", label_lc, flags=re.S).groups()
    for plural in (units, *LABEL_NOUNS):
        if core.lower().endswith(plural):
            noun = core[: -len(plural)] + unit_word(plural, n) + (tail or "")
            return _t("count_label_is_noun", count=count, noun=noun)
    return _t("count_of_label", count=count, unit=unit_word(units, n), label_lc=label_lc)


def _period(r: dict[str, Any]) -> str:
    month = r["month"]
    if month is None:
        return _t("period_unknown")
    return _t("period", month=f"{MONTHS[month.month - 1]} {month.year}")


def _direction(r: dict[str, Any]) -> int | None:
    """+1 rose, -1 fell, 0 unchanged, None with no comparison."""
    if r["current"] is None or r["previous"] is None:
        return None
    change = r["change"] if r["change"] is not None else r["current"] - r["previous"]
    return (change > 0) - (change < 0)


def _rank_phrase(r: dict[str, Any]) -> str | None:
    rank, rank_of = r["rank"], r["rank_of"]
    if rank is None:
        return None
    area_word, areas = AREA_WORDS["ward" if r["wards"] else "borough"]
    if not r["wards"] and r["comparator"] != "London":
        area_word, areas = "area", areas_of(r["comparator"])
    basis_key = "count" if r["by_count"] else "rate"
    values = dict(
        area=r["area"], rank=ordinal(rank), joint="joint " if r["rank_tied"] else "",
        of_n=f"{rank_of} {areas}" if rank_of is not None else f"the {areas}",
        all_n=f"all {rank_of} {areas}" if rank_of is not None else f"all {areas}",
        areas=areas, area_word=area_word, basis=BASIS_WORDS[basis_key].format(units=r["units"]),
        by_basis=" by " + BASIS_WORDS["count"].format(units=r["units"]) if r["by_count"] else "",
    )
    judged = not r["higher_is_better"]
    if rank_of == 1 and rank == 1:
        return _t("rank_only", **values)
    if rank == 1:
        return _t("rank_first", **values) + (_t("rank_best_suffix") if judged else "")
    if rank_of is not None and rank == rank_of:
        return _t("rank_last", **values) + (_t("rank_worst_suffix") if judged else "")
    return _t("rank_middle" if judged else "rank_middle_neutral", **values)


def _movement(r: dict[str, Any]) -> str:
    moved = r["places_moved"]
    if r["rank"] is None or r["rank_previous"] is None or moved is None:
        return ""
    if moved == 0:
        return _t("move_same")
    if r["higher_is_better"]:
        return _t("move_neutral", rank_previous=ordinal(r["rank_previous"]))
    n = abs(moved)
    places = _t("place") if n == 1 else _t("places")
    return _t("move_better" if moved > 0 else "move_worse", n=n, places=places)


def _qualifier(gap: Decimal) -> str:
    if gap <= Decimal(str(SLIGHTLY_WITHIN_POINTS)):
        return _t("qualifier_slightly")
    if gap > Decimal(str(FAR_OVER_POINTS)):
        return _t("qualifier_far")
    return ""


def _london_comparison(r: dict[str, Any], direction: int) -> str:
    """The London clause appended to the board's change sentence ('' when London is missing)."""
    london = r["comparator_pct_change"]
    if london is None:
        return ""
    london_dir = (london > 0) - (london < 0)
    london_pct = _pct_text(london)
    if london_dir == 0:
        return _t("london_against_unchanged")
    ours = r["pct_change"]
    if ours is None or direction != london_dir:
        return _t("london_against_rise" if london_dir > 0 else "london_against_fall", london_pct=london_pct)
    a, b = abs(round_half_up(ours, 1)), abs(round_half_up(london, 1))
    rising = direction > 0
    if a == b:
        return _t("london_same_rise" if rising else "london_same_fall", london_pct=london_pct)
    q = _qualifier(abs(a - b))
    if rising:
        return _t("london_higher" if a > b else "london_lower", q=q, london_pct=london_pct)
    return _t("london_larger_fall" if a > b else "london_smaller_fall", q=q, london_pct=london_pct)


def _london_alone(r: dict[str, Any]) -> str | None:
    london = r["comparator_pct_change"]
    if london is None:
        return None
    if london == 0:
        return _t("london_only_unchanged")
    return _t("london_only", verb="rose" if london > 0 else "fell", london_pct=_pct_text(london))


def _change_clause(r: dict[str, Any], prefix: str) -> str:
    """The rise/fall/unchanged clause; prefix is 'summary' or 'board'. Needs current and previous."""
    direction = _direction(r)
    current, previous, pct = r["current"], r["previous"], r["pct_change"]
    values = dict(subject=_subject(r), current=fmt_count(current), previous=fmt_count(previous))
    if direction == 0:
        return _t(f"{prefix}_unchanged", **values)
    if direction > 0 and previous == 0:
        if prefix == "board":
            return _t("board_rise_from_zero", **values)
        return _t("summary_rise_no_pct", **dict(values, previous=_t("from_none")))
    verb = "rise" if direction > 0 else "fall"
    if pct is None:
        return _t(f"{prefix}_{verb}_no_pct", **values)
    return _t(f"{prefix}_{verb}", pct=_pct_text(pct), **values)


# --- public functions --------------------------------------------------------------------------

def summary_sentence(row: Any) -> str:
    """The dashboard's one-sentence summary of a comparison row (a dict or a pandas row), as plain text.

    'Total burglary rose by 7.2% (1,474 to 1,580), the rate per 1,000 from 4.47 to 4.79; Bromley ranks 9th
    of 32 London boroughs, while London as a whole fell 3.6%.'
    """
    r = _read(row)
    with _row_words(r):
        return _summary(r)


def _summary(r: dict[str, Any]) -> str:
    current, previous = r["current"], r["previous"]
    if current is None:
        return _sentence(_t("summary_no_current", label=r["label"], area=r["area"]))
    rate, rate_previous = r["rate_per_1000"], r["rate_per_1000_previous"]
    direction = _direction(r)
    comparable = previous is not None

    if not comparable:
        head = _t("summary_no_previous", label=r["label"], current=fmt_count(current), unit=unit_word(r["units"], current))
    elif current == 0 and previous == 0:
        head = _t("summary_both_zero", label=r["label"])
    else:
        head = _change_clause(r, "summary")

    if rate is not None and not (current == 0 and previous == 0):
        if comparable and rate_previous is not None and fmt_rate(rate_previous) != fmt_rate(rate):
            head += ", " + _t("summary_rate_change", rate=fmt_rate(rate), rate_previous=fmt_rate(rate_previous))
        else:
            head += ", " + _t("summary_rate_only", rate=fmt_rate(rate))

    clauses = [head]
    rank = _rank_phrase(r)
    if rank is not None:
        clauses.append(rank)
    london = r["comparator_pct_change"]
    if comparable and london is not None and direction is not None:
        if london == 0:
            clauses[-1] += ", " + _t("summary_london_unchanged")
        else:
            clauses[-1] += ", " + _t("summary_london", verb="rose" if london > 0 else "fell", london_pct=_pct_text(london))
    if not comparable:
        clauses.append(_t("summary_no_previous_tail"))
    if r["higher_is_better"]:
        clauses.append(_t("summary_aim_higher_is_better"))
    return _sentence("; ".join(clauses))


def board_paragraph(row: Any) -> str:
    """The board report's paragraph for a comparison row (a dict or a pandas row), as plain text.

    Period, count and rate; the change on the previous 12 months against London; the rank and its movement;
    significance. Clauses whose figures are missing are left out rather than guessed.
    """
    r = _read(row)
    with _row_words(r):
        return _board(r)


def _board(r: dict[str, Any]) -> str:
    current, previous = r["current"], r["previous"]
    period = _period(r)
    if current is None:
        return _sentence(_t("board_no_current", period=period, label_lc=_lc(r["label"]), area=r["area"]))
    rate, rate_previous = r["rate_per_1000"], r["rate_per_1000_previous"]
    direction = _direction(r)
    sentences: list[str] = []

    if previous == 0 and current == 0:
        sentences.append(_sentence(_t("board_both_zero", label=r["label"], area=r["area"], period=period)))
    else:
        opening = _t("board_opening", period=period, were="was" if current == 1 else "were",
                     count_phrase=_count_phrase(current, r["label"], r["units"]), area=r["area"])
        if rate is not None:
            opening += _t("board_rate", rate=fmt_rate(rate))
            if previous is not None and rate_previous is not None:
                opening += _t("board_rate_previous", rate_previous=fmt_rate(rate_previous))
            if r["comparator_rate_per_1000"] is not None:
                opening += _t("board_london_rate", london_rate=fmt_rate(r["comparator_rate_per_1000"]))
        sentences.append(_sentence(opening))

    if rate is None and r["rank"] is None:
        sentences.append(_t("board_no_population"))

    if previous is None:
        sentences.append(_t("board_no_previous"))
        london = _london_alone(r)
        if london:
            sentences.append(london)
    elif current == 0 and previous == 0:
        london = _london_alone(r)
        if london:
            sentences.append(london)
    else:
        sentences.append(_sentence(_change_clause(r, "board") + _london_comparison(r, direction)))

    rank = _rank_phrase(r)
    if rank is not None:
        sentences.append(_sentence(rank + _movement(r)))

    if direction not in (None, 0) and r["significant"] is not None:
        sentences.append(_t("significant" if r["significant"] else "not_significant"))
    if r["higher_is_better"]:
        sentences.append(_t("board_aim_higher_is_better"))
    return " ".join(sentences)
