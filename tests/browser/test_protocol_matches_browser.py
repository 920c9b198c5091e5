"""The protocol-level load generator receives what a real Chromium session shows for the same view."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bench import load
from bench.browser_load import SETTLED_JS
from bench.server import Server

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")]
VIEWS = [("safer-neighbourhoods", "borough=Bexley"), ("rankings", "measure=robbery_personal_property"), ("wards", "")]


@pytest.fixture(scope="module")
def server(demo_store: Path, tmp_path_factory):
    srv = Server(demo_store, tmp_path_factory.mktemp("server") / "server.log")
    try:
        srv.wait_ready(60)
        load.view_texts(srv.url, "safer-neighbourhoods")  # warms the caches, so timings compare like with like
        yield srv
    finally:
        srv.stop()


def browser_text(url: str, page: str, query: str) -> str:
    """The visible text of the view once its script run has finished, in headless Chromium."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport={"width": 1920, "height": 1080})
            tab.goto(f"{url}/{page}" + (f"?{query}" if query else ""))
            tab.wait_for_selector("[data-testid=stMain] h1", timeout=60_000)
            text, previous = "", None
            while text != previous:  # settled: the run has finished and two reads half a second apart agree
                tab.wait_for_function(SETTLED_JS, timeout=60_000)
                # textContent, not innerText: collapsed expanders hold text the server sent but the screen hides.
                previous, text = text, tab.text_content("[data-testid=stApp]")
                tab.wait_for_timeout(500)
            return text
        finally:
            browser.close()


@pytest.mark.parametrize("page,query", VIEWS)
def test_what_the_protocol_session_receives_is_what_the_browser_shows(server, page, query):
    run = load.view_texts(server.url, page, query)
    assert run.status == "FINISHED_SUCCESSFULLY" and not run.errors
    shown = browser_text(server.url, page, query)
    texts = [load.plain(t) for t in run.texts]
    texts = [t for t in texts if t]
    assert len(texts) >= 3
    # Every heading, metric, paragraph, table and notice the server sent is in the browser's page, word for word
    # (compared without whitespace: a table's cells are separated by layout, not by spaces, in the page's text).
    squeezed = re.sub(r"\s+", "", shown)
    missing = [t for t in texts if re.sub(r"\s+", "", t) not in squeezed]
    assert not missing, missing[:5]
    # ... and every widget the session will drive is one the browser drew, with the same label.
    for widget in run.widgets.values():
        if widget.kind in load.CHANGEABLE:
            assert re.sub(r"\s+", "", widget.label) in squeezed, widget.label
