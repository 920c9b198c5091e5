"""The comparison cube: every configured measure x borough x end month, stored at ingest time.

Kept free of pandas so that a load (which builds it) starts quickly; metrics.comparisons reads it while
the measures configuration is unchanged (checked by a fingerprint) and computes live otherwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb

from sbp.metrics import queries
from sbp.config import Config, Measure, default_config
from sbp.metrics.periods import add_months

MPS_SOURCES = ("mps_borough", "mps_ward", "mps_lsoa")
SERIES_SOURCES = ("long_counts", "police_uk")
MAP_COLUMNS = ("measure_id", "source", "major_category", "minor_category")
_FINGERPRINTS: dict[int, tuple[Config, str]] = {}


def measure_rows(
    categories: Sequence[tuple[str, str, str]], measures: Sequence[Measure], config: Config
) -> list[tuple[str, str, str, str]]:
    """(measure_id, source, major, minor) for every loaded (source, major, minor) each measure counts."""
    rows = []
    for m in measures:
        majors = {s for name in m.majors for s in config.spellings("major", name)}
        minors = {s for name in m.minors for s in config.spellings("minor", name)}
        series = set(m.series)
        for source, major, minor in categories:
            if source in MPS_SOURCES:
                chosen = m.all or major in majors or minor in minors
            else:
                chosen = source in SERIES_SOURCES and minor in series
            if chosen:
                rows.append((m.id, source, major, minor))
    return rows


def config_fingerprint(config: Config) -> str:
    """A digest of everything in the configuration that changes comparison figures (memoised per config object)."""
    known = _FINGERPRINTS.get(id(config))
    if known is None or known[0] is not config:
        text = repr(sorted((m.id, m) for m in config.measures.values())) + repr(sorted(config.aliases.items()))
        known = _FINGERPRINTS[id(config)] = (config, hashlib.sha256(text.encode()).hexdigest()[:16])
    return known[1]


def materialize(con: duckdb.DuckDBPyConnection, config: Config | None = None) -> int:
    """Store the cube (inside an ingest's transaction); returns its row count, 0 without a full borough year."""
    config = config or default_config()
    con.execute("DROP TABLE IF EXISTS comparison_cache")
    con.execute("DELETE FROM store_meta WHERE key = 'comparison_cache_key'")
    first, last = con.execute(queries.MONTH_SPAN_SQL, {"level": "borough"}).fetchone()
    if first is None or add_months(first, 11) > last:
        return 0
    measures = list(config.measures.values())
    categories = con.execute(queries.CATEGORIES_SQL, {"level": "borough"}).fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE measure_map (measure_id VARCHAR, source VARCHAR, "
                "major_category VARCHAR, minor_category VARCHAR)")
    con.executemany("INSERT INTO measure_map VALUES (?, ?, ?, ?)", measure_rows(categories, measures, config))
    con.execute("CREATE OR REPLACE TEMP TABLE measure_info (measure_id VARCHAR, direction VARCHAR, denominator VARCHAR)")
    con.executemany("INSERT INTO measure_info VALUES (?, ?, ?)", [(m.id, m.direction, m.denominator) for m in measures])
    con.execute(f"CREATE TABLE comparison_cache AS {queries.COMPARISON_SQL}", {
        "first_end": add_months(first, 11), "last_end": last, "level": "borough", "within": None, "rank_by_rate": True,
    })
    con.execute("DROP TABLE measure_map; DROP TABLE measure_info")
    con.execute("INSERT INTO store_meta VALUES ('comparison_cache_key', $k)", {"k": config_fingerprint(config)})
    return con.execute("SELECT count(*) FROM comparison_cache").fetchone()[0]


def usable(con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], config: Config) -> bool:
    """Whether the stored cube answers for these measures under this configuration."""
    if any(config.measures.get(m.id) != m for m in measures):
        return False
    row = con.execute("SELECT value FROM store_meta WHERE key = 'comparison_cache_key'").fetchone()
    return row is not None and row[0] == config_fingerprint(config)
