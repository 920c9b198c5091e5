"""In a real browser, a link's parameters and an uploaded file's name and categories show as text: the page holds no
link or image from them and the browser asks no other server for anything they name."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from sbp.web.auth import hash_password
from tests.browser.test_browser import ARTIFACTS, browser, settle, start_server  # noqa: F401 (fixture)
from tests.conftest import borough_csv, store_of

SHOTS = ARTIFACTS / "injection"
PASSWORD = "pw-for-the-browser-test"
LINK = "[Sign in again](https://evil.example/x)"
IMAGE = "![t](http://host/pixel.png)"
FORMULA = '=HYPERLINK("http://evil.example","click")'
HOSTILE_HOSTS = {"evil.example", "host", "www.evil-phish.example.csv", "www.evil-bad.example.csv", "evil-phish.example.csv"}


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """A small borough store served with an admin configured (a secrets file of the test's own)."""
    folder = tmp_path_factory.mktemp("injection-server")
    db = store_of(tmp_path_factory, {"boroughs.csv": borough_csv(folder / "b.csv", 2).read_text()})
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[admin]\nusername = "analyst"\npassword_hash = "{hash_password(PASSWORD)}"\n')
    yield from start_server(db, options=("--secrets.files", str(secrets)))


def watched_page(browser):  # noqa: F811
    """A page that logs the host of every request it makes."""
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or ""))
    return page, hosts


def hostile_markup(page) -> list[str]:
    """Every link and image on the page that points at one of the hostile hosts."""
    targets = page.eval_on_selector_all("a[href], img[src]", "els => els.map(e => e.href || e.src)")
    return [t for t in targets if (urlsplit(t).hostname or "") in HOSTILE_HOSTS]


@pytest.mark.parametrize("path,value", [("overview", LINK), ("overview", IMAGE), ("explore", LINK),
                                        ("rankings", LINK)], ids=["overview-link", "overview-image", "explore", "rankings"])
def test_a_link_parameter_is_text_with_no_link_image_or_request(admin_server, browser, path, value):  # noqa: F811
    param = "measure" if path == "rankings" else "area"
    page, hosts = watched_page(browser)
    try:
        page.goto(f"{admin_server}/{path}?{param}={quote(value)}")
        settle(page)
        time.sleep(1.5)  # an image would be fetched by now
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{path}-{'image' if value == IMAGE else 'link'}.png"))
        assert hostile_markup(page) == []
        assert not set(hosts) & HOSTILE_HOSTS, hosts
        notices = page.locator("[data-testid=stAlert]").all_inner_texts()
        shown = [n.replace("\u2060", "") for n in notices if "The link asked for" in n]
        assert any(f"'{value}'" in n for n in shown), notices
    finally:
        page.close()


def upload(page, url: str, path: Path) -> None:
    """Sign in on the Data page and load one file."""
    page.goto(f"{url}/data")
    settle(page)
    page.get_by_label("Admin username").fill("analyst")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("input[type=file]", state="attached", timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Load these files").click()
    page.wait_for_selector("[data-testid=stExpander] summary:has-text('Loaded'), "
                           "[data-testid=stExpander] summary:has-text('Nothing was loaded')", timeout=60_000)
    settle(page)


def test_an_uploaded_file_name_and_category_are_text_in_the_summary_and_the_banner(admin_server, browser, tmp_path):  # noqa: F811
    good = tmp_path / "www.evil-phish.example.csv"
    good.write_text("MajorText,MinorText,LookUp_BoroughName,202311\n"
                    f'Burglary,"{FORMULA.replace(chr(34), chr(34) * 2)}",Bromley,5\n')
    bad = tmp_path / "www.evil-bad.example.csv"
    bad.write_text("month,area,category,count\n2023-11,Bromley,x,40,4\n")
    page, hosts = watched_page(browser)
    try:
        upload(page, admin_server, good)
        main = page.locator("[data-testid=stMain]").inner_text().replace("\u2060", "")
        assert f"{good.name}: mps_borough, 1 rows" in main and f"'{FORMULA}'" in main, main[-1500:]
        assert hostile_markup(page) == []
        page.close()
        page, more = watched_page(browser)  # a new session: the uploader starts empty
        hosts += more
        upload(page, admin_server, bad)
        said = page.locator("[data-testid=stAlert]").filter(has_text="line 2").inner_text().replace("\u2060", "")
        assert f"{bad.name}, line 2" in said, said
        assert hostile_markup(page) == []
        page.goto(f"{admin_server}/data")  # the banner everyone sees names the refused file
        settle(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "data-banner.png"), full_page=True)
        banner = page.locator("[data-testid=stAlert]").filter(has_text="The last refresh failed").inner_text()
        assert f"{bad.name}, line 2" in banner.replace("\u2060", ""), banner
        assert good.name in page.locator("table").first.inner_text()  # the files table names the loaded file
        assert hostile_markup(page) == []
        assert not set(hosts) & HOSTILE_HOSTS, hosts
    finally:
        page.close()
