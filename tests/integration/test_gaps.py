"""Months missing inside a source's span are said: by `status` (text and JSON), the ingest summary and a figure's reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sbp import store
from sbp.cli import main
from sbp.ingest import ingest
from sbp.store.status import coverage_lines, month_coverage
from tests.conftest import SHARED, borough_csv

GAP_LINE = "mps_borough (borough): Jan 2022 to Dec 2023, 3 months missing: Jan 2023 to Mar 2023"
POLICE_UK_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
                    "Last outcome category,Context\n")
REAL_BOROUGH_FILES = [SHARED / "mps" / name for name in (
    "mps_borough_level_crime_2010-04_to_2021-11.csv", "mps_borough_level_crime_2021-12_to_2023-11.csv",
    "MPS_Borough_Level_Crime_2024-03_to_2026-02.csv")]


def months(year: int, first: int, last: int) -> list[str]:
    """'YYYYMM' for the months first to last of a year, as the MPS wide layout heads its columns."""
    return [f"{year}{m:02d}" for m in range(first, last + 1)]


def status_json(db: Path, capsys) -> dict:
    assert main(["status", "--db", str(db), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def gap_store(db: Path, tmp_path: Path) -> tuple[Path, list]:
    """Two borough files, 2022 and Apr to Dec 2023: Jan to Mar 2023 are missing."""
    summaries = ingest([borough_csv(tmp_path / "2022.csv", 1, months(2022, 1, 12)),
                        borough_csv(tmp_path / "2023.csv", 1, months(2023, 4, 12))], db=db)
    return db, summaries


def test_the_ingest_summary_says_the_gap_once_for_its_source(gap_store):
    _, (first, second) = gap_store
    assert first.gaps == [] and "gaps" not in first.describe()
    assert second.gaps == [GAP_LINE]
    assert second.describe().endswith(f"\n  gaps after this load: {GAP_LINE}")


def test_status_text_and_json_say_the_missing_months(gap_store, capsys):
    db, _ = gap_store
    assert main(["status", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [GAP_LINE, "    2 file(s), last loaded " + store_loaded_at(db)]
    (source,) = status_json(db, capsys)["sources"]
    assert source["source"] == "mps_borough" and source["files"] == 2 and "file_names" in source
    assert source["missing_months"] == ["2023-01", "2023-02", "2023-03"]
    assert source["missing_runs"] == [{"first": "2023-01", "last": "2023-03", "months": 3}]
    assert source["coverage"] == [{"area_level": "borough", "unit": "", "first_month": "2022-01", "last_month": "2023-12",
                                   "missing_months": ["2023-01", "2023-02", "2023-03"],
                                   "missing_runs": [{"first": "2023-01", "last": "2023-03", "months": 3}]}]


def store_loaded_at(db: Path) -> str:
    with store.connect_read(db) as con:
        return f"{con.execute('SELECT max(loaded_at) FROM source_files').fetchone()[0]:%Y-%m-%d %H:%M}"


def test_the_reason_names_every_missing_month_of_the_window(gap_store, capsys):
    db, _ = gap_store
    assert main(["metric", "--db", str(db), "--measure", "burglary", "--area", "Bromley", "--end", "2023-12", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["current"] is None
    assert result["reason"] == ("Total burglary: no data for Jan 2023, Feb 2023 and Mar 2023 (not loaded), "
                                "so a rolling year including them is unknown.")


def test_many_gaps_give_the_first_runs_and_a_count(db, tmp_path, capsys):
    # Loaded: Jan 2022, Mar 2022, Jun 2022, Aug 2022, Oct 2022, Dec 2022 to Dec 2023 (one file per run of months).
    runs = [(1, 1), (3, 3), (6, 6), (8, 8), (10, 10)]
    files = [borough_csv(tmp_path / f"{first}.csv", 1, months(2022, first, last)) for first, last in runs]
    files.append(borough_csv(tmp_path / "late.csv", 1, months(2022, 12, 12) + months(2023, 1, 12)))
    summaries = ingest(files, db=db)
    line = ("mps_borough (borough): Jan 2022 to Dec 2023, 6 months missing: Feb 2022, Apr 2022 to May 2022, Jul 2022 "
            "and 2 more gaps")
    assert summaries[-1].gaps == [line] and all(not s.gaps for s in summaries[:-1])
    assert main(["status", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == line
    (source,) = status_json(db, capsys)["sources"]
    assert source["missing_months"] == ["2022-02", "2022-04", "2022-05", "2022-07", "2022-09", "2022-11"]
    assert [r["months"] for r in source["missing_runs"]] == [1, 2, 1, 1, 1]
    assert main(["metric", "--db", str(db), "--measure", "burglary", "--area", "Bromley", "--end", "2023-12", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reason"].startswith("Total burglary: no data for 6 months from Feb 2022 (")


def test_no_gap_says_none_missing_and_the_summary_says_nothing(db, tmp_path, capsys):
    (summary,) = ingest([borough_csv(tmp_path / "all.csv", 1)], db=db)
    assert summary.gaps == [] and "gaps" not in summary.describe()
    assert main(["status", "--db", str(db)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "mps_borough (borough): Jan 2022 to Dec 2023, no months missing"
    (source,) = status_json(db, capsys)["sources"]
    assert source["missing_months"] == [] and source["missing_runs"] == []


def test_a_police_uk_force_has_its_own_gaps(db, write_csv):
    rows = "".join(f"x{m},2023-{m:02d},Metropolitan Police Service,Metropolitan Police Service,0.01,51.4,On or near High St,"
                   "E01000676,Bromley 001A,Burglary,Under investigation,\n" for m in (9, 11))
    (summary,) = ingest([write_csv("2023-11-metropolitan-street.csv", POLICE_UK_HEADER + rows)], db=db)
    with store.connect_read(db) as con:
        coverage = month_coverage(con)
        lines = coverage_lines(con)
    # the unit is the force's comparator name (the Met's is London)
    assert {(c.level, c.unit) for c in coverage} == {("borough", "London"), ("lsoa", "London")}
    assert {tuple(f"{m:%Y-%m}" for m in c.missing) for c in coverage} == {("2023-10",)}
    # levels with the same months share one line
    assert lines == summary.gaps == [
        "police_uk (borough, lsoa; London): Sep 2023 to Nov 2023, 1 month missing: Oct 2023"]


@pytest.fixture(scope="module")
def real_gap_store(tmp_path_factory) -> tuple[Path, list]:
    """The three real MPS borough files, Apr 2010 to Feb 2026 without Dec 2023 to Feb 2024 (or skip)."""
    missing = [p.name for p in REAL_BOROUGH_FILES if not p.exists()]
    if missing:
        pytest.skip(f"real MPS borough files not found under {SHARED} ({', '.join(missing)}; set SBP_SHARED_DATA)")
    db = tmp_path_factory.mktemp("real-gaps") / "sbp.duckdb"
    return db, ingest(REAL_BOROUGH_FILES, db=db)


def test_the_real_borough_files_leave_dec_2023_to_feb_2024_missing(real_gap_store, capsys):
    db, summaries = real_gap_store
    line = "mps_borough (borough): Apr 2010 to Feb 2026, 3 months missing: Dec 2023 to Feb 2024"
    assert summaries[-1].gaps == [line] and not summaries[0].gaps and not summaries[1].gaps
    assert main(["status", "--db", str(db)]) == 0
    assert line in capsys.readouterr().out.splitlines()
    sources = {s["source"]: s for s in status_json(db, capsys)["sources"]}
    assert sources["mps_borough"]["missing_months"] == ["2023-12", "2024-01", "2024-02"]


@pytest.mark.parametrize("measure", ["burglary", "violence_with_injury"])
def test_the_real_reason_names_all_three_missing_months(real_gap_store, measure, capsys):
    db, _ = real_gap_store
    assert main(["metric", "--db", str(db), "--measure", measure, "--area", "Bromley", "--end", "2024-11", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["current"] is None
    assert "no data for Dec 2023, Jan 2024 and Feb 2024 (not loaded)" in result["reason"]


def test_the_data_page_lists_each_source_with_its_gaps(gap_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from sbp.display.formatting import shown_text

    db, _ = gap_store
    monkeypatch.setenv("SBP_DB", str(db))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60).run()
    at.switch_page("pages/data_page.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert f"- {GAP_LINE}" in [shown_text(m.value) for m in at.markdown]


@pytest.mark.parametrize(("loaded", "whole"), [([months(2023, 1, 12)], True),                        # only 2023
                                               ([months(2021, 1, 12), months(2023, 1, 12)], True),   # 2022 a gap
                                               ([months(2022, 6, 12) + months(2023, 1, 12)], False)])
def test_a_whole_missing_previous_year_is_said_as_that_year(db, tmp_path, capsys, loaded, whole):
    ingest([borough_csv(tmp_path / f"{i}.csv", 1, m) for i, m in enumerate(loaded)], db=db)
    assert main(["metric", "--db", str(db), "--measure", "burglary", "--area", "Bromley", "--end", "2023-12", "--json"]) == 0
    reason = json.loads(capsys.readouterr().out)["reason"]
    if whole:  # not "Dec 2022 is not loaded", nor "12 months from Jan 2022": the year compared with is missing
        assert reason == ("Total burglary: the previous year (Jan to Dec 2022) is not loaded, so the year to Dec 2023 "
                          "has nothing to compare with.")
    else:      # only some of its months: they are listed
        assert reason == ("Total burglary: no data for 5 months from Jan 2022 (not loaded), so a rolling year including "
                          "them is unknown.")
