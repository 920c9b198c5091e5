"""Every number, unknown and badge a user sees, formatted once: tables, cards, sentences, CSVs and reports.

Rounding is half-up (as a spreadsheet rounds) and exact: percentages come from the integer counts as fractions;
a float is read by its shortest repr, which recovers the exact decimal of a ratio of two counts, so 400 -> 429
(exactly +7.25%) shows "+7.3%" in every table, card, sentence and report, and a CSV carries 7.25.
Unknown is "n/a" on screen and an empty cell in a CSV, never 0.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

NA = "n/a"
NO_CHANGE = "no change"

RAG_STYLE = {  # colour-blind-safe pairs: background, text
    "Green": ("#1b7837", "#ffffff"),
    "Amber": ("#f1a340", "#1a1a1a"),
    "Red": ("#b2182b", "#ffffff"),
    None: ("#8c8c8c", "#ffffff"),
}
STATUS_STYLE = {"good": ("#1b7837", "#ffffff"), "continuing": ("#2166ac", "#ffffff"), "bad": ("#b2182b", "#ffffff"),
                "neutral": ("#8c8c8c", "#ffffff")}
NO_COMPARISON = "No comparison"


# --- values ------------------------------------------------------------------------------------

def is_missing(value: Any) -> bool:
    """None, pandas NA, NaN, NaT and infinities are unknown."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-likes are values, not unknowns
        return False


def known(value: Any) -> Any:
    """The value as a plain Python scalar, or None when unknown."""
    if is_missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _exact(value: Any) -> Fraction:
    if isinstance(value, (int, np.integer)):
        return Fraction(int(value))
    if isinstance(value, (Fraction, Decimal)):
        return Fraction(value)
    return Fraction(Decimal(repr(float(value))))


