"""One formatting rule everywhere: the board table, a metric card, the sentence, the report and the CSV agree."""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from sbp.metrics.figures import pct_change
from sbp.display import boardtable, formatting, narrative
from sbp.report import trace

END = dt.date(2023, 11, 1)


def headline_row(current=429, previous=400, **extra) -> dict:
    """One measure's comparison row as metrics.headline returns it."""
    pct = None if current is None or previous in (None, 0) else (current - previous) * 100.0 / previous
    row = {
        "measure_id": "burglary", "measure_label": "Total burglary", "area_name": "Bromley", "end_month": END,
        "current": current, "previous": previous, "change": None if current is None or previous is None else current - previous,
        "pct_change": pct, "rate_per_1000": 1.3251, "rate_per_1000_previous": 1.2345, "rank": 9, "rank_of": 32,
        "rank_previous": 11, "places_moved": 2, "rank_tied": False, "significant": False, "rag": "Red", "direction": "lower_is_better",
        "comparator_current": 1000, "comparator_previous": 1000, "comparator_pct_change": 0.0, "comparator_rate_per_1000": 5.0,
        "p_value": 0.3, "population": 330000, "rank_basis": "rate",
    }
    return row | extra


def frame(*rows: dict) -> pd.DataFrame:
    out = pd.DataFrame(list(rows))
    for col in ("current", "previous", "change", "rank", "rank_of", "rank_previous", "places_moved", "comparator_current",
                "comparator_previous"):
        out[col] = out[col].astype("Int64")
    for col in ("pct_change", "rate_per_1000", "comparator_pct_change"):
        out[col] = out[col].astype("Float64")
    out["significant"] = out["significant"].astype("boolean")
    return out


def test_pct_is_exact_from_the_counts_and_rounded_half_up():
    assert pct_change(429, 400) == Fraction(29, 4)
    assert pct_change(5, 0) is None and pct_change(pd.NA, 5) is None
    assert formatting.fmt_pct(pct_change(429, 400), signed=True) == "+7.3%"
    assert formatting.fmt_pct(pct_change(371, 400), signed=True) == "-7.3%"
    assert formatting.fmt_pct(7.25, signed=True) == "+7.3%"          # the float SQL gives reads the same
    assert formatting.fmt_pct(np.float64(0.15)) == "0.2%"             # 0.15 is 0.1499... in binary: still half up
    assert formatting.fmt_pct(0, signed=True) == "no change"
    assert formatting.fmt_signed(0) == "no change" and formatting.fmt_signed(3) == "+3"
    assert formatting.fmt_signed(-1, "place", "places") == "-1 place"
    assert formatting.fmt_count(None) == formatting.fmt_rate(float("nan")) == formatting.ordinal(pd.NA) == "n/a"


def test_400_to_429_shows_plus_7_3_in_table_card_sentence_and_report_and_7_25_in_the_csv():
    rows = frame(headline_row())
    table = boardtable.board_table(rows, END)
    for html in (boardtable.style(table).to_html(), boardtable.board_html(table)):
        assert "+7.3%" in html and "7.2%" not in html

    count_card = boardtable.metric_cards(rows.iloc[0].to_dict())[0]
    assert count_card.delta == "+7.3% on last year"

    assert "rose by 7.3% (400 to 429)" in narrative.summary_sentence(rows.iloc[0])
    assert "rose by 7.3%" in narrative.board_paragraph(rows.iloc[0])

    columns = list(table.columns)
    spans = {"current": "Dec 2022 to Nov 2023", "previous": "Dec 2021 to Nov 2022"}
    cells = trace.cells(table.iloc[0], rows.iloc[0], columns, "base", "q", spans,
                        {"rag_rule": "london", "significance_level": 0.05, "benchmark_confidence": 95})
    assert {c.text for c in cells} >= {"+7.3%", "429", "400", "1.33", "9th of 32", "up 2 places", "no change"}

    back = pd.read_csv(io.StringIO(formatting.csv_bytes(table).decode("utf-8-sig")))
    assert back["% difference"].tolist() == [7.25]

    from sbp.cli.metrics import _fmt  # the command line's text output reads the same

    assert _fmt(7.25, "pct_change", {"current": 429, "previous": 400}) == "+7.3%"
    assert _fmt(None, "comparator_pct_change", {"comparator_current": 5, "comparator_previous": 0}) == "n/a"


def test_board_table_never_shows_float_counts_or_none():
    rows = frame(headline_row(current=2178, previous=2000), headline_row(current=None, previous=None, rag=None,
                                                                          rate_per_1000=None, rank=None, significant=None))
    rows["current"] = rows["current"].astype("Float64")  # as a NULL-carrying column can arrive
    html = boardtable.style(boardtable.board_table(rows, END)).to_html()
    assert "2,178" in html and "2,178.0" not in html
    assert "None" not in html and "nan" not in html.lower().replace("n/a", "")
    assert html.count("n/a") >= 4

    csv = formatting.csv_bytes(boardtable.board_table(rows, END)).decode("utf-8-sig")
    assert "None" not in csv and "n/a" not in csv   # unknown is an empty cell


@pytest.mark.parametrize(("value", "places", "expected"), [(0.625, 2, "0.63"), (1.005, 2, "1.01"), (-2.5, 0, "-3"),
                                                           (12.25, 1, "12.3")])
def test_round_half_up_from_the_decimal_a_user_reads(value, places, expected):
    assert formatting.fmt_number(value, places) == expected


def test_card_colours_follow_the_change_they_show():
    row = {"current": 429, "previous": 400, "rate_per_1000": 1.3012, "rate_per_1000_previous": 1.2988, "rank": 5,
           "rank_of": 32, "rank_previous": 7, "places_moved": 2, "direction": "lower_is_better"}
    count, rate, rank = boardtable.metric_cards(row)
    assert (count.tone, rank.tone) == ("bad", "good")
    assert rate.delta == "no change on last year" and rate.tone == "neutral"  # 1.30 against 1.30 as shown
    count, _, rank = boardtable.metric_cards(row | {"direction": "higher_is_better"})
    assert (count.tone, rank.tone) == ("good", "good")


def test_then_adds_a_full_stop_only_where_a_sentence_has_none():
    assert formatting.then("month 2033-11 is after the current month; is it a typo?", "Nothing was changed.") == (
        "month 2033-11 is after the current month; is it a typo? Nothing was changed.")
    assert formatting.then("line 3: not a number", "Nothing was changed.") == "line 3: not a number. Nothing was changed."
    assert formatting.then("Done. ", "Next.") == "Done. Next."
