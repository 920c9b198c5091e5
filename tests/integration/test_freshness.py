"""Freshness: a new ingest is what the app shows next, without a restart, and the stamp tells the truth.

store.data_version() changes after every successful ingest and not after a skipped (already loaded)
or refused one. Through sbp.web.appdata (Streamlit's caches in bare mode: outside a Streamlit run
st.cache_data and st.cache_resource still cache, in memory) the stamp the app shows (the latest
loaded_at and last month) equals the provenance table, and after an ingest the next call keyed on the
new data_version() gets a new cursor and the new numbers, while calls keyed on the old version are
still answered from the cache. Finally the whole app in AppTest: the same session shows the new
numbers on its next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.errors import IngestError
from sbp.ingest import ingest
from sbp.display.formatting import data_stamp, shown_text
from tests.conftest import BOROUGH_MONTHS as MONTHS, borough_csv

REPO = Path(__file__).resolve().parents[2]
END = dt.date(2023, 12, 1)


@pytest.fixture
def appdata(db, monkeypatch):
    """sbp.web.appdata outside a Streamlit run, reading the test's store, with empty caches."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import streamlit as st

    from sbp.web import appdata as module

    monkeypatch.setenv("SBP_DB", str(db))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield module
    st.cache_data.clear()
    st.cache_resource.clear()


def total_notifiable(frame) -> int:
    return int(frame.set_index("measure_id").loc["total_notifiable_offences", "current"])


def test_data_version_changes_after_each_successful_ingest_only(db, tmp_path):
    assert store.data_version(db) == ""
    first, second = borough_csv(tmp_path / "first.csv", 1), borough_csv(tmp_path / "second.csv", 2)
    seen = []

    ingest([first], db=db)
    seen.append(store.data_version(db))
    assert seen[-1] != ""

    summaries = ingest([first], db=db)                    # the same file again: skipped, nothing published
    assert summaries[0].skipped
    assert store.data_version(db) == seen[-1]

    ingest([second], db=db)
    seen.append(store.data_version(db))

    assert all(s.skipped for s in ingest([first, second], db=db))
    assert store.data_version(db) == seen[-1]

    bad = tmp_path / "bad.csv"
    bad.write_text("MajorText,MinorText,LookUp_BoroughName,202401\nBurglary,Domestic Burglary,Bromley,x\n")
    with pytest.raises(IngestError):
        ingest([bad], db=db)
    assert store.data_version(db) == seen[-1], "a refused ingest publishes nothing"

    ingest([borough_csv(tmp_path / "third.csv", 3)], db=db)
    seen.append(store.data_version(db))
    assert len(set(seen)) == 3, "every successful ingest gives a new version, never an old one again"


def test_the_stamp_shown_equals_the_provenance_table(appdata, db, tmp_path):
    ingest([borough_csv(tmp_path / "to_2023_06.csv", 1, months=MONTHS[:18])], db=db)
    v1 = appdata.inputs()
    info1, files1 = appdata.store_info(v1), appdata.loaded_files(v1)
    ingest([borough_csv(tmp_path / "to_2023_12.csv", 1)], db=db)
    v2 = appdata.inputs()
    assert v2 != v1
    info2, files2 = appdata.store_info(v2), appdata.loaded_files(v2)

    for info, files in ((info1, files1), (info2, files2)):
        assert info.loaded_at == files["loaded_at"].max()
        assert info.last_month == files["last_month"].max().date()
        stamp = data_stamp(info.last_month, info.loaded_at)
        assert stamp == f"Data to {files['last_month'].max():%b %Y}, loaded {files['loaded_at'].max():%-d %b %Y}"
    assert info1.last_month == dt.date(2023, 6, 1) and len(files1) == 1
    assert info2.last_month == dt.date(2023, 12, 1) and len(files2) == 2
    assert info2.loaded_at > info1.loaded_at
    # loaded_at is the local wall-clock time of the load (what an admin expects to read).
    assert abs(info2.loaded_at - dt.datetime.now()) < dt.timedelta(minutes=5)
    # Calls keyed on the old version are still answered from the cache, unchanged.
    assert appdata.store_info(v1) == info1


