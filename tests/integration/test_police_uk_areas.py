"""police.uk rows placed in local authorities by the ONS lookups; force comparator groups; the Bristol figures."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from sbp import metrics, store
from sbp.config import police_uk_measures
from sbp.errors import IngestError, UnknownNameError
from sbp.ingest import ingest
from tests.conftest import REPO, SHARED

POLICE_UK_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                    "Crime type,Last outcome category,Context\n")
LSOA_HEADER = "LSOA21CD,LSOA21NM,LSOA21NMW,WD25CD,WD25NM,WD25NMW,LAD25CD,LAD25NM,LAD25NMW,ObjectId\n"
FORCE_HEADER = "LAD17CD,LAD17NM,CSP17CD,CSP17NM,PFA17CD,PFA17NM,FID\n"
AS = "Avon and Somerset Constabulary"


def lookup() -> str:
    """Two Avon and Somerset areas (Bristol; Somerset, merged from Mendip and Sedgemoor) and Wiltshire."""
    return LSOA_HEADER + (
        "E01000001,Bristol 001A,,W1,Ward 1,,E06000023,\"Bristol, City of\",,1\n"
        "E01000002,Bristol 001B,,W1,Ward 1,,E06000023,\"Bristol, City of\",,2\n"
        "E01000003,Mendip 001A,,W2,Ward 2,,E06000066,Somerset,,3\n"
        "E01000004,Sedgemoor 001A,,W3,Ward 3,,E06000066,Somerset,,4\n"
        "E01000005,Wiltshire 001A,,W4,Ward 4,,E06000054,Wiltshire,,5\n"
        "E01000006,Wiltshire 001B,,W4,Ward 4,,E06000054,Wiltshire,,6\n"
    )


def forces() -> str:
    return FORCE_HEADER + (
        "E06000023,\"Bristol, City of\",E22000001,Bristol,E23000036,Avon and Somerset,1\n"
        "E06000054,Wiltshire,E22000002,Wiltshire,E23000038,Wiltshire,2\n"
    )


def street(month: str, rows: list[tuple[str, str, str]], force: str = AS) -> str:
    """A police.uk file: (LSOA code, LSOA name, crime type) per crime."""
    return POLICE_UK_HEADER + "".join(
        f"x,{month},{force},{force},0,51,On or near X,{code},{name},{kind},,\n" for code, name, kind in rows
    )


def borough_counts(db) -> dict[str, int]:
    with store.connect_read(db) as con:
        return dict(con.execute(
            "SELECT area_name, sum(offence_count) FROM crime_counts WHERE source = 'police_uk' AND area_level = 'borough' "
            "GROUP BY ALL").fetchall())


def test_rows_are_placed_by_code_old_codes_by_district_and_the_rest_reported(db, write_csv):
    rows = [
        ("E01000001", "Bristol 001A", "Burglary"), ("E01000002", "Bristol 001B", "Burglary"),
        ("E01000003", "Mendip 001A", "Drugs"),
        ("E01999999", "Sedgemoor 009Z", "Drugs"),      # a 2011 code the 2021 lookup lacks: placed by its district
        ("E01888888", "Taunton Deane 001A", "Drugs"),  # a 2011 district whose 2021 successor this lookup lacks
        ("", "", "Robbery"),                            # no location
        ("E01000005", "Wiltshire 001A", "Burglary"),   # recorded by Avon and Somerset, happened in Wiltshire
    ]
    files = [write_csv("street.csv", street("2023-01", rows)), write_csv("lsoa.csv", lookup()),
             write_csv("pfa.csv", forces())]
    ingest(files, db=db)
    # Loaded in the other order (lookups first) the result is the same.
    assert borough_counts(db) == {"Bristol": 2, "Somerset": 2, "Wiltshire": 1}
    with store.connect_read(db) as con:
        quality = con.execute("SELECT offence_count, unlocated, by_name, unmapped, outside_force FROM police_uk_quality").fetchall()
        stray = dict(con.execute("SELECT area_name, stray FROM area_force").fetchall())
        aliases = con.execute("SELECT alias, area_name FROM area_alias").fetchall()
    assert quality == [(7, 1, 1, 1, 1)]
    assert stray == {"Bristol": False, "Somerset": False, "Wiltshire": True}
    assert ("Bristol, City of", "Bristol") in aliases


def test_lookup_loaded_after_the_street_files_places_them_the_same(db, write_csv, tmp_path):
    rows = [("E01000001", "Bristol 001A", "Burglary"), ("E01999999", "Sedgemoor 009Z", "Drugs")]
    ingest([write_csv("street.csv", street("2023-01", rows))], db=db)
    assert borough_counts(db) == {"Bristol": 1, "Sedgemoor": 1}  # no lookup yet: the district in the LSOA name
    ingest([write_csv("lsoa.csv", lookup())], db=db)
    assert borough_counts(db) == {"Bristol": 1, "Somerset": 1}


def test_a_code_without_a_name_and_no_lookup_is_reported_unmapped_not_a_crash(db, write_csv):
    # Found by the fuzz test: without a lookup only the LSOA name places a row, so a bare code cannot be placed.
    rows = [("E01000001", "", "Burglary"), ("E01000001", "Bristol 001A", "Burglary")]
    ingest([write_csv("street.csv", street("2023-01", rows))], db=db)
    assert borough_counts(db) == {"Bristol": 1}
    with store.connect_read(db) as con:
        assert con.execute("SELECT offence_count, unmapped FROM police_uk_quality").fetchall() == [(2, 1)]


def test_a_newer_file_for_the_same_force_and_month_replaces_it_but_not_another_forces(db, write_csv):
    ingest([write_csv("lsoa.csv", lookup()),
            write_csv("a.csv", street("2023-01", [("E01000001", "Bristol 001A", "Burglary")] * 3)),
            write_csv("w.csv", street("2023-01", [("E01000001", "Bristol 001A", "Drugs")], force="Wiltshire Police"))], db=db)
    ingest([write_csv("a2.csv", street("2023-01", [("E01000001", "Bristol 001A", "Burglary")] * 2))], db=db)
    assert borough_counts(db) == {"Bristol": 3}


def year_of(force_rows: dict[str, int], force: str = AS) -> list[str]:
    """Twelve monthly police.uk files for 2023: force_rows maps LSOA code|name to burglaries per month."""
    return [street(f"2023-{m:02d}", [(*k.split("|"), "Burglary") for k, n in force_rows.items() for _ in range(n)], force)
            for m in range(1, 13)]


def test_areas_are_ranked_within_their_force_and_strays_never_appear(db, write_csv):
    files = [write_csv(f"s{i}.csv", text) for i, text in enumerate(year_of(
        {"E01000001|Bristol 001A": 3, "E01000002|Bristol 001B": 1, "E01000003|Mendip 001A": 1,
         "E01000004|Sedgemoor 001A": 1, "E01000005|Wiltshire 001A": 1}))]
    population = write_csv("pop.csv", "area,population,year\nBristol,40000,2021\nSomerset,10000,2021\nWiltshire,1000,2021\n")
    ingest(files + [write_csv("lsoa.csv", lookup()), write_csv("pfa.csv", forces()), population], db=db)
    measure = police_uk_measures()["all_crime"]
    with store.connect_read(db) as con:
        league = metrics.league(con, measure, "2023-12")
        result = metrics.metric(con, "Bristol, City of", "2023-12", measure)
        with pytest.raises(UnknownNameError):
            metrics.metric(con, "Wiltshire", "2023-12", measure)
    assert list(league["area_name"]) == ["Bristol", "Somerset"]   # 12 a year per 1,000 vs 24
    assert result["area"] == "Bristol" and result["current"] == 48 and result["rank"] == 1 and result["rank_of"] == 2
    assert result["comparator_name"] == "Avon and Somerset" and result["comparator_current"] == 72
    assert result["london_current"] is None and result["previous"] is None


def test_a_london_borough_works_from_police_uk_data_with_london_as_its_comparator(db, write_csv):
    met = "Metropolitan Police Service"
    lsoa = LSOA_HEADER + ("E01000676,Bromley 001A,,W,W,,E09000006,Bromley,,1\n"
                          "E01000677,Bexley 001A,,W,W,,E09000004,Bexley,,2\n")
    files = [write_csv(f"m{i}.csv", t) for i, t in enumerate(year_of({"E01000676|Bromley 001A": 2, "E01000677|Bexley 001A": 1}, met))]
    population = write_csv("pop.csv", "area,population\nBromley,10000\nBexley,10000\n")
    ingest(files + [write_csv("lsoa.csv", lsoa), population], db=db)
    with store.connect_read(db) as con:
        result = metrics.metric(con, "Bromley", "2023-12", police_uk_measures()["police_uk_burglary"])
    assert (result["current"], result["rank"], result["rank_of"]) == (24, 2, 2)
    assert result["comparator_name"] == "London" and result["comparator_current"] == result["comparator_current"] == 36


def test_police_uk_measures_never_count_mps_rows(db, write_csv):
    mps = "MajorText,MinorText,LookUp_BoroughName," + ",".join(f"2023{m:02d}" for m in range(1, 13)) + "\n"
    mps += "Burglary,Domestic Burglary,Bromley," + ",".join(["5"] * 12) + "\n"
    ingest([write_csv("mps.csv", mps), write_csv("pop.csv", "area,population\nBromley,10000\n")], db=db)
    with store.connect_read(db) as con:
        result = metrics.metric(con, "Bromley", "2023-12", police_uk_measures()["all_crime"])
    assert result["current"] is None and "police.uk street-level files" in result["reason"]


def test_a_workbook_that_is_not_the_ons_estimates_is_refused_in_one_line(db, write_csv):
    bogus = write_csv("book.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(IngestError) as err:
        ingest([bogus], db=db)
    assert err.value.file_name == "book.xls" and "\n" not in str(err.value)
    assert not store.exists(db)


# --- the real files -----------------------------------------------------------------------------

REAL_POLICE = SHARED / "police_uk" / "avon-and-somerset"
REAL_GEOGRAPHY = SHARED / "geography"
REAL_POPULATION = SHARED / "population"


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """The shared police.uk, lookup and population files loaded with `python -m sbp ingest`, as a user would."""
    if not REAL_POLICE.exists() or not REAL_GEOGRAPHY.exists():
        pytest.skip(f"real police.uk and geography files not found under {SHARED}")
    db = tmp_path_factory.mktemp("bristol") / "sbp.duckdb"
    files = sorted(REAL_POLICE.glob("*.csv")) + sorted(REAL_GEOGRAPHY.glob("LSOA_2021*.csv")) + \
        sorted(REAL_GEOGRAPHY.glob("Local_Authority*.csv")) + sorted(REAL_POPULATION.glob("*.xls"))
    done = subprocess.run([sys.executable, "-m", "sbp", "ingest", "--db", str(db), *map(str, files)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return db, done.stdout


def independent_bristol() -> tuple[int, float]:
    """Bristol's 2023 crimes (not ASB) from the raw files by LSOA code, and their rate on the mid-2021 population."""
    from python_calamine import CalamineWorkbook

    con = duckdb.connect()
    lookup_csv = next(REAL_GEOGRAPHY.glob("LSOA_2021*.csv"))
    # By 2021 code; rows with a code the 2021 lookup lacks (2011 codes, Jan-May) by the "Bristol" in the LSOA name.
    count = con.execute(
        f"""SELECT count(*) FROM read_csv('{REAL_POLICE}/*.csv') p LEFT JOIN read_csv('{lookup_csv}') g
        ON p."LSOA code" = g.LSOA21CD
        WHERE p."Crime type" <> 'Anti-social behaviour'
          AND (g.LAD25CD = 'E06000023' OR (g.LSOA21CD IS NULL AND p."LSOA name" LIKE 'Bristol ____'))"""
    ).fetchone()[0]
    book = CalamineWorkbook.from_path(str(REAL_POPULATION / "ukpopestimatesmid2021on2021geographyfinal.xls"))
    rows = book.get_sheet_by_name("MYE2 - Persons").to_python()
    population = next(r[3] for r in rows if r[0] == "E06000023")
    return count, count * 1000 / population


