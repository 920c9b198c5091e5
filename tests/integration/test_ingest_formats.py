"""Each published format loads exactly: hand-written fixtures compared with expected long rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sbp import store
from sbp.ingest import ingest

COLUMNS = ["month", "area_level", "area_name", "area_code", "borough", "major_category", "minor_category", "offence_count", "source"]


def counts(db) -> pd.DataFrame:
    with store.connect_read(db) as con:
        return con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM crime_counts ORDER BY ALL"
        ).df()


def expected(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS).sort_values(COLUMNS).reset_index(drop=True)
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[us]")
    frame["offence_count"] = frame["offence_count"].astype("int64")
    return frame


def assert_counts(db, rows: list[tuple]) -> None:
    got = counts(db)
    got["month"] = pd.to_datetime(got["month"]).astype("datetime64[us]")
    want = expected(rows)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


MPS_BOROUGH = (
    "MajorText,MinorText,LookUp_BoroughName,202301,202302\r\n"
    "Burglary,Domestic Burglary,Bromley,10,12\r\n"
    'Miscellaneous Crimes Against Society,"Making, Supplying or Possessing Articles for use i",Bromley,0,1\r\n'
    "Burglary,Domestic Burglary,London Heathrow and London City Airports,0,2\r\n"
)


def test_mps_borough_wide_file_becomes_long_rows(db, write_csv):
    ingest([write_csv("borough.csv", MPS_BOROUGH)], db=db)
    misc = "Miscellaneous Crimes Against Society"
    making = "Making, Supplying or Possessing Articles for use i"
    airports = "London Heathrow and London City Airports"
    assert_counts(db, [
        ("2023-01-01", "borough", "Bromley", "", "Bromley", "Burglary", "Domestic Burglary", 10, "mps_borough"),
        ("2023-02-01", "borough", "Bromley", "", "Bromley", "Burglary", "Domestic Burglary", 12, "mps_borough"),
        ("2023-01-01", "borough", "Bromley", "", "Bromley", misc, making, 0, "mps_borough"),
        ("2023-02-01", "borough", "Bromley", "", "Bromley", misc, making, 1, "mps_borough"),
        ("2023-01-01", "borough", airports, "", airports, "Burglary", "Domestic Burglary", 0, "mps_borough"),
        ("2023-02-01", "borough", airports, "", airports, "Burglary", "Domestic Burglary", 2, "mps_borough"),
    ])


def test_older_borough_header_spelling_is_accepted(db, write_csv):
    ingest([write_csv("old.csv", "MajorText,MinorText,BoroughName,201001\nRobbery,Robbery of Personal Property,Bexley,7\n")], db=db)
    assert_counts(db, [("2010-01-01", "borough", "Bexley", "", "Bexley", "Robbery", "Robbery of Personal Property", 7, "mps_borough")])


def test_mps_ward_file_keeps_ward_codes_and_borough(db, write_csv):
    text = (
        "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202310,202311\n"
        "Theft,Shoplifting,Bromley Town,E05013991,Bromley,30,41\n"
        "Theft,Shoplifting,Heathrow Villages,E05013570,Aviation Security (SO18),5,0\n"
    )
    ingest([write_csv("ward.csv", text)], db=db)
    assert_counts(db, [
        ("2023-10-01", "ward", "Bromley Town", "E05013991", "Bromley", "Theft", "Shoplifting", 30, "mps_ward"),
        ("2023-11-01", "ward", "Bromley Town", "E05013991", "Bromley", "Theft", "Shoplifting", 41, "mps_ward"),
        ("2023-10-01", "ward", "Heathrow Villages", "E05013570", "Aviation Security (SO18)", "Theft", "Shoplifting", 5, "mps_ward"),
        ("2023-11-01", "ward", "Heathrow Villages", "E05013570", "Aviation Security (SO18)", "Theft", "Shoplifting", 0, "mps_ward"),
    ])


POLICE_UK_HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n"


def test_police_uk_rows_are_counted_by_month_lsoa_and_type(db, write_csv):
    text = POLICE_UK_HEADER + (
        "abc1,2023-11,Metropolitan Police Service,Metropolitan Police Service,0.01,51.4,On or near High St,E01000676,Bromley 001A,Burglary,Under investigation,\n"
        "abc2,2023-11,Metropolitan Police Service,Metropolitan Police Service,0.01,51.4,On or near High St,E01000676,Bromley 001A,Burglary,Under investigation,\n"
        ",2023-11,Metropolitan Police Service,Metropolitan Police Service,0.01,51.4,On or near Park,E01000676,Bromley 001A,Anti-social behaviour,,\n"
        "abc3,2023-11,Metropolitan Police Service,Metropolitan Police Service,,,No Location,,,Vehicle crime,Under investigation,\n"
        "abc4,2023-10,Metropolitan Police Service,Metropolitan Police Service,0.1,51.5,On or near X,E01032739,City of London 001F,Robbery,,\n"
    )
    summary = ingest([write_csv("2023-11-metropolitan-street.csv", text)], db=db)[0]
    assert summary.unlocated == 1
    assert summary.rows == 5
    assert_counts(db, [
        ("2023-11-01", "lsoa", "Bromley 001A", "E01000676", "Bromley", "Burglary", "Burglary", 2, "police_uk"),
        ("2023-11-01", "lsoa", "Bromley 001A", "E01000676", "Bromley", "Anti-social behaviour", "Anti-social behaviour", 1, "police_uk"),
        ("2023-11-01", "lsoa", "(unlocated)", "", "(unlocated)", "Vehicle crime", "Vehicle crime", 1, "police_uk"),
        ("2023-10-01", "lsoa", "City of London 001F", "E01032739", "City of London", "Robbery", "Robbery", 1, "police_uk"),
        # With no ONS lookup loaded, located rows also count for the district their LSOA name carries.
        ("2023-11-01", "borough", "Bromley", "", "Bromley", "Burglary", "Burglary", 2, "police_uk"),
        ("2023-11-01", "borough", "Bromley", "", "Bromley", "Anti-social behaviour", "Anti-social behaviour", 1, "police_uk"),
        ("2023-10-01", "borough", "City of London", "", "City of London", "Robbery", "Robbery", 1, "police_uk"),
    ])


@pytest.mark.parametrize("month", ["2023-11", "202311", "2023-11-01", "01/11/2023"])
def test_long_format_accepts_each_month_spelling(db, write_csv, month):
    ingest([write_csv("asb.csv", f"month,area,category,count\n{month},Bromley,ASB calls,812\n")], db=db)
    assert_counts(db, [("2023-11-01", "borough", "Bromley", "", "Bromley", "ASB calls", "ASB calls", 812, "long_counts")])


def test_long_format_with_levels_borough_and_major(db, write_csv):
    text = (
        "month,area,category,count,area_level,borough,major_category\n"
        "2023-11,Orpington,Hate crime,4,ward,Bromley,Hate crime\n"
        "2023-11,Bromley,Racist hate crime,20,borough,,Hate crime\n"
    )
    ingest([write_csv("hate.csv", text)], db=db)
    assert_counts(db, [
        ("2023-11-01", "ward", "Orpington", "", "Bromley", "Hate crime", "Hate crime", 4, "long_counts"),
        ("2023-11-01", "borough", "Bromley", "", "Bromley", "Hate crime", "Racist hate crime", 20, "long_counts"),
    ])


def test_population_file_with_and_without_optional_columns(db, write_csv):
    ingest([
        write_csv("pop.csv", "borough,population\nBromley,330000\nBexley,246500\n"),
        write_csv("households.csv", "area,population,year,denominator\nBromley,140000,2021,households\n"),
    ], db=db)
    with store.connect_read(db) as con:
        got = con.execute("SELECT area_level, area_name, year, denominator, population FROM population ORDER BY ALL").fetchall()
    assert got == [
        ("borough", "Bexley", None, "residents", 246500),
        ("borough", "Bromley", 2021, "households", 140000),
        ("borough", "Bromley", None, "residents", 330000),
    ]


def test_utf8_bom_and_cp1252_text_are_accepted(db, write_csv):
    bom = write_csv("bom.csv", "\ufeffmonth,area,category,count\n2023-11,Bromley,Hate crime,3\n")
    cp = write_csv("cp.csv", "month,area,category,count\n2023-11,Bromley,Caf\u00e9 disorder \u2013 night,2\n".encode("cp1252"))
    ingest([bom, cp], db=db)
    with store.connect_read(db) as con:
        cats = {r[0] for r in con.execute("SELECT minor_category FROM crime_counts").fetchall()}
    assert cats == {"Hate crime", "Caf\u00e9 disorder \u2013 night"}


def test_provenance_lists_each_file(db, write_csv):
    ingest([write_csv("borough.csv", MPS_BOROUGH)], db=db)
    with store.connect_read(db) as con:
        row = con.execute("SELECT file_name, file_format, row_count, first_month, last_month FROM source_files").fetchone()
    assert row == ("borough.csv", "mps_borough", 3, dt.date(2023, 1, 1), dt.date(2023, 2, 1))


def test_mps_lsoa_wide_file(db, write_csv):
    text = "LSOA Code,LSOA Name,Borough,Major Category,Minor Category,202311\nE01000676,Bromley 001A,Bromley,Burglary,Domestic Burglary,3\n"
    ingest([write_csv("lsoa.csv", text)], db=db)
    assert_counts(db, [("2023-11-01", "lsoa", "Bromley 001A", "E01000676", "Bromley", "Burglary", "Domestic Burglary", 3, "mps_lsoa")])


def test_one_call_mixes_every_format(db, write_csv):
    police = POLICE_UK_HEADER + "a,2023-11,Metropolitan Police Service,M,0,51,x,E01000676,Bromley 001A,Burglary,,\n"
    summaries = ingest([
        write_csv("long.csv", "month,area,category,count\n2023-11,Bromley,ASB calls,3\n"),
        write_csv("borough.csv", MPS_BOROUGH),
        write_csv("police.csv", police),
        write_csv("more_long.csv", "month,area,category,count\n2023-11,Bromley,Hate crime,2\n"),
        write_csv("pop.csv", "area,population\nBromley,330000\n"),
    ], db=db)
    assert [s.file_format for s in summaries] == ["long_counts", "mps_borough", "police_uk", "long_counts", "population"]
    lsoa_or_mps = counts(db).query("source != 'police_uk' or area_level == 'lsoa'")
    assert dict(lsoa_or_mps.groupby("source")["offence_count"].sum()) == {"long_counts": 5, "mps_borough": 25, "police_uk": 1}
