"""The stored comparison cube keeps its columns' types whatever the store holds: a rule's text column with no value
at all (no trend before five years, no benchmark without populations) is still VARCHAR, never DuckDB's NULL type."""

from __future__ import annotations

from pathlib import Path

from sbp import store
from sbp.ingest import ingest
from tests.conftest import borough_csv

# The types of the rules' columns in comparison_cache (the comparison's own columns come from its query).
RULE_TYPES = {"measure_label": "VARCHAR", "measure_unit": "VARCHAR", "comparator_pct_change": "DOUBLE",
              "p_value": "DOUBLE", "significant": "BOOLEAN", "direction": "VARCHAR", "rag": "VARCHAR",
              "benchmark": "VARCHAR", "trend": "VARCHAR", "trend_p_value": "DOUBLE", "places_moved": "BIGINT",
              "parent_id": "VARCHAR", "share_of_parent_pct": "DOUBLE"}


def test_unknown_everywhere_still_typed(tmp_path: Path) -> None:
    """Two years of three boroughs, no populations: every trend and benchmark unknown, the columns still typed."""
    db = tmp_path / "store" / "sbp.duckdb"
    ingest([borough_csv(tmp_path / "mps_borough_level_crime_short.csv", scale=3)], db=db)
    with store.connect_read(db) as con:
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'comparison_cache'").fetchall())
        unknown = con.execute("SELECT count(*) FILTER (WHERE trend IS NULL), count(*) FILTER (WHERE benchmark IS NULL), "
                              "count(*) FROM comparison_cache").fetchone()
    assert unknown[0] == unknown[1] == unknown[2] > 0  # the case this test is about: no value in either column
    assert {name: types[name] for name in RULE_TYPES} == RULE_TYPES
    assert not [name for name, kind in types.items() if kind == '"NULL"' or kind == "NULL"]

