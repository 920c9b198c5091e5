"""`forget` of a police.uk file (or an ONS file) leaves nothing derived only from it: the store equals one loaded
without it (its counts, quality rows, forces, months in the indexes, the cube), other forces' figures unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.cli import main
from sbp.ingest import forget, ingest
from sbp.store import queries
from tests.conftest import SHARED
from tests.integration.test_police_uk_areas import forces, lookup, street

REAL_POLICE = SHARED / "police_uk" / "avon-and-somerset"
REAL_LOOKUP = SHARED / "geography" / "LSOA_2021_to_Electoral_Ward_2025_to_LAD_2025_Best_Fit_Lookup_in_EW_v2.csv"
# Tables whose rows say which file they came from: compared without file_id (ids differ between the two stores).
WITH_FILE_ID = {"crime_counts", "population", "partner_values", "police_uk_counts", "geo_lsoa", "geo_lsoa11",
                "geo_lad_force", "population_ons", "data_quality"}
# What records the loads themselves (their ids, names, times, the forgotten file's record): not data.
PROVENANCE = {"source_files", "store_meta"}


def contents(db: Path) -> dict[str, list[tuple]]:
    """Every data table's rows (sorted; without file_id), the stored cube's included."""
    with store.connect_read(db) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_catalog = current_database() ORDER BY 1").fetchall() if t not in PROVENANCE]
        out = {}
        for table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $t AND table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY ordinal_position", {"t": table}).fetchall()]
            kept = ", ".join(f'"{c}"' for c in columns if not (c == "file_id" and table in WITH_FILE_ID))
            out[table] = sorted(con.execute(f'SELECT {kept} FROM "{table}"').fetchall(), key=repr)
    assert out["crime_counts"], "the comparison needs a store with rows"
    return out


def _month(m: int) -> dt.date:
    return dt.date(2023, m, 1)


def differences(got: dict[str, list[tuple]], want: dict[str, list[tuple]]) -> dict[str, int]:
    """Per table, the number of rows one store has and the other lacks (empty: the same data)."""
    return {t: len(set(got.get(t, [])) ^ set(want.get(t, []))) for t in set(got) | set(want)
            if sorted(got.get(t, []), key=repr) != sorted(want.get(t, []), key=repr)}


def test_forgetting_a_police_uk_file_leaves_the_store_loaded_without_it(tmp_path, write_csv, capsys):
    bristol = [("E01000001", "Bristol 001A", "Burglary")] * 3 + [("", "", "Robbery")]
    somerset = [("E01000003", "Mendip 001A", "Drugs"), ("E01999999", "Sedgemoor 009Z", "Drugs")]
    wiltshire = [("E01000005", "Wiltshire 001A", "Burglary")] * 2
    january = write_csv("jan.csv", street("2023-01", bristol + somerset))
    stray = [("E01000005", "Wiltshire 001A", "Burglary")]  # recorded by Avon and Somerset in Wiltshire's area
    february = write_csv("feb.csv", street("2023-02", bristol[:2] + somerset + stray))
    other_force = write_csv("wilts.csv", street("2023-02", wiltshire, force="Wiltshire Police"))
    geography = [write_csv("lsoa.csv", lookup()), write_csv("pfa.csv", forces())]
    both, only = tmp_path / "both.duckdb", tmp_path / "only.duckdb"
    ingest([january, february, other_force, *geography], db=both)
    ingest([january, other_force, *geography], db=only)
    assert main(["forget", "--db", str(both), "feb.csv"]) == 0
    # Its 4 rows as stored (month x force x LSOA x crime type: Bristol 001A burglary, the two Drugs rows, the stray).
    assert "Forgot feb.csv (Feb 2023 to Feb 2023): 4 rows removed" in capsys.readouterr().out
    assert differences(contents(both), contents(only)) == {}
    with store.connect_read(both) as con:
        assert con.execute("SELECT month, sum(offence_count) FROM crime_counts WHERE area_name = 'Wiltshire' "
                           "AND area_level = 'borough' GROUP BY ALL").fetchall() == [(_month(2), 2)]  # its own force's two
        assert con.execute("SELECT count(*) FROM police_uk_counts WHERE month = '2023-02-01' AND force <> 'Wiltshire Police'"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT unit, month FROM month_index WHERE source = 'police_uk' AND area_level = 'borough' "
                           "ORDER BY ALL").fetchall() == [("Avon and Somerset", _month(1)), ("Wiltshire", _month(2))]
    # The other force's file alone: forgetting every Avon and Somerset file leaves its rows as a store of it alone.
    forget("jan.csv", db=both)
    alone = tmp_path / "alone.duckdb"
    ingest([other_force, *geography], db=alone)
    assert differences(contents(both), contents(alone)) == {}


def test_forgetting_a_lookup_places_the_rows_as_a_store_without_it(tmp_path, write_csv):
    files = [write_csv("jan.csv", street("2023-01", [("E01000001", "Bristol 001A", "Burglary"),
                                                     ("E01999999", "Sedgemoor 009Z", "Drugs")]))]
    with_lookup, without = tmp_path / "with.duckdb", tmp_path / "without.duckdb"
    ingest([*files, write_csv("lsoa.csv", lookup())], db=with_lookup)
    ingest(files, db=without)
    forget("lsoa.csv", db=with_lookup)
    assert differences(contents(with_lookup), contents(without)) == {}  # placed by the district in the LSOA name


def test_forgetting_a_real_police_uk_month_equals_loading_only_the_other(tmp_path):
    """Avon and Somerset, January and February 2023 with the real ONS lookup: forget February."""
    files = [REAL_POLICE / f"2023-0{m}-avon-and-somerset-street.csv" for m in (1, 2)]
    if not all(f.exists() for f in files) or not REAL_LOOKUP.exists():
        pytest.skip(f"real police.uk files or the ONS lookup not found under {SHARED}")
    both, only = tmp_path / "both.duckdb", tmp_path / "only.duckdb"
    ingest([*files, REAL_LOOKUP], db=both)
    ingest([files[0], REAL_LOOKUP], db=only)
    with store.connect_read(both) as con:
        stored = con.execute("SELECT count(*) FROM police_uk_counts WHERE month = '2023-02-01'").fetchone()[0]
    message = forget(files[1].name, db=both)
    assert differences(contents(both), contents(only)) == {}
    assert f": {stored:,} rows removed" in message
    # Independently from the raw January file: its crimes by month, as police_uk_quality holds them.
    with duckdb.connect() as raw_con:
        raw = raw_con.execute("SELECT count(*) FROM read_csv($f, all_varchar = true)", {"f": str(files[0])}).fetchone()[0]
    with store.connect_read(both) as con:
        assert con.execute("SELECT list(DISTINCT month), sum(offence_count) FROM police_uk_quality").fetchone() == (
            [_month(1)], raw)
        assert con.execute(queries.FILES_SQL).fetchall()[0][1] == files[0].name