def test_real_bristol_figures_match_an_independent_computation(real_store):
    db, _ = real_store
    done = subprocess.run([sys.executable, "-m", "sbp", "metric", "--db", str(db), "--area", "Bristol", "--end", "2023-12",
                           "--measure", "all_crime", "--json"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    count, rate = independent_bristol()
    assert result["current"] == count
    assert result["rate_per_1000"] == pytest.approx(rate)
    assert result["population"] == 471117                     # mid-2021, "Bristol, City of" in the workbook
    assert (result["rank_of"], result["comparator_name"]) == (5, "Avon and Somerset")  # Somerset as one area
    assert result["previous"] is None and result["pct_change"] is None  # 2022 is not loaded
    # Every row with an LSOA is placed (2011 codes by district, Taunton Deane's too); rows with no location are not.
    assert result["unmapped_rows"] == 0 and result["unlocated_rows"] > 0 and "no area" in result["data_note"]


def test_real_ingest_and_status_report_unplaced_rows(real_store):
    db, out = real_store
    assert "Avon and Somerset Constabulary" in out and "with no location" in out and "other forces' areas" in out
    done = subprocess.run([sys.executable, "-m", "sbp", "status", "--db", str(db)], cwd=REPO, capture_output=True, text=True)
    assert "2011 LSOA codes placed by district" in done.stdout and "Taunton Deane -> Somerset" in done.stdout
    assert "none unplaced" in done.stdout
    with store.connect_read(db) as con:
        somerset = con.execute("SELECT population FROM population WHERE area_name = 'Somerset' AND year = 2021").fetchone()
    # Somerset (2023) = Mendip + Sedgemoor + South Somerset + Somerset West and Taunton, mid-2021: the county's total.
    assert somerset == (573119,)


def test_a_lookup_with_a_repeated_lsoa_is_refused_in_one_line(db, write_csv):
    bad = lookup() + "E01000001,Bristol 001A,,W1,Ward 1,,E06000023,\"Bristol, City of\",,7\n"
    with pytest.raises(IngestError, match="E01000001 appears more than once"):
        ingest([write_csv("lsoa.csv", bad)], db=db)
    assert not store.exists(db)
