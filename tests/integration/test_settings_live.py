"""A settings change is seen by every page on the next interaction, without a restart; a bad one is one line."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from sbp import metrics, store
from sbp.config import default_config
from sbp.config.settings import load_settings
from sbp.display.formatting import shown_text
from tests.integration.test_app_pages import html_table

REPO = Path(__file__).resolve().parents[2]
STRICT = 'rag_rule = "significance"\nsignificance_level = 0.0001\n'


def expected_rags(db: Path, settings_file: Path, end) -> list:
    """The first priority's RAG statuses, in its order, as the settings in settings_file give them."""
    with store.connect_read(db) as con:
        rows = metrics.headline(con, "Bromley", end, settings=load_settings(settings_file)).set_index("measure_id")
    first = default_config().priorities[0].measures
    return [rows.loc[m, "rag"] if isinstance(rows.loc[m, "rag"], str) else "No comparison" for m in first]


def board_rags(at: AppTest) -> list[str]:
    """The RAG words of the Overview's first board table (the first priority), in row order."""
    board = next(m.value for m in at.markdown if '<table class="sbp-table sbp-board' in m.value)
    cells = re.findall(r'font-weight:600">([^<]+)</td>', board)  # the RAG cells and the comparison's (coloured too)
    return [c for c in cells if c in ("Green", "Amber", "Red", "No comparison")]


def open_app(store_path: Path, settings_file: Path, settings_text: str, monkeypatch) -> AppTest:
    """The app on a store with a settings file of its own (both set for this test only)."""
    settings_file.write_text(settings_text)
    monkeypatch.setenv("SBP_DB", str(store_path))
    monkeypatch.setenv("SBP_SETTINGS", str(settings_file))
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()


def test_a_settings_change_reaches_every_page_on_the_next_interaction(demo_store, monkeypatch, tmp_path):
    settings_file = tmp_path / "settings.toml"
    at = open_app(demo_store, settings_file, "", monkeypatch)
    end = at.sidebar.selectbox(key="g_end").value
    before = expected_rags(demo_store, settings_file, end)
    assert board_rags(at) == before
    assert any("(95% level, significance_level = 0.05)" in m.value for m in at.markdown)

    settings_file.write_text(STRICT)
    after = expected_rags(demo_store, settings_file, end)
    assert after != before, "the stricter settings must change some RAG status, or this test proves nothing"
    at.run()  # the next interaction
    assert not at.exception and not at.error
    assert board_rags(at) == after
    assert any("(99.99% level, significance_level = 0.0001)" in m.value and "rag_rule = 'significance'" in m.value
               for m in at.markdown)

    at.switch_page("pages/rankings_page.py").run()
    with store.connect_read(demo_store) as con:
        league = metrics.league(con, default_config().measures["total_notifiable_offences"], end,
                                settings=load_settings(settings_file))
    shown = html_table(at, "Borough").set_index("Borough")["RAG"]
    expected = league.set_index("area_name")["rag"].fillna("No comparison")
    assert (shown == expected.reindex(shown.index)).all()

    at.switch_page("pages/priority_page.py").run()
    badge = next(m.value for m in at.markdown if "sbp-badge\" style" in m.value)
    opened = next(rag for rag in after if rag != "No comparison")  # the page opens on its first measure with data
    assert f">{opened}<" in badge


def test_a_bad_settings_file_stops_the_app_with_one_line(demo_store, monkeypatch, tmp_path):
    at = open_app(demo_store, tmp_path / "settings.toml", 'rag_rule = "signficance"\n', monkeypatch)
    assert not at.exception
    [error] = at.error
    shown = shown_text(error.value)  # as the reader sees it (the page escapes Markdown in the message)
    assert "rag_rule = \"signficance\" is not allowed; expected one of 'london', 'significance'" in shown
    assert "\n" not in shown
