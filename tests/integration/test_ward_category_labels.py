"""The Wards page's category dropdown names each category as the ward rows do, on the shared files.

The ward extract is in the 2021-23 scheme ('Shoplifting'); the current-scheme borough extract spells its categories in
capitals ('SHOPLIFTING'). The dropdown once listed the borough level's categories of both schemes, so it read
'SHOPLIFTING' while the flagged rows, the table's title and the scope radio (the ward level's names) read 'Shoplifting'.
"""

from __future__ import annotations

import pytest

from tests.conftest import REAL_POPULATION, SHARED, shared_store
from tests.integration.test_app_pages import app, html_table  # noqa: F401 (app: a fixture opening the app with SBP_DB set)

FILES = [SHARED / "mps" / name for name in (
    "mps_ward_level_crime_2021-12_to_2023-11.csv", "mps_borough_level_crime_2021-12_to_2023-11.csv",
    "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv")] + [REAL_POPULATION]


@pytest.fixture(scope="module")
def two_scheme_store(tmp_path_factory):
    return shared_store(tmp_path_factory.mktemp("ward-labels"), FILES)


def test_every_ward_category_is_offered_by_the_name_its_rows_carry(two_scheme_store, app):
    from sbp import metrics, store
    from sbp.config import default_config

    at = app(two_scheme_store, area="Hounslow", end="2023-07", measure="minor:SHOPLIFTING")
    at.switch_page("pages/wards_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    box = at.selectbox(key="wd_measure")
    configured = {m.label for m in default_config().measures.values()}
    categories = [label for label in box.options if label not in configured]
    assert len(categories) > 30, box.options
    with store.connect_read(two_scheme_store) as con:
        for label in categories:
            # the rows' name for the category: the measure its name resolves to at ward level
            assert metrics.resolve_measures(con, minor=label, level="ward")[0].label == label
    assert "SHOPLIFTING" not in box.options and box.options.count("Shoplifting") == 1
    assert len(set(box.options)) == len(box.options)  # no category offered twice under one name
    # The link's capitals still reach the same category; the page passes its value on as before
    assert box.value == "minor:Shoplifting"
    assert at.query_params["measure"] == "minor:Shoplifting"
    assert "Shoplifting: rolling year Aug 2022 to Jul 2023" in [s.value for s in at.subheader]
    assert at.radio(key="wd_unusual_scope").options[0] == "Shoplifting"
    flagged = html_table(at, "Ward")
    assert set(flagged["Measure"]) == {"Shoplifting"}, flagged
    at.selectbox(key="wd_measure").set_value("minor:Theft from Person").run()
    assert not at.exception and at.query_params["measure"] == "minor:Theft from Person"
    assert at.selectbox(key="wd_measure").options[at.selectbox(key="wd_measure").index] == "Theft from Person"
    assert "Theft from Person: rolling year Aug 2022 to Jul 2023" in [s.value for s in at.subheader]
