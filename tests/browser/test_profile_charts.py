"""The spine charts (Overview, a priority page) and the funnel plot (Rankings) on the shared London files, at 1366x768
and 1920x1080, normal and presenter mode: each chart is drawn in the dashboard, and no two of its labels overlap.

The labels are checked in Chromium too: the chart's spec is drawn by Vega (vl-convert's bundle of vega-embed, the
same libraries) in SVG at the width the dashboard gave the chart, and every visible text element's box is compared
with every other's. Screenshots go to test-artifacts/profile-charts/.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest

from tests.browser.test_browser import ARTIFACTS, browser, settle, start_server  # noqa: F401 (fixture)
from tests.conftest import SHARED, shared_store

SIZES = [(1366, 768), (1920, 1080)]
SHOTS = ARTIFACTS / "profile-charts"
FILES = [SHARED / "mps" / name for name in (
    "mps_borough_level_crime_2010-04_to_2021-11.csv", "mps_borough_level_crime_2021-12_to_2023-11.csv",
    "MPS_MonthlyCrimeDashboard_OtherCrimeData_2021-08_to_2023-07.xlsx")] + [
    SHARED / "population" / "census2021_london_boroughs.csv"]
END, AREA = dt.date(2023, 7, 1), "Bromley"


@pytest.fixture(scope="module")
def london(tmp_path_factory):
    """The shared London files in a store, and a server on it: (url, store path)."""
    db = shared_store(tmp_path_factory.mktemp("profile-charts"), FILES)
    server = start_server(db)
    yield next(server), db
    next(server, None)


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    """A page that draws a Vega-Lite spec with vega-embed in SVG and returns every visible text's box."""
    import vl_convert

    path = tmp_path_factory.mktemp("vega-harness") / "harness.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><script>{vl_convert.javascript_bundle()}"
                    "</script></head><body style='margin:0;font-family:sans-serif'><div id='c'></div></body></html>")
    return path


BOXES_JS = """async ([spec, width]) => {
    const holder = document.getElementById('c');
    holder.style.width = width + 'px';
    holder.innerHTML = '';
    await vegaEmbed(holder, spec, {renderer: 'svg', actions: false});
    return [...holder.querySelectorAll('svg text')]
        .filter(t => t.textContent.trim() && getComputedStyle(t).opacity !== '0' && t.getAttribute('opacity') !== '0'
                     && !t.closest('[opacity="0"]'))
        .map(t => { const r = t.getBoundingClientRect();
                    return {text: t.textContent, x1: r.left, y1: r.top, x2: r.right, y2: r.bottom}; });
}"""


def overlaps(boxes: list[dict], slack: float = 1.0) -> list[tuple[str, str]]:
    """The pairs of text boxes that overlap by more than slack pixels both ways."""
    return [(a["text"], b["text"]) for a, b in itertools.combinations(boxes, 2)
            if min(a["x2"], b["x2"]) - max(a["x1"], b["x1"]) > slack
            and min(a["y2"], b["y2"]) - max(a["y1"], b["y1"]) > slack]


def label_boxes(browser, harness, spec: dict, width: float) -> list[dict]:  # noqa: F811
    page = browser.new_page(viewport={"width": int(width) + 40, "height": 900})
    try:
        page.goto(harness.as_uri())
        return page.evaluate(BOXES_JS, [json.loads(json.dumps(spec, default=str)), width])
    finally:
        page.close()


def visit(browser, url: str, size: tuple[int, int], name: str):  # noqa: F811
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(url)
    settle(page)
    page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg", timeout=30_000)
    page.wait_for_timeout(800)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{size[0]}x{size[1]}.png"))
    return page


