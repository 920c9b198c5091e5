"""Nothing double counted (issue 23, "Double counts"): a police.uk file with its rows in it twice is refused with the
count; a re-issue of a force's month replaces that month; a file much smaller than the months it replaces is held
until the user confirms (`ingest --force`, the Data page's "Replace anyway").

Hostile files are derived from the shared Avon and Somerset 2023 files and the MPS borough file; each test failed
before the fix. Skips without ../shared/data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.cli import main
from sbp.config.settings import DATA_DIR
from sbp.errors import ConfirmationNeeded, IngestError
from sbp.ingest import ingest
from sbp.ingest.police_uk import REPEATED_ID_SHARE, REPEATED_ROW_SHARE
from tests.conftest import REAL_MPS, copy_store
from tests.integration.test_admin import app as admin_app  # noqa: F401 (a fixture)
from tests.integration.test_hostile_identity import LSOA_LOOKUP, POLICE, figures, need

JANUARY = POLICE / "2023-01-avon-and-somerset-street.csv"


@pytest.fixture(scope="module")
def police_store(tmp_path_factory) -> Path:
    """The twelve published 2023 files and the LSOA lookup: every published file passes the repeat checks."""
    need(POLICE, LSOA_LOOKUP)
    db = tmp_path_factory.mktemp("police") / "store" / "sbp.duckdb"
    ingest(sorted(POLICE.glob("*.csv")) + [LSOA_LOOKUP], db=db)
    return db


@pytest.fixture
def police(police_store, tmp_path) -> Path:
    return copy_store(police_store, tmp_path / "police" / police_store.name)


def derived(path: Path, select: str) -> Path:
    """A file made from the real January file (table j) by one SELECT, written with the published header."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE j AS SELECT * FROM read_csv('{JANUARY}', all_varchar = true)")
    con.execute(f"COPY ({select}) TO '{path}' (HEADER)")
    return path


def january(db: Path) -> int:
    with store.connect_read(db) as con:
        return con.execute("SELECT sum(offence_count) FROM police_uk_counts WHERE month = '2023-01-01'").fetchone()[0]


def test_a_file_with_every_row_twice_is_refused_with_the_count(police, tmp_path):
    # Before: accepted, Bristol +4,414.
    before = figures(police)
    with pytest.raises(IngestError) as caught:
        ingest([derived(tmp_path / "2023-01-twice.csv", "SELECT * FROM j UNION ALL SELECT * FROM j")], db=police)
    with_id = duckdb.connect().execute(
        f"""SELECT count("Crime ID") FROM read_csv('{JANUARY}', all_varchar = true)""").fetchone()[0]
    assert f"of its {2 * with_id:,} crimes repeat another row's Crime ID (50%;" in str(caught.value), caught.value
    assert figures(police) == before


def test_rows_with_no_crime_id_repeated_beyond_published_files_are_refused(police, tmp_path):
    # The anti-social behaviour rows (no Crime ID) twice, the crimes once: 27-32% copies in published files, ~64% here.
    before = figures(police)
    twice = derived(tmp_path / "2023-01-asb.csv",
                    'SELECT * FROM j UNION ALL SELECT * FROM j WHERE "Crime ID" IS NULL')
    with pytest.raises(IngestError, match=r"rows with no Crime ID are copies of another row \(6\d%; published police.uk "
                                          r"files hold at most 50%\)"):
        ingest([twice], db=police)
    assert figures(police) == before


def test_the_thresholds_sit_well_above_the_published_files():
    # Measured on the twelve 2023 files (in the fixture above, which loads them all): repeated Crime IDs 0.06-0.16%
    # within a month, LSOA and crime type; copies among rows without an ID 27-32%.
    assert REPEATED_ID_SHARE >= 10 * 0.0016 and REPEATED_ROW_SHARE >= 0.32 + 0.1


def test_a_reissue_of_a_forces_month_replaces_it(police, tmp_path):
    before = figures(police)[1]
    summary = ingest([derived(tmp_path / "2023-01-reissue.csv",
                              "SELECT * REPLACE ('Under investigation' AS \"Last outcome category\") FROM j")], db=police)[0]
    assert summary.months_replaced == 1
    assert figures(police)[1] == before


def test_a_file_with_under_half_a_months_crimes_is_held_until_forced(police, tmp_path, capsys):
    third = derived(tmp_path / "2023-01-third.csv", 'SELECT * FROM j WHERE hash("Location") % 3 = 0')
    before, loaded = figures(police), january(police)
    assert main(["ingest", "--db", str(police), str(third)]) == 1
    err = capsys.readouterr().err
    kept = duckdb.connect().execute(f"SELECT count(*) FROM read_csv('{third}', all_varchar = true)").fetchone()[0]
    assert (f"2023-01-third.csv: Avon and Somerset Constabulary Jan 2023: this file holds {kept:,} crimes where the "
            f"loaded month holds {loaded:,}; it would replace that month; nothing was loaded. If that is intended, load "
            "it again with --force") in err, err
    assert figures(police) == before
    assert main(["ingest", "--db", str(police), "--force", str(third)]) == 0
    assert january(police) == kept


def test_an_mps_file_with_under_half_of_london_is_held_until_forced(real_files, tmp_path):
    with open(REAL_MPS, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    one_borough = tmp_path / "bromley_only.csv"
    with open(one_borough, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([header] + [r for r in rows if r[2] == "Bromley"])
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([REAL_MPS], db=db)
    before = figures(db)
    with pytest.raises(ConfirmationNeeded, match=r"Dec 2021 \(borough\): this file holds [0-9,]+ offences where the "
                                                 r"loaded month holds [0-9,]+ \(and 23 more months\)") as caught:
        ingest([one_borough], db=db)
    assert caught.value.override == "force"
    assert figures(db) == before
    assert ingest([one_borough], db=db, force=True)[0].months_replaced == 24


def test_the_data_page_holds_a_smaller_file_until_replace_anyway(police, admin_app, tmp_path, monkeypatch):
    from tests.integration.test_admin import PASSWORD, sign_in

    third = derived(tmp_path / "2023-01-third.csv", 'SELECT * FROM j WHERE hash("Location") % 3 = 0')
    population = tmp_path / "population.csv"  # the dashboard lists the areas with a population
    population.write_text("area,population,year\nBristol,472000,2021\nSomerset,572000,2021\nNorth Somerset,216000,2021\n"
                          "Bath and North East Somerset,193000,2021\nSouth Gloucestershire,290000,2021\n")
    ingest([population], db=police)
    monkeypatch.setenv("SBP_SETTINGS", str(DATA_DIR / "partnerships" / "bristol_settings.toml"))
    before, loaded = figures(police), january(police)
    at = sign_in(admin_app(police, "pages/data_page.py"), "analyst", PASSWORD)
    at.file_uploader[0].set_value((third.name, third.read_bytes(), "text/csv"))
    at.run()
    assert not at.checkbox
    at.button(key="data_load").click().run()
    assert [w.value for w in at.warning if "it would replace that month" in w.value], [w.value for w in at.warning]
    assert figures(police) == before
    at.button(key="data_load").click().run()  # not ticked: held again
    assert figures(police) == before and january(police) == loaded
    at.checkbox(key="data_replace_anyway").check().run()
    at.button(key="data_load").click().run()
    assert not at.error, [e.value for e in at.error]
    assert january(police) < loaded / 2
