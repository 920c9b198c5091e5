"""Slides on today's shared files, London and Bristol, at 1366x768 and 1920x1080, normal and presenter mode: every card
names its measure, a presenter steps through a priority's measures by keyboard, the slide league names its areas.

Screenshots go to test-artifacts/slides/.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.test_browser import ARTIFACTS, REPO, TESSERACT, browser, ocr, settle, start_server  # noqa: F401
from tests.conftest import SHARED

SIZES = [(1366, 768), (1920, 1080)]
SHOTS = ARTIFACTS / "slides"
LONDON_FILES = [SHARED / "mps" / name for name in (
    "mps_borough_level_crime_2010-04_to_2021-11.csv", "mps_borough_level_crime_2021-12_to_2023-11.csv",
    "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv", "mps_ward_level_crime_2021-12_to_2023-11.csv",
    "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx")] + [
    SHARED / "population" / "census2021_london_boroughs.csv"]
BRISTOL_SETTINGS = REPO / "data" / "partnerships" / "bristol_settings.toml"
SLIDES = {"london": ["safer-neighbourhoods", "vawg", "young-people", "hate-crime"],
          "bristol": ["bristol-safer-neighbourhoods", "bristol-violence"]}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """A server per partnership on the shared files: London (every MPS file, the workbook, Census) and Bristol."""
    from sbp.ingest import ingest

    street = sorted((SHARED / "police_uk" / "avon-and-somerset").glob("*.csv"))
    lookups = sorted((SHARED / "geography").glob("LSOA_2021*.csv")) + sorted((SHARED / "geography").glob("Local_Authority*.csv"))
    if not all(f.exists() for f in LONDON_FILES) or not street or len(lookups) < 2:
        pytest.skip(f"the shared MPS, police.uk and ONS files are not all under {SHARED} (set SBP_SHARED_DATA)")
    london, bristol = (tmp_path_factory.mktemp(name) / "sbp.duckdb" for name in ("slides-london", "slides-bristol"))
    ingest(LONDON_FILES, db=london)
    ingest(street + lookups + sorted((SHARED / "population").glob("*.xls")), db=bristol)
    london_server, bristol_server = start_server(london), start_server(bristol, BRISTOL_SETTINGS)
    urls = {"london": next(london_server), "bristol": next(bristol_server)}
    yield urls
    for server in (london_server, bristol_server):
        next(server, None)


def labels_of(area: str) -> dict[str, str]:
    """Every measure's label in the partnership's measures file."""
    from sbp.config import load_config
    from sbp.config.settings import DATA_DIR, load_settings

    settings = load_settings(BRISTOL_SETTINGS) if area == "bristol" else load_settings(DATA_DIR / "settings.toml")
    return {m.id: m.label for m in load_config(DATA_DIR / settings["measures_file"]).measures.values()}


def visit(browser, url: str, size: tuple[int, int], name: str):  # noqa: F811
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(url)
    settle(page)
    if page.locator("[data-testid=stVegaLiteChart]").count():
        page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg", timeout=30_000)
        page.wait_for_timeout(800)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{size[0]}x{size[1]}.png"))
    return page


def shown_measure(page) -> str:
    return parse_qs(urlparse(page.url).query)["measure"][0]


def card_labels(page) -> list[str]:
    return [label.inner_text().strip() for label in page.locator(".sbp-card-label").all()]


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("area", ["london", "bristol"])
def test_every_card_names_its_measure(servers, browser, area, size, present):  # noqa: F811
    labels = labels_of(area)
    for path in SLIDES[area]:
        page = visit(browser, f"{servers[area]}/{path}" + ("?present=1" if present else ""), size,
                     f"{area}-{path}-{'presenter' if present else 'normal'}")
        try:
            assert page.locator("[data-testid=stException]").count() == 0
            cards = card_labels(page)
            if not cards:  # the measure has no figure: the page says why instead
                continue
            label = labels[shown_measure(page)]
            assert len(cards) == 5 and all(c.startswith(label) for c in cards), (path, label, cards)
            badge = page.locator(".sbp-card .sbp-badge").first
            assert badge.evaluate("b => b.getClientRects().length") <= 2  # "No comparison": never "compariso / n"
        finally:
            page.close()


def test_the_hate_crime_slide_leads_with_hate_crime(servers, browser):  # noqa: F811
    page = visit(browser, f"{servers['london']}/hate-crime?present=1", (1366, 768), "hate-crime-headline")
    try:
        assert shown_measure(page) == "hate_crime"
        assert all(c.startswith("Hate crime") for c in card_labels(page))
    finally:
        page.close()


@pytest.mark.parametrize("area", ["london", "bristol"])
def test_a_presenter_steps_through_the_measures_by_keyboard(servers, browser, area):  # noqa: F811
    labels = labels_of(area)
    path = SLIDES[area][0]
    page = visit(browser, f"{servers[area]}/{path}?present=1", (1366, 768), f"{area}-steps")
    try:
        first = shown_measure(page)
        page.keyboard.press("ArrowDown")
        page.wait_for_function(f"!location.search.includes('measure={first}')", timeout=20_000)
        settle(page)
        second = shown_measure(page)
        assert second != first and "present=1" in page.url and path in page.url
        cards = card_labels(page)
        assert not cards or all(c.startswith(labels[second]) for c in cards)
        page.keyboard.press("ArrowUp")
        page.wait_for_function(f"location.search.includes('measure={first}&') || location.search.endsWith('measure={first}')",
                               timeout=20_000)
        page.get_by_role("button", name=re.compile("Next measure")).click()
        page.wait_for_function(f"location.search.includes('measure={second}')", timeout=20_000)
    finally:
        page.close()


@pytest.mark.skipif(TESSERACT is None, reason="tesseract is not installed (reads the chart's canvas)")
@pytest.mark.parametrize("area,path,focus", [("london", "young-people", "Bromley"),
                                             ("bristol", "bristol-safer-neighbourhoods", "Bristol")])
def test_the_presenter_league_names_the_focus_and_its_neighbours(servers, browser, area, path, focus):  # noqa: F811
    page = visit(browser, f"{servers[area]}/{path}?present=1", (1366, 768), f"{area}-league")
    try:
        league = page.locator("[data-testid=stVegaLiteChart]").last
        text = ocr(league.screenshot())
        names = re.findall(r"^\s*([A-Z][A-Za-z ]+?) \d+\.\d\d\b", text, flags=re.M)
        assert any(focus in n for n in names) and len(names) >= 4, text
    finally:
        page.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("area", ["london", "bristol"])
def test_a_slide_fills_the_screen_and_fits_it(servers, browser, area, size):  # noqa: F811
    path = SLIDES[area][0]
    page = visit(browser, f"{servers[area]}/{path}?present=1", size, f"{area}-fill")
    try:
        boxes = page.evaluate("""() => [...document.querySelectorAll(
            '[data-testid=stVegaLiteChart], [data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg,'
            + ' .sbp-cards, ul.sbp-brief, [data-testid=stExpander]')].map(e => e.getBoundingClientRect().bottom)""")
        bottom = max(boxes)
        assert bottom <= size[1], (bottom, size)  # one screen at 1366x768 and 1920x1080
        if size[1] >= 1080:
            assert bottom >= 0.8 * size[1], (bottom, size)  # and most of a large one (was about 55% of it)
        assert page.evaluate("document.scrollingElement.scrollHeight") <= size[1]
    finally:
        page.close()
