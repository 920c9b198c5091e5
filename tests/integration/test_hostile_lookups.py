"""Reference files never replaced by fragments (issue 23, "Reference files replaced by fragments"): a lookup that
would place under half the police.uk rows the current one places is held (`ingest --replace-lookup` loads it), and
a lookup's columns are checked by what they hold, so swapped code and name columns are one line.

The hostile lookups are derived from the shared ONS lookup; each test failed before the fix. Skips without
../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sbp import store
from sbp.cli import main
from sbp.errors import IngestError
from sbp.ingest import ingest
from tests.conftest import copy_store
from tests.integration.test_hostile_identity import FORCE_LOOKUP, LSOA_LOOKUP, POLICE, figures, need


@pytest.fixture(scope="module")
def placed_store(tmp_path_factory) -> Path:
    """The Avon and Somerset 2023 files with both real lookups: every published lookup passes the content checks."""
    need(POLICE, LSOA_LOOKUP, FORCE_LOOKUP)
    db = tmp_path_factory.mktemp("placed") / "store" / "sbp.duckdb"
    ingest(sorted(POLICE.glob("*.csv")) + [LSOA_LOOKUP, FORCE_LOOKUP], db=db)
    return db


@pytest.fixture
def placed(placed_store, tmp_path) -> Path:
    return copy_store(placed_store, tmp_path / "placed" / placed_store.name)


def lookup(path: Path, select: str, source: Path = LSOA_LOOKUP) -> Path:
    """A lookup made from a real one (table g) by one SELECT, written with its header."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE g AS SELECT * FROM read_csv('{source}', all_varchar = true)")
    con.execute(f"COPY ({select}) TO '{path}' (HEADER)")
    return path


def placed_rows(db: Path, lsoa_codes: str = "SELECT lsoa_code FROM geo_lsoa") -> int:
    """police.uk crimes whose LSOA code a lookup has (what the check compares), counted independently."""
    with store.connect_read(db) as con:
        return con.execute(f"SELECT sum(offence_count) FROM police_uk_counts WHERE lsoa_code IN ({lsoa_codes})").fetchone()[0]


def test_a_100_row_lsoa_lookup_is_held_with_the_figures(placed, tmp_path, capsys):
    # Before: it replaced the full lookup, 158,497 of 168,858 rows unplaced, "Unknown area 'Bristol'".
    bristol = "SELECT * FROM g WHERE LAD25NM = 'Bristol, City of' ORDER BY LSOA21CD LIMIT 100"
    fragment = lookup(tmp_path / "lookup_100.csv", bristol)
    now = placed_rows(placed)
    with duckdb.connect() as con:
        codes = [r[0] for r in con.execute(f"SELECT LSOA21CD FROM read_csv('{fragment}', all_varchar = true)").fetchall()]
    new = placed_rows(placed, ", ".join(f"'{c}'" for c in codes))
    assert 0 < new < now / 2
    before = figures(placed)
    assert main(["ingest", "--db", str(placed), str(fragment)]) == 1
    err = capsys.readouterr().err
    assert (f"lookup_100.csv: this lookup places {new:,} of the {now:,} police.uk rows the current one places; nothing "
            "was loaded. If that is intended, load it again with --replace-lookup") in err, err
    assert figures(placed) == before
    assert main(["ingest", "--db", str(placed), "--replace-lookup", str(fragment)]) == 0
    assert placed_rows(placed) == new


def test_a_lookup_without_most_of_the_current_codes_is_held_before_any_police_uk_rows(tmp_path):
    db = tmp_path / "store" / "sbp.duckdb"
    need(LSOA_LOOKUP)
    ingest([LSOA_LOOKUP], db=db)
    with pytest.raises(IngestError, match=r"this lookup holds 100 of the 35,672 LSOA codes of the current one"):
        ingest([lookup(tmp_path / "lookup_100.csv", "SELECT * FROM g ORDER BY LSOA21CD LIMIT 100")], db=db)


@pytest.mark.parametrize("swap,column,problem", [
    ("LAD25NM AS LAD25CD, LAD25CD AS LAD25NM", "LAD25CD", "is not an ONS local authority code (E06 to E09 or W06"),
    ("LSOA21NM AS LSOA21CD, LSOA21CD AS LSOA21NM", "LSOA21CD", "is not an ONS LSOA code (E01 or W01"),
    ("WD25CD AS WD25NM, WD25NM AS WD25CD", "WD25NM", "is a code where a name belongs"),
])
def test_swapped_code_and_name_columns_are_one_line_even_when_replacing(placed, tmp_path, swap, column, problem):
    # Before: accepted (the LAD swap made every rate disappear).
    swapped = lookup(tmp_path / "swapped.csv", f"SELECT * REPLACE ({swap}) FROM g")
    before = figures(placed)
    for confirmed in (False, True):
        with pytest.raises(IngestError) as caught:
            ingest([swapped], db=placed, replace_lookup=confirmed)
        assert caught.value.line == 2 and caught.value.column == column, caught.value
        assert problem in str(caught.value) and "are the code and name columns swapped?" in str(caught.value)
        assert "\n" not in str(caught.value)
    assert figures(placed) == before


def test_a_force_lookup_with_swapped_force_columns_is_refused(placed, tmp_path):
    swapped = lookup(tmp_path / "force_swapped.csv", "SELECT * REPLACE (PFA17NM AS PFA17CD, PFA17CD AS PFA17NM) FROM g",
                     FORCE_LOOKUP)
    with pytest.raises(IngestError, match=r"line 2, column 'PFA17CD': 'Cleveland' is not an ONS police force area code"):
        ingest([swapped], db=placed)
