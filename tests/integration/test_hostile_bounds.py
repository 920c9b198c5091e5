"""Hostile files, second round (issue 23 items 3, 4 and 9): impossible months, bounded work on any input, every
dashboard sheet read or the file refused. Generated files, small and quick; each test failed before its fix.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from sbp import store
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.integration.test_dashboard_workbook import PUBLISHED, write_xlsx
from tests.integration.test_hostile_files import run_measured

POLICE_HEAD = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
               "Last outcome category,Context\n")
NEXT_MONTH = (dt.date.today().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
THIS_MONTH = dt.date.today().replace(day=1)


def dashboard_row(month: object, count: float = 3.0) -> list:
    return [month, "Borough", "Bromley", "Bromley", "E09000006", "Hate crime", "Hate crime", "Offences", "fy", "x",
            count, dt.date(2023, 8, 1)]


def police_row(month: str, force: str = "Avon and Somerset Constabulary", crime_type: str = "Burglary") -> str:
    return f",{month},{force},{force},-2.5,51.4,On or near X,E01014485,Bristol 001A,{crime_type},,\n"


# --- impossible months: every format, one line with the file, the line and the month ----------------

def wide_file(month: str) -> str:
    return f"MajorText,MinorText,LookUp_BoroughName,{month}\nBurglary,Domestic Burglary,Bromley,3\n"


@pytest.mark.parametrize("fmt,month,line,shown", [
    ("wide", "000112", 1, "000112"), ("wide", "190001", 1, "190001"), ("wide", "199912", 1, "199912"),
    ("wide", f"{NEXT_MONTH:%Y%m}", 1, f"{NEXT_MONTH:%Y%m}"),
    ("long", "1899-12", 3, "1899-12"), ("long", "2100-01", 3, "2100-01"), ("long", "9999-12", 3, "9999-12"),
    ("police", "1999-12", 3, "1999-12"), ("police", "2500-01", 3, "2500-01"),
    ("dashboard.csv", "01/11/1899", 3, "01/11/1899"), ("dashboard.csv", "31/12/9999", 3, "31/12/9999"),
    ("dashboard.xlsx", "01/12/1899", 3, "01/12/1899"), ("dashboard.xlsx", dt.date(1999, 12, 1), 3, "1999-12-01"),
    ("dashboard.xlsx", dt.date(2033, 11, 1), 3, "2033-11-01"), ("dashboard.xlsx", dt.date(2100, 1, 1), 3, "2100-01-01"),
    ("dashboard.xlsx", dt.date(2500, 1, 1), 3, "2500-01-01"), ("dashboard.xlsx", dt.date(9999, 12, 31), 3, "9999-12-31"),
    ("dashboard.xlsx", 10 ** 9, 3, "is not a month"),  # an Excel date serial past year 9999
])
def test_months_before_2000_or_after_this_month_are_refused_in_every_format(db, tmp_path, write_csv, fmt, month, line, shown):
    if fmt == "wide":
        path = write_csv("wide.csv", wide_file(month))
    elif fmt == "long":
        path = write_csv("long.csv", f"month,area,category,count\n2023-11,Bromley,ASB calls,3\n{month},Bromley,ASB calls,4\n")
    elif fmt == "police":
        path = write_csv("police.csv", POLICE_HEAD + police_row("2023-11") + police_row(month))
    elif fmt == "dashboard.csv":
        rows = [dashboard_row("01/11/2023"), dashboard_row(month)]
        path = write_csv("dash.csv", ",".join(PUBLISHED) + "\n" + "".join(
            ",".join([r[0], *map(str, r[1:10]), "3", "01/08/2023"]) + "\n" for r in rows))
    else:
        path = write_xlsx(tmp_path / "dash.xlsx", PUBLISHED, [dashboard_row(dt.date(2023, 11, 1)), dashboard_row(month)])
    with pytest.raises(IngestError) as caught:
        ingest([path], db=db)
    error = caught.value
    assert error.line == line and shown in error.problem, str(error)
    assert any(p in error.problem for p in ("is before Jan 2000", "is after the current month", "is not a month")), str(error)
    assert not store.resolve_db_path(db).exists() or store.data_version(db) is None


def test_the_current_month_and_january_2000_load(db, write_csv):
    ingest([write_csv("long.csv", f"month,area,category,count\n2000-01,Bromley,ASB calls,3\n"
                                  f"{THIS_MONTH:%Y-%m},Bromley,ASB calls,4\n")], db=db)
    with store.connect_read(db) as con:
        assert con.execute("SELECT min(month), max(month) FROM crime_counts").fetchone() == (dt.date(2000, 1, 1), THIS_MONTH)
