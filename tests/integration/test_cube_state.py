"""`sbp status` says when the comparison cube is stale (built by an earlier version or under other settings), so an
operator knows pages compute live until `sbp upgrade` rebuilds it; the figures are the same either way."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sbp import metrics, store
from sbp.cli import CUBE_STALE, main
from sbp.ingest import ingest
from sbp.metrics import materialized as cube


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


def test_a_stale_cube_is_reported_until_upgrade_rebuilds_it(demo_db: Path, capsys) -> None:
    """Fresh: current, no warning. Key from another version: stale, one warning, same figures (live). Upgrade:
    current again."""
    text, state = status(demo_db, capsys)
    assert state == cube.CURRENT and CUBE_STALE not in text
    before = headline(demo_db)
    with store.new_version(demo_db) as con:  # as a store whose cube an earlier version of the queries built
        con.execute("UPDATE store_meta SET value = 'built-by-an-earlier-version' WHERE key = 'comparison_cache_key'")
    text, state = status(demo_db, capsys)
    assert state == cube.STALE
    assert f"WARNING {CUBE_STALE}" in text.splitlines()
    pd.testing.assert_frame_equal(headline(demo_db), before, check_exact=False, rtol=1e-12)
    assert main(["upgrade", "--db", str(demo_db)]) == 0
    text, state = status(demo_db, capsys)
    assert state == cube.CURRENT and CUBE_STALE not in text


def test_no_borough_year_needs_no_cube(tmp_path: Path, write_csv, capsys) -> None:
    """A store with less than a rolling year of borough data has nothing to build: no warning."""
    months = ["202301", "202302", "202303"]
    path = write_csv("mps_borough_level_crime_short.csv", f"MajorText,MinorText,LookUp_BoroughName,{','.join(months)}\n"
                     f"Burglary,Burglary - residential,Bromley,{','.join('5' for _ in months)}\n")
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([path], db=db)
    text, state = status(db, capsys)
    assert state == cube.NOT_NEEDED and CUBE_STALE not in text
