"""Months with a large share of offences in borough "Unknown" are named by ingest, status and the board."""

from __future__ import annotations

import json
from pathlib import Path

from sbp import store
from sbp.cli import main
from sbp.ingest import ingest

MONTHS = [f"2020{m:02d}" for m in range(1, 13)] + [f"2021{m:02d}" for m in range(1, 13)]


def borough_file(unknown_by_month: dict[str, int]) -> str:
    text = "MajorText,MinorText,BoroughName," + ",".join(MONTHS) + "\n"
    for borough, value in (("Bromley", 90), ("Croydon", 110)):
        text += f"BURGLARY,RES BURGLARY OF A HOME,{borough}," + ",".join(str(value) for _ in MONTHS) + "\n"
    text += "BURGLARY,RES BURGLARY OF A HOME,Unknown," + ",".join(str(unknown_by_month.get(m, 4)) for m in MONTHS) + "\n"
    return text


def test_a_month_with_many_unattributed_offences_is_named(db: Path, write_csv, capsys) -> None:
    path = write_csv("hist.csv", borough_file({"202003": 50}))  # 50 / 250 = 20%; other months 4 / 204 = 2%
    summaries = ingest([path], db=db)
    assert len(summaries[0].warnings) == 1
    assert "Mar 2020" in summaries[0].warnings[0] and "20%" in summaries[0].warnings[0]
    assert "WARNING" in summaries[0].describe()
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "WARNING" in out and "Mar 2020" in out
    assert main(["status", "--db", str(db), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [w for w in status["warnings"] if "Mar 2020" in w] and status["last_failure"] is None
    assert [s["source"] for s in status["sources"]] == ["mps_borough"]
    with store.connect_read(db) as con:
        import datetime as dt

        assert store.quality_warnings(con, dt.date(2020, 4, 1), dt.date(2021, 3, 1)) == []
        assert len(store.quality_warnings(con, dt.date(2019, 4, 1), dt.date(2020, 3, 1))) == 1


def test_a_steady_share_is_not_flagged(db: Path, write_csv) -> None:
    path = write_csv("steady.csv", borough_file({m: 30 for m in MONTHS}))  # 13% every month: high, but typical of the file
    assert ingest([path], db=db)[0].warnings == []