def drawn(chart, name: str) -> bool:
    """The chart's canvas holds ink (more than a handful of distinct colours); its screenshot saved as name."""
    from io import BytesIO

    from PIL import Image

    shot = chart.screenshot()
    (SHOTS / f"{name}.png").write_bytes(shot)
    image = Image.open(BytesIO(shot)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 8


def spine_spec(db, measure_ids: tuple[str, ...], presenter: bool, title: str | None = None) -> dict:
    from sbp import store
    from sbp.display import charts
    from sbp.metrics import profile

    with store.connect_read(db) as con:
        frame = profile.spine(con, AREA, END, measure_ids)
    return charts.to_spec(charts.spine_chart(frame, AREA, "London", presenter=presenter, title=title))


def funnel_spec(db, measure_id: str, presenter: bool, overdispersed: bool) -> dict:
    from sbp import store
    from sbp.config import default_config
    from sbp.display import charts
    from sbp.metrics import profile

    with store.connect_read(db) as con:
        shown = profile.funnel(con, default_config().measures[measure_id], END, AREA, overdispersed)
    return charts.to_spec(charts.funnel_chart(shown, AREA, presenter=presenter))


def mode(present: bool) -> str:
    return "presenter" if present else "normal"


@pytest.mark.parametrize("present", [False, True], ids=mode)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_overview_draws_a_spine_chart_per_priority_without_overlapping_labels(london, browser, harness, size,
                                                                                  present):  # noqa: F811
    from sbp.config import default_config

    url, db = london
    priorities = default_config().priorities
    page = visit(browser, f"{url}/overview?area={AREA}&end=2023-07" + ("&present=1" if present else ""), size,
                 f"overview-{mode(present)}")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        charts = page.locator("[data-testid=stVegaLiteChart]")
        assert charts.count() >= len(priorities)  # normal mode: the whole board's chart in an expander after them
        for i, priority in enumerate(priorities):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            page.wait_for_timeout(300)
            assert drawn(chart, f"overview-{mode(present)}-{priority.id}-{size[0]}x{size[1]}"), priority.id
            width = chart.bounding_box()["width"]
            boxes = label_boxes(browser, harness, spine_spec(db, tuple(priority.measures), present), width)
            texts = " ".join(b["text"] for b in boxes)
            assert "Worst" in texts and "Best" in texts and f"{AREA} against London" in texts, texts
            assert overlaps(boxes) == [], (priority.id, width)
    finally:
        page.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_priority_page_draws_its_spine_chart(london, browser, harness, size):  # noqa: F811
    url, db = london
    page = visit(browser, f"{url}/hate-crime?area={AREA}&end=2023-07", size, "hate-crime-normal")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        chart = page.locator("[data-testid=stVegaLiteChart]").nth(2)  # after the trend and the league
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert drawn(chart, f"hate-crime-spine-{size[0]}x{size[1]}")
        from sbp.config import default_config

        priority = next(p for p in default_config().priorities if p.id == "hate_crime")
        spec = spine_spec(db, tuple(priority.measures), False, f"{priority.title}: {AREA} against London")
        boxes = label_boxes(browser, harness, spec, chart.bounding_box()["width"])
        assert overlaps(boxes) == []
        assert {"Antisemitic hate crime", "Hate crime positive outcomes"} <= {b["text"] for b in boxes}
    finally:
        page.close()


@pytest.mark.parametrize("present", [False, True], ids=mode)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_rankings_page_draws_a_funnel_plot_naming_the_focus(london, browser, harness, size, present):  # noqa: F811
    url, db = london
    page = visit(browser, f"{url}/rankings?area={AREA}&end=2023-07&measure=rape" + ("&present=1" if present else ""),
                 size, f"rankings-funnel-{mode(present)}")
    try:
        assert page.locator("[data-testid=stException]").count() == 0
        funnel = page.locator("[data-testid=stVegaLiteChart]").last
        funnel.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        assert drawn(funnel, f"funnel-{mode(present)}-{size[0]}x{size[1]}")
        assert "Spiegelhalter" in page.locator("[data-testid=stMain]").inner_text()
        for overdispersed in (False, True):
            boxes = label_boxes(browser, harness, funnel_spec(db, "rape", present, overdispersed),
                                funnel.bounding_box()["width"])
            names = [b["text"] for b in boxes]
            assert names.count(AREA) == 1 and "Southwark" not in names, names  # the focus named, the rest on hover
            assert overlaps(boxes) == [], overlaps(boxes)
        page.get_by_text("Allow for over-dispersion").click()
        page.wait_for_function("document.querySelector('[data-testid=stMain]').innerText.includes('negative binomial')",
                               timeout=30_000)
        settle(page)
        text = page.locator("[data-testid=stMain]").inner_text()
        assert "phi =" in text and "negative binomial" in text, text[-800:]
        funnel = page.locator("[data-testid=stVegaLiteChart]").last
        funnel.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        assert drawn(funnel, f"funnel-overdispersed-{mode(present)}-{size[0]}x{size[1]}")
    finally:
        page.close()


def test_the_overlap_check_finds_overlapping_labels():
    boxes = [{"text": "a", "x1": 0, "y1": 0, "x2": 50, "y2": 12}, {"text": "b", "x1": 40, "y1": 5, "x2": 90, "y2": 17},
             {"text": "c", "x1": 100, "y1": 0, "x2": 120, "y2": 12}]
    assert overlaps(boxes) == [("a", "b")]
