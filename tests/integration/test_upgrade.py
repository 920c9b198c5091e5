"""`python -m sbp upgrade`: a store built by an earlier version is brought up to date, its data kept and derived again."""

from __future__ import annotations

import duckdb
import pytest

from sbp import store
from sbp.cli import main
from sbp.errors import StoreMissingError, StoreOutdatedError
from sbp.ingest import ingest, upgrade

BOROUGHS = ("MajorText,MinorText,LookUp_BoroughName,202301,202302\n"
            "Burglary,Domestic Burglary,Bromley,10,20\nBurglary,Domestic Burglary,Bexley,1,2\n")


def table(db, sql: str) -> list[tuple]:
    with store.connect_read(db) as con:
        return sorted(con.execute(sql).fetchall())


def test_upgrade_brings_an_old_store_up_to_date_and_derives_it_again(db, write_csv):
    ingest([write_csv("boroughs.csv", BOROUGHS)], db=db)
    counts, months = table(db, "SELECT * FROM crime_counts"), table(db, "SELECT * FROM month_index")
    assert months
    # As an earlier version left it: another schema version, and an index this version would have built.
    with duckdb.connect(str(store.current_version_file(db))) as con:
        con.execute("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'; DELETE FROM month_index")
    with pytest.raises(StoreOutdatedError):
        store.connect_read(db)
    assert main(["upgrade", "--db", str(db)]) == 0
    assert table(db, "SELECT * FROM crime_counts") == counts and table(db, "SELECT * FROM month_index") == months


def test_upgrade_without_a_store_says_so(db):
    with pytest.raises(StoreMissingError):
        upgrade(db)
    assert not store.exists(db)
