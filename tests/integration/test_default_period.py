"""The default period: the latest month at which every board measure is known, the same in the dashboard, the
report and the command line (the browser shows it on the shared files: tests/browser/test_default_period.py)."""

from __future__ import annotations

import datetime as dt
import json

from sbp import metrics, store
from sbp.cli import main
from sbp.config import default_config
from sbp.display.pageviews import period_note, period_option
from tests.integration.test_dashboard_workbook import MIRROR, as_csv_rows

MONTHS = [dt.date(2021 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 37)]  # Jan 2021 to Dec 2023


def files(tmp_path):
    """MPS violence with injury to Dec 2023; the workbook's hate crime to Jun 2023; a population."""
    borough = tmp_path / "borough.csv"
    borough.write_text("MajorText,MinorText,LookUp_BoroughName," + ",".join(f"{m:%Y%m}" for m in MONTHS) + "\n"
                       + "Violence Against the Person,Violence with Injury,Bromley," + ",".join("30" for _ in MONTHS) + "\n")
    rows = [[m, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Offences", "fy", "x", 4.0, m]
            for m in MONTHS[:30]]
    workbook = tmp_path / "dashboard.csv"
    workbook.write_text(",".join(MIRROR) + "\n" + "".join(",".join(r) + "\n" for r in as_csv_rows(rows)))
    population = tmp_path / "pop.csv"
    population.write_text("area,population\nBromley,330000\n")
    return [borough, workbook, population]


def test_the_default_is_the_latest_month_with_every_board_measure(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    assert main(["ingest", "--db", str(db), *map(str, files(tmp_path))]) == 0
    capsys.readouterr()
    config = default_config()
    with store.connect_read(db) as con:
        coverage = metrics.period_coverage(con, "Bromley")
        assert coverage.default_end == dt.date(2023, 6, 1) == metrics.default_end(con, "Bromley")
    assert coverage.missing_after_default(dt.date(2023, 12, 1)) == ("hate_crime",)
    assert coverage.missing_after_default(dt.date(2023, 6, 1)) == ()
    assert period_option(dt.date(2023, 12, 1), coverage) == "Dec 2023 (1 n/a)"
    assert period_option(dt.date(2023, 6, 1), coverage) == "Jun 2023"
    note = period_note(dt.date(2023, 12, 1), coverage, config)
    assert "Hate crime" in note and "Jun 2023 is the latest month with every board measure" in note
    # the command line: metric and rank without --end, and the report
    assert main(["metric", "--db", str(db), "--measure", "violence_with_injury", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["end"] == "2023-06"
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "r.html")]) == 0
    assert "rolling year to Jun 2023" in capsys.readouterr().out
    assert "Jun 2023" in (tmp_path / "r.html").read_text()
    # an explicit --end still wins
    assert main(["metric", "--db", str(db), "--measure", "violence_with_injury", "--end", "2023-12", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["end"] == "2023-12"