def test_a_call_keyed_on_an_older_version_reads_that_version(appdata, db, tmp_path):
    ingest([borough_csv(tmp_path / "to_2023_06.csv", 1, months=MONTHS[:18])], db=db)
    v1 = appdata.inputs()            # a page run starts and reads the version...
    ingest([borough_csv(tmp_path / "to_2023_12.csv", 1)], db=db)   # ...an ingest publishes meanwhile...
    assert appdata.store_info(v1).last_month == dt.date(2023, 6, 1)  # ...its first query is keyed on v1


def test_a_new_ingest_is_served_on_the_next_call_without_restarting(appdata, db, tmp_path, monkeypatch):
    ingest([borough_csv(tmp_path / "original.csv", 1)], db=db)
    v1 = appdata.inputs()
    calls = []
    real_headline = metrics.headline
    monkeypatch.setattr(metrics, "headline", lambda con, *a, **k: calls.append(a) or real_headline(con, *a, **k))

    before = appdata.headline(v1, "Bromley", END)
    assert appdata.headline(v1, "Bromley", END).equals(before)
    assert len(calls) == 1, "st.cache_data caches in bare mode: the second call did not query"
    old_cursor_file = appdata.cursor(v1).execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]

    ingest([borough_csv(tmp_path / "revised.csv", 3)], db=db)     # every month revised to 3x
    v2 = appdata.inputs()
    assert v2 != v1

    after = appdata.headline(v2, "Bromley", END)
    assert len(calls) == 2, "the new version is a new cache key, so it queried again"
    assert total_notifiable(after) == 3 * total_notifiable(before)
    assert appdata.latest_month(v2) == END
    new_cursor_file = appdata.cursor(v2).execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    assert new_cursor_file != old_cursor_file
    assert Path(new_cursor_file).resolve() == store.current_version_file(db).resolve()

    # A session still keyed on the old version (mid-run) is answered consistently from the cache and
    # its still-open connection, never from a mixture.
    assert appdata.headline(v1, "Bromley", END).equals(before)
    assert appdata.cursor(v1).execute("SELECT sum(offence_count) FROM crime_counts").fetchone()[0] * 3 == \
        appdata.cursor(v2).execute("SELECT sum(offence_count) FROM crime_counts").fetchone()[0]
    assert len(calls) == 2


def test_the_running_app_shows_a_new_ingest_on_its_next_run(db, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    ingest([borough_csv(tmp_path / "original.csv", 1)], db=db)
    monkeypatch.setenv("SBP_DB", str(db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.query_params["borough"] = "Bromley"
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    def shown() -> tuple[str, str]:
        stamp = next(m.value for m in at.markdown if 'class="sbp-stamp"' in m.value)
        table = next(m.value for m in at.markdown if '<table class="sbp-table sbp-board' in m.value)
        return stamp, table

    stamp1, numbers1 = shown()
    assert "Data to Dec 2023" in stamp1

    ingest([borough_csv(tmp_path / "revised.csv", 2, months=MONTHS + ["202401"])], db=db)
    at.run()                                              # the same session, no restart
    assert not at.exception, [e.value for e in at.exception]
    stamp2, numbers2 = shown()
    assert "Data to Jan 2024" in stamp2
    assert numbers2 != numbers1

    # A refresh that then fails leaves the new data on screen and the Data page says so.
    bad = tmp_path / "bad.csv"
    bad.write_text("MajorText,MinorText,LookUp_BoroughName,202402\nBurglary,Domestic Burglary,Bromley,-3\n")
    with pytest.raises(IngestError):
        ingest([bad], db=db)
    at.switch_page("pages/data_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = [shown_text(w.value) for w in at.warning]   # the page escapes Markdown characters
    assert any("The last refresh failed" in w and "bad.csv, line 2" in w and "Jan 2024" in w for w in warnings), warnings
