"""Every page runs in Streamlit's AppTest on demo and real data; controls, links and presenter mode behave."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sbp import metrics, store
from sbp.display.formatting import shown_text

REPO = Path(__file__).resolve().parents[2]
PAGES = ["pages/overview_page.py", "pages/priority_page.py", "pages/explore_page.py", "pages/rankings_page.py",
         "pages/wards_page.py", "pages/data_page.py"]


@pytest.fixture(scope="module")
def demo_db(demo_store) -> Path:
    """These tests only read, so they share the session's demo store."""
    return demo_store


@pytest.fixture(scope="module")
def real_db(real_store) -> Path:
    """These tests only read, so they share the session's real-extract store."""
    return real_store


@pytest.fixture
def app(monkeypatch):
    """Open the app on a store (SBP_DB set for this test only), with query parameters."""

    def open_app(db: Path, **query: str) -> AppTest:
        monkeypatch.setenv("SBP_DB", str(db))
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        for key, value in query.items():
            at.query_params[key] = value
        return at.run()

    return open_app


def visit(at: AppTest, page: str, url_path: str | None = None) -> AppTest:
    at.switch_page(page)
    return at.run()


def html_table(at: AppTest, header: str) -> pd.DataFrame:
    """The first static HTML table on the page with a column named header: its cells as shown (text)."""
    table = next(m.value for m in at.markdown if f">{header}</th>" in m.value)
    headers = [html.unescape(h) for h in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", table)]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)[1:]]
    return pd.DataFrame([[html.unescape(cell) for cell in row] for row in rows], columns=headers)


def no_errors(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_demo_data(demo_db, page, app):
    at = visit(app(demo_db), page)
    no_errors(at)
    assert at.title, "each page has a title"
    assert any("Synthetic demo data" in w.value for w in at.warning)
    at.run()  # a rerun (any interaction) must work as well as the first load
    no_errors(at)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_real_extract(real_db, page, app):
    at = visit(app(real_db), page)
    no_errors(at)
    assert at.title
    assert not any("Synthetic" in w.value for w in at.warning)


def overview_numbers(at: AppTest) -> str:
    """The first board table as its static HTML."""
    return next(m.value for m in at.markdown if "<table class=\"sbp-table sbp-board" in m.value)


def test_changing_borough_and_period_changes_the_numbers(demo_db, app):
    at = app(demo_db)
    bromley = overview_numbers(at)
    assert at.title[0].value.startswith("Bromley")
    at.sidebar.selectbox(key="g_borough").select("Bexley").run()
    no_errors(at)
    assert at.title[0].value.startswith("Bexley")
    assert overview_numbers(at) != bromley
    assert at.query_params["borough"] == ["Bexley"] or at.query_params["borough"] == "Bexley"
    ends = at.sidebar.selectbox(key="g_end").options
    at.sidebar.selectbox(key="g_end").set_value(at.sidebar.selectbox(key="g_end").value.replace(year=2022)).run()
    no_errors(at)
    assert overview_numbers(at) != bromley and len(ends) > 12


def test_query_parameters_restore_the_view(demo_db, app):
    at = app(demo_db, borough="Sutton", end="2022-06", group="outer")
    no_errors(at)
    assert at.sidebar.selectbox(key="g_borough").value == "Sutton"
    assert at.sidebar.selectbox(key="g_end").value.strftime("%Y-%m") == "2022-06"
    assert at.sidebar.radio(key="g_group").value == "outer"
    assert "Rolling year to Jun 22" in overview_numbers(at)


@pytest.mark.parametrize("query", [
    {"borough": "<script>alert(1)</script>"}, {"borough": "Bromley'; DROP TABLE crime_counts;--"},
    {"end": "2099-01"}, {"end": "x" * 5000}, {"group": "everyone"},
])
def test_bad_query_parameters_fall_back_with_a_notice(demo_db, query, app):
    at = app(demo_db, **query)
    no_errors(at)
    assert at.sidebar.selectbox(key="g_borough").value == "Bromley"
    assert any("not available" in i.value or "not loaded" in i.value for i in at.info)
    assert all("<script>" not in m.value for m in at.markdown)


def test_presenter_mode_hides_the_controls(demo_db, app):
    normal = app(demo_db)
    assert len(normal.sidebar.selectbox) == 2
    at = app(demo_db, present="1")
    no_errors(at)
    assert len(at.sidebar.selectbox) == 0 and len(at.sidebar.toggle) == 0
    assert any("stSidebar" in m.value for m in at.markdown), "presenter CSS hides the sidebar"
    at.button(key="g_exit_present").click().run()
    assert len(at.sidebar.selectbox) == 2


def test_priority_page_shows_cards_summary_and_objectives(demo_db, app):
    at = visit(app(demo_db), "pages/priority_page.py")
    no_errors(at)
    assert at.title[0].value == "Safer Neighbourhoods"
    cards = next(m.value for m in at.markdown if '<div class="sbp-cards">' in m.value)
    assert all(label in cards for label in ("offences, rolling year", "offences per 1,000 residents", "RAG status"))
    # Each card names its measure. The demo has no non-domestic violence with injury (the headline, as the partnership's
    # report leads): the page opens on the next measure with a figure and says so.
    assert cards.count('sbp-card-label">Residential burglary') == 5
    assert any("Non-domestic violence with injury, the headline measure, has no figure" in shown_text(c.value)
               for c in at.caption)
    assert any("Improve partnership and stakeholder engagement" in m.value for m in at.markdown)
    assert any("Achieved and continues" in m.value for m in at.markdown)
    assert any("rose" in m.value or "fell" in m.value or "unchanged" in m.value for m in at.markdown)


def test_data_page_keeps_upload_closed_without_admin(demo_db, app):
    at = visit(app(demo_db), "pages/data_page.py")
    no_errors(at)
    assert not at.get("file_uploader")
    assert any("Uploading is turned off" in i.value for i in at.info)


def test_explore_switches_view_and_unit_and_keeps_its_month_range(demo_db, app):
    at = visit(app(demo_db), "pages/explore_page.py")
    at.radio(key="ex_view").set_value("rolling").run()
    no_errors(at)
    at.radio(key="ex_unit").set_value("rates").run()
    no_errors(at)
    assert any("per 1,000" in c for c in at.dataframe[0].value.columns)
    assert len(at.select_slider(key="ex_range").value) == 2


def test_a_configuration_error_is_shown_on_the_page_not_a_crash(demo_db, monkeypatch, app):
    """A measures file naming an unknown measure once left every page blank ("Page not found", a redacted error)."""
    from sbp.display.formatting import shown_text
    from sbp.errors import ConfigError
    from sbp.web import appdata

    def broken():
        raise ConfigError("bristol_measures.toml: priority 'p' lists unknown measures ['nope']")

    monkeypatch.setattr(appdata, "config", broken)
    at = app(demo_db)
    assert not at.exception
    assert at.title[0].value == "The dashboard's configuration could not be read"
    assert "lists unknown measures ['nope']" in shown_text(at.error[0].value)


def test_explore_shows_months_without_a_rolling_year_as_n_a(demo_db, app):
    with store.connect_read(demo_db) as con:
        first = metrics.month_span(con)[0]
    at = app(demo_db, **{"from": first.strftime("%Y-%m"), "view": "rolling"})
    at = visit(at, "pages/explore_page.py")
    no_errors(at)
    rolling = at.dataframe[0].value["Rolling 12-month total"]
    assert rolling.notna().all() and "n/a" in set(rolling)  # the first 11 months read "n/a", never a grey None
