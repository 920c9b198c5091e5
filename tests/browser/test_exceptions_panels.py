"""The exceptions panels in a browser at 1366x768 on the shared files: the one-sentence method, a sensible chance
figure, each flag with its expected value, range and baseline months, and the panel following the period and (on the
Wards page) the category chosen.

Flags used, Jul 2023 on these files: Hounslow's Chiswick Gunnersbury shoplifting 47 against 11.5 expected (wards);
Jun 2023: Barnet's antisemitic hate crime 31 against 9.7 (priority page, from the Monthly Crime Dashboard workbook).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_browser import ARTIFACTS, browser, settle, start_server  # noqa: F401 (fixture)
from tests.conftest import REAL_POPULATION, SHARED

FILES = [SHARED / "mps" / name for name in (
    "mps_borough_level_crime_2010-04_to_2021-11.csv", "mps_borough_level_crime_2021-12_to_2023-11.csv",
    "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv", "mps_ward_level_crime_2021-12_to_2023-11.csv",
    "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx")]
SHOTS = ARTIFACTS / "exceptions-panels"
METHOD = "Unusual means outside the range expected from the series' level over the last 12 months"
CHANCE = re.compile(r"would be flagged by chance (about one month in [\d,]+|\d)|about \d+\.\d of [\d,]+ .* tested would")
NOTHING = re.compile(r"\b(None|nan|NaN|about 0\.0)\b")


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    from sbp.ingest import ingest

    if not all(f.exists() for f in [*FILES, REAL_POPULATION]):
        pytest.skip(f"the shared MPS files and workbook are not all under {SHARED} (set SBP_SHARED_DATA)")
    db = tmp_path_factory.mktemp("exceptions-panels") / "sbp.duckdb"
    ingest([*FILES, REAL_POPULATION], db=db)
    yield from start_server(db)


def _open(browser, url: str, name: str, expand: str | None = None):  # noqa: F811
    """The page at 1366x768, with a 1366x2600 full view saved beside it; returns the page (768 high)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    tall = browser.new_page(viewport={"width": 1366, "height": 2600})
    try:
        tall.goto(url)
        settle(tall)
        if expand:
            tall.get_by_text(expand).click()
            settle(tall)
        tall.screenshot(path=str(SHOTS / f"{name}-1366x2600.png"))
    finally:
        tall.close()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(url)
    settle(page)
    if expand:
        page.get_by_text(expand).click()
        settle(page)
        page.get_by_text(expand).scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{name}-1366x768.png"))
    return page


def _flags(page):
    """The rows of the flag tables (static HTML tables, not the ward league, a data grid)."""
    return page.locator("[data-testid=stMarkdown] table tr")


def _main(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def test_the_wards_panel_follows_the_category_and_period(shared_server, browser):  # noqa: F811
    page = _open(browser, f"{shared_server}/wards?area=Hounslow&end=2023-07&measure=minor:Shoplifting", "wards")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        text = _main(page)
        assert "Unusual in Jul 2023" in text and METHOD in text, text[:600]
        assert "one of the 22 wards tested would be flagged by chance about one month in" in text, text[:1500]
        row = _flags(page).filter(has_text="Chiswick Gunnersbury").first.inner_text()
        for part in ("Shoplifting", "47", "11.5", "0 to 4", "Dec 2021 to Jun 2023 (19 months)", "higher than usual"):
            assert part in row, row
        assert not _flags(page).filter(has_text="Brentford West").count()  # theft from the person: not chosen
        # The borough panel gives Hounslow's own chance, with London's beside it
        assert re.search(r"one of Hounslow's \d+ categories tested would be flagged by chance about one month in "
                         r"\d+ \(across London, about [\d.]+ of [\d,]+ category x borough combinations a month\)",
                         text), text
        assert not NOTHING.search(text), NOTHING.search(text)
        page.get_by_text("All categories").click()
        settle(page)
        page.screenshot(path=str(SHOTS / "wards-all-categories-1366x768.png"))
        text = _main(page)
        assert CHANCE.search(text) and "category x ward combinations tested" in text, text[:1500]
        brentford = _flags(page).filter(has_text="Brentford West").first.inner_text()
        assert "Theft from Person" in brentford and "(19 months)" in brentford and " to " in brentford, brentford
        assert not NOTHING.search(text), NOTHING.search(text)
    finally:
        page.close()
    page = _open(browser, f"{shared_server}/wards?area=Hounslow&end=2023-09&measure=minor:Shoplifting", "wards-sep")
    try:
        text = _main(page)
        assert "Unusual in Sep 2023" in text and "Unusual in Jul 2023" not in text
        assert METHOD in text and not NOTHING.search(text)
    finally:
        page.close()


def test_the_priority_panel_shows_each_flag_with_its_range_and_baseline(shared_server, browser):  # noqa: F811
    page = _open(browser, f"{shared_server}/hate-crime?area=Barnet&end=2023-06", "hate-crime-barnet",
                 expand="Unusual in Barnet in Jun 2023")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        expander = page.locator("[data-testid=stExpander]", has_text="Unusual in Barnet in Jun 2023")
        panel = expander.inner_text()
        assert METHOD in panel and not NOTHING.search(panel), panel
        assert re.search(r"one of Barnet's \d+ measures tested would be flagged by chance about one month in \d+",
                         panel), panel
        row = expander.locator("table tr", has_text="Antisemitic hate crime").first.inner_text()
        for part in ("31", "9.7", "0 to 28", "Aug 2021 to May 2023 (22 months)", "higher than usual",
                     "within its usual range"):
            assert part in row, row
    finally:
        page.close()
    page = _open(browser, f"{shared_server}/hate-crime?end=2023-07", "hate-crime-bromley",
                 expand="Unusual in Bromley in Jul 2023")
    try:
        panel = page.locator("[data-testid=stExpander]", has_text="Unusual in Bromley in Jul 2023").inner_text()
        assert METHOD in panel and CHANCE.search(panel) and not NOTHING.search(panel), panel
        assert "every measure checked is within its expected range" in panel, panel
    finally:
        page.close()
