"""police.uk rows with 2011 LSOA codes (which the 2021 lookup lacks) placed in today's authorities.

Through the ONS LSOA 2011 -> 2021 lookup when it is loaded; otherwise by the district in the LSOA name, including
districts abolished before the 2021 LSOAs were named (data/lsoa11_districts.csv: "Taunton Deane" lies wholly in
Somerset West and Taunton, now Somerset); otherwise unplaced.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.config import areas
from sbp.errors import IngestError
from sbp.ingest import geography, ingest
from tests.conftest import REPO, SHARED

POLICE = SHARED / "police_uk" / "avon-and-somerset"
GEOGRAPHY = SHARED / "geography"
POPULATION = SHARED / "population"
REAL_LOOKUP = GEOGRAPHY / "LSOA_2021_to_Electoral_Ward_2025_to_LAD_2025_Best_Fit_Lookup_in_EW_v2.csv"

# The published layouts: the police.uk street-level file and the two ONS lookups (as downloaded, with a BOM).
STREET_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
                 "Last outcome category,Context\n")
LOOKUP21_HEADER = "LSOA21CD,LSOA21NM,LSOA21NMW,WD25CD,WD25NM,WD25NMW,LAD25CD,LAD25NM,LAD25NMW,ObjectId\n"
LOOKUP11_HEADER = "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId\n"
FORCE = "Avon and Somerset Constabulary"
# The Somerset districts (2023: one authority, E06000066), as 2011 and 2021 LSOA names carry them.
SOMERSET_DISTRICTS = ("Taunton Deane", "West Somerset", "Somerset West and Taunton", "Mendip", "Sedgemoor",
                      "South Somerset")

# Rows as in the 2023 Avon and Somerset files: a 2011 code for Taunton Deane and one for Mendip (neither in the
# 2021 lookup), a 2021 code, a code in neither lookup whose district no lookup knows, and a row with no location.
TAUNTON_2011 = ("E01029309", "Taunton Deane 012A")
MENDIP_2011 = ("E01029026", "Mendip 002C")
MENDIP_2021 = ("E01029022", "Mendip 001A")
NOWHERE = ("E01099999", "Atlantis 001A")  # invented: a district in no lookup and not in data/lsoa11_districts.csv
UNLOCATED = ("", "")


def street(month: str, rows: dict[tuple[str, str], int]) -> str:
    """A police.uk street-level file: rows maps (LSOA code, LSOA name) to how many crimes."""
    lines = [
        f"{i:064x},{month},{FORCE},{FORCE},-3.103000,51.015000,On or near Station Road,{code},{name},"
        f"Violence and sexual offences,Status update unavailable,\n"
        for i, (code, name) in enumerate(key for key, n in rows.items() for _ in range(n))
    ]
    return STREET_HEADER + "".join(lines)


def lookup21() -> str:
    """A 2021 lookup in the published layout: Somerset as today (2021 districts Mendip, Somerset West and Taunton)."""
    return LOOKUP21_HEADER + (
        "E01029022,Mendip 001A,,E05014361,Frome North,,E06000066,Somerset,,1\n"
        "E01029258,Somerset West and Taunton 006A,,E05014368,Lydeard,,E06000066,Somerset,,2\n"
        "E01029090,Sedgemoor 010A,,E05014340,Bridgwater Dunwear,,E06000066,Somerset,,3\n"
        "E01014601,Bristol 001A,,E05010901,Henbury and Brentry,,E06000023,\"Bristol, City of\",,4\n"
        "E01035001,Somerset West and Taunton 012F,,E05014368,Lydeard,,E06000066,Somerset,,5\n"
        "E01035002,Somerset West and Taunton 012G,,E05014339,Bishop's Hull & Taunton West,,E06000066,Somerset,,6\n"
        "E01035003,Mendip 002F,,E05014361,Frome North,,E06000066,Somerset,,7\n"
        "E01035010,Bristol 032G,,E05010886,Bishopston and Ashley Down,,E06000023,\"Bristol, City of\",,8\n"
        "E01035011,South Gloucestershire 099A,,E05010000,Filton,,E06000025,South Gloucestershire,,9\n"
    )


def lookup11() -> str:
    """A 2011 -> 2021 lookup in the published layout (LAD22: before Somerset's merger). Illustrative 2021 codes:
    Taunton Deane 012A split in two (both in Somerset), Mendip 002C merged with a neighbour, Bristol 032B split
    across two authorities."""
    return LOOKUP11_HEADER + (
        "E01029309,Taunton Deane 012A,E01035001,Somerset West and Taunton 012F,S,E07000246,Somerset West and Taunton,,1\n"
        "E01029309,Taunton Deane 012A,E01035002,Somerset West and Taunton 012G,S,E07000246,Somerset West and Taunton,,2\n"
        "E01029026,Mendip 002C,E01035003,Mendip 002F,M,E07000187,Mendip,,3\n"
        "E01029027,Mendip 002D,E01035003,Mendip 002F,M,E07000187,Mendip,,4\n"
        "E01014540,Bristol 032B,E01035010,Bristol 032G,X,E06000023,\"Bristol, City of\",,5\n"
        "E01014540,Bristol 032B,E01035011,South Gloucestershire 099A,X,E06000025,South Gloucestershire,,6\n"
        "E01029022,Mendip 001A,E01029022,Mendip 001A,U,E07000187,Mendip,,7\n"
    )


def counts(db: Path, level: str) -> dict[str, int]:
    """police.uk offences per area at a level (the borough column, i.e. the authority, for lsoa and ward rows)."""
    with store.connect_read(db) as con:
        return dict(con.execute(
            "SELECT borough, sum(offence_count) FROM crime_counts WHERE source = 'police_uk' AND area_level = $level "
            "GROUP BY ALL", {"level": level}).fetchall())


def quality(db: Path) -> tuple[int, ...]:
    with store.connect_read(db) as con:
        return con.execute("SELECT sum(offence_count), sum(unlocated), sum(by_lsoa11), sum(by_name), sum(unmapped) "
                           "FROM police_uk_quality").fetchone()


def placed(db: Path) -> dict[tuple[str, str, str], int]:
    """(district, how placed, area) -> rows, for the rows whose LSOA code the 2021 lookup lacks."""
    with store.connect_read(db) as con:
        rows = con.execute("SELECT district, placed_by, area_name, sum(offence_count) FROM police_uk_lsoa11 GROUP BY ALL")
        return {(d, p, a): n for d, p, a, n in rows.fetchall()}


@pytest.fixture(params=["hand-written", "real"])
def lookup_2021(request, write_csv) -> Path:
    """The 2021 lookup: a small one in the published layout, and the real one when ../shared/data has it."""
    if request.param == "hand-written":
        return write_csv("lsoa21.csv", lookup21(), encoding="utf-8-sig")
    if not REAL_LOOKUP.exists():
        pytest.skip(f"the real ONS LSOA 2021 lookup is not under {GEOGRAPHY} (set SBP_SHARED_DATA to shared/data)")
    return REAL_LOOKUP


def test_2011_codes_are_placed_by_district_taunton_deane_through_its_successor(db, write_csv, lookup_2021):
    rows = {TAUNTON_2011: 3, MENDIP_2011: 2, MENDIP_2021: 1, NOWHERE: 4, UNLOCATED: 5}
    ingest([write_csv("2023-01-avon-and-somerset-street.csv", street("2023-01", rows)), lookup_2021], db=db)
    # Somerset: the 2021 code, Mendip 002C by "Mendip" (a 2021 district of Somerset) and Taunton Deane 012A by
    # "Taunton Deane" -> "Somerset West and Taunton" (data/lsoa11_districts.csv), a 2021 district of Somerset.
    assert counts(db, "borough") == {"Somerset": 6}
    assert quality(db) == (15, 5, 0, 5, 4)
    assert placed(db) == {("Taunton Deane", "name", "Somerset"): 3, ("Mendip", "name", "Somerset"): 2,
                          ("Atlantis", "unmapped", ""): 4}
    # Their ward is unknown: only the 2021 code's row is in a ward; the LSOA rows stay as published.
    assert counts(db, "ward") == {"Somerset": 1}
    assert counts(db, "lsoa") == {"Somerset": 6, "(unmapped)": 4, "(unlocated)": 5}


def test_ingest_and_status_say_how_many_rows_each_district_placed(db, write_csv):
    files = [write_csv("street.csv", street("2023-01", {TAUNTON_2011: 3, MENDIP_2011: 2, NOWHERE: 1})),
             write_csv("lsoa21.csv", lookup21())]
    done = subprocess.run([sys.executable, "-m", "sbp", "ingest", "--db", str(db), *map(str, files)],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    status = subprocess.run([sys.executable, "-m", "sbp", "status", "--db", str(db)], cwd=REPO, capture_output=True,
                            text=True).stdout
    for out in (done.stdout, status):
        assert ("5 crimes with 2011 LSOA codes placed by district, in their authority only "
                "(Taunton Deane -> Somerset: 3, Mendip -> Somerset: 2); 1 could not be placed at all") in out


def test_the_2011_lookup_places_a_row_in_its_2021_lsoa_or_in_its_authority_only_when_split(db, write_csv):
    sedgemoor_2011 = ("E01029091", "Sedgemoor 010B")  # in neither lookup: by its district, as without a 2011 lookup
    bristol_2011 = ("E01014540", "Bristol 032B")       # split across two authorities: never placed, not by name either
    rows = {TAUNTON_2011: 3, MENDIP_2011: 2, MENDIP_2021: 1, sedgemoor_2011: 1, bristol_2011: 4, UNLOCATED: 1}
    summaries = ingest([write_csv("street.csv", street("2023-02", rows)), write_csv("lsoa21.csv", lookup21()),
                        write_csv("lsoa11.csv", lookup11(), encoding="utf-8-sig")], db=db)
    assert summaries[-1].file_format == "lsoa11_lookup" and summaries[-1].rows == 7
    # Each row once: Taunton Deane 012A (split, both parts in Somerset) in Somerset only, Mendip 002C in the 2021
    # LSOA it merged into (so in that LSOA's ward), Sedgemoor 010B by its district, Bristol 032B nowhere.
    assert counts(db, "borough") == {"Somerset": 7}
    assert quality(db) == (12, 1, 5, 1, 4)
    assert placed(db) == {("Taunton Deane", "lsoa11_lad", "Somerset"): 3, ("Mendip", "lsoa11", "Somerset"): 2,
                          ("Sedgemoor", "name", "Somerset"): 1, ("Bristol", "unmapped", ""): 4}
    with store.connect_read(db) as con:
        wards = dict(con.execute("SELECT area_name, sum(offence_count) FROM crime_counts WHERE source = 'police_uk' "
                                 "AND area_level = 'ward' GROUP BY ALL").fetchall())
        lsoas = dict(con.execute("SELECT area_code, sum(offence_count) FROM crime_counts WHERE source = 'police_uk' "
                                 "AND area_level = 'lsoa' GROUP BY ALL").fetchall())
        line = geography.quality_lines(con)[0]
    assert wards == {"Frome North": 3}  # Mendip 001A and Mendip 002C (now in Mendip 002F): both in Frome North
    assert lsoas == {"E01035003": 2, "E01029022": 1, "E01029309": 3, "E01029091": 1, "E01014540": 4, "": 1}
    assert ("; 5 crimes with 2011 LSOA codes placed through the ONS LSOA 2011 to 2021 lookup (3 of them in 2011 "
            "LSOAs split since, in their authority only); 1 crimes with 2011 LSOA codes placed by district, in their "
            "authority only (Sedgemoor -> Somerset: 1); 4 could not be placed at all") in line


def test_a_2011_lookup_repeating_a_pair_is_refused_in_one_line(db, write_csv):
    bad = lookup11() + "E01029026,Mendip 002C,E01035003,Mendip 002F,M,E07000187,Mendip,,8\n"
    with pytest.raises(IngestError, match="E01029026 to E01035003 appears more than once"):
        ingest([write_csv("lsoa11.csv", bad)], db=db)
    assert not store.exists(db)


def test_every_abolished_district_is_placed_through_a_2021_district_of_one_authority():
    if not REAL_LOOKUP.exists():
        pytest.skip(f"the real ONS LSOA 2021 lookup is not under {GEOGRAPHY} (set SBP_SHARED_DATA to shared/data)")
    con = duckdb.connect()
    found = dict(con.execute(
        f"""SELECT regexp_replace(LSOA21NM, '\\s+[0-9]{{3}}[A-Z]$', '') AS district, list(DISTINCT LAD25CD)
        FROM read_csv('{REAL_LOOKUP}', all_varchar = true) GROUP BY ALL""").fetchall())
    table = areas.lsoa11_districts()
    assert not set(table) & set(found), "a district 2021 LSOA names still carry needs no entry"
    assert {d: len(found.get(s, [])) for d, s in table.items()} == dict.fromkeys(table, 1)
    assert found[table["Taunton Deane"]] == found[table["West Somerset"]] == ["E06000066"]


# --- the real Avon and Somerset files -----------------------------------------------------------

def real_files() -> list[Path]:
    """The 12 Avon and Somerset 2023 files, the 2021 and force lookups and the population workbooks."""
    if not POLICE.exists() or not REAL_LOOKUP.exists():
        pytest.skip(f"real police.uk and geography files not found under {SHARED} (set SBP_SHARED_DATA)")
    return (sorted(POLICE.glob("2023-*-avon-and-somerset-street.csv")) + [REAL_LOOKUP]
            + sorted(GEOGRAPHY.glob("Local_Authority*.csv")) + sorted(POPULATION.glob("*.xls")))


def previously_unplaced() -> Counter:
    """Rows of the raw 2023 files per district whose code the 2021 lookup lacks and whose district 2021 LSOA names do
    not carry (neither route placed them before data/lsoa11_districts.csv), read with the csv module."""
    with open(REAL_LOOKUP, newline="", encoding="utf-8-sig") as handle:
        lookup = list(csv.DictReader(handle))
    codes = {r["LSOA21CD"] for r in lookup}
    districts = {r["LSOA21NM"][:-5] for r in lookup}
    unplaced: Counter = Counter()
    for path in sorted(POLICE.glob("2023-*-avon-and-somerset-street.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["LSOA code"] and row["LSOA code"] not in codes and row["LSOA name"][:-5] not in districts:
                    unplaced[row["LSOA name"][:-5]] += 1
    return unplaced


def test_real_somerset_gains_exactly_its_previously_unplaced_rows(tmp_path, monkeypatch):
    files = real_files()
    after_db, before_db = tmp_path / "after" / "sbp.duckdb", tmp_path / "before" / "sbp.duckdb"
    ingest(files, db=after_db)
    with monkeypatch.context() as patch:  # as before data/lsoa11_districts.csv
        patch.setattr(areas, "lsoa11_districts", lambda: {})
        ingest(files, db=before_db)
    before, after = counts(before_db, "borough"), counts(after_db, "borough")
    unplaced = previously_unplaced()
    somerset = sum(n for d, n in unplaced.items() if d in SOMERSET_DISTRICTS)
    dorset = unplaced["North Dorset"]
    assert somerset == unplaced["Taunton Deane"] == 225 and dorset == 1  # what the 2023 files hold
    assert after["Somerset"] - before["Somerset"] == somerset
    assert after["Dorset"] - before["Dorset"] == dorset   # a stray of Avon and Somerset's: never in its league
    assert {a: n for a, n in after.items() if a not in ("Somerset", "Dorset")} == \
        {a: n for a, n in before.items() if a not in ("Somerset", "Dorset")}
    (_, _, _, _, unmapped_before), (_, _, _, _, unmapped_after) = quality(before_db), quality(after_db)
    assert unmapped_before - unmapped_after == somerset + dorset == sum(unplaced.values())
    assert unmapped_after == 0
    assert counts(after_db, "ward") == counts(before_db, "ward")  # placed in the authority only
