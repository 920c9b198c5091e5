"""Through HAProxy (`python -m sbp.web --processes 2`), every page renders in Chromium under the proxy's
Content-Security-Policy with no violation, and no other site can frame the dashboard."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.browser_load import CHROMIUM_ARGS, FIRST_CHART_JS, SETTLED_JS
from bench.server import Server
from sbp.errors import ServeError
from sbp.web import processes

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")]
# Every page, and the charts a page must draw (a chart is what needs blob:/data: images and Vega's code).
PAGES = {"overview": None, "safer-neighbourhoods": "Safer Neighbourhoods", "vawg": "Violence Against Women and Girls",
         "young-people": None, "hate-crime": None, "explore": "Explore", "rankings": "Rankings", "wards": None, "data": None}
# Records what the policy blocks, from the page's first script on (the console also says so, in other words).
WATCH_JS = """window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""


@pytest.fixture(scope="module")
def cluster(demo_store: Path, tmp_path_factory):
    try:
        processes.haproxy_binary()
    except ServeError:
        pytest.skip("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run installs it as root)")
    srv = Server(demo_store, tmp_path_factory.mktemp("proxy") / "server.log", processes=2)
    try:
        srv.wait_ready(120)
        yield srv
    finally:
        assert srv.stop()


def test_every_page_renders_under_the_policy_with_no_violation(cluster):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.add_init_script(WATCH_JS)
            console: list[str] = []
            tab.on("console", lambda m: console.append(m.text))
            for page, chart_title in PAGES.items():
                response = tab.goto(f"{cluster.url}/{page}")
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
                tab.wait_for_selector("[data-testid=stMain] h1", timeout=60_000)
                tab.wait_for_function(SETTLED_JS, timeout=60_000)
                if chart_title:
                    tab.wait_for_function(FIRST_CHART_JS, arg=chart_title, timeout=60_000)
                assert tab.locator("[data-testid=stException]").count() == 0, page
                assert tab.evaluate("window.__csp") == [], page
            assert not [m for m in console if "Content Security Policy" in m], console
        finally:
            browser.close()


def test_an_upload_reaches_the_server_of_its_session_and_loads(demo_store: Path, tmp_path: Path):
    # The browser sends an upload as its own HTTP request, beside the session's websocket: it must reach the server
    # that holds the session (the cookie), or Streamlit answers that the file is unknown. Needs a writable store.
    from sbp import store
    from sbp.web.auth import hash_password
    from tests.conftest import copy_store

    db = copy_store(demo_store, tmp_path / "store" / "sbp.duckdb")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[admin]\nusername = "analyst"\npassword_hash = "{hash_password("a long test password")}"\n')
    upload = tmp_path / "asb_calls.csv"
    upload.write_text("month,area,category,count\n2023-11,Bromley,ASB calls,812\n2023-11,Bexley,ASB calls,640\n")
    before = store.data_version(db)
    srv = Server(db, tmp_path / "server.log", processes=2, options=["--secrets.files", str(secrets)])
    try:
        srv.wait_ready(120)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                tab.add_init_script(WATCH_JS)
                tab.goto(f"{srv.url}/data")
                tab.get_by_label("Admin username").fill("analyst")
                tab.get_by_label("Password", exact=True).fill("a long test password")
                tab.get_by_role("button", name="Sign in").click()
                tab.get_by_text("Signed in as analyst").wait_for(timeout=60_000)
                tab.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(upload))
                tab.get_by_role("button", name="Load these files").click(timeout=60_000)
                # Attached, not visible: the success notice is drawn inside the "Loaded" status box, which collapses.
                tab.get_by_text("Every page now shows the new data.").wait_for(state="attached", timeout=120_000)
                assert tab.evaluate("window.__csp") == []
            finally:
                browser.close()
    finally:
        assert srv.stop()
    assert store.data_version(db) != before  # a new version was published, which every server reads next


def test_another_site_cannot_frame_the_dashboard(cluster):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            console: list[str] = []
            tab.on("console", lambda m: console.append(m.text))
            tab.set_content(f'<iframe id="f" src="{cluster.url}/overview" width="800" height="600"></iframe>')
            tab.wait_for_timeout(3000)
            frame = tab.frame_locator("#f")
            assert frame.locator("[data-testid=stApp]").count() == 0
            assert any("frame-ancestors" in m for m in console), console
        finally:
            browser.close()
