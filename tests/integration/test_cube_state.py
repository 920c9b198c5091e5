"""`sbp status` says when the comparison cube is stale (built by an earlier version or under other settings), so an
operator knows pages compute live until `sbp upgrade` rebuilds it; the figures are the same either way."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from sbp import metrics, store
from sbp.cli import main
from sbp.ingest import ingest
from sbp.metrics import materialized as cube

REPO = Path(__file__).resolve().parents[2]


def status(db: Path, capsys) -> tuple[str, str]:
    """(text output, the JSON output's comparison_cube) of `sbp status`."""
    capsys.readouterr()
    assert main(["status", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert main(["status", "--json", "--db", str(db)]) == 0
    return text, json.loads(capsys.readouterr().out)["comparison_cube"]


def headline(db: Path) -> pd.DataFrame:
    with store.connect_read(db) as con:
        return metrics.headline(con, "Bromley", metrics.latest_month(con))


def data_page_warnings(db: Path, monkeypatch) -> list[str]:
    """The warnings the Data page shows on the store at db."""
    monkeypatch.setenv("SBP_DB", str(db))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data_page.py")
    return [w.value for w in at.run().warning]


def test_a_stale_cube_is_reported_until_upgrade_rebuilds_it(demo_db: Path, capsys, monkeypatch) -> None:
    """Fresh: current, no warning. Key from another version: stale, one warning, same figures (live). Upgrade:
    current again."""
    text, state = status(demo_db, capsys)
    assert state == cube.CURRENT and cube.STALE_NOTE not in text
    before = headline(demo_db)
    with store.new_version(demo_db) as con:  # as a store whose cube an earlier version of the queries built
        con.execute("UPDATE store_meta SET value = 'built-by-an-earlier-version' WHERE key = 'comparison_cache_key'")
    text, state = status(demo_db, capsys)
    assert state == cube.STALE
    assert f"WARNING {cube.STALE_NOTE}" in text.splitlines()
    assert any(cube.STALE_NOTE in w for w in data_page_warnings(demo_db, monkeypatch))
    pd.testing.assert_frame_equal(headline(demo_db), before, check_exact=False, rtol=1e-12)
    assert main(["upgrade", "--db", str(demo_db)]) == 0
    text, state = status(demo_db, capsys)
    assert state == cube.CURRENT and cube.STALE_NOTE not in text
    assert not any(cube.STALE_NOTE in w for w in data_page_warnings(demo_db, monkeypatch))


def test_no_borough_year_needs_no_cube(tmp_path: Path, write_csv, capsys) -> None:
    """A store with less than a rolling year of borough data has nothing to build: no warning."""
    months = ["202301", "202302", "202303"]
    path = write_csv("mps_borough_level_crime_short.csv", f"MajorText,MinorText,LookUp_BoroughName,{','.join(months)}\n"
                     f"Burglary,Burglary - residential,Bromley,{','.join('5' for _ in months)}\n")
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([path], db=db)
    text, state = status(db, capsys)
    assert state == cube.NOT_NEEDED and cube.STALE_NOTE not in text
