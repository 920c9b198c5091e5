"""Two police forces on real files: a month is known per force, and every surface totals a force as the comparison does.

Avon and Somerset's shared 2023 files, plus a second force written from them: its Jan-Jun 2023 rows as Jan-Jun 2024,
each LSOA moved to one of Devon and Cornwall's, reported by "Devon & Cornwall Police". Avon and Somerset has no 2024
file, and Devon and Cornwall none before 2024.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sbp import metrics, store
from sbp.config import police_uk_measures
from sbp.ingest import ingest
from tests.conftest import REPO, SHARED

POLICE = SHARED / "police_uk" / "avon-and-somerset"
GEOGRAPHY = SHARED / "geography"
POPULATION = SHARED / "population"
SECOND_FORCE = "Devon & Cornwall Police"


def second_force_files(folder: Path) -> list[Path]:
    """Avon and Somerset's Jan-Jun 2023 rows as Devon and Cornwall's Jan-Jun 2024 files (LSOAs moved, one to one)."""
    lookup = next(GEOGRAPHY.glob("LSOA_2021*.csv"))
    forces = next(GEOGRAPHY.glob("Local_Authority*.csv"))
    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE target AS
        SELECT LSOA21CD AS code, LSOA21NM AS name, row_number() OVER (ORDER BY LSOA21CD) - 1 AS i
        FROM read_csv('{lookup}') WHERE LAD25CD IN (SELECT LAD17CD FROM read_csv('{forces}') WHERE PFA17NM = 'Devon & Cornwall')
    """)
    con.execute(f"""
        CREATE TABLE moved AS
        WITH source AS (SELECT DISTINCT "LSOA code" AS code FROM read_csv('{POLICE}/2023-0[1-6]-*.csv', all_varchar=true)
                        WHERE coalesce("LSOA code", '') <> ''),
        numbered AS (SELECT code, row_number() OVER (ORDER BY code) - 1 AS i FROM source)
        SELECT n.code AS old, t.code AS new, t.name AS new_name
        FROM numbered n JOIN target t ON t.i = n.i % (SELECT count(*) FROM target)
    """)
    paths = []
    for month in range(1, 7):
        path = folder / f"2024-{month:02d}-devon-and-cornwall-street.csv"
        con.execute(f"""
            COPY (
                SELECT p."Crime ID", '2024-{month:02d}' AS "Month", '{SECOND_FORCE}' AS "Reported by",
                       '{SECOND_FORCE}' AS "Falls within", p."Longitude", p."Latitude", p."Location",
                       coalesce(m.new, '') AS "LSOA code", coalesce(m.new_name, '') AS "LSOA name", p."Crime type",
                       p."Last outcome category", p."Context"
                FROM read_csv('{POLICE}/2023-{month:02d}-avon-and-somerset-street.csv', all_varchar=true) p
                LEFT JOIN moved m ON m.old = p."LSOA code"
            ) TO '{path}' (HEADER, DELIMITER ',')
        """)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    """(Avon and Somerset alone, Avon and Somerset with the second force), each loaded in one ingest."""
    if not POLICE.exists() or not GEOGRAPHY.exists():
        pytest.skip(f"real police.uk and geography files not found under {SHARED}")
    common = sorted(POLICE.glob("*.csv")) + sorted(GEOGRAPHY.glob("LSOA_2021*.csv")) + \
        sorted(GEOGRAPHY.glob("Local_Authority*.csv")) + sorted(POPULATION.glob("*.xls"))
    one = tmp_path_factory.mktemp("one-force") / "sbp.duckdb"
    ingest(common, db=one)
    folder = tmp_path_factory.mktemp("second-force")
    two = folder / "store" / "sbp.duckdb"
    ingest(common + second_force_files(folder), db=two)
    return one, two


def _cli(db: Path, *args: str) -> dict | list:
    done = subprocess.run([sys.executable, "-m", "sbp", *args, "--db", str(db), "--json"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_another_forces_months_never_stand_in(stores):
    one, two = stores
    measure = police_uk_measures()["all_crime"]
    with store.connect_read(one) as con:
        alone = metrics.metric(con, "Bristol", "2023-12", measure)
    with store.connect_read(two) as con:
        both = metrics.metric(con, "Bristol", "2023-12", measure)
        league = metrics.league(con, measure, "2023-12")
        bristol_2024 = metrics.metric(con, "Bristol", "2024-06", measure)
        plymouth = metrics.metric(con, "Plymouth", "2024-06", measure)
        june = metrics.league(con, measure, "2024-06")
    # Bristol's figures are the same with a second force loaded: ranked in its own force, totalled with it.
    assert both == alone
    assert (both["rank_of"], both["comparator_name"]) == (5, "Avon and Somerset")
    ours = league[league["comparator_name"] == "Avon and Somerset"]
    assert len(ours) == 5 and both["comparator_current"] == int(ours["current"].sum())
    # Devon and Cornwall has 6 months: no rolling year to Jun 2024, with the reason; nor has Bristol (no 2024 file).
    assert plymouth["current"] is None and plymouth["rate_per_1000"] is None and plymouth["rank"] is None
    assert "Devon & Cornwall" in plymouth["reason"] and "not loaded" in plymouth["reason"]
    assert bristol_2024["current"] is None and "Avon and Somerset" in bristol_2024["reason"]
    assert june["current"].isna().all()


def test_the_forces_series_line_is_the_comparisons_total(stores):
    _, two = stores
    measure = police_uk_measures()["all_crime"]
    with store.connect_read(two) as con:
        bristol = metrics.metric(con, "Bristol", "2023-12", measure)
        line = metrics.series(con, ["Avon and Somerset"], [measure], "2023-01", "2024-06")
        plus = metrics.series(con, ["Bristol"], [measure], "2023-12", "2023-12", include_comparator=True)
    at = line.set_index("month")
    assert at.loc["2023-12-01", "rolling_12_total"] == bristol["comparator_current"]
    assert at.loc["2023-12-01", "rolling_12_rate_per_1000"] == pytest.approx(bristol["comparator_rate_per_1000"])
    # Avon and Somerset has no 2024 files: its 2024 months are unknown, not the other force's and not zero.
    assert at.loc["2024-01-01":, "offence_count"].isna().all()
    assert sorted(plus["area_name"]) == ["Avon and Somerset", "Bristol"]
    assert plus.loc[plus["is_comparator"], "rolling_12_total"].iloc[0] == bristol["comparator_current"]


def test_the_command_line_agrees(stores):
    _, two = stores
    metric = _cli(two, "metric", "--area", "Bristol", "--end", "2023-12", "--measure", "all_crime")
    series = _cli(two, "series", "--area", "Avon and Somerset", "--measure", "all_crime", "--from", "2023-12",
                  "--to", "2023-12")
    rows = series if isinstance(series, list) else series["rows"]
    assert rows[-1]["rolling_12_total"] == metric["comparator_current"]