def round_half_up(value: Any, places: int) -> Decimal:
    """value rounded to places decimals, halves away from zero, computed exactly."""
    q = _exact(value)
    scaled = abs(q) * 10 ** places
    whole = math.floor(scaled + Fraction(1, 2))
    sign = -1 if q < 0 else 1
    return (Decimal(sign * whole).scaleb(-places)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# --- text --------------------------------------------------------------------------------------

def fmt_count(value: Any, na: str = NA) -> str:
    """1474 -> '1,474' (whole numbers with thousands separators)."""
    return na if is_missing(value) else f"{int(round_half_up(value, 0)):,}"


def fmt_number(value: Any, places: int, na: str = NA) -> str:
    """A number to a fixed count of decimals: fmt_number(12.25, 1) -> '12.3'."""
    return na if is_missing(value) else f"{round_half_up(value, places):,.{places}f}"


def fmt_rate(value: Any, na: str = NA) -> str:
    """4.789 -> '4.79' (two decimals)."""
    return fmt_number(value, 2, na)


def fmt_pct(value: Any, signed: bool = False, na: str = NA) -> str:
    """7.25 -> '7.3%' (size only: the sentence's verb carries the direction); signed: '+7.3%', 0 -> 'no change'."""
    if is_missing(value):
        return na
    if signed:
        text = fmt_signed_decimal(value, 1)
        return text if text == NO_CHANGE else text + "%"
    return f"{abs(round_half_up(value, 1)):.1f}%"


def fmt_signed(value: Any, unit: str = "", units: str | None = None, na: str = NA) -> str:
    """A signed change: 5 -> '+5', -1 -> '-1 place' (with units), 0 -> 'no change'."""
    if is_missing(value):
        return na
    n = int(round_half_up(value, 0))
    if n == 0:
        return NO_CHANGE
    word = (unit if abs(n) == 1 else (units or unit)) if unit else ""
    return f"{n:+,d}" + (f" {word}" if word else "")


def fmt_signed_decimal(value: Any, places: int, na: str = NA) -> str:
    """A signed change with decimals: 0.315 -> '+0.32'; 0 -> 'no change'."""
    if is_missing(value):
        return na
    rounded = round_half_up(value, places)
    return NO_CHANGE if _exact(value) == 0 else f"{'-' if _exact(value) < 0 else '+'}{abs(rounded):,.{places}f}"


def ordinal(value: Any, na: str = NA) -> str:
    """1 -> '1st', 22 -> '22nd', 11 -> '11th', 101 -> '101st'."""
    if is_missing(value):
        return na
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(rank: Any, rank_of: Any, na: str | None = NA, as_ordinal: bool = True) -> str | None:
    """'9th of 32' ('9 of 32' for a chart's tooltip)."""
    if is_missing(rank) or is_missing(rank_of):
        return na
    return f"{ordinal(rank) if as_ordinal else int(rank)} of {int(rank_of)}"


def rank_movement(places_moved: Any, na: str | None = NA) -> str | None:
    """'up 2 places', 'down 1 place', 'no change' for metrics' places_moved (positive: up, to a lower rate)."""
    if is_missing(places_moved):
        return na
    moved = int(places_moved)
    if moved == 0:
        return NO_CHANGE
    places = "place" if abs(moved) == 1 else "places"
    return f"up {moved} {places}" if moved > 0 else f"down {-moved} {places}"


def yes_no(value: Any, na: str | None = NA) -> str | None:
    """True -> 'Yes', False -> 'No', unknown -> 'n/a'."""
    return na if is_missing(value) else ("Yes" if bool(value) else "No")


def rag_label(rag: Any) -> str:
    """The RAG status in words: 'Green', 'Amber', 'Red', or 'No comparison' when there is none (idempotent)."""
    if is_missing(rag) or rag == NO_COMPARISON:
        return NO_COMPARISON
    if rag not in RAG_STYLE:
        raise ValueError(f"unknown RAG status {rag!r}; expected Green, Amber, Red or None")
    return rag


BENCHMARK_TONE = {"worse": "Red", "similar": "Amber", "better": "Green"}  # the RAG colours, by what a comparison means
TREND_ARROW = {"increasing": "\u2191", "decreasing": "\u2193", "no significant change": "\u2192"}


def benchmark_label(word: Any, direction: Any = "lower_is_better") -> str:
    """A comparison with the comparator as shown: 'Significantly higher (worse)', 'Similar', 'Not compared', 'n/a'.

    word is the metrics layer's benchmark ('significantly higher', ...); worse or better follows the measure's direction.
    """
    if is_missing(word):
        return NA
    text = str(word)
    if text.startswith("significantly"):
        worse = text.endswith("higher") == (direction != "higher_is_better")
        text = f"{text} ({'worse' if worse else 'better'})"
    return text[:1].upper() + text[1:]


def benchmark_colours(label: Any) -> tuple[str, str]:
    """(background, text) colours of a shown comparison: worse red, similar amber, better green, else grey."""
    text = str(label).lower()
    tone = next((t for t in BENCHMARK_TONE if f"({t})" in text), "similar" if text == "similar" else None)
    return RAG_STYLE[BENCHMARK_TONE.get(tone)]


def benchmark_badge(word: Any, direction: Any = "lower_is_better") -> str:
    """A coloured badge that says the comparison with the comparator in words."""
    label = benchmark_label(word, direction)
    return _badge(label, benchmark_colours(label))


def trend_label(word: Any) -> str:
    """A trend as shown: an arrow and its meaning ('\u2191 Increasing', '\u2192 No significant change'), or 'n/a'."""
    if is_missing(word):
        return NA
    return f"{TREND_ARROW[str(word)]} {str(word)[:1].upper()}{str(word)[1:]}"


def interval_text(lower: Any, upper: Any, na: str = NA) -> str:
    """A confidence interval as shown, at the rate's 2 places: '6.82 to 7.40'; 'n/a' when either limit is unknown."""
    if is_missing(lower) or is_missing(upper):
        return na
    return f"{fmt_rate(lower)} to {fmt_rate(upper)}"


def data_stamp(last_month: dt.date, loaded_at: dt.datetime | None) -> str:
    """'Data to Nov 2023, loaded 25 Nov 2026'."""
    loaded = f", loaded {loaded_at:%-d %b %Y}" if loaded_at else ""
    return f"Data to {last_month:%b %Y}{loaded}"


def fmt_text(value: Any, na: str = NA) -> str:
    """Any other value as text; unknown as 'n/a'."""
    return na if is_missing(value) else str(value)


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "count": fmt_count, "rate": fmt_rate, "pct": lambda v: fmt_pct(v, signed=True), "change": fmt_signed,
    "decimal1": lambda v: fmt_number(v, 1), "text": fmt_text, "benchmark": fmt_text,
}


