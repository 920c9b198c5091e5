"""Board-report wording (sbp.display.narrative): golden sentences for every case the report meets, format helpers,
and a property test that random valid rows always give clean, finished plain text."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbp.display import narrative
from sbp.display.formatting import fmt_count, fmt_pct, fmt_rate, ordinal
from sbp.display.narrative import board_paragraph, summary_sentence
from tests.conftest import examples

# A Bromley total-burglary row as sbp.metrics.comparisons gives it; each case below changes a few fields.
BASE = dict(
    measure_id="burglary", measure_label="Total burglary", area_name="Bromley", end_month=dt.date(2023, 11, 1),
    current=1580, previous=1474, change=106, pct_change=7.1913, rate_per_1000=4.7891, rate_per_1000_previous=4.4712,
    rank=9, rank_of=32, rank_previous=11, places_moved=2, comparator_pct_change=-3.6204, comparator_rate_per_1000=5.2049,
    significant=True, p_value=0.048, rag="Red", direction="lower_is_better", rank_basis="rate",
)

GOLDEN = {
    "rise": (
        {},
        "Total burglary rose by 7.2% (1,474 to 1,580), the rate per 1,000 from 4.47 to 4.79; Bromley ranks 9th of 32 "
        "London boroughs, while London as a whole fell 3.6%.",
        "For the rolling year to November 2023, there were 1,580 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.79 (4.47 a year earlier), with the London rate at 5.20. Total burglary rose by 7.2% on the previous 12 "
        "months (1,474 to 1,580), against a London fall of 3.6%. Bromley ranks 9th of 32 London boroughs, an "
        "improvement of 2 places. This change is statistically significant.",
    ),
    "fall": (
        dict(current=1400, previous=1630, change=-230, pct_change=-14.1104, rate_per_1000=4.2431,
             rate_per_1000_previous=4.9402, rank=6, rank_previous=3, places_moved=-3),
        "Total burglary fell by 14.1% (1,630 to 1,400), the rate per 1,000 from 4.94 to 4.24; Bromley ranks 6th of 32 "
        "London boroughs, while London as a whole fell 3.6%.",
        "For the rolling year to November 2023, there were 1,400 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.24 (4.94 a year earlier), with the London rate at 5.20. Total burglary fell by 14.1% on the previous 12 "
        "months (1,630 to 1,400), larger than the overall London fall of 3.6%. Bromley ranks 6th of 32 London "
        "boroughs, down 3 places. This change is statistically significant.",
    ),
    "unchanged": (
        dict(current=1474, previous=1474, change=0, pct_change=0.0, rate_per_1000=4.4712, rate_per_1000_previous=4.4712,
             rank_previous=9, places_moved=0, significant=False, p_value=1.0, comparator_pct_change=2.0411),
        "Total burglary was unchanged at 1,474, a rate per 1,000 of 4.47; Bromley ranks 9th of 32 London boroughs, "
        "while London as a whole rose 2.0%.",
        "For the rolling year to November 2023, there were 1,474 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.47 (4.47 a year earlier), with the London rate at 5.20. Total burglary was unchanged at 1,474 compared "
        "with the previous 12 months, against a London increase of 2.0%. Bromley ranks 9th of 32 London boroughs, "
        "unchanged from a year earlier.",
    ),
    "zero_baseline": (
        dict(current=12, previous=0, change=12, pct_change=None, rate_per_1000=0.0364, rate_per_1000_previous=0.0,
             rank=2, rank_previous=2, places_moved=0, p_value=0.0005),
        "Total burglary rose from none to 12, the rate per 1,000 from 0.00 to 0.04; Bromley ranks 2nd of 32 London "
        "boroughs, while London as a whole fell 3.6%.",
        "For the rolling year to November 2023, there were 12 offences of total burglary in Bromley, a rate per 1,000 "
        "of 0.04 (0.00 a year earlier), with the London rate at 5.20. Total burglary rose from none to 12 on the "
        "previous 12 months, against a London fall of 3.6%. Bromley ranks 2nd of 32 London boroughs, unchanged from "
        "a year earlier. This change is statistically significant.",
    ),
    "both_zero": (
        dict(measure_label="Rape", current=0, previous=0, change=0, pct_change=None, rate_per_1000=0.0,
             rate_per_1000_previous=0.0, rank=1, rank_tied=True, rank_previous=1, places_moved=0, significant=None, p_value=None,
             comparator_pct_change=5.0),
        "Rape: no offences were recorded in either year; Bromley has the joint lowest rate of all 32 London boroughs "
        "(the best position), while London as a whole rose 5.0%.",
        "Rape: no offences were recorded in Bromley in either year (the rolling year to November 2023 and the 12 "
        "months before). London as a whole rose by 5.0%. Bromley has the joint lowest rate of all 32 London boroughs "
        "(the best position), unchanged from a year earlier.",
    ),
    "tied_rank": (
        dict(rank=4, rank_tied=True, rank_previous=4, places_moved=0, comparator_pct_change=6.4),
        "Total burglary rose by 7.2% (1,474 to 1,580), the rate per 1,000 from 4.47 to 4.79; Bromley ranks joint 4th "
        "of 32 London boroughs, while London as a whole rose 6.4%.",
        "For the rolling year to November 2023, there were 1,580 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.79 (4.47 a year earlier), with the London rate at 5.20. Total burglary rose by 7.2% on the previous 12 "
        "months (1,474 to 1,580), slightly higher than the overall London increase of 6.4%. Bromley ranks joint 4th "
        "of 32 London boroughs, unchanged from a year earlier. This change is statistically significant.",
    ),
    "first_place": (
        dict(measure_label="Other sexual offences", current=394, previous=328, change=66, pct_change=20.122,
             rate_per_1000=1.2411, rate_per_1000_previous=1.0332, rank=1, rank_previous=3, places_moved=2, comparator_pct_change=45.01,
             comparator_rate_per_1000=2.1),
        "Other sexual offences rose by 20.1% (328 to 394), the rate per 1,000 from 1.03 to 1.24; Bromley has the "
        "lowest rate of all 32 London boroughs (the best position), while London as a whole rose 45.0%.",
        "For the rolling year to November 2023, there were 394 other sexual offences in Bromley, a rate per 1,000 of "
        "1.24 (1.03 a year earlier), with the London rate at 2.10. Other sexual offences rose by 20.1% on the previous "
        "12 months (328 to 394), far lower than the overall London increase of 45.0%. Bromley has the lowest rate of "
        "all 32 London boroughs (the best position), an improvement of 2 places. This change is statistically "
        "significant.",
    ),
    "last_place": (
        dict(rank=32, rank_previous=29, places_moved=-3, comparator_pct_change=7.0),
        "Total burglary rose by 7.2% (1,474 to 1,580), the rate per 1,000 from 4.47 to 4.79; Bromley has the highest "
        "rate of all 32 London boroughs (the worst position), while London as a whole rose 7.0%.",
        "For the rolling year to November 2023, there were 1,580 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.79 (4.47 a year earlier), with the London rate at 5.20. Total burglary rose by 7.2% on the previous 12 "
        "months (1,474 to 1,580), slightly higher than the overall London increase of 7.0%. Bromley has the highest "
        "rate of all 32 London boroughs (the worst position), down 3 places. This change is statistically significant.",
    ),
    "missing_population": (
        dict(rate_per_1000=None, rate_per_1000_previous=None, rank=None, rank_of=None, rank_previous=None, places_moved=None,
             comparator_rate_per_1000=None),
        "Total burglary rose by 7.2% (1,474 to 1,580), while London as a whole fell 3.6%.",
        "For the rolling year to November 2023, there were 1,580 offences of total burglary in Bromley. No population "
        "figure is loaded for this area, so no rate or rank is given. Total burglary rose by 7.2% on the previous 12 "
        "months (1,474 to 1,580), against a London fall of 3.6%. This change is statistically significant.",
    ),
    "london_missing": (
        dict(comparator_pct_change=None, comparator_rate_per_1000=None),
        "Total burglary rose by 7.2% (1,474 to 1,580), the rate per 1,000 from 4.47 to 4.79; Bromley ranks 9th of 32 "
        "London boroughs.",
        "For the rolling year to November 2023, there were 1,580 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.79 (4.47 a year earlier). Total burglary rose by 7.2% on the previous 12 months (1,474 to 1,580). "
        "Bromley ranks 9th of 32 London boroughs, an improvement of 2 places. This change is statistically significant.",
    ),
    "previous_missing": (
        dict(previous=None, change=None, pct_change=None, rate_per_1000_previous=None, rank_previous=None, places_moved=None,
             significant=None, p_value=None, rag=None),
        "Total burglary: 1,580 offences, a rate per 1,000 of 4.79; Bromley ranks 9th of 32 London boroughs; there is "
        "no earlier year loaded to compare with.",
        "For the rolling year to November 2023, there were 1,580 offences of total burglary in Bromley, a rate per 1,000 "
        "of 4.79, with the London rate at 5.20. There is no earlier year loaded to compare with. London as a whole "
        "fell by 3.6%. Bromley ranks 9th of 32 London boroughs.",
    ),
    "higher_is_better_rise": (
        dict(measure_id="domestic_abuse", measure_label="Domestic abuse", direction="higher_is_better", current=3392,
             previous=3200, change=192, pct_change=6.0, rate_per_1000=10.6612, rate_per_1000_previous=10.0578,
             rank=20, rank_previous=22, places_moved=2, comparator_pct_change=2.0, comparator_rate_per_1000=11.2, rag="Green"),
        "Recorded domestic abuse rose by 6.0% (3,200 to 3,392), the rate per 1,000 from 10.06 to 10.66; Bromley has "
        "the 20th lowest rate of 32 London boroughs, while London as a whole rose 2.0%; the partnership aims to "
        "increase reporting.",
        "For the rolling year to November 2023, there were 3,392 offences of domestic abuse in Bromley, a rate per "
        "1,000 of 10.66 (10.06 a year earlier), with the London rate at 11.20. Recorded domestic abuse rose by 6.0% on "
        "the previous 12 months (3,200 to 3,392), higher than the overall London increase of 2.0%. Bromley has the "
        "20th lowest rate of 32 London boroughs, compared with 22nd a year earlier. This change is statistically "
        "significant. The partnership aims to increase reporting.",
    ),
    "higher_is_better_fall": (
        dict(measure_id="domestic_abuse", measure_label="Domestic abuse", direction="higher_is_better", current=3000,
             previous=3200, change=-200, pct_change=-6.25, rate_per_1000=9.4293, rate_per_1000_previous=10.0578,
             rank=20, rank_previous=20, places_moved=0, comparator_pct_change=2.0, comparator_rate_per_1000=11.2),
        "Recorded domestic abuse fell by 6.3% (3,200 to 3,000), the rate per 1,000 from 10.06 to 9.43; Bromley has "
        "the 20th lowest rate of 32 London boroughs, while London as a whole rose 2.0%; the partnership aims to "
        "increase reporting.",
        "For the rolling year to November 2023, there were 3,000 offences of domestic abuse in Bromley, a rate per "
        "1,000 of 9.43 (10.06 a year earlier), with the London rate at 11.20. Recorded domestic abuse fell by 6.3% on "
        "the previous 12 months (3,200 to 3,000), against a London increase of 2.0%. Bromley has the 20th lowest "
        "rate of 32 London boroughs, unchanged from a year earlier. This change is statistically significant. The "
        "partnership aims to increase reporting.",
    ),
    "ward_count_rank": (
        dict(area_name="Penge and Cator", current=88, previous=101, change=-13, pct_change=-12.8713,
             rate_per_1000=None, rate_per_1000_previous=None, rank=5, rank_of=22, rank_previous=2, places_moved=-3,
             comparator_pct_change=None, comparator_rate_per_1000=None, rank_basis="count", significant=False, p_value=0.4),
        "Total burglary fell by 12.9% (101 to 88); Penge and Cator ranks 5th of 22 wards by number of offences.",
        "For the rolling year to November 2023, there were 88 offences of total burglary in Penge and Cator. Total "
        "burglary fell by 12.9% on the previous 12 months (101 to 88). Penge and Cator ranks 5th of 22 wards by "
        "number of offences, down 3 places. This change is within normal variation (not statistically significant).",
    ),
    "not_significant_lower_than_london": (
        dict(current=1688, previous=1474, change=214, pct_change=14.5183, rate_per_1000=5.1163, rank=6,
             rank_previous=8, places_moved=2, comparator_pct_change=21.4, significant=False, p_value=0.06),
        "Total burglary rose by 14.5% (1,474 to 1,688), the rate per 1,000 from 4.47 to 5.12; Bromley ranks 6th of 32 "
        "London boroughs, while London as a whole rose 21.4%.",
        "For the rolling year to November 2023, there were 1,688 offences of total burglary in Bromley, a rate per 1,000 "
        "of 5.12 (4.47 a year earlier), with the London rate at 5.20. Total burglary rose by 14.5% on the previous 12 "
        "months (1,474 to 1,688), lower than the overall London increase of 21.4%. Bromley ranks 6th of 32 London "
        "boroughs, an improvement of 2 places. This change is within normal variation (not statistically "
        "significant).",
    ),
    "one_offence_london_unchanged": (
        dict(measure_label="Knife possession", current=1, previous=3, change=-2, pct_change=-66.6667,
             rate_per_1000=0.0031, rate_per_1000_previous=0.0093, rank=1, rank_previous=1, places_moved=0, rank_tied=False,
             comparator_pct_change=0.0, significant=False, p_value=0.625),
        "Knife possession fell by 66.7% (3 to 1), the rate per 1,000 from 0.01 to 0.00; Bromley has the lowest rate of "
        "all 32 London boroughs (the best position), while London as a whole was unchanged.",
        "For the rolling year to November 2023, there was 1 offence of knife possession in Bromley, a rate per 1,000 of "
        "0.00 (0.01 a year earlier), with the London rate at 5.20. Knife possession fell by 66.7% on the previous 12 "
        "months (3 to 1), while London as a whole was unchanged. Bromley has the lowest rate of all 32 London "
        "boroughs (the best position), unchanged from a year earlier. This change is within normal variation (not "
        "statistically significant).",
    ),
}


@pytest.mark.parametrize("case", list(GOLDEN))
def test_golden_summary(case):
    overrides, expected_summary, _ = GOLDEN[case]
    assert summary_sentence({**BASE, **overrides}) == expected_summary


@pytest.mark.parametrize("case", list(GOLDEN))
def test_golden_board(case):
    overrides, _, expected_board = GOLDEN[case]
    assert board_paragraph({**BASE, **overrides}) == expected_board


def test_record_style_dict_with_end_string_and_area_key():
    """metrics.record() names the area 'area' and the month 'end' ('YYYY-MM'); both read the same."""
    row = {k: v for k, v in BASE.items() if k not in ("area_name", "end_month")}
    row.update(area="Bromley", end="2022-02", measure="burglary")
    assert board_paragraph(row).startswith("For the rolling year to February 2022, there were 1,580 offences")
    assert summary_sentence(row) == GOLDEN["rise"][1]


def test_pandas_row_with_na_and_nan_reads_like_none():
    frame = pd.DataFrame([{**BASE, "comparator_pct_change": np.nan, "comparator_rate_per_1000": np.nan}])
    frame["comparator_pct_change"] = frame["comparator_pct_change"].astype("Float64")  # pandas NA
    for col in ("current", "previous", "change", "rank", "rank_of", "rank_previous"):
        frame[col] = frame[col].astype("Int64")
    frame["significant"] = pd.array([True], dtype="boolean")
    row = frame.iloc[0]
    assert summary_sentence(row) == GOLDEN["london_missing"][1]
    assert board_paragraph(row) == GOLDEN["london_missing"][2]


def test_ward_by_area_kind_with_rate_rank():
    row = {**BASE, "area_name": "Crystal Palace and Anerley", "area_kind": "ward", "rank": 3, "rank_of": 22,
           "rank_previous": 3, "places_moved": 0, "comparator_pct_change": None}
    assert summary_sentence(row) == (
        "Total burglary rose by 7.2% (1,474 to 1,580), the rate per 1,000 from 4.47 to 4.79; Crystal Palace and "
        "Anerley ranks 3rd of 22 wards."
    )


def test_rank_of_missing_and_rank_tied_na():
    row = {**BASE, "rank_of": None, "rank_tied": pd.NA}
    assert "Bromley ranks 9th of the London boroughs, an improvement of 2 places." in board_paragraph(row)


def test_names_are_left_as_plain_text():
    row = {**BASE, "measure_label": "Theft *of* <b>_bikes_</b>", "area_name": "A&B <ward>"}
    text = summary_sentence(row) + " " + board_paragraph(row)
    assert "Theft *of* <b>_bikes_</b> rose by 7.2%" in text
    assert "offences of theft *of* <b>_bikes_</b> in A&B <ward>" in text
    assert "&amp;" not in text and "&lt;" not in text and "\\*" not in text


def test_acronym_label_and_noun_labels():
    asb = {**BASE, "measure_label": "ASB calls", "current": 1}
    assert board_paragraph(asb).startswith("For the rolling year to November 2023, there was 1 ASB call in Bromley")
    tno = {**BASE, "measure_label": "Total notifiable offences", "current": 0, "rate_per_1000": 0.0}
    assert board_paragraph(tno).startswith("For the rolling year to November 2023, there were no total notifiable offences in Bromley")


def test_tiny_change_is_not_called_zero():
    row = {**BASE, "current": 4001, "previous": 4000, "change": 1, "pct_change": 0.025}
    assert summary_sentence(row).startswith("Total burglary rose by less than 0.1% (4,000 to 4,001)")


def test_current_missing():
    row = {**BASE, "current": None, "change": None, "pct_change": None}
    assert summary_sentence(row) == "Total burglary: no count is loaded for Bromley for this period."
    assert board_paragraph(row) == "For the rolling year to November 2023, no count of total burglary is loaded for Bromley."


def test_every_template_can_use_the_row_names(monkeypatch):
    monkeypatch.setitem(narrative.TEMPLATES, "summary_both_zero", "{label} in {area}, {period}: none recorded in either year")
    row = {**BASE, **GOLDEN["both_zero"][0], "comparator_pct_change": None}
    assert summary_sentence(row) == (
        "Rape in Bromley, the rolling year to November 2023: none recorded in either year; Bromley has the joint "
        "lowest rate of all 32 London boroughs (the best position)."
    )


def test_templates_are_plain_format_strings():
    assert all(isinstance(t, str) for t in narrative.TEMPLATES.values())
    for name, template in narrative.TEMPLATES.items():
        assert "<" not in template and "**" not in template, name


# --- helpers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, expected", [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"), (12, "12th"), (13, "13th"),
    (21, "21st"), (22, "22nd"), (23, "23rd"), (32, "32nd"), (101, "101st"), (111, "111th"), (112, "112th"),
])
def test_ordinal(n, expected):
    assert ordinal(n) == expected


def test_fmt_count():
    assert fmt_count(1474) == "1,474"
    assert fmt_count(0) == "0"
    assert fmt_count(999) == "999"
    assert fmt_count(1234567) == "1,234,567"
    assert fmt_count(np.int64(1580)) == "1,580"


def test_fmt_pct():
    assert fmt_pct(7.1913) == "7.2%"
    assert fmt_pct(-3.6204) == "3.6%"
    assert fmt_pct(34.0) == "34.0%"
    assert fmt_pct(0.25) == "0.3%"   # half up, as a spreadsheet rounds
    assert fmt_pct(-0.04) == "0.0%"


def test_fmt_rate():
    assert fmt_rate(4.7891) == "4.79"
    assert fmt_rate(0.625) == "0.63"
    assert fmt_rate(1.0) == "1.00"
    assert fmt_rate(np.float64(10.0578)) == "10.06"


# --- property test -----------------------------------------------------------------------------

MISSING = st.sampled_from([None, pd.NA, float("nan"), np.nan])
LABELS = ["Total burglary", "Rape", "Other sexual offences", "ASB calls", "Domestic abuse", "Knife crime",
          "Total notifiable offences", "Racially or religiously aggravated public order"]
AREAS = ["Bromley", "Penge and Cator", "Crystal Palace and Anerley", "Biggin Hill", "Orpington"]


def maybe(strategy):
    return st.one_of(strategy, MISSING)


@st.composite
def rows(draw):
    count = st.one_of(st.integers(0, 3), st.integers(0, 5000))  # small counts often, for the zero cases
    current = draw(count)
    previous = draw(st.one_of(count, st.none()))
    rank_of = draw(st.one_of(st.integers(1, 33), st.none()))
    top = rank_of or 32
    rate = draw(maybe(st.floats(0, 60, allow_nan=False)))
    row = {
        "measure_label": draw(st.sampled_from(LABELS)),
        "current": current,
        "previous": previous,
        "change": None if previous is None else current - previous,
        "pct_change": (current - previous) * 100.0 / previous if previous else None,
        "rate_per_1000": rate,
        "rate_per_1000_previous": draw(maybe(st.floats(0, 60, allow_nan=False))),
        "rank": draw(maybe(st.integers(1, top))),
        "rank_of": rank_of,
        "rank_previous": draw(maybe(st.integers(1, top))),
        "places_moved": draw(maybe(st.integers(1 - top, top - 1))),
        "comparator_pct_change": draw(maybe(st.floats(-80, 300, allow_nan=False))),
        "comparator_rate_per_1000": draw(maybe(st.floats(0, 60, allow_nan=False))),
        "significant": draw(st.one_of(st.booleans(), MISSING)),
        "p_value": draw(maybe(st.floats(0, 1))),
        "rag": draw(st.sampled_from(["Red", "Amber", "Green", None])),
        "direction": draw(st.sampled_from(["lower_is_better", "higher_is_better"])),
        "rank_basis": draw(st.sampled_from(["rate", "count"])),
    }
    area_key = draw(st.sampled_from(["area_name", "area"]))
    row[area_key] = draw(st.sampled_from(AREAS))
    end = draw(st.one_of(st.dates(dt.date(2010, 1, 1), dt.date(2030, 12, 1)), st.none()))
    if end is not None and draw(st.booleans()):
        row["end"] = end.strftime("%Y-%m")
    else:
        row["end_month"] = end
    if draw(st.booleans()):
        row["rank_tied"] = draw(st.one_of(st.booleans(), MISSING))
    if draw(st.booleans()):
        row["area_kind"] = draw(st.sampled_from(["ward", "borough", None]))
    return pd.Series(row, dtype=object) if draw(st.booleans()) else row


BAD = re.compile(r"None|<NA>|NaT|(?i:\bnan\b|\binf\b)")
NUMBER = re.compile(r"(?<![\d.,])\d+(?:,\d{3})*(?![\d%]|[.,]\d|st\b|nd\b|rd\b|th\b)")  # whole numbers only


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows())
def test_any_valid_row_gives_clean_text(row):
    for text in (summary_sentence(row), board_paragraph(row)):
        assert text.strip() == text and text
        assert not BAD.search(text), text
        assert "  " not in text and not re.search(r" [,;.)]|\( ", text), text
        assert text.endswith("."), text
        assert ".." not in text, text
        # every whole number shown is an input count, rank_of, the rank movement, a year, '1000' or '12 months'
        allowed = {row["current"], row["previous"], row["rank_of"], 1000, 12} | set(range(2010, 2031))
        if isinstance(row.get("places_moved"), int):
            allowed.add(abs(row["places_moved"]))
        shown = {int(n.replace(",", "")) for n in NUMBER.findall(text)}
        assert shown <= allowed, text


def test_a_force_comparator_is_named_instead_of_london():
    row = dict(BASE, area_name="Bristol", rank=5, rank_of=5, rank_previous=5, places_moved=0, comparator_name="Avon and Somerset")
    summary, board = summary_sentence(row), board_paragraph(row)
    assert "London" not in summary + board
    assert "Bristol ranks 5th of 5 areas in Avon and Somerset" not in summary  # the last place is said as such
    assert "highest rate of all 5 areas in Avon and Somerset" in summary
    assert "while Avon and Somerset as a whole fell 3.6%" in summary
    assert "with the Avon and Somerset rate at 5.20" in board and "against an Avon and Somerset fall of 3.6%" in board
