"""Partner figures in a browser at 1366x768, normal and presenter mode, on the demo and on the real extract with the
shipped partner file: the CCTV and Trading Standards figures are on screen with their source and period, the cards
fit their grid, and the slide's side column lists them below the objectives.

Screenshots go to test-artifacts/partner/.
"""

from __future__ import annotations

import pytest

from tests.browser.test_browser import ARTIFACTS, REPO, browser, settle, start_server  # noqa: F401

SIZE = (1366, 768)
SHOTS = ARTIFACTS / "partner"


@pytest.fixture(scope="module")
def servers(demo_store, tmp_path_factory):
    """The demo (it loads the shipped partner file) and the real borough extract with the shipped partner file."""
    from sbp.ingest import ingest
    from tests.conftest import REAL_MPS, REAL_POPULATION

    urls = {}
    demo = start_server(demo_store)
    urls["demo"] = next(demo)
    real = None
    if REAL_MPS.exists() and REAL_POPULATION.exists():
        db = tmp_path_factory.mktemp("partner-real") / "sbp.duckdb"
        ingest([REAL_MPS, REAL_POPULATION, REPO / "data" / "partner_priority1_2021-22.csv"], db=db)
        real = start_server(db)
        urls["real"] = next(real)
    yield urls
    for server in (demo, real):
        if server is not None:
            next(server, None)


def visit(browser, url: str, name: str, full: bool = False):  # noqa: F811
    page = browser.new_page(viewport={"width": SIZE[0], "height": SIZE[1]})
    page.goto(url)
    settle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)
    return page


@pytest.mark.parametrize("which", ["demo", "real"])
def test_the_priority_page_shows_partner_cards_with_source_and_period(servers, browser, which):  # noqa: F811
    if which not in servers:
        pytest.skip("the real MPS extract and populations are not under ../shared/data")
    page = visit(browser, f"{servers[which]}/safer-neighbourhoods", f"{which}-normal")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        cards = page.locator(".sbp-partner-card")
        assert cards.count() == 11
        cctv = cards.filter(has_text="Incidents where CCTV assisted police").first
        cctv.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{which}-normal-cards.png"))
        assert cctv.locator(".sbp-partner-value").inner_text() == "264 incidents"
        assert cctv.locator(".sbp-card-source").inner_text() == "CCTV control room, Jan-Dec 2021"
        savings = cards.filter(has_text="Savings from Trading Standards interventions").first
        assert savings.locator(".sbp-partner-value").inner_text() == "£507,157"
        assert savings.locator(".sbp-card-source").inner_text() == "Trading Standards, Apr 2021-Mar 2022"
        # Four cards a row at 1366 px, each inside the page: nothing cut off at the right edge.
        boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
        assert len({round(b["y"]) for b in boxes[:4]}) == 1
        assert all(b["x"] + b["width"] <= SIZE[0] for b in boxes)
        # Objective 5's panel lists the CCTV figure as its evidence.
        evidence = page.locator(".sbp-partner-evidence").filter(has_text="CCTV control room, Jan-Dec 2021").first
        evidence.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{which}-normal-objective.png"))
        assert "264 incidents" in evidence.inner_text()
    finally:
        page.close()


@pytest.mark.parametrize("which", ["demo", "real"])
def test_the_slide_lists_the_partner_figures_under_the_objectives(servers, browser, which):  # noqa: F811
    if which not in servers:
        pytest.skip("the real MPS extract and populations are not under ../shared/data")
    page = visit(browser, f"{servers[which]}/safer-neighbourhoods?present=1", f"{which}-presenter")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        brief = page.locator(".sbp-partner-brief")
        assert brief.count() == 1
        text = brief.inner_text()
        assert "264 Incidents where CCTV assisted police, leading to arrests (CCTV control room, Jan-Dec 2021)" in " ".join(
            text.replace("incidents ", "").split()) or "(CCTV control room, Jan-Dec 2021)" in text
        assert "£507,157" in text and "(Trading Standards, Apr 2021-Mar 2022)" in text
        # The slide is one screen: the side column scrolls within it, the page itself does not grow.
        assert page.evaluate("document.scrollingElement.scrollHeight") <= SIZE[1] + 2
        brief.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{which}-presenter-partner.png"))
    finally:
        page.close()


def test_the_template_downloads_from_the_data_page_and_loads_filled_with_three_measures_over_two_years(
        servers, browser, tmp_path):  # noqa: F811
    import csv

    from sbp import store
    from sbp.ingest import ingest

    page = visit(browser, f"{servers['demo']}/data", "data-page", full=True)
    try:
        with page.expect_download() as waiting:
            page.get_by_role("button", name="Download the partner-measures template (CSV)").click()
        template = tmp_path / waiting.value.suggested_filename
        waiting.value.save_as(template)
    finally:
        page.close()
    assert template.name == "partner_measures_template.csv"
    with open(template, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with open(template, "w", newline="", encoding="utf-8") as handle:  # the examples replaced by a partner's figures
        writer = csv.writer(handle)
        writer.writerow(header)
        for measure, unit, source, periods, values in (
                ("cctv_arrest_assists", "count", "CCTV control room", ("2020", "2021"), ("251", "264")),
                ("ts_alert_recipients", "people", "Trading Standards", ("2020/21", "2021/22"), ("410", "650")),
                ("ts_total_savings", "pounds", "Trading Standards", ("2020/21", "2021/22"), ("£398,000", "507157"))):
            for period, value in zip(periods, values):
                row = dict.fromkeys(header, "") | {"measure_id": measure, "unit": unit, "period": period,
                                                   "area": "Bromley", "value": value, "source": source}
                writer.writerow([row[c] for c in header])
    db = tmp_path / "store" / "sbp.duckdb"
    summary = ingest([template], db=db)[0]
    assert (summary.rows, summary.categories) == (6, 3)
    with store.connect_read(db) as con:
        assert con.execute("SELECT sum(value) FROM partner_values").fetchone()[0] == 251 + 264 + 410 + 650 + 398000 + 507157