def styled(frame: pd.DataFrame, kinds: Mapping[str, str], missing_as_text: bool = False):
    """A pandas Styler showing each column by its kind in FORMATTERS (default 'text'; 'raw' leaves a column such
    as a sparkline alone); cells keep their numbers, so a table still sorts by value.

    Streamlit draws a missing cell as a grey "None" whatever the Styler says; missing_as_text=True shows each column
    with a missing value as its formatted text instead ("n/a" in words; such a column sorts as text).
    """
    shown, as_text = frame, set()
    if missing_as_text:
        shown = frame.copy()
        for column in frame.columns:
            kind = kinds.get(column, "text")
            if kind != "raw" and frame[column].isna().any():
                shown[column] = pd.Series([FORMATTERS[kind](v) for v in frame[column]], index=frame.index, dtype="object")
                as_text.add(column)
    styler = shown.style.format({c: FORMATTERS[kinds.get(c, "text")] for c in frame.columns
                                 if kinds.get(c) != "raw" and c not in as_text})
    coloured = [c for c in frame.columns if kinds.get(c) == "benchmark"]
    return styler.map(_benchmark_cell, subset=coloured) if coloured else styler


def _benchmark_cell(value: Any) -> str:
    """A comparison cell's colours (the word stays, so colour is never the only cue)."""
    background, colour = benchmark_colours(fmt_text(value))
    return f"background-color: {background}; color: {colour}; font-weight: 600"


# --- HTML and Markdown -------------------------------------------------------------------------

def esc(value: object) -> str:
    """HTML-escaped text (attributes too) of any value."""
    return html.escape("" if value is None else str(value), quote=True)


_MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-!|~$")  # < > & are handled by HTML escaping
# GFM turns bare "www.x", "http://" and "a@b.c" into live links even when backslashed or written as character
# references (Streamlit links the text after decoding both); an invisible word joiner inside each trigger leaves the
# text as it reads while no autolink can start.
_AUTOLINK_TRIGGER = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)")
WORD_JOINER = "\u2060"


def literal(value: object) -> str:
    """Text for st.markdown (and alerts, captions, titles) that shows exactly as written: HTML escaped, Markdown
    characters backslashed, no links; the one way a file's or a link's text reaches a Markdown surface."""
    text = "" if value is None else str(value)
    escaped = html.escape("".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text), quote=False)
    return _AUTOLINK_TRIGGER.sub(WORD_JOINER, escaped).replace("\n", "  \n")


def then(first: str, second: str) -> str:
    """Two sentences joined: a full stop after the first unless it already ends one ("is it a typo?. " never)."""
    first = first.rstrip()
    return f"{first}{'' if first.endswith(('.', '?', '!')) else '.'} {second}"


def shown_text(markdown: str) -> str:
    """What literal() text reads as on screen (for tests and logs): escapes, references and word joiners undone."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown)).replace(WORD_JOINER, "")


def rag_colours(rag: Any) -> tuple[str, str]:
    """(background, text) colours of a RAG status; grey without a comparison."""
    label = rag_label(rag)
    return RAG_STYLE[None if label == NO_COMPARISON else label]


def _badge(text: str, colours: tuple[str, str]) -> str:
    background, colour = colours
    return f'<span class="sbp-badge" style="background:{background};color:{colour}">{esc(text)}</span>'


def rag_badge(rag: Any) -> str:
    """A coloured badge that also says its RAG status in words."""
    return _badge(rag_label(rag), rag_colours(rag))


def status_badge(status: str, tone: str) -> str:
    """A coloured badge for an objective status, with the status in words."""
    return _badge(status, STATUS_STYLE.get(tone, STATUS_STYLE["neutral"]))


# --- CSV ---------------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote; numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads accents): numbers as numbers, unknown empty, formula-like text neutralised."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: None if is_missing(v) else neutralise_cell(v))
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    return out.to_csv(index=False).encode("utf-8-sig")
