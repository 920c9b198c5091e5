"""What a measure counts is decided in one place (Measure.units) and shown with every count: anti-social behaviour
is counted in incidents, never "offences of anti-social behaviour" (sentence, card, charts, report trace)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sbp.config import Measure, default_config, load_config, police_uk_measures, unit_word
from sbp.display import boardtable, charts, narrative
from sbp.errors import ConfigError
from sbp.report import trace

# Bristol's police.uk ASB row as sbp.metrics.comparisons gives it (measure_unit from Measure.units).
ASB = dict(
    measure_id="police_uk_anti_social_behaviour", measure_label="Anti-social behaviour", measure_unit="incidents",
    area_name="Bristol", end_month=dt.date(2023, 12, 1), current=9104, previous=9500, change=-396,
    pct_change=-4.1684, rate_per_1000=19.3244, rate_per_1000_previous=20.1649, rank=5, rank_of=5, rank_previous=5, places_moved=0,
    comparator_pct_change=-2.0, comparator_rate_per_1000=12.1, comparator_name="Avon and Somerset", significant=True,
    p_value=0.003, rag="Green", direction="lower_is_better", rank_basis="rate",
)


def test_the_unit_is_the_measures_own():
    builtin = police_uk_measures()
    assert builtin["asb_incidents"].units == "incidents"
    assert builtin["police_uk_anti_social_behaviour"].units == "incidents"
    assert builtin["all_crime"].units == builtin["police_uk_burglary"].units == "offences"
    config = default_config()
    assert config.measures["asb_calls"].units == "calls"
    assert config.measures["knife_crime_positive_outcomes"].units == "positive outcomes"
    assert config.measures["burglary"].units == "offences"
    assert [unit_word(u, 1) for u in ("incidents", "offences", "positive outcomes")] == [
        "incident", "offence", "positive outcome"]
    assert unit_word("incidents", 0) == "incidents"


def test_a_measures_file_sets_the_unit_and_a_bad_one_is_refused(tmp_path: Path):
    good = tmp_path / "good.toml"
    good.write_text('[measures.fly]\nlabel = "Fly-tipping"\nseries = ["Fly-tipping"]\nunit = "reports"\n', encoding="utf-8")
    assert load_config(good).measures["fly"].units == "reports"
    bad = tmp_path / "bad.toml"
    bad.write_text('[measures.fly]\nlabel = "Fly-tipping"\nseries = ["Fly-tipping"]\nunit = "Reports "\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unit = \"Reports \"; expected a plural noun"):
        load_config(bad)


def test_asb_sentences_say_incidents():
    board = narrative.board_paragraph(ASB)
    assert board.startswith("For the rolling year to December 2023, there were 9,104 incidents of anti-social "
                            "behaviour in Bristol")
    summary = narrative.summary_sentence(dict(ASB, previous=None, change=None, pct_change=None))
    assert summary.startswith("Anti-social behaviour: 9,104 incidents, a rate per 1,000 of 19.32")
    zero = dict(ASB, current=0, previous=0, change=0, pct_change=None)
    assert "no incidents were recorded" in narrative.summary_sentence(zero)
    assert "no incidents were recorded in Bristol" in narrative.board_paragraph(zero)
    one = dict(ASB, current=1, previous=None, change=None, pct_change=None)
    assert "there was 1 incident of anti-social behaviour in Bristol" in narrative.board_paragraph(one)
    wards = dict(ASB, area_name="Central", rank_basis="count", rank=2, rank_of=34, comparator_name=None)
    assert "by number of incidents" in narrative.summary_sentence(wards)
    for text in (board, summary, narrative.summary_sentence(zero), narrative.board_paragraph(one),
                 narrative.summary_sentence(wards)):
        assert "offence" not in text, text


def test_a_label_naming_its_unit_is_counted_directly_past_a_bracket():
    row = dict(ASB, measure_id="asb_incidents", measure_label="ASB incidents (police.uk)")
    assert "there were 9,104 ASB incidents (police.uk) in Bristol" in narrative.board_paragraph(row)
    one = dict(row, current=1, previous=None, change=None, pct_change=None)
    assert "there was 1 ASB incident (police.uk) in Bristol" in narrative.board_paragraph(one)


def test_rows_without_a_unit_still_count_offences():
    row = {k: v for k, v in ASB.items() if k != "measure_unit"} | {"measure_label": "Total burglary"}
    assert "there were 9,104 offences of total burglary in Bristol" in narrative.board_paragraph(row)
    assert boardtable.metric_cards(row)[0].label == "Offences, rolling year"


def titles(spec) -> str:
    """Every title, subtitle and series name a chart spec shows (field names aside), as one line."""
    found = []

    def walk(node, key=None):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in ("title", "text", "subtitle", "description", "domain", "expr"):
            found.append(node)

    walk(spec)
    return " ".join(found)


def test_the_card_charts_and_report_trace_name_the_unit():
    assert boardtable.metric_cards(ASB)[0].label == "Incidents, rolling year"
    months = pd.date_range("2022-01-01", "2023-12-01", freq="MS").date
    series = pd.DataFrame({"area_name": "Bristol", "measure_label": "Anti-social behaviour", "month": months,
                           "offence_count": 700, "rolling_12_total": [None] * 11 + [8400] * 13,
                           "offence_count_year_before": [None] * 12 + [700] * 12})
    trend = titles(charts.trend_chart(series, "Bristol", "Anti-social behaviour", units="incidents").to_dict())
    assert "monthly incidents" in trend and "Incidents per month" in trend and "ffence" not in trend
    league = pd.DataFrame([dict(ASB, area_name=a, rate_per_1000=r, rank=i + 1, comparator_rate_per_1000=12.1)
                           for i, (a, r) in enumerate([("Somerset", 8.0), ("Bristol", 19.3)])])
    assert "Incidents, rolling year" in titles(charts.league_chart(league, "Bristol").to_dict())
    counted = titles(charts.league_chart(league.assign(rank_basis="count"), "Bristol").to_dict())
    assert "fewest incidents" in counted and "ffence" not in counted
    row = pd.Series(ASB)
    spans = {"current": "Jan 2023 to Dec 2023", "previous": "Jan 2022 to Dec 2022"}
    shown = dict(trace.figures(row, "base", "q", spans))
    assert "Figure: incidents, Jan 2023 to Dec 2023\nQuery: q -> current" in shown["9,104"]


def test_a_measure_without_a_unit_counts_offences():
    assert Measure(id="x", label="X", series=("X",)).units == "offences"
