"""The priority pages' views: which measure a page opens on, how a presenter steps through the rest, and the cards
naming what they count."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from sbp.config import Priority, load_config
from sbp.config.settings import DATA_DIR
from sbp.display import pageviews
from sbp.errors import ConfigError

PRIORITY = Priority(id="hate", title="Hate", measures=("hate_crime", "public_order", "faith"), headline="hate_crime")


def rows(known: dict[str, int | None]) -> pd.DataFrame:
    return pd.DataFrame({"measure_id": list(known), "current": pd.array(list(known.values()), dtype="Int64")})


def test_a_page_opens_on_its_headline_when_it_has_a_figure():
    assert pageviews.opening_measure(PRIORITY, rows({"hate_crime": 640, "public_order": 366, "faith": 20})) == "hate_crime"


def test_a_page_opens_on_the_next_measure_after_its_headline_when_the_headline_has_none():
    headline_last = Priority(id="p", title="P", measures=("a", "b", "c"), headline="b")
    assert pageviews.opening_measure(headline_last, rows({"a": 1, "b": None, "c": 3})) == "c"
    assert pageviews.opening_measure(headline_last, rows({"a": 1, "b": None, "c": None})) == "a"
    assert pageviews.opening_measure(PRIORITY, rows({"hate_crime": None, "public_order": None, "faith": None})) == "hate_crime"


def test_the_headline_defaults_to_the_first_measure_listed():
    assert Priority(id="p", title="P", measures=("a", "b")).headline_measure == "a"


def test_a_presenter_steps_through_the_measures_in_order():
    assert pageviews.measure_steps(PRIORITY.measures, "hate_crime") == pageviews.MeasureSteps(None, "public_order",
                                                                                              "Measure 1 of 3")
    assert pageviews.measure_steps(PRIORITY.measures, "faith") == pageviews.MeasureSteps("public_order", None,
                                                                                         "Measure 3 of 3")


@pytest.mark.parametrize("label,units,phrase", [
    ("Hate crime", "offences", "Hate crime offences"),
    ("Racially or religiously aggravated public order", "offences",
     "Racially or religiously aggravated public order offences"),
    ("Total notifiable offences", "offences", "Total notifiable offences"),
    ("ASB calls", "calls", "ASB calls"),
    ("ASB incidents (police.uk)", "incidents", "ASB incidents (police.uk)"),
    ("Anti-social behaviour", "incidents", "Anti-social behaviour incidents"),
    ("Hate crime positive outcomes", "positive outcomes", "Hate crime positive outcomes"),
])
def test_cards_name_what_they_count_without_repeating_the_unit(label, units, phrase):
    assert pageviews.measure_phrase(label, units) == phrase


def test_every_card_names_its_measure():
    row = pd.Series({"measure_id": "racially_religiously_aggravated_public_order",
                     "measure_label": "Racially or religiously aggravated public order", "measure_unit": "offences",
                     "current": 366, "previous": 300, "rate_per_1000": 1.1, "rate_per_1000_previous": 0.9, "rank": 7,
                     "rank_of": 32, "places_moved": -1, "comparator_name": "London", "comparator_current": 9000,
                     "comparator_previous": 8800, "significant": True, "rag": "Red", "direction": "lower_is_better"})
    labels = re.findall(r'sbp-card-label">(.*?)</div>', pageviews.cards_html(row, "London"))
    assert labels == ["Racially or religiously aggravated public order offences, rolling year",
                      "Racially or religiously aggravated public order offences per 1,000 residents",
                      "Racially or religiously aggravated public order: rank among London boroughs",
                      "Racially or religiously aggravated public order: RAG status",
                      "Racially or religiously aggravated public order: rate vs London"]


def test_the_shipped_priorities_lead_as_the_partnerships_report_does():
    config = load_config(DATA_DIR / "measures.toml")
    headlines = {p.id: p.headline_measure for p in config.priorities}
    assert headlines == {"safer_neighbourhoods": "non_domestic_violence_with_injury", "vawg": "sexual_offences",
                         "young_people": "knife_crime", "hate_crime": "hate_crime"}


def test_a_headline_that_is_not_one_of_the_priority_s_measures_is_refused(tmp_path: Path):
    path = tmp_path / "measures.toml"
    path.write_text('[measures.a]\nall = true\n[[priorities]]\nid = "p"\ntitle = "P"\nmeasures = ["a"]\n'
                    'headline = "b"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="headline"):
        load_config(path)
