"""An incomplete month (far fewer offences than the months around it) is not loaded from that file: unknown, never
a near-zero count, and a complete month from another file stands whichever was loaded first."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from sbp import metrics, store
from sbp.cli import main
from sbp.config import default_config
from sbp.ingest import ingest
from tests.conftest import SHARED
from tests.integration.test_admin import app as admin_app  # noqa: F401 (a fixture)

WARD_FILE = SHARED / "mps" / "mps_ward_level_crime_2021-12_to_2023-11.csv"
WARDS = [("Bromley Town", "E05013999"), ("Shortlands & Park Langley", "E05014005")]


def ward_file(path: Path, first: str, counts: list[int]) -> Path:
    """A ward file in the published layout: two Bromley wards, one category, a month per count."""
    y, m = int(first[:4]), int(first[4:])
    months = [f"{y + (m - 1 + i) // 12}{(m - 1 + i) % 12 + 1:02d}" for i in range(len(counts))]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["MajorText", "MinorText", "WardName", "WardCode", "LookUp_BoroughName", *months])
        for name, code in WARDS:
            writer.writerow(["VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", name, code, "Bromley", *counts])
    return path


def stored(db: Path) -> dict[dt.date, int]:
    with store.connect_read(db) as con:
        return dict(con.execute("SELECT month, sum(offence_count) FROM crime_counts WHERE area_level = 'ward' "
                                "GROUP BY ALL ORDER BY ALL").fetchall())


def test_a_stub_first_month_is_not_loaded_and_says_so(tmp_path, capsys):
    recent = ward_file(tmp_path / "recent.csv", "202402", [1] + [600] * 12)
    db = tmp_path / "s.duckdb"
    assert main(["ingest", "--db", str(db), str(recent)]) == 0
    out = capsys.readouterr().out
    assert "WARNING Feb 2024 holds 2 offences at ward level in this file against a median of 1,200" in out, out
    assert "Mar 2024 to Feb 2025" in out  # the file's span is what it loaded
    got = stored(db)
    assert dt.date(2024, 2, 1) not in got and got[dt.date(2024, 3, 1)] == 1200
    ingest([ward_file(tmp_path / "older.csv", "202301", [500] * 12)], db=db)  # to Dec 2023: Jan 2024 is in no file
    with store.connect_read(db) as con:
        measure = default_config().measures["violence_with_injury"]
        year = metrics.metric(con, "Bromley Town", "2025-01", measure, level="ward", within="Bromley")
        months = metrics.series(con, ["Bromley Town"], [measure], "2023-12", "2024-03", level="ward")
    assert year["current"] is None and "Feb 2024" in year["reason"], year  # unknown, never 11 months' sum
    assert months["offence_count"].tolist()[0] == 500 and months["offence_count"].tolist()[3] == 600
    assert months["offence_count"].isna().tolist() == [False, True, True, False]  # n/a, never 0


@pytest.mark.parametrize("order", ["stub first", "complete first"])
def test_a_complete_month_from_another_file_stands_whichever_was_loaded_first(tmp_path, order):
    recent = ward_file(tmp_path / "recent.csv", "202402", [1] + [600] * 12)
    historical = ward_file(tmp_path / "historical.csv", "202301", [500] * 14)  # Jan 2023 to Feb 2024, complete
    files = [recent, historical] if order == "stub first" else [historical, recent]
    db = tmp_path / "s.duckdb"
    for f in files:
        ingest([f], db=db)
    got = stored(db)
    assert got[dt.date(2024, 2, 1)] == 1000 and got[dt.date(2024, 1, 1)] == 1000 and got[dt.date(2024, 3, 1)] == 1200


def test_real_ward_file_with_a_stub_first_month(tmp_path):
    if not WARD_FILE.exists():
        pytest.skip(f"the shared MPS ward file is not at {WARD_FILE} (set SBP_SHARED_DATA)")
    stub = tmp_path / "stub.csv"
    with open(WARD_FILE, newline="", encoding="utf-8-sig") as src, open(stub, "w", newline="", encoding="utf-8") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        first = header.index("202112")
        writer.writerow(header)
        for i, row in enumerate(reader):
            row[first] = "1" if i % 50 == 0 else "0"  # a near-empty first month, as the MPS's recent ward file has
            writer.writerow(row)
    alone = ingest([stub], db=tmp_path / "a.duckdb")[0]
    assert any(w.startswith("Dec 2021 holds") for w in alone.warnings), alone.warnings
    assert dt.date(2021, 12, 1) not in stored(tmp_path / "a.duckdb")
    both = tmp_path / "b.duckdb"
    ingest([WARD_FILE], db=both)
    ingest([stub], db=both)  # the same months again, the first one a stub: the complete one stays
    with open(WARD_FILE, newline="", encoding="utf-8-sig") as src:
        reader = csv.reader(src)
        col = next(reader).index("202112")
        expected = sum(int(r[col]) for r in reader)
    assert stored(both)[dt.date(2021, 12, 1)] == expected


def test_a_stub_month_through_the_data_page_upload(demo_db, admin_app, tmp_path):
    from tests.integration.test_admin import PASSWORD, sign_in

    recent = ward_file(tmp_path / "recent.csv", "202402", [1] + [600] * 12)
    at = sign_in(admin_app(demo_db, "pages/data_page.py"), "analyst", PASSWORD)
    at.file_uploader[0].set_value(("recent.csv", recent.read_bytes(), "text/csv"))
    at.run()
    at.button(key="data_load").click().run()
    assert not at.error, [e.value for e in at.error]
    shown = " ".join(m.value for m in at.markdown)
    assert "Feb 2024 holds 2 offences" in shown, shown
    assert dt.date(2024, 2, 1) not in stored(demo_db)
