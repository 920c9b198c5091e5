"""The dashboard's entry in Chromium: every page loads with no request to another site (the tab icon is the package's
own shield, not a Material icon from fonts.gstatic.com), and a typed /board or /overview opens the Overview at "/"
with its query parameters, never "Page not found"."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest

from sbp.web import PAGE_ICON
from tests.browser.test_browser import PAGES, browser, settle, start_server  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def server(demo_store):
    yield from start_server(demo_store)


def open_recording(browser, url: str):  # noqa: F811
    """A new tab at url, settled, with the list of every URL it requested."""
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))
    tab.goto(url)
    settle(tab)
    return tab, requests


def test_no_page_asks_another_site_and_the_tab_shows_the_package_icon(server, browser):  # noqa: F811
    icon = "data:image/svg+xml;base64," + base64.b64encode(PAGE_ICON.read_bytes()).decode()
    for path in ["", *PAGES]:
        tab, requests = open_recording(browser, f"{server}/{path}")
        try:
            elsewhere = [u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
                         and urlparse(u).netloc != urlparse(server).netloc]
            assert elsewhere == [], (path, elsewhere)
            icons = tab.evaluate("Array.from(document.querySelectorAll('link[rel~=icon]'), l => l.href)")
            assert icons == [icon], (path, [i[:80] for i in icons])
        finally:
            tab.close()


@pytest.mark.parametrize("path", ["board", "overview"])
def test_a_typed_overview_address_opens_the_overview_at_the_root(server, browser, path):  # noqa: F811
    tab, _ = open_recording(browser, f"{server}/{path}?borough=Bexley&end=2023-07")
    try:
        assert tab.get_by_text("Page not found").count() == 0
        assert tab.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Bexley: partnership measures"
        address = urlparse(tab.url)
        assert address.path == "/" and parse_qs(address.query)["borough"] == ["Bexley"], tab.url
        assert parse_qs(address.query)["end"] == ["2023-07"], tab.url
        links = tab.locator("[data-testid=stSidebarNavLink]")
        overview = [i for i, text in enumerate(links.all_inner_texts()) if text.strip().endswith("Overview")]
        assert len(overview) == 1  # the hidden addresses add no second entry
        assert links.nth(overview[0]).get_attribute("aria-current") == "page"  # and the sidebar marks it as shown
    finally:
        tab.close()


def test_a_typed_board_address_in_presenter_mode_opens_the_first_slide(server, browser):  # noqa: F811
    tab, _ = open_recording(browser, f"{server}/board?present=1")
    try:
        assert tab.get_by_text("Page not found").count() == 0
        assert tab.locator("[data-testid=stMain] h1").first.inner_text().strip() == "Bromley: partnership measures"
        address = urlparse(tab.url)
        assert address.path == "/" and parse_qs(address.query)["present"] == ["1"], tab.url
        assert tab.locator("[data-testid=stSidebarNavLink]").count() == 0
        # the Overview is the first slide: Previous is off, Next leads to the first priority
        assert tab.get_by_role("button", name="Previous").is_disabled()
        tab.get_by_role("button", name="Next").click()
        tab.locator("[data-testid=stMain] h1", has_text=PAGES["safer-neighbourhoods"]).first.wait_for(timeout=45_000)
        assert urlparse(tab.url).path == "/safer-neighbourhoods"
    finally:
        tab.close()
