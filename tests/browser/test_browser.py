"""End to end in a real browser: `streamlit run` on a free local port, driven by Playwright in headless Chromium.

Saves full-page screenshots of every page, normal and presenter mode, under test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PAGES = {"overview": "Bromley: partnership measures", "safer-neighbourhoods": "Safer Neighbourhoods",
         "vawg": "Violence Against Women and Girls", "young-people": "Keeping Young People Safe",
         "hate-crime": "Stand Together Against Hate Crime and Extremism", "explore": "Explore",
         "rankings": "Rankings", "wards": "Wards in Bromley", "data": "Data"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, settings: Path | None = None, options: tuple[str, ...] = ()):
    """Start `streamlit run` on a free loopback port for the store at db (with more `streamlit run` options); yields
    its URL, then stops it."""
    port = free_port()
    env = os.environ | {"SBP_DB": str(db)} | ({"SBP_SETTINGS": str(settings)} if settings else {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "sbp.web", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false", *options],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def server(demo_store):
    yield from start_server(demo_store)


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    from sbp.ingest import ingest
    from tests.conftest import REAL_MPS, REAL_POPULATION, SHARED

    if not REAL_MPS.exists():
        pytest.skip(f"real extracts not found under {SHARED} (set SBP_SHARED_DATA)")
    db = tmp_path_factory.mktemp("browser-real") / "sbp.duckdb"
    ingest([REAL_MPS, REAL_POPULATION], db=db)
    yield from start_server(db)


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def settle(page) -> None:
    """Wait until Streamlit has finished running the script and drawing."""
    page.wait_for_selector("[data-testid=stMain] h1", timeout=45_000)
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if page.locator("[data-testid=stStatusWidget]").count() == 0 and page.locator("[data-testid=stSkeleton]").count() == 0:
            break
        time.sleep(0.2)
    time.sleep(0.8)


def open_page(browser, url: str, width: int = 1400, height: int = 2400):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    settle(page)
    return page


@pytest.mark.parametrize("path,title", list(PAGES.items()))
def test_every_page_renders_in_a_browser(server, browser, path, title):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, f"{server}/{path}")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == title
        assert "Synthetic demo data" in page.inner_text("[data-testid=stMain]")
        if path in ("overview",):
            assert page.get_by_text("Residential burglary").count() > 0
        if path in ("safer-neighbourhoods", "rankings", "explore"):
            page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / f"{path}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("path", ["overview", "safer-neighbourhoods", "rankings"])
def test_presenter_mode_hides_controls(server, browser, path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, f"{server}/{path}?present=1", width=1920, height=1080)
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        assert not page.locator("[data-testid=stSidebar]").is_visible()
        assert page.get_by_role("combobox", name="Focus borough").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"{path}-presenter.png"), full_page=True)
    finally:
        page.close()


def choose(page, label: str, option: str) -> None:
    """Pick an option in the Streamlit selectbox with this label."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label).first
    box.click()
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).first.click()
    time.sleep(0.5)
    settle(page)


def test_changing_controls_changes_the_url_and_the_chart(server, browser):
    page = open_page(browser, f"{server}/rankings")
    try:
        chart = page.locator("[data-testid=stVegaLiteChart]").last
        before = chart.screenshot()
        choose(page, "Measure", "Total burglary")
        assert "measure=burglary" in page.url
        assert chart.screenshot() != before
        choose(page, "Focus borough", "Bexley")
        assert "borough=Bexley" in page.url
        page.screenshot(path=str(ARTIFACTS / "rankings-bexley-burglary.png"), full_page=True)
        # The link reproduces the view in a new session.
        again = open_page(browser, page.url)
        assert again.get_by_role("combobox", name="Focus borough").input_value() == "Bexley"
        assert again.get_by_role("combobox", name="Measure").input_value() == "Total burglary"
        again.close()
    finally:
        page.close()


@pytest.mark.parametrize("path", ["overview", "safer-neighbourhoods", "explore", "rankings", "wards", "data"])
def test_every_page_renders_on_the_real_extract(real_server, browser, path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, f"{real_server}/{path}")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        assert page.locator("[data-testid=stMain] h1").count() == 1
        assert "Synthetic demo data" not in page.inner_text("[data-testid=stMain]")
        if path in ("safer-neighbourhoods", "rankings", "explore"):
            page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / f"real-{path}.png"), full_page=True)
    finally:
        page.close()


# --- today's published files: current-scheme borough file, 2021-23 files, the Monthly Crime Dashboard workbook ------

TESSERACT = shutil.which("tesseract")


def ocr(png: bytes) -> str:
    """The text tesseract reads in a screenshot, enlarged 2x (small grey table text reads better)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    buffer = io.BytesIO()
    image.resize((image.width * 2, image.height * 2)).save(buffer, format="PNG")
    return subprocess.run([TESSERACT, "stdin", "stdout"], input=buffer.getvalue(), capture_output=True, check=True,
                          timeout=120).stdout.decode("utf-8", "replace")


DECIMAL_COUNT = re.compile(r"(?<![\d.])\d[\d,]*\.0(?![\d%])")  # "273.0": a count shown with decimals


@pytest.fixture(scope="module")
def current_server(tmp_path_factory):
    from tests.conftest import REAL_MPS, REAL_POPULATION, SHARED, shared_store

    db = shared_store(tmp_path_factory.mktemp("browser-current"), [
        SHARED / "mps" / "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv", REAL_MPS,
        SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv",
        SHARED / "mps" / "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx", REAL_POPULATION])
    yield from start_server(db)


@pytest.mark.parametrize("path", ["overview", "safer-neighbourhoods", "vawg", "young-people", "hate-crime", "rankings",
                                  "wards", "hate-crime?end=2023-07", "vawg?end=2023-07&measure=domestic_abuse",
                                  "overview?end=2023-07", "wards?end=2023-07"])
def test_real_files_of_today_show_no_none_nan_or_decimal_counts(current_server, browser, path):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, f"{current_server}/{path}")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        # The page's words without the charts (axis ticks such as "100.0" are scales, not counts).
        text = page.evaluate("""() => { const main = document.querySelector('[data-testid=stMain]').cloneNode(true);
            main.querySelectorAll('[data-testid=stVegaLiteChart]').forEach(c => c.remove()); document.body.appendChild(main);
            const t = main.innerText; main.remove(); return t; }""")
        words = set(re.findall(r"[A-Za-z]+", text))
        assert "None" not in words and "nan" not in words and "NaN" not in words, path
        # Counts outside tables: an exceptions table's "Usual (expected)" is a mean, shown to one decimal on purpose.
        prose = page.evaluate("""() => { const main = document.querySelector('[data-testid=stMain]').cloneNode(true);
            main.querySelectorAll('[data-testid=stVegaLiteChart], [data-testid=stTable], table').forEach(c => c.remove());
            document.body.appendChild(main); const t = main.innerText; main.remove(); return t; }""")
        found = DECIMAL_COUNT.search(prose)
        assert not found, (path, prose[max(0, found.start() - 80):found.end() + 20])
        # Tables are drawn on a canvas (Streamlit shows a missing cell as a grey "None"): read them with tesseract.
        for grid in [g for g in page.locator("[data-testid=stDataFrame]").all() if g.is_visible()] if TESSERACT else []:
            table_words = set(re.findall(r"[A-Za-z]+", ocr(grid.screenshot())))
            assert not {"None", "nan", "NaN"} & table_words, (path, sorted({"None", "nan", "NaN"} & table_words))
        if path.startswith("hate-crime?end"):
            assert "Hate crime" in text and "no data loaded" not in text
        page.screenshot(path=str(ARTIFACTS / f"today-{path.split('?')[0]}.png"), full_page=True)
    finally:
        page.close()


@pytest.fixture(scope="module")
def police_uk_server(tmp_path_factory):
    """A store holding only police.uk data (Avon and Somerset, 2023) with the ONS lookups and estimates, for Bristol."""
    from sbp.ingest import ingest
    from tests.conftest import SHARED

    street = sorted((SHARED / "police_uk" / "avon-and-somerset").glob("*.csv"))
    lookups = sorted((SHARED / "geography").glob("LSOA_2021*.csv")) + sorted((SHARED / "geography").glob("Local_Authority*.csv"))
    if not street or len(lookups) < 2:
        pytest.skip(f"police.uk files and ONS lookups not found under {SHARED} (set SBP_SHARED_DATA)")
    db = tmp_path_factory.mktemp("browser-police-uk") / "sbp.duckdb"
    ingest(street + lookups + sorted((SHARED / "population").glob("*.xls")), db=db)
    yield from start_server(db, REPO / "data" / "partnerships" / "bristol_settings.toml")


POLICE_UK_PAGES = {"overview": "Bristol: partnership measures", "bristol-safer-neighbourhoods": "Safer Neighbourhoods",
                   "bristol-violence": "Reducing Violence", "explore": "Explore", "rankings": "Rankings",
                   "wards": "Wards in Bristol", "data": "Data"}


@pytest.mark.parametrize("path,title", list(POLICE_UK_PAGES.items()))
def test_every_page_renders_on_police_uk_data_only(police_uk_server, browser, path, title):
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, f"{police_uk_server}/{path}?area=Bristol")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        assert "Page not found" not in page.inner_text("body")  # the first session of a fresh server too
        assert page.locator("[data-testid=stMain] h1").first.inner_text().strip() == title
        main = page.inner_text("[data-testid=stMain]")
        if path != "data":  # the comparator is the force: nothing says London
            assert "London" not in main
        if path in ("overview", "rankings"):
            assert "Avon and Somerset" in main
        if path in ("bristol-safer-neighbourhoods", "rankings", "explore"):
            page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / f"police-uk-{path}.png"), full_page=True)
    finally:
        page.close()
